/**
 * attestations.json against a repository's root (src/attestation/repository.ts): what verify, import,
 * inspect and the app's Inspect screen say per key, and a table with every refusal code in strict mode
 * (verify, import, ceremony) and the same code listed in inspect mode. The evidence is real: the Docker TUF
 * ceremony's YubiKey attestations (firmware 5.4.3, test/vectors/yubikey-attestation; sources named in
 * verify.test.ts), listed in a root.json made here.
 */
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeAttestations, type AttestationEntry } from '../../../src/attestation/attestations-file.js';
import { attestationLines, checkRepositoryAttestations, type AttestationRequirement } from '../../../src/attestation/repository.js';
import { trustFromCertificates } from '../../../src/attestation/yubico-pki.js';
import { CeremonyError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import { listPublicKey } from '../../../src/signers/public-key-json.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import type { Root } from '../../../src/tuf/root.js';
import { makeTestAttestationPki } from '../../support/piv/attestation-ca.js';

const VECTORS = join(import.meta.dirname, '..', '..', 'vectors', 'yubikey-attestation');
const NOW = new Date('2026-12-01T00:00:00Z');
const cert = (name: string) => new X509Certificate(readFileSync(join(VECTORS, name)));
const der = (c: X509Certificate) => new Uint8Array(c.raw);

function device(serial: number): { spki: Uint8Array; entry: AttestationEntry } {
  const leaf = cert(`docker-tuf-${serial}-slot9c.pem`);
  return { spki: new Uint8Array(leaf.publicKey.export({ type: 'spki', format: 'der' })), entry: { kind: 'yubico-piv', attestationDer: der(leaf), deviceDer: der(cert(`docker-tuf-${serial}-f9.pem`)) } };
}

const a = device(25515003);
const b = device(28751288);
const software = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }));
const A = listPublicKey('tuf', a.spki);
const B = listPublicKey('tuf', b.spki);
const S = listPublicKey('tuf', software);

/** root.json: root keys A, B and a software key S; S also holds targets, snapshot and timestamp. */
function rootOf(): Root {
  const signed: JsonObject = {
    _type: 'root',
    spec_version: '1.0.31',
    version: 1,
    expires: '2036-01-01T00:00:00Z',
    consistent_snapshot: false,
    keys: { [A.keyId]: A.json, [B.keyId]: B.json, [S.keyId]: S.json },
    roles: {
      root: { keyids: [A.keyId, B.keyId, S.keyId], threshold: 2 },
      targets: { keyids: [S.keyId], threshold: 1 },
      snapshot: { keyids: [S.keyId], threshold: 1 },
      timestamp: { keyids: [S.keyId], threshold: 1 },
    },
  };
  return parseMetadata(new TextEncoder().encode(JSON.stringify({ signed, signatures: [] })), 'root', { maxBytes: 1 << 20, source: 'root.json' }).signed;
}

function code(fn: () => unknown): string {
  try {
    fn();
    return 'OK';
  } catch (e) {
    if (e instanceof CeremonyError) return e.code;
    throw e;
  }
}

describe('attestations.json against a root', () => {
  const root = rootOf();
  const file = encodeAttestations(new Map([[A.keyId, a.entry], [B.keyId, b.entry]]));

  it('says per key, in words, on which YubiKey it was generated, or that nothing shows where', () => {
    const report = checkRepositoryAttestations(root, file, { strict: true, now: NOW })!;
    expect(report.present).toBe(true);
    expect(report.keys.map((k) => [k.keyId, k.status])).toEqual(
      [
        [A.keyId, 'verified'],
        [B.keyId, 'verified'],
        [S.keyId, 'none'],
      ].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
    );
    const first = report.keys.find((k) => k.keyId === A.keyId)!;
    expect(first.sentence).toMatch(new RegExp(`^key ${A.keyId.slice(0, 16)}… \\(root\\) was generated on YubiKey serial 25515003, firmware 5\\.4\\.3, slot 9c, form factor [^,]+, PIN policy [a-z-]+, touch policy [a-z-]+; chain "`));
    expect(first.facts).toMatchObject({ serial: 25515003, firmware: '5.4.3', slot: '9c', yubicoRoot: true });
    expect(report.keys.find((k) => k.keyId === S.keyId)!.sentence).toBe(`key ${S.keyId.slice(0, 16)}… (root, targets, snapshot, timestamp): no attestation (nothing shows where this key was generated)`);
    expect(attestationLines(report)[0]).toBe('attestations (attestations.json):');
    // Nothing to say without a file when nothing is required.
    expect(checkRepositoryAttestations(root, undefined, { strict: true, now: NOW })).toBeUndefined();
  });

  const facts = checkRepositoryAttestations(root, file, { strict: true, now: NOW })!.keys.find((k) => k.keyId === A.keyId)!.facts!;
  const otherTouch = facts.touchPolicy === 'always' ? 'never' : 'always';
  const otherPin = facts.pinPolicy === 'always' ? 'once' : 'always';

  it('refuses each hostile case with its own code (strict), and lists the same code per key (inspect)', async () => {
    const testPki = await makeTestAttestationPki('legacy');
    const testTrust = trustFromCertificates([new X509Certificate(testPki.rootPem)]);
    const require = (r: AttestationRequirement) => ({ requirement: r });
    const table: Array<[string, Uint8Array | undefined, object, string]> = [
      ['a broken chain: the f9 certificate of another YubiKey', encodeAttestations(new Map([[A.keyId, { ...a.entry, deviceDer: b.entry.deviceDer }]])), {}, 'ATTESTATION_CHAIN_BROKEN'],
      ['an unknown root: only a test root is trusted', file, { trust: testTrust }, 'ATTESTATION_UNKNOWN_ROOT'],
      ['an attested key that differs: B’s evidence under A’s key ID', encodeAttestations(new Map([[A.keyId, b.entry]])), {}, 'ATTESTATION_KEY_MISMATCH'],
      ['evidence for a key the root does not list', encodeAttestations(new Map([['ab'.repeat(32), a.entry]])), {}, 'ATTESTATION_KEY_MISMATCH'],
      ['a PIN policy the plan forbids', file, require({ required: false, pinPolicy: [otherPin] }), 'ATTESTATION_POLICY_FORBIDDEN'],
      ['a touch policy the plan forbids', file, require({ required: false, touchPolicy: [otherTouch] }), 'ATTESTATION_POLICY_FORBIDDEN'],
      ['every root key required: the software root key has none', file, require({ required: true }), 'ATTESTATION_MISSING'],
      ['every root key required, and no attestations.json at all', undefined, require({ required: true }), 'ATTESTATION_MISSING'],
      ['the attestation certificate replaced by the f9 certificate', encodeAttestations(new Map([[A.keyId, { ...a.entry, attestationDer: a.entry.deviceDer }]])), {}, 'ATTESTATION_MALFORMED'],
      ['after the Yubico root expires', file, { now: new Date('2053-01-01T00:00:00Z') }, 'ATTESTATION_CHAIN_BROKEN'],
      ['not JSON', new TextEncoder().encode('{'), {}, 'JSON_MALFORMED'],
      ['an unknown field', new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(file)), required: false })), {}, 'SCHEMA_INVALID'],
      ['over the size cap', new Uint8Array(1024 * 1024 + 1).fill(0x20), {}, 'INPUT_TOO_LARGE'],
    ];
    for (const [what, bytes, opts, expected] of table) {
      expect(code(() => checkRepositoryAttestations(root, bytes, { strict: true, now: NOW, ...opts })), what).toBe(expected);
      // Inspect: never throws; the file's own problem, or the key's, carries the same code.
      const listed = checkRepositoryAttestations(root, bytes, { strict: false, now: NOW, ...opts })!;
      const codes = [listed.error?.code, ...listed.keys.map((k) => k.code)].filter(Boolean);
      expect(codes, what).toContain(expected);
      for (const k of listed.keys.filter((x) => x.status === 'refused')) expect(k.sentence, what).toContain(`attestation REFUSED [${k.code}]`);
    }
  });
});
