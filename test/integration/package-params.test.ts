import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkParams, packageService, ParamError, paramArgs } from '../../build/package.ts';

const root = resolve(import.meta.dirname, '../..');

/**
 * `npm run package` checks its params with the runtime's own configuration schema before it
 * builds anything (the full packaging run is test/deploy/package.test.ts).
 */
describe('npm run package --param validation', () => {
  it('reads --stage and --param in both forms', () => {
    expect(paramArgs(['--stage', 'prod', '--param=cosBucket=a-1', '--param', 'keyPrefix=x/', '--region', 'r'])).toEqual(
      {
        stage: 'prod',
        params: [
          ['cosBucket', 'a-1'],
          ['keyPrefix', 'x/'],
        ],
      },
    );
    expect(() => paramArgs(['--param', 'novalue'])).toThrow(ParamError);
  });

  it('the defaults and good values pass; bad ones fail naming the param, its variable and why', async () => {
    await expect(checkParams(root, [])).resolves.toBeUndefined();
    await expect(
      checkParams(root, ['--stage', 'prod', '--param=cosBucket=media-1250000000', '--param=maxParts=5000']),
    ).resolves.toBeUndefined();
    const err = await checkParams(root, [
      '--param=maxParts=lots',
      '--param=cosBuckt=media-1250000000',
      '--param=defaultPartBytes=1000',
      '--param=cosBucket=NoAppId',
      '--param=logRetentionInDays=31',
      '--param=tableRetention=Keep',
    ]).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(ParamError);
    const text = (err as Error).message;
    expect(text).toContain('invalid params for stage dev');
    expect(text).toMatch(/maxParts="lots" \(--param\) → MAX_PARTS: /);
    expect(text).toMatch(/defaultPartBytes="1000" \(--param\) → DEFAULT_PART_BYTES: .*1048576/);
    expect(text).toMatch(/cosBucket="NoAppId" \(--param\) → COS_BUCKET: must be <name>-<APPID>/);
    expect(text).toContain('cosBuckt: not a param of serverless.yml');
    expect(text).toContain('logRetentionInDays="31" (--param): must be one of');
    expect(text).toContain('tableRetention="Keep" (--param): must be Retain');
    // A rule across variables, as the runtime applies it.
    await expect(checkParams(root, ['--param=minPartBytes=16777216'])).rejects.toThrow(
      /DEFAULT_PART_BYTES: must be >= MIN_PART_BYTES/,
    );
  });

  it('fails before bundling: nothing is built, and the command exits 1 with the message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'package-params-'));
    try {
      await expect(
        packageService({ root, isolatedDir: dir, quiet: true, args: ['--param', 'maxParts=lots'] }),
      ).rejects.toThrow(ParamError);
      expect(existsSync(join(dir, 'dist'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const run = await new Promise<{ code: number; stderr: string }>((done) =>
      execFile(
        'npm',
        ['run', 'package', '--', '--stage', 'params-test', '--param=urlExpiresSeconds=10'],
        { cwd: root, timeout: 30_000 },
        (e, _out, stderr) => done({ code: e ? Number(e.code ?? 1) : 0, stderr }),
      ),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/urlExpiresSeconds="10" \(--param\) → URL_EXPIRES_SECONDS: /);
  });
});
