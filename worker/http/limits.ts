/**
 * @module
 * What a request may be: its method (405 with `Allow` on pages too, not a
 * page rendered for `DELETE /`) and the size of its body (413 over a cap,
 * before anything reads it). Caps are documented in docs/api.md.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { methodNotAllowed, Problem } from './problem';

/** API bodies: a weekly timetable, an exception or a token fit many times over. */
export const API_BODY_LIMIT = 64 * 1024;
/** The bulk exception names every office of the network (17,000 ids, about 200 KB) with room to spare. */
export const BULK_BODY_LIMIT = 1024 * 1024;
/** A page's form (sign-in, closure, the widget demo's return). */
export const FORM_BODY_LIMIT = 16 * 1024;

/** A carrier's batch: 500 events of a few hundred bytes each. */
export const EVENTS_BODY_LIMIT = 512 * 1024;

const BULK_PATH = '/api/v1/hours/bulk-exceptions';
const EVENTS_PATH = '/api/v1/parcels/events';
/** A location's stock sheet as a feed: up to 5,000 rows of CSV or JSON (about 60 bytes each with their counting instant). */
const STOCK_FEED_PATH = /^\/api\/v1\/locations\/[^/]+\/stock$/;

export function bodyCap(path: string): number {
  if (path === BULK_PATH || STOCK_FEED_PATH.test(path)) return BULK_BODY_LIMIT;
  if (path === EVENTS_PATH) return EVENTS_BODY_LIMIT;
  return path.startsWith('/api/') ? API_BODY_LIMIT : FORM_BODY_LIMIT;
}

const limiters = new Map<number, MiddlewareHandler>();
const limiter = (maxSize: number) => {
  let handler = limiters.get(maxSize);
  if (!handler) {
    handler = bodyLimit({
      maxSize,
      onError: () => {
        throw new Problem('payload-too-large', `Corps de requête trop volumineux : ${Math.floor(maxSize / 1024)} Kio au plus sur cette adresse.`);
      },
    });
    limiters.set(maxSize, handler);
  }
  return handler;
};

/** 413 problem for bodies over the cap of their path. */
export const bodyLimits = (): MiddlewareHandler => (c, next) => limiter(bodyCap(c.req.path))(c, next);

/** Pages that take a form post; every other page is read-only. */
const FORM_PAGES = new Set([
  '/staff/connexion', '/staff/fermeture', '/staff/deconnexion', '/staff/guichet', '/widget/demo/retour',
  '/connexion', '/connexion/code', '/deconnexion',
  '/compte', '/compte/favoris', '/compte/donnees', '/compte/suppression', '/compte/cles',
  // Parcels (issue 10): following in the account, email alerts (asked, confirmed, ended in one click).
  '/compte/colis', '/suivi/alertes', '/suivi/alertes/confirmation', '/suivi/alertes/desabonnement',
  // Parcels at the counter (handover) and "livré mais pas reçu" claims.
  '/staff/colis', '/compte/colis/reclamation',
  // Stock (issue 11): counts, holds handed over at the counter, the customer's holds, the counter's orders.
  '/staff/stock', '/staff/retraits', '/staff/catalogue', '/compte/reservations', '/compte/commandes',
  // Low-crowd alerts (issue 13): a professional subscribes to an office, or stops.
  '/compte/alertes-affluence',
  // Bookings (issue 13): the customer's appointments and deposit slots.
  '/compte/rendez-vous',
  // Professional accounts (issue 13): declaring the company's SIRET, or stopping.
  '/compte/professionnel',
  // Pro services (issue 13): an office's offers, set by its manager.
  '/staff/offres',
]);
/** Form pages with a part of their address that varies: reserve or order a product, reorder, book a seat at an office (and confirm it). */
const FORM_PAGE_PATTERNS = [/^\/boutique\/[^/]+\/(reserver|commander)$/, /^\/compte\/commandes\/[^/]+\/recommander$/, /^\/rendez-vous\/[^/]+$/];
const isFormPage = (path: string) => FORM_PAGES.has(path) || FORM_PAGE_PATTERNS.some((pattern) => pattern.test(path));

/**
 * For what the API and sitemaps did not answer (the pages): GET and HEAD,
 * plus POST on form pages; anything else is a 405 naming the admitted methods.
 */
export const pageMethods = (): MiddlewareHandler => (c, next) => {
  const allow = isFormPage(c.req.path.replace(/\/$/, '')) ? 'GET, HEAD, POST' : 'GET, HEAD';
  if (allow.split(', ').includes(c.req.method)) return next();
  return Promise.resolve(methodNotAllowed(allow)(c));
};
