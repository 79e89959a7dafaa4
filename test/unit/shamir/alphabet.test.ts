import { describe, expect, it } from 'vitest';
import { ALPHABET, bytesToSymbols, encodeBase32, encodedLength, GF32, groupCheck, symbolsToBytes, symbolValue } from '../../../src/shamir/alphabet.js';

describe('Crockford alphabet', () => {
  it('has 32 symbols without I, L, O, U', () => {
    expect(new Set(ALPHABET).size).toBe(32);
    for (const c of 'ILOU') expect(ALPHABET).not.toContain(c);
  });

  it('reads case-insensitively, with O → 0 and I, L → 1, and refuses U and punctuation', () => {
    for (let i = 0; i < 32; i++) {
      expect(symbolValue(ALPHABET[i]!)).toBe(i);
      expect(symbolValue(ALPHABET[i]!.toLowerCase())).toBe(i);
    }
    expect([symbolValue('O'), symbolValue('o')]).toEqual([0, 0]);
    expect(['I', 'i', 'L', 'l'].map(symbolValue)).toEqual([1, 1, 1, 1]);
    for (const c of ['U', 'u', '*', '=', ' ', '-', 'é', '']) expect(symbolValue(c)).toBe(-1);
  });

  it('round-trips bytes of every length, and refuses set padding bits or a wrong count', () => {
    for (let n = 1; n <= 50; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const s = bytesToSymbols(bytes);
      expect(s.length).toBe(encodedLength(n));
      expect(symbolsToBytes(s, n)).toEqual(bytes);
      const padBits = s.length * 5 - n * 8;
      if (padBits > 0) {
        const bad = Uint8Array.from(s);
        bad[bad.length - 1]! |= 1;
        expect(symbolsToBytes(bad, n)).toBeUndefined();
      }
      expect(symbolsToBytes(s.subarray(1), n)).toBeUndefined();
    }
    // RFC 4648 bit order with the Crockford alphabet.
    expect(encodeBase32(new TextEncoder().encode('foobar'))).toBe('CSQPYRK1E8');
  });
});

describe('group check over GF(32)', () => {
  it('α = x generates GF(32)* (order 31) and multiplication is a field multiplication', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 31; i++) seen.add(GF32.exp(i));
    expect(seen.size).toBe(31);
    expect(seen.has(0)).toBe(false);
    for (let a = 1; a < 32; a++) {
      const inverses = [...Array(32).keys()].filter((b) => GF32.mul(a, b) === 1);
      expect(inverses).toHaveLength(1);
    }
  });

  // Every group size the cards use (4, and the short last groups 1–3), every global group number.
  const sizes = [1, 2, 3, 4];
  it('catches every single substitution, in data and check characters, for every group number', () => {
    let cases = 0;
    for (const k of sizes) {
      for (let g = 0; g < 31; g++) {
        const data = Uint8Array.from({ length: k }, (_, i) => (g * 7 + i * 11 + k) % 32);
        const check = groupCheck(data, 0, k, g);
        for (let pos = 0; pos <= k; pos++) {
          for (let v = 0; v < 32; v++) {
            const d = Uint8Array.from(data);
            let c = check;
            if (pos < k) {
              if (v === d[pos]) continue;
              d[pos] = v;
            } else {
              if (v === c) continue;
              c = v;
            }
            expect(groupCheck(d, 0, k, g)).not.toBe(c);
            cases++;
          }
        }
      }
    }
    expect(cases).toBe(31 * 31 * (2 + 3 + 4 + 5));
  });

  it('catches every adjacent transposition of two different characters, the check character included', () => {
    let missed = 0;
    let cases = 0;
    for (const k of sizes) {
      for (let g = 0; g < 31; g++) {
        for (let a = 0; a < 32; a++) {
          for (let b = 0; b < 32; b++) {
            if (a === b) continue;
            for (let pos = 0; pos < k; pos++) {
              // The group as typed: data then check; swap positions pos and pos + 1.
              const data = Uint8Array.from({ length: k }, (_, i) => (i === pos ? a : i === pos + 1 ? b : (i * 5 + g) % 32));
              const typed = [...data, groupCheck(data, 0, k, g)];
              if (typed[pos] === typed[pos + 1]) continue;
              [typed[pos], typed[pos + 1]] = [typed[pos + 1]!, typed[pos]!];
              cases++;
              if (groupCheck(Uint8Array.from(typed.slice(0, k)), 0, k, g) === typed[k]) missed++;
            }
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(300_000);
    expect(missed).toBe(0);
  });

  it('catches two whole groups swapped (the check depends on the group number)', () => {
    for (let g = 0; g < 31; g++) {
      for (let h = 0; h < 31; h++) {
        if (g === h) continue;
        const data = Uint8Array.of(3, 14, 15, 9);
        expect(groupCheck(data, 0, 4, h)).not.toBe(groupCheck(data, 0, 4, g));
      }
    }
    expect(() => groupCheck(new Uint8Array(4), 0, 4, 31)).toThrow(RangeError);
  });
});
