/**
 * The lean certificate reader (profiles/x509-der.ts, issue #17) against the schema decoder it shortcuts
 * (x509.ts decodeCertificateSchema, @peculiar/asn1-x509), which is the spec: every certificate here —
 * well-formed ones of each key type and a table of malformed and hostile ones — goes through both the
 * decoder verification uses now (decodeCertificate: fast path, else schema) and the schema decoder alone,
 * and the outcomes must be identical: the same fields, or the same error code and message. Then a sweep
 * of single-byte edits and truncations of real certificates does the same for thousands of inputs.
 * The reader must also actually take the common shapes (else the comparison proves nothing).
 */
import { createHash, generateKeyPairSync, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { decodeCertificate, decodeCertificateSchema, type ParsedCertificate } from '../../../src/profiles/x509.js';
import { readCanonicalCertificate } from '../../../src/profiles/x509-der.js';
import { makeNotaryRootCertificate } from '../../../src/signers/certificate.js';
import { SoftwareKey } from '../../../src/signers/software.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const YEAR = 365 * 24 * 3600 * 1000;

type Outcome = { ok: true; spki: string; info: unknown } | { ok: false; code: string; message: string };

function outcome(f: () => ParsedCertificate): Outcome {
  try {
    const r = f();
    return { ok: true, spki: Buffer.from(r.spki).toString('hex'), info: r.info };
  } catch (err) {
    if (!(err instanceof CeremonyError)) throw err;
    return { ok: false, code: err.code, message: err.message };
  }
}

/** Both paths on the same bytes; returns whether the fast reader took them. */
function same(der: Uint8Array): { fast: boolean; outcome: Outcome } {
  const fp = createHash('sha256').update(der).digest('hex');
  const now = outcome(() => decodeCertificate(der, fp, '$.keys.k'));
  const spec = outcome(() => decodeCertificateSchema(der, fp, '$.keys.k'));
  expect(now).toEqual(spec);
  return { fast: readCanonicalCertificate(der) !== undefined, outcome: spec };
}

// --- a small DER writer for hand-made certificates ---
function len(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}
const tlv = (tag: number, ...parts: (Uint8Array | number[])[]): Uint8Array => {
  const body = Buffer.concat(parts.map((p) => Buffer.from(p)));
  return Uint8Array.from([tag, ...len(body.length), ...body]);
};
const seq = (...p: (Uint8Array | number[])[]): Uint8Array => tlv(0x30, ...p);
const oid = (dotted: string): Uint8Array => {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const arc of rest) {
    const bytes = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift(0x80 | (v & 0x7f));
    out.push(...bytes);
  }
  return tlv(0x06, out);
};
const ascii = (s: string): number[] => [...Buffer.from(s, 'utf8')];
const cnName = (cn: string, tag = 0x0c): Uint8Array => seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(tag, ascii(cn)))));

interface Parts {
  version: Uint8Array | number[];
  serial: Uint8Array | number[];
  sigAlg: Uint8Array | number[];
  issuer: Uint8Array | number[];
  validity: Uint8Array | number[];
  subject: Uint8Array | number[];
  spki: Uint8Array | number[];
  tail: Uint8Array | number[];
  outerAlg: Uint8Array | number[];
  sigValue: Uint8Array | number[];
}

let spkiP256: Uint8Array;
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const KU = seq(oid('2.5.29.15'), tlv(0x01, [0xff]), tlv(0x04, tlv(0x03, [7, 0x80])));
const bcExt = (value: Uint8Array, critical = true): Uint8Array => seq(oid('2.5.29.19'), critical ? tlv(0x01, [0xff]) : [], tlv(0x04, value));

function base(): Parts {
  return {
    version: tlv(0xa0, tlv(0x02, [2])),
    serial: tlv(0x02, [0x01, 0x23]),
    sigAlg: ECDSA_SHA256,
    issuer: cnName('example.com/org/app'),
    validity: seq(tlv(0x17, ascii('250101000000Z')), tlv(0x17, ascii('350101000000Z'))),
    subject: cnName('example.com/org/app'),
    spki: spkiP256,
    tail: tlv(0xa3, seq(bcExt(seq()))),
    outerAlg: ECDSA_SHA256,
    sigValue: tlv(0x03, [0, ...seq(tlv(0x02, [1]), tlv(0x02, [2]))]),
  };
}
function build(edit: Partial<Parts> = {}): Uint8Array {
  const p = { ...base(), ...edit };
  return seq(seq(p.version, p.serial, p.sigAlg, p.issuer, p.validity, p.subject, p.spki, p.tail), p.outerAlg, p.sigValue);
}

async function peculiarCert(alg: 'rsa' | 'ed25519' | 'p384' | 'p256', opts: { notBefore?: Date; notAfter?: Date; name?: string; extensions?: x509.Extension[] } = {}): Promise<Uint8Array> {
  const algorithm =
    alg === 'rsa'
      ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 }
      : alg === 'ed25519'
        ? { name: 'Ed25519' }
        : { name: 'ECDSA', namedCurve: alg === 'p384' ? 'P-384' : 'P-256', hash: alg === 'p384' ? 'SHA-384' : 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm as RsaHashedKeyGenParams, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '0a1b2c',
    name: opts.name ?? 'CN=example.com/org/app, O=Example, C=DE',
    notBefore: opts.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: opts.notAfter ?? new Date(Date.now() + YEAR),
    signingAlgorithm: algorithm,
    keys,
    extensions: opts.extensions ?? [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  return new Uint8Array(cert.rawData);
}

/** mulberry32: a small deterministic PRNG, so a seed always draws the same certificates. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Certificates drawn field by field around the lean reader's acceptance surface (review-x509 finding 4):
 * names with several CNs in one RDN or across RDNs, empty CNs, other attribute and string types; serials of
 * 1 to 22 bytes around the 20/21-byte and sign edges; UTCTime and GeneralizedTime on either side of 1950
 * and 2050 with edge and out-of-range fields, and malformed forms; extensions duplicated, with critical
 * absent, TRUE or FALSE encoded, in v1/v2/v3; inner and outer algorithms mostly equal; three key types.
 */
function drawer(seed: number): { certificate: () => Partial<Parts> } {
  const r = prng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const bytes = (n: number): number[] => Array.from({ length: n }, () => int(256));
  const two = (n: number): string => String(n).padStart(2, '0');
  /** Mostly the common form, sometimes an edge: so a good share of whole certificates stays canonical. */
  const often = <T,>(common: () => T, edge: () => T, p = 0.8): T => (r() < p ? common() : edge());

  const ALGS = [
    seq(oid('1.2.840.10045.4.3.2')),
    seq(oid('1.2.840.10045.4.3.3')),
    seq(oid('1.2.840.113549.1.1.11'), [0x05, 0x00]),
    seq(oid('1.3.101.112')),
    seq(oid('1.3.14.3.2.29'), [0x05, 0x00]),
    seq(oid('1.2.840.10045.4.3.2'), [0x05, 0x00]),
  ];
  const spkis = (): Uint8Array =>
    pick([
      spkiP256,
      seq(seq(oid('1.3.101.112')), tlv(0x03, [0, ...bytes(32)])),
      seq(seq(oid('1.2.840.10045.2.1'), oid('1.3.132.0.34')), tlv(0x03, [0, 0x04, ...bytes(96)])),
    ]);
  const serial = (): Uint8Array => {
    const n = often(() => pick([1, 2, 8, 16, 19, 20, 21]), () => pick([20, 21, 22]));
    const b = bytes(n);
    b[0] = often(() => 1 + int(0x7f), () => pick([0x00, 0x80, 0xff]));
    if (n > 1 && r() < 0.2) b[1] = pick([0x00, 0x7f, 0x80, 0xff]);
    if (n === 21 && r() < 0.5) [b[0], b[1]] = [0x00, 0x80 | int(0x80)]; // the 21-byte form of a 20-byte value with its top bit set
    return tlv(0x02, b);
  };
  const TEXT = ['example.com/org/app', '', 'x', 'Example Org', 'a@b', 'exämple', 'tab\there', 'registry:5000/a/b'];
  const atv = (): Uint8Array => {
    const type = pick(['2.5.4.3', '2.5.4.3', '2.5.4.10', '2.5.4.6']);
    const tag = often(() => pick([0x0c, 0x13]), () => 0x16, 0.97);
    return seq(oid(type), tlv(tag, ascii(often(() => pick(TEXT.slice(0, 4)), () => pick(TEXT), 0.95))));
  };
  const name = (): Uint8Array => seq(...Array.from({ length: int(4) }, () => tlv(0x31, ...Array.from({ length: 1 + int(3) }, atv))));
  const time = (): Uint8Array => {
    const wild = r() < 0.1;
    const month = wild && r() < 0.3 ? pick([0, 13]) : 1 + int(12);
    const day = wild && r() < 0.5 ? pick([0, 29, 30, 31, 32]) : 1 + int(28);
    const hour = wild && r() < 0.3 ? 24 : pick([0, 23, int(24)]);
    const minute = wild && r() < 0.3 ? 60 : pick([0, 59, int(60)]);
    const second = wild && r() < 0.3 ? 60 : pick([0, 59, int(60)]);
    const rest = `${two(month)}${two(day)}${two(hour)}${two(minute)}`;
    const tail = wild ? pick([`${two(second)}Z`, 'Z', `${two(second)}`, `${two(second)}.5Z`, `${two(second)}+0100`]) : `${two(second)}Z`;
    if (r() < 0.6) {
      const yy = pick([0, 25, 49, 50, 99, int(100)]);
      return tlv(0x17, ascii(`${wild && r() < 0.2 ? '2+' : two(yy)}${rest}${tail}`));
    }
    const year = often(() => pick([1950, 1999, 2000, 2025, 2049, 2050, 2100, 9999]), () => pick([1800, 1949]));
    return tlv(0x18, ascii(`${String(year).padStart(4, '0')}${rest}${tail}`));
  };
  const critical = (): number[] | Uint8Array => often(() => pick([[], tlv(0x01, [0xff])]), () => tlv(0x01, [0x00]));
  const extension = (): Uint8Array =>
    pick([
      () => seq(oid('2.5.29.19'), critical(), tlv(0x04, often(() => pick([seq(), seq(tlv(0x01, [0xff])), seq(tlv(0x01, [0xff]), tlv(0x02, [int(128)]))]), () => seq(tlv(0x01, [0x00]))))),
      () => seq(oid('2.5.29.15'), critical(), tlv(0x04, tlv(0x03, [7, 0x80]))),
      () => seq(oid('1.3.6.1.4.1.99999.1'), critical(), tlv(0x04, [0x05, 0x00])),
      () => seq(oid('2.5.29.14'), critical(), tlv(0x04, tlv(0x04, bytes(20)))),
    ])();
  const extensions = (): Uint8Array | number[] => {
    if (r() < 0.2) return [];
    const list = Array.from({ length: often(() => 1 + int(3), () => 0) }, extension);
    if (list.length > 0 && r() < 0.1) list.splice(int(list.length + 1), 0, pick(list)); // one extension twice
    return tlv(0xa3, seq(...list));
  };
  return {
    certificate: () => {
      const alg = pick(ALGS);
      return {
        version: often(() => tlv(0xa0, tlv(0x02, [2])), () => pick([[], tlv(0xa0, tlv(0x02, [0])), tlv(0xa0, tlv(0x02, [1]))])),
        serial: serial(),
        sigAlg: alg,
        outerAlg: r() < 0.95 ? alg : pick(ALGS),
        issuer: name(),
        validity: seq(time(), time()),
        subject: name(),
        spki: spkis(),
        tail: extensions(),
      };
    },
  };
}

describe('lean certificate reader = schema decoder', () => {
  /** [what, bytes, whether the fast reader must take them] */
  const real: [string, Uint8Array, boolean][] = [];
  beforeAll(async () => {
    spkiP256 = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }));
    const key = SoftwareKey.generate('ecdsa-p256');
    const p384 = SoftwareKey.generate('ecdsa-p384');
    const now = Date.now();
    real.push(['our Notary root certificate (P-256)', (await makeNotaryRootCertificate(key, { gun: 'example.com/org/app', notBefore: new Date(now - 60_000), notAfter: new Date(now + 10 * YEAR) })).der, true]);
    real.push(['our Notary root certificate (P-384, GeneralizedTime after 2049)', (await makeNotaryRootCertificate(p384, { gun: 'example.com/x', notBefore: new Date(now), notAfter: new Date('2061-03-04T05:06:07Z') })).der, true]);
    key.dispose();
    p384.dispose();
    real.push(['@peculiar/x509 RSA with keyUsage', await peculiarCert('rsa'), true]);
    real.push(['@peculiar/x509 Ed25519', await peculiarCert('ed25519'), true]);
    real.push(['@peculiar/x509 P-384', await peculiarCert('p384'), true]);
    real.push(['@peculiar/x509 CA', await peculiarCert('p256', { extensions: [new x509.BasicConstraintsExtension(true, 3, true)] }), true]);
    real.push(['@peculiar/x509 no extensions (an empty [3] list: left to the schema decoder)', await peculiarCert('p256', { extensions: [] }), false]);
    real.push(['@peculiar/x509 years 1950 and 2049', await peculiarCert('p256', { notBefore: new Date('1950-01-01T00:00:00Z'), notAfter: new Date('2049-12-31T23:59:59Z') }), true]);
    real.push(['@peculiar/x509 notAfter 9999', await peculiarCert('p256', { notAfter: new Date('9999-12-31T23:59:59Z') }), true]);
    real.push(['@peculiar/x509 several CNs (the last counts)', await peculiarCert('p256', { name: 'CN=first, CN=second' }), true]);
  }, 120_000);

  it('takes every common shape, with the schema decoder’s very fields', () => {
    for (const [what, der, fast] of real) {
      const r = same(der);
      expect(r.fast, what).toBe(fast);
      expect(r.outcome.ok, what).toBe(true);
    }
    expect(same(build()).fast).toBe(true);
  });

  // [what, bytes, whether the fast reader may take them (undefined: either)]
  const hostile: [string, () => Uint8Array, boolean | undefined][] = [
    ['truncated by one byte', () => build().subarray(0, build().length - 1), false],
    ['truncated to its header', () => build().subarray(0, 4), false],
    ['empty', () => new Uint8Array(0), false],
    ['trailing bytes after the certificate', () => Uint8Array.from([...build(), 0, 0]), false],
    ['outer tag SET, not SEQUENCE', () => Uint8Array.from([0x31, ...build().subarray(1)]), false],
    ['outer length in non-minimal long form', () => { const d = build(); return Uint8Array.from([0x30, 0x83, 0, ...d.subarray(2)]); }, false],
    ['serial with a long-form length for 2 bytes', () => build({ serial: [0x02, 0x81, 0x02, 0x01, 0x23] }), false],
    ['indefinite-length outer SEQUENCE', () => { const d = build(); const inner = d.subarray(d[1]! & 0x80 ? 2 + (d[1]! & 0x7f) : 2); return Uint8Array.from([0x30, 0x80, ...inner, 0, 0]); }, false],
    ['high-tag-number form', () => build({ serial: [0x1f, 0x02, 0x01, 0x01] }), false],
    ['negative serial', () => build({ serial: tlv(0x02, [0x80, 0x01]) }), false],
    ['serial with a redundant leading zero', () => build({ serial: tlv(0x02, [0x00, 0x01]) }), false],
    ['zero serial', () => build({ serial: tlv(0x02, [0x00]) }), undefined],
    ['empty serial', () => build({ serial: tlv(0x02, []) }), false],
    ['serial is an OCTET STRING', () => build({ serial: tlv(0x04, [1]) }), false],
    ['version v1 written out', () => build({ version: tlv(0xa0, tlv(0x02, [0])) }), false],
    ['version v2', () => build({ version: tlv(0xa0, tlv(0x02, [1])) }), false],
    ['version 7', () => build({ version: tlv(0xa0, tlv(0x02, [7])) }), false],
    ['no version (v1), no extensions', () => build({ version: [], tail: [] }), true],
    ['month 13', () => build({ validity: seq(tlv(0x17, ascii('251301000000Z')), tlv(0x17, ascii('350101000000Z'))) }), false],
    ['30 February', () => build({ validity: seq(tlv(0x17, ascii('250230000000Z')), tlv(0x17, ascii('350101000000Z'))) }), false],
    ['hour 24', () => build({ validity: seq(tlv(0x17, ascii('250101240000Z')), tlv(0x17, ascii('350101000000Z'))) }), false],
    ['letters in a UTCTime', () => build({ validity: seq(tlv(0x17, ascii('25O101000000Z')), tlv(0x17, ascii('350101000000Z'))) }), false],
    ['UTCTime without Z', () => build({ validity: seq(tlv(0x17, ascii('2501010000000')), tlv(0x17, ascii('350101000000Z'))) }), false],
    ['UTCTime with an offset', () => build({ validity: seq(tlv(0x17, ascii('2501010000+0100')), tlv(0x17, ascii('350101000000Z'))) }), false],
    ['UTCTime without seconds', () => build({ validity: seq(tlv(0x17, ascii('2501010000Z')), tlv(0x17, ascii('350101000000Z'))) }), false],
    ['GeneralizedTime with fractions', () => build({ validity: seq(tlv(0x18, ascii('20250101000000.5Z')), tlv(0x17, ascii('350101000000Z'))) }), false],
    ['GeneralizedTime before 1950', () => build({ validity: seq(tlv(0x18, ascii('19490101000000Z')), tlv(0x17, ascii('350101000000Z'))) }), false],
    ['GeneralizedTime year 0049', () => build({ validity: seq(tlv(0x18, ascii('00490101000000Z')), tlv(0x17, ascii('350101000000Z'))) }), false],
    ['validity with one time', () => build({ validity: seq(tlv(0x17, ascii('250101000000Z'))) }), false],
    ['validity with three times', () => build({ validity: seq(tlv(0x17, ascii('250101000000Z')), tlv(0x17, ascii('350101000000Z')), tlv(0x17, ascii('350101000000Z'))) }), false],
    ['time as an OCTET STRING', () => build({ validity: seq(tlv(0x04, ascii('250101000000Z')), tlv(0x17, ascii('350101000000Z'))) }), false],
    ['unknown critical extension', () => build({ tail: tlv(0xa3, seq(seq(oid('1.3.6.1.4.1.99999.1'), tlv(0x01, [0xff]), tlv(0x04, [5, 0])))) }), true],
    ['critical written as FALSE', () => build({ tail: tlv(0xa3, seq(seq(oid('2.5.29.15'), tlv(0x01, [0x00]), tlv(0x04, tlv(0x03, [7, 0x80]))))) }), false],
    ['critical as 0x01, not 0xff', () => build({ tail: tlv(0xa3, seq(seq(oid('2.5.29.19'), tlv(0x01, [0x01]), tlv(0x04, seq())))) }), false],
    ['basicConstraints cA TRUE', () => build({ tail: tlv(0xa3, seq(bcExt(seq(tlv(0x01, [0xff]))))) }), true],
    ['basicConstraints cA TRUE, pathLen 0', () => build({ tail: tlv(0xa3, seq(bcExt(seq(tlv(0x01, [0xff]), tlv(0x02, [0]))))) }), true],
    ['basicConstraints cA FALSE written out', () => build({ tail: tlv(0xa3, seq(bcExt(seq(tlv(0x01, [0x00]))))) }), false],
    ['basicConstraints pathLen only', () => build({ tail: tlv(0xa3, seq(bcExt(seq(tlv(0x02, [1]))))) }), false],
    ['basicConstraints negative pathLen', () => build({ tail: tlv(0xa3, seq(bcExt(seq(tlv(0x01, [0xff]), tlv(0x02, [0x80]))))) }), false],
    ['basicConstraints not a SEQUENCE', () => build({ tail: tlv(0xa3, seq(bcExt(tlv(0x01, [0xff])))) }), false],
    ['basicConstraints with bytes after it', () => build({ tail: tlv(0xa3, seq(bcExt(Uint8Array.from([...seq(tlv(0x01, [0xff])), 0])))) }), false],
    ['basicConstraints twice (CA then not)', () => build({ tail: tlv(0xa3, seq(bcExt(seq(tlv(0x01, [0xff]))), bcExt(seq()))) }), false],
    ['empty extensions list', () => build({ tail: tlv(0xa3, seq()) }), false],
    ['extensions not wrapped in [3]', () => build({ tail: seq(bcExt(seq())) }), false],
    ['extnValue constructed', () => build({ tail: tlv(0xa3, seq(seq(oid('2.5.29.19'), tlv(0x24, tlv(0x04, seq()))))) }), false],
    ['issuerUniqueID present', () => build({ tail: Uint8Array.from([...tlv(0x81, [0, 1]), ...tlv(0xa3, seq(bcExt(seq())))]) }), false],
    ['subject CN as PrintableString', () => build({ subject: cnName('Example Org', 0x13) }), true],
    ['subject CN PrintableString with "@"', () => build({ subject: cnName('a@b', 0x13) }), false],
    ['subject CN UTF8String, not ASCII', () => build({ subject: cnName('exämple.com/app') }), false],
    ['subject CN as BMPString', () => build({ subject: seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x1e, [0, 0x41])))) }), false],
    ['subject CN as IA5String', () => build({ subject: cnName('a.example', 0x16) }), false],
    ['subject CN as an INTEGER', () => build({ subject: seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x02, [1])))) }), false],
    ['subject with an empty RDN set', () => build({ subject: seq(tlv(0x31)) }), false],
    ['empty subject', () => build({ subject: seq() }), true],
    ['subject attribute without a value', () => build({ subject: seq(tlv(0x31, seq(oid('2.5.4.3')))) }), false],
    ['OID with a non-minimal arc', () => build({ subject: seq(tlv(0x31, seq(tlv(0x06, [0x55, 0x80, 0x04]), tlv(0x0c, ascii('x'))))) }), false],
    ['OID unfinished', () => build({ sigAlg: seq(tlv(0x06, [0x2a, 0x86])) }), false],
    ['empty OID', () => build({ outerAlg: seq(tlv(0x06, [])) }), false],
    ['unknown signature algorithm', () => build({ sigAlg: seq(oid('1.2.3.4.5')), outerAlg: seq(oid('1.2.3.4.5')) }), true],
    ['signature algorithm with NULL parameters', () => build({ sigAlg: seq(oid('1.2.840.113549.1.1.11'), [0x05, 0x00]), outerAlg: seq(oid('1.2.840.113549.1.1.11'), [0x05, 0x00]) }), true],
    ['algorithm parameters a SEQUENCE', () => build({ sigAlg: seq(oid('1.2.840.113549.1.1.10'), seq(tlv(0x02, [1]))), outerAlg: seq(oid('1.2.840.113549.1.1.10'), seq(tlv(0x02, [1]))) }), false],
    ['NULL parameters with content', () => build({ sigAlg: seq(oid('1.2.840.113549.1.1.11'), [0x05, 0x01, 0x00]), outerAlg: seq(oid('1.2.840.113549.1.1.11'), [0x05, 0x01, 0x00]) }), false],
    ['signature BIT STRING with unused bits', () => build({ sigValue: tlv(0x03, [3, 0xf8]) }), false],
    ['empty signature BIT STRING', () => build({ sigValue: tlv(0x03, []) }), false],
    ['signature an OCTET STRING', () => build({ sigValue: tlv(0x04, [0, 1]) }), false],
    ['key BIT STRING with unused bits', () => { const s = Uint8Array.from(spkiP256); expect(s[23]).toBe(0x03); s[25] = 1; /* 30 59 30 13 (alg) 03 42 [unused bits] */ return build({ spki: s }); }, false],
    ['SPKI with a field after the key', () => build({ spki: seq(spkiP256.subarray(2, 2 + 21), spkiP256.subarray(23), tlv(0x05, [])) }), false],
    ['no SPKI', () => build({ spki: [], tail: [] }), false],
    ['a field after the certificate signature', () => { const d = build(); return seq(d.subarray(d[1]! & 0x80 ? 2 + (d[1]! & 0x7f) : 2), tlv(0x05, [])); }, false],
  ];

  // Refused by both (the fast reader hands them back, the schema decoder refuses with its reason): what Go's
  // crypto/x509, the notary client's parser, refuses. [what, bytes, the reason in the message]
  const refused: [string, () => Uint8Array, string][] = [
    ['inner signature algorithm SHA-256, outer SHA-384 (RFC 5280 §4.1.2.3)', () => build({ outerAlg: seq(oid('1.2.840.10045.4.3.3')) }), 'tbsCertificate.signature differs from signatureAlgorithm'],
    ['inner algorithm with NULL parameters, outer without', () => build({ sigAlg: seq(oid('1.2.840.10045.4.3.2'), [0x05, 0x00]) }), 'tbsCertificate.signature differs from signatureAlgorithm'],
    ['inner RSA, outer ECDSA', () => build({ sigAlg: seq(oid('1.2.840.113549.1.1.11'), [0x05, 0x00]) }), 'tbsCertificate.signature differs from signatureAlgorithm'],
    ...(
      [
        ['a "+" in a UTCTime', '25+101000000Z'],
        ['a space in a UTCTime', '25 101000000Z'],
        ['UTCTime without seconds', '2501010000Z'],
        ['UTCTime without Z', '2501010000000'],
        ['UTCTime with an offset', '250101000000+0100'],
        ['UTCTime month 13', '251301000000Z'],
        ['UTCTime 30 February', '250230000000Z'],
        ['UTCTime hour 24', '250101240000Z'],
        ['UTCTime second 60', '250101000060Z'],
      ] as const
    ).map(([what, t]): [string, () => Uint8Array, string] => [what, () => build({ validity: seq(tlv(0x17, ascii(t)), tlv(0x17, ascii('350101000000Z'))) }), 'validity.notBefore is not YYMMDDHHMMSSZ']),
    ['GeneralizedTime notAfter with fractional seconds', () => build({ validity: seq(tlv(0x17, ascii('250101000000Z')), tlv(0x18, ascii('20550101000000.5Z'))) }), 'validity.notAfter is not YYYYMMDDHHMMSSZ'],
    ['GeneralizedTime notAfter without Z', () => build({ validity: seq(tlv(0x17, ascii('250101000000Z')), tlv(0x18, ascii('20550101000000'))) }), 'validity.notAfter is not YYYYMMDDHHMMSSZ'],
    ['keyUsage twice', () => build({ tail: tlv(0xa3, seq(bcExt(seq()), KU, KU)) }), 'has 2.5.29.15 twice'],
    ['an unknown extension twice', () => build({ tail: tlv(0xa3, seq(seq(oid('1.2.3.4'), tlv(0x04, [5, 0])), bcExt(seq()), seq(oid('1.2.3.4'), tlv(0x04, [5, 0])))) }), 'has 1.2.3.4 twice'],
    ['basicConstraints twice', () => build({ tail: tlv(0xa3, seq(bcExt(seq()), bcExt(seq()))) }), 'has 2.5.29.19 twice'],
    ['v1 (no version) with extensions', () => build({ version: [] }), 'extensions in a certificate that is not version 3'],
    ['v1 written out with extensions', () => build({ version: tlv(0xa0, tlv(0x02, [0])) }), 'extensions in a certificate that is not version 3'],
    ['v2 with extensions', () => build({ version: tlv(0xa0, tlv(0x02, [1])) }), 'extensions in a certificate that is not version 3'],
  ];

  it.each(refused)('%s: both decoders refuse it', (_what, make, reason) => {
    const r = same(make());
    expect(r.fast).toBe(false);
    expect(r.outcome).toEqual({ ok: false, code: 'KEY_INVALID', message: expect.stringContaining(reason) as string });
  });

  it.each([
    ['sha1WithRSA (ISO/OIW 1.3.14.3.2.29)', '1.3.14.3.2.29'],
    ['dsa-with-sha1 (1.2.840.10040.4.3)', '1.2.840.10040.4.3'],
    ['sha1WithRSAEncryption', '1.2.840.113549.1.1.5'],
    ['ecdsa-with-SHA1', '1.2.840.10045.4.1'],
  ])('%s reads as SHA-1 on both paths (the Notary SHA-1 refusal keys on it)', (_what, dotted) => {
    const r = same(build({ sigAlg: seq(oid(dotted)), outerAlg: seq(oid(dotted)) }));
    expect(r.fast).toBe(true);
    expect(r.outcome.ok && (r.outcome.info as { signatureHash: string }).signatureHash).toBe('SHA-1');
  });

  it.each(hostile)('%s: both decoders agree', (_what, make, fast) => {
    const r = same(make());
    if (fast !== undefined) expect(r.fast).toBe(fast);
  });

  it('a seeded generator of structured certificates: both decoders agree on every one', () => {
    const SEEDS = [1, 7, 3];
    const PER_SEED = 1000;
    let fastTaken = 0;
    let accepted = 0;
    let total = 0;
    for (const seed of SEEDS) {
      const g = drawer(seed);
      for (let i = 0; i < PER_SEED; i++) {
        const r = same(build(g.certificate()));
        total++;
        if (r.fast) fastTaken++;
        if (r.outcome.ok) accepted++;
      }
    }
    expect(total).toBe(SEEDS.length * PER_SEED);
    // Both sides are exercised: a good share takes the fast path, a good share is refused, and some are
    // accepted by the schema decoder only (the lean reader handed them back).
    expect(fastTaken).toBeGreaterThan(total / 10);
    expect(total - accepted).toBeGreaterThan(total / 5);
    expect(accepted - fastTaken).toBeGreaterThan(total / 100);
  }, 120_000);

  it('single-byte edits and truncations of real certificates: both decoders agree on every one', () => {
    let fastTaken = 0;
    let refused = 0;
    let total = 0;
    for (const der of [real[0]![1], real[1]![1], real[2]![1], build()]) {
      for (let i = 0; i < der.length; i++) {
        for (const v of [0x00, 0xff, 0x80, der[i]! ^ 0x01, der[i]! + 1]) {
          if ((v & 0xff) === der[i]) continue;
          const m = Uint8Array.from(der);
          m[i] = v & 0xff;
          const r = same(m);
          total++;
          if (r.fast) fastTaken++;
          if (!r.outcome.ok) refused++;
        }
      }
      for (let n = 0; n < der.length; n += 7) {
        const r = same(der.subarray(0, n));
        expect(r.fast).toBe(false);
        total++;
        refused++;
      }
    }
    // The sweep exercises both sides: many edits stay in the canonical shape (key, serial, signature
    // bytes), many leave it and are refused by the schema decoder.
    expect(fastTaken).toBeGreaterThan(total / 10);
    expect(refused).toBeGreaterThan(total / 10);
  }, 300_000);
});
