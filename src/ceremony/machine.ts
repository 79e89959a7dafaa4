/**
 * The root ceremony as a state machine (PRODUCT.md §2.3): check tokens → generate keys → (Shamir backup of
 * the software root key) → build metadata → collect signatures → verify → write outputs; then the
 * transcript is sealed and printed. Each step is one file under steps/; each completed step leaves a
 * transcript entry (`ceremony.<step>`, beside the entries the step writes per custodian and per key) and a
 * `done` mark in the state file.
 *
 * Resume: run the same plan with the same output folder. Steps marked done are not redone; a step that was
 * interrupted runs again and finds what it had done from the state (keys on their tokens by label and
 * fingerprint, signatures recorded as they were made, files by their hashes). Nothing secret is kept to
 * make that possible. Outputs are never overwritten; the transcript is continued, never rewritten
 * (src/io/append.ts), and says where the ceremony was resumed. Temp files an atomic write left when the
 * process was killed are removed (only exact writeFileAtomic temp names of this ceremony's outputs).
 *
 * Step boundaries go to `onStep` as structured events (CeremonyStepEvent); `report` gets the words.
 */
import { basename, join } from 'node:path';
import { CeremonyError, isCeremonyError, toErrorShape } from '../errors.js';
import { createTranscriptFile, resumeTranscriptFile, type AppendOnlyFile } from '../io/append.js';
import { assertAbsent, ensurePrivateDir, readFileCapped, writeFileAtomic } from '../io/files.js';
import { removeAtomicTemps } from '../io/leftover-temps.js';
import { MAX_TRANSCRIPT_BYTES } from '../audit/schema.js';
import { sha256Hex } from '../crypto/digest.js';
import { renderTranscriptHtml } from '../audit/render.js';
import type { TranscriptWriter } from '../audit/transcript.js';
import { verifyTranscript } from '../audit/verify.js';
import { listPublicKey } from '../signers/public-key-json.js';
import { metadataSigner } from '../signers/metadata-signer.js';
import type { SigningKey } from '../signers/signing-key.js';
import { makeContext, type CeremonyContext } from './context.js';
import { signingKeyOf, spkiOf } from './keys.js';
import { allOutputNames, flatLayoutNames, metadataFileNames, stateFileNames, TRANSCRIPT_FILE, TRANSCRIPT_HTML } from './outputs.js';
import { inFolder, METADATA_DIR, outputLayout, SECRET_DIR, STATE_DIR } from './layout.js';
import { checkPlanDates, splitKeyNotice, type CeremonyPlan } from './plan.js';
import { buildInventory, ceremonyRepositoryRecord, checkedInventoryBytes, INVENTORY_FILE } from './inventory.js';
import { describeIntentHash, intentHash } from './plan-hash.js';
import { readPlanInputs } from './plan-inputs.js';
import { newState, StateFile, STATE_FILE, type CeremonyState, type StepName } from './state.js';
import { checkDoneSteps, checkTranscriptBinding, checkWrittenOutputs, confirmRecordedKeys } from './resume-checks.js';
import { buildMetadata } from './steps/build-metadata.js';
import { checkTokens } from './steps/check-tokens.js';
import { collectSignatures } from './steps/collect-signatures.js';
import { generateKeys } from './steps/generate-keys.js';
import { shamirBackup, shareCardFiles } from './steps/shamir-backup.js';
import { APP_ACTOR, clipNote, type Step } from './steps/step.js';
import { verifyOutputs } from './steps/verify-outputs.js';
import { writeOutputs } from './steps/write-outputs.js';
import type { TokenProvider } from './tokens.js';
import type { AttestationTrust } from '../attestation/yubico-pki.js';
import { ATTESTATIONS_FILE } from '../attestation/attestations-name.js';

export const STEPS: readonly Step[] = [checkTokens, generateKeys, shamirBackup, buildMetadata, collectSignatures, verifyOutputs, writeOutputs];

export const APP_VERSION = '0.1.0';

/** The pseudo-step after the machine's steps: sealing the transcript and writing its printable copy. */
export const SEAL_STEP_NAME = 'seal';

/**
 * A step boundary, as the machine reports it to `onStep` (the app's checklist follows these, never the
 * wording of the progress lines, which are for people and the CLI). For every step of STEPS, in order, then
 * `seal`: `skipped` when the step does not apply to the plan; `done` with `before: true` when a resumed
 * ceremony finds it done before the interruption; otherwise `started`, then `done` once its transcript
 * entry and state mark are saved. A step that fails reports `started` only (the error is thrown).
 */
export interface CeremonyStepEvent {
  step: StepName | typeof SEAL_STEP_NAME;
  status: 'started' | 'done' | 'skipped';
  /** Done before this run (resume). */
  before?: true;
}

export interface RunCeremonyOptions {
  /** The plan file's bytes, exactly as reviewed (their SHA-256 is the intent hash). */
  planBytes: Uint8Array;
  /** The plan parsed from those bytes (parsePlan; with `rehearsal: true` for a rehearsal). */
  plan: CeremonyPlan;
  /** The plan file's name, for the transcript. */
  planName: string;
  /** The plan's folder: server key files are named relative to it. */
  planDir: string;
  outDir: string;
  tokens: TokenProvider;
  /** A rehearsal's software keys live here (tests keep the map across an interruption). */
  softwareKeys?: Map<string, SigningKey>;
  /** false: refuse an output folder that already holds a ceremony (rehearsals). Default true. */
  resume?: boolean;
  now?: () => Date;
  appVersion?: string;
  report?: (line: string) => void;
  /**
   * The witnesses of the start (issue #16): who compared the intent hash words with the reviewed plan,
   * recorded in the first entry (plan.review). Only a new transcript takes them; a resume keeps the first.
   */
  witnesses?: { name: string; confirmed: string }[];
  /** Called at each step boundary (CeremonyStepEvent), after the progress line of that boundary. */
  onStep?: (event: CeremonyStepEvent) => void;
  /**
   * Roots for YubiKey attestations instead of Yubico's bundled ones: tests (the PIV emulator's test root)
   * and private PKIs only; every attestation then says it is NOT a Yubico root.
   */
  attestationTrust?: AttestationTrust;
  /** Test hook, called at named points (`after:<step>`, `signed:root:root/Alice`, …); throw to interrupt. */
  fault?: (point: string) => void | Promise<void>;
}

export interface CeremonyResult {
  outDir: string;
  planSha256: string;
  rehearsal: boolean;
  /** True when an interrupted ceremony was continued. */
  resumed: boolean;
  /** Steps found done and not redone. */
  skipped: StepName[];
  /** Metadata files written (names in metadataDir). */
  metadata: string[];
  /** The publishable folder: outDir/metadata (layout.ts). */
  metadataDir: string;
  /** The sealed transcript: outDir/state/transcript.jsonl. */
  transcriptPath: string;
  /** Every file of the ceremony, relative to outDir ('metadata/root.json', 'secret/…', 'state/…'). */
  files: string[];
  rootKeyIds: string[];
  keyIds: { targets: string; snapshot: string; timestamp: string };
  /** TUF key ID of the key that sealed the transcript (`transcript verify --seal-key`). */
  sealKeyId: string;
}

/** The key that seals the transcript: the first custodian's root key (seal.ts: a seal can never pass for metadata). */
function sealKeyName(plan: CeremonyPlan): string {
  return `root/${plan.custodians[0]!.name}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await assertAbsent([path]);
    return false;
  } catch (err) {
    if (isCeremonyError(err, 'OUTPUT_EXISTS')) return true;
    throw err;
  }
}

function checkSameCeremony(state: CeremonyState, plan: CeremonyPlan, planSha256: string, rehearsal: boolean, path: string): void {
  if (state.planSha256 !== planSha256) {
    throw new CeremonyError(
      'CEREMONY_STATE_MISMATCH',
      `${STATE_FILE} belongs to the plan with intent hash ${state.planSha256.slice(0, 16)}…, not this plan (${planSha256.slice(0, 16)}…): resume with the plan it was started with, or use a new output folder`,
      { path },
    );
  }
  if (state.profile !== plan.profile || state.repository !== plan.repository) {
    throw new CeremonyError('CEREMONY_STATE_MISMATCH', `${STATE_FILE} is for ${state.profile} repository ${state.repository}`, { path });
  }
  if (state.rehearsal !== rehearsal) {
    throw new CeremonyError('CEREMONY_STATE_MISMATCH', `${STATE_FILE} is from a ${state.rehearsal ? 'rehearsal' : 'real ceremony'}; this run is ${rehearsal ? 'a rehearsal' : 'real'}`, { path });
  }
}

/**
 * Run `read` (a transcript verification) and name the file in any refusal's path: the verifier knows only
 * lines and JSON paths (`line 4 $.hash`), the person resuming needs the file (review 15e L2).
 */
export function inTranscriptFile<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof CeremonyError && !err.path?.startsWith(path)) {
      const message = err.path ? err.message.slice(0, err.message.length - ` (at ${err.path})`.length) : err.message;
      throw new CeremonyError(err.code, message, { path: err.path ? `${path} ${err.path}` : path, cause: err });
    }
    throw err;
  }
}

/**
 * Remove the temp files writeFileAtomic left beside this ceremony's own outputs when a run was killed
 * mid-write (src/io/leftover-temps.ts: exact `.NAME.<12 hex>.tmp` names only), and say so.
 */
async function removeLeftovers(outDir: string, plan: CeremonyPlan, report: (line: string) => void): Promise<string[]> {
  // The share cards and share-cards.html (secret, 0600): their temps matter most.
  const layout = outputLayout(outDir);
  const removed = [
    ...(await removeAtomicTemps(layout.metadata, [...metadataFileNames(plan), ATTESTATIONS_FILE])).map((n) => inFolder(METADATA_DIR, n)),
    ...(plan.shamir ? await removeAtomicTemps(layout.secret, shareCardFiles(plan.shamir.shares)) : []).map((n) => inFolder(SECRET_DIR, n)),
    ...(await removeAtomicTemps(layout.state, stateFileNames())).map((n) => inFolder(STATE_DIR, n)),
  ];
  if (removed.length) report(`removed ${removed.length} temporary file${removed.length === 1 ? '' : 's'} left by an interrupted write: ${removed.join(', ')}`);
  return removed;
}

/**
 * Run (or resume) the root ceremony of `opts.plan` into `opts.outDir`. Throws the first refusal as a
 * CeremonyError; the state and the transcript then hold everything needed to resume.
 */
export async function runCeremony(opts: RunCeremonyOptions): Promise<CeremonyResult> {
  const now = opts.now ?? (() => new Date());
  const report = opts.report ?? (() => undefined);
  const onStep = opts.onStep ?? (() => undefined);
  const plan = opts.plan;
  const hash = intentHash(opts.planBytes);
  const rehearsal = opts.tokens.rehearsal !== undefined;
  const layout = outputLayout(opts.outDir);
  const stateFile = new StateFile(layout.state);
  const transcriptPath = join(layout.state, TRANSCRIPT_FILE);

  checkPlanDates(plan, now());
  // Software tokens (swtpm, NSS softokn, opencryptoki's soft token) are refused before any PIN unless the
  // reviewed plan allows them (SoftHSM2 makes the whole ceremony a rehearsal instead, PRODUCT.md §2.8).
  opts.tokens.setSoftwarePolicy?.(plan.allowSoftwareTokens === true);
  const inputs = await readPlanInputs(plan, opts.planDir);
  for (const line of describeIntentHash(hash)) report(line);
  const splitNotice = splitKeyNotice(plan);
  if (splitNotice) report(`NOTE: ${splitNotice}`);
  if (opts.tokens.rehearsal) report(opts.tokens.rehearsal.notice);

  // A folder of an older tool, everything at its top: its journal would not be found and a second set of
  // keys made. Refused before anything is written.
  await assertAbsent(
    flatLayoutNames(plan).map((n) => join(opts.outDir, n)),
    ` at the top of the output folder: that folder was written by an older version with every file in one place; finish or redo that ceremony with the version that started it, or use a new output folder (outputs now go into ${METADATA_DIR}/, ${SECRET_DIR}/ and ${STATE_DIR}/)`,
  );
  let state = await stateFile.load();
  const resumed = state !== undefined;
  let writer: TranscriptWriter | undefined;
  let file: AppendOnlyFile | undefined;
  let transcriptSealed = false;
  let leftovers: string[] = [];
  let cutBytes = 0;

  if (state) {
    if (opts.resume === false) {
      throw new CeremonyError('OUTPUT_EXISTS', `${STATE_FILE} already exists in ${basename(opts.outDir)}: a rehearsal always starts afresh; use a new output folder`, { path: stateFile.path });
    }
    checkSameCeremony(state, plan, hash.sha256, rehearsal, stateFile.path);
    if (state.sealed && state.outputs[TRANSCRIPT_HTML]) {
      throw new CeremonyError('CEREMONY_COMPLETE', `the ceremony in ${basename(opts.outDir)} is already complete (transcript sealed, outputs written); nothing was done`, { path: stateFile.path });
    }
    if (await exists(transcriptPath)) {
      const bytes = await readFileCapped(transcriptPath, MAX_TRANSCRIPT_BYTES);
      const t = inTranscriptFile(transcriptPath, () => verifyTranscript(bytes, { allowUnsealed: true }));
      if (t.header.planHash !== hash.sha256 || t.header.rehearsal !== rehearsal) {
        throw new CeremonyError('CEREMONY_STATE_MISMATCH', `${TRANSCRIPT_FILE} is the transcript of another plan or kind of run`, { path: transcriptPath });
      }
      // Review 15e: the transcript is as long as the state last saw it (H2), a sealed state has a sealed
      // transcript, and every step marked done left its entry and its results (M1) — before any token is used.
      checkTranscriptBinding(state, t, stateFile.path, transcriptPath);
      checkDoneSteps(plan, state, stateFile.path, t, STEPS);
      transcriptSealed = t.sealed;
      if (!t.sealed) ({ writer, file, cutBytes } = await resumeTranscriptFile(transcriptPath, { now }));
    } else if (Object.keys(state.steps).length > 0) {
      throw new CeremonyError('CEREMONY_STATE_INVALID', `${TRANSCRIPT_FILE} is missing but ${STATE_FILE} records completed steps: the transcript was removed`, { path: transcriptPath });
    }
    report(`resuming the interrupted ceremony in ${opts.outDir}`);
    leftovers = await removeLeftovers(opts.outDir, plan, report);
  } else {
    // Outputs never overwrite: refuse before anything is written.
    await assertAbsent(
      allOutputNames(plan).map((n) => join(opts.outDir, n)),
      ' (a ceremony writes into a new folder, or resumes from its ceremony-state.json)',
    );
    // A run killed while it was creating its state file left no state, maybe its temp file: a restart.
    await removeLeftovers(opts.outDir, plan, report);
    if (plan.shamir) await ensurePrivateDir(layout.secret);
    state = newState({ planSha256: hash.sha256, profile: plan.profile, repository: plan.repository, rehearsal, now: now() });
    await stateFile.create(state);
  }

  const softwareKeys = opts.softwareKeys ?? new Map<string, SigningKey>();
  try {
    if (!writer && !transcriptSealed) {
      ({ writer, file } = await createTranscriptFile(
        transcriptPath,
        { kind: 'root', profile: plan.profile, repository: plan.repository, planHash: hash.sha256, rehearsal, appVersion: opts.appVersion ?? APP_VERSION },
        { now },
      ));
      await writer.append({
        step: 'plan.review',
        actor: { name: 'administrator', role: 'administrator' },
        digests: [{ label: 'plan intent hash (SHA-256 of the plan file)', sha256: hash.sha256 }],
        inputs: [{ name: opts.planName, sha256: hash.sha256 }, ...inputs],
        ...(opts.witnesses?.length ? { witnesses: opts.witnesses } : {}),
        note: clipNote(
          `${plan.profile} root ceremony for ${plan.repository}: ${plan.custodians.length} custodians, root threshold ${plan.root.threshold}${splitNotice ? ` (${splitNotice})` : ''}; intent hash shown as hex and words for the witnesses to compare with the reviewed plan${opts.tokens.rehearsal ? `. ${opts.tokens.rehearsal.notice}` : ''}`,
        ),
      });
    }

    // Every later save records where the transcript stands (review 15e H2).
    stateFile.bindTranscript(writer);

    const ctx: CeremonyContext = makeContext({
      plan,
      planSha256: hash.sha256,
      planDir: opts.planDir,
      outDir: opts.outDir,
      state,
      stateFile,
      tokens: opts.tokens,
      // A sealed transcript takes no entries; every step is done by then (checked below).
      transcript: writer as TranscriptWriter,
      softwareKeys,
      attestationTrust: opts.attestationTrust,
      now,
      report,
      fault: opts.fault ?? (() => undefined),
    });

    const skipped: StepName[] = [];
    // Review 15e H1: no key record of the state is listed or counted before it is confirmed on its token
    // (or against the plan's files), so an edited state is refused here, before anything is signed.
    const confirmed = resumed ? await confirmRecordedKeys(ctx) : 0;
    if (resumed && writer) {
      const done = STEPS.filter((s) => state!.steps[s.name]?.status === 'done').map((s) => s.name);
      await writer.append({
        step: 'ceremony.resume',
        actor: APP_ACTOR,
        digests: [{ label: 'plan intent hash (SHA-256 of the plan file)', sha256: hash.sha256 }],
        note: clipNote(
          `resumed after an interruption with the same plan; steps already done: ${done.length ? done.join(', ') : 'none'}; transcript continued after entry ${writer.entryCount}${cutBytes ? ` (a last line cut short by the interruption, ${cutBytes} bytes, removed)` : ''}${confirmed ? `; ${confirmed} keys made before read back from their tokens and found as recorded` : ''}${leftovers.length ? `; removed temporary files left by interrupted writes: ${leftovers.join(', ')}` : ''}`,
        ),
      });
    }

    for (const step of STEPS) {
      if (!step.applies(plan)) {
        onStep({ step: step.name, status: 'skipped' });
        continue;
      }
      if (state.steps[step.name]?.status === 'done') {
        skipped.push(step.name);
        report(`${step.title}: done before the interruption`);
        onStep({ step: step.name, status: 'done', before: true });
        continue;
      }
      if (!writer) throw new CeremonyError('CEREMONY_STATE_INVALID', `${TRANSCRIPT_FILE} is sealed but step ${step.name} is not done`, { path: stateFile.path });
      report(`${step.title}…`);
      state.steps[step.name] = { status: 'started', at: now().toISOString() };
      await ctx.save();
      onStep({ step: step.name, status: 'started' });
      let summary;
      try {
        summary = await step.run(ctx);
      } catch (err) {
        const shape = toErrorShape(err);
        await writer
          .append({ step: 'ceremony.interrupted', actor: APP_ACTOR, note: clipNote(`step ${step.name} stopped: error[${shape.code}]${err instanceof CeremonyError ? `: ${shape.message}` : ''}. Resume with the same plan and output folder.`) })
          .catch(() => undefined);
        throw err;
      }
      await writer.append({ step: `ceremony.${step.name}`, actor: APP_ACTOR, note: clipNote(summary.note), digests: summary.digests, inputs: summary.inputs, outputs: summary.outputs });
      state.steps[step.name] = { status: 'done', at: now().toISOString() };
      await ctx.save();
      onStep({ step: step.name, status: 'done' });
      await ctx.fault(`after:${step.name}`);
    }

    // Review 15e M1/M2: the files written are on disk as recorded, and are the bytes the ceremony builds
    // from its confirmed keys and verified signatures — checked before the seal, the printed transcript and
    // the inventory say so, on every run (a resumed one may find them replaced or never written).
    const written = await checkWrittenOutputs(ctx);
    const rootWritten = written.find((w) => w.name === 'root.json')!;

    // The seal: signed by the first custodian's root key on their token (a rehearsal token in a rehearsal).
    const sealName = sealKeyName(plan);
    const sealListed = listPublicKey('tuf', spkiOf(state.keys[sealName]!, sealName));
    onStep({ step: SEAL_STEP_NAME, status: 'started' });
    if (writer && !state.sealed) {
      const key = await signingKeyOf(ctx, sealName);
      report(`sealing the transcript with ${plan.custodians[0]!.name}'s root key…`);
      await writer.seal(metadataSigner(key, sealListed));
    }
    if (!state.sealed) {
      state.sealed = true;
      await ctx.save();
    }
    await ctx.fault('sealed');
    await file?.close();
    file = undefined;

    // The printable transcript, from the verified file.
    const bytes = await readFileCapped(transcriptPath, MAX_TRANSCRIPT_BYTES);
    const verified = verifyTranscript(bytes, { expectedSealKeyId: sealListed.keyId });
    const html = new TextEncoder().encode(renderTranscriptHtml(verified, { fileName: TRANSCRIPT_FILE }));
    const htmlPath = join(layout.state, TRANSCRIPT_HTML);
    if (await exists(htmlPath)) {
      const present = await readFileCapped(htmlPath, MAX_TRANSCRIPT_BYTES * 4);
      if (Buffer.compare(Buffer.from(present), Buffer.from(html)) !== 0) throw new CeremonyError('OUTPUT_EXISTS', `${TRANSCRIPT_HTML} already exists; refusing to overwrite it`, { path: htmlPath });
    } else {
      await writeFileAtomic(htmlPath, html);
    }
    state.outputs[TRANSCRIPT_HTML] = sha256Hex(html);
    await ctx.save();
    report(`sealed ${TRANSCRIPT_FILE} (${verified.entries.length} entries) and wrote ${TRANSCRIPT_HTML}`);

    // The key inventory (issue #17), as a multi-repository ceremony keeps one: which key, on which token,
    // held by whom, holds which role here, until when — what `tuf-ceremony keys --inventory` joins with
    // the tokens. Derived from the state (public facts only); a resumed run keeps the one it wrote.
    const inventoryPath = join(layout.state, INVENTORY_FILE);
    if (!(await exists(inventoryPath))) {
      const inventory = buildInventory({ state, repositories: [ceremonyRepositoryRecord(plan, state, METADATA_DIR, { version: 1, sha256: rootWritten.sha256 })], planSha256: hash.sha256, now: now(), rehearsal });
      // Checked as every writer checks it (review 13a M1): one repository is far inside the limits.
      await writeFileAtomic(inventoryPath, checkedInventoryBytes(inventory, INVENTORY_FILE));
    }
    onStep({ step: SEAL_STEP_NAME, status: 'done' });

    const metadata = metadataFileNames(plan);
    const keyId = (name: string): string => state!.keys[name]?.keyId ?? '';
    return {
      outDir: opts.outDir,
      planSha256: hash.sha256,
      rehearsal,
      resumed,
      skipped,
      metadata,
      metadataDir: layout.metadata,
      transcriptPath,
      files: [
        ...metadata.map((n) => inFolder(METADATA_DIR, n)),
        ...(state.outputs[ATTESTATIONS_FILE] ? [inFolder(METADATA_DIR, ATTESTATIONS_FILE)] : []),
        ...(state.shamir?.cards ?? []).map((n) => inFolder(SECRET_DIR, n)),
        ...stateFileNames().map((n) => inFolder(STATE_DIR, n)),
      ],
      rootKeyIds: [...plan.custodians.map((c) => keyId(`root/${c.name}`)), ...(plan.shamir ? [keyId('root/shamir')] : [])],
      keyIds: { targets: keyId('targets'), snapshot: keyId('snapshot'), timestamp: keyId('timestamp') },
      sealKeyId: sealListed.keyId,
    };
  } finally {
    await file?.close();
  }
}
