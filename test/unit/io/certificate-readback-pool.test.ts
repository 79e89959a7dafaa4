/**
 * OpenSSL's read-back of Notary root certificates on a worker thread (src/io/certificate-readback-pool.ts,
 * issue #17): the worker gives the verdicts the caller's thread gives, for a certificate as intended and for
 * each way it can say something else; a worker that cannot start leaves every check to the caller's thread,
 * with the same verdicts and nothing left waiting, and so does one that stays silent or answers under another
 * request's id (review-12b L1: it hung the ceremony). Real worker threads run the compiled module (dist/src,
 * or a private build: test/support/cli-build.ts), as in signature-pool.test.ts.
 */
import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createReadBackPool as createSourcePool } from '../../../src/io/certificate-readback-pool.js';
import { makeNotaryRootCertificate } from '../../../src/signers/certificate.js';
import { opensslReadsAsIntended, type IntendedCertificate } from '../../../src/signers/certificate-openssl.js';
import type { SignHash, SigningKey } from '../../../src/signers/signing-key.js';
import { builtCli, type BuiltCli } from '../../support/cli-build.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tempDir = tempDirs();

let cli: BuiltCli;
let createPool: typeof createSourcePool;

beforeAll(async () => {
  cli = builtCli();
  ({ createReadBackPool: createPool } = (await import(pathToFileURL(join(cli.srcDir, 'io', 'certificate-readback-pool.js')).href)) as { createReadBackPool: typeof createSourcePool });
}, 180_000);

afterAll(() => cli?.cleanup());

const GUN = 'registry.example.com/org/app';
const notBefore = new Date('2026-12-06T20:27:26Z');
const notAfter = new Date('2036-01-02T03:04:05Z');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const key: SigningKey = {
    algorithm: 'ecdsa-p256',
    spki,
    fingerprint: sha256(spki),
    label: 'test',
    origin: { kind: 'software', rehearsal: true },
    sign: (data: Uint8Array, hash: SignHash) => Promise.resolve(new Uint8Array(nodeSign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' }))),
  };
  return { key, publicKey };
}

/** A certificate and the ways of meaning something else than it says, each with the caller's thread's verdict. */
async function cases(): Promise<{ der: Uint8Array; intended: IntendedCertificate; expected: boolean }[]> {
  const { key, publicKey } = keyPair();
  const der = (await makeNotaryRootCertificate(key, { gun: GUN, notBefore, notAfter })).der;
  const intended: IntendedCertificate = { commonName: GUN, notBefore, notAfter, publicKey, spki: key.spki, fingerprint: sha256(der) };
  const flipped = Uint8Array.from(der);
  flipped[flipped.length - 1]! ^= 1;
  const all = [
    { der, intended },
    { der, intended: { ...intended, commonName: `${GUN}x` } },
    { der, intended: { ...intended, notBefore: new Date(notBefore.getTime() + 1000) } },
    { der, intended: { ...intended, notAfter: new Date(notAfter.getTime() - 1000) } },
    { der, intended: { ...intended, publicKey: keyPair().publicKey } },
    { der, intended: { ...intended, spki: key.spki.subarray(0, key.spki.length - 1) } },
    { der: flipped, intended: { ...intended, fingerprint: sha256(flipped) } },
    { der: der.subarray(0, der.length - 3), intended: { ...intended, fingerprint: sha256(der.subarray(0, der.length - 3)) } },
  ];
  return all.map((c) => ({ ...c, expected: opensslReadsAsIntended(c.der, c.intended) }));
}

describe('OpenSSL read-back on a worker thread (issue #17)', () => {
  it.skipIf(availableParallelism() < 2)('the worker answers as the caller\'s thread does, for the certificate intended and each way it is not', async () => {
    const all = await cases();
    expect(all.map((c) => c.expected)).toEqual([true, false, false, false, false, false, false, false]);
    const pool = createPool();
    try {
      // In flight together, answered in any order, each to its own caller.
      const got = await Promise.all(all.map((c) => pool.readBack(c.der, c.intended)));
      expect(got).toEqual(all.map((c) => c.expected));
      expect(pool.stats.byWorker).toBe(all.length);
      expect(pool.stats.inThread).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('a worker that cannot start: every check made on the caller\'s thread, same verdicts, none left waiting', async () => {
    const all = await cases();
    const pool = createPool({ workerUrl: pathToFileURL(join(cli.srcDir, 'io', 'no-such-worker.js')) });
    try {
      const got = await Promise.all(all.map((c) => pool.readBack(c.der, c.intended)));
      expect(got).toEqual(all.map((c) => c.expected));
      expect(pool.stats.byWorker).toBe(0);
      // Later checks too, once the worker's failure is known.
      await new Promise((r) => setTimeout(r, 50));
      expect(await pool.readBack(all[0]!.der, all[0]!.intended)).toBe(true);
      expect(pool.stats.inThread).toBe(all.length + 1);
    } finally {
      await pool.close();
    }
  });

  it('after close, checks are made on the caller\'s thread', async () => {
    const [good] = await cases();
    const pool = createPool();
    await pool.close();
    expect(await pool.readBack(good!.der, good!.intended)).toBe(true);
    expect(pool.stats).toEqual({ byWorker: 0, inThread: 1 });
  });
  // Review-12b L1: workers that do not answer as asked. Each is stopped and every check is made on the
  // caller's thread, with its verdicts — none waits forever, none gets an answer meant for another request.
  const misbehaving: [string, string][] = [
    ['stays silent', "parentPort.on('message', () => {});"],
    ['answers under an id never asked for', "parentPort.on('message', (m) => { parentPort.postMessage({ id: m.id + 1000, ok: true }); });"],
    ['answers under the id of another waiting request', "parentPort.on('message', (m) => { parentPort.postMessage({ id: m.id + 1, ok: true }); });"],
    ['answers out of order', "const held = []; parentPort.on('message', (m) => { held.push(m.id); if (held.length === 2) { parentPort.postMessage({ id: held[1], ok: true }); parentPort.postMessage({ id: held[0], ok: true }); } });"],
    ['answers something other than a verdict', "parentPort.on('message', (m) => { parentPort.postMessage({ id: m.id, ok: 'yes' }); });"],
  ];
  for (const [how, body] of misbehaving) {
    it.skipIf(availableParallelism() < 2)(`a worker that ${how}: stopped, every check made on the caller's thread with its verdicts`, async () => {
      const all = await cases();
      const url = join(tempDir('tufc-readback-'), 'worker.mjs');
      writeFileSync(url, `import { parentPort } from 'node:worker_threads';\n${body}\n`);
      const pool = createPool({ workerUrl: pathToFileURL(url), stallMs: 300 });
      try {
        const t = performance.now();
        const got = await Promise.all(all.map((c) => pool.readBack(c.der, c.intended)));
        expect(got).toEqual(all.map((c) => c.expected));
        expect(pool.stats).toEqual({ byWorker: 0, inThread: all.length });
        // Within the stall limit and a margin (the worker's start under load), not forever.
        expect(performance.now() - t).toBeLessThan(10_000);
        // Later checks are made here at once, the worker stopped.
        const later = performance.now();
        expect(await pool.readBack(all[1]!.der, all[1]!.intended)).toBe(false);
        expect(await pool.readBack(all[0]!.der, all[0]!.intended)).toBe(true);
        expect(performance.now() - later).toBeLessThan(250);
        expect(pool.stats).toEqual({ byWorker: 0, inThread: all.length + 2 });
      } finally {
        await pool.close();
      }
    }, 30_000);
  }

  it.skipIf(availableParallelism() < 2)('a silent worker is given up on after stallMs, not before', async () => {
    const [good] = await cases();
    const url = join(tempDir('tufc-readback-'), 'worker.mjs');
    writeFileSync(url, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => {});\n");
    const pool = createPool({ workerUrl: pathToFileURL(url), stallMs: 400 });
    try {
      const t = performance.now();
      expect(await pool.readBack(good!.der, good!.intended)).toBe(true);
      expect(performance.now() - t).toBeGreaterThanOrEqual(350);
      expect(pool.stats).toEqual({ byWorker: 0, inThread: 1 });
    } finally {
      await pool.close();
    }
  }, 30_000);
});
