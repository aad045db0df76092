/**
 * @module
 * The catalogue over HTTP (`/api/v1/products`): the products on sale by
 * kind or words, keyset-paged, and one product by its sku. Where to get
 * one (`/{sku}/availability`) is stock's door (worker/stock/availability.ts):
 * stock reads the catalogue, so the catalogue never reads stock. The shop
 * pages (site/pages/boutique/…) call the same use cases.
 */
import { Hono } from 'hono';
import { describeRoute, resolver } from 'hono-openapi';
import { database } from '../env';
import { methodNotAllowed, Problem } from '../http/problem';
import { validate } from '../http/validate';
import { ProblemSchema } from '../locations/api-schema';
import { ListProductsQuery, ProductPageSchema, ProductSchema, SkuParams } from './api-schema';
import { listProducts, readProduct } from './catalogue';
import { presentProduct, presentProductPage } from './present';

export const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: resolver(ProblemSchema) } } });
export const json = (description: string, schema: Parameters<typeof resolver>[0]) => ({ description, content: { 'application/json': { schema: resolver(schema) } } });

export const unknownProduct = (sku: string) => new Problem('not-found', `Aucun produit n’a la référence ${sku} : voyez la liste sur /api/v1/products.`);

export const productRoutes = new Hono()
  .get(
    '/',
    describeRoute({
      tags: ['Catalogue'],
      summary: 'Produits en vente',
      description: 'Products on sale (withdrawn ones are left out), in French alphabetical order (numbers by value), then sku. `kind` keeps one kind; `q` keeps the products every word of which begins a word of '
        + 'the name or sku, without regard to accents or case (`chateaux` finds « Châteaux »). Follow `next_cursor` until it is null.',
      responses: { 200: json('A page of products', ProductPageSchema), 400: problem('A parameter is invalid; `invalid_params` names it') },
    }),
    validate('query', ListProductsQuery),
    async (c) => {
      const query = c.req.valid('query');
      const page = await listProducts(database(), { kind: query.kind, q: query.q, after: query.cursor, limit: query.limit });
      return c.json(presentProductPage(page));
    },
  )
  .get(
    '/:sku',
    describeRoute({
      tags: ['Catalogue'],
      summary: 'Un produit',
      description: 'Any product, withdrawn ones included (`on_sale: false`): orders and reorders name them. The sku is read in any case.',
      responses: { 200: json('The product', ProductSchema), 400: problem('The sku is malformed'), 404: problem('No product has this sku') },
    }),
    validate('param', SkuParams),
    async (c) => {
      const { sku } = c.req.valid('param');
      const product = await readProduct(database(), sku);
      if (!product) throw unknownProduct(sku);
      return c.json(presentProduct(product));
    },
  )
  .all('/', methodNotAllowed('GET, HEAD'))
  .all('/:sku', methodNotAllowed('GET, HEAD'));
