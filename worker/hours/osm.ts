/**
 * @module
 * Export to an OpenStreetMap `opening_hours` value, for OSM contributors and
 * the many apps that read that format. The string must say the same thing as
 * our engine at every instant of the horizon; the property test checks it
 * against the reference evaluator (`opening_hours` on npm).
 *
 * Shape: the weekly rules first (`Mo-Fr 09:00-12:00,14:00-17:30; Sa
 * 09:00-12:00`, overnight as `22:00-02:00`), then one dated rule per day (or
 * run of identical days) that differs from them, or is a closed holiday or
 * closure: `2026 Dec 24 09:00-12:00`, `2026 Dec 25 off`,
 * `2027 Jul 01-2027 Aug 31 10:00-12:00`, in date order.
 *
 * Why dated rules carry whole days of wall-clock coverage: in OSM a later
 * rule for a date replaces everything on that date, including the part after
 * midnight of the previous day's interval, whereas in Guichet that part
 * belongs to the previous day. So each dated rule lists exactly what is open
 * on that date's clock (the spill of the previous evening included, and never
 * past 24:00), and a day after a changed day gets a dated rule too when its
 * morning differs. Holidays are written as dates rather than `PH off`: the
 * evaluator's holiday tables are not ours (overseas, Alsace-Moselle, Monaco).
 * A schedule open on public holidays gets no holiday rule at all: without a
 * `PH` rule the evaluator treats a holiday as any other day, which is what
 * that schedule means. Which exception decides a date (the last declared)
 * is the engine's to say: the dated rules copy each day's resolved plan.
 *
 * Two quirks of the evaluator are worked around (the property test found
 * them): it finds "yesterday" as "24 hours ago", wrong next to a DST change,
 * so those days get a dated rule when an interval crosses midnight; and it
 * misreads short date ranges, so ranges are written with both ends in full.
 *
 * Limit: OSM times are wall-clock times; during the hour repeated when clocks
 * fall back, the string cannot say which of the two occurrences a boundary
 * is. Guichet takes the earlier one (see `zoned-time.ts`).
 */
import { compileSchedule, planDay, type Span } from './engine';
import type { Schedule } from './model';
import { DAY_MS, MINUTES_PER_DAY, civilFromDays, formatTime, localDaysAhead, weekdayOfDay } from './zoned-time';

const DAY_CODES = ['', 'Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'];
const MONTHS = ['', 'Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** One weekly interval: `22:00-02:00` when it ends within 24 h of opening, `10:00-34:00` (extended hours) otherwise. */
function weeklyRange(span: Span): string {
  const { opens, closes } = span;
  if (closes <= MINUTES_PER_DAY) return `${formatTime(opens)}-${formatTime(closes)}`;
  if (closes - MINUTES_PER_DAY < opens) return `${formatTime(opens)}-${formatTime(closes - MINUTES_PER_DAY)}`;
  return `${formatTime(opens)}-${formatTime(closes)}`;
}

/** `Mo-Fr`, `Mo,We,Fr`, `Mo-We,Sa`. */
function weekdaySelector(days: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < days.length; ) {
    let j = i;
    while (j + 1 < days.length && days[j + 1] === days[j] + 1) j++;
    parts.push(j === i ? DAY_CODES[days[i]] : j === i + 1 ? `${DAY_CODES[days[i]]},${DAY_CODES[days[j]]}` : `${DAY_CODES[days[i]]}-${DAY_CODES[days[j]]}`);
    i = j + 1;
  }
  return parts.join(',');
}

const nextWeekday = (day: number) => (day === 7 ? 1 : day + 1);

function weeklySection(weekly: Span[][]): string {
  const texts = weekly.map((spans) => spans.map(weeklyRange).join(','));
  if ([1, 2, 3, 4, 5, 6, 7].every((d) => texts[d] === '00:00-24:00')) return '24/7';
  const groups: Array<{ text: string; days: number[] }> = [];
  for (let day = 1; day <= 7; day++) {
    if (!texts[day]) continue;
    const group = groups.find((g) => g.text === texts[day]);
    if (group) group.days.push(day);
    else groups.push({ text: texts[day], days: [day] });
  }
  if (groups.length === 0) return 'off';
  let out = '';
  groups.forEach((group, index) => {
    if (index > 0) {
      // A normal rule (`;`) would wipe, on its days, the after-midnight part of
      // an earlier group's interval; an additional rule (`,`) adds to it instead.
      const spilledInto = groups
        .slice(0, index)
        .some((g) => g.days.some((d) => weekly[d].some((s) => s.closes > MINUTES_PER_DAY) && group.days.includes(nextWeekday(d))));
      out += spilledInto ? ', ' : '; ';
    }
    out += `${weekdaySelector(group.days)} ${group.text}`;
  });
  return out;
}

/**
 * What is open on one date's wall clock, in minutes within [0, 1440]: the
 * date's own intervals cut at midnight plus the previous date's spill.
 */
function coverage(own: Span[], previous: Span[]): Array<[number, number]> {
  const pieces: Array<[number, number]> = [];
  for (const s of previous) if (s.closes > MINUTES_PER_DAY) pieces.push([0, s.closes - MINUTES_PER_DAY]);
  for (const s of own) pieces.push([s.opens, Math.min(s.closes, MINUTES_PER_DAY)]);
  pieces.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [a, b] of pieces) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return merged;
}

const coverageText = (pieces: Array<[number, number]>) =>
  pieces.length === 0 ? 'off' : pieces.map(([a, b]) => `${formatTime(a)}-${formatTime(b)}`).join(',');

/**
 * `2026 Dec 24`, or a range with both ends in full: `2026 Dec 24-2026 Dec 26`.
 * Shorter forms are valid OSM but the evaluator gets them wrong: it rejects
 * `2026 Jul 01-Aug 31` and ignores `2027 Feb 01-28` (a whole February).
 */
function dateSelector(first: number, last: number): string {
  const format = (day: number) => {
    const { year, month, day: dom } = civilFromDays(day);
    return `${year} ${MONTHS[month]} ${String(dom).padStart(2, '0')}`;
  };
  return first === last ? format(first) : `${format(first)}-${format(last)}`;
}

/**
 * The schedule as an OSM `opening_hours` value, exact for every instant in
 * [`from`, `from` + `horizonDays` days). Beyond the horizon it falls back to
 * the weekly rules.
 */
export function toOpeningHours(schedule: Schedule, from: Date, horizonDays = 366): string {
  const compiled = compileSchedule(schedule);
  const { first: firstDay, last: lastDay } = localDaysAhead(from, horizonDays, schedule.timeZone);

  const rules: string[] = [];
  let run: { first: number; last: number; text: string } | null = null;
  const flush = () => {
    if (run) rules.push(`${dateSelector(run.first, run.last)} ${run.text}`);
    run = null;
  };

  // The evaluator finds "yesterday" as "24 hours ago", which is two days back
  // early on the day after a 23-hour day, and today late on a 25-hour day: it
  // then applies the wrong day's after-midnight part. A dated rule for such a
  // day replaces every after-midnight part, so write one whenever some weekly
  // interval runs past midnight.
  const spills = compiled.weekly.some((spans) => spans.some((s) => s.closes > MINUTES_PER_DAY));
  const dayLength = (day: number) => compiled.clock.instant(day + 1, 0) - compiled.clock.instant(day, 0);
  const nearClockChange = (day: number) => dayLength(day - 1) !== DAY_MS || dayLength(day) !== DAY_MS;

  // What the weekly rules alone put on each weekday's clock (index 1..7).
  const weeklyTexts = [1, 2, 3, 4, 5, 6, 7].map((d) => coverageText(coverage(compiled.weekly[d], compiled.weekly[d === 1 ? 7 : d - 1])));

  let previous = planDay(compiled, firstDay - 1);
  for (let day = firstDay; day <= lastDay; day++) {
    const plan = planDay(compiled, day);
    const special = plan.special;
    const previousSpecial = previous.special;
    const previousSpans = previous.spans;
    previous = plan;
    // A day and its eve both on weekly rules: its clock is the weekly one.
    const fragile = spills && nearClockChange(day);
    if (!special && !previousSpecial && !fragile) {
      flush();
      continue;
    }
    const text = coverageText(coverage(plan.spans, previousSpans));
    // Write the days that differ from the weekly rules, and every closed holiday
    // or closure even when the weekly rules agree (a Sunday Noël), for readers.
    const notable = special && text === 'off';
    if (text === weeklyTexts[weekdayOfDay(day) - 1] && !notable && !fragile) {
      flush();
      continue;
    }
    if (run && run.text === text && run.last === day - 1) run.last = day;
    else {
      flush();
      run = { first: day, last: day, text };
    }
  }
  flush();
  // `24/7` reads best, but the evaluator warns when dated rules follow it.
  const weekly = weeklySection(compiled.weekly);
  return [weekly === '24/7' && rules.length ? 'Mo-Su 00:00-24:00' : weekly, ...rules].join('; ');
}
