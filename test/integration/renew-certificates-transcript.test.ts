/**
 * `renew-certificates` (issue #14, in the room) leaves a session transcript like every other signing
 * session (issue #16): `DIR.transcript.jsonl` beside DIR, hash-chained and ended, naming each custodian's
 * token, certificate and signatures and every file written by its SHA-256 — and no PIN. The session's
 * claim of one PIN per custodian is counted: each token's PIN is asked exactly once (the prompt is the only
 * way a PIN comes in here), for certificate and root signatures alike. SoftHSM2 tokens, no server.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTranscript } from '../../src/audit/verify.js';
import { renewCertificatesCommand } from '../../src/cli/renew-certificates.js';
import { rotateCommand } from '../../src/cli/rotate.js';
import { makeNotaryRootCertificate } from '../../src/signers/certificate.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import type { ListedKey } from '../../src/signers/public-key-json.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { captureIo, tokenSignDeps } from '../support/cli-io.js';
import { startMatrixModule, type MatrixModule } from '../support/module-matrix.js';
import { notaryRootSigned, ourKey, signNotary } from '../support/notary-publish.js';
import { expectNoSecrets, expectVerifiesAndRefusesTampering } from '../support/session-transcripts.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const enabled = existsSync(SOFTHSM);
const GUN = 'registry.example.com/tuf-ceremony/renew-transcript';
const NAMES = ['Alice', 'Bob'] as const;
const DAY = 86_400_000;
const YEAR = 365 * DAY;
const now = Math.floor(Date.now() / 1000) * 1000;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const enc = new TextEncoder();
const labelOf = (name: (typeof NAMES)[number]) => name.toLowerCase() as 'alice' | 'bob';

let dir: string;
let hsm: MatrixModule;
const listed: Record<string, ListedKey> = {};

beforeAll(async () => {
  if (!enabled) return;
  dir = mkdtempSync(join(tmpdir(), 'tufc-renew-transcript-'));
  // SoftHSM2 with a token per custodian (test/support/module-matrix.ts): labels alice, bob, … and their PINs.
  hsm = await startMatrixModule('softhsm2');
  const online = ourKey();
  const mod = await TokenModule.load(SOFTHSM);
  try {
    const signers = [];
    const sessions = [];
    try {
      for (const name of NAMES) {
        const token = hsm.tokens[labelOf(name)];
        const session = await mod.openToken({ serial: token.serial });
        sessions.push(session);
        await session.login(token.pin);
        const key = await session.generateKeyPair({ algorithm: 'ecdsa-p256', label: `root-${token.label}` });
        const cert = await makeNotaryRootCertificate(key, { gun: GUN, notBefore: new Date(now - 60_000), notAfter: new Date(now + 60 * DAY) });
        listed[name] = cert.listed;
        signers.push(metadataSigner(key, cert.listed));
      }
      const root = NAMES.map((n) => ({ keyId: listed[n]!.keyId, json: listed[n]!.json }));
      const rootV1 = await signNotary(notaryRootSigned({ version: 1, root, rootThreshold: 2, targets: [online], snapshot: [online], timestamp: [online], expires: formatExpires(new Date(now + YEAR)) }), signers);
      writeFileSync(join(dir, 'root-v1.json'), rootV1);
    } finally {
      for (const session of sessions) await session.close();
    }
  } finally {
    await mod.finalize();
  }
}, 180_000);

afterAll(async () => {
  if (!enabled) return;
  await hsm?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!enabled)('renew-certificates on SoftHSM2: the session transcript, and one PIN per custodian', () => {
  it('writes DIR.transcript.jsonl (verified, tamper-evident, no PIN); each token is asked its PIN once', async () => {
    const rootV1 = readFileSync(join(dir, 'root-v1.json'));
    const plan = {
      format: 'tuf-ceremony-rotation-plan',
      version: 1,
      profile: 'notary',
      repository: GUN,
      previousRoot: { file: 'root-v1.json', sha256: sha(rootV1), version: 1 },
      custodians: NAMES.map((name) => ({ name, keyid: listed[name]!.keyId })),
      expires: formatExpires(new Date(now + 2 * YEAR)),
      root: { renewCertificates: { until: formatExpires(new Date(now + 3 * YEAR)) } },
    };
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan, null, 2));
    const certRequest = join(dir, 'certificates.request.json');
    let c = captureIo();
    expect(await rotateCommand(join(dir, 'plan.json'), { out: certRequest }, c.io), c.err.join('\n')).toBe(0);

    // Every PIN comes through the prompt (no --pin-env): each question names its token, and is counted.
    const asked: string[] = [];
    const deps = {
      ...tokenSignDeps({}),
      interactive: true,
      promptPin: (question: string) => {
        const label = /token "([a-z]+)"/.exec(question)?.[1] ?? '?';
        asked.push(label);
        return Promise.resolve(enc.encode(label === 'alice' || label === 'bob' ? hsm.tokens[label].pin : 'unknown'));
      },
    };
    const room = join(dir, 'room');
    c = captureIo();
    const code = await renewCertificatesCommand(certRequest, { out: room, module: 'softhsm2', key: NAMES.map((n) => `${n}=${n.toLowerCase()}:root-${n.toLowerCase()}`), json: true }, c.io, deps);
    expect([code, c.err.filter((l) => l.startsWith('error'))]).toEqual([0, []]);
    // One PIN per custodian: the certificate and both root signatures of each key in its one login.
    expect(asked).toEqual(['alice', 'bob']);
    const result = JSON.parse(c.out.join('')) as { root: string; version: number; transcript: string };
    expect(result.version).toBe(2);
    expect(result.transcript).toBe(`${room}.transcript.jsonl`);

    const bytes = new Uint8Array(readFileSync(result.transcript));
    const v = verifyTranscript(bytes, { allowUnsealed: true });
    expect(v.sealed).toBe(false);
    expect(v.header).toMatchObject({ kind: 'certificate-renewal', profile: 'notary', repository: GUN, planHash: sha(readFileSync(certRequest)), rehearsal: false });
    expect(v.entries.map((e) => [e.step, e.actor.name, e.token?.label ?? null])).toEqual([
      ['request.review', 'administrator', null],
      ['certificate.issue', 'Alice', 'alice'],
      ['certificate.issue', 'Bob', 'bob'],
      ['root.request', 'tuf-ceremony', null],
      ['co-sign', 'Alice', 'alice'],
      ['co-sign', 'Bob', 'bob'],
      ['merge', 'tuf-ceremony', null],
      ['session.end', 'tuf-ceremony', null],
    ]);
    expect(v.entries[1]!.token).toEqual({ serial: hsm.tokens.alice.serial, label: 'alice', keyId: listed.Alice!.keyId });
    expect(v.entries[0]!.inputs).toEqual([{ name: 'certificates.request.json', sha256: sha(readFileSync(certRequest)) }]);
    // Every file the session wrote, by its name in DIR and the SHA-256 of what is on disk.
    const outputs = v.entries.flatMap((e) => e.outputs);
    const written = ['certificates/Alice.json', 'certificates/Bob.json', 'root.request.json', 'responses/Alice.json', 'responses/Bob.json', '2.root.json'];
    expect(outputs.map((o) => o.name).sort()).toEqual([...written].sort());
    for (const o of outputs) expect([o.name, o.sha256]).toEqual([o.name, sha(readFileSync(join(room, o.name)))]);
    expect(v.entries[6]!.digests[0]!.sha256).toBe(v.entries[3]!.digests[1]!.sha256);

    // `transcript verify --allow-unsealed` accepts it and refuses each damaged copy with its code; no PIN in it.
    const tamperDir = join(dir, 'tamper');
    mkdirSync(tamperDir);
    await expectVerifiesAndRefusesTampering(result.transcript, bytes, tamperDir, {});
    expectNoSecrets(bytes, NAMES.map((n) => enc.encode(hsm.tokens[labelOf(n)].pin)));

    // The transcript is never written over: the same --out again (DIR gone, its transcript kept) is a usage
    // error before any PIN.
    rmSync(room, { recursive: true });
    c = captureIo();
    expect(await renewCertificatesCommand(certRequest, { out: room, module: 'softhsm2', key: NAMES.map((n) => `${n}=${n.toLowerCase()}:root-${n.toLowerCase()}`) }, c.io, deps)).toBe(2);
    expect(c.err[0]).toMatch(/^error\[OUTPUT_EXISTS\]: room\.transcript\.jsonl already exists/);
    expect(asked).toEqual(['alice', 'bob']);
    expect(existsSync(room)).toBe(false);
  }, 300_000);
});
