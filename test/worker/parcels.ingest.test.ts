/**
 * Carriers' events through the real signed endpoint, on a real D1: signed
 * batches are stored once, forged, stale and replayed requests are refused,
 * one bad event never refuses the others, and shuffled, duplicated,
 * concurrent replays leave exactly the state of the ordered replay.
 */
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { carriers } from '../../db/schema';
import { carrierKey, createCarrier, rotateCarrierSecret } from '../../worker/parcels/carriers';
import { storedStateOf } from '../../worker/parcels/ingest';
import { eventsOfParcel, saveStates } from '../../worker/parcels/store';
import { signatureHeader, signBody } from '../../worker/parcels/signature';
import { s10CheckDigit } from '../../worker/parcels/tracking-number';
import { request } from './http-client';
import { db, demoSample, load } from './seed';

let carrier: { id: string; secret: string };
let office: string;
let serial = 0;

/** A valid S10 number, new at each call (the check digit computed by the weights of the UPU standard, written out here). */
function newTrackingNumber(): string {
  const serialDigits = String(10_000_000 + (serial++ % 89_999_999) + Math.floor(Math.random() * 1000) * 90_000).slice(-8);
  const weights = [8, 6, 4, 2, 3, 5, 9, 7];
  const sum = [...serialDigits].reduce((t, d, i) => t + Number(d) * weights[i]!, 0);
  const check = 11 - (sum % 11);
  const digit = check === 10 ? 0 : check === 11 ? 5 : check;
  expect(digit).toBe(s10CheckDigit(serialDigits));
  return `LT${serialDigits}${digit}FR`;
}

const post = async (body: string, header?: string) =>
  request('/api/v1/parcels/events', { method: 'POST', headers: { 'content-type': 'application/json', ...(header ? { 'guichet-signature': header } : {}) }, body });

const signed = async (events: unknown[], who = carrier, at = new Date()) => {
  const body = JSON.stringify({ events });
  return post(body, await signatureHeader(who.id, who.secret, body, at));
};

const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;

beforeAll(async () => {
  const rows = demoSample(200);
  await load(rows);
  office = rows.find((r) => r.type === 'post_office')!.id;
  const key = await carrierKey(db(), undefined);
  carrier = await createCarrier(db(), { name: 'Transporteur de test', key, now: new Date() });
});

/** The stored state of parcels, as the API's readers see it (the write's own clock left out). */
async function statesOf(numbers: string[]) {
  const rows = await db().all<Record<string, unknown>>(sql`select * from parcels where tracking_number in (select value from json_each(${JSON.stringify(numbers)})) order by tracking_number`);
  return rows.map(({ updated_at: _, ...rest }) => rest);
}

describe('signed events', () => {
  it('stores each event once: a new request with the same events changes nothing', async () => {
    const number = newTrackingNumber();
    const start = Date.now() - 30 * HOUR;
    const events = [
      { event_id: `e-${number}-1`, tracking_number: number, code: 'PC1', occurred_at: iso(start), product: 'colissimo', recipient_postcode: '75011' },
      { event_id: `e-${number}-2`, tracking_number: number, code: 'ET1', occurred_at: iso(start + 5 * HOUR) },
      { event_id: `e-${number}-3`, tracking_number: number, code: 'AG1', occurred_at: iso(start + 20 * HOUR), location_id: office, shelf: 'B12' },
    ];
    const first = await signed(events);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('private, no-store');
    expect(await first.json()).toMatchObject({ accepted: 3, duplicate: 0, rejected: 0, unknown_codes: [] });
    const [state] = await statesOf([number]);
    expect(state).toMatchObject({ step: 4, delivered: 0, waiting_location_id: office, shelf: 'B12', product: 'colissimo', event_count: 3, event_total: 3, last_code: 'AG1' });
    // The postcode is kept as a MAC bound to the parcel, never as typed.
    expect(String(state!.postcode_mac)).toMatch(/^[0-9a-f]{64}$/);

    // A new request (its own timestamp, so its own signature) carrying the same events.
    const again = await signed(events, carrier, new Date(Date.now() - 60_000));
    expect(await again.json()).toMatchObject({ accepted: 0, duplicate: 3, rejected: 0 });
    expect(await statesOf([number])).toEqual([state]);
  });

  it('refuses the very same signed request twice (a replay), and writes nothing the second time', async () => {
    const number = newTrackingNumber();
    const body = JSON.stringify({ events: [{ event_id: `r-${number}`, tracking_number: number, code: 'PC1', occurred_at: iso(Date.now() - HOUR) }] });
    const header = await signatureHeader(carrier.id, carrier.secret, body);
    expect((await post(body, header)).status).toBe(200);
    const replay = await post(body, header);
    expect(replay.status).toBe(409);
    expect(replay.headers.get('content-type')).toContain('application/problem+json');
    expect((await replay.json() as { detail: string }).detail).toContain('déjà été reçue');
  });

  it('refuses forged, tampered, stale, future, unknown and revoked requests with a 401 that says why', async () => {
    const number = newTrackingNumber();
    const events = [{ event_id: `f-${number}`, tracking_number: number, code: 'PC1', occurred_at: iso(Date.now() - HOUR) }];
    const body = JSON.stringify({ events });
    const now = new Date();
    const t = Math.floor(now.getTime() / 1000);
    const cases: [string, string | undefined, string][] = [
      ['missing', undefined, 'signature manquante'],
      ['malformed', 'v1=abc', 'signature'],
      ['wrong secret', await signatureHeader(carrier.id, `gcs_${'0'.repeat(64)}`, body, now), 'signature invalide'],
      ['other body', `k=${carrier.id},t=${t},v1=${await signBody(carrier.secret, t, body.replace('PC1', 'DI1'))}`, 'signature invalide'],
      ['stale (6 min)', await signatureHeader(carrier.id, carrier.secret, body, new Date(now.getTime() - 6 * 60_000)), 'trop ancienne'],
      ['future (6 min)', await signatureHeader(carrier.id, carrier.secret, body, new Date(now.getTime() + 6 * 60_000)), 'futur'],
      ['unknown carrier', await signatureHeader('car_zzzzzzzzzzzz', carrier.secret, body, now), 'signature invalide'],
    ];
    for (const [what, header, reason] of cases) {
      const response = await post(body, header);
      expect(response.status, what).toBe(401);
      expect((await response.json() as { detail: string }).detail, what).toContain(reason);
    }
    const revoked = await createCarrier(db(), { name: 'Révoqué', key: await carrierKey(db(), undefined), now });
    await db().update(carriers).set({ revokedAt: now.toISOString() }).where(sql`id = ${revoked.id}`);
    expect((await signed(events, revoked)).status).toBe(401);
    // A rotated secret replaces the old one at once.
    const rotating = await createCarrier(db(), { name: 'En rotation', key: await carrierKey(db(), undefined), now });
    const rotated = (await rotateCarrierSecret(db(), rotating.id, await carrierKey(db(), undefined)))!;
    expect((await signed(events, rotating)).status).toBe(401);
    expect((await signed([{ ...events[0], event_id: `rot-${number}` }], { id: rotating.id, secret: rotated.secret })).status).toBe(200);
    await db().run(sql`delete from parcel_events where tracking_number = ${number}`);
    await db().run(sql`delete from parcels where tracking_number = ${number}`);
    expect(await statesOf([number])).toEqual([]);
  });

  it('accepts the good events of a mixed batch, rejects each bad one with its reasons, and keeps unknown codes', async () => {
    const number = newTrackingNumber();
    const at = iso(Date.now() - 2 * HOUR);
    const response = await signed([
      { event_id: `m-${number}-ok`, tracking_number: number, code: 'PC1', occurred_at: at },
      { event_id: `m-${number}-bad-number`, tracking_number: 'RB123456784FR', code: 'PC1', occurred_at: at },
      { event_id: `m-${number}-bad-instant`, tracking_number: number, code: 'ET1', occurred_at: '2026-11-24 10:00' },
      { event_id: `m-${number}-future`, tracking_number: number, code: 'ET1', occurred_at: iso(Date.now() + 3 * HOUR) },
      { event_id: `m-${number}-place`, tracking_number: number, code: 'AG1', occurred_at: at, location_id: 'nowhere-42' },
      { event_id: `m-${number}-extra`, tracking_number: number, code: 'ET1', occurred_at: at, colour: 'blue' },
      { event_id: `m-${number}-new-code`, tracking_number: number, code: 'XY9', occurred_at: at },
      { event_id: `m-${number}-ok`, tracking_number: number, code: 'PC1', occurred_at: at },
      'not an event',
    ]);
    expect(response.status).toBe(200);
    const answer = await response.json() as { accepted: number; duplicate: number; rejected: number; unknown_codes: string[]; results: { outcome: string; reasons?: string[] }[] };
    expect(answer).toMatchObject({ accepted: 2, duplicate: 1, rejected: 6, unknown_codes: ['XY9'] });
    const reasons = answer.results.map((r) => (r.reasons ?? []).join(' | '));
    expect(reasons[1]).toContain('clé de contrôle');
    expect(reasons[2]).toContain('occurred_at');
    expect(reasons[3]).toContain('futur');
    expect(reasons[4]).toContain('lieu inconnu');
    expect(reasons[5]).toContain('colour : champ inconnu');
    expect(answer.results.map((r) => r.outcome)).toEqual(['accepted', 'rejected', 'rejected', 'rejected', 'rejected', 'rejected', 'accepted', 'duplicate', 'rejected']);
    const events = await db().all<{ code: string }>(sql`select code from parcel_events where tracking_number = ${number} order by code`);
    expect(events.map((e) => e.code)).toEqual(['PC1', 'XY9']);
  });

  it('checks the signature over the bytes as sent: a BOM is fine, bytes that are not UTF-8 are a 400', async () => {
    const number = newTrackingNumber();
    const text = JSON.stringify({ events: [{ event_id: `bom-${number}`, tracking_number: number, code: 'PC1', occurred_at: iso(Date.now() - HOUR) }] });
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)]);
    const send = async (bytes: Uint8Array<ArrayBuffer>) =>
      request('/api/v1/parcels/events', { method: 'POST', headers: { 'content-type': 'application/json', 'guichet-signature': await signatureHeader(carrier.id, carrier.secret, bytes) }, body: bytes });
    expect((await send(withBom)).status).toBe(200);
    const broken = new Uint8Array([...new TextEncoder().encode(text.slice(0, -2)), 0xff, 0x7d, 0x7d]);
    expect((await send(broken)).status).toBe(400);
  });

  it('refuses an event id received before with another content, and keeps the first', async () => {
    const number = newTrackingNumber();
    const at = iso(Date.now() - 3 * HOUR);
    await signed([{ event_id: `c-${number}`, tracking_number: number, code: 'PC1', occurred_at: at }]);
    const again = await signed([
      { event_id: `c-${number}`, tracking_number: number, code: 'DI1', occurred_at: at },
      { event_id: `c-${number}-2`, tracking_number: number, code: 'ET1', occurred_at: at },
      { event_id: `c-${number}-2`, tracking_number: number, code: 'ET2', occurred_at: at },
    ], carrier, new Date(Date.now() - 60_000));
    const answer = await again.json() as { results: { outcome: string; reasons?: string[] }[] };
    expect(answer.results.map((r) => r.outcome)).toEqual(['rejected', 'accepted', 'rejected']);
    expect(answer.results[0]!.reasons![0]).toContain('déjà reçu avec un autre contenu');
    expect(await statesOf([number])).toEqual([expect.objectContaining({ step: 2, delivered: 0 })]);
  });

  it('answers a body that is not a batch with a 400, and an oversized one with a 413', async () => {
    const garbled = '{"events": [';
    expect((await post(garbled, await signatureHeader(carrier.id, carrier.secret, garbled))).status).toBe(400);
    const tooMany = Array.from({ length: 501 }, (_, i) => ({ event_id: `x${i}`, tracking_number: 'RB123456785FR', code: 'PC1', occurred_at: iso(Date.now()) }));
    const many = await signed(tooMany);
    expect(many.status).toBe(400);
    expect(JSON.stringify(await many.json())).toContain('500 événements au plus');
    expect((await signed([])).status).toBe(400);
    const huge = JSON.stringify({ events: [{ pad: 'x'.repeat(600 * 1024) }] });
    expect((await post(huge, await signatureHeader(carrier.id, carrier.secret, huge))).status).toBe(413);
  });
});

describe('order-proof state', () => {
  /** A journey of one parcel: the codes in the order they happen, some with a place. */
  const JOURNEYS = [
    ['DR1', 'PC1', 'ET1', 'ET2', 'EP1', 'MD2', 'DI1'],
    ['PC1', 'ET1', 'EP1', 'ND1', 'AG1', 'DI2'],
    ['PC1', 'ET1', 'PB1', 'ET3', 'PB2', 'EP1', 'MD2'],
    ['PC1', 'ET1', 'EP1', 'MD2', 'ND1', 'AG1'],
    ['PC1', 'ET4', 'DO1', 'DO3', 'RE1'],
    ['PC1', 'ZZ1', 'ET1', 'DI1', 'ET2'],
  ];

  it('a shuffled, duplicated replay in concurrent batches gives the state of the ordered replay', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...JOURNEYS.keys()), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 7 }),
        fc.infiniteStream(fc.nat()),
        async (journeys, batches, randomness) => {
          const numbers = journeys.map(() => newTrackingNumber());
          const base = Date.now() - 48 * HOUR;
          const events = journeys.flatMap((j, p) => JOURNEYS[j]!.map((code, i) => ({
            event_id: `o-${numbers[p]}-${i}`, tracking_number: numbers[p]!, code,
            // Two events may share an instant: the order is then the event id's, on both sides.
            occurred_at: iso(base + Math.floor(i / 2) * 2 * HOUR),
            ...(code === 'AG1' || code === 'DI2' ? { location_id: office, shelf: `S${p}` } : {}),
            ...(i === 0 ? { product: 'colissimo' } : {}),
          })));
          // Ordered, one event at a time.
          for (const event of events) expect((await signed([event])).status).toBe(200); // distinct bodies: never a replay
          const ordered = await statesOf(numbers);
          await db().run(sql`delete from parcel_events where tracking_number in (select value from json_each(${JSON.stringify(numbers)}))`);
          await db().run(sql`delete from parcels where tracking_number in (select value from json_each(${JSON.stringify(numbers)}))`);

          // Shuffled, about a third sent twice, split into batches sent at once.
          const random = randomness[Symbol.iterator]();
          const next = () => random.next().value as number;
          const feed = [...events, ...events.filter(() => next() % 3 === 0)].map((e) => ({ e, k: next() })).sort((a, b) => a.k - b.k).map((x) => x.e);
          const groups = Array.from({ length: batches }, (_, b) => feed.filter((_, i) => i % batches === b)).filter((g) => g.length > 0);
          // Each batch is its own request (its own second), as a carrier's retries are.
          const answers = await Promise.all(groups.map((g, b) => signed(g, carrier, new Date(Date.now() - (60 + b) * 1000))));
          expect(answers.map((a) => a.status)).toEqual(groups.map(() => 200));
          expect(await statesOf(numbers)).toEqual(ordered);
        },
      ),
      { numRuns: 12 },
    );
  }, 60_000);

  it('keeps the state computed from more events when a slower batch writes an older one after it', async () => {
    const number = newTrackingNumber();
    const base = Date.now() - 20 * HOUR;
    await signed(['PC1', 'ET1', 'EP1'].map((code, i) => ({ event_id: `s-${number}-${i}`, tracking_number: number, code, occurred_at: iso(base + i * HOUR) })));
    const all = (await eventsOfParcel(db(), number));
    const newer = storedStateOf(number, all);
    const older = storedStateOf(number, all.slice(0, 1));
    // A batch that read before the last event was stored writes last: its state must not win.
    await saveStates(db(), [older], Date.now());
    expect(await statesOf([number])).toEqual([expect.objectContaining({ step: newer.step, event_count: 3, last_code: 'EP1' })]);
  });

  it('keeps the shelf of the current wait only, never one from an earlier wait elsewhere', async () => {
    const number = newTrackingNumber();
    const base = Date.now() - 30 * HOUR;
    const [first, second] = (await db().all<{ id: string }>(sql`select id from locations where type = 'post_office' and status = 'active' limit 2`)).map((r) => r.id);
    await signed([
      { event_id: `sh-${number}-1`, tracking_number: number, code: 'AG1', occurred_at: iso(base), location_id: first, shelf: 'A1' },
      { event_id: `sh-${number}-2`, tracking_number: number, code: 'MD2', occurred_at: iso(base + HOUR) },
      { event_id: `sh-${number}-3`, tracking_number: number, code: 'AG1', occurred_at: iso(base + 2 * HOUR), location_id: second },
    ]);
    expect(await statesOf([number])).toEqual([expect.objectContaining({ waiting_location_id: second, shelf: null })]);
  });

  it('never moves a delivered parcel back, whatever arrives late', async () => {
    const number = newTrackingNumber();
    const base = Date.now() - 40 * HOUR;
    await signed([{ event_id: `d-${number}-1`, tracking_number: number, code: 'DI1', occurred_at: iso(base + 30 * HOUR) }]);
    await signed([{ event_id: `d-${number}-0`, tracking_number: number, code: 'ET1', occurred_at: iso(base + 31 * HOUR) }]);
    expect(await statesOf([number])).toEqual([expect.objectContaining({ step: 5, delivered: 1 })]);
  });
});
