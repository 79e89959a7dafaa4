/**
 * A SignatureBatch (tuf/signature-batch.ts) that spreads its checks over worker threads and the calling
 * thread (issue #18: "independent signature checks on every core"). It stays synchronous, so verification
 * keeps its one synchronous code path: a batch submitted is copied into shared memory and sent to the
 * workers, which claim chunks of it at once while the caller goes on (parses the next roots); when the
 * caller asks for the outcomes it claims what is left too, then waits (Atomics.wait) for the chunks the
 * workers hold.
 *
 * Whether it pays depends on the machine's OpenSSL: on 3.0 (Debian 12's, and what Node 20 bundles) two
 * threads verifying Ed25519 at once take about 145 µs a check each against 79 µs alone — about 1.1× the
 * throughput, for more CPU — consistent with OpenSSL 3.0's locking around the algorithm fetch every
 * check makes; pure JavaScript on the same two cores scales 2×. So `verify` uses it only when asked
 * (`--threads N`). Worker threads also cost CPU to start (a V8 isolate each), so the pool starts them
 * only for at least `minChecks` checks and only on a machine with more than one core; a smaller batch
 * comes back unchecked (all 0) and the walk verifies as it would without a batch. Nothing a worker says
 * is trusted beyond "this signature verified under this key over these bytes", and a worker that fails,
 * stalls or never starts only leaves its chunks to the walk.
 */
import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { VerifyScheme } from '../crypto/public-key.js';
import type { PublicKey } from '../profiles/profile.js';
import type { SignatureBatch, SignatureCheck } from '../tuf/signature-batch.js';
import { CHECK_FIELDS, CHUNKS_DONE, CONTROL_SLOTS, checkChunks, type BatchMessage } from './signature-shared.js';

export interface SignaturePoolOptions {
  /**
   * Worker threads (0: checks stay on the caller's thread; at most one fewer than the cores Node may use).
   * The caller chooses: on OpenSSL 3.0 threads contend (see `verify --threads` in the README).
   */
  threads: number;
  /**
   * The fewest checks worth the threads' start (default 512: about 40 ms of Ed25519 on the caller's
   * thread, about what a worker takes to start): a batch, or the checks announced by `expect`, of at
   * least this many starts them. Once started, they take every batch of at least 64 checks.
   */
  minChecks?: number;
  /** How long the caller waits for chunks a worker holds once it has none left, in ms (default 2,000). */
  stallMs?: number;
  /** The worker's module (default: signature-worker.js beside this one; a test may give its own). */
  workerUrl?: URL;
}

export interface SignaturePool extends SignatureBatch {
  /** submit(checks)(): the outcomes at once. */
  verifyAll(checks: readonly SignatureCheck[]): Uint8Array;
  /** The worker threads it may start: with none, a caller need not plan checks ahead for it. */
  readonly threads: number;
  expect(checks: number): void;
  /** How many batches went to the workers, and how many checks they made (for tests). */
  readonly stats: { batches: number; checks: number; byWorkers: number };
  /** Stop the workers (they do not keep the process alive meanwhile). */
  close(): Promise<void>;
}

const CHUNK_SIZE = 32;
/** Once the workers run: the smallest batch worth sending them (two chunks each for two threads). */
const MIN_BATCH = 64;

/** The batch laid out in shared memory: each signed text copied once, however often checked; each key listed once. */
function layOut(checks: readonly SignatureCheck[]): BatchMessage {
  const keys = new Map<PublicKey, number>();
  const datas = new Map<Uint8Array, number>();
  const keyObjects: KeyObject[] = [];
  const schemes: VerifyScheme[] = [];
  const dataList: Uint8Array[] = [];
  let size = 0;
  for (const check of checks) {
    if (!keys.has(check.key)) {
      keys.set(check.key, keyObjects.length);
      const { keyObject, scheme } = check.profile.verifyWith(check.key);
      keyObjects.push(keyObject);
      schemes.push(scheme);
    }
    if (!datas.has(check.data)) {
      datas.set(check.data, dataList.length);
      dataList.push(check.data);
      size += check.data.length;
    }
    size += check.signature.length;
  }
  const table = new Int32Array(new SharedArrayBuffer(4 * (checks.length * CHECK_FIELDS + dataList.length * 2)));
  const bytes = new Uint8Array(new SharedArrayBuffer(size));
  let at = 0;
  const put = (b: Uint8Array, slot: number) => {
    bytes.set(b, at);
    table[slot] = at;
    table[slot + 1] = b.length;
    at += b.length;
  };
  checks.forEach((check, i) => {
    const f = i * CHECK_FIELDS;
    table[f] = keys.get(check.key)!;
    table[f + 1] = datas.get(check.data)!;
    put(check.signature, f + 2);
  });
  const dataAt = checks.length * CHECK_FIELDS;
  dataList.forEach((d, j) => put(d, dataAt + j * 2));
  return {
    control: new Int32Array(new SharedArrayBuffer(4 * CONTROL_SLOTS)),
    outcomes: new Uint8Array(new SharedArrayBuffer(checks.length)),
    table,
    bytes,
    checks: checks.length,
    keys: keyObjects,
    schemes,
    chunkSize: CHUNK_SIZE,
  };
}

export function createSignaturePool(opts: SignaturePoolOptions): SignaturePool {
  const threads = Math.max(0, Math.min(Math.floor(opts.threads), availableParallelism() - 1));
  const minChecks = opts.minChecks ?? 512;
  const stallMs = opts.stallMs ?? 2000;
  const workerUrl = opts.workerUrl ?? new URL('./signature-worker.js', import.meta.url);
  const stats = { batches: 0, checks: 0, byWorkers: 0 };
  let workers: Worker[] | undefined;

  const start = (): Worker[] => {
    workers = [];
    for (let n = 0; n < threads; n++) {
      try {
        const worker = new Worker(workerUrl);
        // A worker that cannot start or fails leaves its chunks to the caller (and the walk): not a crash,
        // and no later batch is sent to it.
        const drop = () => {
          if (workers) workers = workers.filter((w) => w !== worker);
        };
        worker.on('error', drop);
        worker.on('exit', drop);
        worker.unref();
        workers.push(worker);
      } catch {
        break;
      }
    }
    return workers;
  };

  return {
    threads,
    stats,
    expect(count: number) {
      if (threads > 0 && count >= minChecks && !workers) start();
    },
    submit(checks: readonly SignatureCheck[]): () => Uint8Array {
      const running = workers ?? (checks.length >= minChecks ? start() : []);
      if (running.length === 0 || checks.length < Math.min(minChecks, MIN_BATCH)) return () => new Uint8Array(checks.length);
      const batch = layOut(checks);
      for (const worker of running) worker.postMessage(batch);
      // The workers check from now on; the caller joins when it asks for the outcomes.
      return () => {
        let mine = 0;
        checkChunks(batch, (i) => {
          mine++;
          const check = checks[i]!;
          return check.profile.verify(check.key, check.signature, check.data);
        });
        const chunks = Math.ceil(checks.length / CHUNK_SIZE);
        const deadline = performance.now() + stallMs;
        for (let done = Atomics.load(batch.control, CHUNKS_DONE); done < chunks; done = Atomics.load(batch.control, CHUNKS_DONE)) {
          const left = deadline - performance.now();
          if (left <= 0 || Atomics.wait(batch.control, CHUNKS_DONE, done, left) === 'timed-out') {
            // A worker held a chunk past stallMs: stuck or starved. The pool stops its workers, and later
            // batches come back unchecked for the walk (they would queue behind it and cost this wait again).
            const stuck = workers ?? [];
            workers = [];
            for (const w of stuck) void w.terminate();
            break;
          }
        }
        // A copy: a stalled worker may still write into the shared outcomes.
        const outcomes = Uint8Array.from(batch.outcomes, (o) => (o === 1 ? 1 : 0));
        stats.batches++;
        stats.checks += checks.length;
        stats.byWorkers += batch.outcomes.reduce((n, o) => n + (o === 0 ? 0 : 1), 0) - mine;
        return outcomes;
      };
    },
    verifyAll(checks: readonly SignatureCheck[]): Uint8Array {
      return this.submit(checks)();
    },
    async close() {
      const all = workers ?? [];
      workers = [];
      await Promise.all(all.map((w) => w.terminate()));
    },
  };
}
