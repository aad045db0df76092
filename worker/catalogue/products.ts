/**
 * @module
 * The catalogue's vocabulary and its one shared read: what a product is,
 * how its kind and price read in French, and finding one by its sku.
 * Listing, searching and the pages build on this (catalogue/…, stock/…,
 * orders/…).
 */
import { eq } from 'drizzle-orm';
import { type ProductRow, products } from '../../db/schema';
import { PRODUCT_KINDS, type ProductKind } from '../../db/vocabulary';
import type { Database } from '../database';

export { PRODUCT_KINDS, type ProductKind, type ProductRow };

/** A sku: 3 to 32 capital letters, digits and dashes, e.g. `TP-LV-C12`. */
export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,30}[A-Z0-9]$/;

export const PRODUCT_KIND_LABELS: Record<ProductKind, string> = {
  stamps: 'Timbres',
  stamp_collection: 'Collections de timbres',
  prepaid_envelope: 'Enveloppes prêtes à poster',
  packaging: 'Emballages',
  collector: 'Philatélie de collection',
  stationery: 'Papeterie',
};

const EUROS = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });

/** `1290` → « 12,90 € » (French spacing: a narrow no-break space before the sign). */
export function formatPrice(cents: number): string {
  return EUROS.format(cents / 100);
}

/** Google's price attribute: `12.90 EUR`. */
export function merchantPrice(cents: number): string {
  return `${(cents / 100).toFixed(2)} EUR`;
}

/** Still sold: not withdrawn from the catalogue. */
export const isOnSale = (product: Pick<ProductRow, 'withdrawnAt'>) => product.withdrawnAt === null;

/** Sold online but none left to ship: the customer is shown where offices still hold it. */
export const isSoldOutOnline = (product: Pick<ProductRow, 'soldOnline' | 'onlineStock'>) => product.soldOnline && product.onlineStock <= 0;

/** The product, withdrawn or not; undefined for an unknown sku. */
export async function findProduct(db: Database, sku: string): Promise<ProductRow | undefined> {
  if (!SKU_PATTERN.test(sku)) return undefined;
  return db.select().from(products).where(eq(products.sku, sku)).get();
}
