/**
 * The slots listing kept at the edge (worker/edge/resources.ts): a listing
 * asked again is the edge's copy, and every write to the offer's seats,
 * whatever path makes it (the API, the cron's moves, a SQL statement),
 * changes the key, so the very next listing shows it. Expectations come
 * from what the test itself booked, cancelled or wrote, and from the
 * capacity it set, never from the listing code.
 */
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { customers } from '../../db/schema';
import type { ImportedLocation } from '../../tools/imports/open-data';
import { openCustomerSession } from '../../worker/accounts/sessions';
import { listingHoldsUntil } from '../../worker/bookings/bookings';
import { forgetKeptAnswers } from '../../worker/edge/kept-answers';
import { HOLD_GRACE_MS } from '../../worker/bookings/store';
import type { WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { addDays, instantAt, localParts } from '../../worker/hours/zoned-time';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

const SITE = 'http://localhost:8787';
const ZONE = 'Europe/Paris';
const d1 = (env as unknown as { DB: D1Database }).DB;
/** Monday to Saturday 09:00–12:00 and 14:00–18:00. */
const WEEK: WeeklyRule[] = [1, 2, 3, 4, 5, 6].flatMap((day) => [
  { day: day as 1, opens: '09:00', closes: '12:00' }, { day: day as 1, opens: '14:00', closes: '18:00' },
]);

let offices: ImportedLocation[];
let used = 0;
let serial = 0;

beforeAll(async () => {
  const network = demoSample(400);
  await load(network);
  offices = network.filter((l) => l.type === 'post_office' && l.timeZone === ZONE);
  await seedSchedules(db(), offices.map((o) => ({ locationId: o.id, weekly: WEEK, exceptions: [], openOnHolidays: true })), new Date().toISOString());
});

type Who = { id: string; cookie: string };
async function newCustomer(): Promise<Who> {
  const at = new Date().toISOString();
  const id = `cus_${crypto.randomUUID()}`;
  await db().insert(customers).values({ id, email: `rdv.edge.${Date.now()}.${serial++}@exemple.fr`, name: 'Client', counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at });
  const { cookie } = await openCustomerSession(db(), { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
  return { id, cookie: cookie.split(';')[0]! };
}

/** The next day from tomorrow on (office time) that is not a Sunday. */
function nextWorkday(): string {
  let date = addDays(localParts(Date.now(), ZONE).date, 2);
  while (localParts(instantAt(date, '12:00', ZONE), ZONE).weekday === 7) date = addDays(date, 1);
  return date;
}

async function putOffers(officeId: string, secret: string, ifMatch: string, capacity: number, id?: string) {
  const response = await request(`/api/v1/offices/${officeId}/offers`, {
    method: 'PUT', headers: { ...bearer(secret), 'content-type': 'application/json', 'if-match': ifMatch },
    body: JSON.stringify({ items: [{ ...(id ? { id } : {}), kind: 'appointment', label: 'Conseiller entreprise', duration_minutes: 15, capacity }] }),
  });
  expect(response.status).toBe(200);
  const body = await response.json() as { version: number; items: Array<{ id: string }> };
  return { version: body.version, offerId: body.items[0]!.id };
}

async function officeWithOffer(capacity: number) {
  const office = offices[used++]!;
  const manager = await token('hours', 'office', office.id);
  const { version, offerId } = await putOffers(office.id, manager, '"0"', capacity);
  return { office, manager, version, offerId };
}

type Listing = { edge: string | undefined; copy: string | undefined; remaining: Map<string, number> };
/** One listing: whether the edge answered, and the seats left per local `date Thh:mm`. */
async function listing(officeId: string, offerId: string, query = ''): Promise<Listing> {
  const response = await request(`/api/v1/offices/${officeId}/slots?offer=${offerId}${query}`);
  expect(response.status).toBe(200);
  const body = await response.json() as { items: Array<{ date: string; time: string; remaining: number }> };
  return {
    edge: /edge;desc=(\w+)/.exec(response.headers.get('server-timing') ?? '')?.[1],
    copy: /edge-copy;desc=(\w+)/.exec(response.headers.get('server-timing') ?? '')?.[1],
    remaining: new Map(body.items.map((slot) => [`${slot.date}T${slot.time}`, slot.remaining])),
  };
}

const bookSlot = (officeId: string, offerId: string, who: Who, startsAt: string) => request(`/api/v1/offices/${officeId}/appointments`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', origin: SITE, cookie: who.cookie, 'idempotency-key': crypto.randomUUID() },
  body: JSON.stringify({ offer_id: offerId, starts_at: startsAt }),
});

describe('the slots listing at the edge', () => {
  it('is the edge’s copy while no seat moves; a hold, a cancellation and a new capacity each show in the very next listing', async () => {
    const { office, manager, version, offerId } = await officeWithOffer(2);
    const slot = `${nextWorkday()}T10:00`;
    const first = await listing(office.id, offerId);
    expect(first.remaining.get(slot)).toBe(2);
    const again = await listing(office.id, offerId);
    expect(again.edge).toBe('hit');
    expect(again.remaining).toEqual(first.remaining);
    // Kept in the isolate only (decision 96): once it forgets, the listing is computed again, not found in the Cache API.
    expect(again.copy).toBe('isolate');
    forgetKeptAnswers();
    expect((await listing(office.id, offerId)).edge).toBe('miss');

    const who = await newCustomer();
    const made = await bookSlot(office.id, offerId, who, slot);
    expect(made.status).toBe(201);
    const afterHold = await listing(office.id, offerId);
    expect(afterHold.edge).toBe('miss');
    expect(afterHold.remaining.get(slot)).toBe(1);
    expect((await listing(office.id, offerId)).edge).toBe('hit');

    const id = (await made.json() as { id: string }).id;
    const cancelled = await request(`/api/v1/account/bookings/${id}`, { method: 'DELETE', headers: { origin: SITE, cookie: who.cookie } });
    expect(cancelled.status).toBe(204);
    const afterCancel = await listing(office.id, offerId);
    expect(afterCancel.edge).toBe('miss');
    expect(afterCancel.remaining.get(slot)).toBe(2);

    await putOffers(office.id, manager, `"${version}"`, 3, offerId);
    const afterCapacity = await listing(office.id, offerId);
    expect(afterCapacity.edge).toBe('miss');
    expect(afterCapacity.remaining.get(slot)).toBe(3);
  });

  it('moves its key with a seat written by any path: inserted, updated or deleted in SQL, or by an account deletion’s cascade (the triggers of migration 0016)', async () => {
    const { office, offerId } = await officeWithOffer(1);
    const who = await newCustomer();
    const day = nextWorkday();
    const startsAt = instantAt(day, '15:00', ZONE).getTime();
    const slot = `${day}T15:00`;
    const seatsVersion = async () => (await d1.prepare('select seats_version as v from office_offers where id = ?').bind(offerId).first<{ v: number }>())!.v;
    await listing(office.id, offerId);
    expect((await listing(office.id, offerId)).edge).toBe('hit');

    const before = await seatsVersion();
    const now = Date.now();
    await d1.prepare(`insert into bookings (id, customer_id, location_id, offer_id, kind, starts_at, ends_at, status, hold_expires_at, request_key, created_at)
      values ('RDV-EDGESQL1', ?1, ?2, ?3, 'appointment', ?4, ?5, 'booked', ?6, 'edge-sql-1', ?6)`)
      .bind(who.id, office.id, offerId, startsAt, startsAt + 15 * 60_000, now).run();
    expect(await seatsVersion()).toBe(before + 1);
    let seen = await listing(office.id, offerId);
    expect(seen).toMatchObject({ edge: 'miss' });
    expect(seen.remaining.get(slot)).toBe(0);

    // A column that frees or takes nothing leaves the key alone.
    await d1.prepare('update bookings set moved_told_at = ?1 where id = ?2').bind(now, 'RDV-EDGESQL1').run();
    expect(await seatsVersion()).toBe(before + 1);
    expect((await listing(office.id, offerId)).edge).toBe('hit');

    await d1.prepare(`update bookings set status = 'cancelled', cancelled_at = ?1 where id = ?2`).bind(now, 'RDV-EDGESQL1').run();
    expect(await seatsVersion()).toBe(before + 2);
    seen = await listing(office.id, offerId);
    expect(seen.edge).toBe('miss');
    expect(seen.remaining.get(slot)).toBe(1);

    await d1.prepare(`update bookings set status = 'booked' where id = ?1`).bind('RDV-EDGESQL1').run();
    expect((await listing(office.id, offerId)).remaining.get(slot)).toBe(0);
    await d1.prepare('delete from bookings where id = ?1').bind('RDV-EDGESQL1').run();
    expect(await seatsVersion()).toBe(before + 4);
    seen = await listing(office.id, offerId);
    expect(seen.edge).toBe('miss');
    expect(seen.remaining.get(slot)).toBe(1);

    // An account deleted: its seats go by the foreign key's cascade, and the triggers fire for them too.
    await d1.prepare(`insert into bookings (id, customer_id, location_id, offer_id, kind, starts_at, ends_at, status, hold_expires_at, request_key, created_at)
      values ('RDV-EDGESQL2', ?1, ?2, ?3, 'appointment', ?4, ?5, 'booked', ?6, 'edge-sql-2', ?6)`)
      .bind(who.id, office.id, offerId, startsAt, startsAt + 15 * 60_000, now).run();
    expect((await listing(office.id, offerId)).remaining.get(slot)).toBe(0);
    expect((await listing(office.id, offerId)).edge).toBe('hit');
    await d1.prepare('delete from customers where id = ?1').bind(who.id).run();
    expect(await d1.prepare('select count(*) as n from bookings where id = ?1').bind('RDV-EDGESQL2').first<{ n: number }>()).toEqual({ n: 0 });
    expect(await seatsVersion()).toBe(before + 6);
    seen = await listing(office.id, offerId);
    expect(seen.edge).toBe('miss');
    expect(seen.remaining.get(slot)).toBe(1);
  });

  it('is kept only until a hold it counts lapses, which writes nothing', async () => {
    const { office, offerId } = await officeWithOffer(1);
    const who = await newCustomer();
    const day = nextWorkday();
    const startsAt = instantAt(day, '16:00', ZONE).getTime();
    const slot = `${day}T16:00`;
    // A hold that lapsed 55 s ago: it still counts for the grace minute (HOLD_GRACE_MS), about 5 s more.
    const now = Date.now();
    const countsUntil = now - 55_000 + HOLD_GRACE_MS;
    await d1.prepare(`insert into bookings (id, customer_id, location_id, offer_id, kind, starts_at, ends_at, status, hold_expires_at, request_key, created_at)
      values ('RDV-EDGELAP1', ?1, ?2, ?3, 'appointment', ?4, ?5, 'held', ?6, 'edge-lapse-1', ?7)`)
      .bind(who.id, office.id, offerId, startsAt, startsAt + 15 * 60_000, now - 55_000, now - 355_000).run();
    expect((await listing(office.id, offerId)).remaining.get(slot)).toBe(0);
    const kept = await listing(office.id, offerId);
    expect(kept).toMatchObject({ edge: 'hit' });
    expect(kept.remaining.get(slot)).toBe(0);
    // Past the grace minute (and the edge's whole seconds), nothing written: the next listing is computed again and the seat is free.
    await new Promise((resolve) => setTimeout(resolve, countsUntil - Date.now() + 1_500));
    const after = await listing(office.id, offerId);
    expect(after.edge).toBe('miss');
    expect(after.remaining.get(slot)).toBe(1);
  }, 20_000);

  it('holds until its first slot starts or its earliest counted hold lapses, 15 minutes at most', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 2_000_000_000_000 }),
      fc.array(fc.integer({ min: 1, max: 3 * 3_600_000 }), { maxLength: 5 }),
      fc.array(fc.option(fc.integer({ min: -HOLD_GRACE_MS + 1, max: 3_600_000 }), { nil: null }), { maxLength: 5 }),
      (now, starts, holds) => {
        const slots = [...starts].sort((a, b) => a - b).map((offset) => ({ startsAt: now + offset, endsAt: now + offset + 900_000, date: '', time: '' }));
        const seats = holds.map((offset) => ({ startsAt: now, endsAt: now + 900_000, seats: 1, heldUntil: offset === null ? null : now + offset }));
        const expected = Math.min(now + 15 * 60_000, ...starts.map((offset) => now + offset), ...holds.filter((o) => o !== null).map((o) => now + o! + 60_000));
        expect(listingHoldsUntil(slots, seats, now)).toBe(expected);
      },
    ));
  });

  it('never keeps a refusal, an unknown parameter or a repeated one', async () => {
    const { office, offerId } = await officeWithOffer(1);
    const edgeOf = async (path: string) => /edge;desc=(\w+)/.exec((await request(path)).headers.get('server-timing') ?? '')?.[1];
    for (const path of [
      `/api/v1/offices/${office.id}/slots?offer=ofr_nobody`,
      `/api/v1/offices/${office.id}/slots?offer=${offerId}&days=99`,
      `/api/v1/offices/${office.id}/slots?offer=${offerId}&jour=1`,
      `/api/v1/offices/${office.id}/slots?offer=${offerId}&offer=${offerId}`,
      `/api/v1/offices/${offices.at(-1)!.id}/slots?offer=${offerId}`,
    ]) {
      await edgeOf(path);
      expect(await edgeOf(path), path).not.toBe('hit');
    }
  });

  it('shows every booking answered before it was asked, with listings racing the bookings', async () => {
    const { office, offerId } = await officeWithOffer(1);
    const day = nextWorkday();
    const times = ['09:00', '09:15', '09:30', '09:45', '10:00', '10:15', '10:30', '10:45', '11:00', '11:15', '14:00', '14:15', '14:30', '14:45', '15:00', '15:15'];
    const people = await Promise.all(times.map(() => newCustomer()));
    const racing = Promise.all(Array.from({ length: 24 }, () => listing(office.id, offerId)));
    const answers = await Promise.all(times.map((time, i) => bookSlot(office.id, offerId, people[i]!, `${day}T${time}`)));
    await racing;
    const booked = times.filter((_, i) => answers[i]!.status === 201);
    expect(booked).toHaveLength(times.length);
    const after = await listing(office.id, offerId);
    for (const time of times) expect(after.remaining.get(`${day}T${time}`), time).toBe(0);
    expect(after.remaining.get(`${day}T16:00`)).toBe(1);
  });
});
