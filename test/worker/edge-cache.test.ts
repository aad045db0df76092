/**
 * The edge cache (worker/edge) as the deployed Worker runs it: public
 * answers come from the Cache API under versioned keys, a change purges
 * exactly what it touches, the 60-second promise holds, and nothing
 * personal is ever stored. Expectations come from the requests themselves
 * (what was asked, what changed), never from the cache's own code.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { drizzleDatabase } from '../../worker/database';
import { MAX_AGE_MS, POLL_MS, ageEdgeVersions, expireEdgeVersions } from '../../worker/edge/versions';
import { SEARCH_EDGE_TTL } from '../../worker/edge/resources';
import { demoSchedule } from '../../tools/demo/hours';
import { seedSchedules } from '../../worker/hours/store';
import { declareException } from '../../worker/hours/use-cases';
import { bumpNetworkVersion } from '../../worker/locations/network-version';
import { findStaffByToken } from '../../worker/staff/tokens';
import { addDays, localParts } from '../../worker/hours/zoned-time';
import { request } from './http-client';
import { demoSample, load } from './seed';
import { bearer, token } from './staff';

const sample = demoSample(400);
const offices = sample.filter((l) => l.type === 'post_office' && l.timeZone === 'Europe/Paris');
const edited = offices[0];
const untouched = offices.find((l) => l.department !== edited.department)!;
const json = { 'content-type': 'application/json' };

/** `Server-Timing` as a map: `edge` → hit/miss/bypass, `d1-rows-read` → "3"… */
function timing(response: Response): Map<string, string> {
  const entries = (response.headers.get('server-timing') ?? '').split(',').map((part) => part.trim().split(';'));
  return new Map(entries.map(([name, ...params]) => [name, (params.find((p) => p.startsWith('desc=')) ?? '').slice(5)]));
}

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await request(path, { headers });
  const body = await response.text();
  return { response, body, edge: timing(response).get('edge'), rows: Number(timing(response).get('d1-rows-read') ?? NaN) };
}

/** A day ahead on which `id` is open at 10:30, Paris time. */
async function openDay(id: string): Promise<string> {
  const openAt = async (d: string) => ((await (await request(`/api/v1/locations/${id}/status?at=${d}T10:30:00%2B01:00`)).json()) as any).open;
  for (let ahead = 7; ahead < 40; ahead++) {
    const date = addDays(localParts(new Date(), 'Europe/Paris').date, ahead);
    if (await openAt(date)) return date;
  }
  throw new Error(`${id} is never open at 10:30 in the coming weeks`);
}

async function closeDay(id: string, secret: string, date: string) {
  const { response } = await get(`/api/v1/locations/${id}/hours`, bearer(secret));
  const created = await request(`/api/v1/locations/${id}/hours/exceptions`, {
    method: 'POST',
    headers: { ...json, ...bearer(secret), 'if-match': response.headers.get('etag')! },
    body: JSON.stringify({ start_date: date, closed: true, reason: 'works' }),
  });
  expect(created.status).toBe(201);
  await created.arrayBuffer();
}

/**
 * Closes `id` on `date` straight through the use case, as a request served
 * by another isolate would: this isolate's edge layer has not seen it.
 */
async function closeDayElsewhere(id: string, date: string) {
  const db = drizzleDatabase(env.DB);
  const staff = (await findStaffByToken(db, clerk, new Date().toISOString()))!;
  const version = await env.DB.prepare('select version from location_hours where location_id = ?').bind(id).first<number>('version');
  const result = await declareException(db, staff, {
    locationId: id, expectedVersion: version ?? 0, exception: { startDate: date, endDate: null, closed: true, intervals: [], reason: 'works', note: null },
  }, new Date());
  expect(result.ok).toBe(true);
}

const statusAt = (id: string, date: string) => `/api/v1/locations/${id}/status?at=${date}T10:30:00%2B01:00`;

let clerk: string;
beforeAll(async () => {
  await load(sample);
  const now = new Date();
  await seedSchedules(drizzleDatabase(env.DB), sample.map((l) => ({ locationId: l.id, ...demoSchedule(l, localParts(now, l.timeZone).date) })), now.toISOString());
  clerk = await token('exceptions', 'network', null, 'Siège');
});

describe('public answers at the edge', () => {
  it('are computed once, then served from the cache with the same body and no database read', async () => {
    for (const path of [`/api/v1/locations/${untouched.id}`, `/api/v1/locations/${untouched.id}/hours`, '/api/v1/locations?limit=5', '/sitemap.xml']) {
      const first = await get(path);
      expect(first.response.status, path).toBe(200);
      expect(first.edge, path).toBe('miss');
      const second = await get(path);
      expect(second.edge, path).toBe('hit');
      expect(second.body, path).toBe(first.body);
      expect(second.rows, path).toBe(0);
      expect(second.response.headers.get('cache-control'), path).toBe(first.response.headers.get('cache-control'));
      // The edge's own bookkeeping never leaves it.
      expect(second.response.headers.has('guichet-fresh-until')).toBe(false);
      expect(second.response.headers.has('guichet-client-cache')).toBe(false);
    }
  });

  it('answer a conditional GET from the cache with 304', async () => {
    const path = `/api/v1/locations/${untouched.id}/hours`;
    const { response } = await get(path);
    const again = await request(path, { headers: { 'if-none-match': response.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect(timing(again).get('edge')).toBe('hit');
  });

  it('share one entry for the same query in another order', async () => {
    await get('/api/v1/locations?limit=3&type=post_office');
    expect((await get('/api/v1/locations?type=post_office&limit=3')).edge).toBe('hit');
  });
});

describe('a change purges exactly what it touches', () => {
  it('an exception through the API: that office and its département move at once, nothing else', async () => {
    const date = await openDay(edited.id);
    // The list shows every location's updated_at, which the change moves.
    const touched = [statusAt(edited.id, date), `/api/v1/locations/${edited.id}/hours`, `/api/v1/locations/${edited.id}`,
      `/sitemaps/departement-${edited.department.toLowerCase()}.xml`, '/sitemap.xml', '/api/v1/locations?limit=5'];
    const kept = [statusAt(untouched.id, date), `/api/v1/locations/${untouched.id}/hours`, `/sitemaps/departement-${untouched.department.toLowerCase()}.xml`,
      '/api/openapi.json'];
    for (const path of [...touched, ...kept]) expect((await get(path)).response.status, path).toBe(200);
    for (const path of [...touched, ...kept]) expect((await get(path)).edge, path).toBe('hit');

    await closeDay(edited.id, clerk, date);

    const status = await get(statusAt(edited.id, date));
    expect(status.edge).toBe('miss');
    expect(JSON.parse(status.body)).toMatchObject({ open: false, reason: { kind: 'exception' } });
    for (const path of touched.slice(1)) expect((await get(path)).edge, path).toBe('miss');
    for (const path of kept) expect((await get(path)).edge, path).toBe('hit');
  });

  it('a change written by another isolate shows once the versions are read again (every 5 s), not before', async () => {
    const date = await openDay(untouched.id);
    const path = statusAt(untouched.id, date);
    expect(JSON.parse((await get(path)).body).open).toBe(true);
    await closeDayElsewhere(untouched.id, date);
    const stale = await get(path);
    expect(stale.edge).toBe('hit');
    expect(JSON.parse(stale.body).open).toBe(true);

    expireEdgeVersions(); // what the next poll, at most POLL_MS later, does
    const fresh = await get(path);
    expect(fresh.edge).toBe('miss');
    expect(JSON.parse(fresh.body)).toMatchObject({ open: false, reason: { kind: 'exception' } });
  });

  it('an isolate that sat idle reads the versions before answering, not after', async () => {
    const date = await openDay(offices[7].id);
    const path = statusAt(offices[7].id, date);
    expect(JSON.parse((await get(path)).body).open).toBe(true);
    expect((await get(path)).edge).toBe('hit');
    await closeDayElsewhere(offices[7].id, date);
    ageEdgeVersions(MAX_AGE_MS); // nothing asked this isolate anything for that long
    const fresh = await get(path);
    expect(fresh.edge).toBe('miss');
    expect(JSON.parse(fresh.body)).toMatchObject({ open: false });
  });

  it('versions due for a read are read in the background: this answer is the known one, the next is fresh', async () => {
    const date = await openDay(offices[8].id);
    const path = statusAt(offices[8].id, date);
    expect(JSON.parse((await get(path)).body).open).toBe(true);
    await closeDayElsewhere(offices[8].id, date);
    ageEdgeVersions(POLL_MS); // due, not yet too old
    const known = await get(path);
    expect(known.edge).toBe('hit');
    expect(JSON.parse(known.body).open).toBe(true);
    let next = known;
    for (let i = 0; i < 40 && next.edge === 'hit'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      next = await get(path);
    }
    expect(next.edge).toBe('miss');
    expect(JSON.parse(next.body).open).toBe(false);
  });

  it('an idle isolate hit by a burst reads the versions once, and every answer is fresh', async () => {
    await get('/api/v1/locations?limit=2');
    ageEdgeVersions(MAX_AGE_MS);
    const burst = await Promise.all(Array.from({ length: 12 }, () => request('/api/v1/locations?limit=2')));
    const polls = burst.map((r) => /edge-versions;/.test(r.headers.get('server-timing') ?? ''));
    await Promise.all(burst.map((r) => r.arrayBuffer()));
    expect(burst.map((r) => r.status)).toEqual(burst.map(() => 200));
    expect(polls.filter(Boolean).length).toBe(1);
  });

  it('an import (a new network version) moves every key', async () => {
    const paths = ['/api/v1/locations?limit=5', `/api/v1/locations/${untouched.id}`, '/api/openapi.json'];
    for (const path of paths) await get(path);
    for (const path of paths) expect((await get(path)).edge, path).toBe('hit');
    await bumpNetworkVersion(env.DB).run();
    expireEdgeVersions();
    for (const path of paths) expect((await get(path)).edge, path).toBe('miss');
  });

  it('keeps the promise: any change reaches every reader within 60 s', async () => {
    // Versioned answers: versions are never older than MAX_AGE_MS when a key is chosen; browsers then keep them max-age + stale-while-revalidate.
    const seconds = (policy: string, name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(policy)?.[1] ?? NaN);
    const hours = (await get(`/api/v1/locations/${untouched.id}/hours`)).response.headers.get('cache-control')!;
    expect(MAX_AGE_MS / 1000 + seconds(hours, 'max-age') + seconds(hours, 'stale-while-revalidate')).toBeLessThanOrEqual(60);
    // Searches are not versioned: kept SEARCH_EDGE_TTL at the edge, on schedules at most a poll behind.
    const search = (await get(`/api/v1/locations/search?near=${untouched.latitude},${untouched.longitude}&limit=1`)).response.headers.get('cache-control')!;
    expect(MAX_AGE_MS / 1000 + SEARCH_EDGE_TTL + seconds(search, 'max-age') + seconds(search, 'stale-while-revalidate')).toBeLessThanOrEqual(60);
  });
});

describe('personal and staff answers', () => {
  it('are never served from the cache nor written to it, and show no database figures', async () => {
    const path = `/api/v1/locations/${offices[2].id}/hours`;
    for (const headers of [bearer(clerk), { cookie: '__Host-guichet-staff=whatever' }, { authorization: 'Bearer gst_unknown' }]) {
      const personal = await get(path, headers);
      expect(personal.edge).toBe('bypass');
      expect(personal.response.headers.get('server-timing')).not.toMatch(/d1/);
    }
    // None of them stored anything: the first anonymous read computes the answer.
    expect((await get(path)).edge).toBe('miss');
    expect((await get(path)).edge).toBe('hit');
    // And a cached public answer is not served to a signed-in request.
    expect((await get(path, bearer(clerk))).edge).toBe('bypass');
  });

  it('staff answers are private, no-store, and carry the bookmark of their own write', async () => {
    const audit = await request(`/api/v1/locations/${edited.id}/hours/audit`, { headers: bearer(clerk) });
    expect(audit.status).toBe(200);
    expect(audit.headers.get('cache-control')).toBe('private, no-store');
    expect(timing(audit).get('edge')).toBe('bypass');
    // The local D1 gives bookmarks as the deployed one does: the next staff read starts there.
    const bookmark = audit.headers.get('guichet-bookmark');
    expect(bookmark).toMatch(/^[0-9A-Za-z-]+$/);
    const next = await request(`/api/v1/locations/${edited.id}/hours/audit`, { headers: { ...bearer(clerk), 'guichet-bookmark': bookmark! } });
    expect(next.status).toBe(200);
  });

  it('partner calls (an Origin or a key header) are computed for them, never cached', async () => {
    const path = `/api/v1/locations/search?near=${edited.latitude},${edited.longitude}&limit=2`;
    expect((await get(path, { origin: 'https://shop.example' })).edge).toBe('bypass');
    expect((await get(path, { 'x-guichet-key': 'pk_demo' })).edge).toBe('bypass');
  });
});

describe('cost budgets', () => {
  it('a search reads at most 200 rows once the network is loaded', async () => {
    await get(`/api/v1/locations/search?near=${edited.latitude},${edited.longitude}&limit=1`);
    for (const [i, office] of offices.slice(3, 13).entries()) {
      const { response, rows, edge } = await get(`/api/v1/locations/search?near=${office.latitude},${office.longitude}&radius=${20_000 + i}&limit=20&open_now=true`);
      expect(response.status).toBe(200);
      expect(edge).toBe('miss');
      expect(rows).toBeLessThanOrEqual(200);
    }
  });

  it('once every schedule is loaded in the background, a search reads none of them', async () => {
    const search = (i: number) => get(`/api/v1/locations/search?near=${offices[i % offices.length].latitude},${offices[i % offices.length].longitude}&radius=${30_000 + i}&limit=20&open_now=true`);
    let rows = NaN;
    // The first searches start the load in their background; it lands within a few of them.
    for (let i = 0; i < 40 && rows !== 0; i++) {
      const answer = await search(i);
      expect(answer.edge).toBe('miss');
      rows = answer.rows;
      if (rows !== 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(rows).toBe(0);
    // An hours change gives that location a new version: its schedule, and only it, is read again.
    const date = await openDay(offices[5].id);
    await closeDay(offices[5].id, clerk, date);
    const after = await get(`/api/v1/locations/search?near=${offices[5].latitude},${offices[5].longitude}&radius=1000&limit=1&open_at=${date}T10:30:00%2B01:00`);
    // The versions read again after the write (two settings rows and the new audit rows) and that one schedule.
    expect(after.rows).toBeGreaterThan(0);
    expect(after.rows).toBeLessThanOrEqual(20);
    expect(JSON.parse(after.body).results.map((r: any) => r.id)).not.toContain(offices[5].id);
  });

  it('an office’s answers read at most 20 rows when not cached', async () => {
    for (const path of [`/api/v1/locations/${offices[4].id}`, `/api/v1/locations/${offices[4].id}/hours`, `/api/v1/locations/${offices[4].id}/status`]) {
      const { edge, rows } = await get(path);
      expect(edge, path).toBe('miss');
      expect(rows, path).toBeLessThanOrEqual(20);
    }
  });

  it('stays correct under concurrent requests while the versions are being read again', async () => {
    expireEdgeVersions();
    const paths = offices.slice(0, 40).map((o, i) => (i % 2 ? `/api/v1/locations/${o.id}/hours` : `/api/v1/locations/${o.id}`));
    const answers = await Promise.all(paths.map((path) => get(path)));
    expect(answers.map((a) => a.response.status)).toEqual(paths.map(() => 200));
    for (const [i, answer] of answers.entries()) expect(JSON.parse(answer.body).id ?? JSON.parse(answer.body).location_id).toBe(offices[i].id);
  });
});
