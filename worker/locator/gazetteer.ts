/**
 * @module
 * The locator's in-memory view of the network: every active location's
 * position, kind and services, with a grid index and searchable names.
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

export interface CommunePlace extends Point {
  inseeCode: string;
  name: string;
  key: string;
  postcodes: string[];
  department: string;
  /** Active locations in the commune. */
  locations: number;
}

export interface Gazetteer {
  places: Place[];
  byId: Map<string, Place>;
  index: GridIndex<Place>;
  communes: CommunePlace[];
  communesByPostcode: Map<string, CommunePlace[]>;
}

const TTL_MS = 5 * 60_000;
let cached: { at: number; value: Promise<Gazetteer> } | undefined;

export function gazetteer(db: Database, now = Date.now()): Promise<Gazetteer> {
  if (!cached || now - cached.at > TTL_MS) {
    const value = load(db);
    cached = { at: now, value };
    // A failed load must not be kept: the next search tries again.
    value.catch(() => {
      if (cached?.value === value) cached = undefined;
    });
  }
  return cached.value;
}

/** For tests: forget the cached network. */
export function forgetGazetteer(): void {
  cached = undefined;
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

  const members = new Map<string, Place[]>();
  for (const p of places) {
    const list = members.get(p.inseeCode);
    if (list) list.push(p);
    else members.set(p.inseeCode, [p]);
  }
  const communeList: CommunePlace[] = communeRows.flatMap((c) => {
    const inside = members.get(c.inseeCode) ?? [];
    if (!inside.length) return [];
    return [{
      inseeCode: c.inseeCode,
      name: c.name,
      key: searchKey(c.name),
      department: c.department,
      postcodes: [...new Set(inside.map((p) => p.postcode))].sort(),
      locations: inside.length,
      latitude: inside.reduce((s, p) => s + p.latitude, 0) / inside.length,
      longitude: inside.reduce((s, p) => s + p.longitude, 0) / inside.length,
    }];
  });
  const communesByPostcode = new Map<string, CommunePlace[]>();
  for (const c of communeList) {
    for (const pc of c.postcodes) {
      const list = communesByPostcode.get(pc);
      if (list) list.push(c);
      else communesByPostcode.set(pc, [c]);
    }
  }

  return {
    places,
    byId: new Map(places.map((p) => [p.id, p])),
    index: new GridIndex(places),
    communes: communeList,
    communesByPostcode,
  };
}
