/**
 * Issue #14 in the app: the Co-sign channels of a Notary root certificate request
 * (electron/main/cosign-certificate.ts) through createIpcHandlers, as the renderer calls them, on real
 * SoftHSM2 tokens. Three custodians (Alice, Bob, Carol) hold root keys generated on their own tokens, whose
 * certificates end in 30 days; root v1 is 2-of-3; the administrator's certificate request renews all three.
 *
 * - the review says in words what each token will issue ("a new certificate for your key, valid from …
 *   until …; same key") and its hash words are the request ID's;
 * - a key the request renews no certificate of, and a hash other than the one confirmed, are refused
 *   before any PIN; a wrong PIN is refused with nothing written;
 * - each token issues its certificate; the response and its sealed transcript are written atomically and
 *   never over a file; the PIN is in neither; the core's merge takes the three responses and builds root
 *   v2's signing request;
 * - every invalid payload refused by its schema (IPC_INVALID at its JSON path).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createIpcHandlers, type Handler } from '../../../electron/main/ipc-handlers.js';
import { TokenModules, defaultTokenDeps } from '../../../electron/main/tokens.js';
import type { CertificateReviewView, CertificateSignedView, CertificateSignerCheckView, NamedFile } from '../../../electron/shared/api-types.js';
import { CHANNELS, type ChannelName } from '../../../electron/shared/channels.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { buildCertificateRequest, mergeCertificateResponses, parseCertificateResponse, serializeCertificateRequest } from '../../../src/rotation/certificate-request.js';
import { describeRequest, serializeSigningRequest } from '../../../src/rotation/index.js';
import { resolvePreset } from '../../../src/signers/pkcs11/presets.js';
import type { ListedKey } from '../../../src/signers/public-key-json.js';
import { formatExpires } from '../../../src/tuf/dates.js';
import { parseCertificatePem } from '../../../src/profiles/x509.js';
import { makeKey, type TestKey } from '../../support/keys.js';
import { call, ok } from '../../support/ipc.js';
import { initSoftHsmTokens, notaryRootKeysOnTokens } from '../../support/softhsm-root-keys.js';
import { rootSigned, sign } from '../../support/repo.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const enabled = existsSync(SOFTHSM);
const GUN = 'registry.example.com/tuf-ceremony/app-certreq';
const NAMES = ['Alice', 'Bob', 'Carol'] as const;
const PINS: Record<string, string> = { alice: 'Alice#pin-7781', bob: 'Bob#pin-2294', carol: 'Carol#pin-3306' };
const DAY = 86_400_000;
const YEAR = 365 * DAY;
const now = new Date(Math.floor(Date.now() / 1000) * 1000);

let dir: string;
let restoreConf: () => void;
const serials: Record<string, string> = {};
const listed: Record<string, ListedKey> = {};
let requestFile: NamedFile;
let requestId: string;

beforeAll(async () => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tufc-app-certreq-'));
  restoreConf = initSoftHsmTokens(dir, NAMES.map((name) => ({ name, pin: PINS[name.toLowerCase()]! })));
  const keys = await notaryRootKeysOnTokens(
    SOFTHSM,
    {
      custodians: NAMES.map((name) => ({ name, pin: PINS[name.toLowerCase()]! })),
      gun: GUN,
      // Certificates that end in 30 days: the renewal's reason.
      notBefore: new Date(now.getTime() - DAY),
      notAfter: new Date(now.getTime() + 30 * DAY),
      signers: ['Alice', 'Bob'],
      // Alice's token also holds a key that is no root key: refused before the PIN.
      onToken: async (name, session) => {
        if (name === 'Alice') await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'not-a-root-key' });
      },
    },
    async ({ listed, signers }) => {
      const others: TestKey[] = [await makeKey('notary', 'ecdsa-p256', GUN), await makeKey('notary', 'ecdsa-p256', GUN), await makeKey('notary', 'ed25519', GUN)];
      const root = NAMES.map((n) => ({ keyId: listed[n]!.keyId, json: listed[n]!.json }) as unknown as TestKey);
      return sign('notary', rootSigned('notary', 1, { root, targets: [others[0]!], snapshot: [others[1]!], timestamp: [others[2]!] }, { root: 2 }, formatExpires(new Date(now.getTime() + YEAR))), signers);
    },
  );
  Object.assign(serials, keys.serials);
  Object.assign(listed, keys.listed);
  const request = buildCertificateRequest({
    previousRootBytes: keys.made,
    repository: GUN,
    expires: formatExpires(new Date(now.getTime() + 6 * YEAR)),
    certificatesUntil: new Date(now.getTime() + 7 * YEAR),
    certificates: NAMES.map((n) => ({ keyid: listed[n]!.keyId, name: n })),
    now,
  });
  requestId = request.requestId;
  requestFile = { name: 'certificates.request.json', bytes: serializeCertificateRequest(request) };
}, 120_000);

afterAll(() => {
  if (!enabled) return;
  restoreConf();
  rmSync(dir, { recursive: true, force: true });
});

const rigs: TokenModules[] = [];
afterEach(async () => {
  for (const m of rigs.splice(0)) await m.finalizeAll();
});

function rig(out: string | undefined) {
  const modules = new TokenModules();
  rigs.push(modules);
  const h = createIpcHandlers({ tokens: defaultTokenDeps(modules), rotation: { chooseOutputDir: async () => out, now: () => new Date() } });
  return h;
}

function outDir(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
}

const tokenOf = (name: string) => ({ serial: serials[name]!, label: name });
const signReq = (name: string, extra: Record<string, unknown> = {}) => ({
  request: requestFile,
  module: 'softhsm2',
  token: tokenOf(name),
  keyLabel: `root-${name}`,
  confirmedSha256: requestId,
  pin: PINS[name]!,
  ...extra,
});

async function refused(h: Record<ChannelName, Handler>, channel: ChannelName, payload: unknown): Promise<{ code: string; message: string; path?: string }> {
  const r = await call(h, channel, payload);
  if (r.ok) throw new Error(`${channel} was accepted`);
  return r;
}

describe.skipIf(!enabled)('Co-sign a Notary certificate request in the app (SoftHSM2)', () => {
  it('the review says what each token issues, in words; its hash words are the request ID', async () => {
    const h = rig(undefined);
    const review = await ok<CertificateReviewView>(h, CHANNELS.certificateReview, { request: requestFile });
    expect(review.digest.sha256).toBe(requestId);
    expect(review.digest.words).toHaveLength(16);
    expect([review.fromVersion, review.toVersion, review.repository]).toEqual([1, 2, GUN]);
    expect(review.certificates.map((c) => c.name)).toEqual([...NAMES]);
    expect(review.notRenewed).toEqual([]);
    const text = review.lines.join('\n');
    expect(text).toContain(`your token will issue a new certificate for your key, valid from ${review.validity.notBefore} until ${review.validity.notAfter}; same key`);
    expect(text).toContain('Nothing is signed for root.json in this step');
    // A signing request is not a certificate request, and a certificate request is not a signing request: each refused by the other's parser.
    const other = await refused(h, CHANNELS.rotationReview, { request: requestFile });
    expect(other.code).toBe('SCHEMA_INVALID');
  });

  it('a key it renews no certificate of, and other hash words, are refused before the PIN; a wrong PIN writes nothing', async () => {
    const out = outDir('refusals');
    const h = rig(out);
    const check = await ok<CertificateSignerCheckView>(h, CHANNELS.certificateCheckSigner, { request: requestFile, module: 'softhsm2', token: tokenOf('alice'), keyLabel: 'root-alice' });
    expect(check.signer).toEqual({ name: 'Alice', keyid: listed.Alice!.keyId });
    expect(check.token.serial).toBe(serials.alice);

    const stranger = await refused(h, CHANNELS.certificateCheckSigner, { request: requestFile, module: 'softhsm2', token: tokenOf('alice'), keyLabel: 'not-a-root-key' });
    expect(stranger.code).toBe('ROTATION_SIGNER_UNKNOWN');
    expect(stranger.message).toContain('no PIN was asked');
    // The same key at the sign call: refused before the login (a wrong PIN would have said PIN_INCORRECT).
    const strangerSign = await refused(h, CHANNELS.certificateSign, signReq('alice', { keyLabel: 'not-a-root-key', pin: 'wrong-pin-0000' }));
    expect(strangerSign.code).toBe('ROTATION_SIGNER_UNKNOWN');
    const tampered = await refused(h, CHANNELS.certificateSign, signReq('alice', { confirmedSha256: requestId.replace(/^./, (c) => (c === '0' ? '1' : '0')) }));
    expect([tampered.code, tampered.path]).toEqual(['ROTATION_REQUEST_TAMPERED', '$.confirmedSha256']);
    const wrongPin = await refused(h, CHANNELS.certificateSign, signReq('alice', { pin: 'wrong-pin-0000' }));
    expect(wrongPin.code).toBe('PIN_INCORRECT');
    expect(wrongPin.message).not.toContain('wrong-pin-0000');
    expect(readdirSync(out)).toEqual([]);
  });

  it('each token issues its certificate, checked and written with a sealed transcript, never over a file; the core merge takes the three', async () => {
    const out = outDir('responses');
    const h = rig(out);
    const responses = [];
    for (const name of ['alice', 'bob', 'carol']) {
      const signed = await ok<CertificateSignedView>(h, CHANNELS.certificateSign, signReq(name, name === 'alice' ? { witnesses: ['Wendy Witness'] } : {}));
      const display = name[0]!.toUpperCase() + name.slice(1);
      expect(signed.signer).toEqual({ name: display, tokenSerial: serials[name] });
      expect(signed.keyid).toBe(listed[display]!.keyId);
      expect(signed.newKeyid).not.toBe(signed.keyid);
      const bytes = readFileSync(signed.written.path);
      const response = parseCertificateResponse(new Uint8Array(bytes));
      // The certificate: same key, the request's validity, for the GUN.
      const cert = parseCertificatePem(response.certificate, '$');
      expect(cert.info.subjectCN).toBe(GUN);
      expect(cert.info.isCA).toBe(false);
      expect(formatExpires(cert.info.notAfter)).toBe(signed.certificate.notAfter);
      if (name === 'alice') expect(response.witnesses).toEqual(['Wendy Witness']);
      // The transcript: sealed by the key that issued the certificate, and the PIN in neither file.
      const t = readFileSync(signed.transcript.path);
      const v = verifyTranscript(new Uint8Array(t), { expectedSealKeyId: signed.transcript.sealKeyId! });
      expect([v.sealed, v.sealKeyPinned, v.header.kind]).toEqual([true, true, 'co-sign']);
      expect(v.entries.map((e) => e.step)).toEqual(['request.review', 'certificate.issue']);
      for (const f of [bytes, t]) expect(f.toString('utf8')).not.toContain(PINS[name]!);
      responses.push(response);
    }
    // Never over a file: the same custodian again into the same folder is refused, the first response untouched.
    const first = readdirSync(out).sort();
    const again = await refused(h, CHANNELS.certificateSign, signReq('alice'));
    expect(again.code).toBe('OUTPUT_EXISTS');
    expect(readdirSync(out).sort()).toEqual(first);
    expect(first).toHaveLength(6);

    // The administrator's merge (the CLI's core function) accepts the three and builds root v2's signing request.
    const review = await ok<CertificateReviewView>(h, CHANNELS.certificateReview, { request: requestFile });
    const { parseCertificateRequest } = await import('../../../src/rotation/certificate-request.js');
    const merged = mergeCertificateResponses(parseCertificateRequest(requestFile.bytes), responses);
    expect(merged.request).toBeDefined();
    const text = describeRequest(merged.request!).text;
    for (const name of NAMES) expect(text).toContain(`root: ${name}'s certificate renewed to ${review.validity.notAfter}; same key`);
    expect(serializeSigningRequest(merged.request!).length).toBeGreaterThan(0);
  }, 120_000);

  it('no folder chosen: nothing is issued into a file, and the refusal says so', async () => {
    const h = rig(undefined);
    const r = await refused(h, CHANNELS.certificateSign, signReq('bob'));
    expect(r.code).toBe('USAGE');
    expect(r.message).toContain('nothing was written');
  });

  it('validates every payload against its schema (unknown fields, caps, hashes, the PIN never quoted)', async () => {
    const h = rig(undefined);
    const big = { name: 'r.json', bytes: new Uint8Array(2 * 1024 * 1024 + 1) };
    const base = signReq('alice');
    const cases: [ChannelName, unknown, string][] = [
      [CHANNELS.certificateReview, { request: requestFile, extra: 1 }, '$.extra'],
      [CHANNELS.certificateReview, { request: big }, '$.request.bytes'],
      [CHANNELS.certificateReview, { request: { name: '../r.json', bytes: requestFile.bytes } }, '$.request.name'],
      [CHANNELS.certificateReview, {}, '$.request'],
      [CHANNELS.certificateCheckSigner, { request: requestFile, module: '/usr/lib/softhsm/libsofthsm2.so', token: tokenOf('alice'), keyLabel: 'root-alice' }, '$.module'],
      [CHANNELS.certificateCheckSigner, { request: requestFile, module: 'softhsm2', token: { serial: '' , label: 'alice' }, keyLabel: 'root-alice' }, '$.token.serial'],
      [CHANNELS.certificateCheckSigner, { request: requestFile, module: 'softhsm2', token: tokenOf('alice'), keyLabel: '' }, '$.keyLabel'],
      [CHANNELS.certificateSign, { ...base, confirmedSha256: 'zz' }, '$.confirmedSha256'],
      [CHANNELS.certificateSign, { ...base, confirmedSha256: requestId.toUpperCase() }, '$.confirmedSha256'],
      [CHANNELS.certificateSign, { ...base, pin: '' }, '$.pin'],
      [CHANNELS.certificateSign, { ...base, pin: 7 }, '$.pin'],
      [CHANNELS.certificateSign, { ...base, witnesses: [' Wendy'] }, '$.witnesses[0]'],
      [CHANNELS.certificateSign, { ...base, shareCards: [] }, '$.shareCards'],
      [CHANNELS.certificateSign, { ...base, request: big }, '$.request.bytes'],
    ];
    for (const [channel, payload, path] of cases) {
      const e = await refused(h, channel, payload);
      expect([channel, path, e.code, e.path]).toEqual([channel, path, 'IPC_INVALID', path]);
      expect(e.message).not.toContain(PINS.alice!);
    }
  });
});
