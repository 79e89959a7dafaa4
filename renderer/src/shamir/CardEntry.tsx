/**
 * Share cards entered one by one (PRODUCT.md §2.2), for the Shamir screen's "verify the key" and the
 * Co-sign screen's "sign with share cards": each card, typed / pasted or opened as a file, is checked with
 * the ones before it as it is entered (main: every checksum, one split, no duplicate; with a request, a
 * key of that request) — a refusal names the card and where it is wrong, and the card is not added.
 *
 * Secrets: the parent holds the accepted cards (so it can clear them once used); the text area is cleared
 * as soon as a card is accepted. The screen shows only the cards' public fields, as main returns them.
 */
import { useRef, useState } from 'react';
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

interface Props {
  /** An id prefix, unique on the page. */
  name: string;
  cards: ShamirCardInput[];
  set: ShamirSetView | undefined;
  onChange(cards: ShamirCardInput[], set: ShamirSetView | undefined): void;
  /** Co-signing: the cards must be shares of a key of this signing request. */
  request?: NamedFile | undefined;
  disabled?: boolean;
}

export function CardEntry({ name, cards, set, onChange, request, disabled = false }: Props) {
  const api = ceremonyApi();
  const fileInput = useRef<HTMLInputElement>(null);
  const [draft, setDraft] = useState('');
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const [busy, setBusy] = useState(false);

  /** `typed`: the card is the text area's (kept after a typing mistake); else a file. */
  async function add(card: ShamirCardInput, typed: boolean) {
    setRefusal(undefined);
    if (!api) return setRefusal(NO_BRIDGE);
    const next = [...cards, card];
    setBusy(true);
    try {
      const r = await api.shamirCheckCards(request ? { cards: next, request } : { cards: next });
      if (r.ok) {
        setDraft('');
        onChange(next, r.value);
      } else {
        if (typed && !TYPING_MISTAKES.includes(r.code)) setDraft('');
        setRefusal(r);
      }
    } catch (err) {
      setRefusal(unexpected(err));
    } finally {
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
  const nextNo = cards.length + 1;
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
        {cards.length > 0 ? (
          <button
            type="button"
            className="secondary"
            disabled={off}
            onClick={() => {
              setRefusal(undefined);
              setDraft('');
              onChange([], undefined);
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
