/**
 * `tuf-ceremony sign REQUEST --out RESPONSE` (PRODUCT.md §2.4, §3): a co-signer signs a root rotation's
 * signing request (src/rotation/request.ts) and writes a signature response — signatures only.
 *
 *   tuf-ceremony sign REQUEST --out RESPONSE
 *       ( --module PATH|PRESET [--module-params S] (--token SERIAL|--token-label LABEL|both) --label KEYLABEL [--pin-env VAR]
 *       | --share-card FILE… )
 *       [--name NAME] [--expect-hash HEX] [--json]
 *
 * In order: RESPONSE must not exist (OUTPUT_EXISTS, exit 2; never overwritten); the request is parsed
 * strictly and re-checked (ROTATION_REQUEST_TAMPERED when changed after export, ROOT_VERSION_SKIPPED, …);
 * the review — what changes against the previous root, in words, and the short hash of the exact bytes
 * as hex and PGP words — is printed (stdout, or stderr with --json); with `--expect-hash` the short hash
 * (128 bits: 32 hex digits, spaces allowed, or its 16 PGP words; or the full SHA-256) read out by the
 * administrator must match (ROTATION_REQUEST_TAMPERED otherwise, before any PIN; an older 64-bit short
 * hash is HASH_TOO_SHORT, exit 2); then the key signs:
 *
 * - token: the token with serial SERIAL is opened and its public key labelled KEYLABEL must be a root
 *   key of the previous or the new version (ROTATION_SIGNER_UNKNOWN, before the PIN); the PIN comes from
 *   the environment variable --pin-env names, or is asked without echo on the terminal;
 * - share cards: the cards are checked (checksums, one split, enough of them) and must be shares of a root
 *   key of the request, then the key is rebuilt in memory, signs, and is wiped.
 *
 * Each signature is verified over the request's canonical payload, the response is merged alone against
 * the request as a check, written atomically, read back and compared.
 *
 * REQUEST may also be a certificate request (issue #14, src/cli/sign-certificate.ts): the key then issues its
 * renewed Notary root certificate, same key, and RESPONSE is a certificate response.
 *
 * REQUEST may also be a batch signing request (src/rotation/batch.ts, src/cli/batch.ts): its review says
 * the change once and lists the exceptions, `--expect-hash` compares the batch hash, the key is unlocked
 * once and signs every repository it is a signer of, and RESPONSE is a batch signature response
 * (`--json`: `{ "ok", "out", "form": "batch-response", "batchId", "repositories", "signed", "skipped": [...],
 * "signer", "review": { "summary", "exceptions", "lines", "digest" } }`).
 *
 * REQUEST is the plain signing request document or a `signing-request` bundle (src/rotation/bundle.ts: the
 * bundle is decoded and checked first — manifest lengths and SHA-256s, kind, one `request.json`, the
 * manifest's repository the request's). The response is written as a `signature-response` bundle when
 * `--bundle` is given or the request came as a bundle (answer in the form asked), else as the plain
 * signature response document.
 *
 * The session is recorded in `RESPONSE.transcript.jsonl` beside the response (src/audit/session.ts), sealed
 * by the key that signed (the token key in the same login, or the rebuilt key before it is wiped).
 *
 * `--json` prints `{ "ok": true, "out", "transcript", "sealKeyId", "form": "response" | "bundle", "requestId", "payloadSha256", "keyids": [...],
 * "signer": {"name", "token"?}, "review": { "lines": [...], "digest": {"sha256","hex","words"} } }`.
 * Exit: 0 signed; 1 refused; 2 usage; 3 token.
 */
import { sessionTranscriptPath } from '../audit/session.js';
import { startCoSignSession } from '../rotation/session-transcripts.js';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { CeremonyError, isCeremonyError } from '../errors.js';
import { groupHex, groupWords, wordsToBytes } from '../crypto/digest-words.js';
import { checkKeyName } from '../rotation/names.js';
import { checkWitnessNames } from '../rotation/request.js';
import { assertAbsent, readFileCapped, writeFileAtomic, writeFileVerified } from '../io/files.js';
import { writeBundle } from '../io/bundle-file.js';
import { moduleFileExists } from '../io/softhsm.js';
import {
  describeRequest,
  mergeResponses,
  parseSignatureResponse,
  readSignatureResponse,
  readSigningRequest,
  serializeSignatureResponse,
  wrapSignatureResponse,
  signRequestOnToken,
  signRequestWithShareCards,
  type SignatureResponse,
} from '../rotation/index.js';
import { SHARE_CARD_MAX_BYTES, parseShareCard, wipeShareCard, type ShareCard } from '../shamir/index.js';
import { describeToken } from '../signers/pkcs11/errors.js';
import { asksAgain } from '../signers/pkcs11/pin-retry.js';
import { TokenModule } from '../signers/pkcs11/token.js';
import { chosenToken, type PinSource, type TokenModuleDeps } from '../signers/token-keys.js';
import { reportError, type Io } from './output.js';
import { promptPinHidden } from './pin-prompt.js';
import { readRequestOrBatch, signBatchCommand } from './batch.js';
import { CERTIFICATE_REQUEST_FORMAT, certificateDocumentFormatOf } from '../rotation/format.js';

export interface SignOptions {
  out: string;
  module?: string;
  moduleParams?: string;
  token?: string;
  tokenLabel?: string;
  label?: string;
  pinEnv?: string;
  shareCard?: string[];
  name?: string;
  /** Who watched (issue #16), recorded in the response. */
  witness?: string[];
  expectHash?: string;
  bundle?: boolean;
  json?: boolean;
  /** A batch: name every repository in the review (batch.ts describeBatch), not the first 20 and a count per folder. */
  full?: boolean;
}

export interface SignDeps {
  load(path: string, opts: { installHint?: string; libraryParameters?: string }): Promise<TokenModule>;
  exists(path: string): boolean;
  platform: string;
  env: Record<string, string | undefined>;
  interactive: boolean;
  promptPin(question: string): Promise<Uint8Array>;
}

export const defaultSignDeps: SignDeps = {
  load: (path, opts) => TokenModule.load(path, opts),
  exists: moduleFileExists,
  platform: process.platform,
  env: process.env,
  interactive: Boolean(process.stdin.isTTY),
  promptPin: (question) => promptPinHidden(question),
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const encoder = new TextEncoder();

/** Where a PIN comes from: the variable --pin-env names, or a no-echo prompt (also used by `resign-targets`). */
export function pinSource(pinEnv: string | undefined, deps: SignDeps): PinSource {
  if (pinEnv !== undefined) {
    if (!ENV_NAME.test(pinEnv)) throw new CeremonyError('USAGE', '--pin-env takes the NAME of an environment variable that holds the PIN, not the PIN itself');
    const read = (): Uint8Array => {
      const value = deps.env[pinEnv];
      if (value === undefined || value === '') throw new CeremonyError('USAGE', 'the environment variable --pin-env names is not set (or is empty)');
      return encoder.encode(value);
    };
    read().fill(0);
    return async () => read();
  }
  if (!deps.interactive) throw new CeremonyError('USAGE', 'a PIN is needed and there is no terminal to ask it on: pass --pin-env VAR');
  // Asked again after a wrong PIN, saying why and what the token says of the tries left (pin-retry.ts).
  return asksAgain((token, retry) => {
    return deps.promptPin(`${retry ? `${retry.message}\n` : ''}PIN for ${describeToken(token)} (not shown as you type): `);
  });
}

/** Module loading for one command: modules it loaded itself are recorded in `loadedHere`, to finalize at the end. */
export function moduleDepsFor(deps: SignDeps, loadedHere: TokenModule[]): TokenModuleDeps {
  return {
    modules: {
      load: async (path, o) => {
        const wasLoaded = TokenModule.isLoaded(path);
        const mod = await deps.load(path, o);
        if (!wasLoaded) loadedHere.push(mod);
        return mod;
      },
    },
    moduleExists: deps.exists,
    platform: deps.platform,
  };
}

/** At the end of that command: finalize the modules it loaded itself; a failure there changes nothing about its outcome. */
export async function finalizeLoaded(loadedHere: TokenModule[]): Promise<void> {
  for (const mod of loadedHere.splice(0)) await mod.finalize().catch(() => undefined);
}

/**
 * `--expect-hash`: the short hash read out by the administrator — 32 hex digits (spaces allowed) or its 16
 * PGP words — or the full SHA-256, compared with the bytes to sign before anything is unlocked. A shorter
 * hash (the 16 hex digits / 8 words tuf-ceremony printed before its short hash became 128 bits) is refused
 * (HASH_TOO_SHORT), never compared on its first bytes: 64 bits can be matched by a payload made for it.
 */
export function checkExpectedHash(expect: string, digest: { sha256: string; hex: string }): void {
  const text = expect.trim();
  let given: string;
  if (/^[0-9a-fA-F\s]+$/.test(text)) {
    given = text.replace(/\s+/g, '').toLowerCase();
  } else {
    const words = wordsToBytes(text);
    if (!words.ok) {
      throw new CeremonyError('USAGE', `--expect-hash is the short hash as hex or PGP words, or the full SHA-256: word ${words.index + 1}, ${JSON.stringify(words.word)}, ${words.reason === 'unknown' ? 'is not a PGP word' : 'is from the wrong list at that position (a word dropped or repeated before it?)'}`);
    }
    given = Buffer.from(words.bytes).toString('hex');
  }
  const shortLength = digest.hex.length;
  if (given.length < shortLength && given.length >= 16 && given.length % 2 === 0) {
    throw new CeremonyError(
      'HASH_TOO_SHORT',
      `--expect-hash gives ${given.length / 2} bytes (${given.length * 4} bits); the short hash compared is ${shortLength / 2} bytes (${shortLength * 4} bits: ${shortLength} hex digits or ${shortLength / 2} words). A 64-bit short hash from an earlier tuf-ceremony is no longer accepted: ask for the ${shortLength * 4}-bit short hash or the full SHA-256; nothing was signed`,
    );
  }
  if (given.length !== shortLength && given.length !== 64) {
    throw new CeremonyError('USAGE', `--expect-hash is the short hash (${shortLength} hex digits or ${shortLength / 2} PGP words) or the full SHA-256 (64 hex digits) of the bytes to sign`);
  }
  const want = given.length === 64 ? digest.sha256 : digest.hex;
  if (given !== want) {
    throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `the bytes to sign have short hash ${groupHex(digest.hex)}, not ${groupHex(given.slice(0, shortLength))} as expected: this is not the request you were told to sign; nothing was signed`);
  }
}

export async function signCommand(requestPath: string, opts: SignOptions, io: Io, deps: SignDeps = defaultSignDeps): Promise<number> {
  const json = Boolean(opts.json);
  const say = (s: string): void => (json ? io.err(s) : io.out(s));
  const loadedHere: TokenModule[] = [];
  try {
    if (!opts.out) throw new CeremonyError('USAGE', '--out RESPONSE is required');
    const cardsGiven = (opts.shareCard ?? []).length > 0;
    const tokenGiven = opts.module !== undefined || opts.token !== undefined || opts.tokenLabel !== undefined || opts.label !== undefined;
    if (cardsGiven === tokenGiven) throw new CeremonyError('USAGE', 'sign with a token (--module, --token, --label) or with share cards (--share-card FILE…), one of the two');
    if (tokenGiven && (!opts.module || (!opts.token && !opts.tokenLabel) || !opts.label)) {
      throw new CeremonyError('USAGE', 'signing with a token needs --module, the token (--token SERIAL, --token-label LABEL, or both) and --label KEYLABEL');
    }
    // The name goes into the response, and the administrator's merge refuses what cannot be shown safely.
    if (opts.name !== undefined) checkKeyName(opts.name, '--name', 'USAGE');
    // The optional witness line (issue #16): names recorded in the response, checked as shown text.
    let witnesses: string[];
    try {
      witnesses = checkWitnessNames(opts.witness ?? [], '--witness');
    } catch (err) {
      throw new CeremonyError('USAGE', `--witness: ${err instanceof Error ? err.message : String(err)}`);
    }
    const out = resolve(opts.out);
    const transcriptPath = sessionTranscriptPath(out);
    await assertAbsent([out, transcriptPath], ' (a response is never overwritten: choose another --out)');

    // A batch request (issue #17: src/cli/batch.ts) is signed as a whole: one review, one PIN.
    const raw = await readRequestOrBatch(requestPath);
    if (raw.batch) {
      // Not carried by a batch response yet: refused rather than dropped without a word.
      if (witnesses.length > 0 || opts.bundle) throw new CeremonyError('USAGE', 'a batch response records no witnesses and is not written as a bundle: sign the batch without --witness and --bundle');
      return await signBatchCommand(raw.batch, out, opts, io, deps, { say, checkExpectedHash, pinSource, moduleDepsFor, loadedHere, requestBytes: raw.bytes, requestName: basename(requestPath), transcriptPath });
    }
    // A single request's review names its one repository already: a flag that changes nothing is refused, not ignored.
    if (opts.full) throw new CeremonyError('USAGE', '--full names every repository of a batch request; this is a single request, whose review is shown in full');
    // A certificate request (issue #14: src/rotation/certificate-request.ts): the token issues a certificate.
    if (certificateDocumentFormatOf(raw.bytes) === CERTIFICATE_REQUEST_FORMAT) {
      const { signCertificateRequestCommand } = await import('./sign-certificate.js');
      return await signCertificateRequestCommand({ requestPath, requestBytes: raw.bytes, out, transcriptPath, opts, witnesses, tokenGiven, json, say, loadedHere }, io, deps);
    }
    const requestBytes = raw.bytes;
    const received = readSigningRequest(requestBytes, basename(requestPath));
    const request = received.request;
    if (received.bundle) say(`${basename(requestPath)}: signing-request bundle, short hash ${groupHex(received.bundle.hash.hex)} (${groupWords(received.bundle.hash.words)}); manifest checked`);
    const review = describeRequest(request);
    for (const line of review.lines) say(line);
    // A request that also revokes tags has two byte strings to sign (src/rotation/revoke-tags.ts): the
    // hash read out must be one of them, and the one this key signs (checked before the PIN: confirmedSha256).
    let expectedPayload: string | undefined;
    if (opts.expectHash !== undefined) {
      try {
        checkExpectedHash(opts.expectHash, review.digest);
        expectedPayload = review.digest.sha256;
      } catch (err) {
        if (!review.revokeTags || !isCeremonyError(err, 'ROTATION_REQUEST_TAMPERED')) throw err;
        checkExpectedHash(opts.expectHash, review.revokeTags.digest);
        expectedPayload = review.revokeTags.digest.sha256;
      }
    }

    // The co-signer's session transcript (src/audit/session.ts): what was reviewed, what was signed; sealed
    // by the signing key itself while it is at hand (the same token login, or before the rebuilt key is wiped).
    const asBundle = Boolean(opts.bundle) || received.bundle !== undefined;
    const madeAt = new Date();
    const responseBytes = (r: SignatureResponse): Uint8Array => (asBundle ? wrapSignatureResponse(r, request, madeAt) : serializeSignatureResponse(r));
    const session = await startCoSignSession({
      request,
      requestFile: { name: basename(requestPath), bytes: requestBytes },
      signer: opts.name,
      witnesses,
      reviewNote: opts.expectHash !== undefined ? 'the short hash read out by the administrator was given and matched the request' : 'reviewed on screen; no expected hash was given to compare',
      output: (r) => ({ name: basename(out), bytes: responseBytes(r) }),
    });
    const whileSigned = session.whileSigned;

    let response: SignatureResponse;
    if (tokenGiven) {
      const pin = pinSource(opts.pinEnv, deps);
      const moduleDeps = moduleDepsFor(deps, loadedHere);
      const signed = await signRequestOnToken(request, { module: opts.module!, moduleParams: opts.moduleParams, token: chosenToken(opts.token, opts.tokenLabel), label: opts.label!, pin, name: opts.name, whileSigned, witnesses, confirmedSha256: expectedPayload }, moduleDeps);
      response = signed.response;
      say(`signed with key "${opts.label}" on ${describeToken(signed.token)}${signed.rehearsal ? ' — REHEARSAL token' : ''}`);
    } else {
      const cards: ShareCard[] = [];
      try {
        for (const path of opts.shareCard!) {
          const bytes = await readFileCapped(path, SHARE_CARD_MAX_BYTES);
          try {
            cards.push(parseShareCard(bytes, { source: basename(path) }));
          } finally {
            bytes.fill(0);
          }
        }
        response = (await signRequestWithShareCards(request, cards, { name: opts.name, whileSigned, witnesses, confirmedSha256: expectedPayload })).response;
      } finally {
        cards.forEach(wipeShareCard);
      }
      say('signed with the key rebuilt from the share cards; the rebuilt key was wiped from memory');
    }

    // Checked before the PIN (or the rebuild) from the key's fingerprint (confirmedSha256); again on what was signed.
    if (expectedPayload !== undefined && response.payloadSha256 !== expectedPayload) {
      throw new CeremonyError('ROTATION_REQUEST_TAMPERED', `the hash read out is that of the other part of this request than the one this key signs (${response.payloadSha256.slice(0, 16)}…): ask which part is yours; nothing was written`);
    }
    // Check the response as the administrator's merge will, then write and read it back.
    const check = mergeResponses(request, [response]);
    const bytes = session.written ?? responseBytes(response);
    // Both paths read the file back and compare it byte for byte (a media fault: BUNDLE_WRITE_VERIFY_FAILED).
    if (asBundle) await writeBundle(out, bytes);
    else await writeFileVerified(out, bytes);
    // What was written must also parse as the response made (a serialisation bug, not the medium: INTERNAL).
    const back = readSignatureResponse(bytes, basename(out), request).response;
    if (JSON.stringify(back) !== JSON.stringify(parseSignatureResponse(serializeSignatureResponse(response)))) throw new CeremonyError('INTERNAL', `${basename(out)} does not read back as the response written`);
    const keyids = response.signatures.map((s) => s.keyid);
    say(`wrote ${out}: ${keyids.length} signature${keyids.length === 1 ? '' : 's'} (key ${keyids.map((k) => `${k.slice(0, 12)}…`).join(', ')}); with this response alone: ${check.status}`);
    await writeFileAtomic(transcriptPath, session.bytes());
    say(`session transcript ${transcriptPath}, sealed by the signing key: tuf-ceremony transcript verify ${transcriptPath} --seal-key ${session.sealKeyId}`);
    if (json) {
      io.out(
        JSON.stringify(
          { ok: true, out, transcript: transcriptPath, sealKeyId: session.sealKeyId, form: asBundle ? 'bundle' : 'response', requestId: request.requestId, payloadSha256: response.payloadSha256, keyids, signer: response.signer, witnesses: response.witnesses ?? [], review: { lines: review.lines, digest: review.digest } },
          null,
          2,
        ),
      );
    }
    return 0;
  } catch (err) {
    return reportError(io, err, json);
  } finally {
    await finalizeLoaded(loadedHere);
  }
}

export function registerSignCommand(program: Command, io: Io, done: (status: number) => void, deps: SignDeps = defaultSignDeps): void {
  program
    .command('sign')
    .description('co-sign a root rotation signing request with a token key or share cards; write a signature response (a certificate request: the key issues its renewed Notary root certificate)')
    .argument('<REQUEST>', 'a signing request: the JSON document or a signing-request bundle')
    .requiredOption('--out <RESPONSE>', 'where to write the signature response (never overwritten)')
    .option('--module <PATH|PRESET>', 'PKCS#11 module: a path, or ykcs11, opensc, softhsm2')
    .option('--module-params <STRING>', "the module's start-up parameters (NSS softokn: configdir='sql:DIR' certPrefix='' keyPrefix='' secmod='secmod.db')")
    .option('--token <SERIAL>', 'serial of the token holding the key')
    .option('--token-label <LABEL>', 'label of that token (checked when given; enough alone where serials repeat: tpm2-pkcs11, NSS)')
    .option('--label <KEYLABEL>', 'label of the key on the token')
    .option('--pin-env <VAR>', 'name of an environment variable holding the PIN (else asked without echo)')
    .option('--share-card <FILE...>', 'share card files of a Shamir-split root key')
    .option('--name <NAME>', 'who signs, as the response says (default: the name the request gives the key)')
    .option('--witness <NAME...>', 'who watched the signature being made (names, recorded in the response; optional)')
    .option('--expect-hash <HASH>', 'the short hash of the bytes to sign as read out (32 hex digits or 16 PGP words), or their SHA-256: refuse anything else')
    .option('--bundle', 'write the response as a signature-response bundle (the default when the request came as a bundle)')
    .option('--full', 'a batch request: name every repository in the review (else the first 20 and a count per folder)')
    .option('--json', 'machine-readable result')
    .action(async (request: string, opts: SignOptions) => {
      done(await signCommand(request, opts, io, deps));
    });
}
