/**
 * Benchmark: loading the network into a fresh local D1, side by side.
 *
 * - baseline: one row per statement (the obvious way);
 * - guichet: as many rows per statement as D1's 100 parameters allow (what
 *   the importer does).
 *
 * Input: the real open-data file when ../shared/data has it, else 17,000
 * demo rows. Each variant runs on its own fresh database, alternating, and
 * the median of the runs is reported with the ratio. Run: `npm run bench`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../scripts/local-db';
import { generateDemoNetwork } from '../tools/demo/network';
import { mapOpenDataRecord, type ImportedLocation } from '../tools/imports/open-data';
import { planImport } from '../tools/imports/plan';
import { applyImportPlan } from '../tools/imports/store';

const REAL_FILE = '../shared/data/laposte_poincont2.csv';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function input(): { label: string; rows: ImportedLocation[] } {
  if (!existsSync(REAL_FILE)) return { label: '17,000 demo rows', rows: generateDemoNetwork(1, 17_000) };
  const rows = readFileSync(REAL_FILE, 'utf8').split(/\r?\n/).slice(1).filter(Boolean)
    .map((line) => mapOpenDataRecord(line.split(';')))
    .flatMap((r) => (r.ok ? [r.location] : []));
  return { label: `real open-data file (${rows.length} valid rows)`, rows };
}

async function timeLoad(rows: ImportedLocation[], rowsPerStatement?: number): Promise<number> {
  const state = mkdtempSync(join(tmpdir(), 'guichet-bench-'));
  try {
    const migrate = spawnSync('node_modules/.bin/wrangler', ['d1', 'migrations', 'apply', 'guichet', '--local', '--persist-to', state], {
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
    });
    if (migrate.status !== 0) throw new Error(String(migrate.stderr));
    const { db, close } = await openDatabase({ persistTo: state });
    try {
      const plan = planImport([], rows, rows[0].source);
      const started = performance.now();
      await applyImportPlan(db, plan, '2026-11-23T00:00:00Z', undefined, { rowsPerStatement });
      return (performance.now() - started) / 1000;
    } finally {
      await close();
    }
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { label, rows } = input();
const baseline: number[] = [];
const guichet: number[] = [];
for (let run = 0; run < RUNS; run++) {
  baseline.push(await timeLoad(rows, 1));
  guichet.push(await timeLoad(rows));
  console.log(`run ${run + 1}/${RUNS}: baseline ${baseline.at(-1)!.toFixed(1)} s, guichet ${guichet.at(-1)!.toFixed(1)} s`);
}
const b = median(baseline);
const g = median(guichet);
console.log(`\nimport of ${label}, median of ${RUNS}:`);
console.log(`  baseline, 1 row per statement:   ${b.toFixed(1)} s`);
console.log(`  guichet, 4 rows per statement:   ${g.toFixed(1)} s`);
console.log(`  ratio guichet / baseline:        ${(g / b).toFixed(2)}`);
