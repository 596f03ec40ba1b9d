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
function cli(
  args: string[],
  token = adminToken,
  env: Record<string, string> = { UPLOADS_API_URL: stack.apiUrl, UPLOADS_TOKEN: token },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      './node_modules/.bin/node',
      ['local/admin-cli.ts', ...args],
      { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 },
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
    // What a dry run would do is named so: nothing was aborted.
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, wouldAbort: [stale.id], wouldExpire: [] });
    expect(JSON.parse(dry.stdout)).not.toHaveProperty('aborted');
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

  it('takes --api and --token like the upload CLI, knows --help, and names its own flags in errors', async () => {
    const none = {};
    const flagged = await cli(
      ['list', '--owner', 'nobody', '--json', '--api', stack.apiUrl, '--token', adminToken],
      '',
      none,
    );
    expect(flagged.code, flagged.stderr).toBe(0);
    expect(JSON.parse(flagged.stdout)).toEqual({ uploads: [], nextCursor: null });
    // Before the command too, and in the --x=v form; the flags win over the environment.
    const before = await cli([`--api=${stack.apiUrl}`, `--token=${adminToken}`, 'sweep', '--dry-run'], '', {
      UPLOADS_API_URL: 'http://127.0.0.1:9',
      UPLOADS_TOKEN: 'not-a-token',
    });
    expect(before.code, before.stderr).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({ dryRun: true, wouldAbort: expect.any(Array) });

    const help = await cli(['--help'], '', none);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: npm run admin');
    expect(help.stdout).toContain('--token');
    expect(help.stdout).toContain('wouldAbort');
    expect((await cli(['sweep', '-h'], '', none)).code).toBe(0);

    const noToken = await cli(['list', '--api', stack.apiUrl], '', none);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('no token: pass --token or set UPLOADS_TOKEN');
    const unknown = await cli(['list', '--colour'], adminToken);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('list: unknown option --colour; its options: --state, --owner');
    const missing = await cli(['sweep', '--older-than'], adminToken);
    expect(missing.stderr).toContain('sweep: --older-than needs a value');
    const v1 = await cli(['list', '--api', `${stack.apiUrl}/v1`], adminToken, { UPLOADS_TOKEN: adminToken });
    expect(v1.code).toBe(1);
    expect(v1.stderr).toContain(`drop /v1 from the API URL: --api ${stack.apiUrl}`);
  });

  it('quota-repair: one report line per owner; SQLite counts rows, so nothing is ever corrected', async () => {
    const open = (await stack.deps.store.list({ owner: 'alice', state: 'open', limit: 100 })).items.length;
    const r = await cli(['quota-repair', 'alice', 'nobody']);
    expect(r.code, r.stderr).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { owner: 'alice', open, corrected: [], skipped: [] },
      { owner: 'nobody', open: 0, corrected: [], skipped: [] },
    ]);
    const none = await cli(['quota-repair']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('quota-repair needs at least one owner');
    const refused = await cli(['quota-repair', 'alice'], await stack.token('alice'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('FORBIDDEN');
  });
});
