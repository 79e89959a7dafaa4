/**
 * Sigstore's `trusted_root.json` (the TrustedRoot message of sigstore/protobuf-specs, as JSON): which
 * Fulcio certificate authorities, Rekor transparency logs, certificate-transparency logs and timestamp
 * authorities a Sigstore client trusts, each with its validity window. A private Sigstore publishes it as a
 * TUF target; a change to it changes what every verifier accepts, so the co-signer's review says in words
 * what is added, removed, or given another validity window — not just that the file's hash changed.
 *
 * Read as untrusted input: size cap → strict JSON → the fields used here, type-checked (timestamps as
 * RFC 3339, IDs and certificates as base64) into new objects
 * (fields this tool does not use are passed over: the message grows new fields). Refusals are
 * SIGSTORE_TRUSTED_ROOT_INVALID with the JSON path.
 *
 * Identity of an entry (what "the same" means across two versions): a log by its `logId.keyId` (the key's
 * hash); an authority by its `uri` and the SHA-256 of its first certificate.
 */
import { createHash } from 'node:crypto';
import { child, quoteShown } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonValue } from '../json/types.js';
import { StrictReader } from '../ceremony/read.js';
import { parseExpires } from '../tuf/dates.js';

export const TRUSTED_ROOT_NAME = 'trusted_root.json';
export const TRUSTED_ROOT_MAX_BYTES = 4 * 1024 * 1024;
const MAX_ENTRIES = 256;

export interface Validity {
  start?: string;
  end?: string;
}

export interface LogKey {
  kind: 'rekor' | 'ct';
  baseUrl: string;
  /** base64 of the log ID (the key's SHA-256). */
  keyId: string;
  keyDetails: string;
  validFor: Validity;
}

export interface Authority {
  kind: 'fulcio' | 'tsa';
  uri: string;
  subject: string;
  /** SHA-256 (hex) of the first certificate of its chain. */
  certSha256: string;
  certificates: number;
  validFor: Validity;
}

export interface TrustedRoot {
  mediaType: string;
  logs: LogKey[];
  authorities: Authority[];
}

const r: StrictReader = new StrictReader('SIGSTORE_TRUSTED_ROOT_INVALID');

function obj(value: JsonValue | undefined, path: string): Record<string, JsonValue | undefined> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) r.fail(path, 'expected an object');
  return value as Record<string, JsonValue | undefined>;
}

function str(value: JsonValue | undefined, path: string, optional = false): string {
  if (value === undefined && optional) return '';
  if (typeof value !== 'string') r.fail(path, 'expected a string');
  return value;
}

function list(value: JsonValue | undefined, path: string): JsonValue[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) r.fail(path, 'expected an array');
  if (value.length > MAX_ENTRIES) r.fail(path, `more than ${MAX_ENTRIES} entries`);
  return value;
}

/**
 * A protobuf Timestamp as JSON (RFC 3339; src/tuf/dates.ts reads Notary's, the same form). The review
 * shows it as it is ("valid from … until …"): free text there could read as a window of its own.
 */
function timestamp(value: JsonValue | undefined, path: string): string {
  const text = str(value, path);
  try {
    parseExpires('notary', text, path);
  } catch {
    r.fail(path, `${quoteShown(text)} is not an RFC 3339 timestamp`);
  }
  return text;
}

/** Protobuf JSON `bytes`: standard or URL-safe base64, padding optional. */
const BASE64_TEXT = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/;

/** Entries are told apart by these bytes decoded (a log's ID, a CA's first certificate): text that is not base64 names nothing. */
function base64(value: JsonValue | undefined, path: string): string {
  const text = str(value, path);
  if (text.length === 0 || text.length % 4 === 1 || !BASE64_TEXT.test(text)) r.fail(path, 'expected base64');
  return text;
}

function validity(value: JsonValue | undefined, path: string): Validity {
  if (value === undefined) return {};
  const o = obj(value, path);
  const out: Validity = {};
  if (o.start !== undefined) out.start = timestamp(o.start, child(path, 'start'));
  if (o.end !== undefined) out.end = timestamp(o.end, child(path, 'end'));
  return out;
}

function logs(value: JsonValue | undefined, path: string, kind: LogKey['kind']): LogKey[] {
  return list(value, path).map((v, i) => {
    const p = child(path, i);
    const o = obj(v, p);
    const key = obj(o.publicKey, child(p, 'publicKey'));
    const logId = obj(o.logId, child(p, 'logId'));
    return {
      kind,
      baseUrl: str(o.baseUrl, child(p, 'baseUrl'), true),
      keyId: base64(logId.keyId, child(child(p, 'logId'), 'keyId')),
      keyDetails: str(key.keyDetails, child(child(p, 'publicKey'), 'keyDetails'), true),
      validFor: validity(key.validFor, child(child(p, 'publicKey'), 'validFor')),
    };
  });
}

function authorities(value: JsonValue | undefined, path: string, kind: Authority['kind']): Authority[] {
  return list(value, path).map((v, i) => {
    const p = child(path, i);
    const o = obj(v, p);
    const subject = o.subject === undefined ? {} : obj(o.subject, child(p, 'subject'));
    const chain = obj(o.certChain, child(p, 'certChain'));
    const certs = list(chain.certificates, child(child(p, 'certChain'), 'certificates'));
    if (certs.length === 0) r.fail(child(child(p, 'certChain'), 'certificates'), 'a certificate authority needs its certificate chain');
    const first = base64(obj(certs[0], child(child(child(p, 'certChain'), 'certificates'), 0)).rawBytes, `${child(child(child(p, 'certChain'), 'certificates'), 0)}.rawBytes`);
    const org = str(subject.organization, child(child(p, 'subject'), 'organization'), true);
    const cn = str(subject.commonName, child(child(p, 'subject'), 'commonName'), true);
    return {
      kind,
      uri: str(o.uri, child(p, 'uri'), true),
      subject: [org && `O=${org}`, cn && `CN=${cn}`].filter(Boolean).join(', '),
      certSha256: createHash('sha256').update(Buffer.from(first, 'base64')).digest('hex'),
      certificates: certs.length,
      validFor: validity(o.validFor, child(p, 'validFor')),
    };
  });
}

export function parseTrustedRoot(bytes: Uint8Array, source = TRUSTED_ROOT_NAME): TrustedRoot {
  const value = parseJsonStrict(bytes, { maxBytes: TRUSTED_ROOT_MAX_BYTES, path: `${source} $` });
  const p = `${source} $`;
  const o = obj(value, p);
  const mediaType = str(o.mediaType, child(p, 'mediaType'));
  if (!mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) r.fail(child(p, 'mediaType'), `${quoteShown(mediaType)} is not a Sigstore trusted root media type`);
  return {
    mediaType,
    logs: [...logs(o.tlogs, child(p, 'tlogs'), 'rekor'), ...logs(o.ctlogs, child(p, 'ctlogs'), 'ct')],
    authorities: [...authorities(o.certificateAuthorities, child(p, 'certificateAuthorities'), 'fulcio'), ...authorities(o.timestampAuthorities, child(p, 'timestampAuthorities'), 'tsa')],
  };
}

const LOG_TITLE = { rekor: 'Rekor log', ct: 'CT log' } as const;
const AUTHORITY_TITLE = { fulcio: 'Fulcio CA', tsa: 'timestamp authority' } as const;

function window(v: Validity): string {
  return `valid from ${v.start ?? '(no start)'} ${v.end ? `until ${v.end}` : 'with no end'}`;
}

function logName(l: LogKey): string {
  const id = Buffer.from(l.keyId, 'base64').toString('hex').slice(0, 16);
  return `${LOG_TITLE[l.kind]} ${quoteShown(l.baseUrl || '(no URL)')} key ${id}…${l.keyDetails ? ` (${quoteShown(l.keyDetails)})` : ''}`;
}

function authorityName(a: Authority): string {
  return `${AUTHORITY_TITLE[a.kind]} ${quoteShown(a.uri || '(no URI)')}${a.subject ? ` (${quoteShown(a.subject)})` : ''}, certificate ${a.certSha256.slice(0, 16)}…${a.certificates > 1 ? ` and ${a.certificates - 1} more in its chain` : ''}`;
}

const sameWindow = (a: Validity, b: Validity): boolean => a.start === b.start && a.end === b.end;

/**
 * What changes between two trusted roots, one sentence each: added and removed Fulcio CAs, Rekor and CT log
 * keys and timestamp authorities, with their validity windows, and changed windows. `before` undefined: a
 * first trusted root, every entry is listed as added.
 */
export function describeTrustedRootChange(before: TrustedRoot | undefined, after: TrustedRoot): string[] {
  const out: string[] = [];
  const logKey = (l: LogKey): string => `${l.kind}\u0000${l.keyId}`;
  const authKey = (a: Authority): string => `${a.kind}\u0000${a.uri}\u0000${a.certSha256}`;
  const oldLogs = new Map((before?.logs ?? []).map((l) => [logKey(l), l]));
  const newLogs = new Map(after.logs.map((l) => [logKey(l), l]));
  const oldAuth = new Map((before?.authorities ?? []).map((a) => [authKey(a), a]));
  const newAuth = new Map(after.authorities.map((a) => [authKey(a), a]));
  for (const [k, a] of newAuth) {
    const old = oldAuth.get(k);
    if (!old) out.push(`${authorityName(a)} ADDED, ${window(a.validFor)}`);
    else if (!sameWindow(old.validFor, a.validFor)) out.push(`${authorityName(a)}: now ${window(a.validFor)} (was ${window(old.validFor)})`);
  }
  for (const [k, a] of oldAuth) if (!newAuth.has(k)) out.push(`${authorityName(a)} REMOVED (it was ${window(a.validFor)}): certificates it issued are no longer trusted`);
  for (const [k, l] of newLogs) {
    const old = oldLogs.get(k);
    if (!old) out.push(`${logName(l)} ADDED, ${window(l.validFor)}`);
    else if (!sameWindow(old.validFor, l.validFor)) out.push(`${logName(l)}: now ${window(l.validFor)} (was ${window(old.validFor)})`);
  }
  for (const [k, l] of oldLogs) if (!newLogs.has(k)) out.push(`${logName(l)} REMOVED (it was ${window(l.validFor)}): entries it signed are no longer trusted`);
  if (before && before.mediaType !== after.mediaType) out.push(`media type changes from ${quoteShown(before.mediaType)} to ${quoteShown(after.mediaType)}`);
  if (out.length === 0) out.push('no Fulcio CA, Rekor or CT log key, timestamp authority or validity window changes (other fields may)');
  return out;
}
