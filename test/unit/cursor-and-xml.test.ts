import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../worker/locations/cursor';
import { urlSet } from '../../worker/sitemap/xml';

describe('pagination cursors', () => {
  it('round-trip any location id', () => {
    fc.assert(fc.property(fc.stringMatching(/^[0-9A-Za-z]{1,32}$/), (id) => {
      expect(decodeCursor(encodeCursor(id))).toBe(id);
    }));
  });

  it('reject anything else without throwing', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const id = decodeCursor(text);
        if (id !== undefined) expect(encodeCursor(id)).toBe(text);
      }),
    );
  });
});

describe('sitemap XML', () => {
  it('escapes URLs', () => {
    expect(urlSet([{ loc: 'https://x.test/a?b=1&c=<2>' }])).toContain('<loc>https://x.test/a?b=1&amp;c=&lt;2&gt;</loc>');
  });
});
