/**
 * Strict JSON for untrusted metadata: size cap → UTF-8 → parse into new objects.
 *
 * Hand-written because `JSON.parse` silently keeps the last of two duplicate keys (a classic way to show
 * one value to a reviewer and another to a verifier), accepts floats that canonical JSON cannot encode,
 * and recurses without a depth limit. No maintained npm package rejects duplicates *and* non-integers
 * *and* lone surrogates with a JSON path, at the speed a 100,000-entry targets file needs.
 */
import { Buffer, isAscii } from 'node:buffer';
import { CeremonyError } from '../errors.js';
import { compareCodePoints } from './canonical.js';
import { child, setOwn } from './fields.js';
import { PairRows } from './pair-rows.js';
import type { JsonObject, JsonValue } from './types.js';

export interface ParseJsonOptions {
  /** Size cap in bytes, checked before anything is decoded. */
  maxBytes: number;
  /** JSON path of the document root in messages (`$`, or `targets.json $`). */
  path: string;
  /** Nesting limit (arrays + objects). */
  maxDepth?: number;
  /** Most values (objects, arrays, strings, numbers, literals) one document may hold. */
  maxValues?: number;
  /**
   * parseSignedEnvelope only: the caller gives `bytes` up (it read them and keeps nothing of them), so a
   * pretty-printed file is compacted in them (compactJsonInPlace), not into a copy, and they are not the
   * file afterwards. A refusal then cannot be the file's own: the file as written is gone. It is still
   * refused exactly when the file is, but its code, path and position are the compact text's (an unclosed
   * string: JSON_MALFORMED): a caller that reports refusals parses a fresh read again (src/cli/verify.ts).
   */
  givenUp?: boolean;
  /**
   * parseSignedEnvelope only: the values it parsed are added here, also when it refuses the document, so a
   * caller that shares a value budget across documents (tuf/metadata.ts ValueBudget) charges a refused
   * one too. Otherwise each refusal past the budget cost a full parse again (review-12 M2: inspect went on
   * through 48 such files, 37 s).
   */
  spent?: { values: number };
}

export const DEFAULT_MAX_DEPTH = 64;

/**
 * Values (and object keys) one document may hold. The byte cap alone does not bound memory: `[{},{},…]`
 * spends 3 bytes of input per object of ~40 bytes of heap, so a 64 MB file would materialise 21 million
 * objects (over 1 GB), and one object of 4 million short keys costs 10 s of hashing. A real targets
 * entry (name, length, two hashes) counts 10, so the cap admits a 200,000-entry targets file (the
 * benchmark's 100,000 entries count ~1 million) and bounds any shape to a few hundred MB of heap
 * (measured by `npm run bench`, hostile-input section).
 */
export const DEFAULT_MAX_VALUES = 2_000_000;

/**
 * The value cap a document gets by default: one value per 8 bytes of its byte cap, at most
 * DEFAULT_MAX_VALUES. Real documents spend 15–30 bytes per value (a targets entry is ~250 bytes for 10
 * values); a bomb spends 2–3. So a 4 MB signing request may hold 524,288 values, a 256 KB plan 32,768.
 */
export function defaultMaxValues(maxBytes: number): number {
  return Math.min(DEFAULT_MAX_VALUES, Math.max(1024, Math.floor(maxBytes / 8)));
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Strict UTF-8 decoding. ASCII bytes (every file we and python-tuf write: `ensure_ascii`) are their own
 * Latin-1 text: checked by simdutf (`isAscii`) and copied into a one-byte string, a few milliseconds for a
 * 26 MB targets file where the UTF-8 decoder spends ~90 (it re-validates and allocates a fresh string in
 * V8's large-object space on every call). Anything else goes through the fatal decoder, as before.
 */
export function decodeUtf8Strict(bytes: Uint8Array, path: string): string {
  if (bytes.length >= ASCII_FAST_PATH_MIN && isAscii(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  try {
    return decoder.decode(bytes);
  } catch {
    throw new CeremonyError('JSON_MALFORMED', 'the bytes are not valid UTF-8', { path });
  }
}

/** Below this the decoder's own cost is negligible; above it the copy wins (measured on the bench's files). */
const ASCII_FAST_PATH_MIN = 4096;

export function parseJsonStrict(bytes: Uint8Array, opts: ParseJsonOptions): JsonValue {
  if (bytes.length > opts.maxBytes) {
    throw new CeremonyError('INPUT_TOO_LARGE', `${bytes.length} bytes is over the cap of ${opts.maxBytes}`, { path: opts.path });
  }
  return new Parser(decodeUtf8Strict(bytes, opts.path), opts.maxDepth ?? DEFAULT_MAX_DEPTH, opts.maxValues ?? defaultMaxValues(opts.maxBytes), true).document(opts.path);
}

const ASCII = /^[\x00-\x7f]*$/;
const encoder = new TextEncoder();

/**
 * One field of the top-level `signed` object read straight into a Map of models, in one pass from the
 * text, instead of into a plain object the schema then walks again (a targets file's `targets`: 100,000
 * keys make a slow dictionary-mode object, a third of the cost of reading the file). The JSON rules are
 * the same (duplicate keys, value budget, depth, canonical-span tracking); only the container differs.
 */
export interface KeyedFieldReader<T> {
  /** The field of the top-level `signed` object so read (`targets`). */
  readonly field: string;
  /**
   * The model of one entry's parsed value, or undefined when the value does not fit it: the entry is
   * then kept as a Misfit, and the caller refuses it in its own schema order, with its own code and path.
   * `allHex`: every string value in `value` (keys aside) was written without escapes as non-empty,
   * even-length lower-case hex — checked by the parser on the text it was scanning anyway, so a reader
   * whose own check is "each digest is hex" may rely on it; when false, nothing is known either way.
   * It must have no side effects: parseSignedEnvelope may call it twice for the same entry (a refused
   * pretty file is parsed again as written), and a parse that is refused keeps none of its results.
   */
  read(value: JsonValue, allHex: boolean): T | undefined;
  /**
   * `read` for an entry the parser found in the usual shape, `{"hashes":{…},"length":n}` with string
   * digests and nothing else (Parser.usualEntry): given its parts instead of the object, it must return
   * what `read({ hashes, length }, allHex)` would. `hashes` is a new object made for this entry alone.
   */
  readUsual?(hashes: Record<string, string>, length: number, allHex: boolean): T | undefined;
  /**
   * Entries in the usual shape whose hashes are exactly `{"sha256":…,"sha512":…}` kept as rows of a table
   * (PairRows) instead of one model each, while every entry so far is such a row.
   */
  readonly pairs?: PairTableReader<T>;
}

/** KeyedFieldReader.pairs. */
export interface PairTableReader<T> {
  /**
   * True when `readUsual({ sha256, sha512 }, length, allHex)` would give a model, the digests being
   * text[start0, end0) and text[start1, end1): then the entry becomes a row. It must have no side effects.
   */
  fits(text: string, start0: number, end0: number, start1: number, end1: number, allHex: boolean): boolean;
  /**
   * The entries as a ReadonlyMap of models, in row order: each the model `readUsual` would give its row.
   * `ascending`: the keys are strictly ascending (else `rows.index` is set).
   */
  table(text: string, rows: PairRows, ascending: boolean): ReadonlyMap<string, T>;
}

/** An entry a KeyedFieldReader did not take: its parsed value, as the plain-object parse would hold it. */
export class Misfit {
  constructor(readonly value: JsonValue) {}
}

/** The entries of a KeyedFieldReader's field, in document order. */
export interface KeyedEntries<T> {
  /** A Map, or the reader's pair table (KeyedFieldReader.pairs) when every entry is one of its rows. */
  entries: ReadonlyMap<string, T | Misfit>;
  /** How many entries are Misfits: when 0, `entries` holds models only. */
  misfits: number;
}

export interface SignedEnvelopeParse<T = never> {
  /**
   * The document. When `keyed` is set, the top-level `signed` object holds `null` at the reader's field
   * (at the field's position): its entries are in `keyed`.
   */
  value: JsonValue;
  /** The reader's field, when the file had it as an object. */
  keyed?: KeyedEntries<T>;
  /**
   * The file's own bytes of the top-level `signed` value when they already are its canonical JSON (keys
   * sorted by code point, no whitespace, no escapes but `\"` and `\\`): then they are exactly what
   * canonicalising the parsed value would produce, and signatures can be checked over them without
   * re-encoding (a 26 MB targets file: a third of verification time). Whitespace alone (pretty-printed
   * files) does not disqualify them: it is dropped from the span. Undefined otherwise — Notary files
   * escape `<>&`, so they are re-encoded.
   */
  canonicalSigned?: Uint8Array;
  /** Values (and keys) the document held: what it cost against ParseJsonOptions.maxValues. */
  values: number;
}

/**
 * parseJsonStrict, and the canonical bytes of `signed` when the file already holds them; with `reader`,
 * that field of `signed` read straight into a Map (KeyedFieldReader).
 *
 * A pretty-printed file (python-tuf, tuf-on-ci and RSTUF write `json.dumps(indent=1, sort_keys=True)`) is
 * parsed from its whitespace-free copy (compactJson), which is then also where its canonical `signed`
 * bytes lie: a 30 MB targets file is decoded as 26 MB of text, not 30, the parser meets no whitespace, and
 * `signed` is not copied a second time (measured: parseSignedEnvelope ≈ 500–720 ms where decoding the file
 * as written and copying its `signed` took ≈ 860, loaded 2-core machine, issue #18). The copy is refused exactly when
 * the file is and parses to the same value (compactJson says why); when it is refused, the file is parsed
 * as written, so the refusal (code, path, character position) is the one the file itself earns. A refused
 * pretty file is therefore parsed twice (at most twice the CPU of one parse, hostile input included), and
 * `reader.read` may run twice for the same entry — except when the caller gave its bytes up
 * (ParseJsonOptions.givenUp): compacted in place, they are no longer there to parse as written.
 */
export function parseSignedEnvelope<T = never>(bytes: Uint8Array, opts: ParseJsonOptions, reader?: KeyedFieldReader<T>): SignedEnvelopeParse<T> {
  if (bytes.length > opts.maxBytes) {
    throw new CeremonyError('INPUT_TOO_LARGE', `${bytes.length} bytes is over the cap of ${opts.maxBytes}`, { path: opts.path });
  }
  if (startsPretty(bytes)) {
    const compact = opts.givenUp ? compactJsonInPlace(bytes) : compactJson(bytes);
    if (compact) {
      try {
        return parseEnvelopeBytes(compact, opts, reader);
      } catch (err) {
        // Only a refusal sends the file to be parsed as written, for its own refusal (below); anything
        // else (an allocation failure, a bug, a reader that threw) is not the file's fault and is not retried.
        if (!(err instanceof CeremonyError) || opts.givenUp) throw err;
      }
    } else if (opts.givenUp) {
      // The file as written is gone (ParseJsonOptions.givenUp); a string left open is malformed JSON.
      throw new CeremonyError('JSON_MALFORMED', 'a string is not closed', { path: opts.path });
    }
  }
  return parseEnvelopeBytes(bytes, opts, reader);
}

/**
 * `{` then whitespace: how every pretty-printer starts an object (python's `indent`, JSON.stringify with a
 * space argument, Go's MarshalIndent). Other files are parsed as written: a compact file holds no
 * whitespace to drop, and one with a little (a trailing newline) is not worth a copy of the whole file.
 */
export function startsPretty(bytes: Uint8Array): boolean {
  if (bytes[0] !== C.LBrace) return false;
  const c = bytes[1];
  return c === C.Nl || c === C.Space || c === C.Cr || c === C.Tab;
}

function parseEnvelopeBytes<T>(bytes: Uint8Array, opts: ParseJsonOptions, reader?: KeyedFieldReader<T>): SignedEnvelopeParse<T> {
  const text = decodeUtf8Strict(bytes, opts.path);
  const maxValues = opts.maxValues ?? defaultMaxValues(opts.maxBytes);
  const parser = new Parser(text, opts.maxDepth ?? DEFAULT_MAX_DEPTH, maxValues, true);
  parser.wantSignedSpan = true;
  parser.reader = reader;
  let value: JsonValue;
  try {
    value = parser.document(opts.path);
  } finally {
    if (opts.spent) opts.spent.values += Math.min(maxValues, maxValues - parser.remaining);
  }
  const values = maxValues - parser.remaining;
  const span = parser.span;
  const keyed = parser.keyed as KeyedEntries<T> | undefined;
  if (!span || !span.canonical) return keyed ? { value, values, keyed } : { value, values };
  // Character offsets equal byte offsets while the text before is ASCII; the tail is measured likewise.
  const head = text.slice(0, span.start);
  const tail = text.slice(span.end);
  const own = ASCII.test(head) && ASCII.test(tail) ? bytes.subarray(span.start, bytes.length - tail.length) : encoder.encode(text.slice(span.start, span.end));
  // Whitespace left in a span the parser proved canonical but for it (a file pretty-printed without
  // startsPretty's opening): dropped into a copy exactly as long as the parser counted.
  const canonicalSigned = span.whitespace ? compactJson(own, own.length - span.whitespaceChars) : own;
  if (!canonicalSigned) return keyed ? { value, values, keyed } : { value, values };
  return keyed ? { value, values, canonicalSigned, keyed } : { value, values, canonicalSigned };
}

/**
 * JSON text without its insignificant whitespace: a run of spaces, tabs, CRs and LFs outside strings goes
 * when a structural character (`{ } [ ] , :`) or an end of the text is on either side of it — RFC 8259 §2
 * allows whitespace exactly there — and stays anywhere else (`[1 2]`, `"a" "b"`), where the parser
 * refuses it as it would in the file. Strings are found as the JSON grammar finds them (a string ends at
 * the first quote after an even number of backslashes) and copied whole, so:
 *
 * - a valid text's copy is valid with the same value: only optional whitespace went;
 * - a valid copy's text was valid with the same value: each run went from between the same two bytes,
 *   outside the same strings (a run holds no quote or backslash), next to a structural character or an
 *   end, where JSON allows whitespace; the strict parser's own rules (duplicate keys, integers, depth,
 *   value cap, surrogates, byte-order mark) are about tokens, which are the same;
 * - UTF-8 validity is the same: only ASCII bytes go, from beside an ASCII byte or an end.
 *
 * Undefined when a string is not closed. With `length` (a span the parser proved canonical but for
 * whitespace, and counted), the copy is exactly that long or undefined.
 */
export function compactJson(src: Uint8Array, length?: number): Uint8Array | undefined {
  const n = src.length;
  // Without a known length a large text's copy is measured first (compactLength), so the copy is exactly as
  // long as it will be: a 31.7 MB pretty targets file compacts to 27.7 MB. With an input-long copy, the copy
  // and the decoded text (27.7 MB), freed together at the top of glibc's heap, crossed its trim threshold
  // in some processes: ~62 MB given back after every verification and taken again in the next (strace:
  // brk −62 MB / +62 MB a call; ~16,000 page faults a call instead of ~2,000; issue #18). A small text's
  // copy gets the input's length: not worth a second pass.
  if (length === undefined && n >= EXACT_COPY_MIN) {
    length = compactLength(src);
    if (length === undefined) return undefined;
  }
  const out = new Uint8Array(length ?? n);
  const limit = out.length;
  // A Buffer view (no copy) for memchr-speed quote search.
  const buf = Buffer.from(src.buffer, src.byteOffset, n);
  let w = 0;
  let r = 0;
  while (r < n) {
    const b = src[r]!;
    if (b === C.Space || b === C.Nl || b === C.Cr || b === C.Tab) {
      const j = whitespaceEnd(src, r + 1);
      if (w > 0 && j < n && !isStructural(out[w - 1]!) && !isStructural(src[j]!)) {
        if (w + j - r > limit) return undefined;
        while (r < j) out[w++] = src[r++]!;
      }
      r = j;
      continue;
    }
    if (b !== C.Quote) {
      if (w >= limit) return undefined;
      out[w++] = b;
      r++;
      continue;
    }
    const q = closingQuote(src, buf, r);
    if (q < 0) return undefined;
    const end = q + 1;
    if (w + end - r > limit) return undefined;
    // Short strings byte by byte; long ones (a pretty targets file is mostly 64- and 128-character hex
    // digests) in one native copy, whose call costs more than a short loop.
    if (end - r < SHORT_STRING) {
      while (r < end) out[w++] = src[r++]!;
    } else {
      out.set(src.subarray(r, end), w);
      w += end - r;
      r = end;
    }
  }
  if (length !== undefined && w !== length) return undefined;
  return w === limit ? out : out.subarray(0, w);
}

/**
 * Where the string whose opening quote is at `open` ends: its closing quote, the first one after an even
 * number of backslashes (found by memchr through `buf`, a Buffer view of `src`), or -1 when it is not closed.
 */
function closingQuote(src: Uint8Array, buf: Buffer, open: number): number {
  let q = open + 1;
  for (;;) {
    q = buf.indexOf(C.Quote, q);
    if (q < 0) return -1;
    let k = q - 1;
    while (src[k] === C.Backslash) k--;
    if ((q - 1 - k) % 2 === 0) return q;
    q++;
  }
}

/** The end of the whitespace run (spaces, tabs, CRs, LFs) going on at `from`: the first other byte's index, or the length. */
function whitespaceEnd(src: Uint8Array, from: number): number {
  let j = from;
  for (let c = src[j]; c === C.Space || c === C.Nl || c === C.Cr || c === C.Tab; c = src[++j]);
  return j;
}

/** Inputs from this many bytes get a copy measured by compactLength first (compactJson says why). */
const EXACT_COPY_MIN = 1 << 20;

/**
 * How long compactJson's copy of `src` is: the same rule (a whitespace run outside strings goes when the
 * last byte kept or the byte after the run is structural, or the run starts or ends the text), the same
 * strings (found as compactJson finds them), nothing written. Undefined when a string is not closed.
 */
export function compactLength(src: Uint8Array): number | undefined {
  const n = src.length;
  const buf = Buffer.from(src.buffer, src.byteOffset, n);
  let kept = 0;
  // The last byte kept, or -1 while nothing is: a run before it goes (compactJson's `w > 0`).
  let last = -1;
  let r = 0;
  while (r < n) {
    const b = src[r]!;
    if (b === C.Space || b === C.Nl || b === C.Cr || b === C.Tab) {
      const j = whitespaceEnd(src, r + 1);
      if (last >= 0 && j < n && !isStructural(last) && !isStructural(src[j]!)) {
        kept += j - r;
        last = src[j - 1]!;
      }
      r = j;
      continue;
    }
    if (b !== C.Quote) {
      kept++;
      last = b;
      r++;
      continue;
    }
    const q = closingQuote(src, buf, r);
    if (q < 0) return undefined;
    kept += q + 1 - r;
    last = C.Quote;
    r = q + 1;
  }
  return kept;
}

/**
 * compactJson into the text's own buffer, for a caller that owns `text` and gives it up: the same bytes
 * compactJson would return (the same rule, the same strings), as a view of the front of `text`, with no
 * 27 MB copy to allocate for a pretty targets file (its ~6,800 fresh pages cost more than the compaction
 * itself, issue #18). Kept bytes only move towards the front: each kept stretch moves to where the bytes
 * kept before it end, never past where it starts, so everything from the stretch being read onwards is
 * still the text as written — every byte the rule looks at (a string's quotes and backslashes, both sides
 * of a whitespace run) is read before anything is written over it.
 *
 * Undefined when a string is not closed; `text` is then partly moved and no longer the text, as it is
 * after a success: keep your own copy when you need the file as written (a refusal's retry, its hashes).
 */
export function compactJsonInPlace(text: Uint8Array): Uint8Array | undefined {
  const n = text.length;
  // A Buffer view (no copy) for memchr-speed search of a long string's end.
  const buf = Buffer.from(text.buffer, text.byteOffset, n);
  let w = 0; // where the next kept stretch goes
  let seg = 0; // where the kept stretch being read starts (not yet moved)
  let r = 0;
  while (r < n) {
    const b = text[r]!;
    if (b === C.Quote) {
      // The closing quote by memchr, even for a 6-byte key: a scan by hand measured slower at every length.
      let q = buf.indexOf(C.Quote, r + 1);
      // A quote after an odd number of backslashes is escaped; the opening quote ends the count.
      while (q > 0 && text[q - 1] === C.Backslash) {
        let k = q - 2;
        while (text[k] === C.Backslash) k--;
        if ((q - 1 - k) % 2 === 0) break;
        q = buf.indexOf(C.Quote, q + 1);
      }
      if (q < 0) return undefined;
      r = q + 1;
      continue;
    }
    if (b === C.Space || b === C.Nl || b === C.Cr || b === C.Tab) {
      const j = whitespaceEnd(text, r + 1);
      // compactJson's rule. The byte before the run is the last one kept (a run is maximal, and every
      // byte but dropped whitespace is kept), and it is still in place: r > seg whenever r > 0.
      if (r === 0 || j === n || isStructural(text[r - 1]!) || isStructural(text[j]!)) {
        w = moveDown(text, w, seg, r);
        seg = j;
      }
      r = j;
      continue;
    }
    r++;
  }
  w = moveDown(text, w, seg, n);
  return text.subarray(0, w);
}

/** text[from, to) moved down to `w` (w <= from); returns where the next stretch goes. */
function moveDown(text: Uint8Array, w: number, from: number, to: number): number {
  if (w === from) return w + to - from;
  if (to - from < SHORT_MOVE) {
    for (let k = from; k < to; k++) text[w++] = text[k]!;
    return w;
  }
  text.copyWithin(w, from, to);
  return w + to - from;
}

const isStructural = (c: number): boolean => c === C.Comma || c === C.Colon || c === C.LBrace || c === C.RBrace || c === C.LBracket || c === C.RBracket;

/** Below this many bytes a stretch is moved byte by byte, above it by copyWithin (measured on the bench's pretty targets file). */
const SHORT_MOVE = 16;

/** Below this many bytes a string is copied byte by byte (measured on the bench's pretty targets file). */
const SHORT_STRING = 48;

/** Parse already-decoded text with the same rules (used for IPC and plan text). */
export function parseJsonText(text: string, rootPath = '$', maxDepth = DEFAULT_MAX_DEPTH, maxValues = DEFAULT_MAX_VALUES): JsonValue {
  return new Parser(text, maxDepth, maxValues, false).document(rootPath);
}

const enum C {
  Tab = 0x09,
  Nl = 0x0a,
  Cr = 0x0d,
  Space = 0x20,
  Quote = 0x22,
  Comma = 0x2c,
  Minus = 0x2d,
  Dot = 0x2e,
  Zero = 0x30,
  Nine = 0x39,
  Colon = 0x3a,
  LBracket = 0x5b,
  Backslash = 0x5c,
  RBracket = 0x5d,
  LowerE = 0x65,
  UpperE = 0x45,
  LBrace = 0x7b,
  RBrace = 0x7d,
}

class Parser {
  private pos = 0;
  /** While parsing the top-level `signed` value: does its text break any rule of canonical JSON? */
  private tracking = false;
  private canonicalOk = true;
  /** … and does it hold whitespace between tokens (the only difference a pretty-printed file has)? */
  private sawWhitespace = false;
  /** How many whitespace characters (one byte each) between its tokens. */
  private whitespace = 0;
  /** Character span of the top-level `signed` value, when `signedSpan` was asked for. */
  span: { start: number; end: number; canonical: boolean; whitespace: boolean; whitespaceChars: number } | undefined;
  wantSignedSpan = false;
  /** parseSignedEnvelope's reader, and what it read. */
  reader: KeyedFieldReader<unknown> | undefined;
  keyed: KeyedEntries<unknown> | undefined;
  /** Set just before the top-level `signed` object is parsed: that object (no other) holds the reader's field. */
  private nextIsSigned = false;
  /** While a KeyedFieldReader's entry is parsed: string values are checked for hex (watchedString). */
  private hexWatch = false;
  private notHex = 0;
  /**
   * The parts of the entry usualEntry read: its hashes, or (`usualPair`) where its `sha256` and `sha512`
   * digests lie in the text when they are exactly its hashes, and its length.
   */
  private usualHashes: Record<string, string> | undefined;
  private usualPair = false;
  private usualStart0 = 0;
  private usualEnd0 = 0;
  private usualStart1 = 0;
  private usualEnd1 = 0;
  private usualLength = 0;
  /** Values still allowed (ParseJsonOptions.maxValues). */
  private budget: number;
  /**
   * The JSON path of the value being parsed, as keys and indexes under the root path: pushed and popped as
   * the parser goes, and formatted only when an error needs it (a 100,000-entry targets file has half a
   * million keys; an object per key, or a path string per key, costs more than parsing it).
   */
  private readonly keys: (string | number)[] = [];
  private rootPath = '$';
  /**
   * The text came from strict UTF-8 decoding, which never yields a lone surrogate: only a `\u` escape
   * can make one. Text handed in as a string (IPC, plans) may hold them raw, so every string is checked.
   */
  private readonly fromUtf8: boolean;
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
    maxValues: number,
    fromUtf8: boolean,
  ) {
    this.budget = maxValues;
    this.fromUtf8 = fromUtf8;
  }

  /** Values still allowed after what was parsed. */
  get remaining(): number {
    return this.budget;
  }

  document(rootPath: string): JsonValue {
    this.rootPath = rootPath;
    if (this.text.charCodeAt(0) === 0xfeff) this.fail('a byte-order mark is not allowed');
    this.ws();
    const value = this.value(0);
    this.ws();
    if (this.pos !== this.text.length) this.fail(`unexpected ${this.near()} after the JSON value`);
    return value;
  }

  /** Refuse at the current path. */
  private fail(what: string, code: 'JSON_MALFORMED' | 'JSON_DUPLICATE_KEY' | 'JSON_NUMBER_INVALID' | 'JSON_TOO_DEEP' | 'JSON_TOO_MANY_VALUES' = 'JSON_MALFORMED'): never {
    let path = this.rootPath;
    for (const key of this.keys) path = child(path, key);
    throw new CeremonyError(code, `${what} (character ${this.pos})`, { path });
  }

  private near(): string {
    return this.pos >= this.text.length ? 'end of input' : JSON.stringify(this.text.slice(this.pos, this.pos + 12));
  }

  private ws(): void {
    const t = this.text;
    const start = this.pos;
    // A local cursor: the hot loops of a 26 MB file keep it in a register, not in a field.
    let p = start;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === C.Space || c === C.Nl || c === C.Cr || c === C.Tab) p++;
      else break;
    }
    if (p !== start) {
      this.pos = p;
      if (this.tracking) {
        this.sawWhitespace = true;
        this.whitespace += p - start;
      }
    }
  }

  private value(depth: number): JsonValue {
    if (--this.budget < 0) this.fail('the document holds more values than the cap allows', 'JSON_TOO_MANY_VALUES');
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case C.LBrace:
        return this.object(depth + 1);
      case C.LBracket:
        return this.array(depth + 1);
      case C.Quote:
        return this.hexWatch ? this.watchedString() : this.string();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default:
        if (c === C.Minus || (c >= C.Zero && c <= C.Nine)) return this.number();
        return this.fail(`unexpected ${this.near()}`);
    }
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail(`unexpected ${this.near()}`);
    this.pos += word.length;
    return value;
  }

  private object(depth: number): JsonObject {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`, 'JSON_TOO_DEEP');
    this.pos++; // {
    const isSigned = this.nextIsSigned;
    this.nextIsSigned = false;
    // A plain object (fast in V8); setOwn keeps a key named "__proto__" as data, not a prototype switch.
    const obj: JsonObject = {};
    this.ws();
    if (this.text.charCodeAt(this.pos) === C.RBrace) {
      this.pos++;
      return obj;
    }
    const keys = this.keys;
    let previous: string | undefined;
    let ascending = true;
    for (;;) {
      const key = this.key(previous);
      // As in keyedObject: keys in ascending order so far cannot repeat one another.
      if (ascending && previous !== undefined && !(key > previous)) ascending = false;
      if (!ascending && Object.hasOwn(obj, key)) this.fail(`the key ${JSON.stringify(key)} appears twice in one object`, 'JSON_DUPLICATE_KEY');
      previous = key;
      this.colon();
      if (depth === 1 && key === 'signed' && this.wantSignedSpan) {
        const start = this.pos;
        this.tracking = true;
        this.canonicalOk = true;
        this.sawWhitespace = false;
        this.whitespace = 0;
        this.nextIsSigned = this.reader !== undefined && this.text.charCodeAt(this.pos) === C.LBrace;
        setOwn(obj, key, this.value(depth));
        this.nextIsSigned = false;
        this.tracking = false;
        this.span = { start, end: this.pos, canonical: this.canonicalOk, whitespace: this.sawWhitespace, whitespaceChars: this.whitespace };
      } else if (isSigned && key === this.reader!.field && this.text.charCodeAt(this.pos) === C.LBrace) {
        // Counted as a value, as `value()` would; its entries go to the reader's Map, `null` holds its place.
        if (--this.budget < 0) this.fail('the document holds more values than the cap allows', 'JSON_TOO_MANY_VALUES');
        this.keyed = this.keyedObject(depth + 1, this.reader!);
        setOwn(obj, key, null);
      } else {
        setOwn(obj, key, this.value(depth));
      }
      keys.pop();
      if (this.nextMember(C.RBrace)) return obj;
    }
  }

  /**
   * `object()` with a Map for a container and each value handed to the reader: the same checks in the same
   * order (depth, quoted keys, value budget, duplicates, canonical key order, separators).
   */
  private keyedObject(depth: number, reader: KeyedFieldReader<unknown>): KeyedEntries<unknown> {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`, 'JSON_TOO_DEEP');
    this.pos++; // {
    this.ws();
    const pairs = this.fromUtf8 ? reader.pairs : undefined;
    if (this.text.charCodeAt(this.pos) === C.RBrace) {
      this.pos++;
      // A table when there is one, so that an empty `targets` is no special case.
      return { entries: pairs ? pairs.table(this.text, new PairRows(), true) : new Map(), misfits: 0 };
    }
    const keys = this.keys;
    let misfits = 0;
    // The entries go to `rows` while each is a row of the reader's pair table, then (from the first that is
    // not, with the rows before it as models) to `entries`; exactly one of them is set.
    let rows: PairRows | undefined = pairs ? new PairRows() : undefined;
    let entries: Map<string, unknown> | undefined = rows ? undefined : new Map<string, unknown>();
    let previous: string | undefined;
    let ascending = true;
    for (;;) {
      const key = this.key(previous);
      // While every key so far is greater than the one before (a canonical file's are), a greater key
      // cannot be one of them: the lookup is needed only once that order breaks.
      if (ascending && previous !== undefined && !(key > previous)) {
        ascending = false;
        rows?.startIndex();
      }
      if (!ascending && (entries ? entries.has(key) : rows!.index!.has(key))) this.fail(`the key ${JSON.stringify(key)} appears twice in one object`, 'JSON_DUPLICATE_KEY');
      previous = key;
      this.colon();
      this.notHex = 0;
      if (this.fromUtf8 && this.usualEntry(depth)) {
        const length = this.usualLength;
        const allHex = this.notHex === 0;
        if (rows) {
          if (this.usualPair && pairs!.fits(this.text, this.usualStart0, this.usualEnd0, this.usualStart1, this.usualEnd1, allHex)) {
            rows.push(key, this.usualStart0, this.usualEnd0, this.usualStart1, this.usualEnd1, length);
            keys.pop();
            if (this.nextMember(C.RBrace)) break;
            continue;
          }
          entries = new Map(pairs!.table(this.text, rows, ascending));
          rows = undefined;
        }
        const hashes = this.usualPair ? { sha256: this.text.slice(this.usualStart0, this.usualEnd0), sha512: this.text.slice(this.usualStart1, this.usualEnd1) } : this.usualHashes!;
        this.usualHashes = undefined;
        const model = reader.readUsual ? reader.readUsual(hashes, length, allHex) : reader.read({ hashes, length }, allHex);
        if (model === undefined) {
          entries!.set(key, new Misfit({ hashes, length }));
          misfits++;
        } else entries!.set(key, model);
      } else {
        this.hexWatch = true;
        const value = this.value(depth);
        this.hexWatch = false;
        const model = reader.read(value, this.notHex === 0);
        if (rows) {
          entries = new Map(pairs!.table(this.text, rows, ascending));
          rows = undefined;
        }
        if (model === undefined) {
          entries!.set(key, new Misfit(value));
          misfits++;
        } else entries!.set(key, model);
      }
      keys.pop();
      if (this.nextMember(C.RBrace)) break;
    }
    return { entries: rows ? pairs!.table(this.text, rows, ascending) : entries!, misfits };
  }

  /**
   * A KeyedFieldReader's entry in the one shape TUF and Notary targets files give it —
   * `{"hashes":{"<alg>":"<digest>",…},"length":<n>}`, no whitespace, no escapes, algorithm names ascending —
   * read without the general parser's per-value dispatch: each string found by a native quote search and
   * then classified in one table lookup per character (hex digest, other text, or something only the
   * general path handles). It is 100,000 of a targets file's 100,001 objects, and half its parse time.
   *
   * True with the entry's parts in `usualHashes` (or `usualPair` and its spans) and `usualLength`. Anything else returns false with the cursor unmoved, and the general path parses the entry (and
   * refuses it, with its code, path and position, when it must): another field or order, whitespace, an
   * escape or control character, a surrogate, an empty or `__proto__` name, a number that is negative,
   * has a leading zero, a fraction or over 15 digits, too little depth or value budget left. What it
   * takes, the general path takes with an equal value (same keys in the same order), the same budget cost,
   * the same `notHex` count, and no effect on canonical-span tracking: sorted keys, no whitespace and no
   * escapes break no canonical rule, and every integer of 15 digits or fewer is exact.
   */
  private usualEntry(depth: number): boolean {
    if (depth + 2 > this.maxDepth) return false;
    const t = this.text;
    if (!t.startsWith(ENTRY_HEAD, this.pos)) return false;
    let p = this.pos + ENTRY_HEAD.length;
    // The first two (name, digest) pairs are held until the entry is read, so that the usual pair is made
    // as one `{ sha256, sha512 }` literal of exactly its shape (40 bytes where a grown `{}` takes 56); any
    // other names, or a third pair on, go into a plain object in document order, as before.
    let alg0 = '';
    let start0 = 0;
    let end0 = 0;
    let alg1 = '';
    let start1 = 0;
    let end1 = 0;
    let hashes: Record<string, string> | undefined;
    let previous = '';
    let count = 0;
    let notHex = 0;
    for (;;) {
      let alg: string;
      let keyEnd: number;
      // The usual names are recognised in place: no slice of the text, no string-table lookup to store them.
      if (t.startsWith(SHA256_KEY, p)) {
        alg = 'sha256';
        keyEnd = p + 6;
      } else if (t.startsWith(SHA512_KEY, p)) {
        alg = 'sha512';
        keyEnd = p + 6;
      } else {
        keyEnd = t.indexOf('"', p);
        if (keyEnd <= p || (classify(t, p, keyEnd) & CHAR_GENERAL) !== 0) return false;
        alg = t.slice(p, keyEnd);
      }
      // Strictly ascending (UTF-16 order is code-point order without surrogates): no duplicates, canonical order.
      if ((count > 0 && !(alg > previous)) || alg === '__proto__') return false;
      if (t.charCodeAt(keyEnd + 1) !== C.Colon || t.charCodeAt(keyEnd + 2) !== C.Quote) return false;
      const start = keyEnd + 3;
      const end = t.indexOf('"', start);
      if (end < 0) return false;
      const kind = classify(t, start, end);
      if ((kind & CHAR_GENERAL) !== 0) return false;
      // watchedString's test: non-empty, even length, lower-case hex (there are no escapes here).
      if (kind !== 0 || end === start || ((end - start) & 1) !== 0) notHex++;
      if (count === 0) {
        alg0 = alg;
        start0 = start;
        end0 = end;
      } else if (count === 1) {
        alg1 = alg;
        start1 = start;
        end1 = end;
      } else {
        if (count === 2) hashes = pairsObject(alg0, t.slice(start0, end0), alg1, t.slice(start1, end1));
        hashes![alg] = t.slice(start, end);
      }
      count++;
      previous = alg;
      const c = t.charCodeAt(end + 1);
      if (c === C.RBrace) {
        p = end + 2;
        break;
      }
      if (c !== C.Comma || t.charCodeAt(end + 2) !== C.Quote) return false;
      p = end + 3;
    }
    if (!t.startsWith(ENTRY_LENGTH, p)) return false;
    p += ENTRY_LENGTH.length;
    const digits = p;
    let length = 0;
    let c = t.charCodeAt(p);
    if (c === C.Zero) c = t.charCodeAt(++p);
    else {
      while (c >= C.Zero && c <= C.Nine) {
        length = length * 10 + (c - C.Zero);
        c = t.charCodeAt(++p);
      }
    }
    // `}` right after the digits also rules out a leading zero (`01`), a fraction and an exponent.
    if (p === digits || p - digits > 15 || c !== C.RBrace) return false;
    // The values the general path would count: the entry, "hashes", its object, each name and digest,
    // "length" and its number.
    const cost = 5 + 2 * count;
    if (cost > this.budget) return false;
    this.budget -= cost;
    this.notHex = notHex;
    this.pos = p + 1;
    // Made only now that the entry is taken: a refused entry leaves no object behind. The usual pair is left
    // in the text (keyedObject makes it a row of a pair table, or the `{ sha256, sha512 }` literal).
    this.usualPair = count === 2 && alg0 === 'sha256' && alg1 === 'sha512';
    this.usualStart0 = start0;
    this.usualEnd0 = end0;
    this.usualStart1 = start1;
    this.usualEnd1 = end1;
    if (count > 2) this.usualHashes = hashes!;
    else if (count === 2) this.usualHashes = this.usualPair ? undefined : pairsObject(alg0, t.slice(start0, end0), alg1, t.slice(start1, end1));
    else this.usualHashes = pairsObject(alg0, t.slice(start0, end0), '', '');
    this.usualLength = length;
    return true;
  }

  /**
   * A member's key, pushed on the path: it must be a quoted string; it costs like a value (a string, and a
   * slot in its object's table), so it counts against the budget; canonical JSON sorts keys by code point.
   */
  private key(previous: string | undefined): string {
    if (this.text.charCodeAt(this.pos) !== C.Quote) this.fail(`expected a quoted key, found ${this.near()}`);
    if (--this.budget < 0) this.fail('the document holds more values than the cap allows', 'JSON_TOO_MANY_VALUES');
    const key = this.string();
    this.keys.push(key);
    if (this.tracking && previous !== undefined && compareCodePoints(previous, key) > 0) this.canonicalOk = false;
    return key;
  }

  /** The `:` after a key (refused at the key's path), and the whitespace around it. */
  private colon(): void {
    this.ws();
    if (this.text.charCodeAt(this.pos) !== C.Colon) this.fail(`expected ':', found ${this.near()}`);
    this.pos++;
    this.ws();
  }

  /** After a member or element: true at the closing `close`, false after a comma (refused at the container's path). */
  private nextMember(close: C.RBrace | C.RBracket): boolean {
    this.ws();
    const c = this.text.charCodeAt(this.pos);
    if (c === C.Comma) {
      this.pos++;
      this.ws();
      return false;
    }
    if (c === close) {
      this.pos++;
      return true;
    }
    return this.fail(`expected ',' or '${close === C.RBrace ? '}' : ']'}', found ${this.near()}`);
  }

  private array(depth: number): JsonValue[] {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`, 'JSON_TOO_DEEP');
    this.pos++; // [
    const out: JsonValue[] = [];
    this.ws();
    if (this.text.charCodeAt(this.pos) === C.RBracket) {
      this.pos++;
      return out;
    }
    const keys = this.keys;
    for (;;) {
      keys.push(out.length);
      out.push(this.value(depth));
      keys.pop();
      if (this.nextMember(C.RBracket)) return out;
    }
  }

  private number(): number {
    const t = this.text;
    const start = this.pos;
    if (t.charCodeAt(this.pos) === C.Minus) this.pos++;
    const first = t.charCodeAt(this.pos);
    if (!(first >= C.Zero && first <= C.Nine)) this.fail('a number needs digits');
    this.pos++;
    if (first === C.Zero) {
      const next = t.charCodeAt(this.pos);
      if (next >= C.Zero && next <= C.Nine) this.fail('a number has a leading zero', 'JSON_NUMBER_INVALID');
    } else {
      for (let c = t.charCodeAt(this.pos); c >= C.Zero && c <= C.Nine; c = t.charCodeAt(++this.pos));
    }
    const c = t.charCodeAt(this.pos);
    // Canonical JSON (OLPC; Notary's canonical encoder) has integers only.
    if (c === C.Dot || c === C.LowerE || c === C.UpperE) this.fail('a number has a fraction or exponent; only integers are allowed', 'JSON_NUMBER_INVALID');
    const text = t.slice(start, this.pos);
    const n = Number(text);
    if (!Number.isSafeInteger(n)) this.fail(`the integer ${text} is too large to represent exactly`, 'JSON_NUMBER_INVALID');
    if (Object.is(n, -0)) this.fail('-0 is not a canonical integer', 'JSON_NUMBER_INVALID');
    return n;
  }

  /**
   * A string value inside a KeyedFieldReader's entry: parsed as any other, and also checked to be what a
   * TUF digest is (non-empty, even length, lower-case hex, no escapes), on the parent text while it is hot —
   * where the reader's own check would walk 200,000 sliced strings again. `notHex` counts the ones that are
   * not: when none is, the reader may skip its check (KeyedFieldReader.read, `allHex`).
   */
  private watchedString(): string {
    const start = this.pos + 1;
    const s = this.string();
    const end = this.pos - 1;
    // An escape makes the text longer than the value: such a string is simply counted as not hex.
    if (end - start !== s.length || s.length === 0 || (s.length & 1) !== 0 || !lowerHexAt(this.text, start, end)) this.notHex++;
    return s;
  }

  private string(): string {
    const t = this.text;
    const start = ++this.pos; // opening quote
    // Fast path: no escapes.
    let p = start;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === C.Quote) {
        this.pos = p + 1;
        const s = t.slice(start, p);
        return this.fromUtf8 ? s : this.checkSurrogates(s);
      }
      if (c === C.Backslash) break;
      if (c < 0x20 || Number.isNaN(c)) {
        this.pos = p;
        if (Number.isNaN(c)) this.fail('unterminated string');
        this.fail('a raw control character in a string must be escaped');
      }
      p++;
    }
    // Slow path: the value is assembled from the stretches between escapes and the escapes' characters,
    // never one character at a time (a 60 MB string with one early escape built char by char took 15 s
    // and 2.2 GB). Pieces are joined in batches of PIECES so that even a string of nothing but escapes
    // keeps one pointer per batch, not one string per character, and every character is copied twice at most.
    const parts: string[] = [];
    let batch: string[] = [];
    let run = start; // start of the stretch not yet appended
    this.pos = p;
    for (;;) {
      let q = this.pos;
      let c = t.charCodeAt(q);
      // `!(c >= 0x20)` also stops at the end of the text (NaN).
      while (c !== C.Quote && c !== C.Backslash && c >= 0x20) c = t.charCodeAt(++q);
      if (q > run) batch.push(t.slice(run, q));
      this.pos = q;
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c === C.Quote) {
        this.pos++;
        parts.push(batch.join(''));
        return this.checkSurrogates(parts.length === 1 ? parts[0]! : parts.join(''));
      }
      if (c < 0x20) this.fail('a raw control character in a string must be escaped');
      const e = t[this.pos + 1];
      // Canonical JSON escapes only `"` and `\`; any other escape means these are not canonical bytes.
      if (this.tracking && e !== '"' && e !== '\\') this.canonicalOk = false;
      this.pos += 2;
      switch (e) {
        case '"':
          batch.push('"');
          break;
        case '\\':
          batch.push('\\');
          break;
        case '/':
          batch.push('/');
          break;
        case 'b':
          batch.push('\b');
          break;
        case 'f':
          batch.push('\f');
          break;
        case 'n':
          batch.push('\n');
          break;
        case 'r':
          batch.push('\r');
          break;
        case 't':
          batch.push('\t');
          break;
        case 'u': {
          const hex = t.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('a \\u escape needs four hex digits');
          batch.push(String.fromCharCode(parseInt(hex, 16)));
          this.pos += 4;
          break;
        }
        default:
          this.pos -= 2;
          this.fail(`invalid escape ${this.near()}`);
      }
      run = this.pos;
      if (batch.length >= PIECES) {
        parts.push(batch.join(''));
        batch = [];
      }
    }
  }

  /**
   * Lone surrogates are refused: Go turns them into U+FFFD, Python keeps them, JavaScript's TextEncoder
   * replaces them — three different canonical forms. From UTF-8 bytes only a `\ud800`-style escape makes one.
   */
  private checkSurrogates(s: string): string {
    if (!SURROGATE.test(s)) return s;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0xd800 || c > 0xdfff) continue;
      if (c <= 0xdbff) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          i++;
          continue;
        }
      }
      this.fail('a string holds a lone UTF-16 surrogate, which peers encode differently');
    }
    return s;
  }
}

const SURROGATE = /[\ud800-\udfff]/;

const ENTRY_HEAD = '{"hashes":{"';
/** The usual algorithm names with their closing quote (Parser.usualEntry). */
const SHA256_KEY = 'sha256"';
const SHA512_KEY = 'sha512"';
const ENTRY_LENGTH = ',"length":';

/**
 * A hashes object of one or two (name, digest) pairs, in that order (`alg1` empty: one pair), stored as
 * the usual-entry shortcut always stored them (plain assignment; `__proto__` never reaches here).
 */
function pairsObject(alg0: string, digest0: string, alg1: string, digest1: string): Record<string, string> {
  const out: Record<string, string> = {};
  out[alg0] = digest0;
  if (alg1 !== '') out[alg1] = digest1;
  return out;
}

/** Parser.usualEntry's character classes: 0 = lower-case hex digit, other bits below. */
const CHAR_TEXT = 1; // any other character a string may hold as it is
const CHAR_GENERAL = 2; // a control character, a backslash or a surrogate: for the general path
const CHAR_CLASS = (() => {
  const table = new Uint8Array(0x10000).fill(CHAR_TEXT);
  table.fill(CHAR_GENERAL, 0, 0x20);
  table[C.Backslash] = CHAR_GENERAL;
  table.fill(CHAR_GENERAL, 0xd800, 0xe000);
  table.fill(0, C.Zero, C.Nine + 1);
  table.fill(0, 0x61, 0x67);
  return table;
})();

/** The classes of text[start, end) or-ed together (no early exit: a branch per character costs more). */
function classify(text: string, start: number, end: number): number {
  let kind = 0;
  for (let i = start; i < end; i++) kind |= CHAR_CLASS[text.charCodeAt(i)]!;
  return kind;
}

/** Pieces of an escaped string joined at a time (Parser.string): bounds the pieces held, not the work. */
const PIECES = 1024;

/** Every character of text[start, end) is 0-9 or a-f. */
function lowerHexAt(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}
