/**
 * Making ceremony keys on emulated YubiKeys through the project's own PKCS#11 layer (TokenModule →
 * graphene → Debian's ykcs11 2.2.0 → private pcscd → vpcd → test/support/piv): src/signers/pkcs11/piv.ts
 * refuses 9a, f9, an occupied slot, a PIN of the wrong length and a wrong management key before anything
 * is written to the card; a default management key is warned about; generation logs in as SO, self-tests
 * with a context-specific PIN login, and verifies the card's attestation against the TEST root (the
 * bundled Yubico roots refuse it); a 9C key signs only with the PIN each time; a touch-"always" key waits
 * for the touch ("Touch your YubiKey now" before each signature, TOUCH_TIMEOUT when nobody touches), and
 * an attestation policy that forbids its touch policy is refused.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustFromCertificates } from '../../src/attestation/yubico-pki.js';
import { tokenGenerateCommand, type TokenKeysDeps } from '../../src/cli/tokens-keys.js';
import { isCeremonyError } from '../../src/errors.js';
import { finalizeAllModules, TokenModule } from '../../src/signers/pkcs11/module.js';
import { generateOnYubiKey, type YubiKeyGenerateRequest } from '../../src/signers/pkcs11/piv.js';
import { DEFAULT_MANAGEMENT_KEY_WARNING, parseManagementKey } from '../../src/signers/pkcs11/piv-slots.js';
import { signWithTouch, touchPrompt } from '../../src/signers/pkcs11/piv-touch.js';
import type { TokenSession } from '../../src/signers/pkcs11/session.js';
import { captureIo } from '../support/cli-io.js';
import { makeTestAttestationPki, type TestAttestationPki } from '../support/piv/attestation-ca.js';
import { startEmulatedYubiKey, type EmulatedYubiKey } from '../support/piv/emulator.js';
import { startPcscd, type PrivatePcscd } from '../support/piv/pcscd.js';

const YKCS11 = '/usr/lib/x86_64-linux-gnu/libykcs11.so';
const MGMT = '010203040506070801020304050607080102030405060708';

let pcscd: PrivatePcscd;
let card: EmulatedYubiKey;
let pki: TestAttestationPki;
let session: TokenSession;
const warnings: string[] = [];

function request(overrides: Partial<YubiKeyGenerateRequest>): YubiKeyGenerateRequest {
  const { key, isDefault } = parseManagementKey(MGMT);
  return {
    slot: '9d',
    algorithm: 'ecdsa-p256',
    label: 'root key',
    managementKey: key,
    managementKeyIsDefault: isDefault,
    pin: new TextEncoder().encode('123456'),
    attestationTrust: trustFromCertificates([pki.rootPem].map((p) => new X509Certificate(p))),
    warn: (m) => void warnings.push(m),
    ...overrides,
  };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    if (isCeremonyError(e)) return e.code;
    throw e;
  }
}

beforeAll(async () => {
  pki = await makeTestAttestationPki('legacy');
  pcscd = await startPcscd(1);
  card = await startEmulatedYubiKey(pcscd, 0, { serial: 20260003, firmware: [5, 4, 3], slotPolicies: { '83': { touch: 'always' }, '85': { touch: 'always' } }, touch: { delayMs: 300, answer: true } }, pki);
  process.env.PCSCLITE_CSOCK_NAME = pcscd.socketPath;
  const mod = await TokenModule.load(YKCS11);
  const tokens = await mod.listTokens();
  expect(tokens.map((t) => t.serial.trim())).toEqual(['20260003']);
  session = await mod.openToken({ serial: tokens[0]!.serial });
}, 120_000);

afterAll(async () => {
  try {
    await session?.close();
    await finalizeAllModules();
  } finally {
    await card?.stop();
    await pcscd?.stop();
    delete process.env.PCSCLITE_CSOCK_NAME;
  }
});

describe('YubiKey PIV generation through ykcs11 on an emulated card', () => {
  it('refuses 9a, f9, a bad slot name and a PIN of the wrong length before writing anything', async () => {
    expect(await codeOf(generateOnYubiKey(session, request({ slot: '9a' })))).toBe('BINDINGS_INVALID');
    expect(await codeOf(generateOnYubiKey(session, request({ slot: 'f9' })))).toBe('BINDINGS_INVALID');
    expect(await codeOf(generateOnYubiKey(session, request({ slot: '9b' })))).toBe('BINDINGS_INVALID');
    expect(await codeOf(generateOnYubiKey(session, request({ pin: new TextEncoder().encode('123456789') })))).toBe('PIN_INCORRECT');
    expect(await codeOf(generateOnYubiKey(session, request({ managementKey: parseManagementKey('00'.repeat(24)).key, managementKeyIsDefault: false })))).toBe('MANAGEMENT_KEY_INCORRECT');
    const events = (await card.events()).events;
    expect(events.generated).toEqual([]);
    expect(events.commands).not.toContain('47');
  });

  it('generates in 9c with SO login, self-tests with a context PIN login, verifies the attestation; the key asks for the PIN per signature', async () => {
    warnings.length = 0;
    const made = await generateOnYubiKey(session, request({ slot: '9c' }));
    expect(warnings).toEqual([DEFAULT_MANAGEMENT_KEY_WARNING]);
    expect(made.slot).toBe('9c');
    expect(made.key.alwaysAuthenticate).toBe(true);
    expect(made.attestation).toMatchObject({ serial: 20260003, firmware: '5.4.3', slot: '9c', pinPolicy: 'always', touchPolicy: 'never' });
    expect(made.attestation.root.bundled).toBe(false);
    expect((await card.events()).events).toMatchObject({ generated: ['9c'], signatures: 1 });

    const data = new TextEncoder().encode('root.json bytes');
    expect(await codeOf(made.key.sign(data, 'sha256'))).toBe('TOKEN_LOGIN_REQUIRED');
    await made.key.sign(data, 'sha256', { pin: new TextEncoder().encode('123456') });
    await made.key.sign(data, 'sha256', { pin: new TextEncoder().encode('123456') });
    expect((await card.events()).events.signatures).toBe(3);

    // The slot is now taken: a second generation there is refused before the card is asked to generate.
    expect(await codeOf(generateOnYubiKey(session, request({ slot: '9c' })))).toBe('KEY_ID_EXISTS');
    expect((await card.events()).events.generated).toEqual(['9c']);
  });

  it('a touch-"always" slot waits for the touch; a plan that allows only touch "never" refuses its attestation', async () => {
    expect(await codeOf(generateOnYubiKey(session, request({ slot: '83', attestationPolicy: { touch: ['never'] } })))).toBe('ATTESTATION_POLICY_FORBIDDEN');
    const events = (await card.events()).events;
    expect(events.generated).toEqual(['9c', '83']);
    expect(events.touches).toBe(1); // the self-test signature waited for the touch
  });

  it('says "Touch your YubiKey now" before each signature of a touch-always key, and an untouched wait is TOUCH_TIMEOUT', async () => {
    const made = await generateOnYubiKey(session, request({ slot: '85' }));
    expect(made.attestation.touchPolicy).toBe('always');
    const said: string[] = [];
    const data = new TextEncoder().encode('targets.json bytes');
    const before = (await card.events()).events.touches;
    await signWithTouch(made.key, data, 'sha256', { touchPolicy: made.attestation.touchPolicy, notify: (m) => void said.push(m) });
    expect(said).toEqual([touchPrompt('20260003')]);
    expect((await card.events()).events.touches).toBe(before + 1);
    await card.setTouch({ delayMs: 300, answer: false });
    try {
      expect(await codeOf(signWithTouch(made.key, data, 'sha256', { touchPolicy: made.attestation.touchPolicy, notify: (m) => void said.push(m) }))).toBe('TOUCH_TIMEOUT');
    } finally {
      await card.setTouch({ delayMs: 300, answer: true });
    }
    expect(said.length).toBe(2);
  });

  it('tokens generate on a YubiKey: needs --piv-slot, takes the management key from the environment, prints the attestation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'piv-cli-'));
    try {
      writeFileSync(join(dir, 'roots.pem'), pki.rootPem);
      const deps: TokenKeysDeps = {
        load: (path, opts) => TokenModule.load(path, opts),
        exists: existsSync,
        platform: process.platform,
        env: { CUSTODIAN_PIN: '123456', YK_MGMT: MGMT },
        interactive: false,
        promptPin: () => Promise.reject(new Error('no prompt in tests')),
        now: () => new Date(),
      };
      const base = { module: YKCS11, token: '20260003', algorithm: 'ecdsa-p256', label: 'cli key', pinEnv: 'CUSTODIAN_PIN', json: true };
      const noSlot = captureIo();
      expect(await tokenGenerateCommand(base, noSlot.io, deps)).toBe(2);
      expect(noSlot.err.join('')).toMatch(/^error\[USAGE\]: .*is a YubiKey: name its PIV slot/);
      const c = captureIo();
      const status = await tokenGenerateCommand({ ...base, pivSlot: '86', managementKeyEnv: 'YK_MGMT', attestationRoots: join(dir, 'roots.pem') }, c.io, deps);
      expect(status, c.err.join('')).toBe(0);
      expect(c.err.join('')).toContain(DEFAULT_MANAGEMENT_KEY_WARNING);
      const out = JSON.parse(c.out.join('')) as { id: string; attestation: { verified: { serial: number; slot: string }; attestationPem: string } };
      expect(out.id).toBe('09'); // 82 is ID 5, so 86 is 9
      expect(out.attestation.verified).toMatchObject({ serial: 20260003, slot: '86' });
      expect(out.attestation.attestationPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
      expect(c.out.join('') + c.err.join('')).not.toContain(MGMT);
      expect((await card.events()).events.generated).toContain('86');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the bundled Yubico roots refuse the emulator (TEST) chain', async () => {
    const base = request({ slot: '84' });
    delete base.attestationTrust;
    expect(await codeOf(generateOnYubiKey(session, base))).toBe('ATTESTATION_UNKNOWN_ROOT');
  });
});
