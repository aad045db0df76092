/**
 * @module
 * Receiving carriers' events (the use case behind `POST /api/v1/parcels/events`
 * and the demo seed). Each event is checked on its own: a bad one is
 * rejected with its reasons and never holds back the others. New events are
 * stored once (the carrier's id + its event id), then each touched parcel's
 * state is recomputed from all its events, so late, repeated and shuffled
 * feeds give exactly the state of an ordered one (decision 61).
 */
import * as v from 'valibot';
import type { Database } from '../database';
import { readInstant } from '../hours/instants';
import { CarrierEvent, type Outcome } from './api-schema';
import { postcodeMac } from './carriers';
import { isKnownCode } from './events';
import { eventsOfParcels, existingLocations, insertEvents, saveStates, storedContents, type StoredEvent, type StoredState, storedStates } from './store';
import { latestOf, stateOfCarrierEvents } from './timeline';
import { parseTrackingNumber } from './tracking-number';

/** Events may arrive late, but not from the future (beyond clock skew) nor from long ago. */
const FUTURE_SKEW_MS = 5 * 60_000;
const OLDEST_MS = 2 * 366 * 86_400_000;

/** What makes an event the same event: its parcel, code, instant and place (the rest only adds detail). */
const contentOf = (e: Pick<StoredEvent, 'trackingNumber' | 'code' | 'occurredAt' | 'locationId'>) => `${e.trackingNumber}|${e.code}|${e.occurredAt}|${e.locationId ?? ''}`;
const CONFLICTING_ID = 'event_id : déjà reçu avec un autre contenu (colis, code, instant ou lieu) ; l’événement reçu en premier est gardé';

export interface EventResult {
  index: number;
  event_id: string | null;
  outcome: Outcome;
  reasons?: string[];
  unknown_code?: boolean;
}

export interface IngestResult {
  accepted: number;
  duplicate: number;
  rejected: number;
  /** Codes outside La Poste's vocabulary among the accepted events: stored, and reported here. */
  unknown_codes: string[];
  results: EventResult[];
  /** Parcels whose state changed: before (undefined when new) and after. */
  changes: { before: StoredState | undefined; after: StoredState }[];
}

const issueReason = (issue: v.BaseIssue<unknown>) => {
  const key = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  if (issue.expected === 'never' && key) return `${key} : champ inconnu`;
  if (issue.received === 'undefined' && key) return `${key} : obligatoire`;
  return issue.message.startsWith('Invalid ') ? `${key || 'événement'} : valeur invalide` : issue.message;
};

/** The state a parcel's row keeps, computed from the set of its events. Pure. */
export function storedStateOf(trackingNumber: string, events: readonly StoredEvent[]): StoredState {
  const { state, counted } = stateOfCarrierEvents(events);
  const latest = <K extends 'product' | 'promisedDate' | 'postcodeMac'>(field: K) => latestOf(counted, field);
  // The shelf of the arrival that started the current wait, never one of an earlier wait elsewhere.
  const shelved = state.waiting ? counted.findLast((e) => e.code === 'AG1' && e.occurredAt === state.waiting!.since && e.locationId === state.waiting!.locationId) : undefined;
  return {
    trackingNumber,
    eventCount: counted.length,
    step: state.step,
    delivered: state.delivered,
    incidents: state.incidents,
    product: latest('product'),
    promisedDate: latest('promisedDate'),
    waitingLocationId: state.waiting?.locationId ?? null,
    waitingSince: state.waiting?.since ?? null,
    shelf: shelved?.shelf ?? null,
    postcodeMac: latest('postcodeMac'),
    lastEventAt: state.lastEventAt,
    lastCode: counted.at(-1)?.code ?? null,
  };
}

/** Whether what a customer sees differs (the count of events alone does not). */
const sameState = (a: StoredState | undefined, b: StoredState) =>
  a !== undefined && (Object.keys(b) as (keyof StoredState)[]).every((k) => k === 'eventCount' || JSON.stringify(a[k]) === JSON.stringify(b[k]));

export async function ingestCarrierEvents(
  db: Database,
  input: { carrierId: string; events: readonly unknown[]; replayDigest: string | null; key: string; now: Date },
): Promise<IngestResult> {
  const now = input.now.getTime();
  const results: EventResult[] = [];
  const candidates: { index: number; event: StoredEvent }[] = [];
  const seen = new Map<string, string>();

  for (const [index, raw] of input.events.entries()) {
    const rawId = typeof raw === 'object' && raw !== null && typeof (raw as { event_id?: unknown }).event_id === 'string' ? (raw as { event_id: string }).event_id.slice(0, 100) : null;
    const parsed = v.safeParse(CarrierEvent, raw, { abortEarly: false });
    if (!parsed.success) {
      results[index] = { index, event_id: rawId, outcome: 'rejected', reasons: [...new Set(parsed.issues.map(issueReason))] };
      continue;
    }
    const e = parsed.output;
    const occurredAt = (readInstant(e.occurred_at) as { value: Date }).value.getTime();
    const reasons: string[] = [];
    if (occurredAt > now + FUTURE_SKEW_MS) reasons.push('occurred_at : instant dans le futur (5 minutes d’écart au plus)');
    if (occurredAt < now - OLDEST_MS) reasons.push('occurred_at : événement de plus de deux ans');
    if (reasons.length) {
      results[index] = { index, event_id: e.event_id, outcome: 'rejected', reasons };
      continue;
    }
    const trackingNumber = (parseTrackingNumber(e.tracking_number) as { number: string }).number;
    const what = contentOf({ trackingNumber, code: e.code, occurredAt, locationId: e.location_id ?? null });
    if (seen.has(e.event_id)) {
      results[index] = seen.get(e.event_id) === what
        ? { index, event_id: e.event_id, outcome: 'duplicate' }
        : { index, event_id: e.event_id, outcome: 'rejected', reasons: [CONFLICTING_ID] };
      continue;
    }
    seen.set(e.event_id, what);
    candidates.push({
      index,
      event: {
        carrierId: input.carrierId, eventId: e.event_id, trackingNumber, code: e.code, occurredAt,
        locationId: e.location_id ?? null, product: e.product ?? null, promisedDate: e.promised_date ?? null, shelf: e.shelf ?? null,
        postcodeMac: e.recipient_postcode ? await postcodeMac(input.key, trackingNumber, e.recipient_postcode) : null,
      },
    });
  }

  // A place Guichet does not know (or has closed for good) cannot be shown, nor its hours: refused, by name.
  const known = await existingLocations(db, [...new Set(candidates.flatMap((c) => (c.event.locationId ? [c.event.locationId] : [])))]);
  const storable = candidates.filter((c) => {
    if (c.event.locationId === null || known.has(c.event.locationId)) return true;
    results[c.index] = { index: c.index, event_id: c.event.eventId, outcome: 'rejected', reasons: [`location_id : lieu inconnu ou fermé (${c.event.locationId})`] };
    return false;
  });

  const touched = [...new Set(storable.map((c) => c.event.trackingNumber))];
  const before = await storedStates(db, touched);
  const inserted = storable.length || input.replayDigest
    ? await insertEvents(db, { replay: input.replayDigest ? { digest: input.replayDigest, carrierId: input.carrierId } : null, events: storable.map((c) => c.event), receivedAt: now })
    : new Set<string>();

  const unknown = new Set<string>();
  const changedParcels = new Set<string>();
  // An id received before must carry the same event: another content under it is refused, by name.
  const receivedBefore = await storedContents(db, input.carrierId, storable.filter((c) => !inserted.has(`${c.event.carrierId}/${c.event.eventId}`)).map((c) => c.event.eventId));
  for (const { index, event } of storable) {
    const isNew = inserted.has(`${event.carrierId}/${event.eventId}`);
    if (!isNew && receivedBefore.get(event.eventId) !== contentOf(event)) {
      results[index] = { index, event_id: event.eventId, outcome: 'rejected', reasons: [CONFLICTING_ID] };
      continue;
    }
    const unknownCode = !isKnownCode(event.code);
    if (isNew) {
      changedParcels.add(event.trackingNumber);
      if (unknownCode) unknown.add(event.code);
    }
    results[index] = { index, event_id: event.eventId, outcome: isNew ? 'accepted' : 'duplicate', ...(unknownCode ? { unknown_code: true } : {}) };
  }

  const events = await eventsOfParcels(db, [...changedParcels]);
  const after = [...events].map(([trackingNumber, list]) => storedStateOf(trackingNumber, list));
  await saveStates(db, after, now);

  const count = (outcome: Outcome) => results.filter((r) => r.outcome === outcome).length;
  return {
    accepted: count('accepted'),
    duplicate: count('duplicate'),
    rejected: count('rejected'),
    unknown_codes: [...unknown].sort(),
    results,
    changes: after.filter((state) => !sameState(before.get(state.trackingNumber), state)).map((state) => ({ before: before.get(state.trackingNumber), after: state })),
  };
}

/** Recomputes parcels whose stored state misses events (the cron's repair). */
export async function recomputeParcels(db: Database, trackingNumbers: string[], now: Date): Promise<number> {
  const events = await eventsOfParcels(db, trackingNumbers);
  const states = [...events].map(([trackingNumber, list]) => storedStateOf(trackingNumber, list));
  await saveStates(db, states, now.getTime());
  return states.length;
}
