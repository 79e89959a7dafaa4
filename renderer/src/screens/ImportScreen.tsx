/**
 * Import (PRODUCT.md §2.5, §2.6): choose the trust directory and its layout, pin the trusted root, bring a
 * trust bundle in from USB (a file) or the webcam (`#/import-qr`: animated QR), see what it is — kind,
 * repository, short hash as hex and words to compare with the sender's — and the complete verification;
 * then install it atomically. Everything is done by main with the CLI's core (`tuf-ceremony import`).
 */
import { useEffect, useRef, useState, type ChangeEvent, type FormEvent, type ReactNode } from 'react';
import type { ImportInstalledView, ImportPreviewView, ImportSessionView, ImportSetInstalledView, InventoryErrorView, NamedFile, TrustLayoutName } from '../../../electron/shared/api-types.js';
import { RefusalPanel } from '../components/RefusalPanel';
import { CameraScanner } from '../import/CameraScanner';
import { CleanupFailed } from '../import/CleanupFailed';
import { RemovedLockLeftovers } from '../import/RemovedLockLeftovers';
import { InstalledSummary } from '../import/InstalledSummary';
import { SetSummary } from '../import/SetSummary';
import { StaleLockPanel } from '../import/StaleLock';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { readPicked } from '../lib/files';
import { formatDate, shortFingerprint, groupWords, witnessNames } from '../lib/format';
import '../import/import.css';

/** The camera route: the one page the camera permission is granted to (electron/main/security-policy.ts QR_IMPORT_SCREEN). */
export const CAMERA_ROUTE = '#/import-qr';
/** Shown as the bundle's source when it was read from the camera. */
const CAMERA_SOURCE = 'camera (QR)';

function useCameraRoute(): boolean {
  const [camera, setCamera] = useState(() => window.location.hash.startsWith(CAMERA_ROUTE));
  useEffect(() => {
    const onHash = () => setCamera(window.location.hash.startsWith(CAMERA_ROUTE));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return camera;
}

type Stage =
  | { state: 'idle' }
  | { state: 'busy'; what: string }
  | { state: 'refused'; opened: string; refusal: Refusal }
  | { state: 'previewed'; bundle: NamedFile; preview: ImportPreviewView }
  | { state: 'installing'; bundle: NamedFile; preview: ImportPreviewView }
  | { state: 'installed'; preview: ImportPreviewView; installed: ImportInstalledView | ImportSetInstalledView }
  | { state: 'install-refused'; bundle: NamedFile; preview: ImportPreviewView; refusal: Refusal };

const LAYOUTS: { id: TrustLayoutName; title: string; hint: string }[] = [
  { id: 'notary', title: 'Docker / Notary trust directory', hint: 'e.g. ~/.docker/trust — installed into tuf/<GUN>/metadata/' },
  { id: 'tuf', title: 'TUF client metadata folder', hint: 'the folder a TUF client (tuf-js, python-tuf) reads its metadata from' },
];

export function ImportScreen() {
  const camera = useCameraRoute();
  const api = ceremonyApi();
  const [session, setSession] = useState<ImportSessionView | undefined>();
  const [layout, setLayout] = useState<TrustLayoutName>('notary');
  const [sessionRefusal, setSessionRefusal] = useState<Refusal | undefined>();
  const [fingerprint, setFingerprint] = useState('');
  const [stage, setStage] = useState<Stage>({ state: 'idle' });
  // The optional witness line (issue #16): names recorded in the import's result.
  const [witnessText, setWitnessText] = useState('');
  const [scan, setScan] = useState(0);
  const bundleInput = useRef<HTMLInputElement>(null);
  const pinInput = useRef<HTMLInputElement>(null);
  const pinsInput = useRef<HTMLInputElement>(null);
  const requestNo = useRef(0);

  useEffect(() => {
    if (!api) return;
    api
      .importStatus()
      .then((r) => {
        if (r.ok) {
          setSession(r.value);
          setLayout(r.value.layout);
        }
      })
      .catch(() => undefined);
  }, [api]);

  async function sessionCall(run: () => Promise<{ ok: true; value: ImportSessionView } | Refusal>) {
    let r;
    try {
      r = api ? await run() : NO_BRIDGE;
    } catch (err) {
      r = unexpected(err);
    }
    if (r.ok) {
      setSession(r.value);
      setSessionRefusal(undefined);
    } else setSessionRefusal(r);
    return r.ok;
  }

  async function preview(bundle: NamedFile) {
    const no = ++requestNo.current;
    setStage({ state: 'busy', what: `Verifying ${bundle.name}…` });
    let r;
    try {
      r = api ? await api.importPreview({ bundle }) : NO_BRIDGE;
    } catch (err) {
      r = unexpected(err);
    }
    if (no !== requestNo.current) return;
    setStage(r.ok ? { state: 'previewed', bundle, preview: r.value } : { state: 'refused', opened: bundle.name, refusal: r });
  }

  async function install(bundle: NamedFile, shown: ImportPreviewView) {
    const no = ++requestNo.current;
    setStage({ state: 'installing', bundle, preview: shown });
    let r;
    try {
      const witnesses = witnessNames(witnessText);
      r = api ? await api.importInstall({ bundle, ...(witnesses.length ? { witnesses } : {}) }) : NO_BRIDGE;
    } catch (err) {
      r = unexpected(err);
    }
    if (no !== requestNo.current) return;
    setStage(r.ok ? { state: 'installed', preview: shown, installed: r.value } : { state: 'install-refused', bundle, preview: shown, refusal: r });
  }

  async function onBundleFile(event: ChangeEvent<HTMLInputElement>) {
    const input = event.currentTarget;
    const read = await readPicked(input.files, false);
    input.value = '';
    if (!read) return;
    if ('ok' in read) {
      setStage({ state: 'refused', opened: '', refusal: read });
      return;
    }
    await preview(read.files[0]!);
  }

  /** A pin read from a picked file: a root.json, or (issue #17) a set's pins file, repository → root.json SHA-256; main reads and checks it. */
  async function onPinPicked(event: ChangeEvent<HTMLInputElement>, field: 'rootFile' | 'pinsFile') {
    const input = event.currentTarget;
    const read = await readPicked(input.files, false);
    input.value = '';
    if (!read) return;
    if ('ok' in read) {
      setSessionRefusal(read);
      return;
    }
    const file = read.files[0]!;
    if (await sessionCall(() => api!.importSetPin(field === 'rootFile' ? { rootFile: file } : { pinsFile: file }))) await again();
  }

  async function onPinFingerprint(event: FormEvent) {
    event.preventDefault();
    const hex = fingerprint.replace(/[\s:]/g, '');
    if (await sessionCall(() => api!.importSetPin({ fingerprint: hex }))) await again();
  }

  /** The pin or the place changed: verify what is shown again, against the new choice. */
  async function again() {
    if (stage.state === 'previewed' || stage.state === 'install-refused') await preview(stage.bundle);
  }

  const busy = stage.state === 'busy' || stage.state === 'installing';
  const pin = session?.pin;
  const shown = stage.state === 'previewed' || stage.state === 'installing' || stage.state === 'installed' || stage.state === 'install-refused' ? stage.preview : undefined;
  return (
    <div className="screen import">
      <header className="screen-head">
        <h1>Import a trust bundle</h1>
        <p className="lede">
          Bring a trust bundle in from USB or read it from an animated QR code with the webcam. It is verified completely
          against the root you pin before anything is written, then installed in one step: a refused bundle changes nothing.
        </p>
      </header>

      <section className="panel controls" aria-label="Where and against what">
        <ControlRow step={1} title="Trust directory">
            <fieldset className="layouts" disabled={busy}>
              <legend className="code-label">The client that reads it</legend>
              {LAYOUTS.map((l) => (
                <label key={l.id} className="layout">
                  <input type="radio" name="layout" value={l.id} checked={layout === l.id} onChange={() => setLayout(l.id)} /> {l.title}
                  <span className="hint"> — {l.hint}</span>
                </label>
              ))}
            </fieldset>
            <p className="trust-dir" aria-live="polite">
              {session?.trustDir ? (
                <>
                  Installing into <code>{session.trustDir}</code> ({session.layout === 'notary' ? 'Docker / Notary layout' : 'TUF client layout'})
                </>
              ) : (
                'No trust directory chosen yet.'
              )}
            </p>
            <div className="buttons">
              <button type="button" onClick={() => void sessionCall(() => api!.importChooseTrustDir({ layout })).then((ok) => (ok ? again() : undefined))} disabled={busy}>
                {session?.trustDir ? 'Choose another trust directory…' : 'Choose the trust directory…'}
              </button>
            </div>
            <p className="inventory-file" aria-live="polite">
              {session?.inventory ? (
                <>
                  Installed repositories are recorded in the key inventory <code>{session.inventory}</code> (their keys, roles and expiries).
                </>
              ) : (
                'No key inventory: installs are not recorded in one (optional).'
              )}
            </p>
            <div className="buttons">
              <button type="button" onClick={() => void sessionCall(() => api!.importChooseInventory({ clear: false })).then((ok) => (ok ? again() : undefined))} disabled={busy}>
                {session?.inventory ? 'Choose another key inventory…' : 'Record in a key inventory…'}
              </button>
              {session?.inventory ? (
                <button type="button" onClick={() => void sessionCall(() => api!.importChooseInventory({ clear: true })).then((ok) => (ok ? again() : undefined))} disabled={busy}>
                  Do not record in a key inventory
                </button>
              ) : null}
            </div>
        </ControlRow>
        <ControlRow step={2} title="Trusted root">
            <p className="pin-state" aria-live="polite">
              {pin ? (
                pin.kind === 'file' ? (
                  <>
                    Pinned: <code>{pin.name}</code> (SHA-256 <code title={pin.sha256}>{shortFingerprint(pin.sha256)}</code>)
                  </>
                ) : pin.kind === 'pins' ? (
                  <>
                    Pinned: {pin.repositories} {pin.repositories === 1 ? 'repository' : 'repositories'} by the pins file <code>{pin.name}</code> (SHA-256{' '}
                    <code title={pin.sha256}>{shortFingerprint(pin.sha256)}</code>)
                  </>
                ) : (
                  <>
                    Pinned by fingerprint <code title={pin.sha256}>{shortFingerprint(pin.sha256)}</code>
                  </>
                )
              ) : (
                'No root pinned: the root already installed in the trust directory is trusted (a first import needs a pin).'
              )}
            </p>
            <div className="buttons">
              <button type="button" onClick={() => pinInput.current?.click()} disabled={busy}>
                Pin a root.json…
              </button>
              <button type="button" onClick={() => pinsInput.current?.click()} disabled={busy} title="For a set of repositories: a JSON file naming each repository's root.json SHA-256">
                Pin by a pins file…
              </button>
              {pin ? (
                <button type="button" className="secondary" onClick={() => void sessionCall(() => api!.importSetPin({})).then((ok) => (ok ? again() : undefined))} disabled={busy}>
                  Remove pin
                </button>
              ) : null}
            </div>
            <form className="fingerprint-form" onSubmit={(e) => void onPinFingerprint(e)}>
              <label>
                <span className="code-label">or its SHA-256</span>{' '}
                <input type="text" value={fingerprint} onChange={(e) => setFingerprint(e.target.value)} spellCheck={false} autoComplete="off" size={70} aria-label="Root fingerprint (SHA-256)" disabled={busy} />
              </label>{' '}
              <button type="submit" disabled={busy || fingerprint.trim().length === 0}>
                Pin by fingerprint
              </button>
            </form>
        </ControlRow>
        <ControlRow step={3} title="Bundle">
            <div className="buttons">
              <button type="button" className="primary" onClick={() => bundleInput.current?.click()} disabled={busy}>
                Open a bundle file…
              </button>
              {camera ? (
                <a className="button-link" href="#/import">
                  Stop the camera
                </a>
              ) : (
                <a className="button-link" href={CAMERA_ROUTE}>
                  Read from the webcam
                </a>
              )}
              {camera && stage.state !== 'idle' && stage.state !== 'busy' ? (
                <button
                  type="button"
                  className="secondary"
                  onClick={() => {
                    setStage({ state: 'idle' });
                    setScan((n) => n + 1);
                  }}
                >
                  Read another bundle
                </button>
              ) : null}
            </div>
        </ControlRow>
        {sessionRefusal ? <RefusalPanel refusal={sessionRefusal} title="Not accepted" level={3} /> : null}
        <input ref={bundleInput} type="file" hidden aria-label="Bundle file" onChange={(e) => void onBundleFile(e)} />
        <input ref={pinInput} type="file" accept=".json,application/json" hidden aria-label="Trusted root file" onChange={(e) => void onPinPicked(e, 'rootFile')} />
        <input ref={pinsInput} type="file" accept=".json,application/json" hidden aria-label="Pins file" onChange={(e) => void onPinPicked(e, 'pinsFile')} />
      </section>

      {camera && stage.state === 'idle' ? <CameraScanner key={scan} onBundle={(bytes) => void preview({ name: CAMERA_SOURCE, bytes })} /> : null}

      <div aria-live="polite" className="live">
        {stage.state === 'busy' || stage.state === 'installing' ? (
          <p className="busy">
            <span className="spinner" aria-hidden="true" /> {stage.state === 'busy' ? stage.what : 'Installing…'}
          </p>
        ) : null}
      </div>

      {stage.state === 'refused' ? <RefusalPanel refusal={stage.refusal} opened={stage.opened || undefined} reassure="Nothing was written or changed in the trust directory." /> : null}

      {shown ? <BundleCard preview={shown} /> : null}

      {shown?.set && stage.state !== 'installed' ? (
        <section className={`banner ${shown.verification.ok ? 'banner-ok' : 'banner-refused'} set-verdict`} role="status" aria-labelledby="import-set-verdict">
          <h2 id="import-set-verdict">
            <span className="icon" aria-hidden="true">
              {shown.verification.ok ? '✓' : '✗'}
            </span>{' '}
            {shown.verification.ok ? `Verified: all ${shown.set.repositories.length} repositories ready to install` : 'Refused: this set cannot be installed'}
          </h2>
          <p>
            Each repository was checked completely against its pin (the pins file’s SHA-256, or the root already installed for it), the versions installed and
            this computer’s clock. The set installs all or none: {shown.verification.ok ? 'nothing has been written yet.' : 'one refused repository refuses the whole set, and nothing was written.'}
          </p>
          <SetSummary set={shown.set} verb="would be installed" />
          {shown.verification.ok ? (
            <>
              <label className="field">
                <span>Witnesses present (optional, one name per line)</span>
                <textarea rows={2} value={witnessText} onChange={(e) => setWitnessText(e.currentTarget.value)} spellCheck={false} autoComplete="off" disabled={busy} />
              </label>
              <div className="buttons">
                <button type="button" className="primary" disabled={busy || !session?.trustDir} onClick={() => (stage.state === 'previewed' || stage.state === 'install-refused' ? void install(stage.bundle, shown) : undefined)}>
                  Install all {shown.set.repositories.length} repositories
                </button>
                {!session?.trustDir ? <span className="hint">Choose the trust directory first.</span> : null}
              </div>
            </>
          ) : (
            <RefusalPanel
              refusal={{ ok: false, code: shown.verification.code, message: shown.verification.message, ...(shown.verification.path ? { path: shown.verification.path } : {}) }}
              title="The first refusal"
              level={3}
            />
          )}
        </section>
      ) : null}

      {shown && !shown.set && stage.state !== 'installed' ? (
        shown.verification.ok ? (
          <section className="banner banner-ok" role="status" aria-labelledby="import-verified">
            <h2 id="import-verified">
              <span className="icon" aria-hidden="true">
                ✓
              </span>{' '}
              Verified: ready to install
            </h2>
            <p>
              Checked completely against{' '}
              {shown.verification.result.pinnedBy === 'file' ? 'the pinned root file' : shown.verification.result.pinnedBy === 'fingerprint' ? 'the root with the pinned fingerprint' : 'the root already installed'}
              , the versions installed and this computer’s clock. Nothing has been written yet.
            </p>
            <InstalledSummary view={shown.verification.result} verb="would be installed" />
            <label className="field">
              <span>Witnesses present (optional, one name per line)</span>
              <textarea rows={2} value={witnessText} onChange={(e) => setWitnessText(e.currentTarget.value)} spellCheck={false} autoComplete="off" disabled={busy} />
            </label>
            <div className="buttons">
              <button type="button" className="primary" disabled={busy || !session?.trustDir} onClick={() => (stage.state === 'previewed' || stage.state === 'install-refused' ? void install(stage.bundle, shown) : undefined)}>
                Install into the trust directory
              </button>
              {!session?.trustDir ? <span className="hint">Choose the trust directory first.</span> : null}
            </div>
          </section>
        ) : (
          <RefusalPanel
            refusal={{ ok: false, code: shown.verification.code, message: shown.verification.message, ...(shown.verification.path ? { path: shown.verification.path } : {}) }}
            title="Verification failed: this bundle cannot be installed"
            reassure="Nothing was written or changed in the trust directory."
          />
        )
      ) : null}

      {stage.state === 'install-refused' ? (
        <RefusalPanel
          refusal={stage.refusal}
          title="Not installed"
          reassure={stage.refusal.removedLockLeftovers?.length ? 'Nothing was installed: the trust data is as it was; only the left over lock files named below were removed.' : 'Nothing was changed in the trust directory.'}
        />
      ) : null}
      {/* Refused, but the install's lock had already removed leftovers of killed commands beside it: still said. */}
      {stage.state === 'install-refused' ? <RemovedLockLeftovers lines={stage.refusal.removedLockLeftovers} /> : null}
      {stage.state === 'install-refused' && stage.refusal.code === 'IMPORT_LOCK_STALE' ? <StaleLockPanel key={stage.refusal.message} /> : null}

      {stage.state === 'installed' && stage.installed.set ? (
        <section className="banner banner-ok installed" role="status" aria-labelledby="import-installed">
          <h2 id="import-installed">
            <span className="icon" aria-hidden="true">
              ✓
            </span>{' '}
            Installed
          </h2>
          <p>
            All {stage.installed.set.repositories.length} repositories into <code>{stage.installed.set.folder}</code>, replaced in one step, each recorded in its{' '}
            <code>imports.log</code>.
          </p>
          {stage.installed.witnesses.length ? <p>Witnesses: {stage.installed.witnesses.join(', ')}.</p> : null}
          {stage.installed.inventory ? (
            <p>
              Recorded in the key inventory <code>{stage.installed.inventory}</code>.
            </p>
          ) : null}
          <CleanupFailed warning={stage.installed.cleanupFailed} />
          <InventoryNotUpdated error={stage.installed.inventoryError} />
          <InventoryLockTakenOver notice={stage.installed.inventoryBrokeStaleLock} />
          <RemovedLockLeftovers lines={stage.installed.removedLockLeftovers} />
          <SetSummary set={stage.installed.set} verb="installed" />
        </section>
      ) : null}

      {stage.state === 'installed' && !stage.installed.set ? (
        <section className="banner banner-ok installed" role="status" aria-labelledby="import-installed">
          <h2 id="import-installed">
            <span className="icon" aria-hidden="true">
              ✓
            </span>{' '}
            Installed
          </h2>
          <p>
            Into <code>{stage.installed.folder}</code>, replaced in one step, and recorded in its <code>imports.log</code>.
            {stage.installed.previous ? ` Root was version ${stage.installed.previous.root}.` : ' Nothing was installed there before.'}
          </p>
          {stage.installed.witnesses?.length ? <p>Witnesses: {stage.installed.witnesses.join(', ')}.</p> : null}
          {stage.installed.inventory ? (
            <p>
              Recorded in the key inventory <code>{stage.installed.inventory}</code>.
            </p>
          ) : null}
          <CleanupFailed warning={stage.installed.cleanupFailed} />
          <InventoryNotUpdated error={stage.installed.inventoryError} />
          <InventoryLockTakenOver notice={stage.installed.inventoryBrokeStaleLock} />
          <RemovedLockLeftovers lines={stage.installed.removedLockLeftovers} />
          <InstalledSummary view={stage.installed} verb="installed" />
          {stage.installed.lockNotReleased ? (
            <p className="lock-not-released" role="alert">
              <strong>Warning:</strong> the bundle is installed, but {stage.installed.lockNotReleased}.
            </p>
          ) : null}
        </section>
      ) : null}

      {stage.state === 'idle' && !camera ? (
        <p className="empty">
          No bundle opened yet. Bundles are made by the Export screen or <code>tuf-ceremony bundle create</code>; the webcam reads the
          animated QR code the Export screen plays.
        </p>
      ) : null}
    </div>
  );
}

/** One numbered step of the controls panel (the Inspect screen's layout). */
function ControlRow({ step, title, children }: { step: number; title: string; children: ReactNode }) {
  return (
    <div className="control-row">
      <span className="step" aria-hidden="true">
        {step}
      </span>
      <div className="control-body">
        <h2 className="control-title">{title}</h2>
        {children}
      </div>
    </div>
  );
}

function BundleCard({ preview }: { preview: ImportPreviewView }) {
  const b = preview.bundle;
  const set = b.kind === 'trust-bundle-set';
  return (
    <section className="panel bundle-card" aria-labelledby="bundle-title">
      <h2 id="bundle-title">Bundle</h2>
      <dl className="facts">
        <div>
          <dt>From</dt>
          <dd>{b.source}</dd>
        </div>
        <div>
          <dt>Kind</dt>
          <dd data-testid="bundle-kind">{b.kind}</dd>
        </div>
        <div>
          <dt>{set ? 'Set' : 'Repository'}</dt>
          <dd>
            <code data-testid="bundle-repository">{b.repository}</code> ({b.profile === 'notary' ? 'Notary v1 / Docker Content Trust' : 'TUF 1.0'})
          </dd>
        </div>
        <div>
          <dt>Made</dt>
          <dd>{formatDate(b.created)}</dd>
        </div>
        <div className="facts-wide">
          <dt>Size</dt>
          <dd>
            {set ? `${b.bytes} bytes, ${b.files.length} ${b.files.length === 1 ? 'repository' : 'repositories'} (one trust bundle each)` : `${b.bytes} bytes, ${b.files.length} files: ${b.files.map((f) => f.name).join(', ')}`}
          </dd>
        </div>
        <div className="facts-wide">
          <dt>Short hash</dt>
          <dd>
            <code className="short-hash" data-testid="bundle-hash" title={b.hash.sha256}>
              {b.hash.short}
            </code>
          </dd>
        </div>
        <div className="facts-wide">
          <dt>Read aloud</dt>
          <dd className="words" data-testid="bundle-words">
            {groupWords(b.hash.words)}
          </dd>
        </div>
      </dl>
      <p className="hint">Compare the short hash or the words with the ones the exporting side shows.</p>
    </section>
  );
}

/** The inventory update took over a lock a dead process left: said, as the CLI's `note:` line says it. */
function InventoryLockTakenOver({ notice }: { notice: string | undefined }) {
  if (!notice) return null;
  return (
    <p className="inventory-lock-taken-over" role="status">
      <strong>Note:</strong> {notice}.
    </p>
  );
}

/** Installed, but the key inventory update after it failed: a warning (the trust directory holds the new root). */
function InventoryNotUpdated({ error }: { error: InventoryErrorView | undefined }) {
  if (!error) return null;
  return (
    <p className="inventory-not-updated" role="alert">
      <strong>Warning:</strong> installed; the key inventory was not updated ({error.code}): {error.message}
    </p>
  );
}
