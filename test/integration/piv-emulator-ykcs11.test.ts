/**
 * Debian's ykcs11 (yubico-piv-tool 2.2.0) over pkcs11js against the emulated YubiKey, through the same
 * private pcscd and vpcd as the yubico-piv-tool test: the behaviour FIELD-NOTES records from ykcs11's
 * source, now observed — token info names Yubico, key generation needs the SO login (the management key,
 * 48 hex digits), CKA_ID's first byte chooses the PIV slot, CKU_USER is refused after SO, a 9C key takes a
 * context-specific login before every signature, and each generated key appears with its attestation
 * certificate ("X.509 Certificate for PIV Attestation 9c") under the same CKA_ID, and the f9 certificate under ID 25;
 * a touch-"always" key waits for the touch and fails when nobody touches.
 */
import { createHash, createPublicKey, verify as nodeVerify, X509Certificate } from 'node:crypto';
import * as pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestAttestationPki, type TestAttestationPki } from '../support/piv/attestation-ca.js';
import { DEFAULT_MANAGEMENT_KEY } from '../support/piv/card.js';
import { startEmulatedYubiKey, type EmulatedYubiKey } from '../support/piv/emulator.js';
import { startPcscd, type PrivatePcscd } from '../support/piv/pcscd.js';

const YKCS11 = '/usr/lib/x86_64-linux-gnu/libykcs11.so';
const P256 = Buffer.from('06082a8648ce3d030107', 'hex');
const CKU_CONTEXT_SPECIFIC = 2;

let pcscd: PrivatePcscd;
let card: EmulatedYubiKey;
let pki: TestAttestationPki;
let pkcs11: pkcs11js.PKCS11;

beforeAll(async () => {
  pki = await makeTestAttestationPki('current');
  pcscd = await startPcscd(1);
  card = await startEmulatedYubiKey(pcscd, 0, { serial: 20260002, firmware: [5, 7, 4], slotPolicies: { '82': { touch: 'always' } }, touch: { delayMs: 300, answer: true } }, pki);
  // libpcsclite reads this when ykcs11 establishes its context (C_Initialize).
  process.env.PCSCLITE_CSOCK_NAME = pcscd.socketPath;
  pkcs11 = new pkcs11js.PKCS11();
  pkcs11.load(YKCS11);
  pkcs11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
}, 120_000);

afterAll(async () => {
  try {
    pkcs11?.C_Finalize();
  } finally {
    await card?.stop();
    await pcscd?.stop();
    delete process.env.PCSCLITE_CSOCK_NAME;
  }
});

function rv(fn: () => unknown): string {
  try {
    fn();
    return 'CKR_OK';
  } catch (e) {
    return /CKR_\w+/.exec(String(e))?.[0] ?? String(e);
  }
}

function generate(session: Buffer, id: number): { publicKey: Buffer; privateKey: Buffer } {
  return pkcs11.C_GenerateKeyPair(
    session,
    { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN },
    [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
      { type: pkcs11js.CKA_EC_PARAMS, value: P256 },
      { type: pkcs11js.CKA_ID, value: Buffer.of(id) },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_VERIFY, value: true },
    ],
    [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
      { type: pkcs11js.CKA_ID, value: Buffer.of(id) },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_SIGN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
    ],
  );
}

function find(session: Buffer, template: pkcs11js.Template): Buffer[] {
  pkcs11.C_FindObjectsInit(session, template);
  const out = pkcs11.C_FindObjects(session, 100);
  pkcs11.C_FindObjectsFinal(session);
  return out;
}

function sign(session: Buffer, key: Buffer, digest: Buffer, pin?: string): Buffer {
  pkcs11.C_SignInit(session, { mechanism: pkcs11js.CKM_ECDSA }, key);
  if (pin) pkcs11.C_Login(session, CKU_CONTEXT_SPECIFIC, pin);
  return pkcs11.C_Sign(session, digest, Buffer.alloc(128));
}

describe('ykcs11 2.2.0 against the emulated YubiKey', () => {
  it('lists the token with Yubico as manufacturer and the serial in its info', () => {
    const slots = pkcs11.C_GetSlotList(true);
    expect(slots.length).toBe(1);
    const info = pkcs11.C_GetTokenInfo(slots[0]!);
    expect(info.manufacturerID.trim()).toBe('Yubico (www.yubico.com)');
    expect(info.model.trim()).toMatch(/YubiKey/);
    expect(info.serialNumber.trim()).toBe('20260002');
  });

  it('generates only after the SO login, in the slot the first CKA_ID byte names, and signs with context-specific logins', async () => {
    const slot = pkcs11.C_GetSlotList(true)[0]!;
    const session = pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      // No SO login: ykcs11 refuses generation before anything reaches the card.
      expect(rv(() => generate(session, 2))).not.toBe('CKR_OK');
      expect((await card.events()).events.generated).toEqual([]);
      expect(rv(() => pkcs11.C_Login(session, pkcs11js.CKU_SO, '000000000000000000000000000000000000000000000000'))).toBe('CKR_PIN_INCORRECT');
      pkcs11.C_Login(session, pkcs11js.CKU_SO, DEFAULT_MANAGEMENT_KEY);
      expect(rv(() => pkcs11.C_Login(session, pkcs11js.CKU_USER, '123456'))).toBe('CKR_USER_ANOTHER_ALREADY_LOGGED_IN');

      // CKA_ID 2 is slot 9C (PIN always); 5 is the first retired slot, 82.
      const sig9c = generate(session, 2);
      const ret82 = generate(session, 5);
      expect((await card.events()).events.generated).toEqual(['9c', '82']);
      const point9c = (await card.publicPoint(0x9c))!;
      const point82 = (await card.publicPoint(0x82))!;
      const ecPoint = (key: Buffer) => pkcs11.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_EC_POINT }])[0]!.value as Buffer;
      // CKA_EC_POINT is a DER OCTET STRING (04 41) around the uncompressed point.
      expect(ecPoint(sig9c.publicKey).subarray(2)).toEqual(Buffer.from(point9c));
      expect(ecPoint(ret82.publicKey).subarray(2)).toEqual(Buffer.from(point82));

      const message = Buffer.from('tuf-ceremony');
      const digest = createHash('sha256').update(message).digest();
      const spki9c = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: Buffer.from(point9c.subarray(1, 33)).toString('base64url'), y: Buffer.from(point9c.subarray(33)).toString('base64url') }, format: 'jwk' });
      // A 9C key signs only right after a context-specific login, once per signature.
      for (let i = 0; i < 2; i++) {
        const raw = sign(session, sig9c.privateKey, digest, '123456');
        expect(nodeVerify('sha256', message, { key: spki9c, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
      }
      expect(rv(() => sign(session, sig9c.privateKey, digest))).not.toBe('CKR_OK');
      expect((await card.events()).events.signatures).toBe(2);

      // Attestation certificates appear beside the keys, under the same CKA_ID, and chain to the TEST PKI.
      const certs = find(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE }, { type: pkcs11js.CKA_ID, value: Buffer.of(2) }]);
      const labels = certs.map((h) => String(pkcs11.C_GetAttributeValue(session, h, [{ type: pkcs11js.CKA_LABEL }])[0]!.value));
      expect(labels).toContain('X.509 Certificate for PIV Attestation 9c');
      const att = certs[labels.indexOf('X.509 Certificate for PIV Attestation 9c')]!;
      const leaf = new X509Certificate(pkcs11.C_GetAttributeValue(session, att, [{ type: pkcs11js.CKA_VALUE }])[0]!.value as Buffer);
      const f9 = find(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE }, { type: pkcs11js.CKA_ID, value: Buffer.of(25) }]);
      expect(f9.length).toBeGreaterThan(0);
      const device = new X509Certificate(pkcs11.C_GetAttributeValue(session, f9[0]!, [{ type: pkcs11js.CKA_VALUE }])[0]!.value as Buffer);
      expect(leaf.verify(device.publicKey)).toBe(true);
      expect(device.verify(new X509Certificate(pki.intermediatePems[0]!).publicKey)).toBe(true);
      expect(leaf.publicKey.export({ format: 'der', type: 'spki' })).toEqual(spki9c.export({ format: 'der', type: 'spki' }));

      // Slot 82 was prepared with touch "always": a signature waits for the (simulated) touch; an
      // unanswered touch fails the signature. A PIN-once key needs the user login, so leave SO first.
      pkcs11.C_Logout(session);
      pkcs11.C_Login(session, pkcs11js.CKU_USER, '123456');
      const raw82 = sign(session, ret82.privateKey, digest);
      expect(raw82.length).toBe(64);
      expect((await card.events()).events.touches).toBe(1);
      await card.setTouch({ delayMs: 300, answer: false });
      expect(rv(() => sign(session, ret82.privateKey, digest))).not.toBe('CKR_OK');
      expect((await card.events()).events.touches).toBe(1);
    } finally {
      pkcs11.C_CloseSession(session);
    }
  });
});
