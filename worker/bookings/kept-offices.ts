/**
 * @module
 * An office's row and schedule, kept in the isolate for the slots listing
 * (the busiest read of bookings: every customer choosing a time asks it,
 * often several times). A kept copy is used only while the office's hours
 * version, as this isolate knows it (worker/edge/versions.ts, read at most
 * 10 s ago), is the one it was read at, and for KEEP_MS at most: a listing
 * shows an hours change as soon as the office page and the search do. A
 * booking never reads from here: it checks the slot against the hours
 * read fresh, so a stale listing can offer a slot, never give a seat.
 *
 * Only plain data is kept (rows, schedules), never a promise or anything
 * holding a request's I/O.
 */
import type { LocationRow } from '../../db/schema';
import type { Database } from '../database';
import { locationVersion } from '../edge/versions';
import type { Schedule } from '../hours/model';
import { scheduleAt } from '../hours/use-cases';
import { findLocation } from '../locations/queries';

/** A kept office older than this is read again, whatever the versions say (the schedule's "today" moves too). */
export const KEEP_MS = 60_000;
/** Offices kept per isolate: a few hundred kB at most; the oldest read goes first. */
export const MAX_KEPT = 2_000;

interface Kept { version: string; at: number; location: LocationRow; schedule: Schedule }
const kept = new Map<string, Kept>();

/** The office's row and its schedule now (kept or read), or undefined when no such location exists. */
export async function officeAndSchedule(db: Database, locationId: string, now: Date): Promise<{ location: LocationRow; schedule: Schedule } | undefined> {
  // '' until this isolate has read the versions: nothing can be trusted then.
  const version = locationVersion(locationId);
  const hit = kept.get(locationId);
  if (hit && version !== '' && hit.version === version && now.getTime() - hit.at < KEEP_MS && now.getTime() >= hit.at) return hit;
  const location = await findLocation(db, locationId);
  if (!location) return undefined;
  const schedule = await scheduleAt(db, location, now);
  if (version !== '') {
    kept.delete(locationId);
    if (kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value!);
    kept.set(locationId, { version, at: now.getTime(), location, schedule });
  }
  return { location, schedule };
}
