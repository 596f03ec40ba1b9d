import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm run load', () => {
  it('shows its progress on stderr, phase by phase, and leaves stdout to the report', async () => {
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(
        './node_modules/.bin/node',
        ['bench/load-test.ts', '--uploads', '3', '--parts', '2'],
        { timeout: 60_000 },
        (e, out, err) => (e ? reject(new Error(`${String(e)}\n${err}`)) : resolve({ stdout: out, stderr: err })),
      ),
    );
    expect(stderr).toContain('starting the local stack…');
    expect(stderr).toMatch(/uploading: \d\/3 uploads done, parts \d\/6, \d+ MiB\/s, errors 0/);
    expect(stderr).toContain('verifying objects byte for byte: 3/3');
    expect(stdout).toMatch(/^### Load: 3 concurrent uploads × 2 parts/);
    expect(stdout).toContain('errors: 0; objects not byte-exact: 0');
    expect(stdout).not.toContain('uploading:');
  });
});
