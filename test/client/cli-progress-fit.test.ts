import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../client/cli/progress-bar.ts';
import { checkApi, formatDelay, retryReason, withoutV1 } from '../../client/cli/reach.ts';
import { retryPolicy, withRetry } from '../../client/retry.ts';
import { type RetryInfo, UploadClientError } from '../../client/upload.ts';

const MiB = 1024 ** 2;
const p = {
  phase: 'uploading' as const,
  bytesSent: 1234 * MiB,
  totalBytes: 40_000 * MiB,
  partsDone: 154,
  partCount: 5000,
  resumedBytes: 0,
};

describe('CLI progress bar fits the terminal', () => {
  it('never takes the last column: the bar narrows, then the parts count goes, then the bar', () => {
    const at = (columns: number) =>
      new ProgressBar({ write: () => {}, tty: true, now: () => 0, columns: () => columns });
    const wide = at(120).render(p, 4000);
    expect(wide).toMatch(/^\[#?\.{29,30}\] .* parts 154\/5000$/);
    const eighty = at(80).render(p, 4000);
    expect(eighty.length).toBeLessThanOrEqual(79);
    expect(eighty).toMatch(/^\[[#.]+\] .*parts 154\/5000$/);
    const sixty = at(66).render(p, 4000);
    expect(sixty.length).toBeLessThanOrEqual(65);
    expect(sixty).toMatch(/^\[[#.]{10,}\] /);
    expect(sixty).not.toContain('parts');
    const narrow = at(40).render(p, 4000);
    expect(narrow.length).toBeLessThanOrEqual(39);
    expect(narrow).not.toContain('[');
    // Unknown width (not a terminal): 80.
    expect(new ProgressBar({ write: () => {}, tty: false, now: () => 0 }).render(p, 4000)).toBe(eighty);
  });

  it('a note on a TTY clears the bar line, prints, and draws the bar again under it', () => {
    const out: string[] = [];
    const bar = new ProgressBar({ write: (s) => out.push(s), tty: true, now: () => 1000, columns: () => 80 });
    bar.note('resuming upload upl_1');
    bar.update(p);
    bar.note('retrying in 2 s: connection refused');
    expect(out[0]).toBe('resuming upload upl_1\n');
    expect(out[2]).toBe('\r\x1b[Kretrying in 2 s: connection refused\n');
    expect(out[3]).toMatch(/^\r\[.*parts 154\/5000\x1b\[K$/);
    bar.breakLine();
    bar.breakLine();
    expect(out.slice(4)).toEqual(['\n']);
  });
});

describe('retries are reported', () => {
  it('onRetry hears each retry with its attempt and delay before the wait; a throwing reporter changes nothing', async () => {
    const heard: RetryInfo[] = [];
    const waits: number[] = [];
    const policy = retryPolicy(
      {
        retries: 2,
        baseDelayMs: 1000,
        onRetry: (r) => {
          heard.push(r);
          throw new Error('reporter bug');
        },
      },
      { random: () => 0.5, sleep: async (ms) => void waits.push(ms) },
    );
    let n = 0;
    const result = await withRetry(async () => {
      if (++n < 3) throw new UploadClientError(null, 'NETWORK_ERROR', 'connect ECONNREFUSED 127.0.0.1:1');
      return 'ok';
    }, policy);
    expect(result).toBe('ok');
    expect(heard.map((r) => [r.attempt, r.delayMs, r.error.code])).toEqual([
      [1, 500, 'NETWORK_ERROR'],
      [2, 1000, 'NETWORK_ERROR'],
    ]);
    expect(waits).toEqual([500, 1000]);
  });

  it('words a retry the way a user reads it', () => {
    expect(
      retryReason(new UploadClientError(null, 'NETWORK_ERROR', 'POST /v1/uploads failed: connect ECONNREFUSED x')),
    ).toBe('connection refused');
    expect(
      retryReason(new UploadClientError(503, 'COS_ERROR', 'part 3: …', { partNumber: 3, cosCode: 'SlowDown' })),
    ).toBe('COS answered 503 SlowDown (part 3)');
    expect(retryReason(new UploadClientError(503, 'STORE_UNAVAILABLE', 'busy'))).toBe('HTTP 503 STORE_UNAVAILABLE');
    expect([formatDelay(340), formatDelay(2000), formatDelay(12_600)]).toEqual(['0.3 s', '2 s', '13 s']);
  });
});

describe('reaching the API before the upload', () => {
  it('an unreachable API fails within the budget naming the URL; a 404 under /v1 says drop /v1', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:80'), { code: 'ECONNREFUSED' }),
    });
    let calls = 0;
    const started = Date.now();
    const err = await checkApi('http://10.0.0.1/', {
      fetch: async () => {
        calls++;
        throw refused;
      },
    }).catch((e: unknown) => e as UploadClientError);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(calls).toBe(3);
    expect(err).toMatchObject({ code: 'NETWORK_ERROR' });
    expect((err as Error).message).toContain('cannot reach the API at http://10.0.0.1: connection refused');

    const notFound = async () => new Response('{}', { status: 404 });
    await expect(checkApi('http://h:8787/v1/', { fetch: notFound })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      details: { suggested: 'http://h:8787' },
    });
    // A 404 elsewhere is the upload's to report; any answer means the host is there.
    await expect(checkApi('http://h:8787', { fetch: notFound })).resolves.toBeUndefined();
    expect([withoutV1('http://h/v1'), withoutV1('http://h/api/V1/'), withoutV1('http://h/v2')]).toEqual([
      'http://h',
      'http://h/api',
      null,
    ]);
  });
});
