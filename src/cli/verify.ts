import { CeremonyError } from '../errors.js';
import { quoteShown } from '../json/fields.js';
import { startsPretty } from '../json/parse.js';
import { readFileCapped } from '../io/files.js';
import { createSignaturePool } from '../io/signature-pool.js';
import { intOption } from './int-option.js';
import type { SignatureBatch } from '../tuf/signature-batch.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { GivenUpRefusal, verifyRepository, type RepositoryFiles, type VerifiedRepository } from '../tuf/repository.js';
import type { VerificationResult } from '../tuf/verify.js';
import { readRepositoryInput } from './repository-input.js';
import type { AttestationReport } from '../attestation/view.js';
import { anyAttestationFlag, type AttestationFlags } from './attestation-flags.js';
import type { Io } from './output.js';

export interface VerifyCommandOptions extends AttestationFlags {
  root: string;
  json?: boolean;
  /** Worker threads for the root chain's signature checks (io/signature-pool.ts), as typed. */
  threads?: string;
  now?: Date;
}

/**
 * `--threads`: a whole number from 0 to 64 (at most one fewer than the cores is used). Default 0: with
 * OpenSSL 3.0's locking, worker threads checking signatures beside the main one saved no wall time and
 * cost CPU on the machines measured (io/signature-pool.ts).
 */
function threadsOption(text: string | undefined): number {
  return intOption(text, '--threads', 0, 64) ?? 0;
}

/** The documented --json shape of a role (stable: see README "CLI output"). */
function roleJson(version: number, expires: string, r: VerificationResult) {
  return { version, expires, threshold: r.threshold, signed: r.signed, missing: r.missing, invalid: r.invalid };
}

export function verifiedJson(repo: VerifiedRepository) {
  // Without a prototype: a delegated role may be named "__proto__" (a TUF role name is any string), and
  // assigning it to a plain object would set the prototype and leave the role out of the report.
  const roles = Object.create(null) as Record<string, ReturnType<typeof roleJson> & { delegatedBy: string }>;
  roles.root = { ...roleJson(repo.root.signed.version, repo.root.signed.expiresText, repo.rootResult), delegatedBy: 'root' };
  for (const name of ['timestamp', 'snapshot', 'targets'] as const) {
    const v = repo[name];
    if (v) roles[name] = { ...roleJson(v.md.signed.version, v.md.signed.expiresText, v.result), delegatedBy: v.delegatedBy };
  }
  for (const [name, v] of repo.delegated) roles[name] = { ...roleJson(v.md.signed.version, v.md.signed.expiresText, v.result), delegatedBy: v.delegatedBy };
  return {
    ok: true as const,
    profile: repo.profile,
    trustedRootVersion: repo.trustedRoot.signed.version,
    rootVersion: repo.root.signed.version,
    rootChain: repo.rootChain.map((step) => ({
      version: step.version,
      byPrevious: { signed: step.byPrevious.signed, threshold: step.byPrevious.threshold },
      bySelf: { signed: step.bySelf.signed, threshold: step.bySelf.threshold },
    })),
    roles,
    targets: repo.targets ? repo.targets.md.signed.targets.size : 0,
    absent: repo.absent,
    // Notary (issue #14): each root certificate's end — notary's client refuses the root once one has passed.
    ...(repo.profile === 'notary' ? { certificates: rootCertificates(repo) } : {}),
  };
}

/** The root role's certificates (Notary): key ID, CN and the end of validity, as `verify --json` lists them. */
function rootCertificates(repo: VerifiedRepository): { keyid: string; subject: string; notAfter: string }[] {
  const root = repo.root.signed;
  return root.roles.get('root')!.keyids.flatMap((keyid) => {
    const cert = root.keys.get(keyid)?.key.certificate;
    return cert ? [{ keyid, subject: cert.subjectCN, notAfter: cert.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z') }] : [];
  });
}

export async function loadInput(path: string): Promise<RepositoryFiles> {
  // A metadata directory, a trust bundle, or a single root file to check against the pin.
  return (await readRepositoryInput(path)).files;
}

export async function verifyCommand(input: string, opts: VerifyCommandOptions, io: Io): Promise<number> {
  if (!opts.root) throw new CeremonyError('USAGE', '--root TRUSTED_ROOT is required');
  const threads = threadsOption(opts.threads);
  const trustedRoot = await readFileCapped(opts.root, DEFAULT_CAPS.root);
  const now = opts.now ?? new Date();
  // Asked for: a long root chain's signatures checked on other cores too (issue #18); the walk stays sequential.
  const pool = createSignaturePool({ threads });
  // The pool uses at most one fewer than the cores Node may use (io/signature-pool.ts: the main thread
  // walks the chain too). A value lowered is said on stderr, so a benchmark or a script reading N as given
  // is not misled; stdout and --json (which has no notes field) stay the report alone.
  if (pool.threads < threads) io.err(`note: --threads ${threads} lowered to ${pool.threads}: this machine gives ${pool.threads + 1} core(s), and one is the main thread's`);
  const { source, repo } = await readAndVerify(input, trustedRoot, now, pool.threads > 0 ? pool : undefined).finally(() => pool.close());
  // attestations.json, when the input carries one or the operator requires it: every chain to the
  // (bundled Yubico) roots, each attested key the key root.json lists under that ID (issue #13).
  const attestations = await checkAttestationsIfAny(repo, source.files.attestations, now, opts);
  if (opts.json) {
    io.out(JSON.stringify({ ...verifiedJson(repo), ...(attestations ? { attestations: attestations.keys } : {}) }, null, 2));
  } else {
    const chain = repo.rootChain.length ? ` (chain ${repo.trustedRoot.signed.version} → ${repo.root.signed.version})` : '';
    io.out(`verified: ${repo.profile} repository, root version ${repo.root.signed.version}${chain}`);
    const line = (name: string, version: number, r: VerificationResult) =>
      io.out(`  ${name.padEnd(20)} v${version}  ${r.signed.length} of ${r.threshold} signatures`);
    line('root', repo.root.signed.version, repo.rootResult);
    for (const name of ['timestamp', 'snapshot', 'targets'] as const) {
      const v = repo[name];
      if (v) line(name, v.md.signed.version, v.result);
    }
    for (const [name, v] of repo.delegated) line(name, v.md.signed.version, v.result);
    if (repo.profile === 'notary') for (const c of rootCertificates(repo)) io.out(`  root certificate ${c.keyid.slice(0, 12)}… (CN ${quoteShown(c.subject)}) valid until ${c.notAfter}`);
    if (repo.targets) io.out(`  ${repo.targets.md.signed.targets.size} targets`);
    if (repo.absent.length) io.out(`  not included: ${repo.absent.join(', ')}`);
    if (attestations) for (const l of attestations.lines) io.out(`  ${l}`);
  }
  return 0;
}

/**
 * The input read and verified. `verify` keeps nothing of the files but its report, so it gives up the
 * buffers of a metadata folder's pretty-printed targets files (VerifyOptions.targetsGivenUp: compacted in
 * place, no copy of a 30 MB file, issue #18). When a given-up file's parse is refused (GivenUpRefusal), the
 * refusal reported is the file's own: the folder is read again and verified as read, nothing given up. Any
 * other refusal is the files' own already and is thrown as it is.
 */
async function readAndVerify(input: string, trustedRoot: Uint8Array, now: Date, batch: SignatureBatch | undefined): Promise<{ source: RepositoryInput; repo: VerifiedRepository }> {
  const first = await verifyGivingUp(input, trustedRoot, now, batch);
  if (first) return first;
  // The first read is out of scope here (verifyGivingUp returned): only this one is held.
  const again = await readRepositoryInput(input);
  verifyRepository(again.files, { trustedRoot, now, ...(batch ? { signatureBatch: batch } : {}), ...gunOf(again) });
  // The file as read now passes, though its given-up copy was refused: the folder changed between the two
  // reads (or the compaction did not keep the file's meaning). Two reads that disagree are never a pass.
  throw new CeremonyError('FILE_CHANGED', 'a targets file was refused as first read and passes as read again: the folder changed while it was being verified; nothing is reported as verified — verify it again once nothing writes to it', { path: input });
}

/** The first read and verification (a folder's pretty targets files given up); undefined when a given-up file's parse was refused. */
async function verifyGivingUp(input: string, trustedRoot: Uint8Array, now: Date, batch: SignatureBatch | undefined): Promise<{ source: RepositoryInput; repo: VerifiedRepository } | undefined> {
  const source = await readRepositoryInput(input);
  const files = source.files;
  // A folder only: its files can be read again for a refusal (a bundle might have come through a pipe).
  const givesUp = source.bundle === undefined && [files.targets, ...files.delegated.values()].some((bytes) => bytes !== undefined && startsPretty(bytes));
  try {
    return { source, repo: verifyRepository(files, { trustedRoot, now, ...(batch ? { signatureBatch: batch } : {}), ...gunOf(source), ...(givesUp ? { targetsGivenUp: true } : {}) }) };
  } catch (err) {
    if (err instanceof GivenUpRefusal) return undefined;
    throw err;
  }
}

type RepositoryInput = Awaited<ReturnType<typeof readRepositoryInput>>;

/**
 * A Notary bundle names its repository (GUN): every root certificate must name it too, exactly as
 * `import` checks (src/tuf/notary-root.ts) — a bundle labelled for one repository whose roots are
 * another's is refused here as well (issue #12 point 9).
 */
function gunOf(source: RepositoryInput): { gun?: string } {
  return source.bundle?.profile === 'notary' ? { gun: source.bundle.repository } : {};
}

/**
 * The attestation check of `verify`, its modules (the X.509 chain checker, the bundled Yubico roots, the
 * plan reader) loaded only when there is something to check: an attestations.json in the input or an
 * attestation flag. Without either the check has no requirement, no trust to read and no file, and finds
 * nothing (checkRepositoryAttestations returns undefined), so skipping it changes no result (issue #18).
 */
async function checkAttestationsIfAny(
  repo: VerifiedRepository,
  bytes: Uint8Array | undefined,
  now: Date,
  flags: AttestationFlags,
): Promise<(AttestationReport & { lines: string[] }) | undefined> {
  if (bytes === undefined && !anyAttestationFlag(flags)) return undefined;
  const [{ attestationLines, checkRepositoryAttestations }, { attestationOptions }] = await Promise.all([import('../attestation/repository.js'), import('./attestation-options.js')]);
  const report = checkRepositoryAttestations(repo.root.signed, bytes, { strict: true, now, ...(await attestationOptions(flags)) });
  return report ? { ...report, lines: attestationLines(report) } : undefined;
}
