/**
 * Collection at the counter and "livré mais pas reçu", against the built
 * Worker, in Chromium with JavaScript off. A clerk of the office where a
 * demo parcel waits scans its number on /staff/colis and presses
 * "Remettre": the requests the browser makes and the time from the scan
 * to the confirmation are measured and printed (the README quotes them),
 * and the public API then says "Remis au guichet". The recognised
 * customer's parcels show on /staff/guichet with the same button. A
 * customer who follows a delivered parcel opens a claim in one form and
 * sees its reference and the 21-day clock; the clerk sees it. Gates:
 * axe-core WCAG 2.2 AA, no script, 14 KB, CSRF.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../scripts/local-db';
import { signatureHeader } from '../../worker/parcels/signature';
import { createStaffToken } from '../../worker/staff/tokens';
import { signInWithCode } from './accounts';
import { axeViolations, launchChromium } from './chromium';
import { demoParcelSet, office } from './fixtures';
import { compressedWeight, executableScripts, fetchPage, PAGE_BUDGET_BYTES } from './gates';
import { staffCookie, staffSignIn } from './staff-session';

const baseUrl = inject('baseUrl');
const carrier = inject('carrier');
const counterToken = inject('counterToken');
const HOUR = 3_600_000;

/** The last demo parcel waiting at a post office: far from the first parcels other page tests read. */
const demo = demoParcelSet.filter((p) => p.stage === 'waiting_post_office').at(-1)!;
const arrival = demo.events.find((e) => e.code === 'AG1')!;
const demoOffice = arrival.location_id!;
/** A delivered demo parcel, for the claim page's accessibility audit. */
const delivered = demoParcelSet.filter((p) => p.stage === 'delivered').at(-1)!;

let browser: Browser;
let clerkToken: string;
beforeAll(async () => {
  expect(demoParcelSet.indexOf(demo)).toBeGreaterThanOrEqual(16);
  expect(demoOffice).not.toBe(office.id);
  expect(arrival.shelf).toMatch(/^[A-F]\d\d$/);
  browser = await launchChromium();
  // A counter clerk of the office where the demo parcel waits, in the served database.
  const { db, close } = await openDatabase({ persistTo: inject('statePath') });
  try {
    clerkToken = (await createStaffToken(db, {
      name: 'Guichetier des colis (test)', role: 'counter', scopeType: 'office', scopeValue: demoOffice, now: new Date().toISOString(),
    })).token;
  } finally {
    await close();
  }
});
afterAll(async () => browser?.close());

/** A valid S10 number nobody uses (check digit by the UPU weights, written out here). */
function freshNumber(): string {
  const serial = String(Math.floor(Math.random() * 100_000_000)).padStart(8, '0');
  const sum = [...serial].reduce((t, d, i) => t + Number(d) * [8, 6, 4, 2, 3, 5, 9, 7][i]!, 0);
  const check = 11 - (sum % 11);
  return `GU${serial}${check === 10 ? 0 : check === 11 ? 5 : check}FR`;
}

/** A parcel that arrived at `locationId` an hour ago, shelved at `shelf`, sent by the demo carrier through the signed endpoint. */
async function arrive(locationId: string, shelf: string, postcode = '97400'): Promise<string> {
  const number = freshNumber();
  const at = Date.now() - HOUR;
  const body = JSON.stringify({ events: [
    { event_id: `${number}-1`, tracking_number: number, code: 'PC1', occurred_at: new Date(at - 20 * HOUR).toISOString(), recipient_postcode: postcode },
    { event_id: `${number}-2`, tracking_number: number, code: 'AG1', occurred_at: new Date(at).toISOString(), location_id: locationId, shelf },
  ] });
  const response = await fetch(`${baseUrl}/api/v1/parcels/events`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'guichet-signature': await signatureHeader(carrier.id, carrier.secret, body) }, body,
  });
  expect(await response.json()).toMatchObject({ accepted: 2, rejected: 0 });
  return number;
}

/** `count` parcels arrived at `locationId`, in one signed request. */
async function arriveMany(locationId: string, count: number): Promise<void> {
  const at = Date.now() - 2 * HOUR;
  const events = Array.from({ length: count }, () => freshNumber()).flatMap((number, i) => [
    { event_id: `${number}-1`, tracking_number: number, code: 'PC1', occurred_at: new Date(at - 20 * HOUR).toISOString() },
    { event_id: `${number}-2`, tracking_number: number, code: 'AG1', occurred_at: new Date(at + i * 1000).toISOString(), location_id: locationId, shelf: `M${String(i).padStart(2, '0')}` },
  ]);
  const body = JSON.stringify({ events });
  const response = await fetch(`${baseUrl}/api/v1/parcels/events`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'guichet-signature': await signatureHeader(carrier.id, carrier.secret, body) }, body,
  });
  expect(await response.json()).toMatchObject({ rejected: 0 });
}

const postForm = (path: string, cookie: string, fields: Record<string, string>) => fetch(`${baseUrl}${path}`, {
  method: 'POST', redirect: 'manual', headers: { origin: baseUrl, 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams(fields),
});

async function follow(context: BrowserContext, number: string, postcode: string) {
  const response = await context.request.post(`${baseUrl}/api/v1/account/parcels`, { headers: { origin: baseUrl }, data: { tracking_number: number, postcode } });
  expect(response.status()).toBe(201);
}

/** "mardi 15 décembre" (with "1er"), by Intl: the date 21 days after today in Paris, as the claim page must say it. */
function dueInWords(from: Date): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(from);
  const due = new Date(Date.parse(`${today}T12:00:00Z`) + 21 * 86_400_000);
  const parts = Object.fromEntries(new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).formatToParts(due).map((p) => [p.type, p.value]));
  const sameYear = due.getUTCFullYear() === Number(today.slice(0, 4));
  return `${parts.weekday} ${parts.day === '1' ? '1er' : parts.day} ${parts.month}${sameYear ? '' : ` ${parts.year}`}`;
}

describe('handing a parcel over at the counter', () => {
  it('takes a scan and one press, without JavaScript: the requests and the time are measured, and the parcel is "Remis au guichet"', async () => {
    const before = await (await fetch(`${baseUrl}/api/v1/parcels/${demo.trackingNumber}`)).json() as { delivered: boolean; collection: { location: { id: string } } | null };
    expect(before.delivered).toBe(false);
    expect(before.collection?.location.id).toBe(demoOffice);

    const context = await browser.newContext({ javaScriptEnabled: false });
    const tab = await staffSignIn(context, clerkToken, { landing: '/staff/guichet' });
    await tab.goto(`${baseUrl}/staff/colis`);
    expect(await tab.locator('main').innerText()).toContain(demo.trackingNumber);

    // Every request the page makes, and (Chromium's own network log) those the browser's cache answered.
    const requests: { method: string; url: string; type: string }[] = [];
    tab.on('request', (r) => requests.push({ method: r.method(), url: r.url().replace(baseUrl, ''), type: r.resourceType() }));
    const cdp = await context.newCDPSession(tab);
    await cdp.send('Network.enable');
    const sent = new Map<string, string>();
    const fromCache = new Set<string>();
    cdp.on('Network.requestWillBeSent', (e) => sent.set(e.requestId, `${e.request.method} ${e.request.url.replace(baseUrl, '')}`));
    cdp.on('Network.requestServedFromCache', (e) => fromCache.add(e.requestId));
    cdp.on('Network.responseReceived', (e) => {
      if (e.response.fromDiskCache || e.response.fromPrefetchCache) fromCache.add(e.requestId);
    });
    const started = performance.now();
    // A barcode scanner types the number and Enter.
    const field = tab.getByLabel('Numéro de l’avis de passage');
    await field.fill(demo.trackingNumber);
    await field.press('Enter');
    const found = tab.getByRole('region', { name: `Colis ${demo.trackingNumber}` });
    await found.waitFor();
    expect(await found.innerText()).toContain(`Étagère ${arrival.shelf}`);
    await found.getByRole('button', { name: 'Remettre' }).click();
    const confirmation = tab.getByRole('status');
    await confirmation.waitFor();
    const elapsed = performance.now() - started;
    expect(await confirmation.innerText()).toBe(`Colis ${demo.trackingNumber} remis (étagère ${arrival.shelf}).`);

    const documents = requests.filter((r) => r.type === 'document');
    const overNetwork = [...sent].filter(([id]) => !fromCache.has(id)).map(([, what]) => what);
    console.log(`counter handover: ${requests.length} requests by the page (${requests.map((r) => `${r.type} ${r.method} ${r.url}`).join(', ')}), `
      + `${overNetwork.length} over the network (${overNetwork.join(', ')}), the rest from the browser's cache; `
      + `${Math.round(elapsed)} ms from the scan to the confirmation`);
    expect(documents.map((r) => `${r.method} ${r.url}`)).toEqual([`GET /staff/colis?numero=${demo.trackingNumber}`, 'POST /staff/colis']);
    // Two pages from the server: the search and the handover. The stylesheet comes from the cache (immutable);
    // Chromium asks for the site's icon again with each page, which is the only other request.
    expect(overNetwork.filter((r) => r !== 'GET /favicon.svg')).toEqual([`GET /staff/colis?numero=${demo.trackingNumber}`, 'POST /staff/colis']);
    expect(requests.filter((r) => r.type !== 'document').map((r) => r.url).every((url) => url === '/favicon.svg' || /^\/_astro\/site\.[\w-]+\.css$/.test(url))).toBe(true);
    expect(elapsed).toBeLessThan(30_000);
    // It left the list, and the search field is ready for the next scan.
    expect(await tab.locator('#colis li', { hasText: demo.trackingNumber }).count()).toBe(0);
    expect(await field.inputValue()).toBe('');

    const after = await (await fetch(`${baseUrl}/api/v1/parcels/${demo.trackingNumber}`)).json() as {
      delivered: boolean; step: { number: number; label: string }; events: { code: string; label: string; location_id: string | null }[]; collection: unknown;
    };
    expect(after.delivered).toBe(true);
    expect(after.step.number).toBe(5);
    expect(after.events.at(-1)).toEqual({ code: 'DI2', label: 'Remis au guichet', location_id: demoOffice, occurred_at: expect.any(String) });
    expect(after.collection).toBeNull();

    await context.close();
  });

  it('answers a replayed form with the same confirmation, refuses a forged one, and keeps the page small and script-free', async () => {
    const number = await arrive(demoOffice, 'Z9');
    // A busy office: the list shows its 100 oldest parcels, and the page still fits in 14 KB.
    await arriveMany(demoOffice, 100);
    const cookie = await staffCookie(clerkToken);
    const page = await fetchPage(baseUrl, '/staff/colis', cookie);
    expect(page.status).toBe(200);
    expect(page.html.match(/aria-label="Remettre le colis /g)).toHaveLength(100);
    expect(page.headers.get('cache-control')).toBe('private, no-store');
    expect(executableScripts(page.html)).toEqual([]);
    const weight = compressedWeight(page);
    console.log(`/staff/colis with 100 parcels listed: ${weight} bytes gzip (HTML and CSS)`);
    expect(weight).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;

    const forged = await postForm('/staff/colis', cookie, { csrf: 'forged', numero: number });
    expect(forged.status).toBe(403);
    expect(((await (await fetch(`${baseUrl}/api/v1/parcels/${number}`)).json()) as { delivered: boolean }).delivered).toBe(false);

    const first = await postForm('/staff/colis', cookie, { csrf, numero: number });
    const second = await postForm('/staff/colis', cookie, { csrf, numero: number.toLowerCase() });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await first.text()).toContain(`Colis ${number} remis (étagère Z9).`);
    expect(await second.text()).toMatch(new RegExp(`Colis ${number} remis \\(étagère Z9\\) : remise déjà enregistrée à \\d\\d h \\d\\d\\.`));
    const events = ((await (await fetch(`${baseUrl}/api/v1/parcels/${number}`)).json()) as { events: { code: string }[] }).events;
    expect(events.filter((e) => e.code === 'DI2')).toHaveLength(1);

    // Another office's clerk: refused, told where the parcel is, and nothing is written.
    const elsewhere = await arrive(demoOffice, 'Y1');
    const otherClerk = await staffCookie(counterToken);
    const refused = await postForm('/staff/colis', otherClerk, { csrf: /name="csrf" value="([^"]+)"/.exec((await fetchPage(baseUrl, '/staff/colis', otherClerk)).html)![1]!, numero: elsewhere });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain(`Le colis ${elsewhere} attend à `);
    expect(((await (await fetch(`${baseUrl}/api/v1/parcels/${elsewhere}`)).json()) as { delivered: boolean }).delivered).toBe(false);
  });

  it('shows the recognised customer’s parcels waiting at the office, with the same button', async () => {
    const number = await arrive(office.id, 'K4', '97400');
    const customerContext = await browser.newContext({ javaScriptEnabled: false });
    const phone = await signInWithCode(customerContext, `colis.guichet.${Date.now()}@exemple.fr`);
    await follow(customerContext, number, '97400');
    await phone.goto(`${baseUrl}/compte/guichet`);
    const shown = /\b(\d{4}) (\d{4})\b/.exec(await phone.locator('main').innerText())!;

    const clerkContext = await browser.newContext({ javaScriptEnabled: false });
    const desk = await staffSignIn(clerkContext, counterToken, { landing: '/staff/guichet' });
    await desk.getByLabel('Code du client').fill(`${shown[1]}${shown[2]}`);
    await desk.getByRole('button', { name: 'Reconnaître le client' }).click();
    await desk.getByRole('button', { name: 'Terminer' }).waitFor();
    const seen = await desk.locator('main').innerText();
    expect(seen).toContain(`Colis ${number} · étagère K4`);
    expect(seen).not.toContain('Rien en attente dans ce bureau.');
    await desk.getByRole('button', { name: `Remettre le colis ${number}` }).click();
    expect(await desk.getByRole('status').innerText()).toBe(`Colis ${number} remis (étagère K4).`);
    expect(await desk.locator('main').innerText()).toContain('Rien en attente dans ce bureau.');

    await phone.goto(`${baseUrl}/compte`);
    expect(await phone.locator('main').innerText()).toContain('Colis remis');
    await desk.getByRole('button', { name: 'Terminer' }).click();
    await customerContext.close();
    await clerkContext.close();
  });

  it('passes axe-core WCAG 2.2 AA on /staff/colis: the list, a parcel found, a parcel not here, a confirmation', async () => {
    const number = await arrive(demoOffice, 'B17');
    const context = await browser.newContext({ bypassCSP: true });
    const tab = await staffSignIn(context, clerkToken, { landing: '/staff/guichet' });
    await tab.goto(`${baseUrl}/staff/colis`);
    expect(await axeViolations(tab), 'list').toEqual([]);
    await tab.getByLabel('Numéro de l’avis de passage').fill(number);
    await tab.getByRole('button', { name: 'Chercher' }).click();
    await tab.getByRole('region', { name: `Colis ${number}` }).waitFor();
    expect(await axeViolations(tab), 'found').toEqual([]);
    await tab.getByRole('region', { name: `Colis ${number}` }).getByRole('button', { name: 'Remettre' }).click();
    await tab.getByRole('status').waitFor();
    expect(await axeViolations(tab), 'confirmation').toEqual([]);
    await tab.getByLabel('Numéro de l’avis de passage').fill(number);
    await tab.getByRole('button', { name: 'Chercher' }).click();
    expect(await tab.getByRole('alert').innerText()).toBe(`Le colis ${number} est déjà livré ou remis : rien à remettre.`);
    expect(await axeViolations(tab), 'not here').toEqual([]);
    await context.close();
  });
});

describe('"livré mais pas reçu"', () => {
  it('opens a claim in one form, without JavaScript: a reference and the 21-day clock; a second submit shows the first; the clerk sees it', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const tab = await signInWithCode(context, `reclamation.${Date.now()}@exemple.fr`);
    // The demo parcel handed over in the first test: delivered now.
    const claimPage = `${baseUrl}/compte/colis/reclamation?numero=${demo.trackingNumber}`;

    await tab.goto(claimPage);
    expect(await tab.getByRole('alert').innerText()).toContain('n’est pas dans votre compte');
    await follow(context, demo.trackingNumber, demo.postcode);
    await tab.goto(claimPage);
    const csrf = await tab.locator('input[name="csrf"]').inputValue();
    await tab.getByLabel('Ce que vous voulez préciser (facultatif)').fill('Rien dans la boîte aux lettres ni chez la gardienne.');
    await tab.getByRole('button', { name: 'Ouvrir la réclamation' }).click();
    await tab.waitForURL(/fait=ouverte/);
    const heading = await tab.getByRole('heading', { level: 2 }).innerText();
    const reference = /^Réclamation (RCL-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{8})$/.exec(heading)?.[1];
    expect(reference).toBeDefined();
    const text = await tab.locator('main').innerText();
    expect(text).toContain(`Réponse au plus tard le ${dueInWords(new Date())}, dans 21 jours.`);
    expect(text).toContain('Rien dans la boîte aux lettres ni chez la gardienne.');

    // The form sent again: the first claim, the same reference.
    const again = await context.request.post(claimPage, { headers: { origin: baseUrl }, form: { csrf, note: 'encore' }, maxRedirects: 0 });
    expect(again.status()).toBe(303);
    expect(again.headers().location).toBe(`/compte/colis/reclamation?numero=${demo.trackingNumber}`);
    await tab.goto(claimPage);
    expect(await tab.getByRole('heading', { level: 2 }).innerText()).toBe(`Réclamation ${reference}`);
    expect(await tab.locator('main').innerText()).not.toContain('encore');

    const staffPage = await fetchPage(baseUrl, '/staff/reclamations', await staffCookie(clerkToken));
    expect(staffPage.status).toBe(200);
    expect(staffPage.html).toContain(reference);
    expect(executableScripts(staffPage.html)).toEqual([]);
    expect(compressedWeight(staffPage)).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
    // The clerk of another office does not see it.
    expect((await fetchPage(baseUrl, '/staff/reclamations', await staffCookie(counterToken))).html).not.toContain(reference);
    await context.close();
  });

  it('refuses a parcel not delivered, sends a signed-out visitor to sign in, and passes axe-core on the form and the claim', async () => {
    const signedOut = await fetch(`${baseUrl}/compte/colis/reclamation?numero=${delivered.trackingNumber}`, { redirect: 'manual' });
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('location')).toBe(`/connexion?suite=${encodeURIComponent(`/compte/colis/reclamation?numero=${delivered.trackingNumber}`)}`);

    const context = await browser.newContext({ bypassCSP: true });
    const tab = await signInWithCode(context, `reclamation.axe.${Date.now()}@exemple.fr`);
    const waiting = await arrive(demoOffice, 'C2', '97400');
    await follow(context, waiting, '97400');
    await tab.goto(`${baseUrl}/compte/colis/reclamation?numero=${waiting}`);
    expect(await tab.getByRole('alert').innerText()).toContain(`Le colis ${waiting} n’est pas indiqué livré`);
    expect(await axeViolations(tab), 'refusal').toEqual([]);

    await follow(context, delivered.trackingNumber, delivered.postcode);
    await tab.goto(`${baseUrl}/compte/colis/reclamation?numero=${delivered.trackingNumber}`);
    expect(await axeViolations(tab), 'form').toEqual([]);
    await tab.getByRole('button', { name: 'Ouvrir la réclamation' }).click();
    await tab.waitForURL(/fait=ouverte/);
    expect(await axeViolations(tab), 'claim').toEqual([]);
    await context.close();
  });
});
