/**
 * json/go-fold.ts applied by every metadata reader (review 15a F1–F3): a key that is not exactly a field
 * of its object but that Go's encoding/json (notary, go-tuf) reads as one is refused with
 * FIELD_NAME_AMBIGUOUS at its path — in the envelope, signatures, each role's `signed`, root roles, key
 * objects and keyval, target entries, delegations and delegated roles, snapshot/timestamp meta entries,
 * in both profiles. Keys of maps (target paths, key IDs, hash algorithms) and `custom`'s content are
 * free, and unknown fields Go does not fold onto a field still pass.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { child } from '../../../src/json/fields.js';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import type { RoleType } from '../../../src/tuf/signed-common.js';
import { buildRepo, parseBytes, type BuiltRepo } from '../../support/repo.js';
import { refusal } from '../../support/refusal.js';

const S = '\u017f'; // LATIN SMALL LETTER LONG S: Go folds it to s
const K = '\u212a'; // KELVIN SIGN: Go folds it to k
const enc = new TextEncoder();

type File = 'root' | 'targets' | 'delegated' | 'snapshot' | 'timestamp';
const ROLE: Record<File, RoleType> = { root: 'root', targets: 'targets', delegated: 'targets', snapshot: 'snapshot', timestamp: 'timestamp' };

interface Env {
  env: JsonObject;
  signed: JsonObject;
  profile: ProfileName;
  /** The first key ID of a table (root keys, or the delegation's). */
  firstKey(table: JsonObject): string;
}

interface Case {
  name: string;
  file: File;
  profiles?: ProfileName[];
  /** Edit the parsed file; returns the path the refusal must name (after the source, "f "). */
  edit(e: Env): string;
}

function obj(v: JsonValue | undefined): JsonObject {
  return v as JsonObject;
}

/** Add `key: value` to `o` and return the path of `key` under `path`, written as the refusal writes it. */
function add(o: JsonObject, key: string, value: JsonValue, path: string): string {
  o[key] = value;
  const quoted = JSON.stringify(key).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${quoted}]`;
}

const rootRole = (e: Env, role: string): JsonObject => obj(obj(e.signed.roles)[role]);
const firstTarget = (e: Env): [string, JsonObject] => {
  const t = obj(e.signed.targets);
  const name = Object.keys(t)[0]!;
  return [name, obj(t[name])];
};
const delegation = (e: Env): JsonObject => obj((obj(e.signed.delegations).roles as JsonValue[])[0]);
const metaOf = (e: Env, name: string): [string, JsonObject] => {
  const m = obj(e.signed.meta);
  const key = Object.keys(m).find((k) => k === name || k === `${name}.json`)!;
  return [key, obj(m[key])];
};

const cases: Case[] = [
  // --- envelope and signatures ---
  { name: 'envelope "Signed" beside "signed"', file: 'root', edit: (e) => add(e.env, 'Signed', e.signed, '$') },
  { name: 'envelope "ſignatures"', file: 'snapshot', edit: (e) => add(e.env, `${S}ignatures`, [], '$') },
  { name: 'signature "Sig"', file: 'root', edit: (e) => add(obj((e.env.signatures as JsonValue[])[0]), 'Sig', 'ab', '$.signatures[0]') },
  { name: 'signature "keyId"', file: 'timestamp', edit: (e) => add(obj((e.env.signatures as JsonValue[])[0]), 'keyId', 'ab'.repeat(32), '$.signatures[0]') },
  { name: 'signature "Method"', file: 'targets', edit: (e) => add(obj((e.env.signatures as JsonValue[])[0]), 'Method', 'rsapss', '$.signatures[0]') },
  // --- root ---
  { name: 'root "Version"', file: 'root', edit: (e) => add(e.signed, 'Version', 9, '$.signed') },
  { name: 'root "EXPIRES"', file: 'root', edit: (e) => add(e.signed, 'EXPIRES', '2099-01-01T00:00:00Z', '$.signed') },
  { name: 'root "_Type"', file: 'root', edit: (e) => add(e.signed, '_Type', 'x', '$.signed') },
  {
    name: 'snapshot: lone "_TYPE" (read before the role is known)',
    file: 'snapshot',
    edit: (e) => {
      const t = e.signed._type!;
      delete e.signed._type;
      return add(e.signed, '_TYPE', t, '$.signed');
    },
  },
  { name: 'root "Custom" (a go-tuf field only)', file: 'root', edit: (e) => add(e.signed, 'Custom', {}, '$.signed') },
  { name: 'root "Keys"', file: 'root', edit: (e) => add(e.signed, 'Keys', {}, '$.signed') },
  {
    name: 'root: lone "consiſtent_snapshot" (optional in Notary: absent for us, true for Go)',
    file: 'root',
    edit: (e) => {
      if (e.profile === 'notary') delete e.signed.consistent_snapshot;
      return add(e.signed, `consi${S}tent_snapshot`, true, '$.signed');
    },
  },
  { name: 'roles.root "threſhold": 1 beside threshold (F1)', file: 'root', edit: (e) => add(rootRole(e, 'root'), `thre${S}hold`, 1, '$.signed.roles.root') },
  { name: 'roles.root "keyidſ" (F1)', file: 'root', edit: (e) => add(rootRole(e, 'root'), `keyid${S}`, [], '$.signed.roles.root') },
  { name: 'roles.timestamp "Threshold"', file: 'root', edit: (e) => add(rootRole(e, 'timestamp'), 'Threshold', 1, '$.signed.roles.timestamp') },
  { name: 'roles.targets "KEYIDS"', file: 'root', edit: (e) => add(rootRole(e, 'targets'), 'KEYIDS', [], '$.signed.roles.targets') },
  {
    name: 'root key "Keytype" with the Kelvin sign (F1)',
    file: 'root',
    edit: (e) => {
      const id = e.firstKey(obj(e.signed.keys));
      return add(obj(obj(e.signed.keys)[id]), `${K}eytype`, 'rsa', child('$.signed.keys', id));
    },
  },
  {
    name: 'root key "Scheme"',
    file: 'root',
    edit: (e) => {
      const id = e.firstKey(obj(e.signed.keys));
      return add(obj(obj(e.signed.keys)[id]), 'Scheme', 'ed25519', child('$.signed.keys', id));
    },
  },
  {
    name: 'root key "Keyid_hash_algorithms" (a go-tuf field)',
    file: 'root',
    edit: (e) => {
      const id = e.firstKey(obj(e.signed.keys));
      return add(obj(obj(e.signed.keys)[id]), 'Keyid_hash_algorithms', ['sha512'], child('$.signed.keys', id));
    },
  },
  {
    name: 'root keyval "Public"',
    file: 'root',
    edit: (e) => {
      const id = e.firstKey(obj(e.signed.keys));
      return add(obj(obj(obj(e.signed.keys)[id]).keyval), 'Public', 'x', `${child('$.signed.keys', id)}.keyval`);
    },
  },
  {
    name: 'root keyval "privatE" (a private key Go would read)',
    file: 'root',
    edit: (e) => {
      const id = e.firstKey(obj(e.signed.keys));
      return add(obj(obj(obj(e.signed.keys)[id]).keyval), 'privatE', 'secret', `${child('$.signed.keys', id)}.keyval`);
    },
  },
  // --- targets ---
  { name: 'targets "Targets"', file: 'targets', edit: (e) => add(e.signed, 'Targets', {}, '$.signed') },
  { name: 'targets "Delegations"', file: 'delegated', edit: (e) => add(e.signed, 'Delegations', { keys: {}, roles: [] }, '$.signed') },
  { name: 'targets "ſpec_version"', file: 'targets', profiles: ['tuf'], edit: (e) => add(e.signed, `${S}pec_version`, '1.0.0', '$.signed') },
  {
    name: 'target entry "haſhes" beside hashes (F3)',
    file: 'targets',
    edit: (e) => {
      const [name, entry] = firstTarget(e);
      return add(entry, `ha${S}hes`, obj(entry.hashes), child('$.signed.targets', name));
    },
  },
  {
    name: 'target entry "Length"',
    file: 'delegated',
    edit: (e) => {
      const [name, entry] = firstTarget(e);
      return add(entry, 'Length', 1, child('$.signed.targets', name));
    },
  },
  {
    name: 'target entry "CUSTOM" (with a custom beside it)',
    file: 'targets',
    edit: (e) => {
      const [name, entry] = firstTarget(e);
      entry.custom = { a: 1 };
      return add(entry, 'CUSTOM', { a: 2 }, child('$.signed.targets', name));
    },
  },
  {
    name: 'target entry: lone "Hashes" (no hashes for us)',
    file: 'targets',
    edit: (e) => {
      const [name, entry] = firstTarget(e);
      const h = entry.hashes!;
      delete entry.hashes;
      return add(entry, 'Hashes', h, child('$.signed.targets', name));
    },
  },
  { name: 'delegations "keyſ" (F3)', file: 'targets', edit: (e) => add(obj(e.signed.delegations), `key${S}`, {}, '$.signed.delegations') },
  { name: 'delegations "Roles"', file: 'targets', edit: (e) => add(obj(e.signed.delegations), 'Roles', [], '$.signed.delegations') },
  // go-tuf v2 reads `succinct_roles` (TAP 15), which we refuse exactly (DELEGATION_UNSUPPORTED): a folded spelling must not slip past as an unknown field (review 15f L2).
  { name: 'delegations "Succinct_Roles"', file: 'targets', edit: (e) => add(obj(e.signed.delegations), 'Succinct_Roles', {}, '$.signed.delegations') },
  { name: 'delegations "ſuccinct_roles"', file: 'targets', edit: (e) => add(obj(e.signed.delegations), `${S}uccinct_roles`, {}, '$.signed.delegations') },
  { name: 'delegated role "pathſ" (F3)', file: 'targets', edit: (e) => add(delegation(e), `path${S}`, ['*'], '$.signed.delegations.roles[0]') },
  { name: 'delegated role "threſhold" (F3)', file: 'targets', edit: (e) => add(delegation(e), `thre${S}hold`, 1, '$.signed.delegations.roles[0]') },
  { name: 'delegated role "Name"', file: 'targets', edit: (e) => add(delegation(e), 'Name', 'other', '$.signed.delegations.roles[0]') },
  { name: 'delegated role "keyIDs"', file: 'targets', edit: (e) => add(delegation(e), 'keyIDs', [], '$.signed.delegations.roles[0]') },
  { name: 'delegated role "Path_hash_prefixes"', file: 'targets', edit: (e) => add(delegation(e), 'Path_hash_prefixes', ['ab'], '$.signed.delegations.roles[0]') },
  {
    name: 'delegated role: lone "Terminating" (TUF: terminating absent for us, true for Go)',
    file: 'targets',
    edit: (e) => {
      const d = delegation(e);
      delete d.terminating;
      return add(d, 'Terminating', true, '$.signed.delegations.roles[0]');
    },
  },
  {
    name: 'delegation key "ſcheme"',
    file: 'targets',
    edit: (e) => {
      const keys = obj(obj(e.signed.delegations).keys);
      const id = e.firstKey(keys);
      return add(obj(keys[id]), `${S}cheme`, 'ed25519', child('$.signed.delegations.keys', id));
    },
  },
  // --- snapshot and timestamp ---
  { name: 'snapshot "Meta"', file: 'snapshot', edit: (e) => add(e.signed, 'Meta', {}, '$.signed') },
  {
    name: 'snapshot meta entry "Version"',
    file: 'snapshot',
    edit: (e) => {
      const [key, m] = metaOf(e, 'targets');
      return add(m, 'Version', 7, child('$.signed.meta', key));
    },
  },
  {
    name: 'snapshot meta entry "lengtH"',
    file: 'snapshot',
    edit: (e) => {
      const [key, m] = metaOf(e, 'targets');
      return add(m, 'lengtH', 7, child('$.signed.meta', key));
    },
  },
  {
    name: 'timestamp meta entry "haſhes"',
    file: 'timestamp',
    edit: (e) => {
      const [key, m] = metaOf(e, 'snapshot');
      return add(m, `ha${S}hes`, obj(m.hashes), child('$.signed.meta', key));
    },
  },
  {
    name: 'timestamp meta entry "Custom" (a Go field)',
    file: 'timestamp',
    edit: (e) => {
      const [key, m] = metaOf(e, 'snapshot');
      return add(m, 'Custom', {}, child('$.signed.meta', key));
    },
  },
  { name: 'timestamp "Expires"', file: 'timestamp', edit: (e) => add(e.signed, 'Expires', '2099-01-01T00:00:00Z', '$.signed') },
];

/** Legitimate: unknown fields Go does not fold onto a field, and map keys and custom content that look like fields. */
const passing: { name: string; file: File; edit(e: Env): void }[] = [
  {
    name: '"x-note" in the envelope, signed, a role, a key, a keyval',
    file: 'root',
    edit: (e) => {
      e.env['x-note'] = 'a';
      e.signed['x-note'] = 'b';
      rootRole(e, 'root')['x-note'] = 'c';
      const key = obj(obj(e.signed.keys)[e.firstKey(obj(e.signed.keys))]);
      key['x-note'] = 'd';
      obj(key.keyval)['x-note'] = 'e';
    },
  },
  {
    name: 'a target path "Threshold", a custom with "Hashes" and "Length", an algorithm "SHA256"',
    file: 'targets',
    edit: (e) => {
      const [, entry] = firstTarget(e);
      entry.custom = { Hashes: { sha256: '00' }, Length: 1, [`thre${S}hold`]: 1 };
      entry['x-note'] = 'kept';
      obj(e.signed.targets).Threshold = { length: 1, hashes: { ...obj(entry.hashes), ...(e.profile === 'tuf' ? { SHA256: 'ab' } : {}) } };
      obj(e.signed.targets)[`${S}ignatures`] = { length: 2, hashes: obj(entry.hashes) };
      delegation(e)['x-note'] = 'kept';
      obj(e.signed.delegations)['x-note'] = 'kept';
    },
  },
  {
    name: '"x-note" in meta entries and snapshot',
    file: 'snapshot',
    edit: (e) => {
      e.signed['x-note'] = 1;
      metaOf(e, 'targets')[1]['x-note'] = 2;
    },
  },
  {
    name: 'a long-s field that folds onto nothing ("lengthſ") and a Cyrillic look-alike ("thre\\u0455hold")',
    file: 'timestamp',
    edit: (e) => {
      const m = metaOf(e, 'snapshot')[1];
      m[`length${S}`] = 1;
      m['thre\u0455hold'] = 1;
    },
  },
];

const repos = new Map<ProfileName, BuiltRepo>();
beforeAll(async () => {
  for (const p of ['tuf', 'notary'] as const) repos.set(p, await buildRepo(p));
});

function bytesOf(r: BuiltRepo, file: File): Uint8Array {
  return file === 'root' ? r.roots[0]! : r[file];
}

function edited(profile: ProfileName, file: File, edit: (e: Env) => string | void): { bytes: Uint8Array; path: string | void } {
  const env = parseBytes(bytesOf(repos.get(profile)!, file));
  const path = edit({ env, signed: obj(env.signed), profile, firstKey: (t) => Object.keys(t)[0]! });
  return { bytes: enc.encode(JSON.stringify(env)), path };
}

/** Parsed twice for targets: with the profile given (the keyed entry reader) and read from `_type`. */
function parse(profile: ProfileName, file: File, bytes: Uint8Array, withProfile: boolean): void {
  parseMetadata(bytes, ROLE[file], { maxBytes: 1 << 22, source: 'f', ...(withProfile ? { profile } : {}) });
}

describe.each(['tuf', 'notary'] as const)('%s', (profile) => {
  it.each(cases.filter((c) => !c.profiles || c.profiles.includes(profile)).map((c) => [c.name, c] as const))('refused: %s', (_name, c) => {
    const { bytes, path } = edited(profile, c.file, c.edit);
    for (const withProfile of [true, false]) {
      const err = refusal(() => parse(profile, c.file, bytes, withProfile));
      expect({ code: err.code, path: err.path }).toEqual({ code: 'FIELD_NAME_AMBIGUOUS', path: `f ${path as string}` });
      // Shown safely: no raw long s or Kelvin sign in what a person reads.
      expect(err.message).not.toMatch(/[\u017f\u212a]/);
      expect(err.message).toMatch(/Go clients \(notary, go-tuf/);
    }
  });

  it.each(passing.map((c) => [c.name, c] as const))('accepted: %s', (_name, c) => {
    const { bytes } = edited(profile, c.file, c.edit);
    for (const withProfile of [true, false]) parse(profile, c.file, bytes, withProfile);
  });

  it('the files as built parse', () => {
    for (const file of ['root', 'targets', 'delegated', 'snapshot', 'timestamp'] as const) parse(profile, file, bytesOf(repos.get(profile)!, file), true);
  });
});
