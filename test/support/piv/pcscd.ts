/**
 * A private pcscd for one test: its own reader configuration (vsmartcard's vpcd driver on free ports,
 * reader names beginning "Yubico" because ykcs11 2.2.0 only talks to readers so named — ykcs11/utils.c
 * is_yubico_reader) and its own socket directory, so the machine's pcscd and /run/pcscd are never touched.
 *
 * pcsc-lite 1.9.9's daemon has its socket path compiled in (/run/pcscd/pcscd.comm), so it runs in a
 * private mount namespace (`unshare --mount`) where a temporary folder is bind-mounted over /run/pcscd;
 * clients (ykcs11, yubico-piv-tool) find it through PCSCLITE_CSOCK_NAME, which libpcsclite reads. The
 * daemon runs in the foreground with its log discarded; stop() ends it by its process id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivatePcscd {
  /** One vpcd port per card, in order; a card (the emulator) connects to it as a TCP client. */
  ports: number[];
  /** PCSCLITE_CSOCK_NAME for clients of this daemon. */
  socketPath: string;
  /** Environment for child processes (yubico-piv-tool) that should use this daemon. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** vpcd listens on its configured port and the next one (two card slots per reader entry). */
async function freePortPairs(count: number): Promise<number[]> {
  const out: number[] = [];
  let candidate = 20_000 + Math.floor(Math.random() * 20_000) * 2;
  while (out.length < count) {
    if ((await portFree(candidate)) && (await portFree(candidate + 1))) out.push(candidate);
    candidate += 2;
  }
  return out;
}

/** Reader entry `entry` (two card slots, ports P and P+1) is named so; pcscd appends " 00 <slot>". */
const friendlyName = (entry: number): string => `Yubico YubiKey OTP+FIDO+CCID ${entry}`;

/** The PC/SC name pcscd gives card `index`: entry index/2, slot index%2 (pcscd: "<FRIENDLYNAME> %02X %02X"). */
export function readerName(index: number): string {
  return `${friendlyName(Math.floor(index / 2))} 00 0${index % 2}`;
}

const VPCD = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';

/**
 * Any number of cards, two per reader entry. Debian's vpcd (0.8) gives one reader two slots (ports P and
 * P+1) and keeps its connections in ONE static array indexed by the slot number alone (ifd-vpcd.c
 * `static struct vicc_ctx *ctx[VICC_MAX_SLOTS]`, `ctx[Lun & 0xffff]`): two reader entries loading the same
 * library would share that array, and the second overwrites the first (pcscd then waits forever —
 * measured). So every entry after the first loads its own COPY of the driver, in this pcscd's temporary
 * folder: pcsc-lite shares a driver between entries only when their LIBPATH strings are equal, and glibc's
 * dlopen maps a file again when its path and its device+inode differ from every loaded object's, so each
 * copy gets its own static array (RTLD_LOCAL: nothing of one copy interposes on another).
 */
export async function startPcscd(cards = 1): Promise<PrivatePcscd> {
  if (!Number.isInteger(cards) || cards < 1 || cards > 16) throw new Error(`a private pcscd holds 1 to 16 emulated cards (pcsc-lite has 16 reader contexts; a vpcd entry takes two), not ${cards}`);
  const dir = mkdtempSync(join(tmpdir(), 'piv-pcscd-'));
  try {
    return await startIn(dir, cards);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function startIn(dir: string, cards: number): Promise<PrivatePcscd> {
  const confDir = join(dir, 'reader.conf.d');
  const runDir = join(dir, 'run');
  const libDir = join(dir, 'drivers');
  mkdirSync(confDir);
  mkdirSync(runDir);
  mkdirSync(libDir);
  const entries = Math.ceil(cards / 2);
  const bases = await freePortPairs(entries);
  const ports = bases.flatMap((p) => [p, p + 1]).slice(0, cards);
  bases.forEach((port, entry) => {
    let libPath = VPCD;
    if (entry > 0) {
      libPath = join(libDir, `libifdvpcd-${entry}.so`);
      copyFileSync(VPCD, libPath);
    }
    writeFileSync(join(confDir, `vpcd-${entry}`), [`FRIENDLYNAME "${friendlyName(entry)}"`, `DEVICENAME /dev/null:${port}`, `LIBPATH ${libPath}`, `CHANNELID ${port}`, ''].join('\n'));
  });
  mkdirSync('/run/pcscd', { recursive: true });
  let log = '';
  const child: ChildProcess = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$1" /run/pcscd && exec pcscd --foreground --critical -c "$2"', 'sh', runDir, confDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  // unshare missing or not executable: no 'exit' follows, and an unheard 'error' would end the test process.
  child.once('error', (e) => {
    log += String(e);
    exited = true;
  });
  const socketPath = join(runDir, 'pcscd.comm');
  const started = Date.now();
  while (!existsSync(socketPath)) {
    if (exited || Date.now() - started > 30_000) {
      child.kill('SIGKILL');
      throw new Error(`private pcscd did not start (needs root for unshare --mount): ${log.trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    ports,
    socketPath,
    env: { ...process.env, PCSCLITE_CSOCK_NAME: socketPath },
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exitedPromise;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
