/**
 * `npm run db:seed [-- --force] [--size N] [--persist-to DIR]`
 *
 * Loads the deterministic demo network (about 30,000 locations, with their
 * opening hours) into the local D1, as `npm start` does before serving.
 *
 * A completion marker is written last, once every location and every
 * schedule is in: a seed stopped half-way (Ctrl-C, a crash) leaves no
 * marker, and the next run completes it (the writes are idempotent) instead
 * of serving a fragment. `--force` runs it again even when complete.
 *
 * Then the demo parcels (tools/demo/parcels.ts), at every start, through
 * the real ingestion: the first start stores about 3,000 journeys relative
 * to its own clock; later starts send the same events again, all
 * duplicates, which change nothing (and complete a seed stopped half-way).
 * The event ids are fixed, not dated: a dated set would pile a new copy of
 * every journey onto the same tracking numbers each day (every event listed
 * twice, then three times…). So journeys age with the database: days later
 * the waiting parcels are past their deadline and the moving ones read as
 * silent. `npm run db:reset && npm start` gives fresh ones; the seed says so
 * when the demo parcels are more than a day old.
 *
 * Last, the demo visits (tools/demo/visits.ts): every post office's usual
 * affluence once, and at every start the last hour of arrivals at Paris's
 * post offices, so that the affluence bars and live levels show at once.
 */
import { parseArgs } from 'node:util';
import { demoSchedule } from '../tools/demo/hours';
import { DEMO_SEED, DEMO_SIZE, generateDemoNetwork } from '../tools/demo/network';
import { seedSchedules } from '../worker/hours/store';
import { localParts } from '../worker/hours/zoned-time';
import { planImport } from '../tools/imports/plan';
import { applyImportPlan, loadExisting, unfinishedNetworkWrite } from '../tools/imports/store';
import { publishLocatorSnapshot } from '../worker/locator/snapshot';
import { ensureDemoPartner } from '../worker/partners/demo';
import { seedDemoCatalogue } from '../tools/demo/catalogue';
import { DEMO_CARRIER, seedDemoParcels } from '../tools/demo/parcels';
import { seedDemoVisits } from '../tools/demo/visits';
import { openDatabase, PERSIST_DIR } from './local-db';

const { values } = parseArgs({
  options: {
    force: { type: 'boolean', default: false },
    size: { type: 'string', default: String(DEMO_SIZE) },
    'persist-to': { type: 'string', default: PERSIST_DIR },
  },
});
const size = Number(values.size);
if (!/^\d+$/.test(values.size) || !Number.isSafeInteger(size) || size < 1) {
  console.error(`--size: a positive whole number is expected, got "${values.size}"`);
  process.exit(2);
}

/** The marker names the network it stands for: another seed or size is another network. */
const MARKER = 'demo_network';
const markerValue = `seed ${DEMO_SEED} size ${size}`;

const { db, close } = await openDatabase({ persistTo: values['persist-to'] });
try {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  await ensureDemoPartner(db, now);
  const marker = await db.$client.prepare('select value from settings where name = ?').bind(MARKER).first<{ value: string }>();
  const existing = await loadExisting(db);
  const demoRows = existing.filter((l) => l.source === 'demo').length;

  if ((await unfinishedNetworkWrite(db)) === 'open_data') {
    // Serving now would serve a fragment of the real network: only the import can complete it.
    console.error('the last import of the open data stopped half-way: run `npm run db:import -- <file>` again to complete it');
    process.exitCode = 1;
  } else if (marker?.value === markerValue && !values.force) {
    console.log(`demo network already loaded (${demoRows} locations)`);
    const network = generateDemoNetwork(DEMO_SEED, size);
    await seedCatalogue(network);
    await seedParcels(network);
    await seedVisits(network);
  } else if (!marker && demoRows === 0 && existing.length > 0 && !values.force) {
    // Someone loaded the real network into this database: do not mix the demo in unasked.
    console.log(`database holds ${existing.length} open-data locations: demo network not loaded (npm run db:seed -- --force adds it)`);
    console.log('demo parcels: not seeded either (they travel between demo locations)');
  } else {
    if (demoRows > 0 && marker?.value !== markerValue) console.log(`completing an unfinished demo network (${demoRows} locations so far)`);
    const started = performance.now();
    const network = generateDemoNetwork(DEMO_SEED, size);
    const plan = planImport(existing, network, 'demo');
    let reported = 0;
    await applyImportPlan(db, plan, now, (done, total) => {
      if (done - reported >= 2000 || done === total) {
        reported = done;
        console.log(`demo network: ${done}/${total} statements written`);
      }
    });
    const snapshot = await publishLocatorSnapshot(db);
    console.log(`locator snapshot: version ${snapshot.version}, ${Math.round(snapshot.bytes / 1024)} KB`);
    const today = new Date();
    const schedules = network.map((l) => ({ locationId: l.id, ...demoSchedule(l, localParts(today, l.timeZone).date) }));
    await seedSchedules(db, schedules, now, undefined, (done, total) => {
      if (done === total || done % 6000 === 0) console.log(`opening hours: ${done}/${total} locations written`);
    });
    await db.$client
      .prepare('insert into settings (name, value) values (?, ?) on conflict (name) do update set value = excluded.value')
      .bind(MARKER, markerValue)
      .run();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`demo network loaded: ${network.length} locations (${plan.inserts.length} new, ${plan.updates.length} updated), with opening hours, in ${seconds} s`);
    await seedCatalogue(network);
    await seedParcels(network);
    await seedVisits(network);
  }
} finally {
  await close();
}

/** The demo catalogue and the offices' stock, once (a later start keeps what staff and customers changed). */
async function seedCatalogue(network: ReturnType<typeof generateDemoNetwork>) {
  const started = performance.now();
  const report = await seedDemoCatalogue(db, network, new Date());
  if (report.skipped) console.log(`demo catalogue already loaded (${report.products} products)`);
  else console.log(`demo catalogue: ${report.products} products, ${report.stockRows} stock counts in offices, in ${((performance.now() - started) / 1000).toFixed(1)} s (try /boutique)`);
}

/** The demo parcels over the demo network just loaded or found complete. */
async function seedParcels(network: ReturnType<typeof generateDemoNetwork>) {
  const firstSeeded = await db.$client
    .prepare('select min(received_at) as at from parcel_events where carrier_id = ?').bind(DEMO_CARRIER.id).first<{ at: number | null }>();
  const report = await seedDemoParcels(db, network, new Date());
  const example = report.parcelsByStage.waiting_locker ?? Object.values(report.parcelsByStage)[0];
  const seconds = (report.ms / 1000).toFixed(1);
  console.log(`demo parcels: ${report.parcels} parcels, ${report.events} events (try /suivi/${example?.trackingNumber})`);
  console.log(`demo parcels: ${report.accepted} new, ${report.duplicate} already there, ${report.rejected} rejected, in ${seconds} s`);
  if (report.rejected > 0) {
    // A place the events name is not in the database (closed by a later import…): those journeys lack a step.
    console.error(`demo parcels: ${report.rejected} events rejected, for example ${report.rejections.join(' | ')}`);
  }
  const days = firstSeeded?.at ? Math.floor((Date.now() - firstSeeded.at) / 86_400_000) : 0;
  if (days >= 1) console.log(`demo parcels: journeys seeded ${days} day(s) ago have aged with them (npm run db:reset && npm start for fresh ones)`);
}

/** The demo offices' usual affluence (once) and the live sample's last hour of arrivals (every start). */
async function seedVisits(network: ReturnType<typeof generateDemoNetwork>) {
  const report = await seedDemoVisits(db, network, new Date());
  const counts = report.skipped ? 'counts already loaded' : `${report.countRows} counts for ${report.offices} post offices`;
  console.log(`demo visits: ${counts}, ${report.liveArrivals} arrivals of the last hour at ${report.liveOffices} Paris offices, in ${(report.ms / 1000).toFixed(1)} s`);
}
