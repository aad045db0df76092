/**
 * Staff stock counts over HTTP on a real D1 (`/api/v1/locations/{id}/stock`):
 * reading a sheet with its version, one count as a compare-and-set on its
 * row, a feed (JSON or CSV) as a compare-and-set on the sheet with its
 * broken rows reported by line, who may count where, and what a stale or
 * lost write leaves behind: nothing (no row, no audit, no version, no feed
 * row). Two writes based on the same read, sent at once: one wins.
 * Expected figures are computed here from the rows the test wrote.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { customers, products } from '../../db/schema';
import { randomSecret } from '../../worker/http/crypto';
import { demoCatalogue } from '../../tools/demo/catalogue';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

const SAFETY = 1;
const HOUR = 3_600_000;
const sample = demoSample(300);
const offices = sample.filter((l) => l.type === 'post_office');
/** An office with another in its département (a département's manager counts at both). */
const office = offices.find((o) => offices.some((l) => l !== o && l.department === o.department))!;
const sameDepartment = offices.find((l) => l !== office && l.department === office.department)!;
const otherOffice = offices.find((l) => l.department !== office.department)!;
const closing = offices.find((l) => l !== office && l !== otherOffice && l !== sameDepartment)!;
const locker = sample.find((l) => l.type === 'parcel_locker')!;

/** Real skus of the demo catalogue (on sale), and one withdrawn. */
const catalogue = demoCatalogue();
const onSale = catalogue.filter((p) => !p.withdrawn);
const [A, B, C, D, E, F] = onSale.slice(0, 6).map((p) => p.sku) as [string, string, string, string, string, string];
const withdrawn = catalogue.find((p) => p.withdrawn)!.sku;
const nameOf = (sku: string) => catalogue.find((p) => p.sku === sku)!.name;

const d1 = () => db().$client;
let counter: string;
let counterName: string;
let hoursManager: string;
let exceptionsClerk: string;
let elsewhereClerk: string;

const stockPath = (locationId: string, sku?: string) => `/api/v1/locations/${locationId}/stock${sku ? `/${sku}` : ''}`;
const get = (secret: string, locationId = office.id) => request(stockPath(locationId), { headers: bearer(secret) });
const count = (secret: string, locationId: string, sku: string, body: unknown, headers: Record<string, string> = {}) =>
  request(stockPath(locationId, sku), { method: 'PUT', headers: { ...bearer(secret), 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const feed = (secret: string, locationId: string, body: string, headers: Record<string, string>) =>
  request(stockPath(locationId), { method: 'PUT', headers: { ...bearer(secret), ...headers }, body });
const ifMatch = (version: number) => ({ 'if-match': `"${version}"` });

type Row = { quantity: number; counted_at: number; version: number };
const rowOf = (locationId: string, sku: string) =>
  d1().prepare('select quantity, counted_at, version from location_stock where location_id = ? and sku = ?').bind(locationId, sku).first<Row>();
const sheetVersion = async (locationId: string) =>
  (await d1().prepare('select version from stock_sheets where location_id = ?').bind(locationId).first<{ version: number }>())?.version ?? 0;
const auditOf = (locationId: string, sku?: string) =>
  d1().prepare('select sku, before, after, source, actor_id, actor_name, at from stock_audit where location_id = ?1 and (?2 is null or sku = ?2) order by seq')
    .bind(locationId, sku ?? null).all<{ sku: string; before: number | null; after: number; source: string; actor_id: string; actor_name: string; at: number }>()
    .then((r) => r.results);
const feedRow = (locationId: string, sku: string) =>
  d1().prepare('select quantity, availability, updated_at from inventory_feed where location_id = ? and sku = ?').bind(locationId, sku)
    .first<{ quantity: number; availability: string; updated_at: number }>();
/** What the feed must say for `counted` units with `held` held: computed here, not by the code under test. */
const expectedFeed = (counted: number, held = 0) => {
  const units = Math.max(0, counted - held - SAFETY);
  return { quantity: units, availability: units === 0 ? 'out_of_stock' : units <= 2 ? 'limited_availability' : 'in_stock' };
};

async function seedRow(locationId: string, sku: string, quantity: number, countedAt: number, version = 1) {
  await d1().prepare('insert into location_stock (location_id, sku, quantity, counted_at, version, updated_at) values (?, ?, ?, ?, ?, ?)')
    .bind(locationId, sku, quantity, countedAt, version, countedAt).run();
}
async function seedSheet(locationId: string, version: number) {
  await d1().prepare('insert into stock_sheets (location_id, version, updated_at) values (?, ?, ?)').bind(locationId, version, Date.now()).run();
}

let customerId: string;
async function hold(locationId: string, sku: string, quantity: number, expiresAt: number, status = 'active') {
  await d1().prepare(`insert into stock_holds (id, customer_id, location_id, sku, quantity, status, request_key, created_at, expires_at, remind_at)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).bind(`RSV-${randomSecret(6)}`, customerId, locationId, sku, quantity, status, randomSecret(8), Date.now(), expiresAt, expiresAt).run();
}

/** Instants relative to the run (counts ahead of the clock are refused), to the second. */
const START = Math.floor(Date.now() / 1000) * 1000;
const hoursAgo = (hours: number) => START - hours * HOUR;
const countedEarlier = hoursAgo(20);
/** An instant written with an offset, by hand: `…T09:15:00+01:00`. */
const withOffset = (ms: number, minutes: number) => {
  const local = new Date(ms + minutes * 60_000).toISOString().slice(0, 19);
  return `${local}${minutes < 0 ? '-' : '+'}${String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0')}:${String(Math.abs(minutes) % 60).padStart(2, '0')}`;
};
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  await load(sample, 'demo', '2026-11-01T08:00:00Z');
  // A later import without it closes `closing`.
  await load(sample.filter((l) => l !== closing), 'demo', '2026-11-02T08:00:00Z');
  const now = Date.now();
  const rows = catalogue.map((p) => ({
    sku: p.sku, name: p.name, kind: p.kind, priceCents: p.priceCents, description: p.description, soldOnline: p.soldOnline,
    onlineStock: p.onlineStock, withdrawnAt: p.withdrawn ? now : null, updatedAt: now,
  }));
  // D1 takes 100 bound values per statement: 10 products at a time.
  for (let i = 0; i < rows.length; i += 10) await db().insert(products).values(rows.slice(i, i + 10));
  customerId = `cus_${crypto.randomUUID()}`;
  const at = new Date().toISOString();
  await db().insert(customers).values({ id: customerId, email: `${crypto.randomUUID()}@exemple.fr`, name: 'Camille Martin', counterSalt: randomSecret(), createdAt: at, lastActiveAt: at });
  counterName = `Guichet ${office.id}`;
  counter = await token('counter', 'office', office.id, counterName);
  hoursManager = await token('hours', 'department', office.department, 'Responsable du secteur');
  exceptionsClerk = await token('exceptions', 'network', null, 'Fermetures');
  elsewhereClerk = await token('counter', 'office', otherOffice.id, 'Guichet ailleurs');

  // The office's sheet: A (with a live hold of 2 and an expired one), B, C at version 3.
  await seedRow(office.id, A, 12, countedEarlier, 2);
  await seedRow(office.id, B, 1, countedEarlier);
  await seedRow(office.id, C, 0, countedEarlier);
  await seedSheet(office.id, 3);
  await hold(office.id, A, 2, now + 24 * HOUR);
  await hold(office.id, A, 5, now - HOUR);
  await hold(office.id, A, 4, now + 24 * HOUR, 'cancelled');
});

describe('reading a sheet', () => {
  it('lists each product with its count, version and what is left to sell, under the sheet’s version as ETag', async () => {
    const response = await get(counter);
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('"3"');
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    const body = await response.json() as { location_id: string; version: number; safety_units: number; items: Array<Record<string, unknown>> };
    expect(body).toMatchObject({ location_id: office.id, version: 3, safety_units: SAFETY });
    const line = (sku: string) => body.items.find((i) => i.sku === sku);
    // 12 counted, 2 held by a live hold (the expired and cancelled ones hold nothing), 1 kept back.
    expect(line(A)).toEqual({ sku: A, name: nameOf(A), quantity: 12, counted_at: iso(countedEarlier), version: 2, held: 2, sellable: 9 });
    expect(line(B)).toMatchObject({ quantity: 1, held: 0, sellable: 0 });
    expect(line(C)).toMatchObject({ quantity: 0, sellable: 0 });
    expect(body.items).toHaveLength(3);
  });

  it('answers version 0 for an office never counted, and 304 for an unchanged sheet', async () => {
    const never = await request(stockPath(sameDepartment.id), { headers: bearer(hoursManager) });
    expect(never.status).toBe(200);
    expect(never.headers.get('etag')).toBe('"0"');
    expect(await never.json()).toMatchObject({ version: 0, items: [] });
    const again = await request(stockPath(sameDepartment.id), { headers: { ...bearer(hoursManager), 'if-none-match': '"0"' } });
    expect(again.status).toBe(304);
  });

  it('is for counting roles in scope only', async () => {
    expect((await request(stockPath(office.id))).status).toBe(401);
    expect((await get(exceptionsClerk)).status).toBe(403);
    expect((await get(elsewhereClerk)).status).toBe(403);
    expect((await get(counter, 'NOPE123')).status).toBe(404);
  });
});

describe('one count', () => {
  it('replaces the row it was based on: new version as ETag, the sheet moves, the audit and the feed follow', async () => {
    const sheetBefore = await sheetVersion(office.id);
    const response = await count(counter, office.id, B, { quantity: 7, counted_at: withOffset(hoursAgo(2), 60) }, ifMatch(1));
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('"2"');
    expect(await response.json()).toEqual({
      location_id: office.id, sku: B, name: nameOf(B), quantity: 7, counted_at: iso(hoursAgo(2)), version: 2, held: 0, sellable: 6, sheet_version: sheetBefore + 1,
    });
    expect(await rowOf(office.id, B)).toEqual({ quantity: 7, counted_at: hoursAgo(2), version: 2 });
    expect(await sheetVersion(office.id)).toBe(sheetBefore + 1);
    const audit = await auditOf(office.id, B);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ before: 1, after: 7, source: 'count', actor_name: counterName });
    expect(audit[0]!.actor_id).toMatch(/^stf_/);
    expect(await feedRow(office.id, B)).toMatchObject(expectedFeed(7));
  });

  it('counts the live holds in the feed row it refreshes', async () => {
    const response = await count(counter, office.id, A, { quantity: 5 }, ifMatch(2));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ quantity: 5, held: 2, sellable: 2, version: 3 });
    expect(await feedRow(office.id, A)).toMatchObject(expectedFeed(5, 2));
    // No counting instant given: now.
    expect(Math.abs((await rowOf(office.id, A))!.counted_at - Date.now())).toBeLessThan(60_000);
  });

  it('refuses a stale version with 412, the current version and row, and writes nothing', async () => {
    const sheetBefore = await sheetVersion(office.id);
    const auditBefore = (await auditOf(office.id)).length;
    const feedBefore = await feedRow(office.id, B);
    const response = await count(counter, office.id, B, { quantity: 99 }, ifMatch(1));
    expect(response.status).toBe(412);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.headers.get('etag')).toBe('"2"');
    const problem = await response.json() as Record<string, unknown>;
    expect(problem).toMatchObject({ type: '/api/problems/precondition-failed', status: 412, current_version: 2, current: { sku: B, quantity: 7, version: 2 } });
    expect(problem.detail).toMatch(/Rien n’a été enregistré/);
    expect(await rowOf(office.id, B)).toMatchObject({ quantity: 7, version: 2 });
    expect(await sheetVersion(office.id)).toBe(sheetBefore);
    expect(await auditOf(office.id)).toHaveLength(auditBefore);
    expect(await feedRow(office.id, B)).toEqual(feedBefore);
  });

  it('needs If-Match (428), a readable one (412), and If-None-Match: * only to create', async () => {
    expect((await count(counter, office.id, B, { quantity: 3 })).status).toBe(428);
    expect((await count(counter, office.id, B, { quantity: 3 }, { 'if-match': '*' })).status).toBe(428);
    expect((await count(counter, office.id, B, { quantity: 3 }, { 'if-match': 'W/"2"' })).status).toBe(412);
    expect((await count(counter, office.id, B, { quantity: 3 }, { 'if-none-match': '"2"' })).status).toBe(400);
    expect((await count(counter, office.id, B, { quantity: 3 }, { 'if-none-match': '*', 'if-match': '"2"' })).status).toBe(400);
    // The row exists: creating it again is stale.
    const exists = await count(counter, office.id, B, { quantity: 3 }, { 'if-none-match': '*' });
    expect(exists.status).toBe(412);
    expect(await exists.json()).toMatchObject({ current_version: 2 });
    // No row: If-Match names a version that does not exist.
    const none = await count(counter, office.id, D, { quantity: 3 }, ifMatch(1));
    expect(none.status).toBe(412);
    expect(await none.json()).toMatchObject({ current_version: null, current: null });
    expect(await rowOf(office.id, D)).toBeNull();
  });

  it('creates the first count of a product with If-None-Match: *, zero included', async () => {
    const response = await count(counter, office.id, D, { quantity: 0 }, { 'if-none-match': '*' });
    expect(response.status).toBe(201);
    expect(response.headers.get('etag')).toBe('"1"');
    expect(await response.json()).toMatchObject({ sku: D, quantity: 0, version: 1, sellable: 0 });
    expect(await auditOf(office.id, D)).toMatchObject([{ before: null, after: 0, source: 'count' }]);
    expect(await feedRow(office.id, D)).toMatchObject(expectedFeed(0));
  });

  it('says which field is wrong, in French, and writes nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [{ quantity: -1 }, 'quantity'],
      [{ quantity: 2.5 }, 'quantity'],
      [{ quantity: 100_001 }, 'quantity'],
      [{ quantity: '4' }, 'quantity'],
      [{}, 'quantity'],
      [{ quantity: 4, counted_at: new Date(Date.now() + HOUR).toISOString() }, 'counted_at'],
      [{ quantity: 4, counted_at: '2026-02-30T10:00:00Z' }, 'counted_at'],
      [{ quantity: 4, counted_at: 'hier' }, 'counted_at'],
      [{ quantity: 4, quantite: 5 }, 'quantite'],
    ];
    const before = await rowOf(office.id, B);
    for (const [body, field] of cases) {
      const response = await count(counter, office.id, B, body, ifMatch(before!.version));
      expect(response.status, JSON.stringify(body)).toBe(400);
      const problem = await response.json() as { invalid_params: Array<{ name: string; reason: string }> };
      expect(problem.invalid_params.map((p) => p.name)).toContain(field);
      expect(problem.invalid_params.every((p) => !/^Invalid/.test(p.reason))).toBe(true);
    }
    expect(await rowOf(office.id, B)).toEqual(before);
    const accepted = await count(counter, office.id, B, { quantity: 100_000 }, ifMatch(before!.version));
    expect(accepted.status).toBe(200);
  });

  it('answers 404 for an unknown location or product, 409 at a closed place or one without a counter', async () => {
    expect((await count(hoursManager, 'NOPE123', A, { quantity: 1 }, ifMatch(1))).status).toBe(404);
    const unknown = await count(counter, office.id, 'ZZ-NOPE', { quantity: 1 }, { 'if-none-match': '*' });
    expect(unknown.status).toBe(404);
    expect((await unknown.json() as { detail: string }).detail).toContain('ZZ-NOPE');
    expect((await count(counter, office.id, 'a', { quantity: 1 }, ifMatch(1))).status).toBe(400);
    const network = await token('hours', 'network', null, 'Réseau');
    const closed = await count(network, closing.id, A, { quantity: 1 }, { 'if-none-match': '*' });
    expect(closed.status).toBe(409);
    expect((await closed.json() as { detail: string }).detail).toMatch(/fermé/);
    expect((await count(network, locker.id, A, { quantity: 1 }, { 'if-none-match': '*' })).status).toBe(409);
    expect(await rowOf(closing.id, A)).toBeNull();
    expect(await rowOf(locker.id, A)).toBeNull();
  });

  it('lets counter and hours staff count in their scope only; exceptions never', async () => {
    const refused = await count(exceptionsClerk, office.id, E, { quantity: 1 }, { 'if-none-match': '*' });
    expect(refused.status).toBe(403);
    expect((await refused.json() as { detail: string }).detail).toContain('exceptions');
    expect((await count(elsewhereClerk, office.id, E, { quantity: 1 }, { 'if-none-match': '*' })).status).toBe(403);
    expect(await rowOf(office.id, E)).toBeNull();
    // A département's manager counts at any office of it.
    expect((await count(hoursManager, sameDepartment.id, E, { quantity: 4 }, { 'if-none-match': '*' })).status).toBe(201);
    expect((await count(hoursManager, otherOffice.id, E, { quantity: 4 }, { 'if-none-match': '*' })).status).toBe(403);
    // Without a token, 401 before the body is read.
    expect((await request(stockPath(office.id, E), { method: 'PUT', body: 'not json' })).status).toBe(401);
  });

  it('two counts based on the same read, at once: one is recorded, the other is refused, one audit entry', async () => {
    await count(counter, office.id, F, { quantity: 10 }, { 'if-none-match': '*' });
    const auditBefore = (await auditOf(office.id, F)).length;
    const sheetBefore = await sheetVersion(office.id);
    const answers = await Promise.all([
      count(counter, office.id, F, { quantity: 11 }, ifMatch(1)),
      count(hoursManager, office.id, F, { quantity: 12 }, ifMatch(1)),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = answers.find((r) => r.status === 200)!;
    const won = await winner.json() as { quantity: number };
    expect(await rowOf(office.id, F)).toMatchObject({ quantity: won.quantity, version: 2 });
    const audit = await auditOf(office.id, F);
    expect(audit.slice(auditBefore)).toMatchObject([{ before: 10, after: won.quantity }]);
    expect(await sheetVersion(office.id)).toBe(sheetBefore + 1);
    expect(await feedRow(office.id, F)).toMatchObject(expectedFeed(won.quantity));
  });

  it('answers 405 naming the methods', async () => {
    const response = await request(stockPath(office.id, A), { method: 'DELETE', headers: bearer(counter) });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('PUT');
    expect((await request(stockPath(office.id), { method: 'POST', headers: bearer(counter) })).headers.get('allow')).toBe('GET, HEAD, PUT');
  });
});

describe('a feed', () => {
  /** A fresh office of its own for each test: its sheet starts as the test says. */
  const feedOffices = offices.filter((l) => ![office, otherOffice, closing, sameDepartment].includes(l));
  let nextOffice = 0;
  async function freshOffice(rows: Array<[string, number]> = [], version = rows.length ? 1 : 0) {
    const place = feedOffices[nextOffice++]!;
    for (const [sku, quantity] of rows) await seedRow(place.id, sku, quantity, countedEarlier);
    if (version) await seedSheet(place.id, version);
    return place.id;
  }
  const json = (items: unknown[]) => JSON.stringify({ items });
  const JSON_TYPE = { 'content-type': 'application/json' };
  const CSV_TYPE = { 'content-type': 'text/csv; charset=utf-8' };
  const network = () => token('hours', 'network', null, 'Responsable réseau');

  it('applies the good rows and reports each broken one by its rank, in French; audit, versions and feed rows follow', async () => {
    const place = await freshOffice([[A, 5], [B, 3], [C, 8]], 4);
    const secret = await network();
    const future = new Date(Date.now() + 2 * HOUR).toISOString();
    const response = await feed(secret, place, json([
      { sku: A, quantity: 6, counted_at: iso(hoursAgo(1)) }, // 1: changed
      { sku: B, quantity: 3, counted_at: withOffset(countedEarlier, -300) }, // 2: identical: unchanged
      { sku: D, quantity: 0 }, // 3: new, zero is a count
      { sku: 'ZZ-INCONNU', quantity: 2 }, // 4
      { sku: C, quantity: -1 }, // 5
      { sku: E, quantity: 1.5 }, // 6
      { sku: F, quantity: 200_000 }, // 7
      { sku: withdrawn, quantity: 'deux' }, // 8
      { sku: F, quantity: 2, counted_at: future }, // 9 (F twice: 7 and 9)
      { sku: C, quantity: 1, counted_at: 'hier' }, // 10 (C twice: 5 and 10)
    ]), { ...JSON_TYPE, ...ifMatch(4) });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('"5"');
    const body = await response.json() as { applied: number; unchanged: number; version: number; rejected: Array<{ line: number; sku: string | null; reason: string }> };
    expect(body).toMatchObject({ location_id: place, applied: 2, unchanged: 1, version: 5 });
    expect(body.rejected.map((r) => [r.line, r.sku])).toEqual([[4, 'ZZ-INCONNU'], [5, C], [6, E], [7, F], [8, withdrawn], [9, F], [10, C]]);
    const reason = (line: number) => body.rejected.find((r) => r.line === line)!.reason;
    expect(reason(4)).toBe('sku : référence inconnue du catalogue');
    expect(reason(5)).toMatch(/quantité négative/);
    expect(reason(6)).toMatch(/fraction/);
    expect(reason(7)).toMatch(/100\u202f000 unités au plus/);
    expect(reason(8)).toBe('quantity : nombre attendu');
    expect(reason(9)).toMatch(/instant dans le futur/);
    expect(reason(10)).toMatch(/instant illisible/);
    expect(reason(10)).toMatch(/plusieurs fois \(lignes 5, 10\)/);

    expect(await rowOf(place, A)).toEqual({ quantity: 6, counted_at: hoursAgo(1), version: 2 });
    expect(await rowOf(place, B)).toEqual({ quantity: 3, counted_at: countedEarlier, version: 1 });
    expect(await rowOf(place, C)).toMatchObject({ quantity: 8, version: 1 });
    expect(await rowOf(place, D)).toMatchObject({ quantity: 0, version: 1 });
    expect(await rowOf(place, F)).toBeNull();
    expect(await sheetVersion(place)).toBe(5);
    expect((await auditOf(place)).map((a) => [a.sku, a.before, a.after, a.source, a.actor_name]).sort()).toEqual([
      [A, 5, 6, 'feed', 'Responsable réseau'], [D, null, 0, 'feed', 'Responsable réseau'],
    ].sort());
    expect(await feedRow(place, A)).toMatchObject(expectedFeed(6));
    expect(await feedRow(place, D)).toMatchObject(expectedFeed(0));
  });

  it('reads CSV (BOM, `;`, CRLF) and reports its rows by their line in the file', async () => {
    const place = await freshOffice([[A, 5]]);
    const csv = `\uFEFFsku;quantity;counted_at\r\n${A};9;${withOffset(hoursAgo(3), 60)}\r\n\r\n${B};-4;\r\nZZ-NOPE;3;\r\n${C};12\r\n`;
    const response = await feed(await network(), place, csv, { ...CSV_TYPE, ...ifMatch(1) });
    expect(response.status).toBe(200);
    const body = await response.json() as { applied: number; rejected: Array<{ line: number; sku: string; reason: string }> };
    expect(body.applied).toBe(2);
    expect(body.rejected).toEqual([
      { line: 4, sku: B, reason: 'quantity : quantité négative' },
      { line: 5, sku: 'ZZ-NOPE', reason: 'sku : référence inconnue du catalogue' },
    ]);
    expect(await rowOf(place, A)).toMatchObject({ quantity: 9, counted_at: hoursAgo(3) });
    expect(await rowOf(place, C)).toMatchObject({ quantity: 12 });
  });

  it('is refused whole on a stale sheet (412 with the current version): nothing applied, nothing audited', async () => {
    const place = await freshOffice([[A, 5]], 2);
    const secret = await network();
    const response = await feed(secret, place, json([{ sku: A, quantity: 1 }, { sku: B, quantity: 2 }]), { ...JSON_TYPE, ...ifMatch(1) });
    expect(response.status).toBe(412);
    expect(await response.json()).toMatchObject({ current_version: 2 });
    expect(response.headers.get('etag')).toBe('"2"');
    expect(await rowOf(place, A)).toMatchObject({ quantity: 5, version: 1 });
    expect(await rowOf(place, B)).toBeNull();
    expect(await auditOf(place)).toEqual([]);
    expect(await sheetVersion(place)).toBe(2);
    expect(await feedRow(place, B)).toBeNull();
  });

  it('sees a count made after its read: the sheet version moved, the feed is refused', async () => {
    const place = await freshOffice([[A, 5]]);
    const secret = await network();
    expect((await count(secret, place, A, { quantity: 4 }, ifMatch(1))).status).toBe(200);
    expect((await feed(secret, place, json([{ sku: A, quantity: 50 }]), { ...JSON_TYPE, ...ifMatch(1) })).status).toBe(412);
    expect(await rowOf(place, A)).toMatchObject({ quantity: 4 });
    expect((await feed(secret, place, json([{ sku: A, quantity: 50 }]), { ...JSON_TYPE, ...ifMatch(2) })).status).toBe(200);
  });

  it('two feeds based on the same read, at once: one applies, the other changes nothing', async () => {
    const place = await freshOffice([[A, 5], [B, 5]]);
    const secret = await network();
    const answers = await Promise.all([
      feed(secret, place, json([{ sku: A, quantity: 1 }, { sku: B, quantity: 1 }]), { ...JSON_TYPE, ...ifMatch(1) }),
      feed(secret, place, `sku,quantity\n${A},2\n${B},2\n${C},2\n`, { ...CSV_TYPE, ...ifMatch(1) }),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 412]);
    const won = answers[0]!.status === 200 ? 1 : 2;
    expect(await rowOf(place, A)).toMatchObject({ quantity: won });
    expect(await rowOf(place, B)).toMatchObject({ quantity: won });
    expect(await rowOf(place, C)).toEqual(won === 2 ? expect.objectContaining({ quantity: 2 }) : null);
    expect((await auditOf(place)).map((a) => a.after)).toEqual(won === 2 ? [2, 2, 2] : [1, 1]);
    expect(await sheetVersion(place)).toBe(2);
  });

  it('creates the sheet of an office never counted with If-Match: "0", and answers a feed that changes nothing without a write', async () => {
    const place = await freshOffice();
    const secret = await network();
    const first = await feed(secret, place, json([{ sku: A, quantity: 3, counted_at: iso(hoursAgo(1)) }]), { ...JSON_TYPE, ...ifMatch(0) });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ applied: 1, version: 1 });
    const again = await feed(secret, place, json([{ sku: A, quantity: 3, counted_at: iso(hoursAgo(1)) }]), { ...JSON_TYPE, ...ifMatch(1) });
    expect(await again.json()).toMatchObject({ applied: 0, unchanged: 1, version: 1 });
    expect(await sheetVersion(place)).toBe(1);
    expect(await auditOf(place)).toHaveLength(1);
  });

  it('refuses what is no feed (400), no precondition (428), the wrong place (403, 404, 409), and writes nothing', async () => {
    const place = await freshOffice([[A, 5]]);
    const secret = await network();
    const good = json([{ sku: A, quantity: 1 }]);
    const refusals: Array<[Promise<Response>, number]> = [
      [feed(secret, place, good, { 'content-type': 'text/plain', ...ifMatch(1) }), 400],
      [feed(secret, place, '{"items": [', { ...JSON_TYPE, ...ifMatch(1) }), 400],
      [feed(secret, place, JSON.stringify({ rows: [] }), { ...JSON_TYPE, ...ifMatch(1) }), 400],
      [feed(secret, place, 'code,qty\nA,1\n', { ...CSV_TYPE, ...ifMatch(1) }), 400],
      [feed(secret, place, good, JSON_TYPE), 428],
      [feed(secret, place, good, { ...JSON_TYPE, 'if-none-match': '*' }), 400],
      [feed(secret, place, good, { ...JSON_TYPE, 'if-match': 'abc' }), 412],
      [feed(exceptionsClerk, place, good, { ...JSON_TYPE, ...ifMatch(1) }), 403],
      [feed(elsewhereClerk, place, good, { ...JSON_TYPE, ...ifMatch(1) }), 403],
      [feed(secret, 'NOPE123', good, { ...JSON_TYPE, ...ifMatch(1) }), 404],
      [feed(secret, closing.id, good, { ...JSON_TYPE, ...ifMatch(0) }), 409],
      [feed(secret, locker.id, good, { ...JSON_TYPE, ...ifMatch(0) }), 409],
    ];
    for (const [answer, status] of refusals) {
      const response = await answer;
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(await rowOf(place, A)).toMatchObject({ quantity: 5, version: 1 });
    expect(await auditOf(place)).toEqual([]);
    expect(await sheetVersion(place)).toBe(1);
  });

  it(`takes 5,000 rows and refuses 5,001 whole`, async () => {
    const place = await freshOffice();
    const secret = await network();
    // Unknown skus, short enough for the body cap: each is reported on its own line.
    const file = (n: number) => `sku,quantity\n${A},7\n${Array.from({ length: n - 1 }, (_, i) => `Z${String(i).padStart(4, '0')},1`).join('\n')}\n`;
    const over = await feed(secret, place, file(5001), { ...CSV_TYPE, ...ifMatch(0) });
    expect(over.status).toBe(400);
    expect(await rowOf(place, A)).toBeNull();
    const full = await feed(secret, place, file(5000), { ...CSV_TYPE, ...ifMatch(0) });
    expect(full.status).toBe(200);
    const body = await full.json() as { applied: number; rejected: Array<{ line: number }> };
    expect(body.applied).toBe(1);
    expect(body.rejected).toHaveLength(4999);
    expect(body.rejected.at(-1)!.line).toBe(5001);
    expect(await rowOf(place, A)).toMatchObject({ quantity: 7 });
  });
});

describe('the API description', () => {
  it('documents the stock routes in OpenAPI', async () => {
    const document = await (await request('/api/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(document.paths['/api/v1/locations/{id}/stock'] ?? {}).sort()).toEqual(['get', 'put']);
    expect(Object.keys(document.paths['/api/v1/locations/{id}/stock/{sku}'] ?? {})).toEqual(['put']);
  });
});
