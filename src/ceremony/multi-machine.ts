/**
 * The root ceremony of a multi-repository plan (issue #17, multi-plan.ts): one session, one PIN per
 * custodian, one transcript, many repositories.
 *
 * 1. Check the custodians' tokens (steps/check-tokens.ts, as for one repository).
 * 2. Make every distinct key once (steps/generate-keys.ts makeHeldKey): each custodian's root key, the
 *    shared targets (and held snapshot/timestamp) keys, a repository's own keys; keys the plan names from
 *    an earlier ceremony are found by CKA_ID and fingerprint instead.
 * 2b. With `shamir` in the plan: the shared software root key, made in memory and split into share cards
 *    before anything uses it (multi-shamir.ts says why in that order); kept until the last root is signed.
 * 3. For each repository, in plan order: Notary root certificates for that GUN (CN = GUN) signed by each
 *    custodian's root key on their token; root, targets, snapshot (and TUF timestamp) v1 built, signed and
 *    verified exactly as a one-repository ceremony does (the same steps, run on the repository's own plan
 *    with the shared keys), then verified as a client would (verify-outputs.ts) and written, never over an
 *    existing file, to `OUT/metadata/<safe name>/` (repository-names.ts). The transcript gets one entry
 *    per repository: the bytes each role signed, who signed, the files written with their SHA-256.
 *    One group ahead: the repositories of group g+1 are built and signed in memory while group g is
 *    verified, written and recorded; the disk and the transcript see one group at a time, in plan order
 *    (writeRepositories: the group's files in one durable pass, then its entries with one fsync). A group
 *    is one repository for plans of fewer than 64, else a 32nd of the plan, at most 32 (writeGroupSize). A
 *    failed write of group g stops g+1 before its next token use, and a repository adopting files of an
 *    interrupted run ends its group and is written before the next one is begun (no token works for a
 *    repository thrown away).
 * 4. The transcript is sealed with the first custodian's root key and printed (transcript.html).
 *
 * The outputs, in the folders a one-repository ceremony uses (layout.ts: what may be published is never
 * mixed with the ceremony's records):
 *
 *   metadata/<safe name>/  each repository's {root,targets,snapshot,timestamp}.json (TUF also `1.root.json`,
 *                          and with consistent snapshots `1.snapshot.json`, `1.targets.json`): publishable
 *                          as it is, and what verify, publish, export, inspect and `bundle create` take;
 *   state/                 ceremony-state.json (the keys: public facts only), transcript.jsonl,
 *                          transcript.html, key-inventory.json (which key holds which role in which
 *                          repository: inventory.ts);
 *   secret/                with `shamir`: the share cards of the shared software root key
 *                          (share-card-K-of-N.txt, share-cards.html; mode 0600; print, hand out, delete).
 *
 * Resume (multi-resume.ts): run the same plan into the same output folder. As for one repository, the
 * keys are found again on their tokens by CKA_ID and fingerprint (never made twice), done steps are not
 * redone and the transcript is continued with a `ceremony.resume` entry; each custodian's PIN is asked at
 * most once per run. The transcript's `repository.write` entries are the per-repository journal: a
 * repository recorded as written is checked (its files present with the recorded SHA-256s, signatures and
 * repository verified again) and not signed again; a repository an interruption left half-written keeps the
 * files it has (their certificates and signatures adopted and checked) and gets the rest. With `shamir`,
 * the split key is gone with the interrupted process: multi-shamir.ts says when a new one is made, and when
 * M share cards must be re-entered (`shareCards`) for the roots still unsigned.
 */
import { basename, join } from 'node:path';
import { CeremonyError, isCeremonyError, toErrorShape } from '../errors.js';
import type { EntryInput, TranscriptWriter } from '../audit/transcript.js';
import { verifyTranscript } from '../audit/verify.js';
import { renderTranscriptHtml } from '../audit/render.js';
import { MAX_TRANSCRIPT_BYTES } from '../audit/schema.js';
import { createTranscriptFile, resumeTranscriptFile, type AppendOnlyFile } from '../io/append.js';
import { assertAbsent, readFileCapped, writeFileAtomic, writeNewFilesInFolders } from '../io/files.js';
import { removeAtomicTemps } from '../io/leftover-temps.js';
import { createReadBackPool, type ReadBackPool } from '../io/certificate-readback-pool.js';
import type { OpensslReadBack } from '../signers/certificate-openssl.js';
import { pathExists } from '../io/bundle-file.js';
import { ATTESTATIONS_FILE } from '../attestation/attestations-name.js';
import type { SignatureJson } from '../profiles/profile.js';
import { sha256Hex } from '../crypto/digest.js';
import { makeNotaryRootCertificate } from '../signers/certificate.js';
import { metadataSigner } from '../signers/metadata-signer.js';
import { listPublicKey, type ListedKey } from '../signers/public-key-json.js';
import { withSign, type SigningKey } from '../signers/signing-key.js';
import { makeContext, type CeremonyContext } from './context.js';
import { frozen, rememberListing, signingKeyOf, spkiOf, spkiText } from './keys.js';
import type { ServerKey } from './server-key.js';
import { APP_VERSION, inTranscriptFile, SEAL_STEP_NAME, type CeremonyStepEvent } from './machine.js';
import { checkTranscriptBinding, stateInvalid } from './resume-checks.js';
import { readPlanInputs } from './plan-inputs.js';
import { checkPlanDates, plannedKeys, splitKeyNotice, type PlannedKey } from './plan.js';
import { describeIntentHash, intentHash } from './plan-hash.js';
import { SHAMIR_SHARED_ID, sharedKeyId, type MultiRepositoryPlan, type PlannedRepository, type SharedKey } from './multi-plan.js';
import { newState, StateFile, STATE_FILE, STEP_NAMES, type CeremonyState, type KeyRecord, type MetadataRole } from './state.js';
import { buildMetadata } from './steps/build-metadata.js';
import { checkTokens } from './steps/check-tokens.js';
import { collectSignatures } from './steps/collect-signatures.js';
import { makeHeldKey } from './steps/generate-keys.js';
import { APP_ACTOR, clipNote } from './steps/step.js';
import { verifiedOutputs } from './steps/verify-outputs.js';
import { metadataFileNames, stateFileNames, TRANSCRIPT_FILE, TRANSCRIPT_HTML } from './outputs.js';
import { writtenRoles } from './metadata.js';
import { adoptWritten, checkSameMultiCeremony, checkWrittenPrefix, INVENTORY_WRITE_STEP, journalOf, REPOSITORY_WRITE_STEP, writeRank, writtenRepository, type MultiJournal } from './multi-resume.js';
import { folderEntries } from '../io/folders.js';
import { ensurePrivateDir } from '../io/files.js';
import { inFolder, METADATA_DIR, outputLayout, SECRET_DIR, STATE_DIR } from './layout.js';
import { cardsNeeded, makeSplitRootKey, rebuildSplitKey, splitKeyHolder, type RebuiltSplitKey, type ShareCardSource, type SplitKeyHolder } from './multi-shamir.js';
import { SHAMIR_KEY, shareCardFiles } from './steps/shamir-backup.js';
import { SPLIT_KEY_PERSON } from './steps/collect-signatures.js';
import type { SoftwareKey } from '../signers/software.js';
import type { TokenProvider } from './tokens.js';
import { buildInventory, checkedInventoryBytes, INVENTORY_FILE, INVENTORY_MAX_BYTES, inventoryBytes, parseInventory, type InventoryRepositoryRecord } from './inventory.js';


export interface RunMultiCeremonyOptions {
  planBytes: Uint8Array;
  plan: MultiRepositoryPlan;
  planName: string;
  planDir: string;
  outDir: string;
  tokens: TokenProvider;
  softwareKeys?: Map<string, SigningKey>;
  now?: () => Date;
  appVersion?: string;
  report?: (line: string) => void;
  witnesses?: { name: string; confirmed: string }[];
  onStep?: (event: CeremonyStepEvent) => void;
  /** Called after each repository is written (index, count, token signatures so far): progress for the app and benches. */
  onRepository?: (done: number, total: number, repo: PlannedRepository, tokenSignatures: number) => void;
  /**
   * Resuming a plan with `shamir` after its key was split: M share cards of it, asked only when some
   * repository still needs its root signed (multi-shamir.ts). Absent then: CEREMONY_CANNOT_RESUME.
   */
  shareCards?: ShareCardSource;
  fault?: (point: string) => void | Promise<void>;
  /**
   * Repositories per group commit (writeGroupSize): their files written and made durable in one pass, their
   * transcript entries appended with one fsync. Default: writeGroupSize(the plan's repositories).
   */
  writeGroup?: number;
}

/** The largest group commit: about a hundred files per fsync pass, and 32 repositories' signing lost at most to an interruption. */
export const WRITE_GROUP_MAX = 32;

/**
 * How many repositories a multi-repository ceremony writes per group commit: a 32nd of the plan, from 1 to
 * WRITE_GROUP_MAX. Each group costs one pass of fsyncs (the files together, each folder once per role, the
 * parent folder and the transcript once), against per repository before (issue #17: a thousand
 * repositories paid eight fsyncs each, ~1.5 ms of the main thread and ~5 ms of the medium's time per
 * repository). An interruption loses the group being written and the one being signed, all signed again
 * on resume (nothing of them recorded); a group of at most a 32nd of the plan keeps that loss small next
 * to the ceremony. A plan of fewer than 64 repositories is written one repository at a time, as before —
 * there the fsyncs cost well under a second in all.
 */
export function writeGroupSize(repositories: number): number {
  return Math.max(1, Math.min(WRITE_GROUP_MAX, Math.floor(repositories / 32)));
}

export interface MultiRepositoryResult {
  name: string;
  profile: 'notary' | 'tuf';
  /** The repository's folder, relative to outDir: `metadata/<safe name>`. */
  dir: string;
  metadata: string[];
  rootKeyIds: string[];
  keyIds: { targets: string; snapshot: string; timestamp: string };
}

export interface MultiCeremonyResult {
  outDir: string;
  planSha256: string;
  rehearsal: boolean;
  /** True when an interrupted ceremony was continued. */
  resumed: boolean;
  /** Repositories the transcript recorded as written before the interruption: checked, not signed again. */
  repositoriesDoneBefore: number;
  repositories: MultiRepositoryResult[];
  /** Token signatures made: certificates, metadata, the seal (keys' self-tests not counted). */
  tokenSignatures: number;
  sealKeyId: string;
  /** The key inventory, relative to outDir: `state/key-inventory.json`. */
  inventory: string;
  /** The sealed transcript, relative to outDir: `state/transcript.jsonl`. */
  transcript: string;
  /**
   * With `shamir`: the share cards and their printable sheet still in `secret/` when the run ends, relative
   * to outDir (`secret/…`); cards moved away or destroyed after an interruption are not listed. Else empty.
   */
  shareCards: string[];
}

/** A repository's folder, relative to the output folder: `metadata/<safe name>` (layout.ts). */
export function repositoryFolder(safeName: string): string {
  return inFolder(METADATA_DIR, safeName);
}

/** The recorded card files still in secret/ (review L7: `--json` names only what is there to print). */
async function cardsPresent(secret: string, cards: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const n of cards) if (await pathExists(join(secret, n))) out.push(inFolder(SECRET_DIR, n));
  return out;
}

/** The name the keys' state records a shared key under. */
function keyName(k: SharedKey): string {
  const s = k.source;
  if (s.kind === 'shamir') return SHAMIR_KEY;
  if (k.role === 'root' && s.kind === 'token') return `root/${s.custodian}`;
  if (s.kind === 'token') return `${k.role}/${s.custodian}/${s.keyLabel}`;
  return `${k.role}/software/${k.path}`;
}

/** The transcript's `repository`: the first repository and how many more (the header has room for one name). */
function headerName(plan: MultiRepositoryPlan): string {
  const first = plan.repositories[0]!.name;
  const n = plan.repositories.length;
  const more = n > 1 ? ` and ${n - 1} more repositor${n === 2 ? 'y' : 'ies'}` : '';
  return `${first.slice(0, 255 - more.length)}${more}`;
}

/** A transcript that gathers a repository's entries instead of writing each: one entry per repository. */
function gatherer(): { entries: EntryInput[]; writer: TranscriptWriter } {
  const entries: EntryInput[] = [];
  const writer = {
    append: async (e: EntryInput) => {
      entries.push(e);
      return undefined;
    },
  } as unknown as TranscriptWriter;
  return { entries, writer };
}

/** Does the state file's in-memory copy need saving? Per-repository states live in memory only. */
const memoryStateFile = { save: async () => undefined } as unknown as StateFile;

export async function runMultiCeremony(opts: RunMultiCeremonyOptions): Promise<MultiCeremonyResult> {
  const now = opts.now ?? (() => new Date());
  const report = opts.report ?? (() => undefined);
  const onStep = opts.onStep ?? (() => undefined);
  const fault = opts.fault ?? (() => undefined);
  const plan = opts.plan;
  const hash = intentHash(opts.planBytes);
  const rehearsal = opts.tokens.rehearsal !== undefined;
  const first = plan.repositories[0]!;

  for (const repo of plan.repositories) checkPlanDates(repo.plan, now());
  opts.tokens.setSoftwarePolicy?.(plan.allowSoftwareTokens);
  const inputs: { name: string; sha256: string }[] = [];
  // Each distinct set of key files read and checked once (a thousand repositories commonly name one
  // server key file): what a repository reads depends only on its profile and the files and hashes it names.
  const readSets = new Set<string>();
  for (const repo of plan.repositories) {
    const p = repo.plan;
    const set = JSON.stringify([p.profile, p.snapshot.key, p.timestamp.key, p.targets.publishers]);
    if (readSets.has(set)) continue;
    readSets.add(set);
    for (const input of await readPlanInputs(p, opts.planDir)) if (!inputs.some((i) => i.name === input.name)) inputs.push(input);
  }
  for (const line of describeIntentHash(hash)) report(line);
  const splitNotice = splitKeyNotice({ root: plan.root, shamir: plan.shamir }, plan.repositories.length);
  if (splitNotice) report(`NOTE: ${splitNotice}`);
  if (opts.tokens.rehearsal) report(opts.tokens.rehearsal.notice);

  const layout = outputLayout(opts.outDir);
  const transcriptPath = join(layout.state, TRANSCRIPT_FILE);
  // A folder an older version wrote, everything at its top (its journal would not be found).
  await assertAbsent(
    [STATE_FILE, TRANSCRIPT_FILE, INVENTORY_FILE, 'repositories'].map((n) => join(opts.outDir, n)),
    ` at the top of the output folder: that folder was written by an older version with every file in one place; use a new output folder (outputs now go into ${METADATA_DIR}/ and ${STATE_DIR}/)`,
  );
  const stateFile = new StateFile(layout.state);
  let state = await stateFile.load();
  const resumed = state !== undefined;
  // Cards given where none can be used are refused, not ignored (review M1): the operator must know they
  // played no part.
  if (opts.shareCards && !plan.shamir) throw new CeremonyError('USAGE', '--share-card resumes a multi-repository ceremony whose plan has "shamir" (its split root key re-entered from the cards); this plan has none');
  if (opts.shareCards && !resumed) {
    throw new CeremonyError('USAGE', `--share-card resumes an interrupted ceremony, but ${basename(opts.outDir)} holds none: a new ceremony makes a new split key and writes its own cards; run again without --share-card`);
  }
  let writer: TranscriptWriter | undefined;
  let file: AppendOnlyFile | undefined;
  let transcriptSealed = false;
  let journal: MultiJournal = { repositories: new Map(), inventory: undefined };
  let leftovers: string[] = [];
  let reopen = false;
  const header = { planSha256: hash.sha256, profile: first.profile, repository: headerName(plan), rehearsal };

  if (state) {
    checkSameMultiCeremony(state, header, stateFile.path);
    if (state.sealed && state.outputs[TRANSCRIPT_HTML]) {
      throw new CeremonyError('CEREMONY_COMPLETE', `the ceremony in ${basename(opts.outDir)} is already complete (transcript sealed, outputs written); nothing was done`, { path: stateFile.path });
    }
    if (await pathExists(transcriptPath)) {
      const bytes = await readFileCapped(transcriptPath, MAX_TRANSCRIPT_BYTES);
      const t = inTranscriptFile(transcriptPath, () => verifyTranscript(bytes, { allowUnsealed: true }));
      if (t.header.planHash !== hash.sha256 || t.header.rehearsal !== rehearsal) {
        throw new CeremonyError('CEREMONY_STATE_MISMATCH', `${TRANSCRIPT_FILE} is the transcript of another plan or kind of run`, { path: transcriptPath });
      }
      // Review 15e H2: the transcript is the journal of written repositories; cut back by whole lines it
      // would still verify. The state records how far it went at every save (resume-checks.ts).
      checkTranscriptBinding(state, t, stateFile.path, transcriptPath);
      // A key step marked done left its ceremony.<step> entry (review 15e M1): the entry is made before the
      // mark. (The repository steps are marked done together at the end and never believed: every
      // repository is gone through again on resume.)
      const entrySteps = new Set(t.entries.map((e) => e.step));
      for (const name of ['check-tokens', 'generate-keys', 'shamir-backup'] as const) {
        if (state.steps[name]?.status === 'done' && !entrySteps.has(`ceremony.${name}`)) {
          throw stateInvalid(stateFile.path, `$.steps.${name}`, `step ${name} is marked done, but ${TRANSCRIPT_FILE} has no ceremony.${name} entry: the state was edited`);
        }
      }
      journal = journalOf(t.entries);
      transcriptSealed = t.sealed;
      // Reopened for appending only once the re-entered cards (if any) are checked: below.
      reopen = !t.sealed;
    } else if (Object.keys(state.steps).length > 0) {
      throw new CeremonyError('CEREMONY_STATE_INVALID', `${TRANSCRIPT_FILE} is missing but the ceremony state records completed steps: the transcript was removed`, { path: transcriptPath });
    }
  } else {
    // Outputs never overwrite: refuse before anything is written.
    await assertAbsent(
      [...[TRANSCRIPT_FILE, TRANSCRIPT_HTML, INVENTORY_FILE].map((n) => join(layout.state, n)), layout.metadata, ...(plan.shamir ? shareCardFiles(plan.shamir.shares).map((n) => join(layout.secret, n)) : [])],
      ' (a multi-repository ceremony writes into a new folder, or resumes from its state/ceremony-state.json)',
    );
    await removeAtomicTemps(layout.state, stateFileNames());
    if (plan.shamir) {
      await removeAtomicTemps(layout.secret, shareCardFiles(plan.shamir.shares));
      await ensurePrivateDir(layout.secret);
    }
    state = newState({ planSha256: hash.sha256, profile: first.profile, repository: headerName(plan), rehearsal, now: now() });
    await stateFile.create(state);
  }
  const st: CeremonyState = state;
  let splitKey: SplitKeyHolder | undefined;
  let readBackPool: ReadBackPool | undefined;
  let rebuilt: RebuiltSplitKey | undefined;

  try {
    // Every repository folder must be what an interruption leaves (a prefix of its roles), checked before
    // anything is appended and before any token is used: a folder that is not is refused with no PIN asked
    // and nothing signed (multi-resume.ts checkWrittenPrefix).
    let unsignedRoots = plan.repositories.length;
    if (resumed) {
      unsignedRoots = 0;
      for (const repo of plan.repositories) {
        const folder = join(opts.outDir, METADATA_DIR, repo.safeName);
        const names = (await folderEntries(folder)).map((e) => e.name);
        checkWrittenPrefix(names, writtenRoles(repo.plan), repositoryFolder(repo.safeName), folder);
        if (!names.includes('root.json') && !names.includes('1.root.json')) unsignedRoots += 1;
      }
      // The split key was recorded, so it was wiped with the interrupted run: roots still to sign need its
      // cards. Refused here, before any PIN is asked or anything appended (multi-shamir.ts); cards given are
      // read and the key rebuilt and checked here too, so that a wrong try writes nothing (review M1).
      if (plan.shamir && st.shamir && unsignedRoots > 0) {
        if (!opts.shareCards) throw cardsNeeded(st, unsignedRoots);
        rebuilt = await rebuildSplitKey(st, opts.shareCards);
      } else if (opts.shareCards) {
        throw new CeremonyError(
          'USAGE',
          !st.shamir
            ? '--share-card given, but the interrupted run stopped before its split key was recorded: that key can never be rebuilt, and this run makes a new one with new cards; run again without --share-card'
            : '--share-card given, but every repository\'s root is already written: the split key has nothing left to sign; run again without --share-card',
        );
      }
      if (reopen) ({ writer, file } = await resumeTranscriptFile(transcriptPath, { now }));
      report(`resuming the interrupted multi-repository ceremony in ${opts.outDir}`);
      leftovers = (await removeAtomicTemps(layout.state, stateFileNames())).map((n) => inFolder(STATE_DIR, n));
      // The share cards (secret, 0600): temps of a card write the kill interrupted.
      if (plan.shamir) leftovers.push(...(await removeAtomicTemps(layout.secret, shareCardFiles(plan.shamir.shares))).map((n) => inFolder(SECRET_DIR, n)));
    }
    if (!writer && !transcriptSealed) {
      ({ writer, file } = await createTranscriptFile(
        transcriptPath,
        { kind: 'root', profile: first.profile, repository: headerName(plan), planHash: hash.sha256, rehearsal, appVersion: opts.appVersion ?? APP_VERSION },
        { now },
      ));
      const profiles = new Set(plan.repositories.map((r) => r.profile));
      await writer.append({
        step: 'plan.review',
        actor: { name: 'administrator', role: 'administrator' },
        digests: [{ label: 'plan intent hash (SHA-256 of the plan file)', sha256: hash.sha256 }],
        inputs: [{ name: opts.planName, sha256: hash.sha256 }, ...inputs.slice(0, 31)],
        ...(opts.witnesses?.length ? { witnesses: opts.witnesses } : {}),
        note: clipNote(
          `multi-repository root ceremony: ${plan.repositories.length} ${[...profiles].join(' and ')} repositories sharing ${plan.keys.length} keys; ${plan.custodians.length} custodians, root threshold ${plan.root.threshold}${splitNotice ? ` (${splitNotice})` : ''}; ${inputs.length} key files read next to the plan${opts.tokens.rehearsal ? `. ${opts.tokens.rehearsal.notice}` : ''}`,
        ),
      });
    }
    // Every later save records where the transcript stands (review 15e H2).
    stateFile.bindTranscript(writer);
    const all = plan.repositories.length;
    if (resumed && writer) {
      const done = STEP_NAMES.filter((s) => st.steps[s]?.status === 'done');
      await writer.append({
        step: 'ceremony.resume',
        actor: APP_ACTOR,
        digests: [{ label: 'plan intent hash (SHA-256 of the plan file)', sha256: hash.sha256 }],
        note: clipNote(
          `resumed after an interruption with the same plan; steps already done: ${done.length ? done.join(', ') : 'none'}; ${journal.repositories.size} of ${all} repositories recorded as written (each checked against the SHA-256s recorded and verified again, not signed again)${leftovers.length ? `; removed temporary files left by interrupted writes: ${leftovers.join(', ')}` : ''}`,
        ),
      });
    }
    // A sealed transcript takes no entries: everything must be done by then (checked below).
    const w = writer;
    const record = async (e: EntryInput): Promise<void> => {
      if (!w) throw new CeremonyError('CEREMONY_STATE_INVALID', `${TRANSCRIPT_FILE} is sealed but the ceremony is not complete (${e.step})`, { path: transcriptPath });
      await w.append(e);
    };
    // A group's entries: one write, one fsync (TranscriptWriter.appendAll).
    const recordAll = async (es: EntryInput[]): Promise<void> => {
      if (!es.length) return;
      if (!w) throw new CeremonyError('CEREMONY_STATE_INVALID', `${TRANSCRIPT_FILE} is sealed but the ceremony is not complete (${es[0]!.step})`, { path: transcriptPath });
      await w.appendAll(es);
    };

    // The keys' context runs on the first repository's plan: custodians and root are the same in all.
    const keysCtx = makeContext({
      plan: first.plan,
      planSha256: hash.sha256,
      planDir: opts.planDir,
      outDir: opts.outDir,
      state: st,
      stateFile,
      tokens: opts.tokens,
      transcript: { append: record } as unknown as TranscriptWriter,
      softwareKeys: opts.softwareKeys ?? new Map(),
      now,
      report,
      fault,
    });

    const step = async (name: 'check-tokens' | 'generate-keys' | 'shamir-backup', title: string, run: () => Promise<string>): Promise<void> => {
      if (st.steps[name]?.status === 'done') {
        report(`${title}: done before the interruption`);
        onStep({ step: name, status: 'done', before: true });
        return;
      }
      report(`${title}…`);
      st.steps[name] = { status: 'started', at: now().toISOString() };
      await keysCtx.save();
      onStep({ step: name, status: 'started' });
      const note = await run();
      await record({ step: `ceremony.${name}`, actor: APP_ACTOR, note: clipNote(note) });
      st.steps[name] = { status: 'done', at: now().toISOString() };
      await keysCtx.save();
      onStep({ step: name, status: 'done' });
      await fault(`after:${name}`);
    };

    try {
      await step('check-tokens', checkTokens.title, async () => (await checkTokens.run(keysCtx)).note);
      const made: string[] = [];
      await step('generate-keys', 'make the shared keys and check each one', async () => {
        for (const k of plan.keys) {
          const planned: PlannedKey = { name: keyName(k), role: k.role, source: k.source, path: k.path };
          if (k.source.kind === 'shamir') continue; // the shamir-backup step below
          if (k.source.kind !== 'token' && k.source.kind !== 'software') throw new CeremonyError('INTERNAL', `shared key ${k.id} is not held`);
          made.push(await makeHeldKey(keysCtx, planned, k.source, { certificate: false }));
        }
        return `${made.length} keys ready, shared by ${plan.repositories.length} repositories: ${made.join('; ')}`;
      });
      // The split key: made and split into cards before anything uses it (multi-shamir.ts), kept for the roots;
      // held from the moment it exists, so that any exit wipes it (the finally below).
      let results: MultiRepositoryResult[] = [];
      const pendingRoots = (): number => Math.min(unsignedRoots, plan.repositories.length - results.length);
      if (plan.shamir) {
        let madeSplitKey: SoftwareKey | undefined;
        try {
          await step('shamir-backup', 'make the shared software root key and split it into share cards', async () => {
            const made = await makeSplitRootKey(keysCtx, plan, { cardsGiven: rebuilt !== undefined });
            madeSplitKey = made.key;
            return made.note;
          });
        } finally {
          splitKey = splitKeyHolder(keysCtx, madeSplitKey, rebuilt, pendingRoots);
        }
        // Cards re-entered on resume are checked and the key rebuilt now, before any repository is signed.
        if (!madeSplitKey && unsignedRoots > 0) await splitKey.get();
      } else {
        onStep({ step: 'shamir-backup', status: 'skipped' });
      }

      // The shared keys' records; their signing keys are found when first needed (a resumed run that only
      // checks what was written asks no PIN): made in this run, or found again on the token by CKA_ID and
      // fingerprint — never made twice — or a rehearsal's software key kept in memory.
      const records = new Map<string, KeyRecord>();
      const sharedByName = new Map<string, string>();
      for (const k of plan.keys) {
        records.set(k.id, st.keys[keyName(k)]!);
        sharedByName.set(k.id, keyName(k));
      }
      const found = new Map<string, SigningKey>();
      const keyOf = async (id: string): Promise<SigningKey> => {
        const cached = found.get(id);
        if (cached) return cached;
        const name = sharedByName.get(id)!;
        const rec = records.get(id)!;
        let key = keysCtx.keys.get(name);
        if (!key && rec.origin === 'token' && rec.custodian && rec.label && rec.fingerprint) {
          const token = await keysCtx.token(rec.custodian);
          try {
            key = await token.findKey(rec.label, rec.fingerprint, rec.tokenKeyId ? new Uint8Array(Buffer.from(rec.tokenKeyId, 'hex')) : undefined);
          } catch (err) {
            // The token answered: it has no such key. What is wrong is the state's record (review 15e L2), not the hardware.
            if (!isCeremonyError(err, 'TOKEN_KEY_NOT_FOUND')) throw err;
            throw stateInvalid(stateFile.path, `$.keys.${name}`, `${rec.custodian}'s token holds no key with the public key the state records for ${name} (${err.message}): the state was edited, or this is not the token the key was made on`, err);
          }
          if (key.fingerprint !== rec.fingerprint || spkiText(key.spki) !== rec.spki) {
            throw stateInvalid(stateFile.path, `$.keys.${name}`, `the key found for ${name} is not the one made before the interruption (fingerprint ${key.fingerprint.slice(0, 16)}…, recorded ${rec.fingerprint.slice(0, 16)}…)`);
          }
          keysCtx.keys.set(name, key);
        }
        if (!key && rec.origin === 'shamir' && splitKey) key = await splitKey.get();
        key ??= await signingKeyOf(keysCtx, name); // software keys: refused when this process did not keep them
        found.set(id, key);
        return key;
      };

      let tokenSignatures = 0;
      results = [];
      const inventoryRecords: InventoryRepositoryRecord[] = [];
      for (const s of ['build-metadata', 'collect-signatures', 'verify-outputs', 'write-outputs'] as const) onStep({ step: s, status: 'started' });
      report(`build, sign, verify and write ${plan.repositories.length} repositories…`);
      let checked = 0;
      // One repository (one group: below) ahead: repository k+1 is built and signed in memory (oneRepository:
      // each signature checked in software as the token returns it; no file written, nothing recorded) while
      // repository k is verified as a client would, its files written and made durable and its entry recorded.
      // The CPU work of one runs while the other waits on the tokens' thread or the disk. What reaches the
      // disk and the transcript, and in what order, is what running them one after the other writes: one
      // write at a time, in plan order, each verified before its files are written and recorded only once
      // they are durable; an interruption leaves at most an unrecorded repository k+1 signed in memory,
      // lost with the process as any signature not yet written (resume signs it again).
      // A failed write of k stops k+1's preparation at its next token use (`stopped`, checked before each
      // key lookup, certificate and signature, so before any PIN or touch prompt): no token works for a
      // repository that is then thrown away, and k's error is not held up by a prompt nobody answers. A
      // repository that adopts files written before an interruption (resume) is written before the next one
      // is prepared: its files may still be refused (writeRepository's byte check), and then nothing is
      // signed after it, as in a sequential run.
      let stopped = false;
      const listed = new Map<string, ListedKey>();
      const serverKeys = new Map<string, Promise<ServerKey>>();
      let writing: Promise<void> | undefined;
      // Group commit (writeGroupSize): the repositories are written a group at a time, in plan order — the
      // group's files made durable in one pass (io/files.ts writeNewFilesInFolders), then its entries
      // recorded with one fsync, in plan order — while the next group is signed. With a group of one this is
      // the order described above, repository by repository.
      const groupSize = opts.writeGroup ?? writeGroupSize(plan.repositories.length);
      if (!Number.isSafeInteger(groupSize) || groupSize < 1) throw new CeremonyError('INTERNAL', `writeGroup must be a positive integer, not ${groupSize}`);
      const finish = async (group: { repo: PlannedRepository; prepared: PreparedRepository }[]): Promise<void> => {
        const checkedGroup: CheckedRepository[] = [];
        // Each verified as a client would, in plan order, before any of the group is written.
        for (const g of group) checkedGroup.push(await g.prepared.check());
        const done = await writeRepositories(checkedGroup, recordAll);
        for (const [k, r] of done.entries()) {
          const { repo, prepared } = group[k]!;
          tokenSignatures += prepared.tokenSignatures;
          if (r.journaled) checked += 1;
          results.push(r.result);
          inventoryRecords.push(r.inventory);
          opts.onRepository?.(results.length, plan.repositories.length, repo, tokenSignatures);
        }
      };
      const start = (group: { repo: PlannedRepository; prepared: PreparedRepository }[]): void => {
        writing = finish(group);
        // Its failure is awaited (and thrown) below; never left unhandled while the next group signs.
        writing.catch(() => {
          stopped = true;
        });
      };
      let group: { repo: PlannedRepository; prepared: PreparedRepository }[] = [];
      // OpenSSL's read-back of each Notary root certificate on a worker thread (io/certificate-readback-pool.ts)
      // for plans of 64 repositories or more, as for group commits: the thread's start (~30 ms) pays only there.
      if (plan.repositories.length >= 64 && plan.repositories.some((r) => r.profile === 'notary')) readBackPool = createReadBackPool();
      const readBack = readBackPool?.readBack;
      for (const repo of plan.repositories) {
        let prepared;
        try {
          prepared = await oneRepository({ repo, opts, hash: hash.sha256, rehearsal, now, report, fault, keyOf, records, record, journaled: journal.repositories.get(repo.safeName), resumed, listed, serverKeys, stopped: () => stopped, ...(readBack ? { readBack } : {}) });
        } catch (err) {
          // The write in flight ends first, as it would have before this repository began: its error, if any,
          // is the one that stopped the ceremony.
          await writing;
          throw err;
        }
        group.push({ repo, prepared });
        // A group is written once full; a repository that adopted files ends its group, and is written
        // before the next repository is begun.
        if (group.length < groupSize && !prepared.adopted) continue;
        // A failed write stops here, before the next group's files or entries.
        await writing;
        start(group);
        group = [];
        if (prepared.adopted) await writing;
      }
      await writing;
      if (group.length) {
        start(group);
        await writing;
      }
      if (checked) report(`  ${checked} repositories written before the interruption: files as recorded, verified again`);
      // Every root is signed: the split key is wiped now (its cards are its only copies).
      if (splitKey) {
        splitKey.dispose();
        found.delete(SHAMIR_SHARED_ID);
        report('  the shared software root key was wiped from memory; its share cards are its only copies');
      }
      for (const s of ['build-metadata', 'collect-signatures', 'verify-outputs', 'write-outputs'] as const) {
        st.steps[s] = { status: 'done', at: now().toISOString() };
        onStep({ step: s, status: 'done' });
      }
      await keysCtx.save();

      // The key inventory: a resumed run keeps the one it wrote — only when it is byte for byte the inventory
      // this ceremony builds from its own state and repositories (with the `updated` time the kept one
      // carries, the one field that depends on the clock), and the one the transcript records when it
      // records one. A file found in state/ is never sealed into the transcript as this ceremony's on its
      // word: the run may have stopped between writing it and recording it, or someone put it there.
      const inventoryPath = join(layout.state, INVENTORY_FILE);
      const inventoryName = inFolder(STATE_DIR, INVENTORY_FILE);
      const buildOurs = (at: Date) => buildInventory({ plan, state: st, repositories: inventoryRecords, planSha256: hash.sha256, now: at, rehearsal });
      if (await pathExists(inventoryPath)) {
        const kept = await readFileCapped(inventoryPath, INVENTORY_MAX_BYTES);
        const parsed = parseInventory(kept, inventoryName);
        if (journal.inventory !== undefined && journal.inventory !== sha256Hex(kept)) {
          throw new CeremonyError('CEREMONY_STATE_INVALID', `${inventoryName} is not the one written before the interruption`, { path: inventoryPath });
        }
        if (!Buffer.from(inventoryBytes(buildOurs(new Date(parsed.updated)))).equals(Buffer.from(kept))) {
          throw new CeremonyError(
            'CEREMONY_STATE_INVALID',
            `${inventoryName} is not the key inventory this ceremony builds from its keys and repositories: it was not written by this ceremony, or was changed. Nothing was kept; move it away, then resume`,
            { path: inventoryPath },
          );
        }
        if (journal.inventory === undefined && !transcriptSealed) {
          await record({ step: INVENTORY_WRITE_STEP, actor: APP_ACTOR, outputs: [{ name: inventoryName, sha256: sha256Hex(kept) }], note: `${inventoryName}: written before the interruption, byte for byte the inventory this ceremony builds, kept` });
        }
      } else {
        const inventory = buildOurs(now());
        // Checked against the limits the resume reads it with (review 13a M1); a plan's 5,000 repositories,
        // even with four keys of their own each, fit them with room to spare.
        const invBytes = checkedInventoryBytes(inventory, inventoryName);
        await writeFileAtomic(inventoryPath, invBytes);
        await fault('inventory-written');
        await record({
          step: INVENTORY_WRITE_STEP,
          actor: APP_ACTOR,
          outputs: [{ name: inventoryName, sha256: sha256Hex(invBytes) }],
          note: clipNote(`${INVENTORY_FILE}: ${inventory.keys.length} keys and the roles each holds in ${plan.repositories.length} repositories`),
        });
      }
      await fault('inventory');

      // The seal: the first custodian's root key, listed as TUF lists it (seal.ts).
      onStep({ step: SEAL_STEP_NAME, status: 'started' });
      const sealId = plan.keys.find((k) => k.role === 'root')!.id;
      const sealRecord = records.get(sealId)!;
      const sealListed = listPublicKey('tuf', spkiOf(sealRecord, sealId));
      if (writer && !st.sealed) {
        report(`sealing the transcript with ${plan.custodians[0]!.name}'s root key…`);
        await writer.seal(metadataSigner(await keyOf(sealId), sealListed));
        tokenSignatures += 1;
      }
      if (!st.sealed) {
        st.sealed = true;
        await keysCtx.save();
      }
      await fault('sealed');
      await file?.close();
      file = undefined;
      const bytes = await readFileCapped(transcriptPath, MAX_TRANSCRIPT_BYTES);
      const verified = verifyTranscript(bytes, { expectedSealKeyId: sealListed.keyId });
      const html = new TextEncoder().encode(renderTranscriptHtml(verified, { fileName: TRANSCRIPT_FILE }));
      const htmlPath = join(layout.state, TRANSCRIPT_HTML);
      if (await pathExists(htmlPath)) {
        const kept = await readFileCapped(htmlPath, MAX_TRANSCRIPT_BYTES * 4);
        if (!Buffer.from(kept).equals(Buffer.from(html))) throw new CeremonyError('OUTPUT_EXISTS', `${TRANSCRIPT_HTML} already exists; refusing to overwrite it`, { path: htmlPath });
      } else {
        await writeFileAtomic(htmlPath, html);
      }
      st.outputs[TRANSCRIPT_HTML] = sha256Hex(html);
      await keysCtx.save();
      report(`sealed ${TRANSCRIPT_FILE} (${verified.entries.length} entries) and wrote ${TRANSCRIPT_HTML}`);
      onStep({ step: SEAL_STEP_NAME, status: 'done' });
      return {
        outDir: opts.outDir,
        planSha256: hash.sha256,
        rehearsal,
        resumed,
        repositoriesDoneBefore: checked,
        repositories: results,
        tokenSignatures,
        sealKeyId: sealListed.keyId,
        inventory: inventoryName,
        transcript: inFolder(STATE_DIR, TRANSCRIPT_FILE),
        shareCards: await cardsPresent(layout.secret, st.shamir?.cards ?? []),
      };
    } catch (err) {
      const shape = toErrorShape(err);
      await writer
        ?.append({ step: 'ceremony.interrupted', actor: APP_ACTOR, note: clipNote(`stopped: error[${shape.code}]${err instanceof CeremonyError ? `: ${shape.message}` : ''}. Resume with the same plan and output folder.`) })
        .catch(() => undefined);
      throw err;
    }
  } finally {
    splitKey?.dispose();
    rebuilt?.key.dispose();
    await readBackPool?.close();
    await file?.close();
  }
}

interface OneRepository {
  repo: PlannedRepository;
  opts: RunMultiCeremonyOptions;
  hash: string;
  rehearsal: boolean;
  now: () => Date;
  report: (line: string) => void;
  fault: (point: string) => void | Promise<void>;
  /** The signing key of a shared key (by its ID in the plan), found when first needed. */
  keyOf: (id: string) => Promise<SigningKey>;
  records: Map<string, KeyRecord>;
  record: (e: EntryInput) => Promise<void>;
  /** The files the transcript records as written for this repository (resume). */
  journaled: ReadonlyMap<string, string> | undefined;
  /** A resumed run: the repository's folder may hold files written before the interruption. */
  resumed: boolean;
  /** Listings of the shared keys without a certificate, by profile and key ID: the same in every repository. */
  listed: Map<string, ListedKey>;
  /** Server keys read for earlier repositories, by profile, role, key file and hash. */
  serverKeys: Map<string, Promise<ServerKey>>;
  /** True once the write of the repository before this one has failed: no token is used after that. */
  stopped: () => boolean;
  /** Where OpenSSL reads each root certificate back (makeNotaryRootCertificate): a worker thread's, for large plans. */
  readBack?: OpensslReadBack;
}

/**
 * A repository built and signed in memory, each signature checked in software as it came back: nothing of
 * it is on disk or in the transcript yet.
 */
interface PreparedRepository {
  /** Token signatures made for it (certificates and metadata; adopted ones not counted). */
  tokenSignatures: number;
  /** It adopted files written before an interruption (resume): its write may refuse them, so it is written before the next repository is prepared. */
  adopted: boolean;
  /** Verify it as a client would, and compare what an interruption left of it (checkRepository); writeRepositories writes and records it. */
  check: () => Promise<CheckedRepository>;
}

/**
 * Build and sign one repository with the shared keys, in memory; `write` then verifies, writes and records
 * it (one transcript entry). On resume, the files already in its folder are adopted (multi-resume.ts):
 * their certificates and signatures reused, checked again, never signed anew; a repository the transcript
 * records as written is only checked.
 */
async function oneRepository(a: OneRepository): Promise<PreparedRepository> {
  const { repo, opts } = a;
  const plan = repo.plan;
  const notary = plan.profile === 'notary';
  const dir = repositoryFolder(repo.safeName);
  const folder = join(opts.outDir, METADATA_DIR, repo.safeName);
  const expected = metadataFileNames(plan);
  // attestations.json rides along when a shared key has a YubiKey attestation (verify-outputs.ts).
  // Where a test sees which repositories were begun (nothing is read, signed or written before it).
  await a.fault(`prepare:${repo.name}`);
  const written = a.resumed ? await writtenRepository(folder, dir, [...expected, ATTESTATIONS_FILE], a.journaled) : { files: new Map<string, Uint8Array>(), removed: [] };
  checkWrittenPrefix(written.files.keys(), writtenRoles(plan), dir, folder);
  const adopted = written.files.size ? adoptWritten(written.files, dir) : undefined;
  const complete = expected.every((n) => written.files.has(n));
  if (a.journaled && !complete) throw new CeremonyError('CEREMONY_STATE_INVALID', `${dir}: the transcript records it as written, but not every file is there`, { path: folder });

  const state: CeremonyState = newState({ planSha256: a.hash, profile: plan.profile, repository: plan.repository, rehearsal: a.rehearsal, now: a.now() });
  const gathered = gatherer();
  const softwareKeys = new Map<string, SigningKey>();
  const ctx: CeremonyContext = makeContext({
    plan,
    planSha256: a.hash,
    planDir: opts.planDir,
    outDir: opts.outDir,
    state,
    stateFile: memoryStateFile,
    tokens: opts.tokens,
    transcript: gathered.writer,
    softwareKeys,
    now: a.now,
    report: () => undefined,
    fault: a.fault,
  });
  // A server's key file, read and checked once per run for each profile, role, file and hash: the same key in
  // every repository naming it (its parse does not depend on the repository: online-key.ts).
  const serverKeyOfCtx = ctx.serverKey;
  ctx.serverKey = (role) => {
    const src = plan[role].key;
    if (src.kind !== 'server') return serverKeyOfCtx(role);
    const memo = JSON.stringify([plan.profile, role, src.keyFile, src.sha256]);
    let key = a.serverKeys.get(memo);
    if (!key) {
      // Shared by every repository naming it, so frozen like the shared listings (keys.ts): an edit in one
      // repository's root.json cannot reach the next one's.
      key = serverKeyOfCtx(role).then((s) => Object.freeze({ ...s, json: frozen(s.json) }));
      a.serverKeys.set(memo, key);
      // A refusal is not kept: the next repository asks again (and is refused again).
      key.catch(() => a.serverKeys.delete(memo));
    }
    return key;
  };
  // The write of the repository before this one failed: stop before the next token use. The loop throws
  // that write's error, not this one (runMultiCeremony).
  const go = (): void => {
    if (a.stopped()) throw new CeremonyError('INTERNAL', `${dir}: not prepared, the repository before it was not written`);
  };
  const keyOf = async (id: string): Promise<SigningKey> => {
    go();
    const key = await a.keyOf(id);
    go();
    return stoppable(key, go);
  };
  let tokenSignatures = 0;
  const certificates: { custodian: string; keyId: string; notAfter: string }[] = [];
  for (const planned of plannedKeys(plan)) {
    const id = sharedKeyId(repo, planned);
    if (id) {
      const shared = a.records.get(id)!;
      // A repository whose files are all written needs no signing key: every signature is adopted. The split
      // key signs root only: once root.json is written (adopted), it is not needed (nor its cards asked).
      const needed = !complete && !(planned.source.kind === 'shamir' && adopted?.signatures.root);
      const key = needed ? await keyOf(id) : undefined;
      const rec: KeyRecord = { ...shared, role: planned.role };
      delete rec.certificate;
      let certificatePem: string | undefined;
      let listed: ListedKey | undefined;
      if (notary && planned.role === 'root') {
        // Notary checks each GUN's root certificates against that GUN (CN = GUN): one per repository, each
        // signed by the custodian's key on their token and verified by makeNotaryRootCertificate, which
        // lists the key with it (the same listing listPublicKey gives: no second parse) — or, on resume,
        // the one the root.json written before the interruption lists (checked with it below).
        certificatePem = adopted?.certificates.get(shared.fingerprint!);
        if (!certificatePem) {
          if (!key || adopted?.signatures.root) {
            throw new CeremonyError('CEREMONY_STATE_INVALID', `${dir}/root.json, written before the interruption, does not list ${rec.custodian ?? planned.name}'s root key: it is not this ceremony's`, { path: join(folder, 'root.json') });
          }
          const now = a.now();
          go();
          const cert = await makeNotaryRootCertificate(key, { gun: plan.repository, notBefore: new Date(now.getTime() - 5 * 60_000), notAfter: plan.root.expires.date, ...(a.readBack ? { readBack: a.readBack } : {}) });
          if (cert.listed.key.fingerprint !== shared.fingerprint) throw new CeremonyError('INTERNAL', `the certificate of ${planned.name} is not for the key recorded`);
          certificatePem = cert.pem;
          listed = cert.listed;
          if (shared.origin === 'token') tokenSignatures += 1;
        }
        rec.certificate = certificatePem;
      }
      if (!listed && !certificatePem) {
        // The same for every repository of the profile: listed once per run.
        const memo = `${plan.profile}:${id}`;
        listed = a.listed.get(memo);
        if (!listed) a.listed.set(memo, (listed = listPublicKey(plan.profile, spkiOf(shared, id))));
      }
      listed ??= listPublicKey(plan.profile, spkiOf(shared, id), certificatePem ? { certificatePem } : {});
      rec.keyId = listed.keyId;
      // buildRootSigned and each signer list the key from its record: this listing, not a second parse.
      rememberListing(plan.profile, rec, listed);
      state.keys[planned.name] = rec;
      if (key) {
        if (shared.origin === 'software') softwareKeys.set(planned.name, key);
        else ctx.keys.set(planned.name, key);
      }
      if (certificatePem && rec.custodian) certificates.push({ custodian: rec.custodian, keyId: listed.keyId, notAfter: plan.root.expires.text });
      continue;
    }
    const source = planned.source;
    if (source.kind === 'server') {
      const s = await ctx.serverKey(planned.role as 'snapshot' | 'timestamp');
      state.keys[planned.name] = { role: planned.role, origin: 'server', algorithm: s.key.algorithm, status: 'ready', fingerprint: s.key.fingerprint, spki: spkiText(s.key.spki), keyId: s.keyId };
    } else if (source.kind === 'publisher') {
      const p = await ctx.publisherKey(source);
      state.keys[planned.name] = { role: 'targets', origin: 'publisher', algorithm: p.key.algorithm, status: 'ready', fingerprint: p.key.fingerprint, spki: spkiText(p.spki), keyId: p.keyId };
    } else {
      throw new CeremonyError('INTERNAL', `key ${planned.name} of ${repo.name} is neither shared nor a file`);
    }
  }
  state.steps['generate-keys'] = { status: 'done', at: a.now().toISOString() };

  // Signatures the written files carry, by keys of this repository only: collect-signatures verifies each
  // again over the rebuilt bytes and signs only what is missing.
  const adoptedSigs = new Set<string>();
  if (adopted) {
    const ours = new Set(Object.values(state.keys).map((k) => k.keyId));
    for (const [role, sigs] of Object.entries(adopted.signatures) as [MetadataRole, SignatureJson[]][]) {
      state.signatures[role] = sigs.filter((s) => ours.has(s.keyid));
      for (const s of state.signatures[role]) adoptedSigs.add(`${role}.sign:${s.keyid}`);
    }
  }
  // A role whose file was written is never signed again: its file must carry every signature it needs —
  // with `shamir`, the split key's too (it signs every root.json, README; review L1): checked here, before
  // any token signs for this repository (the repositories before it are journaled: nothing signed for them).
  // The bytes of those files are compared later, in writeRepository; the loop writes a repository that
  // adopted files before it prepares the next one, so a refusal there too comes before any token signs
  // for a later repository.
  if (adopted) {
    for (const role of writtenRoles(plan).filter((r) => adopted.signatures[r])) {
      const signers = role === 'root' ? [...plan.custodians.slice(0, plan.root.threshold).map((c) => `root/${c.name}`), ...(plan.shamir ? [SHAMIR_KEY] : [])] : [role];
      for (const name of signers) {
        if (!state.signatures[role]?.some((s) => s.keyid === state.keys[name]?.keyId)) {
          const who = name === SHAMIR_KEY ? 'the split software root key' : (state.keys[name]?.custodian ?? name);
          throw new CeremonyError('CEREMONY_STATE_INVALID', `${dir}/${role}.json, written before the interruption, lacks the signature of ${who}`, { path: join(folder, `${role}.json`) });
        }
      }
    }
  }

  await buildMetadata.run(ctx);
  await collectSignatures.run(ctx);
  for (const e of gathered.entries) if (e.token && !adoptedSigs.has(`${e.step}:${e.token.keyId}`)) tokenSignatures += 1;
  return { tokenSignatures, adopted: written.files.size > 0, check: () => checkRepository(a, { ctx, state, gathered, written, certificates, folder, dir }) };
}

/**
 * The key as it is, but its `sign` (where a token asks for a PIN or a touch) first calls `go`, which throws
 * once the repository being prepared is to be thrown away.
 */
function stoppable(key: SigningKey, go: () => void): SigningKey {
  return {
    ...withSign(key, async (data, hash, opts) => {
      go();
      return key.sign(data, hash, opts);
    }),
    ...(key.alwaysAuthenticate !== undefined ? { alwaysAuthenticate: key.alwaysAuthenticate } : {}),
    ...(key.signsWithoutPin !== undefined ? { signsWithoutPin: key.signsWithoutPin } : {}),
  };
}

/** What writeRepository needs of a prepared repository. */
interface BuiltRepository {
  ctx: CeremonyContext;
  state: CeremonyState;
  gathered: { entries: EntryInput[] };
  written: { files: Map<string, Uint8Array>; removed: string[] };
  certificates: { custodian: string }[];
  folder: string;
  dir: string;
}

/** A repository verified and ready to write: what writeRepositories writes and records for it. */
interface CheckedRepository {
  a: OneRepository;
  b: BuiltRepository;
  /** Every file of the repository, as verified. */
  files: { name: string; bytes: Uint8Array }[];
  /** The files written before an interruption, found byte for byte what this ceremony rebuilds. */
  kept: string[];
}

/**
 * The second half of a repository, first part: verified as a client would (verify-outputs.ts), and the
 * files an interruption left compared with what the adopted signatures rebuild — before anything of its
 * group is written.
 */
async function checkRepository(a: OneRepository, b: BuiltRepository): Promise<CheckedRepository> {
  const { ctx, written, folder, dir } = b;
  const files = await verifiedOutputs(ctx);

  // Files written before the interruption must be exactly what the adopted signatures rebuild; the others
  // are written now (an interruption between two of them leaves a subset, each file complete).
  const kept: string[] = [];
  for (const f of files) {
    const before = written.files.get(f.name);
    if (!before) continue;
    if (!Buffer.from(before).equals(Buffer.from(f.bytes))) {
      throw new CeremonyError('CEREMONY_STATE_INVALID', `${dir}/${f.name}, written before the interruption, is not what this ceremony rebuilds from it; move the folder away to sign it anew`, { path: join(folder, f.name) });
    }
    kept.push(f.name);
  }
  return { a, b, files, kept };
}

/**
 * The second half of a group of repositories (one or more, in plan order), each checked (checkRepository):
 * their files written, then their transcript entries — in that order, so that nothing is written before it
 * is verified nor recorded before it is durable. runMultiCeremony runs this for one group while the next is
 * built and signed in memory (oneRepository), never two of these at once.
 *
 * The group commit (issue #17), and what a crash leaves at each step:
 *   1. every file not yet written, of every repository of the group, in one writeNewFilesInFolders pass:
 *      each still atomic (temporary name, fsync, link — never over a file), the bytes' fsyncs together,
 *      each folder fsync'd once per role, role by role across the group (writeRank). A crash leaves, in each
 *      folder of the group, a prefix of its roles, each file complete — what resume adopts (multi-resume.ts)
 *      — and no entry for any of them;
 *   2. the group's entries, in plan order, appended as one write made durable by one fsync
 *      (TranscriptWriter.appendAll), only once every file of the group is durable. A crash leaves a prefix of
 *      those entries (a line cut short is removed on resume); each entry that survives records files that
 *      were durable before it was written, and a repository whose entry is lost is adopted from its files on
 *      resume, checked, and recorded then.
 * So no file is recorded before it is durable, no file is written unverified, and no name replaces a file;
 * what is new against one repository at a time is only that several repositories of one group can be
 * half-written, or written and unrecorded, at once — each resumes as one would alone. The fault points are
 * a repository's: `written:<repository>/<file>` after each name appears, `written:<repository>` once all
 * of the group's files are durable, `recorded:<repository>` once the group's entries are.
 */
async function writeRepositories(group: CheckedRepository[], recordAll: (es: EntryInput[]) => Promise<void>): Promise<{ result: MultiRepositoryResult; inventory: InventoryRepositoryRecord; journaled: boolean }[]> {
  const nameOf = new Map(group.map((c) => [c.b.folder, c.a.repo.name]));
  const fault = group[0]!.a.fault;
  await writeNewFilesInFolders(
    group.map((c) => ({ dir: c.b.folder, files: c.files.filter((x) => !c.b.written.files.has(x.name)) })),
    { rank: writeRank, afterLink: (folder, name) => fault(`written:${nameOf.get(folder)!}/${name}`) },
  );
  for (const c of group) await c.a.fault(`written:${c.a.repo.name}`);

  const entries: EntryInput[] = [];
  for (const c of group) {
    const { a, b, files, kept } = c;
    if (a.journaled) continue;
    const { repo } = a;
    const plan = repo.plan;
    const notary = plan.profile === 'notary';
    const { state, gathered, written, certificates, dir } = b;
    const outputs = files.map((f) => ({ name: `${dir}/${f.name}`, sha256: sha256Hex(f.bytes) }));
    const signers = (['root', 'targets', 'snapshot', 'timestamp'] as const)
      .map((role) => {
        const who = gathered.entries
          .filter((e) => e.step === `${role}.sign`)
          .map((e) => (e.actor.role === 'custodian' ? e.actor.name : e.note?.startsWith(SPLIT_KEY_PERSON) ? SPLIT_KEY_PERSON : 'rehearsal software key'));
        return who.length ? `${role}.json by ${who.join(', ')}` : '';
      })
      .filter(Boolean);
    entries.push({
      step: REPOSITORY_WRITE_STEP,
      actor: APP_ACTOR,
      digests: (['root', 'targets', 'snapshot', 'timestamp'] as const).filter((r) => state.signed[r]).map((r) => ({ label: `${r}.json v1, the bytes signed`, sha256: state.signed[r]! })),
      outputs,
      note: clipNote(
        `${plan.profile} repository ${repo.name} → ${dir}/: signed ${signers.join('; ')}, each signature verified before it was kept${notary ? `; root certificates CN=${repo.name} issued by ${certificates.map((x) => x.custodian).join(', ')}'s root keys` : ''}; verified as a client would with the new root pinned${kept.length ? `; ${kept.join(', ')} written before an interruption, signatures and bytes checked again and kept` : ''}${written.removed.length ? `; removed temporary files of an interrupted write: ${written.removed.join(', ')}` : ''}`,
      ),
    });
  }
  await recordAll(entries);
  for (const c of group) {
    if (c.a.journaled) continue;
    c.a.report(`  ${c.a.repo.name} → ${c.b.dir}/ (${c.files.map((f) => f.name).join(', ')})`);
    await c.a.fault(`recorded:${c.a.repo.name}`);
  }

  return group.map(({ a, b, files }) => {
    const plan = a.repo.plan;
    const { state, dir } = b;
    const rootFile = files.find((f) => f.name === 'root.json');
    const keyIdOf = (name: string): string => state.keys[name]?.keyId ?? '';
    const roleKeys = plannedKeys(plan).map((p) => {
      const k = state.keys[p.name]!;
      return { role: p.role, keyId: keyIdOf(p.name), fingerprint: k.fingerprint!, algorithm: k.algorithm, origin: k.origin, ...(k.certificate ? { certificateExpires: plan.root.expires.text } : {}) };
    });
    return {
      journaled: a.journaled !== undefined,
      result: {
        name: a.repo.name,
        profile: plan.profile,
        dir,
        metadata: files.map((f) => f.name),
        rootKeyIds: [...plan.custodians.map((c) => keyIdOf(`root/${c.name}`)), ...(plan.shamir ? [keyIdOf(SHAMIR_KEY)] : [])],
        keyIds: { targets: keyIdOf('targets'), snapshot: keyIdOf('snapshot'), timestamp: keyIdOf('timestamp') },
      },
      // The root the roles are read from (v1, the bytes written): `keys` / `status` call the inventory stale once it differs.
      inventory: { name: a.repo.name, profile: plan.profile, dir, keys: roleKeys, expires: roleExpiry(plan), ...(rootFile ? { root: { version: 1, sha256: sha256Hex(rootFile.bytes) } } : {}) },
    };
  });
}

function roleExpiry(plan: PlannedRepository['plan']): Record<string, string> {
  const out: Record<string, string> = { root: plan.root.expires.text, targets: plan.targets.expires.text };
  for (const r of ['snapshot', 'timestamp'] as const) {
    const rl = plan[r];
    if ('expires' in rl) out[r] = rl.expires.text;
  }
  return out;
}
