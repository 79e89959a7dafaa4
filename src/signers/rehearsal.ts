/**
 * Rehearsal tokens (PRODUCT.md §2.8): SoftHSM2 when it is installed — the same PKCS#11 path as hardware,
 * so a rehearsal exercises the real code — and otherwise an in-process software token. Either way every
 * token and every key says it is a rehearsal (`rehearsal: true`, a notice to show, key origins marked),
 * so nothing made here can be mistaken for a hardware-held key.
 */
import { randomBytes } from 'node:crypto';
import { CeremonyError } from '../errors.js';
import type { KeyAlgorithm } from '../profiles/profile.js';
import type { TokenRef } from './pkcs11/errors.js';
import { TokenModule, type TokenSession } from './pkcs11/token.js';
import { algorithmTitle, type SigningKey } from './signing-key.js';
import { isSoftwareAlgorithm, SoftwareKey } from './software.js';

export type RehearsalKind = 'softhsm2' | 'software';

export const REHEARSAL_NOTICE: Record<RehearsalKind, string> = {
  softhsm2: 'REHEARSAL: SoftHSM2 software token, not hardware. Keys made here must never protect a real repository.',
  software: 'REHEARSAL: in-process software token (SoftHSM2 is not installed), not hardware. Keys made here must never protect a real repository.',
};

/** SoftHSM2 when its module is installed, the software token otherwise. */
export function chooseRehearsalKind(softhsmInstalled: boolean): RehearsalKind {
  return softhsmInstalled ? 'softhsm2' : 'software';
}

export interface RehearsalToken {
  readonly rehearsal: true;
  readonly kind: RehearsalKind;
  readonly notice: string;
  /** Label and serial, as a hardware token would show them. */
  readonly token: TokenRef;
  readonly custodian: string;
  /** Generate a key on the token (label never reused). */
  generateKey(algorithm: KeyAlgorithm, label: string, id?: Uint8Array): Promise<SigningKey>;
  /** A key generated earlier, checked against the recorded fingerprint when given. */
  findKey(label: string, fingerprint?: string, id?: Uint8Array): Promise<SigningKey>;
  /** Log out and close (SoftHSM2), or wipe every key (software). */
  close(): Promise<void>;
}

/** PKCS#11 token labels are 32 bytes, space padded. */
function tokenLabel(custodian: string): string {
  let label = `rehearsal ${custodian}`;
  while (Buffer.byteLength(label, 'utf8') > 32) label = label.slice(0, -1);
  return label;
}

class SoftwareRehearsalToken implements RehearsalToken {
  readonly rehearsal = true;
  readonly kind = 'software';
  readonly notice = REHEARSAL_NOTICE.software;
  readonly token: TokenRef;
  private readonly keys = new Map<string, SoftwareKey>();

  constructor(
    readonly custodian: string,
    serial: string,
  ) {
    this.token = { label: tokenLabel(custodian), serial };
  }

  async generateKey(algorithm: KeyAlgorithm, label: string): Promise<SigningKey> {
    if (!isSoftwareAlgorithm(algorithm)) {
      throw new CeremonyError('MECHANISM_UNSUPPORTED', `the in-process rehearsal token makes Ed25519 and ECDSA keys, not ${algorithmTitle(algorithm)}`);
    }
    if (this.keys.has(label)) throw new CeremonyError('KEY_LABEL_EXISTS', `rehearsal token "${this.token.label}" already holds a key labelled "${label}"`);
    const key = SoftwareKey.generate(algorithm, { label, rehearsal: true });
    this.keys.set(label, key);
    return key;
  }

  async findKey(label: string, fingerprint?: string): Promise<SigningKey> {
    const key = this.keys.get(label);
    if (!key || (fingerprint !== undefined && key.fingerprint !== fingerprint)) {
      throw new CeremonyError('TOKEN_KEY_NOT_FOUND', `rehearsal token "${this.token.label}" holds no key "${label}"${key ? ' with the recorded fingerprint' : ''}`);
    }
    return key;
  }

  async close(): Promise<void> {
    for (const key of this.keys.values()) key.dispose();
    this.keys.clear();
  }
}

/**
 * A rehearsal token over a logged-in PKCS#11 session: SoftHSM2's here, and the bench's tokens on its timed
 * module (bench/repositories.ts, SoftHSM2 or tpm2-pkcs11 on swtpm, with the notice it gives).
 */
export class SessionRehearsalToken implements RehearsalToken {
  readonly rehearsal = true;
  readonly kind = 'softhsm2';
  readonly token: TokenRef;

  constructor(
    readonly custodian: string,
    private readonly session: TokenSession,
    readonly notice: string = REHEARSAL_NOTICE.softhsm2,
  ) {
    this.token = { label: session.token.label, serial: session.token.serial };
  }

  async generateKey(algorithm: KeyAlgorithm, label: string, id?: Uint8Array): Promise<SigningKey> {
    return (await this.session.generateKeyPair({ algorithm, label, ...(id ? { id } : {}) })).asRehearsal();
  }

  async findKey(label: string, fingerprint?: string, id?: Uint8Array): Promise<SigningKey> {
    // By CKA_ID and fingerprint when recorded; the label is a hint (some modules rewrite labels).
    const selector = id?.length ? { id, ...(fingerprint ? { fingerprint } : {}) } : { label, ...(fingerprint ? { fingerprint } : {}) };
    return (await this.session.findKey(selector)).asRehearsal();
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

export interface RehearsalTokensOptions {
  custodians: readonly string[];
  /**
   * A SoftHSM2 module loaded with SOFTHSM2_CONF naming a rehearsal directory (src/io/softhsm.ts
   * `prepareSoftHsmDir`); without it, software tokens are used.
   */
  softhsm?: TokenModule;
}

/**
 * One rehearsal token per custodian, logged in and ready. SoftHSM2 tokens are initialised in free slots
 * with random SO and user PINs that are used once, to log in, and dropped: the session stays logged in
 * until `close()`.
 */
export async function openRehearsalTokens(opts: RehearsalTokensOptions): Promise<RehearsalToken[]> {
  if (opts.custodians.length === 0) throw new CeremonyError('USAGE', 'a rehearsal needs at least one custodian');
  if (new Set(opts.custodians).size !== opts.custodians.length) throw new CeremonyError('USAGE', 'custodian names must differ');
  if (!opts.softhsm) {
    return opts.custodians.map((c, i) => new SoftwareRehearsalToken(c, `software-${i + 1}-${randomBytes(4).toString('hex')}`));
  }
  const mod = opts.softhsm;
  if (!mod.rehearsal) throw new CeremonyError('USAGE', `the module ${mod.path} is not marked as a rehearsal module`);
  const out: RehearsalToken[] = [];
  try {
    for (const custodian of opts.custodians) {
      const soPin = randomBytes(12).toString('hex');
      const userPin = randomBytes(12).toString('hex');
      const described = await mod.initializeRehearsalToken(tokenLabel(custodian), soPin, userPin);
      const session = await mod.openToken({ serial: described.serial, label: described.label });
      try {
        await session.login(userPin);
      } catch (err) {
        await session.close();
        throw err;
      }
      out.push(new SessionRehearsalToken(custodian, session));
    }
  } catch (err) {
    for (const t of out) await t.close().catch(() => undefined);
    throw err;
  }
  return out;
}

/**
 * Load SoftHSM2 for a rehearsal: set SOFTHSM2_CONF (read once, when the module initialises) and load
 * the module marked as rehearsal. `confPath` comes from src/io/softhsm.ts `prepareSoftHsmDir`.
 */
export async function loadRehearsalSoftHsm(modulePath: string, confPath: string): Promise<TokenModule> {
  process.env.SOFTHSM2_CONF = confPath;
  return TokenModule.load(modulePath, { rehearsal: true });
}
