/**
 * The low-crowd alert: the examples, then random sequences of
 * readings against a simulation written from the rules in plain words
 * (looking back over the whole history at each reading, rather than keeping
 * a state).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AlertReading, type AlertState, HIGH_LEVEL, INITIAL_ALERT_STATE, LOW_FOR_MS, LOW_LEVEL, MIN_TIME_LEFT_MS, step,
} from '../../../worker/affluence/alert';

const MIN = 60_000;

interface Moment {
  /** `YYYY-MM-DD HH:MM` (the test's own clock; only order and distance matter). */
  when: string;
  level: number | null;
  /** Closing time `HH:MM` the same day, or null when closed. */
  closes?: string | null;
  quiet?: boolean;
}

const instant = (when: string) => Date.parse(`${when.replace(' ', 'T')}:00Z`);

function reading(m: Moment): AlertReading {
  const date = m.when.slice(0, 10);
  const closes = m.closes === undefined ? '19:00' : m.closes;
  return { at: instant(m.when), level: m.level, openUntil: closes === null ? null : instant(`${date} ${closes}`), quiet: m.quiet ?? false, localDate: date };
}

/** Runs the machine over the moments; returns when it sent. */
function run(moments: Moment[], state: AlertState = INITIAL_ALERT_STATE): string[] {
  const sent: string[] = [];
  for (const m of moments) {
    const out = step(state, reading(m));
    if (out.send) sent.push(m.when);
    state = out.state;
  }
  return sent;
}

/** Readings every 5 minutes from `from` (`YYYY-MM-DD HH:MM`) with these levels. */
function every5(from: string, levels: Array<number | null>, extra: Omit<Moment, 'when' | 'level'> = {}): Moment[] {
  const start = instant(from);
  return levels.map((level, i) => {
    const iso = new Date(start + i * 5 * MIN).toISOString();
    return { when: `${iso.slice(0, 10)} ${iso.slice(11, 16)}`, level, ...extra };
  });
}
const repeat = <T>(value: T, n: number): T[] => Array.from({ length: n }, () => value);

describe('the thresholds', () => {
  it('are those written down', () => {
    expect([LOW_LEVEL, HIGH_LEVEL, LOW_FOR_MS, MIN_TIME_LEFT_MS]).toEqual([30, 55, 15 * MIN, 30 * MIN]);
  });
});

describe('examples', () => {
  it('fires once, when the level has stayed low for 15 minutes', () => {
    expect(run(every5('2026-11-24 10:00', repeat(20, 24)))).toEqual(['2026-11-24 10:15']);
  });

  it('does not fire on a low spell shorter than 15 minutes', () => {
    expect(run(every5('2026-11-24 10:00', [20, 20, 20, 40, 20, 20, 20, 40]))).toEqual([]);
  });

  it('counts 30 as not low', () => {
    expect(run(every5('2026-11-24 10:00', repeat(30, 10)))).toEqual([]);
    expect(run(every5('2026-11-24 10:00', repeat(29, 10)))).toEqual(['2026-11-24 10:15']);
  });

  it('hysteresis: a dip, a rise to 45 and a dip again send nothing more; the next day, after a rise above 55, it fires again', () => {
    const day1 = every5('2026-11-24 10:00', [...repeat(20, 4), ...repeat(45, 4), ...repeat(20, 6)]);
    const day2 = every5('2026-11-25 10:00', [...repeat(60, 2), ...repeat(20, 4)]);
    expect(run([...day1, ...day2])).toEqual(['2026-11-24 10:15', '2026-11-25 10:25']);
  });

  it('hysteresis: without a rise above 55 since the last alert, the next day stays silent', () => {
    const day1 = every5('2026-11-24 10:00', [...repeat(20, 4), ...repeat(50, 4)]);
    const day2 = every5('2026-11-25 10:00', [...repeat(55, 2), ...repeat(20, 6)]); // 55 is not above 55
    expect(run([...day1, ...day2])).toEqual(['2026-11-24 10:15']);
  });

  it('at most one a day, even re-armed', () => {
    const day = every5('2026-11-24 10:00', [...repeat(20, 4), ...repeat(80, 3), ...repeat(20, 6)]);
    expect(run(day)).toEqual(['2026-11-24 10:15']);
  });

  it('never in quiet hours; when they end, fires if it is still low and all else holds', () => {
    const quietMorning = every5('2026-11-24 09:00', repeat(10, 12), { quiet: true }); // 09:00–09:55
    expect(run(quietMorning)).toEqual([]);
    // Still low at 10:00, low since 09:00: it goes at once.
    expect(run([...quietMorning, ...every5('2026-11-24 10:00', repeat(10, 4))])).toEqual(['2026-11-24 10:00']);
    // Busy again when quiet hours end: the quiet low spell is forgotten, a new one must last 15 minutes.
    expect(run([...quietMorning, ...every5('2026-11-24 10:00', [40, ...repeat(10, 6)])])).toEqual(['2026-11-24 10:20']);
    // Quiet all day: never.
    expect(run(every5('2026-11-24 09:00', repeat(10, 100), { quiet: true }))).toEqual([]);
  });

  it('never with less than 30 minutes left before closing', () => {
    // Closes at 12:00; low from 11:20: 15 minutes low at 11:35, but only 25 minutes left.
    expect(run(every5('2026-11-24 11:20', repeat(10, 8), { closes: '12:00' }))).toEqual([]);
    // Low from 11:15: at 11:30 exactly 30 minutes are left.
    expect(run(every5('2026-11-24 11:15', repeat(10, 8), { closes: '12:00' }))).toEqual(['2026-11-24 11:30']);
  });

  it('never while closed, and the empty office before opening is no low spell', () => {
    const night = every5('2026-11-24 08:00', repeat(0, 12), { closes: null });
    expect(run(night)).toEqual([]);
    expect(run([...night, ...every5('2026-11-24 09:00', repeat(0, 6))])).toEqual(['2026-11-24 09:15']);
  });

  it('an unknown level breaks a low spell and does not re-arm', () => {
    expect(run(every5('2026-11-24 10:00', [20, 20, null, 20, 20, 20, 20]))).toEqual(['2026-11-24 10:30']);
    const sent = every5('2026-11-24 10:00', repeat(20, 4));
    expect(run([...sent, ...every5('2026-11-25 10:00', [null, ...repeat(20, 6)])])).toEqual(['2026-11-24 10:15']);
  });

  it('keeps the state it is given: a subscription already alerted today stays silent', () => {
    const today: AlertState = { armed: true, lowSince: null, lastSentDate: '2026-11-24' };
    expect(run(every5('2026-11-24 10:00', repeat(20, 10)), today)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// The rules in plain words, applied to the whole history at each reading.

function simulate(readings: AlertReading[]): boolean[] {
  const sent: boolean[] = [];
  const isOpen = (r: AlertReading) => r.openUntil !== null && r.openUntil > r.at;
  const isLowAndOpen = (r: AlertReading) => isOpen(r) && r.level !== null && r.level < LOW_LEVEL;
  readings.forEach((r, i) => {
    // "The level has stayed below LOW for 15 minutes": go back over the unbroken low readings while open.
    let first = i;
    while (first > 0 && isLowAndOpen(readings[first - 1]!)) first--;
    const lowLongEnough = isLowAndOpen(r) && r.at - readings[first]!.at >= 15 * MIN;
    // "Re-arms only after the level rose above HIGH": since the last alert (or ever, if none).
    const lastSent = sent.lastIndexOf(true);
    const armed = lastSent === -1 || readings.slice(lastSent + 1, i + 1).some((x) => x.level !== null && x.level > HIGH_LEVEL);
    // "At most one per local day."
    const sentToday = readings.some((x, k) => k < i && sent[k] && x.localDate === r.localDate);
    // "Only while open with 30 minutes left at least"; "never during quiet hours".
    const timeLeft = isOpen(r) && r.openUntil! - r.at >= 30 * MIN;
    sent.push(lowLongEnough && armed && !sentToday && timeLeft && !r.quiet);
  });
  return sent;
}

/**
 * Readings a few minutes apart (sometimes hours, across days), with a level
 * that wanders (so that low spells, rises and dips come in runs and cross
 * both thresholds, exactly too), and runs of opening and of quiet hours.
 */
const readingsArb = fc
  .array(
    fc.record({
      gap: fc.oneof({ weight: 10, arbitrary: fc.integer({ min: 1, max: 15 }) }, { weight: 1, arbitrary: fc.integer({ min: 60, max: 20 * 60 }) }),
      move: fc.oneof(
        { weight: 12, arbitrary: fc.integer({ min: -15, max: 15 }).map((delta) => ({ delta })) },
        { weight: 3, arbitrary: fc.constantFrom(0, 20, 29, 30, 31, 45, 54, 55, 56, 80).map((to) => ({ to })) },
        { weight: 1, arbitrary: fc.constant('unknown' as const) },
      ),
      openFlip: fc.integer({ min: 0, max: 9 }), // one reading in ten opens or closes the office
      closesIn: fc.integer({ min: 1, max: 180 }),
      quietFlip: fc.integer({ min: 0, max: 9 }), // and one in ten starts or ends quiet hours
    }),
    { minLength: 20, maxLength: 200, size: 'max' },
  )
  .map((items) => {
    let at = Date.parse('2026-11-24T06:00:00Z');
    let level = 50;
    let open = true;
    let quiet = false;
    return items.map((item): AlertReading => {
      at += item.gap * MIN;
      if (item.openFlip === 0) open = !open;
      if (item.quietFlip === 0) quiet = !quiet;
      let shown: number | null = null;
      if (item.move !== 'unknown') {
        level = 'to' in item.move ? item.move.to : Math.min(100, Math.max(0, level + item.move.delta));
        shown = level;
      }
      return { at, level: shown, openUntil: open ? at + item.closesIn * MIN : null, quiet, localDate: new Date(at).toISOString().slice(0, 10) };
    });
  });

describe('random sequences against the rules in plain words', () => {
  it('sends exactly when the simulation does', () => {
    fc.assert(fc.property(readingsArb, (readings) => {
      let state = INITIAL_ALERT_STATE;
      const sent = readings.map((r) => {
        const out = step(state, r);
        state = out.state;
        return out.send;
      });
      expect(sent).toEqual(simulate(readings));
    }), { numRuns: 1000 });
  });

  it('sends at most once per local date, never in quiet hours, never with less than 30 minutes left', () => {
    fc.assert(fc.property(readingsArb, (readings) => {
      let state = INITIAL_ALERT_STATE;
      const dates = new Set<string>();
      for (const r of readings) {
        const out = step(state, r);
        state = out.state;
        if (!out.send) continue;
        expect(dates.has(r.localDate)).toBe(false);
        dates.add(r.localDate);
        expect(r.quiet).toBe(false);
        expect(r.openUntil! - r.at).toBeGreaterThanOrEqual(MIN_TIME_LEFT_MS);
        expect(r.level!).toBeLessThan(LOW_LEVEL);
      }
    }), { numRuns: 300 });
  });
});
