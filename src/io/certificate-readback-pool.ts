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
 * by the tests have no compiled worker), fails or exits leaves its checks to the caller's thread: what it
 * had not answered is checked there, and so is everything after. The worker keeps the process alive only
 * while a check waits on it.
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

export function createReadBackPool(opts: { workerUrl?: URL } = {}): ReadBackPool {
  const stats = { byWorker: 0, inThread: 0 };
  const pending = new Map<number, { der: Uint8Array; intended: IntendedCertificate; resolve: (ok: boolean) => void }>();
  let next = 1;
  let worker: Worker | undefined;
  const inThread = (der: Uint8Array, intended: IntendedCertificate): boolean => {
    stats.inThread++;
    return opensslReadsAsIntended(der, intended);
  };
  // The worker is gone: what it held is checked here, and everything after.
  const gone = (): void => {
    const w = worker;
    worker = undefined;
    if (w) void w.terminate().catch(() => undefined);
    for (const [id, p] of pending) {
      pending.delete(id);
      p.resolve(inThread(p.der, p.intended));
    }
  };
  if (availableParallelism() > 1) {
    try {
      const w = new Worker(opts.workerUrl ?? new URL('./certificate-readback-worker.js', import.meta.url));
      w.on('message', (m: { id: number; ok: boolean }) => {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        stats.byWorker++;
        if (pending.size === 0) w.unref();
        p.resolve(m.ok === true);
      });
      w.on('error', gone);
      w.on('exit', gone);
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
