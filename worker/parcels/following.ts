/**
 * @module
 * A customer's parcels: added to the account with the recipient's postcode
 * as proof (the carrier sends it; we keep only a MAC bound to the parcel),
 * so nobody collects other people's parcels by guessing numbers. Wrong
 * postcodes count against the customer (10 an hour) and the parcel (20 an
 * hour, whoever guesses), each comparison taking its slot by a conditional
 * write before it is made. An unknown parcel and a wrong postcode get the
 * same answer.
 */
import { and, eq, sql } from 'drizzle-orm';
import { customerParcels, parcelFollowFailures, parcels } from '../../db/schema';
import { historyInsert, historyInsertIf } from '../accounts/history';
import type { Database } from '../database';
import { sameToken } from '../http/crypto';
import { postcodeMac } from './carriers';
import { parseTrackingNumber } from './tracking-number';

export const MAX_FOLLOWED_PARCELS = 50;
export const MAX_POSTCODE_FAILURES_PER_HOUR = 10;
/** Across every account: free accounts must not multiply the guesses on one parcel. */
export const MAX_POSTCODE_FAILURES_PER_PARCEL = 20;

export type FollowResult =
  | { ok: true; trackingNumber: string }
  | { ok: false; problem: 'invalid'; field: 'tracking_number' | 'postcode'; reason: string }
  | { ok: false; problem: 'no_match' | 'rate_limited' | 'too_many' };

export async function followParcel(
  db: Database,
  customerId: string,
  input: { trackingNumber: string; postcode: string; key: string; now: Date },
): Promise<FollowResult> {
  const parsed = parseTrackingNumber(input.trackingNumber);
  if (!parsed.ok) return { ok: false, problem: 'invalid', field: 'tracking_number', reason: parsed.reason };
  const postcode = input.postcode.trim();
  if (!/^\d{5}$/.test(postcode)) return { ok: false, problem: 'invalid', field: 'postcode', reason: 'code postal du destinataire : 5 chiffres' };
  const number = parsed.number;
  const now = input.now.getTime();
  const hourAgo = now - 3_600_000;
  // Each comparison first takes a slot (10 an hour per customer, 20 per parcel), by the insert itself:
  // guesses sent at once cannot all read "no failure yet" and all be compared.
  const slot = await db.insert(parcelFollowFailures).select(
    db.select({ id: sql<number>`NULL`.as('id'), customerId: sql<string>`${customerId}`.as('customer_id'), trackingNumber: sql<string>`${number}`.as('tracking_number'), at: sql<number>`${now}`.as('at') })
      .from(sql`(SELECT 1)`)
      .where(sql`(select count(*) from parcel_follow_failures where customer_id = ${customerId} and at > ${hourAgo}) < ${MAX_POSTCODE_FAILURES_PER_HOUR}
        and (select count(*) from parcel_follow_failures where tracking_number = ${number} and at > ${hourAgo}) < ${MAX_POSTCODE_FAILURES_PER_PARCEL}`),
  ).returning({ id: parcelFollowFailures.id }).get();
  if (!slot) return { ok: false, problem: 'rate_limited' };

  // Any carrier's postcode for this parcel proves it (a later carrier cannot lock the recipient out).
  const expected = await postcodeMac(input.key, number, postcode);
  const matches = await db.all<{ mac: string }>(sql`select distinct postcode_mac as mac from parcel_events where tracking_number = ${number} and postcode_mac is not null`);
  if (!matches.some((m) => sameToken(m.mac, expected))) return { ok: false, problem: 'no_match' };
  const at = new Date(now).toISOString();
  const [, added] = await db.batch([
    // A right guess gives its slot back.
    db.delete(parcelFollowFailures).where(eq(parcelFollowFailures.id, slot.id)),
    db.insert(customerParcels).select(
      db.select({ customerId: sql<string>`${customerId}`.as('customer_id'), trackingNumber: sql<string>`${number}`.as('tracking_number'), addedAt: sql<string>`${at}`.as('added_at') })
        .from(sql`(SELECT 1)`)
        .where(sql`(select count(*) from customer_parcels where customer_id = ${customerId}) < ${MAX_FOLLOWED_PARCELS}`),
    ).onConflictDoNothing().returning({ n: customerParcels.trackingNumber }),
    historyInsertIf(db, { customerId, kind: 'parcel.followed', at: input.now, where: { channel: 'web' }, detail: number },
      sql`exists (select 1 from customer_parcels where customer_id = ${customerId} and tracking_number = ${number} and added_at = ${at})`),
  ]);
  if (added.length) return { ok: true, trackingNumber: number };
  const already = await db.select().from(customerParcels).where(and(eq(customerParcels.customerId, customerId), eq(customerParcels.trackingNumber, number))).get();
  return already ? { ok: true, trackingNumber: number } : { ok: false, problem: 'too_many' };
}

/** Stops following; stopping a parcel not followed changes nothing. */
export async function unfollowParcel(db: Database, customerId: string, trackingNumber: string, now: Date): Promise<void> {
  const mine = and(eq(customerParcels.customerId, customerId), eq(customerParcels.trackingNumber, trackingNumber));
  if (!(await db.select().from(customerParcels).where(mine).get())) return;
  await db.batch([
    db.delete(customerParcels).where(mine),
    historyInsert(db, { customerId, kind: 'parcel.unfollowed', at: now, where: { channel: 'web' }, detail: trackingNumber }),
  ]);
}

export interface FollowedParcel {
  trackingNumber: string;
  addedAt: string;
  step: number;
  delivered: boolean;
  incidents: string[];
  waitingLocationId: string | null;
  waitingSince: number | null;
  lastEventAt: number | null;
  lastCode: string | null;
}

/** The customer's parcels, newest first, with their stored state (the home, the account, the counter). */
export async function followedParcels(db: Database, customerId: string): Promise<FollowedParcel[]> {
  const rows = await db.select({
    trackingNumber: customerParcels.trackingNumber, addedAt: customerParcels.addedAt, step: parcels.step, delivered: parcels.delivered,
    incidents: parcels.incidents, waitingLocationId: parcels.waitingLocationId, waitingSince: parcels.waitingSince,
    lastEventAt: parcels.lastEventAt, lastCode: parcels.lastCode,
  }).from(customerParcels).innerJoin(parcels, eq(parcels.trackingNumber, customerParcels.trackingNumber))
    .where(eq(customerParcels.customerId, customerId)).orderBy(sql`${customerParcels.addedAt} desc`);
  return rows;
}
