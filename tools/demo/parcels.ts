/**
 * @module
 * Demo parcels over the demo network, so that `npm start` shows a real
 * `/suivi/…` at once: about 3,000 journeys at every stage (announced, on
 * the way, out for delivery, avisé, waiting at an office, a relay or a
 * locker, one of them due today or tomorrow, delivered, handed over at the
 * counter, in trouble, returned, silent for too long), sent by one demo
 * carrier through the real ingestion use case.
 *
 * Deterministic: tracking numbers, stages, places, shelves and the timing
 * of each journey relative to `now` depend only on a fixed seed and the
 * network. Only absolute instants (and the promised dates read from them)
 * move with `now`, always into the past. Parcel `i` depends only on `i`
 * and the network, so the first N parcels of a larger set are the same N
 * parcels, and the first parcels cover every stage in order.
 */
import type { LocationType } from '../../db/vocabulary';
import { type Database, readOrCreateSetting } from '../../worker/database';
import { addDays, localParts } from '../../worker/hours/zoned-time';
import type { CarrierEvent } from '../../worker/parcels/api-schema';
import { carrierKey, createCarrier } from '../../worker/parcels/carriers';
import type { EventCode } from '../../worker/parcels/events';
import { ingestCarrierEvents } from '../../worker/parcels/ingest';
import { s10CheckDigit } from '../../worker/parcels/tracking-number';
import type { ImportedLocation } from '../imports/open-data';
import { type Random, seededRandom } from './random';

/** The carrier the demo parcels come from (`npm start`, `npm run parcels:simulate`, the page tests). */
export const DEMO_CARRIER = { id: 'car_demoposte001', name: 'Transporteur de démonstration' } as const;
export const DEMO_PARCEL_COUNT = 3000;
export const DEMO_PARCELS_SEED = 20261124;
/** The endpoint's own limit: the seed feeds the use case in the same batches a carrier would send. */
export const SEED_BATCH_SIZE = 500;

export const DEMO_STAGES = [
  'announced',
  'taken_in_charge',
  'in_transit',
  'at_distribution_site',
  'out_for_delivery',
  'notice_left',
  'waiting_post_office',
  'waiting_relay',
  'waiting_locker',
  'deadline_soon',
  'delivered',
  'handed_over',
  'problem',
  'problem_resolved',
  'returned',
  'silent',
] as const;
export type DemoStage = (typeof DEMO_STAGES)[number];

export interface DemoParcel {
  trackingNumber: string;
  stage: DemoStage;
  product: string;
  /** The recipient's postcode (5 digits): the destination location's. */
  postcode: string;
  /** Where it is headed: the point it waits at, else an office of the recipient's commune. */
  destinationLocationId: string;
  /** In the order they happened; every one before `now`. */
  events: CarrierEvent[];
}

const HOUR_MS = 3_600_000;

interface StagePlan {
  codes: EventCode[];
  /** How long ago the last event happened, in hours: [min, max). */
  lastAge: [number, number];
  /** Share of the demo set (sums to 100). */
  weight: number;
  /** The kinds of place the parcel waits at (AG1), if it does. */
  point?: readonly LocationType[];
}

/** Announced, taken in charge, two sorts (domestic parcels are scanned ET1 at each), at the distribution site. */
const TO_SITE: EventCode[] = ['DR1', 'PC1', 'ET1', 'ET1', 'EP1'];
const RELAY_TYPES = ['partner_relay', 'parcel_shop'] as const;

/**
 * Ages are kept inside the silence thresholds of worker/parcels/silence.ts
 * (48 h in transit, 24 h at the site, 12 h out for delivery) so that only
 * the `silent` stage reads as overdue; `silent` is 84–120 h, past 48
 * working hours even when the span holds a Sunday and a public holiday.
 * `deadline_soon` arrived at a 24/7 locker (kept 3 days) 48 to 72 hours
 * ago: its local arrival day is 2 or 3 days back, so the deadline is the
 * end of today or of tomorrow.
 */
const STAGES: Record<DemoStage, StagePlan> = {
  announced: { codes: ['DR1'], lastAge: [1, 30], weight: 5 },
  taken_in_charge: { codes: ['DR1', 'PC1'], lastAge: [1, 20], weight: 7 },
  in_transit: { codes: ['DR1', 'PC1', 'ET1'], lastAge: [1, 20], weight: 14 },
  at_distribution_site: { codes: TO_SITE, lastAge: [1, 12], weight: 7 },
  out_for_delivery: { codes: [...TO_SITE, 'MD2'], lastAge: [0.5, 6], weight: 8 },
  notice_left: { codes: [...TO_SITE, 'MD2', 'ND1'], lastAge: [1, 10], weight: 4 },
  waiting_post_office: { codes: [...TO_SITE, 'MD2', 'ND1', 'AG1'], lastAge: [5, 120], weight: 7, point: ['post_office'] },
  waiting_relay: { codes: [...TO_SITE, 'AG1'], lastAge: [5, 150], weight: 8, point: RELAY_TYPES },
  waiting_locker: { codes: [...TO_SITE, 'AG1'], lastAge: [2, 30], weight: 8, point: ['parcel_locker'] },
  deadline_soon: { codes: [...TO_SITE, 'AG1'], lastAge: [50, 70], weight: 2, point: ['parcel_locker'] },
  delivered: { codes: [...TO_SITE, 'MD2', 'DI1'], lastAge: [2, 200], weight: 15 },
  handed_over: { codes: [...TO_SITE, 'MD2', 'ND1', 'AG1', 'DI2'], lastAge: [2, 150], weight: 5, point: ['post_office'] },
  problem: { codes: ['DR1', 'PC1', 'ET1', 'PB1'], lastAge: [2, 40], weight: 3 },
  problem_resolved: { codes: ['DR1', 'PC1', 'ET1', 'PB1', 'PB2', 'EP1'], lastAge: [2, 12], weight: 2 },
  // Avisé, then sent back. Not after a wait at a point (the commoner case): a RE1 after an AG1 leaves the timeline's `waiting` set.
  returned: { codes: [...TO_SITE, 'MD2', 'ND1', 'RE1'], lastAge: [2, 100], weight: 2 },
  silent: { codes: ['DR1', 'PC1', 'ET1'], lastAge: [84, 120], weight: 3 },
};

/** Hours between two consecutive events, by the later one's code: [min, max). */
const GAP_HOURS: Partial<Record<EventCode, [number, number]>> = {
  PC1: [4, 30],
  ET1: [3, 16],
  EP1: [4, 12],
  MD2: [2, 6],
  ND1: [1, 6],
  DI1: [1, 6],
  AG1: [2, 20],
  DI2: [10, 90],
  PB1: [6, 20],
  PB2: [6, 30],
  RE1: [20, 60],
};

/** FNV-1a: one independent random stream per parcel. */
function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const between = (random: Random, [min, max]: [number, number]) => min + random.next() * (max - min);

/** Parcel `i`'s stage: the first ones take each stage in turn, the rest follow the weights. */
function stageOf(i: number, random: Random): DemoStage {
  if (i < DEMO_STAGES.length) return DEMO_STAGES[i]!;
  let roll = random.next() * 100;
  for (const stage of DEMO_STAGES) {
    roll -= STAGES[stage].weight;
    if (roll < 0) return stage;
  }
  return 'delivered';
}

/**
 * A valid number, unique per index: S10 (`EE…FR` Chronopost, `RB…FR`
 * registered letter) or Colissimo's 13 characters (`6A`, `6C`, `6H` for a
 * point of collection). The serials are affine in `i` with a multiplier
 * prime to the modulus: never twice the same.
 */
function numberAndProduct(i: number, random: Random, toPoint: boolean): { trackingNumber: string; product: string } {
  const roll = random.next();
  if (roll < 0.6) {
    const serial = String((27_182_818_284 + i * 104_729) % 100_000_000_000).padStart(11, '0');
    return { trackingNumber: `${toPoint ? '6H' : random.pick(['6A', '6C'])}${serial}`, product: 'colissimo' };
  }
  const serial = String((31_415_926 + i * 7_919) % 100_000_000).padStart(8, '0');
  // Registered letters wait at post offices, never in lockers or shops.
  const [prefix, product] = toPoint || roll < 0.8 ? ['EE', 'chronopost'] : ['RB', 'lettre_recommandee'];
  return { trackingNumber: `${prefix}${serial}${s10CheckDigit(serial)}FR`, product };
}

interface Places {
  offices: ImportedLocation[];
  byType: Map<LocationType, ImportedLocation[]>;
  byId: Map<string, ImportedLocation>;
  /** Candidates per list of kinds, built once. */
  points: Map<readonly LocationType[], ImportedLocation[]>;
}

function placesOf(network: readonly ImportedLocation[]): Places {
  const byType = new Map<LocationType, ImportedLocation[]>();
  for (const l of network) {
    const list = byType.get(l.type);
    if (list) list.push(l);
    else byType.set(l.type, [l]);
  }
  const offices = byType.get('post_office') ?? [];
  if (offices.length === 0) throw new Error('demo parcels: the network has no post office');
  return { offices, byType, byId: new Map(network.map((l) => [l.id, l])), points: new Map() };
}

/** A place of one of `types`; a post office when the network has none of them. */
function pickPoint(places: Places, types: readonly LocationType[], random: Random): ImportedLocation {
  let candidates = places.points.get(types);
  if (!candidates) {
    candidates = types.flatMap((t) => places.byType.get(t) ?? []);
    places.points.set(types, candidates.length ? candidates : places.offices);
  }
  return random.pick(places.points.get(types)!);
}

const shelfOf = (random: Random) => `${'ABCDEF'[random.int(6)]}${String(1 + random.int(40)).padStart(2, '0')}`;

/** Parcel `i`'s stage, number and product, and its random stream, where the network is not needed yet. */
function identity(i: number) {
  const random = seededRandom(seedOf(`${DEMO_PARCELS_SEED}:${i}`));
  const stage = stageOf(i, random);
  const plan = STAGES[stage];
  return { random, stage, plan, ...numberAndProduct(i, random, plan.point !== undefined && plan.point[0] !== 'post_office') };
}

/** The tracking numbers of parcels `from`…: the same over any network. The first DEMO_STAGES.length are one per stage, in order. */
export function demoTrackingNumbers(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, k) => identity(from + k).trackingNumber);
}

function demoParcel(i: number, places: Places, now: number): DemoParcel {
  const { random, stage, plan, trackingNumber, product } = identity(i);
  const origin = random.pick(places.offices);
  const point = plan.point ? pickPoint(places, plan.point, random) : undefined;
  // Home delivery: an office of the recipient's commune stands for it; a point's parent office is its distribution site.
  const destination = point ?? random.pick(places.offices);
  const site = point ? (point.parentId ? places.byId.get(point.parentId) : point) : destination;
  const shelf = shelfOf(random);

  // Instants, backwards from the last event: only their distance to `now` is drawn.
  const ages: number[] = [];
  let age = between(random, plan.lastAge);
  for (let k = plan.codes.length - 1; k >= 0; k--) {
    ages[k] = age;
    age += between(random, GAP_HOURS[plan.codes[k]!] ?? [4, 30]);
  }
  const events = plan.codes.map((code, k): CarrierEvent => {
    // Whole minutes: the same journey, shifted, for every `now`.
    const occurredAt = now - Math.max(1, Math.round(ages[k]! * 60)) * 60_000;
    const event: CarrierEvent = { event_id: `demo:${trackingNumber}:${k + 1}`, tracking_number: trackingNumber, code, occurred_at: new Date(occurredAt).toISOString(), product };
    if (k === 0) event.recipient_postcode = destination.postcode;
    if (code === 'PC1') {
      event.location_id = origin.id;
      if (product !== 'lettre_recommandee') {
        event.promised_date = addDays(localParts(occurredAt, 'Europe/Paris').date, product === 'chronopost' ? 1 : 2);
      }
    }
    if (code === 'EP1' && site) event.location_id = site.id;
    if ((code === 'AG1' || code === 'DI2') && point) event.location_id = point.id;
    if (code === 'AG1') event.shelf = shelf;
    return event;
  });
  return { trackingNumber, stage, product, postcode: destination.postcode, destinationLocationId: destination.id, events };
}

/**
 * The demo parcels over `network` (locations that exist and are active
 * where they are seeded), parcels `from` to `from + count - 1`: the seed
 * uses 0…2,999, the benchmark takes other indices for other numbers.
 */
export function demoParcels(network: readonly ImportedLocation[], now: Date, count = DEMO_PARCEL_COUNT, from = 0): DemoParcel[] {
  const places = placesOf(network);
  return Array.from({ length: count }, (_, k) => demoParcel(from + k, places, now.getTime()));
}

/** The first parcel of each stage: the numbers to try. */
export function parcelsByStage(parcels: readonly DemoParcel[]): Partial<Record<DemoStage, DemoParcel>> {
  const first: Partial<Record<DemoStage, DemoParcel>> = {};
  for (const parcel of parcels) first[parcel.stage] ??= parcel;
  return first;
}

export interface SeedReport {
  parcels: number;
  events: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  /** A few rejection reasons, for the log (the network does not hold a place the events name…). */
  rejections: string[];
  ms: number;
  parcelsByStage: Partial<Record<DemoStage, DemoParcel>>;
}

/**
 * Ensures the demo carrier and feeds the demo parcels' events through the
 * real use case (as a carrier's requests would, in batches of 500, without
 * a signature to record). Idempotent: a second run finds every event a
 * duplicate and changes nothing, so journeys keep the instants of the
 * first run.
 */
export async function seedDemoParcels(db: Database, network: readonly ImportedLocation[], now: Date, count = DEMO_PARCEL_COUNT): Promise<SeedReport> {
  const started = performance.now();
  const key = await carrierKey(db, undefined);
  await createCarrier(db, { name: DEMO_CARRIER.name, key, now, id: DEMO_CARRIER.id });
  // The journeys' clock is the first seed's: later starts send the very same events (all duplicates; an
  // id sent again with other instants would be refused as another content), and complete a stopped seed.
  const clock = new Date(await readOrCreateSetting(db, 'demo_parcels_clock', () => now.toISOString()));
  const parcels = demoParcels(network, clock.getTime() > now.getTime() ? now : clock, count);
  const events = parcels.flatMap((p) => p.events);
  const report: SeedReport = { parcels: parcels.length, events: events.length, accepted: 0, duplicate: 0, rejected: 0, rejections: [], ms: 0, parcelsByStage: parcelsByStage(parcels) };
  for (let at = 0; at < events.length; at += SEED_BATCH_SIZE) {
    const result = await ingestCarrierEvents(db, { carrierId: DEMO_CARRIER.id, events: events.slice(at, at + SEED_BATCH_SIZE), replayDigest: null, key, now });
    report.accepted += result.accepted;
    report.duplicate += result.duplicate;
    report.rejected += result.rejected;
    for (const r of result.results) {
      if (r.outcome === 'rejected' && report.rejections.length < 5) report.rejections.push(`${r.event_id}: ${r.reasons?.join('; ')}`);
    }
  }
  report.ms = performance.now() - started;
  return report;
}
