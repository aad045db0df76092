/**
 * The home page, signed out and signed in, over HTTP and in Chromium with
 * JavaScript off: what each version shows, the sobriety gates, that the
 * signed-out copy is the edge's and says `Vary: Cookie`, that a signed-in
 * home is never stored or shown to anyone else, and that every service is
 * at most two clicks from either version.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_SEED, generateDemoNetwork } from '../../tools/demo/network';
import { sessionCookieOverHttp, signInWithCode } from './accounts';
import { axeViolations, launchChromium } from './chromium';
import { office, PAGE_TEST_NETWORK_SIZE } from './fixtures';
import { compressedWeight, executableScripts, fetchPage, PAGE_BUDGET_BYTES } from './gates';

const baseUrl = inject('baseUrl');

/**
 * The site's services, as the issue lists them: find an office and its
 * hours, the départements, the account and signing in, the partners'
 * widget, the open API, the staff's sign-in. Written here, not read from
 * the services page.
 */
const SERVICE_PAGES = ['/recherche', '/departements', '/compte', '/connexion', '/services', '/widget/demo', '/api/openapi.json', '/staff/connexion'];

/** `Server-Timing`'s edge verdict: hit, miss or bypass. */
const edgeOf = (response: Response) => /(?:^|,\s*)edge;desc=(\w+)/.exec(response.headers.get('server-timing') ?? '')?.[1];
const linksOf = (html: string) => [...html.matchAll(/<a\b[^>]*\bhref="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
const varyNames = (response: Response) => (response.headers.get('vary') ?? '').split(',').map((v) => v.trim().toLowerCase());

let fresh = 0;
/** `/` under an address the edge has not seen (a query the page ignores). */
const unseenHome = () => `/?essai=${Date.now()}-${fresh++}`;

async function get(path: string, cookie?: string) {
  const response = await fetch(`${baseUrl}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  return { response, html: await response.text() };
}

/**
 * Pages reached from `/` in at most two clicks: the home's links (one
 * click), then the links of those pages (two). Only same-origin pages are
 * followed; a redirect counts as the page it leads to.
 */
async function reachableInTwoClicks(cookie?: string): Promise<Set<string>> {
  const pathOf = (href: string) => new URL(href, baseUrl).pathname;
  const sameOrigin = (href: string) => new URL(href, baseUrl).origin === baseUrl;
  const reached = new Set<string>();
  const home = await get('/', cookie);
  const first = [...new Set(linksOf(home.html).filter(sameOrigin))];
  for (const href of first) {
    reached.add(pathOf(href));
    const page = await get(pathOf(href) + new URL(href, baseUrl).search, cookie);
    const location = page.response.headers.get('location');
    if (location) reached.add(pathOf(location));
    if (!(page.response.headers.get('content-type') ?? '').includes('text/html')) continue;
    for (const next of linksOf(page.html).filter(sameOrigin)) reached.add(pathOf(next));
  }
  return reached;
}

/** Adds the fixture office to the signed-in customer's favourites, as a person does from its page's link. */
async function addOfficeAsFavourite(context: BrowserContext) {
  const tab = await context.newPage();
  await tab.goto(`${baseUrl}/compte/favoris?ajouter=${office.id}`);
  await tab.getByRole('button', { name: 'Ajouter à mes bureaux' }).click();
  await tab.waitForLoadState();
  await tab.close();
}

/** The fixture office's status sentence now, from the hours API (another door than the page). */
async function officeStatusNow(): Promise<string> {
  const status = (await (await fetch(`${baseUrl}/api/v1/locations/${office.id}/status`)).json()) as { summary: string };
  return status.summary;
}

describe('the signed-out home', () => {
  it('offers the search box and the few things people come for, within budget, no script', async () => {
    const page = await fetchPage(baseUrl, unseenHome());
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<form method="get" action="\/recherche"[^>]*role="search"/);
    const links = linksOf(page.html);
    for (const href of ['/recherche', '/connexion', '/services', '/departements']) expect(links).toContain(href);
    // The départements moved to their own page.
    expect(page.html).not.toContain('href="/departements/59"');
    expect(executableScripts(page.html)).toEqual([]);
    const weight = compressedWeight(page);
    expect(weight, `/ weighs ${weight} B compressed`).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);
  });

  it('is computed once, then served by the edge with Vary: Cookie and a public policy', async () => {
    const path = unseenHome();
    const miss = await get(path);
    expect(edgeOf(miss.response)).toBe('miss');
    expect(varyNames(miss.response)).toContain('cookie');
    const hit = await get(path);
    expect(edgeOf(hit.response), hit.response.headers.get('server-timing') ?? '').toBe('hit');
    expect(varyNames(hit.response)).toContain('cookie');
    expect(hit.response.headers.get('cache-control')).toBe(miss.response.headers.get('cache-control'));
    expect(hit.response.headers.get('cache-control')).toMatch(/\bpublic\b/);
    expect(hit.html).toBe(miss.html);
  });

  it('is rendered for a request with an unrelated cookie, never taken from the edge', async () => {
    const page = await get('/', 'x=1');
    expect(page.response.status).toBe(200);
    expect(edgeOf(page.response)).toBe('bypass');
    expect(page.html).toContain('La Poste près de chez vous');
    expect(varyNames(page.response)).toContain('cookie');
  });

  it('reaches every service in at most two clicks', async () => {
    const reached = await reachableInTwoClicks();
    for (const path of SERVICE_PAGES) expect(reached, path).toContain(path);
    for (const path of SERVICE_PAGES) expect((await get(path)).response.status, path).toBeLessThan(400);
  });
});

describe('the départements page', () => {
  it('lists every département that has an active location, and each leads to its page', async () => {
    const { response, html } = await get('/departements');
    expect(response.status).toBe(200);
    const linked = new Set(linksOf(html).filter((href) => /^\/departements\/[^/?]+$/.test(href)));
    // The demo slice the server loads, read from the generator, not from the product.
    const active = generateDemoNetwork(DEMO_SEED, PAGE_TEST_NETWORK_SIZE).slice(0, -1);
    for (const department of new Set(active.map((l) => l.department))) expect(linked).toContain(`/departements/${department.toLowerCase()}`);
    expect(html).toContain('<h2>France métropolitaine</h2>');
    expect(html).toContain('<h2>Outre-mer et autres territoires</h2>');
    expect(html).toMatch(/<a href="\/departements\/974">La Réunion \(974\)<\/a>/);
    const second = await get('/departements');
    expect(edgeOf(second.response)).toBe('hit');
  });
});

describe('the signed-in home', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('tells a customer without favourites how to add one, and is private to them', async () => {
    const cookie = await sessionCookieOverHttp(`accueil-vide-${Date.now()}@example.test`);
    for (let i = 0; i < 2; i++) {
      const { response, html } = await get('/', cookie);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('private, no-store');
      expect(varyNames(response)).toContain('cookie');
      expect(edgeOf(response)).toBe('bypass');
      expect(html).toContain('<h1>Bonjour</h1>');
      expect(html).toContain('« Ajouter à mes bureaux »');
      expect(html).toMatch(/<form method="get" action="\/recherche"[^>]*role="search"/);
      expect(linksOf(html)).toContain('/compte');
      expect(executableScripts(html)).toEqual([]);
    }
  });

  it('shows the office they added with its status, in Chromium with JavaScript off, and to nobody else', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const email = `accueil-${Date.now()}@example.test`;
    await (await signInWithCode(context, email)).close();
    await addOfficeAsFavourite(context);

    const tab = await context.newPage();
    const answer = await tab.goto(`${baseUrl}/`);
    expect(answer!.headers()['cache-control']).toBe('private, no-store');
    const main = tab.locator('main');
    await expect.poll(() => main.getByRole('heading', { name: 'Mon bureau' }).count()).toBe(1);
    expect(await main.getByRole('link', { name: office.name, exact: true }).getAttribute('href')).toBe(office.path);
    expect(await main.locator('.status').innerText()).toBe(await officeStatusNow());
    expect(await main.getByRole('search').count()).toBe(1);

    // Over HTTP with the same session: within budget, no script.
    const cookies = await context.cookies(baseUrl);
    const session = cookies.find((c) => c.name === '__Host-guichet-session')!;
    const mine = await fetchPage(baseUrl, '/');
    expect(mine.html).not.toContain('Mon bureau');
    const personal = await fetch(`${baseUrl}/`, { headers: { cookie: `${session.name}=${session.value}` } });
    const personalHtml = await personal.text();
    expect(personalHtml).toContain(office.name);
    expect(edgeOf(personal)).toBe('bypass');
    const weight = compressedWeight({ ...mine, html: personalHtml });
    expect(weight, `signed-in / weighs ${weight} B compressed`).toBeLessThanOrEqual(PAGE_BUDGET_BYTES);

    // Another customer, signed in just after, never sees the first one's office; nor does a signed-out visitor.
    const other = await get('/', await sessionCookieOverHttp(`accueil-autre-${Date.now()}@example.test`));
    expect(other.html).not.toContain(office.name);
    expect((await get('/')).html).not.toContain(office.name);
    expect((await get('/', 'x=1')).html).not.toContain(office.name);

    // axe needs script: a context of its own with the same session, CSP bypassed.
    for (const colorScheme of ['light', 'dark'] as const) {
      const axeContext = await browser.newContext({ bypassCSP: true, colorScheme });
      await axeContext.addCookies(cookies);
      const axeTab = await axeContext.newPage();
      await axeTab.goto(`${baseUrl}/`);
      expect(await axeTab.locator('main').innerText()).toContain(office.name);
      expect(await axeViolations(axeTab)).toEqual([]);
      await axeContext.close();
    }
    await context.close();
  });

  it('reaches every service in at most two clicks', async () => {
    const cookie = await sessionCookieOverHttp(`accueil-clics-${Date.now()}@example.test`);
    const reached = await reachableInTwoClicks(cookie);
    for (const path of SERVICE_PAGES) expect(reached, path).toContain(path);
  });
});
