/**
 * @module
 * Browsing the catalogue, for the API (`/api/v1/products`) and the shop
 * pages (`/boutique`): the products on sale, by kind or by words of their
 * name, in French alphabetical order, paged by keyset (the last name and
 * sku shown), so a page never repeats or skips a product when the
 * catalogue changes between two pages; and one product by its sku.
 *
 * Words are compared as the locator compares place names (text.ts):
 * without accents, case or punctuation, so "chateaux" finds « Châteaux de
 * la Loire ». SQLite can neither fold accents nor sort in French
 * (« Châteaux » before « Chats »), so both happen here, over the products
 * of the kind read at once: the catalogue is hundreds of products, not
 * millions (a list reads them all; the edge keeps the pages).
 */
import { and, eq, isNull, type SQL } from 'drizzle-orm';
import { products } from '../../db/schema';
import type { Database } from '../database';
import { decodeBase64url, encodeBase64urlText } from '../http/base64url';
import { searchKey } from '../locator/text';
import { findProduct, type ProductKind, type ProductRow, SKU_PATTERN } from './products';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** Longest search text, in characters. */
export const MAX_SEARCH_LENGTH = 100;
/** French order, numbers by value (« Carnet de 6 » before « Carnet de 12 »). */
const FRENCH = new Intl.Collator('fr', { numeric: true });

/** The catalogue's order: name in French, then sku (a total order: the keyset needs one). */
export function catalogueOrder(a: Pick<ProductRow, 'name' | 'sku'>, b: Pick<ProductRow, 'name' | 'sku'>): number {
  return FRENCH.compare(a.name, b.name) || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);
}

/** Where a page ends: the next page starts after this name, then this sku. */
export interface ProductCursor {
  name: string;
  sku: string;
}

export interface ProductListQuery {
  kind?: ProductKind;
  /** Words that must all begin a word of the name (or of the sku). */
  q?: string;
  after?: ProductCursor;
  limit: number;
}

export interface ProductPage {
  products: ProductRow[];
  /** Where the next page starts; null on the last page. */
  next: ProductCursor | null;
}

/** The words of a search, as compared: `« Châteaux » de la Loire` → `chateaux`, `de`, `la`, `loire`. */
export const searchWords = (text: string): string[] => searchKey(text).split(' ').filter(Boolean);

/** Every word of the search begins a word of the product's name or sku. */
export function matchesWords(product: Pick<ProductRow, 'name' | 'sku'>, words: readonly string[]): boolean {
  if (words.length === 0) return true;
  const own = searchWords(`${product.name} ${product.sku}`);
  return words.every((word) => own.some((w) => w.startsWith(word)));
}

/** The API's and the pages' paging cursor: base64url of `{"name":…,"sku":…}`, opaque to clients. */
export const encodeProductCursor = (cursor: ProductCursor) => encodeBase64urlText(JSON.stringify({ name: cursor.name, sku: cursor.sku }));

/** The cursor, or undefined when the text is not one of ours spelled as we spell it (a forged or altered one). */
export function decodeProductCursor(text: string): ProductCursor | undefined {
  if (text.length > 400) return undefined;
  const bytes = decodeBase64url(text);
  if (!bytes) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { name, sku } = value as { name?: unknown; sku?: unknown };
  if (typeof name !== 'string' || typeof sku !== 'string' || !SKU_PATTERN.test(sku) || name.length > 300) return undefined;
  const cursor = { name, sku };
  return encodeProductCursor(cursor) === text ? cursor : undefined;
}

/** A sku as typed (any case, spaces around), or undefined when it cannot be one. */
export function canonicalSku(text: string): string | undefined {
  const sku = text.trim().toUpperCase();
  return SKU_PATTERN.test(sku) ? sku : undefined;
}

/** The products on sale (not withdrawn), of one kind or all, matching the words, in the catalogue's order. */
export async function listProducts(db: Database, query: ProductListQuery): Promise<ProductPage> {
  const words = searchWords(query.q ?? '');
  const conditions: SQL[] = [isNull(products.withdrawnAt)];
  if (query.kind) conditions.push(eq(products.kind, query.kind));
  const rows = (await db.select().from(products).where(and(...conditions)).all()).sort(catalogueOrder);
  const after = query.after;
  const found: ProductRow[] = [];
  for (const row of rows) {
    if (after && catalogueOrder(row, after) <= 0) continue;
    if (!matchesWords(row, words)) continue;
    found.push(row);
    if (found.length > query.limit) break;
  }
  const page = found.slice(0, query.limit);
  const last = page.at(-1);
  return { products: page, next: found.length > query.limit && last ? { name: last.name, sku: last.sku } : null };
}

/** One product, withdrawn or not, by its sku in any case; undefined when unknown or malformed. */
export async function readProduct(db: Database, sku: string): Promise<ProductRow | undefined> {
  const canonical = canonicalSku(sku);
  return canonical ? findProduct(db, canonical) : undefined;
}
