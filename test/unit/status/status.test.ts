/**
 * `tuf-ceremony status` (issue #14) with the clock moved forward (`--now`) through each role's and each
 * root certificate's warning window and past its expiry, for both profiles: states, days left, who renews,
 * and the exit status a cron job sees (0 ok, 5 warning, 1 expired), plus `--warn` overrides, an installed
 * Notary trust folder, and refused options.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { formatExpires } from '../../../src/tuf/dates.js';
import { captureIo } from '../../support/cli-io.js';
import { makeKey } from '../../support/keys.js';
import { writeTree } from '../../support/notary.js';
import { GUN, metaEntry, metaKey, rootSigned, sign, targetsSigned, typeName } from '../../support/repo.js';

const DAY = 24 * 3600 * 1000;
const BASE = new Date(Date.UTC(2031, 0, 1));
/** Days from BASE at which each item expires. */
const EXPIRES = { timestamp: 14, snapshot: 60, targets: 200, delegated: 250, certificate: 730, root: 1095 } as const;
const WINDOWS = { timestamp: 3, snapshot: 7, targets: 30, delegated: 30, certificate: 182, root: 182 } as const;
const at = (days: number) => new Date(BASE.getTime() + days * DAY);
const iso = (d: Date) => formatExpires(d);

interface Item {
  name: string;
  kind: string;
  state: string;
  daysLeft: number;
  windowDays: number;
  version?: number;
  renewedBy: { threshold: number; keys: { keyId: string }[]; heldBy: string };
}

async function buildRepoDir(profile: ProfileName, dir: string): Promise<{ delegation: string }> {
  // Root certificates are made now and must be valid now for the keys to parse; their end is BASE + 730 d.
  const rootKeys = await Promise.all([0, 1, 2].map(() => makeKey(profile, profile === 'notary' ? 'ecdsa-x509' : 'ed25519', GUN, { notAfter: at(EXPIRES.certificate), notBefore: new Date(Date.now() - DAY) })));
  const other = profile === 'notary' ? 'ecdsa-p256' : 'ed25519';
  const keys = { root: rootKeys, targets: [await makeKey(profile, other)], snapshot: [await makeKey(profile, other)], timestamp: [await makeKey(profile, profile === 'notary' ? 'ed25519' : other)] };
  const delegate = [await makeKey(profile, other)];
  const delegation = profile === 'tuf' ? 'releases' : 'targets/releases';
  const enc = new TextEncoder();
  const root = await sign(profile, rootSigned(profile, 1, keys, { root: 2 }, iso(at(EXPIRES.root))), rootKeys.slice(0, 2));
  const targets = await sign(profile, targetsSigned(profile, 1, { 'app.tar.gz': enc.encode('app') }, { name: delegation, keys: delegate }, iso(at(EXPIRES.targets))), keys.targets);
  const delegated = await sign(profile, targetsSigned(profile, 1, { 'releases/v1.tar.gz': enc.encode('r1') }, undefined, iso(at(EXPIRES.delegated))), delegate);
  const meta = { [metaKey(profile, 'targets')]: metaEntry(profile, targets, 1), [metaKey(profile, delegation)]: metaEntry(profile, delegated, 1), ...(profile === 'notary' ? { root: metaEntry(profile, root, 1) } : {}) };
  const common = (t: string, days: number) => ({ _type: typeName(profile, t), version: 1, expires: iso(at(days)), ...(profile === 'tuf' ? { spec_version: '1.0.31' } : {}) });
  const snapshot = await sign(profile, { ...common('snapshot', EXPIRES.snapshot), meta }, keys.snapshot);
  const timestamp = await sign(profile, { ...common('timestamp', EXPIRES.timestamp), meta: { [metaKey(profile, 'snapshot')]: metaEntry(profile, snapshot, 1) } }, keys.timestamp);
  writeTree(
    dir,
    new Map([
      ['root.json', root],
      ['targets.json', targets],
      [`${delegation}.json`, delegated],
      ['snapshot.json', snapshot],
      ['timestamp.json', timestamp],
    ]),
  );
  return { delegation };
}

async function status(args: string[]): Promise<{ code: number; items: Item[]; err: string; json: Record<string, unknown> }> {
  const c = captureIo();
  const code = await runCli(['status', ...args, '--json'], c.io);
  const json = JSON.parse(c.out.join('')) as Record<string, unknown> & { items?: Item[] };
  return { code, items: json.items ?? [], err: c.err.join('\n'), json };
}

describe.each(['notary', 'tuf'] as const)('status, %s profile, with the clock moved forward', (profile) => {
  let work: string;
  let dir: string;
  let delegation: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), `tufc-status-${profile}-`));
    dir = join(work, 'repo');
    ({ delegation } = await buildRepoDir(profile, dir));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const nameOf = (key: keyof typeof EXPIRES, items: Item[]) => {
    if (key === 'delegated') return delegation;
    if (key === 'certificate') return items.find((i) => i.kind === 'certificate')!.name;
    return key;
  };

  it('lists every expiry nearest first, with who renews it; exit 0 when nothing is in its window', async () => {
    const r = await status([dir, '--now', iso(at(1))]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
    const order = r.items.map((i) => (i.kind === 'certificate' ? 'certificate' : i.name));
    const expected = ['timestamp', 'snapshot', 'targets', delegation, ...(profile === 'notary' ? ['certificate', 'certificate', 'certificate'] : []), 'root'];
    expect(order).toEqual(expected);
    const byName = new Map(r.items.map((i) => [i.name, i]));
    expect(byName.get('timestamp')!.daysLeft).toBe(13);
    expect(byName.get('root')!.renewedBy.threshold).toBe(2);
    expect(byName.get('root')!.renewedBy.keys).toHaveLength(3);
    expect(byName.get('timestamp')!.renewedBy.heldBy).toBe(profile === 'notary' ? 'server' : 'offline');
    expect(byName.get(delegation)!.renewedBy.keys).toHaveLength(1);
  });

  for (const key of Object.keys(EXPIRES) as (keyof typeof EXPIRES)[]) {
    if (key === 'certificate' && profile === 'tuf') continue;
    it(`${key}: ok before its window, warning inside it, expired after (exit 5 / 1 while it is the worst)`, async () => {
      const e = EXPIRES[key];
      const w = WINDOWS[key];
      const before = await status([dir, '--now', iso(at(e - w - 1))]);
      const inside = await status([dir, '--now', iso(at(e - w + 1))]);
      const after = await status([dir, '--now', iso(at(e + 1))]);
      const find = (r: { items: Item[] }) => r.items.find((i) => i.name === nameOf(key, r.items))!;
      expect([find(before).state, find(before).windowDays]).toEqual(['ok', w]);
      expect([find(inside).state, find(inside).daysLeft]).toEqual(['warning', w - 1]);
      expect([find(after).state, find(after).daysLeft]).toEqual(['expired', -1]);
      expect(after.code).toBe(1);
      expect(after.err.split('\n')[0]).toMatch(/^error\[EXPIRED\]: /);
      if (key === 'timestamp') {
        expect(before.code).toBe(0);
        expect(inside.code).toBe(5);
        expect(inside.err).toMatch(/^warning: timestamp expires in 2 day\(s\)/);
      }
    });
  }

  it('--warn widens or narrows a window', async () => {
    expect((await status([dir, '--now', iso(at(1)), '--warn', 'timestamp=20'])).code).toBe(5);
    expect((await status([dir, '--now', iso(at(12)), '--warn', 'timestamp=1'])).code).toBe(0);
    const r = await status([dir, '--now', iso(at(1)), '--warn', `${delegation}=300`]);
    expect(r.items.find((i) => i.name === delegation)!.state).toBe('warning');
  });

  if (profile === 'notary') {
    it('reads an installed trust folder (<dir>/tuf/<GUN>/metadata)', async () => {
      const trust = join(work, 'trust');
      const { readTree } = await import('../../support/notary.js');
      writeTree(join(trust, 'tuf', ...GUN.split('/'), 'metadata'), readTree(dir));
      const r = await status([trust, '--now', iso(at(1))]);
      expect(r.code, r.err).toBe(0);
      expect(r.json.repository).toBe(GUN);
      expect((await status([trust, '--gun', 'example.com/other', '--now', iso(at(1))])).json).toMatchObject({ ok: false, error: { code: 'FILE_NOT_FOUND' } });
    });
  }

  it('import says when the next bundle is due (the nearest expiry)', async () => {
    const c = captureIo();
    mkdirSync(join(work, `installed-${profile}`));
    const code = await runCli(['import', dir, '--trust-dir', join(work, `installed-${profile}`), '--root', join(dir, 'root.json')], c.io);
    expect(code, c.err.join('\n')).toBe(0);
    expect(c.out.join('\n')).toContain(`next bundle due before ${iso(at(EXPIRES.timestamp))} (timestamp expires, `);
  });

  it.each([
    [['--warn', 'timestamp'], 'USAGE'],
    [['--warn', 'timestamp=-3'], 'USAGE'],
    [['--now', 'tomorrow'], 'USAGE'],
  ])('refuses %j with %s', async (extra, code) => {
    const r = await status([dir, ...extra]);
    expect([r.code, (r.json.error as { code: string }).code]).toEqual([2, code]);
  });
});
