import { useId, type ReactNode } from 'react';
import type { Refusal } from '../lib/api';
import { explainCode, plainMessage } from '../lib/format';
import { useReveal } from '../lib/reveal';

interface Props {
  refusal: Refusal;
  opened?: string;
  /** The heading; `Refused: <opened>` by default. */
  title?: string;
  /** The closing reassurance; `Nothing was written or changed.` by default, none when null. */
  reassure?: string | null;
  /** Heading level: 2 on a screen, 3 inside a card. */
  level?: 2 | 3;
  /** Actions (e.g. "Try again"). */
  children?: ReactNode;
  /** Scroll into view and focus the heading when it appears (an outcome of an action); true by default. */
  reveal?: boolean;
}

/**
 * The input was refused: it could not be read at all. Code, the core's message and where, in large
 * type, and the reassurance that nothing was changed.
 */
export function RefusalPanel({ refusal, opened, title, reassure = 'Nothing was written or changed.', level = 2, children, reveal = true }: Props) {
  const explanation = explainCode(refusal.code);
  const titleId = useId();
  const Heading = level === 3 ? 'h3' : 'h2';
  const ref = useReveal<HTMLElement>(reveal && `${refusal.code}\u0000${refusal.message}\u0000${refusal.path ?? ''}`);
  return (
    <section className="refusal" role="alert" aria-labelledby={titleId} ref={ref}>
      <Heading id={titleId}>
        <span className="icon" aria-hidden="true">
          ✗
        </span>{' '}
        {title ?? `Refused${opened ? `: ${opened}` : ''}`}
      </Heading>
      {/* Plain sentences first (issue #16): what it means, then this input's detail; the code and where below. */}
      {explanation ? <p className="explain">{explanation}</p> : null}
      <p className="message">{plainMessage(refusal.message, refusal.path)}</p>
      {reassure ? <p className="reassure">{reassure}</p> : null}
      <p className="code-line">
        <span className="code-label">Error code</span> <code className="code">{refusal.code}</code>
      </p>
      {refusal.path ? (
        <p className="where">
          <span className="code-label">Where</span> <code>{refusal.path}</code>
        </p>
      ) : null}
      {children}
    </section>
  );
}
