/**
 * @module
 * Hours as the Google Business Profile API takes them (`regularHours` +
 * `specialHours`), pushed by the publication job and served at
 * `/locations/{id}/hours/google`.
 *
 * An interval belongs to the day it starts on, like the engine, so an
 * overnight interval is written once on its opening day, with `closeDay` the
 * next day. Public holidays and exceptions within the horizon become special
 * dates, with the day's hours as the engine decides them (the exception
 * declared last; a holiday closed unless an exception opens it or the
 * schedule is open on holidays): Google asks for every holiday's hours to be
 * confirmed.
 */
import { compileSchedule, planDay, type Span } from './engine';
import type { Schedule } from './model';
import { MINUTES_PER_DAY, civilFromDays, localDaysAhead } from './zoned-time';

export type GoogleDay = 'MONDAY' | 'TUESDAY' | 'WEDNESDAY' | 'THURSDAY' | 'FRIDAY' | 'SATURDAY' | 'SUNDAY';
export interface GoogleTime {
  hours: number;
  minutes: number;
}
export interface GoogleDate {
  year: number;
  month: number;
  day: number;
}
export interface GooglePeriod {
  openDay: GoogleDay;
  openTime: GoogleTime;
  closeDay: GoogleDay;
  closeTime: GoogleTime;
}
export interface GoogleSpecialPeriod {
  startDate: GoogleDate;
  endDate?: GoogleDate;
  openTime?: GoogleTime;
  closeTime?: GoogleTime;
  closed?: boolean;
}
export interface GoogleBusinessHours {
  regularHours: { periods: GooglePeriod[] };
  specialHours: { specialHourPeriods: GoogleSpecialPeriod[] };
}

const GOOGLE_DAYS: GoogleDay[] = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];

/** Day 1..7 plus `offset` days, as Google's name. */
const googleDay = (day: number, offset = 0): GoogleDay => GOOGLE_DAYS[(day - 1 + offset) % 7];

const time = (minutes: number): GoogleTime => ({ hours: Math.floor(minutes / 60), minutes: minutes % 60 });

/**
 * Where a span ends, as (days after its opening day, time of that day).
 * A span ending on a midnight ends at `24:00` of the day before, which Google
 * reads as "midnight at the end of the day" (open 24 h = 00:00 → 24:00).
 */
function closing(span: Span): { dayOffset: number; time: GoogleTime } {
  if (span.closes % MINUTES_PER_DAY === 0) return { dayOffset: span.closes / MINUTES_PER_DAY - 1, time: { hours: 24, minutes: 0 } };
  return { dayOffset: Math.floor(span.closes / MINUTES_PER_DAY), time: time(span.closes % MINUTES_PER_DAY) };
}

const googleDate = (day: number): GoogleDate => civilFromDays(day);

/** The Business Profile API `regularHours` and `specialHours` of a schedule. */
export function googleBusinessHours(schedule: Schedule, from: Date, horizonDays = 366): GoogleBusinessHours {
  const compiled = compileSchedule(schedule);
  const periods: GooglePeriod[] = [];
  for (let day = 1; day <= 7; day++) {
    for (const span of compiled.weekly[day]) {
      const close = closing(span);
      periods.push({ openDay: googleDay(day), openTime: time(span.opens), closeDay: googleDay(day, close.dayOffset), closeTime: close.time });
    }
  }

  const specialHourPeriods: GoogleSpecialPeriod[] = [];
  const { first, last } = localDaysAhead(from, horizonDays, compiled.timeZone);
  for (let day = first; day <= last; day++) {
    const plan = planDay(compiled, day);
    if (!plan.exception && plan.holiday === null) continue;
    if (plan.spans.length === 0) {
      specialHourPeriods.push({ startDate: googleDate(day), closed: true });
      continue;
    }
    for (const span of plan.spans) {
      const close = closing(span);
      specialHourPeriods.push({
        startDate: googleDate(day),
        ...(close.dayOffset > 0 ? { endDate: googleDate(day + close.dayOffset) } : {}),
        openTime: time(span.opens),
        closeTime: close.time,
      });
    }
  }
  return { regularHours: { periods }, specialHours: { specialHourPeriods } };
}

