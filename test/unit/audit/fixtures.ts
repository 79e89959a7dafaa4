/**
 * A small ceremony transcript for the audit tests: a fixed clock, a plan, two custodians, witnesses, a
 * seal by a real test key (test/support/keys.ts).
 */
import { createHash } from 'node:crypto';
import { canonicalBytes } from '../../../src/json/canonical.js';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';
import { memorySink, TranscriptWriter, type EntryInput, type HeaderInput } from '../../../src/audit/transcript.js';
import { SessionTranscript, type SessionKind } from '../../../src/audit/session.js';
import { recordHash } from '../../../src/audit/schema.js';
import type { TranscriptEntry, TranscriptHeader } from '../../../src/audit/types.js';
import type { MetadataSigner } from '../../../src/tuf/sign.js';

export const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** A clock that starts at 09:00 UTC and moves one minute per reading. */
export function fixedClock(startIso = '2025-05-06T09:00:00.000Z', stepMs = 60_000): () => Date {
  let t = Date.parse(startIso) - stepMs;
  return () => new Date((t += stepMs));
}

export const HEADER: HeaderInput = {
  kind: 'root',
  profile: 'tuf',
  repository: 'registry.example.com/org/app',
  planHash: sha('plan intent'),
  rehearsal: true,
  appVersion: '0.1.0',
};

export const STEPS: EntryInput[] = [
  {
    step: 'plan.review',
    actor: { name: 'Ana Admin', role: 'administrator' },
    digests: [{ label: 'plan intent', sha256: sha('plan intent') }],
    inputs: [{ name: 'plan.json', sha256: sha('plan.json bytes') }],
    witnesses: [{ name: 'Carol Witness', confirmed: 'plan hash read aloud matches the reviewed plan' }],
  },
  {
    step: 'token.check',
    actor: { name: 'Alice Custodian', role: 'custodian' },
    token: { serial: '12345678', label: 'alice-root' },
    note: 'Token serial matches the plan.',
  },
  {
    step: 'key.generate',
    actor: { name: 'Alice Custodian', role: 'custodian' },
    token: { serial: '12345678', label: 'alice-root', keyId: sha('alice key id') },
    digests: [{ label: 'public key fingerprint', sha256: sha('alice spki') }],
    outputs: [{ name: 'alice-root.pub', bytes: new TextEncoder().encode('alice public key') }],
    witnesses: [{ name: 'Carol Witness', confirmed: 'fingerprint read aloud' }],
  },
  {
    step: 'token.check',
    actor: { name: 'Bob Custodian', role: 'custodian' },
    token: { serial: '87654321' },
  },
  {
    step: 'root.sign',
    actor: { name: 'Alice Custodian', role: 'custodian' },
    token: { serial: '12345678', keyId: sha('alice key id') },
    digests: [{ label: 'root.json v1, the bytes to sign', bytes: new TextEncoder().encode('root v1 signed bytes') }],
    inputs: [{ name: 'root.json (unsigned)', sha256: sha('root unsigned') }],
    outputs: [{ name: 'root.json', sha256: sha('root signed') }],
    witnesses: [
      { name: 'Carol Witness', confirmed: 'short hash read aloud matches' },
      { name: 'Dave Auditor', confirmed: 'signature verified on screen' },
    ],
  },
  {
    step: 'ceremony.export',
    actor: { name: 'Ana Admin', role: 'administrator' },
    outputs: [{ name: 'trust-bundle.tcb', sha256: sha('bundle') }],
    note: 'Exported to USB stick #2.\nStick sealed in bag 0042.',
  },
];

export async function writeSample(opts: { signer?: MetadataSigner; steps?: EntryInput[]; header?: Partial<HeaderInput> } = {}): Promise<Uint8Array> {
  const sink = memorySink();
  const writer = await TranscriptWriter.start(sink, { ...HEADER, ...opts.header }, { now: fixedClock() });
  for (const step of opts.steps ?? STEPS) await writer.append(step);
  if (opts.signer) await writer.seal(opts.signer);
  return sink.bytes();
}

/**
 * An unsealed session transcript written the way rotate, merge, import and publish write theirs
 * (src/audit/session.ts): its entries, then `session.end` with the outcome.
 */
export async function writeUnsealedSession(kind: SessionKind, steps: EntryInput[], outcome = 'done'): Promise<Uint8Array> {
  const s = await SessionTranscript.start({ kind, profile: HEADER.profile, repository: HEADER.repository, reviewed: { sha256: HEADER.planHash }, rehearsal: HEADER.rehearsal }, fixedClock());
  for (const step of steps) await s.append(step);
  await s.end(outcome);
  return s.bytes();
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The file as its lines (without `\n`), and back. */
export function lines(bytes: Uint8Array): string[] {
  const text = dec.decode(bytes);
  return text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
}

export function join(ls: string[]): Uint8Array {
  return enc.encode(ls.map((l) => `${l}\n`).join(''));
}

export function line(record: JsonValue): string {
  return dec.decode(canonicalBytes(record, 'json'));
}

export function parse(l: string): JsonObject {
  return JSON.parse(l) as JsonObject;
}

/** Re-hash a header or entry line (what a forger who edits one record would do). */
export function rehash(obj: JsonObject): JsonObject {
  const out = { ...obj };
  out.hash = recordHash(out as unknown as TranscriptHeader | TranscriptEntry);
  return out;
}

/** Re-chain every entry from the header down (a forger rewriting the whole chain). */
export function rechain(ls: string[]): string[] {
  const out = [...ls];
  let prev = '';
  for (let i = 0; i < out.length; i++) {
    const o = parse(out[i]!);
    if (o.type === 'seal') break;
    if (o.type === 'entry') o.prev = prev;
    const r = rehash(o);
    prev = r.hash as string;
    out[i] = line(r);
  }
  return out;
}
