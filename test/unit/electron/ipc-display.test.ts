/**
 * Every string the app's screens receive goes through the one display rule (src/json/fields.ts
 * displaySafeValue, terminalSafe's escapes): names from foreign metadata cannot reorder (U+202E) or hide
 * (U+200B) what a person reads on the Inspect, Import or co-signing screens.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createIpcHandlers, type Handler } from '../../../electron/main/ipc-handlers.js';
import { guardHandler, type SenderEvent } from '../../../electron/main/ipc-register.js';
import type { Inspection } from '../../../electron/shared/api-types.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import { CeremonyError } from '../../../src/errors.js';
import { displaySafeValue } from '../../../src/json/fields.js';
import { buildRepo } from '../../support/repo.js';

const APP_URL = pathToFileURL(join('/opt/app/dist/renderer', 'index.html')).href;
const top: SenderEvent = { senderFrame: { url: APP_URL, parent: null } };

describe('displaySafeValue', () => {
  it('escapes bidi, zero-width, C1 and separator characters in every string and key; keeps line feeds, byte arrays and untouched objects', () => {
    const bytes = new Uint8Array([0xe2, 0x80, 0xae]);
    const clean = { name: 'releases', list: ['a', 'b'] };
    const value = { name: 'rel\u202Eesae', nested: [{ path: 'docs/\u200Breadme', n: 3 }], note: 'line 1\nline 2', keyed: { 'x\u0085': 1 }, bytes, clean };
    const shown = displaySafeValue(value);
    // A line with a hiding character arrives as a JSON string (quoted, escaped); text of several lines is
    // escaped in place.
    expect(shown).toEqual({ name: '"rel\\u202eesae"', nested: [{ path: '"docs/\\u200breadme"', n: 3 }], note: 'line 1\nline 2', keyed: { '"x\\u0085"': 1 }, bytes, clean });
    expect(displaySafeValue({ note: 'line 1\u202e\nline 2' })).toEqual({ note: 'line 1\\u202e\nline 2' });
    expect(shown.bytes).toBe(bytes);
    expect(shown.clean).toBe(clean);
    expect(displaySafeValue(clean)).toBe(clean);
    // The input is not changed.
    expect(value.name).toBe('rel\u202Eesae');
    // A key named __proto__ stays an own key.
    const proto = displaySafeValue(JSON.parse('{"__proto__\u200b": 1, "__proto__": {"a\u200b": 2}}') as Record<string, unknown>);
    expect(Object.keys(proto)).toEqual(['"__proto__\\u200b"', '__proto__']);
  });

  it('is one-to-one on lines: a label typed out as `a\\u200bb` and the label a<U+200B>b never arrive alike', () => {
    const labels = ['a\u200bb', 'a\\u200bb', '"a\\u200bb"', '"a\u200bb"', 'a"b', 'C:\\Users\\dave', 'plain'];
    const shown = labels.map((l) => displaySafeValue(l));
    expect(new Set(shown).size).toBe(labels.length);
    // What needs nothing arrives as it is (a Windows path, a name with a quote inside).
    expect(shown.slice(4)).toEqual(labels.slice(4));
    expect(shown[0]).toBe('"a\\u200bb"');
    expect(shown[1]).toBe('a\\u200bb');
  });
});

describe('guardHandler: what reaches the screen', () => {
  it('a result and a refusal carry escaped names (they were passed raw)', async () => {
    const ok: Handler = async () => ({ ok: true as const, value: { repository: 'org/\u202Eppa' } });
    expect(await guardHandler(CHANNELS.appInfo, ok, APP_URL)(top)).toEqual({ ok: true, value: { repository: '"org/\\u202eppa"' } });
    const thrown: Handler = async () => {
      throw new CeremonyError('DELEGATION_INVALID', 'role "a\u2066b" is delegated twice', { path: 'targets.json $.signed.delegations.roles[1].name' });
    };
    expect(await guardHandler(CHANNELS.appInfo, thrown, APP_URL)(top)).toMatchObject({ ok: false, code: 'DELEGATION_INVALID', message: expect.stringMatching(/^role "a\\u2066b" is delegated twice/) });
  });

  it('Inspect: a TUF delegation named with a right-to-left override is shown escaped in the key hierarchy', async () => {
    const name = 'rel\u202Eesae';
    const r = await buildRepo('tuf', { delegationName: name });
    // Its own file cannot be opened by that name (the IPC schema refuses such a file name); targets.json names it.
    const files = Object.entries({ 'root.json': r.roots[0]!, 'targets.json': r.targets, 'snapshot.json': r.snapshot, 'timestamp.json': r.timestamp }).map(([n, bytes]) => ({ name: n, bytes }));
    const inspect = guardHandler(CHANNELS.inspectFiles, createIpcHandlers()[CHANNELS.inspectFiles], APP_URL);
    const res = (await inspect(top, { files, directory: true })) as { ok: true; value: Inspection };
    expect(res).toMatchObject({ ok: true });
    const shown = res.value.roles.map((x) => x.name);
    expect(shown).toContain('"rel\\u202eesae"');
    expect(shown.some((n) => n.includes('\u202E'))).toBe(false);
  });
});
