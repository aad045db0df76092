/**
 * @module
 * What the edge cache may hold, by address: the public pages, sitemaps and
 * API answers that are the same for everyone, each with what its content
 * depends on (the part of the key that moves when that changes) and how
 * long it may be kept when the answer does not say.
 */
import { findDepartment } from '../locations/departments';
import { idFromLocationSlug } from '../locations/names';
import type { VersionScope } from './versions';

export interface EdgePlan {
  scope: VersionScope;
  /** Seconds kept when the answer names no `Guichet-Fresh-Until`. */
  ttl: number;
}

const DAY = 86_400;
/**
 * Searches mix many locations' hours: they are not versioned, only kept
 * 10 s. With versions at most 10 s old and the answer's own 20 s + 20 s, a
 * change still shows within 60 s (see {@link ../http/headers}).
 */
export const SEARCH_EDGE_TTL = 10;
/** Time-dependent answers that did not say until when they hold. */
const TIME_DEPENDENT_TTL = 60;

const LOCATION_API = /^\/api\/v1\/locations\/([A-Za-z0-9]{1,32})(\/hours|\/status|\/hours\/google)?$/;
const DEPARTMENT_SITEMAP = /^\/sitemaps\/departement-([0-9a-zA-Z]{2,3})\.xml$/;

/** The plan for `url`, or undefined when it must not be cached at the edge. */
export function edgePlan(url: URL): EdgePlan | undefined {
  const path = url.pathname;
  switch (path) {
    // The signed-out home: a request with the session cookie never gets here (credentials bypass the edge).
    case '/':
    case '/departements':
    case '/services':
    case '/robots.txt':
    case '/api/openapi.json':
      return { scope: {}, ttl: DAY };
    // The list shows each location's `updated_at`, which hours changes move.
    case '/api/v1/locations':
    case '/sitemap.xml':
    case '/sitemaps/accueil.xml':
      return { scope: { anyChange: true }, ttl: DAY };
    case '/recherche':
    case '/api/v1/locations/search':
      return { scope: {}, ttl: SEARCH_EDGE_TTL };
  }
  if (/^\/(departements|communes)\/[^/]+$/.test(path)) return { scope: {}, ttl: DAY };
  const office = /^\/bureaux\/([^/]+)$/.exec(path);
  if (office) {
    const id = idFromLocationSlug(office[1]);
    return id ? { scope: { location: id }, ttl: TIME_DEPENDENT_TTL } : undefined;
  }
  const api = LOCATION_API.exec(path);
  if (api) {
    const id = api[1].toUpperCase();
    // The location itself does not depend on the time; its hours and status do.
    return { scope: { location: id }, ttl: api[2] ? TIME_DEPENDENT_TTL : DAY };
  }
  const sitemap = DEPARTMENT_SITEMAP.exec(path);
  if (sitemap) {
    const department = findDepartment(sitemap[1]);
    return department ? { scope: { department: department.code }, ttl: DAY } : undefined;
  }
  return undefined;
}
