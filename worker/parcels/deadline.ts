/**
 * @module
 * "À retirer avant le …": the last moment a parcel waiting at a point of
 * collection can be picked up. Carriers give no such date (La Poste's
 * tracking service has none), so Guichet derives it from the holding period
 * and the place's own opening hours: a deadline that falls while the place
 * is closed would be a deadline the customer cannot meet. Pure: no I/O, no
 * clock (the arrival instant is the caller's).
 *
 * The rule: the holding period runs from the local day of arrival (day 0)
 * to day `holdingDays` inclusive, in the place's time zone. The deadline is
 * the end of the latest-ending opening of the last day of that period that
 * still opens after the arrival (an opening belongs to the day it starts
 * on, as in the hours engine, so `22:00`–`26:00` on the last day counts).
 */
import type { LocationType } from '../../db/vocabulary';
import { compileSchedule, type CompiledSchedule, spansOn } from '../hours/engine';
import type { Schedule } from '../hours/model';
import { DAY_MS, MINUTE_MS, MINUTES_PER_DAY, formatDay, formatTime } from '../hours/zoned-time';

/**
 * Days a parcel is kept, per kind of place, when the carrier does not say.
 * Published periods: 15 days at La Poste's counters (its agencies follow
 * the office rules), about 10 at a relay or shop, 3 in a locker, whose
 * compartments are few and must turn over.
 */
export const DEFAULT_HOLDING_DAYS: Record<LocationType, number> = {
  post_office: 15,
  communal_agency: 15,
  intercommunal_agency: 15,
  military_agency: 15,
  partner_relay: 10,
  parcel_shop: 10,
  parcel_locker: 3,
};

/** How far past the holding period a deadline is looked for when the place never opens within it. */
export const EXTENSION_SEARCH_DAYS = 366;

export interface CollectionDeadline {
  /** The instant the place closes for the last time within the period. */
  deadline: Date;
  /** Local date `YYYY-MM-DD` of the last opening day (the day the deadline's opening belongs to). */
  date: string;
  /** Local wall time of the deadline, counted from `date`'s midnight: `18:00`; `24:00` or `26:00` past midnight. */
  closes: string;
  /** The place never opens within the period: this is the end of its first opening day after it. */
  extended: boolean;
}

/**
 * The latest end among the openings of local day `day` that end after
 * `after`; NaN if none. An opening lost in a skipped hour (its two ends at
 * one instant) opens nothing and is left out.
 */
function latestEnd(compiled: CompiledSchedule, day: number, after: number): number {
  let end = Number.NaN;
  for (const span of spansOn(compiled, day)) {
    const stop = compiled.clock.instant(day, span.closes);
    if (stop > after && stop > compiled.clock.instant(day, span.opens) && (Number.isNaN(end) || stop > end)) end = stop;
  }
  return end;
}

function deadlineOf(compiled: CompiledSchedule, day: number, deadline: number, extended: boolean): CollectionDeadline {
  // Wall time from the instant itself: a closing written in a skipped hour is shown as the time it really is.
  const wall = deadline + compiled.clock.offset(deadline);
  const minutes = Math.round((wall - day * DAY_MS) / MINUTE_MS);
  return { deadline: new Date(deadline), date: formatDay(day), closes: formatTime(minutes), extended };
}

/**
 * The collection deadline of a parcel that arrived at `arrivedAt` at a
 * place open by `schedule`, kept `holdingDays` days (a whole number, 0 or
 * more). When the place has no opening at all within the period (closed
 * for works…), the end of its first opening day after the period, with
 * `extended: true`; null when it does not open within a year after it.
 */
export function collectionDeadline(schedule: Schedule, arrivedAt: Date, holdingDays: number): CollectionDeadline | null {
  if (!Number.isInteger(holdingDays) || holdingDays < 0) throw new RangeError(`durée de garde invalide : ${holdingDays}`);
  const compiled = compileSchedule(schedule);
  const arrived = arrivedAt.getTime();
  const firstDay = compiled.clock.localDay(arrived);
  const lastDay = firstDay + holdingDays;
  // A 24/7 locker never closes: the period ends at midnight after its last day (even if its rules run past it).
  if (compiled.alwaysOpen) return deadlineOf(compiled, lastDay, compiled.clock.instant(lastDay, MINUTES_PER_DAY), false);

  const closingOf = (day: number) => {
    const end = latestEnd(compiled, day, arrived);
    // The day before's overnight opening can outlast this day's last one: the place closes at the later end.
    const overnight = latestEnd(compiled, day - 1, arrived);
    return Number.isNaN(end) ? end : Math.max(end, Number.isNaN(overnight) ? end : overnight);
  };
  for (let day = lastDay; day >= firstDay; day--) {
    const end = closingOf(day);
    if (!Number.isNaN(end)) return deadlineOf(compiled, day, end, false);
  }
  // Closed for the whole period: the customer keeps the place's first whole opening day after it.
  for (let day = lastDay + 1; day <= lastDay + EXTENSION_SEARCH_DAYS; day++) {
    const end = closingOf(day);
    if (!Number.isNaN(end)) return deadlineOf(compiled, day, end, true);
  }
  return null;
}
