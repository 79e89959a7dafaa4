/** Root rotation and threshold co-signing across the air gap (PRODUCT.md §2.4). */
export { buildRotationPayload, parsePreviousRoot, type RemovalReason, type RoleKeyChanges, type RootKeyChanges, type RotationChange, type RotationKey, type RotationPayload } from './payload.js';
export {
  REQUEST_MAX_BYTES,
  RESPONSE_MAX_BYTES,
  SIGNATURE_RESPONSE_FORMAT,
  SIGNING_REQUEST_FORMAT,
  buildSigningRequest,
  computeRequestId,
  documentFormatOf,
  parseSignatureResponse,
  parseSigningRequest,
  serializeSignatureResponse,
  serializeSigningRequest,
  type ExpectedSigner,
  type SignatureResponse,
  type SignerSide,
  type SigningRequest,
} from './request.js';
export { finalizeMerge, mergeResponses, type MergeResult, type WaitingFor } from './merge.js';
export { describeRequest, type RequestChange, type RequestDescription } from './describe.js';
export { keyIdsFor, signRequest, type SignRequestOptions } from './sign.js';
export { signRequestOnToken, signRequestWithShareCards, type SignedOnToken, type TokenSignRequest } from './signers.js';
export { inspectRotationDocument, type RotationDocumentInspection } from './inspect.js';
