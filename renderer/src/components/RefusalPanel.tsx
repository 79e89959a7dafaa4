import type { Refusal } from '../lib/api';
import { explainCode, messageWithoutPath } from '../lib/format';

/**
 * The input was refused: it could not be read at all. Code, the core's message and where, in large
 * type, and the reassurance that nothing was changed.
 */
export function RefusalPanel({ refusal, opened }: { refusal: Refusal; opened?: string }) {
  const explanation = explainCode(refusal.code);
  return (
    <section className="refusal" role="alert" aria-labelledby="refusal-title">
      <h2 id="refusal-title">
        <span className="icon" aria-hidden="true">
          ✗
        </span>{' '}
        Refused{opened ? `: ${opened}` : ''}
      </h2>
      <p className="code-line">
        <span className="code-label">Error code</span> <code className="code">{refusal.code}</code>
      </p>
      <p className="message">{messageWithoutPath(refusal.message, refusal.path)}</p>
      {refusal.path ? (
        <p className="where">
          <span className="code-label">Where</span> <code>{refusal.path}</code>
        </p>
      ) : null}
      {explanation ? <p className="explain">{explanation}</p> : null}
      <p className="reassure">Nothing was written or changed.</p>
    </section>
  );
}
