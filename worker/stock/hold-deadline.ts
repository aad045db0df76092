/**
 * @module
 * Until when a hold keeps units at an office: "you can hold one there
 * until the office closes the next day". The hold runs to the closing of
 * the office's first opening day after today (today and days are local
 * dates in the office's own time zone), as the hours engine knows its
 * calendar: weekly rules, exceptions and public holidays. The closing is
 * the end of that day's last opening, merged with whatever opening follows
 * it without a gap (the engine's `closesAt`), so at the deadline the office
 * really closes. The reminder is due at 09:00 local on that day. Pure: no
 * I/O, no clock (the caller passes `now`).
 *
 * The close cousin is worker/parcels/deadline.ts (a parcel's last day of a
 * holding period); the difference is the direction: a hold looks forward
 * from tomorrow and stops at the first opening day.
 */
import { compileSchedule, type CompiledSchedule, spansOn, statusOfCompiled } from '../hours/engine';
import type { Schedule } from '../hours/model';
import { formatDay, localParts, MINUTES_PER_DAY } from '../hours/zoned-time';

/** How many days after today a hold looks for an opening day; none within them: the office is "fermé jusqu’au …". */
export const HOLD_SEARCH_DAYS = 14;
/** How far a closed office's reopening is looked for (to say until when it is closed). */
export const REOPENING_SEARCH_DAYS = 366;
/** The reminder is due at this local minute of the last day: 09:00. */
export const REMINDER_MINUTE = 9 * 60;

export type HoldDeadline =
  | {
    ok: true;
    /** The instant the hold ends: the office closes then. */
    expiresAt: Date;
    /** Local date `YYYY-MM-DD` of the opening day the hold runs to (its closing may fall after midnight). */
    day: string;
    /** 09:00 local on `day`; null when that is not between now and the deadline (nothing useful to remind). */
    remindAt: Date | null;
    /** Open around the clock (a 24/7 place): the hold ends at the end of `day` instead of a closing. */
    neverCloses: boolean;
  }
  /** No opening day within HOLD_SEARCH_DAYS after today; `reopensAt`: its next opening after them (null: none within a year). */
  | { ok: false; reopensAt: Date | null };

/** The instants of local day `day`'s openings, leaving out an opening lost in a skipped hour (its ends at one instant). */
function openingsOn(compiled: CompiledSchedule, day: number): Array<{ opens: number; closes: number }> {
  return spansOn(compiled, day)
    .map((span) => ({ opens: compiled.clock.instant(day, span.opens), closes: compiled.clock.instant(day, span.closes) }))
    .filter((o) => o.closes > o.opens);
}

/** The first instant an opening starts on a day from `firstDay` to `lastDay`; null if none. */
function firstOpening(compiled: CompiledSchedule, firstDay: number, lastDay: number): number | null {
  for (let day = firstDay; day <= lastDay; day++) {
    const openings = openingsOn(compiled, day);
    if (openings.length) return Math.min(...openings.map((o) => o.opens));
  }
  return null;
}

/**
 * The deadline of a hold taken at `now` at an office open by `schedule`:
 * the closing of its first opening day after today's local date, within
 * HOLD_SEARCH_DAYS days; else when it reopens.
 */
export function holdDeadline(schedule: Schedule, now: Date): HoldDeadline {
  const compiled = compileSchedule(schedule);
  const at = now.getTime();
  const today = compiled.clock.localDay(at);
  const tomorrow = today + 1;
  const reminderOn = (day: number, expiresAt: number) => {
    const remind = compiled.clock.instant(day, REMINDER_MINUTE);
    return remind > at && remind < expiresAt ? new Date(remind) : null;
  };
  const endOfDay = (day: number) => compiled.clock.instant(day, MINUTES_PER_DAY);

  if (compiled.alwaysOpen) {
    const expiresAt = endOfDay(tomorrow);
    return { ok: true, expiresAt: new Date(expiresAt), day: formatDay(tomorrow), remindAt: reminderOn(tomorrow, expiresAt), neverCloses: true };
  }
  for (let day = tomorrow; day <= today + HOLD_SEARCH_DAYS; day++) {
    const openings = openingsOn(compiled, day);
    if (openings.length === 0) continue;
    const lastEnd = Math.max(...openings.map((o) => o.closes));
    // Open a moment before the day's last end: the engine follows the opening to its real closing (overnight, back to back).
    const status = statusOfCompiled(compiled, new Date(lastEnd - 1));
    if (status.open && status.closesAt === null) {
      // Open without a break past the engine's horizon: the hold keeps to the end of that day.
      const expiresAt = Math.max(lastEnd, endOfDay(day));
      return { ok: true, expiresAt: new Date(expiresAt), day: formatDay(day), remindAt: reminderOn(day, expiresAt), neverCloses: true };
    }
    const expiresAt = status.closesAt?.getTime() ?? lastEnd;
    return { ok: true, expiresAt: new Date(expiresAt), day: formatDay(day), remindAt: reminderOn(day, expiresAt), neverCloses: false };
  }
  const reopens = firstOpening(compiled, today + HOLD_SEARCH_DAYS + 1, today + REOPENING_SEARCH_DAYS);
  return { ok: false, reopensAt: reopens === null ? null : new Date(reopens) };
}

const DAY_WORDS = new Map<string, Intl.DateTimeFormat>();

/** "mardi 25 novembre" (with the year when it is not `now`'s), in `timeZone`. */
export function dayWords(instant: Date, timeZone: string, now: Date): string {
  const withYear = localParts(instant, timeZone).date.slice(0, 4) !== localParts(now, timeZone).date.slice(0, 4);
  const key = `${timeZone}|${withYear}`;
  let format = DAY_WORDS.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat('fr-FR', { timeZone, weekday: 'long', day: 'numeric', month: 'long', ...(withYear ? { year: 'numeric' } : {}) });
    DAY_WORDS.set(key, format);
  }
  return format.format(instant);
}

/** "18:00": the wall clock of `instant` in `timeZone`. */
export function clockWords(instant: Date, timeZone: string): string {
  const { minutes } = localParts(instant, timeZone);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** "mardi 25 novembre à 18:00", the office's local time: what "à retirer avant le …" says. */
export function deadlineWords(expiresAt: Date, timeZone: string, now: Date): string {
  return `${dayWords(expiresAt, timeZone, now)} à ${clockWords(expiresAt, timeZone)}`;
}

/** Why a reservation cannot be taken at a closed office, in French: "fermé jusqu’au lundi 5 janvier (réouverture à 09:00)". */
export function closedUntilWords(reopensAt: Date | null, timeZone: string, now: Date): string {
  if (!reopensAt) return 'fermé jusqu’à nouvel ordre';
  return `fermé jusqu’au ${dayWords(reopensAt, timeZone, now)} (réouverture à ${clockWords(reopensAt, timeZone)})`;
}
