/**
 * Collection at the counter on a real D1: parcels arrive through the real
 * signed carriers' endpoint; a counter clerk lists those waiting at their
 * office, finds one by the number on the notice, and hands it over. The
 * handover is a DI2 at that office (the public status says "Remis au
 * guichet"), written once however often the form is sent, only by a
 * counter clerk whose scope holds the office, with a staff audit entry
 * and, for the customer recognised at the counter, a history entry.
 */
import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { customerHistory, customers, parcelEvents, staffAudit } from '../../db/schema';
import { closeCounterSession, openCounterSession, showCounterCode } from '../../worker/accounts/counter';
import { randomSecret } from '../../worker/http/crypto';
import type { WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { localParts } from '../../worker/hours/zoned-time';
import { carrierKey, carrierSecret, createCarrier } from '../../worker/parcels/carriers';
import {
  COUNTER_CARRIER, findWaiting, handOver, handoverMessage, parcelDesk, waitingAt, waitingForCounterSession,
} from '../../worker/parcels/counter';
import { followParcel } from '../../worker/parcels/following';
import { signatureHeader } from '../../worker/parcels/signature';
import { findStaffByToken, type Staff } from '../../worker/staff/tokens';
import { request } from './http-client';
import { db, demoSample, load } from './seed';
import { token } from './staff';

const HOUR = 3_600_000;
const sample = demoSample(200);
const paris = sample.filter((l) => l.type === 'post_office' && l.timeZone === 'Europe/Paris');
const office = paris[0]!;
const otherOffice = paris.find((l) => l.department !== office.department)!;
/** A locker attached to a post office: in that office's scope, yet not a counter. */
const locker = sample.find((l) => l.type === 'parcel_locker' && sample.some((o) => o.id === l.parentId && o.type === 'post_office'))!;
const lockerOffice = sample.find((l) => l.id === locker.parentId)!;
/** Monday to Saturday, 08:00–19:00. */
const WEEK: WeeklyRule[] = [1, 2, 3, 4, 5, 6].map((day) => ({ day: day as 1, opens: '08:00', closes: '19:00' }));

let carrier: { id: string; secret: string };
let serial = 0;
/** Colissimo numbers for a point of collection (`6H` and 11 digits), unique per run. */
const newNumber = () => `6H${String(Date.now() % 1e8).padStart(8, '0')}${String(serial++).padStart(3, '0')}`;

async function send(events: unknown[]) {
  const body = JSON.stringify({ events });
  const response = await request('/api/v1/parcels/events', {
    method: 'POST', headers: { 'content-type': 'application/json', 'guichet-signature': await signatureHeader(carrier.id, carrier.secret, body, new Date()) }, body,
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ rejected: 0 });
}

/** A parcel that arrived at `locationId` `hoursAgo` hours ago, shelved at `shelf`, for a recipient in `postcode`. */
async function arrived(locationId: string, shelf: string | null, hoursAgo: number, postcode = '75011') {
  const number = newNumber();
  const arrivedAt = Math.floor((Date.now() - hoursAgo * HOUR) / 60_000) * 60_000;
  await send([
    { event_id: `${number}-1`, tracking_number: number, code: 'PC1', occurred_at: new Date(arrivedAt - 30 * HOUR).toISOString(), recipient_postcode: postcode },
    { event_id: `${number}-2`, tracking_number: number, code: 'AG1', occurred_at: new Date(arrivedAt).toISOString(), location_id: locationId, ...(shelf ? { shelf } : {}) },
  ]);
  return { number, arrivedAt };
}

async function inTransit() {
  const number = newNumber();
  await send([{ event_id: `${number}-1`, tracking_number: number, code: 'PC1', occurred_at: new Date(Date.now() - 5 * HOUR).toISOString() }]);
  return number;
}

async function clerk(role: Staff['role'] = 'counter', scopeType: Staff['scopeType'] = 'office', scopeValue: string | null = office.id): Promise<Staff> {
  const secret = await token(role, scopeType, scopeValue, `Guichet ${crypto.randomUUID().slice(0, 8)}`);
  return (await findStaffByToken(db(), secret, new Date().toISOString()))!;
}

const counterEvents = (number: string) =>
  db().select().from(parcelEvents).where(and(eq(parcelEvents.trackingNumber, number), eq(parcelEvents.carrierId, COUNTER_CARRIER.id))).all();
const auditOf = (number: string) =>
  db().select().from(staffAudit).where(sql`${staffAudit.action} = 'parcel.handover' and ${staffAudit.subject} like ${`%${number}%`}`).all();
const storedState = async (number: string) =>
  (await db().all<{ delivered: number; step: number; last_code: string; waiting_location_id: string | null; shelf: string | null }>(
    sql`select delivered, step, last_code, waiting_location_id, shelf from parcels where tracking_number = ${number}`))[0];

async function customer() {
  const at = new Date().toISOString();
  const row = { id: `cus_${crypto.randomUUID()}`, email: `${crypto.randomUUID()}@exemple.fr`, name: 'Camille Martin', counterSalt: randomSecret(), createdAt: at, lastActiveAt: at };
  await db().insert(customers).values(row);
  return (await db().select().from(customers).where(eq(customers.id, row.id)).get())!;
}

const handedOverEntries = (customerId: string) =>
  db().select().from(customerHistory).where(and(eq(customerHistory.customerId, customerId), eq(customerHistory.kind, 'parcel.handed_over'))).all();

beforeAll(async () => {
  await load(sample);
  await seedSchedules(db(), [{ locationId: office.id, weekly: WEEK, exceptions: [] }], new Date().toISOString());
  carrier = await createCarrier(db(), { name: 'Transporteur du guichet', key: await carrierKey(db(), undefined), now: new Date() });
});

describe('the parcels waiting at an office', () => {
  it('lists them oldest first, each with its shelf and the deadline the parcel’s own page shows', async () => {
    const newer = await arrived(office.id, 'C7', 2);
    const older = await arrived(office.id, 'A01', 50);
    const unshelved = await arrived(office.id, null, 30);
    const elsewhere = await arrived(otherOffice.id, 'B2', 40);
    const moving = await inTransit();

    const now = new Date();
    const list = await waitingAt(db(), office.id, now, {});
    const numbers = list.map((p) => p.trackingNumber);
    expect(numbers).not.toContain(elsewhere.number);
    expect(numbers).not.toContain(moving);
    const mine = list.filter((p) => [newer.number, older.number, unshelved.number].includes(p.trackingNumber));
    expect(mine.map((p) => [p.trackingNumber, p.shelf, p.since.getTime()])).toEqual([
      [older.number, 'A01', older.arrivedAt],
      [unshelved.number, null, unshelved.arrivedAt],
      [newer.number, 'C7', newer.arrivedAt],
    ]);
    // The whole list is in arrival order.
    expect(list.map((p) => p.since.getTime())).toEqual([...list.map((p) => p.since.getTime())].sort((a, b) => a - b));

    for (const parcel of mine) {
      // The public status (another door, computed from the events) gives the same deadline.
      const status = await (await request(`/api/v1/parcels/${parcel.trackingNumber}`)).json() as { collection: { deadline: string; location: { id: string } } };
      expect(status.collection.location.id).toBe(office.id);
      expect(parcel.deadline?.toISOString()).toBe(status.collection.deadline);
      // A closing of the office: 19:00 on a Monday to Saturday, 15 days at most after the arrival day.
      const local = localParts(parcel.deadline!, 'Europe/Paris');
      expect(local.minutes).toBe(19 * 60);
      expect(new Date(`${local.date}T12:00:00Z`).getUTCDay()).not.toBe(0);
      const arrivalDay = Date.parse(`${localParts(parcel.since, 'Europe/Paris').date}T00:00:00Z`);
      const deadlineDay = Date.parse(`${local.date}T00:00:00Z`);
      expect((deadlineDay - arrivalDay) / 86_400_000).toBeGreaterThanOrEqual(12);
      expect((deadlineDay - arrivalDay) / 86_400_000).toBeLessThanOrEqual(15);
      expect(parcel.deadlineLabel).toMatch(/^\S+ \d{1,2}(er)? \S+( \d{4})? à 19 h 00$/);
      expect(parcel.overdue).toBe(false);
    }
  });

  it('finds a parcel by the number on the notice, however it is typed or scanned, and says where the others are', async () => {
    const here = await arrived(office.id, 'D12', 3);
    const there = await arrived(otherOffice.id, 'E3', 3);
    const moving = await inTransit();
    const spaced = `${here.number.slice(0, 2).toLowerCase()} ${here.number.slice(2, 7)}-${here.number.slice(7)}`;
    const found = await findWaiting(db(), office.id, spaced, new Date(), {});
    expect(found).toMatchObject({ ok: true, parcel: { trackingNumber: here.number, shelf: 'D12' } });

    expect(await findWaiting(db(), office.id, there.number, new Date(), {}))
      .toMatchObject({ ok: false, problem: 'elsewhere', trackingNumber: there.number, place: { id: otherOffice.id, name: otherOffice.name } });
    expect(await findWaiting(db(), office.id, moving, new Date(), {})).toEqual({ ok: false, problem: 'not_waiting', trackingNumber: moving });
    const unknown = newNumber();
    expect(await findWaiting(db(), office.id, unknown, new Date(), {})).toEqual({ ok: false, problem: 'unknown', trackingNumber: unknown });
    const typo = await findWaiting(db(), office.id, 'RB123456784FR', new Date(), {});
    expect(typo).toMatchObject({ ok: false, problem: 'invalid' });
    if (!typo.ok) expect(handoverMessage(typo)).toContain('clé de contrôle');
  });
});

describe('handing a parcel over', () => {
  it('adds a DI2 at the office: the parcel is delivered, "Remis au guichet", with one audit entry naming the clerk and no customer', async () => {
    const parcel = await arrived(office.id, 'C7', 5);
    const staff = await clerk();
    const before = Date.now();
    const result = await handOver(db(), staff, parcel.number, new Date());
    expect(result).toMatchObject({ ok: true, trackingNumber: parcel.number, shelf: 'C7', office: { id: office.id }, already: false, state: { delivered: true, step: 5, lastCode: 'DI2', waitingLocationId: null } });
    expect(handoverMessage(result)).toBe(`Colis ${parcel.number} remis (étagère C7).`);

    const [event] = await counterEvents(parcel.number);
    expect(event).toMatchObject({ code: 'DI2', locationId: office.id, eventId: `di2-${parcel.number}-${parcel.arrivedAt}` });
    expect(event!.occurredAt).toBeGreaterThanOrEqual(before);
    expect(await storedState(parcel.number)).toMatchObject({ delivered: 1, step: 5, last_code: 'DI2', waiting_location_id: null });

    const status = await (await request(`/api/v1/parcels/${parcel.number}`)).json() as { delivered: boolean; step: { number: number }; events: { code: string; label: string; location_id: string }[]; collection: unknown };
    expect(status.delivered).toBe(true);
    expect(status.step.number).toBe(5);
    expect(status.events.at(-1)).toMatchObject({ code: 'DI2', label: 'Remis au guichet', location_id: office.id });
    expect(status.collection).toBeNull();

    const audit = await auditOf(parcel.number);
    expect(audit).toEqual([expect.objectContaining({ actorId: staff.id, actorName: staff.name, locationId: office.id, subject: event!.eventId })]);
    // No longer in the office's list.
    expect((await waitingAt(db(), office.id, new Date(), {})).map((p) => p.trackingNumber)).not.toContain(parcel.number);
  });

  it('adds nothing on a double click, a replayed form or three clerks at once', async () => {
    const parcel = await arrived(office.id, 'F40', 4);
    const staff = await clerk();
    const others = [await clerk(), await clerk('counter', 'department', office.department)];
    const results = await Promise.all([staff, ...others].map((who) => handOver(db(), who, parcel.number, new Date())));
    expect(results.every((r) => r.ok)).toBe(true);
    const replay = await handOver(db(), staff, parcel.number.toLowerCase(), new Date(Date.now() + 60_000));
    expect(replay).toMatchObject({ ok: true, already: true, shelf: 'F40', state: { delivered: true, lastCode: 'DI2' } });
    expect(handoverMessage(replay)).toMatch(new RegExp(`^Colis ${parcel.number} remis \\(étagère F40\\) : remise déjà enregistrée à \\d\\d h \\d\\d\\.$`));

    expect(await counterEvents(parcel.number)).toHaveLength(1);
    expect(await auditOf(parcel.number)).toHaveLength(1);
    const [{ n }] = await db().all<{ n: number }>(sql`select count(*) as n from parcel_events where tracking_number = ${parcel.number}`);
    expect(n).toBe(3);
  });

  it('refuses a clerk whose scope does not hold the office, a non-counter role, a locker’s parcel and a parcel not waiting, and writes nothing', async () => {
    const parcel = await arrived(office.id, 'A1', 6);
    const refusals = await Promise.all([
      handOver(db(), await clerk('counter', 'office', otherOffice.id), parcel.number, new Date()),
      handOver(db(), await clerk('counter', 'department', otherOffice.department), parcel.number, new Date()),
      handOver(db(), await clerk('hours', 'network', null), parcel.number, new Date()),
      handOver(db(), await clerk('exceptions', 'office', office.id), parcel.number, new Date()),
    ]);
    expect(refusals.map((r) => (r.ok ? 'ok' : r.problem))).toEqual(['out_of_scope', 'out_of_scope', 'forbidden', 'forbidden']);
    expect(handoverMessage(refusals[0]!)).toBe(`Le colis ${parcel.number} attend à ${office.name} (${office.id}) : seul ce point peut le remettre.`);
    expect(await counterEvents(parcel.number)).toEqual([]);
    expect(await auditOf(parcel.number)).toEqual([]);
    expect(await storedState(parcel.number)).toMatchObject({ delivered: 0, waiting_location_id: office.id, shelf: 'A1' });

    // A locker hands over by itself: not even its own office's clerk records a counter handover there.
    const inLocker = await arrived(locker.id, null, 2);
    expect(await handOver(db(), await clerk('counter', 'office', lockerOffice.id), inLocker.number, new Date()))
      .toMatchObject({ ok: false, problem: 'out_of_scope', place: { id: locker.id } });
    expect(await counterEvents(inLocker.number)).toEqual([]);
    const moving = await inTransit();
    expect(await handOver(db(), await clerk(), moving, new Date())).toEqual({ ok: false, problem: 'not_waiting', trackingNumber: moving });
    expect(await handOver(db(), await clerk(), 'pas un numéro', new Date())).toMatchObject({ ok: false, problem: 'invalid' });
    expect(await counterEvents(moving)).toEqual([]);
  });

  it('refuses a parcel delivered by the carrier, and one handed over at another office, to a clerk out of that scope', async () => {
    const parcel = await arrived(otherOffice.id, 'B9', 3);
    expect((await handOver(db(), await clerk('counter', 'office', otherOffice.id), parcel.number, new Date())).ok).toBe(true);
    expect(await handOver(db(), await clerk(), parcel.number, new Date())).toEqual({ ok: false, problem: 'delivered', trackingNumber: parcel.number });
    expect(await auditOf(parcel.number)).toHaveLength(1);
  });

  it('cannot be forged from outside: a request signed as the counter’s carrier, even with its derived secret, is refused', async () => {
    const parcel = await arrived(office.id, 'G1', 2);
    expect((await handOver(db(), await clerk(), parcel.number, new Date())).ok).toBe(true);
    const secret = await carrierSecret(await carrierKey(db(), undefined), { id: COUNTER_CARRIER.id, generation: 1 });
    const number = (await arrived(office.id, 'G2', 2)).number;
    const body = JSON.stringify({ events: [{ event_id: `di2-${number}-1`, tracking_number: number, code: 'DI2', occurred_at: new Date().toISOString(), location_id: office.id }] });
    const forged = await request('/api/v1/parcels/events', {
      method: 'POST', headers: { 'content-type': 'application/json', 'guichet-signature': await signatureHeader(COUNTER_CARRIER.id, secret, body, new Date()) }, body,
    });
    expect(forged.status).toBe(401);
    expect(await storedState(number)).toMatchObject({ delivered: 0, waiting_location_id: office.id });
  });

  it('gives a counter clerk the office of their token, or the one they name within a wider scope', async () => {
    expect(await parcelDesk(db(), await clerk(), null)).toEqual({ ok: true, office: { id: office.id, name: office.name, timeZone: office.timeZone } });
    const wide = await clerk('counter', 'department', office.department);
    expect(await parcelDesk(db(), wide, null)).toEqual({ ok: false, why: 'choose' });
    expect(await parcelDesk(db(), wide, office.id.toLowerCase())).toMatchObject({ ok: true, office: { id: office.id } });
    expect(await parcelDesk(db(), wide, otherOffice.id)).toEqual({ ok: false, why: 'scope' });
    expect(await parcelDesk(db(), wide, 'NULLE-PART')).toEqual({ ok: false, why: 'scope' });
    // A locker is in its département's scope, but has no counter.
    expect(await parcelDesk(db(), await clerk('counter', 'department', locker.department), locker.id)).toEqual({ ok: false, why: 'scope' });
    expect(await parcelDesk(db(), await clerk('hours', 'office', office.id), null)).toEqual({ ok: false, why: 'role' });
  });
});

describe('the customer recognised at the counter', () => {
  async function recognised(staff: Staff) {
    const person = await customer();
    const now = new Date();
    const shown = await showCounterCode(db(), person, now);
    const opened = await openCounterSession(db(), staff, shown.code, now);
    if (!opened.ok) throw new Error(`counter session not opened: ${opened.problem}`);
    return { person, session: opened.session };
  }
  const follow = async (customerId: string, number: string, postcode: string) =>
    expect(await followParcel(db(), customerId, { trackingNumber: number, postcode, key: await carrierKey(db(), undefined), now: new Date() })).toMatchObject({ ok: true });

  it('shows the clerk the parcels the customer follows that wait at this office, and writes the handover in their history', async () => {
    const staff = await clerk();
    const { person, session } = await recognised(staff);
    const mine = await arrived(office.id, 'C3', 8, '33000');
    const mineElsewhere = await arrived(otherOffice.id, 'C4', 8, '33000');
    const notMine = await arrived(office.id, 'C5', 8, '33000');
    await follow(person.id, mine.number, '33000');
    await follow(person.id, mineElsewhere.number, '33000');

    const shown = await waitingForCounterSession(db(), staff, session.id, new Date(), {});
    expect(shown.map((p) => [p.trackingNumber, p.shelf])).toEqual([[mine.number, 'C3']]);
    // Another clerk cannot read this session's customer's parcels.
    expect(await waitingForCounterSession(db(), await clerk(), session.id, new Date(), {})).toEqual([]);

    expect((await handOver(db(), staff, mine.number, new Date())).ok).toBe(true);
    expect((await handOver(db(), staff, mine.number, new Date())).ok).toBe(true);
    const entries = await handedOverEntries(person.id);
    expect(entries).toEqual([expect.objectContaining({ channel: 'counter', locationId: office.id, locationName: office.name, detail: mine.number })]);
    // A parcel the customer does not follow, handed over during their session, is not theirs to see.
    expect((await handOver(db(), staff, notMine.number, new Date())).ok).toBe(true);
    expect(await handedOverEntries(person.id)).toHaveLength(1);
    expect(await waitingForCounterSession(db(), staff, session.id, new Date(), {})).toEqual([]);

    // Followers hear it, as after any carrier's delivery.
    const notices = await db().all<{ kind: string; line: string }>(sql`select kind, line from parcel_notices where recipient = ${`customer:${person.id}`} and tracking_number = ${mine.number}`);
    expect(notices).toContainEqual({ kind: 'delivered', line: `Votre colis ${mine.number} vous a été remis au guichet.` });
  });

  it('writes no history for a follower who is not the one at the counter, nor once the session ended', async () => {
    const staff = await clerk();
    const follower = await customer();
    const parcel = await arrived(office.id, 'E1', 8, '44000');
    await follow(follower.id, parcel.number, '44000');
    const { session } = await recognised(staff);
    expect(await closeCounterSession(db(), staff, session.id, new Date())).toBe(true);
    const again = await recognised(staff);
    expect(await waitingForCounterSession(db(), staff, session.id, new Date(), {})).toEqual([]);
    expect((await handOver(db(), staff, parcel.number, new Date())).ok).toBe(true);
    expect(await handedOverEntries(follower.id)).toEqual([]);
    expect(await handedOverEntries(again.person.id)).toEqual([]);
  });
});
