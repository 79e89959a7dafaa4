/**
 * The IPC contract between the renderer and the main process, as types only: the renderer imports this
 * file (type-only), the preload and main import it too. Channel names and zod schemas live beside it in
 * `channels.ts` and `schemas.ts` (values, so the renderer never imports them).
 *
 * Errors cross IPC as data (STYLE.md "Errors"): prototypes do not cross processes.
 */
import type { Inspection } from '../../src/inspect/types.js';

export type { Inspection, KeyView, RoleView, RoleKind } from '../../src/inspect/types.js';

export type IpcResult<T> = { ok: true; value: T } | IpcFailure;

/**
 * A refusal. Token refusals also name the token they are about and, after a wrong PIN, what the token's
 * flags say about the tries left (PKCS#11 gives no count) — never the PIN.
 */
export interface IpcFailure {
  ok: false;
  code: string;
  message: string;
  path?: string;
  token?: TokenRefView;
  pinTries?: 'count-low' | 'final-try';
}

/** A file the user picked in the renderer (`<input type="file">`): relative name and its bytes. */
export interface NamedFile {
  /** Relative path inside what was opened, `/`-separated: `root.json`, `targets/releases.json`. */
  name: string;
  bytes: Uint8Array;
}

export interface InspectRequest {
  /** One metadata file, or the files of a metadata directory. */
  files: NamedFile[];
  /** Optional pinned root to verify the whole input against. */
  trustedRoot?: NamedFile;
  /** True when `files` are a folder's content (even a folder holding one file). */
  directory?: boolean;
  /** The folder or file name to show (a base name, never a path). */
  source?: string;
}

export interface AppInfo {
  name: string;
  version: string;
  /** Always true: the app refuses every network request. */
  offline: true;
  /** True when the API is served by the test-only loopback bridge (never in a packaged build). */
  testBridge: boolean;
}

// --- tokens (PKCS#11) ----------------------------------------------------------------------------------

/** The key types of src/profiles/profile.ts `KeyAlgorithm` (held equal by a type check in schemas.ts). */
export type KeyAlgorithmName = 'ecdsa-p256' | 'ecdsa-p384' | 'ed25519' | 'rsa-pss-sha256';
/** Module presets of src/signers/pkcs11/presets.ts. */
export type ModulePresetName = 'ykcs11' | 'opensc' | 'softhsm2';
/** src/signers/pkcs11/token.ts `PinStatus`: what the token's flags say about its user PIN. */
export type PinStatusName = 'ok' | 'count-low' | 'final-try' | 'locked' | 'to-be-changed' | 'not-initialized';

/** How a token is named to people (slot IDs mean nothing and change). */
export interface TokenRefView {
  label: string;
  serial: string;
}

/** A key fingerprint (SHA-256 of the public key) in the forms people compare. */
export interface FingerprintView {
  /** The full SHA-256, lower-case hex (64 digits). */
  sha256: string;
  /** Its first 8 bytes in hex (16 digits): the short form read aloud. */
  hex: string;
  /** The same 8 bytes as PGP words (src/crypto/digest-words.ts), to read aloud. */
  words: string[];
}

/** A public key on a token, seen without the PIN. */
export interface TokenKeyView {
  label: string;
  /** CKA_ID in hex (for a YubiKey it names the PIV slot). */
  id: string;
  /** Undefined when the key is of a type the profiles do not accept (see `problem`). */
  algorithm?: KeyAlgorithmName;
  fingerprint?: FingerprintView;
  problem?: string;
}

export interface TokenView extends TokenRefView {
  manufacturer: string;
  model: string;
  /** False for SoftHSM's free slot and factory-fresh tokens. */
  initialized: boolean;
  pinStatus: PinStatusName;
  loginRequired: boolean;
  /** The PIN is entered on a pinpad or by touch, not typed into this app. */
  protectedAuthenticationPath: boolean;
  minPinLength: number;
  maxPinLength: number;
  /** Key types this token can generate and sign with. */
  keyTypes: KeyAlgorithmName[];
  rsaMaxBits: number;
  /** Public keys visible without the PIN (tokens may hide some until login). */
  keys: TokenKeyView[];
  /** Why the keys could not be listed, when they could not. */
  keysProblem?: string;
}

export interface TokenSlotView {
  description: string;
  removable: boolean;
  hardware: boolean;
  /** Absent for an empty reader, or a token that cannot be read (`problem` then names why). */
  token?: TokenView;
  problem?: string;
}

export interface TokenModuleView {
  /** The library loaded (a preset resolves to the first of its paths present on this machine). */
  path: string;
  preset?: ModulePresetName;
  manufacturer: string;
  description: string;
  libraryVersion: string;
  /** SoftHSM2: software tokens, for rehearsals and tests only. */
  rehearsal: boolean;
  slots: TokenSlotView[];
}

export interface TokensListRequest {
  /** A preset (`ykcs11`, `opensc`, `softhsm2`) or the absolute path of a PKCS#11 library. */
  module: string;
}

/** The token a step expects (from a ceremony plan): by serial, and by a key it holds when given. */
export interface ExpectedToken {
  serial: string;
  /** hex SHA-256 of a public key the token must hold. */
  fingerprint?: string;
}

export interface TokensCheckRequest {
  module: string;
  /** The token the person chose on screen. */
  token: TokenRefView;
  expected?: ExpectedToken;
}

/** The token found, matched to what was expected: shown in the PIN dialog before the PIN is asked. */
export interface TokensCheckResult {
  token: TokenView;
  /** The expected key, when `expected.fingerprint` was given. */
  key?: TokenKeyView;
}

export interface TokensGenerateKeyRequest {
  module: string;
  token: TokenRefView;
  expected?: ExpectedToken;
  algorithm: KeyAlgorithmName;
  /** CKA_LABEL of the new key; labels are never reused on a token. */
  keyLabel: string;
  /**
   * CKA_ID of the new key in hex (random 16 bytes when absent). On a YubiKey it chooses the PIV slot:
   * 01 → 9a, 02 → 9c, 03 → 9d, 04 → 9e, 05–18 → 82–95.
   */
  keyId?: string;
  /** Used once, to log in, and dropped. Never logged, never returned, never in an error. */
  pin: string;
}

export interface GeneratedKeyView {
  token: TokenRefView;
  label: string;
  /** CKA_ID in hex. */
  id: string;
  algorithm: KeyAlgorithmName;
  fingerprint: FingerprintView;
  /** The key's ID as each profile lists it. For Notary this is the bare key (`ecdsa`); a root key listed as `ecdsa-x509` has the ID of its certificate instead. */
  keyIds: { tuf: string; notary: string };
  /** Public key, PEM (SPKI). */
  publicKeyPem: string;
  /** Made on a SoftHSM2 token: a rehearsal key, never for a real repository. */
  rehearsal: boolean;
  /** The token signed a test message, and it verified with the public key read back. */
  selfTest: 'verified' | 'skipped-pin-per-signature';
}

/** What the preload exposes as `window.tufCeremony`: narrow typed functions, never ipcRenderer. */
export interface TufCeremonyApi {
  appInfo(): Promise<IpcResult<AppInfo>>;
  inspectFiles(request: InspectRequest): Promise<IpcResult<Inspection>>;
  /** Load a PKCS#11 module; list its slots, tokens and the public keys on each (no PIN). */
  tokensList(request: TokensListRequest): Promise<IpcResult<TokenModuleView>>;
  /** Find the chosen token and check it is the expected one — before any PIN is asked. */
  tokensCheck(request: TokensCheckRequest): Promise<IpcResult<TokensCheckResult>>;
  /** Check the token again, log in with the PIN, generate a key pair on it, log out. */
  tokensGenerateKey(request: TokensGenerateKeyRequest): Promise<IpcResult<GeneratedKeyView>>;
}
