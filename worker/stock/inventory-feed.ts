/**
 * @module
 * Google Merchant Center's local inventory, kept row by row: every write
 * that moves what a location can sell (a count, a feed, a hold taken,
 * cancelled, collected or expired) puts {@link feedRowsRefresh} in its own
 * D1 batch, so the feed (`inventory_feed`) is regenerated incrementally and
 * never recomputed whole. A row's quantity is what can be sold: counted,
 * less live holds and the safety stock (levels.ts).
 *
 * Being on every such write, it is also where this isolate drops the
 * shelves it keeps of a hot product (recent-shelves.ts).
 */
import { FEW_LEFT } from './levels';
import { forgetAllShelves, forgetShelves } from './recent-shelves';

export interface StockPair {
  locationId: string;
  sku: string;
}

/**
 * The statement that recomputes the feed rows of `pairs` from their counts
 * and live holds, to run in the same batch as the change (after it).
 * Rows whose figures did not move keep their `updated_at`.
 */
export function feedRowsRefresh(d1: D1Database, pairs: readonly StockPair[], now: number, safety: number): D1PreparedStatement {
  forgetShelves(pairs.map((p) => p.sku));
  return d1.prepare(`${FEED_UPSERT_HEAD}
    where (s.location_id, s.sku) in (select j.value ->> '$[0]', j.value ->> '$[1]' from json_each(?4) j)
  ) where true ${FEED_UPSERT_TAIL}`).bind(now, safety, FEW_LEFT, JSON.stringify(pairs.map((p) => [p.locationId, p.sku])));
}

/** Every feed row of the whole network at once: for the demo seed only (a write never needs it). */
export function feedRowsRebuild(d1: D1Database, now: number, safety: number): D1PreparedStatement {
  forgetAllShelves();
  return d1.prepare(`${FEED_UPSERT_HEAD}
    where ?4 is null
  ) where true ${FEED_UPSERT_TAIL}`).bind(now, safety, FEW_LEFT, null);
}

// ?1 now (ms), ?2 safety units, ?3 the "few left" bound.
const FEED_UPSERT_HEAD = `insert into inventory_feed (location_id, sku, quantity, availability, updated_at)
  select location_id, sku, units,
    case when units <= 0 then 'out_of_stock' when units <= ?3 then 'limited_availability' else 'in_stock' end,
    ?1
  from (
    select s.location_id, s.sku,
      max(0, s.quantity - ?2 - coalesce((
        select sum(h.quantity) from stock_holds h
        where h.location_id = s.location_id and h.sku = s.sku and h.status = 'active' and h.expires_at > ?1
      ), 0)) as units
    from location_stock s`;
const FEED_UPSERT_TAIL = `on conflict (location_id, sku) do update set
    quantity = excluded.quantity, availability = excluded.availability, updated_at = excluded.updated_at
  where inventory_feed.quantity <> excluded.quantity or inventory_feed.availability <> excluded.availability`;
