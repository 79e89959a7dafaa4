/**
 * `npm run bench`, animated-QR section (PRODUCT.md §7, issue 6): frames displayed until a receiver can
 * reassemble a 20 KB and a 100 KB bundle at 0 %, 10 % and 30 % frame loss, as a ratio to the ideal
 * (fragments ÷ (1 − loss)), median and p95 over TRIALS seeded trials, the receiver joining at the first
 * frame and at a random frame (uniform over the first 5 × fragments):
 *
 *   ours      QrAssembler (GF(2) elimination, src/transport/qr/solver.ts)
 *   package   @ngraveio/bc-ur's own URDecoder (peeling), fed the same frame texts
 *   chunks    plain numbered chunks cycled (the receiver needs every one)
 *
 * on the package's standard frame sequence (seqNum 1, 2, …: the plain fragments first) and on our
 * `mixed` schedule (what `qr encode` and the app display: seqNum n+1, n+2, …). Then zxing-wasm's decode
 * rate on a 1280×720 RGBA frame holding one 300-byte-fragment frame.
 *
 * Speed-up, exact: the package's fragment-index choice (`chooseFragments`, BigNumber arithmetic) depends
 * only on (seqNum, seqLen, checksum), so it is memoised — for our receiver by injection, for the package's
 * encoder and decoder by wrapping the CommonJS export they call. No result changes; trials just run faster.
 *
 *   [--only qr] [--qr-trials N (≥ 100, default 100)]
 */
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { qrModules, readQrCodes, readQrHits } from '../src/io/qr-images.js';
import { WindowedQrReader, type QrPass, type RgbaImage } from '../electron/shared/qr-window.js';
import { encodeQrFrames } from '../src/transport/qr/encoder.js';
import { FrameSource, framesToComplete, memoIndexChooser, quantile, seededRandom, type ReceiverKind } from '../src/transport/qr/simulate.js';
import type { QrSchedule } from '../src/transport/qr/encoder.js';

function memoisePackageChooser(): void {
  const require = createRequire(import.meta.url);
  const utils = require('@ngraveio/bc-ur/dist/fountainUtils.js') as { chooseFragments: (a: number, b: number, c: number) => number[] };
  const memo = memoIndexChooser(utils.chooseFragments);
  utils.chooseFragments = memo;
}

function randomBundle(size: number, seed: number): Uint8Array {
  const rnd = seededRandom(seed);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}

interface Row {
  size: string;
  schedule: QrSchedule;
  loss: number;
  join: 'start' | 'random';
  kind: ReceiverKind;
  median: number;
  p95: number;
  failed: number;
}

export async function qrSection(opts: { trials: number }): Promise<void> {
  memoisePackageChooser();
  const chooser = memoIndexChooser();
  console.log('\ntuf-ceremony bench: animated QR (PRODUCT.md §7)');
  console.log(
    `frames displayed until reassembly ÷ ideal (fragments ÷ (1 − loss)); ${opts.trials} seeded trials per cell, median / p95; ` +
      '300-byte fragments; random join = uniform over the first 5 × fragments frames. ours = GF(2) elimination; package = @ngraveio/bc-ur URDecoder (peeling); chunks = plain numbered chunks cycled.',
  );
  const rows: Row[] = [];
  const t0 = performance.now();
  for (const [label, size] of [['20 KB', 20_000], ['100 KB', 100_000]] as const) {
    const bundle = randomBundle(size, size);
    for (const schedule of ['standard', 'mixed'] as const) {
      const src = new FrameSource(bundle, { schedule });
      const kinds: ReceiverKind[] = schedule === 'standard' ? ['ours', 'package', 'chunks'] : ['ours', 'package'];
      for (const loss of [0, 0.1, 0.3]) {
        for (const join of ['start', 'random'] as const) {
          for (const kind of kinds) {
            const ratios: number[] = [];
            let failed = 0;
            for (let t = 0; t < opts.trials; t++) {
              const rnd = seededRandom(7919 * t + 13);
              const at = join === 'start' ? 1 : 1 + Math.floor(rnd() * 5 * src.seqLen);
              const frames = framesToComplete(src, kind, { join: at, loss, random: rnd, indexChooser: chooser, maxFrames: 8 * src.seqLen + 50, verify: t === 0 });
              if (!Number.isFinite(frames)) failed++;
              ratios.push(frames / (src.seqLen / (1 - loss)));
            }
            rows.push({ size: `${label} (${src.seqLen} fragments)`, schedule, loss, join, kind, median: quantile(ratios, 0.5), p95: quantile(ratios, 0.95), failed });
          }
        }
      }
    }
  }
  const fmt = (x: number) => (Number.isFinite(x) ? `${x.toFixed(3)}×` : '> 8× (gave up)');
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log(row(['bundle', 'frames shown', 'loss', 'join', 'receiver', 'median', 'p95', 'gave up']));
  console.log(row(['---', '---', '---:', '---', '---', '---:', '---:', '---:']));
  for (const r of rows) console.log(row([r.size, r.schedule, `${r.loss * 100} %`, r.join, r.kind, fmt(r.median), fmt(r.p95), String(r.failed)]));
  const ours30 = rows.filter((r) => r.kind === 'ours' && r.schedule === 'mixed' && r.loss === 0.3);
  const worstMedian = Math.max(...ours30.map((r) => r.median));
  const worstP95 = Math.max(...ours30.map((r) => r.p95));
  console.log(
    `\ntarget at 30 % loss, ours on the frames qr encode displays (mixed), any join: median ≤ 1.10× — ${worstMedian <= 1.1 ? 'met' : 'NOT met'} ` +
      `(worst ${worstMedian.toFixed(3)}×); p95 ≤ 1.25× — ${worstP95 <= 1.25 ? 'met' : 'NOT met'} (worst ${worstP95.toFixed(3)}×). ` +
      `(${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );

  // zxing-wasm decode rate on a 720p camera-like frame.
  const text = encodeQrFrames(randomBundle(20_000, 1), { count: 1 }).parts[0]!;
  const { size, dark } = qrModules(text);
  const [width, height] = [1280, 720];
  const scale = Math.floor(640 / (size + 8));
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  const x0 = Math.floor((width - size * scale) / 2);
  const y0 = Math.floor((height - size * scale) / 2);
  for (let y = 0; y < size * scale; y++) {
    for (let x = 0; x < size * scale; x++) {
      if (!dark(Math.floor(x / scale), Math.floor(y / scale))) continue;
      const o = ((y0 + y) * width + x0 + x) * 4;
      data[o] = data[o + 1] = data[o + 2] = 0;
    }
  }
  const image = { data, width, height };
  for (let i = 0; i < 5; i++) await readQrCodes(image); // warm-up (the first call instantiates the wasm)
  const runs = 100;
  let ok = 0;
  const t = performance.now();
  const c = process.cpuUsage();
  for (let i = 0; i < runs; i++) if ((await readQrCodes(image))[0] === text) ok++;
  const cpu = process.cpuUsage(c);
  const ms = (performance.now() - t) / runs;
  const cpuMs = (cpu.user + cpu.system) / 1000 / runs;
  console.log(
    `\nzxing-wasm (bundled .wasm, no network): 1280×720 RGBA frame, QR version ${(size - 17) / 4} (${text.length} characters, level L, ${scale} px/module): ` +
      `${ms.toFixed(1)} ms per frame wall (${(1000 / ms).toFixed(0)} frames/s), ${cpuMs.toFixed(1)} ms CPU (${(1000 / cpuMs).toFixed(0)} frames per CPU second), ` +
      `${ok}/${runs} decoded correctly; load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`,
  );

  await cameraFramesSection();
}

/**
 * Issue #18: frames per second of the camera path on a sequence of 720p frames, each a different frame of
 * a 20 KB bundle's mixed schedule — clean (black on white, centred, still) and camera-like (smaller, low
 * contrast, per-pixel noise, drifting a few pixels per frame). Three decoders on the same frames: the full
 * options alone (what every frame cost before), the fast path then the full options (`qr decode`), and the
 * camera worker's (electron/shared/qr-window.ts: a window around the last code first). Every frame the
 * full options read must be read, with the same text, by the others.
 */
export async function cameraFramesSection(): Promise<void> {
  const parts = encodeQrFrames(randomBundle(20_000, 3), { count: 60 }).parts;
  const [width, height] = [1280, 720];
  const render = (text: string, i: number, camera: boolean): RgbaImage => {
    const { size, dark } = qrModules(text);
    const rnd = seededRandom(1000 + i);
    const scale = camera ? Math.floor(420 / (size + 8)) : Math.floor(640 / (size + 8));
    const data = new Uint8ClampedArray(width * height * 4);
    const [fg, bg, noise] = camera ? [60, 190, 40] : [0, 255, 0];
    const x0 = Math.floor((width - size * scale) / 2) + (camera ? Math.round(25 * Math.sin(i / 5)) : 0);
    const y0 = Math.floor((height - size * scale) / 2) + (camera ? Math.round(15 * Math.cos(i / 7)) : 0);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const mx = Math.floor((x - x0) / scale);
        const my = Math.floor((y - y0) / scale);
        const isDark = x >= x0 && y >= y0 && mx < size && my < size && dark(mx, my);
        const v = (isDark ? fg : bg) + (noise ? Math.round((rnd() - 0.5) * noise) : 0);
        const o = (y * width + x) * 4;
        data[o] = data[o + 1] = data[o + 2] = v;
        data[o + 3] = 255;
      }
    }
    return { data, width, height };
  };
  const loadBefore = loadavg()[0]!;
  console.log(
    `\ncamera path (issue #18): ${parts.length} different 1280×720 frames of a 20 KB bundle, single thread, after a warm-up; frames/s and frames read. ` +
      'Frames per CPU second count only this process\'s own CPU time (user + system); frames/s (wall) also count the turns other processes take ' +
      'on a loaded machine — "CPU share" is how much of the wall time this process had the CPU.',
  );
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log(row(['frames', 'decoder', 'frames/s (wall)', 'frames per CPU second', 'CPU share', 'read', 'by pass', 'lost vs full options']));
  console.log(row(['---', '---', '---:', '---:', '---:', '---:', '---', '---:']));
  let worstFps = Infinity;
  let worstCpuFps = Infinity;
  let worstShare = 1;
  let qrDecodeCpuFps = Infinity;
  let lost = 0;
  for (const camera of [false, true]) {
    const frames = parts.map((p, i) => render(p, i, camera));
    for (let i = 0; i < 3; i++) await readQrHits(frames[i]!, 'full'); // warm-up
    const run = async (decode: (f: RgbaImage) => Promise<{ texts: string[]; pass: QrPass }>) => {
      const texts: (string | undefined)[] = [];
      const passes = new Map<QrPass, number>();
      const t = performance.now();
      const c = process.cpuUsage();
      for (const f of frames) {
        const r = await decode(f);
        texts.push(r.texts[0]);
        passes.set(r.pass, (passes.get(r.pass) ?? 0) + 1);
      }
      const cpu = process.cpuUsage(c);
      // Frames per CPU second as well: on a shared machine the wall clock counts other processes' turns too.
      const wallMs = performance.now() - t;
      const cpuMs = (cpu.user + cpu.system) / 1000;
      return { fps: (1000 * frames.length) / wallMs, cpuFps: (1000 * frames.length) / cpuMs, share: cpuMs / wallMs, texts, passes };
    };
    const full = await run(async (f) => {
      const hits = await readQrHits(f, 'full');
      return { texts: hits.map((h) => h.text), pass: hits.length ? 'full' : 'none' };
    });
    const fastThenFull = await run(async (f) => {
      const fast = await readQrHits(f, 'fast');
      if (fast.length) return { texts: fast.map((h) => h.text), pass: 'fast' };
      const hits = await readQrHits(f, 'full');
      return { texts: hits.map((h) => h.text), pass: hits.length ? 'full' : 'none' };
    });
    const reader = new WindowedQrReader(readQrHits);
    const windowed = await run((f) => reader.decode(f));
    const label = camera ? 'camera-like' : 'clean';
    for (const [name, r] of [['full options only', full], ['fast, then full (qr decode)', fastThenFull], ['window, fast, full (camera worker)', windowed]] as const) {
      const read = r.texts.filter((x, i) => x !== undefined && x === parts[i]).length;
      const missed = full.texts.filter((x, i) => x !== undefined && r.texts[i] !== x).length;
      if (r !== full) lost += missed;
      if (r === windowed && camera) {
        worstFps = Math.min(worstFps, r.fps);
        worstCpuFps = Math.min(worstCpuFps, r.cpuFps);
        worstShare = Math.min(worstShare, r.share);
      }
      if (r === fastThenFull && camera) qrDecodeCpuFps = r.cpuFps;
      console.log(row([label, name, r.fps.toFixed(0), r.cpuFps.toFixed(0), `${Math.round(100 * r.share)} %`, `${read}/${frames.length}`, [...r.passes].map(([k, v]) => `${k} ${v}`).join(', '), String(missed)]));
    }
  }
  const loadAfter = loadavg()[0]!;
  // Judged on CPU time: the decoder's own cost. The wall figure is printed beside it with the load and the
  // CPU share, so a wall miss on a loaded machine reads as what it is.
  const loadNote =
    worstFps >= 100
      ? `${worstFps.toFixed(0)} frames/s wall clock as well`
      : `${worstFps.toFixed(0)} frames/s wall clock, at load ${loadBefore.toFixed(1)}→${loadAfter.toFixed(1)} on ${cpus().length} cores where this process had the CPU ${Math.round(100 * worstShare)} % of the time: ` +
        `${worstShare < 0.9 ? 'the load\'s, not the decoder\'s (rerun on an idle machine for the wall figure)' : 'NOT met by the wall clock either'}`;
  console.log(
    `\ntarget: QR decode ≥ 100 frames/s on camera-like 720p frames, single thread (the camera worker's decoder) — ${worstCpuFps >= 100 ? 'met' : 'NOT met'}: ` +
      `${worstCpuFps.toFixed(0)} frames per CPU second (${loadNote}); \`qr decode\`'s fast-then-full path ${qrDecodeCpuFps.toFixed(0)} frames per CPU second; ` +
      `no frame lost that the full options read — ${lost === 0 ? 'met' : `NOT met (${lost} lost)`}.`,
  );
}
