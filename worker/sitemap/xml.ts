/**
 * @module
 * Sitemap XML (sitemaps.org protocol 0.9). Pure string building.
 */

export interface SitemapEntry {
  loc: string;
  lastmod?: string | null;
}

/** The protocol's cap per file. One département has a few thousand URLs at most. */
export const URLS_PER_SITEMAP = 50_000;

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

function entries(tag: 'url' | 'sitemap', items: readonly SitemapEntry[]): string {
  return items
    .map((e) => `<${tag}><loc>${escapeXml(e.loc)}</loc>${e.lastmod ? `<lastmod>${escapeXml(e.lastmod)}</lastmod>` : ''}</${tag}>`)
    .join('\n');
}

export function urlSet(items: readonly SitemapEntry[]): string {
  if (items.length > URLS_PER_SITEMAP) throw new Error(`a sitemap holds at most ${URLS_PER_SITEMAP} URLs`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${entries('url', items)}\n</urlset>\n`;
}

export function sitemapIndex(items: readonly SitemapEntry[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${entries('sitemap', items)}\n</sitemapindex>\n`;
}
