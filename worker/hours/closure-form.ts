/**
 * @module
 * The office manager's quick form (`/staff/fermeture`): "closed today" or
 * "closed from 14:00", turned into an hours exception and declared through
 * the same use case as the API. Valibot checks the form fields; the hours
 * engine knows what the day would have been. The version of the hours the
 * form was shown with travels in a hidden field, as `If-Match` does for the
 * API: a submission made after someone else changed the office's hours
 * writes nothing and says so.
 */
import * as v from 'valibot';
import type { Database } from '../database';
import { LOCATION_ID } from '../locations/api-schema';
import { findDepartment } from '../locations/departments';
import { locationPath } from '../locations/present';
import { findLocation } from '../locations/queries';
import type { Staff } from '../staff/tokens';
import { dayPlan } from './engine';
import { localDateSchema, MAX_YEAR, MIN_YEAR } from './instants';
import type { ExceptionReason, Interval, Schedule } from './model';
import { loadSchedule, type NewException } from './store';
import { declareExceptionAt, permissionRefusal } from './use-cases';
import { localParts } from './zoned-time';

export const CLOSURE_REASONS = ['staff_shortage', 'works', 'strike', 'weather', 'event', 'other'] as const satisfies readonly ExceptionReason[];

const FORM_EXPIRED = 'Formulaire expiré : rechargez la page et recommencez.';

export const STALE_FORM = 'Les horaires de ce bureau ont changé depuis l’affichage du formulaire : vérifiez-les et recommencez.';

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
  /** The hours the form was shown with, `<location id>:<version>`; empty when it named no office. */
  version: v.optional(v.union([v.literal(''), v.pipe(v.string(), v.regex(/^[0-9A-Z]{1,12}:\d{1,12}$/, FORM_EXPIRED))]), ''),
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

const versionField = (locationId: string, version: number) => `${locationId}:${version}`;

/** The version the form was shown with, if it was shown for this location. */
function versionSeen(field: string, locationId: string): number | undefined {
  const [id, version] = field.split(':');
  return id === locationId && version ? Number(version) : undefined;
}

export type FormValues = Record<'location' | 'date' | 'from' | 'reason' | 'note' | 'version', string>;

/**
 * The form as first shown: a staff member with one office gets it filled in,
 * with today's date where that office is (not in Paris) and the version of
 * its hours; anyone else types the office.
 */
export async function closureFormValues(db: Database, staff: Staff, now: Date): Promise<FormValues> {
  const ownOffice = staff.scopeType === 'office' && staff.scopeValue ? await findLocation(db, staff.scopeValue) : undefined;
  const version = ownOffice ? (await loadSchedule(db, ownOffice, formDate(now, ownOffice.timeZone))).version : undefined;
  return {
    location: staff.scopeType === 'office' ? staff.scopeValue ?? '' : '',
    date: formDate(now, formTimeZone(staff, ownOffice)),
    from: '',
    reason: 'staff_shortage',
    note: '',
    version: ownOffice && version !== undefined ? versionField(ownOffice.id, version) : '',
  };
}

export type FieldError = { field: string; message: string };

export type ClosureOutcome =
  | { ok: true; name: string; path: string; summary: string }
  /** `version`: the hours' current version, for the form shown again after a stale submission. */
  | { ok: false; errors: FieldError[]; version?: string };

/**
 * Declares the closure a submitted form describes (its CSRF token already
 * checked by the page). An office the form was not shown for (a network or
 * département member types it) is checked against the hours read now: the
 * form showed nothing of them.
 */
export async function submitClosure(db: Database, staff: Staff, fields: Record<string, string>, now: Date): Promise<ClosureOutcome> {
  const parsed = v.safeParse(ClosureForm, fields);
  if (!parsed.success) {
    return { ok: false, errors: parsed.issues.map((i) => ({ field: fieldOf(String(i.path?.[0]?.key ?? 'location')), message: i.message })) };
  }
  const form = parsed.output;
  const location = await findLocation(db, form.location);
  if (!location) return { ok: false, errors: [{ field: 'location', message: `Aucun point de contact ${form.location}.` }] };
  if (permissionRefusal(staff, 'exception', location)) {
    return { ok: false, errors: [{ field: 'location', message: `${location.name} (${location.id}) est hors de votre périmètre.` }] };
  }
  const { schedule, version } = await loadSchedule(db, location, formDate(now, location.timeZone));
  const seen = versionSeen(form.version, location.id) ?? version;
  const stale = { ok: false as const, errors: [{ field: 'location', message: STALE_FORM }], version: versionField(location.id, version) };
  if (seen !== version) return stale;
  const exception = closureException(schedule, form);
  const result = await declareExceptionAt(db, staff, location, { expectedVersion: seen, exception }, now);
  if (result.ok) {
    return {
      ok: true,
      name: location.name,
      path: locationPath(location),
      summary: exception.closed ? `fermé toute la journée du ${form.date}` : `fermé à partir de ${form.from} le ${form.date}`,
    };
  }
  switch (result.problem) {
    case 'invalid':
      return { ok: false, errors: result.issues.map((i) => ({ field: i.name.includes('date') ? 'date' : 'from', message: i.reason })) };
    case 'stale':
      return { ...stale, version: undefined };
    default:
      return { ok: false, errors: [{ field: 'location', message: `${location.name} (${location.id}) est hors de votre périmètre.` }] };
  }
}

/** The input an error message links to: the hidden fields have none, the office field stands for them. */
const fieldOf = (key: string) => (['date', 'from', 'reason', 'note'].includes(key) ? key : 'location');
