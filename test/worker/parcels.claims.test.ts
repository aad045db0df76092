/**
 * "Delivered but not received" on a real D1: only a customer who follows a
 * parcel the carrier delivered (DI1) or handed over (DI2) opens a claim;
 * one per parcel and customer, however often the form is sent; a
 * reference nobody misreads and an answer due 21 days later; the claim in
 * the history, and visible to the counter staff of the place that last
 * scanned the parcel.
 */
import fc from 'fast-check';
import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { customerHistory, customers, parcelClaims } from '../../db/schema';
import { randomSecret } from '../../worker/http/crypto';
import { carrierKey, createCarrier } from '../../worker/parcels/carriers';
import {
  CLAIM_NOTE_MAX, claimAnswerDue, claimClockText, claimReference, claimStatus, daysUntil, openClaim, REFERENCE_PATTERN, staffClaims,
} from '../../worker/parcels/claims';
import { handOver } from '../../worker/parcels/counter';
import { followParcel } from '../../worker/parcels/following';
import { signatureHeader } from '../../worker/parcels/signature';
import { findStaffByToken, type Staff } from '../../worker/staff/tokens';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { token } from './staff';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const sample = demoSample(200);
const offices = sample.filter((l) => l.type === 'post_office');
const office = offices[0]!;
const otherOffice = offices.find((l) => l.department !== office.department)!;
const ZONES = ['Europe/Paris', 'America/Cayenne', 'Indian/Reunion', 'Pacific/Noumea', 'Pacific/Tahiti', 'America/Martinique'];

let carrier: { id: string; secret: string };
let serial = 0;
const newNumber = () => `6A${String(Date.now() % 1e8).padStart(8, '0')}${String(serial++).padStart(3, '0')}`;

async function send(events: unknown[]) {
  const body = JSON.stringify({ events });
  const response = await request('/api/v1/parcels/events', {
    method: 'POST', headers: { 'content-type': 'application/json', 'guichet-signature': await signatureHeader(carrier.id, carrier.secret, body, new Date()) }, body,
  });
  expect(await response.json()).toMatchObject({ rejected: 0 });
}

/** A parcel for `postcode`, delivered at home (DI1) by a postman of `locationId`, or still on its way. */
async function parcel(postcode: string, how: 'delivered' | 'moving' | 'waiting', locationId = office.id) {
  const number = newNumber();
  const start = Date.now() - 40 * HOUR;
  const events: object[] = [
    { event_id: `${number}-1`, tracking_number: number, code: 'PC1', occurred_at: new Date(start).toISOString(), recipient_postcode: postcode },
    { event_id: `${number}-2`, tracking_number: number, code: 'EP1', occurred_at: new Date(start + 20 * HOUR).toISOString(), location_id: locationId },
  ];
  if (how === 'delivered') events.push({ event_id: `${number}-3`, tracking_number: number, code: 'DI1', occurred_at: new Date(start + 30 * HOUR).toISOString(), location_id: locationId });
  if (how === 'waiting') events.push({ event_id: `${number}-3`, tracking_number: number, code: 'AG1', occurred_at: new Date(start + 30 * HOUR).toISOString(), location_id: locationId, shelf: 'R2' });
  await send(events);
  return number;
}

async function customer(timeZone = 'Europe/Paris') {
  const at = new Date().toISOString();
  const row = { id: `cus_${crypto.randomUUID()}`, email: `${crypto.randomUUID()}@exemple.fr`, counterSalt: randomSecret(), createdAt: at, lastActiveAt: at, timeZone };
  await db().insert(customers).values(row);
  return (await db().select().from(customers).where(eq(customers.id, row.id)).get())!;
}

const follow = async (customerId: string, number: string, postcode: string) =>
  expect(await followParcel(db(), customerId, { trackingNumber: number, postcode, key: await carrierKey(db(), undefined), now: new Date() })).toMatchObject({ ok: true });

async function clerk(role: Staff['role'], scopeType: Staff['scopeType'], scopeValue: string | null): Promise<Staff> {
  return (await findStaffByToken(db(), await token(role, scopeType, scopeValue), new Date().toISOString()))!;
}

/** The local date `YYYY-MM-DD` of an instant in a zone, by Intl (not the product's zone code). */
const intlDate = (ms: number, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
/** A calendar date plus `days`, by UTC arithmetic. */
const plusDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);

beforeAll(async () => {
  await load(sample);
  carrier = await createCarrier(db(), { name: 'Transporteur des réclamations', key: await carrierKey(db(), undefined), now: new Date() });
});

describe('the reference and the 21-day clock', () => {
  it('draws references of RCL- and 8 characters of the unambiguous alphabet, dropping the bytes that would bias it', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      let first = true;
      const reference = claimReference((count) => {
        // The first draw is the property's bytes; any further draw (after rejections) is all zeros, "2".
        const out = first ? bytes : new Uint8Array(count);
        first = false;
        return out;
      });
      expect(reference).toMatch(REFERENCE_PATTERN);
      expect(reference.slice(4)).not.toMatch(/[01ILOU]/);
      // 240 = 8 × 30: bytes from 240 up would make the first 16 characters likelier; they are dropped.
      const kept = [...bytes].filter((b) => b < 240).slice(0, 8);
      const alphabet = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
      expect(reference).toBe(`RCL-${kept.map((b) => alphabet[b % 30]).join('')}${'2'.repeat(8 - kept.length)}`);
    }));
    const drawn = new Set(Array.from({ length: 200 }, () => claimReference()));
    expect(drawn.size).toBe(200);
  });

  it('is due 21 calendar days after the local day the claim was opened, in the customer’s zone', () => {
    fc.assert(fc.property(fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2032, 0, 1) }), fc.constantFrom(...ZONES), (ms, zone) => {
      const due = claimAnswerDue(new Date(ms), zone);
      expect(due).toBe(plusDays(intlDate(ms, zone), 21));
      expect(daysUntil(due, new Date(ms), zone)).toBe(21);
      expect(claimClockText(due, 'open', new Date(ms), zone)).toMatch(/^réponse au plus tard le \S+ \d{1,2}(er)? \S+( \d{4})?, dans 21 jours$/);
    }));
  });

  it('counts down to the day, then says it is late', () => {
    const opened = new Date('2026-11-24T10:00:00Z');
    const due = claimAnswerDue(opened, 'Europe/Paris');
    expect(due).toBe('2026-12-15');
    expect(claimClockText(due, 'open', opened, 'Europe/Paris')).toBe('réponse au plus tard le mardi 15 décembre, dans 21 jours');
    expect(claimClockText(due, 'open', new Date('2026-12-14T23:30:00Z'), 'Europe/Paris')).toBe('réponse au plus tard aujourd’hui, mardi 15 décembre');
    expect(claimClockText(due, 'open', new Date('2026-12-14T22:30:00Z'), 'Europe/Paris')).toBe('réponse au plus tard le mardi 15 décembre, demain');
    expect(claimClockText(due, 'open', new Date('2026-12-17T12:00:00Z'), 'Europe/Paris')).toBe('réponse attendue au plus tard le mardi 15 décembre : en retard de 2 jours');
    expect(claimClockText('2027-01-01', 'open', opened, 'Europe/Paris')).toBe('réponse au plus tard le vendredi 1er janvier 2027, dans 38 jours');
  });
});

describe('opening a claim', () => {
  it('refuses a parcel the customer does not follow, and one not delivered yet, in French', async () => {
    const delivered = await parcel('35000', 'delivered');
    const moving = await parcel('35000', 'moving');
    const person = await customer();
    const now = new Date();
    expect(await openClaim(db(), person, { trackingNumber: delivered, now })).toEqual({ ok: false, problem: 'not_followed', trackingNumber: delivered });
    await follow(person.id, moving, '35000');
    expect(await openClaim(db(), person, { trackingNumber: moving, now })).toEqual({ ok: false, problem: 'not_delivered', trackingNumber: moving });
    expect(await openClaim(db(), person, { trackingNumber: 'RB123', now })).toMatchObject({ ok: false, problem: 'invalid', field: 'numero' });
    const [{ n }] = await db().all<{ n: number }>(sql`select count(*) as n from parcel_claims where customer_id = ${person.id}`);
    expect(n).toBe(0);
  });

  it('opens one claim on a delivered parcel the customer follows, with a reference, the 21-day clock and a history entry', async () => {
    const number = await parcel('67000', 'delivered');
    const person = await customer('Indian/Reunion');
    await follow(person.id, number, '67000');
    expect(await claimStatus(db(), person, number.toLowerCase(), new Date())).toEqual({ ok: true, trackingNumber: number, claim: null });

    const now = new Date();
    const opened = await openClaim(db(), person, { trackingNumber: ` ${number} `, note: '  Rien dans la boîte aux lettres.\u0007 ', now });
    expect(opened.ok && opened.created).toBe(true);
    if (!opened.ok) return;
    expect(opened.claim.reference).toMatch(REFERENCE_PATTERN);
    expect(opened.claim.answerDue).toBe(plusDays(intlDate(now.getTime(), 'Indian/Reunion'), 21));
    expect(opened.claim).toMatchObject({ trackingNumber: number, status: 'open', daysLeft: 21, note: 'Rien dans la boîte aux lettres.' });
    expect(opened.claim.clock).toMatch(/, dans 21 jours$/);

    // A second submit, and five at once: the first claim, nothing more.
    const again = await Promise.all(Array.from({ length: 5 }, () => openClaim(db(), person, { trackingNumber: number, note: 'autre', now: new Date() })));
    for (const result of again) expect(result).toMatchObject({ ok: true, created: false, claim: { reference: opened.claim.reference, note: 'Rien dans la boîte aux lettres.' } });
    const rows = await db().select().from(parcelClaims).where(eq(parcelClaims.trackingNumber, number)).all();
    expect(rows).toHaveLength(1);
    const history = await db().select().from(customerHistory).where(and(eq(customerHistory.customerId, person.id), eq(customerHistory.kind, 'parcel.claim'))).all();
    expect(history).toEqual([expect.objectContaining({ channel: 'web', detail: `${number} · ${opened.claim.reference}` })]);
    expect(await claimStatus(db(), person, number, new Date())).toMatchObject({ ok: true, claim: { reference: opened.claim.reference } });
  });

  it('takes a parcel handed over at the counter, lets each follower open their own, and keeps notes to 500 characters', async () => {
    const number = await parcel('13008', 'waiting');
    const clerkHere = await clerk('counter', 'office', office.id);
    expect((await handOver(db(), clerkHere, number, new Date())).ok).toBe(true);
    const [first, second] = [await customer(), await customer()];
    await follow(first.id, number, '13008');
    await follow(second.id, number, '13008');
    const tooLong = await openClaim(db(), first, { trackingNumber: number, note: 'é'.repeat(CLAIM_NOTE_MAX + 1), now: new Date() });
    expect(tooLong).toEqual({ ok: false, problem: 'invalid', field: 'note', reason: `votre message fait ${CLAIM_NOTE_MAX + 1} caractères : ${CLAIM_NOTE_MAX} au plus` });
    // 500 characters as a person counts them (an emoji is one), however many UTF-16 units.
    const a = await openClaim(db(), first, { trackingNumber: number, note: '📦'.repeat(CLAIM_NOTE_MAX), now: new Date() });
    const b = await openClaim(db(), second, { trackingNumber: number, now: new Date() });
    expect(a.ok && b.ok && a.claim.reference !== b.claim.reference).toBe(true);
    if (b.ok) expect(b.claim.note).toBeNull();
  });
});

describe('claims as staff see them', () => {
  it('shows counter staff the claims on parcels last scanned in their scope, the answer due soonest first; other roles none', async () => {
    const here = await parcel('59000', 'delivered', office.id);
    const there = await parcel('59000', 'delivered', otherOffice.id);
    const person = await customer();
    await follow(person.id, here, '59000');
    await follow(person.id, there, '59000');
    const mine = await openClaim(db(), person, { trackingNumber: here, note: 'Boîte vide', now: new Date() });
    const theirs = await openClaim(db(), person, { trackingNumber: there, now: new Date() });
    if (!mine.ok || !theirs.ok) throw new Error('claims not opened');

    const referencesFor = async (staff: Staff) => {
      const seen = await staffClaims(db(), staff, new Date());
      return seen.ok ? seen.claims.map((c) => c.reference) : seen.why;
    };
    const atOffice = await referencesFor(await clerk('counter', 'office', office.id));
    expect(atOffice).toContain(mine.claim.reference);
    expect(atOffice).not.toContain(theirs.claim.reference);
    const inDepartment = await referencesFor(await clerk('counter', 'department', otherOffice.department));
    expect(inDepartment).toContain(theirs.claim.reference);
    expect(inDepartment).not.toContain(mine.claim.reference);
    const network = await referencesFor(await clerk('counter', 'network', null));
    expect(network).toEqual(expect.arrayContaining([mine.claim.reference, theirs.claim.reference]));
    expect(await referencesFor(await clerk('hours', 'network', null))).toBe('role');
    expect(await referencesFor(await clerk('exceptions', 'office', office.id))).toBe('role');

    const seen = await staffClaims(db(), await clerk('counter', 'office', office.id), new Date());
    if (!seen.ok) throw new Error('refused');
    expect(seen.claims.find((c) => c.reference === mine.claim.reference)).toMatchObject({
      trackingNumber: here, note: 'Boîte vide', status: 'open', daysLeft: 21, lastEvent: 'Livré', place: { id: office.id, name: office.name },
    });
    // Open claims, the answer due soonest first.
    const dues = seen.claims.filter((c) => c.status === 'open').map((c) => c.answerDue);
    expect(dues).toEqual([...dues].sort());
    // Nothing that names the customer.
    expect(JSON.stringify(seen.claims)).not.toContain(person.id);
    expect(JSON.stringify(seen.claims)).not.toContain(person.email);
  });
});
