/**
 * How the catalogue shows a product, pure: where it is sold, the API
 * resource, and the schema.org Product with its offers.
 */
import { describe, expect, it } from 'vitest';
import type { ProductRow } from '../../../db/schema';
import { type OfferPlace, onlineStatus, presentProduct, productJsonLd } from '../../../worker/catalogue/present';

const product = (over: Partial<ProductRow> = {}): ProductRow => ({
  sku: 'COL-2026-03', name: 'Collection « Phares de Bretagne » 2026', kind: 'stamp_collection', priceCents: 1490,
  description: 'Un feuillet.', soldOnline: true, onlineStock: 0, withdrawnAt: null, updatedAt: 0, ...over,
});

const holder = (over: Partial<OfferPlace> = {}): OfferPlace => ({
  name: 'Brest Principal', commune: 'Brest', postcode: '29200', department: '29', type: 'post_office', path: '/bureaux/brest-principal-29019a',
  latitude: 48.39, longitude: -4.49, band: 'few_left', ...over,
});

describe('where a product is sold', () => {
  it.each([
    [{ onlineStock: 3 }, 'in_stock'],
    [{ onlineStock: 0 }, 'sold_out'],
    [{ soldOnline: false, onlineStock: 0 }, 'counter_only'],
    [{ withdrawnAt: 1, onlineStock: 9 }, 'withdrawn'],
  ] as const)('%j → %s', (over, status) => {
    expect(onlineStatus(product(over))).toBe(status);
  });

  it('links to the order form only when it is in stock online', () => {
    expect(presentProduct(product({ onlineStock: 3 })).order_url).toBe('/boutique/COL-2026-03/commander');
    for (const over of [{ onlineStock: 0 }, { soldOnline: false }, { withdrawnAt: 1, onlineStock: 3 }]) {
      expect(presentProduct(product(over)).order_url).toBeNull();
    }
    expect(presentProduct(product({ withdrawnAt: 1 })).on_sale).toBe(false);
  });
});

describe('the schema.org Product', () => {
  const origin = 'https://guichet.example';

  it('offers it online at its price in euros, and at each office shown', () => {
    const ld = productJsonLd(product({ priceCents: 1824 }), origin, [
      holder(),
      holder({ name: 'Monaco', commune: 'Monaco', postcode: '98000', department: 'MC', type: 'partner_relay', path: '/bureaux/monaco-d005996', band: 'in_stock' }),
    ]);
    expect(ld).toMatchObject({ '@type': 'Product', sku: 'COL-2026-03', url: `${origin}/boutique/COL-2026-03`, category: 'Collections de timbres' });
    expect(ld.offers).toHaveLength(3);
    expect(ld.offers[0]).toEqual({ '@type': 'Offer', url: `${origin}/boutique/COL-2026-03`, price: '18.24', priceCurrency: 'EUR', availability: 'https://schema.org/OutOfStock' });
    expect(ld.offers[1]).toMatchObject({
      price: '18.24', priceCurrency: 'EUR', availability: 'https://schema.org/LimitedAvailability',
      availableAtOrFrom: {
        '@type': 'PostOffice', name: 'Brest Principal', url: `${origin}/bureaux/brest-principal-29019a`,
        address: { '@type': 'PostalAddress', postalCode: '29200', addressLocality: 'Brest', addressCountry: 'FR' },
      },
    });
    expect(ld.offers[2]).toMatchObject({
      availability: 'https://schema.org/InStock',
      availableAtOrFrom: { '@type': 'LocalBusiness', address: { addressCountry: 'MC' } },
    });
  });

  it.each([
    [{ onlineStock: 5 }, 'InStock'], [{ soldOnline: false }, 'InStoreOnly'], [{ withdrawnAt: 1 }, 'Discontinued'],
  ] as const)('says the online shop’s availability: %j → %s', (over, availability) => {
    expect(productJsonLd(product(over), origin, []).offers).toEqual([expect.objectContaining({ availability: `https://schema.org/${availability}` })]);
  });

  it('writes prices with two decimals, whatever the cents', () => {
    expect(productJsonLd(product({ priceCents: 152 }), origin, []).offers[0]!.price).toBe('1.52');
    expect(productJsonLd(product({ priceCents: 15200 }), origin, []).offers[0]!.price).toBe('152.00');
    expect(productJsonLd(product({ priceCents: 5 }), origin, []).offers[0]!.price).toBe('0.05');
  });
});
