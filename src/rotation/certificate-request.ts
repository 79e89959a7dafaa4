/**
 * Renewing Notary root certificates through request → co-sign → merge (issue #14), with no key change.
 *
 * Why two rounds. A Notary root key is listed as its X.509 certificate (`ecdsa-x509`) and its key ID is
 * the SHA-256 of that certificate; root.json lists every root certificate. So every fresh certificate must
 * exist before anyone can sign root N+1: a co-signer working alone cannot issue their certificate and sign
 * the final root in one pass. The flow is therefore:
 *
 * 1. `rotate` of a plan with `root.renewCertificates` writes a *certificate request* (this file): the
 *    previous root, root N+1's expiry, the exact validity every new certificate must have, and whose key's
 *    certificate is renewed. No root.json is signed in this round.
 * 2. Each custodian's `sign` of it: their token issues a fresh self-signed certificate for the SAME key
 *    (makeNotaryRootCertificate: CN = the GUN, the request's validity; its signature verified in software
 *    right away), checked here as merge will check it, and written as a *certificate response*.
 * 3. `merge` of the certificate responses: every certificate is checked again (issued by the custodian's
 *    current key — CERTIFICATE_KEY_MISMATCH otherwise; the request's validity — CERTIFICATE_VALIDITY_MISMATCH;
 *    its self-signature — CERTIFICATE_SIGNATURE_INVALID; a leaf for this GUN — CERTIFICATE_INVALID), then
 *    root N+1 is built (each renewed key replaced by its new certificate: same key, new key ID) and the
 *    ordinary root *signing request* is written. That request binds this one (`renewal`: this request's ID
 *    and each certificate's key ID and SHA-256, hashed into its own request ID), so its review says
 *    "Alice's certificate renewed to …; same key" and names the certificate request it follows.
 * 4. Each custodian signs that request (`sign`; the key signs under its old and new key IDs, since notary's
 *    root rotation rules — TUF 5.3.4 — need a threshold of the previous root's keys, here the old
 *    certificate IDs, and of the new root's, the new IDs), and `merge` writes root N+1.
 *
 * Certificate request (sorted keys, 2-space indentation):
 *
 * ```
 * { "format": "tuf-ceremony-certificate-request", "version": 1, "profile": "notary",
 *   "repository": "<GUN>", "previousRoot": "<base64 of root.json N>", "expires": "<root N+1's expiry>",
 *   "validity": { "notBefore": "<RFC 3339>", "notAfter": "<RFC 3339>" },
 *   "certificates": [ { "keyid": "<current root key ID>", "name": "Alice" } ],
 *   "requestId": "<hex SHA-256 of a domain tag ‖ canonical JSON of every other field>" }
 * ```
 *
 * Certificate response:
 *
 * ```
 * { "format": "tuf-ceremony-certificate-response", "version": 1, "requestId": "<hex>",
 *   "keyid": "<the current root key ID renewed>", "certificate": "<PEM>",
 *   "signer": { "name": "…", "token"?: { "serial", "label"? } }, "witnesses"?: [ "…" ] }
 * ```
 */
import { createHash, X509Certificate } from 'node:crypto';
import { CeremonyError } from '../errors.js';
import { shortDigest, type ShortDigest } from '../crypto/digest-words.js';
import { decodeSpki, pemOf } from '../crypto/public-key.js';
import { canonicalString } from '../json/canonical.js';
import { asArray, asNonEmptyString, asObject, asString, checkShownText, child, quoteShown, refuseUnknownFields } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import { parseCertificatePem } from '../profiles/x509.js';
import { checkCertificateTime, makeNotaryRootCertificate } from '../signers/certificate.js';
import type { SigningKey } from '../signers/signing-key.js';
import { formatExpires, parseExpires } from '../tuf/dates.js';
import type { Metadata } from '../tuf/metadata.js';
import type { ListedKey } from '../tuf/keys.js';
import type { Root } from '../tuf/root.js';
import { checkNotaryRootCertificates } from '../tuf/notary-root.js';
import { checkKeyName } from './names.js';
import { buildRotationPayload, parsePreviousRoot } from './payload.js';
import { buildSigningRequest, checkWitnessNames, type SigningRequest } from './request.js';
export type { RenewalLink } from './request.js';

import { CERTIFICATE_REQUEST_FORMAT, CERTIFICATE_REQUEST_MAX_BYTES, CERTIFICATE_RESPONSE_FORMAT } from './format.js';

export { CERTIFICATE_REQUEST_FORMAT, CERTIFICATE_REQUEST_MAX_BYTES, CERTIFICATE_RESPONSE_FORMAT, certificateDocumentFormatOf } from './format.js';
export const CERTIFICATE_RESPONSE_MAX_BYTES = 64 * 1024;
const REQUEST_ID_TAG = 'tuf-ceremony certificate request v1\n';
const HEX64 = /^[0-9a-f]{64}$/;
const MAX_CERTIFICATES = 16;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface CertificateRenewalEntry {
  /** The current root key ID (its current certificate's ID). */
  keyid: string;
  /** Who holds the key (a label for people, shown in the reviews). */
  name: string;
}

export interface CertificateRequest {
  profile: 'notary';
  repository: string;
  previousRootBytes: Uint8Array;
  previous: Metadata<Root>;
  /** Root N+1's expiry, as written in it. */
  expires: string;
  validity: { notBefore: Date; notAfter: Date };
  certificates: CertificateRenewalEntry[];
  requestId: string;
}

export interface CertificateResponse {
  requestId: string;
  keyid: string;
  certificate: string;
  signer: { name: string; token?: { serial: string; label?: string } };
  witnesses?: string[];
}

const iso = (d: Date): string => formatExpires(d);
const wholeSeconds = (d: Date): Date => new Date(Math.floor(d.getTime() / 1000) * 1000);

function requestBody(r: Omit<CertificateRequest, 'requestId' | 'previous'>): JsonObject {
  return {
    format: CERTIFICATE_REQUEST_FORMAT,
    version: 1,
    profile: r.profile,
    repository: r.repository,
    previousRoot: Buffer.from(r.previousRootBytes).toString('base64'),
    expires: r.expires,
    validity: { notBefore: iso(r.validity.notBefore), notAfter: iso(r.validity.notAfter) },
    certificates: r.certificates.map((c) => ({ keyid: c.keyid, name: c.name })),
  };
}

function computeId(body: JsonObject): string {
  return createHash('sha256').update(REQUEST_ID_TAG).update(canonicalString(body, 'json')).digest('hex');
}

/** The short hash read aloud for a certificate request: its request ID (it binds every field). */
export function certificateRequestDigest(r: CertificateRequest): ShortDigest {
  return shortDigest(r.requestId);
}

/** The current root key `keyid`, which must be a root key listed as a certificate of the GUN. */
function currentRootCertificate(previous: Metadata<Root>, keyid: string, repository: string, path: string): ListedKey {
  const role = previous.signed.roles.get('root')!;
  const listed = role.keyids.includes(keyid) ? previous.signed.keys.get(keyid) : undefined;
  if (!listed) throw new CeremonyError('ROTATION_CHANGE_INVALID', `key ${keyid.slice(0, 16)}… is not a root key of version ${previous.signed.version}: no certificate of it to renew`, { path });
  const cert = listed.key.certificate;
  if (!cert) throw new CeremonyError('KEY_TYPE_UNSUPPORTED', `root key ${keyid.slice(0, 16)}… is listed as ${listed.key.keytype}, not a certificate: nothing to renew`, { path });
  if (cert.subjectCN !== repository) throw new CeremonyError('CERTIFICATE_INVALID', `the current certificate of key ${keyid.slice(0, 16)}… names "${cert.subjectCN}", not the repository "${repository}"`, { path });
  return listed;
}

/** Semantic checks shared by the builder and the parser (the parser's refusals are then about a changed file). */
function checkRequest(r: Omit<CertificateRequest, 'requestId'>): void {
  if (r.previous.profile.name !== 'notary') throw new CeremonyError('PROFILE_UNKNOWN', 'renewing root certificates is for Notary repositories (TUF root keys are not certificates)', { path: '$.previousRoot' });
  checkShownText(r.repository, '$.repository', 255);
  const expires = parseExpires('notary', r.expires, '$.expires');
  if (expires.getTime() <= r.previous.signed.expires.getTime()) {
    throw new CeremonyError('ROTATION_CHANGE_INVALID', `root version ${r.previous.signed.version + 1} must expire after version ${r.previous.signed.version} (${r.previous.signed.expiresText}), not ${r.expires}`, { path: '$.expires' });
  }
  const { notBefore, notAfter } = r.validity;
  // Only what the certificate encoder can write (1950 … 9999), refused here before a token is touched.
  checkCertificateTime(notBefore, '$.validity.notBefore');
  checkCertificateTime(notAfter, '$.validity.notAfter');
  if (notAfter.getTime() <= notBefore.getTime()) throw new CeremonyError('DATE_INVALID', 'the certificates must be valid until after they start', { path: '$.validity.notAfter' });
  // A certificate that ends before the root does makes clients refuse the root from that day.
  if (notAfter.getTime() < expires.getTime()) {
    throw new CeremonyError('ROTATION_CHANGE_INVALID', `the new certificates end ${iso(notAfter)}, before root version ${r.previous.signed.version + 1} expires (${r.expires}): from that day notary clients would refuse the root`, { path: '$.validity.notAfter' });
  }
  if (r.certificates.length === 0 || r.certificates.length > MAX_CERTIFICATES) throw new CeremonyError('SCHEMA_INVALID', `a certificate request renews 1 to ${MAX_CERTIFICATES} certificates`, { path: '$.certificates' });
  const seen = new Set<string>();
  r.certificates.forEach((c, i) => {
    const path = child('$.certificates', i);
    if (seen.has(c.keyid)) throw new CeremonyError('ROTATION_CHANGE_INVALID', `key ${c.keyid.slice(0, 16)}… is named twice`, { path });
    seen.add(c.keyid);
    checkKeyName(c.name, child(path, 'name'));
    currentRootCertificate(r.previous, c.keyid, r.repository, path);
  });
}

export interface BuildCertificateRequestInput {
  previousRootBytes: Uint8Array;
  repository: string;
  /** Root N+1's expiry. */
  expires: string;
  /** Until when the new certificates are valid (default: root N+1's expiry). */
  certificatesUntil?: Date;
  /** Whose certificate is renewed, by current root key ID, with the custodian's name. */
  certificates: CertificateRenewalEntry[];
  now: Date;
}

/** The proposer's side: the certificate request, checked as every co-signer will check it. */
export function buildCertificateRequest(input: BuildCertificateRequestInput): CertificateRequest {
  const previous = parsePreviousRoot(input.previousRootBytes);
  const until = input.certificatesUntil ?? parseExpires('notary', input.expires, '$.expires');
  // Five minutes back, as `tokens export --gun` does: a clock a little behind still accepts the certificate.
  const validity = { notBefore: wholeSeconds(new Date(input.now.getTime() - 5 * 60_000)), notAfter: wholeSeconds(until) };
  const r = { profile: 'notary' as const, repository: input.repository, previousRootBytes: input.previousRootBytes, previous, expires: input.expires, validity, certificates: input.certificates.map((c) => ({ ...c })) };
  checkRequest(r);
  return { ...r, requestId: computeId(requestBody(r)) };
}

export function serializeCertificateRequest(r: CertificateRequest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(sortKeys({ ...requestBody(r), requestId: r.requestId }), null, 2)}\n`);
}

function sortKeys(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as JsonObject)[k]!)]));
  return v;
}

function header(obj: JsonObject, format: string): void {
  if (obj.format !== format) throw new CeremonyError('SCHEMA_INVALID', `expected "${format}"`, { path: '$.format' });
  if (obj.version !== 1) throw new CeremonyError('SCHEMA_INVALID', 'only version 1 is understood', { path: '$.version' });
}

function dateField(value: JsonValue | undefined, path: string): Date {
  return parseExpires('notary', asString(value, path), path);
}

export function parseCertificateRequest(bytes: Uint8Array, source = 'certificate request'): CertificateRequest {
  const obj = asObject(parseJsonStrict(bytes, { maxBytes: CERTIFICATE_REQUEST_MAX_BYTES, path: '$' }), '$');
  refuseUnknownFields(obj, new Set(['format', 'version', 'profile', 'repository', 'previousRoot', 'expires', 'validity', 'certificates', 'requestId']), '$');
  header(obj, CERTIFICATE_REQUEST_FORMAT);
  if (obj.profile !== 'notary') throw new CeremonyError('SCHEMA_INVALID', 'a certificate request is for the notary profile', { path: '$.profile' });
  const repository = asNonEmptyString(obj.repository, '$.repository');
  const b64 = asString(obj.previousRoot, '$.previousRoot');
  if (!BASE64.test(b64)) throw new CeremonyError('SCHEMA_INVALID', 'not base64', { path: '$.previousRoot' });
  const previousRootBytes = new Uint8Array(Buffer.from(b64, 'base64'));
  const previous = parsePreviousRoot(previousRootBytes, `${source} $.previousRoot`);
  const expires = asString(obj.expires, '$.expires');
  const v = asObject(obj.validity, '$.validity');
  refuseUnknownFields(v, new Set(['notBefore', 'notAfter']), '$.validity');
  const validity = { notBefore: dateField(v.notBefore, '$.validity.notBefore'), notAfter: dateField(v.notAfter, '$.validity.notAfter') };
  const certificates = asArray(obj.certificates, '$.certificates').map((c, i) => {
    const path = child('$.certificates', i);
    const o = asObject(c, path);
    refuseUnknownFields(o, new Set(['keyid', 'name']), path);
    const keyid = asString(o.keyid, child(path, 'keyid'));
    if (!HEX64.test(keyid)) throw new CeremonyError('SCHEMA_INVALID', 'a key ID is 64 lower-case hex digits', { path: child(path, 'keyid') });
    return { keyid, name: asString(o.name, child(path, 'name')) };
  });
  const requestId = asString(obj.requestId, '$.requestId');
  if (!HEX64.test(requestId)) throw new CeremonyError('SCHEMA_INVALID', 'a request ID is 64 lower-case hex digits', { path: '$.requestId' });
  const r = { profile: 'notary' as const, repository, previousRootBytes, previous, expires, validity, certificates };
  // Every field is bound by the ID: a changed validity, name or root is a changed request.
  if (computeId(requestBody(r)) !== requestId) {
    throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `${source} does not match its request ID ${requestId.slice(0, 16)}…: it was changed after it was made; ask for it again`, { path: '$.requestId' });
  }
  checkRequest(r);
  return { ...r, requestId };
}

export function serializeCertificateResponse(r: CertificateResponse): Uint8Array {
  const obj: JsonObject = { format: CERTIFICATE_RESPONSE_FORMAT, version: 1, requestId: r.requestId, keyid: r.keyid, certificate: r.certificate, signer: r.signer.token ? { name: r.signer.name, token: { ...r.signer.token } } : { name: r.signer.name } };
  if (r.witnesses?.length) obj.witnesses = [...r.witnesses];
  return new TextEncoder().encode(`${JSON.stringify(sortKeys(obj), null, 2)}\n`);
}

export function parseCertificateResponse(bytes: Uint8Array): CertificateResponse {
  const obj = asObject(parseJsonStrict(bytes, { maxBytes: CERTIFICATE_RESPONSE_MAX_BYTES, path: '$' }), '$');
  refuseUnknownFields(obj, new Set(['format', 'version', 'requestId', 'keyid', 'certificate', 'signer', 'witnesses']), '$');
  header(obj, CERTIFICATE_RESPONSE_FORMAT);
  const requestId = asString(obj.requestId, '$.requestId');
  const keyid = asString(obj.keyid, '$.keyid');
  for (const [v, p] of [[requestId, '$.requestId'], [keyid, '$.keyid']] as const) if (!HEX64.test(v)) throw new CeremonyError('SCHEMA_INVALID', '64 lower-case hex digits expected', { path: p });
  const certificate = asNonEmptyString(obj.certificate, '$.certificate');
  const s = asObject(obj.signer, '$.signer');
  refuseUnknownFields(s, new Set(['name', 'token']), '$.signer');
  const signer: CertificateResponse['signer'] = { name: checkKeyName(asString(s.name, '$.signer.name'), '$.signer.name') };
  if (s.token !== undefined) {
    const t = asObject(s.token, '$.signer.token');
    refuseUnknownFields(t, new Set(['serial', 'label']), '$.signer.token');
    signer.token = { serial: checkShownText(asString(t.serial, '$.signer.token.serial'), '$.signer.token.serial', 64) };
    if (t.label !== undefined) signer.token.label = checkShownText(asString(t.label, '$.signer.token.label'), '$.signer.token.label', 64);
  }
  const out: CertificateResponse = { requestId, keyid, certificate, signer };
  if (obj.witnesses !== undefined) out.witnesses = checkWitnessNames(asArray(obj.witnesses, '$.witnesses').map((w, i) => asString(w, child('$.witnesses', i))), '$.witnesses');
  return out;
}

/** The renewed certificate of one key, checked: what merge (and sign, before saving) accepts. */
export interface RenewedCertificate {
  entry: CertificateRenewalEntry;
  /** The old listing (its certificate's key ID is `entry.keyid`). */
  old: ListedKey;
  /** The new `ecdsa-x509` key object and its key ID (the new certificate's). */
  json: JsonObject;
  keyid: string;
  /** hex SHA-256 of the new certificate's DER. */
  sha256: string;
  notAfter: Date;
}

/**
 * Check one certificate against the request: for a key the request renews (ROTATION_SIGNER_UNKNOWN), one
 * well-formed leaf for this GUN (CERTIFICATE_INVALID), issued for the custodian's current key
 * (CERTIFICATE_KEY_MISMATCH), with exactly the request's validity (CERTIFICATE_VALIDITY_MISMATCH), and
 * signed by that key (CERTIFICATE_SIGNATURE_INVALID: the self-signature verified in software).
 */
export function checkRenewedCertificate(request: CertificateRequest, keyid: string, pem: string, path = '$.certificate'): RenewedCertificate {
  const entry = request.certificates.find((c) => c.keyid === keyid);
  if (!entry) throw new CeremonyError('ROTATION_SIGNER_UNKNOWN', `key ${keyid.slice(0, 16)}… is not one whose certificate this request renews`, { path: '$.keyid' });
  const old = currentRootCertificate(request.previous, keyid, request.repository, '$.keyid');
  const parsed = parseCertificatePem(pem, path);
  // One certificate, written as Go writes PEM: what root.json will list, nothing more (no chain, no text).
  if (pemOf('CERTIFICATE', parsed.der) !== pem) throw new CeremonyError('CERTIFICATE_INVALID', 'the renewed certificate must be exactly one PEM certificate block', { path });
  const info = parsed.info;
  if (info.isCA) throw new CeremonyError('CERTIFICATE_INVALID', 'the renewed certificate is a CA certificate; Notary needs a leaf (CA:FALSE)', { path });
  if (/sha-?1/i.test(info.signatureHash)) throw new CeremonyError('CERTIFICATE_INVALID', 'the renewed certificate is signed with SHA-1', { path });
  if (info.subjectCN !== request.repository) throw new CeremonyError('CERTIFICATE_INVALID', `the renewed certificate names "${info.subjectCN}", not the repository "${request.repository}"`, { path });
  const fingerprint = createHash('sha256').update(parsed.spki).digest('hex');
  if (fingerprint !== old.key.fingerprint) {
    throw new CeremonyError('CERTIFICATE_KEY_MISMATCH', `the certificate for ${entry.name} is for key ${fingerprint.slice(0, 16)}…, not ${entry.name}'s current key ${old.key.fingerprint.slice(0, 16)}…: a renewal keeps the key`, { path });
  }
  if (info.notBefore.getTime() !== request.validity.notBefore.getTime() || info.notAfter.getTime() !== request.validity.notAfter.getTime()) {
    throw new CeremonyError(
      'CERTIFICATE_VALIDITY_MISMATCH',
      `the certificate for ${entry.name} is valid ${iso(info.notBefore)} to ${iso(info.notAfter)}; the request asked for ${iso(request.validity.notBefore)} to ${iso(request.validity.notAfter)}`,
      { path },
    );
  }
  const x509 = new X509Certificate(parsed.der);
  if (!x509.verify(decodeSpki(parsed.spki, path).keyObject)) {
    throw new CeremonyError('CERTIFICATE_SIGNATURE_INVALID', `the certificate for ${entry.name} is not signed by the key it certifies`, { path });
  }
  const json: JsonObject = { keytype: old.json.keytype === 'ecdsa-x509' ? 'ecdsa-x509' : String(old.json.keytype), keyval: { private: null, public: Buffer.from(pem).toString('base64') } };
  const profile = getProfile('notary');
  profile.parseKey(json, path);
  return { entry, old, json, keyid: profile.keyId(json), sha256: createHash('sha256').update(parsed.der).digest('hex'), notAfter: info.notAfter };
}

/** The co-signer's side: the token key issues the certificate the request asks for, checked before it is kept. */
export async function issueRenewedCertificate(
  request: CertificateRequest,
  key: SigningKey,
  opts: { name?: string | undefined; token?: { serial: string; label?: string } | undefined; witnesses?: readonly string[] | undefined } = {},
): Promise<{ response: CertificateResponse; renewed: RenewedCertificate }> {
  const entry = certificateEntryFor(request, key.fingerprint);
  if (!entry) throw new CeremonyError('ROTATION_SIGNER_UNKNOWN', `key "${key.label}" (fingerprint ${key.fingerprint.slice(0, 16)}…) is not a root key whose certificate this request renews`);
  const made = await makeNotaryRootCertificate(key, { gun: request.repository, notBefore: request.validity.notBefore, notAfter: request.validity.notAfter });
  const renewed = checkRenewedCertificate(request, entry.keyid, made.pem);
  const response: CertificateResponse = { requestId: request.requestId, keyid: entry.keyid, certificate: made.pem, signer: opts.token ? { name: opts.name ?? entry.name, token: opts.token } : { name: opts.name ?? entry.name } };
  const witnesses = checkWitnessNames(opts.witnesses ?? [], '$.witnesses');
  if (witnesses.length) response.witnesses = witnesses;
  return { response, renewed };
}

/** The request's entry for the key with this fingerprint (SHA-256 of its SPKI), if any. */
export function certificateEntryFor(request: CertificateRequest, fingerprint: string): CertificateRenewalEntry | undefined {
  return request.certificates.find((c) => request.previous.signed.keys.get(c.keyid)?.key.fingerprint === fingerprint);
}

/** The review of a certificate request, in words: what each token will issue and what comes next. */
export function describeCertificateRequest(request: CertificateRequest): { lines: string[]; digest: ShortDigest } {
  const prev = request.previous.signed;
  const digest = certificateRequestDigest(request);
  const lines = [
    `Certificate renewal for Notary repository "${request.repository}": root version ${prev.version} → ${prev.version + 1}, which will expire ${request.expires} (version ${prev.version} expires ${prev.expiresText}); no key changes`,
  ];
  for (const c of request.certificates) {
    const old = prev.keys.get(c.keyid)!;
    lines.push(
      `  ${c.name} (key ID ${c.keyid.slice(0, 12)}…, fingerprint ${old.key.fingerprint.slice(0, 16)}…): your token will issue a new certificate for your key, valid from ${iso(request.validity.notBefore)} until ${iso(request.validity.notAfter)}; same key (the current certificate is valid until ${iso(old.key.certificate!.notAfter)})`,
    );
  }
  const renewed = new Set(request.certificates.map((c) => c.keyid));
  for (const id of prev.roles.get('root')!.keyids) {
    if (renewed.has(id)) continue;
    const cert = prev.keys.get(id)!.key.certificate;
    lines.push(`  key ${id.slice(0, 12)}…: its certificate is NOT renewed here${cert ? ` (valid until ${iso(cert.notAfter)})` : ''}`);
  }
  lines.push(
    `Nothing is signed for root.json in this step: your token signs only your new certificate. Once the certificates are back, the administrator's merge builds root version ${prev.version + 1} and a second signing request (it names this request, ${request.requestId.slice(0, 16)}…); every custodian signs that one.`,
  );
  lines.push(`Short hash of this request (its ID): ${digest.hex.match(/.{1,4}/g)!.join(' ')}`);
  return { lines, digest };
}

export interface CertificateMergeResult {
  renewed: RenewedCertificate[];
  /** Keys the request renews whose certificate has not come back. */
  waitingFor: CertificateRenewalEntry[];
  request?: SigningRequest;
}

/**
 * The administrator's merge of certificate responses. Every response is checked (checkRenewedCertificate);
 * with every certificate back, root N+1 is built — each renewed key replaced by its new certificate, the
 * rest unchanged — and its signing request returned, linked to this request.
 */
export function mergeCertificateResponses(request: CertificateRequest, responses: readonly CertificateResponse[], now: Date = new Date()): CertificateMergeResult {
  const byKey = new Map<string, RenewedCertificate>();
  responses.forEach((r, i) => {
    if (r.requestId !== request.requestId) {
      throw new CeremonyError('ROTATION_RESPONSE_MISMATCH', `response ${i + 1} answers certificate request ${r.requestId.slice(0, 16)}…, not ${request.requestId.slice(0, 16)}…`, { path: '$.requestId' });
    }
    if (byKey.has(r.keyid)) throw new CeremonyError('ROTATION_SIGNATURE_DUPLICATE', `two responses renew the certificate of key ${r.keyid.slice(0, 16)}…`, { path: '$.keyid' });
    byKey.set(r.keyid, checkRenewedCertificate(request, r.keyid, r.certificate));
  });
  const renewed = request.certificates.filter((c) => byKey.has(c.keyid)).map((c) => byKey.get(c.keyid)!);
  const waitingFor = request.certificates.filter((c) => !byKey.has(c.keyid));
  if (waitingFor.length) return { renewed, waitingFor };
  const names = new Map<string, string>();
  for (const c of request.certificates) names.set(c.keyid, c.name);
  const payload = buildRotationPayload(
    request.previousRootBytes,
    { expires: request.expires, root: { replace: renewed.map((r) => ({ old: r.entry.keyid, new: { json: r.json, name: r.entry.name }, reason: 'retired' as const })) } },
    { names },
  );
  // The root as notary's client will check its certificates (leaf, CN = GUN, valid now, not SHA-1), before anyone signs.
  checkNotaryRootCertificates({ ...payload.previous, signed: payload.root, source: `root version ${payload.root.version} (built from the certificates)` }, now, request.repository);
  const signing = buildSigningRequest(payload, {
    repository: request.repository,
    renewal: {
      certificateRequestId: request.requestId,
      certificates: renewed.map((r) => ({ keyid: r.keyid, sha256: r.sha256 })),
      validity: { notBefore: iso(request.validity.notBefore), notAfter: iso(request.validity.notAfter) },
    },
  });
  return { renewed, waitingFor, request: signing };
}

/** `inspect` of a certificate request or response: the review, or what the response holds (checked against nothing: merge checks it). */
export function inspectCertificateDocument(bytes: Uint8Array, source: string): { text: string; json: JsonObject } {
  const obj = asObject(parseJsonStrict(bytes, { maxBytes: CERTIFICATE_REQUEST_MAX_BYTES, path: '$' }), '$');
  if (obj.format === CERTIFICATE_REQUEST_FORMAT) {
    const request = parseCertificateRequest(bytes, source);
    const d = describeCertificateRequest(request);
    const json: JsonObject = {
      kind: 'certificate-request',
      requestId: request.requestId,
      repository: request.repository,
      fromVersion: request.previous.signed.version,
      toVersion: request.previous.signed.version + 1,
      expires: request.expires,
      validity: { notBefore: iso(request.validity.notBefore), notAfter: iso(request.validity.notAfter) },
      certificates: request.certificates.map((c) => ({ keyid: c.keyid, name: c.name })),
      lines: d.lines,
    };
    return { text: [`${source}: certificate request ${request.requestId.slice(0, 16)}…`, ...d.lines].join('\n'), json };
  }
  const r = parseCertificateResponse(bytes);
  const cert = parseCertificatePem(r.certificate, '$.certificate');
  const text = [
    `${source}: certificate response to request ${r.requestId.slice(0, 16)}… by ${quoteShown(r.signer.name)}${r.signer.token ? ` (token serial ${quoteShown(r.signer.token.serial)})` : ''}`,
    `  a new certificate for root key ${r.keyid.slice(0, 12)}…: CN ${quoteShown(cert.info.subjectCN)}, valid ${iso(cert.info.notBefore)} until ${iso(cert.info.notAfter)}, SHA-256 ${createHash('sha256').update(cert.der).digest('hex').slice(0, 16)}…`,
    '  (not checked here: merge it with its certificate request to check the key, the dates and the signature)',
  ].join('\n');
  return { text, json: { kind: 'certificate-response', requestId: r.requestId, keyid: r.keyid, signer: r.signer as unknown as JsonObject, notBefore: iso(cert.info.notBefore), notAfter: iso(cert.info.notAfter) } };
}
