import { CeremonyError } from '../errors.js';
import { canonicalBytes, canonicalString, goHtmlEscape } from '../json/canonical.js';
import type { JsonObject } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import type { Profile, ProfileName, PublicKey, SignatureJson } from '../profiles/profile.js';

/**
 * Anything that can sign metadata: a token key, a software key. `sign` returns the raw signature —
 * r‖s (IEEE P1363) for ECDSA, as tokens return it; 64 bytes for Ed25519; the RSASSA-PSS block — and the
 * profile encodes it for the envelope.
 */
export interface MetadataSigner {
  keyId: string;
  key: PublicKey;
  sign(data: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

export interface SignedEnvelope {
  signed: JsonObject;
  signatures: SignatureJson[];
}

/**
 * Sign the canonical bytes of `signed` with each signer, verifying every signature in software before it
 * is kept (a token that returns garbage is caught here, not by a client later). Existing signatures by
 * other keys are kept; a signer that already signed is replaced.
 */
export async function signMetadata(
  profileName: ProfileName | Profile,
  signed: JsonObject,
  signers: readonly MetadataSigner[],
  existing: readonly SignatureJson[] = [],
): Promise<SignedEnvelope> {
  const profile = typeof profileName === 'string' ? getProfile(profileName) : profileName;
  const data = profile.canonical(signed);
  // Notary's canonical JSON writes control characters raw, so such a file is not JSON at all: notary
  // itself cannot publish it (measured) and no client could read it. Refuse before anyone signs.
  if (profile.name === 'notary' && data.some((b) => b < 0x20)) {
    throw new CeremonyError('SCHEMA_INVALID', 'a string holds a control character (tab, newline, …), which Notary metadata cannot carry');
  }
  const byKey = new Map(existing.map((s) => [s.keyid, s]));
  for (const signer of signers) {
    const raw = await signer.sign(data);
    const encoded = profile.encodeSignature(signer.keyId, signer.key, raw);
    const decoded = profile.decodeSignature(encoded, signer.key, `signature by ${signer.keyId.slice(0, 16)}`);
    if (!profile.verify(signer.key, decoded, data)) {
      throw new CeremonyError('THRESHOLD_NOT_MET', `the signature made by key ${signer.keyId.slice(0, 16)}… does not verify; it was not kept`);
    }
    byKey.set(signer.keyId, encoded);
  }
  return { signed, signatures: [...byKey.values()] };
}

const encoder = new TextEncoder();

/**
 * File bytes. Notary: exactly as Notary's Go writes them — `{"signed":<canonical>,"signatures":[…]}` in
 * that order, each signature `keyid, method, sig`, with Go's HTML escaping of `<>&` — because
 * notary-server's snapshot hashes its own re-serialisation and clients then compare it with ours
 * (FIELD-NOTES, "File bytes matter"). TUF: sorted keys, no whitespace, JSON string escaping
 * (reproducible; any JSON is valid there).
 */
export function serializeMetadata(profileName: ProfileName | Profile, envelope: SignedEnvelope): Uint8Array {
  const profile = typeof profileName === 'string' ? getProfile(profileName) : profileName;
  if (profile.name === 'tuf') {
    return canonicalBytes({ signed: envelope.signed, signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })) }, 'json');
  }
  const signed = canonicalString(envelope.signed, 'notary');
  const sigs = envelope.signatures.map((s) => canonicalString({ keyid: s.keyid, method: s.method ?? '', sig: s.sig }, 'notary'));
  return encoder.encode(goHtmlEscape(`{"signed":${signed},"signatures":[${sigs.join(',')}]}`));
}
