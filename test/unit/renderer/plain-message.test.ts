/**
 * Issue #16: no app message uses a CLI flag or a JSON path as its text. The core's messages are the
 * CLI's too; plainMessage (what every refusal panel, verification banner and problem list shows) turns
 * flags into the thing they stand for and paths into field names. Real messages of the core, as the
 * screens received them in the walkthrough, each with what must remain readable.
 */
import { describe, expect, test } from 'vitest';
import { explainCode, hasCliOrPathText, plainMessage } from '../../../renderer/src/lib/format.js';
import { ERROR_CODES } from '../../../src/errors.js';

const CASES: { message: string; path?: string; keeps: string }[] = [
  { message: 'Verification failed: USAGE: give the trusted root with --root FILE (trust on first use is refused)', keeps: 'the “root” setting' },
  { message: 'expected "tuf-ceremony-plan" (at $.format)', path: '$.format', keeps: 'expected "tuf-ceremony-plan"' },
  { message: 'unknown field $.signed.keys["abc"].keyval', keeps: 'the field “signed.keys.abc.keyval”' },
  { message: 'role $.signed.roles.root.keyids[2] is not listed', keeps: 'the field “signed.roles.root.keyids[2]”' },
  { message: 'the transcript is sealed by another key than --seal-key <key-id>', keeps: 'the “seal key” setting' },
  { message: '$ is not an object', keeps: 'the file is not an object' },
  {
    // An attestation sentence quoting the inner refusal with a path into attestations.json (no `$`).
    message: 'key 3f2a… (root): attestation REFUSED [ATTESTATION_UNKNOWN_ROOT] the chain ends at "Test PIV Root", not a Yubico root (at attestations.json.attestations["3f2a"].device)',
    keeps: 'not a Yubico root',
  },
];

describe('plainMessage: no CLI flags or JSON paths in what the screens show', () => {
  test.each(CASES)('$message', ({ message, path, keeps }) => {
    const shown = plainMessage(message, path);
    expect(hasCliOrPathText(shown), shown).toBe(false);
    expect(shown).toContain(keeps);
  });

  test('the detector catches what it must (so the check above can fail)', () => {
    expect(hasCliOrPathText('use --root FILE')).toBe(true);
    expect(hasCliOrPathText('at $.format')).toBe(true);
    expect(hasCliOrPathText('at $[0]')).toBe(true);
    expect(hasCliOrPathText('refused (at attestations.json.attestations["ab"].device)')).toBe(true);
    expect(hasCliOrPathText('a 2-of-3 root (at most 64 characters)')).toBe(false);
    expect(hasCliOrPathText('a 2-of-3 root — well-formed')).toBe(false);
  });

  test('no sentence the screens add for a code uses a flag or a path, and a wrong PIN does not claim "no key was made"', () => {
    for (const code of Object.keys(ERROR_CODES)) {
      const text = explainCode(code);
      if (text) expect(hasCliOrPathText(text), code).toBe(false);
    }
    expect(explainCode('PIN_INCORRECT')).not.toMatch(/no key was made/i);
  });

  // Refusals the import (file and camera), co-signing and token screens reach: each gets a plain sentence
  // besides the core's message (session 13 left BUNDLE_CONTENT_INVALID, the QR and the token codes without).
  test.each([
    'JSON_TOO_MANY_VALUES', 'SIGNATURE_WORK_EXCEEDED', 'TOKEN_LOGIN_SHARED', 'TOKEN_TEMPLATE_REFUSED', 'TOKEN_KEY_ATTRIBUTES_UNSAFE', 'TOKEN_SOFTWARE',
    'TOKEN_AMBIGUOUS', 'KEY_FILE_PRIVATE', 'BUNDLE_MANIFEST_TOO_LARGE', 'BUNDLE_VERSION_UNSUPPORTED', 'BUNDLE_KIND_UNKNOWN', 'BUNDLE_FILE_NAME_INVALID',
    'BUNDLE_FILE_DUPLICATE', 'BUNDLE_WRITE_VERIFY_FAILED', 'BUNDLE_CONTENT_INVALID', 'FILE_CHANGED', 'ROOT_EXPIRED', 'QR_INCOMPLETE', 'QR_IMAGE_UNREADABLE',
    'QR_IMAGE_TOO_LARGE', 'QR_TOO_MANY_PARTS', 'FIELD_NAME_AMBIGUOUS', 'DELEGATION_UNSUPPORTED', 'QR_MESSAGE_NOT_BUNDLE', 'QR_SCANNER_CLOSED',
  ])('%s has a sentence for the screens', (code) => {
    expect(code in ERROR_CODES, code).toBe(true);
    expect(explainCode(code)).toMatch(/^[A-Z].{30,}\.$/s);
  });
});
