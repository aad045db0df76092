/**
 * @module
 * The hours API contract in valibot: request bodies and parameters,
 * validated on every request and described in OpenAPI.
 */
import * as v from 'valibot';
import { LOCATION_ID } from '../locations/api-schema';
import { instantSchema, localDateSchema } from './instants';
import { EXCEPTION_REASONS } from './model';

export const DAY_CODES = ['mo', 'tu', 'we', 'th', 'fr', 'sa', 'su'] as const;
export type DayCode = (typeof DAY_CODES)[number];

/**
 * Bulk exceptions cover at most this many locations per request (one D1
 * batch): a national closure of the whole real network (17,194 points) in one
 * call. The ids travel to D1 as one JSON parameter, which must stay under D1's
 * 1,000,000-byte string limit: 20,000 ids of up to 32 characters, quoted, are
 * 700,000 bytes at most (and the body stays under the bulk body cap, 1 MiB).
 */
export const MAX_BULK_LOCATIONS = 20_000;

const time = (max: string) =>
  v.pipe(v.string(), v.regex(/^([01]\d|2\d|3\d|4[0-7]):[0-5]\d$|^48:00$/, `heure attendue au format HH:MM (00:00 à ${max})`));
const date = localDateSchema();

export const IntervalSchema = v.strictObject({ opens: time('23:59'), closes: time('48:00') });

export const WeeklyBody = v.strictObject({
  rules: v.pipe(
    v.array(v.strictObject({ day: v.picklist(DAY_CODES, 'jour attendu : mo, tu, we, th, fr, sa ou su'), opens: time('23:59'), closes: time('48:00') })),
    v.maxLength(70, 'au plus 70 intervalles par semaine'),
  ),
  /** Open on public holidays like any other day (lockers); left as it is when absent. */
  open_on_holidays: v.optional(v.boolean('open_on_holidays attendu : true ou false')),
});
export type WeeklyBody = v.InferOutput<typeof WeeklyBody>;

export const ExceptionBody = v.strictObject({
  start_date: date,
  end_date: v.optional(v.nullable(date), null),
  closed: v.boolean('closed attendu : true ou false'),
  intervals: v.optional(v.pipe(v.array(IntervalSchema), v.maxLength(10, 'au plus 10 intervalles par jour')), []),
  reason: v.picklist(EXCEPTION_REASONS, `motif attendu : ${EXCEPTION_REASONS.join(', ')}`),
  note: v.optional(v.nullable(v.pipe(v.string(), v.trim(), v.maxLength(280, 'note de 280 caractères au plus'))), null),
});
export type ExceptionBody = v.InferOutput<typeof ExceptionBody>;

export const BulkExceptionBody = v.strictObject({
  location_ids: v.pipe(
    v.array(v.pipe(v.string(), v.regex(LOCATION_ID, 'identifiant invalide'), v.toUpperCase())),
    v.minLength(1, 'au moins un point de contact'),
    v.maxLength(MAX_BULK_LOCATIONS, `au plus ${MAX_BULK_LOCATIONS} points de contact par requête`),
  ),
  exception: ExceptionBody,
});

export const StatusQuery = v.strictObject({
  at: v.optional(instantSchema()),
});

export const ChangesQuery = v.strictObject({
  since: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/, 'curseur attendu : le next_cursor d’une réponse précédente'))),
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,4}$/, 'entier attendu'), v.toNumber(), v.minValue(1, 'au moins 1'), v.maxValue(1000, 'au plus 1000')), '500'),
});

export const ExceptionParams = v.strictObject({
  id: v.pipe(v.string(), v.regex(LOCATION_ID, 'identifiant invalide'), v.toUpperCase()),
  exceptionId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'identifiant d’exception invalide')),
});
