/**
 * Signing in as staff in page tests, the real way: through the
 * /staff/connexion form with a personal access token, over plain HTTP (its
 * CSRF cookie and field, then the `__Host-guichet-staff` cookie) or in a
 * browser tab. One place for what every staff page test needs before it
 * reaches its page; staff.test.ts tests the sign-in itself.
 * @module
 */
import type { BrowserContext, Page } from 'playwright-core';
import { expect, inject } from 'vitest';

/** The sign-in page as a browser gets it: its CSRF cookie (as set, and the pair to send back) and the same value in the form. */
export async function staffSignInForm(): Promise<{ setCookie: string; cookie: string; csrf: string }> {
  const page = await fetch(`${inject('baseUrl')}/staff/connexion`);
  const setCookie = page.headers.getSetCookie().find((c) => c.startsWith('__Host-guichet-signin=')) ?? '';
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  return { setCookie, cookie: setCookie.split(';')[0]!, csrf };
}

/** A staff session over plain HTTP, from the sign-in form and `secret`: the `__Host-guichet-staff=…` pair to send as a Cookie header. */
export async function staffCookie(secret: string): Promise<string> {
  const baseUrl = inject('baseUrl');
  const form = await staffSignInForm();
  const signedIn = await fetch(`${baseUrl}/staff/connexion`, {
    method: 'POST', redirect: 'manual',
    // A browser sends its Origin with a form post (Astro refuses a cross-site one).
    headers: { origin: baseUrl, 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
    body: new URLSearchParams({ csrf: form.csrf, token: secret }),
  });
  expect(signedIn.status).toBe(303);
  const session = signedIn.headers.getSetCookie().find((c) => c.startsWith('__Host-guichet-staff='));
  expect(session).toBeDefined();
  return session!.split(';')[0]!;
}

export interface StaffSignInOptions {
  /** The page first asked for (default the sign-in page): a stranger must be sent from it to /staff/connexion. */
  from?: string;
  /** Where the sign-in must land (the role's page, e.g. `/staff/guichet`); without it, anywhere but the sign-in page. */
  landing?: string;
}

/** Signs in in a new tab of `context`, as a clerk does: types the token, presses « Se connecter », waits for the landing page. */
export async function staffSignIn(context: BrowserContext, secret: string, { from = '/staff/connexion', landing }: StaffSignInOptions = {}): Promise<Page> {
  const baseUrl = inject('baseUrl');
  const tab = await context.newPage();
  await tab.goto(`${baseUrl}${from}`);
  expect(new URL(tab.url()).pathname).toBe('/staff/connexion');
  await tab.getByLabel('Jeton d’accès personnel').fill(secret);
  await tab.getByRole('button', { name: 'Se connecter' }).click();
  await tab.waitForURL(landing ? `${baseUrl}${landing}` : (url) => !url.pathname.startsWith('/staff/connexion'));
  return tab;
}
