/**
 * The printable ceremony script (issue #16 point 9), generated from the reviewed plan: what the people in
 * the room do, in order, each step with a checkbox and a box for a witness's initials, the words to read
 * aloud, and what to do when the step fails. It follows the machine's steps (machine.ts STEPS, then the
 * seal) and the plan's people, tokens and keys; it adds the room, the machine and the media around them.
 *
 * One self-contained HTML page, as the transcript's printout (src/audit/render.ts): inline CSS only, no
 * script, nothing to fetch, a CSP that forbids it; every value from the plan HTML-escaped. A4 portrait;
 * a step never splits across pages. `tuf-ceremony plan-script` writes it; `rehearse` writes one beside
 * its outputs; any browser (or the app's print) makes the PDF.
 *
 * The script holds no secret: the plan is public to everyone in the room, and the hash words are the
 * plan's intent hash (plan-hash.ts), what the witnesses compare with the reviewed copy.
 */
import { groupHex, groupWords } from '../crypto/digest-words.js';
import { holdsRole, type CeremonyPlan, type KeySource, type PlanCustodian } from './plan.js';
import { intentHash } from './plan-hash.js';
import { METADATA_DIR, SECRET_DIR, STATE_DIR } from './layout.js';

export interface ScriptOptions {
  /** The plan's file name, as the run command names it. */
  planName: string;
  /** The rehearsal marks every page (a rehearsal's script is never mistaken for a real one's). */
  rehearsal?: boolean;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESC[c]!);
}

const PROFILE_TITLE = { tuf: 'TUF 1.0', notary: 'Notary v1 (Docker Content Trust)' } as const;

/** One step of the script. `failure` is what to do when it does not go as written. */
interface ScriptStep {
  title: string;
  who: string;
  do: string[];
  /** Words read aloud and compared (hex and PGP words), when the step has them. */
  read?: { what: string; hex: string; words: string };
  failure: string[];
}

function tokenText(c: PlanCustodian): string {
  if (!c.token) return 'the token the site bindings name';
  return [c.token.label !== undefined ? `label “${c.token.label}”` : '', c.token.serial !== undefined ? `serial ${c.token.serial}` : ''].filter(Boolean).join(', ');
}

function keyText(source: KeySource | { kind: 'server'; keyFile: string }): string {
  if (source.kind === 'token') return `on ${source.custodian}'s token (key “${source.keyLabel}”, ${source.keyAlgorithm})`;
  if (source.kind === 'software') return `a software key made in memory (${source.keyAlgorithm})`;
  return `the server's key from ${source.keyFile}`;
}

function steps(plan: CeremonyPlan, o: ScriptOptions, hash: { hex: string; words: string }): ScriptStep[] {
  const out: ScriptStep[] = [];
  const run = `tuf-ceremony run ${o.planName} --bindings BINDINGS --out DIR`;
  out.push({
    title: 'Compare the plan and name the witnesses',
    who: 'Administrator reads aloud; every witness compares with their reviewed copy',
    do: [
      'Open the plan in the app (Root ceremony → Open plan) or start the command below; it shows the plan intent hash before anything is done.',
      'Read the hash words aloud, slowly, in groups of four. Each witness compares them with the words on the copy of the plan they reviewed.',
      'Each witness says their name; the administrator types the names into the app. They are recorded in the transcript.',
    ],
    read: { what: 'plan intent hash (SHA-256 of the plan file)', ...hash },
    failure: ['A word differs: stop. This is not the reviewed plan. Nothing has been done; find out why before anything else.'],
  });
  out.push({
    title: 'Check every token before any PIN',
    who: 'Administrator; each custodian looks at their own token',
    do: [
      `Start the ceremony (the app's Start button, or \`${run}\`).`,
      ...plan.custodians.map((c) => `${c.name}: insert the token (${tokenText(c)}). The app names it; ${c.name} checks the label and serial printed on the token itself.`),
    ],
    failure: [
      'A token is not found or not the one named: stop; re-seat it or bring the right one, then Resume. Nothing has been written to any token yet.',
      'The app says SOFTWARE TOKEN in a real ceremony: stop unless the reviewed plan allows software tokens.',
    ],
  });
  out.push({
    title: 'Make the keys',
    who: 'Each custodian enters their own PIN; no one else looks at the keyboard',
    do: [
      ...plan.custodians.map((c) => `${c.name}: enter the PIN when asked for ${tokenText(c)}; the root key “${c.keyLabel}” (${c.keyAlgorithm}) is made on the token and never leaves it.`),
      `Targets key: ${keyText(plan.targets.key)}.`,
      `Snapshot key: ${holdsRole(plan, 'snapshot') ? keyText(plan.snapshot.key as KeySource) : `held by the server (${(plan.snapshot.key as { keyFile: string }).keyFile})`}.`,
      `Timestamp key: ${holdsRole(plan, 'timestamp') ? keyText(plan.timestamp.key as KeySource) : `held by the server (${(plan.timestamp.key as { keyFile: string }).keyFile})`}.`,
      'Each new key is shown with its fingerprint as hex and words; its holder reads the words aloud and writes the first four on the token label sheet.',
    ],
    failure: [
      'A wrong PIN: the app asks again and says how many tries are left. After the last try the token locks: stop, and unlock it with its PUK or SO PIN before resuming.',
      'A token pulled or the computer stopped: put it back and Resume with the same plan and output folder. Keys made before are found on the tokens; none is made twice.',
    ],
  });
  if (plan.shamir) {
    const s = plan.shamir;
    out.push({
      title: `Split the backup root key into ${s.shares} share cards (${s.threshold} of ${s.shares} rebuild it)`,
      who: 'Administrator; card holders wait away from the screen',
      do: [
        `The software root key is made in memory, split into ${s.shares} cards and wiped. The cards are written to ${SECRET_DIR}/ (only this user can open it).`,
        `Print the cards (Print share cards…), one page per card, numbered 1 to ${s.shares}. Each holder receives one card, checks its number and the split's fingerprint words, fills in “held by”, date and witness, and seals it in an envelope.`,
        `Delete the ${SECRET_DIR}/ folder once every card is printed and handed over; never copy it with the metadata.`,
      ],
      failure: ['The printer jams or a page is lost: print that card again from the same file; never print a card twice for two people. If a card may have been seen by someone else, record it, and plan a new split.'],
    });
  }
  out.push({
    title: 'Sign the metadata',
    who: 'Each custodian, in turn, with their token',
    do: [
      'The app builds root.json, targets.json' + (holdsRole(plan, 'snapshot') ? ', snapshot.json' : '') + (holdsRole(plan, 'timestamp') ? ', timestamp.json' : '') + ' and shows the short hash of each, as hex and words.',
      ...plan.custodians.map((c) => `${c.name}: read the root.json words aloud; the witnesses compare them with the screen; then sign on the token.`),
      `Root needs ${plan.root.threshold} of ${plan.custodians.length + (plan.shamir ? 1 : 0)} keys; every planned key signs version 1.`,
    ],
    failure: ['A signature does not verify: the app stops the step (the token returned a bad signature). Resume; if it happens again, replace the token and re-plan.'],
  });
  out.push({
    title: 'Verify and write the outputs',
    who: 'Administrator; witnesses watch the screen',
    do: [
      `Every file is verified as a client would, then written to ${METADATA_DIR}/ (publishable) and read back.`,
      'Read the short hash of root.json aloud; each witness writes the first four words in the margin of this script.',
    ],
    failure: ['A file does not read back as written (a bad medium): use another output folder on another disk; the keys are kept.'],
  });
  out.push({
    title: 'Seal and print the transcript',
    who: 'First custodian seals; the administrator prints',
    do: [
      `${plan.custodians[0]!.name}'s root key seals the transcript (${STATE_DIR}/transcript.jsonl). The app shows the sealing key's ID: write it down here: ____________________`,
      'Print the transcript (Print the transcript…); every witness signs the printout.',
      `Check it: \`tuf-ceremony transcript verify DIR/${STATE_DIR}/transcript.jsonl --seal-key KEYID\`.`,
    ],
    failure: ['The transcript does not verify: keep the folder as it is, do not publish, and ask a second person to verify the file on another computer.'],
  });
  out.push({
    title: 'Carry the metadata out',
    who: 'Administrator; one witness accompanies the medium',
    do: [
      `Export the metadata (Export → open the output folder: its ${METADATA_DIR}/ folder is used) to a new USB stick, or play it as QR codes.`,
      'Read the bundle’s short hash words aloud; the receiving operator compares them on the online machine before publishing.',
      'Power the ceremony computer off. Tokens go back to their custodians’ safes; record where each is kept.',
    ],
    failure: ['The words differ at the receiving end: do not publish; carry a fresh copy.'],
  });
  return out;
}

const STYLE = `
@page { size: A4; margin: 14mm 14mm 16mm 14mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.4 "DejaVu Sans", Arial, sans-serif; color: #000; background: #fff; margin: 0; }
h1 { font-size: 17pt; margin: 0 0 4mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 1px solid #000; }
.banner { border: 2px solid #000; padding: 2mm 3mm; font-weight: bold; margin-bottom: 3mm; }
.mono, .hex { font-family: "DejaVu Sans Mono", monospace; white-space: nowrap; }
.words { font-weight: bold; font-size: 12pt; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #000; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
th { background: #eee; }
.blank { min-width: 45mm; }
td.role { white-space: nowrap; font-weight: bold; }
ul.check { list-style: none; padding-left: 0; margin: 1mm 0; }
ul.check li::before { content: "\\2610\\00a0"; font-size: 12pt; }
.step { break-inside: avoid; border: 1px solid #000; padding: 2mm 3mm; margin: 0 0 3mm; }
.step h3 { margin: 0 0 1mm; font-size: 11.5pt; }
.step .who { font-style: italic; margin-bottom: 1mm; }
.step .read { border: 1px dashed #000; padding: 1.5mm 2mm; margin: 1.5mm 0; }
.step .fail { margin-top: 1mm; }
.step .sign { display: flex; gap: 6mm; margin-top: 2mm; }
.step .sign span { flex: 1; border-bottom: 1px solid #000; padding-top: 4mm; }
`;

/** The ceremony script for `plan` (its bytes give the intent hash read aloud). */
export function renderCeremonyScriptHtml(plan: CeremonyPlan, planBytes: Uint8Array, o: ScriptOptions): string {
  const h = intentHash(planBytes);
  const hash = { hex: groupHex(h.short), words: groupWords(h.words) };
  const title = `Ceremony script — ${plan.repository}`;
  const banner = o.rehearsal ? '<p class="banner">REHEARSAL — this script is for a rehearsal on rehearsal tokens; its keys protect nothing.</p>' : '';
  const roles: [string, string][] = [
    ['Administrator', 'runs the app, reads the words aloud, never holds a custodian’s token or PIN'],
    ...plan.custodians.map((c): [string, string] => [`Custodian: ${c.name}`, `root key “${c.keyLabel}” (${c.keyAlgorithm}) on ${tokenText(c)}`]),
    ...(plan.shamir ? Array.from({ length: plan.shamir.shares }, (_, i): [string, string] => [`Share card ${i + 1} of ${plan.shamir!.shares} holder`, 'receives one card, keeps it sealed and apart from the others']) : []),
    ['Witness 1', 'compares the words, initials every step'],
    ['Witness 2', 'compares the words, initials every step'],
  ];
  const stepHtml = steps(plan, o, hash)
    .map(
      (s, i) => `<section class="step" aria-labelledby="step-${i + 1}">
<h3 id="step-${i + 1}">☐ Step ${i + 1}. ${esc(s.title)}</h3>
<div class="who">${esc(s.who)}</div>
<ul class="check">${s.do.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>
${s.read ? `<div class="read">Read aloud — ${esc(s.read.what)}:<br><span class="hex">${esc(s.read.hex)}</span><br><span class="words">${esc(s.read.words)}</span></div>` : ''}
<div class="fail"><strong>If it fails:</strong> ${s.failure.map(esc).join(' ')}</div>
<div class="sign"><span>Done at (time)</span><span>Witness initials</span><span>Witness initials</span></div>
</section>`,
    )
    .join('\n');
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
${banner}
<h1>${esc(title)}</h1>
<table class="facts"><tbody>
<tr><th scope="row">Profile</th><td>${esc(PROFILE_TITLE[plan.profile])}</td></tr>
<tr><th scope="row">Repository</th><td>${esc(plan.repository)}</td></tr>
<tr><th scope="row">Plan</th><td>${esc(o.planName)}</td></tr>
<tr><th scope="row">Plan intent hash</th><td><span class="hex">${esc(hash.hex)}</span><br><span class="words">${esc(hash.words)}</span><br><span class="mono">${esc(h.sha256)}</span></td></tr>
<tr><th scope="row">Root</th><td>${plan.root.threshold} of ${plan.custodians.length + (plan.shamir ? 1 : 0)} keys; expires ${esc(plan.root.expires.text)}</td></tr>
<tr><th scope="row">Date, room</th><td class="blank">&nbsp;</td></tr>
</tbody></table>

<h2>Roles</h2>
<table><thead><tr><th>Role</th><th>Does</th><th>Name</th><th>Signature</th></tr></thead><tbody>
${roles.map(([r, d]) => `<tr><td class="role">${esc(r)}</td><td>${esc(d)}</td><td class="blank">&nbsp;</td><td class="blank">&nbsp;</td></tr>`).join('\n')}
</tbody></table>

<h2>Room and machine</h2>
<ul class="check">
<li>A closed room; phones and laptops other than the ceremony computer left outside; the door logged.</li>
<li>The ceremony computer: networking off (cable out, Wi-Fi and Bluetooth disabled), booted from known media; its clock checked against a watch (expiry dates depend on it).</li>
<li>tuf-ceremony's version and the SHA-256 of its package read aloud and compared with the published value.</li>
<li>A printer connected by cable only, and paper for the transcript${plan.shamir ? ' and the share cards' : ''}.</li>
<li>Every token still in its tamper-evident bag; each bag's number compared with the log before it is opened.</li>
</ul>

<h2>Media</h2>
<ul class="check">
<li>New USB sticks, still sealed, for the metadata only; labelled before use.</li>
<li>${esc(`The output folder gets ${METADATA_DIR}/ (publishable: the only folder that leaves the room on a stick), ${SECRET_DIR}/ (share cards: printed, then deleted) and ${STATE_DIR}/ (the journal and the sealed transcript: kept with the ceremony records).`)}</li>
<li>No stick that held ${esc(SECRET_DIR)}/ is ever used again outside the room; it is destroyed in front of the witnesses.</li>
</ul>

<h2>Steps</h2>
${stepHtml}

<h2>Close</h2>
<ul class="check">
<li>Every step above initialled by two witnesses.</li>
<li>The transcript printout signed by everyone in the room and filed with this script.</li>
<li>Tokens and share cards back in their safes; their places written in the custody log.</li>
</ul>
</body>
</html>
`;
}
