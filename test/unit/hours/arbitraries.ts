/**
 * @module
 * fast-check generators of valid schedules (weekly rules with several
 * intervals and overnight ones, closures and special-hours exceptions,
 * ranges and open-ended ones, overlapping in any declaration order; open on
 * public holidays or not), shared by the hours property tests.
 * Times are on quarter hours so boundaries often land on DST edges
 * (02:00, 03:00) and on each other.
 */
import fc from 'fast-check';
import type { HoursException, Interval, Schedule, Weekday, WeeklyRule } from '../../../worker/hours/model';
import { findDepartment } from '../../../worker/locations/departments';
import { formatDay, formatTime } from '../../../worker/hours/zoned-time';

export const PROPERTY_DEPARTMENTS = ['75', '67', '971', '974', '975', 'MC'] as const;

const quarters = (maxLength: number) =>
  fc.uniqueArray(fc.integer({ min: 0, max: 96 }), { maxLength }).map((qs) => qs.sort((a, b) => a - b).map((q) => q * 15));

/** Sorted, non-overlapping same-day intervals (minutes), from pairs of distinct boundaries. */
const dayIntervals = (maxIntervals: number) =>
  quarters(maxIntervals * 2).map((bounds) => {
    const out: Array<[number, number]> = [];
    for (let i = 0; i + 1 < bounds.length; i += 2) out.push([bounds[i], bounds[i + 1]]);
    return out;
  });

/** An optional overnight interval: opens at a quarter (after the day's own intervals), spills up to a limit. */
const overnight = fc.option(fc.record({ opens: fc.integer({ min: 0, max: 95 }), spill: fc.integer({ min: 1, max: 96 }) }), { freq: 2 });

const toInterval = ([opens, closes]: [number, number]): Interval => ({ opens: formatTime(opens), closes: formatTime(closes) });

export const weeklyArb: fc.Arbitrary<WeeklyRule[]> = fc
  .tuple(fc.array(dayIntervals(3), { minLength: 7, maxLength: 7 }), fc.array(overnight, { minLength: 7, maxLength: 7 }))
  .map(([days, nights]) => {
    const spans = days.map((d) => [...d]);
    // Overnight openings first (they bound the previous day's spill), then spills.
    const lateOpens = spans.map((d, i) => {
      const night = nights[i];
      if (!night) return null;
      const lastEnd = d.length ? d[d.length - 1][1] : 0;
      const opens = Math.max(lastEnd, night.opens * 15);
      return opens < 1440 ? opens : null;
    });
    const rules: WeeklyRule[] = [];
    for (let i = 0; i < 7; i++) {
      const next = (i + 1) % 7;
      for (const span of spans[i]) rules.push({ day: (i + 1) as Weekday, ...toInterval(span) });
      const opens = lateOpens[i];
      if (opens === null) continue;
      const nextFirst = Math.min(spans[next][0]?.[0] ?? 1440, lateOpens[next] ?? 1440);
      const spill = Math.min(nights[i]!.spill * 15, nextFirst);
      rules.push({ day: (i + 1) as Weekday, ...toInterval([opens, 1440 + spill]) });
    }
    return rules;
  });

/** Exceptions starting within `spanDays` days after `firstDay` (a day number). */
export const exceptionsArb = (firstDay: number, spanDays: number): fc.Arbitrary<HoursException[]> =>
  fc.array(
    fc.record({
      start: fc.integer({ min: -3, max: spanDays }),
      length: fc.option(fc.integer({ min: 0, max: 12 }), { freq: 8 }),
      closed: fc.boolean(),
      intervals: dayIntervals(2),
      night: overnight,
      reason: fc.constantFrom('works' as const, 'public_holiday_opening' as const, 'strike' as const),
    }),
    { maxLength: 3 },
  ).map((list) =>
    list.map((e, i): HoursException => {
      const intervals = e.intervals.map(toInterval);
      if (!e.closed && e.night) {
        const lastEnd = e.intervals.length ? e.intervals[e.intervals.length - 1][1] : 0;
        const opens = Math.max(lastEnd, e.night.opens * 15);
        // Over a range, the spill reaches the next day's copy of the same intervals.
        const limit = e.intervals[0]?.[0] ?? opens;
        const spill = Math.min(e.night.spill * 15, limit);
        if (opens < 1440) intervals.push(toInterval([opens, 1440 + spill]));
      }
      if (!e.closed && intervals.length === 0) intervals.push({ opens: '10:00', closes: '12:00' });
      return {
        id: `ex${i}`,
        startDate: formatDay(firstDay + e.start),
        endDate: e.length === null ? null : formatDay(firstDay + e.start + e.length),
        closed: e.closed,
        intervals: e.closed ? [] : intervals,
        reason: e.reason,
        note: null,
      };
    }),
  );

export const scheduleArb = (firstDay: number, spanDays: number): fc.Arbitrary<Schedule> =>
  fc.record({
    department: fc.constantFrom(...PROPERTY_DEPARTMENTS),
    weekly: weeklyArb,
    exceptions: exceptionsArb(firstDay, spanDays),
    openOnHolidays: fc.boolean(),
  }).map(({ department, weekly, exceptions, openOnHolidays }) => ({
    department,
    timeZone: findDepartment(department)!.timeZone,
    weekly,
    exceptions,
    openOnHolidays,
  }));
