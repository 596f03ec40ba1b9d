import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/config.ts';
import { startLocalStack } from './stack.ts';

/**
 * `npm start`: the API, the local COS + STS emulator and the SQLite store in one process, with
 * data under DATA_DIR surviving restarts. Prints everything needed to upload with curl.
 */
const { values } = parseArgs({ options: { quiet: { type: 'boolean', default: false } } });

try {
  const stack = await startLocalStack({ dataDir: process.env.DATA_DIR || '.data', quiet: values.quiet });
  const owner = await stack.token('alice');
  const admin = await stack.token('admin', { admin: true });
  const c = stack.config;
  process.stdout.write(
    [
      '',
      'cos-upload-coordinator (local)',
      `  API            ${stack.apiUrl}`,
      `  web page       ${stack.apiUrl}/?token=${owner}`,
      `  local COS      ${stack.bucketUrl}   (bucket ${stack.bucket}, region ${stack.region})`,
      `  local STS      ${stack.cosUrl}`,
      `  COS key pair   COS_SECRET_ID=${c.COS_SECRET_ID} COS_SECRET_KEY=${c.COS_SECRET_KEY}   (development only)`,
      `  store          ${c.UPLOADS_STORE}${c.UPLOADS_STORE === 'sqlite' ? ` (${c.DATA_DIR}/uploads.sqlite)` : ` (${c.UPLOADS_TABLE})`}`,
      '',
      `  owner token (sub=alice)   export TOKEN=${owner}`,
      `  admin token (sub=admin)   export ADMIN_TOKEN=${admin}`,
      '  more tokens: npm run token -- --sub bob [--admin]',
      '',
    ].join('\n') + '\n',
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping\n`);
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (e) {
  process.stderr.write(`${e instanceof ConfigError ? e.message : e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
