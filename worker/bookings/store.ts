/**
 * @module
 * Bookings and offers in D1: their queries, and the one conditional write
 * that takes a seat. Nothing else (the rules are in ./bookings.ts and
 * ./offers.ts).
 *
 * A seat is live while it is `booked`, or `held` and not past its hold's
 * end. Seats of one offer that overlap in time share its capacity: a new
 * seat is inserted only if fewer than `capacity` seats of that offer
 * overlap it, decided inside the insert itself (D1 runs each statement,
 * and each batch, alone on its single writer), so two requests never both
 * take the last place.
 *
 * The capacity counts a hold HOLD_GRACE_MS longer than its confirmation
 * accepts it (`seatTaken` vs `liveSeat`): `now` comes from each request's
 * own clock, and a confirmation whose clock is a little behind must not
 * confirm a hold whose seat a request with a clock a little ahead has just
 * given to someone else. Clocks that differ by more than the grace are
 * outside this guarantee.
 *
 * Every search on `ends_at > now` also bounds `starts_at > now −
 * MAX_DURATION_MS` (a seat ends at most that long after it starts), so the
 * (offer, start), (office, start) and (customer, start) indexes serve it.
 */
import type { BookingStatus, OfferKind } from '../../db/vocabulary';
import type { Database } from '../database';

/** The longest an offer may last: bounds the overlap search so that it stays on the (offer, start) index. */
export const MAX_DURATION_MINUTES = 240;
export const MAX_DURATION_MS = MAX_DURATION_MINUTES * 60_000;
/** Live bookings (upcoming, held or booked) one customer may have at once. */
export const MAX_LIVE_BOOKINGS = 10;

/** Unconfirmed live holds one customer may have at once: confirm or cancel one before holding another. */
export const MAX_LIVE_HOLDS = 2;
/** How much longer than its confirmation accepts it a hold keeps its seat for the capacity (see the module comment). */
export const HOLD_GRACE_MS = 60_000;

/** The SQL condition "seat `alias` is live at ?now" (as its customer and the confirmation see it), `now` being the parameter named. */
export const liveSeat = (alias: string, now: string) =>
  `(${alias}.status = 'booked' or (${alias}.status = 'held' and ${alias}.hold_expires_at > ${now}))`;

/** The SQL condition "seat `alias` still counts toward its offer's capacity at ?now": live, or a hold lapsed less than HOLD_GRACE_MS ago. */
export const seatTaken = (alias: string, now: string) =>
  `(${alias}.status = 'booked' or (${alias}.status = 'held' and ${alias}.hold_expires_at > ${now} - ${HOLD_GRACE_MS}))`;

/** Seats of offer `o` overlapping the interval [start, end) and taken at ?now: the capacity's count. */
const overlapping = (offer: string, start: string, end: string, now: string) =>
  `(select count(*) from bookings o where o.offer_id = ${offer} and o.starts_at < ${end} and o.ends_at > ${start}
     and o.starts_at > ${start} - ${MAX_DURATION_MS} and ${seatTaken('o', now)})`;

/** The customer's upcoming live seats (`alias` over bookings, customer ?customer, at ?now): on the (customer, start) index. */
const customerLive = (alias: string, customer: string, now: string) =>
  `${alias}.customer_id = ${customer} and ${alias}.starts_at > ${now} - ${MAX_DURATION_MS} and ${alias}.ends_at > ${now} and ${liveSeat(alias, now)}`;

/** The customer's unconfirmed live holds (a live hold's slot starts after it was taken, so within MAX_DURATION_MS of now at worst). */
const customerHolds = (alias: string, customer: string, now: string) =>
  `${alias}.customer_id = ${customer} and ${alias}.starts_at > ${now} - ${MAX_DURATION_MS} and ${alias}.status = 'held' and ${alias}.hold_expires_at > ${now}`;

/** The customer's upcoming live seats, counted: `select` the one row `n`. Exported for the index test. */
export const LIVE_BOOKINGS_SQL = `select count(*) as n from bookings c where ${customerLive('c', '?1', '?2')}`;
/** The customer's live holds, counted. */
export const LIVE_HOLDS_SQL = `select count(*) as n from bookings h where ${customerHolds('h', '?1', '?2')}`;

/**
 * Taken seats of `b`'s offer in progress at `b`'s start (started at or before it, not ended): the
 * peak of concurrent seats of an offer is reached at some seat's start, so the maximum of this over
 * its seats is what a capacity must cover.
 */
export const concurrentAtStart = (b: string, now: string) =>
  `(select count(*) from bookings o where o.offer_id = ${b}.offer_id and o.starts_at <= ${b}.starts_at and o.ends_at > ${b}.starts_at
     and o.starts_at > ${b}.starts_at - ${MAX_DURATION_MS} and ${seatTaken('o', now)})`;

export interface NewSeat {
  id: string;
  customerId: string;
  locationId: string;
  offerId: string;
  kind: OfferKind;
  startsAt: number;
  endsAt: number;
  holdExpiresAt: number;
  requestKey: string;
  parcels: number | null;
  /** The offer's version as read: a change of the offer since refuses the seat. */
  offerVersion: number;
  now: number;
}

/**
 * THE write: a held seat, inserted only if (1) fewer seats of the offer overlap it than the offer's
 * capacity (the offer active, at that office, of that kind, unchanged since read), (2) a deposit's
 * customer is professional (decided here, not only read before), (3) the customer has fewer than
 * MAX_LIVE_BOOKINGS upcoming live seats and fewer than MAX_LIVE_HOLDS live holds, (4) this request key
 * took nothing yet. `returning id`: one row when taken, none when refused.
 */
export function takeSeat(d1: D1Database, seat: NewSeat): D1PreparedStatement {
  return d1.prepare(
    `insert into bookings (id, customer_id, location_id, offer_id, kind, starts_at, ends_at, status, hold_expires_at, request_key, parcels, created_at)
     select ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'held', ?8, ?9, ?10, ?11
     where ${overlapping('?4', '?6', '?7', '?11')}
         < (select f.capacity from office_offers f where f.id = ?4 and f.location_id = ?3 and f.kind = ?5 and f.active = 1 and f.version = ?12)
       and (?5 <> 'deposit' or exists (select 1 from pro_profiles p where p.customer_id = ?2))
       and (select count(*) from bookings c where ${customerLive('c', '?2', '?11')}) < ${MAX_LIVE_BOOKINGS}
       and (select count(*) from bookings h where ${customerHolds('h', '?2', '?11')}) < ${MAX_LIVE_HOLDS}
       and not exists (select 1 from bookings k where k.customer_id = ?2 and k.request_key = ?9)
     returning id`,
  ).bind(seat.id, seat.customerId, seat.locationId, seat.offerId, seat.kind, seat.startsAt, seat.endsAt, seat.holdExpiresAt, seat.requestKey, seat.parcels, seat.now,
    seat.offerVersion);
}

/** The customer's upcoming live seats. */
export async function liveBookingsCount(db: Database, customerId: string, now: number): Promise<number> {
  return (await db.$client.prepare(LIVE_BOOKINGS_SQL).bind(customerId, now).first<{ n: number }>())?.n ?? 0;
}

/** The customer's unconfirmed live holds. */
export async function liveHoldsCount(db: Database, customerId: string, now: number): Promise<number> {
  return (await db.$client.prepare(LIVE_HOLDS_SQL).bind(customerId, now).first<{ n: number }>())?.n ?? 0;
}

/** Seats taken at one start and end: a listing reads one row per slot occupied, not one per seat. */
export interface SeatGroup {
  startsAt: number;
  endsAt: number;
  seats: number;
  /** The earliest hold among them (its `hold_expires_at`); null when all are booked. It stops counting HOLD_GRACE_MS later, with no write. */
  heldUntil: number | null;
}

/** The SQL of `seatsBetween` (?1 offer, ?2 lowest start, ?3 highest start excluded, ?4 listing's first start, ?5 now). Exported for the index test. */
export const SEATS_BETWEEN_SQL = `select b.starts_at as startsAt, b.ends_at as endsAt, count(*) as seats,
     min(case when b.status = 'held' then b.hold_expires_at end) as heldUntil from bookings b
     where b.offer_id = ?1 and b.starts_at >= ?2 and b.starts_at < ?3 and b.ends_at > ?4 and ${seatTaken('b', '?5')}
     group by b.starts_at, b.ends_at order by b.starts_at`;

/** Taken seats of an offer that may overlap [from, to), counted per (start, end): ONE indexed range read for a whole listing. */
export async function seatsBetween(db: Database, offerId: string, from: number, to: number, now: number): Promise<SeatGroup[]> {
  const { results } = await db.$client.prepare(SEATS_BETWEEN_SQL).bind(offerId, from - MAX_DURATION_MS, to, from, now).all<SeatGroup>();
  return results;
}

// ---------------------------------------------------------------------------
// Offers

export interface OfferRecord {
  id: string;
  locationId: string;
  kind: OfferKind;
  label: string;
  durationMinutes: number;
  capacity: number;
  active: boolean;
  updatedAt: number;
  version: number;
}

type OfferSqlRow = { id: string; location_id: string; kind: OfferKind; label: string; duration_minutes: number; capacity: number; active: number; updated_at: number; version: number };
const toOffer = (r: OfferSqlRow): OfferRecord => ({
  id: r.id, locationId: r.location_id, kind: r.kind, label: r.label, durationMinutes: r.duration_minutes, capacity: r.capacity,
  active: Boolean(r.active), updatedAt: r.updated_at, version: r.version,
});

export async function findOffer(db: Database, offerId: string): Promise<OfferRecord | undefined> {
  const row = await db.$client.prepare('select * from office_offers where id = ?').bind(offerId).first<OfferSqlRow>();
  return row ? toOffer(row) : undefined;
}

/** An office's offers (active ones, or all) and its list's version (0: never set), read at one instant. */
export async function offersAt(db: Database, locationId: string, options: { all?: boolean } = {}): Promise<{ version: number; offers: OfferRecord[] }> {
  const d1 = db.$client;
  const [sheet, rows] = await d1.batch<unknown>([
    d1.prepare('select version from office_offer_sheets where location_id = ?').bind(locationId),
    d1.prepare(`select * from office_offers where location_id = ?1 and (?2 = 1 or active = 1) order by kind, label, id`).bind(locationId, options.all ? 1 : 0),
  ]);
  return {
    version: (sheet!.results[0] as { version: number } | undefined)?.version ?? 0,
    offers: (rows!.results as OfferSqlRow[]).map(toOffer),
  };
}

/** The SQL of `peaksAt` (?1 office, ?2 now). Exported for the index test. */
export const PEAKS_SQL = `select b.offer_id as offerId, b.starts_at as startsAt, ${concurrentAtStart('b', '?2')} as seats
     from bookings b where b.location_id = ?1 and b.starts_at > ?2 - ${MAX_DURATION_MS} and b.ends_at > ?2 and ${seatTaken('b', '?2')}
     order by seats desc, b.starts_at`;

/**
 * The SQL condition "no upcoming taken seat of the office ?1 (at ?3) sees more seats at once than the
 * capacity `json` gives its offer" (`json`: the parameter holding `[[offer id, capacity], …]`).
 */
export const capacitiesFit = (json: string) => `not exists (select 1 from json_each(${json}) j join bookings b on b.offer_id = j.value ->> '$[0]'
      where b.location_id = ?1 and b.starts_at > ?3 - ${MAX_DURATION_MS} and b.ends_at > ?3 and ${seatTaken('b', '?3')}
        and ${concurrentAtStart('b', '?3')} > j.value ->> '$[1]')`;

/** For each offer of the office, its busiest upcoming moment: the most live seats at once, and the first start where it is reached. */
export async function peaksAt(db: Database, locationId: string, now: number): Promise<Map<string, { seats: number; startsAt: number }>> {
  const { results } = await db.$client.prepare(PEAKS_SQL).bind(locationId, now).all<{ offerId: string; startsAt: number; seats: number }>();
  const peaks = new Map<string, { seats: number; startsAt: number }>();
  for (const row of results) if (!peaks.has(row.offerId)) peaks.set(row.offerId, { seats: row.seats, startsAt: row.startsAt });
  return peaks;
}

// ---------------------------------------------------------------------------
// Bookings

export interface BookingRecord {
  id: string;
  customerId: string;
  locationId: string;
  officeName: string;
  timeZone: string;
  offerId: string;
  offerLabel: string;
  kind: OfferKind;
  startsAt: number;
  endsAt: number;
  /** As stored (a lapsed hold still reads `held` here; the views say `expired`). */
  status: BookingStatus;
  holdExpiresAt: number;
  requestKey: string;
  parcels: number | null;
  createdAt: number;
  confirmedAt: number | null;
  cancelledAt: number | null;
  /** For the counter's day only. */
  customerName?: string | null;
  company?: string | null;
}

const BOOKING_SELECT = `select b.id, b.customer_id as customerId, b.location_id as locationId, l.name as officeName, l.time_zone as timeZone,
    b.offer_id as offerId, f.label as offerLabel, b.kind, b.starts_at as startsAt, b.ends_at as endsAt, b.status,
    b.hold_expires_at as holdExpiresAt, b.request_key as requestKey, b.parcels, b.created_at as createdAt,
    b.confirmed_at as confirmedAt, b.cancelled_at as cancelledAt
  from bookings b join office_offers f on f.id = b.offer_id join locations l on l.id = b.location_id`;

export async function findBooking(db: Database, id: string): Promise<BookingRecord | undefined> {
  return (await db.$client.prepare(`${BOOKING_SELECT} where b.id = ?`).bind(id).first<BookingRecord>()) ?? undefined;
}

export async function bookingByKey(db: Database, customerId: string, requestKey: string): Promise<BookingRecord | undefined> {
  return (await db.$client.prepare(`${BOOKING_SELECT} where b.customer_id = ?1 and b.request_key = ?2`).bind(customerId, requestKey).first<BookingRecord>()) ?? undefined;
}

/** A customer's bookings: upcoming live ones first (soonest first), then the others (newest first); at most `limit`. */
export async function bookingsOfCustomer(db: Database, customerId: string, now: number, limit = 100): Promise<BookingRecord[]> {
  const { results } = await db.$client.prepare(
    `${BOOKING_SELECT} where b.customer_id = ?1
     order by case when b.ends_at > ?2 and ${liveSeat('b', '?2')} then 0 else 1 end,
       case when b.ends_at > ?2 and ${liveSeat('b', '?2')} then b.starts_at else -b.created_at end
     limit ?3`,
  ).bind(customerId, now, limit).all<BookingRecord>();
  return results;
}

/** An office's live seats starting in [from, to), with what the clerk needs to know who comes: a name, a company (booked seats only). */
export async function bookingsAtOffice(db: Database, locationId: string, from: number, to: number, now: number): Promise<BookingRecord[]> {
  const { results } = await db.$client.prepare(
    `select * from (${BOOKING_SELECT.replace('from bookings b', `, case when b.status = 'booked' then c.name end as customerName,
         case when b.status = 'booked' then p.company end as company from bookings b`)}
       join customers c on c.id = b.customer_id left join pro_profiles p on p.customer_id = b.customer_id
       where b.location_id = ?1 and b.starts_at >= ?2 and b.starts_at < ?3 and ${liveSeat('b', '?4')}) order by startsAt, id`,
  ).bind(locationId, from, to, now).all<BookingRecord>();
  return results;
}

// ---------------------------------------------------------------------------
// The closure round (./jobs.ts)

/**
 * The SQL of `officesWithUpcomingSeats` (?1 now, ?2 highest start excluded): the offices with an offer that
 * has a live seat starting in (now, ?2). One probe of the (offer, start) index per offer, never a scan of
 * all seats. Exported for the index test.
 */
export const OFFICES_WITH_UPCOMING_SQL = `select distinct f.location_id as locationId from office_offers f
     where exists (select 1 from bookings b where b.offer_id = f.id and b.starts_at > ?1 and b.starts_at < ?2 and ${liveSeat('b', '?1')})
     order by f.location_id`;

/** The offices that have live seats starting after `now` and before `before`. */
export async function officesWithUpcomingSeats(db: Database, now: number, before: number): Promise<string[]> {
  const { results } = await db.$client.prepare(OFFICES_WITH_UPCOMING_SQL).bind(now, before).all<{ locationId: string }>();
  return results.map((r) => r.locationId);
}

/** The SQL of `upcomingLiveSeats` (?1 office, ?2 now, ?3 highest start excluded, ?4 limit): on the (office, start) index. */
export const UPCOMING_LIVE_SEATS_SQL = `${BOOKING_SELECT} where b.location_id = ?1 and b.starts_at > ?2 and b.starts_at < ?3 and ${liveSeat('b', '?2')}
     order by b.starts_at, b.id limit ?4`;

/** An office's live seats (booked, or held with the hold running) starting after `now` and before `before`, soonest first; at most `limit`. */
export async function upcomingLiveSeats(db: Database, locationId: string, now: number, before: number, limit: number): Promise<BookingRecord[]> {
  const { results } = await db.$client.prepare(UPCOMING_LIVE_SEATS_SQL).bind(locationId, now, before, limit).all<BookingRecord>();
  return results;
}

/**
 * THE write of a move: the seat becomes `moved` (freed: it no longer counts for the capacity; `cancelled_at`
 * says when) only if it is still live at ?2 and still starts after ?2. `returning id`: one row when moved.
 */
export function moveSeat(d1: D1Database, bookingId: string, now: number): D1PreparedStatement {
  return d1.prepare(`update bookings set status = 'moved', cancelled_at = ?2 where id = ?1 and starts_at > ?2 and ${liveSeat('bookings', '?2')} returning id`)
    .bind(bookingId, now);
}

/**
 * Moved seats whose message is not queued yet (the queue refused it at the
 * move) and that are still upcoming, oldest move first. Those whose time has
 * passed are marked told first, unsent: "your seat was freed" after its
 * time would only confuse.
 */
export async function untoldMovedSeats(db: Database, now: number, limit: number): Promise<BookingRecord[]> {
  const d1 = db.$client;
  const [, upcoming] = await d1.batch<BookingRecord>([
    d1.prepare(`update bookings set moved_told_at = ?1 where status = 'moved' and moved_told_at is null and starts_at <= ?1`).bind(now),
    d1.prepare(`${BOOKING_SELECT} where b.status = 'moved' and b.moved_told_at is null and b.starts_at > ?1 order by b.cancelled_at, b.id limit ?2`).bind(now, limit),
  ]);
  return upcoming!.results;
}

/** Records that a moved seat's message was queued. */
export async function markMovedTold(db: Database, bookingId: string, now: number): Promise<void> {
  await db.$client.prepare(`update bookings set moved_told_at = ?2 where id = ?1 and status = 'moved' and moved_told_at is null`).bind(bookingId, now).run();
}

/** Who a booking's message goes to: the account's address and quiet hours (in the customer's own time zone). */
export interface BookingRecipient { email: string; quietStart: string; quietEnd: string; timeZone: string }

export async function recipientOf(db: Database, customerId: string): Promise<BookingRecipient | undefined> {
  return (await db.$client.prepare('select email, quiet_start as quietStart, quiet_end as quietEnd, time_zone as timeZone from customers where id = ?')
    .bind(customerId).first<BookingRecipient>()) ?? undefined;
}
