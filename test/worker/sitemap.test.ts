import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { URLS_PER_SITEMAP } from '../../worker/sitemap/xml';
import { locationPath } from '../../worker/locations/present';
import { demoSample, load } from './seed';

const ORIGIN = 'https://guichet.test';
const sample = demoSample(URLS_PER_SITEMAP + 700);
const text = async (path: string) => {
  const response = await SELF.fetch(`${ORIGIN}${path}`);
  return { response, body: await response.text() };
};
const locs = (xml: string) => [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]);
const entries = (xml: string) =>
  [...xml.matchAll(/<(?:url|sitemap)><loc>([^<]+)<\/loc>(?:<lastmod>([^<]+)<\/lastmod>)?/g)].map((m) => ({ loc: m[1], lastmod: m[2] }));

describe('sitemaps', () => {
  beforeAll(async () => {
    await load(sample, 'demo', '2026-11-01T08:00:00Z');
    // A later change to one office must show in its file's lastmod.
    await load([{ ...sample[5], addressLine: '1 place Neuve', sourceHash: 'changed' }], 'demo-touch', '2026-11-20T09:30:00Z');
  });

  it('lists every active office exactly once, in files under the size cap', async () => {
    const index = await text('/sitemap.xml');
    expect(index.response.headers.get('content-type')).toContain('application/xml');
    const files = entries(index.body);
    const officeFiles = files.filter((f) => f.loc.includes('/sitemaps/bureaux-'));
    expect(officeFiles.map((f) => f.loc)).toEqual([`${ORIGIN}/sitemaps/bureaux-1.xml`, `${ORIGIN}/sitemaps/bureaux-2.xml`]);

    const listed: string[] = [];
    for (const file of officeFiles) {
      const { body } = await text(new URL(file.loc).pathname);
      const urls = locs(body);
      expect(urls.length).toBeLessThanOrEqual(URLS_PER_SITEMAP);
      listed.push(...urls);
    }
    expect(listed.sort()).toEqual(sample.map((l) => `${ORIGIN}${locationPath(l)}`).sort());
    expect(officeFiles[0].lastmod).toBe('2026-11-20T09:30:00Z');
    expect(officeFiles[1].lastmod).toBe('2026-11-01T08:00:00Z');
  });

  it('lists communes and départements with their latest change', async () => {
    const files = entries((await text('/sitemap.xml')).body);
    const communeFile = files.find((f) => f.loc.endsWith('/sitemaps/communes-1.xml'))!;
    expect(communeFile.lastmod).toBe('2026-11-20T09:30:00Z');
    const communes = locs((await text('/sitemaps/communes-1.xml')).body);
    expect(communes.length).toBe(new Set(sample.map((l) => l.inseeCode)).size);
    const departments = entries((await text('/sitemaps/departements.xml')).body);
    const touched = departments.find((d) => d.loc === `${ORIGIN}/departements/${sample[5].department.toLowerCase()}`);
    expect(touched?.lastmod).toBe('2026-11-20T09:30:00Z');
  });

  it('answers 404 for files past the end', async () => {
    expect((await text('/sitemaps/bureaux-3.xml')).response.status).toBe(404);
    expect((await text('/sitemaps/bureaux-0.xml')).response.status).toBe(404);
  });

  it('points robots to the sitemap and keeps crawlers out of the API', async () => {
    const { body } = await text('/robots.txt');
    expect(body).toContain(`Sitemap: ${ORIGIN}/sitemap.xml`);
    expect(body).toContain('Disallow: /api/');
  });
});
