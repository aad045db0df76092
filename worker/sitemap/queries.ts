/**
 * @module
 * What the sitemaps list, one file per département: its page, its communes
 * and its active offices; and one file for the shop: its products on sale.
 * Grouping by a stable key (not by position) keeps `lastmod` exact: opening
 * or closing an office changes its département's file and no other. Closed
 * rows count in `lastmod` (their URL left the file), as withdrawn products
 * do in the shop's. Départements' dates come from `department_stats`, kept
 * at write time.
 */
import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import { communes, departmentStats, locations, products } from '../../db/schema';
import type { Database } from '../database';

/**
 * The latest change of a département's rows (closings and hours included),
 * as every write keeps it; undefined when it has no active location.
 */
export async function departmentLastChange(db: Database, department: string): Promise<string | undefined> {
  const row = await db
    .select({ updatedAt: departmentStats.updatedAt })
    .from(departmentStats)
    .where(and(eq(departmentStats.department, department), gt(departmentStats.activeLocations, 0)))
    .get();
  return row?.updatedAt;
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

/** The products on sale (not withdrawn), in sku order, with their last change (ms). */
export async function productsOnSale(db: Database) {
  return db
    .select({ sku: products.sku, updatedAt: products.updatedAt })
    .from(products)
    .where(isNull(products.withdrawnAt))
    .orderBy(asc(products.sku))
    .all();
}

/** The catalogue's latest change (ms), withdrawn products included (their URL left the file); null when empty. */
export async function catalogueLastChange(db: Database): Promise<number | null> {
  const row = await db.select({ at: sql<number | null>`max(${products.updatedAt})` }).from(products).get();
  return row?.at ?? null;
}
