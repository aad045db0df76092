/**
 * The frame of a signed-in customer's page without a database: the way to
 * sign in and back, a signed-out visitor's redirect (no cookie, so no
 * query), and a posted form's CSRF check. The signed-in path runs in the
 * page tests (test/pages/), on a real session.
 */
import { describe, expect, it } from 'vitest';
import type { Database } from '../../../worker/database';
import { type CustomerPage, EXPIRED_FORM_MESSAGE, postedForm, signedInPage, signInPath } from '../../../worker/accounts/page-session';
import type { CustomerSession } from '../../../worker/accounts/sessions';

const TOKEN = 'csrf_the-session-token';
const session = { id: 'cse_1', csrfToken: TOKEN, method: 'code' } as CustomerSession;

/** An Astro-like page over a request, recording its answer's status and its redirects. */
function page(request: Request): CustomerPage & { redirects: Array<[string, number]> } {
  const redirects: Array<[string, number]> = [];
  return {
    request,
    response: { headers: new Headers(), status: 200 },
    redirects,
    redirect(path, status) {
      redirects.push([path, status]);
      return new Response(null, { status, headers: { location: path } });
    },
  };
}

const post = (fields: Record<string, string>) =>
  new Request('https://guichet.test/compte/x', { method: 'POST', body: new URLSearchParams(fields) });

describe('signInPath', () => {
  it('comes back to the page asked for, encoded; without one, the sign-in page alone', () => {
    expect(signInPath('/compte/colis?numero=AB12')).toBe('/connexion?suite=%2Fcompte%2Fcolis%3Fnumero%3DAB12');
    expect(signInPath()).toBe('/connexion');
  });
});

describe('signedInPage', () => {
  it('sends a visitor without a session cookie to sign in (303), leaving the answer unmarked', async () => {
    const signedOut = page(new Request('https://guichet.test/compte/guichet'));
    const { session: found, redirect } = await signedInPage(signedOut, {} as Database, new Date(), '/compte/guichet');
    expect(found).toBeUndefined();
    expect(redirect?.status).toBe(303);
    expect(signedOut.redirects).toEqual([['/connexion?suite=%2Fcompte%2Fguichet', 303]]);
    expect(signedOut.response.headers.get('cache-control')).toBeNull();
  });
});

describe('postedForm', () => {
  it('reads nothing on a GET', async () => {
    expect(await postedForm(page(new Request('https://guichet.test/compte/x')), session)).toBeUndefined();
  });

  it('gives the fields of a form carrying the session’s token, status untouched', async () => {
    const posting = page(post({ csrf: TOKEN, annuler: 'RDV-1' }));
    expect(await postedForm(posting, session)).toEqual({ form: { csrf: TOKEN, annuler: 'RDV-1' } });
    expect(posting.response.status).toBe(200);
  });

  it('answers 403 and says the form expired for another token, none, or a body that is no form; the fields stay readable', async () => {
    for (const request of [
      post({ csrf: 'csrf_another', numero: 'AB12' }),
      post({ numero: 'AB12' }),
      new Request('https://guichet.test/compte/x', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
    ]) {
      const posting = page(request);
      const posted = await postedForm(posting, session);
      expect(posted?.expired).toBe(EXPIRED_FORM_MESSAGE);
      expect(posting.response.status).toBe(403);
    }
    expect((await postedForm(page(post({ csrf: 'x', numero: 'AB12' })), session))?.form.numero).toBe('AB12');
  });
});
