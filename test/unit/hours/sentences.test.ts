import { describe, expect, it } from 'vitest';
import type { HoursException, Schedule, Weekday, WeeklyRule } from '../../../worker/hours/model';
import { presentStatus } from '../../../worker/hours/present';

/**
 * The French sentences people read, pinned word for word. Instants are
 * given in UTC with the local time beside them (Paris: UTC+1 in winter,
 * UTC+2 in summer; Réunion: UTC+4).
 */

const every = (days: number[], opens: string, closes: string): WeeklyRule[] => days.map((day) => ({ day: day as Weekday, opens, closes }));
const WEEKDAYS = [1, 2, 3, 4, 5];
const OFFICE = [...every(WEEKDAYS, '09:00', '12:00'), ...every(WEEKDAYS, '14:00', '17:30'), ...every([6], '09:00', '12:00')];

const paris = (weekly: WeeklyRule[], exceptions: HoursException[] = [], openOnHolidays = false): Schedule => ({
  timeZone: 'Europe/Paris', department: '75', weekly, exceptions, openOnHolidays,
});
const closure = (startDate: string, endDate: string | null, reason: HoursException['reason']): HoursException => ({
  id: `x-${startDate}`, startDate, endDate, closed: true, intervals: [], reason, note: 'Un mot au public',
});
const say = (schedule: Schedule, iso: string) => presentStatus('TEST', schedule, new Date(iso)).summary;

describe('French status sentences', () => {
  it('open, until when', () => {
    expect(say(paris(OFFICE), '2026-11-24T09:00:00Z')).toBe('Ouvert jusqu’à 12:00'); // Tuesday 10:00
    expect(say(paris(OFFICE), '2026-11-24T14:00:00Z')).toBe('Ouvert jusqu’à 17:30'); // Tuesday 15:00
  });

  it('closing soon, in the last 30 minutes', () => {
    expect(say(paris(OFFICE), '2026-11-24T15:59:00Z')).toBe('Ouvert jusqu’à 17:30'); // 16:59: 31 minutes left
    expect(say(paris(OFFICE), '2026-11-24T16:10:00Z')).toBe('Ferme bientôt, à 17:30'); // 17:10
  });

  it('closed, and when it opens: today, tomorrow, a weekday, a date beyond a week', () => {
    expect(say(paris(OFFICE), '2026-11-24T11:30:00Z')).toBe('Fermé · ouvre aujourd’hui à 14:00'); // Tuesday 12:30
    expect(say(paris(OFFICE), '2026-11-24T17:00:00Z')).toBe('Fermé · ouvre demain à 09:00'); // Tuesday 18:00
    expect(say(paris(OFFICE), '2026-11-28T12:00:00Z')).toBe('Fermé · ouvre lundi à 09:00'); // Saturday 13:00
    // Wednesday 13 May 2026, 18:00 CEST; Thursday 14 is Ascension.
    expect(say(paris(OFFICE), '2026-05-13T16:00:00Z')).toBe('Fermé · ouvre vendredi à 09:00');
    const works = paris(OFFICE, [closure('2026-11-24', '2026-12-06', 'works')]);
    expect(say(works, '2026-11-24T09:00:00Z')).toBe('Fermé (Travaux) · ouvre le 07/12 à 09:00');
  });

  it('closed for a public holiday', () => {
    expect(say(paris(OFFICE), '2026-12-25T09:00:00Z')).toBe('Fermé (Noël) · ouvre demain à 09:00'); // Friday
    expect(say(paris(every(WEEKDAYS, '09:00', '17:00')), '2026-12-25T09:00:00Z')).toBe('Fermé (Noël) · ouvre lundi à 09:00');
    expect(say(paris(OFFICE), '2026-05-14T08:00:00Z')).toBe('Fermé (Ascension) · ouvre demain à 09:00');
  });

  it('closed by an exception, for good, or without hours', () => {
    expect(say(paris(OFFICE, [closure('2026-11-24', '2026-11-24', 'strike')]), '2026-11-24T09:00:00Z')).toBe('Fermé (Mouvement social) · ouvre demain à 09:00');
    expect(say(paris(OFFICE, [closure('2026-11-24', '2026-11-24', 'other')]), '2026-11-24T09:00:00Z')).toBe('Fermé (Fermeture exceptionnelle) · ouvre demain à 09:00');
    expect(say(paris(OFFICE, [closure('2026-11-01', null, 'permanent_closure')]), '2026-11-24T09:00:00Z')).toBe('Fermé (Fermeture définitive)');
    expect(say(paris([]), '2026-11-24T09:00:00Z')).toBe('Fermé (Horaires non communiqués)');
  });

  it('around the clock, and past midnight', () => {
    expect(say(paris(every([1, 2, 3, 4, 5, 6, 7], '00:00', '24:00'), [], true), '2026-12-25T09:00:00Z')).toBe('Ouvert');
    const night = paris(every([5], '22:00', '26:00'));
    expect(say(night, '2026-11-27T22:00:00Z')).toBe('Ouvert jusqu’à 02:00 demain'); // Friday 23:00
    expect(say(night, '2026-11-28T00:45:00Z')).toBe('Ferme bientôt, à 02:00'); // Saturday 01:45
  });

  it('in the location’s own time zone (Réunion, UTC+4)', () => {
    const reunion: Schedule = { timeZone: 'Indian/Reunion', department: '974', weekly: every(WEEKDAYS, '07:30', '15:00'), exceptions: [], openOnHolidays: false };
    expect(say(reunion, '2026-11-24T05:00:00Z')).toBe('Ouvert jusqu’à 15:00'); // 09:00 there
    expect(say(reunion, '2026-11-24T12:00:00Z')).toBe('Fermé · ouvre demain à 07:30'); // 16:00 there
    // 20 December is Abolition de l’esclavage in Réunion only (a Sunday in 2026; Monday 20 December 2027).
    expect(say(reunion, '2027-12-20T05:00:00Z')).toBe('Fermé (Abolition de l’esclavage) · ouvre demain à 07:30');
  });
});
