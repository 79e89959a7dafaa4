/**
 * `tuf-ceremony run PLAN --bindings FILE [--out DIR] [--json] [--attestation-roots PEM]` (PRODUCT.md §3): the root ceremony of a
 * reviewed plan on real tokens. The plan says what (src/ceremony/plan.ts); the site bindings say with
 * which module and token, and where each custodian's PIN comes from (src/ceremony/site-bindings.ts): from
 * the environment variable they name, or asked on the terminal without echo at the moment of use. PINs are
 * never read from the plan or the bindings, never printed, never written.
 *
 * DIR defaults to `<PLAN without .json>.out` next to the plan. It gets three folders (src/ceremony/layout.ts):
 * `metadata/` (publishable, what export/inspect/verify take), `secret/` (share cards) and `state/` (the
 * resume journal and the sealed transcript). Run the same command again after an
 * interruption (a token pulled, a wrong PIN, a power cut): completed steps are not redone, keys made
 * before are found on the tokens, outputs are never overwritten.
 *
 * YubiKeys (issue #13): the bindings name each key's PIV slot and the management key's source (an
 * environment variable, or asked without echo); a key whose slot they do not name goes to the first empty
 * retired slot once the custodian confirms it on the terminal; the factory-default management key is
 * warned about on stderr; "Touch your YubiKey now" goes to stderr before each signature that may wait for
 * a touch. `--attestation-roots PEM` verifies attestations against other roots than Yubico's (tests,
 * private PKIs).
 *
 * Before anything is done: the plan is parsed (PLAN_INVALID with the JSON path), the bindings checked
 * against it, every PIN source checked to be usable (a named variable that is unset, or "prompt" without a
 * terminal: USAGE, exit 2), and the plan's intent hash printed (hex and words) for the witnesses.
 *
 * `--json` prints on success `{ "ok": true, "out", "planSha256", "resumed", "skipped": [steps],
 * "metadata": [files], "metadataDir": "/abs/DIR/metadata",
 * "transcript": "/abs/DIR/state/transcript.jsonl", "files": [paths relative to DIR], "rootKeyIds", "targetsKeyId", "snapshotKeyId", "timestampKeyId",
 * "sealKeyId" }` (progress lines then go to stderr).
 *
 * A multi-repository plan (`repositories`, src/ceremony/multi-plan.ts) runs src/ceremony/multi-machine.ts:
 * one PIN per custodian, each repository into `DIR/metadata/<safe name>/` (publishable as it is), one
 * transcript and the key inventory in `DIR/state/` (transcript.jsonl, transcript.html, ceremony-state.json,
 * key-inventory.json). It resumes like one repository: run the same command again (repositories the
 * transcript records as written are checked, not signed again: src/ceremony/multi-resume.ts).
 * `--json` then prints `{ "ok": true, "out", "planSha256", "resumed", "repositoriesDoneBefore", "repositories": [{ "name", "profile", "dir",
 * "metadata", "rootKeyIds", "targetsKeyId", "snapshotKeyId", "timestampKeyId" }], "inventory",
 * "transcript", "tokenSignatures", "sealKeyId", "shareCards" }` ("dir" `metadata/<safe name>`, "inventory" and "transcript"
 * paths relative to "out": `state/key-inventory.json`, `state/transcript.jsonl`; "rootKeyIds" end with the
 * split key's when the plan has `shamir`; "shareCards" its cards still in the folder when the run ends,
 * `secret/…` — cards moved away or destroyed after an interruption are not listed — else []).
 *
 * `--share-card CARD…` (multi-repository plans with `shamir` only): resuming a ceremony interrupted after
 * its split software root key was split and wiped, M of its share cards, so that the repositories whose
 * roots were not yet signed are signed with the key they rebuild (checked against the recorded split and
 * fingerprint; src/ceremony/multi-shamir.ts), before anything is written. Without them such a resume is
 * refused (CEREMONY_CANNOT_RESUME) before any PIN is asked; given when no repository needs them (a new
 * ceremony, a new key to make, every root written), refused with USAGE.
 */
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CeremonyError } from '../errors.js';
import { readFileCapped } from '../io/files.js';
import { moduleFileExists } from '../io/softhsm.js';
import { MULTI_PLAN_MAX_BYTES, parseAnyPlan } from '../ceremony/multi-plan.js';
import { runMultiCeremony, type MultiCeremonyResult } from '../ceremony/multi-machine.js';
import { METADATA_DIR } from '../ceremony/layout.js';
import { BINDINGS_MAX_BYTES, parseSiteBindings, runCeremony, Pkcs11TokenProvider, intentHash, type CustodianBinding, type SiteBindings } from '../ceremony/index.js';
import type { PlanCustodian } from '../ceremony/plan.js';
import type { ExpectedKey, ManagementKeyRetry } from '../ceremony/tokens.js';
import { groupHex, shortDigest, groupWords } from '../crypto/digest-words.js';
import { describeToken } from '../signers/pkcs11/errors.js';
import type { PinRetry } from '../signers/pkcs11/pin-retry.js';
import { TokenModule, type TokenDescription } from '../signers/pkcs11/token.js';
import type { Io } from './output.js';
import { promptPinHidden } from './pin-prompt.js';
import { askYesNo } from './confirm-prompt.js';
import type { AttestationTrust } from '../attestation/yubico-pki.js';
import { readAttestationRoots } from './attestation-options.js';
import { readShareCardFiles } from './share-card-files.js';

export interface RunOptions {
  bindings: string;
  out?: string;
  json?: boolean;
  /** YubiKey attestation roots instead of Yubico's bundled ones (tests, private PKIs only). */
  attestationRoots?: string;
  /** Share cards of a multi-repository plan's split root key, to resume after it was wiped. */
  shareCard?: string[];
}

export interface RunDeps {
  load(path: string, opts: { installHint?: string; libraryParameters?: string }): Promise<TokenModule>;
  exists(path: string): boolean;
  platform: string;
  env: Record<string, string | undefined>;
  /** Whether a person can be asked for a PIN (stdin and stderr are terminals). */
  interactive: boolean;
  /** Ask for a PIN without echo; the bytes are zeroed by the token layer after login. */
  promptPin(question: string): Promise<Uint8Array>;
  /** A yes/no question on the terminal (a proposed YubiKey slot); absent or no terminal: no. */
  confirm?(question: string): Promise<boolean>;
  now(): Date;
  /** Test hook passed to the machine. */
  fault?: (point: string) => void | Promise<void>;
}

export const defaultRunDeps: RunDeps = {
  load: (path, opts) => TokenModule.load(path, opts),
  exists: moduleFileExists,
  platform: process.platform,
  env: process.env,
  interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
  promptPin: (question) => promptPinHidden(question),
  confirm: (question) => askYesNo(question),
  now: () => new Date(),
};

/** Every PIN source usable before anything starts: no ceremony stops half-way for want of a variable. */
function checkPinSources(bindings: SiteBindings, deps: RunDeps): void {
  for (const [name, b] of bindings.custodians) {
    if (b.pin.kind === 'env') {
      const v = deps.env[b.pin.name];
      if (v === undefined || v === '') throw new CeremonyError('USAGE', `the environment variable ${b.pin.name} (${name}'s PIN, as the site bindings say) is not set`);
    } else if (!deps.interactive) {
      throw new CeremonyError('USAGE', `the site bindings say to ask ${name}'s PIN, but there is no terminal to ask it on; run on a terminal, or name an environment variable in the bindings`);
    }
    // A YubiKey's management key: only its source's name is checked here, never its value shown.
    const mk = b.piv?.managementKey;
    if (mk?.kind === 'env') {
      const v = deps.env[mk.name];
      if (v === undefined || v === '') throw new CeremonyError('USAGE', `the environment variable ${mk.name} (${name}'s YubiKey management key, as the site bindings say) is not set`);
    }
  }
}

function defaultOut(planPath: string): string {
  const base = basename(planPath).replace(/\.json$/i, '');
  return join(dirname(planPath), `${base}.out`);
}

export async function runCommand(planPath: string, opts: RunOptions, io: Io, deps: RunDeps = defaultRunDeps): Promise<number> {
  if (!opts.bindings) throw new CeremonyError('USAGE', '--bindings FILE is required (module, token and PIN source per custodian)');
  const say = (line: string): void => (opts.json ? io.err(line) : io.out(line));
  const planBytes = await readFileCapped(planPath, MULTI_PLAN_MAX_BYTES);
  const any = parseAnyPlan(planBytes, { source: basename(planPath) });
  // Custodians and root are the same in every repository of a multi-repository plan (multi-plan.ts).
  const plan = any.kind === 'single' ? any.plan : any.plan.repositories[0]!.plan;
  if (opts.shareCard?.length && (any.kind !== 'multi' || !any.plan.shamir)) {
    throw new CeremonyError('USAGE', '--share-card resumes a multi-repository ceremony whose plan has "shamir" (its split root key re-entered from the cards); this plan has none');
  }
  // No more files than the split has cards, counted before any is read (each read is capped at
  // SHARE_CARD_MAX_BYTES); the plan caps N at 255, so no fixed lower cap could refuse a valid M (review L5).
  if (opts.shareCard?.length && any.kind === 'multi' && any.plan.shamir && opts.shareCard.length > any.plan.shamir.shares) {
    throw new CeremonyError('USAGE', `--share-card was given ${opts.shareCard.length} files, but the split has only ${any.plan.shamir.shares} cards (any ${any.plan.shamir.threshold} rebuild the key): give ${any.plan.shamir.threshold} of them; no card file was read`);
  }
  const hash = intentHash(planBytes);
  const bindings = parseSiteBindings(await readFileCapped(opts.bindings, BINDINGS_MAX_BYTES), plan, hash.sha256);
  checkPinSources(bindings, deps);
  const out = resolve(opts.out ?? defaultOut(planPath));
  // Read once: the token layer checks each new YubiKey key's attestation as it is made (piv.ts), the
  // ceremony again before recording it (generate-keys.ts).
  const attestationTrust: AttestationTrust | undefined = opts.attestationRoots !== undefined ? await readAttestationRoots(opts.attestationRoots) : undefined;

  const loaded = new Set<TokenModule>();
  const provider = new Pkcs11TokenProvider(bindings, {
    load: async (path, o) => {
      const mod = await deps.load(path, o);
      loaded.add(mod);
      return mod;
    },
    exists: deps.exists,
    platform: deps.platform,
    announce(custodian: PlanCustodian, token: TokenDescription, keys: readonly ExpectedKey[]) {
      const pin = custodian.token;
      const expected = pin
        ? `the plan expects ${[pin.label !== undefined ? `label "${pin.label}"` : '', pin.serial !== undefined ? `serial ${pin.serial}` : ''].filter(Boolean).join(', ')}`
        : 'chosen by the site bindings';
      say(`custodian ${custodian.name}: ${describeToken(token)}, ${token.manufacturer} ${token.model}, slot "${token.slotDescription}" (${expected})`);
      if (!token.serialUnique) say(`  serial not unique on this module: the label "${token.label}" names this token`);
      if (token.softwareModel) say(`  SOFTWARE TOKEN (${token.softwareModel}): its keys are kept in files on this computer`);
      // On a resumed ceremony: the keys made on this token before, by fingerprint, to compare before the PIN.
      for (const k of keys) {
        const short = shortDigest(k.fingerprint);
        say(`  expected on it: key "${k.label}", fingerprint ${groupHex(short.hex)} (${groupWords(short.words)})`);
      }
    },
    async pin(custodian: PlanCustodian, binding: CustodianBinding, token: TokenDescription, retry?: PinRetry) {
      if (binding.pin.kind === 'env') return new TextEncoder().encode(deps.env[binding.pin.name] ?? ''); // not from Node's Buffer pool: the returned bytes are the only copy, zeroed after use
      // Asked again after a wrong PIN (pin-retry.ts): the reason and what the token says of the tries left.
      if (retry) say(retry.message);
      return deps.promptPin(`PIN for ${custodian.name}'s ${describeToken(token)} (not shown): `);
    },
    async managementKey(custodian: PlanCustodian, binding: CustodianBinding, token: TokenDescription, retry?: ManagementKeyRetry) {
      const source = binding.piv?.managementKey ?? { kind: 'prompt' as const };
      // A key from the environment is never tried twice: it would be the same wrong key.
      if (source.kind === 'env' && retry) throw retry.error;
      if (source.kind === 'env') return new TextEncoder().encode(deps.env[source.name] ?? ''); // the only copy (not pooled), zeroed after use
      if (retry) say(retry.message);
      if (!deps.interactive) throw new CeremonyError('USAGE', `${custodian.name}'s YubiKey management key is needed and there is no terminal to ask it on; name an environment variable in the bindings ("piv": {"managementKey": {"env": "NAME"}})`);
      return deps.promptPin(`PIV management key for ${custodian.name}'s ${describeToken(token)} (48 hex digits, not shown): `);
    },
    async confirmSlot(custodian: PlanCustodian, token: TokenDescription, role: string, slot: string) {
      const question = `The site bindings name no PIV slot for ${custodian.name}'s ${role} key. Make it in slot ${slot}, the first empty retired slot of ${describeToken(token)}?`;
      if (!deps.interactive || !deps.confirm) {
        say(`${question} — not asked (no terminal): name the slot in the bindings`);
        return false;
      }
      return deps.confirm(question);
    },
    // The factory-default management key: loud, on stderr whatever --json says.
    warn: (message: string) => io.err(message),
    ...(attestationTrust ? { attestationTrust } : {}),
  });
  try {
    await provider.loadModules();
    say(`${provider.rehearsal ? 'REHEARSAL (a rehearsal module is bound): ' : ''}root ceremony of ${basename(planPath)} into ${out}`);
    if (any.kind === 'multi') {
      const multi = await runMultiCeremony({
        planBytes,
        plan: any.plan,
        planName: basename(planPath),
        planDir: dirname(resolve(planPath)),
        outDir: out,
        tokens: provider,
        now: deps.now,
        report: say,
        ...(opts.shareCard?.length ? { shareCards: () => readShareCardFiles(opts.shareCard!) } : {}),
        ...(deps.fault ? { fault: deps.fault } : {}),
      });
      if (opts.json) io.out(JSON.stringify(multiJson(multi), null, 2));
      else {
        say(`done: ${multi.repositories.length} repositories in ${join(out, METADATA_DIR)}, key inventory ${join(out, multi.inventory)}`);
        if (multi.shareCards.length) say(`share cards (SECRET): ${join(out, 'secret')}; print them, hand them to their holders, then delete the folder`);
        say(`check the transcript: tuf-ceremony transcript verify ${join(out, multi.transcript)} --seal-key ${multi.sealKeyId}`);
      }
      return 0;
    }
    const result = await runCeremony({
      planBytes,
      plan,
      planName: basename(planPath),
      planDir: dirname(resolve(planPath)),
      outDir: out,
      tokens: provider,
      now: deps.now,
      report: say,
      ...(attestationTrust ? { attestationTrust } : {}),
      ...(deps.fault ? { fault: deps.fault } : {}),
    });
    if (opts.json) {
      io.out(
        JSON.stringify(
          {
            ok: true,
            out,
            planSha256: result.planSha256,
            resumed: result.resumed,
            skipped: result.skipped,
            metadata: result.metadata,
            metadataDir: result.metadataDir,
            transcript: result.transcriptPath,
            files: result.files,
            rootKeyIds: result.rootKeyIds,
            targetsKeyId: result.keyIds.targets,
            snapshotKeyId: result.keyIds.snapshot,
            timestampKeyId: result.keyIds.timestamp,
            sealKeyId: result.sealKeyId,
          },
          null,
          2,
        ),
      );
    } else {
      say(`done: ${result.metadata.join(', ')} in ${result.metadataDir} (publishable: give this folder to export, inspect, verify)`);
      if (plan.shamir) say(`share cards (SECRET): ${join(out, 'secret')}; print them, hand them to their holders, then delete the folder`);
      say(`check the transcript: tuf-ceremony transcript verify ${result.transcriptPath} --seal-key ${result.sealKeyId}`);
    }
    return 0;
  } finally {
    await provider.close();
    for (const mod of loaded) await mod.finalize().catch(() => undefined);
  }
}

/** `--json` of a multi-repository ceremony (documented in the file comment). */
export function multiJson(r: MultiCeremonyResult): Record<string, unknown> {
  return {
    ok: true,
    out: r.outDir,
    planSha256: r.planSha256,
    resumed: r.resumed,
    repositoriesDoneBefore: r.repositoriesDoneBefore,
    repositories: r.repositories.map((x) => ({ name: x.name, profile: x.profile, dir: x.dir, metadata: x.metadata, rootKeyIds: x.rootKeyIds, targetsKeyId: x.keyIds.targets, snapshotKeyId: x.keyIds.snapshot, timestampKeyId: x.keyIds.timestamp })),
    inventory: r.inventory,
    transcript: r.transcript,
    tokenSignatures: r.tokenSignatures,
    sealKeyId: r.sealKeyId,
    shareCards: r.shareCards,
  };
}

export function registerRunCommand(program: Command, io: Io, setStatus: (status: number) => void): void {
  program
    .command('run')
    .description('run (or resume) the root ceremony of a reviewed plan on real tokens')
    .argument('<PLAN>', 'the reviewed ceremony plan (JSON)')
    .requiredOption('--bindings <FILE>', 'site bindings: module, token and PIN source per custodian')
    .option('--out <DIR>', 'output folder (default: <PLAN>.out next to the plan); the same folder resumes an interrupted ceremony')
    .option('--json', 'machine-readable summary (documented in src/cli/run.ts)')
    .option('--share-card <CARD...>', 'resuming a multi-repository ceremony whose split root key was wiped: M of its share card files')
    .option('--attestation-roots <PEM>', 'trust these CA certificates for YubiKey attestations instead of the bundled Yubico roots (tests and private PKIs only)')
    .action(async (planPath: string, opts: RunOptions) => setStatus(await runCommand(planPath, opts, io)));
}
