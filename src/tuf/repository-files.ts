/**
 * Which metadata file a name is: the one place that maps names to repository parts, shared by directory
 * reads (src/io/files.ts), files picked in the app (IPC) and, later, bundles. Anything that is not a
 * metadata file is refused, so nothing unverified rides along.
 */
import { CeremonyError } from '../errors.js';
import { ATTESTATIONS_FILE, ATTESTATIONS_MAX_BYTES } from '../attestation/attestations-name.js';
import { capFor, DEFAULT_CAPS, type SizeCaps } from './caps.js';
import type { RepositoryFiles } from './repository.js';

export interface NamedBytes {
  /** Relative, `/`-separated: `root.json`, `2.root.json`, `targets/releases.json`. */
  name: string;
  bytes: Uint8Array;
}

const VERSIONED_ROOT = /^([1-9][0-9]{0,8})\.root\.json$/;
const TOP = new Set(['root', 'timestamp', 'snapshot', 'targets']);
/** Path segments a role file may have: no dot-dot, no hidden files, no control characters. */
const SAFE_SEGMENT = /^(?!\.)[^\u0000-\u001f\u007f/\\]{1,255}$/;

export type FileKind = { kind: 'attestations' } | { kind: 'versioned-root'; version: number } | { kind: 'top'; role: 'root' | 'timestamp' | 'snapshot' | 'targets' } | { kind: 'delegated'; role: string };

export function classifyName(name: string): FileKind {
  const segments = name.split('/');
  if (name.length === 0 || segments.some((s) => !SAFE_SEGMENT.test(s)) || segments.length > 8) {
    throw new CeremonyError('UNEXPECTED_FILE', `${JSON.stringify(name)} is not a safe relative file name`, { path: name });
  }
  // attestations.json (src/attestation/attestations-file.ts): the key-generation evidence that travels beside
  // the metadata. The name is reserved: a TUF delegated role called "attestations" at the top level cannot
  // be carried (Notary delegations are all under targets/, so they never meet it).
  if (name === ATTESTATIONS_FILE) return { kind: 'attestations' };
  const versioned = VERSIONED_ROOT.exec(name);
  if (versioned) return { kind: 'versioned-root', version: Number(versioned[1]) };
  if (!name.endsWith('.json') || name.length <= 5) throw new CeremonyError('UNEXPECTED_FILE', `${name} is not a metadata file`, { path: name });
  const role = name.slice(0, -5);
  if (TOP.has(role)) return { kind: 'top', role: role as 'root' | 'timestamp' | 'snapshot' | 'targets' };
  return { kind: 'delegated', role };
}

export function capForName(name: string, caps: SizeCaps = DEFAULT_CAPS): number {
  const k = classifyName(name);
  if (k.kind === 'attestations') return ATTESTATIONS_MAX_BYTES;
  return k.kind === 'versioned-root' ? caps.root : capFor(caps, k.kind === 'top' ? k.role : k.role);
}

export function classifyRepositoryFiles(entries: readonly NamedBytes[], caps: SizeCaps = DEFAULT_CAPS): RepositoryFiles {
  if (entries.length > caps.files) throw new CeremonyError('INPUT_TOO_LARGE', `${entries.length} files exceed the cap of ${caps.files}`);
  const files: RepositoryFiles = { versionedRoots: new Map(), delegated: new Map() };
  const seen = new Set<string>();
  for (const { name, bytes } of entries) {
    if (seen.has(name)) throw new CeremonyError('UNEXPECTED_FILE', `${name} is given twice`, { path: name });
    seen.add(name);
    const cap = capForName(name, caps);
    if (bytes.length > cap) throw new CeremonyError('INPUT_TOO_LARGE', `${name} is ${bytes.length} bytes, over the cap of ${cap}`, { path: name });
    const k = classifyName(name);
    if (k.kind === 'attestations') files.attestations = bytes;
    else if (k.kind === 'versioned-root') files.versionedRoots.set(k.version, bytes);
    else if (k.kind === 'top') files[k.role] = bytes;
    else files.delegated.set(k.role, bytes);
  }
  return files;
}
