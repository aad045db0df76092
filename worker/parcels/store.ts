/**
 * @module
 * The parcels' queries, and nothing else. Bulk writes go through `json_each`
 * over one bound JSON text (D1 binds at most 100 parameters per statement):
 * a batch of 500 events is three statements, whatever its size.
 */
import type { Database } from '../database';

/** An event as stored (instants in epoch ms). */
export interface StoredEvent {
  carrierId: string;
  eventId: string;
  trackingNumber: string;
  code: string;
  occurredAt: number;
  locationId: string | null;
  product: string | null;
  promisedDate: string | null;
  shelf: string | null;
  postcodeMac: string | null;
}

/** The state a parcel's row keeps, for lists (waiting at an office, silent, a customer's). */
export interface StoredState {
  trackingNumber: string;
  eventCount: number;
  step: number;
  delivered: boolean;
  incidents: string[];
  product: string | null;
  promisedDate: string | null;
  waitingLocationId: string | null;
  waitingSince: number | null;
  shelf: string | null;
  postcodeMac: string | null;
  lastEventAt: number | null;
  lastCode: string | null;
}

const EVENT_COLUMNS = 'carrier_id, event_id, tracking_number, code, occurred_at, location_id, product, promised_date, shelf, postcode_mac';

type EventRow = {
  carrier_id: string; event_id: string; tracking_number: string; code: string; occurred_at: number;
  location_id: string | null; product: string | null; promised_date: string | null; shelf: string | null; postcode_mac: string | null;
};
const toEvent = (r: EventRow): StoredEvent => ({
  carrierId: r.carrier_id, eventId: r.event_id, trackingNumber: r.tracking_number, code: r.code, occurredAt: r.occurred_at,
  locationId: r.location_id, product: r.product, promisedDate: r.promised_date, shelf: r.shelf, postcodeMac: r.postcode_mac,
});

/** Which of `ids` are active locations. */
export async function existingLocations(db: Database, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { results } = await db.$client
    .prepare(`select id from locations where status = 'active' and id in (select value from json_each(?))`)
    .bind(JSON.stringify(ids)).all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}

/**
 * Writes a request's events in one batch (one transaction): the replay
 * record of its signature (a second use fails the whole batch on the
 * primary key, and nothing is written), the events that are new (a
 * replayed event id is skipped), and each touched parcel's event total.
 * Returns the keys (`carrier/event`) that were new.
 */
export async function insertEvents(
  db: Database,
  input: { replay: { digest: string; carrierId: string } | null; events: StoredEvent[]; receivedAt: number },
): Promise<Set<string>> {
  const d1 = db.$client;
  const rows = input.events.map((e) => [e.carrierId, e.eventId, e.trackingNumber, e.code, e.occurredAt, e.locationId, e.product, e.promisedDate, e.shelf, e.postcodeMac]);
  const parcels = [...new Set(input.events.map((e) => e.trackingNumber))];
  const statements = [
    ...(input.replay
      ? [d1.prepare('insert into carrier_requests (signature_digest, carrier_id, received_at) values (?, ?, ?)').bind(input.replay.digest, input.replay.carrierId, input.receivedAt)]
      : []),
    d1.prepare(
      `insert into parcel_events (${EVENT_COLUMNS}, received_at)
       select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9, ?
       from json_each(?) where true
       on conflict do nothing
       returning carrier_id, event_id`,
    ).bind(input.receivedAt, JSON.stringify(rows)),
    d1.prepare(
      `insert into parcels (tracking_number, event_total)
       select p.value, (select count(*) from parcel_events e where e.tracking_number = p.value) from json_each(?) p where true
       on conflict (tracking_number) do update set event_total = excluded.event_total`,
    ).bind(JSON.stringify(parcels)),
  ];
  const results = await d1.batch<{ carrier_id: string; event_id: string }>(statements);
  const inserted = results[input.replay ? 1 : 0]!.results;
  return new Set(inserted.map((r) => `${r.carrier_id}/${r.event_id}`));
}

/** What the stored events of one carrier with these ids are about (`parcel|code|instant|place`), by id. */
export async function storedContents(db: Database, carrierId: string, eventIds: string[]): Promise<Map<string, string>> {
  if (eventIds.length === 0) return new Map();
  const { results } = await db.$client.prepare(
    `select event_id, tracking_number || '|' || code || '|' || occurred_at || '|' || coalesce(location_id, '') as content
     from parcel_events where carrier_id = ? and event_id in (select value from json_each(?))`,
  ).bind(carrierId, JSON.stringify(eventIds)).all<{ event_id: string; content: string }>();
  return new Map(results.map((r) => [r.event_id, r.content]));
}

/** Every event of these parcels, in the order they happened. */
export async function eventsOfParcels(db: Database, trackingNumbers: string[]): Promise<Map<string, StoredEvent[]>> {
  const byParcel = new Map<string, StoredEvent[]>(trackingNumbers.map((n) => [n, []]));
  if (trackingNumbers.length === 0) return byParcel;
  const { results } = await db.$client
    .prepare(`select ${EVENT_COLUMNS} from parcel_events where tracking_number in (select value from json_each(?)) order by tracking_number, occurred_at, carrier_id, event_id`)
    .bind(JSON.stringify(trackingNumbers)).all<EventRow>();
  for (const row of results) byParcel.get(row.tracking_number)?.push(toEvent(row));
  return byParcel;
}

export async function eventsOfParcel(db: Database, trackingNumber: string): Promise<StoredEvent[]> {
  return (await eventsOfParcels(db, [trackingNumber])).get(trackingNumber) ?? [];
}

/**
 * Stores states computed from `eventCount` events each: a state replaces
 * the stored one only when computed from more events (events are never
 * removed, so more events is newer), so racing batches cannot leave an
 * older state behind.
 */
export async function saveStates(db: Database, states: StoredState[], now: number): Promise<void> {
  if (states.length === 0) return;
  const rows = states.map((s) => [
    s.trackingNumber, s.eventCount, s.step, s.delivered ? 1 : 0, JSON.stringify(s.incidents), s.product, s.promisedDate,
    s.waitingLocationId, s.waitingSince, s.shelf, s.postcodeMac, s.lastEventAt, s.lastCode,
  ]);
  await db.$client.prepare(
    `insert into parcels (tracking_number, event_total, event_count, step, delivered, incidents, product, promised_date,
                          waiting_location_id, waiting_since, shelf, postcode_mac, last_event_at, last_code, updated_at)
     select value ->> 0, value ->> 1, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6,
            value ->> 7, value ->> 8, value ->> 9, value ->> 10, value ->> 11, value ->> 12, ?
     from json_each(?) where true
     on conflict (tracking_number) do update set
       event_total = max(parcels.event_total, excluded.event_total), event_count = excluded.event_count,
       step = excluded.step, delivered = excluded.delivered, incidents = excluded.incidents, product = excluded.product,
       promised_date = excluded.promised_date, waiting_location_id = excluded.waiting_location_id,
       waiting_since = excluded.waiting_since, shelf = excluded.shelf, postcode_mac = excluded.postcode_mac,
       last_event_at = excluded.last_event_at, last_code = excluded.last_code, updated_at = excluded.updated_at
     where excluded.event_count > parcels.event_count`,
  ).bind(now, JSON.stringify(rows)).run();
}

/** Stored states, by tracking number. */
export async function storedStates(db: Database, trackingNumbers: string[]): Promise<Map<string, StoredState>> {
  const states = new Map<string, StoredState>();
  if (trackingNumbers.length === 0) return states;
  const { results } = await db.$client
    .prepare(`select * from parcels where tracking_number in (select value from json_each(?))`)
    .bind(JSON.stringify(trackingNumbers)).all<Record<string, unknown>>();
  for (const r of results) {
    states.set(String(r.tracking_number), {
      trackingNumber: String(r.tracking_number), eventCount: Number(r.event_count), step: Number(r.step), delivered: Boolean(r.delivered),
      incidents: JSON.parse(String(r.incidents)) as string[], product: (r.product as string) ?? null, promisedDate: (r.promised_date as string) ?? null,
      waitingLocationId: (r.waiting_location_id as string) ?? null, waitingSince: (r.waiting_since as number) ?? null, shelf: (r.shelf as string) ?? null,
      postcodeMac: (r.postcode_mac as string) ?? null, lastEventAt: (r.last_event_at as number) ?? null, lastCode: (r.last_code as string) ?? null,
    });
  }
  return states;
}

/** Parcels whose stored state misses events (a batch stopped between its two writes): the cron recomputes them. */
export async function staleParcels(db: Database, limit: number): Promise<string[]> {
  const { results } = await db.$client
    .prepare('select tracking_number from parcels where event_count < event_total limit ?').bind(limit).all<{ tracking_number: string }>();
  return results.map((r) => r.tracking_number);
}

/** Forgets replay records older than the signature window: their timestamps are refused anyway. */
export async function sweepCarrierRequests(db: Database, before: number): Promise<number> {
  const result = await db.$client.prepare('delete from carrier_requests where received_at < ?').bind(before).run();
  return result.meta.changes ?? 0;
}

