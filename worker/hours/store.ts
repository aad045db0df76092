/**
 * @module
 * Hours in D1: reading a location's schedule, and the writes of the network
 * (weekly rules, exceptions, bulk exceptions), each with its audit entry,
 * atomic in one D1 batch.
 *
 * Optimistic concurrency: a write names the version it read. The first
 * statement bumps the version only if it still matches, and stamps a random
 * `last_write`; every later statement of the batch runs only if that stamp is
 * there. A stale write therefore changes nothing at all.
 */
import { and, asc, desc, eq, gt, gte, inArray, isNull, or, sql } from 'drizzle-orm';
import { hoursAudit, hoursExceptions, locationHours, locations } from '../../db/schema';
import type { Database } from '../database';
import type { HoursException, Interval, Schedule, WeeklyRule } from './model';
import { addDays } from './zoned-time';

export interface Actor {
  id: string;
  name: string;
}

export interface StoredSchedule {
  schedule: Schedule;
  /** 0 when the location has never had hours. */
  version: number;
}

/** Exceptions that still matter from `today` on (the day before is kept for overnight openings). */
export async function loadSchedule(
  db: Database,
  location: { id: string; timeZone: string; department: string },
  today: string,
): Promise<StoredSchedule> {
  const since = addDays(today, -1);
  const [hours, exceptions] = await db.batch([
    db.select().from(locationHours).where(eq(locationHours.locationId, location.id)),
    db
      .select()
      .from(hoursExceptions)
      .where(and(eq(hoursExceptions.locationId, location.id), or(isNull(hoursExceptions.endDate), gte(hoursExceptions.endDate, since))))
      // Creation order: when two exceptions cover the same day, the engine keeps the later one.
      .orderBy(asc(hoursExceptions.createdAt), asc(hoursExceptions.id)),
  ]);
  return {
    version: hours[0]?.version ?? 0,
    schedule: {
      timeZone: location.timeZone,
      department: location.department,
      weekly: hours[0]?.weekly ?? [],
      exceptions: exceptions.map(toException),
      openOnHolidays: hours[0]?.openOnHolidays ?? false,
    },
  };
}

function toException(row: ExceptionRow): HoursException {
  return {
    id: row.id,
    startDate: row.startDate,
    endDate: row.endDate,
    closed: row.closed,
    intervals: row.intervals,
    reason: row.reason,
    note: row.note,
  };
}

export type WriteResult = { ok: true; version: number } | { ok: false; problem: 'stale' };

const randomId = (prefix: string) => `${prefix}_${crypto.randomUUID().replace(/-/g, '').slice(0, 20)}`;

/** The first statements of every single-location write: make sure a row exists, then claim the version. */
function claimVersion(d1: D1Database, locationId: string, expected: number, stamp: string, now: string) {
  return [
    // Only a write that expects "no hours yet" may create the row.
    d1.prepare(`insert or ignore into location_hours (location_id, weekly, version, updated_at) select ?, '[]', 0, ? where ? = 0`).bind(locationId, now, expected),
    d1.prepare(`update location_hours set version = version + 1, last_write = ?, updated_at = ? where location_id = ? and version = ?`)
      .bind(stamp, now, locationId, expected),
  ];
}

/** Runs only if this batch won the version: `stamp` is the last write. */
const WON = `exists (select 1 from location_hours where location_id = ? and last_write = ?)`;

/** The last statements of every single-location write that won: its change date, and its département's. */
function touchLocation(d1: D1Database, locationId: string, stamp: string, now: string) {
  return [
    // The office page and the sitemap's lastmod follow the hours.
    d1.prepare(`update locations set updated_at = ? where id = ? and ${WON}`).bind(now, locationId, locationId, stamp),
    // The sitemap index reads the département's date from here; max() so that it never moves back.
    d1.prepare(
      `update department_stats set updated_at = max(updated_at, ?)
       where department = (select department from locations where id = ?) and ${WON}`,
    ).bind(now, locationId, locationId, stamp),
  ];
}

function audit(d1: D1Database, locationId: string, stamp: string, entry: { action: string; actor: Actor; now: string; before: unknown; after: unknown }) {
  return d1
    .prepare(
      `insert into hours_audit (location_id, action, actor_id, actor_name, at, before, after)
       select ?, ?, ?, ?, ?, ?, ? where ${WON}`,
    )
    .bind(locationId, entry.action, entry.actor.id, entry.actor.name, entry.now, json(entry.before), json(entry.after), locationId, stamp);
}

const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));

async function run(d1: D1Database, statements: D1PreparedStatement[], expected: number): Promise<WriteResult> {
  const results = await d1.batch(statements);
  return results[1].meta.changes === 1 ? { ok: true, version: expected + 1 } : { ok: false, problem: 'stale' };
}

/**
 * Replaces the weekly rules; `openOnHolidays` changes only when given. The
 * audit entry keeps the rules as before (a list), with the flag beside them
 * only when it changes.
 */
export async function replaceWeekly(
  db: Database,
  input: { locationId: string; expectedVersion: number; rules: WeeklyRule[]; openOnHolidays?: boolean; actor: Actor; now: string },
): Promise<WriteResult> {
  const d1 = db.$client;
  const stamp = randomId('w');
  const before = await db
    .select({ weekly: locationHours.weekly, openOnHolidays: locationHours.openOnHolidays })
    .from(locationHours).where(eq(locationHours.locationId, input.locationId)).get();
  const wasOpen = before?.openOnHolidays ?? false;
  const flagChanges = input.openOnHolidays !== undefined && input.openOnHolidays !== wasOpen;
  return run(d1, [
    ...claimVersion(d1, input.locationId, input.expectedVersion, stamp, input.now),
    d1.prepare(`update location_hours set weekly = ?, open_on_holidays = coalesce(?, open_on_holidays) where location_id = ? and last_write = ?`)
      .bind(JSON.stringify(input.rules), input.openOnHolidays === undefined ? null : input.openOnHolidays ? 1 : 0, input.locationId, stamp),
    audit(d1, input.locationId, stamp, {
      action: 'weekly.replace', actor: input.actor, now: input.now,
      before: flagChanges ? { rules: before?.weekly ?? [], openOnHolidays: wasOpen } : before?.weekly ?? [],
      after: flagChanges ? { rules: input.rules, openOnHolidays: input.openOnHolidays } : input.rules,
    }),
    ...touchLocation(d1, input.locationId, stamp, input.now),
  ], input.expectedVersion);
}

export interface NewException {
  startDate: string;
  endDate: string | null;
  closed: boolean;
  intervals: Interval[];
  reason: HoursException['reason'];
  note: string | null;
}

/** Bind values of one exceptions row, in EXCEPTION_COLUMNS order. */
function exceptionValues(id: string, locationId: string, e: NewException, actor: Actor, now: string, bulkId: string | null) {
  return [
    id, locationId, e.startDate, e.endDate, e.closed ? 1 : 0, JSON.stringify(e.intervals), e.reason, e.note, bulkId, actor.id, now,
  ];
}

const EXCEPTION_COLUMNS = 'id, location_id, start_date, end_date, closed, intervals, reason, note, bulk_id, created_by, created_at';

export async function addException(
  db: Database,
  input: { locationId: string; expectedVersion: number; exception: NewException; actor: Actor; now: string },
): Promise<WriteResult & { id: string }> {
  const d1 = db.$client;
  const stamp = randomId('w');
  const id = randomId('ex');
  const values = exceptionValues(id, input.locationId, input.exception, input.actor, input.now, null);
  const result = await run(d1, [
    ...claimVersion(d1, input.locationId, input.expectedVersion, stamp, input.now),
    d1.prepare(`insert into hours_exceptions (${EXCEPTION_COLUMNS}) select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? where ${WON}`)
      .bind(...values, input.locationId, stamp),
    audit(d1, input.locationId, stamp, { action: 'exception.add', actor: input.actor, now: input.now, before: null, after: { id, ...input.exception } }),
    ...touchLocation(d1, input.locationId, stamp, input.now),
  ], input.expectedVersion);
  return { ...result, id };
}

export type ExceptionRow = typeof hoursExceptions.$inferSelect;

export async function findException(db: Database, locationId: string, exceptionId: string): Promise<ExceptionRow | undefined> {
  return db.select().from(hoursExceptions)
    .where(and(eq(hoursExceptions.id, exceptionId), eq(hoursExceptions.locationId, locationId))).get();
}

/** Removes an exception the caller has just read (`findException`): its row goes to the audit log as it was. */
export async function removeException(
  db: Database,
  input: { existing: ExceptionRow; expectedVersion: number; actor: Actor; now: string },
): Promise<WriteResult> {
  const { existing } = input;
  const d1 = db.$client;
  const stamp = randomId('w');
  return run(d1, [
    ...claimVersion(d1, existing.locationId, input.expectedVersion, stamp, input.now),
    d1.prepare(`delete from hours_exceptions where id = ? and ${WON}`).bind(existing.id, existing.locationId, stamp),
    audit(d1, existing.locationId, stamp, { action: 'exception.remove', actor: input.actor, now: input.now, before: toException(existing), after: null }),
    ...touchLocation(d1, existing.locationId, stamp, input.now),
  ], input.expectedVersion);
}

/** The locations a bulk exception names, in one query whatever their number (a national closure names 17,000): the ids go as one JSON parameter. */
export async function bulkTargets(db: Database, ids: string[]) {
  return db
    .select({ id: locations.id, parentId: locations.parentId, department: locations.department, timeZone: locations.timeZone })
    .from(locations)
    .where(sql`${locations.id} in (select value from json_each(${JSON.stringify(ids)}))`)
    .all();
}

/** Bound parameters per exception row; D1 allows 100 per statement. */
const ROWS_PER_INSERT = Math.floor(100 / 11);

/**
 * One exception for many locations at once (a regional or national closure),
 * all or nothing: one D1 batch (one transaction) of five statements whatever
 * the number of locations, their ids bound as one JSON parameter read with
 * `json_each` (D1 allows 100 bound parameters per statement, but strings up
 * to 1,000,000 bytes). No If-Match: it adds to whatever each location has,
 * and bumps each version so that concurrent single-location writes see the
 * change. Every location gets its audit entry, as with a single exception.
 */
export async function addBulkException(
  db: Database,
  input: { locationIds: string[]; exception: NewException; actor: Actor; now: string },
): Promise<{ bulkId: string; ids: string[] }> {
  const d1 = db.$client;
  const bulkId = randomId('bulk');
  const e = input.exception;
  const locationIds = JSON.stringify(input.locationIds);
  const listed = `select value from json_each(?)`;
  const [inserted] = await d1.batch([
    // Ids as randomId('ex') makes them: `ex_` and 20 random hex digits.
    d1.prepare(
      `insert into hours_exceptions (${EXCEPTION_COLUMNS})
       select 'ex_' || lower(hex(randomblob(10))), value, ?, ?, ?, ?, ?, ?, ?, ?, ? from json_each(?) order by key
       returning id, location_id`,
    ).bind(e.startDate, e.endDate, e.closed ? 1 : 0, JSON.stringify(e.intervals), e.reason, e.note, bulkId, input.actor.id, input.now, locationIds),
    d1.prepare(`insert or ignore into location_hours (location_id, weekly, version, updated_at) select value, '[]', 0, ? from json_each(?)`).bind(input.now, locationIds),
    d1.prepare(`update location_hours set version = version + 1, last_write = ?, updated_at = ? where location_id in (${listed})`).bind(bulkId, input.now, locationIds),
    d1.prepare(
      `insert into hours_audit (location_id, action, actor_id, actor_name, at, before, after)
       select location_id, 'exception.add', ?, ?, ?, null,
         json_object('id', id, 'startDate', start_date, 'endDate', end_date, 'closed', json(case closed when 1 then 'true' else 'false' end),
                     'intervals', json(intervals), 'reason', reason, 'note', note, 'bulkId', bulk_id)
       from hours_exceptions where location_id in (${listed}) and bulk_id = ? order by location_id`,
    ).bind(input.actor.id, input.actor.name, input.now, locationIds, bulkId),
    d1.prepare(`update locations set updated_at = ? where id in (${listed})`).bind(input.now, locationIds),
    d1.prepare(
      `update department_stats set updated_at = max(updated_at, ?)
       where department in (select department from locations where id in (${listed}))`,
    ).bind(input.now, locationIds),
  ]);
  const idOf = new Map((inserted.results as Array<{ id: string; location_id: string }>).map((r) => [r.location_id, r.id]));
  return { bulkId, ids: input.locationIds.map((id) => idOf.get(id)!) };
}

export async function auditEntries(db: Database, locationId: string, limit = 100) {
  return db.select().from(hoursAudit).where(eq(hoursAudit.locationId, locationId)).orderBy(desc(hoursAudit.seq)).limit(limit).all();
}

/** The changes feed: audit entries after `afterSeq`, oldest first, without who made them. */
export async function changesAfter(db: Database, afterSeq: number, limit: number) {
  return db
    .select({ seq: hoursAudit.seq, locationId: hoursAudit.locationId, action: hoursAudit.action, at: hoursAudit.at })
    .from(hoursAudit)
    .where(gt(hoursAudit.seq, afterSeq))
    .orderBy(asc(hoursAudit.seq))
    .limit(limit)
    .all();
}

/**
 * Loads schedules in bulk for locations that have none yet (demo network,
 * fixtures). Existing hours are never overwritten: those belong to the
 * network. Each batch (one D1 transaction) holds whole locations, their
 * exceptions with their hours row, so a run stopped half-way leaves every
 * location either complete or untouched, and the next run finishes the rest.
 * Statements are prepared batch by batch (600 locations at a time), just
 * before their batch runs, so memory stays flat however many are seeded.
 */
export async function seedSchedules(
  db: Database,
  entries: Array<{ locationId: string; weekly: WeeklyRule[]; exceptions: HoursException[]; openOnHolidays?: boolean }>,
  now: string,
  actor: Actor = { id: 'seed', name: 'Données de démonstration' },
  progress?: (done: number, total: number) => void,
): Promise<void> {
  const d1 = db.$client;
  const existing = new Set((await db.select({ id: locationHours.locationId }).from(locationHours).all()).map((r) => r.id));
  const fresh = entries.filter((e) => !existing.has(e.locationId));
  const LOCATIONS_PER_BATCH = 600;
  for (let i = 0; i < fresh.length; i += LOCATIONS_PER_BATCH) {
    const group = fresh.slice(i, i + LOCATIONS_PER_BATCH);
    const statements: D1PreparedStatement[] = [];
    const exceptionRows = group.flatMap((e) => e.exceptions.map((x) => exceptionValues(x.id, e.locationId, x, actor, now, null)));
    for (let j = 0; j < exceptionRows.length; j += ROWS_PER_INSERT) {
      const rows = exceptionRows.slice(j, j + ROWS_PER_INSERT);
      statements.push(
        d1.prepare(`insert or ignore into hours_exceptions (${EXCEPTION_COLUMNS}) values ${rows.map(() => `(${Array(11).fill('?').join(', ')})`).join(', ')}`)
          .bind(...rows.flat()),
      );
    }
    const hoursRows = group.map((e) => [e.locationId, JSON.stringify(e.weekly), e.openOnHolidays ? 1 : 0, now]);
    for (let j = 0; j < hoursRows.length; j += 25) {
      const rows = hoursRows.slice(j, j + 25);
      statements.push(
        d1.prepare(`insert or ignore into location_hours (location_id, weekly, open_on_holidays, version, updated_at) values ${rows.map(() => '(?, ?, ?, 1, ?)').join(', ')}`)
          .bind(...rows.flat()),
      );
    }
    await d1.batch(statements);
    progress?.(Math.min(i + LOCATIONS_PER_BATCH, fresh.length), fresh.length);
  }
}

/**
 * The schedules of every listed location in two queries (every hours row,
 * every exception still running at `since`): the locator's isolate-wide
 * copy. Rows of locations not listed (closed ones) are skipped.
 */
export async function loadEverySchedule(
  db: Database,
  locations: Array<{ id: string; timeZone: string; department: string }>,
  since: string,
): Promise<Map<string, Schedule>> {
  const schedules = emptySchedules(locations);
  const [hours, exceptions] = await db.batch([
    db.select({ id: locationHours.locationId, weekly: locationHours.weekly, openOnHolidays: locationHours.openOnHolidays }).from(locationHours),
    db.select().from(hoursExceptions).where(or(isNull(hoursExceptions.endDate), gte(hoursExceptions.endDate, since)))
      .orderBy(asc(hoursExceptions.createdAt), asc(hoursExceptions.id)),
  ]);
  fillSchedules(schedules, hours, exceptions);
  return schedules;
}

function emptySchedules(locations: Array<{ id: string; timeZone: string; department: string }>): Map<string, Schedule> {
  return new Map(locations.map((l) => [l.id, { timeZone: l.timeZone, department: l.department, weekly: [], exceptions: [], openOnHolidays: false }]));
}

function fillSchedules(
  schedules: Map<string, Schedule>,
  hours: Array<{ id: string; weekly: WeeklyRule[]; openOnHolidays: boolean }>,
  exceptions: Array<typeof hoursExceptions.$inferSelect>,
): void {
  for (const h of hours) {
    const schedule = schedules.get(h.id);
    if (schedule) Object.assign(schedule, { weekly: h.weekly, openOnHolidays: h.openOnHolidays });
  }
  for (const e of exceptions) schedules.get(e.locationId)?.exceptions.push(toException(e));
}

/** Schedules of many locations at once (the locator's results), two queries per 90 locations. */
export async function loadSchedules(
  db: Database,
  locations: Array<{ id: string; timeZone: string; department: string }>,
  since: string,
): Promise<Map<string, Schedule>> {
  const schedules = emptySchedules(locations);
  for (let i = 0; i < locations.length; i += 90) {
    const ids = locations.slice(i, i + 90).map((l) => l.id);
    const [hours, exceptions] = await db.batch([
      db.select({ id: locationHours.locationId, weekly: locationHours.weekly, openOnHolidays: locationHours.openOnHolidays })
        .from(locationHours).where(inArray(locationHours.locationId, ids)),
      db.select().from(hoursExceptions).where(and(
        inArray(hoursExceptions.locationId, ids),
        or(isNull(hoursExceptions.endDate), gte(hoursExceptions.endDate, since)),
      )).orderBy(asc(hoursExceptions.createdAt), asc(hoursExceptions.id)),
    ]);
    fillSchedules(schedules, hours, exceptions);
  }
  return schedules;
}
