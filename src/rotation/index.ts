/** Root rotations, targets-level changes (delegations, revocations) and threshold co-signing across the air gap (PRODUCT.md §2.4). */
export { buildRotationPayload, parsePreviousRoot, type RemovalReason, type RoleKeyChanges, type RootKeyChanges, type RotationChange, type RotationKey, type RotationPayload } from './payload.js';
export {
  REQUEST_MAX_BYTES,
  RESPONSE_MAX_BYTES,
  SIGNATURE_RESPONSE_FORMAT,
  SIGNING_REQUEST_FORMAT,
  buildSigningRequest,
  buildTargetsSigningRequest,
  computeRequestId,
  requestIdForDocument,
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
export { finalizeMerge, mergeResponses, notFinalRefusal, type MergeResult, type WaitingFor } from './merge.js';
export { describeRequest, reasonText, type RequestChange, type RequestDescription, type TargetsRequestChange } from './describe.js';
export { keyIdsFor, partSignedBy, signRequest, signerScope, type SignRequestOptions } from './sign.js';
export { signRequestOnToken, signRequestWithShareCards, unlockTokenKey, type SignedOnToken, type TokenSignRequest } from './signers.js';
export { inspectRotationDocument, type RotationDocumentInspection } from './inspect.js';
export {
  buildTargetsPayload,
  checkDelegationName,
  verifiedCurrentTargets,
  type DelegationAdd,
  type DelegationChanges,
  type DelegationRekey,
  type KeyRevocation,
  type TargetsChange,
  type TargetsPayload,
} from './targets-payload.js';
export {
  buildSnapshotAfterTargets,
  buildTimestampAfterSnapshot,
  signSnapshotAfterTargets,
  signTimestampAfterSnapshot,
  type SnapshotAfterTargets,
  type SnapshotAfterTargetsInput,
  type TimestampAfterSnapshotInput,
} from './targets-snapshot.js';
export {
  CURRENT_TARGETS_MAX_BYTES,
  PREVIOUS_ROOT_MAX_BYTES,
  ROTATION_PLAN_FORMAT,
  ROTATION_PLAN_MAX_BYTES,
  checkRotationPlanDates,
  parseRotationPlan,
  planRotation,
  resolveRotationPlan,
  rotationPlanInputs,
  type PlannedRotation,
  type RotationPlan,
  type RotationPlanInput,
} from './plan.js';
export { KEY_FILE_MAX_BYTES, parsePlanKeyFile, type PlanKey } from './plan-keys.js';
export {
  REQUEST_BUNDLE_MAX_BYTES,
  RESPONSE_BUNDLE_MAX_BYTES,
  inspectRotationBundle,
  readSignatureResponse,
  readSigningRequest,
  wrapSignatureResponse,
  wrapSigningRequest,
} from './bundle.js';
export { buildTargetsResign, signTargetsResign, type TargetsResign, type TargetsResignInput } from './targets-resign.js';
export {
  BATCH_MAX_REQUESTS,
  BATCH_REQUEST_FORMAT,
  BATCH_REQUEST_MAX_BYTES,
  BATCH_RESPONSE_FORMAT,
  BATCH_RESPONSE_MAX_BYTES,
  batchFormatOf,
  buildBatchRequest,
  describeBatch,
  mergeBatch,
  parseBatchRequest,
  parseBatchResponse,
  serializeBatchRequest,
  serializeBatchResponse,
  type BatchDescription,
  type BatchMergeResult,
  type BatchRequest,
  type BatchResponse,
} from './batch.js';
export { batchSignPlan, signBatch, signBatchOnToken, signBatchWithShareCards, type SignedBatchOnToken } from './batch-sign.js';
