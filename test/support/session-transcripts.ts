/**
 * Session transcripts in tests (src/audit/session.ts, issue #16): one table of damaged copies — edited,
 * truncated (at a line boundary and mid-line), reordered, the seal or the end entry cut off — each of
 * which `tuf-ceremony transcript verify` must refuse with its own code, for any session transcript
 * (sealed: `--seal-key`; unsealed: `--allow-unsealed`). And a scan of a transcript for the secrets the
 * session handled (PINs, passwords, share cards), next to a positive control so the scan can fail.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { captureIo } from './cli-io.js';
import { scanForSecrets } from './secret-scan.js';

export interface TamperedCopy {
  what: string;
  lines: string[];
  /** A cut inside the last line (no final newline). */
  cutMidLine?: boolean;
  code: string;
}

/** The damaged copies of a transcript's lines (header, entries, then a seal or a session.end entry; three lines at least). */
export function tamperedCopies(lines: readonly string[], sealed: boolean): TamperedCopy[] {
  const L = [...lines];
  if (L.length < 3) throw new Error('tamperedCopies: a header and at least two more lines are needed');
  const last = L.length - 1;
  const first = L[1]!;
  const edited = first.replace(/"step":"([a-z.-]+)"/, (_m, step: string) => `"step":"${step}x"`);
  if (edited === first) throw new Error('tamperedCopies: entry 1 has no step to edit');
  return [
    { what: 'an entry edited', lines: [L[0]!, edited, ...L.slice(2)], code: 'TRANSCRIPT_CHAIN_BROKEN' },
    { what: 'entries reordered', lines: [L[0]!, L[2]!, L[1]!, ...L.slice(3)], code: 'TRANSCRIPT_SEQUENCE' },
    { what: 'an entry in the middle removed', lines: [L[0]!, ...L.slice(2)], code: 'TRANSCRIPT_SEQUENCE' },
    sealed
      ? { what: 'the seal cut off', lines: L.slice(0, last), code: 'TRANSCRIPT_NOT_SEALED' }
      : { what: 'the session.end entry cut off', lines: L.slice(0, last), code: 'TRANSCRIPT_TRUNCATED' },
    sealed
      ? { what: 'the last entry cut off, the seal kept', lines: [...L.slice(0, last - 1), L[last]!], code: 'TRANSCRIPT_SEAL_INVALID' }
      : { what: 'cut after entry 1', lines: L.slice(0, 2), code: 'TRANSCRIPT_TRUNCATED' },
    { what: 'cut mid-line', lines: [...L.slice(0, last), L[last]!.slice(0, Math.floor(L[last]!.length / 2))], cutMidLine: true, code: 'TRANSCRIPT_TRUNCATED' },
    { what: 'a second header', lines: [L[0]!, L[0]!, ...L.slice(1)], code: 'TRANSCRIPT_MALFORMED' },
  ];
}

/**
 * `transcript verify` accepts `path` (with `--seal-key sealKeyId`, or `--allow-unsealed`) and refuses every
 * damaged copy with its code — `--allow-unsealed` given to the unsealed ones too: a session transcript is
 * written whole, so no cut is an interruption.
 */
export async function expectVerifiesAndRefusesTampering(path: string, bytes: Uint8Array, dir: string, opts: { sealKeyId?: string }): Promise<void> {
  const flags = opts.sealKeyId ? ['--seal-key', opts.sealKeyId] : ['--allow-unsealed'];
  const ok = captureIo();
  expect(await runCli(['transcript', 'verify', path, ...flags], ok.io), ok.err.join('\n')).toBe(0);
  const lines = new TextDecoder().decode(bytes).split('\n').filter(Boolean);
  const copies = tamperedCopies(lines, opts.sealKeyId !== undefined);
  const got: string[] = [];
  for (const [i, copy] of copies.entries()) {
    const p = join(dir, `tampered-${i}-${copy.what.replaceAll(' ', '-')}.jsonl`);
    writeFileSync(p, copy.cutMidLine ? copy.lines.join('\n') : `${copy.lines.join('\n')}\n`);
    const c = captureIo();
    const status = await runCli(['transcript', 'verify', p, ...flags, '--allow-unsealed'], c.io);
    got.push(`${copy.what}: ${status} ${c.err[0] ?? ''}`);
  }
  expect(got).toEqual(copies.map((c) => expect.stringMatching(new RegExp(`^${c.what}: 1 error\\[${c.code}\\]`))));
}

/** `bytes` holds none of `secrets` in any form (raw, hex, base64, base32); a planted copy is found (the control). */
export function expectNoSecrets(bytes: Uint8Array, secrets: readonly Uint8Array[]): void {
  expect(scanForSecrets(bytes, secrets)).toEqual([]);
  for (const secret of secrets) {
    const planted = new Uint8Array(bytes.length + secret.length);
    planted.set(bytes);
    planted.set(secret, bytes.length);
    expect(scanForSecrets(planted, [secret]).length).toBeGreaterThan(0);
  }
}
