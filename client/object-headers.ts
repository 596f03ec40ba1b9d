import type { CreateUploadBody } from './api-client.ts';
import type { UploadOptions } from './types.ts';

/** The object headers an upload may ask for at create; the server sets them at Initiate. */
export const OBJECT_HEADER_NAMES = [
  'storageClass',
  'cacheControl',
  'contentDisposition',
  'contentEncoding',
  'contentLanguage',
  'expires',
] as const satisfies readonly (keyof UploadOptions)[];

type ObjectHeaderName = (typeof OBJECT_HEADER_NAMES)[number];

/** The object headers an upload may set at create (see {@link UploadOptions}). */
export type ObjectHeaderOptions = Pick<UploadOptions, ObjectHeaderName>;

/** What shapes the new object besides its bytes and name: the object headers and the profile. */
export type ObjectFieldOptions = ObjectHeaderOptions & Pick<UploadOptions, 'profile'>;

/**
 * The object headers the caller set, for create (unset ones are left to the server). A storage
 * class the server does not know is its to refuse (`VALIDATION_FAILED`), not the client's to guess.
 */
export function objectHeaderFields(options: ObjectHeaderOptions): Pick<CreateUploadBody, ObjectHeaderName> {
  const out: Partial<Record<ObjectHeaderName, string>> = {};
  for (const k of OBJECT_HEADER_NAMES) if (options[k] !== undefined) out[k] = options[k];
  return out as Pick<CreateUploadBody, ObjectHeaderName>;
}

/**
 * Create's fields for the object the caller shapes: its object headers and upload profile (every
 * way of creating — one file, a set, a stream, an append — sends the same ones).
 */
export function objectFields(options: ObjectFieldOptions): Pick<CreateUploadBody, ObjectHeaderName | 'profile'> {
  return { ...objectHeaderFields(options), ...(options.profile ? { profile: options.profile } : {}) };
}
