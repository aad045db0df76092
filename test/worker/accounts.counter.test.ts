/**
 * Recognition at the counter on a real D1: the code a customer's page
 * shows opens a 15-minute session at the clerk's office, once, within a
 * minute; history and staff audit are written; a counter token changes no
 * hours.
 */
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { counterCodes, counterSessions, customerHistory, customers, staffAudit } from '../../db/schema';
import {
  closeCounterSession, counterDesk, currentCounterSession, openCounterSession, showCounterCode,
} from '../../worker/accounts/counter';
import { historyOf } from '../../worker/accounts/history';
import { randomSecret } from '../../worker/http/crypto';
import { findStaffByToken, type Staff } from '../../worker/staff/tokens';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { bearer, token } from './staff';

const sample = demoSample(200);
const offices = sample.filter((l) => l.type === 'post_office');
const office = offices[0]!;
const otherOffice = offices.find((l) => l.department !== office.department)!;

/** A customer as sign-up creates one (the row only: these tests are about the counter). */
async function customer(name: string | null = 'Camille Martin') {
  const now = new Date().toISOString();
  const row = { id: `cus_${crypto.randomUUID()}`, email: `${crypto.randomUUID()}@exemple.fr`, name, counterSalt: randomSecret(), createdAt: now, lastActiveAt: now };
  await db().insert(customers).values(row);
  return (await db().select().from(customers).where(eq(customers.id, row.id)).get())!;
}

async function clerk(scopeType: Staff['scopeType'] = 'office', scopeValue: string | null = office.id, role: Staff['role'] = 'counter'): Promise<Staff> {
  const secret = await token(role, scopeType, scopeValue, `Guichet ${crypto.randomUUID().slice(0, 8)}`);
  return (await findStaffByToken(db(), secret, new Date().toISOString()))!;
}

/** The start of a 30-second step, a little in the future so every test has its own steps. */
let nextStart = Math.ceil(Date.now() / 30_000) * 30_000 + 30_000;
const freshStep = () => {
  nextStart += 10 * 30_000;
  return nextStart;
};
const at = (ms: number) => new Date(ms);

beforeAll(async () => {
  await load(sample);
});

describe('opening a counter session with the customer’s code', () => {
  it('opens with the code shown in this step, and writes the history and the audit', async () => {
    const t = freshStep();
    const person = await customer();
    const staff = await clerk();
    const shown = await showCounterCode(db(), person, at(t + 5_000));
    expect(shown.code).toMatch(/^\d{8}$/);
    expect(shown.spoken).toBe(`${shown.code.slice(0, 4)} ${shown.code.slice(4)}`);
    expect(shown.validUntil.getTime()).toBe(t + 60_000);
    expect(shown.refreshSeconds).toBe(25);

    const opened = await openCounterSession(db(), staff, shown.spoken, at(t + 12_000));
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(opened.session).toMatchObject({ customerName: 'Camille Martin', locationId: office.id, locationName: office.name });
    expect(opened.session.expiresAt).toBe(new Date(t + 12_000 + 15 * 60_000).toISOString());

    const history = await historyOf(db(), person.id);
    expect(history[0]).toMatchObject({ kind: 'counter.visit', channel: 'counter', locationId: office.id, where: `au guichet de ${office.name}` });
    const audit = await db().select().from(staffAudit).where(eq(staffAudit.subject, opened.session.id)).all();
    expect(audit).toEqual([expect.objectContaining({ actorId: staff.id, actorName: staff.name, action: 'counter.open', locationId: office.id })]);
    // The audit names the session, never the customer.
    expect(JSON.stringify(audit)).not.toContain(person.id);
    expect(JSON.stringify(audit)).not.toContain(person.email);
  });

  it('opens with the previous step’s code, and refuses it one step later', async () => {
    const t = freshStep();
    const staff = await clerk();
    const early = await showCounterCode(db(), await customer(), at(t + 29_000));
    expect((await openCounterSession(db(), staff, early.code, at(t + 59_999))).ok).toBe(true);

    const late = await showCounterCode(db(), await customer(), at(t));
    expect(await openCounterSession(db(), staff, late.code, at(t + 60_000))).toEqual({ ok: false, problem: 'unknown' });
  });

  it('opens with the QR payload, and refuses a QR code older than a minute', async () => {
    const t = freshStep();
    const staff = await clerk();
    const person = await customer('Inès Durand');
    const shown = await showCounterCode(db(), person, at(t + 1_000));
    const payload = await payloadOf(person.id, shown.code, t);
    expect(await openCounterSession(db(), staff, payload, at(t + 60_000))).toEqual({ ok: false, problem: 'unknown' });
    const again = await showCounterCode(db(), person, at(t + 61_000));
    const fresh = await payloadOf(person.id, again.code, t + 60_000);
    const opened = await openCounterSession(db(), staff, fresh.toLowerCase(), at(t + 62_000));
    expect(opened.ok && opened.session.customerName).toBe('Inès Durand');
  });

  it('is single use, even for a code typed twice at once', async () => {
    const t = freshStep();
    const person = await customer();
    const shown = await showCounterCode(db(), person, at(t));
    const [first, second] = await Promise.all([
      openCounterSession(db(), await clerk(), shown.code, at(t + 1_000)),
      openCounterSession(db(), await clerk(), shown.code, at(t + 1_000)),
    ]);
    expect([first.ok, second.ok].sort()).toEqual([false, true]);
    expect(await openCounterSession(db(), await clerk(), shown.code, at(t + 2_000))).toEqual({ ok: false, problem: 'unknown' });
    expect(await db().select().from(counterSessions).where(eq(counterSessions.customerId, person.id)).all()).toHaveLength(1);
  });

  it('keeps no code in clear, and codes differ between accounts', async () => {
    const t = freshStep();
    const [a, b] = [await customer(), await customer()];
    const shownA = await showCounterCode(db(), a, at(t));
    const shownB = await showCounterCode(db(), b, at(t));
    expect(shownA.code).not.toBe(shownB.code);
    const rows = await db().select().from(counterCodes).where(eq(counterCodes.customerId, a.id)).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.digest).not.toContain(shownA.code);
    expect(rows[0]!.digest).not.toContain(a.id);
    // Showing the page again in the same step adds nothing.
    await showCounterCode(db(), a, at(t + 10_000));
    expect(await db().select().from(counterCodes).where(eq(counterCodes.customerId, a.id)).all()).toHaveLength(1);
  });

  it('asks for the QR code when two accounts show the same code', async () => {
    const t = freshStep();
    const [a, b] = [await customer('Premier'), await customer('Second')];
    const shown = await showCounterCode(db(), a, at(t));
    const [row] = await db().select().from(counterCodes).where(eq(counterCodes.customerId, a.id)).all();
    // The same code in the same step for another account: same digest, another handle.
    await db().insert(counterCodes).values({ digest: `${row!.digest.split('.')[0]}.0000BEEF`, customerId: b.id, expiresAt: row!.expiresAt });
    const staff = await clerk();
    expect(await openCounterSession(db(), staff, shown.code, at(t + 1_000))).toEqual({ ok: false, problem: 'ambiguous' });
    const byQr = await openCounterSession(db(), staff, await payloadOf(a.id, shown.code, t), at(t + 2_000));
    expect(byQr.ok && byQr.session.customerName).toBe('Premier');
  });

  it('says the same for a wrong code and an unknown format leaves no trace', async () => {
    const t = freshStep();
    const staff = await clerk();
    expect(await openCounterSession(db(), staff, '12345678', at(t))).toEqual({ ok: false, problem: 'unknown' });
    expect(await openCounterSession(db(), staff, '1234', at(t))).toEqual({ ok: false, problem: 'unreadable' });
    const refused = await db().select().from(staffAudit).where(and(eq(staffAudit.actorId, staff.id), eq(staffAudit.action, 'counter.refused'))).all();
    expect(refused).toHaveLength(1);
  });

  it('stops a clerk after 10 refused codes in 5 minutes, even with a right code', async () => {
    const t = freshStep();
    const staff = await clerk();
    for (let i = 0; i < 10; i++) {
      expect(await openCounterSession(db(), staff, String(10_000_000 + i), at(t + i * 1000))).toEqual({ ok: false, problem: 'unknown' });
    }
    const shown = await showCounterCode(db(), await customer(), at(t + 11_000));
    expect(await openCounterSession(db(), staff, shown.code, at(t + 12_000))).toEqual({ ok: false, problem: 'rate_limited' });
    // Another clerk is not held back, and five minutes after the first refusal the clerk may go on.
    expect((await openCounterSession(db(), await clerk(), shown.code, at(t + 12_000))).ok).toBe(true);
    const later = await showCounterCode(db(), await customer(), at(t + 300_500));
    expect((await openCounterSession(db(), staff, later.code, at(t + 301_000))).ok).toBe(true);
  });
});

describe('against a clerk guessing', () => {
  it('checks 10 codes at most from a burst of 30 concurrent guesses', async () => {
    const t = freshStep();
    const staff = await clerk();
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => openCounterSession(db(), staff, String(20_000_000 + i), at(t + 1_000))));
    const problems = outcomes.map((o) => (o.ok ? 'opened' : o.problem));
    expect(problems.filter((p) => p === 'unknown')).toHaveLength(10);
    expect(problems.filter((p) => p === 'rate_limited')).toHaveLength(20);
  });

  it('never shows a used code again: the page moves on to the next code at once', async () => {
    const t = freshStep();
    const person = await customer();
    const shown = await showCounterCode(db(), person, at(t + 1_000));
    expect((await openCounterSession(db(), await clerk(), shown.code, at(t + 2_000))).ok).toBe(true);
    const again = await showCounterCode(db(), (await db().select().from(customers).where(eq(customers.id, person.id)).get())!, at(t + 3_000));
    expect(again.code).not.toBe(shown.code);
    expect(await openCounterSession(db(), await clerk(), shown.code, at(t + 4_000))).toEqual({ ok: false, problem: 'unknown' });
    expect((await openCounterSession(db(), await clerk(), again.code, at(t + 5_000))).ok).toBe(true);
  });
});

describe('the counter session', () => {
  it('is seen only by its clerk at their office, for 15 minutes, until they end it', async () => {
    const t = freshStep();
    const staff = await clerk();
    const person = await customer(null);
    const shown = await showCounterCode(db(), person, at(t));
    const opened = await openCounterSession(db(), staff, shown.code, at(t + 1_000));
    if (!opened.ok) throw new Error(`not opened: ${opened.problem}`);
    expect(opened.session.customerName).toBeNull();

    const desk = await counterDesk(db(), staff, at(t + 2_000));
    expect(desk).toMatchObject({ ok: true, office: { id: office.id, name: office.name }, session: { id: opened.session.id } });
    expect(await currentCounterSession(db(), staff, at(t + 1_000 + 15 * 60_000 - 1))).toBeDefined();
    expect(await currentCounterSession(db(), staff, at(t + 1_000 + 15 * 60_000))).toBeUndefined();

    const colleague = await clerk();
    expect(await currentCounterSession(db(), colleague, at(t + 2_000))).toBeUndefined();
    expect(await closeCounterSession(db(), colleague, opened.session.id, at(t + 2_000))).toBe(false);
    expect(await closeCounterSession(db(), staff, opened.session.id, at(t + 3_000))).toBe(true);
    expect(await currentCounterSession(db(), staff, at(t + 4_000))).toBeUndefined();
    const audit = await db().select().from(staffAudit).where(eq(staffAudit.subject, opened.session.id)).all();
    expect(audit.map((a) => a.action)).toEqual(['counter.open', 'counter.close']);
  });

  it('ends the clerk’s previous session when they open the next one', async () => {
    const t = freshStep();
    const staff = await clerk();
    const first = await openCounterSession(db(), staff, (await showCounterCode(db(), await customer('Un'), at(t))).code, at(t + 1_000));
    const second = await openCounterSession(db(), staff, (await showCounterCode(db(), await customer('Deux'), at(t + 2_000))).code, at(t + 3_000));
    if (!first.ok || !second.ok) throw new Error('not opened');
    expect((await currentCounterSession(db(), staff, at(t + 4_000)))?.customerName).toBe('Deux');
    const closes = await db().select().from(staffAudit).where(and(eq(staffAudit.subject, first.session.id), eq(staffAudit.action, 'counter.close'))).all();
    expect(closes).toHaveLength(1);
  });

  it('cannot be opened outside one office, nor by another role', async () => {
    const t = freshStep();
    const shown = await showCounterCode(db(), await customer(), at(t));
    for (const [staff, why] of [
      [await clerk('department', office.department), 'scope'],
      [await clerk('network', null), 'scope'],
      [await clerk('office', 'ZZ9999'), 'scope'],
      [await clerk('office', office.id, 'exceptions'), 'role'],
      [await clerk('network', null, 'hours'), 'role'],
    ] as const) {
      expect(await openCounterSession(db(), staff, shown.code, at(t + 1_000))).toEqual({ ok: false, problem: 'forbidden', why });
      expect(await counterDesk(db(), staff, at(t + 1_000))).toEqual({ ok: false, why });
    }
    // Still unused: the refusals consumed nothing.
    const opened = await openCounterSession(db(), await clerk('office', otherOffice.id), shown.code, at(t + 2_000));
    expect(opened.ok && opened.session.locationId).toBe(otherOffice.id);
    const [history] = await db().select().from(customerHistory).where(eq(customerHistory.locationId, otherOffice.id)).all();
    expect(history).toMatchObject({ channel: 'counter', locationName: otherOffice.name });
  });
});

describe('a counter token and the hours API', () => {
  it('may not declare an exception, read the audit, nor replace weekly hours (403), where an exceptions token may', async () => {
    const counter = await token('counter', 'office', office.id);
    const exceptions = await token('exceptions', 'office', office.id);
    const hours = `/api/v1/locations/${office.id}/hours`;
    const etag = (await request(hours)).headers.get('etag')!;
    const post = (secret: string) => request(`${hours}/exceptions`, {
      method: 'POST',
      headers: { ...bearer(secret), 'if-match': etag, 'content-type': 'application/json' },
      body: JSON.stringify({ start_date: '2099-06-01', end_date: '2099-06-01', closed: true, reason: 'works' }),
    });
    const refused = await post(counter);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect((await request(`${hours}/audit`, { headers: bearer(counter) })).status).toBe(403);
    const weekly = await request(`${hours}/weekly`, {
      method: 'PUT', headers: { ...bearer(counter), 'if-match': etag, 'content-type': 'application/json' }, body: JSON.stringify({ rules: [] }),
    });
    expect(weekly.status).toBe(403);
    expect((await post(exceptions)).status).toBe(201);
  });
});

/**
 * The QR text as the phone's page draws it, read back from the SVG is not
 * possible without a decoder: it is rebuilt from its documented parts, the
 * handle taken from the stored row (`<digest>.<handle>`).
 */
async function payloadOf(customerId: string, code: string, stepStartMs: number): Promise<string> {
  const rows = await db().select().from(counterCodes).where(eq(counterCodes.customerId, customerId)).all();
  const row = rows.find((r) => Date.parse(r.expiresAt) === stepStartMs + 60_000);
  if (!row) throw new Error('no code shown in that step');
  return `G1-${stepStartMs / 30_000}-${code}-${row.digest.split('.')[1]}`;
}
