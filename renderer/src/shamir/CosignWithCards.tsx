/**
 * Co-sign with share cards (PRODUCT.md §2.2, §2.4): the co-signer who holds a Shamir-split root key enters
 * M cards (the same entry as the Shamir screen's). Each card is checked as it is entered, and the set
 * against the request: the key the cards are shares of must be a root key of the request — before
 * anything is rebuilt. Then main rebuilds the key in memory, checks it against the cards' fingerprint,
 * signs (the signature verified in software by the core), wipes the key, and writes the response like
 * the token path. The confirmed hash travels with the call, as for tokens. The cards stay in main: this
 * page holds the set's handle and public view only (CardEntry.tsx).
 *
 * A request that also revokes tags (issue #14) has two parts, each signed by other keys: once the cards
 * are checked against the request, main says which part their key signs and that part's hash words (the
 * set view's `signer.signs`); the co-signer confirms those words, and they are what is sent — as the
 * token path sends the checked key's part, never the review's part-1 words for a part-2 key.
 */
import { useState } from 'react';
import { groupWords } from '../lib/format';
import type { NamedFile, RotationReviewView, ShamirCosignView, ShamirSetView } from '../../../electron/shared/api-types.js';
import { RefusalPanel } from '../components/RefusalPanel';
import { ceremonyApi, NO_BRIDGE, unexpected, type Refusal } from '../lib/api';
import { CardEntry, useShareSet } from './CardEntry';
import { ResponseWritten } from '../rotation/ResponseWritten';

type Phase = { step: 'entering' } | { step: 'signing' } | { step: 'signed'; signed: ShamirCosignView } | { step: 'refused'; refusal: Refusal };

interface Props {
  request: NamedFile;
  review: RotationReviewView;
  /** "the old and the new root", … (CosignScreen's wording for a signer's side). */
  sideText(from: NonNullable<ShamirSetView['signer']>['from']): string;
  /** Who watched (the Co-sign screen's optional witness line): recorded in the response. */
  witnesses?: string[];
}

export function CosignWithCards({ request, review, sideText, witnesses = [] }: Props) {
  const api = ceremonyApi();
  const [set, setSet] = useShareSet();
  const [phase, setPhase] = useState<Phase>({ step: 'entering' });
  // A two-part request: the words of the part the cards' key signs, confirmed once main has named that part.
  const [partConfirmed, setPartConfirmed] = useState(false);
  const part = set?.signer?.signs.part ? set.signer.signs : undefined;

  async function sign() {
    if (!set?.complete) return;
    if (!api) return setPhase({ step: 'refused', refusal: NO_BRIDGE });
    if (part && !partConfirmed) return;
    setPhase({ step: 'signing' });
    try {
      // The hash confirmed on screen: the review's words, or for a two-part request the words of the part this key signs.
      const confirmedSha256 = part ? part.digest.sha256 : review.digest.sha256;
      const r = await api.shamirCosign({ request, confirmedSha256, set: set.set, ...(witnesses.length ? { witnesses } : {}) });
      setPhase(r.ok ? { step: 'signed', signed: r.value } : { step: 'refused', refusal: r });
    } catch (err) {
      setPhase({ step: 'refused', refusal: unexpected(err) });
    } finally {
      // Used once: main wiped the set whatever the answer.
      setSet(undefined);
      setPartConfirmed(false);
    }
  }

  if (phase.step === 'signed') {
    const s = phase.signed;
    return (
      <ResponseWritten path={s.written.path} transcript={s.transcript.name}>
        <p>
          Signed as {s.signer.name} with the key rebuilt from share cards{s.rehearsal ? ' (REHEARSAL cards)' : ''}; the key matched the cards’ fingerprint, the signature was verified before it was written, and the key was wiped. With this response alone: {s.status}.
        </p>
        {s.witnesses.length ? <p>Witnesses recorded in the response: {s.witnesses.join(', ')}.</p> : null}
        <p className="muted">Give the response file to the administrator. It holds signatures only, no secret. Put the cards away.</p>
      </ResponseWritten>
    );
  }
  const signing = phase.step === 'signing';
  return (
    <div className="cosign-cards">
      <CardEntry
        name="cosign-cards"
        request={request}
        set={set}
        disabled={signing}
        onChange={(s) => {
          setSet(s);
          setPartConfirmed(false);
          setPhase({ step: 'entering' });
        }}
      />
      {set?.signer ? (
        <p className="signer-found" role="note">
          These cards are shares of <strong>{set.signer.name}</strong>’s key in {sideText(set.signer.from)}.
        </p>
      ) : null}
      {part?.part ? (
        <label className="rotation-confirm">
          <input type="checkbox" checked={partConfirmed} onChange={(e) => setPartConfirmed(e.currentTarget.checked)} disabled={signing} />
          <span>
            You sign part {part.part.index} of {part.part.of}: {part.file} v{part.version}. Its words <strong>{groupWords(part.digest.words)}</strong> (short hash <code>{part.digest.grouped}</code>) match the ones the administrator read out for this part.
          </span>
        </label>
      ) : null}
      <div className="buttons">
        <button type="button" className="primary" disabled={!set?.complete || signing || (!!part && !partConfirmed)} onClick={() => void sign()}>
          Sign with these cards
        </button>
      </div>
      {signing ? (
        <p className="busy" aria-live="polite">
          <progress aria-label="Signing with the rebuilt key" /> Rebuilding the key, signing and checking the signature…
        </p>
      ) : null}
      {phase.step === 'refused' ? <RefusalPanel refusal={phase.refusal} title="Not signed" level={3} reassure="Nothing was signed and no response was written; anything rebuilt was wiped. Enter the cards again." /> : null}
    </div>
  );
}
