/**
 * @module
 * How busy an office is, read from storage: its usual levels (the stored
 * counts of the last PERIODS_KEPT periods, merged) and its live level (the
 * arrivals of the last 15 minutes). The office page, the API and the alert
 * round all read through here; the numbers come from histogram.ts.
 */
import { and, eq, gt, lte } from 'drizzle-orm';
import { affluenceCounts, visitEvents } from '../../db/schema';
import type { Database } from '../database';
import {
  type AffluenceCounts, decodeCounts, emptyCounts, type Histogram, histogramOf, LIVE_WINDOW_MS, liveLevel, mergeCounts,
  PERIODS_KEPT, periodAt, usualLevel,
} from './histogram';

/** Where an office is: its id and IANA zone (a location row has both). */
export interface OfficePlace {
  id: string;
  timeZone: string;
}

export interface LiveAffluence {
  /** Arrivals in the last 15 minutes. */
  arrivals: number;
  /** On the usual level's scale (100 = this weekday's usual peak); null when the weekday has no visible peak. */
  level: number | null;
  /** The usual level of the current quarter; null when hidden. */
  usual: number | null;
}

export interface OfficeAffluence {
  /** Null when nothing was ever counted at this office. */
  histogram: Histogram | null;
  live: LiveAffluence | null;
}

/** The office's counts over the rolling year (the current period and the ones before it), merged; null when none. */
export async function usualCounts(db: Database, office: OfficePlace, now: Date): Promise<AffluenceCounts | null> {
  const current = periodAt(now, office.timeZone);
  const rows = await db.select({ counts: affluenceCounts.counts }).from(affluenceCounts)
    .where(and(eq(affluenceCounts.locationId, office.id), gt(affluenceCounts.period, current - PERIODS_KEPT), lte(affluenceCounts.period, current)))
    .all();
  if (rows.length === 0) return null;
  return rows.reduce<AffluenceCounts>((sum, row) => mergeCounts(sum, decodeCounts(new Uint8Array(row.counts))), emptyCounts());
}

/** The arrival instants (ms) at the office in (now − 15 min, now]: one indexed range read. */
export async function recentArrivals(db: Database, officeId: string, now: Date): Promise<number[]> {
  const to = now.getTime();
  const rows = await db.select({ at: visitEvents.at }).from(visitEvents)
    .where(and(eq(visitEvents.locationId, officeId), gt(visitEvents.at, to - LIVE_WINDOW_MS), lte(visitEvents.at, to), eq(visitEvents.kind, 'arrival')))
    .all();
  return rows.map((row) => row.at);
}

/** The live level of an office against its histogram; null without a histogram. */
export async function liveAffluence(db: Database, office: OfficePlace, histogram: Histogram | null, now: Date): Promise<LiveAffluence | null> {
  if (!histogram) return null;
  const arrivals = await recentArrivals(db, office.id, now);
  return {
    arrivals: arrivals.length,
    level: liveLevel(histogram, arrivals, now, office.timeZone),
    usual: usualLevel(histogram, now, office.timeZone),
  };
}

/** The office's usual levels and live level now. */
export async function officeAffluence(db: Database, office: OfficePlace, now: Date): Promise<OfficeAffluence> {
  const counts = await usualCounts(db, office, now);
  const histogram = counts ? histogramOf(counts) : null;
  return { histogram, live: await liveAffluence(db, office, histogram, now) };
}
