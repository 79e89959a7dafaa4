/**
 * Issue #14 in the app, end to end: a Notary root certificate request (the first round of renewing root
 * certificates with the same keys) co-signed on the Co-sign screen, on SoftHSM2 tokens, at 1280×800 and
 * 1024×700 with an axe-core scan.
 *
 * Setup (the core, as the administrator's `rotate` of a plan with `root.renewCertificates` would write it):
 * SoftHSM2 tokens made by softhsm2-util (Alice, Bob), a P-256 root key generated on each with a
 * certificate made on the token that ends in 30 days; root v1 2-of-2; the certificate request renewing both.
 * Then only screens, each custodian on their own browser context:
 *
 * - the review says, in words, that the token will issue a new certificate for the key, valid from … until
 *   …, same key, and nothing is signed for root.json; the hash words are the request ID's;
 * - "My key is on share cards" is refused before any card is asked (CERTIFICATE_SHARE_CARDS_UNSUPPORTED);
 * - a key the request does not renew is refused before any PIN; a wrong PIN is refused and asked again;
 * - the token issues the certificate; the response and its sealed transcript are written.
 *
 * Finally the administrator's merge (the CLI's core function, mergeCertificateResponses) takes the two
 * responses and builds root v2's signing request ("Alice's certificate renewed to …; same key").
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifyTranscript } from '../../src/audit/verify.js';
import { shortDigest } from '../../src/crypto/digest-words.js';
import { buildCertificateRequest, mergeCertificateResponses, parseCertificateRequest, parseCertificateResponse, serializeCertificateRequest } from '../../src/rotation/certificate-request.js';
import { describeRequest } from '../../src/rotation/index.js';
import { makeNotaryRootCertificate } from '../../src/signers/certificate.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import type { ListedKey } from '../../src/signers/public-key-json.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { makeKey, type TestKey } from '../support/keys.js';
import { rootSigned, sign } from '../support/repo.js';
import { axeViolations } from './support/axe.js';
import { startSession, type E2eSession } from './support/session.js';
import { initSoftHsmToken, useSoftHsmDir } from './support/softhsm.js';
import { pickTokenKey } from './support/token-key.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const SO_PIN = '87654321';
const PEOPLE = [
  { name: 'Alice', label: 'cert-alice', pin: 'alice-5521-q' },
  { name: 'Bob', label: 'cert-bob', pin: 'bob-6632-r' },
] as const;
const SIZES = [
  { width: 1280, height: 800 },
  { width: 1024, height: 700 },
] as const;
const GUN = 'registry.example.com/certificates/e2e';
const DAY = 86_400_000;
const YEAR = 365 * DAY;
const now = Math.floor(Date.now() / 1000) * 1000;

let dir: string;
let out: string;
let session: E2eSession;
let requestPath: string;
let requestId: string;
const serials: Record<string, string> = {};
const listed: Record<string, ListedKey> = {};

beforeAll(async () => {
  if (!existsSync(SOFTHSM)) throw new Error(`${SOFTHSM} is missing: install Debian's softhsm2`);
  dir = mkdtempSync(join(tmpdir(), 'tufc-e2e-cosign-cert-'));
  out = join(dir, 'out');
  mkdirSync(out);
  await useSoftHsmDir(dir);
  for (const p of PEOPLE) serials[p.name] = initSoftHsmToken(p.label, p.pin, SO_PIN);
  const mod = await TokenModule.load(SOFTHSM);
  try {
    const sessions = [];
    const signers = [];
    for (const p of PEOPLE) {
      const s = await mod.openToken({ serial: serials[p.name]! });
      sessions.push(s);
      await s.login(p.pin);
      const key = await s.generateKeyPair({ algorithm: 'ecdsa-p256', label: `root-${p.name.toLowerCase()}` });
      // Certificates that end in 30 days: the renewal's reason.
      const cert = await makeNotaryRootCertificate(key, { gun: GUN, notBefore: new Date(now - DAY), notAfter: new Date(now + 30 * DAY) });
      listed[p.name] = cert.listed;
      signers.push(metadataSigner(key, cert.listed));
      // Bob's token also holds a key that is no root key: refused before any PIN.
      if (p.name === 'Bob') await s.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'bob-other' });
    }
    const others: TestKey[] = [await makeKey('notary', 'ecdsa-p256', GUN), await makeKey('notary', 'ecdsa-p256', GUN), await makeKey('notary', 'ed25519', GUN)];
    const root = PEOPLE.map((p) => ({ keyId: listed[p.name]!.keyId, json: listed[p.name]!.json }) as unknown as TestKey);
    const rootV1 = await sign('notary', rootSigned('notary', 1, { root, targets: [others[0]!], snapshot: [others[1]!], timestamp: [others[2]!] }, { root: 2 }, formatExpires(new Date(now + YEAR))), signers);
    for (const s of sessions) await s.close();
    const request = buildCertificateRequest({
      previousRootBytes: rootV1,
      repository: GUN,
      expires: formatExpires(new Date(now + 6 * YEAR)),
      certificatesUntil: new Date(now + 7 * YEAR),
      certificates: PEOPLE.map((p) => ({ keyid: listed[p.name]!.keyId, name: p.name })),
      now: new Date(now),
    });
    requestId = request.requestId;
    requestPath = join(dir, `certificates.request-${requestId.slice(0, 8)}.json`);
    writeFileSync(requestPath, serializeCertificateRequest(request));
  } finally {
    // Finalised before the session's handlers load the module for the screens.
    await mod.finalize();
  }
  session = await startSession({ rotationOutputDir: async () => out });
});

afterAll(async () => {
  await session?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The page is no wider than the viewport. */
async function expectFits(page: Page, what: string): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth, what).toBeLessThanOrEqual(innerWidth);
}

async function expectAxeClean(page: Page, what: string): Promise<void> {
  expect(await axeViolations(page), what).toEqual([]);
}

describe('Co-sign screen: a Notary certificate request issued on SoftHSM2 tokens', () => {
  test('Alice (1280×800) and Bob (1024×700) review, confirm the words, and their tokens issue new certificates for the same keys; the core merge builds root v2', async () => {
    const validity = parseCertificateRequest(new Uint8Array(readFileSync(requestPath))).validity;
    const until = `${validity.notAfter.toISOString().slice(0, 10)} ${validity.notAfter.toISOString().slice(11, 16)} UTC`;
    const responses: string[] = [];
    for (const [i, person] of PEOPLE.entries()) {
      const size = SIZES[i]!;
      const { page, errors, choose } = await session.open('cosign');
      await page.setViewportSize(size);
      await page.getByRole('heading', { level: 1, name: 'Co-sign' }).waitFor();
      await choose('Signing request…', requestPath);
      await page.getByRole('heading', { name: 'Certificate renewal: root version 1 → 2' }).waitFor();
      const said = await page.getByRole('list', { name: 'What each token will issue' }).innerText();
      for (const p of PEOPLE) expect(said).toContain(`(“${p.name}”): your token will issue a new certificate for your key, valid from`);
      expect(said).toContain(`until ${until}; same key`);
      expect(await page.getByText('Nothing is signed for root.json in this step').count()).toBe(1);
      const words = await page.getByRole('list', { name: 'Hash words, to read aloud' }).getByRole('listitem').allInnerTexts();
      expect(words).toEqual(shortDigest(requestId).words);
      await expectFits(page, `review at ${size.width}`);
      await expectAxeClean(page, `review at ${size.width}×${size.height}`);

      // No token choice before the words are confirmed.
      expect(await page.getByRole('button', { name: 'List tokens' }).count()).toBe(0);
      await page.getByRole('checkbox', { name: /match the ones the administrator read out/ }).check();
      await page.getByLabel('Witnesses present (optional, one name per line)').fill('Dana Witness');

      // Share cards: refused before any card is asked.
      await page.getByRole('radio', { name: 'My key is on share cards' }).check();
      const cards = page.getByRole('alert').filter({ hasText: 'CERTIFICATE_SHARE_CARDS_UNSUPPORTED' });
      await cards.waitFor();
      expect(await cards.innerText()).toContain('cannot issue its renewed certificate in this app');
      expect(await page.getByRole('textbox', { name: /card/i }).count()).toBe(0);
      await page.getByRole('radio', { name: 'Issue with a token' }).check();

      if (person.name === 'Bob') {
        // A key on Bob's token the request does not renew: refused when checked, before any PIN.
        await pickTokenKey(page, person.label, 'bob-other');
        await page.getByRole('button', { name: 'Check this key' }).click();
        const unknown = page.getByRole('alert').filter({ hasText: 'ROTATION_SIGNER_UNKNOWN' });
        await unknown.waitFor();
        expect(await unknown.innerText()).toContain('no PIN was asked');
        expect(await page.getByRole('dialog').count()).toBe(0);
      }
      await pickTokenKey(page, person.label, `root-${person.name.toLowerCase()}`);
      await page.getByRole('button', { name: 'Check this key' }).click();
      const found = page.getByRole('status').filter({ hasText: `is ${person.name}’s root key` });
      await found.waitFor();
      expect(await found.innerText()).toContain(serials[person.name]!);
      await page.getByRole('button', { name: 'Issue the certificate…' }).click();
      let dialog = page.getByRole('dialog', { name: `PIN for token “${person.label}”` });
      await dialog.waitFor();
      expect(await dialog.innerText()).toContain(`issue a new certificate for ${person.name}’s key, valid until ${until}`);
      if (person.name === 'Alice') {
        // A wrong PIN: refused, nothing written, asked again.
        await dialog.getByLabel('PIN', { exact: true }).pressSequentially('wrong-0000');
        await dialog.getByRole('button', { name: 'Issue' }).click();
        const wrong = page.getByRole('alert').filter({ hasText: 'PIN_INCORRECT' });
        await wrong.waitFor({ timeout: 60_000 });
        expect(readdirSync(out)).toEqual([]);
        await wrong.getByRole('button', { name: 'Try the PIN again' }).click();
        dialog = page.getByRole('dialog', { name: `PIN for token “${person.label}”` });
        await dialog.waitFor();
      }
      await dialog.getByLabel('PIN', { exact: true }).pressSequentially(person.pin);
      await dialog.getByRole('button', { name: 'Issue' }).click();
      const done = page.getByRole('status').filter({ hasText: 'Signed: response written' });
      await done.waitFor({ timeout: 60_000 });
      const text = await done.innerText();
      expect(text).toContain(`${person.name}’s new certificate for the same key, valid until ${until}, issued on token serial ${serials[person.name]}`);
      expect(text).toContain('Witnesses recorded in the response: Dana Witness.');
      expect(await page.content()).not.toContain(person.pin);
      expect(errors).toEqual([]);
      await expectFits(page, `result at ${size.width}`);
      await expectAxeClean(page, `result at ${size.width}×${size.height}`);
      await page.screenshot({ path: `/tmp/e2e-cosign-certificate-${person.name.toLowerCase()}.png`, fullPage: true });
      const written = readdirSync(out).filter((f) => new RegExp(`^${person.name.toLowerCase()}\\.certificate-response-v2-${requestId.slice(0, 8)}\\.json$`).test(f));
      expect(written).toHaveLength(1);
      expect(text).toContain(written[0]!);
      // The session transcript beside it, sealed by the key that issued the certificate.
      const transcript = new Uint8Array(readFileSync(join(out, `${written[0]!}.transcript.jsonl`)));
      expect(verifyTranscript(transcript).sealed).toBe(true);
      for (const f of [written[0]!, `${written[0]!}.transcript.jsonl`]) expect(readFileSync(join(out, f), 'latin1')).not.toContain(person.pin);
      responses.push(join(out, written[0]!));
      await page.context().close();
    }

    // The administrator's merge (the CLI's core function): both certificates accepted, root v2's signing request built.
    const request = parseCertificateRequest(new Uint8Array(readFileSync(requestPath)));
    const merged = mergeCertificateResponses(request, responses.map((p) => parseCertificateResponse(new Uint8Array(readFileSync(p)))));
    expect(merged.waitingFor).toEqual([]);
    expect(merged.request).toBeDefined();
    const review = describeRequest(merged.request!).text;
    for (const p of PEOPLE) expect(review).toContain(`root: ${p.name}'s certificate renewed to ${formatExpires(validity.notAfter)}; same key`);
    expect(merged.request!.renewal?.certificateRequestId).toBe(requestId);
  });
});
