/**
 * Issue #12 point 9, checked against the real peer: the root certificates `verify` and `import` refuse
 * (test/unit/tuf/notary-root-certs.test.ts) are ones the stock `notary` client refuses too. Each
 * repository is written straight into a Notary trust directory (bypassing our import) and listed offline
 * (`-s` a closed loopback port): the sound certificate lists, the hostile ones do not.
 */
import { mkdirSync, writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../src/json/types.js';
import { getProfile } from '../../src/profiles/index.js';
import { repositoryState } from '../support/fork.js';
import { makeKey, type TestKey } from '../support/keys.js';
import { freePort, notaryClient } from '../support/notary.js';
import { GUN, rootSigned, sign, type RootKeys } from '../support/repo.js';
import { tempDirs } from '../support/temp-dirs.js';

const tmp = tempDirs();

const HOUR = 3600 * 1000;

function withPem(k: TestKey, pem: string): TestKey {
  const json: JsonObject = { keytype: 'ecdsa-x509', keyval: { private: null, public: Buffer.from(pem).toString('base64') } };
  return { ...k, json, keyId: getProfile('notary').keyId(json) };
}
const pemOf = (k: TestKey) => Buffer.from((k.json.keyval as JsonObject).public as string, 'base64').toString('utf8');
const derOf = (pem: string) => Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, ''), 'base64');
const goPem = (der: Uint8Array) => `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;

describe('the notary client refuses the root certificates we refuse', () => {
  let others: Omit<RootKeys, 'root'>;
  let good: TestKey;
  beforeAll(async () => {
    others = { targets: [await makeKey('notary', 'ecdsa-p256')], snapshot: [await makeKey('notary', 'ecdsa-p256')], timestamp: [await makeKey('notary', 'ed25519')] };
    good = await makeKey('notary', 'ecdsa-x509', GUN);
  });

  async function listOffline(rootKey: TestKey) {
    const trustDir = tmp('tufc-notary-certs-');
    const keys: RootKeys = { root: [rootKey], ...others };
    const root = await sign('notary', rootSigned('notary', 1, keys), [rootKey]);
    const content = await repositoryState('notary', GUN, [root], keys, 1, 'app');
    const metadata = join(trustDir, 'tuf', ...GUN.split('/'), 'metadata');
    mkdirSync(metadata, { recursive: true });
    for (const f of content.files) if (!/^\d+\.root\.json$/.test(f.name)) writeFileSync(join(metadata, f.name), f.bytes);
    const client = notaryClient({ serverUrl: `http://127.0.0.1:${await freePort()}`, trustDir });
    return client.run(['-D', 'list', GUN], { timeoutMs: 60_000 });
  }

  it('control: a sound certificate lists offline', async () => {
    const r = await listOffline(good);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('app.tar.gz');
  }, 90_000);

  // The reason is what the client logs with -D (notary trustpinning ValidateRoot, measured with Debian's notary).
  const bad: [string, string, () => Promise<TestKey>][] = [
    ['bytes after the certificate', 'x509: trailing data', async () => withPem(good, goPem(Buffer.concat([derOf(pemOf(good)), Buffer.from([0, 0])])))],
    ['an undecodable second block in the PEM chain', 'x509: malformed certificate', async () => withPem(good, `${pemOf(good)}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`)],
    ['an inverted validity window', 'certificate validity window is invalid', () => makeKey('notary', 'ecdsa-x509', GUN, { notBefore: new Date(Date.now() + 13 * HOUR), notAfter: new Date(Date.now() + 12 * HOUR) })],
  ];
  it.each(bad)('%s: the notary client does not list it (%s)', async (_name, reason, make) => {
    const r = await listOffline(await make());
    expect(r.timedOut).toBe(false);
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.stderr).toContain(reason);
    expect(r.stderr).toContain('no valid leaf certificates found in any of the root keys');
  }, 90_000);
});
