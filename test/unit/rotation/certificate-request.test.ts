/**
 * Issue #14: renewing Notary root certificates through request → co-sign → merge, with the same keys
 * (src/rotation/certificate-request.ts). The whole flow with software keys (the integration test runs it on
 * SoftHSM2 tokens with notary), then each refusal with its code: the request, the responses, the chained
 * signing request, the plan.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { isCeremonyError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import {
  buildCertificateRequest,
  describeCertificateRequest,
  inspectCertificateDocument,
  issueRenewedCertificate,
  mergeCertificateResponses,
  parseCertificateRequest,
  parseCertificateResponse,
  serializeCertificateRequest,
  serializeCertificateResponse,
  type CertificateRequest,
  type CertificateResponse,
} from '../../../src/rotation/certificate-request.js';
import { planCertificateRenewal } from '../../../src/rotation/certificate-plan.js';
import { renewCertificatesInRoom } from '../../../src/rotation/certificate-room.js';
import { describeRequest, mergeResponses, parsePreviousRoot, parseSigningRequest, requestIdForDocument, serializeSigningRequest, signRequest } from '../../../src/rotation/index.js';
import { makeNotaryRootCertificate, type NotaryRootCertificate } from '../../../src/signers/certificate.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import { formatExpires } from '../../../src/tuf/dates.js';
import { getProfile } from '../../../src/profiles/index.js';
import { parseCertificatePem } from '../../../src/profiles/x509.js';
import type { RenewalLink } from '../../../src/rotation/request.js';
import { parseRootSigned } from '../../../src/tuf/root.js';
import { makeKey, notaryCertificatePem, type TestKey } from '../../support/keys.js';
import { FAR, GUN, rootSigned, sign } from '../../support/repo.js';

const DAY = 86_400_000;
const YEAR = 365 * DAY;
const now = new Date(Math.floor(Date.now() / 1000) * 1000);
const NAMES = ['Alice', 'Bob', 'Carol'] as const;
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const dec = (b: Uint8Array) => JSON.parse(Buffer.from(b).toString('utf8')) as JsonObject;

let keys: Record<string, SoftwareKey>;
/** Alice's key pair as node KeyObjects too: the forged certificates below are made with a test library from them. */
let alicePair: { privateKey: KeyObject; publicKey: KeyObject };
let certs: Record<string, NotaryRootCertificate>;
let others: { targets: TestKey; snapshot: TestKey; timestamp: TestKey };
let rootV1: Uint8Array;
let expires: string;
let request: CertificateRequest;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isCeremonyError(err)) return err.code;
    throw err;
  }
  return 'accepted';
}
async function codeOfAsync(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    if (isCeremonyError(err)) return err.code;
    throw err;
  }
  return 'accepted';
}

beforeAll(async () => {
  keys = {};
  certs = {};
  alicePair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  for (const name of NAMES) {
    keys[name] =
      name === 'Alice'
        ? SoftwareKey.fromSecret('ecdsa-p256', new Uint8Array(Buffer.from(alicePair.privateKey.export({ format: 'jwk' }).d!, 'base64url')), { label: 'root-alice' })
        : SoftwareKey.generate('ecdsa-p256', { label: `root-${name.toLowerCase()}` });
    // Certificates that end in 30 days: the renewal's reason.
    certs[name] = await makeNotaryRootCertificate(keys[name]!, { gun: GUN, notBefore: new Date(now.getTime() - DAY), notAfter: new Date(now.getTime() + 30 * DAY) });
  }
  others = { targets: await makeKey('notary', 'ecdsa-p256'), snapshot: await makeKey('notary', 'ecdsa-p256'), timestamp: await makeKey('notary', 'ed25519') };
  const rootKeys = NAMES.map((n) => ({ keyId: certs[n]!.listed.keyId, json: certs[n]!.listed.json }) as unknown as TestKey);
  const signed = rootSigned('notary', 1, { root: rootKeys, targets: [others.targets], snapshot: [others.snapshot], timestamp: [others.timestamp] }, { root: 2 }, FAR);
  rootV1 = await sign('notary', signed, [metadataSigner(keys.Alice!, certs.Alice!.listed), metadataSigner(keys.Bob!, certs.Bob!.listed)]);
  expires = formatExpires(new Date(now.getTime() + 6 * YEAR));
  request = buildCertificateRequest({ previousRootBytes: rootV1, repository: GUN, expires, certificatesUntil: new Date(now.getTime() + 7 * YEAR), certificates: NAMES.map((n) => ({ keyid: certs[n]!.listed.keyId, name: n })), now });
});

async function respond(name: (typeof NAMES)[number], req = request): Promise<CertificateResponse> {
  return (await issueRenewedCertificate(req, keys[name]!, { token: { serial: `serial-${name}`, label: name.toLowerCase() } })).response;
}

describe('certificate renewal, request → co-sign → merge', () => {
  it('each key issues a certificate for itself; merge builds root v2 whose request says "certificate renewed; same key" and names the certificate request; signed under old and new IDs it is final', async () => {
    // The request survives its file form, and its review says what each token will do.
    const back = parseCertificateRequest(serializeCertificateRequest(request));
    expect(back.requestId).toBe(request.requestId);
    const review = describeCertificateRequest(back).lines.join('\n');
    const until = formatExpires(request.validity.notAfter);
    expect(review).toContain(`Alice (key ID ${certs.Alice!.listed.keyId.slice(0, 12)}…`);
    expect(review).toContain(`your token will issue a new certificate for your key, valid from ${formatExpires(request.validity.notBefore)} until ${until}; same key`);
    expect(review).toContain('Nothing is signed for root.json in this step');

    const responses: CertificateResponse[] = [];
    for (const name of NAMES) responses.push(parseCertificateResponse(serializeCertificateResponse(await respond(name))));
    expect(mergeCertificateResponses(back, responses.slice(0, 2)).waitingFor.map((w) => w.name)).toEqual(['Carol']);
    const merged = mergeCertificateResponses(back, [responses[2]!, responses[0]!, responses[1]!]);
    const signing = parseSigningRequest(serializeSigningRequest(merged.request!));
    expect(signing.renewal?.certificateRequestId).toBe(request.requestId);
    const text = describeRequest(signing).text;
    for (const name of NAMES) expect(text).toContain(`root: ${name}'s certificate renewed to ${until}; same key`);
    expect(text).toContain(`certificate request ${request.requestId.slice(0, 16)}…`);
    expect(text).not.toMatch(/REPLACED|LOSES|WARNING/);

    // Each key signs under its old and its new certificate ID (notary: old threshold by the old IDs).
    const signed = [];
    for (const name of ['Alice', 'Bob'] as const) {
      const r = await signRequest(signing, keys[name]!);
      expect(r.signatures).toHaveLength(2);
      signed.push(r);
    }
    const result = mergeResponses(signing, signed);
    expect(result.final).toBe(true);
    const v2 = parsePreviousRoot(result.bytes!);
    expect(v2.signed.version).toBe(2);
    expect(v2.signed.expiresText).toBe(expires);
    for (const id of v2.signed.roles.get('root')!.keyids) {
      const k = v2.signed.keys.get(id)!;
      expect(k.key.certificate!.notAfter.toISOString()).toBe(request.validity.notAfter.toISOString());
      expect(NAMES.some((n) => keys[n]!.fingerprint === k.key.fingerprint)).toBe(true);
    }
    // One signer alone reaches neither threshold (2 of 3 keys, counted once under two IDs).
    expect(mergeResponses(signing, signed.slice(0, 1)).final).toBe(false);
  });

  it('inspect shows a certificate request\'s review and what a response holds', async () => {
    const req = inspectCertificateDocument(serializeCertificateRequest(request), 'certificates.request.json');
    expect(req.text).toContain('your token will issue a new certificate for your key');
    expect(req.json.requestId).toBe(request.requestId);
    const res = inspectCertificateDocument(serializeCertificateResponse(await respond('Bob')), 'bob.json');
    expect(res.text).toContain(`a new certificate for root key ${certs.Bob!.listed.keyId.slice(0, 12)}…: CN "${GUN}", valid ${formatExpires(request.validity.notBefore)} until ${formatExpires(request.validity.notAfter)}`);
  });

  it('a key the request does not renew cannot answer it (before anything is signed)', async () => {
    const only = buildCertificateRequest({ previousRootBytes: rootV1, repository: GUN, expires, certificates: [{ keyid: certs.Alice!.listed.keyId, name: 'Alice' }], now });
    expect(await codeOfAsync(() => issueRenewedCertificate(only, keys.Bob!))).toBe('ROTATION_SIGNER_UNKNOWN');
    expect(describeCertificateRequest(only).lines.join('\n')).toContain('its certificate is NOT renewed here');
  });
});

describe('in the room (certificate-room.ts)', () => {
  it('every key issues its certificate, then signs root v2 under both IDs: final in one pass', async () => {
    const done = await renewCertificatesInRoom(request, NAMES.map((n) => ({ key: keys[n]! })));
    expect([done.result.final, done.result.version, done.certificates.length, done.responses.every((r) => r.signatures.length === 2)]).toEqual([true, 2, 3, true]);
    expect(describeRequest(done.signing).text).toContain(`root: Carol's certificate renewed to ${formatExpires(request.validity.notAfter)}; same key`);
  });

  it.each<[string, () => Promise<unknown>, string]>([
    ['a key the request does not renew in the room', () => renewCertificatesInRoom(request, [{ key: SoftwareKey.generate('ecdsa-p256') }]), 'ROTATION_SIGNER_UNKNOWN'],
    ['not every renewed key in the room', () => renewCertificatesInRoom(request, [{ key: keys.Alice! }, { key: keys.Bob! }]), 'CERTIFICATES_INCOMPLETE'],
    [
      'too few keys in the room for the old root\'s threshold (2 of 3)',
      () => renewCertificatesInRoom(buildCertificateRequest({ previousRootBytes: rootV1, repository: GUN, expires, certificates: [{ keyid: certs.Alice!.listed.keyId, name: 'Alice' }], now }), [{ key: keys.Alice! }]),
      'ROOT_NOT_SIGNED_BY_PREVIOUS',
    ],
  ])('%s → %s', async (_name, run, code) => {
    expect(await codeOfAsync(run)).toBe(code);
  });
});

describe('refusals, each with its code', () => {
  it.each<[string, () => Parameters<typeof buildCertificateRequest>[0], string]>([
    ['certificates ending before the new root expires', () => ({ previousRootBytes: rootV1, repository: GUN, expires, certificatesUntil: new Date(now.getTime() + YEAR), certificates: [{ keyid: certs.Alice!.listed.keyId, name: 'Alice' }], now }), 'ROTATION_CHANGE_INVALID'],
    ['a new root that does not expire later', () => ({ previousRootBytes: rootV1, repository: GUN, expires: '2021-01-01T00:00:00Z', certificates: [{ keyid: certs.Alice!.listed.keyId, name: 'Alice' }], now }), 'ROTATION_CHANGE_INVALID'],
    ['a key that is not a root key', () => ({ previousRootBytes: rootV1, repository: GUN, expires, certificates: [{ keyid: others.targets.keyId, name: 'Tina' }], now }), 'ROTATION_CHANGE_INVALID'],
    ['a key named twice', () => ({ previousRootBytes: rootV1, repository: GUN, expires, certificates: [{ keyid: certs.Alice!.listed.keyId, name: 'Alice' }, { keyid: certs.Alice!.listed.keyId, name: 'Alice again' }], now }), 'ROTATION_CHANGE_INVALID'],
    ['another repository than the certificates name', () => ({ previousRootBytes: rootV1, repository: 'registry.example.com/other', expires, certificates: [{ keyid: certs.Alice!.listed.keyId, name: 'Alice' }], now }), 'CERTIFICATE_INVALID'],
    ['no certificate at all', () => ({ previousRootBytes: rootV1, repository: GUN, expires, certificates: [], now }), 'SCHEMA_INVALID'],
    // Review B2 L1: UTCTime cannot say 1949 (it would read as 2049): refused before any token is touched.
    ['certificates valid from before 1950 (a clock in 1949)', () => ({ previousRootBytes: rootV1, repository: GUN, expires, certificates: [{ keyid: certs.Alice!.listed.keyId, name: 'Alice' }], now: new Date('1949-12-31T23:00:00Z') }), 'DATE_INVALID'],
  ])('building a request: %s → %s', (_name, input, code) => {
    expect(codeOf(() => buildCertificateRequest(input()))).toBe(code);
  });

  it('a validity before 1950 names its JSON path ($.validity.notBefore)', () => {
    const input = { previousRootBytes: rootV1, repository: GUN, expires, certificates: [{ keyid: certs.Alice!.listed.keyId, name: 'Alice' }], now: new Date('1949-12-31T23:00:00Z') };
    expect(() => buildCertificateRequest(input)).toThrow(expect.objectContaining({ code: 'DATE_INVALID', path: '$.validity.notBefore' }));
    // 1950-01-01 exactly is the first time UTCTime can carry: accepted.
    expect(buildCertificateRequest({ ...input, now: new Date(Date.UTC(1950, 0, 1, 0, 5)) }).validity.notBefore.toISOString()).toBe('1950-01-01T00:00:00.000Z');
  });

  it('a TUF root has no certificates to renew (PROFILE_UNKNOWN)', async () => {
    const k = await makeKey('tuf', 'ed25519');
    const tufRoot = await sign('tuf', rootSigned('tuf', 1, { root: [k], targets: [k], snapshot: [k], timestamp: [k] }), [k]);
    expect(codeOf(() => buildCertificateRequest({ previousRootBytes: tufRoot, repository: 'r', expires, certificates: [{ keyid: k.keyId, name: 'K' }], now }))).toBe('PROFILE_UNKNOWN');
  });

  it.each<[string, (doc: JsonObject) => void, string]>([
    ['the validity changed after export', (d) => ((d.validity as JsonObject).notAfter = '2099-01-01T00:00:00Z'), 'ROTATION_REQUEST_TAMPERED'],
    ['a name changed after export', (d) => (((d.certificates as JsonObject[])[0]!).name = 'Mallory'), 'ROTATION_REQUEST_TAMPERED'],
    ['the root expiry changed after export', (d) => (d.expires = '2099-01-01T00:00:00Z'), 'ROTATION_REQUEST_TAMPERED'],
    ['an unknown field', (d) => (d.extra = 1), 'SCHEMA_INVALID'],
    ['another format', (d) => (d.format = 'tuf-ceremony-signing-request'), 'SCHEMA_INVALID'],
    ['a TUF profile', (d) => (d.profile = 'tuf'), 'SCHEMA_INVALID'],
    ['a previous root that is not base64', (d) => (d.previousRoot = '***'), 'SCHEMA_INVALID'],
    ['a request ID that is not hex', (d) => (d.requestId = 'xyz'), 'SCHEMA_INVALID'],
    ['a validity date that is not a date', (d) => ((d.validity as JsonObject).notBefore = 'tomorrow'), 'DATE_INVALID'],
  ])('reading a request: %s → %s', (_name, edit, code) => {
    const doc = dec(serializeCertificateRequest(request));
    edit(doc);
    expect(codeOf(() => parseCertificateRequest(enc(doc)))).toBe(code);
  });

  it.each<[string, () => Promise<CertificateResponse[]>, string]>([
    ['a certificate for another key than the custodian\'s (Bob\'s key answering for Alice)', async () => [{ ...(await respond('Bob')), keyid: certs.Alice!.listed.keyId }], 'CERTIFICATE_KEY_MISMATCH'],
    [
      'a certificate valid for other dates than the request asked',
      async () => {
        const c = await makeNotaryRootCertificate(keys.Alice!, { gun: GUN, notBefore: request.validity.notBefore, notAfter: new Date(request.validity.notAfter.getTime() + DAY) });
        return [{ ...(await respond('Alice')), certificate: c.pem }];
      },
      'CERTIFICATE_VALIDITY_MISMATCH',
    ],
    [
      'a certificate whose self-signature does not verify',
      async () => {
        const r = await respond('Alice');
        const der = Buffer.from(r.certificate.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, ''), 'base64');
        der[der.length - 1] = der[der.length - 1]! ^ 0x01; // the last byte of the ECDSA signature's s
        return [{ ...r, certificate: `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n` }];
      },
      'CERTIFICATE_SIGNATURE_INVALID',
    ],
    [
      'a certificate for another repository',
      async () => {
        const c = await makeNotaryRootCertificate(keys.Alice!, { gun: 'registry.example.com/other', notBefore: request.validity.notBefore, notAfter: request.validity.notAfter });
        return [{ ...(await respond('Alice')), certificate: c.pem }];
      },
      'CERTIFICATE_INVALID',
    ],
    ['two certificates in one PEM', async () => [{ ...(await respond('Alice')), certificate: (await respond('Alice')).certificate + (await respond('Bob')).certificate }], 'CERTIFICATE_INVALID'],
    ['an answer to another request', async () => [{ ...(await respond('Alice')), requestId: 'ab'.repeat(32) }], 'ROTATION_RESPONSE_MISMATCH'],
    ['a key the request does not renew', async () => [{ ...(await respond('Alice')), keyid: others.targets.keyId }], 'ROTATION_SIGNER_UNKNOWN'],
    ['the same key answering twice', async () => [await respond('Alice'), await respond('Alice')], 'ROTATION_SIGNATURE_DUPLICATE'],
  ])('merging certificates: %s → %s', async (_name, make, code) => {
    const responses = await make();
    expect(codeOf(() => mergeCertificateResponses(request, responses))).toBe(code);
  });

  it.each<[string, (doc: JsonObject) => void, string]>([
    ['a response with an unknown field', (d) => (d.extra = true), 'SCHEMA_INVALID'],
    ['a response of another format', (d) => (d.format = 'tuf-ceremony-signature-response'), 'SCHEMA_INVALID'],
    ['a signer name with a control character', (d) => ((d.signer as JsonObject).name = 'Al\u001b[2Jice'), 'SCHEMA_INVALID'],
  ])('reading a response: %s → %s', async (_name, edit, code) => {
    const doc = dec(serializeCertificateResponse(await respond('Alice')));
    edit(doc);
    expect(codeOf(() => parseCertificateResponse(enc(doc)))).toBe(code);
  });

  it.each<[string, (doc: JsonObject) => void, string]>([
    ['the link to the certificate request edited', (d) => ((d.renewal as JsonObject).certificateRequestId = 'cd'.repeat(32)), 'ROTATION_REQUEST_TAMPERED'],
    ['a certificate hash in the link edited, request ID recomputed', (d) => ((((d.renewal as JsonObject).certificates as JsonObject[])[0]!).sha256 = 'ef'.repeat(32)), 'ROTATION_REQUEST_TAMPERED'],
    ['a renewed certificate left out of the link, request ID recomputed', (d) => ((d.renewal as JsonObject).certificates as JsonObject[]).pop(), 'ROTATION_REQUEST_TAMPERED'],
    ['a payload that changes more than certificates and expiry, request ID recomputed', (d) => ((d.payload as JsonObject).x_note = 'also this'), 'ROTATION_REQUEST_TAMPERED'],
    ['an unknown field in the link', (d) => ((d.renewal as JsonObject).extra = 1), 'SCHEMA_INVALID'],
  ])('the chained signing request: %s → %s', async (name, edit, code) => {
    const merged = mergeCertificateResponses(request, await Promise.all(NAMES.map((n) => respond(n))));
    const doc = dec(serializeSigningRequest(merged.request!));
    edit(doc);
    if (name.includes('recomputed')) doc.requestId = requestIdForDocument(doc);
    expect(codeOf(() => parseSigningRequest(enc(doc)))).toBe(code);
  });

  /**
   * Review B F1: a root signing request written by hand with a `renewal` link (request ID recomputed, as
   * anyone can), listing for a custodian's key a certificate that custodian's token never issued as asked.
   * `forge` gives the PEM to list per custodian (the others keep their real renewed certificate).
   */
  async function forgedChained(forge: Partial<Record<(typeof NAMES)[number], string>>, validity?: RenewalLink['validity']): Promise<JsonObject> {
    const merged = mergeCertificateResponses(request, await Promise.all(NAMES.map((n) => respond(n))));
    let doc = dec(serializeSigningRequest(merged.request!));
    for (const r of merged.renewed) {
      const pem = forge[r.entry.name as (typeof NAMES)[number]];
      if (!pem) continue;
      const json: JsonObject = { ...r.json, keyval: { private: null, public: Buffer.from(pem).toString('base64') } };
      const id = getProfile('notary').keyId(json);
      // Every place the real certificate's key ID appears (payload, policy, expected signers, link) names the forged one.
      doc = JSON.parse(JSON.stringify(doc).replaceAll(r.keyid, id)) as JsonObject;
      ((doc.payload as JsonObject).keys as JsonObject)[id] = json;
      ((doc.renewal as JsonObject).certificates as JsonObject[]).find((c) => c.keyid === id)!.sha256 = createHash('sha256').update(parseCertificatePem(pem, 'test').der).digest('hex');
    }
    if (validity) (doc.renewal as JsonObject).validity = validity;
    doc.requestId = requestIdForDocument(doc);
    return doc;
  }
  const validityOf = (r: CertificateRequest) => ({ notBefore: formatExpires(r.validity.notBefore), notAfter: formatExpires(r.validity.notAfter) });

  it.each<[string, () => Promise<JsonObject>, string, RegExp]>([
    [
      '(a) a certificate for Alice\'s key whose self-signature does not verify (no token issued it)',
      async () => {
        const der = Buffer.from(parseCertificatePem((await respond('Alice')).certificate, 'test').der);
        der[der.length - 1] = der[der.length - 1]! ^ 0x01; // the last byte of the ECDSA signature's s
        return forgedChained({ Alice: `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n` });
      },
      'CERTIFICATE_SIGNATURE_INVALID',
      /not signed by the key it certifies/,
    ],
    ['(b) a CA certificate (CA:TRUE) for Alice\'s key', async () => forgedChained({ Alice: await notaryCertificatePem(alicePair.privateKey, alicePair.publicKey, GUN, { ca: true, ...request.validity }) }), 'CERTIFICATE_INVALID', /CA certificate/],
    [
      '(c) a certificate for Alice\'s key naming another repository',
      async () => forgedChained({ Alice: (await makeNotaryRootCertificate(keys.Alice!, { gun: 'registry.example.com/other', ...request.validity })).pem }),
      'CERTIFICATE_INVALID',
      /not the repository/,
    ],
    [
      '(d) a certificate for Alice\'s key valid for other dates than the certificate request asked',
      async () => forgedChained({ Alice: (await makeNotaryRootCertificate(keys.Alice!, { gun: GUN, notBefore: request.validity.notBefore, notAfter: new Date(request.validity.notAfter.getTime() + DAY) })).pem }),
      'CERTIFICATE_VALIDITY_MISMATCH',
      /the certificate request asked for/,
    ],
    [
      '(d) certificates (and the validity in the link) ending before the new root expires',
      async () => {
        const short = { notBefore: request.validity.notBefore, notAfter: new Date(now.getTime() + 5 * YEAR) };
        const pems = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, (await makeNotaryRootCertificate(keys[n]!, { gun: GUN, ...short })).pem] as const)));
        return forgedChained(pems, { notBefore: formatExpires(short.notBefore), notAfter: formatExpires(short.notAfter) });
      },
      'CERTIFICATE_VALIDITY_MISMATCH',
      /before root version 2 expires/,
    ],
    ['the validity in the link edited (real certificates)', async () => forgedChained({}, { ...validityOf(request), notAfter: formatExpires(new Date(request.validity.notAfter.getTime() + DAY)) }), 'CERTIFICATE_VALIDITY_MISMATCH', /the certificate request asked for/],
  ])('a forged chained request, %s → %s: refused by sign\'s parsing (before any signature) and by merge', async (_name, make, code, message) => {
    const doc = await make();
    let err: unknown;
    try {
      parseSigningRequest(enc(doc));
    } catch (e) {
      err = e;
    }
    expect(isCeremonyError(err) ? [err.code, err.message] : err).toEqual([code, expect.stringMatching(message)]);
    // merge (the administrator's) of the same forged request, had it been taken as parsed: built around the checks.
    const real = parseSigningRequest(serializeSigningRequest(mergeCertificateResponses(request, await Promise.all(NAMES.map((n) => respond(n)))).request!));
    const payload = doc.payload as JsonObject;
    const forged = { ...real, payload, root: parseRootSigned(getProfile('notary'), payload, '$.payload'), renewal: doc.renewal as unknown as RenewalLink };
    expect(codeOf(() => mergeResponses(forged, []))).toBe(code);
  });

  it.each<[string, (doc: JsonObject) => void, string]>([
    ['a validity in the link that is not a date', (d) => (((d.renewal as JsonObject).validity as JsonObject).notAfter = 'later'), 'DATE_INVALID'],
    ['a validity in the link with an unknown field', (d) => (((d.renewal as JsonObject).validity as JsonObject).extra = 1), 'SCHEMA_INVALID'],
    ['no validity in the link', (d) => delete (d.renewal as JsonObject).validity, 'SCHEMA_INVALID'],
    ['a validity in the link before 1950 (UTCTime would read it as 2049)', (d) => (((d.renewal as JsonObject).validity as JsonObject).notBefore = '1949-12-31T00:00:00Z'), 'DATE_INVALID'],
  ])('the chained signing request\'s link: %s → %s', async (_name, edit, code) => {
    const doc = await forgedChained({});
    expect(codeOf(() => parseSigningRequest(enc(doc)))).toBe('accepted');
    edit(doc);
    // The ID is recomputed where it can be (the schema refusal comes first either way).
    if ((doc.renewal as JsonObject).validity) doc.requestId = requestIdForDocument(doc);
    expect(codeOf(() => parseSigningRequest(enc(doc)))).toBe(code);
  });

  describe('the plan (root.renewCertificates)', () => {
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    const plan = (extra: JsonObject = {}, root: JsonObject = { renewCertificates: {} }, profile = 'notary') =>
      enc({
        format: 'tuf-ceremony-rotation-plan',
        version: 1,
        profile,
        repository: GUN,
        previousRoot: { file: 'root.json', sha256: sha(rootV1) },
        custodians: NAMES.map((n) => ({ name: n, keyid: certs[n]!.listed.keyId })),
        expires,
        root,
        ...extra,
      });
    const files = () => new Map([['root.json', rootV1]]);

    it('renews every custodian\'s certificate until the root expires by default; or those listed, until the date given', () => {
      const all = planCertificateRenewal(plan(), files(), now).request;
      expect(all.certificates.map((c) => c.name)).toEqual([...NAMES]);
      expect(formatExpires(all.validity.notAfter)).toBe(expires);
      const until = formatExpires(new Date(now.getTime() + 8 * YEAR));
      const some = planCertificateRenewal(plan({}, { renewCertificates: { custodians: ['Bob'], until } }), files(), now).request;
      expect([some.certificates.map((c) => c.name), formatExpires(some.validity.notAfter)]).toEqual([['Bob'], until]);
    });

    it.each<[string, () => Uint8Array, string]>([
      ['with another root change', () => plan({}, { renewCertificates: {}, threshold: 1 }), 'PLAN_INVALID'],
      ['with a targets key change', () => plan({ targets: { threshold: 1 } }), 'PLAN_INVALID'],
      ['for a TUF repository', () => plan({}, { renewCertificates: {} }, 'tuf'), 'PLAN_INVALID'],
      ['naming an unknown custodian', () => plan({}, { renewCertificates: { custodians: ['Mallory'] } }), 'PLAN_INVALID'],
      ['naming a custodian twice', () => plan({}, { renewCertificates: { custodians: ['Bob', 'Bob'] } }), 'PLAN_INVALID'],
      ['certificates ending before the root', () => plan({}, { renewCertificates: { until: formatExpires(new Date(now.getTime() + YEAR)) } }), 'ROTATION_CHANGE_INVALID'],
      ['an unknown field', () => plan({}, { renewCertificates: { days: 3650 } }), 'PLAN_INVALID'],
    ])('a renewal plan %s → %s', (_name, make, code) => {
      expect(codeOf(() => planCertificateRenewal(make(), files(), now))).toBe(code);
    });
  });
});
