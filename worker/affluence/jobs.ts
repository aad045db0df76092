/**
 * @module
 * The cron's round for affluence (every 15 minutes, worker/index.ts):
 * first the arrivals posted since the last round are folded into each
 * office's counts (fold.ts), then the low-crowd alerts read the live
 * levels (alert-jobs.ts). In that order so that a round's alerts compare
 * with counts that include everything folded so far; the live level
 * itself reads raw events and does not wait for the fold.
 */
import type { Database } from '../database';
import { type AlertJobsContext, type AlertRoundReport, runAlertRound } from './alert-jobs';
import { type FoldResult, foldVisits } from './fold';

export interface AffluenceJobsReport {
  /** What the fold did, or why it failed (logged). */
  fold: FoldResult | { failed: string };
  alerts: AlertRoundReport;
}

/**
 * `now` is the cron's scheduled instant (worker/index.ts): readings 15
 * minutes apart on the clock, whatever the start-up delay of each run.
 */
export async function runAffluenceJobs(db: Database, now: Date, context: AlertJobsContext): Promise<AffluenceJobsReport> {
  let fold: AffluenceJobsReport['fold'];
  try {
    fold = await foldVisits(db, now);
  } catch (error) {
    // The alerts read raw arrivals and the counts already stored: a failed fold must not silence them.
    console.error('affluence fold failed:', error instanceof Error ? error.message : String(error));
    fold = { failed: error instanceof Error ? error.name : 'unknown' };
  }
  const alerts = await runAlertRound(db, now, context);
  return { fold, alerts };
}
