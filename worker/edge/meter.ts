/**
 * @module
 * What one request costs the database: D1 time, queries, rows read and
 * written, from each result's `meta`. The metered binding below wraps D1 (or
 * a D1 session) so that every query of the request is counted, whichever
 * capability sends it, including drizzle's `raw()` reads (which D1 answers
 * without `meta`: they are sent as `all()` and mapped to arrays, as drizzle
 * itself does for batches).
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

const INNER = Symbol('inner statement');
type Metered = D1PreparedStatement & { [INNER]: D1PreparedStatement };

function meteredStatement(inner: D1PreparedStatement, meter: Meter): Metered {
  const timed = async <T extends { meta?: Partial<D1Meta> }>(run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await run();
    meter.record(result.meta, performance.now() - started);
    return result;
  };
  const statement = {
    [INNER]: inner,
    bind: (...values: unknown[]) => meteredStatement(inner.bind(...values), meter),
    all: () => timed(() => inner.all()),
    run: () => timed(() => inner.run()),
    async first(column?: string) {
      const { results } = await timed(() => inner.all<Record<string, unknown>>());
      const row = results[0];
      if (column === undefined) return row ?? null;
      return row ? (row[column] ?? null) : null;
    },
    async raw(options?: { columnNames?: boolean }) {
      const { results } = await timed(() => inner.all<Record<string, unknown>>());
      const rows = results.map((row) => Object.keys(row).map((k) => row[k]));
      return options?.columnNames ? [results[0] ? Object.keys(results[0]) : [], ...rows] : rows;
    },
  };
  return statement as unknown as Metered;
}

/** `d1` with every query counted in `meter`. */
export function meteredD1(d1: D1Like, meter: Meter): D1Database {
  const metered = {
    prepare: (query: string) => meteredStatement(d1.prepare(query), meter),
    async batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
      const started = performance.now();
      const results = await d1.batch<T>(statements.map((s) => (s as Metered)[INNER] ?? s));
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
 * the Worker) and, unless `personal`, what it cost D1. A signed-in answer
 * shows none of its database figures: how many rows someone's page reads
 * can tell what they hold.
 */
export function serverTiming(edge: 'hit' | 'miss' | 'bypass', meter: Meter, personal: boolean): string {
  const parts = [`edge;desc=${edge}`];
  if (!personal) {
    parts.push(
      `d1;dur=${meter.durationMs.toFixed(1)}`,
      `d1-queries;desc=${meter.queries}`,
      `d1-rows-read;desc=${meter.rowsRead}`,
      `d1-rows-written;desc=${meter.rowsWritten}`,
    );
  }
  return parts.join(', ');
}
