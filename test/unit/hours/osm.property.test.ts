import fc from 'fast-check';
import opening_hours from 'opening_hours';
import { describe, expect, it } from 'vitest';
import { statusAt } from '../../../worker/hours/engine';
import type { Schedule } from '../../../worker/hours/model';
import { toOpeningHours } from '../../../worker/hours/osm';
import { validateException, validateWeekly } from '../../../worker/hours/validate';
import { DAY_MS, formatDay, formatTime, instantAt, localParts, parseDay } from '../../../worker/hours/zoned-time';
import { scheduleArb } from './arbitraries';

/**
 * THE property: the OpenStreetMap string we export says what our engine says,
 * according to the reference evaluator (`opening_hours` on npm), at instants
 * all over the horizon, across DST changes, overnight intervals, holidays and
 * exceptions, in metropolitan, Alsace-Moselle, overseas and Monaco zones.
 */

/** More runs for a soak: `HOURS_PROPERTY_RUNS=5000 npx vitest run --project unit test/unit/hours/osm`. */
const RUNS = Number(process.env.HOURS_PROPERTY_RUNS ?? 120);
const FIRST = parseDay('2026-01-01');
const YEARS = 3;
/** DST changes the horizons are pulled towards (Paris/Monaco: last Sundays of March and October; Miquelon: 2nd Sunday of March, 1st of November). */
const DST_DAYS = ['2026-03-29', '2026-10-25', '2027-03-28', '2027-10-31', '2026-03-08', '2026-11-01', '2027-03-14', '2027-11-07'].map(parseDay);

/** The evaluator reads dates in the process's zone: run it inside the schedule's. */
function inZone<T>(zone: string, run: () => T): T {
  const saved = process.env.TZ;
  process.env.TZ = zone;
  try {
    return run();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

/**
 * True during the second pass of an hour repeated when clocks fall back: a
 * wall-clock format cannot tell it from the first, and Guichet resolves a
 * boundary there to the first (documented limit of the export).
 */
function inRepeatedHour(ms: number, zone: string): boolean {
  const local = localParts(ms, zone);
  const first = instantAt(local.date, formatTime(local.minutes), zone).getTime();
  return first !== ms - (ms % 60_000);
}

const caseArb = fc
  .record({
    nearDst: fc.boolean(),
    dstIndex: fc.integer({ min: 0, max: DST_DAYS.length - 1 }),
    lead: fc.integer({ min: 0, max: 20 }),
    randomDay: fc.integer({ min: 0, max: 365 * YEARS }),
    fromMinute: fc.integer({ min: 0, max: 1439 }),
    horizonDays: fc.integer({ min: 30, max: 75 }),
  })
  .chain((c) => {
    const firstDay = c.nearDst ? DST_DAYS[c.dstIndex] - c.lead : FIRST + c.randomDay;
    return fc.record({
      firstDay: fc.constant(firstDay),
      fromMinute: fc.constant(c.fromMinute),
      horizonDays: fc.constant(c.horizonDays),
      schedule: scheduleArb(firstDay, c.horizonDays),
      // Local probes: a day of the horizon, a quarter hour, a minute either side.
      probes: fc.array(
        fc.record({ day: fc.integer({ min: 0, max: c.horizonDays }), quarter: fc.integer({ min: 0, max: 95 }), delta: fc.constantFrom(-1, 0, 0, 1, 7) }),
        { minLength: 40, maxLength: 40 },
      ),
      randomOffsets: fc.array(fc.integer({ min: 0, max: c.horizonDays * DAY_MS - 1 }), { minLength: 20, maxLength: 20 }),
    });
  });

describe('OpenStreetMap export against the reference evaluator', () => {
  it('generated schedules are valid (the generator itself is checked)', () => {
    fc.assert(
      fc.property(scheduleArb(FIRST, 60), (schedule: Schedule) => {
        expect(validateWeekly(schedule.weekly)).toEqual([]);
        for (const e of schedule.exceptions) expect(validateException(e, formatDay(FIRST - 10))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('opening_hours(toOpeningHours(s)).getState(t) === statusAt(s, t).open over the horizon', () => {
    fc.assert(
      fc.property(caseArb, ({ firstDay, fromMinute, horizonDays, schedule, probes, randomOffsets }) => {
        const zone = schedule.timeZone;
        const from = instantAt(formatDay(firstDay), formatTime(fromMinute), zone).getTime();
        const end = from + horizonDays * DAY_MS;
        const value = toOpeningHours(schedule, new Date(from), horizonDays);

        const instants = [
          ...randomOffsets.map((offset) => from + offset),
          ...probes.map((p) => instantAt(formatDay(firstDay + p.day), formatTime(p.quarter * 15), zone).getTime() + p.delta * 60_000),
          // Every quarter hour of the night around the nearest DST change, when there is one.
          ...DST_DAYS.filter((d) => d >= firstDay && d <= firstDay + horizonDays).flatMap((d) =>
            Array.from({ length: 24 }, (_, q) => instantAt(formatDay(d), formatTime(q * 15), zone).getTime() - 60_000 + (q % 3) * 60_000),
          ),
        ].filter((t) => t >= from && t < end && !inRepeatedHour(t, zone));

        inZone(zone, () => {
          const evaluator = new opening_hours(value, null);
          for (const t of instants) {
            const at = new Date(t);
            const ours = statusAt(schedule, at).open;
            const theirs = evaluator.getState(at);
            if (ours !== theirs) {
              throw new Error(`${value}\nat ${at.toISOString()} (${zone}, local ${JSON.stringify(localParts(at, zone))}): engine ${ours}, opening_hours ${theirs}`);
            }
          }
        });
      }),
      { numRuns: RUNS },
    );
  }, 5_000 + RUNS * 50);
});
