/**
 * The Tokens channels' work, over the token layer (src/signers/pkcs11): load a module (one per path per
 * process, finalised on quit), list slots, tokens and the public keys each token shows without a PIN,
 * check that the chosen token is the expected one, and generate a key on it with a PIN handed in once.
 *
 * The PIN (PRODUCT.md §1, custodians "never see a PIN echoed"): it arrives in one IPC payload, is turned
 * into bytes at once, is checked against nothing but the token, and the bytes are zeroed by the login
 * (and again here, whatever happens). It is never logged, never returned, never put in an error message
 * (the layer's messages name the token, not the PIN) and not kept: the session logs out and closes before
 * the handler returns. A JavaScript string cannot be wiped; the handler holds no reference to it after
 * encoding it.
 *
 * The expected token is matched BEFORE the login: by serial (and label), and by a public key it must hold
 * when a fingerprint is given, so a wrong token is refused without the PIN ever reaching it.
 *
 * Opening the expected token, resolving presets and generating a key are the shared core in
 * src/signers/token-keys.ts (the CLI's `tokens generate` / `tokens export` call the same functions);
 * this file adds the process-wide module registry and the views the renderer shows.
 */
import { CeremonyError } from '../../src/errors.js';
import { describeRoles, firstExpiry, parseInventory, type KeyInventory } from '../../src/ceremony/inventory.js';
import { shortDigest } from '../../src/crypto/digest-words.js';
import { moduleFileExists } from '../../src/io/softhsm.js';
import type { KeyAlgorithm } from '../../src/profiles/profile.js';
import { TokenModule, tokenSummary, type PublicKeyListing, type TokenDescription, type TokenSession } from '../../src/signers/pkcs11/token.js';
import type { TouchPolicy } from '../../src/attestation/yubico-extensions.js';
import { isYubiKeyPiv } from '../../src/signers/pkcs11/piv-slots.js';
import { generateTokenKey, loadModule, openExpectedToken, type ModuleLoader, type TokenModuleDeps } from '../../src/signers/token-keys.js';
import type {
  ExpectedToken,
  FingerprintView,
  GeneratedKeyView,
  TokenKeyView,
  TokenModuleView,
  TokenRefView,
  TokensCheckResult,
  TokenSlotView,
  TokenView,
} from '../shared/api-types.js';

export { resolveModule, type ModuleLoader } from '../../src/signers/token-keys.js';

/**
 * The modules this process loaded, one per path (C_Initialize once, FIELD-NOTES), kept until quit.
 * A load that failed is forgotten, so installing the module and trying again works without a restart.
 */
export class TokenModules implements ModuleLoader {
  private readonly loaded = new Map<string, Promise<TokenModule>>();
  private closed = false;

  constructor(private readonly loader: (path: string, opts: { installHint?: string }) => Promise<TokenModule> = (path, opts) => TokenModule.load(path, opts)) {}

  load(path: string, opts: { installHint?: string } = {}): Promise<TokenModule> {
    if (this.closed) return Promise.reject(new CeremonyError('TOKEN_MODULE_INVALID', 'the app is closing: PKCS#11 modules are being finalised'));
    const existing = this.loaded.get(path);
    if (existing) return existing;
    const loading = this.loader(path, opts);
    this.loaded.set(path, loading);
    loading.catch(() => {
      if (this.loaded.get(path) === loading) this.loaded.delete(path);
    });
    return loading;
  }

  /** C_Finalize every module loaded here; on quit. Failures are ignored: the process is ending. */
  async finalizeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.loaded.values()];
    this.loaded.clear();
    for (const loading of all) {
      const mod = await loading.catch(() => undefined);
      await mod?.finalize().catch(() => undefined);
    }
  }
}

/** Main passes one `TokenModules` as `modules` for the whole process and finalises it on quit. */
export type TokenDeps = TokenModuleDeps;

export function defaultTokenDeps(modules: ModuleLoader = new TokenModules()): TokenDeps {
  return { modules, moduleExists: moduleFileExists, platform: process.platform };
}

// --- views -------------------------------------------------------------------------------------------

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fingerprintView(sha256Hex: string): FingerprintView {
  const d = shortDigest(sha256Hex);
  return { sha256: d.sha256, hex: d.hex, words: d.words };
}

function keyView(k: PublicKeyListing, inventory?: KeyInventory): TokenKeyView {
  const out: TokenKeyView = { label: k.label, id: hex(k.id) };
  if (k.algorithm) out.algorithm = k.algorithm;
  if (k.fingerprint) out.fingerprint = fingerprintView(k.fingerprint);
  if (k.problem) out.problem = k.problem;
  // The key inventory (issue #17): what the key signs for, and until when, joined by fingerprint.
  const known = inventory && k.fingerprint ? inventory.keys.find((x) => x.fingerprint === k.fingerprint) : undefined;
  if (inventory) out.roles = known ? describeRoles(known) : [];
  if (known?.custodian) out.custodian = known.custodian;
  const first = known ? firstExpiry(known) : undefined;
  if (first) out.firstExpiry = first;
  return out;
}

function tokenView(t: TokenDescription, keys: TokenKeyView[], keysProblem?: string): TokenView {
  const out: TokenView = { ...tokenSummary(t), keys };
  if (keysProblem) out.keysProblem = keysProblem;
  return out;
}

// --- modules -----------------------------------------------------------------------------------------

/** The public keys a token shows without the PIN; a failure is reported beside the token, not instead of it. */
async function publicKeysOf(mod: TokenModule, t: TokenDescription, inventory?: KeyInventory): Promise<{ keys: TokenKeyView[]; problem?: string }> {
  let session: TokenSession | undefined;
  try {
    // The pair: tokens on tpm2-pkcs11 and NSS share serial 0000000000000000 (FIELD-NOTES).
    session = await mod.openToken({ serial: t.serial, label: t.label });
    return { keys: (await session.listPublicKeys()).map((k) => keyView(k, inventory)) };
  } catch (err) {
    return { keys: [], problem: err instanceof CeremonyError ? err.message : 'the keys could not be listed' };
  } finally {
    await session?.close();
  }
}

export async function listTokens(req: { module: string; inventory?: Uint8Array }, deps: TokenDeps): Promise<TokenModuleView> {
  // Refused before the module is touched: a damaged inventory says nothing about anyone's keys.
  const inventory = req.inventory ? parseInventory(req.inventory) : undefined;
  const { mod, resolved } = await loadModule(req.module, deps);
  const slots: TokenSlotView[] = [];
  for (const s of await mod.listSlots()) {
    const slot: TokenSlotView = { description: s.description, removable: s.removable, hardware: s.hardware };
    if (s.problem) slot.problem = s.problem;
    if (s.token) {
      if (s.token.initialized) {
        const { keys, problem } = await publicKeysOf(mod, s.token, inventory);
        slot.token = tokenView(s.token, keys, problem);
      } else {
        slot.token = tokenView(s.token, []);
      }
    }
    slots.push(slot);
  }
  const v = mod.info.libraryVersion;
  const out: TokenModuleView = {
    path: mod.path,
    manufacturer: mod.info.manufacturer,
    description: mod.info.description,
    libraryVersion: `${v.major}.${v.minor}`,
    rehearsal: mod.rehearsal,
    slots,
  };
  if (resolved.preset) out.preset = resolved.preset;
  return out;
}

// --- the expected token, before any PIN ---------------------------------------------------------------

export async function checkToken(req: { module: string; token: TokenRefView; expected?: ExpectedToken | undefined }, deps: TokenDeps): Promise<TokensCheckResult> {
  const { session, keys, expectedKey } = await openExpectedToken(req, deps);
  try {
    const out: TokensCheckResult = { token: tokenView(session.token, keys.map((k) => keyView(k))) };
    if (expectedKey) out.key = keyView(expectedKey);
    return out;
  } finally {
    await session.close();
  }
}

/**
 * A YubiKey key's touch policy, as its slot's attestation states it (the same reading TokenKey.sign uses
 * to say "Touch your YubiKey now", src/signers/pkcs11/piv-touch.ts), before any PIN: "unknown" when it
 * cannot be read; undefined for a token that is not a YubiKey.
 */
export async function keyTouchPolicy(req: { module: string; token: TokenRefView; keyId: string }, deps: TokenDeps): Promise<TouchPolicy | undefined> {
  const { session } = await openExpectedToken({ module: req.module, token: req.token }, deps);
  try {
    if (!isYubiKeyPiv(session.token)) return undefined;
    return (await session.pivTouchPolicy(Uint8Array.from(Buffer.from(req.keyId, 'hex')))) ?? 'unknown';
  } finally {
    await session.close();
  }
}

// --- key generation (the one place a PIN is used) ------------------------------------------------------

export interface GenerateKeyInput {
  module: string;
  token: TokenRefView;
  expected?: ExpectedToken | undefined;
  algorithm: KeyAlgorithm;
  keyLabel: string;
  /** CKA_ID in hex; random when absent. */
  keyId?: string | undefined;
  /** UTF-8 PIN bytes; zeroed before this returns, whatever happens. */
  pin: Uint8Array;
}

export async function generateKey(req: GenerateKeyInput, deps: TokenDeps): Promise<GeneratedKeyView> {
  try {
    // The shared core (src/signers/token-keys.ts): the PIN is handed over only once the token was checked.
    const pin = req.pin;
    return await generateTokenKey({ module: req.module, token: req.token, expected: req.expected, algorithm: req.algorithm, label: req.keyLabel, id: req.keyId, pin: async () => pin }, deps);
  } finally {
    req.pin.fill(0);
  }
}

/** The IPC payload's PIN as bytes (UTF-8, what pkcs11js sends); the caller zeroes them. */
export function pinBytes(pin: string): Uint8Array {
  return new TextEncoder().encode(pin);
}
