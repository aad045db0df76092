/**
 * @module
 * Staff bearer tokens: 256-bit random secrets shown once, stored as SHA-256
 * digests, each with a role and a scope (one office, one département, or
 * the whole network). Least privilege: `exceptions` may only declare and
 * remove exceptions; `hours` may also replace weekly rules and declare an
 * exception for many locations at once; `counter` may change no hours at
 * all (it opens counter sessions at its office, worker/accounts/counter.ts).
 */
import { and, eq, gt, isNull, or } from 'drizzle-orm';
import { staffSessions, staffTokens, type StaffRole } from '../../db/schema';
import type { Database } from '../database';
import { newSecret, sha256 } from '../http/crypto';

export interface Staff {
  id: string;
  name: string;
  role: StaffRole;
  scopeType: 'office' | 'department' | 'network';
  scopeValue: string | null;
}

export type StaffAction = 'exception' | 'weekly' | 'bulk';

const TOKEN_PREFIX = 'gst_';

export async function findStaffByToken(db: Database, token: string, now: string): Promise<Staff | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return undefined;
  const row = await db
    .select()
    .from(staffTokens)
    .where(and(
      eq(staffTokens.tokenHash, await sha256(token)),
      isNull(staffTokens.revokedAt),
      or(isNull(staffTokens.expiresAt), gt(staffTokens.expiresAt, now)),
    ))
    .get();
  return row ? { id: row.id, name: row.name, role: row.role, scopeType: row.scopeType, scopeValue: row.scopeValue } : undefined;
}

export async function findStaffById(db: Database, id: string, now: string): Promise<Staff | undefined> {
  const row = await db.select().from(staffTokens)
    .where(and(eq(staffTokens.id, id), isNull(staffTokens.revokedAt), or(isNull(staffTokens.expiresAt), gt(staffTokens.expiresAt, now))))
    .get();
  return row ? { id: row.id, name: row.name, role: row.role, scopeType: row.scopeType, scopeValue: row.scopeValue } : undefined;
}

/** Creates a token and returns its secret: the only time it is ever seen. */
export async function createStaffToken(
  db: Database,
  input: Omit<Staff, 'id'> & { now: string; expiresAt?: string | null },
): Promise<{ id: string; token: string }> {
  const token = newSecret(TOKEN_PREFIX);
  const id = `stf_${crypto.randomUUID()}`;
  await db.insert(staffTokens).values({
    id, name: input.name, tokenHash: await sha256(token), role: input.role, scopeType: input.scopeType,
    scopeValue: input.scopeValue, createdAt: input.now, expiresAt: input.expiresAt ?? null,
  });
  return { id, token };
}

/**
 * Revokes a token, named by its id (`stf_…`, printed at creation) or by its
 * secret (`gst_…`, when its holder reports it leaked). Its sessions end with
 * it: they are checked against the token on every request.
 */
export async function revokeStaffToken(
  db: Database,
  which: { id?: string; token?: string },
  now: string,
): Promise<{ id: string; name: string; alreadyRevoked: boolean } | undefined> {
  const where = which.id ? eq(staffTokens.id, which.id) : eq(staffTokens.tokenHash, await sha256(which.token ?? ''));
  const row = await db.select().from(staffTokens).where(where).get();
  if (!row) return undefined;
  if (!row.revokedAt) {
    await db.update(staffTokens).set({ revokedAt: now }).where(eq(staffTokens.id, row.id));
    await db.delete(staffSessions).where(eq(staffSessions.tokenId, row.id));
  }
  return { id: row.id, name: row.name, alreadyRevoked: Boolean(row.revokedAt) };
}

/** Whether the location lies in the staff member's scope (an office includes the partner points attached to it). */
export function inScope(staff: Staff, location: { id: string; parentId: string | null; department: string }): boolean {
  switch (staff.scopeType) {
    case 'network':
      return true;
    case 'department':
      return location.department === staff.scopeValue;
    case 'office':
      return location.id === staff.scopeValue || location.parentId === staff.scopeValue;
  }
}

/** Whether the staff member's role allows an hours action. Every role is named: a new role does not compile until it is decided here. */
export function mayDo(staff: Staff, action: StaffAction): boolean {
  switch (staff.role) {
    case 'hours':
      return true;
    case 'exceptions':
      return action === 'exception';
    case 'counter':
      return false;
  }
}
