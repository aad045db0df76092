/**
 * Benchmark: the locator against a static asset, side by side, under load.
 *
 * Starts `wrangler dev` on the built Worker (`npm run build` first) with the
 * local D1 of `npm start` (.wrangler/state, seeded with the 30,000-location
 * demo network when empty; do not run it while `npm start` is running), then
 * drives 32 concurrent clients for 20 s per scenario with autocannon:
 *   - static: the site's stylesheet, served by the same Worker's assets;
 *   - coordinates: near=<random demo location>&services=parcel_pickup&open_now=true;
 *   - text: q=<random commune name>.
 * Reports p50, p99, requests per second and errors, and the p99 ratios.
 * Run: `npm run bench:locator` (BENCH_SECONDS and BENCH_CONNECTIONS override).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { DEMO_SEED, DEMO_SIZE, generateDemoNetwork } from '../tools/demo/network';
import { load, type LoadFigures, stylesheetOf } from './mix/harness';
import { freePort } from './mix/server';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };

async function start(port: number): Promise<ChildProcess> {
  spawnSync('node_modules/.bin/wrangler', ['d1', 'migrations', 'apply', 'guichet', '--local', '--persist-to', '.wrangler/state'], { env });
  spawnSync('node_modules/.bin/tsx', ['scripts/seed-demo.ts'], { env, stdio: 'inherit' });
  // 32 clients from one address would trip the anonymous search limit: the bench measures the search, without it.
  const config = JSON.parse(readFileSync('dist/server/wrangler.json', 'utf8'));
  config.ratelimits = (config.ratelimits ?? []).filter((r: { name: string }) => r.name !== 'SEARCH_LIMITER');
  writeFileSync('dist/server/wrangler.bench.json', JSON.stringify(config));
  const child = spawn('node_modules/.bin/wrangler', ['dev', '-c', 'dist/server/wrangler.bench.json', '--persist-to', '.wrangler/state', '--port', String(port), '--ip', '127.0.0.1', '--var', `SITE_ORIGIN:http://127.0.0.1:${port}`], { env, detached: true, stdio: 'ignore' });
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/robots.txt`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('wrangler dev did not start');
}

const network = generateDemoNetwork(DEMO_SEED, DEMO_SIZE);
const shuffled = (n: number, pick: (i: number) => string) => Array.from({ length: n }, (_, i) => pick((i * 7919) % network.length));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = await start(port);
try {
  const css = await stylesheetOf(base);
  const coordinates = shuffled(2000, (i) => `/api/v1/locations/search?near=${network[i].latitude},${network[i].longitude}&services=parcel_pickup&open_now=true`);
  const communes = [...new Set(network.map((l) => l.commune))];
  const text = Array.from({ length: 2000 }, (_, i) => `/api/v1/locations/search?q=${encodeURIComponent(communes[(i * 7919) % communes.length])}`);
  await load(base, coordinates.slice(0, 50), SECONDS, CONNECTIONS); // warm the isolate's gazetteer
  const results: Record<string, LoadFigures> = {};
  for (const [name, paths] of [['static', [css]], ['coordinates', coordinates], ['text', text]] as const) {
    results[name] = await load(base, [...paths], SECONDS, CONNECTIONS);
    const r = results[name];
    console.log(`${name.padEnd(12)} p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms  ${r.rps.toFixed(0).padStart(6)} req/s  errors ${r.errors}  non-2xx ${r.non2xx}`);
  }
  console.log(`\n${CONNECTIONS} clients, ${SECONDS} s each, same run, wrangler dev on this machine:`);
  console.log(`  coordinates p99 / static p99: ${(results.coordinates.p99 / results.static.p99).toFixed(2)} (target ≤ 2)`);
  console.log(`  text p99 / static p99:        ${(results.text.p99 / results.static.p99).toFixed(2)} (target ≤ 3)`);
} finally {
  if (server.pid) process.kill(-server.pid, 'SIGTERM');
}
