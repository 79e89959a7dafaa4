/**
 * The bundle format (src/bundle/format.ts): round trip, one encoding per content, and a table of hostile
 * bundles each refused with its own code (PRODUCT §6: "bundles whose manifest lies about a file").
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_MAGIC,
  bundleRepositoryFiles,
  decodeBundle,
  decodeInnerBundle,
  DEFAULT_BUNDLE_CAPS,
  encodeBundle,
  type BundleCaps,
  type BundleContent,
} from '../../../src/bundle/format.js';
import { wordsToBytes } from '../../../src/crypto/digest-words.js';
import { CeremonyError } from '../../../src/errors.js';
import { writeBundle } from '../../../src/io/bundle-file.js';
import { canonicalString } from '../../../src/json/canonical.js';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';
import { buildRepo, GUN, type BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const enc = new TextEncoder();
const dec = new TextDecoder();
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function contentOf(r: BuiltRepo): BundleContent {
  return {
    kind: 'trust-bundle',
    profile: r.profile,
    repository: GUN,
    created: '2026-11-25T10:00:00Z',
    files: [
      { name: 'root.json', bytes: r.roots[0]! },
      { name: 'targets.json', bytes: r.targets },
      { name: 'snapshot.json', bytes: r.snapshot },
      { name: 'timestamp.json', bytes: r.timestamp },
      { name: `${r.delegationName}.json`, bytes: r.delegated },
    ],
  };
}

/** Split a bundle into its manifest (parsed) and body. */
function split(bytes: Uint8Array): { manifest: JsonObject; body: Uint8Array } {
  const start = BUNDLE_MAGIC.length;
  const nl = bytes.indexOf(0x0a, start);
  return { manifest: JSON.parse(dec.decode(bytes.subarray(start, nl))) as JsonObject, body: bytes.subarray(nl + 1) };
}

function join3(manifestText: string, body: Uint8Array): Uint8Array {
  const head = enc.encode(`${BUNDLE_MAGIC}${manifestText}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** Re-encode with an edited manifest (canonical, so only the edit is wrong) and optionally another body. */
function edit(bytes: Uint8Array, f: (m: JsonObject) => void, body?: (b: Uint8Array) => Uint8Array): Uint8Array {
  const { manifest, body: b } = split(bytes);
  f(manifest);
  return join3(canonicalString(manifest, 'json'), body ? body(b) : b);
}

const files = (m: JsonObject) => m.files as JsonObject[];

interface Case {
  name: string;
  code: string;
  make(good: Uint8Array, c: BundleContent): Uint8Array;
  caps?: Partial<BundleCaps>;
  expectKind?: 'trust-bundle';
  /** The refusal names this file. */
  names?: string;
}

const CASES: Case[] = [
  { name: 'not a bundle (a metadata file)', code: 'BUNDLE_NOT_A_BUNDLE', make: (_g, c) => c.files[0]!.bytes },
  { name: 'empty file', code: 'BUNDLE_NOT_A_BUNDLE', make: () => new Uint8Array() },
  { name: 'header only, manifest cut off', code: 'BUNDLE_TRUNCATED', make: (g) => g.subarray(0, BUNDLE_MAGIC.length + 20) },
  { name: 'truncated in the last file', code: 'BUNDLE_TRUNCATED', make: (g) => g.subarray(0, g.length - 7) },
  { name: 'extra trailing bytes', code: 'BUNDLE_TRAILING_BYTES', make: (g) => join3(dec.decode(g.subarray(BUNDLE_MAGIC.length, g.indexOf(0x0a, BUNDLE_MAGIC.length))), new Uint8Array([...split(g).body, 0x0a])) },
  {
    name: 'manifest lies about a length',
    code: 'BUNDLE_MANIFEST_MISMATCH',
    names: 'root.json',
    make: (g) => edit(g, (m) => void (files(m).find((f) => f.name === 'root.json')!.length = (files(m).find((f) => f.name === 'root.json')!.length as number) - 1)),
  },
  {
    name: 'manifest lies about a hash',
    code: 'BUNDLE_MANIFEST_MISMATCH',
    names: 'snapshot.json',
    make: (g) => edit(g, (m) => void (files(m).find((f) => f.name === 'snapshot.json')!.sha256 = '0'.repeat(64))),
  },
  {
    name: 'a file swapped for other bytes of the same length',
    code: 'BUNDLE_MANIFEST_MISMATCH',
    make: (g) => {
      const out = g.slice();
      out[out.length - 3] = out[out.length - 3]! ^ 0x01;
      return out;
    },
  },
  { name: 'unknown kind', code: 'BUNDLE_KIND_UNKNOWN', make: (g) => edit(g, (m) => void (m.kind = 'firmware')) },
  { name: 'unknown manifest field', code: 'BUNDLE_MALFORMED', make: (g) => edit(g, (m) => void (m.comment = 'hi')) },
  { name: 'unknown file field', code: 'BUNDLE_MALFORMED', make: (g) => edit(g, (m) => void (files(m)[0]!.mode = 420)) },
  { name: 'unknown version', code: 'BUNDLE_VERSION_UNSUPPORTED', make: (g) => edit(g, (m) => void (m.version = 2)) },
  { name: 'another format name', code: 'BUNDLE_MALFORMED', make: (g) => edit(g, (m) => void (m.format = 'tar')) },
  { name: 'unknown profile', code: 'BUNDLE_MALFORMED', make: (g) => edit(g, (m) => void (m.profile = 'in-toto')) },
  { name: 'created not UTC seconds', code: 'BUNDLE_MALFORMED', make: (g) => edit(g, (m) => void (m.created = '2026-11-25T10:00:00.123+01:00')) },
  { name: 'sha256 in upper case', code: 'BUNDLE_MALFORMED', make: (g) => edit(g, (m) => void (files(m)[0]!.sha256 = (files(m)[0]!.sha256 as string).toUpperCase())) },
  { name: 'length not an integer', code: 'BUNDLE_MALFORMED', make: (g) => edit(g, (m) => void (files(m)[0]!.length = '12')) },
  {
    name: 'duplicate file',
    code: 'BUNDLE_FILE_DUPLICATE',
    names: 'root.json',
    make: (g) => {
      const { manifest, body } = split(g);
      const list = files(manifest);
      const i = list.findIndex((f) => f.name === 'root.json');
      list.splice(i, 0, { ...list[i]! });
      return join3(canonicalString(manifest, 'json'), body);
    },
  },
  {
    name: 'files out of order',
    code: 'BUNDLE_FILE_DUPLICATE',
    make: (g) => edit(g, (m) => void (m.files = [...files(m)].reverse() as JsonValue[])),
  },
  { name: 'path traversal name', code: 'BUNDLE_FILE_NAME_INVALID', make: (g) => edit(g, (m) => void (files(m)[0]!.name = '../../etc/cron.d/x.json')) },
  { name: 'absolute name', code: 'BUNDLE_FILE_NAME_INVALID', make: (g) => edit(g, (m) => void (files(m)[0]!.name = '/etc/passwd')) },
  { name: 'dot-dot inside a name', code: 'BUNDLE_FILE_NAME_INVALID', make: (g) => edit(g, (m) => void (files(m)[files(m).length - 1]!.name = 'targets/../../x.json')) },
  { name: 'not a metadata name in a trust bundle', code: 'BUNDLE_FILE_NAME_INVALID', make: (g) => edit(g, (m) => void (files(m)[0]!.name = 'install.sh')) },
  { name: 'a file announced over its cap', code: 'BUNDLE_TOO_LARGE', make: (g) => edit(g, (m) => void (files(m).find((f) => f.name === 'timestamp.json')!.length = 10_000_000)) },
  { name: 'oversized bundle', code: 'BUNDLE_TOO_LARGE', caps: { total: 1000 }, make: (g) => g },
  { name: 'oversized manifest', code: 'BUNDLE_MANIFEST_TOO_LARGE', caps: { manifest: 100 }, make: (g) => g },
  { name: 'a manifest line that never ends', code: 'BUNDLE_MANIFEST_TOO_LARGE', caps: { manifest: 100 }, make: () => enc.encode(BUNDLE_MAGIC + '{'.repeat(500)) },
  { name: 'manifest with whitespace (not canonical)', code: 'BUNDLE_MALFORMED', make: (g) => join3(JSON.stringify(split(g).manifest, null, 1).replace(/\n/g, ' '), split(g).body) },
  {
    name: 'manifest with a duplicate key',
    code: 'BUNDLE_MALFORMED',
    make: (g) => {
      const text = canonicalString(split(g).manifest, 'json');
      return join3(text.replace('{"created"', '{"kind":"trust-bundle","created"'), split(g).body);
    },
  },
  { name: 'manifest not JSON', code: 'BUNDLE_MALFORMED', make: (g) => join3('not json', split(g).body) },
  { name: 'a signing request where a trust bundle is needed', code: 'BUNDLE_KIND_UNEXPECTED', expectKind: 'trust-bundle', make: (_g, c) => encodeBundle({ ...c, kind: 'signing-request' }) },
];

describe('bundle format', () => {
  let r: BuiltRepo;
  let content: BundleContent;
  let good: Uint8Array;
  beforeAll(async () => {
    r = await buildRepo('notary');
    content = contentOf(r);
    good = encodeBundle(content);
  });

  it('round-trips: kind, profile, repository, created and every file byte for byte', () => {
    const d = decodeBundle(good, { expectKind: 'trust-bundle' });
    expect(d.kind).toBe('trust-bundle');
    expect(d.profile).toBe('notary');
    expect(d.repository).toBe(GUN);
    expect(d.created).toBe('2026-11-25T10:00:00Z');
    const byName = new Map(d.files.map((f) => [f.name, f.bytes]));
    for (const f of content.files) expect(Buffer.from(byName.get(f.name)!)).toEqual(Buffer.from(f.bytes));
    expect(d.manifest.files.map((f) => f.name)).toEqual([...content.files.map((f) => f.name)].sort());
    const repo = bundleRepositoryFiles(d);
    expect(repo.delegated.has(r.delegationName)).toBe(true);
  });

  it('refuses a repository name with characters that hide or reorder what the operator reads (bidi, zero-width, C1, separators)', () => {
    const names = [`registry.example.com/org/\u202Eppa`, `registry.example.com/org/app\u200B`, `registry\u0085.example.com`, `a\u2028b`, `a\u2066b\u2069`, `a\uFEFFb`, `a\u00ADb`];
    const got = names.map((name) => {
      try {
        decodeBundle(edit(good, (m) => void (m.repository = name)));
        return 'accepted';
      } catch (err) {
        return `${(err as CeremonyError).code} ${(err as CeremonyError).path}`;
      }
    });
    expect(got).toEqual(names.map(() => 'BUNDLE_MALFORMED $.repository'));
    expect(() => encodeBundle({ ...content, repository: `org/\u202Eppa` })).toThrow(CeremonyError);
    // Shown characters beyond ASCII stay allowed.
    expect(decodeBundle(edit(good, (m) => void (m.repository = 'registry.example.com/équipe/日本'))).repository).toBe('registry.example.com/équipe/日本');
  });

  it('is canonical: the same content in any order gives the same bytes; starts with the magic line', () => {
    const again = encodeBundle({ ...content, files: [...content.files].reverse() });
    expect(Buffer.from(again)).toEqual(Buffer.from(good));
    expect(dec.decode(good.subarray(0, BUNDLE_MAGIC.length))).toBe('TUFCEREMONY-BUNDLE\n');
  });

  it('short hash: SHA-256 of the whole bytes, as hex and as words that decode back to it', () => {
    const d = decodeBundle(good);
    expect(d.hash.sha256).toBe(sha256(good));
    expect(d.hash.hex).toBe(sha256(good).slice(0, 32));
    const back = wordsToBytes(d.hash.words);
    expect(back.ok && Buffer.from(back.bytes).toString('hex')).toBe(d.hash.hex);
  });

  it('an inner bundle: its bytes and hash from the file entry the outer decode checked, whatever the caller changes afterwards', () => {
    const other = encodeBundle({ ...content, created: '2026-11-26T10:00:00Z' });
    const outer = decodeBundle(encodeBundle({ kind: 'trust-bundle-set', profile: 'notary', repository: 'x', created: content.created, files: [{ name: 'a', bytes: good }, { name: 'b', bytes: other }] }));
    const a = decodeInnerBundle(outer, 0, { expectKind: 'trust-bundle' });
    const b = decodeInnerBundle(outer, 1, { expectKind: 'trust-bundle' });
    expect([a.hash.sha256, b.hash.sha256]).toEqual([sha256(good), sha256(other)]);
    expect(b.created).toBe('2026-11-26T10:00:00Z');
    // The returned object is the caller's: swapping its files or manifest entries changes neither bytes nor digest.
    outer.files.reverse();
    outer.manifest.files.reverse();
    expect(decodeInnerBundle(outer, 0).hash.sha256).toBe(sha256(good));
    expect(decodeInnerBundle(outer, 0).created).toBe(content.created);
    // Only a bundle decodeBundle returned, and only an index it holds.
    expect(() => decodeInnerBundle({ ...outer }, 0)).toThrow(/did not return/);
    expect(() => decodeInnerBundle(outer, 2)).toThrow(/did not return/);
  });

  it('carries signing requests and signature responses as opaque named files (safe names only)', () => {
    const files = [
      { name: 'request/payload.json', bytes: enc.encode('{"x":1}') },
      { name: 'previous-root.json', bytes: r.roots[0]! },
    ];
    for (const kind of ['signing-request', 'signature-response', 'share-card'] as const) {
      const d = decodeBundle(encodeBundle({ ...content, kind, files }));
      expect(d.kind).toBe(kind);
      expect(d.files.map((f) => f.name)).toEqual(['previous-root.json', 'request/payload.json']);
      expect(() => bundleRepositoryFiles(d)).toThrow(expect.objectContaining({ code: 'BUNDLE_KIND_UNEXPECTED' }) as Error);
    }
    expect(() => encodeBundle({ ...content, kind: 'signing-request', files: [{ name: '../x', bytes: new Uint8Array() }] })).toThrow(
      expect.objectContaining({ code: 'BUNDLE_FILE_NAME_INVALID' }) as Error,
    );
  });

  describe('hostile bundles, each refused with its own code', () => {
    it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const bytes = c.make(good, content);
      const caps = { ...DEFAULT_BUNDLE_CAPS, ...(c.caps ?? {}) };
      let err: unknown;
      try {
        decodeBundle(bytes, { caps, ...(c.expectKind ? { expectKind: c.expectKind } : {}) });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CeremonyError);
      expect((err as CeremonyError).code).toBe(c.code);
      if (c.names) expect((err as CeremonyError).message).toContain(c.names);
    });
  });

  it('writeBundle: atomic, never overwrites, reads back and returns the short hash', async () => {
    const dir = tmp('tufc-bundle-');
    const path = join(dir, 'site.tufbundle');
    const hash = await writeBundle(path, good);
    expect(hash.sha256).toBe(sha256(good));
    expect(Buffer.from(readFileSync(path))).toEqual(Buffer.from(good));
    writeFileSync(join(dir, 'taken'), 'x');
    await expect(writeBundle(join(dir, 'taken'), good)).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(readFileSync(join(dir, 'taken'), 'utf8')).toBe('x');
    await expect(writeBundle(path, good)).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
  });
});
