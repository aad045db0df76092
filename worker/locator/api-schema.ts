/**
 * @module
 * The search API contract in valibot: validated on every request, described
 * in OpenAPI. Bad coordinates, radius or limit over the maximum, unknown
 * services or types, a malformed cursor: each a 400 naming the parameter.
 */
import * as v from 'valibot';
import { LOCATION_TYPES, SERVICES } from '../locations/catalog';
import { codeList } from '../locations/api-schema';

export const MAX_RADIUS_M = 50_000;
export const DEFAULT_RADIUS_M = 5_000;
export const MAX_RESULTS = 50;

const flag = v.optional(v.picklist(['true', 'false', '1', '0'], 'booléen attendu : true ou false'));
const number = (name: string) => v.pipe(v.string(), v.regex(/^\d{1,6}$/, `${name} : entier attendu`), v.toNumber());

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
    v.regex(/^o\d{1,4}$/, 'curseur inconnu : reprenez le next_cursor d’une réponse'),
    v.check((c) => Number(c.slice(1)) < 1000, 'curseur au-delà des 1 000 points les plus proches'),
  )),
  services: v.optional(codeList(SERVICES, 'service')),
  services_all: v.optional(codeList(SERVICES, 'service')),
  type: v.optional(codeList(LOCATION_TYPES, 'type')),
  open_now: flag,
  open_at: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/, 'instant ISO 8601 attendu, avec fuseau'),
      v.check((s) => !Number.isNaN(Date.parse(s)), 'instant impossible'),
    ),
  ),
  open_saturday: flag,
  /** A partner's publishable key, for calls from its site (CORS, rate limit). */
  key: v.optional(v.pipe(v.string(), v.maxLength(100, 'clé trop longue'))),
});
export type SearchQuery = v.InferOutput<typeof SearchQuery>;

export const isTrue = (flagValue: string | undefined) => flagValue === 'true' || flagValue === '1';
