/**
 * @module
 * "Still moving": how long a parcel has gone without a new scan, and
 * whether that is longer than usual at its step. Customers read a silence
 * of 48–72 h as a lost parcel; most are only waiting for the next sort, so
 * the page says what is normal and, past the threshold, what to do. Hours
 * are counted only while the network moves parcels: Sundays and the public
 * holidays of the destination's département do not count. Pure: no I/O,
 * `now` is the caller's.
 */
import { holidayOnDay } from '../hours/holidays';
import { DAY_MS, weekdayOfDay, zoneClock } from '../hours/zoned-time';
import { findDepartment } from '../locations/departments';
import type { ParcelState } from './timeline';

export type MovingStep = 1 | 2 | 3 | 4;

export interface SilenceThreshold {
  /** Working hours (Sundays and public holidays left out) without a scan beyond which it is unusual. */
  hours: number;
  /** For the customer: what is normal at this step, and what to do past it. */
  reason: string;
}

export const SILENCE_THRESHOLDS: Record<MovingStep, SilenceThreshold> = {
  // Between the drop-off and the first sorting centre: one collection round, then a night's sort.
  1: {
    hours: 48,
    reason: 'Après sa prise en charge, un colis peut rester jusqu’à 48 h ouvrées sans nouveau scan, le temps de rejoindre un centre de tri. Au-delà, contactez l’expéditeur : lui seul peut ouvrir une enquête auprès du transporteur.',
  },
  // Long hauls between sorting centres are scanned only on arrival: 48 h is where customers start to worry, and where AfterShip warns.
  2: {
    hours: 48,
    reason: 'Entre deux centres de tri, un colis voyage souvent jusqu’à 48 h ouvrées sans être scanné. Au-delà, contactez l’expéditeur ou le service client du transporteur avec votre numéro de suivi.',
  },
  // The distribution site sends parcels out on the next round, the same day or the next.
  3: {
    hours: 24,
    reason: 'Arrivé sur le site de distribution, un colis part d’habitude en livraison dans les 24 h ouvrées. Au-delà, contactez le service client du transporteur : il peut interroger le site.',
  },
  // A round ends the same day: delivered, or a notice left and the parcel taken to a point.
  4: {
    hours: 12,
    reason: 'Un colis en cours de livraison est livré ou avisé dans la journée. Sans nouvelle après 12 h ouvrées, vérifiez votre boîte aux lettres (avis de passage), puis contactez le service client du transporteur.',
  },
};

/** Beyond a year of silence the count no longer matters: it bounds the work. */
const MAX_DAYS = 400;
const HOUR_MS = 3_600_000;

export interface Silence {
  /** The step whose threshold applies (3 after a failed delivery: the parcel is back at the site). */
  step: MovingStep;
  /** Whole working hours since the last scan. */
  silentHours: number;
  threshold: number;
  /** Strictly longer than the threshold. */
  overdue: boolean;
  advice: string;
}

/** Milliseconds between `from` and `to` that fall on days the network moves parcels (not Sundays, not holidays). */
function movingTime(from: number, to: number, department: string, timeZone: string): number {
  const clock = zoneClock(timeZone);
  const until = Math.min(to, from + MAX_DAYS * DAY_MS);
  let total = 0;
  for (let day = clock.localDay(from); day <= clock.localDay(until); day++) {
    const start = Math.max(from, clock.instant(day, 0));
    const end = Math.min(until, clock.instant(day + 1, 0));
    if (end > start && weekdayOfDay(day) !== 7 && holidayOnDay(day, department) === null) total += end - start;
  }
  return total;
}

/**
 * How long the parcel has been silent, against its step's threshold; null
 * when silence is expected or says nothing (not yet scanned, waiting at a
 * point, where the collection deadline speaks instead, delivered, returned).
 * `department` is the destination's (`75` when unknown); its zone decides
 * where Sundays begin.
 */
export function silenceOf(
  state: Pick<ParcelState, 'step' | 'delivered' | 'incidents' | 'waiting' | 'lastEventAt'>,
  now: Date,
  department: string,
): Silence | null {
  if (state.delivered || state.waiting || state.lastEventAt === null || state.step < 1 || state.step > 4 || state.incidents.includes('retour')) return null;
  const step: MovingStep = state.step === 4 && state.incidents.includes('avise') ? 3 : (state.step as MovingStep);
  const code = department.toUpperCase();
  const timeZone = findDepartment(code)?.timeZone ?? 'Europe/Paris';
  const silent = movingTime(state.lastEventAt, now.getTime(), code, timeZone);
  const { hours, reason } = SILENCE_THRESHOLDS[step];
  return { step, silentHours: Math.floor(silent / HOUR_MS), threshold: hours, overdue: silent > hours * HOUR_MS, advice: reason };
}
