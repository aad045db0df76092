/**
 * @module
 * The signed-in home (`/`) as data: only what matters to this customer.
 * Their first favourite office with its status now and its closures of the
 * next 14 days (read through the hours capability’s use case `scheduleAt`), the other
 * favourites as links, and what is in progress, one section per capability
 * that has something (parcels, reservations, appointments as they land).
 * A section with nothing in it is not returned, so the page shows none.
 */
import type { CustomerRow } from '../../db/schema';
import type { Database } from '../database';
import { calendar, statusAt } from '../hours/engine';
import { EXCEPTION_REASON_LABELS, type CalendarDay } from '../hours/model';
import { describeStatus } from '../hours/present';
import { scheduleAt } from '../hours/use-cases';
import { type Favourite, favouritesOf } from './favourites';
import type { CustomerSession } from './sessions';

/** How far ahead the home looks for closures, in the office's own days. */
export const CLOSURE_HORIZON_DAYS = 14;

/** A run of consecutive days the office is closed although its week says open, for one reason. */
export interface Closure {
  /** Local dates `YYYY-MM-DD`, in the office's time zone. */
  from: string;
  to: string;
  /** "lundi 7 décembre", or "du lundi 7 au mercredi 9 décembre". */
  when: string;
  /** "Travaux", "Noël", "Fermeture exceptionnelle : inventaire"… */
  why: string;
}

export interface OfficeCard {
  locationId: string;
  name: string;
  commune: string;
  href: string;
  /** The status sentence now ("Ouvert jusqu’à 17:30"); null when the office publishes no hours. */
  status: string | null;
  /** The office has closed for good (it stays a favourite until removed). */
  closedForGood: boolean;
  closures: Closure[];
}

/** One thing in progress: a parcel, a reservation, an appointment. */
export interface ProgressItem {
  label: string;
  detail?: string;
  href: string;
}

/** What one capability shows under "En cours"; `items` is never empty in a returned section. */
export interface ProgressSection {
  key: string;
  /** The section's heading, e.g. "Mes colis". */
  title: string;
  items: ProgressItem[];
  /** Where the full list lives, e.g. `/suivi`. */
  more?: { label: string; href: string };
}

/**
 * One capability's contribution to the home: its section for this customer,
 * or undefined when it has nothing in progress. Keep it to one small query.
 */
export type SectionProvider = (db: Database, customer: CustomerRow, now: Date) => Promise<ProgressSection | undefined>;

/**
 * The providers this capability knows of: none, since accounts import no
 * other capability. The home is composed where the capabilities meet
 * (site/pages/index.astro passes parcels' section; stock reservations and
 * appointments will add theirs there).
 */
export const IN_PROGRESS: readonly SectionProvider[] = [];

export interface PersonalHome {
  /** The name to greet with, when the customer gave one. */
  name: string | null;
  /** "My office": the first favourite. */
  office?: OfficeCard;
  /** The other favourites, as links. */
  others: Favourite[];
  inProgress: ProgressSection[];
}

const dateWords = (date: string, withMonth = true) =>
  new Date(`${date}T12:00:00Z`).toLocaleDateString('fr-FR', { weekday: 'long', day: 'numeric', ...(withMonth ? { month: 'long' } : {}), timeZone: 'UTC' });

/** "lundi 7 décembre", "du lundi 7 au mercredi 9 décembre", "du lundi 30 novembre au mardi 1 décembre". */
function spanWords(from: string, to: string): string {
  if (from === to) return dateWords(from);
  const sameMonth = from.slice(0, 7) === to.slice(0, 7);
  return `du ${dateWords(from, !sameMonth)} au ${dateWords(to)}`;
}

function closureReason(day: CalendarDay): string {
  if (day.exception) {
    const label = EXCEPTION_REASON_LABELS[day.exception.reason];
    return day.exception.note ? `${label} : ${day.exception.note}` : label;
  }
  return day.holiday ?? '';
}

/**
 * The days of the next 14 on which the office is closed by an exception or
 * a public holiday although its week opens it that weekday (a holiday on a
 * Sunday it never opens is no news), consecutive days of one reason merged.
 */
export function closuresAhead(days: CalendarDay[], openWeekdays: ReadonlySet<number>): Closure[] {
  const closures: Closure[] = [];
  let run: Closure | undefined;
  for (const day of days) {
    // A weekday it never opens is neither news nor the end of a run (a closed week spans its Sunday).
    if (!openWeekdays.has(day.weekday)) continue;
    if (day.intervals.length > 0 || (day.exception === null && day.holiday === null)) {
      run = undefined;
      continue;
    }
    const why = closureReason(day);
    if (run && run.why === why) {
      run.to = day.date;
      run.when = spanWords(run.from, run.to);
    } else {
      run = { from: day.date, to: day.date, when: spanWords(day.date, day.date), why };
      closures.push(run);
    }
  }
  return closures;
}

async function officeCard(db: Database, favourite: Favourite, now: Date): Promise<OfficeCard> {
  const card = { locationId: favourite.locationId, name: favourite.name, commune: favourite.commune, href: favourite.href };
  if (favourite.status === 'closed') return { ...card, status: null, closedForGood: true, closures: [] };
  // The favourites' query read the location already: only its schedule is left to read.
  const schedule = await scheduleAt(db, { id: favourite.locationId, timeZone: favourite.timeZone, department: favourite.department }, now);
  if (schedule.weekly.length === 0 && schedule.exceptions.length === 0) return { ...card, status: null, closedForGood: false, closures: [] };
  const openWeekdays = new Set<number>(schedule.weekly.map((rule) => rule.day));
  return {
    ...card,
    status: describeStatus(statusAt(schedule, now), now, schedule.timeZone),
    closedForGood: false,
    closures: closuresAhead(calendar(schedule, now, CLOSURE_HORIZON_DAYS), openWeekdays),
  };
}

/**
 * What the signed-in home shows to the customer of `session` at `now`:
 * two round trips to D1 (the favourites with their locations, then the
 * first one's weekly rules and exceptions in one batch), plus one query per
 * capability in progress, run alongside: a handful of rows.
 */
export async function homeFor(db: Database, session: CustomerSession, now: Date, providers: readonly SectionProvider[] = IN_PROGRESS): Promise<PersonalHome> {
  const { customer } = session;
  const [favourites, sections] = await Promise.all([
    favouritesOf(db, customer.id),
    Promise.all(providers.map((provide) => provide(db, customer, now))),
  ]);
  const [first, ...others] = favourites;
  return {
    name: customer.name?.trim() || null,
    office: first ? await officeCard(db, first, now) : undefined,
    others,
    inProgress: sections.filter((s): s is ProgressSection => s !== undefined && s.items.length > 0),
  };
}
