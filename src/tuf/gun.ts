/**
 * Repository names (Notary GUNs) a trust folder can hold. Notary's client keeps a repository at
 * `<trust dir>/tuf/<GUN>/metadata`, a folder per `/`-separated segment, so each segment is letters, digits
 * and `._:-`, neither `.` nor `..`, and the whole name at most 255 characters. One rule for the install
 * (trust-store/install.ts checkGun), a batch's merged files (rotation/batch.ts) and the plan that makes a
 * Notary repository (ceremony/plan.ts), so no ceremony makes a repository its own import refuses.
 *
 * One Windows rule role files meet (trust-store/file-names.ts unportableSegment) applies to these folders
 * too (review-12 L2): no segment ends with `.` (Windows drops it: `org/app.` would be `org/app`'s folder
 * there; Docker's reference grammar allows no trailing dot either, so no real repository is refused).
 * Device names are not refused (review-12b M2): `library/con`, `org/aux`, `aux.example.com` are valid
 * Docker names that Linux sites use and may have installed; refusing them would lock those sites out of
 * their updates for a folder only Windows cannot hold (there, making it fails as a write fault: nothing is
 * installed, nothing half-written). `:` stays allowed although Windows refuses it in a name
 * (and NTFS reads it as a stream separator): a registry's port is part of its GUN
 * (`registry.example.com:5000/org/app`) and Docker and notary write that folder as it is. A trust
 * directory holding such a folder cannot be copied to Windows.
 */
import { quoteShown } from '../json/fields.js';
import { endsWithDotOrSpace } from './windows-names.js';

const GUN_SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._:-]{1,255}$/;

/** Why `gun` cannot name a trust folder, in words, or undefined when it can. */
export function gunFolderProblem(gun: string): string | undefined {
  if (gun.length > 255) return 'it is longer than 255 characters';
  for (const segment of gun.split('/')) {
    if (!GUN_SEGMENT.test(segment)) return `its segment ${quoteShown(segment)} is not made of letters, digits and . _ : - (nor . or .., nor empty)`;
    if (endsWithDotOrSpace(segment)) return `its segment ${quoteShown(segment)} ends with ".", which Windows drops from a folder name: it would be another repository's folder there`;
  }
  return undefined;
}

export function isFolderGun(gun: string): boolean {
  return gunFolderProblem(gun) === undefined;
}
