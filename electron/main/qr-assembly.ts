/**
 * Webcam QR assembly, off the main process's thread (issue #12). Each frame's text goes through the CLI's
 * receiver (src/transport/qr QrAssembler: per-frame CRC, foreign frames refused, a budget of distinct
 * parts, a frame cost that does not grow with what the frame announces); it runs in a worker_threads
 * worker (qr-assembly-worker.ts) so that no frame — a forged one, or a real one at the size cap — can hold
 * up the main process, which serves every window and the PIN dialog.
 *
 * Plain pieces, tested without Electron:
 *  - QrAssemblySession: the decisions (take, refuse, start again after a checksum failure, bytes that are
 *    not a bundle or an exhausted budget, hand over the bundle once complete and checked);
 *  - serveQrAssembly: the worker's side of the message protocol, over any port;
 *  - PortQrAssembly: main's side — one request at a time per id, replies matched by id, the last progress
 *    kept for status views; InProcessQrAssembly: the same session in this thread (tests, and running from
 *    the TypeScript sources, where there is no compiled worker file).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { isCeremonyError, toErrorShape } from '../../src/errors.js';
import { checkQrBundle, parseQrPart, QrAssembler, type QrPart } from '../../src/transport/qr/index.js';
import type { ImportQrFrameView, ImportQrProgressView } from '../shared/api-types.js';

/**
 * Frames of one other bundle in a row, all new to that run, after which reading follows that bundle — when
 * the run also outnumbers the distinct frames of the bundle begun (QrAssemblySession.frame).
 */
export const FOLLOW_AFTER = 3;

/** What identifies a bundle's frames (the assembler refuses a frame whose identity differs). */
function identityOf(part: QrPart): string {
  return `${part.seqLen} ${part.messageLen} ${part.checksum} ${part.fragment.length}`;
}

export class QrAssemblySession {
  private qr = new QrAssembler();
  private refused = 0;
  /** Frames of one other bundle refused in a row, each a distinct part (their parts kept to follow it). */
  private foreign: { identity: string; parts: QrPart[] } | undefined;

  progress(): ImportQrProgressView {
    const p = this.qr.progress;
    return { received: p.received, duplicates: p.duplicates, rank: p.rank, needed: p.needed, estimatedStillNeeded: p.estimatedStillNeeded, complete: p.complete, refused: this.refused };
  }

  /** Start reading a new bundle (frames of the previous one are forgotten). */
  reset(): ImportQrProgressView {
    this.qr = new QrAssembler();
    this.refused = 0;
    this.foreign = undefined;
    return this.progress();
  }

  /**
   * One frame's text. A refused frame (malformed, another UR type, a frame of a second bundle: QR_*) leaves
   * the assembler as it was and is reported (the scan goes on). A stream that exhausts the budget of
   * distinct parts, or completes but fails the message checksum, can never succeed: reading starts again.
   *
   * A frame of another bundle is refused, but a stray frame read first (another screen, a QR code on the
   * desk) must not lock the camera out of the bundle being shown: once FOLLOW_AFTER or more frames of one
   * other bundle come in a row, each new, and more of them than the frames of the bundle begun, reading
   * starts again on that bundle with those frames (`followed`). Two bundles shown at once never trade
   * places this way (their frames interleave, so no run grows), and a bundle well begun is only left for a
   * run longer than what was read of it.
   */
  frame(text: string): ImportQrFrameView {
    let refusal: ImportQrFrameView['refusal'];
    let outcome: ImportQrFrameView['outcome'] = 'refused';
    let followed: ImportQrFrameView['followed'];
    if (this.qr.complete) outcome = 'duplicate';
    else {
      let part: QrPart | undefined;
      try {
        part = parseQrPart(text);
        outcome = this.qr.receivePart(part);
        this.foreign = undefined;
      } catch (err) {
        const s = toErrorShape(err);
        const dropped = this.qr.progress.received;
        if (part && isCeremonyError(err) && err.code === 'QR_FOREIGN_FRAME' && this.runOf(part) >= Math.max(FOLLOW_AFTER, dropped + 1)) {
          const run = this.foreign!.parts;
          this.restart();
          this.refused = 0;
          for (const p of run) outcome = this.qr.receivePart(p);
          followed = { dropped, read: run.length };
        } else {
          this.refused++;
          const again = s.code === 'QR_TOO_MANY_PARTS';
          if (again) this.restart();
          let message = again ? `${s.message}; reading starts again` : s.message;
          if (s.code === 'QR_FOREIGN_FRAME') {
            const more = Math.max(FOLLOW_AFTER, dropped + 1) - (this.foreign?.parts.length ?? 0);
            message += `; if it is the bundle meant, keep showing only it: reading follows it after ${more} more of its frames in a row`;
          }
          refusal = { code: s.code, message, ...(s.path ? { path: s.path } : {}) };
        }
      }
    }
    let bundle: Uint8Array | undefined;
    if (this.qr.complete) {
      try {
        bundle = checkQrBundle(this.qr.result());
      } catch (err) {
        // QR_MESSAGE_CHECKSUM: the frames agree with each other but not with their checksum;
        // QR_MESSAGE_NOT_BUNDLE: they pass it but are no bundle (frames of two bundles of equal length and
        // CRC32, or forged; review-15d M1). Either way these frames can never make a bundle: start again.
        this.restart();
        this.refused++;
        const s = toErrorShape(err);
        refusal = { code: s.code, message: `${s.message}; reading starts again`, ...(s.path ? { path: s.path } : {}) };
      }
    }
    return { outcome, progress: this.progress(), ...(refusal ? { refusal } : {}), ...(followed ? { followed } : {}), ...(bundle ? { bundle } : {}) };
  }

  /** `part`, refused as another bundle's, added to the run of that bundle's frames: the run's length. */
  private runOf(part: QrPart): number {
    const identity = identityOf(part);
    if (this.foreign?.identity !== identity) this.foreign = { identity, parts: [] };
    const parts = this.foreign.parts;
    // A frame shown twice in a row is one frame of the run, not two.
    if (!parts.some((p) => p.seqNum === part.seqNum)) parts.push(part);
    return parts.length;
  }

  private restart(): void {
    this.qr = new QrAssembler();
    this.foreign = undefined;
  }
}

export type QrAssemblyRequest = { id: number; kind: 'frame'; text: string } | { id: number; kind: 'reset' };
export type QrAssemblyReply = { id: number; ok: true; frame?: ImportQrFrameView; progress: ImportQrProgressView } | { id: number; ok: false; code: string; message: string };

/** A port either side can talk over: a worker's parentPort, a Worker, or one end of a MessageChannel. */
export interface AssemblyPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

function isRequest(m: unknown): m is QrAssemblyRequest {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return Number.isSafeInteger(r.id) && (r.kind === 'reset' || (r.kind === 'frame' && typeof r.text === 'string'));
}

/** The worker's side: one session, each request answered in order. */
export function serveQrAssembly(port: AssemblyPort, session = new QrAssemblySession()): void {
  port.on('message', (m) => {
    if (!isRequest(m)) return;
    try {
      if (m.kind === 'reset') port.postMessage({ id: m.id, ok: true, progress: session.reset() } satisfies QrAssemblyReply);
      else {
        const frame = session.frame(m.text);
        port.postMessage({ id: m.id, ok: true, frame, progress: frame.progress } satisfies QrAssemblyReply);
      }
    } catch (err) {
      const s = toErrorShape(err);
      port.postMessage({ id: m.id, ok: false, code: s.code, message: s.message } satisfies QrAssemblyReply);
    }
  });
}

/** What the Import session needs of an assembler, wherever it runs. */
export interface QrAssembly {
  frame(text: string): Promise<ImportQrFrameView>;
  reset(): Promise<ImportQrProgressView>;
  /** The progress after the last answered request (for status views, without a round trip). */
  lastProgress(): ImportQrProgressView;
  close(): void;
}

export class InProcessQrAssembly implements QrAssembly {
  private readonly session = new QrAssemblySession();
  frame(text: string): Promise<ImportQrFrameView> {
    return Promise.resolve(this.session.frame(text));
  }
  reset(): Promise<ImportQrProgressView> {
    return Promise.resolve(this.session.reset());
  }
  lastProgress(): ImportQrProgressView {
    return this.session.progress();
  }
  close(): void {}
}

const EMPTY_PROGRESS: ImportQrProgressView = { received: 0, duplicates: 0, rank: 0, needed: 0, estimatedStillNeeded: 1, complete: false, refused: 0 };

/** Main's side of the protocol over a port (the worker). */
export class PortQrAssembly implements QrAssembly {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: QrAssemblyReply) => void; reject: (e: Error) => void }>();
  private last: ImportQrProgressView = EMPTY_PROGRESS;
  private failed: Error | undefined;

  constructor(
    private readonly port: AssemblyPort,
    private readonly onClose: () => void = () => {},
  ) {
    port.on('message', (m) => {
      const reply = m as QrAssemblyReply;
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      waiting.resolve(reply);
    });
  }

  /** The worker died (or could not start): every waiting and later request fails, as INTERNAL. */
  fail(err: Error): void {
    this.failed = err;
    for (const w of this.pending.values()) w.reject(err);
    this.pending.clear();
  }

  private request(body: { kind: 'frame'; text: string } | { kind: 'reset' }): Promise<QrAssemblyReply> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.postMessage({ id, ...body });
    });
  }

  async frame(text: string): Promise<ImportQrFrameView> {
    const r = await this.request({ kind: 'frame', text });
    if (!r.ok || !r.frame) throw new Error(`QR assembly failed: ${r.ok ? 'no frame result' : r.code}`);
    this.last = r.progress;
    return r.frame;
  }

  async reset(): Promise<ImportQrProgressView> {
    const r = await this.request({ kind: 'reset' });
    if (!r.ok) throw new Error(`QR assembly failed: ${r.code}`);
    this.last = r.progress;
    return r.progress;
  }

  lastProgress(): ImportQrProgressView {
    return this.last;
  }

  close(): void {
    this.fail(new Error('the QR assembly was closed'));
    this.onClose();
  }
}

/** The compiled worker beside this module (dist/electron/main/), when there is one. */
export function qrAssemblyWorkerPath(): string | undefined {
  const path = fileURLToPath(new URL('./qr-assembly-worker.js', import.meta.url));
  return existsSync(path) ? path : undefined;
}

/**
 * The app's assembler: a worker_threads worker running qr-assembly-worker.js. From the TypeScript sources
 * (unit and end-to-end tests) there is no compiled worker; the same session then runs in this thread.
 */
export function startQrAssembly(workerPath = qrAssemblyWorkerPath()): QrAssembly {
  if (!workerPath) return new InProcessQrAssembly();
  const worker = new Worker(workerPath);
  // The worker holds no timer or handle of its own: it must not keep the app alive on quit.
  worker.unref();
  const assembly = new PortQrAssembly(worker, () => void worker.terminate());
  worker.on('error', (err) => assembly.fail(err instanceof Error ? err : new Error(String(err))));
  worker.on('exit', (code) => assembly.fail(new Error(`the QR assembly worker exited (${code})`)));
  return assembly;
}
