/**
 * Notary root certificates in a root rotation (issue #14). A Notary root key is listed as an X.509
 * certificate (`ecdsa-x509`), and notary's client refuses a root whose certificates have expired even while
 * root.json's own `expires` is far away. Renewing a certificate keeps the key: the custodian's token
 * issues a fresh self-signed certificate for the same key (`tuf-ceremony tokens export --profile notary
 * --gun GUN --cert-days N`), and root N+1 lists it under the new certificate's key ID (a rotation plan's
 * `root.replace` with that file; sign.ts signs under both IDs, and thresholds count the key once).
 *
 * Here: the words the review uses for it ("Alice's certificate renewed to …; same key"), and a warning when
 * the new root outlives one of its certificates — renewing the root's expiry alone does not renew them.
 */
import type { ListedKey } from '../tuf/keys.js';
import type { Root } from '../tuf/root.js';
import { expiryShown } from './expiry-shown.js';

const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface CertificateRenewal {
  /** Who holds the key (a custodian's name, or `key <id>…`). */
  name: string;
  from: string;
  to: string;
}

/** Both listings carry certificates of one key: the dates the review shows. */
export function certificateRenewal(before: ListedKey, after: ListedKey, name: string | undefined): CertificateRenewal | undefined {
  const a = before.key.certificate;
  const b = after.key.certificate;
  if (!a || !b || before.key.fingerprint !== after.key.fingerprint) return undefined;
  return { name: name ?? `key ${before.keyId.slice(0, 12)}…`, from: isoSeconds(a.notAfter), to: isoSeconds(b.notAfter) };
}

export function certificateRenewalSentence(role: string, c: CertificateRenewal, newKeyid: string): string {
  return `${role}: ${c.name}'s certificate renewed to ${c.to}; same key (the certificate was valid until ${c.from}; now listed under its new key ID ${newKeyid.slice(0, 12)}…)`;
}

/** Root keys of `next` whose certificate ends before `next` expires: clients refuse the root from that day. */
export function certificateWarnings(next: Root, nameOf: (k: ListedKey) => string | undefined): string[] {
  const out: string[] = [];
  for (const id of next.roles.get('root')!.keyids) {
    const k = next.keys.get(id);
    const cert = k?.key.certificate;
    if (!k || !cert || cert.notAfter.getTime() >= next.expires.getTime()) continue;
    const name = nameOf(k) ?? `key ${id.slice(0, 12)}…`;
    out.push(
      `WARNING: ${name}'s root certificate ends ${isoSeconds(cert.notAfter)}, before this root expires (${expiryShown(next.expiresText)}): from that day notary clients refuse the root; renew the certificate (same key: tokens export --profile notary --gun GUN) in this or a later rotation`,
    );
  }
  return out;
}
