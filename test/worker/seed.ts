/**
 * Loads locations into the test D1 through the importer's own code path.
 */
import { env } from 'cloudflare:workers';
import { drizzleDatabase } from '../../worker/database';
import { generateDemoNetwork } from '../../tools/demo/network';
import type { ImportedLocation } from '../../tools/imports/open-data';
import { planImport } from '../../tools/imports/plan';
import { applyImportPlan, loadExisting } from '../../tools/imports/store';

export const db = () => drizzleDatabase(env.DB);

export async function load(rows: ImportedLocation[], source: string = rows[0]?.source ?? 'demo', now = '2026-11-20T10:00:00Z') {
  const plan = planImport(await loadExisting(db()), rows, source);
  await applyImportPlan(db(), plan, now);
  return plan;
}

/** A small but varied slice of the demo network (every type, several territories). */
export function demoSample(size = 600): ImportedLocation[] {
  return generateDemoNetwork(7, size);
}
