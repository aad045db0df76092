/**
 * `npm run bench:stock [-- --duration 20 --connections 32 --paths 2000 --state DIR --port P --dist DIR --out FILE]`
 *
 * Issue 11's performance figures on the built Worker served by `wrangler
 * dev` on the full demo network, its catalogue and its offices' stock
 * (`npm run db:migrate && npm run db:seed`, as `npm start`; a fresh
 * temporary state unless `--state`):
 *
 * 1. "Where can I get it?": p99 latency of
 *    `/api/v1/products/{sku}/availability?q=<commune>` against the site's
 *    stylesheet (the static asset bench:locator and bench:parcels use),
 *    `--connections` autocannon clients for `--duration` s each, the
 *    static asset first, then two workloads of `--paths` requests over the
 *    demo's counter products (those offices keep) and the communes of its
 *    post offices:
 *    - popular: as people ask. Products by Zipf-like popularity (weight
 *      1/rank, a seeded order: a few collections everyone wants), communes
 *      by Zipf-like popularity in the order of how many post offices they
 *      have (the big cities first), as bench:mix draws office pages;
 *    - spread: the worst case, no two requests alike (every product in
 *      turn, the commune stepping by a prime), so no answer is ever reused.
 *    Target: ratio ≤ 2, judged on the popular workload; the spread one is
 *    reported beside it. The search's per-client limit is lifted (32
 *    clients on one loopback address stand for thousands of people), as
 *    for bench:locator.
 * 2. 50 concurrent reservations against a stock of 10: {@link reservationRace}.
 *
 * Prints the README rows and writes bench/results/stock.json. Exits 0 when
 * the measurement ran, whatever the figures.
 */
import { customers } from '../db/schema';
import { openDatabase } from '../scripts/local-db';
import { demoCatalogue } from '../tools/demo/catalogue';
import { openCustomerSession } from '../worker/accounts/sessions';
import { DEFAULT_STOCK_SAFETY_UNITS } from '../worker/config';
import { DEMO_SEED, DEMO_SIZE, generateDemoNetwork } from '../tools/demo/network';
import { againstStaticText, figuresText, grouped, load, loadAverages, ratioFields, runRecord, runServerBench, serverBenchOptions, stylesheetOf, writeResults } from './mix/harness';
import type { Server } from './mix/server';
import { parseServerTiming, percentile, round } from './mix/stats';
import { rng, zipf } from './mix/workload';

const USAGE = 'usage: npm run bench:stock -- [--duration 20] [--connections 32] [--paths 2000] [--state DIR] [--port P] [--dist DIR] [--out FILE]';
/** The bound on the availability query's p99 over the static asset's. */
const BOUND = 2;
/** The popular workload's draws: the same requests on every run. */
const SEED = 1;

const opts = serverBenchOptions(USAGE, 'bench/results/stock.json', {
  duration: { default: 20, min: 1, max: 600 },
  connections: { default: 32, min: 1, max: 512 },
  paths: { default: 2000, min: 10, max: 100_000 },
});

/**
 * The availability requests: every counter product of the demo catalogue
 * (withdrawn ones left out: their answer skips the search) spread over the
 * communes of the demo's post offices, the commune stepping by a prime so
 * that consecutive requests ask about distant places. The API's default
 * radius (10 km) and limit (10).
 */
function availabilityPaths(count: number): { spread: string[]; popular: string[]; popularDistinct: number; skus: number; communes: number } {
  const skus = demoCatalogue().filter((p) => p.counter && !p.withdrawn).map((p) => p.sku);
  const offices = new Map<string, number>();
  for (const l of generateDemoNetwork(DEMO_SEED, DEMO_SIZE)) if (l.type === 'post_office') offices.set(l.commune, (offices.get(l.commune) ?? 0) + 1);
  const communes = [...offices.keys()].sort();
  const path = (sku: string, commune: string) => `/api/v1/products/${sku}/availability?q=${encodeURIComponent(commune)}`;
  const spread = Array.from({ length: count }, (_, i) => path(skus[i % skus.length]!, communes[(i * 7919) % communes.length]!));
  // Popular: a seeded order of products, communes by their number of post offices (ties by name).
  const random = rng(SEED);
  const productOrder = skus.map((sku) => ({ sku, key: random() })).sort((a, b) => a.key - b.key).map((p) => p.sku);
  const communeOrder = [...communes].sort((a, b) => offices.get(b)! - offices.get(a)! || (a < b ? -1 : 1));
  const productRank = zipf(productOrder.length, 1, random);
  const communeRank = zipf(communeOrder.length, 1, random);
  const popular = Array.from({ length: count }, () => path(productOrder[productRank()]!, communeOrder[communeRank()]!));
  return { spread, popular, popularDistinct: new Set(popular).size, skus: skus.length, communes: communes.length };
}

/** What a sample of the availability answers hold and cost (one request at a time, before the load). */
async function probe(base: string, paths: string[]) {
  const sample = paths.filter((_, i) => i % Math.max(1, Math.floor(paths.length / 60)) === 0).slice(0, 60);
  const holders: number[] = [];
  const rowsRead: number[] = [];
  const queries: number[] = [];
  let failed = '';
  for (const path of sample) {
    const response = await fetch(`${base}${path}`);
    const text = await response.text();
    if (response.status !== 200) {
      failed ||= `${path} answered ${response.status}: ${text.slice(0, 200)}`;
      continue;
    }
    holders.push((JSON.parse(text) as { holders: unknown[] }).holders.length);
    const timing = parseServerTiming(response.headers.get('server-timing') ?? undefined);
    if (timing.rowsRead !== undefined) rowsRead.push(timing.rowsRead);
    if (timing.d1Queries !== undefined) queries.push(timing.d1Queries);
  }
  if (failed) throw new Error(failed);
  const median = (xs: number[]) => (xs.length ? percentile([...xs].sort((a, b) => a - b), 50) : null);
  return {
    requests: sample.length,
    with_holders: holders.filter((n) => n > 0).length,
    holders_median: median(holders),
    d1_rows_read_median: median(rowsRead),
    d1_rows_read_max: rowsRead.length ? Math.max(...rowsRead) : null,
    d1_queries_median: median(queries),
  };
}

/**
 * "50 concurrent reservations against a stock of 10": the first counter
 * product of the first demo post office gets a count of 10 + the safety
 * stock (its holds cleared), 50 customers are signed in (sessions opened
 * in the D1, as a sign-in would), and their 50
 * `POST /api/v1/account/reservations` of one unit go at once. Answers how
 * many got 201 (10 expected) and 409, the wall time, and the live holds
 * the D1 then holds (10 expected).
 */
async function reservationRace(server: Server, state: string): Promise<{ attempts: number; succeeded: number; refused: number; other: number; ms: number; liveHeld: number; office: string; sku: string }> {
  const ATTEMPTS = 50;
  const STOCK = 10;
  const safety = DEFAULT_STOCK_SAFETY_UNITS;
  // A counter product at the first demo post office that counts it: its count becomes 10 sellable units, its holds are cleared.
  const { db, close } = await openDatabase({ persistTo: state });
  let office: string;
  let sku: string;
  const cookies: string[] = [];
  try {
    const d1 = db.$client;
    const row = (await d1.prepare(`select s.location_id as office, s.sku as sku from location_stock s join locations l on l.id = s.location_id
      where l.type = 'post_office' and l.status = 'active' order by s.location_id, s.sku limit 1`).first<{ office: string; sku: string }>())!;
    ({ office, sku } = row);
    const now = Date.now();
    await d1.batch([
      d1.prepare('delete from stock_holds where location_id = ? and sku = ?').bind(office, sku),
      d1.prepare('update location_stock set quantity = ?, version = version + 1, updated_at = ? where location_id = ? and sku = ?').bind(STOCK + safety, now, office, sku),
    ]);
    // 50 customers, each signed in once (sessions opened here, as the sign-in would).
    for (let i = 0; i < ATTEMPTS; i++) {
      const id = `cus_bench_${crypto.randomUUID()}`;
      const at = new Date().toISOString();
      await db.insert(customers).values({ id, email: `course.${i}.${now}@exemple.fr`, counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at });
      const { cookie } = await openCustomerSession(db, { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
      cookies.push(cookie.split(';')[0]!);
    }
  } finally {
    await close();
  }
  const origin = new URL(server.base).origin.replace('127.0.0.1', 'localhost');
  const started = performance.now();
  const statuses = await Promise.all(cookies.map((cookie) => fetch(`${server.base}/api/v1/account/reservations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin, cookie, 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify({ sku, location_id: office, quantity: 1 }),
  }).then(async (answer) => {
    await answer.arrayBuffer();
    return answer.status;
  })));
  const ms = performance.now() - started;
  const check = await openDatabase({ persistTo: state });
  let liveHeld: number;
  try {
    liveHeld = (await check.db.$client.prepare(`select coalesce(sum(quantity), 0) as n from stock_holds where location_id = ? and sku = ? and status = 'active'`)
      .bind(office, sku).first<{ n: number }>())!.n;
  } finally {
    await check.close();
  }
  return {
    attempts: ATTEMPTS, succeeded: statuses.filter((s) => s === 201).length, refused: statuses.filter((s) => s === 409).length,
    other: statuses.filter((s) => s !== 201 && s !== 409).length, ms, liveHeld, office, sku,
  };
}

/** Other work on the machine moves every figure here: the 1, 5 and 15-minute load averages are kept with them. */
const loadBefore = loadAverages();
await runServerBench('stock', opts, async ({ state, built, log, start }) => {
  const work = availabilityPaths(opts.paths);
  log(`workloads: ${opts.paths} availability requests over ${work.skus} counter products and ${work.communes} communes with a post office, popular (${work.popularDistinct} distinct) and spread (all distinct)`);
  const server = await start();

  const css = await stylesheetOf(server.base);
  const sample = await probe(server.base, work.spread);
  log(`probe: ${sample.with_holders}/${sample.requests} answers name holders (median ${sample.holders_median}); D1 rows read median ${sample.d1_rows_read_median}, max ${sample.d1_rows_read_max}; queries median ${sample.d1_queries_median}`);
  // Warm the isolate (network, schedules) on requests neither workload makes.
  await load(server.base, work.spread.map((p) => `${p}&radius=9000`).slice(0, 300), 3, opts.connections);
  log(`static asset ${css}: ${opts.connections} clients × ${opts.duration} s`);
  const staticFigures = await load(server.base, [css], opts.duration, opts.connections);
  log(`availability, popular: ${opts.connections} clients × ${opts.duration} s`);
  const availabilityFigures = await load(server.base, work.popular, opts.duration, opts.connections);
  log(`availability, spread: ${opts.connections} clients × ${opts.duration} s`);
  const spreadFigures = await load(server.base, work.spread, opts.duration, opts.connections);
  const race = await reservationRace(server, state);

  const spreadRatio = spreadFigures.p99 / staticFigures.p99;
  const result = {
    ...runRecord('stock', built, loadBefore),
    server: 'wrangler dev (local workerd + D1/SQLite), same machine; anonymous search limit lifted',
    availability: {
      paths: `/api/v1/products/{sku}/availability?q=<commune> (radius 10 km, limit 10): ${opts.paths} requests over ${work.skus} counter products × ${work.communes} communes`,
      connections: opts.connections, seconds: opts.duration, probe: sample,
      static: { path: css, ...staticFigures },
      availability: { workload: `popular: products and communes by Zipf-like popularity (s = 1, seed ${SEED}), ${work.popularDistinct} distinct requests`, ...availabilityFigures },
      ...ratioFields(availabilityFigures.p99 / staticFigures.p99, BOUND),
      spread: { workload: 'spread: no two requests alike (the worst case, never reused)', ...spreadFigures, p99_ratio: round(spreadRatio, 2) },
    },
    reservations: race ?? 'not measured yet (reservationRace in bench/stock.ts)',
  };
  writeResults(opts.out, result);

  console.log('\n## bench:stock — README rows\n');
  console.log(`| availability \`/api/v1/products/{sku}/availability?q=<commune>\`, ${grouped(opts.paths)} requests drawn by popularity (Zipf-like, s = 1) over ${work.skus} counter products × ${grouped(work.communes)} communes (${grouped(work.popularDistinct)} distinct), full demo network, ${opts.connections} clients × ${opts.duration} s, same run (\`npm run bench:stock\`) | ${againstStaticText(availabilityFigures, staticFigures, BOUND)}; load average ${loadBefore.join(' / ')} before |`);
  console.log(`| same run, worst case: ${grouped(opts.paths)} requests no two alike (every product in turn, communes spread) | ${figuresText(spreadFigures)}; p99 ratio ${spreadRatio.toFixed(2)} |`);
  if (race) console.log(`| ${race.attempts} concurrent reservations against a stock of 10 | ${race.succeeded} succeeded, ${race.refused} refused (409), in ${race.ms.toFixed(0)} ms |`);
  console.log('');
  log(`written ${opts.out}`);
});
