/**
 * `tuf-ceremony refresh DIR_OR_BUNDLE --root PINNED --out DIR [--snapshot-expires 7d] [--timestamp-expires 1d] [--targets FILE]
 *     [--module M --token SERIAL [--token-label L] [--pin-env VAR] [--snapshot-label KEYLABEL] [--timestamp-label KEYLABEL]]
 *     [--snapshot-key-file PEM] [--timestamp-key-file PEM] [--targets-dir FILES] [--json]`
 *
 * Renews a TUF repository that has no online service (src/refresh/refresh.ts): snapshot N+1 (when a
 * snapshot key is given) and timestamp M+1, then the whole repository as a new hostable tree in DIR
 * (src/cli/tree.ts: written in one rename, read back, verified; never over an existing folder) to copy to
 * the static host. In order, with nothing written and no PIN asked before the last step that needs it:
 *
 * 1. DIR must not exist (OUTPUT_EXISTS); the current repository — a tree, a metadata folder or a trust
 *    bundle — is verified from the pinned root: refused when it does not verify (its own code), when its
 *    root has expired (ROOT_EXPIRED), the snapshot and timestamp alone may have expired;
 * 2. each key — a label on the token (its public key read without a PIN) or a PKCS#8 PEM file (for an
 *    online machine; never the offline roles' keys) — must be a key of its role in that root
 *    (REFRESH_KEY_NOT_IN_ROOT), enough for the role's threshold (THRESHOLD_NOT_MET);
 * 3. the PIN is asked once, the files are signed (every signature verified in software), checked as a
 *    client at the pinned root checks them, and written.
 *
 * Expiries: `Nd`, `Nh`, `Nm` from now, or a `YYYY-MM-DDTHH:MM:SSZ` date; defaults snapshot 7d, timestamp 1d.
 * `--targets FILE` publishes a new targets.json (a co-signed targets change, `merge` output) with the new
 * snapshot: it must verify under the root's targets role and be newer than the published one (ROLLBACK).
 * `--delegated NAME=FILE` (repeatable) publishes a delegated role's new file the same way (a co-signed
 * `targets-request --role` change, `merge` output): it must verify under the role's delegation in the
 * (new or published) targets.json and be newer than the published file (ROLLBACK).
 * Target files are carried from the input when it is a tree (those whose entries did not change), and read
 * from `--targets-dir` (new or changed files).
 *
 * `--json` prints (exit 0):
 * `{ "ok": true, "out": "/abs/DIR", "snapshot": { "from": 3, "to": 4, "expires": "…" } | null,
 *    "timestamp": { "from": 5, "to": 6, "expires": "…" }, "files": ["1.root.json", …, "timestamp.json"] }`
 * (`snapshot` is null when only the timestamp was renewed). Exit: 0 written; 1 refused; 2 usage; 3 token.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CeremonyError } from '../errors.js';
import { assertAbsent, isDirectory, readFileCapped } from '../io/files.js';
import { checkTreeTargets, readTargetFiles } from '../io/repository-tree.js';
import { KEY_FILE_MAX_BYTES, softwareKeyFromPem } from '../refresh/key-file.js';
import { matchingTargetFiles } from '../repository-tree/layout.js';
import { checkNewDelegated, checkNewTargets, checkRefreshSigners, parseExpiryOption, refreshRepository, verifyForRefresh } from '../refresh/refresh.js';
import { unlockTokenKey } from '../rotation/signers.js';
import { metadataSigner } from '../signers/metadata-signer.js';
import { describeToken } from '../signers/pkcs11/errors.js';
import type { TokenModule } from '../signers/pkcs11/token.js';
import type { SigningKey } from '../signers/signing-key.js';
import { SoftwareKey } from '../signers/software.js';
import { openExpectedToken, type CheckedToken } from '../signers/token-keys.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import type { Root } from '../tuf/root.js';
import type { MetadataSigner } from '../tuf/sign.js';
import { readRepositoryInput } from './repository-input.js';
import { reportError, type Io } from './output.js';
import { defaultSignDeps, finalizeLoaded, moduleDepsFor, pinSource, type SignDeps } from './sign.js';
import { writeVerifiedTree } from './tree.js';

export interface RefreshOptions {
  root: string;
  out: string;
  snapshotExpires?: string;
  timestampExpires?: string;
  module?: string;
  token?: string;
  tokenLabel?: string;
  pinEnv?: string;
  snapshotLabel?: string;
  timestampLabel?: string;
  snapshotKeyFile?: string;
  timestampKeyFile?: string;
  targetsDir?: string;
  /** A new targets.json (merged after co-signing) to publish with the new snapshot. */
  targets?: string;
  /** NAME=FILE: a delegated role's new file (merged after co-signing). */
  delegated?: string[];
  json?: boolean;
}

export interface RefreshDeps extends SignDeps {
  now(): Date;
}

export const defaultRefreshDeps: RefreshDeps = { ...defaultSignDeps, now: () => new Date() };

type Role = 'snapshot' | 'timestamp';

function listedFor(root: Root, role: Role, key: SigningKey): MetadataSigner {
  const id = root.roles.get(role)!.keyids.find((k) => root.keys.get(k)!.key.fingerprint === key.fingerprint)!;
  const listed = root.keys.get(id)!;
  return metadataSigner(key, { profile: 'tuf', json: listed.json, keyId: listed.keyId, key: listed.key });
}

export async function refreshCommand(input: string, opts: RefreshOptions, io: Io, deps: RefreshDeps = defaultRefreshDeps): Promise<number> {
  const json = Boolean(opts.json);
  const say = (s: string): void => (json ? io.err(s) : io.out(s));
  const loadedHere: TokenModule[] = [];
  const softwareKeys: SoftwareKey[] = [];
  let opened: CheckedToken | undefined;
  try {
    const out = resolve(opts.out);
    await assertAbsent([out], ' (a refresh writes a new tree: choose another --out)');
    const now = deps.now();
    const snapshotExpires = parseExpiryOption(opts.snapshotExpires ?? '7d', now, '--snapshot-expires');
    const timestampExpires = parseExpiryOption(opts.timestampExpires ?? '1d', now, '--timestamp-expires');
    const tokenLabels = { snapshot: opts.snapshotLabel, timestamp: opts.timestampLabel };
    const keyFiles = { snapshot: opts.snapshotKeyFile, timestamp: opts.timestampKeyFile };
    for (const role of ['snapshot', 'timestamp'] as const) {
      if (tokenLabels[role] !== undefined && keyFiles[role] !== undefined) throw new CeremonyError('USAGE', `--${role}-label and --${role}-key-file both given: choose one`);
    }
    if (tokenLabels.timestamp === undefined && keyFiles.timestamp === undefined) throw new CeremonyError('USAGE', 'a timestamp key is needed: --timestamp-label (on the token) or --timestamp-key-file');
    const usesToken = tokenLabels.snapshot !== undefined || tokenLabels.timestamp !== undefined;
    if (usesToken && (opts.module === undefined || opts.token === undefined)) throw new CeremonyError('USAGE', '--snapshot-label / --timestamp-label need --module and --token');

    // 1. The current repository, verified (nothing is signed or written after a refusal).
    const trustedRoot = await readFileCapped(opts.root, DEFAULT_CAPS.root);
    const source = await readRepositoryInput(input);
    const current = verifyForRefresh({ files: source.files, trustedRoot, now });
    const root = current.root.signed;
    const newTargets = opts.targets !== undefined ? await readFileCapped(opts.targets, DEFAULT_CAPS.targets) : undefined;
    if (newTargets && tokenLabels.snapshot === undefined && keyFiles.snapshot === undefined) throw new CeremonyError('USAGE', '--targets is published by a new snapshot: give the snapshot key too');
    if (newTargets) checkNewTargets(current, newTargets);
    const newDelegated = new Map<string, Uint8Array>();
    for (const v of opts.delegated ?? []) {
      const at = v.indexOf('=');
      if (at <= 0 || at === v.length - 1) throw new CeremonyError('USAGE', `--delegated takes NAME=FILE (the delegated role, then its merged file), not ${JSON.stringify(v)}`);
      const name = v.slice(0, at);
      if (newDelegated.has(name)) throw new CeremonyError('USAGE', `--delegated names ${JSON.stringify(name)} twice`);
      newDelegated.set(name, await readFileCapped(v.slice(at + 1), DEFAULT_CAPS.targets));
    }
    if (newDelegated.size > 0 && tokenLabels.snapshot === undefined && keyFiles.snapshot === undefined) throw new CeremonyError('USAGE', '--delegated is published by a new snapshot: give the snapshot key too');
    for (const [name, bytes] of newDelegated) checkNewDelegated(current, newTargets ?? current.targets!.md.bytes, name, bytes);
    // Target files: the input tree's (those still listed unchanged are kept), then --targets-dir's.
    const carried = (await isDirectory(input)) ? (await checkTreeTargets(input, current)).bytes : new Map<string, Uint8Array>();
    const given = opts.targetsDir !== undefined ? await readTargetFiles(opts.targetsDir, DEFAULT_CAPS.targets) : new Map<string, Uint8Array>();

    // Said once every check that needs no PIN has passed (a refusal's error line comes first on stderr).
    let said = false;
    const sayCurrent = (): void => {
      if (said) return;
      said = true;
      say(`current: root v${root.version}, targets v${current.targets!.md.signed.version}, snapshot v${current.snapshot!.md.signed.version} (expires ${current.snapshot!.md.signed.expiresText}), timestamp v${current.timestamp!.md.signed.version} (expires ${current.timestamp!.md.signed.expiresText})`);
    };

    // 2. The keys: key files first (no token needed), then the token's public keys, all before a PIN.
    const keys: Partial<Record<Role, SigningKey>> = {};
    for (const role of ['snapshot', 'timestamp'] as const) {
      const file = keyFiles[role];
      if (file === undefined) continue;
      const key = softwareKeyFromPem(await readFileCapped(file, KEY_FILE_MAX_BYTES), `the ${role} key file`);
      softwareKeys.push(key);
      checkRefreshSigners(root, role, [{ keyId: '', fingerprint: key.fingerprint }]);
      keys[role] = key;
    }
    if (usesToken) {
      opened = await openExpectedToken({ module: opts.module!, token: { serial: opts.token!, ...(opts.tokenLabel ? { label: opts.tokenLabel } : {}) } }, moduleDepsFor(deps, loadedHere));
      const session = opened.session;
      const fingerprints: Partial<Record<Role, string>> = {};
      for (const role of ['snapshot', 'timestamp'] as const) {
        const label = tokenLabels[role];
        if (label === undefined) continue;
        const pub = opened.keys.filter((k) => k.label === label);
        if (pub.length !== 1 || !pub[0]!.fingerprint) {
          throw new CeremonyError('TOKEN_KEY_NOT_FOUND', `${describeToken(session.token)} shows ${pub.length === 0 ? 'no' : pub.length === 1 ? 'no readable' : 'more than one'} public key labelled "${label}" (no PIN was asked)`);
        }
        checkRefreshSigners(root, role, [{ keyId: '', fingerprint: pub[0]!.fingerprint }]);
        fingerprints[role] = pub[0]!.fingerprint;
      }
      // 3. One PIN for the token, then each key found by label and fingerprint.
      sayCurrent();
      const pins = pinSource(opts.pinEnv, deps);
      let loggedIn = false;
      for (const role of ['snapshot', 'timestamp'] as const) {
        const label = tokenLabels[role];
        if (label === undefined) continue;
        if (!loggedIn) {
          keys[role] = (await unlockTokenKey(opened, label, pins, () => undefined)).key;
          loggedIn = true;
        } else {
          keys[role] = (await session.findKey({ label, fingerprint: fingerprints[role]! })).withPinSource(() => pins(session.token));
        }
      }
    }
    sayCurrent();
    const refreshed = await refreshRepository(
      { files: source.files, trustedRoot, now, snapshotExpires, timestampExpires, ...(newTargets ? { targets: newTargets } : {}), ...(newDelegated.size > 0 ? { delegated: newDelegated } : {}) },
      { ...(keys.snapshot ? { snapshot: [listedFor(root, 'snapshot', keys.snapshot)] } : {}), timestamp: [listedFor(root, 'timestamp', keys.timestamp!)] },
    );
    const targetFiles = new Map([...matchingTargetFiles(refreshed.repo, carried), ...given]);
    const written = await writeVerifiedTree({ files: refreshed.files, trustedRoot, out, now, targetFiles });
    const snapshotJson = keys.snapshot ? { from: refreshed.before.snapshot, to: refreshed.after.snapshot, expires: snapshotExpires } : null;
    const timestampJson = { from: refreshed.before.timestamp, to: refreshed.after.timestamp, expires: timestampExpires };
    if (snapshotJson) say(`signed snapshot v${snapshotJson.to} (expires ${snapshotExpires})`);
    say(`signed timestamp v${timestampJson.to} (expires ${timestampExpires}), naming snapshot v${refreshed.after.snapshot}`);
    say(`wrote ${out}: the refreshed repository as a hostable tree, read back and verified; copy it to the host before ${current.timestamp!.md.signed.expiresText} (timestamp.json last)`);
    if (json) io.out(JSON.stringify({ ok: true, out, snapshot: snapshotJson, timestamp: timestampJson, files: written.entries.map((e) => e.name) }, null, 2));
    return 0;
  } catch (err) {
    return reportError(io, err, json);
  } finally {
    for (const k of softwareKeys) k.dispose();
    await opened?.session.close().catch(() => undefined);
    await finalizeLoaded(loadedHere);
  }
}

export function registerRefreshCommand(program: Command, io: Io, done: (status: number) => void, deps: RefreshDeps = defaultRefreshDeps): void {
  program
    .command('refresh')
    .description('a TUF repository without an online service: verify it, sign snapshot N+1 and a new timestamp, write the refreshed hostable tree')
    .argument('<DIR_OR_BUNDLE>', 'the current repository: a hostable tree, a metadata directory or a trust bundle')
    .requiredOption('--root <PINNED>', 'the root.json you trust (pinned)')
    .requiredOption('--out <DIR>', 'the new tree to write (never overwritten)')
    .option('--snapshot-expires <WHEN>', 'Nd, Nh, Nm from now, or YYYY-MM-DDTHH:MM:SSZ (default 7d)')
    .option('--timestamp-expires <WHEN>', 'Nd, Nh, Nm from now, or YYYY-MM-DDTHH:MM:SSZ (default 1d)')
    .option('--module <PATH|PRESET>', 'PKCS#11 module of the token holding the keys: a path, or ykcs11, opensc, softhsm2')
    .option('--token <SERIAL>', 'serial of that token')
    .option('--token-label <LABEL>', 'label of that token (checked when given)')
    .option('--pin-env <VAR>', 'name of an environment variable holding the PIN (else asked without echo)')
    .option('--snapshot-label <KEYLABEL>', 'label of the snapshot key on the token (without a snapshot key, only the timestamp is renewed)')
    .option('--timestamp-label <KEYLABEL>', 'label of the timestamp key on the token')
    .option('--snapshot-key-file <PEM>', 'the snapshot private key as a PKCS#8 PEM file (an online machine)')
    .option('--timestamp-key-file <PEM>', 'the timestamp private key as a PKCS#8 PEM file (an online machine)')
    .option('--targets <FILE>', 'a new targets.json (merged after co-signing) to publish with the new snapshot')
    .option('--delegated <NAME=FILE>', "a delegated role's new file (merged after co-signing) to publish with the new snapshot (repeatable)", (value: string, previous: string[] = []) => [...previous, value])
    .option('--targets-dir <FILES>', 'target files to put in the tree, named by their target path below it (besides those of the input tree still listed)')
    .option('--json', 'machine-readable result (documented in src/cli/refresh.ts)')
    .action(async (path: string, opts: RefreshOptions) => done(await refreshCommand(path, opts, io, deps)));
}
