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
  fold: FoldResult;
  alerts: AlertRoundReport;
}

export async function runAffluenceJobs(db: Database, now: Date, context: AlertJobsContext): Promise<AffluenceJobsReport> {
  const fold = await foldVisits(db, now);
  const alerts = await runAlertRound(db, now, context);
  return { fold, alerts };
}
