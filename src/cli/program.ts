import { Command, CommanderError } from 'commander';
import { CeremonyError } from '../errors.js';
import { setTouchNotice } from '../signers/pkcs11/piv-touch.js';
import { registerAttestationCommands } from './attestation.js';
import { registerImportCommands } from './import.js';
import { registerKeysCommand } from './keys.js';
import { inspectCommand, type InspectCommandOptions } from './inspect.js';
import { withAttestationFlags } from './attestation-options.js';
import { registerMergeCommand } from './merge.js';
import { registerBatchCommand } from './batch.js';
import { reportError, type Io } from './output.js';
import { registerPublishCommands } from './publish.js';
import { registerStatusCommand } from './status.js';
import { registerPlanTemplateCommand } from './plan-template.js';
import { registerPlanScriptCommand } from './plan-script.js';
import { registerQrCommands } from './qr.js';
import { registerRefreshCommand } from './refresh.js';
import { registerRehearseCommand } from './rehearse.js';
import { registerResignTargetsCommand, registerRotateCommand } from './rotate.js';
import { registerRunCommand } from './run.js';
import { registerShamirCommands } from './shamir.js';
import { registerSignCommand } from './sign.js';
import { registerTranscriptCommands } from './transcript.js';
import { registerTargetsRequestCommand } from './targets-request.js';
import { registerTokensCommand } from './tokens.js';
import { registerTreeCommand } from './tree.js';
import { verifyCommand, type VerifyCommandOptions } from './verify.js';

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
    .option('--json', 'machine-readable result (documented in the README)');
  withAttestationFlags(verify).action(async (input: string, opts: VerifyCommandOptions) => {
    json = Boolean(opts.json);
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
    status = await inspectCommand(path, opts, io);
  });

  registerShamirCommands(program, io, (s) => {
    status = s;
  });
  registerTranscriptCommands(program, io, (s) => {
    status = s;
  });
  registerTokensCommand(program, io, (s) => {
    status = s;
  });
  registerKeysCommand(program, io, (s) => {
    status = s;
  });
  registerRunCommand(program, io, (s) => {
    status = s;
  });
  registerRehearseCommand(program, io, (s) => {
    status = s;
  });
  registerQrCommands(program, io, (s) => {
    status = s;
  });
  registerImportCommands(program, io, (s) => {
    status = s;
  });

  registerRotateCommand(program, io, (s) => {
    status = s;
  });
  registerResignTargetsCommand(program, io, (s) => {
    status = s;
  });
  registerSignCommand(program, io, (s) => {
    status = s;
  });
  registerMergeCommand(program, io, (s) => {
    status = s;
  });
  registerBatchCommand(program, io, (s) => {
    status = s;
  });
  registerAttestationCommands(program, io, (s) => {
    status = s;
  });
  registerPublishCommands(program, io, (s) => {
    status = s;
  });
  registerStatusCommand(program, io, (s) => {
    status = s;
  });
  registerTreeCommand(program, io, (s) => {
    status = s;
  });
  registerRefreshCommand(program, io, (s) => {
    status = s;
  });
  registerTargetsRequestCommand(program, io, (s) => {
    status = s;
  });
  registerPlanTemplateCommand(program, io, (s) => {
    status = s;
  });
  registerPlanScriptCommand(program, io, (s) => {
    status = s;
  });

  // "Touch your YubiKey now" before each signature that waits for a touch, whichever command signs
  // (piv-touch.ts): on stderr, so --json on stdout stays clean.
  const previousTouch = setTouchNotice((n) => io.err(n.message));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      return reportError(io, new CeremonyError('USAGE', err.message.replace(/^error: /, '')), json);
    }
    return reportError(io, err, json);
  } finally {
    setTouchNotice(previousTouch);
  }
}
