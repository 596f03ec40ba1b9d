import type { StoredResponse, UploadRecord } from '../ports.ts';
import { type ComposeInput, composeUpload } from './compose-upload.ts';
import type { CoreDeps } from './deps.ts';
import { idempotent } from './idempotency.ts';
import { toPublicUpload } from './upload-view.ts';

/**
 * POST /v1/uploads/compose as the client sees it. Without an Idempotency-Key: 200 once the copies
 * and the merge are done within COMPLETE_WAIT_SECONDS, else 202. With one, the answer must be the
 * same bytes on every replay and is stored with the upload it created, before any copy has run: so
 * it is always 202 with the upload as accepted (`completing`), and GET /v1/uploads/{id} tells the
 * rest — a replay never claims a state the first request did not see.
 */
export async function answerCompose(
  deps: CoreDeps,
  owner: string,
  input: ComposeInput,
  idempotencyKey: string | null,
): Promise<{ response: StoredResponse; replayed: boolean }> {
  let accepted: StoredResponse | undefined;
  const respond = (record: UploadRecord): StoredResponse =>
    (accepted ??= {
      status: 202,
      body: JSON.stringify({ upload: toPublicUpload({ ...record, state: 'completing' }, deps.clock.now()) }),
    });
  return idempotent(deps, { owner, key: idempotencyKey, body: input }, async (seal) => {
    if (seal) {
      await composeUpload(deps, owner, input, { seal: (r) => seal(respond(r)) });
      return accepted!;
    }
    const { upload, done } = await composeUpload(deps, owner, input);
    return { status: done ? 200 : 202, body: JSON.stringify({ upload: toPublicUpload(upload, deps.clock.now()) }) };
  });
}
