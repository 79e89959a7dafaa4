/**
 * Issue #18: what verification returns does not keep the files it read alive. A key ID parsed from a file
 * is V8's slice of the file's text; results that held those slices (signed, missing, invalid, strangers)
 * kept every root of a chain in memory as text — a 1,000-version chain ≈ 2.4 MB, promoted through every
 * scavenge of the walk. Measured as heap retained by the returned repository: with each root padded to
 * ~200 KB (an unknown signed field, kept and signed like any other), holding the slices retains the text
 * of every root (~4 MB here); without them, only the trusted and the final root's (whose parsed fields hold
 * their own text).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { verifyRepository, type VerifiedRepository } from '../../../src/tuf/repository.js';
import { makeKey } from '../../support/keys.js';
import { rootSigned, sign, type RootKeys } from '../../support/repo.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

const PAD = 200_000;

describe('verification results keep no file text alive (issue #18)', () => {
  it('a 20-version chain: the returned repository retains about two roots of text, not twenty', async () => {
    const rootKeys = await Promise.all([0, 1, 2].map(() => makeKey('tuf', 'ed25519')));
    let keys: RootKeys = { root: rootKeys, targets: [await makeKey('tuf', 'ed25519')], snapshot: [await makeKey('tuf', 'ed25519')], timestamp: [await makeKey('tuf', 'ed25519')] };
    const roots = new Map<number, Uint8Array>();
    let previousSigners: RootKeys['root'] = [];
    for (let v = 1; v <= 20; v++) {
      // As test/support/repo.ts rotates: the first root key replaced per version, signed by the new
      // root's first two keys and the previous one's (its removed key's signature is a stranger to the new role).
      if (v > 1) keys = { ...keys, root: [await makeKey('tuf', 'ed25519'), ...keys.root.slice(1)] };
      const signed = { ...rootSigned('tuf', v, keys, { root: 2 }), x_padding: `${v}`.padEnd(PAD, 'x') };
      roots.set(v, await sign('tuf', signed, [...new Set([...keys.root.slice(0, 2), ...previousSigners])]));
      previousSigners = keys.root.slice(0, 2);
    }
    let repo: VerifiedRepository | undefined = verifyRepository({ versionedRoots: roots, root: roots.get(20)!, delegated: new Map() }, { trustedRoot: roots.get(1)!, now: new Date() });
    expect(repo.rootChain).toHaveLength(19);
    // The results are what they were: the signers, the stranger (the removed key), the missing key.
    const last = repo.rootChain[18]!;
    expect(last.bySelf.signed).toEqual(keys.root.slice(0, 2).map((k) => k.keyId));
    expect(last.bySelf.missing).toEqual([keys.root[2]!.keyId]);
    expect(last.bySelf.strangers).toHaveLength(1);
    const held = heapAfterGc();
    repo = undefined;
    const retained = held - heapAfterGc();
    // Two roots' text (the trusted and the final root) plus the results; twenty would be ≈ 4 MB.
    expect(retained).toBeLessThan(6 * PAD);
  });
});
