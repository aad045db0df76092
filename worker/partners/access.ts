/**
 * @module
 * What a publishable key allows: calls from the partner's own origins only,
 * within its rate limit. {@link checkPublishableKey} is the use case, shared
 * by the API and the widget page; {@link partnerCall} translates it to HTTP
 * for the API (401, 403, 429 with Retry-After, CORS).
 */
import type { Context } from 'hono';
import type { Database } from '../database';
import { bindings } from '../env';
import { Problem } from '../http/problem';
import { originAllowed, type Partner, partnerByPublishableKey } from './keys';

export const RATE_LIMIT_PERIOD_S = 60;

/**
 * Counts one request against the partner's limit, per visitor: the key is
 * public, so a stranger hammering it must not lock out the partner's shoppers.
 */
async function withinRateLimit(partner: Partner, clientIp?: string | null): Promise<boolean> {
  const limiter = bindings().PARTNER_LIMITER;
  if (!limiter) return true;
  return (await limiter.limit({ key: `${partner.id}:${clientIp ?? 'unknown'}` })).success;
}

export type KeyCheck =
  | { kind: 'partner'; partner: Partner }
  | { kind: 'unknown' }
  | { kind: 'origin_refused'; partner: Partner }
  | { kind: 'rate_limited'; partner: Partner };

export interface KeyCall {
  key: string;
  /** Where the call comes from (a browser's Origin, the widget's return URL); undefined when nothing says (a server). */
  origin: string | undefined;
  clientIp: string | null | undefined;
  /** Guichet's own origin, which a partner may declare as `self`. */
  selfOrigin: string;
  /** False for a call that will be refused anyway (its own fields are wrong) or a preflight: checked, not counted. */
  count?: boolean;
}

/** Checks a publishable key, then the calling origin, then counts the call against the partner's limit. */
export async function checkPublishableKey(db: Database, call: KeyCall): Promise<KeyCheck> {
  const partner = await partnerByPublishableKey(db, call.key);
  if (!partner) return { kind: 'unknown' };
  if (call.origin !== undefined && !originAllowed(partner, call.origin, call.selfOrigin)) return { kind: 'origin_refused', partner };
  if (call.count !== false && !(await withinRateLimit(partner, call.clientIp))) return { kind: 'rate_limited', partner };
  return { kind: 'partner', partner };
}

const tooManyRequests = () =>
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
  const origin = c.req.header('origin') || undefined;
  const check = await checkPublishableKey(db, { key, origin, clientIp: c.req.header('cf-connecting-ip'), selfOrigin });
  switch (check.kind) {
    case 'unknown':
      throw new Problem('unauthorized', 'Clé partenaire inconnue ou révoquée.', [{ name: 'key', reason: 'clé inconnue' }]);
    case 'origin_refused':
      throw new Problem('forbidden', `L’origine ${origin} n’est pas déclarée pour cette clé.`);
    case 'rate_limited': {
      // The partner's script must be able to read the problem and when to retry.
      const problem = tooManyRequests();
      if (origin) Object.assign(problem.headers, { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'Retry-After', vary: 'Origin' });
      throw problem;
    }
  }
  if (origin) {
    c.header('access-control-allow-origin', origin);
    c.header('vary', 'Origin');
  }
  return check.partner;
}
