/**
 * @module
 * The shelves of the products this isolate is asked about most, kept a few
 * seconds, so that "where can I get it?" for a product everyone wants at
 * once (a collection sold out online: the very case) costs no D1
 * query at all.
 *
 * - **Hot products only.** A product asked {@link HOT_AFTER_ASKS} times
 *   within {@link RECENT_SHELVES_MAX_AGE_MS} has its whole list of shelves
 *   read at once (its product row and every `location_stock` row with a
 *   unit, live holds summed: one indexed read). A product asked once reads
 *   only the shelves of the candidates it looks at (availability.ts), which
 *   is cheaper than the whole list.
 * - **How stale.** A kept list is used for {@link RECENT_SHELVES_MAX_AGE_MS}
 *   at most; the answers it feeds are public for 20 s anyway
 *   (`SEARCH_CACHE`), and say how old each count is. A write in this
 *   isolate (a count, a feed, a hold taken, cancelled, collected or
 *   expired: every one refreshes the inventory feed) drops the product's
 *   list at once. Nothing here is ever a promise: a reservation is decided
 *   by its own conditional write (holds.ts), never by this list.
 * - **Bounded.** At most {@link MAX_KEPT_PRODUCTS} products and
 *   {@link MAX_KEPT_SHELVES} shelves, least recently used dropped first; a
 *   product on more shelves than that bound is never kept.
 * - **Per isolate, plain data.** No promise or response is shared between
 *   requests (Workers discipline): when a list goes stale, the first
 *   request to see it reads it again while the others keep using it for
 *   {@link REFRESH_GRACE_MS} more, so a crowd does not read it all at once.
 */
import type { ProductRow } from '../../db/schema';
import { findProduct } from '../catalogue/products';
import { currentScope } from '../edge/scope';
import type { Database } from '../database';

/** How long a product's shelves are used before they are read again. */
export const RECENT_SHELVES_MAX_AGE_MS = 10_000;
/** Asks within {@link RECENT_SHELVES_MAX_AGE_MS} after which a product's whole list is worth reading. */
export const HOT_AFTER_ASKS = 3;
export const MAX_KEPT_PRODUCTS = 64;
/** About 10 MB of small objects: the isolate also keeps the network and its hours. */
export const MAX_KEPT_SHELVES = 100_000;
/** How much longer a stale list serves while one request reads it again (no stampede of whole-list reads). */
export const REFRESH_GRACE_MS = 2_000;
/** Products whose asks are counted: past this, the counts start again. */
const MAX_COUNTED_PRODUCTS = 10_000;

/** One location's shelf of the product, as read: its count and its live holds then. */
export interface KeptShelf {
  quantity: number;
  countedAt: number;
  held: number;
}

export interface KeptProduct {
  product: ProductRow;
  /** By location id: only shelves with at least one counted unit. */
  shelves: Map<string, KeptShelf>;
  /** When it was read (ms, the asking request's clock). */
  readAt: number;
  /** When a request started reading it again: others keep using it {@link REFRESH_GRACE_MS} from then rather than all read it at once. */
  refreshing?: number;
}

// Insertion order is recency: a hit moves its product to the end.
const kept = new Map<string, KeptProduct>();
let keptShelves = 0;
const asks = new Map<string, { since: number; count: number }>();
const products = new Map<string, { product: ProductRow; readAt: number }>();
const MAX_KEPT_PRODUCT_ROWS = 2_000;
/** Products whose first whole list a request's background is reading, since when. */
const loading = new Map<string, number>();

/**
 * The product's kept shelves when it is hot, else undefined (read its
 * shelves per candidate): a product not asked often enough yet, one on too
 * many shelves to keep, or an unknown sku.
 *
 * Within a request, whole lists are read in its background (`waitUntil`):
 * the request that makes a product hot, or finds its list stale, answers
 * without waiting for it (per candidate, or from the stale list for at most
 * {@link REFRESH_GRACE_MS} more). Outside one (a test, a job), it is read
 * at once.
 */
export async function recentShelves(db: Database, sku: string, now: number): Promise<KeptProduct | undefined> {
  const hit = kept.get(sku);
  if (hit) {
    // Read by a request that started after this one is as recent: only the distance between the two clocks counts.
    const age = Math.abs(now - hit.readAt);
    if (age < RECENT_SHELVES_MAX_AGE_MS) return touch(sku, hit);
    if (hit.refreshing !== undefined && Math.abs(now - hit.refreshing) < REFRESH_GRACE_MS) return touch(sku, hit);
    // Stale: read it again; others asking meanwhile keep the old list a little longer rather than all read it.
    hit.refreshing = now;
    const scope = currentScope();
    if (scope) {
      scope.waitUntil(keepRead(db, sku, now));
      return touch(sku, hit);
    }
  } else {
    if (!isHot(sku, now)) return undefined;
    const scope = currentScope();
    if (scope) {
      const started = loading.get(sku);
      if (started === undefined || Math.abs(now - started) >= REFRESH_GRACE_MS) {
        loading.set(sku, now);
        scope.waitUntil(keepRead(db, sku, now).finally(() => loading.delete(sku)));
      }
      return undefined;
    }
  }
  return keepRead(db, sku, now);
}

/** Reads the product's whole list and keeps it (when it is not too large). */
async function keepRead(db: Database, sku: string, now: number): Promise<KeptProduct | undefined> {
  try {
    const read = await readShelves(db, sku, now);
    if (read && read.shelves.size <= MAX_KEPT_SHELVES) remember(sku, read);
    return read;
  } catch (error) {
    // In the background nobody waits for it: the next ask reads per candidate.
    console.error('recent shelves', String(error));
    return undefined;
  }
}

/**
 * The product row, as the public doors may show it: kept {@link RECENT_SHELVES_MAX_AGE_MS}
 * in the isolate (a few hundred small rows at most), so a product not hot
 * yet costs only its shelves' reads. Its online stock and price may be that
 * old, like its shelves.
 */
export async function recentProduct(db: Database, sku: string, now: number): Promise<ProductRow | undefined> {
  const hit = products.get(sku);
  if (hit && Math.abs(now - hit.readAt) < RECENT_SHELVES_MAX_AGE_MS) return hit.product;
  const product = await findProduct(db, sku);
  if (products.size >= MAX_KEPT_PRODUCT_ROWS) products.clear();
  if (product) products.set(sku, { product, readAt: now });
  else products.delete(sku);
  return product;
}

/** Drops the kept shelves of these products: this isolate just changed what they can sell. */
export function forgetShelves(skus: Iterable<string>): void {
  for (const sku of skus) {
    forget(sku);
    products.delete(sku);
  }
}

/** Drops every kept shelf (a rebuild of the whole network's stock). */
export function forgetAllShelves(): void {
  kept.clear();
  products.clear();
  loading.clear();
  keptShelves = 0;
  asks.clear();
}

function isHot(sku: string, now: number): boolean {
  const seen = asks.get(sku);
  if (!seen || now < seen.since || now - seen.since >= RECENT_SHELVES_MAX_AGE_MS) {
    if (asks.size >= MAX_COUNTED_PRODUCTS) asks.clear();
    asks.set(sku, { since: now, count: 1 });
    return HOT_AFTER_ASKS <= 1;
  }
  seen.count += 1;
  return seen.count >= HOT_AFTER_ASKS;
}

function forget(sku: string): void {
  const entry = kept.get(sku);
  if (!entry) return;
  kept.delete(sku);
  keptShelves -= entry.shelves.size;
}

function touch(sku: string, entry: KeptProduct): KeptProduct {
  // Insertion order is recency.
  kept.delete(sku);
  kept.set(sku, entry);
  return entry;
}

function remember(sku: string, entry: KeptProduct): void {
  const current = kept.get(sku);
  // Two requests read at once: keep the later read.
  if (current && current.readAt > entry.readAt && current.refreshing === undefined) {
    touch(sku, current);
    return;
  }
  forget(sku);
  kept.set(sku, entry);
  keptShelves += entry.shelves.size;
  for (const [oldest, old] of kept) {
    if (kept.size <= MAX_KEPT_PRODUCTS && keptShelves <= MAX_KEPT_SHELVES) break;
    kept.delete(oldest);
    keptShelves -= old.shelves.size;
  }
}

/**
 * The product and all its shelves with a unit, live holds summed at `now`.
 * One batch of three reads: the product; the shelves through the sku
 * index, packed into one text (a popular stamp is on thousands of shelves,
 * and a row per shelf costs far more to hand over than its few bytes);
 * the live holds of the product, through the live-holds index on status
 * and expiry (live holds are few: each ends within days).
 */
async function readShelves(db: Database, sku: string, now: number): Promise<KeptProduct | undefined> {
  const d1 = db.$client;
  const [product, packed, holds] = await Promise.all([
    findProduct(db, sku),
    d1.prepare(`select group_concat(location_id || char(31) || quantity || char(31) || counted_at, char(30)) as rows
      from location_stock where sku = ?1 and quantity > 0`).bind(sku).first<{ rows: string | null }>(),
    d1.prepare(`select location_id as id, sum(quantity) as held from stock_holds
      where status = 'active' and expires_at > ?2 and sku = ?1 group by location_id`).bind(sku, now).all<{ id: string; held: number }>(),
  ]);
  if (!product) return undefined;
  const held = new Map(holds.results.map((h) => [h.id, h.held]));
  const shelves = new Map<string, KeptShelf>();
  // The ASCII record and unit separators: never in an id (`LOCATION_ID`) or a number. 30,000 shelves make under 1 MB (D1: 2 MB a value).
  for (const row of packed?.rows ? packed.rows.split('\x1e') : []) {
    const [id, quantity, countedAt] = row.split('\x1f');
    shelves.set(id!, { quantity: Number(quantity), countedAt: Number(countedAt), held: held.get(id!) ?? 0 });
  }
  return { product, shelves, readAt: now };
}
