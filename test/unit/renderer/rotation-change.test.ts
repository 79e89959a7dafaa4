/**
 * The Rotation screen's change set (renderer/src/rotation/change.ts): what the administrator chose →
 * the build call's `change`, or the sentence saying what is still missing.
 */
import { describe, expect, it } from 'vitest';
import type { RotationNewKeyView, RotationRootView } from '../../../electron/shared/api-types.js';
import { changeSet, type KeyPlan } from '../../../renderer/src/rotation/change.js';

const fp = { sha256: '00'.repeat(32), hex: '00'.repeat(8), words: [] };
const id = (c: string) => c.repeat(64);
const ROOT: RotationRootView = {
  fileName: 'root.json',
  profile: 'tuf',
  version: 1,
  expires: '2030-01-01T00:00:00Z',
  defaultExpires: '2036-01-01T00:00:00Z',
  threshold: 2,
  keys: [
    { keyid: id('a'), keytype: 'ecdsa', fingerprint: fp, name: 'Alice' },
    { keyid: id('b'), keytype: 'ecdsa', fingerprint: fp },
    { keyid: id('c'), keytype: 'ecdsa', fingerprint: fp },
  ],
  roles: [],
};
const KEY: RotationNewKeyView = { source: 'file', keyFile: { name: 'dave.json', bytes: new Uint8Array([1]) }, keyid: id('d'), keytype: 'ecdsa', fingerprint: fp };
const keep = (): KeyPlan => ({ action: 'keep', reason: 'lost', newName: '' });
const plans = (over: Record<string, KeyPlan> = {}) => new Map(ROOT.keys.map((k) => [k.keyid, over[k.keyid] ?? keep()]));
const EXP = '2036-01-01T00:00:00Z';

describe('changeSet', () => {
  it('nothing changed: only the expiry is renewed, and says so', () => {
    expect(changeSet(ROOT, plans(), [], 2, EXP)).toEqual({ replace: [], remove: [], add: [], expires: EXP, expiresOnly: true });
  });

  it('a replacement, a removal, an added key and a threshold', () => {
    const c = changeSet(
      ROOT,
      plans({ [id('c')]: { action: 'replace', reason: 'lost', newKey: KEY, newName: ' Dave ' }, [id('b')]: { action: 'remove', reason: 'retired', newName: '' } }),
      [{ id: 1, key: { ...KEY, keyid: id('e'), keyFile: { name: 'erin.json', bytes: new Uint8Array([2]) } }, name: 'Erin' }],
      3,
      EXP,
    );
    expect(c).toEqual({
      replace: [{ old: id('c'), reason: 'lost', key: KEY.keyFile, name: 'Dave' }],
      remove: [{ keyid: id('b'), reason: 'retired' }],
      add: [{ key: { name: 'erin.json', bytes: new Uint8Array([2]) }, name: 'Erin' }],
      threshold: 3,
      expires: EXP,
    });
  });

  it('says what is missing, naming the custodian by the name typed, else the transcript’s, else the key ID', () => {
    const names = new Map([[id('c'), 'Carol']]);
    expect(changeSet(ROOT, plans({ [id('c')]: { action: 'replace', reason: 'lost', newName: 'Dave' } }), [], 2, EXP, names)).toBe('choose the new key that replaces Carol');
    expect(changeSet(ROOT, plans({ [id('a')]: { action: 'replace', reason: 'lost', newKey: KEY, newName: '  ' } }), [], 2, EXP)).toBe('name the custodian of the key that replaces Alice');
    expect(changeSet(ROOT, plans({ [id('b')]: { action: 'replace', reason: 'lost', newName: 'x' } }), [], 2, EXP)).toBe('choose the new key that replaces key bbbbbbbb');
    expect(changeSet(ROOT, plans(), [{ id: 1, name: 'Erin' }], 2, EXP)).toBe('choose the key to add (or remove the empty row)');
    expect(changeSet(ROOT, plans(), [{ id: 1, key: KEY, name: '' }], 2, EXP)).toBe('name the custodian of the key to add');
    for (const t of [0, -1, 1.5, Number.NaN]) expect(changeSet(ROOT, plans(), [], t, EXP)).toBe('give the new root threshold as a whole number, 1 or more');
  });
});
