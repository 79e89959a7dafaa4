/**
 * The Import screen with attestations.json in the bundle (issue #13), driven in Chromium: a trust bundle
 * whose attestations.json files a real YubiKey attestation (Docker's TUF ceremony, serial 25515003:
 * test/vectors/yubikey-attestation) under one of the repository's root keys — a key that YubiKey never
 * made — is refused by the verification with ATTESTATION_KEY_MISMATCH before anything is written: no
 * Install button, the trust directory byte for byte as it was.
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeAttestations } from '../../src/attestation/attestations-file.js';
import { encodeBundle } from '../../src/bundle/format.js';
import { bundleContent, GUN, makeBundle, treeHash, type BundleFixture } from './support/import-fixtures.js';
import { startSession, type E2eSession } from './support/session.js';

const VECTORS = join(import.meta.dirname, '..', 'vectors', 'yubikey-attestation');
const cert = (name: string) => new Uint8Array(new X509Certificate(readFileSync(join(VECTORS, name))).raw);

let session: E2eSession;
let work: string;
let trustDir: string;
let fx: BundleFixture;
let forgedPath: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tufc-e2e-import-attest-'));
  trustDir = join(work, 'site', 'trust');
  mkdirSync(trustDir, { recursive: true });
  fx = await makeBundle(work, 'good');
  const attestations = encodeAttestations(new Map([[fx.repo.keys.root[0]!.keyId, { kind: 'yubico-piv' as const, attestationDer: cert('docker-tuf-25515003-slot9c.pem'), deviceDer: cert('docker-tuf-25515003-f9.pem') }]]));
  const content = bundleContent(fx.repo, GUN);
  forgedPath = join(work, 'claimed.tufbundle');
  writeFileSync(forgedPath, encodeBundle({ ...content, files: [...content.files, { name: 'attestations.json', bytes: attestations }] }));
  session = await startSession({ importTrustDir: async () => trustDir });
}, 120_000);

afterAll(async () => {
  await session?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('Import screen: attestations.json', () => {
  test('an attestation filed under a key that YubiKey did not make: refused with its code, nothing written', async () => {
    const { page, errors, choose } = await session.open('import');
    await page.getByRole('button', { name: 'Choose the trust directory…' }).click();
    await page.getByText(`Installing into ${trustDir}`).waitFor();
    await choose('Pin a root.json…', fx.pinPath);
    await page.getByText(/^Pinned: /).waitFor();
    const before = treeHash(join(work, 'site'));
    await choose('Open a bundle file…', forgedPath);
    const failed = page.getByRole('alert').filter({ hasText: 'Verification failed' });
    await failed.waitFor();
    await expect(failed.locator('code.code').textContent()).resolves.toBe('ATTESTATION_KEY_MISMATCH');
    await expect(page.getByRole('button', { name: 'Install into the trust directory' }).count()).resolves.toBe(0);
    expect(treeHash(join(work, 'site'))).toBe(before);
    expect(errors).toEqual([]);
  }, 120_000);
});
