/**
 * @module
 * What one request costs the database: D1 time, queries, rows read and
 * written, from each result's `meta`. The metered binding below stands for
 * D1 (or a D1 session) so that every query of the request is counted,
 * whichever capability sends it, including drizzle's `raw()` reads (which
 * D1 answers without `meta`: they are sent as `all()` and mapped to arrays,
 * as drizzle itself does for batches).
 */

export class Meter {
  queries = 0;
  rowsRead = 0;
  rowsWritten = 0;
  /** Wall-clock milliseconds spent waiting on D1, queries of a batch counted once. */
  durationMs = 0;

  record(meta: Partial<D1Meta> | undefined, elapsedMs: number, queries = 1): void {
    this.queries += queries;
    this.rowsRead += meta?.rows_read ?? 0;
    this.rowsWritten += meta?.rows_written ?? 0;
    this.durationMs += elapsedMs;
  }
}

/** The part of D1 the app uses: a binding or a session both have it. */
export interface D1Like {
  prepare(query: string): D1PreparedStatement;
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]>;
}

/**
 * Where the metered binding sends its queries, asked at each execution (not
 * at `prepare`), so that the request's session can be replaced when it
 * cannot serve (`recover`: true when it opened another one to retry on).
 */
export interface D1Target {
  current(): D1Like;
  recover?(error: unknown): boolean;
}

/** A statement as SQL and values until it runs: the target it runs on is chosen then. */
interface Planned {
  readonly sql: string;
  readonly values: readonly unknown[];
}
const PLANNED = Symbol('planned statement');
type Metered = D1PreparedStatement & { [PLANNED]: Planned };

const real = (on: D1Like, { sql, values }: Planned) => (values.length ? on.prepare(sql).bind(...values) : on.prepare(sql));

async function onTarget<T>(target: D1Target, work: (on: D1Like) => Promise<T>): Promise<T> {
  try {
    return await work(target.current());
  } catch (error) {
    if (!target.recover?.(error)) throw error;
    return work(target.current());
  }
}

function meteredStatement(planned: Planned, target: D1Target, meter: Meter): Metered {
  const timed = async <T extends { meta?: Partial<D1Meta> }>(run: (s: D1PreparedStatement) => Promise<T>, plan: Planned = planned): Promise<T> => {
    const started = performance.now();
    const result = await onTarget(target, (on) => run(real(on, plan)));
    meter.record(result.meta, performance.now() - started);
    return result;
  };
  const rows = async () => (await timed((s) => s.all<Record<string, unknown>>())).results;
  const statement = {
    [PLANNED]: planned,
    bind: (...values: unknown[]) => meteredStatement({ sql: planned.sql, values }, target, meter),
    all: () => timed((s) => s.all()),
    run: () => timed((s) => s.run()),
    async first(column?: string) {
      const row = (await rows())[0];
      if (column === undefined) return row ?? null;
      if (row && !(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
      return row ? row[column] : null;
    },
    async raw(options?: { columnNames?: boolean }) {
      // A join names some columns twice (both tables' `id`): as object keys they would collapse and
      // shift every later value. Read as a subquery, SQLite names them apart (`id`, `id:1`), in order.
      const select = /^\s*select\b/i.test(planned.sql);
      const results = select
        ? (await timed((s) => s.all<Record<string, unknown>>(), { sql: `select * from (${planned.sql})`, values: planned.values })).results
        : await rows();
      const arrays = results.map((row) => Object.keys(row).map((k) => row[k]));
      return options?.columnNames ? [results[0] ? Object.keys(results[0]) : [], ...arrays] : arrays;
    },
  };
  return statement as unknown as Metered;
}

/** A D1 binding whose every query runs on `target` and is counted in `meter`. */
export function meteredD1(target: D1Target, meter: Meter): D1Database {
  const metered = {
    prepare: (sql: string) => meteredStatement({ sql, values: [] }, target, meter),
    async batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
      const started = performance.now();
      const planned = statements.map((s) => (s as Metered)[PLANNED]);
      if (planned.some((p) => !p)) throw new Error('a batch of the request’s database takes only its own statements');
      const results = await onTarget(target, (on) => on.batch<T>(planned.map((p) => real(on, p))));
      const elapsed = performance.now() - started;
      results.forEach((r, i) => meter.record(r.meta, i === 0 ? elapsed : 0));
      return results;
    },
    exec: () => Promise.reject(new Error('exec is not available on a request’s database: use prepare or batch')),
    withSession: () => {
      throw new Error('the request already reads through a D1 session');
    },
    dump: () => Promise.reject(new Error('dump is not supported')),
  };
  return metered as unknown as D1Database;
}

/**
 * The `Server-Timing` of a response: where it came from (the edge cache or
 * the Worker) and, unless `personal`, what it cost D1 (and, apart, what
 * reading the edge versions cost when the request had to wait for them). A signed-in answer
 * shows none of its database figures: how many rows someone's page reads
 * can tell what they hold. `d1` adds up the time of every query, so
 * queries sent at once count more than the wall clock they took.
 */
export function serverTiming(edge: 'hit' | 'miss' | 'bypass', { meter, versionsMeter }: { meter: Meter; versionsMeter: Meter }, personal: boolean): string {
  const parts = [`edge;desc=${edge}`];
  if (!personal) {
    parts.push(
      `d1;dur=${meter.durationMs.toFixed(1)}`,
      `d1-queries;desc=${meter.queries}`,
      `d1-rows-read;desc=${meter.rowsRead}`,
      `d1-rows-written;desc=${meter.rowsWritten}`,
    );
    // The edge's own bookkeeping, when this request waited for it: shown apart from what the answer read.
    if (versionsMeter.queries) parts.push(`edge-versions;dur=${versionsMeter.durationMs.toFixed(1)};desc=${versionsMeter.rowsRead}`);
  }
  return parts.join(', ');
}
