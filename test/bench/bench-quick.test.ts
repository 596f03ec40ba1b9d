import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BENCHMARKS } from '../../bench/run.ts';

const RUNNER = fileURLToPath(new URL('../../bench/run.ts', import.meta.url));

function runQuick(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // The same entry `npm run bench -- --quick` runs, on the Node that runs this test (24).
    const p = spawn(process.execPath, [RUNNER, '--quick'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    p.once('error', reject);
    p.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Keeps the benchmarks working; it judges no speed (quick mode never does).
describe('npm run bench -- --quick', () => {
  it('runs every benchmark to completion and prints its tables', { timeout: 180_000 }, async () => {
    const { code, stdout, stderr } = await runQuick();
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    for (const name of BENCHMARKS) {
      expect(stdout).toContain(`## ${name}\n`);
      expect(stdout).not.toContain(`${name} failed`);
    }
    const section = (name: string) => stdout.split(`## ${name}\n`)[1]?.split('\n## ')[0] ?? '';
    for (const name of BENCHMARKS) expect(section(name), name).toMatch(/^### .+\n\n\| .+ \|\n\|[-:|]+\|\n\| /m);
    expect(stdout).toContain('### Targets');
    expect(stdout).not.toMatch(/\| (met|MISSED) \|/);
  });
});
