/**
 * @module
 * `GET /api/v1/offices/{id}/affluence`: how busy an office usually is, per
 * weekday and local quarter hour, and how busy it is now. Public: the
 * numbers are means over weeks, with quarters below the minimum of
 * observations hidden (histogram.ts says why), so no answer points at a
 * person. Other methods answer 405 with `Allow`.
 */
import { Hono } from 'hono';
import { describeRoute, resolver } from 'hono-openapi';
import * as v from 'valibot';
import { OfficeParams } from '../bookings/api-schema';
import { database } from '../env';
import { methodNotAllowed, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { ProblemSchema } from '../locations/api-schema';
import { findLocation } from '../locations/queries';
import { presentAffluence } from './present';
import { officeAffluence } from './read';

/**
 * The live level counts the last 15 minutes' arrivals and moves with each
 * one: an answer is kept 30 s, and served stale 30 s more while a fresh one
 * is fetched, so what a reader sees is at most a minute old, a fifteenth
 * of the window it describes. (Not kept at the edge: its key follows hours
 * changes, not arrivals, and the answer costs two indexed reads.)
 */
export const AFFLUENCE_CACHE = 'public, max-age=30, stale-while-revalidate=30';

const SlotSchema = v.object({
  time: v.pipe(v.string(), v.description('Local start of the quarter, HH:MM')),
  level: v.pipe(v.nullable(v.number()), v.description('0–100, the weekday’s busiest quarter being 100; null when hidden')),
  mean: v.pipe(v.nullable(v.number()), v.description('Mean arrivals in this quarter per observed day; null when hidden')),
});

export const AffluenceSchema = v.object({
  office_id: v.string(),
  time_zone: v.string(),
  min_observations: v.pipe(v.number(), v.description('A quarter with fewer arrivals than this, over all its observed days, is hidden')),
  hiding_rule: v.string(),
  weekdays: v.array(v.object({
    weekday: v.pipe(v.number(), v.description('ISO weekday, Monday = 1')),
    name: v.string(),
    observed_days: v.pipe(v.number(), v.description('Days of this weekday on which the office recorded at least one arrival, over the rolling year')),
    slots: v.pipe(v.array(SlotSchema), v.description('From the first visible quarter to the last; empty when none is visible')),
  })),
  live: v.nullable(v.object({
    at: v.string(),
    level: v.pipe(v.nullable(v.number()), v.description('Arrivals of the last 15 minutes on the usual scale (100 = this weekday’s usual peak; may exceed 100); null when the weekday has no visible peak')),
    usual: v.pipe(v.nullable(v.number()), v.description('The usual level of the current quarter; null when hidden')),
    arrivals: v.pipe(v.number(), v.description('Arrivals in the last 15 minutes')),
  })),
});

export const officeAffluenceRoutes = new Hono()
  .get('/:id/affluence',
    describeRoute({
      tags: ['Pro services'],
      summary: 'L’affluence habituelle d’un bureau et son affluence du moment',
      description: 'Per weekday (Monday first), the local quarters from the first to the last visible one, each with its level (0–100, the weekday’s busiest quarter being 100) and mean arrivals per observed day, over a rolling year. '
        + 'A quarter with fewer than `min_observations` arrivals over all its observed days is hidden (`null`). '
        + '`live` compares the arrivals of the last 15 minutes with the same scale; it is null when nothing was ever counted at the office. '
        + 'Cached 30 s (plus 30 s stale): the live level moves with each arrival.',
      responses: {
        200: { description: 'The affluence', content: { 'application/json': { schema: resolver(AffluenceSchema) } } },
        400: { description: 'Malformed id', content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } },
        404: { description: 'Unknown office', content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } },
      },
    }),
    validate('param', OfficeParams),
    async (c) => {
      const { id } = c.req.valid('param');
      const db = database();
      const location = await findLocation(db, id);
      if (!location) throw new Problem('not-found', `Aucun bureau n’a l’identifiant ${id}.`);
      const now = new Date();
      const affluence = await officeAffluence(db, { id: location.id, timeZone: location.timeZone }, now);
      c.header('cache-control', AFFLUENCE_CACHE);
      return c.json(presentAffluence(location, affluence, now));
    })
  .all('/:id/affluence', methodNotAllowed('GET, HEAD'));
