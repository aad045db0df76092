/**
 * @module
 * Collection at the counter in 30 seconds: a `counter` clerk sees the
 * parcels waiting at their office (each with the shelf slot its AG1 scan
 * gave, since when, and the collect-by deadline), finds one by the number
 * on the notice (the avis de passage carries the tracking number, typed or
 * scanned), or through the customer recognised at the counter, and records
 * the handover.
 *
 * The handover is a DI2 event ("Remis au guichet") stored through the same
 * path as carriers' events (ingest.ts), from a fixed internal carrier whose
 * id a signed request can never name (carriers.ts isCarrierId), so the
 * timeline, the stored state and the followers' messages treat it like any
 * other scan. Its event id is derived from the wait it ends
 * (`di2-<number>-<waitingSince>`): a double click or a replayed form adds
 * nothing. The staff audit records who, at which office, which parcel (no
 * customer); the customer's history records it only when that customer is
 * the one recognised at the counter and follows the parcel.
 */
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { counterSessions, type LocationRow } from '../../db/schema';
import type { LocationType } from '../../db/vocabulary';
import { COUNTER_LOCATION_TYPES } from '../locations/catalog';
import { historyInsertIf } from '../accounts/history';
import type { Database } from '../database';
import { bindings } from '../env';
import { findLocation } from '../locations/queries';
import { inScope, type Staff } from '../staff/tokens';
import { carrierKey } from './carriers';
import { collectionPoint, type HoldingDays } from './collection';
import { collectionDeadline } from './deadline';
import { ingestCarrierEvents } from './ingest';
import { notifyChanges, type ParcelJobsContext } from './jobs';
import { type StoredState, storedStates } from './store';
import { parseTrackingNumber } from './tracking-number';
import { deadlineWhen } from './view';

/**
 * The carrier every counter handover is written as. Its id is outside the
 * carriers' id format (`car_` + 12 characters; this one has 11), so no
 * signed request can ever post events under it.
 */
export const COUNTER_CARRIER = { id: 'car_guichet0000', name: 'Remise au guichet (Guichet)' } as const;

/** Places with a counter and staff: only there is a parcel "remis au guichet". Relays, shops and lockers hand over themselves (their carrier scans DI1/DI2). */
export { COUNTER_LOCATION_TYPES };

/** The most parcels a list shows (the oldest first); the others are found by their number. */
export const WAITING_LIST_LIMIT = 100;

/** The staff audit's action for a handover (db/schema.ts staffAudit). */
export const HANDOVER_AUDIT_ACTION = 'parcel.handover';

export interface WaitingParcel {
  trackingNumber: string;
  /** The shelf slot the AG1 scan gave; null when the carrier did not say. */
  shelf: string | null;
  product: string | null;
  /** When it arrived at the office (the AG1 scan). */
  since: Date;
  /** "12 novembre", in the office's time zone. */
  sinceLabel: string;
  /** The collect-by deadline (collection.ts); null when the office does not open within a year. */
  deadline: Date | null;
  /** "mercredi 16 décembre à 18 h 00", in the office's time zone. */
  deadlineLabel: string | null;
  /** The deadline has passed: the parcel is due back to the sender. */
  overdue: boolean;
}

export interface CounterPlace {
  id: string;
  name: string;
  timeZone: string;
}

const placeOf = (location: Pick<LocationRow, 'id' | 'name' | 'timeZone'>): CounterPlace => ({ id: location.id, name: location.name, timeZone: location.timeZone });

/** Why a staff member may not hand over parcels, or nothing: the `counter` role only (least privilege: the hours roles change hours, nothing else). */
export function handoverRefusal(staff: Staff): 'role' | undefined {
  return staff.role === 'counter' ? undefined : 'role';
}

const DAY_FORMAT = new Map<string, Intl.DateTimeFormat>();
function dayLabel(at: Date, timeZone: string): string {
  let format = DAY_FORMAT.get(timeZone);
  if (!format) DAY_FORMAT.set(timeZone, (format = new Intl.DateTimeFormat('fr-FR', { timeZone, day: 'numeric', month: 'long' })));
  return format.format(at);
}

const CLOCK_FORMAT = new Map<string, Intl.DateTimeFormat>();
/** "10 h 05", in `timeZone`. */
export function clockLabel(at: Date, timeZone: string): string {
  let format = CLOCK_FORMAT.get(timeZone);
  if (!format) CLOCK_FORMAT.set(timeZone, (format = new Intl.DateTimeFormat('fr-FR', { timeZone, hour: '2-digit', minute: '2-digit', hour12: false })));
  const parts = format.formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('hour')} h ${part('minute')}`;
}

type WaitingRow = { tracking_number: string; shelf: string | null; product: string | null; waiting_since: number };

/** Rows waiting at one place, with their deadlines: the place's schedule is read once, from the oldest arrival on. */
async function withDeadlines(db: Database, locationId: string, rows: WaitingRow[], now: Date, configured: HoldingDays): Promise<WaitingParcel[]> {
  if (rows.length === 0) return [];
  const oldest = Math.min(...rows.map((r) => r.waiting_since));
  const point = await collectionPoint(db, locationId, new Date(oldest), now, configured);
  const timeZone = point?.location.timeZone ?? 'Europe/Paris';
  return rows.map((row) => {
    const since = new Date(row.waiting_since);
    const deadline = point ? collectionDeadline(point.schedule, since, point.holdingDays) : null;
    return {
      trackingNumber: row.tracking_number,
      shelf: row.shelf,
      product: row.product,
      since,
      sinceLabel: dayLabel(since, timeZone),
      deadline: deadline?.deadline ?? null,
      deadlineLabel: deadline ? deadlineWhen(deadline, timeZone, now) : null,
      overdue: deadline !== null && now.getTime() >= deadline.deadline.getTime(),
    };
  });
}

const WAITING_COLUMNS = 'tracking_number, shelf, product, waiting_since';

/**
 * The parcels waiting at a place, oldest first (the ones whose deadline
 * comes first), at most WAITING_LIST_LIMIT; each with its shelf and deadline.
 * Holding periods are the configured ones unless `configured` is given.
 */
export async function waitingAt(db: Database, locationId: string, now: Date, configured: HoldingDays = bindings().holdingDays): Promise<WaitingParcel[]> {
  const { results } = await db.$client.prepare(
    `select ${WAITING_COLUMNS} from parcels
     where waiting_location_id = ? and delivered = 0 and waiting_since is not null
     order by waiting_since, tracking_number limit ?`,
  ).bind(locationId, WAITING_LIST_LIMIT).all<WaitingRow>();
  return withDeadlines(db, locationId, results, now, configured);
}

/** Why a parcel cannot be handed over here (or found waiting here). */
export type NotHere =
  /** Not a tracking number: `reason` says what is wrong with it. */
  | { ok: false; problem: 'invalid'; reason: string }
  /** No carrier has scanned it yet. */
  | { ok: false; problem: 'unknown'; trackingNumber: string }
  /** It waits at another place (a relay, another office…), named so the clerk can send the customer there. */
  | { ok: false; problem: 'elsewhere'; trackingNumber: string; place: CounterPlace | null }
  /** Delivered, or handed over already (not at a counter in the clerk's scope). */
  | { ok: false; problem: 'delivered'; trackingNumber: string }
  /** Still on its way (or sent back): nothing waits to be collected. */
  | { ok: false; problem: 'not_waiting'; trackingNumber: string };

export type FoundParcel = { ok: true; parcel: WaitingParcel } | NotHere;

/** Reads a parcel's stored state by the number as typed or scanned (spaces, dashes and case ignored). */
async function stateOf(db: Database, text: string): Promise<{ ok: true; number: string; state: StoredState | undefined } | { ok: false; reason: string }> {
  const parsed = parseTrackingNumber(text.slice(0, 100));
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  return { ok: true, number: parsed.number, state: (await storedStates(db, [parsed.number])).get(parsed.number) };
}

/** What a parcel that does not wait at `locationId` is, for the clerk. */
async function notHere(db: Database, number: string, state: StoredState | undefined): Promise<NotHere> {
  if (!state) return { ok: false, problem: 'unknown', trackingNumber: number };
  if (state.delivered) return { ok: false, problem: 'delivered', trackingNumber: number };
  if (state.waitingLocationId) {
    const place = await findLocation(db, state.waitingLocationId);
    return { ok: false, problem: 'elsewhere', trackingNumber: number, place: place ? placeOf(place) : null };
  }
  return { ok: false, problem: 'not_waiting', trackingNumber: number };
}

/**
 * A parcel waiting at `locationId`, by the number on the notice (typed or
 * scanned: spaces, dashes and case ignored); else why it is not there.
 */
export async function findWaiting(db: Database, locationId: string, text: string, now: Date = new Date(), configured: HoldingDays = bindings().holdingDays): Promise<FoundParcel> {
  const read = await stateOf(db, text);
  if (!read.ok) return { ok: false, problem: 'invalid', reason: read.reason };
  const { number, state } = read;
  if (!state || state.delivered || state.waitingLocationId !== locationId || state.waitingSince === null) return notHere(db, number, state);
  const [parcel] = await withDeadlines(db, locationId, [{ tracking_number: number, shelf: state.shelf, product: state.product, waiting_since: state.waitingSince }], now, configured);
  return { ok: true, parcel: parcel! };
}

/** The office a clerk's parcels page is about: their office, or (wider scope) the one they name in their scope. */
export type ParcelDesk = { ok: true; office: CounterPlace } | { ok: false; why: 'role' | 'scope' | 'choose' };

export async function parcelDesk(db: Database, staff: Staff, requested: string | null | undefined): Promise<ParcelDesk> {
  if (handoverRefusal(staff)) return { ok: false, why: 'role' };
  const id = staff.scopeType === 'office' ? staff.scopeValue : (requested ?? '').trim().toUpperCase().slice(0, 64);
  if (!id) return { ok: false, why: staff.scopeType === 'office' ? 'scope' : 'choose' };
  const location = await findLocation(db, id);
  if (!location || location.status !== 'active' || !inScope(staff, location) || !COUNTER_LOCATION_TYPES.has(location.type)) return { ok: false, why: 'scope' };
  return { ok: true, office: placeOf(location) };
}

export type Handover =
  | {
    ok: true;
    trackingNumber: string;
    /** Where it was shelved (what the clerk fetched). */
    shelf: string | null;
    office: CounterPlace;
    /** When the handover was recorded; earlier than now when this call found it already recorded. */
    handedOverAt: Date;
    /** This call found the handover already recorded (a double click, a replayed form): nothing was added. */
    already: boolean;
    /** The parcel's stored state after the handover: delivered, step 5, last code DI2. */
    state: StoredState;
  }
  /** The caller's role does not hand over parcels. */
  | { ok: false; problem: 'forbidden' }
  /** It waits at a place outside the clerk's scope, or at one without a counter (relay, shop, locker). */
  | { ok: false; problem: 'out_of_scope'; trackingNumber: string; place: CounterPlace }
  | NotHere;

const handoverEventId = (trackingNumber: string, waitingSince: number) => `di2-${trackingNumber}-${waitingSince}`;

/** The counter's carrier row, created on first use (events name their carrier). */
const ensureCounterCarrier = (db: Database, now: Date) =>
  db.$client.prepare('insert into carriers (id, name, generation, created_at) values (?, ?, 1, ?) on conflict do nothing')
    .bind(COUNTER_CARRIER.id, COUNTER_CARRIER.name, now.toISOString());

/** The handover recorded at a counter for this parcel, if any: the latest counter DI2. */
async function recordedHandover(db: Database, trackingNumber: string) {
  return db.$client.prepare(
    `select event_id, location_id, occurred_at from parcel_events
     where carrier_id = ? and tracking_number = ? and code = 'DI2' order by occurred_at desc limit 1`,
  ).bind(COUNTER_CARRIER.id, trackingNumber).first<{ event_id: string; location_id: string; occurred_at: number }>();
}

/** The shelf of the arrival a handover ended (its event id names the arrival's instant). */
async function shelfOfArrival(db: Database, trackingNumber: string, waitingSince: number): Promise<string | null> {
  const row = await db.$client.prepare(
    `select shelf from parcel_events where tracking_number = ? and code = 'AG1' and occurred_at = ? and shelf is not null order by carrier_id, event_id limit 1`,
  ).bind(trackingNumber, waitingSince).first<{ shelf: string }>();
  return row?.shelf ?? null;
}

/**
 * The staff audit's entry for a handover: who, at which office, which
 * handover event (no customer). Written before the event, once per event
 * id whoever calls: every counter DI2 has its entry, even if the Worker
 * stops between the two writes (the clerk's retry then adds the event).
 */
const auditHandover = (db: Database, staff: Staff, office: CounterPlace, eventId: string, now: Date) =>
  db.$client.prepare(
    `insert into staff_audit (actor_id, actor_name, action, location_id, subject, at)
     select ?1, ?2, ?3, ?4, ?5, ?6 where not exists (select 1 from staff_audit where action = ?3 and subject = ?5)`,
  ).bind(staff.id, staff.name, HANDOVER_AUDIT_ACTION, office.id, eventId, now.toISOString());

/**
 * The customer's history, when the customer recognised at this clerk's
 * counter (an open session at this office) follows the parcel: once per
 * parcel, and only once the handover event is stored.
 */
async function recordInHistory(db: Database, staff: Staff, office: CounterPlace, trackingNumber: string, eventId: string, now: Date): Promise<void> {
  const at = now.toISOString();
  const session = await db.select({ customerId: counterSessions.customerId }).from(counterSessions)
    .where(and(eq(counterSessions.staffId, staff.id), eq(counterSessions.locationId, office.id), isNull(counterSessions.closedAt), gt(counterSessions.expiresAt, at)))
    .get();
  if (!session) return;
  await db.batch([historyInsertIf(
    db,
    { customerId: session.customerId, kind: 'parcel.handed_over', at: now, where: { channel: 'counter', locationId: office.id, locationName: office.name }, detail: trackingNumber },
    sql`exists (select 1 from customer_parcels where customer_id = ${session.customerId} and tracking_number = ${trackingNumber})
      and exists (select 1 from parcel_events where carrier_id = ${COUNTER_CARRIER.id} and event_id = ${eventId})
      and not exists (select 1 from customer_history where customer_id = ${session.customerId} and kind = 'parcel.handed_over' and detail = ${trackingNumber})`,
  )]);
}

/** What the followers' messages need: the running Worker's queue, origin and holding periods. */
const jobsContext = (): ParcelJobsContext => {
  const config = bindings();
  return { queue: config.messages.queue, origin: config.SITE_ORIGIN, holdingDays: config.holdingDays };
};

/**
 * A clerk records that a parcel waiting at their counter was handed over:
 * a DI2 event at that place, at `now`, through the carriers' ingestion
 * (so the state is delivered, step 5, "Remis au guichet"), the staff audit,
 * the recognised customer's history, and the followers' "remis au guichet"
 * message. A second call for the same wait (double click, replayed form)
 * finds it recorded and adds nothing.
 */
export async function handOver(db: Database, staff: Staff, text: string, now: Date, context: ParcelJobsContext = jobsContext()): Promise<Handover> {
  if (handoverRefusal(staff)) return { ok: false, problem: 'forbidden' };
  const read = await stateOf(db, text);
  if (!read.ok) return { ok: false, problem: 'invalid', reason: read.reason };
  const { number, state } = read;

  if (state?.delivered) {
    // Already handed over at a counter in scope (a double click, a replayed form): the same answer, nothing written.
    const recorded = await recordedHandover(db, number);
    const place = recorded && await findLocation(db, recorded.location_id);
    const since = recorded ? Number(recorded.event_id.slice(`di2-${number}-`.length)) : Number.NaN;
    if (!recorded || !place || !inScope(staff, place) || !Number.isSafeInteger(since)) return notHere(db, number, state);
    const office = placeOf(place);
    return { ok: true, trackingNumber: number, shelf: await shelfOfArrival(db, number, since), office, handedOverAt: new Date(recorded.occurred_at), already: true, state };
  }
  if (!state?.waitingLocationId || state.waitingSince === null) return notHere(db, number, state);

  const place = await findLocation(db, state.waitingLocationId);
  if (!place) return notHere(db, number, state);
  const office = placeOf(place);
  if (!inScope(staff, place) || !COUNTER_LOCATION_TYPES.has(place.type)) return { ok: false, problem: 'out_of_scope', trackingNumber: number, place: office };

  const eventId = handoverEventId(number, state.waitingSince);
  await db.$client.batch([auditHandover(db, staff, office, eventId, now), ensureCounterCarrier(db, now)]);
  const ingested = await ingestCarrierEvents(db, {
    carrierId: COUNTER_CARRIER.id,
    events: [{ event_id: eventId, tracking_number: number, code: 'DI2', occurred_at: now.toISOString(), location_id: place.id }],
    replayDigest: null,
    key: await carrierKey(db, bindings().CARRIER_KEY),
    now,
  });
  const outcome = ingested.results[0]!;
  // Another clerk's click recorded this very handover a moment before (same event id, its own instant): already done.
  const recordedByAnother = outcome.outcome === 'rejected' && (await recordedHandover(db, number))?.event_id === eventId;
  if (outcome.outcome === 'rejected' && !recordedByAnother) throw new Error(`counter handover refused by ingestion: ${outcome.reasons?.join('; ')}`);
  await recordInHistory(db, staff, office, number, eventId, now);
  if (ingested.changes.length) {
    // Followers hear "remis au guichet"; a failure here is logged, the handover stays recorded.
    await notifyChanges(db, context, ingested.changes, now)
      .catch((error) => console.error('parcels: handover notices not recorded', error instanceof Error ? error.name : 'unknown'));
  }
  const after = ingested.changes[0]?.after ?? (await storedStates(db, [number])).get(number)!;
  const already = outcome.outcome !== 'accepted';
  const handedOverAt = already ? new Date((await recordedHandover(db, number))?.occurred_at ?? now.getTime()) : now;
  return { ok: true, trackingNumber: number, shelf: state.shelf, office, handedOverAt, already, state: after };
}

/** What the clerk reads after a handover, or why it did not happen (French). */
export function handoverMessage(result: Handover | NotHere): string {
  if (result.ok) {
    const shelf = result.shelf ? ` (étagère ${result.shelf})` : '';
    return result.already
      ? `Colis ${result.trackingNumber} remis${shelf} : remise déjà enregistrée à ${clockLabel(result.handedOverAt, result.office.timeZone)}.`
      : `Colis ${result.trackingNumber} remis${shelf}.`;
  }
  switch (result.problem) {
    case 'forbidden':
      return 'Votre jeton ne permet pas de remettre des colis : il faut un jeton de guichet.';
    case 'invalid':
      return `Numéro à vérifier : ${result.reason}.`;
    case 'unknown':
      return `Aucun colis ${result.trackingNumber} : aucun transporteur ne l’a encore scanné.`;
    case 'elsewhere':
      return result.place
        ? `Le colis ${result.trackingNumber} n’attend pas ici : il attend à ${result.place.name} (${result.place.id}).`
        : `Le colis ${result.trackingNumber} n’attend pas dans ce bureau.`;
    case 'out_of_scope':
      return `Le colis ${result.trackingNumber} attend à ${result.place.name} (${result.place.id}) : seul ce point peut le remettre.`;
    case 'delivered':
      return `Le colis ${result.trackingNumber} est déjà livré ou remis : rien à remettre.`;
    case 'not_waiting':
      return `Le colis ${result.trackingNumber} n’est pas disponible au retrait : il n’est pas (ou plus) en attente dans un point de retrait.`;
  }
}

/**
 * The parcels the customer recognised in the clerk's counter session
 * follows and that wait at that office: what the clerk can hand over at
 * once. Nothing once the session ended or passed its 15 minutes, and
 * nothing for another clerk's session.
 */
export async function waitingForCounterSession(db: Database, staff: Staff, sessionId: string, now: Date, configured: HoldingDays = bindings().holdingDays): Promise<WaitingParcel[]> {
  if (handoverRefusal(staff)) return [];
  const session = await db.select({ customerId: counterSessions.customerId, locationId: counterSessions.locationId }).from(counterSessions)
    .where(and(eq(counterSessions.id, sessionId), eq(counterSessions.staffId, staff.id), isNull(counterSessions.closedAt), gt(counterSessions.expiresAt, now.toISOString())))
    .get();
  if (!session) return [];
  const { results } = await db.$client.prepare(
    `select p.tracking_number, p.shelf, p.product, p.waiting_since from customer_parcels cp join parcels p on p.tracking_number = cp.tracking_number
     where cp.customer_id = ? and p.waiting_location_id = ? and p.delivered = 0 and p.waiting_since is not null
     order by p.waiting_since, p.tracking_number limit ?`,
  ).bind(session.customerId, session.locationId, WAITING_LIST_LIMIT).all<WaitingRow>();
  return withDeadlines(db, session.locationId, results, now, configured);
}
