/**
 * @module
 * Response headers every answer carries: strict security headers, and the
 * cache policy of public content.
 */
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

const strictHeaders = (options: { script: boolean }) =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      ...(options.script ? { scriptSrc: ["'self'"] } : {}),
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      formAction: ["'self'"],
      baseUri: ["'none'"],
      frameAncestors: ["'none'"],
    },
    strictTransportSecurity: 'max-age=63072000; includeSubDomains',
    referrerPolicy: 'strict-origin-when-cross-origin',
    xFrameOptions: 'DENY',
    crossOriginEmbedderPolicy: false,
    permissionsPolicy: { camera: [], microphone: [], geolocation: options.script ? ['self'] : [], payment: [] },
  });

/** The only pages allowed a script: a small, optional, same-origin enhancement. */
const PAGES_WITH_SCRIPT = new Set(['/recherche']);

/**
 * No scripts, no third parties, no framing: pages ship HTML and one
 * same-origin stylesheet, so the policy can be this strict. The search page
 * may load its own "use my position" script, and use geolocation.
 */
export const securityHeaders = (): MiddlewareHandler => {
  const strict = strictHeaders({ script: false });
  const withScript = strictHeaders({ script: true });
  const widget = framableHeaders();
  return (c, next) => {
    if (c.req.path.startsWith('/widget/')) return widget(c, next);
    return PAGES_WITH_SCRIPT.has(c.req.path) ? withScript(c, next) : strict(c, next);
  };
};

/**
 * The partner widget is framed by partner sites: its pages set their own
 * Content-Security-Policy (frame-ancestors and form-action list the
 * partner's origins), so this one sets everything else.
 */
const framableHeaders = () =>
  secureHeaders({
    strictTransportSecurity: 'max-age=63072000; includeSubDomains',
    referrerPolicy: 'strict-origin-when-cross-origin',
    xFrameOptions: false,
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
  });

/**
 * Public, shared content: at most 30 s fresh plus 30 s stale, so an hours
 * change reaches every reader within 60 s.
 */
export const PUBLIC_CACHE = 'public, max-age=30, stale-while-revalidate=30';

/** Answers to an authenticated (staff) call: never stored, by a browser or any cache between. */
export const PRIVATE_NO_STORE = 'private, no-store';

/** Sets the public cache policy on successful GET/HEAD answers that chose none. */
export const publicCache = (): MiddlewareHandler => async (c, next) => {
  await next();
  const method = c.req.method;
  if ((method === 'GET' || method === 'HEAD') && c.res.status === 200 && !c.res.headers.has('cache-control')) {
    c.res.headers.set('cache-control', PUBLIC_CACHE);
  }
};
