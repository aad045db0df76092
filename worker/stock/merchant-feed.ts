/**
 * @module
 * Google Merchant Center's local inventory feed (`/flux/inventaire-local.tsv`):
 * one tab-separated row per active location and product on sale, read from
 * `inventory_feed`, which every write that moves a count or a hold keeps
 * current in its own batch (inventory-feed.ts): the file is read, never
 * recomputed.
 *
 * About 150,000 rows for the demo network, so it is streamed: keyset pages
 * of {@link FEED_PAGE_ROWS} rows, each one indexed query, each written out
 * before the next is read; the whole file is never in memory nor asked of
 * D1 at once. `since` gives the incremental file a pusher sends between
 * full ones: the rows whose figures changed at or after that instant, in
 * the order they changed (the `updated_at` index).
 */
import { merchantPrice } from '../catalogue/products';
import { NETWORK_VERSION_SETTING } from '../locations/network-version';

/** Rows per query: a few hundred kilobytes of text, far under D1's answer limits. */
export const FEED_PAGE_ROWS = 2_000;

export const MERCHANT_FEED_COLUMNS = ['store_code', 'id', 'availability', 'quantity', 'price', 'pickup_method', 'pickup_SLA'] as const;
export const MERCHANT_FEED_HEADER = `${MERCHANT_FEED_COLUMNS.join('\t')}\n`;
/** A held unit waits at the counter: reserved online, collected the same day. */
export const PICKUP_METHOD = 'reserve';
export const PICKUP_SLA = 'same day';

export interface MerchantFeedRow {
  locationId: string;
  sku: string;
  availability: 'in_stock' | 'limited_availability' | 'out_of_stock';
  quantity: number;
  priceCents: number;
}

/** Tabs and line breaks cannot occur in ids and codes; removed all the same, so a row is always one line of 7 fields. */
const field = (value: string) => value.replace(/[\t\r\n]/g, ' ');

/** One row of the file (with its line break). */
export function merchantFeedLine(row: MerchantFeedRow): string {
  return `${[field(row.locationId), field(row.sku), row.availability, String(row.quantity), merchantPrice(row.priceCents), PICKUP_METHOD, PICKUP_SLA].join('\t')}\n`;
}

type PageRow = { location_id: string; sku: string; availability: MerchantFeedRow['availability']; quantity: number; price_cents: number; updated_at: number; rid: number };

/** Where the next page starts: the full file in (location, sku) order, the incremental one in (updated_at, rowid) order. */
export type FeedCursor = { kind: 'full'; locationId: string; sku: string } | { kind: 'since'; updatedAt: number; rowId: number };

const ROW_COLUMNS = 'f.location_id, f.sku, f.availability, f.quantity, p.price_cents, f.updated_at, f.rowid as rid';
const ON_SALE_AND_OPEN = `join products p on p.sku = f.sku and p.withdrawn_at is null
  join locations l on l.id = f.location_id and l.status = 'active'`;

/**
 * One page after `cursor`. The incremental order finishes the rows of the
 * cursor's instant by rowid, then goes on to later instants: two seeks on
 * the `updated_at` index (which ends with the rowid), never a rescan of
 * the rows already sent, even when thousands share one instant (a seed).
 */
export async function merchantFeedPage(d1: D1Database, cursor: FeedCursor, limit = FEED_PAGE_ROWS): Promise<{ rows: MerchantFeedRow[]; next: FeedCursor | null }> {
  const statement = cursor.kind === 'full'
    ? d1.prepare(`select ${ROW_COLUMNS} from inventory_feed f ${ON_SALE_AND_OPEN}
        where (f.location_id, f.sku) > (?1, ?2) order by f.location_id, f.sku limit ?3`).bind(cursor.locationId, cursor.sku, limit)
    : d1.prepare(`select * from (select ${ROW_COLUMNS} from inventory_feed f ${ON_SALE_AND_OPEN}
          where f.updated_at = ?1 and f.rowid > ?2 order by f.rowid limit ?3)
        union all
        select * from (select ${ROW_COLUMNS} from inventory_feed f ${ON_SALE_AND_OPEN}
          where f.updated_at > ?1 order by f.updated_at, f.rowid limit ?3)
        limit ?3`).bind(cursor.updatedAt, cursor.rowId, limit);
  const { results } = await statement.all<PageRow>();
  const last = results.at(-1);
  const next: FeedCursor | null = !last || results.length < limit
    ? null
    : cursor.kind === 'full' ? { kind: 'full', locationId: last.location_id, sku: last.sku } : { kind: 'since', updatedAt: last.updated_at, rowId: last.rid };
  return {
    rows: results.map((r) => ({ locationId: r.location_id, sku: r.sku, availability: r.availability, quantity: r.quantity, priceCents: r.price_cents })),
    next,
  };
}

/** The first cursor: the whole file, or the rows changed at or after `since` (ms). */
export const firstCursor = (since: number | null): FeedCursor =>
  since === null ? { kind: 'full', locationId: '', sku: '' } : { kind: 'since', updatedAt: since, rowId: 0 };

/**
 * The file as a stream: the header, then one page per pull (nothing is
 * read before the body is, so a HEAD costs no query). A failure mid-way
 * errors the stream: the client sees a cut file, never a short "complete" one.
 */
export function merchantFeedStream(d1: D1Database, since: number | null, pageRows = FEED_PAGE_ROWS): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor: FeedCursor | null = firstCursor(since);
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(MERCHANT_FEED_HEADER));
        return;
      }
      if (!cursor) {
        controller.close();
        return;
      }
      try {
        const page = await merchantFeedPage(d1, cursor, pageRows);
        cursor = page.next;
        if (page.rows.length) controller.enqueue(encoder.encode(page.rows.map(merchantFeedLine).join('')));
        if (!cursor) controller.close();
      } catch (error) {
        console.error('merchant feed: page failed', error instanceof Error ? error.name : 'unknown');
        controller.error(error);
      }
    },
  }, { highWaterMark: 0 });
}

/**
 * A validator for the file, from three cheap reads: the feed's latest
 * change (its index), the catalogue's (a few hundred rows: prices,
 * withdrawals) and the network's version (closings). Weak: it names the
 * data the bytes come from, not the bytes.
 */
export async function merchantFeedTag(d1: D1Database, since: number | null): Promise<string> {
  const row = await d1.prepare(`select
      (select max(updated_at) from inventory_feed) as feed,
      (select max(updated_at) || '.' || count(*) from products) as catalogue,
      (select value from settings where name = ?1) as network`).bind(NETWORK_VERSION_SETTING).first<{ feed: number | null; catalogue: string | null; network: string | null }>();
  return `W/"f${row?.feed ?? 0}-p${row?.catalogue ?? 0}-n${row?.network ?? 0}${since === null ? '' : `-s${since}`}"`;
}
