/**
 * The Root ceremony channels' work (PRODUCT.md §2.3, §2.8): load a reviewed plan and its site bindings,
 * or prepare the core's rehearsal plan; run the machine (src/ceremony/machine.ts) in this process, one
 * ceremony at a time; report its steps, progress and PIN requests to the renderer, which polls
 * `ceremonyStatus`; and show the outputs and the verified transcript at the end.
 *
 * PINs (PRODUCT.md §1): the machine asks for a custodian's PIN through the token provider only once the
 * expected token is open (src/ceremony/tokens.ts `announce` runs first). Here that becomes a *pending
 * request*: the token's label and serial (and, on a resumed ceremony, the keys expected on it) are shown in
 * the renderer's PIN dialog, and `providePin` answers it with one PIN, which becomes bytes at once and goes
 * straight to that one login; the token layer zeroes the bytes after the login, whatever happens. Nothing
 * here keeps a PIN: a request holds only the function that hands the bytes over. Rehearsal tokens are
 * logged in already (with random PINs nobody sees), so a rehearsal asks for none.
 *
 * Outputs go to a folder main chooses (`deps.chooseOutputDir`: the save-directory dialog in the app, a
 * temporary folder in tests). A failed step can be resumed with the same plan into the same folder: the
 * machine skips the steps it finished and finds the keys it made. The rehearsal tokens (and the
 * rehearsal's software keys) are kept open until another plan is loaded, so a rehearsal resumes too.
 *
 * Plain functions over narrow dependencies: unit-tested with software rehearsal tokens and a fake
 * provider (test/unit/electron/ceremony.test.ts); no Electron here.
 */
import { setTouchNotice } from '../../src/signers/pkcs11/piv-touch.js';
import { randomBytes } from 'node:crypto';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { verifyTranscript } from '../../src/audit/verify.js';
import { MAX_TRANSCRIPT_BYTES } from '../../src/audit/schema.js';
import type { VerifiedTranscript } from '../../src/audit/types.js';
import { sha256Hex } from '../../src/crypto/digest.js';
import { groupHex, shortDigest, SHORT_DIGEST_BYTES } from '../../src/crypto/digest-words.js';
import {
  allOutputNames,
  intentHash,
  parsePlan,
  parseSiteBindings,
  Pkcs11TokenProvider,
  rehearsalPlan,
  RehearsalTokenProvider,
  runCeremony,
  SEAL_STEP_NAME,
  SECRET_DIR,
  SHARE_CARDS_HTML,
  STEPS,
  TRANSCRIPT_FILE,
  TRANSCRIPT_HTML,
  type CeremonyPlan,
  type CeremonyResult,
  type CeremonyStepEvent,
  type SiteBindings,
  type TokenProvider,
} from '../../src/ceremony/index.js';
import { splitKeyNotice, type PlanCustodian } from '../../src/ceremony/plan.js';
import { parseAnyPlan, type MultiRepositoryPlan } from '../../src/ceremony/multi-plan.js';
import { repositoryFolder, runMultiCeremony } from '../../src/ceremony/multi-machine.js';
import { inputsFromPlan, multiOutputNames, multiPlanView, multiResultView } from './multi-ceremony.js';
import { appFailureMessage } from './app-words.js';
import { REHEARSAL_CUSTODIANS } from '../../src/ceremony/rehearsal-plan.js';
import { installedSoftHsm, openRehearsalTokenSet, rehearsalKindFor, type RehearsalTokenSet } from '../../src/ceremony/rehearsal-tokens.js';
import { isPresetPath } from '../../src/signers/pkcs11/presets.js';
import { parseServerKey } from '../../src/ceremony/server-key.js';
import type { ExpectedKey, ManagementKeyRetry } from '../../src/ceremony/tokens.js';
import type { AttestationTrust } from '../../src/attestation/yubico-pki.js';
import { slotTitle } from '../../src/signers/pkcs11/piv-slots.js';
import { CeremonyError, toErrorShape } from '../../src/errors.js';
import type { PrintDocument } from './print.js';
import { assertAbsent, readFileCapped, readNamedInput, writeFileAtomic } from '../../src/io/files.js';
import { METADATA_DIR, STATE_DIR } from '../../src/ceremony/layout.js';
import { StateFile } from '../../src/ceremony/state.js';
import { SHAMIR_KEY } from '../../src/ceremony/steps/shamir-backup.js';
import { formatSplitId, wipeShareCard, type ShareCard } from '../../src/shamir/index.js';
import { shownOrQuoted } from '../../src/json/fields.js';
import { moduleFileExists } from '../../src/io/softhsm.js';
import type { TokenDescription } from '../../src/signers/pkcs11/token.js';
import { TokenError } from '../../src/signers/pkcs11/errors.js';
import { PinNotGiven, type PinRetry } from '../../src/signers/pkcs11/pin-retry.js';
import { listPublicKey } from '../../src/signers/public-key-json.js';
import type { RehearsalKind } from '../../src/signers/rehearsal.js';
import type { SigningKey } from '../../src/signers/signing-key.js';
import { SoftwareKey } from '../../src/signers/software.js';
import type {
  CeremonyLoadRequest,
  CeremonyManagementKeyRequestView,
  CeremonyOutputView,
  CeremonyPhase,
  CeremonyPinRequestView,
  CeremonyPlanRowsView,
  CeremonyPlanView,
  MultiRepositoryRowView,
  CeremonyRehearseRequest,
  CeremonySlotRequestView,
  CeremonyStatusView,
  CeremonyStepView,
  IpcFailure,
  KeyAlgorithmName,
  NamedFile,
  PlanCustodianView,
  PlanRoleView,
  PrintResultView,
  TranscriptView,
} from '../shared/api-types.js';
import type { ModuleLoader } from './tokens.js';

export const PLAN_FILE = 'plan.json';
export const TIMESTAMP_KEY_FILE = 'timestamp.key';
/** The pseudo-step after the machine's steps: the seal and the printable transcript. */
const SEAL_STEP = { name: SEAL_STEP_NAME, title: 'seal the transcript and write its printable copy' } as const;
/** Said with "Touch your YubiKey now" when the key's touch policy is not known (piv-touch.ts: unknown counts as touch). */
export const TOUCH_POLICY_UNKNOWN = 'Its touch policy is not known yet: touch it if it blinks.';
/** Progress lines kept for the screen (the newest). */
const MAX_LOG_LINES = 200;
/** What each witness of the start confirmed, in the transcript's plan.review entry. */
export const WITNESS_CONFIRMED = 'compared the plan intent hash words with the reviewed plan';
const OUTPUT_HASH_CAP = 64 * 1024 * 1024;

export interface CeremonyDeps {
  /** Where the outputs go: the app asks with a save-directory dialog; tests give a temporary folder. Undefined: cancelled. */
  chooseOutputDir(suggestedName: string): Promise<string | undefined>;
  /** Print a document (share cards): the app prints it from a hidden, hardened window to a PDF path it asks for. */
  printHtml(html: string, doc: PrintDocument): Promise<PrintResultView>;
  /** PKCS#11 modules for real tokens (main's one `TokenModules`). */
  modules: ModuleLoader;
  moduleExists(path: string): boolean;
  platform: string;
  /** For site bindings that name an environment variable as a custodian's PIN source (scripted rehearsals). */
  env: Record<string, string | undefined>;
  /**
   * The SoftHSM2 module rehearsals use, or undefined for in-process software tokens. Default: SoftHSM2
   * when it is installed (PRODUCT.md §2.8), as `tuf-ceremony rehearse` does.
   */
  rehearsalSoftHsm(): string | undefined;
  /**
   * Rehearsal tokens, one per custodian, logged in (src/ceremony/rehearsal-tokens.ts, shared with the CLI:
   * SoftHSM2 in a private temporary token folder, or software tokens when `softhsm` is undefined).
   */
  openRehearsalTokens(custodians: readonly string[], softhsm: string | undefined): Promise<RehearsalTokenSet>;
  now(): Date;
  /**
   * Whether a PKCS#11 library path named by site bindings may be loaded: a preset's install path on this
   * platform, or a file the person chose in main's dialog (module-choices.ts). The bindings' bytes come
   * through the renderer, so their word alone must not make main load and run a library.
   */
  moduleConfirmed(path: string): boolean;
  /** Test hook passed to the machine (throw to interrupt at a named point). */
  fault?: (point: string) => void | Promise<void>;
  /**
   * For tests and private PKIs only: YubiKey attestation roots instead of Yubico's (never mixed with
   * them; the emulated cards' test root). The app never sets it.
   */
  attestationTrust?: AttestationTrust;
}

export function defaultCeremonyDeps(over: Partial<CeremonyDeps> & Pick<CeremonyDeps, 'modules'>): CeremonyDeps {
  return {
    chooseOutputDir: async () => undefined,
    printHtml: async () => ({ cancelled: true }),
    moduleExists: moduleFileExists,
    platform: process.platform,
    env: process.env,
    rehearsalSoftHsm: () => installedSoftHsm(),
    openRehearsalTokens: (custodians, softhsm) => openRehearsalTokenSet({ custodians, softhsm }),
    now: () => new Date(),
    moduleConfirmed: (path) => isPresetPath(path, over.platform ?? process.platform),
    ...over,
  };
}

interface Loaded {
  kind: 'plan' | 'rehearsal';
  planBytes: Uint8Array;
  /** A multi-repository plan: its first repository's plan (custodians and root are the same in all). */
  plan: CeremonyPlan;
  /** A multi-repository plan (issue #17): run by runMultiCeremony, as `tuf-ceremony run` does. */
  multi?: MultiRepositoryPlan;
  /** Its table rows (ceremonyPlanRows), kept out of the status every poll carries. */
  rows?: MultiRepositoryRowView[];
  planName: string;
  bindings?: SiteBindings;
  /** Files the plan names (server keys), written next to it before the run. */
  inputs: NamedFile[];
  view: CeremonyPlanView;
  /** A rehearsal: its tokens' module (SoftHSM2) or none (software), and what the banner adds to the kind's notice. */
  rehearsal?: { softhsm: string | undefined; noticeTail: string };
}

interface PendingPin {
  view: CeremonyPinRequestView;
  give(pin: Uint8Array): void;
  refuse(err: CeremonyError): void;
}

/** A proposed PIV slot waiting for the custodian's yes or no (no answer is no). */
interface PendingSlot {
  view: CeremonySlotRequestView;
  answer(yes: boolean): void;
}

/** The PIV management key asked without echo: as PendingPin, the request holds only the hand-over. */
interface PendingManagementKey {
  view: CeremonyManagementKeyRequestView;
  give(key: Uint8Array): void;
  refuse(err: CeremonyError): void;
}

interface Run {
  outDir: string;
  planDir: string;
  /** A staging folder main made for the plan's input files (removed when the session ends). */
  staging?: string;
  steps: CeremonyStepView[];
  log: string[];
  tokens: { custodian: string; label: string; serial: string }[];
  /** Keys made on each custodian's token before an interruption, as announced with the token. */
  announcedKeys: Map<string, readonly ExpectedKey[]>;
  pending?: PendingPin;
  pendingSlot?: PendingSlot;
  pendingManagementKey?: PendingManagementKey;
  /** Loud warnings (the factory-default management key), shown by the screen until the session ends. */
  warnings: string[];
  /** A YubiKey signature waiting for a touch (cleared by the next progress line). */
  touch?: NonNullable<CeremonyStatusView['touch']>;
  running: boolean;
  failure?: Omit<IpcFailure, 'ok'>;
  result?: NonNullable<CeremonyStatusView['result']>;
  /** A rehearsal's tokens and software keys, kept until the session ends (so it can resume). */
  rehearsalTokens?: RehearsalTokenSet;
  softwareKeys: Map<string, SigningKey>;
  /** Witness names given at the start (issue #16). */
  witnesses: string[];
  /** Settles when the current attempt ends (tests await it). */
  done?: Promise<void>;
  /** A multi-repository ceremony: repositories written in this attempt (issue #17). */
  multiProgress?: NonNullable<CeremonyStatusView['multiProgress']>;
  /**
   * Share cards given to this attempt (a resume of a multi-repository plan's split key): handed to the
   * machine once, when it first needs the key, and wiped by it; wiped here when the attempt ends unused.
   */
  shareCards?: ShareCard[];
  /** A stopped multi-repository ceremony whose recorded split key was wiped: what its resume needs. */
  resumeShareCards?: NonNullable<CeremonyStatusView['resumeShareCards']>;
}

function wipeCards(cards: readonly ShareCard[] | undefined): void {
  for (const c of cards ?? []) wipeShareCard(c);
}

const encoder = new TextEncoder();

function hashView(bytes: Uint8Array): CeremonyPlanView['hash'] {
  const h = intentHash(bytes);
  return { sha256: h.sha256, grouped: h.grouped, short: h.short, words: h.words };
}

function algorithmTitle(a: KeyAlgorithmName): string {
  return { 'ecdsa-p256': 'ECDSA P-256', 'ecdsa-p384': 'ECDSA P-384', ed25519: 'Ed25519', 'rsa-pss-sha256': 'RSA-PSS 3072' }[a];
}

/** The plan as the screen shows it: who holds what, thresholds, expiry, the intent hash. */
export function planView(loaded: Pick<Loaded, 'plan' | 'planBytes' | 'planName' | 'bindings' | 'kind'>, rehearsalNotice?: string): CeremonyPlanView {
  const { plan, bindings } = loaded;
  const rehearsal = loaded.kind === 'rehearsal';
  const custodians: PlanCustodianView[] = plan.custodians.map((c) => {
    const v: PlanCustodianView = { name: c.name, expected: c.token ? { ...c.token } : null, pin: rehearsal ? 'rehearsal' : 'dialog', keyAlgorithm: c.keyAlgorithm, keyLabel: c.keyLabel };
    const b = bindings?.custodians.get(c.name);
    if (b) {
      v.bound = { ...b.token };
      v.module = 'preset' in b.module ? b.module.preset : b.module.path;
      v.pin = b.pin.kind === 'env' ? 'environment' : 'dialog';
    }
    return v;
  });
  const rootKeys = plan.custodians.map((c) => `${c.name}’s token (${algorithmTitle(c.keyAlgorithm)}, key “${c.keyLabel}”)`);
  if (plan.shamir) rootKeys.push(`software backup key (${algorithmTitle(plan.shamir.keyAlgorithm)}), split ${plan.shamir.threshold} of ${plan.shamir.shares} into share cards`);
  const roles: PlanRoleView[] = [{ role: 'root', keys: rootKeys, threshold: plan.root.threshold, expires: plan.root.expires.text }];
  for (const name of ['targets', 'snapshot', 'timestamp'] as const) {
    const r = plan[name];
    if ('expires' in r) {
      const k = r.key;
      const holder = k.kind === 'token' ? `${k.custodian}’s token (${algorithmTitle(k.keyAlgorithm)}, key “${k.keyLabel}”)` : `rehearsal software key (${algorithmTitle(k.keyAlgorithm)})`;
      const publishers = name === 'targets' ? plan.targets.publishers.map((p) => `publisher ${p.name}’s own key (${p.keyFile}, SHA-256 ${p.sha256.slice(0, 16)}…): signs targets on its own`) : [];
      roles.push({ role: name, keys: [holder, ...publishers], threshold: 1, expires: r.expires.text });
    } else {
      roles.push({ role: name, keys: [`the server’s key (${r.key.keyFile}, SHA-256 ${r.key.sha256.slice(0, 16)}…): the server signs ${name}`], threshold: 1 });
    }
  }
  const view: CeremonyPlanView = {
    rehearsal,
    planName: loaded.planName,
    profile: plan.profile,
    repository: plan.repository,
    hash: hashView(loaded.planBytes),
    custodians,
    root: { threshold: plan.root.threshold, keys: plan.custodians.length + (plan.shamir ? 1 : 0), expires: plan.root.expires.text },
    roles,
  };
  if (rehearsalNotice) view.rehearsalNotice = rehearsalNotice;
  if (plan.shamir) view.shamir = { ...plan.shamir };
  // Said as the CLI says it (plan.ts splitKeyNotice): the card holders alone can sign a new root.
  const splitNotice = splitKeyNotice(plan);
  if (splitNotice) view.notices = [`${splitNotice[0]!.toUpperCase()}${splitNotice.slice(1)}.`];
  return view;
}

/** The steps the machine will run for this plan, then the seal. */
export function planSteps(plan: CeremonyPlan): CeremonyStepView[] {
  return [...STEPS.filter((s) => s.applies(plan)).map((s) => ({ name: s.name, title: s.title, status: 'pending' as const })), { ...SEAL_STEP, status: 'pending' as const }];
}

/**
 * Follow the machine's step boundaries (runCeremony's `onStep`: structured events, not the wording of its
 * progress lines). Steps that do not apply to the plan are not in the checklist (planSteps), so their
 * `skipped` events change nothing.
 */
export function trackStep(steps: CeremonyStepView[], event: CeremonyStepEvent): void {
  const step = steps.find((s) => s.name === event.step);
  if (!step || event.status === 'skipped') return;
  step.status = event.status === 'started' ? 'running' : 'done';
}

export function transcriptView(t: VerifiedTranscript, fileName: string, expected?: string): TranscriptView {
  const h = t.header;
  const short = shortDigest(h.planHash);
  const view: TranscriptView = {
    fileName,
    kind: h.kind,
    profile: h.profile,
    repository: h.repository,
    planHash: { sha256: h.planHash, grouped: groupHex(h.planHash), short: short.hex, words: short.words },
    rehearsal: t.rehearsal,
    started: h.started,
    appVersion: h.appVersion,
    sealed: t.sealed,
    entries: t.entries.map((e) => {
      const out: TranscriptView['entries'][number] = {
        seq: e.seq,
        time: e.time,
        step: e.step,
        actor: { name: e.actor.name, role: e.actor.role },
        digests: e.digests.map((d) => ({ label: d.label, sha256: d.sha256, short: d.short, words: [...d.words] })),
        inputs: e.inputs.map((f) => ({ name: f.name, sha256: f.sha256 })),
        outputs: e.outputs.map((f) => ({ name: f.name, sha256: f.sha256 })),
        witnesses: e.witnesses.map((w) => ({ name: w.name, confirmed: w.confirmed })),
      };
      if (e.token) out.token = { ...e.token };
      if (e.note !== undefined) out.note = e.note;
      return out;
    }),
    problems: t.problems.map((p) => ({ code: p.code, message: p.message, ...(p.line !== undefined ? { line: p.line } : {}) })),
  };
  if (t.sealedBy) {
    const fp = shortDigest(t.sealedBy.fingerprint);
    view.sealedBy = { keyId: t.sealedBy.keyId, fingerprint: { sha256: fp.sha256, hex: fp.hex, words: fp.words }, keytype: t.sealedBy.keytype, scheme: t.sealedBy.scheme, time: t.sealedBy.time };
  }
  if (expected !== undefined) {
    const e = expected.toLowerCase();
    view.expectedKey = { given: e, matches: t.sealedBy !== undefined && (t.sealedBy.keyId === e || t.sealedBy.fingerprint === e) };
  }
  return view;
}

/**
 * Verify a transcript file (chain and seal, src/audit/verify.ts): any refusal is thrown with its code and
 * where (line and JSON path). An expected key is compared, not required: the screen says whether it matches.
 */
export function verifyTranscriptFile(file: NamedFile, expectedSealKey?: string): TranscriptView {
  const t = verifyTranscript(file.bytes);
  return transcriptView(t, file.name, expectedSealKey);
}

/** The banner of a rehearsal: which rehearsal tokens it runs on (PRODUCT.md §2.8), and what else it must say. */
export function rehearsalNotice(kind: RehearsalKind, tail = ''): string {
  const tokens = kind === 'softhsm2' ? 'SoftHSM2 rehearsal tokens (software, in a private temporary folder)' : 'in-process software rehearsal tokens (SoftHSM2 is not installed)';
  return `REHEARSAL on ${tokens}, not hardware${tail}. Keys made here must never protect a real repository.`;
}

function failureOf(err: unknown): Omit<IpcFailure, 'ok'> {
  const shape = toErrorShape(err);
  // The code stays the core's; where the core's words are the CLI's (`--share-card`), the app's instead.
  const out: Omit<IpcFailure, 'ok'> = { ...shape, message: appFailureMessage(shape.code, shape.message) };
  if (err instanceof TokenError) {
    if (err.token) out.token = { label: err.token.label, serial: err.token.serial };
    if (err.pinTries) out.pinTries = err.pinTries;
  }
  return out;
}

/** One ceremony at a time, for the whole process (main holds one; the e2e bridge one per session). */
export class CeremonySession {
  private loaded: Loaded | undefined;
  private run: Run | undefined;

  constructor(private readonly deps: CeremonyDeps) {}

  /**
   * start()/resume() between their entry and launch(): the folder dialog and the input files' writes (up to
   * one per key file of a 5,000-repository plan) take seconds, and a second start, or a load of another plan,
   * in that window would launch two runs or sign a plan other than the one on the screen (review A1).
   */
  private starting = false;

  private get busy(): boolean {
    return this.starting || this.run?.running === true;
  }

  private refuseIfBusy(what: string): void {
    if (this.busy) throw new CeremonyError('USAGE', `a ceremony is ${this.starting ? 'starting' : 'running'}: ${what} when it has finished or stopped`);
  }

  /** A reviewed plan and its bindings (checked against it); nothing is done yet. */
  async load(req: CeremonyLoadRequest): Promise<CeremonyStatusView> {
    this.refuseIfBusy('open another plan');
    // Either kind of plan document (multi-plan.ts): a multi-repository plan's custodians and root are the
    // same in every repository, so its bindings are checked against the first one's plan, as `run` does.
    const any = parseAnyPlan(req.plan.bytes, { source: req.plan.name });
    const multi = any.kind === 'multi' ? any.plan : undefined;
    const plan = any.kind === 'single' ? any.plan : any.plan.repositories[0]!.plan;
    const hash = intentHash(req.plan.bytes);
    const bindings = parseSiteBindings(req.bindings.bytes, plan, hash.sha256);
    // A library the bindings name by path is loaded (and run) by main: only a preset's own path or a file
    // chosen in main's dialog. Refused now, before anything else, with what to do.
    for (const [name, b] of bindings.custodians) {
      if ('path' in b.module && !this.deps.moduleConfirmed(b.module.path)) {
        throw new CeremonyError(
          'MODULE_CHOICE_UNKNOWN',
          `the site bindings name the PKCS#11 library ${shownOrQuoted(b.module.path)} for ${shownOrQuoted(name)}: confirm it by choosing that file with "Choose module file…" on the Tokens screen, then open the plan again (the app loads only preset libraries and files chosen in its own dialog)`,
          // Where the path is written: the top-level default (`$.module.path`) or this custodian's own.
          { path: `${b.moduleAt}.path` },
        );
      }
    }
    // Every key file the plan names must be among the inputs, with the reviewed bytes, and nothing else: refused now, not mid-ceremony.
    const inputs = inputsFromPlan(multi ? { multi } : { single: plan }, req.inputs ?? []);
    await this.reset();
    const base = { kind: 'plan' as const, planBytes: req.plan.bytes, plan, planName: req.plan.name, bindings };
    const view = planView(base);
    const table = multi ? multiPlanView(multi) : undefined;
    if (table) view.multi = table.summary;
    this.loaded = { ...base, inputs, view, ...(multi && table ? { multi, rows: table.rows } : {}) };
    return this.status();
  }

  /** The core's rehearsal plan (src/ceremony/rehearsal-plan.ts), as `tuf-ceremony rehearse` builds it. */
  async rehearse(req: CeremonyRehearseRequest): Promise<CeremonyStatusView> {
    this.refuseIfBusy('prepare a rehearsal');
    if (req.profile === 'tuf' && req.timestampKey) {
      throw new CeremonyError('USAGE', 'a timestamp key file is for the notary profile (notary-server holds the timestamp key); a TUF rehearsal makes its own', { path: '$.timestampKey' });
    }
    const now = this.deps.now();
    const inputs: NamedFile[] = [];
    let timestampKey: { keyFile: string; sha256: string } | undefined;
    if (req.profile === 'notary') {
      let bytes: Uint8Array;
      if (req.timestampKey) {
        bytes = req.timestampKey.bytes;
        parseServerKey(bytes, req.timestampKey.name);
      } else {
        const key = SoftwareKey.generate('ed25519', { label: 'rehearsal timestamp key', rehearsal: true });
        try {
          const listed = listPublicKey('notary', key.spki);
          bytes = encoder.encode(JSON.stringify({ keytype: listed.json.keytype, keyval: { private: null, public: (listed.json.keyval as { public: string }).public } }));
        } finally {
          key.dispose();
        }
      }
      inputs.push({ name: TIMESTAMP_KEY_FILE, bytes });
      timestampKey = { keyFile: TIMESTAMP_KEY_FILE, sha256: sha256Hex(bytes) };
    }
    const planBytes = encoder.encode(JSON.stringify(rehearsalPlan({ profile: req.profile, repository: req.repository, now, ...(timestampKey ? { timestampKey } : {}) }), null, 2) + '\n');
    const plan = parsePlan(planBytes, { rehearsal: true, source: PLAN_FILE });
    await this.reset();
    const base = { kind: 'rehearsal' as const, planBytes, plan, planName: PLAN_FILE };
    const softhsm = this.deps.rehearsalSoftHsm();
    const noticeTail = req.profile === 'notary' && !req.timestampKey ? '; the rehearsal makes its own timestamp key, so notary-server would not accept this root' : '';
    const kind = rehearsalKindFor(softhsm);
    const view = planView(base, rehearsalNotice(kind, noticeTail));
    view.rehearsalKind = kind;
    this.loaded = { ...base, inputs, view, rehearsal: { softhsm, noticeTail } };
    return this.status();
  }

  /**
   * Ask where the outputs go, then start the machine; answers at once. `witnesses`: the people who
   * compared the plan's hash words with the reviewed copy (issue #16), recorded in the first transcript entry.
   */
  async start(witnesses: readonly string[] = []): Promise<CeremonyStatusView> {
    this.refuseIfBusy('start again');
    const loaded = this.loaded;
    if (!loaded) throw new CeremonyError('USAGE', 'open a plan, or prepare a rehearsal, first');
    if (this.run) throw new CeremonyError('USAGE', this.run.result ? 'this ceremony is complete: open a plan or prepare a rehearsal for another' : 'this ceremony stopped: resume it (the same plan and output folder)');
    this.starting = true;
    let staging: string | undefined;
    let launched = false;
    try {
      const suggested = loaded.multi ? `${loaded.multi.repositories.length}-repositories-ceremony` : `${loaded.plan.repository.replace(/[^A-Za-z0-9.-]+/g, '_')}-${loaded.kind === 'rehearsal' ? 'rehearsal' : 'ceremony'}`;
      const outDir = await this.deps.chooseOutputDir(suggested);
      if (outDir === undefined) throw new CeremonyError('USAGE', 'no output folder was chosen; nothing was done');
      // Outputs are never overwritten: refuse before anything is written (the machine checks again).
      const own = loaded.kind === 'rehearsal' ? [PLAN_FILE, ...loaded.inputs.map((f) => f.name)] : [];
      await assertAbsent([...own, ...(loaded.multi ? multiOutputNames() : allOutputNames(loaded.plan))].map((n) => join(outDir, n)), ' (a ceremony writes into a new folder, or resumes from its state/ceremony-state.json)');
      let planDir = outDir;
      if (loaded.kind === 'rehearsal') {
        // As `rehearse` does: the plan and its inputs are left beside the outputs (the plan's hash is the transcript's planHash).
        await writeFileAtomic(join(outDir, PLAN_FILE), loaded.planBytes);
        for (const f of loaded.inputs) await writeFileAtomic(join(outDir, f.name), f.bytes);
      } else if (loaded.inputs.length > 0) {
        staging = await mkdtemp(join(tmpdir(), 'tufc-plan-inputs-'));
        for (const f of loaded.inputs) await writeFileAtomic(join(staging, f.name), f.bytes);
        planDir = staging;
      }
      this.refuseIfPlanChanged(loaded);
      this.run = { outDir, planDir, steps: planSteps(loaded.plan), log: [], tokens: [], announcedKeys: new Map(), running: false, softwareKeys: new Map(), witnesses: [...witnesses], warnings: [] };
      if (staging) this.run.staging = staging;
      this.launch(loaded, this.run);
      launched = true;
    } finally {
      this.starting = false;
      // A refusal before the launch leaves no staging folder behind (the run owns it once launched).
      if (!launched && staging) await rm(staging, { recursive: true, force: true });
    }
    return this.status();
  }

  /** The plan custodians reviewed on the screen is the one launched: same object, same bytes (review A1). */
  private refuseIfPlanChanged(loaded: Loaded): void {
    const now = this.loaded;
    if (now !== loaded || now.view.hash.sha256 !== loaded.view.hash.sha256) throw new CeremonyError('USAGE', 'the open plan changed while the ceremony was starting: nothing was launched; review the open plan and start again');
  }

  /**
   * After a failure: the same plan into the same folder; done steps are skipped, keys found on their tokens.
   * `shareCards`: a multi-repository plan with `shamir` stopped after its split (src/ceremony/multi-shamir.ts):
   * M of its cards, parsed and checked as one set in main (ShareSetStore.claim). They are this attempt's
   * only: the machine asks for them once, if a root still needs the split key, rebuilds the key (checked
   * against the recorded split and fingerprint) and wipes them; unused, they are wiped when the attempt
   * ends. Refused, they are wiped at once.
   */
  async resume(opts: { shareCards?: ShareCard[] } = {}): Promise<CeremonyStatusView> {
    const cards = opts.shareCards;
    try {
      this.refuseIfBusy('resume');
      this.starting = true;
      try {
        const loaded = this.loaded;
        const run = this.run;
        if (!loaded || !run || run.result || !run.failure) throw new CeremonyError('USAGE', 'there is no stopped ceremony to resume');
        if (cards && !loaded.multi?.shamir) {
          throw new CeremonyError('USAGE', 'share cards resume a multi-repository ceremony whose plan has "shamir" (its split root key re-entered from the cards); this plan has none', { path: '$.shareSet' });
        }
        this.refuseIfPlanChanged(loaded);
        run.steps = planSteps(loaded.plan);
        delete run.failure;
        delete run.multiProgress;
        delete run.resumeShareCards;
        wipeCards(run.shareCards);
        if (cards) run.shareCards = cards;
        this.launch(loaded, run);
      } finally {
        this.starting = false;
      }
    } catch (err) {
      wipeCards(cards);
      throw err;
    }
    return this.status();
  }

  private launch(loaded: Loaded, run: Run): void {
    run.running = true;
    const say = (line: string) => {
      // A line after a touch notice means the signature it was for is over (signed or failed).
      delete run.touch;
      run.log.push(line);
      if (run.log.length > MAX_LOG_LINES) run.log.splice(0, run.log.length - MAX_LOG_LINES);
    };
    // "Touch your YubiKey now" (piv-touch.ts): shown by the screen while the signature waits, and kept
    // in the log. One ceremony runs at a time in this process, so the notice is this run's.
    // A key whose touch policy is not known yet (a new key's self-test, before its attestation is read)
    // is announced too, saying so: the log then tells which notices the attested policy asked for.
    const previousTouch = setTouchNotice((n) => {
      const message = n.policy === 'unknown' ? `${n.message} ${TOUCH_POLICY_UNKNOWN}` : n.message;
      say(message);
      run.touch = { message, serial: n.serial, policy: n.policy };
    });
    run.done = (async () => {
      let provider: TokenProvider | undefined;
      let closeProvider = true;
      try {
        if (loaded.kind === 'rehearsal') {
          run.rehearsalTokens ??= await this.deps.openRehearsalTokens(REHEARSAL_CUSTODIANS, loaded.rehearsal?.softhsm);
          const set = run.rehearsalTokens;
          if (this.run !== run) {
            // The session was closed (the app quitting) while the tokens were being opened: close them now,
            // nobody else will (their temporary SoftHSM2 folder would stay behind).
            await set.close().catch(() => undefined);
            throw new CeremonyError('USAGE', 'the ceremony session was closed while the rehearsal tokens were being opened');
          }
          if (loaded.view.rehearsalKind !== set.kind) {
            // The banner says what the tokens are, whatever was expected when the plan was prepared.
            loaded.view = { ...loaded.view, rehearsalKind: set.kind, rehearsalNotice: rehearsalNotice(set.kind, loaded.rehearsal?.noticeTail) };
          }
          say(`rehearsal tokens: ${set.kind === 'softhsm2' ? 'SoftHSM2' : 'in-process software'} (${set.tokens.map((t) => `${t.custodian}: “${t.token.label}”, serial ${t.token.serial}`).join('; ')})`);
          provider = new RehearsalTokenProvider(set.tokens);
          for (const t of set.tokens) if (!run.tokens.some((x) => x.custodian === t.custodian)) run.tokens.push({ custodian: t.custodian, label: t.token.label, serial: t.token.serial });
          closeProvider = false; // kept until the session ends, so a stopped rehearsal resumes
        } else {
          const p = this.pkcs11Provider(loaded, run);
          await p.loadModules();
          provider = p;
        }
        if (loaded.multi) {
          const multi = loaded.multi;
          run.multiProgress = { done: 0, total: multi.repositories.length, current: multi.repositories[0]!.name, tokenSignatures: 0 };
          const result = await runMultiCeremony({
            planBytes: loaded.planBytes,
            plan: multi,
            planName: loaded.planName,
            planDir: run.planDir,
            outDir: run.outDir,
            tokens: provider,
            softwareKeys: run.softwareKeys,
            now: () => this.deps.now(),
            report: say,
            onStep: (event) => trackStep(run.steps, event),
            // One small object per repository, not the table: the screen's 1,000 rows are the plan's, sent once.
            onRepository: (done, total, _repo, tokenSignatures) => {
              const next = multi.repositories[done];
              run.multiProgress = { done, total, tokenSignatures, ...(next ? { current: next.name } : {}) };
            },
            // Only when cards were entered for this attempt; the machine asks once, and wipes what it gets.
            ...(run.shareCards
              ? {
                  shareCards: async () => {
                    const given = run.shareCards ?? [];
                    delete run.shareCards;
                    return given;
                  },
                }
              : {}),
            ...(run.witnesses.length ? { witnesses: run.witnesses.map((name) => ({ name, confirmed: WITNESS_CONFIRMED })) } : {}),
            ...(this.deps.fault ? { fault: this.deps.fault } : {}),
          });
          for (const s of run.steps) s.status = 'done';
          run.result = await this.multiResult(result);
          return;
        }
        const result = await runCeremony({
          planBytes: loaded.planBytes,
          plan: loaded.plan,
          planName: loaded.planName,
          planDir: run.planDir,
          outDir: run.outDir,
          tokens: provider,
          softwareKeys: run.softwareKeys,
          resume: true,
          now: () => this.deps.now(),
          report: say,
          onStep: (event) => trackStep(run.steps, event),
          ...(run.witnesses.length ? { witnesses: run.witnesses.map((name) => ({ name, confirmed: WITNESS_CONFIRMED })) } : {}),
          ...(this.deps.fault ? { fault: this.deps.fault } : {}),
          ...(this.deps.attestationTrust ? { attestationTrust: this.deps.attestationTrust } : {}),
        });
        for (const s of run.steps) s.status = 'done';
        run.result = await this.resultView(loaded, run, result);
      } catch (err) {
        const at = run.steps.find((s) => s.status === 'running') ?? run.steps.find((s) => s.status !== 'done');
        if (at) at.status = 'failed';
        run.failure = failureOf(err);
        say(`stopped: error[${run.failure.code}]: ${run.failure.message}`);
        if (loaded.multi?.shamir) {
          const needed = await this.splitToReenter(run).catch(() => undefined);
          if (needed) run.resumeShareCards = needed;
        }
      } finally {
        // Cards the machine did not ask for (no root needed the key, or it stopped first): wiped now.
        wipeCards(run.shareCards);
        delete run.shareCards;
        if (run.pending) {
          run.pending.refuse(new CeremonyError('TOKEN_LOGIN_REQUIRED', 'the ceremony stopped'));
          delete run.pending;
        }
        run.pendingSlot?.answer(false);
        delete run.pendingSlot;
        if (run.pendingManagementKey) {
          run.pendingManagementKey.refuse(new CeremonyError('TOKEN_LOGIN_REQUIRED', 'the ceremony stopped'));
          delete run.pendingManagementKey;
        }
        if (closeProvider) await provider?.close().catch(() => undefined);
        setTouchNotice(previousTouch);
        delete run.touch;
        run.running = false;
      }
    })();
  }

  /**
   * A stopped multi-repository ceremony whose state records the split key (multi-shamir.ts "stopped after
   * the record"): the key went with the run, so a resume that still has roots to sign needs M of its cards.
   * Public fields of the state only. Undefined when the split was not recorded (the resume makes a new key).
   */
  private async splitToReenter(run: Run): Promise<Run['resumeShareCards']> {
    const state = await new StateFile(join(run.outDir, STATE_DIR)).load();
    const split = state?.shamir;
    if (!split || state.keys[SHAMIR_KEY]?.status !== 'ready') return undefined;
    return { splitId: formatSplitId(split.splitId), threshold: split.threshold, shares: split.shares };
  }

  private pkcs11Provider(loaded: Loaded, run: Run): Pkcs11TokenProvider {
    // Site bindings may name a PKCS#11 library by path (PRODUCT.md §1: "site details such as module path
    // and slot are bound at the ceremony"); load() accepted it only if it is a preset's path or a file the
    // person chose in main's dialog (deps.moduleConfirmed), so the renderer cannot choose what main runs.
    const bindings = loaded.bindings!;
    return new Pkcs11TokenProvider(bindings, {
      load: (path, opts) => this.deps.modules.load(path, opts),
      exists: (p) => this.deps.moduleExists(p),
      platform: this.deps.platform,
      announce: (custodian: PlanCustodian, token: TokenDescription, keys: readonly ExpectedKey[]) => {
        run.announcedKeys.set(custodian.name, keys);
        // In place: the list named every token before the first PIN, in the plan's order.
        const entry = { custodian: custodian.name, label: token.label, serial: token.serial };
        const at = run.tokens.findIndex((t) => t.custodian === custodian.name);
        if (at >= 0) run.tokens[at] = entry;
        else run.tokens.push(entry);
      },
      present: (found) => {
        // Every token found before the first PIN (issue #16): the screen names them all at once.
        run.tokens = found.map((f) => ({ custodian: f.custodian, label: f.token.label, serial: f.token.serial }));
      },
      pin: (custodian, binding, token, retry) => {
        if (binding.pin.kind === 'env') {
          const v = this.deps.env[binding.pin.name];
          if (v === undefined || v === '') return Promise.reject(new CeremonyError('USAGE', `the environment variable ${binding.pin.name} (${custodian.name}'s PIN, as the site bindings say) is not set`));
          return Promise.resolve(encoder.encode(v));
        }
        return this.askPin(run, custodian, token, run.announcedKeys.get(custodian.name) ?? [], retry);
      },
      // A YubiKey's management key: from the environment variable the bindings name, or asked in the
      // no-echo dialog ("prompt", the default); never shown, logged or kept. A wrong key is asked again
      // with the reason (src/ceremony/tokens.ts); an environment key is not retried (it would be the same).
      managementKey: (custodian, binding, token, retry) => {
        const source = binding.piv?.managementKey ?? { kind: 'prompt' as const };
        if (source.kind === 'env') {
          if (retry) return Promise.reject(retry.error);
          const v = this.deps.env[source.name];
          if (v === undefined || v === '') return Promise.reject(new CeremonyError('USAGE', `the environment variable ${source.name} (${custodian.name}'s YubiKey management key, as the site bindings say) is not set`));
          return Promise.resolve(encoder.encode(v));
        }
        return this.askManagementKey(run, custodian, token, retry);
      },
      // No slot in the bindings: the custodian confirms the proposed one in the slot dialog.
      confirmSlot: (custodian, token, role, slot) =>
        new Promise<boolean>((resolve) => {
          const view: CeremonySlotRequestView = {
            id: randomBytes(16).toString('hex'),
            custodian: custodian.name,
            token: { label: token.label, serial: token.serial, manufacturer: token.manufacturer, model: token.model },
            role,
            slot,
            slotTitle: slotTitle(slot),
          };
          run.pendingSlot = { view, answer: resolve };
        }),
      // The factory-default management key: loud on the screen, and in the log.
      warn: (message) => {
        run.log.push(message);
        if (!run.warnings.includes(message)) run.warnings.push(message);
      },
      ...(this.deps.attestationTrust ? { attestationTrust: this.deps.attestationTrust } : {}),
    });
  }

  /** A pending PIN request: the renderer shows the token, then answers with one PIN for this one login. */
  private askPin(run: Run, custodian: PlanCustodian, token: TokenDescription, keys: readonly ExpectedKey[], retry?: PinRetry): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const view: CeremonyPinRequestView = {
        id: randomBytes(16).toString('hex'),
        custodian: custodian.name,
        token: { label: token.label, serial: token.serial, manufacturer: token.manufacturer, model: token.model, pinStatus: token.pinStatus, maxPinLength: token.maxPinLength },
        keys: keys.map((k) => {
          const d = shortDigest(k.fingerprint);
          return { label: k.label, fingerprint: { sha256: d.sha256, hex: d.hex, words: d.words } };
        }),
        rehearsal: this.loaded?.kind === 'rehearsal' || /softhsm/i.test(token.manufacturer),
      };
      if (retry) {
        view.retry = { reason: retry.reason, message: retry.message, triesLeft: retry.triesLeft, wrongTries: retry.wrongTries };
        // What the token's flags said after the refusal, for the dialog's own tries line.
        if (retry.pinTries) view.token.pinStatus = retry.pinTries;
      }
      run.pending = { view, give: resolve, refuse: reject };
    });
  }

  /** A pending management key request: the renderer names the token, then answers with the key for one SO login. */
  private askManagementKey(run: Run, custodian: PlanCustodian, token: TokenDescription, retry?: ManagementKeyRetry): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const view: CeremonyManagementKeyRequestView = {
        id: randomBytes(16).toString('hex'),
        custodian: custodian.name,
        token: { label: token.label, serial: token.serial, manufacturer: token.manufacturer, model: token.model },
      };
      if (retry) view.retry = { message: retry.message, wrongTries: retry.wrongTries };
      run.pendingManagementKey = { view, give: resolve, refuse: reject };
    });
  }

  /** Answer the pending slot proposal. A "no" stops the step with PIV_SLOT_DECLINED (src/ceremony/tokens.ts); nothing is written. */
  confirmSlot(requestId: string, confirm: boolean): CeremonyStatusView {
    const pending = this.run?.pendingSlot;
    if (!pending || pending.view.id !== requestId) throw new CeremonyError('USAGE', 'no PIV slot is being proposed with this request (it was answered, or the ceremony stopped)');
    delete this.run!.pendingSlot;
    pending.answer(confirm);
    return this.status();
  }

  /** Hand the management key (UTF-8 hex bytes) to the pending SO login; the token layer zeroes them after parsing. */
  provideManagementKey(requestId: string, key: Uint8Array): CeremonyStatusView {
    const pending = this.run?.pendingManagementKey;
    if (!pending || pending.view.id !== requestId) {
      key.fill(0);
      throw new CeremonyError('USAGE', 'no management key is being asked for with this request (it was answered, cancelled, or the ceremony stopped)');
    }
    delete this.run!.pendingManagementKey;
    pending.give(key);
    return this.status();
  }

  cancelManagementKey(requestId: string): CeremonyStatusView {
    const pending = this.run?.pendingManagementKey;
    if (!pending || pending.view.id !== requestId) throw new CeremonyError('USAGE', 'no management key is being asked for with this request');
    delete this.run!.pendingManagementKey;
    pending.refuse(new CeremonyError('TOKEN_LOGIN_REQUIRED', `${pending.view.custodian}'s YubiKey management key was not given: the step stopped before anything was written to the card; resume when the custodian is ready`));
    return this.status();
  }

  /** Hand one PIN to the pending login. The bytes are the login's: the token layer zeroes them after use. */
  providePin(requestId: string, pin: Uint8Array): CeremonyStatusView {
    const pending = this.run?.pending;
    if (!pending || pending.view.id !== requestId) {
      pin.fill(0);
      throw new CeremonyError('USAGE', 'no PIN is being asked for with this request (it was answered, cancelled, or the ceremony stopped)');
    }
    delete this.run!.pending;
    pending.give(pin);
    return this.status();
  }

  cancelPin(requestId: string): CeremonyStatusView {
    const pending = this.run?.pending;
    if (!pending || pending.view.id !== requestId) throw new CeremonyError('USAGE', 'no PIN is being asked for with this request');
    delete this.run!.pending;
    // The first cancel asks once more, saying no PIN was entered (pin-retry.ts); a cancel of that
    // second dialog, or after a wrong PIN, stops the step before the token is used.
    if (!pending.view.retry) pending.refuse(new PinNotGiven(pending.view.custodian));
    else pending.refuse(new CeremonyError('TOKEN_LOGIN_REQUIRED', `${pending.view.custodian}'s PIN was not given: the step stopped before the token was used; resume when the custodian is ready`));
    return this.status();
  }

  private async resultView(loaded: Loaded, run: Run, result: CeremonyResult): Promise<NonNullable<CeremonyStatusView['result']>> {
    const names = [...(loaded.kind === 'rehearsal' ? [PLAN_FILE, ...loaded.inputs.map((f) => f.name)] : []), ...result.files];
    const outputs: CeremonyOutputView[] = [];
    for (const name of names) {
      const sha = sha256Hex(await readFileCapped(join(run.outDir, name), OUTPUT_HASH_CAP));
      outputs.push({ name, sha256: sha, short: groupHex(sha.slice(0, SHORT_DIGEST_BYTES * 2)), secret: name.startsWith(`${SECRET_DIR}/`) });
    }
    const bytes = await readFileCapped(result.transcriptPath, MAX_TRANSCRIPT_BYTES);
    const transcript = transcriptView(verifyTranscript(bytes, { expectedSealKeyId: result.sealKeyId }), TRANSCRIPT_FILE, result.sealKeyId);
    return { resumed: result.resumed, outputs, sealKeyId: result.sealKeyId, transcript, shareCards: loaded.plan.shamir !== undefined };
  }

  /** A multi-repository ceremony's end: where the outputs are, and its transcript verified with the seal key. */
  private async multiResult(result: Awaited<ReturnType<typeof runMultiCeremony>>): Promise<NonNullable<CeremonyStatusView['result']>> {
    const multi = multiResultView(result);
    const bytes = await readFileCapped(multi.transcript, MAX_TRANSCRIPT_BYTES);
    const transcript = transcriptView(verifyTranscript(bytes, { expectedSealKeyId: result.sealKeyId }), TRANSCRIPT_FILE, result.sealKeyId);
    // With `shamir`: the cards the run wrote (OUT/secret/, share-cards.html among them), printed as a single plan's.
    return { resumed: result.resumed, outputs: [], sealKeyId: result.sealKeyId, transcript, shareCards: result.shareCards.length > 0, multi };
  }

  /** The share cards the machine wrote (share-cards.html, from renderShareCardsHtml), to the printer. */
  async printShareCards(): Promise<PrintResultView> {
    const run = this.run;
    if (!run?.result) throw new CeremonyError('USAGE', 'the share cards can be printed once the ceremony is complete');
    if (!run.result.shareCards) throw new CeremonyError('USAGE', 'this plan has no Shamir backup: there are no share cards');
    const html = new TextDecoder('utf-8', { fatal: true }).decode(await readFileCapped(join(run.outDir, SECRET_DIR, SHARE_CARDS_HTML), 4 * 1024 * 1024));
    // Secret (all N cards): written 0600, never over a file, the dialog opening in the run's 0700 secret/ (review 15b M2).
    return this.deps.printHtml(html, { name: 'share-cards.pdf', secret: true, folder: join(run.outDir, SECRET_DIR) });
  }

  /** The completed ceremony's output folder (the Transcript screen lists it); undefined before completion. */
  completedFolder(): string | undefined {
    return this.run?.result ? this.run.outDir : undefined;
  }

  /** The completed ceremony's seal key ID: the Transcript screen names keys from transcripts it sealed. */
  completedSealKey(): string | undefined {
    return this.run?.result?.sealKeyId;
  }

  /**
   * The completed ceremony's metadata/ folder (issue #16 "Export the metadata…"): exactly OUT/metadata,
   * never the output folder itself, whose secret/ holds the share cards (review A #3: a moved or deleted
   * metadata/ must not make this read the cards). lstat, not stat: a metadata/ replaced by a link to
   * another folder is refused, not followed.
   */
  async metadataFiles(): Promise<{ files: NamedFile[]; source: string }> {
    const run = this.run;
    if (!run?.result) throw new CeremonyError('USAGE', 'The metadata can be exported once the ceremony is complete.');
    if (run.result.multi) throw new CeremonyError('USAGE', `A multi-repository ceremony writes one folder per repository in ${run.result.multi.metadataDir}: export a repository's folder from the Export screen.`);
    const dir = join(run.outDir, METADATA_DIR);
    const source = `${basename(run.outDir)}/${METADATA_DIR}`;
    const st = await lstat(dir).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CeremonyError('FILE_NOT_FOUND', `${source} is not there (moved or deleted?); nothing was exported`, { cause: err });
      throw err;
    });
    if (!st.isDirectory()) throw new CeremonyError('NOT_A_REGULAR_FILE', `${source} is ${st.isSymbolicLink() ? 'a link' : 'not a folder'}; the metadata is exported only from the ceremony's own metadata folder`);
    const read = await readNamedInput(dir);
    return { files: read.files.map((f) => ({ name: f.name, bytes: f.bytes })), source };
  }

  /** The loaded multi-repository plan's table rows, with the plan's hash they belong to. */
  planRows(): CeremonyPlanRowsView {
    const loaded = this.loaded;
    if (!loaded?.rows) throw new CeremonyError('USAGE', 'no multi-repository plan is open');
    return { planSha256: loaded.view.hash.sha256, repositories: loaded.rows };
  }

  /**
   * One repository folder of a completed multi-repository ceremony (`OUT/metadata/<safe name>/`, issue #17),
   * named after its repository as the plan names it, not its percent-encoded folder name (and not decoded
   * again: review A3). Only a repository of the loaded plan; lstat as metadataFiles (a folder replaced by a
   * link is refused, not followed).
   */
  async repositoryFiles(repository: string): Promise<{ files: NamedFile[]; source: string; repository: string }> {
    const run = this.run;
    const multi = this.loaded?.multi;
    if (!run?.result?.multi || !multi) throw new CeremonyError('USAGE', 'A repository can be exported once a multi-repository ceremony is complete.');
    const repo = multi.repositories.find((r) => r.name === repository);
    if (!repo) throw new CeremonyError('USAGE', `${shownOrQuoted(repository)} is not a repository of this ceremony's plan`, { path: '$.repository' });
    // Every folder from OUT down, OUT/metadata included (review A4): a metadata/ replaced by a link after
    // the run would otherwise be followed to another ceremony's (or anyone's) folder of that name.
    const folder = repositoryFolder(repo.safeName);
    const parts = folder.split('/');
    let dir = run.outDir;
    for (let i = 0; i <= parts.length; i++) {
      if (i > 0) dir = join(dir, parts[i - 1]!);
      const shown = i === 0 ? basename(run.outDir) : `${basename(run.outDir)}/${parts.slice(0, i).join('/')}`;
      const st = await lstat(dir).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CeremonyError('FILE_NOT_FOUND', `${shown} is not there (moved or deleted?); nothing was exported`, { cause: err });
        throw err;
      });
      if (!st.isDirectory()) throw new CeremonyError('NOT_A_REGULAR_FILE', `${shown} is ${st.isSymbolicLink() ? 'a link' : 'not a folder'}; a repository is exported only from its own folder in the ceremony's output folder, links are not followed`);
    }
    const read = await readNamedInput(dir);
    return { files: read.files.map((f) => ({ name: f.name, bytes: f.bytes })), source: repo.name, repository: repo.name };
  }

  /** The printable transcript the machine wrote beside the transcript (state/transcript.html), to the printer. */
  async printTranscript(): Promise<PrintResultView> {
    const run = this.run;
    if (!run?.result) throw new CeremonyError('USAGE', 'The transcript can be printed once the ceremony is complete.');
    const html = new TextDecoder('utf-8', { fatal: true }).decode(await readFileCapped(join(run.outDir, STATE_DIR, TRANSCRIPT_HTML), 16 * 1024 * 1024));
    return this.deps.printHtml(html, { name: 'transcript.pdf', secret: false });
  }

  status(): CeremonyStatusView {
    const run = this.run;
    let phase: CeremonyPhase = 'idle';
    if (this.loaded) phase = 'loaded';
    if (run) phase = run.pending ? 'waiting-for-pin' : run.pendingSlot || run.pendingManagementKey ? 'waiting-for-custodian' : run.running ? 'running' : run.result ? 'done' : run.failure ? 'failed' : 'running';
    const steps = run?.steps ?? (this.loaded ? planSteps(this.loaded.plan) : []);
    const out: CeremonyStatusView = {
      phase,
      steps: steps.map((s) => ({ ...s })),
      progress: { done: steps.filter((s) => s.status === 'done').length, total: steps.length },
      log: run ? [...run.log] : [],
      tokens: run ? run.tokens.map((t) => ({ ...t })) : [],
      canResume: Boolean(run && !run.running && run.failure && !run.result),
    };
    if (this.loaded) out.plan = this.loaded.view;
    if (run) out.outDir = run.outDir;
    if (run?.pending) out.pinRequest = run.pending.view;
    if (run?.pendingSlot) out.slotRequest = { ...run.pendingSlot.view, token: { ...run.pendingSlot.view.token } };
    if (run?.pendingManagementKey) out.managementKeyRequest = run.pendingManagementKey.view;
    if (run?.warnings.length) out.warnings = [...run.warnings];
    if (run?.touch) out.touch = { ...run.touch };
    if (run?.failure) out.failure = { ...run.failure };
    if (run?.multiProgress) out.multiProgress = { ...run.multiProgress };
    if (run?.resumeShareCards && !run.running) out.resumeShareCards = { ...run.resumeShareCards };
    if (run?.result) out.result = run.result;
    return out;
  }

  /** Tests: wait for the current attempt to end. */
  async settled(): Promise<void> {
    await this.run?.done;
  }

  /** Forget the loaded plan and the run; close rehearsal tokens (wiping their keys) and remove staged inputs. */
  async reset(): Promise<void> {
    this.refuseIfBusy('open another plan');
    await this.release();
  }

  /**
   * The app is quitting (main.ts, quit.ts): release what reset() releases, also while a ceremony runs — the
   * process ends either way. Without it a quit after a SoftHSM2 rehearsal left its temporary token folder
   * (the rehearsal's keys) and a plan's staged input files in the system temp folder.
   */
  async close(): Promise<void> {
    await this.release();
  }

  private async release(): Promise<void> {
    const run = this.run;
    this.run = undefined;
    this.loaded = undefined;
    // SoftHSM2 rehearsal tokens: logged out, the module finalised (if the rehearsal loaded it) and the temporary token folder deleted.
    await run?.rehearsalTokens?.close().catch(() => undefined);
    for (const k of run?.softwareKeys.values() ?? []) (k as { dispose?: () => void }).dispose?.();
    wipeCards(run?.shareCards);
    if (run?.staging) await rm(run.staging, { recursive: true, force: true });
  }
}
