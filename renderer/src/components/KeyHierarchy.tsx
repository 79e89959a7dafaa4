/**
 * The key hierarchy as a diagram: the repository at the top, the roles root delegates to, and under
 * targets its delegations (nested as deep as they go). Each role shows its threshold ("2 of 3"),
 * version, expiry, and every key with who signed and who is missing.
 *
 * Drawn as nested lists with CSS connectors, so it is real text: screen readers walk it as a list,
 * people can select and read key IDs aloud, and it scales with the type size.
 */
import { Fragment, useId } from 'react';
import type { Inspection, KeyView, RoleView } from '../../../electron/shared/api-types.js';
import { expiresSoon, formatDate, groupedFingerprint, relativeTo, shortFingerprint, shortKeyId } from '../lib/format';

const TOP_ORDER = ['root', 'targets', 'snapshot', 'timestamp'];

/** What each role is for, in a few words, beside its name. */
function kindLabel(role: RoleView): string {
  switch (role.kind) {
    case 'root':
      return 'root of trust: names every top-level key';
    case 'targets':
      return 'signs what may be installed';
    case 'snapshot':
      return 'fixes the versions of all metadata';
    case 'timestamp':
      return 'vouches for freshness';
    default:
      return `delegated by ${role.delegatedBy}`;
  }
}

type SignState = 'signed' | 'missing' | 'unchecked' | 'absent';

function signState(role: RoleView, keyId: string): SignState {
  if (role.signedBy?.includes(keyId)) return 'signed';
  if (role.missing?.includes(keyId)) return 'missing';
  return role.version === undefined ? 'absent' : 'unchecked';
}

const SIGN_TEXT: Record<SignState, { icon: string; text: string }> = {
  signed: { icon: '✓', text: 'Signed' },
  missing: { icon: '✗', text: 'Missing' },
  unchecked: { icon: '–', text: 'Not checked' },
  absent: { icon: '–', text: 'No file' },
};

interface Tree {
  top: RoleView[];
  children: Map<string, RoleView[]>;
}

function buildTree(roles: RoleView[]): Tree {
  const names = new Set(roles.map((r) => r.name));
  const children = new Map<string, RoleView[]>();
  const top: RoleView[] = [];
  for (const role of roles) {
    // Top-level roles, and any delegation whose delegating role is not shown, hang from the repository.
    if (role.kind !== 'delegation' || !names.has(role.delegatedBy) || role.delegatedBy === role.name) {
      top.push(role);
      continue;
    }
    const list = children.get(role.delegatedBy) ?? [];
    list.push(role);
    children.set(role.delegatedBy, list);
  }
  const rank = (r: RoleView) => {
    const i = TOP_ORDER.indexOf(r.kind === 'delegation' ? '' : r.name);
    return i === -1 ? TOP_ORDER.length : i;
  };
  top.sort((a, b) => rank(a) - rank(b));
  return { top, children };
}

function SignatureSummary({ role }: { role: RoleView }) {
  if (role.version === undefined) {
    return <span className="sig-summary sig-absent">File not included: signatures not checked</span>;
  }
  if (role.signaturesNotChecked) {
    return <span className="sig-summary sig-absent">Signatures not checked: {role.signaturesNotChecked}</span>;
  }
  if (role.thresholdMet === undefined) {
    return <span className="sig-summary sig-absent">Not checked (see problems)</span>;
  }
  const n = role.signedBy?.length ?? 0;
  const valid = `${n} valid signature${n === 1 ? '' : 's'}, ${role.threshold} required`;
  return role.thresholdMet ? (
    <span className="sig-summary sig-ok">
      <span aria-hidden="true">✓ </span>Threshold met: {valid}
    </span>
  ) : (
    <span className="sig-summary sig-bad">
      <span aria-hidden="true">✗ </span>Threshold NOT met: {valid}
    </span>
  );
}

function Expiry({ role, now }: { role: RoleView; now: Date }) {
  if (!role.expires) return <>not included</>;
  const rel = relativeTo(role.expires, now);
  if (role.expired) {
    return (
      <span className="expiry expired">
        <strong>EXPIRED</strong> {formatDate(role.expires)}
        {rel ? ` (${rel})` : ''}
      </span>
    );
  }
  return (
    <span className={expiresSoon(role.expires, now) ? 'expiry soon' : 'expiry'}>
      {formatDate(role.expires)}
      {rel ? ` (${rel})` : ''}
    </span>
  );
}

/** Let long names (a GUN) wrap after `/` and `.` rather than mid-word. */
function breakable(text: string) {
  return text.split(/(?<=[/.])/).map((part, i) => (
    <Fragment key={i}>
      {i > 0 ? <wbr /> : null}
      {part}
    </Fragment>
  ));
}

function pathText(p: string): string {
  // Notary's "" prefix delegates every target.
  return p === '' ? '"" (every target)' : p;
}

function KeyRow({ role, keyId, view }: { role: RoleView; keyId: string; view: KeyView | undefined }) {
  const state = signState(role, keyId);
  const { icon, text } = SIGN_TEXT[state];
  return (
    <tr className={`key key-${state}`}>
      <td className="sig">
        <span className="sig-mark" aria-hidden="true">
          {icon}
        </span>{' '}
        {text}
      </td>
      <td className="id">
        <code className="keyid" title={keyId}>
          {shortKeyId(keyId)}
        </code>
      </td>
      <td className="type">
        {view ? (
          <>
            <span className="keytype">{view.keytype}</span>
            {view.scheme && view.scheme !== view.keytype ? <span className="scheme"> {view.scheme}</span> : null}
          </>
        ) : (
          <span className="muted">not in keys table</span>
        )}
      </td>
      <td className="fp">
        {view ? (
          <code className="fingerprint" title={groupedFingerprint(view.fingerprint)}>
            {shortFingerprint(view.fingerprint)}
          </code>
        ) : (
          '—'
        )}
      </td>
      <td className="holder">
        {view?.holder ? <span className={view.holder.custodian ? 'holder-name' : 'holder-what'}>{breakable(view.holder.name)}</span> : null}
        {view?.label ? <span>CN={breakable(view.label)}</span> : null}
        {!view?.holder && !view?.label ? <span className="muted">not named (open the ceremony transcript to name holders)</span> : null}
        {view?.certificateExpires ? <span className="cert-exp">cert until {formatDate(view.certificateExpires).slice(0, 10)}</span> : null}
      </td>
    </tr>
  );
}

function RoleCard({ role, keys, now }: { role: RoleView; keys: Map<string, KeyView>; now: Date }) {
  const titleId = useId();
  const status = role.expired || role.thresholdMet === false ? 'role-bad' : role.thresholdMet ? 'role-ok' : 'role-unknown';
  return (
    <section className={`role role-${role.kind} ${status}`} aria-labelledby={titleId}>
      <header className="role-head">
        <h3 id={titleId}>
          <span className="role-name">{role.name}</span> <span className="role-kind">{kindLabel(role)}</span>
        </h3>
        {role.keyIds.length > 0 ? (
          <p className="threshold" aria-label={`threshold ${role.threshold} of ${role.keyIds.length}`}>
            <strong>
              {role.threshold} of {role.keyIds.length}
            </strong>
            <span className="threshold-note">signatures needed</span>
          </p>
        ) : (
          <p className="threshold threshold-unknown">threshold in root.json (not opened)</p>
        )}
      </header>
      <dl className="facts">
        <div>
          <dt>Version</dt>
          <dd>{role.version ?? 'not included'}</dd>
        </div>
        <div>
          <dt>Expires</dt>
          <dd>
            <Expiry role={role} now={now} />
          </dd>
        </div>
        <div className="facts-wide">
          <dt>Signatures</dt>
          <dd>
            <SignatureSummary role={role} />
          </dd>
        </div>
        {role.paths ? (
          <div className="facts-wide">
            <dt>Paths</dt>
            <dd>
              <ul className="paths">
                {role.paths.map((p) => (
                  <li key={p}>
                    <code>{pathText(p)}</code>
                  </li>
                ))}
              </ul>
              {role.terminating ? <span className="tag">terminating</span> : null}
            </dd>
          </div>
        ) : null}
        {role.targetCount !== undefined ? (
          <div>
            <dt>Targets</dt>
            <dd>{role.pathsNotChecked ? `${role.targetCount} listed (not matched against its paths: too many to check here)` : role.targetCount}</dd>
          </div>
        ) : null}
        {role.outsidePathsCount ? (
          <div>
            <dt>Outside its paths</dt>
            <dd>{role.outsidePathsCount}: never served</dd>
          </div>
        ) : null}
      </dl>
      {role.keyIds.length > 0 ? (
        <table className="keys">
          <caption className="sr-only">Keys of {role.name}</caption>
          <thead>
            <tr>
              <th scope="col">Signature</th>
              <th scope="col">Key ID</th>
              <th scope="col">Type</th>
              <th scope="col">Fingerprint</th>
              <th scope="col">Holder</th>
            </tr>
          </thead>
          <tbody>
            {role.keyIds.map((id) => (
              <KeyRow key={id} role={role} keyId={id} view={keys.get(id)} />
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function Branch({ role, tree, keys, now, seen }: { role: RoleView; tree: Tree; keys: Map<string, KeyView>; now: Date; seen: Set<string> }) {
  const kids = seen.has(role.name) ? [] : (tree.children.get(role.name) ?? []);
  const nextSeen = new Set(seen).add(role.name);
  return (
    <li>
      <RoleCard role={role} keys={keys} now={now} />
      {kids.length > 0 ? (
        <ul className="branches" aria-label={`delegated by ${role.name}`}>
          {kids.map((k) => (
            <Branch key={k.name} role={k} tree={tree} keys={keys} now={now} seen={nextSeen} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

/** `opened`: what the person opened (file or folder name), shown at the top when there is no GUN. */
export function KeyHierarchy({ inspection, now, opened }: { inspection: Inspection; now: Date; opened: string }) {
  const tree = buildTree(inspection.roles);
  const keys = new Map(inspection.keys.map((k) => [k.keyId, k]));
  const delegations = inspection.roles.filter((r) => r.kind === 'delegation').length;
  const profile = inspection.profile === 'notary' ? 'Notary v1 / Docker Content Trust' : 'TUF 1.0';
  return (
    <section className="panel hierarchy" aria-labelledby="hierarchy-title">
      <h2 id="hierarchy-title">Key hierarchy</h2>
      <p className="summary">
        {inspection.roles.length - delegations} top-level role{inspection.roles.length - delegations === 1 ? '' : 's'}, {delegations} delegation
        {delegations === 1 ? '' : 's'}, {inspection.keys.length} key{inspection.keys.length === 1 ? '' : 's'}.
      </p>
      <ul className="tree" aria-label="Key hierarchy: repository, roles, keys and delegations">
        <li>
          <div className="repo-node">
            <span className="repo-title">{inspection.repository ?? opened}</span>
            <span className="repo-meta">
              {profile}
              {inspection.rootVersion > 0 ? ` · root version ${inspection.rootVersion}` : ''}
            </span>
          </div>
          <ul className="branches" aria-label="roles delegated by root">
            {tree.top.map((r) => (
              <Branch key={r.name} role={r} tree={tree} keys={keys} now={now} seen={new Set()} />
            ))}
          </ul>
        </li>
      </ul>
    </section>
  );
}
