/**
 * @module
 * What the no-script booking pages (site/pages/rendez-vous/…,
 * site/pages/compte/rendez-vous.astro) need besides the use cases of
 * ./bookings.ts: the office with its active offers, the booking form read
 * with valibot, the refusals and statuses in French, and the dates as a
 * customer reads them ("mardi 1 déc. à 10 h 15", office time). The pages
 * call these and the use cases; they never query.
 */
import * as v from 'valibot';
import type { LocationRow } from '../../db/schema';
import type { BookingStatus, OfferKind } from '../../db/vocabulary';
import type { Database } from '../database';
import { COUNTER_LOCATION_TYPES } from '../locations/catalog';
import { findLocation } from '../locations/queries';
import { type BookingView, type BookRefusal, HOLD_MINUTES, MAX_PARCELS, REQUEST_KEY_PATTERN } from './bookings';
import { BOOKING_PAGE_PATH } from './moved-messages';
import { MY_BOOKINGS_PATH } from './present';
import { type OfferRecord, MAX_LIVE_BOOKINGS, MAX_LIVE_HOLDS, offersAt } from './store';

export { BOOKING_PAGE_PATH, MY_BOOKINGS_PATH };
/** The step between the hold and the booking: what, where, when, until when to confirm. */
export const CONFIRM_PAGE_PATH = `${BOOKING_PAGE_PATH}/confirmer`;

export const bookingPagePath = (locationId: string, query: { offre?: string; jour?: string; debut?: string } = {}) => {
  const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => Boolean(e[1])));
  const search = params.toString();
  return `${BOOKING_PAGE_PATH}/${encodeURIComponent(locationId)}${search ? `?${search}` : ''}`;
};
export const confirmPagePath = (bookingId: string) => `${CONFIRM_PAGE_PATH}?reference=${encodeURIComponent(bookingId)}`;

export type OfficeOffers =
  | { ok: true; location: LocationRow; offers: OfferRecord[] }
  | { ok: false; problem: 'unknown_office' }
  | { ok: false; problem: 'no_counter'; officeName: string };

/** An office that takes bookings (in the network, open, with a counter) and its active offers: one location read, one batch. */
export async function officeOffers(db: Database, locationId: string): Promise<OfficeOffers> {
  const id = locationId.trim().toUpperCase();
  const location = id.length > 0 && id.length <= 64 ? await findLocation(db, id) : undefined;
  if (!location) return { ok: false, problem: 'unknown_office' };
  if (location.status !== 'active' || !COUNTER_LOCATION_TYPES.has(location.type)) return { ok: false, problem: 'no_counter', officeName: location.name };
  return { ok: true, location, offers: (await offersAt(db, location.id)).offers };
}

// ---------------------------------------------------------------------------
// The booking form

/** The office's local start as the page sends it: `YYYY-MM-DDTHH:MM`. */
export const LOCAL_START_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

const BookForm = v.object({
  offre: v.pipe(v.string(), v.trim(), v.minLength(1, 'offre : choisissez une offre'), v.maxLength(40, 'offre : identifiant trop long')),
  debut: v.pipe(v.string(), v.trim(), v.regex(LOCAL_START_PATTERN, 'créneau : choisissez un créneau de la liste')),
  cle: v.pipe(v.string(), v.regex(REQUEST_KEY_PATTERN, 'formulaire incomplet : rechargez la page et recommencez')),
  colis: v.optional(v.pipe(v.string(), v.trim())),
});

export type BookFormResult =
  | { ok: true; offerId: string; startsAt: string; requestKey: string; parcels?: number }
  | { ok: false; field: 'offre' | 'debut' | 'cle' | 'colis'; message: string };

/**
 * The booking form's fields, read: the offer, the local start, the one-time key, and for a deposit the
 * number of parcels (1 to MAX_PARCELS; an empty field is 1 parcel announced).
 */
export function readBookForm(fields: Record<string, string>, kind: OfferKind | undefined): BookFormResult {
  const parsed = v.safeParse(BookForm, { offre: fields.offre ?? '', debut: fields.debut ?? '', cle: fields.cle ?? '', colis: fields.colis });
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const field = (issue.path?.[0]?.key as 'offre' | 'debut' | 'cle' | undefined) ?? 'offre';
    return { ok: false, field, message: issue.message };
  }
  const { offre, debut, cle, colis } = parsed.output;
  if (kind !== 'deposit') return { ok: true, offerId: offre, startsAt: debut, requestKey: cle };
  const typed = colis ?? '';
  const parcels = typed === '' ? 1 : /^\d{1,4}$/.test(typed) ? Number(typed) : Number.NaN;
  if (!(parcels >= 1 && parcels <= MAX_PARCELS)) return { ok: false, field: 'colis', message: `Nombre de colis : un nombre entier de 1 à ${MAX_PARCELS}.` };
  return { ok: true, offerId: offre, startsAt: debut, requestKey: cle, parcels };
}

/** The HTTP status of a refused booking, as the API answers it. */
export const BOOK_REFUSAL_STATUS: Record<BookRefusal['problem'], number> = {
  unknown_office: 404, no_counter: 409, invalid: 400, not_professional: 403, key_reused: 422, too_many: 409, too_many_holds: 409, offer_changed: 409, full: 409,
};

/** Why a booking was refused, as the page says it. */
export function bookRefusalMessage(refusal: BookRefusal): string {
  switch (refusal.problem) {
    case 'unknown_office':
      return 'Bureau inconnu : vérifiez son identifiant.';
    case 'no_counter':
      return `${refusal.officeName} ne prend ni rendez-vous ni dépôt.`;
    case 'invalid':
      // The use case's reason names the API field; the page's reader chose a slot or an offer.
      return refusal.field === 'starts_at' ? `Ce créneau ne peut pas être réservé : ${refusal.reason.replace(/^starts_at : /, '')}`
        : refusal.field === 'offer_id' ? 'Cette offre n’est plus proposée par ce bureau : choisissez-en une autre.'
          : refusal.field === 'parcels' ? `Nombre de colis : un nombre entier de 1 à ${MAX_PARCELS}.`
            : 'Formulaire incomplet : rechargez la page et recommencez.';
    case 'not_professional':
      return 'Les créneaux de dépôt de colis sont réservés aux comptes professionnels : déclarez d’abord votre entreprise (SIRET) sur la page Compte professionnel de votre compte. Un rendez-vous avec un conseiller reste possible.';
    case 'key_reused':
      return `Ce formulaire a déjà servi à la réservation ${refusal.booking.id} : rechargez la page pour une nouvelle demande.`;
    case 'too_many':
      return `Vous avez déjà ${MAX_LIVE_BOOKINGS} rendez-vous ou dépôts à venir : annulez-en un d’abord.`;
    case 'too_many_holds':
      return `Vous avez déjà ${MAX_LIVE_HOLDS} créneaux en attente de confirmation : confirmez-en ou annulez-en un d’abord (Mes rendez-vous).`;
    case 'offer_changed':
      return 'Le bureau vient de modifier cette offre : rien n’a été réservé. Choisissez de nouveau un créneau.';
    case 'full':
      return `Plus de place pour « ${refusal.offerLabel} » à ${refusal.officeName} à ce créneau. Voici les créneaux libres les plus proches.`;
  }
}

// ---------------------------------------------------------------------------
// Dates and statuses, as read

const partsIn = (ms: number, timeZone: string, options: Intl.DateTimeFormatOptions) =>
  Object.fromEntries(new Intl.DateTimeFormat('fr-FR', { timeZone, ...options }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));

/** "10 h 15", "9 h", in the office's time zone. */
export function timeWords(ms: number, timeZone: string): string {
  const p = partsIn(ms, timeZone, { hour: 'numeric', minute: '2-digit', hourCycle: 'h23' });
  return `${Number(p.hour)} h${p.minute === '00' ? '' : ` ${p.minute}`}`;
}

/** "mardi 1 déc.", in the office's time zone. */
export function dayWords(ms: number, timeZone: string): string {
  const p = partsIn(ms, timeZone, { weekday: 'long', day: 'numeric', month: 'short' });
  return `${p.weekday} ${p.day} ${p.month}`;
}

/** "mardi 1 déc. à 10 h 15", office time. */
export const whenWords = (ms: number, timeZone: string) => `${dayWords(ms, timeZone)} à ${timeWords(ms, timeZone)}`;

/** "mardi 1 déc." for a local date `YYYY-MM-DD` (noon UTC keeps it on that date). */
export const dateWords = (date: string) => dayWords(Date.parse(`${date}T12:00:00Z`), 'UTC');

/** A booking's status as its customer reads it. */
export const BOOKING_STATUS_LABELS: Record<BookingStatus, string> = {
  held: 'à confirmer',
  booked: 'réservé',
  cancelled: 'annulé',
  expired: `expiré (non confirmé dans les ${HOLD_MINUTES} minutes)`,
  moved: 'libéré : le bureau est fermé à cette heure',
};

/** Upcoming and live (held or booked, not started): what may still be cancelled. */
export const isUpcomingLive = (b: Pick<BookingView, 'status' | 'startsAt'>, now: Date) => (b.status === 'held' || b.status === 'booked') && b.startsAt > now.getTime();

/** The status sentence of one booking: "à confirmer avant 10 h 42", "réservé", … */
export function statusWords(b: Pick<BookingView, 'status' | 'holdExpiresAt' | 'timeZone'>): string {
  return b.status === 'held' ? `à confirmer avant ${timeWords(b.holdExpiresAt, b.timeZone)}` : BOOKING_STATUS_LABELS[b.status];
}

/** "Dépôt de colis, mardi 1 déc. à 10 h 15": one booking in a line. */
export const bookingLine = (b: Pick<BookingView, 'offerLabel' | 'startsAt' | 'timeZone'>) => `${b.offerLabel}, ${whenWords(b.startsAt, b.timeZone)}`;
