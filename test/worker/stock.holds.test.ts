/**
 * Reserve and collect, on a real D1 and the local queue, through the API
 * as the site calls it: a hold taken until the office closes tomorrow, its
 * confirmation in the outbox; the same Idempotency-Key is the same hold;
 * cancelling frees the units at once; a clerk marks a hold collected once
 * under a double click (the count goes down once, audited once); roles and
 * scopes; every bad input gets its 4xx and writes nothing; the cron marks
 * expired holds and sends the reminder of the last day, respecting quiet
 * hours. Expected instants are computed here from the office's week, with
 * `instantAt`, not by the code under test.
 */
import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { customers } from '../../db/schema';
import { demoCatalogue, type DemoProduct } from '../../tools/demo/catalogue';
import type { ImportedLocation } from '../../tools/imports/open-data';
import { openCustomerSession } from '../../worker/accounts/sessions';
import { configOf, type QueueProducer } from '../../worker/config';
import type { HoursException, WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { addDays, instantAt, localParts } from '../../worker/hours/zoned-time';
import { outboxFor } from '../../worker/messages/outbox';
import { cancelHold, reserveHold } from '../../worker/stock/holds';
import { runHoldJobs } from '../../worker/stock/jobs';
import { feedRowsRefresh } from '../../worker/stock/inventory-feed';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

const SITE = 'http://localhost:8787';
const d1 = (env as unknown as { DB: D1Database }).DB;
const SAFETY = configOf(env).stockSafetyUnits;
const ZONE = 'Europe/Paris';
/** Every day 08:00–19:00, holidays too: tomorrow always opens, and closes at 19:00. */
const WEEK: WeeklyRule[] = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day: day as 1, opens: '08:00', closes: '19:00' }));

const catalogue = demoCatalogue();
const onShelves = catalogue.filter((p) => p.counter && !p.withdrawn);
const withdrawn = catalogue.find((p) => p.withdrawn)!;
let serial = 0;
/** A product of the counter range no other test uses. */
const freshProduct = (): DemoProduct => onShelves[serial++ % onShelves.length]!;

let network: ImportedLocation[];
/** Post offices in Paris time, each test taking its own. */
let offices: ImportedLocation[];
let officeIndex = 0;
const freshOffice = () => offices[officeIndex++]!;

type Customer = { id: string; email: string; cookie: string };

async function newCustomer(quiet?: { start: string; end: string }): Promise<Customer> {
  const id = `cus_${crypto.randomUUID()}`;
  const email = `resa.${Date.now()}.${serial++}@exemple.fr`;
  const at = new Date().toISOString();
  await db().insert(customers).values({ id, email, counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at, ...(quiet ? { quietStart: quiet.start, quietEnd: quiet.end } : {}) });
  const { cookie } = await openCustomerSession(db(), { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
  return { id, email, cookie: cookie.split(';')[0]! };
}

/** Puts `quantity` units of `sku` on the office's shelf (a count), with its feed row. */
async function shelve(locationId: string, sku: string, quantity: number) {
  const at = Date.now();
  await d1.batch([
    d1.prepare(`insert into location_stock (location_id, sku, quantity, counted_at, version, updated_at) values (?1, ?2, ?3, ?4, 1, ?4)
      on conflict (location_id, sku) do update set quantity = excluded.quantity, version = location_stock.version + 1`).bind(locationId, sku, quantity, at),
    feedRowsRefresh(d1, [{ locationId, sku }], at, SAFETY),
  ]);
}

const reserve = (who: Customer, body: unknown, key: string | null = crypto.randomUUID(), extra: Record<string, string> = {}) =>
  request('/api/v1/account/reservations', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: SITE, cookie: who.cookie, ...(key === null ? {} : { 'idempotency-key': key }), ...extra },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const cancel = (who: Customer, id: string, origin = SITE) => request(`/api/v1/account/reservations/${id}`, { method: 'DELETE', headers: { origin, cookie: who.cookie } });

type HoldAnswer = { id: string; sku: string; location_id: string; quantity: number; status: string; expires_at: string; deadline: string };
type ProblemAnswer = { status: number; detail: string; type: string; reason?: string; invalid_params?: { name: string; reason: string }[]; alternatives?: Array<{ location_id: string; name: string; distance: number; band: string; path: string; reserve_path: string }>; closed_until?: string | null; hold_id?: string; sellable?: number };

const count = async (query: ReturnType<typeof sql>) => (await db().all<{ n: number }>(query))[0]!.n;
const liveHeld = (locationId: string, sku: string) =>
  count(sql`select coalesce(sum(quantity), 0) as n from stock_holds where location_id = ${locationId} and sku = ${sku} and status = 'active' and expires_at > ${Date.now()}`);
const feedQuantity = async (locationId: string, sku: string) =>
  (await db().all<{ quantity: number }>(sql`select quantity from inventory_feed where location_id = ${locationId} and sku = ${sku}`))[0]?.quantity;

/** Tomorrow (office time) at 19:00: the deadline of a hold taken today at a place open every day until 19:00. */
const tomorrowClosing = (now = Date.now()) => instantAt(addDays(localParts(now, ZONE).date, 1), '19:00', ZONE);

/** A queue that records what is sent and with which delay (the local queue's delays cannot be observed). */
function recordingQueue() {
  const sent: Array<{ body: { id: string; subject: string; text: string; to: string }; delaySeconds: number }> = [];
  const queue: QueueProducer = {
    async send(body: unknown, options?: { delaySeconds?: number }) {
      sent.push({ body: body as never, delaySeconds: options?.delaySeconds ?? 0 });
    },
  } as QueueProducer;
  return { queue, sent };
}

function distanceM(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}

beforeAll(async () => {
  network = demoSample(600);
  await load(network);
  offices = network.filter((l) => l.type === 'post_office' && l.timeZone === ZONE);
  const now = new Date().toISOString();
  await seedSchedules(db(), offices.map((o) => ({ locationId: o.id, weekly: WEEK, exceptions: [], openOnHolidays: true })), now);
  await d1.prepare(`insert into products (sku, name, kind, price_cents, description, sold_online, online_stock, withdrawn_at, updated_at)
    select j.value ->> '$.sku', j.value ->> '$.name', j.value ->> '$.kind', j.value ->> '$.priceCents', j.value ->> '$.description',
      j.value ->> '$.soldOnline', j.value ->> '$.onlineStock', case when j.value ->> '$.withdrawn' then ?2 end, ?2
    from json_each(?1) j where true on conflict (sku) do nothing`)
    .bind(JSON.stringify(catalogue.map((p) => ({ ...p, soldOnline: p.soldOnline ? 1 : 0, withdrawn: p.withdrawn ? 1 : 0 }))), Date.now()).run();
});

describe('reserving', () => {
  it('holds units until the office closes tomorrow, sends the confirmation, and shows the hold in the list and the history', async () => {
    const office = freshOffice();
    const product = freshProduct();
    await shelve(office.id, product.sku, 5);
    const who = await newCustomer({ start: '00:00', end: '00:00' });
    const before = Date.now();
    const response = await reserve(who, { sku: product.sku, location_id: office.id, quantity: 2 });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    const hold = await response.json() as HoldAnswer;
    expect(hold).toMatchObject({ sku: product.sku, location_id: office.id, quantity: 2, status: 'active' });
    expect(hold.id).toMatch(/^RSV-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/);
    expect(new Date(hold.expires_at)).toEqual(tomorrowClosing(before));
    // 5 counted − 1 safety − 2 held.
    expect(await feedQuantity(office.id, product.sku)).toBe(5 - SAFETY - 2);

    await vi.waitUntil(async () => (await outboxFor(d1, who.email)).length > 0, { timeout: 15_000, interval: 100 });
    const [message] = await outboxFor(d1, who.email);
    expect(message!.id).toBe(`hold:${hold.id}:confirmed`);
    expect(message!.text).toContain(`2 × ${product.name}`);
    expect(message!.text).toContain(office.name);
    expect(message!.text).toContain(`${office.postcode} ${office.commune}`);
    expect(message!.text).toContain(`À retirer avant le ${hold.deadline}`);
    expect(hold.deadline).toMatch(/^(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d{1,2} \S+( \d{4})? à 19:00$/);
    expect(message!.text).toContain(hold.id);
    expect(message!.text).toContain(`${SITE}/compte/reservations`);

    const list = await request('/api/v1/account/reservations', { headers: { cookie: who.cookie } });
    expect(((await list.json()) as { items: HoldAnswer[] }).items.map((h) => h.id)).toEqual([hold.id]);
    const history = JSON.stringify(await (await request('/api/v1/account/history', { headers: { cookie: who.cookie } })).json());
    expect(history).toContain('Article réservé en bureau');
    expect(history).toContain(office.name);
    expect(history).not.toContain(who.email);
  });

  it('is idempotent on the Idempotency-Key: the same key is the same hold, even after it was cancelled; another body is a 422', async () => {
    const office = freshOffice();
    const product = freshProduct();
    await shelve(office.id, product.sku, 10);
    const who = await newCustomer();
    const key = crypto.randomUUID();
    const body = { sku: product.sku, location_id: office.id, quantity: 1 };
    const [first, second] = await Promise.all([reserve(who, body, key), reserve(who, body, key)]);
    expect([first.status, second.status].sort()).toEqual([200, 201]);
    const [a, b] = [await first.json() as HoldAnswer, await second.json() as HoldAnswer];
    expect(a.id).toBe(b.id);
    expect([first, second].find((r) => r.status === 200)!.headers.get('idempotent-replayed')).toBe('true');
    expect(await count(sql`select count(*) as n from stock_holds where customer_id = ${who.id}`)).toBe(1);

    const other = await reserve(who, { ...body, quantity: 2 }, key);
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ type: '/api/problems/unprocessable', hold_id: a.id });

    expect((await cancel(who, a.id)).status).toBe(204);
    const again = await reserve(who, body, key);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: a.id, status: 'cancelled' });
    expect(await count(sql`select count(*) as n from stock_holds where customer_id = ${who.id}`)).toBe(1);
    // A new key is a new hold.
    expect((await reserve(who, body)).status).toBe(201);
  });

  it('refuses more than is free (409, with the nearest offices that have enough), and counts a hold past its deadline for nothing', async () => {
    // The office with the most other offices within 50 km (a product of its own keeps this test apart from the others).
    const around = (o: ImportedLocation) => offices.filter((p) => p.id !== o.id && distanceM(o, p) <= 50_000);
    const office = [...offices].sort((a, b) => around(b).length - around(a).length)[0]!;
    const product = freshProduct();
    // The four other offices nearest it, by great-circle distance computed here.
    const within = around(office).sort((a, b) => distanceM(office, a) - distanceM(office, b)).slice(0, 4);
    expect(within.length).toBe(4);
    await shelve(office.id, product.sku, 3);
    // The nearest has too little for 2 (1 free), the others enough.
    for (const [i, o] of within.entries()) await shelve(o.id, product.sku, i === 0 ? 1 + SAFETY : 10);
    const who = await newCustomer();
    const refused = await reserve(who, { sku: product.sku, location_id: office.id, quantity: 3 });
    expect(refused.status).toBe(409);
    const problem = await refused.json() as ProblemAnswer;
    expect(problem).toMatchObject({ type: '/api/problems/conflict', reason: 'not_enough', sellable: 3 - SAFETY });
    expect(problem.detail).toContain(`plus que ${3 - SAFETY}`);
    const expected = within.slice(1, 4).map((o) => o.id);
    expect(problem.alternatives!.map((a) => a.location_id)).toEqual(expected);
    for (const alternative of problem.alternatives!) {
      const o = within.find((w) => w.id === alternative.location_id)!;
      expect(alternative.name).toBe(o.name);
      expect(Math.abs(alternative.distance - distanceM(office, o))).toBeLessThan(50);
      expect(alternative.band).toBe('in_stock');
      expect(alternative.path).toMatch(new RegExp(`^/bureaux/.+-${o.id.toLowerCase()}$`));
      expect(alternative.reserve_path).toBe(`/boutique/${product.sku}/reserver?lieu=${o.id}`);
    }
    expect(await count(sql`select count(*) as n from stock_holds where customer_id = ${who.id}`)).toBe(0);

    // 2 units free: a hold of 2 is taken; a hold of 1 more is refused; once that hold is past its deadline, the same asks succeed (before any cron).
    const messages = recordingQueue();
    const taken = await reserveHold(db(), { customer: { id: who.id, email: who.email, quietStart: '21:00', quietEnd: '08:00', timeZone: ZONE }, sku: product.sku, locationId: office.id, quantity: 2, requestKey: crypto.randomUUID(), now: new Date(), safety: SAFETY, messages: { ...messages, origin: SITE } });
    expect(taken.ok).toBe(true);
    const more = { customer: { id: who.id, email: who.email, quietStart: '21:00', quietEnd: '08:00', timeZone: ZONE }, sku: product.sku, locationId: office.id, quantity: 1, safety: SAFETY, messages: { ...messages, origin: SITE } };
    expect(await reserveHold(db(), { ...more, requestKey: crypto.randomUUID(), now: new Date() })).toMatchObject({ ok: false, problem: 'not_enough', sellable: 0 });
    const afterDeadline = new Date(tomorrowClosing().getTime() + 60_000);
    expect(await reserveHold(db(), { ...more, requestKey: crypto.randomUUID(), now: afterDeadline })).toMatchObject({ ok: true });
  });

  it('limits a customer to 10 live holds, also when they come at once', async () => {
    const office = freshOffice();
    const product = freshProduct();
    await shelve(office.id, product.sku, 100);
    const who = await newCustomer();
    const answers = await Promise.all(Array.from({ length: 14 }, () => reserve(who, { sku: product.sku, location_id: office.id, quantity: 1 })));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 409)).toHaveLength(4);
    expect(JSON.stringify(await answers.find((a) => a.status === 409)!.json())).toContain('10 réservations en cours');
  });
});

describe('bad input: a clear 4xx, nothing written', () => {
  it('answers each with its status and field, and writes no hold', async () => {
    const office = freshOffice();
    const product = freshProduct();
    await shelve(office.id, product.sku, 10);
    const elsewhere = freshOffice();
    await shelve(elsewhere.id, product.sku, 10);
    const who = await newCustomer();
    const body = { sku: product.sku, location_id: office.id, quantity: 1 };

    for (const quantity of [0, -1, 1.5, 11, 1e9, '2', null, 'deux']) {
      const response = await reserve(who, { ...body, quantity });
      expect(response.status, `quantity ${JSON.stringify(quantity)}`).toBe(400);
      expect(((await response.json()) as ProblemAnswer).invalid_params!.map((p) => p.name)).toEqual(['quantity']);
    }
    // A number too large for a double, and no quantity at all.
    for (const raw of [`{"sku":"${product.sku}","location_id":"${office.id}","quantity":1e400}`, `{"sku":"${product.sku}","location_id":"${office.id}"}`]) {
      const response = await reserve(who, raw);
      expect(response.status).toBe(400);
      expect(((await response.json()) as ProblemAnswer).invalid_params!.map((p) => p.name)).toEqual(['quantity']);
    }
    const unknownField = await reserve(who, { ...body, colour: 'bleu' });
    expect(unknownField.status).toBe(400);
    expect((await reserve(who, 'pas du json')).status).toBe(400);

    const noKey = await reserve(who, body, null);
    expect(noKey.status).toBe(400);
    expect(((await noKey.json()) as ProblemAnswer).invalid_params![0]!.name).toBe('Idempotency-Key');
    const shortKey = await reserve(who, body, 'abc');
    expect(shortKey.status).toBe(400);
    expect(((await shortKey.json()) as ProblemAnswer).invalid_params![0]!.name).toBe('Idempotency-Key');

    expect((await reserve(who, { ...body, sku: 'ZZ-INCONNU-1' })).status).toBe(404);
    expect((await reserve(who, { ...body, sku: 'pas un sku' })).status).toBe(404);
    expect((await reserve(who, { ...body, location_id: 'Z999999' })).status).toBe(404);

    // Not sold there: the office keeps no count of it.
    const other = onShelves.find((p) => p.sku !== product.sku)!;
    const notHere = await reserve(who, { ...body, sku: other.sku });
    expect(notHere.status).toBe(409);
    expect(await notHere.json()).toMatchObject({ reason: 'not_sold_here' });

    // Withdrawn from the catalogue, even where a shelf still has some.
    await shelve(office.id, withdrawn.sku, 10);
    const gone = await reserve(who, { ...body, sku: withdrawn.sku });
    expect(gone.status).toBe(409);
    expect(((await gone.json()) as ProblemAnswer).detail).toContain('n’est plus vendu');

    // Signed out, and from another site.
    expect((await request('/api/v1/account/reservations', { method: 'POST', headers: { 'content-type': 'application/json', origin: SITE, 'idempotency-key': crypto.randomUUID() }, body: JSON.stringify(body) })).status).toBe(401);
    expect((await reserve(who, body, crypto.randomUUID(), { origin: 'https://evil.example' })).status).toBe(403);

    expect(await count(sql`select count(*) as n from stock_holds where customer_id = ${who.id}`)).toBe(0);
    expect(await count(sql`select count(*) as n from customer_history where customer_id = ${who.id} and kind like 'hold.%'`)).toBe(0);
  });

  it('refuses an office closed on each of the next 14 days, naming until when', async () => {
    const office = freshOffice();
    const product = freshProduct();
    await shelve(office.id, product.sku, 10);
    const today = localParts(Date.now(), ZONE).date;
    const works: HoursException = { id: `works-${office.id}`, startDate: addDays(today, 1), endDate: addDays(today, 20), closed: true, intervals: [], reason: 'works', note: null };
    await d1.prepare('delete from location_hours where location_id = ?').bind(office.id).run();
    await seedSchedules(db(), [{ locationId: office.id, weekly: WEEK, exceptions: [works], openOnHolidays: true }], new Date().toISOString());
    const who = await newCustomer();
    const response = await reserve(who, { sku: product.sku, location_id: office.id, quantity: 1 });
    expect(response.status).toBe(409);
    const problem = await response.json() as ProblemAnswer;
    expect(problem.reason).toBe('closed');
    expect(problem.closed_until).toBe(instantAt(addDays(today, 21), '08:00', ZONE).toISOString());
    expect(problem.detail).toMatch(/fermé jusqu’au \S+ \d{1,2} \S+( \d{4})? \(réouverture à 08:00\)/);
  });
});

describe('cancelling', () => {
  it('frees the units at once, only for the hold’s own customer', async () => {
    const office = freshOffice();
    const product = freshProduct();
    await shelve(office.id, product.sku, 2 + SAFETY);
    const [ann, bob] = [await newCustomer(), await newCustomer()];
    const held = await reserve(ann, { sku: product.sku, location_id: office.id, quantity: 2 });
    expect(held.status).toBe(201);
    const { id } = await held.json() as HoldAnswer;
    expect((await reserve(bob, { sku: product.sku, location_id: office.id, quantity: 1 })).status).toBe(409);
    expect(await feedQuantity(office.id, product.sku)).toBe(0);

    expect((await cancel(bob, id)).status).toBe(404);
    expect((await cancel(ann, id, 'https://evil.example')).status).toBe(403);
    expect((await cancel(ann, id)).status).toBe(204);
    expect(await feedQuantity(office.id, product.sku)).toBe(2);
    expect((await reserve(bob, { sku: product.sku, location_id: office.id, quantity: 1 })).status).toBe(201);
    // Again: nothing more happens.
    expect((await cancel(ann, id)).status).toBe(204);
    expect(await count(sql`select count(*) as n from customer_history where customer_id = ${ann.id} and kind = 'hold.cancelled'`)).toBe(1);
    expect((await cancel(ann, 'RSV-AAAAAAAA')).status).toBe(404);
  });
});

describe('staff: holds at an office, collected or not', () => {
  const listAt = (locationId: string, secret?: string) => request(`/api/v1/locations/${locationId}/holds`, { headers: secret ? bearer(secret) : {} });
  const mark = (locationId: string, holdId: string, what: 'collected' | 'not-collected', secret: string) =>
    request(`/api/v1/locations/${locationId}/holds/${holdId}/${what}`, { method: 'POST', headers: bearer(secret) });

  it('collects once under a double click: the count goes down once, audited once, in the customer’s history at this counter', async () => {
    const office = freshOffice();
    const product = freshProduct();
    await shelve(office.id, product.sku, 8);
    const who = await newCustomer();
    const { id } = await (await reserve(who, { sku: product.sku, location_id: office.id, quantity: 3 })).json() as HoldAnswer;
    const clerk = await token('counter', 'office', office.id);
    const list = await listAt(office.id, clerk);
    expect(list.status).toBe(200);
    expect(list.headers.get('cache-control')).toBe('private, no-store');
    expect(((await list.json()) as { items: HoldAnswer[] }).items.map((h) => h.id)).toEqual([id]);
    const versionBefore = (await db().all<{ version: number }>(sql`select version from location_stock where location_id = ${office.id} and sku = ${product.sku}`))[0]!.version;

    const answers = await Promise.all([mark(office.id, id, 'collected', clerk), mark(office.id, id, 'collected', clerk), mark(office.id, id, 'collected', await token('hours', 'department', office.department))]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const bodies = await Promise.all(answers.map((a) => a.json() as Promise<{ already: boolean; status: string }>));
    expect(bodies.filter((b) => !b.already)).toHaveLength(1);
    expect(bodies.every((b) => b.status === 'collected')).toBe(true);

    const [row] = await db().all<{ quantity: number; version: number }>(sql`select quantity, version from location_stock where location_id = ${office.id} and sku = ${product.sku}`);
    expect(row).toEqual({ quantity: 5, version: versionBefore + 1 });
    expect(await db().all(sql`select before, after, source from stock_audit where location_id = ${office.id} and sku = ${product.sku}`)).toEqual([{ before: 8, after: 5, source: 'collected' }]);
    expect(await count(sql`select count(*) as n from staff_audit where action = 'hold.collected' and subject = ${id} and location_id = ${office.id}`)).toBe(1);
    const history = await db().all<{ channel: string; location_name: string }>(sql`select channel, location_name from customer_history where customer_id = ${who.id} and kind = 'hold.collected'`);
    expect(history).toEqual([{ channel: 'counter', location_name: office.name }]);
    // The sheet's version moved; the feed says what is left: 5 − safety.
    expect(await count(sql`select version as n from stock_sheets where location_id = ${office.id}`)).toBeGreaterThanOrEqual(1);
    expect(await feedQuantity(office.id, product.sku)).toBe(5 - SAFETY);
    // Done: it cannot be marked not collected, nor cancelled, and leaves the office's list.
    expect((await mark(office.id, id, 'not-collected', clerk)).status).toBe(409);
    expect((await cancel(who, id)).status).toBe(409);
    expect(((await (await listAt(office.id, clerk)).json()) as { items: unknown[] }).items).toEqual([]);
  });

  it('marks a hold not collected once, freeing its units', async () => {
    const office = freshOffice();
    const product = freshProduct();
    await shelve(office.id, product.sku, 1 + SAFETY);
    const who = await newCustomer();
    const { id } = await (await reserve(who, { sku: product.sku, location_id: office.id, quantity: 1 })).json() as HoldAnswer;
    expect(await feedQuantity(office.id, product.sku)).toBe(0);
    const clerk = await token('counter', 'office', office.id);
    const [first, second] = await Promise.all([mark(office.id, id, 'not-collected', clerk), mark(office.id, id, 'not-collected', clerk)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await feedQuantity(office.id, product.sku)).toBe(1);
    expect(await count(sql`select count(*) as n from staff_audit where action = 'hold.not_collected' and subject = ${id}`)).toBe(1);
    expect(await count(sql`select quantity as n from location_stock where location_id = ${office.id} and sku = ${product.sku}`)).toBe(1 + SAFETY);
    expect((await mark(office.id, id, 'collected', clerk)).status).toBe(409);
  });

  it('lets only the counter and hours roles act, within their scope', async () => {
    const office = freshOffice();
    const other = offices.find((o) => o.id !== office.id && o.department !== office.department)!;
    const product = freshProduct();
    await shelve(office.id, product.sku, 5);
    await shelve(other.id, product.sku, 5);
    const who = await newCustomer();
    const { id } = await (await reserve(who, { sku: product.sku, location_id: office.id, quantity: 1 })).json() as HoldAnswer;
    const { id: otherId } = await (await reserve(who, { sku: product.sku, location_id: other.id, quantity: 1 })).json() as HoldAnswer;

    expect((await listAt(office.id)).status).toBe(401);
    expect((await listAt(office.id, await token('exceptions', 'office', office.id))).status).toBe(403);
    expect((await listAt(office.id, await token('counter', 'office', other.id))).status).toBe(403);
    expect((await listAt(office.id, await token('hours', 'department', other.department))).status).toBe(403);
    expect((await listAt(office.id, await token('hours', 'network'))).status).toBe(200);
    expect((await listAt('Z999999', await token('hours', 'network'))).status).toBe(404);

    const clerk = await token('counter', 'office', office.id);
    expect((await mark(office.id, id, 'collected', await token('exceptions', 'network'))).status).toBe(403);
    expect((await mark(other.id, otherId, 'collected', clerk)).status).toBe(403);
    // Another office's hold through this office's address: not here.
    expect((await mark(office.id, otherId, 'collected', clerk)).status).toBe(404);
    expect((await mark(office.id, 'RSV-AAAAAAAA', 'collected', clerk)).status).toBe(404);
    expect((await mark(office.id, 'n-importe-quoi', 'collected', clerk)).status).toBe(404);
    expect(await count(sql`select count(*) as n from stock_holds where id in (${id}, ${otherId}) and status = 'active'`)).toBe(2);
  });
});

describe('the cron', () => {
  it('marks expired the holds past their deadline (feed and history), only them', async () => {
    const office = freshOffice();
    const product = freshProduct();
    await shelve(office.id, product.sku, 4 + SAFETY);
    const who = await newCustomer();
    const { id, expires_at } = await (await reserve(who, { sku: product.sku, location_id: office.id, quantity: 4 })).json() as HoldAnswer;
    const context = { ...recordingQueue(), origin: SITE, safety: SAFETY };
    await runHoldJobs(db(), new Date(Date.parse(expires_at) - 60_000), context);
    expect(await count(sql`select count(*) as n from stock_holds where id = ${id} and status = 'active'`)).toBe(1);
    expect(await feedQuantity(office.id, product.sku)).toBe(0);

    const report = await runHoldJobs(db(), new Date(Date.parse(expires_at) + 60_000), context);
    expect(report.expired).toBeGreaterThanOrEqual(1);
    expect(await count(sql`select count(*) as n from stock_holds where id = ${id} and status = 'expired'`)).toBe(1);
    expect(await feedQuantity(office.id, product.sku)).toBe(4);
    await runHoldJobs(db(), new Date(Date.parse(expires_at) + 120_000), context);
    expect(await count(sql`select count(*) as n from customer_history where customer_id = ${who.id} and kind = 'hold.expired'`)).toBe(1);
    const list = ((await (await request('/api/v1/account/reservations', { headers: { cookie: who.cookie } })).json()) as { items: HoldAnswer[] }).items;
    expect(list.map((h) => [h.id, h.status])).toEqual([[id, 'expired']]);
  });

  it('reminds at 09:00 on the last day, once, after the customer’s quiet hours, and never a cancelled hold', async () => {
    const office = freshOffice();
    const product = freshProduct();
    await shelve(office.id, product.sku, 10);
    // Quiet until 10:00 Paris time: the 09:00 reminder waits an hour.
    const late = await newCustomer({ start: '21:00', end: '10:00' });
    const early = await newCustomer({ start: '23:30', end: '07:00' });
    const recipient = (c: Customer, quiet: [string, string]) => ({ id: c.id, email: c.email, quietStart: quiet[0], quietEnd: quiet[1], timeZone: ZONE });
    const confirmations = recordingQueue();
    // Reserved today at 23:00 Paris time: the hold runs to tomorrow's 19:00; the reminder is due at 09:00 tomorrow.
    const today = localParts(Date.now(), ZONE).date;
    const evening = instantAt(today, '23:00', ZONE);
    const reserveAt = (c: Customer, quiet: [string, string]) => reserveHold(db(), {
      customer: recipient(c, quiet), sku: product.sku, locationId: office.id, quantity: 1, requestKey: crypto.randomUUID(), now: evening, safety: SAFETY, messages: { ...confirmations, origin: SITE },
    });
    const [a, b, c] = [await reserveAt(late, ['21:00', '10:00']), await reserveAt(early, ['23:30', '07:00']), await reserveAt(early, ['23:30', '07:00'])];
    if (!a.ok || !b.ok || !c.ok) throw new Error('reservations refused');
    // The confirmations: at 23:00, inside the first customer's quiet hours (until 10:00 the next morning), before the second's.
    const nextMorning = addDays(today, 1);
    expect(confirmations.sent.map((s) => [s.body.id, s.delaySeconds])).toEqual([
      [`hold:${a.hold.id}:confirmed`, (instantAt(nextMorning, '10:00', ZONE).getTime() - evening.getTime()) / 1000],
      [`hold:${b.hold.id}:confirmed`, 0],
      [`hold:${c.hold.id}:confirmed`, 0],
    ]);
    expect(await cancelHold(db(), { customerId: early.id, holdId: c.hold.id, now: evening, safety: SAFETY })).toMatchObject({ ok: true });

    const nine = instantAt(nextMorning, '09:00', ZONE).getTime();
    const reminders = recordingQueue();
    const context = { ...reminders, origin: SITE, safety: SAFETY };
    expect((await runHoldJobs(db(), new Date(nine - 60_000), context)).reminded).toBe(0);
    const due = new Date(nine + 5 * 60_000);
    const [run1, run2] = await Promise.all([runHoldJobs(db(), due, context), runHoldJobs(db(), due, context)]);
    expect(run1.reminded + run2.reminded).toBe(2);
    expect(reminders.sent.map((s) => [s.body.id, s.delaySeconds]).sort()).toEqual([
      [`hold:${a.hold.id}:reminder`, (instantAt(nextMorning, '10:00', ZONE).getTime() - due.getTime()) / 1000],
      [`hold:${b.hold.id}:reminder`, 0],
    ].sort());
    const reminder = reminders.sent.find((s) => s.body.id === `hold:${b.hold.id}:reminder`)!.body;
    expect(reminder.to).toBe(early.email);
    expect(reminder.text).toContain(office.name);
    expect(reminder.text).toContain('19:00');
    expect((await runHoldJobs(db(), new Date(nine + 20 * 60_000), context)).reminded).toBe(0);
    expect(reminders.sent).toHaveLength(2);
  });

  it('gives a reminder back to the next run when the queue fails', async () => {
    const office = freshOffice();
    const product = freshProduct();
    await shelve(office.id, product.sku, 10);
    const who = await newCustomer();
    const today = localParts(Date.now(), ZONE).date;
    const taken = await reserveHold(db(), {
      customer: { id: who.id, email: who.email, quietStart: '21:00', quietEnd: '08:00', timeZone: ZONE }, sku: product.sku, locationId: office.id, quantity: 1,
      requestKey: crypto.randomUUID(), now: instantAt(today, '12:00', ZONE), safety: SAFETY, messages: { ...recordingQueue(), origin: SITE },
    });
    if (!taken.ok) throw new Error('refused');
    const due = new Date(instantAt(addDays(today, 1), '09:00', ZONE).getTime() + 60_000);
    const broken = { queue: { send: async () => { throw new Error('queue down'); } } as unknown as QueueProducer, origin: SITE, safety: SAFETY };
    expect((await runHoldJobs(db(), due, broken)).reminded).toBe(0);
    const working = recordingQueue();
    expect((await runHoldJobs(db(), new Date(due.getTime() + 15 * 60_000), { ...working, origin: SITE, safety: SAFETY })).reminded).toBe(1);
    expect(working.sent[0]!.body.id).toBe(`hold:${taken.hold.id}:reminder`);
  });
});

describe('the OpenAPI document', () => {
  it('describes the reservation routes, the Idempotency-Key header and the staff marks', async () => {
    const document = await (await request('/api/openapi.json')).json() as { paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string; required?: boolean }>; responses?: Record<string, unknown> }>> };
    expect(Object.keys(document.paths['/api/v1/account/reservations'] ?? {}).sort()).toEqual(['get', 'post']);
    const reserving = document.paths['/api/v1/account/reservations']!.post!;
    expect(reserving.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }));
    expect(Object.keys(reserving.responses ?? {}).sort()).toEqual(['200', '201', '400', '401', '403', '404', '409', '422']);
    expect(Object.keys(document.paths['/api/v1/account/reservations/{id}'] ?? {})).toEqual(['delete']);
    expect(Object.keys(document.paths['/api/v1/locations/{id}/holds'] ?? {})).toEqual(['get']);
    expect(Object.keys(document.paths['/api/v1/locations/{id}/holds/{hold}/collected'] ?? {})).toEqual(['post']);
    expect(Object.keys(document.paths['/api/v1/locations/{id}/holds/{hold}/not-collected'] ?? {})).toEqual(['post']);
  });
});
