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
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * At most two cards: Debian's vpcd (0.8) gives one reader two slots (ports P and P+1, readers
 * "… CCID 0 00 00" and "… CCID 0 00 01") and keeps its connections in one array indexed by the slot
 * number alone (ifd-vpcd.c `ctx[Lun & 0xffff]`), so a second reader entry collides with the first and
 * pcscd waits for it forever (measured).
 */
export async function startPcscd(cards = 1): Promise<PrivatePcscd> {
  if (cards < 1 || cards > 2) throw new Error(`a private pcscd with vpcd holds one or two emulated cards, not ${cards} (one reader, two slots)`);
  const dir = mkdtempSync(join(tmpdir(), 'piv-pcscd-'));
  const confDir = join(dir, 'reader.conf.d');
  const runDir = join(dir, 'run');
  mkdirSync(confDir);
  mkdirSync(runDir);
  const [port] = await freePortPairs(1);
  const ports = [port!, port! + 1].slice(0, cards);
  writeFileSync(
    join(confDir, 'vpcd-0'),
    ['FRIENDLYNAME "Yubico YubiKey OTP+FIDO+CCID 0"', `DEVICENAME /dev/null:${port}`, 'LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so', `CHANNELID ${port}`, ''].join('\n'),
  );
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
  const socketPath = join(runDir, 'pcscd.comm');
  const started = Date.now();
  while (!existsSync(socketPath)) {
    if (exited || Date.now() - started > 30_000) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
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
