/**
 * Every expiry of a repository, nearest first (issue #14, `tuf-ceremony status`): each role's `expires`
 * (root, targets, snapshot, timestamp, delegated roles) and, for Notary, each root key's X.509 certificate
 * (notary's client refuses an expired root certificate even while root.json itself is valid), with the
 * days left, the warning window that applies, and who can renew it (the keys of the role that signs it
 * and their threshold; a server-held key renews by itself).
 *
 * Windows (defaults, overridable per role with `--warn ROLE=DAYS`):
 * - root and certificates: 182 days — notary's client starts warning six months before a root
 *   certificate expires (notary `tuf/utils` / `trustmanager` "certificate expires soon" check), and a
 *   root expiring within 6 months makes every notary publish try to re-sign it (FIELD-NOTES);
 * - targets and delegated roles: 30 days (a co-signing round across an air gap takes time);
 * - snapshot: 7 days; timestamp: 3 days (short-lived by design; notary-server's own timestamp lives 14 days
 *   and is re-signed by the server, but an air-gapped site's copy lapses silently).
 *
 * This reads metadata; it does not vouch for it (use `verify` for that). Nothing here reads a clock:
 * `now` is given.
 */
import { CeremonyError } from '../errors.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import type { ListedKey } from '../tuf/keys.js';
import { parseMetadata, type Metadata } from '../tuf/metadata.js';
import type { RepositoryFiles } from '../tuf/repository.js';
import type { Root } from '../tuf/root.js';
import { readUnverified, repositoryBudget } from '../tuf/read-unverified.js';
import type { Delegations } from '../tuf/targets.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Warning windows in days, by role name (`root`, `targets`, `snapshot`, `timestamp`, `certificates`, `delegations` or a delegated role's name). */
export type WarnWindows = Record<string, number>;

export const DEFAULT_WINDOWS: Readonly<WarnWindows> = { root: 182, certificates: 182, targets: 30, delegations: 30, snapshot: 7, timestamp: 3 };

export type ExpiryState = 'ok' | 'warning' | 'expired';

export interface RenewedBy {
  /** Short descriptions of the keys that can sign the renewal. */
  keys: { keyId: string; keytype: string; certificateCN?: string; holder?: string }[];
  threshold: number;
  /** Which role's keys these are (root for root, targets and snapshot/timestamp; the delegating role for delegations). */
  role: string;
  /** `server`: the key is notary-server's (ed25519 in a Notary root): the server re-signs by itself. */
  heldBy: 'offline' | 'server';
}

export interface ExpiryItem {
  kind: 'role' | 'certificate';
  /** Role name, or `root certificate <short key ID>`. */
  name: string;
  version?: number;
  expires: string;
  daysLeft: number;
  windowDays: number;
  state: ExpiryState;
  renewedBy: RenewedBy;
}

export interface ExpiryReport {
  profile: 'notary' | 'tuf';
  /** Notary: the GUN the root certificates name. */
  repository?: string;
  now: string;
  items: ExpiryItem[];
  worst: ExpiryState;
}

function windowFor(windows: WarnWindows, name: string, kind: 'role' | 'certificate'): number {
  if (kind === 'certificate') return windows.certificates ?? DEFAULT_WINDOWS.certificates!;
  if (windows[name] !== undefined) return windows[name]!;
  if (['root', 'targets', 'snapshot', 'timestamp'].includes(name)) return DEFAULT_WINDOWS[name]!;
  return windows.delegations ?? DEFAULT_WINDOWS.delegations!;
}

export function stateOf(expires: Date, now: Date, windowDays: number): { state: ExpiryState; daysLeft: number } {
  const left = expires.getTime() - now.getTime();
  // Whole days left, rounded down (an expiry 23 hours away is "0 days left", not 1).
  const daysLeft = Math.floor(left / DAY_MS);
  if (left <= 0) return { state: 'expired', daysLeft };
  return { state: left <= windowDays * DAY_MS ? 'warning' : 'ok', daysLeft };
}

/** `holders`: key holders by key ID (custodians' names from a ceremony's records), when known. */
function keysOf(ids: readonly string[], table: ReadonlyMap<string, ListedKey>, holders: ReadonlyMap<string, string>): RenewedBy['keys'] {
  return ids.map((id) => {
    const k = table.get(id);
    const cn = k?.key.certificate?.subjectCN;
    const holder = holders.get(id);
    return { keyId: id, keytype: k?.key.keytype ?? 'unknown', ...(cn ? { certificateCN: cn } : {}), ...(holder ? { holder } : {}) };
  });
}

function roleRenewer(root: Root, role: 'root' | 'targets' | 'snapshot' | 'timestamp', profile: 'notary' | 'tuf', holders: ReadonlyMap<string, string>): RenewedBy {
  const r = root.roles.get(role)!;
  const keys = keysOf(r.keyids, root.keys, holders);
  const serverHeld = profile === 'notary' && (role === 'timestamp' || role === 'snapshot') && keys.length > 0 && keys.every((k) => k.keytype === 'ed25519');
  return { keys, threshold: r.threshold, role: role === 'root' ? 'root' : `${role} (keys listed in root)`, heldBy: serverHeld ? 'server' : 'offline' };
}

const rank: Record<ExpiryState, number> = { ok: 0, warning: 1, expired: 2 };

/** The newest root of a set of files. */
function newestRoot(files: RepositoryFiles): Uint8Array {
  if (files.root) return files.root;
  const top = Math.max(0, ...files.versionedRoots.keys());
  const bytes = files.versionedRoots.get(top);
  if (!bytes) throw new CeremonyError('META_MISSING', 'no root.json (nor any N.root.json) to read expiries from', { path: 'root.json' });
  return bytes;
}

/** Notary: the repository (GUN) the first root certificate names, read from the newest root alone (status names it before the report is made). */
export function certificateRepository(files: RepositoryFiles): string | undefined {
  const root = parseMetadata(newestRoot(files), 'root', { maxBytes: DEFAULT_CAPS.root, source: 'root.json' });
  if (root.profile.name !== 'notary') return undefined;
  for (const id of root.signed.roles.get('root')!.keyids) {
    const cn = root.signed.keys.get(id)?.key.certificate?.subjectCN;
    if (cn !== undefined) return cn;
  }
  return undefined;
}

export function expiryReport(files: RepositoryFiles, opts: { now: Date; windows?: WarnWindows; holders?: ReadonlyMap<string, string> }): ExpiryReport {
  const holders = opts.holders ?? new Map<string, string>();
  const windows = { ...DEFAULT_WINDOWS, ...(opts.windows ?? {}) };
  const now = opts.now;
  const root = parseMetadata(newestRoot(files), 'root', { maxBytes: DEFAULT_CAPS.root, source: 'root.json' });
  const profile = root.profile.name;
  const items: ExpiryItem[] = [];
  const add = (md: Metadata, name: string, renewedBy: RenewedBy) => {
    const windowDays = windowFor(windows, name, 'role');
    items.push({ kind: 'role', name, version: md.signed.version, expires: md.signed.expiresText, windowDays, ...stateOf(md.signed.expires, now, windowDays), renewedBy });
  };
  add(root, 'root', roleRenewer(root.signed, 'root', profile, holders));
  let repository: string | undefined;
  if (profile === 'notary') {
    const rootRole = root.signed.roles.get('root')!;
    for (const id of rootRole.keyids) {
      const cert = root.signed.keys.get(id)?.key.certificate;
      if (!cert) continue;
      repository ??= cert.subjectCN;
      const windowDays = windowFor(windows, 'certificates', 'certificate');
      items.push({
        kind: 'certificate',
        name: `root certificate ${id.slice(0, 12)}`,
        expires: cert.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        windowDays,
        ...stateOf(cert.notAfter, now, windowDays),
        // A certificate is re-issued by its own key's holder (same key), then listed in a new root version.
        renewedBy: { keys: keysOf([id], root.signed.keys, holders), threshold: 1, role: 'root (the holder of this key re-issues it; a new root version lists it)', heldBy: 'offline' },
      });
    }
  }
  // One value budget for every file read (review-12 M2; verify and inspect share caps.repositoryValues the
  // same way): a bundle of many files, each under its own cap, costs at most what one repository may.
  // JSON_TOO_MANY_VALUES when it runs out. Files are not checked against the lengths and hashes their
  // referrers record, as inspect's unverified view does: status reports the copies a client's folder holds
  // as they are, and a client refreshes snapshot.json before the roles it names (review-11 M1, the newest
  // copy of a role whose snapshot entry has moved on), so a mismatch is no refusal here. The budget bounds
  // what a forged file costs instead.
  const budget = repositoryBudget();
  const read = <R extends 'targets' | 'snapshot' | 'timestamp'>(bytes: Uint8Array | undefined, type: R, role: string) =>
    bytes ? readUnverified(bytes, type, { role, source: `${role}.json`, profile, budget }) : undefined;
  const timestamp = read(files.timestamp, 'timestamp', 'timestamp');
  if (timestamp) add(timestamp, 'timestamp', roleRenewer(root.signed, 'timestamp', profile, holders));
  const snapshot = read(files.snapshot, 'snapshot', 'snapshot');
  if (snapshot) add(snapshot, 'snapshot', roleRenewer(root.signed, 'snapshot', profile, holders));
  const targets = read(files.targets, 'targets', 'targets');
  if (targets) {
    add(targets, 'targets', roleRenewer(root.signed, 'targets', profile, holders));
    // Delegated roles, breadth first: each renewed by the keys its delegating role lists for it. The queue
    // holds each parent's delegations (names, key IDs, its key table), never a parsed file: a delegated
    // file is read when its entry is reached and dropped once its row is added. An index walks the
    // queue (Array.shift moves every element left: the square of the roles).
    const queue: ({ delegations: Delegations; name: string } | undefined)[] = [];
    if (targets.signed.delegations) queue.push({ delegations: targets.signed.delegations, name: 'targets' });
    const seen = new Set<string>();
    for (let head = 0; head < queue.length; head++) {
      const parent = queue[head]!;
      queue[head] = undefined; // read: its tables may go
      for (const d of parent.delegations.roles) {
        if (seen.has(d.name)) continue;
        seen.add(d.name);
        const bytes = files.delegated.get(d.name);
        if (!bytes) continue;
        const md = read(bytes, 'targets', d.name)!;
        add(md, d.name, { keys: keysOf(d.keyids, parent.delegations.keys, holders), threshold: d.threshold, role: `${d.name} (keys listed in ${parent.name})`, heldBy: 'offline' });
        if (md.signed.delegations) queue.push({ delegations: md.signed.delegations, name: d.name });
      }
    }
  }
  items.sort((a, b) => a.daysLeft - b.daysLeft || a.name.localeCompare(b.name));
  const worst = items.reduce<ExpiryState>((w, i) => (rank[i.state] > rank[w] ? i.state : w), 'ok');
  return { profile, ...(repository ? { repository } : {}), now: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), items, worst };
}

/** `ROLE=DAYS` options → windows; refuses unknown forms (USAGE). */
export function parseWarnOptions(values: readonly string[]): WarnWindows {
  const out: WarnWindows = {};
  for (const v of values) {
    const m = /^([A-Za-z0-9_./-]{1,255})=(\d{1,5})$/.exec(v);
    if (!m) throw new CeremonyError('USAGE', `--warn ${JSON.stringify(v)}: expected ROLE=DAYS, e.g. --warn timestamp=5 --warn certificates=365`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** The earliest expiry (a role or a root certificate): when the next bundle must reach an air-gapped site (import prints it). */
export function nextBundleDue(files: RepositoryFiles, now: Date): { role: string; expires: string; daysLeft: number } | undefined {
  const report = expiryReport(files, { now });
  const first = report.items[0];
  return first ? { role: first.name, expires: first.expires, daysLeft: first.daysLeft } : undefined;
}
