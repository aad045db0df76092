/**
 * @module
 * The opening-hours engine: is a location open at an instant, until when,
 * when does it open next, why is it closed, and what does each day look
 * like. Pure (no I/O, no clock: the caller passes the instant), so it runs
 * the same in Node and in workerd, and is cheap enough to call for a whole
 * network in one request.
 *
 * Semantics, in one place:
 * - A day's openings are decided in this order: an exception covering the
 *   date (closed → none; else its intervals), else a public holiday (closed,
 *   unless the schedule is `openOnHolidays`), else the weekly rules of that
 *   weekday.
 * - An interval belongs to the day it starts on. Monday `22:00`–`26:00` is
 *   Monday's: it stays open until Tuesday 02:00 even when Tuesday is a
 *   holiday or closed by an exception, and it disappears when Monday itself
 *   is closed. (The `opening_hours` evaluator of OpenStreetMap lets a later
 *   rule for Tuesday cut the part after midnight; `osm.ts` writes dated rules
 *   so the exported string still says what this engine says.)
 * - When several exceptions cover a date, the one declared last wins (the
 *   schedule lists them in declaration order): a works closure declared
 *   after a summer timetable closes the summer too, and a one-day strike
 *   declared inside that timetable closes its day. An open-ended closure
 *   therefore holds until something declared after it says otherwise.
 *   Compiling resolves this once into disjoint day ranges, so a look-up
 *   never compares exceptions.
 * - When closed, the reason is what decides the day: a closure names its
 *   motive; a day with special hours (a holiday opening included) is closed
 *   "outside hours", never "for the holiday".
 * - Wall times become instants by the rules of `zoned-time.ts` (a skipped
 *   time is the transition instant, a repeated time the earlier instant).
 */
import { holidayOnDay } from './holidays';
import type { CalendarDay, ClosedReason, HoursException, Interval, Schedule, Status, Weekday } from './model';
import { MINUTES_PER_DAY, type ZoneClock, dayOrNaN, formatDay, formatTime, parseDay, parseTime, weekdayOfDay, zoneClock } from './zoned-time';

/** An interval in minutes since the local midnight of its day (`closes` up to 2880). */
export interface Span {
  opens: number;
  closes: number;
}

/** An exception over the days it decides (a part of its dates when a later one covers the rest). */
export interface CompiledException {
  /** First and last local day numbers (`end` is +Infinity when open-ended). */
  start: number;
  end: number;
  closed: boolean;
  spans: Span[];
  source: HoursException;
}

/** A schedule with its times parsed once, ready for many day look-ups. */
export interface CompiledSchedule {
  timeZone: string;
  clock: ZoneClock;
  department: string;
  /** Index 1..7 (ISO weekday) → that day's spans sorted by opening. */
  weekly: Span[][];
  hasWeekly: boolean;
  /** Disjoint day ranges sorted by start, each decided by the last exception declared over it. */
  exceptions: CompiledException[];
  /** Public holidays do not close the location. */
  openOnHolidays: boolean;
  /** Open around the clock every day with nothing to interrupt it (a locker): no day needs looking at. */
  alwaysOpen: boolean;
  /** Some exception opens at least one interval (so a schedule without weekly rules may still open). */
  hasOpeningException: boolean;
}

const NO_SPANS: Span[] = [];

/** How far `statusAt` follows an opening across days, and looks for the next one. */
export const CLOSES_SEARCH_DAYS = 14;
export const OPENS_SEARCH_DAYS = 366;
export const CLOSING_SOON_MS = 30 * 60_000;

/** Parses one interval; null when unusable (stored data is validated on write: skip rather than throw mid-page). */
function toSpan(interval: Interval): Span | null {
  const opens = parseTime(interval.opens);
  const closes = parseTime(interval.closes);
  return opens >= 0 && closes > opens && closes <= 2 * MINUTES_PER_DAY ? { opens, closes } : null;
}

const bySpanStart = (a: Span, b: Span) => a.opens - b.opens || a.closes - b.closes;

function toSpans(intervals: readonly Interval[] | undefined): Span[] {
  const spans: Span[] = [];
  if (intervals) {
    for (const interval of intervals) {
      const span = toSpan(interval);
      if (span) spans.push(span);
    }
  }
  return spans.length > 1 ? spans.sort(bySpanStart) : spans;
}

/** Parses a schedule's times and dates once. Cheap (about a µs); exported for the exporters. */
export function compileSchedule(schedule: Schedule): CompiledSchedule {
  const weekly: Span[][] = [NO_SPANS, [], [], [], [], [], [], []];
  let hasWeekly = false;
  for (const rule of schedule.weekly) {
    const span = rule.day >= 1 && rule.day <= 7 ? toSpan(rule) : null;
    if (!span) continue;
    weekly[rule.day].push(span);
    hasWeekly = true;
  }
  for (let day = 1; day <= 7; day++) if (weekly[day].length > 1) weekly[day].sort(bySpanStart);

  let exceptions: CompiledException[] = [];
  let hasOpeningException = false;
  for (const source of schedule.exceptions) {
    const start = dayOrNaN(source.startDate);
    const end = source.endDate == null ? Number.POSITIVE_INFINITY : dayOrNaN(source.endDate);
    if (!(end >= start)) continue; // also skips unreadable dates (NaN)
    const spans = source.closed ? NO_SPANS : toSpans(source.intervals);
    if (spans.length > 0) hasOpeningException = true;
    exceptions = overlay(exceptions, { start, end, closed: source.closed, spans, source });
  }
  if (exceptions.length > 1) exceptions.sort((a, b) => a.start - b.start);
  const openOnHolidays = schedule.openOnHolidays === true;
  return {
    timeZone: schedule.timeZone,
    clock: zoneClock(schedule.timeZone),
    department: schedule.department.toUpperCase(),
    weekly,
    hasWeekly,
    exceptions,
    openOnHolidays,
    alwaysOpen: openOnHolidays && exceptions.length === 0 && weekly.every((spans, day) => day === 0 || spans.some((s) => s.opens === 0 && s.closes >= MINUTES_PER_DAY)),
    hasOpeningException,
  };
}

/** Lays `top` (declared later) over disjoint ranges: what it covers is cut out of them. */
function overlay(ranges: CompiledException[], top: CompiledException): CompiledException[] {
  const out: CompiledException[] = [];
  for (const range of ranges) {
    if (range.end < top.start || range.start > top.end) {
      out.push(range);
      continue;
    }
    if (range.start < top.start) out.push({ ...range, end: top.start - 1 });
    if (range.end > top.end) out.push({ ...range, start: top.end + 1 });
  }
  out.push(top);
  return out;
}

/** The exception that decides local day `day`, if any (see the precedence rule above). */
export function exceptionOn(compiled: CompiledSchedule, day: number): CompiledException | null {
  for (const e of compiled.exceptions) {
    if (e.start > day) break; // sorted and disjoint
    if (e.end >= day) return e;
  }
  return null;
}

/** The public holiday that closes local day `day` when no exception decides it, if any. */
function closingHoliday(compiled: CompiledSchedule, day: number): string | null {
  return compiled.openOnHolidays ? null : holidayOnDay(day, compiled.department);
}

/** The spans that start on local day `day` (exception, else holiday, else weekly). */
export function spansOn(compiled: CompiledSchedule, day: number): Span[] {
  const exception = exceptionOn(compiled, day);
  if (exception) return exception.spans;
  if (closingHoliday(compiled, day) !== null) return NO_SPANS;
  return compiled.weekly[weekdayOfDay(day)];
}

/**
 * The plan of local day `day` in minutes: what `dayPlan` shows, before
 * formatting. `holiday` names the day's public holiday even when it does not
 * close; `special` says the weekly rules do not decide the day.
 */
export function planDay(
  compiled: CompiledSchedule,
  day: number,
): { spans: Span[]; holiday: string | null; exception: CompiledException | null; special: boolean } {
  const exception = exceptionOn(compiled, day);
  const holiday = holidayOnDay(day, compiled.department);
  const holidayCloses = holiday !== null && !compiled.openOnHolidays;
  const spans = exception ? exception.spans : holidayCloses ? NO_SPANS : compiled.weekly[weekdayOfDay(day)];
  return { spans, holiday, exception, special: exception !== null || holidayCloses };
}

function toCalendarDay(compiled: CompiledSchedule, day: number): CalendarDay {
  const { spans, holiday, exception } = planDay(compiled, day);
  return {
    date: formatDay(day),
    weekday: weekdayOfDay(day) as Weekday,
    intervals: spans.map((s) => ({ opens: formatTime(s.opens), closes: formatTime(s.closes) })),
    holiday,
    exception: exception
      ? { id: exception.source.id, reason: exception.source.reason, note: exception.source.note ?? null, closed: exception.closed }
      : null,
  };
}

/** What local date `date` (`YYYY-MM-DD`) looks like: its openings, holiday and deciding exception. */
export function dayPlan(schedule: Schedule, date: string): CalendarDay {
  return toCalendarDay(compileSchedule(schedule), parseDay(date));
}

/** `days` consecutive local days, starting with the local date of `from`. */
export function calendar(schedule: Schedule, from: Date, days = 14): CalendarDay[] {
  const compiled = compileSchedule(schedule);
  const first = compiled.clock.localDay(from.getTime());
  return Array.from({ length: days }, (_, i) => toCalendarDay(compiled, first + i));
}

/**
 * Whether the location is open at `at`, until when, when it opens next and,
 * when closed, why. `closesAt` is the end of the whole current opening
 * (contiguous or overlapping intervals merged, across midnight); it is null
 * while open only when the opening runs past the 14-day search (a 24/7
 * locker): the location does not close in the foreseeable future.
 */
export function statusAt(schedule: Schedule, at: Date): Status {
  return statusOfCompiled(compileSchedule(schedule), at);
}

/** `statusAt` on an already compiled schedule (to answer many instants for one location). */
export function statusOfCompiled(compiled: CompiledSchedule, at: Date): Status {
  if (compiled.alwaysOpen) return { open: true, closesAt: null, opensAt: null, closingSoon: false, reason: null };
  const ms = at.getTime();
  const clock = compiled.clock;
  const today = clock.localDay(ms);

  // Open now? Only yesterday's overnight intervals and today's can contain `ms`.
  let end = Number.NaN;
  let endDay = today;
  for (let day = today - 1; day <= today && Number.isNaN(end); day++) {
    for (const span of spansOn(compiled, day)) {
      if (day < today && span.closes <= MINUTES_PER_DAY) continue;
      if (clock.instant(day, span.opens) > ms) break; // sorted: later spans start later
      const stop = clock.instant(day, span.closes);
      if (ms < stop) {
        end = stop;
        endDay = day;
        break;
      }
    }
  }

  if (!Number.isNaN(end)) {
    const closesAt = mergedEnd(compiled, end, endDay, today + CLOSES_SEARCH_DAYS);
    return {
      open: true,
      closesAt: closesAt === null ? null : new Date(closesAt),
      opensAt: null,
      closingSoon: closesAt !== null && closesAt - ms <= CLOSING_SOON_MS,
      reason: null,
    };
  }

  const opensAt = nextOpening(compiled, ms, today);
  return { open: false, closesAt: null, opensAt: opensAt === null ? null : new Date(opensAt), closingSoon: false, reason: closedReason(compiled, today, opensAt) };
}

/** Extends an opening ending at `end` with every interval that starts before it ends; null past `lastDay`. */
function mergedEnd(compiled: CompiledSchedule, end: number, fromDay: number, lastDay: number): number | null {
  const clock = compiled.clock;
  for (let day = fromDay; day <= lastDay; day++) {
    for (const span of spansOn(compiled, day)) {
      if (clock.instant(day, span.opens) > end) return end; // a gap: the opening ends here
      const stop = clock.instant(day, span.closes);
      if (stop > end) end = stop;
    }
  }
  // Nothing that starts after `lastDay` can touch an end that comes before that day begins.
  return end < clock.instant(lastDay + 1, 0) ? end : null;
}

/** First instant after `ms` at which an interval starts, within a year; null if none. */
function nextOpening(compiled: CompiledSchedule, ms: number, today: number): number | null {
  if (!compiled.hasWeekly && !compiled.hasOpeningException) return null;
  const clock = compiled.clock;
  const lastDay = today + OPENS_SEARCH_DAYS;
  for (let day = today; day <= lastDay; day++) {
    const exception = exceptionOn(compiled, day);
    if (exception?.closed) {
      // Skip the closure in one step: its range is closed to its last day (ranges are resolved).
      if (exception.end === Number.POSITIVE_INFINITY) return null;
      day = exception.end;
      continue;
    }
    for (const span of spansOn(compiled, day)) {
      const start = clock.instant(day, span.opens);
      if (start <= ms) continue;
      // An interval lost entirely in a skipped hour opens nothing.
      if (clock.instant(day, span.closes) > start) return start;
    }
  }
  return null;
}

function closedReason(compiled: CompiledSchedule, today: number, opensAt: number | null): ClosedReason {
  const exception = exceptionOn(compiled, today);
  if (exception?.closed) return { kind: 'exception', reason: exception.source.reason, note: exception.source.note ?? null };
  // Special hours decide today (a holiday opening too): closed means outside them.
  if (exception) return { kind: 'outside_hours' };
  const holiday = closingHoliday(compiled, today);
  if (holiday !== null) return { kind: 'public_holiday', name: holiday };
  if (!compiled.hasWeekly && opensAt === null) return { kind: 'no_hours' };
  return { kind: 'outside_hours' };
}

