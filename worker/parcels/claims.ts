/**
 * @module
 * "Livré mais pas reçu": a signed-in customer who follows a parcel the
 * carrier says was delivered (DI1) or handed over (DI2) opens a claim in
 * one form. They get a reference (`RCL-` and 8 characters nobody misreads
 * on the phone) and the date the answer is due: 21 days later, the period
 * La Poste commits to for answering a claim. One claim per parcel and
 * customer (the unique index): a second submit shows the first. Staff with
 * the `counter` role see the claims on parcels last scanned in their scope.
 *
 * The reference, the due date and the clock are pure functions (no I/O,
 * `now` as a parameter); the rest reads and writes D1.
 */
import { and, eq, sql } from 'drizzle-orm';
import { parcelClaims, type CustomerRow } from '../../db/schema';
import { historyInsertIf } from '../accounts/history';
import type { Database } from '../database';
import { addDays, localParts, parseDay } from '../hours/zoned-time';
import type { Staff } from '../staff/tokens';
import { EVENT_CODES, isKnownCode } from './events';
import { parseTrackingNumber } from './tracking-number';

/** La Poste answers a claim within 21 days. */
export const CLAIM_ANSWER_DAYS = 21;
export const CLAIM_NOTE_MAX = 500;
/** Digits 2–9 and the letters without I, L, O, U: nothing reads as another character, aloud or handwritten. */
export const REFERENCE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
export const REFERENCE_LENGTH = 8;
export const REFERENCE_PATTERN = /^RCL-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{8}$/;
/** The most claims a staff list shows. */
export const STAFF_CLAIMS_LIMIT = 100;

/** A new claim reference; `randomBytes` is the source of randomness (a test may fix it). */
export function claimReference(randomBytes: (count: number) => Uint8Array = (count) => crypto.getRandomValues(new Uint8Array(count))): string {
  const size = REFERENCE_ALPHABET.length;
  // Bytes at or above the largest multiple of the alphabet's size are dropped: every character equally likely.
  const limit = 256 - (256 % size);
  let reference = '';
  while (reference.length < REFERENCE_LENGTH) {
    for (const byte of randomBytes(REFERENCE_LENGTH * 2)) {
      if (byte < limit && reference.length < REFERENCE_LENGTH) reference += REFERENCE_ALPHABET[byte % size];
    }
  }
  return `RCL-${reference}`;
}

/** The local date (`YYYY-MM-DD`, in `timeZone`) the answer is due: 21 calendar days after the day the claim was opened. */
export function claimAnswerDue(openedAt: Date, timeZone: string): string {
  return addDays(localParts(openedAt, timeZone).date, CLAIM_ANSWER_DAYS);
}

/** Whole days from today (in `timeZone`) to `due`: 0 on the day itself, negative once past. */
export function daysUntil(due: string, now: Date, timeZone: string): number {
  return parseDay(due) - parseDay(localParts(now, timeZone).date);
}

const DUE_FORMAT = new Intl.DateTimeFormat('fr-FR', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long' });

/** "lundi 14 décembre" ("1er" for the first of a month), with the year when it is not this year's. */
export function dueLabel(due: string, now: Date, timeZone: string): string {
  const [year, month, day] = due.split('-').map(Number) as [number, number, number];
  const parts = DUE_FORMAT.formatToParts(new Date(Date.UTC(year, month - 1, day)));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const thisYear = Number(localParts(now, timeZone).date.slice(0, 4));
  return `${part('weekday')} ${day === 1 ? '1er' : day} ${part('month')}${year === thisYear ? '' : ` ${year}`}`;
}

/** "réponse au plus tard le lundi 14 décembre, dans 21 jours", as the customer and the staff read the clock. */
export function claimClockText(due: string, status: 'open' | 'answered', now: Date, timeZone: string): string {
  const label = dueLabel(due, now, timeZone);
  if (status === 'answered') return `réponse donnée (elle était attendue au plus tard le ${label})`;
  const days = daysUntil(due, now, timeZone);
  if (days > 1) return `réponse au plus tard le ${label}, dans ${days} jours`;
  if (days === 1) return `réponse au plus tard le ${label}, demain`;
  if (days === 0) return `réponse au plus tard aujourd’hui, ${label}`;
  return `réponse attendue au plus tard le ${label} : en retard de ${-days} jour${days < -1 ? 's' : ''}`;
}

export interface ClaimView {
  reference: string;
  trackingNumber: string;
  openedAt: Date;
  /** Local date `YYYY-MM-DD`. */
  answerDue: string;
  /** Days from today to the due date (0: today; negative: late). */
  daysLeft: number;
  /** "réponse au plus tard le …, dans N jours". */
  clock: string;
  status: 'open' | 'answered';
  note: string | null;
}

type ClaimRow = typeof parcelClaims.$inferSelect;

const viewOf = (row: ClaimRow, now: Date, timeZone: string): ClaimView => ({
  reference: row.reference,
  trackingNumber: row.trackingNumber,
  openedAt: new Date(row.openedAt),
  answerDue: row.answerDue,
  daysLeft: daysUntil(row.answerDue, now, timeZone),
  clock: claimClockText(row.answerDue, row.status, now, timeZone),
  status: row.status,
  note: row.note,
});

export type ClaimRefusal =
  | { ok: false; problem: 'invalid'; field: 'numero' | 'note'; reason: string }
  /** The customer does not follow this parcel in their account (ownership is proved there, with the recipient's postcode). */
  | { ok: false; problem: 'not_followed'; trackingNumber: string }
  /** The carrier does not say it was delivered: nothing to claim yet. */
  | { ok: false; problem: 'not_delivered'; trackingNumber: string };

export type ClaimCustomer = Pick<CustomerRow, 'id' | 'timeZone'>;

const claimOf = (db: Database, customerId: string, trackingNumber: string) =>
  db.select().from(parcelClaims).where(and(eq(parcelClaims.trackingNumber, trackingNumber), eq(parcelClaims.customerId, customerId))).get();

/** Why the customer may not open a claim on this parcel, or nothing when they may. */
async function refusalFor(db: Database, customerId: string, trackingNumber: string): Promise<ClaimRefusal | undefined> {
  const row = await db.$client.prepare(
    `select exists (select 1 from customer_parcels where customer_id = ?1 and tracking_number = ?2) as followed,
            exists (select 1 from parcels where tracking_number = ?2 and delivered = 1) as delivered`,
  ).bind(customerId, trackingNumber).first<{ followed: number; delivered: number }>();
  if (!row?.followed) return { ok: false, problem: 'not_followed', trackingNumber };
  if (!row.delivered) return { ok: false, problem: 'not_delivered', trackingNumber };
  return undefined;
}

/**
 * What the claim page shows for a parcel: the customer's claim if one is
 * open (whatever became of the parcel since), else whether they may open
 * one.
 */
export async function claimStatus(db: Database, customer: ClaimCustomer, text: string, now: Date): Promise<{ ok: true; trackingNumber: string; claim: ClaimView | null } | ClaimRefusal> {
  const parsed = parseTrackingNumber(text.slice(0, 100));
  if (!parsed.ok) return { ok: false, problem: 'invalid', field: 'numero', reason: parsed.reason };
  const existing = await claimOf(db, customer.id, parsed.number);
  if (existing) return { ok: true, trackingNumber: parsed.number, claim: viewOf(existing, now, customer.timeZone) };
  return (await refusalFor(db, customer.id, parsed.number)) ?? { ok: true, trackingNumber: parsed.number, claim: null };
}

/** The note as kept: trimmed, control characters (but line breaks) removed; null when empty. */
export function cleanNote(note: string | undefined | null): string | null {
  const text = (note ?? '').replace(/\r\n?/g, '\n').replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '').trim();
  return text === '' ? null : text;
}

/**
 * Opens the customer's claim on a delivered parcel they follow, with the
 * history entry in the same batch; the eligibility is checked by the write
 * itself. A second call returns the first claim (`created: false`).
 */
export async function openClaim(
  db: Database,
  customer: ClaimCustomer,
  input: { trackingNumber: string; note?: string | null; now: Date },
): Promise<{ ok: true; claim: ClaimView; created: boolean } | ClaimRefusal> {
  const parsed = parseTrackingNumber(input.trackingNumber.slice(0, 100));
  if (!parsed.ok) return { ok: false, problem: 'invalid', field: 'numero', reason: parsed.reason };
  const note = cleanNote(input.note);
  if (note !== null && [...note].length > CLAIM_NOTE_MAX) {
    return { ok: false, problem: 'invalid', field: 'note', reason: `votre message fait ${[...note].length} caractères : ${CLAIM_NOTE_MAX} au plus` };
  }
  const number = parsed.number;
  const { now } = input;
  const openedAt = now.toISOString();
  const answerDue = claimAnswerDue(now, customer.timeZone);

  // Two tries: a new reference colliding with another claim's (one chance in 6·10¹¹) gets one more draw.
  for (let attempt = 0; attempt < 2; attempt++) {
    const existing = await claimOf(db, customer.id, number);
    if (existing) return { ok: true, claim: viewOf(existing, now, customer.timeZone), created: false };
    const refusal = await refusalFor(db, customer.id, number);
    if (refusal) return refusal;

    const reference = claimReference();
    await db.batch([
      db.insert(parcelClaims).select(
        db.select({
          reference: sql<string>`${reference}`.as('reference'),
          trackingNumber: sql<string>`${number}`.as('tracking_number'),
          customerId: sql<string>`${customer.id}`.as('customer_id'),
          openedAt: sql<string>`${openedAt}`.as('opened_at'),
          answerDue: sql<string>`${answerDue}`.as('answer_due'),
          status: sql<'open'>`'open'`.as('status'),
          note: sql<string | null>`${note}`.as('note'),
        }).from(sql`(SELECT 1)`).where(sql`exists (select 1 from customer_parcels where customer_id = ${customer.id} and tracking_number = ${number})
          and exists (select 1 from parcels where tracking_number = ${number} and delivered = 1)`),
      ).onConflictDoNothing(),
      historyInsertIf(
        db,
        { customerId: customer.id, kind: 'parcel.claim', at: now, where: { channel: 'web' }, detail: `${number} · ${reference}` },
        sql`exists (select 1 from parcel_claims where reference = ${reference} and customer_id = ${customer.id})`,
      ),
    ]);
    const stored = await claimOf(db, customer.id, number);
    if (stored) return { ok: true, claim: viewOf(stored, now, customer.timeZone), created: stored.reference === reference };
  }
  throw new Error('parcel claim: no reference could be stored');
}

export interface StaffClaimView extends ClaimView {
  /** "Livré", "Remis au guichet"… the parcel's last event as the customer reads it. */
  lastEvent: string | null;
  /** The place of the parcel's last located scan (what puts the claim in a staff member's scope). */
  place: { id: string; name: string } | null;
}

type StaffClaimRow = {
  reference: string; tracking_number: string; opened_at: string; answer_due: string; status: 'open' | 'answered'; note: string | null;
  last_code: string | null; location_id: string | null; location_name: string | null; time_zone: string | null;
};

/**
 * The claims a staff member sees: only the `counter` role (it serves the
 * customers and handles their parcels; the hours roles see none), on
 * parcels whose last located scan is in their scope (the network scope
 * sees every claim, including those no scan places). Open ones first,
 * the answer due soonest first.
 */
export async function staffClaims(db: Database, staff: Staff, now: Date, limit = STAFF_CLAIMS_LIMIT): Promise<{ ok: true; claims: StaffClaimView[] } | { ok: false; why: 'role' }> {
  if (staff.role !== 'counter') return { ok: false, why: 'role' };
  const scope = staff.scopeType === 'network'
    ? '1'
    : staff.scopeType === 'department' ? 'l.department = ?1' : '(l.id = ?1 or l.parent_id = ?1)';
  const { results } = await db.$client.prepare(
    `select c.reference, c.tracking_number, c.opened_at, c.answer_due, c.status, c.note, p.last_code,
            l.id as location_id, l.name as location_name, l.time_zone
     from parcel_claims c
     left join parcels p on p.tracking_number = c.tracking_number
     left join locations l on l.id = (
       select e.location_id from parcel_events e where e.tracking_number = c.tracking_number and e.location_id is not null
       order by e.occurred_at desc, e.carrier_id desc, e.event_id desc limit 1)
     where ${scope}
     order by c.status = 'answered', c.answer_due, c.opened_at, c.reference
     limit ?2`,
  ).bind(staff.scopeValue ?? '', limit).all<StaffClaimRow>();
  return {
    ok: true,
    claims: results.map((row) => {
      const timeZone = row.time_zone ?? 'Europe/Paris';
      return {
        ...viewOf({
          reference: row.reference, trackingNumber: row.tracking_number, customerId: null, openedAt: row.opened_at,
          answerDue: row.answer_due, status: row.status, note: row.note,
        }, now, timeZone),
        lastEvent: row.last_code ? (isKnownCode(row.last_code) ? EVENT_CODES[row.last_code].label : row.last_code) : null,
        place: row.location_id ? { id: row.location_id, name: row.location_name ?? row.location_id } : null,
      };
    }),
  };
}
