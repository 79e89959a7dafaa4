/**
 * Share cards entered one by one (PRODUCT.md §2.2), for the Shamir screen's "verify the key" and the
 * Co-sign screen's "sign with share cards": each card, typed / pasted or opened as a file, is checked with
 * the ones before it as it is entered (main: every checksum, one split, no duplicate; with a request, a
 * key of that request) — a refusal names the card and where it is wrong, and the card is not added.
 *
 * Secrets: main holds the accepted cards (electron/main/shamir.ts ShareSetStore), never this page: each
 * card crosses IPC once, in the call that adds it, and the page keeps only the set's handle and public
 * view (useShareSet). After each call the card file's bytes are zeroed here and the text area is cleared
 * (kept only after a typing mistake, to be corrected). "Start again" and leaving the screen have main
 * wipe the set.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { NamedFile, ShamirCardInput, ShamirSetView } from '../../../electron/shared/api-types.js';
import { FingerprintReadout } from '../components/Fingerprint';
import { RefusalPanel } from '../components/RefusalPanel';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { isRefusal, readPickedFile } from '../rotation/files';
import './shamir.css';

/** src/shamir/card.ts SHARE_CARD_MAX_BYTES (main and the parser check again). */
export const CARD_MAX_BYTES = 8192;

/**
 * Refusals of a card's own text (a typing mistake the message locates): the text stays on screen to be
 * corrected. Any other refusal (another split, the same card twice, a key the request has no use for)
 * cannot be fixed by editing, so the text is cleared at once, as it is when a card is accepted.
 */
export const TYPING_MISTAKES: readonly string[] = ['SHARE_FORMAT', 'SHARE_CHARACTER', 'SHARE_CHECKSUM', 'SHARE_CARD_CHECKSUM'];

/** Zero what can be zeroed of a card this page sent: a file's bytes (a typed string cannot be wiped, only dropped). */
export function wipeCardInput(card: ShamirCardInput): void {
  if ('file' in card) card.file.bytes.fill(0);
}

/**
 * The set main holds for a screen: its public view (with the handle), and a setter. When the screen goes
 * away main is asked to wipe the set still held (a set used by verify / co-sign is already gone).
 */
export function useShareSet(): [ShamirSetView | undefined, (next: ShamirSetView | undefined) => void] {
  const [set, setSet] = useState<ShamirSetView | undefined>();
  const handle = useRef<string | undefined>(undefined);
  const update = useCallback((next: ShamirSetView | undefined) => {
    handle.current = next?.set;
    setSet(next);
  }, []);
  useEffect(
    () => () => {
      const h = handle.current;
      handle.current = undefined;
      // Best effort: main also wipes a set left idle (15 minutes).
      if (h) void ceremonyApi()?.shamirClearSet({ set: h }).catch(() => undefined);
    },
    [],
  );
  return [set, update];
}

interface Props {
  /** An id prefix, unique on the page. */
  name: string;
  set: ShamirSetView | undefined;
  onChange(set: ShamirSetView | undefined): void;
  /** Co-signing: the cards must be shares of a key of this signing request. */
  request?: NamedFile | undefined;
  disabled?: boolean;
}

export function CardEntry({ name, set, onChange, request, disabled = false }: Props) {
  const api = ceremonyApi();
  const fileInput = useRef<HTMLInputElement>(null);
  const [draft, setDraft] = useState('');
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const [busy, setBusy] = useState(false);

  /** `typed`: the card is the text area's (kept after a typing mistake); else a file. */
  async function add(card: ShamirCardInput, typed: boolean) {
    setRefusal(undefined);
    if (!api) return setRefusal(NO_BRIDGE);
    setBusy(true);
    try {
      const r = await api.shamirAddCard({ ...(set ? { set: set.set } : {}), card, ...(request ? { request } : {}) });
      if (r.ok) {
        setDraft('');
        onChange(r.value);
      } else {
        if (typed && !TYPING_MISTAKES.includes(r.code)) setDraft('');
        // Main no longer holds the set (used, cleared or idle too long): its cards are gone, start afresh.
        if (r.code === 'SHARE_SET_UNKNOWN') onChange(undefined);
        setRefusal(r);
      }
    } catch (err) {
      if (typed) setDraft('');
      setRefusal(unexpected(err));
    } finally {
      // Sent once: the copy this page read from the file is zeroed, whatever the answer.
      wipeCardInput(card);
      setBusy(false);
    }
  }

  async function openFile(input: HTMLInputElement) {
    const f = await readPickedFile(input, CARD_MAX_BYTES);
    if (!f) return;
    if (isRefusal(f)) return setRefusal(f);
    await add({ file: f }, false);
  }

  const off = disabled || busy;
  const nextNo = (set?.cards.length ?? 0) + 1;
  return (
    <div className="card-entry">
      {set ? (
        <>
          <p className="cards-status" role="status" aria-label="Cards entered">
            {set.status} (split <code>{set.splitId}</code>, any {set.threshold} of {set.shares}
            {set.rehearsal ? ', REHEARSAL' : ''})
          </p>
          <table className="keys" aria-label="Cards entered so far">
            <thead>
              <tr>
                <th scope="col">Card</th>
                <th scope="col">Share index</th>
                <th scope="col">Split</th>
                <th scope="col">Entered as</th>
              </tr>
            </thead>
            <tbody>
              {set.cards.map((c) => (
                <tr key={c.position}>
                  <td>{c.position}</td>
                  <td>{c.index}</td>
                  <td>
                    <code>{c.splitId}</code>
                  </td>
                  <td>{c.source === 'typed' ? 'typed' : `file ${c.source}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h4>The key these cards are shares of</h4>
          <FingerprintReadout fingerprint={set.fingerprint} />
        </>
      ) : null}
      <label className="field">
        <span>
          Card {nextNo}: type or paste the whole card, from “TUF-CEREMONY SHARE CARD” to “card check”
        </span>
        <textarea
          id={`${name}-card-text`}
          className="card-text"
          aria-label={`Card ${nextNo} text`}
          value={draft}
          onChange={(e) => setDraft(e.currentTarget.value)}
          spellCheck={false}
          autoComplete="off"
          autoCorrect="off"
          autoCapitalize="off"
          disabled={off}
        />
      </label>
      <div className="buttons">
        <button type="button" className="primary" disabled={off || draft.trim() === ''} onClick={() => void add({ text: draft }, true)}>
          Add this card
        </button>
        <button type="button" className="secondary" disabled={off} onClick={() => fileInput.current?.click()}>
          Add a card file…
        </button>
        {set ? (
          <button
            type="button"
            className="secondary"
            disabled={off}
            onClick={() => {
              setRefusal(undefined);
              setDraft('');
              // Main wipes the cards; the page forgets the handle whatever the answer.
              void api?.shamirClearSet({ set: set.set }).catch(() => undefined);
              onChange(undefined);
            }}
          >
            Start again
          </button>
        ) : null}
      </div>
      <input ref={fileInput} type="file" accept=".txt,text/plain" hidden aria-label="Share card file" onChange={(e) => void openFile(e.currentTarget)} />
      {busy ? (
        <p className="busy" aria-live="polite">
          <span className="spinner" aria-hidden="true" /> Checking the card…
        </p>
      ) : null}
      {refusal ? <RefusalPanel refusal={refusal} title={`Card ${nextNo} not added`} level={3} reassure="The card was not added; nothing was rebuilt. Correct it and add it again." /> : null}
    </div>
  );
}
