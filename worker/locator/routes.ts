/**
 * @module
 * `GET /api/v1/locations/search`: nearest locations by coordinates or text,
 * with service, type and opening filters, each with its distance and status.
 */
import { Hono } from 'hono';
import { describeRoute } from 'hono-openapi';
import * as v from 'valibot';
import { database, siteOrigin } from '../env';
import { partnerCall } from '../partners/access';
import { originAllowed, partnerByPublishableKey } from '../partners/keys';
import { invalidRequest, methodNotAllowed, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { LOCATION_TYPE_LABELS } from '../locations/catalog';
import { locationPath } from '../locations/present';
import { isTrue, MAX_DEPTH, SearchQuery } from './api-schema';
import { ANONYMOUS_LIMIT_MESSAGE, ANONYMOUS_LIMIT_PERIOD_S, anonymousWithinLimit } from './limit';
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
    // No cursor past the depth cap: nobody pages through 200 results, a scraper would.
    next_cursor: output.hasMore && offset + limit < MAX_DEPTH ? `o${offset + limit}` : null,
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
      responses: { 200: { description: 'Nearest locations, with distance and status' }, 400: { description: 'Invalid parameter (problem+json)' }, 429: { description: 'Too many searches from this client or key (problem+json, Retry-After)' } },
    }),
    validate('query', SearchQuery),
    async (c) => {
      const partner = await partnerCall(c, database(), siteOrigin(c.req.raw));
      // Every search counts against the client's address, except a shopper's
      // browser on a partner's site: a key with an Origin declared for it,
      // already counted per key and client by partnerCall. A publishable key
      // is public (the demo one is in the docs), so a key without an Origin
      // is any script: it counts as anonymous too.
      const origin = c.req.header('origin');
      const partnerBrowser = partner !== undefined && !!origin && originAllowed(partner, origin, siteOrigin(c.req.raw));
      if (!partnerBrowser && !(await anonymousWithinLimit(c.req.header('cf-connecting-ip')))) {
        throw new Problem('too-many-requests', ANONYMOUS_LIMIT_MESSAGE, [], { 'retry-after': String(ANONYMOUS_LIMIT_PERIOD_S) });
      }
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
  // The preflight carries the search's own query: its parameters are checked by the GET that follows.
  .options('/search', validate('query', v.looseObject({ key: v.optional(v.string()) })), async (c) => {
    // Preflight: only a partner's declared origins may call with its key. A
    // preflight carries no custom header, so the key must be in the query.
    const origin = c.req.header('origin');
    const key = c.req.query('key');
    const partner = key ? await partnerByPublishableKey(database(), key) : undefined;
    c.header('vary', 'Origin');
    if (!origin || !partner || !originAllowed(partner, origin, siteOrigin(c.req.raw))) return c.body(null, 204);
    c.header('access-control-allow-origin', origin);
    c.header('access-control-allow-methods', 'GET, HEAD');
    c.header('access-control-allow-headers', 'X-Guichet-Key');
    c.header('access-control-max-age', '600');
    return c.body(null, 204);
  })
  .all('/search', methodNotAllowed('GET, HEAD'));
