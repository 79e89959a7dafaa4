/**
 * The IPC contract between the renderer and the main process, as types only: the renderer imports this
 * file (type-only), the preload and main import it too. Channel names and zod schemas live beside it in
 * `channels.ts` and `schemas.ts` (values, so the renderer never imports them).
 *
 * Errors cross IPC as data (STYLE.md "Errors"): prototypes do not cross processes.
 */
import type { Inspection } from '../../src/inspect/types.js';
import type { QrProgress } from '../../src/transport/qr/progress.js';

export type { Inspection, KeyView, RoleView, RoleKind, TimelineItem } from '../../src/inspect/types.js';

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
  /**
   * importInstall only: leftovers of killed commands removed beside the import lock before the install was
   * refused (src/trust-store/lock.ts sweepAsideLeftovers; describeRemovedLeftover's sentences). Files beside
   * the operator's trust directory went: a refusal must not hide it (the CLI's `note:` lines).
   */
  removedLockLeftovers?: string[];
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
  /** A ceremony's sealed transcript: names the holders of the keys it made (issue #16). */
  holders?: NamedFile;
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
  /** With an inventory: the key's custodian, its roles grouped for people, its first expiry. */
  custodian?: string;
  roles?: string[];
  firstExpiry?: string;
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
  /** The slot the module shows the token in (tells apart tokens that share a serial). */
  slotDescription?: string;
  /** The module file, and its family (softhsm2, tpm2-pkcs11, nss-softokn, opencryptoki, ykcs11, opensc, other). */
  module?: string;
  moduleFamily?: string;
  /** The software model this token is (SoftHSM2, swtpm, NSS softokn, opencryptoki soft token), or null. */
  software?: string | null;
  /** False: "serial not unique on this module" — the label names the token. */
  serialUnique?: boolean;
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

/**
 * A PKCS#11 module as the renderer names it: a preset, or the handle main issued for a library file the
 * person picked in main's dialog (tokensChooseModule). Never a path: loading a module runs its code in main.
 */
export type ModuleRef = ModulePresetName | { chosen: string };

/** tokensChooseModule: the handle for the file picked (and its path, to show), or the dialog was cancelled. */
export type TokenModuleChoiceView = { chosen: string; path: string } | { cancelled: true };

export interface TokensListRequest {
  /** A preset (`ykcs11`, `opensc`, `softhsm2`) or `{ chosen }` from tokensChooseModule. */
  module: ModuleRef;
  /**
   * The bytes of a key inventory (`key-inventory.json` beside a ceremony's outputs, issue #17): each key
   * is joined with it by fingerprint (custodian, roles, first expiry). Parsed strictly in main.
   */
  inventory?: Uint8Array;
}

/** The token a step expects (from a ceremony plan): by serial, and by a key it holds when given. */
export interface ExpectedToken {
  serial: string;
  /** hex SHA-256 of a public key the token must hold. */
  fingerprint?: string;
}

export interface TokensCheckRequest {
  module: ModuleRef;
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
  module: ModuleRef;
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
  /** Main's file dialog for a PKCS#11 library: the file picked is kept in main, the screen gets a handle. */
  tokensChooseModule(): Promise<IpcResult<TokenModuleChoiceView>>;
  /** Read a reviewed plan and its site bindings; show the plan (nothing is done yet). */
  ceremonyLoad(request: CeremonyLoadRequest): Promise<IpcResult<CeremonyStatusView>>;
  /** Prepare the core's rehearsal plan on rehearsal tokens (nothing is done yet). */
  ceremonyRehearse(request: CeremonyRehearseRequest): Promise<IpcResult<CeremonyStatusView>>;
  /** Main asks where the outputs go, then runs the loaded plan; answers at once (poll ceremonyStatus). */
  ceremonyStart(request?: CeremonyStartRequest): Promise<IpcResult<CeremonyStatusView>>;
  /**
   * After a failure: run the same plan again into the same folder (done steps are not redone). A
   * multi-repository plan with `shamir` stopped after its split: `shareSet` names the share cards entered
   * with shamirAddCard (held in main), used once by this resume and wiped.
   */
  ceremonyResume(request?: CeremonyResumeRequest): Promise<IpcResult<CeremonyStatusView>>;
  ceremonyStatus(): Promise<IpcResult<CeremonyStatusView>>;
  /** Answer the pending PIN request: one PIN, for one login. */
  ceremonyProvidePin(request: CeremonyPinRequest): Promise<IpcResult<CeremonyStatusView>>;
  /** Decline the pending PIN request: the step stops (and can be resumed). */
  ceremonyCancelPin(request: CeremonyCancelPinRequest): Promise<IpcResult<CeremonyStatusView>>;
  /** YubiKey: confirm or decline the PIV slot proposed for a key (the bindings name none). Decline stops the step. */
  ceremonyConfirmSlot(request: CeremonySlotAnswer): Promise<IpcResult<CeremonyStatusView>>;
  /** YubiKey: answer the pending management key request (48 hex digits), for one SO login. */
  ceremonyProvideManagementKey(request: CeremonyManagementKeyRequest): Promise<IpcResult<CeremonyStatusView>>;
  /** YubiKey: decline the pending management key request: the step stops before the card is written. */
  ceremonyCancelManagementKey(request: CeremonyCancelPinRequest): Promise<IpcResult<CeremonyStatusView>>;
  /** Print the ceremony's share cards (the plan's Shamir backup). */
  ceremonyPrintShareCards(): Promise<IpcResult<PrintResultView>>;
  /** Check a transcript's chain and seal and return its steps. */
  transcriptVerify(request: TranscriptVerifyRequest): Promise<IpcResult<TranscriptView>>;
  /**
   * On completion (issue #16): the ceremony's metadata/ folder, verified and made a trust bundle, ready on
   * the Export screen (the same as opening that folder there).
   */
  ceremonyExportMetadata(): Promise<IpcResult<ExportPreparedView>>;
  /**
   * On completion of a multi-repository ceremony (issue #17): one repository's `metadata/<safe name>/`
   * folder, made a trust bundle named after the repository (as `bundle create` names it), ready on the Export screen.
   */
  ceremonyExportRepository(request: CeremonyExportRepositoryRequest): Promise<IpcResult<ExportPreparedView>>;
  /** The loaded multi-repository plan's table rows (once per plan; status polls carry only its summary). */
  ceremonyPlanRows(): Promise<IpcResult<CeremonyPlanRowsView>>;
  /** On completion: the ceremony's printable transcript (state/transcript.html), to the printer. */
  ceremonyPrintTranscript(): Promise<IpcResult<PrintResultView>>;
  /**
   * The transcripts in a folder, found by their header (src/audit/transcript-list.ts): a folder main asks
   * for (`choose`), or the completed ceremony's output folder (`ceremony`); the renderer never names a path.
   */
  transcriptList(request: TranscriptListRequest): Promise<IpcResult<TranscriptListView>>;
  /** One transcript of the last listing, by its name there: verified (unsealed allowed), keys named from the folder. */
  transcriptOpenListed(request: TranscriptOpenListedRequest): Promise<IpcResult<TranscriptView>>;
  // --- export (#6)
  /** A metadata folder's files → verified (from its own oldest root), then a trust bundle; nothing is written. */
  exportPrepareFolder(request: ExportFolderRequest): Promise<IpcResult<ExportPreparedView>>;
  /** An existing bundle (trust bundle, signing request, signature response) → decoded and checked. */
  exportPrepareBundle(request: ExportBundleRequest): Promise<IpcResult<ExportPreparedView>>;
  /** `choose`: main asks for the destination folder (dialog); either way, a free file name is proposed. */
  exportDestination(request: ExportDestinationRequest): Promise<IpcResult<ExportDestinationView>>;
  /** Write the prepared bundle into the chosen folder (atomic, never overwrites), read it back, verify it. */
  exportWrite(request: ExportWriteRequest): Promise<IpcResult<ExportWrittenView>>;
  /** A window of the prepared bundle's animated QR frames (fountain-coded, endless). */
  exportQrFrames(request: ExportQrFramesRequest): Promise<IpcResult<ExportQrFramesView>>;
  /** The QR player asks main to put the window in (or out of) full screen; answers whether it now is. */
  exportFullScreen(request: ExportFullScreenRequest): Promise<IpcResult<ExportFullScreenView>>;
  // --- import (#6)
  /** Where the import goes, the pin, and the camera reader's progress. */
  importStatus(): Promise<IpcResult<ImportSessionView>>;
  /** Main asks for the trust directory (a folder dialog) for this layout; the renderer never names a path. */
  importChooseTrustDir(request: ImportTrustDirRequest): Promise<IpcResult<ImportSessionView>>;
  /** Choose (main's file dialog) the key inventory installs are recorded in, or `clear` it (issue #17). */
  importChooseInventory(request: ImportInventoryRequest): Promise<IpcResult<ImportSessionView>>;
  /** Pin the trusted root by file or by fingerprint (neither: the installed root is the pin). */
  importSetPin(request: ImportPinRequest): Promise<IpcResult<ImportSessionView>>;
  /** Decode the bundle and verify it completely as the import would; nothing is written. */
  importPreview(request: ImportBundleRequest): Promise<IpcResult<ImportPreviewView>>;
  /** Verify again, then install atomically and record the import (tuf-ceremony import). */
  importInstall(request: ImportInstallRequest): Promise<IpcResult<ImportInstalledView | ImportSetInstalledView>>;
  /** Forget the frames read so far (start reading another bundle). */
  importQrReset(): Promise<IpcResult<ImportQrProgressView>>;
  /** One QR frame's text, as the camera decoder read it; the bundle bytes once complete. */
  importQrFrame(request: ImportQrFrameRequest): Promise<IpcResult<ImportQrFrameView>>;
  /** The QR decoder's WebAssembly binary (zxing-wasm's, as shipped), for the camera worker: the page may fetch nothing. */
  importQrDecoder(): Promise<IpcResult<ImportQrDecoderView>>;
  /**
   * The QR scanner opens (`{ open: true }`, before it asks for the camera) or closes: main grants the
   * camera only while it knows the scanner is open (electron/main/camera-gate.ts), not by the page's URL.
   */
  importQrCamera(request: ImportQrCameraRequest): Promise<IpcResult<ImportQrCameraView>>;
  /** After an install refused with IMPORT_LOCK_STALE: remove that lock (main knows which), only if provably stale. */
  importRemoveStaleLock(): Promise<IpcResult<ImportStaleLockView>>;
  // --- rotation (#5)
  /** Administrator: read the current root (and the transcript naming its keys). */
  rotationOpenRoot(request: RotationOpenRootRequest): Promise<IpcResult<RotationRootView>>;
  /** Administrator: a new root key from a token on this machine (Notary: its certificate is made on the token, with the PIN). */
  rotationKeyFromToken(request: RotationKeyFromTokenRequest): Promise<IpcResult<RotationNewKeyView>>;
  /** Administrator: a new root key from a public key file. */
  rotationKeyFromFile(request: RotationKeyFromFileRequest): Promise<IpcResult<RotationNewKeyView>>;
  /** Administrator: build the signing request, show its review, and (write: true) write it. */
  rotationBuildRequest(request: RotationBuildRequest): Promise<IpcResult<RotationRequestView>>;
  /** Administrator: merge the responses so far (the newest last); refused with its code if the newest is bad. */
  rotationMerge(request: RotationMergeRequest): Promise<IpcResult<RotationMergeView>>;
  /** Administrator: both thresholds met — write root N+1. */
  rotationWriteRoot(request: RotationMergeRequest): Promise<IpcResult<RotationWriteRootView>>;
  /** Co-signer: what a signing request changes, and its hash to read aloud. */
  rotationReview(request: RotationReviewRequest): Promise<IpcResult<RotationReviewView>>;
  /** Co-signer: the chosen token's key is a root key of the request — before any PIN. */
  rotationCheckSigner(request: RotationCheckSignerRequest): Promise<IpcResult<RotationSignerCheckView>>;
  /** Co-signer: log in, sign, verify, write the response. */
  rotationSign(request: RotationSignRequest): Promise<IpcResult<RotationSignedView>>;
  /** A Notary root certificate request (#14): its review, the key check (no PIN), and the token issuing the certificate. */
  certificateReview(request: CertificateReviewRequest): Promise<IpcResult<CertificateReviewView>>;
  certificateCheckSigner(request: CertificateCheckSignerRequest): Promise<IpcResult<CertificateSignerCheckView>>;
  certificateSign(request: CertificateSignRequest): Promise<IpcResult<CertificateSignedView>>;
  // --- shamir
  /** Roll-call: check one card (checksums, version, expected split and key) without rebuilding anything. */
  shamirRollCall(request: ShamirRollCallRequest): Promise<IpcResult<ShamirRollCallView>>;
  /** Add one card to a set main holds (a new set without `set`): checked with the set's cards (one split, no duplicates, how many more). */
  shamirAddCard(request: ShamirAddCardRequest): Promise<IpcResult<ShamirSetView>>;
  /** Rebuild the set's key in memory, compare it with the recorded fingerprint, wipe it and the set: never exported or shown. */
  shamirVerify(request: ShamirVerifyRequest): Promise<IpcResult<ShamirVerifyView>>;
  /** Co-sign a signing request with the key rebuilt from the set's cards, and write the response; the set is wiped. */
  shamirCosign(request: ShamirCosignRequest): Promise<IpcResult<ShamirCosignView>>;
  /** "Start again" or leaving the screen: main wipes the set's cards. */
  shamirClearSet(request: ShamirClearSetRequest): Promise<IpcResult<ShamirClearView>>;
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
/**
 * The witnessed start (issue #16): the witnesses who compared the plan's intent hash words with the
 * reviewed copy, by name; they are written into the transcript's first entry (plan.review).
 */
export interface CeremonyStartRequest {
  witnesses: string[];
}

/** Resume with the share cards of a set main holds (electron/main/shamir.ts ShareSetStore): its handle only. */
export interface CeremonyResumeRequest {
  shareSet: string;
}

/** A repository of the completed multi-repository ceremony, by its name in the plan. */
export interface CeremonyExportRepositoryRequest {
  repository: string;
}

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
  /**
   * A multi-repository plan (issue #17): its repositories and the keys they share. `repository`, `profile`
   * and `roles` are then the first repository's; the screen shows this table instead.
   */
  multi?: CeremonyMultiPlanView;
  /** What the reviewers must be told of this plan, in plain sentences (root threshold 1 with a split key). */
  notices?: string[];
}

/** One repository of a multi-repository plan, as its summary table row says it (electron/main/multi-ceremony.ts). */
export interface MultiRepositoryRowView {
  name: string;
  profile: CeremonyProfileName;
  /** Its outputs' folder, relative to the output folder: `metadata/<safe name>`. */
  folder: string;
  /** "2 of 3" (the other roles' thresholds are 1). */
  rootThreshold: string;
  /** ISO dates; null: held by notary-server, which sets its own. */
  expires: { root: string; targets: string | null; snapshot: string | null; timestamp: string | null };
  /** Who holds each role's key ("Alice’s token, “targets-2026”", "notary-server’s key"). */
  keys: { targets: string; snapshot: string; timestamp: string };
  /** How this row differs from most repositories of its profile; empty when it does not. */
  exceptions: string[];
}

export interface MultiSharedKeyView {
  /** `token:<custodian>/<label>` or `software:<JSON path>`. */
  id: string;
  role: 'root' | 'targets' | 'snapshot' | 'timestamp';
  holder: string;
  /** Repositories whose metadata lists it. */
  repositories: number;
}

export interface CeremonyMultiPlanView {
  count: number;
  notary: number;
  tuf: number;
  /** Rows with at least one exception. */
  exceptions: number;
  sharedKeys: MultiSharedKeyView[];
}

/**
 * A multi-repository plan's table rows (up to 5,000): fetched once per plan (`ceremonyPlanRows`), not
 * carried by every status poll.
 */
export interface CeremonyPlanRowsView {
  /** The plan's intent hash: the rows belong to the plan with this hash. */
  planSha256: string;
  repositories: MultiRepositoryRowView[];
}

/** A multi-repository ceremony's progress: one entry per repository written, not per row shown. */
export interface CeremonyMultiProgressView {
  done: number;
  total: number;
  /** The repository being built and signed now (absent before the first and after the last). */
  current?: string;
  /** Token signatures made so far in this run (certificates and metadata). */
  tokenSignatures: number;
}

/** Where a multi-repository ceremony's outputs are (absolute paths). */
export interface CeremonyMultiResultView {
  repositories: number;
  /** Written before an interruption: checked, not signed again. */
  doneBefore: number;
  tokenSignatures: number;
  /** OUT/metadata: one folder per repository (`<safe name>/`). */
  metadataDir: string;
  /** OUT/state: the transcript, its printable copy, the key inventory, the ceremony state. */
  stateDir: string;
  inventory: string;
  transcript: string;
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
  /** Asked again (issue #16): the last PIN was not accepted, or none was given; plain sentence first. */
  retry?: PinRetryView;
}

/** Why a PIN is asked again (src/signers/pkcs11/pin-retry.ts), as the dialog says it. */
export interface PinRetryView {
  reason: 'wrong' | 'not-given';
  /** "The PIN was not accepted by token … . 1 try is left …" */
  message: string;
  /** Tries left when the token says (1 on its final try); null when it does not. */
  triesLeft: number | null;
  /** Wrong PINs so far in this step. */
  wrongTries: number;
}

export interface CeremonyOutputView {
  name: string;
  sha256: string;
  /** First 8 bytes of the SHA-256, in groups of four. */
  short: string;
  /** A share card (or the printable cards): secret. */
  secret: boolean;
}

/** YubiKey: the bindings name no PIV slot for a key; the first empty retired slot is proposed for the custodian to confirm. */
export interface CeremonySlotRequestView {
  /** Answer with this ID (a stale dialog cannot answer a later request). */
  id: string;
  custodian: string;
  token: TokenRefView & { manufacturer: string; model: string };
  /** The key's role: root, targets, snapshot or timestamp. */
  role: string;
  /** The proposed slot ("82"). */
  slot: string;
  /** The slot in words: "retired slot 82 (retired key management key 1)". */
  slotTitle: string;
}

/** YubiKey: the machine waits for the PIV management key (bindings: "prompt"), to make a key on this token. */
export interface CeremonyManagementKeyRequestView {
  id: string;
  custodian: string;
  token: TokenRefView & { manufacturer: string; model: string };
  /** Asked again: the YubiKey refused the last key (MANAGEMENT_KEY_INCORRECT); nothing was written. */
  retry?: { message: string; wrongTries: number };
}

export interface CeremonySlotAnswer {
  requestId: string;
  /** True: make the key in the proposed slot. False: the step stops (PIV_SLOT_DECLINED), nothing written. */
  confirm: boolean;
}

export interface CeremonyManagementKeyRequest {
  requestId: string;
  /** 48 hex digits. Used once, for one SO login, and dropped. Never logged, never returned, never in an error. */
  managementKey: string;
}

export type CeremonyPhase = 'idle' | 'loaded' | 'running' | 'waiting-for-pin' | 'waiting-for-custodian' | 'done' | 'failed';

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
  /** YubiKey: a proposed PIV slot waiting for the custodian's confirmation (phase waiting-for-custodian). */
  slotRequest?: CeremonySlotRequestView;
  /** YubiKey: the management key is asked without echo (phase waiting-for-custodian). */
  managementKeyRequest?: CeremonyManagementKeyRequestView;
  /** Loud warnings for the room, oldest first (the factory-default management key). */
  warnings?: string[];
  /**
   * A YubiKey signature is waiting for the custodian to touch the key ("Touch your YubiKey now"); gone once
   * the signature is over. `policy` is the key's touch policy as its attestation says, or "unknown".
   */
  touch?: { message: string; serial: string; policy: string };
  /** The folder main chose for the outputs. */
  outDir?: string;
  failure?: Omit<IpcFailure, 'ok'>;
  /** True after a failure: the same plan and folder continue where the ceremony stopped. */
  canResume: boolean;
  /** A multi-repository ceremony: repositories written so far (issue #17). */
  multiProgress?: CeremonyMultiProgressView;
  /**
   * A stopped multi-repository ceremony whose plan has `shamir` and whose split was recorded: the split key
   * was wiped when the run stopped, so roots still unsigned need M of its N cards to resume
   * (src/ceremony/multi-shamir.ts). Public fields only.
   */
  resumeShareCards?: { splitId: string; threshold: number; shares: number };
  result?: {
    /** A multi-repository ceremony: where its outputs are. */
    multi?: CeremonyMultiResultView;
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

/** A key the transcript mentions, named from a sealed transcript (src/inspect/key-holders.ts). */
export interface TranscriptKeyNameView {
  fingerprint: string;
  keyId?: string;
  name: string;
  /** A person holds it; false: a machine, a server or share cards. */
  custodian: boolean;
}

export interface TranscriptListRequest {
  from: 'choose' | 'ceremony';
}

export interface TranscriptOpenListedRequest {
  /** The item's name in the last listing (a relative path main keeps; never resolved anywhere else). */
  name: string;
  expectedSealKey?: string;
}

export type TranscriptListSealView =
  | { state: 'sealed'; keyId: string; fingerprint: FingerprintView; time: string; holder?: { name: string; custodian: boolean } }
  | { state: 'unsealed'; why: string }
  | { state: 'refused'; code: string; message: string; path?: string };

export interface TranscriptListItemView {
  name: string;
  kind: string;
  kindTitle: string;
  profile?: CeremonyProfileName;
  repository?: string;
  started?: string;
  rehearsal?: boolean;
  entries: number;
  seal: TranscriptListSealView;
}

export interface TranscriptListView {
  /** The folder's base name (never a full path). */
  folder: string;
  transcripts: TranscriptListItemView[];
  /** Files looked at that are not transcripts. */
  otherFiles: number;
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
  sealedBy?: { keyId: string; fingerprint: FingerprintView; keytype: string; scheme: string; time: string; holder?: { name: string; custodian: boolean } };
  /** Keys named by sealed transcripts (this one, or its folder's): who made or holds each key (issue #16). */
  keyNames?: TranscriptKeyNameView[];
  /** When an expected key was given: whether the seal is by it. */
  expectedKey?: { given: string; matches: boolean };
  entries: TranscriptEntryView[];
  problems: { code: string; message: string; line?: number }[];
}

// --- rotation (#5) ------------------------------------------------------------------------------------

/** Which role lists a signer's key: the old root, the new root, both, or (targets requests) the targets role. */
export type RotationSignerSide = 'previous' | 'new' | 'both' | 'targets';

/** Why an old root key goes (src/rotation/payload.ts RemovalReason): a lost key cannot sign the rotation. */
export type RemovalReasonName = 'lost' | 'compromised' | 'retired';

/** The administrator opens the current root.json, and optionally the ceremony transcript that names its keys. */
export interface RotationOpenRootRequest {
  previousRoot: NamedFile;
  transcript?: NamedFile;
}

export interface RotationRootView {
  fileName: string;
  profile: CeremonyProfileName;
  version: number;
  expires: string;
  /** Now + the profile's default root lifetime: the new root's expiry unless the administrator changes it. */
  defaultExpires: string;
  /** Notary: the GUN in the root certificates; else the transcript's repository, if one was given. */
  repository?: string;
  threshold: number;
  keys: {
    keyid: string;
    keytype: string;
    fingerprint: FingerprintView;
    /** From the transcript's custodian entries (absent when unknown: the administrator may name the key). */
    name?: string;
    tokenSerial?: string;
  }[];
  roles: { role: 'root' | 'targets' | 'snapshot' | 'timestamp'; keyids: string[]; threshold: number }[];
  transcript?: { fileName: string; repository: string; sealed: boolean; named: number };
}

/** A new root key from a token on this machine (public-key export; Notary: a certificate made on the token, PIN needed). */
export interface RotationKeyFromTokenRequest {
  module: ModuleRef;
  token: TokenRefView;
  keyLabel: string;
  profile: CeremonyProfileName;
  /** Notary: the GUN, the certificate's CN. */
  gun?: string;
  /** Notary only. Used once, to log in, and dropped. Never logged, never returned, never in an error. */
  pin?: string;
}

/** A new root key from a public key file as `tuf-ceremony tokens export` writes it. */
export interface RotationKeyFromFileRequest {
  profile: CeremonyProfileName;
  key: NamedFile;
}

export interface RotationNewKeyView {
  source: 'token' | 'file';
  /** The key object as root.json will list it, as a file (what the build request sends back). */
  keyFile: NamedFile;
  keyid: string;
  keytype: string;
  fingerprint: FingerprintView;
  token?: TokenRefView;
  keyLabel?: string;
  rehearsal?: boolean;
  certificate?: { subject: string; notAfter: string };
}

export interface RotationChangeInput {
  replace: { old: string; reason: RemovalReasonName; key: NamedFile; name: string }[];
  remove: { keyid: string; reason: RemovalReasonName }[];
  add: { key: NamedFile; name: string }[];
  threshold?: number;
  /** The new root's expiry (the profile's date form, e.g. 2036-01-01T00:00:00Z). */
  expires: string;
  /** No key or threshold change: only the expiry is renewed (said explicitly, so an empty change is never an accident). */
  expiresOnly?: boolean;
}

export interface RotationBuildRequest {
  previousRoot: NamedFile;
  transcript?: NamedFile;
  repository: string;
  /** Names the administrator gave to current root keys. */
  names: { keyid: string; name: string }[];
  change: RotationChangeInput;
  /** False: build and show the review only; true: also write the request file to the folder main asks for. */
  write: boolean;
}

export interface WrittenFileView {
  name: string;
  /** Where main wrote it (the folder the person chose). */
  path: string;
  sha256: string;
}

/**
 * A session's transcript, written beside its output as `<output>.transcript.jsonl` (issue #16; the CLI's
 * rule): `transcript verify` checks it (a merge's is unsealed: `--allow-unsealed`).
 */
export interface SessionTranscriptFileView extends WrittenFileView {
  /** A co-signature's transcript: the key ID of the signing key that sealed it (`transcript verify --seal-key`). */
  sealKeyId?: string;
}

export interface RotationChangeView {
  /**
   * src/rotation/describe.ts RequestChange kinds (key-added, key-removed, key-replaced, threshold, expires, …),
   * and the review's other sentences (review-15a F5): `certificate-warning` (a Notary root certificate that
   * ends before the root expires; shown as a warning), `renewal` (the certificate request a renewal answers),
   * `also-changes` (a difference in the signed bytes the sentences do not say, with its JSON path).
   */
  kind: string;
  role?: 'root' | 'targets' | 'snapshot' | 'timestamp';
  /** The sentence: "Carol (key 1a2b…, fingerprint …) is replaced by Dave (…) in the root role". */
  text: string;
  who?: string;
  by?: string;
}

/** What a signing request changes, in words (src/rotation/describe.ts), and the hash to read aloud. */
export interface RotationReviewView {
  requestId: string;
  repository: string;
  profile: CeremonyProfileName;
  fromVersion: number;
  toVersion: number;
  changes: RotationChangeView[];
  /** Which metadata the request signs: root N+1 (a rotation) or targets.json N+1 (delegation changes). */
  role: 'root' | 'targets';
  /**
   * Delegated role requests (role 'targets'): the role whose own file is signed, its name and file name
   * as shown (quoted when they hold characters that could hide text).
   */
  delegation?: { name: string; file: string };
  /**
   * "root threshold stays 2 of 3" / "root threshold changes from 2 of 3 to 3 of 4" (targets requests: the
   * targets role's; delegated role requests: that role's, by its name — "releases threshold stays 1 of 2").
   */
  threshold: string;
  expires: { from: string; to: string };
  /** "needs 2 of 3 old keys (Alice, Bob, Carol) and 2 of 3 new keys (…)". */
  policy: string;
  /** SHA-256 of the exact bytes every signer signs; its first 8 bytes as hex and as words to read aloud. */
  digest: { sha256: string; hex: string; grouped: string; words: string[] };
  expectedSigners: { keyid: string; name: string; from: RotationSignerSide; fingerprint: FingerprintView; lost?: true }[];
  /** The CLI's rendering, line by line. */
  lines: string[];
}

export interface RotationRequestView {
  review: RotationReviewView;
  written?: WrittenFileView;
  /** The rotation-request session's transcript beside it (unsealed; its planHash is the request's SHA-256). */
  transcript?: SessionTranscriptFileView;
  /** The request exactly as written (the screen merges against it without opening it again). */
  file?: NamedFile;
}

/** Merge: the request and the responses accepted so far, plus the one being added, last. */
export interface RotationMergeRequest {
  request: NamedFile;
  responses: NamedFile[];
}

export interface RotationMergeView {
  requestId: string;
  /** What the merge makes: root.json N+1, or targets.json N+1 (one policy: `previous` and `new` are the same count). */
  role: 'root' | 'targets';
  /** A delegated role request (role 'targets'): the role whose own file is made, and that file, as shown. */
  delegation?: { name: string; file: string };
  toVersion: number;
  accepted: { fileName: string; signer: string; keyids: string[]; tokenSerial?: string }[];
  previous: { signed: number; threshold: number; total: number; verified: boolean };
  new: { signed: number; threshold: number; total: number; verified: boolean };
  waitingFor: { keyid: string; name: string; side: 'old' | 'new' | 'both' | 'targets' }[];
  final: boolean;
  /** "2 of 2 old keys (of 3), 1 of 2 new keys (of 3); waiting for: …". */
  status: string;
}

export interface RotationWriteRootView {
  written: WrittenFileView;
  /** The merge session's transcript beside it (unsealed). */
  transcript: SessionTranscriptFileView;
  /** `<version>.root.json`, for a targets request `<version>.targets.json`, for a delegated role's file `<version>.<role>.json`. */
  role: 'root' | 'targets';
  /** A delegated role request: the role whose own file was written, and that file, as shown. */
  delegation?: { name: string; file: string };
  version: number;
  status: string;
  merge: RotationMergeView;
  /**
   * A request that also revokes tags (src/rotation/revoke-tags.ts): the delegated role's new file, written
   * beside `written` (both or neither); publish both together.
   */
  delegated?: { role: string; version: number; written: WrittenFileView };
}

export interface RotationReviewRequest {
  request: NamedFile;
}

export interface RotationCheckSignerRequest {
  request: NamedFile;
  module: ModuleRef;
  token: TokenRefView;
  keyLabel: string;
}

/** The chosen token holds a root key of the request: shown before the PIN is asked. */
export interface RotationSignerCheckView {
  token: TokenView;
  key: TokenKeyView;
  signer: { name: string; keyids: string[]; from: RotationSignerSide; lost?: true };
  /**
   * The bytes this key signs, whose hash words the co-signer confirms before the PIN (and `rotationSign`
   * sends back as `confirmedSha256`). A request that also revokes tags (src/rotation/revoke-tags.ts) has two
   * parts: `part` says which one this key signs — 1, targets.json N+1 (the root's targets keys), or 2, the
   * delegated role's file N+1 (that role's keys) — and `digest` is that part's hash, not the request's.
   */
  signs: { file: string; version: number; digest: RotationReviewView['digest']; part?: { index: 1 | 2; of: 2 } };
  /**
   * A YubiKey key: its touch policy as the slot's attestation states it ("unknown" when unreadable), and
   * whether its signature waits for a touch (every policy but "never"/"default", and unknown): the screen
   * then says "Touch your YubiKey now" while signing. Absent for other tokens.
   */
  touch?: { policy: 'default' | 'never' | 'always' | 'cached' | 'unknown'; asks: boolean };
}

export interface RotationSignRequest {
  request: NamedFile;
  module: ModuleRef;
  token: TokenRefView;
  keyLabel: string;
  /** The SHA-256 of the bytes to sign, as the signer confirmed it (the words read aloud). */
  confirmedSha256: string;
  /** Used once, to log in, and dropped. Never logged, never returned, never in an error. */
  pin: string;
  /** Who watched (optional witness line, issue #16): recorded in the response. */
  witnesses?: string[];
}

export interface RotationSignedView {
  written: WrittenFileView;
  /** The co-sign session's transcript beside the response, sealed by the signing key. */
  transcript: SessionTranscriptFileView;
  signer: { name: string; tokenSerial?: string };
  /** The witnesses the response records (empty: none named). */
  witnesses: string[];
  keyids: string[];
  /** This response alone, merged as the administrator will: "1 of 2 old keys …". */
  status: string;
  rehearsal: boolean;
}

// --- certificate co-sign (#14) --------------------------------------------------------------------------

/**
 * A Notary root certificate request (src/rotation/certificate-request.ts), reviewed on the Co-sign screen:
 * each listed custodian's token issues a fresh certificate for the same key; nothing is signed for root.json.
 */
export interface CertificateReviewView {
  requestId: string;
  repository: string;
  fromVersion: number;
  toVersion: number;
  /** Root N's expiry and root N+1's, as written in them. */
  expires: { from: string; to: string };
  /** The validity every renewed certificate must have, exactly. */
  validity: { notBefore: string; notAfter: string };
  /** The keys whose certificates are renewed: who holds each, its fingerprint, when its current certificate ends. */
  certificates: { keyid: string; name: string; fingerprint: FingerprintView; currentNotAfter: string }[];
  /** Root keys whose certificates this request does NOT renew. */
  notRenewed: { keyid: string; currentNotAfter?: string }[];
  /** The request ID: its short hash as hex and words, read aloud and confirmed. */
  digest: { sha256: string; hex: string; grouped: string; words: string[] };
  /** The CLI's review, line by line. */
  lines: string[];
}

export interface CertificateReviewRequest {
  request: NamedFile;
}

export interface CertificateCheckSignerRequest {
  request: NamedFile;
  module: ModuleRef;
  token: TokenRefView;
  keyLabel: string;
}

/** The chosen token holds a key whose certificate the request renews: shown before the PIN is asked. */
export interface CertificateSignerCheckView {
  token: TokenView;
  key: TokenKeyView;
  /** The custodian the request names for this key, and the key's current ID (its current certificate's). */
  signer: { name: string; keyid: string };
  /** As RotationSignerCheckView.touch. */
  touch?: { policy: 'default' | 'never' | 'always' | 'cached' | 'unknown'; asks: boolean };
}

export interface CertificateSignRequest {
  request: NamedFile;
  module: ModuleRef;
  token: TokenRefView;
  keyLabel: string;
  /** The request ID as the custodian confirmed it (its words read aloud). */
  confirmedSha256: string;
  /** Used once, to log in, and dropped. Never logged, never returned, never in an error. */
  pin: string;
  witnesses?: string[];
}

export interface CertificateSignedView {
  written: WrittenFileView;
  /** The session's transcript beside the response, sealed by the key that issued the certificate. */
  transcript: SessionTranscriptFileView;
  signer: { name: string; tokenSerial?: string };
  witnesses: string[];
  /** The key's current ID and its ID under the new certificate. */
  keyid: string;
  newKeyid: string;
  /** The new certificate, verified in software before it was written. */
  certificate: { sha256: string; notBefore: string; notAfter: string };
  rehearsal: boolean;
}

// --- import (#6) --------------------------------------------------------------------------------------

export type TrustLayoutName = 'notary' | 'tuf';

/** The key inventory an install records what it installed in: chosen by main's dialog, or cleared. */
export interface ImportInventoryRequest {
  clear: boolean;
}

export interface ImportTrustDirRequest {
  /** notary: Docker / Notary trust directory (`<dir>/tuf/<GUN>/metadata/`); tuf: a TUF client metadata folder. */
  layout: TrustLayoutName;
}

/** One of the three, or none (then the root already installed is the pin). */
export interface ImportPinRequest {
  rootFile?: NamedFile;
  /** SHA-256 of the pinned root.json's bytes: 64 hex digits. */
  fingerprint?: string;
  /**
   * A pins file (src/trust-store/pins-file.ts: repository → root.json SHA-256), for a trust-bundle-set
   * (issue #17); a single bundle's repository is looked up in it.
   */
  pinsFile?: NamedFile;
}

export interface ImportBundleRequest {
  /** The bundle file's base name (or `camera (QR)`) and its bytes. */
  bundle: NamedFile;
}

export interface ImportQrFrameRequest {
  /** The text of one QR code, as decoded. */
  text: string;
}

/** The QR scanner opens (true) or closes (false): electron/main/camera-gate.ts. */
export interface ImportQrCameraRequest {
  open: boolean;
}

/** Main's state after the call: whether the camera may be granted now. */
export interface ImportQrCameraView {
  open: boolean;
}

/** The receiver's progress (src/transport/qr/progress.ts), and the frames it refused. */
export interface ImportQrProgressView extends QrProgress {
  /** Frames refused so far (malformed, another UR type, another bundle). */
  refused: number;
}

export interface ImportSessionView {
  layout: TrustLayoutName;
  /** The trust directory main chose; absent until chosen. */
  trustDir?: string;
  /** The key inventory (key-inventory.json) main chose to record installs in; absent: none is updated. */
  inventory?: string;
  pin?: { kind: 'file'; name: string; sha256: string } | { kind: 'fingerprint'; sha256: string } | { kind: 'pins'; name: string; sha256: string; repositories: number };
  qr: ImportQrProgressView;
}

export interface ImportQrDecoderView {
  wasm: Uint8Array;
  sha256: string;
}

export interface ImportQrFrameView {
  outcome: 'innovative' | 'redundant' | 'duplicate' | 'refused';
  progress: ImportQrProgressView;
  /** Why this frame was refused (QR_FOREIGN_FRAME for a frame of a second bundle, …). */
  refusal?: Omit<IpcFailure, 'ok'>;
  /**
   * Reading started again on another bundle with this frame (electron/main/qr-assembly.ts FOLLOW_AFTER):
   * `dropped` frames of the bundle read first were forgotten, `read` frames of this one taken.
   */
  followed?: { dropped: number; read: number };
  /** The reassembled bundle, once complete. */
  bundle?: Uint8Array;
}

/** What the bundle says it is, before any verification: read aloud and compared with the sender's. */
export interface ImportBundleView {
  source: string;
  kind: string;
  profile: TrustLayoutName;
  repository: string;
  created: string;
  bytes: number;
  files: { name: string; length: number }[];
  /** SHA-256 of the whole bundle; `short` its first 8 bytes in groups of four hex digits, `words` the same as PGP words. */
  hash: { sha256: string; short: string; words: string[] };
}

export interface ImportRoleView {
  name: string;
  version: number;
  expires: string;
  /** Top-level roles: the root's policy for it. */
  threshold?: number;
  keys?: number;
}

/** What is (or would be) installed. */
export interface ImportInstallRequest extends ImportBundleRequest {
  /** Who watched the import (optional witness line, issue #16): recorded in the result. */
  witnesses?: string[];
}

export interface ImportInstalledView {
  set?: undefined;
  /** Install only: the witnesses named for this import (empty: none). */
  witnesses?: string[];
  /** Install only: the session transcript written for it (the site's sessions folder beside the trust directory). */
  transcript?: string;
  /** Install only: the key inventory the repository was recorded in. */
  inventory?: string;
  /** Install only: installed, but the key inventory update after it failed (shown as a warning, not a refusal). */
  inventoryError?: InventoryErrorView;
  /** Install only: the inventory update took over a lock left by a dead process (said, never silent: shown as a notice). */
  inventoryBrokeStaleLock?: string;
  /** Install only: installed, but a step after the swap's rename failed (shown as a warning, not a refusal). */
  cleanupFailed?: ImportCleanupFailedView;
  profile: TrustLayoutName;
  layout: TrustLayoutName;
  /** Notary: the GUN. */
  repository?: string;
  /** The folder replaced. */
  folder: string;
  pinnedBy: 'file' | 'fingerprint' | 'installed';
  /** Versions installed before, when something was. */
  previous?: { root: number; targets?: number; snapshot?: number; timestamp?: number };
  roles: ImportRoleView[];
  files: string[];
  /** Targets listed by the top-level targets role. */
  targets: number;
  /** Installed, but its import lock could not be removed afterwards: what to do about it (shown as a warning). */
  lockNotReleased?: string;
  /**
   * Install only: leftovers of killed commands removed beside the import lock or the key inventory's lock
   * (src/trust-store/lock.ts sweepAsideLeftovers), one sentence each: said, never silent (shown as a notice,
   * as the CLI's `note:` lines and `--json` removedLockLeftovers).
   */
  removedLockLeftovers?: string[];
  /** attestations.json, checked (Yubico's roots): per key, where it was generated or that nothing shows it. */
  attestations?: { keyId: string; status: 'verified' | 'none' | 'refused'; sentence: string }[];
  /** tuf layout: delegated roles stored under their own name only, python-tuf's copy not writable (file-names.ts UnwrittenCopy). */
  notWritten?: NotWrittenCopyView[];
}

/** A delegated role's python-tuf copy the install could not write: its role, that copy's file name, why. */
export interface NotWrittenCopyView {
  role: string;
  file: string;
  why: string;
}

/** importRemoveStaleLock: what was removed (a sentence), or nothing when the lock had gone meanwhile. */
export interface ImportStaleLockView {
  removed: boolean;
  message: string;
}

/** A single trust bundle's preview, or a trust-bundle-set's (`set`). */
export type ImportPreviewView = ImportSinglePreviewView | ImportSetPreviewView;

export interface ImportSinglePreviewView {
  bundle: ImportBundleView;
  set?: undefined;
  /** The complete verification (nothing written): what would be installed, or why it would be refused. */
  verification: { ok: true; result: ImportInstalledView } | ({ ok: false } & Omit<IpcFailure, 'ok'>);
}

/**
 * A trust-bundle-set (issue #17): every repository verified as the import would (nothing written), each
 * with its verdict; `verification` is the set's: installable only when every repository is (all or none).
 */
export interface ImportSetPreviewView {
  bundle: ImportBundleView;
  set: ImportSetView;
  verification: { ok: true } | ({ ok: false } & Omit<IpcFailure, 'ok'>);
}

export interface ImportSetView {
  /** The set's name (its manifest's). */
  name: string;
  profile: TrustLayoutName;
  /** The one folder replaced at once when the set is installed. */
  folder?: string;
  repositories: ImportSetRowView[];
}

/** One repository of a set: its verified root (when it verified) and its verdict. */
export interface ImportSetRowView {
  repository: string;
  profile: TrustLayoutName;
  root?: { version: number; expires: string; threshold: number; keys: number; previous: number | null };
  pinnedBy?: 'file' | 'fingerprint' | 'installed';
  verdict: { ok: true } | ({ ok: false } & Omit<IpcFailure, 'ok'>);
  /** As ImportInstalledView.notWritten, for this repository. */
  notWritten?: NotWrittenCopyView[];
}

/** A set installed (every repository, in one step). */
export interface ImportSetInstalledView {
  set: ImportSetView & { folder: string };
  witnesses: string[];
  /** The key inventory every repository of the set was recorded in (one update, after the install). */
  inventory?: string;
  /** Installed, but the key inventory update after it failed (shown as a warning, not a refusal). */
  inventoryError?: InventoryErrorView;
  /** The inventory update took over a lock left by a dead process (said, never silent: shown as a notice). */
  inventoryBrokeStaleLock?: string;
  /** The session transcript written for it (the site's sessions folder beside the trust directory). */
  transcript?: string;
  /** Installed, but a step after the swap's rename failed (shown as a warning, not a refusal). */
  cleanupFailed?: ImportCleanupFailedView;
  /** As ImportInstalledView.removedLockLeftovers: leftovers of killed commands removed beside the import or inventory lock. */
  removedLockLeftovers?: string[];
}

/**
 * IMPORT_INSTALLED_CLEANUP_FAILED after an install (src/trust-store/installed-cleanup.ts): the new trust
 * folder IS installed and recorded (transcript, key inventory); a step after the rename failed (syncing
 * its parent, removing the folder it replaced). The swap's message names the cause; `leftBeside` the
 * names left next to the trust folder (the set-aside folder, then the import's journal; empty: none).
 */
export interface ImportCleanupFailedView {
  code: 'IMPORT_INSTALLED_CLEANUP_FAILED';
  message: string;
  path?: string;
  leftBeside: string[];
}

/**
 * The key inventory update that follows an install failed (review B2 M1): the install happened and its
 * transcript says so; the inventory still holds what it held (INVENTORY_CHANGED: another writer; else a write fault).
 */
export interface InventoryErrorView {
  code: string;
  message: string;
  path?: string;
}

// --- export (#6) --------------------------------------------------------------------------------------

/** src/bundle/format.ts BundleKind (held equal by a type check in schemas.ts). */
export type BundleKindName = 'trust-bundle' | 'signing-request' | 'signature-response' | 'share-card' | 'trust-bundle-set';

export interface ExportFolderRequest {
  /** The files of the metadata folder, relative names (as for inspectFiles). */
  files: NamedFile[];
  /** The folder's name (a base name): recorded as a TUF repository's name. */
  source?: string;
}

export interface ExportBundleRequest {
  file: NamedFile;
}

export interface ExportDestinationRequest {
  /** True: ask for a folder now; false: propose a name in the folder chosen before. */
  choose: boolean;
}

export interface ExportWriteRequest {
  /** A base name in the chosen folder; never a path. */
  fileName: string;
}

export interface ExportQrFramesRequest {
  /** Index of the first frame in the endless display order (0-based). */
  first: number;
  count: number;
}

/** A bundle's SHA-256, its first 8 bytes in hex (grouped) and as PGP words to read aloud. */
export interface BundleHashView {
  sha256: string;
  short: string;
  words: string[];
}

export interface ExportPreparedView {
  from: 'folder' | 'bundle';
  /** What was opened: the folder's or the file's name. */
  opened: string;
  kind: BundleKindName;
  profile: CeremonyProfileName;
  repository: string;
  created: string;
  /** Size of the whole bundle. */
  bytes: number;
  files: { name: string; length: number; sha256: string }[];
  hash: BundleHashView;
  /** `<repository>-<kind>-<hash>.tufbundle`. */
  suggestedName: string;
  /** Trust bundles: what verified (from the repository's own oldest root). */
  verification?: {
    trustedRootVersion: number;
    rootVersion: number;
    roles: { name: string; version: number; signed: number; threshold: number }[];
    targets: number;
    absent: string[];
  };
  /** `note`: for a small bundle, how many frames a receiver may need beyond the fragment count (src/transport/qr/encoder.ts smallBundleNote). */
  qr: { available: true; seqLen: number; fragmentLength: number; note?: string } | { available: false; reason: string };
}

export interface ExportDestinationView {
  /** The folder main chose (shown to the person). */
  folder: string;
  suggestedName: string;
  /** The suggested name, or its first free numbered variant when that one exists. */
  proposedName: string;
  suggestedTaken: boolean;
}

export interface ExportWrittenView {
  path: string;
  folder: string;
  fileName: string;
  bytes: number;
  /** The hash of the copy read back from the medium (the same bytes as meant, or the write was refused). */
  hash: BundleHashView;
  kind: BundleKindName;
  repository: string;
}

export interface ExportFullScreenRequest {
  on: boolean;
}

export interface ExportFullScreenView {
  fullScreen: boolean;
}

export interface QrFrameView {
  index: number;
  /** The UR text the frame holds. */
  text: string;
  /** Modules per side (without the quiet zone). */
  size: number;
  /** Row-major bits, dark = 1, MSB first, base64. */
  modules: string;
}

export interface ExportQrFramesView {
  seqLen: number;
  fragmentLength: number;
  first: number;
  /** SHA-256 of the bundle the frames carry. */
  hash: string;
  frames: QrFrameView[];
}

// --- shamir ---------------------------------------------------------------------------------------------

/**
 * A share card as entered on a screen: typed or pasted text, or a card file (`share-card-K-of-N.txt`).
 * Secret: it crosses IPC once (the roll-call, or the add that puts it in a set main holds) and is never
 * returned, logged or quoted in an error; the renderer zeroes the file bytes it sent.
 */
export type ShamirCardInput = { text: string } | { file: NamedFile };

/** The split and / or key a card must belong to (as `tuf-ceremony shamir check --split --fingerprint`). */
export interface ShamirExpectations {
  /** Like 7KQ4-M2XA (case, spaces and hyphens tolerated). */
  splitId?: string;
  /** 64 hex digits (separators tolerated). */
  fingerprint?: string;
}

export interface ShamirRollCallRequest {
  card: ShamirCardInput;
  expected?: ShamirExpectations;
}

/** A card's public fields only: never its share data. */
export interface ShamirCardView {
  /** 1-based position in what was entered. */
  position: number;
  /** "typed" or the card file's name. */
  source: string;
  /** Like 7KQ4-M2XA. */
  splitId: string;
  index: number;
  threshold: number;
  shares: number;
  algorithm: 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384';
  fingerprint: FingerprintView;
  label?: string;
  rehearsal: boolean;
}

export interface ShamirRollCallView {
  card: ShamirCardView;
  /** Which expectations were given and met (a refusal otherwise). */
  checked: { split: boolean; fingerprint: boolean };
  /** "valid card: share 2 of split 7KQ4-M2XA (any 2 of 3 cards), nothing was rebuilt". */
  status: string;
}

/** One more card for a set main holds (electron/main/shamir.ts ShareSetStore), or the first card of a new set. */
export interface ShamirAddCardRequest {
  /** The set's handle, as the last add returned it; absent for a new set. */
  set?: string;
  card: ShamirCardInput;
  /** Co-signing: the set's key must be a root key of this signing request (checked before anything is rebuilt). */
  request?: NamedFile;
}

/** A set's public view: never a card's share data. */
export interface ShamirSetView {
  /** The set's handle (128 random bits, hex): lets the screen add to, use or clear the set, never read it. */
  set: string;
  cards: ShamirCardView[];
  splitId: string;
  threshold: number;
  shares: number;
  algorithm: ShamirCardView['algorithm'];
  fingerprint: FingerprintView;
  label?: string;
  rehearsal: boolean;
  /** Cards still needed (0 when the set is complete). */
  more: number;
  complete: boolean;
  /** "2 of 3 cards, need 1 more" / "2 of 3 cards: enough to verify the key". */
  status: string;
  /**
   * With a request: whose key the cards rebuild there, and what that key signs — for a request that also
   * revokes tags, the part (1 or 2) and its hash words, which the co-signer confirms and sends back as
   * `confirmedSha256` (as RotationSignerCheckView.signs on the token path).
   */
  signer?: { name: string; keyids: string[]; from: RotationSignerSide; signs: RotationSignerCheckView['signs'] };
}

export interface ShamirVerifyRequest {
  set: string;
  expected?: ShamirExpectations;
}

/** The cards rebuilt the key they record (compared with its fingerprint), and it was wiped. Never the key. */
export interface ShamirVerifyView {
  match: true;
  splitId: string;
  algorithm: ShamirCardView['algorithm'];
  fingerprint: FingerprintView;
  indexes: number[];
  status: string;
}

export interface ShamirCosignRequest {
  request: NamedFile;
  /** The SHA-256 of the bytes to sign, as the signer confirmed it (the words read aloud). */
  confirmedSha256: string;
  /** The set of cards to sign with: used once, then wiped. */
  set: string;
  /** Who watched (optional witness line, issue #16): recorded in the response. */
  witnesses?: string[];
}

export interface ShamirClearSetRequest {
  set: string;
}

/** Whether main still held the set (false: it was used, expired or already cleared). */
export interface ShamirClearView {
  cleared: boolean;
}

export interface ShamirCosignView {
  written: WrittenFileView;
  /** The co-sign session's transcript beside the response, sealed by the rebuilt key before it was wiped. */
  transcript: SessionTranscriptFileView;
  signer: { name: string };
  /** The witnesses the response records (empty: none named). */
  witnesses: string[];
  keyids: string[];
  /** This response alone, merged as the administrator will. */
  status: string;
  rehearsal: boolean;
  /** The key the cards rebuilt (checked against the cards' record, then wiped). */
  fingerprint: FingerprintView;
}
