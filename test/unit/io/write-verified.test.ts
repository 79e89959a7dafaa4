/**
 * writeFileVerified: the one write-then-read-back every output of rotation, sign, merge, the app's
 * rotation screens and bundle export goes through. A copy that reads back different is a media fault
 * (BUNDLE_WRITE_VERIFY_FAILED, naming the file), never INTERNAL.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { writeFileVerified, type VerifiedWriteFs } from '../../../src/io/files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'write-verified-'));
  dirs.push(d);
  return d;
};

const bytes = new TextEncoder().encode('{"signed":{"version":2}}\n');

describe('writeFileVerified', () => {
  it('writes on the real file system, returns what it read back, never overwrites, leaves no temporary file', async () => {
    const dir = tmp();
    const path = join(dir, '2.root.json');
    const back = await writeFileVerified(path, bytes);
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
    expect(readFileSync(path).equals(Buffer.from(bytes))).toBe(true);
    writeFileSync(join(dir, 'mine.json'), 'mine');
    await expect(writeFileVerified(join(dir, 'mine.json'), bytes)).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(readFileSync(join(dir, 'mine.json'), 'utf8')).toBe('mine');
    expect(readdirSync(dir).sort()).toEqual(['2.root.json', 'mine.json']);
  });

  it('a medium that returns other bytes, fewer, more, or nothing: BUNDLE_WRITE_VERIFY_FAILED with the path', async () => {
    const store = new Map<string, Uint8Array>();
    const lying = (mangle: (b: Uint8Array) => Uint8Array): VerifiedWriteFs => ({
      writeFileAtomic: async (p, b) => void store.set(p, mangle(b.slice())),
      readFileCapped: async (p, max) => {
        const b = store.get(p);
        if (!b) throw new CeremonyError('FILE_NOT_FOUND', 'gone', { path: p });
        if (b.length > max) throw new CeremonyError('INPUT_TOO_LARGE', 'grew', { path: p });
        return b;
      },
    });
    const cases: [string, VerifiedWriteFs][] = [
      ['a flipped byte', lying((b) => ((b[3] = b[3]! ^ 0x01), b))],
      ['a truncated copy', lying((b) => b.subarray(0, b.length - 1))],
      ['a copy that grew', lying((b) => new Uint8Array([...b, 0x0a]))],
      ['nothing to read', { writeFileAtomic: async () => undefined, readFileCapped: lying((b) => b).readFileCapped }],
    ];
    for (const [what, fs] of cases) {
      const path = `/media/usb/${what}.json`;
      await expect(writeFileVerified(path, bytes, fs), what).rejects.toMatchObject({ code: 'BUNDLE_WRITE_VERIFY_FAILED', path });
    }
  });

  it('an honest injected medium: the same bytes come back', async () => {
    const store = new Map<string, Uint8Array>();
    const fs: VerifiedWriteFs = { writeFileAtomic: async (p, b) => void store.set(p, b.slice()), readFileCapped: async (p) => store.get(p)! };
    expect(Array.from(await writeFileVerified('/x/a.json', bytes, fs))).toEqual(Array.from(bytes));
  });
});
