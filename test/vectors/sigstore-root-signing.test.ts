/**
 * Sigstore's real TUF trust root (sigstore/root-signing, tuf-on-ci; README in the vector folder): verified
 * from a pinned root through the chain to root 15, then timestamp, snapshot, targets and the delegated
 * registry.npmjs.org role. Its roots 12–14 hold `"sig": ""` entries for keys that had not signed (tuf-on-ci's
 * placeholder): those keys are `missing`, as python-tuf and tuf-js count them, never a refusal.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CeremonyError } from '../../src/errors.js';
import { classifyRepositoryFiles } from '../../src/tuf/repository-files.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import { verifyRootSelf } from '../../src/tuf/root-chain.js';

const DIR = join(import.meta.dirname, 'sigstore-root-signing');
// Before the timestamp (2026-08-28T19:25:56Z) and root 15 (2026-11-20) expire.
const NOW = new Date('2026-08-25T00:00:00Z');

function files() {
  const entries = readdirSync(DIR)
    .filter((n) => n.endsWith('.json'))
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(DIR, name))) }));
  return classifyRepositoryFiles(entries);
}

const bytesOf = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));

describe('sigstore root-signing (real tuf-on-ci metadata)', () => {
  it.each([5, 11, 12, 14, 15])('pinned at root %i: the chain to root 15 and every role verify', (pin) => {
    const repo = verifyRepository(files(), { trustedRoot: bytesOf(`${pin}.root.json`), now: NOW, requireComplete: true });
    expect(repo.root.signed.version).toBe(15);
    expect(repo.rootChain.length).toBe(15 - pin);
    expect(repo.timestamp!.md.signed.version).toBe(762);
    expect(repo.targets!.result.verified).toBe(true);
    expect([...repo.delegated.keys()]).toEqual(['registry.npmjs.org']);
  });

  it('the placeholders of roots 12–14 count as not signed: their keys are missing, not invalid, and nothing is refused', () => {
    for (const v of [12, 13, 14]) {
      const bytes = bytesOf(`${v}.root.json`);
      const env = JSON.parse(Buffer.from(bytes).toString('utf8')) as { signatures: { keyid: string; sig: string }[] };
      const placeholders = env.signatures.filter((s) => s.sig === '').map((s) => s.keyid);
      expect(placeholders.length, `${v}.root.json`).toBeGreaterThan(0);
      const md = parseMetadata(bytes, 'root', { maxBytes: 1 << 20, source: `${v}.root.json` });
      const result = verifyRootSelf(md);
      expect(result.verified).toBe(true);
      expect(result.invalid).toEqual([]);
      for (const id of placeholders) if (md.signed.roles.get('root')!.keyids.includes(id)) expect(result.missing).toContain(id);
    }
  });

  it('a placeholder is only the empty string: any other non-hex sig by a role key is still refused (SIGNATURE_ENCODING)', () => {
    const text = Buffer.from(bytesOf('12.root.json')).toString('utf8');
    const broken = new TextEncoder().encode(text.replace('"sig": ""', '"sig": "zz"'));
    const md = parseMetadata(broken, 'root', { maxBytes: 1 << 20, source: '12.root.json' });
    let err: unknown;
    try {
      verifyRootSelf(md);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CeremonyError);
    expect((err as CeremonyError).code).toBe('SIGNATURE_ENCODING');
  });
});
