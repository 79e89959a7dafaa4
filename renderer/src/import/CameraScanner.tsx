/**
 * The webcam QR reader (PRODUCT.md §2.5): the camera's video is shown, frames are grabbed from it as
 * ImageBitmaps and decoded in a worker (qr-worker.ts, zxing-wasm, off the main thread; its .wasm comes
 * from main, never fetched); each NEW frame
 * text goes to main's receiver (`importQrFrame`, the CLI's assembler — it needs Node's Buffer, so it
 * cannot run here), which checks it, refuses frames of a second bundle and reports progress; when the
 * bundle is complete its bytes are handed to `onBundle`, which imports them exactly like a file.
 *
 * The camera permission is granted only while main records this scanner open (the `importQrCamera` call
 * below, electron/main/camera-gate.ts), never by the page's route.
 */
import { useEffect, useRef, useState } from 'react';
import type { ImportQrProgressView } from '../../../electron/shared/api-types.js';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { explainCode } from '../lib/format';
import { CAMERA_ENDED, cameraRefusalSentence } from './camera-messages';
import type { WorkerReply, WorkerRequest } from './qr-worker';
// The worker's script is inlined into the bundle and started from a blob: URL (CSP worker-src
// blob: only): a page loaded from file:// (the app) may not be allowed to start a worker from another file
// URL, and the page can fetch nothing. A blob worker runs under the page's CSP, whose 'wasm-unsafe-eval'
// lets it compile the decoder.
import QrWorker from './qr-worker.ts?worker&inline';

/** Frame texts remembered to skip re-sending (a looping player shows each frame many times). */
const MAX_SEEN = 50_000;

/** `retry`: the person can do something about it (allow the camera, plug it in) and start the camera again here. */
type CameraState = { state: 'starting' } | { state: 'scanning' } | { state: 'complete' } | { state: 'failed'; message: string; retry?: boolean };

interface Props {
  onBundle(bytes: Uint8Array): void;
}

export function CameraScanner({ onBundle }: Props) {
  const video = useRef<HTMLVideoElement>(null);
  const [camera, setCamera] = useState<CameraState>({ state: 'starting' });
  const [progress, setProgress] = useState<ImportQrProgressView | undefined>();
  const [lastRefusal, setLastRefusal] = useState<Refusal | undefined>();
  const [followed, setFollowed] = useState<{ dropped: number; read: number } | undefined>();
  const [decoded, setDecoded] = useState({ frames: 0, ms: 0 });
  /** Bumped by “Start the camera again”: the effect below stops the scan and starts a new one. */
  const [attempt, setAttempt] = useState(0);
  const done = useRef(onBundle);
  done.current = onBundle;

  useEffect(() => {
    let live = true;
    let stream: MediaStream | undefined;
    let worker: Worker | undefined;
    let timer: number | undefined;
    const seen = new Set<string>();
    const queue: string[] = [];
    let sending = false;
    let frames = 0;
    let totalMs = 0;
    const api = ceremonyApi();

    const stop = () => {
      live = false;
      if (timer !== undefined) window.clearTimeout(timer);
      worker?.terminate();
      stream?.getTracks().forEach((t) => t.stop());
      // Main grants the camera only while it records the scanner open (electron/main/camera-gate.ts).
      void api?.importQrCamera({ open: false }).catch(() => undefined);
    };

    // Frames go to main one at a time, in the order they were read.
    const pump = async () => {
      if (sending || !api) return;
      sending = true;
      try {
        while (live && queue.length > 0) {
          const text = queue.shift()!;
          let r;
          try {
            r = await api.importQrFrame({ text });
          } catch (err) {
            r = unexpected(err);
          }
          if (!live) return;
          if (!r.ok) {
            setLastRefusal(r);
            continue;
          }
          setProgress(r.value.progress);
          if (r.value.followed) {
            // Reading started again on the bundle now shown: the refusals were of its frames.
            setFollowed(r.value.followed);
            setLastRefusal(undefined);
          }
          if (r.value.refusal) {
            setLastRefusal({ ok: false, ...r.value.refusal });
            // Main started reading again (the frames read could never make a bundle: QR_MESSAGE_CHECKSUM,
            // QR_MESSAGE_NOT_BUNDLE, QR_TOO_MANY_PARTS): frames sent before must be sent again, or a
            // looping code whose frames were all seen could never be read.
            if (r.value.progress.received === 0) seen.clear();
          }
          if (r.value.bundle) {
            setCamera({ state: 'complete' });
            stop();
            done.current(r.value.bundle);
            return;
          }
        }
      } finally {
        sending = false;
      }
    };

    const grab = async () => {
      timer = undefined;
      const v = video.current;
      if (!live || !worker || !v) return;
      if (v.readyState < 2 || v.videoWidth === 0) {
        timer = window.setTimeout(() => void grab(), 50);
        return;
      }
      try {
        const bitmap = await createImageBitmap(v);
        worker.postMessage({ type: 'frame', bitmap } satisfies WorkerRequest, [bitmap]);
      } catch {
        timer = window.setTimeout(() => void grab(), 50);
      }
    };

    // The stream ended (device unplugged, taken by another program, its tracks stopped): the <video> would
    // keep its last frame and the worker decode it forever. Stop, close main's camera gate, say so.
    const ended = () => {
      if (!live) return;
      setCamera({ state: 'failed', message: CAMERA_ENDED, retry: true });
      stop();
    };

    const start = async () => {
      setCamera({ state: 'starting' });
      setDecoded({ frames: 0, ms: 0 });
      setLastRefusal(undefined);
      setFollowed(undefined);
      if (!api) {
        setCamera({ state: 'failed', message: NO_BRIDGE.message });
        return;
      }
      const reset = await api.importQrReset().catch(unexpected);
      if (!live) return;
      if (reset.ok) setProgress(reset.value);
      // Tell main the scanner is open before asking for the camera: the permission consults main's state, not the URL.
      const opened = await api.importQrCamera({ open: true }).catch(unexpected);
      if (!live) return;
      if (!opened.ok) {
        setCamera({ state: 'failed', message: `The camera could not be opened: ${opened.message}` });
        return;
      }
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
      } catch (err) {
        if (!live) return;
        setCamera({ state: 'failed', message: cameraRefusalSentence(err), retry: true });
        // Main recorded the scanner open before the camera was asked for: close the gate now, not on leaving the screen (review-15d L5).
        stop();
        return;
      }
      if (!live) {
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      for (const track of stream.getVideoTracks()) track.addEventListener('ended', ended);
      stream.addEventListener('inactive', ended);
      const v = video.current!;
      v.srcObject = stream;
      await v.play().catch(() => undefined);
      const decoder = await api.importQrDecoder().catch(unexpected);
      if (!live) return;
      if (!decoder.ok) {
        setCamera({ state: 'failed', message: `The QR decoder is not available: [${decoder.code}] ${decoder.message}` });
        stop();
        return;
      }
      worker = new QrWorker();
      worker.onmessage = (event: MessageEvent<WorkerReply>) => {
        const reply = event.data;
        if (!live) return;
        if (reply.type === 'ready') {
          setCamera({ state: 'scanning' });
          void grab();
        } else if (reply.type === 'failed') {
          setCamera({ state: 'failed', message: reply.message });
          stop();
        } else {
          frames++;
          totalMs += reply.ms;
          if (frames % 10 === 0) setDecoded({ frames, ms: totalMs / frames });
          for (const text of reply.texts) {
            if (seen.has(text)) continue;
            if (seen.size >= MAX_SEEN) seen.clear();
            seen.add(text);
            queue.push(text);
          }
          void pump();
          // The next frame as soon as this one is done: the worker is never handed a backlog.
          timer = window.setTimeout(() => void grab(), 0);
        }
      };
      worker.onerror = (event) => {
        if (live) setCamera({ state: 'failed', message: `The QR decoder stopped: ${event.message}` });
        stop();
      };
      // The decoder binary, transferred (not copied) to the worker.
      const wasm = decoder.value.wasm.slice().buffer;
      worker.postMessage({ type: 'init', wasm } satisfies WorkerRequest, [wasm]);
    };

    void start();
    return stop;
  }, [attempt]);

  const p = progress;
  const max = p && p.needed > 0 ? p.needed : 1;
  const value = p ? (p.complete ? max : Math.min(p.rank, max)) : 0;
  return (
    <section className="panel camera" aria-label="Read the bundle from the webcam">
      <div className="camera-view">
        <video ref={video} muted playsInline aria-label="Camera view" />
      </div>
      <div className="camera-status">
        <p className="camera-state" aria-live="polite">
          {camera.state === 'starting' ? 'Starting the camera and the QR decoder…' : null}
          {camera.state === 'scanning' ? 'Point the camera at the animated QR code on the exporting screen.' : null}
          {camera.state === 'complete' ? 'All frames received: the bundle is complete.' : null}
        </p>
        {camera.state === 'failed' ? (
          <div className="camera-failed" role="alert">
            <p>{camera.message}</p>
            {camera.retry ? (
              <button type="button" className="secondary" onClick={() => setAttempt((n) => n + 1)}>
                Start the camera again
              </button>
            ) : null}
          </div>
        ) : null}
        <label className="qr-progress">
          <span className="code-label">Frames</span>
          <progress value={value} max={max} aria-label="Frames received" />
        </label>
        <p className="qr-counts" data-testid="qr-counts">
          {p && p.needed > 0
            ? p.complete
              ? `${p.received} parts received — complete`
              : `${p.received} parts received · ${p.rank} of ${p.needed} fragments known · about ${p.estimatedStillNeeded} more parts needed`
            : 'No frame of a bundle read yet.'}
        </p>
        {decoded.frames > 0 ? (
          <p className="qr-rate">
            {decoded.frames} camera frames decoded, {decoded.ms.toFixed(0)} ms each (in a worker)
          </p>
        ) : null}
        {followed ? (
          <p className="qr-followed" role="status" data-testid="qr-followed">
            Reading follows the bundle now shown: {followed.dropped} {followed.dropped === 1 ? 'frame' : 'frames'} of another bundle read before it {followed.dropped === 1 ? 'was' : 'were'} set aside.
          </p>
        ) : null}
        {lastRefusal ? (
          <div className="qr-refused" role="alert">
            <p>
              <span className="code-label">Frame refused</span> <code className="code">{lastRefusal.code}</code> {lastRefusal.message}
            </p>
            {explainCode(lastRefusal.code) ? <p className="explain">{explainCode(lastRefusal.code)}</p> : null}
            {p && p.refused > 0 ? <p className="qr-refused-count">{p.refused} frames refused so far; the frames already read are kept.</p> : null}
          </div>
        ) : null}
      </div>
    </section>
  );
}
