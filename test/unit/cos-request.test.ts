import { describe, expect, it } from 'vitest';
import { isNoSuchUpload } from '../../shared/cos/cos-error.ts';
import { type CosClientContext, type CosRequest, DEFAULT_RETRY, sendCos } from '../../shared/cos/request.ts';
import { authorizationFields } from '../../shared/cos/signer.ts';
import { parseEndpoint } from '../../shared/cos/url.ts';
import { isStorageRejection, UploadError } from '../../shared/errors.ts';

const SECRET_KEY = 'sEcReTkEy-never-in-errors-000000';
const SECRET_ID = 'AKIDsecretIdForTests';
const TOKEN = 'session-token-never-in-errors';

type Step = Response | Error | 'hang';
interface Call {
  url: string;
  headers: Record<string, string>;
}

/** A scripted fetch: each call takes the next step; 'hang' waits until the attempt's signal aborts. */
function scriptedFetch(steps: Step[]) {
  const calls: Call[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), headers: { ...(init?.headers as Record<string, string>) } });
    const step = steps[Math.min(calls.length - 1, steps.length - 1)]!;
    if (step === 'hang') {
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    }
    if (step instanceof Error) throw step;
    return step.clone();
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const xmlError = (status: number, code: string) =>
  new Response(
    `<?xml version="1.0"?><Error><Code>${code}</Code><Message>m</Message><RequestId>req-${code}</RequestId></Error>`,
    {
      status,
      headers: { 'content-type': 'application/xml', 'x-cos-request-id': `hdr-${code}` },
    },
  );
const ok = (body = '') => new Response(body, { status: 200 });

function context(fetch: typeof globalThis.fetch, over: Partial<CosClientContext> = {}) {
  const logs: Record<string, unknown>[] = [];
  const ctx: CosClientContext = {
    endpoint: parseEndpoint('http://127.0.0.1:9/uploads-1250000000'),
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    sessionToken: TOKEN,
    fetch,
    now: () => new Date('2024-05-01T00:00:00Z'),
    retry: { ...DEFAULT_RETRY, baseDelayMs: 2, maxDelayMs: 8, attemptTimeoutMs: 1000 },
    random: () => 0.5,
    log: (l) => logs.push(l),
    skew: { offsetMs: 0 },
    ...over,
  };
  return { ctx, logs };
}

const req: CosRequest = { op: 'ListParts', method: 'GET', key: 'u/a b/ü.bin', query: { uploadId: 'x+y' } };
const text = (a: { body: string }) => a.body;

async function failure(p: Promise<unknown>): Promise<UploadError> {
  const e = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UploadError);
  const err = e as UploadError;
  // Nothing upstream leaks into what a client could see.
  const visible = `${err.message} ${JSON.stringify(err.details)}`;
  for (const secret of ['<', SECRET_KEY, SECRET_ID, TOKEN, 'q-signature', '127.0.0.1'])
    expect(visible).not.toContain(secret);
  return err;
}

describe('sendCos retry policy', () => {
  it('503 then 200 succeeds on the second attempt', async () => {
    const { fetch, calls } = scriptedFetch([xmlError(503, 'ServiceUnavailable'), ok('done')]);
    const { ctx, logs } = context(fetch);
    await expect(sendCos(ctx, req, text)).resolves.toBe('done');
    expect(calls).toHaveLength(2);
    expect(logs).toEqual([
      expect.objectContaining({
        op: 'ListParts',
        attempt: 1,
        status: 503,
        code: 'ServiceUnavailable',
        cosRequestId: 'hdr-ServiceUnavailable',
      }),
    ]);
    expect(JSON.stringify(logs)).not.toMatch(new RegExp(`${SECRET_KEY}|${TOKEN}|q-signature`));
  });

  it('SlowDown is retried, and so is 429', async () => {
    const { fetch, calls } = scriptedFetch([xmlError(503, 'SlowDown'), xmlError(429, 'TooManyRequests'), ok('done')]);
    await expect(sendCos(context(fetch).ctx, req, text)).resolves.toBe('done');
    expect(calls).toHaveLength(3);
  });

  it('a network error is retried', async () => {
    const { fetch, calls } = scriptedFetch([new TypeError('fetch failed'), ok('done')]);
    await expect(sendCos(context(fetch).ctx, req, text)).resolves.toBe('done');
    expect(calls).toHaveLength(2);
  });

  it('an attempt that times out is retried', async () => {
    const { fetch, calls } = scriptedFetch(['hang', ok('done')]);
    const { ctx, logs } = context(fetch, { retry: { ...DEFAULT_RETRY, baseDelayMs: 1, attemptTimeoutMs: 20 } });
    await expect(sendCos(ctx, req, text)).resolves.toBe('done');
    expect(calls).toHaveLength(2);
    expect(logs[0]).toMatchObject({ code: 'Timeout' });
  });

  it.each([
    [400, 'InvalidArgument', 'Other'],
    [403, 'AccessDenied', 'AccessDenied'],
    [403, 'SignatureDoesNotMatch', 'AccessDenied'],
    [404, 'NoSuchUpload', 'NoSuchUpload'],
    [409, 'InvalidPart', 'InvalidPart'],
  ] as const)('%i %s is not retried and maps to reason %s', async (status, code, reason) => {
    const { fetch, calls } = scriptedFetch([xmlError(status, code), ok('never')]);
    const err = await failure(sendCos(context(fetch).ctx, req, text));
    expect(calls).toHaveLength(1);
    expect(err).toMatchObject({ status: 502, code: 'STORAGE_UNAVAILABLE', details: { reason } });
    expect(isStorageRejection(err, reason)).toBe(true);
    expect(isNoSuchUpload(err)).toBe(code === 'NoSuchUpload');
  });

  it('attempts exhausted → 503 STORAGE_UNAVAILABLE, upstream kept only as cause', async () => {
    const { fetch, calls } = scriptedFetch([xmlError(503, 'SlowDown')]);
    const err = await failure(sendCos(context(fetch).ctx, req, text));
    expect(calls).toHaveLength(DEFAULT_RETRY.maxAttempts);
    expect(err).toMatchObject({ status: 503, code: 'STORAGE_UNAVAILABLE', details: {} });
    expect(err.cause).toMatchObject({ name: 'CosError', code: 'SlowDown', status: 503 });
  });

  it('network errors until the end → 503', async () => {
    const { fetch, calls } = scriptedFetch([new TypeError('fetch failed')]);
    const err = await failure(sendCos(context(fetch).ctx, req, text));
    expect(calls).toHaveLength(DEFAULT_RETRY.maxAttempts);
    expect(err.status).toBe(503);
  });

  it('stops early when the next backoff would exceed the time budget', async () => {
    const { fetch, calls } = scriptedFetch([xmlError(500, 'InternalError')]);
    const { ctx } = context(fetch, {
      random: () => 0.99,
      retry: { ...DEFAULT_RETRY, baseDelayMs: 10_000, maxDelayMs: 10_000, budgetMs: 1_000 },
    });
    const err = await failure(sendCos(ctx, req, text));
    expect(calls).toHaveLength(1);
    expect(err.status).toBe(503);
  });

  it('backoff is full jitter over an exponentially growing, capped window', async () => {
    const { fetch } = scriptedFetch([xmlError(503, 'SlowDown')]);
    const { ctx, logs } = context(fetch, {
      random: () => 0.999,
      retry: { ...DEFAULT_RETRY, maxAttempts: 5, baseDelayMs: 2, maxDelayMs: 10 },
    });
    await failure(sendCos(ctx, req, text));
    expect(logs.map((l) => l.delayMs)).toEqual([1, 3, 7, 9]);
  });

  it('a 5xx with a non-XML body is still retried; a garbage 2xx answer is a 502 without retry', async () => {
    const html = new Response('<html>bad gateway', { status: 502 });
    const first = scriptedFetch([html, ok('done')]);
    await expect(sendCos(context(first.fetch).ctx, req, text)).resolves.toBe('done');
    expect(first.calls).toHaveLength(2);

    const second = scriptedFetch([ok('<html>')]);
    const { parseXml } = await import('../../shared/cos/xml.ts');
    const { listPartsResultSchema } = await import('../../shared/cos/schemas.ts');
    const err = await failure(sendCos(context(second.fetch).ctx, req, (a) => parseXml(a.body, listPartsResultSchema)));
    expect(second.calls).toHaveLength(1);
    expect(err).toMatchObject({ status: 502, code: 'STORAGE_UNAVAILABLE' });
  });

  it('bugs in the answer reader are rethrown as they are', async () => {
    const { fetch } = scriptedFetch([ok('x')]);
    const bug = new RangeError('bug');
    await expect(
      sendCos(context(fetch).ctx, req, () => {
        throw bug;
      }),
    ).rejects.toBe(bug);
  });
});

describe('sendCos request shape', () => {
  it('encodes the key per segment, signs host and the decoded path, adds the token unsigned', async () => {
    const { fetch, calls } = scriptedFetch([ok()]);
    await sendCos(context(fetch).ctx, { ...req, headers: { 'x-cos-meta-a': 'b' } }, text);
    const call = calls[0]!;
    expect(call.url).toBe('http://127.0.0.1:9/uploads-1250000000/u/a%20b/%C3%BC.bin?uploadId=x%2By');
    const auth = authorizationFields(call.headers.authorization!);
    expect(auth['q-header-list']).toBe('host;x-cos-meta-a');
    expect(auth['q-url-param-list']).toBe('uploadid');
    expect(auth['q-ak']).toBe(SECRET_ID);
    expect(call.headers['x-cos-security-token']).toBe(TOKEN);
  });

  it('renders bare params without =, and signs each attempt afresh', async () => {
    const { fetch, calls } = scriptedFetch([xmlError(503, 'SlowDown'), ok()]);
    let t = Date.parse('2024-05-01T00:00:00Z');
    const tick = () => {
      t += 10_000;
      return new Date(t);
    };
    const { ctx } = context(fetch, { now: tick, sessionToken: undefined });
    await sendCos(
      ctx,
      { op: 'ListMultipartUploads', method: 'GET', key: '', query: { uploads: '', prefix: 'u/' } },
      text,
    );
    expect(calls[0]!.url).toBe('http://127.0.0.1:9/uploads-1250000000/?uploads&prefix=u%2F');
    expect(calls[0]!.headers['x-cos-security-token']).toBeUndefined();
    const times = calls.map((c) => authorizationFields(c.headers.authorization!)['q-key-time']);
    expect(times[0]).not.toBe(times[1]);
  });
});
