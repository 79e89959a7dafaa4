/**
 * No secret in anything a ceremony writes, except the share cards (which are the shares, by design): every
 * file of the output folder is scanned (test/support/secret-scan.ts: raw, hex, base64, base32, any
 * alignment) for the private keys the ceremony handled — the token keys (software rehearsal tokens, whose
 * secrets a test can read), the rehearsal's software keys, the software root key rebuilt from its cards —
 * and for the share bytes. Each scan has a positive control that plants a secret and finds it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runCeremony } from '../../../src/ceremony/machine.js';
import { parseShareCard, withReconstructedKey } from '../../../src/shamir/index.js';
import type { SigningKey } from '../../../src/signers/signing-key.js';
import { scanForSecrets } from '../../support/secret-scan.js';
import { cleanup, filesUnder, preparePlan, recordingTokens, secretsOf } from './support.js';

afterAll(cleanup);

describe.each(['notary', 'tuf'] as const)('%s: every file the ceremony wrote', (profile) => {
  it('holds no private key and no share (the cards excepted)', async () => {
    const p = preparePlan(profile);
    const tokens = await recordingTokens(['Alice', 'Bob', 'Carol']);
    const softwareKeys = new Map<string, SigningKey>();
    await runCeremony({ planBytes: p.bytes, plan: p.plan, planName: 'plan.json', planDir: p.dir, outDir: p.dir, tokens: tokens.provider, softwareKeys });
    // Read the secrets before the tokens are closed (closing wipes the software keys).
    const keySecrets = [...secretsOf(tokens.made), ...secretsOf([...softwareKeys.values()])];
    await tokens.provider.close();
    expect(keySecrets.length).toBe(profile === 'notary' ? 5 : 6);

    const files = filesUnder(p.dir);
    const cardNames = [...files.keys()].filter((n) => n.startsWith('secret/'));
    expect(cardNames).toHaveLength(4);
    const cards = cardNames.filter((n) => n.endsWith('.txt')).map((n) => parseShareCard(files.get(n)!));
    const shares = cards.map((c) => Uint8Array.from(c.share));
    const rootSecret = await withReconstructedKey(cards.slice(0, 2), (k) => Uint8Array.from(k.secret));
    const secrets = [...keySecrets, rootSecret, ...shares];

    const scanned: string[] = [];
    for (const [name, bytes] of files) {
      if (cardNames.includes(name)) continue;
      expect(scanForSecrets(bytes, secrets), name).toEqual([]);
      scanned.push(name);
    }
    expect(scanned).toEqual(expect.arrayContaining(['metadata/root.json', 'metadata/targets.json', 'state/transcript.jsonl', 'state/transcript.html', 'state/ceremony-state.json', 'plan.json']));

    // Positive controls: a secret planted in the transcript is found, in hex and in base64.
    const transcript = files.get('state/transcript.jsonl')!;
    const planted = new TextEncoder().encode(`${new TextDecoder().decode(transcript)}${Buffer.from(rootSecret).toString('hex')}\n${Buffer.from(shares[0]!).toString('base64')}`);
    const found = scanForSecrets(planted, secrets);
    expect(found.map((f) => f.form)).toEqual(expect.arrayContaining(['hex', 'base64']));
  });
});
