/**
 * The share copies handed to the library, and the secret it returns, are zeroed: observed by wrapping
 * the library's `combine` (the only place those buffers are visible from outside).
 */
import { describe, expect, it, vi } from 'vitest';

const seen = vi.hoisted(() => ({ inputs: [] as Uint8Array[][], outputs: [] as Uint8Array[] }));

vi.mock('shamir-secret-sharing', async (importOriginal) => {
  const real = await importOriginal<typeof import('shamir-secret-sharing')>();
  return {
    ...real,
    combine: async (shares: Uint8Array[]) => {
      seen.inputs.push(shares);
      const out = await real.combine(shares);
      seen.outputs.push(out);
      return out;
    },
  };
});

const { splitKey } = await import('../../../src/shamir/split.js');
const { withReconstructedKey } = await import('../../../src/shamir/combine.js');
const { makeShareCard } = await import('../../../src/shamir/card.js');

const SEED = Uint8Array.from(Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'));
const zero = (b: Uint8Array) => b.every((x) => x === 0);

describe('intermediate buffers', () => {
  it('split: the self-check copies and results are zeroed; the caller’s secret is untouched', async () => {
    seen.inputs.length = 0;
    seen.outputs.length = 0;
    const secret = Uint8Array.from(SEED);
    await splitKey('ed25519', secret, { threshold: 2, shares: 3 });
    expect(secret).toEqual(SEED);
    expect(seen.inputs.length).toBeGreaterThan(0);
    for (const shares of seen.inputs) for (const s of shares) expect(zero(s)).toBe(true);
    for (const out of seen.outputs) expect(zero(out)).toBe(true);
  });

  it('withReconstructedKey: share copies and the secret are zeroed on success and on refusal', async () => {
    const { cards } = await splitKey('ed25519', Uint8Array.from(SEED), { threshold: 2, shares: 3 });
    seen.inputs.length = 0;
    seen.outputs.length = 0;
    await withReconstructedKey(cards.slice(0, 2), () => 'done');
    // A forged card: the combine happens, the fingerprint check refuses.
    const share = Uint8Array.from(cards[2]!.share);
    share[0]! ^= 1;
    const forged = makeShareCard({ ...cards[2]!, share });
    await expect(withReconstructedKey([cards[0]!, forged], () => 'never')).rejects.toMatchObject({ code: 'SHARE_KEY_MISMATCH' });
    expect(seen.inputs).toHaveLength(2);
    for (const shares of seen.inputs) {
      expect(shares).toHaveLength(2);
      for (const s of shares) expect(zero(s)).toBe(true);
    }
    for (const out of seen.outputs) expect(zero(out)).toBe(true);
    // The caller's cards are the caller's: not wiped by combining.
    expect(zero(cards[0]!.share)).toBe(false);
  });
});
