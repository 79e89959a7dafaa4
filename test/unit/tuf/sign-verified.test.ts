/**
 * signMetadata verifies every signature before it keeps it, and skips only the check a signer has
 * provably made already (MetadataSigner.verifiedAs, set by signers/metadata-signer.ts over a SigningKey:
 * the same key, the same scheme, the same signature bytes). Issue #17: that was a second ECDSA check of
 * each metadata signature in a ceremony.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import { getProfile } from '../../../src/profiles/index.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { listPublicKey } from '../../../src/signers/public-key-json.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import type { MetadataSigner } from '../../../src/tuf/sign.js';
import { signMetadata } from '../../../src/tuf/sign.js';

const signed: JsonObject = { _type: 'Targets', version: 1, expires: '2030-01-01T00:00:00Z', targets: {} };

async function refusal(p: Promise<unknown>): Promise<CeremonyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CeremonyError);
  return err as CeremonyError;
}

afterEach(() => vi.restoreAllMocks());

describe('signMetadata and the check a signer has already made', () => {
  it('Notary, a SigningKey: the key verifies (once), signMetadata does not verify the same signature again, and the envelope verifies', async () => {
    const key = SoftwareKey.generate('ecdsa-p256');
    const signer = metadataSigner(key, listPublicKey('notary', key.spki));
    const profile = getProfile('notary');
    const verify = vi.spyOn(profile, 'verify');
    const envelope = await signMetadata('notary', signed, [signer]);
    expect(verify).not.toHaveBeenCalled();
    verify.mockRestore();
    const sig = envelope.signatures[0]!;
    expect(profile.verify(signer.key, profile.decodeSignature(sig, signer.key, '$'), profile.canonical(signed))).toBe(true);
  });

  it('TUF ECDSA: the envelope carries DER, not the raw signature the key checked, so signMetadata verifies it itself', async () => {
    const key = SoftwareKey.generate('ecdsa-p256');
    const profile = getProfile('tuf');
    const verify = vi.spyOn(profile, 'verify');
    await signMetadata('tuf', signed, [metadataSigner(key, listPublicKey('tuf', key.spki))]);
    expect(verify).toHaveBeenCalledTimes(1);
  });

  const liar = (profile: ProfileName, verifiedAs: (s: MetadataSigner) => MetadataSigner['verifiedAs']): MetadataSigner => {
    const key = SoftwareKey.generate('ecdsa-p256');
    const other = SoftwareKey.generate('ecdsa-p256');
    const honest = metadataSigner(key, listPublicKey(profile, key.spki));
    // Signs with another key and does not check it: only signMetadata's own check can catch it.
    return { ...honest, sign: (data: Uint8Array) => other.sign(data, 'sha256'), verifiedAs: verifiedAs(honest) };
  };

  it.each([
    ['says nothing (no verifiedAs)', (): MetadataSigner['verifiedAs'] => undefined],
    ['vouches for another key', (s: MetadataSigner): MetadataSigner['verifiedAs'] => ({ ...s.verifiedAs!, fingerprint: '00'.repeat(32) })],
    ['vouches under another digest', (s: MetadataSigner): MetadataSigner['verifiedAs'] => ({ ...s.verifiedAs!, scheme: { kind: 'ecdsa', hash: 'sha384', encoding: 'ieee-p1363' } })],
    ['vouches under another encoding', (s: MetadataSigner): MetadataSigner['verifiedAs'] => ({ ...s.verifiedAs!, scheme: { kind: 'ecdsa', hash: 'sha256', encoding: 'der' } })],
  ])('a signer that returns a bad signature and %s is refused (THRESHOLD_NOT_MET), nothing kept', async (_what, verifiedAs) => {
    expect((await refusal(signMetadata('notary', signed, [liar('notary', verifiedAs)]))).code).toBe('THRESHOLD_NOT_MET');
  });

  it('a SigningKey whose signature does not verify is refused by the key itself (TOKEN_SIGNATURE_INVALID) before signMetadata sees it', async () => {
    const key = SoftwareKey.generate('ecdsa-p256');
    const other = SoftwareKey.generate('ecdsa-p256');
    // The key's own check sees another key's signature: requireValidSignature in SoftwareKey.sign.
    const broken = Object.create(key) as SoftwareKey;
    Object.defineProperty(broken, 'spki', { value: other.spki });
    Object.defineProperty(broken, 'fingerprint', { value: other.fingerprint });
    const signer = metadataSigner(broken, listPublicKey('notary', other.spki));
    expect((await refusal(signMetadata('notary', signed, [signer]))).code).toBe('TOKEN_SIGNATURE_INVALID');
  });
});
