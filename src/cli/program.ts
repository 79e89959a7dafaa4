import { Command, CommanderError } from 'commander';
import { CeremonyError } from '../errors.js';
import { reportError, type Io } from './output.js';
import { withAttestationFlags } from './attestation-flags.js';
import type { InspectCommandOptions } from './inspect.js';
import type { VerifyCommandOptions } from './verify.js';

type SetStatus = (status: number) => void;
type Register = (program: Command, io: Io, setStatus: SetStatus) => void;

/**
 * The command modules, loaded only when their command runs (issue #18): `verify` of a metadata directory
 * should not pay for the QR and bc-ur stack, the PKCS#11 layer or the X.509 parser (≈ 0.65 s of module
 * loading measured, more than verifying a small repository). Each entry names the top-level commands its
 * module registers; the order is the order `--help` lists them in.
 */
const COMMAND_MODULES: { commands: readonly string[]; load: () => Promise<Register> }[] = [
  { commands: ['shamir'], load: async () => (await import('./shamir.js')).registerShamirCommands },
  { commands: ['transcript'], load: async () => (await import('./transcript.js')).registerTranscriptCommands },
  { commands: ['tokens'], load: async () => (await import('./tokens.js')).registerTokensCommand },
  { commands: ['keys'], load: async () => (await import('./keys.js')).registerKeysCommand },
  { commands: ['run'], load: async () => (await import('./run.js')).registerRunCommand },
  { commands: ['rehearse'], load: async () => (await import('./rehearse.js')).registerRehearseCommand },
  { commands: ['qr'], load: async () => (await import('./qr.js')).registerQrCommands },
  { commands: ['import', 'bundle'], load: async () => (await import('./import.js')).registerImportCommands },
  { commands: ['rotate'], load: async () => (await import('./rotate.js')).registerRotateCommand },
  { commands: ['resign-targets'], load: async () => (await import('./rotate.js')).registerResignTargetsCommand },
  { commands: ['sign'], load: async () => (await import('./sign.js')).registerSignCommand },
  { commands: ['merge'], load: async () => (await import('./merge.js')).registerMergeCommand },
  { commands: ['renew-certificates'], load: async () => (await import('./renew-certificates.js')).registerRenewCertificatesCommand },
  { commands: ['batch'], load: async () => (await import('./batch.js')).registerBatchCommand },
  { commands: ['attestation'], load: async () => (await import('./attestation.js')).registerAttestationCommands },
  { commands: ['publish', 'server-keys'], load: async () => (await import('./publish.js')).registerPublishCommands },
  { commands: ['status'], load: async () => (await import('./status.js')).registerStatusCommand },
  { commands: ['tree'], load: async () => (await import('./tree.js')).registerTreeCommand },
  { commands: ['refresh'], load: async () => (await import('./refresh.js')).registerRefreshCommand },
  { commands: ['targets-request'], load: async () => (await import('./targets-request.js')).registerTargetsRequestCommand },
  { commands: ['plan-template'], load: async () => (await import('./plan-template.js')).registerPlanTemplateCommand },
  { commands: ['plan-script'], load: async () => (await import('./plan-script.js')).registerPlanScriptCommand },
];

/** The commands defined here (their modules are imported by their actions). */
const INLINE_COMMANDS = new Set(['verify', 'inspect']);

/**
 * The `tuf-ceremony` program. Thin: parse arguments, call the core, print. Returns the exit status
 * instead of exiting so tests can run it in-process.
 */
export async function runCli(argv: string[], io: Io, version = '0.1.0'): Promise<number> {
  let status = 0;
  let json = argv.includes('--json');
  const program = new Command('tuf-ceremony')
    .description('Offline key ceremonies for TUF repositories and Docker Content Trust (Notary v1).')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: () => undefined })
    .showHelpAfterError(false);

  const verify = program
    .command('verify')
    .description('verify a trust bundle or metadata directory against a pinned root, without installing anything')
    .argument('<BUNDLE_OR_DIR>', 'a trust bundle, or a directory of TUF or Notary metadata (root.json, N.root.json, targets.json, …)')
    .requiredOption('--root <TRUSTED_ROOT>', 'the root.json you trust (pinned)')
    .option('--json', 'machine-readable result (documented in the README)')
    .option('--threads <N>', 'worker threads that check a long root chain\'s signatures beside the main one, 0–64, at most cores − 1 (default 0: see the README)');
  withAttestationFlags(verify).action(async (input: string, opts: VerifyCommandOptions) => {
    json = Boolean(opts.json);
    const { verifyCommand } = await import('./verify.js');
    status = await verifyCommand(input, opts, io);
  });

  const inspect = program
    .command('inspect')
    .description('explain a metadata file or directory: roles, keys, thresholds, expiry, signatures')
    .argument('<FILE>', 'a metadata file or directory')
    .option('--root <TRUSTED_ROOT>', 'also verify against this pinned root')
    .option('--json', 'machine-readable inspection');
  withAttestationFlags(inspect).action(async (path: string, opts: InspectCommandOptions) => {
    json = Boolean(opts.json);
    const { inspectCommand } = await import('./inspect.js');
    status = await inspectCommand(path, opts, io);
  });

  // The command asked for is the first argument (there are no options before it but --help, --version
  // and --json): only its module is loaded. Anything else (help, an unknown or missing command) loads
  // every module, so help lists all commands and commander's messages are unchanged.
  const setStatus: SetStatus = (s) => {
    status = s;
  };
  const first = argv[0];
  const wanted = first === undefined || first.startsWith('-') ? undefined : first;
  // `--version` alone needs no command: it answered in 0.9 s, loading every module, where `verify --help`
  // takes 0.2 s.
  const versionOnly = argv.some((a) => a === '--version' || a === '-V') && argv.every((a) => a === '--version' || a === '-V' || a === '--json');

  // "Touch your YubiKey now" before each signature that waits for a touch, whichever command signs
  // (piv-touch.ts): on stderr, so --json on stdout stays clean. Only commands that may sign load it.
  let restoreTouch: (() => void) | undefined;
  try {
    if (!versionOnly && (wanted === undefined || !INLINE_COMMANDS.has(wanted))) {
      const named = COMMAND_MODULES.filter((m) => wanted !== undefined && m.commands.includes(wanted));
      for (const m of named.length > 0 ? named : COMMAND_MODULES) (await m.load())(program, io, setStatus);
      const { setTouchNotice } = await import('../signers/pkcs11/piv-touch.js');
      const previousTouch = setTouchNotice((n) => io.err(n.message));
      restoreTouch = () => setTouchNotice(previousTouch);
    }
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      return reportError(io, new CeremonyError('USAGE', err.message.replace(/^error: /, '')), json);
    }
    return reportError(io, err, json);
  } finally {
    restoreTouch?.();
  }
}
