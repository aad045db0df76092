/**
 * @module
 * Where a message goes once claimed: the local outbox (`npm start`, tests),
 * or for real, email through Cloudflare's `send_email` binding and SMS
 * through the configured provider's HTTP endpoint.
 */
import type { MessagesDelivery } from '../config';
import { type OutgoingMessage, unsubscribeHeaders } from './model';

export interface Transport {
  deliver(message: OutgoingMessage, now: Date): Promise<void>;
}

/** A failure whose kind can be logged and stored: never the address or the text. */
export class DeliveryError extends Error {
  constructor(readonly kind: string) {
    super(`delivery failed: ${kind}`);
    this.name = 'DeliveryError';
  }
}

/** The local outbox: one row per message (a redelivered one is written once). */
export function outboxTransport(d1: D1Database): Transport {
  return {
    async deliver(message, now) {
      await d1
        .prepare('insert or ignore into outbox (id, channel, recipient, subject, text, headers, sent_at) values (?, ?, ?, ?, ?, ?, ?)')
        .bind(message.id, message.channel, normaliseRecipient(message.to), message.subject, message.text, headersOf(message), now.toISOString())
        .run();
    },
  };
}

/**
 * Real delivery: email through the `send_email` binding's structured call
 * (the platform writes the MIME message; the idempotency key rides along
 * as a header), SMS to the provider's endpoint.
 */
export function liveTransport(delivery: Extract<MessagesDelivery, { kind: 'live' }>, fetcher: typeof fetch = fetch): Transport {
  return {
    async deliver(message) {
      if (message.channel === 'email') {
        try {
          await delivery.email.send({
            from: { email: delivery.from, name: 'Guichet' },
            to: message.to,
            subject: message.subject,
            text: message.text,
            headers: { 'X-Guichet-Message': message.id, ...unsubscribeHeaders(message) },
          });
        } catch {
          throw new DeliveryError('email refused');
        }
        return;
      }
      const response = await fetcher(delivery.smsEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': message.id, ...(delivery.smsToken ? { authorization: `Bearer ${delivery.smsToken}` } : {}) },
        body: JSON.stringify({ to: message.to, text: message.text }),
      }).catch(() => {
        throw new DeliveryError('sms endpoint unreachable');
      });
      await response.body?.cancel();
      if (!response.ok) throw new DeliveryError(`sms endpoint ${response.status}`);
    },
  };
}

const headersOf = (message: OutgoingMessage) => {
  const headers = unsubscribeHeaders(message);
  return Object.keys(headers).length ? JSON.stringify(headers) : null;
};

/** Addresses as the outbox files them: an email in lower case, a phone number as given. */
export function normaliseRecipient(to: string): string {
  return to.includes('@') ? to.trim().toLowerCase() : to.trim();
}
