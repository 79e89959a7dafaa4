import { beforeAll, describe, expect, it } from 'vitest';
import { renderTranscriptHtml } from '../../../src/audit/render.js';
import { groupWords } from '../../../src/crypto/digest-words.js';
import { verifyTranscript } from '../../../src/audit/verify.js';
import type { VerifiedTranscript } from '../../../src/audit/types.js';
import { makeKey, type TestKey } from '../../support/keys.js';
import { STEPS, writeSample } from './fixtures.js';

let key: TestKey;
let t: VerifiedTranscript;
let html: string;

beforeAll(async () => {
  key = await makeKey('tuf', 'ecdsa-p256');
  const steps = [...STEPS, { step: 'note', actor: { name: 'Eve <script>alert(1)</script> & "co"', role: 'witness' as const }, note: '<img src=x onerror=alert(1)>' }];
  t = verifyTranscript(await writeSample({ signer: key, steps }));
  html = renderTranscriptHtml(t, { fileName: 'root-ceremony.transcript.jsonl' });
});

describe('renderTranscriptHtml', () => {
  it('is self-contained: no script, no external resource, a CSP that forbids both', () => {
    // The markup (tags and the style sheet), not the escaped text a hostile note put on the page.
    const markup = (html.match(/<[^>]*>/g) ?? []).join('\n') + (html.match(/<style>[\s\S]*?<\/style>/)?.[0] ?? '');
    expect(markup).not.toMatch(/<script|<img|<link|<iframe|<object|<embed|<svg|<form|\son\w+=|src=|href=|url\(|@import|https?:\/\//i);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'`);
  });

  it('escapes every value from the transcript', () => {
    expect(html).toContain('Eve &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('shows the header, a REHEARSAL banner, each step with times, actors, digests as hex and words, witnesses', () => {
    expect(html).toContain('REHEARSAL');
    expect(html).toContain('registry.example.com/org/app');
    expect(html).toContain('TUF 1.0');
    const root = t.entries[4]!;
    expect(html).toContain('root.sign');
    expect(html).toContain('2025-05-06<br>09:05:00');
    expect(html).toContain('Alice Custodian');
    expect(html).toContain(root.digests[0]!.short.replace(/(.{4})(?=.)/g, '$1 '));
    expect(html).toContain(groupWords(root.digests[0]!.words));
    expect(html).toContain('Dave Auditor</span>: signature verified on screen');
    expect(html).toContain('token 12345678');
  });

  it('names the seal and its key fingerprint, and tells an auditor how to verify', () => {
    expect(html).toContain(t.sealedBy!.keyId);
    expect(html).toContain(key.key.fingerprint);
    expect(html).toContain(`tuf-ceremony transcript verify root-ceremony.transcript.jsonl --seal-key ${t.sealedBy!.keyId}`);
  });

  it('no REHEARSAL banner for a production ceremony; an UNSEALED banner without a seal', async () => {
    const prod = renderTranscriptHtml(verifyTranscript(await writeSample({ header: { rehearsal: false } }), { allowUnsealed: true }));
    expect(prod).not.toContain('REHEARSAL');
    expect(prod).toContain('UNSEALED');
    expect(prod).toContain('Not sealed.');
    expect(prod).toContain('tuf-ceremony transcript verify FILE</code>');
  });
});
