import type { StoredResponse, UploadRecord } from '../ports.ts';
import { createUpload, type CreateUploadInput } from './create-upload.ts';
import type { CoreDeps } from './deps.ts';
import { idempotent } from './idempotency.ts';
import { toPublicUpload } from './upload-view.ts';

/**
 * POST /v1/uploads as the client sees it: 201 and the upload, under the request's Idempotency-Key
 * when it sent one — the body is rendered once, so a replay answers the very same bytes.
 */
export function answerCreate(
  deps: CoreDeps,
  owner: string,
  input: CreateUploadInput,
  idempotencyKey: string | null,
): Promise<{ response: StoredResponse; replayed: boolean }> {
  let answer: StoredResponse | undefined;
  const respond = (record: UploadRecord): StoredResponse =>
    (answer ??= { status: 201, body: JSON.stringify({ upload: toPublicUpload(record, deps.clock.now()) }) });
  return idempotent(deps, { owner, key: idempotencyKey, body: input }, async (seal) => {
    const record = await createUpload(deps, owner, input, seal ? { seal: (r) => seal(respond(r)) } : {});
    return respond(record);
  });
}
