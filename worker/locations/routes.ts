/**
 * @module
 * `/api/v1/locations`: one location by id, and the filtered, cursor-paged list.
 */
import { Hono } from 'hono';
import { describeRoute, resolver } from 'hono-openapi';
import { database } from '../env';
import { invalidRequest, methodNotAllowed, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { ListLocationsQuery, LocationIdParams, LocationPageSchema, LocationSchema, ProblemSchema } from './api-schema';
import { decodeCursor, encodeCursor } from './cursor';
import { presentLocation } from './present';
import { findLocation, listLocations } from './queries';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: resolver(ProblemSchema) } },
});

export const locationRoutes = new Hono()
  .get(
    '/',
    describeRoute({
      tags: ['Locations'],
      summary: 'Liste des points de contact',
      description:
        'Pages ordered by id. `type` and `service` take comma-separated codes; with several services, every one must be offered. ' +
        'Follow `next_cursor` until it is null.',
      responses: {
        200: { description: 'A page of locations', content: { 'application/json': { schema: resolver(LocationPageSchema) } } },
        400: problem('A parameter is invalid; `invalid_params` names it'),
      },
    }),
    validate('query', ListLocationsQuery),
    async (c) => {
      const query = c.req.valid('query');
      let afterId: string | undefined;
      if (query.cursor !== undefined) {
        afterId = decodeCursor(query.cursor);
        if (!afterId) throw invalidRequest([{ name: 'cursor', reason: 'curseur inconnu ou altéré' }]);
      }
      const { rows, hasMore } = await listLocations(
        database(),
        { types: query.type, services: query.service, postcode: query.postcode, department: query.department, status: query.status },
        { afterId, limit: query.limit },
      );
      const last = rows.at(-1);
      return c.json({
        data: rows.map(presentLocation),
        next_cursor: hasMore && last ? encodeCursor(last.id) : null,
      });
    },
  )
  .get(
    '/:id',
    describeRoute({
      tags: ['Locations'],
      summary: 'Un point de contact',
      responses: {
        200: { description: 'The location', content: { 'application/json': { schema: resolver(LocationSchema) } } },
        400: problem('The id is malformed'),
        404: problem('No location has this id'),
      },
    }),
    validate('param', LocationIdParams),
    async (c) => {
      const { id } = c.req.valid('param');
      const row = await findLocation(database(), id);
      if (!row) throw new Problem('not-found', `Aucun point de contact n’a l’identifiant ${id}.`);
      return c.json(presentLocation(row));
    },
  )
  .all('/', methodNotAllowed('GET, HEAD'))
  .all('/:id', methodNotAllowed('GET, HEAD'));
