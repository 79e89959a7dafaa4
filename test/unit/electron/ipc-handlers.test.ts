import { describe, expect, it, vi } from 'vitest';
import { createIpcHandlers, type HandlerDeps } from '../../../electron/main/ipc-handlers.js';
import type { Inspection } from '../../../electron/shared/api-types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import {
  fileNameProblem,
  jsonPath,
  MAX_FILES,
  MAX_TOTAL_BYTES,
  REQUEST_SCHEMAS,
  roleForName,
  sizeCapForName,
} from '../../../electron/shared/schemas.js';
import { CeremonyError } from '../../../src/errors.js';
import { DEFAULT_CAPS } from '../../../src/tuf/caps.js';
import { buildRepo } from '../../support/repo.js';

const bytes = (n = 4) => new Uint8Array(n);
const file = (name: string, b: Uint8Array = bytes()) => ({ name, bytes: b });

const EMPTY_INSPECTION: Inspection = { source: 'x', kind: 'metadata-file', profile: 'tuf', rootVersion: 1, keys: [], roles: [], problems: [] };

function fakeDeps(): Omit<HandlerDeps, 'tokens' | 'moduleChoices' | 'ceremony' | 'rotation' | 'importSession' | 'exportSession' | 'shamirSets' | 'cameraGate' | 'chooseTranscriptFolder'> & { inspectNamedFiles: ReturnType<typeof vi.fn> } {
  return { appInfo: () => ({ name: 'tuf-ceremony', version: '9.9.9' }), inspectNamedFiles: vi.fn(() => EMPTY_INSPECTION) };
}

describe('createIpcHandlers', () => {
  it('has exactly one handler per channel', () => {
    expect(Object.keys(createIpcHandlers()).sort()).toEqual(Object.values(CHANNELS).sort());
    expect(Object.keys(REQUEST_SCHEMAS).sort()).toEqual(Object.values(CHANNELS).sort());
  });

  it('appInfo reports name, version, offline, and that it is not the test bridge', async () => {
    const h = createIpcHandlers(fakeDeps());
    expect(await h[CHANNELS.appInfo](undefined)).toEqual({ ok: true, value: { name: 'tuf-ceremony', version: '9.9.9', offline: true, testBridge: false } });
  });

  it.each([null, 0, '', {}, [], { x: 1 }])('appInfo refuses any payload (%j)', async (payload) => {
    const r = await createIpcHandlers(fakeDeps())[CHANNELS.appInfo](payload);
    expect(r).toMatchObject({ ok: false, code: 'IPC_INVALID', path: '$' });
  });

  it('inspectFiles passes the parsed files to the core, and nothing the renderer added', async () => {
    const deps = fakeDeps();
    const h = createIpcHandlers(deps);
    const root = file('root.json', new Uint8Array([1, 2, 3]));
    const r = await h[CHANNELS.inspectFiles]({ files: [file('targets.json'), file('targets/releases.json')], trustedRoot: root });
    expect(r).toEqual({ ok: true, value: EMPTY_INSPECTION });
    const [req] = deps.inspectNamedFiles.mock.calls[0]!;
    expect(Object.keys(req).sort()).toEqual(['files', 'trustedRoot']);
    expect(req.files.map((f: { name: string }) => f.name)).toEqual(['targets.json', 'targets/releases.json']);
    expect(req.trustedRoot).toEqual(root);
    expect(req.now).toBeUndefined();
  });

  it('inspectFiles without a pinned root sends no trustedRoot key', async () => {
    const deps = fakeDeps();
    await createIpcHandlers(deps)[CHANNELS.inspectFiles]({ files: [file('root.json')], trustedRoot: undefined });
    expect(Object.keys(deps.inspectNamedFiles.mock.calls[0]![0])).toEqual(['files']);
  });

  it('turns a CeremonyError from the core into data with its code, message and path', async () => {
    const deps = fakeDeps();
    deps.inspectNamedFiles.mockImplementation(() => {
      throw new CeremonyError('THRESHOLD_NOT_MET', 'root: 1 of 2 signatures', { path: 'root.json $.signatures' });
    });
    const r = await createIpcHandlers(deps)[CHANNELS.inspectFiles]({ files: [file('root.json')] });
    expect(r).toEqual({ ok: false, code: 'THRESHOLD_NOT_MET', message: 'root: 1 of 2 signatures (at root.json $.signatures)', path: 'root.json $.signatures' });
  });

  it('never leaks the message of an error that is not a CeremonyError', async () => {
    const deps = fakeDeps();
    deps.inspectNamedFiles.mockImplementation(() => {
      throw new Error('secret PIN 123456 in native message');
    });
    const r = await createIpcHandlers(deps)[CHANNELS.inspectFiles]({ files: [file('root.json')] });
    expect(r).toEqual({ ok: false, code: 'INTERNAL', message: 'unexpected internal error' });
    expect(JSON.stringify(r)).not.toContain('123456');
  });

  it('does not call the core when the payload is refused', async () => {
    const deps = fakeDeps();
    await createIpcHandlers(deps)[CHANNELS.inspectFiles]({ files: [file('../root.json')] });
    expect(deps.inspectNamedFiles).not.toHaveBeenCalled();
  });
});

describe('inspectFiles payload schema: every refusal is IPC_INVALID and names the field', () => {
  // A Uint8Array whose reported size is all that matters to the caps (no need to allocate 64 MB).
  const sized = (n: number) => Object.defineProperty(new Uint8Array(0), 'byteLength', { value: n });

  const cases: [string, unknown, string][] = [
    ['not an object', 'root.json', '$'],
    ['null', null, '$'],
    ['undefined', undefined, '$'],
    ['an array', [file('root.json')], '$'],
    ['no files field', {}, '$.files'],
    ['files not an array', { files: file('root.json') }, '$.files'],
    ['no files', { files: [] }, '$.files'],
    ['too many files', { files: Array.from({ length: MAX_FILES + 1 }, (_, i) => file(`${i}.root.json`)) }, '$.files'],
    ['unknown top-level field', { files: [file('root.json')], now: new Date() }, '$.now'],
    ['directory flag that is not a boolean', { files: [file('root.json')], directory: 'yes' }, '$.directory'],
    ['source that is a path, not a base name', { files: [file('root.json')], source: 'a/b' }, '$.source'],
    ['source that climbs out', { files: [file('root.json')], source: '..' }, '$.source'],
    ['unknown field in a file', { files: [file('root.json'), { ...file('x.json'), path: '/etc/passwd' }] }, '$.files[1].path'],
    ['unknown field with an odd name', { files: [{ ...file('x.json'), 'a b': 1 }] }, '$.files[0]["a b"]'],
    ['file entry not an object', { files: ['root.json'] }, '$.files[0]'],
    ['name missing', { files: [{ bytes: bytes() }] }, '$.files[0].name'],
    ['name not a string', { files: [{ name: 7, bytes: bytes() }] }, '$.files[0].name'],
    ['empty name', { files: [file('')] }, '$.files[0].name'],
    ['absolute name', { files: [file('/etc/passwd')] }, '$.files[0].name'],
    ['dot-dot segment', { files: [file('root.json'), file('../root.json')] }, '$.files[1].name'],
    ['dot-dot in the middle', { files: [file('targets/../../x.json')] }, '$.files[0].name'],
    ['bare dot-dot', { files: [file('..')] }, '$.files[0].name'],
    ['dot segment', { files: [file('./root.json')] }, '$.files[0].name'],
    ['backslash separator', { files: [file('targets\\releases.json')] }, '$.files[0].name'],
    ['backslash traversal', { files: [file('..\\..\\x.json')] }, '$.files[0].name'],
    ['Windows drive path', { files: [file('C:/Windows/x.json')] }, '$.files[0].name'],
    ['Windows drive-relative', { files: [file('c:x.json')] }, '$.files[0].name'],
    ['UNC-like path', { files: [file('//server/share/x.json')] }, '$.files[0].name'],
    ['empty segment', { files: [file('targets//releases.json')] }, '$.files[0].name'],
    ['trailing slash', { files: [file('targets/')] }, '$.files[0].name'],
    ['NUL', { files: [file('root.json\u0000.txt')] }, '$.files[0].name'],
    ['newline', { files: [file('root\n.json')] }, '$.files[0].name'],
    ['tab', { files: [file('root\t.json')] }, '$.files[0].name'],
    ['DEL', { files: [file('root\u007f.json')] }, '$.files[0].name'],
    ['C1 control', { files: [file('root\u0085.json')] }, '$.files[0].name'],
    ['right-to-left override', { files: [file('evil\u202enosj.exe')] }, '$.files[0].name'],
    ['bidi isolate', { files: [file('a\u2066b.json')] }, '$.files[0].name'],
    ['name too long', { files: [file('a/'.repeat(600) + 'x.json')] }, '$.files[0].name'],
    ['segment too long', { files: [file(`${'a'.repeat(256)}.json`)] }, '$.files[0].name'],
    ['duplicate name', { files: [file('root.json'), file('targets.json'), file('root.json')] }, '$.files[2].name'],
    ['bytes missing', { files: [{ name: 'root.json' }] }, '$.files[0].bytes'],
    ['bytes as a string', { files: [{ name: 'root.json', bytes: '{}' }] }, '$.files[0].bytes'],
    ['bytes as a number array', { files: [{ name: 'root.json', bytes: [123, 125] }] }, '$.files[0].bytes'],
    ['bytes as an ArrayBuffer', { files: [{ name: 'root.json', bytes: new ArrayBuffer(2) }] }, '$.files[0].bytes'],
    ['bytes as an Int8Array', { files: [{ name: 'root.json', bytes: new Int8Array(2) }] }, '$.files[0].bytes'],
    ['bytes as a Uint8ClampedArray', { files: [{ name: 'root.json', bytes: new Uint8ClampedArray(2) }] }, '$.files[0].bytes'],
    ['bytes as a DataView', { files: [{ name: 'root.json', bytes: new DataView(new ArrayBuffer(2)) }] }, '$.files[0].bytes'],
    ['bytes as a plain object', { files: [{ name: 'root.json', bytes: { length: 2, 0: 1, 1: 2 } }] }, '$.files[0].bytes'],
    ['root over its cap', { files: [file('root.json', sized(DEFAULT_CAPS.root + 1))] }, '$.files[0].bytes'],
    ['versioned root over the root cap', { files: [file('root.json'), file('2.root.json', sized(DEFAULT_CAPS.root + 1))] }, '$.files[1].bytes'],
    ['timestamp over its cap', { files: [file('timestamp.json', sized(DEFAULT_CAPS.timestamp + 1))] }, '$.files[0].bytes'],
    ['targets over its cap', { files: [file('targets.json', sized(DEFAULT_CAPS.targets + 1))] }, '$.files[0].bytes'],
    ['delegated role over its cap', { files: [file('targets/releases.json', sized(DEFAULT_CAPS.delegated + 1))] }, '$.files[0].bytes'],
    [
      'all files together over the total cap',
      { files: [file('targets.json', sized(DEFAULT_CAPS.targets)), file('snapshot.json', sized(DEFAULT_CAPS.snapshot)), file('a.json', sized(DEFAULT_CAPS.delegated))] },
      '$.files',
    ],
    ['trusted root not an object', { files: [file('root.json')], trustedRoot: 'root.json' }, '$.trustedRoot'],
    ['trusted root with a bad name', { files: [file('root.json')], trustedRoot: file('/root.json') }, '$.trustedRoot.name'],
    ['trusted root with an unknown field', { files: [file('root.json')], trustedRoot: { ...file('root.json'), fingerprint: 'ab' } }, '$.trustedRoot.fingerprint'],
    ['trusted root without bytes', { files: [file('root.json')], trustedRoot: { name: 'root.json' } }, '$.trustedRoot.bytes'],
    ['trusted root over the root cap', { files: [file('root.json')], trustedRoot: file('root.json', sized(DEFAULT_CAPS.root + 1)) }, '$.trustedRoot.bytes'],
  ];

  it.each(cases)('%s → %s', async (_what, payload, path) => {
    const deps = fakeDeps();
    const r = await createIpcHandlers(deps)[CHANNELS.inspectFiles](payload);
    expect(r).toMatchObject({ ok: false, code: 'IPC_INVALID', path });
    if (!r.ok) expect(r.message).toContain(CHANNELS.inspectFiles);
    expect(deps.inspectNamedFiles).not.toHaveBeenCalled();
  });

  it('accepts the limits themselves', async () => {
    const deps = fakeDeps();
    const h = createIpcHandlers(deps);
    const ok = [
      { files: [file('root.json', sized(DEFAULT_CAPS.root))] },
      { files: [file('targets.json', sized(DEFAULT_CAPS.targets)), file('targets/releases.json', sized(DEFAULT_CAPS.delegated))] },
      { files: [file(`${'a'.repeat(255)}`)] },
      { files: [file(`${'a/'.repeat(511)}xy`)] }, // exactly MAX_NAME_LENGTH
      { files: Array.from({ length: MAX_FILES }, (_, i) => file(`${i + 1}.root.json`, bytes(0))) },
      { files: [file('targets/releases/v1.json'), file('root.json'), file('spaces and ünïcödé 名前.json'), file('.hidden.json'), file('..json')] },
    ];
    for (const payload of ok) expect(await h[CHANNELS.inspectFiles](payload), payload.files[0]!.name.slice(0, 40)).toMatchObject({ ok: true });
    expect(deps.inspectNamedFiles).toHaveBeenCalledTimes(ok.length);
    expect(MAX_TOTAL_BYTES).toBeGreaterThanOrEqual(DEFAULT_CAPS.targets + DEFAULT_CAPS.delegated);
  });
});

describe('schema helpers', () => {
  it('names the role whose cap applies', () => {
    expect(roleForName('root.json')).toBe('root');
    expect(roleForName('12.root.json')).toBe('root');
    expect(roleForName('timestamp.json')).toBe('timestamp');
    expect(roleForName('snapshot.json')).toBe('snapshot');
    expect(roleForName('targets.json')).toBe('targets');
    expect(roleForName('releases.json')).toBe('releases');
    expect(roleForName('targets/releases.json')).toBe('delegated');
    expect(roleForName('metadata/root.json')).toBe('delegated');
    expect(sizeCapForName('3.root.json')).toBe(DEFAULT_CAPS.root);
    expect(sizeCapForName('anything')).toBe(DEFAULT_CAPS.delegated);
  });

  it('writes JSON paths as $.a[0]["odd key"]', () => {
    expect(jsonPath([])).toBe('$');
    expect(jsonPath(['files', 0, 'name'])).toBe('$.files[0].name');
    expect(jsonPath(['a b', '0x', '"'])).toBe('$["a b"]["0x"]["\\""]');
  });

  it('accepts ordinary relative names', () => {
    for (const n of ['root.json', '1.root.json', 'targets/releases.json', 'a/b/c.json']) expect(fileNameProblem(n), n).toBeUndefined();
  });
});

describe('inspectFiles through the real core', () => {
  it('explains a TUF repository directory pinned to its root', async () => {
    const repo = await buildRepo('tuf');
    const files = [
      file('root.json', repo.roots[0]!),
      file('targets.json', repo.targets),
      file('snapshot.json', repo.snapshot),
      file('timestamp.json', repo.timestamp),
      file('releases.json', repo.delegated),
    ];
    const r = await createIpcHandlers()[CHANNELS.inspectFiles]({ files, trustedRoot: file('root.json', repo.roots[0]!) });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    const ins = r.value as Inspection;
    expect(ins.profile).toBe('tuf');
    expect(ins.rootVersion).toBe(1);
    expect(ins.roles.map((role) => role.name)).toEqual(expect.arrayContaining(['root', 'targets', 'snapshot', 'timestamp']));
    expect(ins.verified).toEqual({ ok: true });
    // Plain data: survives structured cloning (what IPC does) unchanged.
    expect(structuredClone(ins)).toEqual(ins);
  });

  it('refuses bytes that are not metadata with the core error code, not INTERNAL', async () => {
    const r = await createIpcHandlers()[CHANNELS.inspectFiles]({ files: [file('root.json', new TextEncoder().encode('{not json'))] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe('JSON_MALFORMED');
  });
});
