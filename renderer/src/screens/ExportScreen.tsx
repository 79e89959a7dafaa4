/**
 * Export (PRODUCT.md §2.5, issue #6): open a metadata folder (verified, then made a trust bundle) or an
 * existing bundle (trust bundle, signing request, signature response: decoded and checked); see what it
 * holds and its short hash as hex and words; then write it to USB — main asks for the folder, proposes a
 * free name, writes atomically without overwriting, reads the copy back and verifies it — or play it as
 * an animated QR code, full screen.
 */
import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import type { ExportDestinationView, ExportPreparedView, ExportWrittenView } from '../../../electron/shared/api-types.js';
import { RefusalPanel } from '../components/RefusalPanel';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { readPicked } from '../lib/files';
import { clearExportPrepared, peekExportPrepared } from '../lib/handoff';
import { useReveal } from '../lib/reveal';
import { formatDate, groupedFingerprint, groupWords } from '../lib/format';
import { clampRate, DEFAULT_FPS, MAX_FPS, MIN_FPS } from '../export/player';
import { QrPlayer } from '../export/QrPlayer';
import '../export/export.css';

const KIND_TITLES: Record<ExportPreparedView['kind'], string> = {
  'trust-bundle': 'Trust bundle',
  'signing-request': 'Signing request',
  'signature-response': 'Signature response',
  'share-card': 'Share card',
  'trust-bundle-set': 'Trust bundle of many repositories',
};

type Prep = { state: 'idle' } | { state: 'busy'; opened: string } | { state: 'ready'; view: ExportPreparedView } | { state: 'refused'; opened: string; refusal: Refusal };

type Usb =
  | { state: 'idle' }
  | { state: 'busy'; what: string }
  | { state: 'chosen'; dest: ExportDestinationView; name: string; refusal?: Refusal }
  | { state: 'written'; dest: ExportDestinationView; written: ExportWrittenView }
  | { state: 'refused'; refusal: Refusal };

function bytesText(n: number): string {
  return n >= 10_240 ? `${(n / 1024).toFixed(1)} KiB (${n} bytes)` : `${n} bytes`;
}

async function call<T>(run: (api: NonNullable<ReturnType<typeof ceremonyApi>>) => Promise<{ ok: true; value: T } | Refusal>): Promise<{ ok: true; value: T } | Refusal> {
  const api = ceremonyApi();
  if (!api) return NO_BRIDGE;
  try {
    return await run(api);
  } catch (err) {
    return unexpected(err);
  }
}

export function ExportScreen() {
  const dirInput = useRef<HTMLInputElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  // Issue #16: "Export the metadata…" on a completed ceremony opens this screen with its metadata/ folder
  // already prepared in main; the summary is revealed (in view, focus on its heading).
  const [handed] = useState(() => peekExportPrepared());
  const [prep, setPrep] = useState<Prep>(() => (handed ? { state: 'ready', view: handed } : { state: 'idle' }));
  useEffect(() => {
    if (handed) clearExportPrepared();
  }, [handed]);
  const summaryRef = useReveal<HTMLElement>(prep.state === 'ready' && prep.view === handed ? `handed-${handed.hash.sha256}` : undefined);
  const [usb, setUsb] = useState<Usb>({ state: 'idle' });
  const [fps, setFps] = useState(DEFAULT_FPS);
  const [playing, setPlaying] = useState(false);
  const requestNo = useRef(0);

  async function onOpen(event: ChangeEvent<HTMLInputElement>, fromDirectory: boolean) {
    const input = event.currentTarget;
    const read = await readPicked(input.files, fromDirectory);
    input.value = '';
    if (!read) return;
    const no = ++requestNo.current;
    setUsb({ state: 'idle' });
    if ('ok' in read) {
      setPrep({ state: 'refused', opened: '', refusal: read });
      return;
    }
    setPrep({ state: 'busy', opened: read.label });
    const file = read.files[0]!;
    const r = fromDirectory
      ? await call((api) => api.exportPrepareFolder({ files: read.files, source: read.label }))
      : await call((api) => api.exportPrepareBundle({ file: { name: file.name, bytes: file.bytes } }));
    if (no !== requestNo.current) return;
    setPrep(r.ok ? { state: 'ready', view: r.value } : { state: 'refused', opened: read.label, refusal: r });
  }

  async function chooseFolder() {
    setUsb({ state: 'busy', what: 'Waiting for the folder…' });
    const r = await call((api) => api.exportDestination({ choose: true }));
    setUsb(r.ok ? { state: 'chosen', dest: r.value, name: r.value.proposedName } : { state: 'refused', refusal: r });
  }

  async function write(dest: ExportDestinationView, name: string) {
    setUsb({ state: 'busy', what: `Writing ${name}, then reading it back…` });
    const r = await call((api) => api.exportWrite({ fileName: name }));
    if (r.ok) {
      setUsb({ state: 'written', dest, written: r.value });
      return;
    }
    // Refused (e.g. OUTPUT_EXISTS): nothing was written; propose a free name in the same folder again.
    const again = await call((api) => api.exportDestination({ choose: false }));
    setUsb(again.ok ? { state: 'chosen', dest: again.value, name, refusal: r } : { state: 'refused', refusal: r });
  }

  /** The same folder again: a fresh proposal (the name just written is taken now). */
  async function anotherCopy() {
    const r = await call((api) => api.exportDestination({ choose: false }));
    setUsb(r.ok ? { state: 'chosen', dest: r.value, name: r.value.proposedName } : { state: 'refused', refusal: r });
  }

  const busy = prep.state === 'busy' || usb.state === 'busy';
  const view = prep.state === 'ready' ? prep.view : undefined;
  return (
    <div className="screen export">
      <header className="screen-head">
        <h1>Export a bundle</h1>
        <p className="lede">
          Carry signed metadata, a signing request or a signature response across the air gap: write it to a USB stick (checked by
          reading it back) or play it as an animated QR code for a webcam.
        </p>
      </header>

      <section className="panel controls" aria-label="Choose what to export">
        <div className="control-row">
          <span className="step" aria-hidden="true">
            1
          </span>
          <div className="control-body">
            <h2 className="control-title">Open</h2>
            <p className="muted">A metadata folder is verified completely (from its own oldest root) before it becomes a trust bundle.</p>
            <div className="buttons">
              <button type="button" className="primary" onClick={() => dirInput.current?.click()} disabled={busy || playing}>
                Open a metadata folder…
              </button>
              <button type="button" className="primary" onClick={() => fileInput.current?.click()} disabled={busy || playing}>
                Open a bundle file…
              </button>
            </div>
          </div>
        </div>
        <input ref={fileInput} type="file" hidden aria-label="Bundle file" onChange={(e) => void onOpen(e, false)} />
        <input ref={dirInput} type="file" webkitdirectory="" hidden aria-label="Metadata folder" onChange={(e) => void onOpen(e, true)} />
      </section>

      <div aria-live="polite" className="live">
        {prep.state === 'busy' ? (
          <p className="busy">
            <span className="spinner" aria-hidden="true" /> Verifying {prep.opened}…
          </p>
        ) : null}
      </div>

      {prep.state === 'refused' ? <RefusalPanel refusal={prep.refusal} opened={prep.opened || undefined} reassure="Nothing was exported or written." /> : null}
      {prep.state === 'idle' ? <p className="empty">Nothing opened yet.</p> : null}

      {view ? (
        <section className="panel export-summary" aria-labelledby="export-summary-h" data-kind={view.kind} ref={summaryRef}>
          <h2 id="export-summary-h">
            <span className="icon ok" aria-hidden="true">
              ✓
            </span>{' '}
            {KIND_TITLES[view.kind]} ready to export
          </h2>
          {view === handed ? <p className="message">The metadata of the ceremony just completed, verified from its own root: write it to USB or play it as QR below.</p> : null}
          <dl className="export-facts">
            <div>
              <dt>Opened</dt>
              <dd>
                <code>{view.opened}</code> ({view.from === 'folder' ? 'metadata folder' : 'bundle file'})
              </dd>
            </div>
            <div>
              <dt>Kind</dt>
              <dd className="export-kind">{view.kind}</dd>
            </div>
            <div>
              <dt>Profile</dt>
              <dd>{view.profile === 'notary' ? 'Notary v1 / Docker Content Trust' : 'TUF 1.0'}</dd>
            </div>
            <div>
              <dt>Repository</dt>
              <dd>
                <code className="export-repository">{view.repository}</code>
              </dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>{formatDate(view.created)}</dd>
            </div>
            <div>
              <dt>Size</dt>
              <dd>{bytesText(view.bytes)}</dd>
            </div>
          </dl>
          {view.verification ? (
            <p className="export-verified">
              Verified: root version {view.verification.rootVersion}
              {view.verification.rootVersion !== view.verification.trustedRootVersion ? ` (chain from version ${view.verification.trustedRootVersion})` : ''};{' '}
              {view.verification.roles.map((r) => `${r.name} v${r.version} (${r.signed} of ${r.threshold})`).join(', ')}; {view.verification.targets} target
              {view.verification.targets === 1 ? '' : 's'}
              {view.verification.absent.length ? `; not included: ${view.verification.absent.join(', ')}` : ''}.
            </p>
          ) : null}
          <table className="keys export-files">
            <caption>Files in the bundle</caption>
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Size</th>
                <th scope="col">SHA-256</th>
              </tr>
            </thead>
            <tbody>
              {view.files.map((f) => (
                <tr key={f.name}>
                  <td>
                    <code>{f.name}</code>
                  </td>
                  <td className="num">{f.length} bytes</td>
                  <td>
                    <code className="fingerprint" title={f.sha256}>
                      {f.sha256.slice(0, 16)}…
                    </code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="export-hash">
            <p className="fp-aloud-label">Bundle hash — read aloud and compare at the receiving end</p>
            <ol className="fp-words" aria-label="Bundle hash words, to read aloud">
              {view.hash.words.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ol>
            <p>
              Short hash <code className="export-short-hash">{view.hash.short}</code>
            </p>
            <p className="muted">
              {/* In groups of four (issue #16): the line breaks between groups, never inside one, at 1024 px. */}
              SHA-256 <code className="fp-full">{groupedFingerprint(view.hash.sha256)}</code>
            </p>
          </div>
        </section>
      ) : null}

      {view ? (
        <section className="panel export-usb" aria-labelledby="export-usb-h">
          <h2 id="export-usb-h">Write to USB</h2>
          <p className="muted">The file is written under a temporary name, flushed to the stick, then given its name; an existing file is never replaced.</p>
          <div className="buttons">
            <button type="button" className="primary" onClick={() => void chooseFolder()} disabled={busy || playing}>
              {usb.state === 'chosen' || usb.state === 'written' ? 'Choose another folder…' : 'Choose the folder (USB stick)…'}
            </button>
          </div>
          {usb.state === 'busy' ? (
            <p className="busy">
              <span className="spinner" aria-hidden="true" /> {usb.what}
            </p>
          ) : null}
          {usb.state === 'refused' ? <RefusalPanel refusal={usb.refusal} level={3} reassure="Nothing was written." /> : null}
          {usb.state === 'chosen' ? (
            <form
              className="export-write"
              onSubmit={(e) => {
                e.preventDefault();
                void write(usb.dest, usb.name);
              }}
            >
              {usb.refusal ? <RefusalPanel refusal={usb.refusal} level={3} title="Not written" reassure="Nothing was written; the existing file is untouched." /> : null}
              <p>
                Folder: <code className="export-folder">{usb.dest.folder}</code>
              </p>
              {usb.dest.suggestedTaken ? (
                <p className="warn-note">
                  <code>{usb.dest.suggestedName}</code> already exists there and will not be replaced: a new name is proposed.
                </p>
              ) : null}
              <label className="field">
                File name
                <input
                  type="text"
                  value={usb.name}
                  aria-label="File name"
                  spellCheck={false}
                  onChange={(e) => setUsb({ ...usb, name: e.currentTarget.value })}
                />
              </label>
              <div className="buttons">
                <button type="submit" className="primary" disabled={busy || usb.name.length === 0}>
                  Write the bundle
                </button>
                {usb.name !== usb.dest.proposedName ? (
                  <button type="button" className="secondary" onClick={() => setUsb({ ...usb, name: usb.dest.proposedName })}>
                    Use {usb.dest.proposedName}
                  </button>
                ) : null}
              </div>
            </form>
          ) : null}
          {usb.state === 'written' ? (
            <div className="export-written" role="status">
              <h3>
                <span className="icon ok" aria-hidden="true">
                  ✓
                </span>{' '}
                Written and read back: the copy is the bundle that was meant
              </h3>
              <p>
                <code className="export-written-path">{usb.written.path}</code> ({bytesText(usb.written.bytes)})
              </p>
              <p>
                Hash of the copy on the stick: <code className="export-written-hash">{usb.written.hash.short}</code>{' '}
                <span className="export-written-words">{groupWords(usb.written.hash.words)}</span>
              </p>
              <div className="buttons">
                <button type="button" className="secondary" onClick={() => void anotherCopy()} disabled={busy}>
                  Write another copy…
                </button>
              </div>
            </div>
          ) : null}
        </section>
      ) : null}

      {view ? (
        <section className="panel export-qr" aria-labelledby="export-qr-h">
          <h2 id="export-qr-h">Play as animated QR</h2>
          {view.qr.available ? (
            <>
              <p className="muted">
                {view.qr.seqLen} fragments of {view.qr.fragmentLength} bytes. The frames keep coming (fountain code): a receiver that missed some
                needs only a few more, not a second full cycle. Point the receiving webcam at the screen; Esc leaves.
              </p>
              {view.qr.note ? <p className="muted qr-small-note">Note: {view.qr.note}.</p> : null}
              <label className="field qr-rate-choice">
                Rate: <output>{fps} frames/s</output>
                <input type="range" min={MIN_FPS} max={MAX_FPS} step={1} value={fps} aria-label="Rate for playing" onChange={(e) => setFps(clampRate(Number(e.currentTarget.value)))} />
              </label>
              <div className="buttons">
                <button type="button" className="primary" onClick={() => setPlaying(true)} disabled={busy || playing}>
                  Play QR full screen
                </button>
              </div>
            </>
          ) : (
            <p className="warn-note">This bundle cannot be sent as QR frames: {view.qr.reason}. Write it to USB instead.</p>
          )}
        </section>
      ) : null}

      {view && view.qr.available && playing ? (
        <QrPlayer
          seqLen={view.qr.seqLen}
          fragmentLength={view.qr.fragmentLength}
          hashShort={view.hash.short}
          hashWords={view.hash.words}
          hashSha256={view.hash.sha256}
          initialFps={fps}
          onClose={() => setPlaying(false)}
        />
      ) : null}
    </div>
  );
}
