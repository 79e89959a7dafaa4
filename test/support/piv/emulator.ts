/**
 * Starts emulated YubiKeys (card.ts) in a child process each, connected to a private pcscd's vpcd reader.
 * The emulator sources are TypeScript; the child runs plain Node, so they are transpiled for each card
 * into a temporary folder, deleted once the child has loaded them (with a symlink to the project's node_modules for @noble/@peculiar).
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import type { TestAttestationPki } from './attestation-ca.js';
import { defaultCardConfig, type CardEvents, type PivCardConfig } from './card.js';
import { readerName } from './pcscd.js';

export { readerName };

const run = promisify(execFile);
const SOURCES = ['tlv.ts', 'card.ts', 'attestation-ca.ts', 'vpcd-link.ts', 'main.ts'];
const REPO = join(import.meta.dirname, '..', '..', '..');
/** Transpiles the emulator into a fresh folder; the child has loaded every module once it has connected, so the caller deletes it then. */
function compile(): string {
  const out = mkdtempSync(join(tmpdir(), 'piv-emulator-'));
  symlinkSync(join(REPO, 'node_modules'), join(out, 'node_modules'), 'dir');
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  for (const file of SOURCES) {
    const source = readFileSync(join(import.meta.dirname, file), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    writeFileSync(join(out, file.replace(/\.ts$/, '.js')), js);
  }
  return out;
}

export interface EmulatedYubiKey {
  config: PivCardConfig;
  events(): Promise<{ events: CardEvents; pinRetries: number }>;
  publicPoint(slot: number): Promise<Uint8Array | undefined>;
  setTouch(touch: PivCardConfig['touch']): Promise<void>;
  /** Pulls the card from the reader and ends its process. */
  stop(): Promise<void>;
}

let nextRequest = 1;

/** One control request; answers carry the request's id, so concurrent requests never cross. */
function request<T>(child: ChildProcess, message: object, answer: string): Promise<T> {
  const id = nextRequest++;
  return new Promise((resolve, reject) => {
    const onExit = () => reject(new Error('the PIV emulator process ended'));
    child.once('exit', onExit);
    const onMessage = (m: { type: string; message?: string; id?: number }) => {
      if (m.id !== id) return;
      if (m.type === answer) {
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m as T);
      } else if (m.type === 'error') {
        child.off('message', onMessage);
        child.off('exit', onExit);
        reject(new Error(`PIV emulator: ${m.message}`));
      }
    };
    child.on('message', onMessage);
    child.send({ ...message, id });
  });
}

/**
 * pcscd asks for the ATR while powering the card up, and publishes the reader as "card present" a poll
 * later; until then SCardConnect answers SCARD_E_NO_SMARTCARD. Ask the card its status through PC/SC
 * (yubico-piv-tool, read-only) until it answers.
 */
async function waitUntilUsable(readerIndex: number, env: NodeJS.ProcessEnv): Promise<void> {
  const started = Date.now();
  for (;;) {
    try {
      await run('yubico-piv-tool', ['-r', readerName(readerIndex), '-a', 'status'], { env, timeout: 30_000 });
      return;
    } catch (e) {
      if (Date.now() - started > 30_000) throw new Error(`the emulated card never became usable through pcscd: ${(e as { stderr?: string }).stderr ?? String(e)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export async function startEmulatedYubiKey(
  pcscd: { ports: number[]; env: NodeJS.ProcessEnv },
  index: number,
  overrides: Partial<PivCardConfig> = {},
  pki?: TestAttestationPki,
): Promise<EmulatedYubiKey> {
  const port = pcscd.ports[index];
  if (port === undefined) throw new Error(`the private pcscd has no reader ${index}`);
  const dir = compile();
  const config = defaultCardConfig({ ...overrides, ...(pki ? { attestation: { f9KeyPkcs8: pki.f9KeyPkcs8, f9CertDer: pki.f9CertDer } } : {}) });
  const child = fork(join(dir, 'main.js'), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // pcscd powers the card on and asks for its ATR once it sees it in the reader: then the card is usable.
  const inserted = new Promise<void>((resolve) => {
    const onAtr = (m: { type: string }) => {
      if (m.type === 'atr') {
        child.off('message', onAtr);
        resolve();
      }
    };
    child.on('message', onAtr);
  });
  try {
    await request(child, { type: 'start', config, port }, 'connected');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await Promise.race([inserted, new Promise((_, reject) => setTimeout(() => reject(new Error('pcscd never powered the emulated card')), 30_000))]);
  await waitUntilUsable(index, pcscd.env);
  let stopped = false;
  return {
    config,
    events: () => request<{ events: CardEvents; pinRetries: number }>(child, { type: 'events' }, 'events'),
    publicPoint: async (slot) => (await request<{ point?: Uint8Array }>(child, { type: 'public', slot }, 'public')).point,
    setTouch: async (touch) => {
      config.touch = touch;
      await request(child, { type: 'set-touch', touch }, 'ok');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
