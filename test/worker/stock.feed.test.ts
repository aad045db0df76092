/**
 * Google's local inventory feed (`/flux/inventaire-local.tsv`) and the
 * product sitemap, on a real D1 with a few thousand stock rows: every
 * active location and product on sale once, with the figures computed
 * here from the counts and holds the test wrote; read page by page, lazily,
 * without a gap or a repeat even when thousands of rows share one instant;
 * the incremental file after a count; and every sitemap URL on SITE_ORIGIN.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { customers, products } from '../../db/schema';
import { randomSecret } from '../../worker/http/crypto';
import { feedRowsRebuild } from '../../worker/stock/inventory-feed';
import { FEED_PAGE_ROWS, firstCursor, type FeedCursor, merchantFeedPage, merchantFeedStream } from '../../worker/stock/merchant-feed';
import { demoCatalogue } from '../../tools/demo/catalogue';
import { ORIGIN as REQUEST_ORIGIN, request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

const ORIGIN = (env as unknown as { SITE_ORIGIN: string }).SITE_ORIGIN;
const FEED = '/flux/inventaire-local.tsv';
const SAFETY = 1;
const HOUR = 3_600_000;

const sample = demoSample(300);
const closing = sample.find((l) => l.type === 'post_office')!;
const active = sample.filter((l) => l !== closing);
const office = active.find((l) => l.type === 'post_office')!;

const catalogue = demoCatalogue();
const withdrawn = catalogue.find((p) => p.withdrawn)!;
/** 19 products on sale and one withdrawn, held everywhere: 300 × 20 = 6,000 rows, three pages and more. */
const stocked = [...catalogue.filter((p) => !p.withdrawn).slice(0, 19), withdrawn];
const onSale = stocked.filter((p) => p !== withdrawn);
/** A count per row, varied: 0 to 9 units. */
const countOf = (locationIndex: number, productIndex: number) => (locationIndex * 7 + productIndex * 3) % 10;
/** Live holds of 2 at the office on its first product; an expired one on its second. */
const HELD = 2;

const T0 = Date.parse('2026-11-20T08:00:00Z');
const d1 = () => db().$client;

/** What a row of the file must say, computed here: the units left after holds and the safety stock, Google's words, the price by hand. */
function expectedLine(locationId: string, sku: string, counted: number, held: number, priceCents: number): string {
  const units = Math.max(0, counted - held - SAFETY);
  const availability = units === 0 ? 'out_of_stock' : units <= 2 ? 'limited_availability' : 'in_stock';
  const price = `${Math.floor(priceCents / 100)}.${String(priceCents % 100).padStart(2, '0')} EUR`;
  return [locationId, sku, availability, String(units), price, 'reserve', 'same day'].join('\t');
}

function expectedFile(): string[] {
  return active.flatMap((location) => {
    const l = sample.indexOf(location);
    return onSale.map((product) => {
      const held = location === office && product === onSale[0] ? HELD : 0;
      return expectedLine(location.id, product.sku, countOf(l, stocked.indexOf(product)), held, product.priceCents);
    });
  }).sort();
}

async function text(path: string, init?: RequestInit) {
  const response = await request(path, init);
  return { response, body: await response.text() };
}
const dataLines = (body: string) => body.split('\n').slice(1).filter((l) => l !== '');

beforeAll(async () => {
  await load(sample, 'demo', '2026-11-01T08:00:00Z');
  await load(active, 'demo', '2026-11-02T08:00:00Z');
  const rows = stocked.map((p) => ({
    sku: p.sku, name: p.name, kind: p.kind, priceCents: p.priceCents, description: p.description, soldOnline: p.soldOnline,
    onlineStock: p.onlineStock, withdrawnAt: p.withdrawn ? T0 : null, updatedAt: T0 + stocked.indexOf(p) * 1000,
  }));
  for (let i = 0; i < rows.length; i += 10) await db().insert(products).values(rows.slice(i, i + 10));
  const stock = sample.flatMap((location, l) => stocked.map((product, p) => [location.id, product.sku, countOf(l, p), T0 - HOUR]));
  for (let i = 0; i < stock.length; i += 2000) {
    await d1().prepare(`insert into location_stock (location_id, sku, quantity, counted_at, version, updated_at)
      select j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]', 1, j.value ->> '$[3]' from json_each(?) j`)
      .bind(JSON.stringify(stock.slice(i, i + 2000))).run();
  }
  const customerId = `cus_${crypto.randomUUID()}`;
  const at = new Date().toISOString();
  await db().insert(customers).values({ id: customerId, email: `${crypto.randomUUID()}@exemple.fr`, name: 'Camille Martin', counterSalt: randomSecret(), createdAt: at, lastActiveAt: at });
  const hold = (sku: string, quantity: number, expiresAt: number) =>
    d1().prepare(`insert into stock_holds (id, customer_id, location_id, sku, quantity, status, request_key, created_at, expires_at, remind_at)
      values (?, ?, ?, ?, ?, 'active', ?, ?, ?, ?)`).bind(`RSV-${randomSecret(6)}`, customerId, office.id, sku, quantity, randomSecret(8), T0, expiresAt, expiresAt).run();
  await hold(onSale[0]!.sku, HELD, Date.now() + 48 * HOUR);
  await hold(onSale[1]!.sku, 5, T0 - HOUR);
  // Every feed row at one instant, as the demo seed writes them.
  await d1().batch([feedRowsRebuild(d1(), T0, SAFETY)]);
});

describe('the local inventory feed', () => {
  it('has one row per active location and product on sale, with the units left after holds and safety, the price and the pickup terms', async () => {
    const { response, body } = await text(FEED);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/tab-separated-values; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    expect(response.headers.get('etag')).toMatch(/^W\/"/);
    expect(body.split('\n')[0]).toBe('store_code\tid\tavailability\tquantity\tprice\tpickup_method\tpickup_SLA');
    const lines = dataLines(body);
    expect(lines.length).toBeGreaterThan(2 * FEED_PAGE_ROWS);
    expect([...lines].sort()).toEqual(expectedFile());
    // In (location, sku) order: the keyset's order.
    const keys = lines.map((l) => l.split('\t').slice(0, 2).join('\t'));
    expect(keys).toEqual([...keys].sort());
    expect(body).not.toContain(`\t${withdrawn.sku}\t`);
    expect(body).not.toContain(`${closing.id}\t`);
    expect(body.endsWith('\n')).toBe(true);
  });

  it('reads D1 one page at a time, only as the body is read, each page picking up after the last', async () => {
    const queries: string[] = [];
    const spy = { prepare: (query: string) => (queries.push(query), env.DB.prepare(query)) } as unknown as D1Database;
    const pageRows = 1000;
    const reader = merchantFeedStream(spy, null, pageRows).getReader();
    expect(queries).toHaveLength(0);
    const header = await reader.read();
    expect(new TextDecoder().decode(header.value)).toBe('store_code\tid\tavailability\tquantity\tprice\tpickup_method\tpickup_SLA\n');
    expect(queries).toHaveLength(0);
    const seen: string[] = [];
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      const lines = new TextDecoder().decode(chunk.value).split('\n').filter(Boolean);
      expect(lines.length).toBeLessThanOrEqual(pageRows);
      // One query for each page read so far.
      expect(queries).toHaveLength(Math.ceil((seen.length + lines.length) / pageRows));
      seen.push(...lines);
    }
    expect(seen.sort()).toEqual(expectedFile());
    expect(queries.every((q) => /limit \?3/.test(q))).toBe(true);
  });

  it('pages the incremental order without a gap or a repeat when thousands of rows share one instant', async () => {
    const collect = async (since: number, limit: number) => {
      const rows: string[] = [];
      let cursor: FeedCursor | null = firstCursor(since);
      let pages = 0;
      while (cursor) {
        const page = await merchantFeedPage(d1(), cursor, limit);
        rows.push(...page.rows.map((r) => `${r.locationId}\t${r.sku}`));
        cursor = page.next;
        pages++;
      }
      return { rows, pages };
    };
    const { rows, pages } = await collect(T0, 777);
    expect(rows).toHaveLength(active.length * onSale.length);
    expect(new Set(rows).size).toBe(rows.length);
    expect(pages).toBe(Math.ceil(rows.length / 777) + (rows.length % 777 === 0 ? 1 : 0));
    expect((await collect(T0 + 1, 500)).rows).toEqual([]);
  });

  it('gives the rows changed since an instant (`depuis`), and a new validator, after a count', async () => {
    const before = await text(FEED);
    const tag = before.response.headers.get('etag')!;
    expect((await request(FEED, { headers: { 'if-none-match': tag } })).status).toBe(304);

    const since = new Date(Date.now() - 1000).toISOString();
    expect(dataLines((await text(`${FEED}?depuis=${encodeURIComponent(since)}`)).body)).toEqual([]);
    const product = onSale[3]!;
    const clerk = await token('counter', 'office', office.id, 'Guichet');
    const counted = await request(`/api/v1/locations/${office.id}/stock/${product.sku}`, {
      method: 'PUT', headers: { ...bearer(clerk), 'content-type': 'application/json', 'if-match': '"1"' }, body: JSON.stringify({ quantity: 40 }),
    });
    expect(counted.status).toBe(200);
    const incremental = await text(`${FEED}?depuis=${encodeURIComponent(since)}`);
    expect(incremental.response.status).toBe(200);
    expect(incremental.body.split('\n')[0]).toBe('store_code\tid\tavailability\tquantity\tprice\tpickup_method\tpickup_SLA');
    expect(dataLines(incremental.body)).toEqual([expectedLine(office.id, product.sku, 40, 0, product.priceCents)]);
    // The whole file since the seed: every row, the new count included.
    const all = dataLines((await text(`${FEED}?depuis=${new Date(T0).toISOString()}`)).body);
    expect(all).toHaveLength(active.length * onSale.length);
    expect(all.at(-1)).toBe(expectedLine(office.id, product.sku, 40, 0, product.priceCents));

    const after = await request(FEED, { headers: { 'if-none-match': tag } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(tag);
    await after.body?.cancel();
  });

  it('refuses a malformed instant or an unknown parameter, and other methods', async () => {
    for (const query of ['?depuis=hier', '?depuis=2026-02-30T10:00:00Z', '?since=2026-11-20T08:00:00Z']) {
      const { response, body } = await text(`${FEED}${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(body).not.toContain('store_code');
    }
    const post = await request(FEED, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('the product sitemap', () => {
  const entries = (xml: string) =>
    [...xml.matchAll(/<(?:url|sitemap)><loc>([^<]+)<\/loc>(?:<lastmod>([^<]+)<\/lastmod>)?/g)].map((m) => ({ loc: m[1]!, lastmod: m[2] }));
  const second = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

  it('lists the shop and each product on sale, on SITE_ORIGIN whatever the Host, with each product’s last change', async () => {
    for (const host of ['https://evil.example', REQUEST_ORIGIN]) {
      const { response, body } = await text(`${host}/sitemaps/produits.xml`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/xml; charset=utf-8');
      const urls = entries(body);
      const latest = Math.max(...stocked.map((p) => T0 + stocked.indexOf(p) * 1000));
      expect(urls).toEqual([
        { loc: `${ORIGIN}/boutique`, lastmod: second(latest) },
        ...[...onSale].sort((a, b) => (a.sku < b.sku ? -1 : 1)).map((p) => ({ loc: `${ORIGIN}/boutique/${p.sku}`, lastmod: second(T0 + stocked.indexOf(p) * 1000) })),
      ]);
      expect(body).not.toContain(withdrawn.sku);
      expect(body).not.toContain('evil.example');
    }
  });

  it('is named by the sitemap index, on SITE_ORIGIN, dated by the catalogue’s last change (a withdrawal included)', async () => {
    const index = entries((await text('https://evil.example/sitemap.xml')).body);
    const latest = Math.max(...stocked.map((p) => T0 + stocked.indexOf(p) * 1000));
    expect(index).toContainEqual({ loc: `${ORIGIN}/sitemaps/produits.xml`, lastmod: second(latest) });
    for (const file of index) expect(file.loc.startsWith(`${ORIGIN}/sitemaps/`)).toBe(true);
    expect((await request('/sitemaps/produits.xml', { method: 'POST' })).status).toBe(405);
  });
});
