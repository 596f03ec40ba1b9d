import { tooManyOpenUploads } from '../errors.ts';
import type { StoredResponse, UploadRecord } from '../ports.ts';
import { attempt, BATCH_CONCURRENCY, batchItemKey, type ItemResult } from './batch-item.ts';
import { mapBounded } from './bounded.ts';
import { createUpload } from './create-upload.ts';
import { type CreateSessionInput, lookUpDuplicate, presigned, toSessionView } from './create-session.ts';
import type { CoreDeps } from './deps.ts';
import { idempotent } from './idempotency.ts';

/** One item's answer as the batch shows it, and whether an Idempotency-Key replayed it. */
export interface BatchAnswer {
  response: StoredResponse;
  replayed: boolean;
}

/**
 * `POST /v1/uploads/batch`: each item exactly as `POST /v1/uploads` would answer it, in order,
 * failing alone. Three passes:
 * 1. every item's input checks and dedupe lookup (HEADs, bounded);
 * 2. the quota, counted once: the free slots go to the items needing a new open upload in order,
 *    so a batch crossing the quota fails only the items past it (TOO_MANY_OPEN_UPLOADS) and they
 *    cost no COS call. A 0-byte file takes no slot (it is born completed);
 * 3. the creates, at most BATCH_CONCURRENCY COS Initiates at a time, each through createUpload, whose
 *    own quota check in the write still holds against creates racing from other requests.
 * With an Idempotency-Key, item i runs under `<key>#<i>` exactly as a create under a key does (a
 * dedupe hit answers before the key, as on create): a replayed batch gets every created item back,
 * and an item past the quota is still looked up first, so a replay replays it. The slots are
 * counted before anything is replayed, so a replay near the quota may refuse an item a slot would
 * have fitted — never admit one too many.
 * `items` are parsed one by one by the route; an unparsable one arrives as its error.
 */
export async function createBatch(
  deps: CoreDeps,
  owner: string,
  items: readonly ItemResult<CreateSessionInput>[],
  key: string | null = null,
): Promise<ItemResult<BatchAnswer>[]> {
  const looked = await mapBounded(items, BATCH_CONCURRENCY, (item) =>
    item.ok ? attempt(deps.log, () => lookUpDuplicate(deps, owner, item.value)) : Promise.resolve(item),
  );

  const max = deps.limits.maxOpenUploadsPerOwner;
  const needsSlot = (i: number) => {
    const r = looked[i]!;
    const item = items[i]!;
    return r.ok && r.value === null && item.ok && item.value.size !== 0;
  };
  let free = looked.some((_, i) => needsSlot(i)) ? max - (await deps.store.countOpenByOwner(owner)) : 0;
  const admitted = looked.map((_, i) => !needsSlot(i) || free-- > 0);

  return mapBounded(items, BATCH_CONCURRENCY, async (item, i): Promise<ItemResult<BatchAnswer>> => {
    const found = looked[i]!;
    if (!found.ok) return found;
    if (found.value) {
      const body = JSON.stringify(toSessionView(found.value, deps.clock.now()));
      return { ok: true, value: { response: { status: 200, body }, replayed: false } };
    }
    if (!item.ok) return item;
    const input = item.value;
    let answer: StoredResponse | undefined;
    const respond = (record: UploadRecord): StoredResponse =>
      (answer ??= {
        status: 201,
        body: JSON.stringify(toSessionView(presigned(deps, record, input.presign ?? 0), deps.clock.now())),
      });
    const itemKey = key === null ? null : batchItemKey(key, i);
    return attempt(deps.log, () =>
      idempotent(deps, { owner, key: itemKey, body: input }, async (seal) => {
        if (!admitted[i]) throw tooManyOpenUploads(max);
        const record = await createUpload(deps, owner, input, seal ? { seal: (r) => seal(respond(r)) } : {});
        return respond(record);
      }),
    );
  });
}
