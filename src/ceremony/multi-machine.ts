/**
 * The root ceremony of a multi-repository plan (issue #17, multi-plan.ts): one session, one PIN per
 * custodian, one transcript, many repositories.
 *
 * 1. Check the custodians' tokens (steps/check-tokens.ts, as for one repository).
 * 2. Make every distinct key once (steps/generate-keys.ts makeHeldKey): each custodian's root key, the
 *    shared targets (and held snapshot/timestamp) keys, a repository's own keys; keys the plan names from
 *    an earlier ceremony are found by CKA_ID and fingerprint instead.
 * 3. For each repository, in plan order (the next one built and signed while one is written): Notary root certificates for that GUN (CN = GUN) signed by each
 *    custodian's root key on their token; root, targets, snapshot (and TUF timestamp) v1 built, signed and
 *    verified exactly as a one-repository ceremony does (the same steps, run on the repository's own plan
 *    with the shared keys), then verified as a client would (verify-outputs.ts) and written, never over an
 *    existing file, to `OUT/repositories/<safe name>/` (repository-names.ts). The transcript gets one entry
 *    per repository: the bytes each role signed, who signed, the files written with their SHA-256.
 * 4. The transcript is sealed with the first custodian's root key and printed (transcript.html).
 *
 * The outputs: `OUT/transcript.jsonl`, `OUT/transcript.html`, `OUT/ceremony-state.json` (the keys: public
 * facts only), `OUT/repositories/<safe name>/{root,targets,snapshot,timestamp}.json` (TUF also
 * `1.root.json`, and with consistent snapshots `1.snapshot.json`, `1.targets.json`), and
 * `OUT/key-inventory.json` (which key holds which role in which repository: inventory.ts).
 *
 * Not yet: resuming an interrupted multi-repository ceremony (an output folder that holds one is refused,
 * OUTPUT_EXISTS); a one-repository ceremony resumes as before (machine.ts).
 */
import { join } from 'node:path';
import { CeremonyError, toErrorShape } from '../errors.js';
import type { EntryInput, TranscriptWriter } from '../audit/transcript.js';
import { verifyTranscript } from '../audit/verify.js';
import { renderTranscriptHtml } from '../audit/render.js';
import { MAX_TRANSCRIPT_BYTES } from '../audit/schema.js';
import { createTranscriptFile, type AppendOnlyFile } from '../io/append.js';
import { assertAbsent, readFileCapped, writeFileAtomic, writeNewFilesAtomic } from '../io/files.js';
import { sha256Hex } from '../crypto/digest.js';
import { makeNotaryRootCertificate } from '../signers/certificate.js';
import { metadataSigner } from '../signers/metadata-signer.js';
import { listPublicKey, type ListedKey } from '../signers/public-key-json.js';
import type { SigningKey } from '../signers/signing-key.js';
import { makeContext, type CeremonyContext } from './context.js';
import { spkiOf, spkiText } from './keys.js';
import { APP_VERSION, SEAL_STEP_NAME, type CeremonyStepEvent } from './machine.js';
import { readPlanInputs } from './plan-inputs.js';
import { checkPlanDates, plannedKeys, type PlannedKey } from './plan.js';
import { describeIntentHash, intentHash } from './plan-hash.js';
import { REPOSITORIES_DIR } from './repository-names.js';
import { sharedKeyId, type MultiRepositoryPlan, type PlannedRepository, type SharedKey } from './multi-plan.js';
import { newState, StateFile, STATE_FILE, type CeremonyState, type KeyRecord } from './state.js';
import { buildMetadata } from './steps/build-metadata.js';
import { checkTokens } from './steps/check-tokens.js';
import { collectSignatures } from './steps/collect-signatures.js';
import { makeHeldKey } from './steps/generate-keys.js';
import { APP_ACTOR, clipNote } from './steps/step.js';
import { verifiedOutputs } from './steps/verify-outputs.js';
import { TRANSCRIPT_FILE, TRANSCRIPT_HTML } from './outputs.js';
import type { TokenProvider } from './tokens.js';
import { buildInventory, INVENTORY_FILE, inventoryBytes, type InventoryRepositoryRecord } from './inventory.js';

export { REPOSITORIES_DIR };

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
  /** Called after each repository is written (index, count): progress for the app and benches. */
  onRepository?: (done: number, total: number, repo: PlannedRepository) => void;
  fault?: (point: string) => void | Promise<void>;
}

export interface MultiRepositoryResult {
  name: string;
  profile: 'notary' | 'tuf';
  /** The repository's folder, relative to outDir: `repositories/<safe name>`. */
  dir: string;
  metadata: string[];
  rootKeyIds: string[];
  keyIds: { targets: string; snapshot: string; timestamp: string };
}

export interface MultiCeremonyResult {
  outDir: string;
  planSha256: string;
  rehearsal: boolean;
  repositories: MultiRepositoryResult[];
  /** Token signatures made: certificates, metadata, the seal (keys' self-tests not counted). */
  tokenSignatures: number;
  sealKeyId: string;
  inventory: string;
}

/** The name the keys' state records a shared key under. */
function keyName(k: SharedKey): string {
  const s = k.source;
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
  for (const repo of plan.repositories) {
    for (const input of await readPlanInputs(repo.plan, opts.planDir)) if (!inputs.some((i) => i.name === input.name)) inputs.push(input);
  }
  for (const line of describeIntentHash(hash)) report(line);
  if (opts.tokens.rehearsal) report(opts.tokens.rehearsal.notice);

  await assertAbsent(
    [STATE_FILE, TRANSCRIPT_FILE, TRANSCRIPT_HTML, INVENTORY_FILE, REPOSITORIES_DIR].map((n) => join(opts.outDir, n)),
    ' (a multi-repository ceremony writes into a new folder; resuming one is not supported yet)',
  );
  const stateFile = new StateFile(opts.outDir);
  const state = newState({ planSha256: hash.sha256, profile: first.profile, repository: headerName(plan), rehearsal, now: now() });
  await stateFile.create(state);

  let file: AppendOnlyFile | undefined;
  try {
    let writer: TranscriptWriter;
    ({ writer, file } = await createTranscriptFile(
      join(opts.outDir, TRANSCRIPT_FILE),
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
        `multi-repository root ceremony: ${plan.repositories.length} ${[...profiles].join(' and ')} repositories sharing ${plan.keys.length} keys; ${plan.custodians.length} custodians, root threshold ${plan.root.threshold}; ${inputs.length} key files read next to the plan${opts.tokens.rehearsal ? `. ${opts.tokens.rehearsal.notice}` : ''}`,
      ),
    });

    // The keys' context runs on the first repository's plan: custodians and root are the same in all.
    const keysCtx = makeContext({
      plan: first.plan,
      planSha256: hash.sha256,
      planDir: opts.planDir,
      outDir: opts.outDir,
      state,
      stateFile,
      tokens: opts.tokens,
      transcript: writer,
      softwareKeys: opts.softwareKeys ?? new Map(),
      now,
      report,
      fault,
    });

    const step = async (name: 'check-tokens' | 'generate-keys', title: string, run: () => Promise<string>): Promise<void> => {
      report(`${title}…`);
      state.steps[name] = { status: 'started', at: now().toISOString() };
      await keysCtx.save();
      onStep({ step: name, status: 'started' });
      const note = await run();
      await writer.append({ step: `ceremony.${name}`, actor: APP_ACTOR, note: clipNote(note) });
      state.steps[name] = { status: 'done', at: now().toISOString() };
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
          if (k.source.kind !== 'token' && k.source.kind !== 'software') throw new CeremonyError('INTERNAL', `shared key ${k.id} is not held`);
          made.push(await makeHeldKey(keysCtx, planned, k.source, { certificate: false }));
        }
        return `${made.length} keys ready, shared by ${plan.repositories.length} repositories: ${made.join('; ')}`;
      });
      onStep({ step: 'shamir-backup', status: 'skipped' });

      // The signing keys, by shared key ID, found once.
      const signing = new Map<string, SigningKey>();
      const records = new Map<string, KeyRecord>();
      for (const k of plan.keys) {
        const name = keyName(k);
        records.set(k.id, state.keys[name]!);
        signing.set(k.id, keysCtx.keys.get(name) ?? keysCtx.softwareKeys.get(name)!);
      }

      let tokenSignatures = 0;
      const results: MultiRepositoryResult[] = [];
      const inventoryRecords: InventoryRepositoryRecord[] = [];
      for (const s of ['build-metadata', 'collect-signatures', 'verify-outputs', 'write-outputs'] as const) onStep({ step: s, status: 'started' });
      report(`build, sign, verify and write ${plan.repositories.length} repositories…`);
      // Pipelined by one repository: while a repository's files are written and fsync'd and its transcript
      // entry appended, the next one is built and signed (the tokens' work and the medium's overlap). The
      // order is kept — an entry is appended only after its files are durable, entries in plan order — and
      // a failure in either stops the ceremony after the write in flight has settled.
      let writing: Promise<void> = Promise.resolve();
      for (const repo of plan.repositories) {
        let prepared: PreparedRepository;
        try {
          prepared = await prepareRepository({ repo, opts, hash: hash.sha256, rehearsal, now, report, fault, signing, records, writer });
        } catch (err) {
          await writing.catch(() => undefined);
          throw err;
        }
        await writing;
        writing = writeRepository(prepared, { opts, report, fault, writer }).then((r) => {
          tokenSignatures += r.tokenSignatures;
          results.push(r.result);
          inventoryRecords.push(r.inventory);
          opts.onRepository?.(results.length, plan.repositories.length, repo);
        });
        // Seen when awaited above (or below); this only keeps an early failure from being reported as unhandled.
        writing.catch(() => undefined);
      }
      await writing;
      for (const s of ['build-metadata', 'collect-signatures', 'verify-outputs', 'write-outputs'] as const) {
        state.steps[s] = { status: 'done', at: now().toISOString() };
        onStep({ step: s, status: 'done' });
      }
      await keysCtx.save();

      const inventory = buildInventory({ plan, state, repositories: inventoryRecords, planSha256: hash.sha256, now: now(), rehearsal });
      const invBytes = inventoryBytes(inventory);
      await writeFileAtomic(join(opts.outDir, INVENTORY_FILE), invBytes);
      await writer.append({
        step: 'inventory.write',
        actor: APP_ACTOR,
        outputs: [{ name: INVENTORY_FILE, sha256: sha256Hex(invBytes) }],
        note: clipNote(`${INVENTORY_FILE}: ${inventory.keys.length} keys and the roles each holds in ${plan.repositories.length} repositories`),
      });

      // The seal: the first custodian's root key, listed as TUF lists it (seal.ts).
      onStep({ step: SEAL_STEP_NAME, status: 'started' });
      const sealId = plan.keys.find((k) => k.role === 'root')!.id;
      const sealRecord = records.get(sealId)!;
      const sealListed = listPublicKey('tuf', spkiOf(sealRecord, sealId));
      report(`sealing the transcript with ${plan.custodians[0]!.name}'s root key…`);
      await writer.seal(metadataSigner(signing.get(sealId)!, sealListed));
      tokenSignatures += 1;
      state.sealed = true;
      await keysCtx.save();
      await file.close();
      file = undefined;
      const bytes = await readFileCapped(join(opts.outDir, TRANSCRIPT_FILE), MAX_TRANSCRIPT_BYTES);
      const verified = verifyTranscript(bytes, { expectedSealKeyId: sealListed.keyId });
      const html = new TextEncoder().encode(renderTranscriptHtml(verified, { fileName: TRANSCRIPT_FILE }));
      await writeFileAtomic(join(opts.outDir, TRANSCRIPT_HTML), html);
      state.outputs[TRANSCRIPT_HTML] = sha256Hex(html);
      await keysCtx.save();
      report(`sealed ${TRANSCRIPT_FILE} (${verified.entries.length} entries) and wrote ${TRANSCRIPT_HTML}`);
      onStep({ step: SEAL_STEP_NAME, status: 'done' });
      return { outDir: opts.outDir, planSha256: hash.sha256, rehearsal, repositories: results, tokenSignatures, sealKeyId: sealListed.keyId, inventory: INVENTORY_FILE };
    } catch (err) {
      const shape = toErrorShape(err);
      await writer
        .append({ step: 'ceremony.interrupted', actor: APP_ACTOR, note: clipNote(`stopped: error[${shape.code}]${err instanceof CeremonyError ? `: ${shape.message}` : ''}. A multi-repository ceremony does not resume yet: start again in a new folder.`) })
        .catch(() => undefined);
      throw err;
    }
  } finally {
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
  signing: Map<string, SigningKey>;
  records: Map<string, KeyRecord>;
  writer: TranscriptWriter;
}

/** A repository built, signed and verified as a client would, not yet written. */
interface PreparedRepository {
  repo: PlannedRepository;
  state: CeremonyState;
  files: { name: string; bytes: Uint8Array }[];
  entries: EntryInput[];
  certificates: { custodian: string; keyId: string; notAfter: string }[];
  tokenSignatures: number;
}

/** Build, sign and verify one repository with the shared keys (writeRepository writes it). */
async function prepareRepository(a: OneRepository): Promise<PreparedRepository> {
  const { repo, opts } = a;
  const plan = repo.plan;
  const notary = plan.profile === 'notary';
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
  let tokenSignatures = 0;
  const certificates: { custodian: string; keyId: string; notAfter: string }[] = [];
  for (const planned of plannedKeys(plan)) {
    const id = sharedKeyId(repo, planned);
    if (id) {
      const shared = a.records.get(id)!;
      const key = a.signing.get(id)!;
      const rec: KeyRecord = { ...shared, role: planned.role };
      delete rec.certificate;
      let certificatePem: string | undefined;
      let listed: ListedKey | undefined;
      if (notary && planned.role === 'root') {
        // Notary checks each GUN's root certificates against that GUN (CN = GUN): one per repository, each
        // signed by the custodian's key on their token and verified by makeNotaryRootCertificate, which
        // lists the key with it (the same listing listPublicKey gives: no second parse).
        const now = a.now();
        const cert = await makeNotaryRootCertificate(key, { gun: plan.repository, notBefore: new Date(now.getTime() - 5 * 60_000), notAfter: plan.root.expires.date });
        if (cert.listed.key.fingerprint !== shared.fingerprint) throw new CeremonyError('INTERNAL', `the certificate of ${planned.name} is not for the key recorded`);
        certificatePem = cert.pem;
        listed = cert.listed;
        if (shared.origin === 'token') tokenSignatures += 1;
        rec.certificate = certificatePem;
      }
      listed ??= listPublicKey(plan.profile, spkiOf(shared, id));
      rec.keyId = listed.keyId;
      state.keys[planned.name] = rec;
      if (shared.origin === 'software') softwareKeys.set(planned.name, key);
      else ctx.keys.set(planned.name, key);
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

  await buildMetadata.run(ctx);
  await collectSignatures.run(ctx);
  const files = await verifiedOutputs(ctx);
  for (const e of gathered.entries) if (e.token) tokenSignatures += 1;
  return { repo, state, files, entries: gathered.entries, certificates, tokenSignatures };
}

/** Write a prepared repository (never over a file) and its one transcript entry. */
async function writeRepository(
  prepared: PreparedRepository,
  a: Pick<OneRepository, 'opts' | 'report' | 'fault' | 'writer'>,
): Promise<{ result: MultiRepositoryResult; inventory: InventoryRepositoryRecord; tokenSignatures: number }> {
  const { repo, state, files, certificates, tokenSignatures } = prepared;
  const { opts } = a;
  const plan = repo.plan;
  const notary = plan.profile === 'notary';
  const gathered = { entries: prepared.entries };
  const dir = `${REPOSITORIES_DIR}/${repo.safeName}`;
  // All of a repository's files at once: each still atomic, never over a file, fsync'd before its name
  // appears; the fsyncs together and the folder's once (io/files.ts writeNewFilesAtomic).
  await writeNewFilesAtomic(join(opts.outDir, REPOSITORIES_DIR, repo.safeName), files);
  const written = files.map((f) => ({ name: `${dir}/${f.name}`, sha256: sha256Hex(f.bytes) }));
  await a.fault(`written:${repo.name}`);

  const signers = (['root', 'targets', 'snapshot', 'timestamp'] as const)
    .map((role) => {
      const who = gathered.entries.filter((e) => e.step === `${role}.sign`).map((e) => (e.actor.role === 'custodian' ? e.actor.name : 'rehearsal software key'));
      return who.length ? `${role}.json by ${who.join(', ')}` : '';
    })
    .filter(Boolean);
  await a.writer.append({
    step: 'repository.write',
    actor: APP_ACTOR,
    digests: (['root', 'targets', 'snapshot', 'timestamp'] as const).filter((r) => state.signed[r]).map((r) => ({ label: `${r}.json v1, the bytes signed`, sha256: state.signed[r]! })),
    outputs: written,
    note: clipNote(
      `${plan.profile} repository ${repo.name} → ${dir}/: signed ${signers.join('; ')}, each signature verified before it was kept${notary ? `; root certificates CN=${repo.name} issued by ${certificates.map((c) => c.custodian).join(', ')}'s root keys` : ''}; verified as a client would with the new root pinned`,
    ),
  });
  a.report(`  ${repo.name} → ${dir}/ (${files.map((f) => f.name).join(', ')})`);

  const keyIdOf = (name: string): string => state.keys[name]?.keyId ?? '';
  const roleKeys = plannedKeys(plan).map((p) => {
    const k = state.keys[p.name]!;
    return { role: p.role, keyId: keyIdOf(p.name), fingerprint: k.fingerprint!, algorithm: k.algorithm, origin: k.origin, ...(k.certificate ? { certificateExpires: plan.root.expires.text } : {}) };
  });
  return {
    tokenSignatures,
    result: {
      name: repo.name,
      profile: plan.profile,
      dir,
      metadata: files.map((f) => f.name),
      rootKeyIds: plan.custodians.map((c) => keyIdOf(`root/${c.name}`)),
      keyIds: { targets: keyIdOf('targets'), snapshot: keyIdOf('snapshot'), timestamp: keyIdOf('timestamp') },
    },
    inventory: { name: repo.name, profile: plan.profile, dir, keys: roleKeys, expires: roleExpiry(plan) },
  };
}

function roleExpiry(plan: PlannedRepository['plan']): Record<string, string> {
  const out: Record<string, string> = { root: plan.root.expires.text, targets: plan.targets.expires.text };
  for (const r of ['snapshot', 'timestamp'] as const) {
    const rl = plan[r];
    if ('expires' in rl) out[r] = rl.expires.text;
  }
  return out;
}
