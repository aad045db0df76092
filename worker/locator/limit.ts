/**
 * @module
 * The per-client limit of searches (`SEARCH_LIMITER`), shared by the search
 * API and the `/recherche` page: a scraper gets as little from one as from
 * the other. Only a partner's shoppers are counted otherwise: a call with a
 * publishable key from an origin declared for it (see `partners/access.ts`,
 * limited per key and client).
 */
import { bindings } from '../env';

export const ANONYMOUS_LIMIT_PERIOD_S = 60;

export const ANONYMOUS_LIMIT_MESSAGE = `Trop de recherches depuis votre adresse : réessayez dans ${ANONYMOUS_LIMIT_PERIOD_S} secondes.`;

/**
 * Counts one search against the client's address. Cloudflare's edge always
 * sets `CF-Connecting-IP`; a request without it did not come through the
 * edge (tests, local runs) and is not counted.
 */
export async function anonymousWithinLimit(clientIp: string | null | undefined): Promise<boolean> {
  const limiter = bindings().SEARCH_LIMITER;
  if (!limiter || !clientIp) return true;
  return (await limiter.limit({ key: `search:${clientIp}` })).success;
}
