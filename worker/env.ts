/**
 * @module
 * The Worker's bindings. They come from `cloudflare:workers` because Astro's
 * fetch pipeline calls our Hono app with the request only (no `c.env`).
 */
import { env } from 'cloudflare:workers';
import { type Database, drizzleDatabase } from './database';

export interface Bindings {
  DB: D1Database;
  /**
   * Public origin of every absolute URL (canonical links, sitemaps, robots.txt,
   * publication pushes, the widget's return URL and CSP), e.g.
   * https://guichet.example.fr. Required: wrangler.toml holds the local
   * default, `npm start` passes its own, a deployment sets the public one.
   * Never taken from the request, whose Host header anyone can write.
   */
  SITE_ORIGIN?: string;
  /** Signs shoppers' choices of a pickup point: required (32 bytes or more) in production, see partners/selection.ts. */
  SELECTION_SIGNING_KEY?: string;
}

export function bindings(): Bindings {
  return env as unknown as Bindings;
}

/** The database of the current Worker. */
export function database(): Database {
  return drizzleDatabase(bindings().DB);
}

/** `scheme://host[:port]` of a configured origin, or undefined when it is not one. */
export function parseOrigin(value: string | undefined): string | undefined {
  const text = value?.trim().replace(/\/$/, '');
  if (!text) return undefined;
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Origin used in absolute URLs: the configured `SITE_ORIGIN`, whatever the
 * request says (the parameter is ignored, kept for existing callers). Unset
 * or malformed, it is a deployment error: every such answer fails loudly
 * (500, logged) rather than name a host an attacker chose.
 */
export function siteOrigin(_request?: Request): string {
  const origin = parseOrigin(bindings().SITE_ORIGIN);
  if (!origin) throw new Error('SITE_ORIGIN must be set to the public origin of the site, e.g. https://guichet.example.fr (wrangler.toml [vars], or --var SITE_ORIGIN:…)');
  return origin;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$|\.localhost$/;

/**
 * Production is known from the configured origin: an https origin on a
 * public host. Local runs (`npm start`, tests, `wrangler dev`) use
 * http://localhost…; a deployment must set its public https origin anyway,
 * for its canonical links.
 */
export function isProduction(origin = parseOrigin(bindings().SITE_ORIGIN)): boolean {
  if (!origin) return false;
  const url = new URL(origin);
  return url.protocol === 'https:' && !LOOPBACK.test(url.hostname);
}
