/**
 * Slots from an office's real hours. Examples worked by hand (Paris, an
 * overnight opening, time changes, overseas zones), then properties over
 * random schedules whose oracle of "open" is the hours engine's own
 * `statusAt`, and a brute-force walk minute by minute for completeness.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { compileSchedule, spansOn, statusAt } from '../../../worker/hours/engine';
import type { HoursException, Schedule, Weekday, WeeklyRule } from '../../../worker/hours/model';
import { addDays, DAY_MS, formatDay, instantAt, localParts, parseDay } from '../../../worker/hours/zoned-time';
import { findDepartment } from '../../../worker/locations/departments';
import {
  BOOKING_HORIZON_DAYS, nearestSlots, type Slot, SLOT_MINUTES, SLOT_REFUSAL_LABELS, slotRefusal, slotsOf,
} from '../../../worker/bookings/slots';
import { scheduleArb } from '../hours/arbitraries';

// Count the engine's work per listing (the rest of the engine is the real one).
vi.mock('../../../worker/hours/engine', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../worker/hours/engine')>();
  return { ...real, compileSchedule: vi.fn(real.compileSchedule), spansOn: vi.fn(real.spansOn) };
});

const MIN = 60_000;
const every = (days: number[], opens: string, closes: string): WeeklyRule[] => days.map((day) => ({ day: day as Weekday, opens, closes }));

function schedule(weekly: WeeklyRule[], exceptions: HoursException[] = [], department = '75'): Schedule {
  return { timeZone: findDepartment(department)!.timeZone, department, weekly, exceptions, openOnHolidays: false };
}

function exception(startDate: string, endDate: string | null, intervals: Array<[string, string]> | 'closed'): HoursException {
  const closed = intervals === 'closed';
  return {
    id: `ex-${startDate}`, startDate, endDate, closed,
    intervals: closed ? [] : intervals.map(([opens, closes]) => ({ opens, closes })),
    reason: closed ? 'works' : 'holiday_schedule', note: null,
  };
}

const PARIS = 'Europe/Paris';
const at = (date: string, time: string, zone = PARIS) => instantAt(date, time, zone);
const ms = (date: string, time: string, zone = PARIS) => at(date, time, zone).getTime();
const times = (slots: Slot[], date?: string) => slots.filter((s) => date === undefined || s.date === date).map((s) => s.time);
const quarterTimes = (from: string, count: number, step = 15) => {
  const [h, m] = from.split(':').map(Number);
  return Array.from({ length: count }, (_, i) => {
    const minutes = h! * 60 + m! + i * step;
    return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  });
};

/** A post office: weekdays 09:00–12:00 and 14:00–17:30, Saturday morning. */
const OFFICE = schedule([...every([1, 2, 3, 4, 5], '09:00', '12:00'), ...every([1, 2, 3, 4, 5], '14:00', '17:30'), ...every([6], '09:00', '12:00')]);
/** Tuesday 24 November 2026, 08:00 in Paris. */
const TUESDAY_8AM = at('2026-11-24', '08:00');

describe('slots of a post office (Paris)', () => {
  it('lists 30-minute slots on the quarter hours, each wholly inside an opening', () => {
    const slots = slotsOf(OFFICE, 30, TUESDAY_8AM, 1);
    // 09:00…11:30 (not 11:45: it would end after noon), 14:00…17:00 (17:00 ends at 17:30 sharp).
    expect(times(slots)).toEqual([...quarterTimes('09:00', 11), ...quarterTimes('14:00', 13)]);
    expect(slots[0]).toEqual({ startsAt: Date.parse('2026-11-24T08:00:00Z'), endsAt: Date.parse('2026-11-24T08:30:00Z'), date: '2026-11-24', time: '09:00' });
    expect(slots.every((s) => s.endsAt - s.startsAt === 30 * MIN)).toBe(true);
  });

  it('lists 15-minute slots up to the last quarter before closing', () => {
    expect(times(slotsOf(OFFICE, 15, TUESDAY_8AM, 1))).toEqual([...quarterTimes('09:00', 12), ...quarterTimes('14:00', 14)]);
  });

  it('lists only slots that start after now: one under way is past', () => {
    expect(times(slotsOf(OFFICE, 15, at('2026-11-24', '09:10'), 1))[0]).toBe('09:15');
    expect(times(slotsOf(OFFICE, 15, at('2026-11-24', '09:00'), 1))[0]).toBe('09:15'); // starting this very instant: past
    expect(times(slotsOf(OFFICE, 15, new Date(ms('2026-11-24', '09:00') - 1), 1))[0]).toBe('09:00');
    expect(slotsOf(OFFICE, 15, at('2026-11-24', '17:15'), 1)).toEqual([]);
  });

  it('has none on Sunday, on a public holiday, or during a closure; special hours give theirs', () => {
    const fortnight = slotsOf(OFFICE, 30, TUESDAY_8AM, 14);
    const dates = new Set(fortnight.map((s) => s.date));
    expect(dates.has('2026-11-29')).toBe(false); // Sunday
    expect(dates.has('2026-11-28')).toBe(true); // Saturday morning
    expect(times(fortnight, '2026-11-28')).toEqual(quarterTimes('09:00', 11));

    const christmas = slotsOf(OFFICE, 30, at('2026-12-21', '08:00'), 7);
    expect(times(christmas, '2026-12-25')).toEqual([]); // Noël

    const special = schedule(OFFICE.weekly, [exception('2026-11-25', '2026-11-26', 'closed'), exception('2026-11-27', '2026-11-27', [['10:00', '11:00']])]);
    const week = slotsOf(special, 30, TUESDAY_8AM, 7);
    expect(times(week, '2026-11-25')).toEqual([]);
    expect(times(week, '2026-11-26')).toEqual([]);
    expect(times(week, '2026-11-27')).toEqual(['10:00', '10:15', '10:30']);
  });

  it('treats openings that touch as one: a slot may straddle them', () => {
    const allDay = schedule([...every([2], '09:00', '12:00'), ...every([2], '12:00', '14:00')]);
    expect(times(slotsOf(allDay, 30, TUESDAY_8AM, 1))).toContain('11:45');
    expect(times(slotsOf(allDay, 30, TUESDAY_8AM, 1))).not.toContain('13:45');
  });

  it('lists 4 weeks by default, today included, sorted by start', () => {
    const slots = slotsOf(OFFICE, 30, TUESDAY_8AM);
    expect(BOOKING_HORIZON_DAYS).toBe(28);
    expect(slots[0]!.date).toBe('2026-11-24');
    expect(slots.at(-1)!.date).toBe('2026-12-21'); // the 28th day (a Monday)
    expect(slots.every((s, i) => i === 0 || slots[i - 1]!.startsAt < s.startsAt)).toBe(true);
    // 24 Nov → 21 Dec: 20 weekdays (no public holiday among them) of 11 + 13 slots, 4 Saturdays of 11.
    expect(slots.length).toBe(20 * 24 + 4 * 11);
  });
});

describe('overnight openings belong to the day they start on', () => {
  // Thursday 24 December 2026 22:00 → 02:00; Friday 25 is Christmas (closed).
  const night = schedule(every([4], '22:00', '26:00'));

  it('gives slots after midnight, dated by the wall clock, even when the next day is a holiday', () => {
    const slots = slotsOf(night, 60, at('2026-12-24', '12:00'), 2);
    expect(slots.map((s) => `${s.date} ${s.time}`)).toEqual([
      '2026-12-24 22:00', '2026-12-24 22:15', '2026-12-24 22:30', '2026-12-24 22:45', '2026-12-24 23:00',
      '2026-12-24 23:15', '2026-12-24 23:30', '2026-12-24 23:45', '2026-12-25 00:00', '2026-12-25 00:15',
      '2026-12-25 00:30', '2026-12-25 00:45', '2026-12-25 01:00',
    ]);
  });

  it('gives none after midnight when the opening day is closed', () => {
    const closedThursday = schedule(night.weekly, [exception('2026-12-24', '2026-12-24', 'closed')]);
    expect(slotsOf(closedThursday, 15, at('2026-12-24', '12:00'), 2)).toEqual([]);
  });

  it('chains with the next day’s opening at midnight', () => {
    const chained = schedule([...every([2], '20:00', '24:00'), ...every([3], '00:00', '01:00')]);
    const slots = slotsOf(chained, 60, TUESDAY_8AM, 2);
    expect(slots.map((s) => `${s.date} ${s.time}`)).toContain('2026-11-24 23:45');
    expect(slots.map((s) => `${s.date} ${s.time}`).at(-1)).toBe('2026-11-25 00:00');
  });

  it('keeps yesterday’s overnight opening on the first day of the horizon', () => {
    const slots = slotsOf(night, 30, at('2026-12-25', '00:20'), 1);
    expect(times(slots)).toEqual(['00:30', '00:45', '01:00', '01:15', '01:30']);
  });
});

describe('summer and winter time (Europe/Paris)', () => {
  const nightShift = (date: string) => schedule([], [exception(date, date, [['00:00', '06:00']])]);

  it('has no slot in the hour skipped in March; a slot across it lasts its real minutes', () => {
    const slots = slotsOf(nightShift('2026-03-29'), 15, at('2026-03-28', '12:00'), 2);
    expect(times(slots)).toEqual([...quarterTimes('00:00', 8), ...quarterTimes('03:00', 12)]);
    const across = slotsOf(nightShift('2026-03-29'), 30, at('2026-03-28', '12:00'), 2).find((s) => s.time === '01:45')!;
    expect(new Date(across.startsAt).toISOString()).toBe('2026-03-29T00:45:00.000Z');
    expect(localParts(across.endsAt, PARIS).minutes).toBe(3 * 60 + 15); // ends 03:15 CEST, 30 minutes later
  });

  it('has the repeated hour of October twice, as two sets of instants', () => {
    const slots = slotsOf(nightShift('2026-10-25'), 15, at('2026-10-24', '12:00'), 2);
    expect(times(slots)).toEqual([...quarterTimes('00:00', 8), ...quarterTimes('02:00', 4), ...quarterTimes('02:00', 4), ...quarterTimes('03:00', 12)]);
    const twice = slots.filter((s) => s.time === '02:15');
    expect(twice.map((s) => new Date(s.startsAt).toISOString())).toEqual(['2026-10-25T00:15:00.000Z', '2026-10-25T01:15:00.000Z']);
  });
});

describe('overseas offices, in their own zone', () => {
  const weekdays = (department: string) => schedule(every([1, 2, 3, 4, 5], '09:00', '12:00'), [], department);

  it.each([
    ['973', 'America/Cayenne', '2026-11-24T12:00:00.000Z'], // UTC−3
    ['974', 'Indian/Reunion', '2026-11-24T05:00:00.000Z'], // UTC+4
    ['988', 'Pacific/Noumea', '2026-11-23T22:00:00.000Z'], // UTC+11: Tuesday 09:00 is still Monday in UTC
  ])('%s (%s): Tuesday 09:00 local is %s', (department, zone, first) => {
    expect(findDepartment(department)!.timeZone).toBe(zone);
    const now = at('2026-11-24', '07:00', zone);
    const slots = slotsOf(weekdays(department), 60, now, 1);
    expect(new Date(slots[0]!.startsAt).toISOString()).toBe(first);
    expect(slots.map((s) => `${s.date} ${s.time}`)).toEqual(['2026-11-24 09:00', '2026-11-24 09:15', '2026-11-24 09:30', '2026-11-24 09:45', '2026-11-24 10:00', '2026-11-24 10:15', '2026-11-24 10:30', '2026-11-24 10:45', '2026-11-24 11:00']);
  });

  it('counts the horizon in the office’s days, not the server’s', () => {
    // 21:00 UTC on Monday is already Tuesday 08:00 in Nouméa: today is Tuesday there.
    const slots = slotsOf(weekdays('988'), 60, new Date('2026-11-23T21:00:00Z'), 1);
    expect(new Set(slots.map((s) => s.date))).toEqual(new Set(['2026-11-24']));
  });
});

describe('slotRefusal', () => {
  const now = TUESDAY_8AM;
  it.each([
    ['a free quarter of the morning', ms('2026-11-24', '09:15'), 30, undefined],
    ['the last 30 minutes before noon', ms('2026-11-24', '11:30'), 30, undefined],
    ['30 minutes that would end after noon', ms('2026-11-24', '11:45'), 30, 'closed'],
    ['lunch', ms('2026-11-24', '12:30'), 15, 'closed'],
    ['a Sunday', ms('2026-11-29', '10:00'), 15, 'closed'],
    ['now itself', ms('2026-11-24', '08:00'), 15, 'past'],
    ['yesterday', ms('2026-11-23', '10:00'), 15, 'past'],
    ['five past nine', ms('2026-11-24', '09:05'), 15, 'off_grid'],
    ['half a minute past nine', ms('2026-11-24', '09:00') + 30_000, 15, 'off_grid'],
    ['the 28th day', ms('2026-12-21', '09:00'), 15, undefined],
    ['the 29th day', ms('2026-12-22', '09:00'), 15, 'beyond_horizon'],
    ['not a number', Number.NaN, 15, 'off_grid'],
  ] as const)('%s', (_, startsAt, duration, expected) => {
    expect(slotRefusal(OFFICE, duration, startsAt, now)).toBe(expected);
  });

  it('has a French label for every refusal', () => {
    for (const label of Object.values(SLOT_REFUSAL_LABELS)) expect(label).toMatch(/^[A-ZÀ-Ý].+\.$/u);
    expect(SLOT_REFUSAL_LABELS.beyond_horizon).toContain('4 prochaines semaines');
  });

  it('refuses a duration that is not a positive whole number of minutes', () => {
    expect(() => slotsOf(OFFICE, 0, now)).toThrow(RangeError);
    expect(() => slotRefusal(OFFICE, 12.5, ms('2026-11-24', '09:00'), now)).toThrow(RangeError);
  });
});

describe('nearestSlots', () => {
  const slots = slotsOf(OFFICE, 30, TUESDAY_8AM, 2);
  const byTime = (date: string, time: string) => slots.find((s) => s.date === date && s.time === time)!;

  it('gives the 3 free slots nearest the wanted one, nearest first, the earlier on a tie', () => {
    const wanted = ms('2026-11-24', '10:00');
    const full = new Set([wanted]);
    const nearest = nearestSlots(slots, wanted, (s) => !full.has(s.startsAt));
    expect(nearest.map((s) => s.time)).toEqual(['09:45', '10:15', '09:30']);
  });

  it('crosses lunch and days when it must, and gives fewer when fewer are free', () => {
    const wanted = ms('2026-11-24', '17:00');
    const free = new Set([byTime('2026-11-24', '09:00'), byTime('2026-11-25', '09:00')]);
    expect(nearestSlots(slots, wanted, (s) => free.has(s))).toEqual([byTime('2026-11-24', '09:00'), byTime('2026-11-25', '09:00')]); // 8 h before, 16 h after
    expect(nearestSlots(slots, wanted, () => false)).toEqual([]);
    expect(nearestSlots(slots, wanted, () => true, 1)).toEqual([byTime('2026-11-24', '17:00')]);
  });
});

describe('cost: one listing compiles the schedule once and reads each day once', () => {
  beforeEach(() => {
    vi.mocked(compileSchedule).mockClear();
    vi.mocked(spansOn).mockClear();
  });

  it('4 weeks of 15-minute slots', () => {
    const allWeek = schedule([...every([1, 2, 3, 4, 5, 6, 7], '08:00', '12:00'), ...every([1, 2, 3, 4, 5, 6, 7], '13:00', '20:00')]);
    const slots = slotsOf(allWeek, 15, TUESDAY_8AM);
    expect(slots.length).toBeGreaterThan(28 * 40);
    expect(vi.mocked(compileSchedule)).toHaveBeenCalledTimes(1);
    // The horizon, the day before (overnight openings) and two after (a late slot's end).
    expect(vi.mocked(spansOn).mock.calls.length).toBeLessThanOrEqual(BOOKING_HORIZON_DAYS + 3);

    vi.mocked(compileSchedule).mockClear();
    slotRefusal(allWeek, 15, slots[500]!.startsAt, TUESDAY_8AM);
    expect(vi.mocked(compileSchedule)).toHaveBeenCalledTimes(1);

    // A figure for the record, with a bound no machine should reach (no flaky timing).
    const started = performance.now();
    const runs = 50;
    for (let i = 0; i < runs; i++) slotsOf(allWeek, 15, new Date(TUESDAY_8AM.getTime() + i * 3_600_000));
    const perListing = (performance.now() - started) / runs;
    console.info(`slotsOf, 4 weeks × ${slots.length} slots: ${perListing.toFixed(2)} ms per listing`);
    expect(perListing).toBeLessThan(100);
  });
});

// ---------------------------------------------------------------------------
// Properties: the engine's statusAt is the oracle of "open".

const BASES = ['2026-03-26', '2026-10-22', '2026-11-23', '2027-03-25', '2026-03-05', '2026-10-29'].map(parseDay);
const DURATIONS = [15, 20, 30, 45, 60, 90, 120];

const caseArb = fc
  .record({
    base: fc.constantFrom(...BASES),
    lead: fc.integer({ min: 0, max: 4 }),
    nowMs: fc.oneof(fc.integer({ min: 0, max: DAY_MS - 1 }), fc.integer({ min: 0, max: 95 }).map((q) => q * 15 * MIN)),
    duration: fc.constantFrom(...DURATIONS),
    days: fc.integer({ min: 1, max: 3 }),
  })
  .chain((c) => fc.record({ schedule: scheduleArb(c.base, 10), c: fc.constant(c) }))
  .map(({ schedule, c }) => {
    // `now` on a local day of the schedule's zone (a wall time, possibly on the grid exactly).
    const nowDate = formatDay(c.base + c.lead);
    const now = new Date(instantAt(nowDate, '00:00', schedule.timeZone).getTime() + c.nowMs);
    return { schedule, now, duration: c.duration, days: c.days };
  });

/** The oracle: open according to the engine, memoised per instant. */
function openOracle(schedule: Schedule) {
  const memo = new Map<number, boolean>();
  return (t: number) => {
    let open = memo.get(t);
    if (open === undefined) memo.set(t, (open = statusAt(schedule, new Date(t)).open));
    return open;
  };
}

/**
 * Every minute from `now` on, in plain terms: on the local quarter hour, after
 * now, its local date within the horizon, and open at its start, at every
 * quarter inside, and at its last millisecond. (The arbitrary schedules change
 * only on local quarter hours, so these points see every change.)
 */
function bruteForceSlots(schedule: Schedule, now: Date, duration: number, days: number): number[] {
  const open = openOracle(schedule);
  const zone = schedule.timeZone;
  const firstDate = localParts(now, zone).date;
  const lastDate = addDays(firstDate, days - 1);
  const out: number[] = [];
  const from = Math.floor(now.getTime() / MIN) * MIN;
  const to = instantAt(addDays(lastDate, 1), '00:00', zone).getTime() + 2 * 3_600_000;
  for (let t = from; t <= to; t += MIN) {
    if (t <= now.getTime()) continue;
    const local = localParts(t, zone);
    if (local.minutes % SLOT_MINUTES !== 0 || local.date < firstDate || local.date > lastDate) continue;
    const end = t + duration * MIN;
    let wholly = open(end - 1);
    for (let q = t; wholly && q < end; q += 15 * MIN) wholly = open(q);
    if (wholly) out.push(t);
  }
  return out;
}

describe('properties over random schedules (statusAt as the oracle)', () => {
  it('every slot is open throughout, on the grid, after now, labelled with its local date and time', () => {
    fc.assert(fc.property(caseArb, ({ schedule, now, duration, days }) => {
      const open = openOracle(schedule);
      for (const slot of slotsOf(schedule, duration, now, days)) {
        expect(slot.startsAt).toBeGreaterThan(now.getTime());
        expect(slot.endsAt - slot.startsAt).toBe(duration * MIN);
        const local = localParts(slot.startsAt, schedule.timeZone);
        expect(local.minutes % 15).toBe(0);
        expect(slot.startsAt % MIN).toBe(0);
        expect(`${slot.date} ${slot.time}`).toBe(`${local.date} ${String(Math.floor(local.minutes / 60)).padStart(2, '0')}:${String(local.minutes % 60).padStart(2, '0')}`);
        for (let q = slot.startsAt; q < slot.endsAt; q += 15 * MIN) expect(open(q), new Date(q).toISOString()).toBe(true);
        expect(open(slot.endsAt - 1)).toBe(true);
      }
    }), { numRuns: 150 });
  });

  it('every wholly open candidate on the grid within the horizon is listed, in order (completeness)', () => {
    fc.assert(fc.property(caseArb, ({ schedule, now, duration, days }) => {
      expect(slotsOf(schedule, duration, now, days).map((s) => s.startsAt)).toEqual(bruteForceSlots(schedule, now, duration, days));
    }), { numRuns: 120 });
  });

  it('slotRefusal refuses exactly what slotsOf leaves out, and says why', () => {
    fc.assert(fc.property(caseArb, fc.array(fc.integer({ min: -DAY_MS, max: 5 * DAY_MS }), { minLength: 20, maxLength: 20 }), ({ schedule, now, duration, days }, offsets) => {
      const listed = new Set(slotsOf(schedule, duration, now, days).map((s) => s.startsAt));
      const zone = schedule.timeZone;
      const lastDate = addDays(localParts(now, zone).date, days - 1);
      // Listed ones, random instants, and random instants rounded to the minute and to the quarter.
      const candidates = [...listed, ...offsets.flatMap((o) => [now.getTime() + o, Math.round((now.getTime() + o) / MIN) * MIN, Math.round((now.getTime() + o) / (15 * MIN)) * 15 * MIN])];
      for (const t of candidates) {
        const refusal = slotRefusal(schedule, duration, t, now, days);
        expect(refusal === undefined, new Date(t).toISOString()).toBe(listed.has(t));
        if (t <= now.getTime()) expect(refusal).toBe('past');
        else if (localParts(t, zone).date > lastDate) expect(refusal).toBe('beyond_horizon');
        else if (t % MIN !== 0 || localParts(t, zone).minutes % 15 !== 0) expect(refusal).toBe('off_grid');
        else if (!listed.has(t)) expect(refusal).toBe('closed');
      }
    }), { numRuns: 120 });
  });

  it('nearestSlots equals picking, one at a time, the free slot nearest in time (earlier on a tie)', () => {
    fc.assert(fc.property(caseArb, fc.integer({ min: -DAY_MS, max: 4 * DAY_MS }), fc.integer({ min: 0, max: 6 }), fc.integer(), ({ schedule, now, duration, days }, offset, count, seed) => {
      const slots = slotsOf(schedule, duration, now, days);
      const isFree = (s: Slot) => ((Math.imul(s.startsAt / MIN, 0x9e3779b1) ^ seed) >>> 0) % 3 !== 0;
      // Sometimes wanted is exactly between two slots, to exercise the tie.
      const wanted = offset % 2 === 0 && slots.length > 1 ? (slots[0]!.startsAt + slots[1]!.startsAt) / 2 : now.getTime() + offset;
      const expected: Slot[] = [];
      const left = slots.filter(isFree);
      while (expected.length < count && left.length > 0) {
        let best = 0;
        for (let i = 1; i < left.length; i++) {
          const d = Math.abs(left[i]!.startsAt - wanted);
          const bestD = Math.abs(left[best]!.startsAt - wanted);
          if (d < bestD || (d === bestD && left[i]!.startsAt < left[best]!.startsAt)) best = i;
        }
        expected.push(left.splice(best, 1)[0]!);
      }
      expect(nearestSlots(slots, wanted, isFree, count)).toEqual(expected);
    }), { numRuns: 150 });
  });
});
