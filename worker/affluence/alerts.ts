/**
 * @module
 * A professional's low-crowd alerts (issue 13): subscribing to an office,
 * listing, unsubscribing. Both doors (the API, alert-routes.ts, and the page
 * /compte/alertes-affluence) call these; the cron's round that sends them is
 * ./alert-jobs.ts.
 *
 * Only a professional account subscribes: the alert is the pro service
 * that tells when to come with a batch of parcels. Only an office in
 * service with a counter (COUNTER_LOCATION_TYPES): a relay or a locker has
 * no queue to avoid. At most MAX_ALERTS per account, checked by the insert
 * itself, so concurrent subscriptions cannot pass it. Listing and
 * unsubscribing work for any account: one that stopped being professional
 * still sees and removes what it subscribed to (the round no longer
 * sends to it).
 */
import { and, asc, eq } from 'drizzle-orm';
import { affluenceAlerts, locations } from '../../db/schema';
import type { Database } from '../database';
import { COUNTER_LOCATION_TYPES } from '../locations/catalog';
import { findLocation } from '../locations/queries';
import { locationPath } from '../locations/present';
import { isProfessional } from '../pro/profile';

/**
 * Ten offices per account: a business deposits at its own office and the
 * two or three around it; ten leaves room for a multi-site company while
 * keeping each round's work per person small (one reading, one possible
 * message per office).
 */
export const MAX_ALERTS = 10;

export interface AlertSubscription {
  locationId: string;
  name: string;
  commune: string;
  /** `active`, or `closed` once the office left the network (no alert will come). */
  status: 'active' | 'closed';
  /** The office's public page, `/bureaux/…`. */
  path: string;
  createdAt: Date;
}

/** The office as a subscription form shows it. */
export interface OfficeToWatch {
  id: string;
  name: string;
  commune: string;
  path: string;
}

export type SubscribeRefusal =
  | { ok: false; problem: 'not_professional' }
  | { ok: false; problem: 'unknown_office' }
  | { ok: false; problem: 'no_counter'; name: string }
  | { ok: false; problem: 'office_closed'; name: string }
  | { ok: false; problem: 'too_many' };
export type SubscribeResult = { ok: true; created: boolean; subscription: AlertSubscription } | SubscribeRefusal;

/** The customer's alerts, in the order they subscribed. */
export async function alertsOf(db: Database, customerId: string): Promise<AlertSubscription[]> {
  const rows = await db.select({
    locationId: affluenceAlerts.locationId, createdAt: affluenceAlerts.createdAt,
    name: locations.name, commune: locations.commune, status: locations.status,
  }).from(affluenceAlerts)
    .innerJoin(locations, eq(locations.id, affluenceAlerts.locationId))
    .where(eq(affluenceAlerts.customerId, customerId))
    .orderBy(asc(affluenceAlerts.createdAt), asc(affluenceAlerts.locationId))
    .all();
  return rows.map((row) => ({
    locationId: row.locationId, name: row.name, commune: row.commune, status: row.status,
    path: locationPath({ id: row.locationId, name: row.name, commune: row.commune }), createdAt: new Date(row.createdAt),
  }));
}

/** Whether the office can be watched: exists, in service, with a counter; else why not (the name when known). */
export async function officeToWatch(db: Database, locationId: string): Promise<{ ok: true; office: OfficeToWatch } | Exclude<SubscribeRefusal, { problem: 'not_professional' | 'too_many' }>> {
  const location = await findLocation(db, locationId);
  if (!location) return { ok: false, problem: 'unknown_office' };
  if (!COUNTER_LOCATION_TYPES.has(location.type)) return { ok: false, problem: 'no_counter', name: location.name };
  if (location.status !== 'active') return { ok: false, problem: 'office_closed', name: location.name };
  return { ok: true, office: { id: location.id, name: location.name, commune: location.commune, path: locationPath(location) } };
}

/** Subscribes to an office's alert; subscribing again changes nothing (its state is kept). */
export async function subscribeAlert(db: Database, input: { customerId: string; locationId: string; now: Date }): Promise<SubscribeResult> {
  if (!(await isProfessional(db, input.customerId))) return { ok: false, problem: 'not_professional' };
  const watched = await officeToWatch(db, input.locationId);
  if (!watched.ok) return watched;
  const { office } = watched;
  // The limit is decided by the insert itself: two subscriptions at once cannot both pass it.
  const inserted = await db.$client.prepare(
    `insert into affluence_alerts (customer_id, location_id, armed, low_since, last_sent_date, created_at)
     select ?1, ?2, 1, null, null, ?3 where (select count(*) from affluence_alerts where customer_id = ?1) < ?4
     on conflict do nothing returning created_at`,
  ).bind(input.customerId, office.id, input.now.getTime(), MAX_ALERTS).all<{ created_at: number }>();
  const existing = inserted.results[0]?.created_at ?? (await db.select({ createdAt: affluenceAlerts.createdAt }).from(affluenceAlerts)
    .where(and(eq(affluenceAlerts.customerId, input.customerId), eq(affluenceAlerts.locationId, office.id))).get())?.createdAt;
  if (existing === undefined) return { ok: false, problem: 'too_many' };
  return {
    ok: true,
    created: inserted.results.length === 1,
    subscription: { locationId: office.id, name: office.name, commune: office.commune, status: 'active', path: office.path, createdAt: new Date(existing) },
  };
}

/** Unsubscribes; false when there was no such alert. */
export async function unsubscribeAlert(db: Database, input: { customerId: string; locationId: string }): Promise<boolean> {
  const removed = await db.delete(affluenceAlerts)
    .where(and(eq(affluenceAlerts.customerId, input.customerId), eq(affluenceAlerts.locationId, input.locationId)))
    .returning({ id: affluenceAlerts.locationId });
  return removed.length > 0;
}
