/**
 * What a multi-repository ceremony (multi-machine.ts, issue #17) needs to resume after an interruption.
 *
 * The journal. The keys and the coarse steps are in state/ceremony-state.json, as for one repository
 * (state.ts). Which repositories were written is in the transcript: each repository's `repository.write`
 * entry lists the files written (`metadata/<safe name>/<file>`) with their SHA-256, and is appended — fsync'd
 * and hash-chained (src/io/append.ts) — only after the files themselves were written atomically. Keeping
 * that list in the state file instead would rewrite a journal that grows with every repository after every
 * repository (quadratic in 5,000 repositories); the transcript is append-only and is the record the
 * witnesses verify anyway.
 *
 * On resume every repository of the plan is gone through again, in order:
 *
 * - recorded as written: each recorded file must be present with the recorded SHA-256 (else
 *   CEREMONY_STATE_INVALID: nothing is rewritten over or beside a changed output), then its files are
 *   adopted as below — every signature verified again over the bytes rebuilt from the plan and the keys, the
 *   repository verified as a client would — and nothing is signed or written;
 * - not recorded: the files an interrupted run wrote into its folder (each complete: writes are atomic) are
 *   adopted — the Notary root certificates the root.json lists, the signatures each file carries — so no
 *   role whose file exists is signed again (never a second, different root.json v1 for the repository);
 *   what is missing is signed and written, and the files already there must equal what is rebuilt, byte
 *   for byte. A folder holding a file this ceremony does not write is refused.
 *
 * Which partial folders are legitimate. A repository's files are written in role order, the folder fsync'd
 * between roles (writeRank; io/files.ts writeNewFilesAtomic `rank`): root.json (with 1.root.json and
 * attestations.json), then targets, then snapshot, then timestamp. A power loss therefore leaves a prefix
 * of the roles: any later role's file present means every earlier role's is too. Such a prefix resumes:
 * the roles present are adopted, the rest signed — a role lost with nothing after it was referenced by
 * no file that survived and by no transcript entry, exactly as if the run had stopped before writing it.
 * A folder that is not a prefix (root.json gone while snapshot.json is there: removed by hand) would need
 * a lost file re-signed — for Notary a new certificate and a second, different root.json v1 under a
 * snapshot that names the lost one — so it is refused before any token signs (checkWrittenPrefix), for
 * every repository of the plan before the first PIN is asked.
 */
import { join } from 'node:path';
import type { TranscriptEntry } from '../audit/types.js';
import { sha256Hex } from '../crypto/digest.js';
import { CeremonyError, isCeremonyError } from '../errors.js';
import { readFileCapped } from '../io/files.js';
import { folderEntries } from '../io/folders.js';
import { removeAtomicTemps } from '../io/leftover-temps.js';
import type { JsonObject } from '../json/types.js';
import type { SignatureJson } from '../profiles/profile.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { parseMetadata } from '../tuf/metadata.js';
import { capForName } from '../tuf/repository-files.js';
import { METADATA_DIR } from './layout.js';
import type { CeremonyState, MetadataRole } from './state.js';

export const REPOSITORY_WRITE_STEP = 'repository.write';
export const INVENTORY_WRITE_STEP = 'inventory.write';

export interface MultiJournal {
  /** Repositories whose writing the transcript records, by safe folder name: file name → SHA-256. */
  repositories: Map<string, Map<string, string>>;
  /** The SHA-256 of the key inventory when its writing is recorded. */
  inventory: string | undefined;
}

/** The journal a (verified) transcript holds. */
export function journalOf(entries: readonly TranscriptEntry[]): MultiJournal {
  const repositories = new Map<string, Map<string, string>>();
  let inventory: string | undefined;
  const prefix = `${METADATA_DIR}/`;
  for (const e of entries) {
    if (e.step === REPOSITORY_WRITE_STEP) {
      for (const o of e.outputs) {
        if (!o.name.startsWith(prefix)) continue;
        const [safe, file, ...rest] = o.name.slice(prefix.length).split('/');
        if (!safe || !file || rest.length) continue;
        let files = repositories.get(safe);
        if (!files) repositories.set(safe, (files = new Map()));
        files.set(file, o.sha256);
      }
    } else if (e.step === INVENTORY_WRITE_STEP && e.outputs[0]) {
      inventory = e.outputs[0].sha256;
    }
  }
  return { repositories, inventory };
}

/** Refuse a state that is not this multi-repository ceremony's (as machine.ts does for one repository). */
export function checkSameMultiCeremony(state: CeremonyState, expected: { planSha256: string; profile: string; repository: string; rehearsal: boolean }, path: string): void {
  if (state.planSha256 !== expected.planSha256) {
    throw new CeremonyError(
      'CEREMONY_STATE_MISMATCH',
      `the ceremony state belongs to the plan with intent hash ${state.planSha256.slice(0, 16)}…, not this plan (${expected.planSha256.slice(0, 16)}…): resume with the plan it was started with, or use a new output folder`,
      { path },
    );
  }
  if (state.profile !== expected.profile || state.repository !== expected.repository) {
    throw new CeremonyError('CEREMONY_STATE_MISMATCH', `the ceremony state is for ${state.profile} repository ${state.repository}`, { path });
  }
  if (state.rehearsal !== expected.rehearsal) {
    throw new CeremonyError('CEREMONY_STATE_MISMATCH', `the ceremony state is from a ${state.rehearsal ? 'rehearsal' : 'real ceremony'}; this run is ${expected.rehearsal ? 'a rehearsal' : 'real'}`, { path });
  }
}

const ROLE_ORDER: readonly MetadataRole[] = ['root', 'targets', 'snapshot', 'timestamp'];

/** The role a metadata file name holds (`root.json`, `1.root.json`), if any. */
function roleOfName(name: string): MetadataRole | undefined {
  const m = /^(?:1\.)?(root|targets|snapshot|timestamp)\.json$/.exec(name);
  return m ? (m[1] as MetadataRole) : undefined;
}

/**
 * The order a repository's files are made durable in (io/files.ts writeNewFilesAtomic `rank`): by role,
 * root first (attestations.json with it: it describes root's keys and refers to nothing later).
 */
export function writeRank(name: string): number {
  const role = roleOfName(name);
  return role ? ROLE_ORDER.indexOf(role) : 0;
}

/**
 * Refuse a repository folder whose roles are not a prefix of `roles` (the roles this repository writes, in
 * order; a role counts as present under either of its names): a later role's file without an earlier
 * one's is not what a power loss leaves (see the module comment), and resuming it would sign a lost
 * file anew. Called before any token operation.
 */
export function checkWrittenPrefix(names: Iterable<string>, roles: readonly MetadataRole[], shown: string, folder: string): void {
  const present = new Set<MetadataRole>();
  for (const n of names) {
    const role = roleOfName(n);
    if (role) present.add(role);
  }
  const missing = roles.findIndex((r) => !present.has(r));
  if (missing < 0) return;
  const later = roles.slice(missing + 1).find((r) => present.has(r));
  if (!later) return;
  const lost = roles[missing]!;
  throw new CeremonyError(
    'CEREMONY_STATE_INVALID',
    `${shown}/${lost}.json is missing, but ${shown}/${later}.json, which is written only after it, is there: an interruption does not leave this (files were removed or moved by hand). Nothing was signed. Put ${lost}.json back, or move the folder away to sign the repository anew`,
    { path: join(folder, `${lost}.json`) },
  );
}

/** What a repository's folder held when the run started. */
export interface WrittenRepository {
  /** The files found (expected names only), by name. */
  files: Map<string, Uint8Array>;
  /** writeFileAtomic temp files of its outputs left by a killed write, removed. */
  removed: string[];
}

/**
 * The files in a repository's folder (`folder`, shown as `shown`): temp files of an interrupted atomic write
 * removed, anything that is not one of `expected` refused, and each file `journaled` records present with
 * the recorded SHA-256.
 */
export async function writtenRepository(folder: string, shown: string, expected: readonly string[], journaled: ReadonlyMap<string, string> | undefined): Promise<WrittenRepository> {
  const removed = await removeAtomicTemps(folder, expected);
  const files = new Map<string, Uint8Array>();
  for (const { name, file } of await folderEntries(folder)) {
    if (!expected.includes(name) || !file) {
      throw new CeremonyError('CEREMONY_STATE_INVALID', `${shown}/${name} is not a file this ceremony writes; move it away, then resume`, { path: join(folder, name) });
    }
    files.set(name, await readFileCapped(join(folder, name), capForName(name, DEFAULT_CAPS)));
  }
  for (const [name, sha] of journaled ?? []) {
    const bytes = files.get(name);
    if (!bytes) throw new CeremonyError('CEREMONY_STATE_INVALID', `${shown}/${name} was written before the interruption (the transcript records it) and is missing now`, { path: join(folder, name) });
    if (sha256Hex(bytes) !== sha) {
      throw new CeremonyError('CEREMONY_STATE_INVALID', `${shown}/${name} is not the file written before the interruption (SHA-256 ${sha256Hex(bytes).slice(0, 16)}…, the transcript records ${sha.slice(0, 16)}…)`, {
        path: join(folder, name),
      });
    }
  }
  return { files, removed };
}

/** What the written files of a repository give back to its ceremony: certificates and signatures. */
export interface AdoptedFiles {
  /** Notary root certificates root.json lists, PEM, by the fingerprint of their public key. */
  certificates: Map<string, string>;
  /** The signatures each written role carries, in file order (the bytes are rebuilt with them). */
  signatures: Partial<Record<MetadataRole, SignatureJson[]>>;
}

const ROLES: readonly MetadataRole[] = ['root', 'targets', 'snapshot', 'timestamp'];

/** Read back what the written files of a repository hold (`shown`: its folder, for messages). */
export function adoptWritten(files: ReadonlyMap<string, Uint8Array>, shown: string): AdoptedFiles {
  const adopted: AdoptedFiles = { certificates: new Map(), signatures: {} };
  for (const role of ROLES) {
    const name = files.has(`${role}.json`) ? `${role}.json` : `1.${role}.json`;
    const bytes = files.get(name);
    if (!bytes) continue;
    let md;
    try {
      md = parseMetadata(bytes, role, { maxBytes: DEFAULT_CAPS[role], source: `${shown}/${name}` });
    } catch (err) {
      if (!isCeremonyError(err)) throw err;
      throw new CeremonyError('CEREMONY_STATE_INVALID', `${shown}/${name}, written before the interruption, cannot be read back: ${err.message}`, { path: `${shown}/${name}`, cause: err });
    }
    adopted.signatures[role] = md.signatures.map((s) => ({ ...s }));
    if (role === 'root' && md.signed.type === 'root' && md.profile.name === 'notary') {
      const keys = md.signedJson.keys as JsonObject;
      for (const id of md.signed.roles.get('root')?.keyids ?? []) {
        const key = md.signed.keys.get(id);
        const pub = ((keys[id] as JsonObject | undefined)?.keyval as JsonObject | undefined)?.public;
        if (key?.key.certificate && typeof pub === 'string') adopted.certificates.set(key.key.fingerprint, Buffer.from(pub, 'base64').toString('utf8'));
      }
    }
  }
  return adopted;
}
