/**
 * A PIV card with YubiKey's extensions, as test infrastructure: the command set Debian's ykcs11 and
 * yubico-piv-tool 2.2.0 send (read in yubico-piv-tool-2.2.0 lib/ykpiv.c, lib/util.c, ykcs11/token.c), on
 * the data model of NIST SP 800-73-4 Part 2 (PIN 80, PUK 81, card management key 9B, key references
 * 9A/9C/9D/9E/82–95, data objects 5FC1xx) plus Yubico's instructions FD (version), F8 (serial), F9
 * (attest), F7 (metadata), FB (reset), FA (set retries), FF (set management key).
 *
 * What a real YubiKey does and this card copies: the PIN is 6–8 bytes padded with FF; three tries, then
 * 6983 until RESET RETRY COUNTER with the PUK; a slot's PIN policy ("always" for 9C by default) and touch
 * policy are fixed at generation; management-key authentication is 3DES challenge–response (SP 800-73-4
 * Part 2, 3.2.4 / Appendix A.1); long responses are chained with 61xx / GET RESPONSE, long commands with
 * CLA 0x10. Touch is a delay (or, with `touch.answer: false`, a timeout that fails the signature).
 */
import { createCipheriv, createDecipheriv, createPublicKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { attestationCertificate } from './attestation-ca.js';
import { concat, findTlv, parseTlvs, tlv, toHex } from './tlv.js';

export const SW = {
  OK: 0x9000,
  SECURITY: 0x6982,
  BLOCKED: 0x6983,
  CONDITIONS: 0x6985,
  INCORRECT_DATA: 0x6a80,
  FILE_NOT_FOUND: 0x6a82,
  REFERENCE_NOT_FOUND: 0x6a88,
  WRONG_P1P2: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  WRONG_LENGTH: 0x6700,
} as const;

export const PIN_POLICY = { default: 0, never: 1, once: 2, always: 3 } as const;
export const TOUCH_POLICY = { default: 0, never: 1, always: 2, cached: 3 } as const;
export type PinPolicyName = Exclude<keyof typeof PIN_POLICY, 'default'>;
export type TouchPolicyName = Exclude<keyof typeof TOUCH_POLICY, 'default'>;

const ALG_3DES = 0x03;
const ALG_P256 = 0x11;
const ALG_P384 = 0x14;
const PIV_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x03, 0x08);
const KEY_SLOTS = [0x9a, 0x9c, 0x9d, 0x9e, ...Array.from({ length: 20 }, (_, i) => 0x82 + i), 0xf9];
/** Certificate object per slot (SP 800-73-4 Part 1, table 3; retired 5FC10D–5FC120; Yubico 5FFF01 for f9). */
export function certObjectOf(slot: number): number | undefined {
  if (slot === 0x9a) return 0x5fc105;
  if (slot === 0x9c) return 0x5fc10a;
  if (slot === 0x9d) return 0x5fc10b;
  if (slot === 0x9e) return 0x5fc101;
  if (slot >= 0x82 && slot <= 0x95) return 0x5fc10d + (slot - 0x82);
  if (slot === 0xf9) return 0x5fff01;
  return undefined;
}

/** YubiKey defaults when GENERATE names no policy (ykman docs: 9C PIN always, 9E never, else once; touch never). */
function defaultPinPolicy(slot: number): number {
  if (slot === 0x9c) return PIN_POLICY.always;
  if (slot === 0x9e) return PIN_POLICY.never;
  return PIN_POLICY.once;
}

export interface PivCardConfig {
  serial: number;
  firmware: [number, number, number];
  /** Yubico form factor byte (1 = USB-A keychain). */
  formFactor: number;
  pin: string;
  puk: string;
  /** 24-byte 3DES management key, hex. */
  managementKeyHex: string;
  pinRetries: number;
  pukRetries: number;
  /**
   * Per-slot policies applied when GENERATE names none (ykcs11 2.2.0 never names one): stands for a key a
   * site prepared with ykman's --pin-policy / --touch-policy. Keys are slot hex ("9c", "82").
   */
  slotPolicies: Record<string, { pin?: PinPolicyName; touch?: TouchPolicyName }>;
  touch: { delayMs: number; answer: boolean };
  /** The device attestation key and certificate (slot f9 / object 5FFF01); ATTEST fails without them. */
  attestation?: { f9KeyPkcs8: Uint8Array; f9CertDer: Uint8Array };
}

export const DEFAULT_MANAGEMENT_KEY = '010203040506070801020304050607080102030405060708';

export function defaultCardConfig(overrides: Partial<PivCardConfig> = {}): PivCardConfig {
  return {
    serial: 12345678,
    firmware: [5, 4, 3],
    formFactor: 1,
    pin: '123456',
    puk: '12345678',
    managementKeyHex: DEFAULT_MANAGEMENT_KEY,
    pinRetries: 3,
    pukRetries: 3,
    slotPolicies: {},
    touch: { delayMs: 200, answer: true },
    ...overrides,
  };
}

interface SlotKey {
  algorithm: number;
  privateKey: Uint8Array;
  /** Uncompressed EC point. */
  point: Uint8Array;
  pinPolicy: number;
  touchPolicy: number;
  origin: 1 | 2;
}

/** What a test may read back from the card (never the private keys). */
export interface CardEvents {
  touches: number;
  signatures: number;
  generated: string[];
  commands: string[];
}

export class PivCard {
  private readonly keys = new Map<number, SlotKey>();
  private readonly objects = new Map<number, Uint8Array>();
  private pin: Uint8Array;
  private puk: Uint8Array;
  private managementKey: Buffer;
  private pinTries: number;
  private pukTries: number;
  private pinMax: number;
  private pukMax: number;
  private selected: 'piv' | 'management' | 'other' | 'none' = 'none';
  private pinVerified = false;
  /** PIN "always": a VERIFY since the last private-key operation (SP 800-73-4 Part 1, 3.5 "PIN Always"). */
  private pinFresh = false;
  private managementAuthenticated = false;
  private witness: Uint8Array | undefined;
  private pending: Uint8Array = new Uint8Array(0);
  private chained: Uint8Array = new Uint8Array(0);
  private lastTouch = 0;
  readonly events: CardEvents = { touches: 0, signatures: 0, generated: [], commands: [] };

  constructor(private readonly config: PivCardConfig) {
    this.pin = padPin(config.pin);
    this.puk = padPin(config.puk);
    this.managementKey = Buffer.from(config.managementKeyHex, 'hex');
    this.pinTries = this.pinMax = config.pinRetries;
    this.pukTries = this.pukMax = config.pukRetries;
    if (config.attestation) this.objects.set(0x5fff01, certificateObject(config.attestation.f9CertDer));
  }

  /** ATR of a YubiKey 5 over USB (ykpiv.h YKPIV_ATR_YK5): T=1, "YubiKey" in the historical bytes. */
  static readonly ATR = Uint8Array.from(Buffer.from('3bfd1300008131fe158073c021c057597562694b657940', 'hex'));

  reset(): void {
    this.selected = 'none';
    this.pinVerified = false;
    this.pinFresh = false;
    this.managementAuthenticated = false;
    this.witness = undefined;
    this.pending = new Uint8Array(0);
    this.chained = new Uint8Array(0);
  }

  /** One command APDU in, one response APDU (data ‖ SW1 SW2) out. */
  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (apdu.length < 4) return sw(SW.WRONG_LENGTH);
    const [cla, ins, p1, p2] = [apdu[0]!, apdu[1]!, apdu[2]!, apdu[3]!];
    let data: Uint8Array = new Uint8Array(0);
    if (apdu.length > 5 && apdu[4] === 0 && apdu.length >= 7) {
      // Extended length (ISO 7816-4 5.1: 00 then a two-byte Lc), as yubikit sends.
      const lc = (apdu[5]! << 8) | apdu[6]!;
      if (apdu.length < 7 + lc) return sw(SW.WRONG_LENGTH);
      data = apdu.slice(7, 7 + lc);
    } else if (apdu.length > 5) {
      const lc = apdu[4]!;
      if (apdu.length < 5 + lc) return sw(SW.WRONG_LENGTH);
      data = apdu.slice(5, 5 + lc);
    }
    this.events.commands.push(ins.toString(16).padStart(2, '0'));
    if (ins === 0xc0) return this.nextChunk();
    if ((cla & ~0x10) !== 0) return sw(SW.CLA_NOT_SUPPORTED);
    if (cla & 0x10) {
      this.chained = concat(this.chained, data);
      return sw(SW.OK);
    }
    if (this.chained.length > 0) {
      data = concat(this.chained, data);
      this.chained = new Uint8Array(0);
    }
    let out: { data?: Uint8Array; sw: number };
    try {
      out = await this.dispatch(ins, p1, p2, data);
    } catch (e) {
      if (e instanceof RangeError) out = { sw: SW.INCORRECT_DATA };
      else throw e;
    }
    if (out.sw !== SW.OK || !out.data) return sw(out.sw);
    this.pending = out.data;
    return this.nextChunk();
  }

  /** Responses longer than 256 bytes go out in pieces: 61xx says more is waiting (ISO 7816-4 5.3.4). */
  private nextChunk(): Uint8Array {
    const piece = this.pending.slice(0, 256);
    this.pending = this.pending.slice(256);
    const rest = this.pending.length;
    return concat(piece, rest > 0 ? Uint8Array.of(0x61, rest > 0xff ? 0 : rest) : Uint8Array.of(0x90, 0x00));
  }

  private async dispatch(ins: number, p1: number, p2: number, data: Uint8Array): Promise<{ data?: Uint8Array; sw: number }> {
    if (ins === 0xa4) return this.select(p1, data);
    if (this.selected === 'management' && ins === 0x1d) return this.readDeviceConfig();
    if (this.selected !== 'piv') return { sw: SW.INS_NOT_SUPPORTED };
    switch (ins) {
      case 0x20:
        return this.verify(p1, p2, data);
      case 0x24:
        return this.changeReference(p2, data);
      case 0x2c:
        return this.resetRetryCounter(p2, data);
      case 0x87:
        return p2 === 0x9b ? this.authenticateManagement(p1, data) : this.sign(p1, p2, data);
      case 0x47:
        return this.generate(p2, data);
      case 0xcb:
        return this.getData(data);
      case 0xdb:
        return this.putData(data);
      case 0xfd:
        return { data: Uint8Array.from(this.config.firmware), sw: SW.OK };
      case 0xf8:
        return { data: Uint8Array.of(this.config.serial >>> 24, (this.config.serial >>> 16) & 0xff, (this.config.serial >>> 8) & 0xff, this.config.serial & 0xff), sw: SW.OK };
      case 0xf9:
        return this.attest(p1);
      case 0xf7:
        return this.metadata(p2);
      case 0xfa:
        return this.setRetries(p1, p2);
      case 0xfb:
        return this.factoryReset();
      case 0xff:
        return this.setManagementKey(data);
      default:
        return { sw: SW.INS_NOT_SUPPORTED };
    }
  }

  private select(p1: number, data: Uint8Array): { data?: Uint8Array; sw: number } {
    if (p1 !== 0x04) return { sw: SW.WRONG_P1P2 };
    // Leaving the PIV application drops its security status; ykpiv deauthenticates by selecting another AID.
    this.pinVerified = this.pinFresh = this.managementAuthenticated = false;
    this.witness = undefined;
    const hex = toHex(data);
    if (data.length >= PIV_AID.length && toHex(data.subarray(0, 5)) === toHex(PIV_AID)) {
      this.selected = 'piv';
      // Application property template (SP 800-73-4 Part 2, 3.1.1).
      const aid = Uint8Array.from(Buffer.from('a000000308000010000100', 'hex'));
      return { data: tlv(0x61, concat(tlv(0x4f, aid.subarray(5)), tlv(0x79, tlv(0x4f, PIV_AID)))), sw: SW.OK };
    }
    // The management and OTP applications exist on a YubiKey; ykpiv selects one to deauthenticate.
    if (hex === 'a000000527471117') {
      // The management application answers SELECT with its version as text (yubikit management.py reads
      // "x.y.z" out of it) and serves READ CONFIG (INS 1D): yubikey-manager's device info.
      this.selected = 'management';
      return { data: new TextEncoder().encode(`Virtual mgmt - FW version ${this.config.firmware.join('.')}`), sw: SW.OK };
    }
    if (hex === 'a0000005272001' || hex === 'a000000527200101') {
      this.selected = 'other';
      return { sw: SW.OK };
    }
    return { sw: SW.FILE_NOT_FOUND };
  }

  private verify(p1: number, p2: number, data: Uint8Array): { sw: number } {
    if (p2 !== 0x80) return { sw: SW.REFERENCE_NOT_FOUND };
    if (p1 === 0xff) {
      this.pinVerified = this.pinFresh = false;
      return { sw: SW.OK };
    }
    if (data.length === 0) {
      if (this.pinVerified) return { sw: SW.OK };
      return { sw: this.pinTries === 0 ? SW.BLOCKED : 0x63c0 | this.pinTries };
    }
    if (this.pinTries === 0) return { sw: SW.BLOCKED };
    if (data.length !== 8) return { sw: SW.INCORRECT_DATA };
    if (timingSafeEqual(data, this.pin)) {
      this.pinTries = this.pinMax;
      this.pinVerified = this.pinFresh = true;
      return { sw: SW.OK };
    }
    this.pinTries -= 1;
    this.pinVerified = this.pinFresh = false;
    return { sw: 0x63c0 | this.pinTries };
  }

  private changeReference(p2: number, data: Uint8Array): { sw: number } {
    if (p2 !== 0x80 && p2 !== 0x81) return { sw: SW.REFERENCE_NOT_FOUND };
    if (data.length !== 16) return { sw: SW.INCORRECT_DATA };
    const isPin = p2 === 0x80;
    const tries = isPin ? this.pinTries : this.pukTries;
    if (tries === 0) return { sw: SW.BLOCKED };
    const current = isPin ? this.pin : this.puk;
    if (!timingSafeEqual(data.subarray(0, 8), current)) {
      if (isPin) this.pinTries -= 1;
      else this.pukTries -= 1;
      return { sw: 0x63c0 | (isPin ? this.pinTries : this.pukTries) };
    }
    const next = data.slice(8);
    if (unpaddedLength(next) < 6) return { sw: SW.INCORRECT_DATA };
    if (isPin) {
      this.pin = next;
      this.pinTries = this.pinMax;
    } else {
      this.puk = next;
      this.pukTries = this.pukMax;
    }
    return { sw: SW.OK };
  }

  private resetRetryCounter(p2: number, data: Uint8Array): { sw: number } {
    if (p2 !== 0x80) return { sw: SW.REFERENCE_NOT_FOUND };
    if (data.length !== 16) return { sw: SW.INCORRECT_DATA };
    if (this.pukTries === 0) return { sw: SW.BLOCKED };
    if (!timingSafeEqual(data.subarray(0, 8), this.puk)) {
      this.pukTries -= 1;
      return { sw: 0x63c0 | this.pukTries };
    }
    this.pukTries = this.pukMax;
    this.pin = data.slice(8);
    this.pinTries = this.pinMax;
    return { sw: SW.OK };
  }

  private des(direction: 'encrypt' | 'decrypt', block: Uint8Array): Uint8Array {
    const cipher = direction === 'encrypt' ? createCipheriv('des-ede3-ecb', this.managementKey, null) : createDecipheriv('des-ede3-ecb', this.managementKey, null);
    cipher.setAutoPadding(false);
    return new Uint8Array(Buffer.concat([cipher.update(block), cipher.final()]));
  }

  /** SP 800-73-4 Part 2, Appendix A.1 (card management key, challenge–response), as ykpiv sends it. */
  private authenticateManagement(p1: number, data: Uint8Array): { data?: Uint8Array; sw: number } {
    if (p1 !== ALG_3DES) return { sw: SW.INCORRECT_DATA };
    const dyn = findTlv(parseTlvs(data), 0x7c);
    if (!dyn) return { sw: SW.INCORRECT_DATA };
    const items = parseTlvs(dyn);
    const witnessAsked = items.find((t) => t.tag === 0x80 && t.value.length === 0);
    if (witnessAsked) {
      this.witness = new Uint8Array(randomBytes(8));
      this.managementAuthenticated = false;
      return { data: tlv(0x7c, tlv(0x80, this.des('encrypt', this.witness))), sw: SW.OK };
    }
    const answer = findTlv(items, 0x80);
    const challenge = findTlv(items, 0x81);
    const expected = this.witness;
    this.witness = undefined;
    if (!answer || !challenge || !expected || answer.length !== 8 || challenge.length !== 8) return { sw: SW.INCORRECT_DATA };
    if (!timingSafeEqual(answer, expected)) return { sw: SW.SECURITY };
    this.managementAuthenticated = true;
    return { data: tlv(0x7c, tlv(0x82, this.des('encrypt', challenge))), sw: SW.OK };
  }

  private async touch(key: SlotKey): Promise<boolean> {
    const policy = key.touchPolicy;
    if (policy === TOUCH_POLICY.never || policy === TOUCH_POLICY.default) return true;
    if (policy === TOUCH_POLICY.cached && Date.now() - this.lastTouch < 15_000) return true;
    await new Promise((resolve) => setTimeout(resolve, this.config.touch.delayMs));
    if (!this.config.touch.answer) return false;
    this.events.touches += 1;
    this.lastTouch = Date.now();
    return true;
  }

  private async sign(algorithm: number, slot: number, data: Uint8Array): Promise<{ data?: Uint8Array; sw: number }> {
    const key = this.keys.get(slot);
    if (!key) return { sw: SW.REFERENCE_NOT_FOUND };
    if (key.algorithm !== algorithm) return { sw: SW.INCORRECT_DATA };
    const dyn = findTlv(parseTlvs(data), 0x7c);
    const challenge = dyn ? findTlv(parseTlvs(dyn), 0x81) : undefined;
    if (!challenge) return { sw: SW.INCORRECT_DATA };
    const size = algorithm === ALG_P256 ? 32 : 48;
    if (challenge.length > size) return { sw: SW.INCORRECT_DATA };
    if (key.pinPolicy === PIN_POLICY.always && !this.pinFresh) return { sw: SW.SECURITY };
    if (key.pinPolicy === PIN_POLICY.once && !this.pinVerified) return { sw: SW.SECURITY };
    this.pinFresh = false;
    if (!(await this.touch(key))) return { sw: SW.SECURITY };
    const curve = algorithm === ALG_P256 ? p256 : p384;
    // The host sends the digest; the card signs it as given (no hashing), left-padded to the order's size.
    const digest = concat(new Uint8Array(size - challenge.length), challenge);
    const signature = curve.sign(digest, key.privateKey, { prehash: false, format: 'der' });
    this.events.signatures += 1;
    return { data: tlv(0x7c, tlv(0x82, signature)), sw: SW.OK };
  }

  private generate(slot: number, data: Uint8Array): { data?: Uint8Array; sw: number } {
    if (!this.managementAuthenticated) return { sw: SW.SECURITY };
    if (!KEY_SLOTS.includes(slot)) return { sw: SW.WRONG_P1P2 };
    const control = findTlv(parseTlvs(data), 0xac);
    if (!control) return { sw: SW.INCORRECT_DATA };
    const items = parseTlvs(control);
    const algorithm = findTlv(items, 0x80)?.[0];
    if (algorithm !== ALG_P256 && algorithm !== ALG_P384) return { sw: SW.INCORRECT_DATA };
    const preset = this.config.slotPolicies[slot.toString(16)] ?? {};
    const pinPolicy = findTlv(items, 0xaa)?.[0] ?? (preset.pin ? PIN_POLICY[preset.pin] : defaultPinPolicy(slot));
    const touchPolicy = findTlv(items, 0xab)?.[0] ?? (preset.touch ? TOUCH_POLICY[preset.touch] : TOUCH_POLICY.never);
    const curve = algorithm === ALG_P256 ? p256 : p384;
    const privateKey = curve.utils.randomSecretKey();
    const point = curve.getPublicKey(privateKey, false);
    this.keys.set(slot, { algorithm, privateKey, point, pinPolicy, touchPolicy, origin: 1 });
    this.events.generated.push(slot.toString(16));
    return { data: tlv(0x7f49, tlv(0x86, point)), sw: SW.OK };
  }

  private objectId(data: Uint8Array): number | undefined {
    const tag = findTlv(parseTlvs(data), 0x5c);
    if (!tag || tag.length === 0 || tag.length > 3) return undefined;
    return tag.reduce((n, b) => (n << 8) | b, 0);
  }

  private getData(data: Uint8Array): { data?: Uint8Array; sw: number } {
    const id = this.objectId(data);
    if (id === undefined) return { sw: SW.INCORRECT_DATA };
    // Printed information (5FC109) is readable only after the PIN (SP 800-73-4 Part 1, table 3).
    if (id === 0x5fc109 && !this.pinVerified) return { sw: SW.SECURITY };
    const value = this.objects.get(id);
    if (!value) return { sw: SW.FILE_NOT_FOUND };
    return { data: tlv(0x53, value), sw: SW.OK };
  }

  private putData(data: Uint8Array): { sw: number } {
    if (!this.managementAuthenticated) return { sw: SW.SECURITY };
    const items = parseTlvs(data);
    const id = this.objectId(data);
    const value = findTlv(items, 0x53);
    if (id === undefined || value === undefined) return { sw: SW.INCORRECT_DATA };
    if (value.length === 0) this.objects.delete(id);
    else this.objects.set(id, value.slice());
    return { sw: SW.OK };
  }

  private async attest(slot: number): Promise<{ data?: Uint8Array; sw: number }> {
    if (!KEY_SLOTS.includes(slot) || slot === 0xf9) return { sw: SW.INCORRECT_DATA };
    const key = this.keys.get(slot);
    if (!key) return { sw: SW.REFERENCE_NOT_FOUND };
    // Only keys generated on the card can be attested (Yubico PIV_attestation.adoc).
    if (key.origin !== 1 || !this.config.attestation) return { sw: SW.INCORRECT_DATA };
    const spki = spkiOf(key);
    const der = await attestationCertificate(this.config.attestation.f9KeyPkcs8, this.config.attestation.f9CertDer, spki, {
      slot,
      firmware: this.config.firmware,
      serial: this.config.serial,
      pinPolicy: key.pinPolicy,
      touchPolicy: key.touchPolicy,
      formFactor: this.config.formFactor,
    });
    return { data: der, sw: SW.OK };
  }

  /** Yubico GET METADATA (firmware 5.3+), the layout yubikey-manager's piv.py and ykpiv.h describe. */
  private metadata(slot: number): { data?: Uint8Array; sw: number } {
    if (slot === 0x80 || slot === 0x81) {
      const isPin = slot === 0x80;
      const isDefault = toHex(isPin ? this.pin : this.puk) === toHex(padPin(isPin ? '123456' : '12345678'));
      const tries = isPin ? [this.pinMax, this.pinTries] : [this.pukMax, this.pukTries];
      return { data: concat(tlv(0x01, Uint8Array.of(0xff)), tlv(0x05, Uint8Array.of(isDefault ? 1 : 0)), tlv(0x06, Uint8Array.from(tries as number[]))), sw: SW.OK };
    }
    if (slot === 0x9b) {
      const isDefault = this.managementKey.toString('hex') === DEFAULT_MANAGEMENT_KEY;
      return { data: concat(tlv(0x01, Uint8Array.of(ALG_3DES)), tlv(0x02, Uint8Array.of(0, TOUCH_POLICY.never)), tlv(0x05, Uint8Array.of(isDefault ? 1 : 0))), sw: SW.OK };
    }
    const key = this.keys.get(slot);
    if (!key) return { sw: SW.REFERENCE_NOT_FOUND };
    return {
      data: concat(
        tlv(0x01, Uint8Array.of(key.algorithm)),
        tlv(0x02, Uint8Array.of(key.pinPolicy, key.touchPolicy)),
        tlv(0x03, Uint8Array.of(key.origin)),
        tlv(0x04, tlv(0x86, key.point)),
      ),
      sw: SW.OK,
    };
  }

  private setRetries(pinTries: number, pukTries: number): { sw: number } {
    if (!this.managementAuthenticated || !this.pinVerified) return { sw: SW.SECURITY };
    if (pinTries === 0 || pukTries === 0) return { sw: SW.INCORRECT_DATA };
    this.pinTries = this.pinMax = pinTries;
    this.pukTries = this.pukMax = pukTries;
    this.pin = padPin('123456');
    this.puk = padPin('12345678');
    return { sw: SW.OK };
  }

  /** Yubico RESET: only when both PIN and PUK are blocked. */
  private factoryReset(): { sw: number } {
    if (this.pinTries !== 0 || this.pukTries !== 0) return { sw: SW.CONDITIONS };
    const f9 = this.objects.get(0x5fff01);
    this.keys.clear();
    this.objects.clear();
    if (f9) this.objects.set(0x5fff01, f9);
    this.pin = padPin('123456');
    this.puk = padPin('12345678');
    this.pinTries = this.pinMax = 3;
    this.pukTries = this.pukMax = 3;
    this.managementKey = Buffer.from(DEFAULT_MANAGEMENT_KEY, 'hex');
    return { sw: SW.OK };
  }

  private setManagementKey(data: Uint8Array): { sw: number } {
    if (!this.managementAuthenticated) return { sw: SW.SECURITY };
    if (data.length !== 27 || data[0] !== ALG_3DES || data[1] !== 0x9b || data[2] !== 24) return { sw: SW.INCORRECT_DATA };
    this.managementKey = Buffer.from(data.subarray(3));
    return { sw: SW.OK };
  }

  /**
   * Device information as the management application's READ CONFIG returns it (yubikit management.py
   * DeviceInfo.parse): a length byte, then TLVs — 01 USB capabilities supported, 02 serial, 03 USB
   * capabilities enabled (PIV only: 0x0010), 04 form factor, 05 firmware version, 0A configuration lock.
   */
  private readDeviceConfig(): { data: Uint8Array; sw: number } {
    const s = this.config.serial;
    const body = concat(
      tlv(0x01, Uint8Array.of(0x00, 0x10)),
      tlv(0x02, Uint8Array.of(s >>> 24, (s >>> 16) & 0xff, (s >>> 8) & 0xff, s & 0xff)),
      tlv(0x03, Uint8Array.of(0x00, 0x10)),
      tlv(0x04, Uint8Array.of(this.config.formFactor)),
      tlv(0x05, Uint8Array.from(this.config.firmware)),
      tlv(0x0a, Uint8Array.of(0)),
    );
    return { data: concat(Uint8Array.of(body.length), body), sw: SW.OK };
  }

  /** Test hook: the public key in a slot (uncompressed point), or undefined when empty. */
  publicPoint(slot: number): Uint8Array | undefined {
    return this.keys.get(slot)?.point;
  }

  pinRetriesLeft(): number {
    return this.pinTries;
  }
}

function padPin(pin: string): Uint8Array {
  const out = new Uint8Array(8).fill(0xff);
  out.set(Buffer.from(pin, 'utf8').subarray(0, 8));
  return out;
}

function unpaddedLength(padded: Uint8Array): number {
  const end = padded.indexOf(0xff);
  return end === -1 ? padded.length : end;
}

function sw(code: number): Uint8Array {
  return Uint8Array.of(code >> 8, code & 0xff);
}

/** The object ykpiv writes for a certificate: 70 cert, 71 certinfo (0 = not compressed), FE LRC. */
export function certificateObject(certDer: Uint8Array): Uint8Array {
  return concat(tlv(0x70, certDer), tlv(0x71, Uint8Array.of(0)), tlv(0xfe, new Uint8Array(0)));
}

function spkiOf(key: SlotKey): Uint8Array {
  const crv = key.algorithm === ALG_P256 ? 'P-256' : 'P-384';
  const half = (key.point.length - 1) / 2;
  const jwk = {
    kty: 'EC',
    crv,
    x: Buffer.from(key.point.subarray(1, 1 + half)).toString('base64url'),
    y: Buffer.from(key.point.subarray(1 + half)).toString('base64url'),
  };
  return new Uint8Array(createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' }));
}

