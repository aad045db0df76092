/**
 * Following a parcel and hearing about it, on a real D1 and the local queue:
 * the recipient's postcode proves ownership (and wrong guesses are limited,
 * also when they come at once); notices wait out the person's quiet hours
 * and go out merged into one message; nothing is sent twice, whatever is
 * replayed or re-run; email alerts need a confirmation and end in one click.
 */
import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { customers } from '../../db/schema';
import { openCustomerSession } from '../../worker/accounts/sessions';
import type { WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { localParts } from '../../worker/hours/zoned-time';
import { outboxFor } from '../../worker/messages/outbox';
import { carrierKey, createCarrier } from '../../worker/parcels/carriers';
import { runParcelJobs } from '../../worker/parcels/jobs';
import { signatureHeader } from '../../worker/parcels/signature';
import { request } from './http-client';
import { db, demoSample, load } from './seed';

const SITE = 'http://localhost:8787';
const d1 = (env as unknown as { DB: D1Database }).DB;
const queue = (env as unknown as { MESSAGES: Queue }).MESSAGES;
const HOUR = 3_600_000;
let carrier: { id: string; secret: string };
let office: { id: string; name: string };
let serial = 0;

const WEEK: WeeklyRule[] = [1, 2, 3, 4, 5, 6].map((day) => ({ day: day as 1, opens: '08:00', closes: '19:00' }));

/** Colissimo-style numbers: two letters then 11 digits, unique per test run. */
const newNumber = () => `6M${String(Date.now() % 1e8).padStart(8, '0')}${String(serial++).padStart(3, '0')}`;

const signed = async (events: unknown[], at = new Date()) => {
  const body = JSON.stringify({ events });
  const response = await request('/api/v1/parcels/events', { method: 'POST', headers: { 'content-type': 'application/json', 'guichet-signature': await signatureHeader(carrier.id, carrier.secret, body, at) }, body });
  expect(response.status).toBe(200);
  return response.json() as Promise<{ accepted: number; duplicate: number }>;
};

/** The wall-clock time in Paris at `ms`, `HH:MM`. */
const hhmm = (ms: number) => {
  const { minutes } = localParts(ms, 'Europe/Paris');
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
};

async function newCustomer(quiet?: { start: string; end: string }) {
  const id = `cus_${crypto.randomUUID()}`;
  const email = `colis.${Date.now()}.${serial++}@exemple.fr`;
  const at = new Date().toISOString();
  if (quiet) expect([quiet.start, quiet.end]).toEqual([expect.stringMatching(/^\d\d:\d\d$/), expect.stringMatching(/^\d\d:\d\d$/)]);
  await db().insert(customers).values({ id, email, counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at, ...(quiet ? { quietStart: quiet.start, quietEnd: quiet.end } : {}) });
  const { cookie } = await openCustomerSession(db(), { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
  return { id, email, cookie: cookie.split(';')[0]! };
}

const follow = (who: { cookie: string }, trackingNumber: string, postcode: string) =>
  request('/api/v1/account/parcels', { method: 'POST', headers: { 'content-type': 'application/json', origin: SITE, cookie: who.cookie }, body: JSON.stringify({ tracking_number: trackingNumber, postcode }) });

/** A parcel announced for `postcode`, in transit since 3 hours. */
async function parcelFor(postcode: string) {
  const number = newNumber();
  await signed([
    { event_id: `${number}-1`, tracking_number: number, code: 'PC1', occurred_at: new Date(Date.now() - 3 * HOUR).toISOString(), product: 'colissimo', recipient_postcode: postcode },
    { event_id: `${number}-2`, tracking_number: number, code: 'ET1', occurred_at: new Date(Date.now() - 2 * HOUR).toISOString() },
  ]);
  return number;
}

const arrival = (number: string, minutesAgo = 5) => ({
  event_id: `${number}-ag1`, tracking_number: number, code: 'AG1', occurred_at: new Date(Date.now() - minutesAgo * 60_000).toISOString(), location_id: office.id, shelf: 'C7',
});

beforeAll(async () => {
  const rows = demoSample(200);
  await load(rows);
  const chosen = rows.find((r) => r.type === 'post_office' && r.timeZone === 'Europe/Paris')!;
  office = { id: chosen.id, name: chosen.name };
  await seedSchedules(db(), [{ locationId: office.id, weekly: WEEK, exceptions: [] }], new Date().toISOString());
  carrier = await createCarrier(db(), { name: 'Transporteur des messages', key: await carrierKey(db(), undefined), now: new Date() });
});

describe('following a parcel in the account', () => {
  it('needs the recipient’s postcode, answers a wrong one like an unknown parcel, and records the addition', async () => {
    const number = await parcelFor('69003');
    const camille = await newCustomer();
    const wrong = await follow(camille, number, '69004');
    const unknown = await follow(camille, newNumber(), '69003');
    expect([wrong.status, unknown.status]).toEqual([403, 403]);
    expect((await wrong.json() as { detail: string }).detail).toBe((await unknown.json() as { detail: string }).detail);
    expect((await follow(camille, number.toLowerCase(), '69003')).status).toBe(201);
    const list = await request('/api/v1/account/parcels', { headers: { cookie: camille.cookie } });
    expect(list.headers.get('cache-control')).toBe('private, no-store');
    expect(((await list.json()) as { items: { tracking_number: string }[] }).items.map((i) => i.tracking_number)).toEqual([number]);
    const history = await request('/api/v1/account/history', { headers: { cookie: camille.cookie } });
    expect(JSON.stringify(await history.json())).toContain('Colis ajouté à mon suivi');
  });

  it('spends exactly 10 wrong postcodes an hour, even when 20 guesses come at once', async () => {
    const number = await parcelFor('13001');
    const guesser = await newCustomer();
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => follow(guesser, number, String(13002 + i))));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 403)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    // Even the right postcode waits for the hour to pass: no guess is tried past the limit.
    expect((await follow(guesser, number, '13001')).status).toBe(429);
    const [{ n }] = await db().all<{ n: number }>(sql`select count(*) as n from parcel_follow_failures where customer_id = ${guesser.id}`);
    expect(n).toBe(10);
  });

  it('compares at most 10 postcodes when 60 guesses come at once, the right one among them', async () => {
    const number = await parcelFor('13100');
    const guesser = await newCustomer();
    const guesses = Array.from({ length: 60 }, (_, i) => String(13060 + i)); // 13100 is the 41st
    const statuses = (await Promise.all(guesses.map((postcode) => follow(guesser, number, postcode)))).map((a) => a.status);
    expect(statuses.filter((s) => s === 403 || s === 201).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(50);
  });

  it('counts wrong postcodes per parcel too: new accounts do not buy new guesses', async () => {
    const number = await parcelFor('13200');
    const statuses: number[] = [];
    for (let account = 0; account < 3; account++) {
      const guesser = await newCustomer();
      for (let i = 0; i < 10; i++) statuses.push((await follow(guesser, number, String(13300 + account * 10 + i))).status);
    }
    expect(statuses.filter((s) => s === 403)).toHaveLength(20);
    expect(statuses.slice(20)).toEqual(Array(10).fill(429));
  });

  it('accepts the postcode any carrier gave: a later carrier does not lock the recipient out', async () => {
    const number = await parcelFor('44000');
    const other = await createCarrier(db(), { name: 'Second transporteur', key: await carrierKey(db(), undefined), now: new Date() });
    const body = JSON.stringify({ events: [{ event_id: `${number}-x`, tracking_number: number, code: 'ET2', occurred_at: new Date(Date.now() - HOUR).toISOString(), recipient_postcode: '99999' }] });
    const response = await request('/api/v1/parcels/events', { method: 'POST', headers: { 'content-type': 'application/json', 'guichet-signature': await signatureHeader(other.id, other.secret, body) }, body });
    expect(response.status).toBe(200);
    expect((await follow(await newCustomer(), number, '44000')).status).toBe(201);
  });

  it('refuses a malformed number or postcode with a 400 naming it, and a call from elsewhere with a 403', async () => {
    const who = await newCustomer();
    const badNumber = await follow(who, 'RB123456784FR', '75001');
    expect(badNumber.status).toBe(400);
    expect(JSON.stringify(await badNumber.json())).toContain('clé de contrôle');
    expect((await follow(who, 'RB123456785FR', '7500')).status).toBe(400);
    const elsewhere = await request('/api/v1/account/parcels', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example', cookie: who.cookie }, body: '{}' });
    expect(elsewhere.status).toBe(403);
  });
});

describe('messages', () => {
  it('tells a follower at once outside quiet hours, with the place and the deadline, and never twice', async () => {
    const number = await parcelFor('75011');
    // Quiet hours that ended a minute ago.
    const who = await newCustomer({ start: hhmm(Date.now() - 3 * HOUR), end: hhmm(Date.now() - 60_000) });
    expect((await follow(who, number, '75011')).status).toBe(201);
    const arrived = arrival(number);
    await signed([arrived]);
    await vi.waitUntil(async () => (await outboxFor(d1, who.email)).length > 0, { timeout: 15_000, interval: 100 });
    const [message] = await outboxFor(d1, who.email);
    expect(message!.subject).toBe(`Votre colis ${number} vous attend`);
    expect(message!.text).toContain('À retirer avant le');
    expect(message!.text).toContain(`${SITE}/suivi/${number}`);

    // The same events again (a new request), and the cron's round: nothing new.
    expect(await signed([arrived], new Date(Date.now() - 60_000))).toMatchObject({ accepted: 0, duplicate: 1 });
    await runParcelJobs(db(), { queue, origin: SITE, holdingDays: {} }, new Date());
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await outboxFor(d1, who.email)).toHaveLength(1);
    const history = await request('/api/v1/account/history', { headers: { cookie: who.cookie } });
    expect(JSON.stringify(await history.json())).toContain('Message envoyé sur un colis');
  });

  it('holds what happens during quiet hours, then sends it merged into one message', async () => {
    const first = await parcelFor('33000');
    const second = await parcelFor('33000');
    // Quiet from an hour ago until an hour from now.
    const quiet = { start: hhmm(Date.now() - HOUR), end: hhmm(Date.now() + HOUR) };
    const who = await newCustomer(quiet);
    for (const number of [first, second]) expect((await follow(who, number, '33000')).status).toBe(201);
    await signed([arrival(first), { event_id: `${second}-md2`, tracking_number: second, code: 'MD2', occurred_at: new Date(Date.now() - 60_000).toISOString() }]);
    await runParcelJobs(db(), { queue, origin: SITE, holdingDays: {} }, new Date());
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await outboxFor(d1, who.email)).map((m) => m.subject + m.text)).toEqual([]);
    const held = await db().all<{ kind: string; deliver_after: number }>(sql`select kind, deliver_after from parcel_notices where recipient = ${`customer:${who.id}`} order by kind`);
    expect(held.map((n) => n.kind)).toEqual(['arrived', 'out_for_delivery']);
    for (const notice of held) expect(hhmm(notice.deliver_after)).toBe(quiet.end);

    // The quiet hours are over: one message with both pieces of news.
    const after = new Date(held[0]!.deliver_after + 60_000);
    await runParcelJobs(db(), { queue, origin: SITE, holdingDays: {} }, after);
    await vi.waitUntil(async () => (await outboxFor(d1, who.email)).length > 0, { timeout: 15_000, interval: 100 });
    const [message] = await outboxFor(d1, who.email);
    expect(message!.subject).toBe('Vos colis : 2 nouvelles');
    expect(message!.text).toContain(first);
    expect(message!.text).toContain(second);
    await runParcelJobs(db(), { queue, origin: SITE, holdingDays: {} }, new Date(after.getTime() + 60_000));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await outboxFor(d1, who.email)).toHaveLength(1);
  });

  it('reminds 2 days before the deadline, once, and reassures after a long silence, once', async () => {
    const waiting = await parcelFor('75015');
    const silent = await parcelFor('75015');
    const who = await newCustomer({ start: '00:00', end: '00:00' });
    for (const number of [waiting, silent]) expect((await follow(who, number, '75015')).status).toBe(201);
    await signed([arrival(waiting)]);
    await vi.waitUntil(async () => (await outboxFor(d1, who.email)).length === 1, { timeout: 15_000, interval: 100 });
    // 14 days later (15 days at a post office): the deadline is the day after tomorrow at the latest.
    const later = new Date(Date.now() + 14 * 24 * HOUR);
    await runParcelJobs(db(), { queue, origin: SITE, holdingDays: {} }, later);
    await runParcelJobs(db(), { queue, origin: SITE, holdingDays: {} }, new Date(later.getTime() + 60_000));
    await vi.waitUntil(async () => (await outboxFor(d1, who.email)).length === 2, { timeout: 15_000, interval: 100 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const messages = await outboxFor(d1, who.email);
    expect(messages).toHaveLength(2);
    const round = messages[0]!;
    // The silent parcel's last scan was 14 days before: reassured, with what to do.
    expect(round.text).toContain(silent);
    expect(round.text).toMatch(/attend toujours|Dernier jour/);
    const kinds = await db().all<{ kind: string }>(sql`select kind from parcel_notices where recipient = ${`customer:${who.id}`} order by kind`);
    expect(kinds.map((k) => k.kind).filter((k) => k !== 'arrived').sort()).toEqual([expect.stringMatching(/^(reminder|deadline_day)$/), 'silent']);
  });
});

describe('email alerts without an account', () => {
  it('sends nothing but the confirmation until confirmed, then news with a one-click unsubscribe that works', async () => {
    const number = await parcelFor('31000');
    const email = `alerte.${Date.now()}@exemple.fr`;
    const ask = () => request(`/api/v1/parcels/${number}/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', origin: SITE }, body: JSON.stringify({ email }) });
    expect((await ask()).status).toBe(202);
    expect((await ask()).status).toBe(202); // the same answer, and no second confirmation within the hour
    await vi.waitUntil(async () => (await outboxFor(d1, email)).length > 0, { timeout: 15_000, interval: 100 });
    await signed([{ event_id: `${number}-ep1`, tracking_number: number, code: 'MD2', occurred_at: new Date(Date.now() - 60_000).toISOString() }]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const [confirmation, ...others] = await outboxFor(d1, email);
    expect(others).toEqual([]);
    const token = /jeton=(alc_[\w-]+)/.exec(confirmation!.text)![1]!;
    const confirm = await request('/api/v1/parcels/alerts/confirmation', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    expect(await confirm.json()).toEqual({ tracking_number: number, confirmed: true });

    await signed([{ event_id: `${number}-di1`, tracking_number: number, code: 'DI1', occurred_at: new Date(Date.now() - 30_000).toISOString() }]);
    // Alerts without an account keep default quiet hours (21:00–08:00, Paris): the news may be held until morning.
    await runParcelJobs(db(), { queue, origin: SITE, holdingDays: {} }, new Date(Date.now() + 12 * HOUR));
    await vi.waitUntil(async () => (await outboxFor(d1, email)).length === 2, { timeout: 15_000, interval: 100 });
    const [news] = await outboxFor(d1, email);
    expect(news!.subject).toBe(`Votre colis ${number} est arrivé`);
    const unsubscribe = /^<(.+)>$/.exec(news!.headers!['List-Unsubscribe']!)![1]!;
    expect(news!.headers!['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(unsubscribe.startsWith(`${SITE}/suivi/alertes/desabonnement?jeton=`)).toBe(true);
    const unsubscribeToken = decodeURIComponent(new URL(unsubscribe).searchParams.get('jeton')!);
    const end = await request('/api/v1/parcels/alerts/unsubscribe', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: unsubscribeToken }) });
    expect(end.status).toBe(200);
    const [{ n }] = await db().all<{ n: number }>(sql`select count(*) as n from parcel_subscriptions where tracking_number = ${number}`);
    expect(n).toBe(0);
  });

  it('sends an address 3 confirmations an hour at most, whatever the parcels', async () => {
    const email = `inonde.${Date.now()}@exemple.fr`;
    for (let i = 0; i < 5; i++) {
      const response = await request(`/api/v1/parcels/${await parcelFor('67000')}/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', origin: SITE }, body: JSON.stringify({ email }) });
      expect(response.status).toBe(202);
    }
    await vi.waitUntil(async () => (await outboxFor(d1, email)).length >= 3, { timeout: 15_000, interval: 100 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await outboxFor(d1, email)).toHaveLength(3);
  });

  it('refuses an unknown parcel (404), a malformed address (400) and a call from another site (403)', async () => {
    const post = (number: string, email: string, origin = SITE) =>
      request(`/api/v1/parcels/${number}/alerts`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ email }) });
    expect((await post(newNumber(), 'a@exemple.fr')).status).toBe(404);
    expect((await post(await parcelFor('59000'), 'pas-une-adresse')).status).toBe(400);
    expect((await post(await parcelFor('59000'), 'a@exemple.fr', 'https://evil.example')).status).toBe(403);
  });
});
