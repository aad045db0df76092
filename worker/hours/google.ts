/**
 * @module
 * Hours in Google's two formats: the Business Profile API payload
 * (`regularHours` + `specialHours`, pushed by the publication job) and the
 * schema.org JSON-LD of a location page (`openingHoursSpecification` +
 * `specialOpeningHoursSpecification`, read by Search).
 *
 * Both attach an interval to the day it starts on, like the engine, so an
 * overnight interval is written once on its opening day (Business Profile:
 * `closeDay` the next day; JSON-LD: `closes` earlier than `opens`). Public
 * holidays and exceptions within the horizon become special dates, with the
 * day's hours as the engine decides them (the exception declared last; a
 * holiday closed unless an exception opens it or the schedule is open on
 * holidays): Google asks for every holiday's hours to be confirmed.
 *
 * JSON-LD follows Google's local-business rules: a closed day is `00:00`–`00:00`,
 * the end of a day is `23:59`, never `24:00`.
 */
import { compileSchedule, planDay, type CompiledSchedule, type Span } from './engine';
import type { Schedule } from './model';
import { DAY_MS, MINUTES_PER_DAY, civilFromDays, formatDay, formatTime, localDay, weekdayOfDay } from './zoned-time';

// ---------------------------------------------------------------------------
// Google Business Profile API

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

/** The local days of the horizon that start at `from` (exact for every instant in it). */
function horizon(compiled: CompiledSchedule, from: Date, horizonDays: number): { first: number; last: number } {
  return {
    first: localDay(from.getTime(), compiled.timeZone),
    last: localDay(from.getTime() + horizonDays * DAY_MS - 1, compiled.timeZone),
  };
}

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
  const { first, last } = horizon(compiled, from, horizonDays);
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

// ---------------------------------------------------------------------------
// schema.org JSON-LD

export interface OpeningHoursSpecification {
  '@type': 'OpeningHoursSpecification';
  dayOfWeek?: string;
  validFrom?: string;
  validThrough?: string;
  opens: string;
  closes: string;
}

const SCHEMA_DAYS = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'].map(
  (d) => `https://schema.org/${d}`,
);

/** `HH:MM` for JSON-LD: the end of a day is `23:59`. */
const ldTime = (minutes: number) => (minutes >= MINUTES_PER_DAY ? '23:59' : formatTime(minutes));

/** A span past midnight that ends at or after its opening time the next day: `closes < opens` cannot say it. */
const isLong = (span: Span) => span.closes > MINUTES_PER_DAY && span.closes >= span.opens + MINUTES_PER_DAY;

/**
 * The `[opens, closes]` pairs of one day: its own spans (an overnight one as
 * `22:00`–`02:00`; one lasting 24 h or more cut at `23:59`) plus the rest of
 * the previous day's long span. A day with nothing is `00:00`–`00:00`.
 */
function ldPairs(own: Span[], previous: Span[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const s of previous) {
    if (isLong(s)) pairs.push(['00:00', ldTime(s.closes - MINUTES_PER_DAY)]);
  }
  for (const s of own) {
    if (isLong(s) || s.closes <= MINUTES_PER_DAY) pairs.push([formatTime(s.opens), ldTime(Math.min(s.closes, MINUTES_PER_DAY))]);
    else pairs.push([formatTime(s.opens), formatTime(s.closes - MINUTES_PER_DAY)]);
  }
  return pairs.length ? pairs : [['00:00', '00:00']];
}

/** `openingHoursSpecification` and `specialOpeningHoursSpecification` for a location page. */
export function openingHoursJsonLd(
  schedule: Schedule,
  from: Date,
  horizonDays = 366,
): { openingHoursSpecification: OpeningHoursSpecification[]; specialOpeningHoursSpecification: OpeningHoursSpecification[] } {
  const compiled = compileSchedule(schedule);
  const openingHoursSpecification: OpeningHoursSpecification[] = [];
  for (let day = 1; day <= 7; day++) {
    for (const [opens, closes] of ldPairs(compiled.weekly[day], compiled.weekly[day === 1 ? 7 : day - 1])) {
      openingHoursSpecification.push({ '@type': 'OpeningHoursSpecification', dayOfWeek: SCHEMA_DAYS[day], opens, closes });
    }
  }

  // Special dates: holidays and exceptions, plus the day after one of them
  // when a 24 h+ span (which JSON-LD has to cut at midnight) changed there.
  const { first, last } = horizon(compiled, from, horizonDays);
  const runs: Array<{ first: number; last: number; key: string; pairs: Array<[string, string]> }> = [];
  let previous = planDay(compiled, first - 1);
  let previousSpecial = previous.exception !== null || previous.holiday !== null;
  for (let day = first; day <= last; day++) {
    const plan = planDay(compiled, day);
    const special = plan.exception !== null || plan.holiday !== null;
    const weekdayBefore = compiled.weekly[weekdayOfDay(day - 1)];
    const spillChanged = previousSpecial && (previous.spans.some(isLong) || weekdayBefore.some(isLong));
    if (special || spillChanged) {
      const pairs = ldPairs(plan.spans, previous.spans);
      const key = JSON.stringify(pairs);
      const run = runs[runs.length - 1];
      if (run && run.key === key && run.last === day - 1) run.last = day;
      else runs.push({ first: day, last: day, key, pairs });
    }
    previous = plan;
    previousSpecial = special;
  }
  const specialOpeningHoursSpecification = runs.flatMap((run) =>
    run.pairs.map(([opens, closes]) => ({
      '@type': 'OpeningHoursSpecification' as const,
      validFrom: formatDay(run.first),
      validThrough: formatDay(run.last),
      opens,
      closes,
    })),
  );
  return { openingHoursSpecification, specialOpeningHoursSpecification };
}
