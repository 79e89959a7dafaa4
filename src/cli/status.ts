/**
 * `tuf-ceremony status [PATH] [--server URL --gun GUN] [--warn ROLE=DAYS…] [--now ISO] [--json]` (issue
 * #14): every expiry — roles and Notary root certificates — nearest first, days left, who can renew it,
 * over a ceremony output folder, a metadata folder, an installed trust folder (`<dir>/tuf/<GUN>/metadata`),
 * a trust bundle, or what a live notary-server serves. Thin over src/status/expiry.ts.
 *
 * Exit status, for cron and CI: 0 nothing within its warning window; 5 something within its window
 * (`warning: …` on stderr); 1 something has expired (`error[EXPIRED]: …` first on stderr) — and, as for
 * every command, 1/2/3/4 for refused input, usage, token and server failures.
 *
 * `--inventory FILE` (issue #17 point 5): a key inventory (key-inventory.json, src/ceremony/inventory.ts),
 * read strictly (INVENTORY_INVALID / INPUT_TOO_LARGE refuse, exit 1). Each key root.json lists is joined
 * by fingerprint: its custodian names who renews it when the folder itself does not say, and after the
 * expiry rows one line per key gives its custodian and every role it holds in every repository. `--json`
 * adds (only then) `"inventory": { "path", "keys": [{ "keyId", "fingerprint", "role", "custodian": name |
 * null, "roles": [{ repository, profile, role, keyId, expires?, certificateExpires? }] }] }` — a key the
 * inventory does not know has custodian null and no roles.
 *
 * Which inventory (src/io/inventory-file.ts findInventory): `--inventory FILE`, else the environment
 * variable TUF_CEREMONY_INVENTORY, else, when PATH is a ceremony output folder (or its metadata/ folder, or
 * a repository folder of a multi-repository ceremony), `OUT/state/key-inventory.json` if it is there. The
 * file used is named ("keys (from the inventory PATH, given by --inventory)"); `--json` adds
 * `"inventory": { …, "source": "option"|"environment"|"ceremony-output", "freshness": { "repository",
 * "state": "current"|"stale"|"unrecorded", "recorded": { "version", "sha256" } | null, "found": { … },
 * "message" } | null }`. Freshness (src/ceremony/inventory-fresh.ts): the root read here is compared with
 * the root the inventory recorded for its repository; when they differ the inventory is stale —
 * `warning: inventory is stale for REPO (records root v1 sha256 …, found v2 …)` on stderr — and that
 * repository's roles are left out of every key's roles (they may be an older root's). The exit status is
 * the expiry report's, whatever the inventory says.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CeremonyError } from '../errors.js';
import { multiRepositoryNameOf, readKeyHolders, readMetadataFolder } from '../io/ceremony-output.js';
import { isDirectory } from '../io/files.js';
import { shownOrQuoted } from '../json/fields.js';
import type { NotaryServerApi } from '../publish/notary-server.js';
import { certificateRepository, expiryReport, parseWarnOptions, type ExpiryItem, type ExpiryReport } from '../status/expiry.js';
import type { RepositoryFiles } from '../tuf/repository.js';
import { parseMetadata } from '../tuf/metadata.js';
import { checkNotaryRootCertificates } from '../tuf/notary-root.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { readRepositoryInput } from './repository-input.js';
import { describeRoles, type InventoryRole, type KeyInventory } from '../ceremony/inventory.js';
import { TOP_LEVEL_ROLES } from '../tuf/root.js';
import { findInventory, readInventoryFile, type InventorySource } from '../io/inventory-file.js';
import { rootFreshness, withoutStale, type InventoryFreshness } from '../ceremony/inventory-fresh.js';
import { sha256Hex } from '../crypto/digest.js';
import type { Io } from './output.js';
import { collect, openServer, processServerDeps, READ_NEED, TOKEN_REALM_HELP, type ServerDeps, type ServerOptions } from './publish.js';
import { intOption } from './int-option.js';

/** Exit status when something is within its warning window (documented in the README). */
export const STATUS_WARNING_EXIT = 5;

export interface StatusCommandOptions extends Partial<ServerOptions> {
  warn?: string[];
  now?: string;
  json?: boolean;
  /** `--timeout SECONDS`: all of `status --server`'s reads together (STATUS_SERVER_TIMEOUT_S). */
  timeout?: string;
  /** A key inventory to join the root's keys with (custodians, roles in every repository). */
  inventory?: string;
}

/** One key of the root's roles, joined with the inventory by fingerprint. */
export interface StatusInventoryKey {
  keyId: string;
  fingerprint: string;
  role: string;
  custodian: string | null;
  roles: InventoryRole[];
}

/** The keys root.json lists (each top-level role's, in role order), joined with `inventory` by fingerprint. */
function joinInventory(files: RepositoryFiles, inventory: KeyInventory, stale: ReadonlySet<string>): StatusInventoryKey[] {
  if (!files.root) return [];
  const root = parseMetadata(files.root, 'root', { maxBytes: DEFAULT_CAPS.root, source: 'root.json' }).signed;
  const out: StatusInventoryKey[] = [];
  for (const role of TOP_LEVEL_ROLES) {
    for (const keyId of root.roles.get(role)!.keyids) {
      const fingerprint = root.keys.get(keyId)!.key.fingerprint;
      const known = inventory.keys.find((k) => k.fingerprint === fingerprint);
      out.push({ keyId, fingerprint, role, custodian: known?.custodian ?? null, roles: known ? withoutStale(known.roles, stale).map((x) => ({ ...x })) : [] });
    }
  }
  return out;
}


/** The inventory's record of the root read here (inventory-fresh.ts): current, stale, unrecorded, or nothing known. */
function freshnessOf(files: RepositoryFiles, inventory: KeyInventory, names: (string | undefined)[], profile: string): InventoryFreshness | undefined {
  if (!files.root) return undefined;
  const root = parseMetadata(files.root, 'root', { maxBytes: DEFAULT_CAPS.root, source: 'root.json' }).signed;
  return rootFreshness(inventory, { version: root.version, sha256: sha256Hex(files.root) }, names, profile);
}

const SOURCE_WORDS: Record<InventorySource, string> = { option: 'given by --inventory', environment: 'named by TUF_CEREMONY_INVENTORY', 'ceremony-output': 'found in the ceremony output folder' };

/** `<dir>/tuf/<GUN>/metadata` folders under an installed Notary trust folder, by GUN. */
async function notaryTrustFolders(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (sub: string, gun: string[], depth: number): Promise<void> => {
    if (depth > 8) return;
    for (const e of await readdir(sub, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      if (e.name === 'metadata' && gun.length) out.set(gun.join('/'), join(sub, e.name));
      else await walk(join(sub, e.name), [...gun, e.name], depth + 1);
    }
  };
  await walk(join(dir, 'tuf'), [], 0);
  return out;
}

/**
 * A tuf-layout folder a client is updating may hold a role's copies with none the snapshot records yet
 * (refreshed, not downloaded): status reports the newest copy's expiry instead of refusing (file-names.ts
 * UnrecordedCopies); verify and inspect still refuse it.
 */
const LOCAL = { unrecordedCopies: 'newest' } as const;

async function readLocal(path: string, gun: string | undefined): Promise<RepositoryFiles> {
  if (!(await isDirectory(path))) return (await readRepositoryInput(path, { bundleOnly: true })).files;
  if (await isDirectory(join(path, 'tuf')).catch(() => false)) {
    const found = await notaryTrustFolders(path);
    if (gun) {
      const dir = found.get(gun);
      if (!dir) throw new CeremonyError('FILE_NOT_FOUND', `the trust folder holds no repository ${shownOrQuoted(gun)} (it holds: ${[...found.keys()].map(shownOrQuoted).join(', ') || 'none'})`, { path });
      return readMetadataFolder(dir, DEFAULT_CAPS, LOCAL);
    }
    if (found.size !== 1) throw new CeremonyError('USAGE', `the trust folder holds ${found.size} repositories: name one with --gun (${[...found.keys()].map(shownOrQuoted).join(', ')})`);
    return readMetadataFolder([...found.values()][0]!, DEFAULT_CAPS, LOCAL);
  }
  return readMetadataFolder(path, DEFAULT_CAPS, LOCAL);
}

/**
 * The server's root.json must be the GUN's root as notary's client takes it: every root key an x509 leaf
 * whose CN is the GUN (src/tuf/notary-root.ts, notary `trustpinning/certs.go` ValidateRoot). status does not
 * verify signatures, but a root.json of another repository — a misrouted request, a proxy's cache, a hostile
 * server, or a root whose keys carry no certificate and so name no repository — must not have its expiries
 * reported (and exit 0) as those of the GUN asked for. No clock is given: an expired or not-yet-valid
 * certificate is what status reports (src/status/expiry.ts), not a reason to refuse the root.
 */
function checkRootNamesGun(root: Uint8Array, gun: string): void {
  const md = parseMetadata(root, 'root', { maxBytes: DEFAULT_CAPS.root, source: 'root.json' });
  try {
    checkNotaryRootCertificates(md, undefined, gun);
  } catch (err) {
    if (!(err instanceof CeremonyError)) throw err;
    throw new CeremonyError('SERVER_RESPONSE_INVALID', `the server answered for ${shownOrQuoted(gun)} with a root.json that is not that repository's Notary root (${err.message}): another repository's metadata, or none notary's client would take`, { path: 'root.json', cause: err });
  }
}

/**
 * All status reads from a server, together. Each file has its cap, but the delegations are those an
 * unverified targets.json names: without a total, one naming thousands would have status hold thousands
 * of 64 MB answers. The benchmark's 100,000-entry repository is about 25 MB in all.
 */
export const STATUS_SERVER_MAX_BYTES = 256 * 1024 * 1024;

/**
 * The time all status reads from a server may take together (`status --server --timeout SECONDS`), and
 * how many delegated roles it reads. Each request has its own deadline (src/io/https-transport.ts), but
 * the delegations are those an unverified targets.json names: 200 of them each answered after 25 s held a
 * cron job 83 minutes without an error (review 14a L3). Real Notary repositories delegate to a handful of
 * roles; the default leaves room for a 64 MB targets.json over a slow link (about 35 minutes at 256 kbit/s
 * needs --timeout).
 */
export const STATUS_SERVER_TIMEOUT_S = 600;
export const STATUS_SERVER_MAX_DELEGATIONS = 1000;

export interface ReadServerLimits {
  /** All bytes read (STATUS_SERVER_MAX_BYTES). */
  bytes?: number;
  /** All requests together, in milliseconds (STATUS_SERVER_TIMEOUT_S). */
  timeoutMs?: number;
  /** Delegated roles read (STATUS_SERVER_MAX_DELEGATIONS). */
  delegations?: number;
}

/** What a live notary-server serves: the four top-level roles and the delegations targets.json names. */
export async function readServer(api: NotaryServerApi, limits: ReadServerLimits = {}): Promise<RepositoryFiles> {
  const budget = limits.bytes ?? STATUS_SERVER_MAX_BYTES;
  const timeoutMs = limits.timeoutMs ?? STATUS_SERVER_TIMEOUT_S * 1000;
  const maxDelegations = limits.delegations ?? STATUS_SERVER_MAX_DELEGATIONS;
  const host = new URL(api.base).host;
  const endsAt = Date.now() + timeoutMs;
  let read = 0;
  const late = (name: string) =>
    new CeremonyError('SERVER_UNREACHABLE', `${host}: status --server read ${read} file(s) within its total of ${timeoutMs / 1000} s and had not finished (at ${name}): a slow server, or one naming more delegations than it can serve; give more time with --timeout SECONDS`, { path: name });
  let left = budget;
  const get = async (name: string): Promise<Uint8Array | undefined> => {
    if (left <= 0) throw new CeremonyError('SERVER_RESPONSE_INVALID', `the server's files for this GUN reach ${budget} bytes before ${name}: status reads no more`, { path: name });
    const remaining = endsAt - Date.now();
    if (remaining <= 0) throw late(name);
    // The request is abandoned, not cancelled: the CLI exits once the refusal is printed (main.ts).
    let timer: NodeJS.Timeout | undefined;
    const overtime = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(late(name)), remaining);
    });
    try {
      const bytes = await Promise.race([api.getMetadata(name, Math.min(left, Math.max(DEFAULT_CAPS.targets, DEFAULT_CAPS.root))), overtime]);
      left -= bytes?.length ?? 0;
      read++;
      return bytes;
    } finally {
      clearTimeout(timer);
    }
  };
  const files: RepositoryFiles = { versionedRoots: new Map(), delegated: new Map() };
  const root = await get('root.json');
  if (!root) throw new CeremonyError('META_MISSING', `the server has no repository ${shownOrQuoted(api.gun)}`, { path: 'root.json' });
  checkRootNamesGun(root, api.gun);
  files.root = root;
  for (const role of ['targets', 'snapshot', 'timestamp'] as const) {
    const bytes = await get(`${role}.json`);
    if (bytes) files[role] = bytes;
  }
  if (files.targets) {
    const t = parseMetadata(files.targets, 'targets', { maxBytes: DEFAULT_CAPS.targets, source: 'targets.json' });
    const named = t.signed.delegations?.roles ?? [];
    if (named.length > maxDelegations) {
      throw new CeremonyError('SERVER_RESPONSE_INVALID', `the server's targets.json delegates to ${named.length} roles, more than the ${maxDelegations} status --server reads: status reads none of them`, {
        path: 'targets.json $.signed.delegations.roles',
      });
    }
    for (const d of named) {
      const bytes = await get(`${d.name}.json`);
      if (bytes) files.delegated.set(d.name, bytes);
    }
  }
  return files;
}

function renewLine(i: ExpiryItem): string {
  const r = i.renewedBy;
  if (r.heldBy === 'server') return 'notary-server re-signs it with its own key';
  const keys = r.keys.map((k) => (k.holder ? `${shownOrQuoted(k.holder)} (${k.keyId.slice(0, 12)})` : k.keyId.slice(0, 12))).join(', ');
  return `${r.threshold} of ${r.keys.length} key(s) of ${r.role}: ${keys}`;
}

function printInventory(path: string, source: InventorySource, keys: StatusInventoryKey[], inventory: KeyInventory, stale: ReadonlySet<string>, io: Io): void {
  io.out(`keys (from the inventory ${path}, ${SOURCE_WORDS[source]}):`);
  for (const k of keys) {
    io.out(`  ${k.role.padEnd(9)} key ${k.keyId.slice(0, 12)}  custodian ${k.custodian === null ? '(none recorded)' : shownOrQuoted(k.custodian)}`);
    const known = inventory.keys.find((x) => x.fingerprint === k.fingerprint);
    if (!known) io.out('            not in the inventory: no recorded role');
    else for (const line of describeRoles({ ...known, roles: withoutStale(known.roles, stale) })) io.out(`            ${line}`);
  }
}

/**
 * `fromServer`: the files came from `status --server`, which reads them without verifying their
 * signatures (src/status/expiry.ts): a forged timestamp.json may state any expiry. Each row says so
 * (`ok?`, not `ok`) and a note under the heading names the check that would vouch for them (review 14a L4).
 */
function printReport(report: ExpiryReport, io: Io, fromServer = false): void {
  io.out(`status: ${report.profile} repository${report.repository ? ` ${shownOrQuoted(report.repository)}` : ''} at ${report.now}`);
  if (fromServer) io.out('  (read from the server, NOT verified: each expiry is what its file states, signatures unchecked; marked ?)');
  for (const i of report.items) {
    const mark = (i.state === 'expired' ? 'EXPIRED' : i.state === 'warning' ? 'WARNING' : 'ok') + (fromServer ? '?' : '');
    const left = i.state === 'expired' ? `expired ${-i.daysLeft} day(s) ago` : `${i.daysLeft} day(s) left`;
    io.out(`  ${mark.padEnd(7)} ${shownOrQuoted(i.name).padEnd(28)} ${i.version !== undefined ? `v${i.version}`.padEnd(5) : '     '} expires ${i.expires}  ${left} (window ${i.windowDays} d)`);
    io.out(`          renewed by ${renewLine(i)}`);
  }
}

export async function statusCommand(path: string | undefined, opts: StatusCommandOptions, io: Io, deps: ServerDeps = processServerDeps()): Promise<number> {
  const windows = parseWarnOptions(opts.warn ?? []);
  let now = new Date();
  if (opts.now !== undefined) {
    now = new Date(opts.now);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(opts.now) || Number.isNaN(now.getTime())) throw new CeremonyError('USAGE', '--now must be an ISO 8601 date-time, e.g. 2030-01-31T00:00:00Z');
  }
  let files: RepositoryFiles;
  if (opts.server) {
    if (!opts.gun) throw new CeremonyError('USAGE', '--server needs --gun');
    if (path) throw new CeremonyError('USAGE', 'give either PATH or --server, not both');
    const { api, dispose } = await openServer({ ...opts, server: opts.server, gun: opts.gun }, deps, READ_NEED, (line) => io.err(line));
    try {
      files = await readServer(api, { timeoutMs: (intOption(opts.timeout, '--timeout', 1, 86_400) ?? STATUS_SERVER_TIMEOUT_S) * 1000 });
    } finally {
      dispose();
    }
  } else {
    if (opts.timeout !== undefined) throw new CeremonyError('USAGE', '--timeout is for --server: reading a folder or bundle has no network to wait for');
    if (!path) throw new CeremonyError('USAGE', 'status needs PATH (a ceremony output, metadata or trust folder, or a bundle) or --server URL --gun GUN');
    files = await readLocal(path, opts.gun);
  }
  // A ceremony output names who holds each key (its state file): "renewed by Alice, Bob".
  const holders = path && (await isDirectory(path)) ? await readKeyHolders(path) : new Map<string, string>();
  const found = await findInventory({ option: opts.inventory, ceremonyDir: path && !opts.server && (await isDirectory(path)) ? path : undefined });
  const inventory = found ? await readInventoryFile(found.path) : undefined;
  const profileName = files.root ? parseMetadata(files.root, 'root', { maxBytes: DEFAULT_CAPS.root, source: 'root.json' }).profile.name : 'tuf';
  // From root.json alone: the report itself reads every file, once, below.
  const certificateName = files.root ? certificateRepository(files) : undefined;
  const freshness = inventory ? freshnessOf(files, inventory, [opts.gun, certificateName, path ? await multiRepositoryNameOf(path) : undefined], profileName) : undefined;
  const stale = new Set(freshness?.state === 'stale' ? [freshness.repository] : []);
  const inventoryKeys = inventory ? joinInventory(files, inventory, stale) : undefined;
  // The inventory's custodians name who renews what when the folder does not (a bundle, a trust folder).
  for (const k of inventoryKeys ?? []) if (k.custodian !== null && !holders.has(k.keyId)) holders.set(k.keyId, k.custodian);
  const report = expiryReport(files, { now, windows, holders });
  const expired = report.items.filter((i) => i.state === 'expired');
  const warning = report.items.filter((i) => i.state === 'warning');
  if (freshness && freshness.state !== 'current' && freshness.message) io.err(`warning: ${freshness.message}`);
  if (expired.length) io.err(`error[EXPIRED]: ${expired.map((i) => `${i.name} expired at ${i.expires}`).join('; ')}`);
  else if (warning.length) io.err(`warning: ${warning.map((i) => `${i.name} expires in ${i.daysLeft} day(s) (${i.expires})`).join('; ')}`);
  // `verified: false` from a server: the expiries are as its files state them (printReport).
  if (opts.json) io.out(JSON.stringify({ ok: report.worst === 'ok', ...report, ...(opts.server ? { verified: false } : {}), ...(inventoryKeys && found ? { inventory: { path: found.path, source: found.source, freshness: freshness ?? null, keys: inventoryKeys } } : {}) }, null, 2));
  else {
    printReport(report, io, Boolean(opts.server));
    if (inventory && inventoryKeys && found) printInventory(found.path, found.source, inventoryKeys, inventory, stale, io);
  }
  return expired.length ? 1 : warning.length ? STATUS_WARNING_EXIT : 0;
}

export function registerStatusCommand(program: Command, io: Io, done: (status: number) => void, deps?: ServerDeps): void {
  program
    .command('status')
    .description('every expiry (roles and root certificates), nearest first, days left and who can renew it; exit 0 ok, 5 warning, 1 expired')
    .argument('[PATH]', 'a ceremony output, metadata or installed trust folder, or a trust bundle')
    .option('--server <URL>', 'read what this notary-server serves instead (https://host:port)')
    .option('--gun <GUN>', 'the repository on the server, or in a trust folder holding several')
    .option('--ca-file <PEM>', 'trust the server only through these CA certificates')
    .option('--username <USER>', 'user name for the token realm, if anonymous reads are not allowed')
    .option('--password-env <NAME>', 'environment variable holding the password')
    .option('--token-realm <URL>', TOKEN_REALM_HELP, collect)
    .option('--warn <ROLE=DAYS...>', 'warning window per role: root, targets, snapshot, timestamp, certificates, delegations or a delegated role name')
    .option('--inventory <FILE>', 'a key inventory (key-inventory.json): each key\'s custodian and its roles in every repository (default: $TUF_CEREMONY_INVENTORY, else PATH/state/key-inventory.json of a ceremony output)')
    .option('--timeout <SECONDS>', `with --server: the time all reads together may take (default ${STATUS_SERVER_TIMEOUT_S})`)
    .option('--now <ISO>', 'the date to judge by (for tests and planning), e.g. 2030-01-31T00:00:00Z')
    .option('--json', 'machine-readable report (documented in the README)')
    .action(async (path: string | undefined, opts: StatusCommandOptions) => {
      done(await statusCommand(path, opts, io, deps));
    });
}
