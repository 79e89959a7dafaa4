/**
 * A co-signer's side: sign a request's payload with one key (a token key, or a key rebuilt from Shamir
 * share cards) and return a signature response — signatures only. The key signs under every key ID the
 * previous and the new root list it by (a Notary root key can appear under a renewed certificate), each
 * signature verified over the canonical payload before it is kept (signMetadata).
 *
 * Targets requests work the same way: `policy.previous` and `policy.new` are both the root's targets role
 * and `previous` / `root` the trusted root, so the key signs under the targets key IDs that list it.
 */
import { CeremonyError } from '../errors.js';
import type { SignatureJson } from '../profiles/profile.js';
import { metadataSigner, type MetadataSignerOptions } from '../signers/metadata-signer.js';
import type { SigningKey } from '../signers/signing-key.js';
import { signMetadata } from '../tuf/sign.js';
import { checkWitnessNames, signerKeys, type SignatureResponse, type SigningRequest } from './request.js';
import { partFor } from './revoke-tags.js';

/** What a key must be to sign this request, for refusals: "a root key of neither version 1 nor 2". */
export function signerScope(request: SigningRequest): string {
  // "Revoke these tags too" (revoke-tags.ts): the targets keys sign one part, the role's keys the other.
  if (request.revokeTags) return `neither a targets key of root version ${request.root.version} nor a key of ${request.revokeTags.role} in targets.json version ${request.targets!.next.version}`;
  if (request.delegation) return `not a key of ${request.delegation.name} in targets.json version ${request.delegation.delegator.signed.version}`;
  return request.role === 'targets'
    ? `not a targets key of root version ${request.root.version}`
    : `a root key of neither version ${request.previous.signed.version} nor ${request.root.version}`;
}

/**
 * The key IDs (root requests: previous or new root role; targets requests: targets role) that list this
 * public key. A request with a revoke-tags part: those of the part the key signs (partFor).
 */
export function keyIdsFor(request: SigningRequest, fingerprint: string): string[] {
  return keyIdsInPart(partSignedBy(request, fingerprint), fingerprint);
}

/** The part of the request this public key signs (partFor): the request itself, or its revoke-tags part. */
export function partSignedBy(request: SigningRequest, fingerprint: string): SigningRequest {
  return partFor(request, (part) => keyIdsInPart(part, fingerprint).length > 0);
}

/**
 * A hash confirmed by the custodian (`sign --expect-hash`) that is one part of a revoke-tags request must be
 * the part this key signs (partFor): checked from the key's fingerprint before the key is unlocked or
 * rebuilt, so the key never signs bytes the custodian did not confirm (review B F2). ROTATION_REQUEST_TAMPERED
 * otherwise; nothing when no hash was confirmed.
 */
export function checkSignsConfirmedPart(request: SigningRequest, fingerprint: string, confirmedSha256: string | undefined): void {
  if (confirmedSha256 === undefined) return;
  const signs = partFor(request, (part) => keyIdsInPart(part, fingerprint).length > 0).payloadSha256;
  if (signs !== confirmedSha256) {
    throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `the hash read out is that of the other part of this request than the one this key signs (${signs.slice(0, 16)}…): ask which part is yours; nothing was signed`);
  }
}

function keyIdsInPart(request: SigningRequest, fingerprint: string): string[] {
  const out: string[] = [];
  const d = request.delegation;
  if (d) {
    // A delegated role request: the delegation's keys, from targets.json's key table.
    const lookup = signerKeys(request);
    for (const id of d.role.keyids) if (!out.includes(id) && lookup(id)?.key.fingerprint === fingerprint) out.push(id);
    return out;
  }
  const consider = (ids: readonly string[], table: SigningRequest['root']['keys']): void => {
    for (const id of ids) if (!out.includes(id) && table.get(id)?.key.fingerprint === fingerprint) out.push(id);
  };
  consider(request.policy.previous.keyids, request.previous.signed.keys);
  consider(request.policy.new.keyids, request.root.keys);
  return out;
}

export interface SignRequestOptions extends MetadataSignerOptions {
  /** Who signs, as the response says (defaults to the expected signer's name). */
  name?: string | undefined;
  /** The token that signs, by the pair (serial, label): serials repeat on some modules (issue #11). */
  token?: { serial: string; label?: string } | undefined;
  /** Who watched (names, checked with checkWitnessNames); recorded on the response when any are given. */
  witnesses?: readonly string[] | undefined;
}

/**
 * Sign the part of the request this key signs: the request itself, or — for a targets request with a
 * revoke-tags part whose targets role does not list the key — the role's file N+1 (revoke-tags.ts). A key
 * listed in both parts signs targets.json (the root's targets role decides first). The response names the
 * part by its payload hash.
 */
export async function signRequest(whole: SigningRequest, key: SigningKey, opts: SignRequestOptions = {}): Promise<SignatureResponse> {
  const request = partSignedBy(whole, key.fingerprint);
  const ids = keyIdsInPart(request, key.fingerprint);
  if (ids.length === 0) {
    throw new CeremonyError('ROTATION_SIGNER_UNKNOWN', `key "${key.label}" (fingerprint ${key.fingerprint.slice(0, 16)}…) is ${signerScope(whole)}: it has nothing to sign here`);
  }
  const profile = request.previous.profile;
  const signers = ids.map((id) => {
    const listed = signerKeys(request)(id)!;
    return metadataSigner(key, { profile: profile.name, json: listed.json, keyId: id, key: listed.key }, opts);
  });
  const envelope = await signMetadata(profile, request.payload, signers);
  const signatures: SignatureJson[] = envelope.signatures;
  const name = opts.name ?? request.expectedSigners.find((s) => ids.includes(s.keyid))?.name ?? key.label;
  const response: SignatureResponse = { requestId: request.requestId, payloadSha256: request.payloadSha256, signatures, signer: opts.token ? { name, token: opts.token } : { name } };
  const witnesses = checkWitnessNames(opts.witnesses ?? [], '$.witnesses');
  if (witnesses.length) response.witnesses = witnesses;
  return response;
}
