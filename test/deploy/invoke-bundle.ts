/**
 * Run as its own Node 24 process by bundle-run.test.ts — a cold Lambda container in miniature:
 *   node invoke-bundle.ts <extracted bundle dir> <request.json> <result.json>
 * It imports only the bundle's `<fn>.mjs` (nothing from the repository), invokes `handler` with
 * each event of request.json in turn, and writes `{ exports, results }` to result.json.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const [dir, requestFile, resultFile] = process.argv.slice(2);
if (!dir || !requestFile || !resultFile) throw new Error('usage: invoke-bundle.ts <dir> <request.json> <result.json>');
const { fn, events } = JSON.parse(readFileSync(requestFile, 'utf8')) as { fn: string; events: unknown[] };

const context = () => {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:ap-southeast-1:000000000000:function:${fn}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn}`,
    logStreamName: 'bundle-run',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
};

const mod = (await import(pathToFileURL(join(dir, `${fn}.mjs`)).href)) as { handler?: Handler };
const results: unknown[] = [];
for (const event of events) {
  if (typeof mod.handler !== 'function') break;
  results.push(await mod.handler(event, context()));
}
writeFileSync(resultFile, JSON.stringify({ exports: Object.keys(mod), results }));
// Keep-alive sockets of the SDK clients would hold the process open; a Lambda would freeze here.
process.exit(0);
