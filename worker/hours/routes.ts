/**
 * @module
 * Hours over HTTP. Public: `/locations/{id}/hours`, `/status`, `/google`
 * and the changes feed. Staff (bearer token): weekly rules, exceptions,
 * bulk exceptions, audit log. Every write needs `If-Match` with the ETag of
 * a read, and a stale one changes nothing (412).
 */
import { Hono, type Context } from 'hono';
import { describeRoute, resolver } from 'hono-openapi';
import * as v from 'valibot';
import { sql } from 'drizzle-orm';
import { locations, type LocationRow } from '../../db/schema';
import { database } from '../env';
import { PRIVATE_NO_STORE, PUBLIC_CACHE } from '../http/headers';
import { invalidRequest, methodNotAllowed, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { LOCATION_ID, ProblemSchema } from '../locations/api-schema';
import { findLocation, listLocationsByIds } from '../locations/queries';
import { locationPath } from '../locations/present';
import { requirePermission, staffOnly } from '../staff/auth';
import { BulkExceptionBody, ChangesQuery, ExceptionBody, ExceptionParams, StatusQuery, WeeklyBody } from './api-schema';
import { googleBusinessHours } from './google';
import type { WeeklyRule } from './model';
import { hoursEtag, presentHours, presentStatus, versionFromIfMatch, weekdayOf } from './present';
import { addBulkException, addException, auditEntries, changesAfter, findExceptionRow, loadSchedule, type NewException, removeException, replaceWeekly } from './store';
import { validateException, validateWeekly } from './validate';
import { parseInstant } from './instants';
import { localParts } from './zoned-time';

const IdParams = v.strictObject({ id: v.pipe(v.string(), v.regex(LOCATION_ID, 'identifiant invalide'), v.toUpperCase()) });

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });
const STAFF = { security: [{ bearer: [] }] };

async function locationOr404(id: string): Promise<LocationRow> {
  const location = await findLocation(database(), id);
  if (!location) throw new Problem('not-found', `Aucun point de contact n’a l’identifiant ${id}.`);
  return location;
}

const today = (location: LocationRow, now: Date) => localParts(now, location.timeZone).date;

/**
 * Hours change within seconds of an edit: a short browser cache keeps every
 * channel within 60 s. A status at a given instant too: the answer for that
 * instant changes when the hours do.
 */
const HOURS_CACHE = PUBLIC_CACHE;

/**
 * The hours with their ETag: public and briefly cacheable when anyone reads
 * them, `private, no-store` when they answer a staff write (no cache may keep
 * an answer to an authenticated call).
 */
async function hoursResponse(c: Context, location: LocationRow, answer: { status?: 200 | 201; staff?: boolean } = {}) {
  const now = new Date();
  const { schedule, version } = await loadSchedule(database(), location, today(location, now));
  c.header('etag', hoursEtag(version, today(location, now)));
  c.header('cache-control', answer.staff ? PRIVATE_NO_STORE : HOURS_CACHE);
  return c.json(presentHours(location.id, schedule, version, now), answer.status ?? 200);
}

function expectedVersion(c: Context): number {
  const header = c.req.header('if-match');
  if (!header) throw new Problem('precondition-required', 'Lisez d’abord les horaires (GET) et renvoyez leur ETag dans If-Match.');
  const version = versionFromIfMatch(header);
  if (version === undefined) throw new Problem('precondition-failed', 'If-Match ne correspond à aucune version de ces horaires.');
  return version;
}

const stale = () => new Problem('precondition-failed', 'Les horaires ont changé depuis votre lecture : relisez-les, puis recommencez.');

function toWeekly(body: WeeklyBody): WeeklyRule[] {
  return body.rules.map((r) => ({ day: weekdayOf(r.day), opens: r.opens, closes: r.closes }));
}

function toNewException(body: ExceptionBody): NewException {
  return { startDate: body.start_date, endDate: body.end_date, closed: body.closed, intervals: body.intervals, reason: body.reason, note: body.note || null };
}

function checkException(body: ExceptionBody, localToday: string, prefix = '') {
  const issues = validateException(toNewException(body), localToday);
  if (issues.length) throw invalidRequest(issues.map((i) => ({ name: prefix + i.name, reason: i.reason })));
}

export const locationHoursRoutes = new Hono()
  .get('/:id/hours',
    describeRoute({ tags: ['Hours'], summary: 'Horaires : règles hebdomadaires, exceptions, 14 prochains jours, opening_hours', responses: { 200: { description: 'Hours; ETag for If-Match' }, 404: problem('Unknown location') } }),
    validate('param', IdParams),
    async (c) => hoursResponse(c, await locationOr404(c.req.valid('param').id)))
  .get('/:id/status',
    describeRoute({ tags: ['Hours'], summary: 'Ouvert ou fermé à un instant (par défaut : maintenant)', responses: { 200: { description: 'open, closes_at / opens_at, reason' }, 400: problem('Bad instant'), 404: problem('Unknown location') } }),
    validate('param', IdParams), validate('query', StatusQuery),
    async (c) => {
      const location = await locationOr404(c.req.valid('param').id);
      const asked = c.req.valid('query').at;
      const at = (asked && parseInstant(asked)) || new Date();
      const { schedule } = await loadSchedule(database(), location, today(location, at));
      c.header('cache-control', HOURS_CACHE);
      return c.json(presentStatus(location.id, schedule, at));
    })
  .get('/:id/hours/google',
    describeRoute({ tags: ['Hours'], summary: 'Horaires au format Google Business Profile (regularHours, specialHours)', responses: { 200: { description: 'GBP hours' }, 404: problem('Unknown location') } }),
    validate('param', IdParams),
    async (c) => {
      const location = await locationOr404(c.req.valid('param').id);
      const now = new Date();
      const { schedule } = await loadSchedule(database(), location, today(location, now));
      c.header('cache-control', HOURS_CACHE);
      return c.json({ location_id: location.id, ...googleBusinessHours(schedule, now) });
    })
  .put('/:id/hours/weekly',
    describeRoute({ tags: ['Hours (staff)'], ...STAFF, summary: 'Remplacer les règles hebdomadaires', responses: { 200: { description: 'New hours and ETag' }, 400: problem('Invalid rules'), 401: problem('No valid token'), 403: problem('Out of role or scope'), 412: problem('Stale If-Match'), 428: problem('If-Match missing') } }),
    staffOnly, validate('param', IdParams), validate('json', WeeklyBody),
    async (c) => {
      const db = database();
      const now = new Date();
      const staff = c.get('staff');
      const location = await locationOr404(c.req.valid('param').id);
      requirePermission(staff, 'weekly', location);
      const version = expectedVersion(c);
      const body = c.req.valid('json');
      const rules = toWeekly(body);
      const issues = validateWeekly(rules);
      if (issues.length) throw invalidRequest(issues);
      const result = await replaceWeekly(db, { locationId: location.id, expectedVersion: version, rules, openOnHolidays: body.open_on_holidays, actor: staff, now: now.toISOString() });
      if (!result.ok) throw stale();
      return hoursResponse(c, location, { staff: true });
    })
  .post('/:id/hours/exceptions',
    describeRoute({ tags: ['Hours (staff)'], ...STAFF, summary: 'Déclarer une exception (fermeture, horaires spéciaux)', responses: { 201: { description: 'New hours and ETag' }, 400: problem('Invalid exception'), 401: problem('No valid token'), 403: problem('Out of role or scope'), 412: problem('Stale If-Match'), 428: problem('If-Match missing') } }),
    staffOnly, validate('param', IdParams), validate('json', ExceptionBody),
    async (c) => {
      const db = database();
      const now = new Date();
      const staff = c.get('staff');
      const location = await locationOr404(c.req.valid('param').id);
      requirePermission(staff, 'exception', location);
      const version = expectedVersion(c);
      const body = c.req.valid('json');
      checkException(body, today(location, now));
      const result = await addException(db, { locationId: location.id, expectedVersion: version, exception: toNewException(body), actor: staff, now: now.toISOString() });
      if (!result.ok) throw stale();
      c.header('location', `/api/v1/locations/${location.id}/hours/exceptions/${result.id}`);
      return hoursResponse(c, location, { status: 201, staff: true });
    })
  .delete('/:id/hours/exceptions/:exceptionId',
    describeRoute({ tags: ['Hours (staff)'], ...STAFF, summary: 'Retirer une exception', responses: { 200: { description: 'New hours and ETag' }, 401: problem('No valid token'), 403: problem('Out of role or scope'), 404: problem('Unknown exception'), 412: problem('Stale If-Match'), 428: problem('If-Match missing') } }),
    staffOnly, validate('param', ExceptionParams),
    async (c) => {
      const db = database();
      const now = new Date();
      const staff = c.get('staff');
      const { id, exceptionId } = c.req.valid('param');
      const location = await locationOr404(id);
      requirePermission(staff, 'exception', location);
      // A regional closure is lifted by whoever may declare one, not by a single office.
      const existing = await findExceptionRow(db, location.id, exceptionId);
      if (existing?.bulkId) requirePermission(staff, 'bulk', location);
      const version = expectedVersion(c);
      const result = await removeException(db, { locationId: location.id, exceptionId, expectedVersion: version, actor: staff, now: now.toISOString() });
      if (!result.ok && result.problem === 'not_found') throw new Problem('not-found', `Aucune exception ${exceptionId} pour ${location.id}.`);
      if (!result.ok) throw stale();
      return hoursResponse(c, location, { staff: true });
    })
  .get('/:id/hours/audit',
    describeRoute({ tags: ['Hours (staff)'], ...STAFF, summary: 'Journal des modifications (qui, quand, avant, après)', responses: { 200: { description: 'Audit entries, newest first' }, 401: problem('No valid token'), 403: problem('Out of scope') } }),
    staffOnly, validate('param', IdParams),
    async (c) => {
      const db = database();
      const staff = c.get('staff');
      const location = await locationOr404(c.req.valid('param').id);
      requirePermission(staff, 'exception', location);
      const entries = await auditEntries(db, location.id);
      c.header('cache-control', PRIVATE_NO_STORE);
      return c.json({
        location_id: location.id,
        entries: entries.map((e) => ({ seq: e.seq, at: e.at, action: e.action, actor: { id: e.actorId, name: e.actorName }, before: e.before, after: e.after })),
      });
    })
  .all('/:id/hours', methodNotAllowed('GET, HEAD'))
  .all('/:id/status', methodNotAllowed('GET, HEAD'))
  .all('/:id/hours/weekly', methodNotAllowed('PUT'))
  .all('/:id/hours/exceptions', methodNotAllowed('POST'));

export const hoursFeedRoutes = new Hono()
  .get('/changes',
    describeRoute({ tags: ['Hours'], summary: 'Flux ordonné et reprenable des changements d’horaires', description: 'Pass `next_cursor` as `since` to resume. Entries name the location and its page, never who made the change.', responses: { 200: { description: 'Changes, oldest first' }, 400: problem('Bad cursor') } }),
    validate('query', ChangesQuery),
    async (c) => {
      const { since, limit } = c.req.valid('query');
      const after = since ? Number(since) : 0;
      const rows = await changesAfter(database(), after, limit);
      const pages = new Map((await listLocationsByIds(database(), [...new Set(rows.map((r) => r.locationId))])).map((l) => [l.id, locationPath(l)]));
      c.header('cache-control', 'no-store');
      return c.json({
        changes: rows.map((r) => ({ seq: r.seq, location_id: r.locationId, action: r.action, at: r.at, page_url: pages.get(r.locationId) ?? null })),
        next_cursor: String(rows.at(-1)?.seq ?? after),
      });
    })
  .post('/bulk-exceptions',
    describeRoute({ tags: ['Hours (staff)'], ...STAFF, summary: 'Une exception pour de nombreux points de contact (fermeture régionale)', description: 'All or nothing: every location must exist and be in the token’s scope.', responses: { 201: { description: 'Created exceptions' }, 400: problem('Invalid body or unknown ids'), 401: problem('No valid token'), 403: problem('Out of role or scope') } }),
    staffOnly, validate('json', BulkExceptionBody),
    async (c) => {
      const db = database();
      const now = new Date();
      const staff = c.get('staff');
      const { location_ids, exception } = c.req.valid('json');
      const ids = [...new Set(location_ids)];
      // One query whatever the size (a national closure names 17,000 points): the ids go as one JSON parameter.
      const found = await db
        .select({ id: locations.id, parentId: locations.parentId, department: locations.department, timeZone: locations.timeZone })
        .from(locations)
        .where(sql`${locations.id} in (select value from json_each(${JSON.stringify(ids)}))`)
        .all();
      const known = new Set(found.map((l) => l.id));
      const missing = ids.filter((id) => !known.has(id));
      if (missing.length) throw invalidRequest(missing.slice(0, 20).map((id) => ({ name: 'location_ids', reason: `point de contact inconnu : ${id}` })));
      for (const location of found) requirePermission(staff, 'bulk', location);
      // Dates are checked against the latest "today" among the zones involved: none may be in its past.
      const latestToday = [...new Set(found.map((l) => l.timeZone))].map((zone) => localParts(now, zone).date).sort().at(-1)!;
      checkException(exception, latestToday, 'exception.');
      const result = await addBulkException(db, { locationIds: ids, exception: toNewException(exception), actor: staff, now: now.toISOString() });
      c.header('cache-control', PRIVATE_NO_STORE);
      return c.json({ bulk_id: result.bulkId, locations: ids.length, exception_ids: result.ids }, 201);
    })
  .all('/bulk-exceptions', methodNotAllowed('POST'))
  .all('/changes', methodNotAllowed('GET, HEAD'));
