/**
 * @module
 * What a low-crowd alert says (issue 13): the office is quiet now, how quiet
 * on the usual scale, until when it is open, its page, and how to stop the
 * alerts. Pure: the round (./alert-jobs.ts) decides when and queues it
 * through `messages`.
 *
 * Its id, `affluence-alert:<customer>:<office>:<office's local date>`, is
 * the idempotency key: whatever two rounds do, the person receives at most
 * one alert per office and day. It carries no quiet hours: the round only
 * sends outside them, and an alert held until later would say "come now"
 * at the wrong time.
 */
import { localParts } from '../hours/zoned-time';
import type { OutgoingMessage } from '../messages/model';

/** The page that lists a professional's alerts, subscribes (`?bureau=<id>`) and unsubscribes. */
export const ALERTS_PAGE_PATH = '/compte/alertes-affluence';

/** What the message says about the office at the instant of the alert. */
export interface QuietOfficeFacts {
  customerId: string;
  locationId: string;
  officeName: string;
  /** The office's public page, `/bureaux/…` (made absolute with the configured origin). */
  officePath: string;
  timeZone: string;
  /** The live level (100 = the weekday's usual peak). */
  level: number;
  /** When the current opening ends (ms); null when it does not end in the foreseeable future. */
  closesAt: number | null;
  /** The office's local date of the alert, `YYYY-MM-DD`. */
  localDate: string;
}

/** At most one alert per person, office and local day: the message's idempotency key. */
export function alertMessageId(customerId: string, locationId: string, localDate: string): string {
  return `affluence-alert:${customerId}:${locationId}:${localDate}`;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** "jusqu’à 18:00", or with its date when the opening ends another day (an overnight one). */
export function openUntilWords(closesAt: number | null, localDate: string, timeZone: string): string {
  if (closesAt === null) return 'ouvert sans interruption prévue';
  const local = localParts(closesAt, timeZone);
  const time = `${pad2(Math.floor(local.minutes / 60))}:${pad2(local.minutes % 60)}`;
  if (local.date === localDate) return `ouvert jusqu’à ${time}`;
  const day = new Intl.DateTimeFormat('fr-FR', { weekday: 'long', day: 'numeric', month: 'long', timeZone }).format(new Date(closesAt));
  return `ouvert jusqu’au ${day} à ${time}`;
}

/** The alert to `to` (the account's address), with absolute links on `origin` (SITE_ORIGIN, never a request's Host). */
export function lowCrowdMessage(facts: QuietOfficeFacts, to: { email: string }, origin: string): OutgoingMessage {
  return {
    id: alertMessageId(facts.customerId, facts.locationId, facts.localDate),
    channel: 'email',
    to: to.email,
    subject: `${facts.officeName} est calme en ce moment`.slice(0, 200),
    text: [
      'Bonjour,',
      '',
      `${facts.officeName} est calme en ce moment (niveau ${facts.level} % de l’affluence habituelle du pic), ${openUntilWords(facts.closesAt, facts.localDate, facts.timeZone)} (heure du bureau).`,
      `Le bureau : ${origin}${facts.officePath}`,
      '',
      'Vous recevez au plus une alerte par jour et par bureau, et la suivante seulement après un retour de l’affluence.',
      `Pour ne plus les recevoir : ${origin}${ALERTS_PAGE_PATH}`,
    ].join('\n'),
    urgent: false,
  };
}
