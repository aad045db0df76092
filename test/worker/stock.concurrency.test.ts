/**
 * No unit is held twice, under concurrency, through the real API on a real
 * D1: 50 customers reserving at once against a counted stock of 10 (plus
 * the safety stock) get exactly 10 holds; and reservations racing staff
 * recounts that lower the shelf never take a hold that the count, at the
 * moment the hold was written, could not cover. That moment is observed by
 * a trigger this test adds to its own database (it logs, at each insert,
 * the count and the live holds as D1 saw them), not by the code under test.
 */
import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customers } from '../../db/schema';
import { demoCatalogue } from '../../tools/demo/catalogue';
import type { ImportedLocation } from '../../tools/imports/open-data';
import { openCustomerSession } from '../../worker/accounts/sessions';
import { configOf } from '../../worker/config';
import type { WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { findStaffByToken } from '../../worker/staff/tokens';
import { recordCount } from '../../worker/stock/counts';
import { feedRowsRefresh } from '../../worker/stock/inventory-feed';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { token } from './staff';

const SITE = 'http://localhost:8787';
const d1 = (env as unknown as { DB: D1Database }).DB;
const SAFETY = configOf(env).stockSafetyUnits;
const WEEK: WeeklyRule[] = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day: day as 1, opens: '08:00', closes: '19:00' }));
const products = demoCatalogue().filter((p) => p.counter && !p.withdrawn);

let offices: ImportedLocation[];
let serial = 0;

async function newCustomers(n: number): Promise<Array<{ id: string; cookie: string }>> {
  const at = new Date().toISOString();
  const rows = Array.from({ length: n }, () => ({ id: `cus_${crypto.randomUUID()}`, email: `course.${Date.now()}.${serial++}@exemple.fr`, counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at }));
  for (const row of rows) await db().insert(customers).values(row);
  return Promise.all(rows.map(async ({ id }) => {
    const { cookie } = await openCustomerSession(db(), { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
    return { id, cookie: cookie.split(';')[0]! };
  }));
}

async function shelve(locationId: string, sku: string, quantity: number) {
  const at = Date.now();
  await d1.batch([
    d1.prepare('insert into location_stock (location_id, sku, quantity, counted_at, version, updated_at) values (?1, ?2, ?3, ?4, 1, ?4)').bind(locationId, sku, quantity, at),
    feedRowsRefresh(d1, [{ locationId, sku }], at, SAFETY),
  ]);
}

const reserve = (who: { cookie: string }, sku: string, locationId: string, quantity = 1) =>
  request('/api/v1/account/reservations', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: SITE, cookie: who.cookie, 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify({ sku, location_id: locationId, quantity }),
  });

const liveHeld = async (locationId: string, sku: string) =>
  (await db().all<{ n: number }>(sql`select coalesce(sum(quantity), 0) as n from stock_holds where location_id = ${locationId} and sku = ${sku} and status = 'active' and expires_at > ${Date.now()}`))[0]!.n;

beforeAll(async () => {
  const network = demoSample(200);
  await load(network);
  offices = network.filter((l) => l.type === 'post_office' && l.timeZone === 'Europe/Paris');
  await seedSchedules(db(), offices.map((o) => ({ locationId: o.id, weekly: WEEK, exceptions: [], openOnHolidays: true })), new Date().toISOString());
  await d1.prepare(`insert into products (sku, name, kind, price_cents, description, sold_online, online_stock, updated_at)
    select j.value ->> '$.sku', j.value ->> '$.name', j.value ->> '$.kind', j.value ->> '$.priceCents', j.value ->> '$.description', 1, 0, ?2
    from json_each(?1) j where true on conflict (sku) do nothing`).bind(JSON.stringify(products), Date.now()).run();
  // What D1 saw when each hold was written: the count, and the live holds with the new one.
  await d1.batch([
    d1.prepare('create table test_hold_log (hold_id text, location_id text, sku text, counted integer, live integer)'),
    d1.prepare(`create trigger test_hold_log_insert after insert on stock_holds begin
      insert into test_hold_log select new.id, new.location_id, new.sku,
        (select quantity from location_stock where location_id = new.location_id and sku = new.sku),
        (select sum(quantity) from stock_holds where location_id = new.location_id and sku = new.sku and status = 'active' and expires_at > new.created_at);
    end`),
  ]);
  // A warm isolate, as in production: the locator's gazetteer (read by a refusal's alternatives) is loaded once, before the races.
  const [someone] = await newCustomers(1);
  await shelve(offices[3]!.id, products[3]!.sku, SAFETY);
  expect((await reserve(someone!, products[3]!.sku, offices[3]!.id)).status).toBe(409);
});

afterAll(async () => {
  await d1.batch([d1.prepare('drop trigger if exists test_hold_log_insert'), d1.prepare('drop table if exists test_hold_log')]);
});

describe('no overselling', () => {
  it('50 customers at once against 10 units (plus the safety stock): exactly 10 holds, 40 refusals', { timeout: 60_000 }, async () => {
    const office = offices[0]!;
    const sku = products[0]!.sku;
    await shelve(office.id, sku, 10 + SAFETY);
    const people = await newCustomers(50);
    const started = performance.now();
    const answers = await Promise.all(people.map((who) => reserve(who, sku, office.id)));
    const elapsed = performance.now() - started;
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 409)).toHaveLength(40);
    const refusal = await answers.find((a) => a.status === 409)!.json() as { reason: string; sellable: number };
    expect(refusal).toMatchObject({ reason: 'not_enough', sellable: 0 });
    expect(await liveHeld(office.id, sku)).toBe(10);
    const [{ quantity }] = await db().all<{ quantity: number }>(sql`select quantity from inventory_feed where location_id = ${office.id} and sku = ${sku}`);
    expect(quantity).toBe(0);
    console.log(`50 concurrent reservations against 10 units: ${elapsed.toFixed(0)} ms`);
  });

  it('50 customers asking 1 to 3 units at once against 20: never more held than 20', { timeout: 60_000 }, async () => {
    const office = offices[1]!;
    const sku = products[1]!.sku;
    await shelve(office.id, sku, 20 + SAFETY);
    const people = await newCustomers(50);
    const answers = await Promise.all(people.map((who, i) => reserve(who, sku, office.id, 1 + (i % 3))));
    const granted = await Promise.all(answers.filter((a) => a.status === 201).map((a) => a.json() as Promise<{ quantity: number }>));
    const total = granted.reduce((sum, h) => sum + h.quantity, 0);
    expect(total).toBeLessThanOrEqual(20);
    // Refused only when fewer units were left than asked: at most 2 units lie unheld at the end.
    expect(total).toBeGreaterThanOrEqual(18);
    expect(answers.every((a) => a.status === 201 || a.status === 409)).toBe(true);
    expect(await liveHeld(office.id, sku)).toBe(total);
  });

  it('reservations racing recounts that lower the shelf: each hold was covered by the count when it was written', { timeout: 60_000 }, async () => {
    const office = offices[2]!;
    const sku = products[2]!.sku;
    await shelve(office.id, sku, 20 + SAFETY);
    const staff = (await findStaffByToken(db(), await token('counter', 'office', office.id), new Date().toISOString()))!;
    const recount = async (quantity: number) => {
      // A clerk counts again, based on what they just read; a stale read (a hold or another count moved the row) is read again.
      for (let attempt = 0; attempt < 20; attempt++) {
        const [{ version }] = await db().all<{ version: number }>(sql`select version from location_stock where location_id = ${office.id} and sku = ${sku}`);
        const result = await recordCount(db(), staff, { locationId: office.id, sku, quantity, expected: { kind: 'version', version } }, new Date(), SAFETY);
        if (result.ok) return;
        expect(result).toMatchObject({ problem: 'stale' });
      }
      throw new Error('recount never won');
    };
    const people = await newCustomers(40);
    const counts = [14 + SAFETY, 9 + SAFETY, 5 + SAFETY, 2 + SAFETY];
    const work: Promise<unknown>[] = [];
    for (const [i, who] of people.entries()) {
      work.push(reserve(who, sku, office.id));
      if (i % 10 === 5) work.push(recount(counts[(i - 5) / 10]!));
    }
    const outcomes = await Promise.all(work);
    const statuses = (outcomes.filter((o) => o instanceof Response) as Response[]).map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);

    const log = await db().all<{ hold_id: string; counted: number; live: number }>(sql`select hold_id, counted, live from test_hold_log where location_id = ${office.id} and sku = ${sku}`);
    expect(log).toHaveLength(statuses.filter((s) => s === 201).length);
    expect(log.length).toBeGreaterThan(0);
    for (const entry of log) expect(entry.live, `hold ${entry.hold_id} with ${entry.counted} counted`).toBeLessThanOrEqual(entry.counted - SAFETY);
    // The last count is what is on the shelf now.
    const [{ quantity }] = await db().all<{ quantity: number }>(sql`select quantity from location_stock where location_id = ${office.id} and sku = ${sku}`);
    expect(counts).toContain(quantity);
  });
});
