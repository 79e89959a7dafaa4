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
  /** Read a reviewed plan and its site bindings; show the plan (nothing is done yet). */
  ceremonyLoad(request: CeremonyLoadRequest): Promise<IpcResult<CeremonyStatusView>>;
  /** Prepare the core's rehearsal plan on rehearsal tokens (nothing is done yet). */
  ceremonyRehearse(request: CeremonyRehearseRequest): Promise<IpcResult<CeremonyStatusView>>;
  /** Main asks where the outputs go, then runs the loaded plan; answers at once (poll ceremonyStatus). */
  ceremonyStart(): Promise<IpcResult<CeremonyStatusView>>;
  /** After a failure: run the same plan again into the same folder (done steps are not redone). */
  ceremonyResume(): Promise<IpcResult<CeremonyStatusView>>;
  ceremonyStatus(): Promise<IpcResult<CeremonyStatusView>>;
  /** Answer the pending PIN request: one PIN, for one login. */
  ceremonyProvidePin(request: CeremonyPinRequest): Promise<IpcResult<CeremonyStatusView>>;
  /** Decline the pending PIN request: the step stops (and can be resumed). */
  ceremonyCancelPin(request: CeremonyCancelPinRequest): Promise<IpcResult<CeremonyStatusView>>;
  /** Print the ceremony's share cards (the plan's Shamir backup). */
  ceremonyPrintShareCards(): Promise<IpcResult<PrintResultView>>;
  /** Check a transcript's chain and seal and return its steps. */
  transcriptVerify(request: TranscriptVerifyRequest): Promise<IpcResult<TranscriptView>>;
}

// --- root ceremony (PRODUCT.md §2.3, §2.8) -------------------------------------------------------------

export type CeremonyProfileName = 'notary' | 'tuf';

/** A reviewed plan and the site bindings decided on the day, plus any server key files the plan names. */
export interface CeremonyLoadRequest {
  plan: NamedFile;
  bindings: NamedFile;
  /** Files the plan names by `keyFile` (e.g. `timestamp.key`), by their base names. */
  inputs?: NamedFile[];
}

/** The core's rehearsal plan on rehearsal tokens (`tuf-ceremony rehearse`). */
export interface CeremonyRehearseRequest {
  profile: CeremonyProfileName;
  /** The repository (the GUN for Notary). */
  repository: string;
  /** Notary: the server's timestamp public key JSON; without it the rehearsal makes its own. */
  timestampKey?: NamedFile;
}

/** The plan's SHA-256 (the intent hash) in the forms the witnesses compare with the reviewed copy. */
export interface PlanHashView {
  sha256: string;
  /** The whole hash in groups of four hex digits. */
  grouped: string;
  /** First 8 bytes, hex. */
  short: string;
  /** First 8 bytes as PGP words. */
  words: string[];
}

export interface PlanCustodianView {
  name: string;
  /** The token the plan expects, or null: chosen on the day by the site bindings. */
  expected: { serial?: string; label?: string } | null;
  /** The token the site bindings choose (serial / label), when they name one. */
  bound?: { serial?: string; label?: string };
  /** The module the bindings name (preset or path); absent for rehearsal tokens. */
  module?: string;
  /** Where the PIN comes from: asked in the PIN dialog, an environment variable, or none (a rehearsal token is logged in already). */
  pin: 'dialog' | 'environment' | 'rehearsal';
  keyAlgorithm: KeyAlgorithmName;
  keyLabel: string;
}

export interface PlanRoleView {
  role: 'root' | 'targets' | 'snapshot' | 'timestamp';
  /** Who or what holds the key(s), in words. */
  keys: string[];
  threshold: number;
  /** Absent for a server-held role (Notary's timestamp: the server signs it). */
  expires?: string;
}

export type CeremonyStepStatus = 'pending' | 'running' | 'done' | 'failed';

export interface CeremonyStepView {
  name: string;
  title: string;
  status: CeremonyStepStatus;
}

export interface CeremonyPlanView {
  rehearsal: boolean;
  /** Shown in the REHEARSAL banner: it names the rehearsal tokens' kind. */
  rehearsalNotice?: string;
  /** A rehearsal's tokens: SoftHSM2 (when installed) or in-process software tokens (PRODUCT.md §2.8). */
  rehearsalKind?: 'softhsm2' | 'software';
  planName: string;
  profile: CeremonyProfileName;
  repository: string;
  hash: PlanHashView;
  custodians: PlanCustodianView[];
  /** M of N: N counts the custodians' keys and the Shamir backup key. */
  root: { threshold: number; keys: number; expires: string };
  roles: PlanRoleView[];
  shamir?: { threshold: number; shares: number; keyAlgorithm: KeyAlgorithmName };
}

/** A key made on a token earlier (a resumed ceremony), shown with the token before the PIN is asked. */
export interface ExpectedKeyView {
  label: string;
  fingerprint: FingerprintView;
}

/** The machine waits for one custodian's PIN: which token it is for, shown before the PIN is asked. */
export interface CeremonyPinRequestView {
  /** Answer with this ID (a stale dialog cannot answer a later request). */
  id: string;
  custodian: string;
  token: TokenRefView & { manufacturer: string; model: string; pinStatus: PinStatusName; maxPinLength: number };
  keys: ExpectedKeyView[];
  rehearsal: boolean;
}

export interface CeremonyOutputView {
  name: string;
  sha256: string;
  /** First 8 bytes of the SHA-256, in groups of four. */
  short: string;
  /** A share card (or the printable cards): secret. */
  secret: boolean;
}

export type CeremonyPhase = 'idle' | 'loaded' | 'running' | 'waiting-for-pin' | 'done' | 'failed';

export interface CeremonyStatusView {
  phase: CeremonyPhase;
  plan?: CeremonyPlanView;
  steps: CeremonyStepView[];
  progress: { done: number; total: number };
  /** The machine's progress lines, oldest first (no secrets: the machine never reports one). */
  log: string[];
  /** Tokens opened so far, per custodian, as announced before their PIN. */
  tokens: { custodian: string; label: string; serial: string }[];
  pinRequest?: CeremonyPinRequestView;
  /** The folder main chose for the outputs. */
  outDir?: string;
  failure?: Omit<IpcFailure, 'ok'>;
  /** True after a failure: the same plan and folder continue where the ceremony stopped. */
  canResume: boolean;
  result?: {
    resumed: boolean;
    outputs: CeremonyOutputView[];
    sealKeyId: string;
    transcript: TranscriptView;
    /** The plan has a Shamir backup: its share cards can be printed. */
    shareCards: boolean;
  };
}

export interface CeremonyPinRequest {
  requestId: string;
  /** Used once, for one login, and dropped. Never logged, never returned, never in an error. */
  pin: string;
}

export interface CeremonyCancelPinRequest {
  requestId: string;
}

/** What printing did: saved a PDF, or (the end-to-end bridge) handed back the document to check. */
export interface PrintResultView {
  saved?: string;
  cancelled?: boolean;
  html?: string;
}

// --- transcript ---------------------------------------------------------------------------------------

export interface TranscriptVerifyRequest {
  file: NamedFile;
  /** The key expected to have sealed it: TUF key ID or fingerprint (64 hex digits). */
  expectedSealKey?: string;
}

export interface TranscriptEntryView {
  seq: number;
  time: string;
  step: string;
  actor: { name: string; role: string };
  token?: { serial: string; label?: string; keyId?: string };
  digests: { label: string; sha256: string; short: string; words: string[] }[];
  inputs: { name: string; sha256: string }[];
  outputs: { name: string; sha256: string }[];
  witnesses: { name: string; confirmed: string }[];
  note?: string;
}

export interface TranscriptView {
  fileName: string;
  kind: string;
  profile: CeremonyProfileName;
  repository: string;
  planHash: PlanHashView;
  rehearsal: boolean;
  started: string;
  appVersion: string;
  sealed: boolean;
  sealedBy?: { keyId: string; fingerprint: FingerprintView; keytype: string; scheme: string; time: string };
  /** When an expected key was given: whether the seal is by it. */
  expectedKey?: { given: string; matches: boolean };
  entries: TranscriptEntryView[];
  problems: { code: string; message: string; line?: number }[];
}
