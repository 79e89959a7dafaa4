/**
 * `npm run bench -- --only repositories` (issue #17): a site that trusts a thousand repositories.
 *
 *   import   one trust-bundle-set of N Notary repositories (src/bundle/set.ts) imported at once
 *            (importRepositorySet: every repository verified against its pin, its files staged while the
 *            next is verified, then one swap of `<trust dir>/tuf`) against the same N repositories imported one by one from N single trust
 *            bundles (importRepository, each pinned by its root's SHA-256, each its own lock, journal and
 *            swap) — the same bytes, into an empty trust directory, each side in its own `node --expose-gc`
 *            process so its peak RSS is its own. Targets: the set ≥ 5× as fast; < 500 MB peak.
 *   tokens   the token signatures a multi-repository Notary ceremony of N repositories needs, and what
 *            that means at a YubiKey's documented signing speed (see YUBIKEY_SIGNING below).
 *
 * The repositories are made here with our own signing path and software keys (3 custodians' P-256 root
 * keys shared by every repository, one certificate per GUN from each, CN = the GUN, 2-of-3; one targets,
 * snapshot and timestamp key), cached in a temp folder between runs.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleTime, encodeBundle } from '../src/bundle/format.js';
import { decodeRepositorySet, encodeRepositorySet } from '../src/bundle/set.js';
import type { JsonObject } from '../src/json/types.js';
import { makeNotaryRootCertificate } from '../src/signers/certificate.js';
import { metadataSigner } from '../src/signers/metadata-signer.js';
import { listPublicKey, type ListedKey } from '../src/signers/public-key-json.js';
import { SoftwareKey } from '../src/signers/software.js';
import { verifyRaw, type SigningKey } from '../src/signers/signing-key.js';
import { writeFileAtomic, writeNewFilesInFolders } from '../src/io/files.js';
import { AppendOnlyFile } from '../src/io/append.js';
import { formatExpires } from '../src/tuf/dates.js';
import { serializeMetadata, signMetadata } from '../src/tuf/sign.js';
import { bundleImportSource } from '../src/trust-store/bundle-source.js';
import { importRepository } from '../src/trust-store/install.js';
import { importRepositorySet } from '../src/trust-store/install-set.js';
import type { PlanCustodian } from '../src/ceremony/plan.js';
import type { CeremonyToken, TokenProvider } from '../src/ceremony/tokens.js';
import { prepareSoftHsmDir } from '../src/io/softhsm.js';
import type { Pkcs11Api, Pkcs11Operation } from '../src/signers/pkcs11/api.js';
import { GrapheneBackend } from '../src/signers/pkcs11/graphene-backend.js';
import { TokenModule } from '../src/signers/pkcs11/token.js';
import { REHEARSAL_NOTICE, SessionRehearsalToken, type RehearsalKind } from '../src/signers/rehearsal.js';
import { applyEnv } from '../test/support/daemons.js';
import { startSoftTpm } from '../test/support/swtpm.js';

const MB = 1024 * 1024;
const GENERATOR_VERSION = 1;
const YEAR = 365 * 24 * 3600 * 1000;

/**
 * A YubiKey's P-256 signing time. Searched for with the search tool (pages, docs, issues: "YubiKey PIV
 * ECDSA P-256 signature time", "YubiKey 5 PIV signing speed"): Yubico documents no signing speed for the
 * PIV application that we found; the nearest published figures are for other devices (YubiHSM 2: 114 ms
 * per Ed25519 signature, tendermint/yubihsm-rs pull request #16). The figure used is the project's own
 * field note (/work/shared/FIELD-NOTES.md, YubiKey 5 over ykcs11: "Sign P-256 ≈ 40–60 ms"), a
 * measurement, not a vendor's documented figure — the bench output says so.
 */
export const YUBIKEY_P256_SIGN_MS = { low: 40, high: 60, source: 'project FIELD-NOTES (YubiKey 5, ykcs11, measured; no Yubico-documented figure found via the search tool)' };

function gunOf(i: number): string {
  return `bench.example.com/org/app-${String(i).padStart(4, '0')}`;
}

const sha = (b: Uint8Array, enc: 'hex' | 'base64'): string => createHash('sha256').update(b).digest(enc);
const hashes = (b: Uint8Array): JsonObject => ({ sha256: sha(b, 'base64'), sha512: createHash('sha512').update(b).digest('base64') });

/** N Notary repositories as single trust bundles + one set bundle + pins, cached in `dir`. */
export async function ensureRepositories(dir: string, count: number): Promise<{ cached: boolean; seconds: number }> {
  const stamp = join(dir, 'done.json');
  const want = JSON.stringify({ version: GENERATOR_VERSION, count });
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return { cached: true, seconds: 0 };
  const t0 = performance.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'singles'), { recursive: true });
  const now = new Date();
  const expires = formatExpires(new Date(Math.floor(now.getTime() / 1000) * 1000 + 5 * YEAR));
  const custodians = [0, 1, 2].map((i) => SoftwareKey.generate('ecdsa-p256', { label: `custodian ${i + 1}` }));
  const roleKey = (label: string): { key: SoftwareKey; listed: ListedKey } => {
    const key = SoftwareKey.generate('ecdsa-p256', { label });
    return { key, listed: listPublicKey('notary', key.spki) };
  };
  const targets = roleKey('targets');
  const snapshot = roleKey('snapshot');
  const timestamp = roleKey('timestamp');
  const singles: Uint8Array[] = [];
  const pins: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const gun = gunOf(i);
    const certs = await Promise.all(custodians.map((k) => makeNotaryRootCertificate(k, { gun, notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + 10 * YEAR) })));
    const keys: JsonObject = {};
    for (const l of [...certs.map((c) => c.listed), targets.listed, snapshot.listed, timestamp.listed]) keys[l.keyId] = l.json;
    const rootSigned: JsonObject = {
      _type: 'Root',
      consistent_snapshot: false,
      expires,
      keys,
      roles: {
        root: { keyids: certs.map((c) => c.listed.keyId), threshold: 2 },
        snapshot: { keyids: [snapshot.listed.keyId], threshold: 1 },
        targets: { keyids: [targets.listed.keyId], threshold: 1 },
        timestamp: { keyids: [timestamp.listed.keyId], threshold: 1 },
      },
      version: 1,
    };
    const root = serializeMetadata('notary', await signMetadata('notary', rootSigned, [0, 1].map((c) => metadataSigner(custodians[c]!, certs[c]!.listed))));
    const app = new TextEncoder().encode(`app ${i}`);
    const targetsFile = serializeMetadata(
      'notary',
      await signMetadata('notary', { _type: 'Targets', delegations: { keys: {}, roles: [] }, expires, targets: { 'v1.0': { hashes: hashes(app), length: app.length } }, version: 1 }, [metadataSigner(targets.key, targets.listed)]),
    );
    const snapshotFile = serializeMetadata(
      'notary',
      await signMetadata('notary', { _type: 'Snapshot', expires, meta: { root: { hashes: hashes(root), length: root.length }, targets: { hashes: hashes(targetsFile), length: targetsFile.length } }, version: 1 }, [metadataSigner(snapshot.key, snapshot.listed)]),
    );
    const timestampFile = serializeMetadata(
      'notary',
      await signMetadata('notary', { _type: 'Timestamp', expires, meta: { snapshot: { hashes: hashes(snapshotFile), length: snapshotFile.length } }, version: 1 }, [metadataSigner(timestamp.key, timestamp.listed)]),
    );
    const bundle = encodeBundle({
      kind: 'trust-bundle',
      profile: 'notary',
      repository: gun,
      created: bundleTime(now),
      files: [
        { name: 'root.json', bytes: root },
        { name: 'snapshot.json', bytes: snapshotFile },
        { name: 'targets.json', bytes: targetsFile },
        { name: 'timestamp.json', bytes: timestampFile },
      ],
    });
    writeFileSync(join(tmp, 'singles', `${String(i).padStart(4, '0')}.tufbundle`), bundle);
    singles.push(bundle);
    pins[gun] = sha(root, 'hex');
  }
  writeFileSync(join(tmp, 'set.tufbundle'), encodeRepositorySet(singles, { name: `${count} repositories`, created: now }));
  writeFileSync(join(tmp, 'pins.json'), JSON.stringify(pins));
  writeFileSync(join(tmp, 'done.json'), want);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { cached: false, seconds: (performance.now() - t0) / 1000 };
}

interface ImportWorkerResult {
  mode: 'set' | 'singles';
  repositories: number;
  ms: number;
  /** Process CPU time (user + system, every thread: the file system's work on libuv's pool included) over the same span. */
  cpuMs: number;
  /** 1-minute load average when the side started (the machine is shared: a side measured under load is slower). */
  load: number;
  maxRssMB: number;
  bytesRead: number;
}

/** One side, in its own process: read the inputs (timed: reading is part of an import), import into an empty trust dir. */
export async function importWorker(mode: 'set' | 'singles', dir: string, count: number): Promise<void> {
  const pinsJson = JSON.parse(readFileSync(join(dir, 'pins.json'), 'utf8')) as Record<string, string>;
  const trustDir = mkdtempSync(join(tmpdir(), `tufc-bench-trust-${mode}-`));
  const now = new Date();
  let bytesRead = 0;
  const load = loadavg()[0]!;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (mode === 'set') {
    const bytes = readFileSync(join(dir, 'set.tufbundle'));
    bytesRead = bytes.length;
    const set = decodeRepositorySet(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), 'set.tufbundle');
    const result = await importRepositorySet(set, { trustDir, pins: new Map(Object.entries(pinsJson)), now });
    if (result.entries.length !== count) throw new Error(`set import installed ${result.entries.length}, not ${count}`);
  } else {
    for (let i = 0; i < count; i++) {
      const name = `${String(i).padStart(4, '0')}.tufbundle`;
      const bytes = readFileSync(join(dir, 'singles', name));
      bytesRead += bytes.length;
      const source = bundleImportSource(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), name);
      await importRepository(source, { trustDir, now, rootFingerprint: pinsJson[source.bundleFile.repository]! });
    }
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  rmSync(trustDir, { recursive: true, force: true });
  const out: ImportWorkerResult = { mode, repositories: count, ms, cpuMs: (cpu.user + cpu.system) / 1000, load, maxRssMB: process.resourceUsage().maxRSS / 1024, bytesRead };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runImport(self: string, mode: 'set' | 'singles', dir: string, count: number): ImportWorkerResult {
  const child = spawnSync(process.execPath, ['--expose-gc', self, '--worker-import', mode, dir, String(count)], { encoding: 'utf8', maxBuffer: 16 * MB });
  if (child.status !== 0) throw new Error(`import worker ${mode} failed (${child.status}):\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as ImportWorkerResult;
}

/**
 * Token signatures of a multi-repository Notary ceremony: per repository, root.json by each custodian
 * whose signature the plan collects (all `custodians`, so every key is proven, or `threshold` at least)
 * and targets.json by the targets key when it is held offline (on a token); snapshot and timestamp are
 * the Notary server's. One PIN per custodian per session does not change the count of signatures.
 */
export function ceremonySignatures(repositories: number, custodians: number, opts: { threshold: number; targetsOnToken: boolean }): { all: number; threshold: number } {
  const extra = opts.targetsOnToken ? repositories : 0;
  return { all: repositories * custodians + extra, threshold: repositories * opts.threshold + extra };
}

export function repositoriesSection(self: string, opts: { count: number; runs: number }): Promise<void> {
  return (async () => {
    const dir = join(tmpdir(), `tuf-ceremony-bench-repositories-${opts.count}`);
    const gen = await ensureRepositories(dir, opts.count);
    console.log(`\ntuf-ceremony bench: a site that trusts many repositories (issue #17)`);
    console.log(
      `${opts.count} Notary repositories (${gen.cached ? 'cached' : `generated in ${gen.seconds.toFixed(1)} s`} in ${dir}): 3 custodians' P-256 root keys shared, ` +
        'one certificate per GUN from each (CN = the GUN), root 2-of-3, one target; each repository a single trust bundle, and all of them one trust-bundle-set.',
    );
    console.log(`import into an empty Notary trust directory, each side in its own process, ${opts.runs} runs each, median (reading the bundle files is timed: it is part of an import).`);
    const sets: ImportWorkerResult[] = [];
    const singles: ImportWorkerResult[] = [];
    // Interleaved, so a change in the machine's load falls on both sides.
    for (let r = 0; r < opts.runs; r++) {
      sets.push(runImport(self, 'set', dir, opts.count));
      singles.push(runImport(self, 'singles', dir, opts.count));
    }
    const med = (xs: number[]): number => {
      const s = [...xs].sort((a, b) => a - b);
      const m = Math.floor(s.length / 2);
      return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
    };
    const setMs = med(sets.map((s) => s.ms));
    const singleMs = med(singles.map((s) => s.ms));
    const setRss = Math.max(...sets.map((s) => s.maxRssMB));
    const singleRss = Math.max(...singles.map((s) => s.maxRssMB));
    const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
    console.log(row(['side', 'median ms', 'min ms', 'max ms', 'runs', 'per repository ms', 'median CPU ms', 'load at start', 'peak RSS MB', 'bytes read']));
    console.log(row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---', '---:', '---:']));
    for (const [name, xs, ms, rss] of [
      ['one trust-bundle-set, one import', sets, setMs, setRss],
      [`${opts.count} single bundles, ${opts.count} imports`, singles, singleMs, singleRss],
    ] as const) {
      const loads = xs.map((x) => x.load.toFixed(1)).join(', ');
      console.log(row([name, ms.toFixed(0), Math.min(...xs.map((x) => x.ms)).toFixed(0), Math.max(...xs.map((x) => x.ms)).toFixed(0), String(xs.length), (ms / opts.count).toFixed(2), med(xs.map((x) => x.cpuMs)).toFixed(0), loads, rss.toFixed(0), String(xs[0]!.bytesRead)]));
    }
    const ratio = singleMs / setMs;
    console.log(`set import is ${ratio.toFixed(2)}× as fast as ${opts.count} single imports (median ${singleMs.toFixed(0)} ms ÷ ${setMs.toFixed(0)} ms)`);
    // The set writes while it verifies (the disk's fsyncs run on libuv's pool beside the signature checks), so
    // its wall time is below its CPU time on an idle machine and near it on a busy one: report both.
    const setCpu = med(sets.map((s) => s.cpuMs));
    const singleCpu = med(singles.map((s) => s.cpuMs));
    console.log(`CPU time (all threads): set ${setCpu.toFixed(0)} ms, singles ${singleCpu.toFixed(0)} ms (${(singleCpu / setCpu).toFixed(2)}×); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`);
    console.log(`targets: ≥ 5× faster — ${ratio >= 5 ? 'met' : 'NOT met'}; peak memory < 500 MB — ${setRss < 500 ? 'met' : 'NOT met'} (${setRss.toFixed(0)} MB peak RSS of the set import's whole process)`);

    const sigs = ceremonySignatures(1000, 3, { threshold: 2, targetsOnToken: true });
    console.log('\ntoken signatures of a multi-repository ceremony for 1,000 Notary repositories, 3 custodians (root 2-of-3; targets key on a token; snapshot and timestamp server-managed):');
    console.log(`  root.json signed by every custodian (each key proven) + targets.json: ${sigs.all.toLocaleString('en-US')} signatures; by the threshold only + targets.json: ${sigs.threshold.toLocaleString('en-US')}`);
    console.log('  per custodian: 1,000 root signatures on one token, one PIN entry per session (the custodian holding the targets key: 1,000 more).');
    const per = (ms: number): string => `${((1000 * ms) / 60_000).toFixed(1)} min`;
    console.log(
      `  at a YubiKey's ${YUBIKEY_P256_SIGN_MS.low}–${YUBIKEY_P256_SIGN_MS.high} ms per P-256 signature (${YUBIKEY_P256_SIGN_MS.source}): ` +
        `${per(YUBIKEY_P256_SIGN_MS.low)}–${per(YUBIKEY_P256_SIGN_MS.high)} of signing per custodian for 1,000 root.json files; ` +
        `${((sigs.all * YUBIKEY_P256_SIGN_MS.low) / 60_000).toFixed(0)}–${((sigs.all * YUBIKEY_P256_SIGN_MS.high) / 60_000).toFixed(0)} min of token time in all (custodians one after another).`,
    );
  })();
}

/** The token modules the multi-repository ceremony is measured on (bench/modules.ts starts them the same way). */
export const CEREMONY_MODULES = ['softhsm2', 'tpm2-pkcs11', 'softhsm2-held'] as const;
export type CeremonyModule = (typeof CEREMONY_MODULES)[number];
export type CeremonyMode = 'batch' | 'single';

/**
 * `softhsm2-held`: SoftHSM2 with every signature held (a timer after C_Sign returns) until this many
 * milliseconds have passed — the middle of the 40–60 ms a YubiKey takes per P-256 signature
 * (YUBIKEY_P256_SIGN_MS) — so the ratio is seen next to hardware-like signing time. A simulation, and
 * printed as one: swtpm's signatures, measured here, are far faster than a YubiKey's.
 */
const HELD_SIGN_MS = 50;

/** Every call of the PKCS#11 interface (api.ts Pkcs11Api): each one is timed as the ceremony makes it. */
const PKCS11_OPERATIONS = [
  'initialize',
  'finalize',
  'getSlots',
  'getTokenInfo',
  'getMechanisms',
  'initToken',
  'openSession',
  'closeSession',
  'login',
  'logout',
  'initPin',
  'generateKeyPair',
  'generateKey',
  'wrapKey',
  'findObjects',
  'getAttributes',
  'destroyObject',
  'sign',
] as const satisfies readonly Pkcs11Operation[];

interface CallTimes {
  calls: number;
  ms: number;
}

/**
 * The graphene backend with a stopwatch on every PKCS#11 call, for the bench only: `sign` (C_SignInit and
 * C_Sign of one signature, the digest already computed) is the token's signing time as the ceremony spends
 * it — including the wait on libuv's thread pool, which is the token's too —, everything else (key
 * generation, object search, attribute reads, login) is the token's other time. Calls are sequential in a
 * ceremony (one session each, awaited in turn), so the sums add up wall time without overlap.
 */
function timedBackend(holdSignMs = 0): { api: Pkcs11Api; times: Map<string, CallTimes>; reset(): void } {
  const api = new GrapheneBackend();
  const times = new Map<string, CallTimes>();
  const table = api as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of PKCS11_OPERATIONS) {
    const original = table[name]!.bind(api);
    table[name] = async (...args: unknown[]) => {
      const t = performance.now();
      try {
        const result = await original(...args);
        // `softhsm2-held`: a signature held until HELD_SIGN_MS have passed, as a YubiKey takes them.
        if (name === 'sign' && holdSignMs > 0) {
          const left = holdSignMs - (performance.now() - t);
          if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
        }
        return result;
      } finally {
        const c = times.get(name) ?? { calls: 0, ms: 0 };
        c.calls += 1;
        c.ms += performance.now() - t;
        times.set(name, c);
      }
    };
  }
  return { api, times, reset: () => times.clear() };
}

class BenchTokenProvider implements TokenProvider {
  readonly standIn = true;
  private readonly byName: Map<string, SessionRehearsalToken>;

  constructor(
    tokens: readonly SessionRehearsalToken[],
    readonly rehearsal: { kind: RehearsalKind; notice: string },
  ) {
    this.byName = new Map(tokens.map((t) => [t.custodian, t]));
  }

  async open(custodian: PlanCustodian): Promise<CeremonyToken> {
    const t = this.byName.get(custodian.name);
    if (!t) throw new Error(`no bench token for ${custodian.name}`);
    return t;
  }

  async close(): Promise<void> {
    for (const t of this.byName.values()) await t.close().catch(() => undefined);
  }
}

const CUSTODIANS = ['Alice', 'Bob', 'Carol'] as const;
const BENCH_PIN = '24681357';
const BENCH_SO_PIN = '13572468';

/** The module with one token per custodian, loaded through the timed backend, each token logged in. */
async function openBenchTokens(module: CeremonyModule): Promise<{ provider: BenchTokenProvider; mod: TokenModule; timed: ReturnType<typeof timedBackend>; stop(): Promise<void> }> {
  const timed = timedBackend(module === 'softhsm2-held' ? HELD_SIGN_MS : 0);
  const stops: (() => Promise<void> | void)[] = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s();
  };
  try {
    let path: string;
    if (module !== 'tpm2-pkcs11') {
      path = '/usr/lib/softhsm/libsofthsm2.so';
      if (!existsSync(path)) throw new Error(`${path} is not installed`);
      const dir = mkdtempSync(join(tmpdir(), 'tufc-bench-ceremony-softhsm-'));
      stops.push(() => rmSync(dir, { recursive: true, force: true }));
      const { confPath } = await prepareSoftHsmDir(dir);
      stops.push(applyEnv({ SOFTHSM2_CONF: confPath }));
    } else {
      const tpm = await startSoftTpm(CUSTODIANS.map((c) => ({ label: `bench-${c.toLowerCase()}`, pin: BENCH_PIN, soPin: BENCH_SO_PIN })));
      stops.push(() => tpm.stop());
      stops.push(applyEnv(tpm.env));
      path = tpm.modulePath;
    }
    const mod = await TokenModule.load(path, { api: timed.api, rehearsal: true });
    stops.push(() => mod.finalize().catch(() => undefined));
    const notice =
      module !== 'tpm2-pkcs11'
        ? REHEARSAL_NOTICE.softhsm2
        : 'BENCH: tpm2-pkcs11 tokens on swtpm (a software TPM), not hardware. Keys made here must never protect a real repository.';
    // A custodian's token of the bench: the rehearsal token over a logged-in session of the timed module.
    const tokens: SessionRehearsalToken[] = [];
    for (const c of CUSTODIANS) {
      const label = `bench-${c.toLowerCase()}`;
      const described = module !== 'tpm2-pkcs11' ? await mod.initializeRehearsalToken(label, BENCH_SO_PIN, BENCH_PIN) : (await mod.listTokens()).find((t) => t.label === label);
      if (!described) throw new Error(`no token "${label}" on ${path}`);
      const session = await mod.openToken({ serial: described.serial, label: described.label });
      tokens.push(new SessionRehearsalToken(c, session, notice));
      await session.login(BENCH_PIN);
    }
    const provider = new BenchTokenProvider(tokens, { kind: module !== 'tpm2-pkcs11' ? 'softhsm2' : 'software', notice });
    stops.push(() => provider.close());
    return { provider, mod, timed, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The plan of the bench: N Notary GUNs (each naming its server's timestamp key), 3 custodians, root 2-of-3, targets and snapshot keys on tokens. */
function benchPlan(dir: string, mode: CeremonyMode, count: number, now: Date): Uint8Array {
  const iso = (years: number): string => new Date(now.getTime() + years * YEAR).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const server = SoftwareKey.generate('ed25519');
  const keyBytes = new TextEncoder().encode(JSON.stringify({ keytype: 'ed25519', keyval: { public: (listPublicKey('notary', server.spki).json.keyval as JsonObject).public, private: null } }));
  server.dispose();
  writeFileSync(join(dir, 'timestamp.key'), keyBytes);
  const timestampKey = { keyFile: 'timestamp.key', sha256: createHash('sha256').update(keyBytes).digest('hex') };
  const common = {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'notary',
    custodians: CUSTODIANS.map((n) => ({ name: n, token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: `root-${n.toLowerCase()}` })),
    root: { threshold: 2, expires: iso(10) },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: iso(3) },
    snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: iso(3) },
  };
  const plan =
    mode === 'single'
      ? { ...common, repository: gunOf(0), timestamp: timestampKey }
      : {
          ...common,
          repositories: Array.from({ length: count }, (_, i) => ({ name: gunOf(i), timestamp: timestampKey })),
          timestamp: { key: { software: 'rehearsal', keyAlgorithm: 'ed25519' }, expires: iso(1) },
        };
  const bytes = new TextEncoder().encode(JSON.stringify(plan, null, 2));
  writeFileSync(join(dir, 'plan.json'), bytes);
  return bytes;
}

interface CeremonyWorkerResult {
  module: CeremonyModule;
  mode: CeremonyMode;
  repositories: number;
  /** Wall time of the whole ceremony call (runMultiCeremony / runCeremony). */
  totalMs: number;
  /** CPU time of the process (all threads: SoftHSM2 signs on libuv's) during it. */
  cpuMs: number;
  /**
   * CPU time of the main thread alone (Linux: /proc, 10 ms ticks; null elsewhere): the JavaScript, the
   * synchronous file calls and the synchronous part of each PKCS#11 call (C_SignInit; C_Sign runs on
   * libuv's pool). On an idle machine the ceremony cannot take less wall time than this.
   */
  mainCpuMs: number | null;
  /** What the ceremony reports: certificates, metadata, the seal (multi-repository ceremonies only). */
  reportedSignatures: number | null;
  /** Every PKCS#11 call made during the ceremony, timed (timedBackend). */
  calls: Record<string, CallTimes>;
  /** One signature through the whole signer stack (TokenKey.sign: digest, C_Sign, software check), median. */
  stackSignMs: number;
  stackSigns: number;
  /**
   * The mean C_Sign (timed backend) of those signatures, made one after another with nothing else running
   * in the process. In the ceremony a C_Sign's interval also holds any time the event loop spends on other
   * work before it takes the token's answer (fsync callbacks, GC), so the in-run sum can over-state the
   * tokens' time; calls × this is the other estimate, and both are printed.
   */
  quietSignMs: number;
  /**
   * The floor of the tool's own work per repository (issue #17's target leaves the tool 0.2 × the
   * tokens' time): the parts no ceremony may skip, each timed alone in this process after the ceremony —
   * the software check of one token signature (TokenSigner.signOnce → verifyRaw, the non-negotiable
   * "hardware signatures are verified in software"), and one durable write (writeFileAtomic: temp file,
   * fsync, rename, folder fsync; every metadata file is one, and the transcript entry, an fsync'd append,
   * is costed as one too) — with how many of each the ceremony made per repository.
   */
  floor: {
    checkMs: number;
    checkCpuMs: number;
    writeMs: number;
    writeCpuMs: number;
    filesPerRepository: number;
    /**
     * The same writes as the ceremony makes them for a plan this size (src/ceremony/multi-machine.ts
     * writeGroupSize, io/files.ts writeNewFilesInFolders, TranscriptWriter.appendAll): a group's files in one
     * durable pass, its entries in one fsync'd append — per repository, wall and CPU. Null for one repository.
     */
    group: { size: number; repositoryMs: number; repositoryCpuMs: number } | null;
  };
  maxRssMB: number;
  load: [number, number];
}

/** The main thread's CPU time so far (utime + stime of /proc/self/task/PID/stat, in ms), or null where there is no /proc. */
function mainThreadCpuMs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, so split after its closing parenthesis): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** USER_HZ: Linux reports thread CPU times in these ticks (100 on every architecture Node runs on). */
const CLOCK_TICKS = 100;

/**
 * A Notary root ceremony in its own process on `module`'s tokens through the timed backend: `batch` —
 * the multi-repository ceremony (src/ceremony/multi-machine.ts) of `count` repositories; `single` — the
 * one-repository ceremony (src/ceremony/machine.ts runCeremony) of the same plan for one GUN. Then the cost
 * of one signature through the same signer stack on the same tokens (a key made after the ceremony).
 */
export async function ceremonyWorker(module: CeremonyModule, mode: CeremonyMode, count: number): Promise<void> {
  const { parseAnyPlan } = await import('../src/ceremony/multi-plan.js');
  const { runMultiCeremony } = await import('../src/ceremony/multi-machine.js');
  const { runCeremony } = await import('../src/ceremony/machine.js');
  const dir = mkdtempSync(join(tmpdir(), 'tufc-bench-ceremony-'));
  const bench = await openBenchTokens(module);
  try {
    const now = new Date();
    const bytes = benchPlan(dir, mode, count, now);
    const any = parseAnyPlan(bytes, { rehearsal: true });
    const load0 = loadavg()[0]!;
    bench.timed.reset();
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpuMs();
    const t0 = performance.now();
    let reported: number | null = null;
    if (any.kind === 'multi') {
      const result = await runMultiCeremony({ planBytes: bytes, plan: any.plan, planName: 'plan.json', planDir: dir, outDir: join(dir, 'out'), tokens: bench.provider, softwareKeys: new Map(), now: () => now });
      reported = result.tokenSignatures;
    } else {
      await runCeremony({ planBytes: bytes, plan: any.plan, planName: 'plan.json', planDir: dir, outDir: join(dir, 'out'), tokens: bench.provider, softwareKeys: new Map(), resume: false, now: () => now });
    }
    const totalMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const main1 = mainThreadCpuMs();
    // A copy: the stopwatch keeps counting the signatures below.
    const calls = Object.fromEntries([...bench.timed.times].map(([n, c]) => [n, { ...c }]));
    const load1 = loadavg()[0]!;
    // One signature through the same stack, on the same kind of token (Carol's, a key of its own).
    const session = (await bench.provider.open({ name: 'Carol' } as PlanCustodian)) as SessionRehearsalToken;
    const key = await session.generateKey('ecdsa-p256', 'bench signing key');
    const data = new Uint8Array(2048).fill(7);
    const signs = module === 'softhsm2' ? 200 : 20;
    for (let i = 0; i < Math.min(20, signs); i++) await key.sign(data, 'sha256');
    const times: number[] = [];
    bench.timed.reset();
    for (let i = 0; i < signs; i++) {
      const t = performance.now();
      await key.sign(data, 'sha256');
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const quiet = bench.timed.times.get('sign');
    const floor = await mandatedFloor(key, data, dir, mode === 'single' ? 1 : count);
    const out: CeremonyWorkerResult = {
      module,
      mode,
      repositories: mode === 'single' ? 1 : count,
      totalMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      mainCpuMs: main0 !== null && main1 !== null ? main1 - main0 : null,
      reportedSignatures: reported,
      calls,
      stackSignMs: times[Math.floor(signs / 2)]!,
      stackSigns: signs,
      quietSignMs: quiet ? quiet.ms / quiet.calls : NaN,
      floor,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
      load: [load0, load1],
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await bench.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the target leaves the tool on this token, against the floor of its mandated work (measured in the
 * same process as the batch): run one after the other, the tool may add 0.2 × the tokens' time; with the
 * token's signing perfectly overlapped on the other core (SoftHSM2 signs with this machine's CPU, on
 * libuv's threads), the tool's CPU must fit in 2 cores × 1.2 × T − T = 1.4 × T.
 */
function floorVerdict(batch: CeremonyWorkerResult, sigsPerRepo: number): string {
  const f = batch.floor;
  if (!Number.isFinite(batch.quietSignMs) || !Number.isFinite(f.filesPerRepository) || batch.reportedSignatures === null) return '  floor: not measured in this run (no quiet C_Sign or no outputs counted).';
  const checks = (batch.reportedSignatures ?? NaN) / batch.repositories;
  const writes = f.filesPerRepository + 1;
  const wall = checks * f.checkMs + writes * f.writeMs;
  const cpu = checks * f.checkCpuMs + writes * f.writeCpuMs;
  const g = f.group;
  const grouped = g
    ? ` With the group commit this ceremony uses (${g.size} repositories per durable pass: their files together, each folder once per role, one transcript append), those writes cost ${g.repositoryMs.toFixed(2)} ms wall, ${g.repositoryCpuMs.toFixed(2)} ms CPU per repository, timed the same way: a floor of ${(checks * f.checkMs + g.repositoryMs).toFixed(2)} ms wall, ${(checks * f.checkCpuMs + g.repositoryCpuMs).toFixed(2)} ms CPU.`
    : '';
  const tokens = sigsPerRepo * batch.quietSignMs;
  const cpuNow = batch.cpuMs / batch.repositories;
  return (
    `  floor of the tool's mandated work per repository, each part timed alone after the batch: ${checks.toFixed(1)} software checks of token signatures × ${f.checkMs.toFixed(3)} ms + ` +
    `${writes.toFixed(1)} durable writes (${f.filesPerRepository.toFixed(1)} metadata files and the transcript entry, each costed as one atomic write; bundles and the inventory left out, so the floor errs low) × ${f.writeMs.toFixed(3)} ms = ${wall.toFixed(2)} ms wall, ${cpu.toFixed(2)} ms CPU. ` +
    `The tokens' time per repository is ${tokens.toFixed(2)} ms (${sigsPerRepo.toFixed(1)} C_Sign × ${batch.quietSignMs.toFixed(3)} ms quiet): one after the other, the target leaves the tool ${(0.2 * tokens).toFixed(2)} ms — ` +
    `the floor alone is ${(wall / (0.2 * tokens)).toFixed(1)}× that; with the signing perfectly overlapped on the second core it leaves ${(1.4 * tokens).toFixed(2)} ms of CPU, ` +
    `${((cpu / (1.4 * tokens)) * 100).toFixed(0)} % of which the floor takes, leaving ${Math.max(0, 1.4 * tokens - cpu).toFixed(2)} ms for everything else (certificates, metadata, canonical JSON, the transcript, the inventory; ` +
    `this batch spent ${(cpuNow - tokens).toFixed(1)} ms of CPU per repository beyond the tokens' time).` +
    grouped
  );
}

/** CeremonyWorkerResult.floor: `key` a token key, `dir` the ceremony's folder (its outputs still there). */
async function mandatedFloor(key: SigningKey, data: Uint8Array, dir: string, repositories: number): Promise<CeremonyWorkerResult['floor']> {
  const signature = await key.sign(data, 'sha256');
  const cpu = (from: NodeJS.CpuUsage): number => {
    const d = process.cpuUsage(from);
    return (d.user + d.system) / 1000;
  };
  const checks = 2000;
  let c0 = process.cpuUsage();
  let t0 = performance.now();
  for (let i = 0; i < checks; i++) if (!verifyRaw(key.spki, key.algorithm, 'sha256', signature, data)) throw new Error('the token signature does not verify');
  const checkMs = (performance.now() - t0) / checks;
  const checkCpuMs = cpu(c0) / checks;
  // The size of a repository's usual file (root.json with three certificates is ~3 KB).
  const file = new Uint8Array(3000).fill(0x7b);
  const folder = join(dir, 'floor');
  mkdirSync(folder);
  const writes = 200;
  c0 = process.cpuUsage();
  t0 = performance.now();
  for (let i = 0; i < writes; i++) await writeFileAtomic(join(folder, `f${i}.json`), file);
  const writeMs = (performance.now() - t0) / writes;
  const writeCpuMs = cpu(c0) / writes;
  const count = (d: string): number => readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? count(join(d, e.name)) : 1), 0);
  const metadata = join(dir, 'out', 'metadata');
  const filesPerRepository = existsSync(metadata) ? count(metadata) / repositories : NaN;
  // The group commit (multi-machine.ts writeRepositories): a group's folders written in one pass, then its
  // entries, ~1.5 KB each, appended with one fsync — 200 repositories' worth, per repository.
  let group: CeremonyWorkerResult['floor']['group'] = null;
  if (repositories > 1 && Number.isFinite(filesPerRepository)) {
    // Loaded as ceremonyWorker loads it: only in the ceremony's processes.
    const { writeGroupSize } = await import('../src/ceremony/multi-machine.js');
    const size = writeGroupSize(repositories);
    const names = Array.from({ length: Math.round(filesPerRepository) }, (_, i) => `r${i}.json`);
    const log = await AppendOnlyFile.create(join(dir, 'floor-transcript.jsonl'));
    const line = new Uint8Array(1500).fill(0x41);
    line[line.length - 1] = 0x0a;
    const groups = Math.max(1, Math.round(200 / size));
    c0 = process.cpuUsage();
    t0 = performance.now();
    for (let g = 0; g < groups; g++) {
      const folders = Array.from({ length: size }, (_, i) => ({ dir: join(dir, 'floor-groups', `g${g}-${i}`), files: names.map((name) => ({ name, bytes: file })) }));
      await writeNewFilesInFolders(folders, { rank: (n) => names.indexOf(n) });
      const lines = new Uint8Array(line.length * size);
      for (let i = 0; i < size; i++) lines.set(line, i * line.length);
      await log.append(lines);
    }
    group = { size, repositoryMs: (performance.now() - t0) / (groups * size), repositoryCpuMs: cpu(c0) / (groups * size) };
    await log.close();
  }
  return { checkMs, checkCpuMs, writeMs, writeCpuMs, filesPerRepository, group };
}

function runCeremonyWorker(self: string, module: CeremonyModule, mode: CeremonyMode, count: number): CeremonyWorkerResult | string {
  const child = spawnSync(process.execPath, ['--expose-gc', self, '--worker-ceremony', module, mode, String(count)], { encoding: 'utf8', maxBuffer: 16 * MB, timeout: 3_600_000 });
  if (child.status !== 0) {
    const why = (child.stderr || child.stdout || `exit ${String(child.status)}`).trim().split('\n').filter((l) => !/^(ERROR|WARNING):/.test(l))[0] ?? 'failed';
    return why.slice(0, 200);
  }
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as CeremonyWorkerResult;
}

const SINGLE_RUNS = 3;

/**
 * The multi-repository ceremony against the sum of its token signatures, measured in the same run: on
 * SoftHSM2 (`count` repositories; a P-256 signature ≈ 0.3 ms, so the tool's own work shows) and on
 * tpm2-pkcs11 over swtpm (`tpmCount` repositories; a signature ≈ 40–60 ms, like a YubiKey's), each
 * beside the one-repository ceremony of the same plan (median of SINGLE_RUNS processes).
 */
export function ceremonySection(self: string, opts: { count: number; tpmCount: number }): void {
  console.log(
    `\nmulti-repository Notary ceremony (issue #17; src/ceremony/multi-machine.ts): 3 custodians, root 2-of-3, targets and snapshot keys on custodians' tokens, ` +
      `the timestamp key each GUN's server's; every PKCS#11 call timed as the ceremony makes it (bench-only timing wrapper around the graphene backend). ` +
      `The one-repository ceremony (src/ceremony/machine.ts) of the same plan for one GUN: median of ${SINGLE_RUNS} processes. Each run in a process of its own.`,
  );
  console.log(
    `tpm2-pkcs11 and the held SoftHSM2 run ${opts.tpmCount} repositories (--tpm-repositories), not ${opts.count}: their signatures are one to two orders of magnitude slower than SoftHSM2's ` +
      `(the measured ms per C_Sign is in the table), so ${opts.count} would add minutes of token time alone (at ${HELD_SIGN_MS} ms, ${((opts.count * 7 * HELD_SIGN_MS) / 60_000).toFixed(0)} min), and the per-repository figures are steady well before ${opts.tpmCount}.`,
  );
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  console.log(
    row(['tokens', 'ceremony', 'repositories', 'wall s', 'ms per repository', 'C_Sign calls', 'C_Sign s (sum)', 'ms per C_Sign', 'other token calls s', "tool's own s", 'CPU s', 'main-thread CPU s', 'wall ÷ C_Sign sum', 'ms per quiet C_Sign', 'wall ÷ (calls × quiet C_Sign)', 'load 1-min (start→end)']),
  );
  console.log(row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']));
  const sum = (r: CeremonyWorkerResult, pick: (name: string) => boolean): CallTimes =>
    Object.entries(r.calls)
      .filter(([n]) => pick(n))
      .reduce((a, [, c]) => ({ calls: a.calls + c.calls, ms: a.ms + c.ms }), { calls: 0, ms: 0 });
  const verdicts: string[] = [];
  for (const module of CEREMONY_MODULES) {
    const n = module === 'softhsm2' ? opts.count : opts.tpmCount;
    const title = module === 'softhsm2' ? 'SoftHSM2' : module === 'tpm2-pkcs11' ? 'tpm2-pkcs11 on swtpm' : `SoftHSM2, each C_Sign held to ${HELD_SIGN_MS} ms (SIMULATED YubiKey speed)`;
    const singles: CeremonyWorkerResult[] = [];
    let failed: string | undefined;
    for (let i = 0; i < SINGLE_RUNS && !failed; i++) {
      const r = runCeremonyWorker(self, module, 'single', 1);
      if (typeof r === 'string') failed = r;
      else singles.push(r);
    }
    const ran = failed ? undefined : runCeremonyWorker(self, module, 'batch', n);
    if (typeof ran === 'string') failed = ran;
    const batch = typeof ran === 'string' ? undefined : ran;
    if (failed || !batch) {
      console.log(row([title, '—', String(n), '—', '—', '—', '—', '—', '—', '—', '—', '—', `skipped: ${failed ?? 'failed'}`, '—', '—', '—']));
      continue;
    }
    singles.sort((a, b) => a.totalMs - b.totalMs);
    const single = singles[Math.floor(singles.length / 2)]!;
    const line = (r: CeremonyWorkerResult, name: string): { ratio: number; signMs: number; tool: number; quietRatio: number } => {
      const sign = sum(r, (x) => x === 'sign');
      const other = sum(r, (x) => x !== 'sign');
      const tool = r.totalMs - sign.ms - other.ms;
      const ratio = r.totalMs / sign.ms;
      console.log(
        row([
          title,
          name,
          String(r.repositories),
          (r.totalMs / 1000).toFixed(2),
          (r.totalMs / r.repositories).toFixed(1),
          String(sign.calls),
          (sign.ms / 1000).toFixed(2),
          (sign.ms / sign.calls).toFixed(2),
          (other.ms / 1000).toFixed(2),
          (tool / 1000).toFixed(2),
          (r.cpuMs / 1000).toFixed(2),
          r.mainCpuMs === null ? '—' : (r.mainCpuMs / 1000).toFixed(2),
          `${ratio.toFixed(2)}×`,
          r.quietSignMs.toFixed(2),
          `${(r.totalMs / (sign.calls * r.quietSignMs)).toFixed(2)}×`,
          `${r.load[0].toFixed(1)}→${r.load[1].toFixed(1)}`,
        ]),
      );
      return { ratio, signMs: sign.ms, tool, quietRatio: r.totalMs / (sign.calls * r.quietSignMs) };
    };
    line(single, 'one repository');
    const b = line(batch, `batch of ${n}`);
    const perBatch = batch.totalMs / batch.repositories;
    verdicts.push(
      `${title}: per repository, the batch of ${n} took ${perBatch.toFixed(1)} ms against ${single.totalMs.toFixed(0)} ms for the one-repository ceremony (${(single.totalMs / perBatch).toFixed(1)}× less per repository); ` +
        `${batch.reportedSignatures?.toLocaleString('en-US') ?? '?'} signatures reported by the ceremony, ${sum(batch, (x) => x === 'sign').calls.toLocaleString('en-US')} C_Sign calls (the keys' self-tests included); ` +
        `one signature through the whole signer stack (digest, C_Sign, software check) ${batch.stackSignMs.toFixed(2)} ms (median of ${batch.stackSigns}). ` +
        `The batch costs ${b.ratio.toFixed(3)}× the sum of its token signatures as timed in the run, ${b.quietRatio.toFixed(3)}× their number times a quiet C_Sign — ` +
        (module === 'softhsm2-held'
          ? // A sleep counted as signing time, with every other token call at SoftHSM2's speed: the ratio
            // tends to 1 by construction, so it illustrates, it never judges the target (review B2).
            `target ≤ 1.2×: not judged on a simulated token (${b.ratio <= 1.2 && b.quietRatio <= 1.2 ? 'within it' : 'outside it'} as an illustration only).`
          : `target ≤ 1.2×: ${b.ratio <= 1.2 && b.quietRatio <= 1.2 ? 'met' : b.ratio <= 1.2 || b.quietRatio <= 1.2 ? 'met by one estimate only' : 'NOT met'}.`),
    );
    if (module === 'softhsm2') {
      const perRepoTool = b.tool / batch.repositories;
      const sigsPerRepo = sum(batch, (x) => x === 'sign').calls / batch.repositories;
      const at = (ms: number): string => ((perRepoTool + sigsPerRepo * ms + (sum(batch, (x) => x !== 'sign').ms / batch.repositories)) / (sigsPerRepo * ms)).toFixed(2);
      verdicts.push(
        `  projection, not a measurement: this run's own overhead (${perRepoTool.toFixed(1)} ms per repository) next to ${sigsPerRepo.toFixed(1)} signatures per repository at a YubiKey's ` +
          `${YUBIKEY_P256_SIGN_MS.low}–${YUBIKEY_P256_SIGN_MS.high} ms (${YUBIKEY_P256_SIGN_MS.source}) would give ${at(YUBIKEY_P256_SIGN_MS.high)}–${at(YUBIKEY_P256_SIGN_MS.low)}×.`,
      );
      verdicts.push(floorVerdict(batch, sigsPerRepo));
    }
  }
  console.log(
    'Read "wall ÷ C_Sign sum" with care: the ceremony signs repository k+1 while repository k is verified and written, so a C_Sign\'s in-run time also holds ' +
      'the wait for the main thread (and for a libuv thread, which fsyncs share) before its answer is taken — the in-run sum over-states the tokens\' time and that ratio flatters; ' +
      'the same sum makes "ms per C_Sign" too high and "tool\'s own s" (wall − C_Sign sum − other token calls) too low, and the YubiKey projection starts from that understated overhead; ' +
      'the target is judged on both estimates (met only when both are ≤ 1.2×), and main-thread CPU is a floor of the wall time on any machine.',
  );
  for (const v of verdicts) console.log(v);
}
