/**
 * @module
 * The bookings API's inputs and answers, as valibot schemas: they validate
 * requests (French reasons naming the field) and describe the API in
 * OpenAPI (hono-openapi).
 */
import * as v from 'valibot';
import { BOOKING_STATUSES, OFFER_KINDS } from '../../db/vocabulary';
import { isValidDate } from '../hours/zoned-time';
import { LOCATION_ID, ProblemSchema } from '../locations/api-schema';
import { MAX_PARCELS } from './bookings';
import { LABEL_MAX_LENGTH, MAX_CAPACITY, MAX_OFFERS } from './offers';
import { BOOKING_HORIZON_DAYS } from './slots';

export const OfficeParams = v.strictObject({
  id: v.pipe(v.string(), v.regex(LOCATION_ID, 'identifiant invalide : 1 à 32 lettres ou chiffres'), v.toUpperCase()),
});

export const BookingParams = v.strictObject({
  id: v.pipe(v.string(), v.maxLength(20, 'référence invalide : RDV- et 8 caractères')),
});

export const BookBody = v.strictObject({
  offer_id: v.pipe(v.string('offer_id : texte attendu'), v.maxLength(40, 'offer_id : 40 caractères au plus')),
  starts_at: v.pipe(v.string('starts_at : texte attendu (2026-12-01T10:30:00+01:00, ou 2026-12-01T10:30 heure du bureau)'), v.maxLength(40, 'starts_at : 40 caractères au plus')),
  parcels: v.optional(v.config(v.pipe(
    v.number(`parcels : nombre entier de 1 à ${MAX_PARCELS} attendu`),
    v.integer('parcels : nombre entier attendu'),
    v.minValue(1, 'parcels : au moins 1'),
    v.maxValue(MAX_PARCELS, `parcels : ${MAX_PARCELS} au plus`),
  ), { abortPipeEarly: true })),
});

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const SlotsQuery = v.strictObject({
  offer: v.pipe(v.string('offer : obligatoire (identifiant d’une offre du bureau)'), v.minLength(1, 'offer : obligatoire'), v.maxLength(40, 'offer : 40 caractères au plus')),
  from: v.optional(v.pipe(v.string(), v.regex(DATE, 'from : date AAAA-MM-JJ attendue'), v.check(isValidDate, 'from : une date qui existe (AAAA-MM-JJ) attendue'))),
  days: v.optional(v.pipe(
    v.string(),
    v.regex(/^\d{1,2}$/, `days : nombre entier de 1 à ${BOOKING_HORIZON_DAYS}`),
    v.transform(Number),
    v.minValue(1, `days : nombre entier de 1 à ${BOOKING_HORIZON_DAYS}`),
    v.maxValue(BOOKING_HORIZON_DAYS, `days : ${BOOKING_HORIZON_DAYS} au plus (les 4 prochaines semaines)`),
  )),
});

export const DayQuery = v.strictObject({
  date: v.optional(v.pipe(v.string(), v.regex(DATE, 'date : AAAA-MM-JJ attendu'), v.check(isValidDate, 'date : une date qui existe (AAAA-MM-JJ) attendue'))),
});

const OfferItem = v.strictObject({
  id: v.optional(v.pipe(v.string('id : texte attendu'), v.maxLength(40, 'id : 40 caractères au plus'))),
  kind: v.picklist(OFFER_KINDS, 'kind : appointment ou deposit'),
  label: v.pipe(v.string('label : texte attendu'), v.maxLength(LABEL_MAX_LENGTH * 2, `label : ${LABEL_MAX_LENGTH} caractères au plus`)),
  duration_minutes: v.optional(v.number('duration_minutes : nombre entier de minutes attendu')),
  capacity: v.number('capacity : nombre entier attendu (places par créneau)'),
});

export const OffersBody = v.strictObject({
  items: v.pipe(v.array(OfferItem, 'items : liste attendue'), v.maxLength(MAX_OFFERS, `items : ${MAX_OFFERS} offres au plus`)),
});

export const OfferSchema = v.object({
  id: v.string(),
  kind: v.picklist(OFFER_KINDS),
  kind_label: v.string(),
  label: v.string(),
  duration_minutes: v.number(),
  capacity: v.pipe(v.number(), v.description('Seats per slot: advisors (appointment) or parcel batches (deposit)')),
  version: v.number(),
  updated_at: v.string(),
});

export const OfferSheetSchema = v.object({ office_id: v.string(), version: v.number(), items: v.array(OfferSchema) });

export const SlotSchema = v.object({
  starts_at: v.string(), ends_at: v.string(),
  date: v.pipe(v.string(), v.description('Local date at the office')),
  time: v.pipe(v.string(), v.description('Local time at the office, HH:MM')),
});

export const FreeSlotSchema = v.object({ ...SlotSchema.entries, remaining: v.pipe(v.number(), v.description('Seats left (0: full)')) });

export const SlotsSchema = v.object({
  office_id: v.string(), offer: OfferSchema, time_zone: v.string(), from: v.string(), days: v.number(), items: v.array(FreeSlotSchema),
});

export const BookingSchema = v.object({
  id: v.pipe(v.string(), v.description('The reference given at the counter: `RDV-` and 8 characters')),
  kind: v.picklist(OFFER_KINDS),
  status: v.pipe(v.picklist(BOOKING_STATUSES), v.description('`held` until confirmed (or `expired` after 5 minutes), then `booked`; or `cancelled`; or `moved`: the office closes at that time (declared after booking), the customer was told and offered the nearest free slots')),
  office_id: v.string(), office_name: v.string(), offer_id: v.string(), offer_label: v.string(),
  starts_at: v.string(), ends_at: v.string(), date: v.string(), time: v.string(), time_zone: v.string(),
  hold_expires_at: v.pipe(v.nullable(v.string()), v.description('While `held`: when the seat is released unless confirmed')),
  parcels: v.nullable(v.number()),
  created_at: v.string(), confirmed_at: v.nullable(v.string()), cancelled_at: v.nullable(v.string()),
  path: v.string(),
});

export const CounterBookingSchema = v.object({
  id: v.string(), kind: v.picklist(OFFER_KINDS), status: v.string(), offer_id: v.string(), offer_label: v.string(),
  starts_at: v.string(), ends_at: v.string(), time: v.string(),
  customer_name: v.pipe(v.nullable(v.string()), v.description('Booked: the customer’s name (null when none given); held: “réservation en cours de confirmation”')),
  company: v.pipe(v.nullable(v.string()), v.description('Booked by a professional account: its company; otherwise null')),
  parcels: v.nullable(v.number()),
});

export const FullSchema = v.object({ ...ProblemSchema.entries, reason: v.optional(v.string()), alternatives: v.optional(v.array(SlotSchema)) });
