/**
 * The custodians' tokens as the ceremony machine sees them: open the expected token (shown before any PIN
 * is asked, so a wrong token is caught before it is used), generate a key on it, find a key made before an
 * interruption by its label and recorded fingerprint. Two providers:
 *
 * - rehearsal tokens (src/signers/rehearsal.ts: SoftHSM2 or in-process software tokens), opened and
 *   logged in beforehand, one per custodian, marked as rehearsal everywhere;
 * - real PKCS#11 tokens through TokenModule, chosen by the site bindings, logged in with a PIN fetched
 *   from the bindings' source at the moment of use and zeroed by the token layer.
 */
import { CeremonyError, isCeremonyError } from '../errors.js';
import type { KeyAlgorithm } from '../profiles/profile.js';
import { describeToken, type TokenRef } from '../signers/pkcs11/errors.js';
import { installHint, resolvePreset } from '../signers/pkcs11/presets.js';
import type { TokenDescription, TokenModule, TokenSession } from '../signers/pkcs11/token.js';
import { readPivAttestation, type PivAttestationCertificates } from '../signers/pkcs11/piv-attestation.js';
import { TokenKey } from '../signers/pkcs11/token-signer.js';
import { asksAgain, loginAsking, type PinRetry } from '../signers/pkcs11/pin-retry.js';
import { algorithmTitle, type SigningKey } from '../signers/signing-key.js';
import { REHEARSAL_NOTICE, type RehearsalKind, type RehearsalToken } from '../signers/rehearsal.js';
import type { PlanCustodian } from './plan.js';
import type { CustodianBinding, PivKeyRole, SiteBindings } from './site-bindings.js';
import type { AttestationTrust } from '../attestation/yubico-pki.js';
import { TokenError } from '../signers/pkcs11/errors.js';
import { generateOnYubiKey, type YubiKeyGenerated } from '../signers/pkcs11/piv.js';
import { decideSlot, idOfSlot, isYubiKeyPiv, parseManagementKey, RETIRED_SLOTS, slotOfId, type PivSlot } from '../signers/pkcs11/piv-slots.js';

/** What the transcript says of a real token beyond (serial, label): where it was found and what it is. */
export interface TokenIdentity {
  slotDescription: string;
  module: string;
  moduleFamily: string;
  /** Module start-up parameters, when given (NSS softokn). */
  libraryParameters: string | undefined;
  /** The software model (SoftHSM2, swtpm, NSS softokn, opencryptoki soft token), or undefined. */
  software: string | undefined;
  /** False: another token on the module has the same serial (or it is all zeros). */
  serialUnique: boolean;
  manufacturer: string;
  model: string;
}

export interface CeremonyToken {
  readonly custodian: string;
  readonly token: TokenRef;
  readonly rehearsal: boolean;
  /** Real tokens: slot, module, software model (undefined for in-memory rehearsal tokens). */
  readonly identity?: TokenIdentity | undefined;
  /**
   * Generate a key pair on the token; the key has signed and verified a test message already. `id` is the
   * CKA_ID to give it (recorded before generation, so an interrupted generation is found by it).
   */
  generateKey(algorithm: KeyAlgorithm, label: string, id?: Uint8Array): Promise<SigningKey>;
  /**
   * A key made earlier: by CKA_ID and the recorded fingerprint when known (the label is a hint: some modules
   * ignore or rewrite labels), else by label.
   */
  findKey(label: string, fingerprint?: string, id?: Uint8Array): Promise<SigningKey>;
  /** Whether the token can make this key type (undefined: it will say when asked). */
  canMake?(algorithm: KeyAlgorithm): boolean | undefined;
  /**
   * YubiKey only: the CKA_ID (one byte: the PIV slot) for a new key of `role`, from the site bindings or
   * proposed and confirmed; refused (nothing written) when that slot is taken. Undefined for other tokens
   * (the caller picks a random 16-byte ID).
   */
  pivKeyId?(role: PivKeyRole): Promise<Uint8Array | undefined>;
  /**
   * The token's proof that `key` was generated on it (today: a YubiKey's PIV attestation and f9
   * certificates, unverified — the caller verifies them), `{ missing }` when a token that should give one
   * did not, or null when the token has no such proof. Absent (rehearsal tokens): null.
   */
  attestation?(key: SigningKey): Promise<PivAttestationCertificates | { missing: string } | null>;
}

/** A custodian's token found inserted before the first PIN. */
export interface PresentToken {
  custodian: string;
  token: TokenRef;
}

/** A key the ceremony made on a token before an interruption, as shown before the PIN is asked. */
export interface ExpectedKey {
  label: string;
  fingerprint: string;
  /** CKA_ID in hex, when recorded. */
  keyId?: string | undefined;
}

export interface TokenProvider {
  /** Rehearsal tokens, and of which kind; undefined for real tokens. */
  readonly rehearsal: { kind: RehearsalKind; notice: string } | undefined;
  /**
   * Tokens made for this run (rehearse): the serials a plan names cannot match them, so they stand in
   * for the planned tokens, and the transcript says so.
   */
  readonly standIn: boolean;
  /**
   * The custodian's token, opened and logged in (the same object on later calls). `expected` is the token
   * recorded before an interruption: another token is refused (TOKEN_NOT_PRESENT); `keys` are the keys
   * made on it before, shown with the token before the PIN is asked. `needs` are the key types the plan
   * asks of the token: one it cannot make is refused (MECHANISM_UNSUPPORTED) before the PIN is asked.
   */
  open(custodian: PlanCustodian, expected?: TokenRef, keys?: readonly ExpectedKey[], needs?: readonly KeyAlgorithm[]): Promise<CeremonyToken>;
  close(): Promise<void>;
  /**
   * Every custodian's token found and named, without a login, before the first PIN is asked (issue #16):
   * all missing tokens are named at once (TOKEN_NOT_PRESENT). Rehearsal providers have nothing to check.
   */
  checkPresence?(custodians: readonly PlanCustodian[], recorded: Readonly<Record<string, TokenRef | undefined>>): Promise<PresentToken[]>;
  /** Whether the plan allows software tokens in a ceremony that is not a rehearsal (default: refused). */
  setSoftwarePolicy?(allow: boolean): void;
}

/**
 * A token that cannot make a key type the plan asks of it (its mechanism list, read without a login):
 * refused before the PIN, as nothing could be done with the login (MECHANISM_UNSUPPORTED).
 */
export function refuseMissingMechanisms(custodian: string, token: TokenDescription, needs: readonly KeyAlgorithm[]): void {
  const missing = needs.filter((alg) => !token.capabilities[alg]);
  if (missing.length === 0) return;
  throw new CeremonyError(
    'MECHANISM_UNSUPPORTED',
    `${custodian}'s ${describeToken(token)} cannot make ${missing.map(algorithmTitle).join(' or ')} keys, which the plan asks of it; use a token that can, or a plan with another key type (no PIN was asked)`,
  );
}

/**
 * A software token offered for a real ceremony whose plan does not allow it: refused before the PIN
 * (TOKEN_SOFTWARE). Rehearsals take any token; a plan may allow them, reviewed.
 */
export function refuseSoftwareToken(custodian: string, token: TokenRef, software: string | undefined, allowed: boolean, rehearsal: boolean): void {
  if (!software || allowed || rehearsal) return;
  throw new CeremonyError(
    'TOKEN_SOFTWARE',
    `${custodian}'s ${describeToken(token)} is a software token (${software}): its keys would be files on this computer, not held by hardware. Use a hardware token, run a rehearsal, or have the reviewed plan say "allowSoftwareTokens": true (no PIN was asked)`,
  );
}

/**
 * The token recorded before an interruption, and no other: the pair (serial, label) — on tpm2-pkcs11 and
 * NSS every token has serial 0000000000000000, so the serial alone would accept another custodian's token.
 */
export function sameToken(custodian: string, got: TokenRef, expected: TokenRef | undefined): void {
  if (expected && (got.serial !== expected.serial || (expected.label !== '' && got.label !== expected.label))) {
    throw new CeremonyError(
      'TOKEN_NOT_PRESENT',
      `${custodian}'s token is ${describeToken(got)}, but the interrupted ceremony used ${describeToken(expected)}; insert that token (keys made before the interruption are on it)`,
    );
  }
}

/** Rehearsal tokens, one per custodian by name (openRehearsalTokens). */
export class RehearsalTokenProvider implements TokenProvider {
  readonly rehearsal: { kind: RehearsalKind; notice: string };
  readonly standIn = true;
  private readonly byName: Map<string, RehearsalToken>;

  constructor(tokens: readonly RehearsalToken[]) {
    if (tokens.length === 0) throw new CeremonyError('USAGE', 'a rehearsal needs its tokens');
    this.byName = new Map(tokens.map((t) => [t.custodian, t]));
    this.rehearsal = { kind: tokens[0]!.kind, notice: tokens[0]!.notice };
  }

  async open(custodian: PlanCustodian, expected?: TokenRef): Promise<CeremonyToken> {
    const t = this.byName.get(custodian.name);
    if (!t) throw new CeremonyError('TOKEN_NOT_PRESENT', `no rehearsal token was made for custodian ${JSON.stringify(custodian.name)}`);
    sameToken(custodian.name, t.token, expected);
    return t;
  }

  async close(): Promise<void> {
    for (const t of this.byName.values()) await t.close().catch(() => undefined);
  }
}

/** A logged-in TokenSession as a CeremonyToken. */
class SessionToken implements CeremonyToken {
  readonly rehearsal: boolean;
  readonly token: TokenRef;

  readonly identity: TokenIdentity;

  constructor(
    readonly custodian: string,
    readonly session: TokenSession,
    libraryParameters: string | undefined,
    private readonly person: PlanCustodian,
    private readonly binding: CustodianBinding,
    private readonly deps: Pkcs11ProviderDeps,
  ) {
    this.rehearsal = session.rehearsal;
    const t = session.token;
    this.token = { label: t.label, serial: t.serial };
    this.identity = {
      slotDescription: t.slotDescription,
      module: t.module,
      moduleFamily: t.moduleFamily,
      libraryParameters,
      software: t.softwareModel,
      serialUnique: t.serialUnique,
      manufacturer: t.manufacturer,
      model: t.model,
    };
  }

  /** The PIN again, from the bindings' source, for a key that asks for it before every signature (9c). */
  private readonly pinAgain = (): Promise<Uint8Array> => this.deps.pin(this.person, this.binding, this.session.token);

  async generateKey(algorithm: KeyAlgorithm, label: string, id?: Uint8Array): Promise<SigningKey> {
    if (isYubiKeyPiv(this.session.token)) return this.generateOnYubiKey(algorithm, label, id);
    return (await this.session.generateKeyPair({ algorithm, label, ...(id ? { id } : {}) })).withPinSource(this.pinAgain);
  }

  async findKey(label: string, fingerprint?: string, id?: Uint8Array): Promise<SigningKey> {
    const fp = fingerprint ? { fingerprint } : {};
    return (await this.session.findKey(id?.length ? { id, ...fp } : { label, ...fp })).withPinSource(this.pinAgain);
  }

  async pivKeyId(role: PivKeyRole): Promise<Uint8Array | undefined> {
    const token = this.session.token;
    if (!isYubiKeyPiv(token)) return undefined;
    const bound = this.binding.piv?.slots[role];
    const occupied = new Set<string>();
    for (const slot of bound ? [bound] : RETIRED_SLOTS) if (await this.session.idInUse(idOfSlot(slot))) occupied.add(slot);
    const decision = decideSlot(bound, occupied, `${this.custodian}'s ${describeToken(token)}`);
    if (decision.kind === 'refuse') throw new TokenError(decision.code, decision.message, { token });
    if (decision.kind === 'propose') {
      const yes = this.deps.confirmSlot ? await this.deps.confirmSlot(this.person, token, role, decision.slot) : false;
      if (!yes) {
        throw new CeremonyError(
          'PIV_SLOT_DECLINED',
          `the site bindings name no PIV slot for ${this.custodian}'s ${role} key, and the proposed slot ${decision.slot} (the first empty retired slot) was not confirmed; nothing was written — confirm it, or name a slot in the bindings ("piv": {"slots": {"${role}": "…"}})`,
        );
      }
    }
    return idOfSlot(decision.slot);
  }

  /**
   * A YubiKey key (piv.ts): the management key logs in as SO (ykcs11 refuses generation to a user login,
   * and an SO login to a session a user is logged in to), the key is made in the slot `id` names and
   * self-tested with a context-specific PIN login, the attestation verified; then the custodian's user
   * login is restored for the signatures that follow.
   */
  private async generateOnYubiKey(algorithm: KeyAlgorithm, label: string, id: Uint8Array | undefined): Promise<SigningKey> {
    const token = this.session.token;
    const slot = id?.length === 1 ? slotOfId(id) : undefined;
    if (!slot) throw new CeremonyError('INTERNAL', `no PIV slot was chosen for ${this.custodian}'s key on ${describeToken(token)}`);
    if (algorithm !== 'ecdsa-p256' && algorithm !== 'ecdsa-p384') {
      throw new TokenError('MECHANISM_UNSUPPORTED', `${describeToken(token)} makes ECDSA P-256 and P-384 keys through ykcs11, not ${algorithmTitle(algorithm)}`, { token });
    }
    if (!this.deps.managementKey) throw new CeremonyError('USAGE', `${describeToken(token)} is a YubiKey: its PIV management key is needed to make a key, and no source for it was given`);
    // The first key is asked before the custodian's login is ended: a cancel here (or a source that
    // cannot give one) stops the step with its own refusal, the token untouched and no PIN asked.
    let next: { key: Uint8Array; isDefault: boolean } | undefined = await this.managementKeyOnce(token, undefined);
    let made: YubiKeyGenerated | undefined;
    let failure: { err: unknown } | undefined;
    let keySourceFailed = false;
    try {
      await this.session.logout();
      // A wrong management key writes nothing (the SO login fails first): a person at a prompt or dialog
      // is asked again with the reason, as after a wrong PIN; a source that cannot ask again (an
      // environment variable) throws `retry.error`. A YubiKey has no retry counter for this key.
      let retry: ManagementKeyRetry | undefined;
      while (!made) {
        if (!next) {
          try {
            next = await this.managementKeyOnce(token, retry);
          } catch (err) {
            keySourceFailed = true;
            throw err;
          }
        }
        const parsed = next;
        next = undefined;
        try {
          made = await generateOnYubiKey(this.session, {
            slot,
            allowSlots: this.binding.piv?.allowSlots ?? [],
            algorithm,
            label,
            managementKey: parsed.key,
            managementKeyIsDefault: parsed.isDefault,
            pin: await this.pinAgain(),
            ...(this.deps.attestationTrust ? { attestationTrust: this.deps.attestationTrust } : {}),
            warn: (m) => this.deps.warn?.(m),
          });
        } catch (err) {
          const wrongTries = (retry?.wrongTries ?? 0) + 1;
          if (!isCeremonyError(err) || err.code !== 'MANAGEMENT_KEY_INCORRECT' || wrongTries >= MAX_MANAGEMENT_KEY_TRIES) throw err;
          retry = { message: `${describeToken(token)} did not accept the PIV management key; nothing was written to it. Check the key (48 hex digits) and enter it again.`, wrongTries, error: err };
        } finally {
          parsed.key.fill(0);
        }
      }
    } catch (err) {
      failure = { err };
      throw err;
    } finally {
      next?.key.fill(0);
      // Ends the SO login, whatever happened. After a success the custodian is logged in again for the
      // signatures that follow. After a cancelled (or refused) management key the step stops: no PIN is
      // asked just to log back in (the provider is closed when a run stops). After another failure the
      // login is restored, but a refusal there never hides the failure that stopped the step.
      await this.session.logout();
      if (!keySourceFailed) {
        try {
          await this.session.login(await this.pinAgain());
        } catch (err) {
          if (!failure) throw err;
        }
      }
    }
    return made.key.withPinSource(this.pinAgain);
  }

  /** The management key from the bindings' source, parsed; the source's bytes are zeroed at once. */
  private async managementKeyOnce(token: TokenDescription, retry: ManagementKeyRetry | undefined): Promise<{ key: Uint8Array; isDefault: boolean }> {
    const text = await this.deps.managementKey!(this.person, this.binding, token, retry);
    try {
      return parseManagementKey(new TextDecoder().decode(text));
    } finally {
      text.fill(0);
    }
  }

  canMake(algorithm: KeyAlgorithm): boolean {
    return this.session.token.capabilities[algorithm];
  }

  async attestation(key: SigningKey): Promise<PivAttestationCertificates | { missing: string } | null> {
    if (!(key instanceof TokenKey)) return null;
    return readPivAttestation(this.session, key.id);
  }
}

/** Wrong management keys accepted in one generation before it stops (a safety net, as MAX_PIN_TRIES). */
export const MAX_MANAGEMENT_KEY_TRIES = 5;

/** Why the management key is asked again: the YubiKey refused the last one (MANAGEMENT_KEY_INCORRECT). */
export interface ManagementKeyRetry {
  /** A plain sentence naming the token; never the key. */
  message: string;
  /** Wrong keys given so far in this generation. */
  wrongTries: number;
  /** The refusal itself: a source that cannot ask again (an environment variable) throws it. */
  error: CeremonyError;
}

export interface Pkcs11ProviderDeps {
  /** TokenModule.load (tests pass a fake backend through it). */
  load(path: string, opts: { installHint?: string; libraryParameters?: string }): Promise<TokenModule>;
  /** Whether a module file exists (src/io/softhsm.ts moduleFileExists). */
  exists(path: string): boolean;
  platform: string;
  /**
   * Called once the expected token is found, before the PIN is asked: show who and what (the CLI prints
   * it; a custodian confirms the token in their hand is the one named).
   */
  announce(custodian: PlanCustodian, token: TokenDescription, keys: readonly ExpectedKey[]): void | Promise<void>;
  /**
   * The PIN, fetched at the moment of use from the binding's source; zeroed by the token layer. Asked
   * again with `retry` after a wrong PIN (pin-retry.ts); a source that cannot ask again throws
   * `retry.error`.
   */
  pin(custodian: PlanCustodian, binding: CustodianBinding, token: TokenDescription, retry?: PinRetry): Promise<Uint8Array>;
  /** Told which tokens are inserted, once all were found (before the first PIN). */
  present?(found: readonly PresentToken[]): void;
  /**
   * YubiKey: the PIV management key as 48 hex digits (UTF-8 bytes, zeroed after use), from the source
   * `binding.piv.managementKey` names (an environment variable, or asked without echo). Never stored.
   */
  managementKey?(custodian: PlanCustodian, binding: CustodianBinding, token: TokenDescription, retry?: ManagementKeyRetry): Promise<Uint8Array>;
  /**
   * YubiKey: the bindings name no slot for this key; may `slot` (the first empty retired one) be used? The
   * CLI asks on the terminal, the app asks the custodian; no answer is no.
   */
  confirmSlot?(custodian: PlanCustodian, token: TokenDescription, role: PivKeyRole, slot: PivSlot): Promise<boolean>;
  /** Shown loudly: the factory-default management key warning. */
  warn?(message: string): void;
  /** For tests and private PKIs only: attestation roots instead of Yubico's (never mixed with them). */
  attestationTrust?: AttestationTrust;
}

/** Real tokens chosen by the site bindings. */
export class Pkcs11TokenProvider implements TokenProvider {
  readonly standIn = false;
  private rehearsal_: { kind: RehearsalKind; notice: string } | undefined;
  private readonly open_ = new Map<string, SessionToken>();
  private readonly modules = new Map<string, Promise<TokenModule>>();
  private allowSoftware = false;

  constructor(
    private readonly bindings: SiteBindings,
    private readonly deps: Pkcs11ProviderDeps,
  ) {}

  /**
   * Rehearsal when any module is a rehearsal module (SoftHSM2): PRODUCT.md §2.8, the same plan on
   * rehearsal tokens is a rehearsal, and the transcript must say so. Known after `loadModules()`.
   */
  get rehearsal(): { kind: RehearsalKind; notice: string } | undefined {
    return this.rehearsal_;
  }

  setSoftwarePolicy(allow: boolean): void {
    this.allowSoftware = allow;
  }

  /** Load every module the bindings name (no PIN is needed), before the ceremony starts. */
  async loadModules(): Promise<void> {
    for (const binding of this.bindings.custodians.values()) {
      const mod = await this.module(binding);
      if (mod.rehearsal) this.rehearsal_ = { kind: 'softhsm2', notice: REHEARSAL_NOTICE.softhsm2 };
    }
  }

  private async module(binding: CustodianBinding): Promise<TokenModule> {
    const m = binding.module;
    const path = 'preset' in m ? resolvePreset(m.preset, this.deps.platform, (p) => this.deps.exists(p)) : m.path;
    let loading = this.modules.get(path);
    if (!loading) {
      const opts: { installHint?: string; libraryParameters?: string } = {};
      if ('preset' in m) opts.installHint = installHint(m.preset, this.deps.platform);
      if (m.parameters) opts.libraryParameters = m.parameters;
      loading = this.deps.load(path, opts);
      this.modules.set(path, loading);
      loading.catch(() => this.modules.delete(path));
    }
    return loading;
  }

  async checkPresence(custodians: readonly PlanCustodian[], recorded: Readonly<Record<string, TokenRef | undefined>>): Promise<PresentToken[]> {
    const found: PresentToken[] = [];
    const missing: string[] = [];
    for (const custodian of custodians) {
      const opened = this.open_.get(custodian.name);
      if (opened) {
        found.push({ custodian: custodian.name, token: opened.token });
        continue;
      }
      const binding = this.bindings.custodians.get(custodian.name);
      if (!binding) throw new CeremonyError('BINDINGS_INVALID', `custodian ${JSON.stringify(custodian.name)} has no site binding`, { path: `$.custodians.${custodian.name}` });
      const mod = await this.module(binding);
      const expected = recorded[custodian.name];
      const label = expected?.label || binding.token.label;
      const serial = expected ? expected.serial : binding.token.serial;
      try {
        const session = await mod.openToken({ ...(serial ? { serial } : {}), ...(label ? { label } : {}) });
        try {
          sameToken(custodian.name, session.token, expected);
          found.push({ custodian: custodian.name, token: { label: session.token.label, serial: session.token.serial } });
        } finally {
          await session.close();
        }
      } catch (err) {
        if (!(err instanceof CeremonyError) || (err.code !== 'TOKEN_NOT_PRESENT' && err.code !== 'TOKEN_REMOVED')) throw err;
        missing.push(`${custodian.name}'s token${label ? ` "${label}"` : ''}${serial ? ` (serial ${serial})` : ''}`);
      }
    }
    if (missing.length) {
      const present = found.map((f) => `${f.custodian}'s ${describeToken(f.token)}`);
      throw new CeremonyError(
        'TOKEN_NOT_PRESENT',
        `not every custodian's token is inserted: missing ${missing.join(', ')}${present.length ? `; present ${present.join(', ')}` : ''}. Insert the missing tokens and start again (no PIN was asked)`,
      );
    }
    this.deps.present?.(found);
    return found;
  }

  async open(custodian: PlanCustodian, expected?: TokenRef, keys: readonly ExpectedKey[] = [], needs: readonly KeyAlgorithm[] = []): Promise<CeremonyToken> {
    const already = this.open_.get(custodian.name);
    if (already) {
      sameToken(custodian.name, already.token, expected);
      return already;
    }
    const binding = this.bindings.custodians.get(custodian.name);
    if (!binding) throw new CeremonyError('BINDINGS_INVALID', `custodian ${JSON.stringify(custodian.name)} has no site binding`, { path: `$.custodians.${custodian.name}` });
    const mod = await this.module(binding);
    // The pair (serial, label) as recorded, else as the plan and bindings give it; either alone is enough
    // while it picks one token (the token layer refuses two matches as TOKEN_AMBIGUOUS).
    const label = expected?.label || binding.token.label;
    const serial = expected ? expected.serial : binding.token.serial;
    const selector = { ...(serial ? { serial } : {}), ...(label ? { label } : {}) };
    const session = await mod.openToken(selector);
    try {
      sameToken(custodian.name, session.token, expected);
      refuseSoftwareToken(custodian.name, session.token, session.token.softwareModel, this.allowSoftware, session.rehearsal);
      refuseMissingMechanisms(custodian.name, session.token, needs);
      await this.deps.announce(custodian, session.token, keys);
      if (session.token.loginRequired && !session.isLoggedIn) {
        // A custodian at a prompt or dialog is asked again after a wrong PIN; a PIN from the environment is
        // tried once (a second try with the same PIN would only count towards the lockout).
        const ask = (token: TokenDescription, retry?: PinRetry) => this.deps.pin(custodian, binding, token, retry);
        await loginAsking(session, binding.pin.kind === 'prompt' ? asksAgain(ask) : ask);
      }
    } catch (err) {
      await session.close();
      throw err;
    }
    const t = new SessionToken(custodian.name, session, binding.module.parameters, custodian, binding, this.deps);
    this.open_.set(custodian.name, t);
    return t;
  }

  async close(): Promise<void> {
    for (const t of this.open_.values()) await t.session.close().catch(() => undefined);
    this.open_.clear();
  }
}
