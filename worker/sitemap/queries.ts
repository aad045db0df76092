/**
 * @module
 * What the sitemaps list: active offices and communes, in stable order,
 * cut into files of {@link URLS_PER_SITEMAP}, with the latest change of each.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { locations } from '../../db/schema';
import type { Database } from '../database';
import { URLS_PER_SITEMAP } from './xml';

// Inlined, not bound: D1 binds JS numbers as REAL, which would turn the chunk
// arithmetic into float division.
const PER_FILE = sql.raw(String(URLS_PER_SITEMAP));

export interface ChunkInfo {
  chunk: number;
  lastmod: string | null;
}

/** Number and last change of each file of office pages. */
export async function officeChunks(db: Database): Promise<ChunkInfo[]> {
  const rows = await db.all<{ chunk: number; lastmod: string | null }>(sql`
    select (rn - 1) / ${PER_FILE} + 1 as chunk, max(updated_at) as lastmod
    from (select updated_at, row_number() over (order by id) as rn from locations where status = 'active')
    group by chunk order by chunk`);
  return rows.map((r) => ({ chunk: Number(r.chunk), lastmod: r.lastmod }));
}

/** Communes are listed per INSEE code; a commune changes when any of its locations does. */
export async function communeChunks(db: Database): Promise<ChunkInfo[]> {
  const rows = await db.all<{ chunk: number; lastmod: string | null }>(sql`
    select (rn - 1) / ${PER_FILE} + 1 as chunk, max(lastmod) as lastmod
    from (select max(updated_at) as lastmod, row_number() over (order by insee_code) as rn
          from locations where status = 'active' group by insee_code)
    group by chunk order by chunk`);
  return rows.map((r) => ({ chunk: Number(r.chunk), lastmod: r.lastmod }));
}

export async function officesInChunk(db: Database, chunk: number) {
  return db
    .select({ id: locations.id, name: locations.name, commune: locations.commune, updatedAt: locations.updatedAt })
    .from(locations)
    .where(eq(locations.status, 'active'))
    .orderBy(asc(locations.id))
    .limit(URLS_PER_SITEMAP)
    .offset((chunk - 1) * URLS_PER_SITEMAP)
    .all();
}

export async function communesInChunk(db: Database, chunk: number) {
  return db
    .select({
      inseeCode: locations.inseeCode,
      commune: sql<string>`min(${locations.commune})`,
      updatedAt: sql<string>`max(${locations.updatedAt})`,
    })
    .from(locations)
    .where(and(eq(locations.status, 'active')))
    .groupBy(locations.inseeCode)
    .orderBy(asc(locations.inseeCode))
    .limit(URLS_PER_SITEMAP)
    .offset((chunk - 1) * URLS_PER_SITEMAP)
    .all();
}

export async function departmentUpdates(db: Database) {
  return db
    .select({ department: locations.department, updatedAt: sql<string>`max(${locations.updatedAt})` })
    .from(locations)
    .where(eq(locations.status, 'active'))
    .groupBy(locations.department)
    .orderBy(asc(locations.department))
    .all();
}
