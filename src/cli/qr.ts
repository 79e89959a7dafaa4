/**
 * `tuf-ceremony qr encode BUNDLE --out DIR [--fragment-size N] [--loss SHARE] [--frames N] [--schedule mixed|standard]`
 * and `tuf-ceremony qr decode IMAGES… --out FILE` (PRODUCT.md §2.5, §3): a bundle as animated-QR frames
 * in PNG files, and back.
 *
 * encode writes `frame-0001.png` … and `frames.txt` (the same frames as text, one per line) into DIR,
 * never overwriting: as many frames as a receiver losing the share SHARE of them (default 0.3) needs to
 * complete with high probability (src/transport/qr/encoder.ts, framesForLoss).
 *
 * decode reads the images (PNG or JPEG, their header checked against the 40-megapixel budget before they are
 * decoded: src/io/image-header.ts; or `.txt` files holding one frame per line) in any order,
 * skipping images without a readable QR code (said on stdout), refusing any frame that is malformed, of
 * another UR type or of a second bundle (exit 1, nothing written), and stops as soon as the bundle is
 * reassembled; the reassembled bytes must pass the frames' checksum and be a bundle (checkQrBundle), or
 * nothing is written. Progress goes to stdout, one line per input: parts received, fragments known, estimate
 * of parts still needed (not stderr: PRODUCT.md §3 keeps the first line of stderr for `error[CODE]`, and
 * a refused frame can come after progress lines); "complete" is said only once those checks passed.
 */
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { sha256Hex } from '../crypto/digest.js';
import { CeremonyError, isCeremonyError } from '../errors.js';
import { assertAbsent, readFileCapped, writeFileAtomic } from '../io/files.js';
import { qrPng, readQrImageFile } from '../io/qr-images.js';
import { checkQrBundle, DEFAULT_QR_CAPS, encodeQrFrames, QR_DEFAULT_FRAGMENT_BYTES, QR_MAX_FRAME_CHARS, QrAssembler, smallBundleNote, type QrSchedule } from '../transport/qr/index.js';
import type { Io } from './output.js';
import { intOption } from './int-option.js';

export interface QrEncodeOptions {
  out: string;
  fragmentSize?: string;
  loss?: string;
  frames?: string;
  schedule?: string;
}

export async function qrEncodeCommand(bundlePath: string, opts: QrEncodeOptions, io: Io): Promise<number> {
  const fragmentBytes = intOption(opts.fragmentSize, '--fragment-size', 50, 1000) ?? QR_DEFAULT_FRAGMENT_BYTES;
  const count = intOption(opts.frames, '--frames', 1, 100_000);
  const loss = opts.loss === undefined ? 0.3 : Number(opts.loss);
  if (!/^(0(\.\d+)?|\.\d+)$/.test(opts.loss ?? '0.3') || !(loss >= 0 && loss <= 0.8)) throw new CeremonyError('USAGE', '--loss must be a share from 0 to 0.8 (e.g. 0.3)');
  const schedule = (opts.schedule ?? 'mixed') as QrSchedule;
  if (schedule !== 'mixed' && schedule !== 'standard') throw new CeremonyError('USAGE', '--schedule must be mixed or standard');
  const bundle = await readFileCapped(bundlePath, DEFAULT_QR_CAPS.maxMessageBytes - 8);
  const enc = encodeQrFrames(bundle, { fragmentBytes, loss, schedule, ...(count !== undefined ? { count } : {}) });
  const names = enc.parts.map((_, i) => `frame-${String(i + 1).padStart(4, '0')}.png`);
  // Outputs never overwrite: all checked before the first is written.
  await assertAbsent([...names, 'frames.txt'].map((n) => join(opts.out, n)));
  for (let i = 0; i < enc.parts.length; i++) await writeFileAtomic(join(opts.out, names[i]!), await qrPng(enc.parts[i]!));
  await writeFileAtomic(join(opts.out, 'frames.txt'), new TextEncoder().encode(`${enc.parts.join('\n')}\n`));
  io.out(`wrote ${enc.parts.length} QR frames (${names[0]} … ${names[names.length - 1]}) and frames.txt to ${opts.out}`);
  io.out(
    `  bundle ${bundle.length} bytes, sha256 ${sha256Hex(bundle)}; ${enc.seqLen} fragments of ${enc.fragmentLength} bytes; ` +
      `${count !== undefined ? `${count} frames as asked` : `enough for a receiver losing ${Math.round(loss * 100)} % of them`} (${schedule} schedule)`,
  );
  const small = smallBundleNote(enc.seqLen);
  if (small) io.out(`  note: ${small}`);
  return 0;
}

export interface QrDecodeOptions {
  out: string;
}

/** One frame's text, with its line number when it came from a `.txt` file (review-15d L4: a refusal names it). */
interface FrameText {
  text: string;
  line?: number;
}

async function framesOf(path: string): Promise<FrameText[]> {
  if (path.toLowerCase().endsWith('.txt')) {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(await readFileCapped(path, 64 * 1024 * 1024));
    // Numbered before blank lines are dropped: line N is the file's line N, as an editor shows it.
    return text
      .split(/\r?\n/)
      .map((line, i) => ({ text: line, line: i + 1 }))
      .filter((f) => f.text.length > 0);
  }
  return (await readQrImageFile(path)).map((text) => ({ text }));
}

export async function qrDecodeCommand(images: string[], opts: QrDecodeOptions, io: Io): Promise<number> {
  if (images.length === 0) throw new CeremonyError('USAGE', 'qr decode needs at least one image');
  await assertAbsent([opts.out]);
  const assembler = new QrAssembler();
  let used = 0;
  let skipped = 0;
  for (const path of images) {
    if (assembler.complete) break;
    used++;
    let frames: FrameText[];
    try {
      frames = await framesOf(path);
    } catch (err) {
      if (!isCeremonyError(err, 'QR_IMAGE_UNREADABLE')) throw err;
      skipped++;
      io.out(`qr: ${basename(path)}: ${err.message.replace(/ \(at .*\)$/, '')} (skipped)`);
      continue;
    }
    for (const frame of frames) {
      if (assembler.complete) break;
      try {
        assembler.receive(frame.text);
      } catch (err) {
        if (!(err instanceof CeremonyError)) throw err;
        // An image is one frame; a .txt holds many: its refusal names the line (`file.txt:30` as the path).
        const [name, at] = frame.line === undefined ? [basename(path), path] : [`${basename(path)} line ${frame.line}`, `${path}:${frame.line}`];
        throw new CeremonyError(err.code, `${name}: ${err.message}`, { path: at, cause: err });
      }
    }
    // Not "complete" yet (review-15d L3): every fragment known is not a bundle until the checks below pass.
    const p = assembler.progress;
    io.out(`qr: ${p.received} parts received, ${p.complete ? `all ${p.needed} fragments known` : `${p.rank} of ${p.needed} fragments known, about ${p.estimatedStillNeeded} more parts needed`}`);
  }
  // QR_INCOMPLETE when the frames were not enough, QR_MESSAGE_CHECKSUM when they fail their CRC32, and
  // QR_MESSAGE_NOT_BUNDLE when they pass it but are not a bundle (frames of two bundles of equal length and
  // CRC32 mixed, or forged: CRC32 catches misreads, not substitution; review-15d M1): nothing written then.
  const bytes = checkQrBundle(assembler.result());
  io.out(`qr: the bytes pass the frames' checksum and are a bundle (each file's SHA-256 checked): complete`);
  await writeFileAtomic(opts.out, bytes);
  io.out(`wrote ${basename(opts.out)}: ${bytes.length} bytes, sha256 ${sha256Hex(bytes)}, from ${used} of ${images.length} inputs${skipped ? ` (${skipped} without a readable QR code)` : ''}`);
  return 0;
}

/** Register `qr encode` and `qr decode`; `setStatus` receives the exit status. */
export function registerQrCommands(program: Command, io: Io, setStatus: (status: number) => void): void {
  const qr = program
    .command('qr')
    .description('a bundle as animated-QR frames (PNG images) and back')
    .action(() => {
      throw new CeremonyError('USAGE', 'qr needs a command: encode BUNDLE --out DIR, or decode IMAGES… --out FILE');
    });
  qr.command('encode')
    .description('write a bundle as fountain-coded QR frames: frame-0001.png … and frames.txt (never overwrites)')
    .argument('<BUNDLE>', 'the bundle file')
    .requiredOption('--out <DIR>', 'the folder to write the frames into')
    .option('--fragment-size <N>', `bytes of bundle per frame, 50–1000 (default ${QR_DEFAULT_FRAGMENT_BYTES}; 200–400 suits a laptop webcam)`)
    .option('--loss <SHARE>', 'share of frames a receiver may miss and still complete (default 0.3)')
    .option('--frames <N>', 'write exactly N frames instead')
    .option('--schedule <mixed|standard>', 'mixed parts only (default), or the standard sequence starting with the plain fragments')
    .action(async (bundle: string, opts: QrEncodeOptions) => {
      setStatus(await qrEncodeCommand(bundle, opts, io));
    });
  qr.command('decode')
    .description(`reassemble a bundle from QR frame images in any order (frames of up to ${QR_MAX_FRAME_CHARS} characters)`)
    .argument('<IMAGES...>', 'PNG/JPEG images of the frames, or .txt files with one frame per line')
    .requiredOption('--out <FILE>', 'the bundle file to write (never overwrites)')
    .action(async (images: string[], opts: QrDecodeOptions) => {
      setStatus(await qrDecodeCommand(images, opts, io));
    });
}
