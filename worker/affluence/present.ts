/**
 * @module
 * An office's affluence as the API answers it and as its page shows it:
 * per weekday, the quarters from the first to the last visible one (the
 * rest of the day says nothing), and the live level in words. No I/O: the
 * numbers come from read.ts, the instant is a parameter.
 */
import { localParts } from '../hours/zoned-time';
import { HIGH_LEVEL, LOW_LEVEL } from './alert';
import { type HistogramDay, type HistogramSlot, MIN_OBSERVATIONS } from './histogram';
import type { OfficeAffluence } from './read';

/** The rule that hides a quarter, stated where the numbers are shown. */
export const HIDING_RULE = `Un quart d’heure n’est montré qu’à partir de ${MIN_OBSERVATIONS} arrivées observées sur l’ensemble de ses jours : en deçà, la moyenne dirait trop peu et pourrait désigner une personne.`;

export const WEEKDAY_NAMES = ['lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi', 'dimanche'] as const;

/** The quarters of a day from its first visible one to its last; none when every quarter is hidden. */
export function visibleSpan(day: HistogramDay): HistogramSlot[] {
  const first = day.slots.findIndex((slot) => slot.level !== null);
  if (first < 0) return [];
  let last = day.slots.length - 1;
  while (day.slots[last]!.level === null) last--;
  return day.slots.slice(first, last + 1);
}

/** Rounded to 2 decimals: a mean of arrivals per quarter needs no more. */
const twoDecimals = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

/** The API's answer for an office (`office` names it). */
export function presentAffluence(office: { id: string; timeZone: string }, affluence: OfficeAffluence, now: Date) {
  return {
    office_id: office.id,
    time_zone: office.timeZone,
    min_observations: MIN_OBSERVATIONS,
    hiding_rule: HIDING_RULE,
    weekdays: WEEKDAY_NAMES.map((name, index) => {
      const day = affluence.histogram?.weekdays[index];
      return {
        weekday: index + 1,
        name,
        observed_days: day?.observedDays ?? 0,
        slots: (day ? visibleSpan(day) : []).map((slot) => ({ time: slot.time, level: slot.level, mean: twoDecimals(slot.mean) })),
      };
    }),
    live: affluence.live
      ? { at: now.toISOString(), level: affluence.live.level, usual: affluence.live.usual, arrivals: affluence.live.arrivals }
      : null,
  };
}

/**
 * A level in words, on the alert's thresholds (alert.ts): below its low
 * threshold is what the alert calls quiet; from its high one, busy.
 */
export function levelWord(level: number): string {
  if (level < LOW_LEVEL) return 'calme';
  if (level < HIGH_LEVEL) return 'peu chargé';
  if (level < 85) return 'assez chargé';
  return 'très chargé';
}

/** `10:15` → `10 h 15`, as French reads a time aloud. */
export const spokenTime = (time: string) => `${Number(time.slice(0, 2))} h ${time.slice(3, 5)}`;

export interface AffluenceBar {
  /** `10 h 15`. */
  time: string;
  /** 0–100; null when hidden. */
  level: number | null;
  /** The bar's CSS class: its width in 5 % steps (`w0`…`w100`); null when hidden. */
  widthClass: string | null;
}

export interface AffluenceDayView {
  name: string;
  today: boolean;
  observedDays: number;
  bars: AffluenceBar[];
}

export interface AffluenceSectionView {
  /** Today first, then the others Monday first; only weekdays with a visible quarter. */
  days: AffluenceDayView[];
  /** Today's weekday, named even when it shows no bar (`dimanche`). */
  todayName: string;
  /** `En ce moment : calme — d’habitude à cette heure : assez chargé.`; null when there is nothing to compare. */
  liveSentence: string | null;
  /** How many weeks the usual levels cover at most (observed days of the best-covered weekday). */
  weeks: number;
}

/** The width class of a level: rounded to the nearest 5 %, capped at 100. */
export const widthClass = (level: number) => `w${Math.min(100, Math.round(level / 5) * 5)}`;

/**
 * The office page's affluence section, or null when there is nothing to
 * show (no quarter visible on any day). The live sentence shows when the
 * current quarter has a usual level to compare with, or someone arrived.
 */
export function affluenceSection(affluence: OfficeAffluence, timeZone: string, now: Date): AffluenceSectionView | null {
  const histogram = affluence.histogram;
  if (!histogram) return null;
  const todayIndex = localParts(now, timeZone).weekday - 1;
  const days = histogram.weekdays.map((day, index): AffluenceDayView => ({
    name: WEEKDAY_NAMES[index]!,
    today: index === todayIndex,
    observedDays: day.observedDays,
    bars: visibleSpan(day).map((slot) => ({
      time: spokenTime(slot.time),
      level: slot.level,
      widthClass: slot.level === null ? null : widthClass(slot.level),
    })),
  })).filter((day) => day.bars.length > 0);
  if (days.length === 0) return null;
  days.sort((a, b) => Number(b.today) - Number(a.today));
  const live = affluence.live;
  let liveSentence: string | null = null;
  if (live && live.level !== null && (live.usual !== null || live.arrivals > 0)) {
    const usual = live.usual === null ? 'trop peu de visites observées pour comparer' : `d’habitude à cette heure : ${levelWord(live.usual)} (${live.usual} %)`;
    liveSentence = `En ce moment : ${levelWord(live.level)} (${live.level} %) — ${usual}.`;
  }
  return {
    days,
    todayName: WEEKDAY_NAMES[todayIndex]!,
    liveSentence,
    weeks: Math.max(...days.map((d) => d.observedDays)),
  };
}

/** How long a page showing the live level may be kept: see the office page. */
export const LIVE_PAGE_FRESH_MS = 2 * 60_000;

/**
 * Until when an office page with this section holds: at most
 * LIVE_PAGE_FRESH_MS when it shows the live level; otherwise until the
 * next quarter starts (a live level may appear with it), and never beyond
 * `holdsUntil` (the status sentence's own limit).
 */
export function sectionHoldsUntil(section: AffluenceSectionView | null, holdsUntil: Date, now: Date): Date {
  if (!section) return holdsUntil;
  const quarter = 15 * 60_000;
  const limit = section.liveSentence ? now.getTime() + LIVE_PAGE_FRESH_MS : (Math.floor(now.getTime() / quarter) + 1) * quarter;
  return new Date(Math.min(holdsUntil.getTime(), limit));
}
