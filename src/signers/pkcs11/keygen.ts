/**
 * Key generation templates, and what the private key must read back as. Modules disagree on templates:
 * tpm2-pkcs11 refuses CKA_VERIFY / CKA_ENCRYPT in the public template (it derives them and compares,
 * CKR_GENERAL_ERROR, "attr mismatch"), ykcs11 takes only a short list of private attributes, SoftHSM2 grants
 * decrypt/unwrap/derive unless told otherwise (FIELD-NOTES). So: the full template first; if the module
 * refuses an attribute of it, once more with the minimal template (what makes a token signing key and
 * nothing else); then, whichever was used, the private key is read back and must be sensitive, not
 * extractable, able to sign and unable to decrypt, unwrap or derive — tpm2-pkcs11 makes a key that is not
 * sensitive from a bare template, so the read-back, not the template, is what counts.
 */
import type { KeyAlgorithm } from '../../profiles/profile.js';
import { EC_PARAMS } from '../spki.js';
import { CKK, CKM, CKO, CKR, isPkcs11Fault, type Attributes, type Mechanism } from './api.js';

export interface GenerateKeyRequest {
  algorithm: KeyAlgorithm;
  /** CKA_LABEL; never reused on one token (a hint only: some modules ignore or rewrite labels). */
  label: string;
  /** CKA_ID; for a YubiKey it selects the PIV slot (1 → 9a, 2 → 9c, …). Random 16 bytes by default. */
  id?: Uint8Array;
  /** RSA modulus length, 3072 by default, 2048 at least. */
  rsaBits?: number;
  /** CKA_ALWAYS_AUTHENTICATE: the PIN is asked before every signature. */
  alwaysAuthenticate?: boolean;
  /**
   * The PIN for the post-generation self-test, signed with a context-specific login (YubiKey after the SO
   * login, piv.ts). Zeroed after use. Without it a key that asks for the PIN every time skips the self-test.
   */
  selfTestPin?: Uint8Array;
}

export type TemplateKind = 'full' | 'minimal';

export interface KeyPairTemplate {
  publicKey: Attributes;
  privateKey: Attributes;
}

export interface GenerationTemplates {
  mechanism: Mechanism;
  full: KeyPairTemplate;
  minimal: KeyPairTemplate;
}

/** The templates for `req`, with CKA_ID `id` and RSA modulus `rsaBits`. */
export function generationTemplates(req: GenerateKeyRequest, id: Uint8Array, rsaBits: number): GenerationTemplates {
  let mechanism: Mechanism;
  let keyType: number;
  let publicKeyAttrs: Attributes;
  if (req.algorithm === 'rsa-pss-sha256') {
    mechanism = { type: CKM.RSA_PKCS_KEY_PAIR_GEN };
    keyType = CKK.RSA;
    publicKeyAttrs = { modulusBits: rsaBits, publicExponent: Uint8Array.from([1, 0, 1]) };
  } else {
    const ed = req.algorithm === 'ed25519';
    mechanism = { type: ed ? CKM.EC_EDWARDS_KEY_PAIR_GEN : CKM.EC_KEY_PAIR_GEN };
    keyType = ed ? CKK.EC_EDWARDS : CKK.EC;
    publicKeyAttrs = { ecParams: EC_PARAMS[req.algorithm] };
  }
  const common: Attributes = { token: true, label: req.label, id: Uint8Array.from(id), keyType };
  // Minimal: the public key says nothing of its uses (tpm2-pkcs11 derives them and refuses a mismatch);
  // the private key says what the read-back requires of it — a module that would make an RSA key able to
  // decrypt (tpm2-pkcs11 does from a bare template) must be told not to.
  const minimal: KeyPairTemplate = {
    publicKey: { ...common, class: CKO.PUBLIC_KEY, ...publicKeyAttrs },
    privateKey: { ...common, class: CKO.PRIVATE_KEY, private: true, sensitive: true, extractable: false, sign: true, decrypt: false, unwrap: false, derive: false },
  };
  // Full: every use of either half said explicitly (SoftHSM2 grants them otherwise, FIELD-NOTES).
  const full: KeyPairTemplate = {
    publicKey: { ...minimal.publicKey, private: false, verify: true, encrypt: false, wrap: false, derive: false },
    privateKey: { ...minimal.privateKey },
  };
  if (req.alwaysAuthenticate) {
    full.privateKey.alwaysAuthenticate = true;
    minimal.privateKey.alwaysAuthenticate = true;
  }
  return { mechanism, full, minimal };
}

/**
 * Return values by which a module refuses an attribute of a generation template, so the minimal
 * template is worth one more try. CKR_GENERAL_ERROR is here because tpm2-pkcs11 answers so (FIELD-NOTES).
 */
const TEMPLATE_REFUSALS = new Set<number>([
  CKR.ATTRIBUTE_TYPE_INVALID,
  CKR.ATTRIBUTE_VALUE_INVALID,
  0x10 /* CKR_ATTRIBUTE_READ_ONLY */,
  CKR.TEMPLATE_INCONSISTENT,
  CKR.GENERAL_ERROR,
]);

export function isTemplateRefusal(err: unknown): boolean {
  return isPkcs11Fault(err) && typeof err.rv === 'number' && TEMPLATE_REFUSALS.has(err.rv);
}

/** The private key's attributes that decide whether it is a safe ceremony key, as read back. */
export const READBACK_ATTRS = ['sensitive', 'extractable', 'sign', 'decrypt', 'unwrap', 'derive', 'alwaysSensitive', 'neverExtractable'] as const;
export type ReadbackName = (typeof READBACK_ATTRS)[number];

/** What was read back: true/false, or null when the module does not have the attribute. */
export type Readback = Record<ReadbackName, boolean | null>;

/**
 * What is wrong with a read-back, as "CKA_… is …" phrases; empty when the key is safe. Sensitive,
 * extractable and sign must be readable; a token without CKA_DECRYPT / CKA_UNWRAP / CKA_DERIVE on a key
 * cannot do those with it.
 */
export function readbackProblems(r: Readback): { extractable: string[]; uses: string[] } {
  const extractable: string[] = [];
  const uses: string[] = [];
  if (r.sensitive !== true) extractable.push(r.sensitive === null ? 'CKA_SENSITIVE unreadable' : 'CKA_SENSITIVE false');
  if (r.extractable !== false) extractable.push(r.extractable === null ? 'CKA_EXTRACTABLE unreadable' : 'CKA_EXTRACTABLE true');
  if (r.sign !== true) uses.push(r.sign === null ? 'CKA_SIGN unreadable' : 'CKA_SIGN false');
  if (r.decrypt === true) uses.push('CKA_DECRYPT true');
  if (r.unwrap === true) uses.push('CKA_UNWRAP true');
  if (r.derive === true) uses.push('CKA_DERIVE true');
  return { extractable, uses };
}

/** How a key was generated, for the transcript: which template, why the full one was refused, what was read back. */
export interface GenerationReport {
  template: TemplateKind;
  /** The CKR_ by which the module refused the full template (only when the minimal one was used). */
  fullRefused?: string;
  /** Why the full template was not tried (a module known to refuse it, quirks.ts). */
  fullSkipped?: string;
  readBack: Readback;
  /** How the token refused to give the private key out (session.ts proveNotExtractable), once generated. */
  proof?: { value: string; wrap: string };
}

/** One line for transcripts and reports: `template full; read back sensitive=true extractable=false …`. */
export function generationText(g: GenerationReport): string {
  const rb = READBACK_ATTRS.map((n) => `${n}=${g.readBack[n] === null ? 'n/a' : String(g.readBack[n])}`).join(' ');
  const why = g.fullSkipped ? ` (${g.fullSkipped})` : g.template === 'minimal' ? ` (the module refused the full template: ${g.fullRefused ?? 'refused'})` : '';
  const proof = g.proof ? `; read-out refused: value ${g.proof.value}, wrap ${g.proof.wrap}` : '';
  return `generated with the ${g.template} template${why}; the token's half (CKO_PRIVATE_KEY) read back: ${rb}${proof}`;
}
