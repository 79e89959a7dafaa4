/**
 * What every step of the machine works with: the plan, the state (saved after every change), the tokens,
 * the transcript, the clock, and the keys found or made in this run. Steps take everything they need from
 * here and keep nothing of their own between runs: what must survive an interruption goes into the state,
 * and only public facts go there (state.ts).
 */
import { join } from 'node:path';
import { CeremonyError } from '../errors.js';
import type { EntryInput, TranscriptWriter } from '../audit/transcript.js';
import type { AttestationTrust } from '../attestation/yubico-pki.js';
import { readFileCapped } from '../io/files.js';
import type { SigningKey } from '../signers/signing-key.js';
import { plannedKeys, type CeremonyPlan, type PlanCustodian, type PublisherKeySource } from './plan.js';
import { parsePublisherKey, PUBLISHER_KEY_MAX_BYTES, type PublisherKey } from './publisher-key.js';
import { parseRoleKeyFile } from './online-key.js';
import { SERVER_KEY_MAX_BYTES, type ServerKey } from './server-key.js';
import type { CeremonyState, StateFile } from './state.js';
import type { CeremonyToken, TokenProvider } from './tokens.js';

export interface CeremonyContext {
  readonly plan: CeremonyPlan;
  readonly planSha256: string;
  /** The plan's folder: server key files are named relative to it. */
  readonly planDir: string;
  readonly outDir: string;
  readonly state: CeremonyState;
  readonly tokens: TokenProvider;
  readonly transcript: TranscriptWriter;
  readonly rehearsal: { kind: string; notice: string } | undefined;
  /** Software keys of a rehearsal, by planned key name; they live only as long as this map. */
  readonly softwareKeys: Map<string, SigningKey>;
  /** Keys found on or made by tokens in this run, by planned key name. */
  readonly keys: Map<string, SigningKey>;
  /** Roots for YubiKey attestations other than Yubico's (tests, private PKIs); undefined: Yubico's bundled roots. */
  readonly attestationTrust: AttestationTrust | undefined;
  now(): Date;
  /** Persist the state (after every change worth keeping across an interruption). */
  save(): Promise<void>;
  /** Append a transcript entry (durable before it resolves). */
  record(entry: EntryInput): Promise<void>;
  /** Progress for people (the CLI prints it). */
  report(line: string): void;
  /** Test hook: a named point in a step where an injected fault may interrupt the ceremony. */
  fault(point: string): Promise<void>;
  custodian(name: string): PlanCustodian;
  /** The custodian's token, opened (and, for real tokens, logged in) on first use; its serial recorded. */
  token(name: string): Promise<CeremonyToken>;
  /** A server key file the plan names, read and checked against the plan's hash. */
  serverKey(role: 'snapshot' | 'timestamp'): Promise<ServerKey>;
  /** A publisher's targets key file the plan names, read and checked against the plan's hash. */
  publisherKey(source: PublisherKeySource): Promise<PublisherKey>;
}

export interface ContextInit {
  plan: CeremonyPlan;
  planSha256: string;
  planDir: string;
  outDir: string;
  state: CeremonyState;
  stateFile: StateFile;
  tokens: TokenProvider;
  transcript: TranscriptWriter;
  softwareKeys: Map<string, SigningKey>;
  attestationTrust?: AttestationTrust | undefined;
  now: () => Date;
  report: (line: string) => void;
  fault: (point: string) => void | Promise<void>;
}

/** The bytes of a publisher's key file next to the plan (capped); PLAN_INPUT_MISMATCH when unreadable. */
export async function readPublisherKeyFile(planDir: string, source: PublisherKeySource): Promise<Uint8Array> {
  try {
    return await readFileCapped(join(planDir, source.keyFile), PUBLISHER_KEY_MAX_BYTES);
  } catch (err) {
    throw new CeremonyError('PLAN_INPUT_MISMATCH', `${source.keyFile}, publisher ${source.name}'s targets key the plan names, cannot be read next to the plan`, {
      path: '$.targets.publishers',
      cause: err,
    });
  }
}

export function makeContext(init: ContextInit): CeremonyContext {
  const serverKeys = new Map<string, ServerKey>();
  const ctx: CeremonyContext = {
    plan: init.plan,
    planSha256: init.planSha256,
    planDir: init.planDir,
    outDir: init.outDir,
    state: init.state,
    tokens: init.tokens,
    transcript: init.transcript,
    rehearsal: init.tokens.rehearsal,
    softwareKeys: init.softwareKeys,
    keys: new Map(),
    attestationTrust: init.attestationTrust,
    now: init.now,
    save: () => init.stateFile.save(init.state, init.now()),
    record: async (entry) => {
      await init.transcript.append(entry);
    },
    report: init.report,
    fault: async (point) => {
      await init.fault(point);
    },
    custodian(name) {
      const c = init.plan.custodians.find((x) => x.name === name);
      if (!c) throw new CeremonyError('INTERNAL', `no custodian ${JSON.stringify(name)} in the plan`);
      return c;
    },
    async token(name) {
      const custodian = ctx.custodian(name);
      const recorded = init.state.tokens[name];
      const keys = Object.values(init.state.keys)
        .filter((k) => k.custodian === name && k.origin === 'token' && k.status === 'ready' && k.label && k.fingerprint)
        .map((k) => ({ label: k.label!, fingerprint: k.fingerprint!, ...(k.tokenKeyId ? { keyId: k.tokenKeyId } : {}) }));
      // The key types the plan asks of this token: a token that cannot make one is refused before the
      // PIN is asked (issue #11: opencryptoki's soft token makes no EC keys).
      const needs = [
        ...new Set(plannedKeys(init.plan).flatMap((k) => (k.source.kind === 'token' && k.source.custodian === name ? [k.source.keyAlgorithm] : []))),
      ];
      const t = await init.tokens.open(custodian, recorded, keys, needs);
      if (!recorded) {
        init.state.tokens[name] = { serial: t.token.serial, label: t.token.label };
        await ctx.save();
      }
      return t;
    },
    async serverKey(role) {
      const cached = serverKeys.get(role);
      if (cached) return cached;
      const source = init.plan[role].key;
      if (source.kind !== 'server') throw new CeremonyError('INTERNAL', `the ${role} key is not a server key`);
      const path = join(init.planDir, source.keyFile);
      let bytes: Uint8Array;
      try {
        bytes = await readFileCapped(path, SERVER_KEY_MAX_BYTES);
      } catch (err) {
        throw new CeremonyError('PLAN_INPUT_MISMATCH', `${source.keyFile}, the ${role} key the plan names, cannot be read next to the plan`, { path: `$.${role}.keyFile`, cause: err });
      }
      const key = parseRoleKeyFile(init.plan.profile, role, bytes, source.keyFile, source.sha256, init.plan.repository);
      serverKeys.set(role, key);
      return key;
    },
    async publisherKey(source) {
      return parsePublisherKey(await readPublisherKeyFile(init.planDir, source), source.keyFile, init.plan.profile, source.sha256);
    },
  };
  return ctx;
}
