/**
 * @module
 * `robots.txt`, the sitemap index, one sitemap per département (its page,
 * communes and offices) and one for the shop (`/boutique` and each product
 * on sale), with `lastmod` from the data. Every URL is on the
 * configured `SITE_ORIGIN`, whatever Host the request names.
 */
import { Hono } from 'hono';
import { database, siteOrigin } from '../env';
import { methodNotAllowed, Problem } from '../http/problem';
import { findDepartment } from '../locations/departments';
import { communePath, locationPath } from '../locations/present';
import { listActiveDepartments } from '../locations/queries';
import { catalogueLastChange, departmentCommunes, departmentLastChange, departmentOffices, productsOnSale } from './queries';
import { sitemapIndex, urlSet } from './xml';

const xml = (body: string) =>
  new Response(body, { headers: { 'content-type': 'application/xml; charset=utf-8' } });

const latest = (dates: Array<string | null>) => dates.filter(Boolean).sort().at(-1) ?? null;

/** A product's `updated_at` (ms) as a W3C datetime, to the second like the others. */
const instant = (ms: number | null) => (ms === null ? null : `${new Date(ms).toISOString().slice(0, 19)}Z`);

export const PRODUCTS_SITEMAP = '/sitemaps/produits.xml';

export const sitemapRoutes = new Hono()
  .get('/robots.txt', (c) =>
    c.text(`User-agent: *\nAllow: /\nDisallow: /api/\n\nSitemap: ${siteOrigin()}/sitemap.xml\n`),
  )
  .get('/sitemap.xml', async () => {
    const origin = siteOrigin();
    const db = database();
    const [departments, catalogueChange] = await Promise.all([listActiveDepartments(db), catalogueLastChange(db)]);
    return xml(
      sitemapIndex([
        { loc: `${origin}/sitemaps/accueil.xml`, lastmod: latest(departments.map((d) => d.updatedAt)) },
        ...departments.map((d) => ({
          loc: `${origin}/sitemaps/departement-${d.department.toLowerCase()}.xml`,
          lastmod: d.updatedAt,
        })),
        { loc: `${origin}${PRODUCTS_SITEMAP}`, lastmod: instant(catalogueChange) },
      ]),
    );
  })
  .get('/sitemaps/accueil.xml', async () => {
    const departments = await listActiveDepartments(database());
    const lastmod = latest(departments.map((d) => d.updatedAt));
    // The home and the two lists it links to: every département, every service.
    return xml(urlSet(['/', '/departements', '/services'].map((path) => ({ loc: `${siteOrigin()}${path}`, lastmod }))));
  })
  .get('/sitemaps/:file{departement-[0-9a-zA-Z]{2,3}\\.xml}', async (c) => {
    const origin = siteOrigin();
    const code = c.req.param('file').slice('departement-'.length, -'.xml'.length);
    const department = findDepartment(code);
    const db = database();
    const [lastChange, communes, offices] = department
      ? await Promise.all([
          departmentLastChange(db, department.code),
          departmentCommunes(db, department.code),
          departmentOffices(db, department.code),
        ])
      : [undefined, [], []];
    if (!department || offices.length === 0) throw new Problem('not-found', 'Fichier de plan de site inconnu.');
    const path = `/departements/${department.code.toLowerCase()}`;
    return xml(
      urlSet([
        { loc: `${origin}${path}`, lastmod: lastChange },
        ...communes.map((m) => ({ loc: `${origin}${communePath(m)}`, lastmod: m.updatedAt })),
        ...offices.map((o) => ({ loc: `${origin}${locationPath(o)}`, lastmod: o.updatedAt })),
      ]),
    );
  })
  .get(PRODUCTS_SITEMAP, async () => {
    const origin = siteOrigin();
    const db = database();
    // The shop's pages change with the catalogue (names, prices, withdrawals); stock moves reach search engines through the local inventory feed.
    const [onSale, catalogueChange] = await Promise.all([productsOnSale(db), catalogueLastChange(db)]);
    return xml(
      urlSet([
        { loc: `${origin}/boutique`, lastmod: instant(catalogueChange) },
        ...onSale.map((p) => ({ loc: `${origin}/boutique/${encodeURIComponent(p.sku)}`, lastmod: instant(p.updatedAt) })),
      ]),
    );
  })
  .all('/robots.txt', methodNotAllowed('GET, HEAD'))
  .all(PRODUCTS_SITEMAP, methodNotAllowed('GET, HEAD'))
  .all('/sitemap.xml', methodNotAllowed('GET, HEAD'))
  .all('/sitemaps/accueil.xml', methodNotAllowed('GET, HEAD'))
  .all('/sitemaps/:file{departement-[0-9a-zA-Z]{2,3}\\.xml}', methodNotAllowed('GET, HEAD'));
