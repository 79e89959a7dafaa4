/**
 * The facts a YubiKey writes into a PIV attestation certificate, under Yubico's arc 1.3.6.1.4.1.41482.3
 * (developers.yubico.com PIV/Introduction/PIV_attestation.adoc and Yubico_Attestation_OID.adoc):
 * .3 firmware version (three raw bytes), .7 serial number (a DER INTEGER), .8 usage policy (two raw bytes:
 * PIN policy, touch policy), .9 form factor (one raw byte; 0x80 set on FIPS devices); the CN names the
 * slot ("YubiKey PIV Attestation 9c"). Parsed with @peculiar/asn1-x509 into a new plain object.
 */
import { createRequire } from 'node:module';
import type { Certificate } from '@peculiar/asn1-x509';
import { CeremonyError } from '../errors.js';

type Asn1 = Pick<typeof import('@peculiar/asn1-schema'), 'AsnConvert'> & Pick<typeof import('@peculiar/asn1-x509'), 'Certificate'>;
let asn1: Asn1 | undefined;

/**
 * The ASN.1 layer, loaded when the first attestation is parsed (issue #18: `verify` and `inspect` of
 * metadata without attestations.json never need it). Both packages are CommonJS only, so `require` gives
 * the module instance `import` would; it only defers it (as src/profiles/x509.ts does).
 */
function loadAsn1(): Asn1 {
  if (!asn1) {
    const require = createRequire(import.meta.url);
    const schema = require('@peculiar/asn1-schema') as typeof import('@peculiar/asn1-schema');
    const x509 = require('@peculiar/asn1-x509') as typeof import('@peculiar/asn1-x509');
    asn1 = { AsnConvert: schema.AsnConvert, Certificate: x509.Certificate };
  }
  return asn1;
}

export const YUBICO_PIV_ARC = '1.3.6.1.4.1.41482.3';
const OID = { firmware: `${YUBICO_PIV_ARC}.3`, serial: `${YUBICO_PIV_ARC}.7`, policy: `${YUBICO_PIV_ARC}.8`, formFactor: `${YUBICO_PIV_ARC}.9` };

export type PinPolicy = 'default' | 'never' | 'once' | 'always' | 'match-once' | 'match-always' | 'unknown';
export type TouchPolicy = 'default' | 'never' | 'always' | 'cached' | 'unknown';

/** PIN policy byte (01 never, 02 once per session, 03 always; 04/05 match-once/-always on Bio keys). */
const PIN_POLICIES: Record<number, PinPolicy> = { 0: 'default', 1: 'never', 2: 'once', 3: 'always', 4: 'match-once', 5: 'match-always' };
/** Touch policy byte (01 never, 02 always, 03 cached for 15 s). */
const TOUCH_POLICIES: Record<number, TouchPolicy> = { 0: 'default', 1: 'never', 2: 'always', 3: 'cached' };
/** Form factor byte without the FIPS (0x80) and CSPN (0x40) bits (yubikey-manager Config_Reference). */
const FORM_FACTORS: Record<number, string> = {
  0: 'unknown',
  1: 'USB-A keychain',
  2: 'USB-A nano',
  3: 'USB-C keychain',
  4: 'USB-C nano',
  5: 'USB-C and Lightning',
  6: 'USB-A Bio keychain',
  7: 'USB-C Bio keychain',
};

export interface YubicoAttestedFacts {
  /** PIV slot from the subject CN, lower-case hex ("9c"), or null when the CN does not name one. */
  slot: string | null;
  serial: number;
  firmware: string;
  pinPolicy: PinPolicy;
  touchPolicy: TouchPolicy;
  formFactor: string;
  fips: boolean;
}

function extensionValues(der: Uint8Array, path: string): Map<string, Uint8Array> {
  const { AsnConvert, Certificate: CertificateSchema } = loadAsn1();
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der.slice().buffer as ArrayBuffer, CertificateSchema);
  } catch {
    throw new CeremonyError('ATTESTATION_MALFORMED', 'the attestation certificate is not a DER X.509 certificate', { path });
  }
  const out = new Map<string, Uint8Array>();
  for (const ext of cert.tbsCertificate.extensions ?? []) out.set(ext.extnID, new Uint8Array(ext.extnValue.buffer));
  return out;
}

/** A DER INTEGER (02 len big-endian), non-negative and safe: the serial's encoding. */
function derInteger(bytes: Uint8Array): number | undefined {
  if (bytes.length < 3 || bytes.length > 2 + 7 || bytes[0] !== 0x02 || bytes[1] !== bytes.length - 2 || (bytes[2]! & 0x80) !== 0) return undefined;
  let v = 0;
  for (const b of bytes.subarray(2)) v = v * 256 + b;
  return Number.isSafeInteger(v) ? v : undefined;
}

/** Reads the Yubico facts from an attestation certificate's DER; refuses one without firmware and serial. */
export function parseYubicoAttestation(der: Uint8Array, subjectCn: string, path: string): YubicoAttestedFacts {
  const ext = extensionValues(der, path);
  const firmware = ext.get(OID.firmware);
  const serialDer = ext.get(OID.serial);
  if (!firmware || firmware.length !== 3) {
    throw new CeremonyError('ATTESTATION_MALFORMED', `the attestation certificate has no YubiKey firmware version (extension ${OID.firmware})`, { path });
  }
  const serial = serialDer ? derInteger(serialDer) : undefined;
  if (serial === undefined) {
    throw new CeremonyError('ATTESTATION_MALFORMED', `the attestation certificate has no YubiKey serial number (extension ${OID.serial})`, { path });
  }
  const policy = ext.get(OID.policy);
  const form = ext.get(OID.formFactor);
  const formByte = form && form.length === 1 ? form[0]! : undefined;
  const slot = /^YubiKey PIV Attestation ([0-9a-fA-F]{2})$/.exec(subjectCn)?.[1]?.toLowerCase() ?? null;
  return {
    slot,
    serial,
    firmware: `${firmware[0]}.${firmware[1]}.${firmware[2]}`,
    pinPolicy: policy && policy.length === 2 ? (PIN_POLICIES[policy[0]!] ?? 'unknown') : 'unknown',
    touchPolicy: policy && policy.length === 2 ? (TOUCH_POLICIES[policy[1]!] ?? 'unknown') : 'unknown',
    formFactor: formByte === undefined ? 'unknown' : (FORM_FACTORS[formByte & 0x3f] ?? 'unknown'),
    fips: formByte !== undefined && (formByte & 0x80) !== 0,
  };
}

/** Firmware 5.7.4 and later chain to Yubico Attestation Root 1; earlier to Yubico PIV Root CA Serial 263751. */
export function familyOfFirmware(firmware: string): 'legacy' | 'current' {
  const [major = 0, minor = 0, patch = 0] = firmware.split('.').map(Number);
  return major > 5 || (major === 5 && (minor > 7 || (minor === 7 && patch >= 4))) ? 'current' : 'legacy';
}
