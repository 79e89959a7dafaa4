/**
 * `import SET --trust-dir DIR [--pins FILE]` for a trust-bundle-set (issue #17; format src/bundle/set.ts,
 * install src/trust-store/install-set.ts), and `bundle set BUNDLE… --out FILE [--name NAME]` that makes one
 * from single trust bundles.
 *
 * Pins file: a JSON object, repository → the SHA-256 (64 hex digits) of the root.json the site trusts for
 * it, e.g. `{"registry.example.com/org/app": "3f2a…"}` (capped at 4 MiB; strict: anything else is
 * SCHEMA_INVALID with the JSON path). A repository with no pin must already be installed (its installed
 * root is the pin); else the whole set is refused (IMPORT_PIN_NOT_FOUND).
 *
 * Output: the summary table (repository, root version and what it was, targets version, how it was
 * pinned). `--json`: `{ "ok": true, "set": true, "name", "profile", "layout", "folder", "bundle": { "sha256",
 * "shortHash", "words" }, "transcript", "transcriptWarning"?, "repositories": [{ "repository", "folder",
 * "pinnedBy", "previousRoot", "root", "targets", "snapshot", "timestamp" }] }`. Exit 0 installed; 1 refused
 * (nothing installed), or installed with a failure after it (the key inventory's update, or a step after
 * the swap's rename: IMPORT_INSTALLED_CLEANUP_FAILED, reported as the install with the error on stderr and
 * `ok: false`). Either way the session is recorded in the site's sessions folder
 * (src/trust-store/import-session.ts), with the witnesses `--witness` names.
 *
 * `--inventory FILE` (issue #17 point 5): a key inventory (key-inventory.json; created when absent) read and
 * checked before anything is installed (INVENTORY_INVALID refuses the set, nothing installed), and the
 * updated inventory checked against the limits it is read with once the whole set is verified, still before
 * anything is installed (INVENTORY_TOO_LARGE refuses the set, nothing installed). Once the
 * whole set is installed — and only then: a refused set leaves it byte-identical — it is updated once, by
 * temp+fsync+rename, with every installed repository's keys, roles, key IDs, expiries (root and the three
 * other top-level roles), Notary certificates' notAfter and the installed root's version and SHA-256
 * (src/ceremony/inventory-root.ts importedRepositoryRecord); written only if it still holds the bytes
 * read (INVENTORY_CHANGED otherwise, src/io/inventory-file.ts). `--json` adds `"inventory": path`.
 */
import { basename, resolve } from 'node:path';
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../errors.js';
import { groupHex, groupWords } from '../crypto/digest-words.js';
import { checkBundleForExport } from '../bundle/export.js';
import { decodeRepositorySet, encodeRepositorySet } from '../bundle/set.js';
import { readBundleFile, writeBundle } from '../io/bundle-file.js';
import { readFileCapped } from '../io/files.js';
import { shownOrQuoted } from '../json/fields.js';
import { importRepositorySet, type SetImportResult } from '../trust-store/install-set.js';
import { recordInstalledSet } from '../trust-store/install-inventory.js';
import { checkInventoryUpdate, inventoryFullAdvice, readInventoryForUpdate, writeInventoryUpdate, type CheckedInventoryUpdate, type InventoryForUpdate } from '../io/inventory-file.js';
import { parsePins, PINS_MAX_BYTES } from '../trust-store/pins-file.js';
import type { Io } from './output.js';
import { sha256Hex } from '../crypto/digest.js';
import type { ImportSessionStart } from '../trust-store/import-session.js';
import { InstalledCleanupFailed } from '../trust-store/installed-cleanup.js';
import { lockNotes } from './lock-notes.js';
import { afterInstallErrors, cleanupFailedRecorded, inventoryNotUpdated, reportAfterInstall, recordImportSession, recordsRefusal, refusalRecorded } from './import-session.js';

export { looksLikeRepositorySet } from '../bundle/set.js';

export async function importSetCommand(bytes: Uint8Array, input: string, opts: { trustDir: string; pins?: string; witnesses?: string[]; json?: boolean; now?: Date; inventory?: string }, io: Io): Promise<number> {
  const set = decodeRepositorySet(bytes, basename(input));
  const pinsBytes = opts.pins ? await readFileCapped(opts.pins, PINS_MAX_BYTES) : undefined;
  // Read and checked before anything is installed: an inventory this tool would not write refuses the set.
  const inventory = opts.inventory ? await readInventoryForUpdate(opts.inventory, { create: true, now: opts.now ?? new Date() }) : undefined;
  const trustDir = resolve(opts.trustDir);
  // The session transcript (src/trust-store/import-session.ts): the set, its pins file, the outcome.
  const session: ImportSessionStart = {
    profile: set.profile,
    repository: set.name,
    source: { name: basename(input), sha256: set.outer.hash.sha256, form: 'set' },
    ...(pinsBytes ? { pin: { name: basename(opts.pins!), sha256: sha256Hex(pinsBytes) } } : {}),
    trustDir,
    witnesses: opts.witnesses ?? [],
    ...(opts.now ? { now: () => opts.now! } : {}),
  };
  let result;
  // Installed, then a step after the swap's rename failed: reported as the install it is, with the failure.
  let cleanupFailed: InstalledCleanupFailed | undefined;
  // Leftovers of killed commands removed beside the import's or the inventory's lock: a `note:` line each.
  const notes = lockNotes(io);
  const now = opts.now ?? new Date();
  // As a single import (cli/import.ts): every repository recorded and the inventory checked against the
  // limits it is read with once the whole set is verified, before it is installed (importRepositorySet's
  // beforeInstall): an update that could not be written refuses the set, nothing installed (review 13a M1).
  let checkedInventory: CheckedInventoryUpdate | undefined;
  const recordInInventory = (inv: InventoryForUpdate, installed: SetImportResult, after: string, advice?: string): CheckedInventoryUpdate => {
    recordInstalledSet(inv.inventory, set, installed, now);
    return checkInventoryUpdate(inv, inv.inventory, after, advice);
  };
  try {
    const pins = pinsBytes ? parsePins(pinsBytes) : undefined;
    result = await importRepositorySet(set, {
      trustDir,
      ...(pins ? { pins } : {}),
      now,
      onRemovedLockLeftover: notes.note,
      ...(inventory
        ? {
            beforeInstall: (verified: SetImportResult) => {
              checkedInventory = recordInInventory(inventory, verified, '; nothing of the set was installed', inventoryFullAdvice(inventory.path, 'import', 'this set'));
            },
          }
        : {}),
    });
  } catch (err) {
    if (err instanceof InstalledCleanupFailed && 'set' in err.installed) {
      result = err.installed.set;
      cleanupFailed = err;
    } else {
      // A refusal is recorded too; nothing of the set was installed (install-set.ts).
      if (!recordsRefusal(err)) throw err;
      throw refusalRecorded(err, await recordImportSession(session, set.profile, { refused: err }));
    }
  }
  // Installed (the whole set): the transcript records that first (review B2 M1), whatever happens to the inventory after.
  const record = await recordImportSession(session, result.layout, { set: result, ...(cleanupFailed ? { cleanupFailed } : {}) });
  let status = 0;
  // First on stderr: the swap's words (installed, what failed, what is left where) and where it is recorded.
  const cleanupFailure = cleanupFailed && cleanupFailedRecorded(cleanupFailed, record);
  if (cleanupFailure) status = reportAfterInstall(cleanupFailure, io);
  let inventoryFailure: CeremonyError | undefined;
  if (inventory) {
    // After importRepositorySet returned (the whole set is installed): one update for every repository.
    try {
      const { brokeStaleLock } = await writeInventoryUpdate(inventory, checkedInventory ?? recordInInventory(inventory, result, ''), ` (import the set again with --inventory to record them)`, { onRemovedLeftover: notes.note });
      // A lock a dead process left on this host was taken over (src/io/inventory-file.ts): said, never silent.
      if (brokeStaleLock) io.err(`note: ${brokeStaleLock}`);
    } catch (err) {
      // Exit 1 (README "Exit codes"): the message says the trust folder WAS updated, not refused.
      inventoryFailure = inventoryNotUpdated(err, `${result.entries.length} ${result.profile} repositories of ${shownOrQuoted(set.name)} into ${result.folder}`, record);
      status = reportAfterInstall(inventoryFailure, io);
    }
  }
  // What was installed is printed either way: an inventory that failed afterwards does not undo the install.
  const transcript = 'path' in record ? record.path : null;
  const h = set.outer.hash;
  if (opts.json) {
    io.out(
      JSON.stringify(
        {
          ok: !inventoryFailure && !cleanupFailure,
          set: true,
          name: set.name,
          profile: result.profile,
          layout: result.layout,
          folder: result.folder,
          bundle: { sha256: h.sha256, shortHash: h.hex, words: h.words },
          transcript,
          ...(inventory ? { inventory: inventory.path, inventoryUpdated: !inventoryFailure } : {}),
          ...afterInstallErrors(cleanupFailure, inventoryFailure),
          ...('warning' in record ? { transcriptWarning: record.warning } : {}),
          ...(notes.lines.length ? { removedLockLeftovers: notes.lines } : {}),
          repositories: result.entries.map((e) => ({ repository: e.repository, folder: e.folder, pinnedBy: e.pinnedBy, previousRoot: e.previousRoot, root: e.versions.root, targets: e.versions.targets ?? null, snapshot: e.versions.snapshot ?? null, timestamp: e.versions.timestamp ?? null, ...(e.notWritten ? { notWritten: e.notWritten } : {}) })),
        },
        null,
        2,
      ),
    );
    return status;
  }
  io.out(`imported: ${result.entries.length} ${result.profile} repositories of ${shownOrQuoted(set.name)} into ${result.folder}, all at once`);
  const rows = result.entries.map((e) => [shownOrQuoted(e.repository), `v${e.versions.root}${e.previousRoot !== null ? ` (was v${e.previousRoot})` : ' (new)'}`, `v${e.versions.targets ?? '?'}`, e.pinnedBy]);
  const head = ['repository', 'root', 'targets', 'pinned by'];
  const widths = head.map((t, c) => Math.max(t.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string => r.map((t, c) => t.padEnd(widths[c]!)).join('  ').trimEnd();
  io.out(`  ${line(head)}`);
  for (const r of rows) io.out(`  ${line(r)}`);
  // As a single import says it (cli/import.ts): a delegated role stored under tuf-js's name only.
  for (const e of result.entries) {
    for (const u of e.notWritten ?? []) io.out(`  ${shownOrQuoted(e.repository)}: ${shownOrQuoted(u.role)} written as ${shownOrQuoted(`${u.role}.json`)} only — python-tuf cannot store this role's file (${u.why})`);
  }
  if (cleanupFailure) io.out('  installed, but a step after the swap failed: see the error on stderr (what failed, and what is left beside the folder)');
  if (inventory) io.out(inventoryFailure ? `  NOT recorded in the key inventory ${inventory.path} (see the error on stderr)` : `  recorded in the key inventory ${inventory.path} (${result.entries.length} repositories)`);
  io.out(`  set short hash: ${groupHex(h.hex)}`);
  io.out(`    words: ${groupWords(h.words)}`);
  if (transcript) io.out(`  session transcript ${transcript} (hash-chained, unsealed: tuf-ceremony transcript verify ${transcript} --allow-unsealed)`);
  else if ('warning' in record) io.err(`warning: ${record.warning}`);
  return status;
}

export async function bundleSetCommand(inputs: string[], opts: { out: string; name?: string; json?: boolean; now?: Date }, io: Io): Promise<number> {
  if (inputs.length === 0) throw new CeremonyError('USAGE', 'give at least one trust bundle');
  const now = opts.now ?? new Date();
  const bundles: Uint8Array[] = [];
  for (const path of inputs) {
    const bytes = await readBundleFile(path);
    try {
      // Each repository verified before it is carried on (as `export` checks a trust bundle).
      const prepared = checkBundleForExport(bytes, { now, source: basename(path) });
      if (prepared.bundle.kind !== 'trust-bundle') throw new CeremonyError('BUNDLE_KIND_UNEXPECTED', `${basename(path)} is a ${prepared.bundle.kind} bundle; a set carries trust bundles`, { path });
    } catch (err) {
      if (isCeremonyError(err) && !err.message.startsWith(basename(path))) throw new CeremonyError(err.code, `${basename(path)}: ${messageWithoutPath(err)}`, { path: err.path, cause: err });
      throw err;
    }
    bundles.push(bytes);
  }
  const bytes = encodeRepositorySet(bundles, { name: opts.name ?? `${bundles.length} repositories`, created: now });
  const hash = await writeBundle(opts.out, bytes);
  if (opts.json) io.out(JSON.stringify({ ok: true, out: opts.out, kind: 'trust-bundle-set', repositories: bundles.length, bytes: bytes.length, sha256: hash.sha256, shortHash: hash.hex, words: hash.words }, null, 2));
  else {
    io.out(`wrote ${opts.out}: trust-bundle-set of ${bundles.length} repositories, ${bytes.length} bytes`);
    io.out(`short hash: ${groupHex(hash.hex)}`);
    io.out(`  words: ${groupWords(hash.words)}`);
  }
  return 0;
}
