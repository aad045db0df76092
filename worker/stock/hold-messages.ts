/**
 * @module
 * What a reservation tells its customer, through the `messages` capability:
 * the confirmation when the hold is taken, and the reminder the morning of
 * its last day (sent by the cron, worker/stock/jobs.ts). Both can wait out
 * the customer's quiet hours (they are not urgent), and each has its own
 * idempotency key (`hold:<id>:confirmed`, `hold:<id>:reminder`), so a
 * message queued twice (a replayed request, a retried run) reaches the
 * customer once. They name the product, the office and its address, the
 * deadline in the office's own time, and the reference the counter asks for.
 */
import type { QueueProducer } from '../config';
import type { OutgoingMessage } from '../messages/model';
import { queueMessage } from '../messages/use-cases';
import { deadlineWords } from './hold-deadline';

/** Where the customer's reservations are listed (the links in messages point there). */
export const MY_RESERVATIONS_PATH = '/compte/reservations';

/** Who a hold's message goes to: the account's address and quiet hours (in the customer's own time zone). */
export interface HoldRecipient {
  email: string;
  quietStart: string;
  quietEnd: string;
  timeZone: string;
}

/** What a message says about a hold. */
export interface HoldFacts {
  id: string;
  productName: string;
  quantity: number;
  expiresAt: Date;
  office: { name: string; address: string; timeZone: string };
}

export interface HoldMessagesContext {
  queue: QueueProducer | undefined;
  /** SITE_ORIGIN: links in messages are absolute. */
  origin: string;
}

const quantityWords = (facts: Pick<HoldFacts, 'quantity' | 'productName'>) => `${facts.quantity} × ${facts.productName}`;

const footer = (origin: string) => `Vos préférences de messages (heures calmes) : ${origin}/compte`;

/** The confirmation of a hold just taken at `now`. */
export function confirmationMessage(facts: HoldFacts, to: HoldRecipient, origin: string, now: Date): OutgoingMessage {
  const deadline = deadlineWords(facts.expiresAt, facts.office.timeZone, now);
  return {
    id: `hold:${facts.id}:confirmed`,
    channel: 'email',
    to: to.email,
    subject: `Réservation ${facts.id} : à retirer avant le ${deadline}`,
    text: [
      'Bonjour,',
      '',
      'Votre réservation est confirmée.',
      '',
      `Article : ${quantityWords(facts)}`,
      `Bureau : ${facts.office.name}, ${facts.office.address}`,
      `À retirer avant le ${deadline} (heure du bureau).`,
      `Référence à donner au guichet : ${facts.id}`,
      '',
      'Passé ce délai, les articles sont remis en vente. Vous pouvez annuler la réservation à tout moment :',
      `${origin}${MY_RESERVATIONS_PATH}`,
      '',
      footer(origin),
    ].join('\n'),
    urgent: false,
    quietHours: { start: to.quietStart, end: to.quietEnd, timeZone: to.timeZone },
  };
}

/** The reminder on the morning of the hold's last day. */
export function reminderMessage(facts: HoldFacts, to: HoldRecipient, origin: string, now: Date): OutgoingMessage {
  const deadline = deadlineWords(facts.expiresAt, facts.office.timeZone, now);
  return {
    id: `hold:${facts.id}:reminder`,
    channel: 'email',
    to: to.email,
    subject: `Dernier jour pour retirer votre réservation ${facts.id}`,
    text: [
      'Bonjour,',
      '',
      `Votre réservation ${facts.id} vous attend au bureau ${facts.office.name}, ${facts.office.address}, jusqu’au ${deadline} (heure du bureau).`,
      `Article : ${quantityWords(facts)}`,
      '',
      `Empêché ? Annulez-la pour que d’autres puissent en profiter : ${origin}${MY_RESERVATIONS_PATH}`,
      '',
      footer(origin),
    ].join('\n'),
    urgent: false,
    quietHours: { start: to.quietStart, end: to.quietEnd, timeZone: to.timeZone },
  };
}

/** Queues the confirmation; a failure is logged and leaves the hold taken (a replay of the request queues it again, under the same key). */
export async function sendConfirmation(context: HoldMessagesContext, facts: HoldFacts, to: HoldRecipient, now: Date): Promise<boolean> {
  try {
    await queueMessage(context.queue, confirmationMessage(facts, to, context.origin, now), now);
    return true;
  } catch (error) {
    console.error('stock: hold confirmation not queued', facts.id, error instanceof Error ? error.name : 'unknown');
    return false;
  }
}
