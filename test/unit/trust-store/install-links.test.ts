/**
 * Review-12 L1: links planted in the trust directory. Between `--trust-dir` and the folder an import
 * replaces (Notary: `tuf/<GUN segments>/metadata`), and at the site's sessions folder, a link or a file is
 * refused (TRUST_DIR_INVALID, naming the component) before recovery, reads or the swap: nothing is read,
 * written, renamed or removed through it, and both the trust directory and the link's target stay byte for
 * byte as they were. The trust directory itself may be a link (`~/.docker` often is): it is resolved once
 * and the import goes to its target.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeRepositorySet, encodeRepositorySet } from '../../../src/bundle/set.js';
import { encodeBundle } from '../../../src/bundle/format.js';
import { isCeremonyError } from '../../../src/errors.js';
import { recordImportSession } from '../../../src/io/import-session-file.js';
import { importRepository, trustFolder, type ImportOptions } from '../../../src/trust-store/install.js';
import { importRepositorySet, previewRepositorySet } from '../../../src/trust-store/install-set.js';
import { SESSIONS_FOLDER_NAME } from '../../../src/trust-store/import-session.js';
import { importLockPath } from '../../../src/trust-store/lock.js';
import { resolveTrustDir } from '../../../src/io/trust-dir.js';
import { buildRepo, GUN, type BuiltRepo } from '../../support/repo.js';
import { bundleContent, treeHash } from '../../support/trust-tree.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();
const NOW = new Date();
const HOST = GUN.split('/')[0]!;
/** Every entry, the sessions folder included (treeHash leaves it out by default). */
const everything = (dir: string): string => treeHash(dir, () => false);

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; path?: string }> {
  try {
    await p;
  } catch (err) {
    if (isCeremonyError(err)) return { code: err.code, message: err.message, ...(err.path !== undefined ? { path: err.path } : {}) };
    return { code: String(err), message: '' };
  }
  return { code: 'no error', message: '' };
}

describe('import refuses links below the trust directory (Notary layout)', () => {
  let repo: BuiltRepo;
  beforeAll(async () => {
    repo = await buildRepo('notary');
  }, 60_000);

  /** `base/trust` (the trust directory) and `base/outside` (where a planted link points). */
  function site(): { base: string; trust: string; outside: string; imp: (extra?: Partial<ImportOptions>) => Promise<unknown> } {
    const base = tmp('tufc-links-');
    const trust = join(base, 'trust');
    const outside = join(base, 'outside');
    mkdirSync(trust);
    mkdirSync(outside);
    const imp = (extra: Partial<ImportOptions> = {}) => importRepository({ files: repo.files(), source: 'test' }, { trustDir: trust, trustedRoot: repo.roots[0]!, gun: GUN, now: NOW, ...extra });
    return { base, trust, outside, imp };
  }

  it.each([
    ['tuf', (trust: string) => join(trust, 'tuf')],
    ['the registry folder', (trust: string) => join(trust, 'tuf', HOST)],
    ['the metadata folder', (trust: string) => join(trust, 'tuf', ...GUN.split('/'), 'metadata')],
  ])('a link at %s: TRUST_DIR_INVALID at the link, nothing written on either side (also in a dry run)', async (_what, at) => {
    const s = site();
    const link = at(s.trust);
    mkdirSync(join(link, '..'), { recursive: true });
    symlinkSync(s.outside, link);
    const before = [everything(s.trust), everything(s.outside)];
    for (const dryRun of [false, true]) {
      const r = await refusal(s.imp({ dryRun }));
      expect(r.code).toBe('TRUST_DIR_INVALID');
      expect(r.path).toBe(link);
      expect(r.message).toContain('is a link (or another kind of file), not a folder');
      expect([everything(s.trust), everything(s.outside)]).toEqual(before);
    }
    expect(readdirSync(s.outside)).toEqual([]);
  });

  it('a file where a folder of the GUN goes: TRUST_DIR_INVALID naming it, nothing written', async () => {
    const s = site();
    mkdirSync(join(s.trust, 'tuf'));
    writeFileSync(join(s.trust, 'tuf', HOST), 'not a folder');
    const before = everything(s.trust);
    const r = await refusal(s.imp());
    expect([r.code, r.path]).toEqual(['TRUST_DIR_INVALID', join(s.trust, 'tuf', HOST)]);
    expect(r.message).toContain(`tuf/${HOST} in the trust directory`);
    expect(r.message).toContain('is a file, not a folder');
    expect(everything(s.trust)).toBe(before);
  });

  it('a link to an installed repository with an interrupted swap: refused before its recovery, the linked tree untouched', async () => {
    // A real trust directory `other` whose second import was killed after its journal and rename (the swap
    // left half done: recovery would rename and remove folders there).
    const other = site();
    await other.imp();
    const killed = await refusal(
      other.imp({
        trustedRoot: undefined,
        onStep: (step) => {
          if (step === 'keep:rename-old') throw new Error('killed');
        },
      }),
    );
    expect(killed.code).toBe('Error: killed');
    const folder = trustFolder(other.trust, 'notary', GUN);
    expect(readdirSync(join(folder, '..')).some((n) => n.endsWith('.tuf-ceremony-swap'))).toBe(true);
    const otherBefore = everything(other.trust);
    // This site's `tuf/<host>` is a link into it.
    const s = site();
    mkdirSync(join(s.trust, 'tuf'));
    symlinkSync(join(other.trust, 'tuf', HOST), join(s.trust, 'tuf', HOST));
    const before = everything(s.trust);
    const r = await refusal(s.imp());
    expect([r.code, r.path]).toEqual(['TRUST_DIR_INVALID', join(s.trust, 'tuf', HOST)]);
    expect(everything(other.trust)).toBe(otherBefore);
    expect(everything(s.trust)).toBe(before);
    // The other site's own import still settles its swap and installs (crash recovery unchanged).
    await other.imp({ trustedRoot: undefined });
    expect(readdirSync(join(folder, '..'))).toEqual(['metadata']);
  });

  it('a link at the sessions folder: the import is refused before anything is written, and no transcript goes through the link', async () => {
    const s = site();
    const sessions = join(s.trust, SESSIONS_FOLDER_NAME);
    symlinkSync(s.outside, sessions);
    const before = everything(s.trust);
    const r = await refusal(s.imp());
    expect([r.code, r.path]).toEqual(['TRUST_DIR_INVALID', sessions]);
    expect(everything(s.trust)).toBe(before);
    // The transcript of that refusal (the CLI and the app record one): a warning, nothing written outside.
    const record = await recordImportSession({ profile: 'notary', repository: GUN, source: { name: 'test', sha256: '0'.repeat(64), form: 'bundle' }, trustDir: s.trust, witnesses: [] }, 'notary', { refused: new Error('x') });
    expect(record).toEqual({ warning: expect.stringContaining('[TRUST_DIR_INVALID]') });
    expect(readdirSync(s.outside)).toEqual([]);
    expect(everything(s.trust)).toBe(before);
  });

  it('the trust directory itself may be a link: resolved once, the import installs in its target', async () => {
    const s = site();
    const linked = join(s.base, 'docker-trust');
    symlinkSync(s.trust, linked);
    const result = await importRepository({ files: repo.files(), source: 'test' }, { trustDir: linked, trustedRoot: repo.roots[0]!, gun: GUN, now: NOW });
    const real = realpathSync(s.trust);
    expect(result.folder).toBe(trustFolder(real, 'notary', GUN));
    expect(readFileSync(join(s.trust, 'tuf', ...GUN.split('/'), 'metadata', 'root.json'))).toEqual(Buffer.from(repo.roots[0]!));
    expect(lstatSync(linked).isSymbolicLink()).toBe(true);
    const record = await recordImportSession({ profile: 'notary', repository: GUN, source: { name: 'test', sha256: '0'.repeat(64), form: 'bundle' }, trustDir: linked, witnesses: [] }, 'notary', { single: result });
    expect('path' in record && record.path.startsWith(join(real, SESSIONS_FOLDER_NAME))).toBe(true);
  });
});

describe('TUF layout: the trust directory (the replaced folder) as a link', () => {
  it('is resolved once: the swap replaces its target, the link stays a link to the new tree', async () => {
    const repo = await buildRepo('tuf');
    const base = tmp('tufc-links-tuf-');
    const real = join(base, 'real');
    mkdirSync(real);
    const linked = join(base, 'metadata');
    symlinkSync(real, linked);
    const imp = () => importRepository({ files: repo.files(), source: 'test' }, { trustDir: linked, trustedRoot: repo.roots[0]!, now: NOW });
    expect((await imp()).folder).toBe(realpathSync(real));
    await imp();
    expect(lstatSync(linked).isSymbolicLink()).toBe(true);
    expect(existsSync(join(linked, 'root.json'))).toBe(true);
    expect(readFileSync(join(real, 'imports.log'), 'utf8').trim().split('\n')).toHaveLength(2);
    // Its sessions folder (beside it) planted as a link: refused, nothing written.
    const outside = join(base, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(base, `real.${SESSIONS_FOLDER_NAME}`));
    const before = everything(base);
    const r = await refusal(imp());
    expect([r.code, r.path]).toEqual(['TRUST_DIR_INVALID', join(realpathSync(base), `real.${SESSIONS_FOLDER_NAME}`)]);
    expect(everything(base)).toBe(before);
  }, 60_000);
});

describe('set import refuses links below the trust directory (Notary layout)', () => {
  const gun = (i: number) => `${HOST}/org/app-${i}`;
  let set: ReturnType<typeof decodeRepositorySet>;
  let pins: Map<string, string>;
  let repos: BuiltRepo[];
  beforeAll(async () => {
    repos = [await buildRepo('notary', { gun: gun(0) }), await buildRepo('notary', { gun: gun(1) })];
    set = decodeRepositorySet(encodeRepositorySet(repos.map((r, i) => encodeBundle(bundleContent(r, gun(i)))), { name: 'two', created: NOW }));
    pins = new Map(repos.map((r, i) => [gun(i), createHash('sha256').update(r.roots[0]!).digest('hex')]));
  }, 60_000);

  it('`tuf` a link, or `tuf/<host>` a link (with and without an interrupted swap behind it): TRUST_DIR_INVALID, nothing changed on either side', async () => {
    for (const at of ['tuf', `tuf/${HOST}`]) {
      for (const interrupted of [false, true]) {
        const base = tmp('tufc-links-set-');
        const trust = join(base, 'trust');
        const other = join(base, 'other');
        mkdirSync(trust);
        mkdirSync(other);
        // `other`: a trust directory holding repository 0, its second import killed mid-swap when `interrupted`.
        await importRepository({ files: repos[0]!.files(), source: 'test' }, { trustDir: other, trustedRoot: repos[0]!.roots[0]!, gun: gun(0), now: NOW });
        if (interrupted) {
          const onStep = (step: string) => {
            if (step === 'keep:rename-old') throw new Error('killed');
          };
          await importRepository({ files: repos[0]!.files(), source: 'test' }, { trustDir: other, gun: gun(0), now: NOW, onStep }).catch(() => undefined);
        }
        const link = join(trust, ...at.split('/'));
        if (at !== 'tuf') mkdirSync(join(trust, 'tuf'));
        symlinkSync(join(other, ...at.split('/')), link);
        const before = [everything(trust), everything(other)];
        for (const run of [() => importRepositorySet(set, { trustDir: trust, pins, now: NOW }), () => previewRepositorySet(set, { trustDir: trust, pins, now: NOW })]) {
          const r = await refusal(run());
          expect(r.code, `${at} interrupted=${interrupted}`).toBe('TRUST_DIR_INVALID');
          expect(r.path, `${at} interrupted=${interrupted}`).toBe(link);
          expect([everything(trust), everything(other)]).toEqual(before);
        }
      }
    }
  }, 120_000);
});

/** The entries of a session transcript file whose step is `step` (JSON lines). */
function entries(path: string, step: string): { note?: string; outputs?: { name: string }[] }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { step: string; note?: string; outputs?: { name: string }[] })
    .filter((e) => e.step === step);
}

describe('review-12b M1: the session transcript names the installed files inside the trust directory, however it was reached', () => {
  const source = { name: 'test', sha256: '0'.repeat(64), form: 'bundle' as const };

  /** `plain`: a real folder; `linked`: a link to one (`~/.docker/trust` → `/data/docker-trust`); `ancestor`: a real folder below a linked ancestor (macOS /tmp → /private/tmp). */
  function trustDirs(): Record<'plain' | 'linked' | 'ancestor', string> {
    const base = tmp('tufc-links-session-');
    const plain = join(base, 'plain');
    mkdirSync(plain);
    mkdirSync(join(base, 'data', 'docker-trust'), { recursive: true });
    mkdirSync(join(base, 'home', 'u', '.docker'), { recursive: true });
    const linked = join(base, 'home', 'u', '.docker', 'trust');
    symlinkSync(join(base, 'data', 'docker-trust'), linked);
    mkdirSync(join(base, 'private', 'tmp', 'site', 'trust'), { recursive: true });
    symlinkSync(join(base, 'private', 'tmp'), join(base, 'tmp'));
    return { plain, linked, ancestor: join(base, 'tmp', 'site', 'trust') };
  }

  it('single import (Notary layout): `tuf/<gun>/metadata/…` for a plain, a linked and a linked-ancestor trust directory alike', async () => {
    const repo = await buildRepo('notary');
    const meta = `tuf/${GUN}/metadata`;
    for (const [what, trustDir] of Object.entries(trustDirs())) {
      const result = await importRepository({ files: repo.files(), source: 'test' }, { trustDir, trustedRoot: repo.roots[0]!, gun: GUN, now: NOW });
      expect(result.trustDir, what).toBe(realpathSync(trustDir));
      const record = await recordImportSession({ profile: 'notary', repository: GUN, source, trustDir, witnesses: [] }, 'notary', { single: result });
      if (!('path' in record)) throw new Error(`${what}: ${record.warning}`);
      const installs = entries(record.path, 'import.install');
      expect(installs.length, what).toBeGreaterThan(0);
      const names = installs.flatMap((e) => (e.outputs ?? []).map((o) => o.name));
      expect(names, what).toContain(`${meta}/root.json`);
      for (const name of names) expect(name.startsWith(`${meta}/`), `${what}: ${name}`).toBe(true);
      expect(installs[0]!.note, what).toBe(`installed into the trust directory's ${meta}, in one swap`);
      expect(readFileSync(record.path, 'utf8'), what).not.toContain('../');
    }
  }, 60_000);

  it('single import (TUF layout) through a link: the folder is the trust directory itself, files named bare', async () => {
    const repo = await buildRepo('tuf');
    const base = tmp('tufc-links-session-tuf-');
    mkdirSync(join(base, 'real'));
    const linked = join(base, 'metadata');
    symlinkSync(join(base, 'real'), linked);
    const result = await importRepository({ files: repo.files(), source: 'test' }, { trustDir: linked, trustedRoot: repo.roots[0]!, now: NOW });
    const record = await recordImportSession({ profile: 'tuf', repository: 'app', source, trustDir: linked, witnesses: [] }, 'tuf', { single: result });
    if (!('path' in record)) throw new Error(record.warning);
    const installs = entries(record.path, 'import.install');
    expect(installs.flatMap((e) => (e.outputs ?? []).map((o) => o.name))).toContain('root.json');
    expect(installs[0]!.note).toBe("installed into the trust directory's folder itself, in one swap");
  }, 60_000);

  it('set import (Notary layout): entries `<gun>/metadata/…` and the end note `tuf`, for a plain, a linked and a linked-ancestor trust directory alike', async () => {
    const gun = (i: number) => `${HOST}/org/app-${i}`;
    const repos = [await buildRepo('notary', { gun: gun(0) }), await buildRepo('notary', { gun: gun(1) })];
    const set = decodeRepositorySet(encodeRepositorySet(repos.map((r, i) => encodeBundle(bundleContent(r, gun(i)))), { name: 'two', created: NOW }));
    const pins = new Map(repos.map((r, i) => [gun(i), createHash('sha256').update(r.roots[0]!).digest('hex')]));
    for (const [what, trustDir] of Object.entries(trustDirs())) {
      const result = await importRepositorySet(set, { trustDir, pins, now: NOW });
      expect(result.trustDir, what).toBe(realpathSync(trustDir));
      const record = await recordImportSession({ profile: 'notary', repository: 'two', source: { ...source, form: 'set' }, trustDir, witnesses: [] }, 'notary', { set: result });
      if (!('path' in record)) throw new Error(`${what}: ${record.warning}`);
      const names = entries(record.path, 'import.install').flatMap((e) => (e.outputs ?? []).map((o) => o.name));
      expect(names, what).toContain(`${gun(0)}/metadata/root.json`);
      expect(entries(record.path, 'session.end')[0]!.note, what).toBe("installed: 2 repositories into the trust directory's tuf, all at once");
      expect(readFileSync(record.path, 'utf8'), what).not.toContain('../');
    }
  }, 120_000);
});

describe('review-12b L2: a trust directory that is a link loop is TRUST_DIR_INVALID, not a raw ELOOP', () => {
  it('TUF layout (a link to itself, and a two-link loop): single import, dry run, set import and set preview refuse it naming the path; the refusal transcript is written', async () => {
    const repo = await buildRepo('tuf');
    const set = decodeRepositorySet(encodeRepositorySet([encodeBundle(bundleContent(repo, 'app'))], { name: 'one', created: NOW }));
    const pins = new Map([['app', createHash('sha256').update(repo.roots[0]!).digest('hex')]]);
    for (const loop of ['self', 'pair']) {
      const base = tmp('tufc-links-loop-');
      const trust = join(base, 'tuf-client');
      if (loop === 'self') symlinkSync(trust, trust);
      else {
        symlinkSync(join(base, 'other'), trust);
        symlinkSync(trust, join(base, 'other'));
      }
      const before = everything(base);
      const runs: [string, () => Promise<unknown>][] = [
        ['import', () => importRepository({ files: repo.files(), source: 'test' }, { trustDir: trust, trustedRoot: repo.roots[0]!, layout: 'tuf', now: NOW })],
        ['dry run', () => importRepository({ files: repo.files(), source: 'test' }, { trustDir: trust, trustedRoot: repo.roots[0]!, layout: 'tuf', now: NOW, dryRun: true })],
        ['set import', () => importRepositorySet(set, { trustDir: trust, pins, now: NOW })],
        ['set preview', () => previewRepositorySet(set, { trustDir: trust, pins, now: NOW })],
      ];
      for (const [what, run] of runs) {
        const r = await refusal(run());
        expect([r.code, r.path], `${loop} ${what}`).toEqual(['TRUST_DIR_INVALID', trust]);
        expect(r.message, `${loop} ${what}`).toContain('ELOOP: a link loop');
      }
      expect(everything(base)).toBe(before);
      // A CeremonyError: the CLI and the app record the refusal (beside the link, its target not there).
      const record = await recordImportSession({ profile: 'tuf', repository: 'app', source: { name: 'test', sha256: '0'.repeat(64), form: 'bundle' }, trustDir: trust, witnesses: [] }, 'tuf', { refused: await run0(runs) });
      if (!('path' in record)) throw new Error(record.warning);
      expect(entries(record.path, 'import.refused')[0]!.note).toContain('refused [TRUST_DIR_INVALID]');
    }
  }, 60_000);
});

async function run0(runs: [string, () => Promise<unknown>][]): Promise<unknown> {
  return runs[0]![1]().then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('review-12b L3: one import lock whichever way the trust directory is named', () => {
  it('TUF layout: importLockPath is the same through the link and through its target, and a second import by the other name is IMPORT_LOCKED', async () => {
    const repo = await buildRepo('tuf');
    const base = tmp('tufc-links-lock-');
    const real = join(base, 'disk', 'tuf');
    mkdirSync(real, { recursive: true });
    mkdirSync(join(base, 'app'));
    const linked = join(base, 'app', 'tuf');
    symlinkSync(real, linked);
    const lock = importLockPath(realpathSync(real), 'tuf');
    expect(importLockPath(await resolveTrustDir(linked), 'tuf')).toBe(lock);
    expect(importLockPath(await resolveTrustDir(real), 'tuf')).toBe(lock);
    for (const [first, other] of [
      [linked, real],
      [real, linked],
    ] as const) {
      let second: Promise<unknown> | undefined;
      let held = false;
      await importRepository(
        { files: repo.files(), source: 'test' },
        {
          trustDir: first,
          trustedRoot: repo.roots[0]!,
          now: NOW,
          onStep: () => {
            held ||= existsSync(lock);
            second ??= importRepository({ files: repo.files(), source: 'test' }, { trustDir: other, trustedRoot: repo.roots[0]!, now: NOW }).then(
              () => 'installed',
              (err: unknown) => err,
            );
          },
        },
      );
      expect(held, first).toBe(true);
      const outcome = await second;
      expect(isCeremonyError(outcome, 'IMPORT_LOCKED'), `${first}: ${String(outcome)}`).toBe(true);
      expect(existsSync(lock)).toBe(false);
      expect(existsSync(importLockPath(linked, 'tuf'))).toBe(false);
    }
  }, 60_000);
});
