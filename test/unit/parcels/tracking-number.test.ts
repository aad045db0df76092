/**
 * Tracking numbers: S10 check digits against examples computed by hand from
 * the UPU rule, Colissimo's 13 characters, and the French reasons.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTrackingNumber, s10CheckDigit } from '../../../worker/parcels/tracking-number';

describe('S10 numbers', () => {
  it('accepts the issue’s example and others checked by hand', () => {
    // 1·8 + 2·6 + 3·4 + 4·2 + 5·3 + 6·5 + 7·9 + 8·7 = 204; 204 mod 11 = 6; 11 − 6 = 5.
    expect(parseTrackingNumber('RB123456785FR')).toEqual({ ok: true, number: 'RB123456785FR', format: 's10' });
    // 4·8 + 7·6 + 3·4 + 5·2 + 0·3 + 0·5 + 0·9 + 0·7 = 96; 96 mod 11 = 8; 11 − 8 = 3.
    expect(parseTrackingNumber('lk 4735 0000 3 fr')).toMatchObject({ ok: true, number: 'LK473500003FR' });
    // A sum ≡ 0 mod 11 gives 11, written 5; a sum ≡ 1 gives 10, written 0.
    expect(s10CheckDigit('00000000')).toBe(5);
    expect(s10CheckDigit('00300000')).toBe(0); // 3·4 = 12 ≡ 1
    expect(s10CheckDigit('10000000')).toBe(3); // 8; 11 − 8 = 3
    expect(s10CheckDigit('00000020')).toBe(4); // 2·9 = 18 ≡ 7; 11 − 7 = 4
  });

  it('refuses a wrong check digit and says which one is expected', () => {
    const wrong = parseTrackingNumber('RB123456784FR');
    expect(wrong).toEqual({ ok: false, reason: expect.stringContaining('devrait être 5') });
  });

  it('accepts exactly one check digit per serial: the UPU one', () => {
    // The UPU rule written independently: remainder 0 → 5, remainder 1 → 0, otherwise 11 − remainder.
    const upu = (serial: string) => {
      const r = [8, 6, 4, 2, 3, 5, 9, 7].reduce((sum, w, i) => sum + w * Number(serial[i]), 0) % 11;
      return r === 0 ? 5 : r === 1 ? 0 : 11 - r;
    };
    fc.assert(fc.property(fc.stringMatching(/^\d{8}$/), (serial) => {
      const accepted = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((d) => parseTrackingNumber(`RB${serial}${d}FR`).ok);
      expect(accepted).toEqual([upu(serial)]);
    }));
  });
});

describe('Colissimo numbers and bad input', () => {
  it('accepts two letters or digits then 11 digits', () => {
    expect(parseTrackingNumber('6A12345678901')).toEqual({ ok: true, number: '6A12345678901', format: 'colissimo' });
    expect(parseTrackingNumber('8L 12345678901')).toMatchObject({ ok: true, format: 'colissimo' });
  });

  it('says what is wrong, in French', () => {
    expect(parseTrackingNumber('')).toEqual({ ok: false, reason: 'numéro de suivi manquant' });
    expect(parseTrackingNumber('RB12345')).toEqual({ ok: false, reason: expect.stringContaining('7 caractères : 13 attendus') });
    expect(parseTrackingNumber('RB12345678#FR')).toEqual({ ok: false, reason: expect.stringContaining('lettres et des chiffres') });
    expect(parseTrackingNumber('ABCDEFGHIJKLM')).toEqual({ ok: false, reason: expect.stringContaining('format inconnu') });
  });
});
