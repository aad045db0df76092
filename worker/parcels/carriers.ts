/**
 * @module
 * Carriers and their signing secrets. HMAC signatures need the same secret
 * on both sides, so it cannot be kept as a digest; it is not kept at all:
 * each carrier's secret is HMAC(CARRIER_KEY, id ‖ generation), derived when
 * a request is checked. The `carriers` table alone (a leaked backup) forges
 * nothing, and a new generation retires a leaked secret (decision 62).
 * CARRIER_KEY is a Worker secret in production; local runs generate one,
 * once, in `settings`, as the account key does.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { carriers } from '../../db/schema';
import { type Database, readOrCreateSetting } from '../database';
import { hmacSha256, randomSecret } from '../http/crypto';

export interface Carrier {
  id: string;
  name: string;
  generation: number;
}

/** The configured CARRIER_KEY, else the local database's own (generated on first use). */
export async function carrierKey(db: Database, configured: string | undefined): Promise<string> {
  return configured ?? (await readOrCreateSetting(db, 'carrier_key', () => randomSecret(32)));
}

/** A carrier's signing secret: `gcs_` and 64 hex digits, derived, never stored. */
export async function carrierSecret(key: string, carrier: Pick<Carrier, 'id' | 'generation'>): Promise<string> {
  return `gcs_${await hmacSha256(key, `carrier-secret|${carrier.id}|${carrier.generation}`)}`;
}

/** The recipient's postcode as stored: a MAC bound to the parcel, so equal postcodes do not link parcels. */
export async function postcodeMac(key: string, trackingNumber: string, postcode: string): Promise<string> {
  return hmacSha256(key, `recipient-postcode|${trackingNumber}|${postcode}`);
}

export const isCarrierId = (text: string) => /^car_[a-z0-9]{12}$/.test(text);

export async function activeCarrier(db: Database, id: string): Promise<Carrier | undefined> {
  if (!isCarrierId(id)) return undefined;
  return db.select({ id: carriers.id, name: carriers.name, generation: carriers.generation }).from(carriers)
    .where(and(eq(carriers.id, id), isNull(carriers.revokedAt))).get();
}

/** Creates a carrier; its secret is returned here, once. */
export async function createCarrier(db: Database, input: { name: string; key: string; now: Date; id?: string }): Promise<Carrier & { secret: string }> {
  const id = input.id ?? `car_${[...crypto.getRandomValues(new Uint8Array(12))].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('')}`;
  const carrier = { id, name: input.name, generation: 1 };
  await db.insert(carriers).values({ ...carrier, createdAt: input.now.toISOString() }).onConflictDoNothing();
  const stored = (await db.select().from(carriers).where(eq(carriers.id, id)).get())!;
  return { id, name: stored.name, generation: stored.generation, secret: await carrierSecret(input.key, stored) };
}

/** A new secret for the carrier (the previous one stops working at once), or undefined when unknown or revoked. */
export async function rotateCarrierSecret(db: Database, id: string, key: string): Promise<(Carrier & { secret: string }) | undefined> {
  const row = await db.update(carriers).set({ generation: sql`${carriers.generation} + 1` })
    .where(and(eq(carriers.id, id), isNull(carriers.revokedAt))).returning().get();
  return row ? { id: row.id, name: row.name, generation: row.generation, secret: await carrierSecret(key, row) } : undefined;
}
