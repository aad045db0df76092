/**
 * The demo catalogue tells the issue's stories: about 200 products with
 * valid skus, collections sold out online yet on offices' shelves, items
 * only the online shop carries, withdrawn ones; the same on every run.
 */
import { describe, expect, it } from 'vitest';
import { demoCatalogue, demoStock } from '../../tools/demo/catalogue';
import { DEMO_SEED, generateDemoNetwork } from '../../tools/demo/network';
import { SKU_PATTERN } from '../../worker/catalogue/products';

const catalogue = demoCatalogue();
const network = generateDemoNetwork(DEMO_SEED, 3000);
const now = new Date('2026-11-24T10:00:00Z');

describe('demo catalogue', () => {
  it('has about 200 products with unique, valid skus and prices', () => {
    expect(catalogue.length).toBeGreaterThanOrEqual(180);
    expect(catalogue.length).toBeLessThanOrEqual(220);
    expect(new Set(catalogue.map((p) => p.sku)).size).toBe(catalogue.length);
    for (const p of catalogue) {
      expect(p.sku).toMatch(SKU_PATTERN);
      expect(Number.isInteger(p.priceCents) && p.priceCents > 0).toBe(true);
      expect(p.onlineStock).toBeGreaterThanOrEqual(0);
    }
    expect(demoCatalogue()).toEqual(catalogue);
  });

  it('keeps products sold out online on offices’ shelves, and online-only ones off them', () => {
    const stock = demoStock(network, catalogue, now);
    const onShelves = new Set(stock.filter((r) => r.quantity > 0).map((r) => r.sku));
    const soldOutOnline = catalogue.filter((p) => p.soldOnline && p.onlineStock === 0 && !p.withdrawn);
    expect(soldOutOnline.filter((p) => onShelves.has(p.sku)).length).toBeGreaterThanOrEqual(5);
    const onlineOnly = catalogue.filter((p) => !p.counter);
    expect(onlineOnly.length).toBeGreaterThanOrEqual(50);
    expect(onlineOnly.some((p) => onShelves.has(p.sku))).toBe(false);
    expect(catalogue.some((p) => p.withdrawn)).toBe(true);
    expect(stock.some((r) => catalogue.find((p) => p.sku === r.sku)!.withdrawn)).toBe(false);
  });

  it('stocks post offices and agencies only, each product once per place, counted in the last 3 days', () => {
    const stock = demoStock(network, catalogue, now);
    const types = new Map(network.map((l) => [l.id, l.type]));
    expect(new Set(stock.map((r) => types.get(r.locationId)))).toEqual(new Set(['post_office', 'communal_agency', 'intercommunal_agency']));
    expect(new Set(stock.map((r) => `${r.locationId}|${r.sku}`)).size).toBe(stock.length);
    for (const r of stock) {
      expect(r.countedAt).toBeLessThanOrEqual(now.getTime());
      expect(r.countedAt).toBeGreaterThan(now.getTime() - 3 * 86_400_000);
    }
    expect(demoStock(network, catalogue, now)).toEqual(stock);
  });
});
