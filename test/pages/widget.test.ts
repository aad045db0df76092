/**
 * The partner widget in Chromium: works without JavaScript (the choice is
 * posted, signed, to the partner), tells the parent page with JavaScript,
 * can be framed only by the partner's origins, and stays under 15 KB.
 */
import { request as httpRequest } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { axeViolations, launchChromium } from './chromium';
import { DEMO_PUBLISHABLE_KEY } from '../../worker/partners/demo';
import { bigCommune } from './fixtures';
import { compressedWeight, fetchPage } from './gates';

const baseUrl = inject('baseUrl');
const partnerKey = inject('partnerKey');
const WIDGET_BUDGET_BYTES = 15 * 1024;
// Loopback origins served by Playwright routes: Chromium lets a local page frame another local one.
const PARTNER = 'http://localhost:45678';
const EVIL = 'http://localhost:45679';
const demoWidget = `/widget/points?key=${DEMO_PUBLISHABLE_KEY}&q=${encodeURIComponent(bigCommune.name)}&return_url=${encodeURIComponent(`${baseUrl}/widget/demo/retour`)}`;
const partnerWidget = (q = bigCommune.name) =>
  `${baseUrl}/widget/points?key=${partnerKey}&q=${encodeURIComponent(q)}&return_url=${encodeURIComponent(`${PARTNER}/commande`)}`;

/** A GET as a client writes it, Host header included, reading the status line as sent. */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; statusMessage: string; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${baseUrl}${path}`, { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, statusMessage: response.statusMessage!, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium([
    // Here the "partner" and Guichet are both on loopback; in production both are public sites,
    // where Chromium's local-network checks do not apply. Turn them off to test the real framing rules.
    '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests',
  ]);
});
afterAll(async () => browser?.close());

describe('partner widget', () => {
  it('fits in 15 KB and may be framed by the partner’s origins only', async () => {
    const page = await fetchPage(baseUrl, demoWidget);
    expect(page.status).toBe(200);
    expect(compressedWeight(page) + (await (await fetch(`${baseUrl}/widget.js`)).arrayBuffer()).byteLength).toBeLessThanOrEqual(WIDGET_BUDGET_BYTES);
    expect(page.headers.get('content-security-policy')).toContain(`frame-ancestors ${baseUrl}`);
    expect(page.headers.get('x-frame-options')).toBeNull();
    expect((page.html.match(/type="radio"/g) ?? []).length).toBeGreaterThan(1);
    expect((await fetch(`${baseUrl}/widget/points?key=pk_unknownkey123&q=x&return_url=${encodeURIComponent(baseUrl)}`)).status).toBe(401);
    expect((await fetch(`${baseUrl}/widget/points?key=${DEMO_PUBLISHABLE_KEY}&q=x&return_url=${encodeURIComponent('https://evil.example/')}`)).status).toBe(400);
    for (const services of ['', 'teleport', 'parcel_pickup,teleport']) {
      const response = await fetch(`${baseUrl}/widget/points?key=${DEMO_PUBLISHABLE_KEY}&q=x&services=${services}&return_url=${encodeURIComponent(`${baseUrl}/widget/demo/retour`)}`);
      expect(response.status, services).toBe(400);
    }
    expect(page.html).toContain('target="_top"');
  });

  it('posts the signed choice to the return URL without JavaScript, and the partner verifies it', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const tab = await context.newPage();
    await tab.goto(`${baseUrl}${demoWidget}`);
    const second = tab.locator('input[type=radio]').nth(1);
    const name = await second.getAttribute('data-name');
    await second.check();
    await tab.getByRole('button', { name: 'Choisir ce point' }).click();
    await tab.waitForURL(`${baseUrl}/widget/demo/retour`);
    expect(await tab.getByRole('status').innerText()).toContain(`Choix vérifié : ${name}`);
    await context.close();
  });

  it('tells the partner page by postMessage, and refuses to be framed elsewhere', async () => {
    const context = await browser.newContext();
    const parent = () => `<!doctype html><html lang="fr"><title>Commande</title><body>
      <iframe id="w" title="Choisir un point de retrait" src="${partnerWidget()}" width="600" height="600"></iframe>
      <script>window.received = []; addEventListener('message', (e) => { if (e.origin === ${JSON.stringify(baseUrl)}) received.push(e.data); });</script>
      </body></html>`;
    await context.route(`${PARTNER}/**`, (route) => route.fulfill({ contentType: 'text/html', body: parent() }));
    await context.route(`${EVIL}/**`, (route) => route.fulfill({ contentType: 'text/html', body: parent() }));

    const tab = await context.newPage();
    await tab.goto(`${PARTNER}/commande`);
    await tab.frameLocator('#w').locator('input[type=radio]').nth(1).check();
    await expect.poll(() => tab.evaluate(() => (window as unknown as { received: unknown[] }).received.length), { timeout: 10_000 }).toBeGreaterThan(0);
    const message = (await tab.evaluate(() => (window as unknown as { received: any[] }).received[0])) as any;
    expect(message).toMatchObject({ type: 'guichet:selection', token: expect.stringMatching(/^[\w-]+\.[\w-]{43}$/), id: expect.any(String) });

    const evil = await context.newPage();
    const refusals: string[] = [];
    evil.on('console', (m) => refusals.push(m.text()));
    await evil.goto(`${EVIL}/commande`);
    await expect.poll(() => refusals.some((t) => t.includes('frame-ancestors')), { timeout: 10_000 }).toBe(true);
    expect(await evil.evaluate(() => (window as unknown as { received: unknown[] }).received)).toEqual([]);
    await context.close();
  });

  it('has no axe-core WCAG 2.2 AA violation, nor the demo page', async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const tab = await context.newPage();
    for (const path of [demoWidget, '/widget/demo']) {
      await tab.goto(`${baseUrl}${path}`);
      const violations = await axeViolations(tab);
      expect(violations, path).toEqual([]);
    }
    await context.close();
  });

  it('takes its own origin from the configuration, never from the Host header', async () => {
    const evil = { host: 'evil.example' };
    const demo = await rawGet('/widget/demo', evil);
    expect(demo.status).toBe(200);
    expect(demo.body).not.toContain('evil.example');
    expect(demo.body).toContain(`return_url=${encodeURIComponent(`${baseUrl}/widget/demo/retour`)}`);
    expect(demo.body).toContain(`<link rel="canonical" href="${baseUrl}/widget/demo">`);
    // The demo partner ("self") may not post choices to the attacker's host...
    const toEvil = await rawGet(`/widget/points?key=${DEMO_PUBLISHABLE_KEY}&q=x&return_url=${encodeURIComponent('http://evil.example/widget/demo/retour')}`, evil);
    expect(toEvil.status).toBe(400);
    expect(toEvil.body).not.toContain('action="http://evil.example');
    // ...and its own widget names only the configured origin in its CSP.
    const own = await rawGet(demoWidget, evil);
    expect(own.status).toBe(200);
    expect(String(own.headers['content-security-policy'])).toContain(`frame-ancestors ${baseUrl}`);
    expect(String(own.headers['content-security-policy'])).not.toContain('evil.example');
    expect(own.body).toContain(`action="${baseUrl}/widget/demo/retour"`);
    const robots = await rawGet('/robots.txt', evil);
    expect(robots.body).toContain(`Sitemap: ${baseUrl}/sitemap.xml`);
    expect(robots.body).not.toContain('evil.example');
    const sitemap = await rawGet('/sitemap.xml', evil);
    expect(sitemap.body).toContain(`<loc>${baseUrl}/sitemaps/`);
    expect(sitemap.body).not.toContain('evil.example');
  });

  it('says in the status line what a refusal is', async () => {
    const unknown = await rawGet(`/widget/points?key=pk_unknownkey123&q=x&return_url=${encodeURIComponent(baseUrl)}`);
    expect([unknown.status, unknown.statusMessage]).toEqual([401, 'Unauthorized']);
    const foreign = await rawGet(`/widget/points?key=${DEMO_PUBLISHABLE_KEY}&q=x&return_url=${encodeURIComponent('https://evil.example/')}`);
    expect([foreign.status, foreign.statusMessage]).toEqual([400, 'Bad Request']);
    const missing = await rawGet('/bureaux/nulle-part-zz9999');
    expect([missing.status, missing.statusMessage]).toEqual([404, 'Not Found']);
  });

  it('answers another method on a page with 405 and Allow, not the page', async () => {
    for (const [method, path, allow] of [['DELETE', '/', 'GET, HEAD'], ['PUT', '/widget/points', 'GET, HEAD'], ['DELETE', '/widget/demo/retour', 'GET, HEAD, POST']]) {
      const response = await fetch(`${baseUrl}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(405);
      expect(response.headers.get('allow')).toBe(allow);
      expect(await response.text()).not.toContain('<html');
    }
  });

  it('serves a favicon that every page links, so browsers log no 404', async () => {
    const icon = await fetch(`${baseUrl}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toContain('image/svg+xml');
    expect(await icon.text()).toContain('<svg');
    const context = await browser.newContext();
    const tab = await context.newPage();
    const failures: string[] = [];
    tab.on('response', (r) => { if (r.status() >= 400) failures.push(`${r.status()} ${r.url()}`); });
    for (const path of ['/', demoWidget, '/widget/demo']) {
      await tab.goto(`${baseUrl}${path}`);
      expect(await tab.locator('link[rel=icon]').getAttribute('href')).toBe('/favicon.svg');
    }
    // The browser fetches the icon after the page: give it a moment.
    await tab.waitForTimeout(500);
    expect(failures).toEqual([]);
    await context.close();
  });
});
