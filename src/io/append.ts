/**
 * Append-only files, for the ceremony transcript: created exclusively (never over an existing file),
 * every append written in full and fsync'd before it resolves, so what a ceremony has recorded survives
 * a crash or a power cut. Nothing is ever rewritten; the one exception is `resume`, which cuts off a last
 * line left incomplete by a crash mid-append (bytes no reader could have relied on), after the core has
 * verified everything before it.
 */
import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { CeremonyError } from '../errors.js';
import { TranscriptWriter, type HeaderInput, type TranscriptWriterOptions } from '../audit/transcript.js';
import { MAX_TRANSCRIPT_BYTES } from '../audit/schema.js';
import type { VerifiedTranscript } from '../audit/types.js';
import { verifyTranscript } from '../audit/verify.js';

const NOFOLLOW = fsConstants.O_NOFOLLOW ?? 0;

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class AppendOnlyFile {
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {}

  /** Create a new, empty file; OUTPUT_EXISTS if anything is already at `path`. */
  static async create(path: string, mode = 0o644): Promise<AppendOnlyFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_APPEND | NOFOLLOW, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new CeremonyError('OUTPUT_EXISTS', `${basename(path)} already exists; refusing to overwrite it`, { path, cause: err });
      }
      throw new CeremonyError('FILE_NOT_FOUND', `${basename(path)} cannot be created`, { path, cause: err });
    }
    await fsyncDir(dirname(path));
    return new AppendOnlyFile(handle, path);
  }

  /** Open an existing regular file to append to, with its current bytes (read under `maxBytes`). */
  static async openExisting(path: string, maxBytes: number): Promise<{ file: AppendOnlyFile; bytes: Uint8Array }> {
    let handle: FileHandle;
    try {
      handle = await open(path, fsConstants.O_RDWR | fsConstants.O_APPEND | NOFOLLOW);
    } catch (err) {
      throw new CeremonyError('FILE_NOT_FOUND', `${basename(path)} does not exist or cannot be opened`, { path, cause: err });
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new CeremonyError('FILE_NOT_FOUND', `${basename(path)} is not a regular file`, { path });
      if (info.size > maxBytes) throw new CeremonyError('INPUT_TOO_LARGE', `${basename(path)} is ${info.size} bytes, over the cap of ${maxBytes}`, { path });
      const buf = new Uint8Array(info.size);
      let total = 0;
      while (total < buf.length) {
        const { bytesRead } = await handle.read(buf, total, buf.length - total, total);
        if (bytesRead === 0) break;
        total += bytesRead;
      }
      return { file: new AppendOnlyFile(handle, path), bytes: buf.subarray(0, total) };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Write all of `bytes` at the end of the file, then fsync. */
  async append(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new CeremonyError('TRANSCRIPT_CLOSED', `${basename(this.path)} is closed`, { path: this.path });
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, null);
      done += bytesWritten;
    }
    await this.handle.sync();
  }

  /** Cut the file back to `length` bytes (only ever shorter), then fsync. */
  async truncate(length: number): Promise<void> {
    const { size } = await this.handle.stat();
    if (!Number.isSafeInteger(length) || length < 0 || length > size) throw new RangeError(`truncate: ${length} is not within the file (${size} bytes)`);
    await this.handle.truncate(length);
    await this.handle.sync();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** Start a new transcript file at `path` (never over an existing file) and write its header. */
export async function createTranscriptFile(path: string, header: HeaderInput, opts: TranscriptWriterOptions = {}): Promise<{ writer: TranscriptWriter; file: AppendOnlyFile }> {
  const file = await AppendOnlyFile.create(path);
  try {
    return { writer: await TranscriptWriter.start(file, header, opts), file };
  } catch (err) {
    await file.close();
    throw err;
  }
}

/**
 * Continue the transcript of an interrupted ceremony. Everything in the file must verify as an unsealed
 * prefix; a last line cut short by the interruption is removed (`cutBytes` says how much) so the next
 * entry starts on a line of its own. A sealed transcript is refused (TRANSCRIPT_CLOSED).
 */
export async function resumeTranscriptFile(
  path: string,
  opts: TranscriptWriterOptions = {},
): Promise<{ writer: TranscriptWriter; file: AppendOnlyFile; verified: VerifiedTranscript; cutBytes: number }> {
  const { file, bytes } = await AppendOnlyFile.openExisting(path, MAX_TRANSCRIPT_BYTES);
  try {
    const verified = verifyTranscript(bytes, { allowUnsealed: true });
    const writer = TranscriptWriter.resume(file, verified, opts);
    const cutBytes = bytes.length - verified.validLength;
    if (cutBytes > 0) await file.truncate(verified.validLength);
    return { writer, file, verified, cutBytes };
  } catch (err) {
    await file.close();
    throw err;
  }
}
