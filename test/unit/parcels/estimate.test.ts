/**
 * The estimated delivery: ranges computed by hand around Christmas 2026, New
 * Year and May 2026 (holidays, Sundays, Chronopost's Saturdays, Alsace's
 * Saint-Étienne), late parcels, promises and problems; then, over random
 * parcels (fast-check), the guarantees a customer relies on: from ≤ to,
 * never before today, both delivery days of the destination.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holidayOn } from '../../../worker/hours/holidays';
import { localParts, weekdayOfDate } from '../../../worker/hours/zoned-time';
import { findDepartment } from '../../../worker/locations/departments';
import type { Incident, Step } from '../../../worker/parcels/events';
import { estimateDelivery, estimateLabel, type EstimateInput } from '../../../worker/parcels/estimate';

const PARIS = 'Europe/Paris';

function input(over: Partial<Omit<EstimateInput, 'state' | 'now'>> & { step?: Step; incidents?: Incident[]; scanned?: string; now?: string }): EstimateInput {
  const scanned = over.scanned ?? '2026-12-23T14:00:00Z';
  return {
    product: over.product === undefined ? 'colissimo' : over.product,
    state: { step: over.step ?? 2, delivered: false, incidents: over.incidents ?? [], waiting: null, lastEventAt: Date.parse(scanned) },
    promisedDate: over.promisedDate ?? null,
    department: over.department ?? '75',
    timeZone: over.timeZone ?? PARIS,
    now: new Date(over.now ?? scanned),
  };
}

describe('estimates computed by hand', () => {
  it('Colissimo around Christmas: J+1 to J+3 skipping the 25th and Sunday', () => {
    // Scanned Wednesday 23: Thursday 24 (J+1), Friday 25 is Noël, Saturday 26 (J+2), Sunday, Monday 28 (J+3).
    expect(estimateDelivery(input({}))).toEqual({ from: '2026-12-24', to: '2026-12-28', confidence: 'moyenne', late: false });
  });

  it('in the Bas-Rhin, Saint-Étienne (26 December) is not a delivery day either', () => {
    // Thursday 24 (J+1), Monday 28 (J+2), Tuesday 29 (J+3).
    expect(estimateDelivery(input({ department: '67' }))).toMatchObject({ from: '2026-12-24', to: '2026-12-29' });
  });

  it('Chronopost delivers Monday to Friday', () => {
    // Scanned Thursday 24: Friday is Noël, no Saturday round: Monday 28 (J+1), Tuesday 29 (J+2).
    expect(estimateDelivery(input({ product: 'Chronopost', step: 1, scanned: '2026-12-24T09:00:00Z' }))).toEqual({
      from: '2026-12-28', to: '2026-12-29', confidence: 'moyenne', late: false,
    });
  });

  it('a registered letter over New Year: J+2 to J+4', () => {
    // Scanned Thursday 31: 1 January is a holiday; Saturday 2 (J+1), Monday 4 (J+2), Tuesday 5, Wednesday 6 (J+4).
    expect(estimateDelivery(input({ product: 'Lettre recommandée', scanned: '2026-12-31T10:00:00Z' }))).toMatchObject({
      from: '2027-01-04', to: '2027-01-06', confidence: 'moyenne',
    });
  });

  it('an unknown product gets a wide range said to be uncertain', () => {
    // Scanned Wednesday 2 December: Friday 4 (J+2) to Tuesday 8 (J+5, Sunday skipped).
    for (const product of [null, 'DHL Express', 'constructor']) {
      expect(estimateDelivery(input({ product, step: 1, scanned: '2026-12-02T10:00:00Z' }))).toEqual({
        from: '2026-12-04', to: '2026-12-08', confidence: 'faible', late: false,
      });
    }
  });

  it('around 1 May: Colissimo, the distribution site, out for delivery', () => {
    // Scanned Thursday 30 April; Friday 1 May is a holiday: Saturday 2 (J+1), Monday 4, Tuesday 5 (J+3).
    expect(estimateDelivery(input({ scanned: '2026-04-30T16:00:00Z' }))).toMatchObject({ from: '2026-05-02', to: '2026-05-05' });
    // At the distribution site: that day or the next delivery day, Saturday 2 May.
    expect(estimateDelivery(input({ step: 3, scanned: '2026-04-30T16:00:00Z' }))).toEqual({ from: '2026-04-30', to: '2026-05-02', confidence: 'moyenne', late: false });
    // Out for delivery since 08:00, asked at 10:00: today, for sure.
    expect(estimateDelivery(input({ step: 4, scanned: '2026-04-30T06:00:00Z', now: '2026-04-30T08:00:00Z' }))).toEqual({
      from: '2026-04-30', to: '2026-04-30', confidence: 'haute', late: false,
    });
  });

  it('after a failed delivery (avisé), counts as back at the distribution site', () => {
    expect(estimateDelivery(input({ step: 4, incidents: ['avise'], scanned: '2026-04-30T16:00:00Z' }))).toMatchObject({ from: '2026-04-30', to: '2026-05-02' });
  });

  it('follows the carrier’s promise, one delivery day of slack', () => {
    // Promised for Friday 1 May (a holiday): Saturday 2 to Monday 4.
    expect(estimateDelivery(input({ promisedDate: '2026-05-01', scanned: '2026-04-29T08:00:00Z' }))).toEqual({
      from: '2026-05-02', to: '2026-05-04', confidence: 'haute', late: false,
    });
    // Not before the parcel leaves: a promise at step 1 is ignored.
    expect(estimateDelivery(input({ step: 1, promisedDate: '2026-05-01', scanned: '2026-04-29T08:00:00Z' }))?.confidence).toBe('moyenne');
    // Out for delivery today beats a promise for Monday.
    expect(estimateDelivery(input({ step: 4, promisedDate: '2026-05-04', scanned: '2026-04-30T06:00:00Z' }))).toMatchObject({ from: '2026-04-30', to: '2026-04-30' });
    // An unreadable promise is ignored.
    expect(estimateDelivery(input({ promisedDate: '2026-02-30' }))).toMatchObject({ from: '2026-12-24', to: '2026-12-28', confidence: 'moyenne' });
  });

  it('says late when the promise has passed: from today, two delivery days, uncertain', () => {
    // Promised Tuesday 28 April, asked Wednesday 29: Wednesday 29 to Saturday 2 May (1 May skipped).
    expect(estimateDelivery(input({ promisedDate: '2026-04-28', scanned: '2026-04-27T08:00:00Z', now: '2026-04-29T08:00:00Z' }))).toEqual({
      from: '2026-04-29', to: '2026-05-02', confidence: 'faible', late: true,
    });
  });

  it('says late when the usual transit is over, instead of sliding the range forward', () => {
    // Last scan Monday 20 April (J+1..J+3 = 21..23), asked Monday 27: Monday 27 to Wednesday 29.
    expect(estimateDelivery(input({ scanned: '2026-04-20T08:00:00Z', now: '2026-04-27T08:00:00Z' }))).toEqual({
      from: '2026-04-27', to: '2026-04-29', confidence: 'faible', late: true,
    });
    // Out for delivery on Saturday 5 December and still not delivered on Sunday: from Monday 7 to Wednesday 9.
    expect(estimateDelivery(input({ step: 4, scanned: '2026-12-05T08:00:00Z', now: '2026-12-06T10:00:00Z' }))).toEqual({
      from: '2026-12-07', to: '2026-12-09', confidence: 'faible', late: true,
    });
  });

  it('starts the range today when part of it is past, and keeps two days unless out for delivery', () => {
    // Scanned Monday 30 November: 1..3 December. Asked Wednesday 2: 2..3.
    expect(estimateDelivery(input({ scanned: '2026-11-30T08:00:00Z', now: '2026-12-02T08:00:00Z' }))).toMatchObject({ from: '2026-12-02', to: '2026-12-03', late: false });
    // Asked Thursday 3, the range's last day: Thursday 3 to Friday 4, not one falsely precise date.
    expect(estimateDelivery(input({ scanned: '2026-11-30T08:00:00Z', now: '2026-12-03T08:00:00Z' }))).toMatchObject({ from: '2026-12-03', to: '2026-12-04', late: false });
  });

  it('an open problem lowers the confidence and adds two delivery days', () => {
    // 24..28 December becomes 24..30 (Tuesday 29, Wednesday 30).
    expect(estimateDelivery(input({ incidents: ['probleme'] }))).toEqual({ from: '2026-12-24', to: '2026-12-30', confidence: 'faible', late: false });
    expect(estimateDelivery(input({ step: 4, incidents: ['probleme'], scanned: '2026-04-30T06:00:00Z' }))).toEqual({
      from: '2026-04-30', to: '2026-05-04', confidence: 'moyenne', late: false,
    });
  });

  it('reads today in the destination’s zone', () => {
    // Out for delivery Wednesday 2 December at 09:00 in La Réunion (05:00 UTC); asked at 21:00 UTC, already Thursday there.
    const reunion = input({ step: 4, department: '974', timeZone: 'Indian/Reunion', scanned: '2026-12-02T05:00:00Z', now: '2026-12-02T21:00:00Z' });
    expect(estimateDelivery(reunion)).toMatchObject({ from: '2026-12-03', to: '2026-12-05', late: true });
    // The same instants in Paris are both Wednesday: today.
    expect(estimateDelivery({ ...reunion, department: '75', timeZone: PARIS })).toMatchObject({ from: '2026-12-02', to: '2026-12-02', late: false });
  });

  it('has nothing to say when delivered, waiting at a point, returned or not yet scanned', () => {
    const moving = input({});
    expect(estimateDelivery({ ...moving, state: { ...moving.state, step: 5, delivered: true } })).toBeNull();
    expect(estimateDelivery({ ...moving, state: { ...moving.state, step: 4, waiting: { locationId: 'D1', since: 0 } } })).toBeNull();
    expect(estimateDelivery({ ...moving, state: { ...moving.state, incidents: ['retour'] } })).toBeNull();
    expect(estimateDelivery({ ...moving, state: { ...moving.state, step: 0 } })).toBeNull();
  });
});

describe('estimate labels', () => {
  it('says a range within a month, across months and across years', () => {
    expect(estimateLabel({ from: '2026-12-03', to: '2026-12-05' })).toBe('entre le jeudi 3 et le samedi 5 décembre');
    expect(estimateLabel({ from: '2026-04-30', to: '2026-05-02' })).toBe('entre le jeudi 30 avril et le samedi 2 mai');
    expect(estimateLabel({ from: '2026-12-31', to: '2027-01-04' })).toBe('entre le jeudi 31 décembre 2026 et le lundi 4 janvier 2027');
  });

  it('says one day, the first of a month, and today', () => {
    expect(estimateLabel({ from: '2026-12-03', to: '2026-12-03' })).toBe('le jeudi 3 décembre');
    expect(estimateLabel({ from: '2026-12-01', to: '2026-12-02' })).toBe('entre le mardi 1er et le mercredi 2 décembre');
    expect(estimateLabel({ from: '2026-12-03', to: '2026-12-03' }, '2026-12-03')).toBe('aujourd’hui');
  });
});

// ---------------------------------------------------------------------------

const DEPARTMENTS = ['75', '67', '971', '973', '974', '988'] as const;
const instantArb = fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2028-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.getTime());

const inputArb: fc.Arbitrary<EstimateInput> = fc
  .record({
    product: fc.constantFrom(null, 'colissimo', 'Chronopost', 'lettre_recommandee', 'Lettre recommandée', 'autre chose'),
    step: fc.constantFrom<Step>(1, 2, 3, 4),
    incidents: fc.subarray<Incident>(['avise', 'probleme']),
    scanned: instantArb,
    // Asked from a day before the scan (a clock ahead) to a month after it.
    delay: fc.integer({ min: -86_400_000, max: 31 * 86_400_000 }),
    promisedOffset: fc.option(fc.integer({ min: -10, max: 10 }), { freq: 3 }),
    department: fc.constantFrom(...DEPARTMENTS),
  })
  .map((r) => ({
    product: r.product,
    state: { step: r.step, delivered: false, incidents: r.incidents, waiting: null, lastEventAt: r.scanned },
    promisedDate: r.promisedOffset === null ? null : new Date(r.scanned + r.promisedOffset * 86_400_000).toISOString().slice(0, 10),
    department: r.department,
    timeZone: findDepartment(r.department)!.timeZone,
    now: new Date(r.scanned + r.delay),
  }));

describe('estimates over random parcels (fast-check)', () => {
  it('from ≤ to, never before today, both delivery days of the destination', () => {
    fc.assert(
      fc.property(inputArb, (parcel) => {
        const estimate = estimateDelivery(parcel)!;
        const today = localParts(parcel.now, parcel.timeZone).date;
        expect(estimate.from <= estimate.to).toBe(true);
        expect(estimate.from >= today).toBe(true);
        const saturdays = !/chronopost/i.test(parcel.product ?? '');
        for (const date of [estimate.from, estimate.to]) {
          const weekday = weekdayOfDate(date);
          expect(weekday).not.toBe(7);
          if (!saturdays) expect(weekday).not.toBe(6);
          expect(holidayOn(date, parcel.department)).toBeNull();
        }
        // One date only for a parcel out for delivery with nothing wrong.
        if (estimate.from === estimate.to) {
          expect(parcel.state.step).toBe(4);
          expect(parcel.state.incidents).toEqual([]);
        }
        if (estimate.late) expect(estimate.confidence).toBe('faible');
      }),
      { numRuns: 500 },
    );
  });

  it('is null once returned to sender, whatever else is true', () => {
    fc.assert(
      fc.property(inputArb, (parcel) => {
        expect(estimateDelivery({ ...parcel, state: { ...parcel.state, incidents: [...parcel.state.incidents, 'retour'] } })).toBeNull();
      }),
    );
  });
});
