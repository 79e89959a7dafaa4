/**
 * Short digests read aloud: bytes as words from the PGP word list, designed by Patrick Juola and Philip
 * Zimmermann in 1995 for PGPfone (Juola & Zimmermann, "Whole-word phonetic distances and the PGPfone
 * alphabet", ICSLP 1996), and printed by PGP beside key fingerprints. Source of the data below: the two
 * 256-word tables as PGP published them (also reproduced in the Wikipedia article "PGP word list"),
 * copied from two independent transcriptions that agree word for word — the Perl module
 * Encode::Wordlist::PGP and a Go package — and checked by test/unit/audit/digest-words.test.ts (256
 * distinct words per table, the published example fingerprints, a pinned hash of both tables).
 *
 * Provenance and licence (checked 2026-11): the primary source is the PGPfone manual's appendix (MIT's
 * PGPfone distribution, web.mit.edu/network/pgpfone/manual), and PGPfone's source was published under an
 * MIT-style licence. The "GNU Free Documentation License" some copies cite is that of the Wikipedia article
 * reproducing the tables; no primary source licenses the list itself under it. On npm only an unmaintained
 * 0.0.1 package carries the list, so it is kept here as data, with its tests.
 *
 * Why this list: it was designed for reading bytes over a voice line. Bytes at even positions use
 * two-syllable words, bytes at odd positions three-syllable words, so a dropped, repeated or swapped word
 * breaks the rhythm and is heard, not just missed. Every byte value has a distinct word in each table.
 *
 * Shared by the transcript (src/audit), the Tokens screen (key fingerprints read aloud) and the
 * co-signing review (the short hash of the exact bytes to sign).
 */
import { createHash } from 'node:crypto';

function table(rows: readonly string[]): readonly string[] {
  const words = rows.join(' ').split(' ');
  if (words.length !== 256) throw new Error(`a PGP word table must hold 256 words, not ${words.length}`);
  return Object.freeze(words);
}

/** Words for bytes at even positions (0, 2, 4, …): two syllables. */
export const PGP_EVEN_WORDS: readonly string[] = table([
  'aardvark absurd accrue acme adrift adult afflict ahead', // 0x00
  'aimless Algol allow alone ammo ancient apple artist', // 0x08
  'assume Athens atlas Aztec baboon backfield backward banjo', // 0x10
  'beaming bedlamp beehive beeswax befriend Belfast berserk billiard', // 0x18
  'bison blackjack blockade blowtorch bluebird bombast bookshelf brackish', // 0x20
  'breadline breakup brickyard briefcase Burbank button buzzard cement', // 0x28
  'chairlift chatter checkup chisel choking chopper Christmas clamshell', // 0x30
  'classic classroom cleanup clockwork cobra commence concert cowbell', // 0x38
  'crackdown cranky crowfoot crucial crumpled crusade cubic dashboard', // 0x40
  'deadbolt deckhand dogsled dragnet drainage dreadful drifter dropper', // 0x48
  'drumbeat drunken Dupont dwelling eating edict egghead eightball', // 0x50
  'endorse endow enlist erase escape exceed eyeglass eyetooth', // 0x58
  'facial fallout flagpole flatfoot flytrap fracture framework freedom', // 0x60
  'frighten gazelle Geiger glitter glucose goggles goldfish gremlin', // 0x68
  'guidance hamlet highchair hockey indoors indulge inverse involve', // 0x70
  'island jawbone keyboard kickoff kiwi klaxon locale lockup', // 0x78
  'merit minnow miser Mohawk mural music necklace Neptune', // 0x80
  'newborn nightbird Oakland obtuse offload optic orca payday', // 0x88
  'peachy pheasant physique playhouse Pluto preclude prefer preshrunk', // 0x90
  'printer prowler pupil puppy python quadrant quiver quota', // 0x98
  'ragtime ratchet rebirth reform regain reindeer rematch repay', // 0xA0
  'retouch revenge reward rhythm ribcage ringbolt robust rocker', // 0xA8
  'ruffled sailboat sawdust scallion scenic scorecard Scotland seabird', // 0xB0
  'select sentence shadow shamrock showgirl skullcap skydive slingshot', // 0xB8
  'slowdown snapline snapshot snowcap snowslide solo southward soybean', // 0xC0
  'spaniel spearhead spellbind spheroid spigot spindle spyglass stagehand', // 0xC8
  'stagnate stairway standard stapler steamship sterling stockman stopwatch', // 0xD0
  'stormy sugar surmount suspense sweatband swelter tactics talon', // 0xD8
  'tapeworm tempest tiger tissue tonic topmost tracker transit', // 0xE0
  'trauma treadmill Trojan trouble tumor tunnel tycoon uncut', // 0xE8
  'unearth unwind uproot upset upshot vapor village virus', // 0xF0
  'Vulcan waffle wallet watchword wayside willow woodlark Zulu', // 0xF8
]);

/** Words for bytes at odd positions (1, 3, 5, …): three syllables. */
export const PGP_ODD_WORDS: readonly string[] = table([
  'adroitness adviser aftermath aggregate alkali almighty amulet amusement', // 0x00
  'antenna applicant Apollo armistice article asteroid Atlantic atmosphere', // 0x08
  'autopsy Babylon backwater barbecue belowground bifocals bodyguard bookseller', // 0x10
  'borderline bottomless Bradbury bravado Brazilian breakaway Burlington businessman', // 0x18
  'butterfat Camelot candidate cannonball Capricorn caravan caretaker celebrate', // 0x20
  'cellulose certify chambermaid Cherokee Chicago clergyman coherence combustion', // 0x28
  'commando company component concurrent confidence conformist congregate consensus', // 0x30
  'consulting corporate corrosion councilman crossover crucifix cumbersome customer', // 0x38
  'Dakota decadence December decimal designing detector detergent determine', // 0x40
  'dictator dinosaur direction disable disbelief disruptive distortion document', // 0x48
  'embezzle enchanting enrollment enterprise equation equipment escapade Eskimo', // 0x50
  'everyday examine existence exodus fascinate filament finicky forever', // 0x58
  'fortitude frequency gadgetry Galveston getaway glossary gossamer graduate', // 0x60
  'gravity guitarist hamburger Hamilton handiwork hazardous headwaters hemisphere', // 0x68
  'hesitate hideaway holiness hurricane hydraulic impartial impetus inception', // 0x70
  'indigo inertia infancy inferno informant insincere insurgent integrate', // 0x78
  'intention inventive Istanbul Jamaica Jupiter leprosy letterhead liberty', // 0x80
  'maritime matchmaker maverick Medusa megaton microscope microwave midsummer', // 0x88
  'millionaire miracle misnomer molasses molecule Montana monument mosquito', // 0x90
  'narrative nebula newsletter Norwegian October Ohio onlooker opulent', // 0x98
  'Orlando outfielder Pacific pandemic Pandora paperweight paragon paragraph', // 0xA0
  'paramount passenger pedigree Pegasus penetrate perceptive performance pharmacy', // 0xA8
  'phonetic photograph pioneer pocketful politeness positive potato processor', // 0xB0
  'provincial proximate puberty publisher pyramid quantity racketeer rebellion', // 0xB8
  'recipe recover repellent replica reproduce resistor responsive retraction', // 0xC0
  'retrieval retrospect revenue revival revolver sandalwood sardonic Saturday', // 0xC8
  'savagery scavenger sensation sociable souvenir specialist speculate stethoscope', // 0xD0
  'stupendous supportive surrender suspicious sympathy tambourine telephone therapist', // 0xD8
  'tobacco tolerance tomorrow torpedo tradition travesty trombonist truncated', // 0xE0
  'typewriter ultimate undaunted underfoot unicorn unify universe unravel', // 0xE8
  'upcoming vacancy vagabond vertigo Virginia visitor vocalist voyager', // 0xF0
  'warranty Waterloo whimsical Wichita Wilmington Wyoming yesteryear Yucatan', // 0xF8
]);

/** One word per byte, alternating the even and odd tables, starting with the even one. */
export function bytesToWords(bytes: Uint8Array): string[] {
  const out = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = (i % 2 === 0 ? PGP_EVEN_WORDS : PGP_ODD_WORDS)[bytes[i]!]!;
  return out;
}

const EVEN_INDEX = new Map(PGP_EVEN_WORDS.map((w, i) => [w.toLowerCase(), i]));
const ODD_INDEX = new Map(PGP_ODD_WORDS.map((w, i) => [w.toLowerCase(), i]));

export type WordsParse =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; index: number; word: string; reason: 'unknown' | 'expected-even' | 'expected-odd' };

/**
 * Words typed or read back (case-insensitive, separated by spaces, hyphens, new lines or the `·` that
 * groupWords puts between groups) to bytes. A word from the wrong table at a position is reported as
 * such: it means a word was dropped or repeated there.
 */
export function wordsToBytes(text: string | readonly string[]): WordsParse {
  const words = typeof text === 'string' ? text.split(/[\s\-·]+/).filter((w) => w.length > 0) : [...text];
  const out = new Uint8Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const key = word.toLowerCase();
    const even = EVEN_INDEX.get(key);
    const odd = ODD_INDEX.get(key);
    const want = i % 2 === 0 ? even : odd;
    if (want === undefined) {
      if (even === undefined && odd === undefined) return { ok: false, index: i, word, reason: 'unknown' };
      return { ok: false, index: i, word, reason: i % 2 === 0 ? 'expected-even' : 'expected-odd' };
    }
    out[i] = want;
  }
  return { ok: true, bytes: out };
}

/**
 * How many bytes of a SHA-256 a person compares by default: 16 bytes — 128 bits, 32 hex digits, 16 words.
 * What is compared aloud (and by `sign --expect-hash`) is a second-preimage target: whoever makes the bytes
 * to sign can try payloads offline until one's short hash matches a benign one, so its length is the
 * attacker's work. At 64 bits that was hours of CPU (measured for issue #12); at 128 bits it is out of
 * reach (2^128 hash evaluations). Still speakable: 16 words, read and shown in four groups of four
 * (groupWords), hex in groups of four digits (groupHex). The full SHA-256 is always shown and recorded
 * beside it. Transcripts written with the earlier 8-byte short hash still verify (src/audit/schema.ts
 * reads 4 to 32 bytes); `--expect-hash` refuses an 8-byte one (src/cli/sign.ts).
 */
export const SHORT_DIGEST_BYTES = 16;

/** The shortest hash a person may compare to accept bytes (`--expect-hash`, the app's confirmation). */
export const MIN_COMPARED_BYTES = 16;

export interface ShortDigest {
  /** The full SHA-256, lower-case hex. */
  sha256: string;
  /** Its first `bytes` bytes, lower-case hex. */
  hex: string;
  /** The same bytes as PGP words. */
  words: string[];
}

/** The short form of a SHA-256 digest (32 bytes, or 64 hex digits) that people compare. */
export function shortDigest(sha256: Uint8Array | string, bytes = SHORT_DIGEST_BYTES): ShortDigest {
  const full = typeof sha256 === 'string' ? hexToBytes(sha256) : sha256;
  if (full.length !== 32) throw new RangeError(`shortDigest: sha256 must be 32 bytes, not ${full.length}`);
  if (!Number.isInteger(bytes) || bytes < 4 || bytes > 32) throw new RangeError(`shortDigest: bytes must be an integer from 4 to 32, not ${bytes}`);
  const head = full.subarray(0, bytes);
  return { sha256: toHex(full), hex: toHex(head), words: bytesToWords(head) };
}

/** SHA-256 of `data`, in its short form. */
export function shortDigestOf(data: Uint8Array, bytes = SHORT_DIGEST_BYTES): ShortDigest {
  return shortDigest(new Uint8Array(createHash('sha256').update(data).digest()), bytes);
}

/** Words in groups (four by default) for reading aloud: `aardvark adroitness acme aggregate · …`. wordsToBytes reads it back. */
export function groupWords(words: readonly string[], group = 4): string {
  const out: string[] = [];
  for (let i = 0; i < words.length; i += group) out.push(words.slice(i, i + group).join(' '));
  return out.join(' · ');
}

/** Hex grouped in fours for reading (`1a2b 3c4d …`). */
export function groupHex(hex: string, group = 4): string {
  return hex.replace(new RegExp(`(.{${group}})(?=.)`, 'g'), '$1 ');
}

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function hexToBytes(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new RangeError('shortDigest: sha256 must be lower-case hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
