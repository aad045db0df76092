/**
 * The mix bench's markdown table and the pass/fail lines of issue 12's targets.
 */
import type { ProbeResult, Visibility } from './probe';
import { errorsOf, type KindSummary } from './stats';

/** Rows in this order; "search (all)" and "all but static" are aggregates. */
export const KIND_ORDER = [
  'static', 'office', 'home', 'sitemap', 'search-api-near', 'search-api-text', 'search-page', 'search (all)',
  'hours', 'status', 'edit-read', 'edit-write', 'all but static',
];

export const VISIBILITY_TARGET_S = 60;

export interface Target {
  name: string;
  pass: boolean;
  detail: string;
}

const fmt = (n: number | null | undefined, unit = '') => (n === null || n === undefined ? '–' : `${n}${unit}`);
const counts = (r: Record<string, number>) => Object.entries(r).map(([status, n]) => `${n}×${status}`).join(' ') || '0';

function edgeCell(s: KindSummary): string {
  const e = s.edge;
  if (e.hit + e.miss + e.bypass + e.other === 0) return 'unknown';
  const ratio = e.hitRatio === null ? '–' : `${Math.round(e.hitRatio * 100)} %`;
  return `${ratio} (${e.hit}/${e.hit + e.miss}${e.bypass ? `, ${e.bypass} bypass` : ''}${e.unknown ? `, ${e.unknown} unknown` : ''})`;
}

function rowsCell(s: KindSummary): string {
  if (s.rowsRead.known === 0) return 'unknown';
  const partial = s.rowsRead.known < s.count ? ` (${s.rowsRead.known} known)` : '';
  return `${s.rowsRead.median} / ${s.rowsRead.p99} / ${s.rowsRead.max}${partial}`;
}

export function markdownTable(summaries: KindSummary[]): string {
  const lines = [
    '| kind | count | share | req/s | p50 ms | p99 ms | p50 / static | p99 / static | errors | 404/409/412 | edge hits | D1 rows read (median / p99 / max) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- |',
  ];
  // Shares of the mix: of every request but the static baseline's (the static row: of all requests).
  const mixTotal = summaries.find((s) => s.kind === 'all but static')?.count ?? 0;
  const allTotal = mixTotal + (summaries.find((s) => s.kind === 'static')?.count ?? 0);
  const share = (s: KindSummary) => {
    const total = s.kind === 'static' ? allTotal : mixTotal;
    return total ? `${((100 * s.count) / total).toFixed(1)} %` : '–';
  };
  for (const s of summaries) {
    const errors = errorsOf(s);
    const errorText = errors === 0 ? '0' : [counts(s.httpErrors), s.socketErrors ? `${s.socketErrors} socket` : '', s.timeouts ? `${s.timeouts} timeout` : ''].filter((t) => t && t !== '0').join(', ');
    lines.push(`| ${s.kind} | ${s.count} | ${share(s)} | ${s.rps} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.p50Ratio)} | ${fmt(s.p99Ratio)} | ${errorText} | ${counts(s.expected)} | ${edgeCell(s)} | ${rowsCell(s)} |`);
  }
  return lines.join('\n');
}

/** Latency columns only (the unloaded pass). */
export function compactTable(summaries: KindSummary[]): string {
  const lines = ['| kind | count | p50 ms | p99 ms | p50 / static | p99 / static | errors |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const s of summaries) lines.push(`| ${s.kind} | ${s.count} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.p50Ratio)} | ${fmt(s.p99Ratio)} | ${errorsOf(s)} |`);
  return lines.join('\n');
}

function visibilityTarget(name: string, v: Visibility | undefined, probe: ProbeResult): Target {
  if (!v) return { name, pass: false, detail: probe.error ?? 'not measured' };
  const seen = v.seconds !== null;
  return {
    name,
    pass: seen && v.seconds! <= VISIBILITY_TARGET_S,
    detail: seen ? `${v.seconds} s (${v.polls} polls${v.edgeWhenSeen ? `, edge ${v.edgeWhenSeen}` : ''})` : `not visible after ${v.polls} polls`,
  };
}

export function targets(byKind: Map<string, KindSummary>, probe: ProbeResult): Target[] {
  const staticP99 = byKind.get('static')?.p99 ?? null;
  const ratioTarget = (name: string, kind: string, limit: number): Target => {
    const s = byKind.get(kind);
    if (!s || s.p99 === null || staticP99 === null) return { name, pass: false, detail: 'not measured' };
    const ratio = s.p99 / staticP99;
    return { name, pass: ratio <= limit, detail: `${s.p99} ms vs static ${staticP99} ms: ×${ratio.toFixed(2)} (target ≤ ×${limit})` };
  };
  const totalErrors = [...byKind.values()].filter((s) => s.kind !== 'search (all)' && s.kind !== 'all but static')
    .reduce((a, s) => a + errorsOf(s), 0);
  return [
    ratioTarget('office page p99 ≤ 1.3 × static p99', 'office', 1.3),
    ratioTarget('home p99 ≤ 1.3 × static p99', 'home', 1.3),
    ratioTarget('searches p99 ≤ 1.5 × static p99', 'search (all)', 1.5),
    { name: 'zero errors', pass: totalErrors === 0, detail: `${totalErrors} error(s) (404/409/412 counted apart)` },
    visibilityTarget(`hours change on the office page within ${VISIBILITY_TARGET_S} s`, probe.page, probe),
    visibilityTarget(`hours change on the hours API within ${VISIBILITY_TARGET_S} s`, probe.api, probe),
    visibilityTarget(`hours change in search within ${VISIBILITY_TARGET_S} s`, probe.search, probe),
  ];
}

export function targetLines(list: Target[]): string {
  return list.map((t) => `${t.pass ? 'PASS' : 'FAIL'}  ${t.name}: ${t.detail}`).join('\n');
}
