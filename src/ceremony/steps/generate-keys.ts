/**
 * Step 2: make every key the plan asks for — each custodian's root key on their token, the targets (and
 * snapshot, and for TUF timestamp) keys on the named custodians' tokens or, in a rehearsal only, in memory —
 * and check each one in software before it is recorded: a test message signed by the key must verify with
 * the public key read back (token.ts does this at generation too; it is repeated here whatever the token
 * layer, boulder's habit). Notary root keys get their self-signed leaf certificate (CN = GUN) now, signed
 * on the token and verified (certificate.ts). Server keys are read from their files and recorded.
 *
 * Resume: before asking a token for a key the state records the intent (`generating`), after it the
 * fingerprint (`ready`). A ready key is found again by label and fingerprint; a key whose generation was
 * interrupted is found by label on the very token it was asked of and adopted (it cannot be anyone
 * else's: the label was free a moment before, or the token would have refused), or generated now.
 */
import { randomBytes } from 'node:crypto';
import { CeremonyError, isCeremonyError } from '../../errors.js';
import type { KeyAlgorithm } from '../../profiles/profile.js';
import { makeNotaryRootCertificate } from '../../signers/certificate.js';
import { listPublicKey } from '../../signers/public-key-json.js';
import { algorithmTitle, signatureHashFor, verifyRaw, type SigningKey } from '../../signers/signing-key.js';
import { SoftwareKey } from '../../signers/software.js';
import { describeToken } from '../../signers/pkcs11/errors.js';
import { generationText } from '../../signers/pkcs11/keygen.js';
import { TokenKey } from '../../signers/pkcs11/token-signer.js';
import type { CeremonyContext } from '../context.js';
import { spkiText } from '../keys.js';
import { plannedKeys, type PlannedKey, type TokenKeySource } from '../plan.js';
import type { KeyRecord } from '../state.js';
import { clipNote, type Step } from './step.js';

const encoder = new TextEncoder();

function roleTitle(p: PlannedKey): string {
  return p.role === 'root' ? `root key of ${p.name.slice('root/'.length)}` : `${p.role} key`;
}

/** Sign a test message with the key and verify it with its public key, independently of the token layer. */
export async function selfTest(ctx: CeremonyContext, key: SigningKey, name: string): Promise<void> {
  if (key.alwaysAuthenticate) return; // needs the PIN per signature; the first real signature is verified instead
  const hash = signatureHashFor(ctx.plan.profile, key.algorithm);
  const data = encoder.encode(`tuf-ceremony key check: ${name} ${key.fingerprint} ${ctx.planSha256}`);
  const sig = await key.sign(data, hash);
  if (!verifyRaw(key.spki, key.algorithm, hash, sig, data)) {
    throw new CeremonyError('TOKEN_SIGNATURE_INVALID', `the test signature of ${name} does not verify with the public key read back; the key is not used`);
  }
}

function refuseDuplicate(ctx: CeremonyContext, name: string, fingerprint: string): void {
  for (const [other, rec] of Object.entries(ctx.state.keys)) {
    if (other !== name && rec.fingerprint === fingerprint) {
      throw new CeremonyError('KEY_DUPLICATE_IN_ROLE', `the key made for ${name} is the same public key as ${other}; every key of the ceremony must be distinct`);
    }
  }
}

async function certificateFor(ctx: CeremonyContext, key: SigningKey): Promise<string> {
  const now = ctx.now();
  // A few minutes back for clocks that disagree; Notary refuses notBefore more than a day ahead.
  const cert = await makeNotaryRootCertificate(key, { gun: ctx.plan.repository, notBefore: new Date(now.getTime() - 5 * 60_000), notAfter: ctx.plan.root.expires.date });
  return cert.pem;
}

/** Record a key as ready, with everything root.json needs to list it. */
/**
 * How a key is made: `certificate: false` for a key shared by many repositories (issue #17), whose Notary
 * root certificates are issued per GUN afterwards (multi-machine.ts) rather than one for the plan's GUN.
 */
export interface MakeKeyOptions {
  certificate?: boolean;
}

async function ready(ctx: CeremonyContext, planned: PlannedKey, key: SigningKey, base: KeyRecord, opts: MakeKeyOptions = {}): Promise<KeyRecord> {
  if (key.algorithm !== base.algorithm) {
    throw new CeremonyError('KEY_INVALID', `the key found for ${planned.name} is ${algorithmTitle(key.algorithm)}, not the ${algorithmTitle(base.algorithm)} the plan asks for`);
  }
  refuseDuplicate(ctx, planned.name, key.fingerprint);
  await selfTest(ctx, key, planned.name);
  let certificate = base.certificate;
  const rootCert = ctx.plan.profile === 'notary' && planned.role === 'root' && opts.certificate !== false;
  if (rootCert && !certificate) certificate = await certificateFor(ctx, key);
  const listed = listPublicKey(ctx.plan.profile, key.spki, rootCert ? { certificatePem: certificate! } : {});
  const rec: KeyRecord = { ...base, status: 'ready', fingerprint: key.fingerprint, spki: spkiText(key.spki), keyId: listed.keyId };
  if (certificate) rec.certificate = certificate;
  ctx.state.keys[planned.name] = rec;
  await ctx.save();
  return rec;
}

async function tokenKey(ctx: CeremonyContext, planned: PlannedKey, source: TokenKeySource, opts: MakeKeyOptions): Promise<{ rec: KeyRecord; how: string }> {
  const token = await ctx.token(source.custodian);
  const existing = ctx.state.keys[planned.name];
  // The CKA_ID is chosen and recorded before the token is asked, so the key is found again by ID (and
  // fingerprint) whatever the module does with labels; an older state without one is found by label.
  const tokenKeyId = existing ? existing.tokenKeyId : (source.existing?.ckaId ?? randomBytes(16).toString('hex'));
  const base: KeyRecord = {
    role: planned.role,
    origin: 'token',
    algorithm: source.keyAlgorithm,
    status: 'generating',
    custodian: source.custodian,
    tokenSerial: token.token.serial,
    label: source.keyLabel,
    ...(tokenKeyId ? { tokenKeyId } : {}),
  };
  const id = tokenKeyId ? new Uint8Array(Buffer.from(tokenKeyId, 'hex')) : undefined;
  let key: SigningKey | undefined;
  let how: string;
  if (existing?.status === 'ready') {
    key = await token.findKey(source.keyLabel, existing.fingerprint, id);
    how = 'found again on the token (made before the interruption)';
    ctx.keys.set(planned.name, key);
    return { rec: await ready(ctx, planned, key, existing, opts), how };
  }
  if (source.existing) {
    // Named by the plan (issue #17): a key made at an earlier ceremony, found by its CKA_ID and checked
    // against the fingerprint the reviewed plan records — never generated, never adopted by label alone.
    ctx.state.keys[planned.name] = base;
    await ctx.save();
    key = await token.findKey(source.keyLabel, source.existing.fingerprint, id);
    if (key.fingerprint !== source.existing.fingerprint) {
      throw new CeremonyError('TOKEN_KEY_NOT_FOUND', `the key with CKA_ID ${source.existing.ckaId} on ${describeToken(token.token)} is not the key the plan names (fingerprint ${key.fingerprint.slice(0, 16)}…, plan ${source.existing.fingerprint.slice(0, 16)}…)`);
    }
    ctx.keys.set(planned.name, key);
    how = `made at an earlier ceremony and named by the plan: found on the token by CKA_ID ${source.existing.ckaId} and fingerprint ${source.existing.fingerprint.slice(0, 16)}…`;
    return { rec: await ready(ctx, planned, key, base, opts), how };
  }
  if (existing?.status === 'generating') {
    try {
      key = await token.findKey(source.keyLabel, undefined, id);
      how = `found on the token after an interruption during its generation, and adopted (same token, same ${id ? 'CKA_ID' : 'label'})`;
    } catch (err) {
      if (!isCeremonyError(err, 'TOKEN_KEY_NOT_FOUND')) throw err;
      how = 'generated on the token';
    }
  } else {
    how = 'generated on the token';
    ctx.state.keys[planned.name] = base;
    await ctx.save();
  }
  await ctx.fault(`generating:${planned.name}`);
  key ??= await token.generateKey(source.keyAlgorithm, source.keyLabel, id);
  await ctx.fault(`generated:${planned.name}`);
  ctx.keys.set(planned.name, key);
  const rec = await ready(ctx, planned, key, base, opts);
  const generation = key instanceof TokenKey ? key.generation : undefined;
  if (generation) {
    // What the token was asked, what it made, and how it refused to give the private key out (keygen.ts,
    // session.ts proveNotExtractable): the witnesses' evidence that the key stays on the token.
    await ctx.record({
      step: 'key.protection',
      actor: { name: source.custodian, role: 'custodian' },
      token: { serial: token.token.serial, ...(token.token.label ? { label: token.token.label } : {}), keyId: rec.keyId! },
      note: clipNote(`${roleTitle(planned)} "${source.keyLabel}" (CKA_ID ${tokenKeyId ?? 'chosen by the token'}): ${generationText(generation)}`),
    });
  }
  return { rec, how };
}

async function softwareKey(ctx: CeremonyContext, planned: PlannedKey, algorithm: KeyAlgorithm, opts: MakeKeyOptions): Promise<{ rec: KeyRecord; how: string }> {
  const existing = ctx.state.keys[planned.name];
  const base: KeyRecord = { role: planned.role, origin: 'software', algorithm, status: 'generating' };
  if (existing?.status === 'ready') {
    const kept = ctx.softwareKeys.get(planned.name);
    if (!kept || kept.fingerprint !== existing.fingerprint) {
      throw new CeremonyError('CEREMONY_CANNOT_RESUME', `the rehearsal's software ${planned.role} key was never kept (nothing secret is written down); start a new rehearsal in a new folder`);
    }
    return { rec: existing, how: 'kept in memory since it was made' };
  }
  if (!ctx.rehearsal) throw new CeremonyError('PLAN_INVALID', 'a software key is for rehearsals only', { path: planned.path });
  const key = SoftwareKey.generate(algorithm, { label: `rehearsal ${planned.role} key`, rehearsal: true });
  ctx.softwareKeys.set(planned.name, key);
  return { rec: await ready(ctx, planned, key, base, opts), how: 'generated in memory (REHEARSAL software key, never written down)' };
}

/**
 * Make (or find again, or — named by the plan — find from an earlier ceremony) one key held by a custodian's
 * token or, in a rehearsal, in memory; record it in the state and the transcript. Returns its title.
 */
export async function makeHeldKey(ctx: CeremonyContext, planned: PlannedKey, source: TokenKeySource | { kind: 'software'; keyAlgorithm: KeyAlgorithm }, opts: MakeKeyOptions = {}): Promise<string> {
  const { rec, how } = source.kind === 'token' ? await tokenKey(ctx, planned, source, opts) : await softwareKey(ctx, planned, source.keyAlgorithm, opts);
  await ctx.fault(`key-ready:${planned.name}`);
  const what = `${roleTitle(planned)} (${algorithmTitle(rec.algorithm)})`;
  const custodian = source.kind === 'token' ? source.custodian : undefined;
  const cert = rec.certificate ? `; Notary certificate CN=${ctx.plan.repository}, leaf, valid to ${ctx.plan.root.expires.text}, verified` : '';
  await ctx.record({
    step: source.kind === 'token' && source.existing ? 'key.existing' : 'key.generate',
    actor: custodian ? { name: custodian, role: 'custodian' } : { name: 'tuf-ceremony', role: 'app' },
    ...(custodian ? { token: { serial: rec.tokenSerial!, ...(rec.label ? { label: rec.label } : {}), keyId: rec.keyId! } } : {}),
    digests: [{ label: `${what} fingerprint`, sha256: rec.fingerprint! }],
    note: clipNote(`${what} ${source.kind === 'token' ? `"${rec.label}" ` : ''}${how}; a test signature verified in software${cert}`),
  });
  const where = custodian ? ` on ${describeToken({ serial: rec.tokenSerial!, label: ctx.state.tokens[custodian]?.label ?? '' })}` : ' in memory (rehearsal)';
  ctx.report(`  ${what}${where}: fingerprint ${rec.fingerprint!.slice(0, 16)}…, key ID ${rec.keyId!.slice(0, 16)}…`);
  return what;
}

export const generateKeys: Step = {
  name: 'generate-keys',
  title: 'generate the keys and check each one',
  applies: () => true,
  async run(ctx) {
    const made: string[] = [];
    for (const planned of plannedKeys(ctx.plan)) {
      const source = planned.source;
      if (source.kind === 'shamir') continue; // shamir-backup
      if (source.kind === 'server') {
        const s = await ctx.serverKey(planned.role as 'snapshot' | 'timestamp');
        const rec: KeyRecord = { role: planned.role, origin: 'server', algorithm: s.key.algorithm, status: 'ready', fingerprint: s.key.fingerprint, spki: spkiText(s.key.spki), keyId: s.keyId };
        refuseDuplicate(ctx, planned.name, s.key.fingerprint);
        ctx.state.keys[planned.name] = rec;
        await ctx.save();
        await ctx.record({
          step: 'key.server',
          actor: { name: 'administrator', role: 'administrator' },
          digests: [{ label: `${ctx.plan.profile === 'notary' ? 'notary-server' : 'online service'} ${planned.role} key fingerprint`, sha256: s.key.fingerprint }],
          inputs: [{ name: source.keyFile, sha256: s.sha256 }],
          note: `the ${planned.role} key is ${ctx.plan.profile === 'notary' ? "notary-server's" : "the online service's"} (${s.key.keytype}), from ${source.keyFile}, whose SHA-256 matches the plan`,
        });
        made.push(`${planned.role}: the server's key`);
        continue;
      }
      if (source.kind === 'publisher') {
        const p = await ctx.publisherKey(source);
        const rec: KeyRecord = { role: 'targets', origin: 'publisher', algorithm: p.key.algorithm, status: 'ready', fingerprint: p.key.fingerprint, spki: spkiText(p.spki), keyId: p.keyId };
        refuseDuplicate(ctx, planned.name, p.key.fingerprint);
        ctx.state.keys[planned.name] = rec;
        await ctx.save();
        await ctx.record({
          step: 'key.publisher',
          actor: { name: 'administrator', role: 'administrator' },
          digests: [{ label: `publisher ${source.name}'s targets key fingerprint`, sha256: p.key.fingerprint }],
          inputs: [{ name: source.keyFile, sha256: p.sha256 }],
          note: clipNote(`publisher ${source.name}'s targets key (${algorithmTitle(p.key.algorithm)}), from ${source.keyFile}, whose SHA-256 matches the plan; root.json lists it in the targets role beside the ceremony's key (threshold 1)`),
        });
        ctx.report(`  publisher ${source.name}'s targets key from ${source.keyFile}: fingerprint ${p.key.fingerprint.slice(0, 16)}…, key ID ${p.keyId.slice(0, 16)}…`);
        made.push(`targets: publisher ${source.name}'s key`);
        continue;
      }
      made.push(await makeHeldKey(ctx, planned, source));
    }
    return { note: clipNote(`${made.length} keys ready: ${made.join('; ')}`) };
  },
};
