import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import COS from 'cos-nodejs-sdk-v5';
import { sts } from 'tencentcloud-sdk-nodejs-sts';
import { type CosEmulator, startCosEmulator } from '../../local/cos/server.ts';
import { authorization } from '../../shared/cos/signer.ts';

/**
 * A COS emulator for one test file: fresh temp dataDir, fixed keys, a controllable clock, and
 * factories for the official COS and STS SDK clients pointed at it.
 */

export const TEST_BUCKET = 'uploads-1250000000';
export const TEST_REGION = 'ap-guangzhou';
export const TEST_SECRET_ID = 'AKIDTESTEMULATOR0000000000000000';
export const TEST_SECRET_KEY = 'TestEmulatorSecretKey00000000000';

export interface TestEmulator {
  emulator: CosEmulator;
  dataDir: string;
  /** Added to Date.now() for the emulator's clock: move it forward to expire signatures/tokens. */
  clock: { offsetMs: number };
  /** Bucket + Region for SDK calls. */
  target: { Bucket: string; Region: string };
  /** The official SDK, as `new COS({ SecretId, SecretKey, Protocol: 'http', Domain })` (or other options). */
  cos(options?: COS.COSOptions): COS;
  /** The official Tencent STS client pointed at the emulator. */
  stsClient(secretKey?: string): InstanceType<typeof sts.v20180813.Client>;
  /** Restarts on the same dataDir (persistence tests). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestEmulator(opts: { log?: (line: object) => void } = {}): Promise<TestEmulator> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cos-emu-'));
  const clock = { offsetMs: 0 };
  const start = () =>
    startCosEmulator({
      port: 0,
      dataDir,
      secretId: TEST_SECRET_ID,
      secretKey: TEST_SECRET_KEY,
      bucket: TEST_BUCKET,
      region: TEST_REGION,
      now: () => Date.now() + clock.offsetMs,
      log: opts.log,
    });
  const t: TestEmulator = {
    emulator: await start(),
    dataDir,
    clock,
    target: { Bucket: TEST_BUCKET, Region: TEST_REGION },
    cos(options = {}) {
      return new COS({
        SecretId: TEST_SECRET_ID,
        SecretKey: TEST_SECRET_KEY,
        Protocol: 'http',
        Domain: `127.0.0.1:${t.emulator.port}`,
        ...options,
      });
    },
    stsClient(secretKey = TEST_SECRET_KEY) {
      return new sts.v20180813.Client({
        credential: { secretId: TEST_SECRET_ID, secretKey },
        region: TEST_REGION,
        profile: { httpProfile: { endpoint: `127.0.0.1:${t.emulator.port}`, protocol: 'http://' } },
      });
    },
    async restart() {
      await t.emulator.close();
      t.emulator = await start();
    },
    async close() {
      await t.emulator.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

export interface SignedRequest {
  method: string;
  key: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  secretId?: string;
  secretKey?: string;
  token?: string;
}

/** A request signed with the project's own signer (for cases the SDK would retry or hide). */
export function signedFetch(emu: CosEmulator, r: SignedRequest): Promise<Response> {
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  const host = `127.0.0.1:${emu.port}`;
  const headers: Record<string, string> = {
    host,
    ...(body ? { 'content-length': String(body.length) } : {}),
    ...r.headers,
  };
  const now = Math.floor(Date.now() / 1000);
  const auth = authorization({
    secretId: r.secretId ?? TEST_SECRET_ID,
    secretKey: r.secretKey ?? TEST_SECRET_KEY,
    method: r.method,
    path: `/${r.key}`,
    query: r.query,
    headers,
    startSeconds: now - 1,
    endSeconds: now + 600,
  });
  const qs = Object.entries(r.query ?? {})
    .map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&');
  const path = r.key.split('/').map(encodeURIComponent).join('/');
  const { host: _h, ...sent } = headers;
  return fetch(`${emu.bucketUrl}/${path}${qs ? `?${qs}` : ''}`, {
    method: r.method,
    headers: { ...sent, authorization: auth, ...(r.token ? { 'x-cos-security-token': r.token } : {}) },
    body: body ? new Uint8Array(body) : undefined,
  });
}

/** Promise form of an SDK call's error: resolves to the error object, fails if the call succeeded. */
export async function sdkError(p: Promise<unknown>): Promise<{ code?: string; statusCode?: number; message?: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; statusCode?: number; message?: string };
  }
  throw new Error('expected the SDK call to fail');
}

/** multipartList params: the SDK's typings demand Delimiter, which COS treats as optional. */
export const listParams = (
  p: Omit<COS.MultipartListParams, 'Delimiter'> & { Delimiter?: string },
): COS.MultipartListParams => p as COS.MultipartListParams;
