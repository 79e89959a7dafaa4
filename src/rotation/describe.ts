/**
 * Review before signing (PRODUCT.md §2.4): what a signing request changes, in plain words, against the
 * previous root — who gains or loses which role, threshold, expiry and consistent_snapshot changes — and a
 * short hash of the exact bytes to be signed, as hex and as words to read aloud. The CLI (`inspect
 * REQUEST`, `sign`) prints `text`; the app renders `changes` and `digest`.
 *
 * Keys are compared by public key (fingerprint), not key ID: a Notary root key listed under a renewed
 * certificate is the same custodian's key ("certificate renewed"), not a new one. Keys are named by the
 * custodian names the request gives (labels written by whoever made the request: the fingerprints are
 * what to check), else by short key ID and fingerprint.
 */
import { canonicalString } from '../json/canonical.js';
import type { JsonValue } from '../json/types.js';
import { groupHex, shortDigest, shortDigestOf, type ShortDigest } from '../crypto/digest-words.js';
import type { ListedKey } from '../tuf/keys.js';
import { TOP_LEVEL_ROLES, type Root, type TopLevelRole } from '../tuf/root.js';
import type { SigningRequest } from './request.js';

export type RequestChange =
  | { kind: 'key-added'; role: TopLevelRole; who: string; keyid: string; fingerprint: string }
  | { kind: 'key-removed'; role: TopLevelRole; who: string; keyid: string; fingerprint: string }
  | { kind: 'key-replaced'; role: TopLevelRole; who: string; by: string; oldKeyid: string; newKeyid: string }
  | { kind: 'key-relisted'; role: TopLevelRole; who: string; oldKeyid: string; newKeyid: string }
  | { kind: 'threshold'; role: TopLevelRole; from: string; to: string }
  | { kind: 'expires'; from: string; to: string }
  | { kind: 'consistent-snapshot'; from: boolean; to: boolean }
  | { kind: 'other-field'; field: string };

export interface RequestDescription {
  repository: string;
  profile: SigningRequest['profile'];
  fromVersion: number;
  toVersion: number;
  changes: RequestChange[];
  /** "needs 2 of 3 old keys … and 2 of 3 new keys …" */
  policy: string;
  /** SHA-256 of the exact bytes every signer signs (canonical payload), with its short form. */
  digest: ShortDigest;
  requestId: string;
  /** The whole review, one line each. */
  lines: string[];
  text: string;
}

function fingerprintText(fp: string): string {
  return groupHex(shortDigest(fp).hex);
}

export function describeRequest(request: SigningRequest): RequestDescription {
  const prev: Root = request.previous.signed;
  const next: Root = request.root;
  const names = new Map(request.expectedSigners.map((s) => [s.keyid, s.name]));
  // A name given for one ID of a key names it under all its IDs.
  const nameByFp = new Map<string, string>();
  for (const [id, name] of names) {
    const k = next.keys.get(id) ?? prev.keys.get(id);
    if (k) nameByFp.set(k.key.fingerprint, name);
  }
  const who = (k: ListedKey): string => {
    const name = nameByFp.get(k.key.fingerprint);
    const id = `key ${k.keyId.slice(0, 12)}…, fingerprint ${fingerprintText(k.key.fingerprint)}`;
    return name ? `${name} (${id})` : id;
  };

  const changes: RequestChange[] = [];
  for (const role of TOP_LEVEL_ROLES) {
    const before = prev.roles.get(role)!;
    const after = next.roles.get(role)!;
    const oldKeys = before.keyids.map((id) => prev.keys.get(id)!);
    const newKeys = after.keyids.map((id) => next.keys.get(id)!);
    const newFps = new Map(newKeys.map((k) => [k.key.fingerprint, k]));
    const oldFps = new Map(oldKeys.map((k) => [k.key.fingerprint, k]));
    const removed = oldKeys.filter((k) => !newFps.has(k.key.fingerprint));
    const added = newKeys.filter((k) => !oldFps.has(k.key.fingerprint));
    for (const k of oldKeys) {
      const same = newFps.get(k.key.fingerprint);
      if (same && same.keyId !== k.keyId) changes.push({ kind: 'key-relisted', role, who: who(k), oldKeyid: k.keyId, newKeyid: same.keyId });
    }
    // Pair removals with additions in order: "Alice is replaced by Dave".
    const pairs = Math.min(removed.length, added.length);
    for (let i = 0; i < pairs; i++) {
      changes.push({ kind: 'key-replaced', role, who: who(removed[i]!), by: who(added[i]!), oldKeyid: removed[i]!.keyId, newKeyid: added[i]!.keyId });
    }
    for (const k of removed.slice(pairs)) changes.push({ kind: 'key-removed', role, who: who(k), keyid: k.keyId, fingerprint: k.key.fingerprint });
    for (const k of added.slice(pairs)) changes.push({ kind: 'key-added', role, who: who(k), keyid: k.keyId, fingerprint: k.key.fingerprint });
    const from = `${before.threshold} of ${before.keyids.length}`;
    const to = `${after.threshold} of ${after.keyids.length}`;
    if (before.threshold !== after.threshold) changes.push({ kind: 'threshold', role, from, to });
  }
  if (prev.expiresText !== next.expiresText) changes.push({ kind: 'expires', from: prev.expiresText, to: next.expiresText });
  if (prev.consistentSnapshot !== next.consistentSnapshot) changes.push({ kind: 'consistent-snapshot', from: prev.consistentSnapshot, to: next.consistentSnapshot });
  const known = new Set(['_type', 'version', 'expires', 'keys', 'roles', 'consistent_snapshot']);
  const prevJson = request.previous.signedJson as Record<string, JsonValue | undefined>;
  const nextJson = request.payload as Record<string, JsonValue | undefined>;
  for (const field of [...new Set([...Object.keys(prevJson), ...Object.keys(nextJson)])].sort()) {
    if (known.has(field)) continue;
    const a = prevJson[field];
    const b = nextJson[field];
    if (a === undefined || b === undefined || canonicalString(a, 'json') !== canonicalString(b, 'json')) changes.push({ kind: 'other-field', field });
  }

  const sideText = (ids: readonly string[], threshold: number, table: Root['keys'], side: string): string =>
    `${threshold} of ${ids.length} ${side} keys (${ids.map((id) => nameByFp.get(table.get(id)!.key.fingerprint) ?? `key ${id.slice(0, 8)}`).join(', ')})`;
  const policy = `needs ${sideText(request.policy.previous.keyids, request.policy.previous.threshold, prev.keys, 'old')} and ${sideText(request.policy.new.keyids, request.policy.new.threshold, next.keys, 'new')}`;
  const digest = shortDigestOf(request.payloadBytes);

  const lines: string[] = [];
  lines.push(`Signing request for ${request.profile === 'notary' ? 'Notary repository' : 'TUF repository'} ${request.repository}: root version ${prev.version} → ${next.version}`);
  lines.push('What changes:');
  if (changes.length === 0) lines.push('  nothing but the version');
  for (const c of changes) lines.push(`  ${sentence(c)}`);
  lines.push(`Signatures: ${policy}.`);
  lines.push(`Bytes to sign: SHA-256 ${digest.sha256}`);
  lines.push(`  short hash ${groupHex(digest.hex)} — read aloud: ${digest.words.join(' ')}`);
  lines.push('Names are labels written by whoever made the request; the key IDs and fingerprints are what identify a key.');
  return {
    repository: request.repository,
    profile: request.profile,
    fromVersion: prev.version,
    toVersion: next.version,
    changes,
    policy,
    digest,
    requestId: request.requestId,
    lines,
    text: lines.join('\n'),
  };
}

function sentence(c: RequestChange): string {
  switch (c.kind) {
    case 'key-added':
      return `${c.who} GAINS the ${c.role} role`;
    case 'key-removed':
      return `${c.who} LOSES the ${c.role} role`;
    case 'key-replaced':
      return `${c.role}: ${c.who} is REPLACED by ${c.by} (the old key loses the ${c.role} role, the new one gains it)`;
    case 'key-relisted':
      return `${c.role}: ${c.who} stays, listed under a new key ID ${c.newKeyid.slice(0, 12)}… (e.g. a renewed certificate)`;
    case 'threshold':
      return `${c.role} threshold changes from ${c.from} to ${c.to}`;
    case 'expires':
      return `root expiry changes from ${c.from} to ${c.to}`;
    case 'consistent-snapshot':
      return `consistent_snapshot changes from ${c.from} to ${c.to}`;
    default:
      return `the field ${JSON.stringify(c.field)} changes`;
  }
}
