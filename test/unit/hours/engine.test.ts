import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calendar, dayPlan, statusAt } from '../../../worker/hours/engine';
import type { HoursException, Schedule, Weekday, WeeklyRule } from '../../../worker/hours/model';
import { findDepartment } from '../../../worker/locations/departments';
import { formatTime, instantAt, localParts } from '../../../worker/hours/zoned-time';
import { scheduleArb } from './arbitraries';

const every = (days: number[], opens: string, closes: string): WeeklyRule[] => days.map((day) => ({ day: day as Weekday, opens, closes }));
const WEEK = [1, 2, 3, 4, 5, 6, 7];

function schedule(weekly: WeeklyRule[], exceptions: HoursException[] = [], department = '75'): Schedule {
  return { timeZone: findDepartment(department)!.timeZone, department, weekly, exceptions, openOnHolidays: false };
}

function exception(startDate: string, endDate: string | null, closed: boolean, intervals: Array<[string, string]> = [], extra: Partial<HoursException> = {}): HoursException {
  return {
    id: `ex-${startDate}`,
    startDate,
    endDate,
    closed,
    intervals: intervals.map(([opens, closes]) => ({ opens, closes })),
    reason: closed ? 'works' : 'holiday_schedule',
    note: closed ? 'Travaux' : null,
    ...extra,
  };
}

const at = (iso: string) => new Date(iso);
const iso = (date: Date | null) => date?.toISOString() ?? null;

const OFFICE = schedule([...every([1, 2, 3, 4, 5], '09:00', '12:00'), ...every([1, 2, 3, 4, 5], '14:00', '17:30'), ...every([6], '09:00', '12:00')]);

describe('status of a post office (Paris)', () => {
  it('is open in the morning until noon', () => {
    const status = statusAt(OFFICE, at('2026-11-24T09:00:00Z')); // Tuesday 10:00
    expect(status).toEqual({ open: true, closesAt: at('2026-11-24T11:00:00Z'), opensAt: null, closingSoon: false, reason: null });
  });

  it('is closing soon from 30 minutes before closing', () => {
    expect(statusAt(OFFICE, at('2026-11-24T10:29:59Z')).closingSoon).toBe(false);
    expect(statusAt(OFFICE, at('2026-11-24T10:30:00Z')).closingSoon).toBe(true);
    expect(statusAt(OFFICE, at('2026-11-24T10:59:59Z'))).toMatchObject({ open: true, closingSoon: true });
  });

  it('is closed at lunch (closes is exclusive, opens inclusive) and says when it reopens', () => {
    expect(statusAt(OFFICE, at('2026-11-24T11:00:00Z'))).toEqual({
      open: false, closesAt: null, opensAt: at('2026-11-24T13:00:00Z'), closingSoon: false, reason: { kind: 'outside_hours' },
    });
    expect(statusAt(OFFICE, at('2026-11-24T13:00:00Z')).open).toBe(true);
  });

  it('reopens on Monday after Saturday noon', () => {
    expect(iso(statusAt(OFFICE, at('2026-11-28T12:00:00Z')).opensAt)).toBe('2026-11-30T08:00:00.000Z');
  });

  it('is closed on a public holiday, and says which', () => {
    expect(statusAt(OFFICE, at('2026-11-11T10:00:00Z'))).toEqual({
      open: false, closesAt: null, opensAt: at('2026-11-12T08:00:00Z'), closingSoon: false,
      reason: { kind: 'public_holiday', name: 'Armistice 1918' },
    });
  });

  it('is closed by an exception, with its reason and note', () => {
    const closed = schedule(OFFICE.weekly, [exception('2026-11-24', '2026-11-25', true)]);
    expect(statusAt(closed, at('2026-11-24T09:00:00Z'))).toEqual({
      open: false, closesAt: null, opensAt: at('2026-11-26T08:00:00Z'), closingSoon: false,
      reason: { kind: 'exception', reason: 'works', note: 'Travaux' },
    });
  });

  it('opens on a holiday when an exception says so', () => {
    const opening = schedule(OFFICE.weekly, [exception('2026-11-11', '2026-11-11', false, [['09:00', '12:00']], { reason: 'public_holiday_opening' })]);
    expect(statusAt(opening, at('2026-11-11T09:00:00Z'))).toMatchObject({ open: true, closesAt: at('2026-11-11T11:00:00Z') });
    // Outside those hours the special hours are the reason: the holiday does not decide the day.
    expect(statusAt(opening, at('2026-11-11T12:00:00Z')).reason).toEqual({ kind: 'outside_hours' });
  });
});

describe('merging and searching across days', () => {
  it('merges touching and overlapping intervals into one opening', () => {
    const s = schedule([...every([2], '09:00', '12:00'), ...every([2], '12:00', '14:00'), ...every([2], '13:00', '15:00')]);
    expect(iso(statusAt(s, at('2026-11-24T09:00:00Z')).closesAt)).toBe('2026-11-24T14:00:00.000Z'); // 15:00 Paris
  });

  it('keeps a 24/7 locker open: no closing in the next 14 days', () => {
    const locker = schedule(every(WEEK, '00:00', '24:00'));
    expect(statusAt(locker, at('2026-11-24T09:00:00Z'))).toEqual({ open: true, closesAt: null, opensAt: null, closingSoon: false, reason: null });
  });

  it('finds a 24/7 locker’s next closing across days (Noël, within 14 days)', () => {
    const locker = schedule(every(WEEK, '00:00', '24:00'));
    expect(iso(statusAt(locker, at('2026-12-20T09:00:00Z')).closesAt)).toBe('2026-12-24T23:00:00.000Z');
  });

  it('keeps a 24/7 locker open on public holidays when it is open on holidays, until a closure declared for it', () => {
    const locker = { ...schedule(every(WEEK, '00:00', '24:00')), openOnHolidays: true };
    expect(statusAt(locker, at('2026-12-25T09:00:00Z'))).toEqual({ open: true, closesAt: null, opensAt: null, closingSoon: false, reason: null });
    const works = { ...locker, exceptions: [exception('2026-12-28', '2026-12-29', true)] };
    // Monday 28 December, 00:00 in Paris.
    expect(statusAt(works, at('2026-12-25T09:00:00Z'))).toMatchObject({ open: true, closesAt: at('2026-12-27T23:00:00Z') });
  });

  it('looks up to a year ahead for the next opening', () => {
    const s = schedule(OFFICE.weekly, [exception('2026-11-24', '2027-06-30', true)]);
    expect(iso(statusAt(s, at('2026-11-24T09:00:00Z')).opensAt)).toBe('2027-07-01T07:00:00.000Z');
    const never = schedule(OFFICE.weekly, [exception('2026-11-24', null, true, [], { reason: 'permanent_closure', note: null })]);
    expect(statusAt(never, at('2026-11-24T09:00:00Z'))).toMatchObject({
      open: false, opensAt: null, reason: { kind: 'exception', reason: 'permanent_closure', note: null },
    });
  });

  it('says "no hours" when there are no weekly rules and nothing ahead', () => {
    expect(statusAt(schedule([]), at('2026-11-24T09:00:00Z'))).toEqual({
      open: false, closesAt: null, opensAt: null, closingSoon: false, reason: { kind: 'no_hours' },
    });
    const special = schedule([], [exception('2026-12-01', '2026-12-01', false, [['10:00', '11:00']])]);
    expect(statusAt(special, at('2026-11-24T09:00:00Z'))).toMatchObject({ opensAt: at('2026-12-01T09:00:00Z'), reason: { kind: 'outside_hours' } });
  });
});

describe('intervals past midnight belong to the day they start on', () => {
  // Monday 13 July 2026, 22:00 → Tuesday 02:00; Tuesday 14 July is Fête nationale.
  const NIGHT = schedule([...every([1], '22:00', '26:00'), ...every([2], '09:00', '12:00')]);

  it('stays open after midnight into a public holiday', () => {
    expect(statusAt(NIGHT, at('2026-07-13T23:00:00Z'))).toMatchObject({ open: true, closesAt: at('2026-07-14T00:00:00Z') });
    expect(statusAt(NIGHT, at('2026-07-14T01:00:00Z')).reason).toEqual({ kind: 'public_holiday', name: 'Fête nationale' });
    expect(dayPlan(NIGHT, '2026-07-13').intervals).toEqual([{ opens: '22:00', closes: '26:00' }]);
    expect(dayPlan(NIGHT, '2026-07-14')).toMatchObject({ intervals: [], holiday: 'Fête nationale' });
  });

  it('stays open after midnight into a day closed by an exception', () => {
    const s = schedule(NIGHT.weekly, [exception('2026-11-24', '2026-11-24', true)]);
    expect(statusAt(s, at('2026-11-24T00:30:00Z')).open).toBe(true); // Tuesday 01:30
    expect(statusAt(s, at('2026-11-24T08:30:00Z')).reason).toMatchObject({ kind: 'exception' });
  });

  it('disappears when its own day is closed', () => {
    const s = schedule(NIGHT.weekly, [exception('2026-11-23', '2026-11-23', true)]);
    expect(statusAt(s, at('2026-11-23T21:30:00Z')).open).toBe(false); // Monday 22:30
    expect(statusAt(s, at('2026-11-24T00:30:00Z'))).toMatchObject({ open: false, reason: { kind: 'outside_hours' } }); // Tuesday 01:30
  });

  it('merges with the next morning into one opening (Sunday wraps to Monday)', () => {
    const s = schedule([...every([7], '20:00', '30:00'), ...every([1], '06:00', '10:00')]);
    expect(iso(statusAt(s, at('2026-11-22T22:00:00Z')).closesAt)).toBe('2026-11-23T09:00:00.000Z'); // Monday 10:00
  });

  it('runs up to 48:00, the end of the next day', () => {
    const s = schedule(every([6], '10:00', '48:00'));
    expect(iso(statusAt(s, at('2026-11-29T20:00:00Z')).closesAt)).toBe('2026-11-29T23:00:00.000Z');
  });
});

describe('daylight saving time', () => {
  describe('Europe/Paris, spring forward (Sunday 29 March 2026, 02:00 → 03:00)', () => {
    it('closes at the transition when closing time is skipped', () => {
      const s = schedule(every([7], '01:00', '02:30'));
      expect(statusAt(s, at('2026-03-29T00:59:00Z'))).toMatchObject({ open: true, closesAt: at('2026-03-29T01:00:00Z'), closingSoon: true });
      expect(statusAt(s, at('2026-03-29T01:00:00Z')).open).toBe(false);
    });

    it('opens at the transition when opening time is skipped', () => {
      const s = schedule(every([7], '02:30', '05:00'));
      expect(iso(statusAt(s, at('2026-03-28T23:00:00Z')).opensAt)).toBe('2026-03-29T01:00:00.000Z');
      expect(statusAt(s, at('2026-03-29T01:00:00Z'))).toMatchObject({ open: true, closesAt: at('2026-03-29T03:00:00Z') });
    });

    it('never opens an interval lost in the skipped hour', () => {
      const s = schedule(every([7], '02:15', '02:45'));
      expect(iso(statusAt(s, at('2026-03-28T23:00:00Z')).opensAt)).toBe('2026-04-05T00:15:00.000Z');
      expect(calendar(s, at('2026-03-29T10:00:00Z'), 1)[0].intervals).toEqual([{ opens: '02:15', closes: '02:45' }]);
    });

    it('ends an overnight interval in the skipped hour at the transition', () => {
      const s = schedule(every([6], '22:00', '26:30'));
      expect(statusAt(s, at('2026-03-29T00:30:00Z'))).toMatchObject({ open: true, closesAt: at('2026-03-29T01:00:00Z') });
    });
  });

  describe('Europe/Paris, fall back (Sunday 25 October 2026, 03:00 → 02:00)', () => {
    it('opens at the first 02:30 and stays open through the repeated hour', () => {
      const s = schedule(every([7], '02:30', '05:00'));
      expect(statusAt(s, at('2026-10-25T00:15:00Z'))).toMatchObject({ open: false, opensAt: at('2026-10-25T00:30:00Z') });
      expect(statusAt(s, at('2026-10-25T01:15:00Z'))).toMatchObject({ open: true, closesAt: at('2026-10-25T04:00:00Z') });
    });

    it('closes at the first 02:30, staying closed through the repeated 02:00–02:30', () => {
      const s = schedule(every([7], '01:00', '02:30'));
      expect(statusAt(s, at('2026-10-25T00:15:00Z'))).toMatchObject({ open: true, closesAt: at('2026-10-25T00:30:00Z') });
      expect(statusAt(s, at('2026-10-25T01:15:00Z')).open).toBe(false);
    });

    it('counts the long night in an overnight interval', () => {
      const s = schedule(every([6], '22:00', '28:00'));
      // Saturday 22:00 CEST (20:00Z) to Sunday 04:00 CET (03:00Z): seven hours.
      expect(statusAt(s, at('2026-10-24T20:00:00Z'))).toMatchObject({ open: true, closesAt: at('2026-10-25T03:00:00Z') });
    });
  });

  describe('America/Miquelon (2nd Sunday of March, 1st Sunday of November)', () => {
    it('closes at the transition on 8 March 2026', () => {
      const s = schedule(every([7], '01:30', '02:30'), [], '975');
      expect(statusAt(s, at('2026-03-08T04:45:00Z'))).toMatchObject({ open: true, closesAt: at('2026-03-08T05:00:00Z') });
    });

    it('stays open through the repeated hour on 7 November 2027', () => {
      // (1 November 2026 is the change too, but Toussaint closes everything.)
      const s = schedule(every([7], '01:30', '05:00'), [], '975');
      expect(statusAt(s, at('2027-11-07T04:15:00Z'))).toMatchObject({ open: true, closesAt: at('2027-11-07T08:00:00Z') });
      expect(statusAt(s, at('2026-11-01T04:15:00Z')).reason).toEqual({ kind: 'public_holiday', name: 'Toussaint' });
    });

    it('does not follow Paris’s dates', () => {
      const s = schedule(every([7], '02:00', '03:00'), [], '975');
      expect(statusAt(s, at('2026-03-29T04:30:00Z')).open).toBe(true); // 02:30 UTC−2, a normal day in Miquelon
    });
  });
});

describe('every overseas zone', () => {
  // Tuesday 16 June 2026, 12:00 UTC: no holiday anywhere.
  const INSTANT = at('2026-06-16T12:00:00Z');
  it.each([
    ['971', 'Tue 08:00'], ['972', 'Tue 08:00'], ['973', 'Tue 09:00'], ['974', 'Tue 16:00'], ['975', 'Tue 10:00'],
    ['976', 'Tue 15:00'], ['977', 'Tue 08:00'], ['978', 'Tue 08:00'], ['986', 'Wed 00:00'], ['987', 'Tue 02:00'],
    ['988', 'Tue 23:00'], ['MC', 'Tue 14:00'], ['AD', 'Tue 14:00'],
  ])('%s: it is %s there', (department, expected) => {
    const zone = findDepartment(department)!.timeZone;
    const local = localParts(INSTANT, zone);
    expect(`${['', 'Mon', 'Tue', 'Wed'][local.weekday]} ${formatTime(local.minutes)}`).toBe(expected);
    const hour = local.minutes / 60;
    const now = schedule(every([local.weekday], formatTime(hour * 60), formatTime(hour * 60 + 60)), [], department);
    expect(statusAt(now, INSTANT)).toMatchObject({ open: true, closesAt: new Date(INSTANT.getTime() + 3_600_000) });
    const later = schedule(every(WEEK, formatTime(((hour + 1) % 24) * 60), formatTime(((hour + 1) % 24) * 60 + 30)), [], department);
    expect(statusAt(later, INSTANT)).toMatchObject({ open: false, opensAt: new Date(INSTANT.getTime() + 3_600_000) });
  });
});

describe('day plans and calendar', () => {
  it('lets an exception win over a holiday, and the exception declared last win over another', () => {
    const s = schedule(OFFICE.weekly, [
      exception('2026-07-01', '2026-08-31', false, [['10:00', '12:00']]),
      exception('2026-07-15', '2026-07-15', true),
    ]);
    expect(dayPlan(s, '2026-07-14')).toMatchObject({ intervals: [{ opens: '10:00', closes: '12:00' }], holiday: 'Fête nationale', exception: { id: 'ex-2026-07-01', closed: false } });
    expect(dayPlan(s, '2026-07-15')).toMatchObject({ intervals: [], exception: { id: 'ex-2026-07-15', closed: true, reason: 'works', note: 'Travaux' } });
    expect(dayPlan(s, '2026-07-16').exception?.id).toBe('ex-2026-07-01');
    expect(dayPlan(s, '2026-09-01')).toEqual({
      date: '2026-09-01', weekday: 2, intervals: [{ opens: '09:00', closes: '12:00' }, { opens: '14:00', closes: '17:30' }], holiday: null, exception: null,
    });
  });

  it('sorts a day’s intervals', () => {
    const s = schedule([{ day: 1, opens: '14:00', closes: '17:00' }, { day: 1, opens: '08:00', closes: '12:00' }]);
    expect(dayPlan(s, '2026-11-23').intervals.map((i) => i.opens)).toEqual(['08:00', '14:00']);
  });

  it('starts the calendar on the local date (Nouméa is already tomorrow)', () => {
    const days = calendar(schedule(OFFICE.weekly, [], '988'), at('2026-06-15T20:00:00Z'));
    expect(days).toHaveLength(14);
    expect(days[0]).toMatchObject({ date: '2026-06-16', weekday: 2 });
    expect(days[13].date).toBe('2026-06-29');
  });
});

describe('consistency', () => {
  it('open ⇔ inside one of the calendar intervals (yesterday’s or today’s), and closesAt/opensAt are real boundaries', () => {
    const first = 20_400; // 2025-11-08
    fc.assert(
      fc.property(scheduleArb(first, 60), fc.integer({ min: 0, max: 60 * 86_400_000 }), (s, offset) => {
        const start = instantAt('2025-11-08', '00:00', s.timeZone).getTime();
        const t = new Date(start + offset);
        const status = statusAt(s, t);
        const days = calendar(s, new Date(t.getTime() - 86_400_000), 3);
        const inside = days.some((d) =>
          d.intervals.some((i) => instantAt(d.date, i.opens, s.timeZone) <= t && t < instantAt(d.date, i.closes, s.timeZone)),
        );
        expect(status.open).toBe(inside);
        if (status.open) {
          expect(status.opensAt).toBeNull();
          if (status.closesAt) {
            expect(status.closesAt.getTime()).toBeGreaterThan(t.getTime());
            expect(statusAt(s, status.closesAt).open).toBe(false);
            expect(statusAt(s, new Date(status.closesAt.getTime() - 1)).open).toBe(true);
          }
        } else if (status.opensAt) {
          expect(status.opensAt.getTime()).toBeGreaterThan(t.getTime());
          expect(statusAt(s, status.opensAt).open).toBe(true);
          expect(statusAt(s, new Date(status.opensAt.getTime() - 1)).open).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
