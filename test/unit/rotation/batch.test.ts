import { describe, expect, it } from 'vitest';
import { isCeremonyError, type ErrorCode } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/json/types.js';
import {
  buildBatchRequest,
  describeBatch,
  mergeBatch,
  parseBatchRequest,
  parseBatchResponse,
  parseSigningRequest,
  requestIdForDocument,
  serializeBatchRequest,
  serializeBatchResponse,
  serializeSigningRequest,
  signBatch,
  type BatchResponse,
} from '../../../src/rotation/index.js';
import { parseMetadata } from '../../../src/tuf/metadata.js';
import { batchRequests, people } from './batch-support.js';

const enc = new TextEncoder();
const json = (b: Uint8Array): JsonObject => JSON.parse(new TextDecoder().decode(b)) as JsonObject;

function refusal(fn: () => unknown): [string, string | undefined] {
  try {
    fn();
  } catch (err) {
    return isCeremonyError(err) ? [err.code, err.path] : [String(err), undefined];
  }
  return ['no error', undefined];
}

const REPOS = ['registry.example.com/org/app-1', 'registry.example.com/org/app-2', 'registry.example.com/org/app-3', 'registry.example.com/org/odd'];

describe.each(['tuf', 'notary'] as const)('batch signing requests (%s)', (profile) => {
  it('one review for the whole batch, exceptions listed, one hash; signed once per key; merged per repository', async () => {
    const who = people(profile);
    const requests = await batchRequests(profile, REPOS, who, (r) => (r.endsWith('odd') ? 'Erin' : 'Dave'));
    const batch = buildBatchRequest(requests);
    const bytes = serializeBatchRequest(batch);
    const back = parseBatchRequest(bytes);
    expect(back.batchId).toBe(batch.batchId);
    expect(back.requests.map((r) => r.requestId)).toEqual(requests.map((r) => r.requestId));
    // Every embedded request is a complete single request: it still reads alone.
    const alone = parseSigningRequest(serializeSigningRequest(back.requests[0]!));
    expect(alone.requestId).toBe(requests[0]!.requestId);

    const review = describeBatch(back);
    expect(review.summary.repositories.map((r) => r.repository)).toEqual(REPOS.slice(0, 3));
    expect(review.text).toContain('In 3 repositories: root key "Carol" (fingerprint');
    expect(review.text).toMatch(/replaced by "Dave" \(fingerprint [0-9a-f ]+\) — retired; thresholds unchanged/);
    // Which repositories the change covers, named under the one-line summary (review-13a L4).
    expect(review.lines[review.lines.indexOf(review.lines.find((l) => l.startsWith('In 3 repositories:'))!) + 1]).toBe(`  repositories: ${REPOS.slice(0, 3).map((r) => `"${r}"`).join(', ')}`);
    expect(review.text).toContain('Exceptions: 1 repository makes another change:');
    expect(review.exceptions).toHaveLength(1);
    expect(review.exceptions[0]!.repositories.map((r) => r.repository)).toEqual([REPOS[3]]);
    expect(review.text).toContain('replaced by "Erin"');
    expect(review.text).toContain(`short hash ${batch.digest.hex.slice(0, 4)}`);

    // Alice and Bob sign everywhere; Dave only where he joins, Erin only in the odd one.
    const answers: BatchResponse[] = [];
    for (const key of [who.Alice, who.Bob, who.Dave, who.Erin]) {
      const { response, plan } = await signBatch(back, key, { name: key.label });
      expect(plan.signs.length).toBe(key === who.Dave ? 3 : key === who.Erin ? 1 : 4);
      answers.push(parseBatchResponse(serializeBatchResponse(response)));
    }
    // Partial: Alice alone meets neither 2-of-3 threshold anywhere.
    const partial = mergeBatch(back, answers.slice(0, 1));
    expect(partial.final).toBe(false);
    expect(partial.status).toMatch(/^0 of 4 repositories complete; waiting in 4/);
    const merged = mergeBatch(back, [answers[3]!, answers[1]!, answers[2]!, answers[0]!]);
    expect(merged.final).toBe(true);
    expect(merged.status).toBe('4 of 4 repositories complete');
    for (const [i, e] of merged.entries.entries()) {
      expect(e.repository).toBe(REPOS[i]);
      const root = parseMetadata(e.result.root!, 'root', { maxBytes: 1 << 20, source: 'merged' });
      expect(root.signed.version).toBe(2);
    }

    // A key that signs nothing here is refused before anything is signed.
    const stranger = people(profile).Alice;
    expect(await signBatch(back, stranger).then(() => 'signed', (e: unknown) => (isCeremonyError(e) ? e.code : String(e)))).toBe('ROTATION_SIGNER_UNKNOWN');
    // A response to another batch does not merge.
    const other = buildBatchRequest(requests.slice(0, 2));
    const { response: otherResponse } = await signBatch(other, who.Alice);
    expect(refusal(() => mergeBatch(back, [otherResponse]))).toEqual(['ROTATION_RESPONSE_MISMATCH', 'response 1 $.batchId']);
    // A forged signature in one repository refuses the whole merge, naming it.
    const forged = structuredClone(answers[0]!);
    forged.responses[2]!.signatures[0]!.sig = answers[0]!.responses[0]!.signatures[0]!.sig;
    expect(refusal(() => mergeBatch(back, [forged, answers[1]!, answers[2]!, answers[3]!]))[0]).toBe('ROTATION_SIGNATURE_INVALID');
  }, 60_000);

  it('refusal table: tampered, reordered, duplicated, unknown fields, caps', async () => {
    const who = people(profile);
    const requests = await batchRequests(profile, REPOS.slice(0, 2), who);
    const bytes = serializeBatchRequest(buildBatchRequest(requests));
    const table: [string, (d: JsonObject) => void, ErrorCode, string][] = [
      ['unknown field', (d) => (d.extra = 1), 'SCHEMA_INVALID', '$.extra'],
      ['another format', (d) => (d.format = 'tuf-ceremony-signing-request'), 'SCHEMA_INVALID', '$.format'],
      ['version 2', (d) => (d.version = 2), 'SCHEMA_INVALID', '$.version'],
      ['empty', (d) => (d.requests = []), 'SCHEMA_INVALID', '$.requests'],
      ['over the request count cap', (d) => (d.requests = Array.from({ length: 5001 }, () => ({}))), 'INPUT_TOO_LARGE', '$.requests'],
      ['a payload edited', (d) => (((d.requests as JsonObject[])[1]!.payload as JsonObject).expires = '2099-01-01T00:00:00Z'), 'ROTATION_REQUEST_TAMPERED', '$.requests[1].requestId'],
      ['an unknown field in one request', (d) => ((d.requests as JsonObject[])[0]!.extra = 1), 'SCHEMA_INVALID', '$.requests[0].extra'],
      ['reordered', (d) => (d.requests as JsonObject[]).reverse(), 'ROTATION_REQUEST_TAMPERED', '$.batchId'],
      ['one dropped', (d) => (d.requests as JsonObject[]).pop(), 'ROTATION_REQUEST_TAMPERED', '$.batchId'],
      ['one repository twice', (d) => (d.requests as JsonObject[]).push((d.requests as JsonObject[])[0]!), 'SCHEMA_INVALID', '$.requests[2].repository'],
      [
        'a repository that cannot name a folder (re-hashed)',
        (d) => {
          const r = (d.requests as JsonObject[])[0]!;
          r.repository = 'org/../app';
          r.requestId = requestIdForDocument(r);
        },
        'SCHEMA_INVALID',
        '$.requests[0].repository',
      ],
      ['bad batch ID', (d) => (d.batchId = 'x'), 'SCHEMA_INVALID', '$.batchId'],
    ];
    for (const [what, edit, code, path] of table) {
      const d = json(bytes);
      edit(d);
      expect([what, ...refusal(() => parseBatchRequest(enc.encode(JSON.stringify(d))))]).toEqual([what, code, path]);
    }
    const responseBytes = serializeBatchResponse((await signBatch(parseBatchRequest(bytes), who.Alice)).response);
    const rtable: [string, (d: JsonObject) => void, ErrorCode, string][] = [
      ['unknown field', (d) => (d.extra = 1), 'SCHEMA_INVALID', '$.extra'],
      ['empty', (d) => (d.responses = []), 'SCHEMA_INVALID', '$.responses'],
      ['an entry with an unknown field', (d) => ((d.responses as JsonObject[])[1]!.extra = 1), 'SCHEMA_INVALID', '$.responses[1].extra'],
      ['one request answered twice', (d) => (d.responses as JsonObject[]).push((d.responses as JsonObject[])[0]!), 'SCHEMA_INVALID', '$.responses[2].requestId'],
    ];
    for (const [what, edit, code, path] of rtable) {
      const d = json(responseBytes);
      edit(d);
      expect([what, ...refusal(() => parseBatchResponse(enc.encode(JSON.stringify(d))))]).toEqual([what, code, path]);
    }
  }, 60_000);
  it('a batch carries root changes only, and repository names that differ only in case are one name', async () => {
    const who = people(profile);
    const requests = await batchRequests(profile, REPOS.slice(0, 2), who);
    // A targets or delegated change is reviewed one repository at a time: refused before the batch is made.
    const asTargets = { ...requests[1]!, role: 'targets' } as (typeof requests)[number];
    expect(refusal(() => buildBatchRequest([requests[0]!, asTargets]))).toEqual(['USAGE', '$.requests[1].role']);
    // Two names one case-insensitive file system folds into one folder: refused before anyone signs.
    const cased = await batchRequests(profile, ['registry.example.com/Org/App', 'registry.example.com/org/app'], who);
    expect(refusal(() => buildBatchRequest(cased))).toEqual(['USAGE', '$.requests[1].repository']);
  }, 60_000);

  it('the review names the main group\'s repositories: all when few, else the first 20 and a count per folder; all with full (review-13a L4)', async () => {
    const who = people(profile);
    const site = Array.from({ length: 22 }, (_, i) => `registry.example.com/site/app-${i + 1}`);
    const requests = await batchRequests(profile, [...site, 'prod/payments'], who);
    const batch = buildBatchRequest(requests);
    const review = describeBatch(batch, { fullFlag: '--full' });
    const at = review.lines.findIndex((l) => l.startsWith('In 23 repositories: root key "Carol"'));
    expect(review.lines[at + 1]).toBe(`  repositories: ${site.slice(0, 20).map((r) => `"${r}"`).join(', ')}, and 3 more (every name: --full)`);
    // Without a flag to name (the rehearsal's review: `rehearse` has no --full), none is named.
    expect(describeBatch(batch).lines[at + 1]).toBe(`  repositories: ${site.slice(0, 20).map((r) => `"${r}"`).join(', ')}, and 3 more`);
    // The one repository outside the site's folder stands out though it is not among the first 20.
    expect(review.lines[at + 2]).toBe('  by folder: "registry.example.com/site/…" 22, "prod/…" 1');
    const full = describeBatch(batch, { full: true });
    expect(full.lines[at + 1]).toBe(`  repositories: ${[...site, 'prod/payments'].map((r) => `"${r}"`).join(', ')}`);
    expect(full.lines[at + 2]).toMatch(/^Exceptions: none/);
    // The hash the co-signer reads is the batch ID, whatever the review lists: unchanged by full.
    expect(full.digest).toEqual(review.digest);
  }, 120_000);

  it('a repository whose folder would be another\'s merged file is refused when the batch is made and when it is read (review-13a L3)', async () => {
    const who = people(profile);
    const outer = 'registry.example.com/org/app';
    const inner = `${outer}/root.json`;
    const requests = await batchRequests(profile, [outer, inner], who);
    // Both orders: the merge writes `<outer>/root.json`, the folder `<inner>` needs. Refused before anyone signs.
    for (const order of [requests, [...requests].reverse()]) {
      const at = order[0]!.repository === inner ? 0 : 1;
      let message = '';
      try {
        buildBatchRequest(order);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(refusal(() => buildBatchRequest(order))).toEqual(['USAGE', `$.requests[${at}].repository`]);
      expect(message).toContain(`repository "${inner}"`);
      expect(message).toContain(`repository "${outer}"`);
    }
    // Case-folded too: `Root.JSON` is the folder `root.json` on Windows and macOS.
    const cased = await batchRequests(profile, [outer, `${outer}/Root.JSON`], who);
    expect(refusal(() => buildBatchRequest(cased))).toEqual(['USAGE', '$.requests[1].repository']);
    // Nesting by folder alone is allowed (`org/app` and `org/app/x`): only a file on the way is refused.
    expect(buildBatchRequest(await batchRequests(profile, [outer, `${outer}/x`], who)).requests).toHaveLength(2);
    // A batch whose request was renamed (and re-hashed) to sit on another's merged file: refused when read, so a co-signer never signs it.
    const d = json(serializeBatchRequest(buildBatchRequest(await batchRequests(profile, [outer, `${outer}-2`], who))));
    const second = (d.requests as JsonObject[])[1]!;
    second.repository = inner;
    second.requestId = requestIdForDocument(second);
    expect(refusal(() => parseBatchRequest(enc.encode(JSON.stringify(d))))).toEqual(['SCHEMA_INVALID', '$.requests[1].repository']);
  }, 60_000);

  it('a repository whose change differs only in what the single review alone used to say is an exception, not folded into the summary', async () => {
    const who = people(profile);
    const requests = await batchRequests(profile, REPOS.slice(0, 3), who);
    // The same replacement, but the third request's root also changes a field the summary words never named.
    const base = requests[2]!;
    const edited = { ...base, root: base.root, payload: { ...base.payload, x_custom: 'added' } } as typeof base;
    const words = describeBatch(buildBatchRequest([requests[0]!, requests[1]!, { ...edited, previous: base.previous }]));
    expect(words.summary.repositories).toHaveLength(2);
    expect(words.exceptions).toHaveLength(1);
    expect(words.exceptions[0]!.change.join('\n')).toContain('the field "x_custom" changes');
  }, 60_000);
});
