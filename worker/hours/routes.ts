/**
 * @module
 * Hours over HTTP. Public: `/locations/{id}/hours`, `/status`, `/google`
 * and the changes feed. Staff (bearer token): weekly rules, exceptions,
 * bulk exceptions, audit log. Every write needs `If-Match` with the ETag of
 * a read, and a stale one changes nothing (412). The handlers only
 * translate: the operations, their checks and their refusals are the use
 * cases' (./use-cases.ts), which the staff pages call too.
 */
import { Hono, type Context } from 'hono';
import { describeRoute, resolver } from 'hono-openapi';
import * as v from 'valibot';
import { database } from '../env';
import { FRESH_UNTIL_HEADER, NO_STORE, PRIVATE_NO_STORE, PUBLIC_CACHE } from '../http/headers';
import { invalidRequest, methodNotAllowed, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { LOCATION_ID, ProblemSchema } from '../locations/api-schema';
import { staffOnly } from '../staff/auth';
import { BulkExceptionBody, ChangesQuery, ExceptionBody, ExceptionParams, StatusQuery, WeeklyBody } from './api-schema';
import { googleBusinessHours } from './google-business-profile';
import { statusAt } from './engine';
import type { Schedule } from './model';
import { hoursEtag, presentHours, presentStatus, statusHoldsUntil, versionFromIfMatch, weekdayOfCode } from './present';
import type { NewException } from './store';
import {
  auditOf, declareBulkException, declareException, hoursChanges, hoursOf, removeException, replaceWeeklyHours, statusOf,
  type HoursView, type ReadVersion, type Refusal,
} from './use-cases';
import { parseInstant } from './instants';

const IdParams = v.strictObject({ id: v.pipe(v.string(), v.regex(LOCATION_ID, 'identifiant invalide'), v.toUpperCase()) });

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });
const STAFF = { security: [{ bearer: [] }] };

/**
 * Hours change within seconds of an edit: a short browser cache keeps every
 * channel within 60 s. A status at a given instant too: the answer for that
 * instant changes when the hours do.
 */
const HOURS_CACHE = PUBLIC_CACHE;

/** A use case's refusal as problem+json. */
function refusalProblem(refusal: Refusal, issuePrefix = ''): Problem {
  switch (refusal.problem) {
    case 'not_found':
      return refusal.what === 'location'
        ? new Problem('not-found', `Aucun point de contact n’a l’identifiant ${refusal.id}.`)
        : new Problem('not-found', `Aucune exception ${refusal.id} pour ${refusal.locationId}.`);
    case 'forbidden':
      return refusal.why === 'role'
        ? new Problem('forbidden', `Le rôle « ${refusal.role} » ne permet pas cette action.`)
        : new Problem('forbidden', `Le point de contact ${refusal.locationId} est hors du périmètre de ce jeton.`);
    case 'version_required':
      return new Problem('precondition-required', 'Lisez d’abord les horaires (GET) et renvoyez leur ETag dans If-Match.');
    case 'version_unmatched':
      return new Problem('precondition-failed', 'If-Match ne correspond à aucune version de ces horaires.');
    case 'stale':
      return new Problem('precondition-failed', 'Les horaires ont changé depuis votre lecture : relisez-les, puis recommencez.');
    case 'invalid':
      return invalidRequest(refusal.issues.map((i) => ({ name: issuePrefix + i.name, reason: i.reason })));
  }
}

/**
 * The hours with their ETag: public and briefly cacheable when anyone reads
 * them, `private, no-store` when they answer a staff write (no cache may keep
 * an answer to an authenticated call).
 */
function hoursResponse(c: Context, hours: HoursView, now: Date, answer: { status?: 200 | 201; staff?: boolean } = {}) {
  c.header('etag', hoursEtag(hours.version, hours.today));
  c.header('cache-control', answer.staff ? PRIVATE_NO_STORE : HOURS_CACHE);
  if (!answer.staff) holdsUntil(c, hours.schedule, now);
  return c.json(presentHours(hours.location.id, hours.schedule, hours.version, now), answer.status ?? 200);
}

/** Tells the edge cache how long an answer showing the status at `now` holds. */
function holdsUntil(c: Context, schedule: Schedule, now: Date): void {
  c.header(FRESH_UNTIL_HEADER, statusHoldsUntil(statusAt(schedule, now), now, schedule.timeZone).toISOString());
}

/** The version named by `If-Match`: the ETag of a read. */
function readVersion(c: Context): ReadVersion {
  const header = c.req.header('if-match');
  if (!header) return 'missing';
  return versionFromIfMatch(header) ?? 'unmatched';
}

function toWeekly(body: WeeklyBody) {
  return body.rules.map((r) => ({ day: weekdayOfCode(r.day), opens: r.opens, closes: r.closes }));
}

function toNewException(body: ExceptionBody): NewException {
  return { startDate: body.start_date, endDate: body.end_date, closed: body.closed, intervals: body.intervals, reason: body.reason, note: body.note || null };
}

export const locationHoursRoutes = new Hono()
  .get('/:id/hours',
    describeRoute({ tags: ['Hours'], summary: 'Horaires : règles hebdomadaires, exceptions, 14 prochains jours, opening_hours', responses: { 200: { description: 'Hours; ETag for If-Match' }, 404: problem('Unknown location') } }),
    validate('param', IdParams),
    async (c) => {
      const now = new Date();
      const result = await hoursOf(database(), c.req.valid('param').id, now);
      if (!result.ok) throw refusalProblem(result);
      return hoursResponse(c, result.hours, now);
    })
  .get('/:id/status',
    describeRoute({ tags: ['Hours'], summary: 'Ouvert ou fermé à un instant (par défaut : maintenant)', responses: { 200: { description: 'open, closes_at / opens_at, reason' }, 400: problem('Bad instant'), 404: problem('Unknown location') } }),
    validate('param', IdParams), validate('query', StatusQuery),
    async (c) => {
      const asked = c.req.valid('query').at;
      const at = (asked && parseInstant(asked)) || new Date();
      const result = await statusOf(database(), c.req.valid('param').id, at);
      if (!result.ok) throw refusalProblem(result);
      c.header('cache-control', HOURS_CACHE);
      // A status at a given instant never changes (but for an hours edit, which changes the key); now's does.
      if (asked) c.header(FRESH_UNTIL_HEADER, new Date(Date.now() + 86_400_000).toISOString());
      else holdsUntil(c, result.schedule, at);
      return c.json(presentStatus(result.location.id, result.schedule, at));
    })
  .get('/:id/hours/google',
    describeRoute({ tags: ['Hours'], summary: 'Horaires au format Google Business Profile (regularHours, specialHours)', responses: { 200: { description: 'GBP hours' }, 404: problem('Unknown location') } }),
    validate('param', IdParams),
    async (c) => {
      const now = new Date();
      const result = await hoursOf(database(), c.req.valid('param').id, now);
      if (!result.ok) throw refusalProblem(result);
      c.header('cache-control', HOURS_CACHE);
      holdsUntil(c, result.hours.schedule, now);
      return c.json({ location_id: result.hours.location.id, ...googleBusinessHours(result.hours.schedule, now) });
    })
  .put('/:id/hours/weekly',
    describeRoute({ tags: ['Hours (staff)'], ...STAFF, summary: 'Remplacer les règles hebdomadaires', responses: { 200: { description: 'New hours and ETag' }, 400: problem('Invalid rules'), 401: problem('No valid token'), 403: problem('Out of role or scope'), 412: problem('Stale If-Match'), 428: problem('If-Match missing') } }),
    staffOnly, validate('param', IdParams), validate('json', WeeklyBody),
    async (c) => {
      const now = new Date();
      const body = c.req.valid('json');
      const result = await replaceWeeklyHours(database(), c.get('staff'), {
        locationId: c.req.valid('param').id, expectedVersion: readVersion(c), rules: toWeekly(body), openOnHolidays: body.open_on_holidays,
      }, now);
      if (!result.ok) throw refusalProblem(result);
      return hoursResponse(c, result.hours, now, { staff: true });
    })
  .post('/:id/hours/exceptions',
    describeRoute({ tags: ['Hours (staff)'], ...STAFF, summary: 'Déclarer une exception (fermeture, horaires spéciaux)', responses: { 201: { description: 'New hours and ETag' }, 400: problem('Invalid exception'), 401: problem('No valid token'), 403: problem('Out of role or scope'), 412: problem('Stale If-Match'), 428: problem('If-Match missing') } }),
    staffOnly, validate('param', IdParams), validate('json', ExceptionBody),
    async (c) => {
      const now = new Date();
      const result = await declareException(database(), c.get('staff'), {
        locationId: c.req.valid('param').id, expectedVersion: readVersion(c), exception: toNewException(c.req.valid('json')),
      }, now);
      if (!result.ok) throw refusalProblem(result);
      c.header('location', `/api/v1/locations/${result.hours.location.id}/hours/exceptions/${result.id}`);
      return hoursResponse(c, result.hours, now, { status: 201, staff: true });
    })
  .delete('/:id/hours/exceptions/:exceptionId',
    describeRoute({ tags: ['Hours (staff)'], ...STAFF, summary: 'Retirer une exception', responses: { 200: { description: 'New hours and ETag' }, 401: problem('No valid token'), 403: problem('Out of role or scope'), 404: problem('Unknown exception'), 412: problem('Stale If-Match'), 428: problem('If-Match missing') } }),
    staffOnly, validate('param', ExceptionParams),
    async (c) => {
      const now = new Date();
      const { id, exceptionId } = c.req.valid('param');
      const result = await removeException(database(), c.get('staff'), { locationId: id, exceptionId, expectedVersion: readVersion(c) }, now);
      if (!result.ok) throw refusalProblem(result);
      return hoursResponse(c, result.hours, now, { staff: true });
    })
  .get('/:id/hours/audit',
    describeRoute({ tags: ['Hours (staff)'], ...STAFF, summary: 'Journal des modifications (qui, quand, avant, après)', responses: { 200: { description: 'Audit entries, newest first' }, 401: problem('No valid token'), 403: problem('Out of scope') } }),
    staffOnly, validate('param', IdParams),
    async (c) => {
      const result = await auditOf(database(), c.get('staff'), c.req.valid('param').id);
      if (!result.ok) throw refusalProblem(result);
      c.header('cache-control', PRIVATE_NO_STORE);
      return c.json({
        location_id: result.location.id,
        entries: result.entries.map((e) => ({ seq: e.seq, at: e.at, action: e.action, actor: { id: e.actorId, name: e.actorName }, before: e.before, after: e.after })),
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
      const rows = await hoursChanges(database(), after, limit);
      c.header('cache-control', NO_STORE);
      return c.json({
        changes: rows.map((r) => ({ seq: r.seq, location_id: r.locationId, action: r.action, at: r.at, page_url: r.pagePath })),
        next_cursor: String(rows.at(-1)?.seq ?? after),
      });
    })
  .post('/bulk-exceptions',
    describeRoute({ tags: ['Hours (staff)'], ...STAFF, summary: 'Une exception pour de nombreux points de contact (fermeture régionale)', description: 'All or nothing: every location must exist and be in the token’s scope.', responses: { 201: { description: 'Created exceptions' }, 400: problem('Invalid body or unknown ids'), 401: problem('No valid token'), 403: problem('Out of role or scope') } }),
    staffOnly, validate('json', BulkExceptionBody),
    async (c) => {
      const { location_ids, exception } = c.req.valid('json');
      const result = await declareBulkException(database(), c.get('staff'), { locationIds: location_ids, exception: toNewException(exception) }, new Date());
      if (!result.ok && result.problem === 'unknown_locations') {
        throw invalidRequest(result.ids.slice(0, 20).map((id) => ({ name: 'location_ids', reason: `point de contact inconnu : ${id}` })));
      }
      if (!result.ok) throw refusalProblem(result, 'exception.');
      c.header('cache-control', PRIVATE_NO_STORE);
      return c.json({ bulk_id: result.bulkId, locations: result.locationIds.length, exception_ids: result.exceptionIds }, 201);
    })
  .all('/bulk-exceptions', methodNotAllowed('POST'))
  .all('/changes', methodNotAllowed('GET, HEAD'));
