/**
 * Driving CLI commands in-process (src/cli/*Command(opts, io, deps)): an Io that keeps what a command
 * printed, and the sign deps for commands that open real tokens (SoftHSM2) with PINs from a fixed table.
 */
import { existsSync } from 'node:fs';
import type { SignDeps } from '../../src/cli/sign.js';
import type { Io } from '../../src/cli/output.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';

/** An Io whose stdout and stderr lines are kept apart, to assert on (the human lines go to stderr with --json). */
export function captureIo(): { io: Io; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
}

/**
 * `sign` / `resign-targets` deps on the real module loader: PINs only through --pin-env from `env`, and no
 * terminal, so a command that would prompt fails the test instead of waiting for a PIN.
 */
export function tokenSignDeps(env: Record<string, string>): SignDeps {
  return {
    load: (path, opts) => TokenModule.load(path, opts),
    exists: existsSync,
    platform: process.platform,
    env,
    interactive: false,
    promptPin: () => Promise.reject(new Error('no prompt in tests')),
  };
}
