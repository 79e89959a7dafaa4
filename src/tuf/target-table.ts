/**
 * A targets file's entries kept as the parser found them (json/pair-rows.ts PairRows: keys, lengths, and
 * where each entry's sha256 and sha512 digests lie in the file's text), behind the ReadonlyMap that
 * Targets.targets is. A TargetFile is made each time one is asked for — the same plain object, with the
 * same own properties in the same order, that targetsReader's readUsual gives — and not kept: verification
 * never asks, and whoever does (a rotation, a listing) asks once per entry (issue #18: 100,000 entries as
 * four heap objects each cost ~135 ms and 6k page faults of a 527 ms parse).
 */
import type { PairRows } from '../json/pair-rows.js';
import type { TargetFile } from './targets.js';
import type { JsonObject } from '../json/types.js';

export class TargetTable implements ReadonlyMap<string, TargetFile> {
  // Private (#) fields, so that the table has no own enumerable properties, as a Map has none:
  // JSON.stringify gives `{}` for both, and never the file's text. Unlike a Map, structuredClone (IPC,
  // workers) would copy it as `{}` too, silently: a model never crosses (handlers send counts and views);
  // whatever must send entries sends `[...table]`.
  readonly #text: string;
  readonly #rows: PairRows;
  readonly #ascending: boolean;
  readonly #unrecognized: JsonObject;
  readonly #keys: readonly string[];
  #index: Map<string, number> | undefined;

  /**
   * `ascending`: the keys are strictly ascending (UTF-16 order, as the parser compares them), so a lookup
   * bisects; otherwise it goes through `rows.index`, or an index made on the first lookup.
   * `unrecognized`: what each TargetFile holds as its unknown fields (the reader's shared empty object).
   */
  constructor(text: string, rows: PairRows, ascending: boolean, unrecognized: JsonObject) {
    this.#text = text;
    this.#rows = rows;
    this.#ascending = ascending;
    this.#unrecognized = unrecognized;
    this.#keys = rows.keys;
    this.#index = ascending ? undefined : rows.index;
  }

  get size(): number {
    return this.#keys.length;
  }

  get(key: string): TargetFile | undefined {
    const row = this.rowOf(key);
    return row < 0 ? undefined : this.file(row);
  }

  has(key: string): boolean {
    return this.rowOf(key) >= 0;
  }

  keys(): MapIterator<string> {
    return this.#keys.values();
  }

  *values(): MapIterator<TargetFile> {
    for (let row = 0; row < this.#keys.length; row++) yield this.file(row);
  }

  *entries(): MapIterator<[string, TargetFile]> {
    for (let row = 0; row < this.#keys.length; row++) yield [this.#keys[row]!, this.file(row)];
  }

  [Symbol.iterator](): MapIterator<[string, TargetFile]> {
    return this.entries();
  }

  forEach(callbackfn: (value: TargetFile, key: string, map: ReadonlyMap<string, TargetFile>) => void, thisArg?: unknown): void {
    for (let row = 0; row < this.#keys.length; row++) callbackfn.call(thisArg, this.file(row), this.#keys[row]!, this);
  }

  /** The entry's row, or -1. */
  private rowOf(key: string): number {
    // Map.get's own test: anything but a string key is simply absent (callers typed `string` may still pass one).
    if (typeof key !== 'string') return -1;
    if (!this.#ascending) {
      if (!this.#index) {
        const index = new Map<string, number>();
        this.#keys.forEach((k, row) => index.set(k, row));
        this.#index = index;
      }
      return this.#index.get(key) ?? -1;
    }
    const keys = this.#keys;
    let lo = 0;
    let hi = keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid]!;
      if (k === key) return mid;
      if (k < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private file(row: number): TargetFile {
    const s = 4 * row;
    const spans = this.#rows.spans;
    const text = this.#text;
    return {
      length: this.#rows.lengths[row]!,
      hashes: { sha256: text.slice(spans[s]!, spans[s + 1]!), sha512: text.slice(spans[s + 2]!, spans[s + 3]!) },
      unrecognized: this.#unrecognized,
    };
  }
}
