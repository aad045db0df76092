/**
 * Until when a reservation holds: hand-computed deadlines for the offices
 * customers meet (a week day, a Saturday, Christmas, a night relay, an
 * opening that runs on past midnight, a 24/7 place, a closure, Nouméa),
 * and, over random schedules, exceptions, zones and instants (fast-check),
 * what the customer relies on: the office is open just before the deadline
 * and closed just after, the deadline is never on today's local date, and
 * its day is the first opening day after today. The properties walk the
 * days' openings from the engine's calendar with `instantAt`, not through
 * the code under test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calendar, statusAt } from '../../../worker/hours/engine';
import type { HoursException, Schedule, Weekday, WeeklyRule } from '../../../worker/hours/model';
import { addDays, formatDay, instantAt, localParts } from '../../../worker/hours/zoned-time';
import { findDepartment } from '../../../worker/locations/departments';
import { closedUntilWords, deadlineWords, HOLD_SEARCH_DAYS, holdDeadline } from '../../../worker/stock/hold-deadline';
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

describe('hold deadlines computed by hand (Paris is UTC+1 in winter)', () => {
  it('reserved on Monday 23 November 2026 at 11:00: until Tuesday 24 at 18:00, reminded at 09:00 that day', () => {
    expect(holdDeadline(place(OFFICE), at('2026-11-23T10:00:00Z'))).toEqual({
      ok: true, expiresAt: at('2026-11-24T17:00:00Z'), day: '2026-11-24', remindAt: at('2026-11-24T08:00:00Z'), neverCloses: false,
    });
    expect(deadlineWords(at('2026-11-24T17:00:00Z'), 'Europe/Paris', at('2026-11-23T10:00:00Z'))).toBe('mardi 24 novembre à 18:00');
  });

  it('counts "today" on the office’s wall clock: 23:30 on Monday is still Monday, 00:30 on Tuesday is Tuesday', () => {
    expect(holdDeadline(place(OFFICE), at('2026-11-23T22:30:00Z'))).toMatchObject({ ok: true, expiresAt: at('2026-11-24T17:00:00Z') });
    expect(holdDeadline(place(OFFICE), at('2026-11-23T23:30:00Z'))).toMatchObject({ ok: true, expiresAt: at('2026-11-25T17:00:00Z'), day: '2026-11-25' });
  });

  it('reserved on Saturday: until Monday’s closing (Sunday is closed)', () => {
    expect(holdDeadline(place(OFFICE), at('2026-11-28T09:30:00Z'))).toMatchObject({ ok: true, expiresAt: at('2026-11-30T17:00:00Z'), day: '2026-11-30' });
  });

  it('reserved on Friday: until Saturday noon', () => {
    expect(holdDeadline(place(OFFICE), at('2026-11-27T15:00:00Z'))).toMatchObject({ ok: true, expiresAt: at('2026-11-28T11:00:00Z'), day: '2026-11-28' });
  });

  it('skips Christmas (a public holiday): reserved Thursday 24 December, until Saturday 26 at noon', () => {
    const result = holdDeadline(place(OFFICE), at('2026-12-24T09:00:00Z'));
    expect(result).toMatchObject({ ok: true, expiresAt: at('2026-12-26T11:00:00Z'), day: '2026-12-26', remindAt: at('2026-12-26T08:00:00Z') });
  });

  it('skips a day closed by an exception', () => {
    const strike = { ...closure('2026-11-24', '2026-11-24'), reason: 'strike' as const };
    expect(holdDeadline(place(OFFICE, [strike]), at('2026-11-23T10:00:00Z'))).toMatchObject({ ok: true, expiresAt: at('2026-11-25T17:00:00Z') });
  });

  it('keeps a night relay’s opening to its end past midnight', () => {
    const relay = every([1, 2, 3, 4, 5, 6], '18:00', '26:00');
    // Monday 23 → Tuesday 24's opening, 18:00 until Wednesday 02:00 (01:00 UTC).
    expect(holdDeadline(place(relay), at('2026-11-23T10:00:00Z'))).toMatchObject({
      ok: true, expiresAt: at('2026-11-25T01:00:00Z'), day: '2026-11-24', remindAt: at('2026-11-24T08:00:00Z'),
    });
  });

  it('follows an opening that runs on into the next day without a break', () => {
    const late = [...every([2], '09:00', '24:00'), ...every([3], '00:00', '02:00')];
    expect(holdDeadline(place(late), at('2026-11-23T10:00:00Z'))).toMatchObject({ ok: true, expiresAt: at('2026-11-25T01:00:00Z'), day: '2026-11-24' });
  });

  it('counts in the office’s own zone (Nouméa, UTC+11)', () => {
    const office = every([1, 2, 3, 4, 5], '07:30', '15:30');
    // 14:00 UTC on Monday 23 is already Tuesday 24 at 01:00 in Nouméa: until Wednesday 25 at 15:30 (04:30 UTC).
    expect(holdDeadline(place(office, [], '988'), at('2026-11-23T14:00:00Z'))).toMatchObject({ ok: true, expiresAt: at('2026-11-25T04:30:00Z'), day: '2026-11-25' });
    expect(deadlineWords(at('2026-11-25T04:30:00Z'), 'Pacific/Noumea', at('2026-11-23T14:00:00Z'))).toBe('mercredi 25 novembre à 15:30');
  });

  it('reminds nobody when the last day closes before 09:00', () => {
    const early = every([1, 2, 3, 4, 5], '07:00', '08:30');
    expect(holdDeadline(place(early), at('2026-11-23T10:00:00Z'))).toMatchObject({ ok: true, expiresAt: at('2026-11-24T07:30:00Z'), remindAt: null });
  });

  it('keeps a 24/7 place’s hold to the end of tomorrow', () => {
    const locker = place(every([1, 2, 3, 4, 5, 6, 7], '00:00', '24:00'), [], '75', true);
    expect(holdDeadline(locker, at('2026-11-23T10:00:00Z'))).toEqual({
      ok: true, expiresAt: at('2026-11-24T23:00:00Z'), day: '2026-11-24', remindAt: at('2026-11-24T08:00:00Z'), neverCloses: true,
    });
  });

  it('gives no deadline when the office does not open in the next 14 days, and says when it reopens', () => {
    // Closed from Tuesday 24 November to Sunday 13 December: it reopens Monday 14 December at 09:00 (08:00 UTC).
    const result = holdDeadline(place(OFFICE, [closure('2026-11-24', '2026-12-13')]), at('2026-11-23T10:00:00Z'));
    expect(result).toEqual({ ok: false, reopensAt: at('2026-12-14T08:00:00Z') });
    expect(closedUntilWords(at('2026-12-14T08:00:00Z'), 'Europe/Paris', at('2026-11-23T10:00:00Z'))).toBe('fermé jusqu’au lundi 14 décembre (réouverture à 09:00)');
    // Reopening after 14 days but the 14th day opens: a hold is possible (Monday 7 December until 18:00).
    expect(holdDeadline(place(OFFICE, [closure('2026-11-24', '2026-12-06')]), at('2026-11-23T10:00:00Z')))
      .toMatchObject({ ok: true, expiresAt: at('2026-12-07T17:00:00Z') });
  });

  it('says "until further notice" for an office closed without an end, or without hours', () => {
    expect(holdDeadline(place(OFFICE, [closure('2026-11-01', null)]), at('2026-11-23T10:00:00Z'))).toEqual({ ok: false, reopensAt: null });
    expect(holdDeadline(place([]), at('2026-11-23T10:00:00Z'))).toEqual({ ok: false, reopensAt: null });
    expect(closedUntilWords(null, 'Europe/Paris', new Date())).toBe('fermé jusqu’à nouvel ordre');
  });

  it('writes the year when the deadline falls in the next one', () => {
    expect(deadlineWords(at('2027-01-02T11:00:00Z'), 'Europe/Paris', at('2026-12-31T10:00:00Z'))).toBe('samedi 2 janvier 2027 à 12:00');
  });
});

// ---------------------------------------------------------------------------
// Properties over random offices

/** Paris and Saint-Pierre change their clocks; Cayenne, La Réunion and Nouméa do not. */
const DEPARTMENTS = ['75', '975', '973', '974', '988'] as const;
const FROM = Date.UTC(2026, 0, 1);
const TO = Date.UTC(2028, 0, 1);
const instantArb = fc.date({ min: new Date(FROM), max: new Date(TO), noInvalidDate: true }).map((d) => d.getTime());

/** 0 to 2 same-day openings per weekday, on quarter hours; some days closed. */
const simpleWeeklyArb: fc.Arbitrary<WeeklyRule[]> = fc
  .array(fc.uniqueArray(fc.integer({ min: 0, max: 96 }), { maxLength: 4 }), { minLength: 7, maxLength: 7 })
  .map((days) => days.flatMap((bounds, i) => {
    const sorted = [...bounds].sort((a, b) => a - b);
    const rules: WeeklyRule[] = [];
    for (let k = 0; k + 1 < sorted.length; k += 2) {
      const time = (q: number) => `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`;
      rules.push({ day: (i + 1) as Weekday, opens: time(sorted[k]!), closes: time(sorted[k + 1]!) });
    }
    return rules;
  }));

/** Closures of a few days to several weeks around the next 14 days, sometimes open-ended. */
const closuresArb = (firstDay: number) =>
  fc.array(fc.record({ start: fc.integer({ min: -3, max: 16 }), length: fc.option(fc.integer({ min: 0, max: 30 }), { freq: 6 }) }), { maxLength: 2 })
    .map((list) => list.map(({ start, length }) => closure(formatDay(firstDay + start), length === null ? null : formatDay(firstDay + start + length))));

const caseArb = fc.record({ now: instantArb, department: fc.constantFrom(...DEPARTMENTS) }).chain(({ now, department }) => {
  const firstDay = Math.floor(now / 86_400_000);
  return fc.record({
    now: fc.constant(now),
    schedule: fc.record({
      weekly: fc.oneof(simpleWeeklyArb, weeklyArb, fc.constant(OFFICE)),
      exceptions: fc.tuple(exceptionsArb(firstDay, 16), closuresArb(firstDay)).map(([a, b]) => [...a, ...b]),
      openOnHolidays: fc.boolean(),
    }).map(({ weekly, exceptions, openOnHolidays }) => place(weekly, exceptions, department, openOnHolidays)),
  });
});

/** The openings of each local day from today on, as instants (an opening lost in a skipped hour left out), from the engine's calendar. */
function openingsByDay(schedule: Schedule, now: number, days: number) {
  return calendar(schedule, new Date(now), days).map((day) => ({
    date: day.date,
    openings: day.intervals
      .map((i) => ({ opens: instantAt(day.date, i.opens, schedule.timeZone).getTime(), closes: instantAt(day.date, i.closes, schedule.timeZone).getTime() }))
      .filter((o) => o.closes > o.opens),
  }));
}

describe('hold deadlines over random offices (fast-check)', () => {
  it('open just before, closed just after, never today, on the first opening day after today', () => {
    const seen = { closing: 0, closed: 0 };
    fc.assert(
      fc.property(caseArb, ({ now, schedule }) => {
        const result = holdDeadline(schedule, new Date(now));
        const days = openingsByDay(schedule, now, HOLD_SEARCH_DAYS + 1);
        const today = days[0]!.date;
        expect(today).toBe(localParts(now, schedule.timeZone).date);
        const firstOpen = days.slice(1).find((d) => d.openings.length > 0);

        if (!result.ok) {
          seen.closed++;
          expect(firstOpen).toBeUndefined();
          if (result.reopensAt) {
            // A real opening after the 14 days: the office is open then, not before on any of those days.
            expect(statusAt(schedule, result.reopensAt).open).toBe(true);
            expect(localParts(result.reopensAt, schedule.timeZone).date > days.at(-1)!.date).toBe(true);
          }
          return;
        }
        expect(firstOpen).toBeDefined();
        expect(result.day).toBe(firstOpen!.date);
        const deadline = result.expiresAt.getTime();
        // Never on today's local date, never before the end of any opening of its day.
        expect(localParts(deadline, schedule.timeZone).date > today).toBe(true);
        for (const o of firstOpen!.openings) expect(deadline).toBeGreaterThanOrEqual(o.closes);
        expect(statusAt(schedule, new Date(deadline - 1)).open).toBe(true);
        if (!result.neverCloses) {
          seen.closing++;
          expect(statusAt(schedule, new Date(deadline)).open).toBe(false);
        }
        // The reminder: 09:00 on that day, when it falls between now and the deadline.
        const nine = instantAt(result.day, '09:00', schedule.timeZone).getTime();
        expect(result.remindAt?.getTime() ?? null).toBe(nine > now && nine < deadline ? nine : null);
      }),
      { numRuns: 500 },
    );
    // The generators reach both answers.
    expect(seen.closing).toBeGreaterThan(50);
    expect(seen.closed).toBeGreaterThan(0);
  });

  it('holds a reservation made at any time of an ordinary week until the next working day’s closing', () => {
    fc.assert(
      fc.property(instantArb, (now) => {
        const result = holdDeadline(place(OFFICE), new Date(now));
        if (!result.ok) throw new Error('an ordinary office always opens within 14 days');
        // Independently: the next date after today that is Monday–Saturday and not a public holiday closed by the engine's calendar.
        let date = addDays(localParts(now, 'Europe/Paris').date, 1);
        while (calendar(place(OFFICE), instantAt(date, '12:00', 'Europe/Paris'), 1)[0]!.intervals.length === 0) date = addDays(date, 1);
        const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
        expect(result.expiresAt).toEqual(instantAt(date, weekday === 6 ? '12:00' : '18:00', 'Europe/Paris'));
      }),
      { numRuns: 300 },
    );
  });
});
