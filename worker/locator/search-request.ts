/**
 * @module
 * The one reading of a search request, for each of its three doors: the API
 * (`/api/v1/locations/search`, validated by `SearchQuery`), the `/recherche`
 * form (French field names: `rayon` in km, `ouvert`, `samedi`, `page`) and the
 * partner widget (`/widget/points`). Each turns its query parameters into the
 * locator's {@link SearchInput} here, with the one `near` parser, the one
 * opaque cursor and the one distance formatter, so the three cannot drift.
 *
 * The API is strict (a bad value is a 400 naming it, see `api-schema.ts`);
 * the pages are lenient (an unknown value falls back to its default), as a
 * form edited by hand in the address bar should be.
 */
import { decodeBase64url, encodeBase64urlText } from '../http/base64url';
import { LOCATION_TYPES, type LocationType, type Service, SERVICES } from '../locations/catalog';
import type { SearchQuery } from './api-schema';
import type { Point } from './geo';
import type { SearchInput, SearchOutput } from './search';

export const MAX_RADIUS_M = 50_000;
export const DEFAULT_RADIUS_M = 5_000;
export const MAX_RESULTS = 50;
/** How deep paging may go, on every door: nobody pages through 200 results, a scraper would. */
export const MAX_DEPTH = 200;
/** Longest text query, in characters. */
export const MAX_QUERY_LENGTH = 100;

/** `lat,lon` in decimal degrees, as a map or the browser's geolocation gives it. */
export const NEAR_PATTERN = /^\s*(-?\d{1,3}(?:\.\d{1,17})?)\s*,\s*(-?\d{1,3}(?:\.\d{1,17})?)\s*$/;
export const NEAR_EXPECTED = 'coordonnées attendues : latitude,longitude (ex. 48.8566,2.3522)';

/** `48.8566,2.3522` → the point, or every reason it is not one (in French). */
export function readNear(text: string): Point | string[] {
  const match = NEAR_PATTERN.exec(text);
  if (!match) return [NEAR_EXPECTED];
  const [latitude, longitude] = [Number(match[1]), Number(match[2])];
  const reasons: string[] = [];
  if (Math.abs(latitude) > 90) reasons.push('latitude hors de −90…90');
  if (Math.abs(longitude) > 180) reasons.push('longitude hors de −180…180');
  return reasons.length ? reasons : { latitude, longitude };
}

/** The point, or undefined when the text is malformed or out of range (the pages' lenient reading). */
export function parseNear(text: string | null | undefined): Point | undefined {
  const read = readNear(text ?? '');
  return Array.isArray(read) ? undefined : read;
}

/** The `near` value that {@link parseNear} reads back as this point. */
export const formatNear = (point: Point) => `${point.latitude},${point.longitude}`;

/** A distance as people read it: "350 m" under a kilometre (to 10 m), else "1,2 km". */
export const formatDistance = (metres: number) =>
  metres < 1000 ? `${Math.round(metres / 10) * 10} m` : `${(metres / 1000).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} km`;

/**
 * The API's paging cursor: base64url of `{"offset":n}`. Opaque, so the
 * paging can change without breaking clients; decoded canonically (one
 * spelling per cursor), so a forged or altered one is a 400, never a 500.
 */
export const encodeSearchCursor = (offset: number) => encodeBase64urlText(JSON.stringify({ offset }));

/** The offset a cursor continues from, or undefined when it is not one of ours spelled as we spell it. */
export function decodeSearchCursor(cursor: string): number | undefined {
  if (cursor.length > 100) return undefined;
  const bytes = decodeBase64url(cursor);
  if (!bytes) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  const offset = typeof value === 'object' && value !== null ? (value as { offset?: unknown }).offset : undefined;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  return encodeSearchCursor(offset) === cursor ? offset : undefined;
}

/** Whether a next page may be offered: there is more, and it starts before the depth cap. */
export const hasNextPage = (output: SearchOutput, input: Pick<SearchInput, 'offset' | 'limit'>) =>
  output.hasMore && input.offset + input.limit < MAX_DEPTH;

const isTrue = (flag: string | undefined) => flag === 'true' || flag === '1';

/** The API's validated query → the locator's input; undefined when it names no place (neither `near` nor `q`). */
export function apiSearchInput(query: SearchQuery, now: Date): SearchInput | undefined {
  if (!query.near && !query.q) return undefined;
  return {
    near: query.near,
    q: query.q,
    radius: query.radius,
    limit: query.limit,
    offset: query.cursor ?? 0,
    servicesAny: query.services,
    servicesAll: query.services_all,
    types: query.type,
    openNow: isTrue(query.open_now),
    openAt: query.open_at ? new Date(query.open_at) : undefined,
    openSaturday: isTrue(query.open_saturday),
    now,
  };
}

type Params = URLSearchParams | Record<string, string | undefined>;
const field = (params: Params, name: string): string | undefined =>
  (params instanceof URLSearchParams ? params.get(name) : params[name]) ?? undefined;
const textQuery = (params: Params) => (field(params, 'q') ?? '').trim().slice(0, MAX_QUERY_LENGTH);

/** The distances `/recherche` offers, in km (`rayon`). */
export const RADII_KM = [1, 2, 5, 10, 20, 50];
export const FORM_PAGE_SIZE = 20;

/** The `/recherche` form as read: every field has a value the form can show again. */
export interface SearchForm {
  q: string;
  /** `near` as typed; kept to tell "no position" from "a position we cannot read". */
  nearText: string;
  near: Point | undefined;
  service: Service | '';
  type: LocationType | '';
  openNow: boolean;
  saturday: boolean;
  radiusKm: number;
  /** 1-based; paging stops at the depth cap, as in the API (10 pages of 20). */
  page: number;
}

export function readSearchForm(params: Params): SearchForm {
  const nearText = (field(params, 'near') ?? '').trim();
  const service = field(params, 'service');
  const type = field(params, 'type');
  const radius = Number(field(params, 'rayon') ?? null);
  const page = field(params, 'page') ?? '';
  return {
    q: textQuery(params),
    nearText,
    near: parseNear(nearText),
    service: SERVICES.includes(service as Service) ? (service as Service) : '',
    type: LOCATION_TYPES.includes(type as LocationType) ? (type as LocationType) : '',
    openNow: field(params, 'ouvert') === 'oui',
    saturday: field(params, 'samedi') === 'oui',
    radiusKm: RADII_KM.includes(radius) ? radius : 5,
    page: /^[1-9]\d?$/.test(page) ? Math.min(Number(page), MAX_DEPTH / FORM_PAGE_SIZE) : 1,
  };
}

/** The form → the locator's input; undefined when there is nothing to search or the position is unreadable. A position wins over the text. */
export function formSearchInput(form: SearchForm, now: Date): SearchInput | undefined {
  if (form.nearText && !form.near) return undefined;
  if (!form.near && !form.q) return undefined;
  return {
    near: form.near,
    q: form.near ? undefined : form.q,
    radius: form.radiusKm * 1000,
    limit: FORM_PAGE_SIZE,
    offset: (form.page - 1) * FORM_PAGE_SIZE,
    servicesAll: form.service ? [form.service] : undefined,
    types: form.type ? [form.type] : undefined,
    openNow: form.openNow,
    openSaturday: form.saturday,
    now,
  };
}

export const WIDGET_RADIUS_M = 10_000;
export const WIDGET_RESULTS = 10;

/** The partner widget's request as read. */
export interface WidgetRequest {
  /** The partner's publishable key. */
  key: string;
  q: string;
  /** The shopper's position, passed by the partner instead of, or before, a typed place; unreadable is ignored. */
  near: Point | undefined;
  /** Every service asked for must be known (default: parcel pickup). */
  services: Service[];
  servicesValid: boolean;
  returnUrl: string;
  /** The origin of `return_url`, '' when it is not a URL. */
  returnOrigin: string;
}

export function readWidgetRequest(params: Params): WidgetRequest {
  const requested = (field(params, 'services') ?? 'parcel_pickup').split(',').map((s) => s.trim());
  const services = requested.filter((s): s is Service => SERVICES.includes(s as Service));
  const returnUrl = field(params, 'return_url') ?? '';
  let returnOrigin = '';
  try {
    returnOrigin = new URL(returnUrl).origin;
  } catch {
    returnOrigin = '';
  }
  return {
    key: field(params, 'key') ?? '',
    q: textQuery(params),
    near: parseNear(field(params, 'near')),
    services,
    servicesValid: services.length > 0 && services.length === requested.length,
    returnUrl,
    returnOrigin,
  };
}

/** The widget's request → the locator's input; undefined when it names no place. A typed place wins over the position. */
export function widgetSearchInput(request: WidgetRequest, now: Date): SearchInput | undefined {
  if (!request.q && !request.near) return undefined;
  return {
    q: request.q || undefined,
    near: request.q ? undefined : request.near,
    radius: WIDGET_RADIUS_M,
    limit: WIDGET_RESULTS,
    offset: 0,
    servicesAll: request.services,
    now,
  };
}
