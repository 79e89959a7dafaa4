/**
 * Review-15a F5 and F4 in the app: the Co-sign screen shows every sentence of the core's review, not only
 * the changes — in Chromium, on the real IPC handlers behind the test bridge.
 *
 * - Notary: Dave's root certificate ends in a year, the new root in six: the core's WARNING ("… root
 *   certificate ends …, before this root expires …") is on screen as an alert, word for word;
 * - TUF: a request whose payload carries a field in the root role that no sentence says (request ID
 *   recomputed, as anyone editing a request can): the screen lists it with its JSON path and value.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JsonObject } from '../../src/json/types.js';
import { buildRotationPayload, buildSigningRequest, describeRequest, parseSigningRequest, requestIdForDocument, serializeSigningRequest } from '../../src/rotation/index.js';
import { makeNotaryRootCertificate } from '../../src/signers/certificate.js';
import { SoftwareKey } from '../../src/signers/software.js';
import { tempDirs } from '../support/temp-dirs.js';
import { EXPIRES_V2, GUN, makeCustodian, rootFixture } from '../unit/rotation/support.js';
import { axeViolations } from './support/axe.js';
import { startSession, type E2eSession } from './support/session.js';

const YEAR = 365 * 24 * 3600 * 1000;
const tmp = tempDirs();
let dir: string;
let session: E2eSession;
let warningPath: string;
let warning: string;
let hiddenPath: string;

beforeAll(async () => {
  dir = tmp('tufc-e2e-review-notes-');
  // Notary: Carol replaced by Dave, whose certificate ends long before the new root.
  const fx = await rootFixture('notary');
  const daveKey = SoftwareKey.generate('ecdsa-p256', { label: 'Dave' });
  const dave = await makeNotaryRootCertificate(daveKey, { gun: GUN, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + YEAR) });
  const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: fx.custodians[2]!.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'retired' }] } }, { names: fx.names });
  const request = buildSigningRequest(payload, { repository: GUN });
  warning = describeRequest(request).certificateWarnings[0]!;
  warningPath = join(dir, 'warning.request.json');
  writeFileSync(warningPath, serializeSigningRequest(request));

  // TUF: an honest rotation, then a field added inside roles.root and the request ID recomputed.
  const tf = await rootFixture('tuf');
  const erin = await makeCustodian('tuf', 'Erin');
  const honest = buildRotationPayload(tf.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: tf.custodians[0]!.listed.keyId, new: { json: erin.listed.json, name: 'Erin' }, reason: 'retired' }] } }, { names: tf.names });
  const doc = JSON.parse(new TextDecoder().decode(serializeSigningRequest(buildSigningRequest(honest, { repository: 'site/app' })))) as JsonObject;
  (((doc.payload as JsonObject).roles as JsonObject).root as JsonObject)['x-note'] = 'not in the sentences';
  doc.requestId = requestIdForDocument(doc);
  const bytes = new TextEncoder().encode(JSON.stringify(doc));
  parseSigningRequest(bytes); // the core accepts it: the review is what must tell
  hiddenPath = join(dir, 'hidden.request.json');
  writeFileSync(hiddenPath, bytes);
  session = await startSession({ rotationOutputDir: async () => dir });
}, 120_000);

afterAll(async () => {
  await session?.close();
});

describe('Co-sign screen: the review says everything the core says', () => {
  test('a Notary root certificate that ends before the root expires: the WARNING is an alert on screen', async () => {
    expect(warning).toMatch(/^WARNING: .*root certificate ends .*before this root expires/);
    const { page, errors, choose } = await session.open('cosign');
    await page.getByRole('heading', { level: 1, name: 'Co-sign' }).waitFor();
    await choose('Signing request…', warningPath);
    await page.getByRole('list', { name: 'Changes in plain words' }).waitFor();
    const alert = page.getByRole('alert', { name: 'Review warnings' });
    await alert.waitFor();
    expect(await alert.innerText()).toContain(warning);
    expect(await axeViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.screenshot({ path: '/tmp/e2e-cosign-review-warning.png', fullPage: true });
  });

  test('a field no sentence says: listed with its JSON path and value', async () => {
    const { page, errors, choose } = await session.open('cosign');
    await page.getByRole('heading', { level: 1, name: 'Co-sign' }).waitFor();
    await choose('Signing request…', hiddenPath);
    await page.getByRole('list', { name: 'Changes in plain words' }).waitFor();
    const other = page.getByRole('list', { name: 'Other differences in the signed bytes' });
    await other.waitFor();
    expect(await other.innerText()).toContain('$.roles.root["x-note"] added: "not in the sentences"');
    expect(await page.getByRole('alert', { name: 'Review warnings' }).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.screenshot({ path: '/tmp/e2e-cosign-review-also.png', fullPage: true });
  });
});
