/**
 * `tuf-ceremony attestation verify ATTESTATION_CERT F9_CERT [--json] [--attestation-roots PEM]`: checks a
 * YubiKey PIV attestation given as two files (PEM or DER) against Yubico's bundled roots (src/attestation)
 * and prints what it attests: serial, firmware, slot, form factor, PIN and touch policy, the attested key's
 * SHA-256 (of its SubjectPublicKeyInfo) and the chain.
 *
 * `--attestation-roots PEM` replaces the bundled Yubico roots with the certificates in the file (self-issued
 * ones are roots, the others intermediates): for tests and private PKIs only — the output then says the
 * root is NOT a Yubico root. `--expect-key PEM` also requires the attested key to be that public key.
 *
 * Exit 0 verified; 1 refused (ATTESTATION_MALFORMED, ATTESTATION_CHAIN_BROKEN, ATTESTATION_UNKNOWN_ROOT,
 * ATTESTATION_KEY_MISMATCH, INPUT_TOO_LARGE); 2 usage. `--json`: `{ "ok": true, "attestation": { "slot",
 * "serial", "firmware", "formFactor", "fips", "pinPolicy", "touchPolicy", "attestedKeySha256",
 * "attestedKeyPem", "chain": [subjects, attestation first], "root": { "subject", "sha256", "bundled" },
 * "expectedFamily": "legacy"|"current" }, "summary": sentence }`.
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { certificatesFromBytes } from '../attestation/pem.js';
import { ATTESTATION_CERT_MAX_BYTES, describeAttestation, verifyYubicoAttestation } from '../attestation/verify.js';
import { readAttestationRoots } from './attestation-options.js';
import { spkiFromPem } from '../crypto/public-key.js';
import { CeremonyError } from '../errors.js';
import { readFileCapped } from '../io/files.js';
import { reportError, type Io } from './output.js';

export interface AttestationVerifyOptions {
  json?: boolean;
  attestationRoots?: string;
  expectKey?: string;
}

async function oneCertificate(path: string): Promise<Uint8Array> {
  const certs = certificatesFromBytes(await readFileCapped(path, ATTESTATION_CERT_MAX_BYTES), basename(path));
  if (certs.length !== 1) throw new CeremonyError('ATTESTATION_MALFORMED', `expected one certificate, found ${certs.length}`, { path: basename(path) });
  return certs[0]!;
}

export async function attestationVerifyCommand(attestationPath: string, f9Path: string, opts: AttestationVerifyOptions, io: Io): Promise<number> {
  const json = Boolean(opts.json);
  try {
    const attestation = await oneCertificate(attestationPath);
    const device = await oneCertificate(f9Path);
    const trust = opts.attestationRoots ? await readAttestationRoots(opts.attestationRoots) : undefined;
    const expectedSpki = opts.expectKey ? spkiFromPem(Buffer.from(await readFileCapped(opts.expectKey, 16 * 1024)).toString('utf8'), basename(opts.expectKey)) : undefined;
    const result = verifyYubicoAttestation(attestation, device, {
      ...(trust ? { trust } : {}),
      ...(expectedSpki ? { expectedSpki } : {}),
      paths: { attestation: basename(attestationPath), device: basename(f9Path) },
    });
    const summary = describeAttestation(result);
    if (json) io.out(JSON.stringify({ ok: true, attestation: result, summary }, null, 2));
    else io.out(summary);
    return 0;
  } catch (err) {
    return reportError(io, err, json);
  }
}

export function registerAttestationCommands(program: Command, io: Io, setStatus: (s: number) => void): void {
  const attestation = program.command('attestation').description('YubiKey PIV attestation: proof that a key was generated on a YubiKey');
  attestation
    .command('verify')
    .description('verify an attestation certificate and its f9 certificate against the bundled Yubico roots, and print what they attest')
    .argument('<ATTESTATION_CERT>', 'the slot attestation certificate (yubico-piv-tool -a attest), PEM or DER')
    .argument('<F9_CERT>', "the YubiKey's attestation (slot f9) certificate, PEM or DER")
    .option('--attestation-roots <PEM>', 'trust these CA certificates instead of the bundled Yubico roots (tests and private PKIs only)')
    .option('--expect-key <PEM>', 'also require the attested key to be this public key')
    .option('--json', 'machine-readable result (documented in the README)')
    .action(async (att: string, f9: string, opts: AttestationVerifyOptions) => {
      setStatus(await attestationVerifyCommand(att, f9, opts, io));
    });
}
