/**
 * Session transcripts on disk (src/audit/session.ts, src/audit/sessions.ts): each session written as its
 * own new file in a sessions folder — never over another (writeFileAtomic links, it never replaces) — and
 * the node reader of such a folder.
 */
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sessionFileName, type SessionKind } from '../audit/session-kinds.js';
import type { SessionFolderReader } from '../audit/sessions.js';
import { readFileCapped, writeFileAtomic } from './files.js';

/** Write a finished session transcript as a new file in `dir` (made if missing); returns its path. */
export async function writeSessionTranscript(dir: string, kind: SessionKind, started: Date, bytes: Uint8Array): Promise<string> {
  const path = join(dir, sessionFileName(kind, started, randomBytes(4).toString('hex')));
  await writeFileAtomic(path, bytes);
  return path;
}

export const nodeSessionFolder: SessionFolderReader = {
  async list(dir) {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => e.name);
  },
  read: (dir, name, maxBytes) => readFileCapped(join(dir, name), maxBytes),
};
