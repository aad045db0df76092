/**
 * @module
 * The opening-hours model: what is stored per location (local wall-clock
 * times, never instants) and what the engine answers. Pure types.
 *
 * Times are `HH:MM` strings. An interval's `closes` is strictly after its
 * `opens` on the same timeline, and may go past midnight up to `48:00`:
 * `22:00`–`26:00` is open until 02:00 the next morning. Empty (`09:00–09:00`)
 * and inverted (`12:00–09:00`) intervals are invalid.
 */

import { EXCEPTION_REASONS, type ExceptionReason, type Interval, type Weekday, type WeeklyRule } from '../../db/vocabulary';

// The stored shapes and codes are defined beside the schema (db/ imports nothing from worker/).
export { EXCEPTION_REASONS, type ExceptionReason, type Interval, type Weekday, type WeeklyRule };

export const EXCEPTION_REASON_LABELS: Record<ExceptionReason, string> = {
  public_holiday_opening: 'Ouverture exceptionnelle un jour férié',
  holiday_schedule: 'Horaires de vacances',
  staff_shortage: 'Absence de personnel',
  works: 'Travaux',
  strike: 'Mouvement social',
  weather: 'Intempéries',
  event: 'Événement local',
  temporary_closure: 'Fermeture temporaire',
  permanent_closure: 'Fermeture définitive',
  other: 'Fermeture exceptionnelle',
};

/**
 * A dated exception: on every local date from `startDate` to `endDate`
 * (inclusive; null = until further notice) the location is closed, or open
 * only during `intervals`. An exception wins over the weekly rules and over
 * public holidays (that is how a location opens on a holiday), and over the
 * exceptions declared before it on the days they share.
 */
export interface HoursException {
  id: string;
  startDate: string;
  endDate: string | null;
  closed: boolean;
  /** Empty when `closed`. */
  intervals: Interval[];
  reason: ExceptionReason;
  /** Shown to the public when set. */
  note: string | null;
}

/** Everything the engine needs about one location. */
export interface Schedule {
  /** IANA zone the wall-clock times are in, e.g. `Europe/Paris`, `America/Miquelon`. */
  timeZone: string;
  /** Département code (`78`, `2A`, `974`, `MC`…): selects the public holidays. */
  department: string;
  weekly: WeeklyRule[];
  /** In the order they were declared: the last one declared decides the days it covers. */
  exceptions: HoursException[];
  /**
   * Open on public holidays like on any other day (a 24/7 locker, a shop):
   * the weekly rules apply, and no exception is needed per holiday.
   */
  openOnHolidays: boolean;
}

export interface PublicHoliday {
  /** Local date `YYYY-MM-DD`. */
  date: string;
  /** French name, e.g. `Lundi de Pâques`. */
  name: string;
}

/** Why a location is closed at an instant. */
export type ClosedReason =
  | { kind: 'outside_hours' }
  | { kind: 'public_holiday'; name: string }
  | { kind: 'exception'; reason: ExceptionReason; note: string | null }
  | { kind: 'no_hours' };

export interface Status {
  open: boolean;
  /** When open: the end of the current opening (contiguous intervals merged, across midnight). */
  closesAt: Date | null;
  /** When closed: the next opening within a year, else null. */
  opensAt: Date | null;
  /** Open and closing in 30 minutes or less. */
  closingSoon: boolean;
  /** When closed: why. */
  reason: ClosedReason | null;
}

export interface CalendarDay {
  /** Local date `YYYY-MM-DD`. */
  date: string;
  weekday: Weekday;
  /** Openings that start this day, in local `HH:MM` (closes may exceed 24:00). */
  intervals: Interval[];
  /** The public holiday of this date, if any (even when an exception opens it). */
  holiday: string | null;
  /** The exception that decides this day, if any. */
  exception: Pick<HoursException, 'id' | 'reason' | 'note' | 'closed'> | null;
}
