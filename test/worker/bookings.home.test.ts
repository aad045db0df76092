/**
 * "Mes rendez-vous" on the signed-in home (worker/bookings/home-section.ts)
 * on a real D1, and the booking pages' form reading and wording
 * (worker/bookings/page-forms.ts). A customer with nothing coming gets no
 * section; otherwise the next 3 live bookings, soonest first, a held one
 * with its deadline; cancelled and lapsed ones leave. Sentences are
 * written by hand from the hours given here and the calendar of November
 * 2026 (Friday the 20th, Monday the 23rd).
 */
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { customers } from '../../db/schema';
import { homeFor } from '../../worker/accounts/home';
import { currentCustomer, openCustomerSession } from '../../worker/accounts/sessions';
import { book, cancelBooking, confirmBooking } from '../../worker/bookings/bookings';
import { bookingsSection } from '../../worker/bookings/home-section';
import { replaceOffers } from '../../worker/bookings/offers';
import { readBookForm, timeWords, whenWords } from '../../worker/bookings/page-forms';
import type { WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { db, demoSample, load } from './seed';

/** Friday 20 November 2026, 11:00 in Paris. */
const NOW = new Date('2026-11-20T10:00:00Z');
/** Monday to Saturday, 09:00–18:00. */
const WEEK: WeeklyRule[] = ([1, 2, 3, 4, 5, 6] as const).map((day) => ({ day, opens: '09:00', closes: '18:00' }));
const MANAGER = { id: 'stf_home_test', name: 'Responsable (test)', role: 'hours' as const, scopeType: 'network' as const, scopeValue: null };

let office: { id: string; name: string };
let offerId: string;
let serial = 0;

async function newCustomer() {
  const at = NOW.toISOString();
  const id = `cus_${crypto.randomUUID()}`;
  await db().insert(customers).values({ id, email: `rdv.home.${Date.now()}.${serial++}@exemple.fr`, counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at });
  return (await db().select().from(customers).where(eq(customers.id, id)))[0]!;
}

const hold = async (customerId: string, startsAt: string, key = crypto.randomUUID()) => {
  const result = await book(db(), { customerId, locationId: office.id, kind: 'appointment', offerId, startsAt, requestKey: key, now: NOW });
  if (!result.ok) throw new Error(`refused: ${result.problem}`);
  return result.booking.id;
};

beforeAll(async () => {
  const sample = demoSample(300);
  await load(sample);
  const chosen = sample.find((l) => l.type === 'post_office' && l.timeZone === 'Europe/Paris')!;
  office = { id: chosen.id, name: chosen.name };
  await seedSchedules(db(), [{ locationId: office.id, weekly: WEEK, exceptions: [], openOnHolidays: true }], NOW.toISOString());
  const result = await replaceOffers(db(), MANAGER, {
    locationId: office.id, expected: { kind: 'version', version: 0 }, now: NOW,
    items: [{ kind: 'appointment', label: 'Conseiller', durationMinutes: 15, capacity: 5 }],
  });
  if (!result.ok) throw new Error(`offers refused: ${result.problem}`);
  offerId = result.sheet.offers[0]!.id;
});

describe('Mes rendez-vous on the home', () => {
  it('is absent for a customer with nothing coming', async () => {
    const customer = await newCustomer();
    expect(await bookingsSection(db(), customer, NOW)).toBeUndefined();
  });

  it('lists the next 3 live bookings, soonest first, a held one with its deadline; cancelled and lapsed ones leave', async () => {
    const customer = await newCustomer();
    // Booked in another order than their times; Monday 23 and Tuesday 24 November.
    const tuesday = await hold(customer.id, '2026-11-24T09:00');
    const mondayLate = await hold(customer.id, '2026-11-23T16:45');
    for (const id of [tuesday, mondayLate]) expect((await confirmBooking(db(), { customerId: customer.id, bookingId: id, now: NOW })).ok).toBe(true);
    const mondayEarly = await hold(customer.id, '2026-11-23T10:15');
    const saturday = await hold(customer.id, '2026-11-28T11:30');
    for (const id of [saturday]) expect((await confirmBooking(db(), { customerId: customer.id, bookingId: id, now: NOW })).ok).toBe(true);
    const cancelled = await hold(customer.id, '2026-11-23T09:00');
    expect((await cancelBooking(db(), { customerId: customer.id, bookingId: cancelled, now: NOW })).ok).toBe(true);

    const section = await bookingsSection(db(), customer, NOW);
    expect(section).toEqual({
      key: 'bookings',
      title: 'Mes rendez-vous',
      items: [
        { label: 'Conseiller, lundi 23 nov. à 10 h 15', detail: `${office.name} · à confirmer avant 11 h 05`, href: `/compte/rendez-vous#${mondayEarly}` },
        { label: 'Conseiller, lundi 23 nov. à 16 h 45', detail: office.name, href: `/compte/rendez-vous#${mondayLate}` },
        { label: 'Conseiller, mardi 24 nov. à 9 h', detail: office.name, href: `/compte/rendez-vous#${tuesday}` },
      ],
      more: { label: 'Voir mes 4 rendez-vous', href: '/compte/rendez-vous' },
    });

    // Six minutes later the unconfirmed hold has lapsed: 3 left, Saturday's now shown.
    const later = new Date(NOW.getTime() + 6 * 60_000);
    const after = (await bookingsSection(db(), customer, later))!;
    expect(after.items.map((i) => i.href)).toEqual([mondayLate, tuesday, saturday].map((id) => `/compte/rendez-vous#${id}`));
    expect(after.items[2]!.label).toBe('Conseiller, samedi 28 nov. à 11 h 30');
    expect(after.more).toEqual({ label: 'Gérer mes rendez-vous', href: '/compte/rendez-vous' });

    // Composed into the home as index.astro does.
    const { cookie } = await openCustomerSession(db(), { customerId: customer.id, method: 'code', cookieHeader: null, now: new Date() });
    const session = (await currentCustomer(db(), cookie.split(';')[0]!, new Date()))!;
    const home = await homeFor(db(), session, later, [bookingsSection]);
    expect(home.inProgress.map((s) => s.title)).toEqual(['Mes rendez-vous']);
  });
});

describe('the booking pages’ words and form', () => {
  it('writes a time as "10 h 15", "9 h" in the zone asked', () => {
    fc.assert(fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), (ms) => {
      const d = new Date(ms);
      const minutes = d.getUTCMinutes();
      expect(timeWords(ms, 'UTC')).toBe(`${d.getUTCHours()} h${minutes === 0 ? '' : ` ${String(minutes).padStart(2, '0')}`}`);
    }));
    // Paris: UTC+1 in winter, UTC+2 in summer.
    expect(whenWords(Date.parse('2026-12-01T09:15:00Z'), 'Europe/Paris')).toBe('mardi 1 déc. à 10 h 15');
    expect(whenWords(Date.parse('2026-07-14T07:00:00Z'), 'Europe/Paris')).toBe('mardi 14 juil. à 9 h');
    expect(timeWords(Date.parse('2026-12-01T09:15:00Z'), 'Indian/Reunion')).toBe('13 h 15');
  });

  it('reads the booking form: offer, local start, key, and 1 to 500 parcels for a deposit', () => {
    const base = { offre: 'OFR-1', debut: '2026-12-01T10:15', cle: 'abcdefgh12345678' };
    expect(readBookForm(base, 'appointment')).toEqual({ ok: true, offerId: 'OFR-1', startsAt: '2026-12-01T10:15', requestKey: 'abcdefgh12345678' });
    // An appointment ignores a parcels field; a deposit without one announces 1 parcel.
    expect(readBookForm({ ...base, colis: '12' }, 'appointment')).toEqual({ ok: true, offerId: 'OFR-1', startsAt: '2026-12-01T10:15', requestKey: 'abcdefgh12345678' });
    expect(readBookForm({ ...base, colis: '' }, 'deposit')).toMatchObject({ ok: true, parcels: 1 });
    fc.assert(fc.property(fc.integer({ min: 1, max: 500 }), (n) => {
      expect(readBookForm({ ...base, colis: ` ${n} ` }, 'deposit')).toMatchObject({ ok: true, parcels: n });
    }));
    for (const colis of ['0', '501', '-1', '1,5', '2.0', 'trois', '99999']) {
      expect(readBookForm({ ...base, colis }, 'deposit'), colis).toEqual({ ok: false, field: 'colis', message: 'Nombre de colis : un nombre entier de 1 à 500.' });
    }
    expect(readBookForm({ ...base, debut: '2026-12-01 10:15' }, 'appointment')).toMatchObject({ ok: false, field: 'debut' });
    expect(readBookForm({ ...base, debut: '' }, 'appointment')).toMatchObject({ ok: false, field: 'debut' });
    expect(readBookForm({ ...base, offre: '' }, 'appointment')).toMatchObject({ ok: false, field: 'offre' });
    expect(readBookForm({ ...base, cle: 'court' }, 'appointment')).toMatchObject({ ok: false, field: 'cle' });
    expect(readBookForm({ debut: base.debut, cle: base.cle }, undefined)).toMatchObject({ ok: false, field: 'offre' });
  });
});
