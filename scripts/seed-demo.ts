/**
 * `npm run db:seed`: loads the deterministic demo network (about 30,000
 * locations) into the local D1 when it holds no location yet. `--force`
 * loads it anyway (idempotent, like an import).
 */
import { DEMO_SEED, DEMO_SIZE, generateDemoNetwork } from '../worker/demo/network';
import { planImport } from '../worker/imports/plan';
import { applyImportPlan, loadExisting } from '../worker/imports/store';
import { openDatabase } from './local-db';

const { db, close } = await openDatabase();
try {
  const existing = await loadExisting(db);
  if (existing.length > 0 && !process.argv.includes('--force')) {
    console.log(`database already holds ${existing.length} locations: demo network not loaded`);
  } else {
    const started = performance.now();
    const plan = planImport(existing, generateDemoNetwork(DEMO_SEED, DEMO_SIZE), 'demo');
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await applyImportPlan(db, plan, now, (done, total) => {
      if (done % 5000 < 200 || done === total) console.log(`demo network: ${done}/${total}`);
    });
    console.log(`demo network loaded: ${plan.inserts.length} new, ${plan.updates.length} updated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
} finally {
  await close();
}
