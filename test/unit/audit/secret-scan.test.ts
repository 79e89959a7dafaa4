/**
 * No secret ever enters the transcript (PRODUCT.md §2.7): a fake ceremony that handles a real private
 * key, a PIN and Shamir shares of the key writes its transcript to disk, and the file is searched for
 * each secret in every encoding (test/support/secret-scan.ts). Positive controls plant secrets, so the
 * check is shown able to fail.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { split } from 'shamir-secret-sharing';
import { beforeAll, describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import { createTranscriptFile } from '../../../src/io/append.js';
import { memorySink, TranscriptWriter } from '../../../src/audit/transcript.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import type { MetadataSigner } from '../../../src/tuf/sign.js';
import { makeKey, type TestKey } from '../../support/keys.js';
import { scanForSecrets } from '../../support/secret-scan.js';
import { fixedClock, HEADER } from './fixtures.js';
import { tempDirs } from '../../support/temp-dirs.js';

const tmp = tempDirs();

const PIN = '7g4kP2q9';
const enc = new TextEncoder();
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** A rehearsal token: signs only after the right PIN, and never lets its key out (but the test knows it). */
class FakeToken {
  private loggedIn = false;
  constructor(
    readonly serial: string,
    private readonly pin: string,
    private readonly key: TestKey,
  ) {}
  login(pin: string): void {
    if (pin !== this.pin) throw new CeremonyError('PIN_INCORRECT', 'the token did not accept the PIN');
    this.loggedIn = true;
  }
  signer(): MetadataSigner {
    return {
      keyId: this.key.keyId,
      key: this.key.key,
      sign: (data) => {
        if (!this.loggedIn) throw new CeremonyError('TOKEN_LOGIN_REQUIRED', 'log in first');
        return this.key.sign(data);
      },
    };
  }
}

let key: TestKey;
let secrets: Uint8Array[];
let scalar: Uint8Array;
let pkcs8: Uint8Array;
let shares: Uint8Array[];
let file: Uint8Array;

beforeAll(async () => {
  key = await makeKey('tuf', 'ecdsa-p256');
  scalar = Uint8Array.from(Buffer.from(key.privateKey.export({ format: 'jwk' }).d!, 'base64url'));
  pkcs8 = new Uint8Array(key.privateKey.export({ type: 'pkcs8', format: 'der' }));
  const pem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  shares = await split(scalar, 3, 2);
  secrets = [scalar, pkcs8, enc.encode(pem), enc.encode(PIN), ...shares];

  // The fake ceremony.
  const token = new FakeToken('12345678', PIN, key);
  const path = join(tmp('tufc-secret-'), 'transcript.jsonl');
  const { writer, file: out } = await createTranscriptFile(path, HEADER, { now: fixedClock() });
  const alice = { name: 'Alice Custodian', role: 'custodian' } as const;
  await writer.append({ step: 'token.check', actor: alice, token: { serial: token.serial }, note: 'Expected serial; PIN entered in the PIN dialog.' });
  token.login(PIN);
  await writer.append({
    step: 'key.generate',
    actor: alice,
    token: { serial: token.serial, keyId: key.keyId },
    digests: [{ label: 'public key fingerprint', sha256: key.key.fingerprint }],
    outputs: [{ name: 'alice-root.pub', bytes: key.key.spki }],
  });
  const rootBytes = enc.encode('{"signed":{"_type":"root","version":1}}');
  const sig = await token.signer().sign(rootBytes);
  await writer.append({
    step: 'root.sign',
    actor: alice,
    token: { serial: token.serial, keyId: key.keyId },
    digests: [{ label: 'root.json v1, the bytes to sign', bytes: rootBytes }],
    outputs: [{ name: 'root.json', sha256: sha(new Uint8Array([...rootBytes, ...sig])) }],
    witnesses: [{ name: 'Carol Witness', confirmed: 'short hash read aloud matches' }],
  });
  // A software backup: the key split 2-of-3; each card is recorded by the hash of its share (high entropy).
  for (let i = 0; i < shares.length; i++) {
    await writer.append({
      step: 'shamir.card',
      actor: { name: `Custodian ${i + 1}`, role: 'custodian' },
      digests: [{ label: `share card ${i + 1} of 3`, sha256: sha(shares[i]!) }],
      witnesses: [{ name: 'Carol Witness', confirmed: 'card handed over sealed' }],
    });
  }
  await writer.seal(token.signer());
  await out.close();
  file = readFileSync(path);
});

describe('no secret in the transcript', () => {
  it('the fake ceremony wrote a sealed transcript', () => {
    const t = verifyTranscript(file);
    expect(t.entries).toHaveLength(6);
    expect(t.sealedBy!.fingerprint).toBe(key.key.fingerprint);
  });

  it('none of the private key, its PKCS#8 form, the PIN or the shares is in the file, in any encoding', () => {
    expect(scanForSecrets(file, secrets)).toEqual([]);
  });
});

describe('positive controls: the scan finds planted secrets', () => {
  it('the PIN in hex, in a note the writer cannot tell from text', async () => {
    const sink = memorySink();
    const w = await TranscriptWriter.start(sink, HEADER, { now: fixedClock() });
    await w.append({ step: 'token.login', actor: { name: 'Alice', role: 'custodian' }, note: `pin ${Buffer.from(PIN).toString('hex')}` });
    expect(scanForSecrets(sink.bytes(), [PIN])).toEqual([expect.objectContaining({ secret: 0, form: 'hex' })]);
  });

  it('the raw PIN in a note', async () => {
    const sink = memorySink();
    const w = await TranscriptWriter.start(sink, HEADER, { now: fixedClock() });
    await w.append({ step: 'token.login', actor: { name: 'Alice', role: 'custodian' }, note: `PIN was ${PIN}` });
    expect(scanForSecrets(sink.bytes(), [enc.encode(PIN)])).toEqual([expect.objectContaining({ form: 'raw' })]);
  });

  it('the private scalar inside a PKCS#8 PEM (base64 off alignment, wrapped at 64 columns)', () => {
    const planted = new Uint8Array([...file, ...enc.encode(key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())]);
    const found = scanForSecrets(planted, [scalar]);
    expect(found.map((f) => f.form)).toContain('base64');
  });

  it('the private scalar JSON-escaped in a PEM string', () => {
    const pemJson = JSON.stringify({ key: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    expect(scanForSecrets(new Uint8Array([...file, ...enc.encode(pemJson)]), [scalar])).toEqual([expect.objectContaining({ form: 'base64', stripped: true })]);
  });

  it('a share in base32, and the scalar in upper-case hex', () => {
    const b32 = base32(new Uint8Array([7, ...shares[1]!]));
    const planted = new Uint8Array([...file, ...enc.encode(`${b32} ${Buffer.from(scalar).toString('hex').toUpperCase()}`)]);
    const found = scanForSecrets(planted, secrets);
    expect(found).toContainEqual(expect.objectContaining({ secret: secrets.indexOf(shares[1]!), form: 'base32' }));
    expect(found).toContainEqual(expect.objectContaining({ secret: 0, form: 'HEX' }));
  });

  it('base64 and base32 at every alignment, in a longer stream', () => {
    const secret = randomBytes(20);
    for (let pre = 0; pre < 5; pre++) {
      const stream = new Uint8Array([...randomBytes(pre), ...secret, ...randomBytes(3)]);
      for (const [text, form] of [
        [Buffer.from(stream).toString('base64'), 'base64'],
        [Buffer.from(stream).toString('base64url'), 'base64url'],
        [base32(stream), 'base32'],
        [base32(stream).toLowerCase(), 'base32-lower'],
      ] as const) {
        // Where no character of the secret's core is '+' or '/', base64url spells it as base64 does.
        const forms = scanForSecrets(enc.encode(`x${text}y`), [secret]).map((f) => f.form);
        expect(forms.includes(form) || (form === 'base64url' && forms.includes('base64')), `${form} after ${pre} bytes: ${forms.join(', ')}`).toBe(true);
      }
    }
  });

  it('and finds nothing in bytes that do not hold the secret', () => {
    expect(scanForSecrets(randomBytes(4096), [randomBytes(32)])).toEqual([]);
  });
});

/** RFC 4648 base32, upper case, no padding (written here independently of the scanner). */
function base32(bytes: Uint8Array): string {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i + 5 <= bits.length; i += 5) out += A[parseInt(bits.slice(i, i + 5), 2)];
  const rest = bits.length % 5;
  if (rest) out += A[parseInt(bits.slice(bits.length - rest).padEnd(5, '0'), 2)];
  return out;
}
