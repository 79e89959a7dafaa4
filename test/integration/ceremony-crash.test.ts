/**
 * Issue #4 acceptance "Crash test: the ceremony process killed at each step boundary resumes or restarts
 * cleanly, with no partial output file". The real CLI (`tuf-ceremony run PLAN --bindings B --out DIR`, the
 * compiled core, PINs from environment variables the bindings name) runs a TUF root ceremony on three
 * SoftHSM2 tokens as a child process. Each run is SIGKILLed as soon as it prints the progress line of the
 * next boundary (a step starting, and inside the two steps that touch tokens most: after a key was made,
 * after a signature was asked for), then the same command is run again; the last run goes to the end.
 *
 * After every kill: each file in DIR is either one of the ceremony's outputs, complete (JSON parses,
 * metadata parses, a share card passes its checksums, the transcript's chain verifies, HTML is whole), or
 * a hidden temporary file of the atomic writer (`.NAME.<hex>.tmp`), which is never taken for an output.
 * Temp files planted after one kill (as a kill inside the atomic writer leaves them) are removed by the next
 * run, and look-alikes are not.
 * At the end: the repository verifies (verifyRepository, pinned to the new root), the transcript verifies
 * and is sealed with one `ceremony.resume` entry per interrupted run, and the tokens hold exactly the keys
 * the plan asks for — none made twice.
 *
 * The same for a multi-repository plan (issue #17: 2 Notary + 3 TUF repositories sharing the custodians'
 * keys, on the same tokens under other labels), killed among the shared keys, after repository 2 was
 * recorded, between two files of repository 3, while repository 4's root was half signed, and after the key
 * inventory: the end result has exactly the files an uninterrupted run writes, files written before a kill
 * never change, tuf-js follows every TUF repository and every Notary one passes the per-GUN certificate
 * rules, the transcript verifies with one `ceremony.resume` per kill, and each key is on its token once.
 *
 * The CLI runs from a build of the current sources: dist/ when it is newer than every source file (as
 * `npm run build` leaves it: then `node bin/tuf-ceremony.js`), otherwise a private build of the same
 * tsconfig.build.json into a temporary folder (so this test never rewrites the shared dist/).
 */
import { outFiles, outPath, readOut } from '../support/ceremony-out.js';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyTranscript } from '../../src/audit/verify.js';
import { INVENTORY_FILE, parseInventory } from '../../src/ceremony/inventory.js';
import { allOutputNames, metadataFileNames, parsePlan, STATE_FILE, STEPS, TRANSCRIPT_FILE, TRANSCRIPT_HTML, type CeremonyPlan } from '../../src/ceremony/index.js';
import { parseShareCard } from '../../src/shamir/card.js';
import { parseAnyPlan } from '../../src/ceremony/multi-plan.js';
import { listPublicKey } from '../../src/signers/public-key-json.js';
import { SoftwareKey } from '../../src/signers/software.js';
import { checkNotaryRootCertificates } from '../../src/tuf/notary-root.js';
import type { JsonObject } from '../../src/json/types.js';
import { Updater } from 'tuf-js';
import { serveFiles } from '../support/file-server.js';
import { resolvePreset } from '../../src/signers/pkcs11/presets.js';
import { TokenModule } from '../../src/signers/pkcs11/token.js';
import { parseMetadata } from '../../src/tuf/metadata.js';
import { verifyRepository } from '../../src/tuf/repository.js';
import { builtCli, type BuiltCli } from '../support/cli-build.js';
import { tokenPlanRoles, writePlanAndBindings, type PlanCustodianToken } from '../support/ceremony-plan.js';

const SOFTHSM = resolvePreset('softhsm2', process.platform, existsSync);
const SO_PIN = '12345678';
const CUSTODIANS = [
  { name: 'Alice', label: 'crash-alice', env: 'CRASH_ALICE_PIN', pin: 'alice-crash-1111' },
  { name: 'Bob', label: 'crash-bob', env: 'CRASH_BOB_PIN', pin: 'bob-crash-2222' },
  { name: 'Carol', label: 'crash-carol', env: 'CRASH_CAROL_PIN', pin: 'carol-crash-3333' },
] as const;
/** The hidden temporary file writeFileAtomic (src/io/files.ts) renames or links into place. */
const ATOMIC_TEMP = /^\..+\.[0-9a-f]{12}\.tmp$/;
const year = (n: number): string => `${new Date().getUTCFullYear() + n}-06-01T00:00:00Z`;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
/** The three tokens by serial, as the plans name them. */
const planTokens = () => CUSTODIANS.map((c) => ({ name: c.name, serial: serials[c.label]! })) as [PlanCustodianToken, PlanCustodianToken, PlanCustodianToken];

let dir: string;
let cli: BuiltCli | undefined;
/** node + these arguments = the CLI. */
let cliArgs: string[];
let childEnv: NodeJS.ProcessEnv;
const serials: Record<string, string> = {};

beforeAll(async () => {
  if (!existsSync(SOFTHSM)) throw new Error(`${SOFTHSM} is missing: install Debian's softhsm2 (apt-get install softhsm2)`);
  dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-crash-'));

  // The CLI: dist/ if it is a build of the current sources, else a private build of them.
  cli = builtCli();
  // The CLI's `run` with one test hook: at a fault point matching CRASH_HOLD_AT (a regular expression) it
  // prints "HOLD <point>" and waits there for the kill. Kills inside key generation land at such a point,
  // never while SoftHSM2 writes a token: its file store is not crash-safe (a kill mid-write can leave a
  // token unreadable — a property of the stand-in, not of hardware tokens or of this code).
  const wrapper = join(dir, 'run-with-holds.mjs');
  writeFileSync(
    wrapper,
    [
      `import { writeSync } from 'node:fs';`,
      `const { runCommand, defaultRunDeps } = await import(${JSON.stringify(pathToFileURL(join(cli.srcDir, 'cli', 'run.js')).href)});`,
      `const { processIo } = await import(${JSON.stringify(pathToFileURL(join(cli.srcDir, 'cli', 'output.js')).href)});`,
      `const hold = process.env.CRASH_HOLD_AT ? new RegExp(process.env.CRASH_HOLD_AT) : undefined;`,
      `const fault = async (point) => {`,
      `  if (!hold || !hold.test(point)) return;`,
      `  writeSync(1, 'HOLD ' + point + '\\n');`,
      `  setInterval(() => undefined, 1 << 30);`,
      `  await new Promise(() => undefined);`,
      `};`,
      `const [, , cmd, plan, , bindings, , out] = process.argv;`,
      `if (cmd !== 'run') throw new Error('run-with-holds: only "run PLAN --bindings B --out DIR"');`,
      `process.exitCode = await runCommand(plan, { bindings, out }, processIo, { ...defaultRunDeps, fault });`,
    ].join('\n'),
  );
  cliArgs = [wrapper];

  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  childEnv = { ...process.env, SOFTHSM2_CONF: conf, ...Object.fromEntries(CUSTODIANS.map((c) => [c.env, c.pin])) };
  for (const c of CUSTODIANS) execFileSync('softhsm2-util', ['--init-token', '--free', '--label', c.label, '--pin', c.pin, '--so-pin', SO_PIN], { env: childEnv, stdio: 'pipe' });
  // The serials, read by this process (its module is finalised before any child runs).
  const previous = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  try {
    const mod = await TokenModule.load(SOFTHSM);
    for (const t of await mod.listTokens()) if (t.initialized) serials[t.label] = t.serial;
    await mod.finalize();
  } finally {
    if (previous === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = previous;
  }
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  cli?.cleanup();
});

interface Run {
  /** The exit code, or null when killed. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether the kill line was seen (and the kill sent). */
  killed: boolean;
  lines: string[];
  stderr: string;
}

/** A boundary: a progress line to kill at, or a fault point to hold at (and kill there). */
type Boundary = RegExp | { hold: RegExp };

/** Run the CLI; with `at`, SIGKILL it the moment a progress line matches (or it holds at a matching fault point). */
function runCli(args: string[], at?: Boundary): Promise<Run> {
  const killAt = at === undefined ? undefined : at instanceof RegExp ? at : /^HOLD /;
  const env = at !== undefined && !(at instanceof RegExp) ? { ...childEnv, CRASH_HOLD_AT: at.hold.source } : childEnv;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliArgs, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const run: Run = { code: null, signal: null, killed: false, lines: [], stderr: '' };
    createInterface({ input: child.stdout }).on('line', (line) => {
      run.lines.push(line);
      if (killAt && !run.killed && killAt.test(line)) {
        run.killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (b: Buffer) => (run.stderr += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ ...run, code, signal }));
  });
}

/** Every file in `out` is a complete output or a hidden temporary file; returns the outputs present. */
function checkNoPartialOutput(out: string, plan: CeremonyPlan): string[] {
  if (!existsSync(out)) return [];
  const outputs = new Set(allOutputNames(plan));
  const present: string[] = [];
  // Outputs are paths in metadata/, secret/ and state/ (src/ceremony/layout.ts).
  for (const path of outFiles(out)) {
    const full = join(out, path);
    expect(statSync(full).isFile(), path).toBe(true);
    const name = basename(path);
    const folder = dirname(path);
    if (!outputs.has(path)) {
      // A write cut short by the kill: never under an output's name, and hidden, beside its output.
      expect(name, `unexpected file ${path}`).toMatch(ATOMIC_TEMP);
      expect(outputs.has(`${folder}/${name.replace(/^\./, '').replace(/\.[0-9a-f]{12}\.tmp$/, '')}`), path).toBe(true);
      continue;
    }
    present.push(path);
    const bytes = new Uint8Array(readFileSync(full));
    const text = Buffer.from(bytes).toString('utf8');
    if (name === STATE_FILE) expect(() => JSON.parse(text), name).not.toThrow();
    else if (name === TRANSCRIPT_FILE) expect(() => verifyTranscript(bytes, { allowUnsealed: true }), name).not.toThrow();
    else if (name.endsWith('.html')) expect(text.trimEnd(), name).toMatch(/<\/html>$/i);
    else if (name.startsWith('share-card-')) expect(() => parseShareCard(text), name).not.toThrow();
    else if (name === INVENTORY_FILE) expect(() => parseInventory(bytes, name), name).not.toThrow();
    else {
      const role = name.replace(/^\d+\./, '').replace(/\.json$/, '');
      expect(() => parseMetadata(bytes, role as 'root', { maxBytes: 1 << 24, source: name }), name).not.toThrow();
    }
  }
  // The metadata is written only once it is verified: when it is all there, it verifies.
  const metadata = metadataFileNames(plan);
  if (metadata.every((m) => present.includes(`metadata/${m}`))) verifyOutputs(out);
  return present;
}

function stepsDone(out: string): number {
  if (!existsSync(outPath(out, STATE_FILE))) return 0;
  const state = JSON.parse(readFileSync(outPath(out, STATE_FILE), 'utf8')) as { steps: Record<string, { status: string }> };
  return Object.values(state.steps).filter((s) => s.status === 'done').length;
}

function verifyOutputs(out: string) {
  const read = (n: string) => readOut(out, n);
  const root = read('root.json');
  return verifyRepository(
    { versionedRoots: new Map([[1, read('1.root.json')]]), root, targets: read('targets.json'), snapshot: read('snapshot.json'), timestamp: read('timestamp.json'), delegated: new Map() },
    { trustedRoot: root, now: new Date() },
  );
}

describe('run on three SoftHSM2 tokens, SIGKILLed at every step boundary', () => {
  it('resumes after each kill with no partial output; the end result verifies and no key is made twice', async () => {
    const plan = {
      format: 'tuf-ceremony-plan',
      version: 1,
      kind: 'root',
      profile: 'tuf',
      repository: 'example.com/ceremony/crash',
      ...tokenPlanRoles(planTokens(), year),
      shamir: { threshold: 2, shares: 3, keyAlgorithm: 'ecdsa-p256' },
    };
    const { planBytes, planPath, bindingsPath } = writePlanAndBindings(dir, plan, SOFTHSM, CUSTODIANS);
    const parsed = parsePlan(planBytes, { source: 'plan.json' });
    const out = join(dir, 'out');
    const args = ['run', planPath, '--bindings', bindingsPath, '--out', out];

    // The boundaries: each step's start (machine.ts reports "<title>…"), a key just made, a signature
    // just asked for, and the seal.
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Inside key generation the kill is made at the machine's own fault points (just before a key is
    // asked of a token, just after one was made), not on a printed line: see the wrapper above.
    const boundaries: Boundary[] = [];
    for (const step of STEPS.filter((s) => s.applies(parsed))) {
      if (step.name === 'generate-keys') boundaries.push({ hold: /^generating:/ }, { hold: /^key-ready:/ });
      else boundaries.push(new RegExp(`^${escape(step.title)}…$`));
      if (step.name === 'collect-signatures') boundaries.push(/^ {2}.*: signing .*\.json v1 — bytes /);
    }
    boundaries.push(/^sealing the transcript with /);
    expect(boundaries.length).toBeGreaterThanOrEqual(10);

    let kills = 0;
    /** Steps recorded done in the state file after each kill. */
    const progress: number[] = [];
    // Once, after a kill: what a kill inside writeFileAtomic leaves (`.NAME.<12 hex>.tmp` of outputs, one of
    // them a secret share card's), and look-alikes that are not that. The next run (a resume) removes the
    // former, says so, and leaves the latter.
    const shareCard = basename(allOutputNames(parsed).find((n) => n.startsWith('secret/share-card-'))!);
    const temps = ['metadata/.root.json.0123456789ab.tmp', `secret/.${shareCard}.fedcba987654.tmp`];
    const lookAlikes = ['metadata/.root.json.0123456789AB.tmp', '.bindings.json.0123456789ab.tmp', 'notes.txt'];
    let planted = false;
    let cleaned = false;
    for (const [i, at] of boundaries.entries()) {
      const r = await runCli(args, at);
      const where = at instanceof RegExp ? String(at) : `fault point ${String(at.hold)}`;
      expect(r.killed, `never reached ${where}; stdout:\n${r.lines.join('\n')}\nstderr:\n${r.stderr}`).toBe(true);
      // Killed, or (at the last boundaries) finished before the signal landed: either way nothing is partial.
      expect(r.signal === 'SIGKILL' || r.code === 0, `${where}: code ${r.code}, signal ${r.signal}\n${r.stderr}`).toBe(true);
      if (r.signal === 'SIGKILL') kills++;
      if (planted && !cleaned) {
        cleaned = true;
        const left = outFiles(out);
        for (const t of temps) expect(left, t).not.toContain(t);
        for (const n of lookAlikes) expect(readFileSync(join(out, n), 'utf8'), n).toBe('not ours');
        expect(r.lines).toContain(`removed ${temps.length} temporary files left by an interrupted write: ${[...temps].sort().join(', ')}`);
        for (const n of lookAlikes) rmSync(join(out, n));
      }
      progress.push(stepsDone(out));
      checkNoPartialOutput(out, parsed);
      if (r.code === 0) break;
      if (i >= 2 && !planted && existsSync(outPath(out, STATE_FILE))) {
        planted = true;
        for (const t of temps) {
          mkdirSync(join(out, dirname(t)), { recursive: true });
          writeFileSync(join(out, t), 'cut short');
        }
        for (const n of lookAlikes) writeFileSync(join(out, n), 'not ours');
      }
    }
    expect(cleaned).toBe(true);
    expect(kills).toBeGreaterThanOrEqual(boundaries.length - 1);
    // Each run got further than the one before (nothing done is lost or redone), from the first step on.
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]!);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBeGreaterThanOrEqual(STEPS.filter((s) => s.applies(parsed)).length - 1);

    // The same command, to the end.
    const last = await runCli([...args]);
    if (kills === boundaries.length) {
      expect(last.code, `${last.stderr}\n${last.lines.join('\n')}`).toBe(0);
      expect(last.lines).toContain(`resuming the interrupted ceremony in ${out}`);
    }
    const present = checkNoPartialOutput(out, parsed);
    // Every output, but attestations.json: only a token that attests its keys (a YubiKey) gives one, and
    // this ceremony's tokens are SoftHSM2 (the transcript says "no attestation").
    expect(present.sort()).toEqual(allOutputNames(parsed).filter((n) => n !== 'metadata/attestations.json').sort());
    // Every temp file a kill left beside an output was removed by the resume after it.
    expect(outFiles(out).filter((n) => ATOMIC_TEMP.test(basename(n)))).toEqual([]);

    const v = verifyOutputs(out);
    expect(v.root.signed.roles.get('root')!.threshold).toBe(2);
    expect(v.root.signed.roles.get('root')!.keyids).toHaveLength(4);
    const t = verifyTranscript(new Uint8Array(readFileSync(outPath(out, TRANSCRIPT_FILE))));
    expect(t.sealed).toBe(true);
    expect(t.problems).toEqual([]);
    expect(t.header.planHash).toBe(sha256(planBytes));
    expect(t.entries.filter((e) => e.step === 'ceremony.resume').length).toBe(kills);
    expect(existsSync(outPath(out, TRANSCRIPT_HTML))).toBe(true);
    // No PIN in any file.
    for (const name of outFiles(out)) for (const c of CUSTODIANS) expect(readFileSync(join(out, name), 'latin1'), name).not.toContain(c.pin);

    // The tokens hold exactly the planned keys, each once, and root.json lists those very keys.
    const previous = process.env.SOFTHSM2_CONF;
    process.env.SOFTHSM2_CONF = childEnv.SOFTHSM2_CONF;
    const mod = await TokenModule.load(SOFTHSM);
    try {
      const found: Record<string, string[]> = {};
      const fingerprints = new Set<string>();
      for (const c of CUSTODIANS) {
        const s = await mod.openToken({ serial: serials[c.label]! });
        await s.login(c.pin);
        const keys = await s.listKeys();
        found[c.name] = keys.map((k) => k.label).sort();
        for (const k of keys) {
          expect(k.fingerprint, k.label).toMatch(/^[0-9a-f]{64}$/);
          fingerprints.add(k.fingerprint!);
        }
        await s.close();
      }
      expect(found).toEqual({ Alice: ['root-alice', 'targets'], Bob: ['root-bob', 'snapshot'], Carol: ['root-carol', 'timestamp'] });
      expect(fingerprints.size).toBe(6);
    } finally {
      await mod.finalize();
      if (previous === undefined) delete process.env.SOFTHSM2_CONF;
      else process.env.SOFTHSM2_CONF = previous;
    }
  }, 300_000);
});

describe('a multi-repository run on the same SoftHSM2 tokens, SIGKILLed after repository k and inside one', () => {
  it('resumes after each kill: the output is what an uninterrupted run writes, verifies (tuf-js, Notary rules), no key made twice', async () => {
    const d = join(dir, 'multi');
    mkdirSync(d);
    // Notary repositories name their server's timestamp key (here a file of a key made for the test).
    const notary = ['registry.example.com/crash/app-0', 'registry.example.com/crash/app-1'];
    const tuf = ['example.com/crash/tuf-0', 'example.com/crash/tuf-1', 'example.com/crash/tuf-2'];
    const repositories: object[] = notary.map((name, i) => {
      const key = SoftwareKey.generate('ed25519');
      const bytes = new TextEncoder().encode(JSON.stringify({ keytype: 'ed25519', keyval: { public: (listPublicKey('notary', key.spki).json.keyval as JsonObject).public, private: null } }));
      key.dispose();
      writeFileSync(join(d, `ts-${i}.key`), bytes);
      return { name, timestamp: { keyFile: `ts-${i}.key`, sha256: sha256(bytes) } };
    });
    repositories.push(...tuf.map((name) => ({ name, profile: 'tuf' })));
    const plan = {
      format: 'tuf-ceremony-plan',
      version: 1,
      kind: 'root',
      profile: 'notary',
      repositories,
      ...tokenPlanRoles(planTokens(), year, 'm-'),
    };
    const { planBytes, planPath, bindingsPath } = writePlanAndBindings(d, plan, SOFTHSM, CUSTODIANS);
    const any = parseAnyPlan(planBytes, { source: 'plan.json' });
    if (any.kind !== 'multi') throw new Error('expected a multi-repository plan');
    const out = join(d, 'out');
    const args = ['run', planPath, '--bindings', bindingsPath, '--out', out];
    // What an uninterrupted run writes: each repository's metadata in its folder, the records in state/.
    const expected = [
      ...any.plan.repositories.flatMap((r) => metadataFileNames(r.plan).map((n) => `metadata/${r.safeName}/${n}`)),
      ...['ceremony-state.json', 'key-inventory.json', 'transcript.html', 'transcript.jsonl'].map((n) => `state/${n}`),
    ].sort();

    const escape = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const boundaries: { hold: RegExp }[] = [
      { hold: /^key-ready:targets\// }, // among the shared keys
      { hold: new RegExp(`^recorded:${escape(notary[1]!)}$`) }, // after repository 2 was recorded
      { hold: new RegExp(`^written:${escape(tuf[0]!)}$`) }, // repository 3 written, not recorded; then cut to 3 files below
      { hold: /^signed:root:root\/Bob$/ }, // repository 4's root half signed, nothing of it written
      { hold: /^inventory$/ },
    ];
    /** Each metadata file as it was when first seen after a kill: it must never change afterwards. */
    const seen = new Map<string, string>();
    let kills = 0;
    for (const at of boundaries) {
      const r = await runCli(args, at);
      expect(r.killed, `never reached ${String(at.hold)}; stdout:\n${r.lines.join('\n')}\nstderr:\n${r.stderr}`).toBe(true);
      expect(r.signal, r.stderr).toBe('SIGKILL');
      kills++;
      if (at === boundaries[2]) {
        // As a kill between two of its files leaves it: root.json, 1.root.json and targets.json written.
        const folder = join(out, 'metadata', any.plan.repositories[2]!.safeName);
        for (const n of ['snapshot.json', 'timestamp.json']) rmSync(join(folder, n));
      }
      for (const path of outFiles(out)) {
        const name = basename(path);
        if (ATOMIC_TEMP.test(name)) continue;
        expect(expected, path).toContain(path);
        if (!path.startsWith('metadata/')) continue;
        const digest = sha256(new Uint8Array(readFileSync(join(out, path))));
        expect(seen.get(path) ?? digest, `${path} changed after it was written`).toBe(digest);
        seen.set(path, digest);
      }
    }
    const last = await runCli(args);
    expect(last.code, `${last.stderr}\n${last.lines.join('\n')}`).toBe(0);
    expect(last.lines).toContain(`resuming the interrupted multi-repository ceremony in ${out}`);
    expect(outFiles(out)).toEqual(expected);
    for (const [path, digest] of seen) expect(sha256(new Uint8Array(readFileSync(join(out, path)))), path).toBe(digest);
    expect(seen.size).toBeGreaterThanOrEqual(2 * 3 + 3); // two Notary repositories and part of a TUF one before the kills

    // Every repository verifies: Notary's certificate rules per GUN; tuf-js follows each TUF one pinned to its root.
    for (const r of any.plan.repositories) {
      const folder = join(out, 'metadata', r.safeName);
      const read = (n: string) => new Uint8Array(readFileSync(join(folder, n)));
      const root = read('root.json');
      if (r.profile === 'notary') {
        const v = verifyRepository({ versionedRoots: new Map([[1, root]]), root, targets: read('targets.json'), snapshot: read('snapshot.json'), delegated: new Map() }, { trustedRoot: root, now: new Date(), gun: r.name });
        checkNotaryRootCertificates(v.root, new Date(), r.name);
        continue;
      }
      const served = await serveFiles(new Map(['1.root.json', 'root.json', 'targets.json', 'snapshot.json', 'timestamp.json'].map((n) => [`/metadata/${n}`, read(n)])));
      try {
        const metadataDir = mkdtempSync(join(d, 'tufjs-'));
        writeFileSync(join(metadataDir, 'root.json'), root);
        const updater = new Updater({ metadataDir, targetDir: mkdtempSync(join(d, 'tufjs-t-')), metadataBaseUrl: `${served.base}/metadata`, targetBaseUrl: `${served.base}/targets`, config: { fetchRetries: 0 } });
        await updater.refresh();
        for (const role of ['timestamp', 'snapshot', 'targets']) expect(new Uint8Array(readFileSync(join(metadataDir, `${role}.json`))), `${r.name} ${role}`).toEqual(read(`${role}.json`));
      } finally {
        await served.close();
      }
    }
    const t = verifyTranscript(new Uint8Array(readFileSync(join(out, 'state', 'transcript.jsonl'))));
    expect(t.sealed).toBe(true);
    expect(t.problems).toEqual([]);
    expect(t.entries.filter((e) => e.step === 'ceremony.resume')).toHaveLength(kills);
    expect(t.entries.filter((e) => e.step === 'repository.write')).toHaveLength(notary.length + tuf.length);
    for (const name of outFiles(out)) for (const c of CUSTODIANS) expect(readFileSync(join(out, name), 'latin1'), name).not.toContain(c.pin);

    // The tokens hold this ceremony's keys once each.
    const previous = process.env.SOFTHSM2_CONF;
    process.env.SOFTHSM2_CONF = childEnv.SOFTHSM2_CONF;
    const mod = await TokenModule.load(SOFTHSM);
    try {
      const found: Record<string, string[]> = {};
      for (const c of CUSTODIANS) {
        const s = await mod.openToken({ serial: serials[c.label]! });
        await s.login(c.pin);
        found[c.name] = (await s.listKeys()).map((k) => k.label ?? '').filter((l) => l.startsWith('m-')).sort();
        await s.close();
      }
      expect(found).toEqual({ Alice: ['m-root-alice', 'm-targets'], Bob: ['m-root-bob', 'm-snapshot'], Carol: ['m-root-carol', 'm-timestamp'] });
    } finally {
      await mod.finalize();
      if (previous === undefined) delete process.env.SOFTHSM2_CONF;
      else process.env.SOFTHSM2_CONF = previous;
    }
  }, 600_000);
});
