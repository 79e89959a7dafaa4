/**
 * Output to a closed pipe (`tuf-ceremony … | head`): the compiled CLI, as users run it, with its stdout (and
 * stderr) pipe closed by the reader before the command writes anything. Node reports the failed write as
 * an EPIPE 'error' event; unhandled it killed the process with a stack trace — `sign` before it wrote its
 * response. The command must finish its work (the response file written and valid), exit with its own
 * status, and print no stack trace. `tokens generate … | head -n 1` runs through a real shell pipeline on a
 * SoftHSM2 token: the key is made, head sees the first line, nothing else is said.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, type BuiltCli } from '../support/cli-build.js';
import { buildRotationPayload, buildSigningRequest, parseSignatureResponse, serializeSigningRequest, type SigningRequest } from '../../src/rotation/index.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { backupOnShareCards, EXPIRES_V2, makeCustodian, rootFixture } from '../unit/rotation/support.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const PIN = 'Zq7-closed-pipe-pin';
const PIN_VAR = 'TUFC_TEST_CLOSED_PIPE_PIN';

let cli: BuiltCli;
let dir: string;
let request: SigningRequest;
let requestPath: string;
let cardPaths: string[];

beforeAll(async () => {
  cli = builtCli();
  dir = mkdtempSync(join(tmpdir(), 'tufc-closed-pipe-'));
  const cards = await backupOnShareCards(dir);
  cardPaths = cards.cardPaths;
  const fx = await rootFixture('tuf', ['Alice', 'Bob', cards.backup]);
  const dave = await makeCustodian('tuf', 'Dave');
  const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: fx.custodians[0]!.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'lost' }] } }, { names: fx.names });
  request = buildSigningRequest(payload, { repository: 'example-repo' });
  requestPath = join(dir, 'request.json');
  writeFileSync(requestPath, serializeSigningRequest(request));
}, 180_000);

afterAll(() => {
  cli?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Run the CLI with stdout (and, when `closeStderr`, stderr) a pipe whose read end this process closes at
 * once — long before the child has started Node and written a byte, so every write it makes fails.
 */
function runWithClosedPipe(args: string[], closeStderr: boolean): Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [...cli.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    if (closeStderr) child.stderr.destroy();
    else child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status, signal) => resolveRun({ status, signal, stderr }));
  });
}

describe('the CLI with its output pipe closed early', () => {
  it('sign: the review goes nowhere, the response is still written and valid, exit 0, no stack trace', async () => {
    const out = join(dir, 'backup.response.json');
    const r = await runWithClosedPipe(['sign', requestPath, '--out', out, '--share-card', ...cardPaths], false);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|at .*\.js:\d+/);
    expect(r).toMatchObject({ status: 0, signal: null });
    const response = parseSignatureResponse(readFileSync(out));
    expect(response).toMatchObject({ requestId: request.requestId, payloadSha256: request.payloadSha256, signer: { name: 'Backup' } });
  }, 120_000);

  it('sign --json with stdout and stderr both closed: the response is written, exit 0', async () => {
    const out = join(dir, 'backup.response-2.json');
    const r = await runWithClosedPipe(['sign', requestPath, '--out', out, '--share-card', ...cardPaths, '--json'], true);
    expect(r).toMatchObject({ status: 0, signal: null });
    expect(parseSignatureResponse(readFileSync(out)).requestId).toBe(request.requestId);
  }, 120_000);

  it('a refusal keeps its exit status when nobody reads it (sign: response exists → exit 2, nothing overwritten)', async () => {
    const out = join(dir, 'backup.response.json');
    const before = readFileSync(out);
    const r = await runWithClosedPipe(['sign', requestPath, '--out', out, '--share-card', ...cardPaths], false);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error\[OUTPUT_EXISTS\]/);
    expect(readFileSync(out)).toEqual(before);
  }, 120_000);

  it('--help | (closed): exit 0, no stack trace', async () => {
    const r = await runWithClosedPipe(['--help'], false);
    expect(r).toMatchObject({ status: 0, signal: null, stderr: '' });
  }, 60_000);
});

describe('tokens generate … | head -n 1 (a shell pipeline, SoftHSM2)', () => {
  let tokenDir: string;
  let serial: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    if (!existsSync(SOFTHSM)) throw new Error(`${SOFTHSM} is missing: install Debian's softhsm2 (apt-get install softhsm2)`);
    tokenDir = mkdtempSync(join(tmpdir(), 'tufc-closed-pipe-token-'));
    mkdirSync(join(tokenDir, 'tokens'));
    const conf = join(tokenDir, 'softhsm2.conf');
    writeFileSync(conf, `directories.tokendir = ${join(tokenDir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
    env = { ...process.env, SOFTHSM2_CONF: conf, [PIN_VAR]: PIN };
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'pipe-custodian', '--pin', PIN, '--so-pin', '12345678'], { env, encoding: 'utf8' });
    serial = /Serial number:\s+([0-9a-f]{16})/.exec(execFileSync('softhsm2-util', ['--show-slots'], { env, encoding: 'utf8' }))![1]!;
  });

  afterAll(() => {
    if (tokenDir) rmSync(tokenDir, { recursive: true, force: true });
  });

  it('the key is made on the token, head prints one line, the CLI exits 0 without a stack trace', () => {
    const errFile = join(tokenDir, 'stderr.txt');
    const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, ...cli.args, 'tokens', 'generate', '--module', 'softhsm2', '--token', serial, '--token-label', 'pipe-custodian', '--algorithm', 'ecdsa-p256', '--label', 'piped', '--pin-env', PIN_VAR].map(quote).join(' ');
    // pipefail: the pipeline's status is the CLI's when it fails (a crash is 1, or 7 for an uncaught error).
    const shown = execFileSync('bash', ['-c', `set -o pipefail; ${command} 2>${quote(errFile)} | head -n 1`], { env, encoding: 'utf8' });
    expect(shown.trim().split('\n')).toHaveLength(1);
    expect(readFileSync(errFile, 'utf8')).not.toMatch(/EPIPE|Unhandled|at .*\.js:\d+/);
    // The key exists on the token: export finds it by its label.
    const exported = execFileSync(process.execPath, [...cli.args, 'tokens', 'export', '--module', 'softhsm2', '--token', serial, '--label', 'piped', '--json'], { env, encoding: 'utf8' });
    expect(JSON.parse(exported)).toMatchObject({ profile: 'tuf' });
  }, 120_000);
});
