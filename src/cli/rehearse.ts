/**
 * `tuf-ceremony rehearse [--profile notary|tuf] [--gun NAME] [--timestamp-key FILE] --out DIR [--json]`
 * (PRODUCT.md §3, §2.8): a complete root ceremony on rehearsal tokens — SoftHSM2 in a private temporary
 * folder when it is installed, else in-process software tokens — with the same machine as `run`: a 2-of-3
 * root on three custodians' tokens, a software root key split 2-of-3 into share cards (the Shamir backup),
 * targets (and snapshot) keys, the metadata, a sealed transcript marked as a rehearsal. Everything is left
 * in DIR (see src/ceremony/rehearsal-plan.ts for the plan it builds; it is written as DIR/plan.json).
 *
 * Notary: FILE is the public key notary-server serves at `/v2/<GUN>/_trust/tuf/timestamp.key`; root.json
 * then lists it and the repository can be published to that server. Without it the rehearsal makes its own
 * timestamp key (software, discarded) and says so. `--snapshot-key FILE2` (the server's
 * `/v2/<GUN>/_trust/tuf/snapshot.key`) makes the snapshot server-managed — what delegated signers need, as
 * they publish without the snapshot key: root.json lists the server's key and no snapshot.json is written
 * (publish root.json and targets.json only). Without it the snapshot key is on Bob's rehearsal token.
 *
 * Files in DIR: root.json, targets.json, snapshot.json (unless server-managed; + 1.root.json and
 * timestamp.json for tuf), timestamp.key and snapshot.key (notary, the inputs), plan.json, transcript.jsonl, transcript.html, ceremony-state.json,
 * share-card-K-of-3.txt and share-cards.html (secret rehearsal cards). Nothing is overwritten; a rehearsal
 * never resumes (its tokens are gone): use a new DIR.
 *
 * `--json` prints (exit 0):
 *
 * ```json
 * { "ok": true, "profile": "notary", "repository": "…", "out": "/abs/DIR", "rehearsal": "softhsm2",
 *   "planSha256": "…", "files": { "root": "root.json", "targets": "targets.json", "snapshot": "snapshot.json", "timestamp": null },
 *   "rootKeyIds": ["…", "…", "…", "…"], "targetsKeyId": "…", "snapshotKeyId": "…", "timestampKeyId": "…",
 *   "timestampKeySource": "file", "snapshotKeySource": "token" | "file" (notary; null for tuf), "sealKeyId": "…", "shareCards": ["share-card-1-of-3.txt", …, "share-cards.html"],
 *   "notYetRehearsed": ["rotation", "export (USB bundle, QR frames)", "import at a simulated site"] }
 * ```
 */
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CeremonyError } from '../errors.js';
import { assertAbsent, readFileCapped, writeFileAtomic } from '../io/files.js';
import { sha256Hex } from '../crypto/digest.js';
import { allOutputNames, metadataFileNames, parsePlan, rehearsalPlan, runCeremony, RehearsalTokenProvider, type CeremonyResult } from '../ceremony/index.js';
import { REHEARSAL_CUSTODIANS } from '../ceremony/rehearsal-plan.js';
import { installedSoftHsm, openRehearsalTokenSet } from '../ceremony/rehearsal-tokens.js';
import { parseServerKey, SERVER_KEY_MAX_BYTES } from '../ceremony/server-key.js';
import type { ProfileName } from '../profiles/profile.js';
import { listPublicKey } from '../signers/public-key-json.js';
import type { RehearsalToken } from '../signers/rehearsal.js';
import { SoftwareKey } from '../signers/software.js';
import type { Io } from './output.js';

export const DEFAULT_REHEARSAL_GUN = 'rehearsal.example.com/org/app';
export const PLAN_FILE = 'plan.json';
export const TIMESTAMP_KEY_FILE = 'timestamp.key';
export const SNAPSHOT_KEY_FILE = 'snapshot.key';
export const NOT_YET_REHEARSED = ['rotation', 'export (USB bundle, QR frames)', 'import at a simulated site'] as const;

export interface RehearseOptions {
  profile?: string;
  gun?: string;
  timestampKey?: string;
  snapshotKey?: string;
  out: string;
  json?: boolean;
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
  if (value !== 'notary' && value !== 'tuf') throw new CeremonyError('USAGE', `--profile is notary or tuf, not ${JSON.stringify(value)}`);
  return value;
}

export async function rehearseCommand(opts: RehearseOptions, io: Io, deps: RehearseDeps = defaultRehearseDeps): Promise<number> {
  const profile = profileOption(opts.profile);
  if (!opts.out) throw new CeremonyError('USAGE', '--out DIR is required');
  if (profile === 'tuf' && opts.timestampKey !== undefined) {
    throw new CeremonyError('USAGE', '--timestamp-key is for the notary profile (notary-server holds the timestamp key); a TUF rehearsal makes its own');
  }
  if (profile === 'tuf' && opts.snapshotKey !== undefined) {
    throw new CeremonyError('USAGE', '--snapshot-key is for the notary profile (a server-managed snapshot); a TUF rehearsal holds its snapshot key');
  }
  const repository = opts.gun ?? DEFAULT_REHEARSAL_GUN;
  const out = resolve(opts.out);
  const now = deps.now();
  const say = (line: string): void => {
    if (!opts.json) io.out(line);
  };

  // Nothing is written unless everything can be: every name the rehearsal writes must be free.
  const own = [PLAN_FILE, ...(profile === 'notary' ? [TIMESTAMP_KEY_FILE] : []), ...(opts.snapshotKey !== undefined ? [SNAPSHOT_KEY_FILE] : [])];
  // The plan's file names depend only on the profile and the Shamir split; a draft gives them.
  const draft = parsePlan(encoder.encode(JSON.stringify(rehearsalPlan({ profile, repository: 'x', now, timestampKey: { keyFile: TIMESTAMP_KEY_FILE, sha256: '0'.repeat(64) } }))), { rehearsal: true });
  await assertAbsent([...own, ...allOutputNames(draft)].map((n) => join(out, n)), ' (a rehearsal writes into a new folder)');

  // The timestamp key (notary): the server's, or one made here.
  let timestampKeySource: 'file' | 'rehearsal' | undefined;
  let timestampKey: { keyFile: string; sha256: string } | undefined;
  if (profile === 'notary') {
    let bytes: Uint8Array;
    if (opts.timestampKey !== undefined) {
      bytes = await readFileCapped(opts.timestampKey, SERVER_KEY_MAX_BYTES);
      parseServerKey(bytes, basename(opts.timestampKey));
      timestampKeySource = 'file';
    } else {
      const key = SoftwareKey.generate('ed25519', { label: 'rehearsal timestamp key', rehearsal: true });
      try {
        const listed = listPublicKey('notary', key.spki);
        bytes = encoder.encode(JSON.stringify({ keytype: listed.json.keytype, keyval: { private: null, public: (listed.json.keyval as { public: string }).public } }));
      } finally {
        key.dispose();
      }
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

  const planBytes = encoder.encode(JSON.stringify(rehearsalPlan({ profile, repository, now, ...(timestampKey ? { timestampKey } : {}), ...(snapshotKey ? { snapshotKey } : {}) }), null, 2) + '\n');
  const plan = parsePlan(planBytes, { rehearsal: true, source: PLAN_FILE });
  await writeFileAtomic(join(out, PLAN_FILE), planBytes);

  say(`REHEARSAL: ${profile} root ceremony for ${repository}, in ${out}`);
  if (snapshotKey) say(`  the snapshot is server-managed: root.json lists the server's snapshot key from ${opts.snapshotKey}; publish root.json and targets.json`);
  if (timestampKeySource === 'rehearsal') {
    say('  no --timestamp-key: the rehearsal made its own timestamp key (software, discarded); notary-server will not accept this root, as it signs timestamps with its own key');
  }
  // Rehearsal tokens (src/ceremony/rehearsal-tokens.ts): SoftHSM2 in a private temp folder, or software.
  const opened = await openRehearsalTokenSet({ custodians: REHEARSAL_CUSTODIANS, softhsm: deps.softhsmPath() });
  const provider = new RehearsalTokenProvider(opened.tokens);
  let result: CeremonyResult;
  try {
    result = await runCeremony({ planBytes, plan, planName: PLAN_FILE, planDir: out, outDir: out, tokens: provider, resume: false, now: deps.now, report: say });
  } finally {
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

  const metadata = metadataFileNames(plan);
  const cards = result.files.filter((f) => f.startsWith('share-card'));
  if (opts.json) {
    const has = (name: string): string | null => (metadata.includes(name) ? name : null);
    io.out(
      JSON.stringify(
        {
          ok: true,
          profile,
          repository,
          out,
          rehearsal: provider.rehearsal.kind,
          planSha256: result.planSha256,
          files: { root: 'root.json', targets: 'targets.json', snapshot: has('snapshot.json'), timestamp: has('timestamp.json') },
          rootKeyIds: result.rootKeyIds,
          targetsKeyId: result.keyIds.targets,
          snapshotKeyId: result.keyIds.snapshot,
          timestampKeyId: result.keyIds.timestamp,
          timestampKeySource: timestampKeySource ?? null,
          snapshotKeySource: profile === 'notary' ? (snapshotKey ? 'file' : 'token') : null,
          sealKeyId: result.sealKeyId,
          shareCards: cards,
          notYetRehearsed: NOT_YET_REHEARSED,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  say(`REHEARSAL complete (${provider.rehearsal.kind === 'softhsm2' ? 'SoftHSM2 rehearsal tokens' : 'in-process software tokens'}):`);
  say(`  metadata: ${metadata.map((m) => join(out, m)).join(', ')}`);
  if (profile === 'notary') say(`  timestamp key: ${join(out, TIMESTAMP_KEY_FILE)} (${timestampKeySource === 'file' ? `from ${opts.timestampKey}` : 'made by the rehearsal'})`);
  if (snapshotKey) say(`  snapshot key: ${join(out, SNAPSHOT_KEY_FILE)} (the server's, from ${opts.snapshotKey}; no snapshot.json: the server signs snapshots)`);
  say(`  plan: ${join(out, PLAN_FILE)} (intent hash ${result.planSha256})`);
  say(`  share cards (REHEARSAL, secret): ${cards.map((c) => join(out, c)).join(', ')}`);
  say(`  transcript: ${join(out, 'transcript.jsonl')} (sealed by Alice's rehearsal root key ${result.sealKeyId}) and ${join(out, 'transcript.html')}`);
  say(`  check it: tuf-ceremony transcript verify ${join(out, 'transcript.jsonl')} --seal-key ${result.sealKeyId}`);
  say(`  not yet part of the rehearsal (later issues): ${NOT_YET_REHEARSED.join('; ')}`);
  return 0;
}

export function registerRehearseCommand(program: Command, io: Io, setStatus: (status: number) => void): void {
  program
    .command('rehearse')
    .description('run a complete root ceremony on rehearsal tokens (SoftHSM2 when installed, else software) and leave everything in DIR')
    .option('--profile <PROFILE>', 'notary (default) or tuf')
    .option('--gun <NAME>', `the repository name (Notary GUN); default ${DEFAULT_REHEARSAL_GUN}`)
    .option('--timestamp-key <FILE>', "notary: the server's timestamp public key JSON (/v2/<GUN>/_trust/tuf/timestamp.key)")
    .option('--snapshot-key <FILE>', "notary: the server's snapshot public key JSON (/v2/<GUN>/_trust/tuf/snapshot.key): a server-managed snapshot")
    .requiredOption('--out <DIR>', 'where to write the outputs, cards and transcript (nothing is overwritten)')
    .option('--json', 'machine-readable summary (documented in src/cli/rehearse.ts)')
    .action(async (opts: RehearseOptions) => setStatus(await rehearseCommand(opts, io)));
}
