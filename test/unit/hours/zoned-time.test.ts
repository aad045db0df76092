import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEPARTMENTS } from '../../../worker/locations/departments';
import {
  addDays,
  formatTime,
  instantAt,
  isValidDate,
  localParts,
  parseTime,
  weekdayOfDate,
} from '../../../worker/hours/zoned-time';

const iso = (date: Date) => date.toISOString();

/** Local wall clock as Intl prints it, the reference for our cached conversions. */
function intlWall(ms: number, zone: string): { date: string; minutes: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

describe('local parts of an instant', () => {
  it('gives the local date, minute and ISO weekday', () => {
    expect(localParts(new Date('2026-11-23T08:30:00Z'), 'Europe/Paris')).toEqual({ date: '2026-11-23', minutes: 570, weekday: 1 });
    // Wallis is UTC+12: already Tuesday.
    expect(localParts(new Date('2026-11-23T12:00:00Z'), 'Pacific/Wallis')).toEqual({ date: '2026-11-24', minutes: 0, weekday: 2 });
    // Tahiti is UTC−10: still Sunday.
    expect(localParts(new Date('2026-11-23T08:00:00Z'), 'Pacific/Tahiti')).toEqual({ date: '2026-11-22', minutes: 1320, weekday: 7 });
  });

  it('agrees with Intl at any instant in every zone we serve (1970–2100)', () => {
    const zones = [...new Set(DEPARTMENTS.map((d) => d.timeZone))];
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: 0, max: 4_102_444_800_000 }), (zone, ms) => {
        const ours = localParts(ms, zone);
        expect({ date: ours.date, minutes: ours.minutes }).toEqual(intlWall(ms, zone));
        expect(ours.weekday).toBe(weekdayOfDate(ours.date));
      }),
      { numRuns: 500 },
    );
  });
});

describe('instant of a local time: Europe/Paris DST (last Sundays of March and October)', () => {
  const zone = 'Europe/Paris';

  it('maps ordinary times with the offset of the day', () => {
    expect(iso(instantAt('2026-01-15', '09:00', zone))).toBe('2026-01-15T08:00:00.000Z');
    expect(iso(instantAt('2026-07-15', '09:00', zone))).toBe('2026-07-15T07:00:00.000Z');
  });

  it('resolves a skipped time (29 March 2026, 02:00–03:00 does not exist) to the transition instant', () => {
    expect(iso(instantAt('2026-03-29', '01:59', zone))).toBe('2026-03-29T00:59:00.000Z');
    expect(iso(instantAt('2026-03-29', '02:00', zone))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(instantAt('2026-03-29', '02:30', zone))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(instantAt('2026-03-29', '03:00', zone))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(instantAt('2026-03-29', '03:01', zone))).toBe('2026-03-29T01:01:00.000Z');
  });

  it('resolves a repeated time (25 October 2026, 02:00–03:00 happens twice) to the earlier instant', () => {
    expect(iso(instantAt('2026-10-25', '01:59', zone))).toBe('2026-10-24T23:59:00.000Z');
    expect(iso(instantAt('2026-10-25', '02:00', zone))).toBe('2026-10-25T00:00:00.000Z');
    expect(iso(instantAt('2026-10-25', '02:30', zone))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(instantAt('2026-10-25', '03:00', zone))).toBe('2026-10-25T02:00:00.000Z');
    // Both passes of 02:30 read 02:30 on the wall.
    expect(localParts(new Date('2026-10-25T00:30:00Z'), zone).minutes).toBe(150);
    expect(localParts(new Date('2026-10-25T01:30:00Z'), zone).minutes).toBe(150);
  });

  it('reads hours past 24 on the next day’s clock, across the change', () => {
    expect(iso(instantAt('2026-03-28', '26:30', zone))).toBe('2026-03-29T01:00:00.000Z'); // = 29 March 02:30, skipped
    expect(iso(instantAt('2026-10-24', '26:30', zone))).toBe('2026-10-25T00:30:00.000Z'); // = 25 October 02:30, first pass
    expect(iso(instantAt('2026-10-24', '48:00', zone))).toBe('2026-10-25T23:00:00.000Z'); // midnight after a 25-hour day
  });

  it('rejects malformed times', () => {
    expect(() => instantAt('2026-03-29', '48:01', zone)).toThrow(RangeError);
    expect(() => instantAt('2026-03-29', '12:60', zone)).toThrow(RangeError);
    expect(() => instantAt('2026-03-29', '9:00', zone)).toThrow(RangeError);
  });
});

describe('instant of a local time: America/Miquelon DST (2nd Sunday of March, 1st Sunday of November)', () => {
  const zone = 'America/Miquelon';

  it('skips 02:00–03:00 on 8 March 2026 (UTC−3 → UTC−2)', () => {
    expect(iso(instantAt('2026-03-08', '01:59', zone))).toBe('2026-03-08T04:59:00.000Z');
    expect(iso(instantAt('2026-03-08', '02:15', zone))).toBe('2026-03-08T05:00:00.000Z');
    expect(iso(instantAt('2026-03-08', '03:00', zone))).toBe('2026-03-08T05:00:00.000Z');
    // Not Paris's date: on 29 March Miquelon is already on summer time.
    expect(iso(instantAt('2026-03-29', '02:30', zone))).toBe('2026-03-29T04:30:00.000Z');
  });

  it('repeats 01:00–02:00 on 1 November 2026 (UTC−2 → UTC−3), taking the earlier pass', () => {
    expect(iso(instantAt('2026-11-01', '01:30', zone))).toBe('2026-11-01T03:30:00.000Z');
    expect(iso(instantAt('2026-11-01', '02:00', zone))).toBe('2026-11-01T05:00:00.000Z');
    expect(localParts(new Date('2026-11-01T04:30:00Z'), zone).minutes).toBe(90); // the second 01:30
  });
});

describe('round trip', () => {
  it('instantAt(localParts(t)) is t (to the minute) except on the second pass of a repeated hour', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('Europe/Paris', 'America/Miquelon', 'Indian/Reunion', 'Pacific/Noumea', 'America/Cayenne'),
        fc.integer({ min: 1_767_225_600_000, max: 1_861_920_000_000 }), // 2026–2028
        (zone, ms) => {
          const minute = ms - (ms % 60_000);
          const local = localParts(ms, zone);
          const back = instantAt(local.date, formatTime(local.minutes), zone).getTime();
          if (back !== minute) {
            expect(back).toBeLessThan(minute); // the earlier pass of the same wall time
            expect(localParts(back, zone)).toEqual(local);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('date helpers', () => {
  it('adds days across months, years and leap days', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2027-02-28', 1)).toBe('2027-03-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-11-23', 366)).toBe('2027-11-24');
  });

  it('knows the ISO weekday of a date', () => {
    expect(weekdayOfDate('2026-11-23')).toBe(1);
    expect(weekdayOfDate('2026-11-29')).toBe(7);
    expect(weekdayOfDate('2000-01-01')).toBe(6);
  });

  it('checks dates and times', () => {
    expect(isValidDate('2028-02-29')).toBe(true);
    expect(isValidDate('2027-02-29')).toBe(false);
    expect(isValidDate('2026-13-01')).toBe(false);
    expect(isValidDate('2026-1-01')).toBe(false);
    expect(parseTime('26:30')).toBe(1590);
    expect(parseTime('09:60')).toBeNaN();
    expect(parseTime('9:00')).toBeNaN();
  });
});
