/**
 * Repository names (Notary GUNs) a trust folder can hold. Notary's client keeps a repository at
 * `<trust dir>/tuf/<GUN>/metadata`, a folder per `/`-separated segment, so each segment is letters, digits
 * and `._:-`, neither `.` nor `..`, and the whole name at most 255 characters. One rule for the install
 * (trust-store/install.ts checkGun), a batch's merged files (rotation/batch.ts) and the plan that makes a
 * Notary repository (ceremony/plan.ts), so no ceremony makes a repository its own import refuses.
 */
const GUN_SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._:-]{1,255}$/;

export function isFolderGun(gun: string): boolean {
  return gun.length <= 255 && gun.split('/').every((segment) => GUN_SEGMENT.test(segment));
}
