/**
 * TUF canonical JSON key order: we sign by code point (securesystemslib, python-tuf); tuf-js signs by
 * UTF-16 code unit. The two differ when keys mix U+E000–U+FFFF with characters outside the BMP; we accept
 * either spelling when verifying, because both encode the same parsed object.
 */
import { canonicalize } from '@tufjs/canonical-json';
import { describe, expect, it } from 'vitest';
import { canonicalString, compareCodePoints } from '../../../src/json/canonical.js';
import type { JsonObject } from '../../../src/json/types.js';
import { getProfile } from '../../../src/profiles/index.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { verifyRole } from '../../../src/tuf/verify.js';
import { makeKey } from '../../support/keys.js';
import { FAR } from '../../support/repo.js';

const enc = new TextEncoder();

describe('key order', () => {
  it('code point order puts U+E000 before U+1F600; UTF-16 order the other way round', () => {
    const keys = ['\u{1F600}', '\uE000', 'z'];
    expect([...keys].sort(compareCodePoints)).toEqual(['z', '\uE000', '\u{1F600}']);
    expect([...keys].sort()).toEqual(['z', '\u{1F600}', '\uE000']);
    expect(canonicalString({ '\u{1F600}': 1, '\uE000': 2 }, 'tuf')).toBe('{"\uE000":2,"\u{1F600}":1}');
    expect(canonicalString({ '\u{1F600}': 1, '\uE000': 2 }, 'tuf-utf16')).toBe(canonicalize({ '\u{1F600}': 1, '\uE000': 2 }));
  });

  it('verifies a targets file signed over the UTF-16 order (as @tufjs/models signs) and over ours', async () => {
    const k = await makeKey('tuf', 'ed25519');
    const hashes = { sha256: 'ab'.repeat(32) };
    const signed: JsonObject = {
      _type: 'targets',
      spec_version: '1.0.31',
      version: 1,
      expires: FAR,
      targets: { '\u{1F600}.tar.gz': { length: 1, hashes }, '\uE000.tar.gz': { length: 2, hashes } },
    };
    const policy = { keyids: [k.keyId], threshold: 1 };
    const keys = new Map([[k.keyId, { keyId: k.keyId, key: k.key, json: k.json }]]);
    for (const bytes of [enc.encode(canonicalize(signed)), getProfile('tuf').canonical(signed)]) {
      const sig = Buffer.from(await k.sign(bytes)).toString('hex');
      const file = enc.encode(JSON.stringify({ signed, signatures: [{ keyid: k.keyId, sig }] }));
      const md = parseMetadata(file, 'targets', { maxBytes: 1 << 20, source: 'targets.json' });
      expect(verifyRole(md, 'targets', policy, keys).verified).toBe(true);
    }
    // A signature over something else still fails.
    const other = Buffer.from(await k.sign(enc.encode('{}'))).toString('hex');
    const md = parseMetadata(enc.encode(JSON.stringify({ signed, signatures: [{ keyid: k.keyId, sig: other }] })), 'targets', { maxBytes: 1 << 20, source: 't' });
    expect(verifyRole(md, 'targets', policy, keys)).toMatchObject({ verified: false, invalid: [k.keyId] });
  });
});

describe('signing refuses what Notary cannot carry', () => {
  it('a target name with a control character is refused before anyone signs (Notary profile)', async () => {
    const { signMetadata } = await import('../../../src/tuf/sign.js');
    const k = await makeKey('notary', 'ecdsa-p256');
    const signed: JsonObject = { _type: 'Targets', version: 1, expires: FAR, targets: { 'tab\there': { length: 1, hashes: { sha256: 'q'.repeat(43) + '=' } } } };
    let calls = 0;
    const signer = { ...k, sign: (d: Uint8Array) => (calls++, k.sign(d)) };
    await expect(signMetadata('notary', signed, [signer])).rejects.toMatchObject({ code: 'SCHEMA_INVALID' });
    expect(calls).toBe(0);
    // The TUF profile writes files with JSON escaping, so the same name is fine there.
    const t = await makeKey('tuf', 'ed25519');
    const tufSigned: JsonObject = { _type: 'targets', spec_version: '1.0.31', version: 1, expires: FAR, targets: { 'tab\there': { length: 1, hashes: { sha256: 'ab'.repeat(32) } } } };
    await expect(signMetadata('tuf', tufSigned, [t])).resolves.toBeDefined();
  });
});
