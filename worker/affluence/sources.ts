/**
 * @module
 * Queue-management systems ("bornes de gestion de file") allowed to post
 * one office's visits, and their signing secrets. As for carriers
 * (worker/parcels/carriers.ts), the secret is never stored: it is
 * HMAC(key, id ‖ generation), derived when a request is checked, so the
 * `visit_sources` table alone forges nothing and a new generation retires a
 * leaked secret at once. The key is the carriers' one (`carrierKey`:
 * CARRIER_KEY, or the local database's own): one key for every signed feed,
 * kept apart by the message's prefix (`visit-source-secret|…` here,
 * `carrier-secret|…` there), so one secret never signs for the other feed.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { locations, visitSources } from '../../db/schema';
import type { Database } from '../database';
import { hmacSha256 } from '../http/crypto';

export interface VisitSource {
  id: string;
  /** The one office whose visits it may post. */
  locationId: string;
  name: string;
  generation: number;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export const isVisitSourceId = (text: string) => /^qms_[a-z0-9]{12}$/.test(text);

/** A source's signing secret: `gqs_` and 64 hex digits, derived, never stored. */
export async function visitSourceSecret(key: string, source: Pick<VisitSource, 'id' | 'generation'>): Promise<string> {
  return `gqs_${await hmacSha256(key, `visit-source-secret|${source.id}|${source.generation}`)}`;
}

/** The source with this id, unless unknown or revoked. */
export async function activeVisitSource(db: Database, id: string): Promise<VisitSource | undefined> {
  if (!isVisitSourceId(id)) return undefined;
  return db.select({ id: visitSources.id, locationId: visitSources.locationId, name: visitSources.name, generation: visitSources.generation })
    .from(visitSources).where(and(eq(visitSources.id, id), isNull(visitSources.revokedAt))).get();
}

/** Creates a source for an office; its secret is returned here, once. Undefined when the office is unknown. */
export async function createVisitSource(
  db: Database,
  input: { locationId: string; name: string; key: string; now: Date; id?: string },
): Promise<(VisitSource & { secret: string }) | undefined> {
  const office = await db.select({ id: locations.id }).from(locations).where(eq(locations.id, input.locationId)).get();
  if (!office) return undefined;
  // 12 characters of 36 (a byte modulo 36 is slightly uneven; an id is a name, not a secret).
  const id = input.id ?? `qms_${[...crypto.getRandomValues(new Uint8Array(12))].map((b) => ID_ALPHABET[b % 36]).join('')}`;
  await db.insert(visitSources).values({ id, locationId: office.id, name: input.name, generation: 1, createdAt: input.now.getTime() }).onConflictDoNothing();
  const stored = (await db.select().from(visitSources).where(eq(visitSources.id, id)).get())!;
  return { id, locationId: stored.locationId, name: stored.name, generation: stored.generation, secret: await visitSourceSecret(input.key, stored) };
}

/** A new secret for the source (the previous one stops working at once), or undefined when unknown or revoked. */
export async function rotateVisitSourceSecret(db: Database, id: string, key: string): Promise<(VisitSource & { secret: string }) | undefined> {
  const row = await db.update(visitSources).set({ generation: sql`${visitSources.generation} + 1` })
    .where(and(eq(visitSources.id, id), isNull(visitSources.revokedAt))).returning().get();
  return row ? { id: row.id, locationId: row.locationId, name: row.name, generation: row.generation, secret: await visitSourceSecret(key, row) } : undefined;
}

/** Revokes the source: its requests are refused from now on. False when unknown or already revoked. */
export async function revokeVisitSource(db: Database, id: string, now: Date): Promise<boolean> {
  const row = await db.update(visitSources).set({ revokedAt: now.getTime() })
    .where(and(eq(visitSources.id, id), isNull(visitSources.revokedAt))).returning({ id: visitSources.id }).get();
  return row !== undefined;
}
