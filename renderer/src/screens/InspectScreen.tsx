/**
 * Inspect: open one metadata file or a whole metadata directory, optionally pin a trusted root, and see
 * the verdict, the key hierarchy and every problem found. Reads only; nothing is written.
 */
import { useRef, useState, type ChangeEvent } from 'react';
import type { Inspection, NamedFile } from '../../../electron/shared/api-types.js';
import { AttestationsPanel } from '../components/AttestationsPanel';
import { ExpiryTimeline } from '../components/ExpiryTimeline';
import { KeyHierarchy } from '../components/KeyHierarchy';
import { ProblemsList } from '../components/ProblemsList';
import { RefusalPanel } from '../components/RefusalPanel';
import { VerificationBanner } from '../components/VerificationBanner';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { readPicked, type Picked } from '../lib/files';

type Outcome =
  | { state: 'idle' }
  | { state: 'busy'; opened: string }
  | { state: 'done'; opened: string; pinned?: string; fileCount: number; inspection: Inspection; at: Date }
  | { state: 'refused'; opened: string; refusal: Refusal };

export function InspectScreen() {
  const fileInput = useRef<HTMLInputElement>(null);
  const dirInput = useRef<HTMLInputElement>(null);
  const pinInput = useRef<HTMLInputElement>(null);
  const namesInput = useRef<HTMLInputElement>(null);
  const [pin, setPin] = useState<NamedFile | undefined>();
  const [names, setNames] = useState<NamedFile | undefined>();
  const [picked, setPicked] = useState<Picked | undefined>();
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' });
  // Only the newest request may update the screen (a slow answer must not overwrite a newer one).
  const requestNo = useRef(0);

  async function inspect(what: Picked, trusted: NamedFile | undefined, holders: NamedFile | undefined = names) {
    const no = ++requestNo.current;
    setOutcome({ state: 'busy', opened: what.label });
    const api = ceremonyApi();
    let result;
    try {
      const request = { files: what.files, directory: what.directory, source: what.label, ...(trusted ? { trustedRoot: trusted } : {}), ...(holders ? { holders } : {}) };
      result = api ? await api.inspectFiles(request) : NO_BRIDGE;
    } catch (err) {
      result = unexpected(err);
    }
    if (no !== requestNo.current) return;
    if (result.ok) {
      setOutcome({ state: 'done', opened: what.label, pinned: trusted?.name, fileCount: what.files.length, inspection: result.value, at: new Date() });
    } else {
      setOutcome({ state: 'refused', opened: what.label, refusal: result });
    }
  }

  async function onOpen(event: ChangeEvent<HTMLInputElement>, fromDirectory: boolean) {
    const input = event.currentTarget;
    const read = await readPicked(input.files, fromDirectory);
    input.value = ''; // so picking the same file again is noticed
    if (!read) return;
    if ('ok' in read) {
      setPicked(undefined);
      setOutcome({ state: 'refused', opened: '', refusal: read });
      return;
    }
    setPicked(read);
    await inspect(read, pin);
  }

  async function onPin(event: ChangeEvent<HTMLInputElement>) {
    const input = event.currentTarget;
    const read = await readPicked(input.files, false);
    input.value = '';
    if (!read) return;
    if ('ok' in read) {
      setOutcome({ state: 'refused', opened: 'trusted root', refusal: read });
      return;
    }
    const next = read.files[0];
    setPin(next);
    if (picked) await inspect(picked, next, names);
  }

  async function onNames(event: ChangeEvent<HTMLInputElement>) {
    const input = event.currentTarget;
    const read = await readPicked(input.files, false);
    input.value = '';
    if (!read) return;
    if ('ok' in read) {
      setOutcome({ state: 'refused', opened: 'transcript', refusal: read });
      return;
    }
    const next = read.files[0];
    setNames(next);
    if (picked) await inspect(picked, pin, next);
  }

  async function clearNames() {
    setNames(undefined);
    if (picked) await inspect(picked, pin, undefined);
  }

  async function clearPin() {
    setPin(undefined);
    if (picked) await inspect(picked, undefined, names);
  }

  const busy = outcome.state === 'busy';
  return (
    <div className="screen inspect">
      <header className="screen-head">
        <h1>Inspect metadata</h1>
        <p className="lede">
          Open a metadata file or a whole metadata directory to see who holds which keys, how many must sign, and whether
          it verifies. Nothing is written.
        </p>
      </header>

      <section className="panel controls" aria-label="Choose what to inspect">
        <OptionalFileRow
          step={1}
          title="Trusted root (optional)"
          stateClass="pin-state"
          file={pin}
          givenText="Pinned: "
          absentText="No root pinned: a directory is checked from its own oldest root."
          pickText="Pin a trusted root…"
          repickText="Pin a different root…"
          removeText="Remove pin"
          onPick={() => pinInput.current?.click()}
          onRemove={() => void clearPin()}
          busy={busy}
        />
        <OptionalFileRow
          step={2}
          title="Key holders’ names (optional)"
          stateClass="names-state"
          file={names}
          givenText="Names from: "
          absentText="Metadata names no holders: open the ceremony’s transcript to see who holds each key."
          pickText="Names from a ceremony transcript…"
          repickText="Names from another transcript…"
          removeText="Remove names"
          onPick={() => namesInput.current?.click()}
          onRemove={() => void clearNames()}
          busy={busy}
        />
        <div className="control-row">
          <span className="step" aria-hidden="true">
            3
          </span>
          <div className="control-body">
            <h2 className="control-title">Open</h2>
            <div className="buttons">
              <button type="button" className="primary" onClick={() => dirInput.current?.click()} disabled={busy}>
                Open a metadata directory…
              </button>
              <button type="button" className="primary" onClick={() => fileInput.current?.click()} disabled={busy}>
                Open a metadata file…
              </button>
            </div>
          </div>
        </div>
        <input ref={pinInput} type="file" accept=".json,application/json" hidden aria-label="Trusted root file" onChange={(e) => void onPin(e)} />
        <input ref={namesInput} type="file" accept=".jsonl" hidden aria-label="Ceremony transcript file" onChange={(e) => void onNames(e)} />
        <input ref={fileInput} type="file" accept=".json,application/json" hidden aria-label="Metadata file" onChange={(e) => void onOpen(e, false)} />
        <input ref={dirInput} type="file" webkitdirectory="" hidden aria-label="Metadata directory" onChange={(e) => void onOpen(e, true)} />
      </section>

      <div aria-live="polite" className="live">
        {busy ? (
          <p className="busy">
            <span className="spinner" aria-hidden="true" /> Inspecting {outcome.opened}…
          </p>
        ) : null}
      </div>

      {outcome.state === 'refused' ? <RefusalPanel refusal={outcome.refusal} opened={outcome.opened || undefined} /> : null}

      {outcome.state === 'done' ? (
        <div className="result">
          <p className="opened">
            <span className="opened-label">Opened</span> <strong>{outcome.opened}</strong>
            <span className="opened-meta">
              {' '}
              · {outcome.inspection.kind === 'metadata-directory' ? `directory, ${outcome.fileCount} file${outcome.fileCount === 1 ? '' : 's'}` : 'single file'} ·{' '}
              {outcome.inspection.profile === 'notary' ? 'Notary v1 / Docker Content Trust' : 'TUF 1.0'}
              {outcome.inspection.repository ? (
                <>
                  {' '}
                  · repository <code>{outcome.inspection.repository}</code>
                </>
              ) : null}
            </span>
          </p>
          <VerificationBanner verified={outcome.inspection.verified} pinned={outcome.pinned} kind={outcome.inspection.kind} />
          {outcome.inspection.timeline ? <ExpiryTimeline items={outcome.inspection.timeline} /> : null}
          <KeyHierarchy inspection={outcome.inspection} now={outcome.at} opened={outcome.opened} />
          {outcome.inspection.attestations ? <AttestationsPanel report={outcome.inspection.attestations} /> : null}
          <ProblemsList problems={outcome.inspection.problems} />
        </div>
      ) : null}

      {outcome.state === 'idle' ? (
        <p className="empty">Nothing opened yet. A Docker trust directory is at <code>~/.docker/trust/tuf/&lt;GUN&gt;/metadata/</code>.</p>
      ) : null}
    </div>
  );
}

/**
 * One optional input of Inspect (the pinned root, the transcript the holders' names come from): what is
 * given, a button to give or change it, and one to remove it.
 */
function OptionalFileRow(props: {
  step: number;
  title: string;
  stateClass: string;
  file: NamedFile | undefined;
  givenText: string;
  absentText: string;
  pickText: string;
  repickText: string;
  removeText: string;
  onPick: () => void;
  onRemove: () => void;
  busy: boolean;
}) {
  const { file, busy } = props;
  return (
    <div className="control-row">
      <span className="step" aria-hidden="true">
        {props.step}
      </span>
      <div className="control-body">
        <h2 className="control-title">{props.title}</h2>
        <p className={props.stateClass} aria-live="polite">
          {file ? (
            <>
              {props.givenText}
              <code>{file.name}</code>
            </>
          ) : (
            props.absentText
          )}
        </p>
        <div className="buttons">
          <button type="button" onClick={props.onPick} disabled={busy}>
            {file ? props.repickText : props.pickText}
          </button>
          {file ? (
            <button type="button" className="secondary" onClick={props.onRemove} disabled={busy}>
              {props.removeText}
            </button>
          ) : null}
        </div>
      </div>
    </div>
  );
}
