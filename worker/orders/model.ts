/**
 * @module
 * The rules of an order, pure: which lines are well formed (a known sku
 * pattern, 1 to 20 units, at most 20 lines, each product once), which
 * products the online shop can serve and why not ("n’est plus vendu",
 * "est épuisé en ligne", "n’est pas vendu en ligne"), totals in integer
 * cents, which lines of a past order a reorder can keep, how the payment
 * reads, and the history's one-line detail. No I/O: the use cases
 * (orders.ts) read the products and pass them in.
 */
import type { OrderDelivery, OrderPayment } from '../../db/vocabulary';
import { formatPrice, SKU_PATTERN } from '../catalogue/products';

/** Units of one product in one order: more is a wholesale order, not a counter's or a customer's. */
export const MAX_QUANTITY = 20;
/** Lines in one order. */
export const MAX_LINES = 20;
/** An `Idempotency-Key` (or a form's one-time key): 8 to 100 visible ASCII characters. */
export const REQUEST_KEY_PATTERN = /^[\x21-\x7e]{8,100}$/;

export interface RequestedLine {
  sku: string;
  quantity: number;
}

/** A field at fault, named as the API names it (`lines[2].quantity`). */
export interface LineProblem {
  name: string;
  reason: string;
}

/**
 * Checks the lines as sent (any JSON or form values): each sku well
 * formed and named once, each quantity a whole number from 1 to 20, 1 to
 * 20 lines. Answers the lines, or every problem found.
 */
export function checkLines(input: readonly { sku: unknown; quantity: unknown }[]): { ok: true; lines: RequestedLine[] } | { ok: false; problems: LineProblem[] } {
  const problems: LineProblem[] = [];
  if (input.length === 0) problems.push({ name: 'lines', reason: 'au moins une ligne' });
  if (input.length > MAX_LINES) problems.push({ name: 'lines', reason: `${MAX_LINES} lignes au plus` });
  const seen = new Map<string, number>();
  const lines: RequestedLine[] = [];
  input.slice(0, MAX_LINES + 1).forEach((line, index) => {
    const sku = typeof line.sku === 'string' ? line.sku.trim().toUpperCase() : '';
    if (!SKU_PATTERN.test(sku)) problems.push({ name: `lines[${index}].sku`, reason: 'référence d’article mal formée (exemple : TP-LV-C12)' });
    else if (seen.has(sku)) problems.push({ name: `lines[${index}].sku`, reason: `article déjà commandé à la ligne ${seen.get(sku)! + 1} : une ligne par article` });
    else seen.set(sku, index);
    const quantity = line.quantity;
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
      problems.push({ name: `lines[${index}].quantity`, reason: `quantité : un nombre entier de 1 à ${MAX_QUANTITY}` });
    }
    lines.push({ sku, quantity: quantity as number });
  });
  return problems.length ? { ok: false, problems } : { ok: true, lines };
}

/** A quantity typed in a form: digits only (spaces ignored), else NaN (so {@link checkLines} names it). Empty is "none". */
export function formQuantity(text: string | undefined): number | undefined {
  const trimmed = (text ?? '').replace(/\s/g, '');
  if (trimmed === '') return undefined;
  return /^\d{1,4}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/** What the orders need to know of a product. */
export interface ProductFacts {
  sku: string;
  name: string;
  priceCents: number;
  soldOnline: boolean;
  onlineStock: number;
  withdrawnAt: number | null;
}

/** Why the online shop cannot serve a line. */
export type Unavailability = 'unknown' | 'withdrawn' | 'not_online' | 'sold_out' | 'short';

export interface UnavailableItem {
  sku: string;
  /** The product's name (as sold, for a past order's line); null for an unknown sku. */
  name: string | null;
  reason: Unavailability;
  /** Units the online shop still has (for `short`). */
  available: number;
}

/** Why `product` cannot be sent in `quantity` units, or undefined when it can. */
export function unavailabilityOf(product: ProductFacts | undefined, quantity: number): Unavailability | undefined {
  if (!product) return 'unknown';
  if (product.withdrawnAt !== null) return 'withdrawn';
  if (!product.soldOnline) return 'not_online';
  if (product.onlineStock <= 0) return 'sold_out';
  if (product.onlineStock < quantity) return 'short';
  return undefined;
}

/** "« Carnet de 12 timbres » n’est plus vendu", as a customer or a clerk reads it. */
export function describeUnavailable(item: Pick<UnavailableItem, 'sku' | 'name' | 'reason' | 'available'>): string {
  const what = item.name ? `« ${item.name} »` : `L’article ${item.sku}`;
  switch (item.reason) {
    case 'unknown':
      return `${what} n’existe pas au catalogue`;
    case 'withdrawn':
      return `${what} n’est plus vendu`;
    case 'not_online':
      return `${what} n’est pas vendu en ligne`;
    case 'sold_out':
      return `${what} est épuisé en ligne`;
    case 'short':
      return `${what} : plus que ${item.available} en ligne`;
  }
}

/** One sentence naming every item that cannot be served. */
export function unavailableSentence(items: readonly UnavailableItem[]): string {
  return `${items.map(describeUnavailable).join(' ; ')}.`;
}

export interface PricedLine extends RequestedLine {
  /** Name and unit price as sold: the order keeps them, whatever the catalogue says later. */
  name: string;
  unitPriceCents: number;
}

/**
 * Prices well-formed lines against the products as read: every line is
 * served, or the order is refused with every line that cannot be (an
 * order is never half-served).
 */
export function priceLines(lines: readonly RequestedLine[], products: ReadonlyMap<string, ProductFacts>):
  { ok: true; lines: PricedLine[]; totalCents: number } | { ok: false; unavailable: UnavailableItem[] } {
  const unavailable: UnavailableItem[] = [];
  const priced: PricedLine[] = [];
  for (const line of lines) {
    const product = products.get(line.sku);
    const reason = unavailabilityOf(product, line.quantity);
    if (reason) unavailable.push({ sku: line.sku, name: product?.name ?? null, reason, available: Math.max(0, product?.onlineStock ?? 0) });
    else priced.push({ ...line, name: product!.name, unitPriceCents: product!.priceCents });
  }
  return unavailable.length ? { ok: false, unavailable } : { ok: true, lines: priced, totalCents: totalCents(priced) };
}

/** The order's total in cents: exact integer arithmetic, never floating euros. */
export function totalCents(lines: readonly { unitPriceCents: number; quantity: number }[]): number {
  return lines.reduce((sum, line) => sum + line.unitPriceCents * line.quantity, 0);
}

/** Units in the order, all lines together. */
export function itemCount(lines: readonly { quantity: number }[]): number {
  return lines.reduce((sum, line) => sum + line.quantity, 0);
}

/** "1 article", "3 articles". */
export const articles = (count: number) => `${count} article${count > 1 ? 's' : ''}`;

/** The history entry's detail: reference, item count and total; never an address. */
export function orderHistoryDetail(orderId: string, count: number, total: number): string {
  return `${orderId} · ${articles(count)} · ${formatPrice(total)}`;
}

/** How the payment of an order stands, in French (decision: online card payment is not built). */
export function paymentLabel(payment: OrderPayment, delivery: OrderDelivery): string {
  if (payment === 'paid_at_counter') return 'Payée au guichet';
  return delivery === 'collect'
    ? 'À payer au guichet au moment du retrait'
    : 'À payer : le paiement en ligne n’est pas encore ouvert, la commande partira une fois payée';
}

/** A line of a past order, as it was sold. */
export interface PastLine {
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
}

export interface KeptLine extends PricedLine {
  /** The quantity of the past order when the online shop has fewer units left now (null when it has them all). */
  reducedFrom: number | null;
}

export interface ReorderPlan {
  kept: KeptLine[];
  /** The lines that cannot be ordered again, named as they were sold. */
  dropped: UnavailableItem[];
  totalCents: number;
}

/**
 * Which lines of a past order can be ordered again, at today's price and
 * name: a product still on sale, sold online and not sold out online;
 * the quantity is the past one, or what the shop has left when that is
 * less. The others are named with why not ("n’est plus vendu", "est
 * épuisé en ligne", "n’est pas vendu en ligne").
 */
export function reorderPlan(past: readonly PastLine[], products: ReadonlyMap<string, ProductFacts>): ReorderPlan {
  const kept: KeptLine[] = [];
  const dropped: UnavailableItem[] = [];
  for (const line of past) {
    const product = products.get(line.sku);
    const reason = unavailabilityOf(product, 1);
    if (reason || !product) {
      dropped.push({ sku: line.sku, name: line.name, reason: reason ?? 'unknown', available: 0 });
      continue;
    }
    const quantity = Math.min(line.quantity, product.onlineStock, MAX_QUANTITY);
    kept.push({
      sku: line.sku, name: product.name, unitPriceCents: product.priceCents, quantity,
      reducedFrom: quantity < line.quantity ? line.quantity : null,
    });
  }
  return { kept, dropped, totalCents: totalCents(kept) };
}

/**
 * What a reorder's confirmation showed (each kept line's sku, quantity and
 * price): the confirmed form carries it back, so an order is placed only
 * as the customer saw it.
 */
export function planFingerprint(kept: readonly Pick<KeptLine, 'sku' | 'quantity' | 'unitPriceCents'>[]): string {
  return kept.map((line) => `${line.sku}*${line.quantity}@${line.unitPriceCents}`).join(',');
}

/**
 * A selection carried between the pages of the clerk's catalogue:
 * `SKU*2,SKU*1`. Malformed parts are dropped (it is our own hidden field;
 * the order checks the lines again anyway).
 */
export function readSelection(text: string | null | undefined): Map<string, number> {
  const selection = new Map<string, number>();
  for (const part of (text ?? '').slice(0, 2_000).split(',')) {
    const match = /^([A-Z0-9-]{3,32})\*(\d{1,2})$/.exec(part.trim());
    if (match && SKU_PATTERN.test(match[1]!) && Number(match[2]) >= 1 && Number(match[2]) <= MAX_QUANTITY && selection.size < MAX_LINES) {
      selection.set(match[1]!, Number(match[2]));
    }
  }
  return selection;
}

export function writeSelection(selection: ReadonlyMap<string, number>): string {
  return [...selection].map(([sku, quantity]) => `${sku}*${quantity}`).join(',');
}
