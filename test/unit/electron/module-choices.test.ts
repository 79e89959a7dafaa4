/**
 * PKCS#11 modules the renderer may name (electron/main/module-choices.ts): a preset or a handle main
 * issued for a file picked in main's dialog — never a path. Unknown, expired or evicted handles are
 * MODULE_CHOICE_UNKNOWN and nothing is loaded; a dialog answer that is not a shared library is refused.
 */
import { describe, expect, it } from 'vitest';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { CHOICE_TTL_MS, libraryPathProblem, MAX_CHOICES, ModuleChoices } from '../../../electron/main/module-choices.js';
import { TokenModules, type TokenDeps } from '../../../electron/main/tokens.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { MODULE_PRESET_NAMES, REQUEST_SCHEMAS } from '../../../electron/shared/schemas.js';
import { isCeremonyError } from '../../../src/errors.js';
import { TokenModule } from '../../../src/signers/pkcs11/token.js';
import { FakePkcs11 } from '../../support/fake-pkcs11.js';

const LIB = '/usr/lib/fake/libfake-pkcs11.so';

function ids() {
  let n = 0;
  return () => (++n).toString(16).padStart(32, '0');
}

describe('ModuleChoices', () => {
  it('a file picked in the dialog gets a handle that resolves to its path; the same file keeps its handle; presets pass through', async () => {
    const c = new ModuleChoices({ chooseModuleFile: async () => LIB, newId: ids() });
    const first = await c.choose();
    expect(first).toEqual({ chosen: '0'.repeat(31) + '1', path: LIB });
    expect(await c.choose()).toEqual(first);
    expect(c.resolve({ chosen: '0'.repeat(31) + '1' })).toBe(LIB);
    for (const p of MODULE_PRESET_NAMES) expect(c.resolve(p)).toBe(p);
  });

  it('real handles are 128 random bits in hex', async () => {
    let n = 0;
    const c = new ModuleChoices({ chooseModuleFile: async () => `/usr/lib/x${++n}.so` });
    const a = await c.choose();
    const b = await c.choose();
    expect('chosen' in a && a.chosen).toMatch(/^[0-9a-f]{32}$/);
    expect('chosen' in b && b.chosen).not.toBe('chosen' in a && a.chosen);
  });

  it('a cancelled dialog issues nothing', async () => {
    const c = new ModuleChoices({ chooseModuleFile: async () => undefined, newId: ids() });
    expect(await c.choose()).toEqual({ cancelled: true });
    expect(() => c.resolve({ chosen: '0'.repeat(31) + '1' })).toThrow(expect.objectContaining({ code: 'MODULE_CHOICE_UNKNOWN' }));
  });

  it.each([
    ['not a shared library', '/etc/passwd'],
    ['a script', '/tmp/evil.sh'],
    ['relative', 'lib/libsofthsm2.so'],
    ['a UNC path', '\\\\server\\share\\pkcs11.dll'],
    ['a posix UNC-like path', '//server/share/pkcs11.so'],
    ['a parent segment', '/usr/lib/../lib/libsofthsm2.so'],
    ['a newline', '/usr/lib/x\n.so'],
    ['a bidi override', '/usr/lib/\u202eos.so'],
    ['empty', ''],
    ['too long', `/${'a/'.repeat(2048)}x.so`],
  ])('a dialog answer that is %s is refused (TOKEN_MODULE_INVALID), no handle issued', async (_what, path) => {
    expect(libraryPathProblem(path)).toBeDefined();
    const c = new ModuleChoices({ chooseModuleFile: async () => path, newId: ids() });
    await expect(c.choose()).rejects.toSatisfy((e: unknown) => isCeremonyError(e, 'TOKEN_MODULE_INVALID'));
    expect(() => c.resolve({ chosen: '0'.repeat(31) + '1' })).toThrow(expect.objectContaining({ code: 'MODULE_CHOICE_UNKNOWN' }));
  });

  it('accepts library paths of every platform', () => {
    for (const p of [LIB, '/usr/lib/x86_64-linux-gnu/libykcs11.so.2.2.0', '/opt/homebrew/lib/libykcs11.dylib', 'C:\\Program Files\\OpenSC Project\\OpenSC\\pkcs11\\opensc-pkcs11.dll']) {
      expect(libraryPathProblem(p), p).toBeUndefined();
    }
  });

  it('a handle unused for CHOICE_TTL_MS expires; use keeps it alive', async () => {
    let t = 0;
    const c = new ModuleChoices({ chooseModuleFile: async () => LIB, newId: ids(), now: () => t });
    const h = await c.choose();
    if (!('chosen' in h)) throw new Error('cancelled');
    t = CHOICE_TTL_MS;
    expect(c.resolve({ chosen: h.chosen })).toBe(LIB);
    t = 2 * CHOICE_TTL_MS;
    expect(c.resolve({ chosen: h.chosen })).toBe(LIB);
    t = 3 * CHOICE_TTL_MS + 1;
    expect(() => c.resolve({ chosen: h.chosen })).toThrow(expect.objectContaining({ code: 'MODULE_CHOICE_UNKNOWN', path: '$.module.chosen' }));
  });

  it(`at most ${MAX_CHOICES} handles: the oldest is forgotten`, () => {
    const c = new ModuleChoices({ chooseModuleFile: async () => undefined, newId: ids() });
    const handles = Array.from({ length: MAX_CHOICES + 1 }, (_, i) => c.register(`/usr/lib/m${i}.so`));
    expect(() => c.resolve({ chosen: handles[0]!.chosen })).toThrow(expect.objectContaining({ code: 'MODULE_CHOICE_UNKNOWN' }));
    expect(c.resolve({ chosen: handles[MAX_CHOICES]!.chosen })).toBe(`/usr/lib/m${MAX_CHOICES}.so`);
  });
});

describe('module handles through the IPC handlers', () => {
  function rig() {
    const fake = new FakePkcs11([{ label: 'custodian-1', serial: '0001', pin: '1234' }]);
    const loads: string[] = [];
    const modules = new TokenModules((path, o) => {
      loads.push(path);
      return TokenModule.load(path, { ...o, api: fake });
    });
    const tokens: TokenDeps = { modules, moduleExists: () => true, platform: 'linux' };
    const moduleChoices = new ModuleChoices({ chooseModuleFile: async () => LIB });
    return { h: createIpcHandlers({ tokens, moduleChoices }), loads, modules };
  }

  it('tokensChooseModule takes no payload, opens main’s dialog and returns a handle that tokensList loads', async () => {
    const r = rig();
    expect(await r.h[CHANNELS.tokensChooseModule]({ path: '/tmp/evil.so' })).toMatchObject({ ok: false, code: 'IPC_INVALID', path: '$' });
    const chosen = await r.h[CHANNELS.tokensChooseModule](undefined);
    expect(chosen).toMatchObject({ ok: true, value: { chosen: expect.stringMatching(/^[0-9a-f]{32}$/), path: LIB } });
    const handle = (chosen as { value: { chosen: string } }).value.chosen;
    expect(await r.h[CHANNELS.tokensList]({ module: { chosen: handle } })).toMatchObject({ ok: true, value: { path: LIB } });
    expect(r.loads).toEqual([LIB]);
    await r.modules.finalizeAll();
  });

  it.each([CHANNELS.tokensList, CHANNELS.tokensCheck, CHANNELS.tokensGenerateKey, CHANNELS.rotationKeyFromToken, CHANNELS.rotationCheckSigner, CHANNELS.rotationSign] as const)(
    '%s: a handle main never issued is MODULE_CHOICE_UNKNOWN and nothing is loaded',
    async (channel) => {
      const r = rig();
      const module = { chosen: 'f'.repeat(32) };
      const token = { serial: '0001', label: 'custodian-1' };
      const request = { name: 'r.json', bytes: new Uint8Array(2) };
      const payloads = {
        [CHANNELS.tokensList]: { module },
        [CHANNELS.tokensCheck]: { module, token },
        [CHANNELS.tokensGenerateKey]: { module, token, algorithm: 'ecdsa-p256', keyLabel: 'k', pin: '1234' },
        [CHANNELS.rotationKeyFromToken]: { module, token, keyLabel: 'k', profile: 'tuf' },
        [CHANNELS.rotationCheckSigner]: { request, module, token, keyLabel: 'k' },
        [CHANNELS.rotationSign]: { request, module, token, keyLabel: 'k', confirmedSha256: '0'.repeat(64), pin: '1234' },
      };
      // The payload itself passes its schema: the refusal is the registry's.
      expect(REQUEST_SCHEMAS[channel].safeParse(payloads[channel]).success).toBe(true);
      const res = await r.h[channel](payloads[channel]);
      expect(res).toMatchObject({ ok: false, code: 'MODULE_CHOICE_UNKNOWN', path: '$.module.chosen' });
      expect(JSON.stringify(res)).not.toContain('1234');
      expect(r.loads).toEqual([]);
    },
  );

  it('presets pass the schema; a raw path never does', () => {
    for (const p of MODULE_PRESET_NAMES) expect(REQUEST_SCHEMAS[CHANNELS.tokensList].safeParse({ module: p }).success, p).toBe(true);
    expect(REQUEST_SCHEMAS[CHANNELS.tokensList].safeParse({ module: LIB }).success).toBe(false);
  });
});
