import type { StoredPart, UploadRecord } from '../ports.ts';
import { planCompose } from './compose-plan.ts';
import type { CoreDeps } from './deps.ts';
import { appendStagingKey } from './keys.ts';

/**
 * Uploads whose parts the server writes, not a client: a compose (each part an Upload Part - Copy
 * of a source range, 436/8287) and an append upload being sealed (its staging object relayed in
 * `partSize` pieces: a ranged GET, 436/7753, then Upload Part — COS cannot copy an appendable
 * object, 436/7741). The completion worker sends them; COS's List Parts is the progress, so a
 * worker that died half way resumes where COS stands, and re-sending a part only replaces it.
 */

export interface ServerPart {
  partNumber: number;
  /** The object the bytes come from and its inclusive range. */
  key: string;
  start: number;
  end: number;
}

export const isServerBuilt = (u: UploadRecord): boolean => u.strategy === 'append' || u.composeSources !== null;

/** Parts sent at once: COS copies in parallel; a few keep one worker's run short without hammering it. */
const CONCURRENCY = 4;

/** The parts, in order, from the record alone (sources as stored; the sealed length as verified). */
export function serverParts(u: UploadRecord): ServerPart[] {
  if (u.composeSources) {
    const sources = u.composeSources;
    // The limits were checked at compose; here only the split matters.
    const plan = planCompose(sources, { maxUploadBytes: Number.MAX_SAFE_INTEGER, maxParts: Number.MAX_SAFE_INTEGER });
    return plan.parts.map((p) => ({
      partNumber: p.partNumber,
      key: sources[p.source]!.key,
      start: p.start,
      end: p.end,
    }));
  }
  const size = u.size ?? 0;
  const key = appendStagingKey(u.key);
  const parts: ServerPart[] = [];
  for (let start = 0; start < size; start += u.partSize) {
    parts.push({ partNumber: parts.length + 1, key, start, end: Math.min(size, start + u.partSize) - 1 });
  }
  return parts;
}

/**
 * Sends every part COS does not already list at its planned length and returns the list Complete
 * takes; null when `deadline` (epoch ms) passed first (the worker hands back, the next one resumes).
 * COS refusals leave as the adapter's UploadErrors for the worker to judge.
 */
export async function sendServerParts(
  deps: Pick<CoreDeps, 'storage' | 'clock'>,
  u: UploadRecord & { cosUploadId: string },
  stored: readonly StoredPart[],
  deadline: number,
): Promise<{ partNumber: number; etag: string }[] | null> {
  const listed = new Map(stored.map((p) => [p.partNumber, p]));
  const planned = serverParts(u);
  const etags = new Map<number, string>();
  const todo: ServerPart[] = [];
  for (const p of planned) {
    const s = listed.get(p.partNumber);
    if (s && s.size === p.end - p.start + 1) etags.set(p.partNumber, s.etag);
    else todo.push(p);
  }
  let outOfTime = false;
  const send = async (p: ServerPart): Promise<void> => {
    const source = { key: p.key, start: p.start, end: p.end };
    const sent =
      u.strategy === 'append'
        ? await deps.storage.uploadPart(
            u.key,
            u.cosUploadId,
            p.partNumber,
            await deps.storage.getObjectRange(p.key, p.start, p.end),
          )
        : await deps.storage.uploadPartCopy(u.key, u.cosUploadId, p.partNumber, source);
    etags.set(p.partNumber, sent.etag);
  };
  let next = 0;
  let failure: { error: unknown } | null = null;
  // On the first failure the lanes stop taking parts, and the worker hears of it only once every
  // copy in flight has ended: nothing of this run keeps writing after it returns.
  const lane = async (): Promise<void> => {
    while (next < todo.length && !outOfTime && !failure) {
      if (deps.clock.now().getTime() > deadline) outOfTime = true;
      else await send(todo[next++]!).catch((error: unknown) => void (failure ??= { error }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, todo.length) }, lane));
  if (failure) throw (failure as { error: unknown }).error;
  if (outOfTime) return null;
  return planned.map((p) => ({ partNumber: p.partNumber, etag: etags.get(p.partNumber)! }));
}
