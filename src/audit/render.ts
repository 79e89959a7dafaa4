/**
 * The transcript as a readable, printable document: one self-contained HTML page — inline CSS only, no
 * script, no image, no font or other resource to fetch, and a CSP that forbids them — that the app
 * prints to PDF and the CLI writes with `transcript render`. Every value from the transcript is
 * HTML-escaped. It renders a *verified* transcript (verifyTranscript's result) and says how to verify the
 * file again: the printout is for reading; the evidence is the file and its seal.
 */
import { bytesToWords, groupHex, SHORT_DIGEST_BYTES, groupWords } from '../crypto/digest-words.js';
import type { TranscriptDigest, TranscriptEntry, TranscriptFile, VerifiedTranscript } from './types.js';

export interface RenderOptions {
  /** The transcript's file name, for the "how to verify" line (`FILE` when not given). */
  fileName?: string;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESC[c]!);
}

const PROFILE_TITLE = { tuf: 'TUF 1.0', notary: 'Notary v1 (Docker Content Trust)' } as const;

/** `2025-05-06T09:12:00.000Z` → `2025-05-06 09:12:00` (the column says UTC; the file keeps milliseconds). */
function time(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, '');
}

function wordsOf(hex: string): string {
  return bytesToWords(Uint8Array.from(Buffer.from(hex.slice(0, SHORT_DIGEST_BYTES * 2), 'hex'))).join(' ');
}

function digestHtml(d: TranscriptDigest): string {
  return `<div class="digest"><div class="label">${esc(d.label)}</div><div class="hex">${esc(groupHex(d.short))}</div><div class="words">${esc(groupWords(d.words))}</div><div class="full">SHA-256 ${esc(d.sha256)}</div></div>`;
}

function filesHtml(kind: 'in' | 'out', files: TranscriptFile[]): string {
  return files
    .map((f) => `<div class="file"><span class="dir">${kind}</span> <span class="name">${esc(f.name)}</span><div class="full">${esc(f.sha256)}</div></div>`)
    .join('');
}

function entryRow(e: TranscriptEntry): string {
  const token = e.token
    ? `<div class="token">token ${esc(e.token.serial)}${e.token.label ? ` “${esc(e.token.label)}”` : ''}${e.token.keyId ? `<br>key ${esc(e.token.keyId.slice(0, 16))}…` : ''}</div>`
    : '';
  const witnesses = e.witnesses.map((w) => `<div class="witness"><span class="name">${esc(w.name)}</span>: ${esc(w.confirmed)}</div>`).join('');
  const note = e.note ? `<div class="note">${esc(e.note)}</div>` : '';
  return `<tr>
<td class="seq">${e.seq}<div class="hash">${esc(e.hash.slice(0, 8))}</div></td>
<td class="time">${esc(time(e.time)).replace(' ', '<br>')}</td>
<td class="who"><div class="step">${esc(e.step)}</div><div class="actor">${esc(e.actor.name)} <span class="role">(${esc(e.actor.role)})</span></div>${token}</td>
<td class="shown">${e.digests.map(digestHtml).join('') || '<span class="none">—</span>'}</td>
<td class="files">${filesHtml('in', e.inputs)}${filesHtml('out', e.outputs)}${e.inputs.length + e.outputs.length === 0 ? '<span class="none">—</span>' : ''}</td>
<td class="witnesses">${witnesses}${note}${witnesses || note ? '' : '<span class="none">—</span>'}</td>
</tr>`;
}

const STYLE = `
@page { size: A4 landscape; margin: 12mm 12mm 14mm 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 9pt; color: #111; margin: 0; line-height: 1.3; }
h1 { font-size: 16pt; margin: 0 0 4pt; }
h2 { font-size: 12pt; margin: 12pt 0 4pt; }
code, .hex, .full, .hash, .mono { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; }
.banner { border: 3pt solid #111; padding: 6pt 10pt; margin: 0 0 8pt; font-size: 12pt; font-weight: bold; }
.banner.rehearsal { background: #ffe08a; }
.banner.unsealed { background: #ffc4c4; }
table { border-collapse: collapse; width: 100%; }
table.facts th { text-align: left; font-weight: normal; color: #444; width: 38mm; padding: 1pt 6pt 1pt 0; vertical-align: top; }
table.facts td { padding: 1pt 0; vertical-align: top; }
table.steps { table-layout: fixed; font-size: 8pt; }
table.steps th { text-align: left; border-bottom: 1.5pt solid #111; padding: 3pt 4pt; vertical-align: bottom; }
table.steps td { border-bottom: 0.5pt solid #999; padding: 3pt 4pt; vertical-align: top; overflow-wrap: anywhere; }
table.steps tr { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
col.seq { width: 14mm; } col.time { width: 21mm; } col.who { width: 44mm; } col.shown { width: 72mm; } col.files { width: 64mm; }
.seq .hash { font-size: 6.5pt; }
.step { font-weight: bold; }
.role, .dir, .label, .hash, .token { color: #444; }
.hex { font-size: 9pt; font-weight: bold; letter-spacing: 0.5pt; }
.words { font-style: italic; }
.full { font-size: 6.5pt; color: #444; word-break: break-all; }
.digest + .digest, .file + .file, .witness + .witness { margin-top: 3pt; }
.note { margin-top: 3pt; white-space: pre-wrap; font-style: italic; }
.none { color: #888; }
.problems { border: 1pt solid #a00; padding: 4pt 8pt; margin: 6pt 0; }
.seal p { margin: 2pt 0; }
.verify { margin-top: 12pt; padding-top: 6pt; border-top: 1pt solid #111; font-size: 10pt; }
`;

export function renderTranscriptHtml(t: VerifiedTranscript, opts: RenderOptions = {}): string {
  const h = t.header;
  const title = `Ceremony transcript — ${h.kind} — ${h.repository}`;
  const banners: string[] = [];
  if (t.rehearsal) {
    banners.push(
      '<div class="banner rehearsal" role="note">REHEARSAL — this ceremony ran on rehearsal tokens. Keys and signatures made in it must never be trusted in production.</div>',
    );
  }
  if (!t.sealed) {
    banners.push('<div class="banner unsealed" role="note">UNSEALED — this transcript has no seal: the ceremony was interrupted, or the seal was removed. It is an incomplete record.</div>');
  }
  const facts: [string, string][] = [
    ['Ceremony', `<code>${esc(h.kind)}</code>${t.rehearsal ? ' (rehearsal)' : ''}`],
    ['Profile', esc(PROFILE_TITLE[h.profile])],
    [h.profile === 'notary' ? 'Repository (GUN)' : 'Repository', `<code>${esc(h.repository)}</code>`],
    ['Plan intent hash', `<span class="hex">${esc(groupHex(h.planHash.slice(0, SHORT_DIGEST_BYTES * 2)))}</span> <span class="words">${esc(wordsOf(h.planHash))}</span><div class="full">SHA-256 ${esc(h.planHash)}</div>`],
    ['Started (UTC)', esc(time(h.started))],
    ['Written by', `tuf-ceremony ${esc(h.appVersion)}`],
    ['Header hash', `<span class="mono">${esc(h.hash)}</span>`],
    ['Entries', String(t.entries.length)],
    ['Last entry hash', `<span class="mono">${esc(t.lastHash)}</span>`],
  ];
  const problems = t.problems.length
    ? `<section class="problems"><h2>Findings</h2><ul>${t.problems.map((p) => `<li><code>${esc(p.code)}</code> ${esc(p.message)}</li>`).join('')}</ul></section>`
    : '';
  const rows = t.entries.map(entryRow).join('\n');
  let seal: string;
  let verifyLine: string;
  const file = esc(opts.fileName ?? 'FILE');
  if (t.seal && t.sealedBy) {
    const by = t.sealedBy;
    seal = `<section class="seal"><h2>Seal</h2>
<p>Sealed at ${esc(time(by.time))} UTC by key ID <span class="mono">${esc(by.keyId)}</span> (${esc(by.keytype)}, ${esc(by.scheme)}).</p>
<p>Key fingerprint (SHA-256 of the public key): <span class="hex">${esc(groupHex(by.fingerprint.slice(0, SHORT_DIGEST_BYTES * 2)))}</span> <span class="words">${esc(wordsOf(by.fingerprint))}</span></p>
<p class="full">${esc(by.fingerprint)}</p>
<p>The seal signs the header hash, the number of entries (${t.seal.entries}) and the last entry hash; each entry names the hash of the one before it, so the seal covers every line.</p>
<p>${t.sealKeyPinned ? 'The sealing key was checked against the expected key when this document was made.' : 'Compare the key fingerprint with the one recorded at the ceremony: verifying with <code>--seal-key</code> does that check.'}</p>
</section>`;
    verifyLine = `To verify this transcript offline, run <code>tuf-ceremony transcript verify ${file} --seal-key ${esc(by.keyId)}</code> on the transcript file. This printout is for reading; the evidence is the file and its seal.`;
  } else {
    seal = '<section class="seal"><h2>Seal</h2><p><strong>Not sealed.</strong> Nothing vouches that this record is complete.</p></section>';
    verifyLine = `To verify this transcript offline, run <code>tuf-ceremony transcript verify ${file}</code> on the transcript file. This printout is for reading; the evidence is the file and its seal.`;
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${banners.join('\n')}
<h1>Ceremony transcript</h1>
<table class="facts"><tbody>
${facts.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${v}</td></tr>`).join('\n')}
</tbody></table>
${problems}
<h2>Steps</h2>
<table class="steps">
<colgroup><col class="seq"><col class="time"><col class="who"><col class="shown"><col class="files"><col class="witnesses"></colgroup>
<thead><tr><th>#</th><th>Time (UTC)</th><th>Step, actor, token</th><th>Shown to people (hex, words)</th><th>Files in / out (SHA-256)</th><th>Witnesses, note</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="6" class="none">No steps recorded.</td></tr>'}
</tbody>
</table>
${seal}
<p class="verify">${verifyLine}</p>
</body>
</html>
`;
}
