/**
 * @module
 * The cron's fold of recorded arrivals into each office's stored counts
 * (`affluence_counts`, one blob per office and 13-week period), so the
 * histogram is read from a few blobs and never from a year of raw events.
 *
 * Arrivals are read in `seq` order after a cursor kept in `settings`
 * (`affluence_fold_cursor`), at most `maxEvents` per run; the next run goes
 * on from there (`more`). Only arrivals are folded: `called` and `served`
 * stay raw for the live queue and future waiting-time figures.
 *
 * Exactly once, on D1 without interactive transactions: the blobs and the
 * new cursor are written in ONE batch whose first statement is a
 * compare-and-set moving the cursor from the value read to
 * `<new seq>|<claim>` (a random claim, so two folds reaching the same seq
 * still differ); every blob upsert runs only WHERE the cursor now holds
 * that exact value. A fold that lost the race (another moved the cursor
 * since it read) writes nothing, and its arrivals are counted by the one
 * that won. (The same idea as `office_offer_sheets.claim` in bookings.)
 *
 * Then bounded sweeps (at most SWEEP_ROWS rows each per run): raw events
 * older than RAW_EVENTS_KEPT_DAYS and already folded, replay records older
 * than REPLAY_KEPT_MS, counts of periods no reader uses any more.
 */
import type { Database } from '../database';
import { randomSecret } from '../http/crypto';
import { SIGNATURE_TOLERANCE_S } from '../parcels/signature';
import { addArrivals, decodeCounts, emptyCounts, encodeCounts, PERIODS_KEPT, periodAt } from './histogram';

export const FOLD_CURSOR_SETTING = 'affluence_fold_cursor';
/**
 * Arrivals folded per run at most. Measured in Node on the development
 * machine (2 cores shared with other work; a loop over this module's steps
 * for each touched blob: decode, `addArrivals`, encode, hex; median and
 * best of 5 rounds): about 0.05 µs per arrival plus 25–55 µs per touched
 * office blob. 20,000 arrivals cost 23–31 ms of CPU over 500 offices,
 * 130–270 ms over 5,000, and 0.7–1.2 s in the worst case of 20,000
 * distinct offices: well inside a cron run's CPU limit (30 s by default),
 * leaving it to the other rounds. And 20,000 per 15 minutes is 1.9 million
 * a day, far above the network's (about 140,000 a day for 50 million
 * events a year): a backlog after an outage drains within a few runs.
 */
export const FOLD_MAX_EVENTS = 20_000;
/**
 * Office counts (office and period) rewritten per run at most. Each one is
 * held, read, updated and encoded until the run's single batch: about 9 kB
 * of memory each (measured by bench:affluence: 106 MB for 11,756 offices).
 * 3,000 keep a run near 30 MB of the isolate's 128 MB, while the steady
 * state (about 1,400 arrivals per run, over fewer offices) never reaches
 * it; a catch-up after an outage takes a few more runs.
 */
export const FOLD_MAX_OFFICES = 3_000;
/** Raw events are kept 35 days: the live level reads 15 minutes, duplicate and order checks one day; the rest is a month of margin to re-fold. */
export const RAW_EVENTS_KEPT_DAYS = 35;
/**
 * A signed request is valid while its timestamp is within 5 minutes of our
 * clock either way: up to 10 minutes from a timestamp 5 minutes ahead. Its
 * replay record is kept that long and one minute more (rounding, clocks).
 */
export const REPLAY_KEPT_MS = (2 * SIGNATURE_TOLERANCE_S + 60) * 1000;
/** Each sweep deletes at most this many rows per run (96 runs a day: 480,000 rows a day, three times the network's daily events). */
export const SWEEP_ROWS = 5_000;
/** A zone for the period sweep: one zone for all offices, with one period of margin (see `sweep`). */
const SWEEP_ZONE = 'Europe/Paris';
/** D1 keeps a bound value under 2 MB: the blobs go by chunks of encoded bytes well under that. */
const UPSERT_CHUNK_BYTES = 500_000;

export interface FoldResult {
  /** Arrivals counted by this run. */
  folded: number;
  /** Offices whose counts this run changed. */
  offices: number;
  /** The seq up to which arrivals are folded, after this run. */
  cursor: number;
  /** Whether arrivals were left for the next run (this run read its maximum). */
  more: boolean;
}

const seqOf = (value: string) => Number.parseInt(value.split('|')[0]!, 10) || 0;
const HEX_DIGITS = new TextEncoder().encode('0123456789abcdef');
/** Hex of the bytes, through one ASCII buffer (a string built digit by digit costs 10 times more, measured). */
function hex(bytes: Uint8Array): string {
  const out = new Uint8Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    out[2 * i] = HEX_DIGITS[bytes[i]! >> 4]!;
    out[2 * i + 1] = HEX_DIGITS[bytes[i]! & 15]!;
  }
  return new TextDecoder().decode(out);
}

/** The cursor's stored value (created at 0 on first use), exactly as stored: the compare-and-set compares it whole. */
async function cursorValue(db: Database): Promise<string> {
  const d1 = db.$client;
  await d1.prepare(`insert into settings (name, value) values (?1, '0') on conflict (name) do nothing`).bind(FOLD_CURSOR_SETTING).run();
  return (await d1.prepare('select value from settings where name = ?1').bind(FOLD_CURSOR_SETTING).first<string>('value'))!;
}

/**
 * Folds the arrivals recorded since the last run into the stored counts,
 * then sweeps. Safe to run concurrently with itself: each arrival is
 * counted once (see the module comment).
 */
export async function foldVisits(db: Database, now: Date, options: { maxEvents?: number; maxOffices?: number } = {}): Promise<FoldResult> {
  const maxEvents = options.maxEvents ?? FOLD_MAX_EVENTS;
  const maxOffices = options.maxOffices ?? FOLD_MAX_OFFICES;
  const d1 = db.$client;
  const before = await cursorValue(db);
  const from = seqOf(before);
  // In seq order: a seq read here is committed, and every smaller one too (D1 writes one at a time).
  const { results: rows } = await d1.prepare(
    `select e.seq, e.location_id, e.at, l.time_zone from visit_events e left join locations l on l.id = e.location_id
     where e.seq > ?1 and e.kind = 'arrival' order by e.seq limit ?2`,
  ).bind(from, maxEvents).all<{ seq: number; location_id: string; at: number; time_zone: string | null }>();
  let more = rows.length === maxEvents;
  let folded = 0;
  let offices = 0;
  let cursor = from;

  if (rows.length > 0) {
    let last = rows.at(-1)!.seq;
    // Arrivals per office and period; an office gone from `locations` has no zone to count in: passed over.
    const groups = new Map<string, { office: string; zone: string; period: number; arrivals: number[] }>();
    const currentPeriods = new Map<string, number>();
    for (const [index, row] of rows.entries()) {
      // A run rewrites FOLD_MAX_OFFICES counts at most (memory): the rows from the first that would need another wait for the next run.
      if (groups.size >= maxOffices && row.time_zone && !groups.has(`${row.location_id}|${periodAt(row.at, row.time_zone)}`)) {
        last = rows[index - 1]!.seq;
        more = true;
        break;
      }
      if (!row.time_zone) continue;
      const period = periodAt(row.at, row.time_zone);
      let current = currentPeriods.get(row.time_zone);
      if (current === undefined) currentPeriods.set(row.time_zone, (current = periodAt(now, row.time_zone)));
      // A period no reader uses any more (a fold after a long outage): not written, it would only be swept.
      if (period <= current - PERIODS_KEPT) continue;
      const key = `${row.location_id}|${period}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { office: row.location_id, zone: row.time_zone, period, arrivals: [] }));
      group.arrivals.push(row.at);
    }
    const stored = new Map<string, Uint8Array>();
    const officeIds = [...new Set([...groups.values()].map((g) => g.office))];
    for (let i = 0; i < officeIds.length; i += 500) {
      const { results } = await d1.prepare(
        `select location_id, period, counts from affluence_counts where location_id in (select value from json_each(?1)) and period in (select value from json_each(?2))`,
      ).bind(JSON.stringify(officeIds.slice(i, i + 500)), JSON.stringify([...new Set([...groups.values()].map((g) => g.period))]))
        .all<{ location_id: string; period: number; counts: ArrayBuffer | number[] }>();
      for (const r of results) stored.set(`${r.location_id}|${r.period}`, r.counts instanceof ArrayBuffer ? new Uint8Array(r.counts) : Uint8Array.from(r.counts));
    }

    const claimed = `${last}|${randomSecret(12)}`;
    const at = now.getTime();
    const statements: D1PreparedStatement[] = [
      d1.prepare('update settings set value = ?3 where name = ?1 and value = ?2').bind(FOLD_CURSOR_SETTING, before, claimed),
    ];
    let chunk: [string, number, string][] = [];
    let chunkBytes = 0;
    const flush = () => {
      if (chunk.length === 0) return;
      statements.push(d1.prepare(
        `insert into affluence_counts (location_id, period, counts, updated_at)
         select value ->> 0, value ->> 1, unhex(value ->> 2), ?1 from json_each(?2)
         where exists (select 1 from settings where name = ?3 and value = ?4)
         on conflict (location_id, period) do update set counts = excluded.counts, updated_at = excluded.updated_at`,
      ).bind(at, JSON.stringify(chunk), FOLD_CURSOR_SETTING, claimed));
      chunk = [];
      chunkBytes = 0;
    };
    for (const [key, group] of groups) {
      const blob = stored.get(key);
      const counts = addArrivals(blob ? decodeCounts(blob) : emptyCounts(), group.arrivals, group.zone);
      const encoded = hex(encodeCounts(counts));
      chunk.push([group.office, group.period, encoded]);
      chunkBytes += encoded.length;
      if (chunkBytes >= UPSERT_CHUNK_BYTES) flush();
    }
    flush();
    const [cas] = await d1.batch(statements);
    if ((cas!.meta.changes ?? 0) > 0) {
      folded = [...groups.values()].reduce((sum, g) => sum + g.arrivals.length, 0);
      offices = new Set([...groups.values()].map((g) => g.office)).size;
      cursor = last;
    } else {
      // Another fold moved the cursor since we read it: it counted these arrivals; ours wrote nothing.
      cursor = seqOf(await cursorValue(db));
    }
  }

  await sweep(db, now, cursor);
  return { folded, offices, cursor, more };
}

/**
 * The bounded sweeps. Raw events go in seq order (the oldest first, and
 * never one not yet folded). Counts go by period: the readers keep the
 * current period and the PERIODS_KEPT − 1 before it, each in its office's
 * zone; here one zone (Europe/Paris) stands for all, less one more period,
 * so a zone a day ahead or behind Paris never loses a period it still reads
 * (a whole period of margin for at most a day of difference).
 */
async function sweep(db: Database, now: Date, cursor: number): Promise<void> {
  const d1 = db.$client;
  const at = now.getTime();
  const oldestPeriodKept = periodAt(now, SWEEP_ZONE) - PERIODS_KEPT;
  await d1.batch([
    d1.prepare(
      `delete from visit_events where seq in (select seq from visit_events where seq <= ?1 order by seq limit ?3) and at < ?2`,
    ).bind(cursor, at - RAW_EVENTS_KEPT_DAYS * 86_400_000, SWEEP_ROWS),
    d1.prepare(
      `delete from visit_requests where digest in (select digest from visit_requests where received_at < ?1 limit ?2)`,
    ).bind(at - REPLAY_KEPT_MS, SWEEP_ROWS),
    d1.prepare(
      `delete from affluence_counts where rowid in (select rowid from affluence_counts where period < ?1 limit ?2)`,
    ).bind(oldestPeriodKept, SWEEP_ROWS),
  ]);
}
