/**
 * @module
 * Hours as schema.org JSON-LD for a location page
 * (`openingHoursSpecification` + `specialOpeningHoursSpecification`, read by
 * search engines).
 *
 * An interval belongs to the day it starts on, like the engine, so an
 * overnight interval is written once on its opening day (`closes` earlier
 * than `opens`). Public holidays and exceptions within the horizon become
 * special dates, with the day's hours as the engine decides them.
 *
 * It follows Google's local-business rules: a closed day is `00:00`–`00:00`,
 * the end of a day is `23:59`, never `24:00`.
 */
import { compileSchedule, planDay, type Span } from './engine';
import type { Schedule } from './model';
import { MINUTES_PER_DAY, formatDay, formatTime, localDaysAhead, weekdayOfDay } from './zoned-time';

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
  const { first, last } = localDaysAhead(from, horizonDays, compiled.timeZone);
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
