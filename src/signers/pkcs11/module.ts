/**
 * A loaded PKCS#11 module: loaded and C_Initialize'd once per process per path (FIELD-NOTES), listing its
 * slots and tokens, opening the expected token before any PIN is asked, and setting up rehearsal tokens.
 */
import { CeremonyError } from '../../errors.js';
import { isPkcs11Fault, type ModuleInfo, type Pkcs11Api } from './api.js';
import { describeToken, tokenError, TokenError, type FaultContext } from './errors.js';
import { GrapheneBackend } from './graphene-backend.js';
import { familyOf, familyOfPath, type ModuleFamily } from './quirks.js';
import { describe, markSharedSerials, type SlotDescription, type TokenDescription, type TokenSelector } from './identity.js';
import { LoginRegistry } from './login-registry.js';
import { TokenSession } from './session.js';

const shared = new Map<string, Promise<TokenModule>>();

export interface LoadOptions {
  api?: Pkcs11Api;
  installHint?: string;
  rehearsal?: boolean;
  /** The module's start-up string for C_Initialize (NSS softokn: `configdir='sql:DIR' …`). */
  libraryParameters?: string | undefined;
}

/**
 * A loaded, initialised PKCS#11 module. `TokenModule.load(path)` returns the same instance for the same
 * path within a process (C_Initialize once, FIELD-NOTES); `finalize()` once, on quit.
 */
export class TokenModule {
  private finalized = false;
  private readonly logins = new LoginRegistry();

  private constructor(
    readonly api: Pkcs11Api,
    readonly info: ModuleInfo,
    /** Keys from this module are rehearsal keys: SoftHSM2 always, or when the caller says so. */
    readonly rehearsal: boolean,
    private readonly sharedKey: string | undefined,
    /** The start-up string given to C_Initialize (NSS softokn), shown in transcripts; never a secret. */
    readonly libraryParameters: string | undefined,
  ) {
    this.family = familyOf(info);
  }

  /** Which module this is, for per-module behaviour (quirks.ts). */
  readonly family: ModuleFamily;

  /**
   * Load and initialise the module at `path`. Pass `api` to use another backend (the test fake);
   * without it the graphene backend is used and shared per path. `installHint` is shown when the file is
   * missing (presets.ts `installHint`). `libraryParameters` is the module's start-up string (NSS softokn).
   */
  static async load(path: string, opts: LoadOptions = {}): Promise<TokenModule> {
    if (!path) throw new CeremonyError('USAGE', 'a PKCS#11 module path is required');
    const params = opts.libraryParameters || undefined;
    const open = async (api: Pkcs11Api, key: string | undefined): Promise<TokenModule> => {
      try {
        const info = await api.initialize(path, params ? { libraryParameters: params } : {});
        return new TokenModule(api, info, opts.rehearsal ?? familyOf(info) === 'softhsm2', key, params);
      } catch (err) {
        throw tokenError(err, { step: 'loading the module', modulePath: path, installHint: opts.installHint, family: familyOfPath(path), hasParameters: params !== undefined });
      }
    };
    if (opts.api) return open(opts.api, undefined);
    const existing = shared.get(path);
    if (existing) {
      // One library is initialised once per process: a second start-up string cannot take effect.
      const mod = await existing;
      if (mod.libraryParameters !== params) {
        throw new CeremonyError('USAGE', `the PKCS#11 module ${path} is already loaded in this process with other start-up parameters; use one set of parameters per module`);
      }
      return mod;
    }
    const loading = open(new GrapheneBackend(), path);
    shared.set(path, loading);
    loading.catch(() => shared.delete(path));
    return loading;
  }

  get path(): string {
    return this.info.path;
  }

  /** Whether the shared registry already holds a module for `path` (loaded by someone else in this process). */
  static isLoaded(path: string): boolean {
    return shared.has(path);
  }

  private check(): void {
    if (this.finalized) throw new CeremonyError('TOKEN_MODULE_INVALID', `the PKCS#11 module ${this.info.path} was already closed`);
  }

  /** Every slot, with its token described (capabilities included) when one is present. */
  async listSlots(): Promise<SlotDescription[]> {
    this.check();
    const ctx: FaultContext = { step: 'listing the tokens', modulePath: this.info.path };
    try {
      const slots = await this.api.getSlots(false);
      const out: SlotDescription[] = [];
      for (const slot of slots) {
        let token: TokenDescription | undefined;
        let problem: string | undefined;
        if (slot.tokenPresent) {
          try {
            token = describe(slot, await this.api.getTokenInfo(slot.id), await this.api.getMechanisms(slot.id), { path: this.info.path, family: this.family });
          } catch (err) {
            // One unreadable token (pulled out while listing, unrecognised, deleted) must not hide the
            // others: it is listed without a description.
            if (!isPkcs11Fault(err) || typeof err.rv !== 'number') throw err;
            problem = err.ckr;
          }
        }
        const entry: SlotDescription = { slot: slot.id, description: slot.description, manufacturer: slot.manufacturer, removable: slot.removable, hardware: slot.hardware, token };
        if (problem) entry.problem = problem;
        out.push(entry);
      }
      markSharedSerials(out.flatMap((e) => (e.token ? [e.token] : [])));
      return out;
    } catch (err) {
      throw tokenError(err, ctx);
    }
  }

  /** The tokens present (initialised or not). */
  async listTokens(): Promise<TokenDescription[]> {
    return (await this.listSlots()).flatMap((s) => (s.token ? [s.token] : []));
  }

  /**
   * Open the expected token. A token is the pair (serial, label): some modules give every token the same
   * serial (tpm2-pkcs11, NSS softokn: `0000000000000000`, FIELD-NOTES), so the serial alone, or the label
   * alone, is enough only while it picks one token. A token whose serial matches but label does not is
   * refused as the wrong token, before any PIN is asked; two tokens with the same pair are TOKEN_AMBIGUOUS
   * (never "the first one").
   */
  async openToken(selector: TokenSelector): Promise<TokenSession> {
    this.check();
    if (!selector.serial && !selector.label) throw new CeremonyError('USAGE', 'choose a token by serial or label (or both)');
    const slots = await this.listSlots();
    const tokens = slots.flatMap((s) => (s.token?.initialized ? [s.token] : []));
    const wanted = selector.serial && selector.label ? `token "${selector.label}" (serial ${selector.serial})` : selector.serial ? `the token with serial ${selector.serial}` : `token "${selector.label}"`;
    const bySerial = selector.serial ? tokens.filter((t) => t.serial === selector.serial) : tokens;
    const matches = selector.label ? bySerial.filter((t) => t.label === selector.label) : bySerial;
    if (matches.length === 0) {
      if (selector.serial && selector.label && bySerial.length === 1) {
        const wrong = bySerial[0]!;
        throw new TokenError('TOKEN_NOT_PRESENT', `the token with serial ${wrong.serial} is labelled "${wrong.label}", not "${selector.label}": it is not the expected token`, { token: wrong });
      }
      const present = tokens.length ? tokens.map((t) => describeToken(t)).join(', ') : 'none';
      const unreadable = slots.filter((s) => s.problem);
      const extra = unreadable.length ? `; ${unreadable.length} more could not be read (${unreadable.map((s) => s.problem).join(', ')})` : '';
      throw new TokenError('TOKEN_NOT_PRESENT', `${wanted} is not inserted (tokens present: ${present}${extra})`);
    }
    if (matches.length > 1) {
      const serials = new Set(matches.map((t) => t.serial));
      const labels = new Set(matches.map((t) => t.label));
      if (!selector.serial && serials.size === matches.length) {
        throw new CeremonyError('USAGE', `${matches.length} tokens are labelled "${selector.label}"; choose one by serial too (${matches.map((t) => t.serial).join(', ')})`);
      }
      const hint = !selector.label && labels.size === matches.length ? `choose one by label too (${matches.map((t) => `"${t.label}"`).join(', ')})` : 'relabel one of them with its vendor tool so each custodian\'s token has its own label';
      throw new TokenError(
        'TOKEN_AMBIGUOUS',
        `${matches.length} tokens on this module match ${wanted} (slots: ${matches.map((t) => `"${t.slotDescription}"`).join(', ')}); the serial is not unique on this module — ${hint}`,
      );
    }
    const token = matches[0]!;
    try {
      const session = await this.api.openSession(token.slot, true);
      return new TokenSession(this.api, token, session, this.rehearsal, this.logins);
    } catch (err) {
      throw tokenError(err, { token, step: 'opening a session', family: this.family });
    }
  }

  /**
   * Rehearsal only: initialise the token in a free slot (one that is not initialised — an initialised
   * token is never erased) with `label`, SO PIN and user PIN. Returns its description.
   */
  async initializeRehearsalToken(label: string, soPin: string, userPin: string): Promise<TokenDescription> {
    this.check();
    const free = (await this.listTokens()).find((t) => !t.initialized);
    if (!free) throw new TokenError('TOKEN_NOT_PRESENT', 'no free (uninitialised) token slot for a rehearsal token');
    const ctx: FaultContext = { step: 'initialising a rehearsal token', modulePath: this.info.path };
    try {
      await this.api.initToken(free.slot, soPin, label);
      const token = (await this.listTokens()).find((t) => t.initialized && t.label === label && t.slot === free.slot) ?? (await this.listTokens()).find((t) => t.label === label);
      if (!token) throw new TokenError('TOKEN_NOT_PRESENT', `the rehearsal token "${label}" did not appear after initialisation`);
      const session = await this.api.openSession(token.slot, true);
      try {
        await this.api.login(session, 'so', soPin);
        await this.api.initPin(session, userPin);
        await this.api.logout(session);
      } finally {
        await this.api.closeSession(session);
      }
      return (await this.listTokens()).find((t) => t.serial === token.serial) ?? token;
    } catch (err) {
      throw tokenError(err, ctx);
    }
  }

  /** C_Finalize; call once, on quit. Sessions opened from this module are unusable afterwards. */
  async finalize(): Promise<void> {
    if (this.finalized) return;
    this.finalized = true;
    if (this.sharedKey) shared.delete(this.sharedKey);
    try {
      await this.api.finalize();
    } catch (err) {
      throw tokenError(err, { step: 'closing the module', modulePath: this.info.path });
    }
  }
}

/** For tests and quit handlers: finalise every module loaded through the shared registry. */
export async function finalizeAllModules(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  for (const loading of all) {
    const mod = await loading.catch(() => undefined);
    await mod?.finalize();
  }
}
