/**
 * Folder names for repositories (issue #17): a multi-repository ceremony writes each repository's files
 * into `OUT/metadata/<safe name>/` (layout.ts). A repository's name (a Notary GUN such as
 * `registry.example.com/org/app`, or a TUF repository's name) is not a folder name: it has slashes, may
 * start with a dot, may name a Windows device. The safe name percent-encodes every byte outside
 * `[A-Za-z0-9_-]` and inner dots, so it is
 *
 * - unambiguous: percent-decoding the safe name gives back the repository name, so two names never share a
 *   folder (and `repositoryOfSafeName` reads a folder name back);
 * - a single path segment: no `/`, `\`, `.` or `..` is left, nothing starts with a dot (no hidden folder,
 *   no clash with the `.NAME.<hex>.tmp` files of atomic writes), no Windows device name (CON, NUL, COM1, …),
 *   no trailing dot or space;
 * - at most SAFE_NAME_MAX_BYTES bytes (file systems allow 255).
 *
 * Case: two names that differ only in case would share a folder on macOS and Windows; the plan refuses
 * them (multi-plan.ts).
 */
import { CeremonyError } from '../errors.js';

export const SAFE_NAME_MAX_BYTES = 200;

const WINDOWS_DEVICES = /^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

function encodeByte(b: number): string {
  return `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * The folder name of repository `name`; REPOSITORY_NAME_UNSAFE (at `path`) when it would exceed
 * SAFE_NAME_MAX_BYTES or the name is not printable ASCII.
 */
export function safeRepositoryName(name: string, path = '$'): string {
  if (name.length === 0 || !/^[\x21-\x7e]+$/.test(name)) {
    throw new CeremonyError('REPOSITORY_NAME_UNSAFE', `repository name ${JSON.stringify(name)} is not printable ASCII without spaces`, { path });
  }
  const bytes = Buffer.from(name, 'ascii');
  let out = '';
  bytes.forEach((b, i) => {
    const c = String.fromCharCode(b);
    const plain = /[A-Za-z0-9_-]/.test(c) || (c === '.' && i > 0 && i < bytes.length - 1);
    out += plain ? c : encodeByte(b);
  });
  // A device name is refused by Windows whatever follows a dot (CON.txt too): encode its first letter.
  const stem = out.split('.')[0]!;
  if (WINDOWS_DEVICES.test(stem)) out = encodeByte(out.charCodeAt(0)) + out.slice(1);
  if (out.length > SAFE_NAME_MAX_BYTES) {
    throw new CeremonyError(
      'REPOSITORY_NAME_UNSAFE',
      `repository name ${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)} makes a folder name of ${out.length} bytes, more than ${SAFE_NAME_MAX_BYTES}`,
      { path },
    );
  }
  return out;
}

/** The repository name a safe folder name stands for; REPOSITORY_NAME_UNSAFE when it is not one this module writes. */
export function repositoryOfSafeName(safe: string, path = '$'): string {
  let name: string;
  try {
    name = decodeURIComponent(safe);
  } catch {
    throw new CeremonyError('REPOSITORY_NAME_UNSAFE', `${JSON.stringify(safe)} is not a repository folder name (bad percent-encoding)`, { path });
  }
  let again: string;
  try {
    again = safeRepositoryName(name, path);
  } catch {
    throw new CeremonyError('REPOSITORY_NAME_UNSAFE', `${JSON.stringify(safe)} is not a repository folder name`, { path });
  }
  // Only the one encoding this module writes: anything else would let two folders stand for one name.
  if (again !== safe) throw new CeremonyError('REPOSITORY_NAME_UNSAFE', `${JSON.stringify(safe)} is not written as this tool writes repository folder names (${JSON.stringify(again)})`, { path });
  return name;
}
