import { UploadClientError } from './errors.ts';
import type { UploadOptions } from './types.ts';

type IntRule = [key: keyof UploadOptions, min: number, max: number];

const INT_RULES: IntRule[] = [
  ['concurrency', 1, 64],
  ['partSize', 1, 5 * 1024 ** 3],
  ['urlBatchSize', 1, 1000],
  ['recordBatchSize', 1, 1000],
  ['recordIntervalMs', 0, Number.MAX_SAFE_INTEGER],
  ['urlExpiryMarginMs', 0, Number.MAX_SAFE_INTEGER],
  ['completeTimeoutMs', 0, Number.MAX_SAFE_INTEGER],
];

/** Fails fast on options that would otherwise surface as odd API errors halfway through. */
export function validateOptions(options: UploadOptions): void {
  const issues: { path: string[]; message: string }[] = [];
  if (typeof options.api !== 'string' || !/^https?:\/\//.test(options.api)) {
    issues.push({ path: ['api'], message: 'must be an http(s) URL' });
  }
  if (!options.token && !options.getToken) {
    issues.push({ path: ['token'], message: 'token or getToken is required' });
  }
  for (const [key, min, max] of INT_RULES) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      issues.push({ path: [key], message: `must be an integer in [${min}, ${max}]` });
    }
  }
  if (options.resume !== undefined && (typeof options.resume !== 'string' || options.resume === '')) {
    issues.push({ path: ['resume'], message: 'must be an upload id' });
  }
  if (issues.length > 0) {
    throw new UploadClientError(null, 'INVALID_OPTIONS', 'invalid upload options', { issues }, { retryable: false });
  }
}
