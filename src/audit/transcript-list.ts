/**
 * The transcripts in a folder (issue #16: the Transcript screen lists the root ceremony's transcript and
 * every session transcript — rotate, sign, merge, import, publish — left beside their outputs).
 *
 * A transcript is found by what it is, not by its name: a file whose first line is a transcript header
 * (types.ts `format: "tuf-ceremony-transcript"`) is one, whatever it is called and whichever tool wrote
 * it; any other file is passed over after reading at most its first line. Each one found is then verified
 * in full (verify.ts, unsealed allowed, as `transcript verify --allow-unsealed` does) and summarised:
 * kind, repository, date, entries and its seal state — sealed by key …, an unsealed chain, or refused with
 * the verifier's code (an edited, cut or reordered file is listed as refused, not hidden).
 *
 * Keys are named only by root-ceremony transcripts of the same folder whose seal is anchored
 * (src/inspect/key-holders.ts, as Inspect, Rotation and Co-sign name them): sealed by a key the caller
 * trusts — the completed ceremony's own seal key, or the seal key the person entered as expected. A seal
 * alone proves nothing about who wrote a file (anyone can seal with a fresh key), so a self-sealed file
 * dropped in the folder names nobody. When two anchored transcripts name one key differently, neither
 * wins: the key is shown as disputed, with both names. An unsealed transcript names nobody.
 *
 * Untrusted input: the walk is bounded (depth, number of entries), links are not followed, a folder
 * named `secret` (the ceremony's share cards, src/ceremony/layout.ts) is never opened, each file's head
 * and whole are read under caps, and the transcripts read in all under a total cap (verification runs on
 * Electron's main process: a folder of many large self-sealed files must not freeze or exhaust it). Only
 * each transcript's summary and, for a sealed root transcript, the names it records are kept. The file system is injected (`TranscriptFolderIo`): the core reads no
 * disk itself.
 */
import { CeremonyError, messageWithoutPath } from '../errors.js';
import { isShownText, quoteShown } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonValue } from '../json/types.js';
import { keyHoldersOf, type KeyHolder } from '../inspect/key-holders.js';
import { MAX_LINE_BYTES, MAX_TRANSCRIPT_BYTES, readHeader } from './schema.js';
import { TRANSCRIPT_FORMAT, type TranscriptHeader, type VerifiedTranscript } from './types.js';
import { verifyTranscript } from './verify.js';

/** One entry of a folder, as the injected file system reports it (links and devices are `other`). */
export interface FolderEntry {
  name: string;
  kind: 'file' | 'directory' | 'other';
}

/** Paths are relative to the listed folder, `/`-separated; '' is the folder itself. */
export interface TranscriptFolderIo {
  list(rel: string): Promise<FolderEntry[]>;
  /** At most the first `n` bytes of a file, in a buffer of its own (the listing zeroes it when done). */
  head(rel: string, n: number): Promise<Uint8Array>;
  /** The whole file; refuses (INPUT_TOO_LARGE) one over `max` bytes. */
  read(rel: string, max: number): Promise<Uint8Array>;
}

export interface ListTranscriptsOptions {
  /** Folder levels below the listed one that are searched (a ceremony's `state/` is 1). Default 4. */
  maxDepth?: number;
  /** Folder entries looked at in all, before the walk stops with INPUT_TOO_LARGE. Default 5,000. */
  maxEntries?: number;
  /** Transcripts listed at most, the same way. Default 500. */
  maxTranscripts?: number;
  /** Bytes of transcripts read in all, the same way. Default MAX_LISTING_BYTES. */
  maxTotalBytes?: number;
  /**
   * Seal keys (key IDs or SPKI fingerprints, lower-case hex) whose root-ceremony transcripts may name keys:
   * the completed ceremony's own seal key, a seal key the person entered. None: no key is named.
   */
  anchorKeys?: readonly string[];
  /**
   * Awaited between two files (before each file after the first). Verification is synchronous and the
   * injected reads may complete without ever leaving the microtask queue (small files are read
   * synchronously, src/io/files.ts), so Electron's main process passes a macrotask yield (setImmediate):
   * a queued IPC message or window event runs between two verifications. Nothing of the walk changes.
   */
  betweenFiles?: () => Promise<void>;
}

/** The total bytes of transcripts one listing reads (8 transcripts at the 16 MiB file cap). */
export const MAX_LISTING_BYTES = 128 * 1024 * 1024;

/** The secret folder of a ceremony output (src/ceremony/layout.ts SECRET_DIR): never opened here. */
const SECRET_FOLDER = 'secret';

export type ListedSeal =
  | { state: 'sealed'; keyId: string; fingerprint: string; time: string; holder?: KeyHolder }
  | { state: 'unsealed'; why: string }
  /** `message` without the ` (at PATH)` the CLI's one-line form appends; `path` on its own. */
  | { state: 'refused'; code: string; message: string; path?: string };

export interface ListedTranscript {
  /**
   * Relative path in the folder, `/`-separated; a path holding characters not shown to people (bidi,
   * invisible, control: src/json/fields.ts) is quoted with those escaped (quoteShown), `unshownName` set
   * and its seal refused, so a name cannot be spoofed on screen (review A #7).
   */
  name: string;
  unshownName?: true;
  /** The header's kind (`root`, `co-sign`, `merge`, …) and the same in words. */
  kind: string;
  kindTitle: string;
  /** Absent when the header itself could not be read (seal.state is then `refused`). */
  header?: { profile: 'tuf' | 'notary'; repository: string; started: string; rehearsal: boolean };
  entries: number;
  seal: ListedSeal;
}

export interface NamedHolders {
  byFingerprint: Map<string, KeyHolder>;
  byKeyId: Map<string, KeyHolder>;
}

/** A sealed root-ceremony transcript of the listing: who sealed it and the key names it records. */
export interface ListedNamer {
  name: string;
  sealKeyId: string;
  sealFingerprint: string;
  holders: NamedHolders;
}

export interface TranscriptListing {
  transcripts: ListedTranscript[];
  /** Files looked at that are not transcripts (read no further than their first line). */
  otherFiles: number;
  /** Who holds which key, from the anchored root transcripts only (anchoredHolders). */
  holders: NamedHolders;
  /** Every sealed root transcript's names, anchored or not: an expected key given later may anchor one. */
  namers: ListedNamer[];
}

function sameHolder(a: KeyHolder, b: KeyHolder): boolean {
  return a.name === b.name && a.custodian === b.custodian;
}

/**
 * The names recorded by the root transcripts sealed by one of `anchors` (key ID or fingerprint). No order
 * between transcripts is trusted (a header's `started` is its author's word): when two name one key
 * differently, the key is named as disputed, with each name and the file that gives it.
 */
export function anchoredHolders(namers: readonly ListedNamer[], anchors: Iterable<string | undefined>): NamedHolders {
  const trusted = new Set([...anchors].filter((a): a is string => typeof a === 'string' && a !== '').map((a) => a.toLowerCase()));
  const out: NamedHolders = { byFingerprint: new Map(), byKeyId: new Map() };
  const claims = new Map<string, { holder: KeyHolder; from: string }[]>();
  const claim = (map: Map<string, KeyHolder>, tag: string, key: string, holder: KeyHolder, from: string) => {
    const id = `${tag}:${key}`;
    const list = claims.get(id) ?? [];
    if (!list.some((c) => sameHolder(c.holder, holder))) list.push({ holder, from });
    claims.set(id, list);
    const [first] = list;
    map.set(key, list.length === 1 ? first!.holder : { name: `disputed: ${list.map((c) => `named “${c.holder.name}” in ${c.from}`).join(', ')}`, custodian: false });
  };
  for (const n of namers) {
    if (!trusted.has(n.sealKeyId) && !trusted.has(n.sealFingerprint)) continue;
    for (const [k, v] of n.holders.byFingerprint) claim(out.byFingerprint, 'fp', k, v, n.name);
    for (const [k, v] of n.holders.byKeyId) claim(out.byKeyId, 'id', k, v, n.name);
  }
  return out;
}

/** Name each sealed item's seal key from `holders`. */
export function nameSeals(transcripts: ListedTranscript[], holders: NamedHolders): void {
  for (const item of transcripts) {
    if (item.seal.state !== 'sealed') continue;
    delete item.seal.holder;
    const holder = holders.byFingerprint.get(item.seal.fingerprint) ?? holders.byKeyId.get(item.seal.keyId);
    if (holder) item.seal.holder = holder;
  }
}

const KIND_TITLES: Record<string, string> = {
  root: 'Root ceremony',
  'rotation-request': 'Rotation request',
  'co-sign': 'Co-signing',
  merge: 'Merge of signatures',
  import: 'Import',
  publish: 'Publish',
  'rehearsal-rotation': 'Rehearsal rotation',
  'certificate-renewal': 'Certificate renewal in the room',
};

function refusedSeal(err: CeremonyError): ListedSeal {
  return { state: 'refused', code: err.code, message: messageWithoutPath(err), ...(err.path ? { path: err.path } : {}) };
}

/** A transcript kind in words; an unknown kind (a newer tool's) is shown as it is written. */
export function transcriptKindTitle(kind: string): string {
  return KIND_TITLES[kind] ?? kind;
}

type Recognised = { transcript: false } | { transcript: true; header?: TranscriptHeader; refusal?: CeremonyError };

/**
 * Is this a transcript? Only its first line is looked at: the header record. A first line that parses
 * and names the transcript format but does not pass the header's schema is a transcript that is refused.
 */
export function recogniseTranscriptHead(head: Uint8Array): Recognised {
  const nl = head.indexOf(0x0a);
  if (nl <= 0) return { transcript: false };
  let value: JsonValue;
  try {
    value = parseJsonStrict(head.subarray(0, nl), { maxBytes: MAX_LINE_BYTES, path: 'line 1', maxDepth: 8 });
  } catch {
    return { transcript: false };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value.format !== TRANSCRIPT_FORMAT) return { transcript: false };
  try {
    return { transcript: true, header: readHeader(value, 'line 1 $') };
  } catch (err) {
    const detail = err instanceof CeremonyError ? messageWithoutPath(err) : err instanceof Error ? err.message : 'not a transcript header';
    const refusal = new CeremonyError('TRANSCRIPT_MALFORMED', `line 1: ${detail}`, { cause: err, path: err instanceof CeremonyError && err.path ? err.path : 'line 1' });
    return { transcript: true, refusal };
  }
}

function summarise(name: string, header: TranscriptHeader, t: VerifiedTranscript | undefined, refusal: CeremonyError | undefined): ListedTranscript {
  let seal: ListedSeal;
  if (refusal || !t) seal = refusedSeal(refusal ?? new CeremonyError('INTERNAL', 'the transcript was neither verified nor refused'));
  else if (t.sealedBy) seal = { state: 'sealed', keyId: t.sealedBy.keyId, fingerprint: t.sealedBy.fingerprint, time: t.sealedBy.time };
  else seal = { state: 'unsealed', why: t.problems.some((p) => p.code === 'TRANSCRIPT_TRUNCATED') ? 'the chain is intact up to a last line cut short; no seal' : 'the chain is intact; no seal' };
  return {
    name,
    kind: header.kind,
    kindTitle: transcriptKindTitle(header.kind),
    header: { profile: header.profile, repository: header.repository, started: header.started, rehearsal: header.rehearsal },
    entries: t?.entries.length ?? 0,
    seal,
  };
}

/** Find, verify and summarise every transcript under the folder `io` reads. */
export async function listTranscripts(io: TranscriptFolderIo, opts: ListTranscriptsOptions = {}): Promise<TranscriptListing> {
  const maxDepth = opts.maxDepth ?? 4;
  const maxEntries = opts.maxEntries ?? 5000;
  const maxTranscripts = opts.maxTranscripts ?? 500;
  const maxTotalBytes = opts.maxTotalBytes ?? MAX_LISTING_BYTES;
  const transcripts: ListedTranscript[] = [];
  const namers: ListedNamer[] = [];
  let seen = 0;
  let visited = 0;
  let otherFiles = 0;
  let totalBytes = 0;

  const visitFile = async (rel: string): Promise<void> => {
    // One line more than a header can be, so a first line at the cap is still seen whole.
    const head = await io.head(rel, MAX_LINE_BYTES + 1);
    let recognised: Recognised;
    try {
      recognised = recogniseTranscriptHead(head);
    } finally {
      // Any file in the folder may be read here (a share card saved outside secret/, a key file): its
      // head is not kept, and not left in memory either.
      head.fill(0);
    }
    if (!recognised.transcript) {
      otherFiles++;
      return;
    }
    if (transcripts.length >= maxTranscripts) throw new CeremonyError('INPUT_TOO_LARGE', `the folder holds more than ${maxTranscripts} transcripts; choose a smaller folder`, { path: rel });
    if (!isShownText(rel)) {
      const name = quoteShown(rel);
      const refusal = new CeremonyError('SCHEMA_INVALID', 'the file name holds characters not shown to people (control, bidi or invisible characters can hide or reorder it); rename the file to open it', { path: name });
      transcripts.push({ name, unshownName: true, kind: recognised.header?.kind ?? 'unknown', kindTitle: recognised.header ? transcriptKindTitle(recognised.header.kind) : 'Unreadable transcript', entries: 0, seal: refusedSeal(refusal) });
      return;
    }
    if (!recognised.header) {
      const refusal = recognised.refusal!;
      transcripts.push({ name: rel, kind: 'unknown', kindTitle: 'Unreadable transcript', entries: 0, seal: refusedSeal(refusal) });
      return;
    }
    let t: VerifiedTranscript | undefined;
    let refusal: CeremonyError | undefined;
    try {
      const bytes = await io.read(rel, MAX_TRANSCRIPT_BYTES);
      totalBytes += bytes.length;
      if (totalBytes > maxTotalBytes) {
        throw new CeremonyError('INPUT_TOO_LARGE', `the transcripts in this folder are more than ${Math.floor(maxTotalBytes / (1024 * 1024))} MiB in all; choose a smaller folder`, { path: rel });
      }
      t = verifyTranscript(bytes, { allowUnsealed: true });
    } catch (err) {
      if (!(err instanceof CeremonyError) || totalBytes > maxTotalBytes) throw err;
      refusal = err;
    }
    // Only a root ceremony's transcript names custodians' keys (a co-sign or other session records none of
    // its own); only its names are kept, not the transcript.
    if (t?.sealedBy && t.header.kind === 'root') {
      const h = keyHoldersOf(t);
      namers.push({ name: rel, sealKeyId: t.sealedBy.keyId, sealFingerprint: t.sealedBy.fingerprint, holders: { byFingerprint: h.byFingerprint, byKeyId: h.byKeyId } });
    }
    transcripts.push(summarise(rel, recognised.header, t, refusal));
  };

  const walk = async (rel: string, depth: number): Promise<void> => {
    const entries = [...(await io.list(rel))].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (++seen > maxEntries) throw new CeremonyError('INPUT_TOO_LARGE', `the folder holds more than ${maxEntries} files and folders; choose a smaller folder`, { path: rel || '.' });
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.kind === 'file') {
        if (visited++ > 0) await opts.betweenFiles?.();
        await visitFile(child);
      }
      else if (e.kind === 'directory' && depth < maxDepth && e.name !== SECRET_FOLDER && !e.name.startsWith('.')) await walk(child, depth + 1);
    }
  };
  await walk('', 0);

  const holders = anchoredHolders(namers, opts.anchorKeys ?? []);
  nameSeals(transcripts, holders);
  transcripts.sort((a, b) => {
    const sa = a.header?.started ?? '';
    const sb = b.header?.started ?? '';
    return sa < sb ? -1 : sa > sb ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  return { transcripts, otherFiles, holders, namers };
}
