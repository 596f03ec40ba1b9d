/**
 * STS calls through the Tencent SDK, for sts-shims.test.ts, which runs them twice: imported
 * in-process (the SDK with its own node-fetch and form-data) and bundled with build/bundle.ts's
 * options (the shims) in a fresh Node 24 process:
 *   node sts-driver.mjs <cases.json> <outcomes.json>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CommonClient } from 'tencentcloud-sdk-nodejs-common';
import { isUploadError } from '../../shared/errors.ts';
import { tencentStsIssuer } from '../../shared/sts/tencent-sts-issuer.ts';

export interface StsCase {
  /** `issue`: GetFederationToken through the project's issuer; `multipart`: the SDK's multipart POST. */
  kind: 'issue' | 'multipart';
  /** host:port, spoken to over http. */
  endpoint: string;
  secretId: string;
  secretKey: string;
  /** The SDK's reqTimeout. */
  timeoutSeconds: number;
}

const REGION = 'ap-guangzhou';
const grant = {
  actions: ['UploadPart', 'ListParts'] as const,
  object: { region: REGION, bucket: 'uploads-1250000000', key: 'u/shim-test' },
  maxPartBytes: 1 << 20,
};

/** What an error says, minus what differs per call (the SDK's random trace id, STS's request id). */
function describe(e: unknown): unknown {
  if (!(e instanceof Error)) return { thrown: String(e) };
  const x = e as Error & { code?: unknown; httpCode?: unknown; type?: unknown; requestId?: unknown };
  return {
    name: x.name,
    message: x.message,
    code: x.code,
    httpCode: x.httpCode,
    type: x.type,
    requestId: typeof x.requestId,
    ...(isUploadError(e) ? { status: e.status, uploadCode: e.code, cause: describe(e.cause) } : {}),
  };
}

export async function runCase(c: StsCase): Promise<unknown> {
  try {
    if (c.kind === 'multipart') {
      const client = new CommonClient(c.endpoint, '2018-08-13', {
        credential: { secretId: c.secretId, secretKey: c.secretKey },
        region: REGION,
        profile: { httpProfile: { endpoint: c.endpoint, protocol: 'http://', reqTimeout: c.timeoutSeconds } },
      });
      const text = 'plain text, ünïcode';
      const bytes = Buffer.from([0, 1, 2, 13, 10, 255]);
      return { ok: await client.request('UploadShimTest', { Text: text, Bytes: bytes }, { multipart: true }) };
    }
    const issuer = tencentStsIssuer({
      secretId: c.secretId,
      secretKey: c.secretKey,
      endpoint: c.endpoint,
      region: REGION,
      retry: { maxAttempts: 1, attemptTimeoutSeconds: c.timeoutSeconds },
    });
    const creds = await issuer.issue({ name: 'shim-test', grant, durationSeconds: 900 });
    return { ok: Object.fromEntries(Object.entries(creds).map(([k, v]) => [k, typeof v])) };
  } catch (e) {
    return describe(e);
  }
}

if (import.meta.main) {
  const [casesFile, outFile] = process.argv.slice(2);
  if (!casesFile || !outFile) throw new Error('usage: sts-driver.mjs <cases.json> <outcomes.json>');
  const cases = JSON.parse(readFileSync(casesFile, 'utf8')) as StsCase[];
  const outcomes: unknown[] = [];
  for (const c of cases) outcomes.push(await runCase(c));
  writeFileSync(outFile, JSON.stringify(outcomes));
  process.exit(0);
}
