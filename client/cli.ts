/**
 * `npm run upload -- <file|dir>... [--api URL] [--token T] [--resume ID] [--concurrency N]`, or
 * `npm run upload -- - --name NAME` for stdin
 * (package.json: `"upload": "node client/cli.ts"`). See cli/args.ts for the flags.
 */
import { runCli } from './cli/run.ts';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  // First Ctrl-C: stop cleanly (finished parts get recorded); second: leave now.
  if (interrupt.signal.aborted) process.exit(130);
  process.stderr.write('\nstopping… (Ctrl-C again to quit at once)\n');
  interrupt.abort('SIGINT');
});
process.on('SIGTERM', () => interrupt.abort('SIGTERM'));

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stderrIsTty: process.stderr.isTTY === true,
  // Progress goes to stderr: its width when it is a terminal, else stdout's, else 80.
  columns: () => (process.stderr.isTTY ? process.stderr.columns : process.stdout.columns),
  interrupt: interrupt.signal,
  stdin: process.stdin,
});
process.exitCode = code;
