/**
 * @module
 * A parcel's state, computed from the set of its events and nothing else:
 * sorted by when they happened (then by id), each event counted once. So
 * events received late, twice or out of order, in any batches, give
 * exactly the state the same events give in order. The step shown never
 * goes backwards: it is the furthest step any event reached (a carrier's
 * late or misfiled scan never un-delivers a parcel). Pure: no I/O.
 */
import { EVENT_CODES, type Incident, isKnownCode, type Step } from './events';

export interface ParcelEvent {
  /** The carrier's unique id of the event. */
  eventId: string;
  /** A La Poste code; an unknown one is kept and reported, never dropped. */
  code: string;
  /** When it happened: epoch milliseconds. */
  occurredAt: number;
  /** The Guichet location where it happened, when the carrier says. */
  locationId?: string | null;
}

export interface ParcelState {
  step: Step;
  delivered: boolean;
  /** Open incidents, in the order they were opened. */
  incidents: Incident[];
  /** Where it waits to be collected, and since when; null unless waiting now. */
  waiting: { locationId: string | null; since: number } | null;
  /** Codes outside the vocabulary, each once, in event order. */
  unknownCodes: string[];
  /** The latest event's instant; null without events. */
  lastEventAt: number | null;
  /** The events counted, in order (duplicates removed). */
  events: ParcelEvent[];
}

const order = (a: ParcelEvent, b: ParcelEvent) =>
  a.occurredAt - b.occurredAt || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

/** One event per id: a replay changes nothing. Of two versions of one id, the first in order is kept (deterministically). */
export function distinctEvents(events: readonly ParcelEvent[]): ParcelEvent[] {
  const byId = new Map<string, ParcelEvent>();
  for (const event of [...events].sort((a, b) => order(a, b) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))) {
    if (!byId.has(event.eventId)) byId.set(event.eventId, event);
  }
  return [...byId.values()].sort(order);
}

export function parcelState(events: readonly ParcelEvent[]): ParcelState {
  const counted = distinctEvents(events);
  let step: Step = 0;
  let open: Incident[] = [];
  let waiting: ParcelState['waiting'] = null;
  const unknown: string[] = [];
  for (const event of counted) {
    if (!isKnownCode(event.code)) {
      if (!unknown.includes(event.code)) unknown.push(event.code);
      continue;
    }
    const meaning = EVENT_CODES[event.code];
    if (meaning.step > step) step = meaning.step;
    if ('resolves' in meaning) open = open.filter((i) => i !== 'probleme');
    if ('incident' in meaning && !open.includes(meaning.incident)) open.push(meaning.incident);
    // Going back to the sender ends any wait at a point: nobody can collect it there any more.
    if ('incident' in meaning && meaning.incident === 'retour') waiting = null;
    if ('waiting' in meaning) {
      waiting = { locationId: event.locationId ?? null, since: event.occurredAt };
      // Waiting at a point: the notice has done its job.
      open = open.filter((i) => i !== 'avise');
    } else if (meaning.step > 0) {
      // Any later movement (out for delivery again, delivered) ends the wait.
      if (waiting && event.occurredAt > waiting.since) waiting = null;
    }
  }
  const delivered = step === 5;
  return {
    step,
    delivered,
    incidents: delivered ? open.filter((i) => i === 'retour') : open,
    waiting: delivered ? null : waiting,
    unknownCodes: unknown,
    lastEventAt: counted.at(-1)?.occurredAt ?? null,
    events: counted,
  };
}

/** An event as a carrier's (its id is unique per carrier, not across carriers). */
export interface CarrierParcelEvent {
  carrierId: string;
  eventId: string;
  code: string;
  occurredAt: number;
  locationId: string | null;
}

/**
 * The state of stored events from any carriers (each keyed by carrier and
 * id), with the events it counted, in order, as given.
 */
export function stateOfCarrierEvents<E extends CarrierParcelEvent>(events: readonly E[]): { state: ParcelState; counted: E[] } {
  const key = (e: E) => `${e.carrierId}/${e.eventId}`;
  const byKey = new Map(events.map((e) => [key(e), e]));
  const state = parcelState(events.map((e) => ({ eventId: key(e), code: e.code, occurredAt: e.occurredAt, locationId: e.locationId })));
  return { state, counted: state.events.map((e) => byKey.get(e.eventId)!) };
}

/** The latest value the counted events give a field (what the carrier said last). */
export function latestOf<E, K extends keyof E>(counted: readonly E[], field: K): E[K] | null {
  return counted.findLast((e) => e[field] !== null && e[field] !== undefined)?.[field] ?? null;
}
