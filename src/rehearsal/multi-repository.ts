/**
 * `rehearse --repositories N` (issue #17 point 3): the whole rehearsal for N repositories that share the
 * custodians' root keys — ceremony, batch rotation, export, site import — on rehearsal tokens, with each
 * stage's time.
 *
 * 1. Ceremony: the multi-repository ceremony machine (src/ceremony/multi-machine.ts) on a rehearsal plan
 *    written to `plan/plan.json`: Alice's, Bob's and Carol's root keys (P-256) on their rehearsal tokens,
 *    targets on Alice's, snapshot on Bob's, and — as in a one-repository rehearsal — the Shamir backup: one
 *    software root key (P-256) shared by every repository, listed in and signing every root, split 2-of-3
 *    into REHEARSAL share cards in `secret/` and wiped (src/ceremony/multi-shamir.ts); one session for all
 *    N repositories (Notary: certificates per GUN, CN = the GUN; the server's timestamp key played by a rehearsal key in memory, its public key in
 *    `server-keys/timestamp.key`), one transcript and the key inventory in DIR/state/, each repository
 *    under `metadata/<safe name>/` (the layout of a one-repository ceremony: src/ceremony/layout.ts).
 * 2. Batch rotation (src/rotation/batch.ts): Carol's key retired and replaced by a key generated on Dave's
 *    token in every repository — one batch request, one review (written to rotation/review.txt), Alice and
 *    Bob sign it once each on their tokens, the responses merge per repository into root v2 (TUF 5.3.4
 *    checked per repository); Notary: snapshot v2 (the snapshot key on Bob's token) and timestamp v2
 *    (the rehearsal server key) naming root v2.
 * 3. Export: every repository (1.root.json, 2.root.json, root.json = v2, targets, snapshot, timestamp)
 *    verified into its trust bundle, all of them one trust-bundle-set `export/repositories.tufbundle`,
 *    and `export/pins.json` (each repository's root v1 SHA-256: what the site pins).
 * 4. Site import: the set imported at once into `site/trust-dir` pinned per repository to root v1 (the chain
 *    v1 → v2 verified in each); then a copy with one repository's targets signature broken is refused as a
 *    whole and the trust directory's tree digest is unchanged.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { CeremonyError, isCeremonyError } from '../errors.js';
import { bundleTime, encodeBundle } from '../bundle/format.js';
import { trustBundleFromRepository } from '../bundle/export.js';
import { decodeRepositorySet, encodeRepositorySet } from '../bundle/set.js';
import { groupHex, groupWords } from '../crypto/digest-words.js';
import { openRehearsalTokenSet } from '../ceremony/rehearsal-tokens.js';
import { runMultiCeremony } from '../ceremony/multi-machine.js';
import { METADATA_DIR } from '../ceremony/layout.js';
import { parseAnyPlan } from '../ceremony/multi-plan.js';
import { RehearsalTokenProvider } from '../ceremony/tokens.js';
import { readFileCapped } from '../io/files.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { writeBundle } from '../io/bundle-file.js';
import { writeNewFolder } from '../io/files-under.js';
import { makeFolder, treeDigest } from '../io/folders.js';
import type { JsonObject } from '../json/types.js';
import type { ProfileName } from '../profiles/profile.js';
import { buildBatchRequest, describeBatch, mergeBatch, parseBatchRequest, parseBatchResponse, serializeBatchRequest, serializeBatchResponse } from '../rotation/batch.js';
import { signBatch } from '../rotation/batch-sign.js';
import { buildRotationPayload } from '../rotation/payload.js';
import { buildSigningRequest } from '../rotation/request.js';
import { makeNotaryRootCertificate } from '../signers/certificate.js';
import { metadataSigner } from '../signers/metadata-signer.js';
import { listPublicKey, type ListedKey } from '../signers/public-key-json.js';
import type { SigningKey } from '../signers/signing-key.js';
import { SoftwareKey } from '../signers/software.js';
import { formatExpires } from '../tuf/dates.js';
import { parseMetadata } from '../tuf/metadata.js';
import { verifyRootUpdate } from '../tuf/root-chain.js';
import { serializeMetadata, signMetadata } from '../tuf/sign.js';
import type { RepositoryFiles } from '../tuf/repository.js';
import { importRepositorySet } from '../trust-store/install-set.js';
import type { ImportSessionStart } from '../trust-store/import-session.js';
import { recordImportSession } from '../io/import-session-file.js';
import { recorded } from './site-import-stage.js';

const DAY = 24 * 3600 * 1000;
const CUSTODIANS = ['Alice', 'Bob', 'Carol'] as const;
const NEW_CUSTODIAN = 'Dave';
export const MAX_REHEARSAL_REPOSITORIES = 1000;

export interface MultiRehearsalInput {
  profile: ProfileName;
  count: number;
  out: string;
  now: () => Date;
  softhsm: string | undefined;
  say: (line: string) => void;
}

export interface MultiRehearsalResult {
  profile: ProfileName;
  rehearsal: string;
  repositories: string[];
  ceremony: { dir: string; transcript: string; inventory: string; planSha256: string; tokenSignatures: number; rootKeyFingerprints: Record<string, string>; shareCards: string[] };
  rotation: { request: string; review: string; responses: string[]; merged: string; batchId: string; shortHash: string; words: string[]; summary: string[]; exceptions: number; status: string; tokenSignatures: number };
  export: { bundle: string; pins: string; bytes: number; sha256: string; shortHash: string; words: string[] };
  /** `transcript`s: the session transcripts the set's import and its refusal wrote, as `import SET` writes them (relative to out). */
  site: { trustDir: string; installed: number; rootVersions: number[]; transcript: string | null; refusal: { bundle: string; code: string; message: string; unchanged: boolean; transcript: string | null } };
  durationMs: { ceremony: number; rotation: number; export: number; site: number; total: number };
  notYetRehearsed: string[];
}

/** Repository names of the set (Notary GUNs / TUF repository names; folder-safe, distinct). */
export function repositoryNames(profile: ProfileName, count: number): string[] {
  return Array.from({ length: count }, (_, i) => (profile === 'notary' ? `rehearsal.example.com/org/app-${String(i + 1).padStart(4, '0')}` : `app-${String(i + 1).padStart(4, '0')}`));
}

function hashesOf(profile: ProfileName, bytes: Uint8Array): JsonObject {
  const enc = profile === 'tuf' ? 'hex' : 'base64';
  return { sha256: createHash('sha256').update(bytes).digest(enc), sha512: createHash('sha512').update(bytes).digest(enc) };
}

function typeName(profile: ProfileName, t: string): string {
  return profile === 'tuf' ? t : t[0]!.toUpperCase() + t.slice(1);
}

function common(profile: ProfileName, type: string, version: number, expires: string): JsonObject {
  return { _type: typeName(profile, type), version, expires, ...(profile === 'tuf' ? { spec_version: '1.0.31' } : {}) };
}

function metaEntry(profile: ProfileName, bytes: Uint8Array, version: number): JsonObject {
  return profile === 'tuf' ? { version, length: bytes.length, hashes: hashesOf(profile, bytes) } : { length: bytes.length, hashes: hashesOf(profile, bytes) };
}

interface RoleKey {
  key: SigningKey;
  listed: ListedKey;
}

async function sign(profile: ProfileName, signed: JsonObject, keys: readonly RoleKey[]): Promise<Uint8Array> {
  return serializeMetadata(profile, await signMetadata(profile, signed, keys.map((k) => metadataSigner(k.key, k.listed))));
}

/** snapshot.json (and timestamp.json) naming the given files: TUF lists targets only; Notary root and targets. */
async function snapshotAndTimestamp(profile: ProfileName, root: Uint8Array, rootVersion: number, targets: Uint8Array, version: number, expires: string, snapshotKey: RoleKey, timestampKey: RoleKey): Promise<{ snapshot: Uint8Array; timestamp: Uint8Array }> {
  const meta: JsonObject = profile === 'tuf' ? { 'targets.json': metaEntry(profile, targets, 1) } : { root: metaEntry(profile, root, rootVersion), targets: metaEntry(profile, targets, 1) };
  const snapshot = await sign(profile, { ...common(profile, 'snapshot', version, expires), meta }, [snapshotKey]);
  const timestamp = await sign(profile, { ...common(profile, 'timestamp', version, expires), meta: { [profile === 'tuf' ? 'snapshot.json' : 'snapshot']: metaEntry(profile, snapshot, version) } }, [timestampKey]);
  return { snapshot, timestamp };
}

async function listedFor(profile: ProfileName, key: SigningKey, repository: string, now: Date, notAfter: Date): Promise<ListedKey> {
  if (profile === 'notary') return (await makeNotaryRootCertificate(key, { gun: repository, notBefore: new Date(now.getTime() - 5 * 60_000), notAfter })).listed;
  return listPublicKey('tuf', key.spki);
}

export async function rehearseRepositories(input: MultiRehearsalInput): Promise<MultiRehearsalResult> {
  const { profile, count, out, say } = input;
  if (!Number.isInteger(count) || count < 1 || count > MAX_REHEARSAL_REPOSITORIES) throw new CeremonyError('USAGE', `--repositories is 1 to ${MAX_REHEARSAL_REPOSITORIES}`);
  const names = repositoryNames(profile, count);
  const started = performance.now();
  let t = started;
  const durations = { ceremony: 0, rotation: 0, export: 0, site: 0, total: 0 };
  const lap = (name: keyof typeof durations): void => {
    const n = performance.now();
    durations[name] = Math.round(n - t);
    t = n;
  };
  const now = input.now();
  const expiresV1 = formatExpires(new Date(Math.floor(now.getTime() / 1000) * 1000 + 365 * DAY));
  const expiresV2 = formatExpires(new Date(Math.floor(now.getTime() / 1000) * 1000 + 3650 * DAY));
  const notAfter = new Date(now.getTime() + 3651 * DAY);
  const tokens = await openRehearsalTokenSet({ custodians: [...CUSTODIANS, NEW_CUSTODIAN], softhsm: input.softhsm });
  const software: SoftwareKey[] = [];
  try {
    const roleKey = (label: string): RoleKey => {
      const key = SoftwareKey.generate(profile === 'notary' ? 'ecdsa-p256' : 'ed25519', { label, rehearsal: true });
      software.push(key);
      return { key, listed: listPublicKey(profile, key.spki) };
    };

    // --- 1. ceremony: the multi-repository ceremony machine (src/ceremony/multi-machine.ts) ----------------
    say(`REHEARSAL (${tokens.kind}): ${count} ${profile} repositories sharing one root key per custodian (${CUSTODIANS.join(', ')}), in ${out}`);
    // Notary: the server's timestamp key — here a rehearsal key in memory that plays notary-server for the site.
    const serverTimestamp = roleKey('rehearsal server timestamp key');
    const timestampFile = new TextEncoder().encode(JSON.stringify({ keytype: serverTimestamp.listed.json.keytype, keyval: { public: (serverTimestamp.listed.json.keyval as JsonObject).public, private: null } }));
    if (profile === 'notary') await writeNewFolder(join(out, 'server-keys'), new Map([['timestamp.key', timestampFile]]));
    const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const planJson = {
      format: 'tuf-ceremony-plan',
      version: 1,
      kind: 'root',
      profile,
      repositories: names.map((name) => (profile === 'notary' ? { name, timestamp: { keyFile: 'server-keys/timestamp.key', sha256: createHash('sha256').update(timestampFile).digest('hex') } } : { name })),
      custodians: CUSTODIANS.map((n) => ({ name: n, token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: `root-${n.toLowerCase()}` })),
      root: { threshold: 2, expires: iso(new Date(now.getTime() + 365 * DAY)) },
      targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: iso(new Date(now.getTime() + 365 * DAY)) },
      snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: iso(new Date(now.getTime() + 365 * DAY)) },
      ...(profile === 'tuf' ? { timestamp: { key: { software: 'rehearsal', keyAlgorithm: 'ed25519' }, expires: iso(new Date(now.getTime() + 365 * DAY)) } } : {}),
      // The Shamir backup, as a one-repository rehearsal has it (rehearsal-plan.ts): one split key for all.
      shamir: { threshold: 2, shares: 3, keyAlgorithm: 'ecdsa-p256' },
    };
    const planBytes = new TextEncoder().encode(`${JSON.stringify(planJson, null, 2)}\n`);
    await writeNewFolder(join(out, 'plan'), new Map([['plan.json', planBytes]]));
    const any = parseAnyPlan(planBytes, { rehearsal: true, source: 'plan/plan.json' });
    if (any.kind !== 'multi') throw new CeremonyError('INTERNAL', 'the rehearsal plan is not a multi-repository plan');
    const provider = new RehearsalTokenProvider(tokens.tokens.slice(0, CUSTODIANS.length));
    const softwareKeys = new Map<string, SigningKey>();
    const ceremony = await runMultiCeremony({ planBytes, plan: any.plan, planName: 'plan.json', planDir: out, outDir: out, tokens: provider, softwareKeys, now: input.now, report: () => undefined });
    for (const k of softwareKeys.values()) if (k instanceof SoftwareKey) software.push(k);
    const tokenSignatures = ceremony.tokenSignatures;
    const custodianKeys = new Map<string, SigningKey>();
    for (const [i, name] of CUSTODIANS.entries()) custodianKeys.set(name, await tokens.tokens[i]!.findKey(`root-${name.toLowerCase()}`));
    const snapshotOnToken = await tokens.tokens[1]!.findKey('snapshot');
    const snapshotKey: RoleKey = { key: snapshotOnToken, listed: listPublicKey(profile, snapshotOnToken.spki) };
    const repoFiles = new Map<string, Uint8Array>();
    const repos = new Map<string, { rootV1: Uint8Array; names: Map<string, string>; ids: Map<string, string>; targets: Uint8Array }>();
    const byFingerprint = new Map([...custodianKeys].map(([n, k]) => [k.fingerprint, n]));
    for (const r of ceremony.repositories) {
      const read = async (file: string): Promise<Uint8Array> => readFileCapped(join(out, r.dir, file), DEFAULT_CAPS.root + DEFAULT_CAPS.targets);
      const rootV1 = await read('root.json');
      const v1 = parseMetadata(rootV1, 'root', { maxBytes: DEFAULT_CAPS.root, source: `${r.dir}/root.json` });
      const ids = new Map<string, string>();
      for (const id of v1.signed.roles.get('root')!.keyids) {
        const who = byFingerprint.get(v1.signed.keys.get(id)!.key.fingerprint);
        if (who) ids.set(who, id);
      }
      const targets = await read('targets.json');
      repoFiles.set(`${r.name}/snapshot.json`, await read('snapshot.json'));
      if (profile === 'tuf') repoFiles.set(`${r.name}/timestamp.json`, await read('timestamp.json'));
      repos.set(r.name, { rootV1, names: new Map([...ids].map(([who, id]) => [id, who])), ids, targets });
    }
    const timestampKey = serverTimestamp;
    say(`  ceremony: ${count} repositories in one session (${tokenSignatures} token signatures), one transcript and a key inventory in ${join(out, 'state')}, the repositories in ${join(out, METADATA_DIR)}`);
    say(`  Shamir backup: one software root key in every root, split 2-of-3 into REHEARSAL share cards in ${join(out, 'secret')}, wiped after the last root`);
    lap('ceremony');

    // --- 2. batch rotation ------------------------------------------------------------------------------
    const daveKey = await tokens.tokens[3]!.generateKey('ecdsa-p256', 'rehearsal replacement root key');
    const requests = [];
    for (const repository of names) {
      const r = repos.get(repository)!;
      const dave = await listedFor(profile, daveKey, repository, now, notAfter);
      const payload = buildRotationPayload(r.rootV1, { expires: expiresV2, root: { replace: [{ old: r.ids.get('Carol')!, new: { json: dave.json, name: NEW_CUSTODIAN }, reason: 'retired' }] } }, { names: r.names });
      requests.push(buildSigningRequest(payload, { repository }));
    }
    const batchBytes = serializeBatchRequest(buildBatchRequest(requests));
    // As a co-signer's machine reads it: from the bytes, checked again.
    const batch = parseBatchRequest(batchBytes, 'batch-request.json');
    const review = describeBatch(batch);
    say(`  batch rotation: the review every co-signer reads once:`);
    for (const line of review.lines) say(`    ${line}`);
    const responseFiles = new Map<string, Uint8Array>();
    const answers = [];
    let rotationSignatures = 0;
    for (const [i, name] of (['Alice', 'Bob'] as const).entries()) {
      const token = tokens.tokens[i]!;
      const { response, plan } = await signBatch(batch, custodianKeys.get(name)!, { name, token: { serial: token.token.serial, label: token.token.label } });
      rotationSignatures += response.responses.reduce((n, r) => n + r.signatures.length, 0);
      const bytes = serializeBatchResponse(response);
      responseFiles.set(`response-${name.toLowerCase()}.json`, bytes);
      answers.push(parseBatchResponse(bytes));
      say(`    ${name} read "${groupWords(review.digest.words)}", unlocked the token once and signed ${plan.signs.length} repositories`);
    }
    const merged = mergeBatch(batch, answers.reverse());
    if (!merged.final) throw new CeremonyError('INTERNAL', `the rehearsal's batch rotation is not complete: ${merged.status}`);
    const rotationFiles = new Map<string, Uint8Array>([['batch-request.json', batchBytes], ['review.txt', new TextEncoder().encode(`${review.text}\n`)], ...responseFiles]);
    const v2Files = new Map<string, RepositoryFiles>();
    for (const e of merged.entries) {
      const r = repos.get(e.repository)!;
      const rootV2 = e.result.root!;
      // TUF 5.3.4, as a client at v1 checks it.
      verifyRootUpdate(parseMetadata(r.rootV1, 'root', { maxBytes: 1 << 20, source: 'root v1' }), parseMetadata(rootV2, 'root', { maxBytes: 1 << 20, source: 'root v2' }));
      rotationFiles.set(`merged/${e.repository}/2.root.json`, rootV2);
      // Notary's snapshot names root.json: snapshot v2 and timestamp v2 name root v2 (TUF's snapshot does not).
      const { snapshot, timestamp } = await snapshotAndTimestamp(profile, rootV2, 2, r.targets, profile === 'notary' ? 2 : 1, expiresV1, snapshotKey, timestampKey);
      if (profile === 'notary') {
        rotationFiles.set(`merged/${e.repository}/snapshot.json`, snapshot);
        rotationFiles.set(`merged/${e.repository}/timestamp.json`, timestamp);
      }
      v2Files.set(e.repository, {
        versionedRoots: new Map([
          [1, r.rootV1],
          [2, rootV2],
        ]),
        root: rootV2,
        targets: r.targets,
        snapshot: profile === 'notary' ? snapshot : repoFiles.get(`${e.repository}/snapshot.json`)!,
        timestamp: profile === 'notary' ? timestamp : repoFiles.get(`${e.repository}/timestamp.json`)!,
        delegated: new Map(),
      });
    }
    await writeNewFolder(join(out, 'rotation'), rotationFiles);
    say(`  merged per repository: ${merged.status}; root v2 of each under ${join(out, 'rotation', 'merged')}`);
    lap('rotation');

    // --- 3. export ---------------------------------------------------------------------------------------
    const created = input.now();
    const singles = names.map((repository) => trustBundleFromRepository(v2Files.get(repository)!, { now: created, ...(profile === 'notary' ? { gun: repository } : { name: repository }) }).bytes);
    const setBytes = encodeRepositorySet(singles, { name: `rehearsal: ${count} repositories`, created });
    await makeFolder(join(out, 'export'));
    const hash = await writeBundle(join(out, 'export', 'repositories.tufbundle'), setBytes);
    const pins = Object.fromEntries(names.map((n) => [n, createHash('sha256').update(repos.get(n)!.rootV1).digest('hex')]));
    await writeNewFolder(join(out, 'export', 'pins'), new Map([['pins.json', new TextEncoder().encode(`${JSON.stringify(pins, null, 2)}\n`)]]));
    say(`  export: ${join(out, 'export', 'repositories.tufbundle')} (${setBytes.length} bytes), short hash ${groupHex(hash.hex)}; pins in export/pins/pins.json`);
    lap('export');

    // --- 4. site import ----------------------------------------------------------------------------------
    const trustDir = join(out, 'site', 'trust-dir');
    await makeFolder(profile === 'notary' ? trustDir : join(out, 'site'));
    const set = decodeRepositorySet(setBytes, 'repositories.tufbundle');
    const pinsBytes = new TextEncoder().encode(`${JSON.stringify(pins, null, 2)}\n`);
    // The session transcript `import SET --pins` writes (src/cli/import-set.ts), marked as a rehearsal.
    const session = (name: string, bytes: Uint8Array, s: typeof set): ImportSessionStart => ({
      profile: s.profile,
      repository: s.name,
      source: { name, sha256: s.outer.hash.sha256, form: 'set' },
      ...(bytes === setBytes ? { pin: { name: 'pins.json', sha256: createHash('sha256').update(pinsBytes).digest('hex') } } : {}),
      trustDir,
      witnesses: [],
      rehearsal: true,
      now: input.now,
    });
    const result = await importRepositorySet(set, { trustDir, pins: new Map(Object.entries(pins)), now: input.now() });
    const transcript = recorded(out, await recordImportSession(session('repositories.tufbundle', setBytes, set), result.layout, { set: result }), say);
    say(`  site: ${result.entries.length} repositories imported at once into ${result.folder}, each pinned to its root v1 (chain v1 → v2 verified)`);
    // One repository's targets.json altered (a signature byte: snapshot's hash of it no longer matches): the
    // whole set is refused, the trust directory unchanged.
    const bad = v2Files.get(names[names.length - 1]!)!;
    const targetsDoc = JSON.parse(new TextDecoder().decode(bad.targets!)) as { signatures: { sig: string }[] };
    const encoding = profile === 'tuf' ? 'hex' : 'base64';
    const sig = Buffer.from(targetsDoc.signatures[0]!.sig, encoding);
    sig[sig.length - 1] = sig[sig.length - 1]! ^ 1;
    targetsDoc.signatures[0]!.sig = sig.toString(encoding);
    const brokenTargets = new TextEncoder().encode(JSON.stringify(targetsDoc));
    const innerFiles = [
      { name: '1.root.json', bytes: bad.versionedRoots.get(1)! },
      { name: '2.root.json', bytes: bad.versionedRoots.get(2)! },
      { name: 'root.json', bytes: bad.root! },
      { name: 'targets.json', bytes: brokenTargets },
      { name: 'snapshot.json', bytes: bad.snapshot! },
      { name: 'timestamp.json', bytes: bad.timestamp! },
    ];
    const brokenInner = encodeBundle({ kind: 'trust-bundle', profile, repository: names[names.length - 1]!, created: bundleTime(created), files: innerFiles });
    const brokenSet = encodeRepositorySet([...singles.slice(0, -1), brokenInner], { name: `rehearsal: ${count} repositories, one broken`, created });
    await writeBundle(join(out, 'site', 'broken.tufbundle'), brokenSet);
    const before = await treeDigest(join(out, 'site'));
    let refusal: { code: string; message: string } | undefined;
    let refused: unknown;
    const broken = decodeRepositorySet(brokenSet, 'broken.tufbundle');
    try {
      await importRepositorySet(broken, { trustDir, now: input.now() });
    } catch (err) {
      if (!isCeremonyError(err)) throw err;
      refusal = { code: err.code, message: err.message };
      refused = err;
    }
    if (!refusal) throw new CeremonyError('INTERNAL', 'the set with a broken repository was installed');
    const unchanged = (await treeDigest(join(out, 'site'))) === before;
    // Recorded after the comparison: the refusal's transcript is the one file a refused import adds.
    const refusalTranscript = recorded(out, await recordImportSession(session('broken.tufbundle', brokenSet, broken), result.layout, { refused }), say);
    say(`  site: a set with one broken repository is refused as a whole (${refusal.code}); the trust directory is ${unchanged ? 'unchanged' : 'CHANGED'}`);
    lap('site');
    durations.total = Math.round(performance.now() - started);
    return {
      profile,
      rehearsal: tokens.kind,
      repositories: names,
      ceremony: { dir: METADATA_DIR, transcript: ceremony.transcript, inventory: ceremony.inventory, planSha256: ceremony.planSha256, tokenSignatures, rootKeyFingerprints: Object.fromEntries([...custodianKeys].map(([n, k]) => [n, k.fingerprint])), shareCards: ceremony.shareCards },
      rotation: {
        request: 'rotation/batch-request.json',
        review: 'rotation/review.txt',
        responses: [...responseFiles.keys()].map((f) => `rotation/${f}`),
        merged: 'rotation/merged',
        batchId: batch.batchId,
        shortHash: batch.digest.hex,
        words: batch.digest.words,
        summary: review.summary.change,
        exceptions: review.exceptions.length,
        status: merged.status,
        tokenSignatures: rotationSignatures,
      },
      export: { bundle: 'export/repositories.tufbundle', pins: 'export/pins/pins.json', bytes: setBytes.length, sha256: hash.sha256, shortHash: hash.hex, words: hash.words },
      site: { trustDir: 'site/trust-dir', installed: result.entries.length, rootVersions: [...new Set(result.entries.map((e) => e.versions.root))], transcript, refusal: { bundle: 'site/broken.tufbundle', ...refusal, unchanged, transcript: refusalTranscript } },
      durationMs: durations,
      notYetRehearsed: [],
    };
  } finally {
    for (const k of software) k.dispose();
    await tokens.close();
  }
}
