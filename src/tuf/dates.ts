import { CeremonyError } from '../errors.js';
import type { ProfileName } from '../profiles/profile.js';

// TUF 1.0 §4.2 ("expires"): ISO 8601 `YYYY-MM-DDTHH:MM:SSZ`; python-tuf parses exactly that with
// strptime, so fractions and offsets are refused in the tuf profile.
const TUF_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
// Notary writes Go's RFC 3339 (time.Time JSON), which may carry nanoseconds and a zone offset.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** `path`: where the date is, or a function that formats it (only called to refuse). */
export function parseExpires(profile: ProfileName, text: string, path: string | (() => string)): Date {
  const where = (): string => (typeof path === 'string' ? path : path());
  const m = (profile === 'tuf' ? TUF_DATE : RFC3339).exec(text);
  if (!m) {
    const form = profile === 'tuf' ? 'YYYY-MM-DDTHH:MM:SSZ' : 'RFC 3339';
    throw new CeremonyError('DATE_INVALID', `date ${JSON.stringify(text)} is not in ${form} form`, { path: where() });
  }
  const [, y, mo, d, h, mi, s] = m as unknown as string[];
  const month = Number(mo);
  const day = Number(d);
  // Round-trip through the UTC setters to refuse impossible dates such as 2030-02-31. Not Date.UTC, which
  // reads years 0–99 as 1900–1999: "0050-01-01" was refused as a date that does not exist (DATE_INVALID),
  // where python-tuf and Go read year 50 and the file is simply expired (EXPIRED).
  const probe = new Date(0);
  probe.setUTCFullYear(Number(y), month - 1, day);
  probe.setUTCHours(Number(h), Number(mi), Number(s), 0);
  if (
    probe.getUTCFullYear() !== Number(y) ||
    probe.getUTCMonth() !== month - 1 ||
    probe.getUTCDate() !== day ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    throw new CeremonyError('DATE_INVALID', `date ${JSON.stringify(text)} does not exist`, { path: where() });
  }
  // TUF's form is whole seconds in UTC: the probe is that instant (no second parse of the text).
  if (profile === 'tuf') return probe;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new CeremonyError('DATE_INVALID', `date ${JSON.stringify(text)} is not valid`, { path: where() });
  return date;
}

/** The form each profile writes: whole seconds in UTC with `Z` (Notary's peers accept it; FIELD-NOTES). */
export function formatExpires(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
