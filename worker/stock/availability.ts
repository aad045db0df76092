/**
 * @module
 * "Where can I get it?": the nearest locations that can sell a product now,
 * for the availability API, the product page and a refused reservation's
 * alternatives. It is the locator's own search (worker/locator/search.ts)
 * with one more filter, "holds it", read from `location_stock` for each
 * chunk of candidates the search looks at, nearest first: "has it" and
 * "open now" combine as the locator's filters do, under the same bound on
 * the work of one request, and an empty answer says which of the two
 * emptied it.
 *
 * A location holds the product when it can still sell a unit: its count,
 * less live holds and the safety stock (levels.ts), is above zero.
 *
 * With no place searched (the canonical product page), how many places
 * can sell it network-wide and the few with the most units, for its
 * JSON-LD offers ({@link productHoldersSummary}): one query, bounded.
 *
 * Also here, because stock reads the catalogue and the catalogue never
 * reads stock: a holder as the API and the product page show it, and the
 * API's door, `GET /api/v1/products/{sku}/availability`
 * ({@link availabilityRoutes}, mounted beside the catalogue's routes).
 */
import { Hono } from 'hono';
import { describeRoute } from 'hono-openapi';
import * as v from 'valibot';
import type { ProductRow } from '../../db/schema';
import { SkuParams, ProductSchema } from '../catalogue/api-schema';
import { presentProduct, reservePath } from '../catalogue/present';
import { findProduct, isOnSale } from '../catalogue/products';
import { json, problem, unknownProduct } from '../catalogue/routes';
import type { Database } from '../database';
import { bindings, database } from '../env';
import { SEARCH_CACHE } from '../http/headers';
import { invalidRequest, methodNotAllowed, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { COUNTER_LOCATION_TYPES, LOCATION_TYPE_LABELS, LOCATION_TYPES, type LocationType } from '../locations/catalog';
import { locationPath } from '../locations/present';
import type { Point } from '../locator/geo';
import { ANONYMOUS_LIMIT_MESSAGE, ANONYMOUS_LIMIT_PERIOD_S, anonymousWithinLimit } from '../locator/limit';
import { type CandidateFilter, type Resolution, searchLocations } from '../locator/search';
import { formatDistance, MAX_QUERY_LENGTH, NEAR_EXPECTED, NEAR_PATTERN, readNear } from '../locator/search-request';
import { BAND_LABELS, bandOf, countAge, type QuantityBand, sellableUnits } from './levels';
import { type KeptProduct, recentProduct, recentShelves } from './recent-shelves';

export interface AvailabilityQuery {
  sku: string;
  /** Coordinates win over `q` when both are given. */
  near?: Point;
  /** A postcode, a commune, an office name or id, as the locator reads them. */
  q?: string;
  openNow?: boolean;
  /** Metres. */
  radius: number;
  limit: number;
  now: Date;
  /** Units each location keeps out of sale (`bindings().stockSafetyUnits`). */
  safety: number;
  /** Locations left out (a refused reservation's office, when its alternatives are asked). */
  excludeLocationIds?: readonly string[];
  /**
   * Whether shelves read a few seconds ago may answer (recent-shelves.ts):
   * the public doors (API, product page) say so; a refused reservation's
   * alternatives read fresh.
   */
  recent?: boolean;
}

/** A location that can sell the product now, as every door shows it. */
export interface Holder {
  id: string;
  name: string;
  commune: string;
  postcode: string;
  department: string;
  type: LocationType;
  /** Its page, `/bureaux/{slug}`. */
  path: string;
  latitude: number;
  longitude: number;
  /** Great-circle distance from the searched place, in metres. */
  distance: number;
  open: boolean;
  /** Open now or the next opening, in French: "Ouvert jusqu’à 18:00", "Fermé · ouvre demain à 09:00". */
  summary: string;
  /** Units that can still be held or sold: counted, less live holds and the safety stock (at least 1). */
  sellable: number;
  band: QuantityBand;
  /** When the shelf was last counted (ms). */
  countedAt: number;
  /** "compté il y a 3 h". */
  countAge: string;
}

export interface Availability {
  product: ProductRow;
  /** Where the search started; null when the place was not understood, or the product is withdrawn (no search). */
  center: Point | null;
  /** How `q` was understood; null when no search was made (a withdrawn product). */
  resolution: Resolution | null;
  /** Nearest first. */
  holders: Holder[];
  /** Why `holders` is empty, in French; null when it is not. */
  explanation: string | null;
}

/** What `location_stock` says of one candidate that holds the product. */
interface Shelf {
  sellable: number;
  countedAt: number;
}

export const WITHDRAWN_EXPLANATION = 'Ce produit n’est plus vendu : aucun bureau ne le propose.';

/** The product and the nearest locations that can sell it; undefined for an unknown sku. */
export async function productAvailability(db: Database, query: AvailabilityQuery): Promise<Availability | undefined> {
  const recent = query.recent ? await recentShelves(db, query.sku, query.now.getTime()) : undefined;
  const product = recent?.product ?? (query.recent ? await recentProduct(db, query.sku, query.now.getTime()) : await findProduct(db, query.sku));
  if (!product) return undefined;
  // No longer sold: nothing to reserve anywhere, whatever is left on a shelf.
  if (!isOnSale(product)) return { product, center: null, resolution: null, holders: [], explanation: WITHDRAWN_EXPLANATION };

  const within = `dans un rayon de ${formatDistance(query.radius)}`;
  const holding: CandidateFilter<Shelf> = {
    read: async (ids) => (recent ? keptShelvesHolding(recent, ids, query) : shelvesHolding(db, product.sku, ids, query)),
    noneWithin: `Aucun point de contact n’a ce produit en stock ${within}.`,
    passed: (count, where) => `${count} ${count > 1 ? 'points de contact l’ont' : 'point de contact l’a'} en stock ${where}`,
  };
  const output = await searchLocations(db, {
    near: query.near,
    q: query.near ? undefined : query.q,
    radius: query.radius,
    limit: query.limit,
    offset: 0,
    openNow: query.openNow,
    now: query.now,
    // Only places with a counter keep stock: relays and lockers would spend the search's 1,000 candidates.
    types: [...COUNTER_LOCATION_TYPES],
    holding,
  });
  const holders = output.results.map(({ place, distance, status, summary, held }): Holder => ({
    id: place.id,
    name: place.name,
    commune: place.commune,
    postcode: place.postcode,
    department: place.department,
    type: place.type,
    path: locationPath(place),
    latitude: place.latitude,
    longitude: place.longitude,
    distance,
    open: status.open,
    summary,
    sellable: held!.sellable,
    band: bandOf(held!.sellable),
    countedAt: held!.countedAt,
    countAge: countAge(held!.countedAt, query.now.getTime()),
  }));
  return { product, center: output.center, resolution: output.resolution, holders, explanation: output.explanation };
}

/**
 * The shelves among `ids` that can sell `sku` now: one query over the
 * chunk's ids (primary key lookups), live holds subtracted (active and not
 * yet expired: an expired one the cron has not closed counts for nothing).
 * A count at or below the safety stock is skipped before its holds are summed.
 */
async function shelvesHolding(db: Database, sku: string, ids: string[], query: AvailabilityQuery): Promise<Map<string, Shelf>> {
  const excluded = new Set(query.excludeLocationIds ?? []);
  const asked = ids.filter((id) => !excluded.has(id));
  const found = new Map<string, Shelf>();
  if (asked.length === 0) return found;
  const now = query.now.getTime();
  const { results } = await db.$client.prepare(`select s.location_id as id, s.quantity, s.counted_at,
      coalesce((select sum(h.quantity) from stock_holds h
        where h.location_id = s.location_id and h.sku = s.sku and h.status = 'active' and h.expires_at > ?3), 0) as held
    from location_stock s
    where s.sku = ?2 and s.location_id in (select value from json_each(?1)) and s.quantity > ?4`)
    .bind(JSON.stringify(asked), sku, now, query.safety)
    .all<{ id: string; quantity: number; counted_at: number; held: number }>();
  for (const row of results) {
    const sellable = sellableUnits(row.quantity, row.held, query.safety);
    if (sellable > 0) found.set(row.id, { sellable, countedAt: row.counted_at });
  }
  return found;
}

/** The same as {@link shelvesHolding}, from a hot product's kept shelves (no query). */
function keptShelvesHolding(recent: KeptProduct, ids: string[], query: AvailabilityQuery): Map<string, Shelf> {
  const excluded = new Set(query.excludeLocationIds ?? []);
  const found = new Map<string, Shelf>();
  for (const id of ids) {
    const shelf = recent.shelves.get(id);
    if (!shelf || excluded.has(id)) continue;
    const sellable = sellableUnits(shelf.quantity, shelf.held, query.safety);
    if (sellable > 0) found.set(id, { sellable, countedAt: shelf.countedAt });
  }
  return found;
}

// ---------------------------------------------------------------------------
// Every office that can sell it (the canonical product page)

/** A place that can sell the product now, without a searched point (no distance) or hours (no opening). */
export type StockedPlace = Omit<Holder, 'distance' | 'open' | 'summary'>;

export interface HoldersSummary {
  /** How many active places with a counter can sell at least one unit now. */
  total: number;
  /** At most `limit` of them: most sellable units first, then location id. */
  top: StockedPlace[];
}

/** The offices the canonical product page names in its JSON-LD: enough for a search engine, bounded for the 14 KB page. */
export const PAGE_OFFER_PLACES = 10;

/**
 * How many places can sell `sku` now, network-wide, and the `limit` with
 * the most units (ties by location id): what the canonical product page
 * says and names in its JSON-LD, with no place searched. None for an
 * unknown or withdrawn product.
 *
 * ONE query: the product row, then its shelves through
 * `location_stock_sku_idx` (sku, location_id) as the outer loop (CROSS JOIN
 * fixes the order: never a scan of the network probing each location),
 * each joined with its location (active, with a counter) and its live
 * holds (active, not past their deadline, as {@link shelvesHolding}), by
 * `stock_holds_live_idx`. Sellable units are levels.ts's
 * `sellableUnits` (counted − held − safety), kept when above zero, so
 * only the `limit` rows and the total (a window count over the kept
 * groups) leave D1, however many shelves hold it.
 */
export async function productHoldersSummary(db: Database, sku: string, now: Date, safety: number, limit: number): Promise<HoldersSummary> {
  const { results } = await db.$client.prepare(`select l.id, l.name, l.type, l.postcode, l.commune, l.department, l.latitude, l.longitude,
      s.counted_at, s.quantity - ?2 - coalesce(sum(h.quantity), 0) as sellable, count(*) over () as total
    from products p
    cross join location_stock s indexed by location_stock_sku_idx on s.sku = p.sku
    cross join locations l on l.id = s.location_id
    left join stock_holds h on h.location_id = s.location_id and h.sku = s.sku and h.status = 'active' and h.expires_at > ?3
    where p.sku = ?1 and p.withdrawn_at is null and s.quantity > ?2
      and l.status = 'active' and l.type in (select value from json_each(?4))
    group by s.location_id
    having sellable > 0
    order by sellable desc, l.id
    limit ?5`)
    // At least one row, when there is one: it carries the total.
    .bind(sku, safety, now.getTime(), JSON.stringify([...COUNTER_LOCATION_TYPES]), Math.max(1, limit))
    .all<{
      id: string; name: string; type: LocationType; postcode: string; commune: string; department: string;
      latitude: number; longitude: number; counted_at: number; sellable: number; total: number;
    }>();
  const top = results.slice(0, Math.max(0, limit)).map((row): StockedPlace => ({
    id: row.id,
    name: row.name,
    commune: row.commune,
    postcode: row.postcode,
    department: row.department,
    type: row.type,
    path: locationPath(row),
    latitude: row.latitude,
    longitude: row.longitude,
    sellable: row.sellable,
    band: bandOf(row.sellable),
    countedAt: row.counted_at,
    countAge: countAge(row.counted_at, now.getTime()),
  }));
  return { total: results[0]?.total ?? 0, top };
}

/** The canonical page's line beside "Où le trouver en bureau ?": "Disponible dans 1 234 bureaux", "Dans aucun bureau pour l’instant". */
export function holdersCountLine(total: number): string {
  if (total <= 0) return 'Dans aucun bureau pour l’instant';
  return `Disponible dans ${total.toLocaleString('fr-FR')} ${total > 1 ? 'bureaux' : 'bureau'}`;
}

// ---------------------------------------------------------------------------
// As the doors show it (pure)

export function presentHolder(holder: Holder, sku: string) {
  return {
    id: holder.id,
    name: holder.name,
    type: holder.type,
    type_label: LOCATION_TYPE_LABELS[holder.type],
    address: { postcode: holder.postcode, commune: holder.commune },
    coordinates: { latitude: holder.latitude, longitude: holder.longitude },
    distance_m: Math.round(holder.distance),
    open: holder.open,
    summary: holder.summary,
    band: holder.band,
    band_label: BAND_LABELS[holder.band],
    counted_at: new Date(holder.countedAt).toISOString(),
    count_age: holder.countAge,
    page_url: holder.path,
    reserve_url: reservePath(sku, holder.id),
  };
}

export function presentAvailability(availability: Availability) {
  const { product, center } = availability;
  return {
    product: presentProduct(product),
    center: center ? { latitude: center.latitude, longitude: center.longitude } : null,
    resolution: availability.resolution,
    holders: availability.holders.map((h) => presentHolder(h, product.sku)),
    explanation: availability.explanation,
  };
}

/** One holder as the product page lists it, in French; `reserveHref` only while the product is on sale and the shelf has one. */
export function holderLine(holder: Holder, product: Pick<ProductRow, 'sku' | 'withdrawnAt'>) {
  return {
    id: holder.id,
    name: holder.name,
    path: holder.path,
    commune: holder.commune,
    distance: formatDistance(holder.distance),
    open: holder.open,
    summary: holder.summary,
    bandLabel: BAND_LABELS[holder.band],
    countAge: holder.countAge,
    reserveHref: isOnSale(product) && holder.sellable > 0 ? reservePath(product.sku, holder.id) : null,
  };
}

// ---------------------------------------------------------------------------
// The API's door

/** Metres: holders are fewer than points of contact, so the default reaches further than the locator's 5 km. */
export const AVAILABILITY_DEFAULT_RADIUS_M = 10_000;
export const AVAILABILITY_MAX_RADIUS_M = 50_000;
export const AVAILABILITY_DEFAULT_LIMIT = 10;
export const AVAILABILITY_MAX_LIMIT = 20;

// Any run of digits is a number: one too large is then told the maximum, not "entier attendu".
const whole = (name: string) => v.pipe(v.string(), v.regex(/^\d{1,9}$/, `${name} : entier attendu`), v.toNumber());

/** The query, validated on every request: a bad position, text, flag, radius or limit is a 400 naming it. Positions are read by the locator's own parser. */
export const AvailabilityQuerySchema = v.strictObject({
  near: v.optional(
    v.pipe(
      v.string(),
      // The pattern documents the format in OpenAPI; readNear decides.
      v.regex(NEAR_PATTERN, NEAR_EXPECTED),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        const near = readNear(dataset.value);
        if (!Array.isArray(near)) return near;
        for (const message of near) addIssue({ message });
        return NEVER;
      }),
    ),
  ),
  q: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1, 'texte vide'), v.maxLength(MAX_QUERY_LENGTH, `${MAX_QUERY_LENGTH} caractères au plus`))),
  open_now: v.optional(v.picklist(['true', 'false', '1', '0'], 'booléen attendu : true ou false')),
  radius: v.optional(
    v.pipe(whole('rayon'), v.minValue(100, 'au moins 100 m'), v.maxValue(AVAILABILITY_MAX_RADIUS_M, `au plus ${AVAILABILITY_MAX_RADIUS_M} m`)),
    String(AVAILABILITY_DEFAULT_RADIUS_M),
  ),
  limit: v.optional(
    v.pipe(whole('limite'), v.minValue(1, 'au moins 1'), v.maxValue(AVAILABILITY_MAX_LIMIT, `au plus ${AVAILABILITY_MAX_LIMIT}`)),
    String(AVAILABILITY_DEFAULT_LIMIT),
  ),
});

export const AvailabilitySchema = v.object({
  product: ProductSchema,
  center: v.nullable(v.object({ latitude: v.number(), longitude: v.number() })),
  /** How `q` was understood, as the locator's search says it; null for a withdrawn product (no search). */
  resolution: v.nullable(v.looseObject({ kind: v.picklist(['coordinates', 'postcode', 'commune', 'location', 'names', 'unknown']) })),
  holders: v.array(v.object({
    id: v.string(),
    name: v.string(),
    type: v.picklist(LOCATION_TYPES),
    type_label: v.string(),
    address: v.object({ postcode: v.string(), commune: v.string() }),
    coordinates: v.object({ latitude: v.number(), longitude: v.number() }),
    distance_m: v.number(),
    open: v.boolean(),
    summary: v.string(),
    band: v.picklist(['in_stock', 'few_left', 'sold_out'] satisfies QuantityBand[]),
    band_label: v.string(),
    counted_at: v.string(),
    count_age: v.string(),
    page_url: v.string(),
    reserve_url: v.string(),
  })),
  explanation: v.nullable(v.string()),
});

const isTrue = (flag: string | undefined) => flag === 'true' || flag === '1';

/** `GET /{sku}/availability`, to mount at `/api/v1/products` beside the catalogue's own routes. */
export const availabilityRoutes = new Hono()
  .get(
    '/:sku/availability',
    describeRoute({
      tags: ['Catalogue'],
      summary: 'Où trouver un produit : les points de contact les plus proches qui l’ont',
      description: 'Give `near=lat,lon` or `q` (postcode, commune, office name or id), as on the locator\'s search; `open_now=true` keeps those open now. '
        + 'Holders are nearest first, each with its distance, whether it is open now or when it opens next, a quantity band (`in_stock`, `few_left`: 2 or fewer '
        + 'after reservations, never an exact count) and the age of its count. A location holds the product when its count, less live reservations and the safety '
        + 'stock, is above zero. `explanation` says why the list is empty (none holds it within the radius, or none of those is open). Limited per client address as the search is.',
      responses: {
        200: json('The nearest holders', AvailabilitySchema),
        400: problem('A malformed sku or parameter, or neither `near` nor `q`; `invalid_params` names it'),
        404: problem('No product has this sku'),
        429: problem('Too many searches from this client (Retry-After)'),
      },
    }),
    validate('param', SkuParams),
    validate('query', AvailabilityQuerySchema),
    async (c) => {
      const { sku } = c.req.valid('param');
      const query = c.req.valid('query');
      if (!query.near && !query.q) {
        throw invalidRequest([
          { name: 'near', reason: 'indiquez near=latitude,longitude ou q=texte' },
          { name: 'q', reason: 'indiquez q=commune, code postal ou bureau, ou near=latitude,longitude' },
        ]);
      }
      // The same per-client limit as the locator's search: this is one, with a filter.
      if (!(await anonymousWithinLimit(c.req.header('cf-connecting-ip')))) {
        throw new Problem('too-many-requests', ANONYMOUS_LIMIT_MESSAGE, [], { 'retry-after': String(ANONYMOUS_LIMIT_PERIOD_S) });
      }
      const availability = await productAvailability(database(), {
        sku, near: query.near, q: query.q, openNow: isTrue(query.open_now), radius: query.radius, limit: query.limit,
        now: new Date(), safety: bindings().stockSafetyUnits, recent: true,
      });
      if (!availability) throw unknownProduct(sku);
      // As the locator's search: kept briefly, the hours and counts behind it move.
      c.header('cache-control', SEARCH_CACHE);
      return c.json(presentAvailability(availability));
    },
  )
  .all('/:sku/availability', methodNotAllowed('GET, HEAD'));
