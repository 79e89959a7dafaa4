/**
 * What a verified repository leaves for the next rollback check (trustedVersionsOf, TUF 5.5.5 / 5.6.7),
 * whatever its roles are called: a delegated role may be named "__proto__" (any string that is a safe
 * file name is a TUF role name), and its versions must be remembered like any other's.
 */
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { installedVersions } from '../../../src/trust-store/install.js';
import { trustedVersionsOf, verifyRepository } from '../../../src/tuf/repository.js';
import { buildRepo, sign, targetsSigned } from '../../support/repo.js';

describe('trustedVersionsOf', () => {
  it('keeps the versions of a delegated role named "__proto__", so going back to an older one is ROLLBACK', async () => {
    const r = await buildRepo('tuf', { delegationName: '__proto__' });
    const v1 = r.files();
    const enc = new TextEncoder();
    await r.relink({ delegated: await sign('tuf', targetsSigned('tuf', 2, { 'releases/v2.tar.gz': enc.encode('release 2') }), r.keys.delegate) });
    const installed = trustedVersionsOf(verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: new Date() }));
    // Before: plain assignment to `__proto__` dropped both (a number is no prototype), silently.
    expect(Object.hasOwn(installed.delegated!, '__proto__') && installed.delegated!['__proto__']).toBe(2);
    expect(Object.hasOwn(installed.snapshotMeta!, '__proto__') && installed.snapshotMeta!['__proto__']).toBe(2);
    expect(JSON.parse(JSON.stringify(installed)).delegated).toEqual({ ['__proto__']: 2 });

    let thrown: unknown;
    try {
      verifyRepository(v1, { trustedRoot: r.roots[0]!, now: new Date(), installed });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CeremonyError);
    expect((thrown as CeremonyError).code).toBe('ROLLBACK');
  });
});

describe('installedVersions (the trust folder read back for the next import)', () => {
  it('keeps the versions of a delegated role named "__proto__"', async () => {
    const r = await buildRepo('tuf', { delegationName: '__proto__' });
    const tree = new Map<string, Uint8Array>([
      ['root.json', r.roots[0]!],
      ['timestamp.json', r.timestamp],
      ['snapshot.json', r.snapshot],
      ['targets.json', r.targets],
      ['__proto__.json', r.delegated],
    ]);
    const { versions } = installedVersions(tree, 'tuf');
    // Before: both dropped (plain assignment of a number to `__proto__`).
    expect(Object.hasOwn(versions.delegated!, '__proto__') && versions.delegated!['__proto__']).toBe(1);
    expect(Object.hasOwn(versions.snapshotMeta!, '__proto__') && versions.snapshotMeta!['__proto__']).toBe(1);
  });
});
