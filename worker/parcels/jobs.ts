/**
 * @module
 * What happens to parcels without a request: telling followers about a
 * change an ingestion brought (called by the events route), and the cron's
 * rounds (every 15 minutes): reminders before the collect-by deadline,
 * "still moving" reassurance after a silence longer than usual, sending the
 * notices held by quiet hours, repairing states a crashed batch left stale,
 * and forgetting what has served its time.
 */
import type { QueueProducer } from '../config';
import type { Database } from '../database';
import { localParts } from '../hours/zoned-time';
import { sweepAlerts } from './alerts';
import { collectionPoint, type HoldingDays } from './collection';
import { recomputeParcels } from './ingest';
import { changeNotices, deadlineNotices, type NoticeDraft, type PlaceForNotice, silenceNotice } from './notices';
import { flushDueNotices, type Recipient, recipientsOf, recordNotices } from './notify';
import { SIGNATURE_TOLERANCE_S } from './signature';
import { silenceOf } from './silence';
import { staleParcels, type StoredState, sweepCarrierRequests } from './store';
import { deadlineWhen } from './view';

export interface ParcelJobsContext {
  queue: QueueProducer | undefined;
  origin: string;
  holdingDays: HoldingDays;
}

async function placeFor(db: Database, locationId: string, since: number, now: Date, holdingDays: HoldingDays) {
  const point = await collectionPoint(db, locationId, new Date(since), now, holdingDays);
  if (!point) return undefined;
  const place: PlaceForNotice = {
    name: point.location.displayName,
    commune: point.location.commune,
    deadlineLabel: point.deadline ? deadlineWhen(point.deadline, point.location.timeZone, now) : null,
  };
  return { point, place };
}

const forEach = (recipients: Recipient[] | undefined, notices: NoticeDraft[]) =>
  (recipients ?? []).flatMap((recipient) => notices.map((notice) => ({ recipient, notice })));

/** After an ingestion: the notices its changes bring to followers, recorded, and those due now sent. */
export async function notifyChanges(db: Database, context: ParcelJobsContext, changes: { before: StoredState | undefined; after: StoredState }[], now: Date): Promise<number> {
  if (changes.length === 0) return 0;
  const recipients = await recipientsOf(db, changes.map((c) => c.after.trackingNumber));
  if (recipients.size === 0) return 0;
  const notices = [];
  for (const { before, after } of changes) {
    const who = recipients.get(after.trackingNumber);
    if (!who) continue;
    const place = after.waitingLocationId && after.waitingSince !== null
      ? (await placeFor(db, after.waitingLocationId, after.waitingSince, now, context.holdingDays))?.place ?? null
      : null;
    notices.push(...forEach(who, changeNotices(before, after, place)));
  }
  await recordNotices(db, notices, now);
  return flushDueNotices(db, context.queue, context.origin, now, { recipients: [...new Set(notices.map((n) => n.recipient.key))] });
}

type Followed = { tracking_number: string; step: number; delivered: number; incidents: string; waiting_location_id: string | null; waiting_since: number | null; last_event_at: number | null };
const FOLLOWED = `(exists (select 1 from customer_parcels cp where cp.tracking_number = p.tracking_number)
  or exists (select 1 from parcel_subscriptions s where s.tracking_number = p.tracking_number and s.confirmed_at is not null))`;

/**
 * The notices the clock brings: reminders before the deadline, reassurance
 * after a long silence. Only followed parcels are looked at, those whose
 * notices are all written are left out, and the oldest come first, so a
 * run's limit never keeps the same parcels in front of the others.
 */
async function clockNotices(db: Database, context: ParcelJobsContext, now: Date, limit: number): Promise<number> {
  const silentSince = now.getTime() - 12 * 3_600_000;
  const [waiting, silent] = await db.$client.batch<Followed>([
    db.$client.prepare(`select tracking_number, step, delivered, incidents, waiting_location_id, waiting_since, last_event_at from parcels p
      where waiting_location_id is not null and delivered = 0 and ${FOLLOWED}
        and not exists (select 1 from parcel_notices n where n.tracking_number = p.tracking_number and n.kind = 'deadline_day' and n.created_at >= p.waiting_since)
      order by waiting_since limit ?`).bind(limit),
    db.$client.prepare(`select tracking_number, step, delivered, incidents, waiting_location_id, waiting_since, last_event_at from parcels p
      where delivered = 0 and waiting_location_id is null and last_event_at < ? and ${FOLLOWED}
        and not exists (select 1 from parcel_notices n where n.tracking_number = p.tracking_number and n.kind = 'silent' and n.created_at >= p.last_event_at)
      order by last_event_at limit ?`).bind(silentSince, limit),
  ]);
  const drafts: NoticeDraft[] = [];
  for (const row of waiting!.results) {
    const found = await placeFor(db, row.waiting_location_id!, row.waiting_since!, now, context.holdingDays);
    if (!found?.point.deadline) continue;
    const { deadline } = found.point;
    drafts.push(...deadlineNotices(row.tracking_number, row.waiting_since!, { at: deadline.deadline.getTime(), date: deadline.date, closes: deadline.closes },
      found.place, now.getTime(), localParts(now, found.point.location.timeZone).date));
  }
  for (const row of silent!.results) {
    const state = { step: row.step as 0, delivered: Boolean(row.delivered), incidents: JSON.parse(row.incidents) as never[], waiting: null, lastEventAt: row.last_event_at };
    // The destination is not known to Guichet (only a MAC of its postcode): mainland France's calendar.
    const silence = silenceOf(state, now, '75');
    if (silence?.overdue) drafts.push(silenceNotice(row.tracking_number, row.last_event_at!, silence.advice));
  }
  if (drafts.length === 0) return 0;
  const recipients = await recipientsOf(db, [...new Set(drafts.map((d) => d.trackingNumber))]);
  return recordNotices(db, drafts.flatMap((d) => forEach(recipients.get(d.trackingNumber), [d])), now);
}

/** The cron's round. Each part is bounded, so one run stays within a Worker's limits; what is left waits 15 minutes. */
export async function runParcelJobs(db: Database, context: ParcelJobsContext, now: Date) {
  const stale = await staleParcels(db, 500);
  const repaired = stale.length ? await recomputeParcels(db, stale, now) : 0;
  // Twice the window, and a minute more: a request signed at the far end of it can no longer be replayed.
  const forgottenRequests = await sweepCarrierRequests(db, now.getTime() - (2 * SIGNATURE_TOLERANCE_S + 60) * 1000);
  const noticed = await clockNotices(db, context, now, 1000);
  const messages = await flushDueNotices(db, context.queue, context.origin, now, { limit: 2000 });
  const alertsEnded = await sweepAlerts(db, now);
  return { repaired, forgottenRequests, noticed, messages, alertsEnded };
}
