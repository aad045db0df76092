/**
 * @module
 * The cron's rounds for holds (every 15 minutes, worker/index.ts):
 * marking expired the active holds past their deadline (bookkeeping only:
 * such a hold already counts for nothing when a new one is taken, see
 * holds.ts), and sending the reminders due the morning of a hold's last
 * day. Both are bounded per run; what is left waits for the next one.
 *
 * A reminder is claimed by a conditional update (`reminded_at`) before it
 * is queued, so two runs at once send it once; a claim whose queueing
 * failed is given back for the next run. Its message id
 * (`hold:<id>:reminder`) keeps a retried send to one delivery, and
 * `queueMessage` delays it past the customer's quiet hours.
 */
import { sql } from 'drizzle-orm';
import { historyInsertIf } from '../accounts/history';
import type { QueueProducer } from '../config';
import type { Database } from '../database';
import { queueMessage } from '../messages/use-cases';
import { reminderMessage } from './hold-messages';
import { historyDetail, holdsByIds, recipientsOf, statement } from './holds';
import { feedRowsRefresh } from './inventory-feed';

/** Holds marked expired per batch, and batches per run. */
export const EXPIRY_BATCH = 50;
export const EXPIRY_BATCHES_PER_RUN = 10;
/** Reminders sent per run. */
export const REMINDERS_PER_RUN = 200;

export interface HoldJobsContext {
  queue: QueueProducer | undefined;
  /** SITE_ORIGIN, for the links in reminders. */
  origin: string;
  /** STOCK_SAFETY_UNITS: the feed rows refreshed with the freed units. */
  safety: number;
}

/** One batch of expiries: each history entry written only by the batch that expires its hold (before the change, on its condition). */
async function expireBatch(db: Database, now: Date, safety: number): Promise<number> {
  const at = now.getTime();
  const { results } = await db.$client.prepare(
    `select id from stock_holds where status = 'active' and expires_at <= ? order by expires_at, id limit ?`,
  ).bind(at, EXPIRY_BATCH).all<{ id: string }>();
  if (results.length === 0) return 0;
  const holds = await holdsByIds(db, results.map((r) => r.id), now);
  const d1 = db.$client;
  const statements = holds.map((hold) => statement(d1, historyInsertIf(db, {
    customerId: hold.customerId, kind: 'hold.expired', at: now, where: { channel: 'web' },
    detail: historyDetail(hold, hold.office.name),
  }, sql`exists (select 1 from stock_holds where id = ${hold.id} and status = 'active' and expires_at <= ${at})`)));
  const pairs = [...new Map(holds.map((h) => [`${h.office.id}|${h.sku}`, { locationId: h.office.id, sku: h.sku }])).values()];
  const done = await d1.batch([
    ...statements,
    d1.prepare(`update stock_holds set status = 'expired', closed_at = ?1 where id in (select value from json_each(?2)) and status = 'active' and expires_at <= ?1 returning id`)
      .bind(at, JSON.stringify(holds.map((h) => h.id))),
    feedRowsRefresh(d1, pairs, at, safety),
  ]);
  return done[statements.length]!.results.length;
}

/** Marks expired the active holds past their deadline, oldest first, at most EXPIRY_BATCH × EXPIRY_BATCHES_PER_RUN. */
export async function expireHolds(db: Database, now: Date, safety: number): Promise<number> {
  let expired = 0;
  for (let batch = 0; batch < EXPIRY_BATCHES_PER_RUN; batch++) {
    const count = await expireBatch(db, now, safety);
    expired += count;
    if (count < EXPIRY_BATCH) break;
  }
  return expired;
}

/** Sends the reminders due at `now` (09:00 on the last day, still live, not yet reminded). */
export async function sendDueReminders(db: Database, now: Date, context: HoldJobsContext): Promise<number> {
  const at = now.getTime();
  const { results } = await db.$client.prepare(
    `select id from stock_holds where status = 'active' and remind_at <= ?1 and reminded_at is null and expires_at > ?1 order by remind_at, id limit ?2`,
  ).bind(at, REMINDERS_PER_RUN).all<{ id: string }>();
  if (results.length === 0) return 0;
  const holds = await holdsByIds(db, results.map((r) => r.id), now);
  const recipients = await recipientsOf(db, [...new Set(holds.map((h) => h.customerId))]);
  let sent = 0;
  for (const hold of holds) {
    const recipient = recipients.get(hold.customerId);
    if (!recipient) continue;
    // Claimed first: another run at once finds it taken.
    const claimed = await db.$client.prepare(
      `update stock_holds set reminded_at = ?2 where id = ?1 and reminded_at is null and status = 'active' and expires_at > ?2 returning id`,
    ).bind(hold.id, at).first<{ id: string }>();
    if (!claimed) continue;
    try {
      await queueMessage(context.queue, reminderMessage(hold, recipient, context.origin, now), now);
      sent++;
    } catch (error) {
      // Given back: the next run tries again (the message id keeps it to one delivery).
      await db.$client.prepare('update stock_holds set reminded_at = null where id = ? and reminded_at = ?').bind(hold.id, at).run();
      console.error('stock: hold reminder not queued, the next run retries', hold.id, error instanceof Error ? error.name : 'unknown');
    }
  }
  return sent;
}

/** The cron's round for holds. */
export async function runHoldJobs(db: Database, now: Date, context: HoldJobsContext): Promise<{ expired: number; reminded: number }> {
  const expired = await expireHolds(db, now, context.safety);
  const reminded = await sendDueReminders(db, now, context);
  return { expired, reminded };
}
