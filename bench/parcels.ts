/**
 * `npm run bench:parcels [-- --events 100000 --clients 4 --duration 20 --connections 32 --state DIR --port P --dist DIR --out FILE]`
 *
 * Issue 10's two performance figures, each against its baseline in the
 * same run, on the built Worker served by `wrangler dev` on the demo
 * network and its demo parcels (`npm run db:migrate && npm run db:seed`,
 * as `npm start`; a fresh temporary state unless `--state`):
 *
 * 1. Ingestion: `--events` carrier events (default 100,000: 90 % distinct
 *    events of demo journeys, about 16,000 parcels, and 10 % sent again),
 *    shuffled, in signed batches of 500, POSTed to
 *    `/api/v1/parcels/events` by `--clients` concurrent clients. Events per
 *    second, against a plain insert of the same rows in the same batches:
 *    there is no such route in the Worker, so the baseline writes them
 *    into the same local D1 file through wrangler's platform proxy
 *    (scripts/local-db.ts), one `insert … values (…)` statement per row,
 *    500 statements per `exec()` call, as many clients; its rows are
 *    deleted before the ingestion runs. The values are written into the
 *    SQL text: through the proxy each `prepare()`/`bind()` is a round trip
 *    of about 4 ms (500 of them per batch would measure the proxy, not D1).
 * 2. The tracking page: p99 latency of `/suivi/{n}` over the 3,000 demo
 *    parcels against the site's stylesheet (the static asset bench:locator
 *    uses), `--connections` autocannon clients for `--duration` s each,
 *    the static asset first. Each page is requested once before (the edge
 *    cache keeps a parcel's page from its first view; the time that takes
 *    is reported as `warm`). Target: ratio ≤ 2.
 *
 * Prints the README rows and writes bench/results/parcels.json. Exits 0
 * when the measurement ran, whatever the figures.
 */
import { openDatabase } from '../scripts/local-db';
import { DEMO_SEED, DEMO_SIZE, generateDemoNetwork } from '../tools/demo/network';
import { DEMO_PARCEL_COUNT, demoParcels, demoTrackingNumbers } from '../tools/demo/parcels';
import { seededRandom } from '../tools/demo/random';
import type { CarrierEvent } from '../worker/parcels/api-schema';
import { carrierKey, createCarrier, postcodeMac } from '../worker/parcels/carriers';
import { signatureHeader } from '../worker/parcels/signature';
import { readInstant } from '../worker/hours/instants';
import { parseTrackingNumber } from '../worker/parcels/tracking-number';
import { newPool, send } from './mix/client';
import { againstStaticText, grouped, load, loadAverages, ratioFields, runRecord, runServerBench, serverBenchOptions, stylesheetOf, writeResults } from './mix/harness';
import { percentile, round } from './mix/stats';

const USAGE = 'usage: npm run bench:parcels -- [--events 100000] [--clients 4] [--duration 20] [--connections 32] [--state DIR] [--port P] [--dist DIR] [--out FILE]';
const BATCH = 500;
const DUPLICATE_SHARE = 0.1;
/** The bound on the tracking page's p99 over the static asset's. */
const BOUND = 2;
/** The baseline's rows carry their own carrier id: no clash with the ingested ones, and easy to delete. */
const BASELINE_CARRIER = 'car_benchplain01';

const opts = serverBenchOptions(USAGE, 'bench/results/parcels.json', {
  events: { default: 100_000, min: 1000, max: 2_000_000 },
  clients: { default: 4, min: 1, max: 64 },
  duration: { default: 20, min: 1, max: 600 },
  connections: { default: 32, min: 1, max: 512 },
});

/**
 * The events to send: the journeys of demo parcels past the seeded ones
 * (other numbers), cut at 90 % of `total`, plus 10 % of them again, shuffled.
 */
function workload(total: number, now: Date) {
  const network = generateDemoNetwork(DEMO_SEED, DEMO_SIZE);
  const distinctTarget = Math.round(total * (1 - DUPLICATE_SHARE));
  const distinct: CarrierEvent[] = [];
  let parcels = 0;
  for (let from = DEMO_PARCEL_COUNT; distinct.length < distinctTarget; from += 2000) {
    for (const parcel of demoParcels(network, now, 2000, from)) {
      if (distinct.length >= distinctTarget) break;
      parcels++;
      distinct.push(...parcel.events.slice(0, distinctTarget - distinct.length));
    }
  }
  const random = seededRandom(20261125);
  const again = Array.from({ length: total - distinct.length }, () => distinct[random.int(distinct.length)]!);
  const all = [...distinct, ...again];
  for (let i = all.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const batches: CarrierEvent[][] = [];
  for (let at = 0; at < all.length; at += BATCH) batches.push(all.slice(at, at + BATCH));
  return { distinct, again: again.length, parcels, batches };
}

const PLAIN_COLUMNS = 'carrier_id, event_id, tracking_number, code, occurred_at, location_id, product, promised_date, shelf, postcode_mac, received_at';
const literal = (value: string | number | null) => (value === null ? 'NULL' : typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`);

/** The plain insert of the row parcel_events keeps for an event (what the use case stores), under the baseline's carrier id. */
async function plainInsert(event: CarrierEvent, key: string, receivedAt: number): Promise<string> {
  const number = (parseTrackingNumber(event.tracking_number) as { number: string }).number;
  const row = [
    BASELINE_CARRIER, event.event_id, number, event.code, (readInstant(event.occurred_at) as { value: Date }).value.getTime(),
    event.location_id ?? null, event.product ?? null, event.promised_date ?? null, event.shelf ?? null,
    event.recipient_postcode ? await postcodeMac(key, number, event.recipient_postcode) : null, receivedAt,
  ];
  // A row sent twice would stop exec() at its second insert: skipped instead, as the use case skips it.
  return `insert into parcel_events (${PLAIN_COLUMNS}) values (${row.map(literal).join(', ')}) on conflict do nothing;`;
}

/** Runs `work` over `items` with `clients` concurrent workers; answers the wall time in ms. */
async function concurrently<T>(items: T[], clients: number, work: (item: T, index: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  }));
  return performance.now() - started;
}

/** Other work on the machine moves every figure here: the 1, 5 and 15-minute load averages are kept with them. */
const loadBefore = loadAverages();
await runServerBench('parcels', opts, async ({ state, built, log, start }) => {
  const now = new Date();
  const work = workload(opts.events, now);
  log(`workload: ${opts.events} events in ${work.batches.length} batches of ${BATCH}: ${work.distinct.length} distinct (${work.parcels} journeys) + ${work.again} sent again, shuffled`);
  const { db, close } = await openDatabase({ persistTo: state });
  let carrier: { id: string; secret: string };
  const plainBatches: string[] = [];
  try {
    const key = await carrierKey(db, undefined);
    carrier = await createCarrier(db, { name: 'Banc d’essai (npm run bench:parcels)', key, now });
    for (const batch of work.batches) plainBatches.push((await Promise.all(batch.map((e) => plainInsert(e, key, now.getTime())))).join('\n'));
  } finally {
    await close();
  }

  const server = await start();

  // Baseline: the same rows, plain inserts, through the same local D1 file (platform proxy), same batches and clients.
  const plain = await openDatabase({ persistTo: state });
  let plainMs: number;
  let plainStored: number;
  try {
    const d1 = plain.db.$client;
    log(`baseline: plain inserts, ${plainBatches.length} exec() calls of ${BATCH} statements, ${opts.clients} clients`);
    plainMs = await concurrently(plainBatches, opts.clients, async (statements) => {
      await d1.exec(statements);
    });
    plainStored = (await d1.prepare('select count(*) as n from parcel_events where carrier_id = ?').bind(BASELINE_CARRIER).first<{ n: number }>())!.n;
    await d1.prepare('delete from parcel_events where carrier_id = ?').bind(BASELINE_CARRIER).run();
  } finally {
    await plain.close();
  }
  log(`baseline: ${(plainMs / 1000).toFixed(1)} s, ${plainStored} rows stored`);

  // Ingestion: signed batches through the Worker.
  const pool = newPool(server.base, opts.clients);
  const counts = { accepted: 0, duplicate: 0, rejected: 0, failed: 0 };
  const latencies: number[] = [];
  let firstFailure = '';
  log(`ingestion: ${work.batches.length} signed requests, ${opts.clients} clients`);
  const ingestMs = await concurrently(work.batches, opts.clients, async (events) => {
    const body = { events };
    const header = await signatureHeader(carrier.id, carrier.secret, JSON.stringify(body), new Date());
    const answer = await send(pool, 'ingest', { method: 'POST', path: '/api/v1/parcels/events', headers: { 'guichet-signature': header }, json: body, keepBody: true });
    latencies.push(answer.sample.ms);
    if (answer.status !== 200) {
      counts.failed++;
      firstFailure ||= `${answer.status} ${answer.text?.slice(0, 300)}`;
      return;
    }
    const result = JSON.parse(answer.text!) as { accepted: number; duplicate: number; rejected: number };
    counts.accepted += result.accepted;
    counts.duplicate += result.duplicate;
    counts.rejected += result.rejected;
  });
  await pool.close();
  if (counts.failed) throw new Error(`${counts.failed} ingestion requests failed, the first: ${firstFailure}`);
  log(`ingestion: ${(ingestMs / 1000).toFixed(1)} s; accepted ${counts.accepted}, duplicate ${counts.duplicate}, rejected ${counts.rejected}`);
  if (counts.accepted !== work.distinct.length || counts.duplicate !== work.again || counts.rejected !== 0) {
    throw new Error(`the server's counts (${JSON.stringify(counts)}) are not the workload's (${work.distinct.length} distinct, ${work.again} again)`);
  }

  // The tracking page against the static asset.
  const css = await stylesheetOf(server.base);
  const tracking = demoTrackingNumbers(DEMO_PARCEL_COUNT).map((n) => `/suivi/${n}`);
  const probe = await fetch(`${server.base}${tracking[8]}`);
  const probeText = await probe.text();
  if (probe.status !== 200) throw new Error(`${tracking[8]} answered ${probe.status}: is the tracking page built? ${probeText.slice(0, 200)}`);
  const page = { bytes: probeText.length, cacheControl: probe.headers.get('cache-control'), serverTiming: probe.headers.get('server-timing') };
  log(`${tracking[8]}: ${page.bytes} bytes, cache-control ${page.cacheControl}, server-timing ${page.serverTiming}`);
  // Warm the isolates and the edge cache: every tracking page once, as its recipient's first look would. Measured from a cold
  // cache instead, a 20 s run over 3,000 parcels is almost only first views, and says nothing of how pages are answered after.
  const warmStarted = performance.now();
  await concurrently(tracking, opts.connections, async (path) => {
    await (await fetch(`${server.base}${path}`)).arrayBuffer();
  });
  const warm = { pages: tracking.length, seconds: round((performance.now() - warmStarted) / 1000, 1) };
  const again = await fetch(`${server.base}${tracking[8]}`);
  await again.arrayBuffer();
  Object.assign(page, { serverTimingAfterWarm: again.headers.get('server-timing') });
  log(`warmed ${warm.pages} tracking pages in ${warm.seconds} s; ${tracking[8]} again: server-timing ${again.headers.get('server-timing')}`);
  log(`static asset ${css}: ${opts.connections} clients × ${opts.duration} s`);
  const staticFigures = await load(server.base, [css], opts.duration, opts.connections);
  log(`tracking page over ${tracking.length} demo parcels: ${opts.connections} clients × ${opts.duration} s`);
  const trackingFigures = await load(server.base, tracking, opts.duration, opts.connections);

  const sortedLatencies = [...latencies].sort((a, b) => a - b);
  const eventsPerSecond = opts.events / (ingestMs / 1000);
  const plainPerSecond = opts.events / (plainMs / 1000);
  const ingestRatio = ingestMs / plainMs;
  const result = {
    ...runRecord('parcels', built, loadBefore),
    server: 'wrangler dev (local workerd + D1/SQLite), same machine',
    ingestion: {
      events: opts.events, distinct: work.distinct.length, sent_again: work.again, journeys: work.parcels, batch: BATCH, requests: work.batches.length,
      clients: opts.clients, order: 'shuffled', seconds: round(ingestMs / 1000, 2), events_per_second: round(eventsPerSecond, 0),
      request_ms: { p50: round(percentile(sortedLatencies, 50)), p99: round(percentile(sortedLatencies, 99)), max: round(sortedLatencies.at(-1)) },
      answered: counts,
    },
    baseline: {
      path: `plain \`insert into parcel_events … values (…)\` statements with literal values (on conflict do nothing, for the rows sent twice), ${BATCH} per D1 exec() call, ${opts.clients} clients, into the same local D1 file through wrangler's platform proxy (scripts/local-db.ts): not through the Worker, which has no such route`,
      rows: opts.events, stored: plainStored, seconds: round(plainMs / 1000, 2), events_per_second: round(plainPerSecond, 0),
    },
    ingestion_time_over_plain_insert: round(ingestRatio, 2),
    tracking_page: {
      paths: `/suivi/{n} over the ${tracking.length} demo parcels`, connections: opts.connections, seconds: opts.duration, probe: page,
      warm: { ...warm, what: 'every tracking page requested once before the measure (the edge cache then holds it)' },
      static: { path: css, ...staticFigures }, tracking: trackingFigures, ...ratioFields(trackingFigures.p99 / staticFigures.p99, BOUND),
    },
  };
  writeResults(opts.out, result);

  console.log(`\n## bench:parcels — README rows\n`);
  console.log(`| parcel events ingested: ${grouped(opts.events)} (${DUPLICATE_SHARE * 100} % sent twice, shuffled), signed batches of ${BATCH}, ${opts.clients} clients (\`npm run bench:parcels\`) | ${grouped(eventsPerSecond)} events/s (${(ingestMs / 1000).toFixed(1)} s); a plain insert of the same rows, ${BATCH} \`insert\` statements per D1 \`exec()\` into the same local D1 (platform proxy, not the Worker): ${grouped(plainPerSecond)} rows/s (${(plainMs / 1000).toFixed(1)} s); ingestion takes ${ingestRatio.toFixed(2)}× the plain insert |`);
  console.log(`| tracking page \`/suivi/{n}\`, ${grouped(tracking.length)} demo parcels each seen once before, ${opts.connections} clients × ${opts.duration} s, same run | ${againstStaticText(trackingFigures, staticFigures, BOUND)} |`);
  console.log('');
  log(`written ${opts.out}`);
});
