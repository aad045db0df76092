/**
 * @module
 * The search API contract in valibot: validated on every request, described
 * in OpenAPI. Bad coordinates, radius or limit over the maximum, unknown
 * services or types, a malformed cursor: each a 400 naming the parameter.
 * `near` and `cursor` are read by the same functions as the pages' fields
 * (`search-request.ts`), which also turns the validated query into the
 * locator's input.
 */
import * as v from 'valibot';
import { LOCATION_TYPES, SERVICES } from '../locations/catalog';
import { codeList } from '../locations/api-schema';
import { instantSchema } from '../hours/instants';
import {
  decodeSearchCursor, DEFAULT_RADIUS_M, MAX_DEPTH, MAX_QUERY_LENGTH, MAX_RADIUS_M, MAX_RESULTS, NEAR_EXPECTED, NEAR_PATTERN, readNear,
} from './search-request';

const flag = v.optional(v.picklist(['true', 'false', '1', '0'], 'booléen attendu : true ou false'));
// Any run of digits is a number: one too large is then told the maximum, not "entier attendu".
const number = (name: string) => v.pipe(v.string(), v.regex(/^\d+$/, `${name} : entier attendu`), v.toNumber());

export const SearchQuery = v.strictObject({
  near: v.optional(
    v.pipe(
      v.string(),
      // The pattern documents the format in OpenAPI; readNear decides.
      v.regex(NEAR_PATTERN, NEAR_EXPECTED),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        const near = readNear(dataset.value);
        if (!Array.isArray(near)) return near;
        for (const message of near) addIssue({ message });
        return NEVER;
      }),
    ),
  ),
  q: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1, 'texte vide'), v.maxLength(MAX_QUERY_LENGTH, `${MAX_QUERY_LENGTH} caractères au plus`))),
  radius: v.optional(v.pipe(number('rayon'), v.minValue(100, 'au moins 100 m'), v.maxValue(MAX_RADIUS_M, `au plus ${MAX_RADIUS_M} m`)), String(DEFAULT_RADIUS_M)),
  limit: v.optional(v.pipe(number('limite'), v.minValue(1, 'au moins 1'), v.maxValue(MAX_RESULTS, `au plus ${MAX_RESULTS}`)), '10'),
  /** Opaque: the `next_cursor` of a previous answer. Decoded to the offset it continues from. */
  cursor: v.optional(v.pipe(
    v.string(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const offset = decodeSearchCursor(dataset.value);
      if (offset === undefined) addIssue({ message: 'curseur inconnu : reprenez le next_cursor d’une réponse' });
      else if (offset >= MAX_DEPTH) addIssue({ message: `curseur au-delà des ${MAX_DEPTH} premiers résultats : précisez la recherche (distance, service, type)` });
      else return offset;
      return NEVER;
    }),
  )),
  services: v.optional(codeList(SERVICES, 'service')),
  services_all: v.optional(codeList(SERVICES, 'service')),
  type: v.optional(codeList(LOCATION_TYPES, 'type')),
  open_now: flag,
  open_at: v.optional(instantSchema()),
  open_saturday: flag,
  /** A partner's publishable key, for calls from its site (CORS, rate limit). */
  key: v.optional(v.pipe(v.string(), v.maxLength(100, 'clé trop longue'))),
});
export type SearchQuery = v.InferOutput<typeof SearchQuery>;
