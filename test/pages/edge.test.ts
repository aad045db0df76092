/**
 * The built Worker's edge cache and cost budgets, over HTTP against
 * `wrangler dev`: what a page costs D1 when computed, that the cache then
 * answers it without reading D1, and that personal answers never go near
 * the cache. Figures come from each response's `Server-Timing`.
 */
import { describe, expect, inject, it } from 'vitest';
import { office, PAGES } from './fixtures';

const baseUrl = inject('baseUrl');

interface Fetched {
  status: number;
  edge: string | undefined;
  rowsRead: number;
  timing: string;
  cacheControl: string | null;
}

async function fetchTimed(path: string, headers: Record<string, string> = {}): Promise<Fetched> {
  const response = await fetch(`${baseUrl}${path}`, { headers, redirect: 'manual' });
  await response.arrayBuffer();
  const timing = response.headers.get('server-timing') ?? '';
  const desc = (name: string) => new RegExp(`(?:^|,\\s*)${name};desc=([^,;]+)`).exec(timing)?.[1];
  return { status: response.status, edge: desc('edge'), rowsRead: Number(desc('d1-rows-read') ?? NaN), timing, cacheControl: response.headers.get('cache-control') };
}

/**
 * `path` as the edge has never seen it: a query parameter the page ignores
 * gives it a key of its own, so the page is computed (other tests may have
 * cached the plain address already).
 */
let fresh = 0;
const unseen = (path: string) => `${path}${path.includes('?') ? '&' : '?'}essai=${Date.now()}-${fresh++}`;

describe('cost of a page', () => {
  it('an office page reads at most 20 rows when computed, none once cached', async () => {
    const path = unseen(office.path);
    const miss = await fetchTimed(path);
    expect(miss.status).toBe(200);
    expect(miss.edge).toBe('miss');
    expect(miss.rowsRead, miss.timing).toBeLessThanOrEqual(20);
    const hit = await fetchTimed(path);
    expect(hit.edge, hit.timing).toBe('hit');
    expect(hit.rowsRead, hit.timing).toBe(0);
    expect(hit.cacheControl).toBe(miss.cacheControl);
  });

  it('the home page reads none once cached, and few when computed', async () => {
    const path = unseen(PAGES.home.path);
    const first = await fetchTimed(path);
    expect(first.status).toBe(200);
    expect(first.edge).toBe('miss');
    // One row per département at most (about 100), never the locations.
    expect(first.rowsRead, first.timing).toBeLessThanOrEqual(150);
    const cached = await fetchTimed(path);
    expect(cached.edge, cached.timing).toBe('hit');
    expect(cached.rowsRead, cached.timing).toBe(0);
  });

  it('every public page type is served from the cache the second time', async () => {
    for (const [kind, page] of Object.entries(PAGES)) {
      if (kind === 'notFound') continue;
      const first = await fetchTimed(page.path);
      expect(first.status, page.path).toBe(200);
      const second = await fetchTimed(page.path);
      expect(second.edge, `${page.path}: ${second.timing}`).toBe('hit');
    }
  });

  it('a département page computed from the kept figures reads its communes, not the locations', async () => {
    const page = await fetchTimed(unseen(PAGES.department.path));
    expect(page.status).toBe(200);
    expect(page.edge).toBe('miss');
    expect(page.rowsRead, page.timing).toBeLessThan(1000);
  });
});

describe('personal answers', () => {
  it('a request with a cookie is computed for it alone and shows no database figures', async () => {
    await fetchTimed(office.path);
    const personal = await fetchTimed(office.path, { cookie: '__Host-guichet-staff=not-a-session' });
    expect(personal.edge).toBe('bypass');
    expect(personal.timing).not.toMatch(/d1/);
  });

  it('the staff sign-in page is private, never stored, and bypasses the cache', async () => {
    for (let i = 0; i < 2; i++) {
      const page = await fetchTimed('/staff/connexion');
      expect(page.cacheControl).toBe('private, no-store');
      expect(page.edge).toBe('bypass');
    }
  });
});
