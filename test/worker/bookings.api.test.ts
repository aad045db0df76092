/**
 * Offers, slots and bookings through the API on a real D1: staff set what
 * an office offers (If-Match, role and scope), the public listing shows
 * the office's real slots with the seats left, a customer holds a seat
 * and confirms it, the same Idempotency-Key is the same booking, a lapsed
 * hold and a cancelled seat free their place at once, every bad input is
 * a 4xx naming its field that writes nothing, and nobody else sees or
 * touches a booking. Expected instants are computed here with `instantAt`
 * from the week this test gives the offices, not by the code under test.
 */
import { env } from 'cloudflare:workers';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { customers } from '../../db/schema';
import type { ImportedLocation } from '../../tools/imports/open-data';
import { exportAccount } from '../../worker/accounts/account';
import { openCustomerSession } from '../../worker/accounts/sessions';
import { book, confirmBooking, startsAtOf } from '../../worker/bookings/bookings';
import {
  capacitiesFit, HOLD_GRACE_MS, LIVE_BOOKINGS_SQL, LIVE_HOLDS_SQL, MAX_DURATION_MS, PEAKS_SQL, SEATS_BETWEEN_SQL, seatsBetween,
} from '../../worker/bookings/store';
import type { Database } from '../../worker/database';
import type { WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { addDays, instantAt, localParts } from '../../worker/hours/zoned-time';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

const SITE = 'http://localhost:8787';
const ZONE = 'Europe/Paris';
/** Monday to Saturday 09:00–12:00 and 14:00–18:00; closed on Sundays. Holidays: open (the test does not depend on the calendar). */
const WEEK: WeeklyRule[] = [1, 2, 3, 4, 5, 6].flatMap((day) => [
  { day: day as 1, opens: '09:00', closes: '12:00' }, { day: day as 1, opens: '14:00', closes: '18:00' },
]);
const VALID_SIRET = '443 061 841 00047';

let offices: ImportedLocation[];
let used = 0;
let serial = 0;
const freshOffice = () => offices[used++]!;

type Who = { id: string; cookie: string; name: string };
async function newCustomer(name = `Client ${serial}`): Promise<Who> {
  const at = new Date().toISOString();
  const id = `cus_${crypto.randomUUID()}`;
  await db().insert(customers).values({ id, email: `rdv.api.${Date.now()}.${serial++}@exemple.fr`, name, counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at });
  const { cookie } = await openCustomerSession(db(), { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
  return { id, cookie: cookie.split(';')[0]!, name };
}

const today = () => localParts(Date.now(), ZONE).date;
/** The next day from tomorrow on (office time) that is not a Sunday: open 09–12 and 14–18. */
function nextWorkday(after = 1): string {
  let date = addDays(today(), after);
  while (localParts(instantAt(date, '12:00', ZONE), ZONE).weekday === 7) date = addDays(date, 1);
  return date;
}
const at = (date: string, time: string) => instantAt(date, time, ZONE);

async function putOffers(officeId: string, items: unknown[], secret: string, version = '"0"') {
  return request(`/api/v1/offices/${officeId}/offers`, {
    method: 'PUT', headers: { ...bearer(secret), 'content-type': 'application/json', 'if-match': version }, body: JSON.stringify({ items }),
  });
}

/** An office with one appointment offer (15 min unless said) and one deposit offer; their ids and the manager's token. */
async function officeWithOffers(capacity = 1, duration = 15) {
  const office = freshOffice();
  const secret = await token('hours', 'office', office.id);
  const response = await putOffers(office.id, [
    { kind: 'appointment', label: 'Conseiller entreprise', duration_minutes: duration, capacity },
    { kind: 'deposit', label: 'Dépôt de colis', capacity },
  ], secret);
  expect(response.status).toBe(200);
  const body = await response.json() as { version: number; items: Array<{ id: string; kind: string }> };
  return {
    office, secret, version: body.version,
    appointment: body.items.find((i) => i.kind === 'appointment')!.id,
    deposit: body.items.find((i) => i.kind === 'deposit')!.id,
  };
}

const post = (path: string, who: Who | null, body: unknown, key: string | null = crypto.randomUUID()) =>
  request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: SITE, ...(who ? { cookie: who.cookie } : {}), ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
const appointment = (officeId: string, who: Who | null, body: unknown, key?: string | null) => post(`/api/v1/offices/${officeId}/appointments`, who, body, key);
const deposit = (officeId: string, who: Who | null, body: unknown, key?: string | null) => post(`/api/v1/offices/${officeId}/deposit-slots`, who, body, key);
const confirm = (id: string, who: Who) => request(`/api/v1/account/bookings/${id}/confirm`, { method: 'POST', headers: { origin: SITE, cookie: who.cookie } });
const cancel = (id: string, who: Who) => request(`/api/v1/account/bookings/${id}`, { method: 'DELETE', headers: { origin: SITE, cookie: who.cookie } });
const makePro = (who: Who, siret = VALID_SIRET, company = 'Atelier Dupont SARL') =>
  request('/api/v1/account/pro', { method: 'PUT', headers: { 'content-type': 'application/json', origin: SITE, cookie: who.cookie }, body: JSON.stringify({ siret, company }) });

const bookingRows = async () => (await db().all<{ n: number }>(sql`select count(*) as n from bookings`))[0]!.n;
const offerRows = async () => (await db().all<{ n: number; v: number }>(sql`select count(*) as n, coalesce(sum(version), 0) as v from office_offers`))[0]!;

type Booking = { id: string; status: string; starts_at: string; hold_expires_at: string | null; created_at: string; kind: string; time: string; date: string };

/**
 * The test database, whose first batch (the use case's write) runs `meanwhile` just before: a change
 * another request makes between the use case's reads and its write.
 */
function racing(meanwhile: () => Promise<unknown>): Database {
  const real = db();
  const client = real.$client;
  let done = false;
  const d1 = new Proxy(client, {
    get(target, name) {
      if (name === 'batch') {
        return async (statements: D1PreparedStatement[]) => {
          if (!done) { done = true; await meanwhile(); }
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, name) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return new Proxy(real, { get: (target, name) => (name === '$client' ? d1 : Reflect.get(target, name)) }) as Database;
}

/** Seats of an offer at one start that count for its customer at `now` (booked, or held with its hold running). */
const liveAt = async (offerId: string, startsAt: number, now: number) =>
  (await db().all<{ n: number }>(sql`select count(*) as n from bookings where offer_id = ${offerId} and starts_at = ${startsAt}
    and (status = 'booked' or (status = 'held' and hold_expires_at > ${now}))`))[0]!.n;

beforeAll(async () => {
  const network = demoSample(400);
  await load(network);
  offices = network.filter((l) => l.type === 'post_office' && l.timeZone === ZONE);
  await seedSchedules(db(), offices.map((o) => ({ locationId: o.id, weekly: WEEK, exceptions: [], openOnHolidays: true })), new Date().toISOString());
});

describe('offers', () => {
  it('reads the list with its version, replaces it against If-Match (428 without, 412 stale), withdraws what is left out', async () => {
    const { office, secret, version, appointment: appointmentId, deposit: depositId } = await officeWithOffers(2);
    const read = await request(`/api/v1/offices/${office.id}/offers`, { headers: bearer(secret) });
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe(`"${version}"`);
    expect(read.headers.get('cache-control')).toBe('private, no-store');
    expect(((await read.json()) as { items: unknown[] }).items).toHaveLength(2);

    const before = await offerRows();
    expect((await request(`/api/v1/offices/${office.id}/offers`, {
      method: 'PUT', headers: { ...bearer(secret), 'content-type': 'application/json' }, body: JSON.stringify({ items: [] }),
    })).status).toBe(428);
    expect((await putOffers(office.id, [], secret, `"${version + 5}"`)).status).toBe(412);
    expect(await offerRows()).toEqual(before);

    const changed = await putOffers(office.id, [{ id: appointmentId, kind: 'appointment', label: 'Conseiller pro', duration_minutes: 30, capacity: 3 }], secret, `"${version}"`);
    expect(changed.status).toBe(200);
    const body = await changed.json() as { version: number; items: Array<{ id: string; label: string; capacity: number; duration_minutes: number }> };
    expect(body.version).toBe(version + 1);
    expect(body.items).toMatchObject([{ id: appointmentId, label: 'Conseiller pro', capacity: 3, duration_minutes: 30 }]);
    // The deposit offer was withdrawn: no longer bookable, no longer listed.
    const listing = await request(`/api/v1/offices/${office.id}/slots?offer=${depositId}`);
    expect(listing.status).toBe(400);
    expect(JSON.stringify(await listing.json())).toContain('offer');
  });

  it('refuses every bad item, naming it, and writes nothing', async () => {
    const { office, secret, version } = await officeWithOffers();
    const before = await offerRows();
    const cases: Array<[unknown, string]> = [
      [{ kind: 'appointment', label: 'X', duration_minutes: 20, capacity: 1 }, 'items[0].duration_minutes'],
      [{ kind: 'appointment', label: 'X', capacity: 1 }, 'items[0].duration_minutes'],
      [{ kind: 'deposit', label: 'X', duration_minutes: 30, capacity: 1 }, 'items[0].duration_minutes'],
      [{ kind: 'deposit', label: 'X', capacity: 0 }, 'items[0].capacity'],
      [{ kind: 'deposit', label: '   ', capacity: 1 }, 'items[0].label'],
      [{ id: 'ofr_inconnue', kind: 'deposit', label: 'X', capacity: 1 }, 'items[0].id'],
    ];
    for (const [item, field] of cases) {
      const response = await putOffers(office.id, [item], secret, `"${version}"`);
      expect(response.status, field).toBe(400);
      const problem = await response.json() as { invalid_params: Array<{ name: string; reason: string }> };
      expect(problem.invalid_params.map((p) => p.name)).toContain(field);
    }
    const wrongKind = await putOffers(office.id, [{ kind: 'visit', label: 'X', capacity: 1 }], secret, `"${version}"`);
    expect(wrongKind.status).toBe(400);
    expect(await offerRows()).toEqual(before);
  });

  it('refuses a capacity below what is booked in an upcoming slot (409 naming the offer and the slot); nothing written', async () => {
    const { office, secret, version, appointment: offerId, deposit: depositId } = await officeWithOffers(2);
    const date = nextWorkday();
    const [a, b] = [await newCustomer(), await newCustomer()];
    for (const who of [a, b]) expect((await appointment(office.id, who, { offer_id: offerId, starts_at: at(date, '10:00').toISOString() })).status).toBe(201);
    const before = await offerRows();
    const lowered = await putOffers(office.id, [
      { id: offerId, kind: 'appointment', label: 'Conseiller entreprise', duration_minutes: 15, capacity: 1 },
      { id: depositId, kind: 'deposit', label: 'Dépôt de colis', capacity: 2 },
    ], secret, `"${version}"`);
    expect(lowered.status).toBe(409);
    const problem = await lowered.json() as { offer_id: string; slot: { date: string; time: string }; booked: number; capacity: number; detail: string };
    expect(problem).toMatchObject({ offer_id: offerId, slot: { date, time: '10:00' }, booked: 2, capacity: 1 });
    expect(problem.detail).toContain('Conseiller entreprise');
    // Withdrawing it is lowering it to nothing.
    expect((await putOffers(office.id, [{ id: depositId, kind: 'deposit', label: 'Dépôt de colis', capacity: 2 }], secret, `"${version}"`)).status).toBe(409);
    expect(await offerRows()).toEqual(before);
    // Two seats taken, two kept: fine.
    expect((await putOffers(office.id, [
      { id: offerId, kind: 'appointment', label: 'Conseiller entreprise', duration_minutes: 15, capacity: 2 },
    ], secret, `"${version}"`)).status).toBe(200);
  });

  it('is for the hours role in scope: counter 403, another office 403, unknown office 404, no token 401', async () => {
    const { office } = await officeWithOffers();
    const other = freshOffice();
    expect((await request(`/api/v1/offices/${office.id}/offers`, { headers: bearer(await token('counter', 'office', office.id)) })).status).toBe(403);
    expect((await request(`/api/v1/offices/${office.id}/offers`, { headers: bearer(await token('hours', 'office', other.id)) })).status).toBe(403);
    expect((await putOffers(office.id, [], await token('hours', 'office', other.id))).status).toBe(403);
    expect((await request('/api/v1/offices/NOPE0000/offers', { headers: bearer(await token('hours', 'network')) })).status).toBe(404);
    expect((await request(`/api/v1/offices/${office.id}/offers`)).status).toBe(401);
    // A département-wide manager may.
    expect((await request(`/api/v1/offices/${office.id}/offers`, { headers: bearer(await token('hours', 'department', office.department)) })).status).toBe(200);
  });
});

describe('slots', () => {
  it('lists the office’s real slots for 4 weeks with the seats left, from one day on, kept 20 s at most by a browser', async () => {
    const { office, appointment: offerId } = await officeWithOffers(2);
    const date = nextWorkday();
    const response = await request(`/api/v1/offices/${office.id}/slots?offer=${offerId}&from=${date}&days=1`);
    expect(response.status).toBe(200);
    const cache = response.headers.get('cache-control')!;
    expect(cache).toMatch(/^public/);
    const ages = [...cache.matchAll(/(?:max-age|stale-while-revalidate)=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(ages).toBeLessThanOrEqual(20);
    const body = await response.json() as { items: Array<{ date: string; time: string; remaining: number; starts_at: string }> };
    // 09:00–11:45 and 14:00–17:45 every quarter: 12 + 16 slots.
    const expected = [...Array.from({ length: 12 }, (_, i) => 9 * 60 + 15 * i), ...Array.from({ length: 16 }, (_, i) => 14 * 60 + 15 * i)]
      .map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
    expect(body.items.map((s) => s.time)).toEqual(expected);
    expect(body.items.every((s) => s.date === date && s.remaining === 2)).toBe(true);
    expect(body.items[0]!.starts_at).toBe(at(date, '09:00').toISOString());

    const who = await newCustomer();
    expect((await appointment(office.id, who, { offer_id: offerId, starts_at: `${date}T09:30` })).status).toBe(201);
    const after = await (await request(`/api/v1/offices/${office.id}/slots?offer=${offerId}&from=${date}&days=1`)).json() as { items: Array<{ time: string; remaining: number }> };
    expect(after.items.find((s) => s.time === '09:30')!.remaining).toBe(1);
    expect(after.items.filter((s) => s.remaining === 2)).toHaveLength(27);

    const whole = await (await request(`/api/v1/offices/${office.id}/slots?offer=${offerId}`)).json() as { items: Array<{ date: string }>; days: number };
    expect(whole.days).toBe(28);
    const dates = [...new Set(whole.items.map((s) => s.date))];
    expect(dates.every((d) => d >= today() && d <= addDays(today(), 27))).toBe(true);
    // No Sunday.
    expect(dates.every((d) => localParts(at(d, '12:00'), ZONE).weekday !== 7)).toBe(true);

    for (const from of ['2026-02-31', '2026-13-01', '2027-02-29']) {
      const response = await request(`/api/v1/offices/${office.id}/slots?offer=${offerId}&from=${from}`);
      expect(response.status, from).toBe(400);
      expect(((await response.json()) as { invalid_params: Array<{ name: string }> }).invalid_params.map((p) => p.name), from).toEqual(['from']);
    }
    for (const query of [`offer=${offerId}&from=${addDays(today(), 28)}`, `offer=${offerId}&days=29`, `offer=${offerId}&from=2020-01-01`, 'offer=ofr_x', `offer=${offerId}&pays=1`]) {
      expect((await request(`/api/v1/offices/${office.id}/slots?${query}`)).status, query).toBe(400);
    }
    expect((await request(`/api/v1/offices/NOPE0000/slots?offer=${offerId}`)).status).toBe(404);
  });
});

describe('booking', () => {
  it('holds an appointment for 5 minutes, confirms it, lists it, writes the history, and shows it on the counter’s day', async () => {
    const { office, appointment: offerId } = await officeWithOffers(1);
    const date = nextWorkday();
    const who = await newCustomer('Camille Martin');
    const response = await appointment(office.id, who, { offer_id: offerId, starts_at: at(date, '14:30').toISOString() });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    const held = await response.json() as Booking;
    expect(held.id).toMatch(/^RDV-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/);
    expect(held).toMatchObject({ status: 'held', kind: 'appointment', date, time: '14:30', starts_at: at(date, '14:30').toISOString() });
    expect(Date.parse(held.hold_expires_at!) - Date.parse(held.created_at)).toBe(5 * 60_000);
    // Its reference answers GET where the Location header says.
    expect(response.headers.get('location')).toBe(`/api/v1/account/bookings/${held.id}`);
    const one = await request(response.headers.get('location')!, { headers: { cookie: who.cookie } });
    expect(one.status).toBe(200);
    expect(one.headers.get('cache-control')).toBe('private, no-store');
    expect(await one.json()).toEqual(held);

    // Only held: the counter sees a seat being confirmed, not who holds it.
    const counter = await token('counter', 'office', office.id);
    const heldDay = await (await request(`/api/v1/offices/${office.id}/bookings?date=${date}`, { headers: bearer(counter) })).text();
    expect(JSON.parse(heldDay)).toMatchObject({ items: [{ id: held.id, status: 'held', customer_name: 'réservation en cours de confirmation', company: null }] });
    expect(heldDay).not.toContain('Camille');

    const confirmed = await confirm(held.id, who);
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toMatchObject({ id: held.id, status: 'booked', hold_expires_at: null });
    expect((await confirm(held.id, who)).status).toBe(200);

    const list = await request('/api/v1/account/bookings', { headers: { cookie: who.cookie } });
    expect(list.headers.get('cache-control')).toBe('private, no-store');
    expect(((await list.json()) as { items: Booking[] }).items.map((b) => [b.id, b.status])).toEqual([[held.id, 'booked']]);
    const history = JSON.stringify(await (await request('/api/v1/account/history', { headers: { cookie: who.cookie } })).json());
    expect(history).toContain('Créneau retenu en bureau');
    expect(history).toContain('Rendez-vous confirmé');
    expect(history).toContain(held.id);

    const day = await request(`/api/v1/offices/${office.id}/bookings?date=${date}`, { headers: bearer(counter) });
    expect(day.status).toBe(200);
    expect(day.headers.get('cache-control')).toBe('private, no-store');
    const text = await day.text();
    expect(JSON.parse(text)).toMatchObject({ date, items: [{ id: held.id, status: 'booked', time: '14:30', customer_name: 'Camille Martin', company: null }] });
    expect(text).not.toContain('@exemple.fr');
    expect(text).not.toContain(who.id);
  });

  it('deposit slots are for professional accounts: 403 before, 201 after the SIRET, with the company on the counter’s day', async () => {
    const { office, deposit: offerId } = await officeWithOffers(2);
    const date = nextWorkday();
    const who = await newCustomer();
    const before = await bookingRows();
    const refused = await deposit(office.id, who, { offer_id: offerId, starts_at: `${date}T15:00`, parcels: 12 });
    expect(refused.status).toBe(403);
    expect(await bookingRows()).toBe(before);
    expect((await makePro(who)).status).toBe(201);
    const response = await deposit(office.id, who, { offer_id: offerId, starts_at: `${date}T15:00`, parcels: 12 });
    expect(response.status).toBe(201);
    const held = await response.json() as Booking;
    expect(held).toMatchObject({ kind: 'deposit', parcels: 12, time: '15:00' });
    // An appointment offer is not a deposit slot, and the other way round.
    const { appointment: appointmentId } = await officeWithOffers(1);
    expect((await deposit(office.id, who, { offer_id: appointmentId, starts_at: `${date}T15:00` })).status).toBe(400);
    const dayOf = async () => (await request(`/api/v1/offices/${office.id}/bookings?date=${date}`, { headers: bearer(await token('hours', 'office', office.id)) })).json();
    expect(await dayOf()).toMatchObject({ items: [{ kind: 'deposit', company: null, customer_name: 'réservation en cours de confirmation', parcels: 12 }] });
    expect((await confirm(held.id, who)).status).toBe(200);
    expect(await dayOf()).toMatchObject({ items: [{ kind: 'deposit', company: 'Atelier Dupont SARL', parcels: 12 }] });

    // The export of the account holds the professional profile and the booking (GDPR access and portability).
    const row = (await db().select().from(customers).where(eq(customers.id, who.id)).get())!;
    const data = await exportAccount(db(), row, new Date());
    expect(data.professional_profile).toMatchObject({ siret: '44306184100047', company: 'Atelier Dupont SARL' });
    expect(data.bookings).toEqual([expect.objectContaining({
      id: held.id, kind: 'deposit', status: 'booked', location_id: office.id, offer_id: offerId, offer_label: 'Dépôt de colis', parcels: 12,
      starts_at: at(date, '15:00').toISOString(), ends_at: at(date, '15:15').toISOString(),
    })]);
  });

  it('the same Idempotency-Key is the same booking: sequentially, and 10 at once; another body with it is a 422', async () => {
    const { office, appointment: offerId } = await officeWithOffers(3);
    const date = nextWorkday();
    const who = await newCustomer();
    const body = { offer_id: offerId, starts_at: at(date, '10:15').toISOString() };
    const key = crypto.randomUUID();
    const first = await appointment(office.id, who, body, key);
    const again = await appointment(office.id, who, body, key);
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const firstBody = await first.json();
    expect(await again.json()).toEqual(firstBody);

    const burstKey = crypto.randomUUID();
    const burstBody = { offer_id: offerId, starts_at: `${date}T10:30` };
    const burst = await Promise.all(Array.from({ length: 10 }, () => appointment(office.id, who, burstBody, burstKey)));
    expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const bodies = await Promise.all(burst.map((r) => r.text()));
    expect(new Set(bodies).size).toBe(1);
    expect((await db().all<{ n: number }>(sql`select count(*) as n from bookings where customer_id = ${who.id}`))[0]!.n).toBe(2);

    const other = await appointment(office.id, who, { ...body, starts_at: at(date, '10:45').toISOString() }, key);
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ booking_id: (firstBody as Booking).id, invalid_params: [{ name: 'Idempotency-Key' }] });
    // The local form of the same instant is the same body.
    expect((await appointment(office.id, who, { ...body, starts_at: `${date}T10:15` }, key)).status).toBe(200);
  });

  it('a hold lapses after 5 minutes; its seat is free again a grace minute later; a confirmation after the 5 minutes is refused', async () => {
    const { office, appointment: offerId } = await officeWithOffers(1);
    const date = nextWorkday(2);
    const [a, b] = [await newCustomer(), await newCustomer()];
    const t0 = new Date();
    const input = { locationId: office.id, kind: 'appointment' as const, offerId, startsAt: `${date}T11:00` };
    const first = await book(db(), { ...input, customerId: a.id, requestKey: crypto.randomUUID(), now: t0 });
    expect(first).toMatchObject({ ok: true, booking: { status: 'held' } });
    const almost = await book(db(), { ...input, customerId: b.id, requestKey: crypto.randomUUID(), now: new Date(t0.getTime() + 5 * 60_000 - 1) });
    expect(almost).toMatchObject({ ok: false, problem: 'full' });
    // At its end and for the grace minute after, the lapsed hold still keeps its seat for the capacity.
    for (const after of [5 * 60_000, 5 * 60_000 + HOLD_GRACE_MS - 1]) {
      expect(await book(db(), { ...input, customerId: b.id, requestKey: crypto.randomUUID(), now: new Date(t0.getTime() + after) }), String(after))
        .toMatchObject({ ok: false, problem: 'full' });
    }
    const lapsed = await book(db(), { ...input, customerId: b.id, requestKey: crypto.randomUUID(), now: new Date(t0.getTime() + 5 * 60_000 + 61_000) });
    expect(lapsed).toMatchObject({ ok: true, booking: { status: 'held' } });

    // Through the API: a's hold, made to lapse in the table (5 minutes are not waited for), reads expired and cannot be confirmed.
    const id = (first as { booking: { id: string } }).booking.id;
    await db().run(sql`update bookings set hold_expires_at = ${Date.now() - 1} where id = ${id}`);
    const late = await confirm(id, a);
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ status: 'expired' });
  });

  it('clocks that differ between requests cannot give a seat twice: a hold seen lapsed by one request may still be confirmed by another', async () => {
    // The review's three calls, capacity 1: A holds at t0; B asks at t0 + 5 min (A's hold has just lapsed on B's clock);
    // A confirms at t0 + 5 min − 1 ms (its request's clock is 1 ms behind, so its hold still runs).
    const { office, appointment: offerId } = await officeWithOffers(1);
    const date = nextWorkday(2);
    const [a, b] = [await newCustomer(), await newCustomer()];
    const t0 = Date.now();
    const input = { locationId: office.id, kind: 'appointment' as const, offerId, startsAt: `${date}T10:45` };
    const startsAt = at(date, '10:45').getTime();
    const first = await book(db(), { ...input, customerId: a.id, requestKey: crypto.randomUUID(), now: new Date(t0) });
    expect(first).toMatchObject({ ok: true });
    const second = await book(db(), { ...input, customerId: b.id, requestKey: crypto.randomUUID(), now: new Date(t0 + 5 * 60_000) });
    expect(second).toMatchObject({ ok: false, problem: 'full' });
    const confirmed = await confirmBooking(db(), { customerId: a.id, bookingId: (first as { booking: { id: string } }).booking.id, now: new Date(t0 + 5 * 60_000 - 1) });
    expect(confirmed).toMatchObject({ ok: true, booking: { status: 'booked' } });
    // At every instant of the scenario, the seats live for their customers never exceed the capacity.
    for (const now of [t0, t0 + 5 * 60_000 - 1, t0 + 5 * 60_000, t0 + 5 * 60_000 + 61_000]) expect(await liveAt(offerId, startsAt, now), String(now - t0)).toBeLessThanOrEqual(1);
    // And with A booked, B is refused later on too.
    expect(await book(db(), { ...input, customerId: b.id, requestKey: crypto.randomUUID(), now: new Date(t0 + 5 * 60_000 + 61_000) })).toMatchObject({ ok: false, problem: 'full' });
  });

  it('a slot already under way cannot be confirmed, though its hold still runs', async () => {
    const { office, appointment: offerId } = await officeWithOffers(1);
    const date = nextWorkday();
    const who = await newCustomer();
    const slot = at(date, '10:00').getTime();
    const held = await book(db(), { customerId: who.id, locationId: office.id, kind: 'appointment', offerId, startsAt: `${date}T10:00`, requestKey: crypto.randomUUID(), now: new Date(slot - 2 * 60_000) });
    expect(held).toMatchObject({ ok: true, booking: { status: 'held' } });
    const id = (held as { booking: { id: string; holdExpiresAt: number } }).booking.id;
    expect((held as { booking: { holdExpiresAt: number } }).booking.holdExpiresAt).toBe(slot + 3 * 60_000);
    expect(await confirmBooking(db(), { customerId: who.id, bookingId: id, now: new Date(slot) })).toMatchObject({ ok: false, problem: 'closed' });
    expect(await confirmBooking(db(), { customerId: who.id, bookingId: id, now: new Date(slot + 60_000) })).toMatchObject({ ok: false, problem: 'closed' });
    expect((await db().all<{ status: string }>(sql`select status from bookings where id = ${id}`))[0]!.status).toBe('held');
    expect(await confirmBooking(db(), { customerId: who.id, bookingId: id, now: new Date(slot - 1) })).toMatchObject({ ok: true, booking: { status: 'booked' } });
  });

  it('two holds await confirmation at most: a third is a 409 saying to confirm or cancel one; confirming one frees the way', async () => {
    const { office, appointment: offerId } = await officeWithOffers(2);
    const date = nextWorkday();
    const who = await newCustomer();
    const first = await (await appointment(office.id, who, { offer_id: offerId, starts_at: `${date}T09:00` })).json() as Booking;
    expect((await appointment(office.id, who, { offer_id: offerId, starts_at: `${date}T09:15` })).status).toBe(201);
    const before = await bookingRows();
    const third = await appointment(office.id, who, { offer_id: offerId, starts_at: `${date}T09:30` });
    expect(third.status).toBe(409);
    const problem = await third.json() as { reason: string; detail: string };
    expect(problem.reason).toBe('too_many_holds');
    expect(problem.detail).toMatch(/confirmez-en ou annulez-en une/);
    expect(await bookingRows()).toBe(before);
    expect((await confirm(first.id, who)).status).toBe(200);
    expect((await appointment(office.id, who, { offer_id: offerId, starts_at: `${date}T09:30` })).status).toBe(201);
  });

  it('a deposit is decided professional inside the write: an account no longer professional by then gets a 403’s refusal, no seat', async () => {
    const { office, deposit: offerId } = await officeWithOffers(2);
    const date = nextWorkday();
    const who = await newCustomer();
    expect((await makePro(who)).status).toBe(201);
    const before = await bookingRows();
    const result = await book(racing(() => db().run(sql`delete from pro_profiles where customer_id = ${who.id}`)), {
      customerId: who.id, locationId: office.id, kind: 'deposit', offerId, startsAt: `${date}T15:00`, parcels: 3, requestKey: crypto.randomUUID(), now: new Date(),
    });
    expect(result).toMatchObject({ ok: false, problem: 'not_professional' });
    expect(await bookingRows()).toBe(before);
  });

  it('an offer withdrawn between the read and the write is named as such, not "full"; one changed is booked as it now is', async () => {
    const { office, appointment: offerId } = await officeWithOffers(2);
    const date = nextWorkday();
    const who = await newCustomer();
    const input = { customerId: who.id, locationId: office.id, kind: 'appointment' as const, offerId, startsAt: `${date}T10:00`, now: new Date() };
    const before = await bookingRows();
    const withdrawn = await book(racing(() => db().run(sql`update office_offers set active = 0, version = version + 1 where id = ${offerId}`)),
      { ...input, requestKey: crypto.randomUUID() });
    expect(withdrawn).toMatchObject({ ok: false, problem: 'invalid', field: 'offer_id' });
    expect(await bookingRows()).toBe(before);

    const other = await officeWithOffers(2);
    const changed = await book(racing(() => db().run(sql`update office_offers set duration_minutes = 30, version = version + 1 where id = ${other.appointment}`)),
      { ...input, locationId: other.office.id, offerId: other.appointment, requestKey: crypto.randomUUID() });
    expect(changed).toMatchObject({ ok: true });
    const booking = (changed as { booking: { startsAt: number; endsAt: number } }).booking;
    expect(booking.endsAt - booking.startsAt).toBe(30 * 60_000);
  });

  it('a cancelled seat is bookable at once', async () => {
    const { office, appointment: offerId } = await officeWithOffers(1);
    const date = nextWorkday();
    const [a, b] = [await newCustomer(), await newCustomer()];
    const body = { offer_id: offerId, starts_at: `${date}T16:00` };
    const held = await (await appointment(office.id, a, body)).json() as Booking;
    expect((await confirm(held.id, a)).status).toBe(200);
    expect((await appointment(office.id, b, body)).status).toBe(409);
    expect((await cancel(held.id, a)).status).toBe(204);
    expect((await cancel(held.id, a)).status).toBe(204);
    expect((await appointment(office.id, b, body)).status).toBe(201);
    const history = JSON.stringify(await (await request('/api/v1/account/history', { headers: { cookie: a.cookie } })).json());
    expect(history).toContain('Rendez-vous annulé');
  });
});

describe('bad input: a 4xx naming the field, nothing written', () => {
  it('past, closed, off the grid, beyond 4 weeks, nonexistent local time, unknown office or offer, bad body, no key', async () => {
    const { office, appointment: offerId } = await officeWithOffers(1);
    const date = nextWorkday();
    const who = await newCustomer();
    const sunday = (() => { let d = addDays(today(), 1); while (localParts(at(d, '12:00'), ZONE).weekday !== 7) d = addDays(d, 1); return d; })();
    const before = await bookingRows();
    const cases: Array<[unknown, number, string, string?]> = [
      [{ offer_id: offerId, starts_at: `${addDays(today(), -1)}T10:00` }, 400, 'starts_at', 'past'],
      [{ offer_id: offerId, starts_at: `${date}T12:30` }, 400, 'starts_at', 'closed'],
      [{ offer_id: offerId, starts_at: `${date}T11:50` }, 400, 'starts_at', 'off_grid'],
      [{ offer_id: offerId, starts_at: `${date}T19:00` }, 400, 'starts_at', 'closed'],
      [{ offer_id: offerId, starts_at: `${sunday}T10:00` }, 400, 'starts_at', 'closed'],
      [{ offer_id: offerId, starts_at: `${nextWorkday(35)}T10:00` }, 400, 'starts_at', 'beyond_horizon'],
      [{ offer_id: offerId, starts_at: 'demain 10h' }, 400, 'starts_at'],
      [{ offer_id: offerId, starts_at: `${date}T10:00`, parcels: 3 }, 400, 'parcels'],
      [{ offer_id: 'ofr_inconnue', starts_at: `${date}T10:00` }, 400, 'offer_id'],
      [{ offer_id: offerId, starts_at: `${date}T10:00`, extra: 1 }, 400, 'extra'],
      [{ offer_id: offerId }, 400, 'starts_at'],
    ];
    for (const [body, status, field, reason] of cases) {
      const response = await appointment(office.id, who, body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      const problem = await response.json() as { invalid_params: Array<{ name: string; reason: string }>; reason?: string };
      expect(problem.invalid_params.map((p) => p.name), JSON.stringify(body)).toContain(field);
      if (reason) expect(problem.reason).toBe(reason);
    }
    const noKey = await appointment(office.id, who, { offer_id: offerId, starts_at: `${date}T10:00` }, null);
    expect(noKey.status).toBe(400);
    expect(await noKey.json()).toMatchObject({ invalid_params: [{ name: 'Idempotency-Key' }] });
    expect((await appointment('NOPE0000', who, { offer_id: offerId, starts_at: `${date}T10:00` })).status).toBe(404);
    expect((await appointment(office.id, null, { offer_id: offerId, starts_at: `${date}T10:00` })).status).toBe(401);
    expect(await bookingRows()).toBe(before);
  });
});

describe('starts_at', () => {
  it('reads an instant with its offset, or the office’s wall clock; a wall-clock time skipped by the change of time is refused', () => {
    // 2027-03-28: Paris goes from 02:00 to 03:00 (last Sunday of March); 2027-10-31: from 03:00 back to 02:00.
    expect(startsAtOf('2027-03-28T02:30', ZONE)).toMatchObject({ ok: false, reason: expect.stringContaining('changement d’heure') });
    expect(startsAtOf('2027-03-28T03:00', ZONE)).toEqual({ ok: true, at: Date.parse('2027-03-28T01:00:00Z') });
    expect(startsAtOf('2027-03-28T01:45', ZONE)).toEqual({ ok: true, at: Date.parse('2027-03-28T00:45:00Z') });
    expect(startsAtOf('2026-12-01T10:30', ZONE)).toEqual({ ok: true, at: Date.parse('2026-12-01T09:30:00Z') });
    expect(startsAtOf('2026-12-01T10:30:00+01:00', 'America/Cayenne')).toEqual({ ok: true, at: Date.parse('2026-12-01T09:30:00Z') });
    expect(startsAtOf('2026-12-01T10:30', 'America/Cayenne')).toEqual({ ok: true, at: Date.parse('2026-12-01T13:30:00Z') });
    for (const bad of ['2026-02-30T10:00', '2026-12-01T24:00', '2026-12-01', '10:30', '2026-12-01T10:30+1']) expect(startsAtOf(bad, ZONE).ok, bad).toBe(false);
  });
});

describe('security', () => {
  it('another customer cannot see, confirm or cancel my booking (404, as for none); staff outside the scope see no day', async () => {
    const { office, appointment: offerId } = await officeWithOffers(2);
    const date = nextWorkday();
    const [me, them] = [await newCustomer(), await newCustomer()];
    const mine = await (await appointment(office.id, me, { offer_id: offerId, starts_at: `${date}T09:15` })).json() as Booking;
    expect((await confirm(mine.id, them)).status).toBe(404);
    expect((await cancel(mine.id, them)).status).toBe(404);
    expect((await confirm('RDV-ZZZZZZZZ', them)).status).toBe(404);
    expect((await request(`/api/v1/account/bookings/${mine.id}`, { headers: { cookie: them.cookie } })).status).toBe(404);
    expect((await request('/api/v1/account/bookings/RDV-ZZZZZZZZ', { headers: { cookie: me.cookie } })).status).toBe(404);
    expect((await request(`/api/v1/account/bookings/${mine.id}`)).status).toBe(401);
    const theirs = await (await request('/api/v1/account/bookings', { headers: { cookie: them.cookie } })).json() as { items: Booking[] };
    expect(theirs.items).toEqual([]);
    expect((await request(`/api/v1/account/bookings/${mine.id}`, { method: 'DELETE', headers: { cookie: me.cookie } })).status).toBe(403);
    const [row] = await db().all<{ status: string }>(sql`select status from bookings where id = ${mine.id}`);
    expect(row!.status).toBe('held');

    const other = freshOffice();
    expect((await request(`/api/v1/offices/${office.id}/bookings?date=${date}`, { headers: bearer(await token('counter', 'office', other.id)) })).status).toBe(403);
    expect((await request(`/api/v1/offices/${office.id}/bookings?date=${date}`, { headers: bearer(await token('exceptions', 'office', office.id)) })).status).toBe(403);
    expect((await request(`/api/v1/offices/NOPE0000/bookings`, { headers: bearer(await token('counter', 'network')) })).status).toBe(404);
    expect((await request(`/api/v1/offices/${office.id}/bookings?date=2026-02-30`, { headers: bearer(await token('counter', 'office', office.id)) })).status).toBe(400);
  });

  it('the counter’s day is read within a year of today: 9999-12-31 is a 400 naming `date`', async () => {
    const { office } = await officeWithOffers(1);
    const counter = bearer(await token('counter', 'office', office.id));
    for (const [date, status] of [['9999-12-31', 400], ['0001-01-01', 400], [addDays(today(), 367), 400], [addDays(today(), -367), 400],
      [addDays(today(), 365), 200], [addDays(today(), -365), 200]] as const) {
      const response = await request(`/api/v1/offices/${office.id}/bookings?date=${date}`, { headers: counter });
      expect(response.status, date).toBe(status);
      if (status === 400) expect(((await response.json()) as { invalid_params: Array<{ name: string }> }).invalid_params.map((p) => p.name)).toEqual(['date']);
    }
  });

  it('wrong methods on the booking routes are a 405 with Allow', async () => {
    const { office } = await officeWithOffers(1);
    const who = await newCustomer();
    const cases: Array<[string, string, string]> = [
      ['PUT', '/api/v1/account/bookings', 'GET, HEAD'],
      ['PATCH', '/api/v1/account/bookings/RDV-ZZZZZZZZ', 'GET, HEAD, DELETE'],
      ['GET', '/api/v1/account/bookings/RDV-ZZZZZZZZ/confirm', 'POST'],
      ['GET', `/api/v1/offices/${office.id}/appointments`, 'POST'],
      ['DELETE', `/api/v1/offices/${office.id}/deposit-slots`, 'POST'],
      ['POST', `/api/v1/offices/${office.id}/slots`, 'GET, HEAD'],
      ['DELETE', `/api/v1/offices/${office.id}/bookings`, 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const response = await request(path, { method, headers: { origin: SITE, cookie: who.cookie } });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get('allow'), `${method} ${path}`).toBe(allow);
    }
  });
});

describe('the queries stay on their indexes', () => {
  const d1 = (env as unknown as { DB: D1Database }).DB;
  const plan = async (text: string, ...params: unknown[]) =>
    (await d1.prepare(`explain query plan ${text}`).bind(...params).all<{ detail: string }>()).results.map((r) => r.detail);
  /** Every read of `bookings` in the plan: a SEARCH on an index bounded on starts_at (no SCAN, no search on the customer or office alone). */
  const boundedOnStart = (details: string[]) => {
    const reads = details.filter((d) => /^(SCAN|SEARCH) (b|o|c|h|bookings)\b/.test(d));
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) expect(read).toMatch(/^SEARCH \w+ USING (COVERING )?INDEX bookings_\w+_start_idx \(\w+=\? AND starts_at[<>]/);
  };

  it('the office’s peaks, the capacities check, the customer’s live seats and holds, the listing', async () => {
    const now = Date.now();
    boundedOnStart(await plan(PEAKS_SQL, 'X', now));
    boundedOnStart(await plan(`select 1 where ${capacitiesFit('?2')}`, 'X', JSON.stringify([['ofr_x', 1]]), now));
    boundedOnStart(await plan(LIVE_BOOKINGS_SQL, 'cus_x', now));
    boundedOnStart(await plan(LIVE_HOLDS_SQL, 'cus_x', now));
    boundedOnStart(await plan(SEATS_BETWEEN_SQL, 'ofr_x', now - MAX_DURATION_MS, now + 86_400_000, now, now));
  });

  it('the listing reads one row per occupied slot, with its count, not one per seat', async () => {
    const { office, appointment: offerId } = await officeWithOffers(3);
    const date = nextWorkday();
    for (let i = 0; i < 3; i++) expect((await appointment(office.id, await newCustomer(), { offer_id: offerId, starts_at: `${date}T11:00` })).status).toBe(201);
    expect((await appointment(office.id, await newCustomer(), { offer_id: offerId, starts_at: `${date}T11:15` })).status).toBe(201);
    const from = at(date, '09:00').getTime();
    // Each group carries its earliest hold's end (all four are holds): the listing holds until then plus the grace minute.
    const holds = await db().all<{ startsAt: number; until: number }>(sql`select starts_at as startsAt, min(hold_expires_at) as until from bookings where offer_id = ${offerId} group by starts_at order by starts_at`);
    expect(await seatsBetween(db(), offerId, from, at(date, '18:00').getTime(), Date.now())).toEqual([
      { startsAt: at(date, '11:00').getTime(), endsAt: at(date, '11:15').getTime(), seats: 3, heldUntil: holds[0]!.until },
      { startsAt: at(date, '11:15').getTime(), endsAt: at(date, '11:30').getTime(), seats: 1, heldUntil: holds[1]!.until },
    ]);
    const listing = await (await request(`/api/v1/offices/${office.id}/slots?offer=${offerId}&from=${date}&days=1`)).json() as { items: Array<{ time: string; remaining: number }> };
    expect(listing.items.filter((s) => s.remaining !== 3)).toEqual([expect.objectContaining({ time: '11:00', remaining: 0 }), expect.objectContaining({ time: '11:15', remaining: 2 })]);
  });
});
