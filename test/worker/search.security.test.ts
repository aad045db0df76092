/**
 * The search API facing browsers and strangers: preflights answer only a
 * key's own origins, anonymous clients are rate limited one by one, paging
 * has a hard depth, and limits are told in words.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PUBLISHABLE_KEY, ensureDemoPartner } from '../../worker/partners/demo';
import { createPartner } from '../../worker/partners/keys';
import { encodeSearchCursor } from '../../worker/locator/search-request';
import { request } from './http-client';
import { db, demoSample, load } from './seed';

const sample = demoSample(3000);
const shop = 'https://shop.example';
// Paris: more than 200 points within 50 km.
const paris = sample.find((l) => l.department === '75')!;
const near = `${paris.latitude},${paris.longitude}`;
/**
 * A scraper's i-th search: each one a different address, so that it is
 * computed (and counted) rather than answered from the edge cache, which
 * serves a repeated search without counting it: that costs nothing.
 */
const nearBy = (i: number) => `${(paris.latitude + i * 1e-4).toFixed(5)},${paris.longitude}`;
let publishableKey = '';

beforeAll(async () => {
  await load(sample);
  ({ publishableKey } = await createPartner(db(), { name: 'Boutique', allowedOrigins: [shop], now: new Date().toISOString() }));
  await ensureDemoPartner(db(), new Date().toISOString());
});

const preflight = (query: string, origin: string) =>
  request(`/api/v1/locations/search${query}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-guichet-key' },
  });

describe('preflight', () => {
  it('allows the key’s declared origin', async () => {
    const response = await preflight(`?key=${publishableKey}`, shop);
    expect(response.status, await response.clone().text()).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(shop);
    expect(response.headers.get('access-control-allow-methods')).toContain('GET');
  });

  it.each([
    ['another origin with the key', () => `?key=${publishableKey}`, 'https://evil.example'],
    ['no key', () => '', shop],
    ['an unknown key', () => '?key=pk_unknownkey123', shop],
    ['any origin, no key', () => '', 'https://evil.example'],
  ])('grants nothing to %s', async (_, query, origin) => {
    const response = await preflight(query(), origin);
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-headers')).toBeNull();
  });
});

describe('anonymous search', () => {
  const from = (ip: string, query = `near=${near}&limit=1`) =>
    request(`/api/v1/locations/search?${query}`, { headers: { 'cf-connecting-ip': ip } });

  it('is rate limited per client address, with Retry-After', async () => {
    let limited: Response | undefined;
    let served = 0;
    // 120 per fixed minute window: 300 requests overflow one window even if they straddle two.
    for (let i = 0; i < 300 && !limited; i++) {
      const response = await from('198.51.100.7', `near=${nearBy(i)}&limit=1`);
      if (response.status === 429) limited = response;
      else {
        expect(response.status).toBe(200);
        served++;
        await response.arrayBuffer();
      }
    }
    expect(limited?.status).toBe(429);
    expect(served).toBeGreaterThanOrEqual(120);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited!.headers.get('content-type')).toContain('application/problem+json');
    expect(((await limited!.json()) as any).type).toBe('/api/problems/too-many-requests');
    // Another client is not held back by the first one.
    const other = await from('198.51.100.8');
    expect(other.status).toBe(200);
    await other.arrayBuffer();
  });

  it('counts a publishable key without an Origin as anonymous: keys are public', async () => {
    const ip = '198.51.100.20';
    // A script replaying a partner's key, or the demo key printed in the docs,
    // in the query or in the header: the same per-address limit as without one.
    const scripted = (i: number) =>
      i % 2
        ? request(`/api/v1/locations/search?near=${nearBy(i)}&limit=1&key=${publishableKey}`, { headers: { 'cf-connecting-ip': ip } })
        : request(`/api/v1/locations/search?near=${near}&limit=1`, { headers: { 'cf-connecting-ip': ip, 'x-guichet-key': DEMO_PUBLISHABLE_KEY } });
    let limited: Response | undefined;
    let served = 0;
    // 120 per address and minute; each key alone allows 300 per address and minute.
    for (let i = 0; i < 300 && !limited; i++) {
      const response = await scripted(i);
      if (response.status === 429) limited = response;
      else {
        expect(response.status).toBe(200);
        served++;
        await response.arrayBuffer();
      }
    }
    expect(limited?.status, `${served} keyed searches without an Origin were served`).toBe(429);
    expect(served).toBeGreaterThanOrEqual(120);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited!.json()) as any).detail).toContain('depuis votre adresse');

    // A shopper's browser on the partner's site, from the same address: its
    // key with a declared Origin is counted per key and client, not here.
    const shopper = await request(`/api/v1/locations/search?near=${near}&limit=1&key=${publishableKey}`, {
      headers: { 'cf-connecting-ip': ip, origin: shop },
    });
    expect(shopper.status, await shopper.clone().text()).toBe(200);
    expect(shopper.headers.get('access-control-allow-origin')).toBe(shop);
    await shopper.arrayBuffer();
    // An Origin the key does not declare is refused outright.
    const elsewhere = await request(`/api/v1/locations/search?near=${near}&limit=1&key=${publishableKey}`, {
      headers: { 'cf-connecting-ip': ip, origin: 'https://evil.example' },
    });
    expect(elsewhere.status).toBe(403);
    await elsewhere.arrayBuffer();
  });

  it('cannot page deeper than 200 results', async () => {
    const deep = await request(`/api/v1/locations/search?near=${near}&radius=50000&cursor=${encodeSearchCursor(200)}`);
    expect(deep.status).toBe(400);
    const body = (await deep.json()) as any;
    expect(body.invalid_params).toEqual([expect.objectContaining({ name: 'cursor', reason: expect.stringContaining('200') })]);
    // The last page allowed ends at the 200th result and offers no cursor beyond it.
    const last = (await (await request(`/api/v1/locations/search?near=${near}&radius=50000&limit=50&cursor=${encodeSearchCursor(150)}`)).json()) as any;
    expect(last.results.length).toBe(50);
    expect(last.next_cursor).toBeNull();
  });
});

describe('limits in words', () => {
  it.each(['60000', '1000000', '99999999999'])('radius=%s says the maximum', async (radius) => {
    const response = await request(`/api/v1/locations/search?near=${near}&radius=${radius}`);
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.invalid_params).toEqual([{ name: 'radius', reason: expect.stringContaining('au plus 50000 m') }]);
  });
});
