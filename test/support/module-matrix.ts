/**
 * The PKCS#11 modules the module-matrix suites (test/integration/tokens-modules.test.ts,
 * ceremony-modules.test.ts) run the same cases against, each with four custodian tokens (alice, bob,
 * carol, dave) made by the module's own tools, independently of our core:
 *
 * - `softhsm2`: SoftHSM2 tokens in a temp dir (softhsm2-util, SOFTHSM2_CONF);
 * - `tpm2-pkcs11`: tpm2-pkcs11 over swtpm + tpm2-abrmd (swtpm.ts); every serial `0000000000000000`;
 * - `opencryptoki`: one opencryptoki soft token (Alice's, standing for every custodian) under a private
 *   pkcsslotd (opencryptoki.ts); serial `123`, RSA only.
 *
 * `start()` sets the module's environment in this process (modules loaded in-process read it at
 * C_Initialize); `stop()` puts it back and stops everything the module needed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareSoftHsmDir } from '../../src/io/softhsm.js';
import type { KeyAlgorithm } from '../../src/profiles/profile.js';
import { softHsmSerialOf } from '../e2e/support/softhsm.js';
import { applyEnv } from './daemons.js';
import { startOpenCryptoki } from './opencryptoki.js';
import { startSoftTpm } from './swtpm.js';

export type MatrixModuleName = 'softhsm2' | 'tpm2-pkcs11' | 'opencryptoki';
export const MATRIX_MODULES: readonly MatrixModuleName[] = ['softhsm2', 'tpm2-pkcs11', 'opencryptoki'];

export const CUSTODIANS = ['alice', 'bob', 'carol', 'dave'] as const;
export type Custodian = (typeof CUSTODIANS)[number];

export interface MatrixToken {
  label: Custodian;
  /** 8 digits: inside every module's PIN rules (opencryptoki 4–8). */
  pin: string;
  soPin: string;
  serial: string;
  /** The environment variable the tests hand the PIN in (`--pin-env`, site bindings). */
  pinEnv: string;
}

export interface MatrixModule {
  name: MatrixModuleName;
  modulePath: string;
  /** What `--module` is given: a preset name or the path. */
  cliModule: string;
  /** The site bindings' module entry. */
  binding: { preset: 'softhsm2' } | { path: string };
  tokens: Record<Custodian, MatrixToken>;
  /** Every token has the same serial on this module (the label tells them apart). */
  sharedSerial: boolean;
  /** The key type used for every key of a ceremony on this module (opencryptoki has no EC). */
  keyAlgorithm: KeyAlgorithm;
  /** Whether the module can make the EC keys Notary needs. */
  ec: boolean;
  /** The software model our core should name for this module's tokens. */
  softwareModel: RegExp;
  /**
   * How the module answers repeated wrong PINs: `never` (SoftHSM2 never locks), `tpm-da` (the TPM's
   * dictionary-attack counter, shared by every token), `token` (the token locks its user PIN).
   */
  lockout: 'never' | 'tpm-da' | 'token';
  /** PIN environment variables for every custodian, as the CLI and bindings read them. */
  pinEnv: Record<string, string>;
  /** Reset lockout state after a wrong-PIN test (TPM: clear the DA counter). */
  clearLockout(): Promise<void>;
  /** Read the TPM's DA counter (tpm2-pkcs11 only). */
  lockoutCounter?: () => Promise<{ counter: number; max: number }>;
  stop(): Promise<void>;
}

const PINS: Record<Custodian, string> = { alice: '11223344', bob: '22334455', carol: '33445566', dave: '44556677' };
const SO_PIN = '87651234';

function tokenTable(serialOf: (label: Custodian) => string): Record<Custodian, MatrixToken> {
  const out = {} as Record<Custodian, MatrixToken>;
  for (const c of CUSTODIANS) out[c] = { label: c, pin: PINS[c], soPin: SO_PIN, serial: serialOf(c), pinEnv: `TUFC_MATRIX_${c.toUpperCase()}_PIN` };
  return out;
}

const pinEnvOf = (tokens: Record<Custodian, MatrixToken>): Record<string, string> => Object.fromEntries(CUSTODIANS.map((c) => [tokens[c].pinEnv, tokens[c].pin]));

export async function startMatrixModule(name: MatrixModuleName): Promise<MatrixModule> {
  if (name === 'softhsm2') {
    const modulePath = '/usr/lib/softhsm/libsofthsm2.so';
    if (!existsSync(modulePath)) throw new Error(`${modulePath} is missing: install Debian's softhsm2 (see .ci/run)`);
    const dir = mkdtempSync(join(tmpdir(), 'tufc-matrix-softhsm-'));
    const { confPath } = await prepareSoftHsmDir(dir);
    const restore = applyEnv({ SOFTHSM2_CONF: confPath });
    for (const c of CUSTODIANS) execFileSync('softhsm2-util', ['--init-token', '--free', '--label', c, '--pin', PINS[c], '--so-pin', SO_PIN], { env: process.env, stdio: 'pipe' });
    const tokens = tokenTable((c) => softHsmSerialOf(c));
    return {
      name,
      modulePath,
      cliModule: 'softhsm2',
      binding: { preset: 'softhsm2' },
      tokens,
      sharedSerial: false,
      keyAlgorithm: 'ecdsa-p256',
      ec: true,
      softwareModel: /SoftHSM/i,
      lockout: 'never',
      pinEnv: pinEnvOf(tokens),
      clearLockout: async () => undefined,
      async stop() {
        restore();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (name === 'tpm2-pkcs11') {
    const tpm = await startSoftTpm(CUSTODIANS.map((c) => ({ label: c, pin: PINS[c], soPin: SO_PIN })));
    const restore = applyEnv(tpm.env);
    const tokens = tokenTable(() => tpm.serial);
    return {
      name,
      modulePath: tpm.modulePath,
      cliModule: tpm.modulePath,
      binding: { path: tpm.modulePath },
      tokens,
      sharedSerial: true,
      keyAlgorithm: 'ecdsa-p256',
      ec: true,
      softwareModel: /swtpm|software TPM/i,
      lockout: 'tpm-da',
      pinEnv: pinEnvOf(tokens),
      clearLockout: () => tpm.clearLockout(),
      lockoutCounter: () => tpm.lockoutCounter(),
      async stop() {
        restore();
        await tpm.stop();
      },
    };
  }
  // One soft token, Alice's, standing for every custodian in the token cases: opencryptoki 3.8 keeps one
  // login and one token store for all its soft tokens in a process (opencryptoki.ts), so several of them
  // cannot be used side by side; the ceremony cases put Bob, Carol and Dave on another module.
  const ock = await startOpenCryptoki([{ label: 'alice', pin: PINS.alice, soPin: SO_PIN }]);
  const alice = (c: Custodian): MatrixToken => ({ label: 'alice' as Custodian, pin: PINS.alice, soPin: SO_PIN, serial: ock.serial, pinEnv: `TUFC_MATRIX_${c.toUpperCase()}_PIN` });
  const tokens = Object.fromEntries(CUSTODIANS.map((c) => [c, alice(c)])) as Record<Custodian, MatrixToken>;
  return {
    name,
    modulePath: ock.modulePath,
    cliModule: ock.modulePath,
    binding: { path: ock.modulePath },
    tokens,
    sharedSerial: false,
    keyAlgorithm: 'rsa-pss-sha256',
    ec: false,
    softwareModel: /opencryptoki|soft ?tok/i,
    lockout: 'token',
    pinEnv: pinEnvOf(tokens),
    async clearLockout() {
      await ock.resetUserPin('alice');
    },
    stop: () => ock.stop(),
  };
}
