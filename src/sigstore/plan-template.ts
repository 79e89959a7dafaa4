/**
 * A ceremony plan template for a private Sigstore's TUF repository (the repository its clients — cosign,
 * sigstore-js / `@sigstore/tuf`, sigstore-python — fetch `trusted_root.json` and `signing_config.v0.2.json`
 * from): TUF profile with consistent snapshots (the layout Sigstore's own repository uses), root keys on
 * three custodians' tokens (2 of 3) with a Shamir-split backup key, the targets key on a token — both
 * offline — and snapshot and timestamp either online (the service's public keys, pinned by SHA-256) or
 * on a token kept for `tuf-ceremony refresh`. Token serials are left for the site bindings (`token: null`);
 * custodian names, labels and dates are to be reviewed and edited before the ceremony.
 *
 * After the ceremony: `targets-request --add trusted_root.json=FILE [--add signing_config.v0.2.json=FILE]`,
 * co-signed (`sign`, `merge`), then published by `refresh --targets` (or by the service) and `tree`.
 */
import { formatExpires } from '../tuf/dates.js';
import type { JsonObject } from '../json/types.js';
import { PLAN_FORMAT, PLAN_VERSION } from '../ceremony/plan.js';

export interface SigstorePlanOptions {
  repository: string;
  now: Date;
  /** The online service's snapshot / timestamp public key files, as the plan names them, with their SHA-256. */
  snapshotKey?: { keyFile: string; sha256: string };
  timestampKey?: { keyFile: string; sha256: string };
  custodians?: readonly string[];
}

const DAY = 86_400_000;

export function sigstorePlanTemplate(opts: SigstorePlanOptions): JsonObject {
  const at = (days: number): string => formatExpires(new Date(Math.floor(opts.now.getTime() / 1000) * 1000 + days * DAY));
  const names = opts.custodians ?? ['Alice', 'Bob', 'Carol'];
  const slug = (n: string): string => n.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const year = opts.now.getUTCFullYear();
  const custodians = names.map((name) => ({ name, token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: `sigstore-root-${year}-${slug(name)}` }));
  // Sigstore's public repository renews its root and targets twice a year; a private one may choose longer.
  const held = (custodian: string, label: string, days: number): JsonObject => ({ key: { custodian, keyAlgorithm: 'ecdsa-p256', keyLabel: `${label}-${year}` }, expires: at(days) });
  return {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    kind: 'root',
    profile: 'tuf',
    repository: opts.repository,
    custodians,
    root: { threshold: Math.min(2, custodians.length), expires: at(365) },
    targets: held(names[0]!, 'sigstore-targets', 180),
    snapshot: opts.snapshotKey ? { keyFile: opts.snapshotKey.keyFile, sha256: opts.snapshotKey.sha256 } : held(names[1 % names.length]!, 'sigstore-snapshot', 21),
    timestamp: opts.timestampKey ? { keyFile: opts.timestampKey.keyFile, sha256: opts.timestampKey.sha256 } : held(names[1 % names.length]!, 'sigstore-timestamp', 7),
    shamir: { threshold: 2, shares: 3, keyAlgorithm: 'ecdsa-p256' },
    consistentSnapshot: true,
  };
}
