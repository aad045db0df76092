/**
 * @module
 * The locator's in-memory view of the network: every active location's
 * position, kind and services, with a grid index and searchable names.
 *
 * Communes come from the official list of every commune of France
 * (communes-fr.ts), each placed from the network's points.
 *
 * Loaded from D1 once per isolate and kept five minutes: searches then cost
 * no database round trip for geometry, only for the hours of the few
 * results shown. Locations change with imports (rarely); hours, which change
 * often, are always read fresh.
 */
import { eq, gt } from 'drizzle-orm';
import { communes, locations } from '../../db/schema';
import type { Database } from '../database';
import type { LocationType, Service } from '../locations/catalog';
import { arrondissementOf, frenchCommunes } from './communes-fr';
import { GridIndex, type Point } from './geo';
import { searchKey } from './text';

export interface Place extends Point {
  id: string;
  name: string;
  type: LocationType;
  commune: string;
  inseeCode: string;
  postcode: string;
  department: string;
  timeZone: string;
  services: Service[];
  nameKey: string;
}

/**
 * How a commune's position was found: the centre of its own points of
 * contact, else of the points sharing its postcode, of its
 * intercommunality's points, or of its département's.
 */
export type Placement = 'points' | 'postcode' | 'epci' | 'department';

export interface CommunePlace extends Point {
  inseeCode: string;
  name: string;
  key: string;
  postcodes: string[];
  department: string;
  /** Active locations in the commune. */
  locations: number;
  /** Population rank (0 for communes known only from the network). */
  population: number;
  placement: Placement;
  /** Its active locations (an arrondissement's, or all of a city's). */
  members: Place[];
}

export interface Gazetteer {
  places: Place[];
  byId: Map<string, Place>;
  index: GridIndex<Place>;
  communes: CommunePlace[];
  communesByPostcode: Map<string, CommunePlace[]>;
  communesByKey: Map<string, CommunePlace[]>;
  communesByCode: Map<string, CommunePlace>;
}

const TTL_MS = 5 * 60_000;
/** A load not finished after this long is taken for dead (its request was cancelled): another request loads. */
const STALLED_MS = 5_000;
const POLL_MS = 20;

/**
 * Only resolved, plain data is shared across requests: a promise settled by
 * one request's I/O must never be awaited by another (workerd refuses it,
 * and when the loading request is cancelled the promise never settles).
 */
let cached: { at: number; value: Gazetteer } | undefined;
/** Who is loading, and since when: a marker, not a promise. */
let loading: { since: number } | undefined;

/**
 * The isolate's view of the network. A fresh copy is returned at once; a
 * stale one too, while the request that noticed it reloads it for everyone
 * (stale-while-refresh). With nothing cached, one request loads (10 MB from
 * D1) and the others wait on their own timers for the result, or take over
 * if that load stalls.
 */
export async function gazetteer(db: Database, now = Date.now()): Promise<Gazetteer> {
  if (cached && now - cached.at <= TTL_MS) return cached.value;
  const busy = () => loading !== undefined && Date.now() - loading.since < STALLED_MS;
  const ready = (): Gazetteer | undefined => cached?.value;
  if (busy()) {
    let value = ready();
    while (!value && busy()) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      value = ready();
    }
    if (value) return value;
  }
  const marker = { since: Date.now() };
  loading = marker;
  try {
    const value = await load(db);
    cached = { at: Date.now(), value };
    return value;
  } finally {
    // A failed load leaves nothing behind: the next search tries again.
    if (loading === marker) loading = undefined;
  }
}

/** For tests: the cached network is out of date, the next search refreshes it. */
export function expireGazetteer(): void {
  if (cached) cached.at = -Infinity;
}

/** For tests: forget the cached network. */
export function forgetGazetteer(): void {
  cached = undefined;
  loading = undefined;
}

async function load(db: Database): Promise<Gazetteer> {
  const [rows, communeRows] = await db.batch([
    db.select({
      id: locations.id, name: locations.name, type: locations.type, commune: locations.commune, inseeCode: locations.inseeCode,
      postcode: locations.postcode, department: locations.department, timeZone: locations.timeZone, services: locations.services,
      latitude: locations.latitude, longitude: locations.longitude,
    }).from(locations).where(eq(locations.status, 'active')),
    db.select({ inseeCode: communes.inseeCode, name: communes.name, department: communes.department })
      .from(communes).where(gt(communes.activeLocations, 0)),
  ]);
  const places: Place[] = rows.map((r) => ({ ...r, nameKey: searchKey(`${r.name} ${r.commune}`) }));
  const members = group(places, (p) => p.inseeCode);
  const network = communeRows.flatMap((c) => {
    const inside = members.get(c.inseeCode) ?? [];
    return inside.length ? [{ ...c, key: searchKey(c.name), inside }] : [];
  });
  const communeList = directory(places, network);
  const communesByPostcode = new Map<string, CommunePlace[]>();
  for (const c of communeList) {
    for (const pc of c.postcodes) push(communesByPostcode, pc, c);
  }
  return {
    places,
    byId: new Map(places.map((p) => [p.id, p])),
    index: new GridIndex(places),
    communes: communeList,
    communesByPostcode,
    communesByKey: group(communeList, (c) => c.key),
    communesByCode: new Map(communeList.map((c) => [c.inseeCode, c])),
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function group<K, V>(items: V[], by: (item: V) => K): Map<K, V[]> {
  const map = new Map<K, V[]>();
  for (const item of items) push(map, by(item), item);
  return map;
}

function centre(points: Point[]): Point {
  return {
    latitude: points.reduce((s, p) => s + p.latitude, 0) / points.length,
    longitude: points.reduce((s, p) => s + p.longitude, 0) / points.length,
  };
}

interface NetworkCommune { inseeCode: string; name: string; key: string; department: string; inside: Place[] }

/**
 * Every commune of France (official names and postcodes), each placed on
 * the map, plus any commune of the network the official list lacks.
 *
 * A network commune is the official one with its code when their names
 * agree (an arrondissement's points are named after its city), else the
 * only one of its département with the same name (the demo network invents
 * its codes). The official name wins: it has the accents the network file
 * lacks.
 */
function directory(places: Place[], network: NetworkCommune[]): CommunePlace[] {
  const official = frenchCommunes();
  const networkByCode = new Map(network.map((c) => [c.inseeCode, c]));
  const officialByName = group(official, (c) => `${c.department}:${c.key}`);
  const points = new Map<string, Place[]>();
  const matched = new Set<NetworkCommune>();
  const claim = (code: string, c: NetworkCommune) => {
    matched.add(c);
    for (const p of c.inside) push(points, code, p);
    const city = arrondissementOf(code);
    if (city) for (const p of c.inside) push(points, city, p);
  };
  for (const f of official) {
    const c = networkByCode.get(f.code);
    if (c && (c.key === f.key || f.key.startsWith(`${c.key} `) || c.key.startsWith(`${f.key} `))) claim(f.code, c);
  }
  for (const c of network) {
    if (matched.has(c)) continue;
    const same = officialByName.get(`${c.department}:${c.key}`);
    if (same?.length === 1) claim(same[0].code, c);
  }

  // Where to put the communes without a point of contact.
  const byPostcode = group(places, (p) => p.postcode);
  const byDepartment = group(places, (p) => p.department);
  const byEpci = new Map<number, Place[]>();
  for (const f of official) {
    if (f.epci !== null) for (const p of points.get(f.code) ?? []) push(byEpci, f.epci, p);
  }

  const list: CommunePlace[] = [];
  for (const f of official) {
    const inside = points.get(f.code) ?? [];
    let placement: Placement = 'points';
    let around: Point[] = inside;
    if (!around.length) [placement, around] = ['postcode', f.postcodes.flatMap((pc) => byPostcode.get(pc) ?? [])];
    if (!around.length && f.epci !== null) [placement, around] = ['epci', byEpci.get(f.epci) ?? []];
    if (!around.length) [placement, around] = ['department', byDepartment.get(f.department) ?? []];
    if (!around.length) continue;
    list.push({
      inseeCode: f.code, name: f.name, key: f.key, department: f.department, population: f.population,
      postcodes: [...new Set([...f.postcodes, ...inside.map((p) => p.postcode)])].sort(),
      locations: inside.length, members: inside, placement, ...centre(around),
    });
  }
  for (const c of network) {
    if (matched.has(c)) continue;
    list.push({
      inseeCode: c.inseeCode, name: c.name, key: c.key, department: c.department, population: 0,
      postcodes: [...new Set(c.inside.map((p) => p.postcode))].sort(),
      locations: c.inside.length, members: c.inside, placement: 'points', ...centre(c.inside),
    });
  }
  return list;
}
