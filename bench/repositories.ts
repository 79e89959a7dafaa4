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
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleTime, encodeBundle } from '../src/bundle/format.js';
import { decodeRepositorySet, encodeRepositorySet } from '../src/bundle/set.js';
import type { JsonObject } from '../src/json/types.js';
import { makeNotaryRootCertificate } from '../src/signers/certificate.js';
import { metadataSigner } from '../src/signers/metadata-signer.js';
import { listPublicKey, type ListedKey } from '../src/signers/public-key-json.js';
import { SoftwareKey } from '../src/signers/software.js';
import { formatExpires } from '../src/tuf/dates.js';
import { serializeMetadata, signMetadata } from '../src/tuf/sign.js';
import { bundleImportSource } from '../src/trust-store/bundle-source.js';
import { importRepository } from '../src/trust-store/install.js';
import { importRepositorySet } from '../src/trust-store/install-set.js';

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

interface CeremonyWorkerResult {
  repositories: number;
  totalMs: number;
  tokenSignatures: number;
  signMs: number;
  maxRssMB: number;
  rehearsal: string;
}

/**
 * A multi-repository ceremony (src/ceremony/multi-machine.ts, issue #17) of `count` Notary repositories on
 * SoftHSM2 rehearsal tokens (3 custodians, root 2-of-3, targets and snapshot keys on custodians' tokens),
 * in its own process; then the cost of one token signature on the same kind of token, measured through
 * the same signer stack (SigningKey.sign, software verification included), median of 200.
 */
export async function ceremonyWorker(count: number): Promise<void> {
  const { openRehearsalTokenSet, installedSoftHsm } = await import('../src/ceremony/rehearsal-tokens.js');
  const { RehearsalTokenProvider } = await import('../src/ceremony/tokens.js');
  const { parseAnyPlan } = await import('../src/ceremony/multi-plan.js');
  const { runMultiCeremony } = await import('../src/ceremony/multi-machine.js');
  const softhsm = installedSoftHsm();
  if (!softhsm) throw new Error('SoftHSM2 is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'tufc-bench-ceremony-'));
  const now = new Date();
  const iso = (years: number): string => new Date(now.getTime() + years * YEAR).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const server = SoftwareKey.generate('ed25519');
  const keyBytes = new TextEncoder().encode(JSON.stringify({ keytype: 'ed25519', keyval: { public: (listPublicKey('notary', server.spki).json.keyval as JsonObject).public, private: null } }));
  server.dispose();
  writeFileSync(join(dir, 'timestamp.key'), keyBytes);
  const keySha = createHash('sha256').update(keyBytes).digest('hex');
  const plan = {
    format: 'tuf-ceremony-plan',
    version: 1,
    kind: 'root',
    profile: 'notary',
    repositories: Array.from({ length: count }, (_, i) => ({ name: gunOf(i), timestamp: { keyFile: 'timestamp.key', sha256: keySha } })),
    custodians: ['Alice', 'Bob', 'Carol'].map((n) => ({ name: n, token: null, keyAlgorithm: 'ecdsa-p256', keyLabel: `root-${n.toLowerCase()}` })),
    root: { threshold: 2, expires: iso(10) },
    targets: { key: { custodian: 'Alice', keyAlgorithm: 'ecdsa-p256', keyLabel: 'targets' }, expires: iso(3) },
    snapshot: { key: { custodian: 'Bob', keyAlgorithm: 'ecdsa-p256', keyLabel: 'snapshot' }, expires: iso(3) },
    timestamp: { key: { software: 'rehearsal', keyAlgorithm: 'ed25519' }, expires: iso(1) },
  };
  const bytes = new TextEncoder().encode(JSON.stringify(plan, null, 2));
  writeFileSync(join(dir, 'plan.json'), bytes);
  const any = parseAnyPlan(bytes, { rehearsal: true });
  if (any.kind !== 'multi') throw new Error('not a multi-repository plan');
  const set = await openRehearsalTokenSet({ custodians: ['Alice', 'Bob', 'Carol', 'Bench'], softhsm });
  const provider = new RehearsalTokenProvider(set.tokens.slice(0, 3));
  try {
    const t0 = performance.now();
    const result = await runMultiCeremony({ planBytes: bytes, plan: any.plan, planName: 'plan.json', planDir: dir, outDir: join(dir, 'out'), tokens: provider, softwareKeys: new Map(), now: () => now });
    const totalMs = performance.now() - t0;
    // One token signature, through the same stack, on a fourth token of the same kind.
    const key = await set.tokens[3]!.generateKey('ecdsa-p256', 'bench signing key');
    const data = new Uint8Array(2048).fill(7);
    for (let i = 0; i < 20; i++) await key.sign(data, 'sha256');
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await key.sign(data, 'sha256');
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const out: CeremonyWorkerResult = { repositories: count, totalMs, tokenSignatures: result.tokenSignatures, signMs: times[100]!, maxRssMB: process.resourceUsage().maxRSS / 1024, rehearsal: set.kind };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await provider.close();
    await set.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function ceremonySection(self: string, count: number): void {
  const child = spawnSync(process.execPath, ['--expose-gc', self, '--worker-ceremony', String(count)], { encoding: 'utf8', maxBuffer: 16 * MB });
  if (child.status !== 0) {
    console.log(`\nmulti-repository ceremony: the worker failed (${child.status}): ${child.stderr.split('\n').slice(0, 5).join(' | ')}`);
    return;
  }
  const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as CeremonyWorkerResult;
  const tokenMs = r.tokenSignatures * r.signMs;
  const ratio = r.totalMs / tokenMs;
  console.log(`\nmulti-repository ceremony (src/ceremony/multi-machine.ts) for ${r.repositories} Notary repositories on ${r.rehearsal} rehearsal tokens, 3 custodians, root 2-of-3, targets and snapshot keys on tokens:`);
  console.log(`  total ${(r.totalMs / 1000).toFixed(1)} s (${(r.totalMs / r.repositories).toFixed(1)} ms per repository), ${r.tokenSignatures.toLocaleString('en-US')} token signatures (certificates, metadata, the seal), peak RSS ${r.maxRssMB.toFixed(0)} MB`);
  console.log(`  one token signature through the same stack: ${r.signMs.toFixed(2)} ms (median of 200) → the signatures alone ≈ ${(tokenMs / 1000).toFixed(1)} s`);
  const yk = (ms: number): string => ((r.tokenSignatures * ms) / 60_000).toFixed(1);
  console.log(
    `  the same ${r.tokenSignatures.toLocaleString('en-US')} token signatures at a YubiKey's ${YUBIKEY_P256_SIGN_MS.low}–${YUBIKEY_P256_SIGN_MS.high} ms each (${YUBIKEY_P256_SIGN_MS.source}): ` +
      `${yk(YUBIKEY_P256_SIGN_MS.low)}–${yk(YUBIKEY_P256_SIGN_MS.high)} min of token time, against the tool's own ${((r.totalMs - tokenMs) / 60_000).toFixed(1)} min measured here`,
  );
  console.log(`  the batch costs ${ratio.toFixed(2)}× the sum of its token signatures — target ≤ 1.2×: ${ratio <= 1.2 ? 'met' : 'NOT met'} (on SoftHSM2 a signature is cheap, so the tool's own work weighs far more than it would next to a YubiKey's)`);
}
