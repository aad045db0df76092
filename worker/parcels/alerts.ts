/**
 * @module
 * Email alerts on one parcel, for anyone, without an account: double opt-in
 * (nothing is sent but the confirmation until the address's owner confirms
 * within a day), and one-click unsubscribe in every message (RFC 8058). The
 * links carry tokens, never the address; the confirmation token is random
 * and stored as a digest, the unsubscribe token is a MAC of the alert's id
 * under ACCOUNT_KEY, so every message can carry it without storing it.
 * Alerts end by themselves 30 days after the parcel's last event.
 */
import * as v from 'valibot';
import type { QueueProducer } from '../config';
import { accountMac } from '../accounts/key';
import { EmailSchema } from '../accounts/model';
import type { Database } from '../database';
import { bindings } from '../env';
import { randomSecret, sha256 } from '../http/crypto';
import { queueMessage } from '../messages/use-cases';
import { parseTrackingNumber } from './tracking-number';

/** An unconfirmed alert waits a day; a confirmation is not sent again within the hour. */
const CONFIRM_WITHIN_MS = 24 * 3_600_000;
const RESEND_AFTER_MS = 3_600_000;
const MAX_PENDING_PER_ADDRESS = 3;
/** How long alerts outlive the parcel's last event. */
export const ALERT_AFTER_LAST_EVENT_MS = 30 * 86_400_000;

export type AlertRequest =
  | { ok: true; trackingNumber: string }
  | { ok: false; problem: 'invalid'; field: 'tracking_number' | 'email'; reason: string }
  | { ok: false; problem: 'unknown_parcel' | 'rate_limited' };

/** The one-click unsubscribe token of an alert (no storage needed: a MAC of its id). */
export async function unsubscribeToken(db: Database, alertId: string): Promise<string> {
  return `${alertId}.${(await accountMac(db, 'parcel-alert-unsubscribe', alertId)).slice(0, 32)}`;
}

export const unsubscribePath = (token: string) => `/suivi/alertes/desabonnement?jeton=${encodeURIComponent(token)}`;

/**
 * Asks for alerts on a parcel: sends the confirmation (the same answer
 * whether or not this address already asked, so the answer reveals nothing).
 */
export async function requestAlert(
  db: Database,
  input: { trackingNumber: string; email: unknown; clientIp: string | null | undefined; now: Date; origin: string; queue: QueueProducer | undefined },
): Promise<AlertRequest> {
  const parsed = parseTrackingNumber(input.trackingNumber);
  if (!parsed.ok) return { ok: false, problem: 'invalid', field: 'tracking_number', reason: parsed.reason };
  const email = v.safeParse(EmailSchema, input.email);
  if (!email.success) return { ok: false, problem: 'invalid', field: 'email', reason: email.issues[0].message };
  const limiter = bindings().SIGN_IN_LIMITER;
  if (limiter && input.clientIp && !(await limiter.limit({ key: `parcel-alert:${input.clientIp}` })).success) return { ok: false, problem: 'rate_limited' };
  const number = parsed.number;
  const known = await db.$client.prepare('select 1 as known from parcels where tracking_number = ?').bind(number).first();
  if (!known) return { ok: false, problem: 'unknown_parcel' };

  const now = input.now.getTime();
  const id = `alr_${randomSecret(12)}`;
  const confirmToken = `alc_${randomSecret()}`;
  const unsubscribe = await unsubscribeToken(db, id);
  // A new request replaces an unconfirmed one past the resend delay (new token); a confirmed or recent one is kept.
  // An address gets 3 confirmations an hour at most, whatever the parcels: nobody floods someone else's mailbox.
  const written = await db.$client.prepare(
    `insert into parcel_subscriptions (id, tracking_number, email, confirm_hash, unsubscribe_hash, created_at)
     select ?1, ?2, ?3, ?4, ?5, ?6
     where (select count(*) from parcel_subscriptions where email = ?3 and confirmed_at is null and created_at > ?7) < ?8
     on conflict (tracking_number, email) do update set id = excluded.id, confirm_hash = excluded.confirm_hash,
       unsubscribe_hash = excluded.unsubscribe_hash, created_at = excluded.created_at
     where parcel_subscriptions.confirmed_at is null and parcel_subscriptions.created_at < ?7
     returning id`,
  ).bind(id, number, email.output, await sha256(confirmToken), await sha256(unsubscribe), new Date(now).toISOString(), new Date(now - RESEND_AFTER_MS).toISOString(), MAX_PENDING_PER_ADDRESS)
    .first<{ id: string }>();
  if (written) {
    await queueMessage(input.queue, {
      id: `parcel-alert-confirm:${id}`,
      channel: 'email',
      to: email.output,
      subject: `Confirmez les alertes sur le colis ${number}`,
      text: [
        'Bonjour,',
        '',
        `Quelqu’un (vous, sans doute) a demandé à recevoir à cette adresse les nouvelles du colis ${number}.`,
        `Pour les recevoir, confirmez dans les 24 heures : ${input.origin}/suivi/alertes/confirmation?jeton=${confirmToken}`,
        '',
        'Si vous n’avez rien demandé, ignorez ce message : vous ne recevrez rien d’autre.',
      ].join('\n'),
      // The person is waiting for it, on the page they just left.
      urgent: true,
    }, input.now);
  }
  return { ok: true, trackingNumber: number };
}

/** Confirms an alert; confirming twice is fine. Returns the parcel, or undefined for an unknown or expired token. */
export async function confirmAlert(db: Database, token: string, now: Date): Promise<string | undefined> {
  if (!/^alc_[\w-]{20,80}$/.test(token)) return undefined;
  const row = await db.$client.prepare(
    `update parcel_subscriptions set confirmed_at = coalesce(confirmed_at, ?1)
     where confirm_hash = ?2 and (confirmed_at is not null or created_at > ?3) returning tracking_number`,
  ).bind(now.toISOString(), await sha256(token), new Date(now.getTime() - CONFIRM_WITHIN_MS).toISOString()).first<{ tracking_number: string }>();
  return row?.tracking_number;
}

/** Ends an alert (one click); an unknown or used token changes nothing. Returns the parcel when an alert ended. */
export async function endAlert(db: Database, token: string): Promise<string | undefined> {
  if (!/^alr_[\w-]{10,40}\.[0-9a-f]{32}$/.test(token)) return undefined;
  const row = await db.$client.prepare('delete from parcel_subscriptions where unsubscribe_hash = ? returning tracking_number')
    .bind(await sha256(token)).first<{ tracking_number: string }>();
  return row?.tracking_number;
}

/** Forgets unconfirmed alerts after a day, and every alert 30 days after its parcel's last event. */
export async function sweepAlerts(db: Database, now: Date): Promise<number> {
  const [unconfirmed, ended, notices] = await db.$client.batch([
    db.$client.prepare('delete from parcel_subscriptions where confirmed_at is null and created_at < ?').bind(new Date(now.getTime() - CONFIRM_WITHIN_MS).toISOString()),
    db.$client.prepare(
      `delete from parcel_subscriptions where tracking_number in (select tracking_number from parcels where last_event_at < ?)`,
    ).bind(now.getTime() - ALERT_AFTER_LAST_EVENT_MS),
    // Sent notices are kept a month (a replay within it still finds its key), then forgotten.
    db.$client.prepare('delete from parcel_notices where sent_at < ?').bind(now.getTime() - ALERT_AFTER_LAST_EVENT_MS),
  ]);
  return (unconfirmed!.meta.changes ?? 0) + (ended!.meta.changes ?? 0) + (notices!.meta.changes ?? 0);
}
