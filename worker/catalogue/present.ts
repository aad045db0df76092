/**
 * @module
 * The catalogue as each door shows it, pure: a product and a page of
 * products as the API answers them, where a product can be had (online,
 * at a counter, no longer), the addresses of its pages, and the product
 * page's schema.org `Product` with its offers: the online shop's, and one
 * per office the page shows, available at that office
 * (`availableAtOrFrom`). Where it is on shelves is stock's
 * (worker/stock/availability.ts), which reads this; never the other way.
 */
import type { LocationType } from '../locations/catalog';
import { countryOf } from '../locations/present';
import { encodeProductCursor, type ProductPage } from './catalogue';
import { formatPrice, isOnSale, PRODUCT_KIND_LABELS, type ProductRow } from './products';

/** Where the online shop stands on a product. */
export type OnlineStatus = 'in_stock' | 'sold_out' | 'counter_only' | 'withdrawn';

export const ONLINE_STATUS_LABELS: Record<OnlineStatus, string> = {
  in_stock: 'disponible en ligne',
  sold_out: 'épuisé en ligne',
  counter_only: 'en bureau de poste uniquement',
  withdrawn: 'n’est plus vendu',
};

export function onlineStatus(product: Pick<ProductRow, 'withdrawnAt' | 'soldOnline' | 'onlineStock'>): OnlineStatus {
  if (!isOnSale(product)) return 'withdrawn';
  if (!product.soldOnline) return 'counter_only';
  return product.onlineStock > 0 ? 'in_stock' : 'sold_out';
}

export const productPath = (sku: string) => `/boutique/${sku}`;
/** The online order form (orders/…): only for a product in stock online. */
export const orderPath = (sku: string) => `/boutique/${sku}/commander`;
/**
 * The reservation form at one office (stock/…): only for a product on sale
 * that the office can sell. Both parts encoded: the reservation page builds
 * its own address from whatever sku and place it was asked for.
 */
export const reservePath = (sku: string, locationId: string) => `/boutique/${encodeURIComponent(sku)}/reserver?lieu=${encodeURIComponent(locationId)}`;

export function presentProduct(product: ProductRow) {
  const status = onlineStatus(product);
  return {
    sku: product.sku,
    name: product.name,
    kind: product.kind,
    kind_label: PRODUCT_KIND_LABELS[product.kind],
    description: product.description,
    /** Euro cents, VAT included. */
    price_cents: product.priceCents,
    price_label: formatPrice(product.priceCents),
    currency: 'EUR' as const,
    on_sale: status !== 'withdrawn',
    sold_online: product.soldOnline,
    online_status: status,
    online_status_label: ONLINE_STATUS_LABELS[status],
    page_url: productPath(product.sku),
    order_url: status === 'in_stock' ? orderPath(product.sku) : null,
  };
}

export function presentProductPage(page: ProductPage) {
  return {
    data: page.products.map(presentProduct),
    next_cursor: page.next ? encodeProductCursor(page.next) : null,
  };
}

const SCHEMA = 'https://schema.org/';
const ONLINE_AVAILABILITY: Record<OnlineStatus, string> = {
  in_stock: `${SCHEMA}InStock`,
  sold_out: `${SCHEMA}OutOfStock`,
  counter_only: `${SCHEMA}InStoreOnly`,
  withdrawn: `${SCHEMA}Discontinued`,
};
/**
 * An office the page shows with the product on its shelf, as JSON-LD
 * needs it (stock's holders are these, and more).
 */
export interface OfferPlace {
  name: string;
  type: LocationType;
  /** Its page, `/bureaux/{slug}`. */
  path: string;
  postcode: string;
  commune: string;
  department: string;
  latitude: number;
  longitude: number;
  /** Stock's quantity band (worker/stock/levels.ts). */
  band: 'in_stock' | 'few_left' | 'sold_out';
}

const SHELF_AVAILABILITY: Record<OfferPlace['band'], string> = {
  in_stock: `${SCHEMA}InStock`,
  few_left: `${SCHEMA}LimitedAvailability`,
  sold_out: `${SCHEMA}OutOfStock`,
};

const placeType = (type: LocationType) => (type === 'post_office' ? 'PostOffice' : 'LocalBusiness');

/**
 * The product page's JSON-LD: the `Product`, the online shop's `Offer`
 * and, for each office the page shows, an `Offer` available at it (its
 * `PostOffice` with its address). Base.astro writes it escaped.
 */
export function productJsonLd(product: ProductRow, origin: string, places: readonly OfferPlace[]) {
  const url = `${origin}${productPath(product.sku)}`;
  const price = (product.priceCents / 100).toFixed(2);
  return {
    '@context': 'https://schema.org',
    '@type': 'Product',
    '@id': `${url}#produit`,
    name: product.name,
    description: product.description,
    sku: product.sku,
    category: PRODUCT_KIND_LABELS[product.kind],
    url,
    brand: { '@type': 'Brand', name: 'La Poste' },
    offers: [
      { '@type': 'Offer', url, price, priceCurrency: 'EUR', availability: ONLINE_AVAILABILITY[onlineStatus(product)] },
      ...places.map((place) => ({
        '@type': 'Offer',
        price,
        priceCurrency: 'EUR',
        availability: SHELF_AVAILABILITY[place.band],
        availableAtOrFrom: {
          '@type': placeType(place.type),
          name: place.name,
          url: `${origin}${place.path}`,
          address: { '@type': 'PostalAddress', postalCode: place.postcode, addressLocality: place.commune, addressCountry: countryOf(place.department) },
          geo: { '@type': 'GeoCoordinates', latitude: place.latitude, longitude: place.longitude },
        },
      })),
    ],
  };
}
