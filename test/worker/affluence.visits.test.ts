/**
 * The counter's ticket events through the real endpoint on a real D1:
 * a queue system's signed feed and a counter clerk's token both record;
 * forged, stale, revoked, replayed and misdirected requests are refused;
 * a duplicate or out-of-order event refuses the whole batch, naming each
 * bad event, and writes nothing; two requests racing one ticket's arrival
 * store it once.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { carrierKey } from '../../worker/parcels/carriers';
import { signatureHeader } from '../../worker/parcels/signature';
import { recordVisits } from '../../worker/affluence/ingest';
import { createVisitSource, revokeVisitSource, rotateVisitSourceSecret, visitSourceSecret } from '../../worker/affluence/sources';
import { createStaffToken } from '../../worker/staff/tokens';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

type Office = { id: string; timeZone: string; department: string };
let office: Office;
let other: Office;
let source: { id: string; secret: string };
let key: string;
let ticketSerial = 0;

const MIN = 60_000;
const newTicket = () => `T${(++ticketSerial).toString(36).toUpperCase()}-${Math.floor(Math.random() * 1e4)}`.slice(0, 12);
const ago = (minutes: number) => new Date(Date.now() - minutes * MIN).toISOString();
const path = (id: string) => `/api/v1/offices/${id}/visits`;

const post = (id: string, body: string, headers: Record<string, string> = {}) =>
  request(path(id), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

const signed = async (events: unknown[], who = source, id = office.id, at = new Date()) => {
  const body = JSON.stringify({ events });
  return post(id, body, { 'guichet-signature': await signatureHeader(who.id, who.secret, body, at) });
};

async function storedOf(ticket: string) {
  return db().all<{ kind: string; source: string; service_date: string; at: number }>(
    sql`select kind, source, service_date, at from visit_events where ticket = ${ticket} order by seq`,
  );
}
const count = async (table: 'visit_events' | 'visit_requests') => (await db().all<{ n: number }>(sql.raw(`select count(*) as n from ${table}`)))[0]!.n;

beforeAll(async () => {
  const rows = demoSample(200);
  await load(rows);
  const offices = rows.filter((r) => r.type === 'post_office');
  office = offices.find((r) => r.timeZone === 'Europe/Paris')!;
  other = offices.find((r) => r.id !== office.id && r.department !== office.department)!;
  key = await carrierKey(db(), undefined);
  source = (await createVisitSource(db(), { locationId: office.id, name: 'Borne de test', key, now: new Date() }))!;
});

describe('a signed queue system', () => {
  it('records a ticket’s day and answers 201 with the count', async () => {
    const ticket = newTicket();
    const response = await signed([{ ticket, kind: 'arrival', at: ago(12) }, { ticket, kind: 'called', at: ago(5) }, { ticket, kind: 'served', at: ago(1) }]);
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(await response.json()).toEqual({ accepted: 3 });
    const stored = await storedOf(ticket);
    expect(stored.map((r) => [r.kind, r.source])).toEqual([['arrival', source.id], ['called', source.id], ['served', source.id]]);
    // The service date is the Paris date of the arrival, read here with Intl.
    const parisDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(stored[0]!.at);
    expect(stored[0]!.service_date).toBe(parisDate);
  });

  it('has a secret derived from the key, never stored', async () => {
    expect(source.secret).toMatch(/^gqs_[0-9a-f]{64}$/);
    expect(source.secret).toBe(await visitSourceSecret(key, { id: source.id, generation: 1 }));
    const row = await db().all<Record<string, unknown>>(sql`select * from visit_sources where id = ${source.id}`);
    expect(JSON.stringify(row)).not.toContain(source.secret.slice(4, 20));
  });

  it('refuses a replay of the same signed request (409) and keeps its events once', async () => {
    const ticket = newTicket();
    const body = JSON.stringify({ events: [{ ticket, kind: 'arrival', at: ago(3) }] });
    const header = await signatureHeader(source.id, source.secret, body);
    expect((await post(office.id, body, { 'guichet-signature': header })).status).toBe(201);
    const again = await post(office.id, body, { 'guichet-signature': header });
    expect(again.status).toBe(409);
    expect((await again.json() as { detail: string }).detail).toMatch(/déjà été reçue/);
    expect(await storedOf(ticket)).toHaveLength(1);
  });

  it('refuses, with one answer, a forged signature, an unknown source, a stale timestamp, a missing header (401)', async () => {
    const ticket = newTicket();
    const events = [{ ticket, kind: 'arrival', at: ago(1) }];
    const forged = await signed(events, { id: source.id, secret: `gqs_${'0'.repeat(64)}` });
    const unknown = await signed(events, { id: 'qms_zzzzzzzzzzzz', secret: source.secret });
    const stale = await signed(events, source, office.id, new Date(Date.now() - 6 * MIN));
    const none = await post(office.id, JSON.stringify({ events }));
    for (const response of [forged, unknown, stale, none]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Guichet-Signature');
    }
    expect((await forged.json() as { detail: string }).detail).toBe((await unknown.json() as { detail: string }).detail);
    expect((await stale.json() as { detail: string }).detail).toMatch(/trop ancienne/);
    expect(await storedOf(ticket)).toEqual([]);
  });

  it('stops a revoked source, and an old secret after rotation', async () => {
    const spare = (await createVisitSource(db(), { locationId: office.id, name: 'Borne à retirer', key, now: new Date() }))!;
    const rotated = (await rotateVisitSourceSecret(db(), spare.id, key))!;
    expect(rotated.secret).not.toBe(spare.secret);
    expect((await signed([{ ticket: newTicket(), kind: 'arrival', at: ago(1) }], spare)).status).toBe(401);
    expect((await signed([{ ticket: newTicket(), kind: 'arrival', at: ago(1) }], rotated)).status).toBe(201);
    expect(await revokeVisitSource(db(), spare.id, new Date())).toBe(true);
    expect(await revokeVisitSource(db(), spare.id, new Date())).toBe(false);
    expect((await signed([{ ticket: newTicket(), kind: 'arrival', at: ago(1) }], rotated)).status).toBe(401);
  });

  it('refuses a source posting for another office (403), and an unknown office (404)', async () => {
    const ticket = newTicket();
    const elsewhere = await signed([{ ticket, kind: 'arrival', at: ago(1) }], source, other.id);
    expect(elsewhere.status).toBe(403);
    expect((await elsewhere.json() as { detail: string }).detail).toContain(office.id);
    expect((await signed([{ ticket, kind: 'arrival', at: ago(1) }], source, 'NOSUCHOFFICE')).status).toBe(404);
    expect(await storedOf(ticket)).toEqual([]);
  });

  it('cannot be created for an unknown office', async () => {
    expect(await createVisitSource(db(), { locationId: 'NOSUCHOFFICE', name: 'x', key, now: new Date() })).toBeUndefined();
  });
});

describe('a counter clerk', () => {
  it('records with a counter token whose scope covers the office, as staff:<token id>', async () => {
    const made = await createStaffToken(db(), { name: 'Guichet 1', role: 'counter', scopeType: 'office', scopeValue: office.id, now: new Date().toISOString() });
    const ticket = newTicket();
    const response = await post(office.id, JSON.stringify({ events: [{ ticket, kind: 'arrival', at: ago(2) }] }), bearer(made.token));
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect((await storedOf(ticket)).map((r) => r.source)).toEqual([`staff:${made.id}`]);
  });

  it('is refused outside the counter role (403), outside its scope (403), without a valid token (401)', async () => {
    const body = () => JSON.stringify({ events: [{ ticket: newTicket(), kind: 'arrival', at: ago(2) }] });
    const hours = await post(office.id, body(), bearer(await token('hours', 'network')));
    expect(hours.status).toBe(403);
    expect((await hours.json() as { detail: string }).detail).toMatch(/rôle counter/);
    const elsewhere = await post(office.id, body(), bearer(await token('counter', 'department', other.department)));
    expect(elsewhere.status).toBe(403);
    expect((await elsewhere.json() as { detail: string }).detail).toMatch(/périmètre/);
    expect((await post(office.id, body(), bearer('gst_not-a-token'))).status).toBe(401);
    // A network-wide counter token reaches an unknown office only to learn it does not exist.
    expect((await post('NOSUCHOFFICE', body(), bearer(await token('counter', 'network')))).status).toBe(404);
  });
});

describe('bad batches: all or nothing', () => {
  let clerk: Record<string, string>;
  beforeAll(async () => {
    clerk = bearer(await token('counter', 'office', office.id));
  });
  const send = (events: unknown[]) => post(office.id, JSON.stringify({ events }), clerk);

  it('refuses a duplicate, in the batch or already stored (409), naming index and ticket; nothing written', async () => {
    const [a, b] = [newTicket(), newTicket()];
    expect((await send([{ ticket: a, kind: 'arrival', at: ago(20) }])).status).toBe(201);
    const before = await count('visit_events');
    const response = await send([
      { ticket: b, kind: 'arrival', at: ago(10) },
      { ticket: a, kind: 'arrival', at: ago(9) },
      { ticket: b, kind: 'arrival', at: ago(8) },
    ]);
    expect(response.status).toBe(409);
    const problem = await response.json() as { detail: string; invalid_params: { name: string; reason: string }[]; events: { index: number; ticket: string }[] };
    expect(problem.detail).toMatch(/rien n’a été enregistré : 2 doublons/);
    expect(problem.events.map((e) => [e.index, e.ticket])).toEqual([[1, a], [2, b]]);
    expect(problem.invalid_params.map((p) => p.name)).toEqual(['events[1]', 'events[2]']);
    expect(problem.invalid_params[0]!.reason).toContain(a);
    expect(await count('visit_events')).toBe(before);
  });

  it('refuses events out of order (422) with every one listed, and nothing of the batch is written', async () => {
    const [a, b] = [newTicket(), newTicket()];
    const response = await send([
      { ticket: a, kind: 'arrival', at: ago(30) }, // fine on its own
      { ticket: b, kind: 'called', at: ago(20) }, // no arrival
      { ticket: a, kind: 'served', at: ago(25) },
      { ticket: a, kind: 'called', at: ago(24) }, // after served
    ]);
    expect(response.status).toBe(422);
    const problem = await response.json() as { events: { index: number; ticket: string; reason: string }[] };
    expect(problem.events.map((e) => [e.index, e.ticket])).toEqual([[1, b], [3, a]]);
    expect(problem.events.every((e) => e.reason.includes('hors d’ordre'))).toBe(true);
    expect([...await storedOf(a), ...await storedOf(b)]).toEqual([]);
  });

  it('refuses malformed or stale events (400) by index, and a body of more than 500 events', async () => {
    const response = await send([{ ticket: 'A1', kind: 'arrival', at: ago(25 * 60) }, { ticket: '', kind: 'gone', at: 'now' }]);
    expect(response.status).toBe(400);
    const problem = await response.json() as { invalid_params: { name: string; reason: string }[] };
    expect(problem.invalid_params.map((p) => p.name)).toEqual(['events[0]', 'events[1]', 'events[1]', 'events[1]']);
    expect(problem.invalid_params[0]!.reason).toMatch(/24 h au plus/);
    const many = Array.from({ length: 501 }, (_, i) => ({ ticket: `M${i}`, kind: 'arrival', at: ago(1) }));
    const tooMany = await send(many);
    expect(tooMany.status).toBe(400);
    expect((await tooMany.json() as { invalid_params: { reason: string }[] }).invalid_params[0]!.reason).toMatch(/500 événements au plus/);
    expect((await send([])).status).toBe(400);
    expect((await post(office.id, '{"events":', clerk)).status).toBe(400);
    // 500 events fit in one request.
    const full = Array.from({ length: 500 }, (_, i) => ({ ticket: `${newTicket().slice(0, 7)}-${i}`, kind: 'arrival', at: ago(1) }));
    expect((await send(full)).status).toBe(201);
  });

  it('writes no replay record for a refused signed request', async () => {
    const records = await count('visit_requests');
    expect((await signed([{ ticket: newTicket(), kind: 'served', at: ago(1) }])).status).toBe(422);
    expect(await count('visit_requests')).toBe(records);
  });
});

describe('the resource', () => {
  it('is described in the OpenAPI document, answers other methods with 405, and caps the body at 64 KiB', async () => {
    const doc = await (await request('/api/openapi.json')).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>> };
    const post = doc.paths['/api/v1/offices/{id}/visits']!.post!;
    expect(Object.keys(post.responses).sort()).toEqual(['201', '400', '401', '403', '404', '409', '413', '422']);
    expect(JSON.stringify(post.requestBody)).toContain('"maxItems":500');
    const get = await request(path(office.id));
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    const huge = await request(path(office.id), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events: [], pad: 'x'.repeat(70_000) }) });
    expect(huge.status).toBe(413);
  });
});

describe('concurrency', () => {
  it('stores a ticket’s arrival once when requests race it: one 201, every other 409 naming it', async () => {
    const clerks = await Promise.all(Array.from({ length: 4 }, () => token('counter', 'office', office.id)));
    for (let round = 0; round < 4; round++) {
      const ticket = newTicket();
      const responses = await Promise.all([
        ...clerks.map((clerk, i) => post(office.id, JSON.stringify({ events: [{ ticket, kind: 'arrival', at: ago(2 + i) }] }), bearer(clerk))),
        signed([{ ticket, kind: 'arrival', at: ago(1) }]),
        signed([{ ticket: newTicket(), kind: 'arrival', at: ago(1) }, { ticket, kind: 'arrival', at: ago(1) }], source, office.id, new Date(Date.now() - 1000)),
      ]);
      expect(responses.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      for (const r of responses.filter((r) => r.status === 409)) {
        expect((await r.json() as { events: { ticket: string }[] }).events.map((e) => e.ticket)).toContain(ticket);
      }
      expect(await storedOf(ticket)).toHaveLength(1);
    }
  });

  it('keeps a ticket’s stages in order when a `called` and an earlier `served` race (one 201, one 422; the database’s order check)', async () => {
    for (let round = 0; round < 4; round++) {
      const ticket = newTicket();
      expect((await recordVisits(db(), { office, source: 'staff:race', events: [{ ticket, kind: 'arrival', at: ago(20) }], replayDigest: null, now: new Date() })).ok).toBe(true);
      // Each alone is fine after the arrival; together, served (10 min ago) before called (2 min ago) is out of order.
      const outcomes = await Promise.all([
        recordVisits(db(), { office, source: 'staff:race-a', events: [{ ticket, kind: 'called', at: ago(2) }], replayDigest: null, now: new Date() }),
        recordVisits(db(), { office, source: 'staff:race-b', events: [{ ticket, kind: 'served', at: ago(10) }], replayDigest: null, now: new Date() }),
      ]);
      expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
      expect(outcomes.find((o) => !o.ok)).toMatchObject({ ok: false, problem: 'refused', problems: [{ index: 0, ticket, fault: 'out_of_order' }] });
      const stored = await storedOf(ticket);
      expect(stored).toHaveLength(2);
      // Whatever won, the stored stages go forward in rank and in time.
      const rank = { arrival: 0, called: 1, served: 2 } as Record<string, number>;
      const byRank = [...stored].sort((a, b) => rank[a.kind]! - rank[b.kind]!);
      expect(byRank.map((e) => e.at)).toEqual([...byRank.map((e) => e.at)].sort((a, b) => a - b));
    }
  });

  it('refuses, in the database itself, a stage without an arrival or going back in time (the trigger of migration 0015)', async () => {
    const d1 = db().$client;
    const insert = (ticket: string, kind: string, at: number) => d1.prepare(
      `insert into visit_events (location_id, service_date, ticket, kind, at, source, received_at) values (?1, '2026-01-05', ?2, ?3, ?4, 'test', ?4)`,
    ).bind(office.id, ticket, kind, at).run();
    const ticket = newTicket();
    await expect(insert(ticket, 'called', 2_000)).rejects.toThrow(/visit_order/);
    await insert(ticket, 'arrival', 1_000);
    await expect(insert(ticket, 'served', 500)).rejects.toThrow(/visit_order/);
    await insert(ticket, 'served', 3_000);
    await expect(insert(ticket, 'called', 2_000)).rejects.toThrow(/visit_order/);
    expect((await storedOf(ticket)).map((e) => e.kind)).toEqual(['arrival', 'served']);
  });

  it('maps the unique index’s refusal to a named duplicate when both pass the check (the use case raced directly)', async () => {
    for (let round = 0; round < 4; round++) {
      const ticket = newTicket();
      const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => recordVisits(db(), {
        office, source: `staff:race-${i}`, events: [{ ticket, kind: 'arrival', at: ago(1) }], replayDigest: null, now: new Date(),
      })));
      expect(outcomes.filter((o) => o.ok)).toEqual([{ ok: true, accepted: 1 }]);
      for (const o of outcomes.filter((o) => !o.ok)) {
        expect(o).toMatchObject({ ok: false, problem: 'refused', problems: [{ index: 0, ticket, fault: 'duplicate' }] });
      }
      expect(await storedOf(ticket)).toHaveLength(1);
    }
  });
});
