/**
 * @module
 * "Which location near me offers this service and is open now?": resolves
 * where to search (coordinates, postcode, commune, office name or id), finds
 * the locations within the radius nearest first, applies the service, type
 * and opening filters, and explains an empty answer.
 *
 * This is the search use case: the API route, `/recherche` and the partner
 * widget each read their request into a {@link SearchInput}
 * (`search-request.ts`), call {@link searchLocations}, and show the answer
 * their own way (`present.ts`).
 */
import type { Database } from '../database';
import { currentScope } from '../edge/scope';
import { locationVersion, versionBase, versionsKnown } from '../edge/versions';
import { dayPlan, statusAt } from '../hours/engine';
import type { Schedule, Status } from '../hours/model';
import { describeStatus, reasonLabel } from '../hours/present';
import { loadEverySchedule, loadSchedules } from '../hours/store';
import { addDays, localParts } from '../hours/zoned-time';
import type { LocationType, Service } from '../locations/catalog';
import { distanceMeters, type Point } from './geo';
import { type CommunePlace, gazetteer, type Gazetteer, type Place, type Placement } from './gazetteer';
import { formatDistance } from './search-request';
import { classifyQuery, closeEnough } from './text';

/**
 * A condition read from the database for a chunk of candidates at once,
 * nearest first (e.g. "holds this product", worker/stock/availability.ts):
 * the candidates it answers for qualify, each with what was found for it.
 * It is applied before the opening filters, so an empty answer can say
 * which of the two left it empty.
 */
export interface CandidateFilter<T> {
  /** Reads one chunk (at most 200 ids); the ids missing from the answer do not qualify. */
  read: (ids: string[]) => Promise<Map<string, T>>;
  /** The explanation, in French, when no candidate within the radius passes it. */
  noneWithin: string;
  /** "3 bureaux l’ont en stock dans un rayon de 5 km": the candidates that passed it, for an answer the opening filters emptied. */
  passed: (count: number, within: string) => string;
}

/** Where to search and what qualifies; see `search-request.ts` for how each door fills it in. */
export interface SearchInput<T = never> {
  /** Coordinates win over `q` when both are given. */
  near?: Point;
  q?: string;
  /** Metres. */
  radius: number;
  limit: number;
  /** Results to skip, nearest first: paging. */
  offset: number;
  servicesAny?: Service[];
  servicesAll?: Service[];
  types?: LocationType[];
  openNow?: boolean;
  openAt?: Date;
  openSaturday?: boolean;
  now: Date;
  /** A condition read per chunk of candidates; none by default (the locator's own doors pass none). */
  holding?: CandidateFilter<T>;
}

export interface Choice extends Point {
  label: string;
  inseeCode: string;
  postcodes: string[];
  /** How its position was found: its own points of contact, or (a village without any) its neighbours'. */
  placement: Placement;
}

export type Resolution =
  | { kind: 'coordinates' }
  | { kind: 'postcode'; postcode: string; communes: Choice[] }
  | {
    kind: 'commune';
    commune: Choice;
    others: Choice[];
    /** The commune's name when the query was read as a misspelling of it: "Résultats pour Marseille". */
    correction: string | null;
    /** Words of an office name that narrowed the results to the commune's matching offices ("Bordeaux gare"). */
    narrowedBy: string | null;
    /** How a commune without a point of contact was placed, in French; null when it has points. */
    placementNote: string | null;
  }
  | { kind: 'location'; id: string; name: string }
  | { kind: 'names'; matches: number }
  | { kind: 'unknown'; query: string };

export interface SearchResult<T = never> {
  place: Place;
  distance: number;
  status: Status;
  summary: string;
  /** What the input's `holding` filter found for this place (absent without one). */
  held?: T;
}

export interface SearchOutput<T = never> {
  center: Point | null;
  resolution: Resolution;
  results: SearchResult<T>[];
  hasMore: boolean;
  /** Why the answer is empty, in French; null when there are results. */
  explanation: string | null;
}

/** How many candidates a search may examine, nearest first: it bounds the work of one request. */
export const MAX_EXAMINED = 1000;
/** The most candidates whose hours (or holding filter) are read at once. */
const CHUNK_MAX = 200;

/**
 * Every active location's schedule is kept in the isolate, each with the
 * version of its hours the edge layer knows (worker/edge/versions.ts). The
 * first search of an isolate starts loading all of them in its background
 * (two queries, about 35,000 rows for the demo network), and again when
 * the versions' base moves (an import, a new epoch: every version changed)
 * or after {@link SCHEDULES_RELOAD_MS}. Until then, and for any location
 * whose hours changed since (a new version within 10 s of the change), a
 * search reads only the schedules of the candidates it looks at. A search
 * then reads almost no rows, and an hours change still shows within seconds.
 */
export const SCHEDULES_RELOAD_MS = 6 * 3600_000;
const scheduleCache = new Map<string, { version: string; schedule: Schedule }>();
let schedulesLoaded: { at: number; base: string } | undefined;
let schedulesLoading: { since: number } | undefined;

async function schedulesFor(db: Database, network: Place[], places: Place[], now: number): Promise<Map<string, Schedule>> {
  keepAllSchedules(db, network, now);
  const found = new Map<string, Schedule>();
  const missing: Place[] = [];
  for (const place of places) {
    const hit = scheduleCache.get(place.id);
    // '' is no version: before this isolate has read them, nothing says a kept schedule is current.
    if (hit && hit.version !== '' && hit.version === locationVersion(place.id)) found.set(place.id, hit.schedule);
    else missing.push(place);
  }
  if (missing.length) {
    // Versions taken before the read: a change landing meanwhile gets a newer version, and is read again.
    const versions = new Map(missing.map((p) => [p.id, locationVersion(p.id)]));
    const since = addDays(localParts(now, 'UTC').date, -2);
    for (const [id, schedule] of await loadSchedules(db, missing, since)) {
      found.set(id, schedule);
      scheduleCache.set(id, { version: versions.get(id) ?? '', schedule });
    }
  }
  return found;
}

/** Starts loading every schedule in the background of this request, when none is loaded, or the load is old. */
function keepAllSchedules(db: Database, network: Place[], now: number): void {
  const scope = currentScope();
  // Without versions, nothing would tell a loaded schedule is still current.
  if (!scope || !versionsKnown()) return;
  if (schedulesLoaded && schedulesLoaded.base === versionBase() && now - schedulesLoaded.at < SCHEDULES_RELOAD_MS) return;
  if (schedulesLoading && now - schedulesLoading.since < 60_000) return;
  const marker = { since: now };
  const base = versionBase();
  schedulesLoading = marker;
  scope.waitUntil(
    loadAllSchedules(db, network, addDays(localParts(now, 'UTC').date, -2))
      .then((all) => {
        // Versions read before the rows: a change in between gets a new version and is read again.
        for (const [id, entry] of all) scheduleCache.set(id, entry);
        schedulesLoaded = { at: now, base };
      })
      .catch((error) => console.error('schedules load', String(error)))
      .finally(() => {
        if (schedulesLoading === marker) schedulesLoading = undefined;
      }),
  );
}

async function loadAllSchedules(db: Database, places: Place[], since: string): Promise<Map<string, { version: string; schedule: Schedule }>> {
  const versions = new Map(places.map((p) => [p.id, locationVersion(p.id)]));
  const schedules = await loadEverySchedule(db, places, since);
  return new Map([...schedules].map(([id, schedule]) => [id, { version: versions.get(id) ?? '', schedule }]));
}

const choice = (c: CommunePlace): Choice => ({
  label: `${c.name} (${c.postcodes.join(', ')})`,
  inseeCode: c.inseeCode,
  postcodes: c.postcodes,
  latitude: Math.round(c.latitude * 1e5) / 1e5,
  longitude: Math.round(c.longitude * 1e5) / 1e5,
  placement: c.placement,
});

const PLACED_BY: Record<Exclude<Placement, 'points'>, (c: CommunePlace) => string> = {
  postcode: (c) => `au centre des points de contact du code postal ${c.postcodes.join(', ')}`,
  epci: () => 'au centre des points de contact de son intercommunalité',
  department: (c) => `au centre des points de contact du département ${c.department}`,
};

function placementNote(c: CommunePlace): string | null {
  if (c.placement === 'points') return null;
  return `${c.name} n’a pas de point de contact : la recherche part du centre estimé de la commune, ${PLACED_BY[c.placement](c)}.`;
}

/** The commune with most locations first, then the most populated: "saint denis" is Saint-Denis (93) before a hamlet. */
const byImportance = (a: CommunePlace, b: CommunePlace) =>
  b.locations - a.locations || b.population - a.population || a.name.localeCompare(b.name) || a.inseeCode.localeCompare(b.inseeCode);

interface Resolved {
  center: Point | null;
  resolution: Resolution;
  /** Only these locations qualify ("Bordeaux gare": the matching offices of Bordeaux). */
  only?: Set<string>;
}

function communeAnswer(found: CommunePlace[], extra: { correction?: string; narrowedBy?: string; only?: Set<string> } = {}): Resolved {
  const [best, ...others] = [...found].sort(byImportance);
  return {
    center: best,
    only: extra.only,
    resolution: {
      kind: 'commune', commune: choice(best), others: others.slice(0, 10).map(choice),
      correction: extra.correction ? best.name : null, narrowedBy: extra.narrowedBy ?? null, placementNote: placementNote(best),
    },
  };
}

/** "paris 11", "paris 11e", "lyon 3eme", "marseille 13e arrondissement" → the arrondissement's INSEE code. */
function arrondissementCode(key: string): string | undefined {
  const m = /^(paris|lyon|marseille) (\d{1,2}) ?(?:e|er|ere|eme|ieme)?(?: arrondissement)?$/.exec(key);
  if (!m) return undefined;
  const n = Number(m[2]);
  if (m[1] === 'paris' && n >= 1 && n <= 20) return `751${String(n).padStart(2, '0')}`;
  if (m[1] === 'lyon' && n >= 1 && n <= 9) return `6938${n}`;
  if (m[1] === 'marseille' && n >= 1 && n <= 16) return `132${String(n).padStart(2, '0')}`;
  return undefined;
}

function resolve(g: Gazetteer, input: SearchInput<unknown>): Resolved {
  if (input.near) return { center: input.near, resolution: { kind: 'coordinates' } };
  const query = classifyQuery(input.q ?? '');
  if (query.kind === 'postcode') {
    const found = g.communesByPostcode.get(query.postcode) ?? [];
    if (!found.length) return { center: null, resolution: { kind: 'unknown', query: query.postcode } };
    // Several communes share the postcode: search around the one with most locations, offer them all.
    const sorted = [...found].sort(byImportance);
    return { center: sorted[0], resolution: { kind: 'postcode', postcode: query.postcode, communes: sorted.map(choice) } };
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
    if (inPostcode.length) return communeAnswer(inPostcode);
  }
  const arrondissement = g.communesByCode.get(arrondissementCode(query.key) ?? '');
  if (arrondissement) return communeAnswer([arrondissement]);
  const exact = g.communesByKey.get(query.key);
  if (exact) return communeAnswer(exact);
  const prefixed = g.communes.filter((c) => c.key.startsWith(query.key));
  if (prefixed.length) return communeAnswer(prefixed);
  const words = query.key.split(' ');
  // A commune then words of an office name: "Bordeaux gare" keeps Bordeaux's offices named "gare".
  for (let cut = words.length - 1; cut > 0; cut--) {
    const communes = g.communesByKey.get(words.slice(0, cut).join(' '));
    if (!communes) continue;
    const rest = words.slice(cut);
    for (const commune of [...communes].sort(byImportance)) {
      const named = commune.members.filter((p) => rest.every((w) => p.nameKey.includes(w)));
      if (named.length) {
        // Centred on the best match, as for an office name: the matches, not the commune's centre, are what was asked.
        const answer = communeAnswer([commune], { narrowedBy: rest.join(' '), only: new Set(named.map((p) => p.id)) });
        return { ...answer, center: mostSpecific(named) };
      }
    }
  }
  // An office name: centre on the most specific match (every word found, shortest name first).
  const named = g.places.filter((p) => words.every((w) => p.nameKey.includes(w)));
  if (named.length) {
    return { center: mostSpecific(named), resolution: { kind: 'names', matches: named.length } };
  }
  // Last, a close misspelling of a commune: "Marseile", "Lile".
  const near = closeCommunes(g, query.key);
  if (near.length) return communeAnswer(near, { correction: query.key });
  return { center: null, resolution: { kind: 'unknown', query: input.q ?? '' } };
}

/** The shortest name among matches (then the smallest id): the one the words describe best. */
const mostSpecific = (named: Place[]) =>
  named.reduce((a, b) => (b.nameKey.length < a.nameKey.length || (b.nameKey.length === a.nameKey.length && b.id < a.id) ? b : a));

/** Communes whose name is one or two edits away from the query (two for longer names), fewest edits first. */
function closeCommunes(g: Gazetteer, key: string): CommunePlace[] {
  if (key.length < 4) return [];
  const allowed = key.length >= 8 ? 2 : 1;
  let best = allowed + 1;
  let found: CommunePlace[] = [];
  for (const c of g.communes) {
    const d = closeEnough(key, c.key, Math.min(allowed, best));
    if (d === undefined) continue;
    if (d < best) [best, found] = [d, [c]];
    else found.push(c);
  }
  return found;
}

function staticFilter(input: SearchInput<unknown>, only?: Set<string>): (p: Place) => boolean {
  const types = input.types?.length ? new Set(input.types) : null;
  return (p) =>
    (!only || only.has(p.id)) &&
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
function failsOpening(input: SearchInput<unknown>, schedule: Schedule, now: Status): string | undefined {
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

export async function searchLocations<T = never>(db: Database, input: SearchInput<T>): Promise<SearchOutput<T>> {
  const g = await gazetteer(db);
  const { center, resolution, only } = resolve(g, input);
  if (!center) {
    const explanation = resolution.kind === 'unknown' && resolution.query
      ? `Aucun lieu ne correspond à « ${resolution.query} » : essayez un code postal, une commune ou le nom d’un bureau.`
      : 'Indiquez une adresse, un code postal, une commune ou votre position.';
    return { center: null, resolution, results: [], hasMore: false, explanation };
  }
  const keep = staticFilter(input, only);
  const candidates = g.index.within(center, input.radius, keep, (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const filtering = Boolean(input.openNow || input.openAt || input.openSaturday);
  const wanted = input.offset + input.limit + 1;
  const holding = input.holding;

  // Hours are read only for the candidates that are looked at, nearest first.
  const accepted: SearchResult<T>[] = [];
  const closedWhy = new Map<string, number>();
  let examined = 0;
  let passedHolding = 0;
  // Read as few schedules as the answer needs: first what one page needs, then twice as many each time.
  // A holding filter keeps few candidates (a product is on a few offices' shelves): its reads go by the largest chunk at once.
  let chunk = Math.min(holding ? CHUNK_MAX : Math.max(wanted, 10), MAX_EXAMINED);
  for (let i = 0; i < candidates.length && accepted.length < wanted && examined < MAX_EXAMINED; i += chunk, chunk = Math.min(chunk * 2, CHUNK_MAX, MAX_EXAMINED - examined)) {
    const slice = candidates.slice(i, Math.min(i + chunk, candidates.length));
    examined += slice.length;
    const held = holding ? await holding.read(slice.map((c) => c.item.id)) : undefined;
    const kept = held ? slice.filter((c) => held.has(c.item.id)) : slice;
    passedHolding += kept.length;
    const schedules = await schedulesFor(db, g.places, kept.map((c) => c.item), Date.now());
    for (const { item, distance } of kept) {
      const schedule = schedules.get(item.id)!;
      const status = statusAt(schedule, input.now);
      const why = filtering ? failsOpening(input, schedule, status) : undefined;
      if (why) {
        closedWhy.set(why, (closedWhy.get(why) ?? 0) + 1);
        continue;
      }
      const result: SearchResult<T> = { place: item, distance, status, summary: describeStatus(status, input.now, schedule.timeZone) };
      if (held) result.held = held.get(item.id);
      accepted.push(result);
      if (accepted.length >= wanted) break;
    }
  }
  const results = accepted.slice(input.offset, input.offset + input.limit);
  const hasMore = accepted.length > input.offset + input.limit;
  const truncated = examined >= MAX_EXAMINED && examined < candidates.length && accepted.length < wanted;

  let explanation: string | null = null;
  if (results.length === 0) {
    const where = `dans un rayon de ${formatDistance(input.radius)}`;
    if (candidates.length === 0 && holding) {
      explanation = holding.noneWithin;
    } else if (candidates.length === 0) {
      // Beyond the radius, a plain scan: a grid walk over thousands of kilometres would cost more.
      const nearest = g.places.filter(keep).reduce<{ item: Place; distance: number } | undefined>((best, item) => {
        const distance = distanceMeters(center, item);
        return !best || distance < best.distance ? { item, distance } : best;
      }, undefined);
      explanation = `Aucun point de contact ${input.servicesAll?.length || input.servicesAny?.length || input.types?.length ? 'correspondant à ces critères ' : ''}${where}.`
        + (nearest ? ` Le plus proche est à ${formatDistance(nearest.distance)} : ${nearest.item.name} (${nearest.item.commune}).` : '');
    } else if (input.offset > 0) {
      explanation = 'Plus aucun résultat au-delà de cette page.';
    } else if (holding && passedHolding === 0) {
      explanation = holding.noneWithin;
    } else {
      const detail = [...closedWhy.entries()].sort((a, b) => b[1] - a[1]).map(([why, n]) => `${n} ${why}`);
      explanation = holding
        ? `${holding.passed(passedHolding, where)}, mais aucun n’est ouvert au moment demandé : ${detail.join(', ')}.`
        : `Aucun point ouvert au moment demandé ${where} : ${detail.join(', ')}.`;
    }
  }
  if (truncated) {
    const note = `Recherche limitée aux ${MAX_EXAMINED} points les plus proches : réduisez la distance pour aller plus loin.`;
    explanation = explanation ? `${explanation} ${note}` : note;
  }
  return { center, resolution, results, hasMore, explanation };
}
