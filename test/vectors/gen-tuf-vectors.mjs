#!/usr/bin/env node
// Generates the committed cross-implementation vectors (run once, by hand, from the repository root):
//
//   node test/vectors/gen-tuf-vectors.mjs            canonical-tuf.json, canonical-notary.json, keys-tuf.json
//
// TUF canonical JSON comes from BOTH peers: @tufjs/canonical-json (tuf-js, the client we must satisfy)
// and python securesystemslib.formats.encode_canonical (python-tuf's signer), through
// gen_securesystemslib.py under Debian's /usr/bin/python3. Each vector records what each produced;
// where they disagree both are kept. Notary vectors are derived from the rules of docker/go
// canonical/json (Notary 0.7), written out below; real notary-made fixtures live elsewhere.
// Key IDs and signatures come from securesystemslib (gen_securesystemslib.py keys): random keys, so
// re-running replaces them.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { canonicalize } = require('@tufjs/canonical-json');
const tufjsVersion = require('@tufjs/canonical-json/package.json').version;
const PYTHON = '/usr/bin/python3';

// Inputs as JSON text: both peers parse exactly this text (values such as 1e21 or "__proto__" would not
// survive a round trip through JS object literals).
const INPUTS = [
  ['empty object', '{}'],
  ['empty array', '[]'],
  ['scalars', '[0,1,-1,9007199254740991,-9007199254740991,true,false,null,""]'],
  ['ASCII key order (upper before lower, prefixes first)', '{"b":1,"a":2,"B":3,"A":4,"_":5,"aa":6,"":7,"a b":8,"a0":9}'],
  ['nested objects and arrays', '{"z":{"y":[{"b":1,"a":[]},{},[[]]],"x":null},"a":{"c":{"b":{"a":1}}}}'],
  ['escapes: quote and backslash', '{"q":"say \\"hi\\"","bs":"C:\\\\path\\\\","both":"\\\\\\""}'],
  ['control characters stay raw', '{"ctl":"\\u0000\\u0001\\b\\t\\n\\f\\r\\u001f\\u007f"}'],
  ['keys with escapes', '{"a\\"b":1,"a\\\\b":2,"a\\nb":3,"a/b":4}'],
  ['solidus is not escaped', '{"path":"a/b/c","esc":"\\/"}'],
  ['unicode values', '{"bmp":"caf\\u00e9 \\u00c4\\u00d6\\u00dc \\u00df \\u65e5\\u672c\\u8a9e","astral":"\\ud83d\\ude00 \\ud834\\udd1e \\udbff\\udfff","nbsp":"\\u00a0","bom":"\\ufeff","combining":"e\\u0301","rtl":"\\u05e9\\u05dc\\u05d5\\u05dd"}'],
  ['HTML characters and U+2028/U+2029', '{"html":"<script>a && b</script>","ls":"a\\u2028b\\u2029c"}'],
  ['keys: U+E000 vs U+1F600 (UTF-16 and code-point order differ)', '{"\\ue000":1,"\\ud83d\\ude00":2}'],
  ['keys: U+FFFF vs U+10000', '{"\\uffff":"last BMP","\\ud800\\udc00":"first astral"}'],
  ['keys: realistic target paths (fullwidth, emoji, accented)', '{"\\uff46\\uff55\\uff4c\\uff4c.txt":{"length":1},"\\ud83d\\ude00.txt":{"length":2},"z.txt":{"length":3},"\\u00e9.txt":{"length":4}}'],
  ['keys: U+D7FF, CJK compatibility, ligature vs astral', '{"\\uf900":1,"\\ud840\\udc00":2,"\\ufb01":3,"\\ud834\\udd1e":4,"\\ud7ff":5}'],
  ['keys: all astral', '{"\\ud83d\\ude01":1,"\\ud83d\\ude00":2,"\\ud834\\udd1e":3}'],
  ['keys: BMP non-ASCII only', '{"\\u00e9":1,"e":2,"z":3,"\\u00e4":4,"\\u03a9":5,"\\u65e5":6}'],
  ['keys: order difference nested in targets', '{"signed":{"targets":{"\\uff41":{"length":1},"\\ud83d\\udce6":{"length":2}}}}'],
  ['keys: __proto__ and constructor', '{"__proto__":1,"constructor":2,"toString":3}'],
  ['mixed array', '[1,"a",[],{},null,true,{"b":[2,{"a":3}]}]'],
  ['large safe integers', '{"max":9007199254740991,"min":-9007199254740991,"zero":0,"length":123456789012}'],
  ['integer beyond 2^53 (JS reads it as 1e21)', '{"n":1000000000000000000000}'],
  ['float', '{"f":1.5}'],
  ['lone surrogate', '{"s":"\\ud800"}'],
];

// What getProfile('tuf') must do where the peers disagree (the lead's decision, src/json/canonical.ts):
// key order follows securesystemslib (code points; go-tuf and Notary agree), not tuf-js (UTF-16 units);
// values no peer pair encodes alike are refused — the number by canonical(), the lone surrogate already
// by parseJsonStrict (canonical() only ever sees parsed values).
const TUF_PROFILE_DECISION = {
  'integer beyond 2^53 (JS reads it as 1e21)': 'refuse',
  'lone surrogate': 'refuse-at-parse',
};
const tufDecision = (name, agree) => TUF_PROFILE_DECISION[name] ?? (agree ? 'peers' : 'securesystemslib');

const hex = (bytes) => Buffer.from(bytes).toString('hex');

function tufjs(text) {
  try {
    return { utf8Hex: hex(Buffer.from(canonicalize(JSON.parse(text)))) };
  } catch (err) {
    return { error: `${err.name}: ${err.message}` };
  }
}

function securesystemslib(texts) {
  const input = `[${texts.join(',')}]`;
  const out = execFileSync(PYTHON, [join(here, 'gen_securesystemslib.py'), 'canonical'], { input });
  return JSON.parse(out.toString('utf8'));
}

// ---- Notary / docker/go canonical/json rules (Notary 0.7 vendors docker/go) ---------------------------
// Signatures: the verifier decodes `signed` into map[string]interface{} and re-encodes it with
// json.MarshalCanonical (notary tuf/signed/verify.go). In canonical mode encodeState.string escapes only
// `"` and `\`; every other byte (control characters, <, >, &, U+2028/U+2029) is written raw. Map keys
// sort by Go string comparison: bytewise UTF-8, which is code-point order. Numbers decode to float64 and
// are written with strconv.AppendInt(int64(f)) when whole, else refused.
// File bytes: the envelope is json.Marshal of data.Signed whose `signed` is a *json.RawMessage, copied
// by compact(…, escape=true): <, >, & become \u003c, \u003e, \u0026 and U+2028/U+2029 become \u2028,
// \u2029; compact's scanner refuses a raw control character inside a string, so Go cannot write one.
// A lone surrogate cannot reach Go from JSON: its decoder turns "\ud800" into U+FFFD.
const enc = new TextEncoder();
const utf8Compare = (a, b) => Buffer.compare(Buffer.from(enc.encode(a)), Buffer.from(enc.encode(b)));

function goCanonical(value) {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error('UnsupportedValueError: floating point number');
    if (!Number.isSafeInteger(value)) throw new Error('not representable: Go decodes to float64 and int64(f) is not this integer for JSON peers');
    return String(value);
  }
  if (typeof value === 'string') return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  if (Array.isArray(value)) return `[${value.map(goCanonical).join(',')}]`;
  const keys = Object.keys(value).sort(utf8Compare);
  return `{${keys.map((k) => `${goCanonical(k)}:${goCanonical(value[k])}`).join(',')}}`;
}

function goFileForm(canonicalText) {
  // Control characters are only ever inside strings in canonical output.
  if (/[\u0000-\u001f]/.test(canonicalText)) throw new Error('json: invalid character in string literal (compact refuses raw control characters)');
  return canonicalText.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function notary(text) {
  const value = JSON.parse(text);
  let signature;
  try {
    // TextEncoder turns a lone surrogate into U+FFFD, as Go's decoder does.
    signature = { utf8Hex: hex(enc.encode(goCanonical(value))) };
  } catch (err) {
    return { signature: { error: err.message }, file: { error: 'no signature form' } };
  }
  let file;
  try {
    file = { utf8Hex: hex(enc.encode(goFileForm(new TextDecoder().decode(Buffer.from(signature.utf8Hex, 'hex'))))) };
  } catch (err) {
    file = { error: err.message };
  }
  return { signature, file };
}

// Readable, ASCII-only JSON files: non-ASCII written as \u escapes.
function writeJson(name, data) {
  const text = JSON.stringify(data, null, 2).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  writeFileSync(join(here, name), `${text}\n`);
}

const pyVersion = execFileSync(PYTHON, ['-c', 'import securesystemslib, sys; print(securesystemslib.__version__, sys.version.split()[0])']).toString().trim().split(' ');
const py = securesystemslib(INPUTS.map(([, text]) => text));
const decode = (h) => new TextDecoder().decode(Buffer.from(h, 'hex'));

const tufVectors = INPUTS.map(([name, text], i) => {
  const a = tufjs(text);
  const b = py[i];
  const agree = JSON.stringify(a.utf8Hex ?? null) === JSON.stringify(b.utf8Hex ?? null) && Boolean(a.error) === Boolean(b.error);
  const v = { name, inputJson: text, peersAgree: agree, tufProfile: tufDecision(name, agree), tufjs: a, securesystemslib: b };
  if (agree && a.utf8Hex) v.expectedText = decode(a.utf8Hex);
  return v;
});

writeJson('canonical-tuf.json', {
  description:
    'Canonical JSON vectors for the TUF profile. inputJson is parsed with JSON.parse by the test (and by json.loads for securesystemslib). utf8Hex is the exact output bytes. tufProfile: "peers" = both peers agree and ours must match; "securesystemslib" = the peers disagree (tuf-js sorts keys by UTF-16 code unit, securesystemslib by code point) and ours follows securesystemslib; "refuse" = canonical() must throw; "refuse-at-parse" = parseJsonStrict must refuse the input.',
  producedBy: {
    tufjs: `@tufjs/canonical-json ${tufjsVersion}: Buffer.from(canonicalize(JSON.parse(inputJson)))`,
    securesystemslib: `securesystemslib ${pyVersion[0]} (Debian python3-securesystemslib), Python ${pyVersion[1]}: formats.encode_canonical(json.loads(inputJson)).encode("utf-8")`,
    generator: 'test/vectors/gen-tuf-vectors.mjs + test/vectors/gen_securesystemslib.py',
  },
  vectors: tufVectors,
});

const notaryVectors = INPUTS.map(([name, text], i) => {
  const n = notary(text);
  const tufRef = tufVectors[i].peersAgree ? tufVectors[i].tufjs.utf8Hex : tufVectors[i].securesystemslib.utf8Hex;
  const v = { name, inputJson: text, signature: n.signature, file: n.file, signatureDiffersFromTuf: n.signature.utf8Hex !== tufRef };
  if (n.signature.utf8Hex) v.signatureText = decode(n.signature.utf8Hex);
  if (n.file.utf8Hex && n.file.utf8Hex !== n.signature.utf8Hex) v.fileText = decode(n.file.utf8Hex);
  return v;
});

writeJson('canonical-notary.json', {
  description:
    'Canonical JSON vectors for the Notary profile, derived from the rules of docker/go canonical/json as Notary 0.7 uses it (not produced by notary itself; see gen-tuf-vectors.mjs for the rules and their sources). signature: the bytes Notary signs and verifies (json.MarshalCanonical of the decoded map). file: the bytes of the `signed` member in the file Notary writes (RawMessage compacted with HTML escaping).',
  producedBy: {
    rules: 'docker/go canonical/json encode.go (MarshalCanonical, encodeState.string canonical mode) and indent.go compact(escape=true); notary tuf/signed/verify.go',
    generator: 'test/vectors/gen-tuf-vectors.mjs',
    confirmedWithNotary:
      'Debian notary 0.7.0+ds1-2 against notary-server on loopback: a target named "a\\u2028b<&>\\ud83d\\ude00\\ue000" — the targets signature verifies over the raw form (U+2028, <, & unescaped) and not over the escaped forms, the file holds \\u2028 \\u003c \\u0026 \\u003e; targets "\\ue000x" and "\\ud83d\\ude00x" are written in code-point order (U+E000 first); a target name holding U+0001 makes notary publish fail ("invalid character \'\\x01\' in string literal").',
  },
  vectors: notaryVectors,
});

const keys = JSON.parse(execFileSync(PYTHON, [join(here, 'gen_securesystemslib.py'), 'keys']).toString('utf8'));
writeJson('keys-tuf.json', {
  description:
    'TUF 1.0 key IDs and signatures made by python securesystemslib. keyId = sha256(encode_canonical(listed)); legacyKeyId = securesystemslib keys._get_keyid (hashes keyid_hash_algorithms too, = the ID in its key dicts). Signatures are over message.utf8Hex.',
  ...keys,
});

for (const v of tufVectors.filter((x) => !x.peersAgree)) console.log(`peers disagree: ${v.name}`);
console.log('wrote canonical-tuf.json, canonical-notary.json, keys-tuf.json');
