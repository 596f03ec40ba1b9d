/**
 * Stands in for `node-fetch` (v2) where tencentcloud-sdk-nodejs-common imports it, in the Lambda
 * bundles only (build/bundle.ts). The real package brings whatwg-url → tr46 (265 KB of Unicode
 * tables) into the credentials function to do what Node 24's built-in fetch does.
 *
 * It keeps the parts of node-fetch v2 the SDK relies on (http/fetch.js, http_connection.js,
 * abstract_client.js), on top of the built-in fetch:
 * - `timeout` (the SDK's reqTimeout): up to the answer's headers, then again for reading its body,
 *   failing with node-fetch's FetchError messages; an AbortSignal still works too;
 * - network failures as node-fetch's FetchError ("request to <url> failed, reason: ...");
 * - a form-data body (the form-data shim) sent as the exact bytes the SDK signed;
 * - the answer's `body` as a Node stream (the SDK's server-sent-events reader uses `.on`), and
 *   json() failing with node-fetch's "invalid json response body" FetchError.
 * Not supported, with a clear error instead: an http.Agent (node-fetch's only way to a proxy: the
 * SDK makes one when `http_proxy` is set or httpProfile.proxy/agent is given) and stream bodies
 * (the SDK turns streams into Buffers first).
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import FormData from './form-data.ts';

export class FetchError extends Error {
  override readonly name = 'FetchError';
  readonly type: string;
  readonly code: string | undefined;
  readonly errno: string | undefined;

  constructor(message: string, type: string, systemError?: { code?: string }) {
    super(message);
    this.type = type;
    this.code = this.errno = systemError?.code;
  }
}

export interface RequestInit {
  method?: string;
  headers?: Record<string, unknown>;
  body?: string | Uint8Array<ArrayBuffer> | FormData | null;
  /** Milliseconds; 0 or absent = none. */
  timeout?: number;
  signal?: AbortSignal | null;
  agent?: unknown;
}

/** The slice of node-fetch v2's Response the SDK reads. */
export class Response {
  readonly #res: globalThis.Response;
  readonly #readBody: <T>(read: () => Promise<T>) => Promise<T>;
  #stream: Readable | undefined;

  constructor(res: globalThis.Response, readBody: <T>(read: () => Promise<T>) => Promise<T>) {
    this.#res = res;
    this.#readBody = readBody;
  }

  get status() {
    return this.#res.status;
  }
  get statusText() {
    return this.#res.statusText;
  }
  get ok() {
    return this.#res.ok;
  }
  get url() {
    return this.#res.url;
  }
  get redirected() {
    return this.#res.redirected;
  }
  get headers() {
    return this.#res.headers;
  }
  get body(): Readable | null {
    if (!this.#res.body) return null;
    this.#stream ??= Readable.fromWeb(this.#res.body as NodeWebStream<Uint8Array>);
    return this.#stream;
  }
  text(): Promise<string> {
    return this.#readBody(() => this.#res.text());
  }
  async buffer(): Promise<Buffer> {
    return Buffer.from(await this.#readBody(() => this.#res.arrayBuffer()));
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#readBody(() => this.#res.arrayBuffer());
  }
  async json(): Promise<unknown> {
    const text = await this.text();
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new FetchError(`invalid json response body at ${this.url} reason: ${(e as Error).message}`, 'invalid-json');
    }
  }
}

const isStream = (body: unknown) => typeof (body as { pipe?: unknown } | null)?.pipe === 'function';

export default async function fetch(url: string, init: RequestInit = {}): Promise<Response> {
  if (init.agent) {
    throw new FetchError(
      `request to ${url} failed, reason: an http.Agent (proxy) is not supported by the bundled node-fetch shim`,
      'system',
    );
  }
  if (isStream(init.body)) throw new TypeError('node-fetch shim: stream request bodies are not supported');
  const headers = new Headers();
  for (const [k, v] of Object.entries(init.headers ?? {})) headers.append(k, String(v));
  const body = init.body instanceof FormData ? init.body.getBuffer() : init.body;

  const timeout = init.timeout ?? 0;
  const deadline = new AbortController();
  const signal = init.signal ? AbortSignal.any([deadline.signal, init.signal]) : deadline.signal;
  // One timer at a time: first for the headers, then a fresh one per body read (node-fetch's two timeouts).
  const arm = (error: () => FetchError) =>
    timeout > 0 ? setTimeout(() => deadline.abort(error()), timeout) : undefined;

  let timer = arm(() => new FetchError(`network timeout at: ${url}`, 'request-timeout'));
  let res: globalThis.Response;
  try {
    res = await globalThis.fetch(url, { method: init.method, headers, body, signal });
  } catch (e) {
    throw asFetchError(e, url);
  } finally {
    clearTimeout(timer);
  }
  const readBody = async <T>(read: () => Promise<T>): Promise<T> => {
    timer = arm(
      () => new FetchError(`Response timeout while trying to fetch ${url} (over ${timeout}ms)`, 'body-timeout'),
    );
    try {
      return await read();
    } catch (e) {
      throw asFetchError(e, url);
    } finally {
      clearTimeout(timer);
    }
  };
  return new Response(res, readBody);
}

/** Our own timeouts and aborts pass as they are; a network failure reads as node-fetch's. */
function asFetchError(e: unknown, url: string): unknown {
  if (e instanceof FetchError || (e instanceof Error && e.name === 'AbortError')) return e;
  if (e instanceof TypeError && e.cause instanceof Error) {
    const cause = e.cause as Error & { code?: string };
    return new FetchError(`request to ${url} failed, reason: ${cause.message}`, 'system', cause);
  }
  return e;
}
