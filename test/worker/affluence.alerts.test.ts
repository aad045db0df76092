/**
 * The low-crowd alert fires once, with hysteresis, and never in quiet hours
 * (issue 13), through the real parts: workerd, D1, the subscription API
 * with customer sessions, the office's stored hours and counts, visit
 * events, the cron's round at controlled instants, the local queue and its
 * outbox.
 *
 * The office's usual counts are built here from a month of arrivals this
 * test makes up: every Monday to Saturday, PEAK_ARRIVALS in the 10:00
 * quarter and fewer in every other open quarter, so each weekday's usual
 * peak is PEAK_ARRIVALS a quarter, and n arrivals in the last 15 minutes are
 * a level of 100 × n / PEAK_ARRIVALS: 2 → 10 (low), 8 → 40, 10 → 50
 * (between the thresholds), 12 → 60 (busy again). These levels come from
 * those numbers and the definitions, not from the code under test.
 */
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { customers, proProfiles } from '../../db/schema';
import type { ImportedLocation } from '../../tools/imports/open-data';
import { exportAccount } from '../../worker/accounts/account';
import { openCustomerSession } from '../../worker/accounts/sessions';
import { HIGH_LEVEL, LOW_LEVEL } from '../../worker/affluence/alert';
import { runAlertRound } from '../../worker/affluence/alert-jobs';
import { addArrivals, emptyCounts, encodeCounts, periodAt } from '../../worker/affluence/histogram';
import { configOf } from '../../worker/config';
import type { WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { addDays, instantAt, localParts } from '../../worker/hours/zoned-time';
import { outboxFor } from '../../worker/messages/outbox';
import { request } from './http-client';
import { db, demoSample, load } from './seed';

const SITE = 'http://localhost:8787';
const ZONE = 'Europe/Paris';
const d1 = (env as unknown as { DB: D1Database }).DB;
const context = { queue: configOf(env).messages.queue, origin: SITE };
/** Monday to Saturday 09:00–12:00 and 14:00–18:00; closed on Sundays; open on holidays (the test does not depend on the calendar). */
const SPANS: Array<[string, string]> = [['09:00', '12:00'], ['14:00', '18:00']];
const WEEK: WeeklyRule[] = [1, 2, 3, 4, 5, 6].flatMap((day) => SPANS.map(([opens, closes]) => ({ day: day as 1, opens, closes })));
/** The thresholds as this test reads them: low below 30 % of the usual peak, re-armed above 55 %. */
const LOW = 30;
const HIGH = 55;
const PEAK_ARRIVALS = 20;
const OTHER_ARRIVALS = 8;
const levelOf = (arrivals: number) => Math.round((100 * arrivals) / PEAK_ARRIVALS);
/** Arrivals per reading: low, between the thresholds, busy. */
const QUIET = 2;
const MIDDLE = 8;
const UPPER_MIDDLE = 10;
const BUSY = 12;

/** Tuesday 1 to Friday 4 December 2026, in the office's zone. */
const DAY_1 = '2026-12-01';
const DAY_2 = '2026-12-02';
/** Each further scenario on a later day: every round reads every watched office, and time only goes forward. */
const DAY_3 = '2026-12-03';
const DAY_4 = '2026-12-04';
const at = (date: string, time: string) => instantAt(date, time, ZONE).getTime();

let offices: ImportedLocation[];
let relay: ImportedLocation;
let used = 0;
let serial = 0;
let ticket = 0;

type Who = { id: string; cookie: string; email: string };
async function newCustomer(options: { pro: boolean; quiet?: [string, string] }): Promise<Who> {
  const now = new Date().toISOString();
  const id = `cus_${crypto.randomUUID()}`;
  const email = `alerte.${Date.now()}.${serial++}@exemple.fr`;
  const [quietStart, quietEnd] = options.quiet ?? ['00:00', '00:00'];
  await db().insert(customers).values({ id, email, name: `Pro ${serial}`, counterSalt: crypto.randomUUID(), createdAt: now, lastActiveAt: now, quietStart, quietEnd, timeZone: ZONE });
  if (options.pro) await db().insert(proProfiles).values({ customerId: id, siret: '44306184100047', company: `Société ${serial}`, createdAt: Date.now(), updatedAt: Date.now() });
  const { cookie } = await openCustomerSession(db(), { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
  return { id, cookie: cookie.split(';')[0]!, email };
}

const subscribe = (who: Who, officeId: string, origin: string | null = SITE) =>
  request(`/api/v1/account/affluence-alerts/${officeId}`, { method: 'PUT', headers: { cookie: who.cookie, ...(origin ? { origin } : {}) } });
const unsubscribe = (who: Who, officeId: string) =>
  request(`/api/v1/account/affluence-alerts/${officeId}`, { method: 'DELETE', headers: { cookie: who.cookie, origin: SITE } });
const listOf = async (who: Who) => (await (await request('/api/v1/account/affluence-alerts', { headers: { cookie: who.cookie } })).json()) as {
  items: Array<{ office_id: string; office_name: string; office_url: string }>; max_items: number;
};

/**
 * The office's usual counts, stored in the period of DAY_1: four weeks of
 * November, Monday to Saturday, PEAK_ARRIVALS in the 10:00 quarter and
 * OTHER_ARRIVALS in each other open quarter.
 */
async function storeUsualCounts(officeId: string) {
  const arrivals: number[] = [];
  for (let date = '2026-11-02'; date <= '2026-11-28'; date = addDays(date, 1)) {
    if (localParts(at(date, '12:00'), ZONE).weekday === 7) continue;
    for (const [opens, closes] of SPANS) {
      for (let start = at(date, opens); start < at(date, closes); start += 15 * 60_000) {
        const count = start === at(date, '10:00') ? PEAK_ARRIVALS : OTHER_ARRIVALS;
        for (let i = 0; i < count; i++) arrivals.push(start + i * 30_000);
      }
    }
  }
  const blob = encodeCounts(addArrivals(emptyCounts(), arrivals, ZONE));
  await d1.prepare('insert into affluence_counts (location_id, period, counts, updated_at) values (?, ?, ?, ?)')
    .bind(officeId, periodAt(at(DAY_1, '10:00'), ZONE), blob, Date.now()).run();
}

/** `count` arrivals within the 15 minutes before `instant`, as the counter records them. */
async function arrive(officeId: string, instant: number, count: number) {
  for (let i = 0; i < count; i++) {
    const when = instant - 14 * 60_000 + i * 30_000;
    await d1.prepare(`insert into visit_events (location_id, service_date, ticket, kind, at, source, received_at) values (?, ?, ?, 'arrival', ?, 'staff:test', ?)`)
      .bind(officeId, localParts(when, ZONE).date, `T${ticket++}`, when, when).run();
  }
}

/** `count` arrivals in the quarter before the instant, then the cron's round at that instant. */
async function reading(officeId: string, date: string, time: string, count: number) {
  const instant = at(date, time);
  await arrive(officeId, instant, count);
  return runAlertRound(db(), new Date(instant), context);
}

const alertsTo = async (who: Who) => (await outboxFor(d1, who.email)).filter((m) => m.id.startsWith('affluence-alert:'));
/** Lets the local queue deliver whatever the rounds queued. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1_000));

async function watchedOffice(): Promise<ImportedLocation> {
  const office = offices[used++]!;
  await storeUsualCounts(office.id);
  return office;
}

beforeAll(async () => {
  const network = demoSample(400);
  await load(network);
  offices = network.filter((l) => l.type === 'post_office' && l.timeZone === ZONE).slice(-30);
  relay = network.find((l) => l.type === 'partner_relay')!;
  await seedSchedules(db(), offices.map((o) => ({ locationId: o.id, weekly: WEEK, exceptions: [], openOnHolidays: true })), new Date().toISOString());
});

describe('the low-crowd alert', () => {
  it('reads the thresholds this test was written for', () => {
    expect([LOW_LEVEL, HIGH_LEVEL]).toEqual([LOW, HIGH]);
    expect(levelOf(QUIET)).toBeLessThan(LOW);
    for (const n of [MIDDLE, UPPER_MIDDLE]) expect(levelOf(n) >= LOW && levelOf(n) <= HIGH).toBe(true);
    expect(levelOf(BUSY)).toBeGreaterThan(HIGH);
  });

  it('fires once after 15 low minutes, once a day, re-arms only above the high threshold, and waits for the end of quiet hours', async () => {
    const office = await watchedOffice();
    const anytime = await newCustomer({ pro: true });
    // Quiet hours from 09:00 to 10:30, over the start of the low run.
    const early = await newCustomer({ pro: true, quiet: ['09:00', '10:30'] });
    expect((await subscribe(anytime, office.id)).status).toBe(201);
    expect((await subscribe(early, office.id)).status).toBe(201);

    // (a) Low at 10:00: not yet 15 minutes.
    expect((await reading(office.id, DAY_1, '10:00', QUIET)).sent).toBe(0);
    // Low still at 10:15: the alert goes, to the one outside quiet hours; two rounds at once send it once.
    const instant = at(DAY_1, '10:15');
    await arrive(office.id, instant, 1);
    const rounds = await Promise.all([runAlertRound(db(), new Date(instant), context), runAlertRound(db(), new Date(instant), context)]);
    expect(rounds.map((r) => r.sent).reduce((a, b) => a + b)).toBe(1);
    await vi.waitUntil(async () => (await alertsTo(anytime)).length > 0, { timeout: 15_000, interval: 100 });
    await settle();
    const [message] = await alertsTo(anytime);
    expect(await alertsTo(anytime)).toHaveLength(1);
    // (c) Nothing during the quiet hours of the other.
    expect(await alertsTo(early)).toHaveLength(0);
    expect(message!.text).toContain(`${office.name} est calme en ce moment (niveau ${levelOf(1)} % de l’affluence habituelle du pic), ouvert jusqu’à 12:00`);
    expect(message!.text).toMatch(new RegExp(`${SITE}/bureaux/\\S*${office.id.toLowerCase()}`, 'i'));
    expect(message!.text).toContain(`${SITE}/compte/alertes-affluence`);

    // Their quiet hours over at 10:30 and the office still low since 10:00: the other now hears; the first nothing more.
    expect((await reading(office.id, DAY_1, '10:30', QUIET)).sent).toBe(1);
    await vi.waitUntil(async () => (await alertsTo(early)).length > 0, { timeout: 15_000, interval: 100 });
    // More low readings that day, a level between the thresholds, low again: nothing more.
    for (const [time, count] of [['10:45', 0], ['11:00', MIDDLE], ['11:15', QUIET], ['11:30', QUIET]] as const) {
      expect((await reading(office.id, DAY_1, time, count)).sent).toBe(0);
    }

    // (b) The next day: never above the high threshold since the alerts, so a low run sends nothing…
    for (const [time, count] of [['14:00', QUIET], ['14:15', QUIET], ['14:30', QUIET], ['14:45', UPPER_MIDDLE], ['15:00', QUIET], ['15:15', QUIET]] as const) {
      expect((await reading(office.id, DAY_2, time, count)).sent).toBe(0);
    }
    // … until the level rises above it: then 15 low minutes send one alert each, and no more.
    expect((await reading(office.id, DAY_2, '15:30', BUSY)).sent).toBe(0);
    expect((await reading(office.id, DAY_2, '15:45', QUIET)).sent).toBe(0);
    expect((await reading(office.id, DAY_2, '16:00', QUIET)).sent).toBe(2);
    expect((await reading(office.id, DAY_2, '16:15', QUIET)).sent).toBe(0);
    await vi.waitUntil(async () => (await alertsTo(anytime)).length > 1 && (await alertsTo(early)).length > 1, { timeout: 15_000, interval: 100 });
    await settle();
    for (const who of [anytime, early]) {
      expect((await alertsTo(who)).map((m) => m.id).sort()).toEqual([DAY_1, DAY_2].map((date) => `affluence-alert:${who.id}:${office.id}:${date}`));
    }
  }, 60_000);

  it('never fires with less than 30 minutes before closing, nor while closed', async () => {
    const office = await watchedOffice();
    const who = await newCustomer({ pro: true });
    expect((await subscribe(who, office.id)).status).toBe(201);
    // Low from 11:20: 15 minutes later, at 11:35, the office closes in 25.
    for (const time of ['11:20', '11:35', '11:45', '11:55']) expect((await reading(office.id, DAY_3, time, QUIET)).sent).toBe(0);
    // Closed for lunch: empty, and not a low run.
    for (const time of ['12:15', '12:30', '13:45']) expect((await reading(office.id, DAY_3, time, 0)).sent).toBe(0);
    // Open again at 14:00 with hours ahead: 15 low minutes from the reopening send one, naming the real closing time.
    expect((await reading(office.id, DAY_3, '14:00', QUIET)).sent).toBe(0);
    expect((await reading(office.id, DAY_3, '14:15', QUIET)).sent).toBe(1);
    await vi.waitUntil(async () => (await alertsTo(who)).length > 0, { timeout: 15_000, interval: 100 });
    expect((await alertsTo(who))[0]!.text).toContain('ouvert jusqu’à 18:00');
  }, 30_000);

  it('sends nothing to an account that is no longer professional, nor after unsubscribing', async () => {
    const office = await watchedOffice();
    const former = await newCustomer({ pro: true });
    const gone = await newCustomer({ pro: true });
    const still = await newCustomer({ pro: true });
    expect((await subscribe(still, office.id)).status).toBe(201);
    expect((await subscribe(former, office.id)).status).toBe(201);
    expect((await subscribe(gone, office.id)).status).toBe(201);
    await d1.prepare('delete from pro_profiles where customer_id = ?').bind(former.id).run();
    expect((await unsubscribe(gone, office.id)).status).toBe(204);
    expect((await reading(office.id, DAY_4, '10:00', QUIET)).sent).toBe(0);
    // Only the one still professional and subscribed hears.
    expect((await reading(office.id, DAY_4, '10:15', QUIET)).sent).toBe(1);
    await vi.waitUntil(async () => (await alertsTo(still)).length > 0, { timeout: 15_000, interval: 100 });
    await settle();
    expect(await alertsTo(former)).toHaveLength(0);
    expect(await alertsTo(gone)).toHaveLength(0);
  }, 30_000);
});

describe('subscribing through the API', () => {
  it('is for professional accounts only (403, saying how to become one)', async () => {
    const who = await newCustomer({ pro: false });
    const refused = await subscribe(who, offices[0]!.id);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toContain('/api/v1/account/pro');
    expect((await listOf(who)).items).toEqual([]);
  });

  it('subscribes idempotently, lists with the office’s name and page, unsubscribes; personal answers, own origin only', async () => {
    const who = await newCustomer({ pro: true });
    const office = offices[20]!;
    expect((await subscribe(who, office.id, null)).status).toBe(403);
    expect((await subscribe(who, office.id, 'https://ailleurs.example')).status).toBe(403);
    const created = await subscribe(who, office.id.toLowerCase());
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('private, no-store');
    expect((await subscribe(who, office.id)).status).toBe(200);
    const listed = await request('/api/v1/account/affluence-alerts', { headers: { cookie: who.cookie } });
    expect(listed.headers.get('cache-control')).toBe('private, no-store');
    const { items } = (await listed.json()) as Awaited<ReturnType<typeof listOf>>;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ office_id: office.id, office_name: office.name });
    expect(items[0]!.office_url.startsWith(`${SITE}/bureaux/`)).toBe(true);
    // The account's export lists it (GDPR access and portability).
    const row = (await db().select().from(customers).where(eq(customers.id, who.id)).get())!;
    expect((await exportAccount(db(), row, new Date())).low_crowd_alerts).toEqual([expect.objectContaining({ office_id: office.id, last_sent_date: null })]);
    expect((await unsubscribe(who, office.id)).status).toBe(204);
    expect((await unsubscribe(who, office.id)).status).toBe(404);
    expect((await listOf(who)).items).toEqual([]);
    expect((await request('/api/v1/account/affluence-alerts')).status).toBe(401);
    expect((await request('/api/v1/account/affluence-alerts', { method: 'POST', headers: { cookie: who.cookie, origin: SITE } })).status).toBe(405);
  });

  it('refuses an unknown office, a malformed id, a place without a counter, an office out of service, and an eleventh office', async () => {
    const who = await newCustomer({ pro: true });
    expect((await subscribe(who, 'ZZ99999')).status).toBe(404);
    expect((await subscribe(who, 'pas-un-id')).status).toBe(400);
    const noCounter = await subscribe(who, relay.id);
    expect(noCounter.status).toBe(409);
    expect(await noCounter.json()).toMatchObject({ reason: 'no_counter' });
    const closed = offices[29]!;
    await d1.prepare(`update locations set status = 'closed' where id = ?`).bind(closed.id).run();
    expect(await (await subscribe(who, closed.id)).json()).toMatchObject({ status: 409, reason: 'office_closed' });
    for (const office of offices.slice(10, 20)) expect((await subscribe(who, office.id)).status).toBe(201);
    const eleventh = await subscribe(who, offices[20]!.id);
    expect(eleventh.status).toBe(409);
    expect(await eleventh.json()).toMatchObject({ reason: 'too_many' });
    expect((await listOf(who)).items).toHaveLength(10);
    // Subscribing again to one of the ten is still fine; removing one makes room.
    expect((await subscribe(who, offices[10]!.id)).status).toBe(200);
    expect((await unsubscribe(who, offices[10]!.id)).status).toBe(204);
    expect((await subscribe(who, offices[20]!.id)).status).toBe(201);
  });
});
