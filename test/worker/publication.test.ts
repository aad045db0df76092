import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { addDays, localParts } from '../../worker/hours/zoned-time';
import { runPublication } from '../../worker/publication/job';
import type { PublicationConfig } from '../../worker/publication/targets';
import { locationPath } from '../../worker/locations/present';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

const sample = demoSample(120);
const receiver = env.RECEIVER_URL;
const config = (dryRun = false): PublicationConfig => ({
  indexNowEndpoint: `${receiver}/indexnow`,
  indexNowKey: 'cafe0123456789ab',
  googleWebhookUrl: `${receiver}/google`,
  dryRun,
  siteOrigin: 'https://guichet.example.fr',
});
const received = async () => (await (await fetch(`${receiver}/__received`)).json()) as Array<{ path: string; body: any }>;

async function closeSomeDay(ids: string[]) {
  const editor = await token('hours', 'network');
  const date = addDays(localParts(new Date(), 'Europe/Paris').date, 3);
  const response = await request('/api/v1/hours/bulk-exceptions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(editor) },
    body: JSON.stringify({ location_ids: ids, exception: { start_date: date, closed: true, reason: 'works' } }),
  });
  expect(response.status).toBe(201);
}

describe('publication of hours changes', () => {
  beforeEach(async () => {
    await fetch(`${receiver}/__reset`, { method: 'POST' });
    await load(sample);
  });

  it('pushes changed pages to IndexNow and Google payloads to the webhook, once', async () => {
    const changed = sample.slice(0, 3);
    await closeSomeDay(changed.map((l) => l.id));
    const report = await runPublication(db(), config());
    expect(report).toMatchObject({ recorded: { indexnow: 1, google: 3 }, sent: 4, failed: 0 });

    const deliveries = await received();
    const indexNow = deliveries.filter((d) => d.path === '/indexnow');
    expect(indexNow).toHaveLength(1);
    expect(indexNow[0].body).toMatchObject({ host: 'guichet.example.fr', key: 'cafe0123456789ab', keyLocation: 'https://guichet.example.fr/cafe0123456789ab.txt' });
    expect(indexNow[0].body.urlList.sort()).toEqual(changed.map((l) => `https://guichet.example.fr${locationPath(l)}`).sort());
    const google = deliveries.filter((d) => d.path === '/google');
    expect(google.map((d) => d.body.location_id).sort()).toEqual(changed.map((l) => l.id).sort());
    expect(google[0].body.specialHours.specialHourPeriods.some((p: any) => p.closed)).toBe(true);

    // Nothing new: the next run sends nothing again.
    expect(await runPublication(db(), config())).toMatchObject({ recorded: { indexnow: 0, google: 0 }, sent: 0 });
    expect(await received()).toHaveLength(4);
  });

  it('retries failed pushes with backoff and never loses them', async () => {
    await closeSomeDay([sample[10].id]);
    await fetch(`${receiver}/__fail?n=2`, { method: 'POST' });
    const t0 = new Date();
    expect(await runPublication(db(), config(), t0)).toMatchObject({ sent: 0, failed: 2 });
    // Not due yet: nothing is sent before the backoff delay.
    expect(await runPublication(db(), config(), new Date(t0.getTime() + 30_000))).toMatchObject({ sent: 0, failed: 0 });
    expect(await runPublication(db(), config(), new Date(t0.getTime() + 61_000))).toMatchObject({ sent: 2, failed: 0 });
    expect((await received()).map((d) => d.path).sort()).toEqual(['/google', '/indexnow']);
  });

  it('never sends an older Google payload after a newer one', async () => {
    const target = sample[40];
    await closeSomeDay([target.id]);
    await fetch(`${receiver}/__fail?n=2`, { method: 'POST' });
    const t0 = new Date();
    await runPublication(db(), config(), t0);
    await closeSomeDay([target.id]);
    const report = await runPublication(db(), config(), new Date(t0.getTime() + 61_000));
    expect(report.recorded).toMatchObject({ google: 1 });
    const google = (await received()).filter((d) => d.path === '/google');
    expect(google).toHaveLength(1);
    expect(google[0].body.specialHours.specialHourPeriods.filter((p: any) => p.closed).length).toBeGreaterThan(0);
    expect(await runPublication(db(), config(), new Date(t0.getTime() + 3600_000))).toMatchObject({ sent: 0, failed: 0 });
  });

  it('in dry-run mode records what would be sent and sends nothing', async () => {
    await closeSomeDay([sample[20].id]);
    const report = await runPublication(db(), config(true));
    expect(report).toMatchObject({ recorded: { indexnow: 1, google: 1 }, sent: 0 });
    expect(await received()).toEqual([]);
    const clerk = await token('exceptions', 'network');
    expect((await request('/api/v1/hours/publication', { headers: bearer(clerk) })).status).toBe(403);
    const staff = await token('hours', 'network');
    const listed = (await (await request('/api/v1/hours/publication', { headers: bearer(staff) })).json()) as any;
    expect(listed.dry_run).toBe(true);
    expect(listed.pushes.filter((p: any) => p.status === 'dry_run').map((p: any) => p.target).sort()).toEqual(['google', 'indexnow']);
    expect(listed.pushes.find((p: any) => p.target === 'indexnow').payload.urlList).toHaveLength(1);
  });

  it('moves the sitemap lastmod of the changed location', async () => {
    const target = sample[30];
    await closeSomeDay([target.id]);
    const file = await (await request(`/sitemaps/departement-${target.department.toLowerCase()}.xml`)).text();
    const entry = new RegExp(`${locationPath(target)}</loc><lastmod>([^<]+)<`).exec(file)![1];
    expect(Date.now() - Date.parse(entry)).toBeLessThan(60_000);
  });
});
