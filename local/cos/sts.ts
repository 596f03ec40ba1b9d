import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { appIdOf, type EmulatorContext } from './context.ts';
import { otherAccountResource, type Policy, parsePolicy } from './policy.ts';
import { readSmallBody } from './respond.ts';
import { StsError, verifyTc3 } from './tc3.ts';

/**
 * The STS half of the emulator: GetFederationToken and AssumeRole over Tencent Cloud API 3.0.
 * Issued tokens (with their policy and expiry) persist in the MetaStore; COS requests carrying one
 * are then held to that policy. Errors are HTTP 200 with Response.Error, as Tencent Cloud answers.
 */

const VERSION = '2018-08-13';
const LIMITS = {
  GetFederationToken: { def: 1800, max: 7200 },
  AssumeRole: { def: 7200, max: 43200 },
} as const;
type StsAction = keyof typeof LIMITS;

const alnum = (n: number): string => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(n)].map((b) => chars[b % chars.length]).join('');
};

function json(res: ServerResponse, status: number, body: unknown): void {
  const buf = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(buf.length) });
  res.end(buf);
}

export function sendStsError(res: ServerResponse, code: string, message: string, status = 200): void {
  json(res, status, { Response: { Error: { Code: code, Message: message }, RequestId: randomUUID() } });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** The `Policy` parameter is URL-encoded JSON; tolerate a client that sent it raw. */
function decodePolicy(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * GetFederationToken's Name: "您可以自定义调用方英文名称，由字母组成" — letters (1312/48195, and the
 * tencentcloud-sdk-nodejs-sts model's doc comment); the official qcloud-cos-sts-sdk (nodejs) sends
 * `cos-sts-nodejs`, so `-` passes too. 2–32 characters is the emulator's assumption of the bounds.
 */
const FEDERATION_NAME_RE = /^[A-Za-z-]{2,32}$/;

function issue(ctx: EmulatorContext, action: StsAction, params: Record<string, unknown>) {
  const name = action === 'GetFederationToken' ? str(params.Name) : str(params.RoleSessionName);
  if (!name)
    throw new StsError(
      'MissingParameter',
      `The request is missing a required parameter \`${action === 'GetFederationToken' ? 'Name' : 'RoleSessionName'}\`.`,
    );
  if (action === 'GetFederationToken' && !FEDERATION_NAME_RE.test(name))
    throw new StsError('InvalidParameter', `Name must be 2-32 letters or hyphens ([A-Za-z-]), got '${name}'.`);
  if (action === 'AssumeRole' && !str(params.RoleArn))
    throw new StsError('MissingParameter', 'The request is missing a required parameter `RoleArn`.');
  const rawPolicy = params.Policy;
  if (rawPolicy !== undefined && typeof rawPolicy !== 'string')
    throw new StsError('InvalidParameter', 'Policy must be a string.');
  if (action === 'GetFederationToken' && !rawPolicy)
    throw new StsError('MissingParameter', 'The request is missing a required parameter `Policy`.');
  let policy: string | null = null;
  if (rawPolicy) {
    policy = decodePolicy(rawPolicy);
    let parsed: Policy;
    try {
      parsed = parsePolicy(policy);
    } catch (e) {
      throw new StsError('InvalidParameter.PolicyFormatError', `Policy is invalid: ${(e as Error).message}`);
    }
    // The error code STS lists for GetFederationToken / AssumeRole when a policy names another
    // account's resources (1312/48195 error codes).
    const foreign = otherAccountResource(parsed, appIdOf(ctx.bucket));
    if (foreign !== undefined)
      throw new StsError(
        'InvalidParameter.GrantOtherResource',
        `The policy grants a resource of another account: ${foreign} (this account's APPID is ${appIdOf(ctx.bucket)}).`,
      );
  }
  const lim = LIMITS[action];
  const duration = params.DurationSeconds === undefined ? lim.def : params.DurationSeconds;
  if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 1 || duration > lim.max) {
    throw new StsError('InvalidParameterValue', `DurationSeconds must be an integer within 1..${lim.max}.`);
  }
  const now = ctx.now();
  const expiredTime = Math.floor(now / 1000) + duration;
  const row = {
    token: alnum(96),
    tmpSecretId: `AKID${alnum(32)}`,
    tmpSecretKey: alnum(32),
    policy,
    issuedAt: now,
    expiresAt: expiredTime * 1000,
    name,
  };
  ctx.store.putToken(row);
  ctx.store.purgeTokens(now - 86_400_000);
  return {
    Credentials: { Token: row.token, TmpSecretId: row.tmpSecretId, TmpSecretKey: row.tmpSecretKey },
    ExpiredTime: expiredTime,
    Expiration: new Date(expiredTime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    RequestId: randomUUID(),
  };
}

export async function handleSts(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: EmulatorContext,
  action: string,
): Promise<void> {
  let body: Buffer;
  try {
    body = await readSmallBody(req, 64 * 1024);
  } catch {
    return sendStsError(res, 'InvalidParameter', 'The request body is too large.');
  }
  try {
    // "本接口仅支持永久密钥调用": GetFederationToken takes permanent keys only (1312/48195). What
    // Tencent answers to temporary ones (X-TC-Token present) is not documented; the emulator
    // assumes AuthFailure.InvalidSecretId, Tencent's code for a key that is not a permanent API key.
    if (action === 'GetFederationToken' && req.headers['x-tc-token'] !== undefined)
      throw new StsError(
        'AuthFailure.InvalidSecretId',
        'GetFederationToken only accepts permanent keys; the request carries X-TC-Token (temporary credentials).',
      );
    verifyTc3({
      method: req.method ?? 'POST',
      url: req.url ?? '/',
      headers: req.headers,
      body,
      nowMs: ctx.now(),
      secretId: ctx.account.secretId,
      secretKey: ctx.account.secretKey,
    });
    if (action !== 'GetFederationToken' && action !== 'AssumeRole') {
      throw new StsError('InvalidAction', `The action ${action} is not supported by this emulator.`);
    }
    if (req.headers['x-tc-version'] !== VERSION)
      throw new StsError('NoSuchVersion', `The API version must be ${VERSION}.`);
    let params: unknown;
    try {
      params = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      throw new StsError('InvalidParameter', 'The request body is not valid JSON.');
    }
    if (typeof params !== 'object' || params === null || Array.isArray(params))
      throw new StsError('InvalidParameter', 'The request body must be a JSON object.');
    json(res, 200, { Response: issue(ctx, action, params as Record<string, unknown>) });
  } catch (e) {
    if (e instanceof StsError) return sendStsError(res, e.code, e.message);
    throw e;
  }
}
