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

  it('reject tampered cursors without throwing', () => {
    const valid = fc.stringMatching(/^[0-9A-Za-z]{1,32}$/).map(encodeCursor);
    const tampered = fc.tuple(valid, fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })).map(
      ([cursor, at, insert]) => cursor.slice(0, at % cursor.length) + insert + cursor.slice(at % cursor.length),
    );
    fc.assert(
      fc.property(tampered, (cursor) => {
        const id = decodeCursor(cursor);
        // Either refused, or still a well-formed id (a base64 edit can land on one).
        if (id !== undefined) expect(id).toMatch(/^[0-9A-Za-z]{1,32}$/);
      }),
    );
    expect(decodeCursor(encodeCursor('15015A').slice(0, -2))).toBeUndefined();
    expect(decodeCursor('')).toBeUndefined();
    expect(decodeCursor(btoa('{"after":"x;drop"}'))).toBeUndefined();
  });
});

describe('sitemap XML', () => {
  it('escapes URLs', () => {
    expect(urlSet([{ loc: 'https://x.test/a?b=1&c=<2>' }])).toContain('<loc>https://x.test/a?b=1&amp;c=&lt;2&gt;</loc>');
  });
});
