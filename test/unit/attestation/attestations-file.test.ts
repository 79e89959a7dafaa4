/**
 * attestations.json (src/attestation/attestations-file.ts): round trip, per-key results in words, the
 * plan's "every root key attested" rule, and a table of invalid files with their codes. The evidence is
 * the real Docker TUF ceremony attestations (test/vectors/yubikey-attestation, sources named in
 * verify.test.ts).
 */
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAttestations, decodeAttestations, encodeAttestations, type AttestationEntry } from '../../../src/attestation/attestations-file.js';
import { CeremonyError } from '../../../src/errors.js';

const VECTORS = join(import.meta.dirname, '..', '..', 'vectors', 'yubikey-attestation');
const NOW = new Date('2026-12-01T00:00:00Z');
const cert = (name: string) => new X509Certificate(readFileSync(join(VECTORS, name)));

function entryOf(serial: number): { keyId: string; spki: Uint8Array; entry: AttestationEntry } {
  const leaf = cert(`docker-tuf-${serial}-slot9c.pem`);
  const spki = new Uint8Array(leaf.publicKey.export({ type: 'spki', format: 'der' }));
  return { keyId: createHash('sha256').update(spki).digest('hex'), spki, entry: { kind: 'yubico-piv', attestationDer: new Uint8Array(leaf.raw), deviceDer: new Uint8Array(cert(`docker-tuf-${serial}-f9.pem`).raw) } };
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

describe('attestations.json', () => {
  const a = entryOf(25515003);
  const b = entryOf(28751288);
  const other = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' }));
  const otherId = createHash('sha256').update(other).digest('hex');

  it('round-trips and says per key what it attests, or that a key has none', () => {
    const bytes = encodeAttestations(new Map([[b.keyId, b.entry], [a.keyId, a.entry]]));
    expect(encodeAttestations(decodeAttestations(bytes))).toEqual(bytes);
    const keys = new Map([[a.keyId, a.spki], [b.keyId, b.spki], [otherId, other]]);
    const results = checkAttestations(decodeAttestations(bytes), keys, { strict: true, now: NOW });
    expect(results.map((r) => r.status)).toEqual(['verified', 'verified', 'none']);
    expect(results[0]!.sentence).toContain('was generated on YubiKey serial 25515003');
    expect(results[2]!.sentence).toContain('no attestation');
    // The plan requires every root key to be attested: the third key is refused.
    expect(code(() => checkAttestations(decodeAttestations(bytes), keys, { strict: true, now: NOW, required: [otherId] }))).toBe('ATTESTATION_MISSING');
    const report = checkAttestations(decodeAttestations(bytes), keys, { strict: false, now: NOW, required: [otherId] });
    expect(report[2]).toMatchObject({ keyId: otherId, status: 'refused', code: 'ATTESTATION_MISSING' });
  });

  it('refuses evidence filed under another key, or a key the repository does not have', () => {
    const swapped = encodeAttestations(new Map([[a.keyId, b.entry]]));
    expect(code(() => checkAttestations(decodeAttestations(swapped), new Map([[a.keyId, a.spki]]), { strict: true, now: NOW }))).toBe('ATTESTATION_KEY_MISMATCH');
    const stranger = encodeAttestations(new Map([[a.keyId, a.entry]]));
    expect(code(() => checkAttestations(decodeAttestations(stranger), new Map([[otherId, other]]), { strict: true, now: NOW }))).toBe('ATTESTATION_KEY_MISMATCH');
  });

  it('refuses malformed files with their codes', () => {
    const good = JSON.parse(new TextDecoder().decode(encodeAttestations(new Map([[a.keyId, a.entry]])))) as { attestations: Record<string, Record<string, string>>; version: number };
    const pem = good.attestations[a.keyId]!.attestation!;
    const variant = (f: (d: typeof good) => unknown) => {
      const d = JSON.parse(JSON.stringify(good)) as typeof good;
      const r = f(d);
      return new TextEncoder().encode(JSON.stringify(r === undefined ? d : r));
    };
    const table: Array<[string, Uint8Array, string]> = [
      ['not JSON', new TextEncoder().encode('{'), 'JSON_MALFORMED'],
      ['over the cap', new Uint8Array(1024 * 1024 + 1), 'INPUT_TOO_LARGE'],
      ['unknown top-level field', variant((d) => ({ ...d, extra: 1 })), 'SCHEMA_INVALID'],
      ['version 2', variant((d) => ({ ...d, version: 2 })), 'SCHEMA_INVALID'],
      ['key ID not hex', variant((d) => ({ ...d, attestations: { XYZ: d.attestations[a.keyId] } })), 'SCHEMA_INVALID'],
      ['unknown kind', variant((d) => void (d.attestations[a.keyId]!.kind = 'tpm')), 'SCHEMA_INVALID'],
      ['unknown entry field', variant((d) => void (d.attestations[a.keyId]!.note = 'x')), 'SCHEMA_INVALID'],
      ['two certificates in one field', variant((d) => void (d.attestations[a.keyId]!.attestation = pem + pem)), 'ATTESTATION_MALFORMED'],
      ['not PEM', variant((d) => void (d.attestations[a.keyId]!.device = 'hello')), 'ATTESTATION_MALFORMED'],
    ];
    for (const [what, bytes, expected] of table) expect(code(() => decodeAttestations(bytes)), what).toBe(expected);
  });
});
