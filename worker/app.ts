/**
 * @module
 * The Hono application: shared middleware, the API, the OpenAPI document,
 * sitemaps and robots.txt. Astro's pages are mounted after it (site/fetch.ts).
 */
import { Hono } from 'hono';
import { etag } from 'hono/etag';
import { openAPIRouteHandler } from 'hono-openapi';
import { publicCache, securityHeaders } from './http/headers';
import { HTTPException } from 'hono/http-exception';
import { bodyLimits, pageMethods } from './http/limits';
import { invalidRequest, methodNotAllowed, Problem } from './http/problem';
import { statusLine } from './http/status';
import { strictQuery } from './http/validate';
import { passkeyRoutes } from './accounts/passkey-routes';
import { accountRoutes } from './accounts/routes';
import { accountAffluenceAlertRoutes } from './affluence/alert-routes';
import { officeAffluenceRoutes } from './affluence/routes';
import { officeVisitRoutes } from './affluence/visit-routes';
import { accountBookingRoutes, officeBookingRoutes, officeSlotRoutes, officeStaffRoutes } from './bookings/routes';
import { hoursFeedRoutes, locationHoursRoutes } from './hours/routes';
import { locationRoutes } from './locations/routes';
import { locatorRoutes } from './locator/routes';
import { productRoutes } from './catalogue/routes';
import { accountOrderRoutes, counterOrderRoutes } from './orders/routes';
import { accountParcelRoutes } from './parcels/account-routes';
import { ONE_CLICK_PATH, oneClickUnsubscribe } from './parcels/one-click';
import { parcelRoutes } from './parcels/routes';
import { selectionRoutes } from './partners/selection-routes';
import { accountProRoutes } from './pro/routes';
import { publicationRoutes } from './publication/routes';
import { sitemapRoutes } from './sitemap/routes';
import { availabilityRoutes } from './stock/availability';
import { accountHoldRoutes, staffHoldRoutes } from './stock/hold-routes';
import { inventoryFeedRoutes } from './stock/inventory-routes';
import { stockStaffRoutes } from './stock/staff-routes';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** The methods some route of `app` answers at `path`: those matching more handlers than the catch-alls do. */
function allowedMethods(app: Hono, path: string): string[] {
  const count = (method: string) => app.router.match(method, path)[0].length;
  const catchAll = count('X-NONE');
  const allow = METHODS.filter((method) => count(method) > catchAll);
  return allow.includes('GET') ? ['GET', 'HEAD', ...allow.filter((m) => m !== 'GET')] : allow;
}

export function createApp(): Hono {
  const app = new Hono();

  app.use(statusLine());
  app.use(securityHeaders());
  app.use(etag());
  app.use(publicCache());
  app.use(bodyLimits());
  app.use('/api/*', strictQuery());

  app.onError((error, c) => {
    if (error instanceof Problem) return error.toResponse(new URL(c.req.url).pathname);
    // Hono's own 4xx (e.g. a body that is not JSON) become problems too.
    if (error instanceof HTTPException && error.status < 500) {
      return invalidRequest([{ name: 'body', reason: 'corps de requête illisible : JSON attendu' }]).toResponse(new URL(c.req.url).pathname);
    }
    // A write racing the deletion of its customer's account: the account is gone, so is the session.
    if (String((error as { cause?: { message?: string } })?.cause?.message ?? (error as Error)?.message).includes('FOREIGN KEY constraint failed')) {
      return new Problem('unauthorized', 'Ce compte n’existe plus : connectez-vous à nouveau.').toResponse(new URL(c.req.url).pathname);
    }
    // The error's kind and the database's own message only: a failed query's text carries its parameters (addresses, ids).
    const cause = (error as { cause?: { message?: string } })?.cause?.message;
    console.error('unhandled error', c.req.method, new URL(c.req.url).pathname, error instanceof Error ? error.name : typeof error, cause ?? (error instanceof Error && !/params:/i.test(error.message) ? error.message : ''));
    return new Problem('internal', 'Une erreur inattendue est survenue ; elle a été journalisée.').toResponse();
  });

  const api = new Hono()
    .route('/v1/locations', locatorRoutes)
    .route('/v1/locations', locationHoursRoutes)
    .route('/v1/locations', stockStaffRoutes)
    .route('/v1/locations', staffHoldRoutes)
    .route('/v1/locations', locationRoutes)
    .route('/v1/offices', officeStaffRoutes)
    .route('/v1/offices', officeSlotRoutes)
    .route('/v1/offices', officeBookingRoutes)
    .route('/v1/offices', officeAffluenceRoutes)
    .route('/v1/offices', officeVisitRoutes)
    .route('/v1/hours', hoursFeedRoutes)
    .route('/v1/selections', selectionRoutes)
    .route('/v1/parcels', parcelRoutes)
    .route('/v1/products', productRoutes)
    .route('/v1/products', availabilityRoutes)
    .route('/v1/counter', counterOrderRoutes)
    .route('/v1/account/passkeys', passkeyRoutes)
    .route('/v1/account/parcels', accountParcelRoutes)
    .route('/v1/account/reservations', accountHoldRoutes)
    .route('/v1/account/orders', accountOrderRoutes)
    .route('/v1/account/pro', accountProRoutes)
    .route('/v1/account/bookings', accountBookingRoutes)
    .route('/v1/account/affluence-alerts', accountAffluenceAlertRoutes)
    .route('/v1/account', accountRoutes);
  app.route('/api', api);
  app.get(
    '/api/openapi.json',
    openAPIRouteHandler(app, {
      documentation: {
        openapi: '3.1.0',
        info: {
          title: 'Guichet API',
          version: '1.0.0',
          description: 'Points de contact du réseau postal : adresses, services, accessibilité, horaires. Errors are RFC 9457 problem details.',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Staff token (gst_…)' } } },
      },
      exclude: ['/api/openapi.json'],
    }),
  );
  app.all('/api/openapi.json', methodNotAllowed('GET, HEAD'));
  app.route('/', publicationRoutes);
  app.all('/api/v1/hours/publication', methodNotAllowed('GET, HEAD'));
  app.all('/api/*', (c) => {
    // A resource that exists under other methods is a 405 naming them, even where its routes declare no catch-all.
    const allow = allowedMethods(app, c.req.path);
    if (allow.length) return methodNotAllowed(allow.join(', '))(c);
    throw new Problem('not-found', `Aucune ressource à l’adresse ${new URL(c.req.url).pathname}.`);
  });

  app.route('/', sitemapRoutes);
  app.route('/', inventoryFeedRoutes);
  // RFC 8058: mail clients' one-click POST carries no Origin, which Astro refuses; answered here, before the pages.
  app.post(ONE_CLICK_PATH, oneClickUnsubscribe());
  // What is left are the pages (site/fetch.ts mounts them next): GET and HEAD, POST on forms.
  app.use(pageMethods());
  return app;
}
