/**
 * @module
 * The low-crowd alert, as a pure state machine: one state per subscription
 * (a professional and an office), one `step` per reading of the office's
 * live level (histogram.ts: arrivals of the last 15 minutes on the scale of
 * the weekday's usual peak). The cron keeps the state and sends when told.
 *
 * The alert is sent at a reading when all of these hold:
 * - the level has stayed below LOW_LEVEL for at least LOW_FOR_MS: every
 *   reading since the first of the current low run was low, and that first
 *   one is LOW_FOR_MS old or more (the run is broken by a reading that is
 *   not low, by an unknown level, and by the office being closed, since an
 *   empty office before opening says nothing about the crowd);
 * - the alert is armed: never sent yet, or the level has risen above
 *   HIGH_LEVEL since it was last sent (hysteresis: a level hovering around
 *   the threshold sends one alert, not one per dip);
 * - nothing was sent on this local date yet;
 * - the office is open with at least MIN_TIME_LEFT_MS before it closes;
 * - it is not the person's quiet hours. A low run that began in quiet hours
 *   is not lost, and is not remembered either: when quiet hours end, the
 *   alert goes if the level is still low (and has been for 15 minutes), the
 *   office still open long enough and the rest holds; else never.
 */

/**
 * Below 30 % of the weekday's usual peak the office is quiet: where the
 * busiest quarter usually brings 10 arrivals, fewer than 3 in the last 15
 * minutes, a short wait even with a batch of parcels. Much lower would
 * mean an empty office at a small one, where one arrival is already 10 to
 * 20 points.
 */
export const LOW_LEVEL = 30;
/**
 * Re-arms above 55 %: past the middle of the usual range, clearly busy
 * again. The 25-point gap is wider than one arrival's swing at a small
 * office (10 to 20 points, see above), so a level wandering around 30 does
 * not send again at each dip.
 */
export const HIGH_LEVEL = 55;
/** Low for 15 minutes, one quarter: a single quiet reading is often a gap between two waves. */
export const LOW_FOR_MS = 15 * 60_000;
/** At least 30 minutes left: time to get there with the parcels and be served before closing. */
export const MIN_TIME_LEFT_MS = 30 * 60_000;

export interface AlertState {
  /** Sent never, or the level has been above HIGH_LEVEL since the last one. */
  armed: boolean;
  /** The first reading (ms) of the current run of low readings while open; null when not in one. */
  lowSince: number | null;
  /** Local date `YYYY-MM-DD` of the last alert sent. */
  lastSentDate: string | null;
}

export interface AlertReading {
  /** When (ms). */
  at: number;
  /** The live level; null when unknown (no reference histogram). */
  level: number | null;
  /** When the office closes (ms) if it is open now, else null. */
  openUntil: number | null;
  /** The person's quiet hours, now. */
  quiet: boolean;
  /** The office's local date of `at`, `YYYY-MM-DD`. */
  localDate: string;
}

export const INITIAL_ALERT_STATE: AlertState = { armed: true, lowSince: null, lastSentDate: null };

/** The next state after a reading, and whether to send the alert now. */
export function step(state: AlertState, reading: AlertReading): { state: AlertState; send: boolean } {
  const { at, level, openUntil, quiet, localDate } = reading;
  const open = openUntil !== null && openUntil > at;
  const low = open && level !== null && level < LOW_LEVEL;
  const lowSince = low ? (state.lowSince ?? at) : null;
  const armed = state.armed || (level !== null && level > HIGH_LEVEL);

  const send =
    low &&
    at - lowSince! >= LOW_FOR_MS &&
    armed &&
    state.lastSentDate !== localDate &&
    openUntil! - at >= MIN_TIME_LEFT_MS &&
    !quiet;

  return send
    ? { state: { armed: false, lowSince, lastSentDate: localDate }, send }
    : { state: { armed, lowSince, lastSentDate: state.lastSentDate }, send };
}
