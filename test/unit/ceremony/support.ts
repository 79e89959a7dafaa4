/**
 * Helpers for the ceremony tests: a temp folder, a rehearsal plan written into it (with a notary-server
 * style timestamp key file for the Notary profile), software rehearsal tokens that remember the keys they
 * made (so tests can scan for their secrets and resume with the same tokens), and the files a ceremony left.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { JsonObject } from '../../../src/json/types.js';
import { parsePlan, type CeremonyPlan } from '../../../src/ceremony/plan.js';
import { rehearsalPlan } from '../../../src/ceremony/rehearsal-plan.js';
import { RehearsalTokenProvider } from '../../../src/ceremony/tokens.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { listPublicKey } from '../../../src/signers/public-key-json.js';
import { openRehearsalTokens, type RehearsalToken } from '../../../src/signers/rehearsal.js';
import type { SigningKey } from '../../../src/signers/signing-key.js';
import { SoftwareKey } from '../../../src/signers/software.js';

export const GUN = 'registry.example.com/org/app';

const dirs: string[] = [];
export function tempDir(prefix = 'ceremony-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
export function cleanup(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/** A notary-server style timestamp key file; returns its bytes (the private half is discarded). */
export function serverKeyFile(dir: string, name = 'timestamp.key'): Uint8Array {
  const key = SoftwareKey.generate('ed25519');
  const listed = listPublicKey('notary', key.spki);
  key.dispose();
  const bytes = new TextEncoder().encode(JSON.stringify({ keytype: 'ed25519', keyval: { public: (listed.json.keyval as JsonObject).public, private: null } }));
  writeFileSync(join(dir, name), bytes);
  return bytes;
}

/** The rehearsal plan as JSON (mutable, for tests that change it), for `dir`. */
export function planJson(profile: ProfileName, dir: string, now = new Date()): JsonObject {
  if (profile === 'tuf') return rehearsalPlan({ profile, repository: GUN, now });
  const bytes = serverKeyFile(dir);
  return rehearsalPlan({ profile, repository: GUN, now, timestampKey: { keyFile: 'timestamp.key', sha256: sha256(bytes) } });
}

export function planBytesOf(json: JsonObject): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(json, null, 2) + '\n');
}

export interface PreparedPlan {
  dir: string;
  json: JsonObject;
  bytes: Uint8Array;
  plan: CeremonyPlan;
}

export function preparePlan(profile: ProfileName, edit?: (json: JsonObject) => void): PreparedPlan {
  const dir = tempDir();
  const json = planJson(profile, dir);
  edit?.(json);
  const bytes = planBytesOf(json);
  writeFileSync(join(dir, 'plan.json'), bytes);
  return { dir, json, bytes, plan: parsePlan(bytes, { rehearsal: true }) };
}

/** Software rehearsal tokens whose generated keys are remembered (for secret scans). */
export async function recordingTokens(custodians: readonly string[]): Promise<{ provider: RehearsalTokenProvider; tokens: RehearsalToken[]; made: SigningKey[] }> {
  const tokens = await openRehearsalTokens({ custodians });
  const made: SigningKey[] = [];
  for (const t of tokens) {
    const generate = t.generateKey.bind(t);
    (t as { generateKey: RehearsalToken['generateKey'] }).generateKey = async (alg, label) => {
      const k = await generate(alg, label);
      made.push(k);
      return k;
    };
  }
  return { provider: new RehearsalTokenProvider(tokens), tokens, made };
}

/** The secret bytes of software keys (copies), for scanning. */
export function secretsOf(keys: readonly SigningKey[]): Uint8Array[] {
  return keys.filter((k): k is SoftwareKey => k instanceof SoftwareKey).map((k) => k.withSecret((s) => Uint8Array.from(s)));
}

/** Every file under `dir`, relative name → bytes. */
export function filesUnder(dir: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const walk = (sub: string, rel: string): void => {
    for (const name of readdirSync(sub)) {
      const full = join(sub, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(full).isDirectory()) walk(full, r);
      else out.set(r, new Uint8Array(readFileSync(full)));
    }
  };
  walk(dir, '');
  return out;
}
