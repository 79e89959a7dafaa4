/**
 * The two Windows file-name rules shared by role files (trust-store/file-names.ts unportableSegment) and
 * repository folders (tuf/gun.ts): a reserved device name cannot be a file or folder there, and a trailing
 * `.` or space is dropped from a name (Win32 path normalisation), so such a name is another one's.
 */

/** Windows reserved device names, matched on the part before the first `.` (any case, trailing spaces ignored). */
const DEVICE = /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]|conin\$|conout\$|clock\$)$/iu;

/** The device name `segment` is on Windows (`nul`, `con.d`, `COM1.json`: the part before the first `.`), or undefined. */
export function windowsDeviceOf(segment: string): string | undefined {
  const base = segment.split('.')[0]!.replace(/ +$/u, '');
  return DEVICE.test(base) ? base : undefined;
}

/** Whether Windows drops the end of `segment` (a trailing `.` or space). */
export function endsWithDotOrSpace(segment: string): boolean {
  return /[. ]$/u.test(segment);
}
