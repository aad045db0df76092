/**
 * The shop pages against the built Worker, JavaScript off: `/boutique`
 * (kinds, a GET search, keyset pages, "épuisé en ligne" marks) and
 * `/boutique/{sku}` (sold out online → the nearest offices that hold it,
 * each with a link to reserve there; in stock online → a link to order;
 * withdrawn → no longer sold, nothing to buy; unknown → 404). The demo
 * catalogue is loaded into the served D1 here, through the seed's own
 * code; expected products and holders are derived from
 * `demoCatalogue()`/`demoStock()` with this file's own great-circle
 * distance and ordering, and opening from the hours API (another door).
 * Gates: no script, 14 KB compressed, JSON-LD that parses and names the
 * offices shown, axe-core WCAG 2.2 AA. The canonical page's count of
 * offices and its JSON-LD offers are checked against the served
 * database as it is when read (other page tests share it: their holds and
 * counts are in it), with this file's own arithmetic.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../scripts/local-db';
import { demoCatalogue, demoStock, seedDemoCatalogue } from '../../tools/demo/catalogue';
import { PRODUCT_KIND_LABELS } from '../../worker/catalogue/products';
import { axeViolations, launchChromium } from './chromium';
import { PARCEL_NETWORK } from './fixtures';
import { compressedWeight, executableScripts, fetchPage, PAGE_BUDGET_BYTES } from './gates';

const baseUrl = inject('baseUrl');
const catalogue = demoCatalogue();
const onSale = catalogue.filter((p) => !p.withdrawn);
const stock = demoStock(PARCEL_NETWORK, catalogue, new Date());
const network = new Map(PARCEL_NETWORK.map((l) => [l.id, l]));
/** The seed's default, as the served Worker has it (no STOCK_SAFETY_UNITS). */
const SAFETY = 1;
/** Offices the canonical page names in its JSON-LD, most units first. */
const OFFER_PLACES = 10;
/** Places with a counter keep stock; relays, lockers and shops do not. */
const WITH_COUNTER = new Set(['post_office', 'communal_agency', 'intercommunal_agency', 'military_agency']);
/** What the product page searches: 20 km, 8 offices. */
const PAGE_RADIUS = 20_000;
const PAGE_HOLDERS = 8;

/** French alphabetical order as the platform's ICU defines it (numbers by value), then sku. */
const french = new Intl.Collator('fr', { numeric: true });
const byNameThenSku = (a: { name: string; sku: string }, b: { name: string; sku: string }) =>
  french.compare(a.name, b.name) || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);
function haversine(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = (d: number) => (d * Math.PI) / 180;
  const s = Math.sin(rad(b.latitude - a.latitude) / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(rad(b.longitude - a.longitude) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(s));
}
const decode = (html: string) => html.replace(/&#39;/g, '’').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
const textOf = (html: string) => decode(/<main[^>]*>([\s\S]*)<\/main>/.exec(html)![1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));
const jsonLd = (html: string) => JSON.parse(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/.exec(html)![1]!);
const productOf = (ld: any) => (Array.isArray(ld) ? ld : [ld]).find((x: any) => x['@type'] === 'Product');

/**
 * A product sold out online and kept on counter shelves, other than the
 * issue's example (other tests may hold units of that one), and a post
 * office in mainland France that holds at least 3 of it: searched by its
 * id, the search starts at its exact position.
 */
const soldOut = catalogue.find((p) => p.counter && p.soldOnline && p.onlineStock === 0 && !p.withdrawn && p.sku !== 'COL-2026-03')!;
const sellers = stock.filter((r) => r.sku === soldOut.sku && r.quantity - SAFETY > 0);
/** Every office within the page's radius of `from` that can sell one, nearest first (holds are none: this file takes none). */
const holdersNear = (from: { latitude: number; longitude: number }) => sellers
  .map((r) => ({ id: r.locationId, distance: haversine(from, network.get(r.locationId)!) }))
  .filter((h) => h.distance <= PAGE_RADIUS)
  .sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1));
/** The post office in mainland France holding at least 3 with the most other holders around it (the demo slice is sparse). */
const origin = sellers
  .filter((r) => r.quantity >= 3 && network.get(r.locationId)?.type === 'post_office' && /^\d\d$/.test(network.get(r.locationId)!.department))
  .map((r) => network.get(r.locationId)!)
  .map((l) => ({ l, around: holdersNear(l).length }))
  .sort((a, b) => b.around - a.around || (a.l.id < b.l.id ? -1 : 1))[0]!.l;
const holdersAround = holdersNear(origin);
const inStockOnline = catalogue.find((p) => p.sku === 'TP-LV-C12')!;
const withdrawn = catalogue.find((p) => p.withdrawn)!;
const counterOnly = catalogue.find((p) => !p.soldOnline && !p.withdrawn);

let browser: Browser;
beforeAll(async () => {
  const { db, close } = await openDatabase({ persistTo: inject('statePath') });
  try {
    await seedDemoCatalogue(db, PARCEL_NETWORK, new Date());
  } finally {
    await close();
  }
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

async function gated(path: string) {
  const page = await fetchPage(baseUrl, path);
  expect(executableScripts(page.html), path).toEqual([]);
  const weight = compressedWeight(page);
  expect(weight, `${path} weighs ${weight} B compressed`).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
  return page;
}

describe('/boutique', () => {
  it('lists the products on sale in name order, 20 a page, with price and marks, to the last page', async () => {
    const expected = [...onSale].sort(byNameThenSku);
    const seen: string[] = [];
    let path: string | null = '/boutique';
    while (path) {
      const page = await gated(path);
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toMatch(/^public/);
      const items = [...page.html.matchAll(/<li><a href="\/boutique\/([A-Z0-9-]+)">[^<]+<\/a>\s*<div>([\s\S]*?)<\/div>\s*<\/li>/g)];
      expect(items.length, path).toBeGreaterThan(0);
      expect(items.length).toBeLessThanOrEqual(20);
      for (const [, sku, line] of items) {
        // The page tests share one database: products other files added (orders.test.ts) are listed too, and not checked here.
        const product = catalogue.find((p) => p.sku === sku);
        if (!product) continue;
        const text = decode(line!.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
        expect(text.replace(/\u202f|\u00a0/g, ' '), sku).toContain(`${(product.priceCents / 100).toFixed(2).replace('.', ',')} €`);
        expect(text.includes('épuisé en ligne'), sku).toBe(product.soldOnline && product.onlineStock === 0);
        expect(text.includes('en bureau de poste uniquement'), sku).toBe(!product.soldOnline);
      }
      seen.push(...items.map((m) => m[1]!).filter((sku) => catalogue.some((p) => p.sku === sku)));
      const next = /<a href="([^"]+)" rel="next">Produits suivants<\/a>/.exec(page.html);
      path = next ? decode(next[1]!) : null;
    }
    expect(seen).toEqual(expected.map((p) => p.sku));
  });

  it('links each kind and searches words with a GET form, labelled', async () => {
    const page = await gated('/boutique');
    expect(page.html.match(/<h1[\s>]/g)).toHaveLength(1);
    for (const kind of ['stamps', 'stamp_collection', 'prepaid_envelope', 'packaging', 'collector', 'stationery']) expect(page.html).toContain(`href="/boutique?type=${kind}"`);
    expect(page.html).toMatch(/<form method="get" action="\/boutique"/);
    expect(page.html).toContain('<label for="q">Rechercher un produit</label>');
    const found = await gated(`/boutique?q=${encodeURIComponent('PHARES bretagne')}&type=stamp_collection`);
    const skus = [...found.html.matchAll(/<li><a href="\/boutique\/([A-Z0-9-]+)">/g)].map((m) => m[1]);
    expect(skus).toEqual(onSale.filter((p) => p.kind === 'stamp_collection' && p.name.includes('Phares de Bretagne')).sort(byNameThenSku).map((p) => p.sku));
    expect(found.html).toContain('<meta name="robots" content="noindex">');
  });
});

describe('/boutique/{sku}', () => {
  it('says a product is sold out online first, and leads to the offices that still have it', async () => {
    expect(holdersAround.length).toBeGreaterThan(3);
    const page = await gated(`/boutique/${soldOut.sku}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toMatch(/^public/);
    const text = textOf(page.html);
    expect(text).toContain('Épuisé en ligne.');
    expect(text.indexOf('Épuisé en ligne.')).toBeLessThan(text.indexOf('Où le trouver en bureau ?'));
    expect(page.html).not.toContain('/commander');
    expect(page.html).toContain('<label for="q">Commune, code postal ou adresse</label>');
    expect(page.html).toMatch(/<label><input type="checkbox" name="ouvert" value="oui"[^>]*> Ouvert maintenant<\/label>/);
    expect(page.html).toContain('<svg');
    expect(page.html).not.toMatch(/<img\b/);
    const product = productOf(jsonLd(page.html));
    expect(product).toMatchObject({ '@type': 'Product', sku: soldOut.sku, name: soldOut.name });
    // The online shop's offer first; the offices' follow (below).
    expect(product.offers[0]).toEqual(expect.objectContaining({ price: (soldOut.priceCents / 100).toFixed(2), priceCurrency: 'EUR', availability: 'https://schema.org/OutOfStock' }));
    expect(product.offers[0].availableAtOrFrom).toBeUndefined();
  });

  /**
   * Every active place with a counter that can sell `sku` now, read from the
   * served database row by row (counts, live holds, places) and computed
   * here: counted − live holds − safety above zero; most units first, then id.
   */
  async function sellersNow(sku: string) {
    const { db, close } = await openDatabase({ persistTo: inject('statePath') });
    try {
      const now = Date.now();
      const d1 = db.$client;
      const counts = (await d1.prepare('select location_id as id, quantity from location_stock where sku = ?').bind(sku).all<{ id: string; quantity: number }>()).results;
      const holds = (await d1.prepare(`select location_id as id, quantity, status, expires_at from stock_holds where sku = ?`).bind(sku)
        .all<{ id: string; quantity: number; status: string; expires_at: number }>()).results;
      const places = (await d1.prepare('select id, name, type, status, postcode from locations where id in (select value from json_each(?))').bind(JSON.stringify(counts.map((c) => c.id)))
        .all<{ id: string; name: string; type: string; status: string; postcode: string }>()).results;
      const placeOf = new Map(places.map((p) => [p.id, p]));
      const product = await d1.prepare('select withdrawn_at from products where sku = ?').bind(sku).first<{ withdrawn_at: number | null }>();
      if (!product || product.withdrawn_at !== null) return [];
      return counts
        .map((c) => {
          const held = holds.filter((h) => h.id === c.id && h.status === 'active' && h.expires_at > now).reduce((t, h) => t + h.quantity, 0);
          return { id: c.id, sellable: c.quantity - held - SAFETY, place: placeOf.get(c.id) };
        })
        .filter((c) => c.sellable > 0 && c.place?.status === 'active' && WITH_COUNTER.has(c.place.type))
        .sort((a, b) => b.sellable - a.sellable || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    } finally {
      await close();
    }
  }

  it('on its canonical page, says how many offices can sell it now and offers it at the 10 with the most units, in JSON-LD', async () => {
    const onlineOnly = catalogue.find((p) => !p.counter && !p.withdrawn);
    const products = [soldOut, inStockOnline, ...(onlineOnly ? [onlineOnly] : [])];
    const totals: number[] = [];
    for (const product of products) {
      const expected = await sellersNow(product.sku);
      totals.push(expected.length);
      const page = await gated(`/boutique/${product.sku}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toMatch(/^public/);
      expect(page.html).not.toContain('<meta name="robots" content="noindex">');

      const text = textOf(page.html);
      const line = expected.length === 0 ? 'Dans aucun bureau pour l’instant'
        : `Disponible dans ${expected.length.toLocaleString('fr-FR')} ${expected.length > 1 ? 'bureaux' : 'bureau'}`;
      expect(text, product.sku).toContain(line);
      expect(text.indexOf(line)).toBeGreaterThan(text.indexOf('Où le trouver en bureau ?'));
      expect(text.indexOf(line)).toBeLessThan(text.indexOf('Commune, code postal ou adresse'));

      const offers = productOf(jsonLd(page.html)).offers;
      const named = offers.slice(1);
      expect(named.length).toBeLessThanOrEqual(OFFER_PLACES);
      const top = expected.slice(0, OFFER_PLACES);
      expect(named.map((o: any) => o.availableAtOrFrom.url.split('-').pop().toUpperCase()), product.sku).toEqual(top.map((e) => e.id));
      named.forEach((offer: any, i: number) => {
        const e = top[i]!;
        expect(offer).toMatchObject({ '@type': 'Offer', price: (product.priceCents / 100).toFixed(2), priceCurrency: 'EUR' });
        expect(offer.availability).toBe(e.sellable <= 2 ? 'https://schema.org/LimitedAvailability' : 'https://schema.org/InStock');
        expect(offer.availableAtOrFrom).toMatchObject({ name: e.place!.name, address: { '@type': 'PostalAddress', postalCode: e.place!.postcode } });
        expect(offer.availableAtOrFrom['@type']).toBe(e.place!.type === 'post_office' ? 'PostOffice' : 'LocalBusiness');
        expect(offer.availableAtOrFrom.url).toMatch(new RegExp(`^${baseUrl}/bureaux/`));
      });
    }
    // The sold-out collection is on more than 10 shelves in the demo: the page names 10, and counts them all.
    expect(totals[0]).toBeGreaterThan(OFFER_PLACES);
    if (onlineOnly) expect(totals[2]).toBe(0);

    // Withdrawn: no office, no count, only the discontinued offer.
    const gone = await gated(`/boutique/${withdrawn.sku}`);
    expect(textOf(gone.html)).not.toMatch(/Disponible dans|Dans aucun bureau/);
    expect(productOf(jsonLd(gone.html)).offers).toEqual([expect.objectContaining({ availability: 'https://schema.org/Discontinued' })]);
  });

  it('lists the nearest holders with distance, opening, band, count age and a link to reserve; JSON-LD names them', async () => {
    const page = await gated(`/boutique/${soldOut.sku}?q=${origin.id}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<meta name="robots" content="noindex">');
    const items = [...page.html.matchAll(/<li>\s*<a href="(\/bureaux\/[^"]+)">([^<]+)<\/a>([\s\S]*?)<\/li>/g)];
    const ids = items.map((m) => m[1]!.split('-').pop()!.toUpperCase());
    expect(ids).toEqual(holdersAround.slice(0, PAGE_HOLDERS).map((h) => h.id));
    for (const [, path, name, rest] of items) {
      const id = path!.split('-').pop()!.toUpperCase();
      expect(decode(name!)).toBe(network.get(id)!.name);
      const text = decode(rest!.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
      expect(text).toMatch(/à (\d+ m|\d+(,\d)? km)/);
      expect(text).toMatch(/Ouvert|Ferme bientôt|Fermé/);
      expect(text).toMatch(/(en stock|plus que quelques-uns) · compté (à l’instant|il y a \d+ (min|h|jours))/);
      expect(rest).toContain(`href="/boutique/${soldOut.sku}/reserver?lieu=${id}"`);
    }
    const offers = productOf(jsonLd(page.html)).offers;
    expect(offers).toHaveLength(1 + items.length);
    expect(offers.slice(1).map((o: any) => o.availableAtOrFrom.name)).toEqual(items.map((m) => decode(m[2]!)));
    for (const offer of offers.slice(1)) {
      expect(offer.availableAtOrFrom['@type']).toMatch(/^(PostOffice|LocalBusiness)$/);
      expect(offer.availableAtOrFrom.address).toMatchObject({ '@type': 'PostalAddress', addressCountry: 'FR' });
      expect(offer.availableAtOrFrom.url).toMatch(new RegExp(`^${baseUrl}/bureaux/`));
    }
  });

  it('keeps only those open now when asked, as the hours API says', async () => {
    const status = async (id: string) => ((await (await fetch(`${baseUrl}/api/v1/locations/${id}/status`)).json()) as { open: boolean }).open;
    const open: string[] = [];
    for (const h of holdersAround) {
      if (open.length >= PAGE_HOLDERS) break;
      if (await status(h.id)) open.push(h.id);
    }
    const page = await gated(`/boutique/${soldOut.sku}?q=${origin.id}&ouvert=oui`);
    const ids = [...page.html.matchAll(/<li>\s*<a href="\/bureaux\/[^"]+-([a-z0-9]+)">/g)].map((m) => m[1]!.toUpperCase());
    expect(ids).toEqual(open);
    if (open.length === 0) expect(textOf(page.html)).toMatch(/mais aucun n’est ouvert au moment demandé/);
  });

  it('explains an empty answer', async () => {
    const page = await gated(`/boutique/${soldOut.sku}?q=Zzyzxville`);
    expect(textOf(page.html)).toContain('Aucun lieu ne correspond à « Zzyzxville »');
  });

  it('links to the online order when it is in stock online', async () => {
    const page = await gated(`/boutique/${inStockOnline.sku}`);
    expect(page.html).toContain(`href="/boutique/${inStockOnline.sku}/commander"`);
    expect(productOf(jsonLd(page.html)).offers[0].availability).toBe('https://schema.org/InStock');
    if (counterOnly) {
      const counter = await gated(`/boutique/${counterOnly.sku}`);
      expect(textOf(counter.html)).toContain('Vendu en bureau de poste uniquement.');
      expect(counter.html).not.toContain('/commander');
    }
  });

  it('says a withdrawn product is no longer sold, offers nothing to buy, and is not indexed', async () => {
    const page = await gated(`/boutique/${withdrawn.sku}?q=${origin.id}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<meta name="robots" content="noindex">');
    expect(textOf(page.html)).toContain('Ce produit n’est plus vendu');
    expect(page.html).not.toMatch(/\/reserver|\/commander|name="ouvert"/);
    expect(productOf(jsonLd(page.html)).offers).toEqual([expect.objectContaining({ availability: 'https://schema.org/Discontinued' })]);
  });

  it('is a 404 page for an unknown sku, one address for any case', async () => {
    const unknown = await gated('/boutique/ZZ-0000');
    expect(unknown.status).toBe(404);
    expect(textOf(unknown.html)).toContain('Aucun produit ne porte la référence « ZZ-0000 »');
    expect((await fetchPage(baseUrl, '/boutique/a_b')).status).toBe(404);
    const lower = await fetch(`${baseUrl}/boutique/${soldOut.sku.toLowerCase()}?q=Lyon`, { redirect: 'manual' });
    expect(lower.status).toBe(301);
    expect(new URL(lower.headers.get('location')!, baseUrl).href).toBe(`${baseUrl}/boutique/${soldOut.sku}?q=Lyon`);
  });
});

describe('in Chromium, JavaScript off', () => {
  it('goes from the shop to a sold-out product, to the offices that have it, to reserving at one', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const tab = await context.newPage();
    await tab.goto(`${baseUrl}/boutique`);
    await tab.getByRole('link', { name: PRODUCT_KIND_LABELS[soldOut.kind], exact: true }).first().click();
    await tab.waitForURL(`${baseUrl}/boutique?type=${soldOut.kind}`);
    await tab.getByLabel('Rechercher un produit').fill(soldOut.name.replace(/[«»]/g, ''));
    await tab.getByRole('button', { name: 'Rechercher' }).click();
    await tab.getByRole('link', { name: soldOut.name }).click();
    await tab.waitForURL(`${baseUrl}/boutique/${soldOut.sku}`);
    expect(await tab.getByRole('heading', { level: 1 }).innerText()).toBe(soldOut.name);
    await tab.getByLabel('Commune, code postal ou adresse').fill(origin.id);
    await tab.getByRole('button', { name: 'Voir les bureaux' }).click();
    await tab.waitForURL(new RegExp(`/boutique/${soldOut.sku}\\?q=${origin.id}$`));
    const reserve = tab.getByRole('link', { name: `Réserver ici : ${origin.name}` });
    expect(await reserve.getAttribute('href')).toBe(`/boutique/${soldOut.sku}/reserver?lieu=${origin.id}`);
    await context.close();
  });

  it('has no axe-core WCAG 2.2 AA violation, light and dark', async () => {
    const paths = ['/boutique', '/boutique?type=packaging&q=boite', `/boutique/${soldOut.sku}`, `/boutique/${soldOut.sku}?q=${origin.id}&ouvert=oui`,
      `/boutique/${soldOut.sku}?q=${origin.id}`, `/boutique/${inStockOnline.sku}`, `/boutique/${withdrawn.sku}`, '/boutique/ZZ-0000'];
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ bypassCSP: true, colorScheme });
      const tab = await context.newPage();
      for (const path of paths) {
        await tab.goto(`${baseUrl}${path}`);
        expect(await axeViolations(tab), `${path} (${colorScheme})`).toEqual([]);
      }
      await context.close();
    }
  });
});
