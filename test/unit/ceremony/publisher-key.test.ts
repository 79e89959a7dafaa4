/**
 * A publisher's targets public key file (src/ceremony/publisher-key.ts): the PEM notary's
 * `key generate ecdsa --role targets -o NAME` writes (with its `role: targets` header, captured from notary
 * 0.7 on this machine), openssl's bare PEM, and a table of files that must be refused, each with its code.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePublisherKey } from '../../../src/ceremony/publisher-key.js';
import { refusal } from '../../support/refusal.js';

/** Written by `notary key generate ecdsa --role targets -o pub` (notary 0.7.0, Debian 12). */
const NOTARY_PUB = `-----BEGIN PUBLIC KEY-----
role: targets

MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEVhxnlbde+MV/Y8OJQ343D1P6/pA9
I9hBYn1ixxO+24XKqrFtYMA3urlQiBjua0tVL7sEPb+9x9qlgacM0D1OhQ==
-----END PUBLIC KEY-----
`;
const NOTARY_BODY = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEVhxnlbde+MV/Y8OJQ343D1P6/pA9I9hBYn1ixxO+24XKqrFtYMA3urlQiBjua0tVL7sEPb+9x9qlgacM0D1OhQ==';
const ED25519_PUB = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAxFUA/kbOm5ufZoWCW5I0AYuFljfduisRXqrMcKbGsHg=
-----END PUBLIC KEY-----
`;

const enc = (s: string) => new TextEncoder().encode(s);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('publisher key files that are accepted', () => {
  it('notary’s own PEM with its role header: listed as Notary lists an ecdsa targets key', () => {
    const k = parsePublisherKey(enc(NOTARY_PUB), 'publisher.pem', 'notary', sha(NOTARY_PUB));
    expect(k.json).toEqual({ keytype: 'ecdsa', keyval: { private: null, public: NOTARY_BODY } });
    expect(k.sha256).toBe(sha(NOTARY_PUB));
    expect(Buffer.from(k.spki).toString('base64')).toBe(NOTARY_BODY);
    // Notary's key ID: SHA-256 of the canonical key JSON.
    expect(k.keyId).toBe(sha(`{"keytype":"ecdsa","keyval":{"private":null,"public":"${NOTARY_BODY}"}}`));
  });

  it('the same key without headers, with CRLF line ends, and for a TUF repository', () => {
    const bare = NOTARY_PUB.replace('role: targets\n\n', '');
    expect(parsePublisherKey(enc(bare), 'p.pem', 'notary').keyId).toBe(parsePublisherKey(enc(NOTARY_PUB), 'p.pem', 'notary').keyId);
    expect(parsePublisherKey(enc(bare.replace(/\n/g, '\r\n')), 'p.pem', 'notary').keyId).toBe(parsePublisherKey(enc(bare), 'p.pem', 'notary').keyId);
    expect(parsePublisherKey(enc(bare), 'p.pem', 'tuf').json).toMatchObject({ keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256' });
  });

  it('an Ed25519 key (openssl pkey -pubout)', () => {
    expect(parsePublisherKey(enc(ED25519_PUB), 'p.pem', 'notary').json).toMatchObject({ keytype: 'ed25519' });
    expect(parsePublisherKey(enc(ED25519_PUB), 'p.pem', 'tuf').json).toMatchObject({ keytype: 'ed25519', scheme: 'ed25519' });
  });
});

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PRIVATE_PEM = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const SEC1_PEM = privateKey.export({ format: 'pem', type: 'sec1' }).toString();

// [what, file text, code, message fragment]
const INVALID: [string, string, string, RegExp][] = [
  ['a PKCS#8 private key', PRIVATE_PEM, 'KEY_FILE_PRIVATE', /PRIVATE key.*exposed/],
  ['a SEC1 private key (openssl ecparam -genkey)', SEC1_PEM, 'KEY_FILE_PRIVATE', /PRIVATE key/],
  ['a public key with a private key after it', NOTARY_PUB + PRIVATE_PEM, 'KEY_FILE_PRIVATE', /PRIVATE key/],
  ['a snapshot key', NOTARY_PUB.replace('role: targets', 'role: snapshot'), 'PLAN_INPUT_MISMATCH', /"snapshot" key/],
  ['two public keys', NOTARY_PUB + ED25519_PUB, 'PLAN_INPUT_MISMATCH', /not one PEM "PUBLIC KEY" block/],
  ['a certificate', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', 'PLAN_INPUT_MISMATCH', /not one PEM "PUBLIC KEY" block/],
  ['a header line that is not a header', NOTARY_PUB.replace('role: targets', 'role targets'), 'PLAN_INPUT_MISMATCH', /line 2 is neither a PEM header/],
  ['a body that is not base64', NOTARY_PUB.replace('MFkw', 'M*kw'), 'PLAN_INPUT_MISMATCH', /does not hold a public key/],
  ['a truncated key', NOTARY_PUB.replace('I9hBYn1ixxO+24XKqrFtYMA3urlQiBjua0tVL7sEPb+9x9qlgacM0D1OhQ==\n', ''), 'PLAN_INPUT_MISMATCH', /does not hold a public key/],
  ['an empty file', '', 'PLAN_INPUT_MISMATCH', /not one PEM/],
];

describe('publisher key files that are refused, each with its code', () => {
  it.each(INVALID.map(([what, text, code, message]) => ({ what, text, code, message })))('$what → $code', ({ text, code, message }) => {
    const err = refusal(() => parsePublisherKey(enc(text), 'publisher.pem', 'notary'));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.path).toBe('publisher.pem');
  });

  it('never repeats a private key’s content in the refusal', () => {
    const err = refusal(() => parsePublisherKey(enc(PRIVATE_PEM), 'publisher.pem', 'notary'));
    const body = PRIVATE_PEM.split('\n')[1]!;
    expect(err.message).not.toContain(body.slice(0, 16));
    expect(JSON.stringify(err)).not.toContain(body.slice(0, 16));
  });

  it('a file other than the reviewed one (hash mismatch), bytes that are not UTF-8, a file over the cap', () => {
    expect(refusal(() => parsePublisherKey(enc(NOTARY_PUB), 'p.pem', 'notary', sha('other'))).message).toMatch(/not the publisher key that was reviewed/);
    expect(refusal(() => parsePublisherKey(new Uint8Array([0xff, 0xfe, 0x2d]), 'p.pem', 'notary')).message).toMatch(/not a text file/);
    expect(refusal(() => parsePublisherKey(new Uint8Array(17 * 1024).fill(0x41), 'p.pem', 'notary')).code).toBe('INPUT_TOO_LARGE');
  });

  it('the cap comes before the hash, and a private key is named as such whatever hash the plan recorded', () => {
    // Over the cap and not the reviewed bytes: refused for its size, before it is hashed.
    expect(refusal(() => parsePublisherKey(new Uint8Array(17 * 1024).fill(0x41), 'p.pem', 'notary', sha('other'))).code).toBe('INPUT_TOO_LARGE');
    // A private key never gets as far as "not the reviewed file": it is a security event of its own.
    const err = refusal(() => parsePublisherKey(enc(PRIVATE_PEM), 'p.pem', 'notary', sha('other')));
    expect([err.code, err.path]).toEqual(['KEY_FILE_PRIVATE', 'p.pem']);
    expect(err.message).toMatch(/exposed/);
    // Not valid UTF-8 around it: still found, still not decoded as text.
    const mixed = new Uint8Array([...enc(PRIVATE_PEM), 0xff, 0xfe]);
    expect(refusal(() => parsePublisherKey(mixed, 'p.pem', 'notary')).code).toBe('KEY_FILE_PRIVATE');
  });
});
