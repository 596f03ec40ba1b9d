import { createHash } from 'node:crypto';
import { idempotencyKeyInUse, idempotencyKeyReused } from '../errors.ts';
import type { Clock, IdempotencyFinish, IdSource, StoredResponse, UploadStore } from '../ports.ts';

/** A key names one request for this long (docs/API.md, create): then it is free again. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/**
 * How long a request's claim holds the key without a response. Far longer than a create may run
 * (the API functions time out after 10 s), so only a crashed request's claim lapses; until then a
 * retry is told IDEMPOTENCY_KEY_IN_USE. A claim that lapses while its request still runs cannot
 * make two uploads: that request's final write needs its claim and fails (create-upload.ts).
 */
export const IDEMPOTENCY_LEASE_SECONDS = 60;

/** Writes the response with what the request created, in the same store write (UploadStore.create). */
export type Seal = (response: StoredResponse) => IdempotencyFinish;

export interface IdempotentRequest {
  owner: string;
  /** The Idempotency-Key header; null runs the work without one. */
  key: string | null;
  /** The validated request: its canonical JSON decides "the same request". */
  body: unknown;
}

/** JSON with object keys sorted, so property order never makes two equal bodies differ. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const fingerprintOf = (body: unknown) => createHash('sha256').update(canonical(body)).digest('base64url');

/**
 * Runs `work` at most once per (owner, key) within IDEMPOTENCY_TTL_SECONDS. The key is claimed
 * first (a conditional write); `work` gets a `seal` to hand its store write, which stores the
 * response atomically with what it created, so a key's response exists exactly when its upload
 * does. Another request with the key gets that response again (`replayed`), 409 while the first
 * still runs, 422 with a different body. Work that fails creates nothing and frees the key, so a
 * retry after a 503 or a 429 runs afresh. A batch (or any request creating several things) keys
 * each item `<key>#<index>` and seals each item's write with its own key.
 */
export async function idempotent(
  deps: { store: UploadStore; clock: Clock; ids: IdSource },
  req: IdempotentRequest,
  work: (seal: Seal | null) => Promise<StoredResponse>,
): Promise<{ response: StoredResponse; replayed: boolean }> {
  const { key, owner } = req;
  if (key === null) return { response: await work(null), replayed: false };
  const now = deps.clock.now();
  const fingerprint = fingerprintOf(req.body);
  // Randomness comes through the id port, like every id the core makes (the core is deterministic).
  const claim = deps.ids.uploadId();
  const held = await deps.store.claimIdempotencyKey(
    {
      owner,
      key,
      fingerprint,
      claim,
      leaseUntil: new Date(now.getTime() + IDEMPOTENCY_LEASE_SECONDS * 1000).toISOString(),
      expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_SECONDS * 1000).toISOString(),
    },
    now.toISOString(),
  );
  if (held) {
    if (held.fingerprint !== fingerprint) throw idempotencyKeyReused();
    if (!held.response) throw idempotencyKeyInUse();
    return { response: held.response, replayed: true };
  }
  try {
    return { response: await work((response) => ({ owner, key, claim, response })), replayed: false };
  } catch (e) {
    await deps.store.releaseIdempotencyKey(owner, key, claim).catch(() => {
      // Best effort: an unreleased claim lapses after IDEMPOTENCY_LEASE_SECONDS anyway.
    });
    throw e;
  }
}
