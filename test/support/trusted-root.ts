/**
 * Sigstore `trusted_root.json` documents for tests (the TrustedRoot message of sigstore/protobuf-specs,
 * `application/vnd.dev.sigstore.trustedroot+json;version=0.1`), with fresh P-256 keys for the Rekor and CT
 * logs and a placeholder DER blob for each Fulcio certificate: well-formed enough for
 * `@sigstore/tuf`'s getTrustedRoot (TrustedRoot.fromJSON) and for our review of a change.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';

export interface LogSpec {
  baseUrl: string;
  start: string;
  end?: string;
}

export interface CaSpec {
  uri: string;
  organization: string;
  commonName: string;
  start: string;
  end?: string;
}

function logEntry(spec: LogSpec): Record<string, unknown> {
  const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
  return {
    baseUrl: spec.baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: spki.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: spec.start, ...(spec.end ? { end: spec.end } : {}) } },
    logId: { keyId: createHash('sha256').update(spki).digest('base64') },
  };
}

export function trustedRootJson(spec: { fulcio: CaSpec[]; rekor: LogSpec[]; ctlogs: LogSpec[] }): Record<string, unknown> {
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: spec.rekor.map(logEntry),
    certificateAuthorities: spec.fulcio.map((ca) => ({
      subject: { organization: ca.organization, commonName: ca.commonName },
      uri: ca.uri,
      certChain: { certificates: [{ rawBytes: randomBytes(64).toString('base64') }] },
      validFor: { start: ca.start, ...(ca.end ? { end: ca.end } : {}) },
    })),
    ctlogs: spec.ctlogs.map(logEntry),
    timestampAuthorities: [],
  };
}

/** A copy with new entries for what `change` edits (keys of unchanged entries kept). */
export const bytesOf = (doc: unknown): Uint8Array => new TextEncoder().encode(`${JSON.stringify(doc, null, 2)}\n`);
