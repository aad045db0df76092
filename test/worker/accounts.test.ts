/**
 * The customer account API on a real D1 and the local queue: sign-up with
 * the code read from the outbox, the account, its history, export and
 * deletion (nothing left behind), signing out everywhere, the refusals,
 * concurrent guesses, and the inactivity sweep.
 */
import { env } from 'cloudflare:workers';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { customers } from '../../db/schema';
import { sweepInactiveAccounts } from '../../worker/accounts/account';
import { addFavourite } from '../../worker/accounts/favourites';
import { outboxFor } from '../../worker/messages/outbox';
import { request } from './http-client';
import { db, demoSample, load } from './seed';

const SITE = 'http://localhost:8787';
const d1 = (env as unknown as { DB: D1Database }).DB;
let serial = 0;
const address = (who = 'camille') => `${who}.${Date.now()}.${serial++}@exemple.fr`;

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  request(`/api/v1/account${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: SITE, ...headers }, body: JSON.stringify(body) });

/** The code of the first message to `email` that was not in the outbox before (the local queue delivers it within a second or two). */
async function codeAfter(email: string, seen: Set<string>): Promise<string> {
  let code: string | undefined;
  await vi.waitUntil(async () => {
    const fresh = (await outboxFor(d1, email, 20)).find((m) => !seen.has(m.id));
    code = fresh && /\b(\d{6})\b/.exec(fresh.text)?.[1];
    return code;
  }, { timeout: 15_000, interval: 50 });
  return code!;
}

async function askCode(email: string) {
  const seen = new Set((await outboxFor(d1, email, 20)).map((m) => m.id));
  const response = await post('/sign-in/codes', { email });
  expect(response.status).toBe(202);
  const { attempt } = await response.json() as { attempt: string };
  return { attempt, code: await codeAfter(email, seen) };
}

async function signUp(email = address()) {
  const { attempt, code } = await askCode(email);
  const response = await post('/sign-in', { attempt, code });
  expect(response.status).toBe(200);
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('__Host-guichet-session='))!;
  return { email, cookie: cookie.split(';')[0]!, setCookie: cookie, body: await response.json() as { account_created: boolean } };
}

const rowsOf = async (customerId: string) => {
  const tables = ['customer_sessions', 'customer_favourites', 'customer_history', 'passkeys', 'counter_sessions', 'counter_codes'];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    counts[table] = (await d1.prepare(`SELECT count(*) AS n FROM ${table} WHERE customer_id = ?`).bind(customerId).first<{ n: number }>())!.n;
  }
  return counts;
};

beforeAll(async () => {
  await load(demoSample(40));
});

describe('signing up and in with an emailed code', () => {
  it('creates the account on the first code, with a Lax __Host- session cookie, then signs in again', async () => {
    const first = await signUp();
    expect(first.body.account_created).toBe(true);
    expect(first.setCookie).toMatch(/^__Host-guichet-session=gcs_[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax; Max-Age=2592000$/);
    const again = await signUp(first.email);
    expect(again.body.account_created).toBe(false);
    expect(again.cookie).not.toBe(first.cookie);

    const account = await request('/api/v1/account', { headers: { cookie: again.cookie } });
    expect(account.status).toBe(200);
    expect(account.headers.get('cache-control')).toBe('private, no-store');
    expect(account.headers.get('vary')).toBe('Cookie');
    expect(await account.json()).toMatchObject({ email: first.email, name: null, favourite_offices: [] });

    const history = await (await request('/api/v1/account/history', { headers: { cookie: again.cookie } })).json() as { items: Array<{ kind: string; where: string }> };
    expect(history.items.map((h) => h.kind)).toEqual(['sign_in.code', 'sign_in.code', 'account.created']);
    expect(new Set(history.items.map((h) => h.where))).toEqual(new Set(['sur le site']));
  });

  it('stores neither the code nor the session secret', async () => {
    const { attempt, code } = await askCode(address());
    const stored = await d1.prepare('SELECT * FROM sign_in_attempts WHERE id = ?').bind(attempt).first<Record<string, unknown>>();
    expect(JSON.stringify(stored)).not.toContain(code);
    const signedIn = await post('/sign-in', { attempt, code });
    const secret = signedIn.headers.getSetCookie()[0]!.split(';')[0]!.split('=')[1]!;
    const sessions = await d1.prepare('SELECT * FROM customer_sessions').all();
    expect(JSON.stringify(sessions.results)).not.toContain(secret);
  });

  it('answers the same, and sends a code, whether or not the address has an account', async () => {
    const known = (await signUp()).email;
    const a = await post('/sign-in/codes', { email: known });
    const b = await post('/sign-in/codes', { email: address('nouveau') });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(Object.keys(await a.json() as object).sort()).toEqual(Object.keys(await b.json() as object).sort());
  });
});

describe('refusals', () => {
  it('a malformed address or code, with French reasons (400)', async () => {
    const bad = await post('/sign-in/codes', { email: 'camille@' });
    expect(bad.status).toBe(400);
    expect((await bad.json() as { invalid_params: Array<{ name: string; reason: string }> }).invalid_params[0]).toMatchObject({ name: 'email', reason: expect.stringContaining('mal formée') });
    expect((await post('/sign-in/codes', { email: `${'a'.repeat(250)}@exemple.fr` })).status).toBe(400);
    expect((await post('/sign-in/codes', { email: 'a@b.fr', extra: 1 })).status).toBe(400);
    const { attempt } = await askCode(address());
    const code = await post('/sign-in', { attempt, code: '12a456' });
    expect(code.status).toBe(400);
    expect(JSON.stringify(await code.json())).toContain('6 chiffres');
    expect((await post('/sign-in', { attempt: 'sia_nope', code: '123456' })).status).toBe(400);
  });

  it('a call from another origin (403), and without a session (401)', async () => {
    expect((await post('/sign-in/codes', { email: address() }, { origin: 'https://evil.example' })).status).toBe(403);
    const { cookie } = await signUp();
    expect((await request('/api/v1/account', { method: 'DELETE', headers: { cookie, origin: 'https://evil.example' } })).status).toBe(403);
    expect((await request('/api/v1/account', { method: 'DELETE', headers: { cookie } })).status).toBe(403);
    expect((await request('/api/v1/account')).status).toBe(401);
    expect((await request('/api/v1/account', { headers: { cookie: '__Host-guichet-session=gcs_forged' } })).status).toBe(401);
  });

  it('five wrong guesses, even concurrent ones, spend the code; then the right one fails too', async () => {
    const { attempt, code } = await askCode(address());
    const wrong = code === '000000' ? '111111' : '000000';
    const statuses = await Promise.all(Array.from({ length: 12 }, () => post('/sign-in', { attempt, code: wrong }).then((r) => r.status)));
    expect(statuses.every((s) => s === 401)).toBe(true);
    const row = await d1.prepare('SELECT guesses FROM sign_in_attempts WHERE id = ?').bind(attempt).first<{ guesses: number }>();
    expect(row!.guesses).toBe(5);
    expect((await post('/sign-in', { attempt, code })).status).toBe(401);
  });

  it('a right code sent twice at once opens one session only', async () => {
    const email = address();
    const { attempt, code } = await askCode(email);
    const statuses = await Promise.all(Array.from({ length: 6 }, () => post('/sign-in', { attempt, code }).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    const id = (await db().select().from(customers).where(eq(customers.email, email)).get())!.id;
    expect((await rowsOf(id)).customer_sessions).toBe(1);
  });

  it('keeps the per-address limit under a burst of 20 concurrent requests: 5 codes, 15 refusals', async () => {
    const email = address('rafale');
    const statuses = await Promise.all(Array.from({ length: 20 }, () => post('/sign-in/codes', { email }).then((r) => r.status)));
    expect(statuses.filter((s) => s === 202)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
  });

  it('limits codes per address: the sixth within an hour is refused (429)', async () => {
    const email = address('limite');
    for (let i = 0; i < 5; i++) expect((await post('/sign-in/codes', { email })).status).toBe(202);
    const sixth = await post('/sign-in/codes', { email });
    expect(sixth.status).toBe(429);
    expect(sixth.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('the account’s data', () => {
  it('exports everything as JSON, then deletes the account completely', async () => {
    const { email, cookie } = await signUp();
    const id = (await db().select().from(customers).where(eq(customers.email, email)).get())!.id;
    const exported = await request('/api/v1/account/export', { method: 'POST', headers: { cookie, origin: SITE } });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toContain('attachment');
    const data = await exported.json() as { account: { email: string }; history: unknown[]; sessions: unknown[] };
    expect(data.account.email).toBe(email);
    expect(data.sessions).toHaveLength(1);
    expect(data.history.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(data)).not.toMatch(/counter_?salt|secret_hash|csrf/i);

    const deleted = await request('/api/v1/account', { method: 'DELETE', headers: { cookie, origin: SITE } });
    expect(deleted.status).toBe(204);
    expect(deleted.headers.get('set-cookie')).toContain('Max-Age=0');
    expect(await db().select().from(customers).where(eq(customers.id, id)).get()).toBeUndefined();
    expect(Object.values(await rowsOf(id)).every((n) => n === 0)).toBe(true);
    expect(await outboxFor(d1, email)).toEqual([]);
    expect((await d1.prepare('SELECT count(*) AS n FROM sign_in_attempts WHERE email = ?').bind(email).first<{ n: number }>())!.n).toBe(0);
    expect((await request('/api/v1/account', { headers: { cookie } })).status).toBe(401);
  });

  it('signs out of every device', async () => {
    const { email, cookie } = await signUp();
    const other = await signUp(email);
    const out = await post('/sign-out', { everywhere: true }, { cookie });
    expect(out.status).toBe(204);
    expect((await request('/api/v1/account', { headers: { cookie: other.cookie } })).status).toBe(401);
  });
});

describe('racing the deletion', () => {
  it('leaves nothing behind when favourites are added while the account is deleted', async () => {
    const { email, cookie } = await signUp();
    const id = (await db().select().from(customers).where(eq(customers.email, email)).get())!.id;
    const offices = (await d1.prepare('SELECT id FROM locations LIMIT 12').all<{ id: string }>()).results.map((r) => r.id);
    await Promise.allSettled([
      ...offices.map((office) => addFavourite(db(), id, office, new Date())),
      request('/api/v1/account', { method: 'DELETE', headers: { cookie, origin: SITE } }),
    ]);
    expect(await db().select().from(customers).where(eq(customers.id, id)).get()).toBeUndefined();
    expect(Object.values(await rowsOf(id)).every((n) => n === 0)).toBe(true);
  });

  it('keeps the favourites limit under concurrent additions', async () => {
    const { email } = await signUp();
    const id = (await db().select().from(customers).where(eq(customers.email, email)).get())!.id;
    const offices = (await d1.prepare('SELECT id FROM locations LIMIT 16').all<{ id: string }>()).results.map((r) => r.id);
    const results = await Promise.all(offices.map((office) => addFavourite(db(), id, office, new Date())));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect((await rowsOf(id)).customer_favourites).toBe(10);
    const added = (await d1.prepare("SELECT count(*) AS n FROM customer_history WHERE customer_id = ? AND kind = 'favourite.added'").bind(id).first<{ n: number }>())!.n;
    expect(added).toBe(10);
  });
});

describe('inactive accounts', () => {
  const DAY = 24 * 3600_000;
  const insert = async (lastActive: Date, warned: Date | null) => {
    const id = `cus_${crypto.randomUUID()}`;
    const email = address('inactif');
    // No quiet hours for these customers: the warning is delivered at once, whatever the time of the test.
    await db().insert(customers).values({
      id, email, counterSalt: 'x', createdAt: lastActive.toISOString(), lastActiveAt: lastActive.toISOString(),
      inactivityWarnedAt: warned?.toISOString() ?? null, quietStart: '00:00', quietEnd: '00:00',
    });
    return { id, email };
  };

  it('warns by email 30 days before the 2 years, then deletes, and never warns twice', async () => {
    const now = new Date();
    const warnMe = await insert(new Date(now.getTime() - 701 * DAY), null);
    const keepMe = await insert(new Date(now.getTime() - 600 * DAY), null);
    const deleteMe = await insert(new Date(now.getTime() - 731 * DAY), new Date(now.getTime() - 31 * DAY));
    const tooSoon = await insert(new Date(now.getTime() - 731 * DAY), new Date(now.getTime() - 3 * DAY));
    await sweepInactiveAccounts(db(), now, (env as unknown as { MESSAGES: Queue }).MESSAGES);
    const exists = async (id: string) => Boolean(await db().select().from(customers).where(eq(customers.id, id)).get());
    expect(await exists(deleteMe.id)).toBe(false);
    expect(await exists(tooSoon.id)).toBe(true);
    expect(await exists(keepMe.id)).toBe(true);
    await vi.waitUntil(async () => (await outboxFor(d1, warnMe.email)).length > 0, { timeout: 15_000, interval: 50 });
    const [warning] = await outboxFor(d1, warnMe.email);
    expect(warning!.subject).toContain('30 jours');
    expect(await outboxFor(d1, keepMe.email)).toEqual([]);
    await sweepInactiveAccounts(db(), now, (env as unknown as { MESSAGES: Queue }).MESSAGES);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await outboxFor(d1, warnMe.email)).toHaveLength(1);
    void sql;
  });
});
