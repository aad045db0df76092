/**
 * @module
 * Response headers every answer carries: strict security headers, and the
 * cache policy of public content.
 */
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/** What a page may load or be framed by, beyond the strict default. */
export interface CspOptions {
  /** Its own same-origin script (the search page, the widget). */
  script?: boolean;
  /** That script calls this origin's API (`fetch`: passkeys). */
  connect?: boolean;
  /** Sources it may frame (the widget's demo page frames the widget). */
  frameSrc?: string[];
  /** Origins, besides its own, its forms may post to. */
  formAction?: string[];
  /** Who may frame it; nobody when empty. */
  frameAncestors?: string[];
}

/**
 * The one Content-Security-Policy builder: nothing but same-origin
 * stylesheets and images, no base URL, forms to this origin, no framing,
 * unless the options say otherwise.
 */
export function contentSecurityPolicy({ script = false, connect = false, frameSrc = [], formAction = [], frameAncestors = [] }: CspOptions = {}): string {
  return [
    "default-src 'none'",
    script ? "script-src 'self'" : '',
    connect ? "connect-src 'self'" : '',
    "style-src 'self'",
    "img-src 'self'",
    frameSrc.length ? `frame-src ${frameSrc.join(' ')}` : '',
    ["form-action 'self'", ...formAction].join(' '),
    "base-uri 'none'",
    `frame-ancestors ${frameAncestors.join(' ') || "'none'"}`,
  ].filter(Boolean).join('; ');
}

/** The partner widget's policy: framed by, and posting to, the partner's origins only. */
export const widgetCsp = (origins: string[], options: { script?: boolean } = {}): string =>
  contentSecurityPolicy({ script: options.script, formAction: origins, frameAncestors: origins });

const HSTS = 'max-age=63072000; includeSubDomains';

const strictHeaders = (options: { script: boolean; connect?: boolean; geolocation?: boolean }): MiddlewareHandler => {
  const csp = contentSecurityPolicy({ script: options.script, connect: options.connect });
  const others = secureHeaders({
    strictTransportSecurity: HSTS,
    referrerPolicy: 'strict-origin-when-cross-origin',
    xFrameOptions: 'DENY',
    crossOriginEmbedderPolicy: false,
    permissionsPolicy: { camera: [], microphone: [], geolocation: options.geolocation ? ['self'] : [], payment: [] },
  });
  return async (c, next) => {
    await others(c, next);
    c.res.headers.set('content-security-policy', csp);
  };
};

/**
 * The only pages allowed a script: a small, optional, same-origin
 * enhancement ("use my position" on the search; passkeys on the sign-in
 * and the account's keys).
 */
const PAGES_WITH_SCRIPT = new Set(['/recherche', '/connexion', '/compte/cles']);
/** Of those, the only one that may ask for the visitor's position. */
const PAGES_WITH_GEOLOCATION = new Set(['/recherche']);
/** Of those, the ones whose script calls the API (the passkey ceremonies). */
const PAGES_CALLING_API = new Set(['/connexion', '/compte/cles']);

/**
 * No scripts, no third parties, no framing: pages ship HTML and one
 * same-origin stylesheet, so the policy can be this strict. The pages above
 * may load their own script; the search page may use geolocation; the
 * passkey pages may call this origin's API.
 */
export const securityHeaders = (): MiddlewareHandler => {
  const strict = strictHeaders({ script: false });
  const byPage = new Map([...PAGES_WITH_SCRIPT].map((path) => [
    path,
    strictHeaders({ script: true, connect: PAGES_CALLING_API.has(path), geolocation: PAGES_WITH_GEOLOCATION.has(path) }),
  ]));
  const widget = framableHeaders();
  return (c, next) => {
    if (c.req.path.startsWith('/widget/')) return widget(c, next);
    return (byPage.get(c.req.path) ?? strict)(c, next);
  };
};

/**
 * The partner widget is framed by partner sites: its pages set their own
 * Content-Security-Policy (frame-ancestors and form-action list the
 * partner's origins), so this one sets everything else.
 */
const framableHeaders = () =>
  secureHeaders({
    strictTransportSecurity: HSTS,
    referrerPolicy: 'strict-origin-when-cross-origin',
    xFrameOptions: false,
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
  });

/**
 * Public, shared content: at most 25 s fresh plus 25 s stale in a browser.
 * The edge cache's keys follow hours changes within 10 s (worker/edge), so
 * an hours change reaches every reader within 60 s.
 */
export const PUBLIC_CACHE = 'public, max-age=25, stale-while-revalidate=25';

/**
 * Internal response header: until when a time-dependent answer holds (the
 * status it shows changes at its next opening, closing or midnight). The
 * edge layer keeps the answer that long at most and never sends it out.
 */
export const FRESH_UNTIL_HEADER = 'guichet-fresh-until';

/** Answers to an authenticated (staff) call: never stored, by a browser or any cache between. */
export const PRIVATE_NO_STORE = 'private, no-store';

/**
 * A page or answer that depends on who is signed in: kept by no cache, and
 * marked as varying with the cookie so that no cache between ever serves
 * one person's page to another, nor the signed-out page after a sign-in.
 */
export function personal(headers: Headers): void {
  headers.set('cache-control', PRIVATE_NO_STORE);
  headers.set('vary', 'Cookie');
}

/** Answers that must never be reused: errors, redirects after a sign-in, one-off results. */
export const NO_STORE = 'no-store';

/**
 * Search results: 20 s fresh plus 20 s stale in a browser, after at most
 * 10 s at the edge (searches are not versioned) on schedules whose
 * versions are at most 10 s old: a change of hours shows within 60 s.
 */
export const SEARCH_CACHE = 'public, max-age=20, stale-while-revalidate=20';

/** Sets the public cache policy on successful GET/HEAD answers that chose none. */
export const publicCache = (): MiddlewareHandler => async (c, next) => {
  await next();
  const method = c.req.method;
  if ((method === 'GET' || method === 'HEAD') && c.res.status === 200 && !c.res.headers.has('cache-control')) {
    c.res.headers.set('cache-control', PUBLIC_CACHE);
  }
};
