/**
 * The review of a Sigstore trusted_root.json change (src/sigstore/trusted-root.ts): Fulcio CAs, Rekor and
 * CT log keys, timestamp authorities and validity windows added, removed or changed, in words; refusals
 * with their code and path; and `targets-request` showing it, checked against the current file.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetsRequestCommand } from '../../../src/cli/targets-request.js';
import type { JsonObject } from '../../../src/json/types.js';
import { describeRequest, parseSigningRequest, requestIdForDocument } from '../../../src/rotation/index.js';
import { describeTrustedRootChange, parseTrustedRoot } from '../../../src/sigstore/trusted-root.js';
import { captureIo } from '../../support/cli-io.js';
import { buildRepo, FAR, parseBytes, sign, withField } from '../../support/repo.js';
import { bytesOf, trustedRootJson } from '../../support/trusted-root.js';

const work = mkdtempSync(join(tmpdir(), 'tufc-trusted-root-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const v1Doc = trustedRootJson({
  fulcio: [{ uri: 'https://fulcio.example.com', organization: 'example.com', commonName: 'fulcio', start: '2026-01-01T00:00:00Z' }],
  rekor: [{ baseUrl: 'https://rekor.example.com', start: '2026-01-01T00:00:00Z' }],
  ctlogs: [{ baseUrl: 'https://ctfe.example.com/2026', start: '2026-01-01T00:00:00Z' }],
}) as JsonObject;
/** v1Doc with the value at `path` replaced. */
function edited(path: (string | number)[], value: string): JsonObject {
  const doc = structuredClone(v1Doc);
  let at = doc as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  at[path[path.length - 1]!] = value;
  return doc;
}
const keyHex = (entry: JsonObject): string => Buffer.from(((entry.logId as JsonObject).keyId as string), 'base64').toString('hex').slice(0, 16);

describe('describeTrustedRootChange', () => {
  it('a first trusted root lists everything as added, with windows', () => {
    const lines = describeTrustedRootChange(undefined, parseTrustedRoot(bytesOf(v1Doc)));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^Fulcio CA "https:\/\/fulcio\.example\.com" \("O=example\.com, CN=fulcio"\), certificate [0-9a-f]{16}… ADDED, valid from 2026-01-01T00:00:00Z with no end$/);
    expect(lines[1]).toBe(`Rekor log "https://rekor.example.com" key ${keyHex((v1Doc.tlogs as JsonObject[])[0]!)}… ("PKIX_ECDSA_P256_SHA_256") ADDED, valid from 2026-01-01T00:00:00Z with no end`);
    expect(lines[2]).toMatch(/^CT log "https:\/\/ctfe\.example\.com\/2026" key [0-9a-f]{16}… .* ADDED/);
  });

  it('a Rekor key rotation, a CT log shard retired, a new Fulcio CA: each in words', () => {
    const v2 = structuredClone(v1Doc) as JsonObject;
    const oldRekor = (v2.tlogs as JsonObject[])[0]!;
    ((oldRekor.publicKey as JsonObject).validFor as JsonObject).end = '2026-12-01T00:00:00Z';
    const fresh = trustedRootJson({ fulcio: [{ uri: 'https://fulcio2.example.com', organization: 'example.com', commonName: 'fulcio 2027', start: '2026-12-01T00:00:00Z' }], rekor: [{ baseUrl: 'https://rekor.example.com', start: '2026-12-01T00:00:00Z' }], ctlogs: [] }) as JsonObject;
    v2.tlogs = [oldRekor, ...(fresh.tlogs as JsonObject[])];
    v2.ctlogs = [];
    v2.certificateAuthorities = [...(v2.certificateAuthorities as JsonObject[]), ...(fresh.certificateAuthorities as JsonObject[])];
    const lines = describeTrustedRootChange(parseTrustedRoot(bytesOf(v1Doc)), parseTrustedRoot(bytesOf(v2)));
    expect(lines).toEqual([
      expect.stringMatching(/^Fulcio CA "https:\/\/fulcio2\.example\.com" .* ADDED, valid from 2026-12-01T00:00:00Z with no end$/),
      `Rekor log "https://rekor.example.com" key ${keyHex(oldRekor)}… ("PKIX_ECDSA_P256_SHA_256"): now valid from 2026-01-01T00:00:00Z until 2026-12-01T00:00:00Z (was valid from 2026-01-01T00:00:00Z with no end)`,
      `Rekor log "https://rekor.example.com" key ${keyHex((fresh.tlogs as JsonObject[])[0]!)}… ("PKIX_ECDSA_P256_SHA_256") ADDED, valid from 2026-12-01T00:00:00Z with no end`,
      expect.stringMatching(/^CT log "https:\/\/ctfe\.example\.com\/2026" key [0-9a-f]{16}… .* REMOVED \(it was valid from 2026-01-01T00:00:00Z with no end\): entries it signed are no longer trusted$/),
    ]);
    expect(describeTrustedRootChange(parseTrustedRoot(bytesOf(v1Doc)), parseTrustedRoot(bytesOf(v1Doc)))).toEqual([expect.stringMatching(/^no Fulcio CA/)]);
  });

  const bad: [string, unknown, string][] = [
    ['not JSON', 'nope', '$'],
    ['no media type', { tlogs: [] }, 'trusted_root.json $.mediaType'],
    ['another media type', { mediaType: 'application/json' }, 'trusted_root.json $.mediaType'],
    ['tlogs not an array', { ...v1Doc, tlogs: {} }, 'trusted_root.json $.tlogs'],
    ['a log without its ID', { ...v1Doc, tlogs: [{ baseUrl: 'x', publicKey: {} }] }, 'trusted_root.json $.tlogs[0].logId'],
    ['a CA without certificates', { ...v1Doc, certificateAuthorities: [{ uri: 'x', certChain: { certificates: [] } }] }, 'trusted_root.json $.certificateAuthorities[0].certChain.certificates'],
    // Shown in the co-signer's review as they are: free text there would read as a window of its own.
    ['a log window start that is not a timestamp', edited(['tlogs', 0, 'publicKey', 'validFor', 'start'], '2026-01-01T00:00:00Z with no end; the old one until 2020-01-01T00:00:00Z'), 'trusted_root.json $.tlogs[0].publicKey.validFor.start'],
    ['a CA window end that is not a timestamp', edited(['certificateAuthorities', 0, 'validFor', 'end'], 'never'), 'trusted_root.json $.certificateAuthorities[0].validFor.end'],
    ['a window start that is no date (month 13)', edited(['ctlogs', 0, 'publicKey', 'validFor', 'start'], '2026-13-01T00:00:00Z'), 'trusted_root.json $.ctlogs[0].publicKey.validFor.start'],
    // Identities (log ID, first certificate) are compared as decoded: text that is not base64 names nothing.
    ['a log ID that is not base64', edited(['tlogs', 0, 'logId', 'keyId'], 'not base64!'), 'trusted_root.json $.tlogs[0].logId.keyId'],
    ['a certificate that is not base64', edited(['certificateAuthorities', 0, 'certChain', 'certificates', 0, 'rawBytes'], '<html>'), 'trusted_root.json $.certificateAuthorities[0].certChain.certificates[0].rawBytes'],
  ];
  for (const [name, doc, path] of bad) {
    it(`${name}: SIGSTORE_TRUSTED_ROOT_INVALID or JSON_MALFORMED at ${path}`, () => {
      const bytes = typeof doc === 'string' ? new TextEncoder().encode(doc) : bytesOf(doc);
      let err: unknown;
      try {
        parseTrustedRoot(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: typeof doc === 'string' ? 'JSON_MALFORMED' : 'SIGSTORE_TRUSTED_ROOT_INVALID' });
      if (typeof doc !== 'string') expect((err as { path: string }).path).toBe(path);
    });
  }
});

describe('targets-request shows the trusted_root.json change', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(work, 'req-'));
    const r = await buildRepo('tuf');
    const v1 = bytesOf(v1Doc);
    const hex = (alg: string): string => createHash(alg).update(v1).digest('hex');
    const signed = withField(parseBytes(r.targets).signed as JsonObject, ['targets', 'trusted_root.json'], { length: v1.length, hashes: { sha256: hex('sha256'), sha512: hex('sha512') } });
    writeFileSync(join(dir, 'targets.json'), await sign('tuf', signed, r.keys.targets));
    writeFileSync(join(dir, 'root.json'), r.roots[0]!);
    writeFileSync(join(dir, 'v1.json'), v1);
    const v2 = structuredClone(v1Doc) as JsonObject;
    v2.ctlogs = [];
    writeFileSync(join(dir, 'v2.json'), bytesOf(v2));
  });

  it('with --previous: only what changes; the file must be the listed one', async () => {
    const c = captureIo();
    const base = { root: join(dir, 'root.json'), targets: join(dir, 'targets.json'), expires: FAR, update: [`trusted_root.json=${join(dir, 'v2.json')}`], json: true };
    expect(await targetsRequestCommand({ ...base, previous: [`trusted_root.json=${join(dir, 'v1.json')}`], out: join(dir, 'req.json') }, c.io)).toBe(0);
    const j = JSON.parse(c.out.join('')) as { contentReview: { name: string; lines: string[] }[] };
    expect(j.contentReview).toEqual([{ name: 'trusted_root.json', lines: [expect.stringMatching(/^CT log .* REMOVED/)] }]);
    expect(c.err.join('\n')).toMatch(/target "trusted_root\.json" REPLACED: .* → /);
    // A --previous file that is not the listed one: refused, no request written.
    const d = captureIo();
    expect(await targetsRequestCommand({ ...base, previous: [`trusted_root.json=${join(dir, 'v2.json')}`], out: join(dir, 'req2.json') }, d.io)).toBe(1);
    expect(d.err.find((l) => l.startsWith('error'))).toMatch(/^error\[(TARGET_FILE_MISMATCH|INPUT_TOO_LARGE)\]/);
    expect(() => readFileSync(join(dir, 'req2.json'))).toThrow();
  });

  it("the co-signer's review (sign, inspect) says the same: the old and new bytes travel in the request, bound to the entries' hashes", async () => {
    const c = captureIo();
    const base = { root: join(dir, 'root.json'), targets: join(dir, 'targets.json'), expires: FAR, update: [`trusted_root.json=${join(dir, 'v2.json')}`], previous: [`trusted_root.json=${join(dir, 'v1.json')}`] };
    expect(await targetsRequestCommand({ ...base, out: join(dir, 'carried.json') }, c.io)).toBe(0);
    const bytes = readFileSync(join(dir, 'carried.json'));
    // What `sign` prints before a PIN is asked: describeRequest of the parsed request.
    const lines = describeRequest(parseSigningRequest(bytes)).lines;
    const i = lines.indexOf('  "trusted_root.json" (Sigstore trust root):');
    expect(i, lines.join('\n')).toBeGreaterThan(0);
    expect(lines[i + 1]).toMatch(/^ {4}CT log .* REMOVED/);
    expect(c.out.join('\n')).toContain(lines[i + 1]!);

    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as JsonObject;
    const contents = doc.contents as Record<string, Record<string, string>>;
    expect(Buffer.from(contents['trusted_root.json']!.next!, 'base64').equals(readFileSync(join(dir, 'v2.json')))).toBe(true);
    const enc = new TextEncoder();
    const other = Buffer.from(bytesOf({ ...v1Doc, tlogs: [] })).toString('base64');
    const swapped = (which: 'next' | 'previous'): JsonObject => ({ ...doc, contents: { 'trusted_root.json': { ...contents['trusted_root.json']!, [which]: other } } });
    // Edited: the request ID no longer matches.
    expect(() => parseSigningRequest(enc.encode(JSON.stringify(swapped('next'))))).toThrow(expect.objectContaining({ code: 'ROTATION_REQUEST_TAMPERED' }));
    // Edited and re-hashed: the bytes are not the ones the entries' hashes name, so no false review is shown.
    for (const which of ['next', 'previous'] as const) {
      const forged = swapped(which);
      forged.requestId = requestIdForDocument(forged);
      let err: unknown;
      try {
        parseSigningRequest(enc.encode(JSON.stringify(forged)));
      } catch (e) {
        err = e;
      }
      expect(err, which).toMatchObject({ code: 'TARGET_FILE_MISMATCH', path: `$.contents["trusted_root.json"].${which}` });
    }
    // Content for a name the payload does not list.
    const stray: JsonObject = { ...doc, contents: { ...contents, 'other.json': { next: other } } };
    stray.requestId = requestIdForDocument(stray);
    expect(() => parseSigningRequest(enc.encode(JSON.stringify(stray)))).toThrow(expect.objectContaining({ code: 'TARGET_FILE_MISMATCH' }));
  });
});
