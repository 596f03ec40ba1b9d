import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { apiClient } from '../helpers/api-client.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';

const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };
let testStack: TestStack | undefined;
let stack: LocalStack;
let adminToken: string;
let alice: ReturnType<typeof apiClient>;

beforeAll(async () => {
  testStack = await startTestStack('admin-cli', { clock, smallParts: false });
  stack = testStack.stack;
  adminToken = await stack.token('ops', { admin: true });
  alice = apiClient(stack.apiUrl, await stack.token('alice'));
});

afterAll(() => testStack?.stop());

/** The CLI as an operator runs it: a separate Node 24 process talking HTTP to the local API. */
function cli(args: string[], token = adminToken): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      './node_modules/.bin/node',
      ['local/admin-cli.ts', ...args],
      { env: { PATH: process.env.PATH, UPLOADS_API_URL: stack.apiUrl, UPLOADS_TOKEN: token }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const create = async () => (await alice.create({ fileName: 'holiday.mp4', size: 30 * 1024 * 1024 })).body.upload;

describe('admin CLI end to end', () => {
  it('lists, aborts and sweeps through the API, and fails with the contract error and exit codes', async () => {
    // A second apart, so newest-first order is certain.
    clock.offsetMs = -3000;
    const kept = await create();
    clock.offsetMs = -2000;
    const doomed = await create();
    clock.offsetMs = -1000;
    const stale = await create();
    clock.offsetMs = 0;

    const listed = await cli(['list', '--owner', 'alice', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { uploads: { id: string }[] }).uploads.map((u) => u.id)).toEqual([
      stale.id,
      doomed.id,
      kept.id,
    ]);
    const tableOut = await cli(['list', '--state', 'open', '--limit', '2']);
    expect(tableOut.stdout.split('\n')[0]).toMatch(/^ID\s+OWNER\s+STATE/);
    expect(tableOut.stdout).toContain(stale.id);
    expect(tableOut.stdout).toMatch(/2 upload\(s\); more with --cursor \S+/);

    const aborted = await cli(['abort', doomed.id]);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(JSON.parse(aborted.stdout)).toEqual({ aborted: doomed.id });
    expect((await alice.get(doomed.id)).body.upload.state).toBe('aborted');

    const unknown = await cli(['abort', `upl_${'0'.repeat(26)}`]);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stderr)).toMatchObject({ error: { code: 'NOT_FOUND' } });

    clock.offsetMs = 3 * 3600_000;
    expect((await alice.partUrls(kept.id, { partNumbers: [1] })).status).toBe(200);
    const dry = await cli(['sweep', '--dry-run', '--older-than', '2h']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, aborted: [stale.id] });
    expect((await alice.get(stale.id)).body.upload.state).toBe('open');
    const real = await cli(['sweep', '--older-than', '2h']);
    expect(JSON.parse(real.stdout)).toMatchObject({ dryRun: false, aborted: [stale.id] });
    expect((await alice.get(stale.id)).body.upload.state).toBe('aborted');
    expect((await alice.get(kept.id)).body.upload.state).toBe('open');

    const forbidden = await cli(['sweep'], await stack.token('alice'));
    expect(forbidden.code).toBe(1);
    expect(JSON.parse(forbidden.stderr)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const tooShort = await cli(['sweep', '--older-than', '10s']);
    expect(tooShort.code).toBe(1);
    expect(JSON.parse(tooShort.stderr)).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });

    for (const bad of [['frobnicate'], ['sweep', '--older-than', 'soon'], ['list', '--colour'], ['abort']]) {
      const r = await cli(bad);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr).toContain('usage: npm run admin');
    }
  });
});
