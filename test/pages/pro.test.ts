/**
 * The no-JS page to become (or stop being) a professional account,
 * `/compte/professionnel`, against the built Worker over plain HTTP (and in
 * Chromium for axe). What is stored is read back through the other door,
 * the account API (`GET /api/v1/account/pro`). Valid SIRETs are computed
 * here with this file's own Luhn key (and La Poste's digit-sum rule), not
 * with worker/pro/siret.ts.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sessionCookieOverHttp, signInWithCode } from './accounts';
import { axeViolations, launchChromium } from './chromium';
import { compressedWeight, executableScripts, PAGE_BUDGET_BYTES } from './gates';

const baseUrl = inject('baseUrl');
const PAGE = '/compte/professionnel';

// ---------------------------------------------------------------------------
// SIRETs, by the book (INSEE): Luhn over the 9 SIREN digits and over all 14;
// La Poste (SIREN 356 000 000): the 14 digits add up to a multiple of 5.

const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');
/** Luhn sum of a digit string: from the right, every second digit doubled (minus 9 above 9). */
function luhnSum(number: string): number {
  return [...number].reverse().reduce((sum, c, i) => {
    const d = Number(c) * (i % 2 === 1 ? 2 : 1);
    return sum + (d > 9 ? d - 9 : d);
  }, 0);
}
/** The digit that, appended to `head`, makes its Luhn sum a multiple of 10. */
const luhnDigit = (head: string) => String((10 - (luhnSum(`${head}0`) % 10)) % 10);
const digitSum = (number: string) => [...number].reduce((sum, c) => sum + Number(c), 0);

/** A random well-formed SIRET of an ordinary company (not La Poste, not zeros). */
function ordinarySiret(): string {
  for (;;) {
    const sirenHead = `${1 + Math.floor(Math.random() * 9)}${digits(7)}`;
    const siren = sirenHead + luhnDigit(sirenHead);
    if (siren === '356000000') continue;
    const head = siren + digits(4);
    return head + luhnDigit(head);
  }
}
/** A random La Poste establishment's SIRET that only the digit-sum rule accepts (its Luhn key does not hold). */
function laPosteSiret(): string {
  for (;;) {
    const head = `356000000${digits(4)}`;
    // Its head office (…00048) keeps a Luhn key: a neighbour of it would be accepted by name, not by the rule.
    if (head === '3560000000004') continue;
    const last = [...'0123456789'].find((d) => digitSum(head + d) % 5 === 0)!;
    const siret = head + last;
    if (luhnSum(siret) % 10 !== 0) return siret;
  }
}
const grouped = (siret: string) => `${siret.slice(0, 3)} ${siret.slice(3, 6)} ${siret.slice(6, 9)} ${siret.slice(9)}`;
/** The same SIRET with its key digit changed: the Luhn sum moves by 1 to 9, never a multiple of 10. */
const badKey = (siret: string) => siret.slice(0, 13) + String((Number(siret[13]) + 1 + Math.floor(Math.random() * 9)) % 10);

// ---------------------------------------------------------------------------

const decode = (html: string) => html.replace(/&#39;/g, '’').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
const textOf = (html: string) => decode(/<main[^>]*>([\s\S]*)<\/main>/.exec(html)![1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;

async function weighed(path: string, cookie: string) {
  const response = await fetch(`${baseUrl}${path}`, { headers: { cookie }, redirect: 'manual' });
  const html = await response.text();
  const hrefs = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*>/g)].map((m) => /href="([^"]+)"/.exec(m[0])![1]!);
  const stylesheets = await Promise.all(hrefs.map(async (href) => (await fetch(new URL(href, baseUrl))).text()));
  return { status: response.status, headers: response.headers, html, weight: compressedWeight({ status: response.status, html, headers: response.headers, stylesheets }) };
}
const get = (path: string, cookie: string) => fetch(`${baseUrl}${path}`, { headers: { cookie }, redirect: 'manual' });
const post = (body: Record<string, string>, cookie: string) =>
  fetch(`${baseUrl}${PAGE}`, { method: 'POST', body: new URLSearchParams(body), headers: { origin: baseUrl, cookie }, redirect: 'manual' });
/** The profile as the account API answers it; undefined when the account is not professional (404). */
async function stored(cookie: string): Promise<{ siret: string; company: string } | undefined> {
  const response = await get('/api/v1/account/pro', cookie);
  if (response.status === 404) return undefined;
  expect(response.status).toBe(200);
  return response.json() as Promise<{ siret: string; company: string }>;
}
/** Opens the page and sends the declaration form with its token. */
async function declare(cookie: string, siret: string, raison: string) {
  const html = await (await get(PAGE, cookie)).text();
  return post({ csrf: csrfOf(html), action: 'enregistrer', siret, raison }, cookie);
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => browser?.close());

describe('the professional account page over HTTP', () => {
  it('sends a signed-out visitor to sign in and back', async () => {
    const response = await fetch(`${baseUrl}${PAGE}`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`/connexion?suite=${encodeURIComponent(PAGE)}`);
    const posted = await fetch(`${baseUrl}${PAGE}`, { method: 'POST', body: new URLSearchParams({ siret: ordinarySiret(), raison: 'X' }), headers: { origin: baseUrl }, redirect: 'manual' });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toMatch(/^\/connexion\?suite=/);
  });

  it('refuses a SIRET with a bad key next to the field, and stores nothing', async () => {
    const cookie = await sessionCookieOverHttp(`pro.cle.${Date.now()}@exemple.fr`);
    const refused = await declare(cookie, grouped(badKey(ordinarySiret())), 'Atelier Refusé');
    expect(refused.status).toBe(400);
    expect(refused.headers.get('cache-control')).toBe('private, no-store');
    const html = await refused.text();
    expect(textOf(html)).toContain('SIRET : clé de contrôle invalide.');
    expect(html).toMatch(/<p class="notice" id="erreur-siret" role="alert">/);
    expect(html).toMatch(/<input id="siret"[^>]*aria-invalid="true"/);
    expect(html).toMatch(/<input id="siret"[^>]*aria-describedby="erreur-siret siret-aide"/);
    // What was typed is kept, to correct it.
    expect(decode(html)).toMatch(/<input id="raison"[^>]*value="Atelier Refusé"/);
    expect(await stored(cookie)).toBeUndefined();

    // Too few digits, and an empty company name: each said at its own field.
    const short = await declare(cookie, '123 456 789', 'Atelier');
    expect(short.status).toBe(400);
    expect(textOf(await short.text())).toContain('SIRET : 14 chiffres attendus.');
    const nameless = await declare(cookie, ordinarySiret(), '   ');
    expect(nameless.status).toBe(400);
    const namelessHtml = await nameless.text();
    expect(textOf(namelessHtml)).toContain('Raison sociale obligatoire.');
    expect(namelessHtml).toMatch(/<input id="raison"[^>]*aria-invalid="true"/);
    expect(namelessHtml).not.toMatch(/<input id="siret"[^>]*aria-invalid/);
    expect(await stored(cookie)).toBeUndefined();
  });

  it('stores a valid SIRET (spaces allowed) and shows it, then La Poste’s own, then removes it', async () => {
    const cookie = await sessionCookieOverHttp(`pro.ok.${Date.now()}@exemple.fr`);
    expect(textOf(await (await get(PAGE, cookie)).text())).toContain('Votre compte n’est pas un compte professionnel.');
    const siret = ordinarySiret();
    const created = await declare(cookie, grouped(siret), '  Atelier   Dupont ');
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe(`${PAGE}?fait=enregistre`);
    expect(await stored(cookie)).toMatchObject({ siret, company: 'Atelier Dupont' });
    const shown = textOf(await (await get(`${PAGE}?fait=enregistre`, cookie)).text());
    expect(shown).toContain('Votre compte est maintenant professionnel.');
    expect(shown).toContain(`SIRET ${grouped(siret)}`);
    expect(shown).toContain('Raison sociale Atelier Dupont');
    const today = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' }).format(new Date());
    expect(shown).toContain(`Compte professionnel depuis le ${today}`);
    expect(shown).toContain('pas l’inscription de l’entreprise au répertoire Sirene');

    // La Poste's establishments: accepted by the digit-sum rule although their Luhn key does not hold.
    const laPoste = laPosteSiret();
    const changed = await declare(cookie, laPoste, 'La Poste');
    expect(changed.status).toBe(303);
    expect(changed.headers.get('location')).toBe(`${PAGE}?fait=modifie`);
    expect(await stored(cookie)).toMatchObject({ siret: laPoste, company: 'La Poste' });
    // A La Poste SIRET whose digit sum is not a multiple of 5: refused, the previous one kept.
    const offBy = laPoste.slice(0, 13) + String((Number(laPoste[13]) + 1) % 10);
    expect((await declare(cookie, offBy, 'La Poste')).status).toBe(400);
    expect(await stored(cookie)).toMatchObject({ siret: laPoste });

    // Removed: the page says what becomes of the deposit slots, then that it is done.
    const html = await (await get(PAGE, cookie)).text();
    expect(textOf(html)).toContain('Vos rendez-vous et créneaux de dépôt déjà réservés restent valables');
    const removed = await post({ csrf: csrfOf(html), action: 'retirer' }, cookie);
    expect(removed.status).toBe(303);
    expect(removed.headers.get('location')).toBe(`${PAGE}?fait=retire`);
    expect(await stored(cookie)).toBeUndefined();
    const after = textOf(await (await get(`${PAGE}?fait=retire`, cookie)).text());
    expect(after).toContain('Votre compte n’est plus un compte professionnel.');
    expect(after).not.toContain('Ne plus être un compte professionnel');
  });

  it('refuses a forged CSRF token, and changes nothing', async () => {
    const cookie = await sessionCookieOverHttp(`pro.csrf.${Date.now()}@exemple.fr`);
    const forged = await post({ csrf: 'forged', action: 'enregistrer', siret: ordinarySiret(), raison: 'Atelier' }, cookie);
    expect(forged.status).toBe(403);
    expect(textOf(await forged.text())).toContain('Formulaire expiré');
    expect(await stored(cookie)).toBeUndefined();

    const siret = ordinarySiret();
    expect((await declare(cookie, siret, 'Atelier')).status).toBe(303);
    const forgedRemoval = await post({ csrf: 'forged', action: 'retirer' }, cookie);
    expect(forgedRemoval.status).toBe(403);
    expect(await stored(cookie)).toMatchObject({ siret });
  });

  it('is personal, script-free and within 14 KB, with and without a profile', async () => {
    const cookie = await sessionCookieOverHttp(`pro.poids.${Date.now()}@exemple.fr`);
    const empty = await weighed(PAGE, cookie);
    expect(empty.status).toBe(200);
    expect(empty.headers.get('cache-control')).toBe('private, no-store');
    expect(executableScripts(empty.html)).toEqual([]);
    expect(empty.weight).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
    expect((await declare(cookie, ordinarySiret(), 'Atelier')).status).toBe(303);
    const full = await weighed(PAGE, cookie);
    expect(full.headers.get('cache-control')).toBe('private, no-store');
    expect(executableScripts(full.html)).toEqual([]);
    expect(full.weight).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
    // The account page links it.
    expect(await (await get('/compte', cookie)).text()).toContain('<a href="/compte/professionnel">Compte professionnel</a>');
  });
});

describe('accessibility', () => {
  it('passes axe-core WCAG 2.2 AA: the empty form, a refused SIRET, the profile', { timeout: 120_000 }, async () => {
    // axe needs script; the pages forbid it by CSP, so this context alone bypasses CSP.
    const context = await browser.newContext({ bypassCSP: true });
    const tab = await signInWithCode(context, `pro.axe.${Date.now()}@exemple.fr`);
    const audit = async (what: string) => expect(await axeViolations(tab), what).toEqual([]);
    await tab.goto(`${baseUrl}${PAGE}`);
    await audit('the empty form');
    await tab.getByLabel('Raison sociale').fill('Atelier Axe');
    await tab.getByLabel('Numéro SIRET').fill(badKey(ordinarySiret()));
    await tab.getByRole('button', { name: 'Devenir compte professionnel' }).click();
    await tab.getByText('SIRET : clé de contrôle invalide.').waitFor();
    await audit('a refused SIRET');
    await tab.getByLabel('Numéro SIRET').fill(grouped(ordinarySiret()));
    await tab.getByRole('button', { name: 'Devenir compte professionnel' }).click();
    await tab.waitForURL(/fait=enregistre/);
    await audit('the profile');
    await context.close();
  });
});
