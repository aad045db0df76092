/**
 * @module
 * A customer's usual offices: added from an office's page (after a
 * confirmation form), removed from the account page, shown on the home.
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { customerFavourites, locations } from '../../db/schema';
import type { Database } from '../database';
import { locationSlug } from '../locations/names';
import { historyInsert, historyInsertIf } from './history';
import { MAX_FAVOURITES } from './model';

export interface Favourite {
  locationId: string;
  name: string;
  commune: string;
  timeZone: string;
  /** What its hours need beside the zone (public holidays), and whether it still operates: the home reads no more. */
  department: string;
  status: 'active' | 'closed';
  /** Its public page, `/bureaux/…`. */
  href: string;
}

/** The favourites in the order they were added (the first is "my office"). */
export async function favouritesOf(db: Database, customerId: string): Promise<Favourite[]> {
  const rows = await db.select({
    locationId: customerFavourites.locationId, name: locations.name, commune: locations.commune, timeZone: locations.timeZone,
    department: locations.department, status: locations.status,
  }).from(customerFavourites)
    .innerJoin(locations, eq(locations.id, customerFavourites.locationId))
    .where(eq(customerFavourites.customerId, customerId))
    .orderBy(asc(customerFavourites.addedAt), asc(customerFavourites.locationId));
  return rows.map((row) => ({ ...row, href: `/bureaux/${locationSlug({ id: row.locationId, name: row.name, commune: row.commune })}` }));
}

export type FavouriteChange = { ok: true; name: string } | { ok: false; problem: 'unknown_location' | 'too_many' };

/** Adds an office (idempotent: adding it twice changes nothing). */
export async function addFavourite(db: Database, customerId: string, locationId: string, now: Date): Promise<FavouriteChange> {
  const location = await db.select({ id: locations.id, name: locations.name }).from(locations).where(eq(locations.id, locationId)).get();
  if (!location) return { ok: false, problem: 'unknown_location' };
  const at = now.toISOString();
  // The limit is checked by the insert itself, and the history entry written only for a row this batch added:
  // concurrent additions can neither pass the limit nor record an addition that did not happen.
  const [added] = await db.batch([
    db.insert(customerFavourites).select(
      db.select({ customerId: sql<string>`${customerId}`.as('customer_id'), locationId: sql<string>`${locationId}`.as('location_id'), addedAt: sql<string>`${at}`.as('added_at') })
        .from(sql`(SELECT 1)`)
        .where(sql`(SELECT count(*) FROM customer_favourites WHERE customer_id = ${customerId}) < ${MAX_FAVOURITES}`),
    ).onConflictDoNothing().returning({ id: customerFavourites.locationId }),
    historyInsertIf(db, { customerId, kind: 'favourite.added', at: now, where: { channel: 'web' }, detail: location.name },
      sql`exists (select 1 from customer_favourites where customer_id = ${customerId} and location_id = ${locationId} and added_at = ${at})`),
  ]);
  if (added.length) return { ok: true, name: location.name };
  const already = await db.select().from(customerFavourites)
    .where(and(eq(customerFavourites.customerId, customerId), eq(customerFavourites.locationId, locationId))).get();
  return already ? { ok: true, name: location.name } : { ok: false, problem: 'too_many' };
}

/** Removes an office from the favourites; removing one that is not there changes nothing. */
export async function removeFavourite(db: Database, customerId: string, locationId: string, now: Date): Promise<void> {
  const location = await db.select({ name: locations.name }).from(locations).where(eq(locations.id, locationId)).get();
  const mine = and(eq(customerFavourites.customerId, customerId), eq(customerFavourites.locationId, locationId));
  if (!(await db.select().from(customerFavourites).where(mine).get())) return;
  await db.batch([
    db.delete(customerFavourites).where(mine),
    historyInsert(db, { customerId, kind: 'favourite.removed', at: now, where: { channel: 'web' }, detail: location?.name ?? locationId }),
  ]);
}

/** The favourites' ids among some locations (for the office page's button state, never cached). */
export async function favouriteIdsAmong(db: Database, customerId: string, locationIds: string[]): Promise<Set<string>> {
  if (!locationIds.length) return new Set();
  const rows = await db.select({ id: customerFavourites.locationId }).from(customerFavourites)
    .where(and(eq(customerFavourites.customerId, customerId), inArray(customerFavourites.locationId, locationIds)));
  return new Set(rows.map((r) => r.id));
}

/** The office a customer is about to add, as the confirmation shows it; undefined for an unknown or malformed id. */
export async function officeToAdd(db: Database, locationId: string): Promise<{ id: string; name: string; commune: string } | undefined> {
  if (!/^[A-Z0-9]{1,20}$/.test(locationId)) return undefined;
  return db.select({ id: locations.id, name: locations.name, commune: locations.commune }).from(locations).where(eq(locations.id, locationId)).get();
}
