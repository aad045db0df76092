/**
 * @module
 * A parcel's status as people read it, by its tracking number: La Poste's
 * five steps with the current one, open incidents, every event with its
 * French label and local time, the delivery estimate as a range with how
 * sure it is, and, when the parcel waits at a point, that place, its hours
 * and the collect-by deadline from its real calendar. The API
 * (`GET /api/v1/parcels/{tracking_number}`, present.ts) and the page
 * (`/suivi/{numero}`) both take their facts from here and nowhere else.
 *
 * Public by design: anyone holding a tracking number reads this, so it
 * shows nothing personal (no name, no postcode, no shelf slot); the places
 * it names are the network's public locations. Words such as « demain »,
 * « aujourd’hui » and « ouvert jusqu’à 17:30 » hold until a known instant
 * (`holdsUntil`), which tells the edge cache how long it may keep them.
 */
import type { LocationRow } from '../../db/schema';
import type { Database } from '../database';
import { bindings } from '../env';
import { calendar, statusAt } from '../hours/engine';
import { EXCEPTION_REASON_LABELS, type CalendarDay } from '../hours/model';
import { DAY_NAMES, describeStatus, statusHoldsUntil, wallClock } from '../hours/present';
import { addDays, civilFromDays, instantAt, localParts, MINUTES_PER_DAY, parseDay, parseTime, weekdayOfDay } from '../hours/zoned-time';
import { LOCATION_TYPE_LABELS, type LocationType } from '../locations/catalog';
import { locationPath } from '../locations/present';
import { listLocationsByIds } from '../locations/queries';
import { collectionPoint, type HoldingDays } from './collection';
import { type Confidence, estimateDelivery, estimateLabel } from './estimate';
import { EVENT_CODES, INCIDENT_LABELS, type Incident, isKnownCode, STEPS, type Step } from './events';
import { eventsOfParcel, type StoredEvent } from './store';
import { latestOf, stateOfCarrierEvents } from './timeline';
import { parseTrackingNumber } from './tracking-number';

/** Where the carrier's events say nothing about the place: the destination is taken to be metropolitan France. */
export const DEFAULT_DEPARTMENT = '75';
export const DEFAULT_TIME_ZONE = 'Europe/Paris';

/** Step 0: the sender announced the parcel, no carrier has scanned it yet. */
export const ANNOUNCED_LABEL = 'annoncé, pas encore pris en charge';
/** Step 4 before it is reached: which of the two it will be is not known yet. */
const STEP_4_AHEAD = 'en cours de livraison ou disponible au point de retrait';
const STEP_4_WAITING = 'disponible au point de retrait';

export const CONFIDENCE_LABELS: Record<Confidence, string> = {
  haute: 'estimation fiable',
  moyenne: 'estimation probable',
  faible: 'estimation incertaine',
};

export interface StepView {
  number: 1 | 2 | 3 | 4 | 5;
  label: string;
  state: 'done' | 'current' | 'upcoming';
}

export interface PlaceView {
  id: string;
  name: string;
  commune: string;
  type: LocationType;
  /** "Bureau de poste", "Consigne à colis"… */
  kind: string;
  /** Its page on this site. */
  path: string;
}

export interface EventView {
  code: string;
  label: string;
  /** The code is in La Poste's vocabulary. */
  known: boolean;
  occurredAt: Date;
  /** "mardi 24 novembre, 10 h 05", in `timeZone`. */
  when: string;
  /** The event place's zone when it is known, else Europe/Paris. */
  timeZone: string;
  locationId: string | null;
  /** The place, when it is a location of the network. */
  place: PlaceView | null;
}

export interface EstimateView {
  /** Local dates `YYYY-MM-DD` of the destination. */
  from: string;
  to: string;
  confidence: Confidence;
  confidenceLabel: string;
  late: boolean;
  /** « entre le jeudi 3 et le samedi 5 décembre », « aujourd’hui »… */
  label: string;
}

export interface CollectionDayView {
  date: string;
  /** "mardi 24 novembre". */
  label: string;
  /** "09:00–12:00, 14:00–17:30", "24 h sur 24", "fermé (Noël)". */
  hours: string;
  today: boolean;
  /** The deadline's day. */
  last: boolean;
}

export interface CollectionView {
  place: PlaceView;
  timeZone: string;
  /** Arrival at the point. */
  since: Date;
  /** "mardi 24 novembre, 10 h 05", in the place's zone. */
  sinceWhen: string;
  holdingDays: number;
  /** The last moment to collect it; null when the place does not open within a year. */
  deadline: Date | null;
  /** "à retirer avant le mercredi 16 décembre à 18 h 00". */
  deadlineLabel: string | null;
  /** The place is closed for the whole period: the deadline is its first opening day after it. */
  extended: boolean;
  /** The deadline has passed (the parcel goes back to the sender). */
  overdue: boolean;
  openNow: boolean;
  /** "Ouvert jusqu’à 17:30", "Fermé · ouvre lundi à 09:00"; null when the place has no hours. */
  status: string | null;
  /** From today to the deadline's day (a week when there is none, or it has passed). */
  days: CollectionDayView[];
}

export interface ParcelView {
  trackingNumber: string;
  format: 's10' | 'colissimo';
  /** One line for the top of the page: "Disponible au point de retrait", "En cours de livraison · avisé", "Retourné à l’expéditeur". */
  summary: string;
  step: { number: Step; label: string };
  steps: StepView[];
  incidents: Array<{ code: Incident; label: string }>;
  delivered: boolean;
  /** Waits at a point to be collected (the place may be unknown to Guichet: then `collection` is null). */
  waiting: boolean;
  /** In the order they happened. */
  events: EventView[];
  estimate: EstimateView | null;
  collection: CollectionView | null;
  /** Codes outside the vocabulary, each once. */
  unknownCodes: string[];
  /** The latest event's instant. */
  lastEventAt: Date;
  /**
   * Until when this view stays true as it is worded, unless an event or
   * the waiting place's hours change: the next local midnight of every zone
   * it speaks in, the waiting place's next opening, closing or "closing
   * soon", the deadline, and at most {@link VIEW_HOLDS_AT_MOST_MS} ahead.
   */
  holdsUntil: Date;
}

export type ParcelStatus =
  | { ok: false; problem: 'invalid'; reason: string }
  | { ok: false; problem: 'unknown'; number: string }
  | { ok: true; view: ParcelView };

/** Shown when a well-formed number has no event yet (the API's 404 and the page's). */
export const UNKNOWN_PARCEL_EXPLANATION =
  'Un colis apparaît ici après sa première prise en charge par le transporteur : si vous venez de le déposer, réessayez dans quelques heures.';

/**
 * The longest a view is taken to hold: what it says is worked out from
 * the events and the clock, and anything time-dependent missed in
 * {@link ParcelView.holdsUntil} is then wrong for 10 minutes at most.
 */
export const VIEW_HOLDS_AT_MOST_MS = 10 * 60_000;

/**
 * The `Cache-Control` of a parcel's page and API answer: shared (the edge
 * keeps it, see worker/edge/resources.ts), but a browser asks again each
 * time (with the ETag), since events arrive at any moment.
 */
export const TRACKING_CACHE = 'public, no-cache';

/** The next local midnight in `zone` after `now`. */
const nextMidnight = (now: Date, zone: string) => instantAt(addDays(localParts(now, zone).date, 1), '00:00', zone).getTime();

/** Hours shown for a waiting parcel: the longest default holding period (15 days) and today. */
const MAX_DAYS_SHOWN = 16;

/** A parcel's page on this site. */
export const parcelPath = (number: string) => `/suivi/${number}`;

/** A number as typed, read for the form: its page, or what is wrong with it. */
export function readTrackingNumber(text: string): { ok: true; number: string; path: string } | { ok: false; reason: string } {
  const parsed = parseTrackingNumber(text);
  return parsed.ok ? { ok: true, number: parsed.number, path: parcelPath(parsed.number) } : parsed;
}

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];

/** "mardi 24 novembre" (with the year when it is not `currentYear`). */
function dateWords(date: string, currentYear?: number): string {
  const day = parseDay(date);
  const { year, month, day: dayOfMonth } = civilFromDays(day);
  const weekday = DAY_NAMES[weekdayOfDay(day) - 1];
  return `${weekday} ${dayOfMonth === 1 ? '1er' : dayOfMonth} ${MONTHS[month - 1]}${currentYear !== undefined && year !== currentYear ? ` ${year}` : ''}`;
}

/** 605 → "10 h 05". */
const hourWords = (minutes: number) => `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')}`;

/** "mardi 24 novembre, 10 h 05" in `timeZone`; the year only when it is not the current one. */
export function localWhen(instant: Date | number, timeZone: string, now: Date): string {
  const parts = localParts(instant, timeZone);
  return `${dateWords(parts.date, Number(localParts(now, timeZone).date.slice(0, 4)))}, ${hourWords(parts.minutes)}`;
}

/**
 * "à retirer avant le mercredi 16 décembre à 18 h 00": a closing at 24:00
 * is "à minuit" of its day; one past midnight (an overnight opening) is
 * said on the next day's wall clock.
 */
export function deadlineWords(deadline: { deadline: Date; date: string; closes: string }, timeZone: string, now: Date): string {
  return `à retirer avant le ${deadlineWhen(deadline, timeZone, now)}`;
}

/** "mercredi 16 décembre à 18 h 00" (the year only when it is not this one); a place open until the end of the day: "… à minuit". */
export function deadlineWhen(deadline: { deadline: Date; date: string; closes: string }, timeZone: string, now: Date): string {
  const year = Number(localParts(now, timeZone).date.slice(0, 4));
  if (parseTime(deadline.closes) === MINUTES_PER_DAY) return `${dateWords(deadline.date, year)} à minuit`;
  const wall = localParts(deadline.deadline, timeZone);
  return `${dateWords(wall.date, year)} à ${hourWords(wall.minutes)}`;
}

/** A day's openings as the office pages write them; a whole day is "24 h sur 24". */
function dayHours(day: CalendarDay): string {
  if (day.intervals.length === 0) {
    const why = day.exception ? EXCEPTION_REASON_LABELS[day.exception.reason] : day.holiday;
    return why ? `fermé (${why})` : 'fermé';
  }
  if (day.intervals.length === 1 && day.intervals[0]!.opens === '00:00' && parseTime(day.intervals[0]!.closes) >= MINUTES_PER_DAY) return '24 h sur 24';
  return day.intervals.map((i) => `${i.opens}–${wallClock(i.closes)}`).join(', ');
}

function placeOf(location: Pick<LocationRow, 'id' | 'name' | 'commune' | 'type'>): PlaceView {
  return {
    id: location.id,
    name: location.name,
    commune: location.commune,
    type: location.type,
    kind: LOCATION_TYPE_LABELS[location.type],
    path: locationPath(location),
  };
}

/** The steps with which are done and which is current; step 4 named by what it was for this parcel. */
function stepViews(step: Step, waitedAtPoint: boolean): StepView[] {
  return STEPS.map((label, index) => {
    const number = (index + 1) as StepView['number'];
    const state = number < step ? 'done' : number === step ? 'current' : 'upcoming';
    const named = number === 4 ? (step < 4 ? STEP_4_AHEAD : waitedAtPoint ? STEP_4_WAITING : label) : label;
    return { number, label: named, state };
  });
}

/**
 * The status of the parcel `text` (as typed: spaces, dashes and case are
 * ignored) at `now`. Holding periods are the configured ones
 * (`bindings().holdingDays`) unless `holdingDays` is given.
 */
export async function parcelStatus(db: Database, text: string, now: Date, holdingDays?: HoldingDays): Promise<ParcelStatus> {
  const parsed = parseTrackingNumber(text);
  if (!parsed.ok) return { ok: false, problem: 'invalid', reason: parsed.reason };
  const number = parsed.number;
  const stored = await eventsOfParcel(db, number);
  if (stored.length === 0) return { ok: false, problem: 'unknown', number };

  const { state, counted } = stateOfCarrierEvents(stored);

  const locationIds = [...new Set(counted.flatMap((e) => (e.locationId ? [e.locationId] : [])))];
  const waitingAt = state.waiting?.locationId ?? null;
  const [places, point] = await Promise.all([
    listLocationsByIds(db, locationIds),
    state.waiting && waitingAt
      ? collectionPoint(db, waitingAt, new Date(state.waiting.since), now, holdingDays ?? bindings().holdingDays)
      : Promise.resolve(undefined),
  ]);
  const placeById = new Map(places.map((l) => [l.id, l]));

  const events: EventView[] = counted.map((e) => {
    const location = e.locationId ? placeById.get(e.locationId) : undefined;
    const timeZone = location?.timeZone ?? DEFAULT_TIME_ZONE;
    const code = e.code;
    return {
      code,
      label: isKnownCode(code) ? EVENT_CODES[code].label : `Événement transporteur ${code}`,
      known: isKnownCode(code),
      occurredAt: new Date(e.occurredAt),
      when: localWhen(e.occurredAt, timeZone, now),
      timeZone,
      locationId: e.locationId,
      place: location ? placeOf(location) : null,
    };
  });

  // The destination, for "today" and the public holidays: where it waits, else the last place a scan names.
  const lastPlaced = counted.findLast((e) => e.locationId !== null && placeById.has(e.locationId))?.locationId;
  const destination = placeById.get(waitingAt ?? '') ?? placeById.get(lastPlaced ?? '');
  const timeZone = destination ? destination.timeZone : DEFAULT_TIME_ZONE;
  const estimate = estimateDelivery({
    product: latestOf(counted, 'product'),
    state,
    promisedDate: latestOf(counted, 'promisedDate'),
    department: destination ? destination.department : DEFAULT_DEPARTMENT,
    timeZone,
    now,
  });

  // Dates are worded in each event's zone (the year shown or not), the destination's ("today", the estimate) and Paris by default.
  const zones = new Set([DEFAULT_TIME_ZONE, timeZone, ...events.map((e) => e.timeZone)]);
  const holds = [now.getTime() + VIEW_HOLDS_AT_MOST_MS, ...[...zones].map((zone) => nextMidnight(now, zone))];

  let collection: CollectionView | null = null;
  if (point) {
    const zone = point.location.timeZone;
    const status = statusAt(point.schedule, now);
    // Its status sentence (and its own midnight), and the moment it becomes overdue.
    holds.push(statusHoldsUntil(status, now, zone).getTime());
    if (point.deadline && point.deadline.deadline.getTime() > now.getTime()) holds.push(point.deadline.deadline.getTime());
    const hasHours = point.schedule.weekly.length > 0 || point.schedule.exceptions.length > 0;
    const today = localParts(now, zone).date;
    const deadline = point.deadline;
    const overdue = deadline !== null && now.getTime() >= deadline.deadline.getTime();
    // Every day left to collect it (today included), or a week when there is no deadline to count to.
    const span = deadline && !overdue ? Math.min(Math.max(parseDay(deadline.date) - parseDay(today) + 1, 1), MAX_DAYS_SHOWN) : 7;
    collection = {
      place: placeOf(point.location),
      timeZone: zone,
      since: new Date(state.waiting!.since),
      sinceWhen: localWhen(state.waiting!.since, zone, now),
      holdingDays: point.holdingDays,
      deadline: deadline?.deadline ?? null,
      deadlineLabel: deadline ? deadlineWords(deadline, zone, now) : null,
      extended: deadline?.extended ?? false,
      overdue,
      openNow: status.open,
      status: hasHours ? describeStatus(status, now, zone) : null,
      days: hasHours
        ? calendar(point.schedule, now, span).map((day) => ({
          date: day.date,
          label: dateWords(day.date),
          hours: dayHours(day),
          today: day.date === today,
          last: day.date === deadline?.date,
        }))
        : [],
    };
  }

  const waitedAtPoint = counted.findLast((e) => e.code === 'AG1' || e.code === 'MD2')?.code === 'AG1';
  const stepLabel = state.step === 0 ? ANNOUNCED_LABEL : stepViews(state.step, waitedAtPoint)[state.step - 1]!.label;
  // Going back to the sender outweighs where it had got to; other incidents sit beside the step.
  const summary = state.incidents.includes('retour')
    ? 'retourné à l’expéditeur'
    : [stepLabel, ...state.incidents.map((i) => INCIDENT_LABELS[i])].join(' · ');
  return {
    ok: true,
    view: {
      trackingNumber: number,
      format: parsed.format,
      summary: summary.charAt(0).toUpperCase() + summary.slice(1),
      step: { number: state.step, label: stepLabel },
      steps: stepViews(state.step, waitedAtPoint),
      incidents: state.incidents.map((code) => ({ code, label: INCIDENT_LABELS[code] })),
      delivered: state.delivered,
      waiting: state.waiting !== null,
      events,
      estimate: estimate && {
        from: estimate.from,
        to: estimate.to,
        confidence: estimate.confidence,
        confidenceLabel: CONFIDENCE_LABELS[estimate.confidence],
        late: estimate.late,
        label: estimateLabel(estimate, localParts(now, timeZone).date),
      },
      collection,
      unknownCodes: state.unknownCodes,
      lastEventAt: new Date(state.lastEventAt!),
      holdsUntil: new Date(Math.max(now.getTime(), Math.min(...holds))),
    },
  };
}
