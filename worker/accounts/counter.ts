/**
 * @module
 * The counter recognises a customer who consents: their signed-in phone
 * shows a rotating code (counter-code.ts); a clerk of the office types or
 * scans it, which opens a 15-minute counter session at that office. The
 * code's secret is HMAC(ACCOUNT_KEY, counter salt): neither the account id
 * nor a copy of the tables gives it. The phone records a digest of the code
 * it shows (`counter_codes`), so the clerk's code finds its account by one
 * lookup, not by trying every account's secret. Every session is written
 * in the customer's history and in the staff audit, in the batch that
 * opens it.
 */
import { and, eq, gt, gte, isNull, lt, lte, sql } from 'drizzle-orm';
import { counterCodes, counterSessions, customers, staffAudit, type CustomerRow } from '../../db/schema';
import type { Database } from '../database';
import { findLocation } from '../locations/queries';
import type { Staff } from '../staff/tokens';
import {
  acceptedSteps, formatCode, hotp, qrPayload, qrSvg, readClerkInput, secondsToNextStep, stepOf, validUntil,
} from './counter-code';
import { historyInsert } from './history';
import { accountMac } from './key';

/** A counter session ends after 15 minutes, unless the clerk ends it before. */
export const COUNTER_SESSION_MS = 15 * 60_000;
/** Codes that opened nothing, per clerk: at most 10 in 5 minutes. */
export const REFUSED_CODES_LIMIT = 10;
export const REFUSED_CODES_WINDOW_MS = 5 * 60_000;

const hexBytes = (hex: string) => Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16));

/** The account's code secret: needs the Worker's ACCOUNT_KEY and the account's random salt. */
const codeSecret = async (db: Database, customer: Pick<CustomerRow, 'counterSalt'>) =>
  hexBytes(await accountMac(db, 'counter-secret', customer.counterSalt));

/** Tells apart accounts showing the same code in a step; changes every step, so it follows nobody. */
const handleOf = async (db: Database, customer: Pick<CustomerRow, 'counterSalt'>, step: number) =>
  (await accountMac(db, 'counter-handle', customer.counterSalt, String(step))).slice(0, 8).toUpperCase();

/**
 * The row key of a shown code: `<digest of step and code>.<handle>`. All
 * accounts showing one code in one step share the part before the dot, so
 * a typed code finds them all (and sees an ambiguity) by one range read of
 * the primary key; a QR code names its row exactly.
 */
const codeDigest = (db: Database, step: number, code: string) => accountMac(db, 'counter-code', String(step), code);
const rowKey = (digest: string, handle: string) => `${digest}.${handle}`;
/** `/` sorts right after `.`: [`digest.`, `digest/`) holds every row of that digest. */
const rowsOfDigest = (digest: string) => and(gte(counterCodes.digest, `${digest}.`), lt(counterCodes.digest, `${digest}/`));

export interface ShownCounterCode {
  /** Eight digits. */
  code: string;
  /** As read aloud: "1234 5678". */
  spoken: string;
  /** The QR code, inline SVG with an accessible name. */
  qrSvg: string;
  /** When the clerk's office stops accepting it, and that instant as HH:MM:SS in the customer's time zone. */
  validUntil: Date;
  validUntilText: string;
  /** Seconds until the next code: the page reloads itself then. */
  refreshSeconds: number;
}

/**
 * The code the customer's phone shows now. Showing it is the consent: it
 * records the code's digest (a minute at most) so that a clerk can use it;
 * spent and expired rows go in the same batch.
 */
export async function showCounterCode(db: Database, customer: CustomerRow, now: Date): Promise<ShownCounterCode> {
  // A code used at a counter is never shown again: after a use in this step, the next step's code (valid as soon as it begins).
  const step = customer.counterUsedStep !== null && customer.counterUsedStep >= stepOf(now) ? customer.counterUsedStep + 1 : stepOf(now);
  const code = await hotp(await codeSecret(db, customer), step);
  const handle = await handleOf(db, customer, step);
  const until = validUntil(step);
  await db.batch([
    db.delete(counterCodes).where(lte(counterCodes.expiresAt, now.toISOString())),
    db.insert(counterCodes).values({ digest: rowKey(await codeDigest(db, step, code), handle), customerId: customer.id, expiresAt: until.toISOString() })
      .onConflictDoNothing(),
  ]);
  const validUntilText = new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: customer.timeZone }).format(until);
  return {
    code,
    spoken: formatCode(code),
    qrSvg: qrSvg(qrPayload(step, code, handle), `QR code à présenter au guichet, valable jusqu’à ${validUntilText}`),
    validUntil: until,
    validUntilText,
    refreshSeconds: secondsToNextStep(now),
  };
}

/** Why a staff member may not use the counter, or nothing when they may: the `counter` role, scoped to one office. */
export function counterRefusal(staff: Staff): 'role' | 'scope' | undefined {
  if (staff.role !== 'counter') return 'role';
  if (staff.scopeType !== 'office' || !staff.scopeValue) return 'scope';
  return undefined;
}

export interface CounterSessionView {
  id: string;
  /** The customer's name, null when the account has none. */
  customerName: string | null;
  locationId: string;
  locationName: string;
  expiresAt: string;
  /** The end as HH:MM in the office's time zone. */
  endsAtText: string;
}

const clockText = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat('fr-FR', { hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(iso));

export type CounterOpening =
  | { ok: true; session: CounterSessionView }
  | { ok: false; problem: 'forbidden'; why: 'role' | 'scope' }
  /** Not 8 digits nor a QR payload: a typing slip, not counted. */
  | { ok: false; problem: 'unreadable' }
  /** Unknown, expired or already used: the same answer, so it never tells whether an account exists. */
  | { ok: false; problem: 'unknown' }
  /** Two accounts show this code now: the QR code tells them apart. */
  | { ok: false; problem: 'ambiguous' }
  | { ok: false; problem: 'rate_limited' };

type Claim = { rowKey: string; customerId: string };

/** The rows an input names: exactly one for a QR code in its minute, every match of this or the previous step for a typed code. */
async function candidates(db: Database, input: ReturnType<typeof readClerkInput>, now: Date): Promise<Claim[]> {
  const at = now.toISOString();
  // The next step too: after a use, the phone shows the next step's code at once (showCounterCode).
  const steps = [stepOf(now) + 1, ...acceptedSteps(now)];
  if (input.kind === 'qr') {
    if (!steps.includes(input.step)) return [];
    const key = rowKey(await codeDigest(db, input.step, input.code), input.handle);
    const row = await db.select().from(counterCodes).where(and(eq(counterCodes.digest, key), gt(counterCodes.expiresAt, at))).get();
    return row ? [{ rowKey: row.digest, customerId: row.customerId }] : [];
  }
  if (input.kind !== 'code') return [];
  const found: Claim[] = [];
  for (const step of steps) {
    const rows = await db.select().from(counterCodes)
      .where(and(rowsOfDigest(await codeDigest(db, step, input.code)), gt(counterCodes.expiresAt, at)));
    found.push(...rows.map((row) => ({ rowKey: row.digest, customerId: row.customerId })));
  }
  return found;
}

/**
 * Reserves one guess for the clerk, or refuses (the limit is reached), in
 * one statement: a burst of concurrent guesses cannot count them all as
 * under the limit. A guess that opens a session gives its reservation back.
 */
async function reserveGuess(db: Database, staff: Staff, now: Date): Promise<number | undefined> {
  const since = new Date(now.getTime() - REFUSED_CODES_WINDOW_MS).toISOString();
  const row = await db.$client.prepare(
    `INSERT INTO staff_audit (actor_id, actor_name, action, location_id, subject, at)
     SELECT ?1, ?2, 'counter.refused', ?3, NULL, ?4
     WHERE (SELECT count(*) FROM staff_audit WHERE actor_id = ?1 AND action = 'counter.refused' AND at > ?5) < ?6
     RETURNING seq`,
  ).bind(staff.id, staff.name, staff.scopeValue, now.toISOString(), since, REFUSED_CODES_LIMIT).first<{ seq: number }>();
  return row?.seq;
}

/**
 * A clerk's code (typed, or a scanned QR payload) opens a counter session
 * at the clerk's office. The code is single use: its row is taken by one
 * conditional delete, so two clerks typing it at once cannot both open a
 * session. Codes that open nothing are counted per clerk.
 */
export async function openCounterSession(db: Database, staff: Staff, text: string, now: Date): Promise<CounterOpening> {
  const refused = counterRefusal(staff);
  if (refused) return { ok: false, problem: 'forbidden', why: refused };
  const location = await findLocation(db, staff.scopeValue!);
  if (!location) return { ok: false, problem: 'forbidden', why: 'scope' };
  const input = readClerkInput(text.slice(0, 100));
  if (input.kind === 'unreadable') return { ok: false, problem: 'unreadable' };
  const guess = await reserveGuess(db, staff, now);
  if (guess === undefined) return { ok: false, problem: 'rate_limited' };

  const found = await candidates(db, input, now);
  const customerIds = new Set(found.map((c) => c.customerId));
  if (customerIds.size !== 1) return { ok: false, problem: customerIds.size > 1 ? 'ambiguous' : 'unknown' };
  const claimed = await db.delete(counterCodes)
    .where(and(eq(counterCodes.digest, found[0]!.rowKey), gt(counterCodes.expiresAt, now.toISOString())))
    .returning({ customerId: counterCodes.customerId });
  const customerId = claimed[0]?.customerId;
  const customer = customerId && await db.select().from(customers).where(eq(customers.id, customerId)).get();
  if (!customer) return { ok: false, problem: 'unknown' };

  const id = `ctr_${crypto.randomUUID()}`;
  const at = now.toISOString();
  const expiresAt = new Date(now.getTime() + COUNTER_SESSION_MS).toISOString();
  const stillOpen = await openSessionsOf(db, staff, now);
  await db.batch([
    // One customer at a time per clerk: a new session ends the clerk's previous one.
    db.update(counterSessions).set({ closedAt: at }).where(and(eq(counterSessions.staffId, staff.id), isNull(counterSessions.closedAt), gt(counterSessions.expiresAt, at))),
    ...stillOpen.map((previous) => closeEntry(db, staff, previous, now)),
    // The customer's other live codes go too, and this step's code cannot be shown again: each showing opens one session.
    db.delete(counterCodes).where(eq(counterCodes.customerId, customer.id)),
    db.update(customers).set({ counterUsedStep: stepOf(now) }).where(eq(customers.id, customer.id)),
    // The guess opened a session: it does not count against the clerk.
    db.delete(staffAudit).where(eq(staffAudit.seq, guess)),
    db.insert(counterSessions).values({ id, customerId: customer.id, staffId: staff.id, locationId: location.id, openedAt: at, expiresAt }),
    historyInsert(db, { customerId: customer.id, kind: 'counter.visit', at: now, where: { channel: 'counter', locationId: location.id, locationName: location.name } }),
    db.insert(staffAudit).values({ actorId: staff.id, actorName: staff.name, action: 'counter.open', locationId: location.id, subject: id, at }),
  ]);
  return {
    ok: true,
    session: { id, customerName: customer.name, locationId: location.id, locationName: location.name, expiresAt, endsAtText: clockText(expiresAt, location.timeZone) },
  };
}

const openSessionsOf = (db: Database, staff: Staff, now: Date) =>
  db.select({ id: counterSessions.id, locationId: counterSessions.locationId }).from(counterSessions)
    .where(and(eq(counterSessions.staffId, staff.id), isNull(counterSessions.closedAt), gt(counterSessions.expiresAt, now.toISOString())));

const closeEntry = (db: Database, staff: Staff, session: { id: string; locationId: string }, now: Date) =>
  db.insert(staffAudit).values({ actorId: staff.id, actorName: staff.name, action: 'counter.close', locationId: session.locationId, subject: session.id, at: now.toISOString() });

/** The clerk's open counter session (at most one; none once it ended or passed 15 minutes). */
export async function currentCounterSession(db: Database, staff: Staff, now: Date): Promise<CounterSessionView | undefined> {
  if (counterRefusal(staff)) return undefined;
  const row = await db.select({ session: counterSessions, name: customers.name }).from(counterSessions)
    .innerJoin(customers, eq(customers.id, counterSessions.customerId))
    .where(and(
      eq(counterSessions.staffId, staff.id), eq(counterSessions.locationId, staff.scopeValue!),
      isNull(counterSessions.closedAt), gt(counterSessions.expiresAt, now.toISOString()),
    ))
    .get();
  if (!row) return undefined;
  const location = await findLocation(db, row.session.locationId);
  return {
    id: row.session.id, customerName: row.name, locationId: row.session.locationId,
    locationName: location?.name ?? row.session.locationId, expiresAt: row.session.expiresAt,
    endsAtText: clockText(row.session.expiresAt, location?.timeZone ?? 'Europe/Paris'),
  };
}

/** What the clerk's page shows: their office and their open session, or why they may not use the counter. */
export async function counterDesk(db: Database, staff: Staff, now: Date): Promise<
  { ok: true; office: { id: string; name: string }; session: CounterSessionView | undefined } | { ok: false; why: 'role' | 'scope' }
> {
  const refused = counterRefusal(staff);
  if (refused) return { ok: false, why: refused };
  const office = await findLocation(db, staff.scopeValue!);
  if (!office) return { ok: false, why: 'scope' };
  return { ok: true, office: { id: office.id, name: office.name }, session: await currentCounterSession(db, staff, now) };
}

/** The clerk ends their session (only their own, only while open); the audit records it. Answers whether one was ended. */
export async function closeCounterSession(db: Database, staff: Staff, sessionId: string, now: Date): Promise<boolean> {
  const at = now.toISOString();
  const open = and(eq(counterSessions.id, sessionId), eq(counterSessions.staffId, staff.id), isNull(counterSessions.closedAt), gt(counterSessions.expiresAt, at));
  const row = await db.select({ id: counterSessions.id, locationId: counterSessions.locationId }).from(counterSessions).where(open).get();
  if (!row) return false;
  // The close and its audit entry in one batch; the entry is written only if this batch closed it.
  const [ended] = await db.batch([
    db.update(counterSessions).set({ closedAt: at }).where(open).returning({ id: counterSessions.id }),
    db.insert(staffAudit).select(
      db.select({
        seq: sql<number>`NULL`.as('seq'), actorId: sql<string>`${staff.id}`.as('actor_id'), actorName: sql<string>`${staff.name}`.as('actor_name'),
        action: sql<'counter.close'>`'counter.close'`.as('action'), locationId: sql<string>`${row.locationId}`.as('location_id'),
        subject: counterSessions.id, at: sql<string>`${at}`.as('at'),
      }).from(counterSessions).where(and(eq(counterSessions.id, sessionId), eq(counterSessions.closedAt, at))),
    ),
  ]);
  return ended.length > 0;
}
