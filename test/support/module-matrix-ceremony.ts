/**
 * The ceremony cases of the module matrix (issue #11, acceptance), registered by the per-module files
 * test/integration/modules-*.test.ts (one process per module: see module-matrix-tokens.ts):
 *
 * - a TUF root ceremony (`run PLAN --bindings FILE`) with three custodians on three tokens of the module
 *   (opencryptoki: RSA-PSS keys), interrupted right after Bob's root key was made and resumed — the key
 *   adopted from the token by CKA_ID and fingerprint —, every key on its token sensitive and not
 *   extractable, the transcript naming each token by serial and label; tuf-js refreshes from the result;
 * - a root rotation co-signed with `tuf-ceremony sign` on the tokens (Carol's key retired for a key made
 *   on Dave's token; Carol signs for the old root only, Dave for the new only, Alice for both) and merged;
 *   tuf-js walks v1 → v2;
 * - EC modules: a Notary root ceremony (three custodians, 2-of-3, the targets key on a token, timestamp and
 *   snapshot keys from a real notary-server on loopback) published to that server and listed by the real
 *   `notary` client; opencryptoki (no EC): the Notary plan refused before any PIN is asked — the tokens'
 *   wrong-PIN counters untouched although every PIN given is wrong.
 */
import { outFiles, readOut } from './ceremony-out.js';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTranscript } from '../../src/audit/verify.js';
import { reportError, type Io } from '../../src/cli/output.js';
import { runCommand, type RunDeps } from '../../src/cli/run.js';
import { moduleFileExists } from '../../src/io/softhsm.js';
import { getProfile } from '../../src/profiles/index.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { buildRotationPayload, buildSigningRequest, serializeSigningRequest } from '../../src/rotation/index.js';
import { formatExpires } from '../../src/tuf/dates.js';
import { applyEnv } from './daemons.js';
import { serveFiles } from './file-server.js';
import { cli, json } from './matrix-cli.js';
import { CUSTODIANS, type Custodian, type MatrixModule } from './module-matrix.js';
import { notaryClient, startNotaryServer } from './notary.js';
import { scanForSecrets } from './secret-scan.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const year = (n: number): string => `${new Date().getUTCFullYear() + n}-06-01T00:00:00Z`;
const NAMES: Record<Custodian, string> = { alice: 'Alice', bob: 'Bob', carol: 'Carol', dave: 'Dave' };
const ALGORITHM_FLAG = { 'ecdsa-p256': 'ecdsa-p256', 'rsa-pss-sha256': 'rsa-3072' } as const;

async function capture(fn: (io: Io) => Promise<number>): Promise<{ status: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) };
  let status: number;
  try {
    status = await fn(io);
  } catch (e) {
    status = reportError(io, e, false);
  }
  return { status, out, err };
}

const readBytes = (d: string, n: string): Uint8Array => new Uint8Array(readFileSync(join(d, n)));

/** tuf-js, trusting `trustedRoot`, refreshes from `files` (name → bytes) served on 127.0.0.1. */
async function tufJsRefresh(files: Map<string, Uint8Array>, trustedRoot: Uint8Array, scratch: string): Promise<string[]> {
  const served = await serveFiles(new Map([...files].map(([n, b]) => [`/metadata/${n}`, b])));
  const metadataDir = mkdtempSync(join(scratch, 'tufjs-md-'));
  const targetDir = mkdtempSync(join(scratch, 'tufjs-tg-'));
  writeFileSync(join(metadataDir, 'root.json'), trustedRoot);
  try {
    const updater = new Updater({ metadataDir, targetDir, metadataBaseUrl: `${served.base}/metadata`, targetBaseUrl: `${served.base}/targets`, config: { fetchRetries: 0 } });
    await updater.refresh();
    expect(await updater.getTargetInfo('nothing/here.txt')).toBeUndefined();
    return served.requests;
  } finally {
    await served.close();
  }
}

/**
 * `hosts`: custodians whose tokens are on another module in the TUF ceremony and the rotation (per-custodian
 * modules in the site bindings). opencryptoki needs it: one process can use only one of its soft tokens at
 * a time (opencryptoki.ts), so there Alice and Dave are on opencryptoki and Bob and Carol on the TPM.
 */
export function ceremonyCases(get: () => MatrixModule, opts: { hosts?: () => Partial<Record<Custodian, MatrixModule>> } = {}): void {
  describe('ceremonies', () => {
    let m: MatrixModule;
    let dir: string;
    let restorePins: (() => void) | undefined;

    beforeAll(() => {
      m = get();
      dir = mkdtempSync(join(tmpdir(), `tufc-ceremony-${m.name}-`));
      // `tokens` and `sign` read --pin-env from this process's environment.
      restorePins = applyEnv(pins());
    });
    afterAll(() => {
      restorePins?.();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const runDeps = (over: Partial<RunDeps> = {}): RunDeps => ({
      load: (path, opts) => TokenModule.load(path, opts),
      exists: moduleFileExists,
      platform: process.platform,
      env: pins(),
      interactive: false,
      promptPin: () => Promise.reject(new Error('no prompt in tests')),
      now: () => new Date(),
      ...over,
    });

    /** The module custodian `c`'s token is on. */
    const host = (c: Custodian): MatrixModule => opts.hosts?.()[c] ?? m;
    /** Every custodian's PIN variable, with the PIN of the token on their host module. */
    const pins = (): Record<string, string> => Object.fromEntries(CUSTODIANS.map((c) => [host(c).tokens[c].pinEnv, host(c).tokens[c].pin]));
    const tokenOf = (c: Custodian) => ({ serial: host(c).tokens[c].serial, label: host(c).tokens[c].label });

    function writeCeremony(name: string, plan: object): { planPath: string; bindingsPath: string; out: string } {
      const d = join(dir, name);
      mkdirSync(d, { recursive: true });
      const bytes = Buffer.from(JSON.stringify(plan, null, 2));
      const planPath = join(d, 'plan.json');
      writeFileSync(planPath, bytes);
      const bindingsPath = join(d, 'bindings.json');
      const custodians = Object.fromEntries(
        (['alice', 'bob', 'carol'] as const).map((c) => [NAMES[c], { pin: { env: m.tokens[c].pinEnv }, ...(host(c) !== m ? { module: host(c).binding } : {}) }]),
      );
      writeFileSync(bindingsPath, JSON.stringify({ format: 'tuf-ceremony-site-bindings', version: 1, planSha256: sha256(bytes), module: m.binding, custodians }));
      return { planPath, bindingsPath, out: join(d, 'out') };
    }

    const tufPlan = (prefix: string) => {
      const alg = m.keyAlgorithm;
      return {
        format: 'tuf-ceremony-plan',
        version: 1,
        kind: 'root',
        profile: 'tuf',
        repository: `example.com/matrix/${m.name}`,
        // Every module the CI has is a software token: the reviewed plan must say it accepts them (issue #11).
        allowSoftwareTokens: true,
        custodians: (['alice', 'bob', 'carol'] as const).map((c) => ({ name: NAMES[c], token: tokenOf(c), keyAlgorithm: alg, keyLabel: `${prefix}-root-${c}` })),
        root: { threshold: 2, expires: year(10) },
        targets: { key: { custodian: 'Alice', keyAlgorithm: alg, keyLabel: `${prefix}-targets` }, expires: year(3) },
        snapshot: { key: { custodian: 'Bob', keyAlgorithm: alg, keyLabel: `${prefix}-snapshot` }, expires: year(3) },
        timestamp: { key: { custodian: 'Carol', keyAlgorithm: alg, keyLabel: `${prefix}-timestamp` }, expires: year(1) },
      };
    };

    let tufOut: string | undefined;

    it('a plan that does not allow software tokens is refused at the first custodian’s token, before any PIN (SoftHSM2 is a rehearsal module, run as one)', async () => {
      const { allowSoftwareTokens: _allowed, ...plan } = tufPlan('refused');
      const w = writeCeremony('refused', plan);
      // Every PIN given is wrong: a token asked for one would count the try.
      const wrong = Object.fromEntries(Object.keys(pins()).map((k) => [k, '99999999']));
      const r = await capture((io) => runCommand(w.planPath, { bindings: w.bindingsPath, out: w.out }, io, runDeps({ env: wrong })));
      if (m.name === 'softhsm2') {
        // SoftHSM2 makes the run a rehearsal (transcript says so); the wrong PINs then fail at login.
        expect(r.err.join('\n')).toMatch(/^error\[PIN_INCORRECT\]/);
        return;
      }
      expect(r.status).toBe(3);
      expect(r.err.join('\n')).toMatch(/^error\[TOKEN_SOFTWARE\]: Alice's token .* is a software token .*no PIN was asked/);
      for (const c of ['alice', 'bob', 'carol'] as const) if (host(c).lockoutCounter) expect((await host(c).lockoutCounter!()).counter, c).toBe(0);
    });

    it('TUF root ceremony on three tokens, interrupted after Bob’s key was made and resumed; tuf-js accepts the result', async () => {
      const w = writeCeremony('tuf', tufPlan('tuf'));
      let once = true;
      const fault = (point: string): void => {
        if (once && point === 'generated:root/Bob') {
          once = false;
          throw new Error('token pulled');
        }
      };
      const first = await capture((io) => runCommand(w.planPath, { bindings: w.bindingsPath, out: w.out }, io, runDeps({ fault })));
      expect(first.status, first.err.join('\n')).toBe(1);
      expect(once).toBe(false);
      const second = await capture((io) => runCommand(w.planPath, { bindings: w.bindingsPath, out: w.out }, io, runDeps()));
      expect(second.err).toEqual([]);
      expect(second.status).toBe(0);

      const t = verifyTranscript(readOut(w.out, 'transcript.jsonl'));
      // Each token named by the pair (serial, label): on this module the serial alone may be shared.
      const checks = t.entries.filter((e) => e.step === 'token.check').map((e) => [e.actor.name, e.token!.serial, e.token!.label]);
      expect(checks).toEqual(expect.arrayContaining((['alice', 'bob', 'carol'] as const).map((c) => [NAMES[c], host(c).tokens[c].serial, c])));
      expect(t.entries.find((e) => e.step === 'key.generate' && e.actor.name === 'Bob' && e.token?.label === 'tuf-root-bob')!.note).toMatch(/adopted/);

      // The keys are on the tokens, sensitive and not extractable, one of each label: nothing made twice.
      const mods = new Map<string, TokenModule>();
      try {
        const found: Record<string, string[]> = {};
        for (const c of ['alice', 'bob', 'carol'] as const) {
          const path = host(c).modulePath;
          if (!mods.has(path)) mods.set(path, await TokenModule.load(path));
          const s = await mods.get(path)!.openToken(tokenOf(c));
          await s.login(host(c).tokens[c].pin);
          const keys = (await s.listKeys()).filter((k) => k.label.startsWith('tuf-'));
          for (const k of keys) expect([k.label, k.sensitive, k.extractable]).toEqual([k.label, true, false]);
          found[c] = keys.map((k) => k.label).sort();
          await s.close();
        }
        expect(found).toEqual({ alice: ['tuf-root-alice', 'tuf-targets'], bob: ['tuf-root-bob', 'tuf-snapshot'], carol: ['tuf-root-carol', 'tuf-timestamp'] });
      } finally {
        for (const mod of mods.values()) await mod.finalize();
      }

      const files = new Map(['1.root.json', 'root.json', 'timestamp.json', 'snapshot.json', 'targets.json'].map((n) => [n, readOut(w.out, n)]));
      const requests = await tufJsRefresh(files, readOut(w.out, '1.root.json'), dir);
      expect(requests).toEqual(expect.arrayContaining(['/metadata/2.root.json', '/metadata/timestamp.json', '/metadata/snapshot.json', '/metadata/targets.json']));
      for (const name of outFiles(w.out)) expect(scanForSecrets(new Uint8Array(readFileSync(join(w.out, name))), Object.values(pins())), name).toEqual([]);
      tufOut = w.out;
    });

    it('root rotation co-signed with `sign` on the tokens (Carol retired for Dave), merged; tuf-js walks v1 → v2', async () => {
      expect(tufOut, 'needs the TUF ceremony above').toBeDefined();
      const out = tufOut!;
      const rotation = join(dir, 'rotation');
      mkdirSync(rotation);
      const tokenArgs = (c: Custodian) => ['--module', host(c).cliModule, '--token', host(c).tokens[c].serial, '--token-label', host(c).tokens[c].label];
      // Dave's new key, made on his token; every root key exported for its key ID.
      await json(['tokens', 'generate', ...tokenArgs('dave'), '--algorithm', ALGORITHM_FLAG[m.keyAlgorithm as keyof typeof ALGORITHM_FLAG], '--label', 'tuf-root-dave', '--pin-env', m.tokens.dave.pinEnv]);
      const keys: Record<string, { json: Record<string, unknown>; keyId: string }> = {};
      for (const c of ['alice', 'bob', 'carol', 'dave'] as const) {
        const file = join(rotation, `${c}.key.json`);
        await json(['tokens', 'export', ...tokenArgs(c), '--label', `tuf-root-${c}`, '--out', file]);
        const key = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
        keys[c] = { json: key, keyId: getProfile('tuf').keyId(key as never) };
      }
      const rootV1 = readOut(out, 'root.json');
      const payload = buildRotationPayload(
        rootV1,
        { expires: formatExpires(new Date(Date.now() + 6 * 365 * 86_400_000)), root: { replace: [{ old: keys.carol!.keyId, new: { json: keys.dave!.json as never, name: 'Dave' }, reason: 'retired' }] } },
        { names: new Map((['alice', 'bob', 'carol'] as const).map((c) => [keys[c]!.keyId, NAMES[c]])) },
      );
      const requestPath = join(rotation, 'request.json');
      writeFileSync(requestPath, serializeSigningRequest(buildSigningRequest(payload, { repository: `example.com/matrix/${m.name}` })));

      const responses: string[] = [];
      for (const c of ['carol', 'dave', 'alice'] as const) {
        const response = join(rotation, `${c}.response.json`);
        const r = await cli(['sign', requestPath, '--out', response, ...tokenArgs(c), '--label', `tuf-root-${c}`, '--pin-env', m.tokens[c].pinEnv]);
        expect([c, r.status, r.err]).toEqual([c, 0, '']);
        // src/rotation/describe.ts names a key by ID, fingerprint and name (test/unit/rotation/names.test.ts).
        expect(r.out).toMatch(/named "Carol" is REPLACED by key [0-9a-f]{12}… \(fingerprint [0-9a-f ]+\) named "Dave"/);
        responses.push(response);
      }
      const rootV2Path = join(rotation, '2.root.json');
      const merged = await cli(['merge', requestPath, ...responses, '--out', rootV2Path]);
      expect(merged.status, merged.err).toBe(0);
      expect(merged.out).toMatch(/both thresholds met/);

      const files = new Map(['timestamp.json', 'snapshot.json', 'targets.json'].map((n) => [n, readOut(out, n)]));
      files.set('1.root.json', rootV1);
      files.set('2.root.json', new Uint8Array(readFileSync(rootV2Path)));
      const requests = await tufJsRefresh(files, rootV1, dir);
      expect(requests).toEqual(expect.arrayContaining(['/metadata/2.root.json', '/metadata/3.root.json', '/metadata/timestamp.json']));

      // Each response names the token that signed by the pair (serial, label): on a TPM the serial alone
      // names none (issue #11, "the transcript no longer says which token signed").
      for (const [i, c] of (['carol', 'dave', 'alice'] as const).entries()) {
        expect(JSON.parse(readFileSync(responses[i]!, 'utf8')).signer, c).toMatchObject({ name: NAMES[c], token: { serial: host(c).tokens[c].serial, label: host(c).tokens[c].label } });
      }
    });

    it('Notary root ceremony: EC modules publish to notary-server and the notary client lists it; without EC (opencryptoki) the plan is refused before any PIN is asked', async () => {
      const gun = `registry.example.com/matrix/${m.name}`;
      const server = await startNotaryServer();
      try {
        const d = join(dir, 'notary');
        mkdirSync(d, { recursive: true });
        const ts = await server.tufFile(gun, 'timestamp.key');
        const sn = await server.tufFile(gun, 'snapshot.key');
        writeFileSync(join(d, 'timestamp.key'), ts);
        writeFileSync(join(d, 'snapshot.key'), sn);
        const plan = {
          format: 'tuf-ceremony-plan',
          version: 1,
          kind: 'root',
          profile: 'notary',
          repository: gun,
          allowSoftwareTokens: true,
          custodians: (['alice', 'bob', 'carol'] as const).map((c) => ({ name: NAMES[c], token: tokenOf(c), keyAlgorithm: 'ecdsa-p256', keyLabel: `notary-root-${c}` })),
          root: { threshold: 2, expires: year(10) },
          targets: { key: { custodian: 'Carol', keyAlgorithm: 'ecdsa-p256', keyLabel: 'notary-targets' }, expires: year(3) },
          snapshot: { keyFile: 'snapshot.key', sha256: sha256(sn) },
          timestamp: { keyFile: 'timestamp.key', sha256: sha256(ts) },
        };
        const w = writeCeremony('notary', plan);
        if (!m.ec) {
          // Every PIN given is wrong: a token asked for one would count the try (opencryptoki sets COUNT_LOW,
          // a TPM its dictionary-attack counter). Alice's token, the first checked, cannot make EC keys.
          const wrong = Object.fromEntries(Object.keys(pins()).map((k) => [k, '99999999']));
          const r = await capture((io) => runCommand(w.planPath, { bindings: w.bindingsPath, out: w.out }, io, runDeps({ env: wrong })));
          expect(r.status).not.toBe(0);
          expect(r.err.join('\n')).toMatch(/^error\[MECHANISM_UNSUPPORTED\]: .*ECDSA P-256/);
          const listing = await json(['tokens', '--module', m.cliModule]);
          const tokens = (listing.modules as { slots: { token: { label: string; pinStatus: string } | null }[] }[])[0]!.slots.flatMap((s) => (s.token ? [s.token] : []));
          expect(tokens.find((t) => t.label === m.tokens.alice.label)?.pinStatus).toBe('ok');
          for (const c of ['bob', 'carol'] as const) if (host(c).lockoutCounter) expect((await host(c).lockoutCounter!()).counter, c).toBe(0);
          return;
        }
        const r = await capture((io) => runCommand(w.planPath, { bindings: w.bindingsPath, out: w.out }, io, runDeps()));
        expect(r.err).toEqual([]);
        expect(r.status).toBe(0);
        const form = new FormData();
        for (const role of ['root', 'targets']) form.append('files', new Blob([Buffer.from(readOut(w.out, `${role}.json`))]), role);
        const res = await fetch(`${server.url}/v2/${gun}/_trust/tuf/`, { method: 'POST', body: form });
        expect(res.status, await res.text()).toBe(200);
        const client = notaryClient({ serverUrl: server.url });
        try {
          const list = await client.run(['list', gun]);
          expect(list.code, list.stdout + list.stderr).toBe(0);
          expect(list.stdout).toMatch(/No targets present/);
          expect(readBytes(client.metadataDir(gun), 'root.json')).toEqual(readOut(w.out, 'root.json'));
        } finally {
          rmSync(client.trustDir, { recursive: true, force: true });
        }
      } finally {
        await server.stop();
      }
    });
  });
}
