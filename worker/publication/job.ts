/**
 * @module
 * The publication job (cron, every 15 minutes).
 *
 * 1. Record: for each target, the locations changed since its cursor (the
 *    audit log) become pushes, `pending`, written in the same D1 batch that
 *    moves the cursor (a change is never skipped nor recorded twice: the
 *    cursor moves only from the value this run read, or the batch fails).
 *    IndexNow pushes hold page URLs; Google pushes hold one Business Profile
 *    payload per location, and replace that location's older payload still
 *    waiting (`superseded`). A dry run records exactly the same way.
 * 2. Send (not in a dry run): claim what is due with one conditional UPDATE …
 *    RETURNING (D1 has no interactive transactions), send only what was
 *    claimed, then settle it: `sent`; `failed` for a permanent 4xx (set aside,
 *    listed, never retried); otherwise back to waiting, with backoff.
 *
 * Overlapping runs: a claim is a lease (`claim_token`, `claimed_until`) taken
 * atomically, so two runs never take the same row. A superseded row is never
 * claimed, and a claimed row is never superseded: a newer Google payload
 * recorded while an older one is in flight waits until that one is settled,
 * then goes out (so the webhook applies them in order, and neither is lost).
 * Only the newest waiting payload of a location is ever claimed.
 *
 * Budget of one run (Workers paid plan: 1,000 D1 queries and 1,000
 * subrequests per invocation, cron wall time up to 15 minutes, CPU 30 s by
 * default, 128 MB of memory), at the worst case of LOCATIONS_PER_RUN = 10,000
 * changed locations per target:
 * - D1, recording: per target 1 cursor read + 1 audit read + 1 batch
 *   (cursor, guard, supersede, inserts: ≤ ~30 statements, each JSON
 *   parameter < 1 MB); locations read once for both targets, 5,000 per query
 *   (2); Google schedules through `loadSchedules`, one batch of 2 statements
 *   per 90 locations (112 batches, 224 statements). About 280 statements in
 *   about 120 calls.
 * - D1, sending: 1 batch (legacy rows, sweep) + per request 1 claim and 1
 *   settle call (1 to 3 statements): 44 requests at most, so ≤ 89 calls and
 *   ≤ 178 statements.
 * - Subrequests: at most INDEXNOW_REQUESTS_PER_RUN + GOOGLE_REQUESTS_PER_RUN
 *   = 44 HTTP requests, plus the D1 calls above if they count: ≤ ~260.
 * - Memory and CPU: Google payloads are computed up to GOOGLE_BYTES_PER_RUN
 *   (24 MB) per run, the rest waits for the next one; about 0.1 ms of CPU
 *   per payload.
 * - Wall time: no new claim after SENDING_BUDGET_MS (8 min); each request
 *   times out after SEND_TIMEOUT_MS (20 s). A lease (LEASE_MS, 5 min)
 *   outlives a request and its settling by far, so no other run takes a row
 *   in flight; a run that dies leaves its rows to a run after the lease.
 * Measured by test/worker/publication.scale.test.ts (miniflare, 17,000
 * offices closed for one day, payloads ≈ 900 bytes): run 1 records 10,000
 * locations and sends them in 297 D1 statements (165 calls), 1 IndexNow
 * request of 10,000 URLs and 20 webhook requests, in about 9 s; run 2 does
 * the other 7,000 in 213 statements (119 calls). So a national closure is
 * handed over within two runs.
 */
import { desc, eq, sql } from 'drizzle-orm';
import { locations, publicationCursors, publicationPushes } from '../../db/schema';
import type { Database } from '../database';
import { googleBusinessHours } from '../hours/google-business-profile';
import { loadSchedules } from '../hours/store';
import { addDays, localParts } from '../hours/zoned-time';
import { locationPath } from '../locations/present';
import {
  backoffMs,
  destination,
  INDEXNOW_MAX_URLS,
  indexNowBody,
  isPermanent,
  type PublicationConfig,
  recordedTargets,
  TARGETS,
  type TargetName,
} from './targets';

/** Distinct changed locations recorded per target and run (the next run continues from the cursor). */
const LOCATIONS_PER_RUN = 10_000;
/** Audit entries (by seq) looked at per run: bounds the scan when the cursor is far behind. */
const AUDIT_WINDOW = 100_000;
/** Locations read per query (their ids go as one JSON parameter). */
const LOCATIONS_PER_QUERY = 5_000;
/** URLs per recorded IndexNow push; a request merges pushes up to 10,000 URLs. */
const URLS_PER_PUSH = 5_000;
/** D1 refuses strings and rows over 1,000,000 bytes: stored and bound JSON stays under this. */
const MAX_JSON_BYTES = 800_000;
/** Google payloads per webhook request, and bytes (a request holds at least one payload). */
export const GOOGLE_PAYLOADS_PER_REQUEST = 500;
const MAX_REQUEST_BYTES = 4_000_000;
/**
 * Google payloads computed per run, in bytes: bounds memory (128 MB per
 * isolate) and the recording batch. A one-day closure makes payloads of
 * about 1 KB (10,000 locations ≈ 10 MB); an open-ended one lists every day of
 * the next year (about 20 KB), and then a national closure takes more runs.
 */
const GOOGLE_BYTES_PER_RUN = 24_000_000;
const GOOGLE_REQUESTS_PER_RUN = 40;
const INDEXNOW_REQUESTS_PER_RUN = 4;
const SEND_TIMEOUT_MS = 20_000;
const LEASE_MS = 5 * 60_000;
const SENDING_BUDGET_MS = 8 * 60_000;

export interface RunOptions {
  /** Time-out of one request to a target (tests shorten it). */
  sendTimeoutMs?: number;
}

export interface RunReport {
  /** Pushes recorded per target. */
  recorded: Record<string, number>;
  /** Pushes sent, and set aside or retried, by this run. */
  sent: number;
  failed: number;
  /** HTTP requests made to the targets. */
  requests: number;
  errors: string[];
}

type Place = { id: string; name: string; commune: string; timeZone: string; department: string };

const randomToken = () => crypto.randomUUID().replace(/-/g, '');

/**
 * The locations to publish this run: whole locations, the ones whose latest
 * change is oldest first. The cursor moves to the latest change of the last
 * one taken, so every location left out has a change after the cursor and is
 * taken by a later run (with its hours as they are then).
 */
async function nextChanges(db: Database, after: number) {
  const { results } = await db.$client
    .prepare(
      `select location_id as id, max(seq) as seq from hours_audit
       where seq > ?1 and seq <= (select min(seq) from hours_audit where seq > ?1) + ?2
       group by location_id order by seq limit ?3`,
    )
    .bind(after, AUDIT_WINDOW, LOCATIONS_PER_RUN)
    .all<{ id: string; seq: number }>();
  return results;
}

async function loadPlaces(db: Database, ids: string[], cache: Map<string, Place>): Promise<Place[]> {
  const missing = ids.filter((id) => !cache.has(id));
  for (let i = 0; i < missing.length; i += LOCATIONS_PER_QUERY) {
    const chunk = JSON.stringify(missing.slice(i, i + LOCATIONS_PER_QUERY));
    const rows = await db
      .select({ id: locations.id, name: locations.name, commune: locations.commune, timeZone: locations.timeZone, department: locations.department })
      .from(locations)
      .where(sql`${locations.id} in (select value from json_each(${chunk}))`)
      .all();
    for (const row of rows) cache.set(row.id, row);
  }
  return ids.flatMap((id) => cache.get(id) ?? []);
}

/** Splits items into groups of at most `count` items and `bytes` of JSON. */
function chunks<T>(items: T[], count: number, bytes: number, size: (item: T) => number): T[][] {
  const groups: T[][] = [];
  let group: T[] = [];
  let total = 0;
  for (const item of items) {
    const itemSize = size(item) + 1;
    if (group.length > 0 && (group.length === count || total + itemSize > bytes)) {
      groups.push(group);
      group = [];
      total = 0;
    }
    group.push(item);
    total += itemSize;
  }
  if (group.length) groups.push(group);
  return groups;
}

/** The error D1 raises when another run moved the cursor first (see `moveCursor`). */
const LOST_RACE = /UNIQUE constraint failed: publication_cursors\.target/;

/**
 * Moves the cursor from `from` to `to`, or fails the whole batch: the second
 * statement inserts an existing key (an error, so D1 rolls the batch back)
 * exactly when the first one changed nothing, i.e. another run got there first.
 */
function moveCursor(d1: D1Database, target: TargetName, from: number | undefined, to: number, at: string) {
  return [
    from === undefined
      ? d1.prepare(`insert into publication_cursors (target, last_seq, updated_at) values (?, ?, ?) on conflict (target) do nothing`).bind(target, to, at)
      : d1.prepare(`update publication_cursors set last_seq = ?, updated_at = ? where target = ? and last_seq = ?`).bind(to, at, target, from),
    d1.prepare(`insert into publication_cursors (target, last_seq, updated_at) select ?, 0, '' where changes() = 0`).bind(target),
  ];
}

const INSERT_PUSH = `insert into publication_pushes (target, location_ids, payload, status, attempts, next_attempt_at, created_at)`;

async function recordPushes(db: Database, target: TargetName, config: PublicationConfig, now: Date, places: Map<string, Place>): Promise<number> {
  const cursor = await db.select().from(publicationCursors).where(eq(publicationCursors.target, target)).get();
  let changes = await nextChanges(db, cursor?.lastSeq ?? 0);
  if (changes.length === 0) return 0;
  const found = await loadPlaces(db, changes.map((c) => c.id), places);
  const d1 = db.$client;
  const at = now.toISOString();
  const writes: D1PreparedStatement[] = [];
  let recorded = 0;

  if (target === 'indexnow') {
    const pages = found.map((l) => ({ id: l.id, url: `${config.siteOrigin}${locationPath(l)}` }));
    for (const group of chunks(pages, URLS_PER_PUSH, MAX_JSON_BYTES, (p) => p.url.length + p.id.length + 6)) {
      writes.push(
        d1.prepare(`${INSERT_PUSH} values ('indexnow', ?, ?, 'pending', 0, ?, ?)`)
          .bind(JSON.stringify(group.map((p) => p.id)), JSON.stringify(group.map((p) => p.url)), at, at),
      );
      recorded++;
    }
  } else {
    const schedules = await loadSchedules(db, found, addDays(localParts(now, 'UTC').date, -2));
    const payloads: Array<[string, string]> = [];
    let bytes = 0;
    const byId = new Map(found.map((l) => [l.id, l]));
    for (let i = 0; i < changes.length; i++) {
      const l = byId.get(changes[i].id);
      if (!l) continue;
      if (bytes > GOOGLE_BYTES_PER_RUN) {
        // Memory and D1 bounds: the rest waits for the next run (the cursor stops before it).
        changes = changes.slice(0, i);
        break;
      }
      const payload = JSON.stringify({ location_id: l.id, page_url: `${config.siteOrigin}${locationPath(l)}`, ...googleBusinessHours(schedules.get(l.id)!, now) });
      payloads.push([l.id, payload]);
      bytes += payload.length;
    }
    // A newer payload replaces the older one still waiting (never one in flight: see the module's notes).
    writes.push(
      d1.prepare(
        `update publication_pushes set status = 'superseded'
         where target = 'google' and status = 'pending' and (claimed_until is null or claimed_until <= ?)
           and location_ids in (select json_array(value) from json_each(?))`,
      ).bind(at, JSON.stringify(payloads.map(([id]) => id))),
    );
    for (const group of chunks(payloads, Infinity, MAX_JSON_BYTES, ([id, payload]) => id.length + payload.length * 1.2 + 8)) {
      writes.push(
        d1.prepare(`${INSERT_PUSH} select 'google', json_array(json_extract(value, '$[0]')), json_extract(value, '$[1]'), 'pending', 0, ?, ? from json_each(?)`)
          .bind(at, at, JSON.stringify(group)),
      );
    }
    recorded = payloads.length;
  }
  const lastSeq = changes.reduce((max, c) => Math.max(max, c.seq), cursor?.lastSeq ?? 0);
  try {
    // Pushes and cursor move together: a crash leaves either both or neither.
    await d1.batch([...moveCursor(d1, target, cursor?.lastSeq, lastSeq, at), ...writes]);
  } catch (error) {
    // Another run recorded these changes first: nothing to add.
    if (error instanceof Error && LOST_RACE.test(error.message)) return 0;
    throw error;
  }
  return recorded;
}

interface Claimed {
  id: number;
  location_ids: string;
  payload: string;
  attempts: number;
}

/**
 * Claims the next request's worth of due pushes of a target, atomically.
 * Google: the newest waiting payload of each location only, and none of a
 * location whose older payload is still in flight. IndexNow: the oldest
 * pushes, up to 10,000 URLs in all.
 */
async function claim(d1: D1Database, target: TargetName, token: string, now: Date): Promise<Claimed[]> {
  const at = now.toISOString();
  const until = new Date(now.getTime() + LEASE_MS).toISOString();
  const free = `status = 'pending' and next_attempt_at <= ?3 and (claimed_until is null or claimed_until <= ?3)`;
  const statement =
    target === 'google'
      ? d1.prepare(
        `update publication_pushes set claim_token = ?1, claimed_until = ?2
         where id in (
           select id from (
             select id, row_number() over (order by id) as n, sum(length(payload)) over (order by id) as bytes
             from (
               select id, payload from publication_pushes
               where target = 'google' and ${free}
                 and id in (select max(id) from publication_pushes where target = 'google' and status = 'pending' group by location_ids)
                 and location_ids not in (select location_ids from publication_pushes where target = 'google' and status = 'pending' and claimed_until > ?3)
               order by id limit ?4))
           where n = 1 or bytes <= ?5)
         returning id, location_ids, payload, attempts`,
      ).bind(token, until, at, GOOGLE_PAYLOADS_PER_REQUEST, MAX_REQUEST_BYTES)
      : d1.prepare(
        `update publication_pushes set claim_token = ?1, claimed_until = ?2
         where id in (
           select id from (
             select id, row_number() over (order by id) as n, sum(json_array_length(location_ids)) over (order by id) as urls
             from publication_pushes where target = 'indexnow' and ${free})
           where n = 1 or urls <= ?4)
         returning id, location_ids, payload, attempts`,
      ).bind(token, until, at, INDEXNOW_MAX_URLS);
  const { results } = await statement.all<Claimed>();
  return results.sort((a, b) => a.id - b.id);
}

/** Page URLs of an IndexNow push: the stored list, or the body a former version stored whole. */
function storedUrls(payload: string): string[] {
  const value = JSON.parse(payload) as string[] | { urlList?: string[] };
  return Array.isArray(value) ? value : (value.urlList ?? []);
}

/** The request body, built when sent: the IndexNow key is the one configured now. */
function requestBody(target: TargetName, pushes: Claimed[], config: PublicationConfig): string {
  if (target === 'indexnow') return JSON.stringify(indexNowBody(config, pushes.flatMap((p) => storedUrls(p.payload))));
  return `{"locations":[${pushes.map((p) => p.payload).join(',')}]}`;
}

type Outcome = { ok: true } | { ok: false; permanent: boolean; error: string; retryAfterMs: number };

async function deliver(url: string, body: string, timeoutMs: number): Promise<Outcome> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    if (response.ok) return { ok: true };
    const retryAfter = Number(response.headers.get('retry-after'));
    return {
      ok: false,
      permanent: isPermanent(response.status),
      error: `HTTP ${response.status}`,
      retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 6 * 3600) * 1000 : 0,
    };
  } catch (e) {
    const error = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError') ? `no answer within ${timeoutMs} ms` : String(e instanceof Error ? e.message : e);
    return { ok: false, permanent: false, error, retryAfterMs: 0 };
  }
}

/** Records the outcome of a claimed request; only rows still under this claim are touched. */
async function settle(d1: D1Database, pushes: Claimed[], token: string, outcome: Outcome, now: Date) {
  const at = now.toISOString();
  const mine = `id in (select value from json_each(?)) and claim_token = ?`;
  const release = `claim_token = null, claimed_until = null, attempts = attempts + 1`;
  const ids = (list: Claimed[]) => JSON.stringify(list.map((p) => p.id));
  if (outcome.ok) {
    await d1.prepare(`update publication_pushes set status = 'sent', sent_at = ?, last_error = null, ${release} where ${mine}`).bind(at, ids(pushes), token).run();
    return;
  }
  const error = outcome.error.slice(0, 500);
  if (outcome.permanent) {
    await d1.prepare(`update publication_pushes set status = 'failed', last_error = ?, ${release} where ${mine}`).bind(error, ids(pushes), token).run();
    return;
  }
  const byAttempts = new Map<number, Claimed[]>();
  for (const p of pushes) byAttempts.set(p.attempts + 1, [...(byAttempts.get(p.attempts + 1) ?? []), p]);
  await d1.batch(
    [...byAttempts].map(([attempts, list]) => {
      const next = new Date(now.getTime() + Math.max(backoffMs(attempts), outcome.retryAfterMs)).toISOString();
      return d1.prepare(`update publication_pushes set next_attempt_at = ?, last_error = ?, ${release} where ${mine}`).bind(next, error, ids(list), token);
    }),
  );
}

async function sendDue(db: Database, config: PublicationConfig, now: Date, options: RunOptions) {
  const d1 = db.$client;
  const at = now.toISOString();
  const started = Date.now();
  /** The run's `now` moved on by the time spent since it started (tests pass a fixed `now`). */
  const clock = () => new Date(now.getTime() + (Date.now() - started));
  await d1.batch([
    // Pushes recorded in a dry run by a former version: they go out like the others.
    d1.prepare(`update publication_pushes set status = 'pending' where status = 'dry_run'`),
    // Older payloads of a location that has a newer one waiting are never sent: say so.
    d1.prepare(
      `update publication_pushes set status = 'superseded'
       where target = 'google' and status = 'pending' and (claimed_until is null or claimed_until <= ?)
         and id not in (select max(id) from publication_pushes where target = 'google' and status = 'pending' group by location_ids)`,
    ).bind(at),
  ]);
  const totals = { sent: 0, failed: 0, requests: 0 };
  for (const target of TARGETS) {
    const url = destination(target, config);
    if (!url) continue;
    const maxRequests = target === 'google' ? GOOGLE_REQUESTS_PER_RUN : INDEXNOW_REQUESTS_PER_RUN;
    for (let n = 0; n < maxRequests && Date.now() - started < SENDING_BUDGET_MS; n++) {
      const token = randomToken();
      // Leases, backoff and sent_at count from this moment, not from the run's start: a
      // claim made minutes into a run must still outlive its request.
      const pushes = await claim(d1, target, token, clock());
      if (pushes.length === 0) break;
      const outcome = await deliver(url, requestBody(target, pushes, config), options.sendTimeoutMs ?? SEND_TIMEOUT_MS);
      totals.requests++;
      await settle(d1, pushes, token, outcome, clock());
      if (outcome.ok) totals.sent += pushes.length;
      else {
        totals.failed += pushes.length;
        // A target that refuses or fails now will do so for the rest of this run too.
        break;
      }
    }
  }
  return totals;
}

export async function runPublication(db: Database, config: PublicationConfig, now = new Date(), options: RunOptions = {}): Promise<RunReport> {
  const recorded: Record<string, number> = {};
  const errors: string[] = [];
  if (!config.siteOrigin) {
    // Pushes name public URLs: without the configured origin the changes wait (the cursors do not move).
    errors.push('nothing recorded: set SITE_ORIGIN to the public origin of the site');
  } else {
    const places = new Map<string, Place>();
    for (const target of recordedTargets(config)) {
      // One target's failure must not hold back the others, nor the sending of what is due.
      try {
        recorded[target] = await recordPushes(db, target, config, now, places);
      } catch (error) {
        errors.push(`${target}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  const sending = config.dryRun ? { sent: 0, failed: 0, requests: 0 } : await sendDue(db, config, now, options);
  return { recorded, ...sending, errors };
}

const STATUSES = ['pending', 'sent', 'failed', 'superseded'] as const;

/** The journal, for staff: counts, what was set aside, the latest pushes. */
export async function publicationJournal(db: Database, limit = 50) {
  const [counts, failed, recent] = await db.batch([
    db.select({ status: publicationPushes.status, n: sql<number>`count(*)` }).from(publicationPushes).groupBy(publicationPushes.status),
    db.select().from(publicationPushes).where(eq(publicationPushes.status, 'failed')).orderBy(desc(publicationPushes.id)).limit(100),
    db.select().from(publicationPushes).orderBy(desc(publicationPushes.id)).limit(limit),
  ]);
  return {
    counts: Object.fromEntries(STATUSES.map((s) => [s, counts.find((c) => c.status === s)?.n ?? 0])) as Record<(typeof STATUSES)[number], number>,
    failed,
    recent,
  };
}

/** What a push sends (IndexNow: the body as it would be built now, with today's key). */
export function pushPayload(push: { target: string; payload: string }, config: PublicationConfig): unknown {
  return push.target === 'indexnow' ? indexNowBody(config, storedUrls(push.payload)) : JSON.parse(push.payload);
}

/**
 * Puts pushes set aside back in the queue, once what made the target refuse
 * them is fixed (a wrong key file at go-live, a webhook misconfigured):
 * `npm run publication:retry`. They go out with the next run, with the
 * configuration of that moment. Returns how many were requeued.
 */
export async function requeueFailed(db: Database, now: Date, target?: TargetName): Promise<number> {
  const { meta } = await db.$client
    .prepare(
      `update publication_pushes set status = 'pending', next_attempt_at = ?, claim_token = null, claimed_until = null
       where status = 'failed' and (?2 is null or target = ?2)`,
    )
    .bind(now.toISOString(), target ?? null)
    .run();
  return meta.changes;
}
