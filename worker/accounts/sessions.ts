/**
 * @module
 * Customers' sessions: a random secret in the `__Host-guichet-session`
 * cookie (HttpOnly, Secure, SameSite=Lax), stored as a SHA-256 digest, with
 * a per-session CSRF token every form sends back. A new session (new secret)
 * at every sign-in; the one the browser held before is ended. Lifetimes:
 * worker/accounts/model.ts.
 */
import { and, eq, gt, lt, or } from 'drizzle-orm';
import { customers, customerSessions, type CustomerRow } from '../../db/schema';
import type { Database } from '../database';
import { clearCookie, cookieValue, setCookie } from '../http/cookies';
import { newSecret, sameToken, sha256 } from '../http/crypto';
import { historyInsert } from './history';
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, SESSION_TOUCH_MS } from './model';

export const CUSTOMER_COOKIE = '__Host-guichet-session';
const SECRET = /^gcs_[\w-]{43}$/;

export interface CustomerSession {
  id: string;
  customer: CustomerRow;
  csrfToken: string;
  method: 'code' | 'passkey';
}

const sessionCookie = (secret: string) => setCookie(CUSTOMER_COOKIE, secret, { maxAgeSeconds: SESSION_ABSOLUTE_MS / 1000, sameSite: 'Lax' });
export const CUSTOMER_COOKIE_CLEARED = clearCookie(CUSTOMER_COOKIE, 'Lax');

const secretOf = (cookieHeader: string | null | undefined) => {
  const secret = cookieValue(cookieHeader, CUSTOMER_COOKIE);
  return secret && SECRET.test(secret) ? secret : undefined;
};

/**
 * Opens a session for a customer who just proved who they are, and ends
 * the one this browser held (session fixation: a sign-in always gets a new
 * secret). Answers the `Set-Cookie` value. The customer's activity and the
 * sign-in's history entry are recorded in the same batch.
 */
export async function openCustomerSession(
  db: Database,
  input: { customerId: string; method: 'code' | 'passkey'; cookieHeader: string | null | undefined; now: Date; historyDetail?: string },
): Promise<{ cookie: string; sessionId: string }> {
  const secret = newSecret('gcs_');
  const id = `cse_${crypto.randomUUID()}`;
  const now = input.now.toISOString();
  const previous = secretOf(input.cookieHeader);
  const idleLimit = new Date(input.now.getTime() - SESSION_IDLE_MS).toISOString();
  await db.batch([
    // Ended sessions of this customer go; so does the one this browser held.
    db.delete(customerSessions).where(and(eq(customerSessions.customerId, input.customerId), or(lt(customerSessions.expiresAt, now), lt(customerSessions.lastSeenAt, idleLimit)))),
    db.delete(customerSessions).where(eq(customerSessions.secretHash, previous ? await sha256(previous) : '-')),
    db.insert(customerSessions).values({
      id, secretHash: await sha256(secret), customerId: input.customerId, csrfToken: newSecret('csrf_'), method: input.method,
      createdAt: now, lastSeenAt: now, expiresAt: new Date(input.now.getTime() + SESSION_ABSOLUTE_MS).toISOString(),
    }),
    db.update(customers).set({ lastActiveAt: now, inactivityWarnedAt: null }).where(eq(customers.id, input.customerId)),
    historyInsert(db, { customerId: input.customerId, kind: input.method === 'code' ? 'sign_in.code' : 'sign_in.passkey', at: input.now, where: { channel: 'web' }, detail: input.historyDetail }),
  ]);
  return { cookie: sessionCookie(secret), sessionId: id };
}

/**
 * The signed-in customer of a request, or undefined (no cookie, unknown,
 * ended by the absolute or idle limit). At most once an hour it records
 * the visit (session and account), which keeps both alive.
 */
export async function currentCustomer(db: Database, cookieHeader: string | null | undefined, now: Date): Promise<CustomerSession | undefined> {
  const secret = secretOf(cookieHeader);
  if (!secret) return undefined;
  const at = now.toISOString();
  const row = await db.select({ session: customerSessions, customer: customers }).from(customerSessions)
    .innerJoin(customers, eq(customers.id, customerSessions.customerId))
    .where(and(
      eq(customerSessions.secretHash, await sha256(secret)),
      gt(customerSessions.expiresAt, at),
      gt(customerSessions.lastSeenAt, new Date(now.getTime() - SESSION_IDLE_MS).toISOString()),
    ))
    .get();
  if (!row) return undefined;
  if (now.getTime() - Date.parse(row.session.lastSeenAt) > SESSION_TOUCH_MS) {
    await db.batch([
      db.update(customerSessions).set({ lastSeenAt: at }).where(eq(customerSessions.id, row.session.id)),
      db.update(customers).set({ lastActiveAt: at, inactivityWarnedAt: null }).where(eq(customers.id, row.customer.id)),
    ]);
  }
  return { id: row.session.id, customer: row.customer, csrfToken: row.session.csrfToken, method: row.session.method };
}

/** Whether a form's CSRF field is this session's token. */
export const csrfMatches = (session: CustomerSession, field: string | undefined | null) =>
  typeof field === 'string' && sameToken(field, session.csrfToken);

/** Ends this session: answers the `Set-Cookie` value that clears the cookie. */
export async function closeCustomerSession(db: Database, session: CustomerSession): Promise<string> {
  await db.delete(customerSessions).where(eq(customerSessions.id, session.id));
  return CUSTOMER_COOKIE_CLEARED;
}
