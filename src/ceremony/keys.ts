/**
 * The ceremony's keys as metadata lists them, rebuilt from the public facts in the state (so building and
 * verifying need no token): TUF keys as securesystemslib writes them, Notary root keys as `ecdsa-x509`
 * with their certificate (root.json's role key IDs are the certificate IDs), Notary targets/snapshot keys
 * as bare `ecdsa`, server keys as the server serves them. And the signing key behind a planned key: found
 * again on its token by label and recorded fingerprint, or the rehearsal's software key.
 */
import { CeremonyError } from '../errors.js';
import { decodeBase64, toBase64 } from '../profiles/encoding.js';
import type { JsonObject } from '../json/types.js';
import type { PublicKey } from '../profiles/profile.js';
import { listPublicKey } from '../signers/public-key-json.js';
import type { SigningKey } from '../signers/signing-key.js';
import type { CeremonyContext } from './context.js';
import type { KeyRecord } from './state.js';
import { inState, statePathOf } from './state-where.js';

export interface CeremonyKeyListing {
  json: JsonObject;
  keyId: string;
  key: PublicKey;
}

export function spkiText(spki: Uint8Array): string {
  return toBase64(spki);
}

export function spkiOf(record: KeyRecord, name: string): Uint8Array {
  if (!record.spki) throw new CeremonyError('CEREMONY_STATE_INVALID', `the state records no public key for ${name}`, { path: `$.keys.${name}` });
  return decodeBase64(record.spki, `$.keys.${name}.spki`, 'CEREMONY_STATE_INVALID', 'a public key');
}

/** How root.json lists the planned key `name` (ready keys only). */
export async function listingOf(ctx: CeremonyContext, name: string): Promise<CeremonyKeyListing> {
  const record = ctx.state.keys[name];
  if (!record || record.status !== 'ready') throw new CeremonyError('INTERNAL', `key ${name} is not ready`);
  if (record.origin === 'server') {
    const s = await ctx.serverKey(record.role as 'snapshot' | 'timestamp');
    return { json: s.json, keyId: s.keyId, key: s.key };
  }
  const rootCert = ctx.plan.profile === 'notary' && record.role === 'root';
  if (rootCert && !record.certificate) throw new CeremonyError('CEREMONY_STATE_INVALID', `the Notary root key ${name} has no certificate recorded`, { path: inState(statePathOf(ctx), `$.keys.${name}`) });
  const memo = listings.get(record);
  if (
    memo &&
    memo.profile === ctx.plan.profile &&
    memo.spki === record.spki &&
    memo.certificate === (rootCert ? record.certificate : undefined) &&
    memo.listing.keyId === record.keyId &&
    memo.listing.key.fingerprint === record.fingerprint
  ) {
    return memo.listing;
  }
  const spki = spkiOf(record, name);
  const listed = listPublicKey(ctx.plan.profile, spki, rootCert ? { certificatePem: record.certificate! } : {});
  if (listed.key.fingerprint !== record.fingerprint || listed.keyId !== record.keyId) {
    throw new CeremonyError('CEREMONY_STATE_INVALID', `the public key recorded for ${name} does not match its recorded fingerprint or key ID`, { path: inState(statePathOf(ctx), `$.keys.${name}`) });
  }
  const listing: CeremonyKeyListing = { json: frozen(listed.json), keyId: listed.keyId, key: listed.key };
  listings.set(record, { profile: ctx.plan.profile, spki: record.spki, certificate: rootCert ? record.certificate : undefined, listing });
  return listing;
}

/**
 * Remember `listing` as how `record` lists (a listing just made for it by listPublicKey: a multi-repository
 * ceremony lists each repository's keys as it issues its certificates), so that listingOf does not list it
 * again. Kept only when it is that record's (same fingerprint and key ID), under the same conditions
 * listingOf checks before it reuses one.
 */
export function rememberListing(profile: string, record: KeyRecord, listing: { json: JsonObject; keyId: string; key: PublicKey }): void {
  if (listing.keyId !== record.keyId || listing.key.fingerprint !== record.fingerprint) return;
  const rootCert = profile === 'notary' && record.role === 'root';
  listings.set(record, { profile, spki: record.spki, certificate: rootCert ? record.certificate : undefined, listing: { json: frozen(listing.json), keyId: listing.keyId, key: listing.key } });
}

/**
 * Listings already made from a key record, by the record, with the facts they were made from: root.json is
 * built twice per ceremony and each signer listed again (issue #17: a thousand repositories listed each
 * key some fifteen times, each time parsing the certificate and hashing canonical JSON). A record whose
 * public key, certificate, fingerprint or key ID changed since is listed afresh.
 */
const listings = new WeakMap<KeyRecord, { profile: string; spki: string | undefined; certificate: string | undefined; listing: CeremonyKeyListing }>();

/** Shared between callers, so read-only: a caller that edits it gets a TypeError, not another's root.json. */
export function frozen(json: JsonObject): JsonObject {
  for (const v of Object.values(json)) if (v !== null && typeof v === 'object') Object.freeze(v);
  return Object.freeze(json);
}

/**
 * The key that signs for planned key `name`: a token key found again by label and fingerprint (cached for
 * the run), or a rehearsal software key, which exists only in this process.
 */
export async function signingKeyOf(ctx: CeremonyContext, name: string): Promise<SigningKey> {
  const cached = ctx.keys.get(name);
  if (cached) return cached;
  const record = ctx.state.keys[name];
  if (!record || record.status !== 'ready') throw new CeremonyError('INTERNAL', `key ${name} is not ready`);
  if (record.origin === 'software') {
    const key = ctx.softwareKeys.get(name);
    if (!key || key.fingerprint !== record.fingerprint) {
      throw new CeremonyError(
        'CEREMONY_CANNOT_RESUME',
        `the rehearsal's software key ${name} was never kept (nothing secret is written down), so this interrupted rehearsal cannot continue; start a new rehearsal in a new folder`,
      );
    }
    return key;
  }
  if (record.origin !== 'token' || !record.custodian || !record.label) throw new CeremonyError('INTERNAL', `key ${name} does not sign at this ceremony`);
  const token = await ctx.token(record.custodian);
  const key = await token.findKey(record.label, record.fingerprint);
  ctx.keys.set(name, key);
  return key;
}
