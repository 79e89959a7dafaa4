/**
 * A targets file's usual entries become a TargetTable (json/parse.ts keyedObject, tuf/target-table.ts);
 * anything else keeps the Map the general path makes. The same file written so that its entries take one
 * path or the other must parse and verify to the same model, signed bytes and results, and a refusal
 * (duplicate keys above all, which the table's rows now detect) must be the plain-object parse's refusal.
 */
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { parseJsonStrict } from '../../../src/json/parse.js';
import type { JsonObject } from '../../../src/json/types.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { getProfile } from '../../../src/profiles/index.js';
import { parseMetadata, type Metadata } from '../../../src/tuf/metadata.js';
import { trustedVersionsOf, verifyRepository } from '../../../src/tuf/repository.js';
import { TargetTable } from '../../../src/tuf/target-table.js';
import { parseTargetsSigned, type Targets } from '../../../src/tuf/targets.js';
import { buildRepo, hashesOf, parseBytes, sign, targetsSigned } from '../../support/repo.js';

const enc = new TextEncoder();
const NAMES = ['__proto__', 'constructor', 'a/b.tgz', 'toString', 'é/ü.txt', '中文/包.tar', '😀', '', 'x9', ...Array.from({ length: 60 }, (_, i) => `pkg/${i}.tgz`)];

/** `signed.targets` of NAMES, in the given order, as own data properties (`__proto__` included). */
function targetsObject(profile: ProfileName, names: string[]): JsonObject {
  const out: JsonObject = {};
  names.forEach((name, i) => {
    const bytes = enc.encode(`content ${i} of ${name}`);
    Object.defineProperty(out, name, { value: { hashes: hashesOf(profile, bytes), length: bytes.length * 1000 + i }, enumerable: true, writable: true, configurable: true });
  });
  return out;
}

/** The file as written by our serializer (canonical: keys ascending, every entry a row). */
async function canonicalFile(profile: ProfileName, signed: JsonObject, keys: Parameters<typeof sign>[2]): Promise<Uint8Array> {
  return sign(profile, signed, keys);
}

/** The same file with its `targets` entries in `order` (not ascending: the table's index path). */
function reordered(bytes: Uint8Array, order: string[]): Uint8Array {
  const doc = parseBytes(bytes);
  const signed = doc.signed as JsonObject;
  const targets = signed.targets as JsonObject;
  const out: JsonObject = {};
  for (const name of order) Object.defineProperty(out, name, { value: Object.getOwnPropertyDescriptor(targets, name)!.value as JsonObject, enumerable: true, writable: true, configurable: true });
  return enc.encode(JSON.stringify({ signatures: doc.signatures, signed: { ...signed, targets: out } }));
}

/** The same file with a space inside one entry (`"length": n`): that entry, and so all, take the general path. */
function oneGeneral(bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes).toString('utf8');
  const at = text.indexOf('"length":', text.indexOf('"pkg/30.tgz"'));
  return enc.encode(text.slice(0, at + 9) + ' ' + text.slice(at + 9));
}

/**
 * What the model holds, as data: entries in order (or `sorted`) with their own keys, the JSON rebuilt
 * from it (canonically encoded: the rebuilt entries' own key order is `length, hashes` on every keyed
 * path, the file's on the plain-object one), the signed bytes.
 */
function view(md: Metadata<Targets>, sorted = false): unknown {
  const entries = [...md.signed.targets].map(([name, t]) => [name, Object.keys(t), Object.keys(t.hashes), t]);
  if (sorted) entries.sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1));
  const json = Buffer.from(md.profile.canonical(md.signedJson)).toString('latin1');
  return { signed: { ...md.signed, targets: entries }, json, bytes: Buffer.from(md.signedBytes()).toString('latin1'), size: md.signed.targets.size };
}

/** The general path alone: the plain-object parse, schema-read by parseTargetFile into a Map. */
function generalView(profile: ProfileName, bytes: Uint8Array): unknown {
  const md = parseMetadata(bytes, 'targets', { maxBytes: 1 << 22, source: 'targets.json' });
  const plain = (parseJsonStrict(bytes, { maxBytes: 1 << 22, path: '$' }) as JsonObject).signed as JsonObject;
  const signed = parseTargetsSigned(getProfile(profile), plain, '$.signed');
  expect(signed.targets).toBeInstanceOf(Map);
  return view({ ...md, signed, signedJson: md.signedJson, signedBytes: () => md.signedBytes() } as Metadata<Targets>);
}

function refusal(f: () => unknown): { code: string; path: string | undefined; message: string } {
  try {
    f();
  } catch (err) {
    if (err instanceof CeremonyError) return { code: err.code, path: err.path, message: err.message };
    throw err;
  }
  throw new Error('not refused');
}

for (const profile of ['tuf', 'notary'] as const) {
  describe(`targets entries as a table or a Map give the same model (${profile})`, () => {
    it('parseMetadata: canonical (bisected table), reordered (indexed table), one entry off the usual shape (Map), and the general path agree', async () => {
      const r = await buildRepo(profile);
      const base = parseBytes(r.targets).signed as JsonObject;
      const bytes = await canonicalFile(profile, { ...base, targets: targetsObject(profile, NAMES) }, r.keys.targets);
      const order = [...NAMES].reverse();
      const variants = { canonical: bytes, reordered: reordered(bytes, order), general: oneGeneral(bytes) };
      const parse = (b: Uint8Array) => parseMetadata(b, 'targets', { maxBytes: 1 << 22, source: 'targets.json', profile });
      const canonical = parse(variants.canonical);
      const shuffled = parse(variants.reordered);
      const general = parse(variants.general);
      expect(canonical.signed.targets).toBeInstanceOf(TargetTable);
      expect(shuffled.signed.targets).toBeInstanceOf(TargetTable);
      expect(general.signed.targets).toBeInstanceOf(Map);
      expect(view(canonical)).toStrictEqual(generalView(profile, variants.canonical));
      expect(view(general)).toStrictEqual(generalView(profile, variants.general));
      expect(view(canonical)).toStrictEqual(view(general));
      expect(view(shuffled)).toStrictEqual(generalView(profile, variants.reordered));
      // Lookups on every path: each name, and names that are not there.
      for (const name of [...NAMES, 'pkg/60.tgz', 'pkg/', 'hasOwnProperty', '😁']) {
        expect(canonical.signed.targets.get(name), name).toStrictEqual(general.signed.targets.get(name));
        expect(shuffled.signed.targets.get(name), name).toStrictEqual(general.signed.targets.get(name));
        expect(shuffled.signed.targets.has(name)).toBe(general.signed.targets.has(name));
      }
    });

    it('verifyRepository: the same results whichever path the entries took', async () => {
      const r = await buildRepo(profile);
      const delegation = { name: r.delegationName, keys: r.keys.delegate };
      const signed = { ...targetsSigned(profile, 1, {}, delegation), targets: targetsObject(profile, NAMES) };
      const bytes = await canonicalFile(profile, signed, r.keys.targets);
      const results: unknown[] = [];
      for (const variant of [bytes, oneGeneral(bytes), reordered(bytes, [...NAMES].reverse())]) {
        await r.relink({ targets: variant });
        const repo = verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: new Date() });
        const t = repo.targets!;
        results.push({ view: view(t.md, true), result: t.result, delegatedBy: t.delegatedBy, versions: trustedVersionsOf(repo), delegated: [...repo.delegated.keys()] });
      }
      expect(results[1]).toStrictEqual(results[0]);
      expect(results[2]).toStrictEqual(results[0]);
    });

    it('duplicate keys among table rows are refused as the plain-object parse refuses them', async () => {
      const r = await buildRepo(profile);
      const base = parseBytes(r.targets).signed as JsonObject;
      const bytes = await canonicalFile(profile, { ...base, targets: targetsObject(profile, ['a', 'b', 'c']) }, r.keys.targets);
      const text = Buffer.from(bytes).toString('utf8');
      const entry = (name: string): string => {
        const at = text.indexOf(`"${name}":{`);
        return text.slice(at, text.indexOf('}', text.indexOf('"length"', at)) + 1);
      };
      const cases = [
        [entry('b'), entry('a'), entry('b')], // order breaks, then the repeat
        [entry('a'), entry('b'), entry('c'), entry('a')],
        [entry('c'), entry('a'), entry('b'), entry('c')],
        [entry('a'), entry('b'), entry('b')], // the repeat is what breaks the order
      ];
      const head = text.slice(0, text.indexOf('"targets":{') + 11);
      const tail = text.slice(text.indexOf(entry('c')) + entry('c').length);
      for (const entries of cases) {
        const file = enc.encode(head + entries.join(',') + tail);
        const plain = refusal(() => parseJsonStrict(file, { maxBytes: 1 << 22, path: '$' }));
        expect(plain.code).toBe('JSON_DUPLICATE_KEY');
        expect(refusal(() => parseMetadata(file, 'targets', { maxBytes: 1 << 22, source: 'targets.json', profile }))).toStrictEqual(
          refusal(() => parseMetadata(file, 'targets', { maxBytes: 1 << 22, source: 'targets.json' })),
        );
        // The plain-object parse's own words and character position (the message then names the file).
        expect(refusal(() => parseMetadata(file, 'targets', { maxBytes: 1 << 22, source: 'targets.json', profile })).message).toContain(plain.message.replace(/ \(at [^)]*\)$/, ''));
      }
    });
  });
}
