/**
 * `npm run bench`, the rehearsal's export stage before and after issue #18 ("rehearsal export stage
 * ≥ 1.5× faster than today"), measured in the same run, on the same bundle, making the same frames.
 *
 *   before  the export stage as it was when #18 was filed (603f6ee: src/rehearsal/export-stage.ts
 *           runExportStage, src/io/qr-images.ts qrPng, src/transport/qr/encoder.ts encodeQrFrames),
 *           kept below step for step: each frame's text from @ngraveio/bc-ur's UREncoder.nextPart, drawn by
 *           qrcode's PNG renderer with pngjs's default options (32-bit RGBA, all five row filters tried per
 *           row), each frame written with writeFileAtomic (temp file, fsync, link, unlink, folder fsync).
 *           The helpers it calls that #18 did not set out to change (bundle verification and encoding, the
 *           USB write and read-back, writeFileAtomic) are today's: where #18 made them faster (verification),
 *           the "before" side gains too, so the ratio can only understate the change;
 *   now     today's runExportStage, unchanged.
 *
 * Input: one `rehearse --profile notary` run (its own process, not timed) leaves its trust bundle; both
 * sides export that bundle's repository with its own `created` time as "now", so they make the same bundle
 * bytes and the same frame texts (checked: frames.txt and the bundle are compared byte for byte, and
 * every frame the "now" side drew is read back with zxing-wasm and must give its line of frames.txt).
 *
 * Each run is a fresh `node --expose-gc` process: the repository is decoded and every module loaded first
 * (as in a rehearsal, which loads its modules at start), then one call of the stage is timed — CPU time
 * (process.cpuUsage: user + system, steadier than wall on a shared machine) and wall time; then a second,
 * warm call. Sides alternate, the order flipping each round, so drift hits both alike; medians over the
 * rounds; the 1-minute load average is printed beside each run's figures.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import QRCode from 'qrcode';
import { trustBundleFromRepository } from '../src/bundle/export.js';
import { bundleRepositoryFiles, decodeBundle } from '../src/bundle/format.js';
import { bytesEqual } from '../src/crypto/digest.js';
import { CeremonyError } from '../src/errors.js';
import { readBundleFile, writeBundle } from '../src/io/bundle-file.js';
import { assertAbsent, writeFileAtomic } from '../src/io/files.js';
import { readQrImageFile } from '../src/io/qr-images.js';
import { EXPORT_BUNDLE, EXPORT_QR_DIR, EXPORT_QR_FRAGMENT_BYTES, EXPORT_QR_LOSS, EXPORT_QR_SCALE, frameName, runExportStage, type ExportStageInput } from '../src/rehearsal/export-stage.js';
import { framesForLoss } from '../src/transport/qr/encoder.js';
import { cborEncode, QR_UR_TYPE, toBuffer, UR, UREncoder } from '../src/transport/qr/ur.js';

export const EXPORT_SIDES = ['before', 'now'] as const;
export type ExportSide = (typeof EXPORT_SIDES)[number];

export interface ExportStageWorkerResult {
  side: ExportSide;
  cpuMs: number;
  wallMs: number;
  warmCpuMs: number;
  warmWallMs: number;
  frames: number;
  /** Bytes of all PNG frames (first call's output). */
  pngBytes: number;
  framesTextSha256: string;
  bundleSha256: string;
  /** 1-minute load average when the timed call started and when it ended. */
  load: [number, number];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

// ---- the "before" side: 603f6ee's code for the parts #18 changed, kept as it was ----

/** 603f6ee src/io/qr-images.ts qrPng: qrcode's PNG renderer, pngjs's defaults (RGBA, adaptive filters). */
async function qrPngBefore(text: string, opts: { scale?: number } = {}): Promise<Uint8Array> {
  const segments = /^[0-9A-Z $%*+\-./:]*$/.test(text) ? [{ data: text, mode: 'alphanumeric' as const }] : [{ data: new TextEncoder().encode(text), mode: 'byte' as const }];
  const png = await QRCode.toBuffer(segments, { type: 'png', errorCorrectionLevel: 'L', margin: 4, scale: opts.scale ?? 6 });
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** 603f6ee src/transport/qr/encoder.ts encodeQrFrames on the mixed schedule at loss > 0: the package's nextPart per frame. */
function encodeQrFramesBefore(bundle: Uint8Array, fragmentBytes: number, loss: number): { parts: string[]; seqLen: number; fragmentLength: number } {
  const ur = new UR(cborEncode(toBuffer(bundle)), QR_UR_TYPE);
  const seqLen = new UREncoder(ur, fragmentBytes).fragmentsLength;
  const encoder = new UREncoder(ur, fragmentBytes, seqLen > 1 ? seqLen : 0);
  // framesForLoss is unchanged for loss > 0 (#18 changed only loss 0).
  const count = framesForLoss(seqLen, loss);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(encoder.nextPart().toUpperCase());
  return { parts, seqLen, fragmentLength: encoder.fragments[0]!.length };
}

/** 603f6ee src/rehearsal/export-stage.ts runExportStage (its messages to `say` left out: both sides get a no-op say). */
async function runExportStageBefore(input: ExportStageInput): Promise<void> {
  const { out } = input;
  const prepared = trustBundleFromRepository(input.files, { now: input.now, ...(input.profile === 'notary' ? { gun: input.repository } : { name: input.repository }) });
  const bytes = prepared.bytes;
  const hash = await writeBundle(join(out, EXPORT_BUNDLE), bytes);
  const back = await readBundleFile(join(out, EXPORT_BUNDLE));
  const decoded = decodeBundle(back, { expectKind: 'trust-bundle', source: EXPORT_BUNDLE });
  bundleRepositoryFiles(decoded);
  if (!bytesEqual(back, bytes) || decoded.hash.sha256 !== hash.sha256) {
    throw new CeremonyError('BUNDLE_WRITE_VERIFY_FAILED', 'the bundle read back from the medium differs from what was written', { path: EXPORT_BUNDLE });
  }
  const enc = encodeQrFramesBefore(bytes, EXPORT_QR_FRAGMENT_BYTES, EXPORT_QR_LOSS);
  const frames = enc.parts.map((_, i) => frameName(i));
  const dir = join(out, EXPORT_QR_DIR);
  await assertAbsent([...frames, 'frames.txt'].map((n) => join(dir, n)));
  for (let i = 0; i < enc.parts.length; i++) await writeFileAtomic(join(dir, frames[i]!), await qrPngBefore(enc.parts[i]!, { scale: EXPORT_QR_SCALE }));
  await writeFileAtomic(join(dir, 'frames.txt'), new TextEncoder().encode(`${enc.parts.join('\n')}\n`));
}

const STAGE: Record<ExportSide, (input: ExportStageInput) => Promise<unknown>> = { before: runExportStageBefore, now: runExportStage };

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run with node --expose-gc');
  g();
}

/** The input worker: one notary rehearsal into `dir` (kept), for its trust bundle. Prints the bundle's path. */
export async function exportInputWorker(dir: string): Promise<void> {
  const { runCli } = (await import('../src/cli/program.js')) as { runCli: (argv: string[], io: { out(s: string): void; err(s: string): void }) => Promise<number> };
  const errors: string[] = [];
  const status = await runCli(['rehearse', '--profile', 'notary', '--gun', 'bench.example/app', '--out', join(dir, 'ceremony'), '--json'], { out: () => undefined, err: (s) => void errors.push(s) });
  if (status !== 0) throw new Error(`rehearse exited ${status}: ${errors.join('').split('\n')[0]}`);
  process.stdout.write(`${JSON.stringify({ bundle: join(dir, 'ceremony', EXPORT_BUNDLE) })}\n`);
}

/** The timing worker: see the file comment. `out` must not exist; it is left for the parent to check. */
export async function exportStageWorker(side: ExportSide, bundlePath: string, out: string): Promise<void> {
  const decoded = decodeBundle(new Uint8Array(readFileSync(bundlePath)), { expectKind: 'trust-bundle', source: bundlePath });
  const input = (dir: string): ExportStageInput => ({ profile: decoded.profile, repository: decoded.repository, out: dir, files: bundleRepositoryFiles(decoded), now: new Date(decoded.created), say: () => undefined });
  const stage = STAGE[side];
  const timed = async (dir: string): Promise<{ cpuMs: number; wallMs: number }> => {
    gc();
    const c = process.cpuUsage();
    const t = performance.now();
    await stage(input(dir));
    const wallMs = performance.now() - t;
    const cc = process.cpuUsage(c);
    return { cpuMs: (cc.user + cc.system) / 1000, wallMs };
  };
  const load0 = loadavg()[0]!;
  const first = await timed(join(out, 'first'));
  const load1 = loadavg()[0]!;
  const warm = await timed(join(out, 'warm'));
  const qr = join(out, 'first', EXPORT_QR_DIR);
  const pngs = readdirSync(qr).filter((n) => n.endsWith('.png'));
  const result: ExportStageWorkerResult = {
    side,
    ...first,
    warmCpuMs: warm.cpuMs,
    warmWallMs: warm.wallMs,
    frames: pngs.length,
    pngBytes: pngs.reduce((n, f) => n + statSync(join(qr, f)).size, 0),
    framesTextSha256: sha256(readFileSync(join(qr, 'frames.txt'))),
    bundleSha256: sha256(readFileSync(join(out, 'first', EXPORT_BUNDLE))),
    load: [load0, load1],
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild<T>(self: string, args: string[]): T {
  const child = spawnSync(process.execPath, ['--expose-gc', self, ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (child.status !== 0) throw new Error((child.stderr || child.stdout || `exit ${child.status}`).trim().split('\n').slice(0, 6).join('\n'));
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as T;
}

/** Every frame the "now" side drew reads back (zxing-wasm, as `qr decode` and the rehearsal's site do) as its line of frames.txt. */
async function checkFramesRead(qrDir: string): Promise<{ read: number; of: number }> {
  const lines = readFileSync(join(qrDir, 'frames.txt'), 'utf8').trimEnd().split('\n');
  let read = 0;
  for (let i = 0; i < lines.length; i++) {
    const texts = await readQrImageFile(join(qrDir, frameName(i)));
    if (texts.length === 1 && texts[0] === lines[i]) read++;
  }
  return { read, of: lines.length };
}

/** The export-stage section of `npm run bench`: see the file comment. */
export async function exportStageSection(self: string, rounds: number): Promise<void> {
  console.log('\n\ntuf-ceremony bench: the rehearsal\'s export stage, before issue #18 and now (same run, same bundle, same frames)');
  const work = mkdtempSync(join(tmpdir(), 'tuf-ceremony-bench-export-'));
  try {
    let bundle: string;
    try {
      ({ bundle } = runChild<{ bundle: string }>(self, ['--worker-export-input', work]));
    } catch (err) {
      console.log(`export stage: SKIPPED — the input rehearsal failed: ${(err as Error).message}`);
      return;
    }
    const results: Record<ExportSide, ExportStageWorkerResult[]> = { before: [], now: [] };
    let last: Record<ExportSide, string> = { before: '', now: '' };
    for (let r = 0; r < rounds; r++) {
      const order: ExportSide[] = r % 2 === 0 ? ['before', 'now'] : ['now', 'before'];
      for (const side of order) {
        const out = join(work, `${side}-${r}`);
        results[side].push(runChild<ExportStageWorkerResult>(self, ['--worker-export-stage', side, bundle, out]));
        if (last[side]) rmSync(last[side], { recursive: true, force: true });
        last = { ...last, [side]: out };
      }
    }
    const b = results.before;
    const n = results.now;
    const same = b.every((x) => x.framesTextSha256 === n[0]!.framesTextSha256 && x.bundleSha256 === n[0]!.bundleSha256) && n.every((x) => x.framesTextSha256 === n[0]!.framesTextSha256 && x.bundleSha256 === n[0]!.bundleSha256);
    const qrNow = join(last.now, 'first', EXPORT_QR_DIR);
    const check = existsSync(qrNow) ? await checkFramesRead(qrNow) : { read: 0, of: 0 };
    const bytes = statSync(bundle).size;
    console.log(
      `input: the trust bundle of one \`rehearse --profile notary\` (${bytes} bytes), exported by both sides with its own created time: ` +
        `${n[0]!.frames} frames of ≤ ${EXPORT_QR_FRAGMENT_BYTES} bytes for ${Math.round(EXPORT_QR_LOSS * 100)} % loss at scale ${EXPORT_QR_SCALE}; ` +
        `${same ? 'both sides wrote the same bundle bytes and the same frames.txt in every run' : 'THE SIDES DIFFER in bundle bytes or frame texts'}; ` +
        `${check.read} of ${check.of} of the "now" frames read back by zxing-wasm as their frames.txt line. ` +
        `${rounds} rounds, each side a fresh process per round, order alternating; first call (what a rehearsal pays) and a second, warm call.\n`,
    );
    const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
    console.log(row(['side', 'CPU ms (median, min–max)', 'wall ms (median, min–max)', 'warm CPU ms', 'warm wall ms', 'PNG bytes (all frames)', 'load (1 min) per run']));
    console.log(row(['---', '---:', '---:', '---:', '---:', '---:', '---']));
    const range = (xs: number[]) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
    for (const side of EXPORT_SIDES) {
      const xs = results[side];
      console.log(
        row([
          side === 'before' ? 'before #18 (603f6ee)' : 'now',
          range(xs.map((x) => x.cpuMs)),
          range(xs.map((x) => x.wallMs)),
          median(xs.map((x) => x.warmCpuMs)).toFixed(0),
          median(xs.map((x) => x.warmWallMs)).toFixed(0),
          String(xs[0]!.pngBytes),
          xs.map((x) => `${x.load[0].toFixed(1)}→${x.load[1].toFixed(1)}`).join(', '),
        ]),
      );
    }
    const cpuRatio = median(b.map((x) => x.cpuMs)) / median(n.map((x) => x.cpuMs));
    const wallRatio = median(b.map((x) => x.wallMs)) / median(n.map((x) => x.wallMs));
    const loads = [...b, ...n].flatMap((x) => x.load);
    console.log(
      `\nexport stage, before ÷ now: CPU ${cpuRatio.toFixed(2)}×, wall ${wallRatio.toFixed(2)}× (load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} during the runs) — ` +
        `target ≥ 1.5×: ${cpuRatio >= 1.5 && same && check.read === check.of ? 'met' : 'NOT met'} (judged on CPU time, same frames, every frame read back; ` +
        `wall time also waits on the disk's fsyncs and on other processes).`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
