/**
 * The root ceremony (PRODUCT.md §2.3, §2.8, §3): open a reviewed plan with its site bindings, or prepare
 * a rehearsal; show the plan — profile, repository, custodians and their expected tokens, root threshold
 * M of N, role keys, expiry — and its intent hash as hex and words for the witnesses; run it one step at
 * a time with a checklist and a progress bar; ask each custodian's PIN in the PIN dialog, which names the
 * token (label and serial) first; then the outputs with their hashes, the transcript, and printing of the
 * share cards. A failure shows its code and a sentence, and the ceremony resumes where it stopped.
 *
 * The machine runs in the main process; this screen polls `ceremonyStatus` while it runs. It never holds
 * a PIN: the dialog's field is read once on submit and handed to `ceremonyProvidePin`.
 */
import { useCallback, useEffect, useRef, useState, type ChangeEvent } from 'react';
import type { CeremonyMultiPlanView, CeremonyPlanRowsView as PlanRows, CeremonyStatusView, CeremonyStepStatus, NamedFile, PrintResultView } from '../../../electron/shared/api-types.js';
import { PinDialog } from '../components/PinDialog';
import { ManagementKeyDialog } from '../components/ManagementKeyDialog';
import { SlotDialog } from '../components/SlotDialog';
import { RefusalPanel } from '../components/RefusalPanel';
import { RepositoryPlanTable } from '../components/RepositoryPlanTable';
import { TranscriptSteps, TranscriptSummary } from '../components/TranscriptSteps';
import { openExportWith } from '../lib/handoff';
import { useReveal } from '../lib/reveal';
import { CardEntry, useShareSet } from '../shamir/CardEntry';
import { CardFields } from '../shamir/CardFields';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { algorithmTitle, formatDate, groupWords } from '../lib/format';

const POLL_MS = 250;
const MAX_INPUT_BYTES = 256 * 1024;
/** A multi-repository plan (src/ceremony/multi-plan.ts MULTI_PLAN_MAX_BYTES; main checks again). */
const MAX_PLAN_BYTES = 8 * 1024 * 1024;

async function readOne(input: HTMLInputElement, cap = MAX_INPUT_BYTES): Promise<NamedFile | Refusal | undefined> {
  const f = input.files?.[0];
  input.value = '';
  if (!f) return undefined;
  if (f.size > cap) return { ok: false, code: 'INPUT_TOO_LARGE', message: `${f.name} is ${f.size} bytes, more than a plan or key file can be`, path: f.name };
  return { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
}

async function readMany(input: HTMLInputElement): Promise<NamedFile[] | Refusal> {
  const files = Array.from(input.files ?? []);
  input.value = '';
  const out: NamedFile[] = [];
  for (const f of files) {
    if (f.size > MAX_INPUT_BYTES) return { ok: false, code: 'INPUT_TOO_LARGE', message: `${f.name} is ${f.size} bytes, more than a key file can be`, path: f.name };
    out.push({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) });
  }
  return out;
}

const isRefusal = (v: unknown): v is Refusal => typeof v === 'object' && v !== null && 'ok' in v && (v as { ok: unknown }).ok === false;

const STATUS_WORD: Record<CeremonyStepStatus, { icon: string; word: string }> = {
  pending: { icon: '○', word: 'pending' },
  running: { icon: '◐', word: 'running' },
  done: { icon: '✓', word: 'done' },
  failed: { icon: '✗', word: 'failed' },
};

function tokenText(t: { serial?: string; label?: string } | null | undefined): string {
  if (!t) return 'chosen on the day';
  return [t.label !== undefined ? `“${t.label}”` : undefined, t.serial !== undefined ? `serial ${t.serial}` : undefined].filter(Boolean).join(', ');
}

function Setup({ busy, onStatus, onRefusal }: { busy: boolean; onStatus: (s: CeremonyStatusView) => void; onRefusal: (r: Refusal) => void }) {
  const planInput = useRef<HTMLInputElement>(null);
  const bindingsInput = useRef<HTMLInputElement>(null);
  const inputsInput = useRef<HTMLInputElement>(null);
  const tsInput = useRef<HTMLInputElement>(null);
  const [plan, setPlan] = useState<NamedFile | undefined>();
  const [bindings, setBindings] = useState<NamedFile | undefined>();
  const [inputs, setInputs] = useState<NamedFile[]>([]);
  const [profile, setProfile] = useState<'tuf' | 'notary'>('tuf');
  const [gun, setGun] = useState('rehearsal.example.com/org/app');
  const [tsKey, setTsKey] = useState<NamedFile | undefined>();

  async function pick(e: ChangeEvent<HTMLInputElement>, set: (f: NamedFile | undefined) => void, cap?: number) {
    const r = await readOne(e.currentTarget, cap);
    if (isRefusal(r)) onRefusal(r);
    else if (r) set(r);
  }

  async function call(run: () => Promise<{ ok: true; value: CeremonyStatusView } | Refusal>) {
    try {
      const r = await run();
      if (r.ok) onStatus(r.value);
      else onRefusal(r);
    } catch (err) {
      onRefusal(unexpected(err));
    }
  }

  const api = ceremonyApi();
  return (
    <section className="panel controls" aria-label="Choose the ceremony">
      <div className="control-row">
        <span className="step" aria-hidden="true">
          A
        </span>
        <div className="control-body">
          <h2 className="control-title">A reviewed plan</h2>
          <p className="muted">The plan file exactly as reviewed, the site bindings written for it on the day, and any server key file it names.</p>
          <div className="buttons">
            <button type="button" onClick={() => planInput.current?.click()} disabled={busy}>
              Plan file…
            </button>
            <button type="button" onClick={() => bindingsInput.current?.click()} disabled={busy}>
              Site bindings…
            </button>
            <button type="button" className="secondary" onClick={() => inputsInput.current?.click()} disabled={busy}>
              Server key files…
            </button>
            <button
              type="button"
              className="primary"
              disabled={busy || !plan || !bindings || !api}
              onClick={() => void call(() => api!.ceremonyLoad({ plan: plan!, bindings: bindings!, ...(inputs.length ? { inputs } : {}) }))}
            >
              Show the plan
            </button>
          </div>
          <p className="pin-state" aria-live="polite">
            Plan: <strong>{plan?.name ?? 'none'}</strong> · Bindings: <strong>{bindings?.name ?? 'none'}</strong>
            {inputs.length > 6 ? ` · Inputs: ${inputs.length} key files` : inputs.length ? ` · Inputs: ${inputs.map((f) => f.name).join(', ')}` : ''}
          </p>
        </div>
      </div>
      <div className="control-row">
        <span className="step" aria-hidden="true">
          B
        </span>
        <div className="control-body">
          <h2 className="control-title">Rehearse</h2>
          <p className="muted">The same ceremony on rehearsal tokens: three custodians, a 2-of-3 root, a Shamir backup. Nothing made here may protect a real repository.</p>
          <fieldset className="module-options rehearse-options">
            <legend>Profile</legend>
            <label className="module-option">
              <input type="radio" name="rehearse-profile" value="tuf" checked={profile === 'tuf'} onChange={() => setProfile('tuf')} /> TUF 1.0
            </label>
            <label className="module-option">
              <input type="radio" name="rehearse-profile" value="notary" checked={profile === 'notary'} onChange={() => setProfile('notary')} /> Notary v1 (Docker Content Trust)
            </label>
          </fieldset>
          <label className="field">
            <span>Repository (GUN for Notary)</span>
            <input type="text" value={gun} onChange={(e) => setGun(e.currentTarget.value)} spellCheck={false} autoComplete="off" />
          </label>
          <div className="buttons">
            {profile === 'notary' ? (
              <button type="button" className="secondary" onClick={() => tsInput.current?.click()} disabled={busy}>
                {tsKey ? `Timestamp key: ${tsKey.name}` : 'Server timestamp key (optional)…'}
              </button>
            ) : null}
            <button
              type="button"
              className="primary"
              disabled={busy || !api || gun.trim() === ''}
              onClick={() => void call(() => api!.ceremonyRehearse({ profile, repository: gun.trim(), ...(profile === 'notary' && tsKey ? { timestampKey: tsKey } : {}) }))}
            >
              Prepare the rehearsal
            </button>
          </div>
        </div>
      </div>
      <input ref={planInput} type="file" accept=".json,application/json" hidden aria-label="Plan file" onChange={(e) => void pick(e, setPlan, MAX_PLAN_BYTES)} />
      <input ref={bindingsInput} type="file" accept=".json,application/json" hidden aria-label="Site bindings file" onChange={(e) => void pick(e, setBindings)} />
      <input
        ref={inputsInput}
        type="file"
        multiple
        hidden
        aria-label="Server key files"
        onChange={(e) =>
          void readMany(e.currentTarget).then((r) => {
            if (isRefusal(r)) onRefusal(r);
            else setInputs(r);
          })
        }
      />
      <input ref={tsInput} type="file" hidden aria-label="Timestamp key file" onChange={(e) => void pick(e, setTsKey)} />
    </section>
  );
}

function PlanPanels({ status, rows }: { status: CeremonyStatusView; rows: PlanRows | undefined }) {
  const plan = status.plan!;
  return (
    <>
      {plan.rehearsal ? (
        <p className="rehearsal-banner" role="note">
          {plan.rehearsalNotice ?? 'REHEARSAL'}
        </p>
      ) : null}
      <section className="panel" aria-labelledby="plan-hash-h">
        <h2 id="plan-hash-h">Plan intent hash — compare with the reviewed copy</h2>
        <p className="fp-aloud-label">Read aloud</p>
        <ol className="fp-words plan-words" aria-label="Plan hash words, to read aloud">
          {plan.hash.words.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ol>
        <p>
          SHA-256 of <code>{plan.planName}</code>: <code className="fp-full plan-hash-hex">{plan.hash.grouped}</code>
        </p>
      </section>
      <section className="panel" aria-labelledby="plan-h">
        <h2 id="plan-h">The plan</h2>
        <dl className="facts">
          {plan.multi ? null : (
            <div>
              <dt>Profile</dt>
              <dd>{plan.profile === 'notary' ? 'Notary v1 (Docker Content Trust)' : 'TUF 1.0'}</dd>
            </div>
          )}
          {plan.multi ? (
            <div>
              <dt>Repositories</dt>
              <dd className="repo-total">
                {plan.multi.count} ({plan.multi.notary} Notary, {plan.multi.tuf} TUF), sharing the custodians’ root keys{plan.shamir ? ' and one software root key split into share cards' : ''}
              </dd>
            </div>
          ) : (
            <div>
              <dt>{plan.profile === 'notary' ? 'Repository (GUN)' : 'Repository'}</dt>
              <dd>
                <code>{plan.repository}</code>
              </dd>
            </div>
          )}
          <div>
            <dt>Root threshold</dt>
            <dd className="root-threshold">
              {plan.root.threshold} of {plan.root.keys}
            </dd>
          </div>
          {plan.shamir ? (
            <div>
              <dt>Shamir backup</dt>
              <dd>
                {algorithmTitle(plan.shamir.keyAlgorithm)} key split {plan.shamir.threshold} of {plan.shamir.shares} into share cards
              </dd>
            </div>
          ) : null}
        </dl>
        {plan.notices?.map((n) => (
          <p key={n} className="plan-notice" role="note">
            <strong>Note:</strong> {n}
          </p>
        ))}
        <h3>Custodians</h3>
        <table className="plan-table">
          <thead>
            <tr>
              <th scope="col">Custodian</th>
              <th scope="col">Expected token</th>
              <th scope="col">Root key</th>
              <th scope="col">PIN</th>
            </tr>
          </thead>
          <tbody>
            {plan.custodians.map((c) => (
              <tr key={c.name}>
                <th scope="row">{c.name}</th>
                <td>
                  {plan.rehearsal ? 'a rehearsal token' : tokenText(c.expected)}
                  {c.bound && !c.expected ? <span className="muted"> (site bindings: {tokenText(c.bound)})</span> : null}
                  {c.module ? <span className="muted block">module {c.module}</span> : null}
                </td>
                <td>
                  {algorithmTitle(c.keyAlgorithm)}, “{c.keyLabel}”
                </td>
                <td>{c.pin === 'dialog' ? 'asked in the PIN dialog' : c.pin === 'environment' ? 'from the environment (bindings)' : 'none (rehearsal token)'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {plan.multi ? <MultiPlanPanels plan={plan} multi={plan.multi} rows={rows?.planSha256 === plan.hash.sha256 ? rows.repositories : undefined} /> : <RolesTable plan={plan} />}
      </section>
    </>
  );
}

/** A multi-repository plan (issue #17): the keys the repositories share, then every repository in one table. */
function MultiPlanPanels({ plan, multi, rows }: { plan: NonNullable<CeremonyStatusView['plan']>; multi: CeremonyMultiPlanView; rows: PlanRows['repositories'] | undefined }) {
  return (
    <>
      <h3>Shared keys</h3>
      <table className="plan-table shared-keys">
        <caption className="sr-only">Shared keys</caption>
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Key</th>
            <th scope="col">Repositories</th>
          </tr>
        </thead>
        <tbody>
          {multi.sharedKeys.map((k) => (
            <tr key={k.id}>
              <th scope="row">{k.role}</th>
              <td>{k.holder}</td>
              <td>
                {k.repositories} of {multi.count}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">Each Notary repository’s root certificate is issued for its own GUN (CN = GUN) by the same token keys. Snapshot and timestamp keys held by notary-server are each repository’s own, named in the plan.</p>
      <h3>Repositories</h3>
      <RepositoryPlanTable multi={multi} rows={rows} planHash={plan.hash.sha256} />
    </>
  );
}

function RolesTable({ plan }: { plan: NonNullable<CeremonyStatusView['plan']> }) {
  return (
    <>
        <h3>Roles</h3>
        <table className="plan-table">
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Keys</th>
              <th scope="col">Threshold</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {plan.roles.map((r) => (
              <tr key={r.role}>
                <th scope="row">{r.role}</th>
                <td>
                  <ul className="plain">
                    {r.keys.map((k, i) => (
                      <li key={i}>{k}</li>
                    ))}
                  </ul>
                </td>
                <td>{r.role === 'root' ? `${r.threshold} of ${r.keys.length}` : r.threshold}</td>
                <td>{r.expires ? formatDate(r.expires) : 'server-managed'}</td>
              </tr>
            ))}
          </tbody>
        </table>
    </>
  );
}

/** Witness names as typed, one per line or comma-separated; empty entries dropped. */
function witnessNames(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
}

/**
 * The witnessed start (issue #16): Start stays disabled until the administrator confirms that the
 * witnesses compared the plan's hash words with the reviewed copy, and at least one witness is named.
 * The names go into the transcript's first entry.
 */
function WitnessedStart({ status, onStart }: { status: CeremonyStatusView; onStart: (witnesses: string[]) => void }) {
  const plan = status.plan!;
  const [confirmed, setConfirmed] = useState(false);
  const [text, setText] = useState('');
  const names = witnessNames(text);
  const tooLong = names.some((n) => n.length > 100);
  const ready = confirmed && names.length > 0 && names.length <= 16 && !tooLong;
  return (
    <section className="panel" aria-labelledby="witness-h">
      <h2 id="witness-h">Witnessed start</h2>
      <label className="rotation-confirm">
        <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.currentTarget.checked)} />
        <span>
          The witnesses compared the words <strong>{groupWords(plan.hash.words)}</strong> with the reviewed copy of the plan, and they match.
        </span>
      </label>
      <label className="field">
        <span>Witnesses present (one name per line)</span>
        <textarea rows={3} value={text} onChange={(e) => setText(e.currentTarget.value)} spellCheck={false} autoComplete="off" />
      </label>
      <p className="muted" aria-live="polite">
        {names.length ? `Recorded in the transcript as witnesses: ${names.join(', ')}.` : 'Name at least one witness; the names are recorded in the transcript.'}
        {tooLong ? ' A name is longer than 100 characters.' : ''}
        {names.length > 16 ? ' At most 16 witnesses.' : ''}
      </p>
      <div className="buttons">
        <button type="button" className="primary" disabled={!ready} onClick={() => onStart(names)}>
          {plan.rehearsal ? 'Start the rehearsal…' : 'Start the ceremony…'}
        </button>
        <span className="muted">You choose a new, empty folder for the outputs.</span>
      </div>
    </section>
  );
}

function Checklist({ status }: { status: CeremonyStatusView }) {
  const current = status.steps.find((s) => s.status === 'running' || s.status === 'failed');
  return (
    <section className="panel" aria-labelledby="steps-h">
      <h2 id="steps-h">Steps</h2>
      <p className="progress-line">
        <progress max={status.progress.total} value={status.progress.done} aria-label="Ceremony progress" /> {status.progress.done} of {status.progress.total} steps done
      </p>
      {current ? (
        <p className="current-step" aria-live="polite">
          {current.status === 'running' ? 'Now: ' : 'Stopped at: '}
          <strong>{current.title}</strong>
        </p>
      ) : null}
      {status.multiProgress ? <MultiProgress progress={status.multiProgress} /> : null}
      {status.touch ? (
        // A YubiKey signature waits for a touch (about 15 seconds, then it fails as TOUCH_TIMEOUT). Main
        // announces it by the key's attested touch policy, and when that is not known yet (a new key's self-test).
        <p className="touch-now" role="alert">
          <strong>Touch your YubiKey now</strong> (serial {status.touch.serial}): it blinks until touched, for about 15 seconds.
          {status.touch.policy === 'unknown' ? ' Its touch policy is not known yet: touch it if it blinks.' : ''}
        </p>
      ) : null}
      <ol className="checklist" aria-label="Ceremony checklist">
        {status.steps.map((s) => (
          <li key={s.name} className={`check-${s.status}`} aria-current={s === current ? 'step' : undefined}>
            <span className="check-icon" aria-hidden="true">
              {STATUS_WORD[s.status].icon}
            </span>
            <span className="check-title">{s.title}</span>
            <span className="check-status">{STATUS_WORD[s.status].word}</span>
          </li>
        ))}
      </ol>
      {status.tokens.length ? (
        <p className="muted">
          Tokens in use: {status.tokens.map((t) => `${t.custodian} — “${t.label}” serial ${t.serial}`).join('; ')}
        </p>
      ) : null}
      {status.log.length ? (
        <details className="ceremony-log">
          <summary>Progress log ({status.log.length} lines)</summary>
          <pre>{status.log.join('\n')}</pre>
        </details>
      ) : null}
    </section>
  );
}

/**
 * What a screen reader announces of the progress: every tenth of the repositories and the end, not each
 * poll (4 a second over 5,000 repositories would drown everything else; review A5). The text changes only
 * at a milestone, so the live region speaks only then; the exact count is the <progress> element's.
 */
export function progressMilestone(done: number, total: number): string {
  if (total > 0 && done >= total) return `All ${total} repositories written.`;
  const tenth = total > 0 ? Math.floor((done * 10) / total) * 10 : 0;
  return `${tenth}% of ${total} repositories written.`;
}

/** Repositories written so far: one line, whatever the number of rows in the plan's table. */
function MultiProgress({ progress }: { progress: NonNullable<CeremonyStatusView['multiProgress']> }) {
  return (
    <div className="multi-progress">
      <p className="progress-line">
        <progress max={progress.total} value={progress.done} aria-label="Repositories written" /> <span data-testid="repos-done">{progress.done} of {progress.total} repositories written</span>
      </p>
      <p className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="repos-milestone">
        {progressMilestone(progress.done, progress.total)}
      </p>
      <p className="muted" data-testid="repos-now">
        {progress.current ? (
          <>
            Now: <code>{progress.current}</code> ·{' '}
          </>
        ) : null}
        {progress.tokenSignatures} token signatures so far
      </p>
    </div>
  );
}

/** Where a multi-repository ceremony's outputs are (issue #17): one folder per repository, the records in state/. */
function MultiOutputs({ multi, names, onExport }: { multi: NonNullable<NonNullable<CeremonyStatusView['result']>['multi']>; names: string[]; onExport: (repository: string) => void }) {
  const [picked, setPicked] = useState('');
  // Derived from the names shown now: rows that arrive after the first render (a reload after completion)
  // select their first repository, and the button follows what the select shows (review A5).
  const chosen = names.includes(picked) ? picked : (names[0] ?? '');
  const count = names.length || multi.repositories;
  return (
    <>
    <dl className="facts multi-outputs" aria-label="Where the outputs are">
      <div>
        <dt>Repositories</dt>
        <dd>
          {multi.repositories} of {count} written{multi.doneBefore ? ` (${multi.doneBefore} before the interruption, checked again, not signed again)` : ''}; {multi.tokenSignatures} token signatures in this run
        </dd>
      </div>
      <div>
        <dt>Metadata, one folder per repository</dt>
        <dd>
          <code>{multi.metadataDir}/&lt;repository&gt;/</code> (the “Outputs” column of the table above)
        </dd>
      </div>
      <div>
        <dt>Transcript, key inventory, state</dt>
        <dd>
          <code>{multi.stateDir}/</code>
        </dd>
      </div>
      <div>
        <dt>Key inventory</dt>
        <dd>
          <code>{multi.inventory}</code>
        </dd>
      </div>
    </dl>
    {names.length ? (
      <div className="buttons">
        <label className="field">
          <span>Repository to export</span>
          <select value={chosen} onChange={(e) => setPicked(e.currentTarget.value)}>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="primary" disabled={!chosen} onClick={() => onExport(chosen)}>
          Export this repository…
        </button>
      </div>
    ) : null}
    </>
  );
}

/**
 * Resuming a multi-repository ceremony whose split software root key was wiped when the run stopped
 * (src/ceremony/multi-shamir.ts): the custodians enter M of its N share cards, typed or opened, each
 * checked in main as it is entered (CardEntry: main holds the cards, this page only the set's handle and
 * public view); the resume hands the set to the machine, which rebuilds the key against the recorded
 * split and fingerprint and wipes the cards. Without cards, a resume that still has roots to sign is
 * refused (CEREMONY_CANNOT_RESUME) before anything is signed.
 */
function ResumeWithCards({ need, onResume }: { need: NonNullable<CeremonyStatusView['resumeShareCards']>; onResume: (set: string) => Promise<void> }) {
  const [set, setSet] = useShareSet();
  const [sending, setSending] = useState(false);
  const other = set && set.splitId !== need.splitId;
  async function resume() {
    if (!set?.complete || other) return;
    setSending(true);
    try {
      await onResume(set.set);
    } finally {
      // Used once: main took the set (and wipes its cards) whatever the answer.
      setSet(undefined);
      setSending(false);
    }
  }
  return (
    <section className="panel resume-cards" aria-labelledby="resume-cards-h">
      <h3 id="resume-cards-h">
        Enter {need.threshold} of the {need.shares} share cards of split <code>{need.splitId}</code> to resume
      </h3>
      <p>
        The software root key every repository shares was wiped when the ceremony stopped: it is never written down. Repositories whose root is not yet signed need it, so {need.threshold} custodians bring their
        share cards of split <code>{need.splitId}</code>. The key is rebuilt in memory from the cards, checked against the fingerprint recorded when it was split, used for the remaining roots, then wiped with the
        cards. The cards stay in the app’s main process; the transcript records which cards were used, never what they say.
      </p>
      <CardEntry name="resume-cards" set={set} onChange={setSet} disabled={sending} />
      {set?.cards[0] ? <CardFields card={set.cards[0]} /> : null}
      {other ? (
        <p className="message" role="alert">
          These cards are of split <code>{set.splitId}</code>, not <code>{need.splitId}</code>: press “Start again” and enter the cards of split {need.splitId}.
        </p>
      ) : null}
      <div className="buttons">
        <button type="button" className="primary" disabled={!set?.complete || other || sending} onClick={() => void resume()}>
          Resume with these cards
        </button>
      </div>
    </section>
  );
}

/** What printing did, in view with focus on its heading (issue #16: outcomes in view). */
function PrintOutcome({ what, outcome }: { what: 'cards' | 'transcript'; outcome: PrintResultView }) {
  const doc = what === 'cards' ? 'Share cards' : 'Transcript';
  const text = outcome.saved ? `${doc} saved as ${outcome.saved}.` : outcome.cancelled ? 'Printing cancelled: nothing was saved.' : outcome.html ? `${doc} document ready for printing (${outcome.html.length} characters).` : '';
  const ref = useReveal<HTMLDivElement>(`${what}\u0000${text}`);
  return (
    <div className="print-result" role="status" ref={ref}>
      <h3>{outcome.cancelled ? `${doc}: not printed` : `${doc} sent to print`}</h3>
      <p className="message">{text}</p>
    </div>
  );
}

export function RootCeremonyScreen() {
  const [status, setStatus] = useState<CeremonyStatusView | undefined>();
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const [answered, setAnswered] = useState<string | undefined>();
  const [print, setPrint] = useState<{ what: 'cards' | 'transcript'; outcome: PrintResultView | Refusal } | undefined>();
  const [exportRefusal, setExportRefusal] = useState<Refusal | undefined>();
  const [rows, setRows] = useState<PlanRows | undefined>();
  const api = ceremonyApi();

  // A multi-repository plan's rows: fetched once per plan (status polls carry only its summary).
  const planHash = status?.plan?.multi ? status.plan.hash.sha256 : undefined;
  useEffect(() => {
    if (!api || !planHash || rows?.planSha256 === planHash) return;
    let live = true;
    void api.ceremonyPlanRows().then(
      (r) => {
        if (!live) return;
        if (r.ok) setRows(r.value);
        else setRefusal(r);
      },
      (err: unknown) => live && setRefusal(unexpected(err)),
    );
    return () => {
      live = false;
    };
  }, [api, planHash, rows?.planSha256]);

  const refresh = useCallback(async () => {
    if (!api) return;
    try {
      const r = await api.ceremonyStatus();
      if (r.ok) setStatus(r.value);
      else setRefusal(r);
    } catch (err) {
      setRefusal(unexpected(err));
    }
  }, [api]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const live = status?.phase === 'running' || status?.phase === 'waiting-for-pin' || status?.phase === 'waiting-for-custodian';
  useEffect(() => {
    if (!live) return;
    const id = window.setInterval(() => void refresh(), POLL_MS);
    return () => window.clearInterval(id);
  }, [live, refresh]);

  async function act(run: () => Promise<{ ok: true; value: CeremonyStatusView } | Refusal>) {
    setRefusal(undefined);
    try {
      const r = await run();
      if (r.ok) setStatus(r.value);
      else setRefusal(r);
    } catch (err) {
      setRefusal(unexpected(err));
    }
  }

  function onPin(pin: string) {
    const req = status?.pinRequest;
    if (!req || !api) return;
    setAnswered(req.id);
    // The PIN goes to main once, for this one login; nothing here keeps it.
    void act(() => api.ceremonyProvidePin({ requestId: req.id, pin }));
  }

  function onCancelPin() {
    const req = status?.pinRequest;
    if (!req || !api) return;
    setAnswered(req.id);
    void act(() => api.ceremonyCancelPin({ requestId: req.id }));
  }

  function onSlot(confirm: boolean) {
    const req = status?.slotRequest;
    if (!req || !api) return;
    setAnswered(req.id);
    void act(() => api.ceremonyConfirmSlot({ requestId: req.id, confirm }));
  }

  function onManagementKey(managementKey: string) {
    const req = status?.managementKeyRequest;
    if (!req || !api) return;
    setAnswered(req.id);
    // As a PIN: to main once, for this one SO login; nothing here keeps it.
    void act(() => api.ceremonyProvideManagementKey({ requestId: req.id, managementKey }));
  }

  function onCancelManagementKey() {
    const req = status?.managementKeyRequest;
    if (!req || !api) return;
    setAnswered(req.id);
    void act(() => api.ceremonyCancelManagementKey({ requestId: req.id }));
  }

  /**
   * Printing on completion (issue #16): the share cards (an explicit custodian action, never automatic) or
   * the printable transcript, each through main's print path (a PDF from a hidden, hardened window).
   */
  async function printDoc(what: 'cards' | 'transcript') {
    if (!api) return;
    setPrint(undefined);
    try {
      const r = what === 'cards' ? await api.ceremonyPrintShareCards() : await api.ceremonyPrintTranscript();
      setPrint({ what, outcome: r.ok ? r.value : r });
    } catch (err) {
      setPrint({ what, outcome: unexpected(err) });
    }
  }

  /** "Export the metadata…": main prepares the output's metadata/ folder; the Export screen opens with it. */
  async function exportMetadata() {
    if (!api) return;
    setExportRefusal(undefined);
    try {
      const r = await api.ceremonyExportMetadata();
      if (r.ok) openExportWith(r.value);
      else setExportRefusal(r);
    } catch (err) {
      setExportRefusal(unexpected(err));
    }
  }

  /** A multi-repository ceremony's repository (issue #17): main prepares its folder, named after the repository. */
  async function exportRepository(repository: string) {
    if (!api) return;
    setExportRefusal(undefined);
    try {
      const r = await api.ceremonyExportRepository({ repository });
      if (r.ok) openExportWith(r.value);
      else setExportRefusal(r);
    } catch (err) {
      setExportRefusal(unexpected(err));
    }
  }

  const pinRequest = status?.pinRequest && status.pinRequest.id !== answered ? status.pinRequest : undefined;
  const slotRequest = status?.slotRequest && status.slotRequest.id !== answered ? status.slotRequest : undefined;
  const managementKeyRequest = status?.managementKeyRequest && status.managementKeyRequest.id !== answered ? status.managementKeyRequest : undefined;
  const phase = status?.phase ?? 'idle';
  const busy = phase === 'running' || phase === 'waiting-for-pin' || phase === 'waiting-for-custodian';
  const result = status?.result;
  const doneRef = useReveal<HTMLElement>(result ? `done-${status?.outDir ?? ''}` : undefined);

  return (
    <div className="screen root-ceremony">
      <header className="screen-head">
        <h1>Root ceremony</h1>
        <p className="lede">From a reviewed plan: the custodians’ root keys on their tokens, root.json version 1 signed to its threshold, the other metadata, and a sealed transcript.</p>
      </header>
      {!api ? <RefusalPanel refusal={NO_BRIDGE} title="Not connected" reassure={null} reveal={false} /> : null}
      {!busy ? <Setup busy={busy} onStatus={(s) => {
            setRefusal(undefined);
            setStatus(s);
          }} onRefusal={setRefusal} /> : null}
      {refusal ? <RefusalPanel refusal={refusal} title="Refused" /> : null}
      {status?.plan ? <PlanPanels status={status} rows={rows} /> : null}
      {status?.plan ? (
        <>
          {status.warnings?.length ? (
            // The factory-default management key (the core's words): loud, for everyone in the room.
            <section className="banner banner-bad yubikey-warnings" role="alert" aria-label="YubiKey warnings">
              {status.warnings.map((w) => (
                <p key={w} className="message">
                  {w}
                </p>
              ))}
            </section>
          ) : null}
          <Checklist status={status} />
          {phase === 'loaded' ? <WitnessedStart status={status} onStart={(witnesses) => void act(() => api!.ceremonyStart({ witnesses }))} /> : null}
          {status.outDir ? (
            <p className="muted">
              Output folder: <code>{status.outDir}</code>
            </p>
          ) : null}
          {status.failure ? (
            <RefusalPanel
              refusal={{ ok: false, ...status.failure }}
              title={`Stopped: ${status.steps.find((s) => s.status === 'failed')?.title ?? 'the ceremony'}`}
              reassure={
                status.resumeShareCards && status.failure.code === 'CEREMONY_CANNOT_RESUME'
                  ? `Nothing was signed. To resume, ${status.resumeShareCards.threshold} custodians enter their share cards of split ${status.resumeShareCards.splitId} below, then press “Resume with these cards”.`
                  : 'What was done is kept in the output folder (the state file and the transcript). Fix the cause, then resume: finished steps are not redone, and keys already made are found on their tokens.'
              }
            >
              {status.canResume ? (
                <>
                  {status.resumeShareCards ? <ResumeWithCards key={status.resumeShareCards.splitId} need={status.resumeShareCards} onResume={(shareSet) => act(() => api!.ceremonyResume({ shareSet }))} /> : null}
                  <div className="buttons">
                    <button type="button" className={status.resumeShareCards ? 'secondary' : 'primary'} onClick={() => void act(() => api!.ceremonyResume())}>
                      {status.resumeShareCards ? 'Resume without cards' : 'Resume the ceremony'}
                    </button>
                    {status.resumeShareCards ? <span className="muted">Only when every root is already signed (the cards are asked for only if a root still needs the key).</span> : null}
                  </div>
                </>
              ) : null}
            </RefusalPanel>
          ) : null}
        </>
      ) : null}
      {pinRequest ? (
        <PinDialog
          key={pinRequest.id}
          token={pinRequest.token}
          purpose={`log in as ${pinRequest.custodian} for the root ceremony (make ${pinRequest.custodian}’s keys on this token and sign with them)`}
          submitLabel="Log in and continue"
          rehearsal={pinRequest.rehearsal}
          retry={pinRequest.retry}
          {...(pinRequest.retry ? { cancelLabel: 'Stop this step' } : {})}
          {...(pinRequest.keys.length
            ? { notice: `Expected on this token (made before the interruption): ${pinRequest.keys.map((k) => `key “${k.label}”, fingerprint ${groupWords(k.fingerprint.words)}`).join('; ')}` }
            : {})}
          onSubmit={onPin}
          onCancel={onCancelPin}
        />
      ) : null}
      {slotRequest ? <SlotDialog key={slotRequest.id} request={slotRequest} onAnswer={onSlot} /> : null}
      {managementKeyRequest ? <ManagementKeyDialog key={managementKeyRequest.id} request={managementKeyRequest} onSubmit={onManagementKey} onCancel={onCancelManagementKey} /> : null}
      {result ? (
        <>
          <section className="banner banner-ok" role="status" ref={doneRef}>
            <h2>
              <span className="icon" aria-hidden="true">
                ✓
              </span>{' '}
              {status?.plan?.rehearsal ? 'Rehearsal complete' : 'Ceremony complete'}
              {result.resumed ? ' (resumed)' : ''}
            </h2>
            <p className="message">Every step is done, every signature was verified, and the transcript is sealed.</p>
            {result.multi ? <MultiOutputs multi={result.multi} names={rows && rows.planSha256 === status?.plan?.hash.sha256 ? rows.repositories.map((r) => r.name) : []} onExport={(repository) => void exportRepository(repository)} /> : null}
            <div className="buttons completion-actions" role="group" aria-label="Next steps">
              {result.multi ? null : (
                <button type="button" className="primary" onClick={() => void exportMetadata()}>
                  Export the metadata…
                </button>
              )}
              <button type="button" onClick={() => void printDoc('transcript')}>
                Print the transcript…
              </button>
              {result.shareCards ? (
                <button type="button" onClick={() => void printDoc('cards')}>
                  Print share cards…
                </button>
              ) : null}
            </div>
            <p className="muted">
              {result.multi ? 'Each repository’s folder is public: export it from the Export screen (or `tuf-ceremony bundle create`) for the sites that import it. ' : ''}
              The metadata in <code>metadata/</code> is public: export it to USB or as QR for the sites that import it.
              {result.shareCards ? ' The share cards in secret/ are printed only when the custodians ask: one card per custodian, as secret as the cards.' : ''}
            </p>
            {exportRefusal ? <RefusalPanel refusal={exportRefusal} title="The metadata could not be exported" level={3} reassure="Nothing was exported or written." /> : null}
            {print ? (
              isRefusal(print.outcome) ? (
                <RefusalPanel refusal={print.outcome} title="Printing refused" level={3} />
              ) : (
                <PrintOutcome what={print.what} outcome={print.outcome} />
              )
            ) : null}
          </section>
          {result.multi ? null : <section className="panel" aria-labelledby="outputs-h">
            <h2 id="outputs-h">Outputs</h2>
            <table className="plan-table outputs">
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">SHA-256 (short)</th>
                  <th scope="col" />
                </tr>
              </thead>
              <tbody>
                {result.outputs.map((o) => (
                  <tr key={o.name}>
                    <th scope="row">
                      <code>{o.name}</code>
                    </th>
                    <td>
                      <code title={o.sha256}>{o.short}</code>
                    </td>
                    <td>{o.secret ? <strong className="secret-word">SECRET share card</strong> : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>}
          <section className="panel" aria-labelledby="transcript-h">
            <h2 id="transcript-h">Transcript</h2>
            <TranscriptSummary t={result.transcript} />
            <TranscriptSteps t={result.transcript} />
          </section>
        </>
      ) : null}
    </div>
  );
}
