/**
 * TUF 4.5 delegation path patterns ("paths"): shell-style, one pattern segment per target path segment.
 * The spec says no more than "shell-style wildcards"; the reference clients differ in the corners:
 *
 *   python-tuf   DelegatedRole._is_target_in_pathpattern: fnmatch.fnmatch per segment — `*`, `?`,
 *                `[seq]`, `[!seq]`, on code points; no escapes, no other syntax.
 *   tuf-js       isTargetInPathPattern: minimatch per segment — the same `*`, `?`, `[seq]`, `[!seq]`, on
 *                UTF-16 units, plus `\` escapes, `[^seq]`, POSIX classes (`[[:alpha:]]`), braces, extglobs
 *                (`+(a|b)`), a leading `!` (negation) or `#` (comment), and no wildcard or class matching
 *                a segment's leading `.` or an empty segment.
 *
 * We use this to decide whether a client will take a target from a delegated role (TUF 5.6.7.2; we refuse
 * to sign one it would ignore), so a target is covered only when BOTH clients would take it:
 * fnmatch's reading, and where minimatch could read the segment differently, no. That is: a pattern
 * segment with `\`, `{`, an extglob `(`, a leading `!` or `#`, or a class starting `^`, holding
 * `[:`/`[.`/`[=` or a reversed range (`[c-a]`) covers nothing; a target segment that is empty or starts with `.` is covered only by a
 * pattern segment that is empty or starts with a literal `.`; `?` and classes never match a character
 * outside the Basic Multilingual Plane (one code point to fnmatch, two units to minimatch).
 *
 * Matching takes at most (pattern tokens × segment characters) steps — quadratic in the worst case, never
 * exponential: the greedy wildcard match with the last `*` as the only point to come back to. A regular
 * expression backtracked exponentially (ee0e193). Both come from signed metadata within its size cap
 * (review-10: a 32,000-token segment against 64,000 characters takes ~5 s).
 */

/** One pattern token: `*`, `?`, a literal code point, or a class. */
type Token = { t: 'star' } | { t: 'any' } | { t: 'char'; c: number } | { t: 'class'; negated: boolean; ranges: number[] };

const BACKSLASH = 0x5c;

/** Code points of `s` (a lone surrogate is its own code point, as Python sees it in a str). */
function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

/**
 * fnmatch's tokens for one segment (CPython fnmatch._translate), or undefined when minimatch could read
 * the segment differently (see the file comment).
 */
function tokenize(segment: string): Token[] | undefined {
  if (segment.startsWith('!') || segment.startsWith('#')) return undefined;
  const p = codePoints(segment);
  const out: Token[] = [];
  let i = 0;
  while (i < p.length) {
    const c = p[i++]!;
    if (c === BACKSLASH || c === 0x7b /* { */) return undefined;
    if (c === 0x28 /* ( */ && i >= 2 && '!@+?*'.includes(String.fromCodePoint(p[i - 2]!))) return undefined;
    if (c === 0x2a) {
      if (out.length === 0 || out[out.length - 1]!.t !== 'star') out.push({ t: 'star' });
    } else if (c === 0x3f) out.push({ t: 'any' });
    else if (c === 0x5b /* [ */) {
      // fnmatch: `[`, optional `!`, optional `]` taken as a member, then up to the next `]`; none: a literal `[`.
      let j = i;
      if (j < p.length && p[j] === 0x21) j++;
      if (j < p.length && p[j] === 0x5d) j++;
      while (j < p.length && p[j] !== 0x5d) j++;
      if (j >= p.length) {
        out.push({ t: 'char', c });
        continue;
      }
      let k = i;
      const negated = p[k] === 0x21;
      if (negated) k++;
      // minimatch reads `[^…]` as negated and `[[:alpha:]]` as a class name; fnmatch reads both literally.
      if (p[k] === 0x5e) return undefined;
      for (let m = k; m + 1 < j; m++) if (p[m] === 0x5b && (p[m + 1] === 0x3a || p[m + 1] === 0x2e || p[m + 1] === 0x3d)) return undefined;
      const ranges: number[] = [];
      while (k < j) {
        // `x-y` is a range when a character follows the `-` inside the class; a reversed one is empty.
        if (k + 2 < j && p[k + 1] === 0x2d) {
          // fnmatch drops a reversed range (`[c-a]`: nothing, `[!c-a]`: anything); minimatch does not.
          if (p[k]! > p[k + 2]!) return undefined;
          ranges.push(p[k]!, p[k + 2]!);
          k += 3;
        } else {
          ranges.push(p[k]!, p[k]!);
          k++;
        }
      }
      out.push({ t: 'class', negated, ranges });
      i = j + 1;
    } else out.push({ t: 'char', c });
  }
  return out;
}

function tokenMatches(tok: Token, c: number): boolean {
  switch (tok.t) {
    case 'char':
      return tok.c === c;
    case 'any':
      return c <= 0xffff;
    case 'class': {
      if (c > 0xffff) return false;
      let inside = false;
      for (let r = 0; r < tok.ranges.length && !inside; r += 2) inside = c >= tok.ranges[r]! && c <= tok.ranges[r + 1]!;
      return inside !== tok.negated;
    }
    default:
      return false;
  }
}

/** One pattern segment against one target segment, as both reference clients would match it (file comment). */
export function segmentMatches(pattern: string, segment: string): boolean {
  // minimatch: no wildcard or class matches an empty segment or a leading `.`; a literal must.
  if ((segment === '' || segment.startsWith('.')) && !(pattern === segment || pattern.startsWith('.'))) return false;
  if ((segment === '.' || segment === '..') && pattern !== segment) return false;
  const tokens = tokenize(pattern);
  if (tokens === undefined) return false;
  const s = codePoints(segment);
  let pi = 0;
  let si = 0;
  let star = -1; // where the last `*` seen is among the tokens
  let mark = 0; // where in the segment that `*`'s run ends so far
  while (si < s.length) {
    const tok = pi < tokens.length ? tokens[pi]! : undefined;
    if (tok?.t === 'star') {
      star = pi++;
      mark = si;
    } else if (tok !== undefined && tokenMatches(tok, s[si]!)) {
      pi++;
      si++;
    } else if (star >= 0) {
      // Let the last `*` take one more character, and match the rest of the pattern from there.
      pi = star + 1;
      si = ++mark;
    } else return false;
  }
  while (pi < tokens.length && tokens[pi]!.t === 'star') pi++;
  return pi === tokens.length;
}

/**
 * Whether python-tuf and tuf-js read every segment of `pattern` alike (the syntax test of segmentMatches):
 * a pattern we write into a delegation should not mean one thing to one client and another to the other.
 */
export function isPortablePattern(pattern: string): boolean {
  return pattern.split('/').every((seg) => tokenize(seg) !== undefined);
}

/** A whole pattern against a whole target path: as many segments, each matching (both clients split on `/`). */
export function pathPatternMatches(pattern: string, target: string): boolean {
  const p = pattern.split('/');
  const t = target.split('/');
  if (p.length !== t.length) return false;
  return p.every((seg, i) => segmentMatches(seg, t[i]!));
}
