/**
 * @module
 * `GET /api/v1/locations/search`: nearest locations by coordinates or text,
 * with service, type and opening filters, each with its distance and status.
 */
import { Hono } from 'hono';
import { describeRoute } from 'hono-openapi';
import { database, siteOrigin } from '../env';
import { partnerCall } from '../partners/access';
import { invalidRequest, methodNotAllowed } from '../http/problem';
import { validate } from '../http/validate';
import { LOCATION_TYPE_LABELS } from '../locations/catalog';
import { locationPath } from '../locations/present';
import { isTrue, SearchQuery } from './api-schema';
import { type SearchOutput, searchLocations } from './search';

export function presentSearch(output: SearchOutput, offset: number, limit: number) {
  return {
    center: output.center ? { latitude: output.center.latitude, longitude: output.center.longitude } : null,
    resolution: output.resolution,
    results: output.results.map(({ place, distance, status, summary }) => ({
      id: place.id,
      name: place.name,
      type: place.type,
      type_label: LOCATION_TYPE_LABELS[place.type],
      distance_m: Math.round(distance),
      address: { postcode: place.postcode, commune: place.commune },
      coordinates: { latitude: place.latitude, longitude: place.longitude },
      services: place.services,
      status: {
        open: status.open,
        closing_soon: status.closingSoon,
        closes_at: status.closesAt?.toISOString() ?? null,
        opens_at: status.opensAt?.toISOString() ?? null,
        summary,
      },
      page_url: locationPath(place),
    })),
    next_cursor: output.hasMore ? `o${offset + limit}` : null,
    explanation: output.explanation,
  };
}

export const locatorRoutes = new Hono()
  .get(
    '/search',
    describeRoute({
      tags: ['Locator'],
      summary: 'Points de contact les plus proches, avec filtres de services et d’ouverture',
      description: 'Give `near=lat,lon` or `q` (postcode, commune, office name or id). Results are sorted by great-circle distance.',
      responses: { 200: { description: 'Nearest locations, with distance and status' }, 400: { description: 'Invalid parameter (problem+json)' } },
    }),
    validate('query', SearchQuery),
    async (c) => {
      await partnerCall(c, database(), siteOrigin(c.req.raw));
      const query = c.req.valid('query');
      if (!query.near && !query.q) throw invalidRequest([{ name: 'near', reason: 'indiquez near=latitude,longitude ou q=texte' }]);
      const offset = query.cursor ? Number(query.cursor.slice(1)) : 0;
      const output = await searchLocations(database(), {
        near: query.near,
        q: query.q,
        radius: query.radius,
        limit: query.limit,
        offset,
        servicesAny: query.services,
        servicesAll: query.services_all,
        types: query.type,
        openNow: isTrue(query.open_now),
        openAt: query.open_at ? new Date(query.open_at) : undefined,
        openSaturday: isTrue(query.open_saturday),
        now: new Date(),
      });
      // With the 20 s schedule cache, a change of hours still shows within 60 s.
      c.header('cache-control', 'public, max-age=20, stale-while-revalidate=20');
      return c.json(presentSearch(output, offset, query.limit));
    },
  )
  .options('/search', async (c) => {
    // Preflight: only a partner's declared origins may call with its key.
    const origin = c.req.header('origin');
    c.header('access-control-allow-origin', origin ?? 'null');
    c.header('access-control-allow-methods', 'GET, HEAD');
    c.header('access-control-allow-headers', 'X-Guichet-Key');
    c.header('access-control-max-age', '600');
    c.header('vary', 'Origin');
    return c.body(null, 204);
  })
  .all('/search', methodNotAllowed('GET, HEAD'));
