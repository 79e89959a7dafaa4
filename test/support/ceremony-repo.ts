/**
 * A TUF repository made by the root ceremony (the `run` machine on software rehearsal tokens, the rehearsal
 * plan with consistent snapshots), kept open for what comes after: the custodians' tokens (root keys,
 * Alice's targets key) for a rotation and targets changes, and the snapshot and timestamp keys — rehearsal
 * software keys, kept in memory — written out as PKCS#8 PEM files for `tuf-ceremony refresh --*-key-file`
 * (the online-machine path). Tests only: a real ceremony keeps no private key on disk.
 */
import { readOut } from './ceremony-out.js';
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePlan, type CeremonyPlan } from '../../src/ceremony/plan.js';
import { rehearsalPlan } from '../../src/ceremony/rehearsal-plan.js';
import { runCeremony } from '../../src/ceremony/machine.js';
import { RehearsalTokenProvider } from '../../src/ceremony/tokens.js';
import type { JsonObject } from '../../src/json/types.js';
import { metadataSigner } from '../../src/signers/metadata-signer.js';
import { openRehearsalTokens, type RehearsalToken } from '../../src/signers/rehearsal.js';
import type { SigningKey } from '../../src/signers/signing-key.js';
import { SoftwareKey } from '../../src/signers/software.js';
import { DEFAULT_CAPS } from '../../src/tuf/caps.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import type { RepositoryFiles } from '../../src/tuf/repository.js';
import { serializeMetadata, signMetadata, type MetadataSigner } from '../../src/tuf/sign.js';

export interface CeremonyRepo {
  dir: string;
  plan: CeremonyPlan;
  rootV1: Uint8Array;
  /** Root v1, targets, snapshot and timestamp v1 as the ceremony wrote them. */
  files: RepositoryFiles;
  tokens: RehearsalToken[];
  /** The snapshot and timestamp private keys as PKCS#8 PEM files (tests only). */
  snapshotKeyFile: string;
  timestampKeyFile: string;
  /** Sign a targets payload with the ceremony's targets key (Alice's token), listed as `root` lists it. */
  signTargets(root: Uint8Array, signed: JsonObject): Promise<Uint8Array>;
  close(): Promise<void>;
}

function pemOfSoftwareKey(key: SigningKey): string {
  if (!(key instanceof SoftwareKey) || key.algorithm !== 'ed25519') throw new Error('expected an Ed25519 rehearsal software key');
  const x = Buffer.from(key.spki.subarray(key.spki.length - 32)).toString('base64url');
  return key.withSecret((d) => createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(d).toString('base64url'), x }, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }).toString());
}

export async function ceremonyRepo(dir: string, now: Date, repository = 'example.com/app'): Promise<CeremonyRepo> {
  mkdirSync(dir, { recursive: true });
  const json = rehearsalPlan({ profile: 'tuf', repository, now }) as JsonObject;
  json.consistentSnapshot = true;
  const planBytes = new TextEncoder().encode(JSON.stringify(json, null, 2));
  writeFileSync(join(dir, 'plan.json'), planBytes);
  const plan = parsePlan(planBytes, { rehearsal: true });
  const tokens = await openRehearsalTokens({ custodians: ['Alice', 'Bob', 'Carol'] });
  const provider = new RehearsalTokenProvider(tokens);
  const softwareKeys = new Map<string, SigningKey>();
  const outDir = join(dir, 'out');
  await runCeremony({ planBytes, plan, planName: 'plan.json', planDir: dir, outDir, tokens: provider, resume: false, softwareKeys, now: () => now });
  const read = (name: string): Uint8Array => readOut(outDir, name);
  const rootV1 = read('1.root.json');
  const files: RepositoryFiles = { versionedRoots: new Map([[1, rootV1]]), targets: read('targets.json'), snapshot: read('snapshot.json'), timestamp: read('timestamp.json'), delegated: new Map() };
  const snapshotKeyFile = join(dir, 'snapshot-key.pem');
  const timestampKeyFile = join(dir, 'timestamp-key.pem');
  writeFileSync(snapshotKeyFile, pemOfSoftwareKey(softwareKeys.get('snapshot')!), { mode: 0o600 });
  writeFileSync(timestampKeyFile, pemOfSoftwareKey(softwareKeys.get('timestamp')!), { mode: 0o600 });
  const targetsSource = plan.targets.key;
  if (targetsSource.kind !== 'token') throw new Error('the rehearsal plan keeps the targets key on a token');
  return {
    dir,
    plan,
    rootV1,
    files,
    tokens,
    snapshotKeyFile,
    timestampKeyFile,
    async signTargets(root, signed) {
      const token = tokens.find((t) => t.custodian === targetsSource.custodian)!;
      const key = await token.findKey(targetsSource.keyLabel);
      const md = parseMetadata(root, 'root', { maxBytes: DEFAULT_CAPS.root, source: 'root.json' });
      const id = md.signed.roles.get('targets')!.keyids.find((k) => md.signed.keys.get(k)!.key.fingerprint === key.fingerprint)!;
      const listed = md.signed.keys.get(id)!;
      const signer: MetadataSigner = metadataSigner(key, { profile: 'tuf', json: listed.json, keyId: listed.keyId, key: listed.key });
      return serializeMetadata('tuf', await signMetadata('tuf', signed, [signer]));
    },
    async close() {
      for (const k of softwareKeys.values()) (k as SoftwareKey).dispose?.();
      await provider.close();
    },
  };
}
