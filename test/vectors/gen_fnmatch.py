#!/usr/bin/env python3
"""Vectors for TUF path pattern segments as python-tuf matches them (fnmatch.fnmatch, POSIX: no case folding).

python-tuf DelegatedRole._is_target_in_pathpattern splits pattern and target on "/" and fnmatch-es each
segment pair. Every pattern of up to 4 characters over PATTERN_CHARS against every name of up to 2 over
NAME_CHARS: one bit per pair, pattern-major, base64. Run: python3 test/vectors/gen_fnmatch.py > test/vectors/fnmatch.json
"""
import base64
import fnmatch
import itertools
import json
import sys

PATTERN_CHARS = ['a', '*', '?', '[', ']', '!', '-']
NAME_CHARS = ['a', 'b', '-', ']', '[', '!', '.']


def words(chars, longest):
    out = ['']
    for n in range(1, longest + 1):
        out += [''.join(w) for w in itertools.product(chars, repeat=n)]
    return out


patterns = words(PATTERN_CHARS, 4)
names = words(NAME_CHARS, 2)
bits = bytearray((len(patterns) * len(names) + 7) // 8)
k = 0
for p in patterns:
    for n in names:
        # fnmatchcase: fnmatch without os.path.normcase, which is the identity on POSIX.
        if fnmatch.fnmatchcase(n, p):
            bits[k >> 3] |= 1 << (k & 7)
        k += 1
extra = [[p, n, fnmatch.fnmatchcase(n, p)] for p, n in [
    ('[a-c]', 'b'), ('[c-a]', 'b'), ('[!c-a]', 'b'), ('x[--0]', 'x.'), ('[a-c-e]', '-'), ('[a-c-e]', 'd'),
    ('[é]', 'é'), ('[!é]', 'e'), ('v[0-9].tar.gz', 'v7.tar.gz'), ('v[0-9].tar.gz', 'v[0-9].tar.gz'), ('*[!~]', 'file~'),
    ('?', '日'), ('[日本]', '本'), ('[[a]', '['), ('[a[]', '['), ('x[]]', 'x]'), ('[]-a]', '^'), ('[!]', '[!]'), ('[]', '[]'),
]]
json.dump({'generator': 'test/vectors/gen_fnmatch.py', 'python': sys.version.split()[0], 'patternChars': PATTERN_CHARS, 'nameChars': NAME_CHARS,
           'longestPattern': 4, 'longestName': 2, 'bits': base64.b64encode(bytes(bits)).decode('ascii'), 'extra': extra}, sys.stdout, ensure_ascii=False, indent=1)
sys.stdout.write('\n')
