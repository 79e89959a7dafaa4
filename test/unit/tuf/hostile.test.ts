/**
 * PRODUCT.md §6, the metadata cases: each hostile input is refused with its own stable code, in both
 * profiles where the attack applies, and never crashes (every refusal is a CeremonyError).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CeremonyError } from '../../../src/errors.js';
import type { JsonObject, JsonValue } from '../../../src/json/types.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import { DEFAULT_CAPS } from '../../../src/tuf/caps.js';
import { verifyRepository, type RepositoryFiles, type TrustedVersions, type VerifyOptions } from '../../../src/tuf/repository.js';
import { serializeMetadata } from '../../../src/tuf/sign.js';
import { makeKey, type TestKey } from '../../support/keys.js';
import { buildRepo, FAR, GUN, metaEntry, metaKey, parseBytes, PAST, rootSigned, sign, withField, type BuiltRepo } from '../../support/repo.js';

type Input = { files: RepositoryFiles; opts?: Partial<VerifyOptions> };
interface Case {
  name: string;
  code: string;
  /** The JSON path the refusal must name, where the row pins it. */
  path?: string;
  profiles?: ProfileName[];
  make(r: BuiltRepo): Promise<Input> | Input;
}

const enc = new TextEncoder();

/** Change `signed` without re-signing: what an attacker without keys can do. */
function tamper(bytes: Uint8Array, edit: (signed: JsonObject) => JsonObject, profile: ProfileName): Uint8Array {
  const env = parseBytes(bytes);
  return serializeMetadata(profile, { signed: edit(env.signed as JsonObject), signatures: env.signatures as never });
}

function withSignatures(bytes: Uint8Array, edit: (sigs: JsonObject[]) => JsonObject[], profile: ProfileName): Uint8Array {
  const env = parseBytes(bytes);
  return serializeMetadata(profile, { signed: env.signed as JsonObject, signatures: edit(env.signatures as JsonObject[]) as never });
}


function base(r: BuiltRepo, patch: Partial<RepositoryFiles> = {}): RepositoryFiles {
  return { ...r.files(), ...patch };
}

/**
 * Without snapshot and timestamp (`verify` of a partial directory): targets.json has no referrer, so it is
 * parsed and its own defects are what is refused. With a snapshot, its length and hashes are checked
 * first and any edit is LENGTH_MISMATCH / HASH_MISMATCH before a byte is parsed (cases below).
 */
function loose(r: BuiltRepo, patch: Partial<RepositoryFiles> = {}): RepositoryFiles {
  const { snapshot: _s, timestamp: _t, ...rest } = r.files();
  return { ...rest, ...patch };
}

/** Make a root for version `v` with these root keys, signed by `signers`. */
async function rootV(r: BuiltRepo, v: number, rootKeys: TestKey[], signers: TestKey[], expires = FAR): Promise<Uint8Array> {
  return sign(r.profile, rootSigned(r.profile, v, { ...r.keys, root: rootKeys }, { root: 2 }, expires), signers);
}

const cases: Case[] = [
  // --- framing ---
  { name: 'root.json is not JSON', code: 'JSON_MALFORMED', make: (r) => ({ files: base(r, { root: enc.encode('{"signed": ') }) }) },
  { name: 'root.json is not UTF-8', code: 'JSON_MALFORMED', make: (r) => ({ files: base(r, { root: new Uint8Array([0x7b, 0xff, 0x7d]) }) }) },
  {
    name: 'a duplicate JSON key hides a second value',
    code: 'JSON_DUPLICATE_KEY',
    make: (r) => {
      const text = Buffer.from(r.targets).toString('utf8').replace('"signed":{', '"signed":{"version":99,');
      return { files: loose(r, { targets: enc.encode(text) }) };
    },
  },
  {
    name: 'a float where canonical JSON needs an integer',
    code: 'JSON_NUMBER_INVALID',
    make: (r) => ({ files: loose(r, { targets: enc.encode(Buffer.from(r.targets).toString('utf8').replace(/"version":1([,}])/, '"version":1.0$1')) }) }),
  },
  {
    name: 'nesting deep enough to exhaust a recursive parser',
    code: 'JSON_TOO_DEEP',
    make: (r) => ({ files: loose(r, { targets: enc.encode(`{"signed":${'['.repeat(5000)}${']'.repeat(5000)},"signatures":[]}`) }) }),
  },
  {
    name: 'oversized targets file',
    code: 'INPUT_TOO_LARGE',
    make: (r) => ({ files: base(r), opts: { caps: { root: 1 << 20, timestamp: 1 << 16, snapshot: 1 << 20, targets: 64, delegated: 1 << 20, rootChainLength: 100, files: 100 } } }),
  },
  // --- schema ---
  { name: 'targets metadata offered as root', code: 'ROLE_TYPE_MISMATCH', make: (r) => ({ files: base(r, { root: r.targets }) }) },
  {
    name: 'unknown _type',
    code: 'PROFILE_UNKNOWN',
    make: (r) => ({ files: loose(r, { targets: tamper(r.targets, (s) => ({ ...s, _type: 'Manifest' }), r.profile) }) }),
  },
  {
    name: 'spec_version 2.0',
    code: 'SPEC_VERSION_UNSUPPORTED',
    profiles: ['tuf'],
    make: (r) => ({ files: loose(r, { targets: tamper(r.targets, (s) => ({ ...s, spec_version: '2.0.0' }), r.profile) }) }),
  },
  {
    name: 'expires not a date',
    code: 'DATE_INVALID',
    make: (r) => ({ files: loose(r, { targets: tamper(r.targets, (s) => ({ ...s, expires: '2030-02-31T00:00:00Z' }), r.profile) }) }),
  },
  {
    name: 'root without a snapshot role',
    code: 'SCHEMA_INVALID',
    make: (r) => ({ files: base(r, { root: tamper(r.roots[0]!, (s) => withField(s, ['roles', 'snapshot'], undefined), r.profile) }) }),
  },
  {
    name: 'negative target length',
    code: 'SCHEMA_INVALID',
    make: (r) => ({ files: loose(r, { targets: tamper(r.targets, (s) => withField(s, ['targets', 'app.tar.gz', 'length'], -1), r.profile) }) }),
  },
  {
    name: 'a hash that is not in the profile encoding',
    code: 'SCHEMA_INVALID',
    make: (r) => ({ files: loose(r, { targets: tamper(r.targets, (s) => withField(s, ['targets', 'app.tar.gz', 'hashes', 'sha256'], 'zz!'), r.profile) }) }),
  },
  // --- keys and roles ---
  {
    name: 'root threshold 0',
    code: 'THRESHOLD_INVALID',
    make: (r) => ({ files: base(r, { root: tamper(r.roots[0]!, (s) => withField(s, ['roles', 'root', 'threshold'], 0), r.profile) }) }),
  },
  {
    name: 'threshold above the number of keys',
    code: 'THRESHOLD_INVALID',
    make: (r) => ({ files: base(r, { root: tamper(r.roots[0]!, (s) => withField(s, ['roles', 'root', 'threshold'], 4), r.profile) }) }),
  },
  {
    name: 'a role names a key that is not listed',
    code: 'ROLE_KEY_MISSING',
    make: (r) => ({ files: base(r, { root: tamper(r.roots[0]!, (s) => withField(s, ['roles', 'targets', 'keyids'], ['ab'.repeat(32)]), r.profile) }) }),
  },
  {
    name: 'a role lists the same key ID twice',
    code: 'KEY_DUPLICATE_IN_ROLE',
    make: (r) => ({ files: base(r, { root: tamper(r.roots[0]!, (s) => withField(s, ['roles', 'root', 'keyids'], [r.keys.root[0]!.keyId, r.keys.root[0]!.keyId]), r.profile) }) }),
  },
  {
    name: 'threshold 2 met by one key listed under two key IDs',
    code: 'KEY_DUPLICATE_IN_ROLE',
    profiles: ['tuf'],
    async make(r) {
      const k = r.keys.root[0]!;
      // The same public key, listed again under the ID of a JSON variant (an extra field changes the ID).
      const twin = { ...k.json, note: 'same key' } as JsonObject;
      const twinId = 'cd'.repeat(32);
      const signed = rootSigned(r.profile, 1, r.keys, { root: 2 });
      (signed.keys as JsonObject)[twinId] = twin;
      (signed.roles as JsonObject).root = { keyids: [k.keyId, twinId], threshold: 2 };
      const bytes = await sign(r.profile, signed, [k, { ...k, keyId: twinId }]);
      return { files: { versionedRoots: new Map(), delegated: new Map(), root: bytes }, opts: { trustedRoot: bytes } };
    },
  },
  {
    name: 'unknown key type',
    code: 'KEY_TYPE_UNSUPPORTED',
    make: (r) => ({ files: base(r, { root: tamper(r.roots[0]!, (s) => withField(s, ['keys', r.keys.targets[0]!.keyId, 'keytype'], 'dsa'), r.profile) }) }),
  },
  {
    name: 'a scheme named after an Object.prototype member',
    code: 'KEY_TYPE_UNSUPPORTED',
    make: (r) => ({ files: base(r, { root: tamper(r.roots[0]!, (s) => withField(withField(s, ['keys', r.keys.targets[0]!.keyId, 'scheme'], 'toString'), ['keys', r.keys.targets[0]!.keyId, 'keytype'], 'constructor'), r.profile) }) }),
  },
  {
    name: 'a "__proto__" key smuggling fields into a target entry',
    code: 'SCHEMA_INVALID',
    async make(r) {
      // Without own length/hashes the entry is incomplete, whatever its prototype would have said.
      const before = Buffer.from(r.targets).toString('utf8');
      const text = before.replace(/"app\.tar\.gz":\{"hashes":\{[^}]*\},"length":\d+\}/, (m) => `"app.tar.gz":{"__proto__":${m.slice('"app.tar.gz":'.length)}}`);
      if (text === before) throw new Error('fixture did not change');
      await r.relink({ targets: enc.encode(text) });
      return { files: base(r) };
    },
  },
  {
    name: 'key type and scheme that do not match',
    code: 'KEY_TYPE_UNSUPPORTED',
    profiles: ['tuf'],
    make: (r) => ({ files: base(r, { root: tamper(r.roots[0]!, (s) => withField(s, ['keys', r.keys.targets[0]!.keyId, 'scheme'], 'ecdsa-sha2-nistp256'), r.profile) }) }),
  },
  {
    name: 'public key that does not decode',
    code: 'KEY_INVALID',
    profiles: ['tuf'],
    make: (r) => ({ files: base(r, { root: tamper(r.roots[0]!, (s) => withField(s, ['keys', r.keys.targets[0]!.keyId, 'keyval', 'public'], '00'.repeat(31)), r.profile) }) }),
  },
  {
    name: 'Notary key ID that is not the hash of the key',
    code: 'KEY_ID_MISMATCH',
    profiles: ['notary'],
    make: (r) =>
      ({
        files: base(r, {
          root: tamper(r.roots[0]!, (s) => {
            const keys = s.keys as JsonObject;
            const id = r.keys.targets[0]!.keyId;
            const other = 'ef'.repeat(32);
            const moved = { ...keys, [other]: keys[id]! };
            delete moved[id];
            return withField(withField(s, ['keys'], moved), ['roles', 'targets', 'keyids'], [other]);
          }, r.profile),
        }),
      }),
  },
  {
    name: 'Notary root key that is not a certificate',
    code: 'KEY_TYPE_UNSUPPORTED',
    profiles: ['notary'],
    async make(r) {
      const plain = await Promise.all([0, 1, 2].map(() => makeKey('notary', 'ecdsa-p256')));
      const bytes = await rootV(r, 1, plain, plain.slice(0, 2));
      return { files: { versionedRoots: new Map(), delegated: new Map(), root: bytes }, opts: { trustedRoot: bytes } };
    },
  },
  {
    name: 'Notary root certificate that is a CA',
    code: 'CERTIFICATE_INVALID',
    profiles: ['notary'],
    async make(r) {
      const ca = await Promise.all([0, 1, 2].map(() => makeKey('notary', 'ecdsa-x509', GUN, { ca: true })));
      const bytes = await rootV(r, 1, ca, ca.slice(0, 2));
      return { files: { versionedRoots: new Map(), delegated: new Map(), root: bytes }, opts: { trustedRoot: bytes } };
    },
  },
  {
    name: 'Notary root certificate expired',
    code: 'CERTIFICATE_INVALID',
    profiles: ['notary'],
    async make(r) {
      const old = await Promise.all([0, 1, 2].map(() => makeKey('notary', 'ecdsa-x509', GUN, { notBefore: new Date('2019-01-01'), notAfter: new Date('2020-01-01') })));
      const bytes = await rootV(r, 1, old, old.slice(0, 2));
      return { files: { versionedRoots: new Map(), delegated: new Map(), root: bytes }, opts: { trustedRoot: bytes } };
    },
  },
  {
    name: 'Notary root certificates for two different repositories',
    code: 'CERTIFICATE_INVALID',
    profiles: ['notary'],
    async make(r) {
      const mixed = [await makeKey('notary', 'ecdsa-x509', GUN), await makeKey('notary', 'ecdsa-x509', 'evil.example.com/other'), await makeKey('notary', 'ecdsa-x509', GUN)];
      const bytes = await rootV(r, 1, mixed, mixed.slice(0, 2));
      return { files: { versionedRoots: new Map(), delegated: new Map(), root: bytes }, opts: { trustedRoot: bytes } };
    },
  },
  // --- signatures ---
  {
    name: 'two signatures by the same key',
    code: 'SIGNATURE_DUPLICATE',
    make: (r) => ({ files: loose(r, { targets: withSignatures(r.targets, (s) => [s[0]!, s[0]!], r.profile) }) }),
  },
  {
    name: 'signature that is not hex/base64',
    code: 'SIGNATURE_ENCODING',
    async make(r) {
      // Re-linked, so snapshot names these very bytes and only the signature is wrong.
      await r.relink({ targets: withSignatures(r.targets, (s) => [{ ...s[0]!, sig: '!!not-a-signature!!' }], r.profile) });
      return { files: base(r) };
    },
  },
  {
    name: 'ECDSA signature in the other encoding (raw in TUF, DER in Notary)',
    code: 'SIGNATURE_ENCODING',
    async make(r) {
      const k = await makeKey(r.profile, 'ecdsa-p256');
      const signed = rootSigned(r.profile, 1, { ...r.keys, root: r.keys.root, targets: [k] });
      const rootBytes = await sign(r.profile, signed, r.keys.root.slice(0, 2));
      const t = await sign(r.profile, parseBytes(r.targets).signed as JsonObject, [k]);
      const flipped = withSignatures(t, (s) => {
        const raw = Buffer.from(s[0]!.sig as string, r.profile === 'tuf' ? 'hex' : 'base64');
        // TUF wants DER: give raw r‖s (64 bytes). Notary wants raw: give a DER-looking blob.
        const other = r.profile === 'tuf' ? Buffer.alloc(64, 7) : Buffer.concat([Buffer.from([0x30, raw.length + 2]), raw]);
        return [{ ...s[0]!, sig: other.toString(r.profile === 'tuf' ? 'hex' : 'base64') }];
      }, r.profile);
      return { files: { versionedRoots: new Map(), delegated: new Map(), root: rootBytes, targets: flipped }, opts: { trustedRoot: rootBytes } };
    },
  },
  {
    name: 'Notary signature method that does not fit the key',
    code: 'SIGNATURE_METHOD_MISMATCH',
    profiles: ['notary'],
    async make(r) {
      await r.relink({ targets: withSignatures(r.targets, (s) => [{ ...s[0]!, method: 'eddsa' }], r.profile) });
      return { files: base(r) };
    },
  },
  {
    name: 'pinned root tampered after signing',
    code: 'THRESHOLD_NOT_MET',
    make: (r) => {
      const bad = tamper(r.roots[0]!, (s) => withField(s, ['expires'], '2099-01-01T00:00:00Z'), r.profile);
      return { files: base(r, { root: bad }), opts: { trustedRoot: bad } };
    },
  },
  {
    name: 'targets signed by the snapshot key (a key of another role)',
    code: 'THRESHOLD_NOT_MET',
    async make(r) {
      const forged = await sign(r.profile, parseBytes(r.targets).signed as JsonObject, r.keys.snapshot);
      await r.relink({ targets: forged });
      return { files: base(r) };
    },
  },
  {
    name: 'delegated role signed by the targets key instead of the delegate',
    code: 'THRESHOLD_NOT_MET',
    async make(r) {
      await r.relink({ delegated: await sign(r.profile, parseBytes(r.delegated).signed as JsonObject, r.keys.targets) });
      return { files: base(r) };
    },
  },
  // --- root chain (TUF 5.3.4) ---
  {
    name: 'root v2 signed only by the old keys',
    code: 'ROOT_NOT_SIGNED_BY_SELF',
    async make(r) {
      const fresh = await Promise.all([0, 1, 2].map(() => makeKey(r.profile, r.profile === 'notary' ? 'ecdsa-x509' : 'ed25519', GUN)));
      const v2 = await rootV(r, 2, fresh, r.keys.root.slice(0, 2));
      return { files: base(r, { root: v2, versionedRoots: new Map([[1, r.roots[0]!]]) }) };
    },
  },
  {
    name: 'root v2 signed only by the new keys',
    code: 'ROOT_NOT_SIGNED_BY_PREVIOUS',
    async make(r) {
      const fresh = await Promise.all([0, 1, 2].map(() => makeKey(r.profile, r.profile === 'notary' ? 'ecdsa-x509' : 'ed25519', GUN)));
      const v2 = await rootV(r, 2, fresh, fresh.slice(0, 2));
      return { files: base(r, { root: v2, versionedRoots: new Map([[1, r.roots[0]!]]) }) };
    },
  },
  {
    name: 'root v3 offered after v1, v2 skipped',
    code: 'ROOT_VERSION_SKIPPED',
    async make(r) {
      const v3 = await rootV(r, 3, r.keys.root, r.keys.root.slice(0, 2));
      return { files: base(r, { root: v3, versionedRoots: new Map([[1, r.roots[0]!]]) }) };
    },
  },
  {
    name: '2.root.json that holds version 3',
    code: 'VERSION_MISMATCH',
    async make(r) {
      const v3 = await rootV(r, 3, r.keys.root, r.keys.root.slice(0, 2));
      return { files: base(r, { versionedRoots: new Map([[1, r.roots[0]!], [2, v3]]) }) };
    },
  },
  {
    name: 'root.json that is not the root the pin names (same version, other file)',
    code: 'TRUSTED_ROOT_MISMATCH',
    async make(r) {
      const other = await rootV(r, 1, r.keys.root, r.keys.root.slice(0, 3));
      return { files: base(r, { root: other, versionedRoots: new Map() }) };
    },
  },
  {
    name: 'root older than the pinned root',
    code: 'ROLLBACK',
    async make(r) {
      const v2 = await rootV(r, 2, r.keys.root, r.keys.root.slice(0, 2));
      return { files: base(r, { versionedRoots: new Map() }), opts: { trustedRoot: v2 } };
    },
  },
  // --- rollback against what is installed ---
  {
    name: 'root older than the installed root',
    code: 'ROLLBACK',
    make: (r) => ({ files: base(r), opts: { installed: { root: 3 } } }),
  },
  {
    name: 'targets older than the installed targets',
    code: 'ROLLBACK',
    make: (r) => ({ files: base(r), opts: { installed: installedAt(r, { targets: 5 }) } }),
  },
  {
    name: 'timestamp older than the installed timestamp',
    code: 'ROLLBACK',
    make: (r) => ({ files: base(r), opts: { installed: installedAt(r, { timestamp: 7 }) } }),
  },
  {
    name: 'snapshot drops a role the installed snapshot listed',
    code: 'SNAPSHOT_META_REMOVED',
    make: (r) => ({ files: base(r), opts: { installed: installedAt(r, { snapshotMeta: { targets: 1, 'gone-role': 1 } }) } }),
  },
  // --- freeze ---
  {
    name: 'targets expired',
    code: 'EXPIRED',
    async make(r) {
      await r.relink({ targets: await sign(r.profile, withField(parseBytes(r.targets).signed as JsonObject, ['expires'], PAST), r.keys.targets) });
      return { files: base(r) };
    },
  },
  {
    // Date.UTC reads years 0–99 as 1900–1999: this was DATE_INVALID ("does not exist"), not a freeze.
    name: 'targets that expired in the year 50',
    code: 'EXPIRED',
    async make(r) {
      await r.relink({ targets: await sign(r.profile, withField(parseBytes(r.targets).signed as JsonObject, ['expires'], '0050-06-01T00:00:00Z'), r.keys.targets) });
      return { files: base(r) };
    },
  },
  {
    name: 'root expired',
    code: 'EXPIRED',
    async make(r) {
      const old = await rootV(r, 1, r.keys.root, r.keys.root.slice(0, 2), PAST);
      return { files: base(r, { root: old, versionedRoots: new Map() }), opts: { trustedRoot: old } };
    },
  },
  {
    name: 'timestamp expired',
    code: 'EXPIRED',
    async make(r) {
      const snap = parseBytes(r.snapshot).signed as JsonObject;
      const ts = { ...(parseBytes(r.timestamp).signed as JsonObject), expires: PAST, meta: { [metaKey(r.profile, 'snapshot')]: metaEntry(r.profile, r.snapshot, snap.version as number) } };
      await r.relink({ timestampSigned: ts });
      return { files: base(r) };
    },
  },
  // --- mix and match ---
  {
    name: 'targets from another build than the snapshot names (hash)',
    code: 'HASH_MISMATCH',
    async make(r) {
      const other = await sign(r.profile, withField(parseBytes(r.targets).signed as JsonObject, ['targets', 'app.tar.gz', 'length'], 7), r.keys.targets);
      // Same length as the original, so only the hash tells them apart.
      const padded = other.length === r.targets.length ? other : other;
      return { files: base(r, { targets: padded }) };
    },
  },
  {
    name: 'targets whose length differs from the snapshot record',
    code: 'LENGTH_MISMATCH',
    async make(r) {
      const other = await sign(r.profile, withField(parseBytes(r.targets).signed as JsonObject, ['targets', 'extra.bin'], { length: 1, hashes: { sha256: r.profile === 'tuf' ? 'ab'.repeat(32) : 'q'.repeat(43) + '=' } }), r.keys.targets);
      return { files: base(r, { targets: other }) };
    },
  },
  {
    name: 'snapshot names another targets version (TUF)',
    code: 'VERSION_MISMATCH',
    profiles: ['tuf'],
    async make(r) {
      const snap = parseBytes(r.snapshot).signed as JsonObject;
      const edited = withField(snap, ['meta', 'targets.json', 'version'], 2);
      await r.relink({ snapshotSigned: edited });
      return { files: base(r) };
    },
  },
  {
    name: 'timestamp names a snapshot with another hash',
    code: 'HASH_MISMATCH',
    async make(r) {
      const other = await sign(r.profile, withField(parseBytes(r.snapshot).signed as JsonObject, ['expires'], '2090-01-01T00:00:00Z'), r.keys.snapshot);
      return { files: base(r, { snapshot: other }) };
    },
  },
  {
    name: 'timestamp without its snapshot',
    code: 'META_MISSING',
    make: (r) => ({ files: { ...base(r), snapshot: undefined } as RepositoryFiles }),
  },
  // --- Notary FileMeta as notary 0.7 requires it (tuf/data snapshot.go, timestamp.go; review 15c M1) ---
  {
    name: 'NH4: Notary snapshot without the root entry',
    code: 'SCHEMA_INVALID',
    path: 'snapshot.json $.signed.meta',
    profiles: ['notary'],
    async make(r) {
      const snap = parseBytes(r.snapshot).signed as JsonObject;
      await r.relink({ snapshotSigned: withField(snap, ['meta', 'root'], undefined) });
      return { files: base(r) };
    },
  },
  {
    name: 'NH5: Notary snapshot meta for targets with sha512 only',
    code: 'SCHEMA_INVALID',
    path: 'snapshot.json $.signed.meta.targets.hashes.sha256',
    profiles: ['notary'],
    async make(r) {
      const snap = parseBytes(r.snapshot).signed as JsonObject;
      await r.relink({ snapshotSigned: withField(snap, ['meta', 'targets', 'hashes', 'sha256'], undefined) });
      return { files: base(r) };
    },
  },
  {
    name: 'NH6: Notary snapshot meta for root with sha512 only',
    code: 'SCHEMA_INVALID',
    path: 'snapshot.json $.signed.meta.root.hashes.sha256',
    profiles: ['notary'],
    async make(r) {
      const snap = parseBytes(r.snapshot).signed as JsonObject;
      await r.relink({ snapshotSigned: withField(snap, ['meta', 'root', 'hashes', 'sha256'], undefined) });
      return { files: base(r) };
    },
  },
  {
    name: 'NH7: Notary timestamp meta for snapshot with sha512 only',
    code: 'SCHEMA_INVALID',
    path: 'timestamp.json $.signed.meta.snapshot.hashes.sha256',
    profiles: ['notary'],
    async make(r) {
      const ts = parseBytes(r.timestamp).signed as JsonObject;
      await r.relink({ timestampSigned: withField(ts, ['meta', 'snapshot', 'hashes', 'sha256'], undefined) });
      return { files: base(r) };
    },
  },
  // --- delegations ---
  {
    name: 'a delegated file no role delegates to',
    code: 'DELEGATION_INVALID',
    make: (r) => ({ files: { ...base(r), delegated: new Map([[r.delegationName, r.delegated], [r.profile === 'tuf' ? 'stranger' : 'targets/stranger', r.delegated]]) } }),
  },
  {
    // notary IsDelegation: its client refuses the whole targets.json (ErrInvalidMetadata); before, it was installed.
    name: 'a Notary delegation named outside Notary\'s alphabet (upper case)',
    code: 'DELEGATION_INVALID',
    profiles: ['notary'],
    async make(r) {
      const t = parseBytes(r.targets).signed as JsonObject;
      await r.relink({ targets: await sign(r.profile, withField(t, ['delegations', 'roles', 0, 'name'], 'targets/Releases'), r.keys.targets) });
      return { files: { ...base(r), delegated: new Map() } };
    },
  },
  {
    // notary IsParentOf / GetValidDelegations: its client never follows targets → targets/a/b; before, it was verified and installed.
    name: 'a Notary delegation to a grandchild (targets.json → targets/a/b), its file carried',
    code: 'DELEGATION_INVALID',
    profiles: ['notary'],
    async make(r) {
      const t = parseBytes(r.targets).signed as JsonObject;
      await r.relink({ targets: await sign(r.profile, withField(t, ['delegations', 'roles', 0, 'name'], 'targets/a/b'), r.keys.targets) });
      return { files: loose(r, { delegated: new Map([['targets/a/b', r.delegated]]) }) };
    },
  },
  {
    // TAP 15 (TUF 1.0.31 §4.5): tuf-js reads it; refused as what it is, not as a missing "roles" (review 15c L3).
    name: 'succinct_roles (TAP 15) hashed bins',
    code: 'DELEGATION_UNSUPPORTED',
    path: 'targets.json $.signed.delegations.succinct_roles',
    async make(r) {
      const t = parseBytes(r.targets).signed as JsonObject;
      const keys = (t.delegations as JsonObject).keys as JsonObject;
      const succinct = { keys, succinct_roles: { keyids: Object.keys(keys), threshold: 1, bit_length: 8, name_prefix: 'bin' } };
      await r.relink({ targets: await sign(r.profile, withField(t, ['delegations'], succinct), r.keys.targets) });
      return { files: { ...base(r), delegated: new Map() } };
    },
  },
  {
    name: 'a delegation whose name climbs out of the directory',
    code: 'DELEGATION_INVALID',
    async make(r) {
      const t = parseBytes(r.targets).signed as JsonObject;
      const bad = withField(t, ['delegations', 'roles', 0, 'name'], r.profile === 'tuf' ? '../../etc/passwd' : 'targets/../../x');
      await r.relink({ targets: await sign(r.profile, bad, r.keys.targets) });
      return { files: base(r) };
    },
  },
  // --- cost: the referrer's length and hashes are checked before a byte is parsed (issue #12) ---
  {
    name: 'targets.json replaced by a value bomb: refused by its length before it is parsed',
    code: 'LENGTH_MISMATCH',
    make: (r) => ({ files: base(r, { targets: enc.encode(`{"signed":[${'{},'.repeat(400_000)}{}],"signatures":[]}`) }) }),
  },
  {
    name: 'targets.json replaced by malformed bytes of the recorded length: refused by its hash, not parsed',
    code: 'HASH_MISMATCH',
    make: (r) => ({ files: base(r, { targets: enc.encode(`{${' '.repeat(r.targets.length - 1)}`) }) }),
  },
  {
    name: 'snapshot.json replaced by malformed bytes of the recorded length: refused by its hash, not parsed',
    code: 'HASH_MISMATCH',
    make: (r) => ({ files: base(r, { snapshot: enc.encode(`[${' '.repeat(r.snapshot.length - 1)}`) }) }),
  },
  {
    name: 'a delegated file padded with whitespace: refused by its length before it is parsed',
    code: 'LENGTH_MISMATCH',
    make: (r) => ({ files: base(r, { delegated: new Map([[r.delegationName, enc.encode(`${Buffer.from(r.delegated).toString('utf8')}${' '.repeat(1 << 20)}`)]]) }) }),
  },
  {
    name: 'with no referrer, a document over the shared value budget',
    code: 'JSON_TOO_MANY_VALUES',
    make: (r) => ({ files: loose(r, { targets: enc.encode(`{"signed":[${'{},'.repeat(5000)}{}],"signatures":[]}`) }), opts: { caps: { ...DEFAULT_CAPS, repositoryValues: 1000 } } }),
  },
  // --- N.root.json at or below the pin is read, never carried along unread (issue #12) ---
  {
    name: '1.root.json that is not the pinned version-1 root',
    code: 'TRUSTED_ROOT_MISMATCH',
    async make(r) {
      const other = await rootV(r, 1, r.keys.root, r.keys.root.slice(0, 3));
      return { files: base(r, { versionedRoots: new Map([[1, other]]) }) };
    },
  },
  {
    name: '1.root.json that is garbage below a pin at version 2',
    code: 'JSON_MALFORMED',
    async make(r) {
      const v2 = await rootV(r, 2, r.keys.root, r.keys.root.slice(0, 2));
      return { files: base(r, { root: v2, versionedRoots: new Map([[1, enc.encode('not a root')], [2, v2]]) }), opts: { trustedRoot: v2 } };
    },
  },
  {
    name: '1.root.json of another repository below a pin at version 2',
    code: 'ROOT_CHAIN_BROKEN',
    async make(r) {
      const v2 = await rootV(r, 2, r.keys.root, r.keys.root.slice(0, 2));
      const strangers = await Promise.all([0, 1, 2].map(() => makeKey(r.profile, r.profile === 'notary' ? 'ecdsa-x509' : 'ed25519', GUN)));
      const foreign = await rootV(r, 1, strangers, strangers.slice(0, 2));
      return { files: base(r, { root: v2, versionedRoots: new Map([[1, foreign], [2, v2]]) }), opts: { trustedRoot: v2 } };
    },
  },
  {
    name: 'older roots with a gap below the pin (1.root.json, no 2, pin at 3)',
    code: 'ROOT_VERSION_SKIPPED',
    async make(r) {
      const v2 = await rootV(r, 2, r.keys.root, r.keys.root.slice(0, 2));
      const v3 = await rootV(r, 3, r.keys.root, r.keys.root.slice(0, 2));
      void v2;
      return { files: base(r, { root: v3, versionedRoots: new Map([[1, r.roots[0]!], [3, v3]]) }), opts: { trustedRoot: v3 } };
    },
  },
];

function installedAt(r: BuiltRepo, extra: Partial<TrustedVersions>): TrustedVersions {
  void r;
  return { root: 1, ...extra };
}

const fixtures: Partial<Record<ProfileName, () => Promise<BuiltRepo>>> = {
  tuf: () => buildRepo('tuf'),
  notary: () => buildRepo('notary'),
};

for (const profile of ['tuf', 'notary'] as const) {
  describe(`hostile metadata (${profile} profile)`, () => {
    let clean: BuiltRepo;
    beforeAll(async () => {
      clean = await fixtures[profile]!();
    });

    it('accepts the untampered repository', () => {
      const repo = verifyRepository(clean.files(), { trustedRoot: clean.roots[0]!, now: new Date() });
      expect(repo.targets?.md.signed.targets.size).toBe(2);
      expect(repo.delegated.get(clean.delegationName)?.result.verified).toBe(true);
    });

    it('accepts the pin\'s own history below it: 1.root.json → 2.root.json (the pin) → 3', async () => {
      const r = await fixtures[profile]!();
      const v2 = await rootV(r, 2, r.keys.root, r.keys.root.slice(0, 2));
      const v3 = await rootV(r, 3, r.keys.root, r.keys.root.slice(0, 2));
      r.roots.push(v2, v3);
      await r.relink({}); // Notary's snapshot binds root.json
      const repo = verifyRepository({ ...r.files(), root: v3, versionedRoots: new Map([[1, r.roots[0]!], [2, v2], [3, v3]]) }, { trustedRoot: v2, now: new Date() });
      expect(repo.root.signed.version).toBe(3);
      expect(repo.rootChain.map((c) => c.version)).toEqual([3]);
    });

    for (const c of cases.filter((x) => !x.profiles || x.profiles.includes(profile))) {
      it(`${c.name} → ${c.code}`, async () => {
        // Each case works on its own copy, since some re-link snapshot/timestamp.
        const r = await fixtures[profile]!();
        const { files, opts } = await c.make(r);
        let thrown: unknown;
        try {
          verifyRepository(files, { trustedRoot: r.roots[0]!, now: new Date(), ...opts });
        } catch (err) {
          thrown = err;
        }
        expect(thrown, 'must be refused').toBeInstanceOf(CeremonyError);
        expect((thrown as CeremonyError).code).toBe(c.code);
        if (c.path !== undefined) expect((thrown as CeremonyError).path).toBe(c.path);
        expect((thrown as CeremonyError).message.length).toBeGreaterThan(10);
      });
    }
  });
}

it('the table has at least 30 distinct hostile cases with distinct names', () => {
  expect(cases.length).toBeGreaterThanOrEqual(30);
  expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
});

describe('Notary FileMeta controls notary 0.7 accepts too (review 15c NH1, NH8)', () => {
  it('NH1: sha256 only, no sha512, in snapshot → root, targets and timestamp → snapshot is accepted', async () => {
    const r = await buildRepo('notary');
    const sha256Only = (m: JsonValue | undefined): JsonObject => withField(m as JsonObject, ['hashes', 'sha512'], undefined);
    const snap = parseBytes(r.snapshot).signed as JsonObject;
    const meta = snap.meta as JsonObject;
    await r.relink({ snapshotSigned: { ...snap, meta: { ...meta, root: sha256Only(meta.root), targets: sha256Only(meta.targets) } } });
    // The timestamp over the snapshot just signed, re-signed with sha256 only.
    const ts = parseBytes(r.timestamp).signed as JsonObject;
    r.timestamp = await sign('notary', withField(ts, ['meta', 'snapshot'], sha256Only((ts.meta as JsonObject).snapshot)), r.keys.timestamp);
    const repo = verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: new Date() });
    expect(Object.keys(repo.timestamp!.md.signed.snapshot.hashes!)).toEqual(['sha256']);
    expect(Object.keys(repo.snapshot!.md.signed.meta.get('root')!.hashes!)).toEqual(['sha256']);
  });

  it('NH8: an unknown algorithm beside sha256 in timestamp → snapshot is accepted (notary ignores it, as we do)', async () => {
    const r = await buildRepo('notary');
    const ts = parseBytes(r.timestamp).signed as JsonObject;
    r.timestamp = await sign('notary', withField(ts, ['meta', 'snapshot', 'hashes', 'sha3'], 'AAAA'), r.keys.timestamp);
    expect(() => verifyRepository(r.files(), { trustedRoot: r.roots[0]!, now: new Date() })).not.toThrow();
  });
});
