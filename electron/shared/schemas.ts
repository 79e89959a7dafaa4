/**
 * zod schemas for every IPC channel's request payload: the renderer is treated as untrusted input
 * (Electron security checklist #17 validates *who* calls; this validates *what* they send). Objects are
 * strict (unknown fields refused, PRODUCT.md §6), sizes are capped before the core parses a byte.
 *
 * Values, not types: only electron/main imports this file (the renderer imports api-types.ts only).
 */
import { z } from 'zod';
import { MAX_TRANSCRIPT_BYTES } from '../../src/audit/schema.js';
import { INVENTORY_MAX_BYTES } from '../../src/ceremony/inventory.js';
import { capFor, DEFAULT_CAPS } from '../../src/tuf/caps.js';
import { isShownText } from '../../src/json/fields.js';
import { PINS_MAX_BYTES } from '../../src/trust-store/pins-file.js';
import { isWindowsDeviceName } from '../../src/bundle/export.js';
import type { KeyAlgorithm } from '../../src/profiles/profile.js';
import type { ModulePreset } from '../../src/signers/pkcs11/presets.js';
import { MANAGEMENT_KEY_HEX_LENGTH } from '../../src/signers/pkcs11/piv-slots.js';
import type { PinStatus } from '../../src/signers/pkcs11/token.js';
import type { RemovalReason } from '../../src/rotation/payload.js';
import type {
  CeremonyCancelPinRequest,
  CeremonyExportRepositoryRequest,
  CeremonyLoadRequest,
  CeremonyManagementKeyRequest,
  CeremonyPinRequest,
  CeremonyRehearseRequest,
  CeremonySlotAnswer,
  ExpectedToken,
  InspectRequest,
  KeyAlgorithmName,
  ModulePresetName,
  NamedFile,
  PinStatusName,
  TokenRefView,
  TokensCheckRequest,
  TokensGenerateKeyRequest,
  TokensListRequest,
  TranscriptListRequest,
  TranscriptOpenListedRequest,
  TranscriptVerifyRequest,
  // --- rotation (#5)
  RemovalReasonName,
  RotationBuildRequest,
  RotationChangeInput,
  RotationCheckSignerRequest,
  RotationKeyFromFileRequest,
  RotationKeyFromTokenRequest,
  RotationMergeRequest,
  RotationOpenRootRequest,
  RotationReviewRequest,
  RotationSignRequest,
  // --- shamir
  CeremonyResumeRequest,
  ShamirAddCardRequest,
  ShamirClearSetRequest,
  ShamirCosignRequest,
  ShamirExpectations,
  ShamirRollCallRequest,
  ShamirVerifyRequest,
} from './api-types.js';
import type { ImportBundleRequest, ImportPinRequest, ImportQrFrameRequest, ImportTrustDirRequest } from './api-types.js';
import type { BundleKindName, ExportBundleRequest, ExportDestinationRequest, ExportFolderRequest, ExportFullScreenRequest, ExportQrFramesRequest, ExportWriteRequest } from './api-types.js';
import type { BundleKind } from '../../src/bundle/format.js';
import { CHANNELS, type ChannelName } from './channels.js';
import { QR_MAX_FRAME_CHARS } from '../../src/transport/qr/part.js';
import { SHARE_CARD_MAX_BYTES } from '../../src/shamir/card.js';
import { CERTIFICATE_REQUEST_MAX_BYTES } from '../../src/rotation/format.js';
import type { CertificateCheckSignerRequest, CertificateReviewRequest, CertificateSignRequest } from './api-types.js';

/** Longest accepted relative name, and longest single segment (common file-system limits). */
export const MAX_NAME_LENGTH = 1024;
export const MAX_SEGMENT_LENGTH = 255;
/** Files in one request: the core's cap on a metadata directory. */
export const MAX_FILES = DEFAULT_CAPS.files;
/**
 * All bytes in one request. Twice the largest per-file cap: room for a 100,000-entry targets file plus
 * a long root chain (PRODUCT.md §7) while bounding what one call can make the main process hold.
 */
export const MAX_TOTAL_BYTES = 2 * DEFAULT_CAPS.targets;

// A name is shown to people (refusals, reviews): none of src/json/fields.ts UNSHOWN_CHARS (controls, bidi
// marks and overrides — U+202E can make `json.exe` read as `exe.json`, "Trojan Source", CVE-2021-42574 —,
// invisible characters, line separators). One definition for every place that shows untrusted text.

/** Why `name` is not an acceptable relative, `/`-separated file name; undefined when it is. */
export function fileNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'file name is empty';
  if (name.length > MAX_NAME_LENGTH) return `file name is longer than ${MAX_NAME_LENGTH} characters`;
  if (!isShownText(name)) return 'file name contains a control, bidirectional or invisible character';
  if (name.includes('\\')) return 'file name must use "/" as its separator, not "\\"';
  if (name.startsWith('/')) return 'file name must be relative, not absolute';
  if (/^[A-Za-z]:/.test(name)) return 'file name must be relative, not a drive path';
  for (const segment of name.split('/')) {
    if (segment === '') return 'file name has an empty segment ("//" or a trailing "/")';
    if (segment === '.' || segment === '..') return 'file name must not contain "." or ".." segments';
    if (segment.length > MAX_SEGMENT_LENGTH) return `file name has a segment longer than ${MAX_SEGMENT_LENGTH} characters`;
  }
  return undefined;
}

/**
 * The role whose size cap applies to a file, from its name: `root.json` and `3.root.json` → root,
 * `timestamp.json` → timestamp, anything nested or unknown → delegated (src/tuf/caps.ts capFor).
 */
export function roleForName(name: string): string {
  if (name.includes('/')) return 'delegated';
  const base = name.replace(/\.json$/, '');
  const versioned = /^[0-9]+\.(.+)$/.exec(base);
  return versioned ? versioned[1]! : base;
}

export function sizeCapForName(name: string): number {
  return capFor(DEFAULT_CAPS, roleForName(name));
}

const fileName = z.string().superRefine((name, ctx) => {
  const problem = fileNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const NamedFileSchema = z
  .strictObject({
    name: fileName,
    bytes: z.instanceof(Uint8Array, { message: 'bytes must be a Uint8Array' }),
  })
  .superRefine((file, ctx) => {
    const cap = sizeCapForName(file.name);
    if (file.bytes.byteLength > cap) {
      ctx.addIssue({ code: 'custom', path: ['bytes'], message: `file is ${file.bytes.byteLength} bytes, above the ${cap}-byte cap for its role` });
    }
  });

const fileList = z
  .array(z.unknown())
  .min(1, { message: 'at least one file is required' })
  .max(MAX_FILES, { message: `more than ${MAX_FILES} files` })
  // The cheap length check runs first: no per-element work for an oversized list.
  .pipe(z.array(NamedFileSchema))
  .superRefine((files, ctx) => {
    const seen = new Set<string>();
    let total = 0;
    files.forEach((file, i) => {
      if (seen.has(file.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'file name appears twice' });
      seen.add(file.name);
      total += file.bytes.byteLength;
    });
    if (total > MAX_TOTAL_BYTES) ctx.addIssue({ code: 'custom', message: `files total ${total} bytes, above the ${MAX_TOTAL_BYTES}-byte cap` });
  });

const baseName = z.string().superRefine((name, ctx) => {
  const problem = fileNameProblem(name) ?? (name.includes('/') ? 'must be a base name, without "/"' : undefined);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const InspectRequestSchema = z.strictObject({
  files: fileList,
  trustedRoot: NamedFileSchema.optional(),
  /** A ceremony's transcript: the holders' names of the keys it made (src/inspect/key-holders.ts). */
  holders: NamedFileSchema.optional(),
  directory: z.boolean().optional(),
  source: baseName.optional(),
});

/** appInfo takes no argument at all. */
export const AppInfoRequestSchema = z.undefined();

// --- tokens ------------------------------------------------------------------------------------------

/** Module presets (src/signers/pkcs11/presets.ts MODULE_PRESETS). */
export const MODULE_PRESET_NAMES = ['ykcs11', 'opensc', 'softhsm2'] as const satisfies readonly ModulePresetName[];
export const KEY_ALGORITHMS = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-pss-sha256'] as const satisfies readonly KeyAlgorithmName[];
/** Longest PIN, in UTF-8 bytes: SoftHSM2 accepts up to 255, hardware tokens far fewer. */
export const MAX_PIN_BYTES = 255;
/** PKCS#11 token labels are 32 bytes and serials 16 characters; this leaves room, never more. */
export const MAX_TOKEN_TEXT = 64;
/** src/signers/pkcs11/token.ts generateKeyPair: a key label is 1 to 64 printable characters. */
export const MAX_KEY_LABEL = 64;

/**
 * A PKCS#11 module: a preset, or `{ chosen }`, the handle main issued for a file the person picked in
 * main's dialog (electron/main/module-choices.ts). Never a path: loading a library runs its code in main,
 * so a compromised renderer must not be able to choose one.
 */
const moduleName = z.union(
  [
    z.enum(MODULE_PRESET_NAMES),
    z.strictObject({ chosen: z.string().regex(/^[0-9a-f]{32}$/, { message: 'chosen must be the 32 hex digits main gave for the module file' }) }),
  ],
  { message: `module must be a preset (${MODULE_PRESET_NAMES.join(', ')}) or { chosen } from "Choose module file…", never a path` },
);

/** Text shown to people (labels, serials): bounded, none of src/json/fields.ts UNSHOWN_CHARS. */
function shownText(what: string, min: number, max: number) {
  return z.string().superRefine((value, ctx) => {
    if (value.length < min) ctx.addIssue({ code: 'custom', message: `${what} is empty` });
    else if (value.length > max) ctx.addIssue({ code: 'custom', message: `${what} is longer than ${max} characters` });
    else if (!isShownText(value)) ctx.addIssue({ code: 'custom', message: `${what} contains a control, bidirectional or invisible character` });
  });
}

const fingerprint = z.string().regex(/^[0-9a-f]{64}$/, { message: 'fingerprint must be 64 lower-case hex digits (SHA-256)' });

export const TokenRefSchema = z.strictObject({
  serial: shownText('token serial', 1, MAX_TOKEN_TEXT),
  label: shownText('token label', 0, MAX_TOKEN_TEXT),
});

export const ExpectedTokenSchema = z.strictObject({
  serial: shownText('expected token serial', 1, MAX_TOKEN_TEXT),
  fingerprint: fingerprint.optional(),
});

/**
 * The PIN: text, 1 to MAX_PIN_BYTES UTF-8 bytes, no control characters. The messages never quote it
 * (zod's own messages do not quote inputs either).
 */
export const PinSchema = z.string({ message: 'PIN must be text' }).superRefine((pin, ctx) => {
  if (pin.length === 0) ctx.addIssue({ code: 'custom', message: 'no PIN was entered' });
  else if (new TextEncoder().encode(pin).length > MAX_PIN_BYTES) ctx.addIssue({ code: 'custom', message: `the PIN is longer than ${MAX_PIN_BYTES} bytes` });
  else if (/[\u0000-\u001f\u007f-\u009f]/.test(pin)) ctx.addIssue({ code: 'custom', message: 'the PIN contains a control character' });
});

export const TokensListRequestSchema = z.strictObject({
  module: moduleName,
  inventory: z
    .instanceof(Uint8Array, { message: 'inventory must be a Uint8Array' })
    .refine((b) => b.byteLength <= INVENTORY_MAX_BYTES, { message: `a key inventory is at most ${INVENTORY_MAX_BYTES} bytes` })
    .optional(),
});

export const TokensCheckRequestSchema = z.strictObject({
  module: moduleName,
  token: TokenRefSchema,
  expected: ExpectedTokenSchema.optional(),
});

export const TokensGenerateKeyRequestSchema = z.strictObject({
  module: moduleName,
  token: TokenRefSchema,
  expected: ExpectedTokenSchema.optional(),
  algorithm: z.enum(KEY_ALGORITHMS, { message: `algorithm must be one of: ${KEY_ALGORITHMS.join(', ')}` }),
  keyLabel: shownText('key label', 1, MAX_KEY_LABEL),
  keyId: z
    .string()
    .regex(/^(?:[0-9a-f]{2}){1,32}$/, { message: 'key ID must be 1 to 32 bytes in lower-case hex' })
    .optional(),
  pin: PinSchema,
});

// --- root ceremony and transcript ----------------------------------------------------------------------

/** A plan, site bindings or server key file is a few kilobytes (src/ceremony PLAN_MAX_BYTES is 256 KiB). */
export const MAX_CEREMONY_FILE_BYTES = 256 * 1024;
/** src/audit MAX_TRANSCRIPT_BYTES. */
export const MAX_TRANSCRIPT_FILE_BYTES = MAX_TRANSCRIPT_BYTES;
/**
 * Key files one plan may name: per repository of a multi-repository plan (src/ceremony/multi-plan.ts
 * MAX_REPOSITORIES, 5,000) its snapshot and timestamp server keys and up to src/ceremony/plan.ts
 * MAX_PUBLISHERS (8) publisher keys, so any plan `tuf-ceremony run` runs can be loaded (review A2). The
 * total stays under MAX_CEREMONY_INPUT_TOTAL_BYTES, and load() refuses any file the plan does not name.
 */
export const MAX_CEREMONY_INPUTS = 5000 * (2 + 8);
/** A multi-repository plan (src/ceremony/multi-plan.ts MULTI_PLAN_MAX_BYTES). */
export const MAX_CEREMONY_PLAN_BYTES = 8 * 1024 * 1024;
/** All input files of one load together: 10,000 server keys of a few hundred bytes each, with room. */
export const MAX_CEREMONY_INPUT_TOTAL_BYTES = 16 * 1024 * 1024;
/** A Notary GUN / TUF repository name (src/ceremony/plan.ts caps it at 255). */
export const MAX_REPOSITORY_LENGTH = 255;

function cappedFile(cap: number) {
  return z
    .strictObject({
      name: baseName,
      bytes: z.instanceof(Uint8Array, { message: 'bytes must be a Uint8Array' }),
    })
    .superRefine((file, ctx) => {
      if (file.bytes.byteLength > cap) ctx.addIssue({ code: 'custom', path: ['bytes'], message: `file is ${file.bytes.byteLength} bytes, above the ${cap}-byte cap` });
    });
}

const ceremonyFile = cappedFile(MAX_CEREMONY_FILE_BYTES);

export const CeremonyLoadRequestSchema = z.strictObject({
  plan: cappedFile(MAX_CEREMONY_PLAN_BYTES),
  bindings: ceremonyFile,
  inputs: z
    .array(z.unknown())
    .max(MAX_CEREMONY_INPUTS, { message: `more than ${MAX_CEREMONY_INPUTS} input files` })
    .pipe(z.array(ceremonyFile))
    .superRefine((files, ctx) => {
      const total = files.reduce((n, f) => n + f.bytes.byteLength, 0);
      if (total > MAX_CEREMONY_INPUT_TOTAL_BYTES) ctx.addIssue({ code: 'custom', message: `the input files are ${total} bytes together, above the ${MAX_CEREMONY_INPUT_TOTAL_BYTES}-byte cap` });
    })
    .optional(),
});

export const CeremonyRehearseRequestSchema = z.strictObject({
  profile: z.enum(['notary', 'tuf'], { message: 'profile must be notary or tuf' }),
  repository: shownText('repository', 1, MAX_REPOSITORY_LENGTH),
  timestampKey: ceremonyFile.optional(),
});

/** Request IDs are main's own (random hex); anything else cannot answer a request. */
const requestId = z.string().regex(/^[0-9a-f]{32}$/, { message: 'requestId must be the 32 hex digits main gave' });

export const CeremonyPinRequestSchema = z.strictObject({ requestId, pin: PinSchema });
export const CeremonyCancelPinRequestSchema = z.strictObject({ requestId });
/** A YubiKey's PIV management key: 48 hex digits (a 3DES key, src/signers/pkcs11/piv-slots.ts). Messages never quote it. */
export const ManagementKeySchema = z.string({ message: 'the management key must be text' }).superRefine((key, ctx) => {
  if (key.length === 0) ctx.addIssue({ code: 'custom', message: 'no management key was entered' });
  else if (key.length !== MANAGEMENT_KEY_HEX_LENGTH || !/^[0-9a-fA-F]+$/.test(key)) ctx.addIssue({ code: 'custom', message: `the management key is ${MANAGEMENT_KEY_HEX_LENGTH} hex digits (0-9, a-f)` });
});
export const CeremonySlotAnswerSchema = z.strictObject({ requestId, confirm: z.boolean({ message: 'confirm must be true or false' }) });
export const CeremonyManagementKeyRequestSchema = z.strictObject({ requestId, managementKey: ManagementKeySchema });
export const NoPayloadSchema = z.undefined();

/** A witness's name goes into the transcript: the transcript's own bounds (src/audit/schema.ts NAME_MAX_CHARS, MAX_WITNESSES). */
export const MAX_START_WITNESSES = 16;
const witnessName = shownText('witness name', 1, 100).refine((n) => n.trim() === n, { message: 'witness name has leading or trailing spaces' });
/** No payload (a caller without witnesses, e.g. the CLI-like unit tests) or the witnessed start. */
export const CeremonyStartRequestSchema = z.union([
  z.undefined(),
  z.strictObject({ witnesses: z.array(witnessName).min(1, { message: 'at least one witness is named' }).max(MAX_START_WITNESSES, { message: `more than ${MAX_START_WITNESSES} witnesses` }) }),
]);

export const CeremonyExportRepositoryRequestSchema = z.strictObject({ repository: shownText('repository', 1, MAX_REPOSITORY_LENGTH) });

export const TranscriptVerifyRequestSchema = z.strictObject({
  file: cappedFile(MAX_TRANSCRIPT_FILE_BYTES),
  expectedSealKey: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { message: 'the expected key is its key ID or fingerprint: 64 hex digits' })
    .optional(),
});

const expectedSealKey = z.string().regex(/^[0-9a-fA-F]{64}$/, { message: 'the expected key is its key ID or fingerprint: 64 hex digits' });

/** Where the transcripts are listed from: a folder main asks for, or the completed ceremony's (issue #16). */
export const TranscriptListRequestSchema = z.strictObject({ from: z.enum(['choose', 'ceremony'], { message: 'from must be "choose" or "ceremony"' }) });
/** A name from main's last listing (a relative path main looks up, never resolves on the renderer's word). */
export const TranscriptOpenListedRequestSchema = z.strictObject({ name: fileName, expectedSealKey: expectedSealKey.optional() });

// --- rotation (#5) -------------------------------------------------------------------------------------

/** src/rotation/request.ts REQUEST_MAX_BYTES: a signing request carries the previous root and the payload. */
export const MAX_ROTATION_REQUEST_BYTES = 4 * 1024 * 1024;
/** src/rotation/request.ts RESPONSE_MAX_BYTES. */
export const MAX_ROTATION_RESPONSE_BYTES = 256 * 1024;
/** A root.json (src/rotation/payload.ts caps the previous root at 1 MiB). */
export const MAX_ROTATION_ROOT_BYTES = 1024 * 1024;
/** A public key file (electron/main/rotation.ts KEY_FILE_MAX_BYTES). */
export const MAX_ROTATION_KEY_BYTES = 64 * 1024;
/** Responses one merge may carry: far more than any root has keys. */
export const MAX_ROTATION_RESPONSES = 64;
/** Keys one change set may touch. */
export const MAX_ROTATION_KEYS = 64;
/** A custodian name (electron/main/rotation.ts MAX_SIGNER_NAME). */
export const MAX_ROTATION_NAME = 64;

const rotationKeyId = z.string().regex(/^[0-9a-f]{64}$/, { message: 'key ID must be 64 lower-case hex digits' });
const removalReason = z.enum(['lost', 'compromised', 'retired'], { message: 'reason must be lost, compromised or retired' });
const rotationProfile = z.enum(['notary', 'tuf'], { message: 'profile must be notary or tuf' });
const rotationRoot = cappedFile(MAX_ROTATION_ROOT_BYTES);
const rotationRequestFile = cappedFile(MAX_ROTATION_REQUEST_BYTES);
const rotationKeyFile = cappedFile(MAX_ROTATION_KEY_BYTES);
const signerName = shownText('name', 1, MAX_ROTATION_NAME);

export const RotationOpenRootRequestSchema = z.strictObject({ previousRoot: rotationRoot, transcript: cappedFile(MAX_TRANSCRIPT_FILE_BYTES).optional() });

export const RotationKeyFromTokenRequestSchema = z.strictObject({
  module: moduleName,
  token: TokenRefSchema,
  keyLabel: shownText('key label', 1, MAX_KEY_LABEL),
  profile: rotationProfile,
  gun: shownText('repository', 1, MAX_REPOSITORY_LENGTH).optional(),
  pin: PinSchema.optional(),
});

export const RotationKeyFromFileRequestSchema = z.strictObject({ profile: rotationProfile, key: rotationKeyFile });

export const RotationBuildRequestSchema = z.strictObject({
  previousRoot: rotationRoot,
  transcript: cappedFile(MAX_TRANSCRIPT_FILE_BYTES).optional(),
  repository: shownText('repository', 1, MAX_REPOSITORY_LENGTH),
  names: z.array(z.strictObject({ keyid: rotationKeyId, name: signerName })).max(MAX_ROTATION_KEYS),
  change: z.strictObject({
    replace: z.array(z.strictObject({ old: rotationKeyId, reason: removalReason, key: rotationKeyFile, name: signerName })).max(MAX_ROTATION_KEYS),
    remove: z.array(z.strictObject({ keyid: rotationKeyId, reason: removalReason })).max(MAX_ROTATION_KEYS),
    add: z.array(z.strictObject({ key: rotationKeyFile, name: signerName })).max(MAX_ROTATION_KEYS),
    threshold: z.number().int().min(1).max(MAX_ROTATION_KEYS).optional(),
    expires: z.string().regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?Z$/, { message: 'expires must be a UTC date like 2036-01-01T00:00:00Z' }),
    expiresOnly: z.boolean().optional(),
  }),
  write: z.boolean(),
});

export const RotationMergeRequestSchema = z.strictObject({
  request: rotationRequestFile,
  responses: z
    .array(z.unknown())
    .min(1, { message: 'at least one response is required' })
    .max(MAX_ROTATION_RESPONSES, { message: `more than ${MAX_ROTATION_RESPONSES} responses` })
    .pipe(z.array(cappedFile(MAX_ROTATION_RESPONSE_BYTES))),
});

/**
 * The three calls of a co-sign on screen, for either kind of request (a signing request, a certificate
 * request, #14) — they differ only in the request file's cap: review the request; check the chosen key
 * (no PIN); sign with the hash confirmed on screen, the PIN and the optional witness line (issue #16).
 */
function coSignRequestSchemas(requestFile: ReturnType<typeof cappedFile>) {
  const keyOnToken = { request: requestFile, module: moduleName, token: TokenRefSchema, keyLabel: shownText('key label', 1, MAX_KEY_LABEL) };
  return {
    review: z.strictObject({ request: requestFile }),
    checkSigner: z.strictObject(keyOnToken),
    sign: z.strictObject({
      ...keyOnToken,
      confirmedSha256: z.string().regex(/^[0-9a-f]{64}$/, { message: 'confirmedSha256 must be 64 lower-case hex digits' }),
      pin: PinSchema,
      witnesses: z.array(witnessName).max(MAX_START_WITNESSES, { message: `more than ${MAX_START_WITNESSES} witnesses` }).optional(),
    }),
  };
}

const rotationCoSign = coSignRequestSchemas(rotationRequestFile);
export const RotationReviewRequestSchema = rotationCoSign.review;
export const RotationCheckSignerRequestSchema = rotationCoSign.checkSigner;
export const RotationSignRequestSchema = rotationCoSign.sign;

// --- certificate co-sign (#14) ---------------------------------------------------------------------------

/** src/rotation/format.ts CERTIFICATE_REQUEST_MAX_BYTES: the core's parser caps again. */
export const MAX_CERTIFICATE_REQUEST_BYTES = CERTIFICATE_REQUEST_MAX_BYTES;

const certificateCoSign = coSignRequestSchemas(cappedFile(MAX_CERTIFICATE_REQUEST_BYTES));
export const CertificateReviewRequestSchema = certificateCoSign.review;
export const CertificateCheckSignerRequestSchema = certificateCoSign.checkSigner;
export const CertificateSignRequestSchema = certificateCoSign.sign;

// --- shamir -------------------------------------------------------------------------------------------

/** src/shamir/card.ts SHARE_CARD_MAX_BYTES: a typed card is under 1 KB; the parser caps again. */
export const MAX_SHARE_CARD_BYTES = SHARE_CARD_MAX_BYTES;

/**
 * A card as typed or pasted (text) or opened (a file). The text's length is capped in UTF-16 units here
 * (a UTF-8 byte count is at least that) and in bytes by the parser; the messages never quote it.
 */
const shareCardText = z.string({ message: 'the card must be text' }).superRefine((text, ctx) => {
  if (text.trim().length === 0) ctx.addIssue({ code: 'custom', message: 'no card text was entered' });
  else if (text.length > MAX_SHARE_CARD_BYTES) ctx.addIssue({ code: 'custom', message: `the card text is longer than ${MAX_SHARE_CARD_BYTES} characters` });
});
const shareCardInput = z.union([z.strictObject({ text: shareCardText }), z.strictObject({ file: cappedFile(MAX_SHARE_CARD_BYTES) })], {
  message: 'a card is { text } or { file }',
});
/** A set's handle as main made it (electron/main/shamir.ts ShareSetStore): 128 random bits in hex. */
const shareSetHandle = z.string({ message: 'the set is its handle' }).regex(/^[0-9a-f]{32}$/, { message: 'the set handle is 32 lower-case hex digits' });
const shamirExpectations = z.strictObject({
  splitId: z.string().max(32, { message: 'the split ID is 8 card characters' }).optional(),
  fingerprint: z.string().max(128, { message: 'the fingerprint is 64 hex digits' }).optional(),
});

export const ShamirRollCallRequestSchema = z.strictObject({ card: shareCardInput, expected: shamirExpectations.optional() });
export const ShamirAddCardRequestSchema = z.strictObject({ set: shareSetHandle.optional(), card: shareCardInput, request: rotationRequestFile.optional() });
export const ShamirVerifyRequestSchema = z.strictObject({ set: shareSetHandle, expected: shamirExpectations.optional() });
export const ShamirCosignRequestSchema = z.strictObject({
  request: rotationRequestFile,
  confirmedSha256: z.string().regex(/^[0-9a-f]{64}$/, { message: 'confirmedSha256 must be 64 lower-case hex digits' }),
  set: shareSetHandle,
  witnesses: z.array(witnessName).max(MAX_START_WITNESSES, { message: `more than ${MAX_START_WITNESSES} witnesses` }).optional(),
});
export const ShamirClearSetRequestSchema = z.strictObject({ set: shareSetHandle });
/** A resume, or a resume with the share cards of a set main holds (only its handle crosses IPC here). */
export const CeremonyResumeRequestSchema = z.union([z.undefined(), z.strictObject({ shareSet: shareSetHandle })]);

// --- import (#6) ---------------------------------------------------------------------------------------

/** A bundle crossing IPC: the same bound as every other request's bytes (MAX_TOTAL_BYTES); the decoder caps again. */
export const MAX_IMPORT_BUNDLE_BYTES = MAX_TOTAL_BYTES;

export const ImportInventoryRequestSchema = z.strictObject({
  clear: z.boolean({ message: 'clear must be true or false' }),
});

export const ImportTrustDirRequestSchema = z.strictObject({
  layout: z.enum(['notary', 'tuf'], { message: 'layout must be notary or tuf' }),
});

export const ImportPinRequestSchema = z
  .strictObject({
    rootFile: cappedFile(DEFAULT_CAPS.root).optional(),
    fingerprint: z.string().regex(/^[0-9a-fA-F]{64}$/, { message: 'the root fingerprint is the SHA-256 of the pinned root.json: 64 hex digits' }).optional(),
    pinsFile: cappedFile(PINS_MAX_BYTES).optional(),
  })
  .refine((r) => [r.rootFile, r.fingerprint, r.pinsFile].filter((x) => x !== undefined).length <= 1, { message: 'pin by a root file, a fingerprint or a pins file: one of them' });

export const ImportBundleRequestSchema = z.strictObject({ bundle: cappedFile(MAX_IMPORT_BUNDLE_BYTES) });
/** Install: the bundle, and the optional witness line (issue #16) recorded in the import's result. */
export const ImportInstallRequestSchema = z.strictObject({
  bundle: cappedFile(MAX_IMPORT_BUNDLE_BYTES),
  witnesses: z.array(witnessName).max(MAX_START_WITNESSES, { message: `more than ${MAX_START_WITNESSES} witnesses` }).optional(),
});

/** One QR code's text: at most what a QR code can hold (refused before the assembler parses it). */
export const ImportQrFrameRequestSchema = z.strictObject({
  text: z.string().min(1, { message: 'the frame is empty' }).max(QR_MAX_FRAME_CHARS, { message: `a frame holds at most ${QR_MAX_FRAME_CHARS} characters` }),
});

/** The QR scanner opens or closes (electron/main/camera-gate.ts): one boolean, nothing else. */
export const ImportQrCameraRequestSchema = z.strictObject({ open: z.boolean() });

// --- export (#6) ---------------------------------------------------------------------------------------

/** A bundle file sent for export: the same bound as every other request's bytes; the decoder caps again. */
export const MAX_EXPORT_BUNDLE_BYTES = MAX_TOTAL_BYTES;
/** src/bundle/export.ts QR_WINDOW_MAX_FRAMES: one window of the QR player's frames. */
export const MAX_EXPORT_QR_WINDOW = 120;

export const ExportFolderRequestSchema = z.strictObject({ files: fileList, source: baseName.optional() });
export const ExportBundleRequestSchema = z.strictObject({ file: cappedFile(MAX_EXPORT_BUNDLE_BYTES) });
export const ExportDestinationRequestSchema = z.strictObject({ choose: z.boolean({ message: 'choose must be true or false' }) });
/**
 * A base name in the folder main chose: never a path, never hidden (a leading dot), and always a
 * `.tufbundle` file — the renderer must not be able to drop `autorun.inf`, `x.desktop` or a script on the
 * USB stick (src/bundle/export.ts suggestedBundleName / freshName only make such names).
 */
export const EXPORT_FILE_SUFFIX = '.tufbundle';

/**
 * Why `name` cannot be written as-is on the file systems a USB stick may carry (FAT, exFAT, NTFS, read on
 * Windows as well as Linux); undefined when it can. `:` on NTFS names an alternate data stream
 * (`autorun.inf:x.tufbundle` writes a stream of autorun.inf); `<>"|?*` are refused by Windows; CON, PRN,
 * AUX, NUL, COM1–9, LPT1–9 (also with ¹²³, any case, whatever follows the first dot or trailing spaces
 * before it) name devices; a trailing dot or space is silently dropped by Windows (Microsoft, "Naming
 * Files, Paths, and Namespaces").
 */
export function exportFileNameProblem(name: string): string | undefined {
  if (name.includes(':')) return 'the file name must not contain ":" (an NTFS alternate data stream)';
  if (/[<>"|?*]/.test(name)) return 'the file name must not contain any of < > " | ? * (refused by Windows)';
  if (/[. ]$/.test(name)) return 'the file name must not end in a dot or a space (Windows drops them)';
  if (isWindowsDeviceName(name)) return `the file name must not be a Windows device name (${name.split('.')[0]!.trim().toUpperCase()})`;
  return undefined;
}

export const ExportWriteRequestSchema = z.strictObject({
  fileName: baseName
    .refine((n) => !n.startsWith('.'), { message: 'the file name must not start with "."' })
    .superRefine((n, ctx) => {
      const problem = exportFileNameProblem(n);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .refine((n) => n.endsWith(EXPORT_FILE_SUFFIX) && n.length > EXPORT_FILE_SUFFIX.length, { message: `the file name must end in ${EXPORT_FILE_SUFFIX}` }),
});
export const ExportQrFramesRequestSchema = z.strictObject({
  first: z.number().int({ message: 'first must be a whole number' }).min(0).max(0xffff_0000),
  count: z.number().int({ message: 'count must be a whole number' }).min(1).max(MAX_EXPORT_QR_WINDOW),
});
export const ExportFullScreenRequestSchema = z.strictObject({ on: z.boolean({ message: 'on must be true or false' }) });

/** One schema per channel; a channel without a schema does not type-check. */
export const REQUEST_SCHEMAS = {
  [CHANNELS.appInfo]: AppInfoRequestSchema,
  [CHANNELS.inspectFiles]: InspectRequestSchema,
  [CHANNELS.tokensList]: TokensListRequestSchema,
  [CHANNELS.tokensCheck]: TokensCheckRequestSchema,
  [CHANNELS.tokensGenerateKey]: TokensGenerateKeyRequestSchema,
  [CHANNELS.tokensChooseModule]: NoPayloadSchema,
  [CHANNELS.ceremonyLoad]: CeremonyLoadRequestSchema,
  [CHANNELS.ceremonyRehearse]: CeremonyRehearseRequestSchema,
  [CHANNELS.ceremonyStart]: CeremonyStartRequestSchema,
  [CHANNELS.ceremonyResume]: CeremonyResumeRequestSchema,
  [CHANNELS.ceremonyStatus]: NoPayloadSchema,
  [CHANNELS.ceremonyProvidePin]: CeremonyPinRequestSchema,
  [CHANNELS.ceremonyCancelPin]: CeremonyCancelPinRequestSchema,
  [CHANNELS.ceremonyConfirmSlot]: CeremonySlotAnswerSchema,
  [CHANNELS.ceremonyProvideManagementKey]: CeremonyManagementKeyRequestSchema,
  [CHANNELS.ceremonyCancelManagementKey]: CeremonyCancelPinRequestSchema,
  [CHANNELS.ceremonyPrintShareCards]: NoPayloadSchema,
  [CHANNELS.transcriptVerify]: TranscriptVerifyRequestSchema,
  [CHANNELS.ceremonyExportMetadata]: NoPayloadSchema,
  [CHANNELS.ceremonyExportRepository]: CeremonyExportRepositoryRequestSchema,
  [CHANNELS.ceremonyPlanRows]: NoPayloadSchema,
  [CHANNELS.ceremonyPrintTranscript]: NoPayloadSchema,
  [CHANNELS.transcriptList]: TranscriptListRequestSchema,
  [CHANNELS.transcriptOpenListed]: TranscriptOpenListedRequestSchema,
  // --- export (#6)
  [CHANNELS.exportPrepareFolder]: ExportFolderRequestSchema,
  [CHANNELS.exportPrepareBundle]: ExportBundleRequestSchema,
  [CHANNELS.exportDestination]: ExportDestinationRequestSchema,
  [CHANNELS.exportWrite]: ExportWriteRequestSchema,
  [CHANNELS.exportQrFrames]: ExportQrFramesRequestSchema,
  [CHANNELS.exportFullScreen]: ExportFullScreenRequestSchema,
  // --- import (#6)
  [CHANNELS.importStatus]: NoPayloadSchema,
  [CHANNELS.importChooseTrustDir]: ImportTrustDirRequestSchema,
  [CHANNELS.importChooseInventory]: ImportInventoryRequestSchema,
  [CHANNELS.importSetPin]: ImportPinRequestSchema,
  [CHANNELS.importPreview]: ImportBundleRequestSchema,
  [CHANNELS.importInstall]: ImportInstallRequestSchema,
  [CHANNELS.importQrReset]: NoPayloadSchema,
  [CHANNELS.importQrFrame]: ImportQrFrameRequestSchema,
  [CHANNELS.importQrDecoder]: NoPayloadSchema,
  [CHANNELS.importQrCamera]: ImportQrCameraRequestSchema,
  [CHANNELS.importRemoveStaleLock]: NoPayloadSchema,
  // --- rotation (#5)
  [CHANNELS.rotationOpenRoot]: RotationOpenRootRequestSchema,
  [CHANNELS.rotationKeyFromToken]: RotationKeyFromTokenRequestSchema,
  [CHANNELS.rotationKeyFromFile]: RotationKeyFromFileRequestSchema,
  [CHANNELS.rotationBuildRequest]: RotationBuildRequestSchema,
  [CHANNELS.rotationMerge]: RotationMergeRequestSchema,
  [CHANNELS.rotationWriteRoot]: RotationMergeRequestSchema,
  [CHANNELS.rotationReview]: RotationReviewRequestSchema,
  [CHANNELS.rotationCheckSigner]: RotationCheckSignerRequestSchema,
  [CHANNELS.rotationSign]: RotationSignRequestSchema,
  // --- certificate co-sign (#14)
  [CHANNELS.certificateReview]: CertificateReviewRequestSchema,
  [CHANNELS.certificateCheckSigner]: CertificateCheckSignerRequestSchema,
  [CHANNELS.certificateSign]: CertificateSignRequestSchema,
  // --- shamir
  [CHANNELS.shamirRollCall]: ShamirRollCallRequestSchema,
  [CHANNELS.shamirAddCard]: ShamirAddCardRequestSchema,
  [CHANNELS.shamirVerify]: ShamirVerifyRequestSchema,
  [CHANNELS.shamirCosign]: ShamirCosignRequestSchema,
  [CHANNELS.shamirClearSet]: ShamirClearSetRequestSchema,
} as const satisfies Record<ChannelName, z.ZodType>;

// The schemas and the contract in api-types.ts must describe the same fields, and what a schema lets
// through must be what the contract promises (zod narrows Uint8Array's buffer to ArrayBuffer, hence
// one-way assignability plus equal key sets rather than type equality).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
type Fits<A, B> = [A] extends [B] ? true : never;
const _inspectFits: Fits<z.infer<typeof InspectRequestSchema>, InspectRequest> = true;
const _inspectKeys: Same<keyof z.infer<typeof InspectRequestSchema>, keyof InspectRequest> = true;
const _fileFits: Fits<z.infer<typeof NamedFileSchema>, NamedFile> = true;
const _fileKeys: Same<keyof z.infer<typeof NamedFileSchema>, keyof NamedFile> = true;
const _listFits: Fits<z.infer<typeof TokensListRequestSchema>, TokensListRequest> = true;
const _listKeys: Same<keyof z.infer<typeof TokensListRequestSchema>, keyof TokensListRequest> = true;
const _checkFits: Fits<z.infer<typeof TokensCheckRequestSchema>, TokensCheckRequest> = true;
const _checkKeys: Same<keyof z.infer<typeof TokensCheckRequestSchema>, keyof TokensCheckRequest> = true;
const _generateFits: Fits<z.infer<typeof TokensGenerateKeyRequestSchema>, TokensGenerateKeyRequest> = true;
const _generateKeys: Same<keyof z.infer<typeof TokensGenerateKeyRequestSchema>, keyof TokensGenerateKeyRequest> = true;
const _exportRepositoryKeys: Same<keyof z.infer<typeof CeremonyExportRepositoryRequestSchema>, keyof CeremonyExportRepositoryRequest> = true;
const _loadFits: Fits<z.infer<typeof CeremonyLoadRequestSchema>, CeremonyLoadRequest> = true;
const _loadKeys: Same<keyof z.infer<typeof CeremonyLoadRequestSchema>, keyof CeremonyLoadRequest> = true;
const _rehearseFits: Fits<z.infer<typeof CeremonyRehearseRequestSchema>, CeremonyRehearseRequest> = true;
const _rehearseKeys: Same<keyof z.infer<typeof CeremonyRehearseRequestSchema>, keyof CeremonyRehearseRequest> = true;
const _pinFits: Fits<z.infer<typeof CeremonyPinRequestSchema>, CeremonyPinRequest> = true;
const _pinKeys: Same<keyof z.infer<typeof CeremonyPinRequestSchema>, keyof CeremonyPinRequest> = true;
const _cancelKeys: Same<keyof z.infer<typeof CeremonyCancelPinRequestSchema>, keyof CeremonyCancelPinRequest> = true;
const _slotFits: Fits<z.infer<typeof CeremonySlotAnswerSchema>, CeremonySlotAnswer> = true;
const _slotKeys: Same<keyof z.infer<typeof CeremonySlotAnswerSchema>, keyof CeremonySlotAnswer> = true;
const _mkFits: Fits<z.infer<typeof CeremonyManagementKeyRequestSchema>, CeremonyManagementKeyRequest> = true;
const _mkKeys: Same<keyof z.infer<typeof CeremonyManagementKeyRequestSchema>, keyof CeremonyManagementKeyRequest> = true;
const _transcriptFits: Fits<z.infer<typeof TranscriptVerifyRequestSchema>, TranscriptVerifyRequest> = true;
const _transcriptKeys: Same<keyof z.infer<typeof TranscriptVerifyRequestSchema>, keyof TranscriptVerifyRequest> = true;
const _transcriptListFits: Fits<z.infer<typeof TranscriptListRequestSchema>, TranscriptListRequest> = true;
const _transcriptListKeys: Same<keyof z.infer<typeof TranscriptListRequestSchema>, keyof TranscriptListRequest> = true;
const _transcriptOpenFits: Fits<z.infer<typeof TranscriptOpenListedRequestSchema>, TranscriptOpenListedRequest> = true;
const _transcriptOpenKeys: Same<keyof z.infer<typeof TranscriptOpenListedRequestSchema>, keyof TranscriptOpenListedRequest> = true;
// --- export (#6)
const _exportFolderFits: Fits<z.infer<typeof ExportFolderRequestSchema>, ExportFolderRequest> = true;
const _exportFolderKeys: Same<keyof z.infer<typeof ExportFolderRequestSchema>, keyof ExportFolderRequest> = true;
const _exportBundleFits: Fits<z.infer<typeof ExportBundleRequestSchema>, ExportBundleRequest> = true;
const _exportDestKeys: Same<keyof z.infer<typeof ExportDestinationRequestSchema>, keyof ExportDestinationRequest> = true;
const _exportWriteKeys: Same<keyof z.infer<typeof ExportWriteRequestSchema>, keyof ExportWriteRequest> = true;
const _exportQrKeys: Same<keyof z.infer<typeof ExportQrFramesRequestSchema>, keyof ExportQrFramesRequest> = true;
const _exportFullKeys: Same<keyof z.infer<typeof ExportFullScreenRequestSchema>, keyof ExportFullScreenRequest> = true;
const _bundleKinds: Same<BundleKindName, BundleKind> = true;
// --- import (#6)
const _importDirFits: Fits<z.infer<typeof ImportTrustDirRequestSchema>, ImportTrustDirRequest> = true;
const _importPinFits: Fits<z.infer<typeof ImportPinRequestSchema>, ImportPinRequest> = true;
const _importPinKeys: Same<keyof z.infer<typeof ImportPinRequestSchema>, keyof ImportPinRequest> = true;
const _importBundleFits: Fits<z.infer<typeof ImportBundleRequestSchema>, ImportBundleRequest> = true;
const _importFrameKeys: Same<keyof z.infer<typeof ImportQrFrameRequestSchema>, keyof ImportQrFrameRequest> = true;
const _tokenRefKeys: Same<keyof z.infer<typeof TokenRefSchema>, keyof TokenRefView> = true;
const _expectedKeys: Same<keyof z.infer<typeof ExpectedTokenSchema>, keyof ExpectedToken> = true;
// --- rotation (#5)
const _rotOpenFits: Fits<z.infer<typeof RotationOpenRootRequestSchema>, RotationOpenRootRequest> = true;
const _rotOpenKeys: Same<keyof z.infer<typeof RotationOpenRootRequestSchema>, keyof RotationOpenRootRequest> = true;
const _rotTokenFits: Fits<z.infer<typeof RotationKeyFromTokenRequestSchema>, RotationKeyFromTokenRequest> = true;
const _rotTokenKeys: Same<keyof z.infer<typeof RotationKeyFromTokenRequestSchema>, keyof RotationKeyFromTokenRequest> = true;
const _rotFileFits: Fits<z.infer<typeof RotationKeyFromFileRequestSchema>, RotationKeyFromFileRequest> = true;
const _rotBuildFits: Fits<z.infer<typeof RotationBuildRequestSchema>, RotationBuildRequest> = true;
const _rotBuildKeys: Same<keyof z.infer<typeof RotationBuildRequestSchema>, keyof RotationBuildRequest> = true;
const _rotChangeKeys: Same<keyof z.infer<typeof RotationBuildRequestSchema>['change'], keyof RotationChangeInput> = true;
const _rotMergeFits: Fits<z.infer<typeof RotationMergeRequestSchema>, RotationMergeRequest> = true;
const _rotReviewFits: Fits<z.infer<typeof RotationReviewRequestSchema>, RotationReviewRequest> = true;
const _rotCheckFits: Fits<z.infer<typeof RotationCheckSignerRequestSchema>, RotationCheckSignerRequest> = true;
const _rotCheckKeys: Same<keyof z.infer<typeof RotationCheckSignerRequestSchema>, keyof RotationCheckSignerRequest> = true;
const _rotSignFits: Fits<z.infer<typeof RotationSignRequestSchema>, RotationSignRequest> = true;
const _rotSignKeys: Same<keyof z.infer<typeof RotationSignRequestSchema>, keyof RotationSignRequest> = true;
const _certReviewFits: Fits<z.infer<typeof CertificateReviewRequestSchema>, CertificateReviewRequest> = true;
const _certReviewKeys: Same<keyof z.infer<typeof CertificateReviewRequestSchema>, keyof CertificateReviewRequest> = true;
const _certCheckFits: Fits<z.infer<typeof CertificateCheckSignerRequestSchema>, CertificateCheckSignerRequest> = true;
const _certCheckKeys: Same<keyof z.infer<typeof CertificateCheckSignerRequestSchema>, keyof CertificateCheckSignerRequest> = true;
const _certSignFits: Fits<z.infer<typeof CertificateSignRequestSchema>, CertificateSignRequest> = true;
const _certSignKeys: Same<keyof z.infer<typeof CertificateSignRequestSchema>, keyof CertificateSignRequest> = true;
const _rotReasons: Same<RemovalReasonName, RemovalReason> = true;
// --- shamir
const _shamirRollFits: Fits<z.infer<typeof ShamirRollCallRequestSchema>, ShamirRollCallRequest> = true;
const _shamirRollKeys: Same<keyof z.infer<typeof ShamirRollCallRequestSchema>, keyof ShamirRollCallRequest> = true;
const _shamirAddFits: Fits<z.infer<typeof ShamirAddCardRequestSchema>, ShamirAddCardRequest> = true;
const _shamirAddKeys: Same<keyof z.infer<typeof ShamirAddCardRequestSchema>, keyof ShamirAddCardRequest> = true;
const _resumeFits: Fits<NonNullable<z.infer<typeof CeremonyResumeRequestSchema>>, CeremonyResumeRequest> = true;
const _resumeKeys: Same<keyof NonNullable<z.infer<typeof CeremonyResumeRequestSchema>>, keyof CeremonyResumeRequest> = true;
const _shamirClearFits: Fits<z.infer<typeof ShamirClearSetRequestSchema>, ShamirClearSetRequest> = true;
const _shamirClearKeys: Same<keyof z.infer<typeof ShamirClearSetRequestSchema>, keyof ShamirClearSetRequest> = true;
const _shamirVerifyFits: Fits<z.infer<typeof ShamirVerifyRequestSchema>, ShamirVerifyRequest> = true;
const _shamirVerifyKeys: Same<keyof z.infer<typeof ShamirVerifyRequestSchema>, keyof ShamirVerifyRequest> = true;
const _shamirCosignFits: Fits<z.infer<typeof ShamirCosignRequestSchema>, ShamirCosignRequest> = true;
const _shamirCosignKeys: Same<keyof z.infer<typeof ShamirCosignRequestSchema>, keyof ShamirCosignRequest> = true;
const _shamirExpectKeys: Same<keyof z.infer<typeof shamirExpectations>, keyof ShamirExpectations> = true;
// The contract's copies of the core's unions (the renderer cannot import the core's files).
const _algorithms: Same<KeyAlgorithmName, KeyAlgorithm> = true;
const _allAlgorithms: Same<(typeof KEY_ALGORITHMS)[number], KeyAlgorithm> = true;
const _presets: Same<ModulePresetName, ModulePreset> = true;
const _allPresets: Same<(typeof MODULE_PRESET_NAMES)[number], ModulePreset> = true;
const _pinStatus: Same<PinStatusName, PinStatus> = true;

/** `$.files[0].name` style path (RFC 9535 normalized-path spelling) from zod's path segments. */
export function jsonPath(segments: readonly PropertyKey[]): string {
  let out = '$';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(String(seg).slice(0, 64))}]`;
  }
  return out;
}

export interface PayloadProblem {
  path: string;
  message: string;
}

/** The first problem zod found, with a path that names the offending field (for unknown fields, the field itself). */
export function firstProblem(error: z.ZodError): PayloadProblem {
  const issue = error.issues[0];
  if (!issue) return { path: '$', message: 'payload refused' };
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return { path: jsonPath([...issue.path, key]), message: 'unknown field' };
  }
  return { path: jsonPath(issue.path), message: issue.message };
}
