/**
 * @module
 * What carriers send (`POST /api/v1/parcels/events`) and what the API
 * answers, as valibot schemas: one schema validates and describes (OpenAPI).
 * The batch is checked as a whole first (at most 500 events); each event is
 * then checked on its own, so one bad event never refuses the others.
 */
import * as v from 'valibot';
import { readInstant, readLocalDate } from '../hours/instants';
import { parseTrackingNumber } from './tracking-number';

export const MAX_EVENTS_PER_REQUEST = 500;

export const EventsBody = v.strictObject({
  events: v.pipe(
    v.array(v.unknown(), 'events : liste d’événements attendue'),
    v.minLength(1, 'events : au moins un événement'),
    v.maxLength(MAX_EVENTS_PER_REQUEST, `events : ${MAX_EVENTS_PER_REQUEST} événements au plus par requête`),
  ),
});

const optionalText = (pattern: RegExp, message: string) => v.optional(v.nullable(v.pipe(v.string(message), v.regex(pattern, message))));

/** One carrier event. Codes outside La Poste's vocabulary are accepted (kept and reported), malformed ones are not. */
export const CarrierEvent = v.strictObject({
  event_id: v.pipe(v.string('event_id : texte attendu'), v.regex(/^[A-Za-z0-9:_.\/-]{1,100}$/, 'event_id : 1 à 100 caractères parmi lettres, chiffres et : _ . / -')),
  tracking_number: v.pipe(
    v.string('tracking_number : texte attendu'),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const parsed = parseTrackingNumber(dataset.value);
      if (!parsed.ok) addIssue({ message: `tracking_number : ${parsed.reason}` });
    }),
  ),
  code: v.pipe(v.string('code : texte attendu'), v.regex(/^[A-Z0-9]{2,8}$/, 'code : 2 à 8 lettres majuscules ou chiffres (par exemple PC1, AG1, DI1)')),
  occurred_at: v.pipe(
    v.string('occurred_at : instant ISO 8601 attendu'),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const read = readInstant(dataset.value);
      if (!read.ok) addIssue({ message: `occurred_at : ${read.reason}` });
    }),
  ),
  location_id: optionalText(/^[A-Za-z0-9_-]{1,64}$/, 'location_id : identifiant de lieu Guichet attendu'),
  product: optionalText(/^[a-z][a-z0-9_]{1,31}$/, 'product : code produit en minuscules attendu (colissimo, chronopost, lettre_recommandee…)'),
  promised_date: v.optional(v.nullable(v.pipe(
    v.string('promised_date : date AAAA-MM-JJ attendue'),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const read = readLocalDate(dataset.value);
      if (!read.ok) addIssue({ message: `promised_date : ${read.reason}` });
    }),
  ))),
  shelf: optionalText(/^[A-Za-z0-9 -]{1,16}$/, 'shelf : emplacement de 1 à 16 lettres, chiffres, espaces ou tirets'),
  recipient_postcode: optionalText(/^\d{5}$/, 'recipient_postcode : code postal de 5 chiffres attendu'),
});
export type CarrierEvent = v.InferOutput<typeof CarrierEvent>;

export const OUTCOMES = ['accepted', 'duplicate', 'rejected'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const EventResultSchema = v.object({
  index: v.number(),
  event_id: v.nullable(v.string()),
  outcome: v.picklist(OUTCOMES),
  reasons: v.optional(v.array(v.string())),
  unknown_code: v.optional(v.boolean()),
});

export const IngestAnswerSchema = v.object({
  accepted: v.number(),
  duplicate: v.number(),
  rejected: v.number(),
  unknown_codes: v.array(v.string()),
  results: v.array(EventResultSchema),
});
