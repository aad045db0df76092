/**
 * @module
 * Sign-in sessions for the staff pages: a random secret in a `__Host-`
 * cookie (HttpOnly, Secure, SameSite=Strict), stored as a SHA-256 digest,
 * with a per-session CSRF token that every form must send back.
 */
import { and, eq, gt, lt } from 'drizzle-orm';
import { staffSessions } from '../../db/schema';
import type { Database } from '../database';
import { cookieValue } from '../http/cookies';
import { newSecret, sameToken, sha256 } from '../http/crypto';
import { findStaffById, type Staff } from './tokens';

export const SESSION_COOKIE = '__Host-guichet-staff';
const SESSION_HOURS = 8;

export interface StaffSession {
  id: string;
  staff: Staff;
  csrfToken: string;
}

export async function openSession(db: Database, staff: Staff, now: Date): Promise<{ cookie: string; session: StaffSession }> {
  const secret = newSecret('gss_');
  const id = `ses_${crypto.randomUUID()}`;
  const csrfToken = newSecret('csrf_');
  await db.delete(staffSessions).where(lt(staffSessions.expiresAt, now.toISOString()));
  await db.insert(staffSessions).values({
    id, secretHash: await sha256(secret), tokenId: staff.id, csrfToken,
    expiresAt: new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString(),
  });
  return {
    cookie: `${SESSION_COOKIE}=${secret}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${SESSION_HOURS * 3600}`,
    session: { id, staff, csrfToken },
  };
}

const secretFrom = (cookieHeader: string | null) => cookieValue(cookieHeader, SESSION_COOKIE);

/**
 * Login CSRF: the sign-in form is a double submit. Its page sets a random
 * value in a `__Host-` cookie (which no other site, nor a sibling
 * subdomain, can set) and in a hidden field; a sign-in is accepted only when
 * both match, so another site cannot sign a browser in to an account of its
 * choosing.
 */
export const SIGNIN_COOKIE = '__Host-guichet-signin';
const SIGNIN_MINUTES = 60;
const SIGNIN_VALUE = /^csrf_[\w-]{43}$/;

/** The sign-in form's CSRF value: the browser's current one, or a new one with the cookie to set. */
export function signInCsrf(cookieHeader: string | null): { token: string; cookie?: string } {
  const current = cookieValue(cookieHeader, SIGNIN_COOKIE);
  if (current && SIGNIN_VALUE.test(current)) return { token: current };
  const token = newSecret('csrf_');
  return { token, cookie: `${SIGNIN_COOKIE}=${token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${SIGNIN_MINUTES * 60}` };
}

/** Whether a sign-in post carries the same CSRF value in its field as in its cookie. */
export function signInCsrfMatches(cookieHeader: string | null, field: string | undefined): boolean {
  const cookie = cookieValue(cookieHeader, SIGNIN_COOKIE);
  return Boolean(cookie && field && SIGNIN_VALUE.test(cookie) && sameToken(cookie, field));
}

/** Once signed in, the sign-in value is spent. */
export const SIGNIN_COOKIE_CLEARED = `${SIGNIN_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`;

export async function currentSession(db: Database, cookieHeader: string | null, now: Date): Promise<StaffSession | undefined> {
  const secret = secretFrom(cookieHeader);
  if (!secret || secret.length > 100) return undefined;
  const row = await db.select().from(staffSessions)
    .where(and(eq(staffSessions.secretHash, await sha256(secret)), gt(staffSessions.expiresAt, now.toISOString())))
    .get();
  if (!row) return undefined;
  const staff = await findStaffById(db, row.tokenId, now.toISOString());
  return staff ? { id: row.id, staff, csrfToken: row.csrfToken } : undefined;
}

export async function closeSession(db: Database, session: StaffSession): Promise<string> {
  await db.delete(staffSessions).where(eq(staffSessions.id, session.id));
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`;
}

export { sameToken };
