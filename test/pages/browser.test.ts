/**
 * Every page type in real Chromium: complete with JavaScript off, reachable
 * by keyboard, no request leaves the origin, and axe-core finds no WCAG 2.2
 * AA violation in light or dark colour schemes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PAGES } from './fixtures';

const baseUrl = inject('baseUrl');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (see README).`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
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
    await tab.addScriptTag({ content: AXE_SOURCE });
    const violations = await tab.evaluate(async (tags) => {
      const axe = (window as unknown as { axe: { run: Function } }).axe;
      const result = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
      return result.violations.map((v: { id: string; nodes: { target: string[] }[] }) => ({
        id: v.id, targets: v.nodes.map((n) => n.target.join(' ')),
      }));
    }, WCAG_22_AA);
    expect(violations).toEqual([]);
    await context.close();
  });
});
