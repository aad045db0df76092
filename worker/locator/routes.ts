/**
 * @module
 * `GET /api/v1/locations/search`: nearest locations by coordinates or text,
 * with service, type and opening filters, each with its distance and status.
 */
import { Hono } from 'hono';
import { describeRoute } from 'hono-openapi';
import * as v from 'valibot';
import { database, siteOrigin } from '../env';
import { checkPublishableKey, partnerCall } from '../partners/access';
import { SEARCH_CACHE } from '../http/headers';
import { invalidRequest, methodNotAllowed, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { SearchQuery } from './api-schema';
import { ANONYMOUS_LIMIT_MESSAGE, ANONYMOUS_LIMIT_PERIOD_S, anonymousWithinLimit } from './limit';
import { presentSearch } from './present';
import { searchLocations } from './search';
import { apiSearchInput } from './search-request';

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
      // browser on a partner's site: a key with an Origin declared for it
      // (partnerCall refused any other), already counted per key and client.
      // A publishable key is public (the demo one is in the docs), so a key
      // without an Origin is any script: it counts as anonymous too.
      const partnerBrowser = partner !== undefined && !!c.req.header('origin');
      if (!partnerBrowser && !(await anonymousWithinLimit(c.req.header('cf-connecting-ip')))) {
        throw new Problem('too-many-requests', ANONYMOUS_LIMIT_MESSAGE, [], { 'retry-after': String(ANONYMOUS_LIMIT_PERIOD_S) });
      }
      const input = apiSearchInput(c.req.valid('query'), new Date());
      if (!input) throw invalidRequest([{ name: 'near', reason: 'indiquez near=latitude,longitude ou q=texte' }]);
      const output = await searchLocations(database(), input);
      // With the 20 s schedule cache, a change of hours still shows within 60 s.
      c.header('cache-control', SEARCH_CACHE);
      return c.json(presentSearch(output, input));
    },
  )
  // The preflight carries the search's own query: its parameters are checked by the GET that follows.
  .options('/search', validate('query', v.looseObject({ key: v.optional(v.string()) })), async (c) => {
    // Preflight: only a partner's declared origins may call with its key. A
    // preflight carries no custom header, so the key must be in the query.
    const origin = c.req.header('origin');
    const key = c.req.query('key');
    const check = origin && key ? await checkPublishableKey(database(), { key, origin, clientIp: undefined, selfOrigin: siteOrigin(c.req.raw), count: false }) : undefined;
    c.header('vary', 'Origin');
    if (!origin || check?.kind !== 'partner') return c.body(null, 204);
    c.header('access-control-allow-origin', origin);
    c.header('access-control-allow-methods', 'GET, HEAD');
    c.header('access-control-allow-headers', 'X-Guichet-Key');
    c.header('access-control-max-age', '600');
    return c.body(null, 204);
  })
  .all('/search', methodNotAllowed('GET, HEAD'));
