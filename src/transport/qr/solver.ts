/**
 * The receiver's solver: Gaussian elimination over GF(2), incremental as parts arrive.
 *
 * Every fountain part is the XOR of a known set of the message's `n` fragments (the package's
 * `chooseFragments(seqNum, n, checksum)` tells which). Over GF(2) that is one linear equation: a row
 * whose bits are the fragment indexes and whose right-hand side is the part's payload. The message is
 * recoverable exactly when the received rows have rank `n`.
 *
 * Why not the package's own decoder: it *peels* — it only uses a mixed part once all but one of its
 * fragments are known, or once another part's set is a subset of it. Parts that are independent but not
 * yet peelable sit unused, so it needs 1.25–1.45× the ideal number of parts at 30 % loss (2–3× when it
 * joins mid-stream on a large bundle: FIELD-NOTES.md). Elimination uses every independent part, and
 * completes as soon as the rank reaches `n`: typically n plus one or two parts, wherever it joins.
 *
 * Method: the rows are kept in echelon form, one pivot row per column, whose lowest set bit is that
 * column. A new row is reduced by the pivot of its lowest set bit until it is zero (redundant: nothing
 * learnt) or its lowest bit has no pivot (it becomes that column's pivot: rank + 1). Cost per part is at
 * most `rank` row XORs of n/32 words and fragmentLength/4 words. When the rank is `n`, back-substitution
 * from the highest column down yields every fragment.
 */

interface Row {
  bits: Uint32Array;
  data: Uint32Array;
}

function lowestBit(bits: Uint32Array, fromWord: number): number {
  for (let w = fromWord; w < bits.length; w++) {
    const v = bits[w]!;
    if (v !== 0) return w * 32 + (31 - Math.clz32(v & -v));
  }
  return -1;
}

export class Gf2Solver {
  readonly n: number;
  readonly fragmentLength: number;
  private readonly words: number;
  private readonly dataWords: number;
  private readonly pivots: (Row | undefined)[];
  private rankValue = 0;

  constructor(n: number, fragmentLength: number) {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('n must be a positive integer');
    if (!Number.isSafeInteger(fragmentLength) || fragmentLength < 1) throw new RangeError('fragmentLength must be a positive integer');
    this.n = n;
    this.fragmentLength = fragmentLength;
    this.words = Math.ceil(n / 32);
    this.dataWords = Math.ceil(fragmentLength / 4);
    this.pivots = new Array<Row | undefined>(n).fill(undefined);
  }

  get rank(): number {
    return this.rankValue;
  }

  get complete(): boolean {
    return this.rankValue === this.n;
  }

  /**
   * Add the equation "XOR of fragments `indexes` = `payload`". Returns true when it raised the rank
   * (an innovative part), false when it was a combination of parts already held.
   */
  add(indexes: readonly number[], payload: Uint8Array): boolean {
    if (payload.length !== this.fragmentLength) throw new RangeError('payload length differs from fragmentLength');
    if (this.complete) return false;
    const bits = new Uint32Array(this.words);
    for (const i of indexes) {
      if (!Number.isInteger(i) || i < 0 || i >= this.n) throw new RangeError('fragment index out of range');
      bits[i >>> 5]! ^= 1 << (i & 31);
    }
    let col = lowestBit(bits, 0);
    if (col < 0) return false;
    // Pad the payload to whole 32-bit words (the pad stays zero through every XOR).
    const bytes = new Uint8Array(this.dataWords * 4);
    bytes.set(payload);
    const data = new Uint32Array(bytes.buffer);
    while (col >= 0) {
      const pivot = this.pivots[col];
      if (!pivot) {
        this.pivots[col] = { bits, data };
        this.rankValue++;
        return true;
      }
      // The pivot has no bits below its column: start at its word.
      for (let w = col >>> 5; w < this.words; w++) bits[w]! ^= pivot.bits[w]!;
      for (let w = 0; w < this.dataWords; w++) data[w]! ^= pivot.data[w]!;
      col = lowestBit(bits, col >>> 5);
    }
    return false;
  }

  /** The n fragments, once complete (back-substitution, highest column first). */
  solve(): Uint8Array[] {
    if (!this.complete) throw new Error('the solver is not complete');
    const out = new Array<Uint32Array>(this.n);
    for (let col = this.n - 1; col >= 0; col--) {
      const row = this.pivots[col]!;
      const data = row.data.slice();
      for (let w = col >>> 5; w < this.words; w++) {
        let v = row.bits[w]!;
        if (w === col >>> 5) v &= ~((2 ** ((col & 31) + 1) - 1) >>> 0); // bits above col only
        while (v !== 0) {
          const b = w * 32 + (31 - Math.clz32(v & -v));
          v &= v - 1;
          const known = out[b]!;
          for (let k = 0; k < this.dataWords; k++) data[k]! ^= known[k]!;
        }
      }
      out[col] = data;
    }
    return out.map((d) => new Uint8Array(d.buffer, 0, this.fragmentLength));
  }
}
