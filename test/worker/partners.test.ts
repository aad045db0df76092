import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { isProduction } from '../../worker/env';
import { createPartner } from '../../worker/partners/keys';
import { type SigningConfig, signSelection, verifySelection } from '../../worker/partners/selection';
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
/** As the test Worker runs: wrangler.toml's local origin, no configured key (one is generated and kept in D1). */
const local: SigningConfig = { key: env.SELECTION_SIGNING_KEY, production: false };
const decode = (part: string) => JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));

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
  }, 60_000);

  it('are rate limited per key and per client: one exhausted pair blocks neither another client nor another key', async () => {
    const first = await createPartner(db(), { name: 'Premier', allowedOrigins: ['https://first.example'], now: new Date().toISOString() });
    const second = await createPartner(db(), { name: 'Second', allowedOrigins: ['https://second.example'], now: new Date().toISOString() });
    const call = (key: string, origin: string, ip: string) =>
      request(`/api/v1/locations/search?near=${near}&limit=1&key=${key}`, { headers: { origin, 'cf-connecting-ip': ip } });
    // The limit is 300 per fixed minute window: 700 requests overflow one window even if they straddle two.
    let limitedAt = -1;
    for (let i = 0; i < 700 && limitedAt < 0; i++) {
      const response = await call(first.publishableKey, 'https://first.example', '198.51.100.1');
      if (response.status === 429) limitedAt = i;
      await response.arrayBuffer();
    }
    expect(limitedAt).toBeGreaterThanOrEqual(300 - 1);
    // The same window: the exhausted pair is still refused, the others are served.
    const again = await call(first.publishableKey, 'https://first.example', '198.51.100.1');
    expect(again.status).toBe(429);
    await again.arrayBuffer();
    const otherClient = await call(first.publishableKey, 'https://first.example', '198.51.100.2');
    expect(otherClient.status).toBe(200);
    await otherClient.arrayBuffer();
    const otherKey = await call(second.publishableKey, 'https://second.example', '198.51.100.1');
    expect(otherKey.status).toBe(200);
    await otherKey.arrayBuffer();
  }, 60_000);
});

describe('selection tokens', () => {
  const location = sample.find((l) => l.services.includes('parcel_pickup'))!;
  const verify = async (token: string, secret = keys.secretKey) => {
    const response = await request('/api/v1/selections/verify', {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` }, body: JSON.stringify({ token }),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const sign = (payload: Partial<{ l: string; e: number; partnerId: string }> = {}) =>
    signSelection(db(), local, { l: location.id, s: ['parcel_pickup'], partnerId: keys.id, e: Math.floor(Date.now() / 1000) + 3600, ...payload });

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
    const token = await signSelection(db(), local, { l: location.id, s: [], partnerId: keys.id, e: Math.floor(Date.now() / 1000) + 3600 });
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
    const reasons = ((await bad.json()) as any).invalid_params;
    expect(reasons).toEqual(expect.arrayContaining([{ name: 'jeton', reason: 'champ inconnu' }, { name: 'token', reason: 'obligatoire' }]));
  });

  it('authenticate the partner before reading the body', async () => {
    const anonymous = await request('/api/v1/selections/verify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jeton":1}' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('are the same in code and over HTTP (unit check of the signature)', async () => {
    const token = await sign();
    expect(await verifySelection(db(), local, token, Math.floor(Date.now() / 1000), keys.id)).toMatchObject({ ok: true });
  });

  it('are canonical: a signature re-encoded with a sibling last character is refused', async () => {
    const token = await sign();
    const [data, mac] = token.split('.');
    // 32 bytes take 43 base64url characters; the last one carries 4 bits and 2 unused ones, so
    // the three characters after it in the alphabet (when in the same group of four) decode to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(mac.at(-1)!);
    expect(last % 4).toBe(0);
    for (const sibling of [1, 2, 3]) {
      const reencoded = `${data}.${mac.slice(0, -1)}${alphabet[last + sibling]}`;
      expect(reencoded).not.toBe(token);
      const { status, body } = await verify(reencoded);
      expect(status).toBe(200);
      expect(body.valid, reencoded).toBe(false);
    }
    expect((await verify(token)).body.valid).toBe(true);
  });

  it('carry no internal partner id', async () => {
    const token = await sign();
    const payload = decode(token.split('.')[0]);
    expect(JSON.stringify(payload)).not.toContain(keys.id);
    expect(JSON.stringify(payload)).not.toMatch(/ptn_/);
    // Yet they still tell one partner's choices from another's (checked above: 'choix émis pour un autre partenaire').
    const theirs = decode((await sign({ partnerId: other.id })).split('.')[0]);
    expect(theirs.p).not.toBe(payload.p);
  });
});

describe('the signing key', () => {
  const choice = () => ({ l: 'D000001', s: ['parcel_pickup' as const], partnerId: 'ptn_x', e: Math.floor(Date.now() / 1000) + 60 });
  const strong = 'k'.repeat(32);

  it('is required in production, and production is an https public SITE_ORIGIN', async () => {
    await expect(signSelection(db(), { key: undefined, production: true }, choice())).rejects.toThrow(/SELECTION_SIGNING_KEY/);
    await expect(signSelection(db(), { key: '', production: true }, choice())).rejects.toThrow(/SELECTION_SIGNING_KEY/);
    const token = await signSelection(db(), { key: strong, production: true }, choice());
    expect(await verifySelection(db(), { key: strong, production: true }, token, Math.floor(Date.now() / 1000), 'ptn_x')).toMatchObject({ ok: true });
    await expect(verifySelection(db(), { key: undefined, production: true }, token, Math.floor(Date.now() / 1000), 'ptn_x')).rejects.toThrow(/SELECTION_SIGNING_KEY/);
    expect(isProduction('https://guichet.example.fr')).toBe(true);
    for (const origin of ['http://localhost:8787', 'https://localhost:8787', 'http://127.0.0.1:9000', 'http://guichet.example.fr', undefined]) {
      expect(isProduction(origin), String(origin)).toBe(false);
    }
    // The test Worker runs with wrangler.toml's local origin: not production.
    expect(isProduction()).toBe(false);
  });

  it('must hold at least 32 bytes wherever it is configured', async () => {
    for (const production of [true, false]) {
      await expect(signSelection(db(), { key: 'k'.repeat(31), production }, choice())).rejects.toThrow(/32 bytes/);
    }
    // 11 three-byte characters: 33 bytes, though 11 characters.
    expect(await signSelection(db(), { key: '€'.repeat(11), production: true }, choice())).toMatch(/^[\w-]+\.[\w-]{43}$/);
  });
});
