/**
 * The ceremony plan (PRODUCT.md §2.3): the reviewed intent of a root ceremony, kept apart from the site
 * bindings decided on the day (site-bindings.ts: module path, token selection, where PINs come from). A
 * plan is prepared at a desk, reviewed, and brought to the ceremony room; its SHA-256 — the *intent hash*
 * (plan-hash.ts) — is shown at the start so the witnesses compare it with the reviewed copy, and it heads
 * the transcript.
 *
 * Strictly parsed: unknown fields are refused, every field is validated, and every refusal is
 * PLAN_INVALID (or JSON_* from the parser) with the JSON path of the field. Example (notary profile):
 *
 * ```json
 * {
 *   "format": "tuf-ceremony-plan",
 *   "version": 1,
 *   "kind": "root",
 *   "profile": "notary",
 *   "repository": "registry.example.com/org/app",
 *   "custodians": [
 *     { "name": "Alice", "token": { "serial": "12345678" }, "keyAlgorithm": "ecdsa-p256", "keyLabel": "root-2026-alice" },
 *     { "name": "Bob", "token": { "serial": "23456789" }, "keyAlgorithm": "ecdsa-p256", "keyLabel": "root-2026-bob" },
 *     { "name": "Carol", "token": null, "keyAlgorithm": "ecdsa-p256", "keyLabel": "root-2026-carol" }
 *   ],
 *   "root": { "threshold": 2, "expires": "2036-05-01T00:00:00Z" },
 *   "targets": { "key": { "custodian": "Alice", "keyAlgorithm": "ecdsa-p256", "keyLabel": "targets-2026" }, "expires": "2029-05-01T00:00:00Z" },
 *   "snapshot": { "key": { "custodian": "Bob", "keyAlgorithm": "ecdsa-p256", "keyLabel": "snapshot-2026" }, "expires": "2029-05-01T00:00:00Z" },
 *   "timestamp": { "keyFile": "timestamp.key", "sha256": "<hex SHA-256 of the file as reviewed>" },
 *   "shamir": { "threshold": 2, "shares": 3, "keyAlgorithm": "ecdsa-p256" }
 * }
 * ```
 *
 * - `custodians[i].token`: the token expected (serial and/or label), or null when it is chosen on the day
 *   by the site bindings (the serial used is then recorded in the transcript). Each custodian's root key is
 *   generated on their token.
 * - Key sources (`targets.key`, `snapshot.key`, `timestamp.key`): `{custodian, keyAlgorithm, keyLabel}` —
 *   generated on that custodian's token — or `{"software": "rehearsal", keyAlgorithm}`, an in-memory key
 *   that exists only in a rehearsal (a real ceremony would have nowhere safe to keep its private key, so
 *   `run` refuses it).
 * - Server keys (`{keyFile, sha256}`): a public key notary-server holds. Notary's timestamp key always is
 *   one (the server signs timestamps: `GET /v2/<GUN>/_trust/tuf/timestamp.key`); the snapshot key may be
 *   one (a server-managed snapshot: `…/snapshot.key`), and then no snapshot.json is written — the root lists
 *   the server's key, and the server signs snapshots. `keyFile` is relative to the plan's folder; the file
 *   must have the SHA-256 the plan records.
 * - `shamir`: a software root key, generated in memory, split M-of-N into share cards and wiped: listed in
 *   the root role beside the custodians' token keys (a backup vote for when tokens are lost). It does not
 *   sign root v1 — it is gone by then — so the root threshold must be met by the custodians' tokens.
 * - `consistentSnapshot` (TUF only, default false).
 * - TUF online roles: `snapshot` and/or `timestamp` as `{keyFile, sha256}` name an online service's public
 *   key (the key JSON `tokens export` writes, or a PEM `PUBLIC KEY`; src/ceremony/online-key.ts): the
 *   ceremony makes only the offline roles' keys and writes only their metadata; the service signs the rest.
 *   An online snapshot needs an online timestamp.
 * - `allowSoftwareTokens` (default false): a ceremony that is not a rehearsal refuses software tokens
 *   (SoftHSM2, swtpm-backed tpm2-pkcs11, NSS softokn, opencryptoki's soft token: keys kept in files on
 *   this computer) unless the reviewed plan sets this to true; the transcript names them either way.
 * - `attestation` (optional): `{"required": true, "pinPolicy": [...], "touchPolicy": [...]}` — see
 *   `CeremonyPlan.attestation`; part of the reviewed bytes, so of the intent hash, like every field.
 * - Two custodians may not expect the same token: the pair (serial, label) decides, so tokens that share
 *   a serial (tpm2-pkcs11, NSS: `0000000000000000`) are told apart by label.
 *
 * - `existingKey` (optional, on a custodian or a token key source): `{"ckaId": hex, "fingerprint": hex}` —
 *   the key is one made at an earlier ceremony, found on the token by CKA_ID and checked against the
 *   fingerprint, not generated (issue #17: a new repository joins an existing key set deliberately). The
 *   custodian's `token` must then name serial and label. A key already on the token that the plan does not
 *   name this way is never used: generating a key under a label the token already holds is refused
 *   (KEY_LABEL_EXISTS, labels are never reused). Two keys of one plan may not name the same earlier key:
 *   the same fingerprint (whichever custodians) or the same CKA_ID on one custodian's token is refused
 *   (EarlierKeys, below).
 * - Many repositories sharing these keys: `repositories` in place of `repository` (multi-plan.ts).
 *
 * - `targets.publishers` (optional): `[{"name": "CI", "keyFile": "ci-targets.pem", "sha256": "…"}]`, the
 *   public keys of publishers who sign targets.json themselves with the stock notary client; root v1 lists
 *   them in the targets role beside the ceremony's key, threshold 1 (see `publishers()` below).
 *
 * Trade-off for Notary (noted here because a reviewer will ask): a targets key generated on a token keeps
 * the key that signs targets.json v1 offline, which is right for the ceremony — but a Notary publisher later
 * re-signs targets.json with every change, and the `notary` client signs only with keys in its own key
 * store (or a YubiKey through its PKCS#11 build). A repository whose publishers use the stock client lists
 * their own targets keys (`targets.publishers`: the private halves never come near the ceremony), so a
 * publisher adds delegations with `notary delegation add` and publishes; or the offline targets key signs
 * delegation changes itself, at ceremonies (`targets/releases`, through a signing request). Delegates
 * publish without the snapshot key, so such a repository wants a server-managed snapshot (measured: with the
 * snapshot key on a token, `notary add -r targets/releases` fails with "server does not hold current snapshot
 * key"); a ceremony-held snapshot key suits repositories whose every change is made at a ceremony.
 *
 * Expiry dates are required (no defaults in a reviewed plan; `rehearse` picks FIELD-NOTES's: root 10 y,
 * targets and snapshot 3 y, timestamp 14 d), in `YYYY-MM-DDTHH:MM:SSZ` form, and checked against the clock
 * when the ceremony starts (`checkPlanDates`).
 */
import { CeremonyError, messageWithoutPath } from '../errors.js';
import { child } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import type { KeyAlgorithm, ProfileName } from '../profiles/profile.js';
import { parseExpires } from '../tuf/dates.js';
import { gunFolderProblem } from '../tuf/gun.js';
import type { AttestationRequirement } from '../attestation/repository.js';
import type { PinPolicy, TouchPolicy } from '../attestation/yubico-extensions.js';
import { nameKey } from '../rotation/names.js';
import { StrictReader } from './read.js';
import { checkPublishersCanPublish } from './publisher-lockout.js';

export const PLAN_FORMAT = 'tuf-ceremony-plan';
export const PLAN_VERSION = 1;
/** A plan is a few kilobytes; anything near this is not a plan. */
export const PLAN_MAX_BYTES = 256 * 1024;
export const MAX_CUSTODIANS = 16;

/**
 * A key made at an earlier ceremony, named so that this plan uses it instead of generating one (issue #17:
 * a new repository joins an existing key set deliberately). Without this, a label already on the token is
 * refused at generation (KEY_LABEL_EXISTS: labels are never reused), so no key is ever reused by accident.
 */
export interface ExistingKey {
  /** The key's CKA_ID on the token, lower-case hex. */
  ckaId: string;
  /** hex SHA-256 of the key's DER SubjectPublicKeyInfo, as `tokens keys` and the inventory show it. */
  fingerprint: string;
}
export type TokenKeySource = { kind: 'token'; custodian: string; keyAlgorithm: KeyAlgorithm; keyLabel: string; existing?: ExistingKey };
export type SoftwareKeySource = { kind: 'software'; keyAlgorithm: KeyAlgorithm };
export type KeySource = TokenKeySource | SoftwareKeySource;
export type ServerKeySource = { kind: 'server'; keyFile: string; sha256: string };
/** A publisher's own targets key (public key file), listed beside the ceremony's targets key. */
export type PublisherKeySource = { kind: 'publisher'; name: string; keyFile: string; sha256: string };
export const MAX_PUBLISHERS = 8;

export interface PlanTokenPin {
  serial?: string;
  label?: string;
}

/** Could two pins name the same token? Same serial and no label to tell them apart, or the same label with no serial to. */
function mayBeSameToken(a: PlanTokenPin, b: PlanTokenPin): boolean {
  const bothSerials = a.serial !== undefined && b.serial !== undefined;
  const bothLabels = a.label !== undefined && b.label !== undefined;
  if (bothSerials && bothLabels) return a.serial === b.serial && a.label === b.label;
  if (bothSerials) return a.serial === b.serial;
  if (bothLabels) return a.label === b.label;
  return false;
}

function pinText(t: PlanTokenPin): string {
  return [t.label !== undefined ? `label "${t.label}"` : '', t.serial !== undefined ? `serial ${t.serial}` : ''].filter(Boolean).join(', ');
}

export interface PlanCustodian {
  name: string;
  /** The expected token, or null: chosen on the day by the site bindings. */
  token: PlanTokenPin | null;
  keyAlgorithm: KeyAlgorithm;
  keyLabel: string;
  /** The root key is one made at an earlier ceremony (plan field `existingKey`). */
  existing?: ExistingKey;
}

export interface PlanExpiry {
  /** As written in the plan (and in the metadata): `YYYY-MM-DDTHH:MM:SSZ`. */
  text: string;
  date: Date;
}

export interface HeldRole {
  key: KeySource;
  expires: PlanExpiry;
}

/** The targets role: the ceremony's key (signs targets.json v1) and, optionally, publishers' keys. */
export interface TargetsRole extends HeldRole {
  publishers: PublisherKeySource[];
}

export interface ServerRole {
  key: ServerKeySource;
}

export interface CeremonyPlan {
  format: typeof PLAN_FORMAT;
  version: typeof PLAN_VERSION;
  kind: 'root';
  profile: ProfileName;
  repository: string;
  custodians: PlanCustodian[];
  root: { threshold: number; expires: PlanExpiry };
  targets: TargetsRole;
  snapshot: HeldRole | ServerRole;
  timestamp: HeldRole | ServerRole;
  shamir?: { threshold: number; shares: number; keyAlgorithm: 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384' };
  consistentSnapshot: boolean;
  /**
   * A real ceremony (not a rehearsal) may run on software tokens (SoftHSM2, swtpm, NSS softokn, the
   * opencryptoki soft token), whose keys are files on the ceremony computer: only when the plan says so,
   * reviewed. Absent: false.
   */
  allowSoftwareTokens?: boolean;
  /**
   * What the root keys' attestations must show (src/attestation): `required` — every custodian's root key
   * comes with a valid YubiKey attestation (the ceremony refuses a key without one; verify and import
   * given this plan refuse ATTESTATION_MISSING); `pinPolicy` / `touchPolicy` — the policies an attested
   * key may have (ATTESTATION_POLICY_FORBIDDEN otherwise). Absent: attestations are recorded when a token
   * gives them, and nothing is required.
   */
  attestation?: AttestationRequirement;
}

export interface ParsePlanOptions {
  /** Name shown in messages (`plan.json`). */
  source?: string;
  /**
   * Parse for a rehearsal: software key sources are allowed. A real `run` refuses them (PLAN_INVALID at the
   * key source's path).
   */
  rehearsal?: boolean;
}

const ALGORITHMS: readonly KeyAlgorithm[] = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-pss-sha256'];
const NOTARY_ECDSA: readonly KeyAlgorithm[] = ['ecdsa-p256', 'ecdsa-p384'];
const SOFTWARE_ALGORITHMS: readonly KeyAlgorithm[] = ['ed25519', 'ecdsa-p256', 'ecdsa-p384'];

const r: StrictReader = new StrictReader('PLAN_INVALID');

const PIN_POLICIES: readonly PinPolicy[] = ['default', 'never', 'once', 'always', 'match-once', 'match-always'];
const TOUCH_POLICIES: readonly TouchPolicy[] = ['default', 'never', 'always', 'cached'];

/** A list of allowed policies: non-empty, each known, none twice. */
function policyList<T extends string>(value: JsonValue | undefined, path: string, allowed: readonly T[]): T[] {
  const list = r.array(value, path, 1, allowed.length);
  const out: T[] = [];
  list.forEach((v, i) => {
    const p = r.oneOf(v, child(path, i), allowed);
    if (out.includes(p)) r.fail(child(path, i), `${JSON.stringify(p)} is listed twice`);
    out.push(p);
  });
  return out;
}

/**
 * `attestation`: `{ "required": true, "pinPolicy": ["once", "always"], "touchPolicy": ["always", "cached"] }`.
 * A Shamir key is made in memory and no device can attest it, so a plan that requires attestation of
 * every root key cannot also list one (refused here, at review, not at the ceremony).
 */
function attestationRequirement(value: JsonValue | undefined, hasShamir: boolean): AttestationRequirement {
  const o = r.object(value, '$.attestation', ['required'], ['pinPolicy', 'touchPolicy']);
  const out: AttestationRequirement = { required: r.boolean(o.required, '$.attestation.required') };
  if (out.required && hasShamir) {
    r.fail('$.attestation.required', 'every root key must be attested, but the Shamir backup key ("shamir") is generated in memory and nothing can attest it: drop one of the two');
  }
  if (o.pinPolicy !== undefined) out.pinPolicy = policyList(o.pinPolicy, '$.attestation.pinPolicy', PIN_POLICIES);
  if (o.touchPolicy !== undefined) out.touchPolicy = policyList(o.touchPolicy, '$.attestation.touchPolicy', TOUCH_POLICIES);
  return out;
}

/**
 * Which key types a profile's role may use. TUF refuses P-384: tuf-js (@tufjs/models utils/verify)
 * verifies every signature with `crypto.verify(undefined, …)`, i.e. over SHA-256 whatever the curve, while
 * the TUF spec and securesystemslib sign `ecdsa-sha2-nistp384` over SHA-384 — so a P-384 key signed the
 * spec's way is refused by tuf-js, and signed tuf-js's way by every other client (FIELD-NOTES, TEAM-NOTES).
 */
function keyAlgorithm(value: JsonValue | undefined, path: string, profile: ProfileName, what: 'root' | 'targets' | 'snapshot' | 'timestamp' | 'shamir'): KeyAlgorithm {
  const alg = r.oneOf(value, path, ALGORITHMS);
  if (profile === 'tuf' && alg === 'ecdsa-p384') {
    r.fail(
      path,
      'ecdsa-p384 is refused in TUF plans: tuf-js verifies ecdsa-sha2-nistp384 signatures over SHA-256, while the TUF spec and securesystemslib sign them over SHA-384, so no P-384 signature satisfies both; use ecdsa-p256 or ed25519',
    );
  }
  if (profile === 'notary' && what !== 'timestamp' && !NOTARY_ECDSA.includes(alg)) {
    const why = what === 'root' || what === 'shamir' ? 'Notary root keys are ecdsa-x509 certificates' : `Notary ${what} keys are ecdsa`;
    r.fail(path, `${why}: expected "ecdsa-p256" or "ecdsa-p384", found ${JSON.stringify(alg)}`);
  }
  if (what === 'shamir' && !SOFTWARE_ALGORITHMS.includes(alg)) r.fail(path, 'a key split into share cards is ed25519, ecdsa-p256 or ecdsa-p384');
  return alg;
}

/** PKCS#11 labels: printable, at most 64 characters (token.ts refuses others at generation). */
function keyLabel(value: JsonValue | undefined, path: string): string {
  return r.text(value, path, 64);
}

function expiry(value: JsonValue | undefined, path: string): PlanExpiry {
  if (typeof value !== 'string') r.fail(path, 'expected an expiry date as a string such as "2036-05-01T00:00:00Z"');
  let date: Date;
  try {
    date = parseExpires('tuf', value, path);
  } catch (err) {
    r.fail(path, err instanceof CeremonyError ? messageWithoutPath(err) : 'not a date');
  }
  return { text: value, date };
}

function tokenPin(value: JsonValue | undefined, path: string): PlanTokenPin | null {
  if (value === null) return null;
  const o = r.object(value, path, [], ['serial', 'label']);
  if (o.serial === undefined && o.label === undefined) r.fail(path, 'name the expected token by "serial" (preferred) and/or "label", or write null to choose it on the day');
  const out: PlanTokenPin = {};
  // PKCS#11 serialNumber is 16 characters, label 32 bytes (space padded; trimmed when read).
  if (o.serial !== undefined) out.serial = r.text(o.serial, child(path, 'serial'), 16);
  if (o.label !== undefined) {
    out.label = r.text(o.label, child(path, 'label'), 32);
    if (Buffer.byteLength(out.label, 'utf8') > 32) r.fail(child(path, 'label'), 'a token label is at most 32 bytes of UTF-8');
  }
  return out;
}

function keySource(value: JsonValue | undefined, path: string, profile: ProfileName, role: 'targets' | 'snapshot' | 'timestamp', custodians: readonly PlanCustodian[], opts: ParsePlanOptions): KeySource {
  const o = r.object(value, path, [], ['custodian', 'keyAlgorithm', 'keyLabel', 'software', 'existingKey']);
  if (o.software !== undefined) {
    r.object(value, path, ['software', 'keyAlgorithm']);
    r.literal(o.software, child(path, 'software'), 'rehearsal', 'software keys exist only in rehearsals');
    if (!opts.rehearsal) {
      r.fail(child(path, 'software'), 'a software key is for rehearsals only: a real ceremony would have nowhere safe to keep its private key; generate it on a custodian\'s token ({"custodian", "keyAlgorithm", "keyLabel"})');
    }
    const alg = keyAlgorithm(o.keyAlgorithm, child(path, 'keyAlgorithm'), profile, role);
    if (!SOFTWARE_ALGORITHMS.includes(alg)) r.fail(child(path, 'keyAlgorithm'), 'software keys are ed25519, ecdsa-p256 or ecdsa-p384');
    return { kind: 'software', keyAlgorithm: alg };
  }
  r.object(value, path, ['custodian', 'keyAlgorithm', 'keyLabel'], ['existingKey']);
  const name = r.text(o.custodian, child(path, 'custodian'), 100);
  if (!custodians.some((c) => c.name === name)) {
    r.fail(child(path, 'custodian'), `no custodian is named ${JSON.stringify(name)} (custodians: ${custodians.map((c) => c.name).join(', ')})`);
  }
  const out: TokenKeySource = { kind: 'token', custodian: name, keyAlgorithm: keyAlgorithm(o.keyAlgorithm, child(path, 'keyAlgorithm'), profile, role), keyLabel: keyLabel(o.keyLabel, child(path, 'keyLabel')) };
  if (o.existingKey !== undefined) out.existing = existingKey(o.existingKey, child(path, 'existingKey'));
  return out;
}

/** `existingKey`: `{"ckaId": hex, "fingerprint": hex SHA-256 of the SPKI}` of a key made at an earlier ceremony. */
function existingKey(value: JsonValue | undefined, path: string): ExistingKey {
  const o = r.object(value, path, ['ckaId', 'fingerprint']);
  if (typeof o.ckaId !== 'string' || !/^(?:[0-9a-f]{2}){1,64}$/.test(o.ckaId)) r.fail(child(path, 'ckaId'), 'expected the key\'s CKA_ID as 1 to 64 bytes of lower-case hex (as `tuf-ceremony keys` shows it)');
  return { ckaId: o.ckaId, fingerprint: r.sha256(o.fingerprint, child(path, 'fingerprint')) };
}

/**
 * The earlier keys (`existingKey`) a plan names, so that two distinct planned keys never name the same one
 * (review L5). One key holds one role (multi-plan.ts) and is one custodian's: the same fingerprint under
 * two planned keys — whichever custodians — or the same CKA_ID on one custodian's token is one key planned
 * twice. Left to the ceremony room, generate-keys' duplicate check (KEY_DUPLICATE_IN_ROLE) would stop it
 * only after the plan was reviewed and signed off; refused here, at review. A key shared on purpose — a
 * multi-repository plan's (custodian, keyLabel) named by many repositories — is one planned key, claimed
 * once (multi-plan.ts claims each shared key the first time it is named). CKA_IDs repeat across tokens
 * (a YubiKey's PIV slot 9a is CKA_ID 01 on every YubiKey), so they are compared per custodian only.
 */
export class EarlierKeys {
  private readonly byFingerprint = new Map<string, { key: TokenKeyName; path: string }>();
  private readonly byCkaId = new Map<string, { key: TokenKeyName; path: string }>();

  /** Record `key`'s earlier key, named at `path` (its `existingKey`); PLAN_INVALID if another planned key names it. */
  claim(key: TokenKeyName & { existing: ExistingKey }, path: string): void {
    const { fingerprint, ckaId } = key.existing;
    const sameKey = this.byFingerprint.get(fingerprint);
    if (sameKey) {
      const whose = sameKey.key.custodian === key.custodian ? '' : `, and one key is one custodian's (here ${key.custodian}'s and ${sameKey.key.custodian}'s)`;
      r.fail(
        child(path, 'fingerprint'),
        `${keyTitle(key)} names the earlier key with fingerprint ${fingerprint.slice(0, 16)}…, which ${keyTitle(sameKey.key)} names already (at ${sameKey.path}): one key holds one role${whose}`,
      );
    }
    const idKey = `${key.custodian}\u0000${ckaId}`;
    const sameId = this.byCkaId.get(idKey);
    if (sameId) {
      r.fail(
        child(path, 'ckaId'),
        `${keyTitle(key)} names the key with CKA_ID ${ckaId} on ${key.custodian}'s token, which ${keyTitle(sameId.key)} names already (at ${sameId.path}) with another fingerprint: one CKA_ID on a token is one key`,
      );
    }
    this.byFingerprint.set(fingerprint, { key, path });
    this.byCkaId.set(idKey, { key, path });
  }
}

/** A token key as the plan names it: the custodian whose token holds it, and its label. */
export interface TokenKeyName {
  custodian: string;
  keyLabel: string;
}

function keyTitle(k: TokenKeyName): string {
  return `${k.custodian}'s key ${JSON.stringify(k.keyLabel)}`;
}

/** An input file's name: relative to the plan's folder, inside it (no absolute paths, no "..", no backslashes). */
function inputFile(value: JsonValue | undefined, path: string): string {
  const file = r.text(value, path, 255);
  if (file.startsWith('/') || /^[A-Za-z]:/.test(file) || file.includes('\\') || file.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    r.fail(path, 'expected a file name relative to the plan\'s folder (no "/" at the start, no "." or ".." segments, no backslashes)');
  }
  return file;
}

function serverKey(o: JsonObject, path: string): ServerKeySource {
  r.object(o, path, ['keyFile', 'sha256']);
  return { kind: 'server', keyFile: inputFile(o.keyFile, child(path, 'keyFile')), sha256: r.sha256(o.sha256, child(path, 'sha256')) };
}

/**
 * `targets.publishers`: the public keys of the people who will publish with the stock `notary` client
 * (`notary key generate ecdsa --role targets -o NAME` writes NAME.pem, the public half). Root v1 lists them
 * in the targets role beside the ceremony's key, threshold 1, so each can sign targets.json on their own —
 * add delegations with `notary delegation add`, publish — while the ceremony's key signs v1 and stays an
 * offline way back in. The threshold stays 1 because the notary client signs only with keys it holds.
 */
function publishers(value: JsonValue | undefined, path: string): PublisherKeySource[] {
  if (value === undefined) return [];
  const list = r.array(value, path, 1, MAX_PUBLISHERS);
  const names = new Set<string>();
  const files = new Set<string>();
  return list.map((v, i) => {
    const p = child(path, i);
    const o = r.object(v, p, ['name', 'keyFile', 'sha256']);
    const name = r.text(o.name, child(p, 'name'), 100);
    // As a reader compares them (rotation/names.ts nameKey): "José" in NFC and in NFD, or "ＣＩ" and "CI", are one name.
    if (names.has(nameKey(name))) r.fail(child(p, 'name'), `two publishers are named ${JSON.stringify(name)}`);
    names.add(nameKey(name));
    const keyFile = inputFile(o.keyFile, child(p, 'keyFile'));
    if (files.has(keyFile)) r.fail(child(p, 'keyFile'), `${keyFile} is named twice: each publisher brings their own key`);
    files.add(keyFile);
    return { kind: 'publisher' as const, name, keyFile, sha256: r.sha256(o.sha256, child(p, 'sha256')) };
  });
}

function role(value: JsonValue | undefined, path: string, profile: ProfileName, name: 'targets' | 'snapshot' | 'timestamp', custodians: readonly PlanCustodian[], opts: ParsePlanOptions): HeldRole | ServerRole {
  const o = r.object(value, path, [], ['key', 'expires', 'keyFile', 'sha256', 'publishers']);
  const server = o.keyFile !== undefined || o.sha256 !== undefined;
  // Notary: notary-server's keys. TUF: an online service's (RSTUF, tuf-on-ci, …), src/ceremony/online-key.ts.
  const serverAllowed = name === 'timestamp' || name === 'snapshot';
  if (server) {
    if (!serverAllowed) {
      r.fail(path, profile === 'tuf' ? 'the TUF targets key is an offline role\'s: expected {"key", "expires"}' : 'the Notary targets key is the publisher\'s: expected {"key", "expires"}');
    }
    return { key: serverKey(o, path) };
  }
  if (profile === 'notary' && name === 'timestamp') {
    r.fail(path, 'notary-server signs timestamps with its own key: expected {"keyFile": "timestamp.key", "sha256": …} naming the key it serves at /v2/<GUN>/_trust/tuf/timestamp.key');
  }
  if (name === 'targets') {
    const t = r.object(value, path, ['key', 'expires'], ['publishers']);
    const held: TargetsRole = {
      key: keySource(t.key, child(path, 'key'), profile, name, custodians, opts),
      expires: expiry(t.expires, child(path, 'expires')),
      publishers: publishers(t.publishers, child(path, 'publishers')),
    };
    return held;
  }
  r.object(value, path, ['key', 'expires']);
  return { key: keySource(o.key, child(path, 'key'), profile, name, custodians, opts), expires: expiry(o.expires, child(path, 'expires')) };
}

/** Repository names: printable ASCII without spaces (a GUN such as registry.example.com/org/app). */
function repository(value: JsonValue | undefined, path: string): string {
  const s = r.text(value, path, 255);
  if (!/^[\x21-\x7e]+$/.test(s)) r.fail(path, 'expected printable ASCII without spaces, such as registry.example.com/org/app');
  // As multi-plan.ts entryName, the trust store (install.ts checkGun) and notary-server (publish/notary-server.ts)
  // read them: a "." segment too, or a plan would pass review and make a repository nothing can install or publish.
  if (s.startsWith('/') || s.endsWith('/') || s.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) {
    r.fail(path, 'expected a name such as registry.example.com/org/app (no empty, "." or ".." segments)');
  }
  return s;
}

/**
 * Parse and validate a plan's bytes. Throws PLAN_INVALID with the JSON path of the first problem (or the
 * parser's INPUT_TOO_LARGE / JSON_MALFORMED / JSON_DUPLICATE_KEY / JSON_NUMBER_INVALID).
 */
export function parsePlan(bytes: Uint8Array, opts: ParsePlanOptions = {}): CeremonyPlan {
  const root = parseJsonStrict(bytes, { maxBytes: PLAN_MAX_BYTES, path: '$', maxDepth: 16 });
  return readPlan(root, opts);
}

export function readPlan(value: JsonValue, opts: ParsePlanOptions = {}): CeremonyPlan {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && value.repositories !== undefined && value.repository === undefined) {
    r.fail('$.repositories', 'this is a multi-repository plan (issue #17), which this command does not take: give it to `run` or `rehearse`');
  }
  const o = r.object(value, '$', ['format', 'version', 'kind', 'profile', 'repository', 'custodians', 'root', 'targets', 'snapshot', 'timestamp'], ['shamir', 'consistentSnapshot', 'allowSoftwareTokens', 'attestation']);
  r.literal(o.format, '$.format', PLAN_FORMAT, 'a tuf-ceremony plan');
  if (o.version !== PLAN_VERSION) r.fail('$.version', `plan format version ${JSON.stringify(o.version)} is not one this tool reads (${PLAN_VERSION})`);
  r.oneOf(o.kind, '$.kind', ['root'] as const);
  const profile = r.oneOf(o.profile, '$.profile', ['notary', 'tuf'] as const);
  const repo = repository(o.repository, '$.repository');
  const gunProblem = profile === 'notary' ? gunFolderProblem(repo) : undefined;
  if (gunProblem !== undefined) {
    // Else the ceremony would run and make a repository that import (install.ts checkGun) refuses.
    r.fail('$.repository', `a Notary repository name (GUN) is "/"-separated segments of letters, digits and . _ : - (such as registry.example.com/org/app), as a trust folder holds it: ${gunProblem}`);
  }

  const list = r.array(o.custodians, '$.custodians', 1, MAX_CUSTODIANS);
  const custodians: PlanCustodian[] = [];
  const names = new Set<string>();
  const pins: { token: PlanTokenPin; i: number }[] = [];
  list.forEach((v, i) => {
    const path = child('$.custodians', i);
    const c = r.object(v, path, ['name', 'token', 'keyAlgorithm', 'keyLabel'], ['existingKey']);
    const name = r.text(c.name, child(path, 'name'), 100);
    // Compared as a reader compares them (rotation/names.ts nameKey: NFKC, case, spaces): two custodians who
    // read the same ("José" in NFC and in NFD) would leave a key source's `custodian` naming either one.
    if (names.has(nameKey(name))) r.fail(child(path, 'name'), `two custodians are named ${JSON.stringify(name)}`);
    names.add(nameKey(name));
    const token = tokenPin(c.token, child(path, 'token'));
    if (token) {
      // A token is the pair (serial, label): tpm2-pkcs11 and NSS give every token the same serial
      // (FIELD-NOTES), so two custodians may share a serial when their labels tell the tokens apart.
      for (const other of pins) {
        if (mayBeSameToken(other.token, token)) {
          const field = token.serial !== undefined && other.token.serial === token.serial ? 'serial' : 'label';
          r.fail(
            child(child(path, 'token'), field),
            `custodians ${other.i + 1} and ${i + 1} may expect the same token (${pinText(token)}); each custodian has their own — where serials repeat (tpm2-pkcs11, NSS), give each token its own "label"`,
          );
        }
      }
      pins.push({ token, i });
    }
    const custodian: PlanCustodian = { name, token, keyAlgorithm: keyAlgorithm(c.keyAlgorithm, child(path, 'keyAlgorithm'), profile, 'root'), keyLabel: keyLabel(c.keyLabel, child(path, 'keyLabel')) };
    if (c.existingKey !== undefined) custodian.existing = existingKey(c.existingKey, child(path, 'existingKey'));
    custodians.push(custodian);
  });

  const ro = r.object(o.root, '$.root', ['threshold', 'expires']);
  // TUF 5.3.4 / Notary: the threshold is met by the custodians' token keys at this ceremony.
  const threshold = r.integer(ro.threshold, '$.root.threshold', 1, custodians.length);

  const targets = role(o.targets, '$.targets', profile, 'targets', custodians, opts) as TargetsRole;
  const snapshot = role(o.snapshot, '$.snapshot', profile, 'snapshot', custodians, opts);
  const timestamp = role(o.timestamp, '$.timestamp', profile, 'timestamp', custodians, opts);
  // TUF 4.6: the timestamp signs over the snapshot, so a service that signs snapshots signs timestamps too.
  if (profile === 'tuf' && snapshot.key.kind === 'server' && timestamp.key.kind !== 'server') {
    r.fail('$.snapshot', 'an online snapshot needs an online timestamp (the timestamp names each new snapshot): give the service\'s timestamp key too, {"keyFile", "sha256"}');
  }

  // Labels are never reused on one token (token.ts refuses it at generation; refuse it here, at review).
  const labels = new Map<string, string>();
  const useLabel = (custodian: string, label: string, path: string): void => {
    const key = `${custodian}\u0000${label}`;
    const seen = labels.get(key);
    if (seen) r.fail(path, `${custodian}'s token would hold two keys labelled ${JSON.stringify(label)} (also at ${seen}); labels are never reused`);
    labels.set(key, path);
  };
  custodians.forEach((c, i) => useLabel(c.name, c.keyLabel, child(child('$.custodians', i), 'keyLabel')));
  // An earlier key is named by its token too: (serial, label) of the token it is on, reviewed with the plan.
  const existingOn = (custodian: string, path: string): void => {
    const i = custodians.findIndex((c) => c.name === custodian);
    const pin = custodians[i]!.token;
    if (!pin || pin.serial === undefined || pin.label === undefined) {
      r.fail(path, `${custodian}'s key made at an earlier ceremony is named by its token too: give ${custodian}'s "token" as {"serial", "label"} (at ${child(child('$.custodians', i), 'token')})`);
    }
  };
  const earlier = new EarlierKeys();
  custodians.forEach((c, i) => {
    if (!c.existing) return;
    const path = child(child('$.custodians', i), 'existingKey');
    existingOn(c.name, path);
    earlier.claim({ custodian: c.name, keyLabel: c.keyLabel, existing: c.existing }, path);
  });
  for (const [name, rl] of [
    ['targets', targets],
    ['snapshot', snapshot],
    ['timestamp', timestamp],
  ] as const) {
    if (rl.key.kind === 'token') {
      useLabel(rl.key.custodian, rl.key.keyLabel, `$.${name}.key.keyLabel`);
      if (rl.key.existing) {
        existingOn(rl.key.custodian, `$.${name}.key.existingKey`);
        earlier.claim({ custodian: rl.key.custodian, keyLabel: rl.key.keyLabel, existing: rl.key.existing }, `$.${name}.key.existingKey`);
      }
    }
  }

  const plan: CeremonyPlan = {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    kind: 'root',
    profile,
    repository: repo,
    custodians,
    root: { threshold, expires: expiry(ro.expires, '$.root.expires') },
    targets,
    snapshot,
    timestamp,
    consistentSnapshot: false,
  };

  if (o.shamir !== undefined) {
    const s = r.object(o.shamir, '$.shamir', ['threshold', 'shares', 'keyAlgorithm']);
    const m = r.integer(s.threshold, '$.shamir.threshold', 2, 255);
    const n = r.integer(s.shares, '$.shamir.shares', 2, 255);
    if (n < m) r.fail('$.shamir.shares', `${n} share cards cannot meet a threshold of ${m} cards`);
    plan.shamir = { threshold: m, shares: n, keyAlgorithm: keyAlgorithm(s.keyAlgorithm, '$.shamir.keyAlgorithm', profile, 'shamir') as 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384' };
  }
  if (o.allowSoftwareTokens !== undefined) {
    // Reviewed like every other field: a real ceremony on tokens that keep their keys in files.
    plan.allowSoftwareTokens = r.boolean(o.allowSoftwareTokens, '$.allowSoftwareTokens');
  }
  if (o.attestation !== undefined) plan.attestation = attestationRequirement(o.attestation, plan.shamir !== undefined);
  if (o.consistentSnapshot !== undefined) {
    const cs = r.boolean(o.consistentSnapshot, '$.consistentSnapshot');
    if (cs && profile === 'notary') r.fail('$.consistentSnapshot', 'Notary repositories do not use consistent snapshots (notary always writes false)');
    plan.consistentSnapshot = cs;
  }
  checkPublishersCanPublish(plan); // issue #14: publishers' keys need a server-held snapshot key
  return plan;
}

const DAY = 24 * 3600 * 1000;

/**
 * Checks that need the clock, made when the ceremony starts: every expiry is in the future, and (Notary)
 * the root lives at least 6 months — a root expiring sooner makes every `notary publish` try to re-sign
 * it, which a targets-only publisher cannot (FIELD-NOTES).
 */
export function checkPlanDates(plan: CeremonyPlan, now: Date): void {
  const check = (e: PlanExpiry, path: string, minDays: number, why: string): void => {
    if (e.date.getTime() <= now.getTime()) throw new CeremonyError('PLAN_INVALID', `${e.text} is already past (the clock says ${now.toISOString()})`, { path });
    if (e.date.getTime() < now.getTime() + minDays * DAY) throw new CeremonyError('PLAN_INVALID', `${e.text} is less than ${minDays} days away: ${why}`, { path });
  };
  check(plan.root.expires, '$.root.expires', plan.profile === 'notary' ? 183 : 1, 'a Notary root expiring within 6 months makes every publish try to re-sign it');
  check(plan.targets.expires, '$.targets.expires', 1, 'the metadata would expire before it is used');
  for (const name of ['snapshot', 'timestamp'] as const) {
    const rl = plan[name];
    if ('expires' in rl) check(rl.expires, `$.${name}.expires`, 1, 'the metadata would expire before it is used');
  }
}

/** Every key the plan makes, in the order the ceremony makes them, with a stable name for the state file. */
export interface PlannedKey {
  /** `root/<custodian>`, `root/shamir`, `targets`, `snapshot`, `timestamp`. */
  name: string;
  role: 'root' | 'targets' | 'snapshot' | 'timestamp';
  source: KeySource | { kind: 'shamir'; keyAlgorithm: KeyAlgorithm } | ServerKeySource | PublisherKeySource;
  /** JSON path in the plan, for messages. */
  path: string;
}

/**
 * What a plan reviewer must be told of its split key (review L3): with root threshold 1 the split key
 * alone meets the root threshold, so whoever gathers M share cards — custodians or not — can rebuild it
 * and sign a new root, for every repository of a multi-repository plan, with no token. A plan author may
 * choose that (it is accepted), but it is said plainly wherever the plan is reviewed: the run's review
 * lines and `plan.review` entry, the app's plan view, README.
 */
export function splitKeyNotice(plan: { root: { threshold: number }; shamir?: { threshold: number; shares: number } | undefined }, repositories = 1): string | undefined {
  if (!plan.shamir || plan.root.threshold !== 1) return undefined;
  return `with root threshold 1, the holders of M share cards can sign a new root for every repository without any token: here any ${plan.shamir.threshold} of the ${plan.shamir.shares} cards, whoever holds them${repositories > 1 ? `, for all ${repositories} repositories` : ''}`;
}

export function plannedKeys(plan: CeremonyPlan): PlannedKey[] {
  const out: PlannedKey[] = plan.custodians.map((c, i) => ({
    name: `root/${c.name}`,
    role: 'root' as const,
    source: { kind: 'token' as const, custodian: c.name, keyAlgorithm: c.keyAlgorithm, keyLabel: c.keyLabel, ...(c.existing ? { existing: c.existing } : {}) },
    path: child('$.custodians', i),
  }));
  if (plan.shamir) out.push({ name: 'root/shamir', role: 'root', source: { kind: 'shamir', keyAlgorithm: plan.shamir.keyAlgorithm }, path: '$.shamir' });
  for (const name of ['targets', 'snapshot', 'timestamp'] as const) {
    out.push({ name, role: name, source: plan[name].key, path: `$.${name}.key` });
    if (name === 'targets') {
      plan.targets.publishers.forEach((p, i) => out.push({ name: `targets/publisher/${p.name}`, role: 'targets', source: p, path: child('$.targets.publishers', i) }));
    }
  }
  return out;
}

/** True when the ceremony holds the role's key and writes its metadata (else the server does). */
export function holdsRole(plan: CeremonyPlan, role: 'snapshot' | 'timestamp'): boolean {
  return plan[role].key.kind !== 'server';
}
