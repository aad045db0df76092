/**
 * @module
 * The cron's round for low-crowd alerts (every 15 minutes, worker/index.ts):
 * each office someone watches is read once, its subscriptions stepped
 * through the alert's state machine (./alert.ts), and the alerts it calls
 * for are queued through `messages`.
 *
 * Reading, per page of OFFICES_PER_PAGE offices (D1's 100 bound parameters):
 * the locations, their schedules (hours' `loadSchedules`, the same rows
 * `scheduleAt` reads, two queries for the page), then for the offices open
 * now their stored counts and arrivals of the last 15 minutes (two queries:
 * read.ts's `usualCounts` and `recentArrivals`, for many offices at once),
 * then the subscriptions with their person's address and quiet hours. A
 * page costs about 7 queries whatever its size, so the round stays small
 * beside the cron's other jobs in the same invocation.
 *
 * Writing: a subscription's state is written only when a reading changes
 * it (most readings do not), and conditionally on the state read (the row
 * still holds it): of two rounds at the same time, one writes and only that
 * one queues the alert. Should queueing fail, the state is put back (on
 * the same condition), and the next round tries again. The message id
 * (`affluence-alert:<customer>:<office>:<local date>`) makes one delivery
 * per person, office and day anyway.
 *
 * Bounds: OFFICES_PER_RUN offices per run; with more watched offices than
 * that, each run takes the next OFFICES_PER_RUN in id order (from where the
 * quarter-hour's number points, wrapping), so every office is read within
 * ceil(watched / OFFICES_PER_RUN) runs: its readings are then further
 * apart, and `step` still measures the 15 minutes by the clock. At most
 * SENDS_PER_RUN alerts per run: a subscription past it keeps its state and
 * sends at the next run if it still should.
 */
import { and, eq, gt, inArray, lte } from 'drizzle-orm';
import { affluenceCounts, type LocationRow, visitEvents } from '../../db/schema';
import type { QueueProducer } from '../config';
import type { Database } from '../database';
import { statusAt } from '../hours/engine';
import { loadSchedules } from '../hours/store';
import { addDays, localParts } from '../hours/zoned-time';
import { locationPath } from '../locations/present';
import { listLocationsByIds } from '../locations/queries';
import { deliverableAt } from '../messages/model';
import { queueMessage } from '../messages/use-cases';
import { type AlertState, step } from './alert';
import { lowCrowdMessage } from './alert-message';
import {
  type AffluenceCounts, decodeCounts, emptyCounts, histogramOf, LIVE_WINDOW_MS, liveLevel, mergeCounts, PERIODS_KEPT, periodAt,
} from './histogram';

/** Watched offices read per run. */
export const OFFICES_PER_RUN = 900;
/** Offices per page of reads: each read binds their ids, under D1's 100 parameters. */
export const OFFICES_PER_PAGE = 90;
/** Alerts queued per run. */
export const SENDS_PER_RUN = 500;
/** Conditional state writes per D1 batch. */
const WRITES_PER_BATCH = 50;
const QUARTER_MS = 15 * 60_000;

export interface AlertJobsContext {
  queue: QueueProducer | undefined;
  /** SITE_ORIGIN: the links in the message are absolute. */
  origin: string;
}

export interface AlertRoundReport {
  /** Offices read by this run. */
  offices: number;
  /** Alerts queued. */
  sent: number;
  /** Alerts that could not be queued (logged; their state put back, so a later run retries). */
  unsent: number;
}

/** One subscription as the round reads it. */
interface Subscriber {
  customerId: string;
  locationId: string;
  state: AlertState;
  email: string;
  quietStart: string;
  quietEnd: string;
  timeZone: string;
  professional: boolean;
}

/** The watched offices this run reads, in id order from where the quarter hour points. */
async function officesOfRun(db: Database, now: Date): Promise<string[]> {
  const d1 = db.$client;
  const total = (await d1.prepare('select count(distinct location_id) as n from affluence_alerts').first<{ n: number }>())?.n ?? 0;
  if (total === 0) return [];
  const page = (limit: number, offset: number) => d1.prepare('select distinct location_id as id from affluence_alerts order by location_id limit ? offset ?')
    .bind(limit, offset).all<{ id: string }>().then((r) => r.results.map((row) => row.id));
  if (total <= OFFICES_PER_RUN) return page(OFFICES_PER_RUN, 0);
  const start = (Math.floor(now.getTime() / QUARTER_MS) * OFFICES_PER_RUN) % total;
  const first = await page(OFFICES_PER_RUN, start);
  return first.length < OFFICES_PER_RUN ? [...first, ...(await page(OFFICES_PER_RUN - first.length, 0))] : first;
}

/** When each office's current opening ends (ms; Infinity: not in the foreseeable future), or null when it is closed now. */
async function openings(db: Database, places: LocationRow[], now: Date): Promise<Map<string, number | null>> {
  // Exceptions still running on the local yesterday of every zone: the UTC date two days back is earlier than all of them.
  const since = addDays(now.toISOString().slice(0, 10), -2);
  const schedules = await loadSchedules(db, places, since);
  const result = new Map<string, number | null>();
  for (const place of places) {
    const schedule = schedules.get(place.id);
    const status = place.status === 'active' && schedule ? statusAt(schedule, now) : null;
    result.set(place.id, status?.open ? (status.closesAt?.getTime() ?? Number.POSITIVE_INFINITY) : null);
  }
  return result;
}

/**
 * The live level of each office (read.ts's definitions, for many offices in
 * two queries): the counts of its rolling year merged, the arrivals in
 * (now − 15 min, now] on its weekday's peak; null without a visible peak.
 */
async function liveLevels(db: Database, places: LocationRow[], now: Date): Promise<Map<string, number | null>> {
  const levels = new Map<string, number | null>();
  if (places.length === 0) return levels;
  const ids = places.map((p) => p.id);
  const current = new Map(places.map((p) => [p.id, periodAt(now, p.timeZone)]));
  const periods = [...current.values()];
  const to = now.getTime();
  const [countRows, arrivalRows] = await db.batch([
    db.select({ locationId: affluenceCounts.locationId, period: affluenceCounts.period, counts: affluenceCounts.counts }).from(affluenceCounts)
      .where(and(inArray(affluenceCounts.locationId, ids), gt(affluenceCounts.period, Math.min(...periods) - PERIODS_KEPT), lte(affluenceCounts.period, Math.max(...periods)))),
    db.select({ locationId: visitEvents.locationId, at: visitEvents.at }).from(visitEvents)
      .where(and(inArray(visitEvents.locationId, ids), gt(visitEvents.at, to - LIVE_WINDOW_MS), lte(visitEvents.at, to), eq(visitEvents.kind, 'arrival'))),
  ]);
  for (const place of places) {
    const period = current.get(place.id)!;
    const mine = countRows.filter((row) => row.locationId === place.id && row.period > period - PERIODS_KEPT && row.period <= period);
    if (mine.length === 0) {
      levels.set(place.id, null);
      continue;
    }
    const counts = mine.reduce<AffluenceCounts>((sum, row) => mergeCounts(sum, decodeCounts(new Uint8Array(row.counts))), emptyCounts());
    const arrivals = arrivalRows.filter((row) => row.locationId === place.id).map((row) => row.at);
    levels.set(place.id, liveLevel(histogramOf(counts), arrivals, now, place.timeZone));
  }
  return levels;
}

async function subscribersOf(db: Database, officeIds: string[]): Promise<Subscriber[]> {
  const rows = await db.$client.prepare(
    `select a.customer_id, a.location_id, a.armed, a.low_since, a.last_sent_date, c.email, c.quiet_start, c.quiet_end, c.time_zone,
       exists (select 1 from pro_profiles p where p.customer_id = a.customer_id) as professional
     from affluence_alerts a join customers c on c.id = a.customer_id
     where a.location_id in (${officeIds.map(() => '?').join(', ')})`,
  ).bind(...officeIds).all<{
    customer_id: string; location_id: string; armed: number; low_since: number | null; last_sent_date: string | null;
    email: string; quiet_start: string; quiet_end: string; time_zone: string; professional: number;
  }>();
  return rows.results.map((row) => ({
    customerId: row.customer_id, locationId: row.location_id,
    state: { armed: row.armed === 1, lowSince: row.low_since, lastSentDate: row.last_sent_date },
    email: row.email, quietStart: row.quiet_start, quietEnd: row.quiet_end, timeZone: row.time_zone, professional: row.professional === 1,
  }));
}

/** The person's quiet hours now; a zone that cannot be read counts as quiet (nothing is sent rather than at night). */
function inQuietHours(subscriber: Subscriber, now: Date): boolean {
  try {
    return deliverableAt(now, { start: subscriber.quietStart, end: subscriber.quietEnd, timeZone: subscriber.timeZone }).getTime() > now.getTime();
  } catch {
    return true;
  }
}

const sameState = (a: AlertState, b: AlertState) => a.armed === b.armed && a.lowSince === b.lowSince && a.lastSentDate === b.lastSentDate;

/** The write of `to` over `from`, only if the row still holds `from`; returns the row when it did. */
function compareAndSet(db: Database, subscriber: Subscriber, from: AlertState, to: AlertState): D1PreparedStatement {
  return db.$client.prepare(
    `update affluence_alerts set armed = ?, low_since = ?, last_sent_date = ?
     where customer_id = ? and location_id = ? and armed = ? and low_since is ? and last_sent_date is ? returning customer_id`,
  ).bind(to.armed ? 1 : 0, to.lowSince, to.lastSentDate, subscriber.customerId, subscriber.locationId, from.armed ? 1 : 0, from.lowSince, from.lastSentDate);
}

interface Change {
  subscriber: Subscriber;
  next: AlertState;
  send: boolean;
  place: LocationRow;
  level: number | null;
  openUntil: number | null;
  localDate: string;
}

/** The cron's round: reads the watched offices, steps their alerts, queues the alerts due. */
export async function runAlertRound(db: Database, now: Date, context: AlertJobsContext): Promise<AlertRoundReport> {
  const report: AlertRoundReport = { offices: 0, sent: 0, unsent: 0 };
  const officeIds = await officesOfRun(db, now);
  for (let i = 0; i < officeIds.length; i += OFFICES_PER_PAGE) {
    const places = await listLocationsByIds(db, officeIds.slice(i, i + OFFICES_PER_PAGE));
    if (places.length === 0) continue;
    report.offices += places.length;
    const openUntil = await openings(db, places, now);
    // A closed office's level is not read: `step` ends a low run when closed, whatever the level.
    const levels = await liveLevels(db, places.filter((p) => openUntil.get(p.id) !== null), now);
    const byId = new Map(places.map((p) => [p.id, p]));
    const changes: Change[] = [];
    let sends = report.sent;
    for (const subscriber of await subscribersOf(db, places.map((p) => p.id))) {
      const place = byId.get(subscriber.locationId)!;
      const localDate = localParts(now, place.timeZone).date;
      const reading = {
        at: now.getTime(),
        level: levels.get(place.id) ?? null,
        openUntil: openUntil.get(place.id) ?? null,
        // An account no longer professional keeps its subscriptions (it may remove them) but is sent nothing.
        quiet: !subscriber.professional || inQuietHours(subscriber, now),
        localDate,
      };
      const { state: next, send } = step(subscriber.state, reading);
      if (sameState(next, subscriber.state)) continue;
      // Past the run's bound, the state stays as read: the next run decides again.
      if (send && sends >= SENDS_PER_RUN) continue;
      if (send) sends++;
      changes.push({ subscriber, next, send, place, level: reading.level, openUntil: reading.openUntil, localDate });
    }
    for (let j = 0; j < changes.length; j += WRITES_PER_BATCH) {
      const group = changes.slice(j, j + WRITES_PER_BATCH);
      const results = await db.$client.batch(group.map((change) => compareAndSet(db, change.subscriber, change.subscriber.state, change.next)));
      for (const [k, change] of group.entries()) {
        // Another round wrote first: it sends, if anyone does.
        if (!change.send || results[k]!.results.length !== 1) continue;
        if (await tell(change, context, now)) {
          report.sent++;
        } else {
          report.unsent++;
          await compareAndSet(db, change.subscriber, change.next, change.subscriber.state).run();
        }
      }
    }
  }
  return report;
}

/** Queues one alert; false (logged) when it could not be queued. */
async function tell(change: Change, context: AlertJobsContext, now: Date): Promise<boolean> {
  const { subscriber, place } = change;
  try {
    const message = lowCrowdMessage({
      customerId: subscriber.customerId, locationId: place.id, officeName: place.name, officePath: locationPath(place), timeZone: place.timeZone,
      level: change.level!, closesAt: change.openUntil === Number.POSITIVE_INFINITY ? null : change.openUntil, localDate: change.localDate,
    }, { email: subscriber.email }, context.origin);
    await queueMessage(context.queue, message, now);
    return true;
  } catch (error) {
    console.error('affluence: alert not queued', place.id, error instanceof Error ? error.name : 'unknown');
    return false;
  }
}
