import { storageUnavailable } from '../errors.ts';
import type { CredentialIssuer, TemporaryCredentials } from '../ports.ts';
import { camPolicy, encodePolicy } from './policy.ts';
import * as z from '../zod.ts';
import { describeStsError, isRetriableStsError, toStsUploadError } from './sts-errors.ts';

/** The two calls used from `sts.v20180813.Client`; tests inject their own to inject faults. */
export interface StsApi {
  GetFederationToken(req: { Name: string; Policy: string; DurationSeconds: number }): Promise<unknown>;
  AssumeRole(req: {
    RoleArn: string;
    RoleSessionName: string;
    Policy: string;
    DurationSeconds: number;
  }): Promise<unknown>;
}

export interface StsRetry {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per attempt (the SDK's reqTimeout). */
  attemptTimeoutSeconds: number;
}

/** Three quick attempts stay well inside API Gateway's 29 s integration timeout. */
export const DEFAULT_STS_RETRY: StsRetry = {
  maxAttempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 2000,
  attemptTimeoutSeconds: 8,
};

export interface TencentStsOptions {
  secretId: string;
  secretKey: string;
  sessionToken?: string;
  /** STS_ENDPOINT: host[:port]; a loopback host (the local emulator) is spoken to over http. */
  endpoint: string;
  region: string;
  /** STS_ROLE_ARN: when set, AssumeRole instead of GetFederationToken. */
  roleArn?: string;
  /** Unix milliseconds; stamps `startTime`. */
  now?: () => number;
  retry?: Partial<StsRetry>;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Injected client (tests); by default the SDK's, loaded on first use so no other function loads it. */
  client?: StsApi;
  /** Retry notices: attempt, delay, code, request id — never credentials. */
  log?: (fields: Record<string, unknown>) => void;
}

const answerSchema = z.object({
  Credentials: z.object({
    Token: z.string().check(z.minLength(1)),
    TmpSecretId: z.string().check(z.minLength(1)),
    TmpSecretKey: z.string().check(z.minLength(1)),
  }),
  ExpiredTime: z.number().check(z.int(), z.positive()),
  Expiration: z.nullish(z.string()),
});

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `http://` for 127.0.0.1 / localhost / ::1 (the emulator), `https://` otherwise; an explicit scheme wins. */
export function stsEndpoint(endpoint: string): { host: string; protocol: 'http://' | 'https://' } {
  const m = /^(https?:\/\/)?([^/]+)\/*$/.exec(endpoint.trim());
  if (!m) throw new Error('STS_ENDPOINT must be host[:port]');
  const host = m[2]!;
  if (m[1]) return { host, protocol: m[1] as 'http://' | 'https://' };
  const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/i.test(host);
  return { host, protocol: loopback ? 'http://' : 'https://' };
}

/** RoleSessionName allows `[\w+=,.@-]` (AssumeRole, CAM doc 1312/26211); an upload id already fits. */
const roleSessionName = (name: string) =>
  name
    .replace(/[^\w+=,.@-]/g, '-')
    .slice(0, 128)
    .padEnd(2, '-');

/**
 * GetFederationToken's `Name` is documented as letters only (STS doc 1312/33228; the official
 * qcloud-cos-sts-sdk nodejs sends `cos-sts-nodejs`), 2–32 characters. An upload id has `_` and
 * digits, so the federated name is one constant; the policy, not the name, carries the upload.
 */
export const FEDERATION_NAME = 'cos-upload-coordinator';

/**
 * CredentialIssuer on Tencent Cloud STS (API 3.0, tencentcloud-sdk-nodejs-sts): GetFederationToken
 * with the upload's policy, or AssumeRole when a role is configured (the policy then narrows the
 * role). Transient failures are retried with exponential backoff and full jitter; every failure
 * leaves as STORAGE_UNAVAILABLE. Nothing here logs or puts credentials in an error.
 */
export function tencentStsIssuer(opts: TencentStsOptions): CredentialIssuer {
  const retry = { ...DEFAULT_STS_RETRY, ...opts.retry };
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? sleepMs;
  let client: Promise<StsApi> | undefined = opts.client ? Promise.resolve(opts.client) : undefined;

  const getClient = () => {
    client ??= sdkClient(opts, retry.attemptTimeoutSeconds);
    client.catch(() => {
      client = undefined;
    });
    return client;
  };

  const call = async (api: StsApi, name: string, policy: string, durationSeconds: number): Promise<unknown> =>
    opts.roleArn
      ? api.AssumeRole({
          RoleArn: opts.roleArn,
          RoleSessionName: roleSessionName(name),
          Policy: policy,
          DurationSeconds: durationSeconds,
        })
      : api.GetFederationToken({ Name: FEDERATION_NAME, Policy: policy, DurationSeconds: durationSeconds });

  return {
    async issue(req) {
      const policy = encodePolicy(camPolicy(req.grant));
      let api: StsApi;
      try {
        api = await getClient();
      } catch (e) {
        throw storageUnavailable('temporary credentials could not be issued', e, 502);
      }
      for (let attempt = 1; ; attempt++) {
        const startMs = now();
        let answer: unknown;
        try {
          answer = await call(api, req.name, policy, req.durationSeconds);
        } catch (e) {
          if (!isRetriableStsError(e) || attempt >= retry.maxAttempts) throw toStsUploadError(e);
          const delayMs = Math.floor(random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1)));
          opts.log?.({
            msg: 'sts retry',
            op: opts.roleArn ? 'AssumeRole' : 'GetFederationToken',
            attempt,
            delayMs,
            ...describeStsError(e),
          });
          await sleep(delayMs);
          continue;
        }
        return toCredentials(answer, startMs, req.durationSeconds);
      }
    },
  };
}

/**
 * `startTime` becomes the SDK's KeyTime start, which COS refuses if it is in COS's future: take the
 * earlier of our clock and STS's own (ExpiredTime − duration), so a clock running ahead of
 * Tencent's cannot make fresh keys unusable for their first seconds.
 */
function toCredentials(answer: unknown, startMs: number, durationSeconds: number): TemporaryCredentials {
  const parsed = answerSchema.safeParse(answer);
  // Neither the raw answer nor zod's issues (which quote values) go into the error: they may hold secrets.
  if (!parsed.success) throw storageUnavailable('STS answered without usable credentials', undefined, 502);
  const a = parsed.data;
  return {
    tmpSecretId: a.Credentials.TmpSecretId,
    tmpSecretKey: a.Credentials.TmpSecretKey,
    sessionToken: a.Credentials.Token,
    startTime: Math.min(Math.floor(startMs / 1000), a.ExpiredTime - durationSeconds),
    expiredTime: a.ExpiredTime,
    expiration: a.Expiration || new Date(a.ExpiredTime * 1000).toISOString(),
  };
}

async function sdkClient(opts: TencentStsOptions, reqTimeout: number): Promise<StsApi> {
  const { sts } = await import('tencentcloud-sdk-nodejs-sts');
  const { host, protocol } = stsEndpoint(opts.endpoint);
  return new sts.v20180813.Client({
    credential: { secretId: opts.secretId, secretKey: opts.secretKey, token: opts.sessionToken },
    region: opts.region,
    profile: { httpProfile: { endpoint: host, protocol, reqTimeout } },
  });
}
