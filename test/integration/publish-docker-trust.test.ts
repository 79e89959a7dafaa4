/**
 * Issue #14 acceptance: Debian's Docker CLI (`/usr/bin/docker`, docker.io 20.10, client only — NOT the
 * unrelated /usr/local/bin/docker) lists the signers of a repository made with our code and uploaded with
 * `tuf-ceremony publish` to notary-server over TLS with token auth. Docker's rules (FIELD-NOTES "Docker
 * CLI"): the trust server comes from DOCKER_CONTENT_TRUST_SERVER and must be https; its CA is
 * `$DOCKER_CONFIG/tls/HOST:PORT/ca.crt` (the same TLS settings reach the token realm); the GUN of image
 * `org/app` is `docker.io/org/app`; signers are delegation roles (`targets/<name>`), and tags are read from
 * `targets/releases` (and `targets`). Reading needs only an anonymous pull token.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishCommand } from '../../src/cli/publish.js';
import { httpsTransport } from '../../src/io/https-transport.js';
import { NotaryServerApi } from '../../src/publish/notary-server.js';
import { AuthorizedClient } from '../../src/publish/registry-auth.js';
import { captureIo } from '../support/cli-io.js';
import { run, writeTree } from '../support/notary.js';
import { startTlsNotaryServer, TOKEN_PASSWORD, TOKEN_USER, type TlsNotaryServer } from '../support/notary-tls.js';
import { notaryRootSigned, notaryTargetsSigned, ourKey, ourRootKey, signNotary, type KeyEntry } from '../support/notary-publish.js';
import { testServerDeps } from '../support/server-deps.js';

const DOCKER = '/usr/bin/docker';
const IMAGE = 'org/app';
const GUN = `docker.io/${IMAGE}`;

describe('docker trust inspect on a repository published with tuf-ceremony publish', () => {
  let server: TlsNotaryServer;
  let work: string;

  beforeAll(async () => {
    // Installed by .ci/run (Debian's docker.io); a missing client fails the test rather than skipping it.
    if (!existsSync(DOCKER)) throw new Error(`${DOCKER} is missing: apt-get install docker.io (Debian's Docker CLI; /usr/local/bin/docker is another one)`);
    work = mkdtempSync(join(tmpdir(), 'tufc-docker-trust-'));
    server = await startTlsNotaryServer();
  });

  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('lists the signer, its key and the signed tag', async () => {
    const ca = readFileSync(server.certs.caFile, 'utf8');
    const api = new NotaryServerApi(
      new AuthorizedClient({ access: { server: server.url, repository: GUN, actions: ['pull', 'push'], tokenRealms: [new URL(server.issuer.realm).origin] }, transport: httpsTransport({ ca }), credentials: () => Promise.resolve({ username: TOKEN_USER, password: new TextEncoder().encode(TOKEN_PASSWORD) }) }),
      server.url,
      GUN,
    );
    const serverKey = async (role: 'timestamp' | 'snapshot'): Promise<KeyEntry> => {
      const k = await api.getKey(role);
      return { json: k.json, keyId: k.keyId };
    };
    const rootKey = await ourRootKey(GUN);
    const targetsKey = ourKey();
    const alice = ourKey();
    const root = await signNotary(
      notaryRootSigned({ version: 1, root: [rootKey], rootThreshold: 1, targets: [targetsKey], snapshot: [await serverKey('snapshot')], timestamp: [await serverKey('timestamp')] }),
      [rootKey.signer],
    );
    // As `docker trust signer add alice` lays it out: targets/alice and targets/releases, both with Alice's key.
    const delegations = [
      { name: 'targets/alice', keys: [alice] },
      { name: 'targets/releases', keys: [alice] },
    ];
    const manifest = new TextEncoder().encode('{"schemaVersion":2,"note":"a manifest stand-in"}');
    const dir = join(work, 'repo');
    writeTree(
      dir,
      new Map([
        ['root.json', root],
        ['targets.json', await signNotary(notaryTargetsSigned(1, {}, delegations), [targetsKey.signer])],
        ['targets/releases.json', await signNotary(notaryTargetsSigned(1, { v1: manifest }), [alice.signer])],
        // `docker trust sign` by Alice writes the tag into every role that lists her key.
        ['targets/alice.json', await signNotary(notaryTargetsSigned(1, { v1: manifest }), [alice.signer])],
      ]),
    );
    const c = captureIo();
    const code = await publishCommand(dir, { server: server.url, gun: GUN, caFile: server.certs.caFile, tokenRealm: [server.issuer.realm] }, c.io, testServerDeps({ registry: true }));
    expect(code, c.err.join('\n')).toBe(0);
    expect(c.out[0]).toMatch(/^published: root, targets, targets\/alice, targets\/releases to /);

    const dockerConfig = join(work, 'docker-config');
    mkdirSync(join(dockerConfig, 'tls', server.hostPort), { recursive: true });
    writeFileSync(join(dockerConfig, 'tls', server.hostPort, 'ca.crt'), ca);
    writeFileSync(join(dockerConfig, 'config.json'), '{}');
    const env = { PATH: '/usr/bin:/bin', HOME: work, DOCKER_CONFIG: dockerConfig, DOCKER_CONTENT_TRUST_SERVER: server.url, DOCKER_CONTENT_TRUST: '1' };
    const r = await run(DOCKER, ['trust', 'inspect', IMAGE], { env, timeoutMs: 60_000 });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const inspected = JSON.parse(r.stdout) as {
      Name: string;
      SignedTags: { SignedTag: string; Digest: string; Signers: string[] }[];
      Signers: { Name: string; Keys: { ID: string }[] }[];
      AdministrativeKeys: { Name: string; Keys: { ID: string }[] }[];
    }[];
    expect(inspected).toHaveLength(1);
    const [repo] = inspected;
    expect(repo!.Signers.map((s) => s.Name)).toEqual(['alice']);
    expect(repo!.SignedTags.map((t) => [t.SignedTag, t.Digest])).toEqual([['v1', Buffer.from(await crypto.subtle.digest('SHA-256', manifest)).toString('hex')]]);
    // Docker names a tag's signers by the signer roles whose keys signed the releases entry: Alice.
    expect(repo!.SignedTags[0]!.Signers).toEqual(['alice']);
    const admin = new Map(repo!.AdministrativeKeys.map((k) => [k.Name, k.Keys.map((x) => x.ID)]));
    expect(admin.get('Repository')).toEqual([targetsKey.keyId]);
    expect(admin.get('Root')).toHaveLength(1);
  });
});
