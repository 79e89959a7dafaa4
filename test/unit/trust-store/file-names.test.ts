/**
 * Role names become file names at install (file-names.ts): a verified bundle whose role files would be one
 * file on Windows or macOS, or a file some file system cannot hold, is refused before anything is written.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkInstallFileNames, foldedFileName, unportableSegment, type InstallFile } from '../../../src/trust-store/file-names.js';
import { importRepository } from '../../../src/trust-store/install.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { buildRepo } from '../../support/repo.js';
import { refusal } from '../../support/refusal.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

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
    ];
    const got = table.map(([files]) => {
      const e = refusal(() => checkInstallFileNames(files, at));
      return [e.code, e.path];
    });
    expect(got).toEqual(table.map(([, blamed]) => ['ROLE_FILE_NAME_COLLISION', at(blamed)]));
    expect(() => checkInstallFileNames(['root.json', 'targets.json', 'releases.json', 'releases-2.json', 'targets/releases.json', 'caf\u00e9.json', '\u65e5\u672c.json', 'imports.log'], at)).not.toThrow();
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
