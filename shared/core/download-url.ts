import { uploadNotCompleted } from '../errors.ts';
import type { PresignedRequest, UploadRecord } from '../ports.ts';
import type { CoreDeps } from './deps.ts';
import { effectiveState } from './upload-view.ts';

export interface DownloadUrlInput {
  expiresSeconds?: number;
  disposition?: 'inline' | 'attachment';
}

/**
 * RFC 6266 with RFC 8187's `filename*`: the original name, UTF-8 and percent-encoded, so any
 * name survives; a plain ASCII `filename` first for clients that read only that one.
 */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * A presigned GET for a completed upload's object, valid for at most URL_EXPIRES_SECONDS. With
 * `attachment` the URL binds `response-content-disposition`, so a browser saves it under its name.
 */
export function downloadUrl(
  deps: Pick<CoreDeps, 'storage' | 'clock' | 'limits'>,
  upload: UploadRecord,
  input: DownloadUrlInput,
): Pick<PresignedRequest, 'url' | 'expiresAt'> {
  const now = deps.clock.now();
  if (upload.state !== 'completed') throw uploadNotCompleted(effectiveState(upload, now));
  const expiresSeconds = Math.min(input.expiresSeconds ?? deps.limits.urlExpiresSeconds, deps.limits.urlExpiresSeconds);
  const disposition = input.disposition === 'attachment' ? attachmentDisposition(upload.fileName) : undefined;
  const { url, expiresAt } = deps.storage.presignGetObject(upload.key, { now, expiresSeconds, disposition });
  return { url, expiresAt };
}
