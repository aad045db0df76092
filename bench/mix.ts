/**
 * `npm run bench:mix [-- --clients 64 --duration 60 --warmup 20 --state DIR --port P]`
 *
 * The load test of issue 12: a realistic mix against `wrangler dev` serving
 * the built Worker (dist/, `npm run build` first) on the full demo network
 * (30,001 locations), at 64 concurrent clients sharing one keep-alive pool:
 *   60 % office pages (Zipf-like popularity over every active office, read
 *        from the site's sitemaps and locations API),
 *   20 % searches (coordinates and text, API and the /recherche page),
 *   10 % hours API (`/hours`, `/status`), 5 % sitemaps and home,
 *    5 % staff edits (add then remove a future closure; weekly rules
 *        rewritten unchanged), through a network-scoped `hours` token,
 * plus the site's stylesheet, in the same run, as the baseline every
 * latency is compared with. Phases: setup (a temporary D1 state migrated and
 * seeded like package.json does, or `--state DIR` reused), warm-up (the most
 * popular offices crawled once, then the mix), measure, then a visibility
 * probe during the load (one hours change; how long until the office page,
 * the hours API and a search show it). Prints a markdown table and the
 * targets as PASS/FAIL lines, writes bench/results/mix.json. Exits 0 when
 * the measurement ran, whatever the figures; non-zero when the bench broke.
 *
 * Other flags: --dist DIR (another build than ./dist, e.g. the last good
 * one while a work in progress does not build), --warm-offices N (default 500), --static-share 0.1, --zipf 1,
 * --seed 1, --probe-timeout 120, --unloaded 20 (seconds of the same mix by
 * one client after the load, one request at a time: each kind's own cost
 * and its ratio to the static asset without queueing; 0 skips it), --out FILE, --label TEXT (kept in the JSON), --keep-state (keep the
 * temporary state and print its path), --keep-search-limit (keep the
 * anonymous search limit, which 64 clients on one address would trip).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Pool } from 'undici';
import { readCatalogue } from './mix/catalogue';
import { newPool, REQUEST_TIMEOUT_MS } from './mix/client';
import { benchArgs, benchLog, builtWorker, git, serverFlags, writeResults } from './mix/harness';
import { Probe, type ProbeResult } from './mix/probe';
import { compactTable, KIND_ORDER, markdownTable, targetLines, targets } from './mix/report';
import { benchConfig, createStaffToken, freePort, machineBusyCpuMs, prepareState, processTreeCpuMs, revokeStaffToken, type Server, startServer } from './mix/server';
import { type KindSummary, type Sample, summarize, withRatios } from './mix/stats';
import { Mix, SHARES, type Operation } from './mix/workload';

const ROOT = resolve(import.meta.dirname, '..');
const USAGE = 'usage: npm run bench:mix -- [--clients 64] [--duration 60] [--warmup 20] [--state DIR] [--port P] [--dist DIR] [--warm-offices 500] [--static-share 0.1] [--zipf 1] [--seed 1] [--probe-timeout 120] [--unloaded 20] [--out FILE] [--label TEXT] [--keep-state] [--keep-search-limit]';

const args = benchArgs(USAGE, {
  clients: { type: 'string', default: '64' },
  duration: { type: 'string', default: '60' },
  warmup: { type: 'string', default: '20' },
  ...serverFlags('bench/results/mix.json'),
  'warm-offices': { type: 'string', default: '500' },
  'static-share': { type: 'string', default: '0.1' },
  zipf: { type: 'string', default: '1' },
  seed: { type: 'string', default: '1' },
  'probe-timeout': { type: 'string', default: '120' },
  unloaded: { type: 'string', default: '20' },
  label: { type: 'string', default: '' },
  'keep-state': { type: 'boolean', default: false },
  'keep-search-limit': { type: 'boolean', default: false },
});
const opts = {
  clients: args.number('clients', 1, 1024),
  duration: args.number('duration', 1, 3600),
  warmup: args.number('warmup', 0, 3600),
  ...args.server(),
  warmOffices: args.number('warm-offices', 0, 100_000),
  staticShare: args.number('static-share', 0.01, 0.5, false),
  zipf: args.number('zipf', 0, 3, false),
  seed: args.number('seed', 0, 2 ** 31),
  probeTimeout: args.number('probe-timeout', 5, 600),
  unloaded: args.number('unloaded', 0, 600),
  label: args.values.label!,
  keepState: args.values['keep-state']!,
  keepSearchLimit: args.values['keep-search-limit']!,
};
const log = benchLog('mix');

/** Set by SIGINT/SIGTERM: the load and the probe stop, the cleanup still runs. */
let interrupted = false;
let interruptedAt = 0;
let loadRunning = false;
const sleep = async (ms: number) => {
  const end = Date.now() + ms;
  while (!interrupted && Date.now() < end) await new Promise((r) => setTimeout(r, Math.min(200, end - Date.now())));
};

let server: Server | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // tsx relays the terminal's Ctrl-C to us, which also got it: one press, two signals.
    if (interrupted && Date.now() - interruptedAt < 2000) return;
    if (interrupted) {
      // A second Ctrl-C: stop the server's process group now and leave.
      if (server?.child.pid) {
        try {
          process.kill(-server.child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      process.exit(130);
    }
    interrupted = true;
    interruptedAt = Date.now();
    loadRunning = false;
    log(`${signal}: stopping the load, undoing edits, stopping the server`);
  });
}

/** Per kind (in KIND_ORDER, with the search and all-but-static aggregates), with ratios to the static asset. */
function summariesOf(samples: Sample[], seconds: number): KindSummary[] {
  const groups = new Map<string, Sample[]>();
  const add = (kind: string, s: Sample) => {
    const list = groups.get(kind);
    if (list) list.push(s);
    else groups.set(kind, [s]);
  };
  for (const s of samples) {
    add(s.kind, s);
    if (s.kind.startsWith('search-')) add('search (all)', s);
    if (s.kind !== 'static') add('all but static', s);
  }
  const base = summarize('static', groups.get('static') ?? [], seconds);
  return KIND_ORDER.filter((k) => groups.has(k)).map((k) => withRatios(summarize(k, groups.get(k)!, seconds), base));
}

/** 64 (or --clients) loops, each running one operation after the other while the load runs. */
async function runClients(count: number, next: () => Operation, failures: unknown[]): Promise<void> {
  await Promise.all(Array.from({ length: count }, async () => {
    while (loadRunning) {
      try {
        await next()();
      } catch (error) {
        // send() never throws: this is a bug of the bench, reported and fatal at the end.
        failures.push(error);
        if (failures.length > 100) loadRunning = false;
      }
    }
  }));
}

const createdState = !opts.state;
const workDir = mkdtempSync(join(tmpdir(), 'guichet-bench-mix-'));
const state = opts.state ?? join(workDir, 'state');
let token: { id: string; secret: string } | undefined;
const pools: Pool[] = [];
let mix: Mix | undefined;
let exitCode = 0;

try {
  const built = builtWorker(opts.dist);
  log(`built Worker ${opts.dist} from ${built.mtime.toISOString()}; state ${state}${createdState ? ' (new, temporary)' : ' (reused)'}`);

  // Setup: the local D1 as `npm start` makes it, and a staff token, before the server opens it.
  await prepareState(state, log);
  token = await createStaffToken(state);
  log(`staff token ${token.id} (hours, network)`);
  const port = opts.port ?? (await freePort());
  const config = benchConfig(workDir, opts.keepSearchLimit, opts.dist);
  server = await startServer({ config, state, port, readyTimeoutMs: 120_000 });
  log(`wrangler dev answers on ${server.base}`);
  const serverPid = server.child.pid!;

  const setupPool = newPool(server.base, 4);
  pools.push(setupPool);
  const catalogue = await readCatalogue(setupPool, log, opts.dist);
  log(`${catalogue.offices.length} active offices with a page (sitemaps list ${catalogue.sitemapOffices}); ${catalogue.sitemaps.length} sitemap files; static asset ${catalogue.staticPath}`);

  const samples: Sample[] = [];
  let sink = samples;
  const loadPool = newPool(server.base, opts.clients);
  pools.push(loadPool);
  const reserved = new Set<string>();
  mix = new Mix({
    pool: loadPool, catalogue, token: token.secret, seed: opts.seed, zipfExponent: opts.zipf,
    staticShare: opts.staticShare, reserved, record: (s) => sink.push(s),
  });
  // The probe picks among the most popular offices: the mix does not edit them.
  const PROBE_CANDIDATES = 50;
  for (const office of mix.byPopularity.slice(0, PROBE_CANDIDATES)) reserved.add(office.id);
  const probePool = newPool(server.base, 3);
  pools.push(probePool);
  const probe = new Probe({
    pool: probePool, token: token.secret, mix, candidates: PROBE_CANDIDATES, pollEveryMs: 1000,
    giveUpMs: opts.probeTimeout * 1000, stopped: () => interrupted, log,
  });
  log(`probe: ${await probe.prepare()} candidate office(s) among the ${PROBE_CANDIDATES} most popular`);

  // Warm-up: the most popular offices' pages and hours once, then the mix.
  const crawl: Operation[] = mix.byPopularity.slice(0, opts.warmOffices).flatMap((office) => [
    () => mix!.officePage(office).then(() => {}),
    () => mix!.hoursOf(office).then(() => {}),
  ]);
  let phase: 'warmup' | 'measure' | 'probe' = 'warmup';
  const next = (): Operation => (phase === 'warmup' && crawl.length ? crawl.shift()! : mix!.next());
  const failures: unknown[] = [];
  let serverExited = false;
  server.child.on('exit', () => {
    serverExited = true;
  });

  loadRunning = true;
  const load = runClients(opts.clients, next, failures);
  const begun = performance.now();
  log(`warm-up: ${opts.warmup} s, ${opts.clients} clients (${Math.min(opts.warmOffices, mix.byPopularity.length)} most popular offices first)`);
  await sleep(opts.warmup * 1000);
  const crawlLeft = crawl.length;

  phase = 'measure';
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const measureStart = performance.now();
  const clientCpu0 = process.cpuUsage();
  const serverCpu0 = processTreeCpuMs(serverPid);
  const machineCpu0 = machineBusyCpuMs();
  const loadBefore = loadavg();
  log(`measure: ${opts.duration} s`);
  await sleep(opts.duration * 1000);
  const measureEnd = performance.now();
  const clientCpu = process.cpuUsage(clientCpu0);
  const serverCpu1 = processTreeCpuMs(serverPid);
  const machineCpu1 = machineBusyCpuMs();
  loop.disable();

  phase = 'probe';
  let probeResult: ProbeResult = { error: 'interrupted' };
  if (!interrupted && !serverExited) {
    log('probe: one hours change during the load');
    probeResult = await probe.run();
    if (probeResult.error) log(`probe: ${probeResult.error}`);
  }

  loadRunning = false;
  // Each operation is bounded by the request timeouts; the wait is bounded too.
  await Promise.race([load, new Promise((r) => setTimeout(r, 4 * REQUEST_TIMEOUT_MS))]);
  if (interrupted) throw new Error('interrupted');
  if (serverExited) throw new Error(`wrangler dev exited during the run:\n${server.log()}`);
  if (failures.length) throw new Error(`${failures.length} operation(s) of the bench failed, first: ${(failures[0] as Error)?.stack ?? failures[0]}`);

  // Unloaded: one client, the same mix, one request at a time: what each kind costs without the queue.
  const unloadedSamples: Sample[] = [];
  let unloadedSeconds = 0;
  if (opts.unloaded > 0) {
    log(`unloaded: ${opts.unloaded} s, 1 client`);
    sink = unloadedSamples;
    loadRunning = true;
    const started = performance.now();
    const single = runClients(1, () => mix!.next(), failures);
    await sleep(opts.unloaded * 1000);
    loadRunning = false;
    await Promise.race([single, new Promise((r) => setTimeout(r, 2 * REQUEST_TIMEOUT_MS))]);
    unloadedSeconds = (performance.now() - started) / 1000;
    sink = samples;
    if (interrupted) throw new Error('interrupted');
    if (failures.length) throw new Error(`${failures.length} operation(s) of the bench failed, first: ${(failures[0] as Error)?.stack ?? failures[0]}`);
  }
  const unloaded = summariesOf(unloadedSamples, unloadedSeconds || 1);

  // Figures: requests sent during the measure window.
  const seconds = (measureEnd - measureStart) / 1000;
  const measured = samples.filter((s) => s.start >= measureStart && s.start < measureEnd);
  const summaries = summariesOf(measured, seconds);
  const byKind = new Map(summaries.map((s) => [s.kind, s]));
  const targetList = targets(byKind, probeResult);

  const clientCpuMs = (clientCpu.user + clientCpu.system) / 1000;
  const cpu = {
    client: {
      user_ms: Math.round(clientCpu.user / 1000), system_ms: Math.round(clientCpu.system / 1000),
      share_of_one_core: Number((clientCpuMs / (seconds * 1000)).toFixed(3)),
      event_loop_delay_p99_ms: Number((loop.percentile(99) / 1e6).toFixed(1)),
      event_loop_delay_max_ms: Number((loop.max / 1e6).toFixed(1)),
    },
    server: serverCpu0 !== undefined && serverCpu1 !== undefined
      ? { ms: Math.round(serverCpu1 - serverCpu0), share_of_one_core: Number(((serverCpu1 - serverCpu0) / (seconds * 1000)).toFixed(3)) }
      : null,
    /** Everything else on the machine (other test runs, the build…) in the same window: they share the 2 cores. */
    others: serverCpu0 !== undefined && serverCpu1 !== undefined && machineCpu0 !== undefined && machineCpu1 !== undefined
      ? { share_of_one_core: Number(Math.max(0, (machineCpu1 - machineCpu0 - (serverCpu1 - serverCpu0) - clientCpuMs) / (seconds * 1000)).toFixed(3)) }
      : null,
    cores: cpus().length,
  };
  const commit = git('rev-parse', '--short', 'HEAD');
  const dirty = (git('status', '--porcelain', '--untracked-files=no') ?? '') !== '';
  const result = {
    bench: 'mix',
    label: opts.label || null,
    date: new Date().toISOString(),
    commit,
    working_tree_modified: dirty,
    dist: opts.dist === resolve(ROOT, 'dist') ? 'dist' : opts.dist,
    dist_built_at: built.mtime.toISOString(),
    machine: { cpu: cpus()[0]?.model ?? null, cores: cpus().length, memory_gb: Math.round(totalmem() / 2 ** 30), load_average_before_measure: loadBefore.map((n) => Number(n.toFixed(2))), load_average_after: loadavg().map((n) => Number(n.toFixed(2))), node: process.version },
    run: {
      clients: opts.clients, duration_s: opts.duration, measured_s: Number(seconds.toFixed(1)), warmup_s: opts.warmup,
      warm_offices: opts.warmOffices, warm_crawl_left_unfetched: crawlLeft, static_share: opts.staticShare, zipf_exponent: opts.zipf, seed: opts.seed,
      mix_shares: SHARES, static_path: catalogue.staticPath, offices: catalogue.offices.length, office_urls_from: catalogue.officeSource, sitemap_offices: catalogue.sitemapOffices, sitemap_files: catalogue.sitemaps.length,
      search_limit: opts.keepSearchLimit ? 'kept' : 'removed for the bench', server: 'wrangler dev (local workerd + D1/SQLite), same machine',
      state_reused: !createdState, requests_total: samples.length, requests_measured: measured.length,
      throughput_rps: Number((measured.length / seconds).toFixed(1)),
    },
    cpu,
    kinds: summaries,
    unloaded: opts.unloaded > 0 ? { clients: 1, seconds: Number(unloadedSeconds.toFixed(1)), kinds: unloaded } : null,
    probe: probeResult,
    targets: targetList,
  };
  writeResults(opts.out, result);

  const runningFor = ((performance.now() - begun) / 1000).toFixed(0);
  console.log(`\n## bench:mix — ${opts.clients} clients, ${seconds.toFixed(0)} s measured after ${opts.warmup} s warm-up (${runningFor} s of load in all), commit ${commit}${dirty ? ' (modified)' : ''}\n`);
  console.log(markdownTable(summaries));
  if (opts.unloaded > 0) {
    console.log(`\nUnloaded, for comparison (1 client, one request at a time, ${unloadedSeconds.toFixed(0)} s, same mix, after the load; not a target):\n`);
    console.log(compactTable(unloaded));
  }
  console.log(`\n${result.run.throughput_rps} req/s in all under load. Latency: send → last body byte. Ratios: to the static asset's p50/p99 in the same run.`);
  console.log(`Client CPU: ${clientCpuMs.toFixed(0)} ms over ${seconds.toFixed(0)} s = ${(cpu.client.share_of_one_core * 100).toFixed(0)} % of one core (event-loop delay p99 ${cpu.client.event_loop_delay_p99_ms} ms); server (wrangler + workerd): ${cpu.server ? `${(cpu.server.share_of_one_core * 100).toFixed(0)} % of one core` : 'unknown'}; other processes: ${cpu.others ? `${(cpu.others.share_of_one_core * 100).toFixed(0)} % of one core` : 'unknown'}; ${cpu.cores} cores.`);
  if (probeResult.office) {
    console.log(`Probe: ${probeResult.change} today on ${probeResult.office.id} (rank ${probeResult.office.rank + 1}), search ${probeResult.searchPath}; undone: ${probeResult.undone ? 'yes' : 'NO'}.`);
  }
  console.log(`\n${targetLines(targetList)}\n`);
  log(`written ${opts.out}`);
} catch (error) {
  exitCode = 1;
  console.error(`bench:mix broke: ${(error as Error)?.stack ?? error}`);
} finally {
  loadRunning = false;
  // Bench exceptions an edit could not remove (a failure mid-way): removed while the server still runs.
  if (server && mix && mix.leftovers.size) {
    log(`removing ${mix.leftovers.size} exception(s) left by edits`);
    const byId = new Map(mix.byPopularity.map((o) => [o.id, o]));
    for (const left of [...mix.leftovers.values()].slice(0, 200)) {
      const office = byId.get(left.locationId);
      if (office && !(await mix.removeException(office, left.exceptionId))) log(`could not remove ${left.exceptionId} of ${left.locationId}`);
    }
  }
  await Promise.allSettled(pools.map((p) => p.close()));
  if (server) {
    await server.stop();
    log('server stopped');
  }
  if (token) await revokeStaffToken(state, token.id).catch((error) => log(`could not revoke ${token!.id}: ${error.message}`));
  if (createdState && opts.keepState) log(`state kept in ${state} (reuse it with --state ${state})`);
  else if (createdState) rmSync(workDir, { recursive: true, force: true });
  if (!createdState) rmSync(workDir, { recursive: true, force: true });
  process.exit(exitCode);
}
