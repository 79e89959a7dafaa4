/**
 * The file names an install writes, checked before anything is written: role names become file names
 * (`<role>.json`, Notary `targets/<role>.json`), and TUF role names are arbitrary strings (TUF 4.5), so a
 * verified bundle can name two roles whose files are one file on another file system, or a file some
 * file system cannot hold. A trust folder is copied between machines (and the app runs on Windows and
 * macOS), so the rule is the same everywhere:
 *
 * - ROLE_FILE_NAME_COLLISION: two names that are one file on a case-insensitive (NTFS, APFS and HFS+ by
 *   default) or normalisation-insensitive (APFS, HFS+: NFC = NFD) file system: `A.json` / `a.json`,
 *   `é` precomposed / decomposed, `Root.json` / `root.json`. One would overwrite the other, and a client
 *   would read the wrong role's file. Folding is generous (full case mapping, both ways), so it may refuse
 *   a pair one file system keeps apart; never the reverse.
 * - ROLE_FILE_NAME_UNPORTABLE: a name Windows cannot hold or reads as another (device names `CON`,
 *   `nul.json`, `COM1`…; `<>:"|?*`; a trailing `.` or space, which Windows drops), one that is not valid
 *   Unicode (a lone surrogate: written as U+FFFD, which another name may hold), or longer than the 255
 *   bytes most file systems allow in a name.
 *
 * Verification itself is unchanged: these names are valid TUF and a client that keeps them in memory
 * reads them; only installing them as files is refused.
 */
import { CeremonyError } from '../errors.js';
import { quoteShown } from '../json/fields.js';

/** Windows reserved device names, matched on the part before the first `.` (any case, trailing spaces ignored). */
const DEVICE = /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]|conin\$|conout\$|clock\$)$/iu;
/** Characters Windows refuses in a name (and controls: refused earlier for role names, kept here for any file). */
const WINDOWS_FORBIDDEN = /[<>:"|?*\\\u0000-\u001f]/u;
const LONE_SURROGATE = /\p{Surrogate}/u;
const MAX_NAME_BYTES = 255;

/** Why one path segment cannot be a file name everywhere, or undefined. */
export function unportableSegment(segment: string): string | undefined {
  if (LONE_SURROGATE.test(segment)) return 'it is not valid Unicode (a lone surrogate would be written as U+FFFD)';
  const bad = WINDOWS_FORBIDDEN.exec(segment);
  if (bad) return `Windows file names cannot hold ${quoteShown(bad[0])}`;
  if (/[. ]$/u.test(segment)) return 'Windows drops a trailing "." or space from a file name, so it would be another file';
  const base = segment.split('.')[0]!.replace(/ +$/u, '');
  if (DEVICE.test(base)) return `${quoteShown(base)} is a Windows device name: the file cannot be written there`;
  if (new TextEncoder().encode(segment).length > MAX_NAME_BYTES) return `a file name longer than ${MAX_NAME_BYTES} bytes`;
  return undefined;
}

/** The name as a case- and normalisation-insensitive file system sees it (generously: see the file comment). */
export function foldedFileName(name: string): string {
  return name.normalize('NFD').toUpperCase().toLowerCase().normalize('NFD');
}

/**
 * Refuse a set of file paths (`/`-separated, relative to the folder) that cannot all be written as
 * distinct files everywhere. `pathOf(file)`: the JSON path to blame for a file (where its role is named).
 */
export function checkInstallFileNames(files: Iterable<string>, pathOf: (file: string) => string): void {
  const seen = new Map<string, string>();
  for (const file of files) {
    for (const segment of file.split('/')) {
      const why = unportableSegment(segment);
      if (why) throw new CeremonyError('ROLE_FILE_NAME_UNPORTABLE', `the file ${quoteShown(file)} cannot be installed: ${why}; nothing was installed`, { path: pathOf(file) });
    }
    const key = foldedFileName(file);
    const other = seen.get(key);
    if (other !== undefined) {
      throw new CeremonyError(
        'ROLE_FILE_NAME_COLLISION',
        `the files ${quoteShown(other)} and ${quoteShown(file)} are one file on a case- or normalisation-insensitive file system (Windows, macOS): one would overwrite the other; nothing was installed`,
        { path: pathOf(file) },
      );
    }
    seen.set(key, file);
  }
}
