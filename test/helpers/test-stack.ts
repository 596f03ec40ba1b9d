import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.ts';

const MiB = 1024 * 1024;

/**
 * 1 MiB parts for every plan setting: multipart flows with small parts keep the tests fast (a
 * 3-part upload is ~3 MiB) while still exercising every rule of the part plan — several parts, a
 * short last part, and single PUT versus multipart.
 */
export const SMALL_PARTS_ENV: Readonly<Record<string, string>> = {
  MIN_PART_BYTES: String(MiB),
  DEFAULT_PART_BYTES: String(MiB),
  SINGLE_PUT_MAX_BYTES: String(MiB),
};

export type TestStackOptions = Omit<Partial<LocalStackOptions>, 'dataDir'> & {
  /** Default: a fresh temp dir named after the test. Either way `stop()` removes it. */
  dataDir?: string;
  /** false keeps the product's default part sizes (SMALL_PARTS_ENV is left out). Default true. */
  smallParts?: boolean;
};

export interface TestStack {
  /** The running stack: after `restart()`, the new one. */
  readonly stack: LocalStack;
  readonly dataDir: string;
  /** Closes the stack and starts it again on the same dataDir with the same options. */
  restart(): Promise<LocalStack>;
  /** Closes the stack if it is running, then removes the dataDir. */
  stop(): Promise<void>;
}

/**
 * The local stack for one test file, on free loopback ports, quiet, with small parts: the set-up
 * every integration suite shares. Call `stop()` in `afterAll` (through `?.`, as start may fail).
 */
export async function startTestStack(name: string, opts: TestStackOptions = {}): Promise<TestStack> {
  const { smallParts = true, dataDir: given, env, ...rest } = opts;
  const dataDir = given ?? mkdtempSync(join(tmpdir(), `${name}-`));
  const options: LocalStackOptions = {
    port: 0,
    cosPort: 0,
    quiet: true,
    ...rest,
    dataDir,
    env: { ...(smallParts ? SMALL_PARTS_ENV : {}), LOG_LEVEL: 'silent', ...env },
  };
  const remove = () => rmSync(dataDir, { recursive: true, force: true });

  let current: LocalStack | undefined;
  try {
    current = await startLocalStack(options);
  } catch (e) {
    remove();
    throw e;
  }
  return {
    get stack(): LocalStack {
      if (!current) throw new Error(`the ${name} test stack is not running`);
      return current;
    },
    dataDir,
    restart: async () => {
      const old = current;
      current = undefined;
      await old?.close();
      current = await startLocalStack(options);
      return current;
    },
    stop: async () => {
      const old = current;
      current = undefined;
      try {
        await old?.close();
      } finally {
        remove();
      }
    },
  };
}
