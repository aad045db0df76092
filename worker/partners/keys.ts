/**
 * @module
 * Partner keys: a publishable key (`pk_…`, public, bound to the partner's
 * origins) for the widget and browser calls, a secret key (`sk_…`) for its
 * server. Both are 256-bit random values stored as SHA-256 digests.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { partners } from '../../db/schema';
import type { Database } from '../database';
import { newSecret, sha256 } from '../http/crypto';

export interface Partner {
  id: string;
  name: string;
  allowedOrigins: string[];
}

/** Guichet's own origin: the demo partner embeds the widget on Guichet itself. */
export const SELF_ORIGIN = 'self';

const toPartner = (row: typeof partners.$inferSelect): Partner => ({ id: row.id, name: row.name, allowedOrigins: row.allowedOrigins });

export async function partnerByPublishableKey(db: Database, key: string): Promise<Partner | undefined> {
  if (!/^pk_[\w-]{8,80}$/.test(key)) return undefined;
  const row = await db.select().from(partners)
    .where(and(eq(partners.publishableKeyHash, await sha256(key)), isNull(partners.revokedAt))).get();
  return row ? toPartner(row) : undefined;
}

export async function partnerBySecretKey(db: Database, key: string): Promise<Partner | undefined> {
  if (!/^sk_[\w-]{8,80}$/.test(key)) return undefined;
  const row = await db.select().from(partners)
    .where(and(eq(partners.secretKeyHash, await sha256(key)), isNull(partners.revokedAt))).get();
  return row ? toPartner(row) : undefined;
}

/** Whether `origin` (scheme://host[:port]) is one the partner declared. */
export function originAllowed(partner: Partner, origin: string | null | undefined, selfOrigin: string): boolean {
  if (!origin) return false;
  return partner.allowedOrigins.some((allowed) => (allowed === SELF_ORIGIN ? selfOrigin : allowed) === origin);
}

export function partnerOrigins(partner: Partner, selfOrigin: string): string[] {
  return partner.allowedOrigins.map((o) => (o === SELF_ORIGIN ? selfOrigin : o));
}

/**
 * Revokes a partner's two keys at once, named by its id (`ptn_…`, printed at
 * creation) or by either key. Its widget and API calls stop at once, and
 * choices it received no longer verify.
 */
export async function revokePartner(
  db: Database,
  which: { id?: string; key?: string },
  now: string,
): Promise<{ id: string; name: string; alreadyRevoked: boolean } | undefined> {
  const key = which.key ?? '';
  const where = which.id
    ? eq(partners.id, which.id)
    : key.startsWith('sk_') ? eq(partners.secretKeyHash, await sha256(key)) : eq(partners.publishableKeyHash, await sha256(key));
  const row = await db.select().from(partners).where(where).get();
  if (!row) return undefined;
  if (!row.revokedAt) await db.update(partners).set({ revokedAt: now }).where(eq(partners.id, row.id));
  return { id: row.id, name: row.name, alreadyRevoked: Boolean(row.revokedAt) };
}

export async function createPartner(
  db: Database,
  input: { name: string; allowedOrigins: string[]; now: string; publishableKey?: string },
): Promise<{ id: string; publishableKey: string; secretKey: string }> {
  const publishableKey = input.publishableKey ?? newSecret('pk_');
  const secretKey = newSecret('sk_');
  const id = `ptn_${crypto.randomUUID()}`;
  await db.insert(partners).values({
    id, name: input.name, allowedOrigins: input.allowedOrigins, createdAt: input.now,
    publishableKeyHash: await sha256(publishableKey), secretKeyHash: await sha256(secretKey),
  });
  return { id, publishableKey, secretKey };
}
