/**
 * Site import of many repositories from one trust-bundle-set (issue #17): every repository verified
 * against its own pin first, then all installed in one swap; one bad repository refuses the whole set
 * and leaves the trust directory byte for byte as it was.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeBundle, encodeBundle } from '../../../src/bundle/format.js';
import { decodeRepositorySet, encodeRepositorySet, innerName } from '../../../src/bundle/set.js';
import { runCli } from '../../../src/cli/program.js';
import { isCeremonyError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { importRepository } from '../../../src/trust-store/install.js';
import { importRepositorySet } from '../../../src/trust-store/install-set.js';
import { captureIo } from '../../support/cli-io.js';
import { buildRepo, parseBytes, type BuiltRepo } from '../../support/repo.js';
import { bundleContent, treeHash } from '../../support/trust-tree.js';
import { SESSIONS_FOLDER_NAME, siteSessionsDir } from '../../../src/trust-store/import-session.js';
import { listSessionTranscripts } from '../../../src/audit/sessions.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { nodeSessionFolder } from '../../../src/io/session-files.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const NOW = new Date();
const enc = new TextEncoder();
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function nameOf(profile: ProfileName, i: number): string {
  return profile === 'notary' ? `registry.example.com/org/app-${i}` : `app-${i}`;
}

async function refusal(p: Promise<unknown>): Promise<[string, string]> {
  try {
    await p;
  } catch (err) {
    return isCeremonyError(err) ? [err.code, err.message] : [String(err), ''];
  }
  return ['no error', ''];
}

describe.each(['notary', 'tuf'] as const)('trust-bundle-set import (%s)', (profile) => {
  let repos: BuiltRepo[];
  let singles: Uint8Array[];
  let pins: Map<string, string>;

  beforeAll(async () => {
    repos = [];
    for (let i = 0; i < 5; i++) repos.push(await buildRepo(profile, { gun: nameOf(profile, i) }));
    singles = repos.map((r, i) => encodeBundle(bundleContent(r, nameOf(profile, i))));
    pins = new Map(repos.map((r, i) => [nameOf(profile, i), sha(r.roots[0]!)]));
  }, 120_000);

  function fresh(): { trustDir: string; folderOf: (i: number) => string } {
    const base = tmp('tufc-set-');
    const trustDir = profile === 'notary' ? join(base, 'trust') : join(base, 'repos');
    if (profile === 'notary') mkdirSync(trustDir);
    return { trustDir, folderOf: (i) => (profile === 'notary' ? join(trustDir, 'tuf', ...nameOf(profile, i).split('/'), 'metadata') : join(trustDir, nameOf(profile, i))) };
  }

  it('installs every repository at once, each pinned; leaves other repositories as they were; updates by the installed pins', async () => {
    const { trustDir, folderOf } = fresh();
    // Repository 4 is installed alone first (not in the set): it must come through byte for byte.
    if (profile === 'notary') await importRepository({ files: repos[4]!.files(), source: 'alone' }, { trustDir, now: NOW, rootFingerprint: pins.get(nameOf(profile, 4))!, gun: nameOf(profile, 4) });
    else {
      mkdirSync(trustDir);
      await importRepository({ files: repos[4]!.files(), source: 'alone' }, { trustDir: folderOf(4), now: NOW, rootFingerprint: pins.get(nameOf(profile, 4))! });
    }
    const aloneBefore = treeHash(folderOf(4));
    const set = decodeRepositorySet(encodeRepositorySet(singles.slice(0, 4), { name: 'four', created: NOW }));
    const result = await importRepositorySet(set, { trustDir, pins, now: NOW });
    expect(result.entries.map((e) => [e.repository, e.pinnedBy, e.previousRoot, e.versions.root])).toEqual([0, 1, 2, 3].map((i) => [nameOf(profile, i), 'fingerprint', null, 1]));
    for (let i = 0; i < 4; i++) {
      expect(Buffer.from(readFileSync(join(folderOf(i), 'root.json'))).equals(Buffer.from(repos[i]!.roots[0]!))).toBe(true);
      expect(readFileSync(join(folderOf(i), 'imports.log'), 'utf8').trim().split('\n')).toHaveLength(1);
    }
    expect(treeHash(folderOf(4))).toBe(aloneBefore);
    // Again, pinned by what is installed now: one more imports.log line each.
    const again = await importRepositorySet(set, { trustDir, now: NOW });
    expect(again.entries.every((e) => e.pinnedBy === 'installed' && e.previousRoot === 1)).toBe(true);
    expect(readFileSync(join(folderOf(2), 'imports.log'), 'utf8').trim().split('\n')).toHaveLength(2);
  }, 120_000);

  it('one corrupted repository refuses the whole set; the trust directory stays byte for byte the same', async () => {
    const { trustDir } = fresh();
    if (profile === 'tuf') mkdirSync(trustDir);
    await importRepositorySet(decodeRepositorySet(encodeRepositorySet([singles[4]!], { name: 'one', created: NOW })), { trustDir, pins, now: NOW });
    const before = treeHash(join(trustDir, '..'));

    // Repository 2's targets.json carries a signature that does not verify (snapshot re-linked to it, so
    // only the signature is wrong): its single bundle is well-formed, its repository is not.
    const bad = await buildRepo(profile, { gun: nameOf(profile, 2) });
    const targets = parseBytes(bad.targets);
    const sig = (targets.signatures as JsonObject[])[0]!;
    const encoding = profile === 'tuf' ? 'hex' : 'base64';
    const raw = Buffer.from(sig.sig as string, encoding);
    raw[10] = raw[10]! ^ 1;
    sig.sig = raw.toString(encoding);
    await bad.relink({ targets: enc.encode(JSON.stringify(targets)) });
    const badPins = new Map([...pins, [nameOf(profile, 2), sha(bad.roots[0]!)]]);
    const withBad = [singles[0]!, singles[1]!, encodeBundle(bundleContent(bad, nameOf(profile, 2))), singles[3]!];
    const [code, message] = await refusal(importRepositorySet(decodeRepositorySet(encodeRepositorySet(withBad, { name: 'four', created: NOW })), { trustDir, pins: badPins, now: NOW }));
    expect(code).toBe('THRESHOLD_NOT_MET');
    expect(message).toContain(`repository "${nameOf(profile, 2)}" (3 of 4)`);
    expect(message).toContain('nothing of the set was installed');
    expect(treeHash(join(trustDir, '..'))).toBe(before);

    // A byte flipped inside one repository's bundle: the set's manifest catches it before any verification.
    const setBytes = encodeRepositorySet(singles.slice(0, 4), { name: 'four', created: NOW });
    const flipped = Uint8Array.from(setBytes);
    flipped[flipped.length - 200] = flipped[flipped.length - 200]! ^ 1;
    expect(() => decodeRepositorySet(flipped)).toThrow(expect.objectContaining({ code: 'BUNDLE_MANIFEST_MISMATCH' }));
    // A repository with no pin and nothing installed: refused, nothing written.
    const partialPins = new Map([...pins].filter(([k]) => k !== nameOf(profile, 3)));
    expect((await refusal(importRepositorySet(decodeRepositorySet(setBytes), { trustDir, pins: partialPins, now: NOW })))[0]).toBe('IMPORT_PIN_NOT_FOUND');
    // A pin of another root.
    const wrongPins = new Map([...pins, [nameOf(profile, 1), sha(repos[0]!.roots[0]!)]]);
    expect((await refusal(importRepositorySet(decodeRepositorySet(setBytes), { trustDir, pins: wrongPins, now: NOW })))[0]).toBe('IMPORT_PIN_NOT_FOUND');
    expect(treeHash(join(trustDir, '..'))).toBe(before);
  }, 120_000);

  it('decoding refuses a mixed, duplicated or misnamed set', async () => {
    const other = await buildRepo(profile === 'tuf' ? 'notary' : 'tuf');
    const otherBundle = encodeBundle(bundleContent(other, profile === 'tuf' ? 'registry.example.com/org/app' : 'other'));
    const table: [string, Uint8Array[], string][] = [
      ['another profile', [singles[0]!, otherBundle], 'BUNDLE_CONTENT_INVALID'],
      ['one repository twice', [singles[0]!, singles[0]!], 'BUNDLE_CONTENT_INVALID'],
      // Look-alikes: one name in the set's table, one trust folder on a case-insensitive file system.
      ['one repository again in upper case', [singles[0]!, encodeBundle(bundleContent(repos[0]!, nameOf(profile, 0).toUpperCase()))], 'BUNDLE_CONTENT_INVALID'],
      ['one repository again in full-width letters', [singles[0]!, encodeBundle(bundleContent(repos[0]!, nameOf(profile, 0).replace('app', '\uff41\uff50\uff50')))], 'BUNDLE_CONTENT_INVALID'],
      ['one repository again, decomposed', [encodeBundle(bundleContent(repos[0]!, `${nameOf(profile, 0)}-caf\u00e9`)), encodeBundle(bundleContent(repos[1]!, `${nameOf(profile, 0)}-cafe\u0301`))], 'BUNDLE_CONTENT_INVALID'],
    ];
    for (const [what, list, code] of table) {
      const bytes = encodeBundle({ kind: 'trust-bundle-set', profile, repository: 'x', created: '2026-11-25T10:00:00Z', files: list.map((b, i) => ({ name: innerName(i), bytes: b })) });
      expect([what, (() => { try { decodeRepositorySet(bytes); return 'no error'; } catch (e) { return isCeremonyError(e) ? e.code : String(e); } })()]).toEqual([what, code]);
    }
    const misnamed = encodeBundle({ kind: 'trust-bundle-set', profile, repository: 'x', created: '2026-11-25T10:00:00Z', files: [{ name: 'repositories/00001.tufbundle', bytes: singles[0]! }] });
    expect(() => decodeRepositorySet(misnamed)).toThrow(expect.objectContaining({ code: 'BUNDLE_FILE_NAME_INVALID' }));
    expect(() => decodeRepositorySet(singles[0]!)).toThrow(expect.objectContaining({ code: 'BUNDLE_KIND_UNEXPECTED' }));
    expect(decodeBundle(encodeRepositorySet(singles.slice(0, 2), { name: 'two', created: NOW })).kind).toBe('trust-bundle-set');
    // Each inner bundle's hash (recorded in imports.log) is its own bytes' — taken from the outer manifest, not recomputed.
    const set = decodeRepositorySet(encodeRepositorySet(singles.slice(0, 2), { name: 'two', created: NOW }));
    for (let i = 0; i < 2; i++) expect(set.repositories[i]!.hash).toEqual(decodeBundle(singles[i]!).hash);
    expect(set.repositories[0]!.hash.sha256).toBe(createHash('sha256').update(singles[0]!).digest('hex'));
  }, 60_000);

  it('CLI: bundle set, then import --pins prints the summary table; a refused set exits 1 and changes nothing', async () => {
    const { trustDir, folderOf } = fresh();
    if (profile === 'tuf') mkdirSync(trustDir);
    const dir = tmp('tufc-set-cli-');
    const paths = singles.slice(0, 3).map((b, i) => {
      const p = join(dir, `r${i}.tufbundle`);
      writeFileSync(p, b);
      return p;
    });
    const setPath = join(dir, 'set.tufbundle');
    const c = captureIo();
    expect(await runCli(['bundle', 'set', ...paths, '--out', setPath, '--name', 'myorg'], c.io)).toBe(0);
    const pinsPath = join(dir, 'pins.json');
    writeFileSync(pinsPath, JSON.stringify(Object.fromEntries([...pins].slice(0, 3))));
    const noPins = captureIo();
    const outsideSessions = (n: string): boolean => n.endsWith(SESSIONS_FOLDER_NAME);
    const before = treeHash(join(trustDir, '..'), outsideSessions);
    expect(await runCli(['import', setPath, '--trust-dir', trustDir], noPins.io)).toBe(1);
    expect(noPins.err[0]).toMatch(/^error\[IMPORT_PIN_NOT_FOUND\]: repository /);
    expect(treeHash(join(trustDir, '..'), outsideSessions)).toBe(before);
    // The refusal is the set import's session transcript: recorded in the site's sessions folder, nothing else written.
    const sessions = siteSessionsDir(trustDir, profile);
    expect(noPins.err[0]).toContain(`the refusal is recorded in ${sessions}`);
    const refused = await listSessionTranscripts(sessions, nodeSessionFolder);
    expect(refused.sessions).toHaveLength(1);
    expect(refused.sessions[0]).toMatchObject({ verified: true, kind: 'import', repository: 'myorg', refused: true, steps: ['import.refused', 'session.end'], witnesses: [] });
    // A set import does not check attestations.json: a requirement is refused (fail closed), nothing written.
    const attest = captureIo();
    expect(await runCli(['import', setPath, '--trust-dir', trustDir, '--pins', pinsPath, '--require-attestation'], attest.io)).toBe(2);
    expect(attest.err[0]).toMatch(/^error\[USAGE\]: a trust-bundle-set import does not check attestations/);
    expect(treeHash(join(trustDir, '..'), outsideSessions)).toBe(before);
    const i = captureIo();
    expect(await runCli(['import', setPath, '--trust-dir', trustDir, '--pins', pinsPath, '--witness', 'Carol', '--witness', 'Dan'], i.io)).toBe(0);
    expect(i.out[0]).toMatch(/^imported: 3 \w+ repositories of myorg into /);
    expect(i.out[1]).toMatch(/^ {2}repository +root +targets +pinned by$/);
    expect(i.out[2]).toContain(nameOf(profile, 0));
    expect(i.out[2]).toMatch(/v1 \(new\) +v1 +fingerprint$/);
    expect(readFileSync(join(folderOf(2), 'root.json')).length).toBeGreaterThan(0);
    // The session transcript: the set and its pins file verified, each repository's files installed, the witnesses.
    const line = i.out.find((l) => l.includes('session transcript '))!;
    const path = /session transcript (\S+) /.exec(line)![1]!;
    expect(path.startsWith(sessions)).toBe(true);
    const v = verifyTranscript(readFileSync(path), { allowUnsealed: true });
    expect(v.header).toMatchObject({ kind: 'import', profile, repository: 'myorg', planHash: decodeRepositorySet(readFileSync(setPath)).outer.hash.sha256 });
    expect(v.entries.map((e) => e.step)).toEqual(['import.verify', 'import.install', 'import.install', 'import.install', 'session.end']);
    expect(v.entries[0]!.inputs).toEqual([
      { name: 'set.tufbundle', sha256: sha(readFileSync(setPath)) },
      { name: 'pins.json', sha256: sha(readFileSync(pinsPath)) },
    ]);
    expect(v.entries[0]!.witnesses.map((w) => w.name)).toEqual(['Carol', 'Dan']);
    const folder0 = profile === 'notary' ? `${nameOf(profile, 0)}/metadata` : nameOf(profile, 0);
    expect(v.entries[1]!.outputs).toContainEqual({ name: `${folder0}/root.json`, sha256: sha(readFileSync(join(folderOf(0), 'root.json'))) });
    expect(v.entries[1]!.note).toContain(nameOf(profile, 0));
    const j = captureIo();
    expect(await runCli(['import', setPath, '--trust-dir', trustDir, '--json'], j.io)).toBe(0);
    const report = JSON.parse(j.out.join('\n')) as { set: boolean; transcript: string; repositories: { pinnedBy: string; previousRoot: number }[] };
    expect(report.set).toBe(true);
    // Each session its own file: the refusal, the first import and this one.
    expect(report.transcript).not.toBe(path);
    const listed = await listSessionTranscripts(sessions, nodeSessionFolder);
    expect(listed.sessions.map((x) => [x.file, x.verified, x.refused])).toEqual(
      [report.transcript, path, join(sessions, refused.sessions[0]!.file)].map((p) => [basename(p), true, p === join(sessions, refused.sessions[0]!.file)]),
    );
    expect(report.repositories.map((r) => [r.pinnedBy, r.previousRoot])).toEqual([0, 1, 2].map(() => ['installed', 1]));
  }, 120_000);
});
