/**
 * The Rotation and Co-sign channels' work (PRODUCT.md §2.4, issue #5): thin, over the rotation core
 * (src/rotation: payload, request, describe, merge, signers) and the token layer, with the output folder
 * and the PKCS#11 modules injected.
 *
 * Administrator: open the current root.json (and, optionally, the ceremony's transcript, whose custodian
 * entries name the root keys by key ID and token serial), read the root keys with their fingerprints,
 * take new keys from a token on this machine (the token layer's public-key export: for a Notary root key
 * a fresh self-signed certificate made on the token, which needs its PIN) or from a key file as
 * `tuf-ceremony tokens export` writes it, build the change set and the signing request (TUF 5.3.4: the
 * next version, signed by a threshold of the old AND of the new root keys; refused before anyone signs
 * when clients at the current version could not follow it), write the request, then merge the signature
 * responses one at a time in any order and, once both thresholds are met, write root N+1.
 *
 * Co-signer: open a request, read its plain-language review (src/rotation/describe.ts) and short hash,
 * confirm the hash (the sign call carries the SHA-256 the signer confirmed; any other is
 * ROTATION_REQUEST_TAMPERED before a token is touched), choose the token and key — checked to be a root
 * key of the request BEFORE the PIN is asked — then sign (every signature verified in software by the
 * core) and write the response.
 *
 * Stateless on purpose: each call carries the files it works on (capped by the IPC schemas and again by
 * the core's parsers), so two people on two screens of one app — the administrator merging and a
 * co-signer reviewing — cannot disturb each other, and nothing secret is ever kept between calls.
 *
 * PINs: bytes at once (ipc-handlers.ts drops the string), handed to one login through a PinSource that
 * gives a fresh copy per call (a key that needs the PIN before every signature, CKA_ALWAYS_AUTHENTICATE,
 * asks twice), every copy and the original zeroed before the call returns. Never in a view, log or error.
 *
 * Writes: atomic, never over an existing file, read back and compared (src/io/files.ts writeFileVerified).
 */
import { join } from 'node:path';
import { verifyTranscript } from '../../src/audit/verify.js';
import { sha256Hex } from '../../src/crypto/digest.js';
import { groupHex, shortDigest, SHORT_DIGEST_BYTES } from '../../src/crypto/digest-words.js';
import { CeremonyError, isCeremonyError, messageWithoutPath } from '../../src/errors.js';
import { sessionTranscriptPath } from '../../src/audit/session.js';
import { assertAbsent, writeFileAtomic, writeFileVerified } from '../../src/io/files.js';
import { mergeSessionTranscript, rotationRequestSessionTranscript, startCoSignSession } from '../../src/rotation/session-transcripts.js';
import { asObject, shownOrQuoted } from '../../src/json/fields.js';
import { checkKeyName } from '../../src/rotation/names.js';
import { signerKeys } from '../../src/rotation/request.js';
import { expiryShown } from '../../src/rotation/expiry-shown.js';
import { parseJsonStrict } from '../../src/json/parse.js';
import type { JsonObject } from '../../src/json/types.js';
import { getProfile } from '../../src/profiles/index.js';
import type { ProfileName } from '../../src/profiles/profile.js';
import {
  REQUEST_MAX_BYTES,
  RESPONSE_MAX_BYTES,
  buildRotationPayload,
  buildSigningRequest,
  describeRequest,
  reasonText,
  finalizeMerge,
  keyIdsFor,
  partSignedBy,
  signerScope,
  mergeResponses,
  parsePreviousRoot,
  parseSignatureResponse,
  parseSigningRequest,
  serializeSignatureResponse,
  serializeSigningRequest,
  signRequestOnToken,
  type MergeResult,
  type RequestChange,
  type RotationChange,
  type SignatureResponse,
  type SigningRequest,
} from '../../src/rotation/index.js';
import { exportTokenKey, type PinSource } from '../../src/signers/token-keys.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { parseMetadata, type Metadata } from '../../src/tuf/metadata.js';
import { checkNotaryRootCertificates } from '../../src/tuf/notary-root.js';
import { serializeMetadata } from '../../src/tuf/sign.js';
import type { Root } from '../../src/tuf/root.js';
import type {
  NamedFile,
  RotationBuildRequest,
  RotationChangeView,
  RotationKeyFromTokenRequest,
  RotationMergeView,
  RotationNewKeyView,
  RotationRequestView,
  RotationReviewView,
  RotationRootView,
  RotationSignedView,
  RotationSignerCheckView,
  RotationWriteRootView,
  SessionTranscriptFileView,
  TokenRefView,
  WrittenFileView,
} from '../shared/api-types.js';
import { checkToken, fingerprintView, keyTouchPolicy, type TokenDeps } from './tokens.js';
import { needsTouch } from '../../src/signers/pkcs11/piv-touch.js';

/**
 * The new root's default lifetime when the administrator gives none: 10 years for both profiles — what
 * Notary itself gives roots (FIELD-NOTES: root 10 y) and what the root ceremony's rehearsal plan uses. A
 * root expiring within 6 months makes every Notary publish try to re-sign it, so roots get long lives.
 */
export const DEFAULT_ROOT_LIFETIME_DAYS: Record<ProfileName, number> = { notary: 3650, tuf: 3650 };
/** A public key file (`tuf-ceremony tokens export` writes a few hundred bytes; a certificate a few KiB). */
export const KEY_FILE_MAX_BYTES = 64 * 1024;
/** Custodian names people type: shown in reviews and written into requests. */
export const MAX_SIGNER_NAME = 64;
const DAY_MS = 86_400_000;

export interface RotationDeps {
  /** Where a request, a response or the new root goes: a folder dialog in the app, a temporary folder in tests. Undefined: cancelled. */
  chooseOutputDir(suggestedName: string): Promise<string | undefined>;
  tokens: TokenDeps;
  now(): Date;
}

// --- inputs -------------------------------------------------------------------------------------------

/** The same refusal, its message prefixed with the file it is about (the path is kept, not repeated). */
function prefixed(err: CeremonyError, source: string): CeremonyError {
  return new CeremonyError(err.code, `${source}: ${messageWithoutPath(err)}`, { ...(err.path ? { path: err.path } : {}), cause: err });
}

export function withSource<T>(source: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (isCeremonyError(err) && !err.message.startsWith(`${source}:`)) throw prefixed(err, source);
    throw err;
  }
}

function openPrevious(file: NamedFile): Metadata<Root> {
  return withSource(file.name, () => parsePreviousRoot(file.bytes, file.name));
}

export function openRequest(file: NamedFile): SigningRequest {
  if (file.bytes.length > REQUEST_MAX_BYTES) throw new CeremonyError('INPUT_TOO_LARGE', `${file.name} is ${file.bytes.length} bytes, over the cap of ${REQUEST_MAX_BYTES} for a signing request`, { path: '$' });
  return withSource(file.name, () => parseSigningRequest(file.bytes, file.name));
}

function openResponse(file: NamedFile): SignatureResponse {
  if (file.bytes.length > RESPONSE_MAX_BYTES) throw new CeremonyError('INPUT_TOO_LARGE', `${file.name} is ${file.bytes.length} bytes, over the cap of ${RESPONSE_MAX_BYTES} for a signature response`, { path: '$' });
  return withSource(file.name, () => parseSignatureResponse(file.bytes));
}

/** A public key file as `tuf-ceremony tokens export` writes it: the key object the profile lists in root.json. */
export function parseKeyFile(profile: ProfileName, file: NamedFile): { json: JsonObject; keyid: string; keytype: string; fingerprint: string; certificate?: { subject: string; notAfter: string } } {
  return withSource(file.name, () => {
    const json = asObject(parseJsonStrict(file.bytes, { maxBytes: KEY_FILE_MAX_BYTES, path: '$' }), '$');
    const p = getProfile(profile);
    const key = p.parseKey(json, '$');
    const out: ReturnType<typeof parseKeyFile> = { json, keyid: p.keyId(json), keytype: key.keytype, fingerprint: key.fingerprint };
    if (key.certificate) out.certificate = { subject: `CN=${key.certificate.subjectCN}`, notAfter: key.certificate.notAfter.toISOString() };
    return out;
  });
}

/** The name the Shamir backup key goes by in a review when the transcript names it (issue #16). */
export const SHAMIR_BACKUP_NAME = 'Shamir backup';

/**
 * Custodian names by root key ID, from a ceremony transcript's custodian entries (verified chain); and
 * by fingerprint the key no custodian holds, the Shamir backup's (its `shamir.split` entry records the
 * fingerprint only: the key never had a token or key ID of its own there).
 */
export function namesFromTranscript(file: NamedFile): { names: Map<string, { name: string; serial: string }>; byFingerprint: Map<string, string>; repository: string; sealed: boolean } {
  const t = withSource(file.name, () => verifyTranscript(file.bytes, { allowUnsealed: true }));
  const names = new Map<string, { name: string; serial: string }>();
  const byFingerprint = new Map<string, string>();
  for (const e of t.entries) {
    if (e.step === 'shamir.split' && e.digests[0]) byFingerprint.set(e.digests[0].sha256, SHAMIR_BACKUP_NAME);
    if (e.actor.role !== 'custodian' || !e.token?.keyId) continue;
    if (!names.has(e.token.keyId)) names.set(e.token.keyId, { name: e.actor.name, serial: e.token.serial });
  }
  return { names, byFingerprint, repository: t.header.repository, sealed: t.sealed };
}

/** A signer or key name as typed: trimmed, then the core's rule for names in a review (shown text that cannot pass for key text). */
export function checkName(name: string, path: string): string {
  return checkKeyName(name.trim(), path, 'ROTATION_CHANGE_INVALID', MAX_SIGNER_NAME);
}

// --- views --------------------------------------------------------------------------------------------

function digestView(sha256: string): RotationReviewView['digest'] {
  const d = shortDigest(sha256);
  return { sha256: d.sha256, hex: d.hex, grouped: groupHex(d.hex), words: d.words };
}

/** The default expiry of root N+1: now + the profile's default root lifetime, in the profile's date form. */
export function defaultExpires(profile: ProfileName, now: Date): string {
  return formatExpires(new Date(Math.floor(now.getTime() / 1000) * 1000 + DEFAULT_ROOT_LIFETIME_DAYS[profile] * DAY_MS));
}

export function rootView(fileName: string, previous: Metadata<Root>, now: Date, transcript?: ReturnType<typeof namesFromTranscript> & { fileName: string }): RotationRootView {
  const root = previous.signed;
  const rootRole = root.roles.get('root')!;
  const keys = rootRole.keyids.map((keyid) => {
    const listed = root.keys.get(keyid)!;
    const v: RotationRootView['keys'][number] = { keyid, keytype: listed.key.keytype, fingerprint: fingerprintView(listed.key.fingerprint) };
    const named = transcript?.names.get(keyid);
    const backup = transcript?.byFingerprint.get(listed.key.fingerprint);
    if (named) {
      v.name = named.name;
      v.tokenSerial = named.serial;
    } else if (backup) {
      v.name = backup;
    }
    return v;
  });
  // Notary root keys are certificates whose CN is the GUN (FIELD-NOTES); a TUF root does not name its repository.
  const cn = rootRole.keyids.map((id) => root.keys.get(id)!.key.certificate?.subjectCN).find((c) => c);
  const view: RotationRootView = {
    fileName,
    profile: previous.profile.name,
    version: root.version,
    expires: root.expiresText,
    defaultExpires: defaultExpires(previous.profile.name, now),
    threshold: rootRole.threshold,
    keys,
    roles: (['root', 'targets', 'snapshot', 'timestamp'] as const).map((role) => ({ role, keyids: [...root.roles.get(role)!.keyids], threshold: root.roles.get(role)!.threshold })),
  };
  const repository = cn ?? transcript?.repository;
  if (repository) view.repository = repository;
  if (transcript) view.transcript = { fileName: transcript.fileName, repository: transcript.repository, sealed: transcript.sealed, named: keys.filter((k) => k.name).length };
  return view;
}

/** One change as a sentence people read aloud (the renderer shows `text`; the parts are for layout and tests). */
export function changeView(c: RequestChange): RotationChangeView {
  switch (c.kind) {
    case 'key-replaced':
      return { kind: c.kind, role: c.role, text: `${c.who} is replaced by ${c.by} in the ${c.role} role`, who: c.who, by: c.by };
    case 'key-removed':
      return { kind: c.kind, role: c.role, text: `${c.who} is removed from the ${c.role} role`, who: c.who };
    case 'key-added':
      return { kind: c.kind, role: c.role, text: `${c.who} is added to the ${c.role} role`, who: c.who };
    case 'key-relisted':
      return { kind: c.kind, role: c.role, text: `${c.who} stays in the ${c.role} role, listed under a new key ID ${c.newKeyid.slice(0, 12)}… (e.g. a renewed certificate)`, who: c.who };
    case 'threshold':
      return { kind: c.kind, role: c.role, text: `${c.role} threshold changes from ${c.from} to ${c.to}` };
    case 'expires':
      return { kind: c.kind, text: Date.parse(c.to) < Date.parse(c.from) ? `root expiry is SHORTENED from ${expiryShown(c.from)} to ${expiryShown(c.to)}` : `root expiry changes from ${expiryShown(c.from)} to ${expiryShown(c.to)}` };
    case 'consistent-snapshot':
      return { kind: c.kind, text: `consistent_snapshot changes from ${c.from} to ${c.to}` };
    default:
      return { kind: c.kind, text: `the field ${JSON.stringify(c.field)} changes` };
  }
}

export function reviewView(request: SigningRequest): RotationReviewView {
  const d = describeRequest(request);
  const prev = request.previous.signed;
  const next = request.root;
  // A delegated role request's signers are the delegation's keys, listed in targets.json, not in a root.
  const signerKey = signerKeys(request);
  const keyOf = (id: string) => signerKey(id) ?? next.keys.get(id) ?? prev.keys.get(id);
  const before = request.policy.previous;
  const after = request.policy.new;
  // A key reported lost is said so where it goes (the request records it; compromised / retired are not recorded).
  const lost = new Set(request.expectedSigners.filter((s) => s.lost).map((s) => s.keyid));
  const changes = d.changes.map((c) => {
    const v = changeView(c);
    const gone = c.kind === 'key-replaced' ? c.oldKeyid : c.kind === 'key-removed' ? c.keyid : undefined;
    // The reason recorded in the request (lost, compromised, retired); a lost key without one is still said lost.
    const reason = c.kind === 'key-replaced' || c.kind === 'key-removed' ? c.reason : undefined;
    if (reason) v.text += reasonText(reason);
    else if (gone && lost.has(gone)) v.text += reasonText('lost');
    return v;
  });
  if (d.revokeTags) {
    // A request that also revokes tags (src/rotation/revoke-tags.ts): both parts as the core words them —
    // each part's changes, signers and bytes to sign, the tags removed and kept, what a client sees.
    for (const line of d.lines.slice(1, -1)) changes.push({ kind: 'revoke-tags', text: line.trim() });
  } else {
    // Every other sentence of the core's review, as the CLI prints it (review-15a F5: the screen showed the
    // changes only): root requests' certificate WARNINGs, the renewal link and "also changes" lines (review-
    // 15a F4); targets requests' changes, the targets a delegation's file keeps, nested delegations and
    // carried contents — each with its kind, from the core's one list (describe.ts `sentences`), so the
    // screen cannot drop or shift one. Root changes are above, in the screen's own words.
    const rootKinds = new Set<string>(d.changes.map((c) => c.kind));
    for (const sent of d.sentences) if (!(request.role === 'root' && rootKinds.has(sent.kind))) changes.push({ kind: sent.kind, text: sent.text.trim() });
  }
  const expires = request.targets
    ? { from: request.targets.previous.signed.expiresText, to: request.targets.next.expiresText }
    : { from: prev.expiresText, to: next.expiresText };
  // The signing role's threshold is always said, also when it stays (the co-signer checks it either way).
  // A delegated role request is signed under that role's threshold in targets.json (request.policy is
  // the delegation's), so it is named, as describe.ts names it: shownOrQuoted, the name being a file's.
  const role = request.role === 'targets' ? 'targets' : 'root';
  const delegation = delegationShown(request);
  const signing = delegation?.name ?? role;
  const threshold =
    before.threshold === after.threshold && before.keyids.length === after.keyids.length
      ? `${signing} threshold stays ${after.threshold} of ${after.keyids.length}`
      : `${signing} threshold changes from ${before.threshold} of ${before.keyids.length} to ${after.threshold} of ${after.keyids.length}`;
  return {
    requestId: request.requestId,
    repository: d.repository,
    profile: d.profile,
    fromVersion: d.fromVersion,
    toVersion: d.toVersion,
    role,
    ...(delegation ? { delegation } : {}),
    changes,
    threshold,
    expires,
    policy: d.policy,
    digest: digestView(d.digest.sha256),
    expectedSigners: request.expectedSigners.map((s) => {
      const v: RotationReviewView['expectedSigners'][number] = { keyid: s.keyid, name: s.name, from: s.from, fingerprint: fingerprintView(keyOf(s.keyid)!.key.fingerprint) };
      if (s.lost) v.lost = true;
      return v;
    }),
    lines: d.lines,
  };
}

/** A delegated role request's role and its file, as shown (quoted when they hold characters that could hide text). */
function delegationShown(request: SigningRequest): { name: string; file: string } | undefined {
  return request.delegation ? { name: shownOrQuoted(request.delegation.name), file: shownOrQuoted(`${request.delegation.name}.json`) } : undefined;
}

/**
 * The file a merge writes: `<version>.root.json`, `<version>.targets.json`, or for a delegated role's own
 * file `<version>.<role, "/" as "_">.json` (as the revoked-tags part is named below) — never
 * `<version>.targets.json` for releases.json N+1, which would pass a delegate's file off as targets.json.
 */
function mergedFileName(result: MergeResult): string {
  return `${result.version}.${result.delegation ? result.delegation.replace(/\//g, '_') : result.role}.json`;
}

export function mergeView(request: SigningRequest, result: MergeResult, fileNames: readonly string[]): RotationMergeView {
  const side = (r: MergeResult['previous'], total: number) => ({ signed: r.signed.length, threshold: r.threshold, total, verified: r.verified });
  const delegation = delegationShown(request);
  return {
    requestId: request.requestId,
    // Targets requests: `request.root` is the trusted root (the policy), not the file being made.
    role: result.role,
    ...(delegation ? { delegation } : {}),
    toVersion: result.version,
    accepted: result.signers.map((s, i) => {
      const a: RotationMergeView['accepted'][number] = { fileName: fileNames[i] ?? `response ${i + 1}`, signer: s.name, keyids: [...s.keyids] };
      if (s.token) a.tokenSerial = s.token.serial;
      return a;
    }),
    previous: side(result.previous, request.policy.previous.keyids.length),
    new: side(result.new, request.policy.new.keyids.length),
    waitingFor: result.waitingFor.map((w) => ({ keyid: w.keyid, name: w.name, side: w.side })),
    final: result.final,
    status: result.status,
  };
}

// --- the change set -----------------------------------------------------------------------------------

/** The renderer's change set → the core's, each key file parsed and every name checked (paths name the field). */
export function changeFrom(profile: ProfileName, req: RotationBuildRequest['change']): RotationChange {
  const change: RotationChange = { expires: req.expires };
  const expires = new Date(req.expires).getTime();
  const key = (file: NamedFile, name: string, path: string) => {
    const k = parseKeyFile(profile, file);
    // Notary clients refuse a root key whose certificate has expired: a certificate ending before the new
    // root does would make the root unverifiable before its own expiry.
    if (k.certificate && new Date(k.certificate.notAfter).getTime() < expires) {
      throw new CeremonyError('ROTATION_CHANGE_INVALID', `${file.name}: its certificate ends ${k.certificate.notAfter}, before the new root expires (${req.expires}); make a new certificate or choose an earlier expiry`, { path: `${path}.key` });
    }
    return { json: k.json, name: checkName(name, `${path}.name`) };
  };
  const root: NonNullable<RotationChange['root']> = {};
  if (req.replace.length) root.replace = req.replace.map((r, i) => ({ old: r.old, reason: r.reason, new: key(r.key, r.name, `$.change.replace[${i}]`) }));
  if (req.remove.length) root.remove = req.remove.map((r) => ({ keyid: r.keyid, reason: r.reason }));
  if (req.add.length) root.add = req.add.map((a, i) => key(a.key, a.name, `$.change.add[${i}]`));
  if (req.threshold !== undefined) root.threshold = req.threshold;
  if (Object.keys(root).length) change.root = root;
  const nothing = !req.replace.length && !req.remove.length && !req.add.length && req.threshold === undefined;
  if (nothing && req.expiresOnly !== true) {
    throw new CeremonyError('ROTATION_CHANGE_INVALID', 'the change set is empty: replace, add or remove a key, change the threshold, or say that only the expiry is renewed', { path: '$.change' });
  }
  return change;
}

/** Names for the review: typed by the administrator, else the transcript's, else none (the core then says "key 1a2b3c4d"). */
function namesFor(previous: Metadata<Root>, typed: RotationBuildRequest['names'], transcript: ReturnType<typeof namesFromTranscript> | undefined): Map<string, string> {
  const names = new Map<string, string>();
  const rootIds = previous.signed.roles.get('root')!.keyids;
  for (const [id, n] of transcript?.names ?? []) if (rootIds.includes(id)) names.set(id, n.name);
  for (const id of rootIds) {
    const backup = transcript?.byFingerprint.get(previous.signed.keys.get(id)!.key.fingerprint);
    if (backup && !names.has(id)) names.set(id, backup);
  }
  typed.forEach((t, i) => {
    if (!rootIds.includes(t.keyid)) throw new CeremonyError('ROTATION_CHANGE_INVALID', `key ${t.keyid.slice(0, 16)}… is not a root key of version ${previous.signed.version}`, { path: `$.names[${i}].keyid` });
    names.set(t.keyid, checkName(t.name, `$.names[${i}].name`));
  });
  return names;
}

// --- writing ------------------------------------------------------------------------------------------

export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 32) || 'signer'
  );
}

/** Atomic, never over an existing file; read back and compared before it is reported written. */
export async function writeOut(deps: Pick<RotationDeps, 'chooseOutputDir'>, suggestedDir: string, name: string, bytes: Uint8Array): Promise<WrittenFileView> {
  const dir = await deps.chooseOutputDir(suggestedDir);
  if (dir === undefined) throw new CeremonyError('USAGE', 'no output folder was chosen; nothing was written');
  const path = join(dir, name);
  await writeFileVerified(path, bytes);
  return { name, path, sha256: sha256Hex(bytes) };
}

/**
 * A session's output files and its session transcript, `<name>.transcript.jsonl` beside the LAST of them,
 * the session's output (the CLI's rule: src/audit/session.ts sessionTranscriptPath): all refused before any
 * is written when one exists; then each file in the order given (read back and compared), then the
 * transcript, atomically, never over a file. Most sessions write one file; a merge of a revoke-tags request
 * writes the delegated role's file before the targets.json that names it (src/rotation/revoke-tags.ts).
 */
export async function writeOutWithTranscript(
  deps: Pick<RotationDeps, 'chooseOutputDir'>,
  suggestedDir: string,
  files: readonly { name: string; bytes: Uint8Array }[],
  transcript: { bytes: Uint8Array; sealKeyId?: string | undefined },
): Promise<{ written: WrittenFileView[]; transcript: SessionTranscriptFileView }> {
  const output = files[files.length - 1];
  if (!output) throw new CeremonyError('INTERNAL', 'writeOutWithTranscript: no file to write');
  const dir = await deps.chooseOutputDir(suggestedDir);
  if (dir === undefined) throw new CeremonyError('USAGE', 'no output folder was chosen; nothing was written');
  const paths = files.map((f) => join(dir, f.name));
  const transcriptPath = sessionTranscriptPath(paths[paths.length - 1]!);
  await assertAbsent([...paths, transcriptPath], ' (choose another folder: nothing was written)');
  for (const [i, f] of files.entries()) await writeFileVerified(paths[i]!, f.bytes);
  await writeFileAtomic(transcriptPath, transcript.bytes);
  const t: SessionTranscriptFileView = { name: sessionTranscriptPath(output.name), path: transcriptPath, sha256: sha256Hex(transcript.bytes) };
  if (transcript.sealKeyId) t.sealKeyId = transcript.sealKeyId;
  return { written: files.map((f, i) => ({ name: f.name, path: paths[i]!, sha256: sha256Hex(f.bytes) })), transcript: t };
}

// --- administrator --------------------------------------------------------------------------------------

export function openRoot(req: { previousRoot: NamedFile; transcript?: NamedFile | undefined }, deps: Pick<RotationDeps, 'now'>): RotationRootView {
  const previous = openPrevious(req.previousRoot);
  const transcript = req.transcript ? { ...namesFromTranscript(req.transcript), fileName: req.transcript.name } : undefined;
  return rootView(req.previousRoot.name, previous, deps.now(), transcript);
}

export function keyFromFile(req: { profile: ProfileName; key: NamedFile }): RotationNewKeyView {
  const k = parseKeyFile(req.profile, req.key);
  const v: RotationNewKeyView = { source: 'file', keyFile: { name: req.key.name, bytes: req.key.bytes }, keyid: k.keyid, keytype: k.keytype, fingerprint: fingerprintView(k.fingerprint) };
  if (k.certificate) v.certificate = k.certificate;
  return v;
}

/** A PinSource over PIN bytes: a fresh copy per call (zeroed by the login), every copy zeroed by `wipe`. */
export function pinSourceOf(pin: Uint8Array): { source: PinSource; wipe(): void } {
  const copies: Uint8Array[] = [];
  return {
    source: async () => {
      const c = Uint8Array.from(pin);
      copies.push(c);
      return c;
    },
    wipe: () => {
      pin.fill(0);
      for (const c of copies) c.fill(0);
    },
  };
}

export interface KeyFromTokenInput extends Omit<RotationKeyFromTokenRequest, 'pin' | 'module'> {
  /** A preset name or a library path: ipc-handlers.ts resolves the renderer's ModuleRef (module-choices.ts). */
  module: string;
  /** UTF-8 PIN bytes (Notary root keys: the certificate is signed on the token); zeroed before this returns. */
  pin?: Uint8Array | undefined;
}

export async function keyFromToken(req: KeyFromTokenInput, deps: Pick<RotationDeps, 'tokens' | 'now'>): Promise<RotationNewKeyView> {
  const pin = req.pin ? pinSourceOf(req.pin) : undefined;
  try {
    if (req.profile === 'notary' && !req.gun) throw new CeremonyError('USAGE', 'a Notary root key is a certificate whose CN is the GUN: give the repository (GUN)', { path: '$.gun' });
    if (req.profile === 'notary' && !pin) throw new CeremonyError('TOKEN_LOGIN_REQUIRED', 'a Notary root key needs a certificate made by the key on the token: its PIN is needed', { path: '$.pin' });
    const exported = await exportTokenKey(
      {
        module: req.module,
        token: req.token,
        label: req.keyLabel,
        profile: req.profile,
        // The certificate outlives the default root expiry by a year: Notary clients refuse a root key whose
        // certificate has expired (FIELD-NOTES), whatever the root's own expiry says.
        ...(req.profile === 'notary' ? { certificate: { gun: req.gun!, days: DEFAULT_ROOT_LIFETIME_DAYS.notary + 365, now: deps.now() }, pin: pin!.source } : {}),
      },
      deps.tokens,
    );
    const bytes = new TextEncoder().encode(`${JSON.stringify(exported.key, null, 2)}\n`);
    const v: RotationNewKeyView = {
      source: 'token',
      keyFile: { name: `${slug(exported.token.label || exported.token.serial)}-${slug(exported.label)}.${req.profile}.key.json`, bytes },
      keyid: exported.keyId,
      keytype: String(exported.key.keytype),
      fingerprint: fingerprintView(exported.fingerprint.sha256),
      token: { label: exported.token.label, serial: exported.token.serial },
      keyLabel: exported.label,
      rehearsal: exported.rehearsal,
    };
    if (exported.certificate) v.certificate = { subject: exported.certificate.subject, notAfter: exported.certificate.notAfter };
    return v;
  } finally {
    pin?.wipe();
  }
}

function buildRequest(req: RotationBuildRequest): SigningRequest {
  const previous = openPrevious(req.previousRoot);
  const transcript = req.transcript ? namesFromTranscript(req.transcript) : undefined;
  const names = namesFor(previous, req.names, transcript);
  const change = changeFrom(previous.profile.name, req.change);
  const repository = req.repository.trim();
  if (!repository) throw new CeremonyError('USAGE', 'a signing request names its repository (the GUN for Notary)', { path: '$.repository' });
  const payload = buildRotationPayload(req.previousRoot.bytes, change, { names });
  return buildSigningRequest(payload, { repository });
}

/**
 * Notary: what its client demands of root keys (src/tuf/notary-root.ts — leaf certificates naming the GUN,
 * within their validity, not SHA-1), checked on root N+1 before anyone is asked to sign it.
 */
function checkNotaryRoot(request: SigningRequest, now: Date): void {
  if (request.profile !== 'notary') return;
  const unsigned = parseMetadata(serializeMetadata('notary', { signed: request.payload, signatures: [] }), 'root', { maxBytes: REQUEST_MAX_BYTES, source: `root version ${request.root.version}` });
  checkNotaryRootCertificates(unsigned, now, request.repository);
}

export async function buildRequestFile(req: RotationBuildRequest, deps: RotationDeps): Promise<RotationRequestView> {
  const request = buildRequest(req);
  checkNotaryRoot(request, deps.now());
  const view: RotationRequestView = { review: reviewView(request) };
  if (req.write) {
    const bytes = serializeSigningRequest(request);
    // Checked as a co-signer will read it, before it leaves this machine.
    parseSigningRequest(bytes, 'the request written');
    const name = `rotation-request-v${request.root.version}-${request.requestId.slice(0, 8)}.json`;
    // The rotation-request session's transcript, as `tuf-ceremony rotate` writes it (src/rotation/
    // session-transcripts.ts; issue #16). There is no plan file here — the request is built and reviewed on
    // screen — so what was reviewed is the request itself: the header's planHash is the SHA-256 of the
    // request written. Unsealed: no key signs anything in this session.
    const inputs = [{ name: req.previousRoot.name, bytes: req.previousRoot.bytes }];
    if (req.transcript && req.transcript.name !== req.previousRoot.name) inputs.push({ name: req.transcript.name, bytes: req.transcript.bytes });
    const transcript = await rotationRequestSessionTranscript({
      request,
      reviewed: { bytes, label: 'the signing request written (SHA-256; reviewed on screen, no plan file)' },
      inputs,
      output: { name, bytes },
      now: deps.now,
    });
    const out = await writeOutWithTranscript(deps, 'rotation', [{ name, bytes }], { bytes: transcript });
    view.written = out.written[0]!;
    view.transcript = out.transcript;
    view.file = { name, bytes };
  }
  return view;
}

/** Merge the responses in the order given (stateless: the screen sends what it accepted plus the new one). */
export function merge(req: { request: NamedFile; responses: NamedFile[] }): RotationMergeView {
  const request = openRequest(req.request);
  const responses = req.responses.map(openResponse);
  const names = req.responses.map((f) => f.name);
  let result: MergeResult;
  try {
    result = mergeResponses(request, responses);
  } catch (err) {
    // The merge refuses as a whole; the screen adds one file at a time, so the newest one is the culprit.
    const last = names[names.length - 1];
    if (isCeremonyError(err) && last) throw prefixed(err, last);
    throw err;
  }
  return mergeView(request, result, names);
}

export async function writeRoot(req: { request: NamedFile; responses: NamedFile[] }, deps: RotationDeps): Promise<RotationWriteRootView> {
  const request = openRequest(req.request);
  // TUF 5.3.4: finalizeMerge refuses unless both thresholds are met and verifyRootUpdate accepts the result.
  const result = finalizeMerge(request, req.responses.map(openResponse));
  // A targets request makes targets.json N+1 (verified against the root's targets role, TUF 5.6.3), named
  // as its version: never `<root version>.root.json`, which would pass targets.json off as a root.
  const name = mergedFileName(result);
  const merge = mergeView(request, result, req.responses.map((f) => f.name));
  const view = { role: result.role, ...(merge.delegation ? { delegation: merge.delegation } : {}), version: result.version, status: result.status, merge };
  const part = result.revokeTags;
  const delegatedName = part?.bytes && part.delegation ? `${part.version}.${part.delegation.replace(/\//g, '_')}.json` : undefined;
  // The merge session's transcript, as `tuf-ceremony merge` writes it (src/rotation/session-transcripts.ts):
  // unsealed, no key is at hand; the merged files prove themselves by their signatures.
  const transcript = await mergeSessionTranscript({
    request,
    requestFile: { name: req.request.name, bytes: req.request.bytes },
    responseFiles: req.responses.map((f) => ({ name: f.name, bytes: f.bytes })),
    digests: [
      { label: `${result.delegation ?? result.role}.json v${result.version}, the bytes signed`, sha256: request.payloadSha256 },
      ...(part && request.revokeTags && delegatedName ? [{ label: `${request.revokeTags.role}.json v${part.version} (tags revoked), the bytes signed`, sha256: request.revokeTags.payloadSha256 }] : []),
    ],
    outputs: [{ name, bytes: result.root }, ...(part?.bytes && delegatedName ? [{ name: delegatedName, bytes: part.bytes }] : [])],
    status: result.status,
    outcome: `${result.delegation ?? result.role}.json v${result.version} written: ${name}${delegatedName ? ` and ${delegatedName}` : ''}`,
    now: deps.now,
  });
  if (part?.bytes && part.delegation && delegatedName) {
    // Two files, one folder: the delegated role's file first, so no targets.json that re-keys the role is
    // left without it (src/rotation/revoke-tags.ts). Its name: `<version>.<role with / as _>.json`.
    const out = await writeOutWithTranscript(deps, 'rotation', [{ name: delegatedName, bytes: part.bytes }, { name, bytes: result.root }], { bytes: transcript });
    return { ...view, written: out.written[1]!, transcript: out.transcript, delegated: { role: part.delegation, version: part.version, written: out.written[0]! } };
  }
  const out = await writeOutWithTranscript(deps, 'rotation', [{ name, bytes: result.root }], { bytes: transcript });
  return { ...view, written: out.written[0]!, transcript: out.transcript };
}

// --- co-signer ------------------------------------------------------------------------------------------

export function review(req: { request: NamedFile }): RotationReviewView {
  return reviewView(openRequest(req.request));
}

/**
 * The one public key labelled `keyLabel` on the chosen token, read without a PIN (co-sign of a signing
 * request here, of a certificate request in cosign-certificate.ts): TOKEN_KEY_NOT_FOUND when there is
 * none, more than one, or none with a readable public key.
 */
export async function labelledKeyOnToken(req: { module: string; token: TokenRefView; keyLabel: string }, deps: Pick<RotationDeps, 'tokens'>) {
  const checked = await checkToken({ module: req.module, token: req.token }, deps.tokens);
  const where = `token "${checked.token.label}" (serial ${checked.token.serial})`;
  const found = checked.token.keys.filter((k) => k.label === req.keyLabel);
  if (found.length !== 1 || !found[0]!.fingerprint) {
    throw new CeremonyError('TOKEN_KEY_NOT_FOUND', `${where} shows ${found.length === 0 ? 'no' : found.length === 1 ? 'no readable' : 'more than one'} public key labelled "${req.keyLabel}" (no PIN was asked)`);
  }
  const key = found[0]!;
  return { checked, where, key, fp: key.fingerprint!.sha256 };
}

/**
 * The key on the chosen token, read without a PIN, and the part of the request it signs: the request
 * itself or, for a request that also revokes tags, the delegated role's file when the root's targets role
 * does not list the key (partFor, src/rotation/revoke-tags.ts — the rule signRequestOnToken signs by).
 */
async function signerOnToken(request: SigningRequest, req: { module: string; token: TokenRefView; keyLabel: string }, deps: Pick<RotationDeps, 'tokens'>) {
  const { checked, where, key, fp } = await labelledKeyOnToken(req, deps);
  const ids = keyIdsFor(request, fp);
  if (ids.length === 0) {
    throw new CeremonyError('ROTATION_SIGNER_UNKNOWN', `key "${req.keyLabel}" on ${where} (fingerprint ${groupHex(fp.slice(0, SHORT_DIGEST_BYTES * 2))}) is ${signerScope(request)}: it has nothing to sign here (no PIN was asked)`);
  }
  const part = partSignedBy(request, fp);
  return { checked, key, ids, part, where };
}

/** What a part signs, for the confirm step: "releases.json v2", its hash words, and "part 2 of 2" when the request has two (token or share cards). */
export function signsView(request: SigningRequest, part: SigningRequest): RotationSignerCheckView['signs'] {
  const file = `${part.delegation?.name ?? part.role}.json`;
  const version = part.targets ? part.targets.next.version : part.root.version;
  const view: RotationSignerCheckView['signs'] = { file, version, digest: digestView(part.payloadSha256) };
  if (request.revokeTags) view.part = { index: part === request ? 1 : 2, of: 2 };
  return view;
}

/** The key on the chosen token must be a root key of the request (and not one reported lost) — checked before any PIN. */
export async function checkSigner(req: { request: NamedFile; module: string; token: TokenRefView; keyLabel: string }, deps: Pick<RotationDeps, 'tokens'>): Promise<RotationSignerCheckView> {
  const request = openRequest(req.request);
  const { checked, key, ids, part } = await signerOnToken(request, req, deps);
  // The part's own signers: a key of the revoke-tags part is named by that part, not by targets.json's list.
  const expected = part.expectedSigners.filter((s) => ids.includes(s.keyid));
  const signer = expected[0];
  const sides = new Set(expected.map((s) => s.from));
  const from = sides.has('targets') ? 'targets' : sides.has('both') || (sides.has('previous') && sides.has('new')) ? 'both' : sides.has('new') ? 'new' : 'previous';
  const view: RotationSignerCheckView = {
    token: checked.token,
    key,
    signer: {
      name: signer?.name ?? `key ${ids[0]!.slice(0, 8)}`,
      keyids: ids,
      from,
      ...(expected.some((s) => s.lost) ? { lost: true as const } : {}),
    },
    signs: signsView(request, part),
  };
  const touch = await touchOfKey(req, key, deps);
  if (touch) view.touch = touch;
  return view;
}

/**
 * "Touch your YubiKey now" by the key's own touch policy (its slot attestation), as the signature itself
 * decides (piv-touch.ts needsTouch), not by the token's maker; undefined when the token has no such policy.
 * Both co-sign kinds' signer checks show it.
 */
export async function touchOfKey(req: { module: string; token: TokenRefView }, key: { id: string }, deps: Pick<RotationDeps, 'tokens'>): Promise<RotationSignerCheckView['touch']> {
  const policy = await keyTouchPolicy({ module: req.module, token: req.token, keyId: key.id }, deps.tokens);
  return policy === undefined ? undefined : { policy, asks: needsTouch(policy === 'unknown' ? undefined : policy) };
}

/** The response file of a co-signature: named for the signer and the version signed (root N+1, or targets.json N+1). */
export function responseFileOf(request: SigningRequest, response: SignatureResponse): { name: string; bytes: Uint8Array } {
  const toVersion = request.targets ? request.targets.next.version : request.root.version;
  return { name: `${slug(response.signer.name)}.response-v${toVersion}-${request.requestId.slice(0, 8)}.json`, bytes: serializeSignatureResponse(response) };
}

/** The co-sign session's common part for the Co-sign screen (token or share cards): the request reviewed on screen, its hash words confirmed. */
export function coSignSessionOf(file: NamedFile, request: SigningRequest): { request: SigningRequest; requestFile: { name: string; bytes: Uint8Array }; reviewNote: string; output: (r: SignatureResponse) => { name: string; bytes: Uint8Array } } {
  return {
    request,
    requestFile: { name: file.name, bytes: file.bytes },
    reviewNote: 'reviewed on screen; the co-signer confirmed the short hash words of the bytes to sign',
    output: (r) => responseFileOf(request, r),
  };
}

/** A co-signature asked on screen, of a signing request here or of a certificate request (cosign-certificate.ts). */
export interface SignInput {
  request: NamedFile;
  module: string;
  token: TokenRefView;
  keyLabel: string;
  /** The SHA-256 the signer confirmed on screen: of the bytes to sign, or the certificate request's ID. */
  confirmedSha256: string;
  /** UTF-8 PIN bytes; zeroed before this returns, whatever happens. */
  pin: Uint8Array;
  /** Who watched (names), recorded in the response. */
  witnesses?: readonly string[] | undefined;
}

/**
 * The opening both co-sign kinds share: the request file is opened and the hash confirmed on screen must be
 * one it accepts — as `tuf-ceremony sign --expect-hash` — before the token is opened, so a refusal uses no
 * PIN; `refusal` says what was confirmed against what would be signed. Then `run` with the PIN, whose bytes
 * (and every copy handed to the token) are zeroed before this returns, whatever happens.
 */
export async function signConfirmed<R, T>(
  req: SignInput,
  how: { open(file: NamedFile): R; accepts(request: R, confirmedSha256: string): boolean; refusal(request: R): string },
  run: (request: R, pin: PinSource) => Promise<T>,
): Promise<T> {
  const pin = pinSourceOf(req.pin);
  try {
    const request = how.open(req.request);
    if (!how.accepts(request, req.confirmedSha256)) throw new CeremonyError('ROTATION_REQUEST_TAMPERED', how.refusal(request), { path: '$.confirmedSha256' });
    return await run(request, pin.source);
  } finally {
    pin.wipe();
  }
}

export async function sign(req: SignInput, deps: RotationDeps): Promise<RotationSignedView> {
  return signConfirmed(
    req,
    {
      open: openRequest,
      // A request that also revokes tags has two byte strings to sign (src/rotation/revoke-tags.ts): the
      // one confirmed must be one of them (checked before the token is opened) ...
      accepts: (request, confirmed) => confirmed === request.payloadSha256 || confirmed === request.revokeTags?.payloadSha256,
      refusal: (request) => `the bytes to sign have short hash ${groupHex(request.payloadSha256.slice(0, SHORT_DIGEST_BYTES * 2))}, not the one confirmed on screen: nothing was signed (no PIN was used)`,
    },
    async (request, pin) => {
      if (request.revokeTags) {
        // ... and the one this key signs: read from the token without a PIN, so a co-signer who confirmed the
        // other part's words is refused before the login and no token signature is spent.
        const { part, where } = await signerOnToken(request, req, deps);
        if (part.payloadSha256 !== req.confirmedSha256) {
          const s = signsView(request, part);
          throw new CeremonyError(
            'ROTATION_REQUEST_TAMPERED',
            `key "${req.keyLabel}" on ${where} signs part ${s.part!.index} of 2 (${s.file} v${s.version}, short hash ${s.digest.grouped}), not the part whose hash was confirmed on screen: nothing was signed (no PIN was used)`,
            { path: '$.confirmedSha256' },
          );
        }
      }
      // signRequestOnToken opens the token, refuses a key the request has no use for before the PIN is
      // used, logs in, signs under every key ID that lists the key and verifies each signature in software.
      // The co-signer's session transcript, as `tuf-ceremony sign` writes it: sealed by the token key in the
      // same login (whileSigned), so no second PIN; nothing of the PIN is in it.
      const session = await startCoSignSession({ ...coSignSessionOf(req.request, request), witnesses: req.witnesses, witnessesLabel: 'witnesses', now: deps.now });
      const signed = await signRequestOnToken(request, { module: req.module, token: req.token, label: req.keyLabel, pin, witnesses: req.witnesses, whileSigned: session.whileSigned }, deps.tokens);
      const response = signed.response;
      if (response.payloadSha256 !== req.confirmedSha256) {
        // Checked above before the PIN; kept as the last word on what was signed.
        throw new CeremonyError('ROTATION_REQUEST_TAMPERED', 'this key signs the other part of the request than the bytes confirmed on screen: nothing was written', { path: '$.confirmedSha256' });
      }
      // Checked as the administrator's merge will check it, before it is written.
      const check = mergeResponses(request, [response]);
      const { name, bytes } = responseFileOf(request, response);
      const files = await writeOutWithTranscript(deps, 'rotation', [{ name, bytes: session.written ?? bytes }], { bytes: session.bytes(), sealKeyId: session.sealKeyId });
      const out: RotationSignedView = { written: files.written[0]!, transcript: files.transcript, signer: { name: response.signer.name }, witnesses: response.witnesses ?? [], keyids: response.signatures.map((s) => s.keyid), status: check.status, rehearsal: signed.rehearsal };
      if (response.signer.token) out.signer.tokenSerial = response.signer.token.serial;
      return out;
    },
  );
}
