/**
 * Preloaded (`node --import`) into `osls package` by build/package.ts: packaging must be fully
 * offline, so any attempt to reach a non-loopback host — an `${ssm:}` or `${cf:}` variable, a
 * credentials lookup, telemetry — is refused and written to NO_NETWORK_REPORT, which the driver
 * turns into a failed build naming the host. Every TCP/TLS client (http, https, fetch/undici,
 * the AWS SDK) connects through net.Socket#connect, and every name lookup through dns.
 */

import dns from 'node:dns';
import { appendFileSync } from 'node:fs';
import net from 'node:net';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);
const report = process.env.NO_NETWORK_REPORT;

const refuse = (what: string): Error => {
  if (report) appendFileSync(report, `${what}\n`);
  return new Error(`network access refused while packaging offline: ${what}`);
};

type ConnectArgs = Parameters<net.Socket['connect']>;
const originalConnect = net.Socket.prototype.connect;

/** The destination of any of connect()'s call shapes, or null for a local (IPC) socket path. */
function destination(args: unknown[]): string | null {
  // net.connect() passes its normalized [options, callback] pair as a single array argument.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const o = first as { path?: string; host?: string; port?: number | string };
    if (o.path !== undefined) return null;
    return `${o.host ?? 'localhost'}:${o.port ?? ''}`;
  }
  if (typeof first === 'string' && Number.isNaN(Number(first))) return null; // IPC path
  const host = Array.isArray(args[0]) ? undefined : args[1];
  return `${typeof host === 'string' ? host : 'localhost'}:${String(first)}`;
}

const isLoopback = (hostPort: string) =>
  LOOPBACK.has(hostPort.slice(0, hostPort.lastIndexOf(':')).replace(/^\[|\]$/g, ''));

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: ConnectArgs) {
  const to = destination(args);
  if (to !== null && !isLoopback(to)) {
    const error = refuse(`connect ${to}`);
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return originalConnect.apply(this, args);
} as net.Socket['connect'];

const originalLookup = dns.lookup;
const guardedLookup = (hostname: string, ...rest: unknown[]) => {
  if (!LOOPBACK.has(hostname)) {
    const callback = rest.at(-1);
    const error = refuse(`dns ${hostname}`);
    if (typeof callback === 'function') process.nextTick(() => callback(error));
    return {};
  }
  return (originalLookup as (...a: unknown[]) => unknown)(hostname, ...rest);
};
dns.lookup = guardedLookup as typeof dns.lookup;
const originalPromiseLookup = dns.promises.lookup;
dns.promises.lookup = ((hostname: string, ...rest: unknown[]) =>
  LOOPBACK.has(hostname)
    ? (originalPromiseLookup as (...a: unknown[]) => Promise<unknown>)(hostname, ...rest)
    : Promise.reject(refuse(`dns ${hostname}`))) as typeof dns.promises.lookup;
