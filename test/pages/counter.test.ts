/**
 * Recognised at the counter, in Chromium with JavaScript off on both
 * sides: the customer shows the rotating code on /compte/guichet, a clerk
 * signed in with a counter token types it on /staff/guichet and sees the
 * customer's name; the visit is in the customer's history. Plus the
 * pages' gates (size, no script, axe, cache policy) and refusals over HTTP.
 */
import { eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { customers } from '../../db/schema';
import { openDatabase } from '../../scripts/local-db';
import { createStaffToken } from '../../worker/staff/tokens';
import { sessionCookieOverHttp, signInWithCode } from './accounts';
import { axeViolations, launchChromium } from './chromium';
import { office } from './fixtures';
import { compressedWeight, executableScripts, fetchPage, PAGE_BUDGET_BYTES } from './gates';
import { staffCookie, staffSignIn } from './staff-session';

const baseUrl = inject('baseUrl');
const counterToken = inject('counterToken');
const staffToken = inject('staffToken');

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

/** The name a customer gives on their profile, written in the served D1 (the profile form is another page's test). */
async function giveName(email: string, name: string) {
  const { db, close } = await openDatabase({ persistTo: inject('statePath') });
  try {
    await db.update(customers).set({ name }).where(eq(customers.email, email));
  } finally {
    await close();
  }
}

const postForm = (path: string, cookie: string, fields: Record<string, string>) => fetch(`${baseUrl}${path}`, {
  method: 'POST', redirect: 'manual',
  headers: { origin: baseUrl, 'content-type': 'application/x-www-form-urlencoded', cookie },
  body: new URLSearchParams(fields),
});

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;

describe('recognised at the counter with the rotating code', () => {
  it('takes the code the phone shows, without JavaScript on either side, and writes the visit in the history', async () => {
    const customerContext = await browser.newContext({ javaScriptEnabled: false });
    const email = `guichet.${Date.now()}@exemple.fr`;
    const phone = await signInWithCode(customerContext, email);
    await giveName(email, 'Camille Martin');
    await phone.goto(`${baseUrl}/compte/guichet`);
    expect(await phone.getByRole('heading', { level: 1 }).innerText()).toBe('Me faire reconnaître au guichet');
    expect(await phone.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    await phone.getByRole('link', { name: 'Mettre à jour automatiquement toutes les 30 secondes' }).click();
    const refresh = Number(await phone.locator('meta[http-equiv="refresh"]').getAttribute('content'));
    expect(refresh).toBeGreaterThanOrEqual(1);
    expect(refresh).toBeLessThanOrEqual(30);
    expect(await phone.getByRole('img', { name: /^QR code à présenter au guichet, valable jusqu’à \d{2}:\d{2}:\d{2}$/ }).count()).toBe(1);
    const shown = /\b(\d{4}) (\d{4})\b/.exec(await phone.locator('main').innerText());
    expect(shown).not.toBeNull();
    expect(await phone.locator('main').innerText()).toMatch(/Valable jusqu’à \d{2}:\d{2}:\d{2}/);

    const clerkContext = await browser.newContext({ javaScriptEnabled: false });
    const desk = await staffSignIn(clerkContext, counterToken, { landing: '/staff/guichet' });
    await desk.getByLabel('Code du client').fill(`${shown![1]} ${shown![2]}`);
    await desk.getByRole('button', { name: 'Reconnaître le client' }).click();
    await desk.waitForURL(`${baseUrl}/staff/guichet`);
    expect(await desk.getByRole('heading', { level: 2 }).first().innerText()).toBe('Camille Martin');
    const seen = await desk.locator('main').innerText();
    expect(seen).toContain('Rien en attente dans ce bureau.');
    expect(seen).not.toContain(email);

    await phone.goto(`${baseUrl}/compte`);
    expect(await phone.locator('main').innerText()).toContain(`au guichet de ${office.name}`);

    await desk.getByRole('button', { name: 'Terminer' }).click();
    expect(await desk.getByRole('status').innerText()).toContain('Session terminée');
    expect(await desk.locator('main').innerText()).not.toContain('Camille Martin');
    // The code was spent.
    await desk.getByLabel('Code du client').fill(shown![1]! + shown![2]!);
    await desk.getByRole('button', { name: 'Reconnaître le client' }).click();
    expect(await desk.getByRole('alert').innerText()).toBe('Code inconnu ou expiré : demandez au client d’afficher à nouveau son code.');
    await customerContext.close();
    await clerkContext.close();
  });

  it('sends a signed-out visitor to sign in, and keeps the code page private, small and script-free', async () => {
    const signedOut = await fetch(`${baseUrl}/compte/guichet`, { redirect: 'manual' });
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('location')).toBe('/connexion?suite=%2Fcompte%2Fguichet');

    const page = await fetchPage(baseUrl, '/compte/guichet', await sessionCookieOverHttp(`poids.${Date.now()}@exemple.fr`));
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('private, no-store');
    expect(page.headers.get('vary')).toContain('Cookie');
    expect(executableScripts(page.html)).toEqual([]);
    expect(page.html).toMatch(/<svg[^>]+role="img"/);
    expect(page.html).not.toContain('http-equiv="refresh"');
    expect(compressedWeight(page)).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
  });

  it('keeps the clerk’s page small and script-free, and refuses a form without its CSRF token', async () => {
    const cookie = await staffCookie(counterToken);
    const page = await fetchPage(baseUrl, '/staff/guichet', cookie);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('private, no-store');
    expect(executableScripts(page.html)).toEqual([]);
    expect(compressedWeight(page)).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
    const forged = await postForm('/staff/guichet', cookie, { csrf: 'forged', action: 'ouvrir', code: '12345678' });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('Formulaire expiré');
  });

  it('stops a clerk after 10 wrong codes (429), and never says whether an account exists', async () => {
    const { db, close } = await openDatabase({ persistTo: inject('statePath') });
    let secret: string;
    try {
      ({ token: secret } = await createStaffToken(db, {
        name: 'Guichetier pressé (test)', role: 'counter', scopeType: 'office', scopeValue: office.id, now: new Date().toISOString(),
      }));
    } finally {
      await close();
    }
    const cookie = await staffCookie(secret);
    const csrf = csrfOf((await fetchPage(baseUrl, '/staff/guichet', cookie)).html);
    const bodies = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const wrong = await postForm('/staff/guichet', cookie, { csrf, action: 'ouvrir', code: String(20_000_000 + i * 7919) });
      expect(wrong.status).toBe(400);
      bodies.add(/role="alert"[^>]*>([^<]+)</.exec(await wrong.text())![1]!);
    }
    expect([...bodies]).toEqual(['Code inconnu ou expiré : demandez au client d’afficher à nouveau son code.']);
    const limited = await postForm('/staff/guichet', cookie, { csrf, action: 'ouvrir', code: '31415926' });
    expect(limited.status).toBe(429);
    expect(await limited.text()).toContain('Trop de codes refusés');
  });

  it('gives each staff role only its own page', async () => {
    const clerk = await staffCookie(counterToken);
    const closure = await fetchPage(baseUrl, '/staff/fermeture', clerk);
    expect(closure.status).toBe(403);
    expect(closure.html).toContain('href="/staff/guichet"');
    expect(closure.html).not.toContain('name="location"');
    const posted = await postForm('/staff/fermeture', clerk, { csrf: csrfOf(closure.html), location: office.id, date: '2099-01-01', reason: 'works' });
    expect(posted.status).toBe(403);

    const manager = await staffCookie(staffToken);
    const counter = await fetchPage(baseUrl, '/staff/guichet', manager);
    expect(counter.status).toBe(403);
    expect(counter.html).not.toContain('name="code"');
    expect(counter.html).toContain('href="/staff/fermeture"');
  });

  it('passes axe-core WCAG 2.2 AA on the clerk’s page and on the code page (which refreshes only when asked)', async () => {
    const customerContext = await browser.newContext({ bypassCSP: true });
    const phone = await signInWithCode(customerContext, `axe.guichet.${Date.now()}@exemple.fr`);
    await phone.goto(`${baseUrl}/compte/guichet`);
    expect(await phone.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    expect(await axeViolations(phone), '/compte/guichet').toEqual([]);
    const code = /\b(\d{4} \d{4})\b/.exec(await phone.locator('main').innerText())![1]!;

    const clerkContext = await browser.newContext({ bypassCSP: true });
    const desk = await staffSignIn(clerkContext, counterToken, { landing: '/staff/guichet' });
    expect(await axeViolations(desk), 'code form').toEqual([]);
    await desk.getByLabel('Code du client').fill('1234');
    await desk.getByRole('button', { name: 'Reconnaître le client' }).click();
    expect(await desk.getByRole('alert').innerText()).toContain('8 chiffres');
    expect(await axeViolations(desk), 'code form with an error').toEqual([]);
    await desk.getByLabel('Code du client').fill(code);
    await desk.getByRole('button', { name: 'Reconnaître le client' }).click();
    await desk.getByRole('button', { name: 'Terminer' }).waitFor();
    expect(await axeViolations(desk), 'customer recognised').toEqual([]);
    await desk.getByRole('button', { name: 'Terminer' }).click();
    await customerContext.close();
    await clerkContext.close();
  });
});
