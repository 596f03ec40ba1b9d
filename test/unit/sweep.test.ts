import { describe, expect, it } from 'vitest';
import type { CoreDeps } from '../../shared/core/deps.ts';
import type { Limits } from '../../shared/core/limits.ts';
import { sweep } from '../../shared/core/sweep.ts';
import { decodeSweepCursor, encodeSweepCursor, parseSweepCursor } from '../../shared/core/sweep-cursor.ts';
import { forEachLimited, ownsCosUpload, sweepVerdict } from '../../shared/core/sweep-run.ts';
import { storageRejected, UploadError } from '../../shared/errors.ts';
import { createLogger } from '../../shared/logger.ts';
import type { MultipartUploadListing, ObjectStorage, UploadRecord, UploadStore } from '../../shared/ports.ts';
import { SqliteUploadStore } from '../../shared/store/sqlite-store.ts';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const H = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();

const limits: Limits = {
  maxUploadBytes: 1 << 30,
  maxParts: 10_000,
  minPartBytes: 1 << 20,
  defaultPartBytes: 1 << 23,
  singlePutMaxBytes: 1 << 24,
  allowedContentTypes: '*/*',
  allowedStorageClasses: ['STANDARD'],
  trafficLimitBps: null,
  maxOpenUploadsPerOwner: 100,
  urlExpiresSeconds: 3600,
  stsDurationSeconds: 1800,
  staleAfterSeconds: 24 * 3600,
  uploadTtlSeconds: 7 * 24 * 3600,
  keyPrefix: 'u/',
  completeWaitSeconds: 8,
  completeGraceSeconds: 3600,
  profiles: {},
  verifyContentType: false,
};

let seq = 0;
function record(over: Partial<UploadRecord> = {}): UploadRecord {
  const id = `upl_${String(++seq).padStart(26, '0')}`;
  const at = iso(T0);
  return {
    id,
    owner: 'alice',
    state: 'open',
    strategy: 'multipart',
    bucket: 'uploads-1250000000',
    region: 'ap-guangzhou',
    key: `u/0123456789abcdef/${id}/f.bin`,
    cosUploadId: `cos-${id}`,
    fileName: 'f.bin',
    contentType: 'application/octet-stream',
    size: 10,
    maxSize: 10,
    partSize: 1 << 20,
    partCount: 1,
    metadata: {},
    crc64: null,
    createdAt: at,
    updatedAt: at,
    expiresAt: iso(T0 + 7 * 24 * H),
    lastActivityAt: at,
    completedAt: null,
    etag: null,
    location: null,
    crc64Verified: null,
    lastError: null,
    assemblyStartedAt: null,
    leaseUntil: null,
    profile: null,
    storageClass: 'STANDARD',
    cacheControl: null,
    contentDisposition: null,
    contentEncoding: null,
    contentLanguage: null,
    expires: null,
    ...over,
  } as UploadRecord; // overrides may switch the strategy: the fixture does not second-guess the mix
}

/**
 * COS stand-in for the paths that need volume or failures on demand (budget paging, a COS abort
 * that fails); the integration suite runs the same sweep against the real emulator.
 */
class FakeCos implements Pick<ObjectStorage, 'listMultipartUploads' | 'abortMultipart' | 'deleteObject'> {
  uploads: { key: string; uploadId: string; initiated: string }[] = [];
  aborts: string[] = [];
  failAbortFor = new Set<string>();
  add(key: string, uploadId: string, initiatedMs = T0) {
    this.uploads.push({ key, uploadId, initiated: iso(initiatedMs) });
    this.uploads.sort((a, b) => (a.key === b.key ? a.uploadId.localeCompare(b.uploadId) : a.key < b.key ? -1 : 1));
  }
  async listMultipartUploads(
    prefix: string,
    o: { keyMarker?: string; uploadIdMarker?: string; maxUploads?: number } = {},
  ): Promise<MultipartUploadListing> {
    const after = this.uploads.filter(
      (u) =>
        u.key.startsWith(prefix) &&
        (!o.keyMarker || u.key > o.keyMarker || (u.key === o.keyMarker && u.uploadId > (o.uploadIdMarker ?? ''))),
    );
    const page = after.slice(0, o.maxUploads ?? 1000);
    const truncated = after.length > page.length;
    const last = page.at(-1);
    return {
      uploads: page,
      isTruncated: truncated,
      nextKeyMarker: truncated ? last!.key : null,
      nextUploadIdMarker: truncated ? last!.uploadId : null,
    };
  }
  async abortMultipart(_key: string, uploadId: string) {
    if (this.failAbortFor.has(uploadId)) throw storageRejected('Other', 'injected');
    this.aborts.push(uploadId);
    this.uploads = this.uploads.filter((u) => u.uploadId !== uploadId);
  }
  async deleteObject() {}
}

function setup(store: UploadStore = new SqliteUploadStore({ path: ':memory:' })) {
  const cos = new FakeCos();
  const lines: Record<string, unknown>[] = [];
  const clock = { ms: T0 + 30 * H, now: () => new Date(clock.ms) };
  const deps = {
    store,
    storage: cos as unknown as ObjectStorage,
    clock,
    ids: { uploadId: () => 'unused' },
    limits,
    log: createLogger('debug', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>)),
    completions: { started: () => undefined },
  } satisfies CoreDeps;
  return { deps, store, cos, lines, clock };
}

async function seed(store: UploadStore, cos: FakeCos, ...records: UploadRecord[]) {
  for (const r of records) {
    await store.create(r);
    if (r.cosUploadId) cos.add(r.key, r.cosUploadId);
  }
  return records;
}

describe('sweep rules (pure)', () => {
  const now = iso(T0 + 30 * H);
  const threshold = iso(T0 + 6 * H);
  it('expires past expiresAt, aborts idle open uploads, leaves everything else', () => {
    expect(sweepVerdict(record({ expiresAt: now }), now, threshold)).toBe('expired');
    expect(sweepVerdict(record({ lastActivityAt: iso(T0 + 5 * H) }), now, threshold)).toBe('aborted');
    expect(sweepVerdict(record({ lastActivityAt: threshold }), now, threshold)).toBeNull();
    for (const state of ['completing', 'completed', 'aborted', 'expired'] as const) {
      expect(sweepVerdict(record({ state, expiresAt: iso(T0) }), now, threshold)).toBeNull();
    }
  });

  it('a COS upload is owned only by an open or completing record with the same COS UploadId', () => {
    const r = record();
    expect(ownsCosUpload(r, r.cosUploadId!)).toBe(true);
    expect(ownsCosUpload({ ...r, state: 'completing' }, r.cosUploadId!)).toBe(true);
    expect(ownsCosUpload(r, 'another')).toBe(false);
    expect(ownsCosUpload({ ...r, state: 'aborted' }, r.cosUploadId!)).toBe(false);
    expect(ownsCosUpload({ ...r, state: 'completed' }, r.cosUploadId!)).toBe(false);
    expect(ownsCosUpload(null, r.cosUploadId!)).toBe(false);
  });

  it('cursors round-trip and a tampered one is a validation error, never a crash', () => {
    const m = { keyMarker: 'u/ab/upl_1/x y.bin', uploadIdMarker: '1700-abc' };
    expect(decodeSweepCursor(encodeSweepCursor(m))).toEqual(m);
    for (const bad of [
      '',
      'not-base64!',
      Buffer.from('{"k":1}').toString('base64url'),
      Buffer.from('[]').toString('base64url'),
    ]) {
      expect(parseSweepCursor(bad)).toBeNull();
    }
    const e = (() => {
      try {
        decodeSweepCursor('xyz');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(UploadError);
    expect((e as UploadError).details).toEqual({ issues: [{ path: ['cursor'], message: 'invalid cursor' }] });
  });

  it('forEachLimited visits every item with at most `limit` in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setImmediate(r));
      seen.push(n);
      inFlight--;
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
  });
});

/**
 * A store whose `get` answers with the record as it was read, after `race` has changed it: what
 * the sweep sees when a client acts between its read and its conditional write.
 */
function raceAfterRead(inner: SqliteUploadStore, race: (id: string) => Promise<unknown>): SqliteUploadStore {
  const get = async (id: string) => {
    const before = await inner.get(id);
    await race(id);
    return before;
  };
  return new Proxy(inner, {
    get: (target, prop) =>
      prop === 'get' ? get : (Reflect.get(target, prop) as (...a: unknown[]) => unknown).bind(target),
  });
}

describe('sweep (core on SQLite)', () => {
  it('aborts idle, expires overdue, keeps active ones, and logs one line per action plus a summary', async () => {
    const { deps, store, cos, lines } = setup();
    const [idle, active, overdue, single] = await seed(
      store,
      cos,
      record({ lastActivityAt: iso(T0) }),
      record({ lastActivityAt: iso(T0 + 29 * H) }),
      record({ expiresAt: iso(T0 + 29 * H), lastActivityAt: iso(T0 + 29 * H) }),
      record({ strategy: 'single', cosUploadId: null }),
    );
    const report = await sweep(deps);
    expect(report).toMatchObject({ expired: [overdue!.id], orphans: [], dryRun: false, more: false, errors: 0 });
    expect(report.aborted.sort()).toEqual([idle!.id, single!.id].sort());
    expect((await store.get(idle!.id))?.state).toBe('aborted');
    expect((await store.get(overdue!.id))?.state).toBe('expired');
    expect((await store.get(active!.id))?.state).toBe('open');
    expect(cos.aborts.sort()).toEqual([idle!.cosUploadId, overdue!.cosUploadId].sort());
    const actions = lines.filter((l) => l.msg === 'sweep action');
    expect(actions.map((l) => l.action).sort()).toEqual(['abort', 'abort', 'expire']);
    expect(lines.filter((l) => l.msg === 'sweep summary')).toEqual([
      expect.objectContaining({ aborted: 2, expired: 1, orphans: 0, errors: 0, more: false, dryRun: false }),
    ]);
  });

  it('a dry run reports the same as a real one would and changes nothing; an expired, idle upload is listed once', async () => {
    const { deps, store, cos } = setup();
    const [both, idle] = await seed(store, cos, record({ expiresAt: iso(T0 + H) }), record());
    cos.add('u/0123456789abcdef/upl_zzzzzzzzzzzzzzzzzzzzzzzzzz/x', 'orphan-1');
    const dry = await sweep(deps, { dryRun: true });
    expect(dry).toMatchObject({
      expired: [both!.id],
      aborted: [idle!.id],
      orphans: [{ uploadId: 'orphan-1' }],
      dryRun: true,
    });
    expect((await store.get(both!.id))?.state).toBe('open');
    expect(cos.aborts).toEqual([]);
    const real = await sweep(deps);
    expect({ ...real, dryRun: true }).toEqual(dry);
  });

  it('olderThanSeconds moves the threshold', async () => {
    const { deps, store, cos } = setup();
    const [r] = await seed(store, cos, record({ lastActivityAt: iso(T0 + 28 * H) }));
    expect((await sweep(deps, { olderThanSeconds: 3 * 3600 })).aborted).toEqual([]);
    expect((await sweep(deps, { olderThanSeconds: 3600 })).aborted).toEqual([r!.id]);
  });

  it('the uploads budget bounds a run; `more` says so and the next runs continue', async () => {
    const { deps, store, cos } = setup();
    await seed(store, cos, ...Array.from({ length: 7 }, () => record()));
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await sweep(deps, { budget: { uploads: 3 } }));
    expect(runs.map((r) => [r.aborted.length, r.more])).toEqual([
      [3, true],
      [3, true],
      [1, false],
    ]);
    expect(new Set(runs.flatMap((r) => r.aborted)).size).toBe(7);
  });

  it('the COS budget bounds the listing and the cursor resumes past uploads that are owned', async () => {
    const { deps, store, cos } = setup();
    // Six live uploads sort before the two orphans: without the cursor no bounded run would reach them.
    await seed(store, cos, ...Array.from({ length: 6 }, () => record({ lastActivityAt: iso(T0 + 29 * H) })));
    cos.add('u/ffff/upl_orphanaaaaaaaaaaaaaaaaaaaa/x', 'o1');
    cos.add('u/ffff/upl_orphanbbbbbbbbbbbbbbbbbbbb/x', 'o2');
    const first = await sweep(deps, { budget: { cosListings: 5 } });
    expect(first).toMatchObject({ orphans: [], more: true });
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await sweep(deps, { budget: { cosListings: 5 }, cursor: first.nextCursor! });
    expect(second.orphans.map((o) => o.uploadId)).toEqual(['o1', 'o2']);
    expect(second).toMatchObject({ more: false, nextCursor: null });
  });

  it('COS uploads younger than the threshold, or of unknown age, are left alone', async () => {
    const { deps, cos } = setup();
    cos.add('u/ab/upl_young/x', 'young', T0 + 29 * H);
    cos.uploads.push({ key: 'u/ab/upl_unknown/x', uploadId: 'ageless', initiated: '' });
    cos.add('u/ab/upl_old/x', 'old', T0);
    cos.add('other/not-ours', 'foreign', T0);
    expect((await sweep(deps)).orphans).toEqual([{ key: 'u/ab/upl_old/x', uploadId: 'old' }]);
    expect(cos.aborts).toEqual(['old']);
  });

  it('a failing COS abort is counted and logged; the upload is still ended and the rest proceed', async () => {
    const { deps, store, cos, lines } = setup();
    const [a, b] = await seed(store, cos, record(), record());
    cos.failAbortFor.add(a!.cosUploadId!);
    const report = await sweep(deps);
    expect(report.aborted.sort()).toEqual([a!.id, b!.id].sort());
    expect(report.errors).toBe(2); // the cleanup, then the orphan pass retrying the same remnant
    expect((await store.get(a!.id))?.state).toBe('aborted');
    expect(lines.some((l) => l.msg === 'sweep cos cleanup failed' && l.uploadId === a!.id)).toBe(true);
    cos.failAbortFor.clear();
    const next = await sweep(deps);
    expect(next.orphans).toEqual([{ key: a!.key, uploadId: a!.cosUploadId }]);
  });

  it('a complete that starts between the listing and the write wins; the sweep does not report it', async () => {
    const inner = new SqliteUploadStore({ path: ':memory:' });
    const { deps, store, cos } = setup(inner);
    const [r] = await seed(store, cos, record());
    // Fault injection: the read returns the pre-complete record while a complete has just moved it on.
    deps.store = raceAfterRead(inner, (id) =>
      inner.transition(id, { from: ['open'], to: 'completing', at: iso(T0 + 30 * H) }),
    );
    const report = await sweep(deps);
    expect(report.aborted).toEqual([]);
    expect((await inner.get(r!.id))?.state).toBe('completing');
    expect(cos.aborts).toEqual([]);
  });

  it('a part recorded between the sweep reading the upload and aborting it wins', async () => {
    const inner = new SqliteUploadStore({ path: ':memory:' });
    const { deps, store, cos } = setup(inner);
    const [r] = await seed(store, cos, record({ lastActivityAt: iso(T0) }));
    // Fault injection: the read returns the idle record while a client has just recorded a part.
    deps.store = raceAfterRead(inner, (id) =>
      inner.putParts(id, [{ partNumber: 1, etag: '"e1"', size: null, crc64: null }], iso(T0 + 30 * H)),
    );
    const report = await sweep(deps);
    expect(report.aborted).toEqual([]);
    expect((await inner.get(r!.id))?.state).toBe('open');
    expect(cos.aborts).toEqual([]);
  });

  it('two concurrent sweeps end each upload exactly once', async () => {
    const { deps, store, cos } = setup();
    const seeded = await seed(
      store,
      cos,
      ...Array.from({ length: 20 }, (_, i) => record(i % 2 ? {} : { expiresAt: iso(T0) })),
    );
    const [x, y] = await Promise.all([sweep(deps), sweep(deps)]);
    const ended = [...x.aborted, ...x.expired, ...y.aborted, ...y.expired];
    expect(ended.sort()).toEqual(seeded.map((r) => r.id).sort());
  });
});
