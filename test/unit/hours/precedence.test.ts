import { describe, expect, it } from 'vitest';
import { dayPlan, statusAt } from '../../../worker/hours/engine';
import type { HoursException, Schedule, Weekday, WeeklyRule } from '../../../worker/hours/model';
import { describeStatus } from '../../../worker/hours/present';

/**
 * Which exception decides a day, and what a closed location gives as its
 * reason. Expectations are written by hand from the calendar (Paris: UTC+2
 * in summer, UTC+1 in winter), not computed by the engine.
 */

const every = (days: number[], opens: string, closes: string): WeeklyRule[] => days.map((day) => ({ day: day as Weekday, opens, closes }));
const OFFICE_WEEK = [...every([1, 2, 3, 4, 5], '09:00', '12:00'), ...every([1, 2, 3, 4, 5], '14:00', '17:30'), ...every([6], '09:00', '12:00')];

function schedule(exceptions: HoursException[], extra: Partial<Schedule> = {}): Schedule {
  return { timeZone: 'Europe/Paris', department: '75', weekly: OFFICE_WEEK, exceptions, openOnHolidays: false, ...extra };
}

function exception(id: string, startDate: string, endDate: string | null, intervals: Array<[string, string]> | 'closed', reason: HoursException['reason']): HoursException {
  const closed = intervals === 'closed';
  return { id, startDate, endDate, closed, intervals: closed ? [] : intervals.map(([opens, closes]) => ({ opens, closes })), reason, note: null };
}

const SUMMER = exception('summer', '2026-07-01', '2026-08-31', [['09:00', '12:00']], 'holiday_schedule');
const WORKS = exception('works', '2026-06-20', '2026-09-30', 'closed', 'works');
const at = (iso: string) => new Date(iso);

describe('overlapping exceptions: the one declared last wins on the days they share', () => {
  it('a works closure declared after a summer timetable closes 15 July', () => {
    const s = schedule([SUMMER, WORKS]); // declaration order
    // Wednesday 15 July 2026, 10:00 in Paris.
    expect(statusAt(s, at('2026-07-15T08:00:00Z'))).toEqual({
      open: false, closesAt: null, closingSoon: false,
      // Thursday 1 October, 09:00 CEST: the first weekday after the works.
      opensAt: at('2026-10-01T07:00:00Z'),
      reason: { kind: 'exception', reason: 'works', note: null },
    });
    expect(dayPlan(s, '2026-07-15')).toMatchObject({ intervals: [], exception: { id: 'works', closed: true } });
    expect(describeStatus(statusAt(s, at('2026-07-15T08:00:00Z')), at('2026-07-15T08:00:00Z'), 'Europe/Paris')).toBe('Fermé (Travaux) · ouvre le 01/10 à 09:00');
  });

  it('a summer timetable declared after the works opens the summer mornings, the works keep the rest', () => {
    const s = schedule([WORKS, SUMMER]);
    expect(statusAt(s, at('2026-07-15T08:00:00Z'))).toMatchObject({ open: true, closesAt: at('2026-07-15T10:00:00Z') });
    expect(dayPlan(s, '2026-07-15')).toMatchObject({ intervals: [{ opens: '09:00', closes: '12:00' }], exception: { id: 'summer' } });
    // Thursday 25 June and Tuesday 1 September: only the works cover them.
    expect(dayPlan(s, '2026-06-25')).toMatchObject({ intervals: [], exception: { id: 'works' } });
    expect(dayPlan(s, '2026-09-01')).toMatchObject({ intervals: [], exception: { id: 'works' } });
    // Closed on Tuesday 30 June at 10:00: the summer timetable opens on Wednesday 1 July at 09:00.
    expect(statusAt(s, at('2026-06-30T08:00:00Z')).opensAt).toEqual(at('2026-07-01T07:00:00Z'));
  });

  it('an open-ended permanent closure stays closed over an earlier-declared special opening', () => {
    const christmasEve = exception('eve', '2026-12-24', '2026-12-24', [['09:00', '12:00']], 'holiday_schedule');
    const permanent = exception('gone', '2026-11-30', null, 'closed', 'permanent_closure');
    const s = schedule([christmasEve, permanent]);
    expect(dayPlan(s, '2026-12-24')).toMatchObject({ intervals: [], exception: { id: 'gone' } });
    // Thursday 24 December 10:00 CET, and from Monday 30 November: never opens again.
    expect(statusAt(s, at('2026-12-24T09:00:00Z'))).toMatchObject({ open: false, opensAt: null, reason: { kind: 'exception', reason: 'permanent_closure' } });
    expect(statusAt(s, at('2026-11-30T09:00:00Z'))).toMatchObject({ open: false, opensAt: null });
  });

  it('something declared after a permanent closure opens through it', () => {
    const permanent = exception('gone', '2026-11-30', null, 'closed', 'permanent_closure');
    const farewell = exception('farewell', '2026-12-05', '2026-12-05', [['10:00', '12:00']], 'event');
    const s = schedule([permanent, farewell]);
    // Saturday 5 December 10:00 CET.
    expect(statusAt(s, at('2026-11-30T09:00:00Z')).opensAt).toEqual(at('2026-12-05T09:00:00Z'));
    expect(statusAt(s, at('2026-12-05T10:00:00Z'))).toMatchObject({ open: true, closesAt: at('2026-12-05T11:00:00Z') });
    expect(statusAt(s, at('2026-12-05T11:00:00Z'))).toMatchObject({ open: false, opensAt: null });
  });

  it('looks for the next opening past an exception hidden by a later closure', () => {
    // December opening hours declared first, then a closure over the whole winter.
    const december = exception('december', '2026-12-01', '2026-12-31', [['10:00', '16:00']], 'holiday_schedule');
    const winter = exception('winter', '2026-11-24', '2027-02-28', 'closed', 'works');
    const s = schedule([december, winter]);
    // Monday 1 March 2027, 09:00 CET.
    expect(statusAt(s, at('2026-11-24T09:00:00Z')).opensAt).toEqual(at('2027-03-01T08:00:00Z'));
  });
});

describe('the closed reason names the actual state', () => {
  // Noël 2026 is a Friday: the office opens 10:00–12:00 and 14:00–16:00 that day.
  const CHRISTMAS = schedule([exception('xmas', '2026-12-25', '2026-12-25', [['10:00', '12:00'], ['14:00', '16:00']], 'public_holiday_opening')]);
  const sentence = (s: Schedule, iso: string) => describeStatus(statusAt(s, at(iso)), at(iso), 'Europe/Paris');

  it('a holiday with a special opening is open during it, never "Fermé (Noël)"', () => {
    expect(statusAt(CHRISTMAS, at('2026-12-25T10:00:00Z'))).toMatchObject({ open: true, reason: null });
    expect(sentence(CHRISTMAS, '2026-12-25T10:00:00Z')).toBe('Ouvert jusqu’à 12:00');
  });

  it('outside the special opening of a holiday, the day’s own hours are the reason, not the holiday', () => {
    expect(statusAt(CHRISTMAS, at('2026-12-25T12:00:00Z'))).toMatchObject({ open: false, reason: { kind: 'outside_hours' }, opensAt: at('2026-12-25T13:00:00Z') });
    expect(sentence(CHRISTMAS, '2026-12-25T08:00:00Z')).toBe('Fermé · ouvre aujourd’hui à 10:00');
    expect(sentence(CHRISTMAS, '2026-12-25T12:00:00Z')).toBe('Fermé · ouvre aujourd’hui à 14:00');
    expect(sentence(CHRISTMAS, '2026-12-25T16:00:00Z')).toBe('Fermé · ouvre demain à 09:00');
  });

  it('a holiday without a special opening still says so', () => {
    expect(sentence(schedule([]), '2026-12-25T10:00:00Z')).toBe('Fermé (Noël) · ouvre demain à 09:00');
  });

  it('a place open on public holidays is closed outside its hours, not for the holiday', () => {
    const shop = schedule([], { weekly: every([1, 2, 3, 4, 5, 6], '09:00', '19:00'), openOnHolidays: true });
    // Wednesday 11 November 2026 (Armistice).
    expect(statusAt(shop, at('2026-11-11T10:00:00Z'))).toMatchObject({ open: true, closesAt: at('2026-11-11T18:00:00Z') });
    expect(statusAt(shop, at('2026-11-11T19:00:00Z'))).toMatchObject({ open: false, reason: { kind: 'outside_hours' }, opensAt: at('2026-11-12T08:00:00Z') });
    expect(dayPlan(shop, '2026-11-11')).toMatchObject({ holiday: 'Armistice 1918', intervals: [{ opens: '09:00', closes: '19:00' }] });
    // The same shop without the flag closes for the holiday.
    expect(statusAt({ ...shop, openOnHolidays: false }, at('2026-11-11T10:00:00Z'))).toMatchObject({ open: false, reason: { kind: 'public_holiday', name: 'Armistice 1918' } });
  });

  it('a closure declared on a holiday gives the closure, not the holiday', () => {
    const s = schedule([exception('strike', '2026-12-25', '2026-12-28', 'closed', 'strike')]);
    expect(statusAt(s, at('2026-12-25T10:00:00Z')).reason).toEqual({ kind: 'exception', reason: 'strike', note: null });
  });
});
