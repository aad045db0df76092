/**
 * A parcel's status through the API (`GET /api/v1/parcels/{tracking_number}`)
 * on a real D1, fed by signed carrier events: malformed numbers are a 400
 * that says what is wrong, unknown ones a 404 that explains when a parcel
 * appears, known ones the current step, every event in order with its
 * French label, the estimate only while the parcel moves, and, while it
 * waits at a point, that place and a deadline that falls on an opening of
 * the place's real calendar. Expected dates and sentences are worked out
 * here from the hours seeded, with Intl, not with the code under test.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { statusAt } from '../../worker/hours/engine';
import type { HoursException, Schedule, WeeklyRule } from '../../worker/hours/model';
import { seedSchedules } from '../../worker/hours/store';
import { carrierKey, createCarrier } from '../../worker/parcels/carriers';
import { signatureHeader } from '../../worker/parcels/signature';
import { parseTrackingNumber } from '../../worker/parcels/tracking-number';
import { request } from './http-client';
import { db, demoSample, load } from './seed';

interface Status {
  tracking_number: string;
  step: { number: number; label: string };
  steps: Array<{ number: number; label: string; state: string }>;
  incidents: Array<{ code: string; label: string }>;
  delivered: boolean;
  events: Array<{ code: string; label: string; occurred_at: string; location_id: string | null }>;
  estimate: { from: string; to: string; confidence: string; late: boolean; label: string } | null;
  collection: {
    location: { id: string; name: string; commune: string; type: string; path: string };
    arrived_at: string;
    deadline: string | null;
    deadline_label: string | null;
    deadline_extended: boolean;
    holding_days: number;
    open_now: boolean;
  } | null;
  unknown_codes: string[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const ZONE = 'Europe/Paris';
const ALSACE_MOSELLE = ['57', '67', '68'];

const sample = demoSample(200);
const inParis = sample.filter((l) => l.timeZone === ZONE && !ALSACE_MOSELLE.includes(l.department));
const offices = inParis.filter((l) => l.type === 'post_office');
/** Open every day 10:00–18:00, holidays included; closed for works on the last two days of a parcel's period. */
const everyDay = offices[0]!;
/** Monday to Friday 09:00–12:00 and 14:00–17:30, Saturday 09:00–12:00, closed on public holidays. */
const weekdays = offices[1]!;
const locker = inParis.find((l) => l.type === 'parcel_locker')!;

const WEEK: WeeklyRule[] = [
  ...([1, 2, 3, 4, 5] as const).flatMap((day) => [{ day, opens: '09:00', closes: '12:00' }, { day, opens: '14:00', closes: '17:30' }]),
  { day: 6, opens: '09:00', closes: '12:00' },
];
const ALL_DAYS = [1, 2, 3, 4, 5, 6, 7] as const;

/** Local date `YYYY-MM-DD` of an instant in Paris. */
const parisDate = (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(ms);
/** `date` plus `days` calendar days. */
const plusDays = (date: string, days: number) => new Date(Date.parse(`${date}T12:00:00Z`) + days * DAY).toISOString().slice(0, 10);
/** The instant of a Paris wall-clock time: the one of the two offsets France uses that reads back as that time. */
function parisInstant(date: string, time: string): number {
  for (const offset of ['+01:00', '+02:00']) {
    const ms = Date.parse(`${date}T${time}:00${offset}`);
    const back = new Intl.DateTimeFormat('sv-SE', { timeZone: ZONE, dateStyle: 'short', timeStyle: 'short' }).format(ms);
    if (back === `${date} ${time}`) return ms;
  }
  throw new Error(`no instant for ${date} ${time} in Paris`);
}
/** "mercredi 16 décembre", "mardi 1er décembre", as French writes a date. */
const frenchDay = (ms: number) =>
  new Intl.DateTimeFormat('fr-FR', { timeZone: ZONE, weekday: 'long', day: 'numeric', month: 'long' }).format(ms).replace(/^(\S+) 1 /, '$1 1er ');

// Arrival at the point: 3 hours ago, so the period's local days are known before anything is seeded.
const ARRIVED = Date.now() - 3 * HOUR;
const ARRIVAL_DAY = parisDate(ARRIVED);
const works = (id: string, from: string, to: string): HoursException => ({ id, startDate: from, endDate: to, closed: true, intervals: [], reason: 'works', note: null });

const schedules: Record<string, Schedule> = {
  [everyDay.id]: {
    timeZone: ZONE, department: everyDay.department, openOnHolidays: true,
    weekly: ALL_DAYS.map((day) => ({ day, opens: '10:00', closes: '18:00' })),
    // 15 days at a post office: days 0 to 15. Days 14 and 15 closed leave day 13 as the last one it opens.
    exceptions: [works('ex_parcel_works', plusDays(ARRIVAL_DAY, 14), plusDays(ARRIVAL_DAY, 15))],
  },
  [weekdays.id]: { timeZone: ZONE, department: weekdays.department, openOnHolidays: false, weekly: WEEK, exceptions: [] },
  [locker.id]: { timeZone: ZONE, department: locker.department, openOnHolidays: true, weekly: ALL_DAYS.map((day) => ({ day, opens: '00:00', closes: '24:00' })), exceptions: [] },
};

let carrier: { id: string; secret: string };
let batch = 0;

/** A valid S10 number, new at each call (check digit by the UPU weights, written out here). */
function newTrackingNumber(): string {
  const serial = String(Math.floor(Math.random() * 100_000_000)).padStart(8, '0');
  const sum = [...serial].reduce((t, d, i) => t + Number(d) * [8, 6, 4, 2, 3, 5, 9, 7][i]!, 0);
  const check = 11 - (sum % 11);
  return `SU${serial}${check === 10 ? 0 : check === 11 ? 5 : check}FR`;
}

/** Posts events as the carrier would, each batch its own signed request. */
async function post(events: object[]) {
  const body = JSON.stringify({ events });
  // Distinct timestamps: two batches with the same body must not look like a replay.
  const header = await signatureHeader(carrier.id, carrier.secret, body, new Date(Date.now() - (batch++ % 200) * 1000));
  const response = await request('/api/v1/parcels/events', { method: 'POST', headers: { 'content-type': 'application/json', 'guichet-signature': header }, body });
  const answer = (await response.json()) as { accepted: number; rejected: number };
  expect(response.status).toBe(200);
  expect(answer.rejected).toBe(0);
}

/** A journey: codes with their hours before now and optional fields, posted shuffled in two batches. */
async function journey(number: string, steps: Array<[code: string, hoursAgo: number, extra?: object]>) {
  const events = steps.map(([code, hoursAgo, extra], i) => ({
    event_id: `st-${number}-${code}-${i}`, tracking_number: number, code, occurred_at: iso(Date.now() - hoursAgo * HOUR), ...extra,
  }));
  const shuffled = [...events].reverse();
  await post(shuffled.slice(0, 2));
  if (shuffled.length > 2) await post(shuffled.slice(2));
}

const read = (number: string) => request(`/api/v1/parcels/${encodeURIComponent(number)}`);
async function status(number: string): Promise<Status> {
  const response = await read(number);
  expect(response.status).toBe(200);
  return (await response.json()) as Status;
}

beforeAll(async () => {
  await load(sample);
  await seedSchedules(db(), Object.entries(schedules).map(([locationId, s]) => ({
    locationId, weekly: s.weekly, exceptions: s.exceptions, openOnHolidays: s.openOnHolidays,
  })), new Date().toISOString());
  carrier = await createCarrier(db(), { name: 'Transporteur du suivi', key: await carrierKey(db(), undefined), now: new Date() });
});

describe('malformed and unknown numbers', () => {
  it.each([
    // 12345678 weighs 8+12+12+8+15+30+63+56 = 204; 204 mod 11 = 6; 11 − 6 = 5: the key is 5, not 4.
    ['RB123456784FR', 'clé de contrôle erronée : le 11e caractère devrait être 5 (vérifiez la saisie)'],
    ['RB12345', 'numéro de suivi de 7 caractères : 13 attendus (par exemple RB123456785FR ou 6A12345678901)'],
    ['RB1234567*5FR', 'le numéro de suivi ne contient que des lettres et des chiffres'],
  ])('%s is a 400 whose reason says what is wrong', async (number, reason) => {
    const response = await read(number);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as { invalid_params: Array<{ name: string; reason: string }> };
    expect(problem.invalid_params).toEqual([{ name: 'tracking_number', reason }]);
    // The page and the API say the same thing: the reason is tracking-number.ts's own.
    expect(parseTrackingNumber(number)).toEqual({ ok: false, reason });
  });

  it('answers a well-formed number nobody scanned with a 404 that explains when a parcel appears', async () => {
    const number = newTrackingNumber();
    const response = await read(number);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as { detail: string };
    expect(problem.detail).toContain(number);
    expect(problem.detail).toContain('Un colis apparaît ici après sa première prise en charge par le transporteur : si vous venez de le déposer, réessayez dans quelques heures.');
  });
});

describe('the API description', () => {
  it('documents the route, its tracking number and the answer’s fields in the OpenAPI document', async () => {
    const doc = (await (await request('/api/openapi.json')).json()) as any;
    const route = doc.paths['/api/v1/parcels/{tracking_number}'].get;
    expect(route.parameters.map((p: { name: string; in: string }) => [p.name, p.in])).toEqual([['tracking_number', 'path']]);
    expect(Object.keys(route.responses).sort()).toEqual(['200', '400', '404']);
    const schema = route.responses['200'].content['application/json'].schema;
    const fields = schema.$ref ? doc.components.schemas[schema.$ref.split('/').at(-1)].properties : schema.properties;
    expect(Object.keys(fields)).toEqual(['tracking_number', 'step', 'steps', 'incidents', 'delivered', 'events', 'estimate', 'collection', 'unknown_codes']);
  });
});

describe('a parcel on its way', () => {
  it('shows the current step, every event in order with its French label, and a range of dates', async () => {
    const number = newTrackingNumber();
    await journey(number, [['PC1', 30, { product: 'colissimo', recipient_postcode: '75011' }], ['ET1', 20], ['ET3', 2]]);
    const body = await status(number);
    expect(body.tracking_number).toBe(number);
    expect(body.step).toEqual({ number: 2, label: 'en cours d’acheminement' });
    expect(body.steps.map((s) => s.state)).toEqual(['done', 'current', 'upcoming', 'upcoming', 'upcoming']);
    expect(body.steps.map((s) => s.label)).toEqual([
      'pris en charge', 'en cours d’acheminement', 'arrivé sur le site de distribution',
      'en cours de livraison ou disponible au point de retrait', 'livré',
    ]);
    expect(body.events.map((e) => [e.code, e.label])).toEqual([
      ['PC1', 'Pris en charge'],
      ['ET1', 'En cours de traitement'],
      ['ET3', 'En cours de traitement dans le pays de destination'],
    ]);
    const instants = body.events.map((e) => Date.parse(e.occurred_at));
    expect(instants).toEqual([...instants].sort((a, b) => a - b));
    expect(body.delivered).toBe(false);
    expect(body.collection).toBeNull();
    const estimate = body.estimate!;
    expect(estimate.from <= estimate.to).toBe(true);
    // A range, never one falsely precise date, and never before today (Paris: no place named).
    expect(estimate.from < estimate.to).toBe(true);
    expect(estimate.from >= parisDate(Date.now())).toBe(true);
    expect(estimate.label).toMatch(/^entre le /);
    expect(estimate.label).toContain(frenchDay(parisInstant(estimate.to, '12:00')).replace(/^\S+ /, ''));
    // Nothing personal: the recipient's postcode went in, it never comes out.
    expect(JSON.stringify(body)).not.toContain('75011');
  });

  it('accepts the number as people type it, and says an unknown code rather than hiding it', async () => {
    const number = newTrackingNumber();
    await journey(number, [['PC1', 5], ['ZZ7', 4]]);
    const typed = `${number.slice(0, 4).toLowerCase()} ${number.slice(4, 8)} ${number.slice(8)}`;
    const body = await status(typed);
    expect(body.tracking_number).toBe(number);
    expect(body.events.map((e) => e.label)).toEqual(['Pris en charge', 'Événement transporteur ZZ7']);
    expect(body.unknown_codes).toEqual(['ZZ7']);
    expect(body.step.number).toBe(1);
  });

  it('is revalidated on every read (no-cache with an ETag) and changes when an event arrives', async () => {
    const number = newTrackingNumber();
    await journey(number, [['PC1', 6]]);
    const first = await read(number);
    await first.text();
    expect(first.headers.get('cache-control')).toBe('public, no-cache');
    const etag = first.headers.get('etag')!;
    expect(etag).toBeTruthy();
    expect((await request(`/api/v1/parcels/${number}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    await journey(number, [['ET1', 1]]);
    const again = await request(`/api/v1/parcels/${number}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(200);
    expect(((await again.json()) as Status).step.number).toBe(2);
  });

  it('is delivered: the last step current, no estimate, no place to collect from', async () => {
    const number = newTrackingNumber();
    await journey(number, [['PC1', 40], ['ET1', 30], ['EP1', 8, { location_id: weekdays.id }], ['MD2', 5], ['DI1', 2]]);
    const body = await status(number);
    expect(body.step).toEqual({ number: 5, label: 'livré' });
    expect(body.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'done', 'current']);
    expect(body.steps[3]!.label).toBe('en cours de livraison');
    expect(body.delivered).toBe(true);
    expect(body.estimate).toBeNull();
    expect(body.collection).toBeNull();
    expect(body.events.at(-1)).toMatchObject({ code: 'DI1', label: 'Livré' });
  });

  it('shows an incident beside the steps', async () => {
    const number = newTrackingNumber();
    await journey(number, [['PC1', 30], ['EP1', 10], ['ND1', 3]]);
    const body = await status(number);
    expect(body.incidents).toEqual([{ code: 'avise', label: 'avisé' }]);
    expect(body.events.at(-1)!.label).toBe('Distribution impossible : le destinataire est avisé');
  });
});

describe('a parcel waiting at a point', () => {
  it('names the place, links to its page and gives the last moment to collect it, from the place’s own calendar', async () => {
    const number = newTrackingNumber();
    await journey(number, [
      ['PC1', 50, { product: 'colissimo' }], ['ET1', 30], ['EP1', 10, { location_id: everyDay.id }],
      ['AG1', 3, { location_id: everyDay.id, shelf: 'B12', recipient_postcode: '75011' }],
    ]);
    // The journey's AG1 is 3 hours ago, as ARRIVED (a few ms apart: the same local day unless it is midnight sharp).
    const body = await status(number);
    expect(body.step).toEqual({ number: 4, label: 'disponible au point de retrait' });
    expect(body.steps.map((s) => s.state)).toEqual(['done', 'done', 'done', 'current', 'upcoming']);
    expect(body.estimate).toBeNull();
    const collection = body.collection!;
    expect(collection.location).toEqual({
      id: everyDay.id, name: everyDay.name, commune: everyDay.commune, type: 'post_office',
      path: expect.stringMatching(new RegExp(`^/bureaux/[a-z0-9-]+-${everyDay.id.toLowerCase()}$`)),
    });
    expect(collection.holding_days).toBe(15);
    // Day 15 and 14 are closed for works: the last opening is day 13, until 18:00 in Paris.
    const expected = parisInstant(plusDays(ARRIVAL_DAY, 13), '18:00');
    expect(collection.deadline).toBe(iso(expected));
    expect(collection.deadline_label).toBe(`à retirer avant le ${frenchDay(expected)} à 18 h 00`);
    expect(collection.deadline_extended).toBe(false);
    const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', hourCycle: 'h23' }).format(Date.now()));
    expect(collection.open_now).toBe(hour >= 10 && hour < 18);
    // No shelf slot, no postcode on a public answer.
    expect(JSON.stringify(body)).not.toMatch(/B12|75011/);
  });

  it('never puts the deadline at a moment the place is closed', async () => {
    for (const [place, hoursAgo] of [[weekdays, 1], [weekdays, 30], [weekdays, 100], [locker, 2], [locker, 50]] as const) {
      const number = newTrackingNumber();
      await journey(number, [['PC1', hoursAgo + 30], ['AG1', hoursAgo, { location_id: place.id }]]);
      const collection = (await status(number)).collection!;
      const deadline = Date.parse(collection.deadline!);
      const schedule = schedules[place.id]!;
      expect(statusAt(schedule, new Date(deadline - 60_000)).open, `${place.type} ${hoursAgo} h: open a minute before`).toBe(true);
      if (place.type !== 'parcel_locker') expect(statusAt(schedule, new Date(deadline)).open, 'closed at the deadline').toBe(false);
      const arrived = Date.now() - hoursAgo * HOUR;
      // Within the period: from the day of arrival to 15 days after it (3 at a locker).
      const days = place.type === 'parcel_locker' ? 3 : 15;
      expect(deadline).toBeGreaterThan(arrived);
      expect(deadline).toBeLessThanOrEqual(parisInstant(plusDays(parisDate(arrived), days + 1), '00:00'));
      expect(collection.holding_days).toBe(days);
    }
  });

  it('keeps a parcel in a 24/7 locker until midnight at the end of its third day', async () => {
    const number = newTrackingNumber();
    await journey(number, [['PC1', 30], ['AG1', 2, { location_id: locker.id }]]);
    const collection = (await status(number)).collection!;
    const arrivalDay = parisDate(Date.now() - 2 * HOUR);
    expect(collection.deadline).toBe(iso(parisInstant(plusDays(arrivalDay, 4), '00:00')));
    expect(collection.deadline_label).toBe(`à retirer avant le ${frenchDay(parisInstant(plusDays(arrivalDay, 3), '12:00'))} à minuit`);
    expect(collection.open_now).toBe(true);
  });

  it('ends the wait when the parcel is collected: delivered, no deadline left', async () => {
    const number = newTrackingNumber();
    await journey(number, [['PC1', 30], ['AG1', 5, { location_id: weekdays.id }], ['DI2', 1, { location_id: weekdays.id }]]);
    const body = await status(number);
    expect(body).toMatchObject({ delivered: true, collection: null, estimate: null, step: { number: 5 } });
    expect(body.steps[3]!.label).toBe('disponible au point de retrait');
  });
});
