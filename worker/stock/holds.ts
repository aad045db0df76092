/**
 * @module
 * Reserve and collect: a signed-in customer holds units of a product at an
 * office until that office closes on its next opening day
 * (hold-deadline.ts), cancels, and the office's staff mark the hold
 * collected or not collected. The API (hold-routes.ts) and the pages call
 * these use cases.
 *
 * No overselling, under any concurrency: a hold is taken by ONE conditional
 * insert, in ONE D1 batch, that happens only if the counted quantity, less
 * the safety stock and the other live holds (active and not past their
 * deadline), still covers it. D1 runs a batch as one transaction on its
 * single writer, so two reservations never both read the same free units.
 * An active hold past its deadline already counts for nothing: the cron's
 * expiry (jobs.ts) is bookkeeping, never a condition for correctness.
 *
 * Every other write is one batch too, and its statements that depend on
 * the change are written before it with the change's own condition (or
 * after it, on the row it created): a double click, two clerks, a replayed
 * form do it once. Each batch refreshes the local inventory feed rows it
 * moves (inventory-feed.ts), and writes the customer's history; staff
 * actions also the staff audit.
 */
import { and, asc, desc, eq, gt, isNull, type SQL, sql } from 'drizzle-orm';
import { counterSessions, customers, type CustomerRow, type LocationRow, locations, products, stockHolds } from '../../db/schema';
import type { HoldStatus } from '../../db/vocabulary';
import { historyInsertIf } from '../accounts/history';
import { reservePath } from '../catalogue/present';
import { findProduct, isOnSale, type ProductRow } from '../catalogue/products';
import { type Database, inList } from '../database';
import { scheduleAt } from '../hours/use-cases';
import { findLocation } from '../locations/queries';
import { locationPath } from '../locations/present';
import { inScope, type Staff } from '../staff/tokens';
import { productAvailability } from './availability';
import { closedUntilWords, deadlineWords, holdDeadline } from './hold-deadline';
import { type HoldMessagesContext, type HoldRecipient, sendConfirmation } from './hold-messages';
import { feedRowsRefresh } from './inventory-feed';
import { BAND_LABELS, type QuantityBand, sellableUnits } from './levels';

/** Units one hold may take: a counter, not a wholesaler. */
export const MAX_HOLD_QUANTITY = 10;
/** Live holds one customer may have at once. */
export const MAX_ACTIVE_HOLDS = 10;
/** Nearest other offices a refusal proposes. */
export const ALTERNATIVES_SHOWN = 3;
/** How far the alternatives are looked for, in metres. */
export const ALTERNATIVES_RADIUS_M = 50_000;
/** The most holds a list shows (a customer's, an office's). */
export const HOLDS_LIST_LIMIT = 100;

/** Digits 2–9 and the capitals without I and O: 32 characters, so one random byte gives one character evenly (`byte & 31`). */
export const HOLD_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const HOLD_ID_PATTERN = /^RSV-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/;
/** A request's one-time key: 8 to 100 visible ASCII characters (a UUID, a form's random token). */
export const REQUEST_KEY_PATTERN = /^[\x21-\x7e]{8,100}$/;

/** A new reference `RSV-` + 8 characters; `randomBytes` is the source of randomness (a test may fix it). */
export function holdReference(randomBytes: (count: number) => Uint8Array = (count) => crypto.getRandomValues(new Uint8Array(count))): string {
  return `RSV-${[...randomBytes(8)].map((byte) => HOLD_ALPHABET[byte & 31]).join('')}`;
}

/** A reference as a clerk types or scans it: `rsv abcd 2345`, `ABCD2345` → `RSV-ABCD2345`; undefined when it cannot be one. */
export function readHoldReference(text: string): string | undefined {
  const compact = text.toUpperCase().replace(/[\s-]/g, '').slice(0, 20);
  const reference = `RSV-${compact.startsWith('RSV') ? compact.slice(3) : compact}`;
  return HOLD_ID_PATTERN.test(reference) ? reference : undefined;
}

/** The office of a hold, as messages and pages show it. */
export interface HoldOffice {
  id: string;
  name: string;
  commune: string;
  /** "12 rue de la Gare, 97400 Saint-Denis" */
  address: string;
  path: string;
  timeZone: string;
}

export interface HoldView {
  id: string;
  customerId: string;
  sku: string;
  productName: string;
  quantity: number;
  /** As stored, except that an active hold past its deadline reads `expired` (it already counts for nothing). */
  status: HoldStatus;
  createdAt: Date;
  expiresAt: Date;
  closedAt: Date | null;
  office: HoldOffice;
  /** "mardi 25 novembre à 18:00", the office's local time. */
  deadlineLabel: string;
}

/** French words for a hold's status. */
export const HOLD_STATUS_LABELS: Record<HoldStatus, string> = {
  active: 'en attente de retrait',
  collected: 'retirée',
  cancelled: 'annulée',
  not_collected: 'non retirée',
  expired: 'expirée',
};

type AddressFields = Pick<LocationRow, 'addressLine' | 'addressComplement' | 'lieuDit' | 'postcode' | 'commune'>;

export function officeAddress(location: AddressFields): string {
  const street = [location.addressLine, location.addressComplement, location.lieuDit].filter((part) => part && part.trim()).join(', ');
  return `${street ? `${street}, ` : ''}${location.postcode} ${location.commune}`;
}

function officeOf(location: Pick<LocationRow, 'id' | 'name' | 'commune' | 'timeZone'> & AddressFields): HoldOffice {
  return { id: location.id, name: location.name, commune: location.commune, address: officeAddress(location), path: locationPath(location), timeZone: location.timeZone };
}

const HOLD_COLUMNS = {
  id: stockHolds.id, customerId: stockHolds.customerId, sku: stockHolds.sku, quantity: stockHolds.quantity, status: stockHolds.status,
  createdAt: stockHolds.createdAt, expiresAt: stockHolds.expiresAt, closedAt: stockHolds.closedAt, productName: products.name,
  locationId: locations.id, locationName: locations.name, commune: locations.commune, timeZone: locations.timeZone,
  addressLine: locations.addressLine, addressComplement: locations.addressComplement, lieuDit: locations.lieuDit, postcode: locations.postcode,
};
/** One row of HOLD_COLUMNS. */
type HoldRow = AddressFields & {
  id: string; customerId: string; sku: string; quantity: number; status: HoldStatus; createdAt: number; expiresAt: number; closedAt: number | null;
  productName: string; locationId: string; locationName: string; timeZone: string;
};

function toView(row: HoldRow, now: Date): HoldView {
  const expiresAt = new Date(row.expiresAt);
  return {
    id: row.id,
    customerId: row.customerId,
    sku: row.sku,
    productName: row.productName,
    quantity: row.quantity,
    status: row.status === 'active' && row.expiresAt <= now.getTime() ? 'expired' : row.status,
    createdAt: new Date(row.createdAt),
    expiresAt,
    closedAt: row.closedAt === null ? null : new Date(row.closedAt),
    office: officeOf({ ...row, id: row.locationId, name: row.locationName }),
    deadlineLabel: deadlineWords(expiresAt, row.timeZone, now),
  };
}

async function readHolds(db: Database, where: SQL | undefined, order: SQL[], now: Date, limit = HOLDS_LIST_LIMIT): Promise<HoldView[]> {
  const rows = await db.select(HOLD_COLUMNS).from(stockHolds)
    .innerJoin(products, eq(products.sku, stockHolds.sku))
    .innerJoin(locations, eq(locations.id, stockHolds.locationId))
    .where(where).orderBy(...order).limit(limit);
  return rows.map((row) => toView(row, now));
}

/** One hold by its reference (any customer, any status). */
export async function findHold(db: Database, id: string, now: Date): Promise<HoldView | undefined> {
  if (!HOLD_ID_PATTERN.test(id)) return undefined;
  return (await readHolds(db, eq(stockHolds.id, id), [], now, 1))[0];
}

/** Live: active and not past its deadline at `now`. */
const live = (now: Date) => and(eq(stockHolds.status, 'active'), gt(stockHolds.expiresAt, now.getTime()));

/** A customer's holds: the live ones first (nearest deadline first), then the others, newest first. */
export async function holdsOf(db: Database, customerId: string, now: Date): Promise<HoldView[]> {
  return readHolds(db, eq(stockHolds.customerId, customerId), [
    sql`case when ${stockHolds.status} = 'active' and ${stockHolds.expiresAt} > ${now.getTime()} then 0 else 1 end`,
    sql`case when ${stockHolds.status} = 'active' and ${stockHolds.expiresAt} > ${now.getTime()} then ${stockHolds.expiresAt} else -${stockHolds.createdAt} end`,
  ], now);
}

/** A customer's live holds only (the home, the counter). */
export async function liveHoldsOf(db: Database, customerId: string, now: Date, locationId?: string): Promise<HoldView[]> {
  const where = and(eq(stockHolds.customerId, customerId), live(now), locationId ? eq(stockHolds.locationId, locationId) : undefined);
  return readHolds(db, where, [asc(stockHolds.expiresAt), asc(stockHolds.id)], now);
}

/** Runs a Drizzle query as a raw D1 statement, so it can share a `d1.batch` with the raw ones (the feed refresh). */
export function statement(d1: D1Database, query: { toSQL(): { sql: string; params: unknown[] } }): D1PreparedStatement {
  const { sql: text, params } = query.toSQL();
  return d1.prepare(text).bind(...params);
}

/** "2 × Carnet de 12 timbres · Saint-Denis · RSV-…": a history entry's detail (no personal data). */
export const historyDetail = (hold: { id: string; quantity: number; productName: string }, officeName: string) =>
  `${hold.quantity} × ${hold.productName} · ${officeName} · ${hold.id}`.slice(0, 200);

// ---------------------------------------------------------------------------
// Reserving

/** Another office that has enough of it, for a refused reservation. */
export interface Alternative {
  locationId: string;
  name: string;
  commune: string;
  /** Metres from the refused office. */
  distance: number;
  band: QuantityBand;
  bandLabel: string;
  open: boolean;
  /** "Ouvert jusqu’à 18:00" */
  summary: string;
  /** The office's page. */
  path: string;
  /** The reservation page for this product there. */
  reservePath: string;
}

export type ReserveRefusal =
  /** A field at fault (400): `reason` in French, naming it. */
  | { ok: false; problem: 'invalid'; field: 'quantity' | 'request_key'; reason: string }
  | { ok: false; problem: 'unknown_product' }
  | { ok: false; problem: 'unknown_location' }
  /** Withdrawn from the catalogue. */
  | { ok: false; problem: 'not_on_sale'; productName: string }
  /** The office does not keep this product (no count of it there). */
  | { ok: false; problem: 'not_sold_here'; productName: string; officeName: string; alternatives: Alternative[] }
  /** The office left the network, or opens on none of the next 14 days. */
  | { ok: false; problem: 'closed'; officeName: string; reopensAt: Date | null; words: string; alternatives: Alternative[] }
  | { ok: false; problem: 'too_many_holds' }
  /** This request key already took another hold (another product, office or quantity). */
  | { ok: false; problem: 'key_reused'; hold: HoldView }
  /** Fewer units free than asked. */
  | { ok: false; problem: 'not_enough'; sellable: number; productName: string; officeName: string; alternatives: Alternative[] };

export type ReserveResult = { ok: true; hold: HoldView; replayed: boolean } | ReserveRefusal;

export interface ReserveInput {
  customer: Pick<CustomerRow, 'id'> & HoldRecipient;
  sku: string;
  locationId: string;
  quantity: number;
  requestKey: string;
  now: Date;
  /** Units of each product kept out of holds (STOCK_SAFETY_UNITS). */
  safety: number;
  messages: HoldMessagesContext;
}

/** Why `quantity` is not a quantity one may hold; undefined when it is. */
export function quantityProblem(quantity: unknown): string | undefined {
  if (typeof quantity !== 'number' || Number.isNaN(quantity)) return 'nombre entier de 1 à 10 attendu';
  if (!Number.isInteger(quantity)) return 'nombre entier attendu (pas de décimales)';
  if (quantity < 1) return 'au moins 1';
  if (quantity > MAX_HOLD_QUANTITY) return `${MAX_HOLD_QUANTITY} au plus par réservation`;
  return undefined;
}

/** What is known of a product at an office before reserving it: what the reservation page shows. */
export type HoldOffer =
  | {
    ok: true;
    product: ProductRow;
    office: HoldOffice;
    location: LocationRow;
    /** Units free to hold now (counted, less live holds and the safety stock). */
    sellable: number;
    /** The deadline of a hold taken now, and its words. */
    expiresAt: Date;
    deadlineLabel: string;
    remindAt: Date | null;
  }
  | Extract<ReserveRefusal, { problem: 'unknown_product' | 'unknown_location' | 'not_on_sale' | 'not_sold_here' | 'closed' }>;

/** Counted units and live held units of a product at an office; undefined when the office keeps no count of it. */
async function stockAt(db: Database, locationId: string, sku: string, now: Date): Promise<{ counted: number; held: number } | undefined> {
  const row = await db.$client.prepare(
    `select s.quantity as counted, coalesce((select sum(h.quantity) from stock_holds h
       where h.location_id = s.location_id and h.sku = s.sku and h.status = 'active' and h.expires_at > ?3), 0) as held
     from location_stock s where s.location_id = ?1 and s.sku = ?2`,
  ).bind(locationId, sku, now.getTime()).first<{ counted: number; held: number }>();
  return row ?? undefined;
}

/** The nearest other offices that can hold `quantity` of the product now, nearest first. */
export async function nearestAlternatives(db: Database, input: { sku: string; location: Pick<LocationRow, 'id' | 'latitude' | 'longitude'>; quantity: number; now: Date; safety: number }): Promise<Alternative[]> {
  const found = await productAvailability(db, {
    sku: input.sku,
    near: { latitude: input.location.latitude, longitude: input.location.longitude },
    radius: ALTERNATIVES_RADIUS_M,
    // A few more than shown: the nearest may not have enough for this quantity.
    limit: ALTERNATIVES_SHOWN * 4,
    now: input.now,
    safety: input.safety,
    excludeLocationIds: [input.location.id],
  });
  if (!found) return [];
  return found.holders
    .filter((holder) => holder.id !== input.location.id && holder.sellable >= input.quantity)
    .slice(0, ALTERNATIVES_SHOWN)
    .map((holder) => ({
      locationId: holder.id,
      name: holder.name,
      commune: holder.commune,
      distance: Math.round(holder.distance),
      band: holder.band,
      bandLabel: BAND_LABELS[holder.band],
      open: holder.open,
      summary: holder.summary,
      path: holder.path,
      reservePath: reservePath(input.sku, holder.id),
    }));
}

/**
 * What a hold of `sku` at `locationId` taken now would be: the product on
 * sale, the office in the network and keeping a count of it, open on one of
 * the next 14 days (the deadline); else why not.
 */
export async function holdOffer(db: Database, input: { sku: string; locationId: string; now: Date; safety: number }, quantityForAlternatives = 1, withAlternatives = true): Promise<HoldOffer> {
  const sku = input.sku.trim().toUpperCase();
  const locationId = input.locationId.trim().toUpperCase().slice(0, 64);
  const [product, location] = await Promise.all([findProduct(db, sku), locationId ? findLocation(db, locationId) : undefined]);
  if (!product) return { ok: false, problem: 'unknown_product' };
  if (!location) return { ok: false, problem: 'unknown_location' };
  if (!isOnSale(product)) return { ok: false, problem: 'not_on_sale', productName: product.name };
  // A 50 km search: only for who may reserve (the page shows none to a signed-out visitor, whose request costs nothing then).
  const alternatives = async () => (withAlternatives ? nearestAlternatives(db, { sku, location, quantity: quantityForAlternatives, now: input.now, safety: input.safety }) : []);
  if (location.status !== 'active') {
    return { ok: false, problem: 'closed', officeName: location.name, reopensAt: null, words: 'fermé définitivement', alternatives: await alternatives() };
  }
  const [stock, schedule] = await Promise.all([stockAt(db, location.id, sku, input.now), scheduleAt(db, location, input.now)]);
  if (!stock) return { ok: false, problem: 'not_sold_here', productName: product.name, officeName: location.name, alternatives: await alternatives() };
  const deadline = holdDeadline(schedule, input.now);
  if (!deadline.ok) {
    return {
      ok: false, problem: 'closed', officeName: location.name, reopensAt: deadline.reopensAt,
      words: closedUntilWords(deadline.reopensAt, location.timeZone, input.now), alternatives: await alternatives(),
    };
  }
  return {
    ok: true,
    product,
    office: officeOf(location),
    location,
    sellable: sellableUnits(stock.counted, stock.held, input.safety),
    expiresAt: deadline.expiresAt,
    deadlineLabel: deadlineWords(deadline.expiresAt, location.timeZone, input.now),
    remindAt: deadline.remindAt,
  };
}

/** The hold this customer took with this request key, if any. */
async function holdByKey(db: Database, customerId: string, requestKey: string, now: Date): Promise<HoldView | undefined> {
  return (await readHolds(db, and(eq(stockHolds.customerId, customerId), eq(stockHolds.requestKey, requestKey)), [], now, 1))[0];
}

/** The same request again: the same hold, its confirmation queued again under the same key (delivered once); another body: refused. */
async function replay(existing: HoldView, input: ReserveInput): Promise<ReserveResult> {
  const same = existing.sku === input.sku.trim().toUpperCase() && existing.office.id === input.locationId.trim().toUpperCase() && existing.quantity === input.quantity;
  if (!same) return { ok: false, problem: 'key_reused', hold: existing };
  if (existing.status === 'active') await sendConfirmation(input.messages, existing, input.customer, input.now);
  return { ok: true, hold: existing, replayed: true };
}

/**
 * Reserves `quantity` units of `sku` at `locationId` for the customer,
 * until the office closes on its next opening day; the confirmation is
 * queued. Idempotent on the request key: the same key returns the same
 * hold (even after it was collected or expired), another body with it is
 * refused. Refused when fewer units are free, with the nearest offices that
 * have them.
 */
export async function reserveHold(db: Database, input: ReserveInput): Promise<ReserveResult> {
  const problem = quantityProblem(input.quantity);
  if (problem) return { ok: false, problem: 'invalid', field: 'quantity', reason: `quantity : ${problem}` };
  if (!REQUEST_KEY_PATTERN.test(input.requestKey)) {
    return { ok: false, problem: 'invalid', field: 'request_key', reason: 'clé d’idempotence : 8 à 100 caractères ASCII visibles' };
  }
  const customerId = input.customer.id;
  const existing = await holdByKey(db, customerId, input.requestKey, input.now);
  if (existing) return replay(existing, input);

  const offer = await holdOffer(db, input, input.quantity);
  if (!offer.ok) return offer;
  const { product, location } = offer;
  const id = holdReference();
  const at = input.now.getTime();
  // No reminder (nothing useful to remind): due at the deadline itself, which the reminder round never reaches (it wants expires_at > now).
  const remindAt = offer.remindAt?.getTime() ?? offer.expiresAt.getTime();
  const d1 = db.$client;
  const [taken] = await d1.batch([
    // The one conditional write: counted − safety − other live holds must still cover the quantity, and the customer stay under 10 live holds.
    d1.prepare(
      `insert into stock_holds (id, customer_id, location_id, sku, quantity, status, request_key, created_at, expires_at, remind_at)
       select ?1, ?2, ?3, ?4, ?5, 'active', ?6, ?7, ?8, ?9
       where (select s.quantity from location_stock s where s.location_id = ?3 and s.sku = ?4) - ?10
           - coalesce((select sum(h.quantity) from stock_holds h where h.location_id = ?3 and h.sku = ?4 and h.status = 'active' and h.expires_at > ?7), 0) >= ?5
         and (select count(*) from stock_holds h where h.customer_id = ?2 and h.status = 'active' and h.expires_at > ?7) < ?11
         and not exists (select 1 from stock_holds h where h.customer_id = ?2 and h.request_key = ?6)
       returning id`,
    ).bind(id, customerId, location.id, product.sku, input.quantity, input.requestKey, at, offer.expiresAt.getTime(), remindAt, input.safety, MAX_ACTIVE_HOLDS),
    statement(d1, historyInsertIf(db, {
      customerId, kind: 'hold.reserved', at: input.now, where: { channel: 'web' },
      detail: historyDetail({ id, quantity: input.quantity, productName: product.name }, location.name),
    }, sql`exists (select 1 from stock_holds where id = ${id})`)),
    feedRowsRefresh(d1, [{ locationId: location.id, sku: product.sku }], at, input.safety),
  ]);

  // `returning` rather than the change count: the count would include whatever a trigger wrote.
  if (taken!.results.length !== 1) {
    // Refused: say why. The same key may have won a moment before (a double submission).
    const raced = await holdByKey(db, customerId, input.requestKey, input.now);
    if (raced) return replay(raced, input);
    const [{ count }] = await db.select({ count: sql<number>`count(*)` }).from(stockHolds).where(and(eq(stockHolds.customerId, customerId), live(input.now)));
    if (count >= MAX_ACTIVE_HOLDS) return { ok: false, problem: 'too_many_holds' };
    const stock = await stockAt(db, location.id, product.sku, input.now);
    return {
      ok: false, problem: 'not_enough', productName: product.name, officeName: location.name,
      sellable: stock ? sellableUnits(stock.counted, stock.held, input.safety) : 0,
      alternatives: await nearestAlternatives(db, { sku: product.sku, location, quantity: input.quantity, now: input.now, safety: input.safety }),
    };
  }
  const hold = (await findHold(db, id, input.now))!;
  await sendConfirmation(input.messages, hold, input.customer, input.now);
  return { ok: true, hold, replayed: false };
}

/** What the customer reads when a reservation is refused (French). */
export function reserveRefusalMessage(refusal: ReserveRefusal): string {
  switch (refusal.problem) {
    case 'invalid':
      return `${refusal.reason.charAt(0).toUpperCase()}${refusal.reason.slice(1)}.`;
    case 'unknown_product':
      return 'Produit inconnu : vérifiez la référence (sku) dans la boutique.';
    case 'unknown_location':
      return 'Bureau inconnu : vérifiez son identifiant (location_id).';
    case 'not_on_sale':
      return `« ${refusal.productName} » n’est plus vendu : il ne peut pas être réservé.`;
    case 'not_sold_here':
      return `Le bureau ${refusal.officeName} ne vend pas « ${refusal.productName} » : choisissez un autre bureau.`;
    case 'closed':
      return `Le bureau ${refusal.officeName} est ${refusal.words} : aucune réservation n’y est possible pour l’instant.`;
    case 'too_many_holds':
      return `Vous avez déjà ${MAX_ACTIVE_HOLDS} réservations en cours : retirez-en ou annulez-en une d’abord.`;
    case 'key_reused':
      return `Cette clé d’idempotence a déjà servi à la réservation ${refusal.hold.id} (un autre article, bureau ou quantité) : une nouvelle réservation demande une nouvelle clé.`;
    case 'not_enough':
      return refusal.sellable > 0
        ? `Le bureau ${refusal.officeName} n’a plus que ${refusal.sellable} « ${refusal.productName} » à réserver : demandez-en moins, ou voyez les bureaux proches.`
        : `Le bureau ${refusal.officeName} n’a plus de « ${refusal.productName} » à réserver : voyez les bureaux proches.`;
  }
}

// ---------------------------------------------------------------------------
// Cancelling

export type CancelResult =
  | { ok: true; hold: HoldView; already: boolean }
  /** Unknown, or another customer's: the same answer. */
  | { ok: false; problem: 'not_found' }
  /** Collected, marked not collected, or expired: nothing to cancel. */
  | { ok: false; problem: 'closed'; hold: HoldView };

/**
 * The customer cancels their own live hold: its units are free at once
 * (the feed refreshed in the same batch). Cancelling a cancelled hold again
 * changes nothing.
 */
export async function cancelHold(db: Database, input: { customerId: string; holdId: string; now: Date; safety: number }): Promise<CancelResult> {
  const hold = await findHold(db, input.holdId, input.now);
  if (!hold || hold.customerId !== input.customerId) return { ok: false, problem: 'not_found' };
  if (hold.status === 'cancelled') return { ok: true, hold, already: true };
  if (hold.status !== 'active') return { ok: false, problem: 'closed', hold };
  const d1 = db.$client;
  const at = input.now.getTime();
  const stillLive = sql`exists (select 1 from stock_holds where id = ${hold.id} and customer_id = ${input.customerId} and status = 'active' and expires_at > ${at})`;
  const [, cancelled] = await d1.batch([
    // Before the change, with its own condition: written only by the batch that cancels.
    statement(d1, historyInsertIf(db, { customerId: input.customerId, kind: 'hold.cancelled', at: input.now, where: { channel: 'web' }, detail: historyDetail(hold, hold.office.name) }, stillLive)),
    d1.prepare(`update stock_holds set status = 'cancelled', closed_at = ?3 where id = ?1 and customer_id = ?2 and status = 'active' and expires_at > ?3 returning id`).bind(hold.id, input.customerId, at),
    feedRowsRefresh(d1, [{ locationId: hold.office.id, sku: hold.sku }], at, input.safety),
  ]);
  const after = (await findHold(db, hold.id, input.now))!;
  if (cancelled!.results.length === 1) return { ok: true, hold: after, already: false };
  return after.status === 'cancelled' ? { ok: true, hold: after, already: true } : { ok: false, problem: 'closed', hold: after };
}

// ---------------------------------------------------------------------------
// Staff: the holds at an office, collected or not

/** Whether a staff member's role hands over holds. Every role is named: a new role does not compile until it is decided here. */
export function mayHandleHolds(staff: Staff): boolean {
  switch (staff.role) {
    case 'counter':
    case 'hours':
      return true;
    case 'exceptions':
      return false;
  }
}

export type HoldPlace = { ok: true; location: LocationRow; office: HoldOffice } | { ok: false; problem: 'not_found' | 'forbidden' };

/** The office a staff member acts on: it exists (404), their role handles holds and it is in their scope (403). */
export async function holdPlace(db: Database, staff: Staff, locationId: string): Promise<HoldPlace> {
  const location = await findLocation(db, locationId.trim().toUpperCase().slice(0, 64));
  if (!location) return { ok: false, problem: 'not_found' };
  if (!mayHandleHolds(staff) || !inScope(staff, location)) return { ok: false, problem: 'forbidden' };
  return { ok: true, location, office: officeOf(location) };
}

/** The office a staff page is about: their own office, or (wider scope) the one they name; else why not. */
export type HoldDesk = { ok: true; office: HoldOffice } | { ok: false; why: 'role' | 'scope' | 'choose' };

export async function holdDesk(db: Database, staff: Staff, requested: string | null | undefined): Promise<HoldDesk> {
  if (!mayHandleHolds(staff)) return { ok: false, why: 'role' };
  const id = staff.scopeType === 'office' ? staff.scopeValue ?? '' : (requested ?? '').trim();
  if (!id) return { ok: false, why: staff.scopeType === 'office' ? 'scope' : 'choose' };
  const place = await holdPlace(db, staff, id);
  if (!place.ok || place.location.status !== 'active') return { ok: false, why: 'scope' };
  return { ok: true, office: place.office };
}

/** The live holds at an office, the nearest deadline first (at most HOLDS_LIST_LIMIT). */
export async function liveHoldsAt(db: Database, locationId: string, now: Date): Promise<HoldView[]> {
  return readHolds(db, and(eq(stockHolds.locationId, locationId), live(now)), [asc(stockHolds.expiresAt), asc(stockHolds.createdAt)], now);
}

/** A hold at this office by the reference the customer gives (typed or scanned), whatever its status; undefined if none here. */
export async function findHoldAt(db: Database, locationId: string, text: string, now: Date): Promise<HoldView | undefined> {
  const reference = readHoldReference(text);
  const hold = reference ? await findHold(db, reference, now) : undefined;
  return hold && hold.office.id === locationId ? hold : undefined;
}

export type CloseResult =
  | { ok: true; hold: HoldView; already: boolean }
  | { ok: false; problem: 'forbidden' | 'not_found' }
  /** Already closed otherwise (cancelled, expired, the other mark). */
  | { ok: false; problem: 'closed'; hold: HoldView };

interface CloseInput { locationId: string; holdId: string; now: Date; safety: number }

/** The staff audit's entry for a hold, written only if `condition` holds when the batch runs. */
function staffAuditIf(d1: D1Database, staff: Staff, action: 'hold.collected' | 'hold.not_collected', locationId: string, holdId: string, now: Date, condition: string, params: unknown[]) {
  return d1.prepare(
    `insert into staff_audit (actor_id, actor_name, action, location_id, subject, at) select ?, ?, ?, ?, ?, ? where ${condition}`,
  ).bind(staff.id, staff.name, action, locationId, holdId, now.toISOString(), ...params);
}

async function closable(db: Database, staff: Staff, input: CloseInput, wanted: 'collected' | 'not_collected'):
  Promise<{ ok: true; hold: HoldView; place: Extract<HoldPlace, { ok: true }> } | CloseResult> {
  const place = await holdPlace(db, staff, input.locationId);
  if (!place.ok) return place;
  const hold = await findHold(db, input.holdId.trim().toUpperCase(), input.now);
  if (!hold || hold.office.id !== place.location.id) return { ok: false, problem: 'not_found' };
  // A double click, or two clerks: the second finds it done, and that is the answer.
  if (hold.status === wanted) return { ok: true, hold, already: true };
  return { ok: true, hold, place };
}

async function outcome(db: Database, holdId: string, changed: boolean, wanted: HoldStatus, now: Date): Promise<CloseResult> {
  const after = (await findHold(db, holdId, now))!;
  if (changed) return { ok: true, hold: after, already: false };
  return after.status === wanted ? { ok: true, hold: after, already: true } : { ok: false, problem: 'closed', hold: after };
}

/**
 * The customer collected their hold: the units leave the shelf. One batch,
 * all of it conditioned on the hold still being live, the hold's own change
 * last: the count goes down by the held quantity (its version and the
 * sheet's move, the stock audit says `collected`), the staff audit and the
 * customer's history (at the counter of this office) record it, the feed
 * row is refreshed. A second click finds it collected and changes nothing.
 */
export async function collectHold(db: Database, staff: Staff, input: CloseInput): Promise<CloseResult> {
  const found = await closable(db, staff, input, 'collected');
  if (!('place' in found)) return found;
  const { hold, place } = found;
  if (hold.status !== 'active') return { ok: false, problem: 'closed', hold };
  const d1 = db.$client;
  const at = input.now.getTime();
  const officeId = place.location.id;
  const liveSql = sql`exists (select 1 from stock_holds where id = ${hold.id} and location_id = ${officeId} and status = 'active' and expires_at > ${at})`;
  // ?1 office, ?2 sku, ?3 hold, ?4 now (ms), ?5 quantity: every statement runs only while the hold is live, the hold's own change last.
  const LIVE = `exists (select 1 from stock_holds where id = ?3 and location_id = ?1 and status = 'active' and expires_at > ?4)`;
  const results = await d1.batch([
    d1.prepare(
      `insert into stock_audit (location_id, sku, before, after, source, actor_id, actor_name, at)
       select location_id, sku, quantity, max(0, quantity - ?5), 'collected', ?6, ?7, ?4 from location_stock where location_id = ?1 and sku = ?2 and ${LIVE}`,
    ).bind(officeId, hold.sku, hold.id, at, hold.quantity, staff.id, staff.name),
    d1.prepare(`update location_stock set quantity = max(0, quantity - ?5), version = version + 1, updated_at = ?4 where location_id = ?1 and sku = ?2 and ${LIVE}`)
      .bind(officeId, hold.sku, hold.id, at, hold.quantity),
    d1.prepare(
      `insert into stock_sheets (location_id, version, updated_at) select ?1, 1, ?4 where ${LIVE}
       on conflict (location_id) do update set version = stock_sheets.version + 1, updated_at = excluded.updated_at`,
    ).bind(officeId, null, hold.id, at),
    staffAuditIf(d1, staff, 'hold.collected', officeId, hold.id, input.now, `exists (select 1 from stock_holds where id = ? and location_id = ? and status = 'active' and expires_at > ?)`, [hold.id, officeId, at]),
    statement(d1, historyInsertIf(db, {
      customerId: hold.customerId, kind: 'hold.collected', at: input.now, where: { channel: 'counter', locationId: officeId, locationName: place.location.name },
      detail: historyDetail(hold, place.location.name),
    }, liveSql)),
    d1.prepare(`update stock_holds set status = 'collected', closed_at = ?4, closed_by = ?6 where id = ?3 and location_id = ?1 and status = 'active' and expires_at > ?4 returning id`)
      .bind(officeId, null, hold.id, at, null, staff.id),
    feedRowsRefresh(d1, [{ locationId: officeId, sku: hold.sku }], at, input.safety),
  ]);
  return outcome(db, hold.id, results[5]!.results.length === 1, 'collected', input.now);
}

/**
 * The customer did not come: the office marks the hold not collected, and
 * its units are free at once. Allowed while the hold is active, also past
 * its deadline (before the cron calls it expired).
 */
export async function markNotCollected(db: Database, staff: Staff, input: CloseInput): Promise<CloseResult> {
  const found = await closable(db, staff, input, 'not_collected');
  if (!('place' in found)) return found;
  const { hold, place } = found;
  if (hold.status !== 'active' && hold.status !== 'expired') return { ok: false, problem: 'closed', hold };
  const d1 = db.$client;
  const at = input.now.getTime();
  const officeId = place.location.id;
  const activeRaw = `exists (select 1 from stock_holds where id = ? and location_id = ? and status = 'active')`;
  const activeSql = sql`exists (select 1 from stock_holds where id = ${hold.id} and location_id = ${officeId} and status = 'active')`;
  const results = await d1.batch([
    staffAuditIf(d1, staff, 'hold.not_collected', officeId, hold.id, input.now, activeRaw, [hold.id, officeId]),
    statement(d1, historyInsertIf(db, {
      customerId: hold.customerId, kind: 'hold.not_collected', at: input.now, where: { channel: 'counter', locationId: officeId, locationName: place.location.name },
      detail: historyDetail(hold, place.location.name),
    }, activeSql)),
    d1.prepare(`update stock_holds set status = 'not_collected', closed_at = ?, closed_by = ? where id = ? and location_id = ? and status = 'active' returning id`)
      .bind(at, staff.id, hold.id, officeId),
    feedRowsRefresh(d1, [{ locationId: officeId, sku: hold.sku }], at, input.safety),
  ]);
  return outcome(db, hold.id, results[2]!.results.length === 1, 'not_collected', input.now);
}

/** What the clerk reads after marking a hold (French). */
export function closeMessage(result: CloseResult, wanted: 'collected' | 'not_collected'): string {
  if (result.ok) {
    const what = `${result.hold.id} (${result.hold.quantity} × ${result.hold.productName})`;
    if (wanted === 'collected') return result.already ? `Réservation ${what} déjà remise.` : `Réservation ${what} remise au client.`;
    return result.already ? `Réservation ${what} déjà notée non retirée.` : `Réservation ${what} notée non retirée : les articles sont de nouveau en vente.`;
  }
  switch (result.problem) {
    case 'forbidden':
      return 'Votre jeton ne permet pas de gérer les réservations de ce bureau.';
    case 'not_found':
      return 'Aucune réservation de ce bureau ne porte cette référence.';
    case 'closed':
      return `La réservation ${result.hold.id} est ${HOLD_STATUS_LABELS[result.hold.status]} : plus rien à faire.`;
  }
}

/**
 * The live holds, at this clerk's office, of the customer recognised in the
 * clerk's open counter session: what the clerk can hand over at once.
 * Nothing once the session ended, nor for another clerk's session.
 */
export async function holdsForCounterSession(db: Database, staff: Staff, sessionId: string, now: Date): Promise<HoldView[]> {
  if (!mayHandleHolds(staff)) return [];
  const session = await db.select({ customerId: counterSessions.customerId, locationId: counterSessions.locationId }).from(counterSessions)
    .where(and(eq(counterSessions.id, sessionId), eq(counterSessions.staffId, staff.id), isNull(counterSessions.closedAt), gt(counterSessions.expiresAt, now.toISOString())))
    .get();
  if (!session) return [];
  return liveHoldsOf(db, session.customerId, now, session.locationId);
}

/** The contact of the customers of these holds (the reminder round reads them once). */
export async function recipientsOf(db: Database, customerIds: string[]): Promise<Map<string, HoldRecipient>> {
  if (customerIds.length === 0) return new Map();
  const rows = await db.select({ id: customers.id, email: customers.email, quietStart: customers.quietStart, quietEnd: customers.quietEnd, timeZone: customers.timeZone })
    .from(customers).where(inList(customers.id, customerIds));
  return new Map(rows.map(({ id, ...recipient }) => [id, recipient]));
}

/** Holds by reference, as views (the cron's rounds). */
export async function holdsByIds(db: Database, ids: string[], now: Date): Promise<HoldView[]> {
  if (ids.length === 0) return [];
  return readHolds(db, inList(stockHolds.id, ids), [desc(stockHolds.expiresAt)], now, ids.length);
}
