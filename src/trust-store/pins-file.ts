/**
 * A set import's pins (issue #17): a JSON object, repository → the SHA-256 (64 hex digits) of the
 * root.json the site trusts for it, e.g. `{"registry.example.com/org/app": "3f2a…"}` — what
 * `tuf-ceremony import SET --pins FILE` and the Import screen's "Pin by a pins file" read. Capped at
 * 4 MiB; strict: anything else is SCHEMA_INVALID with the JSON path. A repository with no pin must
 * already be installed (its installed root is the pin).
 */
import { CeremonyError } from '../errors.js';
import { asObject, asString, child } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';

export const PINS_MAX_BYTES = 4 * 1024 * 1024;

export function parsePins(bytes: Uint8Array): Map<string, string> {
  const obj = asObject(parseJsonStrict(bytes, { maxBytes: PINS_MAX_BYTES, path: '$' }), '$');
  const pins = new Map<string, string>();
  for (const repo of Object.keys(obj)) {
    const v = asString(obj[repo], child('$', repo)).toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(v)) throw new CeremonyError('SCHEMA_INVALID', 'a pin is the SHA-256 of a root.json: 64 hex digits', { path: child('$', repo) });
    pins.set(repo, v);
  }
  return pins;
}
