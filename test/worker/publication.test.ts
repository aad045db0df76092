import { env } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { addDays, localParts } from '../../worker/hours/zoned-time';
import { requeueFailed, runPublication } from '../../worker/publication/job';
import { publicationConfig, type PublicationConfig } from '../../worker/publication/targets';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

const sample = demoSample(120);
/** This file's channel on the shared receiver (test/worker/receiver.ts). */
const receiver = `${env.RECEIVER_URL}/main`;
const ORIGIN = 'https://guichet.example.fr';
const config = (dryRun = false, overrides: Partial<PublicationConfig> = {}): PublicationConfig => ({
  indexNowEndpoint: `${receiver}/indexnow`,
  indexNowKey: 'cafe0123456789ab',
  googleWebhookUrl: `${receiver}/google`,
  dryRun,
  siteOrigin: ORIGIN,
  ...overrides,
});

type Delivery = { path: string; body: any };
const received = async () => (await (await fetch(`${receiver}/__received`)).json()) as Delivery[];
const arrivals = async () => (await (await fetch(`${receiver}/__arrivals`)).json()) as string[];
const tell = (what: string) => fetch(`${receiver}/${what}`, { method: 'POST' }).then((r) => r.arrayBuffer());
/** Google payloads in the order they were received, whether the webhook got them one by one or in batches. */
const googlePayloads = (deliveries: Delivery[]) =>
  deliveries.filter((d) => d.path === '/google').flatMap((d) => (Array.isArray(d.body?.locations) ? d.body.locations : [d.body]));
const indexNowUrls = (deliveries: Delivery[]) => deliveries.filter((d) => d.path === '/indexnow').flatMap((d) => d.body.urlList as string[]);
/** What a page URL must look like, from the documented shape `/bureaux/{slug}-{id}`, not from the product's own helper. */
const pageUrlOf = (id: string) => new RegExp(`^${ORIGIN.replace(/\./g, '\\.')}/bureaux/[a-z0-9-]+-${id.toLowerCase()}$`);

const today = () => localParts(new Date(), 'Europe/Paris').date;
/** Special hours of a Google payload that close the location on `date`. */
const closesOn = (payload: any, date: string) =>
  (payload.specialHours?.specialHourPeriods ?? []).some((p: any) => p.closed && `${p.startDate.year}-${String(p.startDate.month).padStart(2, '0')}-${String(p.startDate.day).padStart(2, '0')}` === date);

/** Closes the locations for one day. */
async function closeDay(ids: string[], daysAhead = 3) {
  const editor = await token('hours', 'network');
  const date = addDays(today(), daysAhead);
  const response = await request('/api/v1/hours/bulk-exceptions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(editor) },
    body: JSON.stringify({ location_ids: ids, exception: { start_date: date, end_date: date, closed: true, reason: 'works' } }),
  });
  expect(response.status).toBe(201);
  return date;
}

async function listing() {
  const staff = await token('hours', 'network');
  const response = await request('/api/v1/hours/publication', { headers: bearer(staff) });
  expect(response.status).toBe(200);
  return (await response.json()) as any;
}

const later = (t: Date, ms: number) => new Date(t.getTime() + ms);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('publication of hours changes', () => {
  beforeEach(async () => {
    await tell('__reset');
    await load(sample);
    // Every test starts from an empty journal, its cursors at the end of the changes feed
    // (the tests of this file share one database).
    await env.DB.batch([
      env.DB.prepare('delete from publication_pushes'),
      env.DB.prepare('delete from publication_cursors'),
      env.DB.prepare(
        `insert into publication_cursors (target, last_seq, updated_at)
         select t.value, coalesce((select max(seq) from hours_audit), 0), '2026-01-01T00:00:00Z' from json_each('["indexnow","google"]') t`,
      ),
    ]);
  });

  it('pushes changed pages to IndexNow and Google payloads to the webhook, once', async () => {
    const changed = sample.slice(0, 3);
    const date = await closeDay(changed.map((l) => l.id));
    const report = await runPublication(db(), config());
    // Four pushes (one IndexNow list, three Google payloads) in two requests: the webhook takes batches.
    expect(report).toMatchObject({ recorded: { indexnow: 1, google: 3 }, sent: 4, requests: 2, failed: 0, errors: [] });

    const deliveries = await received();
    const indexNow = deliveries.filter((d) => d.path === '/indexnow');
    expect(indexNow).toHaveLength(1);
    expect(indexNow[0].body).toMatchObject({ host: 'guichet.example.fr', key: 'cafe0123456789ab', keyLocation: 'https://guichet.example.fr/cafe0123456789ab.txt' });
    expect(indexNow[0].body.urlList).toHaveLength(3);
    for (const l of changed) expect(indexNow[0].body.urlList.filter((u: string) => pageUrlOf(l.id).test(u))).toHaveLength(1);
    const google = googlePayloads(deliveries);
    expect(google.map((p) => p.location_id).sort()).toEqual(changed.map((l) => l.id).sort());
    for (const payload of google) {
      expect(payload.page_url).toMatch(pageUrlOf(payload.location_id));
      expect(closesOn(payload, date)).toBe(true);
    }

    // Nothing new: the next run sends nothing again.
    expect(await runPublication(db(), config())).toMatchObject({ recorded: { indexnow: 0, google: 0 }, sent: 0 });
    expect(await received()).toEqual(deliveries);
  });

  it('retries 5xx, 408 and 429 with backoff and never loses them', async () => {
    await closeDay([sample[10].id]);
    await tell('__fail?n=1&status=503&path=/indexnow');
    await tell('__fail?n=1&status=429&path=/google');
    const t0 = new Date();
    expect(await runPublication(db(), config(), t0)).toMatchObject({ sent: 0, failed: 2 });
    // Not due yet: nothing is sent before the backoff delay.
    expect(await runPublication(db(), config(), later(t0, 30_000))).toMatchObject({ sent: 0, failed: 0 });
    await tell('__fail?n=1&status=408&path=/google');
    expect(await runPublication(db(), config(), later(t0, 61_000))).toMatchObject({ sent: 1, failed: 1 });
    // Second failure: two minutes.
    expect(await runPublication(db(), config(), later(t0, 61_000 + 90_000))).toMatchObject({ sent: 0, failed: 0 });
    expect(await runPublication(db(), config(), later(t0, 61_000 + 121_000))).toMatchObject({ sent: 1, failed: 0 });
    const deliveries = await received();
    expect(deliveries.map((d) => d.path).sort()).toEqual(['/google', '/indexnow']);
    expect(googlePayloads(deliveries).map((p) => p.location_id)).toEqual([sample[10].id]);
  });

  it('sets a permanent 4xx aside as failed, lists it and never retries it', async () => {
    await closeDay([sample[11].id]);
    await tell('__fail?n=1&status=400&path=/google');
    await tell('__fail?n=1&status=403&path=/indexnow');
    const t0 = new Date();
    expect(await runPublication(db(), config(), t0)).toMatchObject({ sent: 0, failed: 2 });
    const listed = await listing();
    expect(listed.failed.map((p: any) => [p.target, p.status, p.last_error]).sort()).toEqual([
      ['google', 'failed', 'HTTP 400'],
      ['indexnow', 'failed', 'HTTP 403'],
    ]);
    expect(listed.failed.find((p: any) => p.target === 'google').location_ids).toEqual([sample[11].id]);
    expect(listed.counts).toMatchObject({ failed: 2 });
    // Never again, however long we wait.
    for (const ms of [61_000, 3600_000, 7 * 86_400_000]) {
      expect(await runPublication(db(), config(), later(t0, ms))).toMatchObject({ sent: 0, failed: 0 });
    }
    expect(await arrivals()).toHaveLength(2);
    expect(await received()).toEqual([]);

    // Once the cause is fixed, `npm run publication:retry` puts them back: the next run sends them, once.
    const fixed = later(t0, 8 * 86_400_000);
    expect(await requeueFailed(db(), fixed, 'google')).toBe(1);
    expect(await runPublication(db(), config(), fixed)).toMatchObject({ sent: 1, failed: 0 });
    expect(await requeueFailed(db(), fixed)).toBe(1);
    expect(await runPublication(db(), config(), fixed)).toMatchObject({ sent: 1, failed: 0 });
    expect(googlePayloads(await received()).map((p) => p.location_id)).toEqual([sample[11].id]);
    expect(indexNowUrls(await received())).toEqual([expect.stringMatching(pageUrlOf(sample[11].id))]);
    expect((await listing()).counts).toMatchObject({ failed: 0 });
  });

  it('retries a push that timed out', async () => {
    await closeDay([sample[12].id]);
    await tell('__hang?n=2&ms=1500');
    const t0 = new Date();
    const first = await runPublication(db(), config(), t0, { sendTimeoutMs: 200 });
    expect(first).toMatchObject({ sent: 0, failed: 2 });
    await sleep(1500); // the receiver answers the abandoned deliveries, which record nothing
    expect(await received()).toEqual([]);
    expect(await runPublication(db(), config(), later(t0, 61_000), { sendTimeoutMs: 200 })).toMatchObject({ sent: 2, failed: 0 });
    const deliveries = await received();
    expect(deliveries.map((d) => d.path).sort()).toEqual(['/google', '/indexnow']);
    expect(await arrivals()).toHaveLength(4);
  });

  it('reads the IndexNow key when the push is sent, not when it was recorded', async () => {
    await closeDay([sample[13].id]);
    await tell('__fail?n=1&status=503&path=/indexnow');
    const t0 = new Date();
    await runPublication(db(), config(false, { indexNowKey: 'oldkey0123456789' }), t0);
    await runPublication(db(), config(false, { indexNowKey: 'newkey0123456789' }), later(t0, 61_000));
    const indexNow = (await received()).filter((d) => d.path === '/indexnow');
    expect(indexNow).toHaveLength(1);
    expect(indexNow[0].body).toMatchObject({ key: 'newkey0123456789', keyLocation: 'https://guichet.example.fr/newkey0123456789.txt' });
    expect(indexNow[0].body.urlList[0]).toMatch(pageUrlOf(sample[13].id));
  });

  it('never sends an older Google payload after a newer one', async () => {
    const target = sample[40];
    await closeDay([target.id], 3);
    await tell('__fail?n=2');
    const t0 = new Date();
    await runPublication(db(), config(), t0);
    const newer = await closeDay([target.id], 5);
    const report = await runPublication(db(), config(), later(t0, 61_000));
    expect(report.recorded).toMatchObject({ google: 1 });
    const google = googlePayloads(await received());
    expect(google).toHaveLength(1);
    expect(closesOn(google[0], newer)).toBe(true);
    expect(await runPublication(db(), config(), later(t0, 3600_000))).toMatchObject({ sent: 0, failed: 0 });
  });

  it('holds a newer Google payload back while an older one is in flight, and loses neither', async () => {
    const target = sample[50];
    const first = await closeDay([target.id], 3);
    // The webhook takes 1.5 s to answer the first payload, and applies it then.
    await tell('__hang?n=1&ms=1500&path=/google');
    const t0 = new Date();
    const slow = runPublication(db(), config(), t0);
    while (!(await arrivals()).includes('/google')) await sleep(20);
    const second = await closeDay([target.id], 5);
    const overlapping = await runPublication(db(), config(), later(t0, 1_000));
    expect(overlapping.recorded).toMatchObject({ google: 1 });
    expect((await slow).failed).toBe(0);
    await runPublication(db(), config(), later(t0, 2_000));

    const google = googlePayloads(await received()).filter((p) => p.location_id === target.id);
    expect(google).toHaveLength(2);
    // Applied in the order they were made: the webhook ends with the newer hours.
    expect(closesOn(google[0], first) && !closesOn(google[0], second)).toBe(true);
    expect(closesOn(google[1], second)).toBe(true);
    expect(await runPublication(db(), config(), later(t0, 3600_000))).toMatchObject({ sent: 0, failed: 0 });
  });

  it('sends every push exactly once when two runs overlap, never a superseded payload', async () => {
    const ids = sample.slice(60, 100).map((l) => l.id);
    await closeDay(ids, 3);
    // The webhook is down: the first payloads wait for their retry.
    await tell('__fail?n=1000&path=/google');
    const t0 = new Date();
    await runPublication(db(), config(), t0);
    await tell('__reset');
    const newer = await closeDay(ids, 5);

    // Two runs at once (a slow run still going when the next cron starts), both past the backoff.
    const both = await Promise.all([runPublication(db(), config(), later(t0, 61_000)), runPublication(db(), config(), later(t0, 61_000))]);
    // The changes were recorded once, by one of them.
    expect(both.map((r) => r.recorded.google ?? 0).reduce((a, b) => a + b)).toBe(ids.length);
    expect(both.flatMap((r) => r.errors)).toEqual([]);
    await runPublication(db(), config(), later(t0, 62_000));

    const deliveries = await received();
    const google = googlePayloads(deliveries);
    expect(google.map((p) => p.location_id).sort()).toEqual([...ids].sort());
    for (const payload of google) expect(closesOn(payload, newer)).toBe(true);
    const urls = indexNowUrls(deliveries);
    expect(urls).toHaveLength(ids.length);
    expect(new Set(urls).size).toBe(ids.length);
  });

  it('in dry-run mode records what would be sent, sends nothing, then sends all of it once dry run is off', async () => {
    const [a, b, c] = [sample[20], sample[21], sample[22]];
    await closeDay([a.id, b.id]);
    const report = await runPublication(db(), config(true));
    expect(report).toMatchObject({ recorded: { indexnow: 1, google: 2 }, sent: 0 });
    expect(await arrivals()).toEqual([]);

    const clerk = await token('exceptions', 'network');
    expect((await request('/api/v1/hours/publication', { headers: bearer(clerk) })).status).toBe(403);
    const listed = await listing();
    expect(listed.dry_run).toBe(true); // the route reads the Worker's configuration (wrangler.toml), not the test's
    const waiting = listed.pushes.filter((p: any) => p.status === 'pending');
    expect(waiting.map((p: any) => p.target).sort()).toEqual(['google', 'google', 'indexnow']);
    expect(waiting.find((p: any) => p.target === 'indexnow').payload.urlList).toHaveLength(2);

    // A push recorded by an earlier version, under its `dry_run` status with the body already built.
    await env.DB.prepare(
      `insert into publication_pushes (target, location_ids, payload, status, attempts, next_attempt_at, created_at)
       values ('indexnow', ?, ?, 'dry_run', 0, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
    ).bind(JSON.stringify([c.id]), JSON.stringify({ host: 'guichet.example.fr', key: 'stale', keyLocation: `${ORIGIN}/stale.txt`, urlList: [`${ORIGIN}/bureaux/x-${c.id.toLowerCase()}`] })).run();

    // Dry run off: everything recorded while it was on goes out, once.
    const live = await runPublication(db(), config());
    expect(live).toMatchObject({ recorded: { indexnow: 0, google: 0 }, failed: 0 });
    const deliveries = await received();
    expect(googlePayloads(deliveries).map((p) => p.location_id).sort()).toEqual([a.id, b.id].sort());
    const urls = indexNowUrls(deliveries);
    expect(urls).toHaveLength(3);
    for (const id of [a.id, b.id, c.id]) expect(urls.filter((u) => pageUrlOf(id).test(u))).toHaveLength(1);
    for (const d of deliveries.filter((d) => d.path === '/indexnow')) expect(d.body.key).toBe('cafe0123456789ab');
    expect(await runPublication(db(), config())).toMatchObject({ sent: 0, failed: 0 });
    expect(await received()).toHaveLength(deliveries.length);
  });

  it('takes page URLs from the configured origin only, never from a request or a fallback', async () => {
    expect(publicationConfig({ SITE_ORIGIN: 'https://guichet.example.fr/' }).siteOrigin).toBe('https://guichet.example.fr');
    expect(publicationConfig({}).siteOrigin).toBe('');
    expect(publicationConfig({ SITE_ORIGIN: 'guichet.example.fr' }).siteOrigin).toBe('');
    expect(publicationConfig({ SITE_ORIGIN: 'https://guichet.example.fr/bureaux' }).siteOrigin).toBe('');

    // Without an origin nothing is recorded (the changes wait for it) and nothing is sent.
    await closeDay([sample[30].id]);
    const report = await runPublication(db(), config(false, { siteOrigin: '' }));
    expect(report.recorded).toEqual({});
    expect(report.errors.join(' ')).toMatch(/SITE_ORIGIN/);
    expect(await arrivals()).toEqual([]);
    await runPublication(db(), config());
    expect(indexNowUrls(await received())[0]).toMatch(pageUrlOf(sample[30].id));

    // The staff listing previews IndexNow bodies with the configured origin, whatever the Host.
    await closeDay([sample[31].id]);
    await runPublication(db(), config(true));
    const staff = await token('hours', 'network');
    const response = await request('https://evil.example/api/v1/hours/publication', { headers: { ...bearer(staff), host: 'evil.example' } });
    expect(response.status).toBe(200);
    expect(await response.text()).not.toContain('evil.example');
  });

  it('documents the publication journal in the OpenAPI document', async () => {
    const doc = (await (await request('/api/openapi.json')).json()) as any;
    const route = doc.paths['/api/v1/hours/publication']?.get;
    expect(route).toBeDefined();
    expect(route.security).toEqual([{ bearer: [] }]);
    expect(Object.keys(route.responses).sort()).toEqual(['200', '401', '403']);
    // The IndexNow key file is a proof of ownership for search engines, not part of the API.
    expect(Object.keys(doc.paths).filter((path) => path.includes('.txt') || path.includes('{file}'))).toEqual([]);
  });

  it('moves the sitemap lastmod of the changed location', async () => {
    const target = sample[32];
    await closeDay([target.id]);
    const file = await (await request(`/sitemaps/departement-${target.department.toLowerCase()}.xml`)).text();
    const entry = new RegExp(`/bureaux/[a-z0-9-]+-${target.id.toLowerCase()}</loc><lastmod>([^<]+)<`).exec(file)![1];
    expect(Date.now() - Date.parse(entry)).toBeLessThan(60_000);
  });
});
