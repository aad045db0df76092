/**
 * Issue 11's first "Done when", end to end through the Worker, a real D1
 * and the local queue: a collection sold out online → the nearest office
 * that holds it and is open now (a nearer one that holds it but is closed
 * is left out) → reserve → the confirmation arrives in the outbox → the
 * hold expires at that office's closing time (the cron marks it, the
 * units are free again, the feed says so) → the account export lists it.
 * Expected instants come from the office's week here, with `instantAt`;
 * distances from an independent haversine.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { customers } from '../../db/schema';
import { demoCatalogue } from '../../tools/demo/catalogue';
import type { ImportedLocation } from '../../tools/imports/open-data';
import { exportAccount } from '../../worker/accounts/account';
import { openCustomerSession } from '../../worker/accounts/sessions';
import { configOf } from '../../worker/config';
import type { WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { addDays, instantAt, localParts } from '../../worker/hours/zoned-time';
import { outboxFor } from '../../worker/messages/outbox';
import { runHoldJobs } from '../../worker/stock/jobs';
import { request } from './http-client';
import { db, demoSample, load } from './seed';

const SITE = 'http://localhost:8787';
const d1 = (env as unknown as { DB: D1Database }).DB;
const config = configOf(env);
const ZONE = 'Europe/Paris';
/** Open every day until 23:59: "open now" whenever the suite runs, bar one minute a day. */
const ALL_DAY: WeeklyRule[] = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day: day as 1, opens: '00:00', closes: '23:59' }));

function distanceM(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = Math.PI / 180;
  const h = Math.sin(((b.latitude - a.latitude) * rad) / 2) ** 2
    + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(((b.longitude - a.longitude) * rad) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}

const product = demoCatalogue().find((p) => p.kind === 'stamp_collection' && p.soldOnline && p.onlineStock === 0 && !p.withdrawn)!;
let closedOffice: ImportedLocation;
let openOffice: ImportedLocation;

beforeAll(async () => {
  const network = demoSample(600);
  await load(network);
  // Two Paris-time post offices a few km apart: the nearer to the customer holds the collection but has no hours (closed).
  const offices = network.filter((l) => l.type === 'post_office' && l.timeZone === ZONE);
  const pairs = offices.flatMap((a) => offices.filter((b) => b.id !== a.id && distanceM(a, b) > 2_000 && distanceM(a, b) < 9_000).map((b) => [a, b] as const));
  [closedOffice, openOffice] = pairs[0]!;
  await seedSchedules(db(), [
    { locationId: openOffice.id, weekly: ALL_DAY, exceptions: [], openOnHolidays: true },
    { locationId: closedOffice.id, weekly: [], exceptions: [], openOnHolidays: false },
  ], new Date().toISOString());
  const at = Date.now();
  await d1.batch([
    d1.prepare(`insert into products (sku, name, kind, price_cents, description, sold_online, online_stock, updated_at) values (?, ?, ?, ?, ?, 1, 0, ?)`)
      .bind(product.sku, product.name, product.kind, product.priceCents, product.description, at),
    ...[closedOffice, openOffice].map((o) => d1.prepare(`insert into location_stock (location_id, sku, quantity, counted_at, version, updated_at) values (?, ?, 6, ?, 1, ?)`)
      .bind(o.id, product.sku, at - 3 * 3_600_000, at)),
  ]);
});

describe('sold out online, held at an office open now, reserved until it closes', () => {
  it('goes from the product to a hold, its confirmation, and its expiry at closing time', async () => {
    // 1. The product says it is sold out online.
    const productAnswer = await request(`/api/v1/products/${product.sku}`);
    expect(productAnswer.status).toBe(200);
    expect(JSON.stringify(await productAnswer.json())).toMatch(/sold_out/);

    // 2. Where to get it, from a point beside the closed office: both hold it; only one is open now.
    const here = { latitude: closedOffice.latitude + 0.001, longitude: closedOffice.longitude };
    const near = `${here.latitude},${here.longitude}`;
    type Holders = { holders: Array<{ id: string; distance_m: number; open: boolean; band: string; count_age: string }> };
    const all = await (await request(`/api/v1/products/${product.sku}/availability?near=${near}&radius=20000`)).json() as Holders;
    expect(all.holders.map((h) => h.id)).toEqual([closedOffice.id, openOffice.id]);
    const openNow = await request(`/api/v1/products/${product.sku}/availability?near=${near}&radius=20000&open_now=true`);
    expect(openNow.status).toBe(200);
    const open = await openNow.json() as Holders;
    expect(open.holders.map((h) => h.id)).toEqual([openOffice.id]);
    expect(open.holders[0]!.open).toBe(true);
    expect(Math.abs(open.holders[0]!.distance_m - distanceM(here, openOffice))).toBeLessThan(50);
    expect(open.holders[0]!.count_age).toBe('compté il y a 3 h');
    expect(open.holders[0]!.band).toBe('in_stock');

    // 3. A signed-in customer reserves 2 there.
    const id = `cus_${crypto.randomUUID()}`;
    const email = `parcours.${Date.now()}@exemple.fr`;
    const created = new Date().toISOString();
    // Quiet hours that never hold a message back: the confirmation is due at once.
    await db().insert(customers).values({ id, email, counterSalt: crypto.randomUUID(), createdAt: created, lastActiveAt: created, quietStart: '00:00', quietEnd: '00:00' });
    const { cookie } = await openCustomerSession(db(), { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
    const reserved = await request('/api/v1/account/reservations', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: SITE, cookie: cookie.split(';')[0]!, 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({ sku: product.sku, location_id: openOffice.id, quantity: 2 }),
    });
    expect(reserved.status).toBe(201);
    const hold = await reserved.json() as { id: string; expires_at: string };
    // Until the office closes on its next opening day: tomorrow (office time) at 23:59.
    const reservedAt = Date.now();
    const closing = instantAt(addDays(localParts(reservedAt, ZONE).date, 1), '23:59', ZONE);
    expect(hold.expires_at).toBe(closing.toISOString());

    // 4. The confirmation lands in the outbox, naming the product, the office and the reference.
    await vi.waitUntil(async () => (await outboxFor(d1, email)).length > 0, { timeout: 15_000, interval: 100 });
    const [confirmation] = await outboxFor(d1, email);
    const text = JSON.stringify(confirmation);
    expect(text).toContain(hold.id);
    expect(text).toContain(openOffice.name);
    expect(text).toContain('23:59');

    // 5. The units are held: 6 counted, less the safety stock and the hold.
    const sellable = async () => (await d1.prepare('select quantity from inventory_feed where location_id = ? and sku = ?').bind(openOffice.id, product.sku).first<{ quantity: number }>())?.quantity;
    expect(await sellable()).toBe(6 - config.stockSafetyUnits - 2);

    // 6. A minute before closing the hold is live; a minute after, the cron marks it expired and the units are free.
    const context = { queue: config.messages.queue, origin: SITE, safety: config.stockSafetyUnits };
    expect((await runHoldJobs(db(), new Date(closing.getTime() - 60_000), context)).expired).toBe(0);
    const report = await runHoldJobs(db(), new Date(closing.getTime() + 60_000), context);
    expect(report.expired).toBeGreaterThanOrEqual(1);
    const row = await d1.prepare('select status from stock_holds where id = ?').bind(hold.id).first<{ status: string }>();
    expect(row?.status).toBe('expired');
    expect(await sellable()).toBe(6 - config.stockSafetyUnits);

    // 7. The customer's data export lists the hold.
    const customer = (await db().query.customers.findFirst({ where: (c, { eq }) => eq(c.id, id) }))!;
    const data = await exportAccount(db(), customer, new Date());
    expect(data.reservations).toEqual([expect.objectContaining({ id: hold.id, sku: product.sku, location_id: openOffice.id, quantity: 2, status: 'expired', expires_at: closing.toISOString() })]);
  });
});
