/**
 * @module
 * The locations API contract in valibot: query parameters that are
 * validated on every request, and the response shapes documented in OpenAPI.
 */
import * as v from 'valibot';
import { LOCATION_TYPES, SERVICES } from './catalog';
import { DEPARTMENTS } from './departments';

const DEPARTMENT_CODES = DEPARTMENTS.map((d) => d.code);

/** A location id (`15015A`): the one pattern of every route, form and cursor that names a location. */
export const LOCATION_ID = /^[0-9A-Za-z]{1,32}$/;
export const MAX_PAGE_SIZE = 200;

const oneOf = <T extends readonly string[]>(values: T, what: string) =>
  v.picklist(values, (issue) => `${what} inconnu « ${String(issue.input)} » ; valeurs admises : ${values.join(', ')}`);

/**
 * A comma-separated list of codes (`type=post_office,partner_relay`),
 * without duplicates: each code becomes a bound parameter, and D1 allows 100.
 */
export const codeList = <T extends readonly string[]>(values: T, what: string) =>
  v.pipe(
    v.string(),
    v.maxLength(1000, 'liste trop longue'),
    v.transform((text) => [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))]),
    v.array(oneOf(values, what)),
    v.minLength(1, `au moins un ${what} attendu`),
  );

export const LocationIdParams = v.strictObject({
  id: v.pipe(v.string(), v.regex(LOCATION_ID, 'identifiant invalide : 1 à 32 lettres ou chiffres'), v.toUpperCase()),
});

/** Strict: an unknown parameter (a typo such as `limt`) is a 400, not silently ignored. */
export const ListLocationsQuery = v.strictObject({
  type: v.optional(codeList(LOCATION_TYPES, 'type')),
  service: v.optional(codeList(SERVICES, 'service')),
  postcode: v.optional(v.pipe(v.string(), v.regex(/^\d{5}$/, 'code postal attendu sur 5 chiffres'))),
  department: v.optional(
    v.pipe(
      v.string(),
      v.toUpperCase(),
      v.picklist(DEPARTMENT_CODES, (issue) => `département inconnu « ${String(issue.input)} » (ex. 78, 2A, 974)`),
    ),
  ),
  status: v.optional(v.picklist(['active', 'closed', 'all'], 'statut attendu : active, closed ou all'), 'active'),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,4}$/, 'entier attendu'),
      v.toNumber(),
      v.minValue(1, 'au moins 1'),
      v.maxValue(MAX_PAGE_SIZE, `au plus ${MAX_PAGE_SIZE}`),
    ),
    '50',
  ),
  cursor: v.optional(v.pipe(v.string(), v.maxLength(200, 'curseur trop long'))),
});
export type ListLocationsQuery = v.InferOutput<typeof ListLocationsQuery>;

/** Countries the network serves: France (overseas included), Monaco, Andorra. */
export const COUNTRIES = ['FR', 'MC', 'AD'] as const;
export type Country = (typeof COUNTRIES)[number];

const Address = v.object({
  line: v.nullable(v.string()),
  complement: v.nullable(v.string()),
  lieu_dit: v.nullable(v.string()),
  postcode: v.string(),
  commune: v.string(),
  insee_code: v.string(),
  department: v.string(),
  department_name: v.string(),
  /** ISO 3166-1 alpha-2. */
  country: v.picklist(COUNTRIES),
});

export const LocationSchema = v.object({
  id: v.string(),
  name: v.string(),
  official_name: v.string(),
  type: v.picklist(LOCATION_TYPES),
  type_label: v.string(),
  parent_id: v.nullable(v.string()),
  address: Address,
  coordinates: v.object({
    latitude: v.number(),
    longitude: v.number(),
    precision: v.nullable(v.picklist(['address', 'street', 'block', 'commune'])),
  }),
  phone: v.nullable(v.string()),
  time_zone: v.string(),
  services: v.array(v.picklist(SERVICES)),
  step_free_access: v.nullable(v.boolean()),
  status: v.picklist(['active', 'closed']),
  closed_at: v.nullable(v.string()),
  updated_at: v.string(),
  page_url: v.string(),
});
export type LocationResource = v.InferOutput<typeof LocationSchema>;

export const LocationPageSchema = v.object({
  data: v.array(LocationSchema),
  next_cursor: v.nullable(v.string()),
});

export const ProblemSchema = v.object({
  type: v.string(),
  title: v.string(),
  status: v.number(),
  detail: v.string(),
  instance: v.optional(v.string()),
  invalid_params: v.optional(v.array(v.object({ name: v.string(), reason: v.string() }))),
});
