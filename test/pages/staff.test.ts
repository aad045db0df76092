/**
 * The office manager's closure form in Chromium with JavaScript off: sign
 * in, declare a closure, see it on the office page. Plus CSRF and axe.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { axeViolations, launchChromium } from './chromium';
import { addDays, localParts } from '../../worker/hours/zoned-time';
import { office, PAGES } from './fixtures';
import { staffSignIn, staffSignInForm } from './staff-session';

const baseUrl = inject('baseUrl');
const staffToken = inject('staffToken');

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

/** Signed in with the office manager's token, starting from the closure form (a stranger asking for it is sent to sign in first). */
const signIn = (context: BrowserContext) => staffSignIn(context, staffToken, { from: '/staff/fermeture', landing: '/staff/fermeture' });

describe('declaring an exceptional closure', () => {
  it('takes one form, without JavaScript, and shows on the office page', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const tab = await signIn(context);
    expect(await tab.getByLabel('Point de contact (identifiant)').inputValue()).toBe(office.id);
    const day = addDays(localParts(new Date(), office.timeZone).date, 2);
    await tab.getByLabel('Date').fill(day);
    await tab.getByLabel('Motif').selectOption('works');
    await tab.getByLabel('Message au public (facultatif)').fill('Travaux de peinture');
    await tab.getByRole('button', { name: 'Enregistrer la fermeture' }).click();
    await expect.poll(() => tab.getByRole('status').innerText()).toContain(`fermé toute la journée du ${day}`);

    await tab.goto(`${baseUrl}${PAGES.office.path}`);
    const special = await tab.locator('main').innerText();
    expect(special).toContain('Jours particuliers à venir');
    expect(special).toContain('Travaux : Travaux de peinture');
    await context.close();
  });

  it('writes nothing from a form shown before someone else changed the hours', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const tab = await signIn(context);
    const day = addDays(localParts(new Date(), office.timeZone).date, 3);
    await tab.getByLabel('Date').fill(day);
    await tab.getByLabel('Motif').selectOption('strike');

    // Meanwhile, through the API, someone declares another day.
    const hours = `${baseUrl}/api/v1/locations/${office.id}/hours`;
    const read = await fetch(hours);
    const change = await fetch(`${hours}/exceptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${staffToken}`, 'if-match': read.headers.get('etag')!, 'content-type': 'application/json' },
      body: JSON.stringify({ start_date: addDays(day, 1), end_date: addDays(day, 1), closed: true, reason: 'event' }),
    });
    expect(change.status).toBe(201);
    const changed = await change.json() as { version: number };

    await tab.getByRole('button', { name: 'Enregistrer la fermeture' }).click();
    await expect.poll(() => tab.getByRole('alert').innerText())
      .toContain('Les horaires de ce bureau ont changé depuis l’affichage du formulaire : vérifiez-les et recommencez.');
    expect(await tab.getByRole('status').count()).toBe(0);

    const after = await (await fetch(hours)).json() as { version: number; exceptions: Array<{ start_date: string }> };
    expect(after.version).toBe(changed.version);
    expect(after.exceptions.filter((e) => e.start_date === day)).toEqual([]);
    const audit = await (await fetch(`${hours}/audit`, { headers: { authorization: `Bearer ${staffToken}` } })).json() as { entries: Array<{ after: { startDate?: string } | null }> };
    expect(audit.entries.filter((e) => e.after?.startDate === day)).toEqual([]);

    // Shown again with the hours as they are now, the same form goes through.
    await tab.getByRole('button', { name: 'Enregistrer la fermeture' }).click();
    await expect.poll(() => tab.getByRole('status').innerText()).toContain(`fermé toute la journée du ${day}`);
    await context.close();
  });

  it('refuses a form without the session’s CSRF token', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    await signIn(context);
    const response = await context.request.post(`${baseUrl}/staff/fermeture`, {
      headers: { origin: baseUrl },
      form: { csrf: 'forged', location: office.id, date: '2099-01-01', reason: 'works' },
    });
    expect(response.status()).toBe(403);
    expect(await response.text()).toContain('Formulaire expiré');
    await context.close();
  });

  it('keeps the session in a __Host- cookie that scripts and other sites cannot use', async () => {
    const form = await staffSignInForm();
    const response = await fetch(`${baseUrl}/staff/connexion`, {
      method: 'POST', redirect: 'manual',
      headers: { origin: baseUrl, 'content-type': 'application/x-www-form-urlencoded', cookie: form.cookie },
      body: new URLSearchParams({ csrf: form.csrf, token: staffToken }),
    });
    expect(response.status).toBe(303);
    const cookies = response.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('__Host-guichet-staff='))!;
    expect(session).toMatch(/^__Host-guichet-staff=gss_[\w-]{40,};/);
    for (const flag of ['Path=/', 'HttpOnly', 'Secure', 'SameSite=Strict']) expect(session).toContain(flag);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a sign-in without the form’s CSRF value (login CSRF), even with a valid token', async () => {
    const form = await staffSignInForm();
    expect(form.cookie).toMatch(/^__Host-[\w-]+=csrf_[\w-]{43}$/);
    expect(form.setCookie).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Strict/);
    const post = (headers: Record<string, string>, fields: Record<string, string>) => fetch(`${baseUrl}/staff/connexion`, {
      method: 'POST', redirect: 'manual',
      headers: { origin: baseUrl, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ token: staffToken, ...fields }),
    });
    // Another site's form: no cookie of ours, a value of its own.
    for (const [headers, fields] of [[{}, {}], [{}, { csrf: form.csrf }], [{ cookie: form.cookie }, {}], [{ cookie: form.cookie }, { csrf: `csrf_${'A'.repeat(43)}` }]] as const) {
      const response = await post(headers, fields);
      expect(response.status, JSON.stringify([headers, fields])).toBe(403);
      expect(response.headers.getSetCookie().some((c) => c.startsWith('__Host-guichet-staff='))).toBe(false);
      expect(await response.text()).toContain('Formulaire expiré');
    }
    expect((await post({ cookie: form.cookie }, { csrf: form.csrf })).status).toBe(303);
  });

  it('answers 400, not 500, to posts that are not forms', async () => {
    const json = await fetch(`${baseUrl}/staff/connexion`, { method: 'POST', headers: { origin: baseUrl, 'content-type': 'application/json' }, body: '{"token":1}' });
    expect(json.status).toBe(400);
    const context = await browser.newContext({ javaScriptEnabled: false });
    const tab = await signIn(context);
    const csrf = await tab.locator('input[name=csrf]').first().inputValue();
    const impossible = await context.request.post(`${baseUrl}/staff/fermeture`, {
      headers: { origin: baseUrl },
      form: { csrf, location: office.id, date: '2099-02-30', from: '14:00', reason: 'works' },
    });
    expect(impossible.status()).toBe(400);
    expect(await impossible.text()).toContain('Cette date n’existe pas.');
    await context.close();
  });

  it('sends strangers to the sign-in page and refuses a wrong token', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const tab = await context.newPage();
    await tab.goto(`${baseUrl}/staff/connexion`);
    await tab.getByLabel('Jeton d’accès personnel').fill('gst_not-a-real-token');
    await tab.getByRole('button', { name: 'Se connecter' }).click();
    expect(await tab.getByRole('alert').innerText()).toContain('Jeton inconnu');
    await context.close();
  });

  it('has no axe-core WCAG 2.2 AA violation on the sign-in and closure pages', async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const tab = await signIn(context);
    for (const path of ['/staff/fermeture', '/staff/connexion']) {
      await tab.goto(`${baseUrl}${path}`);
      const violations = await axeViolations(tab);
      expect(violations, path).toEqual([]);
    }
    await context.close();
  });
});
