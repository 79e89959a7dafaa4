/**
 * An in-memory `Pkcs11Api` that behaves like a token where it matters to us and can be told to fail:
 *
 * - tokens with label, serial, PIN, mechanisms; PIN tries counted down with CKF_USER_PIN_COUNT_LOW /
 *   FINAL_TRY / LOCKED as a YubiKey sets them (SoftHSM never locks, FIELD-NOTES — hence this fake);
 * - keys made with node:crypto and @noble/curves, honouring CKA_SENSITIVE / CKA_EXTRACTABLE (reading
 *   CKA_VALUE → CKR_ATTRIBUTE_SENSITIVE, wrapping → CKR_KEY_UNEXTRACTABLE), private objects hidden before
 *   login, signing with CKM_ECDSA over a digest (high-S half the time, as tokens do), CKM_EDDSA, and
 *   CKM_RSA_PKCS_PSS over a digest;
 * - faults: `failNext(op, rv)` fails the next call (or the n-th) of one operation with a chosen CKR_;
 *   `failCall(i, rv)` fails the i-th call of any kind; `removeToken` pulls a token out (its sessions die);
 *   `corruptNextSignature`; quirks for tokens that ignore templates or return bare EC points.
 *
 * Every call is recorded in `calls` (PINs are never recorded).
 */
import { constants, createHash, createPublicKey, generateKeyPairSync, privateEncrypt, randomBytes, sign as nodeSign, type KeyObject } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import {
  CKF,
  CKF_MECH,
  CKK,
  CKM,
  CKO,
  CKR,
  Pkcs11Fault,
  type AttributeName,
  type Attributes,
  type InitializeOptions,
  type KeyPairHandles,
  type LoadFailure,
  type Mechanism,
  type MechanismInfo,
  type ModuleInfo,
  type ObjectHandle,
  type Pkcs11Api,
  type Pkcs11Operation,
  type SessionId,
  type SlotId,
  type SlotInfo,
  type TokenInfo,
  type UserType,
} from '../../src/signers/pkcs11/api.js';

export const ALL_MECHANISMS: MechanismInfo[] = [
  { type: CKM.EC_KEY_PAIR_GEN, minKeySize: 256, maxKeySize: 384, flags: CKF_MECH.GENERATE_KEY_PAIR },
  { type: CKM.ECDSA, minKeySize: 256, maxKeySize: 384, flags: CKF_MECH.SIGN },
  { type: CKM.EC_EDWARDS_KEY_PAIR_GEN, minKeySize: 256, maxKeySize: 256, flags: CKF_MECH.GENERATE_KEY_PAIR },
  { type: CKM.EDDSA, minKeySize: 256, maxKeySize: 256, flags: CKF_MECH.SIGN },
  { type: CKM.RSA_PKCS_KEY_PAIR_GEN, minKeySize: 2048, maxKeySize: 4096, flags: CKF_MECH.GENERATE_KEY_PAIR },
  { type: CKM.RSA_PKCS_PSS, minKeySize: 2048, maxKeySize: 4096, flags: CKF_MECH.SIGN },
  { type: CKM.AES_KEY_GEN, minKeySize: 16, maxKeySize: 32, flags: 0x8000 },
  { type: CKM.AES_KEY_WRAP_PAD, minKeySize: 16, maxKeySize: 32, flags: 0x20000 },
];

/** What a YubiKey 5 (firmware < 5.7) offers through ykcs11: EC P-256/P-384 and RSA, no EdDSA. */
export const YUBIKEY_MECHANISMS = ALL_MECHANISMS.filter((m) => m.type !== CKM.EC_EDWARDS_KEY_PAIR_GEN && m.type !== CKM.EDDSA);

export interface FakeTokenSpec {
  label: string;
  serial: string;
  pin?: string;
  soPin?: string;
  mechanisms?: MechanismInfo[];
  /** Tries before the PIN locks (3 on a YubiKey). */
  pinTries?: number;
  minPinLength?: number;
  maxPinLength?: number;
  /** An uninitialised token (SoftHSM's free slot): label and serial empty, no PIN. */
  uninitialized?: boolean;
  manufacturer?: string;
  model?: string;
}

export interface FakeQuirks {
  /** The token ignores CKA_SENSITIVE / CKA_EXTRACTABLE in templates (a bad token). */
  ignoreSensitive?: boolean;
  /** CKA_EC_POINT without the DER OCTET STRING wrapper (some modules). */
  bareEcPoint?: boolean;
  /**
   * C_GenerateKeyPair fails with `rv` when the public (or private) template holds any of these
   * attributes — tpm2-pkcs11 answers CKR_GENERAL_ERROR to CKA_VERIFY / CKA_ENCRYPT (FIELD-NOTES).
   */
  refuseTemplate?: { publicKey?: AttributeName[]; privateKey?: AttributeName[]; rv: number };
  /** Attributes the token sets on every private key it makes, whatever the template says (a bad token). */
  forcePrivate?: Attributes;
  /** Attributes the token does not have: reading them is CKR_ATTRIBUTE_TYPE_INVALID. */
  missingAttributes?: AttributeName[];
  /**
   * One user login for every token of the module, as opencryptoki 3.8's soft tokens keep it
   * (test/integration/opencryptoki-shared-login.test.ts): while any token is logged in, C_Login on another
   * answers CKR_USER_ALREADY_LOGGED_IN whatever the PIN, and C_Logout on any token logs all of them out.
   */
  sharedLogin?: boolean;
}

interface FakeObject {
  handle: ObjectHandle;
  attrs: Attributes;
  /** Private keys: the key for signing. */
  privateKey?: KeyObject;
  /** EC private scalar for noble (signing a digest). */
  scalar?: Uint8Array;
  secret?: Uint8Array;
}

interface FakeToken {
  slot: SlotId;
  spec: Required<Omit<FakeTokenSpec, 'uninitialized'>>;
  initialized: boolean;
  present: boolean;
  triesLeft: number;
  locked: boolean;
  loggedIn: UserType | undefined;
  objects: Map<ObjectHandle, FakeObject>;
  /** Session objects (token: false), dropped when their session closes. */
  sessionObjects: Map<ObjectHandle, SessionId>;
  epoch: number;
}

interface FakeSession {
  slot: SlotId;
  epoch: number;
  /** A signature in progress: a second one on the same session is CKR_OPERATION_ACTIVE (FIELD-NOTES). */
  busy: boolean;
}

export interface RecordedCall {
  op: Pkcs11Operation;
  /** Plain arguments for assertions; PINs are replaced by '<pin>'. */
  args: unknown[];
}

const EC_PARAMS_P256 = '06082a8648ce3d030107';
const EC_PARAMS_P384 = '06052b81040022';
const EC_PARAMS_ED25519 = '06032b6570';

function hex(bytes: Uint8Array | undefined): string {
  return bytes ? Buffer.from(bytes).toString('hex') : '';
}

function derOctetString(bytes: Uint8Array): Uint8Array {
  const len = bytes.length < 0x80 ? [bytes.length] : [0x81, bytes.length];
  return Uint8Array.from([0x04, ...len, ...bytes]);
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with SHA-256 and MGF1-SHA256, for a digest computed by the caller. */
function pssEncode(mHash: Uint8Array, emBits: number, saltLength: number): Uint8Array {
  const hLen = 32;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(saltLength);
  const mPrime = Buffer.concat([Buffer.alloc(8), mHash, salt]);
  const h = createHash('sha256').update(mPrime).digest();
  const ps = Buffer.alloc(emLen - saltLength - hLen - 2);
  const db = Buffer.concat([ps, Buffer.from([0x01]), salt]);
  const mask = Buffer.alloc(db.length);
  for (let counter = 0, off = 0; off < mask.length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash('sha256').update(h).update(c).digest();
    block.copy(mask, off);
    off += block.length;
  }
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  return Uint8Array.from(Buffer.concat([db, h, Buffer.from([0xbc])]));
}

export class FakePkcs11 implements Pkcs11Api {
  readonly calls: RecordedCall[] = [];
  loadFailure: LoadFailure | undefined;
  quirks: FakeQuirks = {};
  private readonly tokens: FakeToken[] = [];
  private readonly emptySlots: SlotId[] = [];
  private readonly sessions = new Map<SessionId, FakeSession>();
  private readonly faults: { op?: Pkcs11Operation; rv: number; skip: number; at?: number }[] = [];
  private initialized = false;
  private nextHandle = 1;
  private nextSession = 1;
  private corrupt = 0;
  modulePath = '';
  /** C_GetInfo strings, to pose as another module family (quirks.ts familyOf). */
  moduleManufacturer = 'Fake Tokens Ltd';
  moduleDescription = 'fake PKCS#11 for tests';
  /** When set, C_Initialize fails with CKR_ARGUMENTS_BAD unless given exactly these libraryParameters. */
  requiredParameters: string | undefined;

  constructor(specs: FakeTokenSpec[] = [], opts: { emptySlots?: number } = {}) {
    specs.forEach((s) => this.addToken(s));
    for (let i = 0; i < (opts.emptySlots ?? 0); i++) this.emptySlots.push(`empty-${i}`);
  }

  addToken(spec: FakeTokenSpec): void {
    const slot = `slot-${this.tokens.length + 1}`;
    this.tokens.push({
      slot,
      spec: {
        label: spec.uninitialized ? '' : spec.label,
        serial: spec.uninitialized ? '' : spec.serial,
        pin: spec.pin ?? '123456',
        soPin: spec.soPin ?? '12345678',
        mechanisms: spec.mechanisms ?? ALL_MECHANISMS,
        pinTries: spec.pinTries ?? 3,
        minPinLength: spec.minPinLength ?? 4,
        maxPinLength: spec.maxPinLength ?? 64,
        manufacturer: spec.manufacturer ?? 'Fake Tokens Ltd',
        model: spec.model ?? 'Fake 1',
      },
      initialized: !spec.uninitialized,
      present: true,
      triesLeft: spec.pinTries ?? 3,
      locked: false,
      loggedIn: undefined,
      objects: new Map(),
      sessionObjects: new Map(),
      epoch: 0,
    });
  }

  // ---- fault injection -------------------------------------------------------------------------

  /** Fail the next call of `op` (after `skip` successful ones) with `rv`. */
  failNext(op: Pkcs11Operation, rv: number, skip = 0): this {
    this.faults.push({ op, rv, skip });
    return this;
  }

  /** Fail the call with index `index` in `calls` (0-based, counting every operation) with `rv`. */
  failCall(index: number, rv: number): this {
    this.faults.push({ rv, skip: 0, at: index });
    return this;
  }

  /** Pull the token out: its sessions become invalid; the slot stays, empty. */
  removeToken(serial: string): void {
    const t = this.byserial(serial);
    t.present = false;
    t.loggedIn = undefined;
    t.epoch++;
  }

  reinsertToken(serial: string): void {
    this.byserial(serial).present = true;
  }

  corruptNextSignature(count = 1): void {
    this.corrupt += count;
  }

  /** The token's objects (for assertions: what a generation left behind). */
  objectsOf(serial: string): Attributes[] {
    return [...this.byserial(serial).objects.values()].map((o) => o.attrs);
  }

  /** Tries left on a token's PIN. */
  triesLeft(serial: string): number {
    return this.byserial(serial).triesLeft;
  }

  countCalls(op: Pkcs11Operation): number {
    return this.calls.filter((c) => c.op === op).length;
  }

  private byserial(serial: string): FakeToken {
    const t = this.tokens.find((x) => x.spec.serial === serial);
    if (!t) throw new Error(`fake: no token ${serial}`);
    return t;
  }

  private enter(op: Pkcs11Operation, args: unknown[]): void {
    const index = this.calls.length;
    this.calls.push({ op, args });
    const i = this.faults.findIndex((f) => (f.at !== undefined ? f.at === index : f.op === op));
    if (i >= 0) {
      const f = this.faults[i]!;
      if (f.at === undefined && f.skip > 0) {
        f.skip--;
        return;
      }
      this.faults.splice(i, 1);
      throw new Pkcs11Fault(op, f.rv);
    }
    if (op !== 'initialize' && !this.initialized) throw new Pkcs11Fault(op, CKR.CRYPTOKI_NOT_INITIALIZED);
  }

  private token(op: Pkcs11Operation, slot: SlotId): FakeToken {
    const t = this.tokens.find((x) => x.slot === slot);
    if (!t) throw new Pkcs11Fault(op, this.emptySlots.includes(slot) ? CKR.TOKEN_NOT_PRESENT : 0x3);
    if (!t.present) throw new Pkcs11Fault(op, CKR.TOKEN_NOT_PRESENT);
    return t;
  }

  private session(op: Pkcs11Operation, id: SessionId): { s: FakeSession; t: FakeToken } {
    const s = this.sessions.get(id);
    if (!s) throw new Pkcs11Fault(op, CKR.SESSION_HANDLE_INVALID);
    const t = this.tokens.find((x) => x.slot === s.slot)!;
    if (!t.present) throw new Pkcs11Fault(op, CKR.DEVICE_REMOVED);
    if (t.epoch !== s.epoch) throw new Pkcs11Fault(op, CKR.SESSION_HANDLE_INVALID);
    return { s, t };
  }

  private visible(t: FakeToken, o: FakeObject): boolean {
    return !o.attrs.private || t.loggedIn === 'user';
  }

  private object(op: Pkcs11Operation, t: FakeToken, handle: ObjectHandle): FakeObject {
    const o = t.objects.get(handle);
    if (!o || !this.visible(t, o)) throw new Pkcs11Fault(op, CKR.OBJECT_HANDLE_INVALID);
    return o;
  }

  private add(t: FakeToken, o: Omit<FakeObject, 'handle'>, session: SessionId): ObjectHandle {
    const handle = `h${this.nextHandle++}`;
    t.objects.set(handle, { ...o, handle });
    if (o.attrs.token === false) t.sessionObjects.set(handle, session);
    return handle;
  }

  private hasMechanism(t: FakeToken, type: number): boolean {
    return t.spec.mechanisms.some((m) => m.type === type);
  }

  // ---- Pkcs11Api -------------------------------------------------------------------------------

  async initialize(modulePath: string, options: InitializeOptions = {}): Promise<ModuleInfo> {
    this.enter('initialize', [modulePath, options.libraryParameters]);
    if (this.requiredParameters !== undefined && options.libraryParameters !== this.requiredParameters) {
      // As NSS softokn does without its configdir parameters (FIELD-NOTES).
      throw new Pkcs11Fault('initialize', CKR.ARGUMENTS_BAD);
    }
    if (this.loadFailure) throw new Pkcs11Fault('initialize', this.loadFailure, `${modulePath}: fake load failure`);
    if (this.initialized) throw new Pkcs11Fault('initialize', CKR.CRYPTOKI_ALREADY_INITIALIZED);
    this.initialized = true;
    this.modulePath = modulePath;
    return { path: modulePath, manufacturer: this.moduleManufacturer, description: this.moduleDescription, cryptokiVersion: { major: 2, minor: 40 }, libraryVersion: { major: 1, minor: 0 } };
  }

  async finalize(): Promise<void> {
    this.enter('finalize', []);
    this.initialized = false;
    this.sessions.clear();
    for (const t of this.tokens) t.loggedIn = undefined;
  }

  async getSlots(tokenPresent: boolean): Promise<SlotInfo[]> {
    this.enter('getSlots', [tokenPresent]);
    const out: SlotInfo[] = this.tokens
      .filter((t) => !tokenPresent || t.present)
      .map((t) => ({ id: t.slot, description: `fake slot ${t.slot}`, manufacturer: 'Fake', tokenPresent: t.present, removable: true, hardware: true }));
    if (!tokenPresent) for (const id of this.emptySlots) out.push({ id, description: `empty reader ${id}`, manufacturer: 'Fake', tokenPresent: false, removable: true, hardware: true });
    return out;
  }

  async getTokenInfo(slot: SlotId): Promise<TokenInfo> {
    this.enter('getTokenInfo', [slot]);
    const t = this.token('getTokenInfo', slot);
    let flags = CKF.LOGIN_REQUIRED;
    if (t.initialized) flags |= CKF.TOKEN_INITIALIZED | CKF.USER_PIN_INITIALIZED;
    if (t.locked) flags |= CKF.USER_PIN_LOCKED;
    else if (t.triesLeft === 1) flags |= CKF.USER_PIN_FINAL_TRY;
    else if (t.triesLeft < t.spec.pinTries) flags |= CKF.USER_PIN_COUNT_LOW;
    return {
      label: t.spec.label,
      manufacturer: t.spec.manufacturer,
      model: t.spec.model,
      serial: t.spec.serial,
      flags,
      minPinLength: t.spec.minPinLength,
      maxPinLength: t.spec.maxPinLength,
      hardwareVersion: { major: 1, minor: 0 },
      firmwareVersion: { major: 5, minor: 4 },
    };
  }

  async getMechanisms(slot: SlotId): Promise<MechanismInfo[]> {
    this.enter('getMechanisms', [slot]);
    return structuredClone(this.token('getMechanisms', slot).spec.mechanisms);
  }

  async initToken(slot: SlotId, _soPin: string, label: string): Promise<void> {
    this.enter('initToken', [slot, '<pin>', label]);
    const t = this.token('initToken', slot);
    if (t.initialized) throw new Pkcs11Fault('initToken', CKR.GENERAL_ERROR);
    t.spec.label = label;
    t.spec.serial = randomBytes(8).toString('hex');
    t.spec.soPin = _soPin;
    t.initialized = true;
    t.triesLeft = t.spec.pinTries;
    // A fresh free slot appears, as SoftHSM2 does.
    this.addToken({ label: '', serial: '', uninitialized: true, mechanisms: t.spec.mechanisms });
  }

  async openSession(slot: SlotId, readWrite: boolean): Promise<SessionId> {
    this.enter('openSession', [slot, readWrite]);
    const t = this.token('openSession', slot);
    const id = this.nextSession++;
    this.sessions.set(id, { slot, epoch: t.epoch, busy: false });
    return id;
  }

  async closeSession(id: SessionId): Promise<void> {
    this.enter('closeSession', [id]);
    const { t } = this.session('closeSession', id);
    this.sessions.delete(id);
    for (const [h, owner] of t.sessionObjects) {
      if (owner === id) {
        t.objects.delete(h);
        t.sessionObjects.delete(h);
      }
    }
    if (![...this.sessions.values()].some((s) => s.slot === t.slot)) t.loggedIn = undefined;
  }

  async login(id: SessionId, userType: UserType, pin: string): Promise<void> {
    this.enter('login', [id, userType, '<pin>']);
    const { t } = this.session('login', id);
    if (userType === 'so') {
      if (pin !== t.spec.soPin) throw new Pkcs11Fault('login', CKR.PIN_INCORRECT);
      t.loggedIn = 'so';
      return;
    }
    if (t.locked) throw new Pkcs11Fault('login', CKR.PIN_LOCKED);
    if (userType === 'user' && t.loggedIn === 'user') throw new Pkcs11Fault('login', CKR.USER_ALREADY_LOGGED_IN);
    if (userType === 'user' && this.quirks.sharedLogin && this.tokens.some((o) => o.loggedIn === 'user')) throw new Pkcs11Fault('login', CKR.USER_ALREADY_LOGGED_IN);
    if (pin !== t.spec.pin) {
      t.triesLeft--;
      if (t.triesLeft <= 0) t.locked = true;
      throw new Pkcs11Fault('login', CKR.PIN_INCORRECT);
    }
    t.triesLeft = t.spec.pinTries;
    if (userType === 'user') t.loggedIn = 'user';
  }

  async logout(id: SessionId): Promise<void> {
    this.enter('logout', [id]);
    const { t } = this.session('logout', id);
    if (this.quirks.sharedLogin && this.tokens.some((o) => o.loggedIn)) {
      for (const o of this.tokens) o.loggedIn = undefined;
      return;
    }
    if (!t.loggedIn) throw new Pkcs11Fault('logout', CKR.USER_NOT_LOGGED_IN);
    t.loggedIn = undefined;
  }

  async initPin(id: SessionId, pin: string): Promise<void> {
    this.enter('initPin', [id, '<pin>']);
    const { t } = this.session('initPin', id);
    if (t.loggedIn !== 'so') throw new Pkcs11Fault('initPin', CKR.USER_NOT_LOGGED_IN);
    t.spec.pin = pin;
  }

  async generateKeyPair(id: SessionId, mechanism: Mechanism, pub: Attributes, priv: Attributes): Promise<KeyPairHandles> {
    this.enter('generateKeyPair', [id, mechanism, structuredClone(pub), structuredClone(priv)]);
    const { t } = this.session('generateKeyPair', id);
    if (t.loggedIn !== 'user') throw new Pkcs11Fault('generateKeyPair', CKR.USER_NOT_LOGGED_IN);
    const refuse = this.quirks.refuseTemplate;
    if (refuse && ((refuse.publicKey ?? []).some((n) => pub[n] !== undefined) || (refuse.privateKey ?? []).some((n) => priv[n] !== undefined))) {
      throw new Pkcs11Fault('generateKeyPair', refuse.rv);
    }
    if (!this.hasMechanism(t, mechanism.type)) throw new Pkcs11Fault('generateKeyPair', CKR.MECHANISM_INVALID);
    let pair: { publicKey: KeyObject; privateKey: KeyObject };
    const pubAttrs: Attributes = { ...pub, class: CKO.PUBLIC_KEY };
    const privAttrs: Attributes = { ...priv, class: CKO.PRIVATE_KEY, local: true };
    let scalar: Uint8Array | undefined;
    if (mechanism.type === CKM.RSA_PKCS_KEY_PAIR_GEN) {
      pair = generateKeyPairSync('rsa', { modulusLength: pub.modulusBits ?? 2048 });
      const jwk = pair.publicKey.export({ format: 'jwk' });
      pubAttrs.modulus = new Uint8Array(Buffer.from(jwk.n!, 'base64url'));
      pubAttrs.publicExponent = new Uint8Array(Buffer.from(jwk.e!, 'base64url'));
    } else if (mechanism.type === CKM.EC_KEY_PAIR_GEN || mechanism.type === CKM.EC_EDWARDS_KEY_PAIR_GEN) {
      const params = hex(pub.ecParams);
      const curve = params === EC_PARAMS_P256 ? 'P-256' : params === EC_PARAMS_P384 ? 'P-384' : params === EC_PARAMS_ED25519 ? 'ed25519' : undefined;
      if (!curve || (curve === 'ed25519') !== (mechanism.type === CKM.EC_EDWARDS_KEY_PAIR_GEN)) throw new Pkcs11Fault('generateKeyPair', CKR.CURVE_NOT_SUPPORTED);
      pair = curve === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: curve });
      const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
      const point = curve === 'ed25519' ? spki.subarray(-32) : spki.subarray(curve === 'P-256' ? -65 : -97);
      pubAttrs.ecPoint = this.quirks.bareEcPoint ? new Uint8Array(point) : derOctetString(point);
      privAttrs.ecParams = pub.ecParams;
      if (curve !== 'ed25519') scalar = new Uint8Array(Buffer.from(pair.privateKey.export({ format: 'jwk' }).d!, 'base64url'));
    } else {
      throw new Pkcs11Fault('generateKeyPair', CKR.MECHANISM_INVALID);
    }
    if (this.quirks.ignoreSensitive) {
      privAttrs.sensitive = false;
      privAttrs.extractable = true;
    }
    if (this.quirks.forcePrivate) Object.assign(privAttrs, this.quirks.forcePrivate);
    privAttrs.alwaysSensitive = Boolean(privAttrs.sensitive);
    privAttrs.neverExtractable = !privAttrs.extractable;
    const publicKey = this.add(t, { attrs: pubAttrs }, id);
    const privateKey = this.add(t, { attrs: privAttrs, privateKey: pair.privateKey, scalar }, id);
    return { publicKey, privateKey };
  }

  async generateKey(id: SessionId, mechanism: Mechanism, template: Attributes): Promise<ObjectHandle> {
    this.enter('generateKey', [id, mechanism, structuredClone(template)]);
    const { t } = this.session('generateKey', id);
    if (mechanism.type !== CKM.AES_KEY_GEN || !this.hasMechanism(t, CKM.AES_KEY_GEN)) throw new Pkcs11Fault('generateKey', CKR.MECHANISM_INVALID);
    return this.add(t, { attrs: { ...template, class: CKO.SECRET_KEY, keyType: CKK.AES }, secret: new Uint8Array(randomBytes(template.valueLen ?? 32)) }, id);
  }

  async wrapKey(id: SessionId, mechanism: Mechanism, wrappingKey: ObjectHandle, key: ObjectHandle): Promise<Uint8Array> {
    this.enter('wrapKey', [id, mechanism, wrappingKey, key]);
    const { t } = this.session('wrapKey', id);
    const wrapping = this.object('wrapKey', t, wrappingKey);
    const target = this.object('wrapKey', t, key);
    if (!wrapping.attrs.wrap) throw new Pkcs11Fault('wrapKey', CKR.KEY_FUNCTION_NOT_PERMITTED);
    if (!target.attrs.extractable) throw new Pkcs11Fault('wrapKey', CKR.KEY_UNEXTRACTABLE);
    return new Uint8Array(target.privateKey!.export({ type: 'pkcs8', format: 'der' }));
  }

  async findObjects(id: SessionId, template: Attributes): Promise<ObjectHandle[]> {
    this.enter('findObjects', [id, structuredClone(template)]);
    const { t } = this.session('findObjects', id);
    const out: ObjectHandle[] = [];
    for (const o of t.objects.values()) {
      if (!this.visible(t, o)) continue;
      const match = (Object.entries(template) as [AttributeName, unknown][]).every(([k, v]) => {
        const have = o.attrs[k];
        return v instanceof Uint8Array ? have instanceof Uint8Array && hex(have) === hex(v) : have === v;
      });
      if (match) out.push(o.handle);
    }
    return out;
  }

  async getAttributes<K extends AttributeName>(id: SessionId, handle: ObjectHandle, names: readonly K[]): Promise<Pick<Attributes, K>> {
    this.enter('getAttributes', [id, handle, [...names]]);
    const { t } = this.session('getAttributes', id);
    const o = this.object('getAttributes', t, handle);
    const out: Partial<Attributes> = {};
    for (const name of names) {
      if (this.quirks.missingAttributes?.includes(name)) throw new Pkcs11Fault('getAttributes', CKR.ATTRIBUTE_TYPE_INVALID);
      if ((name === 'value' || name === 'privateExponent') && o.attrs.class === CKO.PRIVATE_KEY) {
        // RSA keys have no CKA_VALUE, EC keys no CKA_PRIVATE_EXPONENT (as on SoftHSM2).
        if ((name === 'value') === (o.attrs.keyType === CKK.RSA)) throw new Pkcs11Fault('getAttributes', CKR.ATTRIBUTE_TYPE_INVALID);
        if (o.attrs.sensitive) throw new Pkcs11Fault('getAttributes', CKR.ATTRIBUTE_SENSITIVE);
        (out as Record<string, unknown>)[name] = new Uint8Array(o.privateKey!.export({ type: 'pkcs8', format: 'der' }));
        continue;
      }
      const v = o.attrs[name];
      if (v === undefined) {
        if (typeof ({ sensitive: false, extractable: false, alwaysAuthenticate: false, sign: false, decrypt: false, unwrap: false, derive: false, alwaysSensitive: false, neverExtractable: false } as Record<string, unknown>)[name] === 'boolean') {
          (out as Record<string, unknown>)[name] = false;
          continue;
        }
        throw new Pkcs11Fault('getAttributes', CKR.ATTRIBUTE_TYPE_INVALID);
      }
      (out as Record<string, unknown>)[name] = v instanceof Uint8Array ? Uint8Array.from(v) : v;
    }
    return out as Pick<Attributes, K>;
  }

  async destroyObject(id: SessionId, handle: ObjectHandle): Promise<void> {
    this.enter('destroyObject', [id, handle]);
    const { t } = this.session('destroyObject', id);
    this.object('destroyObject', t, handle);
    t.objects.delete(handle);
    t.sessionObjects.delete(handle);
  }

  async sign(id: SessionId, mechanism: Mechanism, key: ObjectHandle, data: Uint8Array, contextPin?: string): Promise<Uint8Array> {
    this.enter('sign', [id, mechanism, key, data.length, contextPin === undefined ? undefined : '<pin>']);
    const { s, t } = this.session('sign', id);
    if (s.busy) throw new Pkcs11Fault('sign', CKR.OPERATION_ACTIVE);
    s.busy = true;
    try {
      // The token works on another thread meanwhile (graphene's async C_Sign).
      await new Promise((resolve) => setImmediate(resolve));
      return this.signNow(t, mechanism, key, data, contextPin);
    } finally {
      s.busy = false;
    }
  }

  private signNow(t: FakeToken, mechanism: Mechanism, key: ObjectHandle, data: Uint8Array, contextPin: string | undefined): Uint8Array {
    const o = this.object('sign', t, key);
    if (o.attrs.class !== CKO.PRIVATE_KEY || !o.attrs.sign) throw new Pkcs11Fault('sign', CKR.KEY_FUNCTION_NOT_PERMITTED);
    if (!this.hasMechanism(t, mechanism.type)) throw new Pkcs11Fault('sign', CKR.MECHANISM_INVALID);
    if (o.attrs.alwaysAuthenticate) {
      if (contextPin === undefined) throw new Pkcs11Fault('sign', CKR.USER_NOT_LOGGED_IN);
      if (contextPin !== t.spec.pin) {
        t.triesLeft--;
        if (t.triesLeft <= 0) t.locked = true;
        throw new Pkcs11Fault('sign', CKR.PIN_INCORRECT);
      }
    }
    let sig: Uint8Array;
    const type = o.attrs.keyType;
    if (mechanism.type === CKM.ECDSA && type === CKK.EC) {
      const curve = hex(o.attrs.ecParams) === EC_PARAMS_P256 ? p256 : p384;
      sig = curve.sign(data, o.scalar!, { prehash: false, lowS: false, format: 'compact', extraEntropy: true });
    } else if (mechanism.type === CKM.EDDSA && type === CKK.EC_EDWARDS) {
      sig = new Uint8Array(nodeSign(null, data, o.privateKey!));
    } else if (mechanism.type === CKM.RSA_PKCS_PSS && type === CKK.RSA) {
      if (data.length !== 32 || !mechanism.pss || mechanism.pss.hashAlg !== CKM.SHA256) throw new Pkcs11Fault('sign', CKR.MECHANISM_PARAM_INVALID);
      const bits = o.privateKey!.asymmetricKeyDetails!.modulusLength!;
      const em = pssEncode(data, bits - 1, mechanism.pss.saltLength);
      const padded = new Uint8Array(Math.ceil(bits / 8));
      padded.set(em, padded.length - em.length);
      sig = new Uint8Array(privateEncrypt({ key: o.privateKey!, padding: constants.RSA_NO_PADDING }, padded));
    } else {
      throw new Pkcs11Fault('sign', CKR.KEY_TYPE_INCONSISTENT);
    }
    if (this.corrupt > 0) {
      this.corrupt--;
      sig = Uint8Array.from(sig);
      sig[sig.length - 1]! ^= 0x01;
    }
    return sig;
  }
}

/** A public key from the fake's attributes, for checking what the token layer read. */
export function publicKeyOfSpki(spki: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
}
