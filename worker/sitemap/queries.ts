/**
 * @module
 * What the sitemaps list, one file per département: its page, its communes
 * and its active offices. Grouping by a stable key (not by position) keeps
 * `lastmod` exact: opening or closing an office changes its département's
 * file and no other. Closed rows count in `lastmod` (their URL left the file).
 */
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { communes, locations } from '../../db/schema';
import type { Database } from '../database';

/** Départements with an active location, and the latest change of any of their rows. */
export async function departmentUpdates(db: Database, only?: string) {
  return db
    .select({ department: locations.department, updatedAt: sql<string>`max(${locations.updatedAt})` })
    .from(locations)
    .where(only ? eq(locations.department, only) : undefined)
    .groupBy(locations.department)
    .having(sql`sum(${locations.status} = 'active') > 0`)
    .orderBy(asc(locations.department))
    .all();
}

export async function departmentOffices(db: Database, department: string) {
  return db
    .select({ id: locations.id, name: locations.name, commune: locations.commune, updatedAt: locations.updatedAt })
    .from(locations)
    .where(and(eq(locations.department, department), eq(locations.status, 'active')))
    .orderBy(asc(locations.id))
    .all();
}

export async function departmentCommunes(db: Database, department: string) {
  return db
    .select({ inseeCode: communes.inseeCode, name: communes.name, updatedAt: communes.updatedAt })
    .from(communes)
    .where(and(eq(communes.department, department), gt(communes.activeLocations, 0)))
    .orderBy(asc(communes.inseeCode))
    .all();
}
