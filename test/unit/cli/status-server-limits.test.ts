/**
 * `status --server` has a total time and a cap on the delegated roles it reads (review 14a L3): the
 * delegations are those an unverified targets.json names, so without them a server naming 200 roles, each
 * answered after 25 s, held a cron job for 83 minutes. Against a notary-server on 127.0.0.1 (node:https,
 * the real transport, the test's own CA), each limit refused with its code, naming the limit.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { STATUS_SERVER_MAX_DELEGATIONS, statusCommand } from '../../../src/cli/status.js';
import type { ServerDeps } from '../../../src/cli/publish.js';
import type { JsonObject } from '../../../src/json/types.js';
import { captureIo } from '../../support/cli-io.js';
import { loopbackHttps } from '../../support/loopback-https.js';
import { buildRepo, GUN, parseBytes, type BuiltRepo } from '../../support/repo.js';
import { testServerDeps } from '../../support/server-deps.js';

const enc = new TextEncoder();
const https = loopbackHttps();
let repo: BuiltRepo;

beforeAll(async () => {
  repo = await buildRepo('notary');
});

/** The test repository's targets.json (signature left as it was: status reads, it does not verify) naming `n` delegated roles. */
function forgedTargets(n: number): Uint8Array {
  const doc = parseBytes(repo.targets);
  const signed = doc.signed as JsonObject;
  const delegations = signed.delegations as JsonObject;
  const template = (delegations.roles as JsonObject[])[0]!;
  delegations.roles = Array.from({ length: n }, (_, i) => ({ ...template, name: `targets/d${i}` }));
  return enc.encode(JSON.stringify(doc));
}

/** Serves the repository with `targets`; every delegated role answered 404 after `delayMs`. */
async function start(targets: Uint8Array, delayMs: number): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const files: Record<string, Uint8Array> = { 'root.json': repo.roots[0]!, 'targets.json': targets, 'snapshot.json': repo.snapshot, 'timestamp.json': repo.timestamp };
  const url = await https.serve((req, res) => {
    const name = (req.url ?? '').replace(/^.*\/_trust\/tuf\//, '');
    seen.push(name);
    req.resume();
    const body = files[name];
    if (body) {
      res.writeHead(200).end(body);
      return;
    }
    setTimeout(() => {
      if (!res.destroyed) res.writeHead(404).end('{"errors":[{"code":"METADATA_NOT_FOUND"}]}');
    }, delayMs);
  });
  return { url, seen };
}

const deps = (): ServerDeps => testServerDeps({ ca: https.ca });

describe('status --server: a total time and a cap on delegations (review 14a L3)', () => {
  it('200 delegations answered slowly: refused at the total (--timeout 1), SERVER_UNREACHABLE naming it and what was read', async () => {
    const srv = await start(forgedTargets(200), 300);
    const c = captureIo();
    const t0 = Date.now();
    const err = await statusCommand(undefined, { server: srv.url, gun: GUN, timeout: '1', json: true }, c.io, deps()).catch((e: unknown) => e);
    const took = Date.now() - t0;
    expect(err).toMatchObject({ code: 'SERVER_UNREACHABLE' });
    expect((err as Error).message).toMatch(/status --server read \d+ file\(s\) within its total of 1 s and had not finished \(at targets\/d\d+\.json\).*--timeout SECONDS/);
    expect(took).toBeLessThan(3000);
    expect(srv.seen.filter((n) => n.startsWith('targets/d')).length).toBeLessThan(10);
    expect(c.out).toEqual([]);
  });

  it(`more than ${STATUS_SERVER_MAX_DELEGATIONS} delegations: SERVER_RESPONSE_INVALID naming the cap, and none of them asked for`, async () => {
    const srv = await start(forgedTargets(STATUS_SERVER_MAX_DELEGATIONS + 1), 0);
    const c = captureIo();
    const err = await statusCommand(undefined, { server: srv.url, gun: GUN, json: true }, c.io, deps()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SERVER_RESPONSE_INVALID', path: 'targets.json $.signed.delegations.roles' });
    expect((err as Error).message).toContain(`delegates to ${STATUS_SERVER_MAX_DELEGATIONS + 1} roles, more than the ${STATUS_SERVER_MAX_DELEGATIONS} status --server reads`);
    expect(srv.seen.filter((n) => n.startsWith('targets/d'))).toEqual([]);
  });

  it('within both limits the report is made (the control): 3 slow delegations, default total', async () => {
    const srv = await start(forgedTargets(3), 50);
    const c = captureIo();
    const code = await statusCommand(undefined, { server: srv.url, gun: GUN, json: true }, c.io, deps());
    expect(code).toBe(0);
    expect(srv.seen.filter((n) => n.startsWith('targets/d'))).toHaveLength(3);
    // What the server states is not verified (review 14a L4): --json says so.
    expect(JSON.parse(c.out.join(''))).toMatchObject({ verified: false });
  });

  it('the text report marks every expiry read from a server as unverified, never a bare "ok" (review 14a L4)', async () => {
    const srv = await start(repo.targets, 0);
    const c = captureIo();
    expect(await statusCommand(undefined, { server: srv.url, gun: GUN }, c.io, deps())).toBe(0);
    expect(c.out[1]).toMatch(/NOT verified/);
    const rows = c.out.filter((l) => /^ {2}(ok|WARNING|EXPIRED)/.test(l));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatch(/^ {2}(ok|WARNING|EXPIRED)\? /);
  });

  it('--timeout is for --server only, and a whole number of seconds', async () => {
    const c = captureIo();
    await expect(statusCommand('/nonexistent', { timeout: '5' }, c.io, deps())).rejects.toMatchObject({ code: 'USAGE' });
    await expect(statusCommand(undefined, { server: 'https://127.0.0.1:1', gun: GUN, timeout: '0' }, c.io, deps())).rejects.toMatchObject({ code: 'USAGE' });
  });
});
