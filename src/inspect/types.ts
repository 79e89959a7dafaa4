/**
 * What `inspect` shows a person about a metadata file, directory or (later) bundle. Plain data with no
 * code, so the renderer may import this type and the same object crosses IPC unchanged.
 */
import type { ErrorShape } from '../errors.js';
import type { AttestationReport } from '../attestation/view.js';

export type RoleKind = 'root' | 'targets' | 'snapshot' | 'timestamp' | 'delegation';

export interface KeyView {
  keyId: string;
  keytype: string;
  scheme?: string;
  /** hex SHA-256 of the public key (SPKI DER): stable across key IDs and certificates. */
  fingerprint: string;
  /** Who holds it, as far as the metadata tells: the certificate CN for Notary x509 keys. */
  label?: string;
  /** Who holds it, as a ceremony transcript records it (a custodian's name, or what the key is). */
  holder?: { name: string; custodian: boolean };
  certificateExpires?: string;
}

export interface RoleView {
  name: string;
  kind: RoleKind;
  /** The role that delegates to this one (root for top-level roles). */
  delegatedBy: string;
  threshold: number;
  keyIds: string[];
  /** Present when the role's own metadata was available. */
  version?: number;
  expires?: string;
  expired?: boolean;
  /** Key IDs whose signatures over this role's metadata verified (by its delegating role's keys). */
  signedBy?: string[];
  /** Key IDs listed for the role that did not (validly) sign. */
  missing?: string[];
  thresholdMet?: boolean;
  /**
   * Set instead of signedBy / missing / thresholdMet when the role's signatures were not checked, saying
   * why in plain words: the inspection's signature work ran out (review-13b H1; SIGNATURE_WORK_EXCEEDED),
   * and checking on would do the work the limit refuses.
   */
  signaturesNotChecked?: string;
  /** For delegations: path patterns, terminating flag. */
  paths?: string[];
  terminating?: boolean;
  /** The role's targets: for a delegation, only the entries inside its paths (those a client resolves from it). */
  targetCount?: number;
  /**
   * Delegations: entries its file lists outside the paths it is delegated for (set when there are any). No
   * client ever resolves them from this role (TUF 5.6.7.2), so they are not counted in targetCount (review 15c L5).
   */
  outsidePathsCount?: number;
  /**
   * Delegations: set when the entries were not matched against the paths (the inspection's path-test budget,
   * INSPECT_PATH_TESTS, was spent): targetCount is then every entry the file lists, inside its paths or not.
   */
  pathsNotChecked?: true;
}

/** One expiry on the Inspect screen's timeline (src/inspect/timeline.ts), nearest first. */
export interface TimelineItem {
  kind: 'role' | 'certificate';
  /** Role name, or `root certificate <short key ID>`. */
  name: string;
  /** A certificate's subject CN. */
  holder?: string;
  /** ISO 8601. */
  expires: string;
  daysLeft: number;
  windowDays: number;
  state: 'ok' | 'warning' | 'expired';
}

export interface Inspection {
  /** Base name of what was opened (never a full path: the transcript and screenshots may be shared). */
  source: string;
  kind: 'metadata-file' | 'metadata-directory';
  profile: 'tuf' | 'notary';
  /** The GUN for Notary (from root certificate CNs), when known. */
  repository?: string;
  /** The newest root version seen. */
  rootVersion: number;
  keys: KeyView[];
  roles: RoleView[];
  /** Problems found while inspecting (inspection explains; it does not stop at the first problem). */
  problems: ErrorShape[];
  /** Every expiry (roles and, for Notary, root certificates), nearest first. */
  timeline?: TimelineItem[];
  /** The transcript the holders' names come from (its base name), when one was given. */
  holdersFrom?: string;
  /** When verified against a pinned root: the verdict. */
  verified?: { ok: true } | { ok: false; error: ErrorShape };
  /**
   * attestations.json, when the input carries one (or the caller requires one): per key of the root shown,
   * whether and where it was generated, in words, or why not (issue #13).
   */
  attestations?: AttestationReport;
}
