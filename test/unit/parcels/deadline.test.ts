/**
 * "À retirer avant le …": hand-computed deadlines for the places customers
 * meet (an office, a night relay, a locker, a closed office, Nouméa), and,
 * over random schedules, exceptions, zones and arrivals (fast-check), the
 * properties the customer relies on: the place is open just before the
 * deadline, the deadline is a real closing, it lies within the holding
 * period and no later opening day in that period is forgotten. The
 * properties are checked by walking the days' openings directly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSchedule, spansOn, statusAt } from '../../../worker/hours/engine';
import type { HoursException, Schedule, Weekday, WeeklyRule } from '../../../worker/hours/model';
import { formatDay, formatTime, localParts, parseDay } from '../../../worker/hours/zoned-time';
import { findDepartment } from '../../../worker/locations/departments';
import { collectionDeadline, DEFAULT_HOLDING_DAYS } from '../../../worker/parcels/deadline';
import { exceptionsArb, weeklyArb } from '../hours/arbitraries';

const every = (days: number[], opens: string, closes: string): WeeklyRule[] => days.map((day) => ({ day: day as Weekday, opens, closes }));

function place(weekly: WeeklyRule[], exceptions: HoursException[] = [], department = '75', openOnHolidays = false): Schedule {
  return { timeZone: findDepartment(department)!.timeZone, department, weekly, exceptions, openOnHolidays };
}

const closure = (startDate: string, endDate: string | null): HoursException => ({
  id: `works-${startDate}`, startDate, endDate, closed: true, intervals: [], reason: 'works', note: 'Travaux',
});

/** A post office: Monday to Friday 09:00–12:00 and 14:00–18:00, Saturday morning. */
const OFFICE = [...every([1, 2, 3, 4, 5], '09:00', '12:00'), ...every([1, 2, 3, 4, 5], '14:00', '18:00'), ...every([6], '09:00', '12:00')];

const at = (iso: string) => new Date(iso);

describe('holding periods by kind of place', () => {
  it('keeps 15 days at counters, 10 at relays and shops, 3 in lockers', () => {
    expect(DEFAULT_HOLDING_DAYS).toEqual({
      post_office: 15, communal_agency: 15, intercommunal_agency: 15, military_agency: 15,
      partner_relay: 10, parcel_shop: 10, parcel_locker: 3,
    });
  });
});

describe('deadlines computed by hand', () => {
  it('a post office: arrived Tuesday 1 December, 15 days → Wednesday 16 December at 18:00 in Paris', () => {
    // 1 + 15 = 16 December 2026, a Wednesday: the office closes at 18:00 (17:00 UTC in winter).
    expect(collectionDeadline(place(OFFICE), at('2026-12-01T09:00:00Z'), 15)).toEqual({
      deadline: at('2026-12-16T17:00:00Z'), date: '2026-12-16', closes: '18:00', extended: false,
    });
  });

  it('moves back to the previous opening day when the last day is Christmas', () => {
    // Thursday 10 December + 15 = Friday 25 December, a holiday: Thursday 24 at 18:00.
    expect(collectionDeadline(place(OFFICE), at('2026-12-10T09:00:00Z'), 15)).toMatchObject({
      deadline: at('2026-12-24T17:00:00Z'), date: '2026-12-24', closes: '18:00', extended: false,
    });
  });

  it('moves back to Saturday noon when the last day is a Sunday', () => {
    // Saturday 5 December + 15 = Sunday 20: the office last opens on Saturday 19, until noon.
    expect(collectionDeadline(place(OFFICE), at('2026-12-05T09:00:00Z'), 15)).toMatchObject({
      deadline: at('2026-12-19T11:00:00Z'), date: '2026-12-19', closes: '12:00',
    });
  });

  it('knows Saint-Étienne is a holiday in Alsace, not in Paris', () => {
    const relay = every([1, 2, 3, 4, 5, 6], '09:00', '19:00');
    // Wednesday 16 December + 10 = Saturday 26 December.
    expect(collectionDeadline(place(relay, [], '75'), at('2026-12-16T10:00:00Z'), 10)?.deadline).toEqual(at('2026-12-26T18:00:00Z'));
    // In the Bas-Rhin the 25th and the 26th are both holidays: Thursday 24 at 19:00.
    expect(collectionDeadline(place(relay, [], '67'), at('2026-12-16T10:00:00Z'), 10)?.deadline).toEqual(at('2026-12-24T18:00:00Z'));
  });

  it('counts the days in the place’s own zone (Nouméa, UTC+11)', () => {
    const office = every([1, 2, 3, 4, 5], '07:30', '15:30');
    // 00:00 UTC on 1 December is 11:00 on Tuesday 1 December in Nouméa; + 15 = Wednesday 16, 15:30 = 04:30 UTC.
    expect(collectionDeadline(place(office, [], '988'), at('2026-12-01T00:00:00Z'), 15)).toEqual({
      deadline: at('2026-12-16T04:30:00Z'), date: '2026-12-16', closes: '15:30', extended: false,
    });
    // 14:00 UTC on 30 November is already 1 December in Nouméa: the same deadline.
    expect(collectionDeadline(place(office, [], '988'), at('2026-11-30T14:00:00Z'), 15)?.deadline).toEqual(at('2026-12-16T04:30:00Z'));
  });

  it('keeps the whole evening of a night relay open past midnight on the last day', () => {
    const relay = every([1, 2, 3, 4, 5, 6], '18:00', '26:00');
    // Tuesday 1 + 10 = Friday 11 December: open from 18:00 to 02:00 on Saturday (01:00 UTC).
    expect(collectionDeadline(place(relay), at('2026-12-01T09:00:00Z'), 10)).toEqual({
      deadline: at('2026-12-12T01:00:00Z'), date: '2026-12-11', closes: '26:00', extended: false,
    });
  });

  it('ends a 24/7 locker’s period at midnight after its last day', () => {
    const locker = place(every([1, 2, 3, 4, 5, 6, 7], '00:00', '24:00'), [], '75', true);
    // Tuesday 1 + 3 = Friday 4 December; its midnight is 23:00 UTC.
    expect(collectionDeadline(locker, at('2026-12-01T09:00:00Z'), 3)).toEqual({
      deadline: at('2026-12-04T23:00:00Z'), date: '2026-12-04', closes: '24:00', extended: false,
    });
  });

  it('shows a closing written in the hour skipped in spring at the time it really is', () => {
    // Sunday 28 March 2027 in Paris: 02:00 CET jumps to 03:00 CEST, so "02:30" is 03:00 CEST (01:00 UTC).
    const sundayNight = place(every([7], '00:00', '02:30'));
    expect(collectionDeadline(sundayNight, at('2027-03-27T09:00:00Z'), 1)).toEqual({
      deadline: at('2027-03-28T01:00:00Z'), date: '2027-03-28', closes: '03:00', extended: false,
    });
  });

  it('does not count an opening lost entirely in the hour skipped in spring', () => {
    // 02:00–02:45 on Sunday 28 March 2027 never happens in Paris: the last real opening is Saturday until noon.
    const springNight = place([...every([6], '09:00', '12:00'), ...every([7], '02:00', '02:45')]);
    expect(collectionDeadline(springNight, at('2027-03-27T09:00:00Z'), 1)).toMatchObject({
      deadline: at('2027-03-27T11:00:00Z'), date: '2027-03-27', closes: '12:00', extended: false,
    });
  });

  it('gives the next opening day when the parcel arrived after the only day’s closing', () => {
    // Saturday 5 December 13:00, kept 0 days: Saturday is over, so Monday 7 until 18:00.
    expect(collectionDeadline(place(OFFICE), at('2026-12-05T12:00:00Z'), 0)).toEqual({
      deadline: at('2026-12-07T17:00:00Z'), date: '2026-12-07', closes: '18:00', extended: true,
    });
  });

  it('extends to the first opening day after a closure that covers the whole period', () => {
    // Closed all December; 1 January 2027 is a holiday; Saturday 2 January opens 09:00–12:00.
    expect(collectionDeadline(place(OFFICE, [closure('2026-12-01', '2026-12-31')]), at('2026-12-01T09:00:00Z'), 15)).toEqual({
      deadline: at('2027-01-02T11:00:00Z'), date: '2027-01-02', closes: '12:00', extended: true,
    });
  });

  it('has no deadline for a place closed until further notice', () => {
    expect(collectionDeadline(place(OFFICE, [closure('2026-11-01', null)]), at('2026-12-01T09:00:00Z'), 15)).toBeNull();
    expect(collectionDeadline(place([]), at('2026-12-01T09:00:00Z'), 15)).toBeNull();
  });

  it('refuses a holding period that is not a whole number of days', () => {
    expect(() => collectionDeadline(place(OFFICE), at('2026-12-01T09:00:00Z'), -1)).toThrow(RangeError);
    expect(() => collectionDeadline(place(OFFICE), at('2026-12-01T09:00:00Z'), 1.5)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------
// Properties over random places

const DEPARTMENTS = ['75', '973', '974', '988'] as const; // Europe/Paris, America/Cayenne, Indian/Reunion, Pacific/Noumea
const FROM = Date.UTC(2026, 0, 1);
const TO = Date.UTC(2028, 0, 1);
const instantArb = fc.date({ min: new Date(FROM), max: new Date(TO), noInvalidDate: true }).map((d) => d.getTime());

/** 0 to 2 same-day openings per weekday, on quarter hours; some days closed. */
const simpleWeeklyArb: fc.Arbitrary<WeeklyRule[]> = fc
  .array(fc.uniqueArray(fc.integer({ min: 0, max: 96 }), { maxLength: 4 }), { minLength: 7, maxLength: 7 })
  .map((days) =>
    days.flatMap((bounds, i) => {
      const sorted = [...bounds].sort((a, b) => a - b);
      const rules: WeeklyRule[] = [];
      for (let k = 0; k + 1 < sorted.length; k += 2) rules.push({ day: (i + 1) as Weekday, opens: formatTime(sorted[k]! * 15), closes: formatTime(sorted[k + 1]! * 15) });
      return rules;
    }),
  );

/** Closures over ranges of days around the holding period, sometimes longer than it. */
const closuresArb = (firstDay: number) =>
  fc.array(fc.record({ start: fc.integer({ min: -5, max: 22 }), length: fc.integer({ min: 0, max: 40 }) }), { maxLength: 2 })
    .map((list) => list.map(({ start, length }) => closure(formatDay(firstDay + start), formatDay(firstDay + start + length))));

const caseArb = fc
  .record({ arrival: instantArb, holdingDays: fc.integer({ min: 1, max: 20 }), department: fc.constantFrom(...DEPARTMENTS) })
  .chain(({ arrival, holdingDays, department }) => {
    const firstDay = Math.floor(arrival / 86_400_000);
    return fc.record({
      arrival: fc.constant(arrival),
      holdingDays: fc.constant(holdingDays),
      schedule: fc
        .record({
          weekly: fc.oneof(simpleWeeklyArb, weeklyArb),
          exceptions: fc.tuple(exceptionsArb(firstDay, 20), closuresArb(firstDay)).map(([a, b]) => [...a, ...b]),
          openOnHolidays: fc.boolean(),
        })
        .map(({ weekly, exceptions, openOnHolidays }) => place(weekly, exceptions, department, openOnHolidays)),
    });
  });

/** The openings of local day `day` as instants, leaving out those lost in a skipped hour. */
function openingsOn(schedule: Schedule, day: number): Array<{ start: number; end: number; day: number }> {
  const compiled = compileSchedule(schedule);
  return spansOn(compiled, day)
    .map((span) => ({ start: compiled.clock.instant(day, span.opens), end: compiled.clock.instant(day, span.closes), day }))
    .filter((o) => o.end > o.start);
}

const localDay = (schedule: Schedule, ms: number) => parseDay(localParts(ms, schedule.timeZone).date);

describe('collection deadlines over random places (fast-check)', () => {
  it('is open just before, a real closing, within the period, with no later opening day forgotten', () => {
    let extendedSeen = 0;
    let withinSeen = 0;
    fc.assert(
      fc.property(caseArb, ({ arrival, holdingDays, schedule }) => {
        const result = collectionDeadline(schedule, new Date(arrival), holdingDays);
        const firstDay = localDay(schedule, arrival);
        const lastDay = firstDay + holdingDays;
        const opensAfterArrival = (day: number) => openingsOn(schedule, day).some((o) => o.end > arrival);

        if (result === null) {
          for (let day = firstDay; day <= lastDay + 366; day++) expect(opensAfterArrival(day)).toBe(false);
          return;
        }
        const deadline = result.deadline.getTime();
        const day = parseDay(result.date);

        expect(statusAt(schedule, new Date(deadline - 60_000)).open).toBe(true);
        // `closes` is the deadline's wall time counted from `date`'s midnight.
        const wall = localParts(deadline, schedule.timeZone);
        expect(result.closes).toBe(formatTime(wall.minutes + 1440 * (parseDay(wall.date) - day)));

        if (result.extended) {
          extendedSeen++;
          expect(day).toBeGreaterThan(lastDay);
          for (let d = firstDay; d < day; d++) expect(opensAfterArrival(d)).toBe(false);
        } else {
          withinSeen++;
          expect(day).toBeGreaterThanOrEqual(firstDay);
          expect(day).toBeLessThanOrEqual(lastDay);
          for (let d = day + 1; d <= lastDay; d++) expect(opensAfterArrival(d)).toBe(false);
        }

        // The deadline is the end of an opening of its day (or of the night before it), the latest of that day.
        const own = openingsOn(schedule, day).filter((o) => o.end > arrival);
        expect(own.length).toBeGreaterThan(0);
        expect([...own, ...openingsOn(schedule, day - 1)].some((o) => o.end === deadline)).toBe(true);
        for (const o of own) expect(o.end).toBeLessThanOrEqual(deadline);

        // A real closing: at the deadline the place is closed, or only open by an opening of a later day.
        if (statusAt(schedule, new Date(deadline)).open) {
          for (let d = day - 2; d <= day + 2; d++) {
            for (const o of openingsOn(schedule, d)) if (o.start <= deadline && deadline < o.end) expect(o.day).toBeGreaterThan(day);
          }
        }
      }),
      { numRuns: 400 },
    );
    // The generators reach both kinds of answer.
    expect(extendedSeen).toBeGreaterThan(0);
    expect(withinSeen).toBeGreaterThan(0);
  });

  it('gives a 24/7 place the end of the period’s last day, open until then', () => {
    fc.assert(
      fc.property(instantArb, fc.integer({ min: 0, max: 20 }), fc.constantFrom(...DEPARTMENTS), (arrival, holdingDays, department) => {
        const locker = place(every([1, 2, 3, 4, 5, 6, 7], '00:00', '24:00'), [], department, true);
        const result = collectionDeadline(locker, new Date(arrival), holdingDays)!;
        const lastDay = localDay(locker, arrival) + holdingDays;
        expect(result).toMatchObject({ date: formatDay(lastDay), closes: '24:00', extended: false });
        // Midnight: one millisecond earlier is still the last day, the deadline itself the next one.
        expect(localParts(result.deadline.getTime() - 1, locker.timeZone).date).toBe(formatDay(lastDay));
        expect(localParts(result.deadline, locker.timeZone)).toMatchObject({ date: formatDay(lastDay + 1), minutes: 0 });
      }),
    );
  });
});
