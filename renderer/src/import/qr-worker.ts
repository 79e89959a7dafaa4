/**
 * The camera's QR decoder, OFF the renderer's main thread (a dedicated worker), so the screen stays
 * responsive at the camera's frame rate. It receives video frames as ImageBitmaps (transferred, not
 * copied), reads their pixels through an OffscreenCanvas and decodes QR codes with zxing-wasm
 * (FIELD-NOTES: ≈ 7 ms per 720p frame, where jsQR took ≈ 50 ms and missed dense codes).
 *
 * Offline: zxing-wasm fetches its .wasm from a CDN unless it is handed the binary, and the CSP's
 * connect-src 'none' forbids any fetch, even of our own files. vite (8) cannot inline a .wasm into a
 * script (`?inline` fails on .wasm; `?url` would need a fetch), so main reads the binary the package ships
 * — the very file the CLI's `qr decode` loads (src/io/qr-images.ts) — and hands its bytes over IPC
 * (`importQrDecoder`); the page transfers them here in the `init` message and they go to zxing-wasm as
 * `wasmBinary`. Nothing is ever fetched. Compiling it needs the CSP's 'wasm-unsafe-eval'
 * (electron/main/security-policy.ts).
 *
 * Only the decoded TEXT leaves the worker; checking and assembling frames is main's (the CLI's receiver).
 */
import { prepareZXingModule, readBarcodes, type ReaderOptions } from 'zxing-wasm/reader';
import { WindowedQrReader, type QrHit, type RgbaImage } from '../../../electron/shared/qr-window.js';

export type WorkerRequest = { type: 'init'; wasm: ArrayBuffer } | { type: 'frame'; bitmap: ImageBitmap };
export type WorkerReply = { type: 'ready' } | { type: 'texts'; texts: string[]; ms: number } | { type: 'failed'; message: string };

/** The worker's global scope, typed narrowly (the renderer's TS project has the DOM lib, not WebWorker's). */
const scope = self as unknown as { postMessage(message: WorkerReply): void; onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null };

// As src/io/qr-images.ts (the CLI's `qr decode`): QR codes only, try harder, a few per image.
const READER_OPTIONS: ReaderOptions = { formats: ['QRCode'], tryHarder: true, maxNumberOfSymbols: 4 };
/** One upright symbol without the try-hard passes first; the full search only after a miss (as src/io/qr-images.ts). */
const FAST_READER_OPTIONS: ReaderOptions = { formats: ['QRCode'], tryHarder: false, tryRotate: false, tryInvert: false, maxNumberOfSymbols: 1 };

let ready: Promise<unknown> | undefined;

function init(wasm: ArrayBuffer): void {
  if (ready) return;
  ready = prepareZXingModule({ overrides: { wasmBinary: wasm }, fireImmediately: true });
  ready.then(
    () => scope.postMessage({ type: 'ready' } satisfies WorkerReply),
    (err: unknown) => scope.postMessage({ type: 'failed', message: `the QR decoder did not load: ${err instanceof Error ? err.message : String(err)}` } satisfies WorkerReply),
  );
}

let canvas: OffscreenCanvas | undefined;

/** Window around the last code first, then the fast path, then the full search (electron/shared/qr-window.ts). */
const reader = new WindowedQrReader(
  async (image: RgbaImage, mode): Promise<QrHit[]> =>
    (await readBarcodes(image as ImageData, mode === 'fast' ? FAST_READER_OPTIONS : READER_OPTIONS)).filter((r) => r.isValid && r.text.length > 0).map((r) => ({ text: r.text, position: r.position })),
);

scope.onmessage = (event: MessageEvent<WorkerRequest>) => void decode(event);

async function decode(event: MessageEvent<WorkerRequest>): Promise<void> {
  const msg = event.data;
  if (msg?.type === 'init') return init(msg.wasm);
  if (msg?.type !== 'frame') return;
  const { bitmap } = msg;
  try {
    if (!ready) throw new Error('the QR decoder was not initialised');
    await ready;
    const started = performance.now();
    if (!canvas || canvas.width !== bitmap.width || canvas.height !== bitmap.height) canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D context in the worker');
    ctx.drawImage(bitmap, 0, 0);
    const pixels = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    const { texts } = await reader.decode(pixels);
    scope.postMessage({ type: 'texts', texts, ms: performance.now() - started } satisfies WorkerReply);
  } catch (err) {
    scope.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
  } finally {
    bitmap.close();
  }
}
