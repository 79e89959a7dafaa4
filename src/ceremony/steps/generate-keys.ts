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
import { certificatesFromBytes, pemOfCertificate } from '../../attestation/pem.js';
import { verifyYubicoAttestation, type VerifiedAttestation } from '../../attestation/verify.js';
import { sha256Hex } from '../../crypto/digest.js';
import { CeremonyError, isCeremonyError } from '../../errors.js';
import { quoteShown } from '../../json/fields.js';
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
import { inState, statePathOf } from '../state-where.js';
import type { CeremonyToken } from '../tokens.js';
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

/**
 * The token's proof that it made the key (issue #13; today a YubiKey's PIV attestation): read from the
 * token, or from the state when it was recorded before an interruption, and verified every time — the
 * chain to Yubico's roots (or the roots given for tests), the attested key is the key just made, the
 * serial is the token's, and the PIN and touch policies are ones the plan allows. A token without such
 * proof is stated as "no attestation" in the transcript; a plan that requires attestation refuses a root
 * key without one (ATTESTATION_MISSING). A broken or foreign chain is refused whatever the plan says: a
 * genuine YubiKey always gives a valid one.
 */
async function attest(ctx: CeremonyContext, planned: PlannedKey, source: TokenKeySource, token: CeremonyToken, key: SigningKey, rec: KeyRecord): Promise<void> {
  const required = ctx.plan.attestation?.required === true && planned.role === 'root';
  let certs: { attestationDer: Uint8Array; deviceDer: Uint8Array } | undefined;
  let missing = 'its token gives no proof of where a key was generated';
  if (rec.attestation) {
    certs = {
      attestationDer: certificatesFromBytes(new TextEncoder().encode(rec.attestation.attestation), `$.keys.${planned.name}.attestation.attestation`)[0]!,
      deviceDer: certificatesFromBytes(new TextEncoder().encode(rec.attestation.device), `$.keys.${planned.name}.attestation.device`)[0]!,
    };
  } else {
    const got = token.attestation ? await token.attestation(key) : null;
    if (got && 'missing' in got) missing = got.missing;
    else if (got) certs = got;
  }
  const actor = { name: source.custodian, role: 'custodian' as const };
  const tokenRef = { serial: rec.tokenSerial!, ...(rec.label ? { label: rec.label } : {}), keyId: rec.keyId! };
  if (!certs) {
    if (required) {
      throw new CeremonyError('ATTESTATION_MISSING', `the plan requires every root key to be attested, but ${roleTitle(planned)}: ${missing}; the key is not used`, { path: '$.attestation.required' });
    }
    await ctx.record({ step: 'key.attestation', actor, token: tokenRef, note: clipNote(`${roleTitle(planned)}: no attestation (${missing})`) });
    return;
  }
  const policy = ctx.plan.attestation;
  const verified: VerifiedAttestation = verifyYubicoAttestation(certs.attestationDer, certs.deviceDer, {
    ...(ctx.attestationTrust ? { trust: ctx.attestationTrust } : {}),
    now: ctx.now(),
    expectedSpki: key.spki,
    ...(policy?.pinPolicy || policy?.touchPolicy ? { policy: { ...(policy.pinPolicy ? { pin: policy.pinPolicy } : {}), ...(policy.touchPolicy ? { touch: policy.touchPolicy } : {}) } } : {}),
    paths: { attestation: `${roleTitle(planned)}: slot attestation certificate`, device: `${roleTitle(planned)}: f9 certificate` },
  });
  if (String(verified.serial) !== rec.tokenSerial!.trim()) {
    throw new CeremonyError('ATTESTATION_KEY_MISMATCH', `the attestation of ${roleTitle(planned)} names YubiKey serial ${verified.serial}, but the key was made on the token with serial ${rec.tokenSerial!.trim()}`);
  }
  if (!rec.attestation) {
    rec.attestation = { kind: 'yubico-piv', attestation: pemOfCertificate(certs.attestationDer), device: pemOfCertificate(certs.deviceDer) };
    ctx.state.keys[planned.name] = rec;
    await ctx.save();
  }
  const sentence = `${roleTitle(planned)} was generated on YubiKey serial ${verified.serial}, firmware ${verified.firmware}${verified.slot ? `, slot ${verified.slot}` : ''}, form factor ${verified.formFactor}${verified.fips ? ' (FIPS)' : ''}, PIN policy ${verified.pinPolicy}, touch policy ${verified.touchPolicy}; chain ${verified.chain.map(quoteShown).join(' → ')}${verified.root.bundled ? '' : ' (NOT a Yubico root: roots given for tests or a private PKI)'}`;
  await ctx.record({
    step: 'key.attestation',
    actor,
    token: tokenRef,
    digests: [
      { label: 'attested public key (SHA-256 of its SubjectPublicKeyInfo)', sha256: verified.attestedKeySha256 },
      { label: 'slot attestation certificate', sha256: sha256Hex(certs.attestationDer) },
      { label: 'f9 device attestation certificate', sha256: sha256Hex(certs.deviceDer) },
      { label: clipNote(`attestation root ${verified.root.subject}`, 100), sha256: verified.root.sha256 },
    ],
    note: clipNote(sentence),
  });
  ctx.report(`  attestation: ${sentence}`);
}

/**
 * Review 15e M3: a key found under the CKA_ID of a `generating` record is adopted only when it shows it is
 * this ceremony's planned key — the state's CKA_ID could name another ceremony's key on the same token (it
 * is in that ceremony's key inventory). Its label must be the plan's (a YubiKey's labels are fixed by its
 * PIV slot, so there the slot, chosen free before the generation, is what there is), and its fingerprint
 * the record's when one was recorded. Otherwise CEREMONY_STATE_INVALID at the record, nothing adopted.
 */
function adoptable(ctx: CeremonyContext, planned: PlannedKey, source: TokenKeySource, existing: KeyRecord, key: SigningKey): void {
  const at = inState(statePathOf(ctx), `$.keys.${planned.name}`);
  const refuse = (why: string) =>
    new CeremonyError(
      'CEREMONY_STATE_INVALID',
      `${source.custodian}'s token holds a key under CKA_ID ${existing.tokenKeyId ?? '(none)'}, recorded as being generated for ${planned.name}, but ${why}: it is not this ceremony's key and is not adopted. Move that key away from the CKA_ID, or start the ceremony afresh in a new folder`,
      { path: at },
    );
  if (existing.label !== undefined && existing.label !== source.keyLabel) throw refuse(`the state records the label "${existing.label}", the plan "${source.keyLabel}"`);
  if (key instanceof TokenKey && key.pivTouch === undefined && key.label !== source.keyLabel) throw refuse(`it is labelled "${key.label}", not "${source.keyLabel}" as the plan asks`);
  if (existing.fingerprint !== undefined && key.fingerprint !== existing.fingerprint) throw refuse(`its fingerprint is ${key.fingerprint.slice(0, 16)}…, not the ${existing.fingerprint.slice(0, 16)}… recorded`);
}

async function tokenKey(ctx: CeremonyContext, planned: PlannedKey, source: TokenKeySource, opts: MakeKeyOptions): Promise<{ rec: KeyRecord; how: string }> {
  const token = await ctx.token(source.custodian);
  const existing = ctx.state.keys[planned.name];
  // The CKA_ID is chosen and recorded before the token is asked, so the key is found again by ID (and
  // fingerprint) whatever the module does with labels; an older state without one is found by label.
  // A YubiKey's CKA_ID is its PIV slot (one byte, piv-slots.ts): from the bindings or proposed and
  // confirmed, and refused when taken — before anything is recorded or written to the card.
  const pivId = existing || source.existing || !token.pivKeyId ? undefined : await token.pivKeyId(planned.role);
  const tokenKeyId = existing ? existing.tokenKeyId : source.existing ? source.existing.ckaId : pivId ? Buffer.from(pivId).toString('hex') : randomBytes(16).toString('hex');
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
    const rec = await ready(ctx, planned, key, existing, opts);
    await attest(ctx, planned, source, token, key, rec);
    return { rec, how };
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
    const rec = await ready(ctx, planned, key, base, opts);
    await attest(ctx, planned, source, token, key, rec);
    return { rec, how };
  }
  if (existing?.status === 'generating') {
    try {
      key = await token.findKey(source.keyLabel, undefined, id);
      how = `found on the token after an interruption during its generation, and adopted (same token, same ${id ? 'CKA_ID and label' : 'label'})`;
    } catch (err) {
      if (!isCeremonyError(err, 'TOKEN_KEY_NOT_FOUND')) throw err;
      how = 'generated on the token';
    }
    if (key) adoptable(ctx, planned, source, existing, key);
  } else {
    how = 'generated on the token';
    ctx.state.keys[planned.name] = base;
    await ctx.save();
  }
  await ctx.fault(`generating:${planned.name}`);
  try {
    key ??= await token.generateKey(source.keyAlgorithm, source.keyLabel, id);
  } catch (err) {
    // Review 15e L1: a run killed inside C_GenerateKeyPair can leave the public half of the pair on the
    // token (SoftHSM2 wrote it and died before the private key): no usable key under the CKA_ID, and the
    // label taken. "Choose another label" would mean another plan and folder; say what to delete instead.
    if (existing?.status !== 'generating' || !isCeremonyError(err, 'KEY_LABEL_EXISTS')) throw err;
    throw new CeremonyError(
      'CEREMONY_CANNOT_RESUME',
      `${roleTitle(planned)} was being generated on ${source.custodian}'s token when the run stopped; the token holds an object labelled "${source.keyLabel}" but no usable private key${tokenKeyId ? ` with CKA_ID ${tokenKeyId}` : ''} — most likely the public half of the interrupted key pair. Check it, delete the object${tokenKeyId ? ` with CKA_ID ${tokenKeyId}` : ` labelled "${source.keyLabel}"`} (softhsm2-util / pkcs11-tool --delete-object), then resume; nothing else was changed`,
      { path: inState(statePathOf(ctx), `$.keys.${planned.name}`), cause: err },
    );
  }
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
  await attest(ctx, planned, source, token, key, rec);
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
