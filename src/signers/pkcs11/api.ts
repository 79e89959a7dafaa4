/**
 * The narrow PKCS#11 interface everything above it is written against: one method per Cryptoki call we
 * use (boulder `pkcs11helpers` PKCtx habit), plain data in and out — slot, session and object handles are
 * opaque strings/numbers, attributes are a typed plain object, byte strings are Uint8Array. The real
 * implementation is graphene-backend.ts; test/support/fake-pkcs11.ts implements it in memory and can fail
 * any single call with a chosen CKR_ code.
 *
 * Every method may throw `Pkcs11Fault` (a CKR_ return value, or a module that cannot be loaded). Nothing
 * here knows about ceremonies, profiles or error messages for people: errors.ts maps faults to those.
 */

/** PKCS#11 v2.40 / v3.0 numbers we use (pkcs11t.h). Names, not magic numbers, everywhere else. */
export const CKO = { CERTIFICATE: 0x1, PUBLIC_KEY: 0x2, PRIVATE_KEY: 0x3, SECRET_KEY: 0x4 } as const;
export const CKK = { RSA: 0x0, EC: 0x3, AES: 0x1f, EC_EDWARDS: 0x40 } as const;
export const CKM = {
  RSA_PKCS_KEY_PAIR_GEN: 0x0,
  RSA_PKCS_PSS: 0xd,
  SHA256_RSA_PKCS_PSS: 0x43,
  SHA256: 0x250,
  SHA384: 0x260,
  EC_KEY_PAIR_GEN: 0x1040,
  ECDSA: 0x1041,
  ECDSA_SHA256: 0x1044,
  ECDSA_SHA384: 0x1045,
  /** v3.0; not in graphene's enums (FIELD-NOTES). */
  EC_EDWARDS_KEY_PAIR_GEN: 0x1055,
  EDDSA: 0x1057,
  AES_KEY_GEN: 0x1080,
  AES_KEY_WRAP_PAD: 0x210a,
} as const;
export const CKG = { MGF1_SHA256: 0x2, MGF1_SHA384: 0x3 } as const;
/** CK_TOKEN_INFO flags. */
export const CKF = {
  LOGIN_REQUIRED: 0x4,
  USER_PIN_INITIALIZED: 0x8,
  PROTECTED_AUTHENTICATION_PATH: 0x100,
  TOKEN_INITIALIZED: 0x400,
  USER_PIN_COUNT_LOW: 0x10000,
  USER_PIN_FINAL_TRY: 0x20000,
  USER_PIN_LOCKED: 0x40000,
  USER_PIN_TO_BE_CHANGED: 0x80000,
} as const;
/** CK_MECHANISM_INFO flags. */
export const CKF_MECH = { SIGN: 0x800, GENERATE_KEY_PAIR: 0x10000 } as const;

/** The return values we act on. Others keep their number and are reported as TOKEN_ERROR. */
export const CKR = {
  OK: 0x0,
  HOST_MEMORY: 0x2,
  GENERAL_ERROR: 0x5,
  FUNCTION_FAILED: 0x6,
  ARGUMENTS_BAD: 0x7,
  ATTRIBUTE_SENSITIVE: 0x11,
  ATTRIBUTE_TYPE_INVALID: 0x12,
  ATTRIBUTE_VALUE_INVALID: 0x13,
  DATA_LEN_RANGE: 0x21,
  DEVICE_ERROR: 0x30,
  DEVICE_MEMORY: 0x31,
  DEVICE_REMOVED: 0x32,
  FUNCTION_CANCELED: 0x50,
  FUNCTION_NOT_SUPPORTED: 0x54,
  KEY_HANDLE_INVALID: 0x60,
  KEY_SIZE_RANGE: 0x62,
  KEY_TYPE_INCONSISTENT: 0x63,
  KEY_FUNCTION_NOT_PERMITTED: 0x68,
  KEY_UNEXTRACTABLE: 0x6a,
  MECHANISM_INVALID: 0x70,
  MECHANISM_PARAM_INVALID: 0x71,
  OBJECT_HANDLE_INVALID: 0x82,
  OPERATION_ACTIVE: 0x90,
  OPERATION_NOT_INITIALIZED: 0x91,
  PIN_INCORRECT: 0xa0,
  PIN_INVALID: 0xa1,
  PIN_LEN_RANGE: 0xa2,
  PIN_EXPIRED: 0xa3,
  PIN_LOCKED: 0xa4,
  SESSION_CLOSED: 0xb0,
  SESSION_COUNT: 0xb1,
  SESSION_HANDLE_INVALID: 0xb3,
  SESSION_READ_ONLY: 0xb5,
  SESSION_EXISTS: 0xb6,
  TEMPLATE_INCOMPLETE: 0xd0,
  TEMPLATE_INCONSISTENT: 0xd1,
  TOKEN_NOT_PRESENT: 0xe0,
  TOKEN_NOT_RECOGNIZED: 0xe1,
  TOKEN_WRITE_PROTECTED: 0xe2,
  USER_ALREADY_LOGGED_IN: 0x100,
  USER_NOT_LOGGED_IN: 0x101,
  USER_PIN_NOT_INITIALIZED: 0x102,
  USER_TYPE_INVALID: 0x103,
  USER_ANOTHER_ALREADY_LOGGED_IN: 0x104,
  CURVE_NOT_SUPPORTED: 0x140,
  CRYPTOKI_NOT_INITIALIZED: 0x190,
  CRYPTOKI_ALREADY_INITIALIZED: 0x191,
  FUNCTION_REJECTED: 0x200,
} as const;
export type CkrName = keyof typeof CKR;

const CKR_NAMES = new Map<number, string>(Object.entries(CKR).map(([name, value]) => [value, `CKR_${name}`]));

/** `CKR_PIN_INCORRECT`, or `CKR_0x…` for a value we do not name. */
export function ckrName(rv: number): string {
  return CKR_NAMES.get(rv) ?? `CKR_0x${rv.toString(16).padStart(8, '0')}`;
}

/** Module loading fails before any CKR_ value exists: these say why. */
export type LoadFailure = 'module-not-found' | 'module-invalid';

/** The Cryptoki call (or module load) that failed, for messages and for the fake's fault injection. */
export type Pkcs11Operation = keyof Pkcs11Api;

/**
 * A failed call. `rv` is the CKR_ value, or a `LoadFailure` when the library could not be loaded at all.
 * `detail` carries the loader's own text for load failures (a path, never a PIN); it is not shown by
 * default.
 */
export class Pkcs11Fault extends Error {
  readonly operation: Pkcs11Operation;
  readonly rv: number | LoadFailure;
  readonly detail: string | undefined;

  constructor(operation: Pkcs11Operation, rv: number | LoadFailure, detail?: string) {
    super(`${operation}: ${typeof rv === 'number' ? ckrName(rv) : rv}`);
    this.name = 'Pkcs11Fault';
    this.operation = operation;
    this.rv = rv;
    this.detail = detail;
  }

  /** `CKR_PIN_INCORRECT`, or the load failure: what the token answered, for messages and transcripts. */
  get ckr(): string {
    return typeof this.rv === 'number' ? ckrName(this.rv) : this.rv;
  }

  is(name: CkrName): boolean {
    return this.rv === CKR[name];
  }
}

export function isPkcs11Fault(err: unknown, name?: CkrName): err is Pkcs11Fault {
  return err instanceof Pkcs11Fault && (name === undefined || err.is(name));
}

/** Opaque handles: only the backend that issued them can interpret them. */
export type SlotId = string;
export type SessionId = number;
export type ObjectHandle = string;

export interface Version {
  major: number;
  minor: number;
}

export interface ModuleInfo {
  path: string;
  manufacturer: string;
  description: string;
  cryptokiVersion: Version;
  libraryVersion: Version;
}

export interface SlotInfo {
  id: SlotId;
  description: string;
  manufacturer: string;
  tokenPresent: boolean;
  removable: boolean;
  hardware: boolean;
}

/** CK_TOKEN_INFO, strings with their padding removed. */
export interface TokenInfo {
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  /** CKF_* token flags (see `CKF`). */
  flags: number;
  minPinLength: number;
  maxPinLength: number;
  hardwareVersion: Version;
  firmwareVersion: Version;
}

export interface MechanismInfo {
  type: number;
  minKeySize: number;
  maxKeySize: number;
  /** CKF_* mechanism flags (see `CKF_MECH`). */
  flags: number;
}

/**
 * The attributes we read or write, under graphene's names. Byte strings are raw attribute values:
 * `ecParams` is the DER OID of the curve, `ecPoint` the DER OCTET STRING around the point (FIELD-NOTES).
 */
export interface Attributes {
  class?: number;
  keyType?: number;
  token?: boolean;
  private?: boolean;
  modifiable?: boolean;
  label?: string;
  id?: Uint8Array;
  sensitive?: boolean;
  extractable?: boolean;
  neverExtractable?: boolean;
  alwaysSensitive?: boolean;
  local?: boolean;
  alwaysAuthenticate?: boolean;
  sign?: boolean;
  verify?: boolean;
  encrypt?: boolean;
  decrypt?: boolean;
  wrap?: boolean;
  unwrap?: boolean;
  derive?: boolean;
  ecParams?: Uint8Array;
  ecPoint?: Uint8Array;
  modulus?: Uint8Array;
  modulusBits?: number;
  publicExponent?: Uint8Array;
  /** RSA private keys keep their secret here, not in CKA_VALUE. */
  privateExponent?: Uint8Array;
  value?: Uint8Array;
  valueLen?: number;
}
export type AttributeName = keyof Attributes;

/** CK_MECHANISM: the type, and for RSA-PSS its CK_RSA_PKCS_PSS_PARAMS. */
export interface Mechanism {
  type: number;
  pss?: { hashAlg: number; mgf: number; saltLength: number };
}

export type UserType = 'so' | 'user' | 'context-specific';

export interface KeyPairHandles {
  publicKey: ObjectHandle;
  privateKey: ObjectHandle;
}

export interface InitializeOptions {
  libraryParameters?: string | undefined;
}

/**
 * One PKCS#11 module, loaded once per process and initialised with CKF_OS_LOCKING_OK (FIELD-NOTES).
 * All methods are async: key generation and signing run off the event loop in the real backend, and the
 * fake can interleave faults anywhere.
 */
export interface Pkcs11Api {
  /**
   * Load the library and C_Initialize it. Throws a fault with rv `module-not-found` / `module-invalid`.
   * `libraryParameters` is the module's start-up string, passed in CK_C_INITIALIZE_ARGS.pReserved as NSS
   * softokn needs it (`configdir='sql:DIR' certPrefix='' keyPrefix='' secmod='secmod.db'`, FIELD-NOTES).
   */
  initialize(modulePath: string, options?: InitializeOptions): Promise<ModuleInfo>;
  /** C_Finalize and unload. Safe to call twice. */
  finalize(): Promise<void>;
  getSlots(tokenPresent: boolean): Promise<SlotInfo[]>;
  getTokenInfo(slot: SlotId): Promise<TokenInfo>;
  getMechanisms(slot: SlotId): Promise<MechanismInfo[]>;
  /** C_InitToken: used only to set up rehearsal tokens on SoftHSM2. */
  initToken(slot: SlotId, soPin: string, label: string): Promise<void>;
  openSession(slot: SlotId, readWrite: boolean): Promise<SessionId>;
  closeSession(session: SessionId): Promise<void>;
  /** The PIN is a string because pkcs11js takes one; callers convert and drop it at once. */
  login(session: SessionId, userType: UserType, pin: string): Promise<void>;
  logout(session: SessionId): Promise<void>;
  /** C_InitPIN (SO session): used only to set up rehearsal tokens. */
  initPin(session: SessionId, pin: string): Promise<void>;
  generateKeyPair(session: SessionId, mechanism: Mechanism, publicTemplate: Attributes, privateTemplate: Attributes): Promise<KeyPairHandles>;
  /** C_GenerateKey: a session-only secret key, used to prove that private keys cannot be wrapped out. */
  generateKey(session: SessionId, mechanism: Mechanism, template: Attributes): Promise<ObjectHandle>;
  wrapKey(session: SessionId, mechanism: Mechanism, wrappingKey: ObjectHandle, key: ObjectHandle): Promise<Uint8Array>;
  /** C_FindObjectsInit / C_FindObjects / C_FindObjectsFinal. */
  findObjects(session: SessionId, template: Attributes): Promise<ObjectHandle[]>;
  /** C_GetAttributeValue for the named attributes, all or nothing (one CKR_ for the call). */
  getAttributes<K extends AttributeName>(session: SessionId, object: ObjectHandle, names: readonly K[]): Promise<Pick<Attributes, K>>;
  destroyObject(session: SessionId, object: ObjectHandle): Promise<void>;
  /**
   * C_SignInit + C_Sign of `data` (for CKM_ECDSA and CKM_RSA_PKCS_PSS: the digest). `contextPin` logs in
   * as CONTEXT_SPECIFIC between the two, for keys with CKA_ALWAYS_AUTHENTICATE (YubiKey slot 9c).
   */
  sign(session: SessionId, mechanism: Mechanism, key: ObjectHandle, data: Uint8Array, contextPin?: string): Promise<Uint8Array>;
}
