/**
 * @module
 * The versions the edge cache's keys carry, kept per isolate and refreshed
 * by reading D1 only for what changed.
 *
 * - `base` moves with the network (an import, the demo seed) and with a
 *   compaction of the hours changes (below): every key changes.
 * - An hours change (weekly rules, an exception, a bulk closure) is a row of
 *   `hours_audit`; its `seq` becomes the version of that location and of its
 *   département, so only their pages and answers get new keys.
 *
 * Every isolate agrees on the keys: versions are counted from a shared
 * epoch (`settings.edge_epoch`: a random id and the audit `seq` it starts
 * at), and each isolate reads the changes after it. When more than
 * {@link MAX_CHANGES} have piled up, the first isolate to notice starts a new
 * epoch (one compare-and-set), which flushes every key once.
 *
 * Polling: every {@link POLL_MS} at most, in the background of the request
 * that notices it is due (`waitUntil`); versions older than
 * {@link MAX_AGE_MS} (an isolate that sat idle) are read again before the
 * answer; a request answered after a staff write of this isolate polls
 * first, so a staff member sees their change at once. Only plain, resolved
 * data is shared between requests, never a promise.
 */
import { randomSecret } from '../http/crypto';
import { NETWORK_VERSION_SETTING } from '../locations/network-version';
import type { D1Like } from './meter';

export interface EdgeVersions {
  /** `{network version}.{epoch id}` */
  base: string;
  /** The latest audit `seq` read. */
  lastSeq: number;
  /** Locations and départements changed since the epoch: their latest `seq`. */
  locations: ReadonlyMap<string, number>;
  departments: ReadonlyMap<string, number>;
  /** The D1 bookmark these versions were read at: public reads start there, never older. */
  bookmark: string | null;
  polledAt: number;
}

/** Versions are read again in the background once this old. */
export const POLL_MS = 5_000;
/** Versions are never older than this (plus replica lag) when a public answer is chosen: older, they are read first. */
export const MAX_AGE_MS = 10_000;
/** Changes an isolate reads at most before the epoch is moved on. */
export const MAX_CHANGES = 2_000;
const EPOCH_SETTING = 'edge_epoch';
const STALLED_MS = 5_000;
const WAIT_STEP_MS = 20;

let current: EdgeVersions | undefined;
let polling: { since: number } | undefined;
/** A write was answered by this isolate: the next request reads the versions first. */
let pollFirst = false;

interface Epoch {
  id: string;
  seq: number;
}

/** What a session can give: queries, and the bookmark it reached. */
export interface VersionSource extends D1Like {
  getBookmark?(): string | null;
}

/**
 * The versions to answer this request with. Reads them first when none are
 * known yet or after a local write; otherwise answers with the known ones
 * and, when due, refreshes them in the background of this request.
 */
export async function edgeVersions(open: () => VersionSource, waitUntil: (work: Promise<unknown>) => void, now = Date.now()): Promise<EdgeVersions> {
  if (current && !pollFirst && now - current.polledAt < MAX_AGE_MS) {
    refreshInBackground(open, waitUntil, now);
    return current;
  }
  if (!pollFirst && busy()) {
    // Another request is reading them (a fresh or idle isolate's first burst): wait for its answer rather than read them again.
    const before = current?.polledAt;
    while (busy() && current?.polledAt === before) await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
    if (current && Date.now() - current.polledAt < MAX_AGE_MS) return current;
  }
  pollFirst = false;
  return refresh(open());
}

/** Reads the versions again in the background of this request when they are due (any request may call it). */
export function refreshInBackground(open: () => VersionSource, waitUntil: (work: Promise<unknown>) => void, now = Date.now()): void {
  if (current && now - current.polledAt < POLL_MS) return;
  if (busy()) return;
  waitUntil(refresh(open()).catch((error) => console.error('edge versions', String(error))));
}

/** A staff write was answered here: read the versions before the next answer. */
export function noteWrite(): void {
  pollFirst = true;
}

/** For tests: the versions are out of date, as after {@link POLL_MS} or a write in another isolate. */
export const expireEdgeVersions = noteWrite;

/** For tests: the versions were read `ms` ago (an isolate that sat idle). */
export function ageEdgeVersions(ms: number): void {
  if (current) current = { ...current, polledAt: current.polledAt - ms };
}

const busy = () => polling !== undefined && Date.now() - polling.since < STALLED_MS;

async function refresh(source: VersionSource): Promise<EdgeVersions> {
  const marker = { since: Date.now() };
  polling = marker;
  try {
    const next = await readVersions(source, current);
    // A slower, older read never replaces a newer one.
    if (!current || next.base !== current.base || next.lastSeq >= current.lastSeq) current = next;
    return current;
  } finally {
    if (polling === marker) polling = undefined;
  }
}

interface ChangeRow {
  seq: number;
  location_id: string;
  department: string | null;
}

/** The changes after `?`, or after the epoch's start when that is later (a new isolate knows nothing yet). */
const CHANGES_SQL = `select a.seq, a.location_id, l.department from hours_audit a left join locations l on l.id = a.location_id
  where a.seq > max(?, coalesce((select json_extract(value, '$.seq') from settings where name = '${EPOCH_SETTING}'), 0))
  order by a.seq limit ${MAX_CHANGES + 1}`;

async function readVersions(source: VersionSource, known: EdgeVersions | undefined, attempt = 0): Promise<EdgeVersions> {
  const from = known?.lastSeq ?? 0;
  const [settings, changes] = await source.batch([
    source.prepare(`select name, value from settings where name in (?, ?)`).bind(NETWORK_VERSION_SETTING, EPOCH_SETTING),
    source.prepare(CHANGES_SQL).bind(from),
  ]);
  const values = new Map((settings.results as Array<{ name: string; value: string }>).map((r) => [r.name, r.value]));
  const epoch = parseEpoch(values.get(EPOCH_SETTING));
  if (!epoch) {
    if (attempt > 2) throw new Error('edge epoch could not be created');
    await source.prepare(`insert or ignore into settings (name, value) values (?, json_object('id', ?, 'seq', (select coalesce(max(seq), 0) from hours_audit)))`)
      .bind(EPOCH_SETTING, newEpochId()).run();
    return readVersions(source, undefined, attempt + 1);
  }
  const base = `${values.get(NETWORK_VERSION_SETTING) ?? '0'}.${epoch.id}`;
  const sameEpoch = known !== undefined && known.base.endsWith(`.${epoch.id}`) && known.lastSeq >= epoch.seq;
  let rows = changes.results as unknown as ChangeRow[];
  if (!sameEpoch && from > epoch.seq) {
    // This isolate had read past the start of an epoch that just began: read it from its start.
    rows = (await source.prepare(CHANGES_SQL).bind(epoch.seq).all<ChangeRow>()).results;
  }
  if (rows.length > MAX_CHANGES && attempt <= 2) {
    await moveEpoch(source, epoch);
    return readVersions(source, undefined, attempt + 1);
  }
  const locations = new Map(sameEpoch ? known.locations : []);
  const departments = new Map(sameEpoch ? known.departments : []);
  let lastSeq = sameEpoch ? known.lastSeq : epoch.seq;
  for (const row of rows) {
    locations.set(row.location_id, row.seq);
    if (row.department) departments.set(row.department, row.seq);
    lastSeq = Math.max(lastSeq, row.seq);
  }
  return { base, lastSeq, locations, departments, bookmark: source.getBookmark?.() ?? null, polledAt: Date.now() };
}

/** Starts a new epoch at the latest change, unless another isolate just did. */
async function moveEpoch(source: VersionSource, from: Epoch): Promise<void> {
  await source.prepare(`update settings set value = json_object('id', ?, 'seq', (select coalesce(max(seq), 0) from hours_audit))
    where name = ? and json_extract(value, '$.id') = ?`).bind(newEpochId(), EPOCH_SETTING, from.id).run();
}

function parseEpoch(value: string | undefined): Epoch | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<Epoch>;
    return typeof parsed.id === 'string' && typeof parsed.seq === 'number' ? { id: parsed.id, seq: parsed.seq } : undefined;
  } catch {
    return undefined;
  }
}

/** Random, so that two databases (two test files, two environments) never share keys. */
const newEpochId = () => randomSecret(6);

/** The part of a cache key that says how recent an answer about these things is. */
export interface VersionScope {
  location?: string;
  department?: string;
  /** Depends on every hours change (the sitemap index's `lastmod`). */
  anyChange?: boolean;
}

export function versionTag(versions: EdgeVersions, scope: VersionScope): string {
  let tag = versions.base;
  if (scope.location !== undefined) tag += `.l${versions.locations.get(scope.location) ?? 0}`;
  if (scope.department !== undefined) tag += `.d${versions.departments.get(scope.department) ?? 0}`;
  if (scope.anyChange) tag += `.s${versions.lastSeq}`;
  return tag;
}

/** The version of one location's hours as this isolate knows it (0: unchanged since the epoch); '' before the first read. */
export function locationVersion(id: string): string {
  return current ? `${current.base}.${current.locations.get(id) ?? 0}` : '';
}

/** The bookmark the versions were read at, where the next read of them starts (never an older replica). */
export function versionsBookmark(): string | null {
  return current?.bookmark ?? null;
}

/** The base every key carries (network version and epoch), '' before the first read: when it moves, everything changed. */
export function versionBase(): string {
  return current?.base ?? '';
}

/** Whether this isolate has read the versions yet (a partner's call can come before any public one). */
export function versionsKnown(): boolean {
  return current !== undefined;
}
