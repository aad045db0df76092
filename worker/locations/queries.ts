/**
 * @module
 * Reading locations from D1. Shared by the API routes and the pages, so a
 * page and the API can never disagree.
 */
import { and, asc, eq, gt, inArray, type SQL, sql } from 'drizzle-orm';
import { communes, type CommuneRow, departmentStats, locations, type LocationRow } from '../../db/schema';
import type { Database } from '../database';
import type { LocationType, Service } from './catalog';

export async function findLocation(db: Database, id: string): Promise<LocationRow | undefined> {
  return db.select().from(locations).where(eq(locations.id, id)).get();
}

/** Locations by id, in chunks that stay under D1's 100 bound parameters. */
export async function listLocationsByIds(db: Database, ids: string[]): Promise<LocationRow[]> {
  const found: LocationRow[] = [];
  for (let i = 0; i < ids.length; i += 90) {
    found.push(...(await db.select().from(locations).where(inArray(locations.id, ids.slice(i, i + 90))).all()));
  }
  return found;
}

export interface LocationFilters {
  types?: LocationType[];
  /** Every listed service must be offered. */
  services?: Service[];
  postcode?: string;
  department?: string;
  status?: 'active' | 'closed' | 'all';
}

function filterConditions(filters: LocationFilters): SQL[] {
  const where: SQL[] = [];
  if (filters.types?.length) where.push(inArray(locations.type, filters.types));
  if (filters.postcode) where.push(eq(locations.postcode, filters.postcode));
  if (filters.department) where.push(eq(locations.department, filters.department));
  if (filters.status && filters.status !== 'all') where.push(eq(locations.status, filters.status));
  for (const service of filters.services ?? []) {
    where.push(sql`exists (select 1 from json_each(${locations.services}) where json_each.value = ${service})`);
  }
  return where;
}

/** One page of locations in id order, starting after `afterId`. */
export async function listLocations(
  db: Database,
  filters: LocationFilters,
  page: { afterId?: string; limit: number },
): Promise<{ rows: LocationRow[]; hasMore: boolean }> {
  const where = filterConditions(filters);
  if (page.afterId) where.push(gt(locations.id, page.afterId));
  const rows = await db
    .select()
    .from(locations)
    .where(and(...where))
    .orderBy(asc(locations.id))
    .limit(page.limit + 1)
    .all();
  return { rows: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
}

export async function findCommune(db: Database, inseeCode: string): Promise<CommuneRow | undefined> {
  return db.select().from(communes).where(eq(communes.inseeCode, inseeCode)).get();
}

/** Active locations of one commune, paged for the commune page. */
export async function listCommuneLocations(
  db: Database,
  inseeCode: string,
  page: { offset: number; limit: number },
): Promise<LocationRow[]> {
  return db
    .select()
    .from(locations)
    .where(and(eq(locations.inseeCode, inseeCode), eq(locations.status, 'active')))
    .orderBy(asc(locations.type), asc(locations.name), asc(locations.id))
    .limit(page.limit)
    .offset(page.offset)
    .all();
}

/** Communes of a département that have an active location, by name. */
export async function listDepartmentCommunes(db: Database, department: string): Promise<CommuneRow[]> {
  return db
    .select()
    .from(communes)
    .where(and(eq(communes.department, department), gt(communes.activeLocations, 0)))
    .orderBy(asc(communes.name))
    .all();
}

export type DepartmentStatsRow = typeof departmentStats.$inferSelect;

/**
 * Départements with an active location, by code, with their figures: kept
 * by every import and hours write, so a request reads about 100 rows
 * instead of grouping every location.
 */
export async function listActiveDepartments(db: Database): Promise<DepartmentStatsRow[]> {
  return db
    .select()
    .from(departmentStats)
    .where(gt(departmentStats.activeLocations, 0))
    .orderBy(asc(departmentStats.department))
    .all();
}
