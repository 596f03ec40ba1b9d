import * as z from './zod.ts';

import {
  COS_MAX_PART_BYTES,
  COS_MAX_PARTS,
  COS_MAX_TRAFFIC_LIMIT_BPS,
  COS_MIN_TRAFFIC_LIMIT_BPS,
} from './core/cos-limits.ts';
import { COS_STORAGE_CLASSES, DEFAULT_STORAGE_CLASS } from './core/object-headers.ts';
import { uploadProfilesVariable } from './config-profiles.ts';
import { profileProblems } from './core/profiles.ts';
import { DEFAULT_EVENT_TYPES } from './core/webhook-events.ts';
import { EVENT_TYPES, type EventType } from './ports.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const int = (def: number, min = 1, max = Number.MAX_SAFE_INTEGER) =>
  z._default(z.coerce.number().check(z.int(), z.gte(min), z.lte(max)), def);
const optionalString = () => z.optional(z.string().check(z.trim(), z.minLength(1)));

/**
 * A comma list of COS storage class names (436/33417), each one COS knows: a typo would otherwise
 * reach COS at every create as InvalidStorageClass.
 */
const storageClassList = () =>
  z.pipe(
    z.string(),
    z.transform((s, ctx) => {
      const names = s
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n.length > 0);
      const unknown = names.filter((n) => !(COS_STORAGE_CLASSES as readonly string[]).includes(n));
      if (names.length === 0 || unknown.length > 0) {
        ctx.issues.push({
          code: 'custom',
          input: s,
          message: `${unknown.length > 0 ? `unknown storage class ${unknown.join(', ')}: ` : ''}must be a comma list of ${COS_STORAGE_CLASSES.join(', ')}`,
        });
      }
      return [...new Set(names)];
    }),
  );

/** Every variable of docs/API.md's configuration table. */
const buildConfigSchema = () =>
  z
    .object({
      PORT: int(8787, 1, 65535),
      COS_LOCAL_PORT: int(8788, 1, 65535),
      DATA_DIR: z._default(z.string().check(z.minLength(1)), '.data'),
      UPLOADS_STORE: z._default(z.enum(['sqlite', 'dynamodb']), 'dynamodb'),
      UPLOADS_TABLE: z._default(z.string().check(z.minLength(3), z.maxLength(255)), 'uploads'),
      DYNAMODB_ENDPOINT: z.optional(z.url()),
      COS_BUCKET: z._default(
        z.string().check(z.regex(/^[a-z0-9][a-z0-9-]*-\d+$/, 'must be <name>-<APPID>')),
        'uploads-1250000000',
      ),
      COS_REGION: z._default(
        z.string().check(z.regex(/^[a-z]+(-[a-z]+)+$/, 'must look like ap-guangzhou')),
        'ap-guangzhou',
      ),
      COS_ENDPOINT: z.optional(z.url()),
      COS_SECRET_ID: z.string().check(z.minLength(1, 'is required')),
      COS_SECRET_KEY: z.string().check(z.minLength(1, 'is required')),
      COS_SESSION_TOKEN: optionalString(),
      /** Per-attempt timeout and total retry budget of server-side COS calls (Lambda's 29 s API limit bounds them). */
      COS_TIMEOUT_MS: int(15_000, 50, 120_000),
      COS_RETRY_BUDGET_MS: int(25_000, 100, 900_000),
      STS_ENDPOINT: z._default(z.string().check(z.minLength(1)), 'sts.tencentcloudapi.com'),
      STS_REGION: optionalString(),
      STS_ROLE_ARN: optionalString(),
      KEY_PREFIX: z._default(
        z.string().check(z.regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/, 'must be path segments ending in "/"')),
        'u/',
      ),
      MAX_UPLOAD_BYTES: int(50 * GiB, 1, 48.8 * 1024 * GiB),
      MAX_PARTS: int(COS_MAX_PARTS, 1, COS_MAX_PARTS),
      MIN_PART_BYTES: int(MiB, MiB, COS_MAX_PART_BYTES),
      DEFAULT_PART_BYTES: int(8 * MiB, MiB, COS_MAX_PART_BYTES),
      SINGLE_PUT_MAX_BYTES: int(20 * MiB, 0, COS_MAX_PART_BYTES),
      ALLOWED_CONTENT_TYPES: z._default(z.string().check(z.minLength(1)), '*/*'),
      ALLOWED_STORAGE_CLASSES: z._default(storageClassList(), [DEFAULT_STORAGE_CLASS]),
      /** Forced x-cos-traffic-limit on every part URL, bits/s in COS's range (436/40140). */
      TRAFFIC_LIMIT_BPS: z.optional(
        z.coerce.number().check(z.int(), z.gte(COS_MIN_TRAFFIC_LIMIT_BPS), z.lte(COS_MAX_TRAFFIC_LIMIT_BPS)),
      ),
      MAX_OPEN_UPLOADS_PER_OWNER: int(100, 1),
      URL_EXPIRES_SECONDS: int(3600, 60, 7 * 24 * 3600),
      STS_DURATION_SECONDS: int(1800, 900, 7200),
      STALE_AFTER_SECONDS: int(86_400, 60),
      UPLOAD_TTL_SECONDS: int(604_800, 60),
      // API Gateway cuts a request at 30 s: complete answers 202 well before that.
      COMPLETE_WAIT_SECONDS: int(8, 0, 20),
      COMPLETE_GRACE_SECONDS: int(3600, 60, 7 * 24 * 3600),
      AUTH_JWT_SECRET: z.optional(z.string().check(z.minLength(16, 'must be at least 16 characters'))),
      AUTH_JWKS_URL: z.optional(z.url()),
      AUTH_ISSUER: optionalString(),
      AUTH_AUDIENCE: optionalString(),
      /** When set, tokens need an `iat` no older than this (and not in the future, 60 s of skew allowed). */
      AUTH_MAX_TOKEN_AGE_SECONDS: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(366 * 24 * 3600))),
      /** Named upload profiles (docs/API.md "Upload profiles"), each bounded by the limits above. */
      UPLOAD_PROFILES: z._default(uploadProfilesVariable(), {}),
      /** Content verification at complete: the assembled object's signature must fit its declared type. */
      VERIFY_CONTENT_TYPE: z._default(
        z.pipe(
          z.enum(['true', 'false'], 'must be true or false'),
          z.transform((v) => v === 'true'),
        ),
        false,
      ),
      // Webhooks (docs/webhooks.md): unset WEBHOOK_URL = no events are recorded or sent.
      WEBHOOK_URL: z.optional(z.url()),
      WEBHOOK_SECRET: z.optional(
        z.string().check(
          z.regex(/^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be whsec_<base64>'),
          z.refine((s) => s.length >= 'whsec_'.length + 24, 'must hold at least 16 bytes after whsec_'),
        ),
      ),
      WEBHOOK_EVENTS: z._default(
        z.pipe(
          z.string(),
          z.transform((s, ctx) => {
            const names = s.split(',').map((n) => n.trim());
            const unknown = names.filter((n) => !EVENT_TYPES.includes(n as EventType));
            if (unknown.length > 0 || names.length === 0) {
              ctx.issues.push({
                code: 'custom',
                input: s,
                message: `must be a comma-separated list of ${EVENT_TYPES.join(', ')} (unknown: ${unknown.join(', ') || '(empty)'})`,
              });
            }
            return [...new Set(names)] as EventType[];
          }),
        ),
        [...DEFAULT_EVENT_TYPES],
      ),
      WEBHOOK_MAX_AGE_SECONDS: int(86_400, 60, 7 * 86_400),
      WEBHOOK_RETRY_BASE_SECONDS: int(5, 1, 3600),
      LOG_LEVEL: z._default(z.enum(['debug', 'info', 'warn', 'error', 'silent']), 'info'),
    })
    .check(
      z.superRefine((c, ctx) => {
        if (!c.AUTH_JWT_SECRET && !c.AUTH_JWKS_URL) {
          ctx.addIssue({ code: 'custom', path: ['AUTH_JWT_SECRET'], message: 'set AUTH_JWT_SECRET or AUTH_JWKS_URL' });
        }
        if (c.DEFAULT_PART_BYTES < c.MIN_PART_BYTES) {
          ctx.addIssue({ code: 'custom', path: ['DEFAULT_PART_BYTES'], message: 'must be >= MIN_PART_BYTES' });
        }
        if (c.MAX_UPLOAD_BYTES > COS_MAX_PART_BYTES * c.MAX_PARTS) {
          ctx.addIssue({
            code: 'custom',
            path: ['MAX_UPLOAD_BYTES'],
            message: 'cannot fit in MAX_PARTS parts of 5 GiB',
          });
        }
        // Tencent STS GetFederationToken accepts permanent keys only (STS doc 1312/48195): with a
        // session token only AssumeRole can issue the upload keys.
        if (c.COS_SESSION_TOKEN && !c.STS_ROLE_ARN) {
          ctx.addIssue({
            code: 'custom',
            path: ['COS_SESSION_TOKEN'],
            message:
              'temporary server keys cannot call GetFederationToken: set STS_ROLE_ARN (AssumeRole) or use permanent keys',
          });
        }
        const bounds = {
          maxUploadBytes: c.MAX_UPLOAD_BYTES,
          allowedContentTypes: c.ALLOWED_CONTENT_TYPES,
          maxOpenUploadsPerOwner: c.MAX_OPEN_UPLOADS_PER_OWNER,
          minPartBytes: c.MIN_PART_BYTES,
          allowedStorageClasses: c.ALLOWED_STORAGE_CLASSES,
        };
        // Only over a config that parsed: a failed field leaves its raw input in `c`.
        const parsed = ctx.issues.length === 0;
        for (const [name, profile] of parsed ? Object.entries(c.UPLOAD_PROFILES) : []) {
          for (const p of profileProblems(profile, bounds)) {
            ctx.addIssue({ code: 'custom', path: ['UPLOAD_PROFILES', name, p.field], message: p.message });
          }
        }
        const webhook = c.WEBHOOK_URL ? webhookUrlProblem(c.WEBHOOK_URL) : null;
        if (webhook) ctx.addIssue({ code: 'custom', path: ['WEBHOOK_URL'], message: webhook });
        if (c.WEBHOOK_URL && !c.WEBHOOK_SECRET) {
          ctx.addIssue({ code: 'custom', path: ['WEBHOOK_SECRET'], message: 'is required with WEBHOOK_URL' });
        }
        const pathStyle = c.COS_ENDPOINT ? pathStyleProblem(c.COS_ENDPOINT) : null;
        if (pathStyle) ctx.addIssue({ code: 'custom', path: ['COS_ENDPOINT'], message: pathStyle });
      }),
    );

let schema: ReturnType<typeof buildConfigSchema> | undefined;

/**
 * The configuration's schema, built at its first use (the first parseConfig: a Lambda's first
 * request), not at import: every function imports this module, and building these ~50 fields and
 * the profiles' schema was ~2 ms of every init.
 */
export const configSchema = () => (schema ??= buildConfigSchema());

export type Config = z.infer<ReturnType<typeof buildConfigSchema>>;

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

/**
 * Real COS signs a path-style request's path with the bucket in it (`/<bucket>/<key>`, what the
 * official SDK's ForcePathStyle sends), while this client signs `/<key>` as for the virtual-hosted
 * form: only the local emulator, which strips the bucket, takes both. So a path on a real host is
 * refused at start-up instead of failing every request with SignatureDoesNotMatch.
 */
function pathStyleProblem(endpoint: string): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return null; // the url() check already names it
  }
  if (url.pathname.replace(/\/+$/, '') === '' || LOOPBACK_HOST.test(url.hostname)) return null;
  return 'a path-style endpoint (with a path) works only on a loopback host: use the virtual-hosted https://<bucket>.cos.<region>.myqcloud.com';
}

/** Events leave the network in the clear otherwise: https, except to a receiver on this machine. */
function webhookUrlProblem(u: string): string | null {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return null; // the url() check already names it
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname)) return null;
  return 'must be https (http only on a loopback host)';
}

/** The events this configuration records and sends: none without WEBHOOK_URL. */
export const recordedEvents = (c: Pick<Config, 'WEBHOOK_URL' | 'WEBHOOK_EVENTS'>): readonly EventType[] =>
  c.WEBHOOK_URL ? c.WEBHOOK_EVENTS : [];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment; throws a ConfigError whose message names every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset" (serverless.yml renders missing parameters as '').
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema().safeParse(cleaned);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
  throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
}

/** COS base URL for the bucket: path-style locally, virtual-hosted in the cloud. */
export function cosEndpoint(c: Pick<Config, 'COS_ENDPOINT' | 'COS_BUCKET' | 'COS_REGION'>): string {
  return (c.COS_ENDPOINT ?? `https://${c.COS_BUCKET}.cos.${c.COS_REGION}.myqcloud.com`).replace(/\/+$/, '');
}

/** The APPID is the numeric suffix of the bucket name (`name-1250000000`). */
export function appIdOf(bucket: string): string {
  return bucket.slice(bucket.lastIndexOf('-') + 1);
}
