import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectedCommunePath, expectedOfficePath } from '../expected-paths';
import { ORIGIN as REQUEST_ORIGIN, request } from './http-client';
import { demoSample, load } from './seed';

/** Every URL is on the configured origin (wrangler.toml's local one here), never the request's. */
const ORIGIN = (env as unknown as { SITE_ORIGIN: string }).SITE_ORIGIN;

const sample = demoSample(3000);
const text = async (path: string) => {
  const response = await request(path);
  return { response, body: await response.text() };
};
const entries = (xml: string) =>
  [...xml.matchAll(/<(?:url|sitemap)><loc>([^<]+)<\/loc>(?:<lastmod>([^<]+)<\/lastmod>)?/g)].map((m) => ({ loc: m[1], lastmod: m[2] }));
const fileOf = (department: string) => `${ORIGIN}/sitemaps/departement-${department.toLowerCase()}.xml`;

async function everyUrl() {
  const index = entries((await text('/sitemap.xml')).body);
  const urls: Array<{ loc: string; lastmod?: string }> = [];
  for (const file of index) urls.push(...entries((await text(new URL(file.loc).pathname)).body));
  return { index, urls };
}

describe('sitemaps', () => {
  const touched = sample[5];
  const closed = sample.find((l) => l.department !== touched.department && l.type === 'parcel_locker')!;

  beforeAll(async () => {
    await load(sample, 'demo', '2026-11-01T08:00:00Z');
    const changed = sample.map((l) => (l === touched ? { ...l, addressLine: '1 place Neuve', sourceHash: 'changed' } : l));
    expect((await load(changed, 'demo', '2026-11-20T09:30:00Z')).updates).toHaveLength(1);
    expect((await load(changed.filter((l) => l !== closed), 'demo', '2026-11-21T07:00:00Z')).closes).toEqual([closed.id]);
  });

  it('list every active office and commune page exactly once, and no closed one', async () => {
    const { urls } = await everyUrl();
    const locs = urls.map((u) => u.loc);
    expect(new Set(locs).size).toBe(locs.length);
    const offices = locs.filter((l) => l.includes('/bureaux/')).sort();
    expect(offices).toEqual(sample.filter((l) => l !== closed).map((l) => `${ORIGIN}${expectedOfficePath(l)}`).sort());
    const communes = locs.filter((l) => l.includes('/communes/'));
    const expected = new Set(sample.filter((l) => l !== closed).map((l) => `${ORIGIN}${expectedCommunePath({ name: l.commune, inseeCode: l.inseeCode })}`));
    expect(new Set(communes)).toEqual(expected);
  });

  it('give each file and URL the date of its own latest change, closings included', async () => {
    const { index, urls } = await everyUrl();
    const lastmod = (loc: string) => index.find((f) => f.loc === loc)?.lastmod;
    expect(lastmod(fileOf(touched.department))).toBe('2026-11-20T09:30:00Z');
    expect(lastmod(fileOf(closed.department))).toBe('2026-11-21T07:00:00Z');
    const untouched = sample.find((l) => l.department !== touched.department && l.department !== closed.department)!;
    expect(lastmod(fileOf(untouched.department))).toBe('2026-11-01T08:00:00Z');
    expect(urls.find((u) => u.loc === `${ORIGIN}${expectedOfficePath(touched)}`)?.lastmod).toBe('2026-11-20T09:30:00Z');
    expect(urls.find((u) => u.loc === `${ORIGIN}/departements/${closed.department.toLowerCase()}`)?.lastmod).toBe('2026-11-21T07:00:00Z');
  });

  it('answer 404 for unknown files', async () => {
    expect((await text('/sitemaps/departement-00.xml')).response.status).toBe(404);
    expect((await text('/sitemaps/bureaux-1.xml')).response.status).toBe(404);
  });

  it('are announced by robots.txt, which keeps crawlers out of the API', async () => {
    const { body } = await text('/robots.txt');
    expect(body).toContain(`Sitemap: ${ORIGIN}/sitemap.xml`);
    expect(body).toContain('Disallow: /api/');
  });

  it('name the configured origin whatever Host the request names', async () => {
    expect(ORIGIN).toMatch(/^https?:\/\/[^/]+$/);
    expect(ORIGIN).not.toBe(REQUEST_ORIGIN);
    for (const host of ['https://evil.example', REQUEST_ORIGIN]) {
      const index = await text(`${host}/sitemap.xml`);
      const files = entries(index.body);
      expect(files.length).toBeGreaterThan(1);
      for (const file of files) expect(file.loc.startsWith(`${ORIGIN}/sitemaps/`), file.loc).toBe(true);
      const department = await text(`${host}${new URL(files[1].loc).pathname}`);
      const urls = entries(department.body);
      expect(urls.length).toBeGreaterThan(0);
      for (const url of urls) expect(url.loc.startsWith(`${ORIGIN}/`), url.loc).toBe(true);
      expect(entries((await text(`${host}/sitemaps/accueil.xml`)).body).map((e) => e.loc)).toEqual([`${ORIGIN}/`, `${ORIGIN}/departements`, `${ORIGIN}/services`]);
      const robots = (await text(`${host}/robots.txt`)).body;
      expect(robots).toContain(`Sitemap: ${ORIGIN}/sitemap.xml`);
      expect(robots).not.toContain('evil.example');
      expect(index.body + department.body).not.toContain('evil.example');
    }
  });
});
