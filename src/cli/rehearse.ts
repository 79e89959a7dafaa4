/**
 * `tuf-ceremony rehearse [--profile notary|tuf] [--gun NAME] [--timestamp-key FILE] --out DIR [--json]`
 * (PRODUCT.md §3, §2.8): a complete rehearsal on rehearsal tokens — SoftHSM2 in a private temporary folder
 * when it is installed, else in-process software tokens — in four stages, each leaving its files in DIR:
 *
 * 1. Root ceremony, with the same machine as `run`: a 2-of-3 root on three custodians' tokens (Alice, Bob,
 *    Carol), a software root key split 2-of-3 into share cards (the Shamir backup), targets (and snapshot)
 *    keys, the metadata, a sealed transcript marked as a rehearsal (src/ceremony/rehearsal-plan.ts builds
 *    the plan; it is written as DIR/plan.json).
 * 2. Rotation (src/rehearsal/rotation-stage.ts, issue #5), on the same tokens: Carol's key is reported lost
 *    and root v2 replaces it by a new key on a fourth rehearsal token, Dave's; threshold kept, expiry
 *    renewed. The signing request and its review (plain-language diff, short hash as hex and words) are
 *    written, Alice and Bob sign on their tokens, the responses are merged in the reverse order (the
 *    "waiting for" list after the first), and root v2 is checked as a client at v1 would (TUF 5.3.4).
 *    Notary: snapshot v2 naming root v2 is signed with Bob's snapshot key; targets are unchanged.
 * 3. Export (src/rehearsal/export-stage.ts, issue #6): the final repository — 1.root.json, 2.root.json,
 *    root.json (= v2), targets, snapshot, timestamp — verified, as a trust bundle written atomically to
 *    `export/usb/`, read back and decoded, and as animated-QR PNG frames in `export/qr/` (enough for a
 *    receiver missing 30 %); its short hash as hex and words.
 * 4. Simulated air-gapped site (src/rehearsal/site-import-stage.ts): the QR PNGs decoded with 30 % of the
 *    frames dropped, the bytes compared with the USB bundle, imported into `site/trust-dir` pinned to root
 *    v1 (the `import` core: the chain v1 → v2, every role, then an atomic install); a tampered copy imported
 *    over that installed store is refused and the store's tree digest is unchanged.
 *
 * Notary: FILE is the public key notary-server serves at `/v2/<GUN>/_trust/tuf/timestamp.key`; root.json
 * then lists it and the repository can be published to that server. Without it the rehearsal makes its own
 * timestamp key (software, in memory only) and says so; with that key it plays notary-server at the
 * simulated site and signs the timestamp.json the site imports (src/rehearsal/notary-timestamp.ts).
 * `--snapshot-key FILE2` (the server's `/v2/<GUN>/_trust/tuf/snapshot.key`) makes the snapshot
 * server-managed — what delegated signers need, as they publish without the snapshot key: root.json lists
 * the server's key and no snapshot.json is written (publish root.json and targets.json only). Without it the
 * snapshot key is on Bob's rehearsal token. With the server's keys (FILE or FILE2) only that server can sign
 * what the site needs, so stage 4 is skipped and `notYetRehearsed` says why.
 *
 * Files in DIR, the root ceremony's in the layout of `run` (src/ceremony/layout.ts): metadata/{root.json,
 * targets.json, snapshot.json (unless server-managed; + 1.root.json and timestamp.json for tuf)} — the
 * publishable folder; secret/{share-card-K-of-3.txt, share-cards.html} (secret rehearsal cards);
 * state/{ceremony-state.json, transcript.jsonl, transcript.html}; at the top timestamp.key and snapshot.key
 * (notary, the inputs), plan.json and script.html (the printable ceremony script of that plan);
 * rotation/{request.json, review.txt, response-alice.json, response-bob.json, 2.root.json, transcript.jsonl
 * (the rotation session's transcript, sealed by Alice's rehearsal root key)} (+ snapshot.json, notary); export/usb/rehearsal-trust.bundle, export/qr/frame-NNNN.png and frames.txt;
 * site/{pinned-root.json, received-by-qr.bundle, tampered.bundle}, site/trust-dir/… (the installed trust
 * folder and its imports.log); TUF: repository/… (the hostable tree of the final repository, for a static
 * host: src/rehearsal/repository-stage.ts). Nothing is overwritten; a rehearsal never
 * resumes (its tokens are gone): use a new DIR.
 *
 * `--json` prints (exit 0):
 *
 * ```json
 * { "ok": true, "profile": "notary", "repository": "…", "out": "/abs/DIR", "rehearsal": "softhsm2",
 *   "planSha256": "…", "files": { "root": "metadata/root.json", "targets": "metadata/targets.json", "snapshot": "metadata/snapshot.json", "timestamp": null },
 *   "metadataDir": "metadata", "transcript": "state/transcript.jsonl", "script": "script.html",
 *   "rootKeyIds": ["…", "…", "…", "…"], "targetsKeyId": "…", "snapshotKeyId": "…", "timestampKeyId": "…",
 *   "timestampKeySource": "file", "snapshotKeySource": "token" | "file" (notary; null for tuf), "sealKeyId": "…", "shareCards": ["secret/share-card-1-of-3.txt", …, "secret/share-cards.html"],
 *   "rotation": { "request": "rotation/request.json", "review": "rotation/review.txt",
 *     "responses": ["rotation/response-alice.json", "rotation/response-bob.json"], "root": "rotation/2.root.json",
 *     "snapshot": "rotation/snapshot.json" | null, "version": 2,
 *     "replaced": { "custodian": "Carol", "by": "Dave", "oldKeyId": "…", "newKeyId": "…" },
 *     "statusAfterFirst": "1 of 2 old keys (of 4), …; waiting for: Alice (old and new), …",
 *     "waitingForAfterFirst": [{ "name": "Alice", "side": "both" }, …], "status": "… both thresholds met, root version 2 is complete",
 *     "shortHash": "<32 hex: the first 16 bytes of the SHA-256>", "words": ["…" ×16],
 *     "transcript": "rotation/transcript.jsonl", "transcriptSealKeyId": "…" (the session's sealed transcript) },
 *   "export": { "bundle": "export/usb/rehearsal-trust.bundle", "bytes": n, "contents": ["1.root.json", …],
 *     "sha256": "…", "shortHash": "<32 hex>", "words": ["…" ×16],
 *     "qr": { "dir": "export/qr", "frames": n, "text": "export/qr/frames.txt", "fragments": n, "fragmentBytes": n, "loss": 0.3 } },
 *   "site": { "pinnedRoot": "site/pinned-root.json", "received": "site/received-by-qr.bundle",
 *     "qr": { "shown": n, "dropped": n, "read": n, "parts": n, "fragments": n, "equalsUsb": true },
 *     "trustDir": "site/trust-dir", "folder": "site/trust-dir/tuf/<GUN>/metadata" (tuf: "site/trust-dir"),
 *     "installed": { "files": [...], "versions": { "root": 2, … }, "pinnedBy": "file", "rootChain": [2] },
 *     "transcript": "site/trust-dir/tuf-ceremony-sessions/….jsonl" (tuf: "site/trust-dir.tuf-ceremony-sessions/…"; the
 *       install's session transcript, as `import` writes it; null when it could not be written),
 *     "refusal": { "bundle": "site/tampered.bundle", "trustDir": "site/trust-dir", "code": "LENGTH_MISMATCH", "message": "…", "unchanged": true,
 *       "treeSha256": "…" (the trust dir without its sessions folder), "transcript": "…" (the refusal's session transcript) } } | null,
 *   "tree": { "dir": "repository", "consistentSnapshot": false, "rootVersions": [1, 2], "files": ["1.root.json", …, "timestamp.json"] } (tuf) | null,
 *   "sigstore": { "trustedRoot": "sigstore/trusted_root.json", "request": "sigstore/request.json", "review": "sigstore/review.txt",
 *     "response": "sigstore/response-alice.json", "targets": "sigstore/targets.json", "trustedRootReview": ["Fulcio CA … ADDED, …", …] } (--profile sigstore) | null,
 *   "durationMs": { "ceremony": n, "rotation": n, "export": n, "site": n, "total": n },
 *   "notYetRehearsed": [] }
 * ```
 *
 * `notYetRehearsed` lists what this run could not rehearse (only the site import, when the server's keys
 * were given); paths in the stages' objects are relative to `out`.
 */
import { renderCeremonyScriptHtml } from '../ceremony/script.js';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CeremonyError } from '../errors.js';
import { assertAbsent, readFileCapped, writeFileAtomic } from '../io/files.js';
import { sha256Hex } from '../crypto/digest.js';
import { allOutputNames, flatLayoutNames, metadataFileNames, parsePlan, rehearsalPlan, runCeremony, RehearsalTokenProvider, TRANSCRIPT_FILE, TRANSCRIPT_HTML, type CeremonyPlan, type CeremonyResult } from '../ceremony/index.js';
import { inFolder, METADATA_DIR, SECRET_DIR, STATE_DIR } from '../ceremony/layout.js';
import { REHEARSAL_CUSTODIANS } from '../ceremony/rehearsal-plan.js';
import { installedSoftHsm, openRehearsalTokenSet, type RehearsalTokenSet } from '../ceremony/rehearsal-tokens.js';
import { parsePublisherKey, PUBLISHER_KEY_MAX_BYTES } from '../ceremony/publisher-key.js';
import { parseServerKey, SERVER_KEY_MAX_BYTES } from '../ceremony/server-key.js';
import type { ProfileName } from '../profiles/profile.js';
import { listPublicKey } from '../signers/public-key-json.js';
import type { RehearsalToken } from '../signers/rehearsal.js';
import { SoftwareKey } from '../signers/software.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import type { RepositoryFiles } from '../tuf/repository.js';
import { runExportStage, type ExportStageResult } from '../rehearsal/export-stage.js';
import { simulatedServerTimestamp } from '../rehearsal/notary-timestamp.js';
import { NEW_CUSTODIAN, ROTATION_DIR, runRotationStage, tokenOf, type RotationStageResult } from '../rehearsal/rotation-stage.js';
import { runSiteImportStage, SITE_DIR, type SiteImportResult } from '../rehearsal/site-import-stage.js';
import type { Io } from './output.js';
import { REPOSITORY_DIR, writeRehearsalTree, type RehearsalTree } from '../rehearsal/repository-stage.js';
import { runSigstoreStage, SIGSTORE_DIR, type SigstoreStageResult } from '../rehearsal/sigstore-stage.js';
import type { SigningKey } from '../signers/signing-key.js';
import { MAX_REHEARSAL_REPOSITORIES, rehearseRepositories } from '../rehearsal/multi-repository.js';
import { makeFolder } from '../io/folders.js';

export const DEFAULT_REHEARSAL_GUN = 'rehearsal.example.com/org/app';
export const PLAN_FILE = 'plan.json';
/** The printable ceremony script of the rehearsal's plan (src/ceremony/script.ts), beside the outputs. */
export const SCRIPT_FILE = 'script.html';
export const TIMESTAMP_KEY_FILE = 'timestamp.key';
export const SNAPSHOT_KEY_FILE = 'snapshot.key';
export const PUBLISHER_KEY_FILE = 'publisher-targets.pem';
/** The stages' folders in DIR (src/rehearsal/*): each must be absent before anything is written. */
export const STAGE_FOLDERS = [ROTATION_DIR, 'export', SITE_DIR, REPOSITORY_DIR] as const;

export interface RehearseOptions {
  profile?: string;
  gun?: string;
  timestampKey?: string;
  snapshotKey?: string;
  /** A publisher's targets public key PEM (`notary key generate ecdsa --role targets -o NAME` → NAME.pem). */
  publisherKey?: string;
  out: string;
  json?: boolean;
  /** Rehearse this many repositories sharing the custodians' keys (src/rehearsal/multi-repository.ts). */
  repositories?: string;
}

/** The rehearsal tokens, handed over by `RehearseDeps.keepTokens`: the caller must `close()` them. */
export interface KeptRehearsalTokens {
  tokens: RehearsalToken[];
  /** Close the tokens and, if the rehearsal loaded SoftHSM2 itself, finalise it and delete its token folder. */
  close(): Promise<void>;
}

export interface RehearseDeps {
  /** The SoftHSM2 module path when it is installed, else undefined (software tokens). */
  softhsmPath(): string | undefined;
  now(): Date;
  /**
   * Tests only: take the rehearsal tokens instead of having them closed when the rehearsal ends (e.g. to
   * sign a targets v2 with the ceremony's own targets key on its token). The caller owns `close()`.
   */
  keepTokens?(kept: KeptRehearsalTokens): void;
}

export const defaultRehearseDeps: RehearseDeps = {
  softhsmPath: () => installedSoftHsm(),
  now: () => new Date(),
};

const encoder = new TextEncoder();

function profileOption(value: string | undefined): ProfileName {
  if (value === undefined) return 'notary';
  // sigstore: a TUF repository holding a private Sigstore's trusted_root.json (src/rehearsal/sigstore-stage.ts).
  if (value === 'sigstore') return 'tuf';
  if (value !== 'notary' && value !== 'tuf') throw new CeremonyError('USAGE', `--profile is notary or tuf, or sigstore (TUF with a private Sigstore trust root), not ${JSON.stringify(value)}`);
  return value;
}

export async function rehearseCommand(opts: RehearseOptions, io: Io, deps: RehearseDeps = defaultRehearseDeps): Promise<number> {
  const profile = profileOption(opts.profile);
  const sigstore = opts.profile === 'sigstore';
  if (!opts.out) throw new CeremonyError('USAGE', '--out DIR is required');
  if (profile === 'tuf' && opts.timestampKey !== undefined) {
    throw new CeremonyError('USAGE', '--timestamp-key is for the notary profile (notary-server holds the timestamp key); a TUF rehearsal makes its own');
  }
  if (profile === 'tuf' && opts.snapshotKey !== undefined) {
    throw new CeremonyError('USAGE', '--snapshot-key is for the notary profile (a server-managed snapshot); a TUF rehearsal holds its snapshot key');
  }
  if (opts.repositories !== undefined) return rehearseManyCommand(profile, sigstore, opts, io, deps);
  const repository = opts.gun ?? DEFAULT_REHEARSAL_GUN;
  const out = resolve(opts.out);
  const now = deps.now();
  const say = (line: string): void => {
    if (!opts.json) io.out(line);
  };

  // Nothing is written unless everything can be: every name the rehearsal writes must be free.
  const own = [
    PLAN_FILE,
    SCRIPT_FILE,
    ...(profile === 'notary' ? [TIMESTAMP_KEY_FILE] : []),
    ...(opts.snapshotKey !== undefined ? [SNAPSHOT_KEY_FILE] : []),
    ...(opts.publisherKey !== undefined ? [PUBLISHER_KEY_FILE] : []),
  ];
  // The plan's file names depend only on the profile and the Shamir split; a draft gives them.
  const draft = parsePlan(encoder.encode(JSON.stringify({ ...rehearsalPlan({ profile, repository: 'x', now, timestampKey: { keyFile: TIMESTAMP_KEY_FILE, sha256: '0'.repeat(64) } }), ...(sigstore ? { consistentSnapshot: true } : {}) })), { rehearsal: true });
  await assertAbsent([...own, ...allOutputNames(draft), ...flatLayoutNames(draft), ...STAGE_FOLDERS, ...(sigstore ? [SIGSTORE_DIR] : [])].map((n) => join(out, n)), ' (a rehearsal writes into a new folder)');

  // The timestamp key (notary): the server's, or one made here.
  let timestampKeySource: 'file' | 'rehearsal' | undefined;
  let timestampKey: { keyFile: string; sha256: string } | undefined;
  let rehearsalTimestampKey: SoftwareKey | undefined;
  if (profile === 'notary') {
    let bytes: Uint8Array;
    if (opts.timestampKey !== undefined) {
      bytes = await readFileCapped(opts.timestampKey, SERVER_KEY_MAX_BYTES);
      parseServerKey(bytes, basename(opts.timestampKey));
      timestampKeySource = 'file';
    } else {
      // Kept (in memory only) until the rehearsal ends: it plays notary-server's timestamp signing for the
      // simulated site (src/rehearsal/notary-timestamp.ts), then it is wiped.
      rehearsalTimestampKey = SoftwareKey.generate('ed25519', { label: 'rehearsal timestamp key', rehearsal: true });
      const listed = listPublicKey('notary', rehearsalTimestampKey.spki);
      bytes = encoder.encode(JSON.stringify({ keytype: listed.json.keytype, keyval: { private: null, public: (listed.json.keyval as { public: string }).public } }));
      timestampKeySource = 'rehearsal';
    }
    await writeFileAtomic(join(out, TIMESTAMP_KEY_FILE), bytes);
    timestampKey = { keyFile: TIMESTAMP_KEY_FILE, sha256: sha256Hex(bytes) };
  }
  // A server-managed snapshot (notary): the server's snapshot key.
  let snapshotKey: { keyFile: string; sha256: string } | undefined;
  if (opts.snapshotKey !== undefined) {
    const bytes = await readFileCapped(opts.snapshotKey, SERVER_KEY_MAX_BYTES);
    parseServerKey(bytes, basename(opts.snapshotKey));
    await writeFileAtomic(join(out, SNAPSHOT_KEY_FILE), bytes);
    snapshotKey = { keyFile: SNAPSHOT_KEY_FILE, sha256: sha256Hex(bytes) };
  }

  // A publisher's targets key: checked before anything else is made, copied next to the plan as it names it.
  let publisherKey: { name: string; keyFile: string; sha256: string } | undefined;
  if (opts.publisherKey !== undefined) {
    const bytes = await readFileCapped(opts.publisherKey, PUBLISHER_KEY_MAX_BYTES);
    parsePublisherKey(bytes, basename(opts.publisherKey), profile);
    await writeFileAtomic(join(out, PUBLISHER_KEY_FILE), bytes);
    publisherKey = { name: 'publisher', keyFile: PUBLISHER_KEY_FILE, sha256: sha256Hex(bytes) };
  }

  const planBytes = encoder.encode(
    JSON.stringify({ ...rehearsalPlan({ profile, repository, now, ...(timestampKey ? { timestampKey } : {}), ...(snapshotKey ? { snapshotKey } : {}), ...(publisherKey ? { publisherKey } : {}) }), ...(sigstore ? { consistentSnapshot: true } : {}) }, null, 2) + '\n',
  );
  const plan = parsePlan(planBytes, { rehearsal: true, source: PLAN_FILE });
  await writeFileAtomic(join(out, PLAN_FILE), planBytes);
  await writeFileAtomic(join(out, SCRIPT_FILE), encoder.encode(renderCeremonyScriptHtml(plan, planBytes, { planName: PLAN_FILE, rehearsal: true })));

  say(`REHEARSAL: ${profile} root ceremony for ${repository}, in ${out}`);
  if (snapshotKey) say(`  the snapshot is server-managed: root.json lists the server's snapshot key from ${opts.snapshotKey}; publish root.json and targets.json`);
  if (publisherKey) say(`  the targets role also lists the publisher's own key from ${opts.publisherKey} (threshold 1): the publisher signs targets with the notary client`);
  if (timestampKeySource === 'rehearsal') {
    say("  no --timestamp-key: the rehearsal made its own timestamp key (software, in memory only: it signs the simulated site's timestamp.json, then it is wiped); notary-server will not accept this root, as it signs timestamps with its own key");
  }
  // Rehearsal tokens (src/ceremony/rehearsal-tokens.ts): SoftHSM2 in a private temp folder, or software.
  const started = performance.now();
  const durations: Record<string, number> = {};
  const lap = (name: string, from: number): number => {
    const t = performance.now();
    durations[name] = Math.round(t - from);
    return t;
  };
  const opened = await openRehearsalTokenSet({ custodians: REHEARSAL_CUSTODIANS, softhsm: deps.softhsmPath() });
  const provider = new RehearsalTokenProvider(opened.tokens);
  let newTokenSet: RehearsalTokenSet | undefined;
  // The rehearsal's software keys (TUF snapshot and timestamp), kept for the sigstore stage's snapshot v2.
  const softwareKeys = new Map<string, SigningKey>();
  let result: CeremonyResult;
  let stages: Stages;
  try {
    result = await runCeremony({ planBytes, plan, planName: PLAN_FILE, planDir: out, outDir: out, tokens: provider, resume: false, now: deps.now, report: say, softwareKeys });
    let t = lap('ceremony', started);
    // Dave's token (the rotation's replacement key): one more rehearsal token of the same kind. With
    // SoftHSM2 the module is loaded by now, so it is initialised in the same private token folder.
    newTokenSet = await openRehearsalTokenSet({ custodians: [NEW_CUSTODIAN], softhsm: deps.softhsmPath() });
    stages = await runStages({ profile, repository, out, now: deps.now, say, tokens: opened.tokens, newToken: newTokenSet.tokens[0]!, timestampKey: rehearsalTimestampKey, snapshotWritten: metadataFileNames(plan).includes('snapshot.json'), plan, lap: (name) => (t = lap(name, t)), ...(sigstore ? { sigstore: { softwareKeys } } : {}) });
  } finally {
    rehearsalTimestampKey?.dispose();
    for (const k of softwareKeys.values()) if (k instanceof SoftwareKey) k.dispose();
    await newTokenSet?.close();
    if (deps.keepTokens) {
      deps.keepTokens({
        tokens: opened.tokens,
        close: async () => {
          await provider.close();
          await opened.close();
        },
      });
    } else {
      await provider.close();
      await opened.close();
    }
  }
  durations.total = Math.round(performance.now() - started);

  const metadata = metadataFileNames(plan);
  const cards = result.files.filter((f) => f.startsWith(`${SECRET_DIR}/`));
  const transcript = inFolder(STATE_DIR, TRANSCRIPT_FILE);
  const { rotation, exported, site, sigstore: sigstoreStage, tree, notYetRehearsed } = stages;
  if (opts.json) {
    const has = (name: string): string | null => (metadata.includes(name) ? inFolder(METADATA_DIR, name) : null);
    io.out(
      JSON.stringify(
        {
          ok: true,
          profile,
          repository,
          out,
          rehearsal: provider.rehearsal.kind,
          planSha256: result.planSha256,
          files: { root: inFolder(METADATA_DIR, 'root.json'), targets: inFolder(METADATA_DIR, 'targets.json'), snapshot: has('snapshot.json'), timestamp: has('timestamp.json') },
          metadataDir: METADATA_DIR,
          transcript,
          script: SCRIPT_FILE,
          rootKeyIds: result.rootKeyIds,
          targetsKeyId: result.keyIds.targets,
          snapshotKeyId: result.keyIds.snapshot,
          timestampKeyId: result.keyIds.timestamp,
          timestampKeySource: timestampKeySource ?? null,
          snapshotKeySource: profile === 'notary' ? (snapshotKey ? 'file' : 'token') : null,
          sealKeyId: result.sealKeyId,
          shareCards: cards,
          rotation: {
            request: rotation.request,
            review: rotation.review,
            responses: rotation.responses,
            root: rotation.root,
            snapshot: rotation.snapshot,
            version: rotation.version,
            replaced: rotation.replaced,
            statusAfterFirst: rotation.statusAfterFirst,
            waitingForAfterFirst: rotation.waitingForAfterFirst,
            status: rotation.status,
            shortHash: rotation.payloadHash.hex,
            words: rotation.payloadHash.words,
            transcript: rotation.transcript,
            transcriptSealKeyId: rotation.transcriptSealKeyId,
          },
          export: {
            bundle: exported.bundle,
            bytes: exported.bundleBytes.length,
            contents: exported.contents,
            sha256: exported.hash.sha256,
            shortHash: exported.hash.hex,
            words: exported.hash.words,
            qr: { dir: exported.qr.dir, frames: exported.qr.frames.length, text: exported.qr.text, fragments: exported.qr.fragments, fragmentBytes: exported.qr.fragmentBytes, loss: exported.qr.loss },
          },
          site: site
            ? {
                pinnedRoot: site.pinnedRoot,
                received: site.received,
                qr: site.qr,
                trustDir: site.trustDir,
                folder: site.installedFolder,
                installed: { files: site.installed.files, versions: site.installed.record.versions, pinnedBy: site.installed.pinnedBy, rootChain: site.installed.verified.rootChain.map((c) => c.version) },
                transcript: site.transcript,
                refusal: site.refusal,
              }
            : null,
          tree: tree ?? null,
          sigstore: sigstoreStage
            ? { trustedRoot: sigstoreStage.trustedRoot, request: sigstoreStage.request, review: sigstoreStage.review, response: sigstoreStage.response, targets: sigstoreStage.targets, trustedRootReview: sigstoreStage.trustedRootLines }
            : null,
          durationMs: durations,
          notYetRehearsed,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  say(`REHEARSAL complete (${provider.rehearsal.kind === 'softhsm2' ? 'SoftHSM2 rehearsal tokens' : 'in-process software tokens'}) in ${(durations.total / 1000).toFixed(1)} s:`);
  say(`  metadata v1 (publishable): ${join(out, METADATA_DIR)}: ${metadata.join(', ')}`);
  if (profile === 'notary') say(`  timestamp key: ${join(out, TIMESTAMP_KEY_FILE)} (${timestampKeySource === 'file' ? `from ${opts.timestampKey}` : 'made by the rehearsal'})`);
  if (snapshotKey) say(`  snapshot key: ${join(out, SNAPSHOT_KEY_FILE)} (the server's, from ${opts.snapshotKey}; no snapshot.json: the server signs snapshots)`);
  say(`  plan: ${join(out, PLAN_FILE)} (intent hash ${result.planSha256}); printable ceremony script: ${join(out, SCRIPT_FILE)}`);
  say(`  share cards (REHEARSAL, secret): ${cards.map((c) => join(out, c)).join(', ')}`);
  say(`  transcript: ${join(out, transcript)} (sealed by Alice's rehearsal root key ${result.sealKeyId}) and ${join(out, STATE_DIR, TRANSCRIPT_HTML)}`);
  say(`  check it: tuf-ceremony transcript verify ${join(out, transcript)} --seal-key ${result.sealKeyId}`);
  say(`  rotation: ${join(out, rotation.root)} (root v2${rotation.snapshot ? `, with ${join(out, rotation.snapshot)}` : ''}); request, review and responses in ${join(out, ROTATION_DIR)}`);
  say(`  rotation session transcript: tuf-ceremony transcript verify ${join(out, rotation.transcript)} --seal-key ${rotation.transcriptSealKeyId}`);
  say(`  export: ${join(out, exported.bundle)} and ${exported.qr.frames.length} QR frames in ${join(out, exported.qr.dir)}`);
  if (site) say(`  site: ${join(out, site.installedFolder)} (imported, pinned to root v1); tampered copy refused with ${site.refusal.code}`);
  say(`  durations: ${Object.entries(durations).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')}`);
  if (notYetRehearsed.length > 0) say(`  not rehearsed here: ${notYetRehearsed.join('; ')}`);
  return 0;
}

interface StagesInput {
  profile: ProfileName;
  repository: string;
  out: string;
  now: () => Date;
  say: (line: string) => void;
  tokens: readonly RehearsalToken[];
  newToken: RehearsalToken;
  /** Notary without --timestamp-key: the rehearsal's own timestamp key, to play notary-server at the site. */
  timestampKey: SoftwareKey | undefined;
  /** Whether the root ceremony wrote snapshot.json (not when the snapshot is server-managed). */
  snapshotWritten: boolean;
  /** The plan the root ceremony ran (key labels on the tokens). */
  plan: CeremonyPlan;
  /** `--profile sigstore`: the rehearsal's software keys, for the sigstore stage. */
  sigstore?: { softwareKeys: ReadonlyMap<string, SigningKey> };
  lap: (name: string) => void;
}

interface Stages {
  rotation: RotationStageResult;
  exported: ExportStageResult;
  site: SiteImportResult | undefined;
  sigstore: SigstoreStageResult | undefined;
  /** TUF: the hostable tree in DIR/repository/ (src/rehearsal/repository-stage.ts). */
  tree: RehearsalTree | undefined;
  notYetRehearsed: string[];
}

/** Rotation → export → simulated site, each a module of src/rehearsal/, on the files the previous left in `out`. */
async function runStages(s: StagesInput): Promise<Stages> {
  const { profile, out } = s;
  // The root ceremony's metadata, in its publishable folder (src/ceremony/layout.ts).
  const read = (name: string, cap: number): Promise<Uint8Array> => readFileCapped(join(out, METADATA_DIR, name), cap);
  const rootV1 = await read('root.json', DEFAULT_CAPS.root);
  const targets = await read('targets.json', DEFAULT_CAPS.targets);
  const snapshotV1 = s.snapshotWritten ? await read('snapshot.json', DEFAULT_CAPS.snapshot) : undefined;
  const snapshotSource = s.plan.snapshot.key;
  const notarySnapshot =
    profile === 'notary' && snapshotV1 && snapshotSource.kind === 'token'
      ? { v1: snapshotV1, key: await tokenOf(s.tokens, snapshotSource.custodian).findKey(snapshotSource.keyLabel) }
      : undefined;
  const rootKeyLabels = new Map(s.plan.custodians.map((c) => [c.name, c.keyLabel]));
  const rotation = await runRotationStage({ profile, repository: s.repository, out, rootV1, tokens: s.tokens, rootKeyLabels, newToken: s.newToken, notarySnapshot, now: s.now, say: s.say });
  s.lap('rotation');

  // The final repository: the root chain (1.root.json, 2.root.json; root.json = v2), then the other roles.
  const files: RepositoryFiles = {
    versionedRoots: new Map([
      [1, rootV1],
      [2, rotation.rootV2],
    ]),
    root: rotation.rootV2,
    targets,
    delegated: new Map(),
  };
  const notYetRehearsed: string[] = [];
  let complete = true;
  let sigstore: SigstoreStageResult | undefined;
  if (profile === 'tuf') {
    files.snapshot = snapshotV1!;
    files.timestamp = await read('timestamp.json', DEFAULT_CAPS.timestamp);
    if (s.sigstore) {
      sigstore = await runSigstoreStage({ out, files, pinnedRoot: rootV1, plan: s.plan, tokens: s.tokens, softwareKeys: s.sigstore.softwareKeys, now: s.now(), say: s.say });
      Object.assign(files, sigstore.files);
      s.lap('sigstore');
    }
  } else {
    const snapshot = rotation.snapshotV2;
    if (snapshot) files.snapshot = snapshot;
    if (snapshot && s.timestampKey) {
      files.timestamp = await simulatedServerTimestamp(rotation.rootV2, snapshot, s.timestampKey, s.now());
      s.say('  (the rehearsal plays notary-server: its own timestamp key signs timestamp.json for the site, as the server would on publish)');
    } else {
      complete = false;
      // What only notary-server can sign here: its roles are the ones whose key files were given.
      const serverRoles = [...(snapshot ? [] : ['snapshot']), ...(s.timestampKey ? [] : ['timestamp'])];
      const options = [...(snapshot ? [] : ['--snapshot-key']), ...(s.timestampKey ? [] : ['--timestamp-key'])];
      notYetRehearsed.push(
        `import at a simulated site: notary-server signs the ${serverRoles.join(' and ')} with its own key${serverRoles.length > 1 ? 's' : ''} (${options.join(', ')}); ` +
          "publish rotation/2.root.json, then import the server's metadata (tuf-ceremony bundle create, import)",
      );
    }
  }
  const exported = await runExportStage({ profile, repository: s.repository, out, files, now: s.now(), say: s.say });
  s.lap('export');
  let site: SiteImportResult | undefined;
  if (complete) {
    site = await runSiteImportStage({ out, frames: exported.qr.frames, usbBundle: exported.bundle, pinnedRoot: rootV1, now: s.now(), say: s.say });
    s.lap('site');
  }
  const tree = profile === 'tuf' ? await writeRehearsalTree({ out, files, pinnedRoot: rootV1, now: s.now(), say: s.say, ...(sigstore ? { targetFiles: sigstore.targetFiles } : {}) }) : undefined;
  return { rotation, exported, site, sigstore, tree, notYetRehearsed };
}
export function registerRehearseCommand(program: Command, io: Io, setStatus: (status: number) => void): void {
  program
    .command('rehearse')
    .description('a complete rehearsal on rehearsal tokens (SoftHSM2 when installed, else software): root ceremony, rotation, USB + QR export, import at a simulated site; everything left in DIR')
    .option('--profile <PROFILE>', 'notary (default), tuf, or sigstore (TUF with a private Sigstore trusted_root.json as a target)')
    .option('--gun <NAME>', `the repository name (Notary GUN); default ${DEFAULT_REHEARSAL_GUN}`)
    .option('--timestamp-key <FILE>', "notary: the server's timestamp public key JSON (/v2/<GUN>/_trust/tuf/timestamp.key)")
    .option('--snapshot-key <FILE>', "notary: the server's snapshot public key JSON (/v2/<GUN>/_trust/tuf/snapshot.key): a server-managed snapshot")
    .option('--publisher-key <FILE>', "a publisher's targets public key PEM (notary key generate ecdsa --role targets -o NAME writes NAME.pem), listed beside the ceremony's targets key")
    .requiredOption('--out <DIR>', 'where to write the outputs, cards and transcript (nothing is overwritten)')
    .option('--repositories <N>', 'rehearse N repositories sharing the custodians\' root keys: ceremony, batch rotation, export of one trust-bundle-set, site import (src/rehearsal/multi-repository.ts)')
    .option('--json', 'machine-readable summary (documented in src/cli/rehearse.ts)')
    .action(async (opts: RehearseOptions) => setStatus(await rehearseCommand(opts, io)));
}

/**
 * `rehearse --repositories N [--profile notary|tuf] --out DIR [--json]` (issue #17): the rehearsal of N
 * repositories sharing the custodians' root keys (src/rehearsal/multi-repository.ts). `--json` prints
 * `{ "ok": true, "profile", "out", "rehearsal", "repositories": [names], "ceremony": { "dir" (`metadata`: one
 * folder per repository in it), "transcript" (`state/transcript.jsonl`), "inventory" (`state/key-inventory.json`), "planSha256", "tokenSignatures", "rootKeyFingerprints", "shareCards" (the Shamir backup's REHEARSAL cards, `secret/…`) }, "rotation": { "request", "review", "responses", "merged", "batchId", "shortHash",
 * "words", "summary": [...], "exceptions": n, "status", "tokenSignatures" }, "export": { "bundle", "pins",
 * "bytes", "sha256", "shortHash", "words" }, "site": { "trustDir", "installed", "rootVersions", "transcript"
 * (the set import's session transcript, as `import SET` writes it, or null), "refusal": { "bundle", "code",
 * "message", "unchanged", "transcript" (the refusal's) } }, "durationMs": { "ceremony", "rotation", "export", "site",
 * "total" }, "notYetRehearsed": [...] }`.
 */
async function rehearseManyCommand(profile: ProfileName, sigstore: boolean, opts: RehearseOptions, io: Io, deps: RehearseDeps): Promise<number> {
  if (sigstore || opts.gun !== undefined || opts.timestampKey !== undefined || opts.snapshotKey !== undefined || opts.publisherKey !== undefined) {
    throw new CeremonyError('USAGE', '--repositories rehearses the notary or tuf profile with its own names and keys: --gun, --timestamp-key, --snapshot-key, --publisher-key and sigstore are for one repository');
  }
  const count = Number(opts.repositories);
  if (!/^[0-9]+$/.test(opts.repositories ?? '') || count < 1 || count > MAX_REHEARSAL_REPOSITORIES) throw new CeremonyError('USAGE', `--repositories is a whole number from 1 to ${MAX_REHEARSAL_REPOSITORIES}`);
  const out = resolve(opts.out);
  await assertAbsent(['metadata', 'state', 'secret', 'rotation', 'export', 'site', 'plan', 'server-keys'].map((n) => join(out, n)), ' (a rehearsal writes into a new folder)');
  await makeFolder(out);
  const result = await rehearseRepositories({ profile, count, out, now: deps.now, softhsm: deps.softhsmPath(), say: (line) => (opts.json ? undefined : io.out(line)) });
  if (opts.json) io.out(JSON.stringify({ ok: true, out, ...result }, null, 2));
  else io.out(`done in ${(result.durationMs.total / 1000).toFixed(1)} s: ceremony ${result.durationMs.ceremony} ms, batch rotation ${result.durationMs.rotation} ms, export ${result.durationMs.export} ms, site import ${result.durationMs.site} ms`);
  return 0;
}
