/** TUF 4.2 `expires` (and Notary's RFC 3339): real dates are read as written, impossible ones refused (DATE_INVALID). */
import { describe, expect, it } from 'vitest';
import { parseExpires } from '../../../src/tuf/dates.js';
import { refusal } from '../../support/refusal.js';

describe('parseExpires', () => {
  // Years 0–99 were read by Date.UTC as 1900–1999, so every date in them was refused as one that does not exist.
  it.each([
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['0050-06-01T12:30:15Z', '0050-06-01T12:30:15.000Z'],
    ['0004-02-29T00:00:00Z', '0004-02-29T00:00:00.000Z'],
    ['0099-12-31T23:59:59Z', '0099-12-31T23:59:59.000Z'],
    ['2030-01-01T00:00:00Z', '2030-01-01T00:00:00.000Z'],
  ])('%s is that instant in both profiles', (text, iso) => {
    expect(parseExpires('tuf', text, '$.expires').toISOString()).toBe(iso);
    expect(parseExpires('notary', text, '$.expires').toISOString()).toBe(iso);
  });

  it.each(['2030-02-31T00:00:00Z', '0100-02-29T00:00:00Z', '0003-02-29T00:00:00Z', '2030-13-01T00:00:00Z', '2030-01-01T24:00:00Z', '2030-01-01T00:60:00Z', '2030-01-01T00:00:60Z'])('%s does not exist → DATE_INVALID', (text) => {
    for (const profile of ['tuf', 'notary'] as const) {
      const err = refusal(() => parseExpires(profile, text, '$.expires'));
      expect([err.code, err.path]).toEqual(['DATE_INVALID', '$.expires']);
    }
  });
});
