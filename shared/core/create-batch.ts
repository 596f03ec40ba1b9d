import { tooManyOpenUploads } from '../errors.ts';
import { attempt, BATCH_CONCURRENCY, type ItemResult } from './batch-item.ts';
import { mapBounded } from './bounded.ts';
import { createUpload } from './create-upload.ts';
import { type CreatedSession, type CreateSessionInput, lookUpDuplicate, presigned } from './create-session.ts';
import type { CoreDeps } from './deps.ts';

/**
 * `POST /v1/uploads/batch`: each item exactly as `POST /v1/uploads` would answer it, in order,
 * failing alone. Three passes:
 * 1. every item's input checks and dedupe lookup (HEADs, bounded);
 * 2. the quota, counted once: the free slots go to the items needing a new open upload in order,
 *    so a batch crossing the quota fails only the items past it (TOO_MANY_OPEN_UPLOADS) and they
 *    cost no COS call. A 0-byte file takes no slot (it is born completed);
 * 3. the creates, at most BATCH_CONCURRENCY COS Initiates at a time, each through createUpload, whose
 *    own quota check in the write still holds against creates racing from other requests.
 * `items` are parsed one by one by the route; an unparsable one arrives as its error.
 */
export async function createBatch(
  deps: CoreDeps,
  owner: string,
  items: readonly ItemResult<CreateSessionInput>[],
): Promise<ItemResult<CreatedSession>[]> {
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

  return mapBounded(items, BATCH_CONCURRENCY, async (item, i): Promise<ItemResult<CreatedSession>> => {
    const found = looked[i]!;
    if (!found.ok) return found;
    if (found.value) return { ok: true, value: found.value };
    if (!item.ok) return item;
    if (!admitted[i]) return { ok: false, error: tooManyOpenUploads(max) };
    const input = item.value;
    return attempt(deps.log, async () => presigned(deps, await createUpload(deps, owner, input), input.presign ?? 0));
  });
}
