/**
 * @module
 * The frame of a signed-in customer's page (site/pages/compte/…, the
 * booking confirmation): the session or the way to sign in, the answer
 * marked personal, and a posted form whose CSRF token is checked. One
 * place, so that no page can forget `personal()` (a cache would keep one
 * customer's page for another) or the token (another site could post the
 * form in the customer's name).
 */
import type { Database } from '../database';
import { personal } from '../http/headers';
import { formFields } from '../staff/form';
import { csrfMatches, currentCustomer, type CustomerSession } from './sessions';

/** What these helpers use of Astro's page global (`Astro`). */
export interface CustomerPage {
  readonly request: Request;
  readonly response: { readonly headers: Headers; status?: number };
  redirect(path: string, status: 303): Response;
}

/** What a page says when a form's CSRF token is not the session's (an old tab, a session ended since, another site). */
export const EXPIRED_FORM_MESSAGE = 'Formulaire expiré : rechargez la page et recommencez.';

/** The sign-in page, coming back to `backTo` (a local path) once signed in; without it, the sign-in page's own way on. */
export const signInPath = (backTo?: string): string => (backTo === undefined ? '/connexion' : `/connexion?suite=${encodeURIComponent(backTo)}`);

/**
 * The signed-in customer's session, the answer already marked personal
 * (private, no-store, Vary: Cookie). Signed out: `redirect`, the 303 to
 * the sign-in page that comes back to `backTo`, for the page to return as it is.
 */
export async function signedInPage(
  page: CustomerPage, db: Database, now: Date, backTo?: string,
): Promise<{ session: CustomerSession; redirect?: undefined } | { session?: undefined; redirect: Response }> {
  const session = await currentCustomer(db, page.request.headers.get('cookie'), now);
  if (!session) return { redirect: page.redirect(signInPath(backTo), 303) };
  personal(page.response.headers);
  return { session };
}

/** A posted form's fields, and `expired` (the message to show) when its CSRF token is not the session's. */
export interface PostedForm {
  form: Record<string, string>;
  expired?: typeof EXPIRED_FORM_MESSAGE;
}

/**
 * On a POST, the form's fields, its CSRF token checked against the
 * session's: a token that does not match (or a body that is not a form)
 * sets the answer's status to 403 and `expired`; the fields stay readable,
 * for the page to show them again. Not a POST: undefined.
 */
export async function postedForm(page: CustomerPage, session: CustomerSession): Promise<PostedForm | undefined> {
  if (page.request.method !== 'POST') return undefined;
  const form = (await formFields(page.request)) ?? {};
  if (csrfMatches(session, form.csrf)) return { form };
  page.response.status = 403;
  return { form, expired: EXPIRED_FORM_MESSAGE };
}
