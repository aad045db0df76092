/**
 * @module
 * Booking a seat at an office: an appointment with an advisor, or a
 * deposit slot for pre-paid parcels (professional accounts only). The API
 * (./routes.ts) and, later, the pages call these use cases.
 *
 * Two steps: a request holds a seat for HOLD_MINUTES, then the customer
 * confirms it. The seat is taken by ONE conditional insert in ONE D1 batch
 * (store.ts `takeSeat`): it counts the live seats of the offer that
 * overlap the slot (booked, or held and not lapsed) and inserts only if
 * there are fewer than the capacity. D1 runs a batch as one transaction
 * on its single writer, so two requests never both take the last seat.
 * A lapsed hold counts for nothing once HOLD_GRACE_MS has passed too (the
 * count's own condition; the grace covers clocks that differ between
 * requests, store.ts), a cancelled seat at once: no job is needed for
 * correctness. A customer has at most MAX_LIVE_HOLDS holds awaiting
 * confirmation, and a slot under way can no longer be confirmed.
 *
 * Idempotent on the request key (Idempotency-Key): the same key is the
 * same booking, whatever happened to it since; the same key with another
 * body is refused. Every write carries the customer's history entry in the
 * same batch, conditioned on the change it records.
 */
import { sql } from 'drizzle-orm';
import type { LocationRow } from '../../db/schema';
import type { BookingStatus, OfferKind } from '../../db/vocabulary';
import { historyInsertIf } from '../accounts/history';
import type { Database } from '../database';
import type { Schedule } from '../hours/model';
import { scheduleAt } from '../hours/use-cases';
import { addDays, DAY_MS, instantAt, isValidDate, localParts, parseDay } from '../hours/zoned-time';
import { COUNTER_LOCATION_TYPES } from '../locations/catalog';
import { findLocation } from '../locations/queries';
import { isProfessional } from '../pro/profile';
import { officeAndSchedule } from './kept-offices';
import type { Staff } from '../staff/tokens';
import { mayReadBookings, offerPlace } from './offers';
import {
  BOOKING_HORIZON_DAYS, nearestSlots, type Slot, SLOT_REFUSAL_LABELS, type SlotRefusal, slotRefusal, slotsOf,
} from './slots';
import {
  type BookingRecord, bookingByKey, bookingsAtOffice, bookingsOfCustomer, findBooking, findOffer, HOLD_GRACE_MS, liveBookingsCount, liveHoldsCount, MAX_DURATION_MS,
  MAX_LIVE_BOOKINGS, MAX_LIVE_HOLDS, type OfferRecord, type SeatGroup, seatsBetween, takeSeat,
} from './store';

/** How long a seat is held while the customer confirms. */
export const HOLD_MINUTES = 5;
/** Free slots a refusal proposes. */
export const ALTERNATIVES_SHOWN = 3;
/** Parcels a deposit may announce. */
export const MAX_PARCELS = 500;

/** Digits 2–9 and the capitals without I and O: 32 characters, one random byte gives one evenly (`byte & 31`). */
const ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const BOOKING_ID_PATTERN = /^RDV-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/;
/** A request's one-time key: 8 to 100 visible ASCII characters. */
export const REQUEST_KEY_PATTERN = /^[\x21-\x7e]{8,100}$/;

export function bookingReference(randomBytes: (count: number) => Uint8Array = (count) => crypto.getRandomValues(new Uint8Array(count))): string {
  return `RDV-${[...randomBytes(8)].map((byte) => ALPHABET[byte & 31]).join('')}`;
}

/** A booking as customers and staff read it: a lapsed hold reads `expired`. */
export interface BookingView extends Omit<BookingRecord, 'status' | 'requestKey'> {
  status: BookingStatus;
}

export function viewOf(record: BookingRecord, now: Date): BookingView {
  const { requestKey: _key, ...rest } = record;
  const lapsed = record.status === 'held' && record.holdExpiresAt <= now.getTime();
  return { ...rest, status: lapsed ? 'expired' : record.status };
}

/** A slot with the seats left in it. */
export interface FreeSlot extends Slot { remaining: number }

// ---------------------------------------------------------------------------
// Where and what

type OfficeRefusal = { ok: false; problem: 'unknown_office' } | { ok: false; problem: 'no_counter'; officeName: string };
type OfferProblem = { ok: false; problem: 'invalid'; field: string; reason: string; refusal?: SlotRefusal };

/** Whether a location takes bookings: in service, with a counter. */
const takesBookings = (location: LocationRow) => location.status === 'active' && COUNTER_LOCATION_TYPES.has(location.type);

/** An office that takes bookings: in the network, open, with a counter. */
async function bookableOffice(db: Database, locationId: string): Promise<{ ok: true; location: LocationRow } | OfficeRefusal> {
  const location = await findLocation(db, locationId);
  if (!location) return { ok: false, problem: 'unknown_office' };
  if (!takesBookings(location)) return { ok: false, problem: 'no_counter', officeName: location.name };
  return { ok: true, location };
}

/** The active offer of that office (of that kind, when named), or a refusal naming `field`. */
async function offerAt(db: Database, locationId: string, offerId: string, field: string, kind?: OfferKind): Promise<{ ok: true; offer: OfferRecord } | OfferProblem> {
  const offer = offerId.length <= 40 ? await findOffer(db, offerId) : undefined;
  if (!offer || offer.locationId !== locationId || !offer.active) {
    return { ok: false, problem: 'invalid', field, reason: `${field} : ce bureau n’a pas d’offre active de cet identifiant (voir GET /api/v1/offices/${locationId}/offers)` };
  }
  if (kind && offer.kind !== kind) {
    return { ok: false, problem: 'invalid', field, reason: `${field} : cette offre est ${offer.kind === 'deposit' ? 'un créneau de dépôt' : 'un rendez-vous'}, pas ${kind === 'deposit' ? 'un créneau de dépôt' : 'un rendez-vous'}` };
  }
  return { ok: true, offer };
}

/**
 * The instant a request names: an ISO 8601 instant with its offset
 * (`2026-12-01T10:30:00+01:00`, `…Z`), or the office's local wall-clock
 * time (`2026-12-01T10:30`). A local time that does not exist that day
 * (the spring change of time) is refused.
 */
export function startsAtOf(text: string, timeZone: string): { ok: true; at: number } | { ok: false; reason: string } {
  const instant = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (instant) {
    const at = Date.parse(text);
    if (!isValidDate(instant[1]!) || Number.isNaN(at)) return { ok: false, reason: 'starts_at : date ou heure invalide' };
    return { ok: true, at };
  }
  const local = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::00)?$/.exec(text);
  if (!local) return { ok: false, reason: 'starts_at : instant ISO 8601 avec fuseau (2026-12-01T10:30:00+01:00) ou heure locale du bureau (2026-12-01T10:30) attendu' };
  const [, date, time] = local;
  if (!isValidDate(date!) || !/^([01]\d|2[0-3]):[0-5]\d$/.test(time!)) return { ok: false, reason: 'starts_at : date ou heure invalide' };
  const at = instantAt(date!, time!, timeZone).getTime();
  const back = localParts(at, timeZone);
  const [hours, minutes] = time!.split(':').map(Number);
  if (back.date !== date || back.minutes !== hours! * 60 + minutes!) {
    return { ok: false, reason: `starts_at : ${time} n’existe pas le ${date} dans ce bureau (changement d’heure)` };
  }
  return { ok: true, at };
}

// ---------------------------------------------------------------------------
// Slots

/** Each slot with its seats left: ONE range read of the offer's taken seats (grouped by start and end), then counted per slot (overlaps, as the insert counts). */
async function withRemaining(db: Database, offer: OfferRecord, slots: readonly Slot[], now: Date): Promise<FreeSlot[]> {
  if (slots.length === 0) return [];
  return remainingOf(offer, slots, await seatsBetween(db, offer.id, slots[0]!.startsAt, slots.at(-1)!.endsAt, now.getTime()));
}

/** Each slot with the seats left, from the taken seats (by start) of the offer around them. */
function remainingOf(offer: OfferRecord, slots: readonly Slot[], seats: readonly SeatGroup[]): FreeSlot[] {
  let low = 0;
  return slots.map((slot) => {
    while (low < seats.length && seats[low]!.startsAt <= slot.startsAt - MAX_DURATION_MS) low++;
    let taken = 0;
    for (let i = low; i < seats.length && seats[i]!.startsAt < slot.endsAt; i++) if (seats[i]!.endsAt > slot.startsAt) taken += seats[i]!.seats;
    return { ...slot, remaining: Math.max(0, offer.capacity - taken) };
  });
}

/**
 * A listing stays true until its first slot starts (it is then past) or a
 * hold it counts lapses (a lapse writes nothing), and at most this long
 * (the default `from`, today, moves at midnight). Every other change is a
 * write that moves the edge key (worker/edge/resources.ts).
 */
export const SLOTS_FRESH_MAX_MS = 15 * 60_000;

/** Until when a listing of `slots` read with `seats` at `now` stays true (see SLOTS_FRESH_MAX_MS). */
export function listingHoldsUntil(slots: readonly Slot[], seats: readonly SeatGroup[], now: number): number {
  let until = now + SLOTS_FRESH_MAX_MS;
  if (slots.length > 0) until = Math.min(until, slots[0]!.startsAt);
  for (const group of seats) if (group.heldUntil !== null) until = Math.min(until, group.heldUntil + HOLD_GRACE_MS);
  return Math.max(now, until);
}

export type SlotsResult =
  | { ok: true; location: LocationRow; offer: OfferRecord; from: string; days: number; slots: FreeSlot[]; holdsUntil: number }
  | OfficeRefusal | OfferProblem;

/**
 * The slots of an offer from local date `from` (default today) for `days` days (default and at most
 * the horizon, never beyond it), each with its seats left: the office's real hours, in its time zone.
 */
export async function slotsListing(db: Database, input: { locationId: string; offerId: string; from?: string; days?: number; now: Date }): Promise<SlotsResult> {
  // The office and its hours as kept by this isolate while their version holds (kept-offices.ts); then the offer and its seats at once.
  const office = await officeAndSchedule(db, input.locationId, input.now);
  if (!office) return { ok: false, problem: 'unknown_office' };
  const { location, schedule } = office;
  if (!takesBookings(location)) return { ok: false, problem: 'no_counter', officeName: location.name };
  const nowMs = input.now.getTime();
  const [found, seats] = await Promise.all([
    offerAt(db, location.id, input.offerId, 'offer'),
    input.offerId.length <= 40 ? seatsBetween(db, input.offerId, nowMs, nowMs + (BOOKING_HORIZON_DAYS + 1) * DAY_MS, nowMs) : Promise.resolve([]),
  ]);
  if (!found.ok) return found;
  const today = localParts(input.now, location.timeZone).date;
  const from = input.from ?? today;
  if (!isValidDate(from)) return { ok: false, problem: 'invalid', field: 'from', reason: 'from : une date qui existe (AAAA-MM-JJ) attendue' };
  const offset = parseDay(from) - parseDay(today);
  if (offset < 0 || offset >= BOOKING_HORIZON_DAYS) {
    return { ok: false, problem: 'invalid', field: 'from', reason: `from : une date d’aujourd’hui (${today}) au ${addDays(today, BOOKING_HORIZON_DAYS - 1)}` };
  }
  const days = Math.min(input.days ?? BOOKING_HORIZON_DAYS, BOOKING_HORIZON_DAYS - offset);
  const slots = slotsOf(schedule, found.offer.durationMinutes, input.now, offset + days).filter((slot) => slot.date >= from);
  return { ok: true, location, offer: found.offer, from, days, slots: remainingOf(found.offer, slots, seats), holdsUntil: listingHoldsUntil(slots, seats, nowMs) };
}

/** The ALTERNATIVES_SHOWN free slots of `offer` nearest to `wanted` (ms), over the next BOOKING_HORIZON_DAYS: a full slot's refusal, a moved seat's message. */
export async function alternativesFor(db: Database, schedule: Schedule, offer: OfferRecord, wanted: number, now: Date): Promise<Slot[]> {
  const listed = await withRemaining(db, offer, slotsOf(schedule, offer.durationMinutes, now, BOOKING_HORIZON_DAYS), now);
  const free = new Set(listed.filter((slot) => slot.remaining > 0).map((slot) => slot.startsAt));
  return nearestSlots(listed, wanted, (slot) => free.has(slot.startsAt), ALTERNATIVES_SHOWN);
}

// ---------------------------------------------------------------------------
// Booking

export interface BookInput {
  customerId: string;
  locationId: string;
  /** Which door: `/appointments` or `/deposit-slots`. */
  kind: OfferKind;
  offerId: string;
  startsAt: string;
  parcels?: number;
  requestKey: string;
  now: Date;
}

export type BookRefusal =
  | OfficeRefusal
  | OfferProblem
  /** Deposit slots are for professional accounts. */
  | { ok: false; problem: 'not_professional' }
  | { ok: false; problem: 'key_reused'; booking: BookingView }
  | { ok: false; problem: 'too_many' }
  /** MAX_LIVE_HOLDS holds await confirmation already. */
  | { ok: false; problem: 'too_many_holds' }
  /** The offer changed while the request was decided, twice in a row: nothing was written. */
  | { ok: false; problem: 'offer_changed' }
  /** No seat left in that slot: the nearest free ones. */
  | { ok: false; problem: 'full'; officeName: string; offerLabel: string; timeZone: string; alternatives: Slot[] };

export type BookResult = { ok: true; booking: BookingView; replayed: boolean } | BookRefusal;

/** "Dépôt de colis · Lille Centre · RDV-…": a history entry's detail (no personal data). */
export const historyDetail = (b: { id: string; offerLabel: string; officeName: string; startsAt: number; timeZone: string }) => {
  const local = localParts(b.startsAt, b.timeZone);
  const time = `${String(Math.floor(local.minutes / 60)).padStart(2, '0')}:${String(local.minutes % 60).padStart(2, '0')}`;
  return `${b.offerLabel} · ${b.officeName} · ${local.date} ${time} · ${b.id}`.slice(0, 200);
};

/** The same request again: the same booking; another body with the same key: refused. */
function replay(existing: BookingRecord, input: BookInput, startsAt: number | undefined, now: Date): BookResult {
  const same = existing.locationId === input.locationId && existing.kind === input.kind && existing.offerId === input.offerId
    && existing.startsAt === startsAt && (existing.parcels ?? null) === (input.parcels ?? null);
  const booking = viewOf(existing, now);
  return same ? { ok: true, booking, replayed: true } : { ok: false, problem: 'key_reused', booking };
}

/** Holds a seat for HOLD_MINUTES at the slot asked, or says why not (a full slot: with the nearest free ones). */
export async function book(db: Database, input: BookInput): Promise<BookResult> {
  return bookOnce(db, input, 2);
}

async function bookOnce(db: Database, input: BookInput, attempts: number): Promise<BookResult> {
  if (!REQUEST_KEY_PATTERN.test(input.requestKey)) {
    return { ok: false, problem: 'invalid', field: 'Idempotency-Key', reason: 'Idempotency-Key : 8 à 100 caractères ASCII visibles' };
  }
  const office = await bookableOffice(db, input.locationId);
  if (!office.ok) return office;
  const { location } = office;
  const requested = startsAtOf(input.startsAt, location.timeZone);
  // The key first: a retry gets its booking even once the slot has passed or filled up.
  const existing = await bookingByKey(db, input.customerId, input.requestKey);
  if (existing) return replay(existing, input, requested.ok ? requested.at : undefined, input.now);

  const found = await offerAt(db, location.id, input.offerId, 'offer_id', input.kind);
  if (!found.ok) return found;
  const { offer } = found;
  if (!requested.ok) return { ok: false, problem: 'invalid', field: 'starts_at', reason: requested.reason };
  if (input.kind === 'appointment' && input.parcels !== undefined) {
    return { ok: false, problem: 'invalid', field: 'parcels', reason: 'parcels : seulement pour un créneau de dépôt' };
  }
  if (input.parcels !== undefined && (!Number.isInteger(input.parcels) || input.parcels < 1 || input.parcels > MAX_PARCELS)) {
    return { ok: false, problem: 'invalid', field: 'parcels', reason: `parcels : nombre entier de 1 à ${MAX_PARCELS}` };
  }
  if (input.kind === 'deposit' && !(await isProfessional(db, input.customerId))) return { ok: false, problem: 'not_professional' };

  const schedule = await scheduleAt(db, location, input.now);
  const refusal = slotRefusal(schedule, offer.durationMinutes, requested.at, input.now);
  if (refusal) return { ok: false, problem: 'invalid', field: 'starts_at', reason: `starts_at : ${SLOT_REFUSAL_LABELS[refusal]}`, refusal };

  const id = bookingReference();
  const at = input.now.getTime();
  const startsAt = requested.at;
  const d1 = db.$client;
  const entry = historyInsertIf(db, {
    customerId: input.customerId, kind: 'booking.held', at: input.now, where: { channel: 'web' },
    detail: historyDetail({ id, offerLabel: offer.label, officeName: location.name, startsAt, timeZone: location.timeZone }),
  }, sql`exists (select 1 from bookings where id = ${id})`).toSQL();
  const [taken] = await d1.batch([
    takeSeat(d1, {
      id, customerId: input.customerId, locationId: location.id, offerId: offer.id, kind: offer.kind, startsAt, endsAt: startsAt + offer.durationMinutes * 60_000,
      holdExpiresAt: at + HOLD_MINUTES * 60_000, requestKey: input.requestKey, parcels: input.parcels ?? null, offerVersion: offer.version, now: at,
    }),
    d1.prepare(entry.sql).bind(...entry.params),
  ]);
  if (taken!.results.length === 1) return { ok: true, booking: viewOf((await findBooking(db, id))!, input.now), replayed: false };

  // Refused: say why. The same key may have won a moment before (a double submission).
  const raced = await bookingByKey(db, input.customerId, input.requestKey);
  if (raced) return replay(raced, input, startsAt, input.now);
  if ((await liveBookingsCount(db, input.customerId, at)) >= MAX_LIVE_BOOKINGS) return { ok: false, problem: 'too_many' };
  if ((await liveHoldsCount(db, input.customerId, at)) >= MAX_LIVE_HOLDS) return { ok: false, problem: 'too_many_holds' };
  if (input.kind === 'deposit' && !(await isProfessional(db, input.customerId))) return { ok: false, problem: 'not_professional' };
  // The offer may have been withdrawn or changed between the read and the write: that is not "full".
  const current = await offerAt(db, location.id, offer.id, 'offer_id', input.kind);
  if (!current.ok) return current;
  if (current.offer.version !== offer.version) return attempts > 1 ? bookOnce(db, input, attempts - 1) : { ok: false, problem: 'offer_changed' };
  return {
    ok: false, problem: 'full', officeName: location.name, offerLabel: offer.label, timeZone: location.timeZone,
    alternatives: await alternativesFor(db, schedule, offer, startsAt, input.now),
  };
}

// ---------------------------------------------------------------------------
// Confirming, cancelling, reading

export type ChangeResult =
  | { ok: true; booking: BookingView; already: boolean }
  /** Unknown, or another customer's: the same answer (no existence leak). */
  | { ok: false; problem: 'not_found' }
  /** The hold lapsed, it was cancelled, or the slot has passed. */
  | { ok: false; problem: 'closed'; booking: BookingView };

async function ownBooking(db: Database, customerId: string, bookingId: string): Promise<BookingRecord | undefined> {
  const id = bookingId.trim().toUpperCase();
  if (!BOOKING_ID_PATTERN.test(id)) return undefined;
  const booking = await findBooking(db, id);
  return booking && booking.customerId === customerId ? booking : undefined;
}

/** Turns the customer's live hold into a booking; confirming a booked seat again changes nothing. */
export async function confirmBooking(db: Database, input: { customerId: string; bookingId: string; now: Date }): Promise<ChangeResult> {
  const record = await ownBooking(db, input.customerId, input.bookingId);
  if (!record) return { ok: false, problem: 'not_found' };
  const before = viewOf(record, input.now);
  if (before.status === 'booked') return { ok: true, booking: before, already: true };
  const at = input.now.getTime();
  // A slot already under way cannot be confirmed.
  if (before.status !== 'held' || record.startsAt <= at) return { ok: false, problem: 'closed', booking: before };
  const d1 = db.$client;
  const stillHeld = sql`exists (select 1 from bookings where id = ${record.id} and customer_id = ${input.customerId} and status = 'held' and hold_expires_at > ${at} and starts_at > ${at})`;
  const entry = historyInsertIf(db, { customerId: input.customerId, kind: 'booking.confirmed', at: input.now, where: { channel: 'web' }, detail: historyDetail(record) }, stillHeld).toSQL();
  const [, confirmed] = await d1.batch([
    // Before the change, with its own condition: written only by the batch that confirms.
    d1.prepare(entry.sql).bind(...entry.params),
    d1.prepare(`update bookings set status = 'booked', confirmed_at = ?3 where id = ?1 and customer_id = ?2 and status = 'held' and hold_expires_at > ?3 and starts_at > ?3 returning id`)
      .bind(record.id, input.customerId, at),
  ]);
  const after = viewOf((await findBooking(db, record.id))!, input.now);
  if (confirmed!.results.length === 1) return { ok: true, booking: after, already: false };
  return after.status === 'booked' ? { ok: true, booking: after, already: true } : { ok: false, problem: 'closed', booking: after };
}

/** The customer cancels a held or booked seat that has not started: free at once. Cancelling again changes nothing. */
export async function cancelBooking(db: Database, input: { customerId: string; bookingId: string; now: Date }): Promise<ChangeResult> {
  const record = await ownBooking(db, input.customerId, input.bookingId);
  if (!record) return { ok: false, problem: 'not_found' };
  const before = viewOf(record, input.now);
  if (before.status === 'cancelled') return { ok: true, booking: before, already: true };
  const at = input.now.getTime();
  if (before.status === 'expired' || record.startsAt <= at) return { ok: false, problem: 'closed', booking: before };
  const d1 = db.$client;
  const live = `id = ?1 and customer_id = ?2 and starts_at > ?3 and (status = 'booked' or (status = 'held' and hold_expires_at > ?3))`;
  const entry = historyInsertIf(db, { customerId: input.customerId, kind: 'booking.cancelled', at: input.now, where: { channel: 'web' }, detail: historyDetail(record) },
    sql`exists (select 1 from bookings where id = ${record.id} and customer_id = ${input.customerId} and starts_at > ${at} and (status = 'booked' or (status = 'held' and hold_expires_at > ${at})))`).toSQL();
  const [, cancelled] = await d1.batch([
    d1.prepare(entry.sql).bind(...entry.params),
    d1.prepare(`update bookings set status = 'cancelled', cancelled_at = ?3 where ${live} returning id`).bind(record.id, input.customerId, at),
  ]);
  const after = viewOf((await findBooking(db, record.id))!, input.now);
  if (cancelled!.results.length === 1) return { ok: true, booking: after, already: false };
  return after.status === 'cancelled' ? { ok: true, booking: after, already: true } : { ok: false, problem: 'closed', booking: after };
}

/** One of the customer's bookings; undefined when unknown or another customer's (the same answer: no existence leak). */
export async function bookingOf(db: Database, input: { customerId: string; bookingId: string; now: Date }): Promise<BookingView | undefined> {
  const record = await ownBooking(db, input.customerId, input.bookingId);
  return record ? viewOf(record, input.now) : undefined;
}

/** The customer's bookings: upcoming live ones first, soonest first; then the others, newest first. */
export async function bookingsOf(db: Database, customerId: string, now: Date): Promise<BookingView[]> {
  return (await bookingsOfCustomer(db, customerId, now.getTime())).map((b) => viewOf(b, now));
}

export type OfficeDay =
  | { ok: true; location: LocationRow; date: string; bookings: BookingView[] }
  | { ok: false; problem: 'not_found' } | { ok: false; problem: 'forbidden'; why: 'role' | 'scope' }
  | { ok: false; problem: 'invalid'; field: 'date'; reason: string };

/** The counter's day may be read up to this many days before or after today (a year, a leap day included). */
export const OFFICE_DAY_RANGE_DAYS = 366;

/** An office's live seats of one local day (default today), for the counter: who comes, when, for what. */
export async function officeDay(db: Database, staff: Staff, input: { locationId: string; date?: string; now: Date }): Promise<OfficeDay> {
  const place = await offerPlace(db, staff, input.locationId, mayReadBookings);
  if (!place.ok) return place;
  const { location } = place;
  const date = input.date ?? localParts(input.now, location.timeZone).date;
  if (!isValidDate(date)) return { ok: false, problem: 'invalid', field: 'date', reason: 'date : AAAA-MM-JJ attendu (une date qui existe)' };
  const today = localParts(input.now, location.timeZone).date;
  if (Math.abs(parseDay(date) - parseDay(today)) > OFFICE_DAY_RANGE_DAYS) {
    return { ok: false, problem: 'invalid', field: 'date', reason: `date : du ${addDays(today, -OFFICE_DAY_RANGE_DAYS)} au ${addDays(today, OFFICE_DAY_RANGE_DAYS)}` };
  }
  const from = instantAt(date, '00:00', location.timeZone).getTime();
  const to = instantAt(addDays(date, 1), '00:00', location.timeZone).getTime();
  const rows = await bookingsAtOffice(db, location.id, from, to, input.now.getTime());
  return { ok: true, location, date, bookings: rows.map((b) => viewOf(b, input.now)) };
}
