/**
 * The session transcript of `tuf-ceremony publish` (issue #16; format src/audit/session.ts): which server
 * and repository (GUN), what was read, against which pinned root, what was uploaded in the one update, and
 * the fetch-back verification — or the refusal and its code, or (the server accepted the upload, the
 * fetch-back then failed) the upload and the code of what failed, `publish.unverified`, never a refusal;
 * or (the POST went out whole, its answer was lost, and reading the server back settled nothing) the files
 * sent and `publish.unknown`. Never a credential: the user name, password
 * and bearer tokens are not given to it (it records only the fields below), and a refusal is recorded by
 * its code and that code's fixed sentence (src/errors.ts), never its message, which may quote what was
 * typed or what the server said.
 *
 * Unsealed (publish uses no signing key), hash-chained and closed by `session.end`: `transcript verify
 * --allow-unsealed`. Written as a new file in `tuf-ceremony-sessions/` beside the input published (the
 * ceremony output folder, metadata folder or bundle), as an import's goes beside its trust directory.
 * A dry run uploads nothing and records nothing.
 */
import { sha256Hex } from '../crypto/digest.js';
import { ERROR_CODES, isCeremonyError, type ErrorCode } from '../errors.js';
import { SessionTranscript, sessionNote } from '../audit/session.js';
import type { PublishOutcome } from './publish.js';
import type { UploadPlan } from './upload-set.js';

export interface PublishSessionStart {
  /** The server's host (and port): never a URL with credentials (checkServerUrl refuses those). */
  host: string;
  gun: string;
  /** The input's name and the SHA-256 it is reviewed by (folderListingSha256 of its metadata). */
  input: { name: string; sha256: string };
  pinnedRoot: { name: string; bytes: Uint8Array };
  now?: () => Date;
}

const OPERATOR = { name: 'operator', role: 'operator' } as const;
/** A role file or JSON path (`targets/releases.json`, `$.signed.version`): nothing else of a refusal is recorded. */
const SAFE_PATH = /^[A-Za-z0-9$._/[\]-]{1,200}$/;

/**
 * What the transcript records: a refusal before anything was sent; an upload the server accepted whose
 * fetch-back is still to come (`uploaded` alone: written the moment the POST returned 2xx, so a crash or a
 * failed fetch-back never leaves the upload unrecorded, review 14a M2) or failed (`unverified`: its code);
 * or the published and verified outcome.
 */
export type PublishSessionOutcome = { published: PublishOutcome } | { refused: unknown } | { uploaded: UploadPlan; unverified?: unknown } | { sent: UploadPlan; unknown: unknown };

// The code and the registry's fixed sentence for it, never the error's message: an auth or HTTP error's
// message may quote what the operator typed (a password at the user-name prompt) or what the server said.
// The file or JSON path is kept when it is a plain one (it names what was refused). An upload accepted but
// not verified is recorded by the code of what failed (its cause), not PUBLISH_UPLOADED_UNVERIFIED, which
// the step's name already says.
const innerOf = (err: unknown): unknown => (isCeremonyError(err, 'PUBLISH_UPLOADED_UNVERIFIED') && isCeremonyError(err.cause) ? err.cause : err);
const refusalCode = (err: unknown): ErrorCode => {
  const inner = innerOf(err);
  return isCeremonyError(inner) ? inner.code : 'INTERNAL';
};
const refusalPath = (err: unknown): string => {
  const inner = innerOf(err);
  return isCeremonyError(inner) && inner.path !== undefined && SAFE_PATH.test(inner.path) ? ` (at ${inner.path})` : '';
};

export async function publishSessionTranscript(start: PublishSessionStart, outcome: PublishSessionOutcome): Promise<Uint8Array> {
  const session = await SessionTranscript.start({ kind: 'publish', profile: 'notary', repository: start.gun, reviewed: { sha256: start.input.sha256 }, rehearsal: false }, start.now);
  const inputs = [
    { name: start.input.name, sha256: start.input.sha256 },
    { name: start.pinnedRoot.name === start.input.name ? `${start.pinnedRoot.name} (pinned root)` : start.pinnedRoot.name, sha256: sha256Hex(start.pinnedRoot.bytes) },
  ];
  const digests = [{ label: 'the metadata published (SHA-256 of its file list)', sha256: start.input.sha256 }];
  if ('refused' in outcome) {
    const code = refusalCode(outcome.refused);
    await session.append({ step: 'publish.refused', actor: OPERATOR, digests, inputs, note: sessionNote(`server ${start.host}: refused [${code}]: ${ERROR_CODES[code].what}${refusalPath(outcome.refused)}`, `refused [${code}]`, { keep: 0 }) });
    await session.end(`refused [${code}]`);
    return session.bytes();
  }
  const plan = 'uploaded' in outcome ? outcome.uploaded : 'sent' in outcome ? outcome.sent : outcome.published.plan;
  const roles = plan.roles.map((r) => (r.upload ? `${r.role} v${r.from ?? '-'} → v${r.to}` : `${r.role} v${r.to} already served`)).join(', ');
  await session.append({
    step: 'publish.plan',
    actor: OPERATOR,
    digests,
    inputs,
    note: sessionNote(`server ${start.host}, ${plan.firstPublish ? 'first publish' : 'update'}: ${roles};${plan.firstPublishConfirmed ? ` operator confirmed first publish of root v${plan.roles.find((r) => r.role === 'root')?.to ?? '?'} (--first-publish);` : ''} snapshot signed by ${plan.snapshotHeldBy === 'server' ? 'the server' : 'the offline snapshot key'}`, 'upload planned'),
  });
  if (plan.upload.size > 0) {
    await session.append({
      step: 'publish.upload',
      actor: OPERATOR,
      outputs: [...plan.upload].map(([role, bytes]) => ({ name: `${role}.json`, bytes })),
      note: `${plan.upload.size} file${plan.upload.size === 1 ? '' : 's'} ${'sent' in outcome ? 'sent (the answer was lost)' : 'uploaded'} in one update`,
    });
  }
  if ('sent' in outcome) {
    // The POST went out whole, its answer was lost, and what the server served afterwards settled
    // nothing (publish.ts settleLostAnswer): the files sent are recorded above, the outcome as unknown.
    const code = refusalCode(outcome.unknown);
    await session.append({ step: 'publish.unknown', actor: OPERATOR, note: sessionNote(`the server's answer to the upload was lost; whether it applied it is unknown [${code}]: ${ERROR_CODES[code].what}`, `outcome unknown [${code}]`, { keep: 0 }) });
    await session.end(`sent; outcome unknown [${code}]`);
    return session.bytes();
  }
  if ('uploaded' in outcome) {
    if (outcome.unverified === undefined) {
      await session.end('uploaded; not verified yet (the fetch-back had not finished when this was written)');
      return session.bytes();
    }
    const code = refusalCode(outcome.unverified);
    await session.append({
      step: 'publish.unverified',
      actor: OPERATOR,
      note: sessionNote(`the server accepted the upload, but it was not verified [${code}]: ${ERROR_CODES[code].what}${refusalPath(outcome.unverified)}`, `not verified [${code}]`, { keep: 0 }),
    });
    await session.end(`uploaded; not verified [${code}]`);
    return session.bytes();
  }
  const { served, pinnedRootVersion, answerLost } = outcome.published;
  if (served) {
    await session.append({
      step: 'publish.verify',
      actor: OPERATOR,
      note: `${answerLost ? 'the server\'s answer to the upload was lost; ' : ''}fetched back and verified from the pinned root v${pinnedRootVersion} as a client would: root v${served.root.signed.version}, targets v${served.targets!.md.signed.version}, snapshot v${served.snapshot!.md.signed.version}, timestamp v${served.timestamp!.md.signed.version} (expires ${served.timestamp!.md.signed.expiresText})`,
    });
  }
  await session.end(plan.upload.size > 0 ? 'published' : 'already published: nothing uploaded');
  return session.bytes();
}
