/**
 * The attestation flags `verify`, `import`, `inspect` share (issue #13; what they mean: attestation-options.ts).
 * Their own module, without the X.509 stack, so that `verify` and `inspect` register them without loading
 * what checks them (issue #18: lazy command modules).
 */
export interface AttestationFlags {
  attestationRoots?: string;
  requireAttestation?: boolean;
  pinPolicy?: string;
  touchPolicy?: string;
  plan?: string;
}

/** Adds the attestation flags to a command (`--plan` too unless `plan: false`). */
export function withAttestationFlags<C extends { option(flags: string, description: string): C }>(cmd: C, opts: { plan?: boolean } = {}): C {
  cmd
    .option('--attestation-roots <PEM>', 'trust these CA certificates for YubiKey attestations instead of the bundled Yubico roots (tests and private PKIs only)')
    .option('--require-attestation', 'refuse unless every root key comes with a valid YubiKey attestation (attestations.json)')
    .option('--pin-policy <LIST>', 'PIN policies an attested key may have, comma-separated: default, never, once, always, match-once, match-always')
    .option('--touch-policy <LIST>', 'touch policies an attested key may have, comma-separated: default, never, always, cached');
  if (opts.plan !== false) cmd.option('--plan <PLAN>', 'take the attestation requirement from this reviewed plan');
  return cmd;
}

/**
 * Whether any attestation flag was given: without one, and without an attestations.json in the input,
 * there is nothing to check (no requirement, no trust to read), so `verify` need not load the checker.
 */
export function anyAttestationFlag(flags: AttestationFlags): boolean {
  return flags.attestationRoots !== undefined || Boolean(flags.requireAttestation) || flags.pinPolicy !== undefined || flags.touchPolicy !== undefined || flags.plan !== undefined;
}
