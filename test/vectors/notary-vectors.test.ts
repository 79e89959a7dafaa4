/**
 * Vectors from the real Notary v1 (Debian notary 0.7): metadata written by `notary` and `notary-server`
 * in one run (init, targets with awkward names, `key rotate GUN root`, a `targets/releases` delegation),
 * committed under test/vectors/notary/ with the key IDs notary used. No server needed: these run in unit
 * runs. Refresh them with
 *   NOTARY_VECTORS_OUT=test/vectors/notary npx vitest run --project integration test/integration/notary.test.ts
 * The files expire (timestamp: 14 days), so verification uses the recorded `verifyAt` clock.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../src/errors.js';
import { readRepositoryDir } from '../../src/io/files.js';
import type { JsonObject, JsonValue } from '../../src/json/types.js';
import { getProfile } from '../../src/profiles/index.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { bareKeyId, bytesEq, checkNotaryFile, goHtmlEscape, listedKeys, readTree, signedSlice } from '../support/notary.js';

const HERE = join(dirname(fileURLToPath(import.meta.url)), 'notary');
const REPO = join(HERE, 'repo');

interface Expected {
  gun: string;
  generatedAt: string;
  verifyAt: string;
  pinnedRoot: string;
  targets: string[];
  delegation: string;
  keyStoreIds: string[];
  files: Record<string, { keyIds: string[]; signatures: { keyid: string; method: string }[] }>;
}

const expected = JSON.parse(readFileSync(join(HERE, 'expected.json'), 'utf8')) as Expected;
const files = readTree(REPO);
const envelope = (rel: string) => JSON.parse(Buffer.from(files.get(rel)!).toString('utf8')) as { signed: JsonObject; signatures: { keyid: string; method: string; sig: string }[] };
const notary = getProfile('notary');

/** `1.root.json`, `2.root.json`, … in version order. */
const versionedRootFiles = [...files.keys()].filter((f) => /^\d+\.root\.json$/.test(f)).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));

/** Every key listed by any root version or delegation in the fixture, for checking signatures. */
const allKeys = new Map<string, JsonValue>();
for (const rel of files.keys()) for (const [id, key] of listedKeys(envelope(rel).signed)) allKeys.set(id, key);

describe('notary 0.7 vectors (test/vectors/notary)', () => {
  it('the fixture holds every file expected.json describes, and nothing else', () => {
    expect([...files.keys()].sort()).toEqual(Object.keys(expected.files).sort());
    expect(versionedRootFiles).toEqual(['1.root.json', '2.root.json', '3.root.json']);
    expect(files.get('root.json')).toEqual(files.get('3.root.json'));
  });

  describe.each(Object.keys(expected.files).sort())('%s', (rel) => {
    const bytes = files.get(rel)!;

    it('lists the keys, under the IDs, that notary wrote; our keyId rule gives each ID', () => {
      const listed = listedKeys(envelope(rel).signed);
      expect([...listed.keys()].sort()).toEqual(expected.files[rel]!.keyIds);
      for (const [id, key] of listed) expect(notary.keyId(key as JsonObject), `${rel} key ${id}`).toBe(id);
      expect(envelope(rel).signatures.map((s) => ({ keyid: s.keyid, method: s.method }))).toEqual(expected.files[rel]!.signatures);
    });

    it('canonical(signed) is what notary signed, and Go-escaped it is the file\'s "signed" bytes', () => {
      const canonical = notary.canonical(envelope(rel).signed);
      expect(Buffer.from(goHtmlEscape(canonical)).toString('utf8')).toBe(Buffer.from(signedSlice(bytes)).toString('utf8'));
      const check = checkNotaryFile(rel, bytes, allKeys);
      expect(check.problems.filter((p) => !p.includes('serializeMetadata'))).toEqual([]);
    });

    it("serializeMetadata('notary', …) reproduces the file byte for byte", () => {
      const check = checkNotaryFile(rel, bytes, allKeys);
      expect(check.problems.filter((p) => p.includes('serializeMetadata'))).toEqual([]);
    });
  });

  it('files without <>& or U+2028/U+2029 hold canonical(signed) verbatim; targets.json (with them) does not', () => {
    for (const rel of files.keys()) {
      const same = bytesEq(notary.canonical(envelope(rel).signed), signedSlice(files.get(rel)!));
      expect(same, rel).toBe(rel !== 'targets.json');
    }
  });

  it('notary\'s key store names targets/snapshot keys by their ID, and x509 keys by the ID of the bare public key', () => {
    const root = envelope('root.json').signed as { keys: Record<string, JsonObject>; roles: Record<string, { keyids: string[] }> };
    const targets = envelope('targets.json').signed as { delegations: { keys: Record<string, JsonObject> } };
    const bare = new Set<string>();
    for (const rel of versionedRootFiles) {
      const r = envelope(rel).signed as { keys: Record<string, JsonObject>; roles: Record<string, { keyids: string[] }> };
      for (const id of r.roles.root!.keyids) {
        expect(r.keys[id]!.keytype).toBe('ecdsa-x509');
        bare.add(bareKeyId(r.keys[id]!, `${rel} ${id}`));
      }
    }
    for (const [id, key] of Object.entries(targets.delegations.keys)) {
      expect(key.keytype).toBe('ecdsa-x509');
      bare.add(bareKeyId(key, id));
    }
    const localIds = [...root.roles.targets!.keyids, ...root.roles.snapshot!.keyids, ...bare];
    expect(localIds.sort()).toEqual(expected.keyStoreIds);
    // The timestamp key stays on the server.
    expect(expected.keyStoreIds).not.toContain(root.roles.timestamp!.keyids[0]);
  });

  it('verifies from the pinned version-1 root through notary\'s own root rotations, with the delegation', async () => {
    const repo = verifyRepository(await readRepositoryDir(REPO), {
      trustedRoot: files.get(expected.pinnedRoot)!,
      now: new Date(expected.verifyAt),
      gun: expected.gun,
    });
    expect(repo.profile).toBe('notary');
    expect(repo.root.signed.version).toBe(versionedRootFiles.length);
    const rootKeyOf = (rel: string) => (envelope(rel).signed as { roles: { root: { keyids: string[] } } }).roles.root.keyids;
    expect(repo.rootChain.map((s) => ({ version: s.version, byPrevious: s.byPrevious.signed, bySelf: s.bySelf.signed, ok: s.byPrevious.verified && s.bySelf.verified }))).toEqual(
      versionedRootFiles.slice(1).map((rel, i) => ({ version: i + 2, byPrevious: rootKeyOf(versionedRootFiles[i]!), bySelf: rootKeyOf(rel), ok: true })),
    );
    expect([...repo.targets!.md.signed.targets.keys()].sort()).toEqual([...expected.targets].sort());
    const releases = repo.delegated.get(expected.delegation);
    expect(releases?.delegatedBy).toBe('targets');
    expect(releases?.result.verified).toBe(true);
    expect(repo.absent).toEqual([]);
  });

  it('the injected clock matters: the same files are refused once the timestamp has expired', async () => {
    const expires = Date.parse(envelope('timestamp.json').signed.expires as string);
    const later = new Date(expires + 1000);
    let caught: unknown;
    try {
      verifyRepository(await readRepositoryDir(REPO), { trustedRoot: files.get(expected.pinnedRoot)!, now: later, gun: expected.gun });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CeremonyError);
    expect((caught as CeremonyError).code).toBe('EXPIRED');
  });

  it('the root certificates name the GUN: another GUN is refused', () => {
    const pinned = files.get(expected.pinnedRoot)!;
    const attempt = (gun: string) => () =>
      verifyRepository({ versionedRoots: new Map(), delegated: new Map(), root: pinned }, { trustedRoot: pinned, now: new Date(expected.verifyAt), gun });
    expect(attempt(expected.gun)).not.toThrow();
    expect(attempt('registry.example.com/someone-else/app')).toThrow(/not the repository "registry\.example\.com\/someone-else\/app"/);
  });
});
