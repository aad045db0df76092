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
import { invalidRequest, Problem } from './http/problem';
import { hoursFeedRoutes, locationHoursRoutes } from './hours/routes';
import { locationRoutes } from './locations/routes';
import { locatorRoutes } from './locator/routes';
import { selectionRoutes } from './partners/routes';
import { publicationRoutes } from './publication/routes';
import { sitemapRoutes } from './sitemap/routes';

export function createApp(): Hono {
  const app = new Hono();

  app.use(securityHeaders());
  app.use(etag());
  app.use(publicCache());

  app.onError((error, c) => {
    if (error instanceof Problem) return error.toResponse(new URL(c.req.url).pathname);
    // Hono's own 4xx (e.g. a body that is not JSON) become problems too.
    if (error instanceof HTTPException && error.status < 500) {
      return invalidRequest([{ name: 'body', reason: 'corps de requête illisible : JSON attendu' }]).toResponse(new URL(c.req.url).pathname);
    }
    console.error('unhandled error', c.req.method, c.req.url, error);
    return new Problem('internal', 'Une erreur inattendue est survenue ; elle a été journalisée.').toResponse();
  });

  const api = new Hono()
    .route('/v1/locations', locatorRoutes)
    .route('/v1/locations', locationHoursRoutes)
    .route('/v1/locations', locationRoutes)
    .route('/v1/hours', hoursFeedRoutes)
    .route('/v1/selections', selectionRoutes);
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
  app.route('/', publicationRoutes);
  app.all('/api/*', (c) => {
    throw new Problem('not-found', `Aucune ressource à l’adresse ${new URL(c.req.url).pathname}.`);
  });

  app.route('/', sitemapRoutes);
  return app;
}
