/**
 * TargetTable (tuf/target-table.ts) is the ReadonlyMap a parsed targets file's entries live in: every
 * method must answer as a real Map of the same entries does — order, missing keys, names that are special
 * to plain objects, non-BMP names — on the bisecting path (keys strictly ascending, as a canonical file's)
 * and on the index path (any other order, the index made by the parser or on the first lookup).
 */
import { describe, expect, it } from 'vitest';
import { PairRows } from '../../../src/json/pair-rows.js';
import { TargetTable } from '../../../src/tuf/target-table.js';
import type { TargetFile } from '../../../src/tuf/targets.js';

const NO_FIELDS = Object.freeze({});

interface Row {
  key: string;
  sha256: string;
  sha512: string;
  length: number;
}

/** The table of `rows` (in this order) over a text holding their digests, and a Map of the same entries. */
function both(rows: Row[], ascending: boolean, parserIndex = false): { table: TargetTable; map: Map<string, TargetFile> } {
  const pairs = new PairRows();
  let text = 'x';
  if (parserIndex) pairs.startIndex();
  for (const r of rows) {
    const s0 = text.length;
    text += `${r.sha256}","`;
    const s1 = text.length;
    text += `${r.sha512}","`;
    pairs.push(r.key, s0, s0 + r.sha256.length, s1, s1 + r.sha512.length, r.length);
  }
  const map = new Map<string, TargetFile>(rows.map((r) => [r.key, { length: r.length, hashes: { sha256: r.sha256, sha512: r.sha512 }, unrecognized: NO_FIELDS }]));
  return { table: new TargetTable(text, pairs, ascending, NO_FIELDS), map };
}

const hex = (i: number, n: number): string => (i.toString(16).padStart(4, '0') + 'ab').repeat(n).slice(0, 2 * n);

const NAMES = [
  '',
  ' ',
  '0',
  '1',
  '10',
  '9',
  'A',
  '__proto__',
  'a',
  'a/b.tgz',
  'a/b.tgz.sig',
  'aa',
  'constructor',
  'hasOwnProperty',
  'toString',
  'valueOf',
  'zz',
  'é',
  'ñandú/ü.txt',
  '中文/包.tar',
  '\uffff',
  '😀',
  '😀/x',
];

function rowsOf(names: string[]): Row[] {
  return names.map((key, i) => ({ key, sha256: hex(i, 32), sha512: hex(i + 1000, 64), length: i * 1_000_003 }));
}

/** Ascending as the parser compares keys (`>` on strings: UTF-16 code units). */
const ascendingNames = [...new Set(NAMES)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Keys that are in no table below. */
const MISSING = ['b', 'a/', 'a/b', 'zzz', '\u0000', '😀/', '😁', 'aaa', '00', 'A ', 'prototype', '__defineGetter__', 'ÿ', '\ud83d'];

function expectConforms(table: TargetTable, map: Map<string, TargetFile>): void {
  expect(table.size).toBe(map.size);
  expect([...table.keys()]).toEqual([...map.keys()]);
  expect([...table.values()]).toStrictEqual([...map.values()]);
  expect([...table.entries()]).toStrictEqual([...map.entries()]);
  expect([...table]).toStrictEqual([...map]);
  expect(new Map(table)).toStrictEqual(map);
  // No own enumerable properties, as a Map has none: JSON and object spreads see nothing (never the text).
  expect(JSON.stringify(table)).toBe(JSON.stringify(map));
  expect(Object.keys(table)).toEqual(Object.keys(map));
  // Each TargetFile as JSON and as its own keys see it: the shape readUsual gives, in its order.
  for (const [name, file] of table) {
    expect(Object.keys(file)).toEqual(['length', 'hashes', 'unrecognized']);
    expect(Object.keys(file.hashes)).toEqual(['sha256', 'sha512']);
    expect(Object.getPrototypeOf(file)).toBe(Object.prototype);
    expect(JSON.stringify(file)).toBe(JSON.stringify(map.get(name)));
  }
  for (const key of [...map.keys(), ...MISSING]) {
    expect(table.has(key), key).toBe(map.has(key));
    expect(table.get(key), key).toStrictEqual(map.get(key));
  }
  // Map's own answer for a key that is not a string (a caller typed `string` may still pass one).
  for (const odd of [0, 1, null, undefined, {}]) {
    expect(table.get(odd as unknown as string)).toBe(map.get(odd as unknown as string));
    expect(table.has(odd as unknown as string)).toBe(map.has(odd as unknown as string));
  }
  const seen: unknown[][] = [];
  const self = { tag: 'this' };
  table.forEach(function (this: unknown, value, key, m) {
    seen.push([value, key, m === table, this]);
  }, self);
  const expected: unknown[][] = [];
  map.forEach((value, key) => expected.push([value, key, true, self]));
  expect(seen).toStrictEqual(expected);
  // Fresh iterators each time, each one its own.
  const it1 = table.keys();
  const it2 = table.keys();
  it1.next();
  expect([...it2]).toEqual([...map.keys()]);
}

describe('TargetTable is a ReadonlyMap', () => {
  it('ascending keys: bisected, every key found, missing ones absent, in file order', () => {
    const { table, map } = both(rowsOf(ascendingNames), true);
    expectConforms(table, map);
  });

  it('every table size from 0 to 40 finds each of its keys and none other (the bisection at its edges)', () => {
    const names = Array.from({ length: 40 }, (_, i) => `f${String(i).padStart(3, '0')}`);
    for (let n = 0; n <= names.length; n++) {
      const { table, map } = both(rowsOf(names.slice(0, n)), true);
      for (const key of names) expect(table.get(key), `${n} ${key}`).toStrictEqual(map.get(key));
      for (const key of ['', 'f', 'f0000', 'g', 'e999']) expect(table.has(key)).toBe(false);
      expect([...table.keys()]).toEqual(names.slice(0, n));
    }
  });

  it('keys in any other order: the index made on the first lookup', () => {
    const shuffled = [...ascendingNames].reverse();
    shuffled.push(shuffled.shift()!);
    const { table, map } = both(rowsOf(shuffled), false);
    expectConforms(table, map);
  });

  it("keys in any other order: the parser's index", () => {
    const shuffled = [ascendingNames[5]!, ...ascendingNames.slice(0, 5), ...ascendingNames.slice(6)];
    const { table, map } = both(rowsOf(shuffled), false, true);
    expectConforms(table, map);
  });

  it('an empty table', () => {
    for (const ascending of [true, false]) {
      const { table, map } = both([], ascending);
      expectConforms(table, map);
      expect(table.size).toBe(0);
    }
  });

  it('makes a new TargetFile per lookup: a change to one is not the table’s', () => {
    const { table } = both(rowsOf(['a', 'b']), true);
    const a = table.get('a')!;
    a.length = -1;
    a.hashes.sha256 = 'changed';
    expect(table.get('a')!.length).toBe(0);
    expect(table.get('a')!.hashes.sha256).toBe(hex(0, 32));
  });
});
