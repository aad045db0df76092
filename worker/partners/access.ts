/**
 * @module
 * What a publishable key allows: calls from the partner's own origins only
 * (CORS), within its rate limit (429 with Retry-After).
 */
import type { Context } from 'hono';
import type { Database } from '../database';
import { bindings } from '../env';
import { Problem } from '../http/problem';
import { originAllowed, type Partner, partnerByPublishableKey } from './keys';

export const RATE_LIMIT_PERIOD_S = 60;

interface Limiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/**
 * Counts one request against the partner's limit, per visitor: the key is
 * public, so a stranger hammering it must not lock out the partner's shoppers.
 */
export async function withinRateLimit(partner: Partner, clientIp?: string | null): Promise<boolean> {
  const limiter = (bindings() as unknown as { PARTNER_LIMITER?: Limiter }).PARTNER_LIMITER;
  if (!limiter) return true;
  return (await limiter.limit({ key: `${partner.id}:${clientIp ?? 'unknown'}` })).success;
}

export const tooManyRequests = () =>
  new Problem('too-many-requests', `Trop de requêtes pour cette clé : réessayez dans ${RATE_LIMIT_PERIOD_S} secondes.`, [], {
    'retry-after': String(RATE_LIMIT_PERIOD_S),
  });

/**
 * For API calls carrying a publishable key (`key` parameter or
 * `X-Guichet-Key`): checks the key, the calling origin and the rate limit,
 * and answers CORS for the partner's origins only.
 */
export async function partnerCall(c: Context, db: Database, selfOrigin: string): Promise<Partner | undefined> {
  const key = c.req.query('key') ?? c.req.header('x-guichet-key');
  if (!key) return undefined;
  const partner = await partnerByPublishableKey(db, key);
  if (!partner) throw new Problem('unauthorized', 'Clé partenaire inconnue ou révoquée.', [{ name: 'key', reason: 'clé inconnue' }]);
  const origin = c.req.header('origin');
  if (origin && !originAllowed(partner, origin, selfOrigin)) {
    throw new Problem('forbidden', `L’origine ${origin} n’est pas déclarée pour cette clé.`);
  }
  if (!(await withinRateLimit(partner, c.req.header('cf-connecting-ip')))) {
    // The partner's script must be able to read the problem and when to retry.
    const problem = tooManyRequests();
    if (origin) Object.assign(problem.headers, { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'Retry-After', vary: 'Origin' });
    throw problem;
  }
  if (origin) {
    c.header('access-control-allow-origin', origin);
    c.header('vary', 'Origin');
  }
  return partner;
}
