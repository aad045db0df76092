/**
 * @module
 * Offers, slots and bookings as the API answers them: instants in ISO 8601
 * (UTC), with the office's local date and time beside them. No I/O.
 */
import { formatTime, localParts } from '../hours/zoned-time';
import type { BookingView, FreeSlot } from './bookings';
import { OFFER_KIND_LABELS } from './offers';
import type { Slot } from './slots';
import type { OfferRecord } from './store';

/** My bookings, on the site (the pages come in a later step). */
export const MY_BOOKINGS_PATH = '/compte/rendez-vous';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function local(ms: number, timeZone: string) {
  const parts = localParts(ms, timeZone);
  return { date: parts.date, time: formatTime(parts.minutes) };
}

export const presentOffer = (offer: OfferRecord) => ({
  id: offer.id,
  kind: offer.kind,
  kind_label: OFFER_KIND_LABELS[offer.kind],
  label: offer.label,
  duration_minutes: offer.durationMinutes,
  capacity: offer.capacity,
  version: offer.version,
  updated_at: new Date(offer.updatedAt).toISOString(),
});

export const presentSlot = (slot: Slot) => ({ starts_at: iso(slot.startsAt)!, ends_at: iso(slot.endsAt)!, date: slot.date, time: slot.time });

export const presentFreeSlot = (slot: FreeSlot) => ({ ...presentSlot(slot), remaining: slot.remaining });

/** A booking as its customer reads it. */
export const presentBooking = (b: BookingView) => ({
  id: b.id,
  kind: b.kind,
  status: b.status,
  office_id: b.locationId,
  office_name: b.officeName,
  offer_id: b.offerId,
  offer_label: b.offerLabel,
  starts_at: iso(b.startsAt)!,
  ends_at: iso(b.endsAt)!,
  ...local(b.startsAt, b.timeZone),
  time_zone: b.timeZone,
  hold_expires_at: b.status === 'held' ? iso(b.holdExpiresAt) : null,
  parcels: b.parcels,
  created_at: iso(b.createdAt)!,
  confirmed_at: iso(b.confirmedAt),
  cancelled_at: iso(b.cancelledAt),
  path: `${MY_BOOKINGS_PATH}#${b.id}`,
});

/** What the counter reads instead of a name while a seat is only held: who holds it is not yet someone who comes. */
export const HELD_AT_COUNTER = 'réservation en cours de confirmation';

/** A booking as the counter reads it: who comes (a name, a company, once booked), when, for what; no contact details. */
export const presentCounterBooking = (b: BookingView) => ({
  id: b.id,
  kind: b.kind,
  status: b.status,
  offer_id: b.offerId,
  offer_label: b.offerLabel,
  starts_at: iso(b.startsAt)!,
  ends_at: iso(b.endsAt)!,
  time: local(b.startsAt, b.timeZone).time,
  customer_name: b.status === 'booked' ? b.customerName ?? null : HELD_AT_COUNTER,
  company: b.status === 'booked' ? b.company ?? null : null,
  parcels: b.parcels,
});
