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
import { and, asc, desc, eq, gt, gte, inArray, isNull, or } from 'drizzle-orm';
import { hoursAudit, hoursExceptions, locationHours } from '../../db/schema';
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
    },
  };
}

function toException(row: typeof hoursExceptions.$inferSelect): HoursException {
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

export type WriteResult = { ok: true; version: number } | { ok: false; problem: 'stale' | 'not_found' };

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

function touchLocation(d1: D1Database, locationId: string, stamp: string, now: string) {
  // The office page and the sitemap's lastmod follow the hours.
  return d1.prepare(`update locations set updated_at = ? where id = ? and ${WON}`).bind(now, locationId, locationId, stamp);
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

export async function replaceWeekly(
  db: Database,
  input: { locationId: string; expectedVersion: number; rules: WeeklyRule[]; actor: Actor; now: string },
): Promise<WriteResult> {
  const d1 = db.$client;
  const stamp = randomId('w');
  const before = await db.select({ weekly: locationHours.weekly }).from(locationHours).where(eq(locationHours.locationId, input.locationId)).get();
  return run(d1, [
    ...claimVersion(d1, input.locationId, input.expectedVersion, stamp, input.now),
    d1.prepare(`update location_hours set weekly = ? where location_id = ? and last_write = ?`).bind(JSON.stringify(input.rules), input.locationId, stamp),
    audit(d1, input.locationId, stamp, { action: 'weekly.replace', actor: input.actor, now: input.now, before: before?.weekly ?? [], after: input.rules }),
    touchLocation(d1, input.locationId, stamp, input.now),
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
    touchLocation(d1, input.locationId, stamp, input.now),
  ], input.expectedVersion);
  return { ...result, id };
}

export async function findExceptionRow(db: Database, locationId: string, exceptionId: string) {
  return db.select().from(hoursExceptions)
    .where(and(eq(hoursExceptions.id, exceptionId), eq(hoursExceptions.locationId, locationId))).get();
}

export async function removeException(
  db: Database,
  input: { locationId: string; exceptionId: string; expectedVersion: number; actor: Actor; now: string },
): Promise<WriteResult> {
  const existing = await db
    .select()
    .from(hoursExceptions)
    .where(and(eq(hoursExceptions.id, input.exceptionId), eq(hoursExceptions.locationId, input.locationId)))
    .get();
  if (!existing) return { ok: false, problem: 'not_found' };
  const d1 = db.$client;
  const stamp = randomId('w');
  return run(d1, [
    ...claimVersion(d1, input.locationId, input.expectedVersion, stamp, input.now),
    d1.prepare(`delete from hours_exceptions where id = ? and ${WON}`).bind(input.exceptionId, input.locationId, stamp),
    audit(d1, input.locationId, stamp, { action: 'exception.remove', actor: input.actor, now: input.now, before: toException(existing), after: null }),
    touchLocation(d1, input.locationId, stamp, input.now),
  ], input.expectedVersion);
}

/** Bound parameters per exception row; D1 allows 100 per statement. */
const ROWS_PER_INSERT = Math.floor(100 / 11);

/**
 * One exception for many locations at once (a regional closure), all or
 * nothing. No If-Match: it adds to whatever each location has, and bumps
 * each version so that concurrent single-location writes see the change.
 */
export async function addBulkException(
  db: Database,
  input: { locationIds: string[]; exception: NewException; actor: Actor; now: string },
): Promise<{ bulkId: string; ids: string[] }> {
  const d1 = db.$client;
  const bulkId = randomId('bulk');
  const ids = input.locationIds.map(() => randomId('ex'));
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < ids.length; i += ROWS_PER_INSERT) {
    const rows = ids.slice(i, i + ROWS_PER_INSERT).map((id, j) =>
      exceptionValues(id, input.locationIds[i + j], input.exception, input.actor, input.now, bulkId),
    );
    statements.push(
      d1.prepare(`insert into hours_exceptions (${EXCEPTION_COLUMNS}) values ${rows.map(() => `(${Array(11).fill('?').join(', ')})`).join(', ')}`)
        .bind(...rows.flat()),
    );
  }
  const mine = `select location_id from hours_exceptions where bulk_id = ?`;
  statements.push(
    d1.prepare(`insert or ignore into location_hours (location_id, weekly, version, updated_at) select location_id, '[]', 0, ? from hours_exceptions where bulk_id = ?`).bind(input.now, bulkId),
    d1.prepare(`update location_hours set version = version + 1, last_write = ?, updated_at = ? where location_id in (${mine})`).bind(bulkId, input.now, bulkId),
    d1.prepare(
      `insert into hours_audit (location_id, action, actor_id, actor_name, at, before, after)
       select location_id, 'exception.add', ?, ?, ?, null,
         json_object('id', id, 'startDate', start_date, 'endDate', end_date, 'closed', json(case closed when 1 then 'true' else 'false' end),
                     'intervals', json(intervals), 'reason', reason, 'note', note, 'bulkId', bulk_id)
       from hours_exceptions where bulk_id = ? order by location_id`,
    ).bind(input.actor.id, input.actor.name, input.now, bulkId),
    d1.prepare(`update locations set updated_at = ? where id in (${mine})`).bind(input.now, bulkId),
  );
  await d1.batch(statements);
  return { bulkId, ids };
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
 * network. Idempotent (exceptions keep their given ids), so a batch that the
 * local proxy drops can simply be sent again.
 */
export async function seedSchedules(
  db: Database,
  entries: Array<{ locationId: string; weekly: WeeklyRule[]; exceptions: HoursException[] }>,
  now: string,
  actor: Actor = { id: 'seed', name: 'Données de démonstration' },
): Promise<void> {
  const d1 = db.$client;
  const existing = new Set((await db.select({ id: locationHours.locationId }).from(locationHours).all()).map((r) => r.id));
  const fresh = entries.filter((e) => !existing.has(e.locationId));
  const statements: D1PreparedStatement[] = [];
  const hoursRows = fresh.map((e) => [e.locationId, JSON.stringify(e.weekly), now]);
  for (let i = 0; i < hoursRows.length; i += 30) {
    const rows = hoursRows.slice(i, i + 30);
    statements.push(
      d1.prepare(`insert or ignore into location_hours (location_id, weekly, version, updated_at) values ${rows.map(() => '(?, ?, 1, ?)').join(', ')}`)
        .bind(...rows.flat()),
    );
  }
  const exceptionRows = fresh.flatMap((e) => e.exceptions.map((x) => exceptionValues(x.id, e.locationId, x, actor, now, null)));
  for (let i = 0; i < exceptionRows.length; i += ROWS_PER_INSERT) {
    const rows = exceptionRows.slice(i, i + ROWS_PER_INSERT);
    statements.push(
      d1.prepare(`insert or ignore into hours_exceptions (${EXCEPTION_COLUMNS}) values ${rows.map(() => `(${Array(11).fill('?').join(', ')})`).join(', ')}`)
        .bind(...rows.flat()),
    );
  }
  for (let i = 0; i < statements.length; i += 50) {
    const batch = statements.slice(i, i + 50);
    // wrangler's local proxy now and then drops a request on a reused connection; the batch is idempotent.
    await d1.batch(batch).catch(() => d1.batch(batch));
  }
}

/** Schedules of many locations at once (the locator's results), two queries per 90 locations. */
export async function loadSchedules(
  db: Database,
  locations: Array<{ id: string; timeZone: string; department: string }>,
  since: string,
): Promise<Map<string, Schedule>> {
  const schedules = new Map<string, Schedule>();
  for (const l of locations) schedules.set(l.id, { timeZone: l.timeZone, department: l.department, weekly: [], exceptions: [] });
  for (let i = 0; i < locations.length; i += 90) {
    const ids = locations.slice(i, i + 90).map((l) => l.id);
    const [hours, exceptions] = await db.batch([
      db.select({ id: locationHours.locationId, weekly: locationHours.weekly }).from(locationHours).where(inArray(locationHours.locationId, ids)),
      db.select().from(hoursExceptions).where(and(
        inArray(hoursExceptions.locationId, ids),
        or(isNull(hoursExceptions.endDate), gte(hoursExceptions.endDate, since)),
      )).orderBy(asc(hoursExceptions.createdAt), asc(hoursExceptions.id)),
    ]);
    for (const h of hours) schedules.get(h.id)!.weekly = h.weekly;
    for (const e of exceptions) schedules.get(e.locationId)!.exceptions.push(toException(e));
  }
  return schedules;
}
