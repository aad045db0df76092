/**
 * @module
 * Google Merchant Center's local inventory feed over HTTP:
 * `GET /flux/inventaire-local.tsv` (the whole file) and
 * `GET /flux/inventaire-local.tsv?depuis=<ISO instant>` (the rows changed
 * since, for a pusher between full files). Streamed page by page
 * (merchant-feed.ts); public, kept a few minutes by browsers and fetchers.
 * Mounted at `/`, after the API's catch-all: no path here starts with /api.
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import { database } from '../env';
import { readInstant, instantSchema } from '../hours/instants';
import { methodNotAllowed } from '../http/problem';
import { validate } from '../http/validate';
import { merchantFeedStream, merchantFeedTag } from './merchant-feed';

export const MERCHANT_FEED_PATH = '/flux/inventaire-local.tsv';

/** Google fetches a scheduled file at most hourly; counts move by the minute: five minutes is a fair staleness for both. */
export const MERCHANT_FEED_CACHE = 'public, max-age=300';

const FeedQuery = v.strictObject({
  depuis: v.optional(instantSchema({ format: 'depuis : instant ISO 8601 attendu, avec fuseau (ex. 2026-12-01T08:00:00Z)' })),
});

export const inventoryFeedRoutes = new Hono()
  .get(MERCHANT_FEED_PATH, validate('query', FeedQuery), async (c) => {
    const { depuis } = c.req.valid('query');
    const read = depuis === undefined ? undefined : readInstant(depuis);
    const since = read?.ok ? read.value.getTime() : null;
    // The request's D1 session, kept for the pages read after this handler has returned.
    const d1 = database().$client;
    return new Response(merchantFeedStream(d1, since), {
      headers: {
        'content-type': 'text/tab-separated-values; charset=utf-8',
        'cache-control': MERCHANT_FEED_CACHE,
        // Set here, so the app's ETag middleware does not read (and hold) the whole stream to hash it.
        etag: await merchantFeedTag(d1, since),
      },
    });
  })
  .all(MERCHANT_FEED_PATH, methodNotAllowed('GET, HEAD'));
