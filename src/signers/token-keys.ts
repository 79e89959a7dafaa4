/**
 * Key work on a token as people do it, shared by the app (electron/main/tokens.ts) and the CLI
 * (src/cli/tokens-keys.ts): resolve a module preset, open the CHOSEN token and check it is the EXPECTED
 * one before any PIN is asked, generate a key on it, and export a key's public half as a profile lists it
 * (with, for a Notary root key, a fresh self-signed certificate made by the key on the token).
 *
 * PINs: asked through a `PinSource` at the moment of use — after the token was opened and checked, so a
 * wrong token, a key type it cannot make or a label already taken is refused before a PIN is typed — and
 * handed to the token layer as bytes, which `TokenSession.login` zeroes; the bytes are zeroed here again
 * whatever happens. No PIN is kept, logged, returned or put in a message. Sessions are closed (and the
 * token logged out) before these functions return.
 */
import { createHash } from 'node:crypto';
import { CeremonyError } from '../errors.js';
import { pemOf } from '../crypto/public-key.js';
import { shortDigest, type ShortDigest } from '../crypto/digest-words.js';
import type { JsonObject } from '../json/types.js';
import type { KeyAlgorithm, ProfileName } from '../profiles/profile.js';
import { makeNotaryRootCertificate } from './certificate.js';
import { describeToken, TokenError, type TokenRef } from './pkcs11/errors.js';
import { installHint, isModulePreset, resolvePreset, type ModulePreset } from './pkcs11/presets.js';
import type { PublicKeyListing, TokenDescription, TokenModule, TokenSession } from './pkcs11/token.js';
import type { TokenKey } from './pkcs11/token-signer.js';
import type { GenerationReport } from './pkcs11/keygen.js';
import { generateOnYubiKey } from './pkcs11/piv.js';
import { loginAsking, type PinAsker } from './pkcs11/pin-retry.js';
import { isYubiKeyPiv, parseManagementKey } from './pkcs11/piv-slots.js';
import type { VerifiedAttestation } from '../attestation/verify.js';
import type { AttestationTrust } from '../attestation/yubico-pki.js';
import { listPublicKey, notaryBareKeyId, type ListedKey } from './public-key-json.js';
import { algorithmTitle, withSign, type SigningKey } from './signing-key.js';

// --- modules -----------------------------------------------------------------------------------------

/** Loads a PKCS#11 module (the app keeps one per path per process; the CLI loads for one command). */
export interface ModuleLoader {
  load(path: string, opts: { installHint?: string; libraryParameters?: string }): Promise<TokenModule>;
}

export interface TokenModuleDeps {
  modules: ModuleLoader;
  /** Whether a module file exists (a preset uses the first of its candidate paths that does). */
  moduleExists: (path: string) => boolean;
  /** `process.platform`: which preset paths apply. */
  platform: string;
}

export interface ResolvedModule {
  path: string;
  preset: ModulePreset | undefined;
  installHint: string | undefined;
}

/** A preset to the first of its paths on this machine, or the path as given. */
export function resolveModule(module: string, deps: Pick<TokenModuleDeps, 'moduleExists' | 'platform'>): ResolvedModule {
  if (!module) throw new CeremonyError('USAGE', 'a PKCS#11 module is a path or one of: ykcs11, opensc, softhsm2');
  if (isModulePreset(module)) {
    return { path: resolvePreset(module, deps.platform, deps.moduleExists), preset: module, installHint: installHint(module, deps.platform) };
  }
  return { path: module, preset: undefined, installHint: undefined };
}

/**
 * Load a module (a preset or a path), with its start-up parameters when it needs them (NSS softokn:
 * `configdir='sql:DIR' …`, passed to C_Initialize; FIELD-NOTES).
 */
export async function loadModule(module: string, deps: TokenModuleDeps, libraryParameters?: string): Promise<{ mod: TokenModule; resolved: ResolvedModule }> {
  const resolved = resolveModule(module, deps);
  const opts: { installHint?: string; libraryParameters?: string } = {};
  if (resolved.installHint) opts.installHint = resolved.installHint;
  if (libraryParameters) opts.libraryParameters = libraryParameters;
  const mod = await deps.modules.load(resolved.path, opts);
  return { mod, resolved };
}

// --- the expected token, before any PIN ---------------------------------------------------------------

/**
 * The token a person chose. A token is the pair (serial, label): either alone is accepted while it picks
 * one token on the module (tpm2-pkcs11 and NSS give every token serial 0000000000000000, so there the
 * label is what tells them apart, FIELD-NOTES).
 */
export interface ChosenToken {
  serial?: string | undefined;
  label?: string | undefined;
}

/** What the step expects: the token (serial and/or label) and, when known, a key it must hold. */
export interface ExpectedToken {
  serial?: string | undefined;
  label?: string | undefined;
  /** hex SHA-256 of a public key (SPKI) the token must hold. */
  fingerprint?: string | undefined;
  /** hex CKA_ID of that key, when recorded: the key is found by ID and fingerprint, the label is a hint. */
  keyId?: string | undefined;
}

export interface CheckedToken {
  session: TokenSession;
  /** The public keys the token shows without a PIN. */
  keys: PublicKeyListing[];
  expectedKey: PublicKeyListing | undefined;
}

/** `token "alice" (serial 1234)` for what a person chose, even with one half missing. */
function chosenText(t: ChosenToken): string {
  if (t.serial && !t.label) return `the token with serial ${t.serial}`;
  return describeToken({ label: t.label ?? '', serial: t.serial ?? '' });
}

/** The CLI's and app's token choice, checked: a serial, a label, or both. */
export function chosenToken(serial: string | undefined, label: string | undefined): ChosenToken {
  if (!serial && !label) throw new CeremonyError('USAGE', 'choose the token by --token SERIAL, --token-label LABEL, or both (on tpm2-pkcs11 and NSS every token has the same serial: use the label)');
  const out: ChosenToken = {};
  if (serial) out.serial = serial;
  if (label) out.label = label;
  return out;
}

/**
 * Open the chosen token and check it is the expected one: the serial and label the step expects (the pair:
 * a token with the expected serial and another label is refused), and, when given, a public key with the
 * expected fingerprint (and CKA_ID). Refuses before any PIN is used. The caller closes the session.
 */
export async function openExpectedToken(
  req: { module: string; moduleParams?: string | undefined; token: ChosenToken; expected?: ExpectedToken | undefined },
  deps: TokenModuleDeps,
): Promise<CheckedToken> {
  const want = req.expected;
  const clash = (field: 'serial' | 'label'): boolean => want?.[field] !== undefined && req.token[field] !== undefined && want[field] !== req.token[field];
  if (want && (clash('serial') || clash('label'))) {
    const expected = chosenText({ serial: want.serial, label: want.label });
    throw new TokenError('TOKEN_NOT_PRESENT', `this step expects ${expected}, but ${chosenText(req.token)} was chosen; insert and choose the expected token (no PIN was asked)`, {
      token: { label: req.token.label ?? '', serial: req.token.serial ?? '' },
    });
  }
  const { mod } = await loadModule(req.module, deps, req.moduleParams);
  const selector: { serial?: string; label?: string } = {};
  const serial = req.token.serial ?? want?.serial;
  const label = req.token.label ?? want?.label;
  if (serial) selector.serial = serial;
  if (label) selector.label = label;
  const session = await mod.openToken(selector);
  try {
    const keys = await session.listPublicKeys();
    let expectedKey: PublicKeyListing | undefined;
    const fingerprint = want?.fingerprint;
    if (fingerprint) {
      expectedKey = keys.find((k) => k.fingerprint === fingerprint && (want.keyId === undefined || toHex(k.id) === want.keyId));
      if (!expectedKey) {
        const held = keys.filter((k) => k.fingerprint).map((k) => `${k.fingerprint!.slice(0, 16)}… ("${k.label}")`);
        throw new TokenError(
          'TOKEN_KEY_NOT_FOUND',
          `${describeToken(session.token)} does not hold the expected key ${fingerprint.slice(0, 16)}…${want.keyId ? ` (ID ${want.keyId})` : ''} (it shows ${held.length ? held.join(', ') : 'no public key'}): it is not the expected token; no PIN was asked`,
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

// --- PINs ----------------------------------------------------------------------------------------------

/**
 * Asked at the moment of use, for the token shown (already checked to be the expected one). Returns the
 * PIN as UTF-8 bytes; they are zeroed after use. Called again for each signature of a key that needs the
 * PIN every time (CKA_ALWAYS_AUTHENTICATE), and again with `retry` after a wrong PIN (pin-retry.ts): a
 * source that cannot ask again throws `retry.error`.
 */
export type PinSource = PinAsker;

async function loginWith(session: TokenSession, pin: PinSource): Promise<void> {
  await loginAsking(session, pin);
}

// --- key generation -----------------------------------------------------------------------------------

/** CKA_ID as people type it: 1 to 32 bytes in hex. */
export function parseKeyIdHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2}){1,32}$/.test(hex)) throw new CeremonyError('USAGE', 'a key ID (CKA_ID) is 1 to 32 bytes in hex, e.g. 01 (for a YubiKey: PIV slot 9a)');
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export interface GenerateTokenKeyRequest {
  module: string;
  /** The module's start-up parameters (NSS softokn), when it needs them. */
  moduleParams?: string | undefined;
  token: ChosenToken;
  expected?: ExpectedToken | undefined;
  algorithm: KeyAlgorithm;
  /** CKA_LABEL of the new key; never reused on a token. */
  label: string;
  /** CKA_ID in hex; random 16 bytes when absent. For a YubiKey it chooses the PIV slot. */
  id?: string | undefined;
  /** RSA modulus length (3072 by default). */
  rsaBits?: number | undefined;
  pin: PinSource;
  /** Required when the token is a YubiKey's PIV application (src/signers/pkcs11/piv.ts). */
  piv?: YubiKeyKeyOptions | undefined;
}

export interface YubiKeyKeyOptions {
  /** The PIV slot ("9c", "9d", "9e", "82"–"95"). */
  slot: string;
  /** Guarded slots allowed explicitly ("9a", "f9"). */
  allowSlots: string[];
  /** The management key as 48 hex digits (text bytes), asked at the moment of use; zeroed after. */
  managementKey: PinSource;
  /** Tests and private PKIs only: roots other than Yubico's. */
  attestationTrust?: AttestationTrust | undefined;
  warn(message: string): void;
}

/** A key made on a token, as people check it: the shape of the app's GeneratedKeyView. */
export interface GeneratedTokenKey {
  token: TokenRef;
  label: string;
  /** CKA_ID in hex. */
  id: string;
  algorithm: KeyAlgorithm;
  /** SHA-256 of the SPKI: full hex, and its first 8 bytes in hex and as PGP words. */
  fingerprint: ShortDigest;
  /** The key's ID as each profile lists it (Notary: the bare key; as an ecdsa-x509 root key it has its certificate's ID). */
  keyIds: { tuf: string; notary: string };
  publicKeyPem: string;
  /** Made on a rehearsal token (SoftHSM2): never for a real repository. */
  rehearsal: boolean;
  /** The software model of the token (SoftHSM2, swtpm, NSS softokn, opencryptoki soft token), or null. */
  software: string | null;
  /** Which template the token accepted, what the private key read back as, how it refused to give it out. */
  generation: GenerationReport | null;
  /** The token signed a test message and it verified with the public key read back. */
  selfTest: 'verified' | 'skipped-pin-per-signature';
  /** YubiKey only: the verified attestation (serial, firmware, policies, chain) and its certificates. */
  attestation?: { verified: VerifiedAttestation; attestationPem: string; devicePem: string };
}

/**
 * Generate a key pair on the expected token. Refused before the PIN is asked: another token, a key type
 * the token cannot make, a label or ID a public key on the token already has. The key is made sensitive
 * and non-extractable and checked in software (token.ts `generateKeyPair`).
 */
export async function generateTokenKey(req: GenerateTokenKeyRequest, deps: TokenModuleDeps): Promise<GeneratedTokenKey> {
  const id = req.id === undefined ? undefined : parseKeyIdHex(req.id);
  const { session, keys } = await openExpectedToken(req, deps);
  try {
    const where = describeToken(session.token);
    if (!session.token.capabilities[req.algorithm]) {
      throw new TokenError('MECHANISM_UNSUPPORTED', `${where} cannot make ${algorithmTitle(req.algorithm)} keys; choose another key type (no PIN was asked)`, { token: session.token });
    }
    // What the public objects already show is refused now; private-only clashes are caught after login.
    if (keys.some((k) => k.label === req.label)) {
      throw new TokenError('KEY_LABEL_EXISTS', `${where} already holds a key labelled "${req.label}"; labels are never reused — choose another (no PIN was asked)`, { token: session.token });
    }
    if (id && keys.some((k) => toHex(k.id) === toHex(id))) {
      throw new TokenError('KEY_ID_EXISTS', `${where} already holds a key with ID ${toHex(id)} (for a YubiKey: that PIV slot is taken; no PIN was asked)`, { token: session.token });
    }
    if (isYubiKeyPiv(session.token)) return await generateOnYubiKeyToken(session, req);
    await loginWith(session, req.pin);
    const key = await session.generateKeyPair({ algorithm: req.algorithm, label: req.label, ...(id ? { id } : {}), ...(req.rsaBits ? { rsaBits: req.rsaBits } : {}) });
    return {
      token: { label: key.token.label, serial: key.token.serial },
      label: key.label,
      id: toHex(key.id),
      algorithm: key.algorithm,
      fingerprint: shortDigest(key.fingerprint),
      keyIds: { tuf: listPublicKey('tuf', key.spki).keyId, notary: notaryBareKeyId(key.spki) },
      publicKeyPem: pemOf('PUBLIC KEY', key.spki),
      rehearsal: key.origin.kind === 'token' && key.origin.rehearsal,
      software: session.token.softwareModel ?? null,
      generation: key.generation ?? null,
      selfTest: key.alwaysAuthenticate ? 'skipped-pin-per-signature' : 'verified',
    };
  } finally {
    await session.close(); // logs the token out: nothing stays unlocked after this step
  }
}

/**
 * A YubiKey: the slot comes from the caller (never a random CKA_ID, which ykcs11 would map to a random
 * slot), the management key logs in as SO, and the attestation is verified (piv.ts).
 */
async function generateOnYubiKeyToken(session: TokenSession, req: GenerateTokenKeyRequest): Promise<GeneratedTokenKey> {
  const where = describeToken(session.token);
  if (!req.piv) {
    throw new CeremonyError('USAGE', `${where} is a YubiKey: name its PIV slot (--piv-slot 9c, 9d, 9e or 82–95) and where its management key comes from (--management-key-env VAR, or a prompt); no PIN was asked`);
  }
  if (req.algorithm !== 'ecdsa-p256' && req.algorithm !== 'ecdsa-p384') {
    throw new TokenError('MECHANISM_UNSUPPORTED', `${where} makes ECDSA P-256 and P-384 keys through ykcs11 2.2.0, not ${algorithmTitle(req.algorithm)}`, { token: session.token });
  }
  const text = await req.piv.managementKey(session.token);
  let parsed: ReturnType<typeof parseManagementKey>;
  try {
    parsed = parseManagementKey(new TextDecoder().decode(text));
  } finally {
    text.fill(0);
  }
  const pin = await req.pin(session.token);
  const made = await generateOnYubiKey(session, {
    slot: req.piv.slot,
    allowSlots: req.piv.allowSlots,
    algorithm: req.algorithm,
    label: req.label,
    managementKey: parsed.key,
    managementKeyIsDefault: parsed.isDefault,
    pin,
    ...(req.piv.attestationTrust ? { attestationTrust: req.piv.attestationTrust } : {}),
    warn: req.piv.warn,
  });
  const key = made.key;
  return {
    token: { label: key.token.label, serial: key.token.serial },
    label: key.label,
    id: toHex(key.id),
    algorithm: key.algorithm,
    fingerprint: shortDigest(key.fingerprint),
    keyIds: { tuf: listPublicKey('tuf', key.spki).keyId, notary: notaryBareKeyId(key.spki) },
    publicKeyPem: pemOf('PUBLIC KEY', key.spki),
    rehearsal: false,
    software: null,
    generation: key.generation ?? null,
    selfTest: 'verified',
    attestation: { verified: made.attestation, attestationPem: pemOf('CERTIFICATE', made.attestationDer), devicePem: pemOf('CERTIFICATE', made.deviceDer) },
  };
}

// --- public key export --------------------------------------------------------------------------------

export interface ExportTokenKeyRequest {
  module: string;
  /** The module's start-up parameters (NSS softokn), when it needs them. */
  moduleParams?: string | undefined;
  token: ChosenToken;
  /** CKA_LABEL of the key. */
  label: string;
  profile: ProfileName;
  /**
   * Notary root keys: list the key as `ecdsa-x509` with a fresh self-signed certificate whose CN is the
   * GUN, signed on the token (this needs the PIN). Validity: from 5 minutes before `now` for `days` days.
   */
  certificate?: { gun: string; days: number; now: Date } | undefined;
  /** Needed only for the certificate. */
  pin?: PinSource | undefined;
}

export interface ExportedTokenKey {
  token: TokenRef;
  label: string;
  id: string;
  algorithm: KeyAlgorithm;
  fingerprint: ShortDigest;
  profile: ProfileName;
  /** The key object as the profile lists it in root.json's `keys`. */
  key: JsonObject;
  /** Its key ID under the profile (for `ecdsa-x509`: the certificate's). */
  keyId: string;
  keyIds: { tuf: string; notary: string };
  certificate: { pem: string; sha256: string; subject: string; notBefore: string; notAfter: string } | undefined;
  rehearsal: boolean;
}

/** One public key by label among what the token shows without a PIN. */
function publicKeyByLabel(session: TokenSession, keys: PublicKeyListing[], label: string): PublicKeyListing & { spki: Uint8Array; algorithm: KeyAlgorithm; fingerprint: string } {
  const where = describeToken(session.token);
  const found = keys.filter((k) => k.label === label);
  if (found.length === 0) {
    const labels = [...new Set(keys.map((k) => k.label).filter((l) => l))];
    throw new TokenError('TOKEN_KEY_NOT_FOUND', `${where} shows no public key labelled "${label}" (it shows ${labels.length ? labels.map((l) => `"${l}"`).join(', ') : 'none'})`, { token: session.token });
  }
  if (found.length > 1) throw new CeremonyError('USAGE', `${found.length} public keys on ${where} are labelled "${label}"; labels must be unique to export by label`);
  const k = found[0]!;
  if (!k.algorithm || !k.spki || !k.fingerprint) {
    throw new CeremonyError('KEY_TYPE_UNSUPPORTED', `key "${label}" on ${where} cannot be exported: ${k.problem ?? 'its public key cannot be read'}`);
  }
  return { ...k, spki: k.spki, algorithm: k.algorithm, fingerprint: k.fingerprint };
}

/** A token key that asks for the PIN before every signature, with the PIN asked again for each. */
function withPinPerSignature(key: TokenKey, token: TokenDescription, pin: PinSource): SigningKey {
  return { ...withSign(key, async (data, hash) => key.sign(data, hash, { pin: await pin(token) })), alwaysAuthenticate: false };
}

/**
 * The public key of `label` as `profile` lists it. Without a certificate no PIN is needed: the public
 * object is read as the token shows it. With one (Notary root keys) the algorithm is checked first
 * (ECDSA only), then the PIN is asked, the private key found by label AND the public key's fingerprint,
 * and the certificate made on the token and verified before it is returned.
 */
export async function exportTokenKey(req: ExportTokenKeyRequest, deps: TokenModuleDeps): Promise<ExportedTokenKey> {
  if (req.certificate && req.profile !== 'notary') throw new CeremonyError('USAGE', 'a root certificate (GUN) is for the notary profile');
  const { session, keys } = await openExpectedToken(req, deps);
  try {
    const pub = publicKeyByLabel(session, keys, req.label);
    let listed: ListedKey;
    let certificate: ExportedTokenKey['certificate'];
    if (req.certificate) {
      if (pub.algorithm !== 'ecdsa-p256' && pub.algorithm !== 'ecdsa-p384') {
        throw new CeremonyError('KEY_TYPE_UNSUPPORTED', `Notary root keys are ECDSA (ecdsa-x509); "${req.label}" is ${algorithmTitle(pub.algorithm)} (no PIN was asked)`);
      }
      const days = req.certificate.days;
      if (!Number.isInteger(days) || days < 1 || days > 36_500) throw new CeremonyError('USAGE', 'the certificate validity is 1 to 36500 days');
      if (!req.pin) throw new CeremonyError('USAGE', 'making the certificate signs with the key on the token: a PIN is needed');
      const now = req.certificate.now.getTime();
      const notBefore = new Date(now - 5 * 60_000);
      const notAfter = new Date(now + days * 86_400_000);
      await loginWith(session, req.pin);
      const key = await session.findKey({ label: req.label, fingerprint: pub.fingerprint });
      const signer = key.alwaysAuthenticate ? withPinPerSignature(key, session.token, req.pin) : key;
      const cert = await makeNotaryRootCertificate(signer, { gun: req.certificate.gun, notBefore, notAfter });
      listed = cert.listed;
      certificate = {
        pem: cert.pem,
        sha256: createHash('sha256').update(cert.der).digest('hex'),
        subject: `CN=${req.certificate.gun}`,
        notBefore: new Date(Math.floor(notBefore.getTime() / 1000) * 1000).toISOString(),
        notAfter: new Date(Math.floor(notAfter.getTime() / 1000) * 1000).toISOString(),
      };
    } else {
      listed = listPublicKey(req.profile, pub.spki);
    }
    return {
      token: { label: session.token.label, serial: session.token.serial },
      label: pub.label,
      id: toHex(pub.id),
      algorithm: pub.algorithm,
      fingerprint: shortDigest(pub.fingerprint),
      profile: req.profile,
      key: listed.json,
      keyId: listed.keyId,
      keyIds: { tuf: listPublicKey('tuf', pub.spki).keyId, notary: notaryBareKeyId(pub.spki) },
      certificate,
      rehearsal: session.rehearsal,
    };
  } finally {
    await session.close();
  }
}
