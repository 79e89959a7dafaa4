/**
 * The metadata of a ceremony's output folder (issue #14: `publish` and `status` take the folder a
 * ceremony or rehearsal wrote as it is; issue #16: so do `verify`, `inspect`, `import` and `bundle create`).
 *
 * Since issue #16 a ceremony writes metadata/, secret/ and state/ (src/ceremony/layout.ts): such a folder
 * is read as its metadata/ folder, strictly (readRepositoryDir), and secret/ is never opened.
 *
 * An older output folder held everything at its top: the plan, the transcript, share cards and the state
 * file (which a plain metadata folder must not: src/io/files.ts refuses strays). It is recognised by the
 * ceremony state file or a transcript at its top; then only its top-level metadata names (`root.json`, `N.root.json`, `targets.json`, `snapshot.json`,
 * `timestamp.json`) and Notary's `targets/<role>.json` are read, each under its size cap; everything else
 * (plan, transcript, cards, the rehearsal's rotation/ export/ site/ subfolders) is left unread.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { DEFAULT_CAPS, type SizeCaps } from '../tuf/caps.js';
import type { RepositoryFiles } from '../tuf/repository.js';
import type { UnrecordedCopies } from '../trust-store/file-names.js';
import { capForName, classifyRepositoryFiles, type NamedBytes } from '../tuf/repository-files.js';
import { readState } from '../ceremony/state.js';
import { INVENTORY_FILE, INVENTORY_MAX_BYTES, parseInventory } from '../ceremony/inventory.js';
import { repositoryOfSafeName } from '../ceremony/repository-names.js';
import { parseJsonStrict } from '../json/parse.js';
import { isDirectory, readFileCapped, readRepositoryDir } from './files.js';
import { metadataDirOf } from './metadata-dir.js';
import { METADATA_DIR, STATE_DIR } from '../ceremony/layout.js';

const CEREMONY_MARKERS = ['ceremony-state.json', 'transcript.jsonl'];
const TOP_METADATA = /^(?:[1-9][0-9]{0,8}\.root|root|targets|snapshot|timestamp)\.json$/;
const DELEGATED = /^(?!\.)[A-Za-z0-9._-]{1,200}\.json$/;

/** An older output folder: everything at its top (see above). */
export async function isCeremonyOutput(dir: string): Promise<boolean> {
  const names = new Set(await readdir(dir));
  return CEREMONY_MARKERS.some((m) => names.has(m));
}

// metadataDirOf lives in its own light module (verify and inspect load it without this one's readers).
export { metadataDirOf } from './metadata-dir.js';

/**
 * The repository a folder name of `OUT/metadata/` stands for (repository-names.ts), or undefined when the
 * name is not written as this tool writes them. Exported for the app's Export screen, which reads a picked
 * folder's files but not where the folder is (multiRepositoryNameOf needs the path).
 */
export function multiRepositoryName(safe: string): string | undefined {
  try {
    return repositoryOfSafeName(safe);
  } catch {
    return undefined;
  }
}

/** A ceremony output folder's metadata; a plain metadata folder is read strictly (readRepositoryDir). */
export async function readMetadataFolder(dir: string, caps: SizeCaps = DEFAULT_CAPS, opts: { unrecordedCopies?: UnrecordedCopies } = {}): Promise<RepositoryFiles> {
  const resolved = await metadataDirOf(dir);
  if (resolved.descended) return readRepositoryDir(resolved.dir, caps, opts);
  if (!(await isCeremonyOutput(dir))) return readRepositoryDir(dir, caps, opts);
  const entries: NamedBytes[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isFile() && TOP_METADATA.test(e.name)) entries.push({ name: e.name, bytes: await readFileCapped(join(dir, e.name), capForName(e.name, caps)) });
    if (e.isDirectory() && e.name === 'targets') {
      for (const d of await readdir(join(dir, 'targets'), { withFileTypes: true })) {
        if (d.isFile() && DELEGATED.test(d.name)) {
          const name = `targets/${d.name}`;
          entries.push({ name, bytes: await readFileCapped(join(dir, 'targets', d.name), capForName(name, caps)) });
        }
      }
    }
  }
  return classifyRepositoryFiles(entries, caps);
}

const STATE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Who holds each key a ceremony made, by the key ID root.json lists it under: the custodian's name (token
 * keys), "Shamir share cards", "notary-server" or the publisher's name — from the ceremony's state file, for
 * `status` to say who can renew what. Empty for a folder that is not a ceremony output.
 */
export async function readKeyHolders(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // The new layout keeps the journal in state/ (src/ceremony/layout.ts); an older folder at its top.
  const layered = (await metadataDirOf(dir)).descended;
  if (!layered && !(await isCeremonyOutput(dir))) return inventoryHolders(dir);
  let bytes: Uint8Array;
  try {
    bytes = await readFileCapped(layered ? join(dir, STATE_DIR, 'ceremony-state.json') : join(dir, 'ceremony-state.json'), STATE_MAX_BYTES);
  } catch {
    return out; // a transcript without a state file: names are a courtesy, not a requirement
  }
  const state = readState(parseJsonStrict(bytes, { maxBytes: STATE_MAX_BYTES, path: 'ceremony-state.json' }));
  for (const k of Object.values(state.keys)) {
    if (!k.keyId) continue;
    const name = k.origin === 'shamir' ? 'Shamir share cards' : k.origin === 'server' ? 'notary-server' : k.custodian;
    if (name) out.set(k.keyId, name);
  }
  return out;
}

/**
 * The repository a folder of a multi-repository ceremony's output stands for (`OUT/metadata/<safe name>/`
 * beside `OUT/state/`, issue #17; repository-names.ts), or undefined for any other folder. TUF metadata
 * names no repository: `bundle create` names the bundle after this rather than the percent-encoded folder.
 */
export async function multiRepositoryNameOf(dir: string): Promise<string | undefined> {
  const parent = dirname(resolve(dir));
  if (basename(parent) !== METADATA_DIR) return undefined;
  if (!(await isDirectory(join(dirname(parent), STATE_DIR)).catch(() => false))) return undefined;
  return multiRepositoryName(basename(resolve(dir)));
}

/**
 * A repository folder of a multi-repository ceremony (`OUT/metadata/<safe name>/`, issue #17) has no
 * state file of its own: who holds its keys is in `OUT/state/key-inventory.json`, under the repository the
 * folder name stands for (repository-names.ts). Empty when there is no such inventory or it says nothing.
 */
async function inventoryHolders(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const repository = await multiRepositoryNameOf(dir);
  if (repository === undefined) return out;
  const parent = dirname(resolve(dir));
  let bytes: Uint8Array;
  try {
    bytes = await readFileCapped(join(dirname(parent), STATE_DIR, INVENTORY_FILE), INVENTORY_MAX_BYTES);
  } catch {
    return out; // names are a courtesy, not a requirement
  }
  const inventory = parseInventory(bytes, INVENTORY_FILE);
  for (const k of inventory.keys) {
    const name = k.origin === 'server' ? 'notary-server' : k.custodian;
    if (!name) continue;
    for (const r of k.roles) if (r.repository === repository) out.set(r.keyId, name);
  }
  return out;
}
