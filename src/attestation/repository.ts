/**
 * `attestations.json` checked against a repository: the one function `verify`, `import`, `inspect`, the
 * app's Inspect and Import screens and the ceremony's own output check share. The keys are those of the
 * root.json that verified (so a key ID in the file is bound to the public key the root lists, Notary
 * certificates included: their SPKI), and the requirement comes from the operator or the reviewed plan,
 * never from the file itself — a file cannot waive its own check.
 *
 * Per key, in words: "key … (root) was generated on YubiKey serial …, firmware …, PIN policy …, touch
 * policy …", or why not ("no attestation", or the refusal with its code). `strict` (verify, import, the
 * ceremony) throws the first refusal; otherwise (inspect) every refusal is listed.
 *
 * Codes: ATTESTATION_MALFORMED / SCHEMA_INVALID / JSON_* / INPUT_TOO_LARGE (the file), ATTESTATION_CHAIN_BROKEN,
 * ATTESTATION_UNKNOWN_ROOT, ATTESTATION_KEY_MISMATCH, ATTESTATION_POLICY_FORBIDDEN (one chain),
 * ATTESTATION_MISSING (a root key the requirement names has no attestation, or no file at all).
 */
import { CeremonyError, isCeremonyError, toErrorShape } from '../errors.js';
import type { AttestationReport, KeyAttestationView } from './view.js';
import { quoteShown } from '../json/fields.js';
import type { Root } from '../tuf/root.js';
import { ATTESTATIONS_FILE, checkAttestations, decodeAttestations, type KeyAttestationStatus } from './attestations-file.js';
import type { PinPolicy, TouchPolicy } from './yubico-extensions.js';
import type { AttestationTrust } from './yubico-pki.js';

export type { AttestationReport, KeyAttestationView } from './view.js';

/** What a plan (or an operator's flags) asks of the root keys' attestations. */
export interface AttestationRequirement {
  /** Every root key must come with a valid attestation (ATTESTATION_MISSING otherwise). */
  required: boolean;
  /** PIN policies allowed for an attested key; absent = any. */
  pinPolicy?: PinPolicy[];
  /** Touch policies allowed for an attested key; absent = any. */
  touchPolicy?: TouchPolicy[];
}

export interface RepositoryAttestationOptions {
  /** Roots other than Yubico's (tests, private PKIs); default the bundled Yubico roots. */
  trust?: AttestationTrust;
  now: Date;
  requirement?: AttestationRequirement;
  /** Throw the first refusal (verify, import, ceremony) instead of listing it (inspect). */
  strict: boolean;
}

function rolesOf(root: Root, keyId: string): string[] {
  return [...root.roles].filter(([, r]) => r.keyids.includes(keyId)).map(([name]) => name);
}

function viewOf(root: Root, s: KeyAttestationStatus): KeyAttestationView {
  const roles = rolesOf(root, s.keyId);
  const key = `key ${s.keyId.slice(0, 16)}…${roles.length ? ` (${roles.join(', ')})` : ''}`;
  if (s.status === 'verified') {
    const a = s.attestation;
    return {
      keyId: s.keyId,
      roles,
      status: 'verified',
      sentence: `${key} was generated on YubiKey serial ${a.serial}, firmware ${a.firmware}${a.slot ? `, slot ${a.slot}` : ''}, form factor ${a.formFactor}${a.fips ? ' (FIPS)' : ''}, PIN policy ${a.pinPolicy}, touch policy ${a.touchPolicy}; chain ${a.chain.map(quoteShown).join(' → ')}${a.root.bundled ? '' : ' (NOT a Yubico root: a test or private root was given)'}`,
      facts: {
        serial: a.serial,
        firmware: a.firmware,
        slot: a.slot,
        formFactor: a.formFactor,
        fips: a.fips,
        pinPolicy: a.pinPolicy,
        touchPolicy: a.touchPolicy,
        attestedKeySha256: a.attestedKeySha256,
        chain: a.chain,
        yubicoRoot: a.root.bundled,
      },
    };
  }
  if (s.status === 'none') return { keyId: s.keyId, roles, status: 'none', sentence: `${key}: no attestation (nothing shows where this key was generated)` };
  return { keyId: s.keyId, roles, status: 'refused', code: s.code, sentence: `${key}: attestation REFUSED [${s.code}] ${s.sentence.replace(/^key [0-9a-f]{8}: attestation refused \([A-Z_]+\): /, '')}` };
}

/**
 * Checks `bytes` (attestations.json, or undefined when the input has none) against `root`'s keys. Returns
 * undefined when there is nothing to say: no file and nothing required.
 */
export function checkRepositoryAttestations(root: Root, bytes: Uint8Array | undefined, opts: RepositoryAttestationOptions): AttestationReport | undefined {
  const req = opts.requirement;
  const rootKeyIds = root.roles.get('root')?.keyids ?? [];
  if (!bytes) {
    if (!req?.required) return undefined;
    const err = new CeremonyError('ATTESTATION_MISSING', `the ${rootKeyIds.length} root keys must each be attested, but the input carries no ${ATTESTATIONS_FILE}`, { path: ATTESTATIONS_FILE });
    if (opts.strict) throw err;
    return {
      present: false,
      keys: rootKeyIds.map((keyId) => ({ keyId, roles: rolesOf(root, keyId), status: 'refused' as const, code: err.code, sentence: `key ${keyId.slice(0, 16)}… (${rolesOf(root, keyId).join(', ')}): attestation REFUSED [ATTESTATION_MISSING] no ${ATTESTATIONS_FILE} came with the metadata` })),
    };
  }
  let entries;
  try {
    entries = decodeAttestations(bytes);
  } catch (err) {
    if (opts.strict || !isCeremonyError(err)) throw err;
    return { present: true, error: toErrorShape(err), keys: [] };
  }
  const keys = new Map<string, Uint8Array>();
  for (const [keyId, listed] of root.keys) keys.set(keyId, listed.key.spki);
  const policy = {
    ...(req?.pinPolicy ? { pin: req.pinPolicy } : {}),
    ...(req?.touchPolicy ? { touch: req.touchPolicy } : {}),
  };
  const statuses = checkAttestations(entries, keys, {
    strict: opts.strict,
    now: opts.now,
    ...(opts.trust ? { trust: opts.trust } : {}),
    ...(req?.pinPolicy || req?.touchPolicy ? { policy } : {}),
    ...(req?.required ? { required: rootKeyIds } : {}),
  });
  // Root keys first, then the others, each group by key ID: the order people read them in.
  const order = (v: KeyAttestationView) => (v.roles.includes('root') ? 0 : 1);
  const views = statuses.map((s) => viewOf(root, s)).sort((a, b) => order(a) - order(b) || (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
  return { present: true, keys: views };
}

/** Lines for a terminal (verify, import, inspect). */
export function attestationLines(report: AttestationReport): string[] {
  const out = [`attestations (${report.present ? ATTESTATIONS_FILE : `no ${ATTESTATIONS_FILE}`}):`];
  if (report.error) out.push(`  REFUSED [${report.error.code}] ${report.error.message}`);
  for (const k of report.keys) out.push(`  ${k.sentence}`);
  return out;
}
