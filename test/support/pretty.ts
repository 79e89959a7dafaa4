/** Pretty-printed repositories as python-tuf writes them (issue #18). */
import { sortedDeep } from '../../bench/generate.js';
import { buildRepo, FAR, metaEntry, metaKey, parseBytes, type BuiltRepo } from './repo.js';

/** A metadata file pretty-printed as python's json.dumps(indent=1, sort_keys=True) writes it (ASCII input: the same bytes as ensure_ascii), then `edit`ed as text. */
export function prettyOf(bytes: Uint8Array, edit: (text: string) => string = (text) => text): Uint8Array {
  return new TextEncoder().encode(edit(JSON.stringify(sortedDeep(parseBytes(bytes)), null, 1)));
}

/**
 * A TUF repository whose targets and delegated targets files are pretty-printed, `edit` applied to
 * targets (which may leave it no JSON at all), and snapshot and timestamp relinked to those bytes.
 */
export async function prettyRepo(edit?: (text: string) => string): Promise<BuiltRepo> {
  const r = await buildRepo('tuf');
  const targets = prettyOf(r.targets, edit);
  const delegated = prettyOf(r.delegated);
  const meta = { [metaKey('tuf', 'targets')]: metaEntry('tuf', targets, 1), [metaKey('tuf', r.delegationName)]: metaEntry('tuf', delegated, 1) };
  await r.relink({ delegated, snapshotSigned: { _type: 'snapshot', spec_version: '1.0.31', version: 1, expires: FAR, meta } });
  r.targets = targets;
  return r;
}
