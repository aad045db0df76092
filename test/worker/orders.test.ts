/**
 * Orders on a real D1, through the API and the use cases: a clerk orders
 * from the online catalogue for the customer recognised at the counter
 * (paid at the counter, the history says where, the audit names the
 * clerk, the online stock goes down); only a counter clerk with an open
 * session at their own office may; the same key is the same order; a line
 * that cannot be served refuses the whole order and writes nothing;
 * concurrent orders never take the online stock below 0; a past order is
 * ordered again from the web, keeping what is still sold and naming the
 * rest. Expected figures are computed here from the products the test
 * inserted (the demo catalogue's own rows), never by the code under test.
 */
import { and, eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { customerHistory, customers, orderLines, orders, products, staffAudit, type CustomerAddress } from '../../db/schema';
import { closeCounterSession, openCounterSession, showCounterCode } from '../../worker/accounts/counter';
import { historyOf } from '../../worker/accounts/history';
import { currentCustomer, openCustomerSession } from '../../worker/accounts/sessions';
import { randomSecret } from '../../worker/http/crypto';
import { CATALOGUE_PAGE_SIZE, counterCatalogue, placeCounterOrder, placeWebOrder, reorderPreview } from '../../worker/orders/orders';
import { findStaffByToken, type Staff } from '../../worker/staff/tokens';
import { type DemoProduct, demoCatalogue } from '../../tools/demo/catalogue';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

/** What the Workers test pool sets as SITE_ORIGIN: the customer API's writes must come from it. */
const SITE = 'http://localhost:8787';
const sample = demoSample(300);
const postOffices = sample.filter((l) => l.type === 'post_office');
const office = postOffices[0]!;
const otherOffice = postOffices[1]!;
/** A relay shop: no counter, so no collection of orders there. */
const relay = sample.find((l) => l.type !== 'post_office' && !/agency/.test(l.type))!;

const catalogue = demoCatalogue();
const onSale = catalogue.filter((p) => p.soldOnline && !p.withdrawn);

let serial = 0;
/**
 * A product of its own for each test: a real demo product (name, kind,
 * price) under a fresh sku, with the online stock the test needs.
 */
async function product(from: DemoProduct, overrides: Partial<{ onlineStock: number; soldOnline: boolean; withdrawn: boolean }> = {}) {
  const sku = `T${String(serial++).padStart(3, '0')}-${from.sku}`.slice(0, 32);
  const row = {
    sku, name: from.name, kind: from.kind, priceCents: from.priceCents, description: from.description,
    soldOnline: overrides.soldOnline ?? true, onlineStock: overrides.onlineStock ?? 100,
    withdrawnAt: overrides.withdrawn ? Date.now() - 86_400_000 : null, updatedAt: Date.now(),
  };
  await db().insert(products).values(row);
  return row;
}

const stockOf = async (sku: string) => (await db().select({ n: products.onlineStock }).from(products).where(eq(products.sku, sku)).get())!.n;

const HOME: CustomerAddress = { label: 'Maison', line1: '12 rue des Lilas', postcode: '69003', city: 'Lyon' };
const WORK: CustomerAddress = { label: 'Travail', line1: '1 place Bellecour', line2: 'Bâtiment B', postcode: '69002', city: 'Lyon' };

async function customer(addresses: CustomerAddress[] = [HOME, WORK]) {
  const now = new Date().toISOString();
  const id = `cus_${crypto.randomUUID()}`;
  await db().insert(customers).values({ id, email: `commande.${serial++}.${Date.now()}@exemple.fr`, name: 'Camille Martin', addresses, counterSalt: randomSecret(), createdAt: now, lastActiveAt: now });
  const { cookie } = await openCustomerSession(db(), { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
  const pair = cookie.split(';')[0]!;
  const session = (await currentCustomer(db(), pair, new Date()))!;
  return { id, cookie: pair, row: session.customer };
}

async function clerk(role: Staff['role'] = 'counter', scopeValue: string = office.id): Promise<{ staff: Staff; secret: string }> {
  const secret = await token(role, 'office', scopeValue, `Guichetier ${serial++}`);
  return { staff: (await findStaffByToken(db(), secret, new Date().toISOString()))!, secret };
}

/** The clerk recognises the customer with the code their phone shows (the real path): the session's id. */
async function recognise(staff: Staff, customerId: string): Promise<string> {
  const person = (await db().select().from(customers).where(eq(customers.id, customerId)).get())!;
  const shown = await showCounterCode(db(), person, new Date());
  const opened = await openCounterSession(db(), staff, shown.code, new Date());
  if (!opened.ok) throw new Error(`counter session not opened: ${opened.problem}`);
  return opened.session.id;
}

const key = () => `cle-${crypto.randomUUID()}`;

function counterOrder(secret: string, sessionId: string, body: unknown, idempotencyKey: string | null = key()) {
  return request(`/api/v1/counter/sessions/${sessionId}/orders`, {
    method: 'POST',
    headers: { ...bearer(secret), 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    body: JSON.stringify(body),
  });
}

function customerCall(path: string, cookie: string, init: { method?: string; body?: unknown; idempotencyKey?: string; origin?: string } = {}) {
  return request(path, {
    method: init.method ?? 'GET',
    headers: {
      cookie, ...(init.method && init.method !== 'GET' ? { origin: init.origin ?? SITE } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.idempotencyKey ? { 'idempotency-key': init.idempotencyKey } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

const euros = (cents: number) => new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);

async function writtenFor(customerId: string) {
  return {
    orders: await db().select().from(orders).where(eq(orders.customerId, customerId)).all(),
    history: (await db().select().from(customerHistory).where(and(eq(customerHistory.customerId, customerId), eq(customerHistory.kind, 'order.placed'))).all()),
  };
}

beforeAll(async () => {
  await load(sample);
});

describe('a clerk orders from the online catalogue for the recognised customer', () => {
  it('orders for home delivery, paid at the counter: history at this office, the clerk in the audit, the online stock down', async () => {
    const counterItem = await product(catalogue.find((p) => p.counter && p.soldOnline && !p.withdrawn)!, { onlineStock: 40 });
    const onlineOnly = await product(catalogue.find((p) => !p.counter && p.soldOnline && !p.withdrawn)!, { onlineStock: 7 });
    const person = await customer();
    const { staff, secret } = await clerk();
    const sessionId = await recognise(staff, person.id);

    const response = await counterOrder(secret, sessionId, {
      lines: [{ sku: counterItem.sku, quantity: 2 }, { sku: onlineOnly.sku, quantity: 3 }],
      delivery: { kind: 'home', address_index: 1 },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    const order = await response.json() as Record<string, unknown> & { id: string };
    const total = counterItem.priceCents * 2 + onlineOnly.priceCents * 3;
    expect(order).toMatchObject({
      channel: 'counter', payment: 'paid_at_counter', payment_label: 'Payée au guichet',
      counter: { location_id: office.id, name: office.name },
      // The clerk learns where it goes by the address's label and city, never the street.
      delivery: { kind: 'home', address: { label: WORK.label, city: WORK.city } },
      lines: [
        { sku: counterItem.sku, name: counterItem.name, unit_price_cents: counterItem.priceCents, quantity: 2 },
        { sku: onlineOnly.sku, name: onlineOnly.name, unit_price_cents: onlineOnly.priceCents, quantity: 3 },
      ],
      item_count: 5, total_cents: total, total: euros(total), reorder_of: null,
    });
    expect(JSON.stringify(order)).not.toContain(WORK.line1);
    expect(order.id).toMatch(/^CMD-[A-HJ-NP-Z2-9]{8}$/);

    expect(await stockOf(counterItem.sku)).toBe(38);
    expect(await stockOf(onlineOnly.sku)).toBe(4);
    const stored = (await db().select().from(orders).where(eq(orders.id, order.id)).get())!;
    expect(stored).toMatchObject({ customerId: person.id, clerkId: staff.id, locationId: office.id, delivery: 'home', payment: 'paid_at_counter', collectLocationId: null });

    const [entry] = await historyOf(db(), person.id, 1);
    expect(entry).toMatchObject({ kind: 'order.placed', label: 'Commande passée', channel: 'counter', locationId: office.id, where: `au guichet de ${office.name}` });
    expect(entry!.detail).toBe(`${order.id} · 5 articles · ${euros(total)}`);
    expect(entry!.detail).not.toContain(WORK.line1);

    const audit = await db().select().from(staffAudit).where(eq(staffAudit.subject, order.id)).all();
    expect(audit).toEqual([expect.objectContaining({ actorId: staff.id, actorName: staff.name, action: 'order.counter', locationId: office.id })]);
    expect(JSON.stringify(audit)).not.toContain(person.id);
  });

  it('orders for collection at this office', async () => {
    const item = await product(onSale[3]!, { onlineStock: 5 });
    const person = await customer([]);
    const { staff, secret } = await clerk();
    const response = await counterOrder(secret, await recognise(staff, person.id), { lines: [{ sku: item.sku, quantity: 1 }], delivery: { kind: 'collect' } });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ delivery: { kind: 'collect', location_id: office.id, name: office.name }, payment: 'paid_at_counter' });
  });

  it('is the same order for the same Idempotency-Key, even after the session ended', async () => {
    const item = await product(onSale[4]!, { onlineStock: 10 });
    const person = await customer();
    const { staff, secret } = await clerk();
    const sessionId = await recognise(staff, person.id);
    const body = { lines: [{ sku: item.sku, quantity: 4 }], delivery: { kind: 'home', address_index: 0 } };
    const once = 'double-tap-0001';
    const first = await counterOrder(secret, sessionId, body, once);
    const second = await counterOrder(secret, sessionId, body, once);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const [a, b] = [await first.json() as { id: string }, await second.json() as { id: string }];
    expect(b.id).toBe(a.id);
    await closeCounterSession(db(), staff, sessionId, new Date());
    const third = await counterOrder(secret, sessionId, body, once);
    expect(third.status).toBe(201);
    expect((await third.json() as { id: string }).id).toBe(a.id);
    // Concurrent submits of one form: still one order.
    const again = await customer();
    const session2 = await recognise(staff, again.id);
    const burst = await Promise.all(Array.from({ length: 5 }, () => counterOrder(secret, session2, body, 'burst-key-0001')));
    expect(new Set(await Promise.all(burst.map(async (r) => (await r.json() as { id: string }).id))).size).toBe(1);

    expect(await stockOf(item.sku)).toBe(10 - 4 - 4);
    for (const who of [person.id, again.id]) {
      const written = await writtenFor(who);
      expect(written.orders).toHaveLength(1);
      expect(written.history).toHaveLength(1);
      expect(await db().select().from(staffAudit).where(eq(staffAudit.subject, written.orders[0]!.id)).all()).toHaveLength(1);
    }
  });

  it('refuses a key sent again with another order (422) and writes nothing more', async () => {
    const item = await product(onSale[6]!, { onlineStock: 10 });
    const person = await customer();
    const { staff, secret } = await clerk();
    const sessionId = await recognise(staff, person.id);
    const once = 'reused-key-0001';
    const first = await counterOrder(secret, sessionId, { lines: [{ sku: item.sku, quantity: 1 }], delivery: { kind: 'collect' } }, once);
    expect(first.status).toBe(201);
    const { id } = await first.json() as { id: string };
    for (const other of [
      { lines: [{ sku: item.sku, quantity: 2 }], delivery: { kind: 'collect' } },
      { lines: [{ sku: item.sku, quantity: 1 }], delivery: { kind: 'home', address_index: 0 } },
    ]) {
      const refused = await counterOrder(secret, sessionId, other, once);
      expect(refused.status).toBe(422);
      expect(await refused.json()).toMatchObject({ type: '/api/problems/unprocessable', order_id: id });
    }
    expect(await stockOf(item.sku)).toBe(10 - 1);
    expect((await writtenFor(person.id)).orders).toHaveLength(1);

    // A reorder's key sent again to reorder another order: refused too.
    const second = await counterOrder(secret, sessionId, { lines: [{ sku: item.sku, quantity: 1 }], delivery: { kind: 'collect' } });
    const { id: secondId } = await second.json() as { id: string };
    const reorderKey = 'reorder-key-0001';
    const reordered = await customerCall(`/api/v1/account/orders/${id}/reorder`, person.cookie, { method: 'POST', idempotencyKey: reorderKey });
    expect(reordered.status).toBe(201);
    const elsewhere = await customerCall(`/api/v1/account/orders/${secondId}/reorder`, person.cookie, { method: 'POST', idempotencyKey: reorderKey });
    expect(elsewhere.status).toBe(422);
    expect((await writtenFor(person.id)).orders).toHaveLength(3);
  });

  it('refuses without an open session (409), another clerk’s session or office (403), another role (403), no token (401)', async () => {
    const item = await product(onSale[5]!, { onlineStock: 10 });
    const body = { lines: [{ sku: item.sku, quantity: 1 }], delivery: { kind: 'collect' } };
    const person = await customer();
    const { staff, secret } = await clerk();

    expect((await counterOrder(secret, 'ctr_unknown', body)).status).toBe(409);
    const sessionId = await recognise(staff, person.id);
    const elsewhere = await clerk('counter', otherOffice.id);
    const colleague = await clerk('counter', office.id);
    for (const other of [elsewhere, colleague]) {
      const refused = await counterOrder(other.secret, sessionId, body);
      expect(refused.status).toBe(403);
      expect((await refused.json() as { detail: string }).detail).toContain('autre guichetier');
    }
    for (const role of ['hours', 'exceptions'] as const) {
      const manager = await clerk(role);
      const refused = await counterOrder(manager.secret, sessionId, body);
      expect(refused.status).toBe(403);
      expect((await refused.json() as { detail: string }).detail).toContain('jeton de guichet');
    }
    const anonymous = await request(`/api/v1/counter/sessions/${sessionId}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(anonymous.status).toBe(401);

    await closeCounterSession(db(), staff, sessionId, new Date());
    const closed = await counterOrder(secret, sessionId, body);
    expect(closed.status).toBe(409);
    expect((await closed.json() as { detail: string }).detail).toContain('/staff/guichet');
    // A session past its 15 minutes is no session either (the use case at a later instant).
    const later = await recognise(staff, person.id);
    const expired = await placeCounterOrder(db(), {
      staff, counterSession: later, lines: [{ sku: item.sku, quantity: 1 }], delivery: { kind: 'collect' }, requestKey: key(), now: new Date(Date.now() + 15 * 60_000 + 1_000),
    });
    expect(expired).toEqual({ ok: false, problem: 'no_session' });

    expect((await writtenFor(person.id)).orders).toEqual([]);
    expect(await stockOf(item.sku)).toBe(10);
  });

  it('answers 400 naming the field for malformed lines, delivery or key', async () => {
    const item = await product(onSale[6]!, { onlineStock: 50 });
    const person = await customer([HOME]);
    const { staff, secret } = await clerk();
    const sessionId = await recognise(staff, person.id);
    const line = (quantity: unknown) => ({ lines: [{ sku: item.sku, quantity }], delivery: { kind: 'collect' } });
    const cases: Array<[unknown, string, string | null]> = [
      [line(0), 'lines[0].quantity', key()],
      [line(-1), 'lines[0].quantity', key()],
      [line(1.5), 'lines[0].quantity', key()],
      [line(21), 'lines[0].quantity', key()],
      [line(1e12), 'lines[0].quantity', key()],
      // A text quantity is refused by the body's schema, which names the list it is in.
      [line('2'), 'lines', key()],
      [{ lines: [{ sku: 'pas une référence !', quantity: 1 }], delivery: { kind: 'collect' } }, 'lines[0].sku', key()],
      [{ lines: [{ sku: item.sku, quantity: 1 }, { sku: item.sku, quantity: 2 }], delivery: { kind: 'collect' } }, 'lines[1].sku', key()],
      [{ lines: [], delivery: { kind: 'collect' } }, 'lines', key()],
      [{ lines: Array.from({ length: 21 }, (_, i) => ({ sku: `NOPE-${i}`, quantity: 1 })), delivery: { kind: 'collect' } }, 'lines', key()],
      [{ lines: [{ sku: item.sku, quantity: 1 }], delivery: { kind: 'home', address_index: 1 } }, 'delivery.address_index', key()],
      [{ lines: [{ sku: item.sku, quantity: 1 }], delivery: { kind: 'drone' } }, 'delivery', key()],
      [line(1), 'Idempotency-Key', null],
      [line(1), 'Idempotency-Key', 'court'],
    ];
    for (const [body, field, idempotencyKey] of cases) {
      const response = await counterOrder(secret, sessionId, body, idempotencyKey);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const problem = await response.json() as { invalid_params: Array<{ name: string; reason: string }> };
      expect(problem.invalid_params.map((p) => p.name), JSON.stringify(body)).toContain(field);
    }
    expect((await writtenFor(person.id)).orders).toEqual([]);
    expect(await stockOf(item.sku)).toBe(50);
  });
});

describe('nothing half-written', () => {
  it('refuses the whole order when one line cannot be served, naming each such item, and writes nothing', async () => {
    const good = await product(onSale[7]!, { onlineStock: 30 });
    const soldOut = await product(catalogue.find((p) => p.soldOnline && p.onlineStock === 0 && !p.withdrawn)!, { onlineStock: 0 });
    const withdrawn = await product(catalogue.find((p) => p.withdrawn)!, { withdrawn: true });
    const counterOnly = await product(catalogue.find((p) => !p.soldOnline)!, { soldOnline: false, onlineStock: 0 });
    const short = await product(onSale[8]!, { onlineStock: 2 });
    const person = await customer();
    const { staff, secret } = await clerk();
    const sessionId = await recognise(staff, person.id);

    const response = await counterOrder(secret, sessionId, {
      lines: [
        { sku: good.sku, quantity: 3 }, { sku: soldOut.sku, quantity: 1 }, { sku: withdrawn.sku, quantity: 1 },
        { sku: counterOnly.sku, quantity: 1 }, { sku: short.sku, quantity: 5 }, { sku: 'INCONNU-404', quantity: 1 },
      ],
      delivery: { kind: 'home', address_index: 0 },
    });
    expect(response.status).toBe(409);
    const problem = await response.json() as { detail: string; unavailable: Array<Record<string, unknown>> };
    expect(problem.unavailable).toEqual([
      { sku: soldOut.sku, name: soldOut.name, reason: 'sold_out', label: `« ${soldOut.name} » est épuisé en ligne` },
      { sku: withdrawn.sku, name: withdrawn.name, reason: 'withdrawn', label: `« ${withdrawn.name} » n’est plus vendu` },
      { sku: counterOnly.sku, name: counterOnly.name, reason: 'not_online', label: `« ${counterOnly.name} » n’est pas vendu en ligne` },
      { sku: short.sku, name: short.name, reason: 'short', available: 2, label: `« ${short.name} » : plus que 2 en ligne` },
      { sku: 'INCONNU-404', name: null, reason: 'unknown', label: 'L’article INCONNU-404 n’existe pas au catalogue' },
    ]);
    expect(problem.detail).toContain('rien n’a été enregistré');
    expect(problem.detail).toContain(`« ${withdrawn.name} » n’est plus vendu`);

    expect(await writtenFor(person.id)).toEqual({ orders: [], history: [] });
    expect(await stockOf(good.sku)).toBe(30);
    expect(await stockOf(short.sku)).toBe(2);
    expect(await db().select().from(staffAudit).where(and(eq(staffAudit.actorId, staff.id), eq(staffAudit.action, 'order.counter'))).all()).toEqual([]);
  });

  it('gives the last units to one of two orders at once: the other is refused and writes nothing', async () => {
    const item = await product(onSale[9]!, { onlineStock: 3 });
    const person = await customer();
    const taker = await customer();
    const [mine, theirs] = await Promise.all([
      placeWebOrder(db(), { customer: person.row, lines: [{ sku: item.sku, quantity: 3 }], delivery: { kind: 'home', addressIndex: 0 }, requestKey: key(), now: new Date() }),
      placeWebOrder(db(), { customer: taker.row, lines: [{ sku: item.sku, quantity: 2 }], delivery: { kind: 'home', addressIndex: 0 }, requestKey: key(), now: new Date() }),
    ]);
    expect([mine.ok, theirs.ok].filter(Boolean)).toHaveLength(1);
    const loser = mine.ok ? theirs : mine;
    expect(loser).toMatchObject({ ok: false, problem: 'unavailable' });
    expect(await stockOf(item.sku)).toBe(mine.ok ? 0 : 1);
    const lines = await db().select().from(orderLines).where(eq(orderLines.sku, item.sku)).all();
    expect(lines).toHaveLength(1);
  });
});

describe('concurrent orders', () => {
  it('never take the online stock below 0: exactly the units there were are sold', async () => {
    const people = await Promise.all(Array.from({ length: 4 }, () => customer()));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 12 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 10 }),
        async (stock, quantities) => {
          const item = await product(onSale[10]!, { onlineStock: stock });
          const outcomes = await Promise.all(quantities.map((quantity, i) => placeWebOrder(db(), {
            customer: people[i % people.length]!.row, lines: [{ sku: item.sku, quantity }], delivery: { kind: 'home', addressIndex: 0 }, requestKey: key(), now: new Date(),
          })));
          const sold = quantities.filter((_, i) => outcomes[i]!.ok).reduce((a, b) => a + b, 0);
          const left = await stockOf(item.sku);
          expect(left).toBeGreaterThanOrEqual(0);
          expect(left).toBe(stock - sold);
          // Every refused order was refused because the units were not there any more, and wrote nothing.
          for (const [i, outcome] of outcomes.entries()) {
            if (!outcome.ok) {
              expect(outcome.problem).toBe('unavailable');
              expect(quantities[i]!).toBeGreaterThan(left);
            }
          }
          const written = await db().select({ units: sql<number>`coalesce(sum(${orderLines.quantity}), 0)` }).from(orderLines).where(eq(orderLines.sku, item.sku)).get();
          expect(written!.units).toBe(sold);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('sells 10 units to 10 of 30 concurrent API orders of one unit', async () => {
    const item = await product(onSale[11]!, { onlineStock: 10 });
    const people = await Promise.all(Array.from({ length: 30 }, () => customer()));
    const responses = await Promise.all(people.map((p) => customerCall('/api/v1/account/orders', p.cookie, {
      method: 'POST', idempotencyKey: key(), body: { lines: [{ sku: item.sku, quantity: 1 }], delivery: { kind: 'home', address_index: 0 } },
    })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 409)).toHaveLength(20);
    expect(await stockOf(item.sku)).toBe(0);
  });
});

describe('web orders and one-click reorder', () => {
  it('places a web order to collect at an office, payment due at the counter; refuses a place without a counter', async () => {
    const item = await product(onSale[12]!, { onlineStock: 9 });
    const person = await customer([]);
    const placed = await customerCall('/api/v1/account/orders', person.cookie, {
      method: 'POST', idempotencyKey: key(), body: { lines: [{ sku: item.sku, quantity: 2 }], delivery: { kind: 'collect', location_id: otherOffice.id } },
    });
    expect(placed.status).toBe(201);
    expect(await placed.json()).toMatchObject({
      channel: 'web', counter: null, payment: 'due', payment_label: 'À payer au guichet au moment du retrait',
      delivery: { kind: 'collect', location_id: otherOffice.id, name: otherOffice.name }, total_cents: item.priceCents * 2,
    });
    const [entry] = await historyOf(db(), person.id, 1);
    expect(entry).toMatchObject({ kind: 'order.placed', channel: 'web', where: 'sur le site' });

    for (const location_id of [relay.id, 'X999999']) {
      const refused = await customerCall('/api/v1/account/orders', person.cookie, {
        method: 'POST', idempotencyKey: key(), body: { lines: [{ sku: item.sku, quantity: 1 }], delivery: { kind: 'collect', location_id } },
      });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ invalid_params: [{ name: 'delivery.location_id' }] });
    }
    const home = await customerCall('/api/v1/account/orders', person.cookie, {
      method: 'POST', idempotencyKey: key(), body: { lines: [{ sku: item.sku, quantity: 1 }], delivery: { kind: 'home', address_index: 0 } },
    });
    expect(home.status).toBe(400);
    const crossSite = await customerCall('/api/v1/account/orders', person.cookie, {
      method: 'POST', origin: 'https://ailleurs.example', idempotencyKey: key(), body: { lines: [{ sku: item.sku, quantity: 1 }], delivery: { kind: 'collect', location_id: office.id } },
    });
    expect(crossSite.status).toBe(403);
    expect((await request('/api/v1/account/orders')).status).toBe(401);
    expect(await stockOf(item.sku)).toBe(7);
  });

  it('lists the counter order on the web, and orders it again keeping what is still sold and naming the rest', async () => {
    const kept = await product(onSale[13]!, { onlineStock: 50 });
    const reduced = await product(onSale[14]!, { onlineStock: 50 });
    const willBeWithdrawn = await product(onSale[15]!, { onlineStock: 50 });
    const willSellOut = await product(onSale[16]!, { onlineStock: 50 });
    const person = await customer();
    const { staff, secret } = await clerk();
    const counter = await counterOrder(secret, await recognise(staff, person.id), {
      lines: [{ sku: kept.sku, quantity: 2 }, { sku: reduced.sku, quantity: 6 }, { sku: willBeWithdrawn.sku, quantity: 1 }, { sku: willSellOut.sku, quantity: 1 }],
      delivery: { kind: 'home', address_index: 0 },
    });
    expect(counter.status).toBe(201);
    const past = await counter.json() as { id: string };

    // Since then: one product withdrawn, one sold out online, one down to 4 units online, one price rise.
    await db().update(products).set({ withdrawnAt: Date.now() }).where(eq(products.sku, willBeWithdrawn.sku));
    await db().update(products).set({ onlineStock: 0 }).where(eq(products.sku, willSellOut.sku));
    await db().update(products).set({ onlineStock: 4 }).where(eq(products.sku, reduced.sku));
    await db().update(products).set({ priceCents: kept.priceCents + 10 }).where(eq(products.sku, kept.sku));

    const list = await customerCall('/api/v1/account/orders', person.cookie);
    expect(list.status).toBe(200);
    expect(list.headers.get('cache-control')).toBe('private, no-store');
    const { items } = await list.json() as { items: Array<Record<string, unknown>> };
    expect(items).toEqual([expect.objectContaining({ id: past.id, channel: 'counter', counter: { location_id: office.id, name: office.name } })]);

    const preview = (await reorderPreview(db(), person.row, past.id))!;
    expect(preview.kept.map((l) => [l.sku, l.quantity, l.reducedFrom])).toEqual([[kept.sku, 2, null], [reduced.sku, 4, 6]]);
    expect(preview.dropped.map((l) => l.reason)).toEqual(['withdrawn', 'sold_out']);
    expect(preview.delivery).toEqual({ kind: 'home', addressIndex: 0 });

    const again = await customerCall(`/api/v1/account/orders/${past.id}/reorder`, person.cookie, { method: 'POST', idempotencyKey: 'reorder-key-01' });
    expect(again.status).toBe(201);
    const order = await again.json() as Record<string, unknown> & { id: string };
    expect(order).toMatchObject({
      channel: 'web', payment: 'due', reorder_of: past.id, delivery: { kind: 'home', address: HOME },
      lines: [
        { sku: kept.sku, quantity: 2, unit_price_cents: kept.priceCents + 10 },
        { sku: reduced.sku, quantity: 4, unit_price_cents: reduced.priceCents },
      ],
      total_cents: (kept.priceCents + 10) * 2 + reduced.priceCents * 4,
      not_reordered: [
        { sku: willBeWithdrawn.sku, name: willBeWithdrawn.name, reason: 'withdrawn', label: `« ${willBeWithdrawn.name} » n’est plus vendu` },
        { sku: willSellOut.sku, name: willSellOut.name, reason: 'sold_out', label: `« ${willSellOut.name} » est épuisé en ligne` },
      ],
    });
    expect(await stockOf(reduced.sku)).toBe(0);
    const replay = await customerCall(`/api/v1/account/orders/${past.id}/reorder`, person.cookie, { method: 'POST', idempotencyKey: 'reorder-key-01' });
    expect((await replay.json() as { id: string }).id).toBe(order.id);

    // Nothing left to order again: 409 naming every item, and nothing written.
    await db().update(products).set({ withdrawnAt: Date.now() }).where(eq(products.sku, kept.sku));
    const before = (await writtenFor(person.id)).orders.length;
    const none = await customerCall(`/api/v1/account/orders/${order.id}/reorder`, person.cookie, { method: 'POST', idempotencyKey: key() });
    expect(none.status).toBe(409);
    const problem = await none.json() as { unavailable: Array<{ sku: string; reason: string }> };
    expect(problem.unavailable.map((u) => [u.sku, u.reason])).toEqual([[kept.sku, 'withdrawn'], [reduced.sku, 'sold_out']]);
    expect((await writtenFor(person.id)).orders).toHaveLength(before);
    const stranger = await customer();
    expect((await customerCall(`/api/v1/account/orders/${past.id}/reorder`, stranger.cookie, { method: 'POST', idempotencyKey: key() })).status).toBe(404);
  });

  it('names the reorder’s missing delivery, and takes another one', async () => {
    const item = await product(onSale[17]!, { onlineStock: 20 });
    const person = await customer([HOME]);
    const first = await placeWebOrder(db(), { customer: person.row, lines: [{ sku: item.sku, quantity: 1 }], delivery: { kind: 'home', addressIndex: 0 }, requestKey: key(), now: new Date() });
    if (!first.ok) throw new Error(first.problem);
    // The address the order went to is removed from the account.
    await db().update(customers).set({ addresses: [WORK] }).where(eq(customers.id, person.id));
    const missing = await customerCall(`/api/v1/account/orders/${first.order.id}/reorder`, person.cookie, { method: 'POST', idempotencyKey: key() });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ invalid_params: [{ name: 'delivery' }] });
    const chosen = await customerCall(`/api/v1/account/orders/${first.order.id}/reorder`, person.cookie, {
      method: 'POST', idempotencyKey: key(), body: { delivery: { kind: 'collect', location_id: office.id } },
    });
    expect(chosen.status).toBe(201);
    expect(await chosen.json()).toMatchObject({ delivery: { kind: 'collect', location_id: office.id }, payment: 'due', not_reordered: [] });
  });
});

describe('the clerk’s catalogue', () => {
  it('lists every product on sale, online-only ones too, page after page, each with its online stock as a band', async () => {
    await product(catalogue.find((p) => !p.counter && p.soldOnline)!, { onlineStock: 2 });
    await product(catalogue.find((p) => !p.soldOnline)!, { soldOnline: false, onlineStock: 0 });
    await product(catalogue.find((p) => p.withdrawn)!, { withdrawn: true });
    await product(onSale[18]!, { onlineStock: 0 });
    await product(catalogue.find((p) => p.sku.startsWith('PHI-BF-'))!, { onlineStock: 12 });
    const all = await db().select().from(products).all();
    const band = (p: (typeof all)[number]) => (!p.soldOnline ? 'vendu au guichet seulement'
      : p.onlineStock === 0 ? 'en ligne : épuisé' : p.onlineStock <= 2 ? 'en ligne : plus que quelques-uns' : 'en ligne : en stock');

    const seen: Awaited<ReturnType<typeof counterCatalogue>>['items'] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof counterCatalogue>> = await counterCatalogue(db(), { after });
      expect(page.items.length).toBeLessThanOrEqual(CATALOGUE_PAGE_SIZE);
      expect(page.later).toBe(pages > 0);
      seen.push(...page.items);
      after = page.next;
      pages++;
    } while (after && pages < 100);
    expect(pages).toBeGreaterThan(1);
    expect(seen.map((i) => i.sku).sort()).toEqual(all.filter((p) => p.withdrawnAt === null).map((p) => p.sku).sort());
    for (const item of seen) {
      const row = all.find((p) => p.sku === item.sku)!;
      expect(item.online, item.sku).toBe(band(row));
      expect(item.orderable, item.sku).toBe(row.soldOnline && row.onlineStock > 0);
    }

    const collector = await counterCatalogue(db(), { kind: 'collector', text: 'bloc feuillet' });
    expect(collector.items.length).toBeGreaterThan(0);
    expect(collector.items.every((i) => i.kindLabel === 'Philatélie de collection' && /bloc-feuillet/i.test(i.name))).toBe(true);
    // An unknown kind is no filter; a forged cursor is the first page.
    expect((await counterCatalogue(db(), { kind: 'nope', after: 'forged' })).later).toBe(false);
  });
});
