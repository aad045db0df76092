/**
 * The counter orders from the online catalogue, and the customer orders it
 * again from the web in one click: the issue's "Done when", end to end
 * through the real pages in Chromium with JavaScript off on both sides. A
 * clerk signed in on /staff recognises a customer (the code their phone
 * shows), browses and searches /staff/catalogue, types quantities,
 * confirms the lines, the total and a home delivery, and gets the
 * receipt; the customer, signed in on the web, sees "commandé au guichet
 * de …" on /compte/commandes and orders it again in one confirmation
 * form, which names the item no longer sold. Plus the web order page, the
 * refusals, and the pages' gates (size, no script, axe, cache policy).
 *
 * The products are the demo catalogue's own (names, prices), inserted in
 * the served D1 under skus of this file, with their online stock.
 */
import { eq } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { customers, orders, products } from '../../db/schema';
import { openDatabase } from '../../scripts/local-db';
import { demoCatalogue } from '../../tools/demo/catalogue';
import { createStaffToken } from '../../worker/staff/tokens';
import { sessionCookieOverHttp, signInWithCode } from './accounts';
import { axeViolations, launchChromium } from './chromium';
import { office } from './fixtures';
import { compressedWeight, executableScripts, fetchPage, PAGE_BUDGET_BYTES } from './gates';
import { staffCookie, staffSignIn } from './staff-session';

const baseUrl = inject('baseUrl');
const counterToken = inject('counterToken');
const staffToken = inject('staffToken');

/** Skus of this run: a prefix nothing else uses, so the clerk's search finds exactly them. */
const RUN = `ORD${String(Date.now() % 1e6).padStart(6, '0')}`;
const catalogue = demoCatalogue();
const pick = (predicate: (p: (typeof catalogue)[number]) => boolean) => catalogue.find(predicate)!;
const ITEMS = {
  /** Kept on counter shelves, and sold online. */
  carnet: { ...pick((p) => p.sku === 'TP-LV-C12'), sku: `${RUN}-C12`, onlineStock: 300 },
  /** Online only: what the counter cannot hand over, the "endless aisle". */
  bloc: { ...pick((p) => p.sku.startsWith('PHI-BF-')), sku: `${RUN}-BF`, onlineStock: 40 },
  /** Withdrawn after the counter order: the reorder names it. */
  tube: { ...pick((p) => p.sku.startsWith('EMB-TUB-')), sku: `${RUN}-TUB`, onlineStock: 25 },
};
/** A full page of the clerk's catalogue and one more (the longest demo names): its weight, and its next page. */
const FILLER_RUN = `F${RUN}`;
const longest = [...catalogue].sort((a, b) => b.name.length - a.name.length).slice(0, 16);
/** The first by name is sold out online: it shows on the first page, without a quantity field. */
const firstByName = [...longest].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0]!;
const FILLERS = longest.map((p, i) => ({ ...p, sku: `${FILLER_RUN}-${String(i).padStart(2, '0')}`, onlineStock: p === firstByName ? 0 : 2 + i }));
const euros = (cents: number) => new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100);
/** Playwright's innerText normalises no-break spaces to spaces. */
const spaced = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

async function withDatabase<T>(work: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
  const { db, close } = await openDatabase({ persistTo: inject('statePath') });
  try {
    return await work(db);
  } finally {
    await close();
  }
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
  const now = Date.now();
  const rows = [...Object.values(ITEMS), ...FILLERS].map((p) => ({
    sku: p.sku, name: p.name, kind: p.kind, priceCents: p.priceCents, description: p.description,
    soldOnline: true, onlineStock: p.onlineStock, withdrawnAt: null, updatedAt: now,
  }));
  // D1 binds 100 values at most per statement: 10 rows of 9 columns at a time.
  await withDatabase(async (db) => {
    for (let i = 0; i < rows.length; i += 10) await db.insert(products).values(rows.slice(i, i + 10)).onConflictDoNothing();
  });
});
afterAll(async () => browser?.close());

/** Signs in at the counter (the shared sign-in), then ends any session the shared counter token may still hold from an earlier test, to recognise the next customer. */
async function signInAtCounter(context: BrowserContext, secret: string): Promise<Page> {
  const tab = await staffSignIn(context, secret, { landing: '/staff/guichet' });
  if (await tab.getByRole('button', { name: 'Terminer' }).count()) await tab.getByRole('button', { name: 'Terminer' }).click();
  return tab;
}

const postForm = (path: string, cookie: string, fields: Record<string, string>) => fetch(`${baseUrl}${path}`, {
  method: 'POST', redirect: 'manual',
  headers: { origin: baseUrl, 'content-type': 'application/x-www-form-urlencoded', cookie },
  body: new URLSearchParams(fields),
});

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;

/** The gates every page of this file passes, as its reader gets it. */
async function expectGates(path: string, cookie: string, status = 200) {
  const page = await fetchPage(baseUrl, path, cookie);
  expect(page.status, path).toBe(status);
  expect(page.headers.get('cache-control'), path).toBe('private, no-store');
  expect(executableScripts(page.html), path).toEqual([]);
  expect(compressedWeight(page), path).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
  return page;
}

describe('the counter orders from the online catalogue, the customer reorders from the web', () => {
  it('goes from a clerk’s order for home delivery to a one-form reorder, without JavaScript', async () => {
    // The customer signs in on their phone, adds a delivery address on their account, and shows their counter code.
    const customerContext = await browser.newContext({ javaScriptEnabled: false });
    const email = `commande.${Date.now()}@exemple.fr`;
    const phone = await signInWithCode(customerContext, email);
    await withDatabase((db) => db.update(customers).set({ name: 'Camille Martin' }).where(eq(customers.email, email)));
    await phone.getByLabel('Libellé (par exemple Maison, Travail)').fill('Maison');
    await phone.getByLabel('Numéro et voie').fill('12 rue des Lilas');
    await phone.getByLabel('Code postal').fill('69003');
    await phone.getByLabel('Commune').fill('Lyon');
    await phone.getByRole('button', { name: 'Ajouter l’adresse' }).click();
    await phone.goto(`${baseUrl}/compte/guichet`);
    const shown = /\b(\d{4}) (\d{4})\b/.exec(await phone.locator('main').innerText())!;

    // The clerk recognises them at /staff/guichet, then opens the catalogue.
    const clerkContext = await browser.newContext({ javaScriptEnabled: false });
    const desk = await signInAtCounter(clerkContext, counterToken);
    await desk.getByLabel('Code du client').fill(`${shown[1]} ${shown[2]}`);
    await desk.getByRole('button', { name: 'Reconnaître le client' }).click();
    await desk.waitForURL(`${baseUrl}/staff/guichet`);
    await desk.goto(`${baseUrl}/staff/catalogue`);
    expect(await desk.locator('main').innerText()).toContain('Camille Martin');

    // Browse one kind (the online-only item's), then the whole catalogue, searching this run's skus.
    await desk.getByLabel('Type').selectOption({ label: 'Philatélie de collection' });
    await desk.getByLabel('Rechercher un article').fill(RUN);
    await desk.getByRole('button', { name: 'Chercher' }).click();
    const byKind = await desk.locator('main').innerText();
    expect(byKind).toContain(ITEMS.bloc.name);
    expect(byKind).toContain('en ligne : en stock');
    expect(byKind).not.toContain(ITEMS.carnet.name);
    await desk.getByLabel(`Quantité de ${ITEMS.bloc.name}`).fill('2');
    await desk.getByLabel('Type').selectOption({ label: 'Tous les articles' });
    await desk.getByRole('button', { name: 'Chercher' }).click();
    const found = await desk.locator('main').innerText();
    for (const item of Object.values(ITEMS)) expect(found).toContain(item.name);
    // The quantity typed before the search is kept.
    expect(await desk.getByLabel(`Quantité de ${ITEMS.bloc.name}`).inputValue()).toBe('2');
    await desk.getByLabel(`Quantité de ${ITEMS.carnet.name}`).fill('1');
    await desk.getByLabel(`Quantité de ${ITEMS.tube.name}`).fill('3');
    await desk.getByRole('button', { name: 'Continuer' }).click();

    // The confirmation: the lines, the total, where it goes.
    const total = ITEMS.bloc.priceCents * 2 + ITEMS.carnet.priceCents + ITEMS.tube.priceCents * 3;
    const confirmation = spaced(await desk.locator('main').innerText());
    expect(confirmation).toContain(`2 × ${ITEMS.bloc.name}`);
    expect(confirmation).toContain(`1 × ${ITEMS.carnet.name}`);
    expect(confirmation).toContain(`3 × ${ITEMS.tube.name}`);
    expect(confirmation).toContain(spaced(`Total : ${euros(total)}`));
    await desk.getByLabel('Maison (Lyon)').check();
    await desk.getByRole('button', { name: 'Commander (payé au guichet)' }).click();
    await desk.waitForURL(/\/staff\/catalogue\?commande=CMD-/);
    const receipt = spaced(await desk.locator('main').innerText());
    const reference = /Commande (CMD-[A-Z0-9]{8}) enregistrée/.exec(receipt)![1]!;
    expect(receipt).toContain(spaced(`Encaissez ${euros(total)} au guichet.`));
    expect(receipt).toContain('Livraison à domicile : Maison (Lyon)');
    await desk.goto(`${baseUrl}/staff/guichet`);
    await desk.getByRole('button', { name: 'Terminer' }).click();

    const stored = await withDatabase((db) => db.select().from(orders).where(eq(orders.id, reference)).get());
    expect(stored).toMatchObject({ channel: 'counter', payment: 'paid_at_counter', locationId: office.id, delivery: 'home', totalCents: total });

    // Since then, one item was withdrawn from the catalogue.
    await withDatabase((db) => db.update(products).set({ withdrawnAt: Date.now() }).where(eq(products.sku, ITEMS.tube.sku)));

    // The customer, on the web, sees the counter order and orders it again in one confirmation form.
    await phone.goto(`${baseUrl}/compte/commandes`);
    const mine = await phone.locator(`li#${reference}`).innerText();
    expect(mine).toContain(`commandé au guichet de ${office.name}`);
    expect(mine).toContain('Payée au guichet');
    await phone.getByRole('link', { name: `Commander à nouveau la commande ${reference}` }).click();
    await phone.waitForURL(`${baseUrl}/compte/commandes/${reference}/recommander`);
    const again = await phone.locator('main').innerText();
    expect(again).toContain(`« ${ITEMS.tube.name} » n’est plus vendu`);
    expect(again).toContain(`2 × ${ITEMS.bloc.name}`);
    expect(again).toContain(`1 × ${ITEMS.carnet.name}`);
    expect(await phone.getByLabel('Livraison : Maison (Lyon)').isChecked()).toBe(true);
    expect(await phone.locator('form button[type="submit"]').count()).toBe(1);
    await phone.getByRole('button', { name: 'Commander à nouveau' }).click();
    await phone.waitForURL(/\/compte\/commandes\?commande=CMD-/);
    const placed = await phone.getByRole('status').innerText();
    const newReference = /Commande (CMD-[A-Z0-9]{8}) enregistrée/.exec(placed)![1]!;
    expect(newReference).not.toBe(reference);
    expect(spaced(placed)).toContain(spaced(euros(ITEMS.bloc.priceCents * 2 + ITEMS.carnet.priceCents)));
    expect(await phone.locator(`li#${newReference}`).innerText()).toContain('commandé sur le site');

    // The account's history tells both, the first at the office's counter.
    await phone.goto(`${baseUrl}/compte`);
    const history = await phone.locator('main').innerText();
    expect(history).toContain(`Commande passée : ${reference}`);
    expect(history).toContain(`au guichet de ${office.name}`);
    expect(history).toContain(`Commande passée : ${newReference}`);
    await customerContext.close();
    await clerkContext.close();
  });

  it('places a web order from /boutique/{sku}/commander, the payment stated, and refuses the signed-out', async () => {
    const path = `/boutique/${ITEMS.carnet.sku}/commander`;
    const signedOut = await fetch(`${baseUrl}${path}`, { redirect: 'manual' });
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('location')).toBe(`/connexion?suite=${encodeURIComponent(path)}`);

    const email = `web.${Date.now()}@exemple.fr`;
    const cookie = await sessionCookieOverHttp(email);
    const empty = await expectGates(path, cookie);
    expect(empty.html).toContain('adresse de livraison');
    await withDatabase((db) => db.update(customers).set({ addresses: [{ label: 'Bureau', line1: '3 quai Rambaud', postcode: '69002', city: 'Lyon' }] }).where(eq(customers.email, email)));
    const page = await expectGates(path, cookie);
    expect(page.html).toContain('le paiement en ligne n’est pas encore ouvert');
    const key = /name="cle" value="([^"]+)"/.exec(page.html)![1]!;
    const fields = { csrf: csrfOf(page.html), cle: key, quantite: '2', livraison: 'domicile-0' };
    const placed = await postForm(path, cookie, fields);
    expect(placed.status).toBe(303);
    const location = placed.headers.get('location')!;
    expect(location).toMatch(/^\/compte\/commandes\?commande=CMD-[A-Z0-9]{8}$/);
    // The same form sent twice is one order.
    const twice = await postForm(path, cookie, fields);
    expect(twice.headers.get('location')).toBe(location);
    const list = await expectGates(location, cookie);
    expect(list.html).toContain('commandé sur le site');
    expect(list.html).toContain('le paiement en ligne n’est pas encore ouvert');
    const forged = await postForm(path, cookie, { ...fields, csrf: 'forged', cle: `${key}-2` });
    expect(forged.status).toBe(403);
    const withdrawn = await fetchPage(baseUrl, `/boutique/${ITEMS.tube.sku}/commander`, cookie);
    expect(withdrawn.html).toContain('n’est plus vendu');
    expect(withdrawn.html).not.toContain('name="quantite"');
  });

  it('keeps the clerk’s catalogue to counter clerks with an open session, and its form to its CSRF token', async () => {
    const { token: clerk } = await withDatabase((db) => createStaffToken(db, {
      name: 'Guichetière sans client (test)', role: 'counter', scopeType: 'office', scopeValue: office.id, now: new Date().toISOString(),
    }));
    const cookie = await staffCookie(clerk);
    const idle = await expectGates('/staff/catalogue', cookie);
    expect(idle.html).toContain('Aucun client reconnu');
    expect(idle.html).toContain('href="/staff/guichet"');
    expect(idle.html).not.toContain('name="q"');

    const manager = await staffCookie(staffToken);
    const refused = await expectGates('/staff/catalogue', manager, 403);
    expect(refused.html).not.toContain('name="q"');

    const forged = await postForm('/staff/catalogue', cookie, { csrf: 'forged', session: 'ctr_x', lignes: `${ITEMS.carnet.sku}*1`, cle: 'cle-de-test-1', livraison: 'retrait' });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('Formulaire expiré');
  });

  it('passes axe-core WCAG 2.2 AA on the catalogue, its confirmation and receipt, and on the customer’s order pages', async () => {
    const customerContext = await browser.newContext({ bypassCSP: true });
    const email = `axe.commande.${Date.now()}@exemple.fr`;
    const phone = await signInWithCode(customerContext, email);
    await withDatabase((db) => db.update(customers).set({ addresses: [{ label: 'Maison', line1: '1 rue Haute', postcode: '97400', city: 'Saint-Denis' }] }).where(eq(customers.email, email)));
    await phone.goto(`${baseUrl}/compte/guichet`);
    const code = /\b(\d{4} \d{4})\b/.exec(await phone.locator('main').innerText())![1]!;

    const clerkContext = await browser.newContext({ bypassCSP: true });
    const desk = await signInAtCounter(clerkContext, counterToken);
    await desk.getByLabel('Code du client').fill(code);
    await desk.getByRole('button', { name: 'Reconnaître le client' }).click();
    await desk.getByRole('button', { name: 'Terminer' }).waitFor();
    await desk.goto(`${baseUrl}/staff/catalogue?q=${FILLER_RUN}`);
    expect(await axeViolations(desk), 'catalogue').toEqual([]);
    // A full page (15 products, the longest names) within the budget, then the next page.
    const clerkCookie = (await clerkContext.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const full = await expectGates(`/staff/catalogue?q=${FILLER_RUN}`, clerkCookie);
    expect(full.html.match(/name="qte-/g)).toHaveLength(14);
    expect(full.html).toContain('en ligne : épuisé');
    await desk.getByRole('button', { name: 'Articles suivants' }).click();
    expect(await desk.locator('main li').count()).toBe(1);
    await desk.getByRole('button', { name: 'Premiers articles' }).waitFor();
    await desk.getByLabel('Rechercher un article').fill(RUN);
    await desk.getByRole('button', { name: 'Chercher' }).click();
    await desk.getByLabel(`Quantité de ${ITEMS.carnet.name}`).fill('1');
    await desk.getByRole('button', { name: 'Continuer' }).click();
    expect(await axeViolations(desk), 'confirmation').toEqual([]);
    await desk.getByLabel('Retrait dans ce bureau').check();
    await desk.getByRole('button', { name: 'Commander (payé au guichet)' }).click();
    await desk.waitForURL(/commande=CMD-/);
    expect(await axeViolations(desk), 'receipt').toEqual([]);
    const reference = /commande=(CMD-[A-Z0-9]{8})/.exec(desk.url())![1]!;
    await desk.goto(`${baseUrl}/staff/guichet`);
    await desk.getByRole('button', { name: 'Terminer' }).click();

    await phone.goto(`${baseUrl}/compte/commandes`);
    expect(await axeViolations(phone), 'commandes').toEqual([]);
    await phone.goto(`${baseUrl}/compte/commandes/${reference}/recommander`);
    expect(await axeViolations(phone), 'recommander').toEqual([]);
    await phone.goto(`${baseUrl}/boutique/${ITEMS.bloc.sku}/commander`);
    expect(await axeViolations(phone), 'commander').toEqual([]);

    // Sizes with real content: the catalogue's first page and a customer's orders.
    const cookie = await sessionCookieOverHttp(email);
    await expectGates('/compte/commandes', cookie);
    await expectGates(`/compte/commandes/${reference}/recommander`, cookie);
    await customerContext.close();
    await clerkContext.close();
  });
});
