/**
 * Issue #13 acceptance: root ceremonies whose three custodians' keys are all made on emulated YubiKeys
 * through the real stack (the project's PKCS#11 layer → graphene → Debian's ykcs11 2.2.0 → one private
 * pcscd → vpcd, one reader copy per two cards (pcscd.ts) → test/support/piv), by `tuf-ceremony run` with
 * site bindings that name each key's PIV slot and take each management key from the environment. No
 * software token takes part, so neither ceremony is a rehearsal (state, transcript and stdout say so), and
 * each plan requires an attestation of every root key:
 *
 * - Alice's TUF root key is in 9c (the card asks the PIN before every signature: root.json, the transcript
 *   seal, a co-signature — each asks the PIN again), Bob's in a slot whose touch policy is "always" (the
 *   card waits for a touch, after "Touch your YubiKey now"), and the bindings name no slot for his
 *   snapshot key: the first empty retired slot is proposed and he confirms it; his card still has the
 *   factory-default management key, which is warned about. Carol's card is a firmware 5.7.4 one, whose
 *   attestation chain has the two intermediates of Yubico's current PKI (not on the card);
 * - TUF: interrupted right after Bob's root key was made, resumed (the key adopted from its slot), accepted
 *   by tuf-js; then a root rotation (v2) co-signed by the three custodians with `tuf-ceremony sign` on
 *   their YubiKeys and merged, which tuf-js accepts from the pinned v1;
 * - Notary: root keys with their certificates made on the cards (Bob's in 9c, Carol's in a touch-"always"
 *   slot), interrupted right after Carol's root key was made and resumed; snapshot and timestamp keys from
 *   a real notary-server on loopback, published there and listed by the real notary client; then a root
 *   rotation (v2) co-signed with `sign` on the three YubiKeys, merged, published, and followed by that
 *   client.
 *
 * The attestation of each key is verified at generation against the emulator's TEST roots (--attestation-
 * roots), never mixed with the bundled Yubico roots; `verify` checks attestations.json against the plan's
 * requirement, and the Inspect screen's core (inspectNamedFiles, as electron/main/ipc-handlers.ts calls it)
 * refuses it against Yubico's roots — the only ones the app trusts — and reads it with the test roots.
 * The emulated touch waits 300 ms, not 15 s.
 */
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
import { setTouchNotice, touchPrompt, type TouchNotice } from '../../src/signers/pkcs11/piv-touch.js';
import { checkNotaryRootCertificates } from '../../src/tuf/notary-root.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { inspectNamedFiles } from '../../src/inspect/inspect.js';
import { trustFromCertificates } from '../../src/attestation/yubico-pki.js';
import { notaryClient, startNotaryServer } from '../support/notary.js';
import { makeTestAttestationPki, type TestAttestationPki } from '../support/piv/attestation-ca.js';
import { startEmulatedYubiKey, type EmulatedYubiKey } from '../support/piv/emulator.js';
import { startPcscd, type PrivatePcscd } from '../support/piv/pcscd.js';
import { publishOk } from '../support/notary-publish.js';
import { scanForSecrets } from '../support/secret-scan.js';
import { outFiles, outPath, readOut } from '../support/ceremony-out.js';

const YKCS11 = '/usr/lib/x86_64-linux-gnu/libykcs11.so';
const enabled = existsSync(YKCS11) && existsSync('/usr/sbin/pcscd');
const GUN = 'registry.example.com/org/yubikey-ceremony';
const CUSTODIANS = ['Alice', 'Bob', 'Carol'] as const;
type Custodian = (typeof CUSTODIANS)[number];
const SERIALS: Record<Custodian, string> = { Alice: '20261001', Bob: '20261002', Carol: '20261003' };
const PINS = { ALICE_PIN: '246810', BOB_PIN: '13579111', CAROL_PIN: '864200' };
const MGMT = {
  ALICE_MGMT: '9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928',
  BOB_MGMT: '010203040506070801020304050607080102030405060708', // the factory default: warned about
  CAROL_MGMT: '5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f',
};
const bindingOf = (name: Custodian, slots: Record<string, string>) => ({ pin: { env: `${name.toUpperCase()}_PIN` }, piv: { slots, managementKey: { env: `${name.toUpperCase()}_MGMT` } } });
const SECRETS = [...Object.values(PINS), ...Object.values(MGMT)];
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const year = (n: number): string => `${new Date().getUTCFullYear() + n}-06-01T00:00:00Z`;
const readBytes = (d: string, n: string): Uint8Array => new Uint8Array(readFileSync(join(d, n)));

let dir: string;
let legacyPki: TestAttestationPki;
let currentPki: TestAttestationPki;
let rootsPem: string;
let pcscd: PrivatePcscd;
const cards: Record<string, EmulatedYubiKey> = {};
const touches: TouchNotice[] = [];
let previousTouch: (n: TouchNotice) => void;
let confirmations: string[] = [];
const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tufc-yubikey-ceremony-'));
  // Alice's and Bob's cards are firmware 5.4.3 (the legacy chain), Carol's 5.7.4 (the current one, whose
  // two intermediates are not on the card): the TEST roots file holds both roots and those intermediates.
  legacyPki = await makeTestAttestationPki('legacy');
  currentPki = await makeTestAttestationPki('current');
  rootsPem = join(dir, 'test-roots.pem');
  writeFileSync(rootsPem, [legacyPki.rootPem, currentPki.rootPem, ...currentPki.intermediatePems].join('\n'));
  pcscd = await startPcscd(3);
  const touch = { delayMs: 300, answer: true };
  cards.Alice = await startEmulatedYubiKey(pcscd, 0, { serial: Number(SERIALS.Alice), pin: PINS.ALICE_PIN, managementKeyHex: MGMT.ALICE_MGMT, touch }, legacyPki);
  // Bob's site prepared slots 82 and 83 with touch "always" (ykman --touch-policy; ykcs11 2.2.0 cannot ask for it).
  cards.Bob = await startEmulatedYubiKey(pcscd, 1, { serial: Number(SERIALS.Bob), pin: PINS.BOB_PIN, managementKeyHex: MGMT.BOB_MGMT, slotPolicies: { '82': { touch: 'always' }, '83': { touch: 'always' } }, touch }, legacyPki);
  // Carol's card is on the second vpcd reader entry (a copy of the driver: pcscd.ts); her site made slot
  // 82 touch "always": her Notary root key is there.
  cards.Carol = await startEmulatedYubiKey(pcscd, 2, { serial: Number(SERIALS.Carol), firmware: [5, 7, 4], pin: PINS.CAROL_PIN, managementKeyHex: MGMT.CAROL_MGMT, slotPolicies: { '82': { touch: 'always' } }, touch }, currentPki);
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

/** A ykcs11 CKA_ID (hex) as its PIV slot: IDs 1–4 are 9a 9c 9d 9e, 5–24 the retired slots 82–95, 25 f9. */
const PIV_SLOTS = ['9a', '9c', '9d', '9e', ...Array.from({ length: 20 }, (_, i) => (0x82 + i).toString(16)), 'f9'];
const pivSlot = (tokenKeyIdHex: string | undefined): string | undefined => (tokenKeyIdHex ? PIV_SLOTS[parseInt(tokenKeyIdHex, 16) - 1] : undefined);
const events = async (name: Custodian) => (await cards[name]!.events()).events;

/** Where the state says each planned key is: its PIV slot. */
function slotsInState(out: string): Record<string, string | undefined> {
  const state = JSON.parse(readFileSync(outPath(out, 'ceremony-state.json'), 'utf8')) as { rehearsal: boolean; keys: Record<string, { tokenKeyId?: string }> };
  // Every key on a YubiKey, none on a software token: a real ceremony, not a rehearsal.
  expect(state.rehearsal).toBe(false);
  return Object.fromEntries(Object.entries(state.keys).map(([k, v]) => [k, pivSlot(v.tokenKeyId)]));
}

/**
 * The transcript records the attestation of every key made, each on its custodian's card (a key made
 * before an interruption is attested again when the resumed step finds it), and says it was no rehearsal.
 */
function expectAttestedInTranscript(out: string, keysPerCustodian: Record<Custodian, number>): ReturnType<typeof verifyTranscript> {
  const t = verifyTranscript(readOut(out, 'transcript.jsonl'));
  expect(t.rehearsal).toBe(false);
  const attested = t.entries.filter((e) => e.step === 'key.attestation');
  expect(attested.filter((e) => /no attestation/.test(e.note ?? ''))).toEqual([]);
  for (const name of CUSTODIANS) {
    const mine = new Set(attested.filter((e) => e.actor.name === name && (e.note ?? '').includes(`generated on YubiKey serial ${SERIALS[name]}`)).map((e) => e.token!.keyId));
    expect([name, mine.size]).toEqual([name, keysPerCustodian[name]]);
  }
  return t;
}

/**
 * attestations.json beside the metadata, as the Inspect screen's core reads a ceremony output folder:
 * against Yubico's roots (the app's only ones) every root key is refused as not attested by a genuine
 * YubiKey; against the TEST roots each is attested by its custodian's serial.
 */
function expectInspectAttestations(out: string, rootKeyIdsBySerial: Map<string, string>): void {
  const files = readdirSync(outPath(out, 'metadata')).map((name) => ({ name, bytes: readBytes(join(out, 'metadata'), name) }));
  expect(files.map((f) => f.name)).toContain('attestations.json');
  const app = inspectNamedFiles({ files, directory: true, source: 'metadata' }).attestations!;
  expect(app.present).toBe(true);
  for (const keyId of rootKeyIdsBySerial.keys()) {
    const k = app.keys.find((x) => x.keyId === keyId)!;
    expect([keyId, k.status, k.code]).toEqual([keyId, 'refused', 'ATTESTATION_UNKNOWN_ROOT']);
  }
  const tested = inspectNamedFiles({ files, directory: true, source: 'metadata', attestations: { trust: testTrust() } }).attestations!;
  for (const [keyId, serial] of rootKeyIdsBySerial) {
    const k = tested.keys.find((x) => x.keyId === keyId)!;
    expect([keyId, k.status, k.facts?.serial, k.facts?.yubicoRoot]).toEqual([keyId, 'verified', Number(serial), false]);
    expect(k.sentence).toContain(`was generated on YubiKey serial ${serial}`);
  }
}

const testTrust = () => trustFromCertificates(readFileSync(rootsPem, 'utf8').split(/(?<=-----END CERTIFICATE-----)\s*/).filter((p) => p.includes('BEGIN')).map((p) => new X509Certificate(p)));

/** Each custodian's root key ID in root.json, by the serial of the card that attested it. */
function rootKeysBySerial(out: string, attestationsFile = outPath(out, 'attestations.json')): Map<string, string> {
  const root = JSON.parse(readFileSync(outPath(out, 'root.json'), 'utf8')) as { signed: { roles: { root: { keyids: string[] } } } };
  const byKey = new Map<string, string>();
  const report = inspectNamedFiles({ files: [{ name: 'root.json', bytes: readOut(out, 'root.json') }, { name: 'attestations.json', bytes: new Uint8Array(readFileSync(attestationsFile)) }], directory: true, attestations: { trust: testTrust() } }).attestations!;
  for (const id of root.signed.roles.root.keyids) byKey.set(id, String(report.keys.find((k) => k.keyId === id)?.facts?.serial));
  expect([...byKey.values()].sort()).toEqual(CUSTODIANS.map((n) => SERIALS[n]).sort());
  return byKey;
}

/** `tuf-ceremony sign REQUEST` by each custodian on their YubiKey; only the `touching` custodian's key (touch "always") says "touch" on stderr. */
async function coSign(d: string, requestPath: string, labelOf: (name: Custodian) => string, touching: Custodian): Promise<string[]> {
  const responses: string[] = [];
  for (const name of CUSTODIANS) {
    const out = join(d, `${name.toLowerCase()}.response.json`);
    const c = await cli((io) => runCli(['sign', requestPath, '--out', out, '--module', YKCS11, '--token', SERIALS[name], '--label', labelOf(name), '--pin-env', `${name.toUpperCase()}_PIN`], io));
    expect([name, c.status], c.err.join('\n')).toEqual([name, 0]);
    for (const s of SECRETS) expect(c.out.join('\n') + c.err.join('\n')).not.toContain(s);
    // The CLI says it on stderr before the touch-"always" key signs, and not for the touch-"never" keys.
    if (name === touching) expect(c.err).toContain(touchPrompt(SERIALS[name]));
    else expect(c.err.join('\n'), name).not.toContain('Touch your YubiKey');
    responses.push(out);
  }
  return responses;
}

describe.skipIf(!enabled)('root ceremonies on three emulated YubiKeys (ykcs11 → pcscd → vpcd)', () => {
  let tuf: ReturnType<typeof writeCeremony>;

  it('TUF: slots from the bindings (Bob confirms a proposed one), 9c PIN per signature, touch "always"; interrupted and resumed; attestation required and recorded; tuf-js accepts it', async () => {
    const plan = {
      format: 'tuf-ceremony-plan',
      version: 1,
      kind: 'root',
      profile: 'tuf',
      repository: 'example.com/yubikey/tuf',
      custodians: CUSTODIANS.map((name) => ({ name, token: { serial: SERIALS[name] }, keyAlgorithm: 'ecdsa-p256', keyLabel: `tuf-root-${name.toLowerCase()}` })),
      root: { threshold: 2, expires: year(10) },
      targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'tuf-targets' }, expires: year(3) },
      snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'tuf-snapshot' }, expires: year(3) },
      timestamp: { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 'tuf-timestamp' }, expires: year(1) },
      attestation: { required: true },
    };
    tuf = writeCeremony('tuf', plan, {
      Alice: bindingOf('Alice', { root: '9c', targets: '9d' }),
      Bob: bindingOf('Bob', { root: '82' }),
      Carol: bindingOf('Carol', { root: '9d', timestamp: '95' }),
    });
    const opts = { bindings: tuf.bindingsPath, out: tuf.out, attestationRoots: rootsPem };
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
    expect((await events('Bob')).generated).toEqual(['82']);
    const second = await cli((io) => runCommand(tuf.planPath, opts, io, runDeps()));
    expect(second.status, second.err.join('\n')).toBe(0);
    for (const line of [...first.out, ...second.out]) expect(line).not.toMatch(/REHEARSAL/);
    // Bob's card has the factory-default management key: said loudly, on stderr, for each key made on it
    // (his root key before the interruption, his snapshot key after); Alice's and Carol's are not.
    expect(first.err.filter((l) => l === DEFAULT_MANAGEMENT_KEY_WARNING)).toHaveLength(1);
    expect(second.err.filter((l) => l === DEFAULT_MANAGEMENT_KEY_WARNING)).toHaveLength(1);
    expect(confirmations).toHaveLength(1);
    expect(confirmations[0]).toMatch(/no PIV slot for Bob's snapshot key\. Make it in slot 83, the first empty retired slot/);

    // Each key where the bindings put it (Bob's snapshot key in the proposed 83), found again by slot on resume.
    expect((await events('Alice')).generated).toEqual(['9c', '9d']);
    expect((await events('Bob')).generated).toEqual(['82', '83']); // not made twice
    expect((await events('Carol')).generated).toEqual(['9d', '95']);
    expect(slotsInState(tuf.out)).toEqual({ 'root/Alice': '9c', 'root/Bob': '82', 'root/Carol': '9d', targets: '9d', snapshot: '83', timestamp: '95' });
    const t = expectAttestedInTranscript(tuf.out, { Alice: 2, Bob: 2, Carol: 2 });
    expect(t.entries.find((e) => e.step === 'key.generate' && e.actor.name === 'Bob' && e.token?.label === 'tuf-root-bob')!.note).toMatch(/adopted/);
    // Bob's touch-"always" root key: each of its signatures (self-test at generation, root.json) was
    // announced and touched; no other card was asked for a touch.
    expect(touches.filter((n) => n.serial === SERIALS.Bob && n.policy === 'always').length).toBeGreaterThanOrEqual(1);
    expect(touches.map((n) => n.message)).toContain(touchPrompt(SERIALS.Bob));
    expect(touches.filter((n) => n.policy === 'always' && n.serial !== SERIALS.Bob)).toEqual([]);
    expect((await events('Bob')).touches).toBeGreaterThanOrEqual(2);

    // attestations.json beside the metadata is checked by `verify` against the TEST roots with the plan's
    // requirement (every root key attested), and refused against the bundled Yubico roots.
    expect(existsSync(outPath(tuf.out, 'attestations.json'))).toBe(true);
    const published = join(tuf.d, 'published');
    mkdirSync(published);
    for (const f of readdirSync(outPath(tuf.out, 'metadata'))) if (/^((\d+\.)?(root|targets|snapshot|timestamp)|attestations)\.json$/.test(f)) copyFileSync(join(tuf.out, 'metadata', f), join(published, f));
    const checked = await cli((io) => runCli(['verify', published, '--root', outPath(tuf.out, '1.root.json'), '--attestation-roots', rootsPem, '--plan', tuf.planPath], io));
    expect(checked.status, checked.err.join('\n')).toBe(0);
    for (const name of CUSTODIANS) expect(checked.out.join('\n')).toContain(`generated on YubiKey serial ${SERIALS[name]}`);
    const foreign = await cli((io) => runCli(['verify', published, '--root', outPath(tuf.out, '1.root.json')], io));
    expect(foreign.status).toBe(1);
    expect(foreign.err[0]).toMatch(/^error\[ATTESTATION_UNKNOWN_ROOT\]/);
    // Without attestations.json, the plan's requirement refuses the same metadata.
    rmSync(join(published, 'attestations.json'));
    const missing = await cli((io) => runCli(['verify', published, '--root', outPath(tuf.out, '1.root.json'), '--attestation-roots', rootsPem, '--plan', tuf.planPath], io));
    expect(missing.status).toBe(1);
    expect(missing.err[0]).toMatch(/^error\[ATTESTATION_MISSING\]/);
    expectInspectAttestations(tuf.out, rootKeysBySerial(tuf.out));

    const requests = await tufJsRefresh(outPath(tuf.out, 'metadata'), readOut(tuf.out, '1.root.json'));
    expect(requests).toEqual(expect.arrayContaining(['/metadata/2.root.json', '/metadata/timestamp.json']));
    for (const name of outFiles(tuf.out)) expect(scanForSecrets(readBytes(tuf.out, name), SECRETS), name).toEqual([]);
    for (const line of [...first.out, ...first.err, ...second.out, ...second.err]) for (const s of SECRETS) expect(line).not.toContain(s);
  }, 900_000);

  it('TUF root v2 co-signed with `sign` on the three YubiKeys (Alice’s 9c asks the PIN again, Bob’s touch key waits), merged; tuf-js accepts it from the pinned v1', async () => {
    const rootV1 = readOut(tuf.out, '1.root.json');
    const payload = buildRotationPayload(rootV1, { expires: formatExpires(new Date(Date.now() + 6 * 365 * 86_400_000)) }, {});
    const request = buildSigningRequest(payload, { repository: 'example.com/yubikey/tuf' });
    const requestPath = join(tuf.d, 'request.json');
    writeFileSync(requestPath, serializeSigningRequest(request));
    const before = { alice: (await events('Alice')).signatures, carol: (await events('Carol')).signatures, bobTouches: (await events('Bob')).touches };
    const responses = await coSign(tuf.d, requestPath, (name) => `tuf-root-${name.toLowerCase()}`, 'Bob');
    expect((await events('Alice')).signatures).toBeGreaterThan(before.alice);
    expect((await events('Carol')).signatures).toBeGreaterThan(before.carol);
    expect((await events('Bob')).touches).toBeGreaterThan(before.bobTouches);
    const v2 = join(tuf.d, 'rotated');
    mkdirSync(v2);
    for (const f of ['1.root.json', '2.root.json', 'targets.json', 'snapshot.json', 'timestamp.json']) if (existsSync(outPath(tuf.out, f))) copyFileSync(outPath(tuf.out, f), join(v2, f));
    // The ceremony's root.json is 1.root.json (2.root.json is not written by a root ceremony).
    expect(existsSync(join(v2, '2.root.json'))).toBe(false);
    const m = await cli((io) => runCli(['merge', requestPath, ...responses, '--out', join(v2, '2.root.json')], io));
    expect(m.status, m.err.join('\n')).toBe(0);
    const merged = JSON.parse(readFileSync(join(v2, '2.root.json'), 'utf8')) as { signatures: unknown[] };
    expect(merged.signatures).toHaveLength(3);
    const requests = await tufJsRefresh(v2, rootV1);
    expect(requests).toEqual(expect.arrayContaining(['/metadata/2.root.json', '/metadata/3.root.json']));
  }, 600_000);

  it('Notary: root certificates made on the cards (Bob’s 9c asks the PIN per signature, Carol’s key waits for a touch); interrupted and resumed; notary-server takes it, the notary client lists it and follows a root v2 co-signed with `sign`', async () => {
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
        custodians: CUSTODIANS.map((name) => ({ name, token: { serial: SERIALS[name] }, keyAlgorithm: 'ecdsa-p256', keyLabel: `notary-root-${name.toLowerCase()}` })),
        root: { threshold: 2, expires: year(10) },
        targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'notary-targets' }, expires: year(3) },
        snapshot: { keyFile: 'snapshot.key', sha256: sha256(sn) },
        timestamp: { keyFile: 'timestamp.key', sha256: sha256(ts) },
        attestation: { required: true },
      };
      const w = writeCeremony('notary', plan, {
        Alice: bindingOf('Alice', { root: '84', targets: '85' }),
        Bob: bindingOf('Bob', { root: '9c' }),
        Carol: bindingOf('Carol', { root: '82' }),
      });
      const opts = { bindings: w.bindingsPath, out: w.out, attestationRoots: rootsPem };
      let once = true;
      const fault = (point: string): void => {
        if (once && point === 'generated:root/Carol') {
          once = false;
          throw new Error('token pulled');
        }
      };
      confirmations = [];
      touches.length = 0;
      const first = await cli((io) => runCommand(w.planPath, opts, io, runDeps({ fault })));
      expect(first.status, first.err.join('\n')).toBe(1);
      const r = await cli((io) => runCommand(w.planPath, opts, io, runDeps()));
      expect(r.status, r.err.join('\n')).toBe(0);
      for (const line of [...first.out, ...r.out]) expect(line).not.toMatch(/REHEARSAL/);
      expect(confirmations).toEqual([]);
      expect((await events('Bob')).generated).toEqual(['82', '83', '9c']);
      expect((await events('Alice')).generated).toEqual(['9c', '9d', '84', '85']);
      expect((await events('Carol')).generated).toEqual(['9d', '95', '82']); // not made twice
      // Carol's touch-"always" root key was announced before it signed, and touched.
      expect(touches.map((n) => n.message)).toContain(touchPrompt(SERIALS.Carol));
      expect((await events('Carol')).touches).toBeGreaterThanOrEqual(1);
      expect(slotsInState(w.out)).toEqual({ 'root/Alice': '84', 'root/Bob': '9c', 'root/Carol': '82', targets: '85' });
      const t = expectAttestedInTranscript(w.out, { Alice: 2, Bob: 1, Carol: 1 });
      expect(t.entries.find((e) => e.step === 'key.generate' && e.actor.name === 'Carol' && e.token?.label === 'notary-root-carol')!.note).toMatch(/adopted/);
      const checked = await cli((io) => runCli(['verify', outPath(w.out, 'metadata'), '--root', outPath(w.out, 'root.json'), '--attestation-roots', rootsPem, '--plan', w.planPath], io));
      expect(checked.status, checked.err.join('\n')).toBe(0);
      for (const name of CUSTODIANS) expect(checked.out.join('\n')).toContain(`generated on YubiKey serial ${SERIALS[name]}`);
      expectInspectAttestations(w.out, rootKeysBySerial(w.out));

      const root = readOut(w.out, 'root.json');
      const v = verifyRepository({ versionedRoots: new Map(), root, targets: readOut(w.out, 'targets.json'), delegated: new Map() }, { trustedRoot: root, now: new Date(), gun: GUN });
      expect(checkNotaryRootCertificates(v.root, new Date(), GUN)).toBe(GUN);
      // Every root key's certificate was made by its key on its token, Bob's 9c included.
      const certs = v.root.signed.roles.get('root')!.keyids.map((id) => v.root.signed.keys.get(id)!);
      expect(certs).toHaveLength(3);
      for (const k of certs) expect(new X509Certificate(Buffer.from((k.json.keyval as { public: string }).public, 'base64')).subject).toContain(`CN=${GUN}`);

      await publishOk(server.url, GUN, { root, targets: readOut(w.out, 'targets.json') });
      const client = notaryClient({ serverUrl: server.url });
      const list = await client.run(['list', GUN]);
      expect(list.code, list.stdout + list.stderr).toBe(0);
      expect(list.stdout).toMatch(/No targets present/);
      expect(readBytes(client.metadataDir(GUN), 'root.json')).toEqual(root);
      for (const name of outFiles(w.out)) expect(scanForSecrets(readBytes(w.out, name), SECRETS), name).toEqual([]);
      for (const line of [...first.out, ...first.err, ...r.out, ...r.err]) for (const s of SECRETS) expect(line).not.toContain(s);

      // Root v2 (same keys and certificates, a new expiry), co-signed on the three cards, merged, published:
      // the client that trusted v1 follows it and caches our v2 bytes.
      const payload = buildRotationPayload(root, { expires: formatExpires(new Date(Date.now() + 5 * 365 * 86_400_000)) }, {});
      const requestPath = join(w.d, 'request.json');
      writeFileSync(requestPath, serializeSigningRequest(buildSigningRequest(payload, { repository: GUN })));
      const bobBefore = (await events('Bob')).signatures;
      const responses = await coSign(w.d, requestPath, (name) => `notary-root-${name.toLowerCase()}`, 'Carol');
      expect((await events('Bob')).signatures).toBeGreaterThan(bobBefore);
      const v2Path = join(w.d, 'root.v2.json');
      const m = await cli((io) => runCli(['merge', requestPath, ...responses, '--out', v2Path], io));
      expect(m.status, m.err.join('\n')).toBe(0);
      const rootV2 = readBytes(w.d, 'root.v2.json');
      await publishOk(server.url, GUN, { root: rootV2 });
      const again = await client.run(['list', GUN]);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(readBytes(client.metadataDir(GUN), 'root.json')).toEqual(rootV2);
      expect((JSON.parse(Buffer.from(rootV2).toString('utf8')) as { signed: { version: number } }).signed.version).toBe(2);
    } finally {
      await server.stop();
    }
  }, 900_000);
});
