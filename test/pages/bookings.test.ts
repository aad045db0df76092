/**
 * Booking a seat at an office on the site, without script, against the
 * built Worker over plain HTTP (and in Chromium for axe): the office's
 * page lists its offers, an offer its free slots a day at a time, a slot
 * sent takes a 5-minute hold and leads to the confirmation step (what,
 * where, when, until when), confirmed it shows on /compte/rendez-vous and
 * on the home, cancelled its place is bookable again at once by someone
 * else. A full slot offers the 3 nearest free ones, a double submit is one
 * booking, a forged CSRF token is refused, deposits are for professional
 * accounts. Expected slots come from the public slots API (another door),
 * bookings from the account API; every page is private, script-free,
 * within 14 KB compressed, and passes axe-core WCAG 2.2 AA.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../scripts/local-db';
import { replaceOffers } from '../../worker/bookings/offers';
import { offersAt } from '../../worker/bookings/store';
import { sessionCookieOverHttp, signInWithCode } from './accounts';
import { axeViolations, launchChromium } from './chromium';
import { PARCEL_NETWORK } from './fixtures';
import { compressedWeight, executableScripts, PAGE_BUDGET_BYTES } from './gates';

const baseUrl = inject('baseUrl');
const ZONE = 'Europe/Paris';
/** A mainland post office no other page test uses (the fixture office is Saint-Denis, La Réunion). */
const bureau = PARCEL_NETWORK.filter((l) => l.type === 'post_office' && l.timeZone === ZONE).at(-7)!;
const page = (query = '') => `/rendez-vous/${bureau.id}${query}`;
const VALID_SIRET = '443 061 841 00047';

const decode = (html: string) => html.replace(/&#39;/g, '’').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
const textOf = (html: string) => decode(/<main[^>]*>([\s\S]*)<\/main>/.exec(html)![1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;
const keyOf = (html: string) => /name="cle" value="([^"]+)"/.exec(html)![1]!;
/** The start values of the slot buttons of a page, in order. */
const buttonsOf = (html: string) => [...html.matchAll(/<button name="debut" value="([^"]+)"/g)].map((m) => m[1]!);
/** "10:15" → "10 h 15", "09:00" → "9 h": how the pages write a time. */
const spoken = (time: string) => `${Number(time.slice(0, 2))} h${time.endsWith(':00') ? '' : ` ${time.slice(3)}`}`;
/** An instant's Paris wall-clock time, `HH:MM`. */
const parisTime = (iso: string) => new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));

let offers: { appointment: string; deposit: string };
let browser: Browser;

async function weighed(path: string, init: RequestInit = {}) {
  const response = await fetch(`${baseUrl}${path}`, { redirect: 'manual', ...init });
  const html = await response.text();
  const hrefs = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*>/g)].map((m) => /href="([^"]+)"/.exec(m[0])![1]!);
  const stylesheets = await Promise.all(hrefs.map(async (href) => (await fetch(new URL(href, baseUrl))).text()));
  return { status: response.status, headers: response.headers, html, weight: compressedWeight({ status: response.status, html, headers: response.headers, stylesheets }) };
}
const get = (path: string, cookie: string) => fetch(`${baseUrl}${path}`, { headers: { cookie }, redirect: 'manual' });
const post = (path: string, body: Record<string, string>, cookie: string) =>
  fetch(`${baseUrl}${path}`, { method: 'POST', body: new URLSearchParams(body), headers: { origin: baseUrl, cookie }, redirect: 'manual' });

type ApiSlot = { date: string; time: string; starts_at: string; remaining: number };
/** The offer's slots from the public API (with the cookie: never an edge copy). */
async function slotsFromApi(offerId: string, cookie: string): Promise<ApiSlot[]> {
  const response = await get(`/api/v1/offices/${bureau.id}/slots?offer=${offerId}`, cookie);
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: ApiSlot[] }).items;
}
const freeOf = (slots: ApiSlot[]) => slots.filter((s) => s.remaining > 0);
const startOf = (s: ApiSlot) => `${s.date}T${s.time}`;

type ApiBooking = { id: string; status: string; starts_at: string; hold_expires_at: string | null; parcels: number | null; date: string; time: string };
async function myBookings(cookie: string): Promise<ApiBooking[]> {
  return ((await (await get('/api/v1/account/bookings', cookie)).json()) as { items: ApiBooking[] }).items;
}

/** Opens the offer's page, sends the slot `start` with that form's tokens; answers the response and the form's key. */
async function hold(offerId: string, start: string, cookie: string, extra: Record<string, string> = {}) {
  const html = await (await get(page(`?offre=${offerId}&jour=${start.slice(0, 10)}`), cookie)).text();
  const fields = { csrf: csrfOf(html), cle: keyOf(html), offre: offerId, debut: start, ...extra };
  return { response: await post(page(`?offre=${offerId}`), fields, cookie), fields };
}

beforeAll(async () => {
  // The office's offers, set through the use case the staff API calls (as an office manager of the network).
  const { db, close } = await openDatabase({ persistTo: inject('statePath') });
  try {
    const { version } = await offersAt(db, bureau.id, { all: true });
    const result = await replaceOffers(db, { id: 'stf_test_bookings', name: 'Responsable (test)', role: 'hours', scopeType: 'network', scopeValue: null }, {
      locationId: bureau.id, expected: { kind: 'version', version }, now: new Date(),
      items: [
        { kind: 'appointment', label: 'Conseiller professionnel', durationMinutes: 30, capacity: 1 },
        { kind: 'deposit', label: 'Dépôt de colis', capacity: 1 },
      ],
    });
    if (!result.ok) throw new Error(`offers refused: ${JSON.stringify(result)}`);
    offers = {
      appointment: result.sheet.offers.find((o) => o.kind === 'appointment')!.id,
      deposit: result.sheet.offers.find((o) => o.kind === 'deposit')!.id,
    };
  } finally {
    await close();
  }
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

describe('the booking pages over HTTP', () => {
  it('shows the offers and slots signed out, and sends to sign-in and back to book', async () => {
    const office = await weighed(page());
    expect(office.status).toBe(200);
    expect(office.headers.get('cache-control')).toBe('private, no-store');
    expect(textOf(office.html)).toContain('Conseiller professionnel');
    expect(textOf(office.html)).toContain('Dépôt de colis');
    expect(office.html).toMatch(/<form method="get" action="\/rendez-vous\/[^"]+"/);

    const cookie = await sessionCookieOverHttp(`rdv.public.${Date.now()}@exemple.fr`);
    const free = freeOf(await slotsFromApi(offers.appointment, cookie));
    expect(free.length).toBeGreaterThan(0);
    const listed = await weighed(page(`?offre=${offers.appointment}`));
    const firstDay = free.filter((s) => s.date === free[0]!.date);
    // Signed out: the times as text, no buttons, and a way to sign in that comes back.
    expect(buttonsOf(listed.html)).toEqual([]);
    for (const s of firstDay) expect(textOf(listed.html)).toContain(spoken(s.time));
    const link = /<a href="([^"]+)">Connectez-vous pour réserver<\/a>/.exec(listed.html)?.[1];
    expect(decode(link ?? '')).toBe(`/connexion?suite=${encodeURIComponent(page(`?offre=${offers.appointment}`))}`);
    const signedOutPost = await fetch(`${baseUrl}${page(`?offre=${offers.appointment}`)}`, {
      method: 'POST', body: new URLSearchParams({ offre: offers.appointment, debut: startOf(free[0]!) }), headers: { origin: baseUrl }, redirect: 'manual',
    });
    expect(signedOutPost.status).toBe(303);
    expect(signedOutPost.headers.get('location')).toMatch(/^\/connexion\?suite=/);
    expect((await fetch(`${baseUrl}/compte/rendez-vous`, { redirect: 'manual' })).headers.get('location')).toBe(`/connexion?suite=${encodeURIComponent('/compte/rendez-vous')}`);

    expect((await fetch(`${baseUrl}/rendez-vous/Z999999`)).status).toBe(404);
    const unknownOffer = await fetch(`${baseUrl}${page('?offre=OFR-INCONNUE')}`);
    expect(unknownOffer.status).toBe(404);
    expect(textOf(await unknownOffer.text())).toContain('ne propose pas (ou plus) cette offre');
  });

  it('lists a day of free slots as buttons, holds one, confirms it, shows it on the list and the home, cancels it, and the place is free again', async () => {
    const alice = await sessionCookieOverHttp(`rdv.alice.${Date.now()}@exemple.fr`);
    const bob = await sessionCookieOverHttp(`rdv.bob.${Date.now()}@exemple.fr`);
    const free = freeOf(await slotsFromApi(offers.appointment, alice));
    // A day with several free slots, not the first: the day picker's link leads there.
    const days = [...new Set(free.map((s) => s.date))];
    expect(days.length).toBeGreaterThan(1);
    const day = days[1]!;
    const ofDay = free.filter((s) => s.date === day);
    const listed = await (await get(page(`?offre=${offers.appointment}`), alice)).text();
    for (const d of days) expect(decode(listed)).toContain(`href="${page(`?offre=${offers.appointment}&jour=${d}`)}"`);
    const dayPage = await (await get(page(`?offre=${offers.appointment}&jour=${day}`), alice)).text();
    expect(buttonsOf(dayPage)).toEqual(ofDay.map(startOf));
    expect(textOf(dayPage)).toContain(spoken(ofDay[0]!.time));

    // The slot of a "moved" message's link is proposed first.
    const chosen = ofDay[Math.min(2, ofDay.length - 1)]!;
    const proposed = await (await get(page(`?offre=${offers.appointment}&debut=${startOf(chosen)}`), alice)).text();
    expect(textOf(proposed)).toContain('Créneau proposé');
    expect(buttonsOf(proposed)[0]).toBe(startOf(chosen));

    // Held, twice with the same form: one booking.
    const { response: first, fields } = await hold(offers.appointment, startOf(chosen), alice);
    expect(first.status).toBe(303);
    const location = first.headers.get('location')!;
    expect(location).toMatch(/^\/rendez-vous\/confirmer\?reference=RDV-[23456789A-HJ-NP-Z]{8}$/);
    const again = await post(page(`?offre=${offers.appointment}`), fields, alice);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(location);
    const held = await myBookings(alice);
    expect(held).toHaveLength(1);
    expect(held[0]!.status).toBe('held');
    expect(held[0]!.starts_at).toBe(chosen.starts_at);
    const id = held[0]!.id;

    // The confirmation step: what, where, when, until when.
    const step = await weighed(location, { headers: { cookie: alice } });
    expect(step.status).toBe(200);
    expect(step.headers.get('cache-control')).toBe('private, no-store');
    const stepText = textOf(step.html);
    expect(stepText).toContain('Conseiller professionnel');
    expect(stepText).toContain(bureau.name);
    expect(stepText).toContain(`à ${spoken(chosen.time)} (heure du bureau)`);
    expect(stepText).toContain(`confirmez avant ${spoken(parisTime(held[0]!.hold_expires_at!))}`);
    expect(executableScripts(step.html)).toEqual([]);
    expect(step.weight).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);

    // Bob cannot have it: the page says so and offers the 3 nearest free slots.
    const full = await hold(offers.appointment, startOf(chosen), bob);
    expect(full.response.status).toBe(409);
    const fullHtml = await full.response.text();
    expect(textOf(fullHtml)).toContain('Plus de place pour « Conseiller professionnel »');
    const proposedAlternatives = /<h2>Créneaux libres les plus proches<\/h2>[\s\S]*?<\/form>/.exec(fullHtml)![0];
    const alternatives = buttonsOf(proposedAlternatives);
    expect(alternatives).toHaveLength(3);
    const freeNow = freeOf(await slotsFromApi(offers.appointment, bob));
    const distance = (start: string) => Math.abs(Date.parse(freeNow.find((s) => startOf(s) === start)!.starts_at) - Date.parse(chosen.starts_at));
    expect(alternatives.every((a) => freeNow.some((s) => startOf(s) === a))).toBe(true);
    expect(alternatives.map(distance).sort((a, b) => a - b)).toEqual(freeNow.map((s) => startOf(s)).map(distance).sort((a, b) => a - b).slice(0, 3));
    expect(await myBookings(bob)).toEqual([]);

    // Confirmed.
    const confirmed = await post(location, { csrf: csrfOf(step.html), action: 'confirmer' }, alice);
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`/compte/rendez-vous?confirme=${id}#${id}`);
    const list = await weighed(`/compte/rendez-vous?confirme=${id}`, { headers: { cookie: alice } });
    expect(list.status).toBe(200);
    expect(list.headers.get('cache-control')).toBe('private, no-store');
    expect(textOf(list.html)).toContain(`Rendez-vous ${id} confirmé`);
    const item = textOf(/<li id="RDV-[^"]+">[\s\S]*?<\/li>/.exec(list.html)![0].replace(/^/, '<main>').concat('</main>'));
    expect(item).toContain(`${spoken(chosen.time)}`);
    expect(item).toContain('réservé');
    expect((await myBookings(alice))[0]!.status).toBe('booked');
    expect(executableScripts(list.html)).toEqual([]);
    expect(list.weight).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);

    // On the home.
    const home = await weighed('/', { headers: { cookie: alice } });
    expect(home.html).toContain('<h2>Mes rendez-vous</h2>');
    expect(textOf(home.html)).toContain(`Conseiller professionnel, `);
    expect(textOf(home.html)).toContain(`à ${spoken(chosen.time)} : ${bureau.name}`);
    expect(home.weight).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
    // The account page links the list.
    expect(await (await get('/compte', alice)).text()).toContain('<a href="/compte/rendez-vous">Mes rendez-vous</a>');

    // Cancelled from the list: gone from the home, and Bob books the place at once.
    const cancelled = await post('/compte/rendez-vous', { csrf: csrfOf(list.html), annuler: id }, alice);
    expect(cancelled.status).toBe(303);
    expect(cancelled.headers.get('location')).toBe(`/compte/rendez-vous?annule=${id}#${id}`);
    const after = textOf(await (await get(`/compte/rendez-vous?annule=${id}`, alice)).text());
    expect(after).toContain(`Réservation ${id} annulée : la place est libérée.`);
    expect(after).toContain('annulé');
    expect((await myBookings(alice))[0]!.status).toBe('cancelled');
    expect(await (await get('/', alice)).text()).not.toContain('<h2>Mes rendez-vous</h2>');
    const bobsDay = await (await get(page(`?offre=${offers.appointment}&jour=${day}`), bob)).text();
    expect(buttonsOf(bobsDay)).toContain(startOf(chosen));
    const retaken = await hold(offers.appointment, startOf(chosen), bob);
    expect(retaken.response.status).toBe(303);
    expect((await myBookings(bob)).map((b) => [b.status, b.starts_at])).toEqual([['held', chosen.starts_at]]);
    // Bob cancels his hold on the confirmation step.
    const bobStep = retaken.response.headers.get('location')!;
    const bobHtml = await (await get(bobStep, bob)).text();
    const dropped = await post(bobStep, { csrf: csrfOf(bobHtml), action: 'annuler' }, bob);
    expect(dropped.status).toBe(303);
    expect(dropped.headers.get('location')).toMatch(/^\/compte\/rendez-vous\?annule=RDV-/);
    expect((await myBookings(bob))[0]!.status).toBe('cancelled');
  });

  it('refuses a forged CSRF token on every form, and takes nothing', async () => {
    const cookie = await sessionCookieOverHttp(`rdv.csrf.${Date.now()}@exemple.fr`);
    const slot = freeOf(await slotsFromApi(offers.appointment, cookie))[0]!;
    const html = await (await get(page(`?offre=${offers.appointment}`), cookie)).text();
    const forged = await post(page(`?offre=${offers.appointment}`), { csrf: 'forged', cle: keyOf(html), offre: offers.appointment, debut: startOf(slot) }, cookie);
    expect(forged.status).toBe(403);
    expect(textOf(await forged.text())).toContain('Formulaire expiré');
    expect(await myBookings(cookie)).toEqual([]);

    const { response } = await hold(offers.appointment, startOf(slot), cookie);
    const step = response.headers.get('location')!;
    const id = new URL(step, baseUrl).searchParams.get('reference')!;
    const forgedConfirm = await post(step, { csrf: 'forged', action: 'confirmer' }, cookie);
    expect(forgedConfirm.status).toBe(403);
    const forgedCancel = await post('/compte/rendez-vous', { csrf: 'forged', annuler: id }, cookie);
    expect(forgedCancel.status).toBe(403);
    expect((await myBookings(cookie)).map((b) => b.status)).toEqual(['held']);
    // Another customer's reference: as unknown.
    const other = await sessionCookieOverHttp(`rdv.autre.${Date.now()}@exemple.fr`);
    expect((await get(step, other)).status).toBe(404);
    // Released for the next tests.
    const list = await (await get('/compte/rendez-vous', cookie)).text();
    expect((await post('/compte/rendez-vous', { csrf: csrfOf(list), annuler: id }, cookie)).status).toBe(303);
  });

  it('keeps deposit slots for professional accounts, says so in French, and confirms the parcels announced', async () => {
    const cookie = await sessionCookieOverHttp(`rdv.pro.${Date.now()}@exemple.fr`);
    const slot = freeOf(await slotsFromApi(offers.deposit, cookie)).at(-1)!;
    const html = await (await get(page(`?offre=${offers.deposit}&jour=${slot.date}`), cookie)).text();
    expect(html).toMatch(/<label for="colis">Nombre de colis à déposer<\/label>/);
    const refused = await hold(offers.deposit, startOf(slot), cookie, { colis: '3' });
    expect(refused.response.status).toBe(403);
    expect(textOf(await refused.response.text())).toContain('réservés aux comptes professionnels');

    const pro = await fetch(`${baseUrl}/api/v1/account/pro`, {
      method: 'PUT', headers: { 'content-type': 'application/json', origin: baseUrl, cookie }, body: JSON.stringify({ siret: VALID_SIRET, company: 'Atelier Test SARL' }),
    });
    expect([200, 201]).toContain(pro.status);
    const badCount = await hold(offers.deposit, startOf(slot), cookie, { colis: '0' });
    expect(badCount.response.status).toBe(400);
    const badHtml = await badCount.response.text();
    expect(textOf(badHtml)).toContain('Nombre de colis : un nombre entier de 1 à 500.');
    expect(badHtml).toMatch(/<input id="colis"[^>]*aria-invalid="true"/);

    const taken = await hold(offers.deposit, startOf(slot), cookie, { colis: '3' });
    expect(taken.response.status).toBe(303);
    const step = textOf(await (await get(taken.response.headers.get('location')!, cookie)).text());
    expect(step).toContain('Confirmez votre dépôt de colis');
    expect(step).toContain('3 colis prépayés');
    expect((await myBookings(cookie)).map((b) => b.parcels)).toEqual([3]);
  });

  it('keeps the booking page with a day of slots script-free and within 14 KB', async () => {
    const cookie = await sessionCookieOverHttp(`rdv.poids.${Date.now()}@exemple.fr`);
    const free = freeOf(await slotsFromApi(offers.appointment, cookie));
    // The day with the most free slots: the heaviest page.
    const counts = new Map<string, number>();
    for (const s of free) counts.set(s.date, (counts.get(s.date) ?? 0) + 1);
    const busiest = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    for (const path of [page(), page(`?offre=${offers.appointment}&jour=${busiest}`), page(`?offre=${offers.deposit}`)]) {
      const signedIn = await weighed(path, { headers: { cookie } });
      expect(signedIn.status, path).toBe(200);
      expect(signedIn.headers.get('cache-control'), path).toBe('private, no-store');
      expect(executableScripts(signedIn.html), path).toEqual([]);
      expect(signedIn.weight, path).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
    }
  });
});

describe('accessibility', () => {
  it('passes axe-core WCAG 2.2 AA on the booking page, the confirmation step, the list and the home', { timeout: 120_000 }, async () => {
    // axe needs script; the pages forbid it by CSP, so this context alone bypasses CSP.
    const context = await browser.newContext({ bypassCSP: true });
    const tab = await signInWithCode(context, `rdv.axe.${Date.now()}@exemple.fr`);
    const audit = async (what: string) => expect(await axeViolations(tab), what).toEqual([]);
    await tab.goto(`${baseUrl}${page()}`);
    await audit('the offers');
    await tab.getByLabel(/Conseiller professionnel/).check();
    await tab.getByRole('button', { name: 'Voir les créneaux libres' }).click();
    await tab.waitForURL(/\?offre=/);
    await audit('the slots of a day');
    await tab.locator('button[name="debut"]').last().click();
    await tab.waitForURL(/\/rendez-vous\/confirmer\?reference=RDV-/);
    await audit('the confirmation step');
    await tab.getByRole('button', { name: 'Confirmer' }).click();
    await tab.waitForURL(/\/compte\/rendez-vous\?confirme=RDV-/);
    await audit('the list with a booking');
    await tab.goto(`${baseUrl}/`);
    await audit('the home with a booking');
    await tab.goto(`${baseUrl}/compte/rendez-vous`);
    await tab.getByRole('button', { name: /^Annuler RDV-/ }).click();
    await tab.waitForURL(/annule=RDV-/);
    await audit('the list with a cancelled booking');
    await context.close();
  });
});
