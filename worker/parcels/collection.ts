/**
 * @module
 * Where a waiting parcel is and until when: the place (an office, relay or
 * locker of the network), its hours as the hours engine knows them, and the
 * collect-by deadline computed from that real calendar (deadline.ts). The
 * page, the API, the messages and the counter read it from here.
 */
import { eq } from 'drizzle-orm';
import { locations, type LocationRow } from '../../db/schema';
import type { LocationType } from '../../db/vocabulary';
import type { Database } from '../database';
import type { Schedule } from '../hours/model';
import { loadSchedule } from '../hours/store';
import { localParts } from '../hours/zoned-time';
import { displayLocationName } from '../locations/names';
import { collectionDeadline, type CollectionDeadline, DEFAULT_HOLDING_DAYS } from './deadline';

export interface CollectionPoint {
  location: Pick<LocationRow, 'id' | 'name' | 'commune' | 'type' | 'timeZone' | 'department' | 'postcode'> & { displayName: string };
  schedule: Schedule;
  holdingDays: number;
  deadline: CollectionDeadline | null;
}

/** Holding periods as configured (`bindings().holdingDays`, from PARCEL_HOLDING_DAYS): the kinds it names. */
export type HoldingDays = Partial<Record<LocationType, number>>;

/** The holding period of a kind of place: configured, else the default. */
export function holdingDaysFor(type: LocationType, configured: HoldingDays = {}): number {
  return configured[type] ?? DEFAULT_HOLDING_DAYS[type];
}

/** The point where a parcel waits since `since`; undefined when the place is unknown. */
export async function collectionPoint(db: Database, locationId: string, since: Date, now: Date, configured: HoldingDays = {}): Promise<CollectionPoint | undefined> {
  const location = await db
    .select({ id: locations.id, name: locations.name, commune: locations.commune, type: locations.type, timeZone: locations.timeZone, department: locations.department, postcode: locations.postcode })
    .from(locations).where(eq(locations.id, locationId)).get();
  if (!location) return undefined;
  // Exceptions from the day of arrival on: the deadline counts from there, even when it is long past.
  const from = since.getTime() < now.getTime() ? since : now;
  const { schedule } = await loadSchedule(db, location, localParts(from, location.timeZone).date);
  const holdingDays = holdingDaysFor(location.type, configured);
  return {
    location: { ...location, displayName: displayLocationName(location.name) },
    schedule,
    holdingDays,
    deadline: collectionDeadline(schedule, since, holdingDays),
  };
}

