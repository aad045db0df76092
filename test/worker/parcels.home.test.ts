/**
 * "Mes colis" on the signed-in home (worker/parcels/home-section.ts) on a
 * real D1: a followed parcel waiting at an office comes first, with its
 * place and the deadline at that office's closing on the last day of the
 * holding period; others in one line; a delivered or returned parcel stays
 * 2 days after its last event, then leaves; nothing at all for a customer
 * who follows no parcel. Also the account export's list of parcels.
 * Deadlines and sentences are written by hand from the hours given here
 * and the calendar of November 2026.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { customers } from '../../db/schema';
import { exportAccount } from '../../worker/accounts/account';
import { homeFor } from '../../worker/accounts/home';
import { currentCustomer, openCustomerSession } from '../../worker/accounts/sessions';
import type { WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { carrierKey, createCarrier } from '../../worker/parcels/carriers';
import { followParcel } from '../../worker/parcels/following';
import { homeOrder, parcelsSection, parcelsSectionWith } from '../../worker/parcels/home-section';
import { ingestCarrierEvents } from '../../worker/parcels/ingest';
import { db, demoSample, load } from './seed';

const HOUR = 3_600_000;
/** Friday 20 November 2026, 11:00 in Paris. */
const NOW = new Date('2026-11-20T10:00:00Z');
/** Monday to Saturday, 08:00–19:00. */
const WEEK: WeeklyRule[] = ([1, 2, 3, 4, 5, 6] as const).map((day) => ({ day, opens: '08:00', closes: '19:00' }));
const POSTCODE = '69003';

let office: { id: string; name: string };
let key: string;
let carrierId: string;
let serial = 0;

/** Colissimo-style numbers (two characters, 11 digits), unique in this file. */
const newNumber = () => `6H${String(Date.now() % 1e8).padStart(8, '0')}${String(serial++).padStart(3, '0')}`;

/** A parcel with these events (code, instant, place), sent through the ingestion use case as of `NOW`. */
async function parcel(events: Array<[code: string, at: string, locationId?: string]>): Promise<string> {
  const number = newNumber();
  const result = await ingestCarrierEvents(db(), {
    carrierId,
    events: events.map(([code, at, locationId], i) => ({
      event_id: `${number}-${i}`, tracking_number: number, code, occurred_at: at,
      ...(locationId ? { location_id: locationId } : {}), ...(i === 0 ? { recipient_postcode: POSTCODE } : {}),
    })),
    replayDigest: null, key, now: NOW,
  });
  expect(result.rejected, JSON.stringify(result.results)).toBe(0);
  return number;
}

async function newCustomer() {
  const id = `cus_${crypto.randomUUID()}`;
  const at = NOW.toISOString();
  await db().insert(customers).values({ id, email: `accueil.colis.${serial++}@exemple.fr`, counterSalt: crypto.randomUUID(), createdAt: at, lastActiveAt: at });
  const { cookie } = await openCustomerSession(db(), { customerId: id, method: 'code', cookieHeader: null, now: new Date() });
  const session = await currentCustomer(db(), cookie.split(';')[0], new Date());
  if (!session) throw new Error('the session just opened is not found');
  return session;
}

/** Follows with the recipient's postcode, as the account page does, `minutesBefore` NOW (the list is newest added first). */
async function follow(customerId: string, number: string, minutesBefore: number) {
  const result = await followParcel(db(), customerId, { trackingNumber: number, postcode: POSTCODE, key, now: new Date(NOW.getTime() - minutesBefore * 60_000) });
  expect(result).toEqual({ ok: true, trackingNumber: number });
}

beforeAll(async () => {
  const rows = demoSample(200);
  await load(rows);
  const chosen = rows.find((r) => r.type === 'post_office' && r.timeZone === 'Europe/Paris')!;
  office = { id: chosen.id, name: chosen.name };
  await seedSchedules(db(), [{ locationId: office.id, weekly: WEEK, exceptions: [] }], NOW.toISOString());
  key = await carrierKey(db(), undefined);
  carrierId = (await createCarrier(db(), { name: 'Transporteur de l’accueil', key, now: NOW })).id;
});

describe('"Mes colis" on the home', () => {
  it('lists the waiting parcel first, with its office and deadline, then the others newest first, each in one line', async () => {
    const session = await newCustomer();
    // Arrived Tuesday 17 November at 09:00 in Paris: 15 days at a post office end on Wednesday 2 December, open until 19:00.
    const waiting = await parcel([['PC1', '2026-11-15T10:00:00Z'], ['EP1', '2026-11-17T06:00:00Z', office.id], ['AG1', '2026-11-17T08:00:00Z', office.id]]);
    const moving = await parcel([['PC1', '2026-11-19T10:00:00Z'], ['ET1', '2026-11-19T20:00:00Z']]);
    // Out for delivery (step 4), then a notice left: the step stays 4, the incident sits beside it.
    const notice = await parcel([['PC1', '2026-11-18T10:00:00Z'], ['EP1', '2026-11-19T06:00:00Z'], ['MD2', '2026-11-20T07:00:00Z'], ['ND1', '2026-11-20T09:00:00Z']]);
    await follow(session.customer.id, waiting, 3);
    await follow(session.customer.id, moving, 2);
    await follow(session.customer.id, notice, 1);

    const home = await homeFor(db(), session, NOW, [parcelsSection]);
    expect(home.inProgress).toEqual([{
      key: 'parcels',
      title: 'Mes colis',
      items: [
        { label: waiting, href: `/suivi/${waiting}`, detail: `Disponible au point de retrait : ${office.name} · à retirer avant le mercredi 2 décembre à 19 h 00` },
        { label: notice, href: `/suivi/${notice}`, detail: 'En cours de livraison · avisé' },
        { label: moving, href: `/suivi/${moving}`, detail: 'En cours d’acheminement' },
      ],
      more: { label: 'Gérer mes colis', href: '/compte/colis' },
    }]);

    // The configured holding period counts: 5 days end on Sunday 22, when it is closed; Saturday 21 at 19:00 is the last opening.
    const shorter = await parcelsSectionWith({ post_office: 5 })(db(), session.customer, NOW);
    expect(shorter!.items[0]!.detail).toBe(`Disponible au point de retrait : ${office.name} · à retirer avant le samedi 21 novembre à 19 h 00`);
    // Once that moment has passed, the home says so instead of a deadline in the past.
    const late = await parcelsSectionWith({ post_office: 5 })(db(), session.customer, new Date('2026-11-21T18:00:00Z'));
    expect(late!.items[0]!.detail).toBe(`Disponible au point de retrait : ${office.name} · délai de retrait dépassé`);
  });

  it('keeps a delivered or returned parcel 2 days after its last event, then leaves it out', async () => {
    const session = await newCustomer();
    const delivered = await parcel([['PC1', '2026-11-17T10:00:00Z'], ['EP1', '2026-11-18T06:00:00Z'], ['MD2', '2026-11-18T08:00:00Z'], ['DI1', '2026-11-18T10:00:00Z']]);
    const returned = await parcel([['PC1', '2026-11-16T10:00:00Z'], ['EP1', '2026-11-17T06:00:00Z'], ['ND1', '2026-11-17T09:00:00Z'], ['RE1', '2026-11-18T10:00:00Z']]);
    await follow(session.customer.id, delivered, 2);
    await follow(session.customer.id, returned, 1);

    const lastEvent = Date.parse('2026-11-18T10:00:00Z');
    const justBefore = await parcelsSection(db(), session.customer, new Date(lastEvent + 48 * HOUR - 60_000));
    expect(justBefore!.items).toEqual([
      { label: returned, href: `/suivi/${returned}`, detail: 'Retourné à l’expéditeur' },
      { label: delivered, href: `/suivi/${delivered}`, detail: 'Livré' },
    ]);
    expect(await parcelsSection(db(), session.customer, new Date(lastEvent + 48 * HOUR))).toBeUndefined();
    const home = await homeFor(db(), session, new Date(lastEvent + 72 * HOUR), [parcelsSection]);
    expect(home.inProgress).toEqual([]);
  });

  it('shows nothing to a customer who follows no parcel', async () => {
    const session = await newCustomer();
    expect(await parcelsSection(db(), session.customer, NOW)).toBeUndefined();
    expect((await homeFor(db(), session, NOW, [parcelsSection])).inProgress).toEqual([]);
  });

  it('lists 5 parcels at most, and links to all of them', async () => {
    const session = await newCustomer();
    const numbers: string[] = [];
    for (let i = 0; i < 7; i++) {
      const number = await parcel([['PC1', `2026-11-19T1${i}:00:00Z`]]);
      await follow(session.customer.id, number, 10 - i);
      numbers.push(number);
    }
    const section = await parcelsSection(db(), session.customer, NOW);
    // Newest added first: the last two followed lead, the first two followed are the ones left for the list.
    expect(section!.items.map((i) => i.label)).toEqual(numbers.slice(2).reverse());
    expect(section!.items.every((i) => i.detail === 'Pris en charge')).toBe(true);
    expect(section!.more).toEqual({ label: 'Voir mes 7 colis', href: '/compte/colis' });
  });
});

describe('the home’s order', () => {
  it('puts waiting parcels first, longest waiting first, and keeps the others in the order given', () => {
    const parcelArb = fc.record({ id: fc.nat(), waitingSince: fc.option(fc.integer({ min: 0, max: 1e12 }), { nil: null }) });
    fc.assert(fc.property(fc.array(parcelArb, { maxLength: 30 }), (parcels) => {
      const ordered = homeOrder(parcels);
      // The same parcels, each once.
      expect([...ordered].sort((a, b) => a.id - b.id || (a.waitingSince ?? -1) - (b.waitingSince ?? -1)))
        .toEqual([...parcels].sort((a, b) => a.id - b.id || (a.waitingSince ?? -1) - (b.waitingSince ?? -1)));
      const firstMoving = ordered.findIndex((p) => p.waitingSince === null);
      const waiting = firstMoving === -1 ? ordered : ordered.slice(0, firstMoving);
      const moving = firstMoving === -1 ? [] : ordered.slice(firstMoving);
      expect(moving.every((p) => p.waitingSince === null)).toBe(true);
      for (let i = 1; i < waiting.length; i++) expect(waiting[i]!.waitingSince!).toBeGreaterThanOrEqual(waiting[i - 1]!.waitingSince!);
      expect(moving).toEqual(parcels.filter((p) => p.waitingSince === null));
    }));
  });
});

describe('the account export', () => {
  it('lists the parcels followed, with when each was added', async () => {
    const session = await newCustomer();
    const first = await parcel([['PC1', '2026-11-19T08:00:00Z']]);
    const second = await parcel([['PC1', '2026-11-19T09:00:00Z']]);
    await follow(session.customer.id, first, 2);
    await follow(session.customer.id, second, 1);
    const data = await exportAccount(db(), session.customer, NOW);
    expect(data.parcels).toEqual([
      { tracking_number: first, added_at: new Date(NOW.getTime() - 2 * 60_000).toISOString() },
      { tracking_number: second, added_at: new Date(NOW.getTime() - 60_000).toISOString() },
    ]);
  });
});
