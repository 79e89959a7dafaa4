/**
 * The transcript's schema, in one place for both sides: the writer runs every record it is about to
 * append through these readers (so it can only write what the verifier accepts), and the verifier reads
 * each parsed line through them into new objects, refusing unknown fields.
 *
 * Readers throw SCHEMA_INVALID for shape errors and TRANSCRIPT_SECRET_REFUSED for text that looks like
 * key material; the writer reports the first as TRANSCRIPT_FIELD_INVALID, the verifier both as
 * TRANSCRIPT_MALFORMED with the line number.
 *
 * No secret ever enters a transcript: every field is typed and bounded, the only free text is short
 * (names, what a witness confirmed, a note of at most NOTE_MAX_CHARS), and free text that contains
 * "PRIVATE KEY" or a long unbroken hex/base64 run is refused — hashes and key IDs have their own typed
 * fields. What the types cannot stop (a caller hashing a PIN as an "input") is caught in tests by
 * test/support/secret-scan.ts over the written file.
 */
import { CeremonyError } from '../errors.js';
import { bytesToWords } from '../crypto/digest-words.js';
import { sha256Hex } from '../crypto/digest.js';
import { canonicalBytes } from '../json/canonical.js';
import { asArray, asBoolean, asInteger, asObject, asString, child, refuseUnknownFields, UNSHOWN_CHARS, UNSHOWN_CHARS_MULTILINE } from '../json/fields.js';
import type { JsonObject, JsonValue } from '../json/types.js';
import {
  ACTOR_ROLES,
  TRANSCRIPT_FORMAT,
  TRANSCRIPT_FORMAT_VERSION,
  type ActorRole,
  type TranscriptActor,
  type TranscriptDigest,
  type TranscriptEntry,
  type TranscriptFile,
  type TranscriptHeader,
  type TranscriptKeyJson,
  type TranscriptRecord,
  type TranscriptSeal,
  type TranscriptToken,
  type TranscriptWitness,
} from './types.js';

/** Size caps (bytes), checked before a line is parsed. */
export const MAX_TRANSCRIPT_BYTES = 16 * 1024 * 1024;
export const MAX_LINE_BYTES = 128 * 1024;

export const NOTE_MAX_CHARS = 500;
export const NAME_MAX_CHARS = 100;
export const CONFIRMED_MAX_CHARS = 200;
export const LABEL_MAX_CHARS = 120;
export const FILE_NAME_MAX_CHARS = 255;
export const REPOSITORY_MAX_CHARS = 255;
export const MAX_DIGESTS = 16;
export const MAX_FILES = 32;
export const MAX_WITNESSES = 16;

const HEX64 = /^[0-9a-f]{64}$/;
const SLUG = /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/;
const VERSION = /^[0-9A-Za-z.+-]{1,64}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HEX = /^(?:[0-9a-f]{2})+$/;

// C0 controls (a note may keep its line breaks), DEL, C1, and the invisible characters that make a
// printed transcript show something other than what is stored: zero-width space, bidi marks, embeddings,
// overrides and isolates (Trojan Source), line/paragraph separators, and the BOM.
// One rule for characters never shown (src/json/fields.ts): controls, bidi and invisible formatting.
const CONTROL_MULTILINE = UNSHOWN_CHARS_MULTILINE;
const CONTROL_SINGLE = UNSHOWN_CHARS;
const PRIVATE_KEY = /private\s*key/i;
const LONG_HEX = /[0-9a-fA-F]{40,}/;
const LONG_RUN = /[A-Za-z0-9+/=]{40,}/g;

/**
 * An unbroken run of 40 or more hex or base64 characters that is all hex, or mixes digits with upper-
 * and lower-case letters: a 32-byte key is 64 hex or 44 base64 characters. Long runs of plain words
 * (a repository path) do not match; a digest or key ID written into a note does — they have typed fields.
 */
export function looksLikeKeyMaterial(text: string): boolean {
  if (PRIVATE_KEY.test(text)) return true;
  if (LONG_HEX.test(text)) return true;
  for (const m of text.matchAll(LONG_RUN)) {
    const run = m[0];
    if (/[0-9]/.test(run) && /[A-Z]/.test(run) && /[a-z]/.test(run)) return true;
  }
  return false;
}

function invalid(path: string, message: string): never {
  throw new CeremonyError('SCHEMA_INVALID', message, { path });
}

interface TextRules {
  max: number;
  multiline?: boolean;
  /** Refuse long hex/base64 runs (free text); names of files and repositories are exempt. */
  runs?: boolean;
}

/** A bounded, visible, non-empty string with no key material. */
export function readText(value: JsonValue | undefined, path: string, rules: TextRules): string {
  const s = asString(value, path);
  if (s.length === 0) invalid(path, 'expected a non-empty string');
  if (s.length > rules.max) invalid(path, `at most ${rules.max} characters, found ${s.length}`);
  if ((rules.multiline ? CONTROL_MULTILINE : CONTROL_SINGLE).test(s)) invalid(path, 'control or invisible formatting characters are not allowed');
  if (PRIVATE_KEY.test(s)) {
    throw new CeremonyError('TRANSCRIPT_SECRET_REFUSED', 'the text mentions a private key; a transcript never holds one', { path });
  }
  if (rules.runs !== false && looksLikeKeyMaterial(s)) {
    throw new CeremonyError(
      'TRANSCRIPT_SECRET_REFUSED',
      'the text holds a long hex or base64 run that could be key material; record hashes and key IDs in their own fields',
      { path },
    );
  }
  return s;
}

function readHex64(value: JsonValue | undefined, path: string): string {
  const s = asString(value, path);
  if (!HEX64.test(s)) invalid(path, 'expected a SHA-256 as 64 lower-case hex digits');
  return s;
}

function readSlug(value: JsonValue | undefined, path: string): string {
  const s = asString(value, path);
  if (s.length > 64 || !SLUG.test(s)) invalid(path, 'expected lower-case words joined by "-" or "." (at most 64 characters)');
  return s;
}

export function readTime(value: JsonValue | undefined, path: string): string {
  const s = asString(value, path);
  if (!TIME.test(s)) invalid(path, 'expected an ISO 8601 UTC time with milliseconds (YYYY-MM-DDTHH:MM:SS.sssZ)');
  const d = new Date(s);
  if (Number.isNaN(d.getTime()) || d.toISOString() !== s) invalid(path, `${s} is not a real time`);
  return s;
}

function readList<T>(value: JsonValue | undefined, path: string, max: number, read: (v: JsonValue, p: string) => T): T[] {
  const arr = asArray(value, path);
  if (arr.length > max) invalid(path, `at most ${max} items, found ${arr.length}`);
  return arr.map((v, i) => read(v, child(path, i)));
}

function fields(value: JsonValue | undefined, path: string, known: ReadonlySet<string>): JsonObject {
  const obj = asObject(value, path);
  refuseUnknownFields(obj, known, path);
  return obj;
}

// ---------------------------------------------------------------- header

const HEADER_FIELDS = new Set(['type', 'format', 'formatVersion', 'kind', 'profile', 'repository', 'planHash', 'rehearsal', 'started', 'appVersion', 'hash']);

export function readHeader(value: JsonValue | undefined, path: string): TranscriptHeader {
  const o = fields(value, path, HEADER_FIELDS);
  if (asString(o.type, child(path, 'type')) !== 'header') invalid(child(path, 'type'), 'expected the header record');
  if (asString(o.format, child(path, 'format')) !== TRANSCRIPT_FORMAT) invalid(child(path, 'format'), `expected "${TRANSCRIPT_FORMAT}"`);
  const version = asInteger(o.formatVersion, child(path, 'formatVersion'), 1);
  if (version !== TRANSCRIPT_FORMAT_VERSION) invalid(child(path, 'formatVersion'), `format version ${version} is not one this tool reads (${TRANSCRIPT_FORMAT_VERSION})`);
  const profile = asString(o.profile, child(path, 'profile'));
  if (profile !== 'tuf' && profile !== 'notary') invalid(child(path, 'profile'), 'expected "tuf" or "notary"');
  const appVersion = asString(o.appVersion, child(path, 'appVersion'));
  if (!VERSION.test(appVersion)) invalid(child(path, 'appVersion'), 'expected a version such as 1.2.3');
  return {
    type: 'header',
    format: TRANSCRIPT_FORMAT,
    formatVersion: TRANSCRIPT_FORMAT_VERSION,
    kind: readSlug(o.kind, child(path, 'kind')),
    profile,
    repository: readText(o.repository, child(path, 'repository'), { max: REPOSITORY_MAX_CHARS, runs: false }),
    planHash: readHex64(o.planHash, child(path, 'planHash')),
    rehearsal: asBoolean(o.rehearsal, child(path, 'rehearsal')),
    started: readTime(o.started, child(path, 'started')),
    appVersion,
    hash: readHex64(o.hash, child(path, 'hash')),
  };
}

// ---------------------------------------------------------------- entry

const ENTRY_FIELDS = new Set(['type', 'seq', 'time', 'step', 'actor', 'token', 'digests', 'inputs', 'outputs', 'witnesses', 'note', 'prev', 'hash']);
const ACTOR_FIELDS = new Set(['name', 'role']);
const TOKEN_FIELDS = new Set(['serial', 'label', 'keyId']);
const DIGEST_FIELDS = new Set(['label', 'sha256', 'short', 'words']);
const FILE_FIELDS = new Set(['name', 'sha256']);
const WITNESS_FIELDS = new Set(['name', 'confirmed']);

export function readActor(value: JsonValue | undefined, path: string): TranscriptActor {
  const o = fields(value, path, ACTOR_FIELDS);
  const role = asString(o.role, child(path, 'role'));
  if (!(ACTOR_ROLES as readonly string[]).includes(role)) invalid(child(path, 'role'), `expected one of ${ACTOR_ROLES.join(', ')}`);
  return { name: readText(o.name, child(path, 'name'), { max: NAME_MAX_CHARS }), role: role as ActorRole };
}

export function readToken(value: JsonValue | undefined, path: string): TranscriptToken {
  const o = fields(value, path, TOKEN_FIELDS);
  const out: TranscriptToken = { serial: readText(o.serial, child(path, 'serial'), { max: 64 }) };
  if (o.label !== undefined) out.label = readText(o.label, child(path, 'label'), { max: 64 });
  if (o.keyId !== undefined) out.keyId = readHex64(o.keyId, child(path, 'keyId'));
  return out;
}

export function readDigest(value: JsonValue | undefined, path: string): TranscriptDigest {
  const o = fields(value, path, DIGEST_FIELDS);
  const sha256 = readHex64(o.sha256, child(path, 'sha256'));
  const short = asString(o.short, child(path, 'short'));
  if (!HEX.test(short) || short.length < 8 || !sha256.startsWith(short)) {
    invalid(child(path, 'short'), 'expected the first 4 to 32 bytes of sha256, in hex');
  }
  const words = readList(o.words, child(path, 'words'), 32, (v, p) => asString(v, p));
  const expected = bytesToWords(Uint8Array.from(Buffer.from(short, 'hex')));
  if (words.length !== expected.length || words.some((w, i) => w !== expected[i])) {
    invalid(child(path, 'words'), 'the words are not the PGP words of the short hash');
  }
  return { label: readText(o.label, child(path, 'label'), { max: LABEL_MAX_CHARS }), sha256, short, words };
}

function readFiles(value: JsonValue | undefined, path: string): TranscriptFile[] {
  const files = readList(value, path, MAX_FILES, (v, p): TranscriptFile => {
    const o = fields(v, p, FILE_FIELDS);
    return { name: readText(o.name, child(p, 'name'), { max: FILE_NAME_MAX_CHARS, runs: false }), sha256: readHex64(o.sha256, child(p, 'sha256')) };
  });
  const seen = new Set<string>();
  files.forEach((f, i) => {
    if (seen.has(f.name)) invalid(child(child(path, i), 'name'), `${JSON.stringify(f.name)} is listed twice`);
    seen.add(f.name);
  });
  return files;
}

export function readWitness(value: JsonValue | undefined, path: string): TranscriptWitness {
  const o = fields(value, path, WITNESS_FIELDS);
  return {
    name: readText(o.name, child(path, 'name'), { max: NAME_MAX_CHARS }),
    confirmed: readText(o.confirmed, child(path, 'confirmed'), { max: CONFIRMED_MAX_CHARS }),
  };
}

export function readEntry(value: JsonValue | undefined, path: string): TranscriptEntry {
  const o = fields(value, path, ENTRY_FIELDS);
  if (asString(o.type, child(path, 'type')) !== 'entry') invalid(child(path, 'type'), 'expected an entry record');
  const entry: TranscriptEntry = {
    type: 'entry',
    seq: asInteger(o.seq, child(path, 'seq'), 1),
    time: readTime(o.time, child(path, 'time')),
    step: readSlug(o.step, child(path, 'step')),
    actor: readActor(o.actor, child(path, 'actor')),
    digests: readList(o.digests, child(path, 'digests'), MAX_DIGESTS, readDigest),
    inputs: readFiles(o.inputs, child(path, 'inputs')),
    outputs: readFiles(o.outputs, child(path, 'outputs')),
    witnesses: readList(o.witnesses, child(path, 'witnesses'), MAX_WITNESSES, readWitness),
    prev: readHex64(o.prev, child(path, 'prev')),
    hash: readHex64(o.hash, child(path, 'hash')),
  };
  if (o.token !== undefined) entry.token = readToken(o.token, child(path, 'token'));
  if (o.note !== undefined) entry.note = readText(o.note, child(path, 'note'), { max: NOTE_MAX_CHARS, multiline: true });
  return entry;
}

// ---------------------------------------------------------------- seal

const SEAL_FIELDS = new Set(['type', 'time', 'keyid', 'key', 'header', 'entries', 'last', 'sig']);
const KEY_FIELDS = new Set(['keytype', 'scheme', 'keyval']);
const KEYVAL_FIELDS = new Set(['public']);

export function readKeyJson(value: JsonValue | undefined, path: string): TranscriptKeyJson {
  const o = fields(value, path, KEY_FIELDS);
  const keyval = fields(o.keyval, child(path, 'keyval'), KEYVAL_FIELDS);
  return {
    keytype: readSlug(o.keytype, child(path, 'keytype')),
    scheme: readSlug(o.scheme, child(path, 'scheme')),
    // A public key is a long base64 run by nature; it is decoded (and must be a public key) by the seal check.
    keyval: { public: readText(keyval.public, child(child(path, 'keyval'), 'public'), { max: 4096, multiline: true, runs: false }) },
  };
}

export function readSeal(value: JsonValue | undefined, path: string): TranscriptSeal {
  const o = fields(value, path, SEAL_FIELDS);
  if (asString(o.type, child(path, 'type')) !== 'seal') invalid(child(path, 'type'), 'expected the seal record');
  const sig = asString(o.sig, child(path, 'sig'));
  if (sig.length > 2048 || !HEX.test(sig)) invalid(child(path, 'sig'), 'expected a signature in lower-case hex');
  return {
    type: 'seal',
    time: readTime(o.time, child(path, 'time')),
    keyid: readHex64(o.keyid, child(path, 'keyid')),
    key: readKeyJson(o.key, child(path, 'key')),
    header: readHex64(o.header, child(path, 'header')),
    entries: asInteger(o.entries, child(path, 'entries'), 0),
    last: readHex64(o.last, child(path, 'last')),
    sig,
  };
}

/** Read any record, by its `type`. */
export function readRecord(value: JsonValue, path: string): TranscriptRecord {
  const o = asObject(value, path);
  const type = asString(o.type, child(path, 'type'));
  switch (type) {
    case 'header':
      return readHeader(o, path);
    case 'entry':
      return readEntry(o, path);
    case 'seal':
      return readSeal(o, path);
    default:
      return invalid(child(path, 'type'), `unknown record type ${JSON.stringify(type.slice(0, 40))}`);
  }
}

// ---------------------------------------------------------------- hashing and lines

/** SHA-256 (hex) of the TUF-dialect canonical JSON of a record without its `hash` field. */
export function recordHash(record: TranscriptHeader | TranscriptEntry): string {
  const { hash: _hash, ...rest } = record;
  return sha256Hex(canonicalBytes(rest as unknown as JsonValue, 'tuf'));
}

/**
 * The line written for a record: canonical key order and no whitespace, with JSON string escaping (the
 * TUF dialect leaves control characters raw, and a note's line break must not end the line), then `\n`.
 */
export function recordLine(record: TranscriptRecord): Uint8Array {
  const body = canonicalBytes(record as unknown as JsonValue, 'json');
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  out[body.length] = 0x0a;
  return out;
}
