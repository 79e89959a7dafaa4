/**
 * Review 15e: an output folder edited between two sessions of a one-repository ceremony. Each hostile edit
 * of ceremony-state.json, transcript.jsonl or a metadata file is refused on resume with its code and the
 * path of the file (and the JSON path in the state), and nothing is signed, sealed or written after it:
 * no transcript.html, no key-inventory.json, no metadata file changed or added.
 *
 * H1 a custodian's key record swapped for an outsider's, with the outsider's signature planted;
 * H2 the transcript cut back by whole lines (the state records how long it was);
 * M1 steps marked done that were not (also with a forged transcript entry to match);
 * M2 a metadata file replaced after write-outputs, before or after the seal;
 * M3 a `generating` record pointed at another ceremony's key on the custodian's token (fake SoftHSM2);
 * L2 `sealed: true` on an unsealed run, codes and paths of the other refusals.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outFiles, outPath, readOut } from '../../support/ceremony-out.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { FakePkcs11 } from '../../support/fake-pkcs11.js';
import { CKO } from '../../../src/signers/pkcs11/api.js';
import { runCeremony } from '../../../src/ceremony/machine.js';
import { buildRootSigned } from '../../../src/ceremony/metadata.js';
import { parsePlan } from '../../../src/ceremony/plan.js';
import { RehearsalTokenProvider } from '../../../src/ceremony/tokens.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import { resumeTranscriptFile } from '../../../src/io/append.js';
import { getProfile } from '../../../src/profiles/index.js';
import { listPublicKey } from '../../../src/signers/public-key-json.js';
import { metadataSigner } from '../../../src/signers/metadata-signer.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import { TokenModule } from '../../../src/signers/pkcs11/token.js';
import { openRehearsalTokens } from '../../../src/signers/rehearsal.js';
import type { SigningKey } from '../../../src/signers/signing-key.js';
import { signMetadata } from '../../../src/tuf/sign.js';
import { planBytesOf, planJson, recordingTokens } from './support.js';

const tmp = tempDirs();
const CUSTODIANS = ['Alice', 'Bob', 'Carol'];
const STATE = 'ceremony-state.json';

class Interrupted extends Error {}

function prepare() {
  const dir = tmp('tufc-tamper-');
  const json = planJson('tuf', dir);
  const bytes = planBytesOf(json);
  writeFileSync(join(dir, 'plan.json'), bytes);
  return { dir, bytes, plan: parsePlan(bytes, { rehearsal: true }) };
}

/** A ceremony stopped once at `point`; `run()` resumes it with the same tokens and software keys. */
async function stoppedAt(point: string, tokens?: RehearsalTokenProvider) {
  const p = prepare();
  const provider = tokens ?? (await recordingTokens(CUSTODIANS)).provider;
  const softwareKeys = new Map<string, SigningKey>();
  const run = (fault?: (pt: string) => void) =>
    runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir: p.dir, tokens: provider, softwareKeys, ...(fault ? { fault } : {}) });
  let fired = false;
  await expect(
    run((pt) => {
      if (!fired && pt === point) {
        fired = true;
        throw new Interrupted(pt);
      }
    }),
  ).rejects.toBeInstanceOf(Interrupted);
  const statePath = outPath(p.dir, STATE);
  const transcriptPath = outPath(p.dir, 'transcript.jsonl');
  return {
    ...p,
    run: () => run(),
    statePath,
    transcriptPath,
    state: () => JSON.parse(readFileSync(statePath, 'utf8')),
    writeState: (s: unknown) => writeFileSync(statePath, JSON.stringify(s, null, 2) + '\n'),
  };
}

type Stopped = Awaited<ReturnType<typeof stoppedAt>>;

/** Every file of the folder with its bytes: compared before and after a refused resume. */
function snapshotOf(dir: string): Map<string, string> {
  return new Map(outFiles(dir).map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));
}

/** The refused resume added, changed or sealed nothing but (at most) transcript entries and the state. */
function expectNothingWritten(s: Stopped, before: Map<string, string>): void {
  const after = snapshotOf(s.dir);
  for (const [f, b] of after) {
    if (f.endsWith('transcript.jsonl') || f.endsWith(STATE)) continue;
    expect(before.get(f), `${f} added or changed by a refused resume`).toBe(b);
  }
  expect(existsSync(outPath(s.dir, 'transcript.html'))).toBe(false);
  expect(existsSync(outPath(s.dir, 'key-inventory.json'))).toBe(false);
}

async function refused(s: Stopped, code: string, path: string | RegExp): Promise<Error> {
  const before = snapshotOf(s.dir);
  const sealed = (): boolean | undefined => {
    try {
      return verifyTranscript(readOut(s.dir, 'transcript.jsonl'), { allowUnsealed: true }).sealed;
    } catch {
      return undefined; // the edit under test broke the chain
    }
  };
  const sealedBefore = sealed();
  const err = await s.run().then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string; path?: string },
  );
  expect(err, 'the resume was not refused').toBeDefined();
  expect(err).toMatchObject({ code });
  const got = (err as { path?: string }).path ?? '';
  if (typeof path === 'string') expect(got).toBe(path);
  else expect(got).toMatch(path);
  expectNothingWritten(s, before);
  expect(sealed()).toBe(sealedBefore);
  return err!;
}

describe('H1: a key record swapped in the state is refused at the token', () => {
  it("Bob's root key replaced by an outsider's, with the outsider's signature over the rebuilt root", async () => {
    const s = await stoppedAt('after:shamir-backup');
    const state = s.state();
    const evil = SoftwareKey.generate('ecdsa-p256');
    const listed = listPublicKey('tuf', evil.spki);
    Object.assign(state.keys['root/Bob'], { fingerprint: evil.fingerprint, keyId: listed.keyId, spki: Buffer.from(evil.spki).toString('base64') });
    const signed = await buildRootSigned({ plan: s.plan, state } as never);
    const env = await signMetadata(getProfile('tuf'), signed, [metadataSigner(evil, { ...listed, profile: 'tuf' })]);
    state.signatures.root = [env.signatures.find((x) => x.keyid === listed.keyId)];
    s.writeState(state);
    evil.dispose();
    const err = await refused(s, 'CEREMONY_STATE_INVALID', `${s.statePath} $.keys.root/Bob`);
    expect(err.message).toContain("Bob's token holds no key");
    expect(existsSync(outPath(s.dir, 'root.json'))).toBe(false);
  }, 60_000);

  it('the targets key record swapped for another key', async () => {
    const s = await stoppedAt('after:generate-keys');
    const state = s.state();
    const other = SoftwareKey.generate('ecdsa-p256');
    const listed = listPublicKey('tuf', other.spki);
    Object.assign(state.keys.targets, { fingerprint: other.fingerprint, keyId: listed.keyId, spki: Buffer.from(other.spki).toString('base64') });
    s.writeState(state);
    other.dispose();
    await refused(s, 'CEREMONY_STATE_INVALID', `${s.statePath} $.keys.targets`);
  }, 60_000);

  it('a key record the plan does not plan', async () => {
    const s = await stoppedAt('after:generate-keys');
    const state = s.state();
    state.keys['root/Mallory'] = { ...state.keys['root/Bob'] };
    s.writeState(state);
    await refused(s, 'CEREMONY_STATE_INVALID', `${s.statePath} $.keys.root/Mallory`);
  }, 60_000);
});

describe('H2: the state is bound to the transcript', () => {
  it('a transcript cut back by whole lines is TRANSCRIPT_TRUNCATED', async () => {
    const s = await stoppedAt('after:shamir-backup');
    const lines = readFileSync(s.transcriptPath, 'utf8').split('\n').filter(Boolean);
    writeFileSync(s.transcriptPath, lines.slice(0, 2).join('\n') + '\n');
    const err = await refused(s, 'TRANSCRIPT_TRUNCATED', s.transcriptPath);
    expect(err.message).toContain(`${s.statePath} $.transcript.entries`);
  }, 60_000);

  it('another record where the state was saved is CEREMONY_STATE_MISMATCH', async () => {
    const s = await stoppedAt('after:generate-keys');
    const state = s.state();
    state.transcript.lastHash = 'ab'.repeat(32);
    s.writeState(state);
    const err = await refused(s, 'CEREMONY_STATE_MISMATCH', s.transcriptPath);
    expect(err.message).toContain(`${s.statePath} $.transcript.lastHash`);
  }, 60_000);

  it('a state with work done and no transcript binding is refused', async () => {
    const s = await stoppedAt('after:generate-keys');
    const state = s.state();
    delete state.transcript;
    s.writeState(state);
    await refused(s, 'CEREMONY_STATE_INVALID', `${s.statePath} $.transcript`);
  }, 60_000);

  it('an honest interruption resumes, and the state records where the transcript stood', async () => {
    const s = await stoppedAt('after:collect-signatures');
    const t = verifyTranscript(readOut(s.dir, 'transcript.jsonl'), { allowUnsealed: true });
    expect(s.state().transcript).toEqual({ entries: t.entries.length, lastHash: t.entries.at(-1)!.hash });
    const result = await s.run();
    expect(result.resumed).toBe(true);
    const sealed = verifyTranscript(readOut(s.dir, 'transcript.jsonl'), { expectedSealKeyId: result.sealKeyId });
    expect(sealed.entries.find((e) => e.step === 'ceremony.resume')!.note).toMatch(/keys made before read back from their tokens and found as recorded/);
  }, 60_000);
});

describe('M1: steps marked done are checked', () => {
  it('write-outputs marked done before anything was written', async () => {
    const s = await stoppedAt('after:verify-outputs');
    const state = s.state();
    state.steps['write-outputs'] = { status: 'done', at: state.updated };
    s.writeState(state);
    await refused(s, 'CEREMONY_STATE_INVALID', `${s.statePath} $.steps.write-outputs`);
    expect(outFiles(s.dir).filter((f) => f.startsWith('metadata/'))).toEqual([]);
  }, 60_000);

  it('write-outputs marked done with a forged transcript entry to match: no file recorded, refused', async () => {
    const s = await stoppedAt('after:verify-outputs');
    // The chain links only backwards and carries no key: anyone can append a well-formed entry.
    const { writer, file } = await resumeTranscriptFile(s.transcriptPath);
    await writer.append({ step: 'ceremony.write-outputs', actor: { name: 'tuf-ceremony', role: 'app' }, note: 'forged' });
    await file.close();
    const state = s.state();
    state.steps['write-outputs'] = { status: 'done', at: state.updated };
    state.transcript = { entries: writer.entryCount, lastHash: writer.lastHash };
    s.writeState(state);
    await refused(s, 'CEREMONY_STATE_INVALID', `${s.statePath} $.outputs.root.json`);
    expect(outFiles(s.dir).filter((f) => f.startsWith('metadata/'))).toEqual([]);
  }, 60_000);

  it('collect-signatures marked done with only the first root signature', async () => {
    const s = await stoppedAt('signed:root:root/Alice');
    const state = s.state();
    state.steps['build-metadata'] = { status: 'done', at: state.updated };
    state.steps['collect-signatures'] = { status: 'done', at: state.updated };
    s.writeState(state);
    await refused(s, 'CEREMONY_STATE_INVALID', /ceremony-state\.json \$\.(steps\.build-metadata|steps\.collect-signatures|signed\.targets|signatures\.targets)$/);
  }, 60_000);
});

describe('M2: metadata files are checked against their recorded hashes before the seal', () => {
  const replace = (s: Stopped, name: string) => {
    const path = outPath(s.dir, name);
    const j = JSON.parse(readFileSync(path, 'utf8'));
    j.signed.expires = '2099-01-01T00:00:00Z';
    writeFileSync(path, JSON.stringify(j));
    return path;
  };

  it('targets.json replaced after write-outputs', async () => {
    const s = await stoppedAt('after:write-outputs');
    const path = replace(s, 'targets.json');
    await refused(s, 'CEREMONY_OUTPUT_CHANGED', path);
  }, 60_000);

  it('root.json replaced after the seal, before transcript.html', async () => {
    const s = await stoppedAt('sealed');
    const path = replace(s, 'root.json');
    await refused(s, 'CEREMONY_OUTPUT_CHANGED', path);
  }, 60_000);

  it('root.json removed after write-outputs', async () => {
    const s = await stoppedAt('after:write-outputs');
    const { rmSync } = await import('node:fs');
    rmSync(outPath(s.dir, 'root.json'));
    await refused(s, 'CEREMONY_OUTPUT_CHANGED', outPath(s.dir, 'root.json'));
  }, 60_000);

  it('root.json replaced and its recorded hash edited to match: not the bytes the ceremony builds', async () => {
    const s = await stoppedAt('after:write-outputs');
    const path = replace(s, 'root.json');
    const state = s.state();
    state.outputs['root.json'] = (await import('node:crypto')).createHash('sha256').update(readFileSync(path)).digest('hex');
    s.writeState(state);
    await refused(s, 'CEREMONY_STATE_INVALID', `${s.statePath} $.outputs.root.json`);
  }, 60_000);
});

describe('L2: codes and paths of the other refusals', () => {
  it('sealed: true on an unsealed run is refused before any step runs', async () => {
    const s = await stoppedAt('after:build-metadata');
    const state = s.state();
    state.sealed = true;
    s.writeState(state);
    const entriesBefore = verifyTranscript(readOut(s.dir, 'transcript.jsonl'), { allowUnsealed: true }).entries.length;
    await refused(s, 'CEREMONY_STATE_INVALID', `${s.statePath} $.sealed`);
    expect(verifyTranscript(readOut(s.dir, 'transcript.jsonl'), { allowUnsealed: true }).entries.length).toBe(entriesBefore);
  }, 60_000);

  it('a changed middle transcript entry names the transcript file', async () => {
    const s = await stoppedAt('after:generate-keys');
    const lines = readFileSync(s.transcriptPath, 'utf8').split('\n').filter(Boolean);
    const e = JSON.parse(lines[3]!);
    e.note = `${e.note} (edited)`;
    lines[3] = JSON.stringify(Object.fromEntries(Object.entries(e).sort(([a], [b]) => (a < b ? -1 : 1))));
    writeFileSync(s.transcriptPath, lines.join('\n') + '\n');
    await refused(s, 'TRANSCRIPT_CHAIN_BROKEN', `${s.transcriptPath} line 4 $.hash`);
  }, 60_000);

  it('an edited signed.root names the state file and the JSON path', async () => {
    const s = await stoppedAt('after:build-metadata');
    const state = s.state();
    state.signed.root = 'ab'.repeat(32);
    s.writeState(state);
    await refused(s, 'CEREMONY_STATE_INVALID', `${s.statePath} $.signed.root`);
  }, 60_000);
});

describe('M3: a generating record adopts only this ceremony key (fake SoftHSM2: keys found by CKA_ID)', () => {
  it("another ceremony's key under the recorded CKA_ID is refused, not adopted", async () => {
    const fake = new FakePkcs11([{ label: '', serial: '', uninitialized: true }]);
    const mod = await TokenModule.load('/usr/lib/softhsm/libsofthsm2.so', { api: fake, rehearsal: true });
    const tokens = await openRehearsalTokens({ custodians: CUSTODIANS, softhsm: mod });
    const foreignId = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
    // A key of an earlier ceremony on Bob's token: its CKA_ID is in that ceremony's key inventory.
    const foreign = await tokens[1]!.generateKey('ecdsa-p256', 'root-bob-earlier', new Uint8Array(foreignId));
    const s = await stoppedAt('generating:root/Bob', new RehearsalTokenProvider(tokens));
    const state = s.state();
    expect(state.keys['root/Bob'].status).toBe('generating');
    state.keys['root/Bob'].tokenKeyId = foreignId.toString('hex');
    s.writeState(state);
    const err = await refused(s, 'CEREMONY_STATE_INVALID', `${s.statePath} $.keys.root/Bob`);
    expect(err.message).toContain('"root-bob-earlier"');
    expect(JSON.stringify(s.state().keys)).not.toContain(foreign.fingerprint);
    for (const t of tokens) await t.close();
  }, 60_000);

  it('L1: only the public half of the interrupted pair on the token: CEREMONY_CANNOT_RESUME saying what to delete', async () => {
    const fake = new FakePkcs11([{ label: '', serial: '', uninitialized: true }]);
    const mod = await TokenModule.load('/usr/lib/softhsm/libsofthsm2.so', { api: fake, rehearsal: true });
    const tokens = await openRehearsalTokens({ custodians: CUSTODIANS, softhsm: mod });
    const s = await stoppedAt('generated:root/Bob', new RehearsalTokenProvider(tokens));
    const state = s.state();
    expect(state.keys['root/Bob'].status).toBe('generating');
    // What a SIGKILL inside C_GenerateKeyPair left on SoftHSM2 (review 15e L1): the public object only.
    const bob = (fake as unknown as { byserial(serial: string): { objects: Map<unknown, { attrs: { class?: unknown } }> } }).byserial(tokens[1]!.token.serial);
    for (const [h, o] of bob.objects) if (o.attrs.class === CKO.PRIVATE_KEY) bob.objects.delete(h);
    const err = await refused(s, 'CEREMONY_CANNOT_RESUME', `${s.statePath} $.keys.root/Bob`);
    expect(err.message).toContain(`delete the object with CKA_ID ${state.keys['root/Bob'].tokenKeyId}`);
    for (const t of tokens) await t.close();
  }, 60_000);
});
