import { UploadClientError } from '../errors.ts';
import { uploadStream } from '../stream-upload.ts';
import type { CliArgs } from './args.ts';
import { formatBytes } from './progress-bar.ts';
import { checkApi, formatDelay, retryReason } from './reach.ts';
import type { CliIo } from './run.ts';

/**
 * `npm run upload -- - --name NAME`: uploads stdin, whose size is unknown until it ends (a
 * multipart upload fixed by `finalPartSize`). A pipe cannot be read twice, so there is no resume:
 * Ctrl-C deletes the session. Prints the completed upload as one file's run does.
 */
export async function runStdin(args: CliArgs, io: CliIo): Promise<number> {
  if (!io.stdin) throw new UploadClientError(null, 'INVALID_OPTIONS', 'no stdin to read');
  await checkApi(args.api, { signal: io.interrupt });
  let lastAt = 0;
  const done = await uploadStream(io.stdin, {
    baseUrl: args.api,
    token: args.token,
    fileName: args.name!,
    contentType: args.contentType,
    ...args.objectHeaders,
    ...(args.profile ? { profile: args.profile } : {}),
    partSize: args.partSize,
    concurrency: args.concurrency,
    signal: io.interrupt,
    retry: { onRetry: (r) => io.stderr(`retrying in ${formatDelay(r.delayMs)}: ${retryReason(r.error)}\n`) },
    onProgress: (sent) => {
      const now = Date.now();
      if (now - lastAt < 1000) return;
      lastAt = now;
      io.stderr(`${formatBytes(sent)} sent\n`);
    },
  });
  io.stderr(`${formatBytes(done.size ?? 0)} uploaded\n`);
  const { id, bucket, region, key, etag, crc64, size, location } = done;
  io.stdout(`${JSON.stringify({ id, bucket, region, key, etag, crc64, size, location })}\n`);
  return 0;
}
