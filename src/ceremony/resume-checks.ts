/**
 * What a resumed root ceremony checks before it believes its own earlier files (review 15e). The output
 * folder may have been edited between sessions — by an attacker or a careless custodian — so nothing the
 * state or the transcript says is used until it is tied to something the editor cannot rewrite:
 *
 * - the transcript is bound to the state (H2): the state records the transcript's entry count and last
 *   hash at every save, and a transcript that is shorter, or has another record there, is refused;
 * - a step marked done must have left what it makes (M1): keys, signatures, files;
 * - every ready key record is confirmed against its anchor (H1): a token key is read back from the
 *   custodian's token (by CKA_ID, or by the plan's label) and its public key compared with the record; a
 *   server or publisher key against the file whose SHA-256 the reviewed plan records; a key the plan names
 *   as `existingKey` against the plan's fingerprint;
 * - the metadata files written are read back and compared with the bytes the ceremony builds from those
 *   confirmed keys and the verified signatures, before the seal, the printed transcript and the inventory (M2).
 *
 * Refusals name the state file and the JSON path in it (`<file> $.keys.root/Bob`), or the file that
 * changed. Limit: the state and an unsealed transcript carry no key, so someone who rewrites both
 * consistently is stopped only by the key confirmations (a transcript cut back and a state rewritten to
 * match are otherwise a valid interrupted ceremony that did less).
 */
import { join } from 'node:path';
import { CeremonyError, isCeremonyError } from '../errors.js';
import type { VerifiedTranscript } from '../audit/types.js';
import { sha256Hex } from '../crypto/digest.js';
import { readFileCapped } from '../io/files.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import type { CeremonyContext } from './context.js';
import { spkiText } from './keys.js';
import { METADATA_DIR, inFolder } from './layout.js';
import { metadataFileNames, TRANSCRIPT_FILE } from './outputs.js';
import { writtenRoles } from './metadata.js';
import { plannedKeys, type CeremonyPlan } from './plan.js';
import { STATE_FILE, type CeremonyState, type StepName } from './state.js';
import { verifiedOutputs } from './steps/verify-outputs.js';
import { inState, statePathOf } from './state-where.js';

export { inState, statePathOf };

export function stateInvalid(statePath: string, jsonPath: string, message: string, cause?: unknown): CeremonyError {
  return new CeremonyError('CEREMONY_STATE_INVALID', message, { path: inState(statePath, jsonPath), ...(cause ? { cause } : {}) });
}

/**
 * H2: the transcript is at least as long as the state last saw it, with the same record at that place.
 * L2: a state that says `sealed` has a sealed transcript (checked before any step runs, so custodians do
 * not sign for a folder that can never be finished).
 */
export function checkTranscriptBinding(state: CeremonyState, t: VerifiedTranscript, statePath: string, transcriptPath: string): void {
  if (state.sealed && !t.sealed) {
    throw stateInvalid(statePath, '$.sealed', `the state says the transcript was sealed, but ${TRANSCRIPT_FILE} has no seal (${t.entries.length} entries): the state was edited or belongs to another transcript`);
  }
  const bound = state.transcript;
  if (!bound) {
    // Every save after the transcript's first entry records it: a state with work done and no binding was edited.
    if (Object.keys(state.steps).length > 0 || Object.keys(state.keys).length > 0) {
      throw stateInvalid(statePath, '$.transcript', `the state records work done but not the transcript it continues (entry count and last hash); it was edited, or written by an older version`);
    }
    return;
  }
  if (t.entries.length < bound.entries) {
    throw new CeremonyError(
      'TRANSCRIPT_TRUNCATED',
      `${TRANSCRIPT_FILE} has ${t.entries.length} entries, but ${STATE_FILE} was saved when it had ${bound.entries}: entries were removed from its end (${statePath} $.transcript.entries)`,
      { path: transcriptPath },
    );
  }
  const at = bound.entries === 0 ? t.header.hash : t.entries[bound.entries - 1]!.hash;
  if (at !== bound.lastHash) {
    throw new CeremonyError(
      'CEREMONY_STATE_MISMATCH',
      `${TRANSCRIPT_FILE} ${bound.entries === 0 ? 'header' : `entry ${bound.entries}`} is not the one ${STATE_FILE} was saved after (hash ${at.slice(0, 16)}…, recorded ${bound.lastHash.slice(0, 16)}…): the transcript was rewritten or is another one (${statePath} $.transcript.lastHash)`,
      { path: transcriptPath },
    );
  }
}

/**
 * M1: each step marked done left what it makes, and its `ceremony.<step>` entry is in the transcript (when
 * the transcript is given). What cannot be checked without the tokens and files (keys, signatures,
 * written bytes) is checked by confirmRecordedKeys and checkWrittenOutputs.
 */
export function checkDoneSteps(plan: CeremonyPlan, state: CeremonyState, statePath: string, transcript: VerifiedTranscript | undefined, steps: readonly { name: StepName; applies(plan: CeremonyPlan): boolean }[]): void {
  const done = (name: StepName): boolean => state.steps[name]?.status === 'done';
  const entrySteps = transcript ? new Set(transcript.entries.map((e) => e.step)) : undefined;
  for (const step of steps) {
    if (!done(step.name)) continue;
    const at = `$.steps.${step.name}`;
    if (!step.applies(plan)) throw stateInvalid(statePath, at, `step ${step.name} is marked done, but this plan has no such step`);
    if (entrySteps && !entrySteps.has(`ceremony.${step.name}`)) {
      throw stateInvalid(statePath, at, `step ${step.name} is marked done, but ${TRANSCRIPT_FILE} has no ceremony.${step.name} entry: the state was edited`);
    }
  }
  const keys = plannedKeys(plan);
  if (done('check-tokens')) {
    for (const c of plan.custodians) if (!state.tokens[c.name]) throw stateInvalid(statePath, `$.tokens.${c.name}`, `check-tokens is marked done, but no token is recorded for ${c.name}`);
  }
  if (done('generate-keys')) {
    for (const k of keys) {
      if (k.source.kind === 'shamir') continue;
      if (state.keys[k.name]?.status !== 'ready') throw stateInvalid(statePath, `$.keys.${k.name}`, `generate-keys is marked done, but key ${k.name} is not recorded as ready`);
    }
  }
  if (done('shamir-backup') && plan.shamir && (!state.shamir || state.keys['root/shamir']?.status !== 'ready')) {
    throw stateInvalid(statePath, '$.shamir', 'shamir-backup is marked done, but the split key and its cards are not recorded');
  }
  const roles = writtenRoles(plan);
  if (done('build-metadata') || done('collect-signatures')) {
    // build-metadata pins root and targets; snapshot and timestamp are pinned when they are signed.
    for (const role of done('collect-signatures') ? roles : (['root', 'targets'] as const)) {
      if (!state.signed[role]) throw stateInvalid(statePath, `$.signed.${role}`, `${done('collect-signatures') ? 'collect-signatures' : 'build-metadata'} is marked done, but no ${role}.json was built`);
    }
  }
  if (done('collect-signatures')) {
    for (const role of roles) {
      if (!state.signatures[role]?.length) throw stateInvalid(statePath, `$.signatures.${role}`, `collect-signatures is marked done, but ${role}.json has no signature recorded`);
    }
  }
  for (const later of ['verify-outputs', 'write-outputs'] as const) {
    if (done(later) && !done('collect-signatures')) throw stateInvalid(statePath, `$.steps.${later}`, `${later} is marked done, but collect-signatures is not`);
  }
  if (done('write-outputs')) {
    for (const name of metadataFileNames(plan)) {
      if (!state.outputs[name]) throw stateInvalid(statePath, `$.outputs.${name}`, `write-outputs is marked done, but ${name} was never recorded as written`);
    }
  }
}

/**
 * H1: every ready key record of the state, confirmed against what the editor of the output folder cannot
 * rewrite, before any of it is listed in metadata or a signature kept in the state counts. Token keys are
 * read back from the custodian's token (their PIN is asked once for the run, as for a signature): the key
 * with the recorded CKA_ID (or, without one, the plan's label) must have the recorded public key. The
 * confirmed keys are kept for the run (ctx.keys), so signatures use exactly them.
 */
export async function confirmRecordedKeys(ctx: CeremonyContext): Promise<number> {
  const statePath = statePathOf(ctx);
  const state = ctx.state;
  const planned = plannedKeys(ctx.plan);
  const names = new Set(planned.map((k) => k.name));
  for (const name of Object.keys(state.keys)) {
    if (!names.has(name)) throw stateInvalid(statePath, `$.keys.${name}`, `the state records a key ${name} that the plan does not plan`);
  }
  const onTokens: { name: string; custodian: string; label: string }[] = [];
  for (const k of planned) {
    const rec = state.keys[k.name];
    if (!rec) continue;
    const at = `$.keys.${k.name}`;
    const src = k.source;
    const origin = src.kind;
    if (rec.role !== k.role || rec.origin !== origin) throw stateInvalid(statePath, at, `the record says a ${rec.origin} ${rec.role} key, the plan a ${origin} ${k.role} key`);
    if (rec.status !== 'ready') continue;
    const mismatch = (what: string) => stateInvalid(statePath, at, `the key recorded for ${k.name} is not ${what} (recorded fingerprint ${rec.fingerprint!.slice(0, 16)}…): the state was edited; nothing was signed or written in this run`);
    switch (src.kind) {
      case 'token':
        if (rec.custodian !== src.custodian) throw stateInvalid(statePath, `${at}.custodian`, `the record names custodian ${JSON.stringify(rec.custodian ?? '')}, the plan ${src.custodian}`);
        if (rec.algorithm !== src.keyAlgorithm) throw stateInvalid(statePath, `${at}.algorithm`, `the record says ${rec.algorithm}, the plan ${src.keyAlgorithm}`);
        if (src.existing && rec.fingerprint !== src.existing.fingerprint) throw mismatch(`the key the reviewed plan names (fingerprint ${src.existing.fingerprint.slice(0, 16)}…)`);
        onTokens.push({ name: k.name, custodian: src.custodian, label: src.keyLabel });
        break;
      case 'server': {
        const s = await ctx.serverKey(k.role as 'snapshot' | 'timestamp');
        if (s.key.fingerprint !== rec.fingerprint || s.keyId !== rec.keyId) throw mismatch(`the ${k.role} key of the file the plan names`);
        break;
      }
      case 'publisher': {
        const p = await ctx.publisherKey(src);
        if (p.key.fingerprint !== rec.fingerprint || p.keyId !== rec.keyId || spkiText(p.spki) !== rec.spki) throw mismatch(`publisher ${src.name}'s key of the file the plan names`);
        break;
      }
      case 'software': {
        // A rehearsal's software key lives only in this process: when it is here it is the anchor; when it
        // is not, anything that would use it is refused as CEREMONY_CANNOT_RESUME (keys.ts signingKeyOf).
        const kept = ctx.softwareKeys.get(k.name);
        if (kept && kept.fingerprint !== rec.fingerprint) throw mismatch("the rehearsal's software key kept in memory");
        break;
      }
      case 'shamir':
        // Limit: the split key is wiped once split; its only other records (share cards, transcript) are
        // in the same folder. The state's two records of it must at least agree.
        if (state.shamir && state.shamir.fingerprint !== rec.fingerprint) throw mismatch(`the split key the share cards were made from (${STATE_FILE} $.shamir.fingerprint)`);
        break;
    }
  }
  if (!onTokens.length) return 0;
  const custodians = [...new Set(onTokens.map((t) => t.custodian))];
  ctx.report(
    `confirming ${onTokens.length} key${onTokens.length === 1 ? '' : 's'} made before the interruption on ${custodians.length === 1 ? 'its token' : 'their tokens'}: ${custodians.map((c) => `${c}'s token`).join(', ')} must be inserted (and ${custodians.length === 1 ? 'its PIN' : 'their PINs'} given) so that each key is read back and compared with ${STATE_FILE}, whose copy could have been edited since`,
  );
  if (ctx.tokens.checkPresence) {
    await ctx.tokens.checkPresence(
      ctx.plan.custodians.filter((c) => custodians.includes(c.name)),
      state.tokens,
    );
  }
  for (const t of onTokens) {
    const rec = state.keys[t.name]!;
    const at = `$.keys.${t.name}`;
    const token = await ctx.token(t.custodian);
    const id = rec.tokenKeyId ? new Uint8Array(Buffer.from(rec.tokenKeyId, 'hex')) : undefined;
    let key;
    try {
      key = await token.findKey(t.label, rec.fingerprint, id);
    } catch (err) {
      if (!isCeremonyError(err, 'TOKEN_KEY_NOT_FOUND')) throw err;
      throw stateInvalid(
        statePath,
        at,
        `${t.custodian}'s token holds no key ${rec.tokenKeyId ? `with CKA_ID ${rec.tokenKeyId}` : `labelled "${t.label}"`} with the public key the state records for ${t.name} (${err.message}): the state was edited, or this is not the token the key was made on; nothing was signed or written in this run`,
        err,
      );
    }
    if (key.fingerprint !== rec.fingerprint || spkiText(key.spki) !== rec.spki) {
      throw stateInvalid(statePath, at, `the key on ${t.custodian}'s token (fingerprint ${key.fingerprint.slice(0, 16)}…) is not the one the state records for ${t.name} (${rec.fingerprint!.slice(0, 16)}…): the state was edited; nothing was signed or written in this run`);
    }
    ctx.keys.set(t.name, key);
  }
  ctx.report(`  ${onTokens.length} key${onTokens.length === 1 ? '' : 's'} read back from the tokens match ${STATE_FILE}`);
  return onTokens.length;
}

/**
 * M2: every metadata file written is on disk with the bytes recorded when it was written, and those are
 * the bytes the ceremony builds now from the confirmed keys and verified signatures (verifiedOutputs: the
 * full client verification with the new root pinned). Run before the seal, the printed transcript and the
 * inventory; returns the files as read.
 */
export async function checkWrittenOutputs(ctx: CeremonyContext): Promise<{ name: string; sha256: string }[]> {
  const statePath = statePathOf(ctx);
  const files = await verifiedOutputs(ctx);
  const out: { name: string; sha256: string }[] = [];
  for (const f of files) {
    const path = join(ctx.layout.metadata, f.name);
    const rel = inFolder(METADATA_DIR, f.name);
    const recorded = ctx.state.outputs[f.name];
    if (!recorded) throw stateInvalid(statePath, `$.outputs.${f.name}`, `the ceremony is about to be sealed, but ${rel} was never recorded as written`);
    let bytes: Uint8Array;
    try {
      bytes = await readFileCapped(path, DEFAULT_CAPS.targets);
    } catch (err) {
      if (!isCeremonyError(err, 'FILE_NOT_FOUND')) throw err;
      throw new CeremonyError('CEREMONY_OUTPUT_CHANGED', `${rel} was written (SHA-256 ${recorded.slice(0, 16)}…) but is gone; nothing was sealed`, { path, cause: err });
    }
    const sha = sha256Hex(bytes);
    if (sha !== recorded) {
      throw new CeremonyError('CEREMONY_OUTPUT_CHANGED', `${rel} is not the file written before (SHA-256 ${sha.slice(0, 16)}…, recorded ${recorded.slice(0, 16)}…); nothing was sealed`, { path });
    }
    if (sha !== sha256Hex(f.bytes)) {
      throw stateInvalid(statePath, `$.outputs.${f.name}`, `${rel} and its recorded hash are not the bytes the ceremony builds from its keys and signatures: both were changed`);
    }
    out.push({ name: f.name, sha256: sha });
  }
  return out;
}
