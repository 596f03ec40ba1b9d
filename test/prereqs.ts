/**
 * `npm test`'s `pretest`: the programs the suites run besides Node, each checked up front so a
 * missing one is named with the command that installs it, rather than surfacing minutes later as a
 * failed test. `.ci/run` installs the same list on a fresh machine; `npm run test:unit` needs none.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Prereq {
  /** The program, looked up on PATH (or the absolute path the tests use). */
  program: string;
  /** What needs it. */
  for: string;
  /** The Debian package that provides it. */
  apt: string;
  /** Optional version check: a problem in words, or null when fine. */
  check?: () => string | null;
}

/** Java 17+: DynamoDB Local 3 needs it; its loopback launcher is compiled with javac. */
function javaVersion(program: string): () => string | null {
  return () => {
    const r = spawnSync(program, ['-version'], { encoding: 'utf8' });
    const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    const major = Number(/(?:version "|javac )(\d+)/.exec(text)?.[1] ?? 0);
    return major >= 17 ? null : `${program} is version ${major || 'unknown'}; DynamoDB Local needs 17 or newer`;
  };
}

export const PREREQS: readonly Prereq[] = [
  {
    program: 'java',
    for: 'DynamoDB Local (contract and integration tests)',
    apt: 'openjdk-17-jdk-headless',
    check: javaVersion('java'),
  },
  {
    program: 'javac',
    for: "DynamoDB Local's loopback launcher",
    apt: 'openjdk-17-jdk-headless',
    check: javaVersion('javac'),
  },
  { program: '/usr/bin/chromium', for: 'the browser tests (web page, Uppy, cos-js-sdk)', apt: 'chromium' },
  { program: 'curl', for: 'the README tour test', apt: 'curl' },
  { program: 'jq', for: 'the README tour test', apt: 'jq' },
  { program: 'unzip', for: 'the Lambda zip check', apt: 'unzip' },
  { program: 'tmux', for: 'the CLI test in an 80-column terminal', apt: 'tmux' },
];

/** Where `program` is found, or null. */
export function which(program: string, path = process.env.PATH ?? ''): string | null {
  const candidates = program.includes('/') ? [program] : path.split(delimiter).map((d) => join(d, program));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return null;
}

/** The problems, one line each, and the install command for the missing ones; empty when all is there. */
export function checkPrereqs(prereqs: readonly Prereq[] = PREREQS, path?: string): string[] {
  const lines: string[] = [];
  const packages = new Set<string>();
  for (const p of prereqs) {
    if (!which(p.program, path)) {
      lines.push(`  ${p.program}: missing (for ${p.for})`);
      packages.add(p.apt);
      continue;
    }
    const problem = p.check?.();
    if (problem) {
      lines.push(`  ${problem}`);
      packages.add(p.apt);
    }
  }
  if (lines.length === 0) return [];
  return [
    'npm test needs programs this machine lacks:',
    ...lines,
    'Install them (Debian/Ubuntu; .ci/run does this on a fresh machine):',
    `  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${[...packages].join(' ')}`,
    'The unit and client tests need none of them: npm run test:unit',
  ];
}

if (import.meta.main) {
  const problems = checkPrereqs();
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n`);
    process.exitCode = 1;
  }
}
