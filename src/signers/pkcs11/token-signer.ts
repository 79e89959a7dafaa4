/**
 * A private key on a token, as a `SigningKey`. The digest is computed in JS and signed with the raw
 * mechanism — CKM_ECDSA over SHA-256/384 (SoftHSM and others lack CKM_ECDSA_SHA256, FIELD-NOTES),
 * CKM_EDDSA over the message (Ed25519 is pure), CKM_RSA_PKCS_PSS over SHA-256 with MGF1-SHA256 and a
 * 32-byte salt — so one code path serves every token. The token's answer is verified with node:crypto
 * against the public key read from the token before it is returned; nothing else is normalised (a high-S
 * ECDSA signature is valid and returned as is).
 */
import { createHash } from 'node:crypto';
import { CeremonyError } from '../../errors.js';
import type { KeyAlgorithm } from '../../profiles/profile.js';
import { PSS_SALT_LENGTH, verifyRaw, type KeyOrigin, type SignHash, type SignOptions, type SigningKey } from '../signing-key.js';
import { coordinateBytes, isEcAlgorithm } from '../spki.js';
import { CKG, CKM, type Mechanism, type ObjectHandle } from './api.js';
import { describeToken, TokenError, type TokenRef } from './errors.js';
import type { GenerationReport } from './keygen.js';
import { duringTouch, type PivTouch } from './piv-touch.js';

/** RSASSA-PSS over a SHA-256 digest computed in JS (portable: not every token has CKM_SHA256_RSA_PKCS_PSS). */
export const PSS_SHA256: Mechanism = { type: CKM.RSA_PKCS_PSS, pss: { hashAlg: CKM.SHA256, mgf: CKG.MGF1_SHA256, saltLength: PSS_SALT_LENGTH } };

/** What a TokenKey needs from its session (token.ts TokenSession implements it). */
export interface TokenKeyPort {
  signRaw(handle: ObjectHandle, mechanism: Mechanism, input: Uint8Array, step: string, contextPin?: Uint8Array | string): Promise<Uint8Array>;
}

export class TokenKey implements SigningKey {
  readonly origin: KeyOrigin;
  readonly fingerprint: string;
  /** For a key generated in this session: the template used and what was read back (keygen.ts). */
  generation: GenerationReport | undefined;
  /**
   * A YubiKey key (piv-touch.ts): its touch policy as the slot's attestation says, undefined while not
   * known. Set by the session that found or made the key; undefined for every other token.
   */
  pivTouch: PivTouch | undefined;
  /**
   * Where the PIN comes from for a key that needs it before every signature (YubiKey slot 9c,
   * CKA_ALWAYS_AUTHENTICATE), asked at the moment of each signature when the caller gives none
   * (`withPinSource`): every signing path — ceremony, seal, rotation, re-signing, refresh — then works
   * with such a key without knowing about it. The bytes are zeroed after use.
   */
  private pinSource: (() => Promise<Uint8Array>) | undefined;

  constructor(
    private readonly port: TokenKeyPort,
    readonly token: TokenRef,
    private readonly handle: ObjectHandle,
    readonly label: string,
    readonly id: Uint8Array,
    readonly algorithm: KeyAlgorithm,
    readonly spki: Uint8Array,
    readonly alwaysAuthenticate: boolean,
    rehearsal = false,
  ) {
    this.origin = { kind: 'token', token: { label: token.label, serial: token.serial }, rehearsal };
    this.fingerprint = createHash('sha256').update(spki).digest('hex');
  }

  /** For people: `ECDSA P-256 key "root-1" on token "custodian-1" (serial …)`. */
  get description(): string {
    return `key "${this.label}" on ${describeToken(this.token)}`;
  }

  /** The object handle, only for the session that found the key (handles mean nothing elsewhere). */
  handleFor(port: TokenKeyPort): ObjectHandle {
    if (port !== this.port) throw new CeremonyError('INTERNAL', 'a token key was used with a session that did not open it');
    return this.handle;
  }

  /** Same key, marked as a rehearsal key (rehearsal.ts). */
  asRehearsal(): TokenKey {
    const key = new TokenKey(this.port, this.token, this.handle, this.label, this.id, this.algorithm, this.spki, this.alwaysAuthenticate, true);
    key.generation = this.generation;
    key.pivTouch = this.pivTouch;
    key.pinSource = this.pinSource;
    return key;
  }

  /**
   * This key, asking `pin` for the PIN at each signature when it needs one every time and the caller
   * gives none. The same object (its touch and generation facts stay shared).
   */
  withPinSource(pin: () => Promise<Uint8Array>): this {
    this.pinSource = pin;
    return this;
  }

  /** Whether `sign` can be called without a PIN: the key needs none per signature, or asks its own. */
  get signsWithoutPin(): boolean {
    return !this.alwaysAuthenticate || this.pinSource !== undefined;
  }

  async sign(data: Uint8Array, hash: SignHash, opts: SignOptions = {}): Promise<Uint8Array> {
    let pin = opts.pin;
    try {
      if (pin === undefined && this.alwaysAuthenticate && this.pinSource) pin = await this.pinSource();
      const given = pin;
      // A YubiKey key may wait for a touch: the custodian is told first, and an untouched wait is told
      // apart from a wrong PIN (piv-touch.ts). Other tokens sign at once.
      if (!this.pivTouch) return await this.signOnce(data, hash, given, Boolean(opts.contextLogin));
      return await duringTouch(this.token, this.pivTouch, () => this.signOnce(data, hash, given, Boolean(opts.contextLogin)));
    } finally {
      if (pin instanceof Uint8Array) pin.fill(0);
    }
  }

  private async signOnce(data: Uint8Array, hash: SignHash, pin: Uint8Array | string | undefined, contextLogin = false): Promise<Uint8Array> {
    const who = this.description;
    let mechanism: Mechanism;
    let input: Uint8Array;
    switch (this.algorithm) {
      case 'ed25519':
        mechanism = { type: CKM.EDDSA };
        input = data;
        break;
      case 'rsa-pss-sha256':
        if (hash !== 'sha256') throw new CeremonyError('INTERNAL', `RSA-PSS keys sign SHA-256 digests, not ${hash}`);
        mechanism = PSS_SHA256;
        input = new Uint8Array(createHash('sha256').update(data).digest());
        break;
      default:
        mechanism = { type: CKM.ECDSA };
        input = new Uint8Array(createHash(hash).update(data).digest());
    }
    if (this.alwaysAuthenticate && pin === undefined) {
      throw new TokenError('TOKEN_LOGIN_REQUIRED', `${who} asks for the PIN before every signature`, { token: this.token });
    }
    const signature = await this.port.signRaw(this.handle, mechanism, input, `signing with ${who}`, this.alwaysAuthenticate || contextLogin ? pin : undefined);
    if (isEcAlgorithm(this.algorithm) && signature.length !== 2 * coordinateBytes(this.algorithm)) {
      throw new TokenError('TOKEN_SIGNATURE_INVALID', `${who} returned a ${signature.length}-byte signature, not the ${2 * coordinateBytes(this.algorithm)}-byte r‖s PKCS#11 specifies; it was not used`, {
        token: this.token,
      });
    }
    if (!verifyRaw(this.spki, this.algorithm, hash, signature, data)) {
      throw new TokenError('TOKEN_SIGNATURE_INVALID', `the signature made by ${who} does not verify with its public key; it was not used`, { token: this.token });
    }
    return signature;
  }
}
