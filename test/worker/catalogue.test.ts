/**
 * The catalogue API on a real D1 holding the demo catalogue: the list (by
 * kind, by words without accents or case, keyset-paged to the end), one
 * product, and the availability route's answers to bad input. Expected
 * pages are computed here from `demoCatalogue()` with this file's own
 * word folding and ordering, never with the product's code.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { products } from '../../db/schema';
import { PRODUCT_KINDS } from '../../db/vocabulary';
import { demoCatalogue } from '../../tools/demo/catalogue';
import { request } from './http-client';
import { db } from './seed';

const catalogue = demoCatalogue();
const onSale = catalogue.filter((p) => !p.withdrawn);
/** French alphabetical order as the platform's ICU defines it (numbers by value), then sku. */
const french = new Intl.Collator('fr', { numeric: true });
const byNameThenSku = (a: { name: string; sku: string }, b: { name: string; sku: string }) =>
  french.compare(a.name, b.name) || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);
/** Lower-case ASCII words, accents removed: this file's own folding. */
const fold = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/œ/g, 'oe').split(/[^a-z0-9]+/).filter(Boolean);
const matching = (q: string) => onSale.filter((p) => fold(q).every((w) => fold(`${p.name} ${p.sku}`).some((own) => own.startsWith(w))));

async function get(path: string) {
  const response = await request(path);
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

/** Every page of a list, following `next_cursor`. */
async function everyPage(query: string) {
  const skus: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 300; page++) {
    const { status, body } = await get(`/api/v1/products?${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(status).toBe(200);
    skus.push(...body.data.map((p: any) => p.sku));
    cursor = body.next_cursor;
    if (!cursor) return skus;
  }
  throw new Error('more than 300 pages');
}

beforeAll(async () => {
  const now = Date.now();
  const rows = catalogue.map((p) => ({
    sku: p.sku, name: p.name, kind: p.kind, priceCents: p.priceCents, description: p.description, soldOnline: p.soldOnline,
    onlineStock: p.onlineStock, withdrawnAt: p.withdrawn ? now - 86_400_000 : null, updatedAt: now,
  }));
  for (let i = 0; i < rows.length; i += 10) await db().insert(products).values(rows.slice(i, i + 10));
});

describe('the list', () => {
  it('pages through every product on sale in name order, each once, withdrawn ones left out', async () => {
    expect(catalogue.some((p) => p.withdrawn)).toBe(true);
    const expected = [...onSale].sort(byNameThenSku).map((p) => p.sku);
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 100 }), async (limit) => {
      expect(await everyPage(`limit=${limit}`)).toEqual(expected);
    }), { numRuns: 6 });
  });

  it('sorts in French: accents after their letter, numbers by value', async () => {
    const all = await everyPage('limit=100');
    const before = (a: string, b: string) => expect(all.indexOf(a), `${a} before ${b}`).toBeLessThan(all.indexOf(b));
    before('PHI-BF-02', 'PHI-BF-20'); // « Châteaux de la Loire » before « Chats et chiens »
    before('PHI-BF-15', 'PHI-BF-01'); // « Légendes du cinéma » before « Les oiseaux de nos jardins »
    before('TP-INT-C6', 'TP-LS-C12'); // « Carnet de 6 … » before « Carnet de 12 … »
  });

  it('gives 20 by default, each with its kind, price and where it is sold', async () => {
    const { status, headers, body } = await get('/api/v1/products');
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('public, max-age=25, stale-while-revalidate=25');
    expect(body.data).toHaveLength(20);
    const first = [...onSale].sort(byNameThenSku)[0]!;
    expect(body.data[0]).toMatchObject({
      sku: first.sku, name: first.name, kind: first.kind, price_cents: first.priceCents, currency: 'EUR', on_sale: true, page_url: `/boutique/${first.sku}`,
    });
  });

  it('keeps one kind', async () => {
    for (const kind of PRODUCT_KINDS) {
      const expected = onSale.filter((p) => p.kind === kind).sort(byNameThenSku).map((p) => p.sku);
      expect(await everyPage(`kind=${kind}&limit=7`), kind).toEqual(expected);
    }
  });

  it('finds words without regard to accents, case or order, through every page', async () => {
    for (const q of ['chateaux', 'CHÂTEAUX loire', 'phares bretagne', 'Bretagne phares', 'timbre lettre', 'tp-lv', 'prêt à poster', 'vœux', 'VOEUX', 'collection 2026']) {
      const expected = matching(q).sort(byNameThenSku).map((p) => p.sku);
      expect(await everyPage(`q=${encodeURIComponent(q)}&limit=3`), q).toEqual(expected);
    }
    expect(matching('chateaux').length).toBeGreaterThan(0);
    expect(matching('vœux').length).toBeGreaterThan(0);
    // Words begin words: "lettre" does not match inside another word, "ateaux" finds nothing.
    expect(await everyPage('q=ateaux')).toEqual([]);
  });

  it('combines words and kind', async () => {
    const expected = matching('2026').filter((p) => p.kind === 'stamps').sort(byNameThenSku).map((p) => p.sku);
    expect(expected.length).toBeGreaterThan(0);
    expect(await everyPage('kind=stamps&q=2026&limit=5')).toEqual(expected);
  });

  it('refuses bad parameters, naming each', async () => {
    const cases: Array<[string, string]> = [
      ['kind=bijoux', 'kind'], ['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=dix', 'limit'], ['cursor=abc', 'cursor'],
      [`cursor=${btoa('{"name":"a","sku":"x"}')}`, 'cursor'], ['q=', 'q'], [`q=${'a'.repeat(101)}`, 'q'], ['page=2', 'page'],
    ];
    for (const [query, name] of cases) {
      const { status, headers, body } = await get(`/api/v1/products?${query}`);
      expect(status, query).toBe(400);
      expect(headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(body.invalid_params.map((p: any) => p.name), query).toContain(name);
    }
  });
});

describe('one product', () => {
  it('answers it, in any case', async () => {
    const soldOut = catalogue.find((p) => p.sku === 'COL-2026-03')!;
    expect(soldOut.onlineStock).toBe(0);
    for (const sku of ['COL-2026-03', 'col-2026-03']) {
      const { status, body } = await get(`/api/v1/products/${sku}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({
        sku: 'COL-2026-03', name: soldOut.name, kind: 'stamp_collection', kind_label: 'Collections de timbres', price_cents: soldOut.priceCents,
        on_sale: true, sold_online: true, online_status: 'sold_out', online_status_label: 'épuisé en ligne', order_url: null,
      });
    }
    const inStock = catalogue.find((p) => p.sku === 'TP-LV-C12')!;
    const { body } = await get('/api/v1/products/TP-LV-C12');
    expect(body).toMatchObject({ online_status: 'in_stock', order_url: '/boutique/TP-LV-C12/commander', price_cents: inStock.priceCents });
    expect(body.price_label.replace(/\s/g, ' ')).toBe(`${(inStock.priceCents / 100).toFixed(2).replace('.', ',')} €`);
  });

  it('answers a withdrawn one, not on sale', async () => {
    const withdrawn = catalogue.find((p) => p.withdrawn)!;
    const { status, body } = await get(`/api/v1/products/${withdrawn.sku}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ sku: withdrawn.sku, on_sale: false, online_status: 'withdrawn', order_url: null });
  });

  it('is a 404 in French for an unknown sku, a 400 for a malformed one, a 405 for other methods', async () => {
    const unknown = await get('/api/v1/products/ZZ-0000');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(unknown.body.detail).toBe('Aucun produit n’a la référence ZZ-0000 : voyez la liste sur /api/v1/products.');
    for (const sku of ['A', 'TP_LV_C12', '-TP', `${'A'.repeat(33)}`, 'TP%20LV']) {
      const malformed = await get(`/api/v1/products/${sku}`);
      expect(malformed.status, sku).toBe(400);
      expect(malformed.body.invalid_params[0].name).toBe('sku');
    }
    const post = await request('/api/v1/products/TP-LV-C12', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('availability: bad input', () => {
  it('names the parameter at fault', async () => {
    const cases: Array<[string, string[]]> = [
      ['', ['near', 'q']],
      ['open_now=true', ['near', 'q']],
      ['near=48.8', ['near']],
      ['near=91,2', ['near']],
      ['q=', ['q']],
      ['q=Lyon&radius=50', ['radius']],
      ['q=Lyon&radius=50001', ['radius']],
      ['q=Lyon&limit=0', ['limit']],
      ['q=Lyon&limit=21', ['limit']],
      ['q=Lyon&open_now=oui', ['open_now']],
      ['q=Lyon&services=banking', ['services']],
    ];
    for (const [query, names] of cases) {
      const { status, body } = await get(`/api/v1/products/TP-LV-C12/availability?${query}`);
      expect(status, query).toBe(400);
      expect(body.invalid_params.map((p: any) => p.name), query).toEqual(names);
    }
  });

  it('is a 400 for a malformed sku, a 404 for an unknown one', async () => {
    expect((await get('/api/v1/products/x/availability?q=Lyon')).status).toBe(400);
    const unknown = await get('/api/v1/products/ZZ-0000/availability?q=Lyon');
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toMatch(/^Aucun produit n’a la référence ZZ-0000/);
  });

  it('says a withdrawn product is sold nowhere', async () => {
    const withdrawn = catalogue.find((p) => p.withdrawn)!;
    const { status, body } = await get(`/api/v1/products/${withdrawn.sku}/availability?near=45.76,4.84`);
    expect(status).toBe(200);
    expect(body.holders).toEqual([]);
    expect(body.explanation).toBe('Ce produit n’est plus vendu : aucun bureau ne le propose.');
    expect(body.product.on_sale).toBe(false);
  });
});
