import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { makeKey, type TestKey } from '../../support/keys.js';
import { join as joinLines, lines, writeSample } from './fixtures.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

let key: TestKey;
let dir: string;
let file: string;
let unsealed: string;
let tampered: string;

beforeAll(async () => {
  key = await makeKey('tuf', 'ecdsa-p256');
  dir = tmp('tufc-cli-transcript-');
  file = join(dir, 'transcript.jsonl');
  writeFileSync(file, await writeSample({ signer: key }));
  unsealed = join(dir, 'unsealed.jsonl');
  writeFileSync(unsealed, await writeSample());
  const ls = lines(readFileSync(file));
  tampered = join(dir, 'tampered.jsonl');
  writeFileSync(tampered, joinLines([...ls.slice(0, 3), ls[3]!.replace('Alice Custodian', 'Mallory Custodi'), ...ls.slice(4)]));
});

describe('tuf-ceremony transcript verify', () => {
  it('exit 0, and says what was verified and who sealed', async () => {
    const c = capture();
    expect(await runCli(['transcript', 'verify', file], c.io)).toBe(0);
    const text = c.out.join('\n');
    expect(text).toMatch(/^verified: root ceremony transcript for registry\.example\.com\/org\/app \(tuf\), REHEARSAL/);
    expect(text).toMatch(/6 entries/);
    expect(text).toContain(key.key.fingerprint.slice(0, 4));
    expect(text).toMatch(/sealing key: not pinned/);
  });

  it('--json: the documented shape', async () => {
    const c = capture();
    expect(await runCli(['transcript', 'verify', file, '--json'], c.io)).toBe(0);
    const out = JSON.parse(c.out.join(''));
    expect(out).toMatchObject({ ok: true, format: 'tuf-ceremony-transcript', formatVersion: 1, kind: 'root', profile: 'tuf', rehearsal: true, entryCount: 6, sealed: true, problems: [] });
    expect(out.seal).toMatchObject({ fingerprint: key.key.fingerprint, keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', pinned: false });
    expect(out.entries).toHaveLength(6);
    expect(Object.keys(out).sort()).toEqual(
      ['appVersion', 'entries', 'entryCount', 'format', 'formatVersion', 'headerHash', 'kind', 'lastHash', 'ok', 'planHash', 'problems', 'profile', 'rehearsal', 'repository', 'seal', 'sealed', 'started'].sort(),
    );
  });

  it('--seal-key: the expected key passes (key ID or fingerprint, any case); another is refused', async () => {
    let c = capture();
    expect(await runCli(['transcript', 'verify', file, '--seal-key', key.key.fingerprint.toUpperCase()], c.io)).toBe(0);
    expect(c.out.join('\n')).toMatch(/sealing key: the expected one/);
    c = capture();
    expect(await runCli(['transcript', 'verify', file, '--seal-key', 'ab'.repeat(32)], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[TRANSCRIPT_SEAL_KEY_UNEXPECTED\]: /);
    c = capture();
    expect(await runCli(['transcript', 'verify', file, '--seal-key', 'nope'], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/^error\[USAGE\]: /);
  });

  it('exit 1 with error[CODE] for a tampered transcript, and the error object with --json', async () => {
    let c = capture();
    expect(await runCli(['transcript', 'verify', tampered], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[TRANSCRIPT_CHAIN_BROKEN\]: entry 3 \(line 4\)/);
    c = capture();
    expect(await runCli(['transcript', 'verify', tampered, '--json'], c.io)).toBe(1);
    expect(JSON.parse(c.out.join(''))).toMatchObject({ ok: false, error: { code: 'TRANSCRIPT_CHAIN_BROKEN', path: 'line 4 $.hash' } });
  });

  it('an unsealed transcript: exit 1 TRANSCRIPT_NOT_SEALED, or exit 0 with --allow-unsealed, marked NOT SEALED', async () => {
    let c = capture();
    expect(await runCli(['transcript', 'verify', unsealed], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[TRANSCRIPT_NOT_SEALED\]: /);
    c = capture();
    expect(await runCli(['transcript', 'verify', unsealed, '--allow-unsealed'], c.io)).toBe(0);
    expect(c.out[0]).toMatch(/^verified, NOT SEALED: /);
  });

  it('exit 2 for usage errors', async () => {
    for (const argv of [['transcript'], ['transcript', 'verify'], ['transcript', 'verify', join(dir, 'missing.jsonl')], ['transcript', 'frobnicate'], ['transcript', 'render', file]]) {
      const c = capture();
      expect(await runCli(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.err[0]).toMatch(/^error\[(USAGE|FILE_NOT_FOUND)\]: /);
    }
  });
});

describe('tuf-ceremony transcript render', () => {
  it('verifies, writes the HTML, and never overwrites', async () => {
    const out = join(dir, 'transcript.html');
    let c = capture();
    expect(await runCli(['transcript', 'render', file, '--out', out], c.io)).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('REHEARSAL');
    expect(html).toContain('tuf-ceremony transcript verify transcript.jsonl --seal-key');
    c = capture();
    expect(await runCli(['transcript', 'render', file, '--out', out], c.io)).toBe(2);
    expect(c.err[0]).toMatch(/^error\[OUTPUT_EXISTS\]: /);
  });

  it('refuses to render a tampered transcript, and writes nothing', async () => {
    const out = join(dir, 'tampered.html');
    const c = capture();
    expect(await runCli(['transcript', 'render', tampered, '--out', out], c.io)).toBe(1);
    expect(c.err[0]).toMatch(/^error\[TRANSCRIPT_CHAIN_BROKEN\]: /);
    expect(existsSync(out)).toBe(false);
  });

  it('renders an unsealed transcript only when asked, marked UNSEALED', async () => {
    const out = join(dir, 'unsealed.html');
    expect(await runCli(['transcript', 'render', unsealed, '--out', out], capture().io)).toBe(1);
    expect(await runCli(['transcript', 'render', unsealed, '--out', out, '--allow-unsealed'], capture().io)).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('UNSEALED');
  });
});
