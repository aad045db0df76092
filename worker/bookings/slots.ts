/**
 * @module
 * Bookable slots from an office's real hours. Pure: the schedule and `now`
 * come in, slots come out; every "is it open" is the hours engine's answer
 * (weekly rules, exceptions, public holidays, overnight openings, time zone).
 *
 * A slot of `d` minutes:
 * - starts on the office's local 15-minute grid (hh:00, :15, :30, :45 on the
 *   wall clock of its zone), strictly after `now` (a slot under way is past);
 * - lasts `d` real minutes, and the office is open during every one of them:
 *   the slot lies inside one opening, where openings that touch or overlap
 *   (09:00–12:00 then 12:00–17:00, or Monday's 22:00–26:00 then Tuesday's
 *   02:00–…) are one opening, as `statusAt` sees them;
 * - has the local date and time of its start (a Monday 22:00–26:00 opening
 *   gives Tuesday 01:00 slots: the opening belongs to Monday, the slot to
 *   the wall clock);
 * - starts within the horizon: today (the local date of `now`) and the next
 *   `days − 1` local days.
 *
 * Time changes: slots are real instants. A wall time skipped in spring
 * (02:30 in Paris on the last Sunday of March) has no instant on the grid, so
 * no slot; an hour repeated in autumn has two sets of instants, so two sets of
 * slots with the same local time. Wall times become instants, and instants
 * wall times, only through the engine's zone clock (`zoned-time.ts`).
 *
 * Cost: the schedule is compiled once per call and each day's spans looked
 * up once; a slot costs an offset look-up (a cached Map read) and two
 * labels (the date formatted once per day, the time from a table): about
 * 0.3 ms for 4 weeks of 15-minute slots of an office open 11 h a day.
 */
import { type CompiledSchedule, compileSchedule, spansOn } from '../hours/engine';
import type { Schedule } from '../hours/model';
import { DAY_MS, MINUTE_MS, MINUTES_PER_DAY, formatDay, formatTime } from '../hours/zoned-time';

/** Slots start on the office's local 15-minute grid. */
export const SLOT_MINUTES = 15;
/** Bookings are open for the next 4 weeks (today included). */
export const BOOKING_HORIZON_DAYS = 28;

const GRID_MS = SLOT_MINUTES * MINUTE_MS;

export interface Slot {
  startsAt: number;
  endsAt: number;
  /** Local date `YYYY-MM-DD` of the start. */
  date: string;
  /** Local time `HH:MM` of the start. */
  time: string;
}

export type SlotRefusal = 'past' | 'beyond_horizon' | 'off_grid' | 'closed';

export const SLOT_REFUSAL_LABELS: Record<SlotRefusal, string> = {
  past: 'Ce créneau est déjà passé.',
  beyond_horizon: `On ne peut réserver que sur les ${BOOKING_HORIZON_DAYS / 7} prochaines semaines.`,
  off_grid: 'Les créneaux commencent toutes les 15 minutes : à l’heure pile, et quart, et demie ou moins le quart.',
  closed: 'Le bureau est fermé pendant tout ou partie de ce créneau.',
};

/** An opening in instants: [start, end). */
interface Opening {
  start: number;
  end: number;
}

/**
 * The openings of the spans that start on local days `firstDay`..`lastDay`,
 * in instants, sorted, with touching or overlapping ones merged.
 */
function openingsOf(compiled: CompiledSchedule, firstDay: number, lastDay: number): Opening[] {
  const clock = compiled.clock;
  const raw: Opening[] = [];
  for (let day = firstDay; day <= lastDay; day++) {
    for (const span of spansOn(compiled, day)) {
      const start = clock.instant(day, span.opens);
      const end = clock.instant(day, span.closes);
      if (end > start) raw.push({ start, end }); // a span lost in a skipped hour opens nothing
    }
  }
  // Days come in order, but an overnight span may outlast the next day's first ones.
  raw.sort((a, b) => a.start - b.start);
  const merged: Opening[] = [];
  for (const opening of raw) {
    const last = merged[merged.length - 1];
    if (last && opening.start <= last.end) {
      if (opening.end > last.end) last.end = opening.end;
    } else merged.push({ ...opening });
  }
  return merged;
}

/** `HH:MM` of every minute of a day, built once: a listing labels a thousand slots. */
const TIME_LABELS: readonly string[] = Array.from({ length: MINUTES_PER_DAY }, (_, minute) => formatTime(minute));

/** Whether instant `ms` is on the local 15-minute grid of the schedule's zone. */
function onGrid(compiled: CompiledSchedule, ms: number): boolean {
  const wall = ms + compiled.clock.offset(ms);
  return ((wall % GRID_MS) + GRID_MS) % GRID_MS === 0;
}

/** The first instant at or after `ms` on the local grid. */
function gridAtOrAfter(compiled: CompiledSchedule, ms: number): number {
  const clock = compiled.clock;
  const offset = clock.offset(ms);
  const wall = ms + offset;
  const candidate = ms + (((GRID_MS - (wall % GRID_MS)) % GRID_MS) + GRID_MS) % GRID_MS;
  if (clock.offset(candidate) === offset) return candidate;
  // The offset changes before `candidate`: look minute by minute (at most 15 of them, near a time change only).
  for (let t = Math.ceil(ms / MINUTE_MS) * MINUTE_MS; ; t += MINUTE_MS) if (onGrid(compiled, t)) return t;
}

/** The day numbers of the horizon: today (local date of `now`) and `days − 1` more. */
function horizon(compiled: CompiledSchedule, now: Date, days: number): { first: number; last: number } {
  const first = compiled.clock.localDay(now.getTime());
  return { first, last: first + days - 1 };
}

/**
 * The spans that can hold a slot starting on days `first`..`last`: the day
 * before (its overnight spans), and after `last` as many days as the duration
 * can reach (an opening that goes on past midnight lets a late slot end then).
 */
function openingsAround(compiled: CompiledSchedule, first: number, last: number, durationMinutes: number): Opening[] {
  return openingsOf(compiled, first - 1, last + 1 + Math.ceil(durationMinutes / MINUTES_PER_DAY));
}

function checkDuration(durationMinutes: number): void {
  if (!Number.isInteger(durationMinutes) || durationMinutes <= 0) throw new RangeError(`durée en minutes attendue (entier positif) : ${durationMinutes}`);
}

/**
 * Every slot of `durationMinutes` starting after `now` within the next `days`
 * local days (today included), in the schedule's own zone: a slot starts on
 * the local 15-minute grid and lies wholly inside one opening (see the module
 * comment). Sorted by start.
 */
export function slotsOf(schedule: Schedule, durationMinutes: number, now: Date, days = BOOKING_HORIZON_DAYS): Slot[] {
  checkDuration(durationMinutes);
  if (!(days >= 1)) return [];
  const compiled = compileSchedule(schedule);
  const { first, last } = horizon(compiled, now, days);
  const clock = compiled.clock;
  const lengthMs = durationMinutes * MINUTE_MS;
  const notBefore = now.getTime() + 1; // strictly after now
  const slots: Slot[] = [];
  // Local date labels, one per day (the wall time is what `localParts` computes, with the clock already in hand).
  let labelledDay = Number.NaN;
  let dateLabel = '';
  for (const opening of openingsAround(compiled, first, last, durationMinutes)) {
    if (opening.end - opening.start < lengthMs || opening.end - lengthMs < notBefore) continue;
    let start = gridAtOrAfter(compiled, Math.max(opening.start, notBefore));
    while (start + lengthMs <= opening.end) {
      const wall = start + clock.offset(start);
      const day = Math.floor(wall / DAY_MS);
      if (day > last) break; // past the horizon (later openings too, but they are few)
      if (day !== labelledDay) {
        labelledDay = day;
        dateLabel = formatDay(day);
      }
      slots.push({ startsAt: start, endsAt: start + lengthMs, date: dateLabel, time: TIME_LABELS[Math.floor((wall - day * DAY_MS) / MINUTE_MS)]! });
      start = gridAtOrAfter(compiled, start + GRID_MS);
    }
  }
  return slots;
}

/**
 * Why a slot starting at `startsAt` (ms) cannot be booked for
 * `durationMinutes` at `now`; undefined when it can (exactly when `slotsOf`
 * lists it). The first reason that applies, in this order: past,
 * beyond the horizon, off the grid, closed.
 */
export function slotRefusal(schedule: Schedule, durationMinutes: number, startsAt: number, now: Date, days = BOOKING_HORIZON_DAYS): SlotRefusal | undefined {
  checkDuration(durationMinutes);
  if (!Number.isFinite(startsAt)) return 'off_grid';
  if (startsAt <= now.getTime()) return 'past';
  const compiled = compileSchedule(schedule);
  const { last } = horizon(compiled, now, days);
  const day = compiled.clock.localDay(startsAt);
  if (day > last) return 'beyond_horizon';
  if (!Number.isInteger(startsAt) || !onGrid(compiled, startsAt)) return 'off_grid';
  const end = startsAt + durationMinutes * MINUTE_MS;
  const inside = openingsAround(compiled, day, day, durationMinutes).some((o) => o.start <= startsAt && end <= o.end);
  return inside ? undefined : 'closed';
}

/**
 * The `count` free slots nearest to `wanted` (ms), by distance in time, the
 * earlier first on a tie; returned in that order (nearest first).
 */
export function nearestSlots(slots: readonly Slot[], wanted: number, isFree: (slot: Slot) => boolean, count = 3): Slot[] {
  return slots
    .filter(isFree)
    .sort((a, b) => Math.abs(a.startsAt - wanted) - Math.abs(b.startsAt - wanted) || a.startsAt - b.startsAt)
    .slice(0, Math.max(0, count));
}
