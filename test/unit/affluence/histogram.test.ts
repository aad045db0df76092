/**
 * The affluence histogram: examples worked by hand, then properties against
 * an oracle that reads local time with Intl directly (not through the hours
 * engine's clock) and counts in the plainest way, and the incremental
 * counting (batches, merges, blob) against counting everything at once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AffluenceCounts, addArrivals, decodeCounts, emptyCounts, encodeCounts, histogramOf, LIVE_WINDOW_MS, liveLevel, MIN_OBSERVATIONS, mergeCounts,
  observedDaysPerWeekday, usualLevel,
} from '../../../worker/affluence/histogram';

const MIN = 60_000;
const DAY = 86_400_000;
const PARIS = 'Europe/Paris';

/** `n` arrivals spread over one quarter starting at `iso` (a minute apart at most, all inside it). */
function burst(iso: string, n: number): number[] {
  const start = Date.parse(iso);
  return Array.from({ length: n }, (_, i) => start + Math.floor((i * 15 * MIN) / Math.max(n, 1)));
}

describe('a Paris office over two Tuesdays', () => {
  // Tuesdays 17 and 24 November 2026 (UTC+1): 09:00 local is 08:00Z.
  const arrivals = [
    ...burst('2026-11-17T08:00:00Z', 12), ...burst('2026-11-24T08:00:00Z', 12), // 09:00: 24 arrivals
    ...burst('2026-11-17T09:00:00Z', 6), ...burst('2026-11-24T09:00:00Z', 6), // 10:00: 12
    ...burst('2026-11-24T10:00:00Z', 4), // 11:00: 4 on one day only
  ];
  const counts = addArrivals(emptyCounts(), arrivals, PARIS);
  const histogram = histogramOf(counts);
  const tuesday = histogram.weekdays[1]!;
  const slot = (time: string) => tuesday.slots.find((s) => s.time === time)!;

  it('counts two observed Tuesdays and nothing else', () => {
    expect(observedDaysPerWeekday(counts)).toEqual([0, 2, 0, 0, 0, 0, 0]);
    expect(tuesday).toMatchObject({ weekday: 2, observedDays: 2, peakMean: 12 });
  });

  it('gives the mean per observed day, scaled to the peak quarter', () => {
    expect(slot('09:00')).toEqual({ time: '09:00', mean: 12, level: 100 });
    expect(slot('10:00')).toEqual({ time: '10:00', mean: 6, level: 50 });
    expect(slot('09:15')).toEqual({ time: '09:15', mean: null, level: null }); // no arrival: hidden too
  });

  it(`hides a quarter with fewer than ${MIN_OBSERVATIONS} arrivals, whatever its mean`, () => {
    expect(slot('11:00')).toEqual({ time: '11:00', mean: null, level: null });
    expect(histogramOf(counts, 4).weekdays[1]!.slots.find((s) => s.time === '11:00')).toEqual({ time: '11:00', mean: 2, level: 17 });
  });

  it('has 96 quarters per weekday, Monday first, and nothing on unobserved weekdays', () => {
    expect(histogram.weekdays.map((d) => d.weekday)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(histogram.weekdays.every((d) => d.slots.length === 96)).toBe(true);
    expect(tuesday.slots[0]!.time).toBe('00:00');
    expect(tuesday.slots[95]!.time).toBe('23:45');
    expect(histogram.weekdays[0]).toMatchObject({ observedDays: 0, peakMean: null });
    expect(histogram.weekdays[0]!.slots.every((s) => s.level === null)).toBe(true);
  });

  it('reads the usual level of the quarter containing an instant', () => {
    expect(usualLevel(histogram, new Date('2026-12-01T08:14:59Z'), PARIS)).toBe(100); // a Tuesday, 09:14
    expect(usualLevel(histogram, new Date('2026-12-01T09:05:00Z'), PARIS)).toBe(50);
    expect(usualLevel(histogram, new Date('2026-12-01T10:05:00Z'), PARIS)).toBeNull();
    expect(usualLevel(histogram, new Date('2026-12-02T08:05:00Z'), PARIS)).toBeNull(); // a Wednesday
  });

  it('scales the live level (arrivals in the last 15 minutes) with the same peak', () => {
    const at = Date.parse('2026-12-01T09:30:00Z'); // Tuesday 10:30
    const six = [at, at - MIN, at - 2 * MIN, at - 5 * MIN, at - 10 * MIN, at - 15 * MIN + 1];
    expect(liveLevel(histogram, six, at, PARIS)).toBe(50); // 6 of a usual peak of 12
    // The window is (at − 15 min, at]: its start and the future are out.
    expect(liveLevel(histogram, [...six, at - 15 * MIN, at + 1, at - 60 * MIN], at, PARIS)).toBe(50);
    expect(liveLevel(histogram, [], new Date(at), PARIS)).toBe(0);
    expect(liveLevel(histogram, burst('2026-12-01T09:15:00.001Z', 30), at, PARIS)).toBe(250); // busier than the peak: not capped
    expect(liveLevel(histogram, six, Date.parse('2026-12-02T09:30:00Z'), PARIS)).toBeNull(); // Wednesday: no reference
    expect(LIVE_WINDOW_MS).toBe(15 * MIN);
  });
});

describe('local time of the office', () => {
  it('counts in the office’s zone, not UTC', () => {
    // Monday 23 November 22:30Z is Tuesday 09:30 in Nouméa (UTC+11), Monday 19:30 in Cayenne (UTC−3).
    const at = burst('2026-11-23T22:30:00Z', 10);
    const noumea = histogramOf(addArrivals(emptyCounts(), at, 'Pacific/Noumea'));
    expect(noumea.weekdays[1]!.slots.find((s) => s.time === '09:30')!.level).toBe(100);
    const cayenne = histogramOf(addArrivals(emptyCounts(), at, 'America/Cayenne'));
    expect(cayenne.weekdays[0]!.slots.find((s) => s.time === '19:30')!.level).toBe(100);
  });

  it('follows summer time: the same UTC hour is a different local quarter in March and April', () => {
    const winter = addArrivals(emptyCounts(), burst('2026-03-24T08:00:00Z', 10), PARIS); // 09:00 CET
    const summer = addArrivals(emptyCounts(), burst('2026-03-31T08:00:00Z', 10), PARIS); // 10:00 CEST
    expect(histogramOf(winter).weekdays[1]!.slots[36]!.level).toBe(100); // 09:00
    expect(histogramOf(summer).weekdays[1]!.slots[40]!.level).toBe(100); // 10:00
  });

  it('refuses an instant that is not one', () => {
    expect(() => addArrivals(emptyCounts(), [Number.NaN], PARIS)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------
// Properties

const ZONES = ['Europe/Paris', 'Pacific/Noumea', 'America/Cayenne', 'Indian/Reunion', 'America/Miquelon'];
const WEEKDAY_NUMBER: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** Local date, ISO weekday and quarter of an instant, read straight from Intl. */
function intlLocal(zone: string) {
  const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return (t: number) => {
    const parts = Object.fromEntries(format.formatToParts(t).map((p) => [p.type, p.value]));
    return { date: `${parts.year}-${parts.month}-${parts.day}`, weekday: WEEKDAY_NUMBER[parts.weekday!]!, quarter: Math.floor((Number(parts.hour) * 60 + Number(parts.minute)) / 15) };
  };
}

/** The histogram by hand: group by local weekday and quarter, divide by the distinct dates of that weekday. */
function oracle(arrivals: number[], zone: string, min: number) {
  const local = intlLocal(zone);
  const dates = new Map<number, Set<string>>();
  const count = new Map<string, number>();
  for (const t of arrivals) {
    const { date, weekday, quarter } = local(t);
    if (!dates.has(weekday)) dates.set(weekday, new Set());
    dates.get(weekday)!.add(date);
    count.set(`${weekday}/${quarter}`, (count.get(`${weekday}/${quarter}`) ?? 0) + 1);
  }
  return [1, 2, 3, 4, 5, 6, 7].map((weekday) => {
    const days = dates.get(weekday)?.size ?? 0;
    const means = Array.from({ length: 96 }, (_, q) => {
      const n = count.get(`${weekday}/${q}`) ?? 0;
      return n > 0 && n >= min ? n / days : null;
    });
    const visible = means.filter((m): m is number => m !== null);
    const peak = visible.length ? Math.max(...visible) : null;
    return { days, peak, means, levels: means.map((m) => (m === null ? null : Math.round((m * 100) / peak!))) };
  });
}

/** Arrivals over a few weeks (around the time changes sometimes), bunched in a few hours so that quarters fill up. */
const arrivalsArb = fc.record({
  zone: fc.constantFrom(...ZONES),
  start: fc.constantFrom(Date.parse('2026-03-20T00:00:00Z'), Date.parse('2026-10-19T00:00:00Z'), Date.parse('2026-11-02T00:00:00Z')),
  arrivals: fc.array(fc.record({ day: fc.integer({ min: 0, max: 20 }), minute: fc.integer({ min: 0, max: 300 }), ms: fc.integer({ min: 0, max: MIN - 1 }) }), { maxLength: 600, size: 'max' }),
  hour: fc.integer({ min: 0, max: 23 }),
  min: fc.integer({ min: 0, max: 15 }),
}).map(({ zone, start, arrivals, hour, min }) => ({
  zone, min, arrivals: arrivals.map((a) => start + a.day * DAY + hour * 3_600_000 + a.minute * MIN + a.ms),
}));

/** Splits a list into consecutive batches at the given cut points. */
function batches<T>(list: T[], cuts: number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (list.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let from = 0;
  for (const p of [...points, list.length]) {
    out.push(list.slice(from, p));
    from = p;
  }
  return out;
}

const same = (a: AffluenceCounts, b: AffluenceCounts) => {
  expect([...a.arrivals]).toEqual([...b.arrivals]);
  expect([...a.observedDays]).toEqual([...b.observedDays]);
};

describe('properties', () => {
  it('histogramOf equals counting by hand, with local time read from Intl', () => {
    fc.assert(fc.property(arrivalsArb, ({ zone, min, arrivals }) => {
      const histogram = histogramOf(addArrivals(emptyCounts(), arrivals, zone), min);
      const expected = oracle(arrivals, zone, min);
      histogram.weekdays.forEach((day, w) => {
        expect(day.observedDays).toBe(expected[w]!.days);
        expect(day.peakMean).toBe(expected[w]!.peak);
        expect(day.slots.map((s) => s.mean)).toEqual(expected[w]!.means);
        expect(day.slots.map((s) => s.level)).toEqual(expected[w]!.levels);
      });
    }), { numRuns: 200 });
  });

  it('the peak is 100, every level is within 0–100, a hidden quarter shows nothing', () => {
    fc.assert(fc.property(arrivalsArb, ({ zone, min, arrivals }) => {
      for (const day of histogramOf(addArrivals(emptyCounts(), arrivals, zone), min).weekdays) {
        const levels = day.slots.map((s) => s.level).filter((l): l is number => l !== null);
        if (day.peakMean !== null) expect(Math.max(...levels)).toBe(100);
        for (const s of day.slots) {
          expect((s.mean === null) === (s.level === null)).toBe(true);
          if (s.level !== null) expect(s.level >= 0 && s.level <= 100).toBe(true);
        }
      }
    }), { numRuns: 100 });
  });

  it('counting in batches, in any order, or merging counts gives the counts of everything at once', () => {
    fc.assert(fc.property(arrivalsArb, fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), ({ zone, arrivals }, cuts, reverse) => {
      const whole = addArrivals(emptyCounts(), arrivals, zone);
      const parts = batches(reverse ? [...arrivals].reverse() : arrivals, cuts);
      same(parts.reduce((counts, batch) => addArrivals(counts, batch, zone), emptyCounts()), whole);
      const separately = parts.map((batch) => addArrivals(emptyCounts(), batch, zone));
      same(separately.reduce(mergeCounts, emptyCounts()), whole);
      same(separately.reduceRight((acc, c) => mergeCounts(c, acc), emptyCounts()), whole);
    }), { numRuns: 150 });
  });

  it('does not change the counts it is given', () => {
    const before = addArrivals(emptyCounts(), burst('2026-11-24T08:00:00Z', 12), PARIS);
    const copy = { arrivals: before.arrivals.slice(), observedDays: before.observedDays.slice() };
    addArrivals(before, burst('2026-11-25T08:00:00Z', 12), PARIS);
    mergeCounts(before, before);
    same(before, copy);
  });

  it('stores as one blob and reads back the same', () => {
    fc.assert(fc.property(arrivalsArb, ({ zone, arrivals }) => {
      const counts = addArrivals(emptyCounts(), arrivals, zone);
      const blob = encodeCounts(counts);
      expect(blob.byteLength).toBe(4 * (2 + 672 + counts.observedDays.length));
      same(decodeCounts(blob), counts);
    }), { numRuns: 50 });
    expect(() => decodeCounts(new Uint8Array(10))).toThrow(RangeError);
    expect(() => decodeCounts(encodeCounts(emptyCounts()).slice(0, 100))).toThrow(RangeError);
  });
});

describe('cost', () => {
  it('folds a year of one busy office in batches, for the record', () => {
    // 365 days × 400 arrivals, in batches of 5,000 as the cron would read them.
    const start = Date.parse('2026-01-01T07:00:00Z');
    const perDay = 400;
    let counts = emptyCounts();
    const began = performance.now();
    let batch: number[] = [];
    for (let day = 0; day < 365; day++) {
      for (let i = 0; i < perDay; i++) {
        batch.push(start + day * DAY + Math.floor((i * 10 * 3_600_000) / perDay));
        if (batch.length === 5000) {
          counts = addArrivals(counts, batch, PARIS);
          batch = [];
        }
      }
    }
    counts = addArrivals(counts, batch, PARIS);
    const elapsed = performance.now() - began;
    const total = 365 * perDay;
    console.info(`addArrivals: ${total} arrivals in ${elapsed.toFixed(0)} ms (${((elapsed * 1e6) / total).toFixed(0)} ns each)`);
    expect(counts.arrivals.reduce((a, b) => a + b, 0)).toBe(total);
    expect(counts.observedDays.length).toBe(365);
    expect(elapsed).toBeLessThan(20_000);
  });
});
