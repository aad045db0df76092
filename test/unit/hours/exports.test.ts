import fc from 'fast-check';
import opening_hours from 'opening_hours';
import { describe, expect, it } from 'vitest';
import { googleBusinessHours } from '../../../worker/hours/google-business-profile';
import { openingHoursJsonLd } from '../../../worker/hours/schema-org';
import type { HoursException, Schedule, Weekday, WeeklyRule } from '../../../worker/hours/model';
import { toOpeningHours } from '../../../worker/hours/osm';
import { scheduleArb } from './arbitraries';

const every = (days: number[], opens: string, closes: string): WeeklyRule[] => days.map((day) => ({ day: day as Weekday, opens, closes }));
const OFFICE_WEEK = [...every([1, 2, 3, 4, 5], '09:00', '12:00'), ...every([1, 2, 3, 4, 5], '14:00', '17:30'), ...every([6], '09:00', '12:00')];
const schedule = (weekly: WeeklyRule[], exceptions: HoursException[] = [], department = '75', timeZone = 'Europe/Paris'): Schedule => ({
  timeZone, department, weekly, exceptions, openOnHolidays: false,
});
const exception = (startDate: string, endDate: string | null, closed: boolean, intervals: Array<[string, string]> = []): HoursException => ({
  id: startDate, startDate, endDate, closed, intervals: intervals.map(([opens, closes]) => ({ opens, closes })), reason: closed ? 'works' : 'holiday_schedule', note: null,
});
const FROM = new Date('2026-11-23T08:00:00Z');

describe('OpenStreetMap opening_hours', () => {
  it('writes weekly rules grouped by days, then holidays and exceptions as dated rules', () => {
    const s = schedule(OFFICE_WEEK, [
      exception('2026-12-24', '2026-12-24', false, [['09:00', '12:00']]),
      exception('2026-12-26', '2026-12-26', true),
      exception('2027-01-04', '2027-01-06', true),
    ]);
    expect(toOpeningHours(s, FROM, 60)).toBe(
      'Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; 2026 Dec 24 09:00-12:00; 2026 Dec 25-2026 Dec 26 off; '
        + '2027 Jan 01 off; 2027 Jan 04-2027 Jan 06 off',
    );
  });

  it('writes overnight intervals as 22:00-02:00, and keeps them when the next day changes', () => {
    const s = schedule([...every([1], '22:00', '26:00'), ...every([2], '09:00', '12:00')], [exception('2026-11-24', '2026-11-24', true)]);
    // Tuesday is closed, but Monday's night still runs to 02:00 (it is Monday's).
    expect(toOpeningHours(s, FROM, 7)).toBe('Mo 22:00-02:00, Tu 09:00-12:00; 2026 Nov 24 00:00-02:00');
  });

  it('writes 24/7 and off', () => {
    expect(toOpeningHours(schedule(every([1, 2, 3, 4, 5, 6, 7], '00:00', '24:00'), [], '971', 'America/Guadeloupe'), FROM, 20)).toBe('24/7');
    expect(toOpeningHours(schedule([]), FROM, 20)).toBe('off');
    expect(toOpeningHours(schedule([], [exception('2026-11-30', '2026-11-30', false, [['10:00', '11:00']])]), FROM, 20)).toBe('off; 2026 Nov 30 10:00-11:00');
  });

  it('follows the exception declared last on overlapping dates', () => {
    // A works closure (Tue 1–Thu 3 Dec) declared after a December timetable (Mon 30 Nov–Fri 4 Dec, 10:00–12:00).
    const timetable = exception('2026-11-30', '2026-12-04', false, [['10:00', '12:00']]);
    const works = exception('2026-12-01', '2026-12-03', true);
    expect(toOpeningHours(schedule(OFFICE_WEEK, [timetable, works]), FROM, 14)).toBe(
      'Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; 2026 Nov 30 10:00-12:00; 2026 Dec 01-2026 Dec 03 off; 2026 Dec 04 10:00-12:00',
    );
    // Declared the other way round, the timetable covers the works.
    expect(toOpeningHours(schedule(OFFICE_WEEK, [works, timetable]), FROM, 14)).toBe(
      'Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00; 2026 Nov 30-2026 Dec 04 10:00-12:00',
    );
    expect(googleBusinessHours(schedule(OFFICE_WEEK, [timetable, works]), FROM, 14).specialHours.specialHourPeriods.map((p) => [p.startDate.day, p.closed ?? p.openTime?.hours])).toEqual([
      [30, 10], [1, true], [2, true], [3, true], [4, 10],
    ]);
  });

  it('writes no holiday rule for a place open on public holidays', () => {
    const locker = { ...schedule(every([1, 2, 3, 4, 5, 6, 7], '00:00', '24:00')), openOnHolidays: true };
    expect(toOpeningHours(locker, FROM, 60)).toBe('24/7');
    const shop = { ...schedule(every([1, 2, 3, 4, 5, 6], '09:00', '19:00')), openOnHolidays: true };
    // Noël 2026 is a Friday, 1 January 2027 too: they keep the Friday hours, so nothing is dated.
    expect(toOpeningHours(shop, FROM, 60)).toBe('Mo-Sa 09:00-19:00');
    expect(toOpeningHours({ ...shop, openOnHolidays: false }, FROM, 60)).toBe('Mo-Sa 09:00-19:00; 2026 Dec 25 off; 2027 Jan 01 off');
  });

  it('is read without warnings by the reference evaluator', () => {
    const s = schedule(OFFICE_WEEK, [exception('2027-12-24', '2027-12-24', false, [['09:00', '12:00']])]);
    const saved = process.env.TZ;
    process.env.TZ = 'Europe/Paris';
    try {
      expect(new opening_hours(toOpeningHours(s, new Date('2027-11-01T08:00:00Z'), 60), null).getWarnings()).toEqual([]);
    } finally {
      process.env.TZ = saved;
    }
  });
});

describe('Google Business Profile', () => {
  it('gives regular periods with day names and times, overnight closing the next day', () => {
    const s = schedule([...every([1], '09:00', '12:00'), ...every([7], '22:00', '26:30'), ...every([3], '00:00', '24:00')]);
    expect(googleBusinessHours(s, FROM, 1).regularHours.periods).toEqual([
      { openDay: 'MONDAY', openTime: { hours: 9, minutes: 0 }, closeDay: 'MONDAY', closeTime: { hours: 12, minutes: 0 } },
      { openDay: 'WEDNESDAY', openTime: { hours: 0, minutes: 0 }, closeDay: 'WEDNESDAY', closeTime: { hours: 24, minutes: 0 } },
      { openDay: 'SUNDAY', openTime: { hours: 22, minutes: 0 }, closeDay: 'MONDAY', closeTime: { hours: 2, minutes: 30 } },
    ]);
  });

  it('turns holidays into closed special days unless an exception opens them', () => {
    const s = schedule(OFFICE_WEEK, [exception('2026-12-24', '2026-12-25', false, [['10:00', '12:00'], ['22:00', '25:00']])]);
    expect(googleBusinessHours(s, FROM, 45).specialHours.specialHourPeriods).toEqual([
      { startDate: { year: 2026, month: 12, day: 24 }, openTime: { hours: 10, minutes: 0 }, closeTime: { hours: 12, minutes: 0 } },
      { startDate: { year: 2026, month: 12, day: 24 }, endDate: { year: 2026, month: 12, day: 25 }, openTime: { hours: 22, minutes: 0 }, closeTime: { hours: 1, minutes: 0 } },
      { startDate: { year: 2026, month: 12, day: 25 }, openTime: { hours: 10, minutes: 0 }, closeTime: { hours: 12, minutes: 0 } },
      { startDate: { year: 2026, month: 12, day: 25 }, endDate: { year: 2026, month: 12, day: 26 }, openTime: { hours: 22, minutes: 0 }, closeTime: { hours: 1, minutes: 0 } },
      { startDate: { year: 2027, month: 1, day: 1 }, closed: true },
    ]);
  });
});

describe('schema.org JSON-LD', () => {
  it('writes one specification per interval, closed days as 00:00–00:00, overnight with closes < opens', () => {
    const s = schedule([...every([1], '09:00', '12:00'), ...every([5], '22:00', '26:00')]);
    const { openingHoursSpecification } = openingHoursJsonLd(s, FROM, 1);
    const day = (name: string) => openingHoursSpecification.filter((o) => o.dayOfWeek === `https://schema.org/${name}`).map((o) => `${o.opens}-${o.closes}`);
    expect(openingHoursSpecification[0]).toEqual({ '@type': 'OpeningHoursSpecification', dayOfWeek: 'https://schema.org/Monday', opens: '09:00', closes: '12:00' });
    expect(day('Tuesday')).toEqual(['00:00-00:00']);
    expect(day('Friday')).toEqual(['22:00-02:00']);
  });

  it('ends a 24-hour day at 23:59', () => {
    const s = schedule(every([1, 2, 3, 4, 5, 6, 7], '00:00', '24:00'));
    for (const o of openingHoursJsonLd(s, FROM).openingHoursSpecification) expect([o.opens, o.closes]).toEqual(['00:00', '23:59']);
  });

  it('gives holidays and exceptions as dated specifications, merging runs of identical days', () => {
    const s = schedule(OFFICE_WEEK, [exception('2026-12-24', '2026-12-24', false, [['09:00', '12:00']]), exception('2026-12-28', '2026-12-31', true)]);
    expect(openingHoursJsonLd(s, FROM, 40).specialOpeningHoursSpecification).toEqual([
      { '@type': 'OpeningHoursSpecification', validFrom: '2026-12-24', validThrough: '2026-12-24', opens: '09:00', closes: '12:00' },
      { '@type': 'OpeningHoursSpecification', validFrom: '2026-12-25', validThrough: '2026-12-25', opens: '00:00', closes: '00:00' },
      { '@type': 'OpeningHoursSpecification', validFrom: '2026-12-28', validThrough: '2027-01-01', opens: '00:00', closes: '00:00' },
    ]);
  });

  it('never contains 24:00, and always well-formed times (any schedule)', () => {
    fc.assert(
      fc.property(scheduleArb(20_400, 40), (s) => {
        const json = openingHoursJsonLd(s, new Date('2025-11-08T00:00:00Z'), 40);
        expect(JSON.stringify(json)).not.toContain('24:00');
        for (const o of [...json.openingHoursSpecification, ...json.specialOpeningHoursSpecification]) {
          expect(o.opens).toMatch(/^([01]\d|2[0-3]):[0-5]\d$/);
          expect(o.closes).toMatch(/^([01]\d|2[0-3]):[0-5]\d$/);
        }
      }),
      { numRuns: 200 },
    );
  });
});
