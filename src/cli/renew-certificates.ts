/**
 * `tuf-ceremony renew-certificates CERTIFICATE_REQUEST --out DIR --module PATH|PRESET [--module-params S]
 *     --key NAME=TOKEN_LABEL:KEY_LABEL… [--pin-env NAME=VAR…] [--expect-hash HEX] [--json]` (issue #14):
 * renewing Notary root certificates in the room, every custodian's token present — one PIN each.
 *
 * The certificate request (made by `rotate` from a plan with `root.renewCertificates`) is reviewed as
 * `sign` shows it; every token named by `--key` is opened and its key checked to be one the request renews
 * BEFORE any PIN; then each custodian's PIN is asked once (or read from the variable `--pin-env NAME=VAR`
 * names), and, in that one login, each token issues its fresh certificate for the same key, root N+1 is
 * built, its review printed ("Alice's certificate renewed to …; same key"), and each token signs it under
 * the old and the new certificate ID (src/rotation/certificate-room.ts: every signature, the certificates'
 * own included, verified in software). Only when the merge is final is DIR written (it must not exist):
 * `certificates/NAME.json` (certificate responses), `root.request.json` (the signing request, bound to the
 * certificate request), `responses/NAME.json` (signature responses) and `N.root.json`, each atomically —
 * the same files the request → co-sign → merge flow makes, so `merge` can re-check them. The session
 * transcript `DIR.transcript.jsonl` beside DIR (src/rotation/session-transcripts.ts, unsealed) records the
 * review, each certificate issued, the signing request, each token's signatures and the merge; no PIN.
 *
 * `--json` prints `{ "ok": true, "out", "root", "version", "certificateRequestId", "requestId", "status",
 * "renewed": [{name, keyid, newKeyid, notAfter}], "transcript" }`. Exit: 0 written; 1 refused; 2 usage; 3 token.
 */
import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { sessionTranscriptPath } from '../audit/session.js';
import { CeremonyError } from '../errors.js';
import { assertAbsent, readFileCapped, writeFileAtomic, writeFileVerified } from '../io/files.js';
import { CERTIFICATE_REQUEST_MAX_BYTES, certificateEntryFor, describeCertificateRequest, parseCertificateRequest, serializeCertificateResponse } from '../rotation/certificate-request.js';
import { renewCertificatesInRoom, type RoomKey } from '../rotation/certificate-room.js';
import { describeRequest } from '../rotation/describe.js';
import { serializeSignatureResponse, serializeSigningRequest } from '../rotation/request.js';
import { certificateRenewalSessionTranscript } from '../rotation/session-transcripts.js';
import { unlockTokenKey } from '../rotation/signers.js';
import type { TokenModule } from '../signers/pkcs11/token.js';
import { chosenToken, openExpectedToken, type CheckedToken } from '../signers/token-keys.js';
import { formatExpires } from '../tuf/dates.js';
import { reportError, type Io } from './output.js';
import { checkExpectedHash, defaultSignDeps, finalizeLoaded, moduleDepsFor, pinSource, type SignDeps } from './sign.js';

export interface RenewCertificatesOptions {
  out: string;
  module: string;
  moduleParams?: string;
  key: string[];
  pinEnv?: string[];
  expectHash?: string;
  json?: boolean;
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

function parseKeys(values: readonly string[]): { name: string; tokenLabel: string; keyLabel: string }[] {
  const out = values.map((v) => {
    const m = /^([^=]+)=([^:]+):(.+)$/.exec(v);
    if (!m || !FILE_NAME.test(m[1]!)) throw new CeremonyError('USAGE', `--key takes NAME=TOKEN_LABEL:KEY_LABEL (NAME: letters, digits, space, ".", "_", "-"), not ${JSON.stringify(v)}`);
    return { name: m[1]!, tokenLabel: m[2]!, keyLabel: m[3]! };
  });
  if (new Set(out.map((k) => k.name)).size !== out.length) throw new CeremonyError('USAGE', '--key names a custodian twice');
  return out;
}

export async function renewCertificatesCommand(requestPath: string, opts: RenewCertificatesOptions, io: Io, deps: SignDeps = defaultSignDeps): Promise<number> {
  const json = Boolean(opts.json);
  const say = (s: string): void => (json ? io.err(s) : io.out(s));
  const loadedHere: TokenModule[] = [];
  const opened: CheckedToken[] = [];
  try {
    const keys = parseKeys(opts.key ?? []);
    if (keys.length === 0) throw new CeremonyError('USAGE', 'name each custodian\'s token and key: --key NAME=TOKEN_LABEL:KEY_LABEL');
    const pinVars = new Map((opts.pinEnv ?? []).map((v) => {
      const m = /^([^=]+)=(.+)$/.exec(v);
      if (!m) throw new CeremonyError('USAGE', `--pin-env takes NAME=VAR here (whose PIN is in which variable), not ${JSON.stringify(v)}`);
      return [m[1]!, m[2]!] as const;
    }));
    const out = resolve(opts.out);
    const transcriptPath = sessionTranscriptPath(out);
    await assertAbsent([out, transcriptPath], ' (choose another --out)');
    const requestBytes = await readFileCapped(requestPath, CERTIFICATE_REQUEST_MAX_BYTES);
    const request = parseCertificateRequest(requestBytes, basename(requestPath));
    const review = describeCertificateRequest(request);
    for (const line of review.lines) say(line);
    if (opts.expectHash !== undefined) checkExpectedHash(opts.expectHash, review.digest);

    // Every token opened and every key recognised before the first PIN.
    const moduleDeps = moduleDepsFor(deps, loadedHere);
    for (const k of keys) opened.push(await openExpectedToken({ module: opts.module, moduleParams: opts.moduleParams, token: chosenToken(undefined, k.tokenLabel) }, moduleDeps));
    keys.forEach((k, i) => {
      const pub = opened[i]!.keys.find((p) => p.label === k.keyLabel);
      if (!pub?.fingerprint || !certificateEntryFor(request, pub.fingerprint)) {
        throw new CeremonyError('ROTATION_SIGNER_UNKNOWN', `${k.name}: key "${k.keyLabel}" on token "${k.tokenLabel}" is ${pub ? 'not a root key whose certificate this request renews' : 'not on that token'} (no PIN was asked)`);
      }
    });
    const room: RoomKey[] = [];
    for (const [i, k] of keys.entries()) {
      say(`${k.name}: PIN for token "${k.tokenLabel}" (asked once: the certificate and the root are signed in this login)`);
      const pin = pinSource(pinVars.get(k.name), deps);
      const { key } = await unlockTokenKey(opened[i]!, k.keyLabel, pin, (fp) => (certificateEntryFor(request, fp) ? undefined : 'not a root key whose certificate this request renews'));
      const t = opened[i]!.session.token;
      room.push({ key, token: t.label ? { serial: t.serial, label: t.label } : { serial: t.serial } });
    }
    const done = await renewCertificatesInRoom(request, room);
    for (const line of describeRequest(done.signing).lines) say(line);
    say(done.result.status);

    const nameOf = (keyid: string): string => keys[room.findIndex((r) => certificateEntryFor(request, r.key.fingerprint)?.keyid === keyid)]!.name;
    const notAfter = formatExpires(request.validity.notAfter);
    const certificateFiles = new Map(done.certificates.map((c) => [c.keyid, { name: `certificates/${nameOf(c.keyid)}.json`, bytes: serializeCertificateResponse(c) }]));
    const signingFile = { name: 'root.request.json', bytes: serializeSigningRequest(done.signing) };
    const responseFiles = done.responses.map((r, i) => ({ name: `responses/${keys[i]!.name}.json`, bytes: serializeSignatureResponse(r) }));
    const rootFile = join(out, `${done.result.version}.root.json`);
    const renewed = done.certificates.map((c) => {
      const id = done.signing.renewal!.certificates.find((x) => done.signing.root.keys.get(x.keyid)!.key.fingerprint === request.previous.signed.keys.get(c.keyid)!.key.fingerprint)!.keyid;
      return { name: nameOf(c.keyid), keyid: c.keyid, newKeyid: id, notAfter };
    });
    // The session's transcript (unsealed: session-transcripts.ts says why), built before anything is written and written last.
    const transcript = await certificateRenewalSessionTranscript({
      request,
      requestFile: { name: basename(requestPath), bytes: requestBytes },
      review: { sha256: review.digest.sha256, note: opts.expectHash !== undefined ? 'the short hash read out by the administrator was given and matched the certificate request' : 'reviewed on screen; no expected hash was given to compare' },
      custodians: keys.map((k, i) => {
        const keyid = certificateEntryFor(request, room[i]!.key.fingerprint)!.keyid;
        return { name: k.name, token: room[i]!.token, keyid, notAfter, certificate: certificateFiles.get(keyid)!, response: responseFiles[i]! };
      }),
      signing: done.signing,
      signingFile,
      root: { name: basename(rootFile), bytes: done.result.root },
      status: done.result.status,
    });
    // Written only now that every certificate and signature verified and the merge is final.
    await mkdir(join(out, 'certificates'), { recursive: true });
    await mkdir(join(out, 'responses'));
    for (const f of [...certificateFiles.values(), signingFile, ...responseFiles]) await writeFileVerified(join(out, f.name), f.bytes);
    await writeFileVerified(rootFile, done.result.root);
    await writeFileAtomic(transcriptPath, transcript);
    say(`wrote ${rootFile}: root version ${done.result.version}, certificates renewed (same keys) for ${renewed.map((r) => r.name).join(', ')}; publish it (tuf-ceremony publish)`);
    say(`session transcript ${transcriptPath} (hash-chained, unsealed: tuf-ceremony transcript verify ${transcriptPath} --allow-unsealed)`);
    if (json) {
      io.out(JSON.stringify({ ok: true, out, root: rootFile, version: done.result.version, certificateRequestId: request.requestId, requestId: done.signing.requestId, status: done.result.status, renewed, transcript: transcriptPath }, null, 2));
    }
    return 0;
  } catch (err) {
    return reportError(io, err, json);
  } finally {
    for (const o of opened) await o.session.close().catch(() => undefined);
    await finalizeLoaded(loadedHere);
  }
}

export function registerRenewCertificatesCommand(program: Command, io: Io, done: (status: number) => void, deps: SignDeps = defaultSignDeps): void {
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  program
    .command('renew-certificates')
    .description('in the room: every custodian\'s token issues its renewed Notary root certificate and signs the new root, one PIN each')
    .argument('<CERTIFICATE_REQUEST>', 'the certificate request rotate made from a plan with root.renewCertificates')
    .requiredOption('--out <DIR>', 'a new folder for the certificates, the signing request, the responses and N.root.json')
    .requiredOption('--module <PATH|PRESET>', 'PKCS#11 module: a path, or ykcs11, opensc, softhsm2')
    .option('--module-params <STRING>', "the module's start-up parameters")
    .option('--key <NAME=TOKEN_LABEL:KEY_LABEL>', 'a custodian, their token (by label) and their key (repeat for each)', collect)
    .option('--pin-env <NAME=VAR>', 'the variable holding NAME\'s PIN (repeat; else asked without echo)', collect)
    .option('--expect-hash <HASH>', "the certificate request's short hash as read out")
    .option('--json', 'machine-readable result')
    .action(async (request: string, opts: RenewCertificatesOptions) => {
      done(await renewCertificatesCommand(request, opts, io, deps));
    });
}
