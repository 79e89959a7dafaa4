/**
 * What an attestation check says, as plain data with no code: it crosses IPC inside an Inspection, and the
 * renderer imports these types (repository.ts makes them).
 */
import type { ErrorShape } from '../errors.js';

/** One key's attestation as people and the app see it: plain data (it crosses IPC). */
export interface KeyAttestationView {
  keyId: string;
  /** The roles root.json gives the key (root, targets, …). */
  roles: string[];
  status: 'verified' | 'none' | 'refused';
  /** The refusal's code (status refused). */
  code?: string;
  /** The whole finding in one sentence. */
  sentence: string;
  /** Status verified: what the chain attests. */
  facts?: {
    serial: number;
    firmware: string;
    slot: string | null;
    formFactor: string;
    fips: boolean;
    pinPolicy: string;
    touchPolicy: string;
    attestedKeySha256: string;
    chain: string[];
    /** False when the chain ends at a root given for tests or a private PKI, not one of Yubico's. */
    yubicoRoot: boolean;
  };
}

export interface AttestationReport {
  /** Whether the input carried attestations.json. */
  present: boolean;
  /** The file itself could not be read (inspect only; strict checks throw). */
  error?: ErrorShape;
  keys: KeyAttestationView[];
}
