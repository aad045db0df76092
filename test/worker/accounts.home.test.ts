/**
 * The signed-in home's data (worker/accounts/home.ts) on a real D1: the
 * first favourite with its status and closures of the next 14 days in its
 * own zone, the others as links, empty "in progress" sections left out,
 * and what it costs D1. Expected sentences and dates are written by hand
 * from the hours given here and the French calendar.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { customers, locations } from '../../db/schema';
import { addFavourite } from '../../worker/accounts/favourites';
import { homeFor, type ProgressSection, type SectionProvider } from '../../worker/accounts/home';
import { currentCustomer, openCustomerSession } from '../../worker/accounts/sessions';
import { drizzleDatabase } from '../../worker/database';
import { Meter, meteredD1 } from '../../worker/edge/meter';
import type { WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { MAX_FAVOURITES } from '../../worker/accounts/model';
import { db, demoSample, load } from './seed';

const sample = demoSample(300);
const ALSACE_MOSELLE = ['57', '67', '68'];
const paris = sample.filter((l) => l.type === 'post_office' && l.timeZone === 'Europe/Paris' && !ALSACE_MOSELLE.includes(l.department));
const reunion = sample.find((l) => l.timeZone === 'Indian/Reunion')!;

/** Monday to Friday 09:00–12:00 and 14:00–17:30, Saturday 09:00–12:00. */
const WEEK: WeeklyRule[] = [
  ...([1, 2, 3, 4, 5] as const).flatMap((day) => [{ day, opens: '09:00', closes: '12:00' }, { day, opens: '14:00', closes: '17:30' }]),
  { day: 6, opens: '09:00', closes: '12:00' },
];
const closedFor = (id: string, startDate: string, endDate: string, reason: 'works' | 'strike', note: string | null = null) =>
  ({ id, startDate, endDate, closed: true, intervals: [], reason, note });

/** Tuesday 22 December 2026, 10:30 in Paris (09:30 UTC). */
const TUESDAY_MORNING = new Date('2026-12-22T09:30:00Z');

async function newCustomer(email: string, name: string | null = null) {
  const id = `cus_${crypto.randomUUID()}`;
  const at = new Date().toISOString();
  await db().insert(customers).values({ id, email, name, counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at });
  const { cookie } = await openCustomerSession(db(), { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
  const pair = cookie.split(';')[0];
  const session = await currentCustomer(db(), pair, new Date());
  if (!session) throw new Error('the session just opened is not found');
  return Object.assign(session, { cookie: pair });
}

beforeAll(async () => {
  await load(sample);
  await seedSchedules(db(), [
    // Closed from Saturday 26 to Wednesday 30 December for works: one run across the Sunday it never opens.
    { locationId: paris[0].id, weekly: WEEK, exceptions: [closedFor('ex_home_works', '2026-12-26', '2026-12-30', 'works', 'peinture')] },
    { locationId: paris[1].id, weekly: WEEK, exceptions: [] },
    // Tuesday 5 January 2027: inside Réunion's next 14 days on the evening of 22 December in Paris, not Paris's.
    { locationId: reunion.id, weekly: WEEK, exceptions: [closedFor('ex_home_strike', '2027-01-05', '2027-01-05', 'strike')] },
  ], new Date().toISOString());
});

describe('the signed-in home', () => {
  it('shows the first favourite with its status now and its closures of the next 14 days, the others as links', async () => {
    const session = await newCustomer('camille@example.test', 'Camille');
    for (const office of [paris[0], paris[1], reunion]) {
      expect((await addFavourite(db(), session.customer.id, office.id, new Date())).ok).toBe(true);
    }
    const home = await homeFor(db(), session, TUESDAY_MORNING);
    expect(home.name).toBe('Camille');
    expect(home.office).toMatchObject({ locationId: paris[0].id, name: paris[0].name, status: 'Ouvert jusqu’à 12:00', closedForGood: false });
    expect(home.office!.href).toMatch(new RegExp(`^/bureaux/.+-${paris[0].id.toLowerCase()}$`));
    // Christmas is a Friday it opens; 1 January too; Sunday 27 is no news and does not split the works.
    expect(home.office!.closures).toEqual([
      { from: '2026-12-25', to: '2026-12-25', when: 'vendredi 25 décembre', why: 'Noël' },
      { from: '2026-12-26', to: '2026-12-30', when: 'du samedi 26 au mercredi 30 décembre', why: 'Travaux : peinture' },
      { from: '2027-01-01', to: '2027-01-01', when: 'vendredi 1 janvier', why: "Jour de l'an" },
    ]);
    expect(home.others.map((f) => f.locationId)).toEqual([paris[1].id, reunion.id]);
    expect(home.inProgress).toEqual([]);
  });

  it('reads the closures ahead in the office’s own zone and days', async () => {
    const session = await newCustomer('dominique@example.test');
    await addFavourite(db(), session.customer.id, reunion.id, new Date());
    // 21:30 in Paris, 00:30 on Wednesday 23 December in La Réunion.
    const home = await homeFor(db(), session, new Date('2026-12-22T20:30:00Z'));
    expect(home.name).toBeNull();
    expect(home.office!.status).toBe('Fermé · ouvre aujourd’hui à 09:00');
    expect(home.office!.closures.map((c) => [c.from, c.why])).toEqual([
      ['2026-12-25', 'Noël'],
      ['2027-01-01', "Jour de l'an"],
      ['2027-01-05', 'Mouvement social'],
    ]);
  });

  it('says when the first favourite has closed for good, without hours', async () => {
    const gone = paris[2];
    const session = await newCustomer('ferme@example.test');
    await addFavourite(db(), session.customer.id, gone.id, new Date());
    // As an import does when the open data no longer lists it.
    await db().update(locations).set({ status: 'closed', closedAt: new Date().toISOString() }).where(eq(locations.id, gone.id));
    const home = await homeFor(db(), session, TUESDAY_MORNING);
    expect(home.office).toMatchObject({ locationId: gone.id, closedForGood: true, status: null, closures: [] });
  });

  it('has no office and no section for a customer without favourites', async () => {
    const session = await newCustomer('sans-favori@example.test');
    const home = await homeFor(db(), session, TUESDAY_MORNING);
    expect(home.office).toBeUndefined();
    expect(home.others).toEqual([]);
    expect(home.inProgress).toEqual([]);
  });

  it('keeps the sections in progress that have something, in order, and leaves out the empty ones', async () => {
    const session = await newCustomer('sections@example.test');
    const parcels: ProgressSection = { key: 'parcels', title: 'Mes colis', items: [{ label: 'Colis 6A123', detail: 'en cours d’acheminement', href: '/suivi/6A123' }] };
    const asked: string[] = [];
    const provider = (section: ProgressSection | undefined): SectionProvider => async (_db, customer) => {
      asked.push(customer.id);
      return section;
    };
    const home = await homeFor(db(), session, TUESDAY_MORNING, [
      provider({ key: 'bookings', title: 'Mes rendez-vous', items: [] }),
      provider(parcels),
      provider(undefined),
    ]);
    expect(home.inProgress).toEqual([parcels]);
    expect(asked).toEqual([session.customer.id, session.customer.id, session.customer.id]);
  });

  it('costs a handful of rows: under 30 for a few favourites, about 40 with the most allowed', async () => {
    const readsFor = async (email: string, favourites: number) => {
      const session = await newCustomer(email);
      for (const office of paris.slice(0, favourites)) await addFavourite(db(), session.customer.id, office.id, new Date());
      const meter = new Meter();
      const metered = drizzleDatabase(meteredD1({ current: () => env.DB }, meter));
      // What the page reads: the session, then the home.
      const signedIn = await currentCustomer(metered, session.cookie, new Date());
      const home = await homeFor(metered, signedIn!, TUESDAY_MORNING);
      expect(home.others).toHaveLength(favourites - 1);
      console.log(`signed-in home, ${favourites} favourites: ${meter.queries} queries, ${meter.rowsRead} rows read`);
      // The session, the favourites with their locations, the first one's weekly rules and exceptions.
      expect(meter.queries).toBeLessThanOrEqual(4);
      return meter.rowsRead;
    };
    expect(await readsFor('trois-bureaux@example.test', 3)).toBeLessThanOrEqual(30);
    // The favourites' query reads each favourite and its location, and D1 counts its sort by date once more.
    expect(await readsFor('dix-bureaux@example.test', MAX_FAVOURITES)).toBeLessThanOrEqual(10 + 3 * MAX_FAVOURITES);
  });
});
