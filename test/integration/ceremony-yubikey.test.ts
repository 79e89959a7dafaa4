/**
 * Issue #13 acceptance: root ceremonies whose custodians' keys are made on emulated YubiKeys through the
 * real stack (the project's PKCS#11 layer → graphene → Debian's ykcs11 2.2.0 → a private pcscd → vpcd →
 * test/support/piv), by `tuf-ceremony run` with site bindings that name each key's PIV slot and take the
 * management key from the environment. Debian's vpcd serves at most two cards to one pcscd (pcscd.ts), and
 * ykcs11 talks to one pcscd per process, so Alice and Bob hold YubiKeys and Carol a SoftHSM2 token (which
 * makes each ceremony a rehearsal in its transcript; nothing else changes):
 *
 * - Alice's TUF root key is in 9c (the card asks the PIN before every signature: root.json, the transcript
 *   seal, a co-signature — each asks the PIN again), Bob's in a slot whose touch policy is "always" (the
 *   card waits for a touch, after "Touch your YubiKey now"), and the bindings name no slot for his
 *   snapshot key: the first empty retired slot is proposed and he confirms it; his card still has the
 *   factory-default management key, which is warned about;
 * - TUF: interrupted right after Bob's root key was made, resumed (the key adopted from its slot), accepted
 *   by tuf-js; then a root rotation (v2) co-signed by Alice and Bob with `tuf-ceremony sign` on their
 *   YubiKeys and merged, which tuf-js accepts from the pinned v1;
 * - Notary: root keys with their certificates made on the cards (Bob's in 9c), snapshot and timestamp
 *   keys from a real notary-server on loopback, published there and listed by the real notary client.
 *
 * The attestation of each key is verified at generation against the emulator's TEST root (--attestation-
 * roots), never mixed with the bundled Yubico roots. The emulated touch waits 300 ms, not 15 s.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTranscript } from '../../src/audit/verify.js';
import { reportError } from '../../src/cli/output.js';
import { runCli } from '../../src/cli/program.js';
import { runCommand, type RunDeps } from '../../src/cli/run.js';
import { buildRotationPayload, buildSigningRequest, serializeSigningRequest } from '../../src/rotation/index.js';
import { finalizeAllModules, TokenModule } from '../../src/signers/pkcs11/module.js';
import { DEFAULT_MANAGEMENT_KEY_WARNING } from '../../src/signers/pkcs11/piv-slots.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { setTouchNotice, touchPrompt, type TouchNotice } from '../../src/signers/pkcs11/piv-touch.js';
import { checkNotaryRootCertificates } from '../../src/tuf/notary-root.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { notaryClient, startNotaryServer } from '../support/notary.js';
import { makeTestAttestationPki, type TestAttestationPki } from '../support/piv/attestation-ca.js';
import { startEmulatedYubiKey, type EmulatedYubiKey } from '../support/piv/emulator.js';
import { startPcscd, type PrivatePcscd } from '../support/piv/pcscd.js';
import { scanForSecrets } from '../support/secret-scan.js';
import { outFiles, outPath, readOut } from '../support/ceremony-out.js';

const YKCS11 = '/usr/lib/x86_64-linux-gnu/libykcs11.so';
const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const enabled = existsSync(YKCS11) && existsSync('/usr/sbin/pcscd') && existsSync(SOFTHSM);
const CAROL = { module: { preset: 'softhsm2' }, token: { label: 'carol' }, pin: { env: 'CAROL_PIN' } };
const GUN = 'registry.example.com/org/yubikey-ceremony';
const SERIALS = { Alice: '20261001', Bob: '20261002' } as const;
const PINS = { ALICE_PIN: '246810', BOB_PIN: '13579111', CAROL_PIN: '864200' };
const MGMT = {
  ALICE_MGMT: '9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928',
  BOB_MGMT: '010203040506070801020304050607080102030405060708', // the factory default: warned about
};
const SECRETS = [...Object.values(PINS), ...Object.values(MGMT)];
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const year = (n: number): string => `${new Date().getUTCFullYear() + n}-06-01T00:00:00Z`;
const readBytes = (d: string, n: string): Uint8Array => new Uint8Array(readFileSync(join(d, n)));

let dir: string;
let pki: TestAttestationPki;
let pcscd: PrivatePcscd;
const cards: Record<string, EmulatedYubiKey> = {};
const touches: TouchNotice[] = [];
let previousTouch: (n: TouchNotice) => void;
let confirmations: string[] = [];
const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tufc-yubikey-ceremony-'));
  pki = await makeTestAttestationPki('legacy');
  writeFileSync(join(dir, 'test-roots.pem'), pki.rootPem);
  pcscd = await startPcscd(2);
  const touch = { delayMs: 300, answer: true };
  cards.Alice = await startEmulatedYubiKey(pcscd, 0, { serial: Number(SERIALS.Alice), pin: PINS.ALICE_PIN, managementKeyHex: MGMT.ALICE_MGMT, touch }, pki);
  // Bob's site prepared slots 82 and 83 with touch "always" (ykman --touch-policy; ykcs11 2.2.0 cannot ask for it).
  cards.Bob = await startEmulatedYubiKey(pcscd, 1, { serial: Number(SERIALS.Bob), pin: PINS.BOB_PIN, managementKeyHex: MGMT.BOB_MGMT, slotPolicies: { '82': { touch: 'always' }, '83': { touch: 'always' } }, touch }, pki);
  // Carol's SoftHSM2 token, in this test's own folder.
  const conf = join(dir, 'softhsm2.conf');
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  savedEnv.SOFTHSM2_CONF = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'carol', '--pin', PINS.CAROL_PIN, '--so-pin', '12345678'], { env: process.env });
  savedEnv.PCSCLITE_CSOCK_NAME = process.env.PCSCLITE_CSOCK_NAME;
  process.env.PCSCLITE_CSOCK_NAME = pcscd.socketPath;
  // `sign` through runCli reads its PIN variable from the process environment (test PINs only).
  for (const [k, v] of Object.entries(PINS)) {
    savedEnv[k] = process.env[k];
    process.env[k] = v;
  }
  previousTouch = setTouchNotice((n) => void touches.push(n));
}, 180_000);

afterAll(async () => {
  if (!enabled) return;
  setTouchNotice(previousTouch);
  try {
    await finalizeAllModules();
  } finally {
    for (const c of Object.values(cards)) await c.stop().catch(() => undefined);
    await pcscd?.stop();
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

function runDeps(over: Partial<RunDeps> = {}): RunDeps {
  return {
    load: (path, opts) => TokenModule.load(path, opts),
    exists: existsSync,
    platform: process.platform,
    env: { ...PINS, ...MGMT },
    // Every PIN and management key comes from the environment; the terminal is only for Bob's proposed slot.
    interactive: true,
    promptPin: () => Promise.reject(new Error('no PIN prompt in tests')),
    confirm: async (question) => {
      confirmations.push(question);
      return true;
    },
    now: () => new Date(),
    ...over,
  };
}

async function cli(fn: (io: { out(s: string): void; err(s: string): void }) => Promise<number>) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) };
  let status: number;
  try {
    status = await fn(io);
  } catch (e) {
    status = reportError(io, e, false);
  }
  return { status, out, err };
}

function writeCeremony(name: string, plan: object, custodians: object): { planPath: string; bindingsPath: string; out: string; d: string } {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const bytes = Buffer.from(JSON.stringify(plan, null, 2));
  const planPath = join(d, 'plan.json');
  writeFileSync(planPath, bytes);
  const bindingsPath = join(d, 'bindings.json');
  writeFileSync(bindingsPath, JSON.stringify({ format: 'tuf-ceremony-site-bindings', version: 1, planSha256: sha256(bytes), module: { path: YKCS11 }, custodians }));
  return { planPath, bindingsPath, out: join(d, 'out'), d };
}

async function serve(d: string): Promise<{ server: Server; base: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const m = /^\/metadata\/([^/]+\.json)$/.exec(path);
    const file = m ? join(d, m[1]!) : undefined;
    if (!file || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/** The tuf-js client, trusting `trustedRoot`, refreshes from `d` served on loopback; returns the root version it ends at. */
async function tufJsRefresh(d: string, trustedRoot: Uint8Array): Promise<string[]> {
  const http = await serve(d);
  const metadataDir = mkdtempSync(join(dir, 'tufjs-md-'));
  const targetDir = mkdtempSync(join(dir, 'tufjs-tg-'));
  writeFileSync(join(metadataDir, 'root.json'), trustedRoot);
  try {
    const updater = new Updater({ metadataDir, targetDir, metadataBaseUrl: `${http.base}/metadata`, targetBaseUrl: `${http.base}/targets`, config: { fetchRetries: 0 } });
    await updater.refresh();
    expect(await updater.getTargetInfo('nothing/here.txt')).toBeUndefined();
    for (const role of ['timestamp', 'snapshot', 'targets']) expect(readBytes(metadataDir, `${role}.json`)).toEqual(readBytes(d, `${role}.json`));
    return http.requests;
  } finally {
    await new Promise<void>((resolve) => http.server.close(() => resolve()));
  }
}

const pivSlot = (tokenKeyIdHex: string | undefined): string | undefined => (tokenKeyIdHex ? ['9a', '9c', '9d', '9e', '82', '83', '84', '85'][parseInt(tokenKeyIdHex, 16) - 1] : undefined);

describe.skipIf(!enabled)('root ceremonies on two emulated YubiKeys (ykcs11 → pcscd → vpcd) and a SoftHSM2 token', () => {
  let tuf: ReturnType<typeof writeCeremony>;

  it('TUF: slots from the bindings (Bob confirms a proposed one), 9c PIN per signature, touch "always"; interrupted and resumed; tuf-js accepts it', async () => {
    const plan = {
      format: 'tuf-ceremony-plan',
      version: 1,
      kind: 'root',
      profile: 'tuf',
      repository: 'example.com/yubikey/tuf',
      custodians: [...(['Alice', 'Bob'] as const).map((name) => ({ name, token: { serial: SERIALS[name] }, keyAlgorithm: 'ecdsa-p256', keyLabel: `tuf-root-${name.toLowerCase()}` })), { name: 'Carol', token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: 'tuf-root-carol' }],
      root: { threshold: 2, expires: year(10) },
      targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'tuf-targets' }, expires: year(3) },
      snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'tuf-snapshot' }, expires: year(3) },
      timestamp: { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 'tuf-timestamp' }, expires: year(1) },
    };
    tuf = writeCeremony('tuf', plan, {
      Alice: { pin: { env: 'ALICE_PIN' }, piv: { slots: { root: '9c', targets: '9d' }, managementKey: { env: 'ALICE_MGMT' } } },
      Bob: { pin: { env: 'BOB_PIN' }, piv: { slots: { root: '82' }, managementKey: { env: 'BOB_MGMT' } } },
      Carol: CAROL,
    });
    const opts = { bindings: tuf.bindingsPath, out: tuf.out, attestationRoots: join(dir, 'test-roots.pem') };
    let once = true;
    const fault = (point: string): void => {
      if (once && point === 'generated:root/Bob') {
        once = false;
        throw new Error('token pulled');
      }
    };
    confirmations = [];
    touches.length = 0;
    const first = await cli((io) => runCommand(tuf.planPath, opts, io, runDeps({ fault })));
    expect(first.status, first.err.join('\n')).toBe(1);
    expect((await cards.Bob!.events()).events.generated).toEqual(['82']);
    const second = await cli((io) => runCommand(tuf.planPath, opts, io, runDeps()));
    expect(second.status, second.err.join('\n')).toBe(0);
    // Bob's card has the factory-default management key: said loudly, on stderr, for each key made on it
    // (his root key before the interruption, his snapshot key after).
    expect(first.err.filter((l) => l === DEFAULT_MANAGEMENT_KEY_WARNING)).toHaveLength(1);
    expect(second.err.filter((l) => l === DEFAULT_MANAGEMENT_KEY_WARNING)).toHaveLength(1);
    expect(confirmations).toHaveLength(1);
    expect(confirmations[0]).toMatch(/no PIV slot for Bob's snapshot key\. Make it in slot 83, the first empty retired slot/);

    // Each key where the bindings put it (Bob's snapshot key in the proposed 83), found again by slot on resume.
    const events = async (name: string) => (await cards[name]!.events()).events;
    expect((await events('Alice')).generated).toEqual(['9c', '9d']);
    expect((await events('Bob')).generated).toEqual(['82', '83']); // not made twice
    const state = JSON.parse(readFileSync(outPath(tuf.out, 'ceremony-state.json'), 'utf8')) as { keys: Record<string, { tokenKeyId?: string }> };
    expect(Object.fromEntries(Object.entries(state.keys).map(([k, v]) => [k, pivSlot(v.tokenKeyId)]))).toEqual({
      'root/Alice': '9c',
      'root/Bob': '82',
      'root/Carol': undefined, // SoftHSM2: a random 16-byte CKA_ID
      targets: '9d',
      snapshot: '83',
      timestamp: undefined,
    });
    const t = verifyTranscript(readOut(tuf.out, 'transcript.jsonl'));
    expect(t.entries.find((e) => e.step === 'key.generate' && e.actor.name === 'Bob' && e.token?.label === 'tuf-root-bob')!.note).toMatch(/adopted/);
    // Bob's touch-"always" root key: each of its signatures (self-test at generation, root.json) was
    // announced and touched.
    expect(touches.filter((n) => n.serial === SERIALS.Bob && n.policy === 'always').length).toBeGreaterThanOrEqual(1);
    expect(touches.map((n) => n.message)).toContain(touchPrompt(SERIALS.Bob));
    expect((await events('Bob')).touches).toBeGreaterThanOrEqual(2);

    // The attestation of every YubiKey key is recorded (h13b's half of #13), Carol's SoftHSM2 key has none;
    // attestations.json beside the metadata is checked by `verify` against the test root, and refused
    // against the bundled Yubico roots.
    const attested = t.entries.filter((e) => e.step === 'key.attestation');
    // (A key made before the interruption is attested again when the resumed step finds it.)
    const byKey = (re: RegExp) => [...new Set(attested.filter((e) => re.test(e.note ?? '')).map((e) => `${e.actor.name} ${e.token!.keyId}`))];
    expect(byKey(/generated on YubiKey serial 2026100[12]/).map((k) => k.split(' ')[0]).sort()).toEqual(['Alice', 'Alice', 'Bob', 'Bob']);
    expect(byKey(/no attestation/).map((k) => k.split(' ')[0]).sort()).toEqual(['Carol', 'Carol']);
    expect(existsSync(outPath(tuf.out, 'attestations.json'))).toBe(true);
    const published = join(tuf.d, 'published');
    mkdirSync(published);
    for (const f of readdirSync(outPath(tuf.out, 'metadata'))) if (/^((\d+\.)?(root|targets|snapshot|timestamp)|attestations)\.json$/.test(f)) copyFileSync(join(tuf.out, 'metadata', f), join(published, f));
    const checked = await cli((io) => runCli(['verify', published, '--root', outPath(tuf.out, '1.root.json'), '--attestation-roots', join(dir, 'test-roots.pem')], io));
    expect(checked.status, checked.err.join('\n')).toBe(0);
    expect(checked.out.join('\n')).toMatch(/generated on YubiKey serial 20261001/);
    const foreign = await cli((io) => runCli(['verify', published, '--root', outPath(tuf.out, '1.root.json')], io));
    expect(foreign.status).toBe(1);
    expect(foreign.err[0]).toMatch(/^error\[ATTESTATION_UNKNOWN_ROOT\]/);

    const requests = await tufJsRefresh(outPath(tuf.out, 'metadata'), readOut(tuf.out, '1.root.json'));
    expect(requests).toEqual(expect.arrayContaining(['/metadata/2.root.json', '/metadata/timestamp.json']));
    for (const name of outFiles(tuf.out)) expect(scanForSecrets(readBytes(tuf.out, name), SECRETS), name).toEqual([]);
    for (const line of [...first.out, ...first.err, ...second.out, ...second.err]) for (const s of SECRETS) expect(line).not.toContain(s);
  }, 600_000);

  it('TUF root v2 co-signed with `sign` on Alice’s 9c key (PIN again) and Bob’s touch key, merged; tuf-js accepts it from the pinned v1', async () => {
    const rootV1 = readOut(tuf.out, '1.root.json');
    const payload = buildRotationPayload(rootV1, { expires: formatExpires(new Date(Date.now() + 6 * 365 * 86_400_000)) }, {});
    const request = buildSigningRequest(payload, { repository: 'example.com/yubikey/tuf' });
    const requestPath = join(tuf.d, 'request.json');
    writeFileSync(requestPath, serializeSigningRequest(request));
    const aliceBefore = (await cards.Alice!.events()).events.signatures;
    const bobTouches = (await cards.Bob!.events()).events.touches;
    const responses: string[] = [];
    for (const name of ['Alice', 'Bob'] as const) {
      const out = join(tuf.d, `${name.toLowerCase()}.response.json`);
      const c = await cli((io) => runCli(['sign', requestPath, '--out', out, '--module', YKCS11, '--token', SERIALS[name], '--label', `tuf-root-${name.toLowerCase()}`, '--pin-env', `${name.toUpperCase()}_PIN`], io));
      expect([name, c.status], c.err.join('\n')).toEqual([name, 0]);
      // The CLI says it on stderr before the touch-"always" key signs, and not for Alice's touch-"never" key.
      if (name === 'Bob') expect(c.err).toContain(touchPrompt(SERIALS.Bob));
      else expect(c.err.join('\n')).not.toContain('Touch your YubiKey');
      responses.push(out);
    }
    // Alice's 9c key signed once (same key in v1 and v2: one signature per key ID, old and new alike).
    expect((await cards.Alice!.events()).events.signatures).toBeGreaterThan(aliceBefore);
    expect((await cards.Bob!.events()).events.touches).toBeGreaterThan(bobTouches);
    const v2 = join(tuf.d, 'rotated');
    mkdirSync(v2);
    for (const f of ['1.root.json', '2.root.json', 'targets.json', 'snapshot.json', 'timestamp.json']) if (existsSync(outPath(tuf.out, f))) copyFileSync(outPath(tuf.out, f), join(v2, f));
    // The ceremony's root.json is 1.root.json (2.root.json is not written by a root ceremony).
    expect(existsSync(join(v2, '2.root.json'))).toBe(false);
    const m = await cli((io) => runCli(['merge', requestPath, ...responses, '--out', join(v2, '2.root.json')], io));
    expect(m.status, m.err.join('\n')).toBe(0);
    const requests = await tufJsRefresh(v2, rootV1);
    expect(requests).toEqual(expect.arrayContaining(['/metadata/2.root.json', '/metadata/3.root.json']));
  }, 600_000);

  it('Notary: root certificates made on the cards (Bob’s 9c asks the PIN per signature); notary-server takes it and the notary client lists it', async () => {
    const server = await startNotaryServer();
    try {
      const w0 = join(dir, 'notary');
      mkdirSync(w0, { recursive: true });
      const ts = await server.tufFile(GUN, 'timestamp.key');
      const sn = await server.tufFile(GUN, 'snapshot.key');
      writeFileSync(join(w0, 'timestamp.key'), ts);
      writeFileSync(join(w0, 'snapshot.key'), sn);
      const plan = {
        format: 'tuf-ceremony-plan',
        version: 1,
        kind: 'root',
        profile: 'notary',
        repository: GUN,
        custodians: [...(['Alice', 'Bob'] as const).map((name) => ({ name, token: { serial: SERIALS[name] }, keyAlgorithm: 'ecdsa-p256', keyLabel: `notary-root-${name.toLowerCase()}` })), { name: 'Carol', token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: 'notary-root-carol' }],
        root: { threshold: 2, expires: year(10) },
        targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'notary-targets' }, expires: year(3) },
        snapshot: { keyFile: 'snapshot.key', sha256: sha256(sn) },
        timestamp: { keyFile: 'timestamp.key', sha256: sha256(ts) },
      };
      const w = writeCeremony('notary', plan, {
        Alice: { pin: { env: 'ALICE_PIN' }, piv: { slots: { root: '84', targets: '85' }, managementKey: { env: 'ALICE_MGMT' } } },
        Bob: { pin: { env: 'BOB_PIN' }, piv: { slots: { root: '9c' }, managementKey: { env: 'BOB_MGMT' } } },
        Carol: CAROL,
      });
      confirmations = [];
      const r = await cli((io) => runCommand(w.planPath, { bindings: w.bindingsPath, out: w.out, attestationRoots: join(dir, 'test-roots.pem') }, io, runDeps()));
      expect(r.status, r.err.join('\n')).toBe(0);
      expect(confirmations).toEqual([]);
      expect((await cards.Bob!.events()).events.generated).toEqual(['82', '83', '9c']);
      expect((await cards.Alice!.events()).events.generated).toEqual(['9c', '9d', '84', '85']);
      const root = readOut(w.out, 'root.json');
      const v = verifyRepository({ versionedRoots: new Map(), root, targets: readOut(w.out, 'targets.json'), delegated: new Map() }, { trustedRoot: root, now: new Date(), gun: GUN });
      expect(checkNotaryRootCertificates(v.root, new Date(), GUN)).toBe(GUN);
      // Every root key's certificate was made by its key on its token, Bob's 9c included.
      const certs = v.root.signed.roles.get('root')!.keyids.map((id) => v.root.signed.keys.get(id)!);
      expect(certs).toHaveLength(3);
      for (const k of certs) expect(new X509Certificate(Buffer.from((k.json.keyval as { public: string }).public, 'base64')).subject).toContain(`CN=${GUN}`);

      const form = new FormData();
      for (const role of ['root', 'targets']) form.append('files', new Blob([Buffer.from(readOut(w.out, `${role}.json`))]), role);
      const res = await fetch(`${server.url}/v2/${GUN}/_trust/tuf/`, { method: 'POST', body: form });
      expect(res.status, await res.text()).toBe(200);
      const client = notaryClient({ serverUrl: server.url });
      const list = await client.run(['list', GUN]);
      expect(list.code, list.stdout + list.stderr).toBe(0);
      expect(list.stdout).toMatch(/No targets present/);
      expect(readBytes(client.metadataDir(GUN), 'root.json')).toEqual(root);
      for (const name of outFiles(w.out)) expect(scanForSecrets(readBytes(w.out, name), SECRETS), name).toEqual([]);
    } finally {
      await server.stop();
    }
  }, 600_000);
});
