/**
 * Review 15a F1–F3, end to end: signing requests whose payload carries field names Go clients (notary,
 * go-tuf) fold onto real fields — `"threſhold"`/`"keyidſ"` in root's roles (F1), the same in one
 * repository of a batch (F2), `"haſhes"` on a target entry and `"pathſ"`/`"threſhold"` on a delegation
 * (F3) — with their request (and batch) IDs recomputed, as anyone editing a request can. Each is refused
 * when read, by the library and by `sign` / `inspect`, with FIELD_NAME_AMBIGUOUS at the key's path.
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { canonicalString } from '../../../src/json/canonical.js';
import { child } from '../../../src/json/fields.js';
import type { JsonObject } from '../../../src/json/types.js';
import { getProfile } from '../../../src/profiles/index.js';
import type { ProfileName } from '../../../src/profiles/profile.js';
import {
  buildRotationPayload,
  buildSigningRequest,
  buildTargetsPayload,
  buildTargetsSigningRequest,
  parseBatchRequest,
  parseSigningRequest,
  requestIdForDocument,
  serializeSigningRequest,
} from '../../../src/rotation/index.js';
import { captureIo } from '../../support/cli-io.js';
import { refusal } from '../../support/refusal.js';
import { tempDirs } from '../../support/temp-dirs.js';
import { backupOnShareCards, EXPIRES_V2, GUN, makeCustodian, makeRoleKey, rootFixture, signAs, type Custodian } from './support.js';

const tmp = tempDirs();
const S = '\u017f';
const enc = new TextEncoder();
const json = (bytes: Uint8Array): JsonObject => JSON.parse(Buffer.from(bytes).toString('utf8')) as JsonObject;
const obj = (v: unknown): JsonObject => v as JsonObject;

function rehash(doc: JsonObject): JsonObject {
  doc.requestId = requestIdForDocument(doc);
  return doc;
}

/** A batch document over these requests with its batch ID recomputed (rotation/batch.ts batchIdOf). */
function batchDoc(reqs: JsonObject[]): JsonObject {
  // From the documents, not their parse (which refuses the hostile one): payloadSha256 is of the canonical payload.
  const list = reqs.map((r): JsonObject => ({
    payloadSha256: createHash('sha256').update(getProfile(r.profile as ProfileName).canonical(obj(r.payload))).digest('hex'),
    repository: r.repository as string,
    requestId: r.requestId as string,
  }));
  const batchId = createHash('sha256').update('tuf-ceremony batch signing request v1\n').update(canonicalString(list, 'json')).digest('hex');
  return { format: 'tuf-ceremony-batch-signing-request', version: 1, requests: reqs, batchId };
}

/** The F1 edit: roles.root gains `"threſhold": 1` and `"keyidſ": [one key]`. */
function withF1(doc: JsonObject, keyId: string): JsonObject {
  const root = obj(obj(obj(doc.payload).roles).root);
  root[`thre${S}hold`] = 1;
  root[`keyid${S}`] = [keyId];
  return rehash(doc);
}

const F1_PATH = '$.payload.roles.root["thre\\u017fhold"]';

describe('root requests (F1, F2)', () => {
  let dir: string;
  let cardPaths: string[];
  let honest: JsonObject[];
  let dave: Custodian;

  beforeAll(async () => {
    dir = tmp('tufc-go-fold-');
    const cards = await backupOnShareCards(dir);
    cardPaths = cards.cardPaths;
    const alice = await makeCustodian('tuf', 'Alice');
    const bob = await makeCustodian('tuf', 'Bob');
    dave = await makeCustodian('tuf', 'Dave');
    honest = [];
    for (const repo of ['site/app-1', 'site/app-2', 'site/app-3']) {
      const fx = await rootFixture('tuf', [alice, bob, cards.backup]);
      const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2, root: { replace: [{ old: alice.listed.keyId, new: { json: dave.listed.json, name: 'Dave' }, reason: 'retired' }] } }, { names: fx.names });
      honest.push(json(serializeSigningRequest(buildSigningRequest(payload, { repository: repo }))));
    }
  });

  const clone = (i: number): JsonObject => structuredClone(honest[i]!);

  it('F1: the request is refused when read, at the folded key', () => {
    parseSigningRequest(enc.encode(JSON.stringify(clone(0)))); // the honest one reads
    const err = refusal(() => parseSigningRequest(enc.encode(JSON.stringify(withF1(clone(0), dave.listed.keyId)))));
    expect({ code: err.code, path: err.path }).toEqual({ code: 'FIELD_NAME_AMBIGUOUS', path: F1_PATH });
    expect(err.message).toContain('read it as "threshold"');
  });

  it('F1: sign refuses it (exit 1, error[FIELD_NAME_AMBIGUOUS]) and writes nothing', async () => {
    const path = join(dir, 'f1.json');
    writeFileSync(path, JSON.stringify(withF1(clone(0), dave.listed.keyId)));
    const out = join(dir, 'f1-backup.json');
    const c = captureIo();
    expect(await runCli(['sign', path, '--share-card', ...cardPaths, '--out', out], c.io)).toBe(1);
    const text = c.err.join('\n');
    expect(text).toContain('error[FIELD_NAME_AMBIGUOUS]');
    expect(text).toContain('thre\\u017fhold');
    expect(text).not.toContain('\u017f');
    expect(existsSync(out)).toBe(false);
  });

  it('F1: a key object with "\\u212aeytype" is refused at the key', () => {
    const doc = clone(0);
    const keys = obj(obj(doc.payload).keys);
    const id = (obj(obj(obj(doc.payload).roles).targets).keyids as string[])[0]!;
    obj(keys[id])['\u212aeytype'] = 'rsa';
    const err = refusal(() => parseSigningRequest(enc.encode(JSON.stringify(rehash(doc)))));
    expect({ code: err.code, path: err.path }).toEqual({ code: 'FIELD_NAME_AMBIGUOUS', path: `${child('$.payload.keys', id)}["\\u212aeytype"]` });
  });

  it('F2: a batch with one such repository is refused when read, and by sign', async () => {
    const batch = batchDoc([clone(0), withF1(clone(1), dave.listed.keyId), clone(2)]);
    const err = refusal(() => parseBatchRequest(enc.encode(JSON.stringify(batch))));
    expect({ code: err.code, path: err.path }).toEqual({ code: 'FIELD_NAME_AMBIGUOUS', path: F1_PATH.replace('$', '$.requests[1]') });
    const path = join(dir, 'f2-batch.json');
    writeFileSync(path, JSON.stringify(batch));
    const out = join(dir, 'f2-backup.json');
    const c = captureIo();
    expect(await runCli(['sign', path, '--share-card', ...cardPaths, '--out', out], c.io)).toBe(1);
    expect(c.err.join('\n')).toContain('error[FIELD_NAME_AMBIGUOUS]');
    expect(existsSync(out)).toBe(false);
  });
});

it('F1 (Notary profile): roles.root "threſhold" is refused', async () => {
  const fx = await rootFixture('notary');
  const payload = buildRotationPayload(fx.rootV1, { expires: EXPIRES_V2 }, { names: fx.names });
  const doc = json(serializeSigningRequest(buildSigningRequest(payload, { repository: GUN })));
  obj(obj(obj(doc.payload).roles).root)[`thre${S}hold`] = 1;
  const err = refusal(() => parseSigningRequest(enc.encode(JSON.stringify(rehash(doc)))));
  expect({ code: err.code, path: err.path }).toEqual({ code: 'FIELD_NAME_AMBIGUOUS', path: F1_PATH });
});

/** targets.json v1 with one target ("v1.2") and one delegation, and a request renewing its expiry (review 15a's fixture). */
async function targetsRequest(profile: ProfileName): Promise<JsonObject> {
  const fx = await rootFixture(profile);
  const ci = makeRoleKey(profile, 'CI');
  const body = enc.encode('app 1.2');
  const digest = createHash('sha256').update(body).digest(profile === 'tuf' ? 'hex' : 'base64');
  const role: JsonObject = { name: profile === 'notary' ? 'targets/releases' : 'releases', keyids: [ci.listed.keyId], threshold: 1, paths: profile === 'notary' ? [''] : ['releases/*'] };
  if (profile === 'tuf') role.terminating = false;
  const signed: JsonObject = {
    _type: profile === 'tuf' ? 'targets' : 'Targets',
    version: 1,
    expires: EXPIRES_V2,
    targets: { 'v1.2': { length: body.length, hashes: { sha256: digest } } },
    delegations: { keys: { [ci.listed.keyId]: ci.listed.json }, roles: [role] },
  };
  if (profile === 'tuf') signed.spec_version = '1.0.31';
  const targetsV1 = await signAs(profile, signed, [fx.targets]);
  const p = buildTargetsPayload(fx.rootV1, targetsV1, { expires: EXPIRES_V2 });
  return json(serializeSigningRequest(buildTargetsSigningRequest(p, { repository: 'site/app', names: new Map([[fx.targets.listed.keyId, 'Alice (targets)'], [ci.listed.keyId, 'CI']]) })));
}

describe.each(['tuf', 'notary'] as const)('targets requests (F3, %s)', (profile) => {
  let honest: JsonObject;
  beforeAll(async () => {
    honest = await targetsRequest(profile);
  });

  it('the honest request reads', () => {
    parseSigningRequest(enc.encode(JSON.stringify(honest)));
  });

  it('a target entry with "haſhes" is refused when read and by inspect', async () => {
    const doc = structuredClone(honest);
    const entry = obj(obj(obj(doc.payload).targets)['v1.2']);
    entry[`ha${S}hes`] = { sha256: createHash('sha256').update('evil image').digest(profile === 'tuf' ? 'hex' : 'base64') };
    rehash(doc);
    const err = refusal(() => parseSigningRequest(enc.encode(JSON.stringify(doc))));
    expect({ code: err.code, path: err.path }).toEqual({ code: 'FIELD_NAME_AMBIGUOUS', path: '$.payload.targets["v1.2"]["ha\\u017fhes"]' });
    const file = join(tmp('tufc-go-fold-t-'), 'targets.request.json');
    writeFileSync(file, JSON.stringify(doc));
    const c = captureIo();
    expect(await runCli(['inspect', file], c.io)).toBe(1);
    expect(c.err.join('\n')).toContain('error[FIELD_NAME_AMBIGUOUS]');
  });

  it.each([`path${S}`, `thre${S}hold`])('a delegation with %j is refused at it', (key) => {
    const doc = structuredClone(honest);
    const role = obj((obj(obj(doc.payload).delegations).roles as JsonObject[])[0]);
    role[key] = key.startsWith('path') ? (profile === 'notary' ? [''] : ['*']) : 1;
    const err = refusal(() => parseSigningRequest(enc.encode(JSON.stringify(rehash(doc)))));
    expect({ code: err.code, path: err.path }).toEqual({ code: 'FIELD_NAME_AMBIGUOUS', path: `$.payload.delegations.roles[0]["${key.replace(S, '\\u017f')}"]` });
  });
});
