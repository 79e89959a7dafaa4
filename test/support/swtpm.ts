/**
 * tpm2-pkcs11 over a software TPM, for integration and end-to-end tests: every process started here and
 * stopped by `stop()`, on 127.0.0.1 and free ports, state in a temp dir. Measured on Debian 12
 * (swtpm 0.7.1, tpm2-abrmd 3.0.0, tpm2-tools 5.4, libtpm2-pkcs11-1 1.9.0, tpm2_ptool 1.9):
 *
 * 1. `swtpm socket --tpm2 --tpmstate dir=D --server type=tcp,port=P,bindaddr=127.0.0.1 --ctrl
 *    type=tcp,port=P+1,bindaddr=127.0.0.1 --flags not-need-init,startup-clear` — the TPM, already started.
 * 2. A private `dbus-daemon --session --nofork --address=unix:path=…` (its own bus, no system bus needed;
 *    as root it warns "Failed to set fd limit to 65536" and carries on).
 * 3. `tpm2-abrmd --session --allow-root --flush-all --tcti=swtpm:host=127.0.0.1,port=P` with
 *    DBUS_SESSION_BUS_ADDRESS: the resource manager. Without it the second `tpm2_ptool` call runs out of
 *    TPM object slots ("out of memory for object contexts", FIELD-NOTES).
 * 4. `tpm2_ptool init` then `tpm2_ptool addtoken --pid=1 --label=L --userpin=… --sopin=…` per token, with
 *    TPM2_PKCS11_STORE (the sqlite store). Surprise: tpm2_ptool runs tpm2-tools, which read
 *    **TPM2TOOLS_TCTI**, not TPM2_PKCS11_TCTI (tpm2_pkcs11/utils.py `os.getenv('TPM2TOOLS_TCTI')`);
 *    without it they try the system bus and /dev/tpm* and fail with "No standard TCTI could be loaded".
 * 5. The module (`libtpm2_pkcs11.so`) reads TPM2_PKCS11_TCTI, TPM2_PKCS11_STORE and
 *    DBUS_SESSION_BUS_ADDRESS from the environment when it is initialised: set `env` in process.env
 *    before an in-process load (or hand it to a child process).
 *
 * What the module then shows (graphene, measured): one slot per token, slot description = the token
 * label, plus one free slot; every token's serial `0000000000000000`, manufacturer "IBM", model
 * "SW   TPM" (the TPM's vendor strings); slot flag CKF_HW_SLOT set; PIN length 0–128; CKM_EC_KEY_PAIR_GEN
 * and CKM_ECDSA(_SHA*) 192–638 bits, RSA 1024–3072 with PKCS#1 and PSS; no EdDSA.
 *
 * Dictionary attack (measured): wrong PINs (on any token) feed the TPM's one DA counter — swtpm's
 * TPM2_PT_MAX_AUTH_FAIL is 3, LOCKOUT_INTERVAL and LOCKOUT_RECOVERY 1000 s. The 4th login after 3 wrong
 * PINs gives CKR_PIN_LOCKED, even with the right PIN and on another token; token flags stay 0x40d (never
 * COUNT_LOW / FINAL_TRY / LOCKED). `tpm2_dictionarylockout --clear-lockout` (lockout auth empty) resets
 * it: `clearLockout()`.
 *
 * Logging (measured): TSS2_LOG=all+NONE silences the TSS libraries ("ERROR:esys:src/…" lines), but
 * TPM2_PKCS11_LOG_LEVEL=0 is the module's *error* level (0 error, 1 warn, 2 verbose; tpm2-pkcs11
 * src/lib/log.h), not "off": a wrong PIN still prints "ERROR: Esys_Unseal: tpm:session(1):the
 * authorization HMAC check failed and DA counter incremented" and "ERROR: Error unsealing wrapping key"
 * to the process's stderr. A value outside 0–2 prints "Could not change log level" instead.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run } from './notary.js';
import { startDaemon, tcpOpen, waitUntil, type Daemon } from './daemons.js';

export const TPM2_PKCS11_MODULE = '/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so';
/** What the tabrmd TCTI is called with: the session bus named by DBUS_SESSION_BUS_ADDRESS. */
const TABRMD_TCTI = 'tabrmd:bus_type=session';
const BINARIES = ['/usr/bin/swtpm', '/usr/bin/dbus-daemon', '/usr/sbin/tpm2-abrmd', '/usr/bin/tpm2_ptool', '/usr/bin/tpm2_dictionarylockout', TPM2_PKCS11_MODULE];

export interface TpmToken {
  label: string;
  pin: string;
  soPin: string;
}

export interface SoftTpm {
  modulePath: string;
  /** Every token's serial on this module (the same for all: `0000000000000000`). */
  serial: string;
  tokens: TpmToken[];
  /** The environment the module and the tpm2 tools need (TCTI, store, bus; module logging quiet). */
  env: Record<string, string>;
  dir: string;
  /** swtpm's server port on 127.0.0.1 (its control port is the next one). */
  port: number;
  /** Reset the TPM's dictionary-attack counter (after tests that give wrong PINs). */
  clearLockout(): Promise<void>;
  /** The TPM's DA counter and its limit (TPM2_PT_LOCKOUT_COUNTER, TPM2_PT_MAX_AUTH_FAIL). */
  lockoutCounter(): Promise<{ counter: number; max: number }>;
  /** Add one more token (tpm2_ptool addtoken) to the running store. */
  addToken(token: TpmToken): Promise<void>;
  stop(): Promise<void>;
}

/** Throw a clear message when Debian's TPM packages are missing (.ci/run installs them). */
export function requireSoftTpm(): void {
  const missing = BINARIES.filter((b) => !existsSync(b));
  if (missing.length) {
    throw new Error(
      `${missing.join(', ')} missing: install Debian's swtpm swtpm-tools tpm2-tools tpm2-abrmd libtpm2-pkcs11-1 libtpm2-pkcs11-tools libtss2-tcti-swtpm0 libtss2-tcti-tabrmd0 dbus (see .ci/run)`,
    );
  }
}

async function tool(bin: string, args: string[], env: NodeJS.ProcessEnv, what: string): Promise<string> {
  const r = await run(bin, args, { env: env as Record<string, string>, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${what}: ${bin} ${args.filter((a) => !/pin=/.test(a)).join(' ')} exited ${String(r.code)}${r.timedOut ? ' (timed out)' : ''}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * Start swtpm, a private D-Bus, tpm2-abrmd, and make a tpm2-pkcs11 store with `tokens` (in that order:
 * slot 1 is the first token). Everything is stopped and deleted by `stop()`, and stopped again if
 * start-up fails half-way.
 */
export async function startSoftTpm(tokens: TpmToken[]): Promise<SoftTpm> {
  requireSoftTpm();
  const dir = mkdtempSync(join(tmpdir(), 'tufc-swtpm-'));
  const daemons: Daemon[] = [];
  const stop = async (): Promise<void> => {
    for (const d of daemons.reverse()) await d.stop();
    daemons.length = 0;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // swtpm: two adjacent free ports; retry if one was taken between the check and the bind.
    let port = 0;
    for (let attempt = 0; attempt < 5 && !port; attempt++) {
      const p = await freePort();
      if (p >= 65535 || (await tcpOpen(p + 1))) continue;
      const state = join(dir, `tpm-state-${attempt}`);
      mkdirSync(state);
      const swtpm = startDaemon('swtpm', '/usr/bin/swtpm', [
        'socket', '--tpm2', '--tpmstate', `dir=${state}`,
        '--server', `type=tcp,port=${p},bindaddr=127.0.0.1`,
        '--ctrl', `type=tcp,port=${p + 1},bindaddr=127.0.0.1`,
        '--flags', 'not-need-init,startup-clear',
      ]);
      try {
        await waitUntil(`swtpm listening on 127.0.0.1:${p}`, () => tcpOpen(p), { daemon: swtpm, timeoutMs: 20_000 });
        daemons.push(swtpm);
        port = p;
      } catch (err) {
        await swtpm.stop();
        if (attempt === 4) throw err;
      }
    }

    const bus = join(dir, 'bus');
    const busAddress = `unix:path=${bus}`;
    const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin:/usr/sbin:/sbin', HOME: dir, DBUS_SESSION_BUS_ADDRESS: busAddress };
    const dbus = startDaemon('dbus-daemon', '/usr/bin/dbus-daemon', ['--session', '--nofork', `--address=${busAddress}`, '--print-address=1'], { env: baseEnv });
    daemons.push(dbus);
    await waitUntil('the private D-Bus socket', async () => existsSync(bus) && /unix:path=/.test(dbus.output()), { daemon: dbus, timeoutMs: 20_000 });

    const abrmd = startDaemon('tpm2-abrmd', '/usr/sbin/tpm2-abrmd', ['--session', '--allow-root', '--flush-all', `--tcti=swtpm:host=127.0.0.1,port=${port}`], { env: baseEnv });
    daemons.push(abrmd);
    const env: Record<string, string> = {
      DBUS_SESSION_BUS_ADDRESS: busAddress,
      TPM2_PKCS11_TCTI: TABRMD_TCTI,
      TPM2TOOLS_TCTI: TABRMD_TCTI,
      TPM2_PKCS11_STORE: join(dir, 'store'),
      // The module and the TSS libraries log to stderr by default (FIELD-NOTES); see the file comment.
      TSS2_LOG: 'all+NONE',
      TPM2_PKCS11_LOG_LEVEL: '0',
    };
    mkdirSync(env.TPM2_PKCS11_STORE!);
    const toolEnv = { ...baseEnv, ...env };
    // Ready when a TPM command goes through the resource manager (it registers on the bus after start-up).
    await waitUntil('tpm2-abrmd on the private bus', async () => (await run('/usr/bin/tpm2_getcap', ['properties-fixed'], { env: toolEnv, timeoutMs: 30_000 })).code === 0, {
      daemon: abrmd,
      timeoutMs: 60_000,
      intervalMs: 250,
    });

    await tool('/usr/bin/tpm2_ptool', ['init'], toolEnv, 'tpm2_ptool init');
    const addToken = async (t: TpmToken): Promise<void> => {
      await tool('/usr/bin/tpm2_ptool', ['addtoken', '--pid=1', `--label=${t.label}`, `--userpin=${t.pin}`, `--sopin=${t.soPin}`], toolEnv, `adding TPM token ${t.label}`);
      list.push(t);
    };
    const list: TpmToken[] = [];
    for (const t of tokens) await addToken(t);

    const lockoutCounter = async (): Promise<{ counter: number; max: number }> => {
      const text = await tool('/usr/bin/tpm2_getcap', ['properties-variable'], toolEnv, 'reading the DA counter');
      const fixed = await tool('/usr/bin/tpm2_getcap', ['properties-fixed'], toolEnv, 'reading the DA limit');
      const num = (t: string, name: string): number => {
        const m = new RegExp(`${name}:\\s*(?:raw:\\s*)?(0x[0-9a-fA-F]+|\\d+)`).exec(t);
        if (!m) throw new Error(`no ${name} in tpm2_getcap output:\n${t}`);
        return Number(m[1]);
      };
      return { counter: num(text, 'TPM2_PT_LOCKOUT_COUNTER'), max: num(text + fixed, 'TPM2_PT_MAX_AUTH_FAIL') };
    };

    return {
      modulePath: TPM2_PKCS11_MODULE,
      serial: '0000000000000000',
      tokens: list,
      env,
      dir,
      port,
      async clearLockout() {
        await tool('/usr/bin/tpm2_dictionarylockout', ['--clear-lockout'], toolEnv, 'clearing the TPM dictionary lockout');
      },
      lockoutCounter,
      addToken,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
