/**
 * More than two emulated YubiKeys behind one private pcscd (pcscd.ts): Debian's vpcd keeps its
 * connections in one static array per loaded library, so each reader entry after the first loads its own
 * copy of the driver. Observed here with tools nobody here wrote — yubico-piv-tool lists four readers and
 * reads each card's own serial through its own reader — and through the project's PKCS#11 layer over
 * ykcs11, which must see four tokens with four distinct serials (one card answering on two readers, or a
 * reader pcscd never got a card for, would fail either check).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalizeAllModules, TokenModule } from '../../src/signers/pkcs11/module.js';
import { startEmulatedYubiKey, type EmulatedYubiKey } from '../support/piv/emulator.js';
import { readerName, startPcscd, type PrivatePcscd } from '../support/piv/pcscd.js';

const run = promisify(execFile);
const YKCS11 = '/usr/lib/x86_64-linux-gnu/libykcs11.so';
const SERIALS = [20263001, 20263002, 20263003, 20263004];

let pcscd: PrivatePcscd;
const cards: EmulatedYubiKey[] = [];
let savedSocket: string | undefined;

beforeAll(async () => {
  pcscd = await startPcscd(SERIALS.length);
  for (const [i, serial] of SERIALS.entries()) cards.push(await startEmulatedYubiKey(pcscd, i, { serial }));
  savedSocket = process.env.PCSCLITE_CSOCK_NAME;
  // libpcsclite reads this when ykcs11 establishes its context (C_Initialize).
  process.env.PCSCLITE_CSOCK_NAME = pcscd.socketPath;
}, 240_000);

afterAll(async () => {
  try {
    await finalizeAllModules();
  } finally {
    for (const c of cards) await c.stop().catch(() => undefined);
    await pcscd?.stop();
    if (savedSocket === undefined) delete process.env.PCSCLITE_CSOCK_NAME;
    else process.env.PCSCLITE_CSOCK_NAME = savedSocket;
  }
}, 60_000);

describe('four emulated YubiKeys behind one private pcscd', () => {
  it('uses four ports, two reader entries', () => {
    expect(new Set(pcscd.ports).size).toBe(4);
    expect(pcscd.ports[1]).toBe(pcscd.ports[0]! + 1);
    expect(pcscd.ports[3]).toBe(pcscd.ports[2]! + 1);
  });

  it('yubico-piv-tool lists four readers and reads each card’s own serial through its reader', async () => {
    const list = await run('yubico-piv-tool', ['-a', 'list-readers'], { env: pcscd.env, timeout: 60_000 });
    expect(list.stdout.trim().split('\n').sort()).toEqual(SERIALS.map((_, i) => readerName(i)).sort());
    for (const [i, serial] of SERIALS.entries()) {
      const status = await run('yubico-piv-tool', ['-r', readerName(i), '-a', 'status'], { env: pcscd.env, timeout: 60_000 });
      expect([i, /Serial Number:\s+(\d+)/.exec(status.stdout)?.[1]]).toEqual([i, String(serial)]);
    }
  }, 240_000);

  it('ykcs11 through the project’s PKCS#11 layer sees four Yubico tokens with four distinct serials', async () => {
    const mod = await TokenModule.load(YKCS11);
    const tokens = await mod.listTokens();
    expect(tokens.map((t) => t.serial).sort()).toEqual(SERIALS.map(String).sort());
    for (const t of tokens) expect(t.manufacturer).toMatch(/Yubico/);
  }, 240_000);
});
