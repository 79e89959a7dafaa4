import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { getProfile } from '../../../src/profiles/index.js';
import { encodeBase32 } from '../../../src/shamir/alphabet.js';
import { parseShareCard } from '../../../src/shamir/card.js';
import { withReconstructedKey } from '../../../src/shamir/combine.js';
import { dataGroups, editGroup, secretFragments, substitute } from './support.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

async function run(argv: string[]) {
  const c = capture();
  const status = await runCli(argv, c.io);
  return { status, out: c.out.join('\n'), err: c.err.join('\n') };
}

describe('tuf-ceremony shamir', () => {
  let dir: string;
  let split: { status: number; out: string; err: string };
  beforeAll(async () => {
    dir = join(tmp('tufc-shamir-'), 'out');
    split = await run(['shamir', 'split', '--algorithm', 'p256', '--threshold', '2', '--shares', '3', '--out', dir, '--label', 'registry.example.com/org/app', '--rehearsal']);
  });

  it('without a command: a usage error, first on stderr', async () => {
    const r = await run(['shamir']);
    expect(r.status).toBe(2);
    expect(r.err.split('\n')[0]).toMatch(/^error\[USAGE\]: shamir needs a command/);
  });

  it('split writes N card files, share-cards.html and public-key.json, and prints the split and fingerprint', () => {
    expect(split.status, split.err).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['public-key.json', 'share-card-1-of-3.txt', 'share-card-2-of-3.txt', 'share-card-3-of-3.txt', 'share-cards.html']);
    const fp = /^fingerprint: ([0-9a-f]{64})$/m.exec(split.out)![1]!;
    expect(split.out).toMatch(/^split [0-9A-Z]{4}-[0-9A-Z]{4}: 3 share cards of a new ecdsa-p256 key, any 2 of which rebuild it \(REHEARSAL\)/);
    const cards = [1, 2, 3].map((k) => parseShareCard(readFileSync(join(dir, `share-card-${k}-of-3.txt`))));
    expect(new Set(cards.map((c) => c.index)).size).toBe(3);
    for (const c of cards) expect(c).toMatchObject({ fingerprint: fp, threshold: 2, shares: 3, algorithm: 'ecdsa-p256', rehearsal: true, label: 'registry.example.com/org/app' });
    // Secrets are private to the user; the public key is not.
    for (const name of ['share-card-1-of-3.txt', 'share-cards.html']) expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600);
    const html = readFileSync(join(dir, 'share-cards.html'), 'utf8');
    expect(html.match(/<section class="card">/g)).toHaveLength(3);
    expect(html).toContain('REHEARSAL');
    // Nothing secret on stdout.
    for (const k of [1, 2, 3]) for (const frag of secretFragments(readFileSync(join(dir, `share-card-${k}-of-3.txt`), 'utf8'))) expect(split.out).not.toContain(frag);
  });

  it('public-key.json holds the public key in TUF and Notary forms, and no private key', () => {
    const text = readFileSync(join(dir, 'public-key.json'), 'utf8');
    const pub = JSON.parse(text);
    const fp = /^fingerprint: ([0-9a-f]{64})$/m.exec(split.out)![1]!;
    expect(pub).toMatchObject({ algorithm: 'ecdsa-p256', fingerprint: fp, threshold: 2, shares: 3, rehearsal: true, label: 'registry.example.com/org/app' });
    for (const name of ['tuf', 'notary'] as const) {
      const profile = getProfile(name);
      const key = profile.parseKey(pub[name].key, `$.${name}`);
      expect(key.fingerprint).toBe(fp);
      expect(pub[name].keyid).toBe(profile.keyId(pub[name].key));
    }
    expect(pub.tuf.key.scheme).toBe('ecdsa-sha2-nistp256');
    expect(pub.notary.key.keytype).toBe('ecdsa');
    expect(text).not.toMatch(/PRIVATE KEY|"d"|secret/i);
    expect(pub.notary.key.keyval.private).toBeNull();
  });

  it('check: roll-call of one card, with and without expectations', async () => {
    const card = join(dir, 'share-card-2-of-3.txt');
    const fp = /^fingerprint: ([0-9a-f]{64})$/m.exec(split.out)![1]!;
    const splitId = /^split (\w{4}-\w{4})/.exec(split.out)![1]!;
    const ok = await run(['shamir', 'check', card, '--split', splitId, '--fingerprint', fp]);
    expect(ok.status, ok.err).toBe(0);
    expect(ok.out).toMatch(/^OK: share \d+ of split \w{4}-\w{4} is intact \(any 2 of 3 cards, ecdsa-p256, REHEARSAL\)/);
    expect(ok.out).toContain('split and fingerprint are the ones expected');
    const plain = await run(['shamir', 'check', card]);
    expect(plain.status).toBe(0);
    expect(plain.out).toContain('compare the split and fingerprint with the ceremony record');
    const wrong = await run(['shamir', 'check', card, '--split', 'ZZZZ-ZZZZ']);
    expect(wrong.status).toBe(1);
    expect(wrong.err).toMatch(/^error\[SHARE_SPLIT_MISMATCH\]: this card is from split .*\(at share-card-2-of-3\.txt\)/);
    const wrongFp = await run(['shamir', 'check', card, '--fingerprint', '0'.repeat(64)]);
    expect(wrongFp.status).toBe(1);
    expect(wrongFp.err).toMatch(/^error\[SHARE_FINGERPRINT_MISMATCH\]/);
  });

  it('check: a typing mistake is refused with its group and line, and the share is not echoed', async () => {
    const text = readFileSync(join(dir, 'share-card-1-of-3.txt'), 'utf8');
    const typo = join(dir, '..', 'typed.txt');
    writeFileSync(typo, editGroup(text, 3, 2, (g) => substitute(g, 2)));
    const r = await run(['shamir', 'check', typo]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^error\[SHARE_CHECKSUM\]: group 2 of line 3 has a typing mistake/);
    for (const g of dataGroups(text).flat()) if (g.length > 2) expect(r.err + r.out).not.toContain(g);
  });

  it('check: oversized, missing file', async () => {
    const big = join(dir, '..', 'big.txt');
    writeFileSync(big, 'x'.repeat(20_000));
    const r = await run(['shamir', 'check', big]);
    expect([r.status, r.err]).toEqual([1, expect.stringMatching(/^error\[INPUT_TOO_LARGE\]/)]);
    const m = await run(['shamir', 'check', join(dir, 'nope.txt')]);
    expect([m.status, m.err]).toEqual([2, expect.stringMatching(/^error\[FILE_NOT_FOUND\]/)]);
  });

  it('combine --verify-only: rebuilds, checks, prints OK and the fingerprint, never the key', async () => {
    const fp = /^fingerprint: ([0-9a-f]{64})$/m.exec(split.out)![1]!;
    const r = await run(['shamir', 'combine', join(dir, 'share-card-3-of-3.txt'), join(dir, 'share-card-1-of-3.txt'), '--verify-only', '--fingerprint', fp]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toMatch(/^OK: 2 cards of split \w{4}-\w{4} rebuild the ecdsa-p256 key they record; it was wiped from memory/);
    expect(r.out).toContain(`fingerprint: ${fp}`);
    expect(r.out.split('\n')).toHaveLength(2);
  });

  it('combine refusals: too few, duplicate, mixed splits; --verify-only required', async () => {
    const one = await run(['shamir', 'combine', join(dir, 'share-card-1-of-3.txt'), '--verify-only']);
    expect([one.status, one.err]).toEqual([1, expect.stringMatching(/^error\[SHARE_TOO_FEW\]: 1 card of a 2-of-3 split: 1 more card is needed/)]);
    const dup = await run(['shamir', 'combine', join(dir, 'share-card-1-of-3.txt'), join(dir, 'share-card-1-of-3.txt'), '--verify-only']);
    expect([dup.status, dup.err]).toEqual([1, expect.stringMatching(/^error\[SHARE_DUPLICATE\]/)]);
    const other = join(tmp('tufc-shamir-'), 'o');
    expect((await run(['shamir', 'split', '--algorithm', 'p256', '--threshold', '2', '--shares', '2', '--out', other])).status).toBe(0);
    const mixed = await run(['shamir', 'combine', join(dir, 'share-card-1-of-3.txt'), join(other, 'share-card-1-of-2.txt'), '--verify-only']);
    expect([mixed.status, mixed.err]).toEqual([1, expect.stringMatching(/^error\[SHARE_MIXED_SPLITS\]/)]);
    const noFlag = await run(['shamir', 'combine', join(dir, 'share-card-1-of-3.txt'), join(dir, 'share-card-2-of-3.txt')]);
    expect([noFlag.status, noFlag.err]).toEqual([2, expect.stringMatching(/^error\[USAGE\]: combine needs --verify-only/)]);
  });

  it('split never overwrites: a second split into the same directory is refused and changes nothing', async () => {
    const before = readdirSync(dir)
      .sort()
      .map((n) => readFileSync(join(dir, n), 'utf8'));
    const again = await run(['shamir', 'split', '--algorithm', 'ed25519', '--threshold', '2', '--shares', '3', '--out', dir]);
    expect([again.status, again.err]).toEqual([2, expect.stringMatching(/^error\[OUTPUT_EXISTS\]: share-card-1-of-3\.txt already exists/)]);
    expect(
      readdirSync(dir)
        .sort()
        .map((n) => readFileSync(join(dir, n), 'utf8')),
    ).toEqual(before);
    // Another N: share-cards.html clashes before any card is written.
    const other = await run(['shamir', 'split', '--algorithm', 'ed25519', '--threshold', '2', '--shares', '4', '--out', dir]);
    expect(other.err).toMatch(/^error\[OUTPUT_EXISTS\]: share-cards\.html/);
    expect(readdirSync(dir)).toHaveLength(5);
  });

  it('the private key is in no output: public-key.json, share-cards.html, stdout', async () => {
    const cards = [1, 2].map((k) => parseShareCard(readFileSync(join(dir, `share-card-${k}-of-3.txt`))));
    const secret = await withReconstructedKey(cards, (key) => Buffer.from(key.secret));
    const forms = [secret.toString('hex'), secret.toString('hex').toUpperCase(), secret.toString('base64').slice(0, 40), secret.toString('base64url').slice(0, 40), encodeBase32(secret).slice(0, 40)];
    const outputs = [readFileSync(join(dir, 'public-key.json'), 'utf8'), readFileSync(join(dir, 'share-cards.html'), 'utf8'), split.out, split.err];
    for (const out of outputs) for (const f of forms) expect(out).not.toContain(f);
    // Positive control: the same search finds the key where it is.
    expect(`x${secret.toString('hex')}x`).toContain(forms[0]);
  });

  it('usage errors exit 2', async () => {
    const out = join(tmpdir(), 'never-written');
    for (const argv of [
      ['shamir', 'split', '--algorithm', 'rsa', '--threshold', '2', '--shares', '3', '--out', out],
      ['shamir', 'split', '--algorithm', 'ed25519', '--threshold', '1', '--shares', '3', '--out', out],
      ['shamir', 'split', '--algorithm', 'ed25519', '--threshold', '4', '--shares', '3', '--out', out],
      ['shamir', 'split', '--algorithm', 'ed25519', '--threshold', 'two', '--shares', '3', '--out', out],
      ['shamir', 'split', '--algorithm', 'ed25519', '--threshold', '2', '--shares', '3'],
      ['shamir', 'split', '--algorithm', 'ed25519', '--threshold', '2', '--shares', '3', '--out', out, '--label', 'caf\u00e9'],
      ['shamir', 'check'],
      ['shamir', 'check', join(dir, 'share-card-1-of-3.txt'), '--split', 'nope'],
      ['shamir', 'frobnicate'],
    ]) {
      const r = await run(argv);
      expect(r.status, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/^error\[(USAGE|FILE_NOT_FOUND)\]: /);
    }
    expect(() => statSync(out)).toThrow();
  });
});
