import { join, resolve } from 'node:path';
import { LOCAL_BUCKET, LOCAL_PORT, LOCAL_REGION, LOCAL_SECRET_ID, LOCAL_SECRET_KEY } from './defaults.ts';
import { startCosEmulator } from './server.ts';

/**
 * `npm run cos:local`: the emulator on its own. Environment: COS_LOCAL_PORT (8788), DATA_DIR
 * (.data; state goes under <DATA_DIR>/cos), COS_SECRET_ID / COS_SECRET_KEY (local defaults),
 * COS_BUCKET, COS_REGION; COS_LOCAL_LOG=1 prints one JSON line per request.
 */

const env = process.env;
const port = Number(env.COS_LOCAL_PORT ?? LOCAL_PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`COS_LOCAL_PORT must be a port number, got '${env.COS_LOCAL_PORT}'`);
  process.exit(2);
}

try {
  const emulator = await startCosEmulator({
    port,
    dataDir: join(resolve(env.DATA_DIR || '.data'), 'cos'),
    secretId: env.COS_SECRET_ID || LOCAL_SECRET_ID,
    secretKey: env.COS_SECRET_KEY || LOCAL_SECRET_KEY,
    bucket: env.COS_BUCKET || LOCAL_BUCKET,
    region: env.COS_REGION || LOCAL_REGION,
    log: env.COS_LOCAL_LOG === '1' ? (line) => console.log(JSON.stringify(line)) : undefined,
  });
  console.log(`local COS + STS listening on ${emulator.url} (bucket endpoint ${emulator.bucketUrl})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping local COS`);
    emulator.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (e) {
  console.error(`local COS failed to start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
