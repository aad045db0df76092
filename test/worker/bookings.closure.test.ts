/**
 * A closure declared after booking moves the affected customers (issue 13),
 * through the real parts: workerd, D1, the hours API with a staff token, the
 * bookings API with customer sessions, the local queue and its outbox. A
 * customer books and confirms a slot next week, another holds one that day,
 * a third has a seat on another day, a fourth a seat in the past; staff close
 * the office that day; the cron's round moves exactly the two seats of that
 * day: freed, in their history, one message each (twice the round: still
 * one), naming the 3 nearest free slots of the same offer. Those 3 are
 * computed here from the week this test gives the office (open per the
 * schedule, on the 15-minute grid, nearest by time, the earlier on a tie),
 * not by the code under test.
 */
import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { customers } from '../../db/schema';
import type { ImportedLocation } from '../../tools/imports/open-data';
import { openCustomerSession } from '../../worker/accounts/sessions';
import { runBookingJobs } from '../../worker/bookings/jobs';
import { OFFICES_WITH_UPCOMING_SQL, UPCOMING_LIVE_SEATS_SQL } from '../../worker/bookings/store';
import { configOf } from '../../worker/config';
import type { WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { addDays, instantAt, localParts } from '../../worker/hours/zoned-time';
import { outboxFor } from '../../worker/messages/outbox';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

const SITE = 'http://localhost:8787';
const ZONE = 'Europe/Paris';
const d1 = (env as unknown as { DB: D1Database }).DB;
const config = configOf(env);
const context = { queue: config.messages.queue, origin: SITE };
/** Monday to Saturday 09:00–12:00 and 14:00–18:00; closed on Sundays. Holidays: open (the test does not depend on the calendar). */
const SPANS: Array<[string, string]> = [['09:00', '12:00'], ['14:00', '18:00']];
const WEEK: WeeklyRule[] = [1, 2, 3, 4, 5, 6].flatMap((day) => SPANS.map(([opens, closes]) => ({ day: day as 1, opens, closes })));

let offices: ImportedLocation[];
let used = 0;
let serial = 0;

type Who = { id: string; cookie: string; email: string };
async function newCustomer(): Promise<Who> {
  const at = new Date().toISOString();
  const id = `cus_${crypto.randomUUID()}`;
  const email = `rdv.closure.${Date.now()}.${serial++}@exemple.fr`;
  // No quiet hours (start = end): the message is delivered whenever the suite runs.
  await db().insert(customers).values({ id, email, name: `Client ${serial}`, counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at, quietStart: '00:00', quietEnd: '00:00' });
  const { cookie } = await openCustomerSession(db(), { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
  return { id, cookie: cookie.split(';')[0]!, email };
}

const today = () => localParts(Date.now(), ZONE).date;
const isSunday = (date: string) => localParts(instantAt(date, '12:00', ZONE), ZONE).weekday === 7;
const at = (date: string, time: string) => instantAt(date, time, ZONE).getTime();
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Every 15-minute slot the WEEK opens from `now` on over 28 local days, except on `closedDay`: [local "date Thh:mm", start ms]. */
function openSlots(now: number, closedDay: string): Array<{ key: string; startsAt: number }> {
  const slots: Array<{ key: string; startsAt: number }> = [];
  for (let offset = 0; offset < 28; offset++) {
    const date = addDays(localParts(now, ZONE).date, offset);
    if (date === closedDay || isSunday(date)) continue;
    for (const [opens, closes] of SPANS) {
      const [from, to] = [opens, closes].map((t) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3)));
      for (let minute = from!; minute + 15 <= to!; minute += 15) {
        const startsAt = at(date, hhmm(minute));
        if (startsAt > now) slots.push({ key: `${date}T${hhmm(minute)}`, startsAt });
      }
    }
  }
  return slots;
}

/** The `count` slots nearest to `wanted`, the earlier first on a tie. */
const nearest = (slots: Array<{ key: string; startsAt: number }>, wanted: number, count = 3) =>
  [...slots].sort((a, b) => Math.abs(a.startsAt - wanted) - Math.abs(b.startsAt - wanted) || a.startsAt - b.startsAt).slice(0, count).map((s) => s.key);

const post = (path: string, who: Who, body: unknown) => request(path, {
  method: 'POST', headers: { 'content-type': 'application/json', origin: SITE, cookie: who.cookie, 'idempotency-key': crypto.randomUUID() }, body: JSON.stringify(body),
});
const statusOf = async (id: string) => (await d1.prepare('select status from bookings where id = ?').bind(id).first<{ status: string }>())?.status;
const historyOf = async (customerId: string, kind: string) =>
  (await db().all<{ detail: string }>(sql`select detail from customer_history where customer_id = ${customerId} and kind = ${kind}`)).map((r) => r.detail);
/** Seats of the offer at that start that still count for its capacity. */
const takenAt = async (offerId: string, startsAt: number) =>
  (await db().all<{ n: number }>(sql`select count(*) as n from bookings where offer_id = ${offerId} and starts_at = ${startsAt}
    and (status = 'booked' or (status = 'held' and hold_expires_at > ${Date.now()}))`))[0]!.n;

beforeAll(async () => {
  const network = demoSample(400);
  await load(network);
  offices = network.filter((l) => l.type === 'post_office' && l.timeZone === ZONE).slice(-20);
  await seedSchedules(db(), offices.map((o) => ({ locationId: o.id, weekly: WEEK, exceptions: [], openOnHolidays: true })), new Date().toISOString());
});

/** An office with one appointment offer (15 min, one seat per slot); its id, the offer's, and the manager's token. */
async function officeWithOffer() {
  const office = offices[used++]!;
  const manager = await token('hours', 'office', office.id);
  const response = await request(`/api/v1/offices/${office.id}/offers`, {
    method: 'PUT', headers: { ...bearer(manager), 'content-type': 'application/json', 'if-match': '"0"' },
    body: JSON.stringify({ items: [{ kind: 'appointment', label: 'Conseiller entreprise', duration_minutes: 15, capacity: 1 }] }),
  });
  expect(response.status).toBe(200);
  const offerId = ((await response.json()) as { items: Array<{ id: string }> }).items[0]!.id;
  return { office, offerId };
}

/** Staff declare an exceptional closure of the whole day, through the hours API. */
async function closeDay(officeId: string, date: string) {
  const clerk = await token('exceptions', 'office', officeId, 'Responsable du bureau');
  const etag = (await request(`/api/v1/locations/${officeId}/hours`)).headers.get('etag')!;
  const created = await request(`/api/v1/locations/${officeId}/hours/exceptions`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...bearer(clerk), 'if-match': etag },
    body: JSON.stringify({ start_date: date, closed: true, reason: 'staff_shortage', note: 'Fermeture exceptionnelle' }),
  });
  expect(created.status).toBe(201);
}

describe('a closure declared after booking', () => {
  it('moves the seats of that day (booked and held), frees them, writes the history, sends one message naming the 3 nearest free slots', async () => {
    const { office, offerId } = await officeWithOffer();
    // Next week, a day the office opens; and the nearest free slots once it is closed, computed from WEEK alone.
    let closedDay = addDays(today(), 7);
    while (isSunday(closedDay)) closedDay = addDays(closedDay, 1);
    const wanted = at(closedDay, '10:00');
    const candidates = nearest(openSlots(Date.now() + 60_000, closedDay), wanted, 4);
    // Another day's seat takes the nearest of them: it must not be proposed, nor touched.
    const [otherKey, ...expected] = candidates;

    const [booker, holder, other, past] = [await newCustomer(), await newCustomer(), await newCustomer(), await newCustomer()];
    const booked = await post(`/api/v1/offices/${office.id}/appointments`, booker, { offer_id: offerId, starts_at: `${closedDay}T10:00` });
    expect(booked.status).toBe(201);
    const bookedId = ((await booked.json()) as { id: string }).id;
    expect((await request(`/api/v1/account/bookings/${bookedId}/confirm`, { method: 'POST', headers: { origin: SITE, cookie: booker.cookie } })).status).toBe(200);
    const held = await post(`/api/v1/offices/${office.id}/appointments`, holder, { offer_id: offerId, starts_at: `${closedDay}T15:30` });
    expect(held.status).toBe(201);
    const heldId = ((await held.json()) as { id: string }).id;
    const elsewhere = await post(`/api/v1/offices/${office.id}/appointments`, other, { offer_id: offerId, starts_at: otherKey });
    expect(elsewhere.status).toBe(201);
    const otherId = ((await elsewhere.json()) as { id: string }).id;
    expect((await request(`/api/v1/account/bookings/${otherId}/confirm`, { method: 'POST', headers: { origin: SITE, cookie: other.cookie } })).status).toBe(200);
    // A booked seat yesterday at 13:00: a time the office is closed, but past.
    const pastStart = at(addDays(today(), -1), '13:00');
    await d1.prepare(`insert into bookings (id, customer_id, location_id, offer_id, kind, starts_at, ends_at, status, hold_expires_at, request_key, created_at, confirmed_at)
      values ('RDV-PASSE234', ?1, ?2, ?3, 'appointment', ?4, ?5, 'booked', ?4, 'passe-1234', ?4, ?4)`).bind(past.id, office.id, offerId, pastStart, pastStart + 15 * 60_000).run();

    // Before the closure, the round moves nothing.
    expect((await runBookingJobs(db(), new Date(), context)).moved).toBe(0);
    expect(await statusOf(bookedId)).toBe('booked');

    await closeDay(office.id, closedDay);
    const report = await runBookingJobs(db(), new Date(), context);
    expect(report).toMatchObject({ moved: 2, unsent: 0 });
    expect(await statusOf(bookedId)).toBe('moved');
    expect(await statusOf(heldId)).toBe('moved');
    expect(await statusOf(otherId)).toBe('booked');
    expect(await statusOf('RDV-PASSE234')).toBe('booked');
    // Freed: they no longer count for the offer's capacity.
    expect(await takenAt(offerId, wanted)).toBe(0);
    expect(await takenAt(offerId, at(closedDay, '15:30'))).toBe(0);
    // The customers read it in their bookings and their history.
    const mine = await request('/api/v1/account/bookings', { headers: { origin: SITE, cookie: booker.cookie } });
    expect(JSON.stringify(await mine.json())).toContain('"moved"');
    expect(await historyOf(booker.id, 'booking.moved')).toEqual([expect.stringContaining(bookedId)]);
    expect(await historyOf(holder.id, 'booking.moved')).toEqual([expect.stringContaining(heldId)]);
    expect(await historyOf(other.id, 'booking.moved')).toEqual([]);

    // One message each, naming the 3 nearest free slots with links that book them.
    await vi.waitUntil(async () => (await outboxFor(d1, booker.email)).length > 0 && (await outboxFor(d1, holder.email)).length > 0, { timeout: 15_000, interval: 100 });
    const [message] = await outboxFor(d1, booker.email);
    expect(message!.subject).toContain(bookedId);
    expect(message!.text).toContain(office.name);
    const links = [...message!.text.matchAll(/(http\S+\/rendez-vous\/([^?\s]+)\?offre=([^&\s]+)&debut=(\S+))/g)];
    expect(links.map((l) => [decodeURIComponent(l[2]!), decodeURIComponent(l[3]!), decodeURIComponent(l[4]!)]))
      .toEqual(expected.map((key) => [office.id, offerId, key]));
    expect(links.every((l) => l[1]!.startsWith(`${SITE}/rendez-vous/`))).toBe(true);
    const [heldMessage] = await outboxFor(d1, holder.email);
    expect(heldMessage!.text).toContain(heldId);
    expect(heldMessage!.text).toContain('retenu');

    // Again: nothing more moves, nothing more is sent, the history does not grow.
    expect((await runBookingJobs(db(), new Date(), context)).moved).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await outboxFor(d1, booker.email)).filter((m) => m.id === `booking.moved:${bookedId}`)).toHaveLength(1);
    expect(await outboxFor(d1, booker.email)).toHaveLength(1);
    expect(await outboxFor(d1, holder.email)).toHaveLength(1);
    expect(await outboxFor(d1, other.email)).toHaveLength(0);
    expect(await historyOf(booker.id, 'booking.moved')).toHaveLength(1);

    // The freed seat cannot be confirmed or cancelled: it is over.
    expect((await request(`/api/v1/account/bookings/${heldId}/confirm`, { method: 'POST', headers: { origin: SITE, cookie: holder.cookie } })).status).toBe(409);
    expect(await statusOf(heldId)).toBe('moved');
  });

  it('leaves a lapsed hold and a cancelled seat alone (they are free already)', async () => {
    const { office, offerId } = await officeWithOffer();
    let closedDay = addDays(today(), 8);
    while (isSunday(closedDay)) closedDay = addDays(closedDay, 1);
    const who = await newCustomer();
    const made = await post(`/api/v1/offices/${office.id}/appointments`, who, { offer_id: offerId, starts_at: `${closedDay}T11:00` });
    const id = ((await made.json()) as { id: string }).id;
    expect((await request(`/api/v1/account/bookings/${id}`, { method: 'DELETE', headers: { origin: SITE, cookie: who.cookie } })).status).toBe(204);
    await closeDay(office.id, closedDay);
    expect((await runBookingJobs(db(), new Date(), context)).moved).toBe(0);
    expect(await statusOf(id)).toBe('cancelled');
    // A hold that lapsed before the closure: nothing to move.
    const lapsedStart = at(closedDay, '09:00');
    const lapsedAt = Date.now() - 60_000;
    await d1.prepare(`insert into bookings (id, customer_id, location_id, offer_id, kind, starts_at, ends_at, status, hold_expires_at, request_key, created_at)
      values ('RDV-LAPSE234', ?1, ?2, ?3, 'appointment', ?4, ?5, 'held', ?6, 'lapse-1234', ?6)`).bind(who.id, office.id, offerId, lapsedStart, lapsedStart + 15 * 60_000, lapsedAt).run();
    expect((await runBookingJobs(db(), new Date(), context)).moved).toBe(0);
    expect(await statusOf('RDV-LAPSE234')).toBe('held');
    // And the closed slot can no longer be booked at all: the API refuses it.
    const refused = await post(`/api/v1/offices/${office.id}/appointments`, await newCustomer(), { offer_id: offerId, starts_at: `${closedDay}T09:00` });
    expect(refused.status).toBe(400);
    expect(await outboxFor(d1, who.email)).toHaveLength(0);
  });
});

describe('the slots listing after a closure', () => {
  it('stops offering the closed day within the versions window (the office and its hours are kept per isolate while their version holds)', async () => {
    const { office, offerId } = await officeWithOffer();
    let closedDay = addDays(today(), 10);
    while (isSunday(closedDay)) closedDay = addDays(closedDay, 1);
    const daysListed = async () => {
      const answer = await request(`/api/v1/offices/${office.id}/slots?offer=${offerId}`);
      expect(answer.status).toBe(200);
      return new Set(((await answer.json()) as { items: Array<{ date: string }> }).items.map((slot) => slot.date));
    };
    // Listed (the office and its hours then kept by the isolate): the day is offered.
    expect((await daysListed()).has(closedDay)).toBe(true);
    expect((await daysListed()).has(closedDay)).toBe(true);
    // Server-Timing: whether the edge answered, and the D1 queries the request made.
    const cost = async (path: string) => {
      const timing = (await request(path)).headers.get('server-timing') ?? '';
      return { edge: /edge;desc=(\w+)/.exec(timing)?.[1], queries: Number(/d1-queries;desc=(\d+)/.exec(timing)?.[1]) };
    };
    // A listing not asked before (another span of days): the edge's look-up of the offer's versions, then from the
    // kept office the app reads only the offer and its seats: 3 D1 queries, not 5.
    const other = `/api/v1/offices/${office.id}/slots?offer=${offerId}&days=27`;
    expect(await cost(other)).toEqual({ edge: 'miss', queries: 3 });
    // Asked again, no seat written: the edge answers after its one look-up.
    expect(await cost(other)).toEqual({ edge: 'hit', queries: 1 });
    await closeDay(office.id, closedDay);
    // The isolate reads the hours versions at most 10 s apart (5 s polls): then the kept copy is dropped.
    const started = Date.now();
    await vi.waitUntil(async () => !(await daysListed()).has(closedDay), { timeout: 12_000, interval: 250 });
    expect(Date.now() - started).toBeLessThan(12_000);
    // The closure runs from that day on (no end date): the open day before it is still offered.
    let before = addDays(closedDay, -1);
    while (isSunday(before)) before = addDays(before, -1);
    expect((await daysListed()).has(before)).toBe(true);
  }, 20_000);
});

describe('a message the queue refused at the move', () => {
  it('is queued by the next round, once, and then never again', async () => {
    const { office, offerId } = await officeWithOffer();
    let closedDay = addDays(today(), 9);
    while (isSunday(closedDay)) closedDay = addDays(closedDay, 1);
    const who = await newCustomer();
    const made = await post(`/api/v1/offices/${office.id}/appointments`, who, { offer_id: offerId, starts_at: `${closedDay}T11:00` });
    expect(made.status).toBe(201);
    const id = ((await made.json()) as { id: string }).id;
    expect((await request(`/api/v1/account/bookings/${id}/confirm`, { method: 'POST', headers: { origin: SITE, cookie: who.cookie } })).status).toBe(200);
    await closeDay(office.id, closedDay);

    // The queue is down during the move: the seat is moved (freed) all the same, its message counted as unsent.
    const down = { send: async () => { throw new Error('queue unavailable'); } };
    expect(await runBookingJobs(db(), new Date(), { queue: down, origin: SITE })).toMatchObject({ moved: 1, unsent: 1 });
    expect(await statusOf(id)).toBe('moved');
    expect(await takenAt(offerId, at(closedDay, '11:00'))).toBe(0);

    // Still down at the next round: still untold, nothing lost.
    expect(await runBookingJobs(db(), new Date(), { queue: down, origin: SITE })).toMatchObject({ moved: 0, retold: 0 });

    // The queue is back: the next round tells the customer, once.
    expect(await runBookingJobs(db(), new Date(), context)).toMatchObject({ moved: 0, retold: 1 });
    await vi.waitUntil(async () => (await outboxFor(d1, who.email)).length > 0, { timeout: 15_000, interval: 100 });
    const [message] = await outboxFor(d1, who.email);
    expect(message!.id).toBe(`booking.moved:${id}`);
    expect(message!.text).toContain('Votre rendez-vous');
    expect(await runBookingJobs(db(), new Date(), context)).toMatchObject({ moved: 0, retold: 0 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await outboxFor(d1, who.email)).toHaveLength(1);
  });
});

describe('the round’s queries stay on their indexes', () => {
  const plan = async (text: string, ...params: unknown[]) =>
    (await d1.prepare(`explain query plan ${text}`).bind(...params).all<{ detail: string }>()).results.map((r) => r.detail);

  it('reads offers once each and seats by (offer | office, start)', async () => {
    const now = Date.now();
    for (const details of [await plan(OFFICES_WITH_UPCOMING_SQL, now, now + 86_400_000), await plan(UPCOMING_LIVE_SEATS_SQL, 'X', now, now + 86_400_000, 10)]) {
      const reads = details.filter((d) => /^(SCAN|SEARCH) (b|bookings)\b/.test(d));
      expect(reads.length).toBeGreaterThan(0);
      for (const read of reads) expect(read).toMatch(/^SEARCH \w+ (EXISTS )?USING (COVERING )?INDEX bookings_(offer|location)_start_idx \(\w+=\? AND starts_at[<>]/);
    }
  });
});
