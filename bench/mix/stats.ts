/**
 * Figures of the mix bench: one sample per request, `Server-Timing` read
 * tolerantly, and the per-kind summary (percentiles, errors, edge-cache
 * hits, D1 rows read).
 */

/** What the Worker says about one answer in `Server-Timing`; undefined fields were not sent. */
export interface ServerTiming {
  edge?: 'hit' | 'miss' | 'bypass' | string;
  d1Ms?: number;
  d1Queries?: number;
  rowsRead?: number;
  rowsWritten?: number;
}

/**
 * Reads `edge;desc=hit, d1;dur=1.2, d1-queries;desc=3, d1-rows-read;desc=40,
 * d1-rows-written;desc=0`. Tolerant: any order, several headers (an array or
 * one comma-joined string), quoted values, unknown metrics and junk are
 * ignored; an absent header gives `{}` (every figure unknown).
 */
export function parseServerTiming(header: string | string[] | undefined): ServerTiming {
  const out: ServerTiming = {};
  if (header === undefined) return out;
  const text = Array.isArray(header) ? header.join(',') : header;
  for (const entry of text.split(',')) {
    const [rawName, ...rawParams] = entry.split(';');
    const name = rawName.trim().toLowerCase();
    if (!name) continue;
    const params: Record<string, string> = {};
    for (const p of rawParams) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    }
    const num = (value: string | undefined) => {
      if (value === undefined || value === '') return undefined;
      const n = Number(value);
      return Number.isFinite(n) ? n : undefined;
    };
    switch (name) {
      case 'edge':
        if (params.desc) out.edge = params.desc.toLowerCase();
        break;
      case 'd1':
        out.d1Ms = num(params.dur) ?? out.d1Ms;
        break;
      case 'd1-queries':
        out.d1Queries = num(params.desc) ?? num(params.dur) ?? out.d1Queries;
        break;
      case 'd1-rows-read':
        out.rowsRead = num(params.desc) ?? num(params.dur) ?? out.rowsRead;
        break;
      case 'd1-rows-written':
        out.rowsWritten = num(params.desc) ?? num(params.dur) ?? out.rowsWritten;
        break;
    }
  }
  return out;
}

/** How a request ended. `expected`: a 404, 409 or 412, counted apart from errors. */
export type Outcome = 'ok' | 'expected' | 'http_error' | 'socket_error' | 'timeout';

export interface Sample {
  kind: string;
  /** When it was sent (performance.now(), ms): which phase it belongs to. */
  start: number;
  outcome: Outcome;
  status: number;
  /** From sending the request to the last byte of the body, in ms. */
  ms: number;
  bytes: number;
  timing: ServerTiming;
}

export function outcomeOf(status: number): Outcome {
  if (status >= 200 && status < 400) return 'ok';
  if (status === 404 || status === 409 || status === 412) return 'expected';
  return 'http_error';
}

/** Nearest-rank percentile of an ascending array; undefined when empty. */
export function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface KindSummary {
  kind: string;
  count: number;
  rps: number;
  /** Latency of every answered request (any status), ms. */
  p50: number | null;
  p99: number | null;
  max: number | null;
  /** Ratios to the static asset's p50 / p99 in the same run. */
  p50Ratio: number | null;
  p99Ratio: number | null;
  ok: number;
  /** 404 / 409 / 412, by status. */
  expected: Record<string, number>;
  /** Other statuses, by status. */
  httpErrors: Record<string, number>;
  socketErrors: number;
  timeouts: number;
  /** Answers carrying `edge;desc=…`, by value; the rest is `unknown`. */
  edge: { hit: number; miss: number; bypass: number; other: number; unknown: number; hitRatio: number | null };
  /** D1 rows read per request, over answers that carried the figure. */
  rowsRead: { known: number; mean: number | null; median: number | null; p99: number | null; max: number | null };
  rowsWritten: { known: number; mean: number | null; max: number | null };
  d1Queries: { known: number; median: number | null; p99: number | null };
  meanBytes: number | null;
}

/** `n` to `digits` decimals; null when unknown. */
export const round = (n: number | undefined | null, digits = 1) => (n === undefined || n === null ? null : Number(n.toFixed(digits)));

export function summarize(kind: string, samples: Sample[], seconds: number): Omit<KindSummary, 'p50Ratio' | 'p99Ratio'> {
  const answered = samples.filter((s) => s.status > 0);
  const latencies = answered.map((s) => s.ms).sort((a, b) => a - b);
  const count = (pred: (s: Sample) => boolean) => samples.filter(pred).length;
  const byStatus = (outcome: Outcome) => {
    const out: Record<string, number> = {};
    for (const s of samples) if (s.outcome === outcome) out[s.status] = (out[s.status] ?? 0) + 1;
    return out;
  };
  const edge = { hit: 0, miss: 0, bypass: 0, other: 0, unknown: 0, hitRatio: null as number | null };
  for (const s of answered) {
    const e = s.timing.edge;
    if (e === undefined) edge.unknown++;
    else if (e === 'hit' || e === 'miss' || e === 'bypass') edge[e]++;
    else edge.other++;
  }
  // Hit ratio over cacheable lookups (hit + miss); bypasses are listed apart.
  if (edge.hit + edge.miss > 0) edge.hitRatio = round(edge.hit / (edge.hit + edge.miss), 3);
  const known = (pick: (t: ServerTiming) => number | undefined) =>
    answered.map((s) => pick(s.timing)).filter((n): n is number => n !== undefined).sort((a, b) => a - b);
  const rows = known((t) => t.rowsRead);
  const written = known((t) => t.rowsWritten);
  const queries = known((t) => t.d1Queries);
  return {
    kind,
    count: samples.length,
    rps: round(samples.length / seconds, 1)!,
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    max: round(latencies.at(-1)),
    ok: count((s) => s.outcome === 'ok'),
    expected: byStatus('expected'),
    httpErrors: byStatus('http_error'),
    socketErrors: count((s) => s.outcome === 'socket_error'),
    timeouts: count((s) => s.outcome === 'timeout'),
    edge,
    rowsRead: { known: rows.length, mean: mean(rows), median: percentile(rows, 50) ?? null, p99: percentile(rows, 99) ?? null, max: rows.at(-1) ?? null },
    rowsWritten: { known: written.length, mean: mean(written), max: written.at(-1) ?? null },
    d1Queries: { known: queries.length, median: percentile(queries, 50) ?? null, p99: percentile(queries, 99) ?? null },
    meanBytes: answered.length ? Math.round(answered.reduce((a, s) => a + s.bytes, 0) / answered.length) : null,
  };
}

export function withRatios(summary: Omit<KindSummary, 'p50Ratio' | 'p99Ratio'>, base: { p50: number | null; p99: number | null }): KindSummary {
  const ratio = (a: number | null, b: number | null) => (a !== null && b ? round(a / b, 2) : null);
  return { ...summary, p50Ratio: ratio(summary.p50, base.p50), p99Ratio: ratio(summary.p99, base.p99) };
}

export const errorsOf = (s: Pick<KindSummary, 'httpErrors' | 'socketErrors' | 'timeouts'>) =>
  Object.values(s.httpErrors).reduce((a, n) => a + n, 0) + s.socketErrors + s.timeouts;

/** The mean, to two decimals; null when nothing is known (the cost model multiplies by it). */
function mean(values: number[]): number | null {
  return values.length ? Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 100) / 100 : null;
}
