/**
 * Issue #4, "a delegated signer added with `notary delegation add` can publish", with the stock notary
 * client doing every step after the ceremony:
 *
 * 1. the publisher makes their own targets key pair and brings only the public half (a PEM) to the ceremony;
 * 2. `tuf-ceremony rehearse --profile notary --timestamp-key … --snapshot-key … --publisher-key NAME.pem`
 *    (SoftHSM2 tokens when installed) lists it in root v1's targets role beside Alice's token key
 *    (threshold 1), with the server's timestamp and snapshot keys; the ceremony's own key signs targets v1;
 * 3. root.json + targets.json are published to notary-server on loopback;
 * 4. the publisher imports the private half into their notary client (`notary key import`), runs `notary delegation add GUN
 *    targets/releases CERT --all-paths` and `notary publish GUN` — signed with their key alone;
 * 5. the delegate imports their key and `notary add -p … --roles targets/releases`;
 * 6. fresh clients trusting on first use, pinned to our root certificate IDs, and seeded with our root.json
 *    list exactly the delegate's target, and our verifier walks the repository they cached from our root.
 */
import { outPath } from '../support/ceremony-out.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { parsePublisherKey } from '../../src/ceremony/publisher-key.js';
import { readRepositoryDir } from '../../src/io/files.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { makeDelegationCert, notaryClient, startNotaryServer, type NotaryServer } from '../support/notary.js';
import { TRUST_MODES, ceremonyFiles, clientInMode, expectedList, parseNotaryList, publishOk, saveServerKey } from '../support/notary-publish.js';

const GUN = 'registry.example.com/tuf-ceremony/publisher';
const DELEGATION = 'targets/releases';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

interface RootSigned {
  keys: Record<string, unknown>;
  roles: Record<string, { keyids: string[]; threshold: number }>;
}

describe('a publisher-held targets key: notary delegation add and publish after an offline ceremony', () => {
  let server: NotaryServer;
  let work: string;
  let n = 0;
  const fresh = (name: string) => join(work, `${String(++n).padStart(2, '0')}-${name}`);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tufc-notary-publisher-'));
    server = await startNotaryServer();
  });

  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the ceremony lists the publisher’s key; the publisher delegates with the notary CLI; the delegate publishes; every trust mode lists it', async () => {
    // 1. The publisher's key pair, made on the publisher's machine; only the public half (openssl's
    //    `pkey -pubout`, a bare PEM) comes to the ceremony. (notary 0.7 cannot import the encrypted
    //    NAME-key.pem that its own `key generate -o` writes — "key may be encrypted and does not contain
    //    path header" — so a publisher makes the pair with openssl and imports the plain key into notary.)
    const publisher = notaryClient({ serverUrl: server.url, trustDir: fresh('publisher') });
    const privatePem = join(work, 'publisher-key.pem');
    const publicPem = join(work, 'publisher.pem');
    for (const args of [
      ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', privatePem],
      ['pkey', '-in', privatePem, '-pubout', '-out', publicPem],
    ]) {
      const r = spawnSync('openssl', args, { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    const publisherKey = parsePublisherKey(new Uint8Array(readFileSync(publicPem)), 'publisher.pem', 'notary');

    // 2. The ceremony, with the server's timestamp and snapshot keys (delegates publish without a snapshot key).
    const timestampFile = join(work, 'timestamp.key');
    const snapshotFile = join(work, 'snapshot.key');
    await saveServerKey(server.url, GUN, 'timestamp', timestampFile);
    await saveServerKey(server.url, GUN, 'snapshot', snapshotFile);
    const out = join(work, 'ceremony');
    const c = capture();
    const code = await runCli(
      ['rehearse', '--profile', 'notary', '--gun', GUN, '--timestamp-key', timestampFile, '--snapshot-key', snapshotFile, '--publisher-key', publicPem, '--out', out, '--json'],
      c.io,
    );
    expect(code, c.err.join('\n')).toBe(0);
    const summary = JSON.parse(c.out.join('')) as { rootKeyIds: string[]; targetsKeyId: string; files: { snapshot: string | null } };
    expect(summary.files.snapshot).toBeNull();
    const root = new Uint8Array(readFileSync(outPath(out, 'root.json')));
    const signed = (JSON.parse(Buffer.from(root).toString('utf8')) as { signed: RootSigned }).signed;
    expect(signed.roles.targets).toEqual({ keyids: [summary.targetsKeyId, publisherKey.keyId], threshold: 1 });
    expect(signed.keys[publisherKey.keyId]).toEqual(publisherKey.json);
    // targets.json v1 is signed by the ceremony's key only (the publisher's private key never came near it).
    const targetsV1 = JSON.parse(readFileSync(outPath(out, 'targets.json'), 'utf8')) as { signatures: { keyid: string }[] };
    expect(targetsV1.signatures.map((s) => s.keyid)).toEqual([summary.targetsKeyId]);
    // The transcript names the publisher's key and its file's hash.
    const transcript = readFileSync(outPath(out, 'transcript.jsonl'), 'utf8');
    expect(transcript).toContain('"step":"key.publisher"');
    expect(transcript).toContain(publisherKey.sha256);

    // 3. Publish what the ceremony wrote.
    await publishOk(server.url, GUN, ceremonyFiles(out, ['root', 'targets']));

    // 4. The publisher, with the stock client: import the private half, delegate, publish.
    await publisher.ok(['key', 'import', privatePem, '--role', 'targets', '--gun', GUN]);
    const keys = await publisher.ok(['key', 'list']);
    // notary names the key by the same ID root.json lists it under.
    expect(keys.stdout).toMatch(new RegExp(`^targets\\s+\\S+\\s+${publisherKey.keyId}\\s`, 'm'));
    const { keyPem, certPem } = makeDelegationCert(fresh('delegate-keys'), 'releaser');
    await publisher.ok(['delegation', 'add', GUN, DELEGATION, certPem, '--all-paths']);
    await publisher.ok(['publish', GUN]);

    // 5. The delegate publishes a release with its own key only.
    const delegate = clientInMode('tofu', { serverUrl: server.url, gun: GUN, dir: fresh('delegate') });
    await delegate.ok(['key', 'import', keyPem, '-r', DELEGATION]);
    const payload = join(work, 'release.bin');
    writeFileSync(payload, 'release bytes published by the delegate');
    await delegate.ok(['add', '-p', GUN, 'releases/v1.tar.gz', payload, '-r', DELEGATION]);

    // 6. Fresh clients in every trust mode see exactly the delegate's target.
    const expected = expectedList({ 'releases/v1.tar.gz': readFileSync(payload) }, DELEGATION);
    for (const mode of TRUST_MODES) {
      const client = clientInMode(mode, { serverUrl: server.url, gun: GUN, dir: fresh(`list-${mode}`), rootCertKeyIds: summary.rootKeyIds, rootBytes: root });
      expect(parseNotaryList((await client.ok(['list', GUN])).stdout), mode).toEqual(expected);
      if (mode === 'seeded') {
        const repo = verifyRepository(await readRepositoryDir(client.metadataDir(GUN)), { trustedRoot: root, now: new Date(), gun: GUN, requireComplete: true });
        expect(repo.root.signed.version).toBe(1);
        // targets v2 carries the delegation, signed by the publisher's key alone.
        expect(repo.targets!.md.signed.version).toBe(2);
        expect(repo.targets!.md.signatures.map((s) => s.keyid)).toEqual([publisherKey.keyId]);
        expect(repo.targets!.md.signed.delegations?.roles.map((r) => r.name)).toEqual([DELEGATION]);
        expect([...repo.delegated.get(DELEGATION)!.md.signed.targets.keys()]).toEqual(['releases/v1.tar.gz']);
      }
    }
  });
});
