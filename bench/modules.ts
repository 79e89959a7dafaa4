/**
 * `npm run bench`, signing section, per module (issue #11; the README's token table quotes it): the cost of
 * one signature through our signer stack (`TokenKey.sign(data, 'sha256')`: hash in JS, C_Sign on the token,
 * the software verification every token result gets) on each PKCS#11 module the CI tests — SoftHSM2,
 * tpm2-pkcs11 over swtpm (through tpm2-abrmd), opencryptoki's soft token — and the time to generate the key
 * on it. Each module runs in a worker process of its own (a process that finalised SoftHSM2 dies in
 * opencryptoki's C_Finalize, measured), started by the same harnesses the tests use (test/support/swtpm.ts,
 * opencryptoki.ts), so the figures are those of the tested set-up. A module whose harness cannot start here
 * (not installed, not root for opencryptoki) is reported as skipped, with the reason.
 *
 * Per module: one key of the module's key type (ECDSA P-256, or RSA-PSS 3072 where there is no EC); rounds
 * of at least MIN_SIGNS signatures and ROUND_MS milliseconds each, after one warm-up round; the median round.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareSoftHsmDir } from '../src/io/softhsm.js';
import type { KeyAlgorithm } from '../src/profiles/profile.js';
import { TokenModule } from '../src/signers/pkcs11/token.js';
import { applyEnv } from '../test/support/daemons.js';
import { startOpenCryptoki } from '../test/support/opencryptoki.js';
import { startSoftTpm } from '../test/support/swtpm.js';

export const BENCH_MODULES = ['softhsm2', 'tpm2-pkcs11', 'opencryptoki'] as const;
export type BenchModule = (typeof BENCH_MODULES)[number];

const ROUNDS = 3;
const MIN_SIGNS = 20;
const ROUND_MS = 2_000;
const PIN = '24681357';
const SO_PIN = '13572468';

export interface ModuleSignResult {
  module: BenchModule;
  library: string;
  algorithm: KeyAlgorithm;
  keygenMs: number;
  /** Milliseconds per signature, one per timed round. */
  msPerSignature: number[];
  signsPerRound: number[];
}

interface Started {
  path: string;
  label: string;
  stop(): Promise<void>;
}

async function start(name: BenchModule): Promise<Started> {
  if (name === 'softhsm2') {
    const path = '/usr/lib/softhsm/libsofthsm2.so';
    if (!existsSync(path)) throw new Error(`${path} is not installed`);
    const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-bench-modules-'));
    const { confPath } = await prepareSoftHsmDir(dir);
    const restore = applyEnv({ SOFTHSM2_CONF: confPath });
    const mod = await TokenModule.load(path);
    await mod.initializeRehearsalToken('bench', SO_PIN, PIN);
    await mod.finalize();
    return {
      path,
      label: 'bench',
      async stop() {
        restore();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (name === 'tpm2-pkcs11') {
    const tpm = await startSoftTpm([{ label: 'bench', pin: PIN, soPin: SO_PIN }]);
    const restore = applyEnv(tpm.env);
    return {
      path: tpm.modulePath,
      label: 'bench',
      async stop() {
        restore();
        await tpm.stop();
      },
    };
  }
  const ock = await startOpenCryptoki([{ label: 'bench', pin: PIN, soPin: SO_PIN }]);
  return { path: ock.modulePath, label: 'bench', stop: () => ock.stop() };
}

/** The worker (its own process): prints one JSON line (ModuleSignResult). */
export async function moduleSignWorker(name: BenchModule): Promise<void> {
  const started = await start(name);
  let mod: TokenModule | undefined;
  try {
    mod = await TokenModule.load(started.path);
    const token = (await mod.listTokens()).find((t) => t.label === started.label);
    if (!token) throw new Error(`no token "${started.label}" on ${started.path}`);
    const algorithm: KeyAlgorithm = token.capabilities['ecdsa-p256'] ? 'ecdsa-p256' : 'rsa-pss-sha256';
    const session = await mod.openToken({ serial: token.serial, label: token.label });
    await session.login(new TextEncoder().encode(PIN));
    const t0 = performance.now();
    const key = await session.generateKeyPair({ algorithm, label: 'bench-key' });
    const keygenMs = performance.now() - t0;
    const data = new TextEncoder().encode(JSON.stringify({ signed: 'a 512-byte message standing in for canonical metadata bytes', pad: 'x'.repeat(420) }));
    const msPerSignature: number[] = [];
    const signsPerRound: number[] = [];
    for (let r = -1; r < ROUNDS; r++) {
      let n = 0;
      const t = performance.now();
      while (n < MIN_SIGNS || performance.now() - t < ROUND_MS) {
        await key.sign(data, 'sha256');
        n++;
      }
      if (r >= 0) {
        msPerSignature.push((performance.now() - t) / n);
        signsPerRound.push(n);
      }
    }
    await session.close();
    const result: ModuleSignResult = { module: name, library: `${mod.info.manufacturer} ${mod.info.libraryVersion.major}.${mod.info.libraryVersion.minor}`, algorithm, keygenMs, msPerSignature, signsPerRound };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await mod?.finalize().catch(() => undefined);
    await started.stop();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const TITLES: Record<BenchModule, string> = {
  softhsm2: 'SoftHSM2',
  'tpm2-pkcs11': 'tpm2-pkcs11 on swtpm (via tpm2-abrmd)',
  opencryptoki: 'opencryptoki soft token',
};

/** The per-module lines of the signing section: one worker process per module. */
export function moduleSigningSection(self: string): void {
  console.log(
    `\nper module (issue #11): one key generated on a fresh token of each module the CI tests, then TokenKey.sign(data, sha256) — ` +
      `C_Sign on the token and the software verification — in ${ROUNDS} timed rounds of ≥ ${MIN_SIGNS} signatures and ≥ ${ROUND_MS / 1000} s ` +
      `(after a warm-up round), median round shown; each module in a process of its own, started by the tests' harnesses.\n`,
  );
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log(row(['module', 'library', 'key', 'keygen ms', 'ms per signature', 'signatures /s']));
  console.log(row(['---', '---', '---', '---:', '---:', '---:']));
  for (const name of BENCH_MODULES) {
    const child = spawnSync(process.execPath, ['--expose-gc', self, '--worker-module-sign', name], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
    if (child.status !== 0) {
      const why = (child.stderr || child.stdout || `exit ${String(child.status)}`).trim().split('\n').filter((l) => !/^(ERROR|WARNING):/.test(l))[0] ?? 'failed';
      console.log(row([TITLES[name], '—', '—', '—', `skipped: ${why.slice(0, 160)}`, '—']));
      continue;
    }
    const v = JSON.parse(child.stdout.trim().split('\n').pop()!) as ModuleSignResult;
    const ms = median(v.msPerSignature);
    console.log(row([TITLES[name], v.library, v.algorithm === 'ecdsa-p256' ? 'ECDSA P-256' : 'RSA-PSS 3072', v.keygenMs.toFixed(0), ms < 1 ? ms.toFixed(3) : ms.toFixed(1), (1000 / ms).toFixed(ms < 1 ? 0 : 1)]));
  }
}
