/**
 * A private Sigstore's trust root, end to end with the client npm itself uses: `@sigstore/tuf` (v4), pinned
 * at the root ceremony's root v1 (its `rootPath`), fetches `trusted_root.json` from the hostable tree of a
 * repository the ceremony made — after a co-signed targets change added it — and then the updated file after
 * a second co-signed change replaced it. Each change: `targets-request` (entry computed from the file), the
 * review (the file's size and short hash, what replaces what), a signature by the targets key on its
 * token, `merge`, then `refresh --targets … --targets-dir …` (snapshot and timestamp) and the new tree is
 * copied to the host.
 */
import { outPath } from '../support/ceremony-out.js';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTrustedRoot, initTUF } from '@sigstore/tuf';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mergeCommand } from '../../src/cli/merge.js';
import { refreshCommand } from '../../src/cli/refresh.js';
import { rehearseCommand } from '../../src/cli/rehearse.js';
import { targetsRequestCommand } from '../../src/cli/targets-request.js';
import { writeVerifiedTree } from '../../src/cli/tree.js';
import { readSigningRequest, serializeSignatureResponse, signRequest } from '../../src/rotation/index.js';
import { captureIo } from '../support/cli-io.js';
import { ceremonyRepo, type CeremonyRepo } from '../support/ceremony-repo.js';
import { serveTree, type ServedTree } from '../support/serve-tree.js';
import { bytesOf, trustedRootJson } from '../support/trusted-root.js';

vi.setConfig({ testTimeout: 120_000 });
const work = mkdtempSync(join(tmpdir(), 'tufc-sigstore-'));
const now = new Date(Math.floor(Date.now() / 1000) * 1000);
const later = (days: number): string => new Date(now.getTime() + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
let repo: CeremonyRepo;
let http: ServedTree;
const pin = join(work, 'root-v1.json');

const deps = { load: () => Promise.reject(new Error('no tokens')), exists: () => false, platform: process.platform, env: {}, interactive: false, promptPin: () => Promise.reject(new Error('no prompt')), now: () => now };

beforeAll(async () => {
  repo = await ceremonyRepo(join(work, 'ceremony'), now, 'sigstore.example.com');
  writeFileSync(pin, repo.rootV1);
  await writeVerifiedTree({ files: repo.files, trustedRoot: repo.rootV1, out: join(work, 'tree-0'), now });
  http = await serveTree(join(work, 'tree-0'));
});
afterAll(async () => {
  await http?.close();
  await repo?.close();
  rmSync(work, { recursive: true, force: true });
});

/** targets-request → review → signature by the targets key (Alice's token) → merge → refresh: the new tree. */
async function cosignedChange(step: number, from: string, args: { add?: string[]; update?: string[]; custom?: string[] }): Promise<{ review: string[]; tree: string }> {
  const request = join(work, `request-${step}.json`);
  const r = captureIo();
  expect(await targetsRequestCommand({ root: pin, targets: join(from, `${step}.targets.json`), expires: later(365), out: request, repository: 'sigstore.example.com', json: true, ...args }, r.io)).toBe(0);
  const review = (JSON.parse(r.out.join('')) as { review: { lines: string[] } }).review.lines;
  const parsed = readSigningRequest(new Uint8Array(readFileSync(request)), 'request').request;
  const source = repo.plan.targets.key;
  if (source.kind !== 'token') throw new Error('targets key on a token');
  const key = await repo.tokens.find((t) => t.custodian === source.custodian)!.findKey(source.keyLabel);
  const response = join(work, `response-${step}.json`);
  writeFileSync(response, serializeSignatureResponse(await signRequest(parsed, key, { name: 'Alice' })));
  const merged = join(work, `targets-${step + 1}.json`);
  const m = captureIo();
  expect(await mergeCommand(request, [response], { out: merged }, m.io)).toBe(0);
  const tree = join(work, `tree-${step}`);
  const f = captureIo();
  const status = await refreshCommand(from, { root: pin, out: tree, targets: merged, targetsDir: join(work, `files-${step}`), snapshotKeyFile: repo.snapshotKeyFile, timestampKeyFile: repo.timestampKeyFile }, f.io, deps);
  expect(f.err).toEqual([]);
  expect(status).toBe(0);
  return { review, tree };
}

describe('@sigstore/tuf fetches trusted_root.json from a ceremony-made repository', () => {
  it('pinned at root v1: the first trusted_root.json, then its replacement after a co-signed change', async () => {
    const v1 = bytesOf(trustedRootJson({
      fulcio: [{ uri: 'https://fulcio.sigstore.example.com', organization: 'example.com', commonName: 'fulcio', start: '2026-01-01T00:00:00Z' }],
      rekor: [{ baseUrl: 'https://rekor.sigstore.example.com', start: '2026-01-01T00:00:00Z' }],
      ctlogs: [{ baseUrl: 'https://ctfe.sigstore.example.com/test', start: '2026-01-01T00:00:00Z' }],
    }));
    mkdirSync(join(work, 'files-1'));
    writeFileSync(join(work, 'files-1', 'trusted_root.json'), v1);
    writeFileSync(join(work, 'custom.json'), JSON.stringify({ sigstore: { status: 'Active', usage: 'Unknown' } }));
    const first = await cosignedChange(1, join(work, 'tree-0'), { add: [`trusted_root.json=${join(work, 'files-1', 'trusted_root.json')}`], custom: [`trusted_root.json=${join(work, 'custom.json')}`] });
    expect(first.review.join('\n')).toContain(`target "trusted_root.json" ADDED: ${v1.length.toLocaleString('en-US')} bytes, sha256 ${sha256(v1).slice(0, 16)}…`);
    http.publish(first.tree);

    const cachePath = join(work, 'sigstore-cache');
    const client = await initTUF({ mirrorURL: http.base, rootPath: pin, cachePath, retry: false, timeout: 10_000 });
    expect(await client.getTarget('trusted_root.json')).toBe(Buffer.from(v1).toString());
    const parsed = await getTrustedRoot({ mirrorURL: http.base, rootPath: pin, cachePath, retry: false, timeout: 10_000 });
    expect(parsed.tlogs[0]!.baseUrl).toBe('https://rekor.sigstore.example.com');

    // The Rekor key rotates: a new log beside the old one, which now ends.
    const doc = JSON.parse(Buffer.from(v1).toString()) as { tlogs: { publicKey: { validFor: Record<string, string> } }[] };
    doc.tlogs[0]!.publicKey.validFor.end = '2026-12-01T00:00:00Z';
    const added = trustedRootJson({ fulcio: [], rekor: [{ baseUrl: 'https://rekor.sigstore.example.com', start: '2026-12-01T00:00:00Z' }], ctlogs: [] }).tlogs as unknown[];
    const v2 = bytesOf({ ...doc, tlogs: [...doc.tlogs, ...added] });
    mkdirSync(join(work, 'files-2'));
    writeFileSync(join(work, 'files-2', 'trusted_root.json'), v2);
    const second = await cosignedChange(2, first.tree, { update: [`trusted_root.json=${join(work, 'files-2', 'trusted_root.json')}`] });
    expect(second.review.join('\n')).toContain(
      `target "trusted_root.json" REPLACED: ${v1.length.toLocaleString('en-US')} bytes, sha256 ${sha256(v1).slice(0, 16)}… → ${v2.length.toLocaleString('en-US')} bytes, sha256 ${sha256(v2).slice(0, 16)}…`,
    );
    http.publish(second.tree);
    // The custom data was kept by the update.
    const targets3 = JSON.parse(readFileSync(join(second.tree, '3.targets.json'), 'utf8')) as { signed: { targets: Record<string, { custom: unknown }> } };
    expect(targets3.signed.targets['trusted_root.json']!.custom).toEqual({ sigstore: { status: 'Active', usage: 'Unknown' } });

    // A new run of the client (same cache): it follows to the new snapshot and fetches the replacement.
    http.requests.length = 0;
    const again = await initTUF({ mirrorURL: http.base, rootPath: pin, cachePath, retry: false, timeout: 10_000 });
    expect(await again.getTarget('trusted_root.json')).toBe(Buffer.from(v2).toString());
    expect(http.requests).toContain(`/targets/${sha256(v2)}.trusted_root.json`);
  });
});

describe('rehearse --profile sigstore', () => {
  it('@sigstore/tuf, pinned at the rehearsal root v1, fetches the rehearsal trusted_root.json from DIR/repository/', async () => {
    const out = join(work, 'rehearsal');
    const c = captureIo();
    expect(await rehearseCommand({ profile: 'sigstore', out, json: true }, c.io, { softhsmPath: () => undefined, now: () => new Date() })).toBe(0);
    const served = await serveTree(join(out, 'repository'));
    try {
      const root = await getTrustedRoot({ mirrorURL: served.base, rootPath: outPath(out, '1.root.json'), cachePath: join(work, 'rehearsal-cache'), retry: false, timeout: 10_000 });
      expect(root.certificateAuthorities[0]!.uri).toBe('https://fulcio.rehearsal.invalid');
      expect(served.requests).toContain('/2.root.json');
    } finally {
      await served.close();
    }
  });
});
