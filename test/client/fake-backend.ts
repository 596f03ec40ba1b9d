/**
 * An in-memory API + COS behind one injectable fetch, for unit tests of the client's scheduling,
 * retries and resume (fault injection level; the e2e tests use the real local stack). It keeps the
 * contract's shapes and the checks that matter to a client: exact signed headers, URL expiry,
 * ledger vs stored parts at complete.
 */
import { crc64 } from '../../shared/core/crc64.ts';

export type Fault = { status: number; code?: string } | 'network' | 'corrupt';

export interface FakeOptions {
  partSize: number;
  /** Uploads up to this size use `single` (default 0: always multipart). */
  singleMax?: number;
  urlTtlMs?: number;
  now?: () => number;
  /** Each PUT waits this long (a timer, so parts overlap and concurrency is observable). */
  putDelayMs?: number;
  cosFault?: (ctx: { partNumber: number; attempt: number }) => Fault | undefined;
  apiFault?: (ctx: { route: Route; attempt: number }) => Fault | undefined;
}

export type Route = 'create' | 'get' | 'partUrls' | 'record' | 'complete' | 'delete';

interface Part {
  etag: string;
  size: number;
  crc64: string;
  bytes: Uint8Array;
}

interface State {
  upload: Record<string, unknown> & { id: string; state: string; size: number; partSize: number; partCount: number };
  ledger: Map<number, { partNumber: number; etag: string; size?: number; crc64?: string }>;
  cos: Map<number, Part>;
}

const json = (status: number, body: unknown) =>
  new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
const apiError = (status: number, code: string, details: Record<string, unknown> = {}) =>
  json(status, { error: { code, message: code.toLowerCase(), details } });

export class FakeBackend {
  readonly api = 'http://api.test';
  readonly uploads = new Map<string, State>();
  readonly calls: Record<Route, number> = { create: 0, get: 0, partUrls: 0, record: 0, complete: 0, delete: 0 };
  readonly partUrlRequests: number[][] = [];
  /** Successful part PUTs per part number. */
  readonly puts = new Map<number, number>();
  putAttempts = 0;
  inFlight = 0;
  maxInFlight = 0;
  private readonly attempts = new Map<string, number>();
  private seq = 0;
  private readonly opts: FakeOptions;

  constructor(opts: FakeOptions) {
    this.opts = opts;
  }

  get totalApiCalls(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0);
  }

  /** The assembled object of a completed upload. */
  object(id: string): Uint8Array {
    const s = this.uploads.get(id)!;
    const parts = [...s.cos.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p.bytes);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** COS loses a stored part (the ledger still lists it). */
  dropStoredPart(id: string, partNumber: number): void {
    this.uploads.get(id)!.cos.delete(partNumber);
  }

  readonly fetch = async (input: string, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input);
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    if (url.host === 'cos.test') return this.cos(url, init, signal);
    return this.route(url, init);
  };

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private fault(key: string, pick: (attempt: number) => Fault | undefined): Response | 'corrupt' | null {
    const attempt = this.attempts.get(key) ?? 0;
    this.attempts.set(key, attempt + 1);
    const f = pick(attempt);
    if (f === undefined) return null;
    if (f === 'network') throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
    if (f === 'corrupt') return 'corrupt';
    return f.status >= 400 && f.code === undefined
      ? new Response(`<Error><Code>Injected</Code><Message>fault</Message></Error>`, { status: f.status })
      : apiError(f.status, f.code ?? 'INJECTED');
  }

  private async route(url: URL, init: RequestInit): Promise<Response> {
    const method = init.method ?? 'GET';
    const m = /^\/v1\/uploads(?:\/([^/]+))?(?:\/([a-z-]+))?$/.exec(url.pathname);
    if (!m) return apiError(404, 'NOT_FOUND');
    const [, id, sub] = m;
    const route: Route | null =
      method === 'POST' && !id
        ? 'create'
        : method === 'GET' && id && !sub
          ? 'get'
          : method === 'POST' && sub === 'part-urls'
            ? 'partUrls'
            : method === 'PUT' && sub === 'parts'
              ? 'record'
              : method === 'POST' && sub === 'complete'
                ? 'complete'
                : method === 'DELETE' && id && !sub
                  ? 'delete'
                  : null;
    if (!route) return apiError(404, 'NOT_FOUND');
    if ((init.headers as Record<string, string>).authorization !== 'Bearer t0k') return apiError(401, 'UNAUTHORIZED');
    this.calls[route]++;
    const f = this.fault(`api:${route}`, (attempt) => this.opts.apiFault?.({ route, attempt }));
    if (f instanceof Response) return f;
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    if (route === 'create') return this.create(body);
    const s = this.uploads.get(id!);
    if (!s) return apiError(404, 'NOT_FOUND');
    const ledger = () => [...s.ledger.values()].sort((a, b) => a.partNumber - b.partNumber);
    switch (route) {
      case 'get':
        return json(200, { upload: s.upload, parts: ledger() });
      case 'partUrls':
        return this.partUrls(s, body.partNumbers as number[]);
      case 'record': {
        if (s.upload.state !== 'open') return apiError(409, 'UPLOAD_NOT_OPEN');
        const parts = body.parts as { partNumber: number; etag: string }[];
        for (const p of parts) s.ledger.set(p.partNumber, p);
        return json(200, { recorded: parts.length });
      }
      case 'complete':
        return this.complete(s, ledger());
      default:
        if (s.upload.state === 'completed') return apiError(409, 'UPLOAD_NOT_OPEN');
        s.upload.state = 'aborted';
        return json(204, null);
    }
  }

  private create(body: Record<string, unknown>): Response {
    const size = body.size as number;
    const single = size <= (this.opts.singleMax ?? 0);
    const partSize = this.opts.partSize;
    const id = `upl_${++this.seq}`;
    const upload = {
      id,
      state: 'open',
      strategy: single ? 'single' : 'multipart',
      bucket: 'b-1250000000',
      region: 'ap-guangzhou',
      key: `u/o/${id}/${body.fileName as string}`,
      cosUploadId: single ? null : `cos-${id}`,
      fileName: body.fileName,
      contentType: body.contentType,
      size,
      maxSize: size,
      partSize,
      partCount: single ? 1 : Math.max(1, Math.ceil(size / partSize)),
      metadata: body.metadata ?? {},
      crc64: (body.crc64 as string | undefined) ?? null,
      etag: null,
      location: null,
    };
    this.uploads.set(id, { upload, ledger: new Map(), cos: new Map() });
    return json(201, { upload });
  }

  private partUrls(s: State, numbers: number[]): Response {
    if (s.upload.state !== 'open') return apiError(409, 'UPLOAD_NOT_OPEN');
    if (numbers.length < 1 || numbers.length > 1000) return apiError(400, 'VALIDATION_FAILED');
    this.partUrlRequests.push(numbers);
    const expires = this.now() + (this.opts.urlTtlMs ?? 3_600_000);
    const urls = numbers.map((n) => {
      const size = n < s.upload.partCount ? s.upload.partSize : s.upload.size - (n - 1) * s.upload.partSize;
      const headers: Record<string, string> = { 'content-length': String(size) };
      if (s.upload.strategy === 'single') headers['content-type'] = s.upload.contentType as string;
      return {
        partNumber: n,
        method: 'PUT',
        url: `http://cos.test/${s.upload.id}?partNumber=${n}&expires=${expires}`,
        headers,
        expiresAt: new Date(expires).toISOString(),
      };
    });
    return json(200, { urls });
  }

  private complete(s: State, ledger: { partNumber: number; etag: string }[]): Response {
    if (s.upload.state === 'completed') return json(200, { upload: s.upload });
    if (s.upload.state !== 'open') return apiError(409, 'UPLOAD_NOT_OPEN');
    const missing: number[] = [];
    const etagMismatch: { partNumber: number; recorded: string; stored: string | null }[] = [];
    const byNumber = new Map(ledger.map((p) => [p.partNumber, p]));
    for (let n = 1; n <= s.upload.partCount; n++) {
      const stored = s.cos.get(n);
      const rec = s.upload.strategy === 'single' ? stored : byNumber.get(n);
      if (!stored || !rec) missing.push(n);
      else if (rec.etag !== stored.etag) etagMismatch.push({ partNumber: n, recorded: rec.etag, stored: stored.etag });
    }
    if (missing.length || etagMismatch.length) {
      return apiError(409, 'PARTS_INVALID', { missing, wrongSize: [], etagMismatch });
    }
    Object.assign(s.upload, {
      state: 'completed',
      etag: `"fake-${s.upload.partCount}"`,
      crc64: crc64(this.object(s.upload.id)).toString(),
      completedAt: new Date(this.now()).toISOString(),
    });
    return json(200, { upload: s.upload });
  }

  private async cos(url: URL, init: RequestInit, signal: AbortSignal | undefined): Promise<Response> {
    const id = url.pathname.slice(1);
    const partNumber = Number(url.searchParams.get('partNumber'));
    this.putAttempts++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await delay(this.opts.putDelayMs ?? 0, signal);
      const f = this.fault(`cos:${partNumber}`, (attempt) => this.opts.cosFault?.({ partNumber, attempt }));
      if (f instanceof Response) return f;
      const s = this.uploads.get(id);
      if (!s) return new Response('<Error><Code>NoSuchUpload</Code></Error>', { status: 404 });
      if (Number(url.searchParams.get('expires')) < this.now()) {
        return new Response('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>', {
          status: 403,
        });
      }
      const bytes = init.body as Uint8Array;
      const headers = init.headers as Record<string, string>;
      if (headers['content-length'] !== String(bytes.length)) {
        return new Response('<Error><Code>SignatureDoesNotMatch</Code></Error>', { status: 403 });
      }
      const stored = Uint8Array.from(bytes);
      if (f === 'corrupt' && stored.length > 0) stored[0] = stored[0]! ^ 0xff;
      const part: Part = {
        etag: `"${crc64(stored)}-${this.putAttempts}"`,
        size: stored.length,
        crc64: '',
        bytes: stored,
      };
      part.crc64 = crc64(stored).toString();
      s.cos.set(partNumber, part);
      this.puts.set(partNumber, (this.puts.get(partNumber) ?? 0) + 1);
      return new Response(null, { status: 200, headers: { etag: part.etag, 'x-cos-hash-crc64ecma': part.crc64 } });
    } finally {
      this.inFlight--;
    }
  }
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        // Like fetch: rejects with the signal's reason, whatever it is.
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** Deterministic bytes: a simple LCG, so failures reproduce. */
export function testBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Backoff that does not wait, for tests. */
export const noWait = { sleep: async () => {}, random: () => 0 };
