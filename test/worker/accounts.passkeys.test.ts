/**
 * The passkey API on a real D1, with answers from a software authenticator
 * (real keys, the specification's byte layouts): a customer adds a passkey
 * and signs in with it; replays, expired challenges, unknown keys, bad
 * bodies, other origins and missing sessions are refused.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { openCustomerSession } from '../../worker/accounts/sessions';
import { customers } from '../../db/schema';
import { randomSecret } from '../../worker/http/crypto';
import { type AssertionJSON, type Ceremony, SoftAuthenticator } from '../unit/accounts/authenticator';
import { request } from './http-client';
import { db } from './seed';

/** The test Worker's SITE_ORIGIN (vitest.config.ts): the only origin passkeys may come from. */
const SITE = 'http://localhost:8787';
const RP_ID = 'localhost';
const API = '/api/v1/account/passkeys';

interface Customer { id: string; email: string; cookie: string }

async function newCustomer(): Promise<Customer> {
  const id = `cus_${crypto.randomUUID()}`;
  const email = `${id.slice(4, 12)}@exemple.fr`;
  const now = new Date().toISOString();
  await db().insert(customers).values({ id, email, counterSalt: randomSecret(), createdAt: now, lastActiveAt: now });
  const { cookie } = await openCustomerSession(db(), { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
  return { id, email, cookie: cookie.split(';')[0]! };
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  request(`${API}${path}`, {
    method: 'POST',
    headers: { origin: SITE, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function challengeFor(path: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await post(path, {}, headers);
  expect(response.status).toBe(200);
  return ((await response.json()) as { challenge: string }).challenge;
}

const ceremony = (challenge: string, bent: Partial<Ceremony> = {}): Ceremony => ({ challenge, origin: SITE, rpId: RP_ID, ...bent });

async function register(customer: Customer, authenticator: SoftAuthenticator, bent: Partial<Ceremony> = {}): Promise<Response> {
  const options = await post('/registration/options', {}, { cookie: customer.cookie });
  expect(options.status).toBe(200);
  const { challenge, user } = (await options.json()) as { challenge: string; user: { id: string } };
  return post('/registration', await authenticator.register(ceremony(challenge, bent), user.id), { cookie: customer.cookie });
}

async function signIn(authenticator: SoftAuthenticator, bent: Partial<Ceremony> = {}, headers: Record<string, string> = {}) {
  const answer = await authenticator.assert(ceremony(await challengeFor('/sign-in/options', headers), bent));
  return { answer, response: await post('/sign-in', answer, headers) };
}

const problemOf = async (response: Response) => (await response.json()) as { type: string; detail: string; invalid_params?: { name: string }[] };

const historyKinds = async (customerId: string) =>
  (await env.DB.prepare('SELECT kind FROM customer_history WHERE customer_id = ? ORDER BY id').bind(customerId).all<{ kind: string }>()).results.map((r) => r.kind);

let alice: Customer;
let aliceKey: SoftAuthenticator;

beforeAll(async () => {
  alice = await newCustomer();
  aliceKey = await SoftAuthenticator.create();
  const added = await register(alice, aliceKey);
  expect(added.status).toBe(201);
});

describe('adding a passkey', () => {
  it('offers options for a discoverable, verified ES256/RS256 passkey on this site, for this account only', async () => {
    const response = await post('/registration/options', {}, { cookie: alice.cookie });
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(response.headers.get('vary')).toMatch(/Cookie/);
    const options = (await response.json()) as any;
    expect(options.rp).toEqual({ id: RP_ID, name: 'Guichet' });
    expect(options.user.name).toBe(alice.email);
    expect(atob(options.user.id.replace(/-/g, '+').replace(/_/g, '/'))).toBe(alice.id);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'required' });
    expect(options.attestation).toBe('none');
    // The key already added is excluded: the same authenticator is not registered twice.
    expect(options.excludeCredentials).toEqual([{ type: 'public-key', id: aliceKey.id }]);
  });

  it('stores the key, lists it and records it in the history; the challenge is kept as a digest only', async () => {
    const customer = await newCustomer();
    const authenticator = await SoftAuthenticator.create({ algorithm: 'RS256' });
    const options = await post('/registration/options', {}, { cookie: customer.cookie });
    const { challenge, user } = (await options.json()) as { challenge: string; user: { id: string } };
    const stored = await env.DB.prepare('SELECT challenge_hash FROM webauthn_challenges WHERE customer_id = ?').bind(customer.id).all<{ challenge_hash: string }>();
    expect(stored.results).toHaveLength(1);
    expect(stored.results[0]!.challenge_hash).not.toContain(challenge);
    const response = await post('/registration', await authenticator.register(ceremony(challenge), user.id), { cookie: customer.cookie });
    expect(response.status).toBe(201);
    const body = (await response.json()) as any;
    expect(body.passkey).toMatchObject({ id: authenticator.id, name: expect.stringMatching(/^Clé ajoutée le \d\d\/\d\d\/\d{4} à \d\d:\d\d$/), last_used_at: null });
    expect(body.next).toBe('/compte/cles?ajoutee=1');
    const list = await request(API, { headers: { cookie: customer.cookie } });
    expect(((await list.json()) as any).passkeys.map((k: { id: string }) => k.id)).toEqual([authenticator.id]);
    // The session the test opened is in the history too (every sign-in is).
    expect(await historyKinds(customer.id)).toEqual(['sign_in.code', 'passkey.added']);
  });

  it('refuses the same authenticator twice', async () => {
    const again = await register(alice, aliceKey);
    expect(again.status).toBe(400);
    expect((await problemOf(again)).detail).toMatch(/déjà enregistrée/);
  });

  it('refuses an answer from another origin, for another site, or without user verification (401)', async () => {
    const authenticator = await SoftAuthenticator.create();
    for (const bent of [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }, { flags: 0x41 }, { crossOrigin: true }]) {
      const response = await register(alice, authenticator, bent);
      expect(response.status).toBe(401);
      expect((await problemOf(response)).type).toBe('/api/problems/unauthorized');
    }
  });

  it('refuses a challenge issued to another customer', async () => {
    const bob = await newCustomer();
    const options = await post('/registration/options', {}, { cookie: alice.cookie });
    const { challenge } = (await options.json()) as { challenge: string };
    const answer = await (await SoftAuthenticator.create()).register(ceremony(challenge), 'Ym9i');
    const response = await post('/registration', answer, { cookie: bob.cookie });
    expect(response.status).toBe(401);
    expect((await problemOf(response)).detail).toMatch(/expirée ou déjà utilisée/);
  });

  it('needs a session (401) and a call from Guichet’s pages (403)', async () => {
    const anonymous = await post('/registration/options', {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await problemOf(anonymous)).detail).toMatch(/Connexion requise/);
    const elsewhere = await post('/registration/options', {}, { cookie: alice.cookie, origin: 'https://evil.example' });
    expect(elsewhere.status).toBe(403);
    const list = await request(API);
    expect(list.status).toBe(401);
  });
});

describe('signing in with a passkey', () => {
  it('opens a session: cookie set, next page given, key’s last use and history recorded', async () => {
    const { response } = await signIn(aliceKey);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(await response.json()).toEqual({ next: '/compte' });
    const cookie = response.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^__Host-guichet-session=gcs_[\w-]{43};/);
    expect(cookie).toMatch(/HttpOnly/i);
    const list = await request(API, { headers: { cookie: cookie.split(';')[0]! } });
    expect(list.status).toBe(200);
    const [key] = ((await list.json()) as any).passkeys;
    expect(key.id).toBe(aliceKey.id);
    expect(Date.parse(key.last_used_at)).toBeGreaterThan(Date.now() - 60_000);
    const session = await env.DB.prepare("SELECT method FROM customer_sessions WHERE customer_id = ? AND method = 'passkey'").bind(alice.id).first();
    expect(session).not.toBeNull();
    expect(await historyKinds(alice.id)).toContain('sign_in.passkey');
  });

  it('refuses a replayed answer: the challenge is spent (401)', async () => {
    const { answer, response } = await signIn(aliceKey);
    expect(response.status).toBe(200);
    const replay = await post('/sign-in', answer);
    expect(replay.status).toBe(401);
    expect((await problemOf(replay)).detail).toMatch(/expirée ou déjà utilisée/);
    expect(replay.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a challenge older than five minutes (401)', async () => {
    const challenge = await challengeFor('/sign-in/options');
    // Five minutes pass: the stored expiry is put in the past.
    await env.DB.prepare('UPDATE webauthn_challenges SET expires_at = ? WHERE customer_id IS NULL').bind(new Date(Date.now() - 1000).toISOString()).run();
    const response = await post('/sign-in', await aliceKey.assert(ceremony(challenge)));
    expect(response.status).toBe(401);
    expect((await problemOf(response)).detail).toMatch(/expirée/);
  });

  it('refuses an unknown passkey (401)', async () => {
    const { response } = await signIn(await SoftAuthenticator.create());
    expect(response.status).toBe(401);
    expect((await problemOf(response)).detail).toMatch(/Clé d’accès inconnue/);
  });

  it('refuses a tampered signature, another origin, another site, no user verification, another account’s handle (401)', async () => {
    const tampered = await aliceKey.assert(ceremony(await challengeFor('/sign-in/options')));
    const signature = tampered.response.signature;
    const flipped: AssertionJSON = { ...tampered, response: { ...tampered.response, signature: signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1) } };
    expect((await post('/sign-in', flipped)).status).toBe(401);
    for (const bent of [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }, { flags: 0x01 }]) {
      expect((await signIn(aliceKey, bent)).response.status).toBe(401);
    }
    const other = await aliceKey.assert(ceremony(await challengeFor('/sign-in/options')));
    expect((await post('/sign-in', { ...other, response: { ...other.response, userHandle: 'b3RoZXI' } })).status).toBe(401);
  });

  it('refuses bodies of the wrong shape (400), naming the field', async () => {
    const broken = await post('/sign-in', '{"id":');
    expect(broken.status).toBe(400);
    expect(broken.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const missing = await post('/sign-in', { id: aliceKey.id, rawId: aliceKey.id, type: 'public-key', response: { clientDataJSON: 'e30' } });
    expect(missing.status).toBe(400);
    expect((await problemOf(missing)).invalid_params?.map((p) => p.name)).toEqual(expect.arrayContaining(['response']));
    const padded = await post('/sign-in', { id: 'AA==', rawId: 'AA==', type: 'public-key', response: {} });
    expect(padded.status).toBe(400);
    expect((await problemOf(padded)).detail).toMatch(/id/);
  });

  it('must come from Guichet’s pages (403), however well formed', async () => {
    const challenge = await challengeFor('/sign-in/options');
    const answer = await aliceKey.assert(ceremony(challenge));
    expect((await post('/sign-in/options', {}, { origin: 'https://evil.example' })).status).toBe(403);
    const elsewhere = await post('/sign-in', answer, { origin: 'https://evil.example' });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.headers.get('set-cookie')).toBeNull();
    const noOrigin = await request(`${API}/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer) });
    expect(noOrigin.status).toBe(403);
    // Refused before anything else: the challenge is still there for the real page.
    expect((await post('/sign-in', answer)).status).toBe(200);
  });

  it('is limited per client, with the emailed codes’ limit (429 with Retry-After)', async () => {
    let limited: Response | undefined;
    // wrangler.toml: 20 sign-in calls per client and minute; 50 overflow one window even across two.
    for (let i = 0; i < 50 && !limited; i++) {
      const response = await post('/sign-in/options', {}, { 'cf-connecting-ip': '203.0.113.9' });
      if (response.status === 429) limited = response;
      else await response.arrayBuffer();
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await problemOf(limited!)).type).toBe('/api/problems/too-many-requests');
    expect((await post('/sign-in/options', {}, { 'cf-connecting-ip': '203.0.113.10' })).status).toBe(200);
  });
});

describe('removing a passkey', () => {
  it('removes the customer’s own key only; a removed key no longer signs in', async () => {
    const carol = await newCustomer();
    const carolKey = await SoftAuthenticator.create();
    expect((await register(carol, carolKey)).status).toBe(201);
    const byAlice = await request(`${API}/${carolKey.id}`, { method: 'DELETE', headers: { origin: SITE, cookie: alice.cookie } });
    expect(byAlice.status).toBe(404);
    const crossSite = await request(`${API}/${carolKey.id}`, { method: 'DELETE', headers: { origin: 'https://evil.example', cookie: carol.cookie } });
    expect(crossSite.status).toBe(403);
    const removed = await request(`${API}/${carolKey.id}`, { method: 'DELETE', headers: { origin: SITE, cookie: carol.cookie } });
    expect(removed.status).toBe(204);
    expect((await historyKinds(carol.id)).filter((k) => k.startsWith('passkey.'))).toEqual(['passkey.added', 'passkey.removed']);
    expect((await signIn(carolKey)).response.status).toBe(401);
    const again = await request(`${API}/${carolKey.id}`, { method: 'DELETE', headers: { origin: SITE, cookie: carol.cookie } });
    expect(again.status).toBe(404);
  });
});
