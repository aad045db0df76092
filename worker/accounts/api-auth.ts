/**
 * @module
 * Who is calling the customer API: the session cookie, as on the pages.
 * Every answer is personal (`private, no-store`, `Vary: Cookie`). A call
 * that changes something must come from Guichet's own pages: its `Origin`
 * must be the configured SITE_ORIGIN (a browser always sends it on such a
 * call, and no other site can forge it), so another site cannot act with
 * the customer's cookie (CSRF).
 */
import { createMiddleware } from 'hono/factory';
import { database, siteOrigin } from '../env';
import { personal } from '../http/headers';
import { Problem } from '../http/problem';
import { currentCustomer, type CustomerSession } from './sessions';

export type CustomerEnv = { Variables: { session: CustomerSession } };

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Refuses (403) a state-changing call whose Origin is not the site's own. */
export function requireSameOrigin(method: string, origin: string | undefined): void {
  if (SAFE.has(method)) return;
  if (origin !== siteOrigin()) {
    throw new Problem('forbidden', 'Requête refusée : elle doit venir des pages de Guichet (en-tête Origin).');
  }
}

/** Route middleware: the signed-in customer as `c.get('session')`, or a 401. */
export const customerOnly = createMiddleware<CustomerEnv>(async (c, next) => {
  try {
    requireSameOrigin(c.req.method, c.req.header('origin'));
    const session = await currentCustomer(database(), c.req.header('cookie'), new Date());
    if (!session) throw new Problem('unauthorized', 'Connexion requise : connectez-vous sur /connexion.');
    c.set('session', session);
    await next();
  } finally {
    personal(c.res.headers);
  }
});
