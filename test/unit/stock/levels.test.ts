/**
 * What a count means to a customer: sellable units, the band, the
 * Merchant availability and the age of a count, against the words
 * ("plus que quelques-uns" for 2 or fewer after holds).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BAND_LABELS, bandOf, countAge, merchantAvailability, sellableUnits } from '../../../worker/stock/levels';

describe('stock levels', () => {
  it('never offers a unit that is held or kept as safety, and never a negative one', () => {
    fc.assert(fc.property(fc.nat(1000), fc.nat(1000), fc.nat(10), (counted, held, safety) => {
      const units = sellableUnits(counted, held, safety);
      expect(units).toBeGreaterThanOrEqual(0);
      expect(units + held + safety).toBeGreaterThanOrEqual(counted);
      if (counted >= held + safety) expect(units).toBe(counted - held - safety);
    }));
  });

  it('reads 0 as sold out, 1 and 2 as a few left, 3 and more as in stock', () => {
    expect([0, 1, 2, 3, 40].map((n) => BAND_LABELS[bandOf(n)])).toEqual(['épuisé', 'plus que quelques-uns', 'plus que quelques-uns', 'en stock', 'en stock']);
    expect([0, 2, 3].map((n) => merchantAvailability(bandOf(n)))).toEqual(['out_of_stock', 'limited_availability', 'in_stock']);
  });

  it('says how old a count is in words', () => {
    const now = Date.UTC(2026, 10, 24, 12);
    const ago = (ms: number) => countAge(now - ms, now);
    expect(ago(20_000)).toBe('compté à l’instant');
    expect(ago(12 * 60_000)).toBe('compté il y a 12 min');
    expect(ago(3 * 3_600_000 + 59 * 60_000)).toBe('compté il y a 3 h');
    expect(ago(47 * 3_600_000)).toBe('compté il y a 47 h');
    expect(ago(4 * 86_400_000)).toBe('compté il y a 4 jours');
    // A clock slightly behind the counting device: never "in the future".
    expect(ago(-30_000)).toBe('compté à l’instant');
  });
});
