/**
 * The rest of the signed bytes (review-15a F4): every difference between the previous `signed` and the
 * payload's `signed` that the review's sentences (describe.ts) do not already say, at every depth — a field
 * added inside a role object, a key object changed under the same key ID, a key added to `keys` that no
 * role lists, a delegation's or a target entry's other fields — as "also changes: <JSON path> …" lines.
 * PRODUCT.md §1: a co-signer never signs what they cannot read; the hash they read covers the bytes, these
 * lines say what in the bytes differs. Paths are JSONPath into `signed` (`$` is the payload), names and
 * values escaped as the review escapes everything from a file (quoteShown / terminalSafe) and clipped.
 *
 * Each caller decides what its sentences explain (a predicate per path, below); everything else is said.
 * Lines are capped at ALSO_CHANGES_SHOWN, then one line counts the rest: never silently dropped.
 */
import { canonicalString } from '../json/canonical.js';
import { clipText } from '../json/clip.js';
import { quoteShown, shownOrQuoted, terminalSafe } from '../json/fields.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { describeTargetFile } from '../target-files/entry.js';
import type { Root, TopLevelRole } from '../tuf/root.js';
import type { DelegatedRole, Targets } from '../tuf/targets.js';

/** One difference: a value added, removed, changed, or a note (e.g. the same key IDs in another order). */
export interface SignedDifference {
  path: string;
  before?: JsonValue;
  after?: JsonValue;
  note?: string;
  /** A delegated role's name, said after the path (its index says little). */
  role?: string;
}

/** "also changes" lines listed in full up to this many; the rest are counted. */
export const ALSO_CHANGES_SHOWN = 20;
/** Code units of one value shown (canonical JSON, clipped with "…"). */
const VALUE_SHOWN = 120;

export function isObject(v: JsonValue | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** `$.roles.root` then `.threshold`, or `["x-note"]` / `["3805…"]` when the name is not a plain identifier. */
export function pathStep(path: string, name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${path}.${name}` : `${path}[${quoteShown(name)}]`;
}

function same(a: JsonValue, b: JsonValue): boolean {
  return canonicalString(a, 'json') === canonicalString(b, 'json');
}

/**
 * Every difference between `before` and `after` below `path`: objects field by field (sorted), anything
 * else (arrays, numbers, strings, a type change) as one value. `undefined` is "absent".
 */
export function jsonDifferences(before: JsonValue | undefined, after: JsonValue | undefined, path: string, out: SignedDifference[], role?: string): void {
  const at = (d: SignedDifference): SignedDifference => (role === undefined ? d : { ...d, role });
  if (before === undefined && after === undefined) return;
  if (before === undefined) {
    out.push(at({ path, after }));
    return;
  }
  if (after === undefined) {
    out.push(at({ path, before }));
    return;
  }
  if (isObject(before) && isObject(after)) {
    for (const name of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) jsonDifferences(before[name], after[name], pathStep(path, name), out, role);
    return;
  }
  if (!same(before, after)) out.push(at({ path, before, after }));
}

/** A value as the review shows it: canonical JSON, clipped, every unshown character escaped. */
export function valueText(v: JsonValue): string {
  return terminalSafe(clipText(canonicalString(v, 'json'), VALUE_SHOWN));
}

function differenceText(d: SignedDifference): string {
  const where = `${d.path}${d.role !== undefined ? ` (delegated role ${shownOrQuoted(d.role)})` : ''}`;
  if (d.note !== undefined) return `${where}: ${d.note}`;
  if (d.before === undefined) return `${where} added: ${valueText(d.after!)}`;
  if (d.after === undefined) return `${where} removed (was ${valueText(d.before)})`;
  return `${where} changes from ${valueText(d.before)} to ${valueText(d.after)}`;
}

/** The lines, capped: "also changes: $.roles.root["x-note"] added: "…"", then "… and N more". */
export function alsoChangesLines(diffs: readonly SignedDifference[]): string[] {
  const lines = diffs.slice(0, ALSO_CHANGES_SHOWN).map((d) => `also changes: ${differenceText(d)}`);
  const rest = diffs.length - ALSO_CHANGES_SHOWN;
  if (rest > 0) lines.push(`also changes: ${rest} more difference${rest === 1 ? '' : 's'} in the signed bytes, not listed here — do not sign before they are explained (inspect the request's payload)`);
  return lines;
}

/** The same key IDs in another order: order-only changes are said as such (the values are long and alike). */
export function orderNote(before: readonly string[], after: readonly string[]): string | undefined {
  if (before.length !== after.length || before.every((x, i) => x === after[i])) return undefined;
  const a = [...before].sort();
  const b = [...after].sort();
  return a.every((x, i) => x === b[i]) ? `the same ${before.length} entries in another order (${after.map((x) => quoteShown(clipText(x, 16))).join(', ')})` : undefined;
}

/**
 * securesystemslib's legacy `keyid_hash_algorithms`, as python-tuf, tuf-on-ci and Sigstore's roots write
 * it on every key: part of the key's format, read by no TUF 1.0 client (key IDs are not re-derived from it).
 * With this exact value it is said with the key; any other value is a difference (review 15f L1: one line
 * per added key, 7 of Sigstore's root 8 → 9 review's 7 lines).
 */
const USUAL_KEYID_HASH_ALGORITHMS = '["sha256","sha512"]';

/** The part of a key object the review's key text stands for: its type, scheme and public key (Notary: and `private: null`). */
function shownKeyFields(key: JsonValue): JsonValue {
  if (!isObject(key)) return key;
  const out = pick(key, ['keytype', 'scheme']);
  if (key.keyid_hash_algorithms !== undefined && canonicalString(key.keyid_hash_algorithms, 'json') === USUAL_KEYID_HASH_ALGORITHMS) out.keyid_hash_algorithms = key.keyid_hash_algorithms;
  if (isObject(key.keyval)) {
    const kv = pick(key.keyval, ['public']);
    if (key.keyval.private === null) kv.private = null;
    out.keyval = kv;
  } else if (key.keyval !== undefined) out.keyval = key.keyval;
  return out;
}

/** `keys` tables (root, delegations): a key ID only on one side is explained when `explained(id, side)` says so; a key object changed under the same ID never is. */
export function keyTableDifferences(before: JsonValue | undefined, after: JsonValue | undefined, path: string, explained: (keyid: string, side: 'added' | 'removed') => boolean, out: SignedDifference[]): void {
  const a = isObject(before) ? before : {};
  const b = isObject(after) ? after : {};
  if (before !== undefined && !isObject(before)) out.push({ path, before, ...(after !== undefined ? { after } : {}) });
  for (const id of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    // Always bracketed: a key ID read as one string, whether or not it starts with a letter.
    const p = `${path}[${quoteShown(id)}]`;
    if (a[id] === undefined) {
      if (!explained(id, 'added')) out.push({ path: p, after: b[id]!, note: `added, a key no line above names: ${valueText(b[id]!)}` });
      // A key a line names is said by its ID and fingerprint (its type and public key); any other field of its object is not.
      else jsonDifferences(shownKeyFields(b[id]!), b[id], p, out);
    } else if (b[id] === undefined) {
      if (!explained(id, 'removed')) out.push({ path: p, before: a[id], note: `removed, a key no line above names (was ${valueText(a[id])})` });
    } else jsonDifferences(a[id], b[id], p, out);
  }
}

/**
 * Root N → N+1 (describe.ts describeRequest). Said by the sentences: `version` (the heading), `expires`,
 * `consistent_snapshot` when its value changes, each top-level role's `threshold`, and its `keyids` when
 * the set changes (every key ID a role gains or loses is a key added, removed, replaced or relisted line,
 * compared by fingerprint); a key ID that appears in or leaves `keys` when a role lists it. Everything else
 * is a difference to say: the same key IDs in another order, a role object's other fields, a key object
 * changed under its key ID, a key no role lists, a role that is not a top-level one, other top-level fields
 * (also named by the "the field … changes" line, here with their values).
 */
export function rootDifferences(prev: Root, next: Root, prevJson: JsonValue, nextJson: JsonValue): SignedDifference[] {
  const a = isObject(prevJson) ? prevJson : {};
  const b = isObject(nextJson) ? nextJson : {};
  const out: SignedDifference[] = [];
  const listed = (root: Root, id: string): boolean => [...root.roles.values()].some((r) => r.keyids.includes(id));
  for (const field of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const p = pathStep('$', field);
    if (field === '_type' || field === 'version' || field === 'expires') continue;
    if (field === 'consistent_snapshot' && prev.consistentSnapshot !== next.consistentSnapshot) continue;
    if (field === 'keys') keyTableDifferences(a.keys, b.keys, p, (id, side) => (side === 'added' ? listed(next, id) : listed(prev, id)), out);
    else if (field === 'roles' && isObject(a.roles) && isObject(b.roles)) {
      const ra = a.roles;
      const rb = b.roles;
      for (const name of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
        const rp = pathStep(p, name);
        const before = prev.roles.get(name as TopLevelRole);
        const after = next.roles.get(name as TopLevelRole);
        if (!before || !after || !isObject(ra[name]) || !isObject(rb[name])) {
          jsonDifferences(ra[name], rb[name], rp, out);
          continue;
        }
        const oa = ra[name];
        const ob = rb[name];
        for (const f of [...new Set([...Object.keys(oa), ...Object.keys(ob)])].sort()) {
          if (f === 'threshold' && before.threshold !== after.threshold) continue;
          if (f === 'keyids') {
            const note = orderNote(before.keyids, after.keyids);
            if (note) out.push({ path: pathStep(rp, f), note });
            else if (!keptInOrder(before.keyids, after.keyids)) jsonDifferences(oa[f], ob[f], pathStep(rp, f), out);
            continue;
          }
          jsonDifferences(oa[f], ob[f], pathStep(rp, f), out);
        }
      }
    } else jsonDifferences(a[field], b[field], p, out);
  }
  return out;
}

/** Whether the key IDs both lists hold are in the same order (those gained or lost are said by the sentences). */
function keptInOrder(before: readonly string[], after: readonly string[]): boolean {
  const kept = after.filter((id) => before.includes(id));
  const keptBefore = before.filter((id) => after.includes(id));
  return kept.every((id, k) => id === keptBefore[k]);
}

/**
 * targets.json N → N+1, or a delegated role's file (describe.ts describeTargetsRequest). Said by the
 * sentences: `version`, `expires`; a target removed; a target added's `length` and `hashes` (the line
 * shows its size and SHA-256; other algorithms of the same entry are the file's other hashes); a target
 * changed's `length` and `hashes` when its line says "REPLACED" (old and new size and hash); a delegation
 * added or removed — of an added one, `name`, `keyids`, `threshold`, `terminating` and the paths field
 * its line shows; of a kept one `threshold`, `terminating`, the paths field when the shown paths change,
 * `keyids` when every key ID gained or lost is a key the line names (by fingerprint; the same key under a
 * new ID is said here); a delegation key when a line names its key ID. Everything else is said here: a
 * target's custom data and other fields, a changed entry's hashes under the same shown size and hash,
 * `spec_version`, the order of the delegated roles (clients search them in that order, TUF 5.6.7), a
 * delegation's other fields, delegation key objects changed under their IDs, keys no role lists.
 */
export function targetsDifferences(prev: Targets, next: Targets, prevJson: JsonValue, nextJson: JsonValue, pathsShown: (r: DelegatedRole) => string): SignedDifference[] {
  const a = isObject(prevJson) ? prevJson : {};
  const b = isObject(nextJson) ? nextJson : {};
  const out: SignedDifference[] = [];
  for (const field of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const p = pathStep('$', field);
    if (field === '_type' || field === 'version' || field === 'expires') continue;
    if (field === 'targets' && isObject(a.targets) && isObject(b.targets)) targetEntryDifferences(prev, next, a.targets, b.targets, p, out);
    else if (field === 'delegations') delegationDifferences(prev, next, a.delegations, b.delegations, p, pathsShown, out);
    else jsonDifferences(a[field], b[field], p, out);
  }
  return out;
}

function pick(o: JsonObject, fields: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const f of fields) if (o[f] !== undefined) out[f] = o[f];
  return out;
}

function targetEntryDifferences(prev: Targets, next: Targets, ta: JsonObject, tb: JsonObject, path: string, out: SignedDifference[]): void {
  for (const name of [...new Set([...Object.keys(ta), ...Object.keys(tb)])].sort()) {
    const p = pathStep(path, name);
    const ea = ta[name];
    const eb = tb[name];
    if (eb === undefined) continue; // target-removed says it
    if (!isObject(eb) || (ea !== undefined && !isObject(ea))) {
      jsonDifferences(ea, eb, p, out);
      continue;
    }
    const after = next.targets.get(name);
    if (ea === undefined) {
      // target-added shows the size and SHA-256 (describeTargetFile); without a SHA-256, only the names of the hashes.
      const shown = after?.hashes.sha256 !== undefined ? ['length', 'hashes'] : ['length'];
      jsonDifferences(pick(eb, shown), eb, p, out);
      continue;
    }
    const before = prev.targets.get(name);
    const replaced = before && after && describeTargetFile(before) !== describeTargetFile(after);
    // "REPLACED: <old size, hash> → <new size, hash>": the new length and hashes are said; all else is compared.
    jsonDifferences(replaced ? { ...ea, ...pick(eb, ['length', 'hashes']) } : ea, eb, p, out);
  }
}

const EMPTY_DELEGATIONS: JsonObject = { keys: {}, roles: [] };

function delegationDifferences(prev: Targets, next: Targets, da: JsonValue | undefined, db: JsonValue | undefined, path: string, pathsShown: (r: DelegatedRole) => string, out: SignedDifference[]): void {
  if (da === undefined && db === undefined) return;
  if ((da !== undefined && !isObject(da)) || (db !== undefined && !isObject(db))) {
    jsonDifferences(da, db, path, out);
    return;
  }
  // Present on one side only, with no delegated role in it: nothing above says it.
  const present = (da ?? db)!;
  if ((da === undefined || db === undefined) && !(Array.isArray(present.roles) && present.roles.length > 0)) {
    jsonDifferences(da, db, path, out);
    return;
  }
  const a = da ?? EMPTY_DELEGATIONS;
  const b = db ?? EMPTY_DELEGATIONS;
  const rolesBefore = new Map((prev.delegations?.roles ?? []).map((r) => [r.name, r]));
  const rolesAfter = new Map((next.delegations?.roles ?? []).map((r) => [r.name, r]));
  const fp = (keys: Targets['delegations'] | undefined, id: string): string | undefined => keys?.keys.get(id)?.key.fingerprint;
  // Key IDs the sentences name: every key of an added or removed delegation; of a kept one, those whose key (fingerprint) it gains or loses.
  const namedAdded = new Set<string>();
  const namedRemoved = new Set<string>();
  for (const [name, r] of rolesAfter) {
    const old = rolesBefore.get(name);
    const oldFps = new Set((old?.keyids ?? []).map((id) => fp(prev.delegations, id)));
    for (const id of r.keyids) if (!old || !oldFps.has(fp(next.delegations, id))) namedAdded.add(id);
  }
  for (const [name, r] of rolesBefore) {
    const now = rolesAfter.get(name);
    const newFps = new Set((now?.keyids ?? []).map((id) => fp(next.delegations, id)));
    for (const id of r.keyids) if (!now || !newFps.has(fp(prev.delegations, id))) namedRemoved.add(id);
  }
  for (const field of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const p = pathStep(path, field);
    if (field === 'keys') keyTableDifferences(a.keys, b.keys, p, (id, side) => (side === 'added' ? namedAdded.has(id) : namedRemoved.has(id)), out);
    else if (field === 'roles' && Array.isArray(a.roles) && Array.isArray(b.roles)) {
      const ja = new Map(a.roles.filter(isObject).map((r) => [String(r.name), r]));
      b.roles.forEach((rb, i) => {
        const rp = `${p}[${i}]`;
        const r = isObject(rb) ? rolesAfter.get(String(rb.name)) : undefined;
        if (!isObject(rb) || !r) {
          jsonDifferences(undefined, rb, rp, out);
          return;
        }
        const ra = ja.get(r.name);
        const old = rolesBefore.get(r.name);
        const shownPaths = r.pathHashPrefixes ? 'path_hash_prefixes' : 'paths';
        if (!ra || !old) {
          // delegation-added: its keys, threshold, paths (the shown field) and terminating.
          jsonDifferences(pick(rb, ['name', 'keyids', 'threshold', 'terminating', shownPaths]), rb, rp, out, r.name);
          return;
        }
        const explainedPaths = pathsShown(old) !== pathsShown(r);
        const oldShown = old.pathHashPrefixes ? 'path_hash_prefixes' : 'paths';
        for (const f of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
          const fp2 = pathStep(rp, f);
          if (f === 'threshold' && old.threshold !== r.threshold) continue;
          if (f === 'terminating' && old.terminating !== r.terminating) continue;
          // The line "trusted for X instead of Y" shows each side's shown field; a field present but not shown is not said by it.
          if ((f === 'paths' || f === 'path_hash_prefixes') && explainedPaths && (ra[f] === undefined || oldShown === f) && (rb[f] === undefined || shownPaths === f)) continue;
          if (f === 'keyids') {
            const note = orderNote(old.keyids, r.keyids);
            if (note) {
              out.push({ path: fp2, note, role: r.name });
              continue;
            }
            const gained = r.keyids.filter((id) => !old.keyids.includes(id));
            const lost = old.keyids.filter((id) => !r.keyids.includes(id));
            if (gained.every((id) => namedAdded.has(id)) && lost.every((id) => namedRemoved.has(id)) && keptInOrder(old.keyids, r.keyids)) continue;
          }
          jsonDifferences(ra[f], rb[f], fp2, out, r.name);
        }
      });
      // Clients search delegated roles in their order (TUF 5.6.7): a new order of the kept ones is a change.
      const orderBefore = (prev.delegations?.roles ?? []).map((r) => r.name).filter((n) => rolesAfter.has(n));
      const orderAfter = (next.delegations?.roles ?? []).map((r) => r.name).filter((n) => rolesBefore.has(n));
      if (orderBefore.some((n, k) => n !== orderAfter[k])) {
        out.push({ path: p, note: `the delegated roles are searched in another order (TUF 5.6.7): ${orderAfter.map(shownOrQuoted).join(', ')} (was ${orderBefore.map(shownOrQuoted).join(', ')})` });
      }
    } else jsonDifferences(a[field], b[field], p, out);
  }
}
