import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkPrereqs, PREREQS } from '../prereqs.ts';

describe("npm test's prerequisites (pretest)", () => {
  it('names each missing program and the one command that installs them', () => {
    const lines = checkPrereqs(PREREQS, '/nonexistent');
    expect(lines[0]).toBe('npm test needs programs this machine lacks:');
    for (const p of PREREQS.filter((q) => !q.program.startsWith('/'))) {
      expect(lines.join('\n')).toContain(`${p.program}: missing (for ${p.for})`);
    }
    expect(lines.join('\n')).toMatch(/apt-get install -y --no-install-recommends .*openjdk-17-jdk-headless.*tmux/);
    expect(checkPrereqs([{ program: 'sh', for: 'x', apt: 'dash' }])).toEqual([]);
  });

  it('.ci/run installs every package the checker asks for', () => {
    const ci = readFileSync('.ci/run', 'utf8');
    for (const p of PREREQS) expect(ci, p.apt).toContain(`need+=(${p.apt})`);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.pretest).toBe('node test/prereqs.ts');
  });
});
