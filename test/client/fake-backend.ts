/**
 * An in-memory API + COS behind one injectable fetch, for unit tests of the client's scheduling,
 * retries and resume (fault injection level; the e2e tests use the real local stack). Every request
 * body and every answer is checked against the contract's schemas (fake-contract.ts: a violation
 * fails the test), and it keeps the checks that matter to a client: exact signed headers, URL
 * expiry, ledger vs stored parts at complete, an assembly that outlasts the request (202,
 * `completing`) when `assemble` says so.
 */
import { createHash } from 'node:crypto';
import { crc64 } from '../../shared/core/crc64.ts';
import { ContractCheck, type Route } from './fake-contract.ts';

export type { Route } from './fake-contract.ts';

export type Fault = { status: number; code?: string } | 'network' | 'corrupt';

export interface FakeOptions {
  partSize: number;
  /** Uploads up to this size use `single` (default 0: always multipart). */
  singleMax?: number;
  urlTtlMs?: number;
  now?: () => number;
  /** Each PUT waits this long (a timer, so parts overlap and concurrency is observable). */
  putDelayMs?: number;
  /** `attempt` counts per upload and part; `fileName` tells uploads of a batch apart. */
  cosFault?: (ctx: { partNumber: number; attempt: number; fileName: string }) => Fault | undefined;
  /** Open uploads the owner may have at once (`MAX_OPEN_UPLOADS_PER_OWNER`; default unlimited). */
  maxOpen?: number;
  /** Fails one create (alone, or an item of a batch) with this error, e.g. a refused content type. */
  createFault?: (body: { fileName: string }) => { status: number; code: string } | undefined;
  apiFault?: (ctx: { route: Route; attempt: number }) => Fault | undefined;
  /**
   * How COS assembles once complete's checks pass; `attempt` counts this upload's assemblies from
   * 0. Undefined: at once, and complete answers 200 (the default).
   */
  assemble?: (ctx: { uploadId: string; attempt: number }) => AssemblyPlan | undefined;
}

/** An assembly that outlasts complete's request: 202, then `completing` until it ends. */
export interface AssemblyPlan {
  /** GETs (or repeated completes) that still see `completing` after the 202 (default 1). */
  polls?: number;
  /** Instead of `polls`: `completing` until the fake clock (`now`) reaches this instant. */
  untilMs?: number;
  /** Retry-After seconds on the 202; null sends none (default 1). */
  retryAfter?: number | null;
  /** COS loses these stored parts during the merge, so the final check fails with PARTS_INVALID. */
  lose?: number[];
  /**
   * How the merge ends: `completed` (after the final check; the default), `crc64Mismatch` (the
   * object is deleted and a fresh COS upload replaces the old one: nothing stored, ledger empty),
   * or a given state and lastError.
   */
  outcome?:
    | 'completed'
    | 'crc64Mismatch'
    | { state?: 'open' | 'aborted'; lastError: { code: string; message: string; details?: Record<string, unknown> } };
}

interface Part {
  etag: string;
  size: number;
  crc64: string;
  bytes: Uint8Array;
}

interface State {
  upload: Record<string, unknown> & {
    id: string;
    state: string;
    size: number;
    partSize: number;
    partCount: number;
    cosUploadId: string;
  };
  ledger: Map<number, { partNumber: number; etag: string; size?: number; crc64?: string }>;
  cos: Map<number, Part>;
  assemblies: number;
  assembly: { plan: AssemblyPlan; seen: number } | null;
}

/** An API answer before it becomes a Response, so the contract check can read its body. */
interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const json = (status: number, body: unknown, headers?: Record<string, string>): Answer => ({ status, body, headers });
const apiError = (status: number, code: string, details: Record<string, unknown> = {}): Answer =>
  json(status, { error: { code, message: code.toLowerCase(), details } });
const toResponse = (a: Answer) =>
  new Response(a.body === null ? null : JSON.stringify(a.body), {
    status: a.status,
    headers: { 'content-type': 'application/json', ...a.headers },
  });
/** Ids of the server's shape (`upl_` and 20–40 of [0-9a-z]), which the contract checks. */
const fakeId = (n: number) => `upl_fake${String(n).padStart(16, '0')}`;

export class FakeBackend {
  readonly api = 'http://api.test';
  /** What the fake saw outside the contract; the running test fails if it is not empty. */
  readonly contract = new ContractCheck();
  readonly uploads = new Map<string, State>();
  readonly calls: Record<Route, number> = {
    create: 0,
    get: 0,
    partUrls: 0,
    record: 0,
    complete: 0,
    delete: 0,
    batchCreate: 0,
    batchComplete: 0,
  };
  /** Items per batch call, in call order. */
  readonly batchSizes: { batchCreate: number[]; batchComplete: number[] } = { batchCreate: [], batchComplete: [] };
  /** The `Idempotency-Key` of every batch-create attempt (undefined: none sent). */
  readonly idempotencyKeys: (string | undefined)[] = [];
  readonly partUrlRequests: number[][] = [];
  /** Every part-urls body, with its md5s and traffic limit when given. */
  readonly partUrlBodies: { numbers: number[]; md5s?: { partNumber: number; md5: string }[]; trafficLimit?: number }[] =
    [];
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
    // Injected on purpose, so not held to the contract: a code-less status is a gateway's or COS's page.
    return f.status >= 400 && f.code === undefined
      ? new Response(`<Error><Code>Injected</Code><Message>fault</Message></Error>`, { status: f.status })
      : toResponse(apiError(f.status, f.code ?? 'INJECTED'));
  }

  private async route(url: URL, init: RequestInit): Promise<Response> {
    const method = init.method ?? 'GET';
    const m = /^\/v1\/uploads(?:\/([^/]+))?(?:\/([a-z-]+))?$/.exec(url.pathname);
    if (!m) return toResponse(apiError(404, 'NOT_FOUND'));
    const [, id, sub] = m;
    const batch = id === 'batch' || id === 'batch-complete';
    const route: Route | null =
      batch && !sub
        ? method === 'POST'
          ? id === 'batch'
            ? 'batchCreate'
            : 'batchComplete'
          : null
        : method === 'POST' && !id
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
    if (!route) return toResponse(apiError(404, 'NOT_FOUND'));
    const answer = this.answer(route, id, init);
    if (answer instanceof Response) return answer;
    this.contract.response(route, answer.status, answer.body);
    return toResponse(answer);
  }

  /** What the API answers to a request for a known route: an injected fault is a ready Response. */
  private answer(route: Route, id: string | undefined, init: RequestInit): Answer | Response {
    if ((init.headers as Record<string, string>).authorization !== 'Bearer t0k') return apiError(401, 'UNAUTHORIZED');
    this.calls[route]++;
    if (route === 'batchCreate') this.idempotencyKeys.push((init.headers as Record<string, string>)['idempotency-key']);
    const f = this.fault(`api:${route}`, (attempt) => this.opts.apiFault?.({ route, attempt }));
    if (f instanceof Response) return f;
    const batchRoute = route === 'batchCreate' || route === 'batchComplete';
    if (id !== undefined && !batchRoute && !this.contract.validId(id)) return apiError(400, 'VALIDATION_FAILED');
    const raw: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    const issues = this.contract.request(route, raw);
    if (issues) return apiError(400, 'VALIDATION_FAILED', { issues });
    const body = (raw ?? {}) as Record<string, unknown>;
    if (route === 'create') return this.create(body);
    if (route === 'batchCreate') {
      return this.batchCreate(body.uploads as Record<string, unknown>[]);
    }
    if (route === 'batchComplete') return this.batchComplete(body.ids as string[]);
    const s = this.uploads.get(id!);
    if (!s) return apiError(404, 'NOT_FOUND');
    // As the server shows parts: size always (null when not recorded), crc64 only when recorded.
    const ledger = () =>
      [...s.ledger.values()]
        .sort((a, b) => a.partNumber - b.partNumber)
        .map((p) => ({
          partNumber: p.partNumber,
          etag: p.etag,
          size: p.size ?? null,
          ...(p.crc64 ? { crc64: p.crc64 } : {}),
        }));
    switch (route) {
      case 'get':
        this.observeAssembly(s);
        return json(200, { upload: s.upload, parts: ledger() });
      case 'partUrls':
        return this.partUrls(
          s,
          (body.partNumbers as number[] | undefined) ??
            (body.parts as { partNumber: number }[]).map((p) => p.partNumber),
          body.parts as { partNumber: number; md5: string }[] | undefined,
          body.trafficLimit as number | undefined,
        );
      case 'record': {
        if (s.upload.state !== 'open') return apiError(409, 'UPLOAD_NOT_OPEN');
        const parts = body.parts as { partNumber: number; etag: string; size?: number; crc64?: string }[];
        for (const p of parts) s.ledger.set(p.partNumber, p);
        return json(200, { recorded: parts.length });
      }
      case 'complete':
        return this.complete(s);
      default:
        if (s.upload.state === 'completed' || s.upload.state === 'completing') return apiError(409, 'UPLOAD_NOT_OPEN');
        s.upload.state = 'aborted';
        this.touch(s);
        return json(204, null);
    }
  }

  /** Each item as its own create would answer it; an error fails that item alone. */
  private batchCreate(items: Record<string, unknown>[]): Answer {
    this.batchSizes.batchCreate.push(items.length);
    const results = items.map((b) => this.create(b).body);
    return json(200, { results });
  }

  /** Each id as its complete would answer it: `{ upload }` (perhaps `completing`) or `{ error }`. */
  private batchComplete(ids: string[]): Answer {
    this.batchSizes.batchComplete.push(ids.length);
    const results = ids.map((id) => {
      const s = this.uploads.get(id);
      if (!s) return apiError(404, 'NOT_FOUND').body;
      return this.complete(s).body;
    });
    return json(200, { results });
  }

  private create(body: Record<string, unknown>): Answer {
    const fault = this.opts.createFault?.(body as { fileName: string });
    if (fault) return apiError(fault.status, fault.code);
    const size = body.size as number;
    if (body.dedupe === true) {
      const same = [...this.uploads.values()].find(
        (u) =>
          u.upload.state === 'completed' &&
          u.upload.fileName === body.fileName &&
          u.upload.size === size &&
          u.upload.crc64 === body.crc64,
      );
      if (same) return json(200, { upload: same.upload, deduplicated: true });
    }
    const open = [...this.uploads.values()].filter((u) => u.upload.state === 'open' || u.upload.state === 'completing');
    if (this.opts.maxOpen !== undefined && open.length >= this.opts.maxOpen) {
      return apiError(429, 'TOO_MANY_OPEN_UPLOADS', { limit: this.opts.maxOpen });
    }
    const single = size <= (this.opts.singleMax ?? 0);
    const partSize = this.opts.partSize;
    const id = fakeId(++this.seq);
    const key = `u/o/${id}/${body.fileName as string}`;
    const now = new Date(this.now()).toISOString();
    // Every upload is a COS multipart upload, a single one of one part.
    const upload = {
      id,
      state: 'open',
      strategy: single ? 'single' : 'multipart',
      bucket: 'b-1250000000',
      region: 'ap-guangzhou',
      key,
      cosUploadId: `cos-${id}`,
      fileName: body.fileName,
      contentType: body.contentType,
      size,
      maxSize: size,
      partSize,
      partCount: single ? 1 : Math.max(1, Math.ceil(size / partSize)),
      metadata: body.metadata ?? {},
      createdAt: now,
      updatedAt: now,
      expiresAt: new Date(this.now() + 86_400_000).toISOString(),
      completedAt: null,
      crc64: (body.crc64 as string | undefined) ?? null,
      etag: null,
      crc64Verified: null,
      location: `https://b-1250000000.cos.ap-guangzhou.myqcloud.com/${encodeURI(key)}`,
      lastError: null,
      profile: (body.profile as string | undefined) ?? null,
      storageClass: (body.storageClass as string | undefined) ?? 'STANDARD',
      cacheControl: (body.cacheControl as string | undefined) ?? null,
      contentDisposition: (body.contentDisposition as string | undefined) ?? null,
      contentEncoding: (body.contentEncoding as string | undefined) ?? null,
      contentLanguage: (body.contentLanguage as string | undefined) ?? null,
      expires: (body.expires as string | undefined) ?? null,
    };
    const s: State = { upload, ledger: new Map(), cos: new Map(), assemblies: 0, assembly: null };
    this.uploads.set(id, s);
    // A 0-byte file needs no client upload: the server writes the empty object at create.
    if (size === 0) this.finish(s);
    const presign = Math.min((body.presign as number | undefined) ?? 0, upload.partCount);
    if (presign > 0 && upload.state === 'open') {
      const urls = (
        this.partUrls(
          s,
          Array.from({ length: presign }, (_, i) => i + 1),
          undefined,
          undefined,
          false,
        ).body as { urls: unknown }
      ).urls;
      return json(201, { upload, urls });
    }
    return json(201, { upload });
  }

  private partUrls(
    s: State,
    numbers: number[],
    md5s?: { partNumber: number; md5: string }[],
    trafficLimit?: number,
    asked = true,
  ): Answer {
    if (s.upload.state !== 'open') return apiError(409, 'UPLOAD_NOT_OPEN');
    if (numbers.length < 1 || numbers.length > 1000) return apiError(400, 'VALIDATION_FAILED');
    if (asked) {
      this.partUrlRequests.push(numbers);
      this.partUrlBodies.push({ numbers, md5s, trafficLimit });
    }
    const expires = this.now() + (this.opts.urlTtlMs ?? 3_600_000);
    const urls = numbers.map((n) => {
      const size = n < s.upload.partCount ? s.upload.partSize : s.upload.size - (n - 1) * s.upload.partSize;
      // Upload Part URLs for every strategy: no Content-Type (it was set at Initiate).
      const headers: Record<string, string> = { 'content-length': String(size) };
      const md5 = md5s?.find((p) => p.partNumber === n)?.md5;
      if (md5) headers['Content-MD5'] = md5;
      if (trafficLimit) headers['x-cos-traffic-limit'] = String(trafficLimit);
      return {
        partNumber: n,
        method: 'PUT',
        url: `http://cos.test/${s.upload.id}?partNumber=${n}&uploadId=${s.upload.cosUploadId}&expires=${expires}`,
        headers,
        expiresAt: new Date(expires).toISOString(),
      };
    });
    return json(200, { urls });
  }

  private complete(s: State): Answer {
    this.observeAssembly(s);
    if (s.upload.state === 'completed') return json(200, { upload: s.upload });
    if (s.upload.state === 'completing') return this.accepted(s);
    if (s.upload.state !== 'open') return apiError(409, 'UPLOAD_NOT_OPEN');
    const refusal = this.verify(s);
    if (refusal) return apiError(409, 'PARTS_INVALID', refusal);
    const plan = this.opts.assemble?.({ uploadId: s.upload.id, attempt: s.assemblies++ });
    if (!plan) {
      this.finish(s);
      return json(200, { upload: s.upload });
    }
    s.upload.state = 'completing';
    this.touch(s);
    s.assembly = { plan, seen: 0 };
    return this.accepted(s);
  }

  private accepted(s: State): Answer {
    const after = s.assembly?.plan.retryAfter;
    return json(202, { upload: s.upload }, after === null ? {} : { 'retry-after': String(after ?? 1) });
  }

  private touch(s: State): void {
    s.upload.updatedAt = new Date(this.now()).toISOString();
  }

  /** The ledger (or, for single, what COS holds) against the stored parts; null when all is well. */
  private verify(s: State): Record<string, unknown> | null {
    const byNumber = new Map([...s.ledger.values()].map((p) => [p.partNumber, p]));
    const missing: number[] = [];
    const etagMismatch: { partNumber: number; recorded: string; stored: string | null }[] = [];
    for (let n = 1; n <= s.upload.partCount; n++) {
      const stored = s.cos.get(n);
      const rec = s.upload.strategy === 'single' ? stored : byNumber.get(n);
      if (!stored || !rec) missing.push(n);
      else if (rec.etag !== stored.etag) etagMismatch.push({ partNumber: n, recorded: rec.etag, stored: stored.etag });
    }
    return missing.length || etagMismatch.length ? { missing, wrongSize: [], etagMismatch } : null;
  }

  /** A poll of a `completing` upload: the merge may end now. */
  private observeAssembly(s: State): void {
    const a = s.assembly;
    if (!a || s.upload.state !== 'completing') return;
    const done = a.plan.untilMs !== undefined ? this.now() >= a.plan.untilMs : a.seen >= (a.plan.polls ?? 1);
    a.seen++;
    if (!done) return;
    s.assembly = null;
    for (const n of a.plan.lose ?? []) s.cos.delete(n);
    const outcome = a.plan.outcome ?? 'completed';
    this.touch(s);
    if (typeof outcome === 'object') {
      Object.assign(s.upload, { state: outcome.state ?? 'open', lastError: { details: {}, ...outcome.lastError } });
      return;
    }
    const refusal = this.verify(s);
    if (refusal) {
      Object.assign(s.upload, {
        state: 'open',
        lastError: { code: 'PARTS_INVALID', message: 'parts changed during the merge', details: refusal },
      });
      return;
    }
    if (outcome === 'crc64Mismatch') {
      const actual = crc64(this.object(s.upload.id)).toString();
      s.cos.clear();
      s.ledger.clear();
      Object.assign(s.upload, {
        state: 'open',
        cosUploadId: `cos-${s.upload.id}-${s.assemblies}`,
        lastError: {
          code: 'PARTS_INVALID',
          message: 'the assembled object failed its CRC64 check; send every part again',
          details: { missing: [], wrongSize: [], etagMismatch: [], crc64Mismatch: { expected: '1', actual } },
        },
      });
      return;
    }
    this.finish(s);
  }

  private finish(s: State): void {
    Object.assign(s.upload, {
      state: 'completed',
      etag: `"fake-${s.upload.partCount}"`,
      crc64: crc64(this.object(s.upload.id)).toString(),
      crc64Verified: true,
      lastError: null,
      completedAt: new Date(this.now()).toISOString(),
      updatedAt: new Date(this.now()).toISOString(),
    });
  }

  private async cos(url: URL, init: RequestInit, signal: AbortSignal | undefined): Promise<Response> {
    const id = url.pathname.slice(1);
    const partNumber = Number(url.searchParams.get('partNumber'));
    this.putAttempts++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await delay(this.opts.putDelayMs ?? 0, signal);
      const s = this.uploads.get(id);
      const fileName = String(s?.upload.fileName ?? '');
      const f = this.fault(`cos:${id}:${partNumber}`, (attempt) =>
        this.opts.cosFault?.({ partNumber, attempt, fileName }),
      );
      if (f instanceof Response) return f;
      // A URL of a COS upload that was completed, aborted or replaced writes nothing.
      if (!s || s.upload.state !== 'open' || url.searchParams.get('uploadId') !== s.upload.cosUploadId) {
        return new Response('<Error><Code>NoSuchUpload</Code></Error>', { status: 404 });
      }
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
      // As COS: a Content-MD5 the bytes that arrived do not have is BadDigest, nothing stored (436/7750).
      const md5 = headers['Content-MD5'];
      if (md5 !== undefined && createHash('md5').update(stored).digest('base64') !== md5) {
        return new Response('<Error><Code>BadDigest</Code></Error>', { status: 400 });
      }
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
