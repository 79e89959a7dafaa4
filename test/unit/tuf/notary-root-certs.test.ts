/**
 * Issue #12 point 9 (first two parts), through the CLI:
 *  - Notary roots the stock notary client rejects are refused by `verify` and `import`: a certificate whose
 *    validity window is inverted (notary ValidateCertificate), bytes after the certificate inside its PEM
 *    block (Go x509.ParseCertificate: "trailing data"), an undecodable block later in the PEM chain
 *    (LoadCertBundleFromPEM fails on it) — and the same root with a sound certificate passes, so each
 *    refusal is the certificate's doing;
 *  - `verify BUNDLE` checks the root certificates' names against the repository the bundle names, as
 *    `import` does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeBundle, type BundleContent } from '../../../src/bundle/format.js';
import { runCli } from '../../../src/cli/program.js';
import type { JsonObject } from '../../../src/json/types.js';
import { getProfile } from '../../../src/profiles/index.js';
import { captureIo } from '../../support/cli-io.js';
import { repositoryState } from '../../support/fork.js';
import { makeKey, type TestKey } from '../../support/keys.js';
import { concat, parseTlvs, tlv } from '../../support/piv/tlv.js';
import { GUN, rootSigned, sign, type RootKeys } from '../../support/repo.js';
import { treeHash } from '../../support/trust-tree.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const HOUR = 3600 * 1000;

/** The key `k` listed with another certificate PEM (its key ID recomputed); it still signs with k's private key. */
function withPem(k: TestKey, pem: string): TestKey {
  const json: JsonObject = { keytype: 'ecdsa-x509', keyval: { private: null, public: Buffer.from(pem).toString('base64') } };
  return { ...k, json, keyId: getProfile('notary').keyId(json) };
}

function pemOf(k: TestKey): string {
  return Buffer.from((k.json.keyval as JsonObject).public as string, 'base64').toString('utf8');
}

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, ''), 'base64');
}

function goPem(der: Uint8Array): string {
  return `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * The certificate with its TBS `signature` and outer `signatureAlgorithm` AlgorithmIdentifiers (RFC 5280
 * §4.1.1.2, §4.1.2.3) replaced by these contents; the signature bytes stay (notary reads, never verifies, them).
 */
function withSignatureAlgorithms(der: Uint8Array, inner: Uint8Array, outer: Uint8Array): Uint8Array {
  const [cert] = parseTlvs(der);
  const [tbs, , signatureValue] = parseTlvs(cert!.value);
  const fields = parseTlvs(tbs!.value); // [0] version, serialNumber, signature, issuer, ...
  expect(fields[0]!.tag).toBe(0xa0);
  fields[2] = { tag: 0x30, value: inner };
  return tlv(0x30, concat(tlv(0x30, concat(...fields.map((f) => tlv(f.tag, f.value)))), tlv(0x30, outer), tlv(signatureValue!.tag, signatureValue!.value)));
}

const ECDSA_SHA256 = Uint8Array.of(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02);
const ECDSA_SHA384 = Uint8Array.of(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03);
const SHA1_RSA_OIW = Uint8Array.of(0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1d, 0x05, 0x00);
const DSA_SHA1 = Uint8Array.of(0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03);

describe('Notary root certificates the notary client refuses', () => {
  let others: Omit<RootKeys, 'root'>;
  let good: TestKey;
  const bad: [string, () => Promise<TestKey>, string][] = [];
  beforeAll(async () => {
    others = { targets: [await makeKey('notary', 'ecdsa-p256')], snapshot: [await makeKey('notary', 'ecdsa-p256')], timestamp: [await makeKey('notary', 'ed25519')] };
    good = await makeKey('notary', 'ecdsa-x509', GUN);
  });
  bad.push(
    ['validity window inverted (not before 13 h ahead, not after 12 h ahead: neither expired nor too far ahead)', () => makeKey('notary', 'ecdsa-x509', GUN, { notBefore: new Date(Date.now() + 13 * HOUR), notAfter: new Date(Date.now() + 12 * HOUR) }), 'CERTIFICATE_INVALID'],
    ['two bytes after the certificate inside its PEM block', async () => withPem(good, goPem(Buffer.concat([derOf(pemOf(good)), Buffer.from([0, 0])]))), 'KEY_INVALID'],
    ['an undecodable second block in the PEM chain', async () => withPem(good, `${pemOf(good)}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`), 'KEY_INVALID'],
    // Go x509.ParseCertificate: "inner and outer signature algorithm identifiers don't match".
    ['inner signature algorithm ecdsa-with-SHA256, outer ecdsa-with-SHA384', async () => withPem(good, goPem(withSignatureAlgorithms(derOf(pemOf(good)), ECDSA_SHA256, ECDSA_SHA384))), 'KEY_INVALID'],
    // Go reads these as SHA1WithRSA and DSAWithSHA1; notary ValidateCertificate refuses SHA-1 signatures.
    ['signed with sha1WithRSA under its OIW OID 1.3.14.3.2.29', async () => withPem(good, goPem(withSignatureAlgorithms(derOf(pemOf(good)), SHA1_RSA_OIW, SHA1_RSA_OIW))), 'CERTIFICATE_INVALID'],
    ['signed with dsa-with-sha1 (1.2.840.10040.4.3)', async () => withPem(good, goPem(withSignatureAlgorithms(derOf(pemOf(good)), DSA_SHA1, DSA_SHA1))), 'CERTIFICATE_INVALID'],
    ['a second block that is not strict base64', async () => withPem(good, `${pemOf(good)}-----BEGIN CERTIFICATE-----\nAA=A\n-----END CERTIFICATE-----\n`), 'KEY_INVALID'],
  );

  async function site(rootKey: TestKey) {
    const dir = tmp('tufc-notary-cert-');
    const keys: RootKeys = { root: [rootKey], ...others };
    const root = await sign('notary', rootSigned('notary', 1, keys), [rootKey]);
    const rootFile = join(dir, 'root.json');
    writeFileSync(rootFile, root);
    const bundle = (content: BundleContent) => {
      const p = join(dir, `b-${Math.random()}.tufbundle`);
      writeFileSync(p, encodeBundle(content));
      return p;
    };
    const trust = join(dir, 'site', 'trust');
    mkdirSync(trust, { recursive: true });
    return { dir, rootFile, trust, content: await repositoryState('notary', GUN, [root], keys, 1, 'app'), bundle };
  }
  const cli = async (args: string[]) => {
    const io = captureIo();
    const status = await runCli(args, io.io);
    return { status, first: io.err[0] ?? '' };
  };

  it('control: the same root with a sound certificate verifies and imports', async () => {
    const s = await site(good);
    expect((await cli(['verify', s.rootFile, '--root', s.rootFile])).status).toBe(0);
    const r = await cli(['import', s.bundle(s.content), '--trust-dir', s.trust, '--root', s.rootFile]);
    expect(r.status, r.first).toBe(0);
  });

  it.each(bad.map(([name, make, code]) => [name, code, make] as const))('%s: verify and import refuse it (%s), nothing installed', async (_name, code, make) => {
    const s = await site(await make());
    const v = await cli(['verify', s.rootFile, '--root', s.rootFile]);
    expect(v.first).toMatch(new RegExp(`^error\\[${code}\\]`));
    expect(v.status).toBe(1);
    const before = treeHash(join(s.dir, 'site'));
    const i = await cli(['import', s.bundle(s.content), '--trust-dir', s.trust, '--root', s.rootFile]);
    expect(i.first).toMatch(new RegExp(`^error\\[${code}\\]`));
    expect(i.status).toBe(1);
    expect(treeHash(join(s.dir, 'site'))).toBe(before);
  });

  it('verify BUNDLE checks the certificates’ names against the repository the bundle names, as import does', async () => {
    const s = await site(good);
    const elsewhere = s.bundle({ ...s.content, repository: 'registry.example.com/other/app' });
    const v = await cli(['verify', elsewhere, '--root', s.rootFile]);
    expect(v.first).toMatch(/^error\[CERTIFICATE_INVALID\]: root certificate names "registry.example.com\/org\/app", not the repository "registry.example.com\/other\/app"/);
    expect(v.status).toBe(1);
    const i = await cli(['import', elsewhere, '--trust-dir', s.trust, '--root', s.rootFile]);
    expect(i.first).toMatch(/^error\[CERTIFICATE_INVALID\]/);
    // The bundle that names its own repository verifies.
    expect((await cli(['verify', s.bundle(s.content), '--root', s.rootFile])).status).toBe(0);
  });
});
