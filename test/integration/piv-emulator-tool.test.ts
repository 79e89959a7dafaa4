/**
 * The PIV card emulator (test/support/piv) is faithful enough for tools nobody here wrote: Debian's
 * yubico-piv-tool 2.2.0 talks to it through the real stack (libpcsclite → a private pcscd → vsmartcard's
 * vpcd driver → the emulator over TCP). Status, PIN verification with retry counting and lockout, PUK
 * unblock, key generation after management-key authentication (3DES challenge–response), a certificate
 * signed on the card and stored in its object, the tool's own signature test, and attestation whose chain
 * node:crypto verifies to the TEST root. Then yubikey-manager's `ykman piv info` (Debian's 4.0.9) reads it.
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { X509Certificate, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestAttestationPki, type TestAttestationPki } from '../support/piv/attestation-ca.js';
import { startEmulatedYubiKey, type EmulatedYubiKey } from '../support/piv/emulator.js';
import { startPcscd, type PrivatePcscd } from '../support/piv/pcscd.js';

let pcscd: PrivatePcscd;
let card: EmulatedYubiKey;
let pki: TestAttestationPki;
let dir: string;

async function certificateFor(publicKey: KeyObject): Promise<string> {
  const ca = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: 'CN=emulator slot 9d',
    issuer: 'CN=throwaway',
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2035-01-01T00:00:00Z'),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    publicKey: await webcrypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']),
    signingKey: ca.privateKey,
  });
  return cert.toString('pem') + '\n';
}

/** Runs the tool with stdin closed, so one that wanted to prompt fails instead of waiting. */
function tool(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile('yubico-piv-tool', args, { env: pcscd.env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ stdout, stderr, code: error ? (typeof error.code === 'number' ? error.code : -1) : 0 });
    });
    child.stdin?.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'piv-tool-'));
  pki = await makeTestAttestationPki('legacy');
  pcscd = await startPcscd(1);
  card = await startEmulatedYubiKey(pcscd, 0, { serial: 20260001, firmware: [5, 4, 3] }, pki);
}, 120_000);

afterAll(async () => {
  await card?.stop();
  await pcscd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('yubico-piv-tool 2.2.0 against the emulated YubiKey', () => {
  it('-a status reads the version, serial and PIN tries', async () => {
    const out = await tool('-a', 'status');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/Version:\s+5\.4\.3/);
    expect(out.stdout).toMatch(/Serial Number:\s+20260001/);
    expect(out.stdout).toMatch(/PIN tries left:\s+3/);
  });

  it('-a verify-pin accepts the PIN, counts wrong ones down, locks, and the PUK unblocks', async () => {
    const ok = await tool('-a', 'verify-pin', '-P', '123456');
    expect(ok.stdout + ok.stderr).toMatch(/Successfully verified PIN/);
    const wrong = await tool('-a', 'verify-pin', '-P', '654321');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr + wrong.stdout).toMatch(/2 tries left/);
    await tool('-a', 'verify-pin', '-P', '654321');
    const last = await tool('-a', 'verify-pin', '-P', '654321');
    expect(last.stderr + last.stdout).toMatch(/0 tries left|blocked/i);
    const locked = await tool('-a', 'verify-pin', '-P', '123456');
    expect(locked.code).not.toBe(0);
    expect(locked.stderr + locked.stdout).toMatch(/blocked/i);
    expect((await card.events()).pinRetries).toBe(0);
    const unblock = await tool('-a', 'unblock-pin', '-P', '12345678', '-N', '123456');
    expect(unblock.code, unblock.stderr).toBe(0);
    const again = await tool('-a', 'verify-pin', '-P', '123456');
    expect(again.stdout + again.stderr).toMatch(/Successfully verified PIN/);
  });

  it('-a generate needs the management key, makes an ECDSA key; the tool signs with it and the card attests it', async () => {
    const wrongKey = await tool('-a', 'generate', '-s', '9d', '-A', 'ECCP256', '--key=000000000000000000000000000000000000000000000000');
    expect(wrongKey.code).not.toBe(0);
    expect(wrongKey.stderr).toMatch(/Failed authentication/);
    expect(await card.publicPoint(0x9d)).toBeUndefined();

    const pubFile = join(dir, 'pub.pem');
    const gen = await tool('-a', 'generate', '-s', '9d', '-A', 'ECCP256', '-o', pubFile);
    expect(gen.code, gen.stderr).toBe(0);
    const pub = createPublicKey(readFileSync(pubFile));
    const point = await card.publicPoint(0x9d);
    expect(Buffer.from(pub.export({ format: 'jwk' }).x!, 'base64url')).toEqual(Buffer.from(point!.subarray(1, 33)));

    // The tool's selfsign-certificate fails inside OpenSSL 3 before it talks to the card (Debian's 2.2.0),
    // so the slot's certificate is made here for the card's public key (signed by a throwaway CA), stored
    // on the card (PUT DATA), read back, and the tool's own signature test signs on the card (GENERAL
    // AUTHENTICATE) and verifies with that certificate's key.
    const certFile = join(dir, 'cert.pem');
    writeFileSync(certFile, await certificateFor(pub));
    const imported = await tool('-a', 'import-certificate', '-s', '9d', '-i', certFile);
    expect(imported.code, imported.stderr).toBe(0);
    const signed = await tool('-a', 'verify-pin', '-P', '123456', '-a', 'test-signature', '-s', '9d', '-i', certFile);
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stderr + signed.stdout).toMatch(/Successful/i);
    expect((await tool('-a', 'read-certificate', '-s', '9d')).stdout).toBe(readFileSync(certFile, 'utf8'));

    const attest = await tool('-a', 'attest', '-s', '9d');
    expect(attest.code, attest.stderr).toBe(0);
    const f9 = await tool('-a', 'read-certificate', '-s', 'f9');
    expect(f9.code, f9.stderr).toBe(0);
    const leaf = new X509Certificate(attest.stdout);
    const device = new X509Certificate(f9.stdout);
    const root = new X509Certificate(pki.rootPem);
    expect(leaf.subject).toBe('CN=YubiKey PIV Attestation 9d');
    expect(leaf.verify(device.publicKey)).toBe(true);
    expect(device.verify(root.publicKey)).toBe(true);
    expect(leaf.publicKey.export({ format: 'der', type: 'spki' })).toEqual(pub.export({ format: 'der', type: 'spki' }));

    // No key in 9e: nothing to attest.
    const empty = await tool('-a', 'attest', '-s', '9e');
    expect(empty.code).not.toBe(0);
  });
});

/** yubikey-manager (Debian's ykman 4.0.9): device info from the management application, PIV metadata. */
function ykman(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    // vpcd offers a second, empty reader slot: name ours, or ykman counts two YubiKeys.
    const child = execFile('ykman', ['--reader', 'CCID 0 00 00', ...args], { env: pcscd.env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ stdout, stderr, code: error ? (typeof error.code === 'number' ? error.code : -1) : 0 });
    });
    child.stdin?.end();
  });
}

describe('ykman 4.0.9 against the emulated YubiKey', () => {
  it('piv info reads version, PIN tries, the default management key warning and the slot certificate', async () => {
    const out = await ykman('piv', 'info');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/PIV version: 5\.4\.3/);
    expect(out.stdout).toMatch(/PIN tries remaining: 3\/3/);
    expect(out.stdout).toMatch(/default Management key/);
    expect(out.stdout).toMatch(/Management key algorithm: TDES/);
    // The certificate imported into 9d by the yubico-piv-tool test is listed under its slot.
    expect(out.stdout).toMatch(/Slot 9d:[\s\S]*CN=emulator slot 9d/);
  });
});
