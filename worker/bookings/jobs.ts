/**
 * @module
 * The cron's round for bookings (every 15 minutes, worker/index.ts): the
 * seats whose slot is no longer open because the office's hours changed
 * after they were taken (an exceptional closure, new weekly hours, a public
 * holiday it no longer opens on) are moved: freed, and their customers told
 * the nearest free slots of the same offer.
 *
 * `hours` must not know about bookings (bookings reads hours), so the hours
 * change does not call us: this round looks. It reads each office with
 * upcoming live seats once (its current schedule, then its live seats in
 * the booking horizon, soonest first) and asks `slotRefusal` whether each
 * seat could still be booked; `closed` moves it. Only `closed`: a seat
 * never becomes `past` while it is upcoming, and a seat off today's grid or
 * horizon was valid when taken (the offer's duration may have changed
 * since; the seat keeps its own).
 *
 * A move is ONE D1 batch per seat: the history entry (written only if the
 * seat is still live and upcoming when the batch runs, before the change),
 * then the conditional update to `moved`; a seat the customer cancelled or
 * confirmed a moment before is handled by that condition. Then ONE message
 * per moved seat is queued (id `booking.moved:<id>`: one delivery however
 * often it is queued); the nearest free slots are computed after the move,
 * so the freed place counts as free. Bounded per run; the rest waits for
 * the next one (a seat stays live, and visible at the counter, until then).
 *
 * A message the queue refused is not lost: the seat stays `moved` with no
 * `moved_told_at`, and each round first tries those again (the message's
 * id makes a repeat harmless).
 */
import { sql } from 'drizzle-orm';
import { historyInsertIf } from '../accounts/history';
import type { QueueProducer } from '../config';
import type { Database } from '../database';
import { scheduleAt } from '../hours/use-cases';
import { DAY_MS } from '../hours/zoned-time';
import { findLocation } from '../locations/queries';
import { queueMessage } from '../messages/use-cases';
import { alternativesFor, historyDetail } from './bookings';
import { movedMessage } from './moved-messages';
import { BOOKING_HORIZON_DAYS, slotRefusal } from './slots';
import {
  type BookingRecord, findOffer, markMovedTold, moveSeat, officesWithUpcomingSeats, recipientOf, untoldMovedSeats, upcomingLiveSeats,
} from './store';

/** Offices read per run (each: its schedule, then its upcoming live seats). */
export const OFFICES_PER_RUN = 500;
/** Live seats read per office per run. */
export const SEATS_PER_OFFICE = 1000;
/** Seats moved per run (each: one batch, one message). */
export const MOVES_PER_RUN = 200;
/** Moved seats whose message failed, tried again per run. */
export const RETRIES_PER_RUN = 100;

export interface BookingJobsContext {
  queue: QueueProducer | undefined;
  /** SITE_ORIGIN: the links in messages are absolute. */
  origin: string;
}

export interface BookingJobsReport {
  offices: number;
  /** Seats moved by this run. */
  moved: number;
  /** Of those, messages that could not be queued (logged; tried again next round). */
  unsent: number;
  /** Messages of seats moved by an earlier round, queued now. */
  retold: number;
}

/** Moves one seat (one batch); true when this run moved it. */
async function move(db: Database, seat: BookingRecord, now: Date): Promise<boolean> {
  const at = now.getTime();
  const d1 = db.$client;
  const entry = historyInsertIf(db, { customerId: seat.customerId, kind: 'booking.moved', at: now, where: { channel: 'web' }, detail: historyDetail(seat) },
    sql`exists (select 1 from bookings where id = ${seat.id} and starts_at > ${at} and (status = 'booked' or (status = 'held' and hold_expires_at > ${at})))`).toSQL();
  const [, moved] = await d1.batch([
    // Before the change, on the same condition: written only by the batch that moves the seat.
    d1.prepare(entry.sql).bind(...entry.params),
    moveSeat(d1, seat.id, at),
  ]);
  return moved!.results.length === 1;
}

/** Queues the message of a moved seat; false (logged) when it could not be queued. */
async function tell(db: Database, seat: BookingRecord, schedule: Awaited<ReturnType<typeof scheduleAt>>, now: Date, context: BookingJobsContext): Promise<boolean> {
  try {
    const recipient = await recipientOf(db, seat.customerId);
    if (!recipient) {
      await markMovedTold(db, seat.id, now.getTime()); // nobody to tell: not tried again
      return true;
    }
    const offer = await findOffer(db, seat.offerId);
    // A withdrawn offer has no slots to propose.
    const alternatives = offer?.active ? await alternativesFor(db, schedule, offer, seat.startsAt, now) : [];
    // A seat read before the move says `held`; one moved by an earlier round says `moved`, and was held if never confirmed.
    const facts = { ...seat, wasHeld: seat.status === 'held' || (seat.status === 'moved' && seat.confirmedAt === null) };
    await queueMessage(context.queue, movedMessage(facts, alternatives, recipient, context.origin), now);
    await markMovedTold(db, seat.id, now.getTime());
    return true;
  } catch (error) {
    console.error('bookings: moved seat message not queued', seat.id, error instanceof Error ? error.name : 'unknown');
    return false;
  }
}

/** The cron's round: moves the upcoming live seats whose slot the office's current hours close, and tells their customers. */
export async function runBookingJobs(db: Database, now: Date, context: BookingJobsContext): Promise<BookingJobsReport> {
  const at = now.getTime();
  // A seat starts within the horizon of the day it was taken: a day more covers every time zone.
  const before = at + (BOOKING_HORIZON_DAYS + 1) * DAY_MS;
  const report: BookingJobsReport = { offices: 0, moved: 0, unsent: 0, retold: 0 };
  for (const seat of await untoldMovedSeats(db, at, RETRIES_PER_RUN)) {
    const location = await findLocation(db, seat.locationId);
    if (!location) {
      await markMovedTold(db, seat.id, at); // the office left the network: no slot to propose, nothing to retry
      continue;
    }
    if (await tell(db, seat, await scheduleAt(db, location, now), now, context)) report.retold++;
  }
  for (const locationId of (await officesWithUpcomingSeats(db, at, before)).slice(0, OFFICES_PER_RUN)) {
    if (report.moved >= MOVES_PER_RUN) break;
    const location = await findLocation(db, locationId);
    if (!location) continue;
    report.offices++;
    const schedule = await scheduleAt(db, location, now);
    const seats = await upcomingLiveSeats(db, locationId, at, before, SEATS_PER_OFFICE);
    for (const seat of seats) {
      if (report.moved >= MOVES_PER_RUN) break;
      if (slotRefusal(schedule, (seat.endsAt - seat.startsAt) / 60_000, seat.startsAt, now) !== 'closed') continue;
      if (!(await move(db, seat, now))) continue;
      report.moved++;
      if (!(await tell(db, seat, schedule, now, context))) report.unsent++;
    }
  }
  return report;
}
