/**
 * Site bindings: what is decided in the ceremony room, on the day, apart from the reviewed plan
 * (PRODUCT.md §1: the administrator never retypes the plan; STYLE.md: unlike boulder, PINs and machine
 * details stay out of the reviewed plan). Per custodian: which PKCS#11 module (a preset or a path), which
 * token (by serial or label — slot IDs are not stable: SoftHSM numbers them at random, readers renumber
 * them when plugged in another port, FIELD-NOTES), and where the PIN comes from: `"prompt"` (asked on the
 * terminal without echo, at the moment of use) or `{"env": "NAME"}` (read from that environment variable,
 * for scripted rehearsals). A PIN itself never appears in bindings, plans, state or transcript.
 *
 * ```json
 * {
 *   "format": "tuf-ceremony-site-bindings",
 *   "version": 1,
 *   "planSha256": "<the plan's intent hash>",
 *   "module": { "preset": "ykcs11" },
 *   "custodians": {
 *     "Alice": { "pin": "prompt" },
 *     "Bob": { "pin": "prompt" },
 *     "Carol": { "token": { "serial": "34567890" }, "pin": { "env": "CAROL_PIN" }, "module": { "path": "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so" } },
 *     "Dave": { "token": { "label": "dave" }, "pin": "prompt",
 *               "module": { "path": "/usr/lib/x86_64-linux-gnu/libsoftokn3.so", "parameters": "configdir='sql:/srv/nssdb' certPrefix='' keyPrefix='' secmod='secmod.db'" } }
 *   }
 * }
 * ```
 *
 * A module's `parameters` are its start-up string (C_Initialize `libraryParameters`), shown in the
 * transcript. A token is the pair (serial, label): where a module gives every token the same serial
 * (tpm2-pkcs11, NSS softokn), choose it by "label". Anything written where a PIN source belongs is never
 * echoed in a refusal (it may be a PIN).
 *
 * A custodian whose token is a YubiKey (ykcs11) may say where each of their keys goes and where the PIV
 * management key comes from (issue #13; piv-slots.ts):
 *
 * ```json
 * "Alice": { "pin": "prompt", "piv": { "slots": { "root": "9c", "targets": "82" }, "allowSlots": ["9a"],
 *                                      "managementKey": { "env": "ALICE_PIV_MGMT" } } }
 * ```
 *
 * `slots` maps a key's role (root, targets, snapshot, timestamp) to a PIV slot: 9c, 9d, 9e or 82–95; 9a and
 * f9 only when `allowSlots` names them. A role left out gets the first empty retired slot, which the
 * custodian confirms. `managementKey` is "prompt" (asked without echo) or {"env": "NAME"}, like a PIN
 * source, and never written anywhere; without it the management key is asked on the terminal.
 *
 * `planSha256` binds the bindings to one reviewed plan (BINDINGS_PLAN_MISMATCH otherwise). A custodian
 * whose plan entry names no token must be given one here; one whose plan names a serial may repeat it but
 * not contradict it. Refusals are BINDINGS_INVALID with the JSON path.
 */
import { CeremonyError } from '../errors.js';
import { child, isObject } from '../json/fields.js';
import { parseJsonStrict } from '../json/parse.js';
import type { JsonValue } from '../json/types.js';
import { checkSlotAllowed, GUARDED_SLOTS, type PivSlot } from '../signers/pkcs11/piv-slots.js';
import { isModulePreset, type ModulePreset } from '../signers/pkcs11/presets.js';
import type { CeremonyPlan, PlanTokenPin } from './plan.js';
import { StrictReader } from './read.js';

export const BINDINGS_FORMAT = 'tuf-ceremony-site-bindings';
export const BINDINGS_VERSION = 1;
export const BINDINGS_MAX_BYTES = 64 * 1024;

/**
 * A module: a preset or a path, and its start-up parameters when it needs them (`libraryParameters` of
 * C_Initialize; NSS softokn: `configdir='sql:DIR' certPrefix='' keyPrefix='' secmod='secmod.db'`).
 */
export type ModuleBinding = ({ preset: ModulePreset } | { path: string }) & { parameters?: string };
export type PinSource = { kind: 'prompt' } | { kind: 'env'; name: string };

export interface CustodianBinding {
  module: ModuleBinding;
  /** Where `module` is written: `$.module` (the top-level default) or `$.custodians.<name>.module`, for refusals. */
  moduleAt: string;
  /** The token to open: the plan's pin merged with the bindings' choice. Serial preferred. */
  token: PlanTokenPin;
  pin: PinSource;
  /** YubiKey: slots by key role, guarded slots allowed, the management key's source. */
  piv?: PivBinding | undefined;
}

export interface PivBinding {
  slots: Partial<Record<PivKeyRole, PivSlot>>;
  allowSlots: PivSlot[];
  managementKey: PinSource;
}

export type PivKeyRole = 'root' | 'targets' | 'snapshot' | 'timestamp';
const PIV_KEY_ROLES: readonly PivKeyRole[] = ['root', 'targets', 'snapshot', 'timestamp'];

export interface SiteBindings {
  planSha256: string;
  custodians: Map<string, CustodianBinding>;
}

const r: StrictReader = new StrictReader('BINDINGS_INVALID');

function moduleBinding(value: JsonValue | undefined, path: string): ModuleBinding {
  const o = r.object(value, path, [], ['preset', 'path', 'parameters']);
  if ((o.preset === undefined) === (o.path === undefined)) r.fail(path, 'give either "preset" (ykcs11, opensc, softhsm2) or "path" (the module file)');
  // Start-up parameters are shown in the transcript: a module that wants a secret there (a database
  // password) must get it some other way.
  const parameters = o.parameters === undefined ? undefined : r.text(o.parameters, child(path, 'parameters'), 1024);
  const withParams = <T extends object>(m: T): T & { parameters?: string } => (parameters === undefined ? m : { ...m, parameters });
  if (o.preset !== undefined) {
    const p = r.text(o.preset, child(path, 'preset'), 32);
    if (!isModulePreset(p)) r.fail(child(path, 'preset'), `expected "ykcs11", "opensc" or "softhsm2", found ${JSON.stringify(p)}`);
    return withParams({ preset: p });
  }
  const file = r.text(o.path, child(path, 'path'), 4096);
  if (!file.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(file)) r.fail(child(path, 'path'), 'a module path must be absolute (a relative path loads whatever library the working folder holds)');
  return withParams({ path: file });
}

/**
 * Where a PIN comes from. Whatever else is written here may be a PIN written by mistake (issue #12): it is
 * never echoed — not the string, not an unknown field's name — in the message, the path or `--json`.
 */
function pinSource(value: JsonValue | undefined, path: string): PinSource {
  if (value === 'prompt') return { kind: 'prompt' };
  const expected = 'expected "prompt" or {"env": "NAME"}';
  if (typeof value === 'string') r.fail(path, `${expected}, found another string (not shown: it may be a PIN); a PIN is never written in the bindings`);
  if (typeof value === 'number') r.fail(path, `${expected}, found a number (not shown: it may be a PIN); a PIN is never written in the bindings`);
  if (isObject(value) && Object.keys(value).some((k) => k !== 'env')) {
    r.fail(path, `${expected}, found an object with other fields (their names and values are not shown: one may be a PIN); a PIN is never written in the bindings`);
  }
  const o = r.object(value, path, ['env']);
  const name = r.text(o.env, child(path, 'env'), 64);
  if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) r.fail(child(path, 'env'), 'an environment variable name is upper-case letters, digits and "_"');
  return { kind: 'env', name };
}

/** A YubiKey custodian's PIV choices (file comment). */
function pivBinding(value: JsonValue | undefined, path: string): PivBinding {
  const o = r.object(value, path, [], ['slots', 'allowSlots', 'managementKey']);
  const allowSlots: PivSlot[] = [];
  if (o.allowSlots !== undefined) {
    const list = r.array(o.allowSlots, child(path, 'allowSlots'), 0, 2);
    list.forEach((v, i) => {
      const at = `${child(path, 'allowSlots')}[${i}]`;
      const name = r.text(v, at, 2).toLowerCase();
      if (!GUARDED_SLOTS.includes(name as PivSlot)) r.fail(at, `only 9a and f9 need an explicit allowance, not ${JSON.stringify(name)}`);
      allowSlots.push(name as PivSlot);
    });
  }
  const slots: Partial<Record<PivKeyRole, PivSlot>> = {};
  if (o.slots !== undefined) {
    const entries = r.record(o.slots, child(path, 'slots'), 4);
    const used = new Map<string, string>();
    for (const [role, v] of Object.entries(entries)) {
      const at = child(child(path, 'slots'), role);
      if (!(PIV_KEY_ROLES as readonly string[]).includes(role)) r.fail(at, `a key role is root, targets, snapshot or timestamp, not ${JSON.stringify(role)}`);
      const slot = checkSlotAllowed(r.text(v, at, 2), allowSlots, at);
      const twice = used.get(slot);
      if (twice !== undefined) r.fail(at, `slot ${slot} is already named for the ${twice} key; one key per slot`);
      used.set(slot, role);
      slots[role as PivKeyRole] = slot;
    }
  }
  // Like a PIN source (a management key written here by mistake is never echoed); default: asked.
  const managementKey = o.managementKey === undefined ? ({ kind: 'prompt' } as const) : pinSource(o.managementKey, child(path, 'managementKey'));
  return { slots, allowSlots, managementKey };
}

function tokenChoice(value: JsonValue | undefined, path: string): PlanTokenPin {
  const o = r.object(value, path, [], ['serial', 'label']);
  if (o.serial === undefined && o.label === undefined) r.fail(path, 'choose the token by "serial" (preferred) or "label"');
  const out: PlanTokenPin = {};
  if (o.serial !== undefined) out.serial = r.text(o.serial, child(path, 'serial'), 16);
  if (o.label !== undefined) out.label = r.text(o.label, child(path, 'label'), 32);
  return out;
}

/** Parse bindings for `plan` (whose intent hash is `planSha256`). */
export function parseSiteBindings(bytes: Uint8Array, plan: CeremonyPlan, planSha256: string): SiteBindings {
  const value = parseJsonStrict(bytes, { maxBytes: BINDINGS_MAX_BYTES, path: '$', maxDepth: 8 });
  const o = r.object(value, '$', ['format', 'version', 'planSha256', 'custodians'], ['module']);
  r.literal(o.format, '$.format', BINDINGS_FORMAT, 'tuf-ceremony site bindings');
  if (o.version !== BINDINGS_VERSION) r.fail('$.version', `bindings format version ${JSON.stringify(o.version)} is not one this tool reads (${BINDINGS_VERSION})`);
  const sha = r.sha256(o.planSha256, '$.planSha256');
  if (sha !== planSha256) {
    throw new CeremonyError('BINDINGS_PLAN_MISMATCH', `these bindings were written for the plan with intent hash ${sha.slice(0, 16)}…, not this plan (${planSha256.slice(0, 16)}…)`, {
      path: '$.planSha256',
    });
  }
  const fallback = o.module === undefined ? undefined : moduleBinding(o.module, '$.module');
  const entries = r.record(o.custodians, '$.custodians', 64);
  const known = new Set(plan.custodians.map((c) => c.name));
  for (const name of Object.keys(entries)) {
    if (!known.has(name)) r.fail(child('$.custodians', name), `the plan has no custodian named ${JSON.stringify(name)} (custodians: ${[...known].join(', ')})`);
  }
  const custodians = new Map<string, CustodianBinding>();
  for (const c of plan.custodians) {
    const path = child('$.custodians', c.name);
    if (entries[c.name] === undefined) r.fail(path, `custodian ${JSON.stringify(c.name)} has no binding: say where their PIN comes from ("pin": "prompt")`);
    const e = r.object(entries[c.name], path, ['pin'], ['module', 'token', 'piv']);
    const moduleAt = e.module === undefined ? '$.module' : child(path, 'module');
    const module = e.module === undefined ? fallback : moduleBinding(e.module, moduleAt);
    if (!module) r.fail(child(path, 'module'), 'no PKCS#11 module: give "module" here or at the top level');
    const chosen = e.token === undefined ? undefined : tokenChoice(e.token, child(path, 'token'));
    const pinned = c.token;
    if (!pinned && !chosen) r.fail(child(path, 'token'), `the plan leaves ${c.name}'s token to the day: choose it here by "serial" or "label"`);
    if (pinned && chosen) {
      if (pinned.serial !== undefined && chosen.serial !== undefined && pinned.serial !== chosen.serial) {
        r.fail(child(child(path, 'token'), 'serial'), `the reviewed plan expects ${c.name}'s token to have serial ${pinned.serial}, not ${chosen.serial}`);
      }
      if (pinned.label !== undefined && chosen.label !== undefined && pinned.label !== chosen.label) {
        r.fail(child(child(path, 'token'), 'label'), `the reviewed plan expects ${c.name}'s token to be labelled "${pinned.label}", not "${chosen.label}"`);
      }
    }
    const token: PlanTokenPin = { ...(chosen ?? {}), ...(pinned ?? {}) };
    const piv = e.piv === undefined ? undefined : pivBinding(e.piv, child(path, 'piv'));
    custodians.set(c.name, { module, moduleAt, token, pin: pinSource(e.pin, child(path, 'pin')), ...(piv ? { piv } : {}) });
  }
  return { planSha256: sha, custodians };
}
