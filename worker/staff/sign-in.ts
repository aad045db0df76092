/**
 * @module
 * Staff sign-in and sign-out, whoever asks: the pages only read the form
 * fields and the cookie header, set the cookies they are given and show
 * the message.
 */
import type { Database } from '../database';
import { closeSession, currentSession, openSession, SIGNIN_COOKIE_CLEARED, signInCsrf, signInCsrfMatches, sameToken } from './sessions';
import { findStaffByToken, type Staff } from './tokens';

/** The sign-in form's CSRF value (double submit) and, when the browser has none yet, the cookie to set. */
export function signInForm(cookieHeader: string | null): { csrf: string; cookie?: string } {
  const { token, cookie } = signInCsrf(cookieHeader);
  return { csrf: token, cookie };
}

export interface SignInInput {
  /** The request's `Cookie` header: it carries the sign-in CSRF cookie. */
  cookieHeader: string | null;
  /** The form's CSRF field. */
  csrfField: string | undefined;
  /** The personal token as typed. */
  token: string | undefined;
  now: Date;
}

/**
 * A sign-in attempt: signed in, with the cookies to set (the session, and
 * the spent sign-in value cleared) and the page to go to; or refused
 * because the form's CSRF value does not match its cookie (`expired`), or
 * the token is unknown, expired or revoked (`unknown_token`).
 */
export type SignIn = { ok: true; cookies: string[]; landing: string } | { ok: false; problem: 'expired' | 'unknown_token' };

/** Where a staff member starts: the counter for a counter clerk, the closure form for everyone else. */
export const landingOf = (staff: Pick<Staff, 'role'>) => (staff.role === 'counter' ? '/staff/guichet' : '/staff/fermeture');

export async function signIn(db: Database, input: SignInInput): Promise<SignIn> {
  if (!signInCsrfMatches(input.cookieHeader, input.csrfField)) return { ok: false, problem: 'expired' };
  const staff = await findStaffByToken(db, (input.token ?? '').trim(), input.now.toISOString());
  if (!staff) return { ok: false, problem: 'unknown_token' };
  const { cookie } = await openSession(db, staff, input.now);
  return { ok: true, cookies: [cookie, SIGNIN_COOKIE_CLEARED], landing: landingOf(staff) };
}

export interface SignOutInput {
  /** The request's `Cookie` header: it carries the session. */
  cookieHeader: string | null;
  /** The form's CSRF field; undefined when the form was unreadable. */
  csrfField: string | undefined;
  now: Date;
}

/**
 * Ends the current session when the form carries the session's CSRF token;
 * answers the cookies to set (the cleared session cookie), none otherwise.
 */
export async function signOut(db: Database, input: SignOutInput): Promise<{ cookies: string[] }> {
  const session = await currentSession(db, input.cookieHeader, input.now);
  if (!session || input.csrfField === undefined || !sameToken(input.csrfField, session.csrfToken)) return { cookies: [] };
  return { cookies: [await closeSession(db, session)] };
}
