/**
 * @module
 * The Worker's bindings. They come from `cloudflare:workers` because Astro's
 * fetch pipeline calls our Hono app with the request only (no `c.env`).
 */
import { env } from 'cloudflare:workers';
import { type Database, drizzleDatabase } from './database';

export interface Bindings {
  DB: D1Database;
  /** Public origin for canonical URLs and sitemaps, e.g. https://guichet.example.fr. Defaults to the request's. */
  SITE_ORIGIN?: string;
  /** Signs shoppers' choices of a pickup point; generated and kept in D1 when unset. */
  SELECTION_SIGNING_KEY?: string;
}

export function bindings(): Bindings {
  return env as unknown as Bindings;
}

/** The database of the current Worker. */
export function database(): Database {
  return drizzleDatabase(bindings().DB);
}

/** Origin used in absolute URLs (canonical links, sitemaps). */
export function siteOrigin(request: Request): string {
  return bindings().SITE_ORIGIN?.replace(/\/$/, '') || new URL(request.url).origin;
}
