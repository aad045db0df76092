/**
 * @module
 * What a person following a parcel is told, and when: the notices a change
 * of state brings (arrived at a point, out for delivery, delivered, an
 * incident), those the clock brings (2 days before the collect-by deadline,
 * the deadline's day, a silence longer than usual), the moment each may be
 * delivered (after the person's quiet hours; a deadline-day reminder breaks
 * through them, never at night), and the one message several notices due
 * together become. Pure: no I/O.
 *
 * Each notice has a stable `about` (the instant of what it is about), so a
 * replayed event or a second cron run recomputes the same key and adds
 * nothing (the key is the notice's primary key, and the message id derives
 * from the keys it carries).
 */
import { deliverableAt, type QuietHours } from '../messages/model';
import { INCIDENT_LABELS, type Incident } from './events';
import type { StoredState } from './store';

export type NoticeKind = 'arrived' | 'reminder' | 'deadline_day' | 'out_for_delivery' | 'delivered' | 'incident' | 'silent';

export interface NoticeDraft {
  trackingNumber: string;
  kind: NoticeKind;
  /** What the notice is about, stable across replays (an event's instant, an incident). */
  about: string;
  /** The sentence of the message, in French, without personal data. */
  line: string;
  /** `can_wait`: after the person's quiet hours. `deadline_day`: through them, but never at night. */
  timing: 'can_wait' | 'deadline_day';
}

/** The place a waiting parcel is at, as a notice names it. */
export interface PlaceForNotice {
  name: string;
  commune: string;
  /** "mercredi 16 décembre à 18 h 00"; null when the place has no opening to name. */
  deadlineLabel: string | null;
}

const INCIDENT_LINES: Record<Incident, string> = {
  avise: 'n’a pas pu être livré : un avis de passage vous dit où et quand le retirer',
  probleme: 'rencontre un problème que le transporteur est en train de traiter ; vous serez prévenu dès qu’il repart',
  retour: 'est retourné à l’expéditeur',
};

/** The notices a change of state brings (none when the change shows nothing new to the person). */
export function changeNotices(before: StoredState | undefined, after: StoredState, place: PlaceForNotice | null): NoticeDraft[] {
  const n = after.trackingNumber;
  const notices: NoticeDraft[] = [];
  const draft = (kind: NoticeKind, about: string, line: string): NoticeDraft => ({ trackingNumber: n, kind, about, line, timing: 'can_wait' });
  if (after.waitingSince !== null && before?.waitingSince !== after.waitingSince && place) {
    const until = place.deadlineLabel ? ` À retirer avant le ${place.deadlineLabel}.` : '';
    notices.push(draft('arrived', String(after.waitingSince), `Votre colis ${n} vous attend : ${place.name} (${place.commune}).${until}`));
  }
  if (after.lastCode === 'MD2' && before?.lastCode !== 'MD2' && !after.delivered && after.lastEventAt !== null) {
    notices.push(draft('out_for_delivery', String(after.lastEventAt), `Votre colis ${n} est en cours de livraison aujourd’hui.`));
  }
  if (after.delivered && !before?.delivered) {
    notices.push(draft('delivered', 'delivered', after.lastCode === 'DI2' ? `Votre colis ${n} vous a été remis au guichet.` : `Votre colis ${n} a été livré.`));
  }
  for (const incident of after.incidents as Incident[]) {
    if (before?.incidents.includes(incident) || !(incident in INCIDENT_LABELS)) continue;
    notices.push(draft('incident', `${incident}:${after.lastEventAt ?? 0}`, `Votre colis ${n} ${INCIDENT_LINES[incident]}.`));
  }
  return notices;
}

const DAY_MS = 86_400_000;
/** The reminder goes 2 days before the deadline (the rule: time to plan a visit). */
export const REMINDER_BEFORE_MS = 2 * DAY_MS;

/**
 * The reminders due at `now` for a parcel waiting since `waitingSince`:
 * 2 days before the deadline, and on its local day. `localDate` is `now`'s
 * date in the place's time zone.
 */
export function deadlineNotices(
  trackingNumber: string,
  waitingSince: number,
  deadline: { at: number; date: string; closes: string },
  place: PlaceForNotice,
  now: number,
  localDate: string,
): NoticeDraft[] {
  if (now >= deadline.at) return [];
  const about = String(waitingSince);
  const where = `${place.name} (${place.commune})`;
  if (localDate === deadline.date) {
    const hour = deadline.closes.replace(':', ' h ');
    return [{ trackingNumber, kind: 'deadline_day', about, timing: 'deadline_day',
      line: `Dernier jour pour retirer votre colis ${trackingNumber} : ${where}, avant ${hour} aujourd’hui. Passé ce délai, il repart chez l’expéditeur.` }];
  }
  if (now >= deadline.at - REMINDER_BEFORE_MS) {
    return [{ trackingNumber, kind: 'reminder', about, timing: 'can_wait',
      line: `Votre colis ${trackingNumber} vous attend toujours : ${where}. À retirer avant le ${place.deadlineLabel}.` }];
  }
  return [];
}

/** The "still moving" notice for a silence longer than usual; `about` is the last scan, so one per silence. */
export function silenceNotice(trackingNumber: string, lastEventAt: number, advice: string): NoticeDraft {
  return { trackingNumber, kind: 'silent', about: String(lastEventAt), timing: 'can_wait', line: `Votre colis ${trackingNumber} : ${advice}` };
}

/** Night, when not even a deadline-day reminder goes out (in the person's own time zone). */
export const NIGHT = { start: '21:00', end: '08:00' } as const;

/** When a notice may go out: after the person's quiet hours, or, on the deadline's day, after the night only. */
export function deliverAfter(timing: NoticeDraft['timing'], now: Date, quiet: QuietHours): number {
  const window = timing === 'deadline_day' ? { ...NIGHT, timeZone: quiet.timeZone } : quiet;
  return deliverableAt(now, window).getTime();
}

/** The key that makes a notice at most once per person. */
export const noticeKey = (recipient: string, notice: Pick<NoticeDraft, 'trackingNumber' | 'kind' | 'about'>) =>
  `${recipient}|${notice.trackingNumber}|${notice.kind}|${notice.about}`;

const SUBJECTS: Record<NoticeKind, (n: string) => string> = {
  arrived: (n) => `Votre colis ${n} vous attend`,
  reminder: (n) => `Votre colis ${n} vous attend toujours`,
  deadline_day: (n) => `Dernier jour pour retirer votre colis ${n}`,
  out_for_delivery: (n) => `Votre colis ${n} est en cours de livraison`,
  delivered: (n) => `Votre colis ${n} est arrivé`,
  incident: (n) => `Du nouveau sur votre colis ${n}`,
  silent: (n) => `Votre colis ${n} suit son cours`,
};

/**
 * One message for the notices due together for one person: held ones are
 * merged, never sent one by one at the end of the night. `links` gives each
 * parcel's page; `footer` says how to stop (the account's page, or the
 * one-click unsubscribe of an alert).
 */
export function mergedMessage(notices: readonly Pick<NoticeDraft, 'trackingNumber' | 'kind' | 'line'>[], link: (trackingNumber: string) => string, footer: string): { subject: string; text: string } {
  const parcels = [...new Set(notices.map((n) => n.trackingNumber))];
  const subject = notices.length === 1
    ? SUBJECTS[notices[0]!.kind](notices[0]!.trackingNumber)
    : parcels.length === 1 ? `Votre colis ${parcels[0]} : ${notices.length} nouvelles` : `Vos colis : ${notices.length} nouvelles`;
  const body = parcels.map((n) => [...notices.filter((x) => x.trackingNumber === n).map((x) => `- ${x.line}`), `  Suivi : ${link(n)}`].join('\n'));
  return { subject, text: `Bonjour,\n\n${body.join('\n\n')}\n\n${footer}\n` };
}
