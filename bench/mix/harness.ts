/**
 * What the server benches (bench:bookings, bench:stock, bench:parcels,
 * bench:home, and in part bench:mix and bench:locator) share, written once:
 * their flags (`--state --port --dist --out` and checked whole numbers), their
 * run on the built Worker (a state prepared as `npm start` does, `wrangler dev`
 * on it, always stopped), the autocannon load that gives their latency figures,
 * how those figures read in a README row, and the head of their results JSON.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, type Stats, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import autocannon from 'autocannon';
import { benchConfig, freePort, prepareState, type Server, startServer } from './server';
import { round } from './stats';

const ROOT = resolve(import.meta.dirname, '../..');

// ---------------------------------------------------------------- flags

/** The flags every server bench takes, `out` being its default results file. */
export function serverFlags(out: string) {
  return {
    state: { type: 'string' },
    port: { type: 'string' },
    dist: { type: 'string', default: 'dist' },
    out: { type: 'string', default: out },
  } as const;
}

/**
 * Reads the command line against `options`. A flag it does not know, or a
 * number out of its range, is printed with `usage` and ends the process
 * with code 2.
 */
export function benchArgs<const O extends ParseArgsOptionsConfig>(usage: string, options: O) {
  const refuse = (message: string): never => {
    console.error(`${message}\n${usage}`);
    process.exit(2);
  };
  let parsed: ReturnType<typeof parseArgs<{ options: O }>> | undefined;
  try {
    parsed = parseArgs({ options });
  } catch (error) {
    refuse((error as Error).message);
  }
  const values = parsed!.values;
  const raw = values as Record<string, unknown>;
  /** The flag `name` as a number from `min` to `max` (a whole one unless `integer` is false). */
  const number = (name: keyof O & string, min: number, max: number, integer = true): number => {
    const n = Number(raw[name]);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      refuse(`--${name} ${raw[name]}: expected ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`);
    }
    return n;
  };
  /** `--state --port --dist --out` ({@link serverFlags}), paths made absolute; read last, as each bench did. */
  const server = () => ({
    state: raw.state ? resolve(raw.state as string) : undefined,
    port: raw.port ? number('port' as keyof O & string, 1, 65535) : undefined,
    dist: resolve(raw.dist as string),
    out: resolve(raw.out as string),
  });
  return { values, number, server };
}

/** A whole-number flag: its default and its range. */
export interface WholeFlag { default: number; min: number; max: number }

/**
 * The options of a server bench whose own flags are all whole numbers:
 * those (checked in the order given), then {@link serverFlags}'s, `out`
 * defaulting to `defaultOut`.
 */
export function serverBenchOptions<N extends string>(usage: string, defaultOut: string, flags: Record<N, WholeFlag>) {
  const names = Object.keys(flags) as N[];
  const declared = Object.fromEntries(names.map((name) => [name, { type: 'string', default: String(flags[name].default) }]));
  const args = benchArgs(usage, { ...declared, ...serverFlags(defaultOut) } as ParseArgsOptionsConfig);
  const numbers = Object.fromEntries(names.map((name) => [name, args.number(name, flags[name].min, flags[name].max)])) as Record<N, number>;
  return { ...numbers, ...args.server() };
}

// ---------------------------------------------------------------- the run

/** `[bench:NAME HH:MM:SS] line` on stderr: stdout keeps the README rows. */
export function benchLog(name: string): (line: string) => void {
  return (line) => console.error(`[bench:${name} ${new Date().toISOString().slice(11, 19)}] ${line}`);
}

/** The build's server entry, or an error saying to build first. */
export function builtWorker(dist: string): Stats {
  const entry = join(dist, 'server/entry.mjs');
  const built = statSync(entry, { throwIfNoEntry: false });
  if (!built) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  return built;
}

export interface ServerBench {
  /** The D1 state, migrated and seeded: `--state` or a temporary one. */
  state: string;
  /** A temporary folder, removed at the end (the wrangler config lives there). */
  workDir: string;
  /** The build's server entry (its time goes into the results). */
  built: Stats;
  log: (line: string) => void;
  /** Starts `wrangler dev` on the state (`--port` or a free one); stopped at the end, whatever happens. */
  start: () => Promise<Server>;
}

/**
 * Runs a server bench named `name` and ends the process: 0 when `measure`
 * ran, whatever the figures; 1, with the stack, when it threw.
 */
export async function runServerBench(
  name: string,
  opts: { state?: string; port?: number; dist: string },
  measure: (bench: ServerBench) => Promise<void>,
): Promise<never> {
  const log = benchLog(name);
  const createdState = !opts.state;
  const workDir = mkdtempSync(join(tmpdir(), `guichet-bench-${name}-`));
  const state = opts.state ?? join(workDir, 'state');
  let server: Server | undefined;
  let exitCode = 0;
  try {
    const built = builtWorker(opts.dist);
    log(`built Worker ${opts.dist} from ${built.mtime.toISOString()}; state ${state}${createdState ? ' (new, temporary)' : ' (reused)'}`);
    await prepareState(state, log);
    const start = async () => {
      const port = opts.port ?? (await freePort());
      server = await startServer({ config: benchConfig(workDir, false, opts.dist), state, port, readyTimeoutMs: 120_000 });
      log(`wrangler dev answers on ${server.base}`);
      return server;
    };
    await measure({ state, workDir, built, log, start });
  } catch (error) {
    exitCode = 1;
    console.error(`bench:${name} broke: ${(error as Error)?.stack ?? error}`);
  } finally {
    if (server) {
      await server.stop();
      log('server stopped');
    }
    rmSync(workDir, { recursive: true, force: true });
  }
  process.exit(exitCode);
}

/** The site's stylesheet, linked from `/`: the static asset every latency is held against. */
export async function stylesheetOf(base: string): Promise<string> {
  const css = /href="(\/_astro\/[^"]+\.css)"/.exec(await (await fetch(`${base}/`)).text())?.[1];
  if (!css) throw new Error('no stylesheet linked from /');
  return css;
}

// ---------------------------------------------------------------- the load

/** What one autocannon run gives: latencies in ms, the mean requests per second, and what went wrong. */
export interface LoadFigures { p50: number; p99: number; rps: number; requests: number; errors: number; non2xx: number }

/** `connections` autocannon clients on `base` for `seconds`, the requests going round `paths` in order. */
export function load(base: string, paths: string[], seconds: number, connections: number): Promise<LoadFigures> {
  let i = 0;
  return new Promise((resolvePromise, reject) => {
    autocannon(
      { url: base, connections, duration: seconds, requests: [{ setupRequest: (request: { path: string }) => ({ ...request, path: paths[i++ % paths.length] }) }] },
      (error: Error | null, result: any) => {
        if (error) return reject(error);
        resolvePromise({
          p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average, requests: result.requests.total,
          errors: result.errors + result.timeouts, non2xx: result.non2xx,
        });
      },
    );
  });
}

// ---------------------------------------------------------------- figures

/** `p50 … ms, p99 … ms, … req/s, … errors` (non-2xx answers count as errors). */
export function figuresText(figures: LoadFigures): string {
  return `p50 ${figures.p50} ms, p99 ${figures.p99} ms, ${figures.rps.toFixed(0)} req/s, ${figures.errors + figures.non2xx} errors`;
}

/** {@link figuresText}, then the static asset's and the p99 ratio against `bound`: a README row's figures. */
export function againstStaticText(figures: LoadFigures, staticFigures: LoadFigures, bound: number): string {
  const ratio = figures.p99 / staticFigures.p99;
  return `${figuresText(figures)}; static asset p99 ${staticFigures.p99} ms (p50 ${staticFigures.p50} ms, ${staticFigures.rps.toFixed(0)} req/s); p99 ratio ${ratio.toFixed(2)} (target ≤ ${bound}: ${ratio <= bound ? 'met' : 'NOT met'})`;
}

/** The results JSON's `p99_ratio`, `bound` and `within_bound`. */
export function ratioFields(ratio: number, bound: number) {
  return { p99_ratio: round(ratio, 2), bound, within_bound: ratio <= bound };
}

/** A count for a README row: whole, with thousands separated (`100,000`). */
export const grouped = (x: number) => Math.round(x).toLocaleString('en-US');

// ---------------------------------------------------------------- results

/** The 1, 5 and 15-minute load averages, to two decimals: other work on the machine moves every figure. */
export const loadAverages = () => loadavg().map((l) => Number(l.toFixed(2)));

/** `git …` in the repository, trimmed; null when git fails. */
export function git(...args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/**
 * The head of a results JSON: which bench, when, on which commit and build,
 * on which machine (with the load averages before, given, and now).
 */
export function runRecord(bench: string, built: Stats, loadBefore?: number[]) {
  return {
    bench,
    date: new Date().toISOString(),
    commit: git('rev-parse', '--short', 'HEAD'),
    working_tree_modified: (git('status', '--porcelain', '--untracked-files=no') ?? '') !== '',
    dist_built_at: built.mtime.toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? null, cores: cpus().length, node: process.version,
      ...(loadBefore ? { load_average_before: loadBefore, load_average_after: loadAverages() } : {}),
    },
  };
}

/** Writes the results JSON to `out` (its folder made if need be). */
export function writeResults(out: string, result: unknown): void {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
}
