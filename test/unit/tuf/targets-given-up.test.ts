/**
 * VerifyOptions.targetsGivenUp (issue #18): `verify` gives up the buffers of pretty-printed targets files,
 * which are then compacted in place instead of into a 27 MB copy. Without the option no caller's buffer is
 * changed (import installs the bytes as written); with it only targets.json and the delegated targets
 * files are, after their hashes are checked, and the verified result is the same.
 */
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/json/types.js';
import { CeremonyError } from '../../../src/errors.js';
import { GivenUpRefusal, verifyRepository, type RepositoryFiles, type VerifiedRepository } from '../../../src/tuf/repository.js';
import { prettyRepo } from '../../support/pretty.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';

const copies = (files: RepositoryFiles): Map<string, Buffer> => {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(files)) if (v instanceof Uint8Array) out.set(k, Buffer.from(v));
  for (const [v, b] of files.versionedRoots) out.set(`${v}.root`, Buffer.from(b));
  for (const [name, b] of files.delegated) out.set(`delegated ${name}`, Buffer.from(b));
  return out;
};
const current = (files: RepositoryFiles): Map<string, Buffer> => {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(files)) if (v instanceof Uint8Array) out.set(k, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  for (const [v, b] of files.versionedRoots) out.set(`${v}.root`, Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  for (const [name, b] of files.delegated) out.set(`delegated ${name}`, Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  return out;
};
const changed = (before: Map<string, Buffer>, files: RepositoryFiles): string[] =>
  [...current(files)].filter(([k, b]) => !before.get(k)!.equals(b)).map(([k]) => k);

function summary(repo: VerifiedRepository): JsonObject {
  const t = repo.targets!.md.signed;
  return {
    versions: [repo.root.signed.version, repo.timestamp!.md.signed.version, repo.snapshot!.md.signed.version, t.version],
    targets: [...t.targets].map(([name, f]) => [name, f.length, JSON.stringify(f.hashes)]),
    delegated: [...repo.delegated].map(([name, v]) => [name, v.md.signed.targets.size, v.result.signed.length]),
    signedBytes: Buffer.from(repo.targets!.md.signedBytes()).toString('hex'),
  };
}

describe('verifyRepository: targets files given up', () => {
  const opts = (r: BuiltRepo) => ({ trustedRoot: r.roots[0]!, now: new Date() });

  it('without the option no buffer is changed; with it only the pretty targets files are, and the result is the same', async () => {
    const r = await prettyRepo();
    const files = r.files();
    const before = copies(files);
    const asRead = verifyRepository(files, opts(r));
    expect(changed(before, files)).toEqual([]);
    const given = r.files();
    const givenBefore = copies(given);
    const repo = verifyRepository(given, { ...opts(r), targetsGivenUp: true });
    expect(summary(repo)).toEqual(summary(asRead));
    // Compacted in place (the option did something), nothing else touched.
    expect(changed(givenBefore, given).sort()).toEqual(['delegated releases', 'targets']);
    expect(Buffer.from(given.targets!.subarray(0, 15)).toString()).toBe('{"signatures":[');
  });

  it("a given-up role's md.bytes cannot be read (they are no longer the file); a role read as it is keeps its file", async () => {
    const r = await prettyRepo();
    const file = Buffer.from(r.files().targets!);
    const asRead = verifyRepository(r.files(), opts(r));
    expect(Buffer.from(asRead.targets!.md.bytes).equals(file)).toBe(true);
    const given = verifyRepository(r.files(), { ...opts(r), targetsGivenUp: true });
    for (const md of [given.targets!.md, ...[...given.delegated.values()].map((v) => v.md)]) {
      let caught: unknown;
      try {
        void md.bytes;
      } catch (err) {
        caught = err;
      }
      expect(caught, md.source).toBeInstanceOf(CeremonyError);
      expect((caught as CeremonyError).code).toBe('INTERNAL');
      expect((caught as CeremonyError).message).toContain(md.source);
    }
    expect(given.delegated.size).toBeGreaterThan(0);
    // Nothing else of the given-up roles changed: the root's and snapshot's bytes are the files'.
    expect(Buffer.from(given.snapshot!.md.bytes).equals(Buffer.from(r.files().snapshot!))).toBe(true);
  });

  it('a compact repository is left as it is even when given up', async () => {
    const r = await buildRepo('tuf');
    const files = r.files();
    const before = copies(files);
    verifyRepository(files, { ...opts(r), targetsGivenUp: true });
    expect(changed(before, files)).toEqual([]);
  });

  it('a refused pretty targets file is refused given up too, with the same code', async () => {
    const r = await prettyRepo((t) => t.replace('"length": 6', '"length": 6.0'));
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as { code: string }).code;
      }
      return 'accepted';
    };
    expect(code(() => verifyRepository(r.files(), opts(r)))).toBe('JSON_NUMBER_INVALID');
    expect(code(() => verifyRepository(r.files(), { ...opts(r), targetsGivenUp: true }))).toBe('JSON_NUMBER_INVALID');
  });

  // The CLI reads a folder again only for a GivenUpRefusal (src/cli/verify.ts): a given-up file's parse
  // refused; every other refusal is the files' own and is thrown as it is, given up or not.
  const thrown = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    return undefined;
  };

  it("a given-up file's parse refusal is a GivenUpRefusal carrying the refusal; without the option it is the plain refusal", async () => {
    const r = await prettyRepo((t) => t.replace('"length": 6', '"length": 6,\n    "length": 6'));
    const plain = thrown(() => verifyRepository(r.files(), opts(r)));
    expect(plain).toBeInstanceOf(CeremonyError);
    expect(plain).not.toBeInstanceOf(GivenUpRefusal);
    const given = thrown(() => verifyRepository(r.files(), { ...opts(r), targetsGivenUp: true }));
    expect(given).toBeInstanceOf(GivenUpRefusal);
    expect((given as GivenUpRefusal).code).toBe('JSON_DUPLICATE_KEY');
    expect((given as GivenUpRefusal).refusal).toBeInstanceOf(CeremonyError);
  });

  it('a refusal after the parse (a bad signature, a hash) is the plain refusal even when given up', async () => {
    // One byte of a signature changed: parsed fine, refused by the signature check.
    const badSig = await prettyRepo((t) => t.replace(/("sig": ")([0-9a-f])/, (_m, head: string, c: string) => `${head}${c === '0' ? '1' : '0'}`));
    // (files() hands out the same buffers each time: the plain run goes first, before any is given up.)
    const own = thrown(() => verifyRepository(badSig.files(), opts(badSig)));
    expect((own as CeremonyError).code).toBe('THRESHOLD_NOT_MET');
    const sig = thrown(() => verifyRepository(badSig.files(), { ...opts(badSig), targetsGivenUp: true }));
    expect(sig).toBeInstanceOf(CeremonyError);
    expect(sig).not.toBeInstanceOf(GivenUpRefusal);
    expect((sig as CeremonyError).code).toBe('THRESHOLD_NOT_MET');
    // targets.json changed after snapshot listed it: refused by its hashes before any parse.
    const r = await prettyRepo();
    const files = r.files();
    const edited = Uint8Array.from(files.targets!);
    edited[edited.length - 1] = 0x20;
    const hash = thrown(() => verifyRepository({ ...files, targets: edited }, { ...opts(r), targetsGivenUp: true }));
    expect(hash).toBeInstanceOf(CeremonyError);
    expect(hash).not.toBeInstanceOf(GivenUpRefusal);
  });
});
