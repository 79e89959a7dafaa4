/**
 * Repository names (Notary GUNs) a trust folder can hold. Notary's client keeps a repository at
 * `<trust dir>/tuf/<GUN>/metadata`, a folder per `/`-separated segment, so each segment is letters, digits
 * and `._:-`, neither `.` nor `..`, and the whole name at most 255 characters. One rule for the install
 * (trust-store/install.ts checkGun), a batch's merged files (rotation/batch.ts) and the plan that makes a
 * Notary repository (ceremony/plan.ts), so no ceremony makes a repository its own import refuses.
 *
 * The Windows rules role files meet (trust-store/file-names.ts unportableSegment) apply to these folders
 * too, where they fit (review-12 L2): no segment ends with `.` (Windows drops it: `org/app.` would be
 * `org/app`'s folder there; Docker's reference grammar allows no trailing dot either) and none is a device
 * name (`nul`, `COM1`: no folder can be made so). A dotted segment naming a device before its dot
 * (`aux.example.com`, `con.d`) is kept: Windows reserves it too, but it is a valid registry host name
 * everywhere else (see gunFolderProblem). `:` stays allowed although Windows refuses it in a name
 * (and NTFS reads it as a stream separator): a registry's port is part of its GUN
 * (`registry.example.com:5000/org/app`) and Docker and notary write that folder as it is. A trust
 * directory holding such a folder cannot be copied to Windows.
 */
import { quoteShown } from '../json/fields.js';
import { endsWithDotOrSpace, windowsDeviceOf } from './windows-names.js';

const GUN_SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._:-]{1,255}$/;

/** Why `gun` cannot name a trust folder, in words, or undefined when it can. */
export function gunFolderProblem(gun: string): string | undefined {
  if (gun.length > 255) return 'it is longer than 255 characters';
  for (const segment of gun.split('/')) {
    if (!GUN_SEGMENT.test(segment)) return `its segment ${quoteShown(segment)} is not made of letters, digits and . _ : - (nor . or .., nor empty)`;
    if (endsWithDotOrSpace(segment)) return `its segment ${quoteShown(segment)} ends with ".", which Windows drops from a folder name: it would be another repository's folder there`;
    // Only a segment that is the device name itself: a dotted one (`aux.example.com`, `con.d`) is most
    // often a registry's host name, valid wherever Docker runs, and refusing it would lock that registry's
    // users out on Linux for a folder only Windows (which also reserves `con.d`) cannot hold.
    const device = segment.includes('.') ? undefined : windowsDeviceOf(segment);
    if (device !== undefined) return `its segment ${quoteShown(segment)} is the Windows device name ${quoteShown(device)}: no folder can have that name there`;
  }
  return undefined;
}

export function isFolderGun(gun: string): boolean {
  return gunFolderProblem(gun) === undefined;
}
