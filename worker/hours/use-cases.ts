/**
 * @module
 * What the hours capability offers, whoever asks: the API routes and the
 * staff pages call these functions and only translate (HTTP, ETag and
 * problem+json on one side, form fields and a French message on the other).
 * Each write checks the caller's role and scope, validates against the
 * location's local today, writes through the store and answers with a
 * result, never an exception, so that both doors refuse the same things in
 * the same order.
 */
import type { LocationRow } from '../../db/schema';
import type { Database } from '../database';
import { locationPath } from '../locations/present';
import { findLocation, listLocationsByIds } from '../locations/queries';
import { inScope, mayDo, type Staff, type StaffAction } from '../staff/tokens';
import type { Schedule, WeeklyRule } from './model';
import {
  addBulkException, addException, auditEntries, bulkTargets, changesAfter, findException, loadSchedule, type NewException, removeException as removeStoredException, replaceWeekly,
} from './store';
import { validateException, validateWeekly, type Issue } from './validate';
import { localParts } from './zoned-time';

type Place = Pick<LocationRow, 'id' | 'parentId' | 'department'>;

/**
 * The version a writer read: a number, none at all (`missing`), or something
 * that names no version of these hours (`unmatched`). Every write names one:
 * a stale write changes nothing.
 */
export type ReadVersion = number | 'missing' | 'unmatched';

export type Refusal =
  | { ok: false; problem: 'not_found'; what: 'location'; id: string }
  | { ok: false; problem: 'not_found'; what: 'exception'; id: string; locationId: string }
  | { ok: false; problem: 'forbidden'; why: 'role' | 'scope'; role: Staff['role']; locationId: string }
  | { ok: false; problem: 'version_required' }
  | { ok: false; problem: 'version_unmatched' }
  | { ok: false; problem: 'stale' }
  | { ok: false; problem: 'invalid'; issues: Issue[] };

/** A location's hours as read now: what `/hours` shows and what its ETag names. */
export interface HoursView {
  location: LocationRow;
  schedule: Schedule;
  version: number;
  /** The location's local date: the ETag names it, since the next 14 days change daily. */
  today: string;
}

const localToday = (location: Pick<LocationRow, 'timeZone'>, now: Date) => localParts(now, location.timeZone).date;

const locationNotFound = (id: string): Refusal => ({ ok: false, problem: 'not_found', what: 'location', id });

/** Why `staff` may not do `action` at `location`, or nothing when they may. */
export function permissionRefusal(staff: Staff, action: StaffAction, location: Place): Refusal | undefined {
  if (!mayDo(staff, action)) return { ok: false, problem: 'forbidden', why: 'role', role: staff.role, locationId: location.id };
  if (!inScope(staff, location)) return { ok: false, problem: 'forbidden', why: 'scope', role: staff.role, locationId: location.id };
  return undefined;
}

function versionRefusal(read: ReadVersion): Refusal | undefined {
  if (read === 'missing') return { ok: false, problem: 'version_required' };
  if (read === 'unmatched') return { ok: false, problem: 'version_unmatched' };
  return undefined;
}

async function readHours(db: Database, location: LocationRow, now: Date): Promise<HoursView> {
  const today = localToday(location, now);
  const { schedule, version } = await loadSchedule(db, location, today);
  return { location, schedule, version, today };
}

// ---------------------------------------------------------------------------
// Public reads

/** The hours of a location (weekly rules, exceptions, version) as of `now`. */
export async function hoursOf(db: Database, id: string, now: Date): Promise<{ ok: true; hours: HoursView } | Refusal> {
  const location = await findLocation(db, id);
  if (!location) return locationNotFound(id);
  return { ok: true, hours: await readHours(db, location, now) };
}

/** What the status at instant `at` is computed from: the schedule as of that instant's local date. */
export async function statusOf(db: Database, id: string, at: Date): Promise<{ ok: true; location: LocationRow; schedule: Schedule } | Refusal> {
  const location = await findLocation(db, id);
  if (!location) return locationNotFound(id);
  return { ok: true, location, schedule: await scheduleAt(db, location, at) };
}

/** `statusOf` for a location its caller has already read (a customer's favourite): one query fewer. */
export async function scheduleAt(db: Database, location: Pick<LocationRow, 'id' | 'timeZone' | 'department'>, at: Date): Promise<Schedule> {
  return (await loadSchedule(db, location, localToday(location, at))).schedule;
}

/** The changes feed after `afterSeq`, each with its location's page (null once the location is gone). */
export async function hoursChanges(db: Database, afterSeq: number, limit: number) {
  const rows = await changesAfter(db, afterSeq, limit);
  const pages = new Map((await listLocationsByIds(db, [...new Set(rows.map((r) => r.locationId))])).map((l) => [l.id, locationPath(l)]));
  return rows.map((r) => ({ ...r, pagePath: pages.get(r.locationId) ?? null }));
}

// ---------------------------------------------------------------------------
// Staff

/** The audit log of a location, newest first: for whoever may declare its exceptions. */
export async function auditOf(db: Database, staff: Staff, id: string) {
  const location = await findLocation(db, id);
  if (!location) return locationNotFound(id);
  const refused = permissionRefusal(staff, 'exception', location);
  if (refused) return refused;
  return { ok: true as const, location, entries: await auditEntries(db, location.id) };
}

/** Replaces the weekly rules (role `hours`); `openOnHolidays` changes only when given. */
export async function replaceWeeklyHours(
  db: Database,
  staff: Staff,
  input: { locationId: string; expectedVersion: ReadVersion; rules: WeeklyRule[]; openOnHolidays?: boolean },
  now: Date,
): Promise<{ ok: true; hours: HoursView } | Refusal> {
  const location = await findLocation(db, input.locationId);
  if (!location) return locationNotFound(input.locationId);
  const refused = permissionRefusal(staff, 'weekly', location) ?? versionRefusal(input.expectedVersion);
  if (refused) return refused;
  const issues = validateWeekly(input.rules);
  if (issues.length) return { ok: false, problem: 'invalid', issues };
  const result = await replaceWeekly(db, {
    locationId: location.id, expectedVersion: input.expectedVersion as number, rules: input.rules, openOnHolidays: input.openOnHolidays, actor: staff, now: now.toISOString(),
  });
  if (!result.ok) return { ok: false, problem: 'stale' };
  return { ok: true, hours: await readHours(db, location, now) };
}

/** Declares one exception at a location already found (the closure form has read its hours first). */
export async function declareExceptionAt(
  db: Database,
  staff: Staff,
  location: LocationRow,
  input: { expectedVersion: ReadVersion; exception: NewException },
  now: Date,
): Promise<{ ok: true; id: string; hours: HoursView } | Refusal> {
  const refused = permissionRefusal(staff, 'exception', location) ?? versionRefusal(input.expectedVersion);
  if (refused) return refused;
  const issues = validateException(input.exception, localToday(location, now));
  if (issues.length) return { ok: false, problem: 'invalid', issues };
  const result = await addException(db, {
    locationId: location.id, expectedVersion: input.expectedVersion as number, exception: input.exception, actor: staff, now: now.toISOString(),
  });
  if (!result.ok) return { ok: false, problem: 'stale' };
  return { ok: true, id: result.id, hours: await readHours(db, location, now) };
}

/** Declares one exception (a closure, special hours) at one location. */
export async function declareException(
  db: Database,
  staff: Staff,
  input: { locationId: string; expectedVersion: ReadVersion; exception: NewException },
  now: Date,
): Promise<{ ok: true; id: string; hours: HoursView } | Refusal> {
  const location = await findLocation(db, input.locationId);
  if (!location) return locationNotFound(input.locationId);
  return declareExceptionAt(db, staff, location, input, now);
}

/**
 * Removes one exception. A regional closure (declared in bulk) is lifted by
 * whoever may declare one, not by a single office.
 */
export async function removeException(
  db: Database,
  staff: Staff,
  input: { locationId: string; exceptionId: string; expectedVersion: ReadVersion },
  now: Date,
): Promise<{ ok: true; hours: HoursView } | Refusal> {
  const location = await findLocation(db, input.locationId);
  if (!location) return locationNotFound(input.locationId);
  let refused = permissionRefusal(staff, 'exception', location);
  if (refused) return refused;
  const existing = await findException(db, location.id, input.exceptionId);
  refused = (existing?.bulkId ? permissionRefusal(staff, 'bulk', location) : undefined) ?? versionRefusal(input.expectedVersion);
  if (refused) return refused;
  if (!existing) return { ok: false, problem: 'not_found', what: 'exception', id: input.exceptionId, locationId: location.id };
  const result = await removeStoredException(db, { existing, expectedVersion: input.expectedVersion as number, actor: staff, now: now.toISOString() });
  if (!result.ok) return { ok: false, problem: 'stale' };
  return { ok: true, hours: await readHours(db, location, now) };
}

/**
 * One exception for many locations (a regional or national closure), all or
 * nothing: every location must exist and be in the caller's scope. Dates are
 * checked against the latest "today" among the zones involved: none may be
 * in its past.
 */
export async function declareBulkException(
  db: Database,
  staff: Staff,
  input: { locationIds: string[]; exception: NewException },
  now: Date,
): Promise<{ ok: true; bulkId: string; locationIds: string[]; exceptionIds: string[] } | Refusal | { ok: false; problem: 'unknown_locations'; ids: string[] }> {
  const ids = [...new Set(input.locationIds)];
  const found = await bulkTargets(db, ids);
  const known = new Set(found.map((l) => l.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length) return { ok: false, problem: 'unknown_locations', ids: missing };
  for (const location of found) {
    const refused = permissionRefusal(staff, 'bulk', location);
    if (refused) return refused;
  }
  const latestToday = [...new Set(found.map((l) => l.timeZone))].map((zone) => localParts(now, zone).date).sort().at(-1)!;
  const issues = validateException(input.exception, latestToday);
  if (issues.length) return { ok: false, problem: 'invalid', issues };
  const result = await addBulkException(db, { locationIds: ids, exception: input.exception, actor: staff, now: now.toISOString() });
  return { ok: true, bulkId: result.bulkId, locationIds: ids, exceptionIds: result.ids };
}
