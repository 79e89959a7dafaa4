/**
 * Target files in a targets change (src/target-files): entries computed from the bytes, custom data kept on
 * update, each refusal with its code, and the review's words (size, short hash, what replaces what).
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/json/types.js';
import { buildTargetsPayload, buildTargetsSigningRequest, describeRequest } from '../../../src/rotation/index.js';
import { applyTargetFileChanges, type TargetFileChanges } from '../../../src/target-files/change.js';
import { buildRepo, FAR, GUN, parseBytes, sign, withField, type BuiltRepo } from '../../support/repo.js';

const enc = new TextEncoder();
const hex = (alg: string, b: Uint8Array): string => createHash(alg).update(b).digest('hex');
const b64 = (alg: string, b: Uint8Array): string => createHash(alg).update(b).digest('base64');

let tuf: BuiltRepo;
let targetsWithCustom: Uint8Array;
beforeAll(async () => {
  tuf = await buildRepo('tuf');
  // app.tar.gz gains custom data (and a field this tool does not know) in a targets.json the targets key signs.
  const signed = withField(withField(parseBytes(tuf.targets).signed as JsonObject, ['targets', 'app.tar.gz', 'custom'], { channel: 'stable' }), ['targets', 'app.tar.gz', 'x-note'], 'kept');
  targetsWithCustom = await sign('tuf', signed, tuf.keys.targets);
});

const payload = (targets = targetsWithCustom) => buildTargetsPayload(tuf.roots[0]!, targets, { expires: FAR });

describe('applyTargetFileChanges', () => {
  it('add computes length, sha256 and sha512 from the bytes; update keeps custom and unknown fields; remove removes', () => {
    const added = enc.encode('trusted root v1');
    const updated = enc.encode('app v2, longer');
    const p = applyTargetFileChanges(payload(), { add: [{ name: 'trusted_root.json', bytes: added }], update: [{ name: 'app.tar.gz', bytes: updated }], remove: ['docs/readme.txt'] });
    const t = p.signed.targets as Record<string, JsonObject>;
    expect(t['trusted_root.json']).toEqual({ length: added.length, hashes: { sha256: hex('sha256', added), sha512: hex('sha512', added) } });
    expect(t['app.tar.gz']).toEqual({ length: updated.length, hashes: { sha256: hex('sha256', updated), sha512: hex('sha512', updated) }, custom: { channel: 'stable' }, 'x-note': 'kept' });
    expect(t['docs/readme.txt']).toBeUndefined();
    expect(p.targets.targets.get('trusted_root.json')!.length).toBe(added.length);

    const lines = describeRequest(buildTargetsSigningRequest(p, { repository: GUN })).lines.join('\n');
    expect(lines).toContain(`target "trusted_root.json" ADDED: ${added.length} bytes, sha256 ${hex('sha256', added).slice(0, 16)}…`);
    expect(lines).toContain(`target "app.tar.gz" REPLACED: 6 bytes, sha256 ${hex('sha256', enc.encode('app v1')).slice(0, 16)}… → ${updated.length} bytes, sha256 ${hex('sha256', updated).slice(0, 16)}…`);
    expect(lines).toContain(`target "docs/readme.txt" REVOKED (removed from targets.json): it was 5 bytes, sha256 ${hex('sha256', enc.encode('hello')).slice(0, 16)}…`);
  });

  it('new custom data on update replaces the old, and the review says so', () => {
    const p = applyTargetFileChanges(payload(), { update: [{ name: 'app.tar.gz', bytes: enc.encode('app v1'), custom: { channel: 'beta' } }] });
    expect((p.signed.targets as Record<string, JsonObject>)['app.tar.gz']!.custom).toEqual({ channel: 'beta' });
    const lines = describeRequest(buildTargetsSigningRequest(p, { repository: GUN })).lines.join('\n');
    expect(lines).toContain('target "app.tar.gz" changes (custom data; same 6 bytes');
  });

  it('Notary: base64 hashes, as notary writes them', async () => {
    const notary = await buildRepo('notary');
    const bytes = enc.encode('image manifest');
    const p = applyTargetFileChanges(buildTargetsPayload(notary.roots[0]!, notary.targets, { expires: FAR }), { add: [{ name: 'v1', bytes }] });
    expect((p.signed.targets as Record<string, JsonObject>).v1).toEqual({ length: bytes.length, hashes: { sha256: b64('sha256', bytes), sha512: b64('sha512', bytes) } });
  });

  const cases: [string, TargetFileChanges, string][] = [
    ['adding a listed name', { add: [{ name: 'app.tar.gz', bytes: enc.encode('x') }] }, 'TARGET_EXISTS'],
    ['updating a name not listed', { update: [{ name: 'nope', bytes: enc.encode('x') }] }, 'TARGET_UNKNOWN'],
    ['removing a name not listed', { remove: ['nope'] }, 'TARGET_UNKNOWN'],
    ['a name that climbs out of targets/', { add: [{ name: '../etc/passwd', bytes: enc.encode('x') }] }, 'TARGET_NAME_UNSAFE'],
    ['an absolute name', { add: [{ name: '/abs', bytes: enc.encode('x') }] }, 'TARGET_NAME_UNSAFE'],
    ['a hidden segment', { add: [{ name: 'a/.hidden', bytes: enc.encode('x') }] }, 'TARGET_NAME_UNSAFE'],
    ['one name in two lists', { update: [{ name: 'app.tar.gz', bytes: enc.encode('x') }], remove: ['app.tar.gz'] }, 'USAGE'],
  ];
  for (const [name, change, code] of cases) {
    it(`${name}: ${code}`, () => {
      expect(() => applyTargetFileChanges(payload(), change)).toThrow(expect.objectContaining({ code }));
    });
  }
});
