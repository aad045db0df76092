/**
 * Page gates over HTTP against the built Worker: size budget, no script,
 * no third party, SEO essentials, redirects, caching.
 */
import { describe, expect, inject, it } from 'vitest';
import { compressedWeight, executableScripts, fetchPage, PAGE_BUDGET_BYTES, subresources } from './gates';
import { abroad, bigCommune, closed, deleguee, largestDepartment, office, PAGES, parentOfPartner, SCRIPT_BUDGET_BYTES } from './fixtures';

/** The fields of the location API these tests read (docs/api.md). */
interface ApiLocation {
  name: string;
  page_url: string;
  address: { postcode: string; commune: string; country: string };
  coordinates: { latitude: number; longitude: number };
}

const baseUrl = inject('baseUrl');

describe.each(Object.entries(PAGES))('%s page', (kind, page) => {
  it('is complete French HTML within budget, with no script and no third party', async () => {
    const fetched = await fetchPage(baseUrl, page.path);
    expect(fetched.status).toBe(kind === 'notFound' ? 404 : 200);
    expect(fetched.headers.get('content-type')).toContain('text/html');
    expect(fetched.html).toMatch(/^<!DOCTYPE html><html lang="fr">/i);
    expect(fetched.html).toMatch(/<title>[^<]{10,}<\/title>/);
    expect(fetched.html).toMatch(/<meta name="description" content="[^"]{20,}">/);
    expect(fetched.html).toContain(page.heading);
    const allowed: readonly string[] = 'scripts' in page ? page.scripts : [];
    expect(executableScripts(fetched.html).map((tag) => /src="([^"]+)"/.exec(tag)?.[1] ?? 'inline')).toEqual(allowed);
    for (const src of allowed) {
      const script = await (await fetch(`${baseUrl}${src}`)).arrayBuffer();
      expect(script.byteLength, `${src} weighs ${script.byteLength} B`).toBeLessThanOrEqual(SCRIPT_BUDGET_BYTES);
    }
    for (const url of subresources(fetched.html, fetched.stylesheets)) {
      expect(url, 'same-origin relative URL').toMatch(/^\/(?!\/)/);
    }
    expect(fetched.stylesheets.join('\n')).not.toMatch(/@font-face|@import/);
    // No images at all for now: the first one will have to earn its bytes here.
    expect(fetched.html).not.toMatch(/<img\b|<picture\b|<svg\b/i);
    const weight = compressedWeight(fetched);
    expect(weight, `${page.path} weighs ${weight} B compressed`).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
    expect(fetched.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});

describe('office page', () => {
  it('carries a canonical URL and JSON-LD that agree with the API', async () => {
    const { html, headers } = await fetchPage(baseUrl, PAGES.office.path);
    expect(html).toContain(`<link rel="canonical" href="${baseUrl}${office.path}">`);
    expect(headers.get('cache-control')).toMatch(/max-age=25/);
    const ld = JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/s.exec(html)![1]);
    const place = ld.find((x: { '@type': string }) => x['@type'] === 'PostOffice');
    const api = (await (await fetch(`${baseUrl}/api/v1/locations/${office.id}`)).json()) as ApiLocation;
    expect(place).toMatchObject({
      name: api.name,
      url: `${baseUrl}${api.page_url}`,
      address: { postalCode: api.address.postcode, addressLocality: api.address.commune, addressCountry: 'FR' },
      geo: { latitude: api.coordinates.latitude, longitude: api.coordinates.longitude },
    });
    expect(ld.find((x: { '@type': string }) => x['@type'] === 'BreadcrumbList').itemListElement).toHaveLength(4);
    expect(html).toContain(`href="geo:${office.latitude.toFixed(6)},${office.longitude.toFixed(6)}"`);
    expect(html).toContain('https://www.openstreetmap.org/?mlat=');
  });

  it('shows today’s status, the week and Google-ready opening hours', async () => {
    const { html } = await fetchPage(baseUrl, PAGES.office.path);
    expect(html).toMatch(/<p class="status">(Ouvert|Ferme bientôt|Fermé)[^<]*<\/p>/);
    expect(html).toMatch(/<th scope="row">lundi<\/th>/);
    const ld = JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/s.exec(html)![1]);
    const place = ld.find((x: { '@type': string }) => x['@type'] === 'PostOffice');
    expect(place.openingHoursSpecification.length).toBeGreaterThan(0);
    expect(JSON.stringify(place)).not.toContain('24:00');
  });

  it.each(Object.entries(abroad))('labels a location in %s with its own country, not FR', async (_where, place) => {
    const { status, html } = await fetchPage(baseUrl, place.path);
    expect(status).toBe(200);
    const ld = JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/s.exec(html)![1]);
    expect(ld.find((x: { '@type': string }) => x['@type'] === 'PostOffice').address.addressCountry).toBe(place.country);
    const api = (await (await fetch(`${baseUrl}/api/v1/locations/${place.id}`)).json()) as ApiLocation;
    expect(api.address.country).toBe(place.country);
    expect(api.page_url).toBe(place.path);
  });

  it('links a partner point to its parent office', async () => {
    const { html } = await fetchPage(baseUrl, PAGES.partner.path);
    expect(html).toContain(`href="${parentOfPartner.path}"`);
    expect(html).toMatch(/"@type":"LocalBusiness"/);
  });

  it('says when a location has closed and keeps it out of the index', async () => {
    const { html } = await fetchPage(baseUrl, PAGES.closed.path);
    expect(html).toContain('Ce point de contact a fermé');
    expect(html).toContain('<meta name="robots" content="noindex">');
  });

  it('redirects an old slug permanently to the current one', async () => {
    const response = await fetch(`${baseUrl}/bureaux/ancien-nom-${office.id.toLowerCase()}`, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(new URL(response.headers.get('location')!, baseUrl).pathname).toBe(office.path);
  });

  it('answers a conditional GET with 304', async () => {
    const first = await fetch(`${baseUrl}${PAGES.office.path}`);
    await first.text();
    const etag = first.headers.get('etag')!;
    expect(etag).toBeTruthy();
    const again = await fetch(`${baseUrl}${PAGES.office.path}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });
});

describe('search page', () => {
  it('lists the nearest locations with distance and status, without JavaScript', async () => {
    const { html } = await fetchPage(baseUrl, PAGES.search.path);
    const items = [...html.matchAll(/<li><a href="(\/bureaux\/[^"]+)">[^<]+<\/a> <span class="meta">à ([\d,]+ k?m)<\/span>/g)];
    expect(items.length).toBeGreaterThan(5);
    expect(html).toMatch(/(Ouvert|Fermé|Ferme bientôt)/);
    const api = (await (await fetch(`${baseUrl}/api/v1/locations/search?q=${encodeURIComponent(bigCommune.name)}&radius=10000&limit=20`)).json()) as { results: Array<{ page_url: string }> };
    expect(items.map((m) => m[1])).toEqual(api.results.map((r) => r.page_url));
  });

  it('explains an unknown place instead of failing', async () => {
    const { status, html } = await fetchPage(baseUrl, '/recherche?q=zzzyyyxxx');
    expect(status).toBe(200);
    expect(html).toContain('Aucun lieu ne correspond à « zzzyyyxxx »');
  });
});

describe('the stylesheet', () => {
  it('is cached for a year and carries the protective headers', async () => {
    const { html } = await fetchPage(baseUrl, '/');
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(html)![1];
    const css = await fetch(`${baseUrl}${href}`);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect(css.headers.get('cache-control')).toContain('immutable');
    expect(css.headers.get('x-content-type-options')).toBe('nosniff');
    expect(css.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});

/** Follows `rel="next"` from `path`: every page's status and HTML. */
async function everyPage(path: string) {
  const pages: Array<{ status: number; html: string }> = [];
  for (let next: string | undefined = path; next; ) {
    const page = await fetchPage(baseUrl, next);
    pages.push(page);
    next = /<a href="([^"]+)" rel="next"/.exec(page.html)?.[1]?.replace(/&amp;/g, '&');
    expect(pages.length).toBeLessThan(50);
  }
  return pages;
}

describe('département pages', () => {
  it('list every commune once across pages linked without JavaScript, each page canonical to itself', async () => {
    const pages = await everyPage('/departements/59');
    expect(pages.length).toBeGreaterThan(1);
    const communes: string[] = [];
    pages.forEach(({ status, html }, i) => {
      expect(status).toBe(200);
      const self = i === 0 ? '/departements/59' : `/departements/59?page=${i + 1}`;
      expect(html).toContain(`<link rel="canonical" href="${baseUrl}${self}">`);
      communes.push(...[...html.matchAll(/<li><a href="(\/communes\/[^"]+)"/g)].map((m) => m[1]));
    });
    expect(communes).toHaveLength(largestDepartment.communes);
    expect(new Set(communes).size).toBe(communes.length);
    expect((await fetch(`${baseUrl}/departements/59?page=${pages.length + 1}`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/departements/59?page=0`)).status).toBe(404);
    const moved = await fetch(`${baseUrl}/departements/2A?page=2`, { redirect: 'manual' });
    expect(moved.status).toBe(301);
    expect(moved.headers.get('location')).toMatch(/\/departements\/2a\?page=2$/);
  });
});

describe('commune pages', () => {
  it('list every active location of the commune across pages', async () => {
    const links = new Set<string>();
    for (let page = 1; ; page++) {
      const { status, html } = await fetchPage(baseUrl, `/communes/${bigCommune.slug}${page > 1 ? `?page=${page}` : ''}`);
      expect(status).toBe(200);
      for (const m of html.matchAll(/<li><a href="(\/bureaux\/[^"]+)"/g)) links.add(m[1]);
      if (!html.includes('rel="next"')) break;
    }
    expect(links.size).toBe(bigCommune.count);
  });

  it('have one name and URL, even where locations give another locality', async () => {
    const { html } = await fetchPage(baseUrl, deleguee.path);
    expect(html).toContain(`<a href="${deleguee.communePath}">Macon</a>`);
    const commune = await fetchPage(baseUrl, deleguee.communePath);
    expect(commune.status).toBe(200);
    expect(commune.html).toContain('La Poste à Macon');
    expect(commune.html).toContain('Sennece les Macon');
  });

  it('redirect a misspelt slug and answer 404 for an unknown commune', async () => {
    const [, insee] = /-([0-9a-z]+)$/.exec(bigCommune.slug)!;
    const moved = await fetch(`${baseUrl}/communes/autre-nom-${insee}`, { redirect: 'manual' });
    expect(moved.status).toBe(301);
    expect((await fetch(`${baseUrl}/communes/nulle-part-00000`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/communes/${bigCommune.slug}?page=abc`)).status).toBe(404);
  });
});

describe('sitemaps through the built Worker', () => {
  it('only list pages that answer 200 without redirect', async () => {
    const index = await (await fetch(`${baseUrl}/sitemap.xml`)).text();
    const files = [...index.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]);
    expect(files.length).toBeGreaterThanOrEqual(3);
    const urls: string[] = [];
    for (const file of files) {
      const xml = await (await fetch(file)).text();
      urls.push(...[...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]));
    }
    expect(urls).not.toContain(`${baseUrl}${closed.path}`);
    const sample = urls.filter((_, i) => i % Math.ceil(urls.length / 40) === 0);
    for (const url of sample) {
      const response = await fetch(url, { redirect: 'manual' });
      await response.arrayBuffer();
      expect(response.status, url).toBe(200);
    }
  });
});
