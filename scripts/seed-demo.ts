/**
 * `npm run db:seed [-- --force] [--size N] [--persist-to DIR]`
 *
 * Loads the deterministic demo network (about 30,000 locations) into the
 * local D1 when it holds no location yet. `--force` loads it anyway
 * (idempotent, like an import).
 */
import { parseArgs } from 'node:util';
import { demoSchedule } from '../worker/demo/hours';
import { DEMO_SEED, DEMO_SIZE, generateDemoNetwork } from '../worker/demo/network';
import { seedSchedules } from '../worker/hours/store';
import { localParts } from '../worker/hours/zoned-time';
import { planImport } from '../worker/imports/plan';
import { applyImportPlan, loadExisting } from '../worker/imports/store';
import { ensureDemoPartner } from '../worker/partners/demo';
import { openDatabase, PERSIST_DIR } from './local-db';

const { values } = parseArgs({
  options: {
    force: { type: 'boolean', default: false },
    size: { type: 'string', default: String(DEMO_SIZE) },
    'persist-to': { type: 'string', default: PERSIST_DIR },
  },
});
const size = Number(values.size);
if (!Number.isInteger(size) || size < 1) throw new Error(`--size must be a positive integer, got ${values.size}`);

const { db, close } = await openDatabase({ persistTo: values['persist-to'] });
try {
  await ensureDemoPartner(db, new Date().toISOString());
  const existing = await loadExisting(db);
  if (existing.length > 0 && !values.force) {
    console.log(`database already holds ${existing.length} locations: demo network not loaded`);
  } else {
    const started = performance.now();
    const network = generateDemoNetwork(DEMO_SEED, size);
    // Hours are computed before writing, so the writes run back to back.
    const today = new Date();
    const schedules = network.map((l) => ({ locationId: l.id, ...demoSchedule(l, localParts(today, l.timeZone).date) }));
    const plan = planImport(existing, network, 'demo');
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    let reported = 0;
    await applyImportPlan(db, plan, now, (done, total) => {
      if (done - reported >= 2000 || done === total) {
        reported = done;
        console.log(`demo network: ${done}/${total} statements written`);
      }
    });
    await seedSchedules(db, schedules, now);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`demo network loaded: ${plan.inserts.length} new, ${plan.updates.length} updated, with opening hours, in ${seconds} s`);
  }
} finally {
  await close();
}
