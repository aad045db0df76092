/**
 * @module
 * Instants ↔ local wall-clock time in an IANA zone, with nothing but
 * `Intl.DateTimeFormat` (the Workers runtime has no tz library, and we want
 * none): hours are stored as local times, while "now" is an instant.
 *
 * How: the UTC offset of a zone is constant for long stretches, so we ask
 * Intl once per zone and per UTC day (at the day's two ends) and cache the
 * answer; on a day where the offset changes we find the transition minute by
 * bisection and cache that too. After warm-up a conversion is a couple of Map
 * look-ups and some arithmetic, never a formatter call. (Assumption: at most
 * one offset change per UTC day, true of every zone we serve.)
 *
 * Two rules make every wall time map to exactly one instant:
 * - a wall time that does not exist (the hour skipped when clocks spring
 *   forward) resolves to the transition instant, i.e. the first instant that
 *   exists after it: `02:30` on the last Sunday of March in Paris is 03:00 CEST;
 * - a wall time that happens twice (the hour repeated when clocks fall back)
 *   resolves to the earlier of the two instants: `02:30` on the last Sunday of
 *   October in Paris is 02:30 CEST, not 02:30 CET.
 *
 * Dates are `YYYY-MM-DD` strings at the edges; inside, the engine counts whole
 * days since 1970-01-01 ("day numbers"), which is cheaper than strings.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
export const MINUTES_PER_DAY = 1440;

export interface LocalParts {
  /** Local date `YYYY-MM-DD`. */
  date: string;
  /** Minutes since local midnight, 0..1439. */
  minutes: number;
  /** ISO weekday, Monday = 1 … Sunday = 7. */
  weekday: number;
}

// ---------------------------------------------------------------------------
// Calendar arithmetic on day numbers (proleptic Gregorian, H. Hinnant's algorithms)

/** Day number (days since 1970-01-01) of a civil date. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Civil date of a day number. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Year of a day number (for the holiday cache), without building a date. */
export function yearOfDay(days: number): number {
  return civilFromDays(days).year;
}

/** ISO weekday (Monday = 1) of a day number: 1970-01-01 was a Thursday. */
export function weekdayOfDay(days: number): number {
  return ((((days + 3) % 7) + 7) % 7) + 1;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `YYYY-MM-DD` of a day number. */
export function formatDay(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Day number of a real calendar date written `YYYY-MM-DD`, or NaN (for
 * `2026-02-30`, `2026-1-01`, …). Character arithmetic: schedules carry many dates.
 */
export function dayOrNaN(date: string): number {
  if (typeof date !== 'string' || date.length !== 10 || date.charCodeAt(4) !== 45 || date.charCodeAt(7) !== 45) return Number.NaN;
  let year = 0;
  for (let i = 0; i < 4; i++) {
    const d = date.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    year = year * 10 + d;
  }
  const m1 = date.charCodeAt(5) - 48;
  const m2 = date.charCodeAt(6) - 48;
  const d1 = date.charCodeAt(8) - 48;
  const d2 = date.charCodeAt(9) - 48;
  if (m1 < 0 || m1 > 9 || m2 < 0 || m2 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return Number.NaN;
  const month = m1 * 10 + m2;
  const day = d1 * 10 + d2;
  if (month < 1 || month > 12 || day < 1 || day > (month === 2 && isLeap(year) ? 29 : MONTH_DAYS[month])) return Number.NaN;
  return daysFromCivil(year, month, day);
}

/** True for a real calendar date written `YYYY-MM-DD` (rejects 2026-02-30). */
export function isValidDate(date: string): boolean {
  return !Number.isNaN(dayOrNaN(date));
}

/** Day number of a `YYYY-MM-DD` date; throws RangeError on anything else. */
export function parseDay(date: string): number {
  const day = dayOrNaN(date);
  if (Number.isNaN(day)) throw new RangeError(`date attendue au format AAAA-MM-JJ : « ${date} »`);
  return day;
}

/** `date` plus `days` calendar days (negative to go back). */
export function addDays(date: string, days: number): string {
  return formatDay(parseDay(date) + days);
}

/** ISO weekday (Monday = 1 … Sunday = 7) of a `YYYY-MM-DD` date. */
export function weekdayOfDate(date: string): number {
  return weekdayOfDay(parseDay(date));
}

/** Minutes since midnight of `HH:MM`; hours may exceed 23 (`26:00` = 1560). NaN if malformed. */
export function parseTime(time: string): number {
  // Character arithmetic rather than a RegExp: this runs for every rule of every schedule read.
  if (typeof time !== 'string' || time.length !== 5 || time.charCodeAt(2) !== 58 /* : */) return NaN;
  const h1 = time.charCodeAt(0) - 48;
  const h2 = time.charCodeAt(1) - 48;
  const m1 = time.charCodeAt(3) - 48;
  const m2 = time.charCodeAt(4) - 48;
  if (h1 < 0 || h1 > 9 || h2 < 0 || h2 > 9 || m1 < 0 || m1 > 5 || m2 < 0 || m2 > 9) return NaN;
  return (h1 * 10 + h2) * 60 + m1 * 10 + m2;
}

/** `HH:MM` of minutes since midnight (may exceed `24:00`). */
export function formatTime(minutes: number): string {
  return `${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`;
}

// ---------------------------------------------------------------------------
// UTC offsets, cached per zone and per UTC day

interface DayOffsets {
  /** Offset (local − UTC, in ms) at the start of the UTC day. */
  before: number;
  /** Offset from `transition` on (equal to `before` on most days). */
  after: number;
  /** Instant (ms) the offset changes; +Infinity when it does not change this day. */
  transition: number;
}

/** Offset (ms) of the zone at an instant, asking Intl (the slow path, cached by the callers). */
function intlOffset(formatter: Intl.DateTimeFormat, ms: number): number {
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const part of formatter.formatToParts(ms)) {
    switch (part.type) {
      case 'year': year = Number(part.value); break;
      case 'month': month = Number(part.value); break;
      case 'day': day = Number(part.value); break;
      case 'hour': hour = Number(part.value); break;
      case 'minute': minute = Number(part.value); break;
      case 'second': second = Number(part.value); break;
      case 'era': bc = part.value.startsWith('B'); break;
    }
  }
  if (bc) year = 1 - year;
  const wall = daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000;
  const whole = ms - (((ms % 1000) + 1000) % 1000); // Intl shows whole seconds
  return wall - whole;
}

/**
 * The clock of one zone: conversions with their caches. Get it with
 * `zoneClock(zone)` (one per zone, ever); the engine keeps it with a compiled
 * schedule so a conversion does not even look the zone up.
 */
export class ZoneClock {
  readonly zone: string;
  private readonly formatter: Intl.DateTimeFormat;
  private readonly days = new Map<number, DayOffsets>();
  /** Per local day: its one offset when no transition is anywhere near it, else NaN. */
  private readonly steadyDays = new Map<number, number>();

  constructor(zone: string) {
    this.zone = zone;
    // One formatter per zone, ever: building one costs far more than using it.
    this.formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  private dayOffsets(day: number): DayOffsets {
    let entry = this.days.get(day);
    if (entry) return entry;
    const start = day * DAY_MS;
    const before = intlOffset(this.formatter, start);
    const after = intlOffset(this.formatter, start + DAY_MS);
    let transition = Number.POSITIVE_INFINITY;
    if (before !== after) {
      // Bisect to the first minute with the new offset (transitions fall on whole minutes).
      let lo = 0; // minutes after `start` known to have `before`
      let hi = MINUTES_PER_DAY; // known to have `after`
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (intlOffset(this.formatter, start + mid * MINUTE_MS) === before) lo = mid;
        else hi = mid;
      }
      transition = start + hi * MINUTE_MS;
    }
    entry = { before, after, transition };
    this.days.set(day, entry);
    return entry;
  }

  /** UTC offset at instant `ms`, in ms (local = UTC + offset). */
  offset(ms: number): number {
    const entry = this.dayOffsets(Math.floor(ms / DAY_MS));
    return ms < entry.transition ? entry.before : entry.after;
  }

  /** Local day number of instant `ms`. */
  localDay(ms: number): number {
    return Math.floor((ms + this.offset(ms)) / DAY_MS);
  }

  /**
   * The instant (ms) of minute `minutes` of local day `day`. `minutes` may be
   * 1440 or more: that many minutes past the day's midnight, read on the wall
   * clock of the following day. Skipped times resolve to the transition,
   * repeated times to the earlier instant (see the module comment).
   */
  instant(day: number, minutes: number): number {
    if (minutes >= MINUTES_PER_DAY) {
      day += Math.floor(minutes / MINUTES_PER_DAY);
      minutes %= MINUTES_PER_DAY;
    }
    // Fast path: on an ordinary day (no transition near it) local = UTC + one offset.
    let steady = this.steadyDays.get(day);
    if (steady === undefined) {
      steady = this.steadyOffset(day);
      this.steadyDays.set(day, steady);
    }
    const wall = day * DAY_MS + minutes * MINUTE_MS;
    if (!Number.isNaN(steady)) return wall - steady;

    // Offsets a day either side bracket every offset that can apply to `wall`
    // (real offsets stay within ±14 h).
    const early = this.offset(wall - DAY_MS);
    const late = this.offset(wall + DAY_MS);
    const fromEarly = wall - early;
    const fromLate = wall - late;
    const earlyFits = this.offset(fromEarly) === early;
    const lateFits = this.offset(fromLate) === late;
    if (earlyFits && lateFits) return Math.min(fromEarly, fromLate); // repeated hour: the earlier one
    if (earlyFits) return fromEarly;
    if (lateFits) return fromLate;
    // Skipped hour: the transition lies between the two candidates.
    const lo = Math.min(fromEarly, fromLate);
    const hi = Math.max(fromEarly, fromLate);
    for (let d = Math.floor(lo / DAY_MS); d <= Math.floor(hi / DAY_MS); d++) {
      const t = this.dayOffsets(d).transition;
      if (t >= lo && t <= hi) return t;
    }
    return fromEarly; // unreachable with real zone data; keep a defined answer
  }

  /** The offset of local day `day` if the UTC days around it (which contain all of it) share one offset, else NaN. */
  private steadyOffset(day: number): number {
    const offset = this.dayOffsets(day - 1).before;
    for (let d = day - 1; d <= day + 1; d++) {
      const entry = this.dayOffsets(d);
      if (entry.before !== offset || entry.after !== offset) return Number.NaN;
    }
    return offset;
  }
}

const clocks = new Map<string, ZoneClock>();

/** The (cached) clock of an IANA zone. Throws RangeError on an unknown zone. */
export function zoneClock(zone: string): ZoneClock {
  let clock = clocks.get(zone);
  if (!clock) {
    clock = new ZoneClock(zone);
    clocks.set(zone, clock);
  }
  return clock;
}

/** The local day numbers from instant `from` to `days` × 24 h later (exact for every instant in between). */
export function localDaysAhead(from: Date, days: number, zone: string): { first: number; last: number } {
  const clock = zoneClock(zone);
  return { first: clock.localDay(from.getTime()), last: clock.localDay(from.getTime() + days * DAY_MS - 1) };
}

/** Local date, minute of day and ISO weekday of an instant in `zone`. */
export function localParts(instant: Date | number, zone: string): LocalParts {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const wall = ms + zoneClock(zone).offset(ms);
  const day = Math.floor(wall / DAY_MS);
  return {
    date: formatDay(day),
    minutes: Math.floor((wall - day * DAY_MS) / MINUTE_MS),
    weekday: weekdayOfDay(day),
  };
}

const TIME_RE = /^(\d{2}):([0-5]\d)$/;

/**
 * The instant of local `time` on local `date` in `zone`. `time` is `HH:MM`
 * from 00:00 to 48:00: `26:30` is 02:30 on the next day's wall clock, `48:00`
 * the end of the next day.
 */
export function instantAt(date: string, time: string, zone: string): Date {
  const m = TIME_RE.exec(time);
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
  if (!(minutes <= 2 * MINUTES_PER_DAY)) throw new RangeError(`heure attendue au format HH:MM (00:00 à 48:00) : « ${time} »`);
  return new Date(zoneClock(zone).instant(parseDay(date), minutes));
}
