import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The fields of the request (or invocation) being served, for every log line written while it
 * runs — also by adapters shared across requests (the COS client's and the store's retries),
 * which hold no request of their own. route() and invocation() enter it.
 */
export const logContext = new AsyncLocalStorage<Readonly<Record<string, unknown>>>();

export const withLogContext = <T>(fields: Record<string, unknown>, fn: () => Promise<T>): Promise<T> =>
  logContext.run({ ...logContext.getStore(), ...fields }, fn);
