import type { StoredResponse, UploadRecord } from '../ports.ts';
import { createUpload } from './create-upload.ts';
import { type CreateSessionInput, lookUpDuplicate, presigned, toSessionView } from './create-session.ts';
import type { CoreDeps } from './deps.ts';
import { idempotent } from './idempotency.ts';

/**
 * POST /v1/uploads as the client sees it: 201 and the upload (with its first `presign` part URLs),
 * under the request's Idempotency-Key when it sent one — the body is rendered once, so a replay
 * answers the very same bytes — or 200 for a dedupe hit. A dedupe hit creates nothing, so it is
 * answered before the key is claimed: asking again is as safe as replaying (a retry after the first
 * upload completed finds that very upload).
 */
export async function answerCreate(
  deps: CoreDeps,
  owner: string,
  input: CreateSessionInput,
  idempotencyKey: string | null,
): Promise<{ response: StoredResponse; replayed: boolean }> {
  const duplicate = await lookUpDuplicate(deps, owner, input);
  if (duplicate) {
    return {
      response: { status: 200, body: JSON.stringify(toSessionView(duplicate, deps.clock.now())) },
      replayed: false,
    };
  }
  let answer: StoredResponse | undefined;
  // Rendered (and the URLs signed) before the insert, since a key's response is written with it.
  const respond = (record: UploadRecord): StoredResponse =>
    (answer ??= {
      status: 201,
      body: JSON.stringify(toSessionView(presigned(deps, record, input.presign ?? 0), deps.clock.now())),
    });
  return idempotent(deps, { owner, key: idempotencyKey, body: input }, async (seal) => {
    const record = await createUpload(deps, owner, input, seal ? { seal: (r) => seal(respond(r)) } : {});
    return respond(record);
  });
}
