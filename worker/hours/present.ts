/**
 * @module
 * Hours as the API and the pages show them: the representation of
 * `/hours`, the answer of `/status`, and the French sentences people read
 * ("Ouvert jusqu’à 17:30", "Fermé (Noël) · ouvre vendredi à 09:00").
 */
import { DAY_CODES, type DayCode } from './api-schema';
import { calendar, CLOSING_SOON_MS, statusAt } from './engine';
import { EXCEPTION_REASON_LABELS, type ClosedReason, type Schedule, type Status, type Weekday, type WeeklyRule } from './model';
import { toOpeningHours } from './osm';
import { addDays, formatTime, instantAt, localParts, MINUTES_PER_DAY, parseTime } from './zoned-time';

export const dayCode = (day: Weekday): DayCode => DAY_CODES[day - 1];
/** The ISO weekday (Monday = 1) of an API day code (`mo` … `su`). */
export const weekdayOfCode = (code: DayCode): Weekday => (DAY_CODES.indexOf(code) + 1) as Weekday;

export const DAY_NAMES = ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'] as const;

/** `26:00` → `02:00`: what a clock on the wall shows. */
export const wallClock = (time: string) => formatTime(parseTime(time) % MINUTES_PER_DAY);

/** Version and local date: `If-Match` compares the version, `If-None-Match` the whole tag. */
export function hoursEtag(version: number, today: string): string {
  return `"v${version}-${today}"`;
}

export function versionFromIfMatch(header: string): number | undefined {
  const match = /^(?:W\/)?"v(\d{1,12})-[\d-]+"$/.exec(header.trim());
  return match ? Number(match[1]) : undefined;
}

export function reasonLabel(reason: ClosedReason | null): string | null {
  if (!reason) return null;
  switch (reason.kind) {
    case 'public_holiday':
      return reason.name;
    case 'exception':
      return EXCEPTION_REASON_LABELS[reason.reason];
    case 'no_hours':
      return 'Horaires non communiqués';
    case 'outside_hours':
      return 'En dehors des horaires d’ouverture';
  }
}

const timeIn = (instant: Date, zone: string) => formatTime(localParts(instant, zone).minutes);

/** "aujourd’hui", "demain", "vendredi", or "le 26/12" beyond a week. */
function dayWords(instant: Date, from: Date, zone: string): string {
  const day = localParts(instant, zone);
  const today = localParts(from, zone);
  const diff = Math.round((Date.parse(day.date) - Date.parse(today.date)) / 86_400_000);
  if (diff === 0) return 'aujourd’hui';
  if (diff === 1) return 'demain';
  if (diff < 7) return DAY_NAMES[day.weekday - 1];
  const [, month, dayOfMonth] = day.date.split('-');
  return `le ${dayOfMonth}/${month}`;
}

/**
 * One short French sentence for the status at `at`: "Ouvert jusqu’à 17:30",
 * "Ferme bientôt, à 12:00", "Fermé (Noël) · ouvre lundi à 09:00" (the exact
 * sentences are pinned by test/unit/hours/sentences.test.ts).
 */
export function describeStatus(status: Status, at: Date, zone: string): string {
  if (status.open) {
    const when = status.closesAt && localParts(status.closesAt, zone).date !== localParts(at, zone).date ? ` ${dayWords(status.closesAt, at, zone)}` : '';
    if (!status.closesAt) return 'Ouvert';
    return `${status.closingSoon ? 'Ferme bientôt, à' : 'Ouvert jusqu’à'} ${timeIn(status.closesAt, zone)}${when}`;
  }
  const why = status.reason && status.reason.kind !== 'outside_hours' ? ` (${reasonLabel(status.reason)})` : '';
  const next = status.opensAt ? ` · ouvre ${dayWords(status.opensAt, at, zone)} à ${timeIn(status.opensAt, zone)}` : '';
  return `Fermé${why}${next}`;
}

export function presentStatus(locationId: string, schedule: Schedule, at: Date) {
  const status = statusAt(schedule, at);
  return {
    location_id: locationId,
    at: at.toISOString(),
    time_zone: schedule.timeZone,
    open: status.open,
    closing_soon: status.closingSoon,
    closes_at: status.closesAt?.toISOString() ?? null,
    opens_at: status.opensAt?.toISOString() ?? null,
    reason: status.reason ? { ...status.reason, label: reasonLabel(status.reason) } : null,
    summary: describeStatus(status, at, schedule.timeZone),
  };
}

export function presentWeekly(rules: WeeklyRule[]) {
  return rules.map((r) => ({ day: dayCode(r.day), opens: r.opens, closes: r.closes }));
}

export function presentHours(locationId: string, schedule: Schedule, version: number, now: Date) {
  return {
    location_id: locationId,
    time_zone: schedule.timeZone,
    version,
    weekly: presentWeekly(schedule.weekly),
    open_on_holidays: schedule.openOnHolidays,
    exceptions: schedule.exceptions.map((e) => ({
      id: e.id,
      start_date: e.startDate,
      end_date: e.endDate,
      closed: e.closed,
      intervals: e.intervals,
      reason: e.reason,
      reason_label: EXCEPTION_REASON_LABELS[e.reason],
      note: e.note,
    })),
    next_days: calendar(schedule, now, 14).map((d) => ({
      date: d.date,
      day: dayCode(d.weekday),
      closed: d.intervals.length === 0,
      intervals: d.intervals,
      holiday: d.holiday,
      exception: d.exception ? { id: d.exception.id, reason: d.exception.reason, note: d.exception.note } : null,
    })),
    opening_hours: toOpeningHours(schedule, now),
  };
}

/**
 * Until when an answer that shows `status` at `at` stays true: its next
 * opening, closing or "closing soon", or the next local midnight (today's
 * line of the week, "demain", the next 14 days all move then). The edge
 * cache keeps such an answer no longer than that.
 */
export function statusHoldsUntil(status: Status, at: Date, zone: string): Date {
  const today = localParts(at, zone).date;
  const candidates = [instantAt(addDays(today, 1), '00:00', zone).getTime()];
  if (status.closesAt) {
    candidates.push(status.closesAt.getTime());
    if (!status.closingSoon) candidates.push(status.closesAt.getTime() - CLOSING_SOON_MS);
  }
  if (status.opensAt) candidates.push(status.opensAt.getTime());
  return new Date(Math.max(at.getTime(), Math.min(...candidates.filter((t) => t > at.getTime()))));
}
