/**
 * The animated-QR player: the prepared bundle's fountain-coded frames, full screen — main puts the window
 * in full screen (exportFullScreen) and the player is a white overlay over the whole window; the page's
 * own Fullscreen API stays denied (electron/main/security-policy.ts PERMISSION_TABLE `fullscreen: 'deny'`)
 * — at a rate from 5 to 10 frames per second adjustable while playing, with pause/resume and Esc
 * to leave. Frames come from main a window at a time (exportQrFrames), are checked to be the prepared
 * bundle's, and are drawn on a canvas (qr-canvas.ts); the clock is player.ts.
 *
 * The sequence never ends: after the fragments come ever new combinations of them, so a receiver that
 * missed frames keeps learning from the next ones instead of waiting for a whole cycle.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { QrFrameView } from '../../../electron/shared/api-types.js';
import { RefusalPanel } from '../components/RefusalPanel';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { clampRate, MAX_FPS, MIN_FPS, modulePixels, pause, resume, setRate, startPlayer, tick, windowToFetch, type PlayerState } from './player';
import { drawFrame } from './qr-canvas';
import { groupWords } from '../lib/format';

/** Frames per request, and how far ahead of the frame on screen the player keeps frames loaded. */
const WINDOW = 40;
const AHEAD = 20;
/** Room under the code for the controls (px). */
const CONTROLS_HEIGHT = 150;

export interface QrPlayerProps {
  seqLen: number;
  fragmentLength: number;
  /** The bundle's short hash (grouped hex) and words, shown so the receiver can compare what arrives. */
  hashShort: string;
  hashWords: string[];
  /** The prepared bundle's SHA-256: frames of any other bundle are refused, never shown. */
  hashSha256: string;
  initialFps: number;
  onClose(): void;
}

function fitPixels(size: number): number {
  return modulePixels(size, window.innerWidth - 32, window.innerHeight - CONTROLS_HEIGHT);
}

export function QrPlayer({ seqLen, fragmentLength, hashShort, hashWords, hashSha256, initialFps, onClose }: QrPlayerProps) {
  const overlay = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const frames = useRef(new Map<number, QrFrameView>());
  const loadedUntil = useRef(0);
  const fetching = useRef(false);
  const closed = useRef(false);
  const [player, setPlayer] = useState<PlayerState | undefined>();
  const playerRef = useRef<PlayerState | undefined>(undefined);
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const [size, setSize] = useState<{ w: number; h: number }>(() => ({ w: window.innerWidth, h: window.innerHeight }));

  const update = useCallback((next: PlayerState | undefined) => {
    playerRef.current = next;
    setPlayer(next);
  }, []);

  // The latest onClose, so `close` (and the effects using it) stay the same across renders.
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const close = useCallback(() => {
    if (closed.current) return;
    closed.current = true;
    void ceremonyApi()
      ?.exportFullScreen({ on: false })
      .catch(() => undefined);
    onCloseRef.current();
  }, []);

  const fetchWindow = useCallback(async (first: number, count: number) => {
    if (fetching.current) return;
    fetching.current = true;
    try {
      const api = ceremonyApi();
      const r = api ? await api.exportQrFrames({ first, count }) : NO_BRIDGE;
      if (closed.current) return;
      if (!r.ok) {
        setRefusal(r);
        return;
      }
      if (r.value.hash !== hashSha256) {
        setRefusal({ ok: false, code: 'INTERNAL', message: 'The frames main returned are of another bundle than the one shown; nothing is played.' });
        return;
      }
      for (const f of r.value.frames) frames.current.set(f.index, f);
      loadedUntil.current = Math.max(loadedUntil.current, r.value.first + r.value.frames.length);
    } catch (err) {
      setRefusal(unexpected(err));
    } finally {
      fetching.current = false;
    }
  }, [hashSha256]);

  // First window, then start the clock on frame 0.
  useEffect(() => {
    let live = true;
    void fetchWindow(0, WINDOW).then(() => {
      if (live && frames.current.has(0)) update(startPlayer(performance.now(), initialFps));
    });
    return () => {
      live = false;
    };
  }, [fetchWindow, initialFps, update]);

  // The clock: a short timer asks player.ts whether the next frame is due, and fetches ahead.
  useEffect(() => {
    const timer = window.setInterval(() => {
      const s = playerRef.current;
      if (!s) return;
      const next = tick(s, performance.now(), (i) => frames.current.has(i));
      if (next !== s) {
        update(next);
        for (const i of frames.current.keys()) if (i < next.index - 1) frames.current.delete(i);
      }
      const want = windowToFetch(next.index, loadedUntil.current, AHEAD, WINDOW);
      if (want) void fetchWindow(want.first, want.count);
    }, 10);
    return () => window.clearInterval(timer);
  }, [fetchWindow, update]);

  // Draw the frame the clock names, at the largest whole-pixel module size that fits.
  useEffect(() => {
    const frame = player ? frames.current.get(player.index) : undefined;
    if (frame && canvas.current) drawFrame(canvas.current, frame, fitPixels(frame.size));
  }, [player, size]);

  // Main puts the window in full screen (and out again on close); keyboard focus on the overlay, so
  // Space pauses and Esc leaves at once.
  useEffect(() => {
    void ceremonyApi()
      ?.exportFullScreen({ on: true })
      .catch(() => undefined);
    overlay.current?.focus();
    return () => {
      if (!closed.current) void ceremonyApi()?.exportFullScreen({ on: false }).catch(() => undefined);
    };
  }, []);

  useEffect(() => {
    const onResize = () => setSize({ w: window.innerWidth, h: window.innerHeight });
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        close();
      } else if (e.key === ' ' && e.target === overlay.current) {
        e.preventDefault();
        const s = playerRef.current;
        if (s) update(s.playing ? pause(s) : resume(s, performance.now()));
      }
    };
    window.addEventListener('resize', onResize);
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('resize', onResize);
      window.removeEventListener('keydown', onKey);
    };
  }, [close, update]);

  const fps = player?.fps ?? clampRate(initialFps);
  return (
    <div
      ref={overlay}
      className="qr-player"
      role="dialog"
      aria-modal="true"
      aria-label="Animated QR code"
      tabIndex={-1}
      data-frame-index={player ? player.index : -1}
      data-fps={fps}
      data-playing={player?.playing ? 'true' : 'false'}
    >
      <div className="qr-stage">
        {refusal ? <RefusalPanel refusal={refusal} title="The QR frames could not be made" reassure={null} /> : null}
        {!player && !refusal ? <p className="qr-loading">Preparing the frames…</p> : null}
        <canvas ref={canvas} className="qr-canvas" aria-label={player ? `QR frame ${player.index + 1}` : 'QR frame'} />
      </div>
      <div className="qr-controls">
        <p className="qr-counter" aria-live="off">
          Frame <strong className="qr-frame-no">{player ? player.index + 1 : 0}</strong>
          <span className="qr-sep"> · </span>
          fragments: {seqLen}, sequence keeps going (fountain)
          <span className="qr-sep"> · </span>
          {fragmentLength} bytes per frame
          <span className="qr-sep"> · </span>
          bundle <code>{hashShort}</code> <span className="qr-words">{groupWords(hashWords)}</span>
        </p>
        <div className="qr-buttons">
          <label className="qr-rate">
            Rate
            <input
              type="range"
              min={MIN_FPS}
              max={MAX_FPS}
              step={1}
              value={fps}
              aria-label="Frames per second"
              onChange={(e) => {
                const s = playerRef.current;
                if (s) update(setRate(s, Number(e.currentTarget.value)));
              }}
            />
            <output className="qr-fps">{fps} frames/s</output>
          </label>
          <button
            type="button"
            disabled={!player}
            onClick={() => {
              const s = playerRef.current;
              if (s) update(s.playing ? pause(s) : resume(s, performance.now()));
            }}
          >
            {player && !player.playing ? 'Resume' : 'Pause'}
          </button>
          <button type="button" className="primary" onClick={close}>
            Close (Esc)
          </button>
        </div>
      </div>
    </div>
  );
}
