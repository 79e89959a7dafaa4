/**
 * A snapshot or timestamp private key given as a file, for a machine that refreshes a repository online
 * (a CI job, a cron on the host): PKCS#8 PEM (`openssl genpkey -algorithm ed25519`, `openssl ecparam
 * -name prime256v1 -genkey | openssl pkcs8 -topk8 -nocrypt`). The offline roles' keys never come this way:
 * they stay on tokens. The secret becomes a SoftwareKey (src/signers/software.ts), which the caller wipes
 * with dispose(); the file's bytes are zeroed here. node:crypto's KeyObject, used only to decode the PEM,
 * cannot be wiped — it is dropped at once. Messages never repeat the file's content.
 */
import { createPrivateKey } from 'node:crypto';
import { CeremonyError } from '../errors.js';
import { SoftwareKey, type SoftwareAlgorithm } from '../signers/software.js';

/** A PEM private key is a few hundred bytes. */
export const KEY_FILE_MAX_BYTES = 16 * 1024;

export function softwareKeyFromPem(bytes: Uint8Array, label: string): SoftwareKey {
  let secret: Uint8Array | undefined;
  let algorithm: SoftwareAlgorithm;
  try {
    let key;
    try {
      key = createPrivateKey({ key: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), format: 'pem' });
    } catch {
      throw new CeremonyError('KEY_INVALID', `${label} is not an unencrypted PKCS#8 PEM private key`);
    }
    const type = key.asymmetricKeyType;
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (type === 'ed25519') algorithm = 'ed25519';
    else if (type === 'ec' && curve === 'prime256v1') algorithm = 'ecdsa-p256';
    else if (type === 'ec' && curve === 'secp384r1') algorithm = 'ecdsa-p384';
    else throw new CeremonyError('KEY_TYPE_UNSUPPORTED', `${label} holds a ${type ?? 'unknown'}${curve ? ` ${curve}` : ''} key; a key file may be Ed25519, ECDSA P-256 or P-384`);
    const d = key.export({ format: 'jwk' }).d;
    if (typeof d !== 'string') throw new CeremonyError('KEY_INVALID', `${label} holds no private key`);
    const raw = Buffer.from(d, 'base64url');
    secret = new Uint8Array(raw);
    raw.fill(0);
  } finally {
    bytes.fill(0);
  }
  return SoftwareKey.fromSecret(algorithm, secret, { label });
}
