import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from './context.ts';
import { parseFaultRules } from './faults.ts';
import { readSmallBody } from './respond.ts';

/**
 * `/__emulator/faults`: the fault table over HTTP for tests that run the emulator as a separate
 * process. Loopback peers only — it is a test control surface, not part of COS.
 */

export const ADMIN_PATH = '/__emulator/faults';

const isLoopback = (addr: string | undefined): boolean =>
  !!addr && (addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.'));

function json(res: ServerResponse, status: number, body: unknown): void {
  const buf = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(buf.length) });
  res.end(buf);
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, ctx: EmulatorContext): Promise<void> {
  if (!isLoopback(req.socket.remoteAddress)) return json(res, 403, { error: 'fault control is loopback-only' });
  switch (req.method) {
    case 'POST': {
      let rules: ReturnType<typeof parseFaultRules>;
      try {
        rules = parseFaultRules(JSON.parse((await readSmallBody(req, 64 * 1024)).toString('utf8')) as unknown);
      } catch (e) {
        return json(res, 400, { error: e instanceof Error ? e.message : 'invalid fault rule' });
      }
      for (const r of rules) ctx.faults.add(r);
      return json(res, 200, { added: rules.length, hits: ctx.faults.hits });
    }
    case 'DELETE':
      ctx.faults.clear();
      return json(res, 200, { cleared: true, hits: ctx.faults.hits });
    case 'GET':
      return json(res, 200, { hits: ctx.faults.hits });
    default:
      return json(res, 405, { error: 'use POST, DELETE or GET' });
  }
}
