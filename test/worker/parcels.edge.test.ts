/**
 * A parcel's status at the edge (worker/edge, `GET /api/v1/parcels/{n}`; the
 * page `/suivi/{n}` has the same plan): a known parcel is computed once,
 * then answered from the cache after one indexed read of its row; a new
 * carrier event (through the real signed route) or an hours change at the
 * place where it waits gives it a new key at once; unknown and malformed
 * numbers are never kept; and the cache never keeps an answer past the
 * moment its words change with the clock (the next midnight in Paris, the
 * waiting place's closing). Expected instants are worked out here with
 * Intl, not with the code under test.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../worker/app';
import { expireEdgeVersions } from '../../worker/edge/versions';
import type { WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { carrierKey, createCarrier } from '../../worker/parcels/carriers';
import { signatureHeader } from '../../worker/parcels/signature';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ZONE = 'Europe/Paris';
const json = { 'content-type': 'application/json' };

const sample = demoSample(200);
const offices = sample.filter((l) => l.type === 'post_office' && l.timeZone === ZONE && !['57', '67', '68'].includes(l.department));
/** Open every day 10:00–18:00, public holidays included. */
const pickup = offices[0]!;
/** Where nothing of these parcels happens. */
const elsewhere = offices[1]!;
/** Another place open every day 10:00–18:00, whose hours no test changes. */
const steady = offices[2]!;
const EVERY_DAY: WeeklyRule[] = ([1, 2, 3, 4, 5, 6, 7] as const).map((day) => ({ day, opens: '10:00', closes: '18:00' }));

/** Local date `YYYY-MM-DD` of an instant in Paris. */
const parisDate = (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(ms);
const plusDays = (date: string, days: number) => new Date(Date.parse(`${date}T12:00:00Z`) + days * DAY).toISOString().slice(0, 10);
/** The instant of a Paris wall-clock time: the one of France's two offsets that reads back as that time. */
function parisInstant(date: string, time: string): number {
  for (const offset of ['+01:00', '+02:00']) {
    const ms = Date.parse(`${date}T${time}:00${offset}`);
    if (new Intl.DateTimeFormat('sv-SE', { timeZone: ZONE, dateStyle: 'short', timeStyle: 'short' }).format(ms) === `${date} ${time}`) return ms;
  }
  throw new Error(`no instant for ${date} ${time} in Paris`);
}
/** The first Paris wall-clock `time` after `ms`. */
function nextParis(time: string, ms: number): number {
  const today = parisInstant(parisDate(ms), time);
  return today > ms ? today : parisInstant(plusDays(parisDate(ms), 1), time);
}

/** `Server-Timing` as a map: `edge` → hit/miss/bypass, `d1-queries` → "1"… */
function timing(response: Response): Map<string, string> {
  const entries = (response.headers.get('server-timing') ?? '').split(',').map((part) => part.trim().split(';'));
  return new Map(entries.map(([name, ...params]) => [name!, (params.find((p) => p.startsWith('desc=')) ?? '').slice(5)]));
}

async function get(path: string) {
  const response = await request(path);
  const body = await response.text();
  const t = timing(response);
  return { response, body, edge: t.get('edge'), queries: Number(t.get('d1-queries') ?? NaN) };
}
const api = (number: string) => get(`/api/v1/parcels/${number}`);

let carrier: { id: string; secret: string };
let batch = 0;
const signingStart = Date.now();

/** A valid S10 number, new at each call (check digit by the UPU weights, written out here). */
function newTrackingNumber(): string {
  const serial = String(Math.floor(Math.random() * 100_000_000)).padStart(8, '0');
  const sum = [...serial].reduce((t, d, i) => t + Number(d) * [8, 6, 4, 2, 3, 5, 9, 7][i]!, 0);
  const check = 11 - (sum % 11);
  return `ED${serial}${check === 10 ? 0 : check === 11 ? 5 : check}FR`;
}

/** Events as a carrier posts them, through the signed route: `[code, hours ago, extra fields]`. */
async function post(number: string, steps: Array<[code: string, hoursAgo: number, extra?: object]>) {
  const events = steps.map(([code, hoursAgo, extra]) => ({
    event_id: `edge-${number}-${code}-${hoursAgo}`, tracking_number: number, code, occurred_at: new Date(Date.now() - hoursAgo * HOUR).toISOString(), ...extra,
  }));
  expect(await send(events)).toMatchObject({ accepted: events.length, rejected: 0 });
  return events;
}

async function send(events: object[]) {
  const body = JSON.stringify({ events });
  // A second of its own for each request (counted back from the file's start, well within the 5-minute tolerance): the same
  // body signed in the same second would be a replay.
  const header = await signatureHeader(carrier.id, carrier.secret, body, new Date(signingStart - batch++ * 1000));
  const response = await request('/api/v1/parcels/events', { method: 'POST', headers: { ...json, 'guichet-signature': header }, body });
  expect(response.status).toBe(200);
  return response.json();
}

/** Closes `id` on `date` through the staff API, as an hours clerk would. */
async function closeDay(id: string, date: string) {
  const read = await request(`/api/v1/locations/${id}/hours`, { headers: bearer(clerk) });
  await read.arrayBuffer();
  const created = await request(`/api/v1/locations/${id}/hours/exceptions`, {
    method: 'POST',
    headers: { ...json, ...bearer(clerk), 'if-match': read.headers.get('etag')! },
    body: JSON.stringify({ start_date: date, end_date: date, closed: true, reason: 'works' }),
  });
  expect(created.status).toBe(201);
  await created.arrayBuffer();
}

/** What the edge stores, as `cache.put` receives it. */
function watchPuts() {
  const puts: Array<{ key: string; cacheControl: string | null }> = [];
  const original = Cache.prototype.put;
  vi.spyOn(Cache.prototype, 'put').mockImplementation(function (this: Cache, key: RequestInfo | URL, response: Response) {
    puts.push({ key: String(key instanceof Request ? key.url : key), cacheControl: response.headers.get('cache-control') });
    return original.call(this, key, response);
  });
  return puts;
}
/** What the app itself answers, without the edge layer (which keeps `Guichet-Fresh-Until` to itself). */
async function freshUntilFromApp(path: string): Promise<number> {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`https://guichet.test${path}`), env, ctx);
  await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  expect(response.status).toBe(200);
  return Date.parse(response.headers.get('guichet-fresh-until') ?? '');
}
const app = createApp();
const MINUTE = 60_000;

const maxAge = (policy: string | null) => Number(/\bmax-age=(\d+)/.exec(policy ?? '')?.[1] ?? NaN);

let clerk: string;
beforeAll(async () => {
  await load(sample);
  await seedSchedules(db(), [pickup, elsewhere, steady].map((l) => ({ locationId: l.id, weekly: EVERY_DAY, exceptions: [], openOnHolidays: true })), new Date().toISOString());
  carrier = await createCarrier(db(), { name: 'Transporteur de l’edge', key: await carrierKey(db(), undefined), now: new Date() });
  clerk = await token('exceptions', 'network', null, 'Siège');
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  // A faked clock may have left the versions "read in the future": read them again.
  expireEdgeVersions();
});

describe('a known parcel', () => {
  it('is computed once, then answered from the cache after one read of its row, with the same body', async () => {
    const number = newTrackingNumber();
    await post(number, [['PC1', 30, { product: 'colissimo' }], ['ET1', 20]]);
    const first = await api(number);
    expect(first.response.status).toBe(200);
    expect(first.edge).toBe('miss');
    expect(first.queries).toBeGreaterThan(1);
    const second = await api(number);
    expect(second.edge).toBe('hit');
    expect(second.queries).toBe(1);
    expect(second.body).toBe(first.body);
    // Browsers revalidate every time; the edge's own bookkeeping never leaves it.
    expect(second.response.headers.get('cache-control')).toBe('public, no-cache');
    expect(second.response.headers.get('etag')).toBe(first.response.headers.get('etag'));
    expect(second.response.headers.has('guichet-fresh-until')).toBe(false);
    expect(second.response.headers.has('guichet-client-cache')).toBe(false);
    // A browser holding the ETag gets a 304 from the cache.
    const conditional = await request(`/api/v1/parcels/${number}`, { headers: { 'if-none-match': first.response.headers.get('etag')! } });
    expect(conditional.status).toBe(304);
    expect(timing(conditional).get('edge')).toBe('hit');
  });

  it('a new carrier event gives it a new key at once: the next read shows the event', async () => {
    const number = newTrackingNumber();
    await post(number, [['PC1', 30, { product: 'colissimo' }]]);
    expect((await api(number)).edge).toBe('miss');
    expect((await api(number)).edge).toBe('hit');
    await post(number, [['ET1', 2]]);
    const after = await api(number);
    expect(after.edge).toBe('miss');
    expect((JSON.parse(after.body) as { events: Array<{ code: string }> }).events.map((e) => e.code)).toEqual(['PC1', 'ET1']);
    expect((await api(number)).edge).toBe('hit');
  });

  it('the same event sent again (a duplicate) changes nothing: still a hit', async () => {
    const number = newTrackingNumber();
    const events = await post(number, [['PC1', 30]]);
    expect((await api(number)).edge).toBe('miss');
    expect((await api(number)).edge).toBe('hit');
    expect(await send(events)).toMatchObject({ accepted: 0, duplicate: 1 });
    expect((await api(number)).edge).toBe('hit');
  });
});

describe('a parcel waiting at a place', () => {
  it('gets a new key when that place’s hours change, and keeps its key when another place’s do', async () => {
    const number = newTrackingNumber();
    await post(number, [['PC1', 30], ['ET1', 20], ['AG1', 3, { location_id: pickup.id }]]);
    const first = await api(number);
    expect(first.response.status).toBe(200);
    expect(JSON.parse(first.body).collection.location.id).toBe(pickup.id);
    expect((await api(number)).edge).toBe('hit');

    await closeDay(elsewhere.id, plusDays(parisDate(Date.now()), 3));
    expect((await api(number)).edge).toBe('hit');

    // Closed on the deadline's day: the deadline moves.
    const deadline = JSON.parse(first.body).collection.deadline as string;
    await closeDay(pickup.id, parisDate(Date.parse(deadline)));
    const after = await api(number);
    expect(after.edge).toBe('miss');
    expect(JSON.parse(after.body).collection.deadline).not.toBe(deadline);
    expect((await api(number)).edge).toBe('hit');
  });
});

describe('numbers without a parcel', () => {
  it('an unknown number is a 404 that is never kept, and shows the parcel once its first event arrives', async () => {
    const number = newTrackingNumber();
    for (let i = 0; i < 2; i++) {
      const unknown = await api(number);
      expect(unknown.response.status).toBe(404);
      expect(unknown.edge).toBe('bypass');
      expect(unknown.response.headers.get('cache-control')).toBe('no-store');
    }
    await post(number, [['PC1', 1]]);
    const known = await api(number);
    expect(known.response.status).toBe(200);
    expect(known.edge).toBe('miss');
  });

  it('a malformed number, or another spelling of a good one, is answered by the app and never kept', async () => {
    const number = newTrackingNumber();
    await post(number, [['PC1', 5]]);
    const wrongKey = `${number.slice(0, 10)}${(Number(number[10]) + 1) % 10}FR`;
    for (const path of [`/api/v1/parcels/${wrongKey}`, `/api/v1/parcels/${number.toLowerCase()}`, `/api/v1/parcels/${number.slice(0, 6)}-${number.slice(6)}`]) {
      for (let i = 0; i < 2; i++) {
        const answer = await get(path);
        expect(answer.edge, path).toBe('bypass');
      }
    }
    expect((await get(`/api/v1/parcels/${wrongKey}`)).response.status).toBe(400);
  });
});

describe('until when it is kept', () => {
  it('never past the next midnight in Paris, nor more than 10 minutes', async () => {
    const puts = watchPuts();
    const number = newTrackingNumber();
    await post(number, [['PC1', 30, { product: 'colissimo' }], ['ET1', 20]]);
    const now = Date.now();
    expect((await api(number)).edge).toBe('miss');
    const stored = puts.filter((p) => p.key.endsWith(`/api/v1/parcels/${number}`));
    expect(stored).toHaveLength(1);
    const seconds = maxAge(stored[0]!.cacheControl);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(600);
    expect(seconds).toBeLessThanOrEqual(Math.ceil((nextParis('00:00', now) - now) / 1000));
  });

  it('at 23:55 in Paris, until midnight: « demain » and the estimate move then', async () => {
    const number = newTrackingNumber();
    await post(number, [['PC1', 30, { product: 'colissimo' }], ['ET1', 20]]);
    const at = nextParis('23:55', Date.now());
    vi.useFakeTimers({ toFake: ['Date'], now: at });
    const puts = watchPuts();
    expect((await api(number)).edge).toBe('miss');
    const [stored] = puts.filter((p) => p.key.endsWith(`/api/v1/parcels/${number}`));
    const toMidnight = (nextParis('00:00', at) - at) / 1000;
    expect(toMidnight).toBe(300);
    expect(maxAge(stored!.cacheControl)).toBeLessThanOrEqual(toMidnight);
    expect(maxAge(stored!.cacheControl)).toBeGreaterThan(toMidnight - 5);
  });

  it('at 17:55, while it waits at a place that closes at 18:00, until the closing: « ouvert » moves then', async () => {
    const number = newTrackingNumber();
    await post(number, [['PC1', 40], ['AG1', 6, { location_id: steady.id }]]);
    const at = parisInstant(plusDays(parisDate(Date.now()), 1), '17:55');
    vi.useFakeTimers({ toFake: ['Date'], now: at });
    const puts = watchPuts();
    const answer = await api(number);
    expect(answer.edge).toBe('miss');
    // Open, and the deadline days away: only its closing at 18:00 bounds it.
    expect(JSON.parse(answer.body).collection).toMatchObject({ location: { id: steady.id }, open_now: true });
    expect(Date.parse(JSON.parse(answer.body).collection.deadline)).toBeGreaterThan(at + 7 * DAY);
    const [stored] = puts.filter((p) => p.key.endsWith(`/api/v1/parcels/${number}`));
    const toClosing = (parisInstant(parisDate(at), '18:00') - at) / 1000;
    expect(maxAge(stored!.cacheControl)).toBeLessThanOrEqual(toClosing);
    expect(maxAge(stored!.cacheControl)).toBeGreaterThan(toClosing - 5);
  });

  it('at any instant, the answer says it holds until the first of: 10 minutes on, the next Paris midnight, the waiting place’s next opening or closing', async () => {
    const moving = newTrackingNumber();
    await post(moving, [['PC1', 30, { product: 'colissimo' }], ['ET1', 20]]);
    const waiting = newTrackingNumber();
    await post(waiting, [['PC1', 40], ['AG1', 6, { location_id: steady.id }]]);
    const start = Date.now();
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 7 * DAY }), async (ahead) => {
      const at = start + ahead;
      vi.useFakeTimers({ toFake: ['Date'], now: at });
      try {
        const bound = Math.min(at + 10 * MINUTE, nextParis('00:00', at));
        // Nothing in its words moves before: exactly that bound.
        expect(await freshUntilFromApp(`/api/v1/parcels/${moving}`)).toBe(bound);
        // Open 10:00–18:00 every day: « ouvert » / « fermé » move at those; it may say « ferme bientôt » before 18:00.
        const until = await freshUntilFromApp(`/api/v1/parcels/${waiting}`);
        expect(until).toBeGreaterThan(at);
        expect(until).toBeLessThanOrEqual(Math.min(bound, nextParis('10:00', at), nextParis('18:00', at)));
      } finally {
        vi.useRealTimers();
      }
    }), { numRuns: 25 });
  });
});
