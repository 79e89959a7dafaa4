/**
 * `tuf-ceremony refresh` with the snapshot and timestamp keys on a token (SoftHSM2, through the production
 * signer stack): the keys are checked against the root before the PIN is asked, one login signs both, and
 * the refreshed tree verifies from the pinned root.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshCommand } from '../../src/cli/refresh.js';
import { writeVerifiedTree } from '../../src/cli/tree.js';
import { readRepositoryDir } from '../../src/io/files.js';
import type { JsonObject } from '../../src/json/types.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { listPublicKey } from '../../src/signers/public-key-json.js';
import { verifyRepository, type RepositoryFiles } from '../../src/tuf/repository.js';
import type { MetadataSigner } from '../../src/tuf/sign.js';
import { captureIo, tokenSignDeps } from '../support/cli-io.js';
import { makeKey } from '../support/keys.js';
import { FAR, metaEntry, sign } from '../support/repo.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const enabled = existsSync(SOFTHSM);
const PIN = 'online-5555';
let dir: string;
let savedConf: string | undefined;
let serial: string;
let rootV1: Uint8Array;
let files: RepositoryFiles;

const common = (type: string, version: number): JsonObject => ({ _type: type, spec_version: '1.0.31', version, expires: FAR });

beforeAll(async () => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tufc-refresh-hsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  savedConf = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'online', '--pin', PIN, '--so-pin', '12345678'], { env: process.env });
  const mod = await TokenModule.load(SOFTHSM);
  try {
    serial = (await mod.listTokens()).find((t) => t.initialized)!.serial;
    const session = await mod.openToken({ serial });
    await session.login(PIN);
    const snapKey = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'snapshot-2026' });
    const tsKey = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'timestamp-2026' });
    await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: 'stranger' });
    const snap = listPublicKey('tuf', snapKey.spki);
    const ts = listPublicKey('tuf', tsKey.spki);
    const root = await makeKey('tuf', 'ed25519');
    const targets = await makeKey('tuf', 'ed25519');
    const signed: JsonObject = {
      ...common('root', 1),
      consistent_snapshot: true,
      keys: { [root.keyId]: root.json, [targets.keyId]: targets.json, [snap.keyId]: snap.json, [ts.keyId]: ts.json },
      roles: {
        root: { keyids: [root.keyId], threshold: 1 },
        targets: { keyids: [targets.keyId], threshold: 1 },
        snapshot: { keyids: [snap.keyId], threshold: 1 },
        timestamp: { keyids: [ts.keyId], threshold: 1 },
      },
    };
    rootV1 = await sign('tuf', signed, [root]);
    const targetsBytes = await sign('tuf', { ...common('targets', 1), targets: {} }, [targets]);
    const snapSigner: MetadataSigner = metadataSigner(snapKey, snap);
    const tsSigner: MetadataSigner = metadataSigner(tsKey, ts);
    const snapshot = await sign('tuf', { ...common('snapshot', 1), meta: { 'targets.json': metaEntry('tuf', targetsBytes, 1) } }, [snapSigner]);
    const timestamp = await sign('tuf', { ...common('timestamp', 1), meta: { 'snapshot.json': metaEntry('tuf', snapshot, 1) } }, [tsSigner]);
    files = { versionedRoots: new Map([[1, rootV1]]), targets: targetsBytes, snapshot, timestamp, delegated: new Map() };
    await session.close();
  } finally {
    await mod.finalize();
  }
});

afterAll(() => {
  if (!enabled) return;
  if (savedConf === undefined) delete process.env.SOFTHSM2_CONF;
  else process.env.SOFTHSM2_CONF = savedConf;
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!enabled)('refresh with the keys on a token (SoftHSM2)', () => {
  it('signs snapshot 2 and timestamp 2 with one login; the new tree verifies', async () => {
    const tree = join(dir, 'tree-1');
    await writeVerifiedTree({ files, trustedRoot: rootV1, out: tree, now: new Date() });
    const pin = join(dir, 'pin.json');
    writeFileSync(pin, rootV1);
    const out = join(dir, 'tree-2');
    const c = captureIo();
    const status = await refreshCommand(
      tree,
      { root: pin, out, module: SOFTHSM, token: serial, snapshotLabel: 'snapshot-2026', timestampLabel: 'timestamp-2026', pinEnv: 'ONLINE_PIN', json: true },
      c.io,
      { ...tokenSignDeps({ ONLINE_PIN: PIN }), now: () => new Date() },
    );
    expect(c.err.filter((l) => l.startsWith('error'))).toEqual([]);
    expect(status).toBe(0);
    expect(JSON.parse(c.out.join(''))).toMatchObject({ snapshot: { from: 1, to: 2 }, timestamp: { from: 1, to: 2 } });
    const v = verifyRepository(await readRepositoryDir(out), { trustedRoot: rootV1, now: new Date(), requireComplete: true });
    expect(v.snapshot!.md.signed.version).toBe(2);
    expect(v.timestamp!.md.signed.version).toBe(2);
  });

  it('a token key that is not the root\'s timestamp key: REFRESH_KEY_NOT_IN_ROOT before any PIN (none is available here)', async () => {
    const tree = join(dir, 'tree-3');
    await writeVerifiedTree({ files, trustedRoot: rootV1, out: tree, now: new Date() });
    const pin = join(dir, 'pin-3.json');
    writeFileSync(pin, rootV1);
    const out = join(dir, 'tree-4');
    const c = captureIo();
    const status = await refreshCommand(tree, { root: pin, out, module: SOFTHSM, token: serial, timestampLabel: 'stranger' }, c.io, { ...tokenSignDeps({}), now: () => new Date() });
    expect(status).toBe(1);
    expect(c.err[0]).toMatch(/^error\[REFRESH_KEY_NOT_IN_ROOT\]/);
    expect(existsSync(out)).toBe(false);
  });
});
