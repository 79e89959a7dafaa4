/**
 * One open session on one token: log in with a PIN handed in at the moment of use and dropped at once,
 * generate key pairs (keygen.ts decides the templates and what the read-back must show), find existing
 * keys by CKA_ID and public-key fingerprint, read their public keys, prove a key cannot be read out.
 * Signing is token-signer.ts.
 *
 * Every failure is a CeremonyError from errors.ts naming the token by label and serial. A token removed
 * between steps is told apart from a stale key handle by asking the slot again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CeremonyError } from '../../errors.js';
import { decodeSpki } from '../../crypto/public-key.js';
import type { KeyAlgorithm } from '../../profiles/profile.js';
import { algorithmTitle } from '../signing-key.js';
import { algorithmOfEcParams, pointLength, spkiOfPoint, spkiOfRsa, unwrapEcPoint } from '../spki.js';
import { CKF, CKK, CKM, CKO, CKR, isPkcs11Fault, type Attributes, type KeyPairHandles, type Mechanism, type ObjectHandle, type Pkcs11Api, type Pkcs11Fault, type SessionId, type TokenInfo } from './api.js';
import { describeToken, pinLockedMessage, pinTriesOf, tokenError, TokenError, type FaultContext, type TokenRef } from './errors.js';
import { minimalTemplateFirst, privateTemplateRefuses, readbackToleratedUses, type ModuleFamily } from './quirks.js';
import { NEEDS, pinLengths, type TokenDescription } from './identity.js';
import {
  generationTemplates,
  isTemplateRefusal,
  READBACK_ATTRS,
  readbackProblems,
  type GenerateKeyRequest,
  type GenerationReport,
  type GenerationTemplates,
  type Readback,
} from './keygen.js';
import { LoginRegistry } from './login-registry.js';
import { TokenKey, type TokenKeyPort } from './token-signer.js';
import { isYubiKeyPiv } from './piv-slots.js';
import { parseYubicoAttestation, type TouchPolicy } from '../../attestation/yubico-extensions.js';

/** A private key found on a token, described; `problem` says why it cannot be used, if it cannot. */
export interface TokenKeyListing {
  label: string;
  id: Uint8Array;
  algorithm: KeyAlgorithm | undefined;
  fingerprint: string | undefined;
  sensitive: boolean;
  extractable: boolean;
  alwaysAuthenticate: boolean;
  problem: string | undefined;
}

/**
 * A public key object on a token, described without logging in (tokens that keep public objects public,
 * as SoftHSM2 and ykcs11 do). `problem` says why its fingerprint could not be computed, if it could not.
 */
export interface PublicKeyListing {
  label: string;
  id: Uint8Array;
  algorithm: KeyAlgorithm | undefined;
  /** hex SHA-256 of the SPKI, as `TokenKey.fingerprint`. */
  fingerprint: string | undefined;
  /** The public key (DER SPKI) read from the token, when it could be. */
  spki?: Uint8Array | undefined;
  problem: string | undefined;
}

export interface KeySelector {
  label?: string;
  id?: Uint8Array;
  /** hex SHA-256 of the SPKI the plan recorded: a different key under the same label is refused. */
  fingerprint?: string;
}

/** How the token answered the attempts to read a private key out (for the transcript). */
export interface ExtractionReport {
  value: string;
  wrap: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A UTF-8 PIN to the string pkcs11js needs; the caller zeroes the bytes. */
function pinToString(pin: Uint8Array | string): string {
  if (typeof pin === 'string') return pin;
  try {
    return utf8.decode(pin);
  } catch {
    throw new CeremonyError('PIN_INCORRECT', 'the PIN is not valid text');
  }
}

function pinByteLength(pin: Uint8Array | string): number {
  return typeof pin === 'string' ? Buffer.byteLength(pin, 'utf8') : pin.length;
}

const KEY_ATTRS = ['label', 'id', 'keyType', 'sensitive', 'extractable', 'alwaysAuthenticate'] as const;

/**
 * One open session on one token. Operations are serialised (one Cryptoki operation per session at a
 * time, FIELD-NOTES CKR_OPERATION_ACTIVE). The PIN is never kept: `login` takes it, uses it, and zeroes
 * a Uint8Array PIN before returning (a string PIN cannot be wiped; prefer bytes).
 */
export class TokenSession implements TokenKeyPort {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly api: Pkcs11Api,
    readonly token: TokenDescription,
    private readonly session: SessionId,
    readonly rehearsal = false,
    private readonly logins: LoginRegistry = new LoginRegistry(),
  ) {}

  get isLoggedIn(): boolean {
    return this.logins.has(this.token.slot, this);
  }

  private get loggedIn(): boolean {
    return this.isLoggedIn;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Is the same token still in its slot? Used to tell "removed" from other failures. */
  private async present(): Promise<boolean> {
    try {
      const info = await this.api.getTokenInfo(this.token.slot);
      // The pair: on tpm2-pkcs11 every token has the same serial (FIELD-NOTES).
      return info.serial === this.token.serial && info.label === this.token.label;
    } catch {
      return false;
    }
  }

  private async fail(err: unknown, ctx: Omit<FaultContext, 'token'>): Promise<never> {
    if (isPkcs11Fault(err) && typeof err.rv === 'number' && !err.is('PIN_INCORRECT') && !err.is('PIN_LOCKED') && !err.is('USER_NOT_LOGGED_IN')) {
      if (!(await this.present())) {
        throw new TokenError('TOKEN_REMOVED', `${describeToken(this.token)} was removed, or its session closed, while ${ctx.step}; insert it again and resume (the step did not complete)`, {
          token: this.token,
          rv: err.ckr,
          cause: err,
        });
      }
      if ((err.is('OBJECT_HANDLE_INVALID') || err.is('KEY_HANDLE_INVALID')) && !this.loggedIn && this.token.loginRequired) {
        throw new TokenError('TOKEN_LOGIN_REQUIRED', `${describeToken(this.token)} needs the PIN before ${ctx.step}`, { token: this.token, cause: err });
      }
    }
    throw tokenError(err, { family: this.token.moduleFamily, ...ctx, token: this.token });
  }

  private checkOpen(step: string): void {
    if (this.closed) throw new TokenError('TOKEN_REMOVED', `the session with ${describeToken(this.token)} was closed before ${step}; open the token again`, { token: this.token });
  }

  /**
   * Log in as the user with `pin`, handed in at the moment of use. A Uint8Array PIN is zeroed before this
   * returns, whatever happens. Refuses without trying when the token says the PIN is locked, or when the
   * PIN's length is outside what the token accepts (so a typo does not cost a try).
   */
  async login(pin: Uint8Array | string): Promise<void> {
    try {
      this.checkOpen('logging in');
      await this.serial(async () => {
        let info: TokenInfo;
        try {
          info = await this.api.getTokenInfo(this.token.slot);
        } catch (err) {
          return this.fail(err, { step: 'logging in' });
        }
        if (info.flags & CKF.USER_PIN_LOCKED) {
          throw new TokenError('PIN_LOCKED', pinLockedMessage(describeToken(this.token), this.token.moduleFamily), { token: this.token, rv: 'CKF_USER_PIN_LOCKED' });
        }
        const length = pinByteLength(pin);
        if (length === 0) throw new TokenError('PIN_INCORRECT', `no PIN was entered for ${describeToken(this.token)}`, { token: this.token });
        const lengths = pinLengths(info); // a YubiKey's PIV PIN: 6–8, whatever ykcs11 reports
        const max = lengths.maxPinLength > 0 && lengths.maxPinLength < 1024 ? lengths.maxPinLength : Infinity;
        if (length < lengths.minPinLength || length > max) {
          const range = max === Infinity ? `at least ${lengths.minPinLength}` : `${lengths.minPinLength} to ${max}`;
          throw new TokenError('PIN_INCORRECT', `a PIN for ${describeToken(this.token)} is ${range} characters long; it was not tried`, { token: this.token });
        }
        const text = pinToString(pin);
        try {
          await this.api.login(this.session, 'user', text);
        } catch (err) {
          if (!isPkcs11Fault(err, 'USER_ALREADY_LOGGED_IN')) return this.loginFailed(err);
          // Login is per token per process: another session of ours on this very token already holds
          // it (FIELD-NOTES), so the PIN was checked by that login.
          if (this.logins.held(this.token.slot)) {
            this.logins.add(this.token.slot, this);
            return;
          }
          // Otherwise "already logged in" did not check this PIN: accepting it would take any PIN.
          // opencryptoki 3.8 keeps one login for all its soft tokens (test/integration/opencryptoki-
          // shared-login.test.ts); a logout there would also end the other token's login and drop its
          // key handles, so with a login of ours on another token, refuse without touching it.
          if (this.logins.heldElsewhere(this.token.slot)) throw sharedLogin(this.token, err);
          // A login nobody in this process counts on (left by an earlier session): end it, check the PIN.
          try {
            await this.api.logout(this.session);
          } catch (logoutErr) {
            if (!isPkcs11Fault(logoutErr, 'USER_NOT_LOGGED_IN')) return this.fail(logoutErr, { step: 'logging out before logging in' });
          }
          try {
            await this.api.login(this.session, 'user', text);
          } catch (retryErr) {
            if (isPkcs11Fault(retryErr, 'USER_ALREADY_LOGGED_IN')) throw sharedLogin(this.token, retryErr);
            return this.loginFailed(retryErr);
          }
        }
        this.logins.add(this.token.slot, this);
      });
    } finally {
      if (pin instanceof Uint8Array) pin.fill(0);
    }
  }

  /** A failed C_Login (user) as the custodian should read it; inside the session's queue. */
  private async loginFailed(err: unknown): Promise<never> {
    if (isPkcs11Fault(err, 'PIN_INCORRECT')) {
      let flags = 0;
      try {
        flags = (await this.api.getTokenInfo(this.token.slot)).flags;
      } catch {
        // the flags are advice only
      }
      if (flags & CKF.USER_PIN_LOCKED) throw lockedNow(this.token, this.token.moduleFamily, err);
      throw tokenError(err, { step: 'logging in', token: this.token, pinTries: pinTriesOf(flags), family: this.token.moduleFamily });
    }
    return this.fail(err, { step: 'logging in' });
  }

  /**
   * Log in as the security officer (CKU_SO). For a YubiKey through ykcs11 the "SO PIN" is the PIV
   * management key as 48 hex digits, which key generation needs (piv.ts). The secret is zeroed before this
   * returns and never appears in a message.
   */
  async loginSecurityOfficer(secret: Uint8Array): Promise<void> {
    try {
      this.checkOpen('logging in as security officer');
      await this.serial(async () => {
        const text = Buffer.from(secret).toString('hex');
        try {
          await this.api.login(this.session, 'so', text);
        } catch (err) {
          if (isPkcs11Fault(err, 'USER_ALREADY_LOGGED_IN')) {
            this.logins.add(this.token.slot, this);
            return;
          }
          return this.fail(err, { step: 'logging in with the management key' });
        }
        this.logins.add(this.token.slot, this);
      });
    } finally {
      secret.fill(0);
    }
  }

  /** The certificate objects with CKA_ID `id` (label and DER value), e.g. a YubiKey slot's attestation. */
  async certificatesWithId(id: Uint8Array): Promise<Array<{ label: string; der: Uint8Array }>> {
    this.checkOpen('reading certificates');
    const step = 'reading certificates';
    return this.serial(async () => {
      const out: Array<{ label: string; der: Uint8Array }> = [];
      for (const h of await this.find({ class: CKO.CERTIFICATE, id }, step)) {
        try {
          const a = await this.api.getAttributes(this.session, h, ['label', 'value'] as const);
          if (a.value) out.push({ label: a.label ?? '', der: a.value });
        } catch (err) {
          return this.fail(err, { step });
        }
      }
      return out;
    });
  }

  /** Is any object (key or certificate) stored under CKA_ID `id`? For a YubiKey: is that PIV slot taken? */
  async idInUse(id: Uint8Array): Promise<boolean> {
    this.checkOpen('checking a key ID');
    return this.serial(async () => (await this.find({ id }, 'checking whether the key slot is free')).length > 0);
  }

  /**
   * C_Logout: ends the login of every session on this token in this process (PKCS#11 logs in per token,
   * not per session). To finish with one session only, use `close()`.
   */
  async logout(): Promise<void> {
    if (this.closed || !this.loggedIn) return;
    this.logins.clear(this.token.slot);
    await this.serial(async () => {
      try {
        await this.api.logout(this.session);
      } catch (err) {
        if (!isPkcs11Fault(err, 'USER_NOT_LOGGED_IN')) return this.fail(err, { step: 'logging out' });
      }
    });
  }

  /**
   * Close the session. The token is logged out when this was the last session counting on the login.
   * Safe to call twice and after the token was removed.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const last = this.logins.release(this.token.slot, this);
    await this.serial(async () => {
      if (last) {
        try {
          await this.api.logout(this.session);
        } catch {
          // a removed token cannot be logged out of; closing is what matters
        }
      }
      try {
        await this.api.closeSession(this.session);
      } catch {
        // already gone with the token
      }
    });
  }

  /** Re-read the token: throws TOKEN_REMOVED if it is no longer the same token in the slot. */
  async checkPresent(step = 'the next step'): Promise<void> {
    this.checkOpen(step);
    if (!(await this.present())) {
      throw new TokenError('TOKEN_REMOVED', `${describeToken(this.token)} is no longer inserted; insert it again before ${step}`, { token: this.token });
    }
  }

  private async find(template: Attributes, step: string): Promise<ObjectHandle[]> {
    try {
      return await this.api.findObjects(this.session, template);
    } catch (err) {
      return this.fail(err, { step });
    }
  }

  /**
   * Generate a key pair on the token: private key sensitive, non-extractable, sign-only (decrypt, unwrap
   * and derive set false explicitly: SoftHSM grants them otherwise, FIELD-NOTES); refuse a label or ID
   * already used on the token; then read the attributes back (a key the token made extractable is
   * destroyed and refused), read the public key, and sign and verify a test message in software.
   */
  async generateKeyPair(req: GenerateKeyRequest): Promise<TokenKey> {
    this.checkOpen('generating a key');
    const step = `generating ${algorithmTitle(req.algorithm)} key "${req.label}"`;
    if (!req.label || req.label.length > 64 || /[\u0000-\u001f]/.test(req.label)) {
      throw new CeremonyError('USAGE', 'a key label is 1 to 64 printable characters');
    }
    const need = NEEDS[req.algorithm];
    if (!this.token.capabilities[req.algorithm]) {
      throw new TokenError('MECHANISM_UNSUPPORTED', `${describeToken(this.token)} cannot make ${need.what}`, { token: this.token });
    }
    const rsaBits = req.rsaBits ?? 3072;
    if (req.algorithm === 'rsa-pss-sha256') {
      if (!Number.isInteger(rsaBits) || rsaBits < 2048 || rsaBits % 8 !== 0) throw new CeremonyError('USAGE', 'an RSA key is at least 2048 bits, a multiple of 8');
      if (this.token.rsaMaxBits && rsaBits > this.token.rsaMaxBits) {
        throw new TokenError('MECHANISM_UNSUPPORTED', `${describeToken(this.token)} makes RSA keys of at most ${this.token.rsaMaxBits} bits, not ${rsaBits}`, { token: this.token });
      }
    }
    if (this.token.loginRequired && !this.loggedIn) {
      throw new TokenError('TOKEN_LOGIN_REQUIRED', `${describeToken(this.token)} needs the PIN before ${step}`, { token: this.token });
    }
    const id = req.id ?? new Uint8Array(randomBytes(16));
    return this.serial(async () => {
      if ((await this.find({ label: req.label }, step)).length > 0) {
        throw new TokenError('KEY_LABEL_EXISTS', `${describeToken(this.token)} already holds a key labelled "${req.label}"; labels are never reused — choose another`, { token: this.token });
      }
      if ((await this.find({ id }, step)).length > 0) {
        throw new TokenError('KEY_ID_EXISTS', `${describeToken(this.token)} already holds a key with ID ${Buffer.from(id).toString('hex')} (for a YubiKey: that PIV slot is taken)`, {
          token: this.token,
        });
      }
      const templates = generationTemplates(req, id, rsaBits);
      for (const name of privateTemplateRefuses(this.token.moduleFamily)) {
        delete templates.full.privateKey[name];
        delete templates.minimal.privateKey[name];
      }
      const { handles, report } = await this.generateWithFallback(templates, id, step, need.what);
      try {
        report.readBack = await this.readBack(handles.privateKey, step);
        const problems = readbackProblems(report.readBack);
        const tolerated = readbackToleratedUses(this.token.moduleFamily);
        problems.uses = problems.uses.filter((u) => !tolerated.includes(u));
        if (problems.extractable.length) {
          throw new TokenError(
            'TOKEN_KEY_EXTRACTABLE',
            `${describeToken(this.token)} made key "${req.label}" readable from outside (${problems.extractable.join(', ')}, ${report.template} template); the pair was destroyed — use another token`,
            { token: this.token },
          );
        }
        if (problems.uses.length) {
          throw new TokenError(
            'TOKEN_KEY_ATTRIBUTES_UNSAFE',
            `${describeToken(this.token)} made key "${req.label}" with uses a ceremony key must not have (${problems.uses.join(', ')}, ${report.template} template); the pair was destroyed — use another token`,
            { token: this.token },
          );
        }
        const attrs = await this.readPrivate(handles.privateKey, step);
        const spki = await this.readPublic(handles.publicKey, req.algorithm, step);
        // The proof a witness would ask for, on every key made: the read-back is what the token says,
        // this is what it does (NSS softokn wraps a key it reads back as not extractable, measured).
        report.proof = await this.proveNow(handles.privateKey, req.label, req.algorithm);
        const key = new TokenKey(this, this.token, handles.privateKey, req.label, id, req.algorithm, spki, Boolean(attrs.alwaysAuthenticate), this.rehearsal);
        key.generation = report;
        // A YubiKey's new key: its touch policy is not known until the attestation is read (piv.ts), so
        // the self-test below is announced as one that may wait for a touch.
        if (isYubiKeyPiv(this.token)) key.pivTouch = { policy: undefined };
        return key;
      } catch (err) {
        await this.api.destroyObject(this.session, handles.privateKey).catch(() => undefined);
        await this.api.destroyObject(this.session, handles.publicKey).catch(() => undefined);
        throw err;
      }
    }).then(async (key) => {
      // Checked in software after generation: a signature must verify with the public key read back.
      const message = new TextEncoder().encode(`tuf-ceremony self-test ${key.fingerprint}`);
      if (req.selfTestPin) await key.sign(message, 'sha256', { pin: req.selfTestPin, contextLogin: true });
      else if (!key.alwaysAuthenticate) await key.sign(message, 'sha256');
      return key;
    });
  }

  /**
   * C_GenerateKeyPair with the full template, and once more with the minimal one when the module refuses
   * an attribute of the full one (keygen.ts). Anything a refused call left behind under our fresh CKA_ID
   * is destroyed first (the ID was free a moment before, so those objects are ours).
   */
  private async generateWithFallback(t: GenerationTemplates, id: Uint8Array, step: string, what: string): Promise<{ handles: KeyPairHandles; report: GenerationReport }> {
    const skip = minimalTemplateFirst(this.token.moduleFamily);
    if (skip) {
      try {
        const handles = await this.api.generateKeyPair(this.session, t.mechanism, t.minimal.publicKey, t.minimal.privateKey);
        return { handles, report: { template: 'minimal', fullSkipped: skip, readBack: emptyReadback() } };
      } catch (err) {
        return this.fail(err, { step, mechanism: what, template: true });
      }
    }
    try {
      const handles = await this.api.generateKeyPair(this.session, t.mechanism, t.full.publicKey, t.full.privateKey);
      return { handles, report: { template: 'full', readBack: emptyReadback() } };
    } catch (err) {
      if (!isTemplateRefusal(err) || !(await this.present())) return this.fail(err, { step, mechanism: what });
      const fullRefused = (err as Pkcs11Fault).ckr;
      for (const h of await this.find({ id }, step)) await this.api.destroyObject(this.session, h).catch(() => undefined);
      try {
        const handles = await this.api.generateKeyPair(this.session, t.mechanism, t.minimal.publicKey, t.minimal.privateKey);
        return { handles, report: { template: 'minimal', fullRefused, readBack: emptyReadback() } };
      } catch (err2) {
        return this.fail(err2, { step, mechanism: what, template: true });
      }
    }
  }

  /** The private key's safety attributes, each read on its own when the token lacks one (null then). */
  private async readBack(handle: ObjectHandle, step: string): Promise<Readback> {
    try {
      const all = await this.api.getAttributes(this.session, handle, READBACK_ATTRS);
      const out = emptyReadback();
      for (const n of READBACK_ATTRS) out[n] = typeof all[n] === 'boolean' ? all[n] : null;
      return out;
    } catch (err) {
      if (!isPkcs11Fault(err, 'ATTRIBUTE_TYPE_INVALID')) return this.fail(err, { step });
    }
    const out = emptyReadback();
    for (const n of READBACK_ATTRS) {
      try {
        const one = await this.api.getAttributes(this.session, handle, [n] as const);
        out[n] = typeof one[n] === 'boolean' ? (one[n] as boolean) : null;
      } catch (err) {
        if (!isPkcs11Fault(err, 'ATTRIBUTE_TYPE_INVALID')) return this.fail(err, { step });
      }
    }
    return out;
  }

  private async readPrivate(handle: ObjectHandle, step: string): Promise<Pick<Attributes, (typeof KEY_ATTRS)[number]>> {
    try {
      return await this.api.getAttributes(this.session, handle, KEY_ATTRS);
    } catch (err) {
      if (isPkcs11Fault(err, 'ATTRIBUTE_TYPE_INVALID')) {
        // Tokens without CKA_ALWAYS_AUTHENTICATE (PKCS#11 2.20): read the rest.
        try {
          return await this.api.getAttributes(this.session, handle, ['label', 'id', 'keyType', 'sensitive', 'extractable'] as const);
        } catch (err2) {
          return this.fail(err2, { step });
        }
      }
      return this.fail(err, { step });
    }
  }

  /** The SPKI of a public key object, checked to be of `algorithm`. */
  private async readPublic(handle: ObjectHandle, algorithm: KeyAlgorithm, step: string): Promise<Uint8Array> {
    const path = `public key on ${describeToken(this.token)}`;
    let spki: Uint8Array;
    try {
      if (algorithm === 'rsa-pss-sha256') {
        const a = await this.api.getAttributes(this.session, handle, ['modulus', 'publicExponent'] as const);
        spki = spkiOfRsa(a.modulus ?? new Uint8Array(), a.publicExponent ?? new Uint8Array(), path);
      } else {
        const a = await this.api.getAttributes(this.session, handle, ['ecParams', 'ecPoint'] as const);
        const curve = algorithmOfEcParams(a.ecParams ?? new Uint8Array());
        if (curve !== algorithm) throw new CeremonyError('KEY_INVALID', `the token's public key is on another curve than ${algorithmTitle(algorithm)}`, { path });
        spki = spkiOfPoint(curve, unwrapEcPoint(a.ecPoint ?? new Uint8Array(), pointLength(curve), path), path);
      }
    } catch (err) {
      if (err instanceof CeremonyError) throw err;
      return this.fail(err, { step });
    }
    const decoded = decodeSpki(spki, path);
    if (decoded.algorithm !== algorithm) throw new CeremonyError('KEY_INVALID', `the token's public key is ${decoded.algorithm}, not ${algorithm}`, { path });
    return decoded.spki;
  }

  private algorithmOf(keyType: number | undefined, ecParams: Uint8Array | undefined, modulusBits: number): KeyAlgorithm | undefined {
    if (keyType === CKK.RSA) return modulusBits >= 2048 ? 'rsa-pss-sha256' : undefined;
    if (keyType === CKK.EC || keyType === CKK.EC_EDWARDS) return ecParams ? algorithmOfEcParams(ecParams) : undefined;
    return undefined;
  }

  /** Describe one private key and find its public key (same CKA_ID, else same label). */
  private async inspect(handle: ObjectHandle, step: string): Promise<{ listing: TokenKeyListing; spki: Uint8Array | undefined }> {
    const attrs = await this.readPrivate(handle, step);
    const label = attrs.label ?? '';
    const id = attrs.id ?? new Uint8Array();
    const listing: TokenKeyListing = {
      label,
      id,
      algorithm: undefined,
      fingerprint: undefined,
      sensitive: Boolean(attrs.sensitive),
      extractable: Boolean(attrs.extractable),
      alwaysAuthenticate: Boolean(attrs.alwaysAuthenticate),
      problem: undefined,
    };
    let pubs = id.length ? await this.find({ class: CKO.PUBLIC_KEY, id }, step) : [];
    if (pubs.length === 0 && label) pubs = await this.find({ class: CKO.PUBLIC_KEY, label }, step);
    if (pubs.length !== 1) {
      listing.problem = pubs.length === 0 ? 'no public key object with the same ID or label' : 'several public key objects share its ID';
      return { listing, spki: undefined };
    }
    const pub = pubs[0]!;
    let params: Uint8Array | undefined;
    let bits = 0;
    try {
      if (attrs.keyType === CKK.RSA) {
        const a = await this.api.getAttributes(this.session, pub, ['modulus'] as const);
        bits = (a.modulus?.length ?? 0) * 8;
      } else if (attrs.keyType === CKK.EC || attrs.keyType === CKK.EC_EDWARDS) {
        params = (await this.api.getAttributes(this.session, pub, ['ecParams'] as const)).ecParams;
      }
    } catch (err) {
      return this.fail(err, { step });
    }
    const algorithm = this.algorithmOf(attrs.keyType, params, bits);
    if (!algorithm) {
      listing.problem = 'a key type or size the profiles do not accept';
      return { listing, spki: undefined };
    }
    listing.algorithm = algorithm;
    try {
      const spki = await this.readPublic(pub, algorithm, step);
      listing.fingerprint = createHash('sha256').update(spki).digest('hex');
      if (!listing.sensitive || listing.extractable) listing.problem = 'the private key can be read out of the token';
      return { listing, spki };
    } catch (err) {
      if (err instanceof CeremonyError && err.code === 'KEY_INVALID') {
        listing.problem = err.message;
        return { listing, spki: undefined };
      }
      throw err;
    }
  }

  /** Every private key on the token (after login: private objects are hidden before it), described. */
  async listKeys(): Promise<TokenKeyListing[]> {
    this.checkOpen('listing keys');
    const step = 'listing the keys';
    return this.serial(async () => {
      const handles = await this.find({ class: CKO.PRIVATE_KEY }, step);
      const out: TokenKeyListing[] = [];
      for (const h of handles) out.push((await this.inspect(h, step)).listing);
      return out;
    });
  }

  /**
   * Every public key object the session can see — before login, the ones the token does not hide — with
   * its algorithm and fingerprint. Needs no PIN: what the Tokens screen lists, and how the expected key
   * of a custodian is recognised before the PIN is asked.
   */
  async listPublicKeys(): Promise<PublicKeyListing[]> {
    this.checkOpen('listing public keys');
    const step = 'listing the public keys';
    return this.serial(async () => {
      const handles = await this.find({ class: CKO.PUBLIC_KEY }, step);
      const out: PublicKeyListing[] = [];
      for (const handle of handles) {
        const listing: PublicKeyListing = { label: '', id: new Uint8Array(), algorithm: undefined, fingerprint: undefined, problem: undefined };
        out.push(listing);
        let keyType: number | undefined;
        try {
          const a = await this.api.getAttributes(this.session, handle, ['label', 'id', 'keyType'] as const);
          listing.label = a.label ?? '';
          listing.id = a.id ?? new Uint8Array();
          keyType = a.keyType;
        } catch (err) {
          if (!isPkcs11Fault(err, 'ATTRIBUTE_TYPE_INVALID')) return this.fail(err, { step });
          listing.problem = 'its label, ID or key type cannot be read';
          continue;
        }
        let params: Uint8Array | undefined;
        let bits = 0;
        try {
          if (keyType === CKK.RSA) bits = ((await this.api.getAttributes(this.session, handle, ['modulus'] as const)).modulus?.length ?? 0) * 8;
          else if (keyType === CKK.EC || keyType === CKK.EC_EDWARDS) params = (await this.api.getAttributes(this.session, handle, ['ecParams'] as const)).ecParams;
        } catch (err) {
          if (!isPkcs11Fault(err, 'ATTRIBUTE_TYPE_INVALID')) return this.fail(err, { step });
        }
        const algorithm = this.algorithmOf(keyType, params, bits);
        if (!algorithm) {
          listing.problem = 'a key type or size the profiles do not accept';
          continue;
        }
        listing.algorithm = algorithm;
        try {
          const spki = await this.readPublic(handle, algorithm, step);
          listing.spki = spki;
          listing.fingerprint = createHash('sha256').update(spki).digest('hex');
        } catch (err) {
          if (!(err instanceof CeremonyError && err.code === 'KEY_INVALID')) throw err;
          listing.problem = err.message;
        }
      }
      return out;
    });
  }

  /**
   * The one usable key matching `selector` (label and/or ID), whose public key has the recorded
   * fingerprint when one is given. Refuses extractable keys: a ceremony key must not be readable.
   */
  async findKey(selector: KeySelector): Promise<TokenKey> {
    this.checkOpen('finding a key');
    if (!selector.label && !selector.id && !selector.fingerprint) throw new CeremonyError('USAGE', 'choose a key by label, ID or fingerprint');
    const what = selector.label ? `key "${selector.label}"` : selector.id ? `key ID ${Buffer.from(selector.id).toString('hex')}` : `key ${selector.fingerprint!.slice(0, 16)}…`;
    const step = `finding ${what}`;
    return this.serial(async () => {
      const template: Attributes = { class: CKO.PRIVATE_KEY };
      if (selector.label) template.label = selector.label;
      if (selector.id) template.id = selector.id;
      const handles = await this.find(template, step);
      const found: { handle: ObjectHandle; listing: TokenKeyListing; spki: Uint8Array }[] = [];
      const other: TokenKeyListing[] = [];
      for (const handle of handles) {
        const { listing, spki } = await this.inspect(handle, step);
        if (spki && (!selector.fingerprint || listing.fingerprint === selector.fingerprint)) found.push({ handle, listing, spki });
        else other.push(listing);
      }
      if (found.length === 0) {
        const stranger = other.find((l) => l.fingerprint);
        if (selector.fingerprint && stranger) {
          throw new TokenError('TOKEN_KEY_NOT_FOUND', `${what} on ${describeToken(this.token)} has fingerprint ${stranger.fingerprint!.slice(0, 16)}…, not the expected ${selector.fingerprint.slice(0, 16)}…: it is not the expected key`, {
            token: this.token,
          });
        }
        const problem = other.find((l) => l.problem)?.problem;
        throw new TokenError('TOKEN_KEY_NOT_FOUND', `${describeToken(this.token)} holds no usable ${what}${problem ? ` (${problem})` : ''}${this.loggedIn ? '' : '; log in first: private keys are hidden until then'}`, {
          token: this.token,
        });
      }
      if (found.length > 1) throw new CeremonyError('USAGE', `${found.length} keys on ${describeToken(this.token)} match ${what}; choose by ID or fingerprint`);
      const { handle, listing, spki } = found[0]!;
      if (!listing.sensitive || listing.extractable) {
        throw new TokenError('TOKEN_KEY_EXTRACTABLE', `${what} on ${describeToken(this.token)} can be read out of the token; a ceremony key must be sensitive and non-extractable`, {
          token: this.token,
        });
      }
      return new TokenKey(this, this.token, handle, listing.label, listing.id, listing.algorithm!, spki, listing.alwaysAuthenticate, this.rehearsal);
    }).then(async (key) => {
      if (isYubiKeyPiv(this.token)) key.pivTouch = { policy: await this.pivTouchPolicy(key.id) };
      return key;
    });
  }

  /**
   * A YubiKey key's touch policy, as its slot's attestation certificate states it (extension
   * 1.3.6.1.4.1.41482.3.8; ykcs11 makes the certificate with ATTEST on reading it). Only to decide whether
   * to say "touch your YubiKey" — the attestation is verified where it is evidence (piv.ts, src/attestation)
   * — so anything unreadable is "unknown", which says it. Public objects: no PIN needed (the app's co-sign
   * screen reads it before the PIN, to say "touch" as the signature will).
   */
  async pivTouchPolicy(id: Uint8Array): Promise<TouchPolicy | undefined> {
    try {
      const cert = (await this.certificatesWithId(id)).find((c) => c.label.startsWith('X.509 Certificate for PIV Attestation'));
      if (!cert) return undefined;
      const policy = parseYubicoAttestation(cert.der, '', 'attestation').touchPolicy;
      return policy === 'unknown' ? undefined : policy;
    } catch {
      return undefined;
    }
  }

  /**
   * Try to read the private key out, as a witness would: its secret attribute (CKA_VALUE for EC and
   * EdDSA keys, CKA_PRIVATE_EXPONENT for RSA) must be refused, and wrapping it with a fresh session AES
   * key must be refused. Throws TOKEN_KEY_EXTRACTABLE if either succeeds; returns how the token refused,
   * for the transcript.
   */
  async proveNotExtractable(key: TokenKey): Promise<ExtractionReport> {
    this.checkOpen('checking the key cannot be read out');
    const handle = key.handleFor(this);
    return this.serial(() => this.proveNow(handle, key.label, key.algorithm));
  }

  /** The proof, inside the session's queue (generateKeyPair runs it before the key is handed out). */
  private async proveNow(handle: ObjectHandle, label: string, algorithm: KeyAlgorithm): Promise<ExtractionReport> {
    const step = `checking key "${label}" cannot be read out`;
    const report: ExtractionReport = { value: '', wrap: '' };
    try {
      const got = await this.api.getAttributes(this.session, handle, [algorithm === 'rsa-pss-sha256' ? 'privateExponent' : 'value'] as const);
      // Secret bytes the token should never have returned: wiped before refusing.
      got.privateExponent?.fill(0);
      got.value?.fill(0);
      throw new TokenError('TOKEN_KEY_EXTRACTABLE', `${describeToken(this.token)} returned the private value of key "${label}": the key is not protected; use another token`, { token: this.token });
    } catch (err) {
      if (err instanceof CeremonyError) throw err;
      if (!isPkcs11Fault(err) || !(err.is('ATTRIBUTE_SENSITIVE') || err.is('ATTRIBUTE_TYPE_INVALID'))) return this.fail(err, { step });
      report.value = `refused (${err.ckr})`;
    }
    let wrapping: ObjectHandle;
    try {
      wrapping = await this.api.generateKey(this.session, { type: CKM.AES_KEY_GEN }, { class: CKO.SECRET_KEY, keyType: CKK.AES, token: false, valueLen: 32, wrap: true, encrypt: true });
    } catch (err) {
      if (isPkcs11Fault(err) && typeof err.rv === 'number' && !isRemoval(err.rv)) {
        report.wrap = `not possible: the token makes no AES wrapping key (${err.ckr})`;
        return report;
      }
      return this.fail(err, { step });
    }
    try {
      const wrapped = await this.api.wrapKey(this.session, { type: CKM.AES_KEY_WRAP_PAD }, wrapping, handle);
      wrapped.fill(0);
      // NSS softokn does this for a key that reads back CKA_EXTRACTABLE=false (measured): the read-back lies.
      throw new TokenError('TOKEN_KEY_EXTRACTABLE', `${describeToken(this.token)} wrapped key "${label}" out of the token although it reads back as not extractable: the key is not protected; use another token`, {
        token: this.token,
      });
    } catch (err) {
      if (err instanceof CeremonyError) throw err;
      if (!isPkcs11Fault(err) || typeof err.rv !== 'number' || isRemoval(err.rv)) return this.fail(err, { step });
      report.wrap = `refused (${err.ckr})`;
    } finally {
      await this.api.destroyObject(this.session, wrapping).catch(() => undefined);
    }
    return report;
  }

  /** TokenKeyPort: one signature through the token, serialised with the session's other calls. */
  signRaw(handle: ObjectHandle, mechanism: Mechanism, input: Uint8Array, step: string, contextPin?: Uint8Array | string): Promise<Uint8Array> {
    try {
      this.checkOpen(step);
    } catch (err) {
      if (contextPin instanceof Uint8Array) contextPin.fill(0);
      return Promise.reject(err);
    }
    return this.serial(async () => {
      const pin = contextPin === undefined ? undefined : pinToString(contextPin);
      try {
        return await this.api.sign(this.session, mechanism, handle, input, pin);
      } catch (err) {
        return this.fail(err, { step });
      } finally {
        if (contextPin instanceof Uint8Array) contextPin.fill(0);
      }
    });
  }
}

function isRemoval(rv: number): boolean {
  return rv === CKR.DEVICE_REMOVED || rv === CKR.TOKEN_NOT_PRESENT || rv === CKR.SESSION_HANDLE_INVALID || rv === CKR.SESSION_CLOSED;
}

/** The module answers "already logged in" for a token whose PIN this process never checked. */
function sharedLogin(token: TokenRef, cause: unknown): TokenError {
  return new TokenError(
    'TOKEN_LOGIN_SHARED',
    `${describeToken(token)} answers "already logged in" without checking the PIN: this module shares one login across its tokens (opencryptoki's soft tokens do), so the PIN cannot be verified; use one token of this module per process (one custodian's token per run)`,
    { token, rv: 'CKR_USER_ALREADY_LOGGED_IN', cause },
  );
}

function lockedNow(token: TokenRef, family: ModuleFamily, cause: unknown): TokenError {
  return new TokenError('PIN_LOCKED', pinLockedMessage(describeToken(token), family, true), { token, rv: 'CKR_PIN_INCORRECT', cause });
}

function emptyReadback(): Readback {
  return { sensitive: null, extractable: null, sign: null, decrypt: null, unwrap: null, derive: null, alwaysSensitive: null, neverExtractable: null };
}
