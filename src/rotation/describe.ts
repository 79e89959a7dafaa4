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
 *
 * Targets requests (targets.json N+1) are described against targets.json N: delegations added or removed
 * (with their keys, threshold and paths), keys a delegation gains or loses, threshold, path and
 * terminating changes, targets revoked (or added / changed), expiry — in `targetsChanges` (the root kinds
 * in `changes` stay empty), and in the same `lines` / `text`.
 *
 * After the sentences, every other difference between version N's `signed` and the payload, at any depth,
 * by JSON path ("also changes: …", review-diff.ts; review-15a F4): what is signed is all said. Expiries
 * read as UTC instants (expiry-shown.ts; review-15a F6).
 */
import { canonicalString } from '../json/canonical.js';
import { quoteShown, shownOrQuoted } from '../json/fields.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import { groupHex, shortDigest, shortDigestOf, type ShortDigest, groupWords } from '../crypto/digest-words.js';
import { describeTargetFile, sha256HexOf } from '../target-files/entry.js';
import type { ListedKey } from '../tuf/keys.js';
import type { DelegatedRole, Targets } from '../tuf/targets.js';
import { TOP_LEVEL_ROLES, type Root, type TopLevelRole } from '../tuf/root.js';
import { certificateRenewal, certificateRenewalSentence, certificateWarnings, type CertificateRenewal } from './certificate-renewal.js';
import type { RemovalReason } from './payload.js';
import { signerKeys, type SigningRequest } from './request.js';
import { revokeTagsRequest } from './revoke-tags.js';
import { delegationWithin } from './delegated-payload.js';
import { carriedDelegationWarnings } from './carried-delegations.js';
import { CeremonyError, isCeremonyError } from '../errors.js';
import { expiryShown } from './expiry-shown.js';
import { alsoChangesLines, rootDifferences, targetsDifferences } from './review-diff.js';
import { describeTrustedRootChange, parseTrustedRoot, TRUSTED_ROOT_NAME } from '../sigstore/trusted-root.js';

export type RequestChange =
  | { kind: 'key-added'; role: TopLevelRole; who: string; keyid: string; fingerprint: string }
  | { kind: 'key-removed'; role: TopLevelRole; who: string; keyid: string; fingerprint: string; reason?: RemovalReason }
  | { kind: 'key-replaced'; role: TopLevelRole; who: string; by: string; oldKeyid: string; newKeyid: string; reason?: RemovalReason }
  | { kind: 'key-relisted'; role: TopLevelRole; who: string; oldKeyid: string; newKeyid: string; certificate?: CertificateRenewal }
  | { kind: 'threshold'; role: TopLevelRole; from: string; to: string }
  | { kind: 'expires'; from: string; to: string }
  | { kind: 'consistent-snapshot'; from: boolean; to: boolean }
  | { kind: 'other-field'; field: string };

/** A change a targets request makes, against targets.json N. `role` is a delegated role's name. */
export type TargetsRequestChange =
  | { kind: 'delegation-added'; role: string; keys: string[]; threshold: string; paths: string; terminating: boolean }
  | { kind: 'delegation-removed'; role: string }
  | { kind: 'delegation-key-added'; role: string; who: string; keyid: string }
  | { kind: 'delegation-key-removed'; role: string; who: string; keyid: string; notary?: boolean }
  | { kind: 'delegation-threshold'; role: string; from: string; to: string }
  | { kind: 'delegation-paths'; role: string; from: string; to: string }
  | { kind: 'delegation-terminating'; role: string; from: boolean; to: boolean }
  | { kind: 'target-removed'; name: string; file?: string }
  | { kind: 'target-added'; name: string; length: number; file?: string }
  | { kind: 'target-changed'; name: string; from?: string; to?: string; custom?: boolean }
  | { kind: 'targets-expires'; from: string; to: string }
  | { kind: 'targets-other-field'; field: string };

/** One line of a review's "What changes:", and what kind of line it is. */
export interface ReviewSentence {
  kind: string;
  text: string;
}

const tagged = (kind: string, texts: readonly string[]): ReviewSentence[] => texts.map((text) => ({ kind, text }));

export interface RequestDescription {
  /** Which file the request signs. */
  role: 'root' | 'targets';
  /** Delegated role requests: the role whose own file is signed (role is then 'targets'). */
  delegation?: string;
  repository: string;
  profile: SigningRequest['profile'];
  fromVersion: number;
  toVersion: number;
  /** Root requests' changes (empty for a targets request). */
  changes: RequestChange[];
  /** Targets requests' changes (empty for a root request). */
  targetsChanges: TargetsRequestChange[];
  /** "needs 2 of 3 old keys … and 2 of 3 new keys …" */
  policy: string;
  /** SHA-256 of the exact bytes every signer signs (canonical payload), with its short form. */
  digest: ShortDigest;
  requestId: string;
  /**
   * "Revoke these tags too" (revoke-tags.ts): the second part — the role's file N+1 with these targets
   * removed, signed by the role's keys as targets.json N+1 lists them; its own bytes to sign (`digest`).
   */
  revokeTags?: {
    role: string;
    fromVersion: number;
    toVersion: number;
    removed: { name: string; length: number; sha256: string | null }[];
    kept: string[];
    policy: string;
    digest: ShortDigest;
  };
  /**
   * Delegated role requests: the delegations the role's file carries (TUF 4.5, nested), which its keys sign
   * again — unchanged ones summarised, a warning for those not shown within the role's own paths ("wider"),
   * and a warning for unchanged ones with a problem clients do not refuse the file for ("problem",
   * carried-delegations.ts). targets.json requests: "problem" warnings for its own carried delegations.
   * Also in `lines`, after the changes (which say a changed one in targets.json's words).
   */
  nestedDelegations?: { kind: 'carried' | 'wider' | 'problem'; text: string }[];
  /**
   * Review-15a F4: every other difference between the previous `signed` and the payload's, with its JSON
   * path ("also changes: $.roles.root["x-note"] added: …"; review-diff.ts), capped with a count of the rest.
   * Also in `lines`, right after the change sentences.
   */
  alsoChanges: string[];
  /**
   * Root requests, Notary: "WARNING: Dave's root certificate ends …, before this root expires …"
   * (certificate-renewal.ts certificateWarnings); and for a request made from a certificate request, the
   * sentence that links them (issue #14). Also in `lines`; the app shows them (review-15a F5).
   */
  certificateWarnings: string[];
  renewalLink?: string;
  /**
   * The lines under "What changes:", each with what it is: a change's kind (`key-replaced`,
   * `delegation-key-removed`, `target-added`, …), `held-targets` (the targets a delegation's file keeps),
   * `also-changes`, `renewal`, `certificate-warning`, `nested-carried` / `nested-wider` / `nested-problem`,
   * `content` (a carried file's content, e.g. a Sigstore trust root). The app shows these (review-15a F5:
   * one list of sentences for the CLI and the app, so the screen cannot drop one).
   */
  sentences: ReviewSentence[];
  /** The whole review, one line each. */
  lines: string[];
  text: string;
}

function fingerprintText(fp: string): string {
  return groupHex(shortDigest(fp).hex);
}

/** A key as the review prints it: `key 1a2b3c4d5e6f… (fingerprint 1a2b …[, extra]) named "Alice"` — the identification first, the label last and quoted. */
function keyText(keyId: string, fingerprint: string, name: string | undefined, extra = ''): string {
  const id = `key ${keyId.slice(0, 12)}… (fingerprint ${fingerprintText(fingerprint)}${extra})`;
  return name === undefined ? id : `${id} named ${quoteShown(name)}`;
}

/** A key in a list of signers: `key 1a2b3c4d… "Alice"`. */
function shortKeyText(keyId: string, name: string | undefined): string {
  return name === undefined ? `key ${keyId.slice(0, 8)}…` : `key ${keyId.slice(0, 8)}… ${quoteShown(name)}`;
}

/** A name given for one ID of a key names it under all its IDs (a key is its public key); later entries win. */
function namesByFingerprint(names: Iterable<[string, string]>, keyOf: (keyid: string) => ListedKey | undefined): Map<string, string> {
  const nameByFp = new Map<string, string>();
  for (const [id, name] of names) {
    const k = keyOf(id);
    if (k) nameByFp.set(k.key.fingerprint, name);
  }
  return nameByFp;
}

/** Fields outside `known` that differ between two `signed` objects (added, removed or changed), sorted. */
function otherFieldsChanged(before: JsonValue, after: JsonValue, known: readonly string[]): string[] {
  const a = before as Record<string, JsonValue | undefined>;
  const b = after as Record<string, JsonValue | undefined>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .sort()
    .filter((field) => !known.includes(field) && (a[field] === undefined || b[field] === undefined || canonicalString(a[field], 'json') !== canonicalString(b[field], 'json')));
}

export function describeRequest(request: SigningRequest): RequestDescription {
  if (request.role === 'targets') return describeTargetsRequest(request);
  const prev: Root = request.previous.signed;
  const next: Root = request.root;
  // Names — custodians by their expected-signer names, other keys by the request's keyNames — are labels
  // written by whoever made the request: each key is printed as its identification first, `key <ID>…
  // (fingerprint …)`, then `named "<name>"`, quoted, so no name can stand where a key ID or fingerprint is
  // read (names that imitate key text are refused too: src/rotation/names.ts). quoteShown escapes anything
  // that could move the cursor or reorder a line, also in a request built here from a plan or the app.
  const names = [...[...(request.keyNames ?? [])], ...request.expectedSigners.map((s): [string, string] => [s.keyid, s.name])];
  const nameByFp = namesByFingerprint(names, (id) => next.keys.get(id) ?? prev.keys.get(id));
  const who = (k: ListedKey): string => keyText(k.keyId, k.key.fingerprint, nameByFp.get(k.key.fingerprint));
  // Why an old root key leaves (the request records the plan's reason, bound by the request ID).
  const reasonOf = (keyid: string): RemovalReason | undefined => request.expectedSigners.find((s) => s.keyid === keyid)?.reason;

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
      if (same && same.keyId !== k.keyId) {
        const certificate = certificateRenewal(k, same, nameByFp.get(k.key.fingerprint)); // issue #14: say "certificate renewed; same key"
        changes.push({ kind: 'key-relisted', role, who: who(k), oldKeyid: k.keyId, newKeyid: same.keyId, ...(certificate ? { certificate } : {}) });
      }
    }
    // Pair removals with additions in order: "Alice is replaced by Dave".
    const pairs = Math.min(removed.length, added.length);
    for (let i = 0; i < pairs; i++) {
      const c: RequestChange = { kind: 'key-replaced', role, who: who(removed[i]!), by: who(added[i]!), oldKeyid: removed[i]!.keyId, newKeyid: added[i]!.keyId };
      const reason = role === 'root' ? reasonOf(removed[i]!.keyId) : undefined;
      if (reason) c.reason = reason;
      changes.push(c);
    }
    for (const k of removed.slice(pairs)) {
      const c: RequestChange = { kind: 'key-removed', role, who: who(k), keyid: k.keyId, fingerprint: k.key.fingerprint };
      const reason = role === 'root' ? reasonOf(k.keyId) : undefined;
      if (reason) c.reason = reason;
      changes.push(c);
    }
    for (const k of added.slice(pairs)) changes.push({ kind: 'key-added', role, who: who(k), keyid: k.keyId, fingerprint: k.key.fingerprint });
    const from = `${before.threshold} of ${before.keyids.length}`;
    const to = `${after.threshold} of ${after.keyids.length}`;
    if (before.threshold !== after.threshold) changes.push({ kind: 'threshold', role, from, to });
  }
  if (prev.expiresText !== next.expiresText) changes.push({ kind: 'expires', from: prev.expiresText, to: next.expiresText });
  if (prev.consistentSnapshot !== next.consistentSnapshot) changes.push({ kind: 'consistent-snapshot', from: prev.consistentSnapshot, to: next.consistentSnapshot });
  for (const field of otherFieldsChanged(request.previous.signedJson, request.payload, ['_type', 'version', 'expires', 'keys', 'roles', 'consistent_snapshot'])) changes.push({ kind: 'other-field', field });

  const sideText = (ids: readonly string[], threshold: number, table: Root['keys'], side: string): string =>
    `${threshold} of ${ids.length} ${side} keys (${ids.map((id) => shortKeyText(id, nameByFp.get(table.get(id)!.key.fingerprint))).join(', ')})`;
  const policy = `needs ${sideText(request.policy.previous.keyids, request.policy.previous.threshold, prev.keys, 'old')} and ${sideText(request.policy.new.keyids, request.policy.new.threshold, next.keys, 'new')}`;
  const warnings = request.profile === 'notary' ? certificateWarnings(next, (k) => nameByFp.get(k.key.fingerprint)) : [];
  // Issue #14: a request made by merging a certificate request names it (bound by this request's ID).
  const link: string[] = request.renewal
    ? [
        `these certificates were issued by each custodian's own token in answer to certificate request ${request.renewal.certificateRequestId.slice(0, 16)}… (its short hash ${groupHex(request.renewal.certificateRequestId.slice(0, 32))}); nothing else changes but the expiry: ${request.renewal.certificates
          .map((c) => `certificate SHA-256 ${c.sha256.slice(0, 16)}… (key ID ${c.keyid.slice(0, 12)}…)`)
          .join(', ')}`,
      ]
    : [];
  const also = alsoChangesLines(rootDifferences(prev, next, request.previous.signedJson, request.payload));
  const described = review(request, 'root', prev.version, next.version, { changes, targetsChanges: [], alsoChanges: also, certificateWarnings: warnings }, [...changes.map((c) => ({ kind: c.kind, text: sentence(c) })), ...tagged('also-changes', also), ...tagged('renewal', link), ...tagged('certificate-warning', warnings)], policy);
  return link.length > 0 ? { ...described, renewalLink: link[0]! } : described;
}

/** Either kind's description, with the review it prints: what changes, who must sign, and the hash of the exact bytes, as hex and words. */
function review(
  request: SigningRequest,
  role: RequestDescription['role'],
  fromVersion: number,
  toVersion: number,
  changed: Pick<RequestDescription, 'changes' | 'targetsChanges' | 'alsoChanges' | 'certificateWarnings'>,
  sentences: readonly ReviewSentence[],
  policy: string,
): RequestDescription {
  const digest = shortDigestOf(request.payloadBytes);
  const lines: string[] = [];
  // Quoted: the repository is a name from the request (bound by its request ID), not something the signatures cover.
  const file = request.delegation ? `delegated role ${shownOrQuoted(request.delegation.name)} (its own file, ${shownOrQuoted(`${request.delegation.name}.json`)})` : role;
  lines.push(`Signing request for ${request.profile === 'notary' ? 'Notary repository' : 'TUF repository'} ${quoteShown(request.repository)}: ${file} version ${fromVersion} → ${toVersion}`);
  lines.push('What changes:');
  if (sentences.length === 0) lines.push('  nothing but the version');
  for (const s of sentences) lines.push(`  ${s.text}`);
  lines.push(`Signatures: ${policy}.`);
  lines.push(`Bytes to sign: SHA-256 ${digest.sha256}`);
  lines.push(`  short hash ${groupHex(digest.hex)} — read aloud: ${groupWords(digest.words)}`);
  lines.push('Names are labels written by whoever made the request; the key IDs and fingerprints are what identify a key.');
  return {
    role,
    ...(request.delegation ? { delegation: request.delegation.name } : {}),
    repository: request.repository,
    profile: request.profile,
    fromVersion,
    toVersion,
    ...changed,
    sentences: [...sentences],
    policy,
    digest,
    requestId: request.requestId,
    lines,
    text: lines.join('\n'),
  };
}

/** The reason an old root key leaves, as the review says it. */
export function reasonText(reason: RemovalReason | undefined): string {
  switch (reason) {
    case 'lost':
      return ' — reported LOST (it cannot sign)';
    case 'compromised':
      return ' — reported COMPROMISED';
    case 'retired':
      return ' — retired';
    default:
      return '';
  }
}

/** Whether expiry `a` is before expiry `b` (both parsed by the metadata model already). */
function isEarlier(a: string, b: string): boolean {
  const ta = Date.parse(a);
  const tb = Date.parse(b);
  return Number.isFinite(ta) && Number.isFinite(tb) && ta < tb;
}

function sentence(c: RequestChange): string {
  switch (c.kind) {
    case 'key-added':
      return `${c.who} GAINS the ${c.role} role`;
    case 'key-removed':
      return `${c.who} LOSES the ${c.role} role${reasonText(c.reason)}`;
    case 'key-replaced':
      return `${c.role}: ${c.who} is REPLACED by ${c.by} (the old key loses the ${c.role} role, the new one gains it)${reasonText(c.reason)}`;
    case 'key-relisted':
      if (c.certificate) return certificateRenewalSentence(c.role, c.certificate, c.newKeyid);
      return `${c.role}: ${c.who} stays, listed under a new key ID ${c.newKeyid.slice(0, 12)}… (e.g. a renewed certificate)`;
    case 'threshold':
      return `${c.role} threshold changes from ${c.from} to ${c.to}`;
    case 'expires':
      // An earlier expiry is the change a co-signer must not miss: the repository stops working sooner.
      return isEarlier(c.to, c.from) ? `root expiry is SHORTENED from ${expiryShown(c.from)} to ${expiryShown(c.to)}` : `root expiry changes from ${expiryShown(c.from)} to ${expiryShown(c.to)}`;
    case 'consistent-snapshot':
      return `consistent_snapshot changes from ${c.from} to ${c.to}`;
    default:
      return `the field ${quoteShown(c.field)} changes`;
  }
}

function pathsText(r: DelegatedRole): string {
  if (r.pathHashPrefixes) return `path hash prefixes ${r.pathHashPrefixes.map(quoteShown).join(', ')}`;
  const paths = r.paths ?? [];
  // Notary: "" is every path (`notary delegation add --all-paths`).
  if (paths.length === 1 && paths[0] === '') return 'every path';
  return paths.length === 0 ? 'no path' : `paths ${paths.map(quoteShown).join(', ')}`;
}

function describeTargetsRequest(request: SigningRequest): RequestDescription {
  const t = request.targets!;
  const prev: Targets = t.previous.signed;
  const next: Targets = t.next;
  const root = request.root;
  const prevKeys = prev.delegations?.keys ?? new Map<string, ListedKey>();
  const nextKeys = next.delegations?.keys ?? new Map<string, ListedKey>();
  // Names: the request's labels by key ID (delegation keys, then the root's targets keys), printed after the key's identification (keyText).
  const signerKey = signerKeys(request);
  const nameByFp = namesByFingerprint([...t.keyNames, ...request.expectedSigners.map((s): [string, string] => [s.keyid, s.name])], (id) => signerKey(id) ?? nextKeys.get(id) ?? prevKeys.get(id));
  const who = (k: ListedKey): string => keyText(k.keyId, k.key.fingerprint, nameByFp.get(k.key.fingerprint), k.key.certificate ? `, certificate CN=${quoteShown(k.key.certificate.subjectCN)}` : '');
  const ratio = (r: { threshold: number; keyids: readonly string[] }): string => `${r.threshold} of ${r.keyids.length}`;

  const changes: TargetsRequestChange[] = [];
  const before = new Map((prev.delegations?.roles ?? []).map((r) => [r.name, r]));
  const after = new Map((next.delegations?.roles ?? []).map((r) => [r.name, r]));
  for (const name of before.keys()) if (!after.has(name)) changes.push({ kind: 'delegation-removed', role: name });
  for (const [name, r] of after) {
    const old = before.get(name);
    if (!old) {
      changes.push({ kind: 'delegation-added', role: name, keys: r.keyids.map((id) => who(nextKeys.get(id)!)), threshold: ratio(r), paths: pathsText(r), terminating: r.terminating });
      continue;
    }
    const oldFps = new Set(old.keyids.map((id) => prevKeys.get(id)!.key.fingerprint));
    const newFps = new Set(r.keyids.map((id) => nextKeys.get(id)!.key.fingerprint));
    for (const id of r.keyids) if (!oldFps.has(nextKeys.get(id)!.key.fingerprint)) changes.push({ kind: 'delegation-key-added', role: name, who: who(nextKeys.get(id)!), keyid: id });
    for (const id of old.keyids) if (!newFps.has(prevKeys.get(id)!.key.fingerprint)) changes.push({ kind: 'delegation-key-removed', role: name, who: who(prevKeys.get(id)!), keyid: id, ...(request.profile === 'notary' ? { notary: true } : {}) });
    if (old.threshold !== r.threshold) changes.push({ kind: 'delegation-threshold', role: name, from: ratio(old), to: ratio(r) });
    if (pathsText(old) !== pathsText(r)) changes.push({ kind: 'delegation-paths', role: name, from: pathsText(old), to: pathsText(r) });
    if (old.terminating !== r.terminating) changes.push({ kind: 'delegation-terminating', role: name, from: old.terminating, to: r.terminating });
  }
  const prevTargets = asObjectOrEmpty((t.previous.signedJson as Record<string, JsonValue | undefined>).targets);
  const nextTargets = asObjectOrEmpty((request.payload as Record<string, JsonValue | undefined>).targets);
  // Target files by size and short hash (src/target-files/entry.ts), and what replaces what.
  for (const name of [...prev.targets.keys()].sort()) if (!next.targets.has(name)) changes.push({ kind: 'target-removed', name, file: describeTargetFile(prev.targets.get(name)!) });
  for (const name of [...next.targets.keys()].sort()) {
    if (!prev.targets.has(name)) changes.push({ kind: 'target-added', name, length: next.targets.get(name)!.length, file: describeTargetFile(next.targets.get(name)!) });
    else if (canonicalString(prevTargets[name]!, 'json') !== canonicalString(nextTargets[name]!, 'json')) {
      const before = describeTargetFile(prev.targets.get(name)!);
      const after = describeTargetFile(next.targets.get(name)!);
      const custom = canonicalString((prevTargets[name] as JsonObject).custom ?? null, 'json') !== canonicalString((nextTargets[name] as JsonObject).custom ?? null, 'json');
      changes.push({ kind: 'target-changed', name, from: before, to: after, custom });
    }
  }
  if (prev.expiresText !== next.expiresText) changes.push({ kind: 'targets-expires', from: prev.expiresText, to: next.expiresText });
  for (const field of otherFieldsChanged(t.previous.signedJson, request.payload, ['_type', 'version', 'expires', 'spec_version', 'targets', 'delegations'])) changes.push({ kind: 'targets-other-field', field });

  const also = alsoChangesLines(targetsDifferences(prev, next, t.previous.signedJson, request.payload, pathsText));
  const targetsRole = request.policy.new;
  const d = request.delegation;
  if (d) {
    // A delegated role's file: signed by the delegate's keys, as targets.json lists them for the role.
    const policy = `needs ${targetsRole.threshold} of ${targetsRole.keyids.length} keys of ${shownOrQuoted(d.name)} as targets.json version ${d.delegator.signed.version} delegates it (${targetsRole.keyids
      .map((id) => shortKeyText(id, nameByFp.get(signerKey(id)!.key.fingerprint)))
      .join(', ')}), trusted for ${pathsText(d.role)}`;
    const nested = [
      ...nestedSentences(request.profile, d.name, d.role, next, changes, (id) => shortKeyText(id, nameByFp.get(nextKeys.get(id)!.key.fingerprint))),
      ...carriedProblems(request.profile, prev, next, `${d.name}.json`, `This tool does not edit nested delegations: the tool that wrote ${shownOrQuoted(`${d.name}.json`)} corrects them.`),
    ];
    const sentences = [
      ...changes.map((c) => ({ kind: c.kind, text: targetsSentence(c).replace('(removed from targets.json)', `(removed from ${d.name}.json)`).replace(/^targets expiry/, `${d.name} expiry`) })),
      ...tagged('also-changes', also),
      ...nested.map((n) => ({ kind: `nested-${n.kind}`, text: n.text })),
      ...tagged('content', contentSentences(request)),
    ];
    const described = review(request, 'targets', prev.version, next.version, { changes: [], targetsChanges: changes, alsoChanges: also, certificateWarnings: [] }, sentences, policy);
    return nested.length > 0 ? { ...described, nestedDelegations: nested } : described;
  }
  const policy = `needs ${targetsRole.threshold} of ${targetsRole.keyids.length} targets keys of root version ${root.version} (${targetsRole.keyids
    .map((id) => shortKeyText(id, nameByFp.get(root.keys.get(id)!.key.fingerprint)))
    .join(', ')})`;
  const sentence = (c: TargetsRequestChange): string => (c.kind === 'delegation-key-removed' && c.role === request.revokeTags?.role ? revokedWithTagsSentence(c) : targetsSentence(c));
  const problems = carriedProblems(request.profile, prev, next, 'targets.json', 'To correct it, re-key the role in a later change so that it is right as a whole, or remove it.');
  const main = review(
    request,
    'targets',
    prev.version,
    next.version,
    { changes: [], targetsChanges: changes, alsoChanges: also, certificateWarnings: [] },
    [
      ...changes.flatMap((c) => [{ kind: c.kind, text: sentence(c) }, ...tagged('held-targets', heldTargets(request, c))]),
      ...tagged('also-changes', also),
      ...problems.map((n) => ({ kind: `nested-${n.kind}`, text: n.text })),
      ...tagged('content', contentSentences(request)),
    ],
    policy,
  );
  const withProblems = problems.length > 0 ? { ...main, nestedDelegations: problems } : main;
  return request.revokeTags ? withRevokedTags(request, withProblems) : withProblems;
}

/**
 * The delegations a delegate's file carries (TUF 4.5: nested), which its keys sign again with this version:
 * the changed ones are said above (the targets.json words); the unchanged ones in one line, as the co-signer
 * endorses them too; and each nested role given paths not shown to be within the delegate's own, which
 * clients trust only where they overlap (delegated-payload.ts delegationWithin, TUF 5.6.7).
 */
function nestedSentences(profile: SigningRequest['profile'], name: string, own: DelegatedRole, next: Targets, changes: readonly TargetsRequestChange[], key: (id: string) => string): NonNullable<RequestDescription['nestedDelegations']> {
  const roles = next.delegations?.roles ?? [];
  const changed = new Set(changes.flatMap((c) => ('role' in c ? [c.role] : [])));
  // A file may delegate to thousands of roles (hashed bins, PEP 458): the first ones in full, then a count.
  const listed = (rs: readonly DelegatedRole[], one: (r: DelegatedRole) => string): string =>
    rs.slice(0, HELD_TARGETS_SHOWN).map(one).join('; ') + (rs.length > HELD_TARGETS_SHOWN ? `; and ${rs.length - HELD_TARGETS_SHOWN} more` : '');
  const out: NonNullable<RequestDescription['nestedDelegations']> = [];
  const unchanged = roles.filter((r) => !changed.has(r.name));
  if (unchanged.length > 0) {
    const each = listed(unchanged, (r) => `${shownOrQuoted(r.name)}, threshold ${r.threshold} of ${r.keyids.length} (${r.keyids.map(key).join(', ')}), trusted for ${pathsText(r)}${r.terminating ? ' (terminating)' : ''}`);
    out.push({ kind: 'carried', text: `${shownOrQuoted(`${name}.json`)} also delegates, unchanged and signed again by this version: ${each}` });
  }
  const notWithin = roles.filter((r) => !delegationWithin(profile, r, own));
  const role = shownOrQuoted(name);
  // Hashed bins (PEP 458) under a delegate trusted for paths: hash prefixes cannot be compared with
  // patterns, so every bin is "not shown within" — one line that counts them, not a list of bins.
  const bins = own.pathHashPrefixes ? [] : notWithin.filter((r) => r.pathHashPrefixes);
  const wider = bins.length > 1 ? notWithin.filter((r) => !r.pathHashPrefixes) : notWithin;
  if (bins.length > 1) {
    const first = bins.slice(0, 3).map((r) => shownOrQuoted(r.name)).join(', ') + (bins.length > 3 ? ` and ${bins.length - 3} more` : '');
    out.push({ kind: 'wider', text: `WARNING: ${bins.length} nested roles (${first}) are given path hash prefixes, which cannot be compared with what ${role} is trusted for (${pathsText(own)}): clients follow them only for targets ${role} is trusted for (TUF 5.6.7), so they gain nothing outside them` });
  }
  if (wider.length === 1) {
    const r = shownOrQuoted(wider[0]!.name);
    out.push({ kind: 'wider', text: `WARNING: ${r} is given ${pathsText(wider[0]!)}, not shown to be within what ${role} is trusted for (${pathsText(own)}): clients follow ${r} only for targets ${role} is trusted for (TUF 5.6.7), so it gains nothing outside them` });
  } else if (wider.length > 1) {
    const each = listed(wider, (r) => `${shownOrQuoted(r.name)} (${pathsText(r)})`);
    out.push({ kind: 'wider', text: `WARNING: ${wider.length} nested roles are given paths not shown to be within what ${role} is trusted for (${pathsText(own)}): ${each}. Clients follow them only for targets ${role} is trusted for (TUF 5.6.7), so they gain nothing outside them` });
  }
  return out;
}

/** The delegations `next` carries unchanged from `prev` that clients accept but this tool would not write (carried-delegations.ts). */
function carriedProblems(profile: SigningRequest['profile'], prev: Targets, next: Targets, file: string, fix: string): NonNullable<RequestDescription['nestedDelegations']> {
  return carriedDelegationWarnings(profile, prev.delegations?.roles ?? [], next.delegations?.roles ?? [], file, fix).map((text) => ({ kind: 'problem' as const, text }));
}

/** A key a delegation loses when the same request re-signs the role's file without some targets. */
function revokedWithTagsSentence(c: Extract<TargetsRequestChange, { kind: 'delegation-key-removed' }>): string {
  const role = shownOrQuoted(c.role);
  return `${role} LOSES ${c.who}: signatures by that key stop counting for ${role}. Revoking the key alone does not revoke the targets it signed; part 2 of this request re-signs ${role}'s file without the targets it names, so those stop being trusted when both files are published together`;
}

/**
 * The review of a request with a revoke-tags part (issue #14): both parts, each with what changes, who signs
 * it and its own bytes to sign; which tags are removed (name, size, short hash) and which stay; what a
 * client sees afterwards. The part's words are the delegated role review's own (one description, not two).
 */
function withRevokedTags(request: SigningRequest, main: RequestDescription): RequestDescription {
  const t = request.revokeTags!;
  const part = describeRequest(revokeTagsRequest(request));
  const role = shownOrQuoted(t.role);
  const file = shownOrQuoted(`${t.role}.json`);
  const kept = [...t.next.targets.keys()].sort();
  const removed = t.removed.map((name) => {
    const f = t.previous.signed.targets.get(name)!;
    return { name, length: f.length, sha256: sha256HexOf(f) ?? null };
  });
  const targetsSigners = request.expectedSigners.map((s) => `key ${s.keyid.slice(0, 8)}… ${quoteShown(s.name)}`).join(', ');
  const partSigners = t.expectedSigners.map((s) => `key ${s.keyid.slice(0, 8)}… ${quoteShown(s.name)}`).join(', ');
  const shownKept = kept.slice(0, HELD_TARGETS_SHOWN).map(quoteShown).join(', ') + (kept.length > HELD_TARGETS_SHOWN ? `, and ${kept.length - HELD_TARGETS_SHOWN} more` : '');
  const body = (lines: readonly string[]) => lines.slice(1, -1);
  const lines = [
    `Signing request for ${request.profile === 'notary' ? 'Notary repository' : 'TUF repository'} ${quoteShown(request.repository)}, in two parts: targets version ${main.fromVersion} → ${main.toVersion}, and delegated role ${role} (its own file, ${file}) version ${part.fromVersion} → ${part.toVersion} with ${removed.length} target${removed.length === 1 ? '' : 's'} revoked`,
    `Part 1 of 2 — targets.json, signed by the targets keys:`,
    ...body(main.lines).map((l) => `  ${l}`),
    `Part 2 of 2 — ${file}, signed by the keys of ${role} as targets.json version ${main.toVersion} lists them (the keys that remain or join, at its new threshold):`,
    ...body(part.lines).map((l) => `  ${l}`),
    `  ${role} keeps ${kept.length} target${kept.length === 1 ? '' : 's'}${kept.length ? `: ${shownKept}` : ''}`,
    `Who signs which part: targets.json — ${targetsSigners}; ${file} — ${partSigners}. Each signer signs the part their key belongs to; merge writes both files, or neither.`,
    `What a client sees afterwards: once both files are published together, the ${removed.length} revoked target${removed.length === 1 ? ' is' : 's are'} no longer trusted from ${role} (a fresh client no longer lists ${removed.length === 1 ? 'it' : 'them'}), and ${kept.length === 1 ? 'the 1 it keeps stays' : `the ${kept.length} it keeps stay`} trusted, signed by its remaining keys. Published apart — targets.json first — the revoked targets stay trusted, or stop verifying and come back when the old file is re-signed, until ${file} follows.`,
    main.lines[main.lines.length - 1]!,
  ];
  return {
    ...main,
    revokeTags: { role: t.role, fromVersion: part.fromVersion, toVersion: part.toVersion, removed, kept, policy: part.policy, digest: part.digest },
    lines,
    text: lines.join('\n'),
  };
}

/** Names listed in full up to this many; beyond, the count and the first ones. */
const HELD_TARGETS_SHOWN = 20;

/**
 * Issue #14: when a delegation loses a key and the request carries that role's current file, the targets
 * it lists — which the change does NOT revoke — and whether the leaving key's signature is on it.
 */
function heldTargets(request: SigningRequest, c: TargetsRequestChange): string[] {
  if (c.kind !== 'delegation-key-removed') return [];
  const md = request.delegatedFiles?.get(c.role);
  const entry = request.targets?.previous.signed.delegations?.roles.find((r) => r.name === c.role);
  if (!md || !entry) return [];
  // The parse's (or build's) one verification of the file, not a new one per removed key (review-13b H2).
  const signers = request.delegatedSigners?.get(c.role);
  if (!signers) throw new CeremonyError('INTERNAL', `the request carries ${c.role}.json without the keys that signed it`);
  const signedByIt = signers.has(c.keyid);
  const names = [...md.signed.targets.keys()].sort();
  const shown = names.slice(0, HELD_TARGETS_SHOWN).map(quoteShown).join(', ');
  const more = names.length > HELD_TARGETS_SHOWN ? `, and ${names.length - HELD_TARGETS_SHOWN} more` : '';
  const role = shownOrQuoted(c.role);
  if (names.length === 0) return [`  ${role}'s current file (version ${md.signed.version}) lists no targets`];
  const revoked = request.revokeTags?.role === c.role ? request.revokeTags.removed.length : undefined;
  if (revoked !== undefined) {
    return [`  ${role}'s current file (version ${md.signed.version}${signedByIt ? ', signed by this key' : ', not signed by this key'}) lists ${names.length} target${names.length === 1 ? '' : 's'}: ${shown}${more}; part 2 revokes ${revoked} of them`];
  }
  return [
    `  ${role}'s current file (version ${md.signed.version}${signedByIt ? ', signed by this key' : ', not signed by this key'}) lists ${names.length} target${names.length === 1 ? '' : 's'}, NOT revoked by this change: ${shown}${more}`,
  ];
}

/**
 * What changes inside the target files whose contents the request carries (request-contents.ts: bound to
 * their entries). A Sigstore trusted_root.json: its Fulcio CAs, Rekor and CT log keys, timestamp
 * authorities and validity windows, as src/sigstore/trusted-root.ts says it; the proposer's review shows
 * the same words. A file that cannot be read as one is said to be so, not skipped.
 */
function contentSentences(request: SigningRequest): string[] {
  const out: string[] = [];
  for (const [name, c] of request.contents ?? []) {
    if (!c.next || basename(name) !== TRUSTED_ROOT_NAME) continue;
    let lines: string[];
    try {
      lines = describeTrustedRootChange(c.previous ? parseTrustedRoot(c.previous, `current ${name}`) : undefined, parseTrustedRoot(c.next, name));
    } catch (err) {
      out.push(`${quoteShown(name)}: its content is carried but is not a Sigstore trusted root this tool reads (${isCeremonyError(err) ? err.code : 'unreadable'}): check it by other means`);
      continue;
    }
    out.push(`${quoteShown(name)} (Sigstore trust root)${c.previous ? '' : request.targets?.previous.signed.targets.has(name) ? '; its current version is not carried, so everything it lists is shown' : ', first version'}:`);
    for (const l of lines) out.push(`  ${l}`);
  }
  return out;
}

function basename(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

function asObjectOrEmpty(v: JsonValue | undefined): Record<string, JsonValue> {
  return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

function targetsSentence(c: TargetsRequestChange): string {
  // Role names come from targets.json N and N+1; TUF's rule (src/tuf/targets.ts) refuses C0 controls only.
  const role = 'role' in c ? shownOrQuoted(c.role) : '';
  switch (c.kind) {
    case 'delegation-added':
      return `delegation ${role} ADDED, threshold ${c.threshold}: ${c.keys.join(', ')}; trusted for ${c.paths}${c.terminating ? ' (terminating)' : ''}`;
    case 'delegation-removed':
      return `delegation ${role} REMOVED (the targets it signed are no longer trusted)`;
    case 'delegation-key-added':
      return `${role} GAINS ${c.who}`;
    case 'delegation-key-removed':
      // Issue #14: revoking a key does not revoke the tags it signed. The role's file stays trusted while its
      // remaining keys meet the threshold; otherwise it stops verifying until the role's keys re-sign it —
      // and re-signing (Notary: `notary witness`, which the delegate's next publish needs) re-endorses every
      // target the file lists, those the old key signed included. Only a re-signed file without them drops them.
      return `${role} LOSES ${c.who}: signatures by that key stop counting for ${role}. The targets ${role}'s file lists are NOT revoked by this: once ${role}'s remaining or new keys re-sign the file${c.notary ? ' (`notary witness` does it, and the next publish needs it)' : ''}, every target it lists is trusted again, those this key signed included — to drop some, re-sign it without them (targets-request --role ${role} --remove NAME)`;
    case 'delegation-threshold':
      return `${role} threshold changes from ${c.from} to ${c.to}`;
    case 'delegation-paths':
      return `${role} is trusted for ${c.to} instead of ${c.from}`;
    case 'delegation-terminating':
      return `${role} ${c.to ? 'becomes' : 'is no longer'} terminating`;
    case 'target-removed':
      return `target ${quoteShown(c.name)} REVOKED (removed from targets.json)${c.file ? `: it was ${c.file}` : ''}`;
    case 'target-added':
      return `target ${quoteShown(c.name)} ADDED: ${c.file ?? `${c.length} bytes`}`;
    case 'target-changed':
      if (c.from && c.to && c.from !== c.to) return `target ${quoteShown(c.name)} REPLACED: ${c.from} → ${c.to}${c.custom ? ' (custom data changes too)' : ''}`;
      return `target ${quoteShown(c.name)} changes (${c.custom ? 'custom data' : 'its entry'}; same ${c.to ?? 'bytes'})`;
    case 'targets-expires':
      return isEarlier(c.to, c.from) ? `targets expiry is SHORTENED from ${expiryShown(c.from)} to ${expiryShown(c.to)}` : `targets expiry changes from ${expiryShown(c.from)} to ${expiryShown(c.to)}`;
    default:
      return `the field ${quoteShown(c.field)} changes`;
  }
}
