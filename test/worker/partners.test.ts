import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPartner } from '../../worker/partners/keys';
import { signSelection, verifySelection } from '../../worker/partners/selection';
import { request } from './http-client';
import { db, demoSample, load } from './seed';

const sample = demoSample(300);
const shop = 'https://shop.example';
let keys: { id: string; publishableKey: string; secretKey: string };
let other: { id: string; publishableKey: string; secretKey: string };

beforeAll(async () => {
  await load(sample);
  keys = await createPartner(db(), { name: 'Boutique', allowedOrigins: [shop], now: new Date().toISOString() });
  other = await createPartner(db(), { name: 'Autre', allowedOrigins: ['https://other.example'], now: new Date().toISOString() });
});

const near = `${sample[0].latitude},${sample[0].longitude}`;

describe('publishable keys', () => {
  it('admit calls from the partner’s origins only, with CORS for them alone', async () => {
    const ok = await request(`/api/v1/locations/search?near=${near}&key=${keys.publishableKey}`, { headers: { origin: shop } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(shop);
    const elsewhere = await request(`/api/v1/locations/search?near=${near}&key=${keys.publishableKey}`, { headers: { origin: 'https://evil.example' } });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
    const unknown = await request(`/api/v1/locations/search?near=${near}&key=pk_unknownkey123`, { headers: { origin: shop } });
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as any).type).toBe('/api/problems/unauthorized');
  });

  it('are rate limited, with Retry-After', async () => {
    let limited: Response | undefined;
    // The limit is 300 per fixed minute window: 700 requests overflow one window even if they straddle two.
    for (let i = 0; i < 700 && !limited; i++) {
      const response = await request(`/api/v1/locations/search?near=${near}&limit=1&key=${other.publishableKey}`, { headers: { origin: 'https://other.example' } });
      if (response.status === 429) limited = response;
      else await response.arrayBuffer();
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited!.json()) as any).type).toBe('/api/problems/too-many-requests');
  });
});

describe('selection tokens', () => {
  const location = sample.find((l) => l.services.includes('parcel_pickup'))!;
  const verify = async (token: string, secret = keys.secretKey) => {
    const response = await request('/api/v1/selections/verify', {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` }, body: JSON.stringify({ token }),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const sign = (payload: Partial<{ l: string; e: number; p: string }> = {}) =>
    signSelection(db(), env.SELECTION_SIGNING_KEY, { l: location.id, s: ['parcel_pickup'], p: keys.id, e: Math.floor(Date.now() / 1000) + 3600, ...payload });

  it('verify for the partner they were issued to', async () => {
    const { status, body } = await verify(await sign());
    expect(status).toBe(200);
    expect(body).toMatchObject({ valid: true, location: { id: location.id }, services: ['parcel_pickup'] });
  });

  it('refuse a forged, expired, foreign or stale choice', async () => {
    const token = await sign();
    const [data, mac] = token.split('.');
    const forgedData = btoa(JSON.stringify({ l: sample[1].id, s: ['parcel_pickup'], p: keys.id, e: 9999999999 })).replace(/=+$/, '');
    expect((await verify(`${forgedData}.${mac}`)).body).toMatchObject({ valid: false, reason: 'signature invalide' });
    const middle = Math.floor(mac.length / 2);
    const flipped = `${mac.slice(0, middle)}${mac[middle] === 'A' ? 'B' : 'A'}${mac.slice(middle + 1)}`;
    expect((await verify(`${data}.${flipped}`)).body).toMatchObject({ valid: false, reason: 'signature invalide' });
    expect((await verify(await sign({ e: 1000 }))).body).toMatchObject({ valid: false, reason: expect.stringContaining('expiré') });
    expect((await verify(token, other.secretKey)).body).toMatchObject({ valid: false, reason: 'choix émis pour un autre partenaire' });
    await load(sample.filter((l) => l.id !== location.id), 'demo');
    expect((await verify(token)).body).toMatchObject({ valid: false, reason: 'ce point de contact n’est plus en service' });
    await load(sample, 'demo');
  });

  it('refuse a choice made without the services the order needs', async () => {
    const token = await signSelection(db(), env.SELECTION_SIGNING_KEY, { l: location.id, s: [], p: keys.id, e: Math.floor(Date.now() / 1000) + 3600 });
    const response = await request('/api/v1/selections/verify', {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.secretKey}` },
      body: JSON.stringify({ token, required_services: ['parcel_pickup'] }),
    });
    expect(((await response.json()) as any)).toMatchObject({ valid: false, reason: expect.stringContaining('parcel_pickup') });
  });

  it('need the partner’s secret key and a well-formed body', async () => {
    expect((await verify(await sign(), 'sk_wrongwrongwrong')).status).toBe(401);
    const bad = await request('/api/v1/selections/verify', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.secretKey}` }, body: '{"jeton":1}' });
    expect(bad.status).toBe(400);
  });

  it('are the same in code and over HTTP (unit check of the signature)', async () => {
    const token = await sign();
    expect(await verifySelection(db(), env.SELECTION_SIGNING_KEY, token, Math.floor(Date.now() / 1000))).toMatchObject({ ok: true });
  });
});
