/**
 * @module
 * Telling people about their parcels, through the `messages` capability.
 * A notice is written first (at most once: its key), held until the end of
 * the person's quiet hours, then every notice due for that person is merged
 * into one message, claimed by the message's id and queued. A claim whose
 * queueing failed is released, so the next run (the cron, every 15 minutes)
 * sends it; the message id, derived from the notices it carries, keeps a
 * retried message to one delivery (worker/messages/deliveries.ts).
 *
 * People are the customers who follow a parcel in their account (their own
 * channels and quiet hours) and the confirmed email alerts (no account:
 * default quiet hours in mainland France's time).
 */
import type { QueueProducer } from '../config';
import type { Database } from '../database';
import { randomSecret, sha256 } from '../http/crypto';
import { DEFAULT_QUIET_HOURS, type OutgoingMessage, type QuietHours } from '../messages/model';
import { queueMessage } from '../messages/use-cases';
import { unsubscribePath, unsubscribeToken } from './alerts';
import { deliverAfter, mergedMessage, type NoticeDraft, noticeKey } from './notices';

export interface Recipient {
  /** `customer:<id>` or `subscription:<id>`. */
  key: string;
  quiet: QuietHours;
}

/** Who follows each of these parcels. */
export async function recipientsOf(db: Database, trackingNumbers: string[]): Promise<Map<string, Recipient[]>> {
  const byParcel = new Map<string, Recipient[]>();
  if (trackingNumbers.length === 0) return byParcel;
  const list = JSON.stringify(trackingNumbers);
  const [customers, alerts] = await db.$client.batch<{ tracking_number: string; id: string; quiet_start?: string; quiet_end?: string; time_zone?: string }>([
    db.$client.prepare(
      `select cp.tracking_number, c.id, c.quiet_start, c.quiet_end, c.time_zone from customer_parcels cp join customers c on c.id = cp.customer_id
       where cp.tracking_number in (select value from json_each(?))`,
    ).bind(list),
    db.$client.prepare(`select tracking_number, id from parcel_subscriptions where confirmed_at is not null and tracking_number in (select value from json_each(?))`).bind(list),
  ]);
  const add = (n: string, r: Recipient) => byParcel.set(n, [...(byParcel.get(n) ?? []), r]);
  for (const row of customers!.results) add(row.tracking_number, { key: `customer:${row.id}`, quiet: { start: row.quiet_start!, end: row.quiet_end!, timeZone: row.time_zone! } });
  for (const row of alerts!.results) add(row.tracking_number, { key: `subscription:${row.id}`, quiet: { ...DEFAULT_QUIET_HOURS, timeZone: 'Europe/Paris' } });
  return byParcel;
}

/** Writes notices for recipients; one already written (same key) is left as it is. Returns how many were new. */
export async function recordNotices(db: Database, notices: { recipient: Recipient; notice: NoticeDraft }[], now: Date): Promise<number> {
  if (notices.length === 0) return 0;
  const rows = notices.map(({ recipient, notice }) => [
    noticeKey(recipient.key, notice), recipient.key, notice.trackingNumber, notice.kind, notice.line, now.getTime(), deliverAfter(notice.timing, now, recipient.quiet), notice.timing,
  ]);
  const result = await db.$client.prepare(
    `insert into parcel_notices (key, recipient, tracking_number, kind, line, created_at, deliver_after, timing)
     select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7 from json_each(?) where true
     on conflict (key) do nothing`,
  ).bind(JSON.stringify(rows)).run();
  return result.meta.changes ?? 0;
}

interface DueNotice { key: string; recipient: string; tracking_number: string; kind: NoticeDraft['kind']; line: string; timing: NoticeDraft['timing'] }

/** Where a recipient's messages go, read when the message is written (a deleted account or alert gets nothing). */
interface Contact { channel: 'email' | 'sms'; to: string; footer: string; unsubscribeUrl?: string; customerId?: string }

/**
 * Where a recipient's messages go, read when the message is written (a
 * deleted account, an ended alert or an unfollowed parcel gets nothing),
 * with the quiet hours in force now and the parcels still followed.
 */
async function recipientNow(db: Database, recipient: string, origin: string): Promise<{ contacts: Contact[]; quiet: QuietHours; follows: (trackingNumber: string) => boolean }> {
  const nobody = { contacts: [], quiet: { ...DEFAULT_QUIET_HOURS, timeZone: 'Europe/Paris' }, follows: () => false };
  const [kind, id] = recipient.split(':') as ['customer' | 'subscription', string];
  if (kind === 'customer') {
    const [rows, followed] = await db.$client.batch<Record<string, string | null>>([
      db.$client.prepare('select id, email, phone, channels, quiet_start, quiet_end, time_zone from customers where id = ?').bind(id),
      db.$client.prepare('select tracking_number from customer_parcels where customer_id = ?').bind(id),
    ]);
    const row = rows!.results[0] as { id: string; email: string; phone: string | null; channels: string; quiet_start: string; quiet_end: string; time_zone: string } | undefined;
    if (!row) return nobody;
    const numbers = new Set(followed!.results.map((r) => r.tracking_number));
    const channels = JSON.parse(row.channels) as { email: boolean; sms: boolean };
    const footer = `Vos préférences de messages (canaux, heures calmes) : ${origin}/compte`;
    return {
      contacts: [
        ...(channels.email ? [{ channel: 'email' as const, to: row.email, footer, customerId: row.id }] : []),
        ...(channels.sms && row.phone ? [{ channel: 'sms' as const, to: row.phone, footer, customerId: row.id }] : []),
      ],
      quiet: { start: row.quiet_start, end: row.quiet_end, timeZone: row.time_zone },
      follows: (n) => numbers.has(n),
    };
  }
  const alert = await db.$client.prepare('select email, tracking_number from parcel_subscriptions where id = ? and confirmed_at is not null').bind(id).first<{ email: string; tracking_number: string }>();
  if (!alert) return nobody;
  const unsubscribeUrl = `${origin}${unsubscribePath(await unsubscribeToken(db, id))}`;
  return {
    contacts: [{ channel: 'email', to: alert.email, unsubscribeUrl, footer: `Ne plus recevoir ces alertes (un clic) : ${unsubscribeUrl}` }],
    quiet: nobody.quiet,
    follows: (n) => n === alert.tracking_number,
  };
}

/** A claim older than this was left by a flush that died: the cron gives it back. */
const CLAIM_TTL_MS = 10 * 60_000;

/**
 * Sends the notices due at `now`, merged per person. Returns how many
 * messages were queued. At most `limit` notices per run: the rest wait for
 * the next one.
 *
 * Each attempt claims notices under its own random token, and releases,
 * sends or marks sent only what that token holds: two flushes at once
 * never send one notice twice (the message id derives from the notices it
 * carries, so a retried queue send is still one delivery). Quiet hours are
 * checked again at sending time: they may have changed since the notice
 * was written, or a released claim may come back at night.
 */
export async function flushDueNotices(db: Database, queue: QueueProducer | undefined, origin: string, now: Date, options: { recipients?: string[]; limit?: number } = {}): Promise<number> {
  const at = now.getTime();
  await db.$client.prepare('update parcel_notices set claim = null, claimed_at = null where sent_at is null and claim is not null and claimed_at < ?').bind(at - CLAIM_TTL_MS).run();
  const filter = options.recipients ? 'and recipient in (select value from json_each(?2))' : '';
  const { results } = await db.$client.prepare(
    `select key, recipient, tracking_number, kind, line, timing from parcel_notices
     where sent_at is null and claim is null and deliver_after <= ?1 ${filter} order by recipient, created_at, key limit ?3`,
  ).bind(at, JSON.stringify(options.recipients ?? []), options.limit ?? 500).all<DueNotice>();
  let queued = 0;
  for (const [recipient, due] of Map.groupBy(results, (n) => n.recipient)) {
    const token = randomSecret(16);
    const claimed = new Set((await db.$client.prepare(
      `update parcel_notices set claim = ?1, claimed_at = ?2 where claim is null and sent_at is null and key in (select value from json_each(?3)) returning key`,
    ).bind(token, at, JSON.stringify(due.map((n) => n.key))).all<{ key: string }>()).results.map((r) => r.key));
    const mine = due.filter((n) => claimed.has(n.key));
    if (mine.length === 0) continue;
    const release = () => db.$client.prepare('update parcel_notices set claim = null, claimed_at = null where claim = ? and sent_at is null').bind(token).run();
    try {
      const person = await recipientNow(db, recipient, origin);
      // Still quiet for this person now (their hours changed, or a claim came back at night): wait again.
      const later = mine.filter((n) => deliverAfter(n.timing, now, person.quiet) > at);
      const send = mine.filter((n) => !later.includes(n) && person.follows(n.tracking_number));
      const statements = [
        ...later.map((n) => db.$client.prepare('update parcel_notices set claim = null, claimed_at = null, deliver_after = ? where key = ? and claim = ?').bind(deliverAfter(n.timing, now, person.quiet), n.key, token)),
        // Sent, or dropped (nobody to tell any more, the parcel unfollowed): either way, done.
        db.$client.prepare('update parcel_notices set sent_at = ? where claim = ? and sent_at is null and deliver_after <= ?').bind(at, token, at),
      ];
      if (send.length && person.contacts.length) {
        const messageId = `parcels:${(await sha256(send.map((n) => n.key).sort().join('\n'))).slice(0, 40)}`;
        for (const contact of person.contacts) {
          const { subject, text } = mergedMessage(send.map((n) => ({ trackingNumber: n.tracking_number, kind: n.kind, line: n.line })), (n) => `${origin}/suivi/${n}`, contact.footer);
          await queueMessage(queue, {
            id: contact.channel === 'email' ? messageId : `${messageId}:sms`,
            channel: contact.channel, to: contact.to, subject,
            // An SMS carries the lines only: short, and the links are on the site.
            text: contact.channel === 'sms' ? send.map((n) => n.line).join(' ').slice(0, 600) : text,
            // Quiet hours were checked just above: nothing more to wait for.
            urgent: false,
            ...(contact.unsubscribeUrl ? { unsubscribeUrl: contact.unsubscribeUrl } : {}),
          }, now);
        }
        const customerId = person.contacts.find((c) => c.customerId)?.customerId;
        if (customerId) {
          statements.push(...send.map((n) => db.$client.prepare(
            `insert into customer_history (customer_id, at, channel, kind, detail) select ?, ?, 'web', 'parcel.message', ? where exists (select 1 from customers where id = ?)`,
          ).bind(customerId, now.toISOString(), n.line.slice(0, 200), customerId)));
        }
        queued++;
      }
      await db.$client.batch(statements);
    } catch (error) {
      await release();
      console.error('parcels: notices not sent, the next run retries', error instanceof Error ? error.name : 'unknown');
    }
  }
  return queued;
}
