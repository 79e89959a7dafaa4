/**
 * Attestation end to end on an emulated YubiKey (issue #13): a rehearsal root ceremony (TUF profile) in
 * which Alice's root and targets keys are generated on an emulated YubiKey through the real stack (Debian's
 * ykcs11 2.2.0 → private pcscd → vpcd → test/support/piv) and Bob's and Carol's on software rehearsal
 * tokens. The ceremony reads each YubiKey key's attestation and f9 certificates, verifies them against the
 * emulator's TEST root (given the way tests and private PKIs give roots: never mixed with Yubico's), records
 * them in the transcript ("no attestation" for the software tokens), and writes attestations.json. That
 * file then travels in a trust bundle and is checked by the `verify`, `inspect` and `import` CLIs: accepted
 * with the test root, and refused with its own code for an unknown root (the bundled Yubico roots), a
 * missing attestation the operator requires, evidence filed under another key, and a forbidden policy. A
 * plan requiring attestation of every root key stops the ceremony at the first key without one, and a plan
 * forbidding the key's touch policy refuses the key. A Notary ceremony shows the attestation bound to the
 * root key listed as its certificate (ecdsa-x509 key ID).
 *
 * The ceremony's YubiKey token here is a thin test wrapper around the project's TokenSession and
 * generateOnYubiKey (slot and management key as site bindings will give them); its attestation comes from
 * the same readPivAttestation the ceremony's real provider uses.
 */
import { X509Certificate } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outPath } from '../support/ceremony-out.js';
import { decodeAttestations, encodeAttestations } from '../../src/attestation/attestations-file.js';
import { trustFromCertificates } from '../../src/attestation/yubico-pki.js';
import { parsePlan } from '../../src/ceremony/plan.js';
import { rehearsalPlan } from '../../src/ceremony/rehearsal-plan.js';
import { runCeremony } from '../../src/ceremony/machine.js';
import type { CeremonyToken, TokenProvider } from '../../src/ceremony/tokens.js';
import { runCli } from '../../src/cli/program.js';
import { isCeremonyError } from '../../src/errors.js';
import type { JsonObject } from '../../src/json/types.js';
import type { KeyAlgorithm } from '../../src/profiles/profile.js';
import { finalizeAllModules, TokenModule } from '../../src/signers/pkcs11/module.js';
import { generateOnYubiKey } from '../../src/signers/pkcs11/piv.js';
import { readPivAttestation } from '../../src/signers/pkcs11/piv-attestation.js';
import { parseManagementKey } from '../../src/signers/pkcs11/piv-slots.js';
import type { TokenSession } from '../../src/signers/pkcs11/session.js';
import { openRehearsalTokens, type RehearsalToken } from '../../src/signers/rehearsal.js';
import type { SigningKey } from '../../src/signers/signing-key.js';
import { TokenKey } from '../../src/signers/pkcs11/token-signer.js';
import { captureIo } from '../support/cli-io.js';
import { serverKeyFile, sha256 } from '../unit/ceremony/support.js';
import { makeTestAttestationPki, type TestAttestationPki } from '../support/piv/attestation-ca.js';
import { startEmulatedYubiKey, type EmulatedYubiKey } from '../support/piv/emulator.js';
import { startPcscd, type PrivatePcscd } from '../support/piv/pcscd.js';

const YKCS11 = '/usr/lib/x86_64-linux-gnu/libykcs11.so';
const MGMT = '0102030405060708090a0b0c0d0e0f101112131415161718';
const SERIAL = 20261313;

let pcscd: PrivatePcscd;
let card: EmulatedYubiKey;
let pki: TestAttestationPki;
let session: TokenSession;
let work: string;
let rootsPem: string;
/** Slots handed out in order, as site bindings would name them (each ceremony key gets a fresh one). */
const freeSlots = ['9d', '9e', '82', '83', '84', '85', '86', '87'];

/** Alice's YubiKey as the ceremony sees a token: generation through generateOnYubiKey, attestation read from the card. */
function yubiKeyToken(custodian: string): CeremonyToken {
  return {
    custodian,
    token: { serial: session.token.serial, label: session.token.label },
    rehearsal: false,
    async generateKey(algorithm: KeyAlgorithm, label: string): Promise<SigningKey> {
      const slot = freeSlots.shift()!;
      const { key, isDefault } = parseManagementKey(MGMT);
      const made = await generateOnYubiKey(session, {
        slot,
        algorithm: algorithm as 'ecdsa-p256',
        label,
        managementKey: key,
        managementKeyIsDefault: isDefault,
        pin: new TextEncoder().encode('123456'),
        attestationTrust: trustFromCertificates([new X509Certificate(pki.rootPem)]),
        warn: () => undefined,
      });
      return made.key;
    },
    async findKey(label: string, fingerprint?: string, id?: Uint8Array): Promise<SigningKey> {
      return session.findKey(id?.length ? { id, ...(fingerprint ? { fingerprint } : {}) } : { label });
    },
    canMake: () => true,
    async attestation(key: SigningKey) {
      return key instanceof TokenKey ? readPivAttestation(session, key.id) : null;
    },
  };
}

/** Alice on the emulated YubiKey, everyone else on software rehearsal tokens. */
function mixedProvider(software: RehearsalToken[]): TokenProvider {
  return {
    rehearsal: { kind: software[0]!.kind, notice: software[0]!.notice },
    standIn: true,
    async open(custodian) {
      if (custodian.name === 'Alice') return yubiKeyToken('Alice');
      return software.find((t) => t.custodian === custodian.name)!;
    },
    async close() {
      for (const t of software) await t.close().catch(() => undefined);
    },
  };
}

function planFor(dir: string, edit?: (plan: JsonObject) => void, profile: 'tuf' | 'notary' = 'tuf'): { bytes: Uint8Array; path: string } {
  const timestampKey = profile === 'notary' ? { keyFile: 'timestamp.key', sha256: sha256(serverKeyFile(dir)) } : undefined;
  const json = rehearsalPlan({ profile, repository: profile === 'notary' ? 'registry.example.com/org/attested' : 'attested-repo', now: new Date(), ...(timestampKey ? { timestampKey } : {}) });
  delete json.shamir; // a Shamir key is made in memory: nothing attests it
  edit?.(json);
  const bytes = new TextEncoder().encode(JSON.stringify(json, null, 2) + '\n');
  const path = join(dir, 'plan.json');
  writeFileSync(path, bytes);
  return { bytes, path };
}

async function ceremony(name: string, edit?: (plan: JsonObject) => void, profile: 'tuf' | 'notary' = 'tuf'): Promise<{ out: string; lines: string[] }> {
  const dir = join(work, name);
  mkdirSync(dir);
  const plan = planFor(dir, edit, profile);
  const out = join(dir, 'out');
  const software = await openRehearsalTokens({ custodians: ['Bob', 'Carol'] });
  const lines: string[] = [];
  const tokens = mixedProvider(software);
  try {
    await runCeremony({
      planBytes: plan.bytes,
      plan: parsePlan(plan.bytes, { rehearsal: true }),
      planName: 'plan.json',
      planDir: dir,
      outDir: out,
      tokens,
      resume: false,
      report: (l) => void lines.push(l),
      attestationTrust: trustFromCertificates([new X509Certificate(pki.rootPem)]),
    });
  } finally {
    await tokens.close();
  }
  return { out, lines };
}

async function cli(args: string[]): Promise<{ status: number; out: string; err: string }> {
  const c = captureIo();
  const status = await runCli(args, c.io);
  return { status, out: c.out.join(''), err: c.err.join('') };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    if (isCeremonyError(e)) return e.code;
    throw e;
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'attested-ceremony-'));
  pki = await makeTestAttestationPki('legacy');
  rootsPem = join(work, 'test-roots.pem');
  writeFileSync(rootsPem, pki.rootPem);
  pcscd = await startPcscd(1);
  card = await startEmulatedYubiKey(pcscd, 0, { serial: SERIAL, firmware: [5, 4, 3], managementKeyHex: MGMT, touch: { delayMs: 200, answer: true } }, pki);
  process.env.PCSCLITE_CSOCK_NAME = pcscd.socketPath;
  const mod = await TokenModule.load(YKCS11);
  const tokens = await mod.listTokens();
  expect(tokens.map((t) => t.serial.trim())).toEqual([String(SERIAL)]);
  session = await mod.openToken({ serial: tokens[0]!.serial });
}, 180_000);

afterAll(async () => {
  try {
    await session?.close();
    await finalizeAllModules();
  } finally {
    await card?.stop();
    await pcscd?.stop();
    delete process.env.PCSCLITE_CSOCK_NAME;
    if (work) rmSync(work, { recursive: true, force: true });
  }
}, 60_000);

describe('attestation in a ceremony on an emulated YubiKey, then verify / inspect / import', () => {
  let bundle: string;
  let attested: { root: string; other: string };

  it('records each YubiKey key’s attestation in the transcript, "no attestation" for software tokens, and writes attestations.json', async () => {
    const { out, lines } = await ceremony('plain');
    const file = decodeAttestations(readFileSync(outPath(out, 'attestations.json')));
    const root = JSON.parse(readFileSync(outPath(out, 'root.json'), 'utf8')) as { signed: { roles: Record<string, { keyids: string[] }> } };
    // Alice's root key and her targets key were made on the YubiKey: both attested; Bob's and Carol's not.
    expect(file.size).toBe(2);
    const rootIds = root.signed.roles.root!.keyids;
    const aliceRoot = [...file.keys()].find((id) => rootIds.includes(id))!;
    expect(aliceRoot).toBeDefined();
    expect([...file.keys()]).toContain(root.signed.roles.targets!.keyids[0]);
    attested = { root: aliceRoot, other: rootIds.find((id) => id !== aliceRoot)! };

    const transcript = readFileSync(outPath(out, 'transcript.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step?: string; note?: string; actor?: { name: string } });
    const att = transcript.filter((e) => e.step === 'key.attestation');
    expect(att.filter((e) => e.actor?.name === 'Alice').map((e) => e.note)).toEqual([
      expect.stringMatching(new RegExp(`^root key of Alice was generated on YubiKey serial ${SERIAL}, firmware 5\\.4\\.3, slot 9d, .*PIN policy once, touch policy never; chain .*NOT a Yubico root`)),
      expect.stringMatching(new RegExp(`^targets key was generated on YubiKey serial ${SERIAL}, firmware 5\\.4\\.3, slot 9e`)),
    ]);
    expect(att.filter((e) => e.actor?.name !== 'Alice').map((e) => e.note)).toEqual([expect.stringMatching(/^root key of Bob: no attestation/), expect.stringMatching(/^root key of Carol: no attestation/)]);
    expect(lines.join('\n')).toContain(`attestation: root key of Alice was generated on YubiKey serial ${SERIAL}`);
    expect(await cli(['transcript', 'verify', outPath(out, 'transcript.jsonl')])).toMatchObject({ status: 0 });

    // The metadata and attestations.json into a trust bundle: attestations.json travels with them.
    const repo = join(work, 'repo');
    mkdirSync(repo);
    for (const f of readdirSync(outPath(out, 'metadata')).filter((n) => /^(?:1\.)?(?:root|targets|snapshot|timestamp)\.json$|^attestations\.json$/.test(n))) copyFileSync(outPath(out, f), join(repo, f));
    bundle = join(work, 'trust.bundle');
    const made = await cli(['bundle', 'create', repo, '--kind', 'trust-bundle', '--out', bundle, '--json']);
    expect(made.status, made.err).toBe(0);
    const listed = await cli(['inspect', bundle, '--attestation-roots', rootsPem]);
    expect(listed.status, listed.err).toBe(0);
  }, 600_000);

  it('verify accepts the bundle with the test root and says where each key was generated; refuses each hostile variant with its own code', async () => {
    const root = outPath(join(work, 'plain', 'out'), 'root.json');
    const ok = await cli(['verify', bundle, '--root', root, '--attestation-roots', rootsPem]);
    expect(ok.status, ok.err).toBe(0);
    expect(ok.out).toContain(`key ${attested.root.slice(0, 16)}… (root) was generated on YubiKey serial ${SERIAL}, firmware 5.4.3, slot 9d`);
    expect(ok.out).toContain(`key ${attested.other.slice(0, 16)}… (root): no attestation`);
    const json = JSON.parse((await cli(['verify', bundle, '--root', root, '--attestation-roots', rootsPem, '--json'])).out) as { attestations: { keyId: string; status: string; facts?: { serial: number; pinPolicy: string; touchPolicy: string } }[] };
    expect(json.attestations.find((a) => a.keyId === attested.root)).toMatchObject({ status: 'verified', facts: { serial: SERIAL, pinPolicy: 'once', touchPolicy: 'never' } });

    const refused = async (args: string[], input = bundle) => {
      const r = await cli(['verify', input, '--root', root, ...args]);
      expect(r.status).toBe(1);
      return /^error\[([A-Z_]+)\]/.exec(r.err)?.[1];
    };
    // The bundled Yubico roots do not know the emulator's TEST root.
    expect(await refused([])).toBe('ATTESTATION_UNKNOWN_ROOT');
    // The operator requires every root key attested: Bob's and Carol's are not.
    expect(await refused(['--attestation-roots', rootsPem, '--require-attestation'])).toBe('ATTESTATION_MISSING');
    // A policy the operator forbids (the keys are touch "never").
    expect(await refused(['--attestation-roots', rootsPem, '--touch-policy', 'always,cached'])).toBe('ATTESTATION_POLICY_FORBIDDEN');
    // Alice's evidence filed under Bob's key ID: the attested key is not that key.
    const entries = decodeAttestations(readFileSync(join(work, 'repo', 'attestations.json')));
    const moved = join(work, 'moved');
    mkdirSync(moved);
    for (const f of readdirSync(join(work, 'repo'))) if (f !== 'attestations.json') copyFileSync(join(work, 'repo', f), join(moved, f));
    writeFileSync(join(moved, 'attestations.json'), encodeAttestations(new Map([[attested.other, entries.get(attested.root)!]])));
    expect(await refused(['--attestation-roots', rootsPem], moved)).toBe('ATTESTATION_KEY_MISMATCH');
    // A chain whose f9 certificate is not the one that signed the slot certificate.
    const other = await makeTestAttestationPki('legacy');
    const broken = join(work, 'broken');
    mkdirSync(broken);
    for (const f of readdirSync(moved)) if (f !== 'attestations.json') copyFileSync(join(moved, f), join(broken, f));
    const e = entries.get(attested.root)!;
    writeFileSync(join(broken, 'attestations.json'), encodeAttestations(new Map([[attested.root, { ...e, deviceDer: other.f9CertDer }]])));
    expect(await refused(['--attestation-roots', rootsPem], broken)).toBe('ATTESTATION_CHAIN_BROKEN');
  }, 300_000);

  it('inspect says it in words (exit 1 and the code when refused); import checks it, then installs the metadata without attestations.json', async () => {
    const ins = await cli(['inspect', bundle, '--attestation-roots', rootsPem]);
    expect(ins.status, ins.err).toBe(0);
    expect(ins.out).toContain('attestations (attestations.json):');
    expect(ins.out).toContain(`was generated on YubiKey serial ${SERIAL}, firmware 5.4.3, slot 9d, form factor`);
    const unknown = await cli(['inspect', bundle]);
    expect(unknown.status).toBe(1);
    expect(unknown.err).toMatch(/^error\[ATTESTATION_UNKNOWN_ROOT\]/);
    expect(unknown.out).toContain('attestation REFUSED [ATTESTATION_UNKNOWN_ROOT]');

    const root = outPath(join(work, 'plain', 'out'), 'root.json');
    const trust = join(work, 'trust');
    mkdirSync(trust);
    const refused = await cli(['import', bundle, '--trust-dir', join(trust, 'tuf'), '--root', root]);
    expect(refused.err).toMatch(/^error\[ATTESTATION_UNKNOWN_ROOT\]/);
    expect(existsSync(join(trust, 'tuf', 'root.json'))).toBe(false);
    const imported = await cli(['import', bundle, '--trust-dir', join(trust, 'tuf'), '--root', root, '--attestation-roots', rootsPem]);
    expect(imported.status, imported.err).toBe(0);
    expect(imported.out).toContain(`was generated on YubiKey serial ${SERIAL}`);
    expect(readdirSync(join(trust, 'tuf'))).not.toContain('attestations.json');
  }, 300_000);

  it('a plan requiring attestation stops at the first root key without one; a plan forbidding the key’s touch policy refuses it', async () => {
    expect(await codeOf(ceremony('required', (p) => void (p.attestation = { required: true })))).toBe('ATTESTATION_MISSING');
    expect(existsSync(outPath(join(work, 'required', 'out'), 'attestations.json'))).toBe(false);
    expect(await codeOf(ceremony('touch', (p) => void (p.attestation = { required: false, touchPolicy: ['always'] })))).toBe('ATTESTATION_POLICY_FORBIDDEN');

    // The same reviewed plans given to verify and import at the site (--plan): refused with the same codes,
    // and nothing installed.
    const root = outPath(join(work, 'plain', 'out'), 'root.json');
    const withPlan = async (cmd: string[], plan: string) => {
      const r = await cli([...cmd, '--attestation-roots', rootsPem, '--plan', join(work, plan, 'plan.json')]);
      expect(r.status).toBe(1);
      return /^error\[([A-Z_]+)\]/.exec(r.err)?.[1];
    };
    expect(await withPlan(['verify', bundle, '--root', root], 'required')).toBe('ATTESTATION_MISSING');
    expect(await withPlan(['verify', bundle, '--root', root], 'touch')).toBe('ATTESTATION_POLICY_FORBIDDEN');
    const trust = join(work, 'trust-required');
    mkdirSync(trust);
    expect(await withPlan(['import', bundle, '--trust-dir', join(trust, 'tuf'), '--root', root], 'required')).toBe('ATTESTATION_MISSING');
    expect(existsSync(join(trust, 'tuf', 'root.json'))).toBe(false);
  }, 600_000);

  it('Notary: the root key is listed as its certificate’s key ID, and the attestation binds to the certificate’s key', async () => {
    const { out } = await ceremony('notary', undefined, 'notary');
    const root = JSON.parse(readFileSync(outPath(out, 'root.json'), 'utf8')) as { signed: { keys: Record<string, { keytype: string }>; roles: Record<string, { keyids: string[] }> } };
    const file = decodeAttestations(readFileSync(outPath(out, 'attestations.json')));
    const aliceRoot = [...file.keys()].find((id) => root.signed.roles.root!.keyids.includes(id))!;
    expect(root.signed.keys[aliceRoot]!.keytype).toBe('ecdsa-x509');
    const repo = join(work, 'notary-repo');
    mkdirSync(repo);
    for (const f of ['root.json', 'targets.json', 'snapshot.json', 'attestations.json']) copyFileSync(outPath(out, f), join(repo, f));
    const r = await cli(['verify', repo, '--root', outPath(out, 'root.json'), '--attestation-roots', rootsPem]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toContain(`key ${aliceRoot.slice(0, 16)}… (root) was generated on YubiKey serial ${SERIAL}`);
  }, 600_000);
});
