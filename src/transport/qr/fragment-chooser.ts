/**
 * Which fragments part `seqNum` of a UR fountain XORs together — the same answer as @ngraveio/bc-ur's
 * `chooseFragments` (fountainUtils.js, BCR-2024-001), at a cost that does not grow with the `seqLen` a
 * frame announces. Ours because the package's API forces the cost (issue #12): for every mixed part it
 * builds an alias table over all seqLen degrees, and shuffles all seqLen indexes with `Array.splice` and
 * BigNumber arithmetic, to keep the first `degree` of them — 0.35 s per forged frame at seqLen 12,000, on
 * the thread that assembles.
 *
 * Same algorithm, step for step (read in the package's source, 1.1.13, and @keystonehq/alias-sampling 0.1.2):
 *
 *  1. seed = SHA-256(seqNum as uint32 BE ‖ checksum as uint32 BE); xoshiro256** state = the digest as four
 *     big-endian 64-bit words.
 *  2. nextDouble = the 64-bit output divided by 18446744073709552000 (the package writes 2^64 as the JS
 *     number `MAX_UINT64 + 1`, which BigNumber reads from its decimal text) rounded half-up to 20 decimal
 *     places, read back as a JS number; nextInt(lo, hi) = floor(nextDouble · (hi − lo + 1) + lo).
 *  3. degree: Vose's alias method over the probabilities 1/1, 1/2, … 1/seqLen, with the package's exact
 *     float operations; one draw = column floor(nextDouble · seqLen), then nextDouble < prob ? column : alias.
 *     The table depends only on seqLen: built once per seqLen and kept (one bundle per receiver).
 *  4. indexes: the package shuffles [0 … seqLen−1] by repeatedly taking remaining[nextInt(0, left − 1)] and
 *     keeps the first `degree`. Only those draws matter, so only `degree` are made, each finding the k-th
 *     remaining index in a Fenwick tree: O(degree · log seqLen) instead of O(seqLen²).
 *
 * Checked against the package's own function over many (seqNum, seqLen, checksum) in the tests.
 */
import { createHash } from 'node:crypto';

const MASK64 = (1n << 64n) - 1n;
/** `MAX_UINT64 + 1` as BigNumber sees it: String(2 ** 64) = "18446744073709552000". */
const DIVISOR = 18446744073709552000n;
const SCALE = 10n ** 20n;

const rotl = (x: bigint, k: bigint): bigint => ((x << k) & MASK64) | (x >> (64n - k));

class Xoshiro256 {
  private s0: bigint;
  private s1: bigint;
  private s2: bigint;
  private s3: bigint;

  constructor(seed: Uint8Array) {
    const d = createHash('sha256').update(seed).digest();
    this.s0 = d.readBigUInt64BE(0);
    this.s1 = d.readBigUInt64BE(8);
    this.s2 = d.readBigUInt64BE(16);
    this.s3 = d.readBigUInt64BE(24);
  }

  private roll(): bigint {
    const result = (rotl((this.s1 * 5n) & MASK64, 7n) * 9n) & MASK64;
    const t = (this.s1 << 17n) & MASK64;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 45n);
    return result;
  }

  nextDouble(): number {
    // round half-up of roll / DIVISOR to 20 decimal places: floor((2 · roll · 10^20 + DIVISOR) / (2 · DIVISOR)).
    const q = (2n * this.roll() * SCALE + DIVISOR) / (2n * DIVISOR);
    return Number(`0.${q.toString().padStart(20, '0')}`);
  }

  nextInt(low: number, high: number): number {
    return Math.floor(this.nextDouble() * (high - low + 1) + low);
  }
}

interface AliasTable {
  prob: Float64Array;
  alias: Int32Array;
}

/** @keystonehq/alias-sampling's precomputeAlias over [1/1 … 1/n], with the same float operations in the same order. */
function aliasTable(n: number): AliasTable {
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) p[i] = 1 / (i + 1);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += p[i]!;
  const scaled = new Float64Array(n);
  for (let i = 0; i < n; i++) scaled[i] = (p[i]! * n) / sum;
  const prob = new Float64Array(n);
  const alias = new Int32Array(n).fill(-1);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = n - 1; i >= 0; i--) (scaled[i]! < 1 ? small : large).push(i);
  while (small.length > 0 && large.length > 0) {
    const less = small.pop()!;
    const more = large.pop()!;
    prob[less] = scaled[less]!;
    alias[less] = more;
    scaled[more] = scaled[more]! + scaled[less]! - 1;
    (scaled[more]! < 1 ? small : large).push(more);
  }
  while (large.length > 0) prob[large.pop()!] = 1;
  while (small.length > 0) prob[small.pop()!] = 1;
  return { prob, alias };
}

/** The k-th (0-based) index still present, removed: a Fenwick tree over 0/1 presence. */
class RemainingIndexes {
  private readonly tree: Int32Array;
  private readonly top: number;

  constructor(private readonly n: number) {
    this.tree = new Int32Array(n + 1);
    // All present: tree[i] = lowbit(i).
    for (let i = 1; i <= n; i++) this.tree[i] = i & -i;
    let top = 1;
    while (top * 2 <= n) top *= 2;
    this.top = top;
  }

  take(k: number): number {
    let pos = 0;
    let rest = k + 1;
    for (let step = this.top; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.n && this.tree[next]! < rest) {
        pos = next;
        rest -= this.tree[next]!;
      }
    }
    // pos + 1 is the 1-based position of the k-th present index.
    for (let i = pos + 1; i <= this.n; i += i & -i) this.tree[i]!--;
    return pos;
  }
}

export interface FragmentChooser {
  (seqNum: number, seqLen: number, checksum: number): number[];
}

/**
 * A chooser with its alias table cached for the last seqLen it saw (a receiver assembles one bundle; a
 * frame announcing another seqLen is refused as foreign before it gets here).
 */
export function fragmentChooser(): FragmentChooser {
  let cached: { n: number; table: AliasTable } | undefined;
  return (seqNum, seqLen, checksum) => {
    if (!Number.isSafeInteger(seqLen) || seqLen < 1) throw new RangeError('seqLen must be a positive integer');
    if (!Number.isSafeInteger(seqNum) || seqNum < 1 || seqNum > 0xffffffff) throw new RangeError('seqNum must be a 32-bit positive integer');
    // The first seqLen parts are the fragments themselves.
    if (seqNum <= seqLen) return [seqNum - 1];
    const seed = Buffer.alloc(8);
    seed.writeUInt32BE(seqNum, 0);
    seed.writeUInt32BE(checksum >>> 0, 4);
    const rng = new Xoshiro256(seed);
    if (cached?.n !== seqLen) cached = { n: seqLen, table: aliasTable(seqLen) };
    const { prob, alias } = cached.table;
    const column = Math.floor(rng.nextDouble() * seqLen);
    const degree = (rng.nextDouble() < prob[column]! ? column : alias[column]!) + 1;
    const remaining = new RemainingIndexes(seqLen);
    const out = new Array<number>(degree);
    for (let i = 0; i < degree; i++) out[i] = remaining.take(rng.nextInt(0, seqLen - i - 1));
    return out;
  };
}
