/**
 * Keys on tokens, for scripted and rehearsed use — the same core as the app's Tokens screen
 * (src/signers/token-keys.ts: the chosen token is checked to be the expected one before any PIN is asked):
 *
 *   tuf-ceremony tokens generate --module PATH|PRESET [--module-params STRING] (--token SERIAL | --token-label LABEL | both)
 *       --algorithm ecdsa-p256|ecdsa-p384|ed25519|rsa-3072 --label KEYLABEL [--id HEX] [--pin-env VAR] [--json]
 *       YubiKey: --piv-slot SLOT [--allow-slot 9a|f9]… [--management-key-env VAR] [--attestation-roots PEM]
 *
 *   tuf-ceremony tokens export --module PATH|PRESET [--module-params STRING] (--token SERIAL | --token-label LABEL | both) --label KEYLABEL
 *       [--profile tuf|notary] [--gun GUN [--cert-days N]] [--out FILE] [--pin-env VAR] [--json]
 *
 * `generate` makes a key pair ON the token (sensitive, non-extractable, checked in software by signing a
 * test message) and prints its fingerprint — SHA-256 of the public key, in hex groups and as PGP words to
 * read aloud (src/crypto/digest-words.ts) — its TUF key ID and its Notary key ID (the bare `ecdsa` key; a
 * root key listed as `ecdsa-x509` takes the ID of its certificate: see `export --gun`).
 *
 * `export` writes the PUBLIC key as the profile lists it in root.json's `keys`: the TUF 1.0 key object
 * (default profile), the Notary key object (`ecdsa`, `ed25519` or `rsa`), or with --gun (Notary root keys,
 * ECDSA only) the `ecdsa-x509` key with a fresh self-signed certificate whose CN is the GUN, valid from 5
 * minutes ago until N days from now (default 3650), signed by the key on the token (SHA-256 for P-256,
 * SHA-384 for P-384). Without --gun no PIN is needed.
 * With --out FILE the key JSON is written there atomically and never over an existing file (OUTPUT_EXISTS,
 * checked before the token is touched); without --out it is printed on stdout (the summary then goes to
 * stderr).
 *
 * PIN (generate, and export --gun): from the environment variable --pin-env names; without --pin-env it is
 * asked on the terminal without echo once the token was found and checked (stdin must be a terminal, else
 * USAGE). It is never echoed, printed or put in a message (not even the --pin-env value is repeated, in
 * case a PIN was typed there by mistake); its bytes are zeroed after the login. Keys that need the PIN
 * before every signature (YubiKey slot 9c) are asked again for the certificate's signature.
 *
 * Exit status: 0 done; 1 refused (e.g. KEY_TYPE_UNSUPPORTED: a certificate for a non-ECDSA key); 2 usage
 * (USAGE, OUTPUT_EXISTS); 3 token or module (TOKEN_*, PIN_*, KEY_LABEL_EXISTS, KEY_ID_EXISTS,
 * MECHANISM_UNSUPPORTED). Failures print `error[CODE]: message` first on stderr; with --json also
 * `{ "ok": false, "error": { "code", "message" } }` on stdout.
 *
 * On a YubiKey (ykcs11) `generate` needs --piv-slot (USAGE otherwise, before any PIN): the key goes into
 * that PIV slot (9a and f9 only with --allow-slot), the management key comes from --management-key-env or a
 * no-echo prompt and logs in as SO, and the slot's attestation is verified (src/signers/pkcs11/piv.ts);
 * the JSON then carries `"attestation": { "verified": <attestation verify's object>, "attestationPem",
 * "devicePem" }` and the text output one "attestation: key … was generated on YubiKey serial …" line.
 *
 * `generate --json` prints (exit 0):
 *
 * ```json
 * {
 *   "ok": true,
 *   "module": "/usr/lib/softhsm/libsofthsm2.so",
 *   "token": { "label": "custodian-1", "serial": "1d4b57454391b8d3" },
 *   "label": "root-1", "id": "0f3c…(CKA_ID hex)", "algorithm": "ecdsa-p256",
 *   "fingerprint": { "sha256": "…64 hex…", "hex": "…first 8 bytes, 16 hex…", "words": ["…", "… 8 PGP words"] },
 *   "keyIds": { "tuf": "…64 hex…", "notary": "…64 hex…" },
 *   "publicKeyPem": "-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----\n",
 *   "rehearsal": true,
 *   "software": "SoftHSM2",
 *   "generation": {
 *     "template": "full",
 *     "readBack": { "sensitive": true, "extractable": false, "sign": true, "decrypt": false, "unwrap": false, "derive": false, "alwaysSensitive": true, "neverExtractable": true },
 *     "proof": { "value": "refused (CKR_ATTRIBUTE_SENSITIVE)", "wrap": "refused (CKR_KEY_UNEXTRACTABLE)" }
 *   },
 *   "selfTest": "verified"
 * }
 * ```
 *
 * `software` names the software model of the token (SoftHSM2, swtpm (software TPM), NSS softokn,
 * opencryptoki soft token) or is null; `generation.template` is `full`, or `minimal` when the module refused
 * an attribute of the full template (`fullRefused` then names the CKR_) or is known to (`fullSkipped`:
 * tpm2-pkcs11); `readBack` values are null for attributes the token does not have. `algorithm` is `ecdsa-p256`, `ecdsa-p384`, `ed25519` or `rsa-pss-sha256` (what `rsa-3072` makes);
 * `rehearsal` is true for SoftHSM2 tokens; `selfTest` is `skipped-pin-per-signature` for keys that need
 * the PIN before every signature.
 *
 * `export --json` prints (exit 0):
 *
 * ```json
 * {
 *   "ok": true,
 *   "module": "/usr/lib/softhsm/libsofthsm2.so",
 *   "token": { "label": "custodian-1", "serial": "1d4b57454391b8d3" },
 *   "label": "root-1", "id": "0f3c…", "algorithm": "ecdsa-p256",
 *   "fingerprint": { "sha256": "…", "hex": "…", "words": ["…"] },
 *   "profile": "notary",
 *   "keytype": "ecdsa-x509",
 *   "keyId": "…the key ID of `key` under the profile…",
 *   "keyIds": { "tuf": "…", "notary": "…(bare key)…" },
 *   "key": { "keytype": "ecdsa-x509", "keyval": { "private": null, "public": "…base64 of the certificate PEM…" } },
 *   "certificate": { "pem": "-----BEGIN CERTIFICATE-----\n…", "sha256": "…of the DER…", "subject": "CN=registry.example.com/org/app",
 *                    "notBefore": "2025-01-01T11:55:00.000Z", "notAfter": "2035-01-01T12:00:00.000Z" },
 *   "out": "/abs/path/root-1.notary.json",
 *   "rehearsal": true
 * }
 * ```
 *
 * `certificate` is null without --gun, `out` null without --out. `key` is exactly what was written.
 */
import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import { certificatesFromBytes } from '../attestation/pem.js';
import { describeAttestation } from '../attestation/verify.js';
import { trustFromCertificates, type AttestationTrust } from '../attestation/yubico-pki.js';
import type { Command } from 'commander';
import { CeremonyError } from '../errors.js';
import { groupHex, groupWords } from '../crypto/digest-words.js';
import { assertAbsent, readFileCapped, writeFileAtomic } from '../io/files.js';
import type { KeyAlgorithm, ProfileName } from '../profiles/profile.js';
import { describeToken } from '../signers/pkcs11/errors.js';
import { asksAgain } from '../signers/pkcs11/pin-retry.js';
import { generationText, TokenModule } from '../signers/pkcs11/token.js';
import { algorithmTitle } from '../signers/signing-key.js';
import { chosenToken, exportTokenKey, generateTokenKey, resolveModule, type PinSource, type TokenModuleDeps, type YubiKeyKeyOptions } from '../signers/token-keys.js';
import { reportError, type Io } from './output.js';
import { promptPinHidden } from './pin-prompt.js';
import type { TokensDeps } from './tokens.js';

export interface TokenGenerateOptions {
  module: string;
  moduleParams?: string;
  token?: string;
  tokenLabel?: string;
  algorithm: string;
  label: string;
  id?: string;
  pinEnv?: string;
  json?: boolean;
  /** YubiKey: the PIV slot, the guarded slots allowed, where the management key comes from, test roots. */
  pivSlot?: string;
  allowSlot?: string[];
  managementKeyEnv?: string;
  attestationRoots?: string;
}

export interface TokenExportOptions {
  module: string;
  moduleParams?: string;
  token?: string;
  tokenLabel?: string;
  label: string;
  profile?: string;
  gun?: string;
  certDays?: string;
  out?: string;
  pinEnv?: string;
  json?: boolean;
}

/** What the key commands need from outside, beyond the listing's module loader; tests inject all of it. */
export interface TokenKeysDeps extends TokensDeps {
  env: Record<string, string | undefined>;
  /** Whether a PIN can be asked: stdin is a terminal. */
  interactive: boolean;
  /** Ask a PIN without echo; the bytes are zeroed after the login. */
  promptPin(question: string): Promise<Uint8Array>;
  now(): Date;
}

export const defaultTokenKeysDeps: Omit<TokenKeysDeps, keyof TokensDeps> = {
  env: process.env,
  interactive: Boolean(process.stdin.isTTY),
  promptPin: (question) => promptPinHidden(question),
  now: () => new Date(),
};

/** What `--algorithm` accepts: the key types of `tuf-ceremony tokens --json`, and `rsa-3072` for RSA-PSS. */
const ALGORITHMS: Record<string, { algorithm: KeyAlgorithm; rsaBits?: number }> = {
  'ecdsa-p256': { algorithm: 'ecdsa-p256' },
  'ecdsa-p384': { algorithm: 'ecdsa-p384' },
  ed25519: { algorithm: 'ed25519' },
  'rsa-3072': { algorithm: 'rsa-pss-sha256', rsaBits: 3072 },
  'rsa-pss-sha256': { algorithm: 'rsa-pss-sha256', rsaBits: 3072 },
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const encoder = new TextEncoder();

/**
 * Where the PIN comes from, checked before anything is loaded (no command stops half-way for want of a
 * variable): the variable --pin-env names (it must be set now; it is read again at the moment of use), or
 * the terminal. The --pin-env value itself is never repeated in a message.
 */
function pinSource(pinEnv: string | undefined, deps: TokenKeysDeps): PinSource {
  if (pinEnv !== undefined) {
    if (!ENV_NAME.test(pinEnv)) {
      throw new CeremonyError('USAGE', '--pin-env takes the NAME of an environment variable that holds the PIN (letters, digits and _, not starting with a digit), not the PIN itself');
    }
    const read = (): Uint8Array => {
      const value = deps.env[pinEnv];
      if (value === undefined || value === '') throw new CeremonyError('USAGE', 'the environment variable --pin-env names is not set (or is empty); export it, or leave out --pin-env to be asked on the terminal');
      return encoder.encode(value);
    };
    read().fill(0);
    return async () => read();
  }
  if (!deps.interactive) {
    throw new CeremonyError('USAGE', 'a PIN is needed and there is no terminal to ask it on: pass --pin-env VAR, naming an environment variable that holds it');
  }
  // Asked again after a wrong PIN, saying why and what the token says of the tries left (pin-retry.ts).
  return asksAgain((token, retry) => {
    return deps.promptPin(`${retry ? `${retry.message}\n` : ''}PIN for ${describeToken(token)}, ${token.manufacturer} ${token.model} (not shown as you type): `);
  });
}

/** The module deps for one command; modules this command loaded are finalised after it (others stay up). */
function commandModules(deps: TokenKeysDeps): { deps: TokenModuleDeps; finalize(): Promise<void> } {
  const loadedHere: TokenModule[] = [];
  return {
    deps: {
      modules: {
        load: async (path, opts) => {
          const wasLoaded = TokenModule.isLoaded(path);
          const mod = await deps.load(path, opts);
          if (!wasLoaded) loadedHere.push(mod);
          return mod;
        },
      },
      moduleExists: deps.exists,
      platform: deps.platform,
    },
    finalize: async () => {
      for (const mod of loadedHere.splice(0)) await mod.finalize().catch(() => undefined);
    },
  };
}

function required(value: string | undefined, option: string): string {
  if (value === undefined || value === '') throw new CeremonyError('USAGE', `${option} is required`);
  return value;
}

function fingerprintLines(fp: { sha256: string; hex: string; words: string[] }): string[] {
  return [`  fingerprint (SHA-256 of the public key): ${groupHex(fp.hex)}`, `    read aloud: ${groupWords(fp.words)}`, `    full SHA-256: ${groupHex(fp.sha256)}`];
}

const REHEARSAL_MARK = ' — REHEARSAL key (SoftHSM2 software token), never for a real repository';

function softwareMark(model: string): string {
  return ` — SOFTWARE TOKEN (${model}): its keys are kept in files on this computer; for rehearsals only`;
}

export async function tokenGenerateCommand(opts: TokenGenerateOptions, io: Io, deps: TokenKeysDeps): Promise<number> {
  const json = Boolean(opts.json);
  const modules = commandModules(deps);
  try {
    const module = required(opts.module, '--module');
    const token = chosenToken(opts.token, opts.tokenLabel);
    const label = required(opts.label, '--label');
    const alg = ALGORITHMS[required(opts.algorithm, '--algorithm')];
    if (!alg) throw new CeremonyError('USAGE', `--algorithm is one of: ecdsa-p256, ecdsa-p384, ed25519, rsa-3072 (not ${JSON.stringify(opts.algorithm)})`);
    const path = resolveModule(module, modules.deps).path;
    const pin = pinSource(opts.pinEnv, deps);
    const piv = opts.pivSlot === undefined ? undefined : await yubiKeyOptions(opts, deps, io);
    const made = await generateTokenKey(
      { module, moduleParams: opts.moduleParams, token, algorithm: alg.algorithm, rsaBits: alg.rsaBits, label, id: opts.id?.toLowerCase(), pin, piv },
      modules.deps,
    );
    if (json) {
      io.out(JSON.stringify({ ok: true, module: path, ...made }, null, 2));
    } else {
      io.out(`generated ${algorithmTitle(made.algorithm)} key "${made.label}" on ${describeToken(made.token)}${made.rehearsal ? REHEARSAL_MARK : made.software ? softwareMark(made.software) : ''}`);
      for (const line of fingerprintLines(made.fingerprint)) io.out(line);
      io.out(`  TUF key ID:    ${made.keyIds.tuf}`);
      io.out(`  Notary key ID: ${made.keyIds.notary} (as the bare key; a root key listed as ecdsa-x509 takes its certificate's ID: tokens export --profile notary --gun GUN)`);
      if (made.generation) io.out(`  ${generationText(made.generation)}`);
      if (made.attestation) io.out(`  attestation: ${describeAttestation(made.attestation.verified)}`);
      io.out(`  CKA_ID: ${made.id}; ${made.selfTest === 'verified' ? 'a test signature made on the token verified with its public key' : 'no test signature (the key needs the PIN before every signature)'}`);
    }
    return 0;
  } catch (err) {
    return reportError(io, err, json);
  } finally {
    await modules.finalize();
  }
}

/**
 * YubiKey options of `tokens generate`: the management key from the environment variable
 * --management-key-env names, or asked without echo; never printed (not even the variable's value is
 * repeated). The default-key warning goes to stderr.
 */
async function yubiKeyOptions(opts: TokenGenerateOptions, deps: TokenKeysDeps, io: Io): Promise<YubiKeyKeyOptions> {
  let managementKey: PinSource;
  if (opts.managementKeyEnv !== undefined) {
    const name = opts.managementKeyEnv;
    if (!ENV_NAME.test(name)) throw new CeremonyError('USAGE', '--management-key-env takes the NAME of an environment variable that holds the management key, not the key itself');
    managementKey = async () => {
      const value = deps.env[name];
      if (value === undefined || value === '') throw new CeremonyError('USAGE', 'the environment variable --management-key-env names is not set (or is empty)');
      return encoder.encode(value);
    };
  } else {
    if (!deps.interactive) throw new CeremonyError('USAGE', 'the YubiKey management key is needed and there is no terminal to ask it on: pass --management-key-env VAR');
    managementKey = (token) => deps.promptPin(`PIV management key for ${describeToken(token)} (48 hex digits, not shown as you type): `);
  }
  let attestationTrust: AttestationTrust | undefined;
  if (opts.attestationRoots !== undefined) {
    const ders = certificatesFromBytes(await readFileCapped(opts.attestationRoots, 1024 * 1024), opts.attestationRoots);
    attestationTrust = trustFromCertificates(ders.map((d) => new X509Certificate(d)));
  }
  return { slot: opts.pivSlot ?? '', allowSlots: opts.allowSlot ?? [], managementKey, attestationTrust, warn: (m) => io.err(m) };
}

function profileOf(opts: TokenExportOptions): ProfileName {
  if (opts.profile === undefined) return opts.gun !== undefined ? 'notary' : 'tuf';
  if (opts.profile !== 'tuf' && opts.profile !== 'notary') throw new CeremonyError('USAGE', `--profile is tuf or notary, not ${JSON.stringify(opts.profile)}`);
  return opts.profile;
}

function certDaysOf(opts: TokenExportOptions): number {
  if (opts.certDays === undefined) return 3650;
  if (opts.gun === undefined) throw new CeremonyError('USAGE', '--cert-days is the validity of the root certificate made with --gun');
  if (!/^[0-9]{1,5}$/.test(opts.certDays) || Number(opts.certDays) < 1 || Number(opts.certDays) > 36_500) throw new CeremonyError('USAGE', '--cert-days is a whole number of days from 1 to 36500');
  return Number(opts.certDays);
}

export async function tokenExportCommand(opts: TokenExportOptions, io: Io, deps: TokenKeysDeps): Promise<number> {
  const json = Boolean(opts.json);
  const modules = commandModules(deps);
  try {
    const module = required(opts.module, '--module');
    const token = chosenToken(opts.token, opts.tokenLabel);
    const label = required(opts.label, '--label');
    const profile = profileOf(opts);
    if (opts.gun !== undefined && profile !== 'notary') throw new CeremonyError('USAGE', '--gun makes a Notary root certificate: it goes with --profile notary');
    if (opts.gun === '') throw new CeremonyError('USAGE', '--gun takes the repository name, e.g. registry.example.com/org/app');
    const days = certDaysOf(opts);
    const out = opts.out === undefined ? undefined : resolve(required(opts.out, '--out'));
    // Outputs never overwrite: refused before the token is touched or a PIN asked.
    if (out) await assertAbsent([out]);
    const path = resolveModule(module, modules.deps).path;
    const pin = opts.gun !== undefined ? pinSource(opts.pinEnv, deps) : undefined;
    const exported = await exportTokenKey(
      { module, moduleParams: opts.moduleParams, token, label, profile, certificate: opts.gun !== undefined ? { gun: opts.gun, days, now: deps.now() } : undefined, pin },
      modules.deps,
    );
    const bytes = encoder.encode(`${JSON.stringify(exported.key, null, 2)}\n`);
    if (out) await writeFileAtomic(out, bytes);
    const keytype = String(exported.key.keytype);
    if (json) {
      const e = exported;
      const shape = {
        ok: true,
        module: path,
        token: e.token,
        label: e.label,
        id: e.id,
        algorithm: e.algorithm,
        fingerprint: e.fingerprint,
        profile: e.profile,
        keytype,
        keyId: e.keyId,
        keyIds: e.keyIds,
        key: e.key,
        certificate: e.certificate ?? null,
        out: out ?? null,
        rehearsal: e.rehearsal,
      };
      io.out(JSON.stringify(shape, null, 2));
      return 0;
    }
    // Without --out the key JSON is the output (for `> file`); people read the summary on stderr.
    const say = out ? (s: string) => io.out(s) : (s: string) => io.err(s);
    if (!out) io.out(new TextDecoder().decode(bytes));
    say(`${out ? `wrote ${out}: ` : ''}the ${profile === 'tuf' ? 'TUF 1.0' : 'Notary'} ${keytype} key of "${exported.label}" on ${describeToken(exported.token)}${exported.rehearsal ? REHEARSAL_MARK : ''}`);
    for (const line of fingerprintLines(exported.fingerprint)) say(line);
    say(`  key ID (${profile}${keytype.endsWith('-x509') ? ', of the certificate' : ''}): ${exported.keyId}`);
    if (exported.certificate) say(`  certificate: ${exported.certificate.subject}, valid ${exported.certificate.notBefore} to ${exported.certificate.notAfter}, made and signed on the token`);
    return 0;
  } catch (err) {
    return reportError(io, err, json);
  } finally {
    await modules.finalize();
  }
}

/** `tokens generate` and `tokens export`, under the `tokens` command (src/cli/tokens.ts). */
export function registerTokenKeyCommands(tokens: Command, io: Io, setStatus: (status: number) => void, deps: TokenKeysDeps): void {
  tokens
    .command('generate')
    .description('generate a key pair on a token (sensitive, non-extractable) and print its fingerprint and key IDs')
    .requiredOption('--module <PATH>', 'a PKCS#11 module path, or a preset: ykcs11, opensc, softhsm2')
    .option('--module-params <STRING>', "the module's start-up parameters (NSS softokn: configdir='sql:DIR' certPrefix='' keyPrefix='' secmod='secmod.db')")
    .option('--token <SERIAL>', 'the serial of the token to make the key on (with --token-label, or alone where serials are unique)')
    .option('--token-label <LABEL>', 'the label of that token (alone where serials repeat: tpm2-pkcs11, NSS)')
    .requiredOption('--algorithm <TYPE>', 'ecdsa-p256, ecdsa-p384, ed25519 or rsa-3072')
    .requiredOption('--label <KEYLABEL>', 'the new key’s label (CKA_LABEL); never reused on a token')
    .option('--id <HEX>', 'the new key’s CKA_ID in hex (YubiKey: 01 → PIV slot 9a, 02 → 9c, …); random by default')
    .option('--pin-env <VAR>', 'the name of an environment variable holding the PIN (default: asked on the terminal, not echoed)')
    .option('--piv-slot <SLOT>', 'YubiKey: the PIV slot for the key (9c, 9d, 9e, 82–95); required on a YubiKey')
    .option('--allow-slot <SLOT>', 'YubiKey: allow a guarded slot (9a, f9) for --piv-slot; repeatable', (v: string, prev: string[] = []) => [...prev, v])
    .option('--management-key-env <VAR>', 'YubiKey: the name of an environment variable holding the PIV management key (default: asked, not echoed)')
    .option('--attestation-roots <PEM>', 'YubiKey: verify the attestation against these CA certificates instead of Yubico’s (tests and private PKIs only)')
    .option('--json', 'machine-readable result (documented in src/cli/tokens-keys.ts)')
    .action(async (opts: TokenGenerateOptions) => {
      setStatus(await tokenGenerateCommand(opts, io, deps));
    });

  tokens
    .command('export')
    .description('export the public key of a token key as a profile lists it (TUF, Notary; with --gun a Notary root certificate made on the token)')
    .requiredOption('--module <PATH>', 'a PKCS#11 module path, or a preset: ykcs11, opensc, softhsm2')
    .option('--module-params <STRING>', "the module's start-up parameters (NSS softokn: configdir='sql:DIR' certPrefix='' keyPrefix='' secmod='secmod.db')")
    .option('--token <SERIAL>', 'the serial of the token holding the key (with --token-label, or alone where serials are unique)')
    .option('--token-label <LABEL>', 'the label of that token (alone where serials repeat: tpm2-pkcs11, NSS)')
    .requiredOption('--label <KEYLABEL>', 'the key’s label (CKA_LABEL)')
    .option('--profile <PROFILE>', 'tuf or notary (default: tuf; notary with --gun)')
    .option('--gun <GUN>', 'Notary root key: list it as ecdsa-x509 with a self-signed certificate for this repository name (needs the PIN)')
    .option('--cert-days <N>', 'validity of the certificate in days (default 3650)')
    .option('--out <FILE>', 'write the key JSON here (never over an existing file); default: stdout')
    .option('--pin-env <VAR>', 'with --gun: the name of an environment variable holding the PIN (default: asked on the terminal)')
    .option('--json', 'machine-readable result (documented in src/cli/tokens-keys.ts)')
    .action(async (opts: TokenExportOptions) => {
      setStatus(await tokenExportCommand(opts, io, deps));
    });
}
