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
 * - **Per isolate, plain data.** Two requests missing at once each read; no
 *   promise or response is shared between requests (Workers discipline).
 */
import type { ProductRow } from '../../db/schema';
import { findProduct } from '../catalogue/products';
import type { Database } from '../database';

/** How long a product's shelves are used before they are read again. */
export const RECENT_SHELVES_MAX_AGE_MS = 10_000;
/** Asks within {@link RECENT_SHELVES_MAX_AGE_MS} after which a product's whole list is worth reading. */
export const HOT_AFTER_ASKS = 3;
export const MAX_KEPT_PRODUCTS = 64;
/** About 10 MB of small objects: the isolate also keeps the network and its hours. */
export const MAX_KEPT_SHELVES = 100_000;
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
}

// Insertion order is recency: a hit moves its product to the end.
const kept = new Map<string, KeptProduct>();
let keptShelves = 0;
const asks = new Map<string, { since: number; count: number }>();

/**
 * The product's kept shelves when it is hot: read now if they are missing
 * or older than {@link RECENT_SHELVES_MAX_AGE_MS}. Undefined for a product
 * not asked often enough yet (read its shelves per candidate), one on too
 * many shelves to keep, or an unknown sku.
 */
export async function recentShelves(db: Database, sku: string, now: number): Promise<KeptProduct | undefined> {
  const hit = kept.get(sku);
  if (hit) {
    forget(sku);
    // A clock before the read (a test's, or skew) is not "recent" either.
    if (now >= hit.readAt && now - hit.readAt < RECENT_SHELVES_MAX_AGE_MS) {
      remember(sku, hit);
      return hit;
    }
  }
  if (!isHot(sku, now)) return undefined;
  const read = await readShelves(db, sku, now);
  if (read && read.shelves.size <= MAX_KEPT_SHELVES) remember(sku, read);
  return read;
}

/** Drops the kept shelves of these products: this isolate just changed what they can sell. */
export function forgetShelves(skus: Iterable<string>): void {
  for (const sku of skus) forget(sku);
}

/** Drops every kept shelf (a rebuild of the whole network's stock). */
export function forgetAllShelves(): void {
  kept.clear();
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

function remember(sku: string, entry: KeptProduct): void {
  kept.set(sku, entry);
  keptShelves += entry.shelves.size;
  for (const [oldest, old] of kept) {
    if (kept.size <= MAX_KEPT_PRODUCTS && keptShelves <= MAX_KEPT_SHELVES) break;
    kept.delete(oldest);
    keptShelves -= old.shelves.size;
  }
}

/** The product and all its shelves with a unit, live holds summed at `now` (the sku index, then the live-holds index per shelf). */
async function readShelves(db: Database, sku: string, now: number): Promise<KeptProduct | undefined> {
  const [product, { results }] = await Promise.all([
    findProduct(db, sku),
    db.$client.prepare(`select s.location_id as id, s.quantity, s.counted_at,
        coalesce((select sum(h.quantity) from stock_holds h
          where h.location_id = s.location_id and h.sku = s.sku and h.status = 'active' and h.expires_at > ?2), 0) as held
      from location_stock s where s.sku = ?1 and s.quantity > 0`)
      .bind(sku, now)
      .all<{ id: string; quantity: number; counted_at: number; held: number }>(),
  ]);
  if (!product) return undefined;
  const shelves = new Map<string, KeptShelf>();
  for (const row of results) shelves.set(row.id, { quantity: row.quantity, countedAt: row.counted_at, held: row.held });
  return { product, shelves, readAt: now };
}
