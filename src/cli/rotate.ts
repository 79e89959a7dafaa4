/**
 * `tuf-ceremony rotate PLAN --out REQUEST [--bundle] [--json]` (PRODUCT.md §2.4): build the signing request
 * of a root rotation — or, for a plan with a `delegations` section, of targets.json N+1 — from its reviewed
 * rotation plan (src/rotation/plan.ts).
 *
 * In order: REQUEST must not exist (OUTPUT_EXISTS, exit 2; never overwritten); the plan is read (capped)
 * and parsed strictly (PLAN_INVALID with the JSON path); its SHA-256 is printed as hex and words for the
 * witnesses to compare with the reviewed copy; the files it names — the previous root.json and the public
 * key files, relative to the plan's folder — are read (capped) and must be the bytes the plan pins
 * (PLAN_INPUT_MISMATCH); root version N+1 is built and refused if clients at version N could not follow it
 * (ROTATION_UNFOLLOWABLE); the review every co-signer will see (what changes, in words; the short hash of
 * the bytes to sign) is printed; the request is written atomically and read back.
 *
 * A plan with `root.renewCertificates` (Notary, issue #14) writes a certificate request instead
 * (src/rotation/certificate-request.ts): each custodian's `sign` issues a fresh certificate for the same
 * key, and `merge` of those writes root N+1's signing request. See writeCertificateRequest below.
 *
 * Output form: by default the plain signing request document (JSON, `tuf-ceremony-signing-request`);
 * with `--bundle` a bundle of kind `signing-request` holding it as `request.json` (for `qr encode`, and
 * so the manifest's SHA-256 names it on the way). `sign`, `merge` and `inspect` take either form.
 *
 * `--json` prints `{ "ok": true, "out", "form": "request" | "bundle", "plan": { "sha256", "short", "words" },
 * "requestId", "payloadSha256", "fromVersion", "toVersion", "review": { "lines", "digest": {"sha256","hex","words"} },
 * "expectedSigners": [{keyid, name, from, lost?}], "revokeTags": null | { "role", "fromVersion", "toVersion",
 * "payloadSha256", "digest": {"sha256","hex","words"}, "removed": [{ "name", "length", "sha256" }], "kept": [names],
 * "expectedSigners": [{keyid, name, from}] }, "bundle": { "sha256", "hex", "words" } | null }`; the
 * human lines then go to stderr. Exit: 0 written; 1 refused; 2 usage. `revokeTags` is the second part of
 * a plan with `delegations.revokeTags` ("revoke these tags too", src/rotation/revoke-tags.ts).
 *
 * After a rotation that changed the targets key(s), targets.json must be re-signed by the new key and
 * published with the new root (a client at root N+1 verifies targets.json against the new targets role;
 * measured with notary: notary-server accepts root N+1 alone, then every client fails with "valid
 * signatures did not meet threshold for targets"):
 *
 *   tuf-ceremony resign-targets --previous-root ROOT_N --root ROOT_N1 --targets TARGETS --out FILE
 *       --module PATH|PRESET [--module-params STRING] (--token SERIAL | --token-label LABEL | both) --label KEYLABEL [--pin-env VAR]
 *       [--expires DATE] [--json]
 *
 * checks that ROOT_N1 follows ROOT_N (TUF 5.3.4) and that TARGETS verifies under ROOT_N (5.6.3), prints
 * what will be signed (targets.json version N+1, the same targets and delegations), checks BEFORE the PIN
 * that the token key labelled KEYLABEL is a targets key of ROOT_N1 (ROTATION_SIGNER_UNKNOWN), signs, checks
 * the result under ROOT_N1's targets role, and writes FILE atomically (never over an existing file).
 * With the snapshot key held offline, snapshot.json N+1 is still to be made (targets-snapshot.ts); with a
 * server-managed snapshot, publish root N+1 and this targets.json together.
 * `--json` prints `{ "ok": true, "out", "version", "targets": n, "delegations": [names], "signedBy": [keyids],
 * "token": {"label","serial"} }`. Exit: 0 written; 1 refused; 2 usage; 3 token.
 */
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CeremonyError, isCeremonyError } from '../errors.js';
import { groupHex, groupWords } from '../crypto/digest-words.js';
import { quoteShown } from '../json/fields.js';
import { describeIntentHash, intentHash } from '../ceremony/plan-hash.js';
import { assertAbsent, readFileCapped, writeFileAtomic, writeFileVerified } from '../io/files.js';
import { SessionTranscript, sessionTranscriptPath } from '../audit/session.js';
import { rotationRequestSessionTranscript } from '../rotation/session-transcripts.js';
import { writeBundle } from '../io/bundle-file.js';
import {
  CURRENT_TARGETS_MAX_BYTES,
  KEY_FILE_MAX_BYTES,
  PREVIOUS_ROOT_MAX_BYTES,
  ROTATION_PLAN_MAX_BYTES,
  describeRequest,
  parseRotationPlan,
  planRotation,
  rotationPlanInputs,
  serializeSigningRequest,
  wrapSigningRequest,
} from '../rotation/index.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { describeToken } from '../signers/pkcs11/errors.js';
import type { TokenModule } from '../signers/pkcs11/token.js';
import { metadataSigner } from '../signers/metadata-signer.js';
import { chosenToken, openExpectedToken } from '../signers/token-keys.js';
import { buildTargetsResign, signTargetsResign, unlockTokenKey } from '../rotation/index.js';
import { reportError, type Io } from './output.js';
import { defaultSignDeps, finalizeLoaded, moduleDepsFor, pinSource, type SignDeps } from './sign.js';

export interface RotateOptions {
  out: string;
  bundle?: boolean;
  json?: boolean;
}

export interface RotateDeps {
  now(): Date;
}

export const defaultRotateDeps: RotateDeps = { now: () => new Date() };

export async function rotateCommand(planPath: string, opts: RotateOptions, io: Io, deps: RotateDeps = defaultRotateDeps): Promise<number> {
  const json = Boolean(opts.json);
  const say = (s: string): void => (json ? io.err(s) : io.out(s));
  try {
    if (!opts.out) throw new CeremonyError('USAGE', '--out REQUEST is required');
    const out = resolve(opts.out);
    const transcriptPath = sessionTranscriptPath(out);
    await assertAbsent([out, transcriptPath], ' (a signing request is never overwritten: choose another --out)');
    const planBytes = await readFileCapped(planPath, ROTATION_PLAN_MAX_BYTES);
    const hash = intentHash(planBytes);
    say(`rotation plan ${basename(planPath)}`);
    for (const line of describeIntentHash(hash)) say(line);
    const plan = parseRotationPlan(planBytes);

    // The files the plan names, next to it, each under its cap (the plan pins their bytes by SHA-256).
    const folder = dirname(resolve(planPath));
    const files = new Map<string, Uint8Array>();
    for (const input of rotationPlanInputs(plan)) {
      if (files.has(input.file)) continue;
      try {
        const cap = input.kind === 'previous-root' ? PREVIOUS_ROOT_MAX_BYTES : input.kind === 'targets' || input.kind === 'delegated' ? CURRENT_TARGETS_MAX_BYTES : KEY_FILE_MAX_BYTES;
        files.set(input.file, await readFileCapped(join(folder, input.file), cap));
      } catch (err) {
        if (isCeremonyError(err, 'FILE_NOT_FOUND') || isCeremonyError(err, 'INPUT_TOO_LARGE')) {
          throw new CeremonyError('PLAN_INPUT_MISMATCH', `${input.file}, which the plan names, ${isCeremonyError(err, 'INPUT_TOO_LARGE') ? 'is larger than its cap' : 'cannot be read next to the plan'}`, { path: input.path, cause: err });
        }
        throw err;
      }
    }
    if (plan.root?.renewCertificates && opts.bundle) throw new CeremonyError('USAGE', 'a certificate request is written as the plain document: drop --bundle');
    if (plan.root?.renewCertificates) return await writeCertificateRequest({ planPath, planBytes, hash, files, out, transcriptPath, json, say, io, now: deps.now });
    const planned = planRotation(planBytes, files, deps.now());
    const review = describeRequest(planned.request);
    for (const line of review.lines) say(line);

    let bundleHash = null;
    let requestBytes: Uint8Array;
    if (opts.bundle) {
      requestBytes = wrapSigningRequest(planned.request, deps.now());
      bundleHash = await writeBundle(out, requestBytes);
    } else {
      requestBytes = serializeSigningRequest(planned.request);
      await writeFileVerified(out, requestBytes);
    }
    // The session's transcript (src/rotation/session-transcripts.ts, shared with the app): the plan reviewed,
    // the inputs, the request made. No signing key is used here, so it is hash-chained but unsealed.
    const transcript = await rotationRequestSessionTranscript({
      request: planned.request,
      reviewed: { bytes: planBytes, label: 'rotation plan intent hash (SHA-256 of the plan file)' },
      inputs: [{ name: basename(planPath), bytes: planBytes }, ...[...files].map(([name, bytes]) => ({ name, bytes }))],
      output: { name: basename(out), bytes: requestBytes },
      now: deps.now,
    });
    await writeFileAtomic(transcriptPath, transcript);
    const signers = planned.request.expectedSigners;
    say(`wrote ${out}: ${opts.bundle ? 'signing-request bundle' : 'signing request'} ${planned.request.requestId.slice(0, 16)}… for ${planned.request.role === 'root' ? 'root' : 'targets.json'} version ${review.toVersion}; expected signers: ${signers.map((s) => `${quoteShown(s.name)}${s.lost ? ' (lost)' : ''}`).join(', ')}`);
    const part = planned.request.revokeTags;
    if (part) say(`  and ${part.role}.json version ${part.next.version} without ${part.removed.length} target${part.removed.length === 1 ? '' : 's'}; its expected signers: ${part.expectedSigners.map((s) => quoteShown(s.name)).join(', ')}`);
    if (bundleHash) say(`  bundle short hash ${groupHex(bundleHash.hex)} — read aloud: ${groupWords(bundleHash.words)}`);
    if (json) {
      io.out(
        JSON.stringify(
          {
            ok: true,
            out,
            form: opts.bundle ? 'bundle' : 'request',
            plan: { sha256: hash.sha256, short: hash.short, words: hash.words },
            requestId: planned.request.requestId,
            payloadSha256: planned.request.payloadSha256,
            fromVersion: review.fromVersion,
            toVersion: review.toVersion,
            review: { lines: review.lines, digest: review.digest },
            expectedSigners: signers,
            revokeTags:
              part && review.revokeTags
                ? { role: part.role, fromVersion: review.revokeTags.fromVersion, toVersion: review.revokeTags.toVersion, payloadSha256: part.payloadSha256, digest: review.revokeTags.digest, removed: review.revokeTags.removed, kept: review.revokeTags.kept, expectedSigners: part.expectedSigners }
                : null,
            bundle: bundleHash ? { sha256: bundleHash.sha256, hex: bundleHash.hex, words: bundleHash.words } : null,
          },
          null,
          2,
        ),
      );
    }
    return 0;
  } catch (err) {
    return reportError(io, err, json);
  }
}

/**
 * A plan with `root.renewCertificates` (issue #14): the certificate request every custodian's token answers
 * with a fresh certificate for the same key (src/rotation/certificate-request.ts). `--json` prints
 * `{ "ok": true, "out", "form": "certificate-request", "plan": {…}, "requestId", "fromVersion", "toVersion",
 * "expires", "validity": {"notBefore","notAfter"}, "certificates": [{keyid, name}], "review": {"lines", "digest"} }`.
 */
async function writeCertificateRequest(a: {
  planPath: string;
  planBytes: Uint8Array;
  hash: ReturnType<typeof intentHash>;
  files: Map<string, Uint8Array>;
  out: string;
  transcriptPath: string;
  json: boolean;
  say: (s: string) => void;
  io: Io;
  now: () => Date;
}): Promise<number> {
  const { planCertificateRenewal } = await import('../rotation/certificate-plan.js');
  const { describeCertificateRequest, serializeCertificateRequest } = await import('../rotation/certificate-request.js');
  const { request } = planCertificateRenewal(a.planBytes, a.files, a.now());
  const review = describeCertificateRequest(request);
  for (const line of review.lines) a.say(line);
  const bytes = serializeCertificateRequest(request);
  await writeFileVerified(a.out, bytes);
  const session = await SessionTranscript.start({ kind: 'rotation-request', profile: 'notary', repository: request.repository, reviewed: a.planBytes, rehearsal: false }, a.now);
  await session.append({
    step: 'rotation.request',
    actor: { name: 'administrator', role: 'administrator' },
    digests: [{ label: 'rotation plan intent hash (SHA-256 of the plan file)', sha256: a.hash.sha256 }, { label: 'certificate request ID', sha256: request.requestId }],
    inputs: [{ name: basename(a.planPath), bytes: a.planBytes }, ...[...a.files].map(([name, b]) => ({ name, bytes: b }))],
    outputs: [{ name: basename(a.out), bytes }],
    note: `certificate request: new certificates for ${request.certificates.map((c) => c.name).join(', ')} (same keys)`,
  });
  // Unsealed kinds end with session.end, or `transcript verify` takes the file for a cut one (audit/verify.ts).
  await session.end(`certificate request written: ${basename(a.out)}`);
  await writeFileAtomic(a.transcriptPath, session.bytes());
  const version = request.previous.signed.version;
  a.say(`wrote ${a.out}: certificate request ${request.requestId.slice(0, 16)}… for root version ${version + 1}; each custodian's sign issues a certificate (${request.certificates.map((c) => quoteShown(c.name)).join(', ')}), then merge builds the root signing request`);
  if (a.json) {
    a.io.out(
      JSON.stringify(
        {
          ok: true,
          out: a.out,
          form: 'certificate-request',
          plan: { sha256: a.hash.sha256, short: a.hash.short, words: a.hash.words },
          requestId: request.requestId,
          fromVersion: version,
          toVersion: version + 1,
          expires: request.expires,
          validity: { notBefore: request.validity.notBefore.toISOString(), notAfter: request.validity.notAfter.toISOString() },
          certificates: request.certificates,
          review: { lines: review.lines, digest: review.digest },
        },
        null,
        2,
      ),
    );
  }
  return 0;
}

export function registerRotateCommand(program: Command, io: Io, done: (status: number) => void, deps: RotateDeps = defaultRotateDeps): void {
  program
    .command('rotate')
    .description('build the signing request of a root rotation from its reviewed rotation plan (prints the plan hash and the review)')
    .argument('<PLAN>', 'a rotation plan (tuf-ceremony-rotation-plan); the files it names are read next to it')
    .requiredOption('--out <REQUEST>', 'where to write the signing request (never overwritten)')
    .option('--bundle', 'write it as a signing-request bundle (for qr encode / USB) instead of the plain JSON document')
    .option('--json', 'machine-readable result')
    .action(async (plan: string, opts: RotateOptions) => {
      done(await rotateCommand(plan, opts, io, deps));
    });
}

export interface ResignTargetsOptions {
  previousRoot: string;
  root: string;
  targets: string;
  out: string;
  module: string;
  moduleParams?: string;
  token?: string;
  tokenLabel?: string;
  label: string;
  pinEnv?: string;
  expires?: string;
  json?: boolean;
}

export async function resignTargetsCommand(opts: ResignTargetsOptions, io: Io, deps: SignDeps & Partial<RotateDeps> = defaultSignDeps): Promise<number> {
  const json = Boolean(opts.json);
  const say = (s: string): void => (json ? io.err(s) : io.out(s));
  const loadedHere: TokenModule[] = [];
  try {
    const out = resolve(opts.out);
    await assertAbsent([out], ' (a targets.json is never overwritten: choose another --out)');
    const input = {
      previousRoot: await readFileCapped(opts.previousRoot, DEFAULT_CAPS.root),
      newRoot: await readFileCapped(opts.root, DEFAULT_CAPS.root),
      targets: await readFileCapped(opts.targets, DEFAULT_CAPS.targets),
      ...(opts.expires !== undefined ? { expires: opts.expires } : {}),
      now: (deps.now ?? defaultRotateDeps.now)(),
    };
    // Everything checked before a token is touched: the chain, the current targets.json, the change.
    const built = buildTargetsResign(input);
    const role = built.newRoot.signed.roles.get('targets')!;
    const names = built.previous.signed.delegations?.roles.map((r) => r.name) ?? [];
    say(`targets.json version ${built.previous.signed.version} → ${built.version}: the same ${built.previous.signed.targets.size} targets and ${names.length} delegation${names.length === 1 ? '' : 's'}${names.length ? ` (${names.join(', ')})` : ''}, expires ${String(built.signed.expires)}`);
    say(`re-signed for root version ${built.newRoot.signed.version}'s targets role: ${role.threshold} of ${role.keyids.map((id) => `key ${id.slice(0, 12)}…`).join(', ')}`);

    const opened = await openExpectedToken({ module: opts.module, moduleParams: opts.moduleParams, token: chosenToken(opts.token, opts.tokenLabel) }, moduleDepsFor(deps, loadedHere));
    const { session } = opened;
    let result;
    try {
      const pins = pinSource(opts.pinEnv, deps);
      const keyidOf = (fp: string): string | undefined => role.keyids.find((id) => built.newRoot.signed.keys.get(id)!.key.fingerprint === fp);
      const { key, fingerprint } = await unlockTokenKey(opened, opts.label, pins, (fp) => (keyidOf(fp) === undefined ? `not a targets key of root version ${built.newRoot.signed.version}` : undefined));
      const listed = built.newRoot.signed.keys.get(keyidOf(fingerprint)!)!;
      result = await signTargetsResign(input, [metadataSigner(key, { profile: built.profile, json: listed.json, keyId: listed.keyId, key: listed.key }, { pin: () => pins(session.token) })]);
    } finally {
      await session.close();
    }
    await writeFileVerified(out, result.bytes);
    say(`wrote ${out}: targets.json version ${result.version}, signed by ${result.verification.signed.map((k) => `key ${k.slice(0, 12)}…`).join(', ')} on ${describeToken(session.token)}; publish it with root version ${built.newRoot.signed.version}`);
    if (json) {
      io.out(
        JSON.stringify(
          { ok: true, out, version: result.version, targets: built.previous.signed.targets.size, delegations: names, signedBy: result.verification.signed, token: { label: session.token.label, serial: session.token.serial } },
          null,
          2,
        ),
      );
    }
    return 0;
  } catch (err) {
    return reportError(io, err, json);
  } finally {
    await finalizeLoaded(loadedHere);
  }
}

export function registerResignTargetsCommand(program: Command, io: Io, done: (status: number) => void, deps: SignDeps = defaultSignDeps): void {
  program
    .command('resign-targets')
    .description('after a targets key rotation: targets.json N+1, the same content signed by the new targets key on a token')
    .requiredOption('--previous-root <ROOT_N>', 'the root the rotation started from (the current targets.json verifies under it)')
    .requiredOption('--root <ROOT_N1>', 'the merged new root, listing the new targets key')
    .requiredOption('--targets <TARGETS>', 'targets.json as currently published')
    .requiredOption('--out <FILE>', 'where to write targets.json N+1 (never overwritten)')
    .requiredOption('--module <PATH|PRESET>', 'PKCS#11 module: a path, or ykcs11, opensc, softhsm2')
    .option('--module-params <STRING>', "the module's start-up parameters (NSS softokn: configdir='sql:DIR' certPrefix='' keyPrefix='' secmod='secmod.db')")
    .option('--token <SERIAL>', 'serial of the token holding the new targets key')
    .option('--token-label <LABEL>', 'label of that token (checked when given; enough alone where serials repeat: tpm2-pkcs11, NSS)')
    .requiredOption('--label <KEYLABEL>', 'label of the new targets key on the token')
    .option('--pin-env <VAR>', 'name of an environment variable holding the PIN (else asked without echo)')
    .option('--expires <DATE>', "the new targets.json's expiry (default: the current one's)")
    .option('--json', 'machine-readable result')
    .action(async (opts: ResignTargetsOptions) => {
      done(await resignTargetsCommand(opts, io, deps));
    });
}
