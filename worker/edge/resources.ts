/**
 * @module
 * What the edge cache may hold, by address: the public pages, sitemaps and
 * API answers that are the same for everyone, each with what its content
 * depends on (the part of the key that moves when that changes) and how
 * long it may be kept when the answer does not say.
 *
 * Most depend only on versions every isolate keeps (versions.ts). An
 * answer about one row among millions (a parcel) names its own
 * dependencies instead: a lookup, one indexed query the edge layer runs
 * per request on the request's own D1 session, that answers what the
 * row's state is at (and which versions it also depends on), or that the
 * request must reach the app uncached. An office's slots for an offer name
 * the offer's seats version the same way.
 */
import { findDepartment } from '../locations/departments';
import { idFromLocationSlug } from '../locations/names';
import { parseTrackingNumber } from '../parcels/tracking-number';
import type { VersionScope } from './versions';

export interface EdgePlan {
  scope: VersionScope;
  /** Seconds kept when the answer names no `Guichet-Fresh-Until`. */
  ttl: number;
  /**
   * What this one answer depends on, read per request through the
   * request's metered D1 session (its cost shows in `Server-Timing`);
   * undefined: nothing to keep (the app answers, e.g. a 404).
   */
  lookup?: (d1: D1Database) => Promise<EdgeDependency | undefined>;
  /**
   * Kept only in the isolate (worker/edge/kept-answers.ts), never put in
   * the data centre's cache: an office's slots listing (decision 96).
   */
  isolateOnly?: boolean;
}

/** What a lookup found: a state to name in the key, and versions the answer also depends on. */
export interface EdgeDependency {
  /** Letters, digits, `.` and `-`: it goes into the key as it is. */
  tag: string;
  scope?: VersionScope;
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
/** The shop's pages show prices and online stock, which no version follows: kept a minute. */
const CATALOGUE_EDGE_TTL = 60;
/**
 * A product page or API answer (a page with a place searched kept as
 * briefly as a search). Where-to-get-it API answers are not kept: keyed by
 * free text and radius, few repeat within 10 s, and a hot product's answer
 * is computed from the isolate's kept shelves (stock/recent-shelves.ts) for
 * about what a hit costs, while every copy costs a write (decision 89).
 */
const PRODUCT = /^\/(?:boutique|api\/v1\/products)\/([A-Z0-9][A-Z0-9-]{1,30}[A-Z0-9])(\/availability)?$/;

/** A parcel's page and API answer, at the canonical spelling of its number (another spelling is the app's 301 or an uncached 200). */
const PARCEL = /^\/(?:suivi|api\/v1\/parcels)\/([A-Z0-9]{13})$/;

/**
 * What a parcel's answer depends on: its events (`event_total` is counted
 * in the transaction that adds them) and its stored state (`event_count`
 * moves with it: where it waits), and, while it waits at a place, that
 * place's hours (the answer shows them and the deadline they set). No
 * row: no event yet, the app answers 404, which is never kept.
 */
async function parcelDependency(d1: D1Database, trackingNumber: string): Promise<EdgeDependency | undefined> {
  const row = await d1.prepare('select event_total, event_count, waiting_location_id from parcels where tracking_number = ?')
    .bind(trackingNumber).first<{ event_total: number; event_count: number; waiting_location_id: string | null }>();
  if (!row) return undefined;
  const tag = `p${row.event_total}-${row.event_count}`;
  return row.waiting_location_id ? { tag, scope: { location: row.waiting_location_id } } : { tag };
}

/** An office's slots for one offer (worker/bookings/routes.ts); any other query is the app's (a 400 is never kept). */
const OFFICE_SLOTS = /^\/api\/v1\/offices\/([A-Za-z0-9]{1,32})\/slots$/;
const SLOTS_QUERY = new Set(['offer', 'from', 'days']);
/**
 * A slots listing says itself how long it holds (`Guichet-Fresh-Until`:
 * until its first slot starts or a hold it counts lapses, which write
 * nothing; 15 minutes at most); seat and offer writes change its key
 * before that. This is only the fallback of an answer without it.
 */
export const SLOTS_EDGE_TTL = 10;

/**
 * What a slots listing depends on: the office's hours (its location
 * version), the offer's row (`version`: capacity, duration, withdrawn) and
 * its seats (`seats_version`, moved by triggers with every booking write:
 * migration 0016). An unknown or withdrawn offer is the app's 400, never kept.
 */
async function slotsDependency(d1: D1Database, locationId: string, offerId: string): Promise<EdgeDependency | undefined> {
  const row = await d1.prepare('select version, seats_version from office_offers where id = ? and location_id = ? and active = 1')
    .bind(offerId, locationId).first<{ version: number; seats_version: number }>();
  return row ? { tag: `s${row.version}-${row.seats_version}` } : undefined;
}

function slotsPlan(url: URL, locationId: string): EdgePlan | undefined {
  const offer = url.searchParams.get('offer');
  if (!offer || offer.length > 40 || url.searchParams.getAll('offer').length > 1) return undefined;
  for (const name of url.searchParams.keys()) if (!SLOTS_QUERY.has(name)) return undefined;
  return { scope: { location: locationId }, ttl: SLOTS_EDGE_TTL, lookup: (d1) => slotsDependency(d1, locationId, offer), isolateOnly: true };
}

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
    case '/boutique':
    case '/api/v1/products':
      return { scope: {}, ttl: CATALOGUE_EDGE_TTL };
  }
  const product = PRODUCT.exec(path);
  if (product) {
    if (product[2]) return undefined;
    return path.startsWith('/boutique') && url.search ? { scope: {}, ttl: SEARCH_EDGE_TTL } : { scope: {}, ttl: CATALOGUE_EDGE_TTL };
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
  const slots = OFFICE_SLOTS.exec(path);
  if (slots) return slotsPlan(url, slots[1].toUpperCase());
  const parcel = PARCEL.exec(path);
  if (parcel) {
    const number = parcel[1];
    const parsed = parseTrackingNumber(number);
    // A malformed number (a wrong check digit) is the app's 400, never kept.
    if (!parsed.ok || parsed.number !== number) return undefined;
    return { scope: {}, ttl: TIME_DEPENDENT_TTL, lookup: (d1) => parcelDependency(d1, number) };
  }
  const sitemap = DEPARTMENT_SITEMAP.exec(path);
  if (sitemap) {
    const department = findDepartment(sitemap[1]);
    return department ? { scope: { department: department.code }, ttl: DAY } : undefined;
  }
  return undefined;
}
