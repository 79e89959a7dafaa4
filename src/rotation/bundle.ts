/**
 * Signing requests and signature responses as bundles (PRODUCT.md §2.5: the bundle kinds
 * `signing-request` and `signature-response`, src/bundle/format.ts), so they cross the air gap like
 * everything else — by USB with the manifest's lengths and SHA-256s, or as animated QR frames — and the
 * bundle's short hash names them.
 *
 * A request bundle carries exactly one file, `request.json` (the bytes serializeSigningRequest writes); a
 * response bundle exactly one, `response.json`. Unwrapping decodes the bundle first (size cap, manifest,
 * every file's length and hash: a manifest that lies is BUNDLE_MANIFEST_MISMATCH), refuses another kind
 * (BUNDLE_KIND_UNEXPECTED) or other files (BUNDLE_CONTENT_INVALID), then parses the document strictly,
 * and checks that the manifest's profile and repository are the request's (BUNDLE_CONTENT_INVALID): a
 * label on the outside that disagrees with the inside is refused, not trusted.
 *
 * The commands take either form: `readSigningRequest` / `readSignatureResponse` accept the plain JSON
 * document or its bundle.
 */
import { CeremonyError } from '../errors.js';
import { bundleTime, decodeBundle, encodeBundle, looksLikeBundle, type DecodedBundle } from '../bundle/format.js';
import { groupHex, groupWords } from '../crypto/digest-words.js';
import type { JsonObject } from '../json/types.js';
import type { ProfileName } from '../profiles/profile.js';
import { inspectRotationDocument } from './inspect.js';
import { REQUEST_MAX_BYTES, RESPONSE_MAX_BYTES, parseSignatureResponse, parseSigningRequest, serializeSignatureResponse, serializeSigningRequest, type SignatureResponse, type SigningRequest } from './request.js';

export const REQUEST_FILE = 'request.json';
export const RESPONSE_FILE = 'response.json';
/** A bundle adds its header and manifest (well under 4 KiB) to the document. */
const BUNDLE_OVERHEAD = 16 * 1024;
export const REQUEST_BUNDLE_MAX_BYTES = REQUEST_MAX_BYTES + BUNDLE_OVERHEAD;
export const RESPONSE_BUNDLE_MAX_BYTES = RESPONSE_MAX_BYTES + BUNDLE_OVERHEAD;

/** A bundle of kind `signing-request` holding `request.json`. */
export function wrapSigningRequest(request: SigningRequest, created: Date): Uint8Array {
  return encodeBundle({ kind: 'signing-request', profile: request.profile, repository: request.repository, created: bundleTime(created), files: [{ name: REQUEST_FILE, bytes: serializeSigningRequest(request) }] });
}

/**
 * A bundle of kind `signature-response` holding `response.json`. The response names no profile or
 * repository of its own, so they are taken from the request it answers.
 */
export function wrapSignatureResponse(response: SignatureResponse, request: { profile: ProfileName; repository: string }, created: Date): Uint8Array {
  return encodeBundle({ kind: 'signature-response', profile: request.profile, repository: request.repository, created: bundleTime(created), files: [{ name: RESPONSE_FILE, bytes: serializeSignatureResponse(response) }] });
}

function onlyFile(bundle: DecodedBundle, name: string, source: string): Uint8Array {
  const names = bundle.files.map((f) => f.name);
  if (names.length !== 1 || names[0] !== name) {
    throw new CeremonyError('BUNDLE_CONTENT_INVALID', `${source}: a ${bundle.kind} bundle holds exactly one file, ${name}; this one holds ${names.length === 0 ? 'none' : names.join(', ')}`, { path: '$.files' });
  }
  return bundle.files[0]!.bytes;
}

export interface UnwrappedRequest {
  request: SigningRequest;
  /** The decoded bundle, when the input was one (its short hash names what was received). */
  bundle?: DecodedBundle;
}

/** A signing request from the plain document or from a `signing-request` bundle. */
export function readSigningRequest(bytes: Uint8Array, source = 'request'): UnwrappedRequest {
  if (!looksLikeBundle(bytes)) return { request: parseSigningRequest(bytes, source) };
  const bundle = decodeBundle(bytes, { expectKind: 'signing-request', source });
  const request = parseSigningRequest(onlyFile(bundle, REQUEST_FILE, source), `${source} ${REQUEST_FILE}`);
  if (bundle.profile !== request.profile || bundle.repository !== request.repository) {
    throw new CeremonyError(
      'BUNDLE_CONTENT_INVALID',
      `${source}: the bundle's manifest says ${bundle.profile} repository ${JSON.stringify(bundle.repository)}, but the request inside is for ${request.profile} repository ${JSON.stringify(request.repository)}`,
      { path: '$.repository' },
    );
  }
  return { request, bundle };
}

export interface UnwrappedResponse {
  response: SignatureResponse;
  bundle?: DecodedBundle;
}

/**
 * A signature response from the plain document or from a `signature-response` bundle. With `request`, the
 * bundle's profile and repository must be the request's (whether the signatures answer that request is
 * merge's check: ROTATION_RESPONSE_MISMATCH).
 */
export function readSignatureResponse(bytes: Uint8Array, source = 'response', request?: { profile: ProfileName; repository: string }): UnwrappedResponse {
  if (!looksLikeBundle(bytes)) return { response: parseSignatureResponse(bytes) };
  const bundle = decodeBundle(bytes, { expectKind: 'signature-response', source });
  const response = parseSignatureResponse(onlyFile(bundle, RESPONSE_FILE, source));
  if (request && (bundle.profile !== request.profile || bundle.repository !== request.repository)) {
    throw new CeremonyError(
      'BUNDLE_CONTENT_INVALID',
      `${source}: the bundle is for ${bundle.profile} repository ${JSON.stringify(bundle.repository)}, not the request's ${request.profile} repository ${JSON.stringify(request.repository)}`,
      { path: '$.repository' },
    );
  }
  return { response, bundle };
}

/**
 * `inspect` of a `signing-request` / `signature-response` bundle holding its one document: the bundle is
 * checked as the commands check it (readSigningRequest / readSignatureResponse), then the document gets the
 * same review as the plain file, headed by the bundle's short hash. Undefined for other bundle kinds and
 * for bundles that do not hold exactly `request.json` / `response.json`.
 */
export function inspectRotationBundle(bytes: Uint8Array, source: string): { kind: 'signing-request' | 'signature-response'; text: string; json: JsonObject } | undefined {
  if (!looksLikeBundle(bytes)) return undefined;
  const bundle = decodeBundle(bytes, { source });
  if (bundle.kind !== 'signing-request' && bundle.kind !== 'signature-response') return undefined;
  // Not the one document we write (other files, other names): the caller shows the manifest as it is;
  // `sign` and `merge` refuse such a bundle (BUNDLE_CONTENT_INVALID).
  const expected = bundle.kind === 'signing-request' ? REQUEST_FILE : RESPONSE_FILE;
  if (bundle.files.length !== 1 || bundle.files[0]!.name !== expected) return undefined;
  // The same checks as the commands (one document, its repository the manifest's), refusing with their codes.
  if (bundle.kind === 'signing-request') readSigningRequest(bytes, source);
  else readSignatureResponse(bytes, source);
  const inner = bundle.files[0]!;
  const doc = inspectRotationDocument(inner.bytes, `${source} ${inner.name}`)!;
  const head = `${source}: ${bundle.kind} bundle for ${bundle.profile} repository ${bundle.repository}, created ${bundle.created}; bundle short hash ${groupHex(bundle.hash.hex)} (${groupWords(bundle.hash.words)})`;
  return {
    kind: bundle.kind,
    text: `${head}\n${doc.text}`,
    json: { bundle: { kind: bundle.kind, profile: bundle.profile, repository: bundle.repository, created: bundle.created, sha256: bundle.hash.sha256, shortHash: bundle.hash.hex, words: bundle.hash.words }, document: doc.json as unknown as JsonObject },
  };
}
