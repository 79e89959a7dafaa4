/**
 * The ceremony transcript's records (PRODUCT.md §2.7): one header, then entries, then at most one seal.
 *
 * The file is JSON Lines — one record per line, each line the canonical JSON of the record (sorted keys,
 * no whitespace, JSON string escaping), `\n` after every line — rather than one JSON document, because a
 * ceremony appends to it as it goes: each entry is written and fsync'd on its own (src/io/append.ts), so
 * a ceremony interrupted by a crash, a pulled token or a power cut leaves a file whose every complete
 * line still verifies (an unsealed prefix) instead of a half-written document that no longer parses, and
 * nothing already written is ever rewritten. Example (hashes shortened):
 *
 * ```
 * {"appVersion":"0.1.0","format":"tuf-ceremony-transcript","formatVersion":1,"hash":"5be1…","kind":"root","planHash":"9f86…","profile":"tuf","rehearsal":true,"repository":"example.com/org/app","started":"2025-05-06T09:00:00.000Z","type":"header"}
 * {"actor":{"name":"Alice","role":"custodian"},"digests":[{"label":"root.json v1 signed bytes","sha256":"d2a8…","short":"d2a84f4b8b650937","words":["standard","paramount","dropper","disable","obtuse","glossary","Algol","consensus"]}],"hash":"0c1d…","inputs":[{"name":"plan.json","sha256":"9f86…"}],"outputs":[{"name":"root.json","sha256":"d2a8…"}],"prev":"5be1…","seq":1,"step":"root.sign","time":"2025-05-06T09:12:00.000Z","token":{"keyId":"4e1f…","serial":"12345678"},"type":"entry","witnesses":[{"confirmed":"short hash read aloud matches","name":"Carol"}]}
 * {"entries":1,"header":"5be1…","key":{"keytype":"ecdsa","keyval":{"public":"-----BEGIN PUBLIC KEY-----\n…"},"scheme":"ecdsa-sha2-nistp256"},"keyid":"4e1f…","last":"0c1d…","sig":"3045…","time":"2025-05-06T09:30:00.000Z","type":"seal"}
 * ```
 *
 * A record's `hash` is the SHA-256 of the TUF-dialect canonical JSON of the record without its `hash`
 * field; an entry's `prev` is the previous entry's hash, or the header's for entry 1. The seal signs the
 * canonical bytes of `SealPayload` (see seal.ts).
 */

/** The header's `format`: names the file kind so a reader can tell it from metadata or a bundle. */
export const TRANSCRIPT_FORMAT = 'tuf-ceremony-transcript';
/** The header's `formatVersion`; a reader refuses versions it does not know. */
export const TRANSCRIPT_FORMAT_VERSION = 1;

/** Who did a step (PRODUCT.md §1). `app` is the tool itself, for steps no person performs. */
export const ACTOR_ROLES = ['administrator', 'custodian', 'co-signer', 'witness', 'auditor', 'operator', 'app'] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];

export interface TranscriptHeader {
  type: 'header';
  format: typeof TRANSCRIPT_FORMAT;
  formatVersion: typeof TRANSCRIPT_FORMAT_VERSION;
  /** What ceremony this is: `root`, `rotation`, `shamir-split`, … (lower-case words joined by `-` or `.`). */
  kind: string;
  profile: 'tuf' | 'notary';
  /** The repository: the GUN for Notary (`registry.example.com/org/app`), a name for TUF. */
  repository: string;
  /** SHA-256 (hex) of the reviewed plan's intent, as shown to the witnesses at the start. */
  planHash: string;
  /** True when the ceremony ran on rehearsal tokens (PRODUCT.md §2.8). */
  rehearsal: boolean;
  /** ISO 8601 UTC with milliseconds (`Date.prototype.toISOString`). */
  started: string;
  /** The version of tuf-ceremony that wrote the transcript. */
  appVersion: string;
  hash: string;
}

export interface TranscriptActor {
  name: string;
  role: ActorRole;
}

export interface TranscriptToken {
  /** The token's serial number, as the token reports it. */
  serial: string;
  label?: string;
  /** The ID of the key used or made on the token (hex, as the ceremony's metadata names it). */
  keyId?: string;
}

/** A digest shown to people: the full SHA-256 and the short form they compared, as hex and as words. */
export interface TranscriptDigest {
  /** What it is a digest of, in words (`root.json v2, the bytes to sign`). */
  label: string;
  sha256: string;
  /** A prefix of `sha256` (4 to 32 bytes): what was on screen. */
  short: string;
  /** `short` as PGP words (src/crypto/digest-words.ts). */
  words: string[];
}

/** A file (or other public input/output) by name and SHA-256. Never the bytes themselves. */
export interface TranscriptFile {
  name: string;
  sha256: string;
}

export interface TranscriptWitness {
  name: string;
  /** What they confirmed, in their words (`fingerprint read aloud matches the card`). */
  confirmed: string;
}

export interface TranscriptEntry {
  type: 'entry';
  /** 1, 2, 3, … with no gaps. */
  seq: number;
  time: string;
  /** The ceremony step (`plan.review`, `token.check`, `root.sign`, …). */
  step: string;
  actor: TranscriptActor;
  token?: TranscriptToken;
  digests: TranscriptDigest[];
  inputs: TranscriptFile[];
  outputs: TranscriptFile[];
  witnesses: TranscriptWitness[];
  note?: string;
  prev: string;
  hash: string;
}

/** The public key JSON of the sealing key, as TUF 1.0 lists keys (via getProfile('tuf')). */
export interface TranscriptKeyJson {
  keytype: string;
  scheme: string;
  keyval: { public: string };
}

export interface TranscriptSeal {
  type: 'seal';
  time: string;
  /** TUF key ID of `key` (SHA-256 of its canonical JSON). */
  keyid: string;
  key: TranscriptKeyJson;
  /** Hash of the header, number of entries and hash of the last entry (the header's when there are none). */
  header: string;
  entries: number;
  last: string;
  /** The signature over the canonical SealPayload, encoded as the TUF profile encodes signatures (hex). */
  sig: string;
}

export type TranscriptRecord = TranscriptHeader | TranscriptEntry | TranscriptSeal;

/** Something the verifier noticed that does not by itself make the transcript invalid. */
export interface TranscriptProblem {
  code: 'TRANSCRIPT_NOT_SEALED' | 'TRANSCRIPT_TRUNCATED' | 'TRANSCRIPT_CLOCK';
  message: string;
  /** 1-based line number, where it applies. */
  line?: number;
}

/** Who sealed a transcript, for people: the key ID and the fingerprint (SHA-256 of the public key). */
export interface SealedBy {
  keyId: string;
  /** hex SHA-256 of the DER SubjectPublicKeyInfo: the same whatever profile lists the key. */
  fingerprint: string;
  keytype: string;
  scheme: string;
  time: string;
}

export interface VerifiedTranscript {
  header: TranscriptHeader;
  entries: TranscriptEntry[];
  rehearsal: boolean;
  /** The header's hash when there are no entries. */
  lastHash: string;
  sealed: boolean;
  seal: TranscriptSeal | undefined;
  sealedBy: SealedBy | undefined;
  /** True when the caller named the expected sealing key and the seal is by that key. */
  sealKeyPinned: boolean;
  /** Non-fatal findings: an unsealed or cut-short prefix (only with `allowUnsealed`), a clock going back. */
  problems: TranscriptProblem[];
  /** Bytes of the file that are complete, verified lines (a resumed writer appends after them). */
  validLength: number;
}
