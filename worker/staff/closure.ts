/**
 * @module
 * The office manager's quick form: "closed today" or "closed from 14:00",
 * turned into an hours exception. Valibot checks the form fields; the hours
 * engine knows what the day would have been.
 */
import * as v from 'valibot';
import { dayPlan } from '../hours/engine';
import { localDateSchema, MAX_YEAR, MIN_YEAR } from '../hours/instants';
import type { ExceptionReason, Interval, Schedule } from '../hours/model';
import type { NewException } from '../hours/store';
import { localParts } from '../hours/zoned-time';
import { LOCATION_ID } from '../locations/api-schema';
import { findDepartment } from '../locations/departments';
import type { Staff } from './tokens';

export const CLOSURE_REASONS = ['staff_shortage', 'works', 'strike', 'weather', 'event', 'other'] as const satisfies readonly ExceptionReason[];

export const ClosureForm = v.object({
  csrf: v.string(),
  location: v.pipe(v.string(), v.trim(), v.regex(LOCATION_ID, 'Identifiant de point de contact invalide (ex. 15015A).'), v.toUpperCase()),
  date: localDateSchema({
    format: 'Date attendue au format AAAA-MM-JJ.',
    impossible: 'Cette date n’existe pas.',
    year: `Date attendue entre ${MIN_YEAR} et ${MAX_YEAR}.`,
  }),
  from: v.optional(v.union([v.literal(''), v.pipe(v.string(), v.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Heure attendue au format HH:MM.'))]), ''),
  reason: v.picklist(CLOSURE_REASONS, 'Choisissez un motif.'),
  note: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(280, 'Note de 280 caractères au plus.')), ''),
});
export type ClosureForm = v.InferOutput<typeof ClosureForm>;

/**
 * The zone the form's date is read in before any office is chosen: the
 * office's own when the staff member has one (Réunion is already tomorrow
 * when Paris is still today), else their département's, else Paris.
 */
export function formTimeZone(staff: Pick<Staff, 'scopeType' | 'scopeValue'>, office?: { timeZone: string } | null): string {
  if (office) return office.timeZone;
  if (staff.scopeType === 'department' && staff.scopeValue) return findDepartment(staff.scopeValue)?.timeZone ?? 'Europe/Paris';
  return 'Europe/Paris';
}

/** Today's date where the office is: the form's default date. */
export const formDate = (now: Date, timeZone: string) => localParts(now, timeZone).date;

const minutes = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** The exception for a closure of the whole day, or from `from` on (the morning stays as planned). */
export function closureException(schedule: Schedule, form: ClosureForm): NewException {
  const base = { startDate: form.date, endDate: form.date, reason: form.reason, note: form.note || null };
  if (!form.from) return { ...base, closed: true, intervals: [] };
  const cut = minutes(form.from);
  const kept: Interval[] = dayPlan(schedule, form.date)
    .intervals.filter((i) => minutes(i.opens) < cut)
    .map((i) => ({ opens: i.opens, closes: minutes(i.closes) > cut ? form.from! : i.closes }));
  return kept.length ? { ...base, closed: false, intervals: kept } : { ...base, closed: true, intervals: [] };
}
