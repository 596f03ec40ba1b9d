import type { Body, Meta, UppyFile } from '@uppy/core';
import type { UploadOptions } from './types.ts';

/** The object headers an upload may set at create (see {@link UploadOptions}). */
export type ObjectHeaderOptions = Pick<
  UploadOptions,
  'storageClass' | 'cacheControl' | 'contentDisposition' | 'contentEncoding' | 'contentLanguage' | 'expires'
>;

const NAMES = [
  'storageClass',
  'cacheControl',
  'contentDisposition',
  'contentEncoding',
  'contentLanguage',
  'expires',
] as const satisfies readonly (keyof ObjectHeaderOptions)[];

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
  for (const name of NAMES) {
    const v = typeof meta[name] === 'string' && meta[name] !== '' ? (meta[name] as string) : base[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}
