import { createHash } from 'node:crypto';
import type { TemporaryKeyGrant } from '../core/temporary-key-grant.ts';
import type { CredentialIssuer, TemporaryCredentials } from '../ports.ts';

export interface CachingOptions {
  /** Unix-milliseconds clock; the core's Clock in production. */
  now: () => number;
  /** Reuse credentials only while more than this much validity remains (default 5 minutes). */
  minRemainingSeconds?: number;
  /** Entries kept, least recently used evicted first (default 10,000). */
  maxEntries?: number;
}

/**
 * Hands out the same temporary keys again for the same request (name, policy, duration) while
 * they have more than `minRemainingSeconds` left, so a chatty client — or a retry loop — cannot
 * exhaust the account's STS quota (GetFederationToken is rate limited per account).
 *
 * The cache is per process: Lambda instances do not share it. That is fine — it exists to cap the
 * rate, and each instance still caps its own; an instance serves one request at a time, so N warm
 * instances cost at most N issues per upload per validity window instead of one per request.
 * Concurrent identical requests share one STS call; a failed call is not cached.
 */
export function cachingIssuer(
  inner: CredentialIssuer,
  opts: CachingOptions,
): CredentialIssuer & { readonly size: number } {
  const minRemainingMs = (opts.minRemainingSeconds ?? 300) * 1000;
  const maxEntries = opts.maxEntries ?? 10_000;
  // A Map iterates in insertion order: re-inserting on use makes the first key the least recent.
  const entries = new Map<string, Promise<TemporaryCredentials>>();

  const fresh = (c: TemporaryCredentials) => c.expiredTime * 1000 - opts.now() > minRemainingMs;

  return {
    get size() {
      return entries.size;
    },
    async issue(req) {
      const key = cacheKey(req.name, req.durationSeconds, req.grant);
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
        // An identical call in flight is shared, its failure included (failures are never stored).
        const creds = await hit;
        if (fresh(creds)) return creds;
        // Stale: refresh, unless a concurrent caller already started the refresh.
        const current = entries.get(key);
        if (current && current !== hit) return current;
      }
      const pending = inner.issue(req);
      entries.delete(key);
      entries.set(key, pending);
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      try {
        return await pending;
      } catch (e) {
        if (entries.get(key) === pending) entries.delete(key);
        throw e;
      }
    },
  };
}

/** The grant names the object key, so name + duration + grant hash identifies upload, key and grant. */
function cacheKey(name: string, durationSeconds: number, grant: TemporaryKeyGrant): string {
  const hash = createHash('sha256').update(JSON.stringify(grant)).digest('base64url');
  return `${name}\n${durationSeconds}\n${hash}`;
}
