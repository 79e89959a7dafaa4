/**
 * The real `Pkcs11Api`, on graphene-pk11 (over pkcs11js). The native addon is loaded lazily, on the first
 * `initialize`, so the CLI and tests that never touch a token never load it.
 *
 * Measured quirks handled here (FIELD-NOTES, re-checked on SoftHSM 2.6.1 / graphene 2.3.6):
 * - initialise with CKF_OS_LOCKING_OK: graphene's async calls run on libuv threads;
 * - `Slot.initToken` crashes on the value pkcs11js 2.x returns, so C_InitToken is called on `lib`;
 * - `Session.getObject` walks every object on the token; objects are rebuilt from their handle instead;
 * - attributes are read with one C_GetAttributeValue and decoded here, because graphene's reverse name
 *   lookup reports CKA_EC_PARAMS as `paramsECDSA`;
 * - a missing file fails in dlopen ("cannot open shared object file"), a library without
 *   C_GetFunctionList with "undefined symbol" — neither carries a CKR_ value.
 */
import { createRequire } from 'node:module';
import type * as graphene from 'graphene-pk11';
import {
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
} from './api.js';
import { quietModuleLogs } from './quirks.js';

type Graphene = typeof graphene;

let loaded: Graphene | undefined;

function grapheneLib(): Graphene {
  if (!loaded) loaded = createRequire(import.meta.url)('graphene-pk11') as Graphene;
  return loaded;
}

/** CKF_OS_LOCKING_OK (pkcs11t.h); read from pkcs11js would load it earlier than needed. */
const CKF_OS_LOCKING_OK = 0x2;
const CKU: Record<UserType, number> = { so: 0, user: 1, 'context-specific': 2 };
const RW_SESSION = 0x2;
const SERIAL_SESSION = 0x4;

/** Our attribute names → graphene's template names (the same except these three). */
const GRAPHENE_NAME: Partial<Record<AttributeName, string>> = { ecParams: 'paramsEC', ecPoint: 'pointEC', alwaysAuthenticate: 'alwaysAuth' };
const grapheneName = (name: AttributeName): string => GRAPHENE_NAME[name] ?? name;

/** Why dlopen failed, from the loader's message (glibc, macOS dyld, Windows LoadLibrary). */
export function classifyLoadError(message: string): LoadFailure {
  if (/no such file|cannot open shared object|image not found|not found|could not be found|cannot find/i.test(message) && !/symbol/i.test(message)) {
    return 'module-not-found';
  }
  return 'module-invalid';
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toTemplate(attrs: Attributes): graphene.ITemplate {
  const out: graphene.ITemplate = {};
  for (const [name, value] of Object.entries(attrs) as [AttributeName, Attributes[AttributeName]][]) {
    if (value === undefined) continue;
    out[grapheneName(name)] = value instanceof Uint8Array ? Buffer.from(value) : value;
  }
  return out;
}

function toMechanism(g: Graphene, m: Mechanism): graphene.IAlgorithm {
  if (!m.pss) return { name: m.type, params: null };
  return { name: m.type, params: new g.RsaPssParams(m.pss.hashAlg, m.pss.mgf, m.pss.saltLength) };
}

function decodeAttribute(type: string, raw: Buffer): boolean | number | string | Uint8Array {
  switch (type) {
    case 'boolean':
      return raw.length > 0 && raw[0] !== 0;
    case 'number': {
      let n = 0;
      for (let i = raw.length - 1; i >= 0; i--) n = n * 256 + raw[i]!;
      return n;
    }
    case 'string':
      return raw.toString('utf8');
    default:
      return new Uint8Array(raw);
  }
}

function version(v: { major: number; minor: number }): { major: number; minor: number } {
  return { major: v.major, minor: v.minor };
}

function handleHex(handle: Buffer): string {
  return handle.toString('hex');
}

export class GrapheneBackend implements Pkcs11Api {
  private module: graphene.Module | undefined;
  private readonly slots = new Map<SlotId, graphene.Slot>();
  private readonly sessions = new Map<SessionId, graphene.Session>();
  private nextSession = 1;

  /** Turn a pkcs11js error into a fault; anything else (a bug, a bad argument) is rethrown unchanged. */
  private run<T>(op: Pkcs11Operation, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw faultOf(op, err);
    }
  }

  private lib(op: Pkcs11Operation): graphene.Module {
    if (!this.module) throw new Pkcs11Fault(op, CKR.CRYPTOKI_NOT_INITIALIZED);
    return this.module;
  }

  private slot(op: Pkcs11Operation, id: SlotId): graphene.Slot {
    const known = this.slots.get(id);
    if (known) return known;
    this.refreshSlots(op, false);
    const slot = this.slots.get(id);
    if (!slot) throw new Pkcs11Fault(op, 0x3 /* CKR_SLOT_ID_INVALID */);
    return slot;
  }

  private session(op: Pkcs11Operation, id: SessionId): graphene.Session {
    const s = this.sessions.get(id);
    if (!s) throw new Pkcs11Fault(op, CKR.SESSION_HANDLE_INVALID);
    return s;
  }

  private object(op: Pkcs11Operation, session: graphene.Session, handle: ObjectHandle): graphene.SessionObject {
    if (!/^[0-9a-f]+$/.test(handle)) throw new Pkcs11Fault(op, CKR.OBJECT_HANDLE_INVALID);
    return new (grapheneLib().SessionObject)(Buffer.from(handle, 'hex'), session, session.lib);
  }

  private refreshSlots(op: Pkcs11Operation, tokenPresent: boolean): graphene.Slot[] {
    const mod = this.lib(op);
    return this.run(op, () => {
      const col = mod.getSlots(tokenPresent);
      const out: graphene.Slot[] = [];
      for (let i = 0; i < col.length; i++) {
        const slot = col.items(i);
        this.slots.set(handleHex(slot.handle), slot);
        out.push(slot);
      }
      return out;
    });
  }

  async initialize(modulePath: string, options: InitializeOptions = {}): Promise<ModuleInfo> {
    if (this.module) throw new Pkcs11Fault('initialize', CKR.CRYPTOKI_ALREADY_INITIALIZED);
    // Before the library loads: the TSS reads its log settings then (quirks.ts).
    quietModuleLogs(process.env);
    const g = grapheneLib();
    let mod: graphene.Module;
    try {
      mod = g.Module.load(modulePath);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new Pkcs11Fault('initialize', classifyLoadError(message), message);
    }
    try {
      // graphene swallows CKR_CRYPTOKI_ALREADY_INITIALIZED (another loader in this process).
      // With libraryParameters pkcs11js passes NSS's extended CK_C_INITIALIZE_ARGS (pReserved = the string).
      mod.initialize(options.libraryParameters ? { flags: CKF_OS_LOCKING_OK, libraryParameters: options.libraryParameters } : { flags: CKF_OS_LOCKING_OK });
    } catch (err) {
      try {
        mod.close();
      } catch {
        // unloading a library that failed to initialise: nothing more to report
      }
      throw faultOf('initialize', err);
    }
    this.module = mod;
    return {
      path: modulePath,
      manufacturer: mod.manufacturerID,
      description: mod.libraryDescription,
      cryptokiVersion: version(mod.cryptokiVersion),
      libraryVersion: version(mod.libraryVersion),
    };
  }

  async finalize(): Promise<void> {
    const mod = this.module;
    if (!mod) return;
    this.module = undefined;
    this.sessions.clear();
    this.slots.clear();
    try {
      mod.finalize();
    } catch (err) {
      if (!(err instanceof Error && /CRYPTOKI_NOT_INITIALIZED/.test(err.message))) throw faultOf('finalize', err);
    } finally {
      mod.close();
    }
  }

  async getSlots(tokenPresent: boolean): Promise<SlotInfo[]> {
    const SLOT_TOKEN_PRESENT = 0x1;
    const SLOT_REMOVABLE = 0x2;
    const SLOT_HW = 0x4;
    return this.refreshSlots('getSlots', tokenPresent).map((slot) => ({
      id: handleHex(slot.handle),
      description: slot.slotDescription,
      manufacturer: slot.manufacturerID,
      tokenPresent: (slot.flags & SLOT_TOKEN_PRESENT) !== 0,
      removable: (slot.flags & SLOT_REMOVABLE) !== 0,
      hardware: (slot.flags & SLOT_HW) !== 0,
    }));
  }

  async getTokenInfo(slotId: SlotId): Promise<TokenInfo> {
    const slot = this.slot('getTokenInfo', slotId);
    return this.run('getTokenInfo', () => {
      const t = slot.getToken();
      return {
        label: t.label,
        manufacturer: t.manufacturerID,
        model: t.model,
        serial: t.serialNumber,
        flags: t.flags,
        minPinLength: t.minPinLen,
        maxPinLength: t.maxPinLen,
        hardwareVersion: version(t.hardwareVersion),
        firmwareVersion: version(t.firmwareVersion),
      };
    });
  }

  async getMechanisms(slotId: SlotId): Promise<MechanismInfo[]> {
    const slot = this.slot('getMechanisms', slotId);
    return this.run('getMechanisms', () => {
      const col = slot.getMechanisms();
      const out: MechanismInfo[] = [];
      for (let i = 0; i < col.length; i++) {
        const m = col.items(i);
        out.push({ type: m.type, minKeySize: m.minKeySize, maxKeySize: m.maxKeySize, flags: m.flags });
      }
      return out;
    });
  }

  async initToken(slotId: SlotId, soPin: string, label: string): Promise<void> {
    const slot = this.slot('initToken', slotId);
    this.run('initToken', () => slot.lib.C_InitToken(slot.handle, soPin, label));
  }

  async openSession(slotId: SlotId, readWrite: boolean): Promise<SessionId> {
    const slot = this.slot('openSession', slotId);
    const session = this.run('openSession', () => slot.open(SERIAL_SESSION | (readWrite ? RW_SESSION : 0)));
    const id = this.nextSession++;
    this.sessions.set(id, session);
    return id;
  }

  async closeSession(id: SessionId): Promise<void> {
    const session = this.session('closeSession', id);
    this.sessions.delete(id);
    this.run('closeSession', () => session.close());
  }

  async login(id: SessionId, userType: UserType, pin: string): Promise<void> {
    const session = this.session('login', id);
    this.run('login', () => session.login(pin, CKU[userType]));
  }

  async logout(id: SessionId): Promise<void> {
    const session = this.session('logout', id);
    this.run('logout', () => session.logout());
  }

  async initPin(id: SessionId, pin: string): Promise<void> {
    const session = this.session('initPin', id);
    this.run('initPin', () => session.initPin(pin));
  }

  async generateKeyPair(id: SessionId, mechanism: Mechanism, publicTemplate: Attributes, privateTemplate: Attributes): Promise<KeyPairHandles> {
    const g = grapheneLib();
    const session = this.session('generateKeyPair', id);
    const pair = await new Promise<graphene.IKeyPair>((resolve, reject) => {
      try {
        session.generateKeyPair(toMechanism(g, mechanism), toTemplate(publicTemplate), toTemplate(privateTemplate), (err, keys) =>
          err || !keys ? reject(faultOf('generateKeyPair', err)) : resolve(keys),
        );
      } catch (err) {
        reject(faultOf('generateKeyPair', err));
      }
    });
    return { publicKey: handleHex(pair.publicKey.handle), privateKey: handleHex(pair.privateKey.handle) };
  }

  async generateKey(id: SessionId, mechanism: Mechanism, template: Attributes): Promise<ObjectHandle> {
    const g = grapheneLib();
    const session = this.session('generateKey', id);
    return this.run('generateKey', () => handleHex(session.generateKey(toMechanism(g, mechanism), toTemplate(template)).handle));
  }

  async wrapKey(id: SessionId, mechanism: Mechanism, wrappingKey: ObjectHandle, key: ObjectHandle): Promise<Uint8Array> {
    const g = grapheneLib();
    const session = this.session('wrapKey', id);
    const wrapping = this.object('wrapKey', session, wrappingKey) as unknown as graphene.Key;
    const target = this.object('wrapKey', session, key) as unknown as graphene.Key;
    return this.run('wrapKey', () => new Uint8Array(session.wrapKey(toMechanism(g, mechanism), wrapping, target)));
  }

  async findObjects(id: SessionId, template: Attributes): Promise<ObjectHandle[]> {
    const session = this.session('findObjects', id);
    return this.run('findObjects', () => {
      const col = session.find(toTemplate(template));
      const out: ObjectHandle[] = [];
      for (let i = 0; i < col.length; i++) out.push(handleHex(col.items(i).handle));
      return out;
    });
  }

  async getAttributes<K extends AttributeName>(id: SessionId, object: ObjectHandle, names: readonly K[]): Promise<Pick<Attributes, K>> {
    const g = grapheneLib();
    const session = this.session('getAttributes', id);
    const obj = this.object('getAttributes', session, object);
    return this.run('getAttributes', () => {
      const request = names.map((name) => ({ type: g.getAttribute(grapheneName(name)).v }));
      const values = session.lib.C_GetAttributeValue(session.handle, obj.handle, request);
      const out: Partial<Attributes> = {};
      names.forEach((name, i) => {
        const raw = values[i]?.value;
        if (raw === undefined) throw new Pkcs11Fault('getAttributes', CKR.ATTRIBUTE_TYPE_INVALID);
        (out as Record<string, unknown>)[name] = decodeAttribute(g.getAttribute(grapheneName(name)).t, raw);
      });
      return out as Pick<Attributes, K>;
    });
  }

  async destroyObject(id: SessionId, object: ObjectHandle): Promise<void> {
    const session = this.session('destroyObject', id);
    const obj = this.object('destroyObject', session, object);
    this.run('destroyObject', () => obj.destroy());
  }

  async sign(id: SessionId, mechanism: Mechanism, key: ObjectHandle, data: Uint8Array, contextPin?: string): Promise<Uint8Array> {
    const g = grapheneLib();
    const session = this.session('sign', id);
    const keyObject = this.object('sign', session, key) as unknown as graphene.Key;
    const signer = this.run('sign', () => session.createSign(toMechanism(g, mechanism), keyObject));
    if (contextPin !== undefined) this.run('sign', () => session.login(contextPin, CKU['context-specific']));
    const signature = await new Promise<Buffer>((resolve, reject) => {
      try {
        signer.once(toBuffer(data), (err, sig) => (err ? reject(faultOf('sign', err)) : resolve(sig)));
      } catch (err) {
        reject(faultOf('sign', err));
      }
    });
    return new Uint8Array(signature);
  }
}

/** pkcs11js `Pkcs11Error` carries the CKR_ value in `code`; its message is the CKR_ name, never a PIN. */
function faultOf(op: Pkcs11Operation, err: unknown): unknown {
  if (err instanceof Pkcs11Fault) return err;
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'number' && err.name === 'Pkcs11Error') {
    return new Pkcs11Fault(op, (err as unknown as { code: number }).code);
  }
  return err;
}
