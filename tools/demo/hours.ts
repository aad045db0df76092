/**
 * @module
 * Demo opening hours for the demo network: realistic, varied per kind of
 * location, and deterministic (seeded from the location id), so pages,
 * tests and the benchmark see the same hours on every machine.
 *
 * - post offices: Monday–Friday, either morning + afternoon or continuous,
 *   and Saturday morning; overseas ones open earlier and close earlier;
 * - communal and intercommunal agencies: shorter, a few mornings and afternoons;
 * - partner relays and parcel shops: long shop hours including Saturday,
 *   sometimes Sunday morning, sometimes closed on Monday;
 * - parcel lockers: 24/7 (`00:00`–`24:00` every day, one continuous opening).
 *
 * A few locations get an exception: closed on some day in the coming weeks
 * (never in the past relative to `today`). Lockers stay open on public
 * holidays (`openOnHolidays`); every other kind closes on them.
 */
import type { LocationType } from '../../worker/locations/catalog';
import type { ExceptionReason, HoursException, Schedule, Weekday, WeeklyRule } from '../../worker/hours/model';
import { addDays, localParts } from '../../worker/hours/zoned-time';
import { type Random, seededRandom } from './random';

export interface DemoHoursLocation {
  id: string;
  type: LocationType;
  department: string;
  timeZone: string;
}

/** FNV-1a: a stable 32-bit seed from the id. */
function seedOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const WEEKDAYS: Weekday[] = [1, 2, 3, 4, 5];

function on(days: readonly Weekday[], opens: string, closes: string): WeeklyRule[] {
  return days.map((day) => ({ day, opens, closes }));
}

function postOffice(random: Random, overseas: boolean): WeeklyRule[] {
  if (overseas) {
    // Overseas offices open early and mostly run continuously.
    const opens = random.pick(['07:00', '07:30', '08:00']);
    const closes = random.pick(['13:30', '14:30', '15:00', '16:00']);
    return [...on(WEEKDAYS, opens, closes), ...on([6], opens, '11:30')];
  }
  const opens = random.pick(['08:30', '09:00', '09:00', '09:30']);
  const closes = random.pick(['17:00', '17:30', '18:00', '18:00', '18:30']);
  const rules = random.chance(0.35)
    ? on(WEEKDAYS, opens, closes) // town-centre office, no lunch break
    : [...on(WEEKDAYS, opens, random.pick(['12:00', '12:15', '12:30'])), ...on(WEEKDAYS, random.pick(['13:30', '14:00']), closes)];
  if (random.chance(0.85)) rules.push(...on([6], opens, random.pick(['12:00', '12:30'])));
  return rules;
}

function agency(random: Random): WeeklyRule[] {
  // A few mornings, an afternoon or two: what a town hall can staff.
  const mornings = WEEKDAYS.filter(() => random.chance(0.7));
  const days = mornings.length ? mornings : [2 as Weekday, 4 as Weekday];
  const rules = on(days, random.pick(['08:30', '09:00', '09:30']), random.pick(['11:30', '12:00']));
  const afternoon = WEEKDAYS.filter(() => random.chance(0.25));
  rules.push(...on(afternoon, '14:00', random.pick(['16:30', '17:00'])));
  if (random.chance(0.4)) rules.push(...on([6], '09:00', '11:30'));
  return rules;
}

function shop(random: Random, relay: boolean): WeeklyRule[] {
  const days: Weekday[] = random.chance(0.3) ? [2, 3, 4, 5, 6] : [1, 2, 3, 4, 5, 6];
  const opens = relay ? random.pick(['07:00', '07:30', '08:00']) : random.pick(['08:30', '09:00', '09:30']);
  const closes = random.pick(['19:00', '19:30', '20:00']);
  const rules = random.chance(0.5)
    ? on(days, opens, closes)
    : [...on(days, opens, random.pick(['12:30', '13:00'])), ...on(days, random.pick(['14:30', '15:00']), closes)];
  if (random.chance(relay ? 0.4 : 0.15)) rules.push(...on([7], opens, '12:30'));
  return rules;
}

function weeklyFor(random: Random, location: DemoHoursLocation): WeeklyRule[] {
  switch (location.type) {
    case 'post_office':
      return postOffice(random, location.timeZone !== 'Europe/Paris');
    case 'communal_agency':
    case 'intercommunal_agency':
    case 'military_agency':
      return agency(random);
    case 'partner_relay':
      return shop(random, true);
    case 'parcel_shop':
      return shop(random, false);
    case 'parcel_locker':
      return on([1, 2, 3, 4, 5, 6, 7], '00:00', '24:00');
  }
}

const CLOSURES: Array<[ExceptionReason, string | null]> = [
  ['staff_shortage', null],
  ['works', 'Travaux de rénovation du bureau.'],
  ['event', 'Fermé pour la fête communale.'],
  ['other', null],
];

/** Deterministic demo hours of a location; exceptions fall within the 30 days after `today` (local date). */
export function demoSchedule(location: DemoHoursLocation, today: string = localParts(new Date(), location.timeZone).date): Schedule {
  const random = seededRandom(seedOf(location.id));
  const weekly = weeklyFor(random, location).sort((a, b) => a.day - b.day || a.opens.localeCompare(b.opens));
  const exceptions: HoursException[] = [];
  // A separate stream for exceptions, so the weekly hours do not depend on `today`.
  const extra = seededRandom(seedOf(`${location.id}:${today}`));
  if (location.type !== 'parcel_locker' && random.chance(0.04)) {
    const startDate = addDays(today, 1 + extra.int(30));
    const [reason, note] = CLOSURES[extra.int(CLOSURES.length)];
    exceptions.push({
      id: `demo-${location.id}-${startDate}`,
      startDate,
      endDate: reason === 'works' ? addDays(startDate, 2 + extra.int(5)) : startDate,
      closed: true,
      intervals: [],
      reason,
      note,
    });
  }
  return { timeZone: location.timeZone, department: location.department, weekly, exceptions, openOnHolidays: location.type === 'parcel_locker' };
}
