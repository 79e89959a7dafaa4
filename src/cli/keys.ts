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
 *   "inventory": "out/state/key-inventory.json",
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
 * Exit status: 0; 1 the inventory refused (INVENTORY_INVALID, INPUT_TOO_LARGE, JSON_*); 2 usage; 3 a
 * module or token could not be read (the others are still listed, `errors` says which).
 */
import type { Command } from 'commander';
import { toErrorShape, type ErrorShape } from '../errors.js';
import { readFileCapped } from '../io/files.js';
import { moduleFileExists } from '../io/softhsm.js';
import { describeRoles, firstExpiry, INVENTORY_MAX_BYTES, parseInventory, type InventoryKey, type InventoryRole, type KeyInventory } from '../ceremony/inventory.js';
import { groupHex, groupWords, shortDigest } from '../crypto/digest-words.js';
import { installHint } from '../signers/pkcs11/presets.js';
import { TokenModule } from '../signers/pkcs11/token.js';
import { reportError, type Io } from './output.js';
import { targets, type TokensCommandOptions, type TokensDeps } from './tokens.js';

export interface KeysOptions extends TokensCommandOptions {
  inventory?: string;
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
export async function listKeys(opts: KeysOptions, deps: TokensDeps = defaultDeps, inventory?: KeyInventory): Promise<{ listing: KeysListing; firstError: unknown }> {
  const byFingerprint = new Map((inventory?.keys ?? []).map((k) => [k.fingerprint, k]));
  const seen = new Set<string>();
  const joinKey = (fp: string | undefined): InventoryKey | undefined => {
    if (!fp) return undefined;
    seen.add(fp);
    return byFingerprint.get(fp);
  };
  const listing: KeysListing = { ok: true, inventory: opts.inventory ?? null, tokens: [], notOnTokens: [], errors: [] };
  let firstError: unknown;
  for (const target of targets(opts, deps)) {
    try {
      listing.tokens.push(...(await readModule(target.path, target.preset, target.libraryParameters, deps, joinKey)));
    } catch (err) {
      firstError ??= err;
      listing.errors.push({ module: target.path, ...toErrorShape(err) });
    }
  }
  for (const k of inventory?.keys ?? []) {
    if (k.origin !== 'token' || seen.has(k.fingerprint)) continue;
    listing.notOnTokens.push({ fingerprint: k.fingerprint, custodian: k.custodian ?? null, label: k.label ?? null, token: k.token ?? null, roles: k.roles });
  }
  listing.ok = listing.errors.length === 0;
  return { listing, firstError };
}

/** A key inventory file: size cap, then the strict schema (INVENTORY_INVALID with the JSON path). */
export async function readInventoryFile(path: string): Promise<KeyInventory> {
  return parseInventory(await readFileCapped(path, INVENTORY_MAX_BYTES), path);
}

function human(listing: KeysListing, inventory: KeyInventory | undefined): string[] {
  const lines: string[] = [];
  for (const t of listing.tokens) {
    lines.push(`token "${t.token.label}" serial ${t.token.serial} (${t.module})${t.software ? ` — SOFTWARE TOKEN (${t.software})` : ''}`);
    if (t.problem) lines.push(`  cannot be read: ${t.problem}`);
    else if (t.keys.length === 0) lines.push('  no public keys visible without a PIN');
    for (const k of t.keys) {
      const fp = k.fingerprint ? `${groupHex(k.fingerprint.hex)} (${groupWords(k.fingerprint.words)})` : `unknown fingerprint${k.problem ? `: ${k.problem}` : ''}`;
      lines.push(`  key "${k.label}" CKA_ID ${k.ckaId || '(none)'} ${k.algorithm ?? 'unknown type'}: fingerprint ${fp}`);
      if (k.custodian) lines.push(`    custodian ${k.custodian}`);
      const inv = inventory?.keys.find((x) => x.fingerprint === k.fingerprint?.sha256);
      if (inv) for (const d of describeRoles(inv)) lines.push(`    ${d}`);
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
    if (opts.inventory) inventory = await readInventoryFile(opts.inventory);
    result = await listKeys(opts, deps, inventory);
  } catch (err) {
    return reportError(io, err, json);
  }
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
    .option('--inventory <FILE>', 'a key inventory (key-inventory.json beside a ceremony\'s outputs) to join by fingerprint')
    .option('--json', 'machine-readable listing (documented in src/cli/keys.ts)')
    .action(async (opts: KeysOptions) => setStatus(await keysCommand(opts, io, deps)));
}
