/**
 * `tuf-ceremony tokens` over the fake PKCS#11 backend: the human listing, the documented --json shape,
 * presets, and faults as `error[CODE]: message` first on stderr with exit 3.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { CKR } from '../../../src/signers/pkcs11/api.js';
import { TokenModule } from '../../../src/signers/pkcs11/token.js';
import { registerTokensCommand, tokensCommand, type TokensDeps } from '../../../src/cli/tokens.js';
import { FakePkcs11, YUBIKEY_MECHANISMS } from '../../support/fake-pkcs11.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

function deps(fakes: Record<string, FakePkcs11>, existing: string[] = Object.keys(fakes)): TokensDeps & { loaded: string[] } {
  const loaded: string[] = [];
  return {
    loaded,
    platform: 'linux',
    exists: (p) => existing.includes(p),
    load: (path, opts) => {
      loaded.push(path);
      const fake = fakes[path] ?? Object.assign(new FakePkcs11(), { loadFailure: 'module-not-found' as const });
      return TokenModule.load(path, { ...opts, api: fake });
    },
  };
}

const YK = '/usr/lib/x86_64-linux-gnu/libykcs11.so';
const SOFT = '/usr/lib/softhsm/libsofthsm2.so';

describe('tuf-ceremony tokens', () => {
  it('lists a module’s slots and tokens for people; no PIN is asked', async () => {
    const fake = new FakePkcs11([{ label: 'alice', serial: '12345678', mechanisms: YUBIKEY_MECHANISMS, manufacturer: 'Yubico (www.yubico.com)', model: 'YubiKey YK5', pinTries: 3 }], { emptySlots: 1 });
    const c = capture();
    expect(await tokensCommand({ module: 'ykcs11' }, c.io, deps({ [YK]: fake }))).toBe(0);
    const text = c.out.join('\n');
    expect(text).toContain(`module ${YK} (ykcs11)`);
    expect(text).toContain('"alice" serial 12345678, Yubico (www.yubico.com) YubiKey YK5');
    expect(text).toContain('can make: ECDSA P-256, ECDSA P-384, RSA-PSS up to 4096 bits');
    expect(text).not.toContain('Ed25519');
    expect(text).toContain('empty');
    expect(fake.countCalls('login')).toBe(0);
    expect(c.err).toEqual([]);
  });

  it('--json: the documented shape; without --module every installed preset is listed', async () => {
    const fakes = {
      [YK]: new FakePkcs11([{ label: 'alice', serial: '1', mechanisms: YUBIKEY_MECHANISMS }]),
      [SOFT]: new FakePkcs11([{ label: 'custodian-1', serial: '2' }, { label: '', serial: '', uninitialized: true }]),
    };
    const c = capture();
    const d = deps(fakes);
    expect(await tokensCommand({ json: true }, c.io, d)).toBe(0);
    expect(d.loaded).toEqual([YK, SOFT]);
    const out = JSON.parse(c.out.join(''));
    expect(out.ok).toBe(true);
    expect(out.errors).toEqual([]);
    expect(out.modules.map((m: { preset: string }) => m.preset)).toEqual(['ykcs11', 'softhsm2']);
    expect(out.modules[0].slots[0]).toMatchObject({
      token: { label: 'alice', serial: '1', initialized: true, pinStatus: 'ok', keyTypes: ['ecdsa-p256', 'ecdsa-p384', 'rsa-pss-sha256'] },
      problem: null,
    });
    expect(out.modules[1].slots[1].token).toMatchObject({ initialized: false, pinStatus: 'not-initialized' });
    expect(Object.keys(out.modules[0])).toEqual(['path', 'preset', 'manufacturer', 'description', 'libraryVersion', 'rehearsal', 'family', 'libraryParameters', 'slots']);
    expect(out.modules[0].slots[0].token).toMatchObject({ slotDescription: 'fake slot slot-1', module: YK, moduleFamily: 'ykcs11', software: null, serialUnique: true });
  });

  it('a missing module: error[TOKEN_MODULE_NOT_FOUND] first on stderr, with how to install it; exit 3', async () => {
    const c = capture();
    expect(await tokensCommand({ module: 'ykcs11' }, c.io, deps({}, []))).toBe(3);
    expect(c.err[0]).toMatch(/^error\[TOKEN_MODULE_NOT_FOUND\]: .*libykcs11\.so.*apt-get install ykcs11 pcscd/);
    const none = capture();
    expect(await tokensCommand({}, none.io, deps({}, []))).toBe(3);
    expect(none.err[0]).toMatch(/^error\[TOKEN_MODULE_NOT_FOUND\]: no PKCS#11 module found/);
  });

  it('one module failing among several: the others are listed, exit 3, errors in --json', async () => {
    const broken = new FakePkcs11().failNext('getSlots', CKR.DEVICE_ERROR);
    const c = capture();
    const status = await tokensCommand({ json: true }, c.io, deps({ [YK]: broken, [SOFT]: new FakePkcs11([{ label: 'c1', serial: '2' }]) }));
    expect(status).toBe(3);
    const out = JSON.parse(c.out.join(''));
    expect(out.ok).toBe(false);
    expect(out.modules).toHaveLength(1);
    expect(out.errors).toEqual([{ module: YK, code: 'TOKEN_ERROR', message: expect.stringContaining('pcscd') }]);
    expect(c.err[0]).toMatch(/^error\[TOKEN_ERROR\]/);
  });

  it('registers as a commander command with --module and --json', async () => {
    let status = -1;
    const program = new Command('tuf-ceremony').exitOverride();
    const c = capture();
    registerTokensCommand(program, c.io, (s) => (status = s), deps({ '/opt/x.so': new FakePkcs11([{ label: 't', serial: '9' }]) }));
    await program.parseAsync(['tokens', '--module', '/opt/x.so', '--json'], { from: 'user' });
    expect(status).toBe(0);
    expect(JSON.parse(c.out.join('')).modules[0].path).toBe('/opt/x.so');
  });
});
