/**
 * Property-based fuzzing (fast-check) of every parser of hostile input (issue #12): metadata of each role
 * in both profiles (through the full verification, as `verify` runs it), bundles (decoder and
 * repository), QR frames (parser and assembler), signing requests, share cards, ceremony plans. Each
 * mutation of a valid document — bytes flipped, inserted, deleted, duplicated or cut; or a JSON member
 * replaced, deleted or added and the document re-serialised — is either accepted or refused with a
 * registered CeremonyError code: never another exception, never INTERNAL.
 *
 * Fixed seed and modest runs here (part of `vitest`); `npm run fuzz` runs longer with a random seed.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { bundleRepositoryFiles, decodeBundle, encodeBundle } from '../../src/bundle/format.js';
import { inspectNamedFiles } from '../../src/inspect/inspect.js';
import { parseJsonStrict } from '../../src/json/parse.js';
import type { JsonValue } from '../../src/json/types.js';
import { parsePlan } from '../../src/ceremony/plan.js';
import { rehearsalPlan } from '../../src/ceremony/rehearsal-plan.js';
import { canonicalBytes } from '../../src/json/canonical.js';
import { buildRotationPayload, buildSigningRequest, parseSigningRequest, serializeSigningRequest } from '../../src/rotation/index.js';
import { formatShareCard, parseShareCard } from '../../src/shamir/card.js';
import { splitKey } from '../../src/shamir/split.js';
import { encodeQrFrames, QrAssembler } from '../../src/transport/qr/index.js';
import { verifyRepository, type RepositoryFiles } from '../../src/tuf/repository.js';
import { buildRepo, type BuiltRepo } from '../support/repo.js';
import { bundleContent } from '../support/trust-tree.js';
import { EXPIRES_V2, rootFixture } from '../unit/rotation/support.js';
import { acceptedOrRefused, byteMutation, jsonBytes, jsonMutation, mutateBytes, mutateJson, params } from './support.js';

// Many runs of real signature checks: generous on a loaded machine (no timing is asserted).
vi.setConfig({ testTimeout: 180_000 });

type Part = 'root' | 'timestamp' | 'snapshot' | 'targets' | 'delegated';
const PARTS: Part[] = ['root', 'timestamp', 'snapshot', 'targets', 'delegated'];

function withPart(r: BuiltRepo, part: Part, bytes: Uint8Array): RepositoryFiles {
  const files = r.files();
  if (part === 'delegated') files.delegated = new Map([[r.delegationName, bytes]]);
  else if (part === 'root') {
    files.root = bytes;
    files.versionedRoots = new Map();
  } else files[part] = bytes;
  return files;
}

function bytesOf(r: BuiltRepo, part: Part): Uint8Array {
  return part === 'root' ? r.roots[0]! : part === 'delegated' ? r.delegated : r[part];
}

for (const profile of ['tuf', 'notary'] as const) {
  describe(`metadata of each role, ${profile} profile (verification of the whole repository)`, () => {
    let r: BuiltRepo;
    beforeAll(async () => {
      r = await buildRepo(profile);
    });

    it('byte mutations of any one file', () => {
      fc.assert(
        fc.property(fc.constantFrom(...PARTS), byteMutation, (part, m) => {
          const files = withPart(r, part, mutateBytes(bytesOf(r, part), m));
          acceptedOrRefused(() => verifyRepository(files, { trustedRoot: r.roots[0]!, now: new Date() }));
        }),
        params(profile === 'tuf' ? 1201 : 1202, 150),
      );
    });

    it('JSON mutations of any one file (re-serialised: referrer hashes then refuse them, so also verified without referrers)', () => {
      fc.assert(
        fc.property(fc.constantFrom(...PARTS), jsonMutation, fc.boolean(), (part, m, loose) => {
          const doc = parseJsonStrict(bytesOf(r, part), { maxBytes: 1 << 20, path: '$' });
          let mutated: Uint8Array;
          try {
            mutated = jsonBytes(mutateJson(doc, m));
          } catch {
            return; // not encodable (a value canonical JSON cannot hold): nothing to send
          }
          const files = withPart(r, part, mutated);
          if (loose && part !== 'timestamp') {
            // Without timestamp and snapshot the mutated targets/delegated file is parsed, not refused by a hash.
            delete files.timestamp;
            delete files.snapshot;
          }
          acceptedOrRefused(() => verifyRepository(files, { trustedRoot: r.roots[0]!, now: new Date() }));
          acceptedOrRefused(() => inspectNamedFiles({ files: [{ name: 'x.json', bytes: mutated }] }));
        }),
        params(profile === 'tuf' ? 1203 : 1204, 150),
      );
    });
  });
}

describe('bundles (decoder, repository classification, verification, inspect)', () => {
  let r: BuiltRepo;
  let bundle: Uint8Array;
  beforeAll(async () => {
    r = await buildRepo('notary', { rootVersions: 2 });
    bundle = encodeBundle(bundleContent(r, 'registry.example.com/org/app'));
  });

  it('byte mutations anywhere in the bundle', () => {
    fc.assert(
      fc.property(fc.array(byteMutation, { minLength: 1, maxLength: 3 }), (ms) => {
        const bytes = ms.reduce((b, m) => mutateBytes(b, m), bundle);
        acceptedOrRefused(() => {
          const decoded = decodeBundle(bytes);
          verifyRepository(bundleRepositoryFiles(decoded), { trustedRoot: r.roots[0]!, now: new Date() });
        });
      }),
      params(1210, 200),
    );
  });

  it('byte mutations concentrated in the manifest line', () => {
    const end = bundle.indexOf(0x0a, 19);
    fc.assert(
      fc.property(byteMutation, (m) => {
        const head = mutateBytes(bundle.subarray(0, end), m);
        const bytes = new Uint8Array(Buffer.concat([head, bundle.subarray(end)]));
        acceptedOrRefused(() => decodeBundle(bytes));
      }),
      params(1211, 200),
    );
  });
});

describe('QR frames (parser and assembler)', () => {
  const payload = new Uint8Array(1800).map((_, i) => (i * 7 + 3) & 0xff);
  const frames = encodeQrFrames(payload, { count: 40 }).parts;

  it('a mutated frame is taken or refused, and the assembler still reassembles the real bundle or refuses (never wrong bytes)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: frames.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 25 }), fc.constantFrom('set', 'delete', 'insert', 'case')), { minLength: 1, maxLength: 4 }), (which, edits) => {
        let text = frames[which]!;
        for (const [at, letter, kind] of edits) {
          const i = at % (text.length + 1);
          const ch = String.fromCharCode((kind === 'case' ? 97 : 65) + letter);
          text = kind === 'delete' ? text.slice(0, i) + text.slice(i + 1) : kind === 'insert' ? text.slice(0, i) + ch + text.slice(i) : text.slice(0, i) + ch + text.slice(i + 1);
        }
        const a = new QrAssembler();
        acceptedOrRefused(() => a.receive(text));
        for (const f of frames) {
          if (a.complete) break;
          acceptedOrRefused(() => a.receive(f));
        }
        if (a.complete) {
          const out = acceptedOrRefused(() => expect(Buffer.from(a.result()).equals(Buffer.from(payload))).toBe(true));
          expect(['accepted', 'QR_MESSAGE_CHECKSUM', 'QR_FRAME_INVALID']).toContain(out);
        }
      }),
      params(1220, 60),
    );
  });

  it('arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ maxLength: 120 }).map((s) => `ur:x-tuf-ceremony-bundle/${s}`), fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `UR:X-TUF-CEREMONY-BUNDLE/${a}-${b}/AEAEAEAE`)), (text) => {
        acceptedOrRefused(() => new QrAssembler().receive(text));
      }),
      params(1221, 300),
    );
  });
});

describe('signing requests, share cards, plans', () => {
  let request: Uint8Array;
  let card: string;
  let plan: JsonValue;
  beforeAll(async () => {
    const fx = await rootFixture('tuf');
    request = serializeSigningRequest(buildSigningRequest(buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { threshold: 3 } }, { names: fx.names }), { repository: 'r' }));
    const seedBytes = Uint8Array.from(Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'));
    card = formatShareCard((await splitKey('ed25519', seedBytes, { threshold: 2, shares: 3, label: 'registry.example.com/org/app' })).cards[0]!);
    plan = rehearsalPlan({ profile: 'tuf', repository: 'fuzz/plan', now: new Date() });
  });

  it('signing request: byte and JSON mutations', () => {
    fc.assert(
      fc.property(fc.oneof(byteMutation.map((m) => ({ m })), jsonMutation.map((j) => ({ j }))), (mut) => {
        let bytes: Uint8Array;
        if ('m' in mut) bytes = mutateBytes(request, mut.m);
        else {
          try {
            bytes = jsonBytes(mutateJson(parseJsonStrict(request, { maxBytes: 1 << 22, path: '$' }), mut.j));
          } catch {
            return;
          }
        }
        acceptedOrRefused(() => parseSigningRequest(bytes));
      }),
      params(1230, 150),
    );
  });

  it('share card: character mutations of the typed text', () => {
    fc.assert(
      fc.property(byteMutation, (m) => {
        const bytes = mutateBytes(new TextEncoder().encode(card), m);
        acceptedOrRefused(() => parseShareCard(bytes, { source: 'card.txt' }));
      }),
      params(1231, 200),
    );
  });

  it('ceremony plan: JSON and byte mutations', () => {
    const bytes = canonicalBytes(plan, 'json');
    fc.assert(
      fc.property(fc.oneof(byteMutation.map((m) => ({ m })), jsonMutation.map((j) => ({ j }))), (mut) => {
        let b: Uint8Array;
        if ('m' in mut) b = mutateBytes(bytes, mut.m);
        else {
          try {
            b = jsonBytes(mutateJson(plan, mut.j));
          } catch {
            return;
          }
        }
        acceptedOrRefused(() => parsePlan(b, { rehearsal: true }));
      }),
      params(1232, 200),
    );
  });
});
