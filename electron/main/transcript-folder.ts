/**
 * The Transcript screen's folder (issue #16): every transcript in a folder — the root ceremony's and the
 * session transcripts of rotate, sign, merge, import and publish — listed by src/audit/transcript-list.ts
 * with its kind, date and seal state, then opened one at a time.
 *
 * The folder is main's: one the person picks in main's dialog, or the completed ceremony's output
 * folder. The renderer names a listed transcript by its name in the last listing, which is looked up
 * here, never joined to a path on the renderer's word. Keys are named only from the folder's root
 * transcripts sealed by an anchored key: the completed ceremony's seal key when the folder listed is its
 * output, or the seal key the person entered as expected (transcript-list.ts anchoredHolders).
 *
 * No Electron here: the dialog comes in as a function (main: showOpenDialog; tests: a temporary folder).
 */
import { lstat, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { anchoredHolders, listTranscripts, type FolderEntry, type TranscriptFolderIo, type TranscriptListing } from '../../src/audit/transcript-list.js';
import { MAX_TRANSCRIPT_BYTES } from '../../src/audit/schema.js';
import type { KeyHolder } from '../../src/inspect/key-holders.js';
import { keyHoldersOf } from '../../src/inspect/key-holders.js';
import type { VerifiedTranscript } from '../../src/audit/types.js';
import { verifyTranscript } from '../../src/audit/verify.js';
import { shortDigest } from '../../src/crypto/digest-words.js';
import { CeremonyError } from '../../src/errors.js';
import { readFileCapped, readFileHead } from '../../src/io/files.js';
import { SECRET_DIR } from '../../src/ceremony/layout.js';
import { shownOrQuoted } from '../../src/json/fields.js';
import type { TranscriptKeyNameView, TranscriptListItemView, TranscriptListView, TranscriptView } from '../shared/api-types.js';
import { transcriptView } from './ceremony.js';

export interface TranscriptFolderDeps {
  /** Main's folder dialog; undefined when cancelled. */
  chooseFolder(): Promise<string | undefined>;
  /** The completed ceremony's output folder, or undefined when no ceremony has completed in this session. */
  ceremonyFolder(): string | undefined;
  /** The completed ceremony's seal key ID: its root transcript in its output folder may name keys. */
  ceremonySealKey?(): string | undefined;
}

/**
 * Every folder on `rel`'s way below `root` (the last component too when `dirs` is 'all') is a real folder,
 * not a link, and none is a ceremony's `secret`. readFileCapped and readFileHead refuse a link only in the
 * last component (O_NOFOLLOW); a folder on the way swapped for a link since the listing (review A #5)
 * would be followed. Node has no openat, so each component is lstat'ed before and again after the read:
 * a swap is refused unless it is undone in between.
 */
async function checkFolders(root: string, rel: string, dirs: 'parents' | 'all'): Promise<void> {
  const parts = rel ? rel.split('/') : [];
  const n = dirs === 'all' ? parts.length : parts.length - 1;
  for (let i = 0; i < n; i++) {
    const shown = parts.slice(0, i + 1).join('/');
    const st = await lstat(join(root, ...parts.slice(0, i + 1))).catch((err: unknown) => {
      throw new CeremonyError('FILE_NOT_FOUND', `${shownOrQuoted(shown)} is no longer in the listed folder; list it again`, { cause: err });
    });
    if (!st.isDirectory() || parts[i] === SECRET_DIR) {
      throw new CeremonyError('NOT_A_REGULAR_FILE', `${shownOrQuoted(shown)} is ${st.isSymbolicLink() ? 'a link' : parts[i] === SECRET_DIR ? 'a secret folder' : 'not a folder'} now; links are not followed: list the folder again`);
    }
  }
}

/** `read` with the folders on the way checked before and after (checkFolders); the bytes zeroed on a refusal. */
async function readChecked<T extends Uint8Array | undefined>(root: string, rel: string, read: () => Promise<T>): Promise<T> {
  await checkFolders(root, rel, 'parents');
  const out = await read();
  try {
    await checkFolders(root, rel, 'parents');
  } catch (err) {
    out?.fill(0);
    throw err;
  }
  return out;
}

/** The node file system under `root`, for the listing: no links followed (they are `other`), on any component. */
export function nodeFolderIo(root: string): TranscriptFolderIo {
  const at = (rel: string) => (rel ? join(root, ...rel.split('/')) : root);
  return {
    async list(rel) {
      await checkFolders(root, rel, 'all');
      const entries = await readdir(at(rel), { withFileTypes: true });
      await checkFolders(root, rel, 'all');
      return entries.map((e): FolderEntry => ({ name: e.name, kind: e.isFile() ? 'file' : e.isDirectory() ? 'directory' : 'other' }));
    },
    async head(rel, n) {
      return readChecked(root, rel, async () => {
        const h = await readFileHead(at(rel), n);
        return h.kind === 'file' ? h.head : new Uint8Array();
      });
    },
    read: (rel, max) => readChecked(root, rel, () => readFileCapped(at(rel), max)),
  };
}

/**
 * A macrotask yield for the listing between two files (listTranscripts' betweenFiles): each transcript is
 * verified synchronously on this process, so a queued IPC message, paint or timer runs between two of them
 * rather than after the whole folder (the 128 MiB total cap bounds the whole; this bounds each wait).
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Who holds which key, for the screen: one row per key named. */
export function keyNamesView(holders: { byFingerprint: Map<string, KeyHolder>; byKeyId: Map<string, KeyHolder> }): TranscriptKeyNameView[] {
  const out: TranscriptKeyNameView[] = [];
  for (const [fingerprint, h] of holders.byFingerprint) {
    let keyId: string | undefined;
    for (const [id, other] of holders.byKeyId) if (other === h) keyId = id;
    out.push({ fingerprint, ...(keyId ? { keyId } : {}), name: h.name, custodian: h.custodian });
  }
  return out;
}

/** A verified transcript as the screen shows it, its keys named from `holders` (the seal's key among them). */
export function namedTranscriptView(t: VerifiedTranscript, fileName: string, holders: { byFingerprint: Map<string, KeyHolder>; byKeyId: Map<string, KeyHolder> }, expected?: string): TranscriptView {
  const view = transcriptView(t, fileName, expected);
  const names = keyNamesView(holders);
  if (names.length) view.keyNames = names;
  if (view.sealedBy && t.sealedBy) {
    const h = holders.byFingerprint.get(t.sealedBy.fingerprint) ?? holders.byKeyId.get(t.sealedBy.keyId);
    if (h) view.sealedBy.holder = { name: h.name, custodian: h.custodian };
  }
  return view;
}

/**
 * One transcript file on its own (the Transcript screen's "Open transcript…"): verified as before, and its
 * keys named by itself only when it is a root ceremony's transcript sealed by the key the person entered
 * as expected (a seal by any other key proves nothing about who wrote the names).
 */
export function verifyNamedTranscriptFile(file: { name: string; bytes: Uint8Array }, expectedSealKey?: string): TranscriptView {
  const t = verifyTranscript(file.bytes);
  const expected = expectedSealKey?.toLowerCase();
  const anchored = expected !== undefined && t.header.kind === 'root' && t.sealedBy !== undefined && (t.sealedBy.keyId === expected || t.sealedBy.fingerprint === expected);
  return namedTranscriptView(t, file.name, anchored ? keyHoldersOf(t) : { byFingerprint: new Map(), byKeyId: new Map() }, expected);
}

function itemView(item: TranscriptListing['transcripts'][number]): TranscriptListItemView {
  const out: TranscriptListItemView = { name: item.name, kind: item.kind, kindTitle: item.kindTitle, entries: item.entries, seal: { state: 'unsealed', why: '' } };
  if (item.header) {
    out.profile = item.header.profile;
    out.repository = item.header.repository;
    out.started = item.header.started;
    out.rehearsal = item.header.rehearsal;
  }
  const s = item.seal;
  if (s.state === 'sealed') {
    const fp = shortDigest(s.fingerprint);
    out.seal = { state: 'sealed', keyId: s.keyId, fingerprint: { sha256: fp.sha256, hex: fp.hex, words: fp.words }, time: s.time, ...(s.holder ? { holder: { name: s.holder.name, custodian: s.holder.custodian } } : {}) };
  } else out.seal = s.state === 'unsealed' ? { state: 'unsealed', why: s.why } : { state: 'refused', code: s.code, message: s.message, ...(s.path ? { path: s.path } : {}) };
  return out;
}

export class TranscriptFolders {
  private folder: string | undefined;
  private listing: TranscriptListing | undefined;
  /** The seal key anchored with the listed folder (the completed ceremony's, when that folder is its output). */
  private anchor: string | undefined;

  constructor(private readonly deps: TranscriptFolderDeps) {}

  async list(req: { from: 'choose' | 'ceremony' }): Promise<TranscriptListView> {
    const folder = req.from === 'ceremony' ? this.deps.ceremonyFolder() : await this.deps.chooseFolder();
    if (folder === undefined) {
      throw new CeremonyError('USAGE', req.from === 'ceremony' ? 'No ceremony has completed in this session, so there is no output folder to list.' : 'No folder was chosen; nothing was listed.');
    }
    const anchor = req.from === 'ceremony' ? this.deps.ceremonySealKey?.() : undefined;
    const listing = await listTranscripts(nodeFolderIo(folder), { anchorKeys: anchor ? [anchor] : [], betweenFiles: yieldToEventLoop });
    this.folder = folder;
    this.listing = listing;
    this.anchor = anchor;
    return { folder: basename(folder), transcripts: listing.transcripts.map(itemView), otherFiles: listing.otherFiles };
  }

  /** A transcript of the last listing, by its name there: read again and verified now (it may have changed). */
  async open(req: { name: string; expectedSealKey?: string }): Promise<TranscriptView> {
    const { folder, listing } = this;
    if (!folder || !listing) throw new CeremonyError('USAGE', 'List a folder’s transcripts first.');
    const item = listing.transcripts.find((t) => t.name === req.name);
    if (!item) throw new CeremonyError('USAGE', `${req.name} is not one of the transcripts listed from ${basename(folder)}; list the folder again.`);
    if (item.unshownName) throw new CeremonyError('SCHEMA_INVALID', `${item.name}: the file name holds characters not shown to people; rename the file to open it`);
    const bytes = await readChecked(folder, item.name, () => readFileCapped(join(folder, ...item.name.split('/')), MAX_TRANSCRIPT_BYTES));
    // Unsealed allowed: rotate and merge sessions have no key of their own to seal with (src/audit/session.ts).
    const t = verifyTranscript(bytes, { allowUnsealed: true });
    const expected = req.expectedSealKey?.toLowerCase();
    // The key the person entered anchors the root transcripts it sealed, as the ceremony's own key does.
    return namedTranscriptView(t, item.name, expected ? anchoredHolders(listing.namers, [this.anchor, expected]) : listing.holders, expected);
  }
}
