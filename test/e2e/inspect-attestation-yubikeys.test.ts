/**
 * The Inspect screen on the attestations.json of a TUF root ceremony whose three custodians made their keys
 * on three emulated YubiKeys (issue #13 acceptance; the stack as in test/integration/ceremony-yubikey:
 * ykcs11 → a private pcscd → vpcd → test/support/piv, slots from the bindings, management keys from the
 * environment, attestation required by the plan and checked at generation against the emulator's TEST
 * root). The app trusts Yubico's bundled roots only — no test root can reach it — so each of the three root
 * keys is listed, by its key ID, as refused in words: its chain ends at the TEST root, not at Yubico's.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCommand } from '../../src/cli/run.js';
import { finalizeAllModules, TokenModule } from '../../src/signers/pkcs11/module.js';
import { setTouchNotice } from '../../src/signers/pkcs11/piv-touch.js';
import { outPath } from '../support/ceremony-out.js';
import { makeTestAttestationPki } from '../support/piv/attestation-ca.js';
import { startEmulatedYubiKey, type EmulatedYubiKey } from '../support/piv/emulator.js';
import { startPcscd, type PrivatePcscd } from '../support/piv/pcscd.js';
import { startSession, type E2eSession } from './support/session.js';
import { hasCliOrPathText } from '../../renderer/src/lib/format.js';

const YKCS11 = '/usr/lib/x86_64-linux-gnu/libykcs11.so';
const enabled = existsSync(YKCS11) && existsSync('/usr/sbin/pcscd');
const CUSTODIANS = ['Alice', 'Bob', 'Carol'] as const;
const SERIALS = { Alice: '20264001', Bob: '20264002', Carol: '20264003' };
const ENV = {
  ALICE_PIN: '246810',
  BOB_PIN: '13579111',
  CAROL_PIN: '864200',
  ALICE_MGMT: '9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928',
  BOB_MGMT: '1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988',
  CAROL_MGMT: '5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f',
};
const year = (n: number): string => `${new Date().getUTCFullYear() + n}-06-01T00:00:00Z`;

let work: string;
let pcscd: PrivatePcscd | undefined;
const cards: EmulatedYubiKey[] = [];
let session: E2eSession | undefined;
let metadataDir: string;
let rootKeyIds: string[];
let savedSocket: string | undefined;

beforeAll(async () => {
  if (!enabled) return;
  work = mkdtempSync(join(tmpdir(), 'tufc-e2e-attest-yk-'));
  const pki = await makeTestAttestationPki('legacy');
  writeFileSync(join(work, 'test-roots.pem'), pki.rootPem);
  pcscd = await startPcscd(3);
  for (const [i, name] of CUSTODIANS.entries()) {
    const env = name.toUpperCase();
    cards.push(await startEmulatedYubiKey(pcscd, i, { serial: Number(SERIALS[name]), pin: ENV[`${env}_PIN` as keyof typeof ENV], managementKeyHex: ENV[`${env}_MGMT` as keyof typeof ENV], touch: { delayMs: 300, answer: true } }, pki));
  }
  savedSocket = process.env.PCSCLITE_CSOCK_NAME;
  process.env.PCSCLITE_CSOCK_NAME = pcscd.socketPath;
  const plan = Buffer.from(
    JSON.stringify({
      format: 'tuf-ceremony-plan',
      version: 1,
      kind: 'root',
      profile: 'tuf',
      repository: 'example.com/yubikey/e2e',
      custodians: CUSTODIANS.map((name) => ({ name, token: { serial: SERIALS[name] }, keyAlgorithm: 'ecdsa-p256', keyLabel: `root-${name.toLowerCase()}` })),
      root: { threshold: 2, expires: year(10) },
      targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: year(3) },
      snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: year(3) },
      timestamp: { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 'timestamp' }, expires: year(1) },
      attestation: { required: true },
    }),
  );
  writeFileSync(join(work, 'plan.json'), plan);
  const slots = { Alice: { root: '9c', targets: '9d' }, Bob: { root: '82', snapshot: '83' }, Carol: { root: '9d', timestamp: '84' } };
  const custodians = Object.fromEntries(CUSTODIANS.map((name) => [name, { pin: { env: `${name.toUpperCase()}_PIN` }, piv: { slots: slots[name], managementKey: { env: `${name.toUpperCase()}_MGMT` } } }]));
  writeFileSync(join(work, 'bindings.json'), JSON.stringify({ format: 'tuf-ceremony-site-bindings', version: 1, planSha256: createHash('sha256').update(plan).digest('hex'), module: { path: YKCS11 }, custodians }));
  const out = join(work, 'out');
  const err: string[] = [];
  const previousTouch = setTouchNotice(() => undefined);
  try {
    const status = await runCommand(join(work, 'plan.json'), { bindings: join(work, 'bindings.json'), out, attestationRoots: join(work, 'test-roots.pem') }, { out: () => undefined, err: (s) => void err.push(s) }, {
      load: (path, opts) => TokenModule.load(path, opts),
      exists: existsSync,
      platform: process.platform,
      env: ENV,
      interactive: false,
      promptPin: () => Promise.reject(new Error('no PIN prompt in tests')),
      confirm: () => Promise.reject(new Error('no confirmation in this test: every slot is in the bindings')),
      now: () => new Date(),
    });
    expect(status, err.join('\n')).toBe(0);
  } finally {
    setTouchNotice(previousTouch);
  }
  metadataDir = outPath(out, 'metadata');
  expect(existsSync(join(metadataDir, 'attestations.json'))).toBe(true);
  rootKeyIds = (JSON.parse(readFileSync(outPath(out, 'root.json'), 'utf8')) as { signed: { roles: { root: { keyids: string[] } } } }).signed.roles.root.keyids;
  expect(rootKeyIds).toHaveLength(3);
  session = await startSession();
}, 600_000);

afterAll(async () => {
  if (!enabled) return;
  try {
    await session?.close();
    await finalizeAllModules();
  } finally {
    for (const c of cards) await c.stop().catch(() => undefined);
    await pcscd?.stop();
    if (savedSocket === undefined) delete process.env.PCSCLITE_CSOCK_NAME;
    else process.env.PCSCLITE_CSOCK_NAME = savedSocket;
    if (work) rmSync(work, { recursive: true, force: true });
  }
}, 120_000);

describe.skipIf(!enabled)('Inspect screen: attestations of a ceremony on three emulated YubiKeys', () => {
  test('each root key is listed and refused in words: its chain ends at the TEST root, not one of Yubico’s', async () => {
    const { page, errors, choose } = await session!.open();
    await choose('Open a metadata directory…', metadataDir);
    const panel = page.getByRole('region', { name: 'Where the keys were generated' });
    await panel.waitFor();
    // Every key the ceremony made is on a card and listed: the three root keys, targets, snapshot, timestamp.
    await expect(panel.getByRole('listitem').count()).resolves.toBe(6);
    for (const keyId of rootKeyIds) {
      const item = panel.getByRole('listitem').filter({ hasText: keyId.slice(0, 16) });
      await expect(item.count()).resolves.toBe(1);
      const text = await item.innerText();
      expect(text).toMatch(/✗\s*Refused\s*ATTESTATION_UNKNOWN_ROOT/);
      expect(text).toContain('TEST Yubico PIV Root CA Serial 1');
      expect(text).toContain('The attestation ends at a root that is not one of Yubico’s');
      expect(text).not.toMatch(/✓\s*Attested/);
    }
    // Words, not the parser's paths into attestations.json (issue #16's sweep).
    expect(hasCliOrPathText(await panel.innerText())).toBe(false);
    await page.screenshot({ path: '/tmp/e2e-inspect-attestation-yubikeys.png', fullPage: true });
    expect(errors).toEqual([]);
  }, 180_000);
});
