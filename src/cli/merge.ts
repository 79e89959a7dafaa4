/**
 * `tuf-ceremony merge REQUEST RESPONSE… --out RESULT [--partial] [--json]` (PRODUCT.md §2.4, §3): combine
 * signature responses, in any order, into the file the request is for — root.json N+1 (a rotation) or
 * targets.json N+1 (delegation changes, revocations).
 *
 * Each response is checked (src/rotation/merge.ts): for this request (ROTATION_RESPONSE_MISMATCH), by a
 * root key of the previous or new version (ROTATION_SIGNER_UNKNOWN), no key twice
 * (ROTATION_SIGNATURE_DUPLICATE), valid over the payload (ROTATION_SIGNATURE_INVALID) — any of these
 * refuses the whole merge (exit 1, nothing written). Then the status line is printed:
 * `2 of 2 old keys (of 3), 1 of 2 new keys (of 3); waiting for: Dave (new), Erin (new)`.
 *
 * - Both thresholds met: the new root — checked with verifyRootUpdate (TUF 5.3.4) like a client at the
 *   previous version would — is written to RESULT (never overwritten; OUTPUT_EXISTS is checked before
 *   anything else), exit 0.
 * - Targets requests: final when the root's targets role's threshold is met; targets.json N+1 is written
 *   ("wrote targets version N+1 to …").
 * - Not yet: without `--partial` it is a refusal — `error[ROOT_NOT_SIGNED_BY_PREVIOUS]` (or `…_BY_SELF`
 *   when only the new side is short; `THRESHOLD_NOT_MET` for a targets request: notFinalRefusal in
 *   src/rotation/merge.ts) with the status and the waiting-for list, exit 1; with `--partial` the
 *   status is printed and the exit is 0. Nothing is written either way (responses are the state: merge
 *   again when more come back).
 *
 * REQUEST may be a batch signing request (src/cli/batch.ts): the responses (batch responses, or single
 * responses to one of its repositories) merge per repository; when every repository is complete,
 * RESULT is a new folder holding `<repository>/root.json` (or targets.json) for each, written at once;
 * else THRESHOLD_NOT_MET with the per-repository status (`--partial`: exit 0, nothing written).
 * `--json`: `{ "ok", "batch": true, "batchId", "final", "status", "repositories": [{ profile, repository,
 * role, version, final, status, file }], "out" }`.
 *
 * REQUEST is the plain signing request or a `signing-request` bundle; each RESPONSE the plain signature
 * response or a `signature-response` bundle (src/rotation/bundle.ts: decoded and checked first — manifest,
 * kind, one document, the repository of the request). The merged root is written as plain root.json.
 *
 * `--json` prints `{ "ok": true, "role": "root"|"targets", "version", "final", "status", "requestId",
 * "previous": {threshold, signed, missing, verified}, "new": {…}, "waitingFor": [{keyid, name, side:
 * "old"|"new"|"both"}], "signers": [{name, keyids, token?}], "out": path | null }`; for a targets request
 * `"delegation": NAME` when the request was for a delegated role's own file, and
 * `"targets": {…}` in place of previous/new and `side: "targets"` (also for a partial merge with --partial;
 * without it the error object).
 *
 * A request that also revokes tags (a plan's `delegations.revokeTags`, src/rotation/revoke-tags.ts) makes
 * two files: targets.json N+1 (`--out`) and the delegated role's file N+1 (`--out-delegated FILE`,
 * required then). Both are written when both parts meet their thresholds, or neither; one part signed
 * without the other is `error[MERGE_HALF_SIGNED]` (with --partial: the status, nothing written). `--json`
 * then adds `"revokeTags": { "delegation", "version", "final", "status", "targets": {…}, "waitingFor",
 * "out" }`, and `final` / `status` / `waitingFor` above cover both parts.
 *
 * `--inventory FILE` (root requests; issue #17 point 5): a key inventory (key-inventory.json) to keep up to
 * date. It is read and checked before anything is merged (INVENTORY_INVALID refuses the merge, nothing
 * written), and the updated inventory is checked against the limits it is read with before root N+1 is
 * written (INVENTORY_TOO_LARGE refuses the merge, nothing written; so is a batch's, before its folder);
 * when root N+1 is written the inventory is replaced atomically (temp+fsync+rename) with the
 * repository's roles as root N+1 gives them (src/ceremony/inventory-root.ts): keys added recorded with their
 * roles, keys removed dropped, certificates' expiry updated. A partial or refused merge leaves it as it was.
 * Only the named file is touched — no inventory is looked for or created elsewhere. `--json` adds
 * `"inventory": path | null` (null: none given, or nothing written). The inventory records root N+1's
 * version and SHA-256 (what `keys` / `status` compare to tell a stale inventory), and is written only if
 * it still holds the bytes read (src/io/inventory-file.ts; else INVENTORY_CHANGED, checked once before
 * root N+1 is written and again before the inventory's rename: another writer's update is never lost).
 *
 * A batch request (`merge BATCH … --out DIR --inventory FILE`) updates the inventory once, after the
 * folder of merged files is written: every root request of the batch records its repository's roles as
 * its root N+1 gives them (targets requests change no inventory role; a batch of only targets requests
 * with --inventory is a usage error). A certificate request's merge writes a root signing request, not a
 * root: `--inventory` belongs to the merge of that request's responses, which records the renewed
 * certificates' notAfter with root N+1 (given to the certificate merge it is a usage error saying so).
 */
import { basename, resolve } from 'node:path';
import { lockNotes } from './lock-notes.js';
import type { Command } from 'commander';
import { CeremonyError } from '../errors.js';
import { assertAbsent, readFileCapped, writeFileAtomic, writeFileVerified } from '../io/files.js';
import { sessionTranscriptPath } from '../audit/session.js';
import { mergeSessionTranscript } from '../rotation/session-transcripts.js';
import { RESPONSE_BUNDLE_MAX_BYTES, mergeResponses, notFinalRefusal, readSignatureResponse, readSigningRequest, type SignatureResponse } from '../rotation/index.js';
import { isCeremonyError, messageWithoutPath } from '../errors.js';
import type { VerificationResult } from '../tuf/verify.js';
import { reportError, type Io } from './output.js';
import { mergeBatchCommand, readRequestOrBatch } from './batch.js';
import { CERTIFICATE_REQUEST_FORMAT, certificateDocumentFormatOf } from '../rotation/format.js';
import { recordRotatedRoot, rootInventoryRecord } from '../ceremony/inventory-root.js';
import { assertInventoryUnchanged, checkInventoryUpdate, inventoryFullAdvice, readInventoryForUpdate, writeInventoryUpdate, type InventoryForUpdate } from '../io/inventory-file.js';
import { sha256Hex } from '../crypto/digest.js';

export interface MergeOptions {
  out: string;
  /** A request with a revoke-tags part: where the role's file N+1 goes (written with --out's file, or neither). */
  outDelegated?: string;
  partial?: boolean;
  json?: boolean;
  /** A key inventory to update when root N+1 is written (read and checked first; replaced atomically). */
  inventory?: string;
  /** The inventory's `updated` time (tests); default now. */
  now?: Date;
}

function side(r: VerificationResult): { threshold: number; signed: string[]; missing: string[]; verified: boolean } {
  return { threshold: r.threshold, signed: r.signed, missing: r.missing, verified: r.verified };
}

export async function mergeCommand(requestPath: string, responsePaths: string[], opts: MergeOptions, io: Io): Promise<number> {
  const json = Boolean(opts.json);
  try {
    if (!opts.out) throw new CeremonyError('USAGE', '--out RESULT is required');
    if (responsePaths.length === 0) throw new CeremonyError('USAGE', 'give at least one signature response');
    const out = resolve(opts.out);
    const transcriptPath = sessionTranscriptPath(out);
    await assertAbsent([out, transcriptPath], ' (a merged file is never overwritten: choose another --out)');
    // A batch request merges per repository into a new folder (src/cli/batch.ts).
    const raw = await readRequestOrBatch(requestPath);
    if (opts.inventory && certificateDocumentFormatOf(raw.bytes) === CERTIFICATE_REQUEST_FORMAT) {
      throw new CeremonyError('USAGE', '--inventory is not for a certificate request: its merge writes a root signing request, not a root; give --inventory to the merge of that request\'s responses, which records the renewed certificates\' expiry with root N+1');
    }
    if (raw.batch) return await mergeBatchCommand(raw.batch, responsePaths, opts, io, { bytes: raw.bytes, name: basename(requestPath), transcriptPath });
    // A certificate request (issue #14): the certificates merge into root N+1's signing request.
    if (certificateDocumentFormatOf(raw.bytes) === CERTIFICATE_REQUEST_FORMAT) {
      const { mergeCertificatesCommand } = await import('./merge-certificates.js');
      return await mergeCertificatesCommand({ requestPath, requestBytes: raw.bytes, responsePaths, out, transcriptPath, partial: Boolean(opts.partial), json }, io);
    }
    const requestBytes = raw.bytes;
    const request = readSigningRequest(requestBytes, basename(requestPath)).request;
    // "Revoke these tags too" (src/rotation/revoke-tags.ts): two files, both named before anything is merged.
    if (request.revokeTags && !opts.outDelegated) throw new CeremonyError('USAGE', `this request also revokes tags of ${request.revokeTags.role}: give --out-delegated FILE for ${request.revokeTags.role}.json version ${request.revokeTags.next.version} (both files are written, or neither)`);
    if (!request.revokeTags && opts.outDelegated) throw new CeremonyError('USAGE', '--out-delegated is for a request that also revokes tags of a delegated role; this one does not');
    if (opts.inventory && request.role !== 'root') throw new CeremonyError('USAGE', '--inventory is for a root rotation: a targets request changes no key of the inventory\'s roles');
    const inventoryPath = opts.inventory ? resolve(opts.inventory) : undefined;
    if (inventoryPath === out) throw new CeremonyError('USAGE', '--out and --inventory name the same file');
    // Read and checked before any response: an inventory this tool would not write refuses the merge.
    const inventory: InventoryForUpdate | undefined = inventoryPath ? await readInventoryForUpdate(inventoryPath, { now: opts.now ?? new Date() }) : undefined;
    const outDelegated = opts.outDelegated ? resolve(opts.outDelegated) : undefined;
    if (outDelegated === out) throw new CeremonyError('USAGE', '--out and --out-delegated name the same file');
    if (outDelegated) await assertAbsent([outDelegated], ' (a merged file is never overwritten: choose another --out-delegated)');
    const responses: SignatureResponse[] = [];
    const responseFiles: { name: string; bytes: Uint8Array }[] = [];
    for (const path of responsePaths) {
      try {
        const bytes = await readFileCapped(path, RESPONSE_BUNDLE_MAX_BYTES);
        responseFiles.push({ name: basename(path), bytes });
        responses.push(readSignatureResponse(bytes, basename(path), request).response);
      } catch (err) {
        // The path kept (--json `error.path`), and said once: the new error appends it.
        if (isCeremonyError(err)) throw new CeremonyError(err.code, `${basename(path)}: ${messageWithoutPath(err)}`, { ...(err.path ? { path: err.path } : {}), cause: err });
        throw err;
      }
    }
    const result = mergeResponses(request, responses);
    // The request's role decides the words: root N+1 has two sides (old and new keys), targets.json N+1
    // one (the root's targets role: previous and new are the same result, so it is reported once).
    const sides = result.role === 'targets' ? { targets: side(result.new) } : { previous: side(result.previous), new: side(result.new) };
    // Leftovers of killed commands removed beside the inventory's lock: a `note:` line each (lock-notes.ts).
    const notes = lockNotes(io);
    const report = {
      ok: true,
      role: result.role,
      ...(result.delegation ? { delegation: result.delegation } : {}),
      version: result.version,
      final: result.final,
      status: result.status,
      requestId: result.requestId,
      ...sides,
      waitingFor: result.role === 'targets' ? result.waitingFor.map((w) => ({ ...w, side: 'targets' })) : result.waitingFor,
      signers: result.signers,
      out: result.final ? out : null,
      inventory: result.final && inventoryPath ? inventoryPath : null,
      transcript: result.final ? transcriptPath : null,
      ...(result.revokeTags
        ? {
            revokeTags: {
              delegation: result.revokeTags.delegation,
              version: result.revokeTags.version,
              final: result.revokeTags.final,
              status: result.revokeTags.status,
              targets: side(result.revokeTags.new),
              waitingFor: result.revokeTags.waitingFor.map((w) => ({ ...w, side: 'targets' })),
              out: result.final ? outDelegated : null,
            },
          }
        : {}),
    };
    if (!result.final && !opts.partial) throw notFinalRefusal(result, ' (merge with --partial to accept a partial result)');
    if (result.final) {
      const bytes = result.bytes!;
      // The inventory's roles as root N+1 gives them (src/ceremony/inventory-root.ts), in memory only.
      const rotatedInventory = (inv: InventoryForUpdate) => {
        const names = new Map(request.expectedSigners.map((s) => [s.keyid, s.name] as const));
        recordRotatedRoot(inv.inventory, rootInventoryRecord(request.repository, request.profile, request.root, '', sha256Hex(bytes)), opts.now ?? new Date(), names);
        return inv.inventory;
      };
      // The merge session's transcript (src/audit/session.ts): no signing key is at hand here, so it is
      // hash-chained but unsealed; the merged file proves itself by its signatures.
      const transcript = await mergeSessionTranscript({
        request,
        requestFile: { name: basename(requestPath), bytes: requestBytes },
        responseFiles,
        digests: [
          { label: `${result.role}.json v${result.version}, the bytes signed`, sha256: request.payloadSha256 },
          ...(request.revokeTags ? [{ label: `${request.revokeTags.role}.json v${result.revokeTags!.version} (tags revoked), the bytes signed`, sha256: request.revokeTags.payloadSha256 }] : []),
        ],
        outputs: [{ name: basename(out), bytes }, ...(outDelegated ? [{ name: basename(outDelegated), bytes: result.revokeTags!.bytes! }] : [])],
        status: result.status,
        outcome: `${result.delegation ?? result.role}.json v${result.version} written: ${basename(out)}${outDelegated ? ` and ${basename(outDelegated)}` : ''}`,
      });
      // The inventory as root N+1 leaves it, checked against the limits it is read with before root N+1 is
      // written: an update that could not be written refuses the merge, nothing written (review 13a M1).
      // The inventory follows what was written, never runs ahead of it: these bytes are written after.
      const checked = inventory && checkInventoryUpdate(inventory, rotatedInventory(inventory), '; nothing was written', inventoryFullAdvice(inventory.path, 'merge', request.repository));
      // Another writer's inventory update since it was read: refused before root N+1 is written.
      if (inventory) await assertInventoryUnchanged(inventory, '; nothing was written');
      // The role's file first: a crash between the two leaves no targets.json that re-keys without it.
      if (outDelegated) await writeFileVerified(outDelegated, result.revokeTags!.bytes!);
      await writeFileVerified(out, bytes);
      await writeFileAtomic(transcriptPath, transcript);
      if (inventory && checked) {
        // After root N+1: the whole file is replaced by rename, so a reader sees the old inventory or the
        // new one, never half of either.
        const { brokeStaleLock } = await writeInventoryUpdate(inventory, checked, ` (root version ${result.version} was written to ${out}; the inventory is stale for ${request.repository} until updated)`, { onRemovedLeftover: notes.note });
        // A lock a dead process left on this host was taken over (src/io/inventory-file.ts): said, never silent.
        if (brokeStaleLock) io.err(`note: ${brokeStaleLock}`);
      }
    }
    if (json) io.out(JSON.stringify(notes.lines.length ? { ...report, removedLockLeftovers: notes.lines } : report, null, 2));
    else {
      io.out(result.status);
      io.out(result.final ? `wrote ${result.delegation ?? result.role} version ${result.version} to ${out}` : 'partial: nothing written; merge again with more responses');
      if (result.final && result.revokeTags) io.out(`wrote ${result.revokeTags.delegation} version ${result.revokeTags.version} (tags revoked) to ${outDelegated}: publish both files together`);
      if (result.final && inventoryPath) io.out(`updated key inventory ${inventoryPath} (${request.repository}: roles as root version ${result.version} gives them)`);
      if (result.final) io.out(`session transcript ${transcriptPath} (hash-chained, unsealed: tuf-ceremony transcript verify ${transcriptPath} --allow-unsealed)`);
    }
    return 0;
  } catch (err) {
    return reportError(io, err, json);
  }
}

export function registerMergeCommand(program: Command, io: Io, done: (status: number) => void): void {
  program
    .command('merge')
    .description('merge signature responses (any order) into the new root (or targets.json) once every threshold is met; certificate responses into the renewed root\'s signing request')
    .argument('<REQUEST>', 'the signing request (JSON document or signing-request bundle)')
    .argument('<RESPONSE...>', 'signature responses (JSON documents or signature-response bundles)')
    .requiredOption('--out <RESULT>', 'where to write the new root.json (targets.json for a targets request) when final (never overwritten)')
    .option('--out-delegated <FILE>', "a request that also revokes tags: where the delegated role's new file goes (written with --out's, or neither)")
    .option('--inventory <FILE>', 'root requests: a key inventory (key-inventory.json) to update with the new root\'s keys and roles when it is written')
    .option('--partial', 'a partial result is not an error: print the status, write nothing, exit 0')
    .option('--json', 'machine-readable result')
    .action(async (request: string, responses: string[], opts: MergeOptions) => {
      done(await mergeCommand(request, responses, opts, io));
    });
}
