/**
 * `tuf-ceremony import` (verify, then install into a trust directory) and `tuf-ceremony bundle create`
 * (a trust bundle from a metadata directory). Thin: the format is src/bundle, the install
 * src/trust-store, the file system src/io.
 *
 * Every import that gets as far as reading its input as a repository leaves a session transcript in the
 * site's sessions folder (src/trust-store/import-session.ts, src/cli/import-session.ts): what was verified
 * against which pin, what was installed where, or the refusal and its code; the `--witness` names. `--json`
 * gives its path as `transcript`.
 *
 * `--inventory FILE` (one repository; issue #17 point 5): a key inventory (key-inventory.json) to record
 * the import in. Only the named file, only when given: read and checked before anything is installed
 * (INVENTORY_INVALID refuses the import, nothing installed); once the repository is verified, and still
 * before anything is installed, the updated inventory is checked against the limits it is read with
 * (INVENTORY_TOO_LARGE refuses the import, nothing installed); after the install it is replaced atomically
 * with the repository's roles as its installed root gives them — keys, key IDs, each role's expiry and the
 * Notary root certificates' notAfter. `--json` then adds `"inventory": path, "inventoryUpdated": true`. An
 * update that fails after the install still prints the install summary (`--json`: `ok: false`,
 * `inventoryUpdated: false` and `error`), with `error[CODE]: installed: …` first on stderr and exit 1.
 */
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { CeremonyError } from '../errors.js';
import { groupHex, type ShortDigest, groupWords } from '../crypto/digest-words.js';
import { BUNDLE_KINDS, looksLikeBundle } from '../bundle/format.js';
import { trustBundleForDirectory } from '../bundle/export.js';
import { readBundleFile, writeBundle } from '../io/bundle-file.js';
import { isDirectory, readFileCapped, readRepositoryDir } from '../io/files.js';
import { metadataDirOf, multiRepositoryNameOf } from '../io/ceremony-output.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { shownOrQuoted } from '../json/fields.js';
import { importRepository, type ImportResult, type ImportSource, type TrustLayout } from '../trust-store/install.js';
import { folderListingSha256, type ImportSessionStart } from '../trust-store/import-session.js';
import { checkSessionWitnesses } from '../audit/session.js';
import { sha256Hex } from '../crypto/digest.js';
import { parseMetadata } from '../tuf/metadata.js';
import type { ProfileName } from '../profiles/profile.js';
import { afterInstallErrors, cleanupFailedRecorded, inventoryNotUpdated, reportAfterInstall, recordImportSession, recordsRefusal, refusalRecorded } from './import-session.js';
import { describeRemovedLock, removeStaleImportLock } from '../trust-store/lock.js';
import { nodeLockFs } from '../io/lock-file.js';
import { InstalledCleanupFailed } from '../trust-store/installed-cleanup.js';
import { lockNotes } from './lock-notes.js';
import type { Io } from './output.js';
import { attestationLines } from '../attestation/repository.js';
import { attestationOptions, withAttestationFlags, type AttestationFlags } from './attestation-options.js';
import { bundleSetCommand, importSetCommand, looksLikeRepositorySet } from './import-set.js';
import { nextBundleDue } from '../status/expiry.js';
import { readRepositoryInput } from './repository-input.js';
import { checkInventoryUpdate, inventoryFullAdvice, readInventoryForUpdate, writeInventoryUpdate, type CheckedInventoryUpdate, type InventoryForUpdate } from '../io/inventory-file.js';
import { recordInstalledRepository } from '../trust-store/install-inventory.js';

export { readRepositoryInput };

/** The file names a repository directory would hold for `files` (src/bundle/export.ts, shared with the app's Export screen). */
export { repositoryFileNames } from '../bundle/export.js';

function hashLines(label: string, h: ShortDigest): string[] {
  return [`${label}: ${groupHex(h.hex)}`, `  words: ${groupWords(h.words)}`, `  sha256: ${h.sha256}`];
}

export interface ImportCommandOptions extends AttestationFlags {
  trustDir: string;
  root?: string;
  rootFingerprint?: string;
  gun?: string;
  layout?: string;
  json?: boolean;
  now?: Date;
  /** Remove the import lock first if it is provably stale (src/trust-store/lock.ts removeStaleImportLock), and say so. */
  removeStaleLock?: boolean;
  /** A trust-bundle-set: repository → pinned root SHA-256 (src/cli/import-set.ts). */
  pins?: string;
  /** Who watched the import (the optional witness line, issue #16): recorded in its session transcript. */
  witness?: string[];
  /** A key inventory to record what was installed in (read and checked first; replaced atomically after). */
  inventory?: string;
}

/**
 * The profile of what is imported, for its transcript: its newest root's, else the bundle's claim, else the
 * layout asked; none when nothing says (the import refuses it; no session to record).
 */
function profileOf(source: ImportSource, layout: string | undefined): ProfileName | undefined {
  const root = source.files.root ?? source.files.versionedRoots.get(Math.max(0, ...source.files.versionedRoots.keys()));
  if (root) {
    try {
      return parseMetadata(root, 'root', { maxBytes: DEFAULT_CAPS.root, source: 'root.json' }).profile.name;
    } catch {
      // refused by the import with the verifier's code
    }
  }
  if (source.bundle) return source.bundle.profile;
  return layout === 'notary' || layout === 'tuf' ? layout : undefined;
}

export async function importCommand(input: string, opts: ImportCommandOptions, io: Io): Promise<number> {
  if (opts.layout !== undefined && opts.layout !== 'notary' && opts.layout !== 'tuf') throw new CeremonyError('USAGE', '--layout must be notary or tuf');
  const witnesses = checkSessionWitnesses(opts.witness);
  // A trust bundle of many repositories: all or none (src/cli/import-set.ts).
  if (!(await isDirectory(input))) {
    const bytes = await readBundleFile(input);
    if (looksLikeBundle(bytes) && looksLikeRepositorySet(bytes)) {
      if (opts.root || opts.rootFingerprint || opts.gun || opts.layout) throw new CeremonyError('USAGE', 'a trust-bundle-set is pinned per repository with --pins FILE (or by what is installed); --root, --root-fingerprint, --gun and --layout are for one repository');
      // Fail closed: a set import does not check attestations.json yet, so a requirement is refused, never
      // silently dropped (import each repository alone to check its attestations).
      if (opts.requireAttestation || opts.pinPolicy !== undefined || opts.touchPolicy !== undefined || opts.plan !== undefined || opts.attestationRoots !== undefined) {
        throw new CeremonyError('USAGE', 'a trust-bundle-set import does not check attestations: --require-attestation, --pin-policy, --touch-policy, --plan and --attestation-roots are for one repository (import each repository alone to check its attestations.json)');
      }
      return importSetCommand(bytes, input, { trustDir: opts.trustDir, witnesses, ...(opts.pins ? { pins: opts.pins } : {}), ...(opts.inventory ? { inventory: opts.inventory } : {}), ...(opts.json ? { json: true } : {}), ...(opts.now ? { now: opts.now } : {}) }, io);
    }
  } else if (opts.pins) throw new CeremonyError('USAGE', '--pins is for a trust-bundle-set');
  const source = await readRepositoryInput(input, { bundleOnly: true });
  // Read and checked before anything is installed: an inventory this tool would not write refuses the import.
  const inventory = opts.inventory ? await readInventoryForUpdate(opts.inventory, { create: true, now: opts.now ?? new Date() }) : undefined;
  const trustedRoot = opts.root ? await readFileCapped(opts.root, DEFAULT_CAPS.root) : undefined;
  const trustDir = resolve(opts.trustDir);
  // The session transcript (src/trust-store/import-session.ts): from here on, the outcome is recorded.
  const profile = profileOf(source, opts.layout);
  const session: ImportSessionStart | undefined = profile && {
    profile,
    repository: source.bundle?.repository ?? opts.gun ?? source.source,
    source: source.bundle ? { name: source.source, sha256: source.bundle.hash.sha256, form: 'bundle' } : { name: source.source, sha256: folderListingSha256(source.files), form: 'folder' },
    ...(trustedRoot ? { pin: { name: basename(opts.root!), sha256: sha256Hex(trustedRoot) } } : {}),
    trustDir,
    witnesses,
    ...(opts.now ? { now: () => opts.now! } : {}),
  };
  const layout = (opts.layout ?? profile) as TrustLayout | undefined;
  // Leftovers of killed commands removed beside the import's or the inventory's lock: a `note:` line each.
  const notes = lockNotes(io);
  const now = opts.now ?? new Date();
  // The inventory as it will be once this repository is recorded in it, checked against the limits it is
  // read with before anything is installed (importRepository's beforeInstall, under the import lock): an
  // update that could not be written refuses the import, nothing installed (review 13a M1). Those exact
  // bytes are what is written after the install, if the file still holds what was read.
  let checkedInventory: CheckedInventoryUpdate | undefined;
  const recordInInventory = (inv: InventoryForUpdate, installed: ImportResult, after: string, advice?: string): CheckedInventoryUpdate => {
    const repository = installed.gun ?? source.bundle?.repository ?? opts.gun ?? source.source;
    recordInstalledRepository(inv.inventory, { repository, profile: installed.profile, files: source.files, rootSha256: installed.fileHashes['root.json'], now });
    return checkInventoryUpdate(inv, inv.inventory, after, advice);
  };
  const importOpts = {
    trustDir,
    ...(trustedRoot ? { trustedRoot } : {}),
    ...(opts.rootFingerprint ? { rootFingerprint: opts.rootFingerprint } : {}),
    ...(opts.gun ? { gun: opts.gun } : {}),
    ...(opts.layout ? { layout: opts.layout as TrustLayout } : {}),
    now,
    attestations: await attestationOptions(opts),
    onRemovedLockLeftover: notes.note,
    ...(inventory
      ? {
          beforeInstall: (verified: ImportResult) => {
            checkedInventory = recordInInventory(inventory, verified, '; nothing was installed', inventoryFullAdvice(inventory.path, 'import', 'this repository'));
          },
        }
      : {}),
  };
  let removedStaleLock: string | undefined;
  let result;
  // Installed, then a step after the swap's rename failed: reported as the install it is, with the failure.
  let cleanupFailed: InstalledCleanupFailed | undefined;
  try {
    try {
      result = await importRepository(source, importOpts);
    } catch (err) {
      // --remove-stale-lock: the refusal names the lock file (the layout decides where it is); it is
      // removed only if provably stale (else IMPORT_LOCK_NOT_STALE), then the import runs once more.
      if (!opts.removeStaleLock || !(err instanceof CeremonyError) || err.code !== 'IMPORT_LOCK_STALE' || !err.path) throw err;
      const removed = await removeStaleImportLock(err.path, nodeLockFs());
      if (removed) {
        removedStaleLock = describeRemovedLock(removed);
        if (!opts.json) io.out(removedStaleLock);
      }
      result = await importRepository(source, importOpts);
    }
  } catch (err) {
    if (err instanceof InstalledCleanupFailed && 'single' in err.installed) {
      result = err.installed.single;
      cleanupFailed = err;
    } else {
      // A refusal is recorded too (the audit trail); the trust folder is as it was (install.ts).
      if (!session || !layout || !recordsRefusal(err)) throw err;
      throw refusalRecorded(err, await recordImportSession(session, layout, { refused: err }));
    }
  }
  // Installed: the transcript records that first (review B2 M1), whatever happens to the inventory after.
  const record = session ? await recordImportSession(session, result.layout, { single: result, ...(cleanupFailed ? { cleanupFailed } : {}) }) : { warning: 'no session transcript was written' };
  let status = 0;
  // First on stderr: the swap's words (installed, what failed, what is left where) and where it is recorded.
  const cleanupFailure = cleanupFailed && cleanupFailedRecorded(cleanupFailed, record);
  if (cleanupFailure) status = reportAfterInstall(cleanupFailure, io);
  let inventoryFailure: CeremonyError | undefined;
  if (inventory) {
    // After the install: the inventory records what is installed, never runs ahead of it; replaced by rename.
    const repository = result.gun ?? source.bundle?.repository ?? opts.gun ?? source.source;
    try {
      const { brokeStaleLock } = await writeInventoryUpdate(inventory, checkedInventory ?? recordInInventory(inventory, result, ''), ` (import it again with --inventory to record it)`, { onRemovedLeftover: notes.note });
      // A lock a dead process left on this host was taken over (src/io/inventory-file.ts): said, never silent.
      if (brokeStaleLock) io.err(`note: ${brokeStaleLock}`);
    } catch (err) {
      // Exit 1 (README "Exit codes"): the message says the trust folder WAS updated, not refused.
      inventoryFailure = inventoryNotUpdated(err, `${result.profile} repository ${shownOrQuoted(repository)} into ${result.folder}`, record);
      status = reportAfterInstall(inventoryFailure, io);
    }
  }
  // What was installed is printed either way: an inventory that failed afterwards does not undo the install.
  const transcript = 'path' in record ? record.path : null;
  if (opts.json) {
    io.out(
      JSON.stringify(
        {
          ok: !inventoryFailure && !cleanupFailure,
          ...result.record,
          folder: result.folder,
          files: result.files,
          transcript,
          ...(opts.inventory ? { inventory: resolve(opts.inventory), inventoryUpdated: !inventoryFailure } : {}),
          ...afterInstallErrors(cleanupFailure, inventoryFailure),
          ...(result.attestations ? { attestations: result.attestations } : {}),
          ...(result.lockNotReleased ? { warning: result.lockNotReleased } : {}),
          ...('warning' in record ? { transcriptWarning: record.warning } : {}),
          ...(removedStaleLock ? { removedStaleLock } : {}),
          ...(notes.lines.length ? { removedLockLeftovers: notes.lines } : {}),
        },
        null,
        2,
      ),
    );
    return status;
  }
  const v = result.versions;
  // Names from the bundle are untrusted (a delegated role name may hold C1 or bidi characters; the TUF
  // name rule refuses only C0 and DEL): escaped before they reach the terminal.
  io.out(`imported: ${result.profile} repository${result.gun ? ` ${shownOrQuoted(result.gun)}` : ''} into ${result.folder}`);
  io.out(`  root v${v.root}${result.previous ? ` (was v${result.previous.root})` : ''}, targets v${v.targets ?? '?'}, snapshot v${v.snapshot ?? '?'}, timestamp v${v.timestamp ?? '?'}`);
  for (const [name, version] of Object.entries(v.delegated ?? {})) io.out(`  ${shownOrQuoted(name)} v${version}`);
  for (const u of result.notWritten ?? []) io.out(`  ${shownOrQuoted(u.role)}: written as ${shownOrQuoted(`${u.role}.json`)} only — python-tuf cannot store this role's file (${u.why})`);
  io.out(`  pinned by ${result.pinnedBy}; recorded in imports.log`);
  if (cleanupFailure) io.out('  installed, but a step after the swap failed: see the error on stderr (what failed, and what is left beside the folder)');
  if (opts.inventory) io.out(inventoryFailure ? `  NOT recorded in the key inventory ${resolve(opts.inventory)} (see the error on stderr)` : `  recorded in the key inventory ${resolve(opts.inventory)}`);
  if (result.attestations) for (const l of attestationLines({ present: true, keys: result.attestations })) io.out(`  ${l}`);
  const due = nextBundleDue(source.files, importOpts.now); // issue #14: when the site needs its next bundle
  if (due) io.out(`  next bundle due before ${due.expires} (${shownOrQuoted(due.role)} expires, ${due.daysLeft} day(s) from now); see tuf-ceremony status`);
  if (result.lockNotReleased) io.err(`warning: ${result.lockNotReleased}`);
  if (source.bundle) for (const l of hashLines('bundle', source.bundle.hash)) io.out(`  ${l}`);
  if (transcript) io.out(`  session transcript ${transcript} (hash-chained, unsealed: tuf-ceremony transcript verify ${transcript} --allow-unsealed)`);
  else if ('warning' in record) io.err(`warning: ${record.warning}`);
  return status;
}

export interface BundleCreateOptions {
  kind: string;
  out: string;
  gun?: string;
  name?: string;
  json?: boolean;
  now?: Date;
}

export async function bundleCreateCommand(dir: string, opts: BundleCreateOptions, io: Io): Promise<number> {
  if (!(BUNDLE_KINDS as readonly string[]).includes(opts.kind)) throw new CeremonyError('USAGE', `--kind must be one of ${BUNDLE_KINDS.join(', ')}`);
  if (opts.kind !== 'trust-bundle') throw new CeremonyError('USAGE', `bundle create makes trust bundles; ${opts.kind} bundles are made by the command that produces them`);
  const files = await readRepositoryDir((await metadataDirOf(dir)).dir);
  // Verified before anything is written (src/bundle/export.ts, shared with the app's Export screen): an
  // invalid repository is refused with the verifier's code.
  const prepared = trustBundleForDirectory(files, {
    now: opts.now ?? new Date(),
    // A repository folder of a multi-repository ceremony (OUT/metadata/<safe name>) is named after the
    // repository it holds, not its percent-encoded folder name (repository-names.ts).
    folderName: (await multiRepositoryNameOf(dir)) ?? basename(resolve(dir)),
    ...(opts.gun ? { gun: opts.gun } : {}),
    ...(opts.name ? { name: opts.name } : {}),
  });
  const { bytes } = prepared;
  const { profile, repository } = prepared.bundle;
  const hash = await writeBundle(opts.out, bytes);
  if (opts.json) io.out(JSON.stringify({ ok: true, out: opts.out, kind: opts.kind, profile, repository, bytes: bytes.length, sha256: hash.sha256, shortHash: hash.hex, words: hash.words }, null, 2));
  else {
    io.out(`wrote ${opts.out}: ${opts.kind}, ${profile} repository ${repository}, ${bytes.length} bytes`);
    for (const l of hashLines('short hash', hash)) io.out(l);
  }
  return 0;
}

export function registerImportCommands(program: Command, io: Io, done: (status: number) => void): void {
  const importCmd = program
    .command('import')
    .description('verify a trust bundle (or metadata directory) completely, then install it atomically into a trust directory')
    .argument('<BUNDLE_OR_DIR>', 'a trust bundle or a directory of TUF / Notary metadata')
    .requiredOption('--trust-dir <DIR>', 'the client trust directory (Notary / Docker: ~/.docker/trust; TUF: the client metadata folder)')
    .option('--root <TRUSTED_ROOT>', 'the root.json you trust (pinned)')
    .option('--root-fingerprint <HEX>', 'SHA-256 of the root.json you trust (it must be in the bundle or installed)')
    .option('--gun <GUN>', 'Notary: the repository (default: the bundle’s)')
    .option('--layout <LAYOUT>', 'notary or tuf (default: the repository’s profile)')
    .option('--json', 'machine-readable result (documented in the README)')
    .option('--pins <FILE>', 'a trust-bundle-set: JSON object, repository → SHA-256 of the root.json pinned for it')
    .option('--remove-stale-lock', 'first remove the import lock an interrupted import left (only if its process is gone), and say so')
    .option('--inventory <FILE>', 'a key inventory (key-inventory.json) to record the installed repository\'s keys, roles and expiries in')
    .option('--witness <NAME...>', 'who watched the import (names, recorded in its session transcript; optional, repeatable)');
  withAttestationFlags(importCmd).action(async (input: string, opts: ImportCommandOptions) => {
    done(await importCommand(input, opts, io));
  });

  const bundle = program
    .command('bundle')
    .description('bundles for the air gap')
    .action(() => {
      throw new CeremonyError('USAGE', 'bundle needs a command: create DIR --kind trust-bundle --out FILE');
    });
  bundle
    .command('set')
    .description('make a trust-bundle-set (many repositories, imported all or none) from single trust bundles, each verified first')
    .argument('<BUNDLE...>', 'trust bundles, one per repository, all of one profile')
    .requiredOption('--out <FILE>', 'the bundle file to write (must not exist)')
    .option('--name <NAME>', "the set's name, recorded in its manifest (default: \"N repositories\")")
    .option('--json', 'machine-readable result')
    .action(async (inputs: string[], opts: { out: string; name?: string; json?: boolean }) => {
      done(await bundleSetCommand(inputs, opts, io));
    });
  bundle
    .command('create')
    .description('make a trust bundle from a metadata directory (written atomically, never over a file, read back and checked)')
    .argument('<DIR>', 'a directory of TUF / Notary metadata')
    .requiredOption('--kind <KIND>', 'trust-bundle')
    .requiredOption('--out <FILE>', 'the bundle file to write (must not exist)')
    .option('--gun <GUN>', 'Notary: the repository (default: the one the root certificates name)')
    .option('--name <NAME>', 'TUF: the repository name to record (default: the directory name)')
    .option('--json', 'machine-readable result')
    .action(async (dir: string, opts: BundleCreateOptions) => {
      done(await bundleCreateCommand(dir, opts, io));
    });
}
