/**
 * @module
 * Reading the local outbox: what was "sent" to an address, newest first,
 * as `npm run outbox -- --to ADDRESS` prints it and tests read it.
 */
import { normaliseRecipient } from './transports';

export interface OutboxEntry {
  to: string;
  channel: 'email' | 'sms';
  subject: string;
  text: string;
  sent_at: string;
  id: string;
  /** Mail headers a real delivery carries (List-Unsubscribe…), when any. */
  headers?: Record<string, string>;
}

export async function outboxFor(d1: D1Database, to: string, limit = 100): Promise<OutboxEntry[]> {
  const { results } = await d1
    .prepare(`select recipient as "to", channel, subject, text, sent_at, id, headers from outbox where recipient = ? order by sent_at desc, rowid desc limit ?`)
    .bind(normaliseRecipient(to), limit)
    .all<Omit<OutboxEntry, 'headers'> & { headers: string | null }>();
  return results.map(({ headers, ...entry }) => (headers ? { ...entry, headers: JSON.parse(headers) as Record<string, string> } : entry));
}
