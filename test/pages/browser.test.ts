/**
 * Every page type in real Chromium: complete with JavaScript off, reachable
 * by keyboard, no request leaves the origin, and axe-core finds no WCAG 2.2
 * AA violation in light or dark colour schemes.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { axeViolations, launchChromium } from './chromium';
import { PAGES } from './fixtures';

const baseUrl = inject('baseUrl');

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe.each(Object.entries(PAGES))('%s page in Chromium', (_kind, page) => {
  it('shows its content with JavaScript off and requests nothing from elsewhere', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 360, height: 740 } });
    const requested: string[] = [];
    context.on('request', (request) => requested.push(request.url()));
    const tab = await context.newPage();
    await tab.goto(`${baseUrl}${page.path}`);
    await expect.poll(() => tab.locator('h1').innerText()).toContain(page.heading);
    expect(await tab.locator('main').innerText()).not.toBe('');
    for (const url of requested) expect(new URL(url).origin).toBe(baseUrl);
    expect(requested.some((url) => /\.(woff2?|ttf|otf)(\?|$)/.test(url))).toBe(false);

    // Keyboard: the first Tab reaches the skip link, which leads to the content.
    await tab.keyboard.press('Tab');
    expect(await tab.evaluate(() => document.activeElement?.textContent)).toBe('Aller au contenu');
    await tab.keyboard.press('Enter');
    await expect.poll(() => new URL(tab.url()).hash).toBe('#contenu');
    await context.close();
  });

  it.each(['light', 'dark'] as const)('has no axe-core WCAG 2.2 AA violation (%s)', async (colorScheme) => {
    // axe needs script; the page forbids it by CSP, so this context alone bypasses CSP.
    const context = await browser.newContext({ bypassCSP: true, colorScheme });
    const tab = await context.newPage();
    await tab.goto(`${baseUrl}${page.path}`);
    const violations = await axeViolations(tab);
    expect(violations).toEqual([]);
    await context.close();
  });
});
