/**
 * @module
 * RFC 8058 one-click unsubscribe at the address every alert message carries
 * (`/suivi/alertes/desabonnement?jeton=…`, a page). Mail clients POST
 * `List-Unsubscribe=One-Click` there with no cookie and no Origin, which
 * Astro's cross-site form check (`security.checkOrigin`) refuses with a 403
 * before any page runs. This handler, mounted before the pages, answers
 * those posts itself; a post from the site's own pages (its Origin is
 * SITE_ORIGIN: the page's own button) goes on to the page.
 */
import type { MiddlewareHandler } from 'hono';
import { database, siteOrigin } from '../env';
import { NO_STORE } from '../http/headers';
import { endAlert } from './alerts';

export const ONE_CLICK_PATH = '/suivi/alertes/desabonnement';

export const oneClickUnsubscribe = (): MiddlewareHandler => async (c, next) => {
  if (c.req.header('origin') === siteOrigin()) return next();
  const form = await c.req.parseBody().catch(() => ({} as Record<string, unknown>));
  const headers = { 'cache-control': NO_STORE };
  // Anything else from elsewhere is what Astro would refuse too: a cross-site form.
  if (form['List-Unsubscribe'] !== 'One-Click') return c.text('Formulaire d’un autre site refusé (un clic : List-Unsubscribe=One-Click attendu).', 403, headers);
  // The token is the only proof; an unknown or used one ends nothing and answers the same.
  await endAlert(database(), c.req.query('jeton') ?? '');
  return c.text('C’est fait : vous ne recevrez plus ces alertes.', 200, headers);
};
