/**
 * An expiry as a review says it (review-15a F6): the UTC instant, whole seconds with `Z` (formatExpires,
 * the form this tool writes), and when the file writes it otherwise — a Notary RFC 3339 zone offset such as
 * `2032-12-05T00:00:00+23:59` (the instant 2032-12-04T00:01:00Z), or fractions of a second — the written
 * form after it in parentheses. A reader takes the date part: printed as written, the CLI said another day
 * than the app, which shows the instant.
 */
import { formatExpires } from '../tuf/dates.js';

/** `text`: an expiry the metadata model has already parsed (TUF: `…Z`; Notary: RFC 3339). */
export function expiryShown(text: string): string {
  const t = Date.parse(text);
  if (!Number.isFinite(t)) return JSON.stringify(text);
  const utc = formatExpires(new Date(t));
  return utc === text ? utc : `${utc} (written as ${JSON.stringify(text)})`;
}
