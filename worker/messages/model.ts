/**
 * @module
 * Outgoing messages as data, and the rules of their delivery: when a
 * message that can wait may be delivered (never during the person's quiet
 * hours, in their own time zone), and how long to wait before a retry.
 * Pure: no I/O, runs in Node and workerd alike.
 */
import * as v from 'valibot';
import { addDays, instantAt, localParts, MINUTE_MS } from '../hours/zoned-time';

export const CHANNELS = ['email', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

const TIME = v.pipe(v.string(), v.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'heure attendue au format HH:MM'));
const ZONE = v.pipe(
  v.string(),
  v.check((zone) => {
    try {
      localParts(0, zone);
      return true;
    } catch {
      return false;
    }
  }, 'fuseau horaire IANA inconnu'),
);

/** The person's quiet hours, in their own time zone: from `start` to `end`, across midnight when `end` is earlier. */
export const QuietHoursSchema = v.strictObject({ start: TIME, end: TIME, timeZone: ZONE });
export type QuietHours = v.InferOutput<typeof QuietHoursSchema>;

/** Unless the person chose otherwise: nothing that can wait between 21:00 and 08:00. */
export const DEFAULT_QUIET_HOURS = { start: '21:00', end: '08:00' } as const;

/**
 * One message to one person. `id` is its idempotency key: the same id is
 * delivered at most once, however often it is queued or retried; a sender
 * derives it from what the message is about (`signin:<attempt id>`).
 */
export const OutgoingMessageSchema = v.strictObject({
  id: v.pipe(v.string(), v.regex(/^[A-Za-z0-9:_.-]{8,128}$/, 'clé d’idempotence attendue : 8 à 128 caractères [A-Za-z0-9:_.-]')),
  channel: v.picklist(CHANNELS, 'canal attendu : email ou sms'),
  to: v.pipe(v.string(), v.minLength(3, 'destinataire manquant'), v.maxLength(254, 'destinataire trop long')),
  subject: v.pipe(v.string(), v.maxLength(200, 'objet trop long (200 caractères au plus)')),
  text: v.pipe(v.string(), v.minLength(1, 'texte manquant'), v.maxLength(10_000, 'texte trop long (10 000 caractères au plus)')),
  /** Urgent messages (a sign-in code the person is waiting for) ignore quiet hours. */
  urgent: v.boolean(),
  quietHours: v.optional(QuietHoursSchema),
  /** One-click unsubscribe (RFC 8058): an https (or local http) address that a POST unsubscribes. */
  unsubscribeUrl: v.optional(v.pipe(v.string(), v.url('adresse de désabonnement attendue'), v.maxLength(500))),
});
export type OutgoingMessage = v.InferOutput<typeof OutgoingMessageSchema>;

const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** Whether the local minute of day `minute` falls in the window from `start` (included) to `end` (excluded). */
function inWindow(minute: number, start: number, end: number): boolean {
  if (start === end) return false;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/**
 * When a message that can wait may be delivered: `now`, or the end of the
 * quiet period `now` falls in, in the person's time zone (on a day when the
 * clocks change, the wall-clock end as the zone has it).
 */
export function deliverableAt(now: Date, quiet: QuietHours): Date {
  const local = localParts(now, quiet.timeZone);
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (!inWindow(local.minutes, start, end)) return now;
  // Before the end today (the small hours), or tomorrow (the evening before).
  const endDay = local.minutes < end ? local.date : addDays(local.date, 1);
  const at = instantAt(endDay, quiet.end, quiet.timeZone);
  return at.getTime() > now.getTime() ? at : new Date(now.getTime() + MINUTE_MS);
}

/** The mail headers of one-click unsubscribe (RFC 2369 and RFC 8058), when the message offers it. */
export function unsubscribeHeaders(message: Pick<OutgoingMessage, 'unsubscribeUrl'>): Record<string, string> {
  return message.unsubscribeUrl
    ? { 'List-Unsubscribe': `<${message.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
    : {};
}

/** Cloudflare Queues delays a message 12 hours at most. */
export const MAX_DELAY_S = 12 * 3600;

/** Seconds to wait before queueing `message` sent at `now`. */
export function delayFor(message: OutgoingMessage, now: Date): number {
  if (message.urgent || !message.quietHours) return 0;
  const seconds = Math.ceil((deliverableAt(now, message.quietHours).getTime() - now.getTime()) / 1000);
  return Math.min(Math.max(seconds, 0), MAX_DELAY_S);
}

/** Seconds before retry number `attempt` (1, 2, …): 30 s, 1 min, 2 min… at most an hour. */
export function retryDelay(attempt: number): number {
  return Math.min(30 * 2 ** Math.max(0, attempt - 1), 3600);
}
