/**
 * `status` reads unverified metadata under one value budget for all its files (review-12 M2: each file had
 * only its own cap, so many files at their caps were all parsed and all held), and keeps of a delegated
 * file only what the report needs. Hostile shapes at a size that shows the bound; results and error
 * codes, never timings.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { expiryReport } from '../../../src/status/expiry.js';
import { DEFAULT_REPOSITORY_VALUES } from '../../../src/tuf/caps.js';
import type { RepositoryFiles } from '../../../src/tuf/repository.js';
import { captureIo } from '../../support/cli-io.js';
import { makeKey, type TestKey } from '../../support/keys.js';
import { buildRepo, FAR, type BuiltRepo } from '../../support/repo.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();
const enc = new TextEncoder();
const NOW = new Date();

let repo: BuiltRepo;
let key: TestKey;
beforeAll(async () => {
  repo = await buildRepo('tuf');
  key = await makeKey('tuf', 'ed25519');
});

const role = (name: string) => ({ name, keyids: [key.keyId], threshold: 1, terminating: false, paths: ['*'] });
/** Unsigned targets metadata (status verifies nothing), with `extra` values in an unknown field. */
function targetsFile(roles: string[], extraValues = 0): Uint8Array {
  const head = JSON.stringify({ signatures: [], signed: { _type: 'targets', spec_version: '1.0.31', version: 1, expires: FAR, targets: {}, delegations: { keys: { [key.keyId]: key.json }, roles: roles.map(role) } } });
  if (!extraValues) return enc.encode(head);
  // `"x":[0,0,…]` inside signed: one value per two bytes, each counted against the budget.
  return enc.encode(`${head.slice(0, -2)},"x":[${Array(extraValues).fill('0').join(',')}]}}`);
}
function filesOf(targets: Uint8Array, delegated: [string, Uint8Array][]): RepositoryFiles {
  return { versionedRoots: new Map(), root: repo.roots[0]!, targets, delegated: new Map(delegated) };
}

describe('status under one value budget (review-12 M2)', () => {
  // Each bomb is under a delegated file's own cap (2M values); three of them are over the repository's 3M.
  const BOMB = 1_200_000;

  it('three delegated files of 1.2M values each: refused with JSON_TOO_MANY_VALUES (each alone was accepted before)', () => {
    const names = ['bomb0', 'bomb1', 'bomb2'];
    const bomb = targetsFile([], BOMB);
    const files = filesOf(targetsFile(names), names.map((n) => [n, bomb]));
    expect(() => expiryReport(files, { now: NOW })).toThrow(expect.objectContaining({ code: 'JSON_TOO_MANY_VALUES', path: expect.stringMatching(/^bomb2\.json /) as unknown }));
    expect(3 * BOMB).toBeGreaterThan(DEFAULT_REPOSITORY_VALUES);
  });

  it('two such files fit the budget: both reported', () => {
    const bomb = targetsFile([], BOMB);
    const report = expiryReport(filesOf(targetsFile(['bomb0', 'bomb1']), [['bomb0', bomb], ['bomb1', bomb]]), { now: NOW });
    expect(report.items.map((i) => i.name).sort()).toEqual(['bomb0', 'bomb1', 'root', 'targets']);
  });

  it('the CLI on a folder of them: exit 1, error[JSON_TOO_MANY_VALUES] first on stderr', async () => {
    const dir = tmp('tufc-status-bounds-');
    const names = ['bomb0', 'bomb1', 'bomb2'];
    writeFileSync(join(dir, 'root.json'), repo.roots[0]!);
    writeFileSync(join(dir, 'targets.json'), targetsFile(names));
    const bomb = targetsFile([], BOMB);
    for (const n of names) writeFileSync(join(dir, `${n}.json`), bomb);
    const c = captureIo();
    const status = await runCli(['status', dir, '--json'], c.io);
    expect(status).toBe(1);
    expect(c.err[0]).toMatch(/^error\[JSON_TOO_MANY_VALUES\]/);
  });

  it('2,000 roles each delegating one more (4,000 delegated files): every row, renewed by the keys its own delegator lists', () => {
    const N = 2_000;
    const firsts = Array.from({ length: N }, (_, i) => `a${i}`);
    const delegated: [string, Uint8Array][] = [];
    for (let i = 0; i < N; i++) {
      delegated.push([`a${i}`, targetsFile([`b${i}`])]);
      delegated.push([`b${i}`, targetsFile([])]);
    }
    const report = expiryReport(filesOf(targetsFile(firsts), delegated), { now: NOW });
    expect(report.items).toHaveLength(2 + 2 * N);
    const rows = new Map(report.items.map((i) => [i.name, i]));
    expect(rows.get('a0')?.renewedBy.role).toBe('a0 (keys listed in targets)');
    expect(rows.get(`b${N - 1}`)?.renewedBy).toMatchObject({ role: `b${N - 1} (keys listed in a${N - 1})`, threshold: 1, keys: [{ keyId: key.keyId, keytype: 'ed25519' }] });
    expect(rows.get(`b${N - 1}`)).toMatchObject({ kind: 'role', version: 1, state: 'ok' });
  });
});
