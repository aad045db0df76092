/**
 * @module
 * When a moving parcel should arrive, as a range of dates with a
 * confidence: never one falsely precise date (a single day only once the
 * parcel is out for delivery). Counted in the carrier's delivery days
 * (Monday to Saturday, Monday to Friday for Chronopost) without the public
 * holidays of the destination's département, from the day of the last scan:
 * a range already behind today says the parcel is late rather than sliding
 * forward as if nothing were wrong. Pure: no I/O, `now` is the caller's.
 */
import { holidayOnDay } from '../hours/holidays';
import { civilFromDays, dayOrNaN, formatDay, parseDay, weekdayOfDay, zoneClock } from '../hours/zoned-time';
import type { ParcelState } from './timeline';

export type Confidence = 'haute' | 'moyenne' | 'faible';

export interface DeliveryEstimate {
  /** Local dates `YYYY-MM-DD`, `from` ≤ `to`, both delivery days, `from` never before today. */
  from: string;
  to: string;
  confidence: Confidence;
  /** The carrier's promise or the usual transit time has passed without delivery. */
  late: boolean;
}

export interface EstimateInput {
  product: string | null;
  state: Pick<ParcelState, 'step' | 'delivered' | 'incidents' | 'waiting' | 'lastEventAt'>;
  /** The carrier's promised date `YYYY-MM-DD`, if any. */
  promisedDate: string | null;
  /** The destination's département, for its public holidays; `75` when unknown. */
  department: string;
  /** The destination's zone: what "today" is. */
  timeZone: string;
  now: Date;
}

interface Transit {
  /** Delivery days after the last scan: earliest and latest. */
  from: number;
  to: number;
  confidence: Confidence;
  deliversOnSaturday: boolean;
}

/** While the parcel travels (steps 1 and 2), per product. */
export const TRANSIT = {
  // La Poste announces Colissimo at J+2 in metropolitan France; a day either side covers a missed sort.
  colissimo: { from: 1, to: 3, confidence: 'moyenne', deliversOnSaturday: true },
  // Chronopost's express delivers the next working day, one more for the misses; its rounds run Monday to Friday.
  chronopost: { from: 1, to: 2, confidence: 'moyenne', deliversOnSaturday: false },
  // La Poste's target for a registered letter is J+3; it often lands a day either side.
  lettre_recommandee: { from: 2, to: 4, confidence: 'moyenne', deliversOnSaturday: true },
  // Another carrier or an unknown product: wide, and said to be uncertain.
  autre: { from: 2, to: 5, confidence: 'faible', deliversOnSaturday: true },
} as const satisfies Record<string, Transit>;

/** At the distribution site (or back there after a failed delivery): this day's round or the next. */
const AT_SITE = { from: 0, to: 1, confidence: 'moyenne' } as const;
/** In the van: that day. */
const OUT_FOR_DELIVERY = { from: 0, to: 0, confidence: 'haute' } as const;
/** A late parcel: from today, two delivery days of slack, and no pretence of knowing. */
const LATE_DAYS = 2;
/** An open problem widens the range by this many delivery days. */
const PROBLEM_DAYS = 2;
const LOWER: Record<Confidence, Confidence> = { haute: 'moyenne', moyenne: 'faible', faible: 'faible' };

/** `Colissimo`, `Lettre recommandée`… → a key of TRANSIT. */
function productKey(product: string | null): keyof typeof TRANSIT {
  const key = (product ?? '').trim().toLowerCase().normalize('NFD').replace(/\p{M}/gu, '').replace(/[\s-]+/g, '_');
  return Object.hasOwn(TRANSIT, key) ? (key as keyof typeof TRANSIT) : 'autre';
}

/** The estimated delivery; null when there is nothing to estimate (delivered, waiting at a point, returned, not yet scanned). */
export function estimateDelivery(input: EstimateInput): DeliveryEstimate | null {
  const { state } = input;
  if (state.delivered || state.waiting || state.step === 0 || state.incidents.includes('retour')) return null;
  const transit: Transit = TRANSIT[productKey(input.product)];
  const department = input.department.toUpperCase();
  const delivers = (day: number) => {
    const weekday = weekdayOfDay(day);
    return weekday !== 7 && (weekday !== 6 || transit.deliversOnSaturday) && holidayOnDay(day, department) === null;
  };
  /** The `n`-th delivery day after `day` (n = 0: `day` itself, or the next delivery day). */
  const plus = (day: number, n: number) => {
    while (!delivers(day)) day++;
    for (let i = 0; i < n; i++) {
      day++;
      while (!delivers(day)) day++;
    }
    return day;
  };

  const clock = zoneClock(input.timeZone);
  const today = clock.localDay(input.now.getTime());
  const scanned = state.lastEventAt === null ? today : clock.localDay(state.lastEventAt);
  // A failed delivery (avisé) puts the parcel back with the distribution site.
  const step = state.step === 4 && state.incidents.includes('avise') ? 3 : state.step;
  const promised = dayOrNaN(input.promisedDate ?? '');

  let from: number;
  let to: number;
  let confidence: Confidence;
  let late: boolean;
  // Out for delivery, the van outranks the promise (older news).
  if ((step === 2 || step === 3) && !Number.isNaN(promised)) {
    from = plus(promised, 0);
    to = plus(promised, 1);
    confidence = 'haute';
    late = promised < today;
  } else {
    const usual = step === 4 ? OUT_FOR_DELIVERY : step === 3 ? AT_SITE : transit;
    from = plus(scanned, usual.from);
    to = plus(scanned, usual.to);
    confidence = usual.confidence;
    late = to < today;
  }
  const firstDay = plus(today, 0);
  if (late) {
    from = firstDay;
    to = plus(today, LATE_DAYS);
    confidence = 'faible';
  }
  if (state.incidents.includes('probleme')) {
    confidence = LOWER[confidence];
    to = plus(to, PROBLEM_DAYS);
  }
  from = Math.max(from, firstDay);
  to = Math.max(to, from);
  // A range cut short by today keeps two days: one date is only said of a parcel out for delivery.
  if (from === to && step !== 4) to = plus(to, 1);
  return { from: formatDay(from), to: formatDay(to), confidence, late };
}

const WEEKDAYS = ['', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'];
const MONTHS = ['', 'janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];

function dayLabel(day: number, withMonth: boolean, withYear: boolean): string {
  const { year, month, day: date } = civilFromDays(day);
  return `${WEEKDAYS[weekdayOfDay(day)]} ${date === 1 ? '1er' : date}${withMonth ? ` ${MONTHS[month]}` : ''}${withYear ? ` ${year}` : ''}`;
}

/**
 * The estimate in French: « entre le jeudi 3 et le samedi 5 décembre »,
 * « le jeudi 3 décembre », or « aujourd’hui » when that one day is `today`
 * (`YYYY-MM-DD`, the destination's local date).
 */
export function estimateLabel(estimate: Pick<DeliveryEstimate, 'from' | 'to'>, today?: string): string {
  const from = parseDay(estimate.from);
  const to = parseDay(estimate.to);
  if (from === to) return estimate.from === today ? 'aujourd’hui' : `le ${dayLabel(from, true, false)}`;
  const a = civilFromDays(from);
  const b = civilFromDays(to);
  const sameYear = a.year === b.year;
  return `entre le ${dayLabel(from, !sameYear || a.month !== b.month, !sameYear)} et le ${dayLabel(to, true, !sameYear)}`;
}
