/**
 * Rotation (PRODUCT.md §2.4, issue #5), the administrator's wizard:
 *
 * 1. open the current root.json — and, optionally, the root ceremony's transcript, whose custodian
 *    entries name the root keys — and see its root keys by name, key ID, fingerprint and token serial;
 * 2. say what changes: replace a custodian's key (lost, compromised or retired) with a new key from a
 *    token on this machine or from a public key file, remove or add keys, the threshold, the expiry
 *    (by default now + the profile's default root lifetime);
 * 3. preview the request in the words a co-signer will read, then write it (never over a file);
 * 4. merge the signature responses as they come back, one at a time and in any order — each checked,
 *    a refusal shown with its code — with "2 of 3 old keys, 1 of 3 new keys; waiting for: …"; when both
 *    thresholds are met, root N+1 is written and the screen says where.
 *
 * Every check is main's (electron/main/rotation.ts over src/rotation); this screen holds only files and
 * choices, never a PIN.
 */
import { useRef, useState } from 'react';
import type {
  NamedFile,
  RemovalReasonName,
  RotationMergeView,
  RotationRequestView,
  RotationRootView,
  RotationWriteRootView,
} from '../../../electron/shared/api-types.js';
import { RefusalPanel } from '../components/RefusalPanel';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { formatDate, groupWords } from '../lib/format';
import { changeSet, type Action, type Added, type KeyPlan } from '../rotation/change';
import { CAPS, isRefusal, readPickedFile } from '../rotation/files';
import { NewKeyChooser } from '../rotation/NewKeyChooser';
import { ReviewPanel } from '../rotation/ReviewPanel';
import '../rotation/rotation.css';

const REASONS: { id: RemovalReasonName; title: string }[] = [
  { id: 'lost', title: 'lost (cannot sign)' },
  { id: 'compromised', title: 'compromised' },
  { id: 'retired', title: 'retired' },
];

export function RotationScreen() {
  const api = ceremonyApi();
  const rootInput = useRef<HTMLInputElement>(null);
  const transcriptInput = useRef<HTMLInputElement>(null);
  const requestInput = useRef<HTMLInputElement>(null);
  const responseInput = useRef<HTMLInputElement>(null);
  const [rootFile, setRootFile] = useState<NamedFile | undefined>();
  const [transcript, setTranscript] = useState<NamedFile | undefined>();
  const [root, setRoot] = useState<RotationRootView | undefined>();
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [plans, setPlans] = useState<Map<string, KeyPlan>>(new Map());
  const [added, setAdded] = useState<Added[]>([]);
  const [threshold, setThreshold] = useState(1);
  const [expires, setExpires] = useState('');
  const [repository, setRepository] = useState('');
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const [built, setBuilt] = useState<RotationRequestView | undefined>();
  const [busy, setBusy] = useState(false);
  // Merge
  const [request, setRequest] = useState<NamedFile | undefined>();
  const [responses, setResponses] = useState<NamedFile[]>([]);
  const [merged, setMerged] = useState<RotationMergeView | undefined>();
  const [mergeRefusal, setMergeRefusal] = useState<Refusal | undefined>();
  const [written, setWritten] = useState<RotationWriteRootView | undefined>();
  const nextId = useRef(1);

  async function pick(input: HTMLInputElement, cap: number, set: (f: NamedFile) => void, onRefusal: (r: Refusal) => void) {
    const f = await readPickedFile(input, cap);
    if (!f) return;
    if (isRefusal(f)) onRefusal(f);
    else set(f);
  }

  async function openRoot() {
    if (!rootFile || !api) return;
    setRefusal(undefined);
    setBuilt(undefined);
    try {
      const r = await api.rotationOpenRoot({ previousRoot: rootFile, ...(transcript ? { transcript } : {}) });
      if (!r.ok) return setRefusal(r);
      const v = r.value;
      setRoot(v);
      setNames(new Map(v.keys.map((k) => [k.keyid, k.name ?? ''])));
      setPlans(new Map(v.keys.map((k) => [k.keyid, { action: 'keep', reason: 'lost', newName: '' }])));
      setAdded([]);
      setThreshold(v.threshold);
      setExpires(v.defaultExpires);
      setRepository(v.repository ?? '');
    } catch (err) {
      setRefusal(unexpected(err));
    }
  }

  function plan(keyid: string, patch: Partial<KeyPlan>) {
    setPlans((m) => new Map(m).set(keyid, { ...m.get(keyid)!, ...patch }));
    setBuilt(undefined);
  }

  const change = root ? changeSet(root, plans, added, threshold, expires.trim(), names) : undefined;

  async function build(write: boolean) {
    if (!root || !rootFile || !api || typeof change !== 'object') return;
    setBusy(true);
    setRefusal(undefined);
    try {
      const typed = root.keys.flatMap((k) => {
        const n = (names.get(k.keyid) ?? '').trim();
        return n ? [{ keyid: k.keyid, name: n }] : [];
      });
      const r = await api.rotationBuildRequest({ previousRoot: rootFile, ...(transcript ? { transcript } : {}), repository: repository.trim(), names: typed, change, write });
      if (!r.ok) return setRefusal(r);
      setBuilt(r.value);
      if (r.value.file) {
        setRequest(r.value.file);
        setResponses([]);
        setMerged(undefined);
        setMergeRefusal(undefined);
        setWritten(undefined);
      }
    } catch (err) {
      setRefusal(unexpected(err));
    } finally {
      setBusy(false);
    }
  }

  async function addResponse(f: NamedFile) {
    if (!request || !api) return;
    setMergeRefusal(undefined);
    try {
      const next = [...responses, f];
      const r = await api.rotationMerge({ request, responses: next });
      if (!r.ok) return setMergeRefusal(r);
      setResponses(next);
      setMerged(r.value);
      if (r.value.final) {
        // Both thresholds met: write root N+1 now (atomic, never over a file), and say where.
        const w = await api.rotationWriteRoot({ request, responses: next });
        if (w.ok) setWritten(w.value);
        else setMergeRefusal(w);
      }
    } catch (err) {
      setMergeRefusal(unexpected(err));
    }
  }

  return (
    <div className="screen rotation">
      <header className="screen-head">
        <h1>Rotation</h1>
        <p className="lede">Make the next root version: signed by a threshold of the old root keys and of the new ones (TUF 5.3.4). Build the signing request, hand it to the co-signers, and merge their responses here.</p>
      </header>
      {!api ? <RefusalPanel refusal={NO_BRIDGE} title="Not connected" reassure={null} reveal={false} /> : null}

      <section className="panel controls" aria-labelledby="rot-root-h">
        <h2 id="rot-root-h">1. The current root</h2>
        <div className="buttons">
          <button type="button" onClick={() => rootInput.current?.click()}>
            Current root.json…
          </button>
          <button type="button" className="secondary" onClick={() => transcriptInput.current?.click()}>
            Ceremony transcript (optional)…
          </button>
          <button type="button" className="primary" disabled={!rootFile || !api} onClick={() => void openRoot()}>
            Read the root
          </button>
        </div>
        <p className="pin-state" aria-live="polite">
          Root: <strong>{rootFile?.name ?? 'none'}</strong> · Transcript: <strong>{transcript?.name ?? 'none'}</strong>
        </p>
        <input ref={rootInput} type="file" accept=".json,application/json" hidden aria-label="Current root file" onChange={(e) => void pick(e.currentTarget, CAPS.root, setRootFile, setRefusal)} />
        <input ref={transcriptInput} type="file" hidden aria-label="Transcript file" onChange={(e) => void pick(e.currentTarget, CAPS.transcript, setTranscript, setRefusal)} />
      </section>

      {root ? (
        <section className="panel" aria-labelledby="rot-keys-h">
          <h2 id="rot-keys-h">
            2. What changes in root version {root.version} → {root.version + 1}
          </h2>
          <p>
            {root.profile === 'notary' ? 'Notary' : 'TUF'} root, threshold {root.threshold} of {root.keys.length}, expires {formatDate(root.expires)}
            {root.transcript ? ` · ${root.transcript.named} key${root.transcript.named === 1 ? '' : 's'} named by ${root.transcript.fileName}${root.transcript.sealed ? '' : ' (NOT sealed)'}` : ''}
          </p>
          <table className="plan-table rotation-key-table" aria-label="Root keys">
            <thead>
              <tr>
                <th scope="col">Custodian</th>
                <th scope="col">Key</th>
                <th scope="col">Change</th>
              </tr>
            </thead>
            <tbody>
              {root.keys.map((k) => {
                const p = plans.get(k.keyid)!;
                const label = names.get(k.keyid) || `key ${k.keyid.slice(0, 8)}`;
                return (
                  <tr key={k.keyid}>
                    <td>
                      <input
                        type="text"
                        aria-label={`Name of key ${k.keyid.slice(0, 8)}`}
                        value={names.get(k.keyid) ?? ''}
                        placeholder="custodian name"
                        onChange={(e) => {
                          const v = e.currentTarget.value;
                          setNames((m) => new Map(m).set(k.keyid, v));
                          setBuilt(undefined);
                        }}
                      />
                      {k.tokenSerial ? <span className="muted block">token serial {k.tokenSerial}</span> : null}
                    </td>
                    <td>
                      <code title={k.keyid}>{k.keyid.slice(0, 12)}…</code> <span className="muted">{k.keytype}</span>
                      <span className="fp-cell-words block">{groupWords(k.fingerprint.words)}</span>
                    </td>
                    <td>
                      <select aria-label={`Change for ${label}`} value={p.action} onChange={(e) => plan(k.keyid, { action: e.currentTarget.value as Action })}>
                        <option value="keep">keep</option>
                        <option value="replace">replace</option>
                        <option value="remove">remove</option>
                      </select>
                      {p.action !== 'keep' ? (
                        <select aria-label={`Reason for ${label}`} value={p.reason} onChange={(e) => plan(k.keyid, { reason: e.currentTarget.value as RemovalReasonName })}>
                          {REASONS.map((r) => (
                            <option key={r.id} value={r.id}>
                              {r.title}
                            </option>
                          ))}
                        </select>
                      ) : null}
                      {p.action === 'replace' ? (
                        <div className="replacement">
                          <label className="field">
                            <span>New custodian</span>
                            <input type="text" aria-label={`New custodian for ${label}`} value={p.newName} onChange={(e) => plan(k.keyid, { newName: e.currentTarget.value })} />
                          </label>
                          <NewKeyChooser name={`replace-${k.keyid.slice(0, 8)}`} profile={root.profile} gun={repository} chosen={p.newKey} onChosen={(key) => plan(k.keyid, key ? { newKey: key } : { newKey: undefined })} />
                        </div>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
              {added.map((a) => (
                <tr key={`add-${a.id}`}>
                  <td>
                    <input
                      type="text"
                      aria-label="Custodian of the added key"
                      value={a.name}
                      placeholder="custodian name"
                      onChange={(e) => {
                        const v = e.currentTarget.value;
                        setAdded((l) => l.map((x) => (x.id === a.id ? { ...x, name: v } : x)));
                        setBuilt(undefined);
                      }}
                    />
                  </td>
                  <td colSpan={2}>
                    <NewKeyChooser name={`add-${a.id}`} profile={root.profile} gun={repository} chosen={a.key} onChosen={(key) => setAdded((l) => l.map((x) => (x.id === a.id ? (key ? { ...x, key } : { id: x.id, name: x.name }) : x)))} />
                    <button type="button" className="secondary" onClick={() => setAdded((l) => l.filter((x) => x.id !== a.id))}>
                      Remove this row
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="buttons">
            <button type="button" className="secondary" onClick={() => setAdded((l) => [...l, { id: nextId.current++, name: '' }])}>
              Add a root key
            </button>
          </div>
          <dl className="facts rotation-settings">
            <div>
              <dt>
                <label htmlFor="rot-threshold">New root threshold</label>
              </dt>
              <dd>
                <input id="rot-threshold" type="number" min={1} max={64} value={threshold} onChange={(e) => setThreshold(Number(e.currentTarget.value))} />
              </dd>
            </div>
            <div>
              <dt>
                <label htmlFor="rot-expires">New root expires</label>
              </dt>
              <dd>
                <input id="rot-expires" type="text" value={expires} onChange={(e) => setExpires(e.currentTarget.value)} spellCheck={false} />
              </dd>
            </div>
            <div>
              <dt>
                <label htmlFor="rot-repository">{root.profile === 'notary' ? 'Repository (GUN)' : 'Repository'}</label>
              </dt>
              <dd>
                <input id="rot-repository" type="text" value={repository} onChange={(e) => setRepository(e.currentTarget.value)} spellCheck={false} />
              </dd>
            </div>
          </dl>
          {typeof change === 'string' ? <p className="field-error">To build the request: {change}.</p> : null}
          {typeof change === 'object' && change.expiresOnly ? <p className="muted">No key or threshold changes: the request only renews the expiry.</p> : null}
          <div className="buttons">
            <button type="button" disabled={busy || typeof change !== 'object' || !repository.trim()} onClick={() => void build(false)}>
              Preview the request
            </button>
            <button type="button" className="primary" disabled={busy || typeof change !== 'object' || !repository.trim()} onClick={() => void build(true)}>
              Write the signing request…
            </button>
          </div>
        </section>
      ) : null}
      {refusal ? <RefusalPanel refusal={refusal} title="Refused" /> : null}
      {built ? <ReviewPanel review={built.review} /> : null}
      {built?.written ? (
        <section className="banner banner-ok" role="status">
          <h2>
            <span className="icon" aria-hidden="true">
              ✓
            </span>{' '}
            Signing request written
          </h2>
          <p className="message rotation-written">
            Written to <code>{built.written.path}</code>
          </p>
          {built.transcript ? (
            <p className="rotation-written">
              Request session transcript beside it (a hash chain, not sealed): <code>{built.transcript.name}</code>
            </p>
          ) : null}
          <p>Give it to each co-signer; read the hash words above aloud to them. Merge their responses below.</p>
        </section>
      ) : null}

      <section className="panel" aria-labelledby="rot-merge-h">
        <h2 id="rot-merge-h">3. Merge the signature responses</h2>
        <div className="buttons">
          <button type="button" className="secondary" onClick={() => requestInput.current?.click()}>
            Open a signing request…
          </button>
          <button type="button" className="primary" disabled={!request || Boolean(merged?.final)} onClick={() => responseInput.current?.click()}>
            Add a response…
          </button>
        </div>
        <p className="pin-state">
          Request: <strong>{request?.name ?? 'none'}</strong>
        </p>
        <input
          ref={requestInput}
          type="file"
          accept=".json,application/json"
          hidden
          aria-label="Signing request to merge"
          onChange={(e) =>
            void pick(
              e.currentTarget,
              CAPS.request,
              (f) => {
                setRequest(f);
                setResponses([]);
                setMerged(undefined);
                setWritten(undefined);
                setMergeRefusal(undefined);
              },
              setMergeRefusal,
            )
          }
        />
        <input ref={responseInput} type="file" accept=".json,application/json" hidden aria-label="Signature response file" onChange={(e) => void pick(e.currentTarget, CAPS.response, (f) => void addResponse(f), setMergeRefusal)} />
        {merged ? (
          <>
            {merged.role === 'targets' ? (
              // targets.json N+1: one policy, the root's targets role (previous and new are the same count).
              <p className="rotation-status" role="status" aria-label="Merge status">
                {merged.new.signed} of {merged.new.threshold} {merged.delegation?.name ?? 'targets'} keys
                {merged.final ? ': threshold met' : `; waiting for: ${merged.waitingFor.map((w) => `${w.name} (${merged.delegation?.name ?? 'targets'})`).join(', ') || 'nobody listed'}`}
              </p>
            ) : (
              <p className="rotation-status" role="status" aria-label="Merge status">
                {merged.previous.signed} of {merged.previous.threshold} old keys, {merged.new.signed} of {merged.new.threshold} new keys
                {merged.final ? ': both thresholds met' : `; waiting for: ${merged.waitingFor.map((w) => `${w.name} (${w.side === 'both' ? 'old and new' : w.side})`).join(', ') || 'nobody listed'}`}
              </p>
            )}
            <p className="muted">
              {merged.role === 'targets' ? (
                <progress max={merged.new.threshold} value={Math.min(merged.new.signed, merged.new.threshold)} aria-label="Signatures collected" />
              ) : (
                <progress max={merged.previous.threshold + merged.new.threshold} value={Math.min(merged.previous.signed, merged.previous.threshold) + Math.min(merged.new.signed, merged.new.threshold)} aria-label="Signatures collected" />
              )}{' '}
              {merged.status}
            </p>
            <ul className="plain" aria-label="Responses accepted">
              {merged.accepted.map((a) => (
                <li key={a.fileName}>
                  ✓ <code>{a.fileName}</code>: {a.signer}
                  {a.tokenSerial ? ` (token serial ${a.tokenSerial})` : ''}, {a.keyids.length} signature{a.keyids.length === 1 ? '' : 's'}
                </li>
              ))}
            </ul>
          </>
        ) : request ? (
          <p className="muted">No response added yet.</p>
        ) : null}
        {mergeRefusal ? <RefusalPanel refusal={mergeRefusal} title="Response refused" level={3} reassure="The responses accepted before are kept; nothing was written." /> : null}
        {written ? (
          <section className="banner banner-ok" role="status" aria-label={written.delegation ? `New ${written.delegation.file} written` : written.role === 'targets' ? 'New targets written' : 'New root written'}>
            <h3>
              <span className="icon" aria-hidden="true">
                ✓
              </span>{' '}
              {written.delegation ? written.delegation.file : written.role === 'targets' ? 'Targets' : 'Root'} version {written.version} written
            </h3>
            <p className="message rotation-written">
              Written to <code>{written.written.path}</code>
            </p>
            {written.delegated ? (
              <p className="message rotation-written-delegated">
                {written.delegated.role} version {written.delegated.version}, with the revoked tags removed, written to <code>{written.delegated.written.path}</code>. Publish both files together: published apart, the revoked tags stay trusted until the second one follows.
              </p>
            ) : null}
            <p className="rotation-written">
              Merge session transcript beside it (a hash chain, not sealed): <code>{written.transcript.name}</code>
            </p>
            <p>
              {written.delegation
                ? `The threshold targets.json gives ${written.delegation.name} is met and ${written.delegation.file} was checked as a client checks it against that delegation (TUF 5.6.7). Clients see it only in a new snapshot and timestamp: notary-server or your online service signs those when it is published; a TUF repository without a service signs them with the refresh command (tuf-ceremony refresh) on the machine that holds those keys.`
                : written.role === 'targets'
                ? 'The root’s targets threshold is met and targets.json was checked as a client checks it against the root (TUF 5.6.3). Clients see it only in a new snapshot and timestamp: notary-server or your online service signs those when it is published; a TUF repository without a service signs them with the refresh command (tuf-ceremony refresh) on the machine that holds those keys.'
                : `Both thresholds are met and the new root was checked as a client at version ${written.version - 1} would check it (TUF 5.3.4).`}{' '}
              SHA-256 {written.written.sha256.slice(0, 16)}…
            </p>
          </section>
        ) : null}
      </section>
    </div>
  );
}
