/**
 * No seat is given twice, under concurrency, through the real API on a
 * real D1: 100 customers asking for one slot of capacity 3 at once get
 * exactly 3 holds; and holds, confirmations, cancellations and new
 * requests racing on one slot never put more live seats in it than its
 * capacity. That is observed by a trigger this test adds to its own
 * database (it logs, at each insert, the live seats of the slot as D1 saw
 * them), not by the code under test.
 */
import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customers } from '../../db/schema';
import type { ImportedLocation } from '../../tools/imports/open-data';
import { openCustomerSession } from '../../worker/accounts/sessions';
import type { WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { addDays, instantAt, localParts } from '../../worker/hours/zoned-time';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

const SITE = 'http://localhost:8787';
const ZONE = 'Europe/Paris';
const d1 = (env as unknown as { DB: D1Database }).DB;
const WEEK: WeeklyRule[] = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day: day as 1, opens: '08:00', closes: '19:00' }));

let offices: ImportedLocation[];
let serial = 0;

async function newCustomers(n: number): Promise<Array<{ id: string; cookie: string }>> {
  const at = new Date().toISOString();
  const rows = Array.from({ length: n }, () => ({ id: `cus_${crypto.randomUUID()}`, email: `rdv.${Date.now()}.${serial++}@exemple.fr`, counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at }));
  for (const row of rows) await db().insert(customers).values(row);
  return Promise.all(rows.map(async ({ id }) => {
    const { cookie } = await openCustomerSession(db(), { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
    return { id, cookie: cookie.split(';')[0]! };
  }));
}

/** Sets one appointment offer at the office through the staff API; its id. */
async function offer(officeId: string, capacity: number, durationMinutes = 15): Promise<string> {
  const secret = await token('hours', 'office', officeId);
  const response = await request(`/api/v1/offices/${officeId}/offers`, {
    method: 'PUT',
    headers: { ...bearer(secret), 'content-type': 'application/json', 'if-match': '"0"' },
    body: JSON.stringify({ items: [{ kind: 'appointment', label: 'Conseil entreprise', duration_minutes: durationMinutes, capacity }] }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: Array<{ id: string }> }).items[0]!.id;
}

/** Tomorrow at `time`, office time. */
const tomorrowAt = (time: string) => instantAt(addDays(localParts(Date.now(), ZONE).date, 1), time, ZONE);

const bookAt = (who: { cookie: string }, officeId: string, offerId: string, startsAt: Date, key: string = crypto.randomUUID()) =>
  request(`/api/v1/offices/${officeId}/appointments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: SITE, cookie: who.cookie, 'idempotency-key': key },
    body: JSON.stringify({ offer_id: offerId, starts_at: startsAt.toISOString() }),
  });

const liveSeats = async (offerId: string, startsAt: Date) =>
  (await db().all<{ n: number }>(sql`select count(*) as n from bookings where offer_id = ${offerId} and starts_at = ${startsAt.getTime()}
    and (status = 'booked' or (status = 'held' and hold_expires_at > ${Date.now()}))`))[0]!.n;

beforeAll(async () => {
  const network = demoSample(200);
  await load(network);
  offices = network.filter((l) => l.type === 'post_office' && l.timeZone === ZONE);
  await seedSchedules(db(), offices.map((o) => ({ locationId: o.id, weekly: WEEK, exceptions: [], openOnHolidays: true })), new Date().toISOString());
  // What D1 saw when each seat was written: the live seats of its offer and start, the new one included.
  await d1.batch([
    d1.prepare('create table test_seat_log (booking_id text, offer_id text, starts_at integer, live integer)'),
    d1.prepare(`create trigger test_seat_log_insert after insert on bookings begin
      insert into test_seat_log select new.id, new.offer_id, new.starts_at,
        (select count(*) from bookings where offer_id = new.offer_id and starts_at = new.starts_at
          and (status = 'booked' or (status = 'held' and hold_expires_at > new.created_at)));
    end`),
    d1.prepare(`create trigger test_seat_log_update after update of status on bookings begin
      insert into test_seat_log select new.id, new.offer_id, new.starts_at,
        (select count(*) from bookings where offer_id = new.offer_id and starts_at = new.starts_at
          and (status = 'booked' or (status = 'held' and hold_expires_at > coalesce(new.confirmed_at, new.cancelled_at, new.created_at))));
    end`),
  ]);
});

afterAll(async () => {
  await d1.batch([
    d1.prepare('drop trigger if exists test_seat_log_insert'), d1.prepare('drop trigger if exists test_seat_log_update'), d1.prepare('drop table if exists test_seat_log'),
  ]);
});

describe('exact capacity', () => {
  it('100 customers at once against one slot of capacity 3: exactly 3 × 201, 97 × 409 with the 3 nearest free slots, 3 live rows', { timeout: 90_000 }, async () => {
    const office = offices[0]!;
    const offerId = await offer(office.id, 3);
    const slot = tomorrowAt('10:00');
    const people = await newCustomers(100);
    const started = performance.now();
    const answers = await Promise.all(people.map((who) => bookAt(who, office.id, offerId, slot)));
    const elapsed = performance.now() - started;
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 409)).toHaveLength(97);
    expect(await liveSeats(offerId, slot)).toBe(3);
    expect((await db().all<{ n: number }>(sql`select count(*) as n from bookings where offer_id = ${offerId}`))[0]!.n).toBe(3);

    const refusal = await answers.find((a) => a.status === 409)!.json() as { reason: string; alternatives: Array<{ starts_at: string; time: string }> };
    expect(refusal.reason).toBe('full');
    // 15-minute slots, all free but 10:00: 09:45 and 10:15 tie (the earlier first), then 09:30.
    expect(refusal.alternatives.map((a) => a.starts_at)).toEqual(['09:45', '10:15', '09:30'].map((t) => tomorrowAt(t).toISOString()));
    expect(refusal.alternatives.map((a) => a.time)).toEqual(['09:45', '10:15', '09:30']);

    const log = await db().all<{ live: number }>(sql`select live from test_seat_log where offer_id = ${offerId}`);
    expect(log.every((entry) => entry.live <= 3)).toBe(true);
    console.log(`100 concurrent bookings against 3 seats: ${elapsed.toFixed(0)} ms`);
  });

  it('30-minute appointments overlapping on the 15-minute grid share the advisors: never more seats at once than advisors', { timeout: 60_000 }, async () => {
    const office = offices[1]!;
    const offerId = await offer(office.id, 2, 30);
    const starts = ['10:00', '10:15', '10:30', '09:45'].map(tomorrowAt);
    const people = await newCustomers(40);
    const answers = await Promise.all(people.map((who, i) => bookAt(who, office.id, offerId, starts[i % starts.length]!)));
    expect(answers.every((a) => a.status === 201 || a.status === 409)).toBe(true);
    const seats = await db().all<{ starts_at: number; ends_at: number }>(sql`select starts_at, ends_at from bookings where offer_id = ${offerId} and status = 'held'`);
    // At every instant where a seat starts, the seats in progress (computed here) are at most 2.
    for (const seat of seats) {
      const during = seats.filter((other) => other.starts_at <= seat.starts_at && other.ends_at > seat.starts_at).length;
      expect(during).toBeLessThanOrEqual(2);
    }
    expect(seats.length).toBeGreaterThanOrEqual(2);
  });

  it('holds, confirmations, cancellations and new requests racing on one slot of capacity 2: never more than 2 live seats', { timeout: 60_000 }, async () => {
    const office = offices[2]!;
    const offerId = await offer(office.id, 2);
    const slot = tomorrowAt('11:00');
    const [first, second, ...others] = await newCustomers(22);
    const held = await Promise.all([bookAt(first!, office.id, offerId, slot), bookAt(second!, office.id, offerId, slot)]);
    expect(held.map((r) => r.status)).toEqual([201, 201]);
    const [a, b] = await Promise.all(held.map((r) => r.json() as Promise<{ id: string }>));
    const work: Promise<Response>[] = [
      request(`/api/v1/account/bookings/${a!.id}`, { method: 'DELETE', headers: { origin: SITE, cookie: first!.cookie } }),
      request(`/api/v1/account/bookings/${b!.id}/confirm`, { method: 'POST', headers: { origin: SITE, cookie: second!.cookie } }),
      ...others.map((who) => bookAt(who, office.id, offerId, slot)),
    ];
    const [cancelled, confirmed, ...requests] = await Promise.all(work);
    expect(cancelled!.status).toBe(204);
    expect(confirmed!.status).toBe(200);
    const granted = requests.filter((r) => r.status === 201).length;
    expect(requests.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    // The cancelled seat went to at most one newcomer, and to one unless every request came before the cancellation.
    expect(granted).toBeLessThanOrEqual(1);
    expect(await liveSeats(offerId, slot)).toBe(1 + granted);
    const log = await db().all<{ live: number }>(sql`select live from test_seat_log where offer_id = ${offerId}`);
    expect(log.length).toBeGreaterThanOrEqual(4);
    expect(log.every((entry) => entry.live <= 2)).toBe(true);
    // A cancelled seat is bookable at once.
    const [late] = await newCustomers(1);
    const after = await bookAt(late!, office.id, offerId, slot);
    expect(after.status).toBe(granted === 1 ? 409 : 201);
  });
});
