/**
 * Names of keys and their holders, as a co-signer's review shows them (PRODUCT.md §2.4: "who gains or loses
 * which role"). A name is a label written by whoever made the request; the key ID and fingerprint are what
 * identify a key. So a name must not be able to pass for that identification:
 *
 * - shown-text rule first (src/json/fields.ts checkShownText: no controls, bidi or default-ignorable
 *   characters);
 * - no imitation of the review's key text (NAME_IMITATES_KEY_TEXT): the words "fingerprint", "key ID",
 *   "SHA-256"; "key" followed by hex digits (with a letter, or six digits: "targets key 2026" stays a name); the truncation mark `…` / `...` of a shortened key ID; a run of
 *   hex that reads as a key ID or fingerprint (8 or more hex digits mixing letters and digits, or groups
 *   of four as the review prints fingerprints: `0000 1111`); two or more words of the PGP word list in a
 *   row (how hashes and fingerprints are read aloud). A name such as `Alice (key 7017…, fingerprint 0000
 *   1111 …)` printed before the real key text would otherwise show a co-signer a key that is not there;
 * - no two keys of one request or plan under the same name (NAME_DUPLICATE), compared after Unicode
 *   compatibility normalisation (NFKC), case folding and whitespace collapsing, so `Alice` and `ａｌｉｃｅ`
 *   are one name: two keys called "Alice" make "Alice signs" mean nothing.
 *
 * The review prints every key as `key <ID>… (fingerprint …) named "<name>"`: the identification first,
 * the name last and quoted (src/rotation/describe.ts).
 */
import { CeremonyError, type ErrorCode } from '../errors.js';
import { PGP_EVEN_WORDS, PGP_ODD_WORDS } from '../crypto/digest-words.js';
import { checkShownText } from '../json/fields.js';

/** The longest name a request carries (as before: 200 UTF-16 units). */
export const NAME_MAX = 200;

const PGP_WORDS = new Set([...PGP_EVEN_WORDS, ...PGP_ODD_WORDS].map((w) => w.toLowerCase()));

/** Words the review uses for key identification. */
const KEY_WORDS = /\bfinger\s*-?\s*prints?\b|\bkey\s*-?\s*ids?\b|\bsha\s*-?\s*(?:256|384|512)\b/iu;
/** "key" then hex, as the review writes a key (`key 7017ab12cd34…`): hex with a letter, or 6+ digits ("targets key 2026" is a name). */
const KEY_THEN_HEX = /\bkeys?\s*[:#]?\s*(?:(?=[0-9]*[a-f])[0-9a-f]{4,}|[0-9]{6,})(?![0-9a-z])/iu;
/** The truncation mark after a shortened key ID. */
const ELLIPSIS = /…|\.\.\./u;
/** Hex in the review's fingerprint grouping: two or more groups of four separated by single spaces. */
const GROUPED_HEX = /(?<![0-9a-z])[0-9a-f]{4}(?: [0-9a-f]{4})+(?![0-9a-z])/iu;
/** A run of hex digits, possibly split by `:`, `-`, `_`, `.` or spaces between groups. */
const HEX_RUN = /(?<![0-9a-z])[0-9a-f]+(?:[\s:_.-][0-9a-f]+)*(?![0-9a-z])/giu;

/** Why `name` could pass for key text in a review; undefined when it cannot. */
export function keyTextProblem(name: string): string | undefined {
  const text = name.normalize('NFKC');
  if (KEY_WORDS.test(text)) return 'it uses the words the review identifies keys with ("fingerprint", "key ID", "SHA-256")';
  if (KEY_THEN_HEX.test(text)) return 'it writes "key" followed by hex digits, as the review writes a key ID';
  if (ELLIPSIS.test(text)) return 'it holds "…" or "...", the mark of a shortened key ID';
  if (GROUPED_HEX.test(text)) return 'it holds hex digits in groups of four, as the review prints fingerprints';
  for (const m of text.matchAll(HEX_RUN)) {
    const digits = m[0].replace(/[\s:_.-]/gu, '');
    if (digits.length >= 8 && /[0-9]/u.test(digits) && /[a-f]/iu.test(digits)) return `it holds ${JSON.stringify(m[0])}, a run of hex digits that reads as a key ID or fingerprint`;
  }
  let run = 0;
  for (const word of text.split(/[^\p{L}]+/u)) {
    run = word !== '' && PGP_WORDS.has(word.toLowerCase()) ? run + 1 : word === '' ? run : 0;
    if (run >= 2) return 'it holds words of the PGP word list in a row, as the review reads hashes and fingerprints aloud';
  }
  return undefined;
}

/**
 * A key's or holder's name as a review shows it: checkShownText (1–`max` characters, `code` for those
 * refusals), then keyTextProblem (NAME_IMITATES_KEY_TEXT). Returns the name unchanged.
 */
export function checkKeyName(name: string, path: string, code: ErrorCode = 'SCHEMA_INVALID', max = NAME_MAX): string {
  checkShownText(name, path, max, code);
  const problem = keyTextProblem(name);
  if (problem) throw new CeremonyError('NAME_IMITATES_KEY_TEXT', `the name ${JSON.stringify(name)} could be read as a key's identification: ${problem}. Names are labels; choose one without it`, { path });
  return name;
}

/** The form two names are compared in: NFKC, case-folded, whitespace collapsed and trimmed. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim();
}

/**
 * Refuse two different keys under one name (NAME_DUPLICATE). `named` lists each key once, with where its
 * name comes from. Keys are told apart by public key (`fingerprint`), not key ID: one key under two key
 * IDs — a Notary `ecdsa-x509` root key whose certificate was re-issued, listed under the old and the new
 * certificate's key ID — is one key, and its custodian's name may stand at both (issue #14).
 */
export function checkDistinctNames(named: readonly { keyid: string; fingerprint: string; name: string; path: string }[]): void {
  const seen = new Map<string, { keyid: string; fingerprint: string; name: string; path: string }>();
  for (const n of named) {
    const k = nameKey(n.name);
    const first = seen.get(k);
    if (first && first.fingerprint !== n.fingerprint) {
      throw new CeremonyError('NAME_DUPLICATE', `two keys are named ${JSON.stringify(n.name)}${first.name !== n.name ? ` (and ${JSON.stringify(first.name)}, the same name to a reader)` : ''}: key ${first.keyid.slice(0, 12)}… at ${first.path} and key ${n.keyid.slice(0, 12)}…, different public keys; give each key its own name`, {
        path: n.path,
      });
    }
    if (!first) seen.set(k, n);
  }
}
