/** A share card's public fields, as roll-call and the card list show them: never its share data. */
import type { ShamirCardView } from '../../../electron/shared/api-types.js';
import { algorithmTitle } from '../lib/format';

export function CardFields({ card }: { card: ShamirCardView }) {
  return (
    <dl className="card-fields" aria-label="Card fields">
      <dt>Split</dt>
      <dd>
        <code>{card.splitId}</code>
      </dd>
      <dt>Share index</dt>
      <dd>{card.index}</dd>
      <dt>Cards</dt>
      <dd>
        any {card.threshold} of {card.shares}
      </dd>
      <dt>Key</dt>
      <dd>{algorithmTitle(card.algorithm)}</dd>
      {card.label !== undefined ? (
        <>
          <dt>Label</dt>
          <dd>{card.label}</dd>
        </>
      ) : null}
      <dt>Rehearsal card</dt>
      <dd>{card.rehearsal ? 'yes (REHEARSAL — not for production)' : 'no'}</dd>
    </dl>
  );
}
