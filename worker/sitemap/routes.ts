/**
 * @module
 * `robots.txt`, the sitemap index and its files: every office page, commune
 * page and département page, with accurate `lastmod` from the data.
 */
import { Hono } from 'hono';
import { database, siteOrigin } from '../env';
import { Problem } from '../http/problem';
import { locationPath } from '../locations/present';
import { communeSlug } from '../locations/names';
import { communeChunks, communesInChunk, departmentUpdates, officeChunks, officesInChunk } from './queries';
import { sitemapIndex, urlSet } from './xml';

const xml = (body: string) =>
  new Response(body, { headers: { 'content-type': 'application/xml; charset=utf-8' } });

function chunkNumber(raw: string): number {
  const n = /^\d{1,4}$/.test(raw) ? Number(raw) : 0;
  if (n < 1) throw new Problem('not-found', 'Fichier de plan de site inconnu.');
  return n;
}

const latest = (dates: Array<string | null>) => dates.filter(Boolean).sort().at(-1) ?? null;

export const sitemapRoutes = new Hono()
  .get('/robots.txt', (c) =>
    c.text(`User-agent: *\nAllow: /\nDisallow: /api/\n\nSitemap: ${siteOrigin(c.req.raw)}/sitemap.xml\n`),
  )
  .get('/sitemap.xml', async (c) => {
    const db = database();
    const origin = siteOrigin(c.req.raw);
    const [offices, communes, departments] = await Promise.all([officeChunks(db), communeChunks(db), departmentUpdates(db)]);
    return xml(
      sitemapIndex([
        { loc: `${origin}/sitemaps/departements.xml`, lastmod: latest(departments.map((d) => d.updatedAt)) },
        ...communes.map((f) => ({ loc: `${origin}/sitemaps/communes-${f.chunk}.xml`, lastmod: f.lastmod })),
        ...offices.map((f) => ({ loc: `${origin}/sitemaps/bureaux-${f.chunk}.xml`, lastmod: f.lastmod })),
      ]),
    );
  })
  .get('/sitemaps/departements.xml', async (c) => {
    const origin = siteOrigin(c.req.raw);
    const departments = await departmentUpdates(database());
    return xml(
      urlSet([
        { loc: `${origin}/`, lastmod: latest(departments.map((d) => d.updatedAt)) },
        ...departments.map((d) => ({ loc: `${origin}/departements/${d.department.toLowerCase()}`, lastmod: d.updatedAt })),
      ]),
    );
  })
  .get('/sitemaps/:file{(communes|bureaux)-[0-9]+\\.xml}', async (c) => {
    const origin = siteOrigin(c.req.raw);
    const [kind, rest] = c.req.param('file').split('-');
    const chunk = chunkNumber(rest.replace('.xml', ''));
    const db = database();
    const items =
      kind === 'bureaux'
        ? (await officesInChunk(db, chunk)).map((o) => ({ loc: `${origin}${locationPath(o)}`, lastmod: o.updatedAt }))
        : (await communesInChunk(db, chunk)).map((m) => ({ loc: `${origin}/communes/${communeSlug(m)}`, lastmod: m.updatedAt }));
    if (items.length === 0) throw new Problem('not-found', 'Fichier de plan de site vide ou inconnu.');
    return xml(urlSet(items));
  });
