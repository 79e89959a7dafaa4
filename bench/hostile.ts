/**
 * `npm run bench`, hostile-input cost section (issue #12): every input family the tool reads from
 * someone else — bundle, metadata file, QR text frames, PNG frames, signing request, signature response,
 * share card, transcript, plan, site bindings — at its size cap and with the structure that costs most,
 * each case in its own child process (`node --expose-gc`): the input is written to files first by this
 * process, the child reads them (not timed), then runs the real entry point (the CLI command where there is
 * one) and reports the outcome (the error code, or "accepted"), the time, and the peak RSS of the whole
 * child (process.resourceUsage().maxRSS: the input bytes and Node itself included).
 *
 * The budgets (README "Hostile input"): each case must finish within its time budget on one core of this
 * machine and stay under its memory budget; a case over budget is printed as such (the bench does not fail).
 *
 *   [--only hostile] [--hostile CASE-SUBSTRING]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { runCli } from '../src/cli/program.js';
import { CeremonyError } from '../src/errors.js';
import { parseSignatureResponse, parseSigningRequest, REQUEST_MAX_BYTES, RESPONSE_MAX_BYTES } from '../src/rotation/request.js';
import { parseShareCard, SHARE_CARD_MAX_BYTES } from '../src/shamir/card.js';
import { verifyTranscript } from '../src/audit/verify.js';
import { MAX_TRANSCRIPT_BYTES } from '../src/audit/schema.js';
import { parsePlan, PLAN_MAX_BYTES } from '../src/ceremony/plan.js';
import { BINDINGS_MAX_BYTES, parseSiteBindings } from '../src/ceremony/site-bindings.js';
import { rehearsalPlan } from '../src/ceremony/rehearsal-plan.js';
import { canonicalBytes } from '../src/json/canonical.js';
import { sha256Hex } from '../src/crypto/digest.js';
import { DEFAULT_CAPS } from '../src/tuf/caps.js';
import { DEFAULT_MAX_VALUES } from '../src/json/parse.js';
import { DEFAULT_QR_CAPS, QrAssembler } from '../src/transport/qr/index.js';
import { bodyOf } from './hostile/frames.js';
import { envelopeOf, keysBomb, laterDelegationsRepo, longStringBomb, MB, nestingBomb, objectsBomb, pngBomb, renamedFileRepo, smallRepo, trustBundle, valuesTargets, write } from './hostile/inputs.js';

interface Budget {
  seconds: number;
  mb: number;
}

/** Families at the 50–256 MB caps: refused in seconds and well under 1 GB. */
const LARGE: Budget = { seconds: 10, mb: 700 };
/** Families capped at a few MB or less. */
const SMALL: Budget = { seconds: 3, mb: 300 };

interface Case {
  family: string;
  name: string;
  budget: Budget;
  /** Write the input files into `dir` (in the parent); returns what the child needs (paths, numbers). */
  make(dir: string): Promise<string[]>;
  /** In the child: run the entry point on the inputs; returns the outcome. */
  run(args: string[]): Promise<string>;
}

const quiet = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
};

/** The CLI's outcome: accepted, the refusal's code (stderr's first line), or inspect's refused verdict (stdout). */
async function cli(argv: string[]): Promise<string> {
  const c = quiet();
  const status = await runCli(argv, c.io);
  if (status === 0) return 'accepted';
  const m = /^error\[([A-Z_]+)\]/.exec(c.err[0] ?? '');
  if (m) return m[1]!;
  const verdict = /verification: REFUSED error\[([A-Z_]+)\]/.exec(c.out.join('\n'));
  return verdict ? `shown, verdict ${verdict[1]}` : `exit ${status}: ${(c.err[0] ?? '').slice(0, 80)}`;
}

function outcome(f: () => unknown): string {
  try {
    f();
    return 'accepted';
  } catch (err) {
    return err instanceof CeremonyError ? err.code : `CRASH ${(err as Error).name}`;
  }
}

const enc = new TextEncoder();

const CASES: Case[] = [
  {
    family: 'bundle',
    name: 'import: 50 MB trust bundle, targets.json a value bomb, signed snapshot records the real length',
    budget: LARGE,
    async make(dir) {
      const repo = await smallRepo();
      const bundle = trustBundle(repo, { 'targets.json': enc.encode(envelopeOf(objectsBomb(50 * MB))) });
      mkdirSync(join(dir, 'trust'));
      return [write(dir, 'b.tufbundle', bundle), write(dir, 'root.json', repo.root), join(dir, 'trust')];
    },
    run: ([bundle, root, trust]) => cli(['import', bundle!, '--trust-dir', trust!, '--root', root!, '--layout', 'tuf']),
  },
  {
    family: 'bundle',
    name: 'inspect: the same 50 MB bundle',
    budget: LARGE,
    async make(dir) {
      const repo = await smallRepo();
      return [write(dir, 'b.tufbundle', trustBundle(repo, { 'targets.json': enc.encode(envelopeOf(objectsBomb(50 * MB))) }))];
    },
    run: ([bundle]) => cli(['inspect', bundle!]),
  },
  {
    family: 'bundle',
    name: 'import: 250 MB trust bundle (its cap is 256 MB): four 60 MB delegated files and targets.json as bombs',
    budget: LARGE,
    async make(dir) {
      const repo = await smallRepo(4);
      const bomb = enc.encode(envelopeOf(objectsBomb(60 * MB)));
      const bundle = trustBundle(repo, { 'targets.json': enc.encode(envelopeOf(keysBomb(8 * MB))), 'role0.json': bomb, 'role1.json': bomb, 'role2.json': bomb, 'role3.json': bomb });
      mkdirSync(join(dir, 'trust'));
      return [write(dir, 'b.tufbundle', bundle), write(dir, 'root.json', repo.root), join(dir, 'trust')];
    },
    run: ([bundle, root, trust]) => cli(['import', bundle!, '--trust-dir', trust!, '--root', root!, '--layout', 'tuf']),
  },
  {
    family: 'bundle',
    name: 'inspect: the same 250 MB bundle',
    budget: LARGE,
    async make(dir) {
      const repo = await smallRepo(4);
      const bomb = enc.encode(envelopeOf(objectsBomb(60 * MB)));
      return [write(dir, 'b.tufbundle', trustBundle(repo, { 'targets.json': enc.encode(envelopeOf(keysBomb(8 * MB))), 'role0.json': bomb, 'role1.json': bomb, 'role2.json': bomb, 'role3.json': bomb }))];
    },
    run: ([bundle]) => cli(['inspect', bundle!]),
  },
  // Review-12 H1/H2: validly signed repositories (every key the attacker's: `inspect` verifies a bundle
  // from its own root) that name one role at many places. Each size the review timed, then the size the
  // caps allow: the values cap (3 million per verification) for H1, the files cap (20,000) and the
  // delegated file cap (64 MB) for H2.
  {
    family: 'delegations',
    name: 'inspect: r and r2 each delegate the same 8,000 names (review-12 H1: 21 s before)',
    budget: LARGE,
    async make(dir) {
      return [write(dir, 'b.tufbundle', trustBundle(await laterDelegationsRepo(8000), {}))];
    },
    run: ([bundle]) => cli(['inspect', bundle!]),
  },
  {
    family: 'delegations',
    name: 'verify --root: r and r2 each delegate the same 100,000 names (near the 3 million values cap)',
    budget: LARGE,
    async make(dir) {
      const repo = await laterDelegationsRepo(100_000);
      return [write(dir, 'b.tufbundle', trustBundle(repo, {})), write(dir, 'root.json', repo.root)];
    },
    run: ([bundle, root]) => cli(['verify', bundle!, '--root', root!]),
  },
  {
    family: 'delegations',
    name: 'inspect: a 16 MB X.json delegated by r and again by 800 other roles (review-12 H2: 21.5 s before; verify 49.7 s)',
    budget: LARGE,
    async make(dir) {
      return [write(dir, 'b.tufbundle', trustBundle(await renamedFileRepo(800, 16 * MB), {}))];
    },
    run: ([bundle]) => cli(['inspect', bundle!]),
  },
  {
    family: 'delegations',
    name: 'verify --root: a 64 MB X.json (its cap) delegated by r and again by 19,990 other roles (the files cap)',
    budget: LARGE,
    async make(dir) {
      // root.json, 1.root.json, timestamp, snapshot, targets, r and X: 7 files; the rest are the p_i.
      const repo = await renamedFileRepo(DEFAULT_CAPS.files - 10, DEFAULT_CAPS.delegated - 4096);
      return [write(dir, 'b.tufbundle', trustBundle(repo, {})), write(dir, 'root.json', repo.root)];
    },
    run: ([bundle, root]) => cli(['verify', bundle!, '--root', root!]),
  },
  {
    family: 'delegations',
    name: 'inspect: a 16 MB X.json with a junk signature whose key ID 400 other roles each map to a key of their own (H2 variant: 18 s before)',
    budget: LARGE,
    async make(dir) {
      return [write(dir, 'b.tufbundle', trustBundle(await renamedFileRepo(400, 16 * MB, true), {}))];
    },
    run: ([bundle]) => cli(['inspect', bundle!]),
  },
  {
    family: 'delegations',
    name: 'verify --root: the same at the caps: a 64 MB X.json, 19,990 other roles each with a key of its own (before: about an hour, extrapolated from 16 MB × 400 entries)',
    budget: LARGE,
    async make(dir) {
      const repo = await renamedFileRepo(DEFAULT_CAPS.files - 10, DEFAULT_CAPS.delegated - 4096, true);
      return [write(dir, 'b.tufbundle', trustBundle(repo, {})), write(dir, 'root.json', repo.root)];
    },
    run: ([bundle, root]) => cli(['verify', bundle!, '--root', root!]),
  },
  {
    family: 'bundle',
    name: 'status: the same 50 MB bundle',
    budget: LARGE,
    async make(dir) {
      const repo = await smallRepo();
      return [write(dir, 'b.tufbundle', trustBundle(repo, { 'targets.json': enc.encode(envelopeOf(objectsBomb(50 * MB))) }))];
    },
    run: ([bundle]) => cli(['status', bundle!]),
  },
  {
    family: 'bundle',
    name: 'status: the same 250 MB bundle',
    budget: LARGE,
    async make(dir) {
      const repo = await smallRepo(4);
      const bomb = enc.encode(envelopeOf(objectsBomb(60 * MB)));
      return [write(dir, 'b.tufbundle', trustBundle(repo, { 'targets.json': enc.encode(envelopeOf(keysBomb(8 * MB))), 'role0.json': bomb, 'role1.json': bomb, 'role2.json': bomb, 'role3.json': bomb }))];
    },
    run: ([bundle]) => cli(['status', bundle!]),
  },
  ...(['status', 'inspect'] as const).map(
    (command): Case => ({
      family: 'bundle',
      // review-12 M2: status parsed all 50 and held them (102 s, 2.2 GB); each file passes its own caps
      // (2M values), so only the budget the files share (caps.repositoryValues) bounds them.
      name: `${command}: 190 MB trust bundle, no snapshot (nothing records the files' lengths), targets.json delegating to 50 roles, each role's file valid targets metadata with 2M values in an unknown field`,
      budget: LARGE,
      async make(dir) {
        const repo = await smallRepo(50);
        const bomb = enc.encode(valuesTargets(DEFAULT_MAX_VALUES - 10_000));
        const replace: Record<string, Uint8Array> = {};
        for (let i = 0; i < 50; i++) replace[`role${i}.json`] = bomb;
        return [write(dir, 'b.tufbundle', trustBundle(repo, replace, ['snapshot.json', 'timestamp.json']))];
      },
      run: ([bundle]) => cli([command, bundle!]),
    }),
  ),
  ...(
    [
      ['[{},{},…] (one object per 3 bytes)', objectsBomb],
      ['one object with millions of keys', keysBomb],
      ['one 64 MB string', longStringBomb],
      ['nesting 32 million deep', nestingBomb],
    ] as const
  ).map(
    ([shape, bomb]): Case => ({
      family: 'metadata file',
      name: `verify DIR: root.json + 64 MB targets.json (its cap), no referrer: ${shape}`,
      budget: LARGE,
      async make(dir) {
        const repo = await smallRepo();
        const meta = join(dir, 'meta');
        mkdirSync(meta);
        write(meta, 'root.json', repo.root);
        write(meta, 'targets.json', envelopeOf(bomb(DEFAULT_CAPS.targets - 64)));
        return [meta, write(dir, 'pin.json', repo.root)];
      },
      run: ([meta, pin]) => cli(['verify', meta!, '--root', pin!]),
    }),
  ),
  {
    family: 'metadata file',
    name: 'inspect FILE: a 64 MB targets.json of [{},{},…]',
    budget: LARGE,
    async make(dir) {
      return [write(dir, 'targets.json', envelopeOf(objectsBomb(DEFAULT_CAPS.targets - 64)))];
    },
    run: ([file]) => cli(['inspect', file!]),
  },
  {
    family: 'QR text frames',
    name: `200 forged mixed frames announcing the seqLen cap (${DEFAULT_QR_CAPS.maxSeqLen}), 100-byte fragments`,
    budget: SMALL,
    async make(dir) {
      const seqLen = DEFAULT_QR_CAPS.maxSeqLen;
      const lines: string[] = [];
      for (let i = 0; i < 200; i++) lines.push(bodyOf({ seqNum: seqLen + 1 + i * 7919, seqLen, messageLen: DEFAULT_QR_CAPS.maxMessageBytes, checksum: 0x5eed, fragment: new Uint8Array(100).fill(i) }));
      return [write(dir, 'frames.txt', `${lines.join('\n')}\n`)];
    },
    async run([file]) {
      const a = new QrAssembler();
      const lines = readFileSync(file!, 'utf8').trim().split('\n');
      const times: number[] = [];
      for (const l of lines) {
        const t = performance.now();
        a.receive(l);
        times.push(performance.now() - t);
      }
      const rest = times.slice(1).sort((x, y) => x - y);
      return `accepted ${lines.length} (rank ${a.progress.rank}); per frame: first ${times[0]!.toFixed(1)} ms (alias table), median ${rest[rest.length >> 1]!.toFixed(1)} ms, worst ${rest[rest.length - 1]!.toFixed(1)} ms`;
    },
  },
  {
    family: 'QR text frames',
    name: 'for comparison: one such frame through the package\'s own chooseFragments (what the receiver called before)',
    budget: SMALL,
    async make() {
      return [];
    },
    async run() {
      const require = createRequire(import.meta.url);
      const { chooseFragments } = require('@ngraveio/bc-ur/dist/fountainUtils.js') as { chooseFragments: (a: number, b: number, c: number) => number[] };
      const seqLen = 12_000;
      const t = performance.now();
      const n = chooseFragments(seqLen + 1, seqLen, 0x5eed).length;
      return `degree ${n}: ${(performance.now() - t).toFixed(0)} ms`;
    },
  },
  {
    family: 'PNG frames',
    name: 'qr decode: a 30000 × 30000 PNG (under 1 MB on disk)',
    budget: SMALL,
    async make(dir) {
      return [write(dir, 'bomb.png', pngBomb(30000, 30000)), join(dir, 'out.bundle')];
    },
    run: ([png, out]) => cli(['qr', 'decode', png!, '--out', out!]),
  },
  {
    family: 'PNG frames',
    name: 'qr decode: a 6300 × 6300 PNG, just under the 40-megapixel budget (decoded in full)',
    budget: LARGE,
    async make(dir) {
      return [write(dir, 'big.png', pngBomb(6300, 6300)), join(dir, 'out.bundle')];
    },
    run: ([png, out]) => cli(['qr', 'decode', png!, '--out', out!]),
  },
  {
    family: 'request',
    name: `signing request at its cap (${REQUEST_MAX_BYTES / MB} MB) of [{},{},…]`,
    budget: SMALL,
    async make(dir) {
      return [write(dir, 'request.json', `{"bomb":${objectsBomb(REQUEST_MAX_BYTES - 16)}}`)];
    },
    run: async ([file]) => outcome(() => parseSigningRequest(new Uint8Array(readFileSync(file!)))),
  },
  {
    family: 'request',
    name: 'inspect REQUEST: the same file through the CLI',
    budget: SMALL,
    async make(dir) {
      return [write(dir, 'request.json', `{"bomb":${objectsBomb(REQUEST_MAX_BYTES - 16)}}`)];
    },
    run: ([file]) => cli(['inspect', file!]),
  },
  {
    family: 'response',
    name: `signature response at its cap (${RESPONSE_MAX_BYTES / 1024} KB), one object of many keys`,
    budget: SMALL,
    async make(dir) {
      return [write(dir, 'response.json', keysBomb(RESPONSE_MAX_BYTES))];
    },
    run: async ([file]) => outcome(() => parseSignatureResponse(new Uint8Array(readFileSync(file!)))),
  },
  {
    family: 'share card',
    name: `share card at its cap (${SHARE_CARD_MAX_BYTES} bytes): one long line`,
    budget: SMALL,
    async make(dir) {
      return [write(dir, 'card.txt', 'A'.repeat(SHARE_CARD_MAX_BYTES))];
    },
    run: async ([file]) => outcome(() => parseShareCard(new Uint8Array(readFileSync(file!)), { source: 'card.txt' })),
  },
  {
    family: 'transcript',
    name: `transcript at its cap (${MAX_TRANSCRIPT_BYTES / MB} MB): lines of [{},{},…]`,
    budget: SMALL,
    async make(dir) {
      const line = `${objectsBomb(100 * 1024)}\n`;
      return [write(dir, 'transcript.jsonl', line.repeat(Math.floor(MAX_TRANSCRIPT_BYTES / line.length)))];
    },
    run: async ([file]) => outcome(() => verifyTranscript(new Uint8Array(readFileSync(file!)))),
  },
  {
    family: 'plan',
    name: `ceremony plan at its cap (${PLAN_MAX_BYTES / 1024} KB) of [{},{},…]`,
    budget: SMALL,
    async make(dir) {
      return [write(dir, 'plan.json', objectsBomb(PLAN_MAX_BYTES))];
    },
    run: async ([file]) => outcome(() => parsePlan(new Uint8Array(readFileSync(file!)))),
  },
  {
    family: 'bindings',
    name: `site bindings at their cap (${BINDINGS_MAX_BYTES / 1024} KB), one object of many keys, for a valid plan`,
    budget: SMALL,
    async make(dir) {
      const plan = canonicalBytes(rehearsalPlan({ profile: 'tuf', repository: 'bench/hostile', now: new Date() }), 'json');
      return [write(dir, 'plan.json', plan), write(dir, 'bindings.json', keysBomb(BINDINGS_MAX_BYTES))];
    },
    run: async ([planFile, file]) => {
      const bytes = new Uint8Array(readFileSync(planFile!));
      const plan = parsePlan(bytes, { rehearsal: true });
      return outcome(() => parseSiteBindings(new Uint8Array(readFileSync(file!)), plan, sha256Hex(bytes)));
    },
  },
];

interface Measured {
  outcome: string;
  ms: number;
  maxRssMB: number;
  inputMB: number;
}

/** In the child: read nothing timed but the inputs' sizes, run, report. */
export async function hostileWorker(name: string, argsJson: string): Promise<void> {
  const c = CASES.find((x) => x.name === name);
  if (!c) throw new Error(`no hostile case ${name}`);
  const args = JSON.parse(argsJson) as string[];
  let inputMB = 0;
  for (const a of args) {
    try {
      inputMB += readFileSync(a).length / MB;
    } catch {
      // a folder or an output path
    }
  }
  (globalThis as { gc?: () => void }).gc?.();
  const t = performance.now();
  let result: string;
  try {
    result = await c.run(args);
  } catch (err) {
    result = `CRASH ${err instanceof Error ? err.message.slice(0, 100) : String(err)}`;
  }
  const m: Measured = { outcome: result, ms: performance.now() - t, maxRssMB: process.resourceUsage().maxRSS / 1024, inputMB };
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

export async function hostileSection(self: string, filter?: string): Promise<void> {
  console.log('\ntuf-ceremony bench: hostile input, cost per family (issue #12)');
  console.log(
    'each case in its own child process (node --expose-gc): input written to files first, read by the child (not timed), then the real entry point; ' +
      `peak RSS is the whole child's. Budgets: inputs at the 50–256 MB caps ≤ ${LARGE.seconds} s and ≤ ${LARGE.mb} MB; smaller families ≤ ${SMALL.seconds} s and ≤ ${SMALL.mb} MB.\n`,
  );
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log(row(['family', 'case', 'input MB', 'outcome', 'seconds', 'peak RSS MB', 'budget', 'within']));
  console.log(row(['---', '---', '---:', '---', '---:', '---:', '---', '---']));
  for (const c of CASES.filter((x) => !filter || x.name.includes(filter) || x.family.includes(filter))) {
    const dir = mkdtempSync(join(tmpdir(), 'tufc-hostile-'));
    try {
      const args = await c.make(dir);
      const child = spawnSync(process.execPath, ['--expose-gc', self, '--worker-hostile', c.name, JSON.stringify(args)], { encoding: 'utf8', maxBuffer: 16 * MB });
      if (child.status !== 0) {
        console.log(row([c.family, c.name, '', `CHILD FAILED (${child.status ?? child.signal}): ${child.stderr.split('\n').find((l) => l.trim()) ?? ''}`, '', '', '', 'NO']));
        continue;
      }
      const m = JSON.parse(child.stdout.trim().split('\n').pop()!) as Measured;
      const ok = m.ms / 1000 <= c.budget.seconds && m.maxRssMB <= c.budget.mb && !m.outcome.startsWith('CRASH');
      console.log(row([c.family, c.name, m.inputMB.toFixed(1), m.outcome, (m.ms / 1000).toFixed(2), m.maxRssMB.toFixed(0), `${c.budget.seconds} s, ${c.budget.mb} MB`, ok ? 'yes' : 'NO']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
