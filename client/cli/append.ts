import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendUpload } from '../append-upload.ts';
import type { Upload } from '../types.ts';
import type { ObjectHeaderArgs } from './args.ts';

/**
 * `npm run upload -- --append <file|->`: an append upload of a source that is still growing. A
 * file is read as it grows and is taken to be finished once it has not grown for `idleMs` (default
 * 5 s, `--idle-seconds`); `-` reads stdin until EOF. Pieces are what was read at once, at most
 * 8 MiB (stdin is gathered to 1 MiB first: its 64 KiB reads would be one API call each).
 */

const MAX_PIECE = 8 * 1024 * 1024;
const STDIN_PIECE = 1024 * 1024;
const POLL_MS = 250;

/** The bytes of a file as it grows, until it has been the same length for `idleMs`. */
export async function* growingFile(path: string, idleMs: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    let offset = 0;
    let idleSince = Date.now();
    for (;;) {
      signal?.throwIfAborted();
      const buf = new Uint8Array(MAX_PIECE);
      const { bytesRead } = await fh.read(buf, 0, MAX_PIECE, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        idleSince = Date.now();
        yield buf.subarray(0, bytesRead);
        continue;
      }
      if (Date.now() - idleSince >= idleMs) return;
      await sleep(POLL_MS, undefined, { signal });
    }
  } finally {
    await fh.close();
  }
}

/** stdin in pieces of about 1 MiB, until EOF. */
export async function* stdinPieces(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let held: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of input) {
    held.push(chunk);
    size += chunk.length;
    if (size >= STDIN_PIECE) {
      yield Buffer.concat(held);
      held = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(held);
}

/** What `--append` runs on: the parsed flags it uses. */
export interface AppendCliArgs {
  file: string;
  api: string;
  token: string;
  contentType?: string;
  objectHeaders: ObjectHeaderArgs;
  profile?: string;
  idleSeconds: number;
}

/** Runs an append upload of the file (or stdin) and resolves with the completed upload. */
export async function runAppend(
  args: AppendCliArgs,
  io: { stderr: (s: string) => void; interrupt: AbortSignal; stdin?: AsyncIterable<Uint8Array> },
): Promise<Upload> {
  const source =
    args.file === '-'
      ? stdinPieces(io.stdin ?? (process.stdin as AsyncIterable<Uint8Array>))
      : growingFile(args.file, args.idleSeconds * 1000, io.interrupt);
  return appendUpload(source, {
    baseUrl: args.api,
    token: args.token,
    fileName: args.file === '-' ? 'stdin' : basename(args.file),
    contentType: args.contentType,
    ...args.objectHeaders,
    ...(args.profile ? { profile: args.profile } : {}),
    signal: io.interrupt,
    onUploadCreated: (u) => io.stderr(`append upload ${u.id}\n`),
    onAppended: (n) => io.stderr(`appended ${n} bytes\n`),
  });
}
