/**
 * @module
 * How busy an office usually is, per weekday and local quarter hour, from
 * the arrivals its counter recorded; and how busy it is right now on the
 * same scale. Pure: instants in, numbers out; the office's zone is a
 * parameter.
 *
 * Counting runs incrementally, so the cron never holds a year of events
 * (about 50 million across the network) in memory: `addArrivals` folds one
 * batch into counts, `mergeCounts` adds two counts up (batches, weeks,
 * shards), `histogramOf` reads the result. Counts are two typed arrays
 * (`encodeCounts` makes one blob of them for storage).
 *
 * Definitions:
 * - A quarter is a local 15-minute slot of the wall clock, 0 (00:00–00:15)
 *   to 95 (23:45–24:00); an arrival counts in the quarter and ISO weekday of
 *   its local time in the office's zone. (In the hour repeated when clocks
 *   fall back, both passes count in the same quarters: offices are closed then.)
 * - An observed day is a local date on which the office recorded at least one
 *   arrival. A day without any is unknown rather than empty (closed, or no
 *   feed that day): counting it would drag the means down for no visitor.
 * - The usual mean of a weekday and quarter is its arrivals divided by that
 *   weekday's observed days; its level is that mean scaled to the weekday's
 *   peak quarter: `round(100 × mean / peak mean)`, so the peak is 100.
 * - The live level at instant `t` is the number of arrivals in the last 15
 *   minutes, (t − 15 min, t], scaled with the same peak of `t`'s weekday:
 *   `round(100 × arrivals / peak mean)`. Both count arrivals per 15 minutes,
 *   so the live level reads on the usual level's scale: 30 means "30 % of
 *   this weekday's usual peak". It is not capped: above 100 is busier than
 *   the usual peak. It is null when the weekday has no visible peak.
 */
import { DAY_MS, MINUTE_MS, formatTime, localParts, weekdayOfDay, zoneClock } from '../hours/zoned-time';

export const QUARTERS_PER_DAY = 96;
export const WEEKDAYS = 7;
const QUARTER_MS = 15 * MINUTE_MS;

/**
 * A quarter with fewer arrivals than this over all its observed days is
 * hidden. Privacy: at a small office a handful of arrivals at an odd hour can
 * point at a person's habits ("the one who comes at 08:45 on Tuesdays").
 * Noise: on a few visits the mean swings with each one, and bars built on it
 * would mislead more than inform. From ten on, one visit more or less moves
 * the quarter's mean by a tenth at most.
 */
export const MIN_OBSERVATIONS = 10;
/** The live level counts the arrivals of the last 15 minutes: one quarter's worth, like the usual means. */
export const LIVE_WINDOW_MS = QUARTER_MS;

/** Arrivals counted so far: plain typed arrays, so they can be stored as they are. */
export interface AffluenceCounts {
  /** Arrivals per ISO weekday and local quarter, at index (weekday − 1) × 96 + quarter. */
  arrivals: Uint32Array;
  /** The observed local days (day numbers since 1970-01-01), ascending, each once. */
  observedDays: Int32Array;
}

export interface HistogramSlot {
  /** Local start of the quarter, `HH:MM`. */
  time: string;
  /** Mean arrivals in this quarter per observed day of the weekday; null when hidden. */
  mean: number | null;
  /** 0–100, the weekday's peak quarter being 100; null when hidden. */
  level: number | null;
}

export interface HistogramDay {
  /** ISO weekday, Monday = 1. */
  weekday: number;
  observedDays: number;
  /** The largest visible mean of the weekday; null when every quarter is hidden. */
  peakMean: number | null;
  /** 96 quarters, from 00:00. */
  slots: HistogramSlot[];
}

export interface Histogram {
  /** Monday first. */
  weekdays: HistogramDay[];
}

export function emptyCounts(): AffluenceCounts {
  return { arrivals: new Uint32Array(WEEKDAYS * QUARTERS_PER_DAY), observedDays: new Int32Array(0) };
}

/** The union of two ascending lists of distinct day numbers. */
function unionDays(a: ArrayLike<number>, b: ArrayLike<number>): Int32Array {
  const out = new Int32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (n === 0 || out[n - 1] !== next) out[n++] = next;
  }
  return out.slice(0, n);
}

/**
 * `counts` with a batch of arrivals (instants in ms, in any order) added, in
 * the office's `zone`. Returns new counts; the given ones are not changed.
 */
export function addArrivals(counts: AffluenceCounts, arrivals: Iterable<number>, zone: string): AffluenceCounts {
  const clock = zoneClock(zone);
  const sum = counts.arrivals.slice();
  const days = new Set<number>();
  let lastDay = Number.NaN; // batches usually come in time order: one Set write per day, not per arrival
  for (const at of arrivals) {
    if (!Number.isFinite(at)) throw new RangeError(`instant d’arrivée invalide : ${at}`);
    const wall = at + clock.offset(at);
    const day = Math.floor(wall / DAY_MS);
    const quarter = Math.floor((wall - day * DAY_MS) / QUARTER_MS);
    sum[(weekdayOfDay(day) - 1) * QUARTERS_PER_DAY + quarter]! += 1;
    if (day !== lastDay) {
      days.add(day);
      lastDay = day;
    }
  }
  return { arrivals: sum, observedDays: unionDays(counts.observedDays, Int32Array.from(days).sort()) };
}

/**
 * The counts of two disjoint sets of arrivals together. Observed days are
 * united, not added: two batches of the same day observe it once.
 */
export function mergeCounts(a: AffluenceCounts, b: AffluenceCounts): AffluenceCounts {
  const arrivals = a.arrivals.slice();
  for (let i = 0; i < arrivals.length; i++) arrivals[i]! += b.arrivals[i]!;
  return { arrivals, observedDays: unionDays(a.observedDays, b.observedDays) };
}

/** How many observed days each ISO weekday has: index 0 = Monday. */
export function observedDaysPerWeekday(counts: AffluenceCounts): number[] {
  const perWeekday = [0, 0, 0, 0, 0, 0, 0];
  for (const day of counts.observedDays) perWeekday[weekdayOfDay(day) - 1]! += 1;
  return perWeekday;
}

/** The histogram of the counts: per weekday and quarter, the mean and level, or null when hidden. */
export function histogramOf(counts: AffluenceCounts, minObservations = MIN_OBSERVATIONS): Histogram {
  const observed = observedDaysPerWeekday(counts);
  const weekdays: HistogramDay[] = [];
  for (let w = 0; w < WEEKDAYS; w++) {
    const base = w * QUARTERS_PER_DAY;
    const means: Array<number | null> = [];
    let peak = 0;
    for (let q = 0; q < QUARTERS_PER_DAY; q++) {
      const arrivals = counts.arrivals[base + q]!;
      // A quarter needs at least one arrival to show, whatever the minimum asked.
      const visible = arrivals > 0 && arrivals >= minObservations && observed[w]! > 0;
      const mean = visible ? arrivals / observed[w]! : null;
      if (mean !== null && mean > peak) peak = mean;
      means.push(mean);
    }
    weekdays.push({
      weekday: w + 1,
      observedDays: observed[w]!,
      peakMean: peak > 0 ? peak : null,
      slots: means.map((mean, q) => ({
        time: formatTime(q * 15),
        mean,
        level: mean === null ? null : Math.round((100 * mean) / peak),
      })),
    });
  }
  return { weekdays };
}

function weekdayAndQuarter(at: Date | number, zone: string): { weekday: number; quarter: number } {
  const local = localParts(at, zone);
  return { weekday: local.weekday, quarter: Math.floor(local.minutes / 15) };
}

/** The usual level of the quarter that contains `at` (local time in `zone`); null when hidden. */
export function usualLevel(histogram: Histogram, at: Date | number, zone: string): number | null {
  const { weekday, quarter } = weekdayAndQuarter(at, zone);
  return histogram.weekdays[weekday - 1]?.slots[quarter]?.level ?? null;
}

/**
 * The live level at `at`: the arrivals of `recentArrivals` in (at − 15 min, at],
 * scaled with the peak of `at`'s weekday (see the module comment); null when
 * that weekday has no visible peak. Arrivals outside the window are ignored,
 * so the caller may pass the last hour.
 */
export function liveLevel(histogram: Histogram, recentArrivals: Iterable<number>, at: Date | number, zone: string): number | null {
  const now = typeof at === 'number' ? at : at.getTime();
  const peak = histogram.weekdays[localParts(now, zone).weekday - 1]?.peakMean ?? null;
  if (peak === null) return null;
  let count = 0;
  for (const t of recentArrivals) if (t > now - LIVE_WINDOW_MS && t <= now) count++;
  return Math.round((100 * count) / peak);
}

// ---------------------------------------------------------------------------
// Periods: counts are stored per office and period of 13 weeks, so the
// usual levels cover a rolling year (the last PERIODS_KEPT periods, the
// current one included) and an old habit fades out instead of weighing
// forever.

/** 13 weeks: a whole number of weeks, so every period holds each weekday equally often. */
export const PERIOD_DAYS = 91;
/** The current period and the 3 before it: about a year. */
export const PERIODS_KEPT = 4;

/** The period of a local day number (days since 1970-01-01). */
export function periodOfDay(day: number): number {
  return Math.floor(day / PERIOD_DAYS);
}

/** The period of instant `at` in `zone` (its local day's). */
export function periodAt(at: Date | number, zone: string): number {
  const ms = typeof at === 'number' ? at : at.getTime();
  return periodOfDay(Math.floor((ms + zoneClock(zone).offset(ms)) / DAY_MS));
}

// ---------------------------------------------------------------------------
// One blob for storage: little-endian u32 format version, u32 day count,
// the 672 arrival counts, then the observed days (i32).

const FORMAT_VERSION = 1;

export function encodeCounts(counts: AffluenceCounts): Uint8Array {
  const cells = counts.arrivals.length;
  const bytes = new Uint8Array(4 * (2 + cells + counts.observedDays.length));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, FORMAT_VERSION, true);
  view.setUint32(4, counts.observedDays.length, true);
  for (let i = 0; i < cells; i++) view.setUint32(8 + 4 * i, counts.arrivals[i]!, true);
  for (let i = 0; i < counts.observedDays.length; i++) view.setInt32(8 + 4 * (cells + i), counts.observedDays[i]!, true);
  return bytes;
}

/** The counts of a blob made by `encodeCounts`; throws RangeError on anything else. */
export function decodeCounts(bytes: Uint8Array): AffluenceCounts {
  const cells = WEEKDAYS * QUARTERS_PER_DAY;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || view.getUint32(0, true) !== FORMAT_VERSION) throw new RangeError('compteurs d’affluence illisibles');
  const dayCount = view.getUint32(4, true);
  if (bytes.byteLength !== 4 * (2 + cells + dayCount)) throw new RangeError('compteurs d’affluence tronqués');
  const arrivals = new Uint32Array(cells);
  for (let i = 0; i < cells; i++) arrivals[i] = view.getUint32(8 + 4 * i, true);
  const observedDays = new Int32Array(dayCount);
  for (let i = 0; i < dayCount; i++) observedDays[i] = view.getInt32(8 + 4 * (cells + i), true);
  return { arrivals, observedDays };
}
