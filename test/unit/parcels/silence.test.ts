/**
 * "Still moving": silences counted by hand over weekends, Christmas, 1 May
 * and another zone's Sunday, and, over random parcels (fast-check), that a
 * later look never turns an overdue silence back into a normal one and
 * that a whole week counts six days.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holidayOn } from '../../../worker/hours/holidays';
import { localParts } from '../../../worker/hours/zoned-time';
import { findDepartment } from '../../../worker/locations/departments';
import type { Incident, Step } from '../../../worker/parcels/events';
import { SILENCE_THRESHOLDS, silenceOf } from '../../../worker/parcels/silence';

type State = Parameters<typeof silenceOf>[0];
const moving = (step: Step, lastScan: string, incidents: Incident[] = []): State => ({
  step, delivered: false, incidents, waiting: null, lastEventAt: Date.parse(lastScan),
});
const at = (iso: string) => new Date(iso);

describe('thresholds', () => {
  it('are 48 h, 48 h, 24 h and 12 h of working time, each with advice in French', () => {
    expect(Object.fromEntries(Object.entries(SILENCE_THRESHOLDS).map(([step, t]) => [step, t.hours]))).toEqual({ 1: 48, 2: 48, 3: 24, 4: 12 });
    for (const t of Object.values(SILENCE_THRESHOLDS)) expect(t.reason).toMatch(/contactez/);
  });
});

describe('silences counted by hand', () => {
  // Last scan Friday 20 November 2026 at 18:00 in Paris (17:00 UTC), on its way (step 2).
  const friday = moving(2, '2026-11-20T17:00:00Z');

  it('does not count Sunday: 48 working hours are reached on Monday at 18:00', () => {
    // Friday 18:00–24:00 (6 h) + Saturday (24 h) + Monday 00:00–18:00 (18 h) = 48 h.
    expect(silenceOf(friday, at('2026-11-22T22:00:00Z'), '75')).toMatchObject({ step: 2, silentHours: 30, threshold: 48, overdue: false }); // Sunday 23:00
    expect(silenceOf(friday, at('2026-11-23T16:59:00Z'), '75')).toMatchObject({ silentHours: 47, overdue: false });
    expect(silenceOf(friday, at('2026-11-23T17:00:00Z'), '75')).toMatchObject({ silentHours: 48, overdue: false });
    expect(silenceOf(friday, at('2026-11-23T17:01:00Z'), '75')).toMatchObject({ silentHours: 48, overdue: true });
    expect(silenceOf(friday, at('2026-11-23T17:01:00Z'), '75')?.advice).toBe(SILENCE_THRESHOLDS[2].reason);
  });

  it('does not count Christmas, nor Saint-Étienne in Alsace', () => {
    // At the distribution site since Thursday 24 December, 16:00: 8 h on Thursday, none on the 25th, 16 h on Saturday 26.
    const site = moving(3, '2026-12-24T15:00:00Z');
    expect(silenceOf(site, at('2026-12-26T14:59:00Z'), '75')).toMatchObject({ silentHours: 23, threshold: 24, overdue: false });
    expect(silenceOf(site, at('2026-12-26T15:01:00Z'), '75')).toMatchObject({ silentHours: 24, overdue: true });
    // In the Bas-Rhin the 26th is a holiday too, then Sunday: still 8 h; 24 h on Monday 28 at 16:00.
    expect(silenceOf(site, at('2026-12-26T15:01:00Z'), '67')).toMatchObject({ silentHours: 8, overdue: false });
    expect(silenceOf(site, at('2026-12-28T15:01:00Z'), '67')).toMatchObject({ silentHours: 24, overdue: true });
  });

  it('does not count 1 May', () => {
    // Thursday 30 April 12:00 (10:00 UTC, summer time): 12 h + Friday 1 May (0) + Saturday 24 h + Sunday (0) + Monday 12 h = 48 h.
    const scan = moving(1, '2026-04-30T10:00:00Z');
    expect(silenceOf(scan, at('2026-05-04T10:00:00Z'), '75')).toMatchObject({ step: 1, silentHours: 48, overdue: false });
    expect(silenceOf(scan, at('2026-05-04T10:00:01Z'), '75')).toMatchObject({ overdue: true });
  });

  it('expects a delivery round to end within the day, and a failed one to go back to the site', () => {
    // Out for delivery Saturday 5 December at 08:00 (07:00 UTC): 12 h at 20:00.
    const round = moving(4, '2026-12-05T07:00:00Z');
    expect(silenceOf(round, at('2026-12-05T19:00:00Z'), '75')).toMatchObject({ step: 4, silentHours: 12, threshold: 12, overdue: false });
    expect(silenceOf(round, at('2026-12-05T19:01:00Z'), '75')).toMatchObject({ overdue: true });
    expect(silenceOf(moving(4, '2026-12-05T07:00:00Z', ['avise']), at('2026-12-05T19:01:00Z'), '75')).toMatchObject({ step: 3, threshold: 24, overdue: false });
  });

  it('finds Sunday in the destination’s zone', () => {
    // Saturday 5 December 20:00 in La Réunion (16:00 UTC). At 20:00 UTC on Sunday 6 it is Monday 00:00 there:
    // 4 h on Saturday, Sunday not counted.
    const reunion = moving(3, '2026-12-05T16:00:00Z');
    expect(silenceOf(reunion, at('2026-12-06T20:00:00Z'), '974')?.silentHours).toBe(4);
    // The same instants in Paris: Saturday 17:00–24:00 (7 h), and it is still Sunday.
    expect(silenceOf(reunion, at('2026-12-06T20:00:00Z'), '75')?.silentHours).toBe(7);
  });

  it('counts nothing before the last scan (a clock behind)', () => {
    expect(silenceOf(friday, at('2026-11-20T10:00:00Z'), '75')).toMatchObject({ silentHours: 0, overdue: false });
  });

  it('says nothing when silence is expected or means nothing', () => {
    const now = at('2026-12-30T10:00:00Z');
    expect(silenceOf({ ...friday, step: 4, waiting: { locationId: 'D1', since: 0 } }, now, '75')).toBeNull();
    expect(silenceOf({ ...friday, step: 5, delivered: true }, now, '75')).toBeNull();
    expect(silenceOf({ ...friday, incidents: ['retour'] }, now, '75')).toBeNull();
    expect(silenceOf({ ...friday, step: 0 }, now, '75')).toBeNull();
    expect(silenceOf({ ...friday, lastEventAt: null }, now, '75')).toBeNull();
  });
});

// ---------------------------------------------------------------------------

const DEPARTMENTS = ['75', '67', '973', '974', '988', '971'] as const;
const instantArb = fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2028-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.getTime());
const H = 3_600_000;

describe('silences over random parcels (fast-check)', () => {
  it('never goes from overdue back to normal, nor counts fewer hours, as time passes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Step>(1, 2, 3, 4),
        fc.subarray<Incident>(['avise', 'probleme']),
        instantArb,
        fc.integer({ min: -24 * H, max: 20 * 24 * H }),
        fc.integer({ min: 0, max: 5 * 24 * H }),
        fc.constantFrom(...DEPARTMENTS),
        (step, incidents, scan, before, more, department) => {
          const state: State = { step, delivered: false, incidents, waiting: null, lastEventAt: scan };
          const earlier = silenceOf(state, new Date(scan + before), department)!;
          const later = silenceOf(state, new Date(scan + before + more), department)!;
          expect(later.silentHours).toBeGreaterThanOrEqual(earlier.silentHours);
          if (earlier.overdue) expect(later.overdue).toBe(true);
          // Never more than the real time elapsed.
          expect(earlier.silentHours).toBeLessThanOrEqual(Math.max(0, Math.floor(before / H)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counts six days in any week without a holiday (zones without summer time)', () => {
    fc.assert(
      fc.property(instantArb, fc.constantFrom('973', '974', '988'), (scan, department) => {
        const zone = findDepartment(department)!.timeZone;
        const dates = Array.from({ length: 8 }, (_, i) => localParts(scan + i * 24 * H, zone).date);
        fc.pre(dates.every((date) => holidayOn(date, department) === null));
        const week = silenceOf(moving(2, new Date(scan).toISOString()), new Date(scan + 7 * 24 * H), department)!;
        expect(week.silentHours).toBe(6 * 24);
      }),
    );
  });
});
