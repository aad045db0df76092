/**
 * `npm run bench:scale [-- --mix bench/results/mix.json]`
 *
 * The national estimate of docs/scale.md, computed from the figures a
 * `npm run bench:mix` run measured (rows read and written per request and
 * edge-cache hit ratio, per kind; server CPU per request) and from the
 * traffic assumptions below, at the Workers Paid prices written here (read
 * from Cloudflare's pricing pages, 2026). Also measures, in this process,
 * the memory one isolate holds for the locator (the gazetteer and every
 * schedule of the demo network), the first limit to meet as the network grows.
 * Prints markdown; docs/scale.md is its output plus the reasoning.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { demoSchedule } from '../tools/demo/hours';
import { DEMO_SEED, DEMO_SIZE, generateDemoNetwork } from '../tools/demo/network';
import { buildGazetteer } from '../worker/locator/gazetteer';

const { values } = parseArgs({ options: { mix: { type: 'string', default: 'bench/results/mix.json' } } });

interface KindFigures {
  kind: string;
  count: number;
  edge: { hitRatio: number | null };
  rowsRead: { mean: number | null; median: number | null };
  rowsWritten: { mean: number | null; max: number | null };
}
interface MixResult {
  date: string;
  commit: string;
  run: { throughput_rps: number; measured_s: number; clients: number };
  cpu: { server: { ms: number } };
  kinds: KindFigures[];
}

const mix = JSON.parse(readFileSync(resolve(values.mix!), 'utf8')) as MixResult;
const kind = (name: string) => {
  const found = mix.kinds.find((k) => k.kind === name);
  if (!found) throw new Error(`${values.mix} has no "${name}" figures: run npm run bench:mix first`);
  return found;
};
const rowsRead = (k: KindFigures) => k.rowsRead.mean ?? k.rowsRead.median ?? 0;
/**
 * Staff answers show no D1 figures (they are personal), so an edit's writes
 * are counted from its statements: location_hours, hours_exceptions,
 * hours_audit, locations and department_stats, each with its index entries.
 */
const ROWS_WRITTEN_PER_EDIT = 10;
const rowsWritten = (k: KindFigures) => k.rowsWritten.mean ?? (k.kind === 'edit-write' ? ROWS_WRITTEN_PER_EDIT : 0);

/**
 * A month of traffic, by kind. Assumptions, written down (docs/scale.md):
 * every one of the 130 M hours look-ups reaches Guichet (in fact search
 * engines answer most from what Guichet pushed them), 80 % as office pages
 * and 20 % as the hours API; one full crawl a day of every page with no
 * help from the cache; 30 M searches a month from the site and partner
 * widgets; 17,000 offices editing their hours twice a month.
 */
const PAGES_PER_CRAWL = 30_001 + 36_000 + 110 + 110 + 1;
const MONTH = {
  office: { requests: 130e6 * 0.8, figures: kind('office') },
  hours: { requests: 130e6 * 0.2, figures: kind('hours') },
  crawl: { requests: PAGES_PER_CRAWL * 30, figures: { ...kind('office'), edge: { hitRatio: 0 } } },
  search: { requests: 30e6, figures: kind('search (all)') },
  home_and_sitemaps: { requests: 3e6, figures: kind('home') },
  edits: { requests: 17_000 * 2 * 2, figures: kind('edit-write') },
};

/** Workers Paid, per month (USD). */
const PRICES = {
  base: 5,
  requestsIncluded: 10e6, perMillionRequests: 0.3,
  cpuMsIncluded: 30e6, perMillionCpuMs: 0.02,
  rowsReadIncluded: 25e9, perMillionRowsRead: 0.001,
  rowsWrittenIncluded: 50e6, perMillionRowsWritten: 1.0,
};

/** CPU per request: everything the local server (wrangler's proxy, workerd, SQLite) spent, over the requests: an upper bound. */
const cpuMsPerRequest = mix.cpu.server.ms / (mix.run.throughput_rps * mix.run.measured_s);

const rows = Object.entries(MONTH).map(([name, { requests, figures }]) => {
  const hit = figures.edge.hitRatio ?? 0;
  // A hit reads nothing; a miss reads what the run's misses read (the mean over all requests, over the misses).
  const readPerMiss = hit < 1 ? rowsRead(figures) / (1 - hit) : 0;
  return { name, requests, hit, read: requests * (1 - hit) * readPerMiss, written: requests * rowsWritten(figures) };
});
/**
 * Work no request pays for, from the code's own intervals and sizes:
 * every active isolate reads the versions every 5 s (two settings rows and
 * the changes since, about 3 rows); every isolate start reads the locator
 * snapshot (2 rows) and every schedule (35,000 rows for the demo network).
 * Assumed: 300 isolates busy at once nationwide, 2,000 isolate starts a day.
 */
const ACTIVE_ISOLATES = 300;
const ISOLATE_STARTS_PER_DAY = 2_000;
rows.push(
  { name: 'version polls (background)', requests: 0, hit: 0, read: ACTIVE_ISOLATES * (86_400 / 5) * 30 * 3, written: 0 },
  { name: 'isolate starts: snapshot and schedules (background)', requests: 0, hit: 0, read: ISOLATE_STARTS_PER_DAY * 30 * 35_002, written: 0 },
);
const total = rows.reduce((t, r) => ({ requests: t.requests + r.requests, read: t.read + r.read, written: t.written + r.written }), { requests: 0, read: 0, written: 0 });
const cpuMs = total.requests * cpuMsPerRequest;
const over = (used: number, included: number, perMillion: number) => (Math.max(0, used - included) / 1e6) * perMillion;
const cost = {
  requests: over(total.requests, PRICES.requestsIncluded, PRICES.perMillionRequests),
  cpu: over(cpuMs, PRICES.cpuMsIncluded, PRICES.perMillionCpuMs),
  read: over(total.read, PRICES.rowsReadIncluded, PRICES.perMillionRowsRead),
  written: over(total.written, PRICES.rowsWrittenIncluded, PRICES.perMillionRowsWritten),
};
const dollars = (n: number) => `$${n.toFixed(2)}`;
const millions = (n: number) => `${(n / 1e6).toLocaleString('en', { maximumFractionDigits: 1 })} M`;

console.log(`From ${values.mix} (${mix.date}, commit ${mix.commit}, ${mix.run.clients} clients, ${mix.run.throughput_rps} req/s).\n`);
console.log('| traffic | requests / month | edge hits (measured) | D1 rows read | D1 rows written |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const hits = r.requests ? `${Math.round(r.hit * 100)} %` : '–';
  console.log(`| ${r.name.replaceAll('_', ' ')} | ${r.requests ? millions(r.requests) : '–'} | ${hits} | ${millions(r.read)} | ${millions(r.written)} |`);
}
console.log(`| **total** | **${millions(total.requests)}** | | **${millions(total.read)}** | **${millions(total.written)}** |\n`);
console.log(`CPU: at most ${cpuMsPerRequest.toFixed(1)} ms a request as measured here (the whole local server), ${millions(cpuMs)} CPU-ms a month.\n`);
console.log('| Workers Paid line | used | included | cost |');
console.log('| --- | ---: | ---: | ---: |');
console.log(`| base | | | ${dollars(PRICES.base)} |`);
console.log(`| requests | ${millions(total.requests)} | ${millions(PRICES.requestsIncluded)} | ${dollars(cost.requests)} |`);
console.log(`| CPU time | ${millions(cpuMs)} ms | ${millions(PRICES.cpuMsIncluded)} ms | ${dollars(cost.cpu)} |`);
console.log(`| D1 rows read | ${millions(total.read)} | ${millions(PRICES.rowsReadIncluded)} | ${dollars(cost.read)} |`);
console.log(`| D1 rows written | ${millions(total.written)} | ${millions(PRICES.rowsWrittenIncluded)} | ${dollars(cost.written)} |`);
console.log(`| **a month** | | | **${dollars(PRICES.base + cost.requests + cost.cpu + cost.read + cost.written)}** |\n`);

// One isolate's locator memory: the gazetteer and every schedule, for the demo network.
const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};
const network = generateDemoNetwork(DEMO_SEED, DEMO_SIZE);
const rowsOnly = heap();
const gazetteer = buildGazetteer({
  places: network.map((l) => ({ id: l.id, name: l.name, type: l.type, commune: l.commune, inseeCode: l.inseeCode, postcode: l.postcode,
    department: l.department, timeZone: l.timeZone, services: l.services, latitude: l.latitude, longitude: l.longitude })),
  communes: [...new Map(network.map((l) => [l.inseeCode, { inseeCode: l.inseeCode, name: l.commune, department: l.department }])).values()],
});
const withGazetteer = heap();
const schedules = new Map(network.map((l) => [l.id, demoSchedule(l)]));
const withSchedules = heap();
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
console.log(`Locator memory of one isolate, ${network.length} locations${gc ? '' : ' (run with --expose-gc for steadier figures)'}: ` +
  `gazetteer (${gazetteer.places.length} places, ${gazetteer.communes.length} communes of France) ${mb(withGazetteer - rowsOnly)}, ` +
  `every schedule (${schedules.size}) ${mb(withSchedules - withGazetteer)}, of the 128 MB an isolate has.`);
