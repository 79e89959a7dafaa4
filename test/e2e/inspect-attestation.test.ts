/**
 * The Inspect screen with attestations.json (issue #13), driven in Chromium as a person would: a metadata
 * directory whose root lists a key generated on a real YubiKey (the Docker TUF ceremony's, serial 25515003,
 * firmware 5.4.3: test/vectors/yubikey-attestation, sources named in test/unit/attestation/verify.test.ts)
 * beside a software key that signs. The app checks the chain against Yubico's bundled roots — no test root
 * can reach the app — and says in words where each key was generated, or why not; evidence filed under the
 * other key is shown refused with its code.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encodeAttestations, type AttestationEntry } from '../../src/attestation/attestations-file.js';
import { listPublicKey } from '../../src/signers/public-key-json.js';
import { makeKey, type TestKey } from '../support/keys.js';
import { rootSigned, sign } from '../support/repo.js';
import { writeFiles } from './support/repo-dir.js';
import { startSession, type E2eSession } from './support/session.js';

const VECTORS = join(import.meta.dirname, '..', 'vectors', 'yubikey-attestation');
const cert = (name: string) => new X509Certificate(readFileSync(join(VECTORS, name)));

let session: E2eSession;
let work: string;
let goodDir: string;
let swappedDir: string;
let yubiKeyId: string;
let softwareKeyId: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tufc-e2e-attest-'));
  const leaf = cert('docker-tuf-25515003-slot9c.pem');
  const entry: AttestationEntry = { kind: 'yubico-piv', attestationDer: new Uint8Array(leaf.raw), deviceDer: new Uint8Array(cert('docker-tuf-25515003-f9.pem').raw) };
  const listed = listPublicKey('tuf', new Uint8Array(leaf.publicKey.export({ type: 'spki', format: 'der' })));
  // The YubiKey's public key only: it is listed, never asked to sign.
  const yubi = { keyId: listed.keyId, json: listed.json, sign: () => Promise.reject(new Error('not here')) } as unknown as TestKey;
  const soft = await makeKey('tuf', 'ecdsa-p256');
  yubiKeyId = yubi.keyId;
  softwareKeyId = soft.keyId;
  const root = await sign('tuf', rootSigned('tuf', 1, { root: [yubi, soft], targets: [soft], snapshot: [soft], timestamp: [soft] }), [soft]);
  goodDir = writeFiles(join(work, 'attested', 'metadata'), new Map([['root.json', root], ['attestations.json', encodeAttestations(new Map([[yubiKeyId, entry]]))]]));
  swappedDir = writeFiles(join(work, 'swapped', 'metadata'), new Map([['root.json', root], ['attestations.json', encodeAttestations(new Map([[softwareKeyId, entry]]))]]));
  session = await startSession();
}, 120_000);

afterAll(async () => {
  await session?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('Inspect screen: attestations', () => {
  test('says which key was generated on which YubiKey, and that the other key has no attestation', async () => {
    const { page, errors, choose } = await session.open();
    await choose('Open a metadata directory…', goodDir);
    const panel = page.getByRole('region', { name: 'Where the keys were generated' });
    await panel.waitFor();
    const items = panel.getByRole('listitem');
    await expect(items.count()).resolves.toBe(2);
    const attested = items.filter({ hasText: yubiKeyId.slice(0, 16) });
    expect(await attested.innerText()).toMatch(/✓\s*Attested/);
    expect(await attested.innerText()).toMatch(new RegExp(`key ${yubiKeyId.slice(0, 16)}… \\(root\\) was generated on YubiKey serial 25515003, firmware 5\\.4\\.3, slot 9c, form factor .*, PIN policy [a-z-]+, touch policy [a-z-]+; chain .*Yubico PIV Root CA Serial 263751`));
    expect(await attested.innerText()).not.toContain('NOT a Yubico root');
    const other = items.filter({ hasText: softwareKeyId.slice(0, 16) });
    expect(await other.innerText()).toContain('no attestation (nothing shows where this key was generated)');
    await page.screenshot({ path: '/tmp/e2e-inspect-attestation.png', fullPage: true });
    expect(errors).toEqual([]);
  }, 120_000);

  test('evidence filed under another key is refused with its code, in words', async () => {
    const { page, errors, choose } = await session.open();
    await choose('Open a metadata directory…', swappedDir);
    const panel = page.getByRole('region', { name: 'Where the keys were generated' });
    await panel.waitFor();
    const refused = panel.getByRole('listitem').filter({ hasText: softwareKeyId.slice(0, 16) });
    expect(await refused.innerText()).toMatch(/✗\s*Refused\s*ATTESTATION_KEY_MISMATCH/);
    expect(await refused.innerText()).toContain('another public key than the one root.json lists');
    expect(errors).toEqual([]);
  }, 120_000);
});
