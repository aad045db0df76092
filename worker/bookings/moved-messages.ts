/**
 * @module
 * What a moved seat tells its customer: the office closes at the time of
 * the appointment (or deposit slot) after all, the seat is freed, and here
 * are the nearest free slots of the same offer, each with a link that books
 * it. Pure: builds the message, the cron (./jobs.ts) queues it through
 * `messages`, which keeps it out of the customer's quiet hours and, by its
 * idempotency key `booking.moved:<id>`, delivers it once however often it
 * is queued.
 *
 * The links point to the booking page `/rendez-vous/{office id}?offre={offer
 * id}&debut={local YYYY-MM-DDTHH:MM}` (digits, `-`, `T`, `:`: nothing to escape), the local wall-clock time of the
 * office, which the API's `starts_at` also accepts (bookings.ts
 * `startsAtOf`), so the page can hand it over unchanged.
 */
import { localParts } from '../hours/zoned-time';
import type { OutgoingMessage } from '../messages/model';
import type { Slot } from './slots';
import type { BookingRecipient } from './store';

/** The booking page of an office (the links in a moved seat's message). */
export const BOOKING_PAGE_PATH = '/rendez-vous';

/** What the message says about the seat. */
export interface MovedFacts {
  id: string;
  locationId: string;
  officeName: string;
  timeZone: string;
  offerId: string;
  offerLabel: string;
  /** Still a hold awaiting confirmation when it was moved. */
  wasHeld: boolean;
  startsAt: number;
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const hhmm = (minutes: number) => `${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`;

/** "mardi 1 décembre 2026 à 10:30", in the office's own time. */
export function slotWords(startsAt: number, timeZone: string): string {
  const day = new Intl.DateTimeFormat('fr-FR', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone }).format(new Date(startsAt));
  return `${day} à ${hhmm(localParts(startsAt, timeZone).minutes)}`;
}

/** The page that books `slot` of the offer (path only; the message makes it absolute). */
export function bookingLink(locationId: string, offerId: string, slot: Pick<Slot, 'date' | 'time'>): string {
  return `${BOOKING_PAGE_PATH}/${encodeURIComponent(locationId)}?offre=${encodeURIComponent(offerId)}&debut=${slot.date}T${slot.time}`;
}

/** The message of a seat moved because its office closes then; `alternatives`: the nearest free slots (none: says so). */
export function movedMessage(facts: MovedFacts, alternatives: readonly Slot[], to: BookingRecipient, origin: string): OutgoingMessage {
  const when = slotWords(facts.startsAt, facts.timeZone);
  const what = facts.wasHeld ? 'Le créneau que vous aviez retenu' : 'Votre rendez-vous';
  const offers = alternatives.length > 0
    ? [
      'Les créneaux libres les plus proches pour la même prestation (réservez en un clic) :',
      ...alternatives.map((slot) => `- ${slotWords(slot.startsAt, facts.timeZone)} : ${origin}${bookingLink(facts.locationId, facts.offerId, slot)}`),
    ]
    : ['Aucun créneau libre dans les 4 prochaines semaines pour cette prestation pour l’instant ; d’autres bureaux peuvent vous accueillir.'];
  return {
    id: `booking.moved:${facts.id}`,
    channel: 'email',
    to: to.email,
    subject: `${facts.id} : le bureau ${facts.officeName} sera fermé le ${when}`.slice(0, 200),
    text: [
      'Bonjour,',
      '',
      `Le bureau ${facts.officeName} sera fermé le ${when} (heure du bureau).`,
      `${what} (${facts.offerLabel}, référence ${facts.id}) ne peut donc pas avoir lieu : la place est libérée, vous n’avez rien à faire pour l’annuler.`,
      '',
      ...offers,
      '',
      `Vos préférences de messages (heures calmes) : ${origin}/compte`,
    ].join('\n'),
    urgent: false,
    quietHours: { start: to.quietStart, end: to.quietEnd, timeZone: to.timeZone },
  };
}
