/**
 * The office's stock page (/staff/stock) against the built Worker: a clerk
 * reads the sheet of their office, counts a product in Chromium with
 * JavaScript off, and a count based on a version changed meanwhile (the
 * API counted first) is not written over: the page says so and shows the
 * current count. Gates: axe-core WCAG 2.2 AA, no script, 14 KB with 20
 * products, CSRF, private answers.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../scripts/local-db';
import { DEMO_SEED, generateDemoNetwork } from '../../tools/demo/network';
import { demoCatalogue } from '../../tools/demo/catalogue';
import { createStaffToken } from '../../worker/staff/tokens';
import { axeViolations, launchChromium } from './chromium';
import { PAGE_TEST_NETWORK_SIZE } from './fixtures';
import { compressedWeight, executableScripts, fetchPage, PAGE_BUDGET_BYTES } from './gates';
import { staffCookie, staffSignIn } from './staff-session';

const baseUrl = inject('baseUrl');
const HOUR = 3_600_000;

/** A post office of the served slice that other page tests leave alone: the last active one. */
const network = generateDemoNetwork(DEMO_SEED, PAGE_TEST_NETWORK_SIZE);
const stockOffice = network.slice(0, -1).filter((l) => l.type === 'post_office').at(-1)!;
/** 20 products of the demo catalogue on its sheet: the page's size with a full sheet. */
const sheet = demoCatalogue().filter((p) => !p.withdrawn).slice(0, 20);
const product = sheet[4]!;

let browser: Browser;
let clerk: string;
let manager: string;
beforeAll(async () => {
  browser = await launchChromium();
  const { db, close } = await openDatabase({ persistTo: inject('statePath') });
  try {
    const now = Date.now();
    const d1 = db.$client;
    // The page tests share one database: the demo stock another file seeded at this office leaves, so the sheet is exactly these 20.
    await d1.prepare(`delete from location_stock where location_id = ? and sku not in (select value from json_each(?))`).bind(stockOffice.id, JSON.stringify(sheet.map((p) => p.sku))).run();
    for (const p of sheet) {
      await d1.prepare(`insert into products (sku, name, kind, price_cents, description, sold_online, online_stock, updated_at)
        values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (sku) do nothing`).bind(p.sku, p.name, p.kind, p.priceCents, p.description, p.soldOnline ? 1 : 0, p.onlineStock, now).run();
      await d1.prepare(`insert into location_stock (location_id, sku, quantity, counted_at, version, updated_at) values (?, ?, ?, ?, 1, ?)
        on conflict (location_id, sku) do update set quantity = excluded.quantity, counted_at = excluded.counted_at, version = 1`)
        .bind(stockOffice.id, p.sku, 12, now - 3 * HOUR, now).run();
    }
    await d1.prepare('insert into stock_sheets (location_id, version, updated_at) values (?, 1, ?) on conflict (location_id) do update set version = 1').bind(stockOffice.id, now).run();
    const at = new Date().toISOString();
    clerk = (await createStaffToken(db, { name: 'Guichetière du stock (test)', role: 'counter', scopeType: 'office', scopeValue: stockOffice.id, now: at })).token;
    manager = (await createStaffToken(db, { name: 'Responsable du stock (test)', role: 'hours', scopeType: 'office', scopeValue: stockOffice.id, now: at })).token;
  } finally {
    await close();
  }
});
afterAll(async () => browser?.close());

const postForm = (cookie: string, fields: Record<string, string>) => fetch(`${baseUrl}/staff/stock`, {
  method: 'POST', redirect: 'manual', headers: { origin: baseUrl, 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams(fields),
});

/** The stock row as the API reads it (the staff API, with a bearer token). */
async function apiRow(sku: string) {
  const response = await fetch(`${baseUrl}/api/v1/locations/${stockOffice.id}/stock`, { headers: { authorization: `Bearer ${manager}` } });
  const body = await response.json() as { items: Array<{ sku: string; quantity: number; version: number }> };
  return body.items.find((i) => i.sku === sku)!;
}

describe('the office’s stock page', () => {
  it('lists the sheet, fits 14 KB with 20 products, runs no script, and is private', async () => {
    expect((await fetch(`${baseUrl}/staff/stock`, { redirect: 'manual' })).status).toBe(303);
    const page = await fetchPage(baseUrl, '/staff/stock', await staffCookie(clerk));
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('private, no-store');
    expect(page.html.match(/name="quantite"/g)).toHaveLength(sheet.length);
    expect(page.html).toContain(stockOffice.name);
    expect(executableScripts(page.html)).toEqual([]);
    const weight = compressedWeight(page);
    console.log(`/staff/stock with ${sheet.length} products: ${weight} bytes gzip (HTML and CSS)`);
    expect(weight).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
  });

  async function signedIn(options: { javaScriptEnabled: boolean; bypassCSP?: boolean }) {
    const context = await browser.newContext(options);
    const tab = await staffSignIn(context, clerk, { landing: '/staff/guichet' });
    await tab.goto(`${baseUrl}/staff/stock`);
    return { context, tab };
  }

  it('records a count in Chromium without JavaScript', async () => {
    const { context, tab } = await signedIn({ javaScriptEnabled: false });
    const before = await apiRow(product.sku);
    const row = tab.locator('#stock li', { hasText: product.name });
    await row.getByLabel('Quantité comptée').fill('7');
    await row.getByRole('button', { name: `Enregistrer le comptage : ${product.name}` }).click();
    expect(await tab.getByRole('status').innerText()).toBe(`Comptage enregistré : ${product.name}, 7.`);
    expect(await apiRow(product.sku)).toMatchObject({ quantity: 7, version: before.version + 1 });
    expect(await tab.locator('#stock li', { hasText: product.name }).getByLabel('Quantité comptée').inputValue()).toBe('7');
    await context.close();
  });

  it('passes axe-core WCAG 2.2 AA: the sheet, a stale count refused', async () => {
    const { context, tab } = await signedIn({ javaScriptEnabled: true, bypassCSP: true });
    expect(await axeViolations(tab), 'sheet').toEqual([]);
    const other = sheet[9]!;
    const read = await apiRow(other.sku);
    await fetch(`${baseUrl}/api/v1/locations/${stockOffice.id}/stock/${other.sku}`, {
      method: 'PUT', headers: { authorization: `Bearer ${manager}`, 'content-type': 'application/json', 'if-match': `"${read.version}"` }, body: JSON.stringify({ quantity: 3 }),
    });
    const row = tab.locator('#stock li', { hasText: other.name });
    await row.getByLabel('Quantité comptée').fill('4');
    await row.getByRole('button', { name: `Enregistrer le comptage : ${other.name}` }).click();
    expect(await tab.getByRole('alert').innerText()).toContain(`${other.name} a été recompté entre-temps : 3`);
    expect(await axeViolations(tab), 'stale').toEqual([]);
    await context.close();
  });

  it('does not write over a count made meanwhile: it says so and shows the current one', async () => {
    const cookie = await staffCookie(clerk);
    const page = await fetchPage(baseUrl, '/staff/stock', cookie);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
    const other = sheet[7]!;
    const read = await apiRow(other.sku);
    // Someone else counts it through the API after the page was read.
    const api = await fetch(`${baseUrl}/api/v1/locations/${stockOffice.id}/stock/${other.sku}`, {
      method: 'PUT', headers: { authorization: `Bearer ${manager}`, 'content-type': 'application/json', 'if-match': `"${read.version}"` }, body: JSON.stringify({ quantity: 30 }),
    });
    expect(api.status).toBe(200);
    const stale = await postForm(cookie, { csrf, sku: other.sku, version: String(read.version), quantite: '5' });
    expect(stale.status).toBe(409);
    const html = await stale.text();
    expect(html).toContain(`${other.name} a été recompté entre-temps : 30 (compté à l’instant). Votre saisie (5) n’a pas été enregistrée`);
    expect(html).toMatch(new RegExp(`name="quantite"[^>]*value="30"[^>]*aria-describedby="n-${other.sku}"`));
    expect(await apiRow(other.sku)).toMatchObject({ quantity: 30, version: read.version + 1 });

    const invalid = await postForm(cookie, { csrf, sku: other.sku, version: String(read.version + 1), quantite: '-2' });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain('quantité négative');
    const forged = await postForm(cookie, { csrf: 'forged', sku: other.sku, version: String(read.version + 1), quantite: '1' });
    expect(forged.status).toBe(403);
    expect(await apiRow(other.sku)).toMatchObject({ quantity: 30 });
  });
});
