/**
 * @module
 * The orders' queries, and nothing else: products as an order needs them,
 * orders with their lines, the names of the offices they mention. The
 * catalogue's listing is the catalogue's own (worker/catalogue). The one write (an order and everything that goes
 * with it, in one batch) is built in orders.ts.
 */
import { and, asc, desc, eq, lt, or } from 'drizzle-orm';
import { locations, orderLines, orders, products } from '../../db/schema';
import { type Database, inList } from '../database';
import type { ProductFacts } from './model';

export type OrderRow = typeof orders.$inferSelect;
export type OrderLineRow = typeof orderLines.$inferSelect;

/** The products named by these skus (withdrawn ones too: an order names them). */
export async function productFacts(db: Database, skus: readonly string[]): Promise<Map<string, ProductFacts>> {
  if (skus.length === 0) return new Map();
  const rows = await db.select({
    sku: products.sku, name: products.name, priceCents: products.priceCents, soldOnline: products.soldOnline,
    onlineStock: products.onlineStock, withdrawnAt: products.withdrawnAt,
  }).from(products).where(inList(products.sku, [...skus]));
  return new Map(rows.map((row) => [row.sku, row]));
}

/** The order a customer placed with this one-time key, if any. */
export async function orderByRequest(db: Database, customerId: string, requestKey: string): Promise<OrderRow | undefined> {
  return db.select().from(orders).where(and(eq(orders.customerId, customerId), eq(orders.requestKey, requestKey))).get();
}

export async function orderById(db: Database, orderId: string): Promise<OrderRow | undefined> {
  return db.select().from(orders).where(eq(orders.id, orderId)).get();
}

/** A customer's orders, newest first, from before a cursor (the last order of the previous page). */
export async function ordersOfCustomer(db: Database, customerId: string, limit: number, before?: { createdAt: number; id: string }): Promise<OrderRow[]> {
  const older = before ? or(lt(orders.createdAt, before.createdAt), and(eq(orders.createdAt, before.createdAt), lt(orders.id, before.id))) : undefined;
  return db.select().from(orders).where(and(eq(orders.customerId, customerId), older))
    .orderBy(desc(orders.createdAt), desc(orders.id)).limit(limit);
}

/** The lines of some orders, in order. */
export async function linesOf(db: Database, orderIds: readonly string[]): Promise<Map<string, OrderLineRow[]>> {
  const byOrder = new Map<string, OrderLineRow[]>();
  if (orderIds.length === 0) return byOrder;
  const rows = await db.select().from(orderLines).where(inList(orderLines.orderId, [...orderIds])).orderBy(asc(orderLines.orderId), asc(orderLines.line));
  for (const row of rows) byOrder.set(row.orderId, [...(byOrder.get(row.orderId) ?? []), row]);
  return byOrder;
}

export interface PlaceFacts {
  id: string;
  name: string;
  commune: string;
  type: (typeof locations.$inferSelect)['type'];
  status: 'active' | 'closed';
}

/** Name, commune, type and status of some locations. */
export async function placesOf(db: Database, ids: readonly string[]): Promise<Map<string, PlaceFacts>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db.select({ id: locations.id, name: locations.name, commune: locations.commune, type: locations.type, status: locations.status })
    .from(locations).where(inList(locations.id, unique));
  return new Map(rows.map((row) => [row.id, row]));
}
