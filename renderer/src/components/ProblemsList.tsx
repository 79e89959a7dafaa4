import type { Inspection } from '../../../electron/shared/api-types.js';
import { explainCode, plainMessage } from '../lib/format';

/** Everything inspection found wrong, without stopping at the first problem. */
export function ProblemsList({ problems }: { problems: Inspection['problems'] }) {
  return (
    <section className="panel problems" aria-labelledby="problems-title">
      <h2 id="problems-title">
        Problems found <span className="count">({problems.length})</span>
      </h2>
      {problems.length === 0 ? (
        <p className="none">
          <span aria-hidden="true">✓ </span>No problems found.
        </p>
      ) : (
        <ol className="problem-list">
          {problems.map((p, i) => (
            <li key={`${p.code}-${i}`} className="problem">
              <code className="code">{p.code}</code>
              <p className="message">{plainMessage(p.message, p.path)}</p>
              {p.path ? (
                <p className="where">
                  <span className="code-label">Where</span> <code>{p.path}</code>
                </p>
              ) : null}
              {explainCode(p.code) ? <p className="explain">{explainCode(p.code)}</p> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
