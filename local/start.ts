import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/config.ts';
import { createLogger, type LogLevel } from '../shared/logger.ts';
import { startLocalStack } from './stack.ts';

/**
 * `npm start`: the API, the local COS + STS emulator and the SQLite store in one process, with
 * data under DATA_DIR surviving restarts. Prints everything needed to upload with curl.
 *
 * Request logs (one JSON line per request) would push the printed tokens off the screen, so the
 * terminal gets warnings and errors only, unless LOG_LEVEL is set or `--verbose` is given. The
 * usual ways a first start fails (a port taken, DynamoDB Local not started, a DynamoDB store with
 * nowhere to go) are told in a sentence naming what to change, not a stack trace.
 */
const USAGE = `usage: npm start [-- --verbose] [-- --quiet]
  --verbose   request logs too (LOG_LEVEL=info; LOG_LEVEL=debug for more)
  --quiet     no logs at all
Ports: PORT (the API, 8787) and COS_LOCAL_PORT (the COS + STS emulator, 8788). Data: DATA_DIR (.data).
UPLOADS_STORE=dynamodb uses DYNAMODB_ENDPOINT (DynamoDB Local: npm run db:local) instead of SQLite.`;

const LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Thrown for a failure whose message already says what to do. */
class StartError extends Error {}

function options(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        quiet: { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}

/** The log level of `npm start`: --quiet → none; --verbose → info (or debug); LOG_LEVEL when set; else warn. */
function logLevel(env: NodeJS.ProcessEnv, flags: { quiet: boolean; verbose: boolean }): LogLevel {
  if (flags.quiet) return 'silent';
  if (flags.verbose) return env.LOG_LEVEL === 'debug' ? 'debug' : 'info';
  // An invalid LOG_LEVEL stops start-up with the configuration's message naming it.
  return env.LOG_LEVEL && LEVELS.includes(env.LOG_LEVEL) ? (env.LOG_LEVEL as LogLevel) : 'warn';
}

/** Which variable sets a port, by the port a listen failed on. */
function portVariable(port: unknown, env: NodeJS.ProcessEnv): { name: string; port: number; what: string } | null {
  const api = Number(env.PORT || 8787);
  const cos = Number(env.COS_LOCAL_PORT || 8788);
  if (port === api) return { name: 'PORT', port: api, what: 'the API' };
  if (port === cos) return { name: 'COS_LOCAL_PORT', port: cos, what: 'the local COS + STS emulator' };
  return null;
}

/** Every message and code down an error's cause chain, for matching. */
function chain(e: unknown): string {
  const parts: string[] = [];
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 6; depth++) {
    parts.push(`${c.message} ${String((c as { code?: unknown }).code ?? '')}`);
    c = c.cause ?? (c instanceof AggregateError ? c.errors[0] : undefined);
  }
  return parts.join(' | ');
}

/**
 * The DynamoDB store must have somewhere to go before the stack starts: DynamoDB Local (answering
 * at DYNAMODB_ENDPOINT), or a real table, which needs a region the AWS SDK can find.
 */
async function checkDynamoDb(env: NodeJS.ProcessEnv): Promise<void> {
  if (env.UPLOADS_STORE !== 'dynamodb') return;
  const endpoint = env.DYNAMODB_ENDPOINT;
  if (!endpoint) {
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const client = new DynamoDBClient({});
    const region = await client.config.region().catch(() => null);
    client.destroy();
    if (!region) {
      throw new StartError(
        'UPLOADS_STORE=dynamodb needs DYNAMODB_ENDPOINT or an AWS region:\n' +
          '  DynamoDB Local: start it with `npm run db:local`, then\n' +
          '    UPLOADS_STORE=dynamodb DYNAMODB_ENDPOINT=http://127.0.0.1:8000 npm start\n' +
          '  a table in AWS: set AWS_REGION (and AWS credentials); the table must exist (UPLOADS_TABLE)\n' +
          '  or unset UPLOADS_STORE for the SQLite store under DATA_DIR',
      );
    }
    return;
  }
  try {
    await fetch(endpoint, { method: 'GET', signal: AbortSignal.timeout(3000) }).then((r) => r.body?.cancel());
  } catch (e) {
    if (/ECONNREFUSED/.test(chain(e))) throw dynamoDbDown(endpoint);
    // Anything else (a slow host, TLS): let the store's own calls decide.
  }
}

const dynamoDbDown = (endpoint: string) =>
  new StartError(
    `DynamoDB Local is not running at ${endpoint} (connection refused): start it with \`npm run db:local\` ` +
      `in another terminal (DYNAMODB_LOCAL_PORT, 8000), or unset UPLOADS_STORE for the SQLite store`,
  );

/** A failure in words: a sentence for the known ones, the message (never a stack) for the rest. */
function explain(e: unknown, env: NodeJS.ProcessEnv): string {
  if (e instanceof StartError || e instanceof ConfigError) return e.message;
  const err = e as { code?: unknown; port?: unknown; address?: unknown };
  if (err.code === 'EADDRINUSE') {
    const v = portVariable(err.port, env);
    const where = `${String(err.address ?? '127.0.0.1')}:${String(err.port)}`;
    if (v) {
      return (
        `port ${v.port} (${v.what}) is already in use (${where}): another \`npm start\` may be running. ` +
        `Stop it, or choose another port with ${v.name}, e.g. ${v.name}=${v.port + 10} npm start`
      );
    }
    return `${where} is already in use: set PORT (the API) or COS_LOCAL_PORT (the emulator) to free ports`;
  }
  if (env.UPLOADS_STORE === 'dynamodb' && env.DYNAMODB_ENDPOINT && /ECONNREFUSED/.test(chain(e))) {
    return dynamoDbDown(env.DYNAMODB_ENDPOINT).message;
  }
  return e instanceof Error ? e.message : String(e);
}

const flags = options(process.argv.slice(2));
if (flags.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const level = logLevel(process.env, flags);

try {
  await checkDynamoDb(process.env);
  const stack = await startLocalStack({
    dataDir: process.env.DATA_DIR || '.data',
    quiet: flags.quiet,
    log: createLogger(level),
  });
  const owner = await stack.token('alice');
  const admin = await stack.token('admin', { admin: true });
  const c = stack.config;
  const logs =
    level === 'silent'
      ? 'off'
      : level === 'warn' || level === 'error'
        ? `${level} and above (request logs: npm start -- --verbose, or LOG_LEVEL=info)`
        : `${level} (JSON lines on stdout)`;
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
      `  logs           ${logs}`,
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
  process.stderr.write(`${explain(e, process.env)}\n`);
  process.exit(1);
}
