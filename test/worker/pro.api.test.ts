/**
 * Professional accounts through the API on a real D1: a valid SIRET marks
 * the account professional (read back, changed, removed), an invalid one
 * is a 400 naming `siret` and writes nothing; the answers are personal,
 * and another site cannot mark an account (Origin).
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { customers } from '../../db/schema';
import { openCustomerSession } from '../../worker/accounts/sessions';
import { request } from './http-client';
import { db } from './seed';

const SITE = 'http://localhost:8787';
let serial = 0;

async function newCustomer() {
  const at = new Date().toISOString();
  const id = `cus_${crypto.randomUUID()}`;
  await db().insert(customers).values({ id, email: `pro.${Date.now()}.${serial++}@exemple.fr`, counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at });
  const { cookie } = await openCustomerSession(db(), { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
  return { id, cookie: cookie.split(';')[0]! };
}

const put = (who: { cookie: string }, body: unknown, origin = SITE) =>
  request('/api/v1/account/pro', { method: 'PUT', headers: { 'content-type': 'application/json', origin, cookie: who.cookie }, body: JSON.stringify(body) });
const rows = async () => (await db().all<{ n: number }>(sql`select count(*) as n from pro_profiles`))[0]!.n;

describe('professional account', () => {
  it('is set with a valid SIRET (spaces allowed), read back, changed, and removed', async () => {
    const who = await newCustomer();
    expect((await request('/api/v1/account/pro', { headers: { cookie: who.cookie } })).status).toBe(404);
    // 443 061 841 00047: a real establishment’s SIRET (its Luhn key checks, verified outside this code).
    const created = await put(who, { siret: '443 061 841 00047', company: '  Atelier   Dupont ' });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('private, no-store');
    expect(await created.json()).toMatchObject({ siret: '44306184100047', siren: '443061841', company: 'Atelier Dupont' });
    const read = await request('/api/v1/account/pro', { headers: { cookie: who.cookie } });
    expect(read.status).toBe(200);
    expect(read.headers.get('cache-control')).toBe('private, no-store');
    expect((await put(who, { siret: '44306184100047', company: 'Atelier Dupont & fils' })).status).toBe(200);
    const history = JSON.stringify(await (await request('/api/v1/account/history', { headers: { cookie: who.cookie } })).json());
    expect(history).toContain('Compte professionnel enregistré');
    // No personal data in the history's details: neither the SIRET nor the company.
    expect(history).not.toContain('44306184100047');
    expect(history).not.toContain('Atelier');
    expect((await request('/api/v1/account/pro', { method: 'DELETE', headers: { origin: SITE, cookie: who.cookie } })).status).toBe(204);
    expect((await request('/api/v1/account/pro', { headers: { cookie: who.cookie } })).status).toBe(404);
    expect((await request('/api/v1/account/pro', { method: 'DELETE', headers: { origin: SITE, cookie: who.cookie } })).status).toBe(204);
  });

  it('refuses an invalid SIRET or company, naming the field, and writes nothing', async () => {
    const who = await newCustomer();
    const before = await rows();
    for (const [body, field] of [
      [{ siret: '44306184100048', company: 'X' }, 'siret'],
      [{ siret: '4430618410004', company: 'X' }, 'siret'],
      [{ siret: '4430618410004A', company: 'X' }, 'siret'],
      [{ siret: '000 000 000 00000', company: 'X' }, 'siret'],
      // 443 061 842 (the SIREN's last digit changed) completed with a good 14-digit key: the SIREN's own key refuses it.
      [{ siret: '44306184200003', company: 'X' }, 'siret'],
      [{ siret: '44306184100047', company: '   ' }, 'company'],
      [{ siret: 44306184100047, company: 'X' }, 'siret'],
      [{ company: 'X' }, 'siret'],
    ] as const) {
      const response = await put(who, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const problem = await response.json() as { invalid_params: Array<{ name: string; reason: string }> };
      expect(problem.invalid_params.map((p) => p.name)).toEqual([field]);
      expect(problem.invalid_params[0]!.reason.length).toBeGreaterThan(5);
    }
    expect(await rows()).toBe(before);
  });

  it('needs a session, and the site’s own origin to change it', async () => {
    const who = await newCustomer();
    expect((await request('/api/v1/account/pro')).status).toBe(401);
    expect((await put(who, { siret: '44306184100047', company: 'X' }, 'https://evil.example')).status).toBe(403);
    expect(await db().all(sql`select 1 from pro_profiles where customer_id = ${who.id}`)).toEqual([]);
  });
});
