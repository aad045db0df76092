/**
 * Reserving and collecting on the site, against the built Worker, in
 * Chromium with JavaScript off and over plain HTTP: a customer follows the
 * product page's « Réserver ici » link, reserves two units at the office,
 * sees the hold on /compte/reservations (with its reference and deadline)
 * and on the home, gets the confirmation by email; a clerk of that office
 * marks one « Remis » on /staff/retraits, found by its reference, and the
 * other at the counter once the customer is recognised; a third is cancelled. Over
 * HTTP: the signed-out page links to sign-in and back, a form without its
 * CSRF token or with a bad quantity is refused in French, and an office
 * with nothing left shows the nearest offices that have it as links.
 * Expected products, counts and distances come from `demoStock()` with this
 * file's own great-circle distance; the deadline's closing time from the
 * office's hours API (another door). Every page passes axe-core WCAG 2.2
 * AA, ships no script and fits in 14 KB compressed.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../scripts/local-db';
import { demoCatalogue, demoStock, seedDemoCatalogue } from '../../tools/demo/catalogue';
import { outboxOf, sessionCookieOverHttp, signInWithCode } from './accounts';
import { axeViolations, launchChromium } from './chromium';
import { office, PARCEL_NETWORK } from './fixtures';
import { compressedWeight, executableScripts, fetchPage, PAGE_BUDGET_BYTES } from './gates';
import { staffSignIn } from './staff-session';

const baseUrl = inject('baseUrl');
const counterToken = inject('counterToken');
/** The served Worker's default (no STOCK_SAFETY_UNITS). */
const SAFETY = 1;
const catalogue = demoCatalogue();
const stock = demoStock(PARCEL_NETWORK, catalogue, new Date());
const network = new Map(PARCEL_NETWORK.map((l) => [l.id, l]));
const onShelvesForSale = new Set(catalogue.filter((p) => p.counter && !p.withdrawn && p.sku !== 'COL-2026-03').map((p) => p.sku));

/** The fixture office's (a counter token is scoped to it) best-stocked product on sale: this file's holds are taken there. */
const shelf = stock.filter((r) => r.locationId === office.id && onShelvesForSale.has(r.sku)).sort((a, b) => b.quantity - a.quantity)[0]!;
const product = catalogue.find((p) => p.sku === shelf.sku)!;

function haversine(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = (d: number) => (d * Math.PI) / 180;
  const s = Math.sin(rad(b.latitude - a.latitude) / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(rad(b.longitude - a.longitude) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(s));
}

const decode = (html: string) => html.replace(/&#39;/g, '’').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
const textOf = (html: string) => decode(/<main[^>]*>([\s\S]*)<\/main>/.exec(html)![1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;
const keyOf = (html: string) => /name="cle" value="([^"]+)"/.exec(html)![1]!;
const reservePath = (sku: string, id: string) => `/boutique/${sku}/reserver?lieu=${id}`;

const post = (path: string, body: Record<string, string>, cookie: string) =>
  fetch(`${baseUrl}${path}`, { method: 'POST', body: new URLSearchParams(body), headers: { origin: baseUrl, cookie }, redirect: 'manual' });

/** The office's closing time on its first opening day after today, from its hours API (`HH:MM`, wall clock). */
async function nextClosing(locationId: string): Promise<string | null> {
  const hours = await (await fetch(`${baseUrl}/api/v1/locations/${locationId}/hours`)).json() as { next_days: Array<{ intervals: Array<{ closes: string }> }> };
  const day = hours.next_days.slice(1).find((d) => d.intervals.length > 0);
  if (!day) return null;
  const closes = day.intervals.map((i) => i.closes).sort().at(-1)!;
  const minutes = (Number(closes.slice(0, 2)) * 60 + Number(closes.slice(3))) % 1440;
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Paris wall-clock minutes now: a new account keeps quiet from 21:00 to 08:00 there (worker/messages/model.ts). */
function parisMinutesNow(): number {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' })
    .formatToParts(new Date()).map((p) => [p.type, p.value]));
  return Number(parts.hour) * 60 + Number(parts.minute);
}

let browser: Browser;
beforeAll(async () => {
  // The demo catalogue in the served D1, through the seed's own code (once: a second call finds its marker).
  const { db, close } = await openDatabase({ persistTo: inject('statePath') });
  try {
    await seedDemoCatalogue(db, PARCEL_NETWORK, new Date());
  } finally {
    await close();
  }
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

describe('reserving and collecting, in Chromium without JavaScript', () => {
  it('reserves from the product page, shows the hold on /compte/reservations and the home, and a clerk hands it over', { timeout: 180_000 }, async () => {
    expect(shelf.quantity - SAFETY).toBeGreaterThanOrEqual(4);
    const closing = await nextClosing(office.id);
    expect(closing, 'the fixture office opens within 14 days').not.toBeNull();
    const email = `reserve.${Date.now()}@exemple.fr`;
    const context = await browser.newContext({ javaScriptEnabled: false });
    const tab = await signInWithCode(context, email);

    // The product page, searched from the office itself: the office first, with its link to reserve there.
    await tab.goto(`${baseUrl}/boutique/${product.sku}?q=${office.id}`);
    await tab.getByRole('link', { name: `Réserver ici : ${office.name}`, exact: true }).click();
    await tab.waitForURL(`${baseUrl}${reservePath(product.sku, office.id)}`);
    expect(await tab.getByRole('heading', { level: 1 }).innerText()).toBe(`Réserver ${product.name}`);
    const offer = await tab.locator('main').innerText();
    expect(offer).toContain(office.name);
    expect(offer).toMatch(new RegExp(`l’article vous attend jusqu’au \\S+ \\d{1,2} \\S+( \\d{4})? à ${closing} \\(heure du bureau\\)`));

    await tab.getByLabel('Quantité').fill('2');
    await tab.getByRole('button', { name: 'Réserver' }).click();
    await tab.waitForURL(/\/compte\/reservations\?reservation=RSV-[23456789A-HJ-NP-Z]{8}#RSV-/);
    const reference = new URL(tab.url()).searchParams.get('reservation')!;
    expect(await tab.getByRole('status').innerText()).toContain(`Réservation ${reference} confirmée : 2 × ${product.name}, à retirer au bureau ${office.name} avant le`);
    const item = tab.locator(`li[id="${reference}"]`);
    const line = await item.innerText();
    expect(line).toContain(`Référence à donner au guichet : ${reference}`);
    expect(line).toMatch(new RegExp(`avant le .+ à ${closing} \\(heure du bureau\\)`));

    // On the home, under "Mes réservations".
    await tab.goto(`${baseUrl}/`);
    expect(await tab.getByRole('heading', { name: 'Mes réservations', level: 2 }).count()).toBe(1);
    const onHome = await tab.locator('main li').filter({ hasText: reference }).innerText();
    expect(onHome).toContain(`2 × ${product.name} : à retirer à ${office.name} avant le`);

    // The confirmation, unless the account's default quiet hours hold it (21:00–08:00 in Paris).
    const minutes = parisMinutesNow();
    if (minutes < 20 * 60 + 55 && minutes >= 8 * 60) {
      await expect.poll(() => outboxOf(email).find((m) => m.subject.startsWith(`Réservation ${reference}`)), { timeout: 20_000, interval: 300 }).toBeDefined();
      const confirmation = outboxOf(email).find((m) => m.subject.startsWith(`Réservation ${reference}`))!;
      expect(confirmation.text).toContain(`2 × ${product.name}`);
      expect(confirmation.text).toContain(`${baseUrl}/compte/reservations`);
    }

    // A second one, from the reservation page itself.
    const reserveOne = async () => {
      await tab.goto(`${baseUrl}${reservePath(product.sku, office.id)}`);
      await tab.getByLabel('Quantité').fill('1');
      await tab.getByRole('button', { name: 'Réserver' }).click();
      await tab.waitForURL(/\/compte\/reservations\?reservation=/);
      return new URL(tab.url()).searchParams.get('reservation')!;
    };
    const second = await reserveOne();

    // A clerk of that office finds the second by the reference the customer reads out (as typed), and hands it over: « Remis ».
    const staffContext = await browser.newContext({ javaScriptEnabled: false });
    const clerk = await staffSignIn(staffContext, counterToken, { landing: '/staff/guichet' });
    await clerk.goto(`${baseUrl}/staff/retraits`);
    const waiting = await clerk.locator('#reservations').innerText();
    expect(waiting).toContain(`${reference} · 2 × ${product.name}`);
    expect(waiting).toContain(`${second} · 1 × ${product.name}`);
    await clerk.getByLabel('Référence donnée par le client').fill(second.toLowerCase().replace('-', ' '));
    await clerk.getByRole('button', { name: 'Chercher' }).click();
    expect(await clerk.getByRole('heading', { name: `Réservation ${second}` }).count()).toBe(1);
    await clerk.locator('section').getByRole('button', { name: 'Remis', exact: true }).click();
    expect(await clerk.getByRole('status').innerText()).toBe(`Réservation ${second} (1 × ${product.name}) remise au client.`);
    expect(await clerk.locator('#reservations').innerText()).not.toContain(second);

    // At the counter: the customer shows their code; the clerk sees the first hold, with « Remis » and the catalogue link.
    await tab.goto(`${baseUrl}/compte/guichet`);
    const shown = /\b(\d{4}) (\d{4})\b/.exec(await tab.locator('main').innerText())!;
    await clerk.goto(`${baseUrl}/staff/guichet`);
    await clerk.getByLabel('Code du client').fill(`${shown[1]}${shown[2]}`);
    await clerk.getByRole('button', { name: 'Reconnaître le client' }).click();
    await clerk.getByRole('button', { name: 'Terminer' }).waitFor();
    expect(await clerk.locator('main').innerText()).toContain(`Réservation ${reference} · 2 × ${product.name}`);
    expect(await clerk.getByRole('link', { name: 'Commander dans le catalogue' }).getAttribute('href')).toBe('/staff/catalogue');
    await clerk.getByRole('button', { name: `Remis : réservation ${reference}` }).click();
    expect(await clerk.getByRole('status').innerText()).toBe(`Réservation ${reference} (2 × ${product.name}) remise au client.`);
    await clerk.getByRole('button', { name: 'Terminer' }).click();
    await staffContext.close();

    // The customer sees both collected, and none on the home any more.
    await tab.goto(`${baseUrl}/compte/reservations`);
    expect(await tab.locator(`li[id="${reference}"]`).innerText()).toContain('retirée');
    expect(await tab.locator(`li[id="${second}"]`).innerText()).toContain('retirée');
    await tab.goto(`${baseUrl}/`);
    expect(await tab.getByRole('heading', { name: 'Mes réservations' }).count()).toBe(0);

    // A third one, cancelled from the list.
    const third = await reserveOne();
    await tab.getByRole('button', { name: `Annuler la réservation ${third}` }).click();
    await tab.waitForURL(`${baseUrl}/compte/reservations?annulee=${third}`);
    expect(await tab.getByRole('status').innerText()).toBe(`Réservation ${third} annulée : les articles sont remis en vente.`);
    expect(await tab.locator(`li[id="${third}"]`).innerText()).toContain('annulée');
    await context.close();
  });
});

describe('accessibility', () => {
  it('passes axe-core WCAG 2.2 AA on the reservation page, the list, the home, a refusal, /staff/retraits and the counter', { timeout: 120_000 }, async () => {
    // axe needs script; the pages forbid it by CSP, so these contexts alone bypass CSP.
    const context = await browser.newContext({ bypassCSP: true });
    const tab = await signInWithCode(context, `reserve.axe.${Date.now()}@exemple.fr`);
    const audit = async (page: typeof tab, what: string) => expect(await axeViolations(page), what).toEqual([]);
    await tab.goto(`${baseUrl}${reservePath(product.sku, office.id)}`);
    await audit(tab, 'reservation page');
    await tab.getByLabel('Quantité').fill('0');
    await tab.getByRole('button', { name: 'Réserver' }).click();
    await tab.getByRole('alert').waitFor();
    await audit(tab, 'a bad quantity');
    await tab.getByLabel('Quantité').fill('1');
    await tab.getByRole('button', { name: 'Réserver' }).click();
    await tab.waitForURL(/\/compte\/reservations\?reservation=/);
    const reference = new URL(tab.url()).searchParams.get('reservation')!;
    await audit(tab, 'the list with a confirmation');
    await tab.goto(`${baseUrl}/`);
    await audit(tab, 'the home with a reservation');
    await tab.goto(`${baseUrl}${reservePath(product.sku, 'Z999999')}`);
    await audit(tab, 'an unknown office');

    const staff = await browser.newContext({ bypassCSP: true });
    const clerk = await staffSignIn(staff, counterToken, { landing: '/staff/guichet' });
    await tab.goto(`${baseUrl}/compte/guichet`);
    const shown = /\b(\d{4}) (\d{4})\b/.exec(await tab.locator('main').innerText())!;
    await clerk.getByLabel('Code du client').fill(`${shown[1]}${shown[2]}`);
    await clerk.getByRole('button', { name: 'Reconnaître le client' }).click();
    await clerk.getByRole('button', { name: `Remis : réservation ${reference}` }).waitFor();
    await audit(clerk, 'the counter with a reservation');
    await clerk.getByRole('button', { name: 'Terminer' }).click();
    await clerk.goto(`${baseUrl}/staff/retraits?reference=${reference}`);
    await audit(clerk, '/staff/retraits, found');
    await clerk.locator('section').getByRole('button', { name: 'Non retiré', exact: true }).click();
    await clerk.getByRole('status').waitFor();
    await audit(clerk, '/staff/retraits, marked');
    await tab.goto(`${baseUrl}/compte/reservations`);
    await audit(tab, 'the list with a past reservation');
    await staff.close();
    await context.close();
  });
});

describe('the reservation pages over HTTP', () => {
  it('sends a signed-out visitor to sign in and back, and keeps the pages private, script-free and small', async () => {
    const path = reservePath(product.sku, office.id);
    const page = await fetchPage(baseUrl, path);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('private, no-store');
    const link = /<a href="([^"]+)">Connectez-vous pour réserver<\/a>/.exec(page.html)?.[1];
    expect(decode(link ?? '')).toBe(`/connexion?suite=${encodeURIComponent(path)}`);
    expect(executableScripts(page.html)).toEqual([]);
    expect(compressedWeight(page)).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
    const signedOutPost = await fetch(`${baseUrl}${path}`, { method: 'POST', body: new URLSearchParams({ quantite: '1' }), headers: { origin: baseUrl }, redirect: 'manual' });
    expect(signedOutPost.status).toBe(303);
    expect(signedOutPost.headers.get('location')).toBe(`/connexion?suite=${encodeURIComponent(path)}`);
    expect((await fetch(`${baseUrl}/compte/reservations`, { redirect: 'manual' })).headers.get('location')).toBe(`/connexion?suite=${encodeURIComponent('/compte/reservations')}`);

    const cookie = await sessionCookieOverHttp(`reserve.http.${Date.now()}@exemple.fr`);
    for (const mine of [path, '/compte/reservations', '/']) {
      const signedIn = await fetchPage(baseUrl, mine, cookie);
      expect(signedIn.status, mine).toBe(200);
      expect(executableScripts(signedIn.html)).toEqual([]);
      expect(compressedWeight(signedIn), mine).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
    }
  });

  it('refuses a form without its CSRF token and a bad quantity, in French, and takes nothing', async () => {
    const path = reservePath(product.sku, office.id);
    const cookie = await sessionCookieOverHttp(`reserve.refus.${Date.now()}@exemple.fr`);
    const html = await (await fetch(`${baseUrl}${path}`, { headers: { cookie } })).text();
    const [csrf, cle] = [csrfOf(html), keyOf(html)];
    const forged = await post(path, { csrf: 'forged', cle, quantite: '1' }, cookie);
    expect(forged.status).toBe(403);
    expect(textOf(await forged.text())).toContain('Formulaire expiré');
    for (const quantite of ['0', '-1', '1,5', '11', '99999999999', 'deux', '']) {
      const refused = await post(path, { csrf, cle, quantite }, cookie);
      expect(refused.status, quantite).toBe(400);
      const refusedHtml = await refused.text();
      expect(textOf(refusedHtml)).toContain('Quantité : un nombre entier de 1 à 10.');
      expect(refusedHtml).toMatch(/<input id="quantite"[^>]*aria-invalid="true"/);
    }
    const unknown = await fetch(`${baseUrl}${reservePath(product.sku, 'Z999999')}`, { headers: { cookie } });
    expect(unknown.status).toBe(404);
    expect(textOf(await unknown.text())).toContain('Bureau inconnu');
    const list = textOf(await (await fetch(`${baseUrl}/compte/reservations`, { headers: { cookie } })).text());
    expect(list).toContain('Aucune réservation en cours.');
  });

  it('shows an office with nothing left to hold the nearest offices that have it, as links to reserve there', async () => {
    // A mainland post office whose count leaves nothing after the safety stock, for a product others nearby hold (demoStock, haversine here).
    const holdersOf = (sku: string) => stock.filter((r) => r.sku === sku && r.quantity - SAFETY >= 1 && network.has(r.locationId));
    const candidates = stock
      .filter((r) => onShelvesForSale.has(r.sku) && r.sku !== product.sku && r.quantity <= SAFETY && network.get(r.locationId)?.type === 'post_office' && /^\d\d$/.test(network.get(r.locationId)!.department))
      .map((r) => {
        const here = network.get(r.locationId)!;
        const near = holdersOf(r.sku).map((h) => ({ id: h.locationId, distance: haversine(here, network.get(h.locationId)!) }))
          .filter((h) => h.id !== here.id && h.distance <= 50_000).sort((a, b) => a.distance - b.distance);
        return { row: r, near };
      })
      .filter((c) => c.near.length >= 3);
    // One that opens in the next days (a closed one is another refusal, tested in the worker tests).
    let candidate: (typeof candidates)[number] | undefined;
    for (const c of candidates.slice(0, 10)) {
      if (await nextClosing(c.row.locationId)) {
        candidate = c;
        break;
      }
    }
    expect(candidate).toBeDefined();
    const path = reservePath(candidate!.row.sku, candidate!.row.locationId);
    const cookie = await sessionCookieOverHttp(`reserve.ailleurs.${Date.now()}@exemple.fr`);
    const html = await (await fetch(`${baseUrl}${path}`, { headers: { cookie } })).text();
    expect(textOf(html)).toContain('Plus rien à réserver selon le dernier comptage.');
    const refused = await post(path, { csrf: csrfOf(html), cle: keyOf(html), quantite: '1' }, cookie);
    expect(refused.status).toBe(409);
    const refusedHtml = await refused.text();
    expect(textOf(refusedHtml)).toContain('n’a plus de');
    const links = [...refusedHtml.matchAll(/<a href="(\/boutique\/[^"]+\/reserver\?lieu=[^"]+)">Réserver à /g)].map((m) => decode(m[1]!));
    expect(links).toEqual(candidate!.near.slice(0, 3).map((h) => reservePath(candidate!.row.sku, h.id)));
  });
});
