/**
 * Rehearsal tokens (SoftHSM2 path through the fake backend, software path in memory): always marked as
 * rehearsal; module presets; the graphene backend's loader-error classification; and that importing the
 * signers never loads the native PKCS#11 addon.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { classifyLoadError } from '../../../src/signers/pkcs11/graphene-backend.js';
import { installHint, isModulePreset, presetPaths, resolvePreset } from '../../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../../src/signers/pkcs11/token.js';
import { chooseRehearsalKind, openRehearsalTokens, REHEARSAL_NOTICE } from '../../../src/signers/rehearsal.js';
import { verifyRaw } from '../../../src/signers/signing-key.js';
import { FakePkcs11 } from '../../support/fake-pkcs11.js';

const data = new TextEncoder().encode('rehearsal root');

describe('rehearsal tokens', () => {
  it('SoftHSM2 when installed, software otherwise; the notice says rehearsal and not hardware', () => {
    expect(chooseRehearsalKind(true)).toBe('softhsm2');
    expect(chooseRehearsalKind(false)).toBe('software');
    for (const notice of Object.values(REHEARSAL_NOTICE)) expect(notice).toMatch(/^REHEARSAL: .*not hardware/);
  });

  it('software: one token per custodian, keys marked rehearsal, labels not reused, RSA refused, wiped on close', async () => {
    const tokens = await openRehearsalTokens({ custodians: ['alice', 'bob', 'carol'] });
    expect(tokens.map((t) => [t.kind, t.rehearsal, t.token.label])).toEqual([
      ['software', true, 'rehearsal alice'],
      ['software', true, 'rehearsal bob'],
      ['software', true, 'rehearsal carol'],
    ]);
    const key = await tokens[0]!.generateKey('ecdsa-p256', 'root-alice');
    expect(key.origin).toEqual({ kind: 'software', rehearsal: true });
    expect(verifyRaw(key.spki, key.algorithm, 'sha256', await key.sign(data, 'sha256'), data)).toBe(true);
    expect((await tokens[0]!.findKey('root-alice', key.fingerprint)).fingerprint).toBe(key.fingerprint);
    await expect(tokens[0]!.generateKey('ecdsa-p256', 'root-alice')).rejects.toMatchObject({ code: 'KEY_LABEL_EXISTS' });
    await expect(tokens[0]!.generateKey('rsa-pss-sha256', 'rsa')).rejects.toMatchObject({ code: 'MECHANISM_UNSUPPORTED' });
    await expect(tokens[0]!.findKey('root-alice', 'ab'.repeat(32))).rejects.toMatchObject({ code: 'TOKEN_KEY_NOT_FOUND' });
    await tokens[0]!.close();
    await expect(key.sign(data, 'sha256')).rejects.toMatchObject({ code: 'SIGNER_DISPOSED' });
    await expect(openRehearsalTokens({ custodians: ['a', 'a'] })).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('SoftHSM2 path: tokens initialised in free slots, logged in with PINs nobody keeps, keys marked rehearsal', async () => {
    const fake = new FakePkcs11([{ label: '', serial: '', uninitialized: true }]);
    const mod = await TokenModule.load('/usr/lib/softhsm/libsofthsm2.so', { api: fake, rehearsal: true });
    const tokens = await openRehearsalTokens({ custodians: ['alice', 'a custodian with a very long name indeed'], softhsm: mod });
    expect(tokens.map((t) => t.kind)).toEqual(['softhsm2', 'softhsm2']);
    expect(Buffer.byteLength(tokens[1]!.token.label)).toBeLessThanOrEqual(32);
    const key = await tokens[0]!.generateKey('ed25519', 'root-alice');
    expect(key.origin).toMatchObject({ kind: 'token', rehearsal: true, token: { label: 'rehearsal alice' } });
    expect((await tokens[0]!.findKey('root-alice', key.fingerprint)).origin.rehearsal).toBe(true);
    expect(fake.calls.filter((c) => c.op === 'login').every((c) => c.args.includes('<pin>'))).toBe(true);
    for (const t of tokens) await t.close();
    await expect(openRehearsalTokens({ custodians: ['x'], softhsm: await TokenModule.load('/x.so', { api: new FakePkcs11(), rehearsal: false }) })).rejects.toMatchObject({
      code: 'USAGE',
    });
  });

  it('an initialised token is never erased for a rehearsal', async () => {
    const fake = new FakePkcs11([{ label: 'real', serial: '0001' }]);
    const mod = await TokenModule.load('/usr/lib/softhsm/libsofthsm2.so', { api: fake, rehearsal: true });
    await expect(openRehearsalTokens({ custodians: ['alice'], softhsm: mod })).rejects.toMatchObject({ code: 'TOKEN_NOT_PRESENT' });
    expect(fake.countCalls('initToken')).toBe(0);
  });
});

describe('module presets', () => {
  it('resolves each preset to the first candidate that exists, else the first (for the not-found message)', () => {
    for (const preset of ['ykcs11', 'opensc', 'softhsm2'] as const) {
      for (const platform of ['linux', 'darwin', 'win32']) expect(presetPaths(preset, platform).length).toBeGreaterThan(0);
    }
    expect(presetPaths('ykcs11', 'linux')[0]).toBe('/usr/lib/x86_64-linux-gnu/libykcs11.so');
    expect(presetPaths('opensc', 'linux')[0]).toBe('/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so');
    expect(presetPaths('softhsm2', 'linux')[0]).toBe('/usr/lib/softhsm/libsofthsm2.so');
    expect(resolvePreset('softhsm2', 'linux', (p) => p === '/usr/lib64/pkcs11/libsofthsm2.so')).toBe('/usr/lib64/pkcs11/libsofthsm2.so');
    expect(resolvePreset('opensc', 'freebsd', () => false)).toBe('/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so');
    expect(installHint('ykcs11', 'linux')).toContain('pcscd');
    expect(isModulePreset('ykcs11')).toBe(true);
    expect(isModulePreset('toString')).toBe(false);
  });
});

describe('graphene backend', () => {
  it('classifies the loader’s messages (FIELD-NOTES: missing file vs. not a PKCS#11 library)', () => {
    expect(classifyLoadError('/nonexistent.so: cannot open shared object file: No such file or directory')).toBe('module-not-found');
    expect(classifyLoadError('dlopen(/x.dylib, 0x0001): tried: /x.dylib (no such file)')).toBe('module-not-found');
    expect(classifyLoadError('The specified module could not be found.')).toBe('module-not-found');
    expect(classifyLoadError('/lib/x86_64-linux-gnu/libc.so.6: undefined symbol: C_GetFunctionList')).toBe('module-invalid');
    expect(classifyLoadError('/tmp/x.so: invalid ELF header')).toBe('module-invalid');
    expect(classifyLoadError('dlsym: symbol not found: C_GetFunctionList')).toBe('module-invalid');
  });

  it('importing the signers does not load the native addon (it loads on the first module load)', async () => {
    await import('../../../src/signers/pkcs11/token.js');
    await import('../../../src/signers/rehearsal.js');
    const cache = Object.keys(createRequire(import.meta.url).cache);
    expect(cache.filter((p) => /graphene-pk11|pkcs11js/.test(p))).toEqual([]);
  });
});
