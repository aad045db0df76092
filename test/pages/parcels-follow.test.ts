/**
 * Following parcels on the site, against the built Worker, in Chromium with
 * JavaScript off and over plain HTTP: a demo parcel added to the account
 * from its page with the recipient's postcode (a wrong one refused in
 * French), seen on /compte/colis and on the home, then removed; email
 * alerts asked on a parcel page, confirmed with the button behind the
 * emailed link (opening the link confirms nothing), ended with the button
 * or in one click (RFC 8058: a POST of `List-Unsubscribe=One-Click` with
 * no cookie and no Origin, as mail clients send it). Every new page passes
 * axe-core WCAG 2.2 AA, ships no script and fits in 14 KB compressed.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signatureHeader } from '../../worker/parcels/signature';
import { outboxOf, sessionCookieOverHttp, signInWithCode } from './accounts';
import { axeViolations, launchChromium } from './chromium';
import { compressedWeight, executableScripts, PAGE_BUDGET_BYTES } from './gates';
import { parcels } from './fixtures';

const baseUrl = inject('baseUrl');
const carrier = inject('carrier');
const HOUR = 3_600_000;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

/** A demo parcel waiting in a locker (its deadline is ahead), and a postcode that is not its recipient's. */
const demo = parcels.waiting_locker;
const wrongPostcode = demo.postcode === '75001' ? '75002' : '75001';

/** A valid S10 number nobody uses (check digit by the UPU weights, written out here). */
function freshNumber(prefix = 'PF'): string {
  const serial = String(Math.floor(Math.random() * 100_000_000)).padStart(8, '0');
  const sum = [...serial].reduce((t, d, i) => t + Number(d) * [8, 6, 4, 2, 3, 5, 9, 7][i]!, 0);
  const check = 11 - (sum % 11);
  return `${prefix}${serial}${check === 10 ? 0 : check === 11 ? 5 : check}FR`;
}

/** Posts events as the demo carrier does, through the real signed endpoint. */
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

/** A parcel on its way (taken in charge, then sorted), sent here. */
async function movingParcel(): Promise<string> {
  const number = freshNumber();
  await send([
    { event_id: `pf-${number}-1`, tracking_number: number, code: 'PC1', occurred_at: new Date(Date.now() - 20 * HOUR).toISOString(), product: 'colissimo', recipient_postcode: '69003' },
    { event_id: `pf-${number}-2`, tracking_number: number, code: 'ET1', occurred_at: new Date(Date.now() - 5 * HOUR).toISOString() },
  ]);
  return number;
}

/** A page with its stylesheets, fetched as a browser would (cookie and Origin when given), weighed compressed. */
async function weighed(path: string, init: RequestInit = {}) {
  const response = await fetch(`${baseUrl}${path}`, { redirect: 'manual', ...init });
  const html = await response.text();
  const hrefs = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*>/g)].map((m) => /href="([^"]+)"/.exec(m[0])![1]!);
  const stylesheets = await Promise.all(hrefs.map(async (href) => (await fetch(new URL(href, baseUrl))).text()));
  return { status: response.status, headers: response.headers, html, weight: compressedWeight({ status: response.status, html, headers: response.headers, stylesheets }) };
}

const form = (body: Record<string, string>, headers: Record<string, string> = {}): RequestInit =>
  ({ method: 'POST', body: new URLSearchParams(body), headers: { origin: baseUrl, ...headers }, redirect: 'manual' });

const decode = (html: string) => html.replace(/&#39;/g, '’').replace(/&amp;/g, '&').replace(/&quot;/g, '"');
/** The main content's text, tags removed. */
const textOf = (html: string) => decode(/<main[^>]*>([\s\S]*)<\/main>/.exec(html)![1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;

type Message = { subject: string; text: string; headers?: Record<string, string> };
/** The newest message to `email` whose subject matches, polled (the local queue delivers within a couple of seconds). */
async function messageTo(email: string, subject: RegExp): Promise<Message> {
  let found: Message | undefined;
  await expect.poll(() => (found = (outboxOf(email) as Message[]).find((m) => subject.test(m.subject))), { timeout: 20_000, interval: 300 }).toBeDefined();
  return found!;
}

/** The confirmation link of the email an alert request sent. */
async function confirmationLink(email: string, number: string): Promise<string> {
  const message = await messageTo(email, new RegExp(`^Confirmez les alertes sur le colis ${number}$`));
  const link = new RegExp(`${baseUrl.replace(/[.:/]/g, '\\$&')}/suivi/alertes/confirmation\\?jeton=[\\w-]+`).exec(message.text)?.[0];
  expect(link, message.text).toBeDefined();
  return link!;
}

/** Paris wall-clock minutes now: alerts keep quiet from 21:00 to 08:00 there (worker/messages/model.ts DEFAULT_QUIET_HOURS). */
function parisMinutesNow(): number {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' })
    .formatToParts(new Date()).map((p) => [p.type, p.value]));
  return Number(parts.hour) * 60 + Number(parts.minute);
}

describe('following a parcel in the account, in Chromium without JavaScript', () => {
  it('adds a demo parcel from its page with the recipient’s postcode, shows it on /compte/colis and on the home, then removes it', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const tab = await signInWithCode(context, `suivi.colis.${Date.now()}@exemple.fr`);

    await tab.goto(`${baseUrl}/suivi/${demo.trackingNumber}`);
    await tab.getByRole('link', { name: 'Suivre ce colis dans mon compte' }).click();
    await tab.waitForURL(`${baseUrl}/compte/colis?numero=${demo.trackingNumber}#ajouter`);
    expect(await tab.getByLabel('Numéro de suivi').inputValue()).toBe(demo.trackingNumber);
    expect(await tab.locator('main').innerText()).toContain('Aucun colis suivi pour l’instant.');

    // A postcode that is not the recipient's: refused in place, in French, with a 400.
    await tab.getByLabel('Code postal du destinataire').fill(wrongPostcode);
    const [refused] = await Promise.all([
      tab.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/compte/colis'),
      tab.getByRole('button', { name: 'Suivre ce colis' }).click(),
    ]);
    expect(refused.status()).toBe(400);
    expect(await tab.getByRole('alert').innerText()).toContain('Aucun colis ne correspond à ce numéro et à ce code postal de destinataire');
    expect(await tab.getByLabel('Numéro de suivi').inputValue()).toBe(demo.trackingNumber);

    await tab.getByLabel('Code postal du destinataire').fill(demo.postcode);
    await tab.getByRole('button', { name: 'Suivre ce colis' }).click();
    await tab.waitForURL(`${baseUrl}/compte/colis?fait=ajout#mes-colis`);
    expect(await tab.getByRole('status').innerText()).toContain('Colis ajouté');
    const item = tab.locator('main ul.list > li').filter({ has: tab.getByRole('link', { name: demo.trackingNumber, exact: true }) });
    const line = await item.innerText();
    expect(line).toContain('Disponible au point de retrait');
    expect(line).toContain('à retirer avant le');
    expect(await item.getByRole('link', { name: demo.trackingNumber, exact: true }).getAttribute('href')).toBe(`/suivi/${demo.trackingNumber}`);
    // The locker it waits in, linked to its page.
    expect(await item.locator(`a[href$="-${demo.destinationLocationId.toLowerCase()}"]`).count()).toBe(1);

    // On the home, under "Mes colis", with the same deadline.
    await tab.goto(`${baseUrl}/`);
    expect(await tab.getByRole('heading', { name: 'Mes colis', level: 2 }).count()).toBe(1);
    const onHome = tab.locator('main li').filter({ has: tab.getByRole('link', { name: demo.trackingNumber, exact: true }) });
    expect(await onHome.innerText()).toMatch(/Disponible au point de retrait : .+ · à retirer avant le /);
    await tab.getByRole('link', { name: 'Gérer mes colis' }).click();
    await tab.waitForURL(`${baseUrl}/compte/colis`);

    await tab.getByRole('button', { name: `Ne plus suivre le colis ${demo.trackingNumber}` }).click();
    await tab.waitForURL(`${baseUrl}/compte/colis?fait=retrait#mes-colis`);
    expect(await tab.getByRole('status').innerText()).toContain('Colis retiré de votre suivi.');
    expect(await tab.locator('main').innerText()).toContain('Aucun colis suivi pour l’instant.');
    await tab.goto(`${baseUrl}/`);
    expect(await tab.getByRole('heading', { name: 'Mes colis' }).count()).toBe(0);
    await context.close();
  });
});

describe('/compte/colis over HTTP', () => {
  it('sends a signed-out visitor to sign in, and back to the form with the number', async () => {
    const response = await fetch(`${baseUrl}/compte/colis?numero=${demo.trackingNumber}`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/connexion?suite=${encodeURIComponent(`/compte/colis?numero=${demo.trackingNumber}`)}`);
  });

  it('refuses a form without the session’s CSRF token, says what is wrong with a field, and stops wrong postcodes after 10 an hour', async () => {
    const cookie = await sessionCookieOverHttp(`colis.http.${Date.now()}@exemple.fr`);
    const page = await fetch(`${baseUrl}/compte/colis`, { headers: { cookie } });
    expect(page.headers.get('cache-control')).toBe('private, no-store');
    const csrf = csrfOf(await page.text());
    const post = (body: Record<string, string>) => fetch(`${baseUrl}/compte/colis`, form(body, { cookie }));

    const forged = await post({ csrf: 'csrf_forged', numero: demo.trackingNumber, code_postal: demo.postcode });
    expect(forged.status).toBe(403);
    expect(textOf(await forged.text())).toContain('Formulaire expiré');

    const short = await post({ csrf, numero: 'RB123', code_postal: demo.postcode });
    expect(short.status).toBe(400);
    const shortHtml = await short.text();
    expect(shortHtml).toMatch(/<input id="numero"[^>]*aria-invalid="true"[^>]*aria-describedby="erreur-numero aide-numero"/);
    expect(textOf(shortHtml)).toContain('Numéro de suivi de 5 caractères : 13 attendus');

    const postcode = await post({ csrf, numero: demo.trackingNumber, code_postal: '7500' });
    expect(postcode.status).toBe(400);
    const postcodeHtml = await postcode.text();
    expect(postcodeHtml).toMatch(/<input id="code_postal"[^>]*aria-invalid="true"/);
    expect(textOf(postcodeHtml)).toContain('Code postal du destinataire : 5 chiffres.');

    // Ten wrong guesses an hour; the eleventh is not even tried, the right postcode included.
    for (let i = 0; i < 10; i++) expect((await post({ csrf, numero: demo.trackingNumber, code_postal: wrongPostcode })).status).toBe(400);
    const limited = await post({ csrf, numero: demo.trackingNumber, code_postal: demo.postcode });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3600');
    expect(textOf(await limited.text())).toContain('Trop de codes postaux erronés (10 par heure) : réessayez dans une heure.');
  });
});

describe('email alerts on a parcel', () => {
  it('asks on the parcel page, confirms with the button behind the emailed link, and ends with the button or in one click', async (ctx) => {
    const number = await movingParcel();
    const email = `alerte.${Date.now()}@exemple.fr`;
    const context = await browser.newContext({ javaScriptEnabled: false });
    const tab = await context.newPage();

    await tab.goto(`${baseUrl}/suivi/${number}`);
    await tab.getByLabel('Recevoir les nouvelles par courriel').fill(email);
    await tab.getByRole('button', { name: 'Recevoir les nouvelles' }).click();
    await tab.waitForURL(`${baseUrl}/suivi/alertes`);
    expect(await tab.getByRole('status').innerText()).toBe('Vérifiez votre messagerie : un lien de confirmation vous a été envoyé.');

    // Asking again within the hour answers the same, and sends nothing more.
    const again = await fetch(`${baseUrl}/suivi/alertes`, form({ numero: number, email }));
    expect(again.status).toBe(200);
    expect(textOf(await again.text())).toContain('Vérifiez votre messagerie : un lien de confirmation vous a été envoyé.');

    const link = await confirmationLink(email, number);
    await tab.goto(link);
    expect(await tab.getByRole('heading', { level: 1 }).innerText()).toBe('Confirmer les nouvelles par courriel');
    await tab.getByRole('button', { name: 'Confirmer' }).click();
    expect(await tab.getByRole('status').innerText()).toContain(`Vous recevrez les nouvelles du colis ${number}`);
    expect(await tab.getByRole('link', { name: `Voir le colis ${number}` }).getAttribute('href')).toBe(`/suivi/${number}`);
    expect(outboxOf(email).filter((m) => m.subject.startsWith('Confirmez'))).toHaveLength(1);

    // A second address, asked and confirmed over HTTP: one news message reaches both, each with its own unsubscribe link.
    const other = `alerte.autre.${Date.now()}@exemple.fr`;
    expect((await fetch(`${baseUrl}/suivi/alertes`, form({ numero: number, email: other }))).status).toBe(200);
    const otherToken = new URL(await confirmationLink(other, number)).searchParams.get('jeton')!;
    const confirmed = await fetch(`${baseUrl}/suivi/alertes/confirmation`, form({ jeton: otherToken }));
    expect(confirmed.status).toBe(200);
    expect(textOf(await confirmed.text())).toContain(`Vous recevrez les nouvelles du colis ${number}`);

    // News is held during the quiet hours (21:00–08:00 in Paris): the unsubscribe links come with the first news after them.
    const minutes = parisMinutesNow();
    if (minutes >= 20 * 60 + 55 || minutes < 8 * 60) {
      await context.close();
      ctx.skip();
    }
    await send([{ event_id: `pf-${number}-3`, tracking_number: number, code: 'MD2', occurred_at: new Date(Date.now() - 60_000).toISOString() }]);
    const unsubscribeUrl = async (to: string) => {
      const news = await messageTo(to, new RegExp(`^Votre colis ${number} est en cours de livraison$`));
      expect(news.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
      const url = /^<(.+)>$/.exec(news.headers?.['List-Unsubscribe'] ?? '')?.[1];
      expect(url, JSON.stringify(news.headers)).toMatch(new RegExp(`^${baseUrl.replace(/[.:/]/g, '\\$&')}/suivi/alertes/desabonnement\\?jeton=`));
      return url!;
    };

    // The first address: opening the link ends nothing (link scanners open links); its button does.
    const first = await unsubscribeUrl(email);
    await tab.goto(first);
    await tab.getByRole('button', { name: 'Ne plus recevoir ces alertes' }).click();
    expect(await tab.getByRole('heading', { level: 1 }).innerText()).toBe('C’est fait');
    expect(await tab.getByRole('status').innerText()).toBe(`Vous ne recevrez plus les nouvelles du colis ${number} à cette adresse.`);

    // The second address: a mail client's one-click POST, with no cookie and no Origin, ends it; its button then finds nothing to end.
    const second = await unsubscribeUrl(other);
    const oneClick = await fetch(second, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click', redirect: 'manual' });
    expect(oneClick.status).toBe(200);
    const repeated = await fetch(second, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click', redirect: 'manual' });
    expect(repeated.status).toBe(200);
    await tab.goto(second);
    await tab.getByRole('button', { name: 'Ne plus recevoir ces alertes' }).click();
    expect(await tab.getByRole('status').innerText()).toContain('Aucune alerte en cours ne correspond à ce lien');
    await context.close();
  });

  it('answers malformed input with the form and what is wrong, an unknown or expired link gently', async () => {
    const number = await movingParcel();
    const badEmail = await fetch(`${baseUrl}/suivi/alertes`, form({ numero: number, email: 'pas-une-adresse' }));
    expect(badEmail.status).toBe(400);
    expect(badEmail.headers.get('cache-control')).toBe('no-store');
    const badEmailHtml = await badEmail.text();
    expect(badEmailHtml).toMatch(/<input id="email"[^>]*aria-invalid="true"[^>]*aria-describedby="erreur-email aide-email"/);
    expect(badEmailHtml).toContain(`value="${number}"`);
    expect(textOf(badEmailHtml)).toContain('Adresse électronique :');

    const badNumber = await fetch(`${baseUrl}/suivi/alertes`, form({ numero: 'RB123456784FR', email: 'quelqu.un@exemple.fr' }));
    expect(badNumber.status).toBe(400);
    expect(textOf(await badNumber.text())).toContain('Numéro de suivi : clé de contrôle erronée');

    const unknown = await fetch(`${baseUrl}/suivi/alertes`, form({ numero: freshNumber('ZZ'), email: 'quelqu.un@exemple.fr' }));
    expect(unknown.status).toBe(404);
    expect(textOf(await unknown.text())).toContain('Un colis apparaît ici après sa première prise en charge');

    const expired = await fetch(`${baseUrl}/suivi/alertes/confirmation`, form({ jeton: `alc_${'x'.repeat(40)}` }));
    expect(expired.status).toBe(404);
    expect(textOf(await expired.text())).toContain('Ce lien de confirmation est inconnu ou a expiré');
    const unknownEnd = await fetch(`${baseUrl}/suivi/alertes/desabonnement`, form({ jeton: 'alr_inconnu.0123' }));
    expect(unknownEnd.status).toBe(200);
    expect(textOf(await unknownEnd.text())).toContain('C’est fait Aucune alerte en cours ne correspond à ce lien');
  });
});

describe('the gates', () => {
  it('finds no axe-core WCAG 2.2 AA violation on the new pages, light and dark', async () => {
    const number = await movingParcel();
    const cookie = await sessionCookieOverHttp(`axe.colis.${Date.now()}@exemple.fr`);
    const [name, value] = [cookie.slice(0, cookie.indexOf('=')), cookie.slice(cookie.indexOf('=') + 1)];
    const csrf = csrfOf(await (await fetch(`${baseUrl}/compte/colis`, { headers: { cookie } })).text());
    expect((await fetch(`${baseUrl}/compte/colis`, form({ csrf, numero: demo.trackingNumber, code_postal: demo.postcode }, { cookie }))).status).toBe(303);

    for (const colorScheme of ['light', 'dark'] as const) {
      // axe needs script; the pages forbid it by CSP, so this context alone bypasses CSP.
      const context = await browser.newContext({ bypassCSP: true, colorScheme });
      await context.addCookies([{ name, value, domain: new URL(baseUrl).hostname, path: '/', secure: true, httpOnly: true, sameSite: 'Lax' }]);
      const tab = await context.newPage();
      const audit = async (what: string) => expect(await axeViolations(tab), `${what} (${colorScheme})`).toEqual([]);

      for (const path of [`/compte/colis?numero=${number}`, '/', `/suivi/${number}`, `/suivi/alertes?numero=${number}`,
        `/suivi/alertes/confirmation?jeton=alc_${'x'.repeat(40)}`, '/suivi/alertes/confirmation', `/suivi/alertes/desabonnement?jeton=alr_inconnu.0123`]) {
        await tab.goto(`${baseUrl}${path}`);
        await audit(path);
      }
      // The states after a post: errors in place, and the answers.
      await tab.goto(`${baseUrl}/compte/colis?numero=${number}`);
      await tab.getByLabel('Code postal du destinataire').fill('123');
      await tab.getByRole('button', { name: 'Suivre ce colis' }).click();
      await tab.getByRole('alert').waitFor();
      await audit('/compte/colis with an error');
      await tab.goto(`${baseUrl}/suivi/alertes?numero=${number}`);
      await tab.getByLabel('Adresse électronique').fill('pas-une-adresse');
      await tab.getByRole('button', { name: 'Recevoir les nouvelles' }).click();
      await tab.getByRole('alert').waitFor();
      await audit('/suivi/alertes with an error');
      await tab.getByLabel('Adresse électronique').fill(`axe.alerte.${colorScheme}.${Date.now()}@exemple.fr`);
      await tab.getByRole('button', { name: 'Recevoir les nouvelles' }).click();
      await tab.getByRole('status').waitFor();
      await audit('/suivi/alertes, asked');
      await tab.goto(`${baseUrl}/suivi/alertes/confirmation?jeton=alc_${'x'.repeat(40)}`);
      await tab.getByRole('button', { name: 'Confirmer' }).click();
      await tab.getByRole('alert').waitFor();
      await audit('/suivi/alertes/confirmation, unknown');
      await tab.goto(`${baseUrl}/suivi/alertes/desabonnement?jeton=alr_inconnu.0123`);
      await tab.getByRole('button', { name: 'Ne plus recevoir ces alertes' }).click();
      await tab.getByRole('status').waitFor();
      await audit('/suivi/alertes/desabonnement, done');
      await context.close();
    }
  });

  it('fits every new page in 14 KB compressed, with no script', async () => {
    const number = await movingParcel();
    const cookie = await sessionCookieOverHttp(`poids.colis.${Date.now()}@exemple.fr`);
    const csrf = csrfOf(await (await fetch(`${baseUrl}/compte/colis`, { headers: { cookie } })).text());
    expect((await fetch(`${baseUrl}/compte/colis`, form({ csrf, numero: demo.trackingNumber, code_postal: demo.postcode }, { cookie }))).status).toBe(303);

    const pages = {
      'the account’s parcels': await weighed('/compte/colis', { headers: { cookie } }),
      'the home with its parcels': await weighed('/', { headers: { cookie } }),
      'a parcel page with its forms': await weighed(`/suivi/${number}`),
      'the alert form': await weighed(`/suivi/alertes?numero=${number}`),
      'the alert asked': await weighed('/suivi/alertes', form({ numero: number, email: `poids.${Date.now()}@exemple.fr` })),
      'the confirmation': await weighed(`/suivi/alertes/confirmation?jeton=alc_${'x'.repeat(40)}`),
      'the unsubscribe': await weighed('/suivi/alertes/desabonnement?jeton=alr_inconnu.0123'),
    };
    expect(textOf(pages['the home with its parcels'].html)).toContain(demo.trackingNumber);
    for (const [what, page] of Object.entries(pages)) {
      expect(page.status, what).toBe(200);
      expect(executableScripts(page.html), what).toEqual([]);
      expect(page.weight, `${what} weighs ${page.weight} B compressed`).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
      expect(page.html, what).toContain('<meta name="robots" content="noindex">');
    }
    // Links with tokens and personal pages are kept by no cache.
    expect(pages['the confirmation'].headers.get('cache-control')).toBe('no-store');
    expect(pages['the unsubscribe'].headers.get('cache-control')).toBe('no-store');
    expect(pages['the account’s parcels'].headers.get('cache-control')).toBe('private, no-store');
  });
});
