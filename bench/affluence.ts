/**
 * `npm run bench:affluence [-- --events 5000000 --offices 17000 --runs 40 --out FILE]`
 * (runs under `node --expose-gc` for the memory figures)
 *
 * Issue 13's histogram figure: "computing the histogram of every office
 * from a year of visits (about 50 million visit events across the network,
 * simulated) stays within the Workers limits of one cron run (CPU 30 s by
 * default, up to 5 min configured; memory 128 MB)". It does not fit in one
 * run, and need not: the cron folds arrivals incrementally
 * (worker/affluence/fold.ts, FOLD_MAX_EVENTS per run). This measures:
 *
 * 1. The pure fold: simulated arrivals of a year (Monday–Saturday,
 *    09:00–18:00 Paris time, offices drawn uniformly among `--offices`, the
 *    worst case for the number of offices a batch touches) folded through
 *    `addArrivals` in time order, in batches of a million (each office's
 *    share in one call), into in-memory counts per office: 1/5, 2/5 and all of `--events`, to show
 *    the cost is linear in the events, then extrapolated to 50 million.
 * 2. Cron-shaped runs: batches of FOLD_MAX_EVENTS arrivals, each touched
 *    office's blob decoded, added to, encoded and hexed into JSON chunks
 *    as the fold does; CPU per run and the memory a run holds (its groups
 *    and the chunks waiting for the batch).
 * 3. The real D1 cost of one `foldVisits` run on a local D1 (wrangler's
 *    local SQLite through its proxy): FOLD_MAX_EVENTS arrivals over 5,000
 *    offices that already have blobs, then a steady-state run (the
 *    network's 15 minutes: 1,400 arrivals).
 * Then the split: runs for a year's rebuild, the steady state, the peak.
 *
 * Prints a README-ready table and writes bench/results/affluence.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../scripts/local-db';
import { seededRandom } from '../tools/demo/random';
import { FOLD_MAX_EVENTS, FOLD_MAX_OFFICES, foldVisits } from '../worker/affluence/fold';
import { type AffluenceCounts, addArrivals, decodeCounts, emptyCounts, encodeCounts, histogramOf, periodAt } from '../worker/affluence/histogram';
import { instantAt } from '../worker/hours/zoned-time';

const ROOT = resolve(import.meta.dirname, '..');
const ZONE = 'Europe/Paris';
const YEAR_EVENTS = 50_000_000;
const CRON_RUNS_PER_DAY = 96;
const CPU_LIMIT_S = 30;
const MEMORY_LIMIT_MB = 128;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '5000000' },
    offices: { type: 'string', default: '17000' },
    runs: { type: 'string', default: '40' },
    out: { type: 'string', default: join(ROOT, 'bench/results/affluence.json') },
  },
});
const EVENTS = Number(values.events);
const OFFICES = Number(values.offices);
const RUNS = Number(values.runs);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) console.warn('run with node --expose-gc (npm run bench:affluence does) for the memory figures');
const collect = () => gc?.();
const mb = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;

const officeIds = Array.from({ length: OFFICES }, (_, i) => `B${String(i).padStart(6, '0')}`);
/** The year simulated: 2025-11-24 on, its Monday–Saturday opening days. */
const YEAR_START = '2025-11-24';
const openDays: number[] = [];
for (let d = 0; d < 365; d++) {
  const date = new Date(Date.parse(YEAR_START) + d * 86_400_000);
  if (date.getUTCDay() !== 0) openDays.push(instantAt(date.toISOString().slice(0, 10), '09:00', ZONE).getTime());
}
const OPEN_MS = 9 * 3_600_000;

/**
 * The simulated arrivals in time order, in batches of `size`, as (office index, instant) pairs:
 * `total` arrivals spread evenly over the year's open days, each at a uniform instant of the day's opening.
 */
function* arrivalBatches(total: number, size: number, seed = 1): Generator<{ office: Uint32Array; at: Float64Array; length: number }> {
  const random = seededRandom(seed);
  const perDay = total / openDays.length;
  let emitted = 0;
  let office = new Uint32Array(size);
  let at = new Float64Array(size);
  let n = 0;
  for (let d = 0; d < openDays.length && emitted < total; d++) {
    const today = Math.min(total - emitted, Math.round((d + 1) * perDay) - emitted);
    // Sorted instants of the day: uniform spacing plus jitter keeps time order without a sort.
    for (let k = 0; k < today; k++) {
      office[n] = random.int(OFFICES);
      at[n] = openDays[d]! + Math.floor(((k + random.next()) / today) * OPEN_MS);
      n++;
      if (n === size) {
        yield { office, at, length: n };
        office = new Uint32Array(size);
        at = new Float64Array(size);
        n = 0;
      }
    }
    emitted += today;
  }
  if (n > 0) yield { office: office.subarray(0, n), at: at.subarray(0, n), length: n };
}

/** Groups a batch's instants by office, as the fold does. */
function groupByOffice(batch: { office: Uint32Array; at: Float64Array; length: number }): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < batch.length; i++) {
    const key = batch.office[i]!;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(batch.at[i]!);
  }
  return groups;
}

// ---------------------------------------------------------------------------
// 1. The pure fold, on 1/5, 2/5 and all of the events.

interface PureFold { events: number; seconds: number; nsPerEvent: number; readAllSeconds: number; liveHeapMb: number; liveArrayBuffersMb: number; generateSeconds: number }

/** Arrivals per batch of the pure fold: about a week of the network's, each office's share folded in one call. */
const PURE_BATCH = 1_000_000;

function pureFold(total: number): PureFold {
  collect();
  // The generation alone, to subtract: it is the simulation, not the fold (grouping by office is the fold's, and stays in).
  let started = performance.now();
  for (const batch of arrivalBatches(total, PURE_BATCH)) void batch;
  const generateSeconds = (performance.now() - started) / 1000;
  collect();
  const baseline = process.memoryUsage();
  const counts: Array<AffluenceCounts | undefined> = new Array(OFFICES);
  let peakHeap = 0;
  let peakBuffers = 0;
  let gcSeconds = 0;
  started = performance.now();
  for (const batch of arrivalBatches(total, PURE_BATCH)) {
    for (const [office, instants] of groupByOffice(batch)) counts[office] = addArrivals(counts[office] ?? emptyCounts(), instants, ZONE);
    // The live set after each batch (the batch still held): what the fold needs, garbage aside. The forced GC is not the fold's time.
    const gcStarted = performance.now();
    collect();
    const memory = process.memoryUsage();
    gcSeconds += (performance.now() - gcStarted) / 1000;
    peakHeap = Math.max(peakHeap, memory.heapUsed - baseline.heapUsed);
    peakBuffers = Math.max(peakBuffers, memory.arrayBuffers - baseline.arrayBuffers);
  }
  const seconds = (performance.now() - started) / 1000 - generateSeconds - gcSeconds;
  // Every office's histogram, read once: what the readers do.
  const readStarted = performance.now();
  for (const c of counts) if (c) histogramOf(c);
  const readSeconds = (performance.now() - readStarted) / 1000;
  return {
    events: total, seconds: round(seconds, 2), nsPerEvent: round((seconds * 1e9) / total, 1), readAllSeconds: round(readSeconds, 2),
    liveHeapMb: mb(peakHeap), liveArrayBuffersMb: mb(peakBuffers), generateSeconds: round(generateSeconds, 2),
  };
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------------------
// 2. Cron-shaped runs: FOLD_MAX_EVENTS arrivals, decode / add / encode per touched blob.

interface CronRuns { runs: number; eventsPerRun: number; officesPerRun: number; cpuMsMedian: number; cpuMsMax: number; runHeapMbMax: number }

function cronRuns(runs: number): CronRuns {
  // The stored blobs (D1's part): every office's counts after a quarter of the year.
  // The stored blobs (D1's part): every office's, after a first million arrivals (about a month: realistic observed days).
  const stored = new Map<number, Uint8Array>();
  for (let i = 0; i < OFFICES; i++) stored.set(i, encodeCounts(emptyCounts()));
  const first = arrivalBatches(YEAR_EVENTS / 12, 1_000_000, 2).next().value!;
  for (const [office, instants] of groupByOffice(first)) stored.set(office, encodeCounts(addArrivals(decodeCounts(stored.get(office)!), instants, ZONE)));
  const times: number[] = [];
  const heaps: number[] = [];
  let offices = 0;
  let events = 0;
  let done = 0;
  for (const batch of arrivalBatches(FOLD_MAX_EVENTS * runs * 50, FOLD_MAX_EVENTS, 3)) {
    if (done === runs) break;
    collect();
    const heapBefore = process.memoryUsage();
    const started = process.cpuUsage();
    // As fold.ts reads: arrivals in order until FOLD_MAX_OFFICES offices are touched; the rest waits for the next run.
    const groups = new Map<number, number[]>();
    for (let i = 0; i < batch.length; i++) {
      const office = batch.office[i]!;
      let instants = groups.get(office);
      if (!instants) {
        if (groups.size >= FOLD_MAX_OFFICES) break;
        groups.set(office, (instants = []));
      }
      instants.push(batch.at[i]!);
      events++;
    }
    // As fold.ts writes: each new blob as hex in JSON chunks of about 500 KB, all held until the one batch is sent.
    const written: string[] = [];
    let chunk: [number, string][] = [];
    let chunkBytes = 0;
    for (const [office, instants] of groups) {
      const encoded = Buffer.from(encodeCounts(addArrivals(decodeCounts(stored.get(office)!), instants, ZONE))).toString('hex');
      chunk.push([office, encoded]);
      chunkBytes += encoded.length;
      if (chunkBytes >= 500_000) {
        written.push(JSON.stringify(chunk));
        chunk = [];
        chunkBytes = 0;
      }
    }
    written.push(JSON.stringify(chunk));
    const cpu = process.cpuUsage(started);
    // The live set while the run holds its groups and chunks (garbage collected first: it is not held).
    collect();
    const heapAfter = process.memoryUsage();
    if (groups.size === 0 || written.length === 0) throw new Error('empty run');
    times.push((cpu.user + cpu.system) / 1000);
    // What the run holds: its batch, groups and new blobs (measured before they are dropped).
    heaps.push(heapAfter.heapUsed - heapBefore.heapUsed + (heapAfter.arrayBuffers - heapBefore.arrayBuffers));
    offices += groups.size;
    written.length = 0;
    done++;
  }
  times.sort((a, b) => a - b);
  return {
    runs: done, eventsPerRun: Math.round(events / done), officesPerRun: Math.round(offices / done),
    cpuMsMedian: round(times[Math.floor(times.length / 2)]!, 1), cpuMsMax: round(times.at(-1)!, 1), runHeapMbMax: mb(Math.max(...heaps)),
  };
}

// ---------------------------------------------------------------------------
// 3. One real `foldVisits` run on a local D1.

interface D1Fold { events: number; offices: number; wallMs: number; nodeCpuMs: number; folded: number }

async function d1Folds(): Promise<D1Fold[]> {
  const state = mkdtempSync(join(tmpdir(), 'guichet-bench-affluence-'));
  try {
    const migrate = spawnSync(join(ROOT, 'node_modules/.bin/wrangler'), ['d1', 'migrations', 'apply', 'guichet', '--local', '--persist-to', state], {
      cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' }, encoding: 'utf8',
    });
    if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);
    const { db, close } = await openDatabase({ persistTo: state });
    try {
      const d1 = db.$client;
      const OFFICES_D1 = 5_000;
      const ids = officeIds.slice(0, OFFICES_D1);
      // Minimal office rows (the fold reads their zone), and a blob each for the current period, as after months of folds.
      for (let i = 0; i < ids.length; i += 1000) {
        await d1.prepare(`insert into locations (id, name, source_name, type, postcode, commune, insee_code, department, latitude, longitude, time_zone, services, source, source_hash)
          select value, value, value, 'post_office', '75001', 'Paris', '75101', '75', 48.86, 2.35, ?2, '[]', 'demo', 'x' from json_each(?1)`)
          .bind(JSON.stringify(ids.slice(i, i + 1000)), ZONE).run();
      }
      const now = new Date();
      const period = periodAt(now, ZONE);
      const seedBlob = encodeCounts(addArrivals(emptyCounts(), openDays.slice(-60).map((d) => d + 3_600_000), ZONE));
      const hexBlob = Buffer.from(seedBlob).toString('hex');
      for (let i = 0; i < ids.length; i += 150) {
        await d1.prepare(`insert into affluence_counts (location_id, period, counts, updated_at) select value, ?2, unhex(?3), 0 from json_each(?1)`)
          .bind(JSON.stringify(ids.slice(i, i + 150)), period, hexBlob).run();
      }
      const results: D1Fold[] = [];
      for (const [events, spread] of [[FOLD_MAX_EVENTS, OFFICES_D1], [1_400, 1_400]] as const) {
        const random = seededRandom(events);
        const rows = Array.from({ length: events }, (_, k) => [ids[random.int(spread)]!, `T${events}-${k}`, now.getTime() - 3_600_000 + k]);
        for (let i = 0; i < rows.length; i += 2000) {
          await d1.prepare(`insert into visit_events (location_id, service_date, ticket, kind, at, source, received_at)
            select value ->> 0, '2026-01-01', value ->> 1, 'arrival', value ->> 2, 'qms_bench', 0 from json_each(?1)`).bind(JSON.stringify(rows.slice(i, i + 2000))).run();
        }
        const started = performance.now();
        const cpu = process.cpuUsage();
        const result = await foldVisits(db, now);
        const used = process.cpuUsage(cpu);
        results.push({ events, offices: result.offices, wallMs: Math.round(performance.now() - started), nodeCpuMs: Math.round((used.user + used.system) / 1000), folded: result.folded });
        // What one run left (the office cap) is folded by the next runs, untimed: the next measurement starts from an empty backlog.
        for (let more = result.more; more; ) more = (await foldVisits(db, now)).more;
      }
      return results;
    } finally {
      await close();
    }
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------

const started = performance.now();
const sizes = [EVENTS / 5, (2 * EVENTS) / 5, EVENTS].map(Math.round);
pureFold(PURE_BATCH); // warm-up (JIT, zone offsets), not reported
const pure = sizes.map((n) => {
  // Best of 2: the machine is shared, the slower run measures the neighbours.
  const result = [pureFold(n), pureFold(n)].sort((a, b) => a.seconds - b.seconds)[0]!;
  console.log(`pure fold: ${n.toLocaleString('en')} arrivals in ${result.seconds} s (${result.nsPerEvent} ns each), then every histogram in ${result.readAllSeconds} s; live heap +${result.liveHeapMb} MB, counts +${result.liveArrayBuffersMb} MB`);
  return result;
});
const nsPerEvent = pure.at(-1)!.nsPerEvent;
const linearity = round(pure.at(-1)!.nsPerEvent / pure[0]!.nsPerEvent, 2);
const yearSeconds = round((YEAR_EVENTS * nsPerEvent) / 1e9, 1);
const yearHeldMb = round(pure.at(-1)!.liveHeapMb + pure.at(-1)!.liveArrayBuffersMb, 1);
/** One run would hold every office's counts at once: it must leave the Worker's own memory room (half the limit at most). */
const yearFits = yearSeconds <= CPU_LIMIT_S && yearHeldMb <= MEMORY_LIMIT_MB / 2;
const cron = cronRuns(RUNS);
console.log(`cron-shaped runs: ${cron.runs} × ${cron.eventsPerRun} arrivals over ${cron.officesPerRun} offices: median ${cron.cpuMsMedian} ms CPU, max ${cron.cpuMsMax} ms, run heap ≤ ${cron.runHeapMbMax} MB`);
const d1 = await d1Folds();
for (const f of d1) console.log(`foldVisits on a local D1: ${f.events} arrivals over ${f.offices} offices in ${f.wallMs} ms wall, ${f.nodeCpuMs} ms CPU in Node (folded ${f.folded})`);

/** A rebuild from raw events at the uniform worst case (every run capped by offices, not events). */
const runsForYear = Math.ceil(YEAR_EVENTS / cron.eventsPerRun);
const steadyPerRun = Math.round(YEAR_EVENTS / 365 / CRON_RUNS_PER_DAY);
/** Arrivals come in about 9 opening hours, not 24, and Saturday mornings peak at about twice the mean: ×2.7 × 2. */
const peakPerRun = Math.round(steadyPerRun * (24 / 9) * 2);
const result = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  limits: { cpuSeconds: CPU_LIMIT_S, memoryMb: MEMORY_LIMIT_MB },
  simulation: { offices: OFFICES, zone: ZONE, days: openDays.length, officeDraw: 'uniform (the worst case for offices touched per batch)' },
  pureFold: pure,
  linearity: { ratioOfNsPerEvent: linearity, note: `${sizes.at(-1)} vs ${sizes[0]} arrivals: 1.0 is exactly linear` },
  yearInOneGo: { events: YEAR_EVENTS, cpuSeconds: yearSeconds, heldMb: yearHeldMb, fitsOneRun: yearFits },
  cronRuns: cron,
  d1Fold: d1,
  split: {
    foldMaxEventsPerRun: FOLD_MAX_EVENTS,
    foldMaxOfficesPerRun: FOLD_MAX_OFFICES,
    runsForAYearsRebuild: runsForYear,
    daysForAYearsRebuildAtOneRunPer15Min: round(runsForYear / CRON_RUNS_PER_DAY, 1),
    steadyStateArrivalsPer15Min: steadyPerRun,
    peakArrivalsPer15Min: peakPerRun,
  },
  benchSeconds: round((performance.now() - started) / 1000, 1),
};
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);

const d1Max = d1[0]!;
const d1Steady = d1[1]!;
console.log(`
| Histogram (issue 13) | Measured | Limit |
|---|---|---|
| Pure fold, ${sizes.map((n) => `${n / 1e6}M`).join(' / ')} arrivals over ${OFFICES.toLocaleString('en')} offices | ${pure.map((p) => `${p.seconds} s`).join(' / ')} (${nsPerEvent} ns per arrival; ${sizes.at(-1)! / 1e6}M vs ${sizes[0]! / 1e6}M cost ratio per arrival ${linearity}: linear or better) | |
| A year (50M arrivals) in one go, extrapolated | ${yearSeconds} s CPU; ${pure.at(-1)!.liveHeapMb} MB heap + ${pure.at(-1)!.liveArrayBuffersMb} MB of counts held (all offices' counts in memory at once) | ${CPU_LIMIT_S} s / ${MEMORY_LIMIT_MB} MB: ${yearFits ? 'fits' : `CPU ${yearSeconds <= CPU_LIMIT_S ? 'within' : 'over'}, memory ${yearHeldMb <= MEMORY_LIMIT_MB / 2 ? 'within' : 'too close'}: split over runs`} |
| One cron run, the worst case (arrivals spread over all offices): ${cron.eventsPerRun.toLocaleString('en')} arrivals over ${cron.officesPerRun.toLocaleString('en')} offices (at most ${FOLD_MAX_EVENTS.toLocaleString('en')} arrivals and ${FOLD_MAX_OFFICES.toLocaleString('en')} offices; decode, add, encode, hex into JSON chunks held for one batch, as fold.ts) | median ${cron.cpuMsMedian} ms CPU, max ${cron.cpuMsMax} ms; ≤ ${cron.runHeapMbMax} MB held | ${CPU_LIMIT_S} s / ${MEMORY_LIMIT_MB} MB |
| \`foldVisits\` on a local D1, one run over a backlog of ${d1Max.events.toLocaleString('en')} arrivals spread over 5,000 offices: ${d1Max.folded.toLocaleString('en')} folded over ${d1Max.offices.toLocaleString('en')} offices (the cap) | ${d1Max.wallMs} ms wall, ${d1Max.nodeCpuMs} ms CPU in Node (reads, fold, one batch of upserts, sweeps; the local proxy carries blobs as JSON) | |
| \`foldVisits\`, steady state: ${d1Steady.events.toLocaleString('en')} arrivals (${d1Steady.folded.toLocaleString('en')} folded over ${d1Steady.offices.toLocaleString('en')} offices) | ${d1Steady.wallMs} ms wall, ${d1Steady.nodeCpuMs} ms CPU in Node | |
| Split | a year's rebuild from raw events, worst case: ${runsForYear.toLocaleString('en')} runs of ${cron.eventsPerRun.toLocaleString('en')} (${result.split.daysForAYearsRebuildAtOneRunPer15Min} days at one per 15 min); steady state ~${steadyPerRun.toLocaleString('en')} arrivals per run, peak ~${peakPerRun.toLocaleString('en')} | |
`);
