/**
 * @module
 * The Drizzle handle over a D1 binding. Free of Worker-only imports so Node
 * scripts (importer, demo seed) can use it through wrangler's platform proxy.
 */
import { drizzle } from 'drizzle-orm/d1';
import * as schema from '../db/schema';

export function drizzleDatabase(d1: D1Database) {
  return drizzle(d1, { schema });
}

/** Drizzle over D1; `$client` is the raw binding, for bulk writes. */
export type Database = ReturnType<typeof drizzleDatabase>;
