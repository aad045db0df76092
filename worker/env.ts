/**
 * @module
 * The running Worker's configuration. Bindings come from `cloudflare:workers`
 * because Astro's fetch pipeline calls our Hono app with the request only
 * (no `c.env`); they are validated once per environment by worker/config.ts.
 */
import { env } from 'cloudflare:workers';
import { type Config, configOf, isProductionOrigin, parseOrigin } from './config';
import { type Database, drizzleDatabase } from './database';
import { currentScope, scopedD1 } from './edge/scope';

export { parseOrigin };

/** The validated configuration: throws a `ConfigError` naming what is missing or malformed. */
export function bindings(): Config {
  return configOf(env);
}

/**
 * The database as the current request sees it: its own D1 session (read
 * replicas, a staff member's bookmark) with every query counted for its
 * `Server-Timing`. Outside a request (the cron job), the binding itself.
 */
export function database(): Database {
  const binding = bindings().DB;
  const scope = currentScope();
  if (!scope) return drizzleDatabase(binding);
  let db = perRequest.get(scope);
  if (!db) perRequest.set(scope, (db = drizzleDatabase(scopedD1(scope, binding))));
  return db;
}

const perRequest = new WeakMap<object, Database>();

/**
 * Origin used in absolute URLs: the configured `SITE_ORIGIN`, whatever the
 * request says (the parameter is ignored, kept for existing callers). Unset
 * or malformed, it is a deployment error: every such answer fails loudly
 * (500, logged) rather than name a host an attacker chose.
 */
export function siteOrigin(_request?: Request): string {
  return bindings().SITE_ORIGIN;
}

/** Production: an https `SITE_ORIGIN` on a public host (the configured one unless given). */
export function isProduction(origin?: string): boolean {
  return origin === undefined ? bindings().production : isProductionOrigin(origin);
}
