/**
 * `tuf-ceremony tokens [--module PATH|PRESET [--module-params STRING]] [--json]`: list the slots and tokens a PKCS#11 module sees —
 * label, serial, manufacturer, model, PIN status, the key types each token can make, free and empty
 * slots. PRESET is `ykcs11`, `opensc` or `softhsm2` (src/signers/pkcs11/presets.ts). Without --module,
 * every preset module installed on this machine is listed. No PIN is asked: listing needs none.
 *
 * `--json` prints (exit 0):
 *
 * ```json
 * {
 *   "ok": true,
 *   "modules": [{
 *     "path": "/usr/lib/softhsm/libsofthsm2.so", "preset": "softhsm2",
 *     "manufacturer": "SoftHSM", "description": "Implementation of PKCS11", "libraryVersion": "2.6",
 *     "rehearsal": true, "family": "softhsm2", "libraryParameters": null,
 *     "slots": [{
 *       "slot": "…", "description": "…", "removable": false, "hardware": false,
 *       "token": {
 *         "label": "custodian-1", "serial": "1d4b57454391b8d3", "manufacturer": "SoftHSM project", "model": "SoftHSM v2",
 *         "initialized": true, "pinStatus": "ok", "loginRequired": true, "protectedAuthenticationPath": false,
 *         "minPinLength": 4, "maxPinLength": 255,
 *         "keyTypes": ["ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-pss-sha256"], "rsaMaxBits": 16384,
 *         "slotDescription": "SoftHSM slot ID 0x…", "module": "/usr/lib/softhsm/libsofthsm2.so", "moduleFamily": "softhsm2",
 *         "software": "SoftHSM2", "serialUnique": true,
 *         "mechanisms": ["CKM_EC_KEY_PAIR_GEN", "CKM_ECDSA", …]
 *       },
 *       "problem": null
 *     }]
 *   }],
 *   "errors": []
 * }
 * ```
 *
 * `family` is softhsm2, tpm2-pkcs11, nss-softokn, opencryptoki, ykcs11, opensc or other. `software` names the
 * software model a token is (SoftHSM2, "swtpm (software TPM)", "NSS softokn", "opencryptoki soft token"), or
 * is null; `serialUnique` false means "serial not unique on this module" (tpm2-pkcs11 and NSS give every
 * token 0000000000000000): choose such a token by its label (`--token-label`).
 * `token` is null for an empty slot or a token that cannot be read (`problem` then names the CKR_ value).
 * A module that cannot be loaded goes to `errors` as `{ "module", "code", "message" }` and makes the exit
 * status 3 (token/hardware); so does any failure with --module. Refusals print `error[CODE]: message`.
 *
 * `tokens generate` and `tokens export` (keys on a token: generate, export the public key as a profile
 * lists it) are in tokens-keys.ts, with their --json shapes.
 */
import type { Command } from 'commander';
import { CeremonyError, toErrorShape, type ErrorShape } from '../errors.js';
import { moduleFileExists } from '../io/softhsm.js';
import type { KeyAlgorithm } from '../profiles/profile.js';
import { installHint, isModulePreset, MODULE_PRESETS, resolvePreset, type ModulePreset } from '../signers/pkcs11/presets.js';
import { TokenModule, tokenSummary, type SlotDescription, type TokenDescription } from '../signers/pkcs11/token.js';
import { algorithmTitle } from '../signers/signing-key.js';
import { reportError, type Io } from './output.js';
import { defaultTokenKeysDeps, registerTokenKeyCommands, type TokenKeysDeps } from './tokens-keys.js';

export interface TokensCommandOptions {
  module?: string;
  /** The module's start-up parameters (NSS softokn); only with --module. */
  moduleParams?: string;
  json?: boolean;
}

/** What the command needs from outside; tests inject a fake backend through `load`. */
export interface TokensDeps {
  load(path: string, opts: { installHint?: string; libraryParameters?: string }): Promise<TokenModule>;
  exists(path: string): boolean;
  platform: string;
}

const defaultDeps: TokensDeps = {
  load: (path, opts) => TokenModule.load(path, opts),
  exists: moduleFileExists,
  platform: process.platform,
};

export interface Target {
  path: string;
  preset: ModulePreset | undefined;
  libraryParameters?: string | undefined;
}

interface ModuleListing {
  path: string;
  preset: ModulePreset | null;
  manufacturer: string;
  description: string;
  libraryVersion: string;
  rehearsal: boolean;
  family: string;
  libraryParameters: string | null;
  slots: SlotDescription[];
}

function tokenJson(t: TokenDescription) {
  return { ...tokenSummary(t), mechanisms: t.mechanisms };
}

/** The documented `--json` shape (see the file comment). */
export function tokensJson(modules: ModuleListing[], errors: (ErrorShape & { module: string })[]) {
  return {
    ok: errors.length === 0,
    modules: modules.map((m) => ({
      path: m.path,
      preset: m.preset,
      manufacturer: m.manufacturer,
      description: m.description,
      libraryVersion: m.libraryVersion,
      rehearsal: m.rehearsal,
      family: m.family,
      libraryParameters: m.libraryParameters,
      slots: m.slots.map((s) => ({
        slot: s.slot,
        description: s.description,
        removable: s.removable,
        hardware: s.hardware,
        token: s.token ? tokenJson(s.token) : null,
        problem: s.problem ?? null,
      })),
    })),
    errors,
  };
}

const PIN_TEXT: Record<TokenDescription['pinStatus'], string> = {
  ok: 'PIN set',
  'count-low': 'PIN: few tries left',
  'final-try': 'PIN: ONE TRY LEFT',
  locked: 'PIN LOCKED',
  'to-be-changed': 'PIN must be changed',
  'not-initialized': 'no PIN set',
};

function human(m: ModuleListing): string {
  const lines = [`module ${m.path}${m.preset ? ` (${m.preset})` : ''}: ${m.manufacturer}, ${m.description} ${m.libraryVersion}${m.rehearsal ? ' [REHEARSAL ONLY: software tokens, not hardware]' : ''}`];
  if (m.slots.length === 0) lines.push('  no slots');
  m.slots.forEach((s, i) => {
    const where = `  slot ${i + 1}${s.description ? ` (${s.description})` : ''}`;
    if (!s.token) {
      lines.push(`${where}: ${s.problem ? `a token that cannot be read (${s.problem})` : 'empty'}`);
      return;
    }
    const t = s.token;
    if (!t.initialized) {
      lines.push(`${where}: a token not initialised yet (free)`);
      return;
    }
    const kinds = (Object.keys(t.capabilities) as KeyAlgorithm[]).filter((k) => t.capabilities[k]).map((k) => (k === 'rsa-pss-sha256' ? `RSA-PSS up to ${t.rsaMaxBits} bits` : algorithmTitle(k)));
    const serialNote = t.serialUnique ? '' : ' (serial not unique on this module: the label names this token)';
    lines.push(`${where}: "${t.label}" serial ${t.serial}${serialNote}, ${t.manufacturer} ${t.model}`);
    if (t.softwareModel) lines.push(`      SOFTWARE TOKEN (${t.softwareModel}): keys kept in files on this computer; for rehearsals only`);
    lines.push(`      ${PIN_TEXT[t.pinStatus]}; can make: ${kinds.length ? kinds.join(', ') : 'no key type the ceremony uses'}`);
  });
  return lines.join('\n');
}

export function targets(opts: TokensCommandOptions, deps: Pick<TokensDeps, 'exists' | 'platform'>): Target[] {
  if (opts.module !== undefined) {
    if (opts.module === '') throw new CeremonyError('USAGE', '--module takes a path or one of: ykcs11, opensc, softhsm2');
    const libraryParameters = opts.moduleParams || undefined;
    if (isModulePreset(opts.module)) return [{ path: resolvePreset(opts.module, deps.platform, deps.exists), preset: opts.module, libraryParameters }];
    return [{ path: opts.module, preset: undefined, libraryParameters }];
  }
  if (opts.moduleParams !== undefined) throw new CeremonyError('USAGE', '--module-params goes with --module (the parameters of that module)');
  const found = (Object.keys(MODULE_PRESETS) as ModulePreset[]).flatMap((preset) => {
    const path = resolvePreset(preset, deps.platform, deps.exists);
    return deps.exists(path) ? [{ path, preset }] : [];
  });
  if (found.length === 0) {
    throw new CeremonyError('TOKEN_MODULE_NOT_FOUND', 'no PKCS#11 module found (ykcs11, OpenSC or SoftHSM2); install one or pass --module PATH');
  }
  return found;
}

async function listOne(target: Target, deps: TokensDeps): Promise<ModuleListing> {
  const wasLoaded = TokenModule.isLoaded(target.path);
  const loadOpts: { installHint?: string; libraryParameters?: string } = {};
  if (target.preset) loadOpts.installHint = installHint(target.preset, deps.platform);
  if (target.libraryParameters) loadOpts.libraryParameters = target.libraryParameters;
  const mod = await deps.load(target.path, loadOpts);
  try {
    const v = mod.info.libraryVersion;
    return {
      path: target.path,
      preset: target.preset ?? null,
      manufacturer: mod.info.manufacturer,
      description: mod.info.description,
      libraryVersion: `${v.major}.${v.minor}`,
      rehearsal: mod.rehearsal,
      family: mod.family,
      libraryParameters: mod.libraryParameters ?? null,
      slots: await mod.listSlots(),
    };
  } finally {
    // Finalise what this command loaded; a module someone else in this process holds stays up.
    if (!wasLoaded) await mod.finalize().catch(() => undefined);
  }
}

export async function tokensCommand(opts: TokensCommandOptions, io: Io, deps: TokensDeps = defaultDeps): Promise<number> {
  const json = Boolean(opts.json);
  let list: Target[];
  try {
    list = targets(opts, deps);
  } catch (err) {
    return reportError(io, err, json);
  }
  const modules: ModuleListing[] = [];
  const errors: (ErrorShape & { module: string })[] = [];
  let firstError: unknown;
  for (const target of list) {
    try {
      modules.push(await listOne(target, deps));
    } catch (err) {
      firstError ??= err;
      errors.push({ module: target.path, ...toErrorShape(err) });
    }
  }
  if (json) {
    io.out(JSON.stringify(tokensJson(modules, errors), null, 2));
  } else {
    for (const m of modules) io.out(human(m));
  }
  if (firstError === undefined) return 0;
  // The first failure as `error[CODE]: message`, first on stderr (exit 3 for token faults), then the rest.
  const status = reportError({ out: () => undefined, err: (s) => io.err(s) }, firstError, false);
  for (const e of errors.slice(1)) io.err(`error[${e.code}]: ${e.message}`);
  return status;
}

/**
 * `tokens` and its subcommands: the listing (`tokens [--module …] [--json]`, also `tokens list`: the
 * default subcommand, so `tokens` itself has no options of its own to take from the others) and the key
 * commands `tokens generate` / `tokens export` (tokens-keys.ts). `deps` may carry the key commands' deps
 * too (PIN sources, clock); the rest default.
 */
export function registerTokensCommand(
  program: Command,
  io: Io,
  setStatus: (status: number) => void,
  deps: TokensDeps & Partial<TokenKeysDeps> = defaultDeps,
): void {
  const tokens = program.command('tokens').description('list PKCS#11 slots and tokens (no PIN needed); generate keys on a token; export their public keys');
  tokens
    .command('list', { isDefault: true })
    .description('list PKCS#11 slots and tokens: label, serial, manufacturer, model, PIN status, key types (no PIN needed); the default')
    .option('--module <PATH>', 'a PKCS#11 module path, or a preset: ykcs11, opensc, softhsm2 (default: every preset installed)')
    .option('--module-params <STRING>', "with --module: its start-up parameters (NSS softokn: configdir='sql:DIR' certPrefix='' keyPrefix='' secmod='secmod.db')")
    .option('--json', 'machine-readable listing (documented in src/cli/tokens.ts)')
    .action(async (opts: TokensCommandOptions) => {
      setStatus(await tokensCommand(opts, io, deps));
    });
  registerTokenKeyCommands(tokens, io, setStatus, { ...defaultTokenKeysDeps, ...deps });
}
