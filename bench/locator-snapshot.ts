/**
 * Benchmark: how a fresh isolate gets the locator's network, the old way
 * (every active location read from the table, about 10 MB of JSON) and from
 * the network's snapshot (worker/locator/snapshot.ts), side by side.
 *
 * 1. Migrates and seeds the local D1 of GUICHET_STATE (default
 *    .wrangler/state) with the 30,001-location demo network if needed, and
 *    publishes its snapshot.
 * 2. Through wrangler's platform proxy, BENCH_RUNS times each, alternating:
 *    bytes D1 sends, time to read them, time to the rows, time to the whole
 *    gazetteer (the table loader is kept as `loadGazetteerFromTable`, the
 *    baseline).
 * 3. Unless BENCH_SKIP_DEV=1: the first search of a fresh isolate against
 *    `wrangler dev`, restarted for every run, for a build of the code before
 *    snapshots (git ref BENCH_BASELINE, default f435137) and a build of the
 *    working tree, each built in a temporary directory (dist/ is left alone).
 *
 * Prints medians as a markdown table. Run: `npm run bench:snapshot` (do not
 * run it while `npm start` serves the same state).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { openDatabase, PERSIST_DIR } from '../scripts/local-db';
import { DEMO_SEED, DEMO_SIZE, generateDemoNetwork } from '../tools/demo/network';
import { buildGazetteer } from '../worker/locator/gazetteer';
import { decodeSnapshot, publishLocatorSnapshot, readCurrentSnapshot, readNetworkTable } from '../worker/locator/snapshot';
import { freePort } from './mix/server';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BASELINE = process.env.BENCH_BASELINE ?? 'f435137';
const STATE = resolve(PERSIST_DIR);
const ROOT = resolve(import.meta.dirname, '..');
const env = { ...process.env, GUICHET_STATE: STATE, WRANGLER_SEND_METRICS: 'false', ASTRO_TELEMETRY_DISABLED: '1', CI: 'true' };

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (value: number) => `${value.toFixed(0)} ms`;
const kb = (value: number) => `${(value / 1000).toFixed(0)} kB`;
const ratio = (old: number, now: number) => `${(old / now).toFixed(1)}×`;

function npm(script: string): void {
  const result = spawnSync('npm', ['run', '--silent', script], { cwd: ROOT, env, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm run ${script} failed`);
}

interface LoadFigures { bytes: number; read: number[]; rows: number[]; gazetteer: number[] }

/** What D1 sends for the table read: the same columns, as the JSON of its result rows. */
async function tableBytes(d1: D1Database): Promise<number> {
  const places = await d1.prepare(`select id, name, type, commune, insee_code, postcode, department, time_zone, services, latitude, longitude
    from locations where status = 'active'`).all();
  const communes = await d1.prepare('select insee_code, name, department from communes where active_locations > 0').all();
  return JSON.stringify(places.results).length + JSON.stringify(communes.results).length;
}

/** What D1 sends for the snapshot read: the version and the parts, hex-encoded. */
async function snapshotBytes(d1: D1Database): Promise<number> {
  const parts = await d1.prepare(`select part, parts, hex(data) as data from locator_snapshots
    where version = coalesce((select cast(value as integer) from settings where name = 'network_version'), 0)`).all();
  return JSON.stringify(parts.results).length + 20;
}

async function loads(): Promise<{ old: LoadFigures; snapshot: LoadFigures; published: Awaited<ReturnType<typeof publishLocatorSnapshot>> }> {
  const { db, close } = await openDatabase({ persistTo: STATE });
  try {
    const published = await publishLocatorSnapshot(db);
    const old: LoadFigures = { bytes: await tableBytes(db.$client), read: [], rows: [], gazetteer: [] };
    const snapshot: LoadFigures = { bytes: await snapshotBytes(db.$client), read: [], rows: [], gazetteer: [] };
    for (let run = 0; run < RUNS; run++) {
      let start = performance.now();
      const table = await readNetworkTable(db);
      old.read.push(performance.now() - start);
      old.rows.push(old.read.at(-1)!);
      buildGazetteer(table.rows);
      old.gazetteer.push(performance.now() - start);

      start = performance.now();
      const { bytes } = await readCurrentSnapshot(db.$client);
      snapshot.read.push(performance.now() - start);
      const rows = await decodeSnapshot(bytes!);
      snapshot.rows.push(performance.now() - start);
      buildGazetteer(rows);
      snapshot.gazetteer.push(performance.now() - start);
    }
    return { old, snapshot, published };
  } finally {
    await close();
  }
}

/** A copy of `files` (repository paths) under a new directory, with the repository's node_modules, built. */
function build(label: string, fill: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), `guichet-bench-${label}-`));
  fill(dir);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const result = spawnSync(join(ROOT, 'node_modules/.bin/astro'), ['build'], { cwd: dir, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`build of ${label} failed:\n${result.stdout}\n${result.stderr}`);
  return dir;
}

function baselineBuild(): string {
  return build('baseline', (dir) => {
    execFileSync('sh', ['-c', `git archive ${BASELINE} | tar -x -C ${dir}`], { cwd: ROOT });
  });
}

function workingTreeBuild(): string {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  return build('snapshot', (dir) => {
    for (const file of files) {
      try {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        cpSync(join(ROOT, file), join(dir, file));
      } catch {
        // listed but deleted in the working tree
      }
    }
  });
}

async function serve(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(join(ROOT, 'node_modules/.bin/wrangler'), ['dev', '-c', 'dist/server/wrangler.json', '--persist-to', STATE, '--port', String(port), '--ip', '127.0.0.1', '--var', `SITE_ORIGIN:http://127.0.0.1:${port}`], { cwd: dir, env, detached: true, stdio: 'ignore' });
  for (let i = 0; i < 120; i++) {
    try {
      // Not a search: the isolate is up, its gazetteer still empty.
      if ((await fetch(`http://127.0.0.1:${port}/robots.txt`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('wrangler dev did not start');
}

async function timed(url: string): Promise<number> {
  const start = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return performance.now() - start;
}

/** First and second search of a fresh isolate, each run on a new `wrangler dev`. */
async function firstSearches(builds: Record<'old' | 'snapshot', string>): Promise<Record<'old' | 'snapshot', { first: number[]; second: number[] }>> {
  const office = generateDemoNetwork(DEMO_SEED, DEMO_SIZE)[0];
  const path = `/api/v1/locations/search?near=${office.latitude},${office.longitude}&limit=10`;
  const figures = { old: { first: [] as number[], second: [] as number[] }, snapshot: { first: [] as number[], second: [] as number[] } };
  for (let run = 0; run < RUNS; run++) {
    for (const way of ['old', 'snapshot'] as const) {
      const port = await freePort();
      const server = await serve(builds[way], port);
      try {
        figures[way].first.push(await timed(`http://127.0.0.1:${port}${path}`));
        figures[way].second.push(await timed(`http://127.0.0.1:${port}${path}`));
      } finally {
        if (server.pid) process.kill(-server.pid, 'SIGTERM');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
  return figures;
}

npm('db:migrate');
npm('db:seed');
const { old, snapshot, published } = await loads();
console.log(`\nsnapshot: version ${published.version}, ${published.bytes} bytes in ${published.parts} part(s)${published.reused ? ' (already published)' : ''}\n`);
console.log(`Loading the network, through wrangler's platform proxy, median of ${RUNS} runs:\n`);
console.log('| | table (old) | snapshot | old / snapshot |');
console.log('|---|---|---|---|');
console.log(`| bytes D1 sends | ${kb(old.bytes)} | ${kb(snapshot.bytes)} (${kb(published.bytes)} stored) | ${ratio(old.bytes, snapshot.bytes)} |`);
for (const [label, key] of [['D1 read', 'read'], ['rows ready (read + decode)', 'rows'], ['gazetteer built', 'gazetteer']] as const) {
  console.log(`| ${label} | ${ms(median(old[key]))} | ${ms(median(snapshot[key]))} | ${ratio(median(old[key]), median(snapshot[key]))} |`);
}

if (process.env.BENCH_SKIP_DEV !== '1') {
  const dirs = { old: baselineBuild(), snapshot: workingTreeBuild() };
  try {
    const searches = await firstSearches(dirs);
    console.log(`\nFirst search of a fresh isolate, wrangler dev restarted for each run, median of ${RUNS} runs:\n`);
    console.log(`| | before snapshots (${BASELINE}) | snapshot | old / snapshot |`);
    console.log('|---|---|---|---|');
    console.log(`| first search | ${ms(median(searches.old.first))} | ${ms(median(searches.snapshot.first))} | ${ratio(median(searches.old.first), median(searches.snapshot.first))} |`);
    console.log(`| second search | ${ms(median(searches.old.second))} | ${ms(median(searches.snapshot.second))} | |`);
  } finally {
    for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true });
  }
}
