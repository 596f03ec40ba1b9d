import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import type { DynamoDbUploadStore } from '../../shared/store/dynamodb-store.ts';

export type StoreKind = 'sqlite' | 'dynamodb';

export interface BenchStack {
  stack: LocalStack;
  kind: StoreKind;
  dataDir: string;
  /** Capacity counters of the DynamoDB adapter; null on SQLite. */
  capacity(): { read: number; write: number } | null;
  close(): Promise<void>;
}

/**
 * The local stack (API + COS emulator + store) in this process, on free loopback ports, in a
 * fresh temp dir; with `dynamodb` also a fresh in-memory DynamoDB Local.
 */
export async function benchStack(kind: StoreKind, env: Record<string, string> = {}): Promise<BenchStack> {
  const dataDir = mkdtempSync(join(tmpdir(), `bench-${kind}-`));
  const db = kind === 'dynamodb' ? await startDynamoDbLocal({ port: 0 }) : null;
  const storeEnv: Record<string, string> = db
    ? { UPLOADS_STORE: 'dynamodb', DYNAMODB_ENDPOINT: db.endpoint, UPLOADS_TABLE: 'bench-uploads' }
    : { UPLOADS_STORE: 'sqlite' };
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      dataDir,
      port: 0,
      cosPort: 0,
      quiet: true,
      env: { LOG_LEVEL: 'silent', ...storeEnv, ...env },
    });
  } catch (e) {
    await db?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const store = stack.deps.store as Partial<DynamoDbUploadStore>;
  return {
    stack,
    kind,
    dataDir,
    capacity: () =>
      kind === 'dynamodb'
        ? { read: store.consumedReadUnits ?? Number.NaN, write: store.consumedWriteUnits ?? Number.NaN }
        : null,
    close: async () => {
      await stack.close();
      await db?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
