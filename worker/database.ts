/**
 * @module
 * The Drizzle handle over a D1 binding. Free of Worker-only imports so Node
 * scripts (importer, demo seed) can use it through wrangler's platform proxy.
 */
import { drizzle } from 'drizzle-orm/d1';
import { type AnyColumn, eq, type SQL, sql } from 'drizzle-orm';
import * as schema from '../db/schema';

export function drizzleDatabase(d1: D1Database) {
  return drizzle(d1, { schema });
}

/** Drizzle over D1; `$client` is the raw binding, for bulk writes. */
export type Database = ReturnType<typeof drizzleDatabase>;

/**
 * A setting generated once and shared by every isolate: the first writer
 * wins, everyone reads what was kept (used for local signing keys when no
 * secret is configured).
 */
export async function readOrCreateSetting(db: Database, name: string, generate: () => string): Promise<string> {
  const read = () => db.select().from(schema.settings).where(eq(schema.settings.name, name)).get();
  const row = await read();
  if (row) return row.value;
  await db.insert(schema.settings).values({ name, value: generate() }).onConflictDoNothing();
  return (await read())!.value;
}

/**
 * `column in (…values)` as ONE bound parameter (a JSON array read by
 * `json_each`): D1 binds at most 100 parameters per statement, and drizzle's
 * `inArray` binds one per value.
 */
export function inList(column: AnyColumn, values: readonly (string | number)[]): SQL {
  return sql`${column} in (select value from json_each(${JSON.stringify(values)}))`;
}
