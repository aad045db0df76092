/**
 * @module
 * "Which location near me offers this service and is open now?": resolves
 * where to search (coordinates, postcode, commune, office name or id), finds
 * the locations within the radius nearest first, applies the service, type
 * and opening filters, and explains an empty answer.
 */
import type { Database } from '../database';
import { dayPlan, statusAt } from '../hours/engine';
import type { Schedule, Status } from '../hours/model';
import { describeStatus, reasonLabel } from '../hours/present';
import { loadSchedules } from '../hours/store';
import { addDays, localParts } from '../hours/zoned-time';
import type { LocationType, Service } from '../locations/catalog';
import { distanceMeters, type Point } from './geo';
import { type CommunePlace, gazetteer, type Gazetteer, type Place } from './gazetteer';
import { classifyQuery } from './text';

export interface SearchInput {
  near?: Point;
  q?: string;
  radius: number;
  limit: number;
  offset: number;
  servicesAny?: Service[];
  servicesAll?: Service[];
  types?: LocationType[];
  openNow?: boolean;
  openAt?: Date;
  openSaturday?: boolean;
  now: Date;
}

export interface Choice extends Point {
  label: string;
  inseeCode: string;
  postcodes: string[];
}

export type Resolution =
  | { kind: 'coordinates' }
  | { kind: 'postcode'; postcode: string; communes: Choice[] }
  | { kind: 'commune'; commune: Choice; others: Choice[] }
  | { kind: 'location'; id: string; name: string }
  | { kind: 'names'; matches: number }
  | { kind: 'unknown'; query: string };

export interface SearchResult {
  place: Place;
  distance: number;
  status: Status;
  summary: string;
}

export interface SearchOutput {
  center: Point | null;
  resolution: Resolution;
  results: SearchResult[];
  hasMore: boolean;
  /** Why the answer is empty, in French; null when there are results. */
  explanation: string | null;
}

/** How many candidates a search may examine, nearest first: it bounds the work of one request. */
export const MAX_EXAMINED = 1000;

/**
 * Schedules read for searches are kept 20 s in the isolate: neighbouring
 * searches share most of their candidates. With the answers' own cache
 * (20 s + 20 s stale), an hours change still shows within 60 s.
 */
export const SCHEDULE_CACHE_MS = 20_000;
const scheduleCache = new Map<string, { at: number; schedule: Schedule }>();

async function schedulesFor(db: Database, places: Place[], now: number): Promise<Map<string, Schedule>> {
  const found = new Map<string, Schedule>();
  const missing: Place[] = [];
  for (const place of places) {
    const hit = scheduleCache.get(place.id);
    if (hit && now - hit.at < SCHEDULE_CACHE_MS) found.set(place.id, hit.schedule);
    else missing.push(place);
  }
  if (missing.length) {
    const since = addDays(localParts(now, 'UTC').date, -2);
    for (const [id, schedule] of await loadSchedules(db, missing, since)) {
      found.set(id, schedule);
      scheduleCache.set(id, { at: now, schedule });
    }
    if (scheduleCache.size > 50_000) scheduleCache.clear();
  }
  return found;
}

const choice = (c: CommunePlace): Choice => ({
  label: `${c.name} (${c.postcodes.join(', ')})`,
  inseeCode: c.inseeCode,
  postcodes: c.postcodes,
  latitude: Math.round(c.latitude * 1e5) / 1e5,
  longitude: Math.round(c.longitude * 1e5) / 1e5,
});

function resolve(g: Gazetteer, input: SearchInput): { center: Point | null; resolution: Resolution } {
  if (input.near) return { center: input.near, resolution: { kind: 'coordinates' } };
  const query = classifyQuery(input.q ?? '');
  if (query.kind === 'postcode') {
    const found = g.communesByPostcode.get(query.postcode) ?? [];
    if (!found.length) return { center: null, resolution: { kind: 'unknown', query: query.postcode } };
    // Several communes share the postcode: search around the one with most locations, offer them all.
    const main = found.reduce((a, b) => (b.locations > a.locations ? b : a));
    return { center: main, resolution: { kind: 'postcode', postcode: query.postcode, communes: found.map(choice) } };
  }
  if (query.kind === 'id') {
    const place = g.byId.get(query.id);
    if (place) return { center: place, resolution: { kind: 'location', id: place.id, name: place.name } };
    return { center: null, resolution: { kind: 'unknown', query: query.id } };
  }
  if (!query.key) return { center: null, resolution: { kind: 'unknown', query: '' } };
  // "Marseille 13001" or "Lille (59000)": the postcode narrows the commune.
  const withPostcode = /^(.*?)\s*\(?(\d{5})\)?\s*(.*)$/.exec(input.q ?? '');
  if (withPostcode && (withPostcode[1] || withPostcode[3])) {
    const words = classifyQuery(`${withPostcode[1]} ${withPostcode[3]}`);
    const inPostcode = (g.communesByPostcode.get(withPostcode[2]) ?? []).filter((c) => words.kind === 'text' && c.key.startsWith(words.key));
    if (inPostcode.length) {
      const [best, ...others] = inPostcode;
      return { center: best, resolution: { kind: 'commune', commune: choice(best), others: others.map(choice) } };
    }
  }
  const exact = g.communes.filter((c) => c.key === query.key);
  const prefixed = exact.length ? exact : g.communes.filter((c) => c.key.startsWith(query.key));
  if (prefixed.length) {
    // The commune with most locations first: "saint denis" is more likely Saint-Denis (93) than a hamlet.
    const [best, ...others] = [...prefixed].sort((a, b) => b.locations - a.locations || a.name.localeCompare(b.name));
    return { center: best, resolution: { kind: 'commune', commune: choice(best), others: others.slice(0, 10).map(choice) } };
  }
  // An office name: centre on the most specific match (every word found, shortest name first).
  const words = query.key.split(' ');
  const named = g.places.filter((p) => words.every((w) => p.nameKey.includes(w)));
  if (named.length) {
    const best = named.reduce((a, b) => (b.nameKey.length < a.nameKey.length || (b.nameKey.length === a.nameKey.length && b.id < a.id) ? b : a));
    return { center: best, resolution: { kind: 'names', matches: named.length } };
  }
  return { center: null, resolution: { kind: 'unknown', query: input.q ?? '' } };
}

function staticFilter(input: SearchInput): (p: Place) => boolean {
  const types = input.types?.length ? new Set(input.types) : null;
  return (p) =>
    (!types || types.has(p.type)) &&
    (!input.servicesAll?.length || input.servicesAll.every((s) => p.services.includes(s))) &&
    (!input.servicesAny?.length || input.servicesAny.some((s) => p.services.includes(s)));
}

/** The local date of the next Saturday (today if it is Saturday). */
function nextSaturday(now: Date, zone: string): string {
  const today = localParts(now, zone);
  return addDays(today.date, (6 - today.weekday + 7) % 7);
}

/** Undefined when the location passes the opening filters, else why it does not (for the explanation). */
function failsOpening(input: SearchInput, schedule: Schedule, now: Status): string | undefined {
  if (input.openNow && !now.open) return whyNot(now, 'aujourd’hui');
  if (input.openAt) {
    const then = statusAt(schedule, input.openAt);
    if (!then.open) return whyNot(then, 'ce jour-là');
  }
  if (input.openSaturday && dayPlan(schedule, nextSaturday(input.now, schedule.timeZone)).intervals.length === 0) return 'fermés le samedi';
  return undefined;
}

/** Why a candidate fails the opening filters, as counted in an empty answer. */
function whyNot(status: Status, when: string): string {
  switch (status.reason?.kind) {
    case 'public_holiday':
      return `fermés ${when} (${status.reason.name})`;
    case 'exception':
      return `fermés exceptionnellement (${reasonLabel(status.reason)})`;
    case 'no_hours':
      return 'sans horaires communiqués';
    default:
      return 'en dehors de leurs horaires';
  }
}

const km = (metres: number) => `${(metres / 1000).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} km`;

export async function searchLocations(db: Database, input: SearchInput): Promise<SearchOutput> {
  const g = await gazetteer(db);
  const { center, resolution } = resolve(g, input);
  if (!center) {
    const explanation = resolution.kind === 'unknown' && resolution.query
      ? `Aucun lieu ne correspond à « ${resolution.query} » : essayez un code postal, une commune ou le nom d’un bureau.`
      : 'Indiquez une adresse, un code postal, une commune ou votre position.';
    return { center: null, resolution, results: [], hasMore: false, explanation };
  }
  const keep = staticFilter(input);
  const candidates = g.index.within(center, input.radius, keep, (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const filtering = Boolean(input.openNow || input.openAt || input.openSaturday);
  const wanted = input.offset + input.limit + 1;

  // Hours are read only for the candidates that are looked at, nearest first.
  const accepted: SearchResult[] = [];
  const closedWhy = new Map<string, number>();
  let examined = 0;
  // Read as few schedules as the answer needs: first what one page needs, then twice as many each time.
  let chunk = Math.min(Math.max(wanted, 10), MAX_EXAMINED);
  for (let i = 0; i < candidates.length && accepted.length < wanted && examined < MAX_EXAMINED; i += chunk, chunk = Math.min(chunk * 2, 200, MAX_EXAMINED - examined)) {
    const slice = candidates.slice(i, Math.min(i + chunk, candidates.length));
    examined += slice.length;
    const schedules = await schedulesFor(db, slice.map((c) => c.item), Date.now());
    for (const { item, distance } of slice) {
      const schedule = schedules.get(item.id)!;
      const status = statusAt(schedule, input.now);
      const why = filtering ? failsOpening(input, schedule, status) : undefined;
      if (why) {
        closedWhy.set(why, (closedWhy.get(why) ?? 0) + 1);
        continue;
      }
      accepted.push({ place: item, distance, status, summary: describeStatus(status, input.now, schedule.timeZone) });
      if (accepted.length >= wanted) break;
    }
  }
  const results = accepted.slice(input.offset, input.offset + input.limit);
  const hasMore = accepted.length > input.offset + input.limit;
  const truncated = examined >= MAX_EXAMINED && examined < candidates.length && accepted.length < wanted;

  let explanation: string | null = null;
  if (results.length === 0) {
    const where = `dans un rayon de ${km(input.radius)}`;
    if (candidates.length === 0) {
      // Beyond the radius, a plain scan: a grid walk over thousands of kilometres would cost more.
      const nearest = g.places.filter(keep).reduce<{ item: Place; distance: number } | undefined>((best, item) => {
        const distance = distanceMeters(center, item);
        return !best || distance < best.distance ? { item, distance } : best;
      }, undefined);
      explanation = `Aucun point de contact ${input.servicesAll?.length || input.servicesAny?.length || input.types?.length ? 'correspondant à ces critères ' : ''}${where}.`
        + (nearest ? ` Le plus proche est à ${km(nearest.distance)} : ${nearest.item.name} (${nearest.item.commune}).` : '');
    } else if (input.offset > 0) {
      explanation = 'Plus aucun résultat au-delà de cette page.';
    } else {
      const detail = [...closedWhy.entries()].sort((a, b) => b[1] - a[1]).map(([why, n]) => `${n} ${why}`);
      explanation = `Aucun point ouvert au moment demandé ${where} : ${detail.join(', ')}.`;
    }
  }
  if (truncated) {
    const note = `Recherche limitée aux ${MAX_EXAMINED} points les plus proches : réduisez la distance pour aller plus loin.`;
    explanation = explanation ? `${explanation} ${note}` : note;
  }
  return { center, resolution, results, hasMore, explanation };
}
