/**
 * The partner widget in Chromium: works without JavaScript (the choice is
 * posted, signed, to the partner), tells the parent page with JavaScript,
 * can be framed only by the partner's origins, and stays under 15 KB.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_PUBLISHABLE_KEY } from '../../worker/partners/demo';
import { bigCommune } from './fixtures';
import { compressedWeight, fetchPage } from './gates';

const baseUrl = inject('baseUrl');
const partnerKey = inject('partnerKey');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WIDGET_BUDGET_BYTES = 15 * 1024;
// Loopback origins served by Playwright routes: Chromium lets a local page frame another local one.
const PARTNER = 'http://localhost:45678';
const EVIL = 'http://localhost:45679';
const demoWidget = `/widget/points?key=${DEMO_PUBLISHABLE_KEY}&q=${encodeURIComponent(bigCommune.name)}&return_url=${encodeURIComponent(`${baseUrl}/widget/demo/retour`)}`;
const partnerWidget = (q = bigCommune.name) =>
  `${baseUrl}/widget/points?key=${partnerKey}&q=${encodeURIComponent(q)}&return_url=${encodeURIComponent(`${PARTNER}/commande`)}`;

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // Here the "partner" and Guichet are both on loopback; in production both are public sites,
      // where Chromium's local-network checks do not apply. Turn them off to test the real framing rules.
      '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests'],
  });
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
    await expect.poll(() => tab.evaluate(() => (window as unknown as { received: unknown[] }).received.length), { timeout: 10_000 }).toBeGreaterThan(0);
    const message = (await tab.evaluate(() => (window as unknown as { received: any[] }).received[0])) as any;
    expect(message).toMatchObject({ type: 'guichet:selection', token: expect.stringMatching(/^[\w-]+\.[\w-]{43}$/), id: expect.any(String) });

    const evil = await context.newPage();
    await evil.goto(`${EVIL}/commande`);
    await evil.waitForTimeout(1000);
    const framed = evil.frames().find((f) => f.url().startsWith(baseUrl));
    const shown = framed ? await framed.locator('h1').count().catch(() => 0) : 0;
    expect(shown).toBe(0);
    await context.close();
  });

  it('has no axe-core WCAG 2.2 AA violation, nor the demo page', async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const tab = await context.newPage();
    for (const path of [demoWidget, '/widget/demo']) {
      await tab.goto(`${baseUrl}${path}`);
      await tab.addScriptTag({ content: AXE_SOURCE });
      const violations = await tab.evaluate(async () => {
        const axe = (window as unknown as { axe: { run: Function } }).axe;
        const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } });
        return result.violations.map((v: { id: string }) => v.id);
      });
      expect(violations, path).toEqual([]);
    }
    await context.close();
  });
});
