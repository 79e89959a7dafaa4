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
 */
import { CeremonyError } from '../../src/errors.js';
import { pemOf } from '../../src/crypto/public-key.js';
import { shortDigest } from '../../src/crypto/digest-words.js';
import { moduleFileExists } from '../../src/io/softhsm.js';
import type { KeyAlgorithm } from '../../src/profiles/profile.js';
import { describeToken, TokenError } from '../../src/signers/pkcs11/errors.js';
import { installHint, isModulePreset, resolvePreset, type ModulePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule, type PublicKeyListing, type TokenDescription, type TokenSession } from '../../src/signers/pkcs11/token.js';
import { listPublicKey, notaryBareKeyId } from '../../src/signers/public-key-json.js';
import { algorithmTitle } from '../../src/signers/signing-key.js';
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

/** Loads modules; main passes one `TokenModules` for the whole process and finalises it on quit. */
export interface ModuleLoader {
  load(path: string, opts: { installHint?: string }): Promise<TokenModule>;
}

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

export interface TokenDeps {
  modules: ModuleLoader;
  /** Whether a module file exists (a preset uses the first of its candidate paths that does). */
  moduleExists: (path: string) => boolean;
  /** `process.platform`: which preset paths apply. */
  platform: string;
}

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

function keyView(k: PublicKeyListing): TokenKeyView {
  const out: TokenKeyView = { label: k.label, id: hex(k.id) };
  if (k.algorithm) out.algorithm = k.algorithm;
  if (k.fingerprint) out.fingerprint = fingerprintView(k.fingerprint);
  if (k.problem) out.problem = k.problem;
  return out;
}

function tokenView(t: TokenDescription, keys: TokenKeyView[], keysProblem?: string): TokenView {
  const out: TokenView = {
    label: t.label,
    serial: t.serial,
    manufacturer: t.manufacturer,
    model: t.model,
    initialized: t.initialized,
    pinStatus: t.pinStatus,
    loginRequired: t.loginRequired,
    protectedAuthenticationPath: t.protectedAuthenticationPath,
    minPinLength: t.minPinLength,
    maxPinLength: t.maxPinLength,
    keyTypes: (Object.keys(t.capabilities) as KeyAlgorithm[]).filter((k) => t.capabilities[k]),
    rsaMaxBits: t.rsaMaxBits,
    keys,
  };
  if (keysProblem) out.keysProblem = keysProblem;
  return out;
}

function refOf(t: { label: string; serial: string }): TokenRefView {
  return { label: t.label, serial: t.serial };
}

// --- modules -----------------------------------------------------------------------------------------

interface ResolvedModule {
  path: string;
  preset: ModulePreset | undefined;
  installHint: string | undefined;
}

/** A preset to the first of its paths on this machine, or the absolute path as given (the schema checked it). */
export function resolveModule(module: string, deps: Pick<TokenDeps, 'moduleExists' | 'platform'>): ResolvedModule {
  if (isModulePreset(module)) {
    return { path: resolvePreset(module, deps.platform, deps.moduleExists), preset: module, installHint: installHint(module, deps.platform) };
  }
  return { path: module, preset: undefined, installHint: undefined };
}

async function loadModule(module: string, deps: TokenDeps): Promise<{ mod: TokenModule; resolved: ResolvedModule }> {
  const resolved = resolveModule(module, deps);
  const mod = await deps.modules.load(resolved.path, resolved.installHint ? { installHint: resolved.installHint } : {});
  return { mod, resolved };
}

/** The public keys a token shows without the PIN; a failure is reported beside the token, not instead of it. */
async function publicKeysOf(mod: TokenModule, t: TokenDescription): Promise<{ keys: TokenKeyView[]; problem?: string }> {
  let session: TokenSession | undefined;
  try {
    session = await mod.openToken({ serial: t.serial });
    return { keys: (await session.listPublicKeys()).map(keyView) };
  } catch (err) {
    return { keys: [], problem: err instanceof CeremonyError ? err.message : 'the keys could not be listed' };
  } finally {
    await session?.close();
  }
}

export async function listTokens(req: { module: string }, deps: TokenDeps): Promise<TokenModuleView> {
  const { mod, resolved } = await loadModule(req.module, deps);
  const slots: TokenSlotView[] = [];
  for (const s of await mod.listSlots()) {
    const slot: TokenSlotView = { description: s.description, removable: s.removable, hardware: s.hardware };
    if (s.problem) slot.problem = s.problem;
    if (s.token) {
      if (s.token.initialized) {
        const { keys, problem } = await publicKeysOf(mod, s.token);
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

interface CheckedToken {
  session: TokenSession;
  keys: PublicKeyListing[];
  expectedKey: PublicKeyListing | undefined;
}

/**
 * Open the chosen token and check it is the expected one: the serial the step expects, the label shown
 * on screen, and (when given) a public key with the expected fingerprint. Refuses before any PIN is
 * used. The caller closes the session.
 */
async function openExpected(req: { module: string; token: TokenRefView; expected?: ExpectedToken | undefined }, deps: TokenDeps): Promise<CheckedToken> {
  const chosen = describeToken(req.token);
  if (req.expected && req.expected.serial !== req.token.serial) {
    throw new TokenError(
      'TOKEN_NOT_PRESENT',
      `this step expects the token with serial ${req.expected.serial}, but ${chosen} was chosen; insert and choose the expected token (no PIN was asked)`,
      { token: req.token },
    );
  }
  const { mod } = await loadModule(req.module, deps);
  const session = await mod.openToken(req.token.label ? { serial: req.token.serial, label: req.token.label } : { serial: req.token.serial });
  try {
    const keys = await session.listPublicKeys();
    let expectedKey: PublicKeyListing | undefined;
    const want = req.expected?.fingerprint;
    if (want) {
      expectedKey = keys.find((k) => k.fingerprint === want);
      if (!expectedKey) {
        const held = keys.filter((k) => k.fingerprint).map((k) => `${k.fingerprint!.slice(0, 16)}… ("${k.label}")`);
        throw new TokenError(
          'TOKEN_KEY_NOT_FOUND',
          `${describeToken(session.token)} does not hold the expected key ${want.slice(0, 16)}… (it shows ${held.length ? held.join(', ') : 'no public key'}): it is not the expected token; no PIN was asked`,
          { token: session.token },
        );
      }
    }
    return { session, keys, expectedKey };
  } catch (err) {
    await session.close();
    throw err;
  }
}

export async function checkToken(req: { module: string; token: TokenRefView; expected?: ExpectedToken | undefined }, deps: TokenDeps): Promise<TokensCheckResult> {
  const { session, keys, expectedKey } = await openExpected(req, deps);
  try {
    const out: TokensCheckResult = { token: tokenView(session.token, keys.map(keyView)) };
    if (expectedKey) out.key = keyView(expectedKey);
    return out;
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
    const { session } = await openExpected(req, deps);
    try {
      if (!session.token.capabilities[req.algorithm]) {
        throw new TokenError('MECHANISM_UNSUPPORTED', `${describeToken(session.token)} cannot make ${algorithmTitle(req.algorithm)} keys; choose another key type (no PIN was sent)`, {
          token: session.token,
        });
      }
      await session.login(req.pin); // zeroes req.pin
      const key = await session.generateKeyPair(
        req.keyId ? { algorithm: req.algorithm, label: req.keyLabel, id: new Uint8Array(Buffer.from(req.keyId, 'hex')) } : { algorithm: req.algorithm, label: req.keyLabel },
      );
      return {
        token: refOf(key.token),
        label: key.label,
        id: hex(key.id),
        algorithm: key.algorithm,
        fingerprint: fingerprintView(key.fingerprint),
        keyIds: { tuf: listPublicKey('tuf', key.spki).keyId, notary: notaryBareKeyId(key.spki) },
        publicKeyPem: pemOf('PUBLIC KEY', key.spki),
        rehearsal: key.origin.kind === 'token' && key.origin.rehearsal,
        selfTest: key.alwaysAuthenticate ? 'skipped-pin-per-signature' : 'verified',
      };
    } finally {
      await session.close(); // logs the token out: nothing stays unlocked after this step
    }
  } finally {
    req.pin.fill(0);
  }
}

/** The IPC payload's PIN as bytes (UTF-8, what pkcs11js sends); the caller zeroes them. */
export function pinBytes(pin: string): Uint8Array {
  return new TextEncoder().encode(pin);
}
