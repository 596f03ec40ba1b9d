import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorsRule, startCosEmulator } from '../../local/cos/server.ts';
import {
  signedFetch,
  startTestEmulator,
  TEST_BUCKET,
  TEST_REGION,
  TEST_SECRET_ID,
  TEST_SECRET_KEY,
  type TestEmulator,
} from '../helpers/cos-emulator.ts';

/**
 * CORS as a bucket rule answers it (PUT Bucket cors 436/8279, OPTIONS Object 436/8288): browsers
 * send these requests, so raw fetch plays the browser. Default: one rule for loopback origins.
 */

let t: TestEmulator;
beforeAll(async () => {
  t = await startTestEmulator();
});
afterAll(() => t.close());

const preflight = (url: string, origin: string | null, method: string | null, headers?: string) =>
  fetch(url, {
    method: 'OPTIONS',
    headers: {
      ...(origin ? { origin } : {}),
      ...(method ? { 'access-control-request-method': method } : {}),
      ...(headers ? { 'access-control-request-headers': headers } : {}),
    },
  });

/** Every Access-Control-* header of a response. */
const acHeaders = (res: Response) => [...res.headers.keys()].filter((k) => k.startsWith('access-control-'));
const code = async (res: Response) => /<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1];

describe('default CORS rule: loopback origins on any port', () => {
  it('allows a preflight from each loopback origin, echoing the asked headers, with the rule methods', async () => {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:8787', 'http://[::1]:3000']) {
      const res = await preflight(`${t.emulator.bucketUrl}/some/key`, origin, 'PUT', 'content-type,x-cos-meta-a');
      expect(res.status, origin).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-allow-methods')).toBe('PUT, POST, GET, HEAD');
      expect(res.headers.get('access-control-allow-headers')).toBe('content-type, x-cos-meta-a');
      expect(res.headers.get('access-control-max-age')).toBe('600');
      expect(res.headers.get('vary')).toContain('Origin');
    }
  });

  it('refuses a preflight from another origin, for DELETE, or without Origin: 403 AccessForbidden, no CORS headers', async () => {
    const url = `${t.emulator.bucketUrl}/some/key`;
    for (const [origin, method] of [
      ['https://evil.example', 'PUT'],
      ['http://127.0.0.1.evil.example:80', 'PUT'],
      ['http://localhost:5173', 'DELETE'],
      [null, 'PUT'],
      ['http://localhost:5173', null],
    ] as const) {
      const res = await preflight(url, origin, method);
      expect(res.status, `${origin} ${method}`).toBe(403);
      expect(acHeaders(res)).toEqual([]);
      expect(await code(res)).toBe('AccessForbidden');
    }
  });

  it('an actual request from a loopback origin exposes exactly the rule headers; another origin gets none', async () => {
    const put = await signedFetch(t.emulator, {
      method: 'PUT',
      key: 'cors.bin',
      body: 'abc',
      headers: { origin: 'http://localhost:5173' },
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(put.headers.get('access-control-expose-headers')).toBe(
      'ETag, x-cos-hash-crc64ecma, x-cos-next-append-position, x-cos-request-id',
    );
    expect(put.headers.get('vary')).toBe('Origin');

    const foreign = await signedFetch(t.emulator, {
      method: 'PUT',
      key: 'cors.bin',
      body: 'abc',
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(200); // COS still serves it; the browser hides the answer
    expect(acHeaders(foreign)).toEqual([]);
    expect(foreign.headers.get('vary')).toBe('Origin');
    // Without Origin (not a browser) no CORS headers either, but the answer still varies by Origin.
    const plain = await signedFetch(t.emulator, { method: 'HEAD', key: 'cors.bin' });
    expect(acHeaders(plain)).toEqual([]);
    expect(plain.headers.get('vary')).toBe('Origin');
  });

  it('an error answer to an allowed origin carries the CORS headers, so the page can read the error', async () => {
    const res = await signedFetch(t.emulator, {
      method: 'GET',
      key: 'missing.bin',
      headers: { origin: 'http://127.0.0.1:9000' },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:9000');
  });
});

describe('configured CORS rules', () => {
  const rules: CorsRule[] = [
    {
      allowedOrigins: ['https://*.example.com'],
      allowedMethods: ['GET'],
      allowedHeaders: ['x-cos-meta-*'],
      exposeHeaders: ['ETag'],
      maxAgeSeconds: 60,
    },
    { allowedOrigins: ['*'], allowedMethods: ['HEAD'] },
  ];

  async function withEmulator(cors: CorsRule[], fn: (bucketUrl: string) => Promise<void>) {
    const dataDir = await mkdtemp(join(tmpdir(), 'cos-cors-'));
    try {
      const emu = await startCosEmulator({
        dataDir,
        secretId: TEST_SECRET_ID,
        secretKey: TEST_SECRET_KEY,
        bucket: TEST_BUCKET,
        region: TEST_REGION,
        cors,
      });
      try {
        await fn(emu.bucketUrl);
      } finally {
        await emu.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }

  it('matches origin wildcards, methods and header patterns; the first matching rule answers', async () => {
    await withEmulator(rules, async (url) => {
      const ok = await preflight(`${url}/k`, 'https://app.example.com', 'GET', 'X-Cos-Meta-Foo');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(ok.headers.get('access-control-allow-methods')).toBe('GET');
      expect(ok.headers.get('access-control-expose-headers')).toBe('ETag');
      expect(ok.headers.get('access-control-max-age')).toBe('60');
      // A header the rule does not allow, a method it does not list, an origin it does not cover.
      expect((await preflight(`${url}/k`, 'https://app.example.com', 'GET', 'content-type')).status).toBe(403);
      expect((await preflight(`${url}/k`, 'https://app.example.com', 'PUT')).status).toBe(403);
      expect((await preflight(`${url}/k`, 'http://app.example.com', 'GET')).status).toBe(403);
      expect((await preflight(`${url}/k`, 'http://localhost:5173', 'GET')).status).toBe(403);
      // The `*` rule answers `*`, without exposing anything it does not name.
      const any = await preflight(`${url}/k`, 'https://anyone.test', 'HEAD');
      expect(any.status).toBe(200);
      expect(any.headers.get('access-control-allow-origin')).toBe('*');
      expect(any.headers.get('access-control-expose-headers')).toBeNull();
    });
  });

  it('no rules: no preflight is allowed and nothing carries CORS headers', async () => {
    await withEmulator([], async (url) => {
      const res = await preflight(`${url}/k`, 'http://localhost:5173', 'PUT');
      expect(res.status).toBe(403);
      expect(acHeaders(res)).toEqual([]);
      const get = await fetch(`${url}/k`, { headers: { origin: 'http://localhost:5173' } });
      expect(acHeaders(get)).toEqual([]);
    });
  });

  it('refuses rules COS would refuse: two * in an origin, a * in an expose header, an unknown method', async () => {
    for (const bad of [
      { allowedOrigins: ['http://*.*.example'], allowedMethods: ['GET'] },
      { allowedOrigins: ['*'], allowedMethods: ['GET'], exposeHeaders: ['x-cos-*'] },
      { allowedOrigins: ['*'], allowedMethods: ['PATCH'] },
    ]) {
      await expect(withEmulator([bad], async () => {})).rejects.toThrow(/cors rule 0/);
    }
  });
});
