/**
 * The low-crowd alerts page, `/compte/alertes-affluence`, against the built
 * Worker: in Chromium with JavaScript off, a signed-in account that is not
 * professional is told how to become one and cannot subscribe; once
 * professional (through the pro API, another door), it follows the office
 * page's link (`?bureau=<id>`), confirms, sees the office in its list (and
 * in the API's), and removes it with the list's button. Over HTTP: signed
 * out, the page sends to sign-in and back with the office; a form without
 * its CSRF token is refused; a place without a counter is explained. Every
 * page passes axe-core WCAG 2.2 AA, ships no script and fits in 14 KB
 * compressed.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sessionCookieOverHttp, signInWithCode } from './accounts';
import { axeViolations, launchChromium } from './chromium';
import { office, partner } from './fixtures';
import { compressedWeight, executableScripts, PAGE_BUDGET_BYTES } from './gates';

const baseUrl = inject('baseUrl');
const PAGE = '/compte/alertes-affluence';
/** 443 061 841 00047: a real establishment's SIRET (its Luhn key checks). */
const SIRET = '44306184100047';

const decode = (html: string) => html.replace(/&#39;/g, '’').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
const textOf = (html: string) => decode(/<main[^>]*>([\s\S]*)<\/main>/.exec(html)![1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;

async function weighed(path: string, cookie: string) {
  const response = await fetch(`${baseUrl}${path}`, { redirect: 'manual', headers: { cookie } });
  const html = await response.text();
  const hrefs = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*>/g)].map((m) => /href="([^"]+)"/.exec(m[0])![1]!);
  const stylesheets = await Promise.all(hrefs.map(async (href) => (await fetch(new URL(href, baseUrl))).text()));
  return { status: response.status, headers: response.headers, html, weight: compressedWeight({ status: response.status, html, headers: response.headers, stylesheets }) };
}

const post = (body: Record<string, string>, cookie: string) =>
  fetch(`${baseUrl}${PAGE}`, { method: 'POST', body: new URLSearchParams(body), headers: { origin: baseUrl, cookie }, redirect: 'manual' });
const becomePro = async (cookie: string) => {
  const response = await fetch(`${baseUrl}/api/v1/account/pro`, {
    method: 'PUT', headers: { origin: baseUrl, cookie, 'content-type': 'application/json' }, body: JSON.stringify({ siret: SIRET, company: 'Atelier Dupont' }),
  });
  expect(response.status).toBe(201);
};

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

describe('low-crowd alerts, in Chromium without JavaScript', () => {
  it('explains the pro requirement, then subscribes from the office’s link, lists and removes', { timeout: 120_000 }, async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const tab = await signInWithCode(context, `alertes.${Date.now()}@exemple.fr`);
    // axe runs in a second context of the same account, with scripts allowed for it alone (the page's CSP bypassed).
    const auditor = await browser.newContext({ bypassCSP: true });
    await auditor.addCookies(await context.cookies());
    const auditTab = await auditor.newPage();
    const audit = async (what: string) => {
      await auditTab.goto(tab.url());
      expect(await axeViolations(auditTab), what).toEqual([]);
    };

    await tab.goto(`${baseUrl}${PAGE}?bureau=${office.id}`);
    expect(await tab.getByRole('heading', { level: 2, name: 'Réservé aux comptes professionnels' }).isVisible()).toBe(true);
    expect(await tab.getByRole('button', { name: /Recevoir l’alerte/ }).count()).toBe(0);
    await audit('not professional');

    const cookie = (await context.cookies()).filter((c) => c.name === '__Host-guichet-session').map((c) => `${c.name}=${c.value}`)[0]!;
    await becomePro(cookie);
    await tab.goto(`${baseUrl}${PAGE}?bureau=${office.id}`);
    expect(await tab.locator('main form').first().innerText()).toContain(office.name);
    await audit('confirmation');
    await tab.getByRole('button', { name: `Recevoir l’alerte de ${office.name}` }).click();
    await tab.waitForURL(`${baseUrl}${PAGE}?ajoute=${office.id}`);
    expect(await tab.getByRole('status').innerText()).toContain(`Alerte enregistrée pour ${office.name}`);
    expect(await tab.getByRole('link', { name: office.name, exact: true }).getAttribute('href')).toBe(office.path);
    await audit('list');
    const api = await (await fetch(`${baseUrl}/api/v1/account/affluence-alerts`, { headers: { cookie } })).json() as { items: Array<{ office_id: string }> };
    expect(api.items.map((i) => i.office_id)).toEqual([office.id]);

    await tab.getByRole('button', { name: `Ne plus recevoir l’alerte de ${office.name}` }).click();
    await tab.waitForURL(`${baseUrl}${PAGE}?retire=${office.id}`);
    expect(await tab.locator('main').innerText()).toContain('Aucune alerte pour l’instant');
    await audit('removed');
    await auditor.close();
    await context.close();
  });
});

describe('low-crowd alerts over HTTP', () => {
  it('sends a signed-out visitor to sign in and back to the office’s confirmation', async () => {
    const response = await fetch(`${baseUrl}${PAGE}?bureau=${office.id}`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/connexion?suite=${encodeURIComponent(`${PAGE}?bureau=${office.id}`)}`);
  });

  it('refuses a form without its token, explains a place without a counter; personal, no script, within budget', { timeout: 60_000 }, async () => {
    const cookie = await sessionCookieOverHttp(`alertes.http.${Date.now()}@exemple.fr`);
    await becomePro(cookie);
    const page = await weighed(`${PAGE}?bureau=${office.id}`, cookie);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('private, no-store');
    expect(executableScripts(page.html)).toEqual([]);
    expect(page.weight).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);

    const forged = await post({ bureau: office.id }, cookie);
    expect(forged.status).toBe(403);
    expect(textOf(await forged.text())).toContain('Formulaire expiré');
    expect(((await (await fetch(`${baseUrl}/api/v1/account/affluence-alerts`, { headers: { cookie } })).json()) as { items: unknown[] }).items).toEqual([]);

    const relay = await weighed(`${PAGE}?bureau=${partner.id}`, cookie);
    expect(relay.status).toBe(409);
    expect(textOf(relay.html)).toContain(`${partner.name} n’a pas de guichet`);
    const refused = await post({ bureau: partner.id, csrf: csrfOf(page.html) }, cookie);
    expect(refused.status).toBe(409);

    const made = await post({ bureau: office.id, csrf: csrfOf(page.html) }, cookie);
    expect(made.status).toBe(303);
    expect(made.headers.get('location')).toBe(`${PAGE}?ajoute=${office.id}`);
  });
});
