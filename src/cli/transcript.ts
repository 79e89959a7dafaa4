/**
 * `tuf-ceremony transcript verify FILE [--json] [--seal-key KEYID] [--allow-unsealed]` and
 * `tuf-ceremony transcript render FILE --out HTML [--seal-key KEYID] [--allow-unsealed]`.
 *
 * `verify --json` prints, on success (exit 0):
 *
 * ```json
 * {
 *   "ok": true,
 *   "format": "tuf-ceremony-transcript", "formatVersion": 1,
 *   "kind": "root", "profile": "tuf", "repository": "example.com/org/app",
 *   "planHash": "…", "rehearsal": true, "started": "2025-05-06T09:00:00.000Z", "appVersion": "0.1.0",
 *   "headerHash": "…", "entryCount": 7, "lastHash": "…",
 *   "sealed": true,
 *   "seal": { "time": "…", "keyId": "…", "fingerprint": "…", "keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "pinned": true },
 *   "problems": [{ "code": "TRANSCRIPT_CLOCK", "message": "…", "line": 5 }],
 *   "entries": [ …the entry records as in the file… ]
 * }
 * ```
 *
 * (`seal` is null when unsealed, which only `--allow-unsealed` accepts), and on refusal
 * `{ "ok": false, "error": { "code", "message", "path" } }` with exit 1.
 */
import type { Command } from 'commander';
import { basename } from 'node:path';
import { CeremonyError } from '../errors.js';
import { MAX_TRANSCRIPT_BYTES } from '../audit/schema.js';
import type { VerifiedTranscript } from '../audit/types.js';
import { verifyTranscript } from '../audit/verify.js';
import { renderTranscriptHtml } from '../audit/render.js';
import { groupHex, shortDigest, groupWords } from '../crypto/digest-words.js';
import { readFileCapped, writeFileAtomic } from '../io/files.js';
import type { Io } from './output.js';

export interface TranscriptCommandOptions {
  json?: boolean;
  sealKey?: string;
  allowUnsealed?: boolean;
}

function sealKeyOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(v)) throw new CeremonyError('USAGE', '--seal-key takes a key ID or key fingerprint: 64 hex digits');
  return v;
}

async function load(path: string, opts: TranscriptCommandOptions): Promise<VerifiedTranscript> {
  const bytes = await readFileCapped(path, MAX_TRANSCRIPT_BYTES);
  const expectedSealKeyId = sealKeyOption(opts.sealKey);
  return verifyTranscript(bytes, { allowUnsealed: Boolean(opts.allowUnsealed), ...(expectedSealKeyId ? { expectedSealKeyId } : {}) });
}

/** The documented `--json` shape (see the file comment). */
export function transcriptJson(t: VerifiedTranscript) {
  const h = t.header;
  return {
    ok: true as const,
    format: h.format,
    formatVersion: h.formatVersion,
    kind: h.kind,
    profile: h.profile,
    repository: h.repository,
    planHash: h.planHash,
    rehearsal: h.rehearsal,
    started: h.started,
    appVersion: h.appVersion,
    headerHash: h.hash,
    entryCount: t.entries.length,
    lastHash: t.lastHash,
    sealed: t.sealed,
    seal: t.sealedBy
      ? { time: t.sealedBy.time, keyId: t.sealedBy.keyId, fingerprint: t.sealedBy.fingerprint, keytype: t.sealedBy.keytype, scheme: t.sealedBy.scheme, pinned: t.sealKeyPinned }
      : null,
    problems: t.problems,
    entries: t.entries,
  };
}

export async function transcriptVerifyCommand(path: string, opts: TranscriptCommandOptions, io: Io): Promise<number> {
  const t = await load(path, opts);
  if (opts.json) {
    io.out(JSON.stringify(transcriptJson(t), null, 2));
    return 0;
  }
  const h = t.header;
  const n = t.entries.length;
  io.out(`${t.sealed ? 'verified' : 'verified, NOT SEALED'}: ${h.kind} ceremony transcript for ${h.repository} (${h.profile})${t.rehearsal ? ', REHEARSAL' : ''}`);
  io.out(`  started ${h.started}, ${n} ${n === 1 ? 'entry' : 'entries'}${n ? `, last at ${t.entries[n - 1]!.time}` : ''}`);
  io.out(`  plan intent hash ${h.planHash}`);
  if (t.sealedBy) {
    const fp = shortDigest(t.sealedBy.fingerprint);
    io.out(`  sealed ${t.sealedBy.time} by key ${t.sealedBy.keyId} (${t.sealedBy.keytype}, ${t.sealedBy.scheme})`);
    io.out(`  key fingerprint ${groupHex(fp.hex)}  ${groupWords(fp.words)}`);
    io.out(
      t.sealKeyPinned
        ? '  sealing key: the expected one (--seal-key)'
        : '  sealing key: not pinned; compare the fingerprint with the one recorded at the ceremony, or pass --seal-key',
    );
  }
  for (const p of t.problems) io.out(`  ${p.code}${p.line ? ` (line ${p.line})` : ''}: ${p.message}`);
  return 0;
}

export async function transcriptRenderCommand(path: string, opts: TranscriptCommandOptions & { out: string }, io: Io): Promise<number> {
  if (!opts.out) throw new CeremonyError('USAGE', '--out HTML is required');
  const t = await load(path, opts);
  const html = renderTranscriptHtml(t, { fileName: basename(path) });
  // Never overwrites (OUTPUT_EXISTS, exit 2).
  await writeFileAtomic(opts.out, new TextEncoder().encode(html));
  io.out(`wrote ${basename(opts.out)}: ${t.entries.length} entries${t.sealed ? ', sealed' : ', NOT SEALED'}${t.rehearsal ? ', REHEARSAL' : ''}`);
  return 0;
}

/** Register `transcript verify` and `transcript render` on the program; `setStatus` receives the exit status. */
export function registerTranscriptCommands(program: Command, io: Io, setStatus: (status: number) => void): void {
  const transcript = program
    .command('transcript')
    .description('check or print a ceremony transcript (hash-chained log, sealed by a signature)')
    // Without a command, say so as `error[USAGE]` first on stderr (commander would print its help there).
    .action(() => {
      throw new CeremonyError('USAGE', 'transcript needs a command: verify FILE, or render FILE --out HTML');
    });
  transcript
    .command('verify')
    .description("check a transcript's format, hash chain and seal, offline")
    .argument('<FILE>', 'the transcript (JSON Lines, as the ceremony wrote it)')
    .option('--json', 'machine-readable result (documented in src/cli/transcript.ts)')
    .option('--seal-key <KEYID>', 'require the seal to be by this key (its key ID or fingerprint)')
    .option('--allow-unsealed', "accept an interrupted ceremony's unsealed transcript as a verified prefix")
    .action(async (path: string, opts: TranscriptCommandOptions) => {
      setStatus(await transcriptVerifyCommand(path, opts, io));
    });
  transcript
    .command('render')
    .description('verify a transcript, then write it as a printable HTML document (never overwrites)')
    .argument('<FILE>', 'the transcript')
    .requiredOption('--out <HTML>', 'the HTML file to write')
    .option('--seal-key <KEYID>', 'require the seal to be by this key (its key ID or fingerprint)')
    .option('--allow-unsealed', 'render an unsealed transcript (marked UNSEALED)')
    .action(async (path: string, opts: TranscriptCommandOptions & { out: string }) => {
      setStatus(await transcriptRenderCommand(path, opts, io));
    });
}
