/**
 * Benchmark: "is it open now?" for the whole network, side by side.
 *
 * - guichet: `statusAt` (worker/hours/engine.ts) on each location's Schedule,
 *   as the API and pages call it (open, closes/opens at, reason);
 * - baseline: the reference OpenStreetMap evaluator (`opening_hours` on npm)
 *   on the `toOpeningHours` strings of the same schedules, already parsed,
 *   with TZ set once per zone (it reads the process's zone): `getState` only.
 *
 * Input: the 30,000 demo locations with their demo hours. Two rows for one
 * location each: a post office (weekly rules, closed on public holidays) and
 * a 24/7 parcel locker (open on public holidays: `openOnHolidays`, no
 * exception per holiday). Then the whole network; runs alternate and medians
 * are reported, with the ratio guichet / baseline (below 1 = faster). Both
 * answers are compared on every location. Run: `npm run bench:hours`.
 */
import opening_hours from 'opening_hours';
import { demoSchedule } from '../tools/demo/hours';
import { generateDemoNetwork } from '../tools/demo/network';
import { statusAt } from '../worker/hours/engine';
import type { Schedule } from '../worker/hours/model';
import { toOpeningHours } from '../worker/hours/osm';
import { localParts } from '../worker/hours/zoned-time';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
/** Tuesday 24 November 2026, 10:17 in Paris: offices open, some closing soon, lockers open. */
const NOW = new Date('2026-11-24T09:17:00Z');
const TODAY = '2026-11-23';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (start: number) => performance.now() - start;
const fmt = (n: number, digits = 1) => n.toFixed(digits).padStart(8);

function inZone<T>(zone: string, run: () => T): T {
  const saved = process.env.TZ;
  process.env.TZ = zone;
  try {
    return run();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

/** Median time of one call, in µs: many samples of a small batch (a single call is below the timer's resolution). */
function perCall(call: () => void, samples = 3000, batch = 20): number {
  for (let i = 0; i < 2000; i++) call();
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) call();
    times.push((performance.now() - start) / batch);
  }
  return median(times) * 1000;
}

// --- Input
let start = performance.now();
const network = generateDemoNetwork();
const schedules: Schedule[] = network.map((l) => demoSchedule(l, TODAY));
console.log(`input: ${network.length} demo locations, demo hours built in ${ms(start).toFixed(0)} ms, at ${NOW.toISOString()}`);

start = performance.now();
const values = schedules.map((s) => toOpeningHours(s, NOW));
console.log(`toOpeningHours for all: ${ms(start).toFixed(0)} ms (mean length ${Math.round(values.reduce((n, v) => n + v.length, 0) / values.length)} characters)`);

// The baseline parses once per location, grouped by zone.
const byZone = new Map<string, number[]>();
schedules.forEach((s, i) => byZone.set(s.timeZone, [...(byZone.get(s.timeZone) ?? []), i]));
start = performance.now();
const evaluators: opening_hours[] = new Array(schedules.length);
for (const [zone, indexes] of byZone) inZone(zone, () => indexes.forEach((i) => (evaluators[i] = new opening_hours(values[i], null))));
console.log(`baseline parse (not timed below): ${ms(start).toFixed(0)} ms`);

// --- Agreement (the property test checks this in depth; here: the whole network once)
const guichetOpen = schedules.map((s) => statusAt(s, NOW).open);
let disagreements = 0;
for (const [zone, indexes] of byZone) inZone(zone, () => indexes.forEach((i) => (disagreements += Number(evaluators[i].getState(NOW) !== guichetOpen[i]))));
console.log(`agreement: ${schedules.length - disagreements}/${schedules.length} locations, ${guichetOpen.filter(Boolean).length} open`);

// --- One location: a post office in Paris, and a 24/7 locker (the longest merge)
const office = network.findIndex((l) => l.type === 'post_office' && l.timeZone === 'Europe/Paris');
const locker = network.findIndex((l) => l.type === 'parcel_locker' && l.timeZone === 'Europe/Paris');
console.log('\none location (median per call)                 guichet µs   baseline µs   ratio');
for (const [label, i] of [['post office (Paris), regular schedule', office], ['parcel locker 24/7 (Paris), open on holidays', locker]] as const) {
  const ours = perCall(() => statusAt(schedules[i], NOW));
  const theirs = inZone(schedules[i].timeZone, () => perCall(() => evaluators[i].getState(NOW)));
  console.log(`  ${label.padEnd(44)} ${fmt(ours, 2)}     ${fmt(theirs, 2)}    ${(ours / theirs).toFixed(3)}`);
}

// --- Whole network
const guichetRuns: number[] = [];
const baselineRuns: number[] = [];
for (let run = 0; run < RUNS; run++) {
  start = performance.now();
  for (const s of schedules) statusAt(s, NOW);
  guichetRuns.push(ms(start));
  start = performance.now();
  for (const [zone, indexes] of byZone) inZone(zone, () => { for (const i of indexes) evaluators[i].getState(NOW); });
  baselineRuns.push(ms(start));
}
const [g, b] = [median(guichetRuns), median(baselineRuns)];
console.log(`\nall ${schedules.length} locations (median of ${RUNS})           guichet ms   baseline ms   ratio`);
console.log(`  ${'statusAt vs getState'.padEnd(44)} ${fmt(g)}     ${fmt(b)}    ${(g / b).toFixed(3)}`);
console.log(`  guichet: ${((g * 1000) / schedules.length).toFixed(2)} µs per location; baseline: ${((b * 1000) / schedules.length).toFixed(2)} µs`);
console.log(`  (local time of the Paris office: ${JSON.stringify(localParts(NOW, schedules[office].timeZone))})`);
