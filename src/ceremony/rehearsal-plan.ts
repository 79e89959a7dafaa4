/**
 * The plan `tuf-ceremony rehearse` builds in memory (and writes next to the outputs as plan.json, so the
 * rehearsal's intent hash is the hash of a file anyone can read): three custodians, each with a root key on
 * a rehearsal token, root threshold 2; the targets key on Alice's token; a software root key split 2-of-3
 * into share cards (the Shamir backup PRODUCT.md §3 asks the rehearsal to include); expiry defaults from
 * FIELD-NOTES (root 10 y, targets and snapshot 3 y, timestamp 14 d).
 *
 * - notary: root keys ECDSA P-256 (ecdsa-x509 certificates, CN = the GUN), snapshot key on Bob's token
 *   (or the server's, when its key file is given), timestamp = the notary-server key file given (or the
 *   rehearsal's own);
 * - tuf: root and targets keys ECDSA P-256 on tokens, snapshot and timestamp software Ed25519 keys (the
 *   online roles of a real repository live on its server, not at a ceremony), share cards of an Ed25519 key.
 */
import type { JsonObject } from '../json/types.js';
import type { ProfileName } from '../profiles/profile.js';
import { formatExpires } from '../tuf/dates.js';
import { PLAN_FORMAT, PLAN_VERSION } from './plan.js';

export interface RehearsalPlanOptions {
  profile: ProfileName;
  repository: string;
  now: Date;
  /** Notary: the server's timestamp key file (relative to the plan) and its SHA-256. */
  timestampKey?: { keyFile: string; sha256: string };
  /**
   * Notary: the server's snapshot key file, for a server-managed snapshot (what Docker Content Trust with
   * delegated signers needs: a delegate publishes without the snapshot key). Without it Bob's token holds
   * the snapshot key and the ceremony writes snapshot.json.
   */
  snapshotKey?: { keyFile: string; sha256: string };
  /**
   * A publisher's own targets public key (plan.ts `targets.publishers`): root v1 lists it beside Alice's
   * targets key, so a publisher with the stock notary client can sign targets.json (delegations, targets).
   */
  publisherKey?: { name: string; keyFile: string; sha256: string };
}

export const REHEARSAL_CUSTODIANS = ['Alice', 'Bob', 'Carol'] as const;

const DAY = 24 * 3600 * 1000;

export function rehearsalPlan(opts: RehearsalPlanOptions): JsonObject {
  const at = (days: number): string => formatExpires(new Date(Math.floor(opts.now.getTime() / 1000) * 1000 + days * DAY));
  const custodians = REHEARSAL_CUSTODIANS.map((name) => ({ name, token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: `rehearsal-root-${name.toLowerCase()}` }));
  const targets: JsonObject = { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'rehearsal-targets' }, expires: at(3 * 365) };
  if (opts.publisherKey) targets.publishers = [{ name: opts.publisherKey.name, keyFile: opts.publisherKey.keyFile, sha256: opts.publisherKey.sha256 }];
  const notary = opts.profile === 'notary';
  let snapshot: JsonObject;
  let timestamp: JsonObject;
  if (notary) {
    if (!opts.timestampKey) throw new Error('rehearsalPlan: a Notary rehearsal needs the timestamp key file');
    snapshot = opts.snapshotKey
      ? { keyFile: opts.snapshotKey.keyFile, sha256: opts.snapshotKey.sha256 }
      : { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'rehearsal-snapshot' }, expires: at(3 * 365) };
    timestamp = { keyFile: opts.timestampKey.keyFile, sha256: opts.timestampKey.sha256 };
  } else {
    snapshot = { key: { software: 'rehearsal', keyAlgorithm: 'ed25519' }, expires: at(3 * 365) };
    timestamp = { key: { software: 'rehearsal', keyAlgorithm: 'ed25519' }, expires: at(14) };
  }
  return {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    kind: 'root',
    profile: opts.profile,
    repository: opts.repository,
    custodians,
    root: { threshold: 2, expires: at(10 * 365) },
    targets,
    snapshot,
    timestamp,
    shamir: { threshold: 2, shares: 3, keyAlgorithm: notary ? 'ecdsa-p256' : 'ed25519' },
  };
}
