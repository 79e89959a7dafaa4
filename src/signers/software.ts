/**
 * In-memory keys: rehearsal tokens without SoftHSM2, and roots reconstructed from Shamir share cards.
 * Ed25519, ECDSA P-256 and P-384 through @noble/curves, so the secret is a Uint8Array this object owns
 * and `dispose()` overwrites (noble-hashes `clean` habit). What cannot be wiped is said plainly: noble
 * turns the scalar into a bigint for the duration of a signature, and JS engines do not promise to zero
 * freed memory; the secret is never written to a file, a log or a message.
 *
 * Like token keys, every signature is verified with the public key before it is returned.
 */
import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { CeremonyError } from '../errors.js';
import type { KeyAlgorithm } from '../profiles/profile.js';
import { algorithmTitle, requireValidSignature, type KeyOrigin, type SignHash, type SignOptions, type SigningKey } from './signing-key.js';
import { spkiOfPoint } from './spki.js';

export type SoftwareAlgorithm = 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384';

const SECRET_LENGTH: Record<SoftwareAlgorithm, number> = { ed25519: 32, 'ecdsa-p256': 32, 'ecdsa-p384': 48 };

export function isSoftwareAlgorithm(algorithm: KeyAlgorithm): algorithm is SoftwareAlgorithm {
  return algorithm === 'ed25519' || algorithm === 'ecdsa-p256' || algorithm === 'ecdsa-p384';
}

function curve(algorithm: 'ecdsa-p256' | 'ecdsa-p384') {
  return algorithm === 'ecdsa-p256' ? p256 : p384;
}

export interface SoftwareKeyOptions {
  label?: string;
  rehearsal?: boolean;
}

export class SoftwareKey implements SigningKey {
  readonly origin: KeyOrigin;
  readonly spki: Uint8Array;
  readonly fingerprint: string;
  readonly label: string;
  readonly alwaysAuthenticate = false;
  private secret: Uint8Array | undefined;

  private constructor(
    readonly algorithm: SoftwareAlgorithm,
    secret: Uint8Array,
    opts: SoftwareKeyOptions,
  ) {
    this.secret = secret;
    this.label = opts.label ?? `software ${algorithmTitle(algorithm)} key`;
    this.origin = { kind: 'software', rehearsal: Boolean(opts.rehearsal) };
    const point = algorithm === 'ed25519' ? ed25519.getPublicKey(secret) : curve(algorithm).getPublicKey(secret, false);
    this.spki = spkiOfPoint(algorithm, point, '$key');
    this.fingerprint = createHash('sha256').update(this.spki).digest('hex');
  }

  /** A fresh key from the platform CSPRNG (through noble's `randomSecretKey`). */
  static generate(algorithm: KeyAlgorithm, opts: SoftwareKeyOptions = {}): SoftwareKey {
    if (!isSoftwareAlgorithm(algorithm)) throw unsupported(algorithm);
    const secret = algorithm === 'ed25519' ? ed25519.utils.randomSecretKey() : curve(algorithm).utils.randomSecretKey();
    return new SoftwareKey(algorithm, secret, opts);
  }

  /**
   * A key from its secret: the Ed25519 seed (32 bytes) or the ECDSA scalar (32 / 48 bytes, big-endian).
   * The key takes ownership of `secret` — `dispose()` zeroes that very array, and so does a refusal here.
   * With `expectedFingerprint` (the recorded public key's), a secret that does not give that key is
   * refused before anything is signed (Shamir recombination, PRODUCT.md §2.2).
   */
  static fromSecret(algorithm: KeyAlgorithm, secret: Uint8Array, opts: SoftwareKeyOptions & { expectedFingerprint?: string } = {}): SoftwareKey {
    if (!(secret instanceof Uint8Array)) throw new CeremonyError('KEY_INVALID', 'a secret key is bytes');
    if (!isSoftwareAlgorithm(algorithm)) {
      secret.fill(0);
      throw unsupported(algorithm);
    }
    const ok = secret.length === SECRET_LENGTH[algorithm] && (algorithm === 'ed25519' || curve(algorithm).utils.isValidSecretKey(secret));
    if (!ok) {
      secret.fill(0);
      throw new CeremonyError('KEY_INVALID', `the secret is not a valid ${algorithmTitle(algorithm)} private key (${SECRET_LENGTH[algorithm]} bytes)`);
    }
    const key = new SoftwareKey(algorithm, secret, opts);
    if (opts.expectedFingerprint !== undefined && key.fingerprint !== opts.expectedFingerprint) {
      key.dispose();
      throw new CeremonyError(
        'TOKEN_KEY_NOT_FOUND',
        `the reconstructed key has fingerprint ${key.fingerprint.slice(0, 16)}…, not the recorded ${opts.expectedFingerprint.slice(0, 16)}…: it is not the expected key`,
      );
    }
    return key;
  }

  get disposed(): boolean {
    return this.secret === undefined;
  }

  private live(): Uint8Array {
    if (!this.secret) throw new CeremonyError('SIGNER_DISPOSED', `"${this.label}" was wiped from memory after use; reconstruct or generate it again`);
    return this.secret;
  }

  /**
   * Lend the secret to `fn` (to split it into Shamir shares right after generation). `fn` must not keep
   * it: the bytes are this key's and are zeroed by `dispose()`.
   */
  withSecret<T>(fn: (secret: Uint8Array) => T): T {
    return fn(this.live());
  }

  async sign(data: Uint8Array, hash: SignHash, opts: SignOptions = {}): Promise<Uint8Array> {
    if (opts.pin instanceof Uint8Array) opts.pin.fill(0);
    const secret = this.live();
    let signature: Uint8Array;
    if (this.algorithm === 'ed25519') {
      signature = ed25519.sign(data, secret);
    } else {
      const digest = new Uint8Array(createHash(hash).update(data).digest());
      signature = curve(this.algorithm).sign(digest, secret, { prehash: false, format: 'compact' });
    }
    return requireValidSignature(this, hash, signature, data, `"${this.label}"`);
  }

  /** Overwrite the secret; the key cannot sign afterwards (SIGNER_DISPOSED). Safe to call twice. */
  dispose(): void {
    if (this.secret) this.secret.fill(0);
    this.secret = undefined;
  }
}

function unsupported(algorithm: KeyAlgorithm): CeremonyError {
  return new CeremonyError('KEY_TYPE_UNSUPPORTED', `software keys are Ed25519, ECDSA P-256 or P-384, not ${algorithmTitle(algorithm)}`);
}
