/**
 * OpenSSL's read-back of the Notary root certificates (signers/certificate-openssl.ts) on a worker thread,
 * for a multi-repository ceremony (issue #17): a thousand Notary repositories make three thousand
 * certificates, and reading each back through OpenSSL (X509Certificate, its key, its signature) is about a
 * sixth of the main thread's CPU there — the thread every other step of the ceremony waits on — while the
 * machine's other core mostly waits on the token. The check is the same function with the same inputs and
 * its verdict is used exactly as the caller's thread's would be: makeNotaryRootCertificate awaits it before
 * the certificate goes anywhere (certificate.ts), and a certificate it refuses stops the ceremony the same
 * way (INTERNAL).
 *
 * A worker that cannot start (a machine with one core, a missing worker file: the TypeScript sources run
 * by the tests have no compiled worker), fails, exits, stalls or answers out of turn leaves its checks to
 * the caller's thread: it is stopped, what it had not answered is checked there, and so is everything after.
 * Stalls: while checks wait, the worker must answer one every `stallMs` (as signature-pool.ts gives up on a
 * worker holding chunks past its stallMs), else a stuck worker would hold the ceremony — token session open
 * — and the process forever. Out of turn: the worker answers its messages in the order sent (one
 * synchronous check each), so the only answer accepted is the oldest waiting request's; any other id (or a
 * reply that is not {id, ok: boolean}) means a worker not to be believed, never an answer given to another
 * request. The worker keeps the process alive only while a check waits on it.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { opensslReadsAsIntended, type IntendedCertificate, type OpensslReadBack } from '../signers/certificate-openssl.js';
import type { ReadBackMessage } from './certificate-readback-worker.js';

export interface ReadBackPool {
  /** opensslReadsAsIntended, answered by the worker thread when it runs. */
  readBack: OpensslReadBack;
  /** How many checks the worker answered, and how many the caller's thread made (tests, benches). */
  readonly stats: { byWorker: number; inThread: number };
  close(): Promise<void>;
}

export interface ReadBackPoolOptions {
  /** The worker's module (default: certificate-readback-worker.js beside this one; a test may give its own). */
  workerUrl?: URL;
  /**
   * How long checks may wait without the worker answering one, in ms (default 2,000: a check takes about a
   * millisecond, the worker's start a few hundred under load). Past it the worker is stopped and the
   * waiting checks are made on the caller's thread.
   */
  stallMs?: number;
}

export function createReadBackPool(opts: ReadBackPoolOptions = {}): ReadBackPool {
  const stats = { byWorker: 0, inThread: 0 };
  const stallMs = opts.stallMs ?? 2000;
  const pending = new Map<number, { der: Uint8Array; intended: IntendedCertificate; resolve: (ok: boolean) => void }>();
  let next = 1;
  let worker: Worker | undefined;
  // Armed while checks wait on the worker, re-armed by each answer it gives.
  let stall: ReturnType<typeof setTimeout> | undefined;
  const inThread = (der: Uint8Array, intended: IntendedCertificate): boolean => {
    stats.inThread++;
    return opensslReadsAsIntended(der, intended);
  };
  const disarm = (): void => {
    if (stall !== undefined) clearTimeout(stall);
    stall = undefined;
  };
  // The worker is gone (failed, exited, stalled or answered out of turn): it is stopped, and what it held is
  // checked here, and everything after.
  const gone = (): void => {
    disarm();
    const w = worker;
    worker = undefined;
    if (w) void w.terminate().catch(() => undefined);
    for (const [id, p] of pending) {
      pending.delete(id);
      p.resolve(inThread(p.der, p.intended));
    }
  };
  const arm = (): void => {
    disarm();
    stall = setTimeout(gone, stallMs);
  };
  if (availableParallelism() > 1) {
    try {
      const w = new Worker(opts.workerUrl ?? new URL('./certificate-readback-worker.js', import.meta.url));
      w.on('message', (m: unknown) => {
        // A stopped worker's late words are not listened to: its checks were made here.
        if (w !== worker) return;
        const oldest = pending.keys().next();
        const answer = m as { id?: unknown; ok?: unknown } | null;
        if (oldest.done || typeof answer !== 'object' || answer === null || answer.id !== oldest.value || typeof answer.ok !== 'boolean') {
          gone();
          return;
        }
        const p = pending.get(oldest.value)!;
        pending.delete(oldest.value);
        stats.byWorker++;
        if (pending.size === 0) {
          disarm();
          w.unref();
        } else arm();
        p.resolve(answer.ok);
      });
      w.on('error', () => {
        if (w === worker) gone();
      });
      w.on('exit', () => {
        if (w === worker) gone();
      });
      w.unref();
      worker = w;
    } catch {
      worker = undefined;
    }
  }
  return {
    stats,
    readBack(der, intended) {
      const w = worker;
      if (!w) return Promise.resolve(inThread(der, intended));
      return new Promise<boolean>((resolve) => {
        const id = next++;
        // The first check to wait starts the clock; later ones wait behind it and each answer re-arms it.
        if (pending.size === 0) arm();
        pending.set(id, { der, intended, resolve });
        // Alive while a check waits on it: an awaited answer must not let the process end.
        w.ref();
        const message: ReadBackMessage = {
          id,
          der,
          commonName: intended.commonName,
          notBefore: intended.notBefore.getTime(),
          notAfter: intended.notAfter.getTime(),
          publicKey: intended.publicKey,
          spki: intended.spki,
          fingerprint: intended.fingerprint,
        };
        try {
          w.postMessage(message);
        } catch {
          gone();
        }
      });
    },
    async close() {
      disarm();
      const w = worker;
      worker = undefined;
      // Nothing should wait now; if something does, it is answered here rather than left hanging.
      for (const [id, p] of pending) {
        pending.delete(id);
        p.resolve(inThread(p.der, p.intended));
      }
      if (w) await w.terminate().catch(() => undefined);
    },
  };
}
