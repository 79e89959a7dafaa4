/**
 * Batch signing requests on the command line (issue #17; format and checks: src/rotation/batch.ts).
 *
 *   tuf-ceremony batch REQUEST… --out BATCH [--json]
 *       one batch request from single signing requests (plain documents or signing-request bundles, as
 *       `rotate` writes them), each parsed and checked as `sign` checks it; the batch review (the change
 *       said once, the exceptions, the one batch hash as hex and words) is printed.
 *       `--json`: `{ "ok": true, "out", "batchId", "shortHash", "words", "repositories": n,
 *       "summary": { "change": [...], "repositories": [...] }, "exceptions": [{ "change", "repositories" }] }`.
 *
 * `sign BATCH --out RESPONSE` (src/cli/sign.ts) signs every repository of a batch the key is a signer
 * of, with one PIN, after printing the batch review; `--expect-hash` compares the batch hash. `merge
 * BATCH RESPONSE… --out DIR` merges per repository and writes `DIR/<repository>/root.json` (or
 * targets.json) for each, all at once (the folder appears complete or not at all), only when every
 * repository is complete (else the per-repository status; `--partial` exits 0 and writes nothing).
 */
import { basename, resolve } from 'node:path';
import { lockNotes } from './lock-notes.js';
import type { Command } from 'commander';
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../errors.js';
import { groupHex, groupWords } from '../crypto/digest-words.js';
import { assertAbsent, readFileCapped, writeFileAtomic, writeFileVerified } from '../io/files.js';
import { SessionTranscript, sessionNote } from '../audit/session.js';
import { MAX_FILES } from '../audit/schema.js';
import type { WhileBatchSigned } from '../rotation/batch-sign.js';
import { writeNewFolder } from '../io/files-under.js';
import {
  BATCH_REQUEST_MAX_BYTES,
  BATCH_RESPONSE_MAX_BYTES,
  REQUEST_BUNDLE_MAX_BYTES,
  RESPONSE_BUNDLE_MAX_BYTES,
  batchFormatOf,
  buildBatchRequest,
  describeBatch,
  mergeBatch,
  parseBatchRequest,
  parseBatchResponse,
  readSignatureResponse,
  readSigningRequest,
  serializeBatchRequest,
  serializeBatchResponse,
  signBatchOnToken,
  signBatchWithShareCards,
  type BatchDescription,
  type BatchRequest,
  type BatchResponse,
  type SignatureResponse,
  type SigningRequest,
} from '../rotation/index.js';
import { SHARE_CARD_MAX_BYTES, parseShareCard, wipeShareCard, type ShareCard } from '../shamir/index.js';
import { describeToken } from '../signers/pkcs11/errors.js';
import type { TokenModule } from '../signers/pkcs11/token.js';
import { chosenToken } from '../signers/token-keys.js';
import { reportError, type Io } from './output.js';
import { recordRotatedRoots, rootInventoryRecord } from '../ceremony/inventory-root.js';
import { assertInventoryUnchanged, checkInventoryUpdate, inventoryFullAdvice, readInventoryForUpdate, writeInventoryUpdate, type CheckedInventoryUpdate } from '../io/inventory-file.js';
import { sha256Hex } from '../crypto/digest.js';
import type { SignDeps, SignOptions } from './sign.js';

/** A request file's bytes, read under the batch cap; a single request keeps its own cap (INPUT_TOO_LARGE). */
export async function readRequestOrBatch(path: string): Promise<{ batch?: BatchRequest; bytes: Uint8Array }> {
  const bytes = await readFileCapped(path, BATCH_REQUEST_MAX_BYTES);
  if (batchFormatOf(bytes) === 'tuf-ceremony-batch-signing-request') return { batch: parseBatchRequest(bytes, basename(path)), bytes };
  if (bytes.length > REQUEST_BUNDLE_MAX_BYTES) throw new CeremonyError('INPUT_TOO_LARGE', `${basename(path)} is ${bytes.length} bytes, over the cap of ${REQUEST_BUNDLE_MAX_BYTES}`, { path });
  return { bytes };
}

/** A batch, as a session transcript's header names it (its repositories are named in the entries). */
function batchName(batch: BatchRequest): string {
  return `batch of ${batch.requests.length} repositor${batch.requests.length === 1 ? 'y' : 'ies'}`;
}

/** A merged file's name in the transcript (255 characters at most: a long repository name keeps its end). */
function mergedName(repository: string, role: string): string {
  const name = `${repository}/${role}.json`;
  return name.length <= 255 ? name : `…${name.slice(name.length - 254)}`;
}

function reviewJson(d: BatchDescription): Record<string, unknown> {
  return { summary: d.summary, exceptions: d.exceptions, lines: d.lines, digest: d.digest };
}

/** `sign` of a batch: review, optional hash check, one unlock, every repository the key signs. */
export async function signBatchCommand(
  batch: BatchRequest,
  out: string,
  opts: SignOptions,
  io: Io,
  deps: SignDeps,
  helpers: {
    say: (s: string) => void;
    checkExpectedHash: (expect: string, digest: { sha256: string; hex: string }) => void;
    pinSource: typeof import('./sign.js').pinSource;
    moduleDepsFor: typeof import('./sign.js').moduleDepsFor;
    loadedHere: TokenModule[];
    /** The batch file as read (its SHA-256 heads the transcript) and its name. */
    requestBytes: Uint8Array;
    requestName: string;
    /** `RESPONSE.transcript.jsonl` (checked absent by the caller). */
    transcriptPath: string;
  },
): Promise<number> {
  const { say } = helpers;
  const first = describeBatch(batch, { full: opts.full === true, fullFlag: '--full' });
  for (const line of first.lines) say(line);
  if (opts.expectHash !== undefined) helpers.checkExpectedHash(opts.expectHash, { sha256: batch.batchId, hex: batch.digest.hex });

  // The co-signer's session transcript, as for a single request (sign.ts): the batch reviewed, each
  // repository signed, the response written; sealed by the signing key while it is at hand.
  const session = await SessionTranscript.start({ kind: 'co-sign', profile: batch.requests[0]!.profile, repository: batchName(batch), reviewed: helpers.requestBytes, rehearsal: false });
  const signerName = opts.name ?? 'co-signer';
  await session.append({
    step: 'request.review',
    actor: { name: signerName, role: 'co-signer' },
    digests: [{ label: `the batch hash (${batchName(batch)}), the bytes reviewed`, sha256: batch.batchId }],
    inputs: [{ name: helpers.requestName, bytes: helpers.requestBytes }],
    note: opts.expectHash !== undefined ? 'the batch short hash read out by the administrator was given and matched' : 'reviewed on screen; no expected hash was given to compare',
  });
  let written: Uint8Array | undefined;
  let sealKeyId = '';
  const whileSigned: WhileBatchSigned = async (key, signed) => {
    written = serializeBatchResponse(signed.response);
    for (const [n, i] of signed.plan.signs.entries()) {
      const request = batch.requests[i]!;
      const r = signed.response.responses[n]!;
      await session.append({
        step: 'co-sign',
        actor: { name: r.signer.name, role: 'co-signer' },
        ...(r.signer.token ? { token: { ...r.signer.token, keyId: r.signatures[0]!.keyid } } : {}),
        digests: [{ label: `${request.role === 'root' ? 'root' : 'targets'} payload, the bytes to sign`, sha256: request.payloadSha256 }],
        note: sessionNote(`${request.profile} repository ${request.repository}: ${r.signatures.length} signature${r.signatures.length === 1 ? '' : 's'} made and verified`, `${r.signatures.length} signature(s) made and verified`),
      });
    }
    await session.append({
      step: 'co-sign.response',
      actor: { name: signerName, role: 'co-signer' },
      outputs: [{ name: basename(out), bytes: written }],
      note: `signatures for ${signed.plan.signs.length} of ${batch.requests.length} repositories${signed.plan.skips.length ? `; nothing to sign in ${signed.plan.skips.length}` : ''}`,
    });
    sealKeyId = await session.seal(key);
  };
  let response: BatchResponse;
  let signs: number;
  let skips: number[];
  if (opts.shareCard && opts.shareCard.length > 0) {
    const cards: ShareCard[] = [];
    try {
      for (const path of opts.shareCard) {
        const bytes = await readFileCapped(path, SHARE_CARD_MAX_BYTES);
        try {
          cards.push(parseShareCard(bytes, { source: basename(path) }));
        } finally {
          bytes.fill(0);
        }
      }
      const signed = await signBatchWithShareCards(batch, cards, { name: opts.name, whileSigned });
      response = signed.response;
      signs = signed.plan.signs.length;
      skips = signed.plan.skips;
    } finally {
      cards.forEach(wipeShareCard);
    }
    say('signed with the key rebuilt from the share cards; the rebuilt key was wiped from memory');
  } else {
    const signed = await signBatchOnToken(
      batch,
      { module: opts.module!, moduleParams: opts.moduleParams, token: chosenToken(opts.token, opts.tokenLabel), label: opts.label!, pin: helpers.pinSource(opts.pinEnv, deps), name: opts.name, whileSigned },
      helpers.moduleDepsFor(deps, helpers.loadedHere),
    );
    response = signed.response;
    signs = signed.plan.signs.length;
    skips = signed.plan.skips;
    say(`signed with key "${opts.label}" on ${describeToken(signed.token)}${signed.rehearsal ? ' — REHEARSAL token' : ''}`);
  }
  const bytes = written ?? serializeBatchResponse(response);
  await writeFileVerified(out, bytes);
  // What was written must read back as the response made.
  if (parseBatchResponse(bytes).responses.length !== response.responses.length) throw new CeremonyError('INTERNAL', `${basename(out)} does not read back as the response written`);
  const skipped = skips.map((i) => batch.requests[i]!.repository);
  say(`wrote ${out}: signatures for ${signs} of ${batch.requests.length} repositories${skipped.length ? ` (nothing to sign in ${skipped.length})` : ''}`);
  await writeFileAtomic(helpers.transcriptPath, session.bytes());
  say(`session transcript ${helpers.transcriptPath}, sealed by the signing key: tuf-ceremony transcript verify ${helpers.transcriptPath} --seal-key ${sealKeyId}`);
  if (opts.json) {
    io.out(
      JSON.stringify(
        { ok: true, out, transcript: helpers.transcriptPath, sealKeyId, form: 'batch-response', batchId: batch.batchId, repositories: batch.requests.length, signed: signs, skipped, signer: response.responses[0]?.signer, review: reviewJson(first) },
        null,
        2,
      ),
    );
  }
  return 0;
}

/** `merge` of a batch: per repository, written all at once into a new folder when every one is complete. */
export async function mergeBatchCommand(
  batch: BatchRequest,
  responsePaths: string[],
  opts: { out: string; partial?: boolean; json?: boolean; inventory?: string; now?: Date },
  io: Io,
  request: { bytes: Uint8Array; name: string; transcriptPath: string },
): Promise<number> {
  const out = resolve(opts.out);
  await assertAbsent([out, request.transcriptPath], ' (a merged batch is never written over an existing folder: choose another --out)');
  // The key inventory (merge.ts): read and checked before any response; updated once, after the folder.
  const inventoryPath = opts.inventory ? resolve(opts.inventory) : undefined;
  if (inventoryPath && !batch.requests.some((r) => r.role === 'root')) throw new CeremonyError('USAGE', '--inventory is for root rotations: every request of this batch is a targets request, which changes no key of the inventory\'s roles');
  if (inventoryPath && (inventoryPath === out || inventoryPath.startsWith(`${out}/`))) throw new CeremonyError('USAGE', '--inventory must not be inside --out (the merged folder is new)');
  const inventory = inventoryPath ? await readInventoryForUpdate(inventoryPath, { now: opts.now ?? new Date() }) : undefined;
  const answers: (BatchResponse | SignatureResponse)[] = [];
  const responseFiles: { name: string; bytes: Uint8Array }[] = [];
  for (const path of responsePaths) {
    try {
      const bytes = await readFileCapped(path, BATCH_RESPONSE_MAX_BYTES);
      responseFiles.push({ name: basename(path), bytes });
      if (batchFormatOf(bytes) === 'tuf-ceremony-batch-signature-response') answers.push(parseBatchResponse(bytes));
      else {
        if (bytes.length > RESPONSE_BUNDLE_MAX_BYTES) throw new CeremonyError('INPUT_TOO_LARGE', `${basename(path)} is ${bytes.length} bytes, over the cap of ${RESPONSE_BUNDLE_MAX_BYTES}`, { path });
        answers.push(readSignatureResponse(bytes, basename(path)).response);
      }
    } catch (err) {
      if (isCeremonyError(err)) throw new CeremonyError(err.code, `${basename(path)}: ${messageWithoutPath(err)}`, { path: err.path, cause: err });
      throw err;
    }
  }
  const result = mergeBatch(batch, answers);
  // Leftovers of killed commands removed beside the inventory's lock: a `note:` line each (lock-notes.ts).
  const notes = lockNotes(io);
  const report = {
    ok: true,
    batch: true,
    batchId: result.batchId,
    final: result.final,
    status: result.status,
    repositories: result.entries.map((e) => ({ profile: e.profile, repository: e.repository, role: e.result.role, version: e.result.version, final: e.result.final, status: e.result.status, file: e.result.final ? `${e.repository}/${e.result.role}.json` : null })),
    out: result.final ? out : null,
    transcript: result.final ? request.transcriptPath : null,
    inventory: result.final && inventory ? inventory.path : null,
  };
  if (!result.final && !opts.partial) throw new CeremonyError('THRESHOLD_NOT_MET', `the batch is not complete: ${result.status} (merge with --partial to accept a partial result)`, { path: '$.responses' });
  if (result.final) {
    // The merge session's transcript, as for a single request (merge.ts): hash-chained, unsealed (no key
    // here; each merged file proves itself by its signatures), beside the folder: DIR.transcript.jsonl.
    const session = await SessionTranscript.start({ kind: 'merge', profile: batch.requests[0]!.profile, repository: batchName(batch), reviewed: request.bytes, rehearsal: false });
    const inputs = [{ name: request.name, bytes: request.bytes }, ...responseFiles];
    for (let at = 0; at < inputs.length; at += MAX_FILES) {
      await session.append({
        step: at === 0 ? 'merge.inputs' : 'merge.inputs.more',
        actor: { name: 'administrator', role: 'administrator' },
        ...(at === 0 ? { digests: [{ label: `batch hash of ${batchName(batch)}`, sha256: batch.batchId }] } : {}),
        inputs: inputs.slice(at, at + MAX_FILES),
        note: at === 0 ? `the batch request and ${responseFiles.length} response file${responseFiles.length === 1 ? '' : 's'}` : 'more response files',
      });
    }
    for (const [i, e] of result.entries.entries()) {
      await session.append({
        step: 'merge',
        actor: { name: 'administrator', role: 'administrator' },
        digests: [{ label: `${e.result.role}.json v${e.result.version}, the bytes signed`, sha256: batch.requests[i]!.payloadSha256 }],
        outputs: [{ name: mergedName(e.repository, e.result.role), bytes: e.result.bytes! }],
        note: sessionNote(`${e.profile} repository ${e.repository}: ${e.result.status}`, e.result.status),
      });
    }
    await session.end(`${result.entries.length} files written under ${basename(out)}`);
    // Each root N+1 replaces what the inventory said of its repository, all in one pass over the inventory
    // (review 13a L1: one per repository was quadratic) — in memory, checked against the limits it is read
    // with before the folder is written: an update that could not be written refuses the merge, nothing
    // written (review 13a M1). Written after the folder (merge.ts): it never runs ahead of the roots.
    let checked: CheckedInventoryUpdate | undefined;
    if (inventory) {
      const roots = result.entries.flatMap((e, i) => {
        const req = batch.requests[i]!;
        if (req.role !== 'root') return [];
        const names = new Map(req.expectedSigners.map((s) => [s.keyid, s.name] as const));
        return [{ rec: rootInventoryRecord(req.repository, req.profile, req.root, mergedName(e.repository, 'root'), sha256Hex(e.result.bytes!)), names }];
      });
      recordRotatedRoots(inventory.inventory, roots, opts.now ?? new Date());
      checked = checkInventoryUpdate(inventory, inventory.inventory, '; nothing was written', inventoryFullAdvice(inventory.path, 'merge', `the batch's ${roots.length} repositories`));
      await assertInventoryUnchanged(inventory, '; nothing was written');
    }
    await writeNewFolder(out, new Map(result.entries.map((e) => [`${e.repository}/${e.result.role}.json`, e.result.bytes!])));
    await writeFileAtomic(request.transcriptPath, session.bytes());
    if (inventory && checked) {
      const { brokeStaleLock } = await writeInventoryUpdate(inventory, checked, ` (the merged roots were written under ${out}; the inventory is stale for them until updated)`, { onRemovedLeftover: notes.note });
      // A lock a dead process left on this host was taken over (src/io/inventory-file.ts): said, never silent.
      if (brokeStaleLock) io.err(`note: ${brokeStaleLock}`);
    }
  }
  if (opts.json) io.out(JSON.stringify(notes.lines.length ? { ...report, removedLockLeftovers: notes.lines } : report, null, 2));
  else {
    io.out(result.status);
    io.out(result.final ? `wrote ${result.entries.length} files under ${out} (<repository>/root.json or targets.json)` : 'partial: nothing written; merge again with more responses');
    if (result.final && inventory) io.out(`updated key inventory ${inventory.path} (${batch.requests.filter((r) => r.role === 'root').length} repositories: roles as their new roots give them)`);
    if (result.final) io.out(`session transcript ${request.transcriptPath} (hash-chained, unsealed: tuf-ceremony transcript verify ${request.transcriptPath} --allow-unsealed)`);
  }
  return 0;
}

export interface BatchCommandOptions {
  out: string;
  json?: boolean;
  /** Name every repository in the review printed (describeBatch). */
  full?: boolean;
}

export async function batchCommand(requestPaths: string[], opts: BatchCommandOptions, io: Io): Promise<number> {
  const json = Boolean(opts.json);
  try {
    if (!opts.out) throw new CeremonyError('USAGE', '--out BATCH is required');
    if (requestPaths.length === 0) throw new CeremonyError('USAGE', 'give at least one signing request');
    const out = resolve(opts.out);
    await assertAbsent([out], ' (a batch is never overwritten: choose another --out)');
    const requests: SigningRequest[] = [];
    for (const path of requestPaths) {
      try {
        requests.push(readSigningRequest(await readFileCapped(path, REQUEST_BUNDLE_MAX_BYTES), basename(path)).request);
      } catch (err) {
        if (isCeremonyError(err)) throw new CeremonyError(err.code, `${basename(path)}: ${messageWithoutPath(err)}`, { path: err.path, cause: err });
        throw err;
      }
    }
    const batch = buildBatchRequest(requests);
    const bytes = serializeBatchRequest(batch);
    await writeFileVerified(out, bytes);
    const back = parseBatchRequest(bytes, basename(out));
    if (back.batchId !== batch.batchId) throw new CeremonyError('INTERNAL', `${basename(out)} does not read back as the batch written`);
    const review = describeBatch(back, { full: opts.full === true, fullFlag: '--full' });
    if (json) {
      io.out(JSON.stringify({ ok: true, out, batchId: batch.batchId, shortHash: batch.digest.hex, words: batch.digest.words, repositories: requests.length, summary: review.summary, exceptions: review.exceptions }, null, 2));
    } else {
      for (const line of review.lines) io.out(line);
      io.out(`wrote ${out}: batch of ${requests.length} signing requests; short hash ${groupHex(batch.digest.hex)} (${groupWords(batch.digest.words)})`);
    }
    return 0;
  } catch (err) {
    return reportError(io, err, json);
  }
}

export function registerBatchCommand(program: Command, io: Io, done: (status: number) => void): void {
  program
    .command('batch')
    .description('one batch signing request from the signing requests of many repositories (one review, one hash, one PIN per co-signer)')
    .argument('<REQUEST...>', 'signing requests (JSON documents or signing-request bundles)')
    .requiredOption('--out <BATCH>', 'where to write the batch request (never overwritten)')
    .option('--full', 'name every repository in the review (else the first 20 and a count per folder)')
    .option('--json', 'machine-readable result')
    .action(async (requests: string[], opts: BatchCommandOptions) => {
      done(await batchCommand(requests, opts, io));
    });
}
