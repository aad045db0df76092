/**
 * The staff pages for pro services against the built Worker:
 * /staff/offres (the office manager sets what the office offers, one form,
 * the list's version in a hidden field) and /staff/rendez-vous (the
 * counter's day). Bookings are made through the customer API, the real
 * way; offers are read back through the staff API. Gates: role and scope
 * (403 pages in French), CSRF, private answers, no script, 14 KB, axe-core
 * WCAG 2.2 AA in Chromium.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../scripts/local-db';
import { customers } from '../../db/schema';
import { DEMO_SEED, generateDemoNetwork } from '../../tools/demo/network';
import { openCustomerSession } from '../../worker/accounts/sessions';
import { createStaffToken } from '../../worker/staff/tokens';
import { axeViolations, launchChromium } from './chromium';
import { PAGE_TEST_NETWORK_SIZE } from './fixtures';
import { compressedWeight, executableScripts, fetchPage, PAGE_BUDGET_BYTES } from './gates';
import { staffCookie, staffSignIn } from './staff-session';

const baseUrl = inject('baseUrl');

/** Two post offices of the served slice that other page tests leave alone. */
const postOffices = generateDemoNetwork(DEMO_SEED, PAGE_TEST_NETWORK_SIZE).slice(0, -1).filter((l) => l.type === 'post_office');
const office = postOffices.at(-9)!;
const elsewhere = postOffices.at(-10)!;
/** An office with the most offers the use case allows: the offers page's worst case for size. */
const fullOffice = postOffices.at(-11)!;

const BOOKED_NAME = 'Apolline Rendez-Vousier';
const HOLDER_NAME = 'Barnabé Retenu';

let browser: Browser;
const secrets = { manager: '', clerk: '', closures: '', fullManager: '' };
const cookies = { booked: '', holder: '' };
beforeAll(async () => {
  browser = await launchChromium();
  const { db, close } = await openDatabase({ persistTo: inject('statePath') });
  try {
    const at = new Date().toISOString();
    secrets.manager = (await createStaffToken(db, { name: 'Responsable des offres (test)', role: 'hours', scopeType: 'office', scopeValue: office.id, now: at })).token;
    secrets.clerk = (await createStaffToken(db, { name: 'Guichetier des rendez-vous (test)', role: 'counter', scopeType: 'office', scopeValue: office.id, now: at })).token;
    secrets.fullManager = (await createStaffToken(db, { name: 'Responsable aux vingt offres (test)', role: 'hours', scopeType: 'office', scopeValue: fullOffice.id, now: at })).token;
    secrets.closures = (await createStaffToken(db, { name: 'Fermetures seulement (test)', role: 'exceptions', scopeType: 'office', scopeValue: office.id, now: at })).token;
    for (const [key, name] of [['booked', BOOKED_NAME], ['holder', HOLDER_NAME]] as const) {
      const id = `cus_${crypto.randomUUID()}`;
      await db.insert(customers).values({ id, email: `staff.rdv.${key}.${Date.now()}@exemple.fr`, name, counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at });
      cookies[key] = (await openCustomerSession(db, { customerId: id, method: 'code', cookieHeader: null, now: new Date() })).cookie.split(';')[0]!;
    }
  } finally {
    await close();
  }
});
afterAll(async () => browser?.close());

const hidden = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];

const postOffers = (cookie: string, fields: Record<string, string>) => fetch(`${baseUrl}/staff/offres?bureau=${office.id}`, {
  method: 'POST', redirect: 'manual', headers: { origin: baseUrl, 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams(fields),
});

type ApiOffer = { id: string; kind: string; label: string; duration_minutes: number; capacity: number };
/** The office's offers as the staff API reads them. */
async function apiOffers(): Promise<{ version: number; items: ApiOffer[] }> {
  const response = await fetch(`${baseUrl}/api/v1/offices/${office.id}/offers`, { headers: { authorization: `Bearer ${secrets.manager}` } });
  expect(response.status).toBe(200);
  return response.json() as Promise<{ version: number; items: ApiOffer[] }>;
}

/** A customer's request to the API, from the site (its Origin). */
const asCustomer = (cookie: string, path: string, init: { method: string; body?: unknown; key?: string }) => fetch(`${baseUrl}${path}`, {
  method: init.method,
  headers: { origin: baseUrl, cookie, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.key ? { 'idempotency-key': init.key } : {}) },
  body: init.body ? JSON.stringify(init.body) : undefined,
});

/** Shared across the tests below, in order: the appointment offer, and the slot two customers take. */
let offerId = '';
let slot: { starts_at: string; date: string; time: string; remaining: number };
let bookedId = '';
let heldId = '';

describe('the office’s offers page (/staff/offres)', () => {
  it('shows an empty list to the manager, privately, within 14 KB and without script; adds an offer through the form', async () => {
    expect((await fetch(`${baseUrl}/staff/offres`, { redirect: 'manual' })).status).toBe(303);
    const cookie = await staffCookie(secrets.manager);
    const page = await fetchPage(baseUrl, '/staff/offres', cookie);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('private, no-store');
    expect(page.html).toContain(office.name);
    expect(hidden(page.html, 'version')).toBe('0');
    expect(executableScripts(page.html)).toEqual([]);

    const added = await postOffers(cookie, {
      csrf: hidden(page.html, 'csrf')!, version: '0', 'type-nouvelle': 'appointment', 'libelle-nouvelle': 'Conseiller entreprises', 'duree-nouvelle': '30', 'capacite-nouvelle': '1',
    });
    expect(added.status).toBe(200);
    expect(await added.text()).toContain('Offres enregistrées : 1 active.');
    const api = await apiOffers();
    expect(api.items).toEqual([expect.objectContaining({ kind: 'appointment', label: 'Conseiller entreprises', duration_minutes: 30, capacity: 1 })]);
    expect(api.version).toBe(1);
    offerId = api.items[0]!.id;

    const full = await fetchPage(baseUrl, '/staff/offres', cookie);
    const weight = compressedWeight(full);
    console.log(`/staff/offres with one offer: ${weight} bytes gzip (HTML and CSS)`);
    expect(weight).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
    expect(executableScripts(full.html)).toEqual([]);
  });

  it('changes a capacity through the form; a forged CSRF token writes nothing', async () => {
    const cookie = await staffCookie(secrets.manager);
    const page = await fetchPage(baseUrl, '/staff/offres', cookie);
    const version = hidden(page.html, 'version')!;
    const row = { 'id-0': offerId, 'type-0': 'appointment', 'libelle-0': 'Conseiller entreprises', 'duree-0': '30', 'active-0': '1' };
    const forged = await postOffers(cookie, { csrf: 'forged', version, ...row, 'capacite-0': '5' });
    expect(forged.status).toBe(403);
    expect((await apiOffers()).items[0]).toMatchObject({ capacity: 1 });

    const changed = await postOffers(cookie, { csrf: hidden(page.html, 'csrf')!, version, ...row, 'capacite-0': '2' });
    expect(changed.status).toBe(200);
    const html = await changed.text();
    expect(html).toMatch(/id="capacite-0"[^>]*value="2"|value="2"[^>]*id="capacite-0"/);
    const api = await apiOffers();
    expect(api.items).toEqual([expect.objectContaining({ id: offerId, capacity: 2 })]);
    expect(api.version).toBe(Number(version) + 1);
    expect(hidden(html, 'version')).toBe(String(api.version));
  });

  it('refuses a list based on a version someone changed meanwhile: says so, shows the current list, writes nothing', async () => {
    const cookie = await staffCookie(secrets.manager);
    const page = await fetchPage(baseUrl, '/staff/offres', cookie);
    const read = hidden(page.html, 'version')!;
    // Someone else renames the offer through the API after the page was read.
    const api = await fetch(`${baseUrl}/api/v1/offices/${office.id}/offers`, {
      method: 'PUT', headers: { authorization: `Bearer ${secrets.manager}`, 'content-type': 'application/json', 'if-match': `"${read}"` },
      body: JSON.stringify({ items: [{ id: offerId, kind: 'appointment', label: 'Conseiller des entreprises', duration_minutes: 30, capacity: 2 }] }),
    });
    expect(api.status).toBe(200);
    const stale = await postOffers(cookie, {
      csrf: hidden(page.html, 'csrf')!, version: read, 'id-0': offerId, 'type-0': 'appointment', 'libelle-0': 'Conseiller entreprises', 'duree-0': '30', 'capacite-0': '3', 'active-0': '1',
    });
    expect(stale.status).toBe(409);
    const html = await stale.text();
    expect(html).toContain('Quelqu’un d’autre a modifié les offres de ce bureau entre-temps : rien n’a été enregistré.');
    expect(html).toContain('value="Conseiller des entreprises"');
    expect(hidden(html, 'version')).toBe(String(Number(read) + 1));
    expect((await apiOffers()).items).toEqual([expect.objectContaining({ label: 'Conseiller des entreprises', capacity: 2 })]);
  });

  it('fits 14 KB with the 20 offers an office may have', async () => {
    const items = Array.from({ length: 20 }, (_, i) => (i % 2
      ? { kind: 'deposit', label: `Dépôt de colis prépayés, quai ${i}`, capacity: 3 }
      : { kind: 'appointment', label: `Conseiller entreprises et associations ${i}`, duration_minutes: 45, capacity: 2 }));
    const put = await fetch(`${baseUrl}/api/v1/offices/${fullOffice.id}/offers`, {
      method: 'PUT', headers: { authorization: `Bearer ${secrets.fullManager}`, 'content-type': 'application/json', 'if-match': '"0"' }, body: JSON.stringify({ items }),
    });
    expect(put.status).toBe(200);
    const page = await fetchPage(baseUrl, '/staff/offres', await staffCookie(secrets.fullManager));
    expect(page.status).toBe(200);
    expect(page.html.match(/<fieldset>/g)).toHaveLength(21);
    expect(executableScripts(page.html)).toEqual([]);
    const weight = compressedWeight(page);
    console.log(`/staff/offres with 20 offers: ${weight} bytes gzip (HTML and CSS)`);
    expect(weight).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
  });

  it('is refused to a clerk (role) and for an office outside the token’s scope, in French', async () => {
    const clerkPage = await fetchPage(baseUrl, '/staff/offres', await staffCookie(secrets.clerk));
    expect(clerkPage.status).toBe(403);
    expect(clerkPage.html).toContain('il faut un jeton de responsable (rôle hours)');
    expect(clerkPage.html).not.toContain('name="version"');
    const outside = await fetchPage(baseUrl, `/staff/offres?bureau=${elsewhere.id}`, await staffCookie(secrets.manager));
    expect(outside.status).toBe(403);
    expect(outside.html).toContain('Ce bureau n’est pas dans le périmètre de votre jeton.');
    expect(outside.html).not.toContain(elsewhere.name);
  });

  it('is linked from the pages each role lands on', async () => {
    expect((await fetchPage(baseUrl, '/staff/fermeture', await staffCookie(secrets.manager))).html).toContain('href="/staff/offres"');
    expect((await fetchPage(baseUrl, '/staff/guichet', await staffCookie(secrets.clerk))).html).toContain('href="/staff/rendez-vous"');
  });
});

describe('the counter’s day (/staff/rendez-vous)', () => {
  it('lists a booked seat with its customer’s name and a held one without', async () => {
    const slots = await fetch(`${baseUrl}/api/v1/offices/${office.id}/slots?offer=${offerId}`);
    expect(slots.status).toBe(200);
    const items = ((await slots.json()) as { items: Array<{ starts_at: string; date: string; time: string; remaining: number }> }).items;
    // A slot of a later day than the first one: it does not start while the test runs.
    slot = items.find((s) => s.date !== items[0]!.date) ?? items.at(-1)!;
    expect(slot.remaining).toBe(2);

    const booked = await asCustomer(cookies.booked, `/api/v1/offices/${office.id}/appointments`, { method: 'POST', body: { offer_id: offerId, starts_at: slot.starts_at }, key: crypto.randomUUID() });
    expect(booked.status).toBe(201);
    bookedId = ((await booked.json()) as { id: string }).id;
    expect((await asCustomer(cookies.booked, `/api/v1/account/bookings/${bookedId}/confirm`, { method: 'POST' })).status).toBe(200);
    const held = await asCustomer(cookies.holder, `/api/v1/offices/${office.id}/appointments`, { method: 'POST', body: { offer_id: offerId, starts_at: slot.starts_at }, key: crypto.randomUUID() });
    expect(held.status).toBe(201);
    heldId = ((await held.json()) as { id: string }).id;

    const page = await fetchPage(baseUrl, `/staff/rendez-vous?jour=${slot.date}`, await staffCookie(secrets.clerk));
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('private, no-store');
    expect(executableScripts(page.html)).toEqual([]);
    const rows = [...page.html.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => m[1]!);
    const bookedRow = rows.find((r) => r.includes(bookedId))!;
    const heldRow = rows.find((r) => r.includes(heldId))!;
    expect(bookedRow).toContain(BOOKED_NAME);
    expect(bookedRow).toContain(slot.time);
    expect(bookedRow).toContain('Conseiller des entreprises');
    expect(bookedRow).toContain('confirmé');
    expect(heldRow).toContain('réservation en cours de confirmation');
    expect(page.html).not.toContain(HOLDER_NAME);
    expect(page.html).not.toContain('@exemple.fr');
    // Previous and next days, as links for the same office.
    const day = Date.parse(`${slot.date}T12:00:00Z`);
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    expect(page.html).toContain(`jour=${iso(day - 86_400_000)}`);
    expect(page.html).toContain(`jour=${iso(day + 86_400_000)}`);
    const weight = compressedWeight(page);
    console.log(`/staff/rendez-vous with two seats: ${weight} bytes gzip (HTML and CSS)`);
    expect(weight).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
  });

  it('is refused for an office outside the token’s scope, and to a role that receives no customers', async () => {
    const outside = await fetchPage(baseUrl, `/staff/rendez-vous?bureau=${elsewhere.id}`, await staffCookie(secrets.clerk));
    expect(outside.status).toBe(403);
    expect(outside.html).toContain('Ce bureau n’est pas dans le périmètre de votre jeton.');
    const closures = await fetchPage(baseUrl, '/staff/rendez-vous', await staffCookie(secrets.closures));
    expect(closures.status).toBe(403);
    expect(closures.html).toContain('Votre jeton ne permet pas de voir les rendez-vous d’un bureau');
    expect(closures.html).not.toContain('id="rendez-vous"');
  });
});

describe('a capacity below what is booked', () => {
  it('is refused next to its field, in French, and nothing is written; so is withdrawing the offer', async () => {
    const cookie = await staffCookie(secrets.manager);
    const page = await fetchPage(baseUrl, '/staff/offres', cookie);
    const before = await apiOffers();
    const fields = { csrf: hidden(page.html, 'csrf')!, version: hidden(page.html, 'version')!, 'id-0': offerId, 'type-0': 'appointment', 'libelle-0': 'Conseiller des entreprises', 'duree-0': '30' };
    // Two seats (one booked, one held) start at the same time: a capacity of 1 would not hold them.
    const lowered = await postOffers(cookie, { ...fields, 'capacite-0': '1', 'active-0': '1' });
    expect(lowered.status).toBe(409);
    const html = await lowered.text();
    expect(html).toMatch(/<p class="notice" id="capacite-0-erreur">Capacité trop basse : déjà 2 places prises le [^<]* à [^<]*, elle ne peut pas descendre à 1\. Rien n’a été enregistré\.<\/p>/);
    expect(html).toContain(`à ${slot.time}`);
    expect(html).toMatch(/id="capacite-0"[^>]*aria-invalid="true"/);
    const withdrawn = await postOffers(cookie, { ...fields, 'capacite-0': '2' });
    expect(withdrawn.status).toBe(409);
    expect(await withdrawn.text()).toContain('Impossible de retirer cette offre : déjà 2 places prises');
    expect(await apiOffers()).toEqual(before);
  });
});

describe('in Chromium', () => {
  async function signedIn(secret: string) {
    // A clerk's phone.
    const context = await browser.newContext({ javaScriptEnabled: true, bypassCSP: true, viewport: { width: 390, height: 844 } });
    const tab = await staffSignIn(context, secret);
    return { context, tab };
  }

  it('axe-core finds nothing on the day, the offers, and a refused list', async () => {
    const clerk = await signedIn(secrets.clerk);
    await clerk.tab.goto(`${baseUrl}/staff/rendez-vous?jour=${slot.date}`);
    expect(await axeViolations(clerk.tab), 'day').toEqual([]);
    await clerk.context.close();

    const manager = await signedIn(secrets.manager);
    await manager.tab.goto(`${baseUrl}/staff/offres`);
    expect(await axeViolations(manager.tab), 'offers').toEqual([]);
    const row = manager.tab.getByRole('group', { name: /Conseiller des entreprises/ });
    await row.getByLabel('Capacité par créneau').fill('1');
    await manager.tab.getByRole('button', { name: 'Enregistrer les offres' }).click();
    await manager.tab.waitForLoadState();
    expect(await manager.tab.getByRole('alert').innerText()).toContain('Rien n’a été enregistré');
    expect(await axeViolations(manager.tab), 'refused').toEqual([]);
    await manager.context.close();
  });
});
