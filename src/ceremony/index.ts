/** Root ceremonies (PRODUCT.md §2.3): plans, site bindings, state, the step machine. */
export { parsePlan, readPlan, checkPlanDates, plannedKeys, PLAN_FORMAT, PLAN_VERSION, PLAN_MAX_BYTES, type CeremonyPlan, type PlanCustodian, type KeySource, type ParsePlanOptions } from './plan.js';
export { intentHash, describeIntentHash, type IntentHash } from './plan-hash.js';
export { parseSiteBindings, BINDINGS_FORMAT, BINDINGS_VERSION, BINDINGS_MAX_BYTES, type SiteBindings, type CustodianBinding, type PinSource } from './site-bindings.js';
export { parseServerKey, type ServerKey } from './server-key.js';
export { StateFile, readState, STATE_FILE, STEP_NAMES, type CeremonyState, type StepName } from './state.js';
export { RehearsalTokenProvider, Pkcs11TokenProvider, type CeremonyToken, type TokenProvider, type Pkcs11ProviderDeps } from './tokens.js';
export { runCeremony, STEPS, SEAL_STEP_NAME, type RunCeremonyOptions, type CeremonyResult, type CeremonyStepEvent } from './machine.js';
export { allOutputNames, flatLayoutNames, metadataFileNames, stateFileNames, TRANSCRIPT_FILE, TRANSCRIPT_HTML } from './outputs.js';
export { inFolder, METADATA_DIR, outputLayout, SECRET_DIR, STATE_DIR, type OutputLayout } from './layout.js';
export { shareCardFiles, SHARE_CARDS_HTML } from './steps/shamir-backup.js';
export { rehearsalPlan, type RehearsalPlanOptions } from './rehearsal-plan.js';
export { parseAnyPlan, readMultiPlan, sharedKeyId, MAX_REPOSITORIES, MAX_PLAN_TOKEN_KEYS, MULTI_PLAN_MAX_BYTES, type AnyPlan, type MultiRepositoryPlan, type PlannedRepository, type SharedKey } from './multi-plan.js';
export { safeRepositoryName, repositoryOfSafeName, SAFE_NAME_MAX_BYTES } from './repository-names.js';
export { runMultiCeremony, repositoryFolder, type RunMultiCeremonyOptions, type MultiCeremonyResult, type MultiRepositoryResult } from './multi-machine.js';
export { parseInventory, buildInventory, recordRepository, dropRole, inventoryBytes, emptyInventory, describeRoles, firstExpiry, INVENTORY_FILE, INVENTORY_MAX_BYTES, type KeyInventory, type InventoryKey, type InventoryRole, type InventoryRepositoryRecord } from './inventory.js';
