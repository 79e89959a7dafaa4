/**
 * Role names become file names at install (file-names.ts): a verified bundle whose role files would be one
 * file on Windows or macOS, or a file some file system cannot hold, is refused before anything is written.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCli } from '../../../src/cli/program.js';
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { checkInstallFileNames, foldedFileName, pythonTufQuote, tufLayoutFileRoles, tufLayoutInstallFiles, tufLayoutRoleFiles, unportableSegment, type InstallFile } from '../../../src/trust-store/file-names.js';
import { importRepository } from '../../../src/trust-store/install.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { buildRepo } from '../../support/repo.js';
import { refusal } from '../../support/refusal.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { bundleContent } from '../../support/trust-tree.js';
import { encodeBundle } from '../../../src/bundle/format.js';
import { encodeRepositorySet } from '../../../src/bundle/set.js';
import { sha256Hex } from '../../../src/crypto/digest.js';

const tmp = tempDirs();
const hasPython = spawnSync('python3', ['-c', 'import urllib.parse']).status === 0;

const at = (f: InstallFile | string) => `@${typeof f === 'string' ? f : f.file}`;

describe('checkInstallFileNames', () => {
  it('refuses two names that are one file on a case- or normalisation-insensitive file system, blaming the second', () => {
    const table: [string[], string][] = [
      [['root.json', 'releases.json', 'Releases.json'], 'Releases.json'],
      [['root.json', 'ROOT.json'], 'ROOT.json'],
      [['caf\u00e9.json', 'cafe\u0301.json'], 'cafe\u0301.json'], // NFC vs NFD
      [['\u212a.json', 'k.json'], 'k.json'], // KELVIN SIGN lower-cases to k
      [['stra\u00dfe.json', 'STRASSE.json'], 'STRASSE.json'],
      [['targets/a.json', 'targets/A.json'], 'targets/A.json'],
      // HFS+ ignores these code points when it compares names (Apple TN1150; review-12 L3).
      [['releases.json', 'rel\u200deases.json'], 'rel\u200deases.json'],
      [['releases.json', 'rel\u200ceases.json'], 'rel\u200ceases.json'],
      [['releases.json', '\u200freleases.json'], '\u200freleases.json'],
      [['releases.json', 'releases\u202e.json'], 'releases\u202e.json'],
      [['releases.json', 'rel\u202aeases.json'], 'rel\u202aeases.json'],
      [['releases.json', 'rel\u206aeases.json'], 'rel\u206aeases.json'],
      [['releases.json', 'rel\u206feases.json'], 'rel\u206feases.json'],
      [['releases.json', '\ufeffreleases.json'], '\ufeffreleases.json'],
      [['Releases.json', 'rel\u200d\ufeffeases.json'], 'rel\u200d\ufeffeases.json'],
    ];
    const got = table.map(([files]) => {
      const e = refusal(() => checkInstallFileNames(files, at));
      return [e.code, e.path];
    });
    expect(got).toEqual(table.map(([, blamed]) => ['ROLE_FILE_NAME_COLLISION', at(blamed)]));
    expect(() => checkInstallFileNames(['root.json', 'targets.json', 'releases.json', 'releases-2.json', 'targets/releases.json', 'caf\u00e9.json', '\u65e5\u672c.json', 'imports.log'], at)).not.toThrow();
    // Just outside the ignored ranges: distinct names.
    expect(() => checkInstallFileNames(['releases.json', 'rel\u200beases.json', 'rel\u2029eases.json', 'rel\u202feases.json', 'rel\u2069eases.json'], at)).not.toThrow();
  });

  it('refuses a name some file system cannot hold: Windows device names, its forbidden characters, a trailing dot or space, a lone surrogate, over 255 bytes', () => {
    const bad = ['CON.json', 'nul.json', 'targets/aux.json', 'Com1.json', 'lpt9.tar.json', 'con .json', 'COM\u00b9.json', 'a:b.json', 'a*.json', 'a?.json', 'a"b.json', 'a<b.json', 'a|b.json', 'dir./x.json', 'dir /x.json', '\ud800.json', `${'\u00e9'.repeat(126)}.json`];
    expect(bad.map((f) => refusal(() => checkInstallFileNames([f], at)).code)).toEqual(bad.map(() => 'ROLE_FILE_NAME_UNPORTABLE'));
    expect(unportableSegment('a.')).toMatch(/trailing/);
    const good = ['console.json', 'nullable.json', 'com10.json', 'a b.json', 'a.b.json', '\u00e9'.repeat(100)];
    expect(good.map(unportableSegment)).toEqual(good.map(() => undefined));
    expect(foldedFileName('A\u0301')).toBe(foldedFileName('\u00e1'));
  });
});

describe('import: role names that are one file, or no file, on another system', () => {
  for (const [name, code] of [
    ['Targets', 'ROLE_FILE_NAME_COLLISION'],
    ['nul', 'ROLE_FILE_NAME_UNPORTABLE'],
    ['a:b', 'ROLE_FILE_NAME_UNPORTABLE'],
    // `targets.json` on HFS+ (review-12 L3): the zero-width joiner, the byte-order mark, a direction override are ignored there.
    ['tar\u200dgets', 'ROLE_FILE_NAME_COLLISION'],
    ['\ufefftargets', 'ROLE_FILE_NAME_COLLISION'],
    ['targets\u202e', 'ROLE_FILE_NAME_COLLISION'],
  ] as const) {
    it(`a TUF delegation named ${JSON.stringify(name)} verifies (clients read it) but is not installed: ${code}, nothing written`, async () => {
      const r = await buildRepo('tuf', { delegationName: name });
      const v = verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: new Date() });
      expect(v.delegated.get(name)?.result.verified).toBe(true);
      const trustDir = join(tmp('file-names-'), 'trust');
      const e = await importRepository({ files: r.files(), source: 'test' }, { trustDir, trustedRoot: r.roots[0]!, now: new Date(), layout: 'tuf' }).then(
        () => undefined,
        (err: unknown) => err as { code: string; path: string },
      );
      expect([e?.code, e?.path]).toEqual([code, 'targets.json $.signed.delegations.roles[0].name']);
      expect(existsSync(trustDir) ? readdirSync(trustDir).filter((n) => n.endsWith('.json')) : []).toEqual([]);
    });
  }
});

describe('the tuf layout: the files of a delegated role (tufLayoutRoleFiles)', () => {
  // role → files written: `<role>.json` (tuf-js's loadLocalMetadata reads the name as it is), then python-tuf's
  // quote(role, '') when it differs; and what tuf-js's persistMetadata would write (encodeURIComponent), which
  // keeps !'()* where python-tuf escapes them.
  const table: [role: string, files: string[], tufJsPersists: string][] = [
    ['releases', ['releases.json'], 'releases.json'],
    ['bin-0a_v1.2~x', ['bin-0a_v1.2~x.json'], 'bin-0a_v1.2~x.json'],
    ['release 2', ['release 2.json', 'release%202.json'], 'release%202.json'],
    ['\u00fc', ['\u00fc.json', '%C3%BC.json'], '%C3%BC.json'],
    ['\u65e5\u672c', ['\u65e5\u672c.json', '%E6%97%A5%E6%9C%AC.json'], '%E6%97%A5%E6%9C%AC.json'],
    ['x%y', ['x%y.json', 'x%25y.json'], 'x%25y.json'],
    ['a!b', ['a!b.json', 'a%21b.json'], 'a!b.json'],
    ["it's", ["it's.json", 'it%27s.json'], "it's.json"],
    ['(a)', ['(a).json', '%28a%29.json'], '(a).json'],
    ['a*b', ['a*b.json', 'a%2Ab.json'], 'a*b.json'],
    ['a+b=c&d', ['a+b=c&d.json', 'a%2Bb%3Dc%26d.json'], 'a%2Bb%3Dc%26d.json'],
  ];

  it('writes <role>.json, and python-tuf quote(role, "") + ".json" when that differs', () => {
    expect(table.map(([role]) => tufLayoutRoleFiles(role))).toEqual(table.map(([, files]) => files));
    expect(table.map(([role]) => `${encodeURIComponent(role)}.json`)).toEqual(table.map(([, , persisted]) => persisted));
  });

  it("reads a folder back: each role's files, tuf-js's own persisted name too; a file of its own name wins", () => {
    const got = tufLayoutFileRoles(['releases', 'release 2', 'a b!', 'x%y', 'x%25y', '\ud800']);
    expect(Object.fromEntries(got)).toEqual({
      'releases.json': 'releases',
      'release 2.json': 'release 2',
      'release%202.json': 'release 2',
      'a b!.json': 'a b!',
      'a%20b%21.json': 'a b!', // python-tuf
      'a%20b!.json': 'a b!', // tuf-js's persistMetadata
      'x%y.json': 'x%y',
      'x%25y.json': 'x%25y', // its own, not x%y's escaped copy
      'x%2525y.json': 'x%25y',
      '\ud800.json': '\ud800',
      '%EF%BF%BD.json': '\ud800',
    });
  });

  it.skipIf(!hasPython)("pythonTufQuote is python's urllib.parse.quote(s, '') on every name of the table", () => {
    const roles = table.map(([role]) => role);
    const run = spawnSync('python3', ['-c', 'import json, sys, urllib.parse; print(json.dumps([urllib.parse.quote(s, "") for s in json.load(sys.stdin)]))'], { input: JSON.stringify(roles), encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(roles.map(pythonTufQuote)).toEqual(JSON.parse(run.stdout) as string[]);
  });

  it("refuses two roles whose files meet: x%y's escaped copy is x%25y's own file; the message names both roles", () => {
    const files: InstallFile[] = ['x%y', 'x%25y'].flatMap((role) => tufLayoutRoleFiles(role).map((file) => ({ file, role })));
    const e = refusal(() => checkInstallFileNames(files, (f) => `@${f.role ?? ''}`));
    expect([e.code, e.path]).toEqual(['ROLE_FILE_NAME_COLLISION', '@x%25y']);
    expect(e.message).toContain('"x%25y.json" (role "x%y") and "x%25y.json" (role "x%25y") are one file');
  });

  // review-11 M2: python-tuf's quoted name alone cannot be a file (over 255 bytes): the as-is file is
  // written alone, said in the result's record (imports.log); an as-is name that cannot be a file is refused.
  const long: [role: string, asIsBytes: number, quotedBytes: number][] = [
    ['\u00fc'.repeat(50), 105, 305],
    ['\u53d1\u5e03'.repeat(14), 89, 257],
    ['\u00e9'.repeat(60), 125, 365],
  ];
  for (const [role, asIsBytes, quotedBytes] of long) {
    it(`a ${asIsBytes}-byte role name whose python-tuf name is ${quotedBytes} bytes installs the as-is file alone, and says so`, async () => {
      expect([new TextEncoder().encode(`${role}.json`).length, `${pythonTufQuote(role)}.json`.length]).toEqual([asIsBytes, quotedBytes]);
      const r = await buildRepo('tuf', { delegationName: role });
      const trustDir = join(tmp('file-names-'), 'trust');
      const result = await importRepository({ files: r.files(), source: 'test' }, { trustDir, trustedRoot: r.roots[0]!, now: new Date(), layout: 'tuf' });
      expect(result.files).toEqual(['root.json', 'snapshot.json', 'targets.json', 'timestamp.json', `${role}.json`].sort());
      expect(readdirSync(trustDir).sort()).toEqual([...result.files, 'imports.log'].sort());
      const notWritten = [{ role, file: `${pythonTufQuote(role)}.json`, reason: "python-tuf cannot store this role's file: a file name longer than 255 bytes" }];
      expect(result.record.notWritten).toEqual(notWritten);
      const logged = JSON.parse(readFileSync(join(trustDir, 'imports.log'), 'utf8').trim()) as { notWritten?: unknown };
      expect(logged.notWritten).toEqual(notWritten);
      // Renewed: the same again, nothing refused.
      const again = await importRepository({ files: r.files(), source: 'test again' }, { trustDir, now: new Date() });
      expect(again.files).toEqual(result.files);
      // The command says it, from the installed folder into another (read back: the one role).
      const pin = join(dirname(trustDir), 'pin.json');
      writeFileSync(pin, r.roots[0]!);
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(['import', trustDir, '--trust-dir', join(dirname(trustDir), 'copy'), '--root', pin, '--layout', 'tuf'], { out: (l) => void out.push(l), err: (l) => void err.push(l) });
      expect(code, err.join('\n')).toBe(0);
      expect(out.join('\n')).toContain(`${role}: written as ${role}.json only — python-tuf cannot store this role's file (a file name longer than 255 bytes)`);
    });
  }

  it('a trust-bundle-set import says it too: per repository in the summary, and in --json (the set\'s imports.log records it)', async () => {
    const role = '\u00fc'.repeat(50);
    const r = await buildRepo('tuf', { delegationName: role });
    const other = await buildRepo('tuf');
    const dir = tmp('file-names-set-');
    const trustDir = join(dir, 'trust');
    const names = ['myorg/app', 'myorg/other'];
    const set = encodeRepositorySet([encodeBundle(bundleContent(r, names[0]!)), encodeBundle(bundleContent(other, names[1]!))], { name: 'myorg', created: new Date() });
    const setPath = join(dir, 'set.tufbundle');
    writeFileSync(setPath, set);
    const pinsPath = join(dir, 'pins.json');
    writeFileSync(pinsPath, JSON.stringify({ [names[0]!]: sha256Hex(r.roots[0]!), [names[1]!]: sha256Hex(other.roots[0]!) }));
    const run = async (...extra: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(['import', setPath, '--trust-dir', trustDir, '--pins', pinsPath, ...extra], { out: (l) => void out.push(l), err: (l) => void err.push(l) });
      expect(code, err.join('\n')).toBe(0);
      return out.join('\n');
    };
    const said = await run();
    expect(said).toContain(`myorg/app: ${role} written as ${role}.json only — python-tuf cannot store this role's file (a file name longer than 255 bytes)`);
    expect(said).not.toContain('myorg/other:');
    expect(readdirSync(join(trustDir, 'myorg', 'app'))).not.toContain(`${pythonTufQuote(role)}.json`);
    // Renewed by the installed pins, in --json: the rows carry it, for the one repository that has it.
    const json = JSON.parse(await run('--json')) as { repositories: { repository: string; notWritten?: unknown }[] };
    const notWritten = [{ role, file: `${pythonTufQuote(role)}.json`, why: 'a file name longer than 255 bytes' }];
    expect(json.repositories.map((x) => [x.repository, x.notWritten])).toEqual([
      [names[0], notWritten],
      [names[1], undefined],
    ]);
  });

  it('an as-is name that cannot be a file is still refused, naming the role as the bundle names it', async () => {
    const role = '\u00e9'.repeat(130); // 265 bytes as it is
    const r = await buildRepo('tuf', { delegationName: role });
    const trustDir = join(tmp('file-names-'), 'trust');
    const e = await importRepository({ files: r.files(), source: 'test' }, { trustDir, trustedRoot: r.roots[0]!, now: new Date(), layout: 'tuf' }).then(
      () => undefined,
      (err: unknown) => err as CeremonyError,
    );
    expect([e?.code, e?.path]).toEqual(['ROLE_FILE_NAME_UNPORTABLE', 'targets.json $.signed.delegations.roles[0].name']);
    expect(e?.message).toContain(`the file "${role}.json" (role "${role}")`);
    expect(existsSync(trustDir)).toBe(false);
  });

  it('tufLayoutInstallFiles: the quoted copy is left out only when it alone cannot be a file', () => {
    expect(tufLayoutInstallFiles('release 2')).toEqual({ files: ['release 2.json', 'release%202.json'] });
    expect(tufLayoutInstallFiles('releases')).toEqual({ files: ['releases.json'] });
    const u = '\u00fc'.repeat(50);
    expect(tufLayoutInstallFiles(u)).toEqual({ files: [`${u}.json`], unwritten: { role: u, file: `${pythonTufQuote(u)}.json`, why: 'a file name longer than 255 bytes' } });
    const both = 'nul.' + '\u00fc'.repeat(60); // as-is: a Windows device name (so is the quoted one, which is over 255 bytes too)
    expect(tufLayoutInstallFiles(both).files).toEqual([`${both}.json`, `${pythonTufQuote(both)}.json`]);
  });
});
