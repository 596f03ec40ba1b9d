import { UploadClientError } from './errors.ts';
import { OBJECT_HEADER_NAMES } from './object-headers.ts';
import type { ApiClientOptions, UploadOptions } from './types.ts';

/** One problem with the options, shaped like the API's validation issues. */
interface Issue {
  path: string[];
  message: string;
}

type IntRule = [key: keyof UploadOptions, min: number, max: number];

const INT_RULES: IntRule[] = [
  ['concurrency', 1, 64],
  ['partSize', 1, 5 * 1024 ** 3],
  ['urlBatchSize', 1, 1000],
  ['recordBatchSize', 1, 1000],
  ['recordIntervalMs', 0, Number.MAX_SAFE_INTEGER],
  ['urlExpiryMarginMs', 0, Number.MAX_SAFE_INTEGER],
  ['completeTimeoutMs', 0, Number.MAX_SAFE_INTEGER],
  // COS's x-cos-traffic-limit range, bits/s (100 KiB/s – 100 MiB/s).
  ['trafficLimit', 819_200, 838_860_800],
];

/**
 * The API base URL: `baseUrl`, else its deprecated alias `api`, without trailing slashes. Only
 * meaningful once the options passed validation.
 */
export function resolveBaseUrl(options: { baseUrl?: unknown; api?: unknown }): string {
  const url = options.baseUrl ?? options.api;
  return typeof url === 'string' ? url.replace(/\/+$/, '') : '';
}

/** Exactly one of `baseUrl` and `api` (so a half-migrated caller is told, not guessed), and a token. */
function accessIssues(options: { baseUrl?: unknown; api?: unknown; token?: unknown; getToken?: unknown }): Issue[] {
  const issues: Issue[] = [];
  const given = (['baseUrl', 'api'] as const).filter((k) => options[k] !== undefined);
  if (given.length === 0) {
    issues.push({ path: ['baseUrl'], message: 'the API base URL is required' });
  } else if (given.length === 2) {
    issues.push({ path: ['api'], message: 'give baseUrl only: api is its deprecated alias' });
  } else {
    const key = given[0]!;
    const url = options[key];
    if (typeof url !== 'string' || !/^https?:\/\/[^/]/.test(url)) {
      issues.push({ path: [key], message: 'must be an http(s) URL' });
    }
  }
  if (!options.token && !options.getToken) {
    issues.push({ path: ['token'], message: 'token or getToken is required' });
  }
  return issues;
}

const fail = (what: string, issues: Issue[]): void => {
  if (issues.length > 0) throw new UploadClientError(null, 'INVALID_OPTIONS', `invalid ${what} options`, { issues });
};

/** Fails fast (INVALID_OPTIONS, with every issue) on what would otherwise surface as odd API errors. */
export function validateApiClientOptions(options: ApiClientOptions): void {
  fail('API client', accessIssues(options));
}

/** As {@link validateApiClientOptions}, plus the upload's own limits and its resume target. */
export function validateUploadOptions(options: UploadOptions): void {
  const issues = accessIssues(options);
  for (const [key, min, max] of INT_RULES) {
    const v = options[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      issues.push({ path: [key], message: `must be an integer in [${min}, ${max}]` });
    }
  }
  // Object headers go to the server as given; the server checks their content (VALIDATION_FAILED).
  for (const key of OBJECT_HEADER_NAMES) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'string' || v === ''))
      issues.push({ path: [key], message: 'must be a non-empty string' });
  }
  if (options.md5 !== undefined && typeof options.md5 !== 'boolean') {
    issues.push({ path: ['md5'], message: 'must be a boolean' });
  }
  if (options.uploadId !== undefined && options.resume !== undefined) {
    issues.push({ path: ['resume'], message: 'give uploadId only: resume is its deprecated alias' });
  }
  for (const key of ['uploadId', 'resume'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'string' || v === ''))
      issues.push({ path: [key], message: 'must be an upload id' });
  }
  fail('upload', issues);
}

/** The upload to resume: `uploadId`, else its deprecated alias `resume`. */
export const resumeTarget = (options: UploadOptions): string | undefined => options.uploadId ?? options.resume;
