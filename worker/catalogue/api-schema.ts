/**
 * @module
 * The catalogue API contract in valibot: the sku in the path and the
 * list's query parameters (validated on every request: a bad sku, kind,
 * cursor or limit is a 400 naming it), and the answers' shapes as OpenAPI
 * describes them.
 */
import * as v from 'valibot';
import { decodeProductCursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_SEARCH_LENGTH } from './catalogue';
import { PRODUCT_KINDS, SKU_PATTERN } from './products';

// Any run of digits is a number: one too large is then told the maximum, not "entier attendu".
const number = (name: string) => v.pipe(v.string(), v.regex(/^\d{1,9}$/, `${name} : entier attendu`), v.toNumber());
const text = (max: number) => v.pipe(v.string(), v.trim(), v.minLength(1, 'texte vide'), v.maxLength(max, `${max} caractères au plus`));

/** The sku in the path, in any case; a malformed one is a 400 that says what a sku is. */
export const SkuParams = v.object({
  sku: v.pipe(
    v.string(),
    v.toUpperCase(),
    v.regex(SKU_PATTERN, 'référence invalide : 3 à 32 lettres, chiffres ou tirets (ex. TP-LV-C12)'),
  ),
});

export const ListProductsQuery = v.strictObject({
  kind: v.optional(v.picklist(PRODUCT_KINDS, (issue) => `catégorie inconnue « ${String(issue.input)} » ; valeurs admises : ${PRODUCT_KINDS.join(', ')}`)),
  q: v.optional(text(MAX_SEARCH_LENGTH)),
  /** Opaque: the `next_cursor` of a previous answer. */
  cursor: v.optional(v.pipe(
    v.string(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const cursor = decodeProductCursor(dataset.value);
      if (cursor) return cursor;
      addIssue({ message: 'curseur inconnu : reprenez le next_cursor d’une réponse' });
      return NEVER;
    }),
  )),
  limit: v.optional(v.pipe(number('limite'), v.minValue(1, 'au moins 1'), v.maxValue(MAX_PAGE_SIZE, `au plus ${MAX_PAGE_SIZE}`)), String(DEFAULT_PAGE_SIZE)),
});

export const ProductSchema = v.object({
  sku: v.string(),
  name: v.string(),
  kind: v.picklist(PRODUCT_KINDS),
  kind_label: v.string(),
  description: v.string(),
  price_cents: v.number(),
  price_label: v.string(),
  currency: v.literal('EUR'),
  on_sale: v.boolean(),
  sold_online: v.boolean(),
  online_status: v.picklist(['in_stock', 'sold_out', 'counter_only', 'withdrawn']),
  online_status_label: v.string(),
  page_url: v.string(),
  order_url: v.nullable(v.string()),
});

export const ProductPageSchema = v.object({
  data: v.array(ProductSchema),
  next_cursor: v.nullable(v.string()),
});
