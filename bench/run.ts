/**
 * `npm run bench` (PRODUCT.md §7): air-gapped verification of a repository with a 1,000-version root
 * chain and a 100,000-entry targets file, ours (verifyRepository) against the same verification done with
 * @tufjs/models, in the same run, on the same bytes.
 *
 * Each (side, scenario) runs in its own child process (`node --expose-gc`), so peak memory
 * (process.resourceUsage().maxRSS) is that side's alone: the files are read into memory first (not
 * timed), then one warm-up run, then N timed runs with a forced GC before each; we report the median.
 *
 *   node --expose-gc dist/bench/run.js [--runs N] [--dir DIR] [--regenerate] [--cpu-prof] [--literal] [--small]
 *
 * --small: a reduced repository (bench/generate.ts SMALL_SHAPE) for quick runs; the printed targets are the full one's.
 *
 * The `tufjs` side avoids two quadratic helpers of @tufjs/models (bench/sides.ts explains); their cost is
 * measured separately on smaller sizes, and --literal times the API as shipped once (most of an hour).
 * The tuf-js Updater is timed on the root chain only (bench/side-updater.ts says why), beside ours.
 *
 * --cpu-prof writes V8 CPU profiles of both sides (full scenario) into DIR/profiles and prints the
 * functions with the most self time.
 *
 * Then the signing section (bench/sign.ts): per-signature cost of our signer stack against a bare
 * graphene-pk11 sign on SoftHSM2 (skipped, saying why, when SoftHSM2 is not installed), the cost of one
 * signature and one key generation per PKCS#11 module the CI tests (bench/modules.ts: SoftHSM2,
 * tpm2-pkcs11 on swtpm, opencryptoki's soft token), and a full 3-custodian rehearsal end to end.
 *
 *   [--only verify|signing|export|qr|hostile|repositories|set-import|ceremony] [--repositories N (default 1000)] [--repository-runs N (default 3)] [--tpm-repositories N (default 100)] [--hostile CASE-OR-FAMILY] [--sign-rounds N (≥ 5, default 7)] [--signs N (≥ 500 per round, default 1000)]
 *   [--rehearsals N (default 3)] [--export-rounds N (≥ 3, default 5)] [--qr-trials N (≥ 100, default 100)] [--cli-rounds N (≥ 3, default 9: interleaved CLI-process rounds)] [--processes N (default 5: fresh processes per side for the full scenario's cold figure)]
 *
 * Then (with signing, or alone with --only export) the rehearsal's export stage before issue #18 and now,
 * same bundle, same frames, each run its own process (bench/export-stage.ts).
 *
 * Then the animated-QR section (bench/qr.ts): frames needed to reassemble 20 KB and 100 KB bundles at
 * 0/10/30 % loss, ours against @ngraveio/bc-ur's decoder and plain numbered chunks; zxing-wasm decode rate.
 *
 * Then the repositories section (bench/repositories.ts, issue #17): import of one trust-bundle-set of
 * 1,000 Notary repositories against 1,000 single imports (time, peak memory), and the token signatures a
 * 1,000-repository ceremony needs at a YubiKey's signing speed; then (also `--only ceremony`) the
 * multi-repository ceremony itself on SoftHSM2 (--repositories) and on tpm2-pkcs11 over swtpm
 * (--tpm-repositories), every PKCS#11 call timed, against the one-repository ceremony of the same plan.
 * `--only set-import` runs the import part of that section alone (set vs single imports, no ceremony).
 *
 * Then the hostile-input section (bench/hostile.ts, issue #12): every input family at its size cap with
 * the structure that costs most, time and peak memory per case against the budgets the README states.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRepository, FILE_STYLES, SHAPE, SMALL_SHAPE, type FileStyle } from './generate.js';
import { Targets } from '@tufjs/models';
import type { JsonObject } from '../src/json/types.js';
import { loadFiles, verifyOurs, verifyTufjs, type BenchFiles, type Scenario, type Side } from './sides.js';
import { qrSection } from './qr.js';
import { moduleSignWorker, type BenchModule } from './modules.js';
import { rehearsalWorker, signingSection, signWorker } from './sign.js';
import { hostileSection, hostileWorker } from './hostile.js';
import { exportInputWorker, exportStageSection, exportStageWorker, type ExportSide } from './export-stage.js';
import { ceremonySection, ceremonyWorker, importWorker, repositoriesSection, type CeremonyMode, type CeremonyModule } from './repositories.js';

const SCENARIOS: Scenario[] = ['full', 'chain', 'top-level'];
const SIDES: Side[] = ['ours', 'tufjs'];
const MB = 1024 * 1024;

interface WorkerResult {
  side: Side;
  scenario: Scenario;
  summary: string;
  timesMs: number[];
  warmupMs: number;
  /** CPU time (user + system, all threads) of the same calls: steadier than wall time on a shared machine. */
  cpuMs: number[];
  warmupCpuMs: number;
  loadMs: number;
  rssAfterLoadMB: number;
  maxRssMB: number;
  /** Set by pooled(): each process's cold CPU time, in the order run. */
  coldCpuMs?: number[];
}

/**
 * Several fresh processes of one side as one result: cold = the median of their first calls, warm = every
 * warm run of all of them, peak = the highest peak.
 */
function pooled(rs: WorkerResult[]): WorkerResult {
  if (rs.length === 1) return rs[0]!;
  const summaries = new Set(rs.map((r) => r.summary));
  if (summaries.size !== 1) throw new Error(`one side's processes disagree: ${[...summaries].join(' / ')}`);
  return {
    ...rs[0]!,
    timesMs: rs.flatMap((r) => r.timesMs),
    cpuMs: rs.flatMap((r) => r.cpuMs),
    warmupMs: median(rs.map((r) => r.warmupMs)),
    warmupCpuMs: median(rs.map((r) => r.warmupCpuMs)),
    coldCpuMs: rs.map((r) => r.warmupCpuMs),
    loadMs: median(rs.map((r) => r.loadMs)),
    rssAfterLoadMB: median(rs.map((r) => r.rssAfterLoadMB)),
    maxRssMB: Math.max(...rs.map((r) => r.maxRssMB)),
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run with node --expose-gc');
  g();
}

function worker(side: Side, scenario: Scenario, dir: string, runs: number, rootVersions: number): Promise<void> {
  const now = new Date();
  return measureCalls(side, scenario, dir, runs, rootVersions, (files) => (side === 'ours' ? () => verifyOurs(files, scenario, now) : () => verifyTufjs(files, scenario, now, side === 'tufjs-literal')));
}

/** The tuf-js Updater's root update (bench/side-updater.ts), measured as worker() measures the other sides. */
async function updaterWorker(dir: string, runs: number, rootVersions: number): Promise<void> {
  const { verifyUpdaterChain } = await import('./side-updater.js');
  return measureCalls('tufjs', 'chain', dir, runs, rootVersions, (files) => () => verifyUpdaterChain(files));
}

/**
 * One side in this process: the files read into memory (not timed), one cold call, then `runs` warm calls
 * with a forced GC before each; prints a WorkerResult. A synchronous call is awaited like an async one
 * (one microtask, on every side alike).
 */
async function measureCalls(side: Side, scenario: Scenario, dir: string, runs: number, rootVersions: number, make: (files: BenchFiles) => () => string | Promise<string>): Promise<void> {
  const t0 = performance.now();
  const files = loadFiles(dir, rootVersions);
  const loadMs = performance.now() - t0;
  gc();
  const rssAfterLoadMB = process.memoryUsage().rss / MB;
  const fn = make(files);
  const cpu = (from: NodeJS.CpuUsage) => {
    const d = process.cpuUsage(from);
    return (d.user + d.system) / 1000;
  };
  let t = performance.now();
  let c = process.cpuUsage();
  const summary = await fn();
  const warmupMs = performance.now() - t;
  const warmupCpuMs = cpu(c);
  const timesMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    gc();
    t = performance.now();
    c = process.cpuUsage();
    const s = await fn();
    timesMs.push(performance.now() - t);
    cpuMs.push(cpu(c));
    if (s !== summary) throw new Error(`run ${i} gave ${s}, warm-up gave ${summary}`);
  }
  const result: WorkerResult = { side, scenario, summary, timesMs, warmupMs, cpuMs, warmupCpuMs, loadMs, rssAfterLoadMB, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** @tufjs/models as shipped, on the first n entries of the benchmark targets: Targets.fromJSON + toJSON. */
function scalingWorker(dir: string, sizes: number[]): void {
  const data = JSON.parse(readFileSync(join(dir, 'targets.json'), 'utf8')) as { signed: JsonObject };
  const all = data.signed.targets as JsonObject;
  const names = Object.keys(all);
  const out: { n: number; fromJsonMs: number; toJsonMs: number }[] = [];
  for (const n of sizes) {
    const targets: JsonObject = {};
    for (const name of names.slice(0, n)) targets[name] = all[name]!;
    const signed = { ...data.signed, targets };
    gc();
    let t = performance.now();
    const model = Targets.fromJSON(signed);
    const fromJsonMs = performance.now() - t;
    t = performance.now();
    model.toJSON();
    out.push({ n, fromJsonMs, toJsonMs: performance.now() - t });
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runWorker(self: string, side: Side, scenario: Scenario, dir: string, runs: number, rootVersions: number, profileDir?: string): WorkerResult {
  const flags = ['--expose-gc'];
  if (profileDir) flags.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${side}-${scenario}.cpuprofile`);
  const child = spawnSync(process.execPath, [...flags, self, '--worker', side, scenario, dir, String(runs), String(rootVersions)], { encoding: 'utf8', maxBuffer: 16 * MB });
  if (child.status !== 0) throw new Error(`${side}/${scenario} worker failed (${child.status}):\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as WorkerResult;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Self time by function from a V8 .cpuprofile. */
function hotspots(file: string, top = 12): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id)!;
    const url = n.callFrame.url.replace(/^.*\/(node_modules\/|dist\/)/, '$1');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url}:${n.callFrame.lineNumber + 1}` : ''}`.trim();
    const dt = p.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const self = fileURLToPath(import.meta.url);
  if (args[0] === '--worker') {
    await worker(args[1] as Side, args[2] as Scenario, args[3]!, Number(args[4]), Number(args[5]));
    return;
  }
  if (args[0] === '--worker-updater') {
    await updaterWorker(args[1]!, Number(args[2]), Number(args[3]));
    return;
  }
  if (args[0] === '--worker-scaling') {
    scalingWorker(args[1]!, args.slice(2).map(Number));
    return;
  }
  if (args[0] === '--worker-sign') {
    await signWorker(Number(args[1]), Number(args[2]));
    return;
  }
  if (args[0] === '--worker-module-sign') {
    await moduleSignWorker(args[1] as BenchModule);
    return;
  }
  if (args[0] === '--worker-rehearse') {
    await rehearsalWorker();
    return;
  }
  if (args[0] === '--worker-export-input') {
    await exportInputWorker(args[1]!);
    return;
  }
  if (args[0] === '--worker-export-stage') {
    await exportStageWorker(args[1] as ExportSide, args[2]!, args[3]!);
    return;
  }
  if (args[0] === '--worker-ceremony') {
    await ceremonyWorker(args[1] as CeremonyModule, args[2] as CeremonyMode, Number(args[3]));
    return;
  }
  if (args[0] === '--worker-import') {
    await importWorker(args[1] as 'set' | 'singles', args[2]!, Number(args[3]));
    return;
  }
  if (args[0] === '--worker-hostile') {
    await hostileWorker(args[1]!, args[2]!);
    return;
  }
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const runs = Number(opt('--runs') ?? 7);
  if (!Number.isInteger(runs) || runs < 5) throw new Error('--runs must be at least 5');
  const signRounds = Number(opt('--sign-rounds') ?? 7);
  if (!Number.isInteger(signRounds) || signRounds < 5) throw new Error('--sign-rounds must be at least 5');
  const signs = Number(opt('--signs') ?? 1000);
  if (!Number.isInteger(signs) || signs < 500) throw new Error('--signs must be at least 500');
  const rehearsals = Number(opt('--rehearsals') ?? 3);
  if (!Number.isInteger(rehearsals) || rehearsals < 1) throw new Error('--rehearsals must be at least 1');
  const qrTrials = Number(opt('--qr-trials') ?? 100);
  if (!Number.isInteger(qrTrials) || qrTrials < 100) throw new Error('--qr-trials must be at least 100');
  const exportRounds = Number(opt('--export-rounds') ?? 5);
  if (!Number.isInteger(exportRounds) || exportRounds < 3) throw new Error('--export-rounds must be at least 3');
  const only = opt('--only');
  if (only !== undefined && only !== 'verify' && only !== 'signing' && only !== 'export' && only !== 'qr' && only !== 'hostile' && only !== 'repositories' && only !== 'set-import' && only !== 'ceremony') {
    throw new Error('--only is verify, signing, export, qr, hostile, repositories, set-import or ceremony');
  }
  const repositories = Number(opt('--repositories') ?? 1000);
  if (!Number.isInteger(repositories) || repositories < 1) throw new Error('--repositories must be a positive integer');
  const repoRuns = Number(opt('--repository-runs') ?? 3);
  if (!Number.isInteger(repoRuns) || repoRuns < 1) throw new Error('--repository-runs must be at least 1');
  if (only === undefined || only === 'verify') await verificationSection(args, self, opt, runs);
  if (only === undefined || only === 'signing') signingSection(self, { rounds: signRounds, signsPerRound: signs, rehearsals });
  if (only === undefined || only === 'signing' || only === 'export') await exportStageSection(self, exportRounds);
  if (only === undefined || only === 'qr') await qrSection({ trials: qrTrials });
  if (only === undefined || only === 'hostile') await hostileSection(self, opt('--hostile'));
  const tpmRepositories = Number(opt('--tpm-repositories') ?? 100);
  if (!Number.isInteger(tpmRepositories) || tpmRepositories < 1) throw new Error('--tpm-repositories must be a positive integer');
  if (only === undefined || only === 'repositories' || only === 'set-import') await repositoriesSection(self, { count: repositories, runs: repoRuns });
  if (only === undefined || only === 'repositories' || only === 'ceremony') ceremonySection(self, { count: repositories, tpmCount: tpmRepositories });
}

async function verificationSection(args: string[], self: string, opt: (name: string) => string | undefined, runs: number): Promise<void> {
  const small = args.includes('--small');
  const dir = opt('--dir') ?? join(tmpdir(), small ? 'tuf-ceremony-bench-small' : 'tuf-ceremony-bench');
  const { info, cached } = await ensureRepository(dir, args.includes('--regenerate'), small ? SMALL_SHAPE : SHAPE);
  const versions = info.shape.rootVersions;
  const styleDir = (style: FileStyle) => join(dir, style);
  const modelsVersion = (JSON.parse(readFileSync(join(fileURLToPath(new URL('.', import.meta.resolve('@tufjs/models'))), '..', 'package.json'), 'utf8')) as { version: string }).version;

  // Five, not three: the cold figure is one call per process, and on this shared 2-core machine two slow
  // processes of three (ours 1,072 / 1,577 / 1,417 ms in one run of session 12, 1,030–1,100 ms quiet)
  // moved the median by a third; the median of five needs three of them disturbed.
  const processes = Number(opt('--processes') ?? 5);
  if (!Number.isInteger(processes) || processes < 1) throw new Error('--processes must be a positive integer');
  const cpu = cpus();
  console.log('tuf-ceremony bench: air-gapped verification (PRODUCT.md §7)');
  console.log(`machine: ${cpu[0]?.model ?? 'unknown CPU'} ×${cpu.length}, node ${process.version}, @tufjs/models ${modelsVersion}`);
  console.log(
    `repository (${cached ? 'cached' : 'generated'} in ${dir}${cached ? '' : `, ${info.seconds.toFixed(1)} s`}): ${info.shape.rootVersions}-version root chain, ed25519, ` +
      `${info.shape.rootKeys} root keys with threshold ${info.shape.rootThreshold}, one key rotated per version, each version signed by ` +
      `a threshold of the previous and of its own keys (${(info.bytes.roots! / MB).toFixed(1)} MB of N.root.json); targets.json with ` +
      `${info.shape.targets.toLocaleString('en-US')} entries, sha256+sha512 each (${(info.bytes.targets! / MB).toFixed(1)} MB); snapshot.json; timestamp.json. ` +
      `Two file styles: compact (as we and tuf-js write) and pretty (python-tuf / tuf-on-ci / RSTUF: indent=1, sort_keys; targets.json ` +
      `${((info.bytes.prettyTargets ?? 0) / MB).toFixed(1)} MB)${small ? ' — --small: a reduced repository; the targets below are stated for the full one' : ''}.`,
  );
  console.log(
    'measured: bytes already in memory → verified result. ours = verifyRepository (strict parse, schema, key decoding, ' +
      'signatures, thresholds, versions, rollback, expiry, lengths+hashes); @tufjs/models = Metadata.fromJSON + verifyDelegate ' +
      '(previous and self for each root) + MetaFile.verify (length, sha256, sha512) + version and expiry checks; ' +
      '* its two quadratic Targets helpers replaced by linear equivalents (Targets model from TargetFile.fromJSON in a loop; ' +
      'targets signature by Key.verifySignature over the parsed signed object, threshold counted as verifyDelegate does). ' +
      `Each side/scenario/style in its own fresh process (--expose-gc): cold = its first call (nothing cached: modules, JIT, ` +
        `decoded keys), then ${runs} timed warm runs, GC before each; warm = their median. The full scenario runs in ${processes} ` +
        `such processes per side, ours and the peer's interleaved (each first in every other pair): cold = the median of their first calls (cold wall and RSS after load: medians too; peak RSS: the highest), warm = the median of all their warm runs. Ours empties its process-wide content caches ` +
        `(decoded public keys) at the start of every call, cold or warm: warm means JIT-warm, not served by an earlier run's data.`,
  );
  console.log('scenarios: full = pinned v1 → v1000 → timestamp → snapshot → targets; chain = root chain only; top-level = pinned at v1000, timestamp → snapshot → targets.\n');

  const machineLoad = () => `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} cores`;
  console.log(`at start: ${machineLoad()} (ratios are of the two sides measured in the same run; absolute times depend on load)\n`);
  const cases: { style: FileStyle; scenario: Scenario }[] = [
    ...SCENARIOS.map((scenario) => ({ style: 'compact' as const, scenario })),
    ...FILE_STYLES.filter((st) => st !== 'compact').map((style) => ({ style, scenario: 'full' as const })),
  ];
  const results = new Map<string, WorkerResult>();
  const key = (side: Side, style: FileStyle, scenario: Scenario) => `${side}/${style}/${scenario}`;
  // The full scenario carries the targets, so its cold figure (one call per process) is taken in several
  // fresh processes per side, interleaved ours/peer, and the median kept: one cold sample per side swung
  // the ratio by ±20 % from run to run on this shared machine. The warm runs of all of them are pooled.
  for (const { style, scenario } of cases) {
    const samples = new Map<Side, WorkerResult[]>(SIDES.map((side) => [side, []]));
    for (let i = 0; i < (scenario === 'full' ? processes : 1); i++) {
      // Each side goes first in every other pair, so neither always runs on the caches the other left.
      for (const side of i % 2 === 0 ? SIDES : [...SIDES].reverse()) samples.get(side)!.push(runWorker(self, side, scenario, styleDir(style), runs, versions));
    }
    for (const side of SIDES) results.set(key(side, style, scenario), pooled(samples.get(side)!));
    const a = results.get(key('ours', style, scenario))!;
    const b = results.get(key('tufjs', style, scenario))!;
    if (a.summary !== b.summary) throw new Error(`the sides disagree on ${style}/${scenario}: ours "${a.summary}", @tufjs/models "${b.summary}"`);
  }

  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log('CPU = user + system time of the process (all threads) during the call; wall = elapsed. Ratios use CPU time: on a shared machine it is what the load disturbs least.');
  console.log(row(['files', 'scenario', 'side', 'cold CPU ms', 'warm CPU median ms', 'cold wall ms', 'warm wall median ms', 'wall min ms', 'wall max ms', 'runs', 'peak RSS MB', 'RSS after load MB', 'result']));
  console.log(row(['---', '---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']));
  for (const { style, scenario } of cases) {
    for (const side of SIDES) {
      const r = results.get(key(side, style, scenario))!;
      console.log(
        row([
          style,
          scenario,
          side === 'ours' ? 'ours (verifyRepository)' : '@tufjs/models*',
          r.warmupCpuMs.toFixed(0),
          median(r.cpuMs).toFixed(0),
          r.warmupMs.toFixed(0),
          median(r.timesMs).toFixed(0),
          Math.min(...r.timesMs).toFixed(0),
          Math.max(...r.timesMs).toFixed(0),
          String(r.timesMs.length),
          r.maxRssMB.toFixed(0),
          r.rssAfterLoadMB.toFixed(0),
          r.summary,
        ]),
      );
    }
  }
  console.log('');
  const ratios = new Map<string, { cold: number; warm: number }>();
  for (const { style, scenario } of cases) {
    const ours = results.get(key('ours', style, scenario))!;
    const peer = results.get(key('tufjs', style, scenario))!;
    const r = { cold: peer.warmupCpuMs / ours.warmupCpuMs, warm: median(peer.cpuMs) / median(ours.cpuMs) };
    ratios.set(`${style}/${scenario}`, r);
    const samples = ours.coldCpuMs && peer.coldCpuMs ? ` (cold CPU ms of each process: ours ${ours.coldCpuMs.map((x) => x.toFixed(0)).join(' / ')}, @tufjs/models ${peer.coldCpuMs.map((x) => x.toFixed(0)).join(' / ')})` : '';
    console.log(`${`${style} ${scenario}`.padEnd(18)}: ours is ${r.cold.toFixed(2)}× as fast as @tufjs/models cold, ${r.warm.toFixed(2)}× warm (CPU time)${samples}`);
  }

  // As CLI processes: `tuf-ceremony verify` against a one-shot @tufjs/models script (bench/oneshot-tufjs.ts),
  // wall time from spawn to exit (module loading, reading the files, verifying, printing), interleaved.
  // Nine rounds by default: with five, one process slowed by something else on a two-core machine moved
  // the median by up to 15 % (session 13: the same builds measured 1.96× and 2.41× an hour apart).
  const cliRounds = Number(opt('--cli-rounds') ?? 9);
  if (!Number.isInteger(cliRounds) || cliRounds < 3) throw new Error('--cli-rounds must be at least 3');
  const bin = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'tuf-ceremony.js');
  const oneshot = join(fileURLToPath(new URL('.', import.meta.url)), 'oneshot-tufjs.js');
  // CPU time of a child from /usr/bin/time (GNU time), when installed; wall time otherwise.
  const gnuTime = existsSync('/usr/bin/time');
  // Ours as users run it (its main thread alone, `--threads` default 0) and with a worker thread checking
  // the chain's signatures beside it (`--threads 1`; io/signature-pool.ts says why that is not the default).
  type CliSide = 'ours' | 'oursThreads' | 'peer';
  const cli = new Map<FileStyle, Record<CliSide | `${CliSide}Wall`, number[]>>();
  const cliLoadBefore = machineLoad();
  for (const style of FILE_STYLES) {
    const d = styleDir(style);
    const times: Record<CliSide | `${CliSide}Wall`, number[]> = { ours: [], peer: [], oursThreads: [], oursWall: [], peerWall: [], oursThreadsWall: [] };
    for (let i = 0; i < cliRounds; i++) {
      // Each side goes first in every other round (see the process pairs above).
      for (const which of i % 2 === 0 ? (['ours', 'peer', 'oursThreads'] as const) : (['oursThreads', 'peer', 'ours'] as const)) {
        const argv =
          which === 'peer' ? [oneshot, d, String(versions)] : [bin, 'verify', d, '--root', join(d, '1.root.json'), ...(which === 'oursThreads' ? ['--threads', '1'] : [])];
        const t = performance.now();
        const child = gnuTime
          ? spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, ...argv], { encoding: 'utf8', maxBuffer: 16 * MB })
          : spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 16 * MB });
        const wall = performance.now() - t;
        if (child.status !== 0) throw new Error(`${which} CLI process failed (${child.status}):\n${child.stderr}`);
        const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(child.stderr);
        times[which].push(m ? (Number(m[1]) + Number(m[2])) * 1000 : wall);
        times[`${which}Wall`].push(wall);
      }
    }
    cli.set(style, times);
  }
  console.log(
    `\nas CLI processes (${gnuTime ? 'CPU time of the whole process by /usr/bin/time' : 'wall time spawn → exit'}, ${cliRounds} interleaved rounds, median): ` +
      'tuf-ceremony verify DIR --root DIR/1.root.json vs node oneshot-tufjs.js (the @tufjs/models side: the files read and verified once, then exit); ' +
      `${cliLoadBefore} before the rounds, ${machineLoad()} after`,
  );
  const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
  for (const [style, t] of cli) {
    console.log(
      `  ${style.padEnd(8)}: ours ${median(t.ours).toFixed(0)} ms (${spread(t.ours)}), @tufjs/models ${median(t.peer).toFixed(0)} ms (${spread(t.peer)}) — ${(median(t.peer) / median(t.ours)).toFixed(2)}× ` +
        `(wall ${median(t.oursWall).toFixed(0)} vs ${median(t.peerWall).toFixed(0)} ms); ` +
        `ours with a worker thread for the chain's signatures (--threads 1, not a target): ${median(t.oursThreads).toFixed(0)} ms, wall ${median(t.oursThreadsWall).toFixed(0)} ms`,
    );
  }

  // The tuf-js Updater (bench/side-updater.ts): its root update only — past the chain it parses targets
  // with @tufjs/models' quadratic Targets.fromJSON. Beside ours' chain scenario on the same compact files.
  const updaterChild = spawnSync(process.execPath, ['--expose-gc', self, '--worker-updater', styleDir('compact'), String(runs), String(versions)], { encoding: 'utf8', maxBuffer: 16 * MB });
  if (updaterChild.status !== 0) throw new Error(`tuf-js Updater worker failed (${updaterChild.status}):\n${updaterChild.stderr}`);
  const updater = JSON.parse(updaterChild.stdout.trim().split('\n').pop()!) as WorkerResult;
  const oursChain = results.get(key('ours', 'compact', 'chain'))!;
  if (updater.summary !== oursChain.summary) throw new Error(`the tuf-js Updater and ours disagree on the chain: "${updater.summary}" vs "${oursChain.summary}"`);
  console.log(
    `\ntuf-js Updater, root update only (client workflow 5.3 as refresh() starts it: each N.root.json fetched from memory, checked and persisted to a fresh metadata folder; ` +
      `the rest of refresh() would parse targets.json with @tufjs/models' quadratic Targets.fromJSON), compact chain v1 → v${versions}: ` +
      `cold ${updater.warmupCpuMs.toFixed(0)} ms, warm ${median(updater.cpuMs).toFixed(0)} ms CPU; ours (chain scenario above) ${oursChain.warmupCpuMs.toFixed(0)} / ${median(oursChain.cpuMs).toFixed(0)} ms — ` +
      `ours is ${(updater.warmupCpuMs / oursChain.warmupCpuMs).toFixed(2)}× as fast cold, ${(median(updater.cpuMs) / median(oursChain.cpuMs)).toFixed(2)}× warm (not a target; ours writes nothing, the Updater one file per root).`,
  );

  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(`\ntargets (issue #18; full scenario, ratios in this run; ${machineLoad()} at the end):`);
  for (const style of FILE_STYLES) {
    const r = ratios.get(`${style}/full`)!;
    const t = cli.get(style)!;
    const cliRatio = median(t.peer) / median(t.ours);
    const peak = results.get(key('ours', style, 'full'))!.maxRssMB;
    console.log(
      `  ${style.padEnd(8)}: ≥ 2× @tufjs/models cold — ${verdict(r.cold >= 2)} (${r.cold.toFixed(2)}×); ≥ 3× warm — ${verdict(r.warm >= 3)} (${r.warm.toFixed(2)}×); ` +
        `CLI process ≥ 2× — ${verdict(cliRatio >= 2)} (${cliRatio.toFixed(2)}×); peak < 250 MB — ${verdict(peak < 250)} (${peak.toFixed(0)} MB, files included)`,
    );
  }
  console.log('');

  if (small) return; // the scaling points and profiles below are for the full repository
  // @tufjs/models as shipped: the quadratic Targets.fromJSON / toJSON (see bench/sides.ts).
  const sizes = [2500, 5000, 10000];
  const scaling = spawnSync(process.execPath, ['--expose-gc', self, '--worker-scaling', styleDir('compact'), ...sizes.map(String)], { encoding: 'utf8' });
  if (scaling.status !== 0) throw new Error(`scaling worker failed:\n${scaling.stderr}`);
  const points = JSON.parse(scaling.stdout.trim()) as { n: number; fromJsonMs: number; toJsonMs: number }[];
  console.log('\n@tufjs/models as shipped (tufjs-literal): Targets.fromJSON and Targets.toJSON (which verifyDelegate calls) on the first n entries, one run each:');
  for (const p of points) console.log(`  n = ${String(p.n).padStart(6)}: fromJSON ${p.fromJsonMs.toFixed(0).padStart(6)} ms, toJSON ${p.toJsonMs.toFixed(0).padStart(6)} ms`);
  const last = points[points.length - 1]!;
  const factor = (info.shape.targets / last.n) ** 2;
  console.log(
    `  quadratic (each doubling ×${(last.fromJsonMs / points[points.length - 2]!.fromJsonMs).toFixed(1)}): at ${info.shape.targets.toLocaleString('en-US')} entries ≈ ` +
      `${(((last.fromJsonMs + last.toJsonMs) * factor) / 60_000).toFixed(0)} min per verification (extrapolated, not measured; --literal measures it once).`,
  );
  if (args.includes('--literal')) {
    const lit = runWorker(self, 'tufjs-literal', 'full', styleDir('compact'), 0, versions);
    console.log(`  measured, full scenario, one run: ${(lit.warmupMs / 60_000).toFixed(1)} min, peak RSS ${lit.maxRssMB.toFixed(0)} MB (${lit.summary})`);
  }

  if (args.includes('--cpu-prof')) {
    const profileDir = join(dir, 'profiles');
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
    for (const side of SIDES) runWorker(self, side, 'full', styleDir('compact'), 5, versions, profileDir);
    for (const file of readdirSync(profileDir).sort()) {
      console.log(`\nself time, ${file} (warm-up + 5 runs + file loading):`);
      for (const line of hotspots(join(profileDir, file))) console.log(line);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
