import type { Body, Meta, UppyFile } from '@uppy/core';
import { OBJECT_HEADER_NAMES, type ObjectHeaderOptions } from './object-headers.ts';

export type { ObjectHeaderOptions };

/**
 * A file's object headers: the plugin's `objectHeaders` (fixed, or per file), overridden by string
 * fields of the same names in the file's `meta` (so a form or `uppy.setFileMeta` can set a
 * file's `contentDisposition`). Only those six names are read from `meta`: other meta never
 * becomes an object header.
 */
export function objectHeadersFor<M extends Meta, B extends Body>(
  given: ObjectHeaderOptions | ((file: UppyFile<M, B>) => ObjectHeaderOptions | undefined) | undefined,
  file: UppyFile<M, B>,
): ObjectHeaderOptions {
  const base = (typeof given === 'function' ? given(file) : given) ?? {};
  const out: ObjectHeaderOptions = {};
  const meta = (file.meta ?? {}) as Record<string, unknown>;
  for (const name of OBJECT_HEADER_NAMES) {
    const v = typeof meta[name] === 'string' && meta[name] !== '' ? (meta[name] as string) : base[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}
