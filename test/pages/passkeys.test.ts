/**
 * Passkeys in real Chromium, through its virtual authenticator (DevTools
 * protocol, `WebAuthn.addVirtualAuthenticator`): a customer signed up with
 * an emailed code adds a passkey, signs out, and signs back in with it,
 * with the browser's JSON helpers and with the script's own fallback
 * (which also adds a key in the last test).
 * Without JavaScript (or WebAuthn) the page still lists and removes keys.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sessionCookieOverHttp, signInWithCode } from './accounts';
import { axeViolations, launchChromium } from './chromium';
import { executableScripts, fetchPage } from './gates';

const baseUrl = inject('baseUrl');
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

/** A phone's platform authenticator: holds discoverable keys, verifies the user (fingerprint) without asking. */
async function virtualAuthenticator(tab: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await tab.context().newCDPSession(tab);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

/** As in browsers that predate WebAuthn Level 3's JSON helpers: the script must build the JSON itself. */
async function withoutJsonHelpers(tab: Page) {
  await tab.addInitScript(() => {
    const P = window.PublicKeyCredential as unknown as Record<string, unknown> & { prototype: Record<string, unknown> };
    delete P.parseCreationOptionsFromJSON;
    delete P.parseRequestOptionsFromJSON;
    delete P.prototype.toJSON;
  });
  await tab.reload();
  expect(await tab.evaluate(() => [typeof PublicKeyCredential.parseRequestOptionsFromJSON, typeof PublicKeyCredential.prototype.toJSON])).toEqual(['undefined', 'undefined']);
}

async function signOut(tab: Page) {
  await tab.goto(`${baseUrl}/compte`);
  await tab.getByRole('button', { name: 'Se déconnecter' }).first().click();
  await tab.waitForURL(`${baseUrl}/`);
  await tab.goto(`${baseUrl}/compte`);
  expect(new URL(tab.url()).pathname).toBe('/connexion');
}

async function signInWithPasskey(tab: Page, email: string) {
  await tab.goto(`${baseUrl}/connexion`);
  await tab.getByRole('button', { name: 'Se connecter avec une clé d’accès' }).click();
  await tab.waitForURL(`${baseUrl}/compte`);
  expect(await tab.locator('main').innerText()).toContain(email);
}

describe('a passkey, in Chromium with JavaScript', () => {
  let context: BrowserContext;
  afterAll(async () => context?.close());

  it('is added, then signs the customer back in after they sign out', async () => {
    context = await browser.newContext();
    const email = `passkey.${Date.now()}@exemple.fr`;
    const tab = await signInWithCode(context, email);
    const { cdp, authenticatorId } = await virtualAuthenticator(tab);

    await tab.goto(`${baseUrl}/compte/cles`);
    expect(await tab.getByText('Aucune clé d’accès sur ce compte.').count()).toBe(1);
    await tab.getByRole('button', { name: 'Ajouter une clé d’accès' }).click();
    await tab.waitForURL(`${baseUrl}/compte/cles?ajoutee=1`);
    expect(await tab.getByRole('status').innerText()).toBe('Clé d’accès ajoutée.');
    expect(await tab.locator('main li strong').allInnerTexts()).toEqual([expect.stringMatching(/^Clé ajoutée le \d\d\/\d\d\/\d{4} à \d\d:\d\d$/)]);
    expect(await tab.locator('main li .meta').innerText()).toContain('jamais utilisée');
    // The authenticator now holds one discoverable key for this site.
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });

    await signOut(tab);
    await signInWithPasskey(tab, email);
    await tab.goto(`${baseUrl}/compte/cles`);
    expect(await tab.locator('main li .meta').innerText()).toContain('dernière utilisation le');

    // Browsers without PublicKeyCredential's JSON helpers (or a credential without toJSON): the script's own base64url.
    await signOut(tab);
    await withoutJsonHelpers(tab);
    await signInWithPasskey(tab, email);
  });

  it('the keys page passes axe, with a key listed and the add button shown', async () => {
    const axeContext = await browser.newContext({ bypassCSP: true, storageState: await context.storageState() });
    const tab = await axeContext.newPage();
    await tab.goto(`${baseUrl}/compte/cles`);
    await expect.poll(() => tab.getByRole('button', { name: 'Ajouter une clé d’accès' }).isVisible()).toBe(true);
    expect(await tab.locator('main li').count()).toBe(1);
    expect(await axeViolations(tab)).toEqual([]);
    await axeContext.close();
  });
});

describe('the keys page without JavaScript or WebAuthn', () => {
  it('keeps the add button hidden where WebAuthn is missing, and says the code always works', async () => {
    const context = await browser.newContext();
    const tab = await signInWithCode(context, `sans-webauthn.${Date.now()}@exemple.fr`);
    await tab.addInitScript(() => {
      delete (window as { PublicKeyCredential?: unknown }).PublicKeyCredential;
    });
    await tab.goto(`${baseUrl}/compte/cles`);
    await tab.waitForLoadState('load');
    expect(await tab.getByRole('button', { name: 'Ajouter une clé d’accès' }).isHidden()).toBe(true);
    expect(await tab.locator('main').innerText()).toContain('la connexion par code reçu par courriel fonctionne toujours');
    await tab.goto(`${baseUrl}/connexion`);
    await tab.waitForLoadState('load');
    expect(await tab.getByRole('button', { name: 'Se connecter avec une clé d’accès' }).isHidden()).toBe(true);
    await context.close();
  });

  it('removes a key with a plain form (CSRF checked), and sends the signed-out to /connexion', async () => {
    const email = `retrait.${Date.now()}@exemple.fr`;
    // A key is added with JavaScript on; the rest happens with it off.
    const withJs = await browser.newContext();
    const tab = await signInWithCode(withJs, email);
    await virtualAuthenticator(tab);
    await tab.goto(`${baseUrl}/compte/cles`);
    // Added through the script's own base64url path this time.
    await withoutJsonHelpers(tab);
    await tab.getByRole('button', { name: 'Ajouter une clé d’accès' }).click();
    await tab.waitForURL(/ajoutee=1/);
    const context = await browser.newContext({ javaScriptEnabled: false, storageState: await withJs.storageState() });
    await withJs.close();
    const page = await context.newPage();
    await page.goto(`${baseUrl}/compte/cles`);
    expect(await page.getByRole('button', { name: 'Ajouter une clé d’accès' }).isHidden()).toBe(true);
    const keyName = await page.locator('main li strong').innerText();

    // A forged form (another site, no token) removes nothing.
    const cookie = (await context.cookies()).filter((c) => c.name === '__Host-guichet-session').map((c) => `${c.name}=${c.value}`).join('');
    const id = await page.locator('main li input[name=id]').getAttribute('value');
    const forged = await fetch(`${baseUrl}/compte/cles`, { method: 'POST', body: new URLSearchParams({ id: id!, csrf: 'csrf_forged' }), headers: { cookie }, redirect: 'manual' });
    expect(forged.status).toBe(403);

    await page.getByRole('button', { name: `Supprimer : ${keyName}` }).click();
    await page.waitForURL(`${baseUrl}/compte/cles?supprimee=1`);
    expect(await page.getByRole('status').innerText()).toBe('Clé d’accès supprimée.');
    expect(await page.getByText('Aucune clé d’accès sur ce compte.').count()).toBe(1);
    await context.close();

    const signedOut = await fetch(`${baseUrl}/compte/cles`, { redirect: 'manual' });
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('location')).toBe('/connexion');
  });
});

describe('the keys page and its script, over HTTP', () => {
  it('is personal, allows only its own script, and no geolocation', async () => {
    const cookie = await sessionCookieOverHttp(`entetes.${Date.now()}@exemple.fr`);
    const response = await fetch(`${baseUrl}/compte/cles`, { headers: { cookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.get('vary')).toMatch(/Cookie/);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('permissions-policy')).toContain('geolocation=()');
    const html = await response.text();
    expect(executableScripts(html).map((tag) => /src="([^"]+)"/.exec(tag)?.[1])).toEqual(['/passkeys.js']);
    const search = await fetchPage(baseUrl, '/recherche');
    expect(search.headers.get('permissions-policy')).toContain('geolocation=(self)');
  });

  it('the script weighs at most 3 KB gzip, as served', async () => {
    const served = await fetch(`${baseUrl}/passkeys.js`);
    expect(served.status).toBe(200);
    const text = await served.text();
    expect(text).toBe(readFileSync('site/public/passkeys.js', 'utf8'));
    expect(gzipSync(text).length).toBeLessThanOrEqual(3 * 1024);
  });
});
