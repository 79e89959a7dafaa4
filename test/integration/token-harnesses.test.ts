/**
 * The token harnesses of test/support (swtpm.ts, opencryptoki.ts, nss-softokn.ts) do what they say: the
 * tokens they make are listed by the real module loaded in this process, the TPM's dictionary-attack
 * counter moves with a wrong PIN and `clearLockout()` resets it, and `stop()` leaves no process, port or
 * file behind. The module-matrix suites (tokens-modules, ceremony-modules) build on them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { applyEnv, tcpOpen } from '../support/daemons.js';
import { makeNssDb } from '../support/nss-softokn.js';
import { startOpenCryptoki } from '../support/opencryptoki.js';
import { startSoftTpm } from '../support/swtpm.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const alive = (pid: number): boolean => {
  try {
    return !/ Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('swtpm + tpm2-abrmd + tpm2-pkcs11', () => {
  it('two tokens listed by the module (both serial 0000000000000000); a wrong PIN counts on the TPM, clearLockout resets it; stop() ends everything', async () => {
    const tpm = await startSoftTpm([
      { label: 'harness-a', pin: 'pin-a-1234', soPin: 'so-a-12345' },
      { label: 'harness-b', pin: 'pin-b-1234', soPin: 'so-b-12345' },
    ]);
    cleanups.push(() => tpm.stop());
    const restore = applyEnv(tpm.env);
    cleanups.push(restore);
    const mod = await TokenModule.load(tpm.modulePath);
    try {
      const tokens = (await mod.listTokens()).filter((t) => t.initialized);
      expect(tokens.map((t) => [t.label, t.serial])).toEqual([
        ['harness-a', '0000000000000000'],
        ['harness-b', '0000000000000000'],
      ]);
      expect(tokens[0]!.capabilities).toMatchObject({ 'ecdsa-p256': true, ed25519: false, 'rsa-pss-sha256': true });

      expect((await tpm.lockoutCounter()).counter).toBe(0);
      const session = await mod.openToken({ label: 'harness-b' });
      await expect(session.login('wrong-pin')).rejects.toMatchObject({ code: 'PIN_INCORRECT' });
      await session.close();
      expect(await tpm.lockoutCounter()).toEqual({ counter: 1, max: 3 });
      await tpm.clearLockout();
      expect((await tpm.lockoutCounter()).counter).toBe(0);
    } finally {
      await mod.finalize();
    }
    expect(await tcpOpen(tpm.port)).toBe(true);
    await tpm.stop();
    expect(existsSync(tpm.dir)).toBe(false);
    expect(await tcpOpen(tpm.port)).toBe(false);
  });
});

describe('opencryptoki soft tokens (own pkcsslotd)', () => {
  it('three soft tokens, labelled, serial 123, RSA-PSS only; stop() ends the daemon and deletes their data', async () => {
    const ock = await startOpenCryptoki([
      { label: 'ock-a', pin: '24681357', soPin: '13572468' },
      { label: 'ock-b', pin: '24681358', soPin: '13572468' },
      { label: 'ock-c', pin: '24681359', soPin: '13572468' },
    ]);
    cleanups.push(() => ock.stop());
    const pid = Number(readFileSync('/var/run/pkcsslotd.pid', 'utf8'));
    expect(alive(pid)).toBe(true);
    const mod = await TokenModule.load(ock.modulePath);
    try {
      const tokens = (await mod.listTokens()).filter((t) => t.initialized);
      expect(tokens.map((t) => [t.label, t.serial, t.model, t.pinStatus, t.minPinLength, t.maxPinLength])).toEqual(
        ['ock-a', 'ock-b', 'ock-c'].map((l) => [l, '123', 'IBM SoftTok', 'ok', 4, 8]),
      );
      expect(tokens[0]!.capabilities).toEqual({ 'ecdsa-p256': false, 'ecdsa-p384': false, ed25519: false, 'rsa-pss-sha256': true });
      const s = await mod.openToken({ label: 'ock-b' });
      await s.login('24681358');
      await s.close();
    } finally {
      await mod.finalize();
    }
    await ock.stop();
    expect(alive(pid)).toBe(false);
    expect(existsSync('/var/lib/opencryptoki/tufc-test-0')).toBe(false);
    expect(existsSync('/var/run/pkcsslotd.socket')).toBe(false);
  });
});

describe('NSS softokn database', () => {
  it('certutil makes the database the parameters name; stop() deletes it', async () => {
    const db = makeNssDb('nss-pass-1234');
    cleanups.push(() => db.stop());
    expect(['cert9.db', 'key4.db', 'pkcs11.txt'].every((f) => existsSync(`${db.dir}/${f}`))).toBe(true);
    expect(db.libraryParameters).toBe(`configdir='sql:${db.dir}' certPrefix='' keyPrefix='' secmod='secmod.db' flags=`);
    await db.stop();
    expect(existsSync(db.dir)).toBe(false);
  });
});
