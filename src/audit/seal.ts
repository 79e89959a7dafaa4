/**
 * The transcript seal: a signature, by a token key or a software key (any MetadataSigner), over the
 * canonical bytes of the header hash, the entry count and the last entry hash — which through the chain
 * covers every record. The sealing key is named as TUF 1.0 lists keys and the signature is encoded as the
 * TUF profile encodes signatures (getProfile('tuf')), whatever the ceremony's own profile, so one verifier
 * reads every transcript.
 */
import { CeremonyError } from '../errors.js';
import { ed25519Raw, pemOf } from '../crypto/public-key.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { getProfile } from '../profiles/index.js';
import type { PublicKey } from '../profiles/profile.js';
import { toHex } from '../profiles/encoding.js';
import type { MetadataSigner } from '../tuf/sign.js';
import type { SealedBy, TranscriptKeyJson, TranscriptSeal } from './types.js';

const tuf = getProfile('tuf');

/**
 * What the seal signs. `_type` separates these bytes from anything else the same key signs: a root key
 * on a token may seal the transcript of the ceremony that made it, and no TUF or Notary client accepts
 * metadata of this type, so a seal signature can never pass for a signature over metadata (nor the
 * reverse: metadata has no `entries`, `header` and `last` with these meanings). The seal's time is inside
 * the signature so it cannot be changed afterwards.
 */
export const SEAL_TYPE = 'tuf-ceremony-transcript-seal';

export interface SealPayload {
  _type: typeof SEAL_TYPE;
  header: string;
  entries: number;
  last: string;
  time: string;
}

export function sealPayloadBytes(p: Omit<SealPayload, '_type'>): Uint8Array {
  const payload: SealPayload = { _type: SEAL_TYPE, header: p.header, entries: p.entries, last: p.last, time: p.time };
  return tuf.canonical(payload as unknown as JsonValue);
}

/** A public key as TUF 1.0 lists it (securesystemslib's forms: hex Ed25519, PEM for ECDSA and RSA). */
export function tufKeyJson(key: PublicKey): TranscriptKeyJson {
  switch (key.algorithm) {
    case 'ed25519':
      return { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: toHex(ed25519Raw(key.spki)) } };
    case 'ecdsa-p256':
      return { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: pemOf('PUBLIC KEY', key.spki) } };
    case 'ecdsa-p384':
      return { keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp384', keyval: { public: pemOf('PUBLIC KEY', key.spki) } };
    case 'rsa-pss-sha256':
      return { keytype: 'rsa', scheme: 'rsassa-pss-sha256', keyval: { public: pemOf('PUBLIC KEY', key.spki) } };
  }
}

/** The key JSON as the parsed-JSON type the profile reads (a fresh object, nothing else carried along). */
function keyObject(json: TranscriptKeyJson): JsonObject {
  return { keytype: json.keytype, scheme: json.scheme, keyval: { public: json.keyval.public } };
}

/**
 * Sign a seal. The signature is verified before it is returned (a token that returns garbage is caught
 * here, not by an auditor later).
 */
export async function makeSeal(signer: MetadataSigner, totals: { header: string; entries: number; last: string; time: string }): Promise<TranscriptSeal> {
  const json = tufKeyJson(signer.key);
  const key = tuf.parseKey(keyObject(json), '$.key');
  const keyid = tuf.keyId(keyObject(json));
  const data = sealPayloadBytes(totals);
  const raw = await signer.sign(data);
  let encoded;
  let verified = false;
  try {
    encoded = tuf.encodeSignature(keyid, key, raw);
    verified = tuf.verify(key, tuf.decodeSignature(encoded, key, '$.sig'), data);
  } catch {
    verified = false;
  }
  if (!encoded || !verified) {
    throw new CeremonyError(
      'TRANSCRIPT_SEAL_INVALID',
      `the seal signature made by key ${keyid.slice(0, 16)}… does not verify with its public key (for an ECDSA P-384 key, the signer must hash with SHA-384 as TUF does); the transcript was not sealed`,
    );
  }
  return { type: 'seal', time: totals.time, keyid, key: json, header: totals.header, entries: totals.entries, last: totals.last, sig: encoded.sig };
}

/**
 * Check a seal's key and signature (the totals are compared with the chain by the caller). Throws
 * TRANSCRIPT_SEAL_INVALID naming what is wrong; returns who sealed.
 */
export function checkSeal(seal: TranscriptSeal, path: string): SealedBy {
  const keyJson = keyObject(seal.key);
  let key: PublicKey;
  try {
    key = tuf.parseKey(keyJson, `${path}.key`);
  } catch (err) {
    throw new CeremonyError('TRANSCRIPT_SEAL_INVALID', `the sealing key cannot be read: ${(err as Error).message}`, { path: `${path}.key`, cause: err });
  }
  if (tuf.keyId(keyJson) !== seal.keyid) {
    throw new CeremonyError('TRANSCRIPT_SEAL_INVALID', 'the seal names a key ID that is not the ID of its key', { path: `${path}.keyid` });
  }
  let signature: Uint8Array;
  try {
    signature = tuf.decodeSignature({ keyid: seal.keyid, sig: seal.sig }, key, path);
  } catch (err) {
    throw new CeremonyError('TRANSCRIPT_SEAL_INVALID', `the seal signature is not validly encoded: ${(err as Error).message}`, { path: `${path}.sig`, cause: err });
  }
  const data = sealPayloadBytes(seal);
  if (!tuf.verify(key, signature, data)) {
    throw new CeremonyError('TRANSCRIPT_SEAL_INVALID', `the seal signature does not verify with key ${seal.keyid.slice(0, 16)}…`, { path: `${path}.sig` });
  }
  return { keyId: seal.keyid, fingerprint: key.fingerprint, keytype: seal.key.keytype, scheme: seal.key.scheme, time: seal.time };
}
