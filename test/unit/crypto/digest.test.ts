/**
 * src/crypto/digest.ts computes with the one-shot crypto.hash (issue #17): the same digests as createHash
 * (FIPS 180-4 vectors), a fresh Uint8Array of its own (not a view into a shared Buffer pool), strings hashed
 * as UTF-8, and the Notary key ID and certificate fingerprint still the SHA-256 they were.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesEqual, digest, sha256Hex } from '../../../src/crypto/digest.js';
import { notaryProfile } from '../../../src/profiles/notary.js';

const abc = new TextEncoder().encode('abc');

describe('digest and sha256Hex', () => {
  it('FIPS 180-4 "abc" vectors for each supported hash', () => {
    expect(sha256Hex(abc)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(Buffer.from(digest('sha256', abc)).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(Buffer.from(digest('sha384', abc)).toString('hex')).toBe('cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7');
    expect(Buffer.from(digest('sha512', abc)).toString('hex')).toBe(
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    );
  });

  it('a string is hashed as its UTF-8 bytes; a subarray as exactly its bytes', () => {
    expect(sha256Hex('é𝄞')).toBe(createHash('sha256').update(new TextEncoder().encode('é𝄞')).digest('hex'));
    const big = new Uint8Array(300).map((_, i) => i & 0xff);
    const part = big.subarray(7, 250);
    expect(sha256Hex(part)).toBe(createHash('sha256').update(part).digest('hex'));
    expect(Buffer.from(digest('sha512', part))).toEqual(createHash('sha512').update(part).digest());
  });

  it('digest returns a plain Uint8Array owning exactly its bytes', () => {
    const d = digest('sha256', abc);
    expect(Object.getPrototypeOf(d)).toBe(Uint8Array.prototype);
    expect(d.byteOffset).toBe(0);
    expect(d.buffer.byteLength).toBe(32);
  });

  it('Notary key ID: hex SHA-256 of the canonical {"keytype","keyval":{"private":null,"public"}}', () => {
    const json = { keytype: 'ecdsa', keyval: { public: 'AAAA', private: null } };
    const canonical = '{"keytype":"ecdsa","keyval":{"private":null,"public":"AAAA"}}';
    expect(notaryProfile.keyId(json)).toBe(createHash('sha256').update(canonical).digest('hex'));
  });
});

describe('bytesEqual', () => {
  it('equal lengths and bytes only, subarrays compared by their own bytes', () => {
    const big = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
    expect(bytesEqual(big.subarray(10, 4000), Uint8Array.from(big.subarray(10, 4000)))).toBe(true);
    expect(bytesEqual(big.subarray(10, 4000), big.subarray(11, 4001))).toBe(false);
    const changed = Uint8Array.from(big);
    changed[4999] = changed[4999]! ^ 1;
    expect(bytesEqual(big, changed)).toBe(false);
    expect(bytesEqual(big.subarray(0, 4999), changed.subarray(0, 4999))).toBe(true);
    expect(bytesEqual(big, big.subarray(0, 4999))).toBe(false);
    expect(bytesEqual(new Uint8Array(0), big.subarray(3, 3))).toBe(true);
  });
});
