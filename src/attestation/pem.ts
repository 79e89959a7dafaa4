/**
 * Certificates as people hand them over: PEM (`yubico-piv-tool -a attest`, `ykman piv keys attest`) or DER
 * (what ykcs11's CKA_VALUE holds). Only CERTIFICATE blocks and whitespace are accepted in PEM.
 */
import { CeremonyError } from '../errors.js';

const PEM_CERT = /-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n-----END CERTIFICATE-----\r?\n?/g;

export function certificatesFromBytes(bytes: Uint8Array, path: string): Uint8Array[] {
  if (bytes[0] === 0x30) return [bytes];
  const text = Buffer.from(bytes).toString('utf8');
  const out: Uint8Array[] = [];
  const rest = text.replace(PEM_CERT, (_all, body: string) => {
    out.push(new Uint8Array(Buffer.from(body.replace(/\r?\n/g, ''), 'base64')));
    return '';
  });
  if (out.length === 0 || rest.trim() !== '') {
    throw new CeremonyError('ATTESTATION_MALFORMED', 'expected a DER certificate or PEM "CERTIFICATE" blocks and nothing else', { path });
  }
  return out;
}

export function pemOfCertificate(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.endsWith('\n') ? b64 : `${b64}\n`}-----END CERTIFICATE-----\n`;
}
