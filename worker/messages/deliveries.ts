/**
 * @module
 * The delivery record of each message, by its idempotency key: the queue
 * delivers at least once; a message is handed to its channel only by the
 * consumer that claims it, and never again once it is marked sent.
 */
import type { Channel } from './model';

/** How long a consumer holds a message it is sending before another may try. */
export const CLAIM_MS = 60_000;

export type Claim = 'claimed' | 'already_sent' | 'held_elsewhere';

/**
 * Claims message `id` for sending: one conditional upsert, so that two
 * consumers handed the same message (a redelivery while the first is still
 * sending) never both send it.
 */
export async function claimDelivery(d1: D1Database, id: string, channel: Channel, now: Date): Promise<Claim> {
  const at = now.toISOString();
  const until = new Date(now.getTime() + CLAIM_MS).toISOString();
  const claimed = await d1
    .prepare(
      `insert into message_deliveries (id, channel, status, attempts, claimed_until, created_at) values (?, ?, 'sending', 1, ?, ?)
       on conflict (id) do update set status = 'sending', attempts = attempts + 1, claimed_until = excluded.claimed_until
       where message_deliveries.status != 'sent' and (message_deliveries.claimed_until is null or message_deliveries.claimed_until < ?)
       returning id`,
    )
    .bind(id, channel, until, at, at)
    .first<{ id: string }>();
  if (claimed) return 'claimed';
  const row = await d1.prepare('select status from message_deliveries where id = ?').bind(id).first<{ status: string }>();
  return row?.status === 'sent' ? 'already_sent' : 'held_elsewhere';
}

export async function markSent(d1: D1Database, id: string, now: Date): Promise<void> {
  await d1.prepare(`update message_deliveries set status = 'sent', sent_at = ?, claimed_until = null, last_error = null where id = ?`)
    .bind(now.toISOString(), id).run();
}

/** A failed attempt: the claim is released for the retry; only the kind of failure is kept. */
export async function markFailed(d1: D1Database, id: string, kind: string): Promise<void> {
  await d1.prepare(`update message_deliveries set status = 'retrying', claimed_until = null, last_error = ? where id = ?`)
    .bind(kind.slice(0, 100), id).run();
}
