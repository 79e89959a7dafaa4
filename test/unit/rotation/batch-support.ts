/**
 * Batch fixtures: many repositories that share the custodians' root keys (one SoftwareKey per custodian;
 * Notary: one certificate per GUN from that key, CN = the GUN), each at root v1 signed 2-of-3, and the
 * rotation "replace Carol by Dave" (or by someone else, for exceptions) as a single request per repository.
 */
import type { ProfileName } from '../../../src/profiles/profile.js';
import { buildRotationPayload, buildSigningRequest, type SigningRequest } from '../../../src/rotation/index.js';
import { makeNotaryRootCertificate } from '../../../src/signers/certificate.js';
import { listPublicKey } from '../../../src/signers/public-key-json.js';
import { SoftwareKey } from '../../../src/signers/software.js';
import { EXPIRES_V2, rootFixture, type Custodian } from './support.js';

const YEAR = 365 * 24 * 3600 * 1000;

export type People = Record<'Alice' | 'Bob' | 'Carol' | 'Dave' | 'Erin', SoftwareKey>;

export function people(profile: ProfileName): People {
  const alg = profile === 'notary' ? 'ecdsa-p256' : 'ed25519';
  const make = (name: string): SoftwareKey => SoftwareKey.generate(alg, { label: `${name}'s key` });
  return { Alice: make('Alice'), Bob: make('Bob'), Carol: make('Carol'), Dave: make('Dave'), Erin: make('Erin') };
}

/** One custodian's key as repository `gun` lists it. */
export async function custodianFor(profile: ProfileName, name: string, key: SoftwareKey, gun: string): Promise<Custodian> {
  if (profile === 'notary') {
    const cert = await makeNotaryRootCertificate(key, { gun, notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 10 * YEAR) });
    return { name, key, listed: cert.listed };
  }
  return { name, key, listed: listPublicKey(profile, key.spki) };
}

/** Repositories `names`, each rotating Carol out for `replacement(name)` (Dave by default). */
export async function batchRequests(profile: ProfileName, names: readonly string[], who: People, replacement: (repo: string) => 'Dave' | 'Erin' = () => 'Dave'): Promise<SigningRequest[]> {
  const out: SigningRequest[] = [];
  for (const repo of names) {
    const custodians = await Promise.all((['Alice', 'Bob', 'Carol'] as const).map((n) => custodianFor(profile, n, who[n], repo)));
    const fx = await rootFixture(profile, custodians);
    const byName = replacement(repo);
    const next = await custodianFor(profile, byName, who[byName], repo);
    const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: custodians[2]!.listed.keyId, new: { json: next.listed.json, name: byName }, reason: 'retired' }] } }, { names: fx.names });
    out.push(buildSigningRequest(payload, { repository: repo }));
  }
  return out;
}
