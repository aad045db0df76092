/**
 * @module
 * The search API contract in valibot: validated on every request, described
 * in OpenAPI. Bad coordinates, radius or limit over the maximum, unknown
 * services or types, a malformed cursor: each a 400 naming the parameter.
 */
import * as v from 'valibot';
import { LOCATION_TYPES, SERVICES } from '../locations/catalog';
import { codeList } from '../locations/api-schema';
import { instantSchema } from '../hours/instants';

export const MAX_RADIUS_M = 50_000;
export const DEFAULT_RADIUS_M = 5_000;
export const MAX_RESULTS = 50;
/** How deep paging may go: the cursor stops at the 200th result. */
export const MAX_DEPTH = 200;

const flag = v.optional(v.picklist(['true', 'false', '1', '0'], 'booléen attendu : true ou false'));
// Any run of digits is a number: one too large is then told the maximum, not "entier attendu".
const number = (name: string) => v.pipe(v.string(), v.regex(/^\d+$/, `${name} : entier attendu`), v.toNumber());

export const SearchQuery = v.strictObject({
  near: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\s*-?\d{1,3}(\.\d{1,17})?\s*,\s*-?\d{1,3}(\.\d{1,17})?\s*$/, 'coordonnées attendues : latitude,longitude (ex. 48.8566,2.3522)'),
      v.transform((text) => {
        const [latitude, longitude] = text.split(',').map(Number);
        return { latitude, longitude };
      }),
      v.check((p) => Math.abs(p.latitude) <= 90, 'latitude hors de −90…90'),
      v.check((p) => Math.abs(p.longitude) <= 180, 'longitude hors de −180…180'),
    ),
  ),
  q: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1, 'texte vide'), v.maxLength(100, '100 caractères au plus'))),
  radius: v.optional(v.pipe(number('rayon'), v.minValue(100, 'au moins 100 m'), v.maxValue(MAX_RADIUS_M, `au plus ${MAX_RADIUS_M} m`)), String(DEFAULT_RADIUS_M)),
  limit: v.optional(v.pipe(number('limite'), v.minValue(1, 'au moins 1'), v.maxValue(MAX_RESULTS, `au plus ${MAX_RESULTS}`)), '10'),
  cursor: v.optional(v.pipe(
    v.string(),
    v.regex(/^o\d{1,6}$/, 'curseur inconnu : reprenez le next_cursor d’une réponse'),
    v.check((c) => Number(c.slice(1)) < MAX_DEPTH, `curseur au-delà des ${MAX_DEPTH} premiers résultats : précisez la recherche (distance, service, type)`),
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

export const isTrue = (flagValue: string | undefined) => flagValue === 'true' || flagValue === '1';
