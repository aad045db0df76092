/**
 * @module
 * Orders from the online catalogue: placed by a clerk at the counter for
 * the customer recognised there ("endless aisle"), placed by the customer
 * on the web, and placed again from a past order in one click.
 *
 * Orders are served from the online shop's stock. An order and everything
 * that goes with it are ONE D1 batch: the order row, inserted only if every
 * line can be served now (and, at the counter, the clerk's session is still
 * open), then its lines, the conditional decrement of each product's
 * `online_stock`, the customer's history entry and, at the counter, the
 * staff audit, each conditioned on that very order row: an order is either
 * wholly written or not at all, and concurrent orders never take the online
 * stock below 0 (D1 runs one batch at a time). The same one-time key
 * (`Idempotency-Key`, or the form's) gives back the same order.
 *
 * Payment (decision): online card payment is not built. A counter order is
 * paid at the counter's till (`paid_at_counter`); a web order is `due`:
 * paid at the counter when collected, or, for home delivery, once an
 * online payment step exists (a payment provider would confirm it).
 */
import { eq, type SQL, sql } from 'drizzle-orm';
import { SQLiteAsyncDialect } from 'drizzle-orm/sqlite-core';
import { counterSessions, customers, type CustomerAddress, type CustomerRow } from '../../db/schema';
import { type OrderChannel, type OrderDelivery, type OrderPayment, PRODUCT_KINDS, type ProductKind } from '../../db/vocabulary';
import { decodeProductCursor, encodeProductCursor, listProducts, MAX_SEARCH_LENGTH } from '../catalogue/catalogue';
import { formatPrice, PRODUCT_KIND_LABELS } from '../catalogue/products';
import { BAND_LABELS, bandOf } from '../stock/levels';
import { favouritesOf } from '../accounts/favourites';
import { historyInsertIf } from '../accounts/history';
import type { Database } from '../database';
import { decodeBase64url, encodeBase64urlText } from '../http/base64url';
import { COUNTER_LOCATION_TYPES } from '../locations/catalog';
import type { Staff } from '../staff/tokens';
import {
  checkLines, itemCount, type LineProblem, orderHistoryDetail, paymentLabel, planFingerprint, priceLines, type PricedLine,
  REQUEST_KEY_PATTERN, reorderPlan, type KeptLine, type RequestedLine, type UnavailableItem, unavailableSentence,
} from './model';
import {
  linesOf, type OrderLineRow, type OrderRow, orderById, orderByRequest, ordersOfCustomer, type PlaceFacts, placesOf, productFacts,
} from './store';

/** Where a web order goes: an address of the account (by its index), or an office to collect it from. */
export type WebDelivery = { kind: 'home'; addressIndex: number } | { kind: 'collect'; locationId: string };
/** Where a counter order goes: an address of the recognised customer's account, or this office. */
export type CounterDelivery = { kind: 'home'; addressIndex: number } | { kind: 'collect' };

export interface OrderLineView {
  sku: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
}

export interface OrderView {
  /** `CMD-…`: the reference the customer gives. */
  id: string;
  channel: OrderChannel;
  createdAt: Date;
  /** The office whose counter placed it (counter orders only), its name as it is now. */
  counter: { locationId: string; name: string } | null;
  delivery: { kind: 'home'; address: CustomerAddress } | { kind: 'collect'; locationId: string; name: string; commune: string | null };
  payment: OrderPayment;
  /** "Payée au guichet", "À payer au guichet au moment du retrait"… */
  paymentLabel: string;
  lines: OrderLineView[];
  itemCount: number;
  totalCents: number;
  reorderOf: string | null;
}

/** Why an order was not placed. */
export type OrderRefusal =
  /** Malformed lines, key or delivery: each field at fault, named as the API names it. */
  | { ok: false; problem: 'invalid'; params: LineProblem[] }
  /** Some lines cannot be served (none of the order was written): each named with why. */
  | { ok: false; problem: 'unavailable'; items: UnavailableItem[]; message: string }
  /** Counter: the token's role does not order, or its scope is not one office, or the session is another clerk's. */
  | { ok: false; problem: 'forbidden'; why: 'role' | 'scope' | 'not_yours' }
  /** Counter: no open counter session by this id (ended, past its 15 minutes, or unknown). */
  | { ok: false; problem: 'no_session' }
  /** Reorder: no such order for this customer. */
  | { ok: false; problem: 'not_found' }
  /** Reorder: what can be ordered again changed since the confirmation was shown. */
  | { ok: false; problem: 'changed'; preview: ReorderPreview }
  /** The stock moved between the read and the write, and another try found nothing to name: try again. */
  | { ok: false; problem: 'conflict' }
  /** The request key already placed another order (other lines, delivery or order reordered): a new order needs a new key. */
  | { ok: false; problem: 'key_reused'; orderId: string };

/**
 * Whether a stored order answers this request: the same lines (sku and
 * quantity, in any order), the same kind of delivery and place of
 * collection, the same order reordered. A key sent again with another
 * request is refused (422), never answered with the first order.
 */
function sameRequest(order: OrderView, lines: readonly RequestedLine[] | null, delivery: { kind: 'home' | 'collect'; locationId?: string } | null, reorderOf: string | null): boolean {
  const key = (l: { sku: string; quantity: number }) => `${l.sku}×${l.quantity}`;
  if (lines && [...order.lines].map(key).sort().join('|') !== [...lines].map(key).sort().join('|')) return false;
  if (delivery && order.delivery.kind !== delivery.kind) return false;
  if (delivery?.kind === 'collect' && delivery.locationId !== undefined && order.delivery.kind === 'collect' && order.delivery.locationId !== delivery.locationId) return false;
  return order.reorderOf === reorderOf;
}

/** The stored order of a key sent again, or the refusal of a key reused for another request. */
async function replayOf(db: Database, stored: Parameters<typeof viewOfStored>[1], matches: (order: OrderView) => boolean): Promise<Placement> {
  const order = await viewOfStored(db, stored);
  return matches(order) ? { ok: true, order, replayed: true } : { ok: false, problem: 'key_reused', orderId: order.id };
}

export type Placement = { ok: true; order: OrderView; replayed: boolean } | OrderRefusal;
/** A reorder names the lines it could not keep. */
export type ReorderPlacement = { ok: true; order: OrderView; replayed: boolean; dropped: UnavailableItem[] } | OrderRefusal;

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** `CMD-` and 8 characters no one misreads (no 0/O, 1/I): read aloud at a counter. */
export function newOrderId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `CMD-${[...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('')}`;
}

/**
 * Whether a staff member may order for a counter customer: the `counter`
 * role, scoped to one office. Every role is named: a new one does not
 * compile until it is decided here. `hours` and `exceptions` change opening
 * hours only (least privilege), and cannot open a counter session anyway.
 */
export function counterOrderRefusal(staff: Staff): 'role' | 'scope' | undefined {
  switch (staff.role) {
    case 'counter':
      return staff.scopeType === 'office' && staff.scopeValue ? undefined : 'scope';
    case 'hours':
    case 'exceptions':
      return 'role';
  }
}

/** The one-time keys of counter and web orders never meet: a clerk's key is the clerk's own. */
const counterKey = (staff: Staff, key: string) => `counter:${staff.id}:${key}`;
const webKey = (key: string) => `web:${key}`;

const invalid = (params: LineProblem[]): OrderRefusal => ({ ok: false, problem: 'invalid', params });
const unavailable = (items: UnavailableItem[]): OrderRefusal => ({ ok: false, problem: 'unavailable', items, message: unavailableSentence(items) });

function checkKey(requestKey: string): LineProblem[] {
  return REQUEST_KEY_PATTERN.test(requestKey) ? [] : [{ name: 'Idempotency-Key', reason: 'clé d’idempotence : de 8 à 100 caractères visibles' }];
}

function addressAt(customer: Pick<CustomerRow, 'addresses'>, index: number): CustomerAddress | undefined {
  return Number.isInteger(index) && index >= 0 ? customer.addresses[index] : undefined;
}

const NO_ADDRESS: LineProblem = { name: 'delivery.address_index', reason: 'aucune adresse de ce numéro sur le compte (0 pour la première)' };

const dialect = new SQLiteAsyncDialect();

/** A D1 statement from a drizzle query or SQL fragment: the order's batch mixes both, and goes to D1 as it is. */
function statement(db: Database, query: SQL | { toSQL(): { sql: string; params: unknown[] } }): D1PreparedStatement {
  const built = 'toSQL' in query ? query.toSQL() : dialect.sqlToQuery(query);
  return db.$client.prepare(built.sql).bind(...built.params);
}

/** The order's rows and what goes with them, as one batch. */
interface OrderWrite {
  id: string;
  customerId: string;
  channel: OrderChannel;
  locationId: string | null;
  clerk: Staff | null;
  counterSessionId: string | null;
  delivery: OrderDelivery;
  address: CustomerAddress | null;
  collectLocationId: string | null;
  payment: OrderPayment;
  lines: PricedLine[];
  totalCents: number;
  reorderOf: string | null;
  requestKey: string;
  /** Where the history says it happened. */
  where: { channel: 'web' } | { channel: 'counter'; locationId: string; locationName: string };
  now: Date;
}

/**
 * Writes the order in one batch, every statement conditioned on the order
 * row this batch inserts; that row is inserted only if each line's product
 * is on sale, sold online, at the price shown and with enough online stock
 * (and, for the counter, the clerk's session is still open), and only once
 * per one-time key. Answers whether this batch wrote it.
 */
async function writeOrder(db: Database, order: OrderWrite): Promise<boolean> {
  const at = order.now.getTime();
  const lines = JSON.stringify(order.lines.map((l) => [l.sku, l.quantity, l.unitPriceCents, l.name]));
  const servable = sql`(select count(*) from json_each(${lines}) j join products p on p.sku = j.value ->> '$[0]'
    where p.withdrawn_at is null and p.sold_online = 1 and p.online_stock >= j.value ->> '$[1]' and p.price_cents = j.value ->> '$[2]') = ${order.lines.length}`;
  const sessionOpen = order.counterSessionId === null
    ? sql`1`
    : sql`exists (select 1 from counter_sessions where id = ${order.counterSessionId} and staff_id = ${order.clerk!.id}
        and location_id = ${order.locationId} and closed_at is null and expires_at > ${order.now.toISOString()})`;
  const written = sql`exists (select 1 from orders where id = ${order.id} and customer_id = ${order.customerId} and request_key = ${order.requestKey})`;
  const count = itemCount(order.lines);
  await db.$client.batch([
    statement(db, sql`insert into orders (id, customer_id, channel, location_id, clerk_id, delivery, delivery_address, collect_location_id, payment,
        total_cents, reorder_of, request_key, created_at)
      select ${order.id}, ${order.customerId}, ${order.channel}, ${order.locationId}, ${order.clerk?.id ?? null}, ${order.delivery},
        ${order.address ? JSON.stringify(order.address) : null}, ${order.collectLocationId}, ${order.payment}, ${order.totalCents},
        ${order.reorderOf}, ${order.requestKey}, ${at}
      where ${servable} and ${sessionOpen}
      on conflict do nothing`),
    statement(db, sql`insert into order_lines (order_id, line, sku, name, unit_price_cents, quantity)
      select ${order.id}, j.key + 1, j.value ->> '$[0]', j.value ->> '$[3]', j.value ->> '$[2]', j.value ->> '$[1]'
      from json_each(${lines}) j where ${written}`),
    // Never below 0: the order row was inserted only if each product had the units, in this same batch.
    statement(db, sql`update products set
        online_stock = online_stock - (select j.value ->> '$[1]' from json_each(${lines}) j where j.value ->> '$[0]' = products.sku),
        updated_at = ${at}
      where sku in (select j.value ->> '$[0]' from json_each(${lines}) j) and ${written}`),
    statement(db, historyInsertIf(db, {
      customerId: order.customerId, kind: 'order.placed', at: order.now, where: order.where,
      detail: orderHistoryDetail(order.id, count, order.totalCents),
    }, written)),
    ...(order.clerk
      ? [statement(db, sql`insert into staff_audit (actor_id, actor_name, action, location_id, subject, at)
          select ${order.clerk.id}, ${order.clerk.name}, 'order.counter', ${order.locationId}, ${order.id}, ${order.now.toISOString()} where ${written}`)]
      : []),
  ]);
  const stored = await orderByRequest(db, order.customerId, order.requestKey);
  return stored?.id === order.id;
}

/** An order as the customer, the clerk and the API read it. */
async function viewsOf(db: Database, rows: readonly OrderRow[]): Promise<OrderView[]> {
  const [lines, places] = await Promise.all([
    linesOf(db, rows.map((r) => r.id)),
    placesOf(db, rows.flatMap((r) => [r.locationId, r.collectLocationId]).filter((id): id is string => id !== null)),
  ]);
  return rows.map((row) => viewOf(row, lines.get(row.id) ?? [], places));
}

function viewOf(row: OrderRow, lines: readonly OrderLineRow[], places: ReadonlyMap<string, PlaceFacts>): OrderView {
  const place = (id: string) => places.get(id);
  const shown = lines.map((l) => ({ sku: l.sku, name: l.name, unitPriceCents: l.unitPriceCents, quantity: l.quantity }));
  return {
    id: row.id,
    channel: row.channel,
    createdAt: new Date(row.createdAt),
    counter: row.channel === 'counter' && row.locationId ? { locationId: row.locationId, name: place(row.locationId)?.name ?? row.locationId } : null,
    delivery: row.delivery === 'home' && row.deliveryAddress
      ? { kind: 'home', address: row.deliveryAddress }
      : {
        kind: 'collect', locationId: row.collectLocationId ?? '', name: place(row.collectLocationId ?? '')?.name ?? row.collectLocationId ?? '',
        commune: place(row.collectLocationId ?? '')?.commune ?? null,
      },
    payment: row.payment,
    paymentLabel: paymentLabel(row.payment, row.delivery),
    lines: shown,
    itemCount: itemCount(shown),
    totalCents: row.totalCents,
    reorderOf: row.reorderOf,
  };
}

async function viewOfStored(db: Database, row: OrderRow): Promise<OrderView> {
  return (await viewsOf(db, [row]))[0]!;
}

/** Reads the products and prices the lines; refuses with every line that cannot be served. */
async function priced(db: Database, lines: RequestedLine[]) {
  return priceLines(lines, await productFacts(db, lines.map((l) => l.sku)));
}

/**
 * After a batch that wrote nothing: the same key's order (a concurrent
 * double submit), else why not now (the stock or the session moved).
 */
async function afterLostWrite(db: Database, customerId: string, requestKey: string, lines: RequestedLine[], sessionStillOpen: () => Promise<boolean>): Promise<Placement> {
  const same = await orderByRequest(db, customerId, requestKey);
  if (same) return { ok: true, order: await viewOfStored(db, same), replayed: true };
  if (!(await sessionStillOpen())) return { ok: false, problem: 'no_session' };
  const again = await priced(db, lines);
  if (!again.ok) return unavailable(again.unavailable);
  return { ok: false, problem: 'conflict' };
}

export interface CounterOrderInput {
  staff: Staff;
  /** The id of the clerk's open counter session (`ctr_…`). */
  counterSession: string;
  lines: readonly { sku: unknown; quantity: unknown }[];
  delivery: CounterDelivery;
  requestKey: string;
  now: Date;
}

const openSessionRow = (db: Database, sessionId: string) =>
  db.select().from(counterSessions).where(eq(counterSessions.id, sessionId)).get();

/**
 * A clerk orders from the online catalogue for the customer recognised in
 * their open counter session, at their own office: delivered to an address
 * of the customer's account (copied into the order) or to be collected at
 * this office. Paid at the counter's till. Written with the history entry
 * "Commande passée au guichet de …" and the staff audit `order.counter`
 * (the clerk, the office, the order id).
 */
export async function placeCounterOrder(db: Database, input: CounterOrderInput): Promise<Placement> {
  const { staff, now } = input;
  const refused = counterOrderRefusal(staff);
  if (refused) return { ok: false, problem: 'forbidden', why: refused };
  const session = await openSessionRow(db, input.counterSession.slice(0, 100));
  if (session && (session.staffId !== staff.id || session.locationId !== staff.scopeValue)) return { ok: false, problem: 'forbidden', why: 'not_yours' };

  const checked = checkLines(input.lines);
  const problems = [...checkKey(input.requestKey), ...(checked.ok ? [] : checked.problems)];
  if (problems.length || !checked.ok) return invalid(problems);
  const isOpen = (s: typeof session) => Boolean(s && s.closedAt === null && s.expiresAt > now.toISOString());
  if (!session) return { ok: false, problem: 'no_session' };

  const requestKey = counterKey(staff, input.requestKey);
  // The same form sent twice (a double tap, a retry after the session ended) is the same order.
  const replay = await orderByRequest(db, session.customerId, requestKey);
  if (replay) return replayOf(db, replay, (order) => sameRequest(order, checked.lines, { kind: input.delivery.kind }, null));
  if (!isOpen(session)) return { ok: false, problem: 'no_session' };

  const [customer, places] = await Promise.all([
    db.select().from(customers).where(eq(customers.id, session.customerId)).get(),
    placesOf(db, [session.locationId]),
  ]);
  if (!customer) return { ok: false, problem: 'no_session' };
  const office = places.get(session.locationId);
  const address = input.delivery.kind === 'home' ? addressAt(customer, input.delivery.addressIndex) : null;
  if (input.delivery.kind === 'home' && !address) return invalid([NO_ADDRESS]);

  const prices = await priced(db, checked.lines);
  if (!prices.ok) return unavailable(prices.unavailable);
  const officeName = office?.name ?? session.locationId;
  const id = newOrderId();
  const wrote = await writeOrder(db, {
    id, customerId: customer.id, channel: 'counter', locationId: session.locationId, clerk: staff, counterSessionId: session.id,
    delivery: input.delivery.kind, address: address ?? null, collectLocationId: input.delivery.kind === 'collect' ? session.locationId : null,
    payment: 'paid_at_counter', lines: prices.lines, totalCents: prices.totalCents, reorderOf: null, requestKey,
    where: { channel: 'counter', locationId: session.locationId, locationName: officeName }, now,
  });
  if (wrote) return { ok: true, order: await viewOfStored(db, (await orderById(db, id))!), replayed: false };
  return afterLostWrite(db, customer.id, requestKey, checked.lines, async () => isOpen(await openSessionRow(db, session.id)));
}

export interface WebOrderInput {
  customer: CustomerRow;
  lines: readonly { sku: unknown; quantity: unknown }[];
  delivery: WebDelivery;
  requestKey: string;
  /** The order this one repeats (a reorder). */
  reorderOf?: string;
  now: Date;
}

/** An office a web order can be collected from: an active location with a counter (post office or agency). */
async function collectOffice(db: Database, locationId: string): Promise<PlaceFacts | undefined> {
  const id = locationId.trim().toUpperCase().slice(0, 64);
  const place = (await placesOf(db, [id])).get(id);
  return place && place.status === 'active' && COUNTER_LOCATION_TYPES.has(place.type) ? place : undefined;
}

const NO_OFFICE: LineProblem = { name: 'delivery.location_id', reason: 'bureau inconnu, fermé ou sans guichet : choisissez un bureau de poste ou une agence postale' };

/**
 * The signed-in customer orders on the web: to an address of their account
 * (copied into the order) or to collect at an office with a counter. The
 * payment is due: at the counter when collected; for home delivery, the
 * online payment step is not built yet (decision).
 */
export async function placeWebOrder(db: Database, input: WebOrderInput): Promise<Placement> {
  const { customer, now } = input;
  const checked = checkLines(input.lines);
  const problems = [...checkKey(input.requestKey), ...(checked.ok ? [] : checked.problems)];
  if (problems.length || !checked.ok) return invalid(problems);
  const requestKey = webKey(input.requestKey);
  const replay = await orderByRequest(db, customer.id, requestKey);
  if (replay) {
    const delivery = input.delivery.kind === 'collect' ? { kind: 'collect' as const, locationId: input.delivery.locationId } : { kind: 'home' as const };
    // A reorder's lines are decided by the server (what is still sold): its key is checked against the order it reorders.
    return replayOf(db, replay, (order) => sameRequest(order, input.reorderOf ? null : checked.lines, input.reorderOf ? null : delivery, input.reorderOf ?? null));
  }

  let address: CustomerAddress | null = null;
  let office: PlaceFacts | undefined;
  if (input.delivery.kind === 'home') {
    address = addressAt(customer, input.delivery.addressIndex) ?? null;
    if (!address) return invalid([NO_ADDRESS]);
  } else {
    office = await collectOffice(db, input.delivery.locationId);
    if (!office) return invalid([NO_OFFICE]);
  }
  const prices = await priced(db, checked.lines);
  if (!prices.ok) return unavailable(prices.unavailable);
  const id = newOrderId();
  const wrote = await writeOrder(db, {
    id, customerId: customer.id, channel: 'web', locationId: null, clerk: null, counterSessionId: null,
    delivery: input.delivery.kind, address, collectLocationId: office?.id ?? null, payment: 'due',
    lines: prices.lines, totalCents: prices.totalCents, reorderOf: input.reorderOf ?? null, requestKey, where: { channel: 'web' }, now,
  });
  if (wrote) return { ok: true, order: await viewOfStored(db, (await orderById(db, id))!), replayed: false };
  return afterLostWrite(db, customer.id, requestKey, checked.lines, async () => true);
}

/** A page of a customer's orders, web and counter, newest first, each with its lines. */
export async function ordersOf(db: Database, customerId: string, page: { limit?: number; cursor?: string | null } = {}):
  Promise<{ orders: OrderView[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(Math.trunc(page.limit ?? 20), 1), 50);
  const before = readCursor(page.cursor);
  const rows = await ordersOfCustomer(db, customerId, limit + 1, before);
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return { orders: await viewsOf(db, shown), nextCursor: rows.length > limit && last ? encodeBase64urlText(`${last.createdAt}:${last.id}`) : null };
}

/** The opaque cursor of {@link ordersOf}; a malformed one is the first page. */
function readCursor(cursor: string | null | undefined): { createdAt: number; id: string } | undefined {
  if (!cursor || cursor.length > 100) return undefined;
  const bytes = decodeBase64url(cursor);
  const match = bytes && /^(\d{1,15}):(CMD-[A-Z0-9]{8})$/.exec(new TextDecoder().decode(bytes));
  return match ? { createdAt: Number(match[1]), id: match[2]! } : undefined;
}

/** One of the customer's orders (undefined for another customer's, or an unknown id). */
export async function orderOf(db: Database, customerId: string, orderId: string): Promise<OrderView | undefined> {
  const row = /^CMD-[A-Z0-9]{8}$/.test(orderId) ? await orderById(db, orderId) : undefined;
  return row && row.customerId === customerId ? viewOfStored(db, row) : undefined;
}

/** An order the clerk placed, for the receipt (undefined for another clerk's). */
export async function counterReceipt(db: Database, staff: Staff, orderId: string): Promise<OrderView | undefined> {
  const row = /^CMD-[A-Z0-9]{8}$/.test(orderId) ? await orderById(db, orderId) : undefined;
  return row && row.channel === 'counter' && row.clerkId === staff.id ? viewOfStored(db, row) : undefined;
}

export interface ReorderPreview {
  order: OrderView;
  /** What will be ordered, at today's names and prices. */
  kept: KeptLine[];
  /** What cannot be, named as it was sold, with why. */
  dropped: UnavailableItem[];
  totalCents: number;
  /** What the confirmation shows; the form sends it back (see {@link reorder}). */
  fingerprint: string;
  /** The delivery of the past order, when it is still possible (its address still on the account, its office still open). */
  delivery: WebDelivery | null;
}

const sameAddress = (a: CustomerAddress, b: CustomerAddress) =>
  a.label === b.label && a.line1 === b.line1 && (a.line2 ?? '') === (b.line2 ?? '') && a.postcode === b.postcode && a.city === b.city;

/** What ordering this past order again would order, and what it cannot (undefined: not this customer's order). */
export async function reorderPreview(db: Database, customer: CustomerRow, orderId: string): Promise<ReorderPreview | undefined> {
  const order = await orderOf(db, customer.id, orderId);
  if (!order) return undefined;
  const plan = reorderPlan(order.lines, await productFacts(db, order.lines.map((l) => l.sku)));
  let delivery: WebDelivery | null = null;
  if (order.delivery.kind === 'home') {
    const { address } = order.delivery;
    const index = customer.addresses.findIndex((a) => sameAddress(a, address));
    if (index >= 0) delivery = { kind: 'home', addressIndex: index };
  } else if (await collectOffice(db, order.delivery.locationId)) {
    delivery = { kind: 'collect', locationId: order.delivery.locationId };
  }
  return { order, kept: plan.kept, dropped: plan.dropped, totalCents: plan.totalCents, fingerprint: planFingerprint(plan.kept), delivery };
}

export interface ReorderInput {
  customer: CustomerRow;
  orderId: string;
  /** Where it goes; by default where the past order went, when that is still possible. */
  delivery?: WebDelivery;
  requestKey: string;
  /** The confirmation's fingerprint: when given, the order is placed only if it is still what was shown. */
  expected?: string;
  now: Date;
}

/**
 * Orders a past order (web or counter) again, as a web order: the lines
 * that can still be served, at today's price; the others are named in the
 * answer (`dropped`). Refused when none can be kept.
 */
export async function reorder(db: Database, input: ReorderInput): Promise<ReorderPlacement> {
  const keyProblems = checkKey(input.requestKey);
  if (keyProblems.length) return invalid(keyProblems);
  const replay = await orderByRequest(db, input.customer.id, webKey(input.requestKey));
  if (replay) {
    const again = await replayOf(db, replay, (order) => sameRequest(order, null, null, input.orderId));
    if (!again.ok) return again;
    const preview = await reorderPreview(db, input.customer, input.orderId);
    return { ...again, dropped: preview?.dropped ?? [] };
  }
  const preview = await reorderPreview(db, input.customer, input.orderId);
  if (!preview) return { ok: false, problem: 'not_found' };
  if (input.expected !== undefined && input.expected !== preview.fingerprint) return { ok: false, problem: 'changed', preview };
  if (preview.kept.length === 0) return unavailable(preview.dropped);
  const delivery = input.delivery ?? preview.delivery;
  if (!delivery) {
    return invalid([{ name: 'delivery', reason: 'l’adresse ou le bureau de la commande d’origine n’est plus disponible : choisissez où livrer' }]);
  }
  const placed = await placeWebOrder(db, {
    customer: input.customer, lines: preview.kept.map((l) => ({ sku: l.sku, quantity: l.quantity })), delivery,
    requestKey: input.requestKey, reorderOf: preview.order.id, now: input.now,
  });
  return placed.ok ? { ...placed, dropped: preview.dropped } : placed;
}

export interface DeliveryOptions {
  /** The account's addresses, by index, as a choice shows them (label and city). */
  addresses: Array<{ index: number; label: string; city: string }>;
  /** Offices to collect from: the customer's favourites with a counter (and `extra`, e.g. a past order's office). */
  offices: Array<{ id: string; name: string; commune: string }>;
}

/** Where a web order can go for this customer: the radio buttons of the order and reorder forms. */
export async function webDeliveryOptions(db: Database, customer: CustomerRow, extraOfficeIds: readonly string[] = []): Promise<DeliveryOptions> {
  const favourites = await favouritesOf(db, customer.id);
  const ids = [...new Set([...extraOfficeIds, ...favourites.map((f) => f.locationId)])];
  const places = await placesOf(db, ids);
  const offices = ids.map((id) => places.get(id))
    .filter((p): p is PlaceFacts => p !== undefined && p.status === 'active' && COUNTER_LOCATION_TYPES.has(p.type))
    .map((p) => ({ id: p.id, name: p.name, commune: p.commune }));
  return { addresses: customer.addresses.map((a, index) => ({ index, label: a.label, city: a.city })), offices };
}

/** The customer recognised in a clerk's open session: their addresses as the clerk may see them (label and city). */
export async function counterCustomerAddresses(db: Database, staff: Staff, sessionId: string, now: Date): Promise<Array<{ index: number; label: string; city: string }> | undefined> {
  const session = await openSessionRow(db, sessionId);
  if (!session || session.staffId !== staff.id || session.closedAt !== null || session.expiresAt <= now.toISOString()) return undefined;
  const customer = await db.select({ addresses: customers.addresses }).from(customers).where(eq(customers.id, session.customerId)).get();
  return customer?.addresses.map((a, index) => ({ index, label: a.label, city: a.city }));
}

/** "Livraison à domicile : Maison (Lyon)" or "Retrait au bureau Lyon Bellecour": label and city only, never the street. */
export function deliveryLabel(order: Pick<OrderView, 'delivery'>): string {
  return order.delivery.kind === 'home'
    ? `Livraison à domicile : ${order.delivery.address.label} (${order.delivery.address.city})`
    : `Retrait au bureau ${order.delivery.name}`;
}

/** "commandé au guichet de Lyon Bellecour" or "commandé sur le site". */
export function channelLabel(order: Pick<OrderView, 'counter'>): string {
  return order.counter ? `commandé au guichet de ${order.counter.name}` : 'commandé sur le site';
}

/** Products per page of the clerk's catalogue: a phone's screen or two. */
export const CATALOGUE_PAGE_SIZE = 15;

export interface CatalogueItem {
  sku: string;
  name: string;
  kindLabel: string;
  priceCents: number;
  price: string;
  /** Sold online with units left: the counter can order it. */
  orderable: boolean;
  /** "en ligne : en stock", "en ligne : plus que quelques-uns", "en ligne : épuisé", "vendu au guichet seulement". */
  online: string;
}

export interface CataloguePage {
  items: CatalogueItem[];
  kind: ProductKind | null;
  text: string;
  /** This page started after another one (a cursor was given). */
  later: boolean;
  /** The cursor of the next page (`apres`); null on the last one. */
  next: string | null;
}

const isKind = (value: string | null | undefined): value is ProductKind => (PRODUCT_KINDS as readonly string[]).includes(value ?? '');

/**
 * The whole catalogue as the counter browses it (counter shelves and
 * online-only items alike, withdrawn ones left out), by kind and search
 * words, one page after a cursor, through the catalogue's own listing
 * (worker/catalogue/catalogue.ts); each product with its online stock as
 * a band.
 */
export async function counterCatalogue(db: Database, query: { kind?: string | null; text?: string | null; after?: string | null }): Promise<CataloguePage> {
  const kind = isKind(query.kind) ? query.kind : null;
  const text = (query.text ?? '').trim().slice(0, MAX_SEARCH_LENGTH);
  const after = query.after ? decodeProductCursor(query.after) : undefined;
  const page = await listProducts(db, { ...(kind ? { kind } : {}), ...(text ? { q: text } : {}), ...(after ? { after } : {}), limit: CATALOGUE_PAGE_SIZE });
  return {
    items: page.products.map((p) => ({
      sku: p.sku, name: p.name, kindLabel: PRODUCT_KIND_LABELS[p.kind], priceCents: p.priceCents, price: formatPrice(p.priceCents),
      orderable: p.soldOnline && p.onlineStock > 0,
      online: p.soldOnline ? `en ligne : ${BAND_LABELS[bandOf(p.onlineStock)]}` : 'vendu au guichet seulement',
    })),
    kind, text, later: after !== undefined, next: page.next ? encodeProductCursor(page.next) : null,
  };
}

/** Names of the kinds, for the catalogue's filter. */
export const KIND_CHOICES = PRODUCT_KINDS.map((kind) => ({ kind, label: PRODUCT_KIND_LABELS[kind] }));

/** The names of some products (a selection carried between pages). */
export async function productNames(db: Database, skus: readonly string[]): Promise<Map<string, string>> {
  return new Map([...(await productFacts(db, skus)).values()].map((p) => [p.sku, p.name]));
}

/** What a confirmation shows before anything is written: the lines priced now, or what cannot be served. */
export async function previewOrder(db: Database, lines: readonly { sku: unknown; quantity: unknown }[]):
  Promise<{ ok: true; lines: PricedLine[]; totalCents: number } | { ok: false; problems: LineProblem[] } | { ok: false; unavailable: UnavailableItem[]; message: string }> {
  const checked = checkLines(lines);
  if (!checked.ok) return { ok: false, problems: checked.problems };
  const result = await priced(db, checked.lines);
  return result.ok ? result : { ok: false, unavailable: result.unavailable, message: unavailableSentence(result.unavailable) };
}
