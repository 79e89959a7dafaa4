/**
 * Signing requests and signature responses for root rotations (PRODUCT.md §2.4): standalone strict JSON
 * documents, files today and the payloads of the bundle kinds `signing-request` / `signature-response`
 * later.
 *
 * Signing request (written with sorted keys, 2-space indentation):
 *
 * ```
 * { "format": "tuf-ceremony-signing-request", "version": 1,
 *   "profile": "notary" | "tuf", "repository": "<GUN or name>", "role": "root",
 *   "payload": <the unsigned `signed` object of root N+1>,
 *   "previousRoot": "<base64 of the previous root.json bytes>",
 *   "policy": { "previous": { "keyids": […], "threshold": n }, "new": { "keyids": […], "threshold": m } },
 *   "expectedSigners": [ { "keyid", "name", "from": "previous" | "new" | "both", "lost"?: true } ],
 *   "requestId": "<hex>" }
 * ```
 *
 * `requestId` = hex SHA-256 of ( canonical(payload) as the profile signs it ‖ SHA-256(previousRoot bytes) ).
 * A key reported lost (it cannot sign) stays in `expectedSigners` with `"lost": true` so the review can
 * name whose key is replaced; merge never waits for it (a signature by it, if it turned up, still counts).
 * `policy` must be exactly the root roles of the previous root and of the payload, and every expected
 * signer a key of the side it names: anything else is ROTATION_REQUEST_TAMPERED. The names are labels
 * for people, not authenticated (the review says so).
 *
 * Signature response:
 *
 * ```
 * { "format": "tuf-ceremony-signature-response", "version": 1, "requestId": "<hex>",
 *   "payloadSha256": "<hex SHA-256 of canonical(payload): the exact bytes signed>",
 *   "signatures": [ { "keyid", "sig", "method"? } ],
 *   "signer": { "name": "…", "token"?: { "serial": "…" } } }
 * ```
 *
 * Parsing is strict: unknown fields, wrong types and bad hex are refused (SCHEMA_INVALID) with the JSON
 * path; documents larger than their caps with INPUT_TOO_LARGE.
 */
import { createHash } from 'node:crypto';
import { CeremonyError, isCeremonyError } from '../errors.js';
import { asArray, asInteger, asNonEmptyString, asObject, asString, child, refuseUnknownFields } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import type { ProfileName, SignatureJson } from '../profiles/profile.js';
import type { Metadata } from '../tuf/metadata.js';
import { parseRootSigned, type Root } from '../tuf/root.js';
import type { RolePolicy } from '../tuf/role.js';
import { parsePreviousRoot, type RotationPayload } from './payload.js';

export const SIGNING_REQUEST_FORMAT = 'tuf-ceremony-signing-request';
export const SIGNATURE_RESPONSE_FORMAT = 'tuf-ceremony-signature-response';
export const REQUEST_MAX_BYTES = 4 * 1024 * 1024;
export const RESPONSE_MAX_BYTES = 256 * 1024;

export type SignerSide = 'previous' | 'new' | 'both';

export interface ExpectedSigner {
  keyid: string;
  name: string;
  from: SignerSide;
  /** The key was reported lost: named for the review, never waited for. */
  lost?: true;
}

export interface SigningRequest {
  profile: ProfileName;
  repository: string;
  role: 'root';
  payload: JsonObject;
  previousRootBytes: Uint8Array;
  policy: { previous: RolePolicy; new: RolePolicy };
  expectedSigners: ExpectedSigner[];
  requestId: string;
  /** Derived on parse / build (not part of the file). */
  previous: Metadata<Root>;
  root: Root;
  /** canonical(payload): the exact bytes every signature is over. */
  payloadBytes: Uint8Array;
  payloadSha256: string;
}

export interface SignatureResponse {
  requestId: string;
  payloadSha256: string;
  signatures: SignatureJson[];
  signer: { name: string; token?: { serial: string } };
}

const HEX64 = /^[0-9a-f]{64}$/;

function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

function hex(data: Uint8Array): string {
  return Buffer.from(data).toString('hex');
}

/** hex SHA-256 ( canonical(payload) ‖ SHA-256(previous root bytes) ). */
export function computeRequestId(payloadBytes: Uint8Array, previousRootBytes: Uint8Array): string {
  return createHash('sha256').update(payloadBytes).update(sha256(previousRootBytes)).digest('hex');
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
export function buildSigningRequest(payload: RotationPayload, opts: { repository: string; names?: ReadonlyMap<string, string> }): SigningRequest {
  const names = opts.names ?? payload.names;
  const previous = policyOf(payload.previous.signed.roles.get('root')!);
  const next = policyOf(payload.root.roles.get('root')!);
  const expectedSigners: ExpectedSigner[] = [];
  for (const keyid of [...previous.keyids, ...next.keyids.filter((id) => !previous.keyids.includes(id))]) {
    const signer: ExpectedSigner = { keyid, name: names.get(keyid) ?? `key ${keyid.slice(0, 8)}`, from: sideOf(keyid, previous, next)! };
    // Lost keys cannot sign: named for the review, not waited for.
    if (payload.unavailable.includes(keyid)) signer.lost = true;
    expectedSigners.push(signer);
  }
  const payloadBytes = getProfile(payload.profile).canonical(payload.signed);
  const previousRootBytes = payload.previous.bytes;
  if (!opts.repository) throw new CeremonyError('USAGE', 'a signing request names its repository (the GUN for Notary)');
  return {
    profile: payload.profile,
    repository: opts.repository,
    role: 'root',
    payload: payload.signed,
    previousRootBytes,
    policy: { previous, new: next },
    expectedSigners,
    requestId: computeRequestId(payloadBytes, previousRootBytes),
    previous: payload.previous,
    root: payload.root,
    payloadBytes,
    payloadSha256: hex(sha256(payloadBytes)),
  };
}

function sortedJson(value: JsonValue): string {
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
  const doc: JsonObject = {
    format: SIGNING_REQUEST_FORMAT,
    version: 1,
    profile: r.profile,
    repository: r.repository,
    role: 'root',
    payload: r.payload,
    previousRoot: Buffer.from(r.previousRootBytes).toString('base64'),
    policy: { previous: policyOf(r.policy.previous) as unknown as JsonObject, new: policyOf(r.policy.new) as unknown as JsonObject },
    expectedSigners: r.expectedSigners.map((s): JsonObject => (s.lost ? { keyid: s.keyid, name: s.name, from: s.from, lost: true } : { keyid: s.keyid, name: s.name, from: s.from })),
    requestId: r.requestId,
  };
  return new TextEncoder().encode(sortedJson(doc));
}

export function serializeSignatureResponse(r: SignatureResponse): Uint8Array {
  const doc: JsonObject = {
    format: SIGNATURE_RESPONSE_FORMAT,
    version: 1,
    requestId: r.requestId,
    payloadSha256: r.payloadSha256,
    signatures: r.signatures.map((s): JsonObject => (s.method !== undefined ? { keyid: s.keyid, method: s.method, sig: s.sig } : { keyid: s.keyid, sig: s.sig })),
    signer: r.signer.token ? { name: r.signer.name, token: { serial: r.signer.token.serial } } : { name: r.signer.name },
  };
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

const REQUEST_FIELDS = new Set(['format', 'version', 'profile', 'repository', 'role', 'payload', 'previousRoot', 'policy', 'expectedSigners', 'requestId']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Parse a signing request file: strict schema, then everything recomputed and compared. */
export function parseSigningRequest(bytes: Uint8Array, source = 'request'): SigningRequest {
  const path = '$';
  const obj = asObject(parseJsonStrict(bytes, { maxBytes: REQUEST_MAX_BYTES, path }), path);
  format(obj, SIGNING_REQUEST_FORMAT, path);
  refuseUnknownFields(obj, REQUEST_FIELDS, path);
  const profileText = asString(obj.profile, '$.profile');
  if (profileText !== 'notary' && profileText !== 'tuf') throw new CeremonyError('SCHEMA_INVALID', `profile must be "notary" or "tuf", not ${JSON.stringify(profileText)}`, { path: '$.profile' });
  const profile: ProfileName = profileText;
  const repository = asNonEmptyString(obj.repository, '$.repository');
  const role = asString(obj.role, '$.role');
  if (role !== 'root') throw new CeremonyError('SCHEMA_INVALID', `only root rotations are signed through requests, not ${JSON.stringify(role)}`, { path: '$.role' });
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
    refuseUnknownFields(s, new Set(['keyid', 'name', 'from', 'lost']), p);
    const from = asString(s.from, child(p, 'from'));
    if (from !== 'previous' && from !== 'new' && from !== 'both') throw new CeremonyError('SCHEMA_INVALID', 'from must be "previous", "new" or "both"', { path: child(p, 'from') });
    const signer: ExpectedSigner = { keyid: hexField(s.keyid, child(p, 'keyid')), name: asNonEmptyString(s.name, child(p, 'name')), from };
    if (s.lost !== undefined) {
      if (s.lost !== true) throw new CeremonyError('SCHEMA_INVALID', 'lost is true when present', { path: child(p, 'lost') });
      signer.lost = true;
    }
    return signer;
  });
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
  if (computeRequestId(payloadBytes, previousRootBytes) !== requestId) {
    throw new CeremonyError('ROTATION_REQUEST_TAMPERED', 'the payload or the previous root is not what this request was made with (its request ID does not match): do not sign it; ask for the request again', {
      path: '$.requestId',
    });
  }
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
  return {
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
    payloadBytes,
    payloadSha256: hex(sha256(payloadBytes)),
  };
}

const RESPONSE_FIELDS = new Set(['format', 'version', 'requestId', 'payloadSha256', 'signatures', 'signer']);

export function parseSignatureResponse(bytes: Uint8Array): SignatureResponse {
  const path = '$';
  const obj = asObject(parseJsonStrict(bytes, { maxBytes: RESPONSE_MAX_BYTES, path }), path);
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
  const signer: SignatureResponse['signer'] = { name: asNonEmptyString(signerObj.name, '$.signer.name') };
  if (signerObj.token !== undefined) {
    const t = asObject(signerObj.token, '$.signer.token');
    refuseUnknownFields(t, new Set(['serial']), '$.signer.token');
    signer.token = { serial: asNonEmptyString(t.serial, '$.signer.token.serial') };
  }
  return { requestId: hexField(obj.requestId, '$.requestId'), payloadSha256: hexField(obj.payloadSha256, '$.payloadSha256'), signatures, signer };
}

/** Whether bytes look like one of our documents (for `inspect`): the `format` field, nothing trusted. */
export function documentFormatOf(bytes: Uint8Array): typeof SIGNING_REQUEST_FORMAT | typeof SIGNATURE_RESPONSE_FORMAT | undefined {
  try {
    const obj = parseJsonStrict(bytes, { maxBytes: REQUEST_MAX_BYTES, path: '$' });
    if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
      if (obj.format === SIGNING_REQUEST_FORMAT) return SIGNING_REQUEST_FORMAT;
      if (obj.format === SIGNATURE_RESPONSE_FORMAT) return SIGNATURE_RESPONSE_FORMAT;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
