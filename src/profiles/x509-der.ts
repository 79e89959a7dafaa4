/**
 * A lean reader for the common shape of an X.509 certificate in strict DER (issue #17: a site importing
 * 1,000 Notary repositories decodes 3,000 distinct root certificates, and the ASN.1 schema layer of
 * @peculiar/asn1-x509 spent about half of the set's verification CPU on them).
 *
 * It is a FAST PATH ONLY, never a second set of rules. The schema decoder in x509.ts stays the spec: this
 * reader either returns exactly what that decoder returns for the same bytes, or `undefined`, and then the
 * schema decoder decides (accept or refuse, with its own code and message). So the accepted and refused
 * certificates are the same by construction, as long as this reader accepts only certificates the schema
 * decoder accepts with equal output. To keep that true it accepts only a narrow, canonical form and hands
 * everything else back:
 *  - DER only (X.690 §10): single-byte tags, definite lengths in their shortest form, every element
 *    consumed exactly, no bytes left in any SEQUENCE — no BER, no indefinite lengths, no long-form tags;
 *  - the RFC 5280 §4.1 field order with nothing unknown; version absent or v3 (§4.1.2.1); no unique
 *    identifiers (§4.1.2.8);
 *  - a positive serial in minimal form (§4.1.2.2), algorithm parameters absent, NULL or an OID (§4.1.1.2),
 *    the TBS signature AlgorithmIdentifier byte-equal to the outer one (§4.1.2.3);
 *  - names (§4.1.2.4, §4.1.2.6) whose every value is a PrintableString or a printable-ASCII UTF8String;
 *  - times (§4.1.2.5.1 UTCTime YYMMDDHHMMSSZ, §4.1.2.5.2 GeneralizedTime YYYYMMDDHHMMSSZ, 1950–9999)
 *    whose fields are in range;
 *  - extensions (§4.1.2.9) in v3 only, each OID once (§4.2), with critical absent or TRUE, extnValue a
 *    primitive OCTET STRING, basicConstraints (§4.2.1.9) in the forms SEQUENCE {}, {TRUE} or {TRUE, small INTEGER};
 *  - bit strings with no unused bits (the SPKI then re-encodes to its own bytes, which is what the schema
 *    decoder's AsnConvert.serialize returns).
 * Critical extensions it does not know are passed through, as the schema decoder passes them (the Notary
 * client's policy checks are in tuf/notary-root.ts, not here). test/unit/profiles/x509-der.test.ts runs a
 * table of well-formed and hostile certificates through both decoders and asserts identical outcomes.
 */

/** What the schema decoder reads out of a certificate (x509.ts decodeCertificate). */
export interface CertificateFields {
  /** The SubjectPublicKeyInfo's own DER bytes (a copy). */
  spki: Uint8Array;
  subjectCN: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  /** The outer signatureAlgorithm OID (RFC 5280 §4.1.1.2), dotted. */
  signatureOid: string;
}

const OID_CN = '2.5.4.3';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';

/** Thrown inside this module only: "not the canonical shape, let the schema decoder decide". */
class NotCanonical extends Error {}
const no = (): never => {
  throw new NotCanonical();
};

interface Element {
  tag: number;
  /** Offset of the tag octet. */
  head: number;
  /** Content start and end offsets in the whole buffer. */
  start: number;
  end: number;
}

/** One DER element at `at`, which must end at or before `limit` (X.690 §8.1.2–8.1.3, §10.1 shortest lengths). */
function element(b: Uint8Array, at: number, limit: number): Element {
  if (at + 2 > limit) no();
  const tag = b[at]!;
  if ((tag & 0x1f) === 0x1f) no(); // high-tag-number form: never in a certificate's common shape
  const first = b[at + 1]!;
  let len: number;
  let start: number;
  if (first < 0x80) {
    len = first;
    start = at + 2;
  } else {
    const n = first & 0x7f;
    if (n === 0 || n > 3 || at + 2 + n > limit) no(); // 0x80 = indefinite (BER only); > 16 MB never here
    if (b[at + 2] === 0) no(); // leading zero length octet: not the shortest form
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[at + 2 + i]!;
    if (len < 0x80) no(); // long form for a short length
    start = at + 2 + n;
  }
  const end = start + len;
  if (end > limit) no();
  return { tag, head: at, start, end };
}

function expect(b: Uint8Array, at: number, limit: number, tag: number): Element {
  const e = element(b, at, limit);
  if (e.tag !== tag) no();
  return e;
}

/** OBJECT IDENTIFIER content → dotted string (X.690 §8.19), minimal sub-identifiers, arcs below 2^31. */
function oid(b: Uint8Array, e: Element): string {
  if (e.start === e.end) no();
  const arcs: number[] = [];
  let v = 0;
  let fresh = true;
  for (let i = e.start; i < e.end; i++) {
    const byte = b[i]!;
    if (fresh && byte === 0x80) no(); // non-minimal sub-identifier
    v = v * 128 + (byte & 0x7f);
    if (v > 0x7fffffff) no();
    fresh = (byte & 0x80) === 0;
    if (fresh) {
      arcs.push(v);
      v = 0;
    }
  }
  if (!fresh) no(); // last sub-identifier unfinished
  const head = arcs[0]!;
  const [x, y] = head < 40 ? [0, head] : head < 80 ? [1, head - 40] : [2, head - 80];
  return [x, y, ...arcs.slice(1)].join('.');
}

/** AlgorithmIdentifier (RFC 5280 §4.1.1.2): the OID; parameters absent, NULL or an OID. */
function algorithm(b: Uint8Array, e: Element): string {
  const id = expect(b, e.start, e.end, 0x06);
  if (id.end < e.end) {
    const p = element(b, id.end, e.end);
    if (p.end !== e.end) no();
    if (p.tag === 0x05) {
      if (p.start !== p.end) no();
    } else if (p.tag === 0x06) {
      oid(b, p);
    } else {
      no();
    }
  }
  return oid(b, id);
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const ASCII = /^[\x20-\x7e]*$/;

/** Name (RFC 5280 §4.1.2.4/§4.1.2.6): RDNSequence of SETs of {OID, value}; the last CN's value. */
function name(b: Uint8Array, e: Element): string {
  let cn = '';
  for (let at = e.start; at < e.end; ) {
    const set = expect(b, at, e.end, 0x31);
    if (set.start === set.end) no();
    for (let a = set.start; a < set.end; ) {
      const atv = expect(b, a, set.end, 0x30);
      const type = expect(b, atv.start, atv.end, 0x06);
      const value = element(b, type.end, atv.end);
      if (value.end !== atv.end) no();
      const text = latin(b, value);
      if (value.tag === 0x13) {
        if (!PRINTABLE.test(text)) no();
      } else if (value.tag === 0x0c) {
        if (!ASCII.test(text)) no();
      } else {
        no();
      }
      if (oid(b, type) === OID_CN) cn = text;
      a = atv.end;
    }
    at = set.end;
  }
  return cn;
}

function latin(b: Uint8Array, e: Element): string {
  let s = '';
  for (let i = e.start; i < e.end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) no();
    v = v * 10 + c;
  }
  return v;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Time (RFC 5280 §4.1.2.5): UTCTime YYMMDDHHMMSSZ (YY ≥ 50 → 19YY) or GeneralizedTime YYYYMMDDHHMMSSZ. */
function time(b: Uint8Array, e: Element): Date {
  const s = latin(b, e);
  let year: number;
  let rest: number;
  if (e.tag === 0x17 && s.length === 13) {
    const yy = digits(s, 0, 2);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = 2;
  } else if (e.tag === 0x18 && s.length === 15) {
    year = digits(s, 0, 4);
    if (year < 1950) no(); // §4.1.2.5: GeneralizedTime for 2050 on; earlier years: let the schema decoder judge
    rest = 4;
  } else {
    return no();
  }
  if (s[s.length - 1] !== 'Z') no();
  const month = digits(s, rest, 2);
  const day = digits(s, rest + 2, 2);
  const hour = digits(s, rest + 4, 2);
  const minute = digits(s, rest + 6, 2);
  const second = digits(s, rest + 8, 2);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) no();
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && !leap ? 28 : DAYS[month - 1]!)) no();
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

/** BasicConstraints (RFC 5280 §4.2.1.9): SEQUENCE {}, {cA TRUE} or {cA TRUE, pathLen 0..127}. */
function basicConstraints(b: Uint8Array, e: Element): boolean {
  const seq = expect(b, e.start, e.end, 0x30);
  if (seq.end !== e.end) no();
  if (seq.start === seq.end) return false;
  const ca = expect(b, seq.start, seq.end, 0x01);
  if (ca.end - ca.start !== 1 || b[ca.start] !== 0xff) no(); // DER: DEFAULT FALSE is never encoded
  if (ca.end < seq.end) {
    const len = expect(b, ca.end, seq.end, 0x02);
    if (len.end !== seq.end || len.end - len.start !== 1 || b[len.start]! > 0x7f) no();
  }
  return true;
}

/** Extensions (RFC 5280 §4.1.2.9): whether basicConstraints says cA. */
function extensions(b: Uint8Array, e: Element): boolean {
  let isCA: boolean | undefined;
  const seen = new Set<string>();
  if (e.start === e.end) no();
  for (let at = e.start; at < e.end; ) {
    const ext = expect(b, at, e.end, 0x30);
    const id = expect(b, ext.start, ext.end, 0x06);
    let next = id.end;
    const maybe = element(b, next, ext.end);
    if (maybe.tag === 0x01) {
      if (maybe.end - maybe.start !== 1 || b[maybe.start] !== 0xff) no();
      next = maybe.end;
    }
    const value = expect(b, next, ext.end, 0x04);
    if (value.end !== ext.end) no();
    const extnID = oid(b, id);
    if (seen.has(extnID)) no(); // §4.2: at most one instance of an extension; the schema decoder refuses it
    seen.add(extnID);
    if (extnID === OID_BASIC_CONSTRAINTS) {
      isCA = basicConstraints(b, value);
    }
    at = ext.end;
  }
  return isCA ?? false;
}

function sameBytes(b: Uint8Array, x: Element, y: Element): boolean {
  if (x.end - x.head !== y.end - y.head) return false;
  for (let i = 0; i < x.end - x.head; i++) if (b[x.head + i] !== b[y.head + i]) return false;
  return true;
}

function bitStringWhole(b: Uint8Array, e: Element): void {
  if (e.start === e.end || b[e.start] !== 0) no();
}

/**
 * The certificate's fields if `der` is one whole certificate of the canonical shape above, else undefined
 * (the caller then runs the schema decoder, whose verdict stands).
 */
export function readCanonicalCertificate(der: Uint8Array): CertificateFields | undefined {
  try {
    return read(der);
  } catch (err) {
    if (err instanceof NotCanonical) return undefined;
    throw err;
  }
}

function read(b: Uint8Array): CertificateFields {
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING } (§4.1)
  const cert = expect(b, 0, b.length, 0x30);
  if (cert.end !== b.length) no();
  const tbs = expect(b, cert.start, cert.end, 0x30);
  const sigAlg = expect(b, tbs.end, cert.end, 0x30);
  const signatureOid = algorithm(b, sigAlg);
  const sigValue = expect(b, sigAlg.end, cert.end, 0x03);
  if (sigValue.end !== cert.end) no();
  bitStringWhole(b, sigValue);

  let at = tbs.start;
  // version [0] EXPLICIT: absent (v1) or v3 (§4.1.2.1)
  const v3 = b[at] === 0xa0;
  if (v3) {
    const v = element(b, at, tbs.end);
    if (v.end - v.start !== 3 || b[v.start] !== 0x02 || b[v.start + 1] !== 0x01 || b[v.start + 2] !== 0x02) no();
    at = v.end;
  }
  // serialNumber: a positive INTEGER in minimal form (§4.1.2.2)
  const serial = expect(b, at, tbs.end, 0x02);
  const len = serial.end - serial.start;
  if (len === 0 || len > 21 || b[serial.start]! >= 0x80) no();
  if (len > 1 && b[serial.start] === 0 && b[serial.start + 1]! < 0x80) no();
  const signature = expect(b, serial.end, tbs.end, 0x30);
  algorithm(b, signature);
  // §4.1.2.3: the TBS signature field MUST equal the outer signatureAlgorithm (Go refuses "inner and outer
  // signature algorithm identifiers don't match"); a mismatch is the schema decoder's to refuse.
  if (!sameBytes(b, signature, sigAlg)) no();
  const issuer = expect(b, signature.end, tbs.end, 0x30);
  name(b, issuer);
  const validity = expect(b, issuer.end, tbs.end, 0x30);
  const nb = element(b, validity.start, validity.end);
  const na = element(b, nb.end, validity.end);
  if (na.end !== validity.end) no();
  const notBefore = time(b, nb);
  const notAfter = time(b, na);
  const subject = expect(b, validity.end, tbs.end, 0x30);
  const subjectCN = name(b, subject);
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm, subjectPublicKey BIT STRING } (§4.1.2.7)
  const spki = expect(b, subject.end, tbs.end, 0x30);
  const spkiAlg = expect(b, spki.start, spki.end, 0x30);
  algorithm(b, spkiAlg);
  const key = expect(b, spkiAlg.end, spki.end, 0x03);
  if (key.end !== spki.end) no();
  bitStringWhole(b, key);
  at = spki.end;
  let isCA = false;
  if (at < tbs.end) {
    if (!v3) no(); // §4.1.2.9: extensions only in v3; the schema decoder refuses them in v1
    // no issuerUniqueID [1] / subjectUniqueID [2] (§4.1.2.8); extensions [3] EXPLICIT (§4.1.2.9)
    const wrap = expect(b, at, tbs.end, 0xa3);
    if (wrap.end !== tbs.end) no();
    const list = expect(b, wrap.start, wrap.end, 0x30);
    if (list.end !== wrap.end) no();
    isCA = extensions(b, list);
  }
  return { spki: b.slice(spki.head, spki.end), subjectCN, notBefore, notAfter, isCA, signatureOid };
}
