/**
 * The session transcript of a site import (issue #16; format src/audit/session.ts): what was verified,
 * against which pinned root, which repositories were installed where — or the refusal and its code — and
 * who watched. One file per import, in the site's sessions folder (`siteSessionsDir`), shared by
 * `tuf-ceremony import` (single and set) and the app's Import screen.
 *
 * Where: beside the import lock (lock.ts), never inside a folder a client reads —
 *   notary  `<trust dir>/tuf-ceremony-sessions/` (notary and Docker read `<trust dir>/tuf/…`, `private/`,
 *           `trusted_certificates/`; a set import replaces `<trust dir>/tuf` only);
 *   tuf     `<parent>/<trust dir name>.tuf-ceremony-sessions/` beside the client metadata folder (an extra
 *           folder inside it would be an unknown file to the client and to the next import).
 *
 * An import uses no key, so the transcript is hash-chained and unsealed, closed by a `session.end` entry
 * (`transcript verify --allow-unsealed`): an edit, a reordering or a cut is found; who ran the import is
 * not proven by it — what was installed proves itself by the chain of roots from the pin. A refusal is
 * recorded too (it is the audit trail), once the input was read as a repository; the trust folder itself
 * is untouched by a refusal (install.ts). Nothing secret passes through an import: the transcript holds
 * names, versions, SHA-256s and the refusal's message (cleaned by sessionNote).
 */
import { basename, dirname, join, relative } from 'node:path';
import { isCeremonyError } from '../errors.js';
import { sha256Hex } from '../crypto/digest.js';
import { canonicalString } from '../json/canonical.js';
import type { ProfileName } from '../profiles/profile.js';
import type { RepositoryFiles, TrustedVersions } from '../tuf/repository.js';
import { MAX_FILES } from '../audit/schema.js';
import { SessionTranscript, sessionNote } from '../audit/session.js';
import type { FileInput } from '../audit/transcript.js';
import type { ImportResult, TrustLayout } from './install.js';
import type { SetImportResult } from './install-set.js';

export const SESSIONS_FOLDER_NAME = 'tuf-ceremony-sessions';
/** What a witness of an import confirms by being named (the CLI's `--witness`, the Import screen's line). */
export const IMPORT_WITNESS_CONFIRMED = 'watched this import: what was verified, and what was installed or refused';

/** The site's sessions folder for a trust directory in `layout` (see the file comment). */
export function siteSessionsDir(trustDir: string, layout: TrustLayout): string {
  if (layout === 'notary') return join(trustDir, SESSIONS_FOLDER_NAME);
  return join(dirname(trustDir), `${basename(trustDir)}.${SESSIONS_FOLDER_NAME}`);
}

/** What was imported, as the transcript names it. */
export interface ImportSessionSource {
  /** The file or folder name given. */
  name: string;
  /** The bundle's SHA-256 (what its short hash is of), or the folder listing's (folderListingSha256). */
  sha256: string;
  form: 'bundle' | 'folder' | 'set';
}

export interface ImportSessionStart {
  profile: ProfileName;
  /** The repository (GUN or name), or the set's name. */
  repository: string;
  source: ImportSessionSource;
  /** The pin given, when one was: the pinned root file by name and SHA-256, or the fingerprint given. */
  pin?: { name: string; sha256: string };
  trustDir: string;
  witnesses: readonly string[];
  rehearsal?: boolean;
  now?: () => Date;
}

/**
 * `cleanupFailed`: the install went through (the new tree renamed into place), then a step after the rename
 * failed (IMPORT_INSTALLED_CLEANUP_FAILED, src/trust-store/installed-cleanup.ts): recorded as the install it
 * is, with the failure and what it left beside the folder — never as a refusal.
 */
export type ImportOutcome = { single: ImportResult; cleanupFailed?: unknown } | { set: SetImportResult; cleanupFailed?: unknown } | { refused: unknown };

/** The entry and the end's words for a failure after the swap's rename (ImportOutcome `cleanupFailed`). */
async function recordCleanupFailed(session: SessionTranscript, err: unknown, actor: { name: string; role: 'operator' }): Promise<string> {
  const code = isCeremonyError(err) ? err.code : 'INTERNAL';
  const message = isCeremonyError(err) ? err.message : 'an unexpected error';
  await session.append({ step: 'import.cleanup-failed', actor, note: sessionNote(`installed; then a step after the swap's rename failed [${code}]: ${message}`, `installed; then a step after the swap's rename failed [${code}]`) });
  return `; then a step after the swap's rename failed [${code}] (the entry before says what, and what is left beside the folder)`;
}

/** The SHA-256 a metadata folder is reviewed by: of the canonical list of its files' names and SHA-256s. */
export function folderListingSha256(files: RepositoryFiles): string {
  const list: { name: string; sha256: string }[] = [];
  const add = (name: string, bytes: Uint8Array | undefined): void => {
    if (bytes) list.push({ name, sha256: sha256Hex(bytes) });
  };
  add('root.json', files.root);
  for (const [n, b] of files.versionedRoots) add(`${n}.root.json`, b);
  add('timestamp.json', files.timestamp);
  add('snapshot.json', files.snapshot);
  add('targets.json', files.targets);
  for (const [n, b] of files.delegated) add(`${n}.json`, b);
  add('attestations.json', files.attestations);
  list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return sha256Hex(new TextEncoder().encode(canonicalString(list, 'json')));
}

function versionsText(v: TrustedVersions, previousRoot: number | null | undefined): string {
  const delegated = Object.keys(v.delegated ?? {}).length;
  return `root v${v.root}${previousRoot === null || previousRoot === undefined ? ' (new)' : ` (was v${previousRoot})`}, targets v${v.targets ?? '?'}, snapshot v${v.snapshot ?? '?'}, timestamp v${v.timestamp ?? '?'}${delegated ? `, ${delegated} delegated role${delegated === 1 ? '' : 's'}` : ''}`;
}

/** A file name for the transcript (255 characters at most): a long path keeps its end. */
function fileName(path: string): string {
  return path.length <= 255 ? path : `…${path.slice(path.length - 254)}`;
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out.length ? out : [[]];
}

/** The finished transcript of one import session (unsealed, ended). */
export async function importSessionTranscript(start: ImportSessionStart, outcome: ImportOutcome): Promise<Uint8Array> {
  const now = start.now ?? (() => new Date());
  const session = await SessionTranscript.start({ kind: 'import', profile: start.profile, repository: start.repository, reviewed: { sha256: start.source.sha256 }, rehearsal: start.rehearsal ?? false }, now);
  const operator = { name: 'operator', role: 'operator' } as const;
  const witnesses = start.witnesses.map((name) => ({ name, confirmed: IMPORT_WITNESS_CONFIRMED }));
  const label = start.source.form === 'folder' ? 'metadata folder (SHA-256 of its file list)' : start.source.form === 'set' ? 'trust-bundle-set, the short hash read aloud' : 'trust bundle, the short hash read aloud';
  const digests = [{ label, sha256: start.source.sha256 }];
  const inputs: FileInput[] = [{ name: fileName(start.source.name), sha256: start.source.sha256 }];
  if (start.pin && start.pin.name !== start.source.name) inputs.push({ name: fileName(start.pin.name), sha256: start.pin.sha256 });

  if ('refused' in outcome) {
    const err = outcome.refused;
    const code = isCeremonyError(err) ? err.code : 'INTERNAL';
    const message = isCeremonyError(err) ? err.message : 'an unexpected error';
    await session.append({ step: 'import.refused', actor: operator, digests, inputs, witnesses, note: sessionNote(`refused [${code}]: ${message}`, `refused [${code}]`) });
    await session.end(`refused [${code}]: nothing was installed; the trust folder holds what it held before`);
    return session.bytes();
  }

  if ('single' in outcome) {
    const r = outcome.single;
    const pinned = r.record.pinnedRootSha256;
    if (!start.pin && typeof pinned === 'string') inputs.push({ name: `pinned root.json (${r.pinnedBy})`, sha256: pinned });
    await session.append({
      step: 'import.verify',
      actor: operator,
      digests,
      inputs,
      witnesses,
      note: sessionNote(`verified completely against the pinned root (pinned by ${r.pinnedBy}): ${versionsText(r.versions, r.previous?.root ?? null)}`, 'verified completely against the pinned root'),
    });
    // Relative to the trust directory the import resolved (r.trustDir), never to the operator's spelling of
    // it (start.trustDir): through a link, or a linked ancestor (macOS /tmp), the two differ (review-12b M1).
    const outputs = Object.entries(r.fileHashes).map(([name, sha256]) => ({ name: fileName(relative(r.trustDir, join(r.folder, name)) || name), sha256 }));
    for (const part of chunks(outputs, MAX_FILES)) {
      await session.append({ step: 'import.install', actor: operator, outputs: part, note: sessionNote(`installed into the trust directory's ${relative(r.trustDir, r.folder) || 'folder itself'}, in one swap`, 'installed in one swap') });
    }
    const after = outcome.cleanupFailed !== undefined ? await recordCleanupFailed(session, outcome.cleanupFailed, operator) : '';
    await session.end(`installed: ${r.gun ?? start.repository} into the ${r.layout} layout${after}`);
    return session.bytes();
  }

  const s = outcome.set;
  await session.append({ step: 'import.verify', actor: operator, digests, inputs, witnesses, note: `${s.entries.length} repositories verified completely, each against its own pin, before anything was written` });
  for (const e of s.entries) {
    const top = ['root.json', 'targets.json', 'snapshot.json', 'timestamp.json'].filter((n) => e.fileHashes[n] !== undefined);
    await session.append({
      step: 'import.install',
      actor: operator,
      outputs: top.map((n) => ({ name: fileName(`${e.folder}/${n}`), sha256: e.fileHashes[n]! })),
      note: sessionNote(`${e.repository}: ${versionsText(e.versions, e.previousRoot)}; pinned by ${e.pinnedBy}`, `${versionsText(e.versions, e.previousRoot)}; pinned by ${e.pinnedBy}`),
    });
  }
  const after = outcome.cleanupFailed !== undefined ? await recordCleanupFailed(session, outcome.cleanupFailed, operator) : '';
  // As a single import's: relative to the resolved trust directory (review-12b M1).
  const within = relative(s.trustDir, s.folder);
  await session.end(`installed: ${s.entries.length} repositories into the trust directory${within ? `'s ${within}` : ''}, all at once${after}`);
  return session.bytes();
}
