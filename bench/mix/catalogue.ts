/**
 * What the bench asks for, read from the site itself: every active location
 * (the API's paging, `/api/v1/locations?limit=200`), the office pages the
 * sitemaps list (`/sitemap.xml` → `/sitemaps/departement-XX.xml`), the
 * stylesheet the home page links, and the OpenAPI paths the mix relies on.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Pool } from 'undici';
import { jsonOf, send } from './client';

export interface Office {
  id: string;
  path: string;
  latitude: number;
  longitude: number;
  postcode: string;
  commune: string;
  department: string;
  timeZone: string;
  type: string;
}

export interface Catalogue {
  offices: Office[];
  /** `/sitemap.xml` and every file it lists, as paths. */
  sitemaps: string[];
  /** Office page paths the sitemaps list. */
  sitemapOffices: number;
  /** Where the office URLs came from: the sitemaps, or the API when the sitemaps miss most of them. */
  officeSource: string;
  /** The stylesheet under /_astro/ that `/` links (a file of dist/client). */
  staticPath: string;
}

const ROOT = resolve(import.meta.dirname, '../..');

/** The API paths and parameters the mix calls, as the OpenAPI names them: a renamed route fails the bench at once. */
const REQUIRED = {
  '/api/v1/locations': ['get'],
  '/api/v1/locations/search': ['get'],
  '/api/v1/locations/{id}/hours': ['get'],
  '/api/v1/locations/{id}/status': ['get'],
  '/api/v1/locations/{id}/hours/weekly': ['put'],
  '/api/v1/locations/{id}/hours/exceptions': ['post'],
  '/api/v1/locations/{id}/hours/exceptions/{exceptionId}': ['delete'],
} as const;
const SEARCH_PARAMS = ['near', 'q', 'services', 'type', 'open_now', 'radius', 'limit'];

async function getText(pool: Pool, path: string): Promise<string> {
  const answer = await send(pool, 'setup', { path, keepBody: true });
  if (answer.status !== 200 || answer.text === undefined) throw new Error(`GET ${path} answered ${answer.status || answer.sample.outcome}`);
  return answer.text;
}

async function checkOpenApi(pool: Pool): Promise<void> {
  const spec = JSON.parse(await getText(pool, '/api/openapi.json')) as { paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
  for (const [path, methods] of Object.entries(REQUIRED)) {
    for (const method of methods) {
      if (!spec.paths[path]?.[method]) throw new Error(`/api/openapi.json has no ${method.toUpperCase()} ${path}: the mix needs updating`);
    }
  }
  const params = (spec.paths['/api/v1/locations/search'].get.parameters ?? []).map((p) => p.name);
  const missing = SEARCH_PARAMS.filter((p) => !params.includes(p));
  if (missing.length) throw new Error(`/api/v1/locations/search no longer takes ${missing.join(', ')}`);
}

async function activeLocations(pool: Pool, log: (line: string) => void): Promise<Office[]> {
  const offices: Office[] = [];
  let cursor: string | null = null;
  // Bounded: 30,001 locations are 151 pages of 200.
  for (let page = 0; page < 2000; page++) {
    const path = `/api/v1/locations?status=active&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const answer = await send(pool, 'setup', { path, keepBody: true });
    const body = jsonOf<{ data: any[]; next_cursor: string | null }>(answer);
    if (answer.status !== 200 || !body) throw new Error(`GET ${path} answered ${answer.status || answer.sample.outcome}`);
    for (const l of body.data) {
      offices.push({
        id: l.id, path: l.page_url, latitude: l.coordinates.latitude, longitude: l.coordinates.longitude,
        postcode: l.address.postcode, commune: l.address.commune, department: l.address.department, timeZone: l.time_zone, type: l.type,
      });
    }
    cursor = body.next_cursor;
    if (!cursor) break;
    if (page % 50 === 49) log(`  ${offices.length} locations read`);
  }
  return offices;
}

const pathOf = (loc: string) => {
  try {
    return new URL(loc).pathname;
  } catch {
    return loc;
  }
};

async function sitemaps(pool: Pool): Promise<{ files: string[]; officePaths: Set<string> }> {
  const index = await getText(pool, '/sitemap.xml');
  const files = [...index.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => pathOf(m[1].trim()));
  if (files.length === 0) throw new Error('/sitemap.xml lists no sitemap');
  const officePaths = new Set<string>();
  // Four at a time: the département files are the largest answers of the site.
  for (let i = 0; i < files.length; i += 4) {
    const texts = await Promise.all(files.slice(i, i + 4).map((f) => getText(pool, f)));
    for (const text of texts) {
      for (const m of text.matchAll(/<loc>([^<]+)<\/loc>/g)) {
        const path = pathOf(m[1].trim());
        if (path.startsWith('/bureaux/')) officePaths.add(path);
      }
    }
  }
  return { files: ['/sitemap.xml', ...files], officePaths };
}

export async function readCatalogue(pool: Pool, log: (line: string) => void, dist = join(ROOT, 'dist')): Promise<Catalogue> {
  await checkOpenApi(pool);
  const home = await getText(pool, '/');
  const css = /href="(\/_astro\/[^"]+\.css)"/.exec(home)?.[1];
  if (!css || !existsSync(join(dist, 'client', css))) throw new Error(`the home page links no stylesheet of ${dist}/client/_astro (found ${css ?? 'none'})`);

  log('reading the active locations from /api/v1/locations');
  const all = await activeLocations(pool, log);
  log(`reading the sitemaps (${'/sitemap.xml'} and each file it lists)`);
  const { files, officePaths } = await sitemaps(pool);
  // Office pages are the ones the sitemaps list; the API gives their ids and coordinates.
  let offices = all.filter((o) => officePaths.has(o.path));
  let officeSource = 'sitemaps';
  if (offices.length < all.length / 2) {
    // Sitemaps missing most offices are a finding, not a reason to measure nothing: the API's page_url stands in.
    log(`WARNING: the sitemaps list ${officePaths.size} office pages for ${all.length} active locations; office URLs taken from the API's page_url`);
    offices = all;
    officeSource = `api page_url (sitemaps list only ${officePaths.size})`;
  }
  if (offices.length < 100) throw new Error(`only ${offices.length} active locations: is the demo network loaded?`);
  return { offices, officeSource, sitemaps: files, sitemapOffices: officePaths.size, staticPath: css };
}
