/**
 * Signing requests and signature responses for root rotations and targets-level changes (PRODUCT.md §2.4):
 * standalone strict JSON documents, files today and the payloads of the bundle kinds `signing-request` /
 * `signature-response` later.
 *
 * Signing request for root N+1 (written with sorted keys, 2-space indentation):
 *
 * ```
 * { "format": "tuf-ceremony-signing-request", "version": 1,
 *   "profile": "notary" | "tuf", "repository": "<GUN or name>", "role": "root",
 *   "payload": <the unsigned `signed` object of root N+1>,
 *   "previousRoot": "<base64 of the previous root.json bytes>",
 *   "policy": { "previous": { "keyids": […], "threshold": n }, "new": { "keyids": […], "threshold": m } },
 *   "expectedSigners": [ { "keyid", "name", "from": "previous" | "new" | "both", "lost"?: true } ],
 *   "keyNames"?: { "<targets/snapshot/timestamp key ID>": "targets 2026", … },
 *   "requestId": "<hex>" }
 * ```
 *
 * `requestId` = hex SHA-256 of ( canonical(payload) as the profile signs it ‖ SHA-256(previousRoot bytes)
 * ‖ SHA-256(shown fields) ), the shown fields being everything the review shows that the payload and the
 * previous root do not fix: see "What the request ID binds" below.
 * `keyNames` names keys of the other top-level roles (targets, snapshot, timestamp) of the previous root or
 * the payload — the names the rotation plan gives new keys — for the review; it is absent when no such
 * key is named, so requests without it read (and hash) as before.
 * A key reported lost (it cannot sign) stays in `expectedSigners` with `"lost": true` so the review can
 * name whose key is replaced; merge never waits for it (a signature by it, if it turned up, still counts).
 * `policy` must be exactly the root roles of the previous root and of the payload, and every expected
 * signer a key of the side it names: anything else is ROTATION_REQUEST_TAMPERED. The names are labels
 * for people, not authenticated (the review says so).
 *
 * Signing request for targets.json N+1 (delegations added, removed or re-keyed, keys or targets revoked;
 * src/rotation/targets-payload.ts):
 *
 * ```
 * { "format": "tuf-ceremony-signing-request", "version": 1,
 *   "profile", "repository", "role": "targets",
 *   "payload": <the unsigned `signed` object of targets.json N+1>,
 *   "previousRoot": "<base64 of the trusted current root.json: its targets role is the policy>",
 *   "previousTargets": "<base64 of targets.json N, which the payload follows>",
 *   "policy": { "targets": { "keyids": […], "threshold": n } },
 *   "expectedSigners": [ { "keyid", "name", "from": "targets" } ],
 *   "keyNames"?: { "<delegation key ID>": "CI", … },
 *   "requestId": "<hex>" }
 * ```
 *
 * `requestId` = hex SHA-256 of ( canonical(payload) ‖ SHA-256(previousRoot) ‖ SHA-256(previousTargets)
 * ‖ SHA-256(shown fields) ).
 * targets.json N must verify against the root's targets role (TUF 5.6.3), the payload be version N+1
 * (VERSION_MISMATCH), `policy.targets` exactly that role and every expected signer one of its keys
 * (ROTATION_REQUEST_TAMPERED). `keyNames` labels delegation keys of targets.json N or N+1 for the review.
 *
 * What the request ID binds. A co-signer's review shows the repository ("Signing request for Notary
 * repository "registry.example.com/org/app""), the expected signers' names and whether a key was reported
 * lost, and the names of other keys (`keyNames`: "targets key 'targets 2026' (key 1a2b…) replaces …"). None
 * of them is covered by the signatures (the payload is; the words read aloud are its hash), so each is
 * hashed into the request ID: SHA-256 of a domain tag and the canonical JSON of
 * `{"expectedSigners": […as in the file], "keyNames": {…}, "profile", "repository", "role"}`. An edited
 * field is then ROTATION_REQUEST_TAMPERED on parse, and a request whose repository or names were changed
 * AND whose ID was recomputed (the ID is a hash, not a MAC: anyone can recompute it) gives responses that
 * carry the new ID, which the administrator's merge refuses (ROTATION_RESPONSE_MISMATCH): a signature only
 * merges when its signer saw the repository and the names the administrator made — a relabelled request
 * ("throw-away test repo") can show a co-signer a false name, but nothing signed under it merges into
 * the real request. The review still says that names are labels and the key IDs and fingerprints
 * identify a key. Requests made before the repository and signers' names were bound (their ID hashed only
 * the payload, the previous files and the key names) are refused with a message that says so: ask for the
 * request again.
 *
 * Signing request for a delegated role's file N+1 (`targets/releases.json`, `releases.json`: renewal, target
 * files; src/rotation/delegated-payload.ts), signed by the delegate's keys — the targets request's shape
 * with two more fields:
 *
 * ```
 * { …, "role": "targets", "delegation": "<role name>",
 *   "payload": <the unsigned `signed` object of the delegated file N+1>,
 *   "previousRoot": "<base64 of the trusted root>",
 *   "delegatingTargets": "<base64 of targets.json as published: it delegates the role>",
 *   "previousTargets": "<base64 of the delegated file N>",
 *   "policy": { "targets": <the delegation's keyids and threshold in targets.json> },
 *   "expectedSigners": [ { "keyid", "name", "from": "targets" } ]   (the delegation's keys), … }
 * ```
 *
 * targets.json must verify under the root's targets role and delegate the role; the file N under the
 * delegation (TUF 5.6.7); `policy.targets` must be exactly the delegation's keys and threshold. The shown
 * fields hashed into the request ID then also hold `{"delegation": {"name", "targetsSha256"}}`, binding the
 * role and the delegating targets.json (requests without a delegation hash as before).
 *
 * In memory a targets request has `policy.previous` =
 * `policy.new` = the targets role, and `previous` / `root` = the trusted root, so code written for root
 * requests (keyIdsFor, the CLI) works on both.
 *
 * Signature response:
 *
 * ```
 * { "format": "tuf-ceremony-signature-response", "version": 1, "requestId": "<hex>",
 *   "payloadSha256": "<hex SHA-256 of canonical(payload): the exact bytes signed>",
 *   "signatures": [ { "keyid", "sig", "method"? } ],
 *   "signer": { "name": "…", "token"?: { "serial": "…", "label"?: "…" } } }
 * ```
 * The token is named by the pair (serial, label): on some modules every token has the same serial
 * (tpm2-pkcs11, NSS: issue #11). Older responses carry the serial only and are still read.
 *
 * Parsing is strict: unknown fields, wrong types and bad hex are refused (SCHEMA_INVALID) with the JSON
 * path; documents larger than their caps with INPUT_TOO_LARGE.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { CeremonyError, isCeremonyError, type ErrorCode } from '../errors.js';
import { asArray, asInteger, asNonEmptyString, asObject, asString, checkShownText, child, refuseUnknownFields } from '../json/fields.js';
import { canonicalString } from '../json/canonical.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import { parseCertificatePem } from '../profiles/x509.js';
import { decodeSpki } from '../crypto/public-key.js';
import { formatExpires, parseExpires } from '../tuf/dates.js';
import { checkCertificateTime } from '../signers/certificate.js';
import { checkNotaryLeaf } from '../tuf/notary-root.js';
import type { ProfileName, SignatureJson } from '../profiles/profile.js';
import { parseMetadata, type Metadata } from '../tuf/metadata.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { requireVerified, verifyRole } from '../tuf/verify.js';
import { SignatureWork } from '../tuf/signature-work.js';
import type { ListedKey } from '../tuf/keys.js';
import { parseRootSigned, type Root } from '../tuf/root.js';
import type { RolePolicy } from '../tuf/role.js';
import { parseTargetsSigned, type DelegatedRole, type Targets } from '../tuf/targets.js';
import { parsePreviousRoot, type RotationPayload } from './payload.js';
import { checkDistinctNames, checkKeyName, NAME_MAX } from './names.js';
import { checkAlteredDelegations, checkDelegationName, verifiedCurrentTargets, type TargetsPayload } from './targets-payload.js';
import { checkNestedDelegations, verifiedDelegated, type DelegatedPayload } from './delegated-payload.js';
import { checkContents, contentsJson, contentsShown, parseContents, type TargetContents } from './request-contents.js';
import { buildRevokeTagsPart, checkRevokeTagsPart, type RevokeTagsChange, type RevokeTagsPart } from './revoke-tags.js';

// The formats and the cheap test for them live apart, so that `inspect` can tell a rotation document
// from metadata without loading the rotation modules (issue #18).
import { documentFormatOf, REQUEST_MAX_BYTES, SIGNATURE_RESPONSE_FORMAT, SIGNING_REQUEST_FORMAT } from './format.js';

export { documentFormatOf, REQUEST_MAX_BYTES, SIGNATURE_RESPONSE_FORMAT, SIGNING_REQUEST_FORMAT };
export const RESPONSE_MAX_BYTES = 256 * 1024;

/** Root requests: which root role lists the key; targets requests: always 'targets'. */
export type SignerSide = 'previous' | 'new' | 'both' | 'targets';

export interface ExpectedSigner {
  keyid: string;
  name: string;
  from: SignerSide;
  /** The key was reported lost: named for the review, never waited for. */
  lost?: true;
  /** Root requests: why this old key leaves the root role (the rotation plan's reason), shown in the review and bound by the request ID. */
  reason?: 'lost' | 'compromised' | 'retired';
}

export interface SigningRequest {
  profile: ProfileName;
  repository: string;
  role: 'root' | 'targets';
  payload: JsonObject;
  previousRootBytes: Uint8Array;
  /** Targets requests: both are the trusted root's targets role (the file says `{"targets": …}`). */
  policy: { previous: RolePolicy; new: RolePolicy };
  expectedSigners: ExpectedSigner[];
  requestId: string;
  /** Derived on parse / build (not part of the file). Root requests: root N; targets requests: the trusted root. */
  previous: Metadata<Root>;
  /** Root requests: root N+1 (the payload); targets requests: the trusted root (its targets role is the policy). */
  root: Root;
  /**
   * Names of keys that are not expected signers, bound into the request ID (see the module comment): root
   * requests — targets / snapshot / timestamp keys of root N or N+1; targets requests — delegation keys
   * (the same map as `targets.keyNames`). Absent or empty: none named.
   */
  keyNames?: Map<string, string>;
  /** Targets requests only: targets.json N (as bytes, verified against the root) and the payload parsed; delegated role requests: the delegated file N and N+1. */
  targets?: { previousBytes: Uint8Array; previous: Metadata<Targets>; next: Targets; keyNames: Map<string, string> };
  /** Delegated role requests only: the role, and targets.json (verified) whose entry for it is the policy. */
  delegation?: DelegationContext;
  /** Targets requests: target file contents carried for the review, bound to their entries (request-contents.ts). */
  contents?: TargetContents;
  /**
   * Targets requests: current files of delegated roles the change re-keys or revokes keys of (issue #14),
   * each verified under targets.json N's delegation, so the review can list the targets they hold.
   */
  delegatedFiles?: Map<string, Metadata<Targets>>;
  /**
   * With `delegatedFiles`: for each carried file, the key IDs whose signatures verified on it under targets.json
   * N's delegation — checkDelegatedFiles' one verification of it, kept so that the review, which says whether
   * each key a change removes signed the file, checks no signature again (review-13b H2: one full verification
   * per removed key was K² checks for a role of K keys, hours at the request cap).
   */
  delegatedSigners?: Map<string, ReadonlySet<string>>;
  /**
   * Targets requests: "revoke these tags too" (issue #14, revoke-tags.ts) — the second part, a delegated
   * role's file N+1 with targets removed, signed by that role's keys in targets.json N+1 (the payload).
   */
  revokeTags?: RevokeTagsPart;
  /**
   * Root requests made by merging a certificate request (certificate-request.ts, issue #14): that request's
   * ID and each renewed certificate's key ID and DER SHA-256, bound into this request's ID.
   */
  renewal?: RenewalLink;
  /** canonical(payload): the exact bytes every signature is over. */
  payloadBytes: Uint8Array;
  payloadSha256: string;
}

/** The chain from a certificate request to the root signing request its merge made. */
export interface RenewalLink {
  certificateRequestId: string;
  certificates: { keyid: string; sha256: string }[];
  /**
   * The validity the certificate request asked every new certificate to have (RFC 3339, whole seconds):
   * `sign` checks each renewed certificate against it without the certificate request itself.
   */
  validity: { notBefore: string; notAfter: string };
}

export interface DelegationContext {
  name: string;
  delegatorBytes: Uint8Array;
  delegator: Metadata<Targets>;
  role: DelegatedRole;
}

/** The key table signers of this request are listed in: the delegation's keys, or the roots'. */
export function signerKeys(request: SigningRequest): (keyid: string) => ListedKey | undefined {
  const d = request.delegation;
  if (d) return (id) => (d.role.keyids.includes(id) ? d.delegator.signed.delegations?.keys.get(id) : undefined);
  return (id) => request.root.keys.get(id) ?? request.previous.signed.keys.get(id);
}

export interface SignatureResponse {
  requestId: string;
  payloadSha256: string;
  signatures: SignatureJson[];
  signer: { name: string; token?: { serial: string; label?: string } };
  /**
   * Who watched the signature being made (issue #16: the optional witness line on co-signing), as names;
   * absent when nobody was named. A plain list of shown-text names that session transcripts can carry.
   */
  witnesses?: string[];
}

/** At most this many witness names on one response (a room, not a register). */
export const MAX_WITNESSES = 16;

/** Witness names as typed (one per entry): trimmed, empties dropped, each shown text of 1–200 characters. */
export function checkWitnessNames(names: readonly string[], path: string): string[] {
  const out = names.map((n) => n.trim()).filter((n) => n !== '');
  if (out.length > MAX_WITNESSES) throw new CeremonyError('SCHEMA_INVALID', `at most ${MAX_WITNESSES} witnesses are named on one signature (${out.length} given)`, { path });
  return out.map((n, i) => checkShownText(n, child(path, i), NAME_MAX));
}

const HEX64 = /^[0-9a-f]{64}$/;

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

function hex(data: Uint8Array): string {
  return Buffer.from(data).toString('hex');
}

const SHOWN_FIELDS_TAG = 'tuf-ceremony signing request shown fields v2\n';
/** The earlier ID's tag: only the key names were bound (see legacyRequestId). */
const KEY_NAMES_TAG = 'tuf-ceremony key names v1\n';

/** What a review shows beyond the payload and the previous files: bound into the request ID (module comment). */
export interface ShownFields {
  profile: ProfileName;
  repository: string;
  role: 'root' | 'targets';
  expectedSigners: readonly ExpectedSigner[];
  keyNames?: ReadonlyMap<string, string>;
  /** Delegated role requests: the role and the SHA-256 (hex) of the delegating targets.json. */
  delegation?: { name: string; targetsSha256: string };
  /** Carried target contents, as SHA-256 by name (request-contents.ts); absent when none. */
  contents?: TargetContents;
  /** Carried delegated files, by role; absent when none. */
  delegatedFiles?: ReadonlyMap<string, Uint8Array>;
  /** The "revoke these tags too" part: its role, the SHA-256 of its payload, its policy and signers. */
  revokeTags?: { role: string; payloadSha256: string; policy: RolePolicy; expectedSigners: readonly ExpectedSigner[] };
  /** Root requests that renew certificates: the certificate request they follow (absent otherwise, so other IDs are unchanged). */
  renewal?: RenewalLink;
}

function renewalJson(r: RenewalLink): JsonObject {
  return { certificateRequestId: r.certificateRequestId, certificates: r.certificates.map((c) => ({ keyid: c.keyid, sha256: c.sha256 })), validity: { notBefore: r.validity.notBefore, notAfter: r.validity.notAfter } };
}

function signerJson(s: ExpectedSigner): JsonObject {
  const o: JsonObject = { keyid: s.keyid, name: s.name, from: s.from };
  if (s.lost) o.lost = true;
  if (s.reason) o.reason = s.reason;
  return o;
}

function shownFieldsJson(f: ShownFields): JsonObject {
  const o: JsonObject = { expectedSigners: f.expectedSigners.map(signerJson), keyNames: keyNamesJson(f.keyNames ?? new Map()), profile: f.profile, repository: f.repository, role: f.role };
  if (f.delegation) o.delegation = { name: f.delegation.name, targetsSha256: f.delegation.targetsSha256 };
  if (f.contents && f.contents.size > 0) o.contents = contentsShown(f.contents);
  if (f.delegatedFiles && f.delegatedFiles.size > 0) o.delegatedFiles = Object.fromEntries([...f.delegatedFiles].sort(([a], [b]) => (a < b ? -1 : 1)).map(([role, b]) => [role, hex(sha256(b))]));
  if (f.revokeTags) {
    const t = f.revokeTags;
    o.revokeTags = { role: t.role, payloadSha256: t.payloadSha256, policy: policyOf(t.policy) as unknown as JsonObject, expectedSigners: t.expectedSigners.map(signerJson) };
  }
  if (f.renewal) o.renewal = renewalJson(f.renewal);
  return o;
}

/**
 * hex SHA-256 ( canonical(payload) ‖ SHA-256(previous root bytes) [‖ SHA-256(previous targets bytes)]
 * ‖ SHA-256(tag ‖ canonical JSON of the shown fields) ).
 */
export function computeRequestId(payloadBytes: Uint8Array, previousRootBytes: Uint8Array, previousTargetsBytes: Uint8Array | undefined, shown: ShownFields): string {
  const h = createHash('sha256').update(payloadBytes).update(sha256(previousRootBytes));
  if (previousTargetsBytes) h.update(sha256(previousTargetsBytes));
  h.update(sha256(new TextEncoder().encode(SHOWN_FIELDS_TAG + canonicalString(shownFieldsJson(shown), 'json'))));
  return h.digest('hex');
}

/** The ID requests had before the repository and the signers' names were bound: recognised only to say so. */
function legacyRequestId(payloadBytes: Uint8Array, previousRootBytes: Uint8Array, previousTargetsBytes: Uint8Array | undefined, keyNames: ReadonlyMap<string, string>): string {
  const h = createHash('sha256').update(payloadBytes).update(sha256(previousRootBytes));
  if (previousTargetsBytes) h.update(sha256(previousTargetsBytes));
  if (keyNames.size > 0) h.update(sha256(new TextEncoder().encode(KEY_NAMES_TAG + canonicalString(keyNamesJson(keyNames), 'json'))));
  return h.digest('hex');
}

/** Refuse a request whose ID is not the one its fields give (tampered), or is the earlier kind of ID (outdated). */
function checkRequestId(requestId: string, payloadBytes: Uint8Array, previousRootBytes: Uint8Array, previousTargetsBytes: Uint8Array | undefined, shown: ShownFields, what: string): void {
  if (computeRequestId(payloadBytes, previousRootBytes, previousTargetsBytes, shown) === requestId) return;
  if (legacyRequestId(payloadBytes, previousRootBytes, previousTargetsBytes, shown.keyNames ?? new Map()) === requestId) {
    throw new CeremonyError(
      'ROTATION_REQUEST_TAMPERED',
      'this request was made by an earlier version of tuf-ceremony, whose request ID does not bind the repository and the signers\' names shown in the review: do not sign it; ask for the request again, made by this version',
      { path: '$.requestId' },
    );
  }
  throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `${what} are not what this request was made with (its request ID does not match): do not sign it; ask for the request again`, { path: '$.requestId' });
}

/**
 * The request ID a request document's fields give, as parse recomputes it: what anyone editing a request
 * can do (the ID is a hash, not a MAC; merge is where an edited request is caught). For tests and tools
 * that rewrite a document on purpose.
 */
export function requestIdForDocument(doc: JsonObject): string {
  const profile = doc.profile as ProfileName;
  const role = doc.role as 'root' | 'targets';
  const expectedSigners = (doc.expectedSigners as JsonObject[]).map(
    (s): ExpectedSigner => ({ keyid: s.keyid as string, name: s.name as string, from: s.from as SignerSide, ...(s.lost === true ? { lost: true as const } : {}), ...(typeof s.reason === 'string' ? { reason: s.reason as 'lost' } : {}) }),
  );
  const keyNames = new Map(Object.entries((doc.keyNames ?? {}) as Record<string, string>));
  const contents = parseContents(doc.contents);
  const delegatedFiles = new Map(Object.entries((doc.delegatedFiles ?? {}) as Record<string, string>).map(([role, b64]) => [role, new Uint8Array(Buffer.from(b64, 'base64'))]));
  const delegation = typeof doc.delegation === 'string' ? { name: doc.delegation, targetsSha256: hex(sha256(new Uint8Array(Buffer.from(doc.delegatingTargets as string, 'base64')))) } : undefined;
  const rt = doc.revokeTags as JsonObject | undefined;
  const revokeTags = rt
    ? {
        role: rt.role as string,
        payloadSha256: hex(sha256(getProfile(profile).canonical(rt.payload as JsonObject))),
        policy: rt.policy as unknown as RolePolicy,
        expectedSigners: (rt.expectedSigners as JsonObject[]).map((s): ExpectedSigner => ({ keyid: s.keyid as string, name: s.name as string, from: 'targets' })),
      }
    : undefined;
  const renewal = doc.renewal as unknown as RenewalLink | undefined;
  return computeRequestId(
    getProfile(profile).canonical(doc.payload as JsonObject),
    new Uint8Array(Buffer.from(doc.previousRoot as string, 'base64')),
    doc.previousTargets === undefined ? undefined : new Uint8Array(Buffer.from(doc.previousTargets as string, 'base64')),
    { profile, repository: doc.repository as string, role, expectedSigners, keyNames, ...(delegation ? { delegation } : {}), ...(contents.size > 0 ? { contents } : {}), ...(delegatedFiles.size > 0 ? { delegatedFiles } : {}), ...(revokeTags ? { revokeTags } : {}), ...(renewal ? { renewal } : {}) },
  );
}

function keyNamesJson(keyNames: ReadonlyMap<string, string>): JsonObject {
  return Object.fromEntries([...keyNames].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Names of `ids` found in `names`, skipping the expected signers (named in their own list). */
function namesOf(ids: Iterable<string>, names: ReadonlyMap<string, string>, signers: readonly ExpectedSigner[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const id of ids) {
    const name = names.get(id);
    if (name && !signers.some((s) => s.keyid === id)) out.set(id, name);
  }
  return out;
}

/** The key IDs of root N and N+1's targets, snapshot and timestamp roles: the keys `keyNames` may name in a root request. */
function otherRoleKeyIds(previous: Root, next: Root): Set<string> {
  const ids = new Set<string>();
  for (const root of [previous, next]) for (const role of ['targets', 'snapshot', 'timestamp'] as const) for (const id of root.roles.get(role)!.keyids) ids.add(id);
  return ids;
}

function sideOf(keyid: string, previous: RolePolicy, next: RolePolicy): SignerSide | undefined {
  const inPrev = previous.keyids.includes(keyid);
  const inNew = next.keyids.includes(keyid);
  return inPrev && inNew ? 'both' : inPrev ? 'previous' : inNew ? 'new' : undefined;
}

function policyOf(r: RolePolicy): RolePolicy {
  return { keyids: [...r.keyids], threshold: r.threshold };
}

/** Build a request from a rotation payload. `names` (key ID → custodian) defaults to the payload's. */
export function buildSigningRequest(payload: RotationPayload, opts: { repository: string; names?: ReadonlyMap<string, string>; renewal?: RenewalLink }): SigningRequest {
  const names = opts.names ?? payload.names;
  const previous = policyOf(payload.previous.signed.roles.get('root')!);
  const next = policyOf(payload.root.roles.get('root')!);
  const expectedSigners: ExpectedSigner[] = [];
  let unnamed = 0;
  for (const keyid of [...previous.keyids, ...next.keyids.filter((id) => !previous.keyids.includes(id))]) {
    // A key nobody named is "unnamed key N" (a name of hex digits would imitate the key text: src/rotation/names.ts).
    const signer: ExpectedSigner = { keyid, name: names.get(keyid) ?? `unnamed key ${++unnamed}`, from: sideOf(keyid, previous, next)! };
    // Lost keys cannot sign: named for the review, not waited for.
    if (payload.unavailable.includes(keyid)) signer.lost = true;
    const reason = payload.reasons?.get(keyid);
    if (reason) signer.reason = reason;
    expectedSigners.push(signer);
  }
  // The names the plan (or the app) gave new targets / snapshot / timestamp keys reach the co-signers' review.
  const keyNames = namesOf(otherRoleKeyIds(payload.previous.signed, payload.root), names, expectedSigners);
  const payloadBytes = getProfile(payload.profile).canonical(payload.signed);
  const previousRootBytes = payload.previous.bytes;
  if (!opts.repository) throw new CeremonyError('USAGE', 'a signing request names its repository (the GUN for Notary)');
  const shown: ShownFields = { profile: payload.profile, repository: opts.repository, role: 'root', expectedSigners, keyNames, ...(opts.renewal ? { renewal: opts.renewal } : {}) };
  checkNames(expectedSigners, keyNames, 'ROTATION_CHANGE_INVALID', keyLookup(payload.previous.signed.keys, payload.root.keys));
  if (opts.renewal) checkRenewalLink(opts.renewal, opts.repository, payload.previous, payload.root, payload.signed, 'ROTATION_CHANGE_INVALID');
  return {
    ...(opts.renewal ? { renewal: opts.renewal } : {}),
    profile: payload.profile,
    repository: opts.repository,
    role: 'root',
    payload: payload.signed,
    previousRootBytes,
    policy: { previous, new: next },
    expectedSigners,
    requestId: computeRequestId(payloadBytes, previousRootBytes, undefined, shown),
    previous: payload.previous,
    root: payload.root,
    keyNames,
    payloadBytes,
    payloadSha256: hex(sha256(payloadBytes)),
  };
}

/**
 * Build a request for targets.json N+1. Expected signers are the root's targets keys, named by `names`
 * (key ID → who holds it) or `targets key <id>`; delegation keys are named by the payload's names.
 */
export function buildTargetsSigningRequest(
  payload: TargetsPayload,
  opts: { repository: string; names?: ReadonlyMap<string, string>; contents?: TargetContents; delegatedFiles?: ReadonlyMap<string, Uint8Array>; revokeTags?: RevokeTagsChange },
): SigningRequest {
  if (!opts.repository) throw new CeremonyError('USAGE', 'a signing request names its repository (the GUN for Notary)');
  const names = new Map([...payload.names, ...(opts.names ?? [])]);
  const rootSigned = payload.root.signed;
  const policy = policyOf(rootSigned.roles.get('targets')!);
  const expectedSigners: ExpectedSigner[] = policy.keyids.map((keyid, i) => ({ keyid, name: names.get(keyid) ?? `unnamed targets key ${i + 1}`, from: 'targets' }));
  const keyNames = namesOf(new Set([...(payload.previous.signed.delegations?.keys.keys() ?? []), ...(payload.targets.delegations?.keys.keys() ?? [])]), names, []);
  const payloadBytes = getProfile(payload.profile).canonical(payload.signed);
  const previousRootBytes = payload.root.bytes;
  const previousTargetsBytes = payload.previous.bytes;
  const contents = opts.contents ?? new Map();
  checkContents(payload.profile, payload.previous.signed, payload.targets, contents, '$change.contents');
  const delegatedBytes = opts.delegatedFiles ?? new Map<string, Uint8Array>();
  const { files: delegatedFiles, signers: delegatedSigners } = checkDelegatedFiles(payload.previous, delegatedBytes, '$change.delegatedFiles');
  let revokeTags: RevokeTagsPart | undefined;
  if (opts.revokeTags) {
    const current = delegatedFiles.get(opts.revokeTags.role);
    if (!current) throw new CeremonyError('REVOKE_TAGS_INVALID', `revoking tags of ${opts.revokeTags.role} needs its current file as published (the request carries it, so every review lists what it holds)`, { path: '$change.revokeTags.role' });
    revokeTags = buildRevokeTagsPart(payload.profile, payload.previous.signed, payload.targets, current, opts.revokeTags, names);
  }
  const shown: ShownFields = { profile: payload.profile, repository: opts.repository, role: 'targets', expectedSigners, keyNames, contents, delegatedFiles: delegatedBytes, ...(revokeTags ? { revokeTags: revokeTagsShown(revokeTags) } : {}) };
  checkNames(expectedSigners, keyNames, 'ROTATION_CHANGE_INVALID', keyLookup(rootSigned.keys, payload.previous.signed.delegations?.keys, payload.targets.delegations?.keys));
  if (revokeTags) checkRevokeTagsNames(revokeTags, expectedSigners, keyNames, 'ROTATION_CHANGE_INVALID');
  const request: SigningRequest = {
    profile: payload.profile,
    repository: opts.repository,
    role: 'targets',
    payload: payload.signed,
    previousRootBytes,
    policy: { previous: policy, new: policyOf(policy) },
    expectedSigners,
    requestId: computeRequestId(payloadBytes, previousRootBytes, previousTargetsBytes, shown),
    previous: payload.root,
    root: rootSigned,
    keyNames,
    targets: { previousBytes: previousTargetsBytes, previous: payload.previous, next: payload.targets, keyNames },
    ...(contents.size > 0 ? { contents } : {}),
    ...(delegatedFiles.size > 0 ? { delegatedFiles, delegatedSigners } : {}),
    ...(revokeTags ? { revokeTags } : {}),
    payloadBytes,
    payloadSha256: hex(sha256(payloadBytes)),
  };
  // The request carries targets.json N and N+1: a large targets file could make a request no co-signer can read.
  const size = serializeSigningRequest(request).length;
  if (size > REQUEST_MAX_BYTES) {
    throw new CeremonyError('INPUT_TOO_LARGE', `the signing request would be ${size} bytes, over the ${REQUEST_MAX_BYTES}-byte cap of a request (targets.json is ${previousTargetsBytes.length} bytes)`);
  }
  return request;
}

/**
 * Build a request for a delegated role's file N+1 (delegated-payload.ts). Expected signers are the
 * delegation's keys, named by `names` (key ID → who holds it) or `unnamed <role> key N`.
 */
export function buildDelegatedSigningRequest(payload: DelegatedPayload, opts: { repository: string; names?: ReadonlyMap<string, string>; contents?: TargetContents }): SigningRequest {
  if (!opts.repository) throw new CeremonyError('USAGE', 'a signing request names its repository (the GUN for Notary)');
  const names = opts.names ?? new Map<string, string>();
  const role = payload.role;
  const policy = policyOf(role);
  const table = payload.delegator.signed.delegations!.keys;
  const expectedSigners: ExpectedSigner[] = policy.keyids.map((keyid, i) => ({ keyid, name: names.get(keyid) ?? `unnamed ${role.name} key ${i + 1}`, from: 'targets' }));
  const keyNames = new Map<string, string>();
  const payloadBytes = getProfile(payload.profile).canonical(payload.signed);
  const previousRootBytes = payload.root.bytes;
  const delegatorBytes = payload.delegator.bytes;
  const contents = opts.contents ?? new Map();
  checkContents(payload.profile, payload.previous.signed, payload.targets, contents, '$change.contents');
  const shown: ShownFields = { profile: payload.profile, repository: opts.repository, role: 'targets', expectedSigners, keyNames, delegation: { name: role.name, targetsSha256: hex(sha256(delegatorBytes)) }, contents };
  checkNames(expectedSigners, keyNames, 'ROTATION_CHANGE_INVALID', keyLookup(table));
  const request: SigningRequest = {
    profile: payload.profile,
    repository: opts.repository,
    role: 'targets',
    payload: payload.signed,
    previousRootBytes,
    policy: { previous: policy, new: policyOf(policy) },
    expectedSigners,
    requestId: computeRequestId(payloadBytes, previousRootBytes, payload.previous.bytes, shown),
    previous: payload.root,
    root: payload.root.signed,
    keyNames,
    targets: { previousBytes: payload.previous.bytes, previous: payload.previous, next: payload.targets, keyNames },
    delegation: { name: role.name, delegatorBytes, delegator: payload.delegator, role },
    ...(contents.size > 0 ? { contents } : {}),
    payloadBytes,
    payloadSha256: hex(sha256(payloadBytes)),
  };
  const size = serializeSigningRequest(request).length;
  if (size > REQUEST_MAX_BYTES) throw new CeremonyError('INPUT_TOO_LARGE', `the signing request would be ${size} bytes, over the ${REQUEST_MAX_BYTES}-byte cap of a request`);
  return request;
}

/**
 * The delegated files a targets request carries: each a role targets.json N delegates, verified under that
 * delegation (TUF 5.6.7) — a file that does not verify would make the review list targets no client trusts —
 * and, for each, the key IDs that signed it (SigningRequest.delegatedSigners). Every check is charged to
 * `work`: a file's role may list thousands of keys, each with a signature over up to the file's cap.
 */
export function checkDelegatedFiles(
  previous: Metadata<Targets>,
  files: ReadonlyMap<string, Uint8Array>,
  path: string,
  pathOf: (role: string) => string = (role) => child(path, role),
  work: SignatureWork = new SignatureWork(),
): { files: Map<string, Metadata<Targets>>; signers: Map<string, ReadonlySet<string>> } {
  const out = new Map<string, Metadata<Targets>>();
  const signers = new Map<string, ReadonlySet<string>>();
  if (files.size > 64) throw new CeremonyError('INPUT_TOO_LARGE', 'a request carries at most 64 delegated files', { path });
  for (const [role, bytes] of files) {
    const at = pathOf(role);
    const entry = previous.signed.delegations?.roles.find((r) => r.name === role);
    if (!entry) throw new CeremonyError('DELEGATION_UNKNOWN', `targets.json version ${previous.signed.version} delegates no role ${JSON.stringify(role)}`, { path: at });
    const md = embedded(`${role}.json`, at, () => {
      const m = parseMetadata(bytes, 'targets', { maxBytes: DEFAULT_CAPS.targets, source: `${role}.json`, profile: previous.profile.name });
      signers.set(role, new Set(requireVerified(verifyRole(m, role, entry, previous.signed.delegations!.keys, { work }), `${role}.json`).signed));
      return m;
    });
    out.set(role, md);
  }
  return { files: out, signers };
}

/** The part's fields bound into the request ID (module comment; revoke-tags.ts). */
function revokeTagsShown(t: RevokeTagsPart): NonNullable<ShownFields['revokeTags']> {
  return { role: t.role, payloadSha256: t.payloadSha256, policy: { keyids: [...t.entry.keyids], threshold: t.entry.threshold }, expectedSigners: t.expectedSigners };
}

/**
 * The part's signers are named like every other key of the request: shown text, and one name for one
 * key — a delegation key named in keyNames must carry the same name here (it is the same key).
 */
function checkRevokeTagsNames(t: RevokeTagsPart, signers: readonly ExpectedSigner[], keyNames: ReadonlyMap<string, string>, code: ErrorCode): void {
  const keyOf = keyLookup(t.keys);
  t.expectedSigners.forEach((s, i) => checkKeyName(s.name, child(child('$.revokeTags.expectedSigners', i), 'name'), code, NAME_MAX));
  const partNames = t.expectedSigners.map((s, i) => ({ keyid: s.keyid, fingerprint: keyOf(s.keyid)?.key.fingerprint ?? `keyid:${s.keyid}`, name: s.name, path: child(child('$.revokeTags.expectedSigners', i), 'name') }));
  checkDistinctNames(partNames);
  for (const n of partNames) {
    const elsewhere = keyNames.get(n.keyid) ?? signers.find((s) => s.keyid === n.keyid)?.name;
    if (elsewhere !== undefined && elsewhere !== n.name) throw new CeremonyError(code === 'SCHEMA_INVALID' ? 'ROTATION_REQUEST_TAMPERED' : code, `key ${n.keyid.slice(0, 16)}… is named ${JSON.stringify(elsewhere)} and ${JSON.stringify(n.name)} in one request`, { path: n.path });
  }
}

export function sortedJson(value: JsonValue): string {
  const sort = (v: JsonValue): JsonValue => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      const out: JsonObject = {};
      for (const k of Object.keys(v).sort()) Object.defineProperty(out, k, { value: sort(v[k]!), enumerable: true, writable: true, configurable: true });
      return out;
    }
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

export function serializeSigningRequest(r: SigningRequest): Uint8Array {
  if (r.role === 'targets') {
    if (!r.targets) throw new CeremonyError('INTERNAL', 'a targets request without its previous targets.json');
    const doc: JsonObject = {
      format: SIGNING_REQUEST_FORMAT,
      version: 1,
      profile: r.profile,
      repository: r.repository,
      role: 'targets',
      payload: r.payload,
      previousRoot: Buffer.from(r.previousRootBytes).toString('base64'),
      previousTargets: Buffer.from(r.targets.previousBytes).toString('base64'),
      policy: { targets: policyOf(r.policy.new) as unknown as JsonObject },
      expectedSigners: r.expectedSigners.map((s): JsonObject => ({ keyid: s.keyid, name: s.name, from: s.from })),
      requestId: r.requestId,
    };
    if (r.targets.keyNames.size > 0) doc.keyNames = keyNamesJson(r.targets.keyNames);
    if (r.delegation) {
      doc.delegation = r.delegation.name;
      doc.delegatingTargets = Buffer.from(r.delegation.delegatorBytes).toString('base64');
    }
    if (r.contents && r.contents.size > 0) doc.contents = contentsJson(r.contents);
    if (r.delegatedFiles && r.delegatedFiles.size > 0) doc.delegatedFiles = Object.fromEntries([...r.delegatedFiles].map(([role, md]) => [role, Buffer.from(md.bytes).toString('base64')]));
    if (r.revokeTags) {
      const t = r.revokeTags;
      doc.revokeTags = { role: t.role, payload: t.payload, policy: { keyids: [...t.entry.keyids], threshold: t.entry.threshold }, expectedSigners: t.expectedSigners.map((s): JsonObject => ({ keyid: s.keyid, name: s.name, from: s.from })) };
    }
    return new TextEncoder().encode(sortedJson(doc));
  }
  const doc: JsonObject = {
    format: SIGNING_REQUEST_FORMAT,
    version: 1,
    profile: r.profile,
    repository: r.repository,
    role: 'root',
    payload: r.payload,
    previousRoot: Buffer.from(r.previousRootBytes).toString('base64'),
    policy: { previous: policyOf(r.policy.previous) as unknown as JsonObject, new: policyOf(r.policy.new) as unknown as JsonObject },
    expectedSigners: r.expectedSigners.map(signerJson),
    requestId: r.requestId,
  };
  if (r.keyNames && r.keyNames.size > 0) doc.keyNames = keyNamesJson(r.keyNames);
  if (r.renewal) doc.renewal = renewalJson(r.renewal);
  return new TextEncoder().encode(sortedJson(doc));
}

export function serializeSignatureResponse(r: SignatureResponse): Uint8Array {
  const doc: JsonObject = {
    format: SIGNATURE_RESPONSE_FORMAT,
    version: 1,
    requestId: r.requestId,
    payloadSha256: r.payloadSha256,
    signatures: r.signatures.map((s): JsonObject => (s.method !== undefined ? { keyid: s.keyid, method: s.method, sig: s.sig } : { keyid: s.keyid, sig: s.sig })),
    signer: r.signer.token
      ? { name: r.signer.name, token: r.signer.token.label ? { serial: r.signer.token.serial, label: r.signer.token.label } : { serial: r.signer.token.serial } }
      : { name: r.signer.name },
  };
  if (r.witnesses?.length) doc.witnesses = [...r.witnesses];
  return new TextEncoder().encode(sortedJson(doc));
}

function format(obj: JsonObject, want: string, path: string): void {
  const f = asString(obj.format, child(path, 'format'));
  if (f !== want) throw new CeremonyError('SCHEMA_INVALID', `this is not a ${want} (format ${JSON.stringify(f)})`, { path: child(path, 'format') });
  const v = asInteger(obj.version, child(path, 'version'), 1);
  if (v !== 1) throw new CeremonyError('SCHEMA_INVALID', `${want} version ${v} is not one this tool reads (1)`, { path: child(path, 'version') });
}

function hexField(value: JsonValue | undefined, path: string): string {
  const s = asString(value, path);
  if (!HEX64.test(s)) throw new CeremonyError('SCHEMA_INVALID', 'expected 64 lower-case hex characters', { path });
  return s;
}

function parsePolicy(value: JsonValue | undefined, path: string): RolePolicy {
  const obj = asObject(value, path);
  refuseUnknownFields(obj, new Set(['keyids', 'threshold']), path);
  const keyids = asArray(obj.keyids, child(path, 'keyids')).map((v, i) => hexField(v, child(child(path, 'keyids'), i)));
  return { keyids, threshold: asInteger(obj.threshold, child(path, 'threshold'), 1) };
}

function samePolicy(a: RolePolicy, b: RolePolicy): boolean {
  return a.threshold === b.threshold && a.keyids.length === b.keyids.length && a.keyids.every((id, i) => id === b.keyids[i]);
}

const REQUEST_FIELDS = new Set(['format', 'version', 'profile', 'repository', 'role', 'payload', 'previousRoot', 'policy', 'expectedSigners', 'keyNames', 'requestId']);
const ROOT_REQUEST_FIELDS = new Set([...REQUEST_FIELDS, 'renewal']);
const TARGETS_REQUEST_FIELDS = new Set([...REQUEST_FIELDS, 'previousTargets', 'contents', 'delegatedFiles', 'revokeTags']);
const DELEGATED_REQUEST_FIELDS = new Set([...REQUEST_FIELDS, 'previousTargets', 'contents', 'delegation', 'delegatingTargets']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Parse a signing request file: strict schema, then everything recomputed and compared. Its signature checks
 * (the root, targets.json N, the files it carries) are charged to one SignatureWork: a request is someone
 * else's bytes, and its review (describe.ts) makes no checks of its own (delegatedSigners).
 */
export function parseSigningRequest(bytes: Uint8Array, source = 'request', work: SignatureWork = new SignatureWork()): SigningRequest {
  return parseSigningRequestValue(parseJsonStrict(bytes, { maxBytes: REQUEST_MAX_BYTES, path: '$' }), source, work);
}

/**
 * A signing request already parsed as JSON (the requests a batch carries: src/rotation/batch.ts), with
 * every check parseSigningRequest makes after the size cap. Paths are relative to the request (`$`).
 * `work`: the signature work of the request, or of the whole batch it is in.
 */
export function parseSigningRequestValue(value: JsonValue, source = 'request', work: SignatureWork = new SignatureWork()): SigningRequest {
  const path = '$';
  const obj = asObject(value, path);
  format(obj, SIGNING_REQUEST_FORMAT, path);
  if (obj.role === 'targets') return parseTargetsSigningRequest(obj, source, work);
  refuseUnknownFields(obj, ROOT_REQUEST_FIELDS, path);
  const profileText = asString(obj.profile, '$.profile');
  if (profileText !== 'notary' && profileText !== 'tuf') throw new CeremonyError('SCHEMA_INVALID', `profile must be "notary" or "tuf", not ${JSON.stringify(profileText)}`, { path: '$.profile' });
  const profile: ProfileName = profileText;
  const repository = checkShownText(asString(obj.repository, '$.repository'), '$.repository', REPOSITORY_MAX);
  const role = asString(obj.role, '$.role');
  if (role !== 'root') throw new CeremonyError('SCHEMA_INVALID', `requests are for "root" or "targets", not ${JSON.stringify(role)}`, { path: '$.role' });
  const payload = asObject(obj.payload, '$.payload');
  const prevText = asString(obj.previousRoot, '$.previousRoot');
  if (!BASE64.test(prevText)) throw new CeremonyError('SCHEMA_INVALID', 'previousRoot must be base64 (RFC 4648, padded)', { path: '$.previousRoot' });
  const previousRootBytes = new Uint8Array(Buffer.from(prevText, 'base64'));
  const policyObj = asObject(obj.policy, '$.policy');
  refuseUnknownFields(policyObj, new Set(['previous', 'new']), '$.policy');
  const policy = { previous: parsePolicy(policyObj.previous, '$.policy.previous'), new: parsePolicy(policyObj.new, '$.policy.new') };
  const expectedSigners = asArray(obj.expectedSigners, '$.expectedSigners').map((v, i): ExpectedSigner => {
    const p = child('$.expectedSigners', i);
    const s = asObject(v, p);
    refuseUnknownFields(s, new Set(['keyid', 'name', 'from', 'lost', 'reason']), p);
    const from = asString(s.from, child(p, 'from'));
    if (from !== 'previous' && from !== 'new' && from !== 'both') throw new CeremonyError('SCHEMA_INVALID', 'from must be "previous", "new" or "both"', { path: child(p, 'from') });
    const signer: ExpectedSigner = { keyid: hexField(s.keyid, child(p, 'keyid')), name: shownName(s.name, child(p, 'name')), from };
    if (s.lost !== undefined) {
      if (s.lost !== true) throw new CeremonyError('SCHEMA_INVALID', 'lost is true when present', { path: child(p, 'lost') });
      signer.lost = true;
    }
    if (s.reason !== undefined) {
      const reason = asString(s.reason, child(p, 'reason'));
      if (reason !== 'lost' && reason !== 'compromised' && reason !== 'retired') throw new CeremonyError('SCHEMA_INVALID', 'reason is "lost", "compromised" or "retired"', { path: child(p, 'reason') });
      // A reason says why a key LEAVES the root role: only a key of the previous root alone has one.
      if (from !== 'previous') throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `a reason is given for a key that stays in or joins the root role`, { path: child(p, 'reason') });
      signer.reason = reason;
    }
    return signer;
  });
  const keyNames = parseKeyNames(obj.keyNames);
  const renewal = obj.renewal === undefined ? undefined : parseRenewalLink(obj.renewal);
  const requestId = hexField(obj.requestId, '$.requestId');

  // The previous root and the payload, as metadata of the profile.
  let previous: Metadata<Root>;
  try {
    previous = parsePreviousRoot(previousRootBytes, `${source} $.previousRoot`);
  } catch (err) {
    if (isCeremonyError(err)) throw new CeremonyError(err.code, `the previous root in the request: ${err.message}`, { path: '$.previousRoot', cause: err });
    throw err;
  }
  if (previous.profile.name !== profile) throw new CeremonyError('SCHEMA_INVALID', `the previous root is ${previous.profile.name} metadata, but the request says ${profile}`, { path: '$.profile' });
  const p = getProfile(profile);
  const payloadBytes = p.canonical(payload);
  // Tampering first: a request changed after export must say so, whatever else it breaks.
  checkRequestId(requestId, payloadBytes, previousRootBytes, undefined, { profile, repository, role: 'root', expectedSigners, keyNames, ...(renewal ? { renewal } : {}) }, 'the payload, the previous root, the repository, the names or the certificate request it follows');
  const root = parseRootSigned(p, payload, '$.payload');
  if (root.version !== previous.signed.version + 1) {
    throw new CeremonyError('ROOT_VERSION_SKIPPED', `the payload is root version ${root.version}; after version ${previous.signed.version} it must be ${previous.signed.version + 1}`, { path: '$.payload.version' });
  }
  if (!samePolicy(policy.previous, previous.signed.roles.get('root')!) || !samePolicy(policy.new, root.roles.get('root')!)) {
    throw new CeremonyError('ROTATION_REQUEST_TAMPERED', "the request's policy is not the root roles of the previous root and the payload", { path: '$.policy' });
  }
  const seen = new Set<string>();
  expectedSigners.forEach((s, i) => {
    const side = sideOf(s.keyid, policy.previous, policy.new);
    if (side === undefined || side !== s.from || seen.has(s.keyid)) {
      throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `expected signer ${JSON.stringify(s.name)} is not a ${s.from} root key of this request, or is listed twice`, { path: child('$.expectedSigners', i) });
    }
    seen.add(s.keyid);
  });
  checkKeyNames(keyNames, otherRoleKeyIds(previous.signed, root), seen, 'no targets, snapshot or timestamp role of either root lists');
  checkDistinctNames(namedKeys(expectedSigners, keyNames, keyLookup(previous.signed.keys, root.keys)));
  if (renewal) checkRenewalLink(renewal, repository, previous, root, payload, 'ROTATION_REQUEST_TAMPERED');
  return {
    ...(renewal ? { renewal } : {}),
    profile,
    repository,
    role: 'root',
    payload,
    previousRootBytes,
    policy,
    expectedSigners,
    requestId,
    previous,
    root,
    keyNames,
    payloadBytes,
    payloadSha256: hex(sha256(payloadBytes)),
  };
}

function parseRenewalLink(value: JsonValue): RenewalLink {
  const o = asObject(value, '$.renewal');
  refuseUnknownFields(o, new Set(['certificateRequestId', 'certificates', 'validity']), '$.renewal');
  const certificates = asArray(o.certificates, '$.renewal.certificates').map((c, i) => {
    const p = child('$.renewal.certificates', i);
    const e = asObject(c, p);
    refuseUnknownFields(e, new Set(['keyid', 'sha256']), p);
    return { keyid: hexField(e.keyid, child(p, 'keyid')), sha256: hexField(e.sha256, child(p, 'sha256')) };
  });
  const v = asObject(o.validity, '$.renewal.validity');
  refuseUnknownFields(v, new Set(['notBefore', 'notAfter']), '$.renewal.validity');
  // Kept as written (the ID binds these bytes), once checked to be dates in the one form formatExpires writes.
  const date = (value: JsonValue | undefined, p: string): string => {
    const text = asString(value, p);
    const parsed = parseExpires('notary', text, p);
    if (formatExpires(parsed) !== text) throw new CeremonyError('SCHEMA_INVALID', 'expected a date as YYYY-MM-DDTHH:MM:SSZ', { path: p });
    checkCertificateTime(parsed, p); // the validity a certificate can carry (1950 … 9999)
    return text;
  };
  return {
    certificateRequestId: hexField(o.certificateRequestId, '$.renewal.certificateRequestId'),
    certificates,
    validity: { notBefore: date(v.notBefore, '$.renewal.validity.notBefore'), notAfter: date(v.notAfter, '$.renewal.validity.notAfter') },
  };
}

/**
 * A request that follows a certificate request changes nothing but certificates: every root key root N+1
 * adds is a listed renewed certificate (its DER SHA-256 as recorded) of a key root N lists under its old
 * certificate, which leaves; nothing else joins or leaves the root role (certificate-request.ts). Each
 * renewed certificate is also what the custodian's token issues for that request (the review says so):
 * a Notary leaf for this GUN (CERTIFICATE_INVALID), with the validity the certificate request asked for,
 * lasting at least as long as root N+1 (CERTIFICATE_VALIDITY_MISMATCH), and signed by the key it
 * certifies (CERTIFICATE_SIGNATURE_INVALID) — notary's client does not check that signature, so nothing
 * else would, and a certificate the token never signed would pass as the custodian's.
 */
function checkRenewalLink(renewal: RenewalLink, repository: string, previousMd: Metadata<Root>, next: Root, payload: JsonObject, code: ErrorCode): void {
  const path = '$.renewal.certificates';
  const previous = previousMd.signed;
  // Nothing but the root role's key IDs, the key table and the expiry (and version) may differ: the review
  // says "nothing else changes", so anything else is not a renewal.
  const rest = (o: JsonObject): string => {
    const roles = { ...(o.roles as JsonObject) };
    roles.root = { threshold: (roles.root as JsonObject | undefined)?.threshold ?? null };
    return canonicalString({ ...o, roles, keys: null, version: 0, expires: '' }, 'json');
  };
  if (rest(previousMd.signedJson) !== rest(payload)) {
    throw new CeremonyError(code, 'a request that follows a certificate request changes nothing but the root certificates and the expiry', { path: '$.payload' });
  }
  const prevIds = previous.roles.get('root')!.keyids;
  const nextIds = next.roles.get('root')!.keyids;
  const added = nextIds.filter((id) => !prevIds.includes(id));
  const removed = prevIds.filter((id) => !nextIds.includes(id));
  const listed = new Set(renewal.certificates.map((c) => c.keyid));
  if (renewal.certificates.length === 0 || listed.size !== renewal.certificates.length || added.length !== listed.size || added.some((id) => !listed.has(id)) || removed.length !== added.length) {
    throw new CeremonyError(code, 'a request that follows a certificate request adds exactly the renewed certificates to the root role and removes exactly the certificates they replace', { path });
  }
  renewal.certificates.forEach((c, i) => {
    const k = next.keys.get(c.keyid)!;
    const cert = k.key.certificate;
    if (!cert || cert.fingerprint !== c.sha256) throw new CeremonyError(code, `certificate ${i + 1} of the renewal is not the one root version ${next.version} lists under key ${c.keyid.slice(0, 16)}…`, { path: child(path, i) });
    if (!removed.some((id) => previous.keys.get(id)!.key.fingerprint === k.key.fingerprint)) {
      throw new CeremonyError(code, `the renewed certificate ${c.keyid.slice(0, 16)}… is not for the key of a certificate it replaces: a renewal keeps the key`, { path: child(path, i) });
    }
    checkRenewedLeaf(renewal, repository, next, k, `$.payload.signed.keys.${c.keyid}`);
  });
}

/** The renewal checks of a root request already built or parsed (merge runs them again on what it merges). */
export function checkRequestRenewal(request: SigningRequest): void {
  if (request.role === 'root' && request.renewal) checkRenewalLink(request.renewal, request.repository, request.previous, request.root, request.payload, 'ROTATION_REQUEST_TAMPERED');
}

/** One renewed certificate of a renewal link, as the token issued it (checkRenewalLink). */
function checkRenewedLeaf(renewal: RenewalLink, repository: string, next: Root, k: ListedKey, path: string): void {
  const cert = k.key.certificate!;
  checkNotaryLeaf(cert, undefined, repository, path);
  const notBefore = formatExpires(cert.notBefore);
  const notAfter = formatExpires(cert.notAfter);
  if (notBefore !== renewal.validity.notBefore || notAfter !== renewal.validity.notAfter) {
    throw new CeremonyError('CERTIFICATE_VALIDITY_MISMATCH', `the renewed certificate "${cert.subjectCN}" is valid ${notBefore} to ${notAfter}; the certificate request asked for ${renewal.validity.notBefore} to ${renewal.validity.notAfter}`, { path });
  }
  if (cert.notAfter.getTime() < next.expires.getTime()) {
    throw new CeremonyError('CERTIFICATE_VALIDITY_MISMATCH', `the renewed certificate "${cert.subjectCN}" ends ${notAfter}, before root version ${next.version} expires (${next.expiresText}): from that day notary clients would refuse the root`, { path });
  }
  const pem = Buffer.from(String((k.json.keyval as JsonObject).public), 'base64').toString('utf8');
  const parsed = parseCertificatePem(pem, path);
  if (!new X509Certificate(parsed.der).verify(decodeSpki(parsed.spki, path).keyObject)) {
    throw new CeremonyError('CERTIFICATE_SIGNATURE_INVALID', `the renewed certificate "${cert.subjectCN}" is not signed by the key it certifies: no custodian's token issued it`, { path });
  }
}

function decodeBase64Field(value: JsonValue | undefined, path: string): Uint8Array {
  const text = asString(value, path);
  if (!BASE64.test(text)) throw new CeremonyError('SCHEMA_INVALID', 'expected base64 (RFC 4648, padded)', { path });
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Re-throw a refusal about an embedded file with the request's path for it. */
function embedded<T>(what: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isCeremonyError(err)) throw new CeremonyError(err.code, `${what} in the request: ${err.message}`, { path, cause: err });
    throw err;
  }
}

/**
 * Names and the repository reach a co-signer's terminal and screen before anything is verified against
 * them (the request ID is a plain hash anyone can recompute): 1–200 characters, none that can hide or
 * reorder what is shown (ANSI escapes, bidi overrides…: checkShownText).
 */
/** Notary's GUN limit (255), for either profile. */
const REPOSITORY_MAX = 255;

/** A key's or holder's name: shown text that cannot pass for key text (src/rotation/names.ts). */
function shownName(value: JsonValue | undefined, path: string): string {
  return checkKeyName(asString(value, path), path, 'SCHEMA_INVALID', NAME_MAX);
}

/**
 * Every name a request shows, checked as names (no key-text imitation) and distinct across keys
 * (NAME_DUPLICATE): the expected signers' and `keyNames`. `code` is for the shown-text rule (built
 * requests: the change set's code; parsed ones: SCHEMA_INVALID).
 */
function checkNames(signers: readonly ExpectedSigner[], keyNames: ReadonlyMap<string, string> | undefined, code: ErrorCode, keyOf: KeyLookup): void {
  const named = namedKeys(signers, keyNames ?? new Map(), keyOf);
  for (const n of named) checkKeyName(n.name, n.path, code, NAME_MAX);
  checkDistinctNames(named);
}

/** `keyNames` (optional): key ID → a name (shownName); absent → an empty map. */
function parseKeyNames(value: JsonValue | undefined): Map<string, string> {
  const keyNames = new Map<string, string>();
  if (value === undefined) return keyNames;
  const names = asObject(value, '$.keyNames');
  for (const id of Object.keys(names)) {
    const p = child('$.keyNames', id);
    if (!HEX64.test(id)) throw new CeremonyError('SCHEMA_INVALID', 'a key ID is 64 lower-case hex characters', { path: p });
    keyNames.set(id, shownName(names[id], p));
  }
  return keyNames;
}

/** A key ID → its listed key, across the key lists a request shows. */
type KeyLookup = (keyid: string) => ListedKey | undefined;

/** Look key IDs up in these key lists (first list that has it). */
function keyLookup(...lists: (ReadonlyMap<string, ListedKey> | undefined)[]): KeyLookup {
  return (keyid) => {
    for (const l of lists) {
      const k = l?.get(keyid);
      if (k) return k;
    }
    return undefined;
  };
}

/**
 * The request's named keys with where each name is and their public-key fingerprint, for
 * checkDistinctNames (one key under two IDs is one key). A key ID no list holds (already refused
 * elsewhere as tampering) stands for itself.
 */
function namedKeys(signers: readonly ExpectedSigner[], keyNames: ReadonlyMap<string, string>, keyOf: KeyLookup): { keyid: string; fingerprint: string; name: string; path: string }[] {
  const fp = (keyid: string): string => keyOf(keyid)?.key.fingerprint ?? `keyid:${keyid}`;
  return [
    ...signers.map((s, i) => ({ keyid: s.keyid, fingerprint: fp(s.keyid), name: s.name, path: child(child('$.expectedSigners', i), 'name') })),
    ...[...keyNames].map(([keyid, name]) => ({ keyid, fingerprint: fp(keyid), name, path: child('$.keyNames', keyid) })),
  ];
}

/** Every named key must be one the request can show (`known`), and not an expected signer (named there). */
function checkKeyNames(keyNames: ReadonlyMap<string, string>, known: ReadonlySet<string>, signers: ReadonlySet<string>, unknownWords: string): void {
  for (const id of keyNames.keys()) {
    if (!known.has(id)) throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `a key name is given for a key ${unknownWords}`, { path: child('$.keyNames', id) });
    if (signers.has(id)) throw new CeremonyError('ROTATION_REQUEST_TAMPERED', 'a key name is given for an expected signer (named in expectedSigners)', { path: child('$.keyNames', id) });
  }
}

function parseTargetsSigningRequest(obj: JsonObject, source: string, work: SignatureWork): SigningRequest {
  if (obj.delegation !== undefined) return parseDelegatedSigningRequest(obj, source, work);
  refuseUnknownFields(obj, TARGETS_REQUEST_FIELDS, '$');
  const profileText = asString(obj.profile, '$.profile');
  if (profileText !== 'notary' && profileText !== 'tuf') throw new CeremonyError('SCHEMA_INVALID', `profile must be "notary" or "tuf", not ${JSON.stringify(profileText)}`, { path: '$.profile' });
  const profile: ProfileName = profileText;
  const repository = checkShownText(asString(obj.repository, '$.repository'), '$.repository', REPOSITORY_MAX);
  const payload = asObject(obj.payload, '$.payload');
  const previousRootBytes = decodeBase64Field(obj.previousRoot, '$.previousRoot');
  const previousTargetsBytes = decodeBase64Field(obj.previousTargets, '$.previousTargets');
  const { policy, expectedSigners } = parseTargetsSigners(obj);
  const keyNames = parseKeyNames(obj.keyNames);
  const requestId = hexField(obj.requestId, '$.requestId');
  const revokeDoc = obj.revokeTags === undefined ? undefined : parseRevokeTagsDoc(obj.revokeTags);

  const p = getProfile(profile);
  const payloadBytes = p.canonical(payload);
  // Tampering first: a request changed after export must say so, whatever else it breaks.
  const contents = parseContents(obj.contents);
  const delegatedBytes = new Map<string, Uint8Array>();
  if (obj.delegatedFiles !== undefined) {
    const o = asObject(obj.delegatedFiles, '$.delegatedFiles');
    for (const role of Object.keys(o)) delegatedBytes.set(role, decodeBase64Field(o[role], child('$.delegatedFiles', role)));
  }
  checkRequestId(
    requestId,
    payloadBytes,
    previousRootBytes,
    previousTargetsBytes,
    {
      profile,
      repository,
      role: 'targets',
      expectedSigners,
      keyNames,
      contents,
      delegatedFiles: delegatedBytes,
      ...(revokeDoc ? { revokeTags: { role: revokeDoc.role, payloadSha256: hex(sha256(p.canonical(revokeDoc.payload))), policy: revokeDoc.policy, expectedSigners: revokeDoc.expectedSigners } } : {}),
    },
    'the payload, the root, the previous targets.json, the carried files, the repository or the names',
  );
  // TUF 5.6.3: targets.json N is what the payload follows only if the root's targets role signed it.
  const { root, previous } = embedded(`${source}: the root or the previous targets.json`, '$.previousTargets', () => verifiedCurrentTargets(previousRootBytes, previousTargetsBytes, work));
  if (root.profile.name !== profile) throw new CeremonyError('SCHEMA_INVALID', `the root is ${root.profile.name} metadata, but the request says ${profile}`, { path: '$.profile' });
  const next = parseTargetsSigned(p, payload, '$.payload');
  if (next.version !== previous.signed.version + 1) {
    throw new CeremonyError('VERSION_MISMATCH', `the payload is targets version ${next.version}; after version ${previous.signed.version} it must be ${previous.signed.version + 1}`, { path: '$.payload.version' });
  }
  for (const [i, r] of (next.delegations?.roles ?? []).entries()) checkDelegationName(profile, r.name, `$.payload.delegations.roles[${i}].name`);
  // A delegation the payload adds or alters is checked as the change that wrote it was; one carried
  // unchanged from targets.json N is signed again as it is, and describe.ts warns (the same words as the
  // proposer saw: the review is derived from this request alone).
  checkAlteredDelegations(profile, previous.signed.delegations?.roles ?? [], next.delegations?.roles ?? [], '$.payload', 'the payload');
  const targetsRole = root.signed.roles.get('targets')!;
  if (!samePolicy(policy, targetsRole)) throw new CeremonyError('ROTATION_REQUEST_TAMPERED', "the request's policy is not the root's targets role", { path: '$.policy' });
  const seen = new Set<string>();
  expectedSigners.forEach((s, i) => {
    if (!targetsRole.keyids.includes(s.keyid) || seen.has(s.keyid)) {
      throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `expected signer ${JSON.stringify(s.name)} is not a targets key of root version ${root.signed.version}, or is listed twice`, { path: child('$.expectedSigners', i) });
    }
    seen.add(s.keyid);
  });
  checkKeyNames(keyNames, new Set([...(previous.signed.delegations?.keys.keys() ?? []), ...(next.delegations?.keys.keys() ?? [])]), new Set(), 'no delegation lists');
  checkContents(profile, previous.signed, next, contents);
  const { files: delegatedFiles, signers: delegatedSigners } = checkDelegatedFiles(previous, delegatedBytes, '$.delegatedFiles', undefined, work);
  checkDistinctNames(namedKeys(expectedSigners, keyNames, keyLookup(root.signed.keys, previous.signed.delegations?.keys, next.delegations?.keys)));
  const revokeTags = revokeDoc ? checkRevokeTagsPart(profile, previous.signed, next, delegatedFiles.get(revokeDoc.role), revokeDoc) : undefined;
  if (revokeTags) checkRevokeTagsNames(revokeTags, expectedSigners, keyNames, 'SCHEMA_INVALID');
  return {
    profile,
    repository,
    role: 'targets',
    payload,
    previousRootBytes,
    policy: { previous: policy, new: policyOf(policy) },
    expectedSigners,
    requestId,
    previous: root,
    root: root.signed,
    keyNames,
    targets: { previousBytes: previousTargetsBytes, previous, next, keyNames },
    ...(contents.size > 0 ? { contents } : {}),
    ...(delegatedFiles.size > 0 ? { delegatedFiles, delegatedSigners } : {}),
    ...(revokeTags ? { revokeTags } : {}),
    payloadBytes,
    payloadSha256: hex(sha256(payloadBytes)),
  };
}

/** The `revokeTags` object of a targets request (revoke-tags.ts): strict fields; its checks come after the request ID. */
function parseRevokeTagsDoc(value: JsonValue): { role: string; payload: JsonObject; policy: RolePolicy; expectedSigners: { keyid: string; name: string; from: 'targets' }[] } {
  const path = '$.revokeTags';
  const o = asObject(value, path);
  refuseUnknownFields(o, new Set(['role', 'payload', 'policy', 'expectedSigners']), path);
  const role = checkShownText(asString(o.role, child(path, 'role')), child(path, 'role'), 255);
  const payload = asObject(o.payload, child(path, 'payload'));
  const policy = parsePolicy(o.policy, child(path, 'policy'));
  const expectedSigners = signersAt(o.expectedSigners, child(path, 'expectedSigners')).map((s) => ({ keyid: s.keyid, name: s.name, from: 'targets' as const }));
  return { role, payload, policy, expectedSigners };
}

/**
 * The policy and expected signers of a targets or delegated role request: one `targets` policy, every
 * signer `from: "targets"` (the keys of the role being signed, whichever file delegates it).
 */
function parseTargetsSigners(obj: JsonObject): { policy: ReturnType<typeof parsePolicy>; expectedSigners: ExpectedSigner[] } {
  const policyObj = asObject(obj.policy, '$.policy');
  refuseUnknownFields(policyObj, new Set(['targets']), '$.policy');
  const policy = parsePolicy(policyObj.targets, '$.policy.targets');
  return { policy, expectedSigners: signersAt(obj.expectedSigners, '$.expectedSigners') };
}

/** Expected signers of a targets-kind policy: `{keyid, name, from: "targets"}` each. */
function signersAt(value: JsonValue | undefined, at: string): ExpectedSigner[] {
  return asArray(value, at).map((v, i): ExpectedSigner => {
    const p = child(at, i);
    const s = asObject(v, p);
    refuseUnknownFields(s, new Set(['keyid', 'name', 'from']), p);
    if (asString(s.from, child(p, 'from')) !== 'targets') throw new CeremonyError('SCHEMA_INVALID', 'from is "targets" in a targets request', { path: child(p, 'from') });
    return { keyid: hexField(s.keyid, child(p, 'keyid')), name: shownName(s.name, child(p, 'name')), from: 'targets' };
  });
}

/** A delegated role request (see the module comment): the targets request's checks, with the delegation as the policy. */
function parseDelegatedSigningRequest(obj: JsonObject, source: string, work: SignatureWork): SigningRequest {
  refuseUnknownFields(obj, DELEGATED_REQUEST_FIELDS, '$');
  const profileText = asString(obj.profile, '$.profile');
  if (profileText !== 'notary' && profileText !== 'tuf') throw new CeremonyError('SCHEMA_INVALID', `profile must be "notary" or "tuf", not ${JSON.stringify(profileText)}`, { path: '$.profile' });
  const profile: ProfileName = profileText;
  const repository = checkShownText(asString(obj.repository, '$.repository'), '$.repository', REPOSITORY_MAX);
  const name = checkShownText(asString(obj.delegation, '$.delegation'), '$.delegation', 255);
  checkDelegationName(profile, name, '$.delegation');
  const payload = asObject(obj.payload, '$.payload');
  const previousRootBytes = decodeBase64Field(obj.previousRoot, '$.previousRoot');
  const delegatorBytes = decodeBase64Field(obj.delegatingTargets, '$.delegatingTargets');
  const previousBytes = decodeBase64Field(obj.previousTargets, '$.previousTargets');
  const { policy, expectedSigners } = parseTargetsSigners(obj);
  const keyNames = parseKeyNames(obj.keyNames);
  if (keyNames.size > 0) throw new CeremonyError('ROTATION_REQUEST_TAMPERED', 'a delegated role request names no keys besides its expected signers', { path: '$.keyNames' });
  const requestId = hexField(obj.requestId, '$.requestId');
  const contents = parseContents(obj.contents);
  const p = getProfile(profile);
  const payloadBytes = p.canonical(payload);
  checkRequestId(
    requestId,
    payloadBytes,
    previousRootBytes,
    previousBytes,
    { profile, repository, role: 'targets', expectedSigners, keyNames, delegation: { name, targetsSha256: hex(sha256(delegatorBytes)) }, contents },
    'the payload, the root, the targets.json, the delegated file, the carried contents, the repository or the names',
  );
  const { root, delegator, role, previous } = embedded(`${source}: the root, targets.json or ${name}.json`, '$.previousTargets', () => verifiedDelegated(previousRootBytes, delegatorBytes, previousBytes, name, work));
  if (root.profile.name !== profile) throw new CeremonyError('SCHEMA_INVALID', `the root is ${root.profile.name} metadata, but the request says ${profile}`, { path: '$.profile' });
  const next = parseTargetsSigned(p, payload, '$.payload');
  if (next.version !== previous.signed.version + 1) {
    throw new CeremonyError('VERSION_MISMATCH', `the payload is ${name} version ${next.version}; after version ${previous.signed.version} it must be ${previous.signed.version + 1}`, { path: '$.payload.version' });
  }
  // The delegations the role's file N+1 carries (TUF 4.5: a delegate may delegate further) are signed by
  // these keys as much as its targets: the checks targets.json's get (delegated-payload.ts checkNested).
  checkNestedDelegations(profile, previous.signed, next, name, '$.payload', 'the payload');
  if (!samePolicy(policy, role)) throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `the request's policy is not the keys and threshold targets.json gives ${name}`, { path: '$.policy' });
  const seen = new Set<string>();
  expectedSigners.forEach((s, i) => {
    if (!role.keyids.includes(s.keyid) || seen.has(s.keyid)) {
      throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `expected signer ${JSON.stringify(s.name)} is not a key of ${name} in targets.json version ${delegator.signed.version}, or is listed twice`, { path: child('$.expectedSigners', i) });
    }
    seen.add(s.keyid);
  });
  checkDistinctNames(namedKeys(expectedSigners, keyNames, keyLookup(delegator.signed.delegations?.keys)));
  checkContents(profile, previous.signed, next, contents);
  return {
    profile,
    repository,
    role: 'targets',
    payload,
    previousRootBytes,
    policy: { previous: policy, new: policyOf(policy) },
    expectedSigners,
    requestId,
    previous: root,
    root: root.signed,
    keyNames,
    targets: { previousBytes, previous, next, keyNames },
    delegation: { name, delegatorBytes, delegator, role },
    ...(contents.size > 0 ? { contents } : {}),
    payloadBytes,
    payloadSha256: hex(sha256(payloadBytes)),
  };
}

const RESPONSE_FIELDS = new Set(['format', 'version', 'requestId', 'payloadSha256', 'signatures', 'signer', 'witnesses']);

export function parseSignatureResponse(bytes: Uint8Array): SignatureResponse {
  return parseSignatureResponseValue(parseJsonStrict(bytes, { maxBytes: RESPONSE_MAX_BYTES, path: '$' }));
}

/** A signature response already parsed as JSON (a batch response's entries), checked as parseSignatureResponse checks it. */
export function parseSignatureResponseValue(value: JsonValue): SignatureResponse {
  const path = '$';
  const obj = asObject(value, path);
  format(obj, SIGNATURE_RESPONSE_FORMAT, path);
  refuseUnknownFields(obj, RESPONSE_FIELDS, path);
  const signatures = asArray(obj.signatures, '$.signatures').map((v, i): SignatureJson => {
    const p = child('$.signatures', i);
    const s = asObject(v, p);
    refuseUnknownFields(s, new Set(['keyid', 'sig', 'method']), p);
    const sig: SignatureJson = { keyid: hexField(s.keyid, child(p, 'keyid')), sig: asNonEmptyString(s.sig, child(p, 'sig')) };
    if (s.method !== undefined) sig.method = asString(s.method, child(p, 'method'));
    return sig;
  });
  if (signatures.length === 0) throw new CeremonyError('SCHEMA_INVALID', 'a signature response carries at least one signature', { path: '$.signatures' });
  const signerObj = asObject(obj.signer, '$.signer');
  refuseUnknownFields(signerObj, new Set(['name', 'token']), '$.signer');
  const signer: SignatureResponse['signer'] = { name: shownName(signerObj.name, '$.signer.name') };
  if (signerObj.token !== undefined) {
    const t = asObject(signerObj.token, '$.signer.token');
    refuseUnknownFields(t, new Set(['serial', 'label']), '$.signer.token');
    signer.token = { serial: checkShownText(asString(t.serial, '$.signer.token.serial'), '$.signer.token.serial', NAME_MAX) };
    if (t.label !== undefined) signer.token.label = checkShownText(asString(t.label, '$.signer.token.label'), '$.signer.token.label', NAME_MAX);
  }
  const response: SignatureResponse = { requestId: hexField(obj.requestId, '$.requestId'), payloadSha256: hexField(obj.payloadSha256, '$.payloadSha256'), signatures, signer };
  if (obj.witnesses !== undefined) {
    const list = asArray(obj.witnesses, '$.witnesses').map((v, i) => asNonEmptyString(v, child('$.witnesses', i)));
    const witnesses = checkWitnessNames(list, '$.witnesses');
    if (witnesses.length !== list.length || witnesses.length === 0) throw new CeremonyError('SCHEMA_INVALID', 'witness names are non-empty and not padded with spaces; an empty list is left out', { path: '$.witnesses' });
    response.witnesses = witnesses.map((w, i) => {
      if (w !== list[i]) throw new CeremonyError('SCHEMA_INVALID', 'a witness name is padded with spaces', { path: child('$.witnesses', i) });
      return w;
    });
  }
  return response;
}

