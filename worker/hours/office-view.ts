/**
 * @module
 * The office page (`/bureaux/{slug}`) as data: the location, its parent
 * office and commune, today's status, the week as planned, what differs in
 * the next 14 days and the JSON-LD, or where an old address now lives. The
 * page only lays it out. It lives with hours, which already build on
 * locations, so that `locations` needs nothing from `hours`.
 */
import type { LocationRow } from '../../db/schema';
import type { Database } from '../database';
import { LOCATION_TYPE_LABELS } from '../locations/catalog';
import { findDepartment } from '../locations/departments';
import { idFromLocationSlug, locationSlug } from '../locations/names';
import { communePath, locationPath } from '../locations/present';
import { findCommune, findLocation } from '../locations/queries';
import { locationJsonLd } from '../locations/structured-data';
import { calendar, statusAt } from './engine';
import { EXCEPTION_REASON_LABELS, type Interval } from './model';
import { DAY_NAMES, describeStatus, statusHoldsUntil, wallClock } from './present';
import { openingHoursJsonLd } from './schema-org';
import { loadSchedule } from './store';
import { localParts } from './zoned-time';

export interface OfficeView {
  location: LocationRow;
  path: string;
  /** "Bureau de poste", "Relais poste commerçant"… */
  kind: string;
  departmentName: string;
  /** Breadcrumbs name the commune as its page does (the locality may be a commune déléguée). */
  communeName: string;
  communeHref: string;
  parent: { name: string; path: string } | undefined;
  latitude: string;
  longitude: string;
  stepFreeAccess: 'oui' | 'non' | 'non renseigné';
  /** Today's status sentence; null when the location has no hours. */
  status: string | null;
  hasHours: boolean;
  week: Array<{ name: string; today: boolean; hours: string }>;
  /** Holidays and exceptions of the next 14 days. */
  upcoming: Array<{ date: string; hours: string; why: string }>;
  jsonLd: Record<string, unknown>;
  /** The day the location closed, in its own zone (`23/11/2026`), when it has. */
  closedOn: string | null;
  updatedOn: string;
  /** Until when this view holds as it is (its next opening, closing or midnight): the edge cache keeps it that long at most. */
  holdsUntil: Date;
}

export type OfficePage = { kind: 'not_found' } | { kind: 'redirect'; path: string } | { kind: 'office'; view: OfficeView };

/** `09:00–12:00, 14:00–17:30`, or `fermé`; an overnight closing shows as the wall clock does. */
const hoursText = (intervals: Interval[]) => (intervals.length ? intervals.map((i) => `${i.opens}–${wallClock(i.closes)}`).join(', ') : 'fermé');

const dateLabel = (date: string) =>
  new Date(`${date}T12:00:00Z`).toLocaleDateString('fr-FR', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' });

const localeDate = (instant: string, timeZone: string) => new Date(instant).toLocaleDateString('fr-FR', { timeZone });

/**
 * The office page of `slug` at `now`; `origin` makes the JSON-LD's absolute
 * URLs. A renamed office or an old link answers with its current address.
 */
export async function officeView(db: Database, slug: string, now: Date, origin: string): Promise<OfficePage> {
  const id = idFromLocationSlug(slug);
  const location = id ? await findLocation(db, id) : undefined;
  if (!location) return { kind: 'not_found' };
  const path = locationPath(location);
  if (locationSlug(location) !== slug) return { kind: 'redirect', path };

  const today = localParts(now, location.timeZone);
  const [parent, commune, { schedule }] = await Promise.all([
    location.parentId ? findLocation(db, location.parentId) : undefined,
    findCommune(db, location.inseeCode),
    loadSchedule(db, location, today.date),
  ]);
  const hasHours = Boolean(schedule.weekly.length || schedule.exceptions.length);
  const status = statusAt(schedule, now);
  const parentPage = parent ? { name: parent.name, path: locationPath(parent) } : undefined;
  return {
    kind: 'office',
    view: {
      location,
      path,
      kind: LOCATION_TYPE_LABELS[location.type],
      departmentName: findDepartment(location.department)?.name ?? location.department,
      communeName: commune?.name ?? location.commune,
      communeHref: commune ? communePath(commune) : '/',
      parent: parentPage,
      latitude: location.latitude.toFixed(6),
      longitude: location.longitude.toFixed(6),
      stepFreeAccess: location.stepFreeAccess === null ? 'non renseigné' : location.stepFreeAccess ? 'oui' : 'non',
      status: hasHours ? describeStatus(status, now, schedule.timeZone) : null,
      hasHours,
      week: DAY_NAMES.map((name, index) => ({
        name,
        today: today.weekday === index + 1,
        hours: hoursText(schedule.weekly.filter((r) => r.day === index + 1).sort((a, b) => a.opens.localeCompare(b.opens))),
      })),
      upcoming: (hasHours ? calendar(schedule, now, 14).filter((d) => d.holiday || d.exception) : []).map((d) => ({
        date: dateLabel(d.date),
        hours: hoursText(d.intervals),
        why: d.exception
          ? ` (${EXCEPTION_REASON_LABELS[d.exception.reason]}${d.exception.note ? ` : ${d.exception.note}` : ''})`
          : d.holiday ? ` (${d.holiday})` : '',
      })),
      jsonLd: {
        ...locationJsonLd(location, `${origin}${path}`, parentPage ? { name: parentPage.name, url: `${origin}${parentPage.path}` } : undefined),
        ...(hasHours ? openingHoursJsonLd(schedule, now) : {}),
      },
      closedOn: location.closedAt ? localeDate(location.closedAt, location.timeZone) : null,
      updatedOn: localeDate(location.updatedAt, location.timeZone),
      holdsUntil: statusHoldsUntil(status, now, schedule.timeZone),
    },
  };
}
