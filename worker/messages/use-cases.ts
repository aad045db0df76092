/**
 * @module
 * The messages capability's two operations: queue a message (any
 * capability that tells a person something calls this; nothing sends
 * directly), and deliver a batch the queue hands back (the Worker's
 * `queue` handler).
 *
 * Delivery is at least once (the queue's promise) and at most once to the
 * person (the idempotency key's delivery record, deliveries.ts): a message
 * redelivered after it was sent is acknowledged without sending. A failed
 * attempt is retried with growing delays; after the queue's `max_retries`
 * it lands in the dead-letter queue, which keeps it.
 */
import * as v from 'valibot';
import type { MessagesDelivery, QueueProducer } from '../config';
import { CLAIM_MS, claimDelivery, markFailed, markSent } from './deliveries';
import { delayFor, type OutgoingMessage, OutgoingMessageSchema, retryDelay } from './model';
import { DeliveryError, liveTransport, outboxTransport, type Transport } from './transports';

/** Queues `message`, delayed past the person's quiet hours unless it is urgent. Throws on a malformed message (a programming error). */
export async function queueMessage(queue: QueueProducer | undefined, message: OutgoingMessage, now = new Date()): Promise<{ id: string; delaySeconds: number }> {
  if (!queue) throw new Error('MESSAGES: no queue producer is bound (wrangler.toml [[queues.producers]] binding = "MESSAGES")');
  const valid = v.parse(OutgoingMessageSchema, message);
  const delaySeconds = delayFor(valid, now);
  await queue.send(valid, { contentType: 'json', ...(delaySeconds > 0 ? { delaySeconds } : {}) });
  return { id: valid.id, delaySeconds };
}

/** The transport a configuration asks for. */
export function transportFor(delivery: MessagesDelivery, d1: D1Database): Transport {
  return delivery.kind === 'live' ? liveTransport(delivery) : outboxTransport(d1);
}

/**
 * Delivers one batch from the queue, message by message: one failure never
 * holds back the others, and nothing throws (a throw would make the queue
 * deliver again the messages of the batch already acknowledged).
 */
export async function deliverBatch(batch: MessageBatch<unknown>, d1: D1Database, transport: Transport, now = () => new Date()): Promise<void> {
  for (const message of batch.messages) {
    try {
      await deliverOne(message, d1, transport, now);
    } catch (error) {
      // The database failed us (claim or record): try again later, as after a failed delivery.
      console.error('messages: delivery interrupted', message.id, error instanceof Error ? error.name : 'unknown');
      message.retry({ delaySeconds: retryDelay(message.attempts) });
    }
  }
}

async function deliverOne(message: Message<unknown>, d1: D1Database, transport: Transport, now: () => Date): Promise<void> {
  const parsed = v.safeParse(OutgoingMessageSchema, message.body);
  if (!parsed.success) {
    // It will never become valid: retried at once, it reaches the dead-letter queue, which keeps it.
    console.error('messages: unreadable message, to the dead-letter queue', message.id);
    message.retry({ delaySeconds: 0 });
    return;
  }
  const outgoing = parsed.output;
  const claim = await claimDelivery(d1, outgoing.id, outgoing.channel, now());
  if (claim === 'already_sent') {
    message.ack();
    return;
  }
  if (claim === 'held_elsewhere') {
    message.retry({ delaySeconds: CLAIM_MS / 1000 });
    return;
  }
  try {
    await transport.deliver(outgoing, now());
  } catch (error) {
    const kind = error instanceof DeliveryError ? error.kind : 'unexpected';
    await markFailed(d1, outgoing.id, kind);
    // The key, the channel and the kind of failure: nothing that names the person.
    console.error('messages: delivery failed', outgoing.id, outgoing.channel, kind);
    message.retry({ delaySeconds: retryDelay(message.attempts) });
    return;
  }
  await markSent(d1, outgoing.id, now());
  message.ack();
}
