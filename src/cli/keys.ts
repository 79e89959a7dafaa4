/**
 * `tuf-ceremony keys [--module PATH|PRESET [--module-params STRING]] [--inventory FILE] [--json]` (issue
 * #17): every key on every token the module sees — label, CKA_ID, algorithm, fingerprint (SHA-256 of the
 * public key, hex and PGP words to read aloud) — joined by fingerprint with a key inventory
 * (src/ceremony/inventory.ts, `key-inventory.json` beside a ceremony's outputs): which custodian holds
 * it, which role it holds in which repository, and the first expiry among those roles and their Notary
 * certificates. No PIN is asked: public key objects are listed without a login (tokens that hide them
 * until login, such as some smart cards, list no keys: `problem` says so when nothing could be read).
 * Without --module, every preset module installed here is read (as `tokens`).
 *
 * `--json` prints (exit 0):
 *
 * ```json
 * {
 *   "ok": true,
 *   "inventory": "/abs/out/state/key-inventory.json", "inventorySource": "option",
 *   "freshness": [],
 *   "tokens": [{
 *     "module": "/usr/lib/softhsm/libsofthsm2.so", "token": { "label": "alice", "serial": "1d4b…" }, "software": "SoftHSM2",
 *     "keys": [{
 *       "label": "root-alice", "ckaId": "0f3c…", "algorithm": "ecdsa-p256",
 *       "fingerprint": { "sha256": "…64 hex…", "hex": "…first bytes, hex…", "words": ["…one PGP word per byte of hex…"] },
 *       "custodian": "Alice", "firstExpiry": "2036-05-01T00:00:00Z",
 *       "roles": [{ "repository": "registry.example.com/org/app", "profile": "notary", "role": "root", "keyId": "…", "expires": "…", "certificateExpires": "…" }]
 *     }],
 *     "problem": null
 *   }],
 *   "notOnTokens": [{ "fingerprint": "…", "custodian": "Bob", "label": "root-bob", "token": { "serial", "label" }, "roles": […] }],
 *   "errors": []
 * }
 * ```
 *
 * `custodian`, `firstExpiry` are null and `roles` empty for a key the inventory does not know.
 * `notOnTokens`: token keys of the inventory found on none of the tokens read (a token not inserted).
 * Which inventory (src/io/inventory-file.ts findInventory): `--inventory FILE`, else the environment
 * variable TUF_CEREMONY_INVENTORY, else `DIR/state/key-inventory.json` of the ceremony output folder
 * `--ceremony DIR` names; none of these: no inventory (nothing else is looked for). `inventory` is the
 * absolute path used, `inventorySource` how it was chosen ("option" | "environment" | "ceremony-output" |
 * null).
 *
 * Freshness (src/ceremony/inventory-fresh.ts): with `--ceremony DIR`, each root.json of that folder
 * (`metadata/root.json`, `metadata/<name>/root.json`) is compared with the root the inventory recorded
 * for its repository. `freshness` lists one entry per root: `{ "repository", "state":
 * "current"|"stale"|"unrecorded", "recorded": { "version", "sha256" } | null, "found": { … }, "message" }`.
 * A stale repository's roles are left out of every key's `roles` (they may be an older root's), and
 * `warning: inventory is stale for REPO (records root v1 sha256 …, found v2 …)` goes to stderr. Staleness
 * does not change the exit status.
 *
 * Exit status: 0; 1 the inventory refused (INVENTORY_INVALID, INPUT_TOO_LARGE, JSON_*); 2 usage; 3 a
 * module or token could not be read (the others are still listed, `errors` says which).
 */
import type { Command } from 'commander';
import { toErrorShape, type ErrorShape } from '../errors.js';
import { moduleFileExists } from '../io/softhsm.js';
import { describeRoles, firstExpiry, type InventoryKey, type InventoryRole, type KeyInventory } from '../ceremony/inventory.js';
import { groupHex, groupWords, shortDigest } from '../crypto/digest-words.js';
import { installHint } from '../signers/pkcs11/presets.js';
import { TokenModule } from '../signers/pkcs11/token.js';
import { reportError, type Io } from './output.js';
import { findInventory, readCeremonyRoots, readInventoryFile, type InventorySource } from '../io/inventory-file.js';
import { rootFreshness, withoutStale, type InventoryFreshness } from '../ceremony/inventory-fresh.js';
import { parseMetadata } from '../tuf/metadata.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { sha256Hex } from '../crypto/digest.js';
import { CeremonyError } from '../errors.js';

export { readInventoryFile };
import { targets, type TokensCommandOptions, type TokensDeps } from './tokens.js';

export interface KeysOptions extends TokensCommandOptions {
  inventory?: string;
  /** A ceremony output folder: its inventory (when none is named) and its roots (the freshness check). */
  ceremony?: string;
  /** The environment the inventory variable is read from (tests); default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ListedTokenKey {
  label: string;
  ckaId: string;
  algorithm: string | null;
  fingerprint: { sha256: string; hex: string; words: string[] } | null;
  custodian: string | null;
  firstExpiry: string | null;
  roles: InventoryRole[];
  problem: string | null;
}

export interface ListedToken {
  module: string;
  token: { label: string; serial: string };
  software: string | null;
  keys: ListedTokenKey[];
  problem: string | null;
}

export interface KeysListing {
  ok: boolean;
  inventory: string | null;
  inventorySource: InventorySource | null;
  freshness: InventoryFreshness[];
  tokens: ListedToken[];
  notOnTokens: { fingerprint: string; custodian: string | null; label: string | null; token: { serial: string; label: string } | null; roles: InventoryRole[] }[];
  errors: (ErrorShape & { module: string })[];
}

const defaultDeps: TokensDeps = {
  load: (path, opts) => TokenModule.load(path, opts),
  exists: moduleFileExists,
  platform: process.platform,
};

/** The keys of every token of one module, public objects only (no PIN). */
async function readModule(path: string, preset: string | undefined, libraryParameters: string | undefined, deps: TokensDeps, joinKey: (fp: string | undefined) => InventoryKey | undefined): Promise<ListedToken[]> {
  const wasLoaded = TokenModule.isLoaded(path);
  const loadOpts: { installHint?: string; libraryParameters?: string } = {};
  if (preset) loadOpts.installHint = installHint(preset as Parameters<typeof installHint>[0], deps.platform);
  if (libraryParameters) loadOpts.libraryParameters = libraryParameters;
  const mod = await deps.load(path, loadOpts);
  const out: ListedToken[] = [];
  try {
    for (const t of await mod.listTokens()) {
      if (!t.initialized) continue;
      const listed: ListedToken = { module: path, token: { label: t.label, serial: t.serial }, software: t.softwareModel ?? null, keys: [], problem: null };
      out.push(listed);
      try {
        const session = await mod.openToken({ serial: t.serial, label: t.label });
        try {
          for (const k of await session.listPublicKeys()) {
            const inv = joinKey(k.fingerprint);
            const short = k.fingerprint ? shortDigest(k.fingerprint) : undefined;
            listed.keys.push({
              label: k.label,
              ckaId: Buffer.from(k.id).toString('hex'),
              algorithm: k.algorithm ?? null,
              fingerprint: k.fingerprint && short ? { sha256: k.fingerprint, hex: short.hex, words: short.words } : null,
              custodian: inv?.custodian ?? null,
              firstExpiry: inv ? (firstExpiry(inv) ?? null) : null,
              roles: inv?.roles ?? [],
              problem: k.problem ?? null,
            });
          }
        } finally {
          await session.close().catch(() => undefined);
        }
      } catch (err) {
        listed.problem = toErrorShape(err).message;
      }
    }
  } finally {
    if (!wasLoaded) await mod.finalize().catch(() => undefined);
  }
  return out;
}

/** The listing, joined with `inventory` (read by the caller: `readInventoryFile`). */
export async function listKeys(opts: KeysOptions, deps: TokensDeps = defaultDeps, inventory?: KeyInventory, used?: { path: string; source: InventorySource; freshness: InventoryFreshness[] }): Promise<{ listing: KeysListing; firstError: unknown }> {
  // A stale repository's roles are not shown: they may be what an older root gave (inventory-fresh.ts).
  const stale = new Set((used?.freshness ?? []).filter((f) => f.state === 'stale').map((f) => f.repository));
  const shown = inventory && stale.size ? { ...inventory, keys: inventory.keys.map((k) => ({ ...k, roles: withoutStale(k.roles, stale) })) } : inventory;
  const byFingerprint = new Map((shown?.keys ?? []).map((k) => [k.fingerprint, k]));
  const seen = new Set<string>();
  const joinKey = (fp: string | undefined): InventoryKey | undefined => {
    if (!fp) return undefined;
    seen.add(fp);
    return byFingerprint.get(fp);
  };
  const listing: KeysListing = { ok: true, inventory: used?.path ?? opts.inventory ?? null, inventorySource: used?.source ?? (opts.inventory ? 'option' : null), freshness: used?.freshness ?? [], tokens: [], notOnTokens: [], errors: [] };
  let firstError: unknown;
  for (const target of targets(opts, deps)) {
    try {
      listing.tokens.push(...(await readModule(target.path, target.preset, target.libraryParameters, deps, joinKey)));
    } catch (err) {
      firstError ??= err;
      listing.errors.push({ module: target.path, ...toErrorShape(err) });
    }
  }
  for (const k of shown?.keys ?? []) {
    if (k.origin !== 'token' || seen.has(k.fingerprint)) continue;
    listing.notOnTokens.push({ fingerprint: k.fingerprint, custodian: k.custodian ?? null, label: k.label ?? null, token: k.token ?? null, roles: k.roles });
  }
  listing.ok = listing.errors.length === 0;
  return { listing, firstError };
}

/** Each root of a ceremony output folder against the inventory's record of it (inventory-fresh.ts). */
export async function ceremonyFreshness(dir: string, inventory: KeyInventory): Promise<InventoryFreshness[]> {
  const out: InventoryFreshness[] = [];
  for (const r of await readCeremonyRoots(dir)) {
    const md = parseMetadata(r.bytes, 'root', { maxBytes: DEFAULT_CAPS.root, source: r.path });
    const cn = md.signed.keys.size ? [...md.signed.keys.values()].map((k) => k.key.certificate?.subjectCN).find((x) => x) : undefined;
    const f = rootFreshness(inventory, { version: md.signed.version, sha256: sha256Hex(r.bytes) }, [r.repository, cn], md.profile.name);
    if (f) out.push(f);
  }
  return out;
}

const SOURCE_WORDS: Record<InventorySource, string> = { option: 'given by --inventory', environment: 'named by TUF_CEREMONY_INVENTORY', 'ceremony-output': 'found in the ceremony output folder' };

function human(listing: KeysListing, inventory: KeyInventory | undefined): string[] {
  const lines: string[] = [];
  if (listing.inventory && listing.inventorySource) lines.push(`key inventory ${listing.inventory} (${SOURCE_WORDS[listing.inventorySource]})`);
  const stale = listing.freshness.filter((f) => f.state === 'stale').length;
  if (listing.freshness.length) lines.push(`  checked against ${listing.freshness.length} root(s) of the ceremony output: ${stale ? `${stale} stale` : 'current'}`);
  for (const t of listing.tokens) {
    lines.push(`token "${t.token.label}" serial ${t.token.serial} (${t.module})${t.software ? ` — SOFTWARE TOKEN (${t.software})` : ''}`);
    if (t.problem) lines.push(`  cannot be read: ${t.problem}`);
    else if (t.keys.length === 0) lines.push('  no public keys visible without a PIN');
    for (const k of t.keys) {
      const fp = k.fingerprint ? `${groupHex(k.fingerprint.hex)} (${groupWords(k.fingerprint.words)})` : `unknown fingerprint${k.problem ? `: ${k.problem}` : ''}`;
      lines.push(`  key "${k.label}" CKA_ID ${k.ckaId || '(none)'} ${k.algorithm ?? 'unknown type'}: fingerprint ${fp}`);
      if (k.custodian) lines.push(`    custodian ${k.custodian}`);
      const inv = inventory?.keys.find((x) => x.fingerprint === k.fingerprint?.sha256);
      if (inv) for (const d of describeRoles({ ...inv, roles: k.roles })) lines.push(`    ${d}`);
      else if (inventory) lines.push('    not in the inventory: no known role');
    }
  }
  for (const k of listing.notOnTokens) {
    lines.push(`not on any token read: ${k.custodian ?? 'unknown custodian'}'s key "${k.label ?? ''}" (token ${k.token ? `"${k.token.label}" serial ${k.token.serial}` : 'unknown'}), fingerprint ${groupHex(shortDigest(k.fingerprint).hex)}`);
  }
  return lines;
}

export async function keysCommand(opts: KeysOptions, io: Io, deps: TokensDeps = defaultDeps): Promise<number> {
  const json = Boolean(opts.json);
  let result: { listing: KeysListing; firstError: unknown };
  let inventory: KeyInventory | undefined;
  try {
    const found = await findInventory({ option: opts.inventory, ...(opts.env ? { env: opts.env } : {}), ceremonyDir: opts.ceremony });
    if (found) inventory = await readInventoryFile(found.path);
    if (opts.ceremony && !inventory) throw new CeremonyError('FILE_NOT_FOUND', `no key inventory: ${opts.ceremony} holds no state/key-inventory.json (give --inventory FILE)`, { path: opts.ceremony });
    const freshness = opts.ceremony && inventory ? await ceremonyFreshness(opts.ceremony, inventory) : [];
    result = await listKeys(opts, deps, inventory, found ? { path: found.path, source: found.source, freshness } : undefined);
  } catch (err) {
    return reportError(io, err, json);
  }
  const stale = result.listing.freshness.filter((f) => f.state !== 'current' && f.message);
  for (const f of stale.slice(0, 10)) io.err(`warning: ${f.message}`);
  if (stale.length > 10) io.err(`warning: and ${stale.length - 10} more repositories (see --json "freshness")`);
  if (json) io.out(JSON.stringify(result.listing, null, 2));
  else for (const line of human(result.listing, inventory)) io.out(line);
  if (result.firstError === undefined) return 0;
  const status = reportError({ out: () => undefined, err: (s) => io.err(s) }, result.firstError, false);
  for (const e of result.listing.errors.slice(1)) io.err(`error[${e.code}]: ${e.message}`);
  return status;
}

export function registerKeysCommand(program: Command, io: Io, setStatus: (status: number) => void, deps: TokensDeps = defaultDeps): void {
  program
    .command('keys')
    .description('list every key on every token (CKA_ID, algorithm, fingerprint as hex and words) with its roles from a key inventory (no PIN needed)')
    .option('--module <PATH>', 'a PKCS#11 module path, or a preset: ykcs11, opensc, softhsm2 (default: every preset installed)')
    .option('--module-params <STRING>', 'with --module: its start-up parameters')
    .option('--inventory <FILE>', 'a key inventory (key-inventory.json) to join by fingerprint (default: $TUF_CEREMONY_INVENTORY, else --ceremony DIR\'s state/key-inventory.json)')
    .option('--ceremony <DIR>', 'a ceremony output folder: its key inventory (unless one is named) and its roots, to check the inventory is not stale')
    .option('--json', 'machine-readable listing (documented in src/cli/keys.ts)')
    .action(async (opts: KeysOptions) => setStatus(await keysCommand(opts, io, deps)));
}
