/**
 * PRODUCT §2.6 / issue 6 acceptance, Notary side: a repository published to a real notary-server on
 * loopback (root, targets and snapshot ours, the timestamp the server's), carried as a trust bundle and
 * imported by `tuf-ceremony import` into a Notary trust directory; then the real `notary` client, with
 * that trust directory and NO server reachable (`-s` points at a closed loopback port), lists the
 * targets offline. A second bundle (v2) is imported over it and listed offline too.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { freePort, notaryClient, startNotaryServer, type NotaryServer } from '../support/notary.js';
import { expectedList, fetchServerKey, notaryRootSigned, notarySnapshotSigned, notaryTargetsSigned, ourKey, ourRootKey, parseNotaryList, publishOk, signNotary } from '../support/notary-publish.js';

const enc = new TextEncoder();
const GUN = 'registry.example.com/tuf-ceremony/imported';
const V1_TARGETS = { 'app/v1.tar.gz': enc.encode('app v1 bytes'), 'docs/readme.txt': enc.encode('read me first\n') };
const V2_TARGETS = { ...V1_TARGETS, 'app/v2.tar.gz': enc.encode('app v2 bytes, a little longer') };

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

describe('import a Notary repository, then the real notary client lists it offline', () => {
  let server: NotaryServer;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tufc-import-notary-'));
    server = await startNotaryServer();
  });
  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The server's current metadata for GUN as a directory, made into a trust bundle by our CLI. */
  async function bundleFromServer(name: string): Promise<string> {
    const dir = join(work, name);
    mkdirSync(dir);
    for (const role of ['root', 'targets', 'snapshot', 'timestamp']) writeFileSync(join(dir, `${role}.json`), await server.tufFile(GUN, `${role}.json`));
    const out = join(work, `${name}.tufbundle`);
    const io = capture();
    expect(await runCli(['bundle', 'create', dir, '--kind', 'trust-bundle', '--out', out], io.io), io.err.join('\n')).toBe(0);
    return out;
  }

  it('v1 then v2, each imported and listed with the server unreachable', async () => {
    const rootKeys = await Promise.all([1, 2, 3].map(() => ourRootKey(GUN)));
    const targetsKey = ourKey();
    const snapshotKey = ourKey();
    const timestamp = await fetchServerKey(server.url, GUN, 'timestamp');
    const root = await signNotary(notaryRootSigned({ version: 1, root: rootKeys, rootThreshold: 2, targets: [targetsKey], snapshot: [snapshotKey], timestamp: [timestamp] }), rootKeys.slice(0, 2).map((k) => k.signer));
    const targets1 = await signNotary(notaryTargetsSigned(1, V1_TARGETS), [targetsKey.signer]);
    const snapshot1 = await signNotary(notarySnapshotSigned(1, { root, targets: targets1 }), [snapshotKey.signer]);
    await publishOk(server.url, GUN, { root, targets: targets1, snapshot: snapshot1 });

    const pin = join(work, 'pinned-root.json');
    writeFileSync(pin, root);
    const trustDir = join(work, 'site-trust');
    mkdirSync(trustDir);
    const b1 = await bundleFromServer('v1');
    const io = capture();
    expect(await runCli(['import', b1, '--trust-dir', trustDir, '--root', pin], io.io), io.err.join('\n')).toBe(0);

    const closed = `http://127.0.0.1:${await freePort()}`;
    const offline = notaryClient({ serverUrl: closed, trustDir });
    const list1 = await offline.ok(['list', GUN]);
    expect(parseNotaryList(list1.stdout)).toEqual(expectedList(V1_TARGETS));

    // v2 published, carried over, imported on top (the installed root is the trust now).
    const targets2 = await signNotary(notaryTargetsSigned(2, V2_TARGETS), [targetsKey.signer]);
    const snapshot2 = await signNotary(notarySnapshotSigned(2, { root, targets: targets2 }), [snapshotKey.signer]);
    await publishOk(server.url, GUN, { targets: targets2, snapshot: snapshot2 });
    const b2 = await bundleFromServer('v2');
    const io2 = capture();
    expect(await runCli(['import', b2, '--trust-dir', trustDir], io2.io), io2.err.join('\n')).toBe(0);
    const list2 = await offline.ok(['list', GUN]);
    expect(parseNotaryList(list2.stdout)).toEqual(expectedList(V2_TARGETS));

    // And the v1 bundle again is a rollback, refused.
    const io3 = capture();
    expect(await runCli(['import', b1, '--trust-dir', trustDir], io3.io)).toBe(1);
    expect(io3.err[0]).toMatch(/^error\[ROLLBACK\]/);
  });
});
