/**
 * Tokens as a ceremony uses them: the stable import path for the PKCS#11 layer. The parts live in files of
 * their own — module.ts (loading a module, listing and opening tokens), identity.ts (who a token is),
 * session.ts (login, keys, the non-extractability proof), keygen.ts (generation templates and read-back),
 * quirks.ts (what differs per module), errors.ts (CKR_ values to messages) — and are re-exported here.
 */
export * from './identity.js';
export * from './keygen.js';
export * from './login-registry.js';
export * from './module.js';
export * from './session.js';
export * from './pin-retry.js';
export * from './quirks.js';
