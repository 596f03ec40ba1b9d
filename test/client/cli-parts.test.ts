import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../client/cli/args.ts';
import { formatBytes, formatEta, ProgressBar } from '../../client/cli/progress-bar.ts';
import { clearState, loadState, saveState, stateDir, stateFileFor } from '../../client/cli/state-file.ts';

describe('CLI arguments', () => {
  it('flags win over the environment, which fills the gaps', () => {
    const env = { UPLOADS_API_URL: 'http://env', UPLOADS_TOKEN: 'envtok' };
    expect(parseCliArgs(['f.bin'], env)).toMatchObject({ file: 'f.bin', api: 'http://env', token: 'envtok' });
    expect(parseCliArgs(['f.bin', '--api', 'http://x', '--concurrency', '8', '--resume', 'upl_1'], env)).toMatchObject({
      api: 'http://x',
      concurrency: 8,
      resume: 'upl_1',
    });
  });

  it('bad input is a clear INVALID_OPTIONS error', () => {
    const env = { UPLOADS_API_URL: 'http://env', UPLOADS_TOKEN: 't' };
    for (const argv of [
      [],
      ['a', '-'],
      ['-'],
      ['a', 'b', '--resume', 'upl_1'],
      ['f', '--concurrency', '0'],
      ['f', '--bogus'],
      ['f', '--part-size', '1.5'],
    ]) {
      expect(() => parseCliArgs(argv, env), argv.join(' ')).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS' }),
      );
    }
    expect(() => parseCliArgs(['f'], {})).toThrow(/UPLOADS_API_URL/);
    expect(() => parseCliArgs(['f'], { UPLOADS_API_URL: 'http://x' })).toThrow(/UPLOADS_TOKEN/);
  });

  it('object header flags, --md5, and --limit-rate in bytes/s (curl) converted to bits/s', () => {
    const env = { UPLOADS_API_URL: 'http://env', UPLOADS_TOKEN: 't' };
    const args = parseCliArgs(
      [
        'f',
        '--storage-class',
        'STANDARD_IA',
        '--cache-control',
        'max-age=60',
        '--content-disposition',
        'attachment',
        '--content-encoding',
        'gzip',
        '--content-language',
        'en',
        '--expires',
        'Tue, 01 Dec 2026 00:00:00 GMT',
        '--md5',
        '--limit-rate',
        '8M',
      ],
      env,
    );
    expect(args).toMatchObject({
      objectHeaders: {
        storageClass: 'STANDARD_IA',
        cacheControl: 'max-age=60',
        contentDisposition: 'attachment',
        contentEncoding: 'gzip',
        contentLanguage: 'en',
        expires: 'Tue, 01 Dec 2026 00:00:00 GMT',
      },
      md5: true,
      trafficLimit: 8 * 1024 * 1024 * 8,
    });
    expect(parseCliArgs(['f'], env)).toMatchObject({ objectHeaders: {}, md5: false, trafficLimit: undefined });
    expect(parseCliArgs(['f', '--limit-rate', '100K'], env).trafficLimit).toBe(819_200);
    expect(parseCliArgs(['f', '--limit-rate', '100m'], env).trafficLimit).toBe(838_860_800);
    expect(parseCliArgs(['f', '--limit-rate', '204800'], env).trafficLimit).toBe(1_638_400);
    for (const bad of ['99K', '101M', '1G', 'fast', '8 Mbit'])
      expect(() => parseCliArgs(['f', '--limit-rate', bad], env), bad).toThrow(/--limit-rate/);
  });

  it('--md5 and --limit-rate take a set of paths, not stdin or --append; --profile is passed on', () => {
    const env = { UPLOADS_API_URL: 'http://env', UPLOADS_TOKEN: 't' };
    const set = parseCliArgs(['a', 'b', '--md5', '--limit-rate', '1M'], env);
    expect(set).toMatchObject({ files: ['a', 'b'], md5: true, trafficLimit: 8_388_608 });
    expect(() => parseCliArgs(['-', '--name', 'x', '--md5'], env)).toThrow(/not stdin or --append/);
    expect(() => parseCliArgs(['f', '--append', '--limit-rate', '1M'], env)).toThrow(/not stdin or --append/);
    expect(parseCliArgs(['d', '--profile', 'photos'], env).profile).toBe('photos');
    expect(parseCliArgs(['d'], env)).not.toHaveProperty('profile');
  });
});

describe('progress bar', () => {
  it('formats sizes and ETAs', () => {
    expect([formatBytes(0), formatBytes(1536), formatBytes(50 * 1024 ** 2)]).toEqual(['0 B', '1.5 KiB', '50.0 MiB']);
    expect([formatEta(42), formatEta(185), formatEta(3720), formatEta(Number.NaN)]).toEqual([
      '42s',
      '3m05s',
      '1h02m',
      '--',
    ]);
  });

  it('rate and ETA count only bytes sent by this run, not resumed ones', () => {
    let now = 0;
    const lines: string[] = [];
    const bar = new ProgressBar({ write: (s) => lines.push(s), tty: false, now: () => now, width: 10 });
    now = 2000;
    const MiB = 1024 ** 2;
    bar.update({
      phase: 'uploading',
      bytesSent: 6 * MiB,
      totalBytes: 10 * MiB,
      partsDone: 6,
      partCount: 10,
      resumedBytes: 4 * MiB,
    });
    expect(lines[0]).toBe('[######....]  60.0% 6.0 MiB / 10.0 MiB  1.0 MiB/s  ETA 4s  parts 6/10\n');
    now = 2500; // within the line interval: no line when not on a TTY
    bar.update({
      phase: 'uploading',
      bytesSent: 7 * MiB,
      totalBytes: 10 * MiB,
      partsDone: 7,
      partCount: 10,
      resumedBytes: 4 * MiB,
    });
    expect(lines).toHaveLength(1);
  });
});

describe('progress bar while COS assembles', () => {
  const MiB = 1024 ** 2;
  const all = { bytesSent: 4 * MiB, totalBytes: 4 * MiB, partsDone: 4, partCount: 4, resumedBytes: 0 };

  it('shows "assembling…" at once, then finishes with the line done and the rate of the sending', () => {
    let now = 0;
    const lines: string[] = [];
    const bar = new ProgressBar({ write: (s) => lines.push(s), tty: false, now: () => now, width: 4 });
    now = 1000;
    bar.update({ ...all, phase: 'uploading', bytesSent: 3 * MiB, partsDone: 3 });
    now = 1500; // within the line interval, but a phase change is always printed
    bar.update({ ...all, phase: 'assembling' });
    now = 60_000; // a minute of merging does not drag the rate down
    bar.finish();
    expect(lines).toEqual([
      '[###.]  75.0% 3.0 MiB / 4.0 MiB  3.0 MiB/s  ETA 0s  parts 3/4\n',
      '[####] 100.0% 4.0 MiB / 4.0 MiB  2.7 MiB/s  assembling…  parts 4/4\n',
      '[####] 100.0% 4.0 MiB / 4.0 MiB  2.7 MiB/s  ETA 0s  parts 4/4\n',
    ]);
  });

  it('on a TTY redraws the line in place and ends it', () => {
    const out: string[] = [];
    const bar = new ProgressBar({ write: (s) => out.push(s), tty: true, now: () => 1000, width: 4 });
    bar.update({ ...all, phase: 'assembling' });
    bar.finish();
    expect(out.join('')).toMatch(/^\r.*assembling….*\x1b\[K\r.*ETA 0s.*\x1b\[K\n$/);
  });
});

describe('state file', () => {
  it('saves, matches on API and size, and clears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-state-'));
    try {
      expect(stateDir({ UPLOADS_STATE_DIR: dir })).toBe(dir);
      expect(stateDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/cos-upload');
      const f = stateFileFor(dir, 'some/file.bin');
      expect(f).toBe(stateFileFor(dir, './some/../some/file.bin'));
      await saveState(f, { uploadId: 'upl_1', api: 'http://a', path: 'x', size: 10, savedAt: 'now' });
      expect(await loadState(f, 'http://a', 10)).toMatchObject({ uploadId: 'upl_1' });
      expect(await loadState(f, 'http://other', 10)).toBeNull();
      expect(await loadState(f, 'http://a', 11)).toBeNull();
      await clearState(f);
      expect(await loadState(f, 'http://a', 10)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
