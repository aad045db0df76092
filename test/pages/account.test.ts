/**
 * The account in Chromium with JavaScript off: a favourite office added
 * from its page, the profile and its refusals, preferences, the history,
 * the export in one click and the deletion of everything.
 */
import type { Browser } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { outboxOf, sessionCookieOverHttp, signInWithCode } from './accounts';
import { axeViolations, launchChromium } from './chromium';
import { compressedWeight, executableScripts, PAGE_BUDGET_BYTES } from './gates';
import { office, parentOfPartner } from './fixtures';

const baseUrl = inject('baseUrl');
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

describe('the account page', () => {
  it('adds a favourite office from its page, keeps the profile, refuses bad input in French', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const email = `favori.${Date.now()}@exemple.fr`;
    const tab = await signInWithCode(context, email);

    await tab.goto(`${baseUrl}${office.path}`);
    await tab.getByRole('link', { name: 'Ajouter à mes bureaux' }).click();
    await tab.getByRole('button', { name: 'Ajouter à mes bureaux' }).click();
    await tab.waitForURL(/\/compte\?fait=favori/);
    expect(await tab.getByRole('status').innerText()).toContain('Bureaux favoris enregistrés');
    const offices = tab.locator('#bureaux + ul');
    expect(await offices.innerText()).toContain(office.name);

    await tab.getByLabel('Nom (facultatif)').fill('Camille Martin');
    await tab.getByLabel('Téléphone mobile, pour les SMS (facultatif)').fill('06 12 34');
    await tab.getByRole('button', { name: 'Enregistrer le profil' }).click();
    expect(await tab.getByRole('alert').innerText()).toContain('numéro de téléphone mal formé');
    await tab.getByLabel('Téléphone mobile, pour les SMS (facultatif)').fill('06 12 34 56 78');
    await tab.getByRole('button', { name: 'Enregistrer le profil' }).click();
    await tab.waitForURL(/fait=profil/);
    expect(await tab.getByLabel('Nom (facultatif)').inputValue()).toBe('Camille Martin');
    expect(await tab.getByLabel('Téléphone mobile, pour les SMS (facultatif)').inputValue()).toBe('06 12 34 56 78');

    await tab.getByLabel('Numéro et voie').fill('12 rue des Lilas');
    await tab.getByLabel('Code postal').fill('7500');
    await tab.getByLabel('Commune').fill('Paris');
    await tab.getByRole('button', { name: 'Ajouter l’adresse' }).click();
    expect(await tab.getByRole('alert').innerText()).toContain('code postal : 5 chiffres');
    await tab.getByLabel('Code postal').fill('75011');
    await tab.getByRole('button', { name: 'Ajouter l’adresse' }).click();
    await tab.waitForURL(/fait=adresse/);
    expect(await tab.locator('#adresses + ul').innerText()).toContain('12 rue des Lilas, 75011 Paris');

    await tab.getByLabel('Début').fill('22:30');
    await tab.getByRole('button', { name: 'Enregistrer les notifications' }).click();
    await tab.waitForURL(/fait=notifications/);
    expect(await tab.getByLabel('Début').inputValue()).toBe('22:30');

    const history = await tab.locator('#historique + ul').innerText();
    expect(history).toContain(`Bureau ajouté aux favoris : ${office.name}`);
    expect(history).toContain('Compte créé');
    expect(history).toContain('sur le site');
    await context.close();
  });

  it('exports everything in one click, then deletes the account after a confirmation', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, acceptDownloads: true });
    const email = `rgpd.${Date.now()}@exemple.fr`;
    const tab = await signInWithCode(context, email);
    await tab.goto(`${baseUrl}/compte/favoris?ajouter=${parentOfPartner.id}`);
    await tab.getByRole('button', { name: 'Ajouter à mes bureaux' }).click();
    await tab.waitForURL(/fait=favori/);

    const [download] = await Promise.all([tab.waitForEvent('download'), tab.getByRole('button', { name: 'Télécharger toutes mes données (JSON)' }).click()]);
    const data = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(data.account.email).toBe(email);
    expect(data.favourite_offices.map((f: { id: string }) => f.id)).toEqual([parentOfPartner.id]);
    expect(data.history.map((h: { what: string }) => h.what)).toContain('Compte créé');

    await tab.goto(`${baseUrl}/compte/suppression`);
    await tab.getByRole('button', { name: 'Supprimer définitivement mon compte' }).click();
    // The box is required: without JavaScript the browser itself refuses the empty form; the server refuses it too (below).
    expect(new URL(tab.url()).pathname).toBe('/compte/suppression');
    await tab.getByLabel(/Je confirme vouloir supprimer mon compte/).check();
    await tab.getByRole('button', { name: 'Supprimer définitivement mon compte' }).click();
    await tab.waitForURL(`${baseUrl}/?compte=supprime`);
    expect((await context.cookies()).find((c) => c.name === '__Host-guichet-session')).toBeUndefined();
    expect(outboxOf(email)).toEqual([]);

    // The address is free again: the next code creates a new, empty account.
    const again = await signInWithCode(context, email);
    await again.goto(`${baseUrl}/compte`);
    expect(await again.locator('#bureaux + p').innerText()).toContain('Aucun bureau');
    await context.close();
  });

  it('refuses a form without the session’s CSRF token, and an unticked deletion, over HTTP', async () => {
    const cookie = await sessionCookieOverHttp(`csrf.${Date.now()}@exemple.fr`);
    const post = (path: string, body: Record<string, string>) =>
      fetch(`${baseUrl}${path}`, { method: 'POST', body: new URLSearchParams(body), headers: { cookie, origin: baseUrl }, redirect: 'manual' });
    expect((await post('/compte', { action: 'profil', name: 'X', csrf: 'csrf_forged' })).status).toBe(403);
    expect((await post('/compte/suppression', { csrf: 'csrf_forged', confirmer: 'oui' })).status).toBe(403);
    const page = await (await fetch(`${baseUrl}/compte`, { headers: { cookie } })).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    expect((await post('/compte/suppression', { csrf })).status).toBe(400);
    expect((await fetch(`${baseUrl}/compte`, { headers: { cookie }, redirect: 'manual' })).status).toBe(200);
    const long = await post('/compte', { action: 'profil', name: 'x'.repeat(101), csrf });
    expect(long.status).toBe(400);
    expect(await long.text()).toContain('nom trop long');
  });

  it('passes axe, ships no script and fits in 14 KB', async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const tab = await signInWithCode(context, `axe.compte.${Date.now()}@exemple.fr`);
    const session = (await context.cookies()).find((c) => c.name === '__Host-guichet-session')!;
    const cookie = `${session.name}=${session.value}`;
    for (const path of ['/compte', '/compte/suppression', `/compte/favoris?ajouter=${office.id}`]) {
      await tab.goto(`${baseUrl}${path}`);
      expect(await axeViolations(tab), path).toEqual([]);
      const response = await fetch(`${baseUrl}${path}`, { headers: { cookie } });
      const html = await response.text();
      const css = await Promise.all([...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map(async (m) => (await fetch(new URL(m[1]!, baseUrl))).text()));
      expect(executableScripts(html), path).toEqual([]);
      expect(compressedWeight({ status: response.status, html, headers: response.headers, stylesheets: css }), path).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
      expect(response.headers.get('cache-control'), path).toBe('private, no-store');
    }
    await context.close();
  });
});
