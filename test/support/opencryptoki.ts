/**
 * opencryptoki's soft token (IBM SoftTok) for integration tests, with its own slot daemon. Measured on
 * Debian 12 (opencryptoki 3.8.1):
 *
 * - Everything of opencryptoki is host-global and at fixed paths: `pkcsslotd` reads only
 *   /etc/opencryptoki/opencryptoki.conf, listens on /var/run/pkcsslotd.socket, writes
 *   /var/run/pkcsslotd.pid, keeps a SysV shared-memory segment, and the soft token keeps its data in
 *   /var/lib/opencryptoki/<tokname> (default `swtok`). Its man page: "Only one instance of the pkcsslotd
 *   daemon should be running on any given host". The client library (libopencryptoki.so) learns the slots
 *   from the daemon over the socket, not from the configuration file.
 * - Debian's configuration lists slots 0–4 (tpm, ica, cca, sw, ep11) and only one soft token; several soft
 *   tokens need one slot each with `stdll = libpkcs11_sw.so` and an (undocumented in 3.8's man page, but
 *   parsed: `strings pkcsslotd`) `tokname = NAME`, which gives each its own /var/lib/opencryptoki/NAME.
 * - So this harness, under an exclusive lock (one opencryptoki test at a time on the machine), writes its
 *   own configuration in a temp dir and starts pkcsslotd in a private mount namespace where that file is
 *   bind-mounted over /etc/opencryptoki/opencryptoki.conf (`unshare -m`, root only): /etc is never
 *   changed, and the socket, pid file and shared memory are the real ones the in-process client finds.
 *   Its token data dirs (`tufc-test-N`) are wiped before and after.
 * - pkcsslotd forks into the background (the started process exits at once); the daemon's pid is in the
 *   pid file. After SIGTERM it removes its shared memory but leaves the pid file.
 * - Every soft token reports serial `123`, model "IBM SoftTok", manufacturer "IBM Corp.", PIN length 4–8,
 *   slot flags without CKF_HW_SLOT. A fresh token has flags USER_PIN_TO_BE_CHANGED | SO_PIN_TO_BE_CHANGED;
 *   the SO PIN is 87654321. Initialising: `pkcsconf -I -c SLOT -S 87654321` (asks the label on stdin),
 *   `-P` (new SO PIN), `-u` (SO sets a user PIN, which must then be changed), `-p` (user changes it).
 * - Wrong PINs (measured): the 1st sets CKF_USER_PIN_COUNT_LOW, the 2nd CKF_USER_PIN_FINAL_TRY, the 3rd
 *   CKF_USER_PIN_LOCKED; the next login is CKR_PIN_LOCKED even with the right PIN. The SO setting a new user
 *   PIN (`pkcsconf -u`, C_InitPIN) unlocks it.
 * - Several soft tokens in ONE process share one instance of the soft-token library (libpkcs11_sw.so is
 *   loaded once for all its slots): after C_Login on one token, C_Login on another returns
 *   CKR_USER_ALREADY_LOGGED_IN whatever PIN is given (before that login, a wrong PIN is CKR_PIN_INCORRECT):
 *   the second token's PIN is not checked at all; a C_Logout on one invalidates the private
 *   key handles of the others (CKR_KEY_HANDLE_INVALID); through our stack, a signature by Alice's key after
 *   Bob's token was logged in and made a key does not verify (measured, bare graphene-pk11 and TokenKey). So
 *   one process can use only one opencryptoki soft token at a time: a ceremony that holds three custodians'
 *   tokens at once cannot run on three of them.
 * - Mechanisms: RSA only (CKM_RSA_PKCS_KEY_PAIR_GEN 512–4096, CKM_RSA_PKCS_PSS and SHA*_RSA_PKCS_PSS
 *   1024–4096); no EC at all in Debian's build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './notary.js';
import { waitUntil } from './daemons.js';

export const OPENCRYPTOKI_MODULE = '/usr/lib/x86_64-linux-gnu/pkcs11/libopencryptoki.so';
export const OPENCRYPTOKI_DEFAULT_SO_PIN = '87654321';
const PKCSSLOTD = '/usr/sbin/pkcsslotd';
const PKCSCONF = '/usr/sbin/pkcsconf';
const PID_FILE = '/var/run/pkcsslotd.pid';
const SOCKET = '/var/run/pkcsslotd.socket';
const DATA = '/var/lib/opencryptoki';
const LOCK = '/var/lock/tuf-ceremony-opencryptoki-tests.lock';
const TOKNAME = (i: number): string => `tufc-test-${i}`;

export interface OckToken {
  label: string;
  /** 4–8 characters. */
  pin: string;
  /** 4–8 characters; replaces the default 87654321. */
  soPin: string;
}

export interface OpenCryptoki {
  modulePath: string;
  /** Every soft token's serial (the same for all: `123`). */
  serial: string;
  tokens: (OckToken & { slot: number })[];
  /**
   * Unlock a token's user PIN the way its owner would: the SO sets a new user PIN (C_InitPIN, which
   * clears CKF_USER_PIN_LOCKED — measured), the user sets theirs back.
   */
  resetUserPin(label: string): Promise<void>;
  stop(): Promise<void>;
}

function daemonPid(): number | undefined {
  if (!existsSync(PID_FILE)) return undefined;
  const pid = Number(readFileSync(PID_FILE, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie (state Z: exited, waiting to be reaped by whoever adopted it) is gone for our purpose.
    if (!/\(pkcsslotd\)/.test(stat) || / Z /.test(stat)) return undefined;
    return pid;
  } catch {
    return undefined;
  }
}

/** A daemon left by a crashed run of this harness has our configuration bind-mounted in its namespace. */
function isOurs(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/mountinfo`, 'utf8').includes('tufc-opencryptoki-');
  } catch {
    return false;
  }
}

/**
 * SIGTERM, then SIGKILL: measured, pkcsslotd ignores SIGTERM while a process still has the library
 * initialised (a test that failed before C_Finalize); the shared memory it then leaves is reused by the
 * next daemon.
 */
async function killAndWait(pid: number): Promise<void> {
  process.kill(pid, 'SIGTERM');
  try {
    await waitUntil(`pkcsslotd (pid ${pid}) to exit`, async () => daemonPid() !== pid, { timeoutMs: 10_000 });
  } catch {
    process.kill(pid, 'SIGKILL');
    await waitUntil(`pkcsslotd (pid ${pid}) to exit after SIGKILL`, async () => daemonPid() !== pid, { timeoutMs: 10_000 });
  }
}

/** Hold an exclusive lock (flock(1)) until `release()`, or until this process dies (its stdin closes). */
async function takeLock(timeoutMs: number): Promise<() => Promise<void>> {
  const child: ChildProcess = spawn('/usr/bin/flock', ['-o', '-w', String(Math.ceil(timeoutMs / 1000)), LOCK, 'sh', '-c', 'echo locked; read x'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      if (out.includes('locked')) resolve();
    });
    child.stderr!.on('data', (b: Buffer) => (out += b.toString('utf8')));
    void exited.then((code) => reject(new Error(`could not take ${LOCK} (flock exited ${String(code)}): ${out}`)));
  });
  return async () => {
    child.stdin!.end('\n');
    await exited;
  };
}

function wipeTokenData(count: number): void {
  for (let i = 0; i < count; i++) {
    rmSync(join(DATA, TOKNAME(i)), { recursive: true, force: true });
    rmSync(join('/var/lock/opencryptoki', TOKNAME(i)), { recursive: true, force: true });
  }
}

async function pkcsconf(args: string[], input = ''): Promise<void> {
  const r = await run(PKCSCONF, args, { input, timeoutMs: 60_000 });
  // pkcsconf exits 0 even on some failures; it prints "Error" / "rc = 0x…" then.
  if (r.code !== 0 || /error|rc = 0x/i.test(r.stdout + r.stderr)) {
    throw new Error(`pkcsconf ${args.filter((a, i) => !['-S', '-U', '-n'].includes(args[i - 1] ?? '')).join(' ')} failed (exit ${String(r.code)}): ${r.stdout} ${r.stderr}`);
  }
}

/**
 * Start pkcsslotd with one soft token per entry of `tokens` (slots 0, 1, …), initialised with their
 * labels, SO PINs and user PINs. `stop()` stops the daemon and deletes the tokens' data.
 */
export async function startOpenCryptoki(tokens: OckToken[]): Promise<OpenCryptoki> {
  for (const f of [PKCSSLOTD, PKCSCONF, OPENCRYPTOKI_MODULE, '/usr/bin/unshare', '/usr/bin/flock']) {
    if (!existsSync(f)) throw new Error(`${f} is missing: install Debian's opencryptoki (and util-linux), see .ci/run`);
  }
  if (process.getuid?.() !== 0) throw new Error('the opencryptoki harness needs root (pkcsslotd, unshare -m)');
  const release = await takeLock(600_000);
  const dir = mkdtempSync(join(tmpdir(), 'tufc-opencryptoki-'));
  let started: number | undefined;
  const stop = async (): Promise<void> => {
    try {
      if (started !== undefined && daemonPid() === started) await killAndWait(started);
      if (started !== undefined) {
        rmSync(PID_FILE, { force: true });
        rmSync(SOCKET, { force: true });
      }
      wipeTokenData(tokens.length);
      rmSync(dir, { recursive: true, force: true });
    } finally {
      await release();
    }
  };
  try {
    const running = daemonPid();
    if (running !== undefined) {
      if (!isOurs(running)) throw new Error(`pkcsslotd is already running (pid ${running}) with the machine's configuration: stop it for these tests (they start their own)`);
      await killAndWait(running);
    }
    wipeTokenData(tokens.length);
    const conf = join(dir, 'opencryptoki.conf');
    writeFileSync(
      conf,
      `version opencryptoki-3.1\n\n${tokens.map((_, i) => `slot ${i}\n{\nstdll = libpkcs11_sw.so\ntokname = ${TOKNAME(i)}\ndescription = "tuf-ceremony test soft token ${i}"\n}\n`).join('\n')}`,
    );
    const r = await run('/usr/bin/unshare', ['-m', 'sh', '-c', `mount --bind "$1" /etc/opencryptoki/opencryptoki.conf && exec ${PKCSSLOTD}`, 'sh', conf], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`starting pkcsslotd failed (exit ${String(r.code)}): ${r.stdout} ${r.stderr}`);
    await waitUntil('pkcsslotd to write its pid file and socket', async () => daemonPid() !== undefined && existsSync(SOCKET), { timeoutMs: 30_000 });
    started = daemonPid();

    const setUserPin = async (slot: number, t: OckToken): Promise<void> => {
      // The SO sets a first user PIN, which the token marks "to be changed"; the user then sets theirs.
      const first = t.pin === '1111' ? '2222' : '1111';
      await pkcsconf(['-u', '-c', String(slot), '-S', t.soPin, '-n', first]);
      await pkcsconf(['-p', '-c', String(slot), '-U', first, '-n', t.pin]);
    };
    const out: (OckToken & { slot: number })[] = [];
    for (const [slot, t] of tokens.entries()) {
      const c = String(slot);
      await pkcsconf(['-I', '-c', c, '-S', OPENCRYPTOKI_DEFAULT_SO_PIN], `${t.label}\n`);
      if (t.soPin !== OPENCRYPTOKI_DEFAULT_SO_PIN) await pkcsconf(['-P', '-c', c, '-S', OPENCRYPTOKI_DEFAULT_SO_PIN, '-n', t.soPin]);
      await setUserPin(slot, t);
      out.push({ ...t, slot });
    }
    return {
      modulePath: OPENCRYPTOKI_MODULE,
      serial: '123',
      tokens: out,
      async resetUserPin(label) {
        const t = out.find((x) => x.label === label);
        if (!t) throw new Error(`no opencryptoki test token labelled ${label}`);
        await setUserPin(t.slot, t);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
