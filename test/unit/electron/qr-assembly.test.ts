/**
 * Issue #12, point 3, in the app: webcam frames are assembled off main's thread. The decisions
 * (QrAssemblySession), the message protocol (serveQrAssembly ↔ PortQrAssembly over a real MessageChannel)
 * and, when the app is built (npm test builds first), the compiled worker in a real worker thread.
 */
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessQrAssembly, PortQrAssembly, qrAssemblyWorkerPath, QrAssemblySession, serveQrAssembly, startQrAssembly, type QrAssembly } from '../../../electron/main/qr-assembly.js';
import { encodeQrFrames, maxDistinctParts } from '../../../src/transport/qr/index.js';
import { craftPart, randomBytes } from '../transport/support.js';
import type { ImportQrFrameView } from '../../../electron/shared/api-types.js';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

const bundle = randomBytes(5000, 17);
const other = randomBytes(3000, 18);

async function assembleAll(a: QrAssembly): Promise<ImportQrFrameView | undefined> {
  let last: ImportQrFrameView | undefined;
  for (const text of encodeQrFrames(bundle, { count: 80 }).parts) {
    last = await a.frame(text);
    if (last.bundle) break;
  }
  return last;
}

describe('QrAssemblySession (the decisions)', () => {
  it('assembles, refuses a foreign frame without harm, and hands over the bundle once', () => {
    const s = new QrAssemblySession();
    const frames = encodeQrFrames(bundle, { count: 80 }).parts;
    expect(s.frame(frames[0]!).outcome).toBe('innovative');
    expect(s.frame(encodeQrFrames(other, { count: 1 }).parts[0]!)).toMatchObject({ outcome: 'refused', refusal: { code: 'QR_FOREIGN_FRAME' }, progress: { refused: 1 } });
    let done: ImportQrFrameView | undefined;
    for (const f of frames.slice(1)) {
      done = s.frame(f);
      if (done.bundle) break;
    }
    expect(Buffer.from(done!.bundle!).equals(Buffer.from(bundle))).toBe(true);
    expect(s.frame(frames[0]!).outcome).toBe('duplicate');
  });

  it('a stream that exhausts the budget of distinct parts is refused (QR_TOO_MANY_PARTS) and reading starts again', () => {
    const s = new QrAssemblySession();
    const seqLen = 1000;
    const forged = (seqNum: number) => craftPart({ seqNum, seqLen, messageLen: 100_000, checksum: 3, fragment: new Uint8Array(100).fill(7) });
    let refusal: ImportQrFrameView['refusal'];
    // Plain fragments 1…n are all innovative; a forger can send 2n + 64 distinct parts and never complete
    // only if it never sends all n: skip fragment 1.
    for (let seqNum = 2; seqNum < 2 + maxDistinctParts(seqLen) + 1 && !refusal; seqNum++) refusal = s.frame(forged(seqNum > seqLen ? seqNum * 977 + seqLen : seqNum)).refusal;
    // Either the budget ran out, or the forged parts happened to complete and failed the checksum: both start over.
    expect(['QR_TOO_MANY_PARTS', 'QR_MESSAGE_CHECKSUM']).toContain(refusal?.code);
    expect(s.progress()).toMatchObject({ received: 0, rank: 0 });
    expect(s.frame(encodeQrFrames(other, { count: 1 }).parts[0]!).outcome).toBe('innovative');
  });
});

describe('the message protocol (serveQrAssembly ↔ PortQrAssembly)', () => {
  const open: QrAssembly[] = [];
  afterEach(() => {
    for (const a of open.splice(0)) a.close();
  });

  it('over a MessageChannel: the same answers as in-process, progress kept for status views', async () => {
    const { port1, port2 } = new MessageChannel();
    serveQrAssembly(port2);
    const remote = new PortQrAssembly(port1, () => {
      port1.close();
      port2.close();
    });
    open.push(remote);
    const local = new InProcessQrAssembly();
    const a = await assembleAll(remote);
    const b = await assembleAll(local);
    expect(Buffer.from(a!.bundle!).equals(Buffer.from(bundle))).toBe(true);
    expect(a!.progress).toEqual(b!.progress);
    expect(remote.lastProgress()).toEqual(a!.progress);
    expect(await remote.reset()).toMatchObject({ received: 0, refused: 0 });
    expect(remote.lastProgress().received).toBe(0);
  });

  it('a closed assembly refuses further requests instead of waiting forever', async () => {
    const { port1, port2 } = new MessageChannel();
    serveQrAssembly(port2);
    const remote = new PortQrAssembly(port1);
    remote.close();
    port1.close();
    port2.close();
    await expect(remote.frame('ur:x')).rejects.toThrow(/closed/);
  });
});

describe('the compiled worker (dist/, after npm run build)', () => {
  const compiled = fileURLToPath(new URL('../../../dist/electron/main/qr-assembly-worker.js', import.meta.url));
  it.skipIf(!existsSync(compiled))('assembles in a real worker thread', async () => {
    const a = startQrAssembly(compiled);
    try {
      const last = await assembleAll(a);
      expect(Buffer.from(last!.bundle!).equals(Buffer.from(bundle))).toBe(true);
    } finally {
      a.close();
    }
  });

  it('from the TypeScript sources there is no compiled worker beside the module: the session runs in-process', () => {
    expect(qrAssemblyWorkerPath()).toBeUndefined();
    expect(startQrAssembly(undefined)).toBeInstanceOf(InProcessQrAssembly);
  });
});
