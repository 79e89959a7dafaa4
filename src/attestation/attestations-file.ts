/**
 * `attestations.json`, written beside the metadata and carried in bundles: for each key ID, the evidence
 * that the key was generated on a device — today YubiKey PIV attestations (the slot certificate and the
 * device f9 certificate, PEM). Other modules have no proof of their own: their keys are simply absent
 * ("no attestation"). Canonical JSON:
 *
 *   { "attestations": { "<keyid>": { "kind": "yubico-piv", "attestation": PEM, "device": PEM } }, "version": 1 }
 *
 * Reading it is untrusted input: size cap → strict parse → schema into new objects (unknown fields
 * refused, paths named) → each chain verified to the trusted roots and against the key ID's public key
 * → the plan's policy (every root key attested, PIN and touch policies allowed).
 */
import { canonicalBytes } from '../json/canonical.js';
import { asObject, asString, child, refuseUnknownFields } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonObject } from '../json/types.js';
import { CeremonyError, isCeremonyError } from '../errors.js';
import { certificatesFromBytes, pemOfCertificate } from './pem.js';
import { describeAttestation, verifyYubicoAttestation, type AttestationPolicy, type VerifiedAttestation } from './verify.js';
import type { AttestationTrust } from './yubico-pki.js';

import { ATTESTATIONS_FILE, ATTESTATIONS_MAX_BYTES } from './attestations-name.js';

export { ATTESTATIONS_FILE, ATTESTATIONS_MAX_BYTES };

export interface AttestationEntry {
  kind: 'yubico-piv';
  attestationDer: Uint8Array;
  deviceDer: Uint8Array;
}

/** The file's bytes for `entries` (key ID → evidence), canonical JSON. */
export function encodeAttestations(entries: ReadonlyMap<string, AttestationEntry>): Uint8Array {
  const attestations: JsonObject = {};
  for (const [keyId, e] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    attestations[keyId] = { kind: e.kind, attestation: pemOfCertificate(e.attestationDer), device: pemOfCertificate(e.deviceDer) };
  }
  return canonicalBytes({ attestations, version: 1 }, 'json');
}

/** Parses the file into new objects; refuses anything but the schema above. */
export function decodeAttestations(bytes: Uint8Array, path = ATTESTATIONS_FILE): Map<string, AttestationEntry> {
  const root = asObject(parseJsonStrict(bytes, { maxBytes: ATTESTATIONS_MAX_BYTES, path }), path);
  refuseUnknownFields(root, new Set(['attestations', 'version']), path);
  if (root.version !== 1) throw new CeremonyError('SCHEMA_INVALID', 'version must be 1', { path: child(path, 'version') });
  const list = asObject(root.attestations, child(path, 'attestations'));
  const out = new Map<string, AttestationEntry>();
  for (const [keyId, value] of Object.entries(list)) {
    const at = child(child(path, 'attestations'), keyId);
    if (!/^[0-9a-f]{64}$/.test(keyId)) throw new CeremonyError('SCHEMA_INVALID', 'a key ID is 64 lower-case hex digits', { path: at });
    const entry = asObject(value, at);
    refuseUnknownFields(entry, new Set(['kind', 'attestation', 'device']), at);
    if (asString(entry.kind, child(at, 'kind')) !== 'yubico-piv') throw new CeremonyError('SCHEMA_INVALID', 'kind must be "yubico-piv"', { path: child(at, 'kind') });
    const one = (field: 'attestation' | 'device'): Uint8Array => {
      const certs = certificatesFromBytes(new TextEncoder().encode(asString(entry[field], child(at, field))), child(at, field));
      if (certs.length !== 1) throw new CeremonyError('ATTESTATION_MALFORMED', 'expected exactly one certificate', { path: child(at, field) });
      return certs[0]!;
    };
    out.set(keyId, { kind: 'yubico-piv', attestationDer: one('attestation'), deviceDer: one('device') });
  }
  return out;
}

export type KeyAttestationStatus =
  | { keyId: string; status: 'verified'; attestation: VerifiedAttestation; sentence: string }
  | { keyId: string; status: 'none'; sentence: string }
  | { keyId: string; status: 'refused'; code: string; sentence: string };

export interface CheckAttestationsOptions {
  trust?: AttestationTrust;
  now?: Date;
  policy?: AttestationPolicy;
  /** Key IDs the plan requires an attestation for (e.g. every root key). */
  required?: readonly string[];
}

/**
 * Checks every entry against the key it names (`keys`: key ID → SPKI DER) and says, per key, in words,
 * whether it was generated on a YubiKey and how — or why not. Throws the first refusal's CeremonyError when
 * `strict` (import, verify); otherwise reports it (inspect).
 */
export function checkAttestations(
  entries: ReadonlyMap<string, AttestationEntry>,
  keys: ReadonlyMap<string, Uint8Array>,
  options: CheckAttestationsOptions & { strict: boolean },
): KeyAttestationStatus[] {
  const out: KeyAttestationStatus[] = [];
  const refuse = (keyId: string, err: CeremonyError): void => {
    if (options.strict) throw err;
    out.push({ keyId, status: 'refused', code: err.code, sentence: `key ${keyId.slice(0, 8)}: attestation refused (${err.code}): ${err.message}` });
  };
  for (const [keyId, entry] of entries) {
    const spki = keys.get(keyId);
    const path = child(child(ATTESTATIONS_FILE, 'attestations'), keyId);
    if (!spki) {
      refuse(keyId, new CeremonyError('ATTESTATION_KEY_MISMATCH', 'the attestation names a key ID that is not a key of this repository', { path }));
      continue;
    }
    try {
      const a = verifyYubicoAttestation(entry.attestationDer, entry.deviceDer, {
        ...(options.trust ? { trust: options.trust } : {}),
        ...(options.now ? { now: options.now } : {}),
        ...(options.policy ? { policy: options.policy } : {}),
        expectedSpki: spki,
        paths: { attestation: child(path, 'attestation'), device: child(path, 'device') },
      });
      out.push({ keyId, status: 'verified', attestation: a, sentence: `key ${keyId.slice(0, 8)}: ${describeAttestation(a)}` });
    } catch (err) {
      if (!isCeremonyError(err)) throw err;
      refuse(keyId, err);
    }
  }
  for (const keyId of keys.keys()) {
    if (entries.has(keyId)) continue;
    if (options.required?.includes(keyId)) {
      refuse(keyId, new CeremonyError('ATTESTATION_MISSING', `the plan requires every root key to be attested; key ${keyId.slice(0, 8)} has no attestation`, { path: ATTESTATIONS_FILE }));
    } else {
      out.push({ keyId, status: 'none', sentence: `key ${keyId.slice(0, 8)}: no attestation (its token gives no proof of where the key was made)` });
    }
  }
  return out;
}
