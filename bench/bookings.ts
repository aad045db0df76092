/**
 * `npm run bench:bookings [-- --duration 20 --connections 32 --offices 300 --writes 4 --state DIR --port P --dist DIR --out FILE]`
 *
 * Issue 13's performance figures on the built Worker served by `wrangler
 * dev` on the full demo network (`npm run db:migrate && npm run db:seed`,
 * as `npm start`; a fresh temporary state unless `--state`):
 *
 * 1. Listing slots: p99 latency of `GET /api/v1/offices/{id}/slots?offer=…`
 *    (the next 4 weeks, the default) against the site's stylesheet (the
 *    static asset the other benches use), `--connections` autocannon
 *    clients for `--duration` s each, same run, the static asset first.
 *    `--offices` post offices get two offers each (a 30-minute appointment
 *    with 2 advisors, deposit slots of 4 batches), and a seat is booked in
 *    one slot in three of their first week, so the listing counts real
 *    seats. Requests go round the offices and offers: no two consecutive
 *    ones alike. The edge keeps a listing under its offer's seats version
 *    (decision 96), so meanwhile `--writes` seat writes a second (half
 *    bookings, half cancellations, through the API, by signed-in
 *    customers, at random appointment offers) each move one offer's key,
 *    and a sampler reads `Server-Timing` every 100 ms to report the share
 *    of edge hits. Each listing is asked once before the run (as
 *    bench:parcels views each parcel once). 4 writes a second at 300 offices is about ten times
 *    their busiest hour's pace (40 bookings a day each over 8 hours).
 *    Target: ratio ≤ 2.
 * 2. 100 concurrent bookings of one slot with capacity 3, over HTTP, each
 *    customer signed in: how many got 201 (3 expected) and 409, the time,
 *    and the live seats the D1 then holds.
 *
 * Prints the README rows and writes bench/results/bookings.json. Exits 0
 * when the measurement ran, whatever the figures.
 */
import { customers } from '../db/schema';
import { openDatabase } from '../scripts/local-db';
import { openCustomerSession } from '../worker/accounts/sessions';
import { againstStaticText, load, loadAverages, ratioFields, runRecord, runServerBench, serverBenchOptions, stylesheetOf, writeResults } from './mix/harness';
import type { Server } from './mix/server';

const USAGE = 'usage: npm run bench:bookings -- [--duration 20] [--connections 32] [--offices 300] [--writes 4] [--state DIR] [--port P] [--dist DIR] [--out FILE]';
/** The bound on the slots listing's p99 over the static asset's. */
const BOUND = 2;
/** Offers made by this bench carry this prefix: a rerun replaces them. */
const BENCH_OFFER = 'ofr_bench_';
const BENCH_CUSTOMER = 'cus_bench_rdv_';

const opts = serverBenchOptions(USAGE, 'bench/results/bookings.json', {
  duration: { default: 20, min: 1, max: 600 },
  connections: { default: 32, min: 1, max: 512 },
  offices: { default: 300, min: 1, max: 5000 },
  writes: { default: 4, min: 0, max: 100 },
});

/** Two offers at each of the first `count` active post offices with weekly hours (earlier bench offers and their seats replaced). */
async function makeOffers(state: string, count: number): Promise<Array<{ office: string; offer: string; kind: 'appointment' | 'deposit' }>> {
  const { db, close } = await openDatabase({ persistTo: state });
  try {
    const d1 = db.$client;
    await d1.batch([
      d1.prepare(`delete from bookings where offer_id like '${BENCH_OFFER}%'`),
      d1.prepare(`delete from office_offers where id like '${BENCH_OFFER}%'`),
    ]);
    const offices = (await d1.prepare(`select l.id from locations l where l.type = 'post_office' and l.status = 'active'
      and exists (select 1 from location_hours h where h.location_id = l.id) order by l.id limit ?`).bind(count).all<{ id: string }>()).results.map((r) => r.id);
    const now = Date.now();
    const offers = offices.flatMap((office, i) => [
      { office, offer: `${BENCH_OFFER}a${i}`, kind: 'appointment' as const, label: 'Conseil aux professionnels', minutes: 30, capacity: 2 },
      { office, offer: `${BENCH_OFFER}d${i}`, kind: 'deposit' as const, label: 'Dépôt de colis prépayés', minutes: 15, capacity: 4 },
    ]);
    for (let i = 0; i < offers.length; i += 50) {
      await d1.batch(offers.slice(i, i + 50).map((o) => d1.prepare(`insert into office_offers (id, location_id, kind, label, duration_minutes, capacity, active, updated_at, version)
        values (?, ?, ?, ?, ?, ?, 1, ?, 1)`).bind(o.offer, o.office, o.kind, o.label, o.minutes, o.capacity, now)));
    }
    return offers.map(({ office, offer, kind }) => ({ office, offer, kind }));
  } finally {
    await close();
  }
}

/** Books one slot in three of each offer's first 7 days, straight into the D1 (one customer), from the listing the server gives. */
async function bookSome(base: string, state: string, offers: Array<{ office: string; offer: string }>): Promise<number> {
  const seats: Array<{ office: string; offer: string; kind: string; startsAt: number; endsAt: number }> = [];
  for (const { office, offer } of offers) {
    const answer = await fetch(`${base}/api/v1/offices/${office}/slots?offer=${offer}&days=7`);
    if (answer.status !== 200) throw new Error(`${office} ${offer}: slots answered ${answer.status}: ${(await answer.text()).slice(0, 200)}`);
    const body = (await answer.json()) as { offer: { kind: string }; items: Array<{ starts_at: string; ends_at: string }> };
    body.items.forEach((slot, i) => {
      if (i % 3 === 0) seats.push({ office, offer, kind: body.offer.kind, startsAt: Date.parse(slot.starts_at), endsAt: Date.parse(slot.ends_at) });
    });
  }
  const { db, close } = await openDatabase({ persistTo: state });
  try {
    const d1 = db.$client;
    const customer = `${BENCH_CUSTOMER}seats`;
    const at = new Date().toISOString();
    await db.insert(customers).values({ id: customer, email: 'rdv.bench@exemple.fr', counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at }).onConflictDoNothing();
    const now = Date.now();
    for (let i = 0; i < seats.length; i += 50) {
      await d1.batch(seats.slice(i, i + 50).map((s, j) => d1.prepare(`insert into bookings (id, customer_id, location_id, offer_id, kind, starts_at, ends_at, status, hold_expires_at, request_key, created_at, confirmed_at)
        values (?, ?, ?, ?, ?, ?, ?, 'booked', ?, ?, ?, ?)`).bind(`RDV-B${(i + j).toString(36).toUpperCase().padStart(7, '0')}`, customer, s.office, s.offer, s.kind, s.startsAt, s.endsAt, now, `bench-${i + j}`, now, now)));
    }
    return seats.length;
  } finally {
    await close();
  }
}

/** `count` new customers, each with a session cookie (`name=value`), made straight in the D1 while the server runs. */
async function signedInCustomers(state: string, count: number, label: string): Promise<string[]> {
  const cookies: string[] = [];
  const { db, close } = await openDatabase({ persistTo: state });
  try {
    for (let i = 0; i < count; i++) {
      const id = `${BENCH_CUSTOMER}${crypto.randomUUID()}`;
      const at = new Date().toISOString();
      await db.insert(customers).values({ id, email: `rdv.${label}.${i}.${Date.now()}@exemple.fr`, counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at });
      const { cookie } = await openCustomerSession(db, { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
      cookies.push(cookie.split(';')[0]!);
    }
  } finally {
    await close();
  }
  return cookies;
}

/** The `Origin` a customer's browser would send to `base` (its SITE_ORIGIN names localhost). */
const originOf = (base: string) => new URL(base).origin.replace('127.0.0.1', 'localhost');

interface Churn {
  booked: number;
  cancelled: number;
  refused: number;
  /** Listings sampled every 100 ms, and how many the edge answered. */
  sampled: number;
  hits: number;
}

/**
 * While `until()` holds: `perSecond` seat writes a second (a booking of a
 * random free slot of a random appointment offer, then its cancellation),
 * and a listing sampled every 100 ms for its `Server-Timing` edge entry.
 */
async function churn(base: string, cookies: string[], offers: Array<{ office: string; offer: string; kind: string }>, paths: string[], perSecond: number, until: () => boolean): Promise<Churn> {
  const figures: Churn = { booked: 0, cancelled: 0, refused: 0, sampled: 0, hits: 0 };
  const appointments = offers.filter((o) => o.kind === 'appointment');
  const origin = originOf(base);
  const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
  const sampler = (async () => {
    while (until()) {
      const answer = await fetch(`${base}${pick(paths)}`);
      await answer.arrayBuffer();
      figures.sampled++;
      if (/edge;desc=hit/.test(answer.headers.get('server-timing') ?? '')) figures.hits++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const writer = (async () => {
    if (perSecond === 0 || appointments.length === 0) return;
    // One booking and one cancellation per round: two writes.
    const roundMs = 2000 / perSecond;
    for (let round = 0; until(); round++) {
      const started = performance.now();
      const { office, offer } = pick(appointments);
      const cookie = cookies[round % cookies.length]!;
      const listing = (await (await fetch(`${base}/api/v1/offices/${office}/slots?offer=${offer}&days=7`)).json()) as { items: Array<{ starts_at: string; remaining: number }> };
      const free = listing.items.filter((slot) => slot.remaining > 0);
      if (free.length > 0) {
        const made = await fetch(`${base}/api/v1/offices/${office}/appointments`, {
          method: 'POST', headers: { 'content-type': 'application/json', origin, cookie, 'idempotency-key': crypto.randomUUID() },
          body: JSON.stringify({ offer_id: offer, starts_at: pick(free).starts_at }),
        });
        if (made.status === 201) {
          figures.booked++;
          const { id } = (await made.json()) as { id: string };
          const gone = await fetch(`${base}/api/v1/account/bookings/${id}`, { method: 'DELETE', headers: { origin, cookie } });
          await gone.arrayBuffer();
          if (gone.status === 204) figures.cancelled++;
        } else {
          await made.arrayBuffer();
          figures.refused++;
        }
      }
      await new Promise((r) => setTimeout(r, Math.max(0, roundMs - (performance.now() - started))));
    }
  })();
  await Promise.all([sampler, writer]);
  return figures;
}

/**
 * 100 signed-in customers book the same slot of an offer with capacity 3
 * at once (a fresh offer at the first office, its first free slot two days
 * ahead or later).
 */
async function bookingRace(server: Server, state: string, office: string): Promise<{ attempts: number; succeeded: number; refused: number; other: number; ms: number; liveSeats: number; capacity: number }> {
  const ATTEMPTS = 100;
  const CAPACITY = 3;
  const offer = `${BENCH_OFFER}race`;
  const { db, close } = await openDatabase({ persistTo: state });
  try {
    await db.$client.prepare(`insert into office_offers (id, location_id, kind, label, duration_minutes, capacity, active, updated_at, version) values (?, ?, 'appointment', 'Course', 15, ?, 1, ?, 1)`)
      .bind(offer, office, CAPACITY, Date.now()).run();
  } finally {
    await close();
  }
  const cookies = await signedInCustomers(state, ATTEMPTS, 'course');
  const listing = (await (await fetch(`${server.base}/api/v1/offices/${office}/slots?offer=${offer}`)).json()) as { items: Array<{ starts_at: string }> };
  const twoDays = Date.now() + 2 * 86_400_000;
  const slot = listing.items.find((s) => Date.parse(s.starts_at) > twoDays);
  if (!slot) throw new Error(`no slot two days ahead at ${office}`);
  const origin = originOf(server.base);
  const started = performance.now();
  const statuses = await Promise.all(cookies.map((cookie) => fetch(`${server.base}/api/v1/offices/${office}/appointments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin, cookie, 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify({ offer_id: offer, starts_at: slot.starts_at }),
  }).then(async (answer) => {
    await answer.arrayBuffer();
    return answer.status;
  })));
  const ms = performance.now() - started;
  const check = await openDatabase({ persistTo: state });
  let liveSeats: number;
  try {
    liveSeats = (await check.db.$client.prepare(`select count(*) as n from bookings where offer_id = ? and status in ('held', 'booked')`).bind(offer).first<{ n: number }>())!.n;
  } finally {
    await check.close();
  }
  return {
    attempts: ATTEMPTS, succeeded: statuses.filter((s) => s === 201).length, refused: statuses.filter((s) => s === 409).length,
    other: statuses.filter((s) => s !== 201 && s !== 409).length, ms, liveSeats, capacity: CAPACITY,
  };
}

const loadBefore = loadAverages();
await runServerBench('bookings', opts, async ({ state, built, log, start }) => {
  const offers = await makeOffers(state, opts.offices);
  log(`${offers.length} offers at ${opts.offices} post offices`);
  const server = await start();
  const seats = await bookSome(server.base, state, offers);
  log(`${seats} seats booked in the first week`);
  const paths = offers.map(({ office, offer }) => `/api/v1/offices/${office}/slots?offer=${offer}`);
  const sample = (await (await fetch(`${server.base}${paths[0]}`)).json()) as { items: unknown[] };
  const css = await stylesheetOf(server.base);
  // Warm the isolate (schedules, network) before measuring, and ask each listing once, as bench:parcels views each parcel once:
  // the run measures listings asked again while seats move, not the first listing of each offer after a restart.
  await load(server.base, paths, 3, opts.connections);
  for (let i = 0; i < paths.length; i += 8) {
    await Promise.all(paths.slice(i, i + 8).map(async (path) => (await fetch(`${server.base}${path}`)).arrayBuffer()));
  }
  log(`static asset ${css}: ${opts.connections} clients × ${opts.duration} s`);
  const staticFigures = await load(server.base, [css], opts.duration, opts.connections);
  const writers = await signedInCustomers(state, 20, 'churn');
  log(`slots listing: ${opts.connections} clients × ${opts.duration} s over ${paths.length} offers, ${opts.writes} seat writes a second`);
  let loading = true;
  const churning = churn(server.base, writers, offers, paths, opts.writes, () => loading);
  const slotFigures = await load(server.base, paths, opts.duration, opts.connections).finally(() => {
    loading = false;
  });
  const writes = await churning;
  const hitShare = writes.sampled ? Math.round((1000 * writes.hits) / writes.sampled) / 10 : null;
  const race = await bookingRace(server, state, offers[0]!.office);
  const result = {
    ...runRecord('bookings', built, loadBefore),
    server: 'wrangler dev (local workerd + D1/SQLite), same machine',
    slots: {
      paths: `/api/v1/offices/{id}/slots?offer=… (next 4 weeks): ${paths.length} offers at ${opts.offices} post offices, ${seats} seats booked in their first week; ${sample.items.length} slots in the first listing`,
      connections: opts.connections, seconds: opts.duration,
      static: { path: css, ...staticFigures },
      listing: slotFigures,
      writes: { per_second: opts.writes, booked: writes.booked, cancelled: writes.cancelled, refused: writes.refused },
      edge: { sampled: writes.sampled, hits: writes.hits, hit_percent: hitShare },
      ...ratioFields(slotFigures.p99 / staticFigures.p99, BOUND),
    },
    race,
  };
  writeResults(opts.out, result);
  console.log('\n## bench:bookings — README rows\n');
  console.log(`| slots listing \`/api/v1/offices/{id}/slots?offer=…\` (4 weeks), ${paths.length} offers at ${opts.offices} post offices round-robin, each asked once before, ${writes.booked} bookings and ${writes.cancelled} cancellations through the API meanwhile (${((writes.booked + writes.cancelled) / opts.duration).toFixed(1)} writes a second; ${opts.writes} asked, each round waits for its answers), full demo network, ${opts.connections} clients × ${opts.duration} s, same run (\`npm run bench:bookings\`) | ${againstStaticText(slotFigures, staticFigures, BOUND)}; edge hits ${hitShare ?? '–'} % of ${writes.sampled} sampled listings; load average ${loadBefore.join(' / ')} before |`);
  console.log(`| ${race.attempts} concurrent bookings of one slot with capacity ${race.capacity}, over HTTP | ${race.succeeded} booked, ${race.refused} refused (409), ${race.other} other, in ${race.ms.toFixed(0)} ms; ${race.liveSeats} live seats in D1 |`);
  console.log('');
  log(`written ${opts.out}`);
});
