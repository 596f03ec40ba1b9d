import { describe, expect, it } from 'vitest';
import { adminListQuery } from '../../shared/api/admin-schemas.ts';
import { createUploadBody } from '../../shared/api/schemas.ts';
import { parseConfig } from '../../shared/config.ts';

// The server's schemas are zod/mini, which loads no locale: shared/zod.ts sets English once. These
// pin the words the API and the configuration errors used with classic zod, so they cannot
// silently become "Invalid input".
const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  r.error?.issues.map((i) => [i.path.join('.'), i.message]);

describe('validation messages', () => {
  it('request bodies: zod defaults in English, custom messages as written', () => {
    expect(
      issues(createUploadBody.safeParse({ fileName: '', size: 1.5, crc64: 'x1', metadata: { K: 'v' }, extra: 1 })),
    ).toEqual([
      ['fileName', 'Too small: expected string to have >=1 characters'],
      ['fileName', 'must not be blank'],
      ['size', 'Invalid input: expected int, received number'],
      ['metadata.K', 'names are [a-z0-9] then [a-z0-9-] (COS allows no _ or capitals)'],
      ['crc64', 'must be an unsigned decimal CRC64 (64 bits)'],
      ['', 'Unrecognized key: "extra"'],
    ]);
    expect(issues(adminListQuery.safeParse({ state: 'gone', limit: 'x' }))).toEqual([
      ['state', 'Invalid option: expected one of "open"|"completing"|"completed"|"aborted"|"expired"'],
      ['limit', 'Invalid input: expected number, received NaN'],
    ]);
  });

  it('configuration errors name each variable', () => {
    expect(() => parseConfig({ COS_SECRET_ID: 'a', PORT: '70000', COS_ENDPOINT: 'nope' })).toThrow(
      [
        'invalid configuration:',
        '  PORT: Too big: expected number to be <=65535',
        '  COS_ENDPOINT: Invalid URL',
        '  COS_SECRET_KEY: Invalid input: expected string, received undefined',
      ].join('\n'),
    );
  });
});
