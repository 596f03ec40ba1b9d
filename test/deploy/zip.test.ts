import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zip } from '../../build/zip.ts';
import { unzip } from './unzip.ts';

const name = fc
  .array(
    fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/).filter((s) => s !== '.' && s !== '..'),
    { minLength: 1, maxLength: 3 },
  )
  .map((parts) => parts.join('/'));
const entries = fc.uniqueArray(fc.record({ name, data: fc.uint8Array({ maxLength: 4096 }) }), {
  selector: (e) => e.name,
  maxLength: 8,
});

describe('build/zip.ts', () => {
  it('round-trips any set of files through an independent reader, sorted, readable 0644', () => {
    fc.assert(
      fc.property(entries, (files) => {
        const out = unzip(zip(files));
        const expected = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        expect(out.map((e) => e.name)).toEqual(expected.map((e) => e.name));
        out.forEach((e, i) => {
          expect(Buffer.compare(e.data, Buffer.from(expected[i]!.data))).toBe(0);
          expect(e.mode).toBe(0o644);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('is deterministic: the same files in any order give the same bytes', () => {
    const files = [
      { name: 'index.mjs', data: Buffer.from('export const handler = async () => 1;\n'.repeat(50)) },
      { name: 'chunks/a.mjs', data: Buffer.from('x') },
    ];
    expect(zip(files).equals(zip([...files].reverse()))).toBe(true);
  });

  it('refuses names that would escape the extraction directory', () => {
    for (const bad of ['/etc/passwd', '../up.mjs', 'a/../../b', 'a\\b', '']) {
      expect(() => zip([{ name: bad, data: Buffer.from('x') }])).toThrow(/unsafe entry name/);
    }
  });

  // Info-ZIP is what most people inspect artifacts with: it must agree (.ci/run installs it).
  it('passes `unzip -t`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zip-test-'));
    try {
      const file = join(dir, 'a.zip');
      writeFileSync(
        file,
        zip([
          { name: 'index.mjs', data: Buffer.from('hello '.repeat(1000)) },
          { name: 'é/ü.txt', data: Buffer.from('') },
        ]),
      );
      const res = spawnSync('unzip', ['-t', file], { encoding: 'utf8' });
      expect(res.stdout).toMatch(/No errors detected/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
