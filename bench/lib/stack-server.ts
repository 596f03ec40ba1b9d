/**
 * The local stack as its own process (`node bench/lib/stack-server.ts '<env json>' '<owners json>'`), so the
 * emulator and the API get their own core and event loop instead of sharing the uploader's —
 * as `npm start` on one side and a client on the other would. Prints one JSON line with the
 * URLs, a token for `bench-owner` and one per extra owner asked for, then serves until its stdin closes (the parent exited or is done).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../../local/stack.ts';

const env = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const owners = JSON.parse(process.argv[3] ?? '[]') as string[];
const dataDir = mkdtempSync(join(tmpdir(), 'bench-stack-'));
const stack = await startLocalStack({
  dataDir,
  port: 0,
  cosPort: 0,
  quiet: true,
  env: { LOG_LEVEL: 'silent', ...env },
});
const token = await stack.token('bench-owner', { expiresIn: '2h' });
const tokens: Record<string, string> = {};
for (const owner of owners) tokens[owner] = await stack.token(owner, { expiresIn: '2h' });
process.stdout.write(
  `${JSON.stringify({ apiUrl: stack.apiUrl, cosUrl: stack.cosUrl, bucketUrl: stack.bucketUrl, bucket: stack.bucket, region: stack.region, token, tokens })}\n`,
);

const shutdown = async () => {
  await stack.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.stdin.on('end', () => void shutdown());
process.stdin.resume();
process.on('SIGTERM', () => void shutdown());
