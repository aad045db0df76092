/**
 * @module
 * The locator's in-memory view of the network: every active location's
 * position, kind and services, with a grid index and searchable names.
 *
 * Communes come from the official list of every commune of France
 * (communes-fr.ts), each placed from the network's points.
 *
 * Loaded once per isolate from the network's snapshot (snapshot.ts: one
 * settings row and a few hundred kilobytes, instead of the whole locations
 * table), then kept while the network version stays the same; a warm
 * isolate asks for that version (one row) at most every 30 s. Searches cost
 * no database round trip for geometry, only for the hours of the few
 * results shown. Locations change with imports (rarely); hours, which
 * change often, are always read fresh.
 */
import type { Database } from '../database';
import { networkVersion } from '../locations/network-version';
import { arrondissementOf, frenchCommunes } from './communes-fr';
import { GridIndex, type Point } from './geo';
import { decodeSnapshot, type NetworkRows, type NetworkPlace, publishRows, readCurrentSnapshot, readNetworkTable } from './snapshot';
import { searchKey } from './text';

export interface Place extends NetworkPlace {
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

/** How long a loaded network is served before asking D1 whether its version moved. */
export const VERSION_CHECK_MS = 30_000;
/** A load not finished after this long is taken for dead (its request was cancelled): another request loads. */
const STALLED_MS = 5_000;
const POLL_MS = 20;

interface Loaded {
  version: number;
  value: Gazetteer;
}

/**
 * Only resolved, plain data is shared across requests: a promise settled by
 * one request's I/O must never be awaited by another (workerd refuses it,
 * and when the loading request is cancelled the promise never settles).
 */
let cached: (Loaded & { checkedAt: number }) | undefined;
/** Who is loading, and since when: a marker, not a promise. */
let loading: { since: number } | undefined;

/**
 * The isolate's view of the network. A copy checked less than 30 s ago is
 * returned at once; an older one too, while the request that noticed it
 * checks the version and reloads it if it moved, for everyone
 * (stale-while-refresh). With nothing cached, one request loads and the
 * others wait on their own timers for the result, or take over if that load
 * stalls. `now` lets tests move the clock.
 */
export async function gazetteer(db: Database, now = Date.now()): Promise<Gazetteer> {
  if (cached && now - cached.checkedAt <= VERSION_CHECK_MS) return cached.value;
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
    const fresh = await refresh(db, cached);
    cached = { ...fresh, checkedAt: now };
    return fresh.value;
  } finally {
    // A failed load leaves nothing behind: the next search tries again.
    if (loading === marker) loading = undefined;
  }
}

/** For tests: the cached network is out of date, as if its version had moved; the next search reloads it. */
export function expireGazetteer(): void {
  if (cached) cached = { ...cached, checkedAt: -Infinity, version: -1 };
}

/** For tests: forget the cached network. */
export function forgetGazetteer(): void {
  cached = undefined;
  loading = undefined;
}

/**
 * The network as `known` has it when its version has not moved on (one row
 * read), else reloaded. Only a newer version reloads: a lagging read
 * replica never takes the isolate back to an older network.
 */
async function refresh(db: Database, known: Loaded | undefined): Promise<Loaded> {
  if (known && (await networkVersion(db.$client)) <= known.version) return known;
  return loadGazetteer(db);
}

/**
 * The current network from its snapshot (one round trip); without a
 * complete one, from the table, publishing the snapshot for the next
 * isolates: a database migrated without a snapshot heals itself.
 */
async function loadGazetteer(db: Database): Promise<Loaded> {
  const { version, bytes } = await readCurrentSnapshot(db.$client);
  if (!bytes) return fromTable(db, false);
  let rows: NetworkRows;
  try {
    rows = await decodeSnapshot(bytes);
  } catch (error) {
    // Unreadable (another format, damaged): replace it from the table.
    console.error('locator snapshot unreadable, rebuilt from the table', error);
    return fromTable(db, true);
  }
  return { version, value: buildGazetteer(rows) };
}

async function fromTable(db: Database, replace: boolean): Promise<Loaded> {
  const { version, rows } = await readNetworkTable(db);
  try {
    await publishRows(db.$client, version, rows, { replace });
  } catch (error) {
    // The network was read: serve it; the next isolate tries to publish again.
    console.error('locator snapshot not published', error);
  }
  return { version, value: buildGazetteer(rows) };
}

/** The way every isolate loaded the network before snapshots: the benchmark's baseline. */
export async function loadGazetteerFromTable(db: Database): Promise<Gazetteer> {
  return buildGazetteer((await readNetworkTable(db)).rows);
}

/** The gazetteer of `rows`, whichever way they were read. Pure. */
export function buildGazetteer(rows: NetworkRows): Gazetteer {
  const places: Place[] = rows.places.map((r) => ({ ...r, nameKey: searchKey(`${r.name} ${r.commune}`) }));
  const members = group(places, (p) => p.inseeCode);
  const network = rows.communes.flatMap((c) => {
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

interface PlacedCommune { inseeCode: string; name: string; key: string; department: string; inside: Place[] }

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
function directory(places: Place[], network: PlacedCommune[]): CommunePlace[] {
  const official = frenchCommunes();
  const networkByCode = new Map(network.map((c) => [c.inseeCode, c]));
  const officialByName = group(official, (c) => `${c.department}:${c.key}`);
  const points = new Map<string, Place[]>();
  const matched = new Set<PlacedCommune>();
  const claim = (code: string, c: PlacedCommune) => {
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
