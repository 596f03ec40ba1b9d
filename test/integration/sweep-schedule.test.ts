import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../shared/logger.ts';
import { installRuntime } from '../../shared/runtime/current.ts';
import { apiClient } from '../helpers/api-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };
let testStack: TestStack | undefined;
let stack: LocalStack;
let alice: ReturnType<typeof apiClient>;

beforeAll(async () => {
  testStack = await startTestStack('sweep-schedule', { clock, smallParts: false });
  stack = testStack.stack;
  alice = apiClient(stack.apiUrl, await stack.token('alice'));
});

afterAll(() => testStack?.stop());

afterEach(() => {
  stack.emulator.faults.clear();
  clock.offsetMs = 0;
});

/** What EventBridge delivers for a `rate(1 hour)` rule. */
const scheduled = (): ScheduledEvent => ({
  version: '0',
  id: 'c1a2b3',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '000000000000',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:000000000000:rule/sweep'],
  detail: {},
});

const context = {
  awsRequestId: 'req-schedule-1',
  functionName: 'sweep-schedule',
  getRemainingTimeInMillis: () => 60_000,
} as Context;

/** The log lines the handler writes while `fn` runs: a runtime like the stack's, logging to a list. */
async function withLogs<T>(
  fn: () => Promise<T>,
): Promise<{ result: PromiseSettledResult<T>; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('info', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  installRuntime(stack.runtime.with({ log }));
  try {
    const [result] = await Promise.allSettled([fn()]);
    return { result: result!, lines };
  } finally {
    installRuntime(stack.runtime);
  }
}

describe('scheduled sweep Lambda', () => {
  it('sweeps on an EventBridge event and logs a start and a done line, all lines naming the invocation', async () => {
    const { handler } = await import('../../functions/sweep-schedule.ts');
    const up = (await alice.create({ fileName: 'a.bin', size: 30 * 1024 * 1024 })).body.upload;
    clock.offsetMs = 25 * 3600_000;
    const { result, lines } = await withLogs(() => handler(scheduled(), context));
    expect(result.status).toBe('fulfilled');
    const report = (result as PromiseFulfilledResult<{ aborted: string[]; dryRun: boolean }>).value;
    expect(report).toMatchObject({ aborted: [up.id], dryRun: false });
    expect((await alice.get(up.id)).body.upload.state).toBe('aborted');
    expect(lines[0]).toMatchObject({ msg: 'invocation start' });
    expect(lines.at(-1)).toMatchObject({ msg: 'invocation done', ms: expect.any(Number) });
    expect(lines.map((l) => l.msg)).toContain('sweep summary');
    // Every line of the invocation, the sweep's own included, names it.
    for (const l of lines) expect(l).toMatchObject({ fn: 'sweep-schedule', requestId: 'req-schedule-1' });
  });

  it('a rule input can ask for a dry run', async () => {
    const { handler } = await import('../../functions/sweep-schedule.ts');
    const up = (await alice.create({ fileName: 'b.bin', size: 30 * 1024 * 1024 })).body.upload;
    clock.offsetMs = 25 * 3600_000;
    const { result } = await withLogs(() => handler({ dryRun: true }, context));
    expect((result as PromiseFulfilledResult<{ aborted: string[]; dryRun: boolean }>).value).toMatchObject({
      dryRun: true,
      aborted: [up.id],
    });
    expect((await alice.get(up.id)).body.upload.state).toBe('open');
  });

  it('a COS outage fails the invocation (so Lambda retries) with one error line and no secrets', async () => {
    const { handler } = await import('../../functions/sweep-schedule.ts');
    stack.emulator.faults.add({ op: 'ListMultipartUploads', count: 10, action: { type: 'error', status: 503 } });
    const { result, lines } = await withLogs(() => handler(scheduled(), context));
    expect(result.status).toBe('rejected');
    const failed = lines.filter((l) => l.msg === 'invocation failed');
    expect(failed).toEqual([expect.objectContaining({ level: 'error', code: 'STORAGE_UNAVAILABLE' })]);
    expect(JSON.stringify(lines)).not.toContain(stack.config.COS_SECRET_KEY);
  });
});
