import { CeremonyError } from '../errors.js';
import type { CertificateInfo } from '../profiles/profile.js';
import type { Metadata } from './metadata.js';
import type { Root } from './root.js';

const DAY = 24 * 60 * 60 * 1000;

/**
 * What Notary's client demands of root keys (notary `trustpinning/certs.go` ValidateRoot and
 * `tuf/utils/x509.go`, restated in FIELD-NOTES): every root key is an x509 key whose certificate is a
 * leaf (CA:FALSE), names the repository (CN = GUN, the same for all), is within its validity (notBefore
 * at most a day ahead, and notBefore not after notAfter), and is not signed with SHA-1. The PEM chain itself
 * (every block decodable, no bytes after a certificate) is checked where it is parsed, src/profiles/x509.ts.
 * A root Notary would refuse is refused here, before anyone installs it. `now` undefined leaves out the
 * validity-at-a-time checks only (status reports expired certificates rather than refusing them).
 */
export function checkNotaryRootCertificates(root: Metadata<Root>, now: Date | undefined, gun?: string): string {
  const role = root.signed.roles.get('root')!;
  const names = new Set<string>();
  role.keyids.forEach((id, i) => {
    const listed = root.signed.keys.get(id)!;
    const path = `${root.source} $.signed.keys.${id}`;
    const cert = listed.key.certificate;
    if (!cert) {
      throw new CeremonyError('KEY_TYPE_UNSUPPORTED', `Notary root keys must be x509 certificates; key ${i + 1} of the root role is ${listed.key.keytype}`, { path });
    }
    checkNotaryLeaf(cert, now, gun, path);
    names.add(cert.subjectCN);
  });
  if (names.size !== 1) {
    throw new CeremonyError('CERTIFICATE_INVALID', `root certificates name different repositories: ${[...names].join(', ')}`, { path: `${root.source} $.signed.roles.root` });
  }
  return [...names][0]!;
}

/**
 * One Notary root certificate as notary's client checks it (see checkNotaryRootCertificates): a leaf
 * (CA:FALSE), not SHA-1, a validity window that is not inverted, valid at `now` (notBefore at most a day
 * ahead), and CN = `gun` when given. CERTIFICATE_INVALID otherwise.
 */
export function checkNotaryLeaf(cert: CertificateInfo, now: Date | undefined, gun: string | undefined, path: string): void {
  if (cert.isCA) throw new CeremonyError('CERTIFICATE_INVALID', `root certificate "${cert.subjectCN}" is a CA certificate; Notary needs a leaf (CA:FALSE)`, { path });
  if (/sha-?1/i.test(cert.signatureHash)) throw new CeremonyError('CERTIFICATE_INVALID', `root certificate "${cert.subjectCN}" is signed with SHA-1`, { path });
  // notary ValidateCertificate: "certificate validity window is invalid".
  if (cert.notBefore.getTime() > cert.notAfter.getTime()) {
    throw new CeremonyError('CERTIFICATE_INVALID', `root certificate "${cert.subjectCN}" has an inverted validity window: not before ${cert.notBefore.toISOString()}, not after ${cert.notAfter.toISOString()}`, { path });
  }
  if (now && cert.notAfter.getTime() <= now.getTime()) {
    throw new CeremonyError('CERTIFICATE_INVALID', `root certificate "${cert.subjectCN}" expired at ${cert.notAfter.toISOString()}`, { path });
  }
  if (now && cert.notBefore.getTime() > now.getTime() + DAY) {
    throw new CeremonyError('CERTIFICATE_INVALID', `root certificate "${cert.subjectCN}" is not valid until ${cert.notBefore.toISOString()}`, { path });
  }
  if (gun !== undefined && cert.subjectCN !== gun) {
    throw new CeremonyError('CERTIFICATE_INVALID', `root certificate names "${cert.subjectCN}", not the repository "${gun}"`, { path });
  }
}
