/**
 * A person signs up with a code read from `npm run outbox`, in Chromium with
 * JavaScript off, then signs out; the code flow's refusals, over HTTP.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { outboxIds, readCode, sessionCookieOverHttp, signInWithCode } from './accounts';
import { axeViolations, launchChromium } from './chromium';

const baseUrl = inject('baseUrl');
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

describe('signing up with an emailed code', () => {
  it('creates the account on the first code, without JavaScript, and signs out', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const email = `camille.${Date.now()}@exemple.fr`;
    const tab = await signInWithCode(context, email);
    expect(await tab.locator('main').innerText()).toContain(email);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === '__Host-guichet-session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(cookies.find((c) => c.name === '__Host-guichet-attempt')).toBeUndefined();

    await tab.getByRole('button', { name: 'Se déconnecter' }).first().click();
    await tab.waitForURL(`${baseUrl}/`);
    expect((await context.cookies()).find((c) => c.name === '__Host-guichet-session')).toBeUndefined();
    await tab.goto(`${baseUrl}/compte`);
    expect(new URL(tab.url()).pathname).toBe('/connexion');
    await context.close();
  });

  it('pages pass axe: the email form, the code form', async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const tab = await context.newPage();
    await tab.goto(`${baseUrl}/connexion`);
    expect(await axeViolations(tab)).toEqual([]);
    await tab.getByLabel('Adresse électronique').fill(`axe.${Date.now()}@exemple.fr`);
    await tab.getByRole('button', { name: 'Recevoir un code' }).click();
    await tab.waitForURL(/\/connexion\/code/);
    expect(await axeViolations(tab)).toEqual([]);
    await tab.getByLabel('Code reçu').fill('12');
    await tab.getByRole('button', { name: 'Se connecter' }).click();
    expect(await tab.getByRole('alert').innerText()).toContain('6 chiffres');
    expect(await axeViolations(tab)).toEqual([]);
    await context.close();
  });
});

describe('the code flow refuses', () => {
  const post = (path: string, body: Record<string, string>, cookie?: string) =>
    fetch(`${baseUrl}${path}`, { method: 'POST', body: new URLSearchParams(body), headers: { origin: baseUrl, ...(cookie ? { cookie } : {}) }, redirect: 'manual' });

  it('a malformed address with a French message, and sends nothing', async () => {
    const response = await post('/connexion', { email: 'pas-une-adresse' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('adresse électronique mal formée');
  });

  it('the same answer whether or not the address has an account', async () => {
    const known = `connu.${Date.now()}@exemple.fr`;
    await sessionCookieOverHttp(known);
    const unknown = `inconnu.${Date.now()}@exemple.fr`;
    const [a, b] = await Promise.all([post('/connexion', { email: known }), post('/connexion', { email: unknown })]);
    expect([a.status, b.status]).toEqual([303, 303]);
    expect(a.headers.get('location')).toBe(b.headers.get('location'));
  });

  it('a wrong code five times, then even the right one; and a used code', async () => {
    const email = `essais.${Date.now()}@exemple.fr`;
    const seen = outboxIds(email);
    const asked = await post('/connexion', { email });
    const attempt = asked.headers.getSetCookie()[0]!.split(';')[0]!;
    const code = await readCode(email, seen);
    const wrong = code === '000000' ? '111111' : '000000';
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post('/connexion/code', { code: wrong }, attempt)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const after = await post('/connexion/code', { code }, attempt);
    expect(after.status).toBe(401);
    expect(await after.text()).toContain('n’est plus valable');

    const email2 = `unique.${Date.now()}@exemple.fr`;
    const seen2 = outboxIds(email2);
    const attempt2 = (await post('/connexion', { email: email2 })).headers.getSetCookie()[0]!.split(';')[0]!;
    const code2 = await readCode(email2, seen2);
    expect((await post('/connexion/code', { code: code2 }, attempt2)).status).toBe(303);
    expect((await post('/connexion/code', { code: code2 }, attempt2)).status).toBe(401);
  });

  it('a code typed in another browser (no attempt cookie)', async () => {
    const email = `ailleurs.${Date.now()}@exemple.fr`;
    const seen = outboxIds(email);
    await post('/connexion', { email });
    const code = await readCode(email, seen);
    expect((await post('/connexion/code', { code })).status).toBe(401);
  });

  it('puts no address in URLs, and the signed-in pages are private', async () => {
    const email = `prive.${Date.now()}@exemple.fr`;
    const asked = await post('/connexion', { email });
    expect(asked.headers.get('location')).not.toContain('prive');
    const cookie = await sessionCookieOverHttp(`compte.${Date.now()}@exemple.fr`);
    const account = await fetch(`${baseUrl}/compte`, { headers: { cookie } });
    expect(account.status).toBe(200);
    expect(account.headers.get('cache-control')).toBe('private, no-store');
    expect(account.headers.get('vary')).toMatch(/cookie/i);
  });
});
