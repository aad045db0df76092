/**
 * Parcel tracking pages against the built Worker: `/suivi` (a GET form
 * that works without JavaScript) and `/suivi/{numero}` for the demo
 * parcels server.ts seeds and for one sent here through the signed
 * carrier endpoint, waiting at the fixture office in La Réunion. Gates:
 * no script, 14 KB compressed, never indexed, revalidated on each visit,
 * axe-core WCAG 2.2 AA; 404 and 400 pages that say why. Local times and
 * the deadline are checked against Intl and the hours API (other doors
 * than the page's own code).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signatureHeader } from '../../worker/parcels/signature';
import { axeViolations, launchChromium } from './chromium';
import { compressedWeight, executableScripts, fetchPage, PAGE_BUDGET_BYTES } from './gates';
import { demoParcelSet, office, parcels } from './fixtures';

const baseUrl = inject('baseUrl');
const carrier = inject('carrier');
const HOUR = 3_600_000;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

/** A valid S10 number nobody uses (check digit by the UPU weights, written out here). */
function freshNumber(prefix = 'PT'): string {
  const serial = String(Math.floor(Math.random() * 100_000_000)).padStart(8, '0');
  const sum = [...serial].reduce((t, d, i) => t + Number(d) * [8, 6, 4, 2, 3, 5, 9, 7][i]!, 0);
  const check = 11 - (sum % 11);
  return `${prefix}${serial}${check === 10 ? 0 : check === 11 ? 5 : check}FR`;
}

/** Posts events for a parcel as the demo carrier does, through the real signed endpoint. */
async function send(events: object[]) {
  const body = JSON.stringify({ events });
  const response = await fetch(`${baseUrl}/api/v1/parcels/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'guichet-signature': await signatureHeader(carrier.id, carrier.secret, body) },
    body,
  });
  expect(response.status).toBe(200);
  expect(((await response.json()) as { rejected: number }).rejected).toBe(0);
}

/** "mardi 24 novembre, 15 h 05" as French writes an instant in `timeZone` (Intl, not the product's formatter). */
function frenchWhen(ms: number, timeZone: string): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('fr-FR', { timeZone, weekday: 'long', day: 'numeric', month: 'long', hour: 'numeric', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(ms).map((p) => [p.type, p.value]));
  return `${parts.weekday} ${parts.day === '1' ? '1er' : parts.day} ${parts.month}, ${Number(parts.hour)} h ${parts.minute}`;
}

const decode = (html: string) => html.replace(/&#39;/g, '’').replace(/&amp;/g, '&');
/** The main content's text, tags removed. */
const textOf = (html: string) => decode(/<main[^>]*>([\s\S]*)<\/main>/.exec(html)![1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));

/** A parcel waiting at the fixture office (Saint-Denis, La Réunion), sent here: its instants are known to the minute. */
const waiting = { number: freshNumber(), arrivedAt: Math.floor((Date.now() - 2 * HOUR) / 60_000) * 60_000 };
beforeAll(async () => {
  const n = waiting.number;
  await send([
    { event_id: `pt-${n}-1`, tracking_number: n, code: 'PC1', occurred_at: new Date(waiting.arrivedAt - 40 * HOUR).toISOString(), product: 'colissimo', recipient_postcode: '97400' },
    { event_id: `pt-${n}-2`, tracking_number: n, code: 'EP1', occurred_at: new Date(waiting.arrivedAt - 5 * HOUR).toISOString(), location_id: office.id },
    { event_id: `pt-${n}-3`, tracking_number: n, code: 'AG1', occurred_at: new Date(waiting.arrivedAt).toISOString(), location_id: office.id, shelf: 'C07' },
  ]);
});

describe('a parcel waiting at an office', () => {
  it('names the place with a link to its page, the deadline at one of its closing times, and every event at its local time', async () => {
    const page = await fetchPage(baseUrl, `/suivi/${waiting.number}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain(`<title>Suivi du colis ${waiting.number} – Guichet</title>`);
    expect(page.html).toContain('<meta name="robots" content="noindex">');
    expect(page.headers.get('cache-control')).toBe('public, no-cache');
    expect(page.headers.get('etag')).toBeTruthy();
    expect(page.html).toContain(`href="${office.path}"`);
    const text = textOf(page.html);
    expect(text).toContain('Disponible au point de retrait');
    expect(text).toContain(office.name);

    // The deadline: a closing of the office, as its own hours API says, within 15 days of the arrival.
    const deadline = /<time datetime="([^"]+)"[^>]*>À retirer avant le ([^<]+)<\/time>/.exec(page.html);
    expect(deadline, 'the deadline sentence').not.toBeNull();
    const at = Date.parse(deadline![1]!);
    const statusAt = async (ms: number) =>
      ((await (await fetch(`${baseUrl}/api/v1/locations/${office.id}/status?at=${encodeURIComponent(new Date(ms).toISOString())}`)).json()) as { open: boolean }).open;
    expect(await statusAt(at - 60_000), 'open a minute before the deadline').toBe(true);
    expect(await statusAt(at), 'closed at the deadline').toBe(false);
    expect(at).toBeGreaterThan(waiting.arrivedAt);
    expect(at).toBeLessThan(waiting.arrivedAt + 16 * 24 * HOUR);
    // Said in the office's own zone: La Réunion is UTC+4 all year.
    expect(decode(deadline![2]!)).toBe(frenchWhen(at, 'Indian/Reunion').replace(/, (\d+) h (\d+)$/, ' à $1 h $2'));

    // Every event, newest first, at the local time of its place (La Réunion for the office's two; Paris when none is named).
    const times = [...page.html.matchAll(/<td[^>]*><time datetime="([^"]+)"[^>]*>([^<]+)<\/time><\/td>/g)].map((m) => [m[1], m[2]]);
    expect(times).toEqual([
      [new Date(waiting.arrivedAt).toISOString(), frenchWhen(waiting.arrivedAt, 'Indian/Reunion')],
      [new Date(waiting.arrivedAt - 5 * HOUR).toISOString(), frenchWhen(waiting.arrivedAt - 5 * HOUR, 'Indian/Reunion')],
      [new Date(waiting.arrivedAt - 40 * HOUR).toISOString(), frenchWhen(waiting.arrivedAt - 40 * HOUR, 'Europe/Paris')],
    ]);
    // The current step, once, in the ordered list of the five.
    const steps = /<ol class="steps"[^>]*>([\s\S]*?)<\/ol>/.exec(page.html)![1]!;
    expect(steps.match(/<li\b/g)).toHaveLength(5);
    expect([...steps.matchAll(/<li[^>]*aria-current="step"[^>]*>([^<]+)/g)].map((m) => m[1]!.trim())).toEqual(['Disponible au point de retrait']);
    // Nothing personal: not the recipient's postcode, not the shelf slot.
    expect(text).not.toMatch(/97400|C07/);
  });

  it('fits in 14 KB compressed, with no script', async () => {
    const page = await fetchPage(baseUrl, `/suivi/${waiting.number}`);
    expect(executableScripts(page.html)).toEqual([]);
    const weight = compressedWeight(page);
    expect(weight, `weighs ${weight} B compressed`).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
  });
});

describe('the demo parcels', () => {
  it.each(Object.entries(parcels))('%s: its page answers within budget, no script, never indexed', async (_stage, parcel) => {
    const page = await fetchPage(baseUrl, `/suivi/${parcel.trackingNumber}`);
    expect(page.status).toBe(200);
    expect(page.html).toMatch(new RegExp(`<h1[^>]*>Colis ${parcel.trackingNumber}</h1>`));
    expect(page.html).toContain('<meta name="robots" content="noindex">');
    expect(executableScripts(page.html)).toEqual([]);
    const weight = compressedWeight(page);
    expect(weight, `weighs ${weight} B compressed`).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
    // One row per event the carrier sent.
    expect(page.html.match(/<td[^>]*><time datetime=/g)).toHaveLength(parcel.events.length);
  });

  it('shows a waiting parcel’s place and deadline, and no estimate; a moving one a range of dates and no place', async () => {
    for (const stage of ['waiting_relay', 'waiting_locker', 'deadline_soon'] as const) {
      const parcel = parcels[stage];
      const { html } = await fetchPage(baseUrl, `/suivi/${parcel.trackingNumber}`);
      expect(html, stage).toMatch(new RegExp(`href="/bureaux/[a-z0-9-]+-${parcel.destinationLocationId.toLowerCase()}"`));
      expect(textOf(html), stage).toContain('À retirer avant le');
      expect(html, stage).not.toContain('Livraison estimée');
    }
    const moving = textOf((await fetchPage(baseUrl, `/suivi/${parcels.in_transit.trackingNumber}`)).html);
    expect(moving).toMatch(/Livraison estimée Entre le \S+ \d+(er)?( \S+)? et le \S+ \d+(er)? \S+/);
    expect(moving).not.toContain('Où le retirer');
    const delivered = textOf((await fetchPage(baseUrl, `/suivi/${parcels.delivered.trackingNumber}`)).html);
    expect(delivered).not.toMatch(/Livraison estimée|Où le retirer/);
  });

  it('never shows a recipient’s postcode', async () => {
    for (const parcel of demoParcelSet.slice(0, 16)) {
      const { html } = await fetchPage(baseUrl, `/suivi/${parcel.trackingNumber}`);
      expect(textOf(html), parcel.stage).not.toContain(parcel.postcode);
    }
  });
});

describe('numbers that lead nowhere', () => {
  it('explains, with a 404, that a parcel appears after its first scan', async () => {
    const number = freshNumber('ZZ');
    const page = await fetchPage(baseUrl, `/suivi/${number}`);
    expect(page.status).toBe(404);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.html).toContain('<meta name="robots" content="noindex">');
    expect(textOf(page.html)).toContain('Un colis apparaît ici après sa première prise en charge par le transporteur : si vous venez de le déposer, réessayez dans quelques heures.');
    expect(compressedWeight(page)).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
  });

  it('says what is wrong with a malformed number, with a 400', async () => {
    // 12345678 weighs 8+12+12+8+15+30+63+56 = 204; 204 mod 11 = 6; 11 − 6 = 5: the key is 5.
    const page = await fetchPage(baseUrl, '/suivi/RB123456784FR');
    expect(page.status).toBe(400);
    expect(page.html).toMatch(/<p class="notice" id="numero-erreur" role="alert"[^>]*>Clé de contrôle erronée : le 11e caractère devrait être 5 \(vérifiez la saisie\)\.<\/p>/);
    expect(page.html).toMatch(/<input id="numero"[^>]*aria-invalid="true"[^>]*aria-describedby="numero-erreur numero-aide"/);
  });

  it('sends a number typed loosely to its one address', async () => {
    const typed = await fetch(`${baseUrl}/suivi?numero=${encodeURIComponent(' rb 1234-5678 5fr ')}`, { redirect: 'manual' });
    expect(typed.status).toBe(303);
    expect(typed.headers.get('location')).toBe('/suivi/RB123456785FR');
    const lower = await fetch(`${baseUrl}/suivi/${waiting.number.toLowerCase()}`, { redirect: 'manual' });
    expect(lower.status).toBe(301);
    expect(new URL(lower.headers.get('location')!, baseUrl).pathname).toBe(`/suivi/${waiting.number}`);
  });
});

describe('in Chromium', () => {
  it('tracks a parcel without JavaScript: a wrong number is refused in place, a good one leads to its page and its place', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const tab = await context.newPage();
    await tab.goto(`${baseUrl}/`);
    await tab.getByRole('link', { name: 'Suivre un colis' }).click();
    await tab.waitForURL(`${baseUrl}/suivi`);
    const field = tab.getByLabel('Numéro de suivi');
    await field.fill('RB12345678');
    await tab.getByRole('button', { name: 'Suivre ce colis' }).click();
    await tab.waitForURL(/\/suivi\?numero=RB12345678$/);
    expect(await tab.getByRole('alert').innerText()).toBe('Numéro de suivi de 10 caractères : 13 attendus (par exemple RB123456785FR ou 6A12345678901).');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await field.inputValue()).toBe('RB12345678');

    const spaced = `${waiting.number.slice(0, 2).toLowerCase()} ${waiting.number.slice(2, 6)} ${waiting.number.slice(6, 10)} ${waiting.number.slice(10)}`;
    await field.fill(spaced);
    await tab.getByRole('button', { name: 'Suivre ce colis' }).click();
    await tab.waitForURL(`${baseUrl}/suivi/${waiting.number}`);
    expect(await tab.getByRole('heading', { level: 1 }).innerText()).toBe(`Colis ${waiting.number}`);
    expect(await tab.locator('[aria-current="step"]').innerText()).toBe('Disponible au point de retrait');
    await tab.getByRole('link', { name: office.name }).first().click();
    await tab.waitForURL(`${baseUrl}${office.path}`);
    expect(await tab.getByRole('heading', { level: 1 }).innerText()).toBe(office.name);
    await context.close();
  });

  it('has no axe-core WCAG 2.2 AA violation, light and dark', async () => {
    const paths = [
      '/suivi', '/suivi?numero=RB1', `/suivi/${waiting.number}`, `/suivi/${freshNumber('ZZ')}`,
      ...(['announced', 'in_transit', 'notice_left', 'waiting_locker', 'delivered', 'problem', 'returned'] as const).map((s) => `/suivi/${parcels[s].trackingNumber}`),
    ];
    for (const colorScheme of ['light', 'dark'] as const) {
      // axe needs script; the pages forbid it by CSP, so this context alone bypasses CSP.
      const context = await browser.newContext({ bypassCSP: true, colorScheme });
      const tab = await context.newPage();
      for (const path of paths) {
        await tab.goto(`${baseUrl}${path}`);
        expect(await axeViolations(tab), `${path} (${colorScheme})`).toEqual([]);
      }
      await context.close();
    }
  });
});

describe('where people find it', () => {
  it('is one click from the home and listed among the services', async () => {
    const home = await (await fetch(`${baseUrl}/?essai=suivi-${Date.now()}`)).text();
    expect(home).toContain('<a href="/suivi">Suivre un colis</a>');
    const services = await (await fetch(`${baseUrl}/services`)).text();
    expect(services).toContain('<a href="/suivi">Suivre un colis</a>');
  });
});
