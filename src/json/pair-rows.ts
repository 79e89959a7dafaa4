/**
 * The rows a KeyedFieldReader's pair table is made of (json/parse.ts Parser.keyedObject): for each entry in
 * the usual shape with exactly the usual pair of digests, `{"hashes":{"sha256":"…","sha512":"…"},"length":n}`,
 * its key, its length and where its two digests lie in the parsed text — numbers in typed arrays, not
 * objects. A 100,000-entry targets file held a TargetFile, a hashes record and two sliced strings per entry
 * plus a Map slot: ~22 MB of old space that every scavenge copied up to twice on the way (issue #18).
 */
export class PairRows {
  /** Each row's key, in document order. */
  readonly keys: string[] = [];
  /** Per row: start and end of the first digest, start and end of the second (character offsets). */
  spans = new Int32Array(4 * INITIAL_ROWS);
  /** Per row: the entry's `length` (an integer of at most 15 digits: exact in a double). */
  lengths = new Float64Array(INITIAL_ROWS);
  /**
   * Key → row, once the keys stopped being strictly ascending (then a lookup cannot bisect, and the parser
   * needs it for duplicates); undefined while they are ascending.
   */
  index: Map<string, number> | undefined;

  get count(): number {
    return this.keys.length;
  }

  push(key: string, start0: number, end0: number, start1: number, end1: number, length: number): void {
    const row = this.keys.length;
    if (row === this.lengths.length) this.grow();
    const s = 4 * row;
    const spans = this.spans;
    spans[s] = start0;
    spans[s + 1] = end0;
    spans[s + 2] = start1;
    spans[s + 3] = end1;
    this.lengths[row] = length;
    this.keys.push(key);
    this.index?.set(key, row);
  }

  /** Starts the key index (the keys so far, then each row pushed). */
  startIndex(): void {
    const index = new Map<string, number>();
    this.keys.forEach((key, row) => index.set(key, row));
    this.index = index;
  }

  private grow(): void {
    const spans = new Int32Array(this.spans.length * 2);
    spans.set(this.spans);
    this.spans = spans;
    const lengths = new Float64Array(this.lengths.length * 2);
    lengths.set(this.lengths);
    this.lengths = lengths;
  }
}

const INITIAL_ROWS = 256;
