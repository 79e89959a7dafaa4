/**
 * A delegated role's file through the CLI (issues #14, #15): `targets-request --role --delegated` (a target
 * file added, and a renewal alone), the delegate's signature, `merge`, then `refresh --delegated` publishes
 * it with a new snapshot and timestamp as a hostable tree that verifies from the pinned root — and the
 * refusals on the way (a target outside the delegation's paths, a stale file to publish).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { refreshCommand } from '../../../src/cli/refresh.js';
import { writeVerifiedTree } from '../../../src/cli/tree.js';
import { readRepositoryDir } from '../../../src/io/files.js';
import { softwareKeyFromPem } from '../../../src/refresh/key-file.js';
import { parseSigningRequest, serializeSignatureResponse, signRequest } from '../../../src/rotation/index.js';
import { formatExpires } from '../../../src/tuf/dates.js';
import { verifyRepository } from '../../../src/tuf/repository.js';
import { captureIo } from '../../support/cli-io.js';
import type { TestKey } from '../../support/keys.js';
import { buildRepo, type BuiltRepo } from '../../support/repo.js';

const work = mkdtempSync(join(tmpdir(), 'tufc-delegated-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const at = (name: string) => join(work, name);
const enc = new TextEncoder();
const LATER = formatExpires(new Date(Date.now() + 7 * 365 * 24 * 3600 * 1000));

function pem(key: TestKey, name: string): string {
  const path = at(name);
  writeFileSync(path, key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return path;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = captureIo();
  const code = await runCli(args, c.io);
  return { code, out: c.out.join('\n'), err: c.err.join('\n') };
}

async function signAs(requestPath: string, key: TestKey, out: string): Promise<string> {
  const request = parseSigningRequest(readFileSync(requestPath));
  const signing = softwareKeyFromPem(enc.encode(key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string), 'delegate');
  try {
    writeFileSync(at(out), serializeSignatureResponse(await signRequest(request, signing)));
  } finally {
    signing.dispose();
  }
  return at(out);
}

describe('delegated role requests through the CLI (TUF)', () => {
  let r: BuiltRepo;
  beforeAll(async () => {
    r = await buildRepo('tuf');
    writeFileSync(at('root.json'), r.roots[0]!);
    writeFileSync(at('targets.json'), r.targets);
    writeFileSync(at('releases.json'), r.delegated);
    writeFileSync(at('v2.tar.gz'), 'release 2');
    await writeVerifiedTree({ files: r.files(), trustedRoot: r.roots[0]!, out: at('tree'), now: new Date() });
  }, 60_000);

  it('add a release → sign → merge → refresh --delegated: the tree lists it and verifies', async () => {
    const req = await cli(['targets-request', '--root', at('root.json'), '--targets', at('targets.json'), '--role', 'releases', '--delegated', at('releases.json'), '--expires', LATER,
      '--add', `releases/v2.tar.gz=${at('v2.tar.gz')}`, '--signer', `${r.keys.delegate[0]!.keyId}=Release CI`, '--out', at('add.request.json')]);
    expect(req.code, req.err).toBe(0);
    const sha = createHash('sha256').update('release 2').digest('hex');
    expect(req.out).toContain('delegated role releases (its own file, releases.json) version 1 → 2');
    expect(req.out).toContain(`target "releases/v2.tar.gz" ADDED: 9 bytes, sha256 ${sha.slice(0, 16)}…`);
    expect(req.out).toContain('"Release CI"');

    const response = await signAs(at('add.request.json'), r.keys.delegate[0]!, 'add.response.json');
    const merged = await cli(['merge', at('add.request.json'), response, '--out', at('releases.v2.json'), '--json']);
    expect(merged.code, merged.err).toBe(0);
    expect(JSON.parse(merged.out)).toMatchObject({ ok: true, role: 'targets', delegation: 'releases', version: 2, final: true });

    const c = captureIo();
    const deps = { load: () => Promise.reject(new Error('no tokens here')), exists: () => false, platform: 'linux' as const, env: {}, interactive: false, promptPin: () => Promise.reject(new Error('no prompt')), now: () => new Date() };
    const dir = at('v2.tree');
    writeFileSync(at('root.pin.json'), r.roots[0]!);
    const targetsDir = at('files');
    mkdirSync(join(targetsDir, 'releases'), { recursive: true });
    writeFileSync(join(targetsDir, 'releases', 'v2.tar.gz'), 'release 2');
    const code = await refreshCommand(at('tree'), { root: at('root.pin.json'), out: dir, snapshotKeyFile: pem(r.keys.snapshot[0]!, 's.pem'), timestampKeyFile: pem(r.keys.timestamp[0]!, 't.pem'), delegated: [`releases=${at('releases.v2.json')}`], targetsDir, json: true }, c.io, deps);
    expect(code, c.err.join('\n')).toBe(0);
    const v = verifyRepository(await readRepositoryDir(dir), { trustedRoot: r.roots[0]!, now: new Date(), requireComplete: true });
    expect(v.delegated.get('releases')!.md.signed.version).toBe(2);
    expect([...v.delegated.get('releases')!.md.signed.targets.keys()].sort()).toEqual(['releases/v1.tar.gz', 'releases/v2.tar.gz']);
    // consistent_snapshot is off in this root: the file sits under its own name.
    expect(readFileSync(join(dir, 'targets', 'releases', 'v2.tar.gz'), 'utf8')).toBe('release 2');

    // Publishing the old file again is a rollback, refused with nothing written.
    const c2 = captureIo();
    const again = at('again.tree');
    const code2 = await refreshCommand(dir, { root: at('root.pin.json'), out: again, snapshotKeyFile: pem(r.keys.snapshot[0]!, 's2.pem'), timestampKeyFile: pem(r.keys.timestamp[0]!, 't2.pem'), delegated: [`releases=${at('releases.json')}`], json: true }, c2.io, deps);
    expect(code2).toBe(1);
    expect(JSON.parse(c2.out.join(''))).toMatchObject({ ok: false, error: { code: 'ROLLBACK' } });
    expect(existsSync(again)).toBe(false);
  }, 120_000);

  it('a renewal alone, and a target outside the delegation refused', async () => {
    const renew = await cli(['targets-request', '--root', at('root.json'), '--targets', at('targets.json'), '--role', 'releases', '--delegated', at('releases.json'), '--expires', LATER, '--out', at('renew.request.json')]);
    expect(renew.code, renew.err).toBe(0);
    expect(renew.out).toContain(`releases expiry changes from`);
    expect(renew.out).not.toContain('ADDED');
    const outside = await cli(['targets-request', '--root', at('root.json'), '--targets', at('targets.json'), '--role', 'releases', '--delegated', at('releases.json'), '--expires', LATER,
      '--add', `docs/x=${at('v2.tar.gz')}`, '--out', at('outside.request.json')]);
    expect(outside.code).toBe(1);
    expect(outside.err.split('\n')[0]).toMatch(/^error\[TARGET_OUTSIDE_DELEGATION\]: /);
    expect(existsSync(at('outside.request.json'))).toBe(false);
    const half = await cli(['targets-request', '--root', at('root.json'), '--targets', at('targets.json'), '--role', 'releases', '--expires', LATER, '--out', at('half.request.json')]);
    expect(half.code).toBe(2);
  }, 60_000);
});
