/**
 * Issue #13: what a YubiKey ceremony refuses, through `tuf-ceremony run` on an emulated card (ykcs11 →
 * private pcscd → vpcd → test/support/piv), each with its own code and message, and nothing written to the
 * card before the refusal (the card's own count of generated keys says so):
 *
 * - bindings naming 9a or f9 without an allowance (BINDINGS_INVALID, before any token is opened);
 * - no slot named and no terminal to confirm the proposed one (PIV_SLOT_DECLINED);
 * - a bound slot that already holds a key (KEY_ID_EXISTS, checked by the one-byte CKA_ID before the SO login);
 * - a wrong management key (MANAGEMENT_KEY_INCORRECT);
 * - a PIN of 9 characters (PIN_INCORRECT, "6 to 8", not tried: the card's retry counter is unchanged),
 *   a wrong PIN (PIN_INCORRECT, one try gone), and the last wrong PIN (PIN_LOCKED, with the PUK hint
 *   `ykman piv access unblock-pin`);
 * - a touch-"always" slot nobody touches (TOUCH_TIMEOUT, "was not touched in time"), after "Touch your
 *   YubiKey now" was said.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportError } from '../../src/cli/output.js';
import { runCommand, type RunDeps } from '../../src/cli/run.js';
import { finalizeAllModules, TokenModule } from '../../src/signers/pkcs11/module.js';
import { setTouchNotice, touchPrompt, type TouchNotice } from '../../src/signers/pkcs11/piv-touch.js';
import { makeTestAttestationPki, type TestAttestationPki } from '../support/piv/attestation-ca.js';
import { readerName, startEmulatedYubiKey, type EmulatedYubiKey } from '../support/piv/emulator.js';
import { startPcscd, type PrivatePcscd } from '../support/piv/pcscd.js';

const run = promisify(execFile);
const YKCS11 = '/usr/lib/x86_64-linux-gnu/libykcs11.so';
const enabled = existsSync(YKCS11) && existsSync('/usr/sbin/pcscd');
const SERIAL = '20262001';
const PIN = '314159';
const MGMT = '5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f';
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const year = (n: number): string => `${new Date().getUTCFullYear() + n}-06-01T00:00:00Z`;

let dir: string;
let pki: TestAttestationPki;
let pcscd: PrivatePcscd;
let card: EmulatedYubiKey;
const touches: TouchNotice[] = [];
let previousTouch: (n: TouchNotice) => void;
let savedSock: string | undefined;
let n = 0;

beforeAll(async () => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tufc-yubikey-refusals-'));
  pki = await makeTestAttestationPki('current');
  writeFileSync(join(dir, 'test-roots.pem'), pki.rootPem);
  pcscd = await startPcscd(1);
  card = await startEmulatedYubiKey(pcscd, 0, { serial: Number(SERIAL), pin: PIN, managementKeyHex: MGMT, firmware: [5, 7, 4], slotPolicies: { '84': { touch: 'always' } }, touch: { delayMs: 300, answer: false } }, pki);
  savedSock = process.env.PCSCLITE_CSOCK_NAME;
  process.env.PCSCLITE_CSOCK_NAME = pcscd.socketPath;
  previousTouch = setTouchNotice((t) => void touches.push(t));
}, 180_000);

afterAll(async () => {
  if (!enabled) return;
  setTouchNotice(previousTouch);
  try {
    await finalizeAllModules();
  } finally {
    await card?.stop();
    await pcscd?.stop();
    if (savedSock === undefined) delete process.env.PCSCLITE_CSOCK_NAME;
    else process.env.PCSCLITE_CSOCK_NAME = savedSock;
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

/** A one-custodian TUF plan on the card, with `piv` as Alice's PIV bindings; run once with `env`. */
async function ceremony(piv: object, env: Record<string, string>): Promise<{ status: number; err: string }> {
  const d = join(dir, `c${++n}`);
  mkdirSync(d);
  const plan = {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'tuf',
    repository: 'example.com/yubikey/refusals',
    custodians: [{ name: 'Alice', token: { serial: SERIAL }, keyAlgorithm: 'ecdsa-p256', keyLabel: 'root-alice' }],
    root: { threshold: 1, expires: year(10) },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(3) },
    snapshot: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: year(3) },
    timestamp: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'timestamp' }, expires: year(1) },
  };
  const bytes = Buffer.from(JSON.stringify(plan));
  writeFileSync(join(d, 'plan.json'), bytes);
  const bindings = { format: 'tuf-ceremony-site-bindings', version: 1, planSha256: sha256(bytes), module: { path: YKCS11 }, custodians: { Alice: { pin: { env: 'ALICE_PIN' }, piv } } };
  writeFileSync(join(d, 'bindings.json'), JSON.stringify(bindings));
  const deps: RunDeps = {
    load: (path, opts) => TokenModule.load(path, opts),
    exists: existsSync,
    platform: process.platform,
    env,
    interactive: false,
    promptPin: () => Promise.reject(new Error('no prompt in tests')),
    now: () => new Date(),
  };
  const err: string[] = [];
  const io = { out: () => undefined, err: (s: string) => void err.push(s) };
  let status: number;
  try {
    status = await runCommand(join(d, 'plan.json'), { bindings: join(d, 'bindings.json'), out: join(d, 'out'), attestationRoots: join(dir, 'test-roots.pem') }, io, deps);
  } catch (e) {
    status = reportError(io, e, false);
  }
  return { status, err: err.join('\n') };
}

const generated = async (): Promise<string[]> => (await card.events()).events.generated;
const retries = async (): Promise<number> => (await card.events()).pinRetries;
const ok = { ALICE_PIN: PIN, ALICE_MGMT: MGMT };

describe.skipIf(!enabled)('a YubiKey ceremony refuses, each with its own code, before writing to the card', () => {
  it('9a and f9 without an allowance: BINDINGS_INVALID before any token is opened', async () => {
    for (const slot of ['9a', 'f9']) {
      const r = await ceremony({ slots: { root: slot }, managementKey: { env: 'ALICE_MGMT' } }, ok);
      expect(r.status, r.err).toBe(1);
      expect(r.err).toMatch(new RegExp(`^error\\[BINDINGS_INVALID\\]: slot ${slot} is refused: .*"allowSlots"`));
    }
    expect(await generated()).toEqual([]);
  }, 120_000);

  it('no slot named and nobody to confirm the proposed one (no terminal): PIV_SLOT_DECLINED; nothing generated', async () => {
    const r = await ceremony({ managementKey: { env: 'ALICE_MGMT' } }, ok);
    expect(r.status, r.err).toBe(1);
    expect(r.err).toMatch(/^error\[PIV_SLOT_DECLINED\]: the site bindings name no PIV slot for Alice's root key, and the proposed slot 82 .* was not confirmed; nothing was written/);
    expect(await generated()).toEqual([]);
  }, 120_000);

  it('a bound slot that holds a key: KEY_ID_EXISTS; nothing generated', async () => {
    // Someone's key in 9d, made with Yubico's own tool.
    await run('yubico-piv-tool', ['-r', readerName(0), `--key=${MGMT}`, '-a', 'generate', '-s', '9d', '-A', 'ECCP256', '-o', join(dir, '9d.pub')], { env: pcscd.env, timeout: 60_000 });
    expect(await generated()).toEqual(['9d']);
    const r = await ceremony({ slots: { root: '9d' }, managementKey: { env: 'ALICE_MGMT' } }, ok);
    expect(r.status, r.err).toBe(3);
    expect(r.err).toMatch(/^error\[KEY_ID_EXISTS\]: .*already holds a key or certificate in PIV slot 9d.*nothing was written/);
    expect(await generated()).toEqual(['9d']);
  }, 120_000);

  it('a wrong management key: MANAGEMENT_KEY_INCORRECT; nothing generated', async () => {
    const r = await ceremony({ slots: { root: '9c' }, managementKey: { env: 'ALICE_MGMT' } }, { ...ok, ALICE_MGMT: '00'.repeat(24) });
    expect(r.status, r.err).toBe(3);
    expect(r.err).toMatch(/^error\[MANAGEMENT_KEY_INCORRECT\]: .*did not accept the PIV management key; nothing was written to it/);
    expect(r.err).not.toContain('00'.repeat(24));
    expect(await generated()).toEqual(['9d']);
  }, 120_000);

  it('a slot with touch "always" nobody touches: "Touch your YubiKey now", then TOUCH_TIMEOUT', async () => {
    touches.length = 0;
    const r = await ceremony({ slots: { root: '84' }, managementKey: { env: 'ALICE_MGMT' } }, ok);
    expect(r.status, r.err).toBe(3);
    expect(r.err).toMatch(/^error\[TOUCH_TIMEOUT\]: the YubiKey \(serial 20262001\) was not touched in time/);
    expect(touches.map((t) => t.message)).toEqual([touchPrompt(SERIAL)]);
  }, 120_000);

  it('PIN: 9 characters not tried; a wrong one costs a try (PIN_INCORRECT); the last one locks (PIN_LOCKED, with the PUK hint)', async () => {
    const before = await retries();
    const long = await ceremony({ slots: { root: '9c' }, managementKey: { env: 'ALICE_MGMT' } }, { ...ok, ALICE_PIN: '123456789' });
    expect(long.status, long.err).toBe(3);
    expect(long.err).toMatch(/^error\[PIN_INCORRECT\]: a PIN for .* is 6 to 8 characters long; it was not tried/);
    expect(await retries()).toBe(before);

    const wrong = await ceremony({ slots: { root: '9c' }, managementKey: { env: 'ALICE_MGMT' } }, { ...ok, ALICE_PIN: '000000' });
    expect(wrong.status, wrong.err).toBe(3);
    expect(wrong.err).toMatch(/^error\[PIN_INCORRECT\]/);
    expect(await retries()).toBe(before - 1);

    let last = wrong;
    for (let i = 1; i < before; i++) last = await ceremony({ slots: { root: '9c' }, managementKey: { env: 'ALICE_MGMT' } }, { ...ok, ALICE_PIN: '000000' });
    expect(last.status, last.err).toBe(3);
    expect(last.err).toMatch(/^error\[PIN_LOCKED\]: .*locked.*ykman piv access unblock-pin/);
    expect(await retries()).toBe(0);
    // Locked stays locked, even with the right PIN; and still nothing was generated by the ceremony.
    const after = await ceremony({ slots: { root: '9c' }, managementKey: { env: 'ALICE_MGMT' } }, ok);
    expect(after.err).toMatch(/^error\[PIN_LOCKED\]: .*ykman piv access unblock-pin/);
    expect((await generated()).filter((s) => s !== '9d' && s !== '84')).toEqual([]);
  }, 300_000);
});
