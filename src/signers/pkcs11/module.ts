/**
 * A loaded PKCS#11 module: loaded and C_Initialize'd once per process per path (FIELD-NOTES), listing its
 * slots and tokens, opening the expected token before any PIN is asked, and setting up rehearsal tokens.
 */
import { CeremonyError } from '../../errors.js';
import { isPkcs11Fault, type ModuleInfo, type Pkcs11Api } from './api.js';
import { describeToken, tokenError, TokenError, type FaultContext } from './errors.js';
import { GrapheneBackend } from './graphene-backend.js';
import { describe, type SlotDescription, type TokenDescription, type TokenSelector } from './identity.js';
import { LoginRegistry } from './login-registry.js';
import { TokenSession } from './session.js';

const shared = new Map<string, Promise<TokenModule>>();

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
  ) {}

  /**
   * Load and initialise the module at `path`. Pass `api` to use another backend (the test fake);
   * without it the graphene backend is used and shared per path. `installHint` is shown when the file is
   * missing (presets.ts `installHint`).
   */
  static async load(path: string, opts: { api?: Pkcs11Api; installHint?: string; rehearsal?: boolean } = {}): Promise<TokenModule> {
    if (!path) throw new CeremonyError('USAGE', 'a PKCS#11 module path is required');
    const open = async (api: Pkcs11Api, key: string | undefined): Promise<TokenModule> => {
      try {
        const info = await api.initialize(path);
        return new TokenModule(api, info, opts.rehearsal ?? /softhsm/i.test(info.manufacturer), key);
      } catch (err) {
        throw tokenError(err, { step: 'loading the module', modulePath: path, installHint: opts.installHint });
      }
    };
    if (opts.api) return open(opts.api, undefined);
    const existing = shared.get(path);
    if (existing) return existing;
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
            token = describe(slot, await this.api.getTokenInfo(slot.id), await this.api.getMechanisms(slot.id));
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
   * Open the expected token: by serial (preferred: labels can repeat), by label, or both — then a token
   * whose serial matches but label does not is refused as the wrong token, before any PIN is asked.
   */
  async openToken(selector: TokenSelector): Promise<TokenSession> {
    this.check();
    if (!selector.serial && !selector.label) throw new CeremonyError('USAGE', 'choose a token by serial or label');
    const slots = await this.listSlots();
    const tokens = slots.flatMap((s) => (s.token?.initialized ? [s.token] : []));
    const wanted = selector.serial && selector.label ? `token "${selector.label}" (serial ${selector.serial})` : selector.serial ? `the token with serial ${selector.serial}` : `token "${selector.label}"`;
    const matches = tokens.filter((t) => (selector.serial ? t.serial === selector.serial : t.label === selector.label));
    if (matches.length === 0) {
      const present = tokens.length ? tokens.map((t) => describeToken(t)).join(', ') : 'none';
      const unreadable = slots.filter((s) => s.problem);
      const extra = unreadable.length ? `; ${unreadable.length} more could not be read (${unreadable.map((s) => s.problem).join(', ')})` : '';
      throw new TokenError('TOKEN_NOT_PRESENT', `${wanted} is not inserted (tokens present: ${present}${extra})`);
    }
    if (selector.serial && selector.label) {
      const wrong = matches.find((t) => t.label !== selector.label);
      if (wrong) throw new TokenError('TOKEN_NOT_PRESENT', `the token with serial ${wrong.serial} is labelled "${wrong.label}", not "${selector.label}": it is not the expected token`, { token: wrong });
    }
    if (matches.length > 1) {
      throw new CeremonyError('USAGE', `${matches.length} tokens are labelled "${selector.label}"; choose one by serial (${matches.map((t) => t.serial).join(', ')})`);
    }
    const token = matches[0]!;
    try {
      const session = await this.api.openSession(token.slot, true);
      return new TokenSession(this.api, token, session, this.rehearsal, this.logins);
    } catch (err) {
      throw tokenError(err, { token, step: 'opening a session' });
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
